/*
 * dvignore.c - reading .dvignore files and matching paths against them.
 *
 * Patterns follow gitignore(5): fnmatch(3) matches one path component at
 * a time (so `*` never crosses a `/`), and a `**` component matches any
 * number of components.  Each directory's rules are looked up once, in a
 * table keyed by the directory, together with the chain of files that
 * apply there (its ancestors' and its own): a walk asks once per
 * directory, and a tree without .dvignore files costs one failed open per
 * directory visited.
 */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dv/dvignore.h"
#include "dv/error.h"
#include "dv/fs.h"

typedef struct {
	char *pattern;   /* without `!`, leading `/` and trailing `/` */
	char *written;   /* the line as written, for check-ignore -d */
	unsigned line;
	bool negate;
	bool dir_only;
	bool anchored;   /* holds a `/`: matched from the file's directory */
} rule;

typedef struct {
	char *path; /* repo-relative .dvignore */
	char *dir;  /* its directory, "" at the top */
	dv_vec rules;
} rule_file;

struct dv_dvignore_dir {
	char *dir;
	rule_file *own;       /* NULL: no .dvignore here */
	rule_file **chain;    /* outermost first, this directory's last */
	size_t nchain;
	struct dv_dvignore_dir *next; /* hash bucket */
};

struct dv_dvignore {
	char *root;
	pthread_mutex_t mu;
	struct dv_dvignore_dir **buckets;
	size_t nbuckets, count;
};

/* ---- parsing -------------------------------------------------------------- */

static void parse_line(rule_file *f, char *s, unsigned lineno)
{
	size_t n = strlen(s);
	rule *r;
	char *p;

	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
	/* Trailing blanks go unless escaped with a backslash. */
	while (n && s[n - 1] == ' ' && !(n > 1 && s[n - 2] == '\\'))
		s[--n] = '\0';
	if (!n || s[0] == '#')
		return;
	r = dv_vec_push(&f->rules);
	r->written = dv_strdup(s);
	r->line = lineno;
	p = s;
	if (p[0] == '!') {
		r->negate = true;
		p++;
	} else if (p[0] == '\\' && (p[1] == '!' || p[1] == '#')) {
		p++;
	}
	n = strlen(p);
	if (n > 1 && p[n - 1] == '/') {
		r->dir_only = true;
		p[--n] = '\0';
	}
	r->anchored = strchr(p, '/') != NULL;
	if (p[0] == '/')
		p++;
	r->pattern = dv_strdup(p);
}

static rule_file *load_file(const char *root, const char *dir)
{
	dv_buf abs = DV_BUF_INIT, text = DV_BUF_INIT, rel = DV_BUF_INIT;
	rule_file *f = NULL;
	unsigned lineno = 0;

	dv_path_join(&rel, dir, DV_DVIGNORE_FILE);
	dv_path_join(&abs, root, rel.ptr);
	if (dv_read_file(&text, abs.ptr) < 0) {
		/* Missing (the usual case) or unreadable: no rules here. */
		dv_error_clear();
		goto done;
	}
	f = dv_calloc(1, sizeof(*f));
	f->path = dv_buf_detach(&rel);
	f->dir = dv_strdup(dir);
	f->rules = (dv_vec)DV_VEC_INIT(rule);
	for (char *line = text.ptr; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		parse_line(f, line, ++lineno);
		line = end ? end + 1 : NULL;
	}
done:
	dv_buf_free(&abs);
	dv_buf_free(&text);
	dv_buf_free(&rel);
	return f;
}

static void rule_file_free(rule_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->rules.n; i++) {
		rule *r = dv_vec_at(&f->rules, rule, i);
		free(r->pattern);
		free(r->written);
	}
	dv_vec_free(&f->rules);
	free(f->path);
	free(f->dir);
	free(f);
}

/* ---- matching ------------------------------------------------------------- */

/* One component of `pat` (up to '/' or the end) against one of `path`. */
static bool match_component(const char *pat, size_t pl, const char *seg, size_t sl)
{
	char p[1024], s[1024];
	if (pl >= sizeof(p) || sl >= sizeof(s))
		return false;
	memcpy(p, pat, pl);
	p[pl] = '\0';
	memcpy(s, seg, sl);
	s[sl] = '\0';
	return fnmatch(p, s, 0) == 0;
}

/* An anchored pattern against a whole relative path, component by
 * component; `**` takes zero or more components. */
static bool match_path(const char *pat, const char *path)
{
	const char *pe, *se;
	size_t pl;

	if (!*pat)
		return !*path;
	pe = strchr(pat, '/');
	pl = pe ? (size_t)(pe - pat) : strlen(pat);
	if (pl == 2 && pat[0] == '*' && pat[1] == '*') {
		if (!pe) /* a trailing "**": everything inside, not the directory itself */
			return *path != '\0';
		for (const char *p = path;;) {
			if (match_path(pe + 1, p))
				return true;
			if (!(p = strchr(p, '/')))
				return false;
			p++;
		}
	}
	if (!*path)
		return false;
	se = strchr(path, '/');
	if (!match_component(pat, pl, path, se ? (size_t)(se - path) : strlen(path)))
		return false;
	if (!pe || !se)
		return !pe && !se;
	return match_path(pe + 1, se + 1);
}

/* The last rule of `f` that matches `rel` (relative to f's directory). */
static const rule *file_match(const rule_file *f, const char *rel, bool is_dir)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	for (size_t i = f->rules.n; i-- > 0;) {
		const rule *r = dv_vec_at(&f->rules, rule, i);
		if (r->dir_only && !is_dir)
			continue;
		if (r->anchored ? match_path(r->pattern, rel) : fnmatch(r->pattern, base, 0) == 0)
			return r;
	}
	return NULL;
}

