/*
 * config.c - dv's layered settings: loading (system, global, repo, local;
 * later wins), the table of known keys with their value types, and the
 * textual writer behind `dv config` and `dv remote`.
 *
 * Loading is strict: a malformed line, an unknown key, a value of the wrong
 * type or a secret in the committed .dv/config is an error naming the file
 * and line, because a typo such as `cache.tyep` silently ignored would make
 * dv behave differently from what the user wrote (DVC is strict the same
 * way).  Files are read with dv_ini_parse in git-config style: indented lines
 * are ordinary lines (inih would take an indented key for a continuation of
 * the previous one), and [remote "NAME"] subsections are parsed here.
 *
 * The writer never regenerates a file: it edits the lines that hold the key
 * (or appends the key to its section, or the section to the file) and keeps
 * every other byte, so hand-written comments and layout survive; then it
 * replaces the file atomically.  It only needs a key's shape, not its
 * meaning, so `dv config --unset` can remove a mistyped key.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/config.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/ini.h"

struct dv_config {
	dv_vec entries; /* dv_config_entry, in load order */
	char *files[DV_CONFIG_LEVELS];
};

/* ---- keys ------------------------------------------------------------ */

typedef enum { V_STRING, V_BOOL, V_JOBS, V_PORT, V_CACHE_TYPES, V_REMOTE_NAME, V_DURATION } value_kind;

typedef struct {
	const char *name;
	value_kind kind;
	bool secret;
} key_info;

static const key_info plain_keys[] = {
	{ "core.remote", V_REMOTE_NAME, false },
	{ "core.autostage", V_BOOL, false },
	{ "cache.dir", V_STRING, false },
	{ "cache.type", V_CACHE_TYPES, false },
	{ "cache.protected", V_BOOL, false },
	{ "gc.remote_grace", V_DURATION, false },
	{ "hooks.strict", V_BOOL, false }, /* pre-commit refuses stale stages too */
	{ "exec.executor", V_STRING, false }, /* local or slurm: checked by dv repro */
	{ "exec.slurm.partition", V_STRING, false },
	{ "exec.slurm.cpus", V_STRING, false },
	{ "exec.slurm.mem", V_STRING, false },
	{ "exec.slurm.time", V_STRING, false },
	{ "exec.slurm.gres", V_STRING, false },
	{ "exec.slurm.args", V_STRING, false },
	{ "exec.slurm.poll_ms", V_JOBS, false },
};

/* remote.NAME.<key> */
static const key_info remote_keys[] = {
	{ "url", V_STRING, false },
	{ "endpoint", V_STRING, false },
	{ "region", V_STRING, false },
	{ "profile", V_STRING, false },
	{ "access_key_id", V_STRING, false },
	{ "secret_access_key", V_STRING, true },
	{ "session_token", V_STRING, true },
	{ "user", V_STRING, false },
	{ "port", V_PORT, false },
	{ "keyfile", V_STRING, false },
	{ "jobs", V_JOBS, false },
	{ "multipart_chunk", V_STRING, false }, /* checked by the S3 remote: 5M to 5G */
	{ "pack_threshold", V_STRING, false },  /* checked by the S3 remote (pack.h) */
	{ "pack_size", V_STRING, false },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
	char *section;
	char *sub; /* NULL without a subsection */
	char *name;
} key_parts;

static void key_parts_free(key_parts *k)
{
	free(k->section);
	free(k->sub);
	free(k->name);
	memset(k, 0, sizeof(*k));
}

static bool all_chars_in(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(extra, c)))
			return false;
	}
	return true;
}

/* "section.name" or "section.sub.name" (the subsection may hold dots). */
static int split_key(key_parts *out, const char *key)
{
	const char *first = strchr(key, '.'), *last = strrchr(key, '.');

	memset(out, 0, sizeof(*out));
	if (!first || first == key || !last[1])
		return dv_error(DV_ERROR, "'%s' is not a config key: keys look like 'section.key' "
				"or 'remote.NAME.key'", key);
	if (!all_chars_in(key, (size_t)(first - key), "-") || !all_chars_in(last + 1, strlen(last + 1), "_-"))
		return dv_error(DV_ERROR, "'%s' is not a config key: section and key names are "
				"letters, digits, '_' and '-'", key);
	out->section = dv_strndup(key, (size_t)(first - key));
	out->name = dv_strdup(last + 1);
	if (last > first)
		out->sub = dv_strndup(first + 1, (size_t)(last - first - 1));
	return 0;
}

int dv_config_check_remote_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return dv_error(DV_ERROR, "empty remote name");
	if (!all_chars_in(name, n, "._-") || name[0] == '-')
		return dv_error(DV_ERROR, "invalid remote name '%s': use letters, digits, '.', '_' "
				"and '-' (not first)", name);
	if (n > DV_CONFIG_REMOTE_NAME_MAX)
		return dv_error(DV_ERROR, "remote name '%s' is longer than %d bytes ([remote \"NAME\"] "
				"must fit the %d bytes inih keeps of a section name)", name,
				DV_CONFIG_REMOTE_NAME_MAX, DV_INI_MAX_SECTION);
	return 0;
}

static int unknown_key(const char *key)
{
	dv_buf known = DV_BUF_INIT;
	int rc;

	for (size_t i = 0; i < COUNT(plain_keys); i++)
		dv_buf_printf(&known, "%s, ", plain_keys[i].name);
	dv_buf_puts(&known, "remote.NAME.{");
	for (size_t i = 0; i < COUNT(remote_keys); i++)
		dv_buf_printf(&known, "%s%s", i ? "," : "", remote_keys[i].name);
	dv_buf_putc(&known, '}');
	rc = dv_error(DV_ERROR, "unknown config key '%s' (known: %s; see dv-config(5))", key, known.ptr);
	dv_buf_free(&known);
	return rc;
}

/* The table entry of a known key, or NULL with the error set. */
static const key_info *lookup_key(const char *key)
{
	key_parts k;
	const key_info *found = NULL;

	if (split_key(&k, key) < 0)
		return NULL;
	if (!strcmp(k.section, "remote")) {
		if (!k.sub) {
			dv_error(DV_ERROR, "'%s' needs a remote name: 'remote.NAME.%s'", key, k.name);
			goto done;
		}
		if (dv_config_check_remote_name(k.sub) < 0)
			goto done;
		for (size_t i = 0; i < COUNT(remote_keys) && !found; i++)
			if (!strcmp(k.name, remote_keys[i].name))
				found = &remote_keys[i];
	} else {
		for (size_t i = 0; i < COUNT(plain_keys) && !found; i++)
			if (!strcmp(key, plain_keys[i].name))
				found = &plain_keys[i];
	}
	if (!found)
		unknown_key(key);
done:
	key_parts_free(&k);
	return found;
}

int dv_config_check_key(const char *key)
{
	return lookup_key(key) ? 0 : DV_ERROR;
}

bool dv_config_key_is_secret(const char *key)
{
	const char *name = strrchr(key, '.');

	if (strncmp(key, "remote.", 7) || !name)
		return false;
	for (size_t i = 0; i < COUNT(remote_keys); i++)
		if (remote_keys[i].secret && !strcmp(name + 1, remote_keys[i].name))
			return true;
	return false;
}

static int check_number(const char *key, const char *value, unsigned long min, unsigned long max)
{
	unsigned long v = 0;
	size_t n = strlen(value);

	if (n == 0 || n > 9 || strspn(value, "0123456789") != n)
		goto bad;
	v = strtoul(value, NULL, 10);
	if (v >= min && v <= max)
		return 0;
bad:
	return dv_error(DV_ERROR, "'%s' must be a whole number from %lu to %lu, not '%s'",
			key, min, max, value);
}

int dv_config_parse_duration(int64_t *ns_out, const char *text, const char *key)
{
	const char *p = text;
	int64_t total = 0;

	if (!strcmp(text, "0")) {
		*ns_out = 0;
		return 0;
	}
	if (!*p)
		goto bad;
	while (*p) {
		int64_t n = 0, unit;
		const char *start = p;
		while (*p >= '0' && *p <= '9' && n < 100000000)
			n = n * 10 + (*p++ - '0');
		if (p == start || n >= 100000000)
			goto bad;
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: goto bad;
		}
		total += n * unit;
	}
	if (total > 100LL * 365 * 86400)
		goto bad;
	*ns_out = total * 1000000000LL;
	return 0;
bad:
	return dv_error(DV_ERROR, "'%s' must be a duration such as '24h', '30m', '1h30m', '7d' "
			"(units s, m, h, d, w; at most 100 years) or '0', not '%s'", key, text);
}

int dv_config_remote_grace(int64_t *ns_out, const dv_config *cfg)
{
	const char *v = dv_config_get(cfg, "gc.remote_grace");
	*ns_out = DV_REMOTE_GRACE_DEFAULT_NS;
	return v ? dv_config_parse_duration(ns_out, v, "gc.remote_grace") : 0;
}

int dv_config_check_value(const char *key, const char *value)
{
	const key_info *info = lookup_key(key);
	bool b;
	dv_link_type types[4];
	int ntypes;

	if (!info)
		return DV_ERROR;
	switch (info->kind) {
	case V_BOOL:
		if (dv_ini_parse_bool(&b, value) < 0)
			return dv_error(DV_ERROR, "'%s' must be true or false, not '%s'", key, value);
		return 0;
	case V_JOBS:
		return check_number(key, value, 1, 1024); /* as remote.c's job limit */
	case V_PORT:
		return check_number(key, value, 1, 65535);
	case V_CACHE_TYPES:
		return dv_cache_parse_types(types, &ntypes, value);
	case V_REMOTE_NAME:
		return dv_config_check_remote_name(value);
	case V_DURATION: {
		int64_t ns;
		return dv_config_parse_duration(&ns, value, key);
	}
	default:
		return 0;
	}
}