/* The deciding rule for `path` among `rules`, deepest file first. */
static const rule *chain_match(const dv_dvignore_dir *rules, const char *path, bool is_dir,
			       const rule_file **from)
{
	for (size_t i = rules->nchain; i-- > 0;) {
		const rule_file *f = rules->chain[i];
		size_t dl = strlen(f->dir);
		const rule *r = file_match(f, dl ? path + dl + 1 : path, is_dir);
		if (r) {
			*from = f;
			return r;
		}
	}
	return NULL;
}

/* ---- the per-directory table ------------------------------------------------ */

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void grow(dv_dvignore *ig)
{
	size_t n = ig->nbuckets ? ig->nbuckets * 2 : 64;
	struct dv_dvignore_dir **b = dv_calloc(n, sizeof(*b));
	for (size_t i = 0; i < ig->nbuckets; i++) {
		for (struct dv_dvignore_dir *d = ig->buckets[i], *next; d; d = next) {
			next = d->next;
			d->next = b[hash_str(d->dir) & (n - 1)];
			b[hash_str(d->dir) & (n - 1)] = d;
		}
	}
	free(ig->buckets);
	ig->buckets = b;
	ig->nbuckets = n;
}

/* Under ig->mu. */
static struct dv_dvignore_dir *lookup(dv_dvignore *ig, const char *dir)
{
	struct dv_dvignore_dir *d, *parent = NULL;
	char *up;

	if (ig->nbuckets)
		for (d = ig->buckets[hash_str(dir) & (ig->nbuckets - 1)]; d; d = d->next)
			if (!strcmp(d->dir, dir))
				return d;
	if (*dir) {
		up = strrchr(dir, '/') ? dv_strndup(dir, (size_t)(strrchr(dir, '/') - dir)) : dv_strdup("");
		parent = lookup(ig, up);
		free(up);
	}
	d = dv_calloc(1, sizeof(*d));
	d->dir = dv_strdup(dir);
	d->own = load_file(ig->root, dir);
	d->nchain = (parent ? parent->nchain : 0) + (d->own ? 1 : 0);
	if (d->nchain) {
		d->chain = dv_calloc(d->nchain, sizeof(*d->chain));
		if (parent && parent->nchain)
			memcpy(d->chain, parent->chain, parent->nchain * sizeof(*d->chain));
		if (d->own)
			d->chain[d->nchain - 1] = d->own;
	}
	if (ig->count + 1 > ig->nbuckets)
		grow(ig);
	d->next = ig->buckets[hash_str(dir) & (ig->nbuckets - 1)];
	ig->buckets[hash_str(dir) & (ig->nbuckets - 1)] = d;
	ig->count++;
	return d;
}

int dv_dvignore_new(dv_dvignore **out, const char *root)
{
	dv_dvignore *ig = dv_calloc(1, sizeof(*ig));
	ig->root = dv_strdup(root);
	pthread_mutex_init(&ig->mu, NULL);
	*out = ig;
	return 0;
}

void dv_dvignore_free(dv_dvignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->nbuckets; i++) {
		for (struct dv_dvignore_dir *d = ig->buckets[i], *next; d; d = next) {
			next = d->next;
			rule_file_free(d->own);
			free(d->chain);
			free(d->dir);
			free(d);
		}
	}
	free(ig->buckets);
	pthread_mutex_destroy(&ig->mu);
	free(ig->root);
	free(ig);
}

dv_dvignore *dv_repo_dvignore(dv_repo *repo)
{
	if (!repo->dvignore)
		dv_dvignore_new(&repo->dvignore, repo->root);
	return repo->dvignore;
}

const dv_dvignore_dir *dv_dvignore_rules_for(dv_dvignore *ig, const char *dir)
{
	struct dv_dvignore_dir *d;
	pthread_mutex_lock(&ig->mu);
	d = lookup(ig, dir);
	pthread_mutex_unlock(&ig->mu);
	return d->nchain ? d : NULL;
}

bool dv_dvignore_dir_ignores(const dv_dvignore_dir *rules, const char *name, bool is_dir)
{
	dv_buf path = DV_BUF_INIT;
	const rule_file *from;
	const rule *r;

	if (!rules)
		return false;
	dv_path_join(&path, rules->dir, name);
	r = chain_match(rules, path.ptr, is_dir, &from);
	dv_buf_free(&path);
	return r && !r->negate;
}

int dv_dvignore_check(bool *ignored, dv_dvignore_why *why, dv_dvignore *ig, const char *relpath, bool is_dir)
{
	char *path = dv_strdup(relpath);
	const rule_file *from = NULL;
	const rule *r = NULL;

	*ignored = false;
	if (why)
		memset(why, 0, sizeof(*why));
	/* Each directory on the way down first: one left out hides the rest. */
	for (char *slash = path; !*ignored;) {
		const dv_dvignore_dir *rules;
		bool last;
		char *dir;
		slash = strchr(slash, '/');
		last = slash == NULL;
		if (slash)
			*slash = '\0';
		dir = strrchr(path, '/') ? dv_strndup(path, (size_t)(strrchr(path, '/') - path)) : dv_strdup("");
		rules = dv_dvignore_rules_for(ig, dir);
		free(dir);
		r = rules ? chain_match(rules, path, last ? is_dir : true, &from) : NULL;
		*ignored = r && !r->negate;
		if (last)
			break;
		*slash++ = '/';
	}
	if (why && r) {
		why->file = from->path;
		why->line = r->line;
		why->pattern = r->written;
		why->negated = r->negate;
	}
	free(path);
	return 0;
}