/* ---- files per level ------------------------------------------------- */

/* The per-clone file, where credentials go (and the writer keeps 0600). */
#define LOCAL_FILE_NAME "config.local"

const char *dv_config_level_name(dv_config_level level)
{
	static const char *const names[] = { "system", "global", "repo", "local" };
	return level < DV_CONFIG_LEVELS ? names[level] : "?";
}

int dv_config_path(dv_buf *out, dv_config_level level, const char *dvdir)
{
	const char *env;

	dv_buf_reset(out);
	switch (level) {
	case DV_CONFIG_SYSTEM:
		env = getenv("DV_CONFIG_SYSTEM");
		dv_buf_puts(out, env && *env ? env : "/etc/dv/config");
		return 0;
	case DV_CONFIG_GLOBAL:
		if ((env = getenv("DV_CONFIG_GLOBAL")) && *env) {
			dv_buf_puts(out, env);
		} else if ((env = getenv("XDG_CONFIG_HOME")) && env[0] == '/') {
			dv_path_join(out, env, "dv/config");
		} else if ((env = getenv("HOME")) && *env) {
			dv_path_join(out, env, ".config/dv/config");
		} else {
			return dv_error(DV_ERROR, "cannot find the global config: neither $HOME nor "
					"$XDG_CONFIG_HOME is set");
		}
		return 0;
	case DV_CONFIG_REPO:
	case DV_CONFIG_LOCAL:
		if (!dvdir)
			return dv_error(DV_ENOTFOUND, "not in a dv repository: use --global to change "
					"your own settings, or run 'dv init'");
		dv_path_join(out, dvdir, level == DV_CONFIG_REPO ? "config" : LOCAL_FILE_NAME);
		return 0;
	default:
		return dv_error(DV_EUSAGE, "no such config level");
	}
}

/* Relative to the cwd when below it (".dv/config"), else as it is. */
static char *display_path(const char *path)
{
	char *cwd = getcwd(NULL, 0);
	char *rel = cwd && path[0] == '/' ? dv_path_relative_to(path, cwd) : NULL;

	free(cwd);
	if (rel && *rel)
		return rel;
	free(rel);
	return dv_strdup(path);
}

/* ---- loading --------------------------------------------------------- */

/* `name` or `name "sub"`, as between the brackets of a header. */
static int parse_section_text(char **section, char **sub, const char *s, size_t n)
{
	const char *e = s + n, *q;

	*section = *sub = NULL;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (q = s; q < e && *q != ' ' && *q != '\t' && *q != '"'; q++)
		;
	if (q == s || !all_chars_in(s, (size_t)(q - s), "-"))
		return dv_error(DV_ERROR, "bad section header '[%.*s]': write [core], [cache] or "
				"[remote \"NAME\"]", (int)n, s);
	*section = dv_strndup(s, (size_t)(q - s));
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	if (q == e)
		return 0;
	if (*q != '"' || e - q < 2 || e[-1] != '"' || memchr(q + 1, '"', (size_t)(e - q - 2)) ||
	    memchr(q + 1, '\\', (size_t)(e - q - 2))) {
		int rc = dv_error(DV_ERROR, "bad section header '[%.*s]': a subsection is written "
				  "[%s \"NAME\"]", (int)n, s, *section);
		free(*section);
		*section = NULL;
		return rc;
	}
	*sub = dv_strndup(q + 1, (size_t)(e - q - 2));
	return 0;
}

typedef struct {
	dv_config *cfg;
	dv_config_level level;
	char *section;
	char *sub;
	dv_buf key;
	dv_buf value;
} load_ctx;

static int on_config_section(load_ctx *c, const dv_ini_item *it)
{
	int rc;

	free(c->section);
	free(c->sub);
	if ((rc = parse_section_text(&c->section, &c->sub, it->section, strlen(it->section))) < 0)
		return rc;
	if (!strcmp(c->section, "remote")) {
		if (!c->sub)
			return dv_error(DV_ERROR, "[remote] needs a name: [remote \"NAME\"]");
		return dv_config_check_remote_name(c->sub);
	}
	if (!strcmp(c->section, "exec") && (!c->sub || !strcmp(c->sub, "slurm")))
		return 0;
	if (strcmp(c->section, "core") && strcmp(c->section, "cache") && strcmp(c->section, "gc") &&
	    strcmp(c->section, "hooks"))
		return dv_error(DV_ERROR, "unknown section '[%s]' (known: [core], [cache], [exec], "
				"[exec \"slurm\"], [gc], [hooks], [remote \"NAME\"]; see dv-config(5))", it->section);
	if (c->sub)
		return dv_error(DV_ERROR, "[%s] has no subsections", c->section);
	return 0;
}

static int on_config_item(void *user, const dv_ini_item *it)
{
	load_ctx *c = user;
	dv_config_entry *e;
	int rc;

	if (!it->name)
		return on_config_section(c, it);
	if (!c->section)
		return dv_error(DV_ERROR, "'%s' comes before any section header", it->name);
	/* Checked here, not only in the flattened key: there ".url" under
	 * [remote "origin"] would pass for "url" of remote "origin.", and a
	 * rename or removal of "origin" would then not treat it as one. */
	if (!it->name[0] || !all_chars_in(it->name, strlen(it->name), "_-"))
		return dv_error(DV_ERROR, "'%s' is not a key name: use letters, digits, '_' and '-'", it->name);
	dv_buf_reset(&c->key);
	dv_buf_printf(&c->key, "%s.%s%s%s", c->section, c->sub ? c->sub : "", c->sub ? "." : "", it->name);
	dv_buf_reset(&c->value);
	if ((rc = dv_ini_unquote_value(&c->value, it->value)) < 0 ||
	    (rc = dv_config_check_value(c->key.ptr, c->value.ptr)) < 0)
		return rc;
	if (c->level == DV_CONFIG_REPO && dv_config_key_is_secret(c->key.ptr))
		return dv_error(DV_ERROR, "'%s' is a secret and this file is committed to git; move it "
				"to .dv/config.local with 'dv config --local %s VALUE' and remove it here",
				c->key.ptr, c->key.ptr);
	e = dv_vec_push(&c->cfg->entries);
	e->key = dv_strdup(c->key.ptr);
	e->value = dv_strdup(c->value.ptr);
	e->level = c->level;
	e->line = it->line;
	return 0;
}

static int load_level(dv_config *cfg, dv_config_level level, const char *path)
{
	dv_buf text = DV_BUF_INIT;
	load_ctx c;
	char *shown = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = dv_read_file(&text, path)) < 0) {
		if (rc == DV_ENOTFOUND)
			rc = 0;
		else
			rc = DV_ERROR; /* never DV_ENOTFOUND: callers read that as "no repo" */
		goto done;
	}
	c.cfg = cfg;
	c.level = level;
	dv_buf_init(&c.key);
	dv_buf_init(&c.value);
	shown = display_path(path);
	rc = dv_ini_parse(shown, text.ptr, text.len, DV_INI_NO_CONTINUATION, on_config_item, &c);
	if (rc < 0)
		rc = DV_ERROR;
done:
	free(shown);
	free(c.section);
	free(c.sub);
	dv_buf_free(&c.key);
	dv_buf_free(&c.value);
	dv_buf_free(&text);
	return rc;
}

int dv_config_load(dv_config **out, const char *dvdir)
{
	dv_config *cfg = dv_calloc(1, sizeof(*cfg));
	dv_buf path = DV_BUF_INIT;
	int rc = 0;

	*out = NULL;
	cfg->entries = (dv_vec)DV_VEC_INIT(dv_config_entry);
	for (int level = 0; level < DV_CONFIG_LEVELS; level++) {
		if (dv_config_path(&path, (dv_config_level)level, dvdir) < 0)
			continue; /* outside a repo, or no $HOME: nothing to read there */
		cfg->files[level] = dv_strdup(path.ptr);
		if ((rc = load_level(cfg, (dv_config_level)level, path.ptr)) < 0)
			break;
	}
	dv_buf_free(&path);
	if (rc < 0) {
		dv_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

void dv_config_free(dv_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->entries.n; i++) {
		dv_config_entry *e = dv_vec_at(&cfg->entries, dv_config_entry, i);
		free(e->key);
		free(e->value);
	}
	dv_vec_free(&cfg->entries);
	for (int i = 0; i < DV_CONFIG_LEVELS; i++)
		free(cfg->files[i]);
	free(cfg);
}

/* ---- queries --------------------------------------------------------- */

static const char *get_matching(const dv_config *cfg, const char *key, int level)
{
	for (size_t i = cfg->entries.n; i-- > 0;) {
		const dv_config_entry *e = dv_vec_at(&cfg->entries, dv_config_entry, i);
		if ((level < 0 || (int)e->level == level) && !strcmp(e->key, key))
			return e->value;
	}
	return NULL;
}

const char *dv_config_get(const dv_config *cfg, const char *key)
{
	return get_matching(cfg, key, -1);
}

const char *dv_config_get_at_level(const dv_config *cfg, const char *key, dv_config_level level)
{
	return get_matching(cfg, key, (int)level);
}

int dv_config_get_bool(const dv_config *cfg, const char *key, bool dflt, bool *out)
{
	const char *v = dv_config_get(cfg, key);

	*out = dflt;
	if (!v)
		return 0;
	if (dv_ini_parse_bool(out, v) < 0)
		return dv_error(DV_ERROR, "config '%s' must be true or false, not '%s'", key, v);
	return 0;
}

int dv_config_get_uint(const dv_config *cfg, const char *key, unsigned long dflt, unsigned long *out)
{
	const char *v = dv_config_get(cfg, key);
	size_t n;

	*out = dflt;
	if (!v)
		return 0;
	n = strlen(v);
	if (n == 0 || n > 18 || strspn(v, "0123456789") != n)
		return dv_error(DV_ERROR, "config '%s' must be a whole number, not '%s'", key, v);
	*out = strtoul(v, NULL, 10);
	return 0;
}

size_t dv_config_count(const dv_config *cfg)
{
	return cfg->entries.n;
}

const dv_config_entry *dv_config_entry_at(const dv_config *cfg, size_t i)
{
	return dv_vec_at(&cfg->entries, dv_config_entry, i);
}

const char *dv_config_level_file(const dv_config *cfg, dv_config_level level)
{
	return level < DV_CONFIG_LEVELS ? cfg->files[level] : NULL;
}

void dv_config_remote_names(dv_strvec *out, const dv_config *cfg)
{
	for (size_t i = 0; i < cfg->entries.n; i++) {
		const char *key = dv_vec_at(&cfg->entries, dv_config_entry, i)->key;
		const char *last = strrchr(key, '.');
		char *name;
		if (strncmp(key, "remote.", 7) || last <= key + 7)
			continue;
		name = dv_strndup(key + 7, (size_t)(last - key - 7));
		dv_strvec_push_take_once(out, name);
	}
	dv_strvec_sort(out);
}

/* ---- the textual writer ---------------------------------------------- */

typedef struct {
	const char *s;   /* the line, without its newline */
	size_t n;
	char *section;   /* a [section] line: the text between the brackets */
	bool header;     /* a [section] line */
	bool key;        /* a "name = value" line */
	bool blank;
	bool in_match;   /* below a header of the section being edited */
	bool key_match;  /* ... and holding the key being edited */
	bool drop;
	char *replace;
} cfg_line;

typedef struct {
	dv_vec lines; /* cfg_line */
	dv_buf text;
} cfg_file;

static cfg_line *line_at(cfg_file *f, size_t i)
{
	return dv_vec_at(&f->lines, cfg_line, i);
}

/* Is the line a header [section] or [section "sub"] (sub NULL: none)?  A
 * header that cannot be parsed names nothing. */
static bool header_names(const cfg_line *l, const char *section, const char *sub)
{
	char *sec = NULL, *sb = NULL;
	bool match;

	if (!l->header)
		return false;
	match = parse_section_text(&sec, &sb, l->section, strlen(l->section)) == 0 && !strcmp(sec, section) &&
		(sub ? sb && !strcmp(sb, sub) : !sb);
	free(sec);
	free(sb);
	dv_error_clear();
	return match;
}

static void cfg_file_free(cfg_file *f);

/* What the writer marks while the reader walks the file. */
typedef struct {
	cfg_file *f;
	const char *name; /* the key being edited, or NULL */
} mark_ctx;

/* The writer learns which lines are headers and keys from the reader
 * itself (dv_ini_parse, as load_level calls it), never from a guess of
 * its own: a line the two classified differently (a form feed before a
 * key, say) would be a key to one and not to the other, and `dv config`
 * would edit a line the reader ignores. */
static int mark_line(void *user, const dv_ini_item *it)
{
	mark_ctx *m = user;
	cfg_line *l;

	if (it->line < 1 || (size_t)it->line > m->f->lines.n)
		return dv_error(DV_ERROR, "line %d is past the end of the file", it->line);
	l = line_at(m->f, (size_t)it->line - 1);
	if (!it->name) {
		l->header = true;
		free(l->section);
		l->section = dv_strdup(it->section);
	} else {
		l->key = true;
		l->key_match = m->name && !strcmp(it->name, m->name);
	}
	return 0;
}

/* Split the file into lines and mark those of section/sub (and key `name`,
 * when not NULL).  A file the reader refuses is refused here too, with the
 * reader's message: editing it blind could make it mean something else. */
static int cfg_file_read(cfg_file *f, const char *path, const char *section, const char *sub,
			 const char *name)
{
	const char *p, *end;
	mark_ctx m = { f, name };
	bool in_match = false;
	char *shown;
	int rc;

	f->lines = (dv_vec)DV_VEC_INIT(cfg_line);
	dv_buf_init(&f->text);
	if ((rc = dv_read_file(&f->text, path)) < 0 && rc != DV_ENOTFOUND)
		return rc;
	for (p = f->text.ptr, end = p + f->text.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		cfg_line *l = dv_vec_push(&f->lines);

		l->s = p;
		l->n = (size_t)(e - p);
		l->blank = dv_ini_is_blank_line(p, l->n);
		p = nl ? nl + 1 : end;
	}
	shown = display_path(path);
	rc = dv_ini_parse(shown, f->text.ptr, f->text.len, DV_INI_NO_CONTINUATION, mark_line, &m);
	free(shown);
	if (rc < 0) {
		cfg_file_free(f);
		return rc;
	}
	for (size_t i = 0; i < f->lines.n; i++) {
		cfg_line *l = line_at(f, i);
		if (l->header)
			in_match = header_names(l, section, sub);
		l->in_match = in_match;
		l->key_match = l->key_match && in_match;
	}
	dv_error_clear();
	return 0;
}

static void cfg_file_free(cfg_file *f)
{
	for (size_t i = 0; i < f->lines.n; i++) {
		free(line_at(f, i)->replace);
		free(line_at(f, i)->section);
	}
	dv_vec_free(&f->lines);
	dv_buf_free(&f->text);
}

/* Lines of the section starting at header h: (h, end). */
static size_t section_end(cfg_file *f, size_t h)
{
	size_t i = h + 1;
	while (i < f->lines.n && !line_at(f, i)->header)
		i++;
	return i;
}

static void drop_trailing_blank_lines(cfg_file *f)
{
	for (size_t i = f->lines.n; i-- > 0;) {
		cfg_line *l = line_at(f, i);
		if (l->drop)
			continue;
		if (!l->blank)
			break;
		l->drop = true;
	}
}

/* The kept lines, with `insert` after line `after` (SIZE_MAX: at the end). */
static void cfg_file_render(dv_buf *out, cfg_file *f, size_t after, const char *insert)
{
	for (size_t i = 0; i < f->lines.n; i++) {
		cfg_line *l = line_at(f, i);
		if (l->replace) {
			dv_buf_puts(out, l->replace);
			dv_buf_putc(out, '\n');
		} else if (!l->drop) {
			dv_buf_add(out, l->s, l->n);
			dv_buf_putc(out, '\n');
		}
		if (insert && i == after)
			dv_buf_puts(out, insert);
	}
	if (insert && after == SIZE_MAX)
		dv_buf_puts(out, insert);
}

/* Replace the file at `path` by `text` atomically.  .dv/config.local is
 * where credentials go, so it is 0600 after every write, whatever it was
 * before (made by hand, or by a dv that did not enforce this); any other
 * file keeps its mode, and a new one gets `new_mode`. */
static int write_config_text(const char *path, const dv_buf *text, mode_t new_mode)
{
	struct stat st;
	mode_t mode = new_mode;
	int rc;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	else if ((rc = dv_mkdir_parent(path)) < 0)
		return rc;
	if (!strcmp(dv_path_basename(path), LOCAL_FILE_NAME))
		mode = 0600;
	return dv_write_file_atomic(path, text->ptr, text->len, mode);
}

static int cfg_file_write(cfg_file *f, const char *path, size_t after, const char *insert, mode_t new_mode)
{
	dv_buf out = DV_BUF_INIT;
	int rc;

	cfg_file_render(&out, f, after, insert);
	rc = write_config_text(path, &out, new_mode);
	dv_buf_free(&out);
	return rc;
}

static int key_line(dv_buf *out, const char *indent, size_t indent_len, const char *name,
		    const char *value, const char *key)
{
	size_t start = out->len;

	dv_buf_add(out, indent, indent_len);
	dv_buf_printf(out, "%s = ", name);
	dv_ini_quote_value(out, value);
	if (out->len - start > DV_INI_MAX_LINE)
		return dv_error(DV_ERROR, "the value of '%s' is too long: its line would be %zu bytes, "
				"more than the %d inih reads", key, out->len - start, DV_INI_MAX_LINE);
	return 0;
}

static int config_set(cfg_file *f, const char *path, const key_parts *k, const char *key, const char *value)
{
	dv_buf line = DV_BUF_INIT, insert = DV_BUF_INIT;
	size_t last_match = SIZE_MAX, last_header = SIZE_MAX, after = SIZE_MAX;
	const char *indent = "";
	size_t indent_len = 0;
	int rc;

	for (size_t i = 0; i < f->lines.n; i++) {
		cfg_line *l = line_at(f, i);
		if (l->key_match)
			last_match = i;
		if (l->header && l->in_match)
			last_header = i;
	}
	if (last_match != SIZE_MAX) {
		cfg_line *l = line_at(f, last_match);
		indent = l->s;
		indent_len = strspn(l->s, " \t");
		if (indent_len > l->n)
			indent_len = l->n;
		if ((rc = key_line(&line, indent, indent_len, k->name, value, key)) < 0)
			goto done;
		for (size_t i = 0; i < f->lines.n; i++)
			line_at(f, i)->drop = line_at(f, i)->key_match && i != last_match;
		l->replace = dv_buf_detach(&line);
	} else if (last_header != SIZE_MAX) {
		after = last_header;
		for (size_t i = last_header + 1; i < section_end(f, last_header); i++)
			if (line_at(f, i)->key) {
				after = i;
				indent = line_at(f, i)->s;
				indent_len = strspn(indent, " \t");
			}
		if ((rc = key_line(&insert, indent, indent_len, k->name, value, key)) < 0)
			goto done;
		dv_buf_putc(&insert, '\n');
	} else {
		if (f->lines.n && !line_at(f, f->lines.n - 1)->blank)
			dv_buf_putc(&insert, '\n');
		if (k->sub)
			dv_buf_printf(&insert, "[%s \"%s\"]\n", k->section, k->sub);
		else
			dv_buf_printf(&insert, "[%s]\n", k->section);
		if ((rc = key_line(&insert, "", 0, k->name, value, key)) < 0)
			goto done;
		dv_buf_putc(&insert, '\n');
	}
	rc = cfg_file_write(f, path, after, insert.len ? insert.ptr : NULL,
			    dv_config_key_is_secret(key) ? 0600 : 0644);
done:
	dv_buf_free(&line);
	dv_buf_free(&insert);
	return rc;
}

static int config_unset(cfg_file *f, const char *path, const char *key)
{
	bool found = false;

	for (size_t i = 0; i < f->lines.n; i++) {
		cfg_line *l = line_at(f, i);
		if (l->key_match)
			l->drop = found = true;
	}
	if (!found) {
		char *shown = display_path(path);
		dv_error(DV_ENOTFOUND, "'%s' is not set in '%s'", key, shown);
		free(shown);
		return DV_ENOTFOUND;
	}
	/* A section left with nothing but blank lines goes too. */
	for (size_t h = 0; h < f->lines.n; h++) {
		size_t end;
		bool empty = true;
		if (!line_at(f, h)->header || !line_at(f, h)->in_match)
			continue;
		end = section_end(f, h);
		for (size_t i = h + 1; i < end; i++)
			if (!line_at(f, i)->drop && !line_at(f, i)->blank)
				empty = false;
		if (empty)
			for (size_t i = h; i < end; i++)
				line_at(f, i)->drop = true;
	}
	drop_trailing_blank_lines(f);
	return cfg_file_write(f, path, SIZE_MAX, NULL, 0644);
}

int dv_config_write(const char *path, const char *key, const char *value)
{
	key_parts k;
	cfg_file f;
	int rc;

	if ((rc = split_key(&k, key)) < 0)
		return rc;
	if (k.sub && (rc = dv_config_check_remote_name(k.sub)) < 0)
		goto done;
	if ((rc = cfg_file_read(&f, path, k.section, k.sub, k.name)) < 0)
		goto done;
	rc = value ? config_set(&f, path, &k, key, value) : config_unset(&f, path, key);
	cfg_file_free(&f);
done:
	key_parts_free(&k);
	return rc;
}

int dv_config_remove_section(const char *path, const char *section, const char *subsection)
{
	cfg_file f;
	bool found = false;
	int rc;

	if ((rc = cfg_file_read(&f, path, section, subsection, NULL)) < 0)
		return rc;
	for (size_t h = 0; h < f.lines.n; h++) {
		size_t end, last = h;
		if (!line_at(&f, h)->header || !line_at(&f, h)->in_match)
			continue;
		found = true;
		end = section_end(&f, h);
		/* Comments after the last key likely introduce the next section. */
		for (size_t i = h + 1; i < end; i++)
			if (line_at(&f, i)->key)
				last = i;
		while (last + 1 < end && line_at(&f, last + 1)->blank)
			last++;
		for (size_t i = h; i <= last; i++)
			line_at(&f, i)->drop = true;
	}
	if (!found) {
		char *shown = display_path(path);
		if (subsection)
			rc = dv_error(DV_ENOTFOUND, "no section [%s \"%s\"] in '%s'", section, subsection, shown);
		else
			rc = dv_error(DV_ENOTFOUND, "no section [%s] in '%s'", section, shown);
		free(shown);
		goto done;
	}
	drop_trailing_blank_lines(&f);
	rc = cfg_file_write(&f, path, SIZE_MAX, NULL, 0644);
done:
	cfg_file_free(&f);
	return rc;
}

/* ---- renaming a remote ----------------------------------------------- */

/* One file of a rename: its text before and after. */
typedef struct {
	dv_config_level level;
	dv_buf path;
	cfg_file f;
	dv_buf text; /* the new text */
	bool holds_old;
	bool changed;
} rename_file;

/* Rewrite the header line `l` of [remote "OLD"] as [remote "NEW"], keeping
 * its indentation (the loader allows nothing after the ']'). */
static int rename_header(cfg_line *l, const char *new_name, const char *shown)
{
	dv_buf line = DV_BUF_INIT;

	dv_buf_add(&line, l->s, strspn(l->s, " \t"));
	dv_buf_printf(&line, "[remote \"%s\"]", new_name);
	if (line.len > DV_INI_MAX_LINE) {
		dv_buf_free(&line);
		return dv_error(DV_ERROR, "cannot rename the remote in '%s': its header line would be "
				"more than the %d bytes inih reads", shown, DV_INI_MAX_LINE);
	}
	l->replace = dv_buf_detach(&line);
	return 0;
}

/* Work out a file's new text: every [remote "OLD"] header renamed, and
 * every core.remote naming OLD (found by the loader, which knows values
 * as the reader sees them: quoted, commented) set to NEW.  Loading also
 * checks the whole file, so nothing is written unless every file is
 * sound. */
static int plan_rename(rename_file *rf, const char *old_name, const char *new_name)
{
	dv_config *loaded = dv_calloc(1, sizeof(*loaded));
	char *shown = display_path(rf->path.ptr);
	int rc;

	loaded->entries = (dv_vec)DV_VEC_INIT(dv_config_entry);
	if ((rc = load_level(loaded, rf->level, rf->path.ptr)) < 0 ||
	    (rc = cfg_file_read(&rf->f, rf->path.ptr, "remote", old_name, NULL)) < 0)
		goto done;
	for (size_t i = 0; i < rf->f.lines.n && rc == 0; i++) {
		cfg_line *l = line_at(&rf->f, i);
		if (header_names(l, "remote", new_name))
			rc = dv_error(DV_EEXISTS, "remote '%s' already exists in '%s'", new_name, shown);
		else if (l->header && l->in_match && (rc = rename_header(l, new_name, shown)) == 0)
			rf->holds_old = true;
	}
	for (size_t i = 0; i < loaded->entries.n && rc == 0; i++) {
		const dv_config_entry *e = dv_vec_at(&loaded->entries, dv_config_entry, i);
		cfg_line *l;
		dv_buf line = DV_BUF_INIT;
		if (strcmp(e->key, "core.remote") || strcmp(e->value, old_name) || e->line < 1 ||
		    (size_t)e->line > rf->f.lines.n)
			continue;
		l = line_at(&rf->f, (size_t)e->line - 1);
		if ((rc = key_line(&line, l->s, strspn(l->s, " \t"), "remote", new_name, e->key)) == 0) {
			free(l->replace);
			l->replace = dv_buf_detach(&line);
		}
		dv_buf_free(&line);
	}
	if (rc == 0) {
		cfg_file_render(&rf->text, &rf->f, SIZE_MAX, NULL);
		rf->changed = rf->text.len != rf->f.text.len || memcmp(rf->text.ptr, rf->f.text.ptr, rf->text.len);
	}
done:
	dv_config_free(loaded);
	free(shown);
	return rc;
}

int dv_config_rename_remote(bool changed[DV_CONFIG_LEVELS], const char *dvdir, const char *old_name,
			    const char *new_name)
{
	rename_file files[] = { { .level = DV_CONFIG_REPO }, { .level = DV_CONFIG_LOCAL } };
	size_t nfiles = COUNT(files);
	bool found = false;
	int rc;

	for (size_t i = 0; i < nfiles; i++) {
		dv_buf_init(&files[i].path);
		dv_buf_init(&files[i].text);
		files[i].f.lines = (dv_vec)DV_VEC_INIT(cfg_line);
		dv_buf_init(&files[i].f.text);
	}
	if (changed)
		memset(changed, 0, sizeof(bool) * DV_CONFIG_LEVELS);
	rc = dv_config_check_remote_name(new_name);
	for (size_t i = 0; i < nfiles && rc == 0; i++)
		if ((rc = dv_config_path(&files[i].path, files[i].level, dvdir)) == 0 &&
		    (rc = plan_rename(&files[i], old_name, new_name)) == 0)
			found |= files[i].holds_old;
	if (rc == 0 && !found)
		rc = dv_error(DV_ENOTFOUND, "no section [remote \"%s\"] in .dv/config or .dv/config.local",
			      old_name);
	for (size_t i = 0; i < nfiles && rc == 0; i++) {
		char *why;
		if (!files[i].changed || (rc = write_config_text(files[i].path.ptr, &files[i].text, 0644)) == 0)
			continue;
		/* The remote must not keep its old name in one file and get
		 * the new one in another: put back the files already replaced. */
		why = dv_strdup(dv_error_last());
		for (size_t j = 0; j < i; j++)
			if (files[j].changed)
				write_config_text(files[j].path.ptr, &files[j].f.text, 0644);
		dv_error(rc, "%s", why);
		free(why);
	}
	for (size_t i = 0; i < nfiles && rc == 0 && changed; i++)
		changed[files[i].level] = files[i].changed;
	for (size_t i = 0; i < nfiles; i++) {
		dv_buf_free(&files[i].path);
		dv_buf_free(&files[i].text);
		cfg_file_free(&files[i].f);
	}
	return rc;
}
