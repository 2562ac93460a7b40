/*
 * exp.c - experiments as git commits on refs/exps/NAME (see exp.h): the
 * sweep grammar and grid, params overrides, names, recording a work tree
 * as a commit, the temporary worktrees sweeps run in, and the ref
 * operations behind exp list/remove/branch/apply.
 *
 * A commit is recorded without touching any index: base's tree is read
 * into an in-memory index, the work tree's differences from it (git's own
 * diff, so .gitignore and dv's ignored outs are respected) are added as
 * blobs, and the tree is written from that index.  The user's index and
 * HEAD stay as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/config.h"
#include "dv/error.h"
#include "dv/exp.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/metrics.h"
#include "dv/params.h"
#include "dv/stage.h"
#include "dv/workspace.h"

/* ---- sweeps ---------------------------------------------------------- */

/* Split "a,b,c" at top-level commas (not inside [], {}, () or quotes). */
static void split_list(dv_strvec *out, const char *s, size_t len)
{
	size_t start = 0;
	int depth = 0;
	char quote = 0;

	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : ',';
		if (quote) {
			if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '"' || c == '\'')
			quote = c;
		else if (c == '[' || c == '{' || c == '(')
			depth++;
		else if ((c == ']' || c == '}' || c == ')') && depth > 0)
			depth--;
		else if (c == ',' && depth == 0) {
			size_t a = start, b = i;
			while (a < b && (s[a] == ' ' || s[a] == '\t'))
				a++;
			while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			dv_strvec_push_take(out, dv_strndup(s + a, b - a));
			start = i + 1;
		}
	}
}

static bool parse_double(double *out, const char *s)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return end != s && !*end && errno == 0 && isfinite(*out);
}

/* range(START,STOP[,STEP]) with STOP excluded; numbers printed in their
 * shortest exact form, computed as START + i*STEP (no drift). */
static int expand_range(dv_strvec *out, const char *arg, const char *inner, size_t len)
{
	dv_strvec parts = DV_STRVEC_INIT;
	double a, b, step = 1;
	bool ints;
	int rc = 0;

	split_list(&parts, inner, len);
	if (parts.n < 2 || parts.n > 3 || !parse_double(&a, parts.v[0]) || !parse_double(&b, parts.v[1]) ||
	    (parts.n == 3 && !parse_double(&step, parts.v[2])) || step == 0) {
		rc = dv_error(DV_EUSAGE, "bad range in '%s': write range(START,STOP[,STEP]) with numbers, STEP not 0",
			      arg);
		goto done;
	}
	ints = a == floor(a) && step == floor(step);
	for (long i = 0;; i++) {
		double v = a + (double)i * step;
		dv_buf t = DV_BUF_INIT;
		if ((step > 0 && v >= b - fabs(step) * 1e-9) || (step < 0 && v <= b + fabs(step) * 1e-9))
			break;
		if (i >= 100000) {
			rc = dv_error(DV_EUSAGE, "range in '%s' gives more than 100000 values", arg);
			goto done;
		}
		if (ints) {
			dv_buf_printf(&t, "%.0f", v);
		} else {
			/* 12 significant digits hide the binary noise of
			 * 0.1 + 2*0.1 and still tell every step apart. */
			double r;
			char tmp[64];
			snprintf(tmp, sizeof(tmp), "%.12g", v);
			r = strtod(tmp, NULL);
			dv_metrics_format_number(&t, r);
		}
		dv_strvec_push_take(out, dv_buf_detach(&t));
	}
	if (!out->n)
		rc = dv_error(DV_EUSAGE, "range in '%s' is empty", arg);
done:
	dv_strvec_free(&parts);
	return rc;
}

int dv_exp_sweep_parse(dv_exp_sweep *out, const char *arg, const char *dflt_file)
{
	const char *eq = strchr(arg, '='), *colon, *v;
	size_t vlen;

	memset(out, 0, sizeof(*out));
	if (!eq || eq == arg)
		return dv_error(DV_EUSAGE, "-S needs [FILE:]KEY=VALUE, not '%s'", arg);
	colon = memchr(arg, ':', (size_t)(eq - arg));
	if (colon) {
		out->file = dv_strndup(arg, (size_t)(colon - arg));
		out->key = dv_strndup(colon + 1, (size_t)(eq - colon - 1));
	} else {
		out->file = dv_strdup(dflt_file);
		out->key = dv_strndup(arg, (size_t)(eq - arg));
	}
	if (!*out->key || !*out->file) {
		dv_exp_sweep_free(out);
		return dv_error(DV_EUSAGE, "-S needs [FILE:]KEY=VALUE, not '%s'", arg);
	}
	v = eq + 1;
	vlen = strlen(v);
	if (!strncmp(v, "range(", 6) && vlen > 6 && v[vlen - 1] == ')') {
		int rc = expand_range(&out->values, arg, v + 6, vlen - 7);
		if (rc < 0)
			dv_exp_sweep_free(out);
		return rc;
	}
	if (!strncmp(v, "choice(", 7) && vlen > 7 && v[vlen - 1] == ')')
		split_list(&out->values, v + 7, vlen - 8);
	else if ((v[0] == '[' && v[vlen - 1] == ']') || (v[0] == '{' && v[vlen - 1] == '}'))
		dv_strvec_push(&out->values, v);
	else
		split_list(&out->values, v, vlen);
	for (size_t i = 0; i < out->values.n; i++)
		if (!*out->values.v[i]) {
			dv_exp_sweep_free(out);
			return dv_error(DV_EUSAGE, "empty value in '-S %s'", arg);
		}
	return 0;
}

void dv_exp_sweep_free(dv_exp_sweep *s)
{
	free(s->file);
	free(s->key);
	dv_strvec_free(&s->values);
	memset(s, 0, sizeof(*s));
}

/* splitmix64: a seeded, portable generator, so --seed S draws the same
 * points on every machine. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void grid_point(dv_strvec *out, const dv_exp_sweep *sweeps, size_t n, size_t index)
{
	size_t digits[n ? n : 1];

	/* The last sweep varies fastest. */
	for (size_t i = n; i-- > 0;) {
		digits[i] = index % sweeps[i].values.n;
		index /= sweeps[i].values.n;
	}
	for (size_t i = 0; i < n; i++)
		dv_strvec_push_take(out, dv_asprintf("%s:%s=%s", sweeps[i].file, sweeps[i].key,
						     sweeps[i].values.v[digits[i]]));
}

void dv_exp_grid(dv_vec *out, const dv_exp_sweep *sweeps, size_t n, size_t random_n, uint64_t seed)
{
	size_t total = 1, *pick = NULL, count;

	*out = (dv_vec)DV_VEC_INIT(dv_strvec);
	for (size_t i = 0; i < n; i++)
		total = total * sweeps[i].values.n;
	count = random_n && random_n < total ? random_n : total;
	if (random_n && random_n < total) {
		/* A partial Fisher-Yates over the indices: distinct points. */
		uint64_t st = seed;
		size_t *idx = dv_malloc(total * sizeof(*idx));
		for (size_t i = 0; i < total; i++)
			idx[i] = i;
		for (size_t i = 0; i < count; i++) {
			size_t j = i + (size_t)(splitmix64(&st) % (total - i));
			size_t t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
		}
		pick = idx;
	}
	for (size_t i = 0; i < count; i++) {
		dv_strvec *p = dv_vec_push(out);
		grid_point(p, sweeps, n, pick ? pick[i] : i);
	}
	free(pick);
}

void dv_exp_grid_free(dv_vec *grid)
{
	for (size_t i = 0; i < grid->n; i++)
		dv_strvec_free(dv_vec_at(grid, dv_strvec, i));
	dv_vec_free(grid);
}

void dv_exp_override_split(char **file, char **key, char **value, const char *ov)
{
	const char *eq = strchr(ov, '=');
	const char *colon = memchr(ov, ':', eq ? (size_t)(eq - ov) : strlen(ov));

	*file = dv_strndup(ov, colon ? (size_t)(colon - ov) : 0);
	*key = colon && eq ? dv_strndup(colon + 1, (size_t)(eq - colon - 1)) : dv_strdup("");
	*value = dv_strdup(eq ? eq + 1 : "");
}

/* ---- overrides ------------------------------------------------------- */

int dv_exp_overrides_check(dv_repo *repo, const char *rev, const dv_strvec *overrides)
{
	dv_buf text = DV_BUF_INIT, out = DV_BUF_INIT, path = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < overrides->n && rc == 0; i++) {
		char *file, *key, *value;
		dv_exp_override_split(&file, &key, &value, overrides->v[i]);
		dv_buf_reset(&text);
		if (rev) {
			rc = dv_git_read_blob(&text, repo, rev, file);
		} else {
			dv_repo_abspath(&path, repo, file);
			rc = dv_read_file(&text, path.ptr);
			if (rc < 0 && !dv_path_exists(path.ptr))
				rc = DV_ENOTFOUND;
		}
		if (rc == DV_ENOTFOUND)
			rc = dv_error(DV_ENOTFOUND, "cannot set '%s': params file '%s' does not exist%s; name the file "
				      "as -S FILE:KEY=VALUE", key, file, rev ? " in the commit experiments start from" : "");
		if (rc == 0) {
			dv_buf_reset(&out);
			rc = dv_params_edit_text(&out, file, text.ptr, text.len, key, value);
			if (rc == DV_ENOTFOUND)
				rc = dv_error(DV_ENOTFOUND, "unknown param '%s' in '%s': no such key there (check the "
					      "spelling, or add it to the file first)", key, file);
		}
		free(file);
		free(key);
		free(value);
	}
	dv_buf_free(&text);
	dv_buf_free(&out);
	dv_buf_free(&path);
	return rc;
}

int dv_exp_overrides_apply(dv_repo *repo, const dv_strvec *overrides)
{
	dv_buf path = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < overrides->n && rc == 0; i++) {
		char *file, *key, *value;
		dv_exp_override_split(&file, &key, &value, overrides->v[i]);
		if ((rc = dv_repo_check_path(repo, file, DV_PATH_FINAL)) == 0) {
			dv_repo_abspath(&path, repo, file);
			rc = dv_params_edit_file(path.ptr, file, key, value);
		}
		free(file);
		free(key);
		free(value);
	}
	dv_buf_free(&path);
	return rc;
}

/* ---- names ----------------------------------------------------------- */

bool dv_exp_name_valid(const char *name)
{
	char *ref;
	int valid = 0;

	if (!*name || strchr(name, '/') || strlen(name) > 100)
		return false;
	ref = dv_asprintf(DV_EXP_REF_PREFIX "%s", name);
	dv_git_global_init();
	if (git_reference_name_is_valid(&valid, ref) < 0)
		valid = 0;
	free(ref);
	return valid != 0;
}

static bool ref_exists(dv_repo *repo, const char *name)
{
	git_repository *git = dv_repo_git(repo);
	git_oid oid;
	char *ref = dv_asprintf(DV_EXP_REF_PREFIX "%s", name);
	bool yes = git && git_reference_name_to_id(&oid, git, ref) == 0;

	free(ref);
	return yes;
}

bool dv_exp_name_taken(dv_repo *repo, const char *name)
{
	static const char *const dirs[] = { "exps/queue", "exps/running", NULL };
	dv_buf p = DV_BUF_INIT;
	bool taken = ref_exists(repo, name);

	for (int i = 0; dirs[i] && !taken; i++) {
		dv_buf_printf(&p, "%s/%s/%s.json", repo->dvdir, dirs[i], name);
		taken = dv_path_exists(p.ptr);
		dv_buf_reset(&p);
	}
	dv_buf_free(&p);
	return taken;
}

static uint64_t random_seed(void)
{
	uint64_t v = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	struct timespec ts;

	if (fd >= 0) {
		if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			v = 0;
		close(fd);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return v ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
}

char *dv_exp_name_generate(dv_repo *repo)
{
	static const char cons[] = "bdfgklmnprstvz", vow[] = "aeiou";
	uint64_t st = random_seed();

	for (;;) {
		char name[16];
		int k = 0;
		/* Two words, consonant-vowel-consonant-vowel-consonant: 14^3*5^2
		 * each, about 4.7e9 names in all. */
		for (int w = 0; w < 2; w++) {
			if (w)
				name[k++] = '-';
			for (int i = 0; i < 5; i++) {
				uint64_t r = splitmix64(&st);
				name[k++] = i % 2 ? vow[r % 5] : cons[r % 14];
			}
		}
		name[k] = '\0';
		if (!dv_exp_name_taken(repo, name))
			return dv_strdup(name);
	}
}

/* ---- recording ------------------------------------------------------- */

static int lookup_commit(git_commit **out, git_repository *git, const char *hex)
{
	git_oid oid;
	if (git_oid_fromstr(&oid, hex) < 0 || git_commit_lookup(out, git, &oid) < 0)
		return dv_git_error("cannot read commit");
	return 0;
}

static int default_signature(git_signature **sig, git_repository *git)
{
	if (git_signature_default(sig, git) == 0)
		return 0;
	/* Experiments are local records: no identity set is no reason to
	 * lose a run. */
	if (git_signature_now(sig, "dv", "dv@localhost") < 0)
		return dv_git_error("cannot make a commit signature");
	return 0;
}

/* The tree of base plus the work tree's differences from it. */
static int worktree_tree(git_oid *tree_id, git_repository *git, git_tree *base_tree)
{
	git_diff_options dopts;
	git_diff *diff = NULL;
	git_index *idx = NULL;
	int rc = 0;

	git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
	dopts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS | GIT_DIFF_INCLUDE_TYPECHANGE;
	if (git_index_new(&idx) < 0 || git_index_read_tree(idx, base_tree) < 0 ||
	    git_diff_tree_to_workdir(&diff, git, base_tree, &dopts) < 0) {
		rc = dv_git_error("cannot compare the work tree with the experiment's base");
		goto done;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		git_index_entry e;
		if (d->status == GIT_DELTA_DELETED) {
			git_index_remove(idx, d->old_file.path, 0);
			continue;
		}
		if (d->new_file.mode == GIT_FILEMODE_COMMIT || d->new_file.mode == GIT_FILEMODE_TREE)
			continue; /* submodules and nested repositories stay as they were */
		memset(&e, 0, sizeof(e));
		e.path = d->new_file.path;
		e.mode = d->new_file.mode ? d->new_file.mode : GIT_FILEMODE_BLOB;
		if (git_blob_create_from_workdir(&e.id, git, d->new_file.path) < 0 || git_index_add(idx, &e) < 0) {
			rc = dv_git_error("cannot record a file of the experiment");
			dv_error_wrap(rc, "'%s'", d->new_file.path);
			goto done;
		}
	}
	if (git_index_write_tree_to(tree_id, idx, git) < 0)
		rc = dv_git_error("cannot write the experiment's tree");
done:
	git_diff_free(diff);
	git_index_free(idx);
	return rc;
}

int dv_exp_record(char commit_out[41], dv_repo *repo, const char *base, const char *name, const char *message,
		  bool failed)
{
	git_repository *git = dv_repo_git(repo);
	git_commit *parent = NULL;
	git_tree *base_tree = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_oid tree_id, commit_id;
	dv_buf msg = DV_BUF_INIT;
	char *refname = dv_asprintf(DV_EXP_REF_PREFIX "%s", name);
	int rc;

	if (!git) {
		rc = DV_ERROR;
		goto done;
	}
	if ((rc = lookup_commit(&parent, git, base)) < 0)
		goto done;
	if (git_commit_tree(&base_tree, parent) < 0) {
		rc = dv_git_error("cannot read the base commit's tree");
		goto done;
	}
	if ((rc = worktree_tree(&tree_id, git, base_tree)) < 0)
		goto done;
	if (git_tree_lookup(&tree, git, &tree_id) < 0 || (rc = default_signature(&sig, git)) < 0) {
		rc = rc < 0 ? rc : dv_git_error("cannot read the experiment's tree");
		goto done;
	}
	dv_buf_printf(&msg, "%s\n\ndv-exp: %s\n", message && *message ? message : name, name);
	if (failed)
		dv_buf_puts(&msg, "dv-exp-state: failed\n");
	if (git_commit_create(&commit_id, git, NULL, sig, sig, NULL, msg.ptr, tree, 1,
			      (const git_commit **)&parent) < 0) {
		rc = dv_git_error("cannot commit the experiment");
		goto done;
	}
	if (git_reference_create(&ref, git, refname, &commit_id, 0, "dv exp") < 0) {
		rc = dv_git_error("cannot record the experiment");
		dv_error_wrap(rc, "'%s'", refname);
		goto done;
	}
	if (commit_out)
		git_oid_tostr(commit_out, 41, &commit_id);
done:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base_tree);
	git_commit_free(parent);
	dv_buf_free(&msg);
	free(refname);
	return rc;
}

/* ---- the worktree pool ---------------------------------------------- */

#define POOL_MAX 256

static char *slot_file(dv_repo *repo, int k, const char *suffix)
{
	return dv_asprintf("%s/tmp/exps/pool/%d%s", repo->dvdir, k, suffix);
}

static char *slot_admin(dv_repo *repo, int k)
{
	git_repository *git = dv_repo_git(repo);
	return git ? dv_asprintf("%sworktrees/dv-exp-pool-%d", git_repository_commondir(git), k) : NULL;
}

static int write_text(const char *dir, const char *file, const char *text)
{
	char *p = dv_asprintf("%s/%s", dir, file);
	int rc = dv_write_file_atomic(p, text, strlen(text), 0644);
	free(p);
	return rc;
}

/* A new linked worktree at `wt` (git's side at `admin`) with HEAD
 * detached at `base` and git's files checked out. */
static int slot_make(const char *wt, const char *admin, const char *base)
{
	git_repository *wgit = NULL;
	git_checkout_options co;
	char *t = NULL;
	int rc = 0;

	if ((rc = dv_mkdir_parent(admin)) < 0 || (rc = dv_mkdir_parent(wt)) < 0)
		return rc;
	if (mkdir(admin, 0777) < 0 || mkdir(wt, 0777) < 0)
		return dv_error_errno(DV_ERROR, "cannot make the experiment worktree '%s'", wt);
	t = dv_asprintf("%s/.git\n", wt);
	if ((rc = write_text(admin, "gitdir", t)) < 0 || (rc = write_text(admin, "commondir", "../..\n")) < 0)
		goto done;
	free(t);
	t = dv_asprintf("%s\n", base);
	if ((rc = write_text(admin, "HEAD", t)) < 0)
		goto done;
	free(t);
	t = dv_asprintf("gitdir: %s\n", admin);
	if ((rc = write_text(wt, ".git", t)) < 0)
		goto done;
	if (git_repository_open(&wgit, wt) < 0) {
		rc = dv_git_error("cannot open the experiment's worktree");
		goto done;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_head(wgit, &co) < 0)
		rc = dv_git_error("cannot check out the experiment's worktree");
done:
	git_repository_free(wgit);
	free(t);
	return rc;
}

/* Bring a kept worktree to `base`: HEAD, index and git's files (the
 * untracked and ignored files an earlier experiment left are
 * dv_exp_slot_prune's). */
static int slot_reset(const char *wt, const char *admin, const char *base)
{
	git_repository *wgit = NULL;
	git_object *target = NULL;
	git_checkout_options co;
	dv_buf gitfile = DV_BUF_INIT;
	char *p = dv_asprintf("%s/.git", wt), *want = dv_asprintf("gitdir: %s\n", admin);
	git_oid oid;
	int rc = 0;

	/* Only a worktree that is still ours: .git names its admin dir. */
	if (dv_read_file(&gitfile, p) < 0 || strcmp(gitfile.ptr, want) || !dv_is_dir(admin)) {
		rc = DV_ERROR;
		goto done;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_repository_open(&wgit, wt) < 0 || git_oid_fromstr(&oid, base) < 0 ||
	    git_object_lookup(&target, wgit, &oid, GIT_OBJECT_COMMIT) < 0 ||
	    git_reset(wgit, target, GIT_RESET_HARD, &co) < 0)
		rc = dv_git_error("cannot reset the experiment's worktree");
done:
	git_object_free(target);
	git_repository_free(wgit);
	dv_buf_free(&gitfile);
	free(p);
	free(want);
	return rc;
}

static void slot_remove(dv_repo *repo, int k)
{
	char *wt = slot_file(repo, k, ""), *ready = slot_file(repo, k, ".ready"), *admin = slot_admin(repo, k);

	/* The mark goes first: a removal cut short is a half-made worktree. */
	unlink(ready);
	free(ready);
	ready = slot_file(repo, k, ".outs");
	unlink(ready);
	dv_remove_tree(wt);
	if (admin)
		dv_remove_tree(admin);
	free(wt);
	free(ready);
	free(admin);
}

/* The main tree's per-clone settings (remotes, credentials) hold in its
 * experiments too; links into the shared cache make the checkout cheap
 * unless the user chose otherwise. */
static int slot_config(dv_repo *repo, const char *wt)
{
	dv_buf src = DV_BUF_INIT, conf = DV_BUF_INIT;
	int rc = 0;

	dv_path_join(&src, repo->dvdir, "config.local");
	if (dv_read_file(&conf, src.ptr) < 0)
		dv_buf_reset(&conf);
	if (!dv_config_get(repo->config, "cache.type"))
		dv_buf_puts(&conf, "\n# dv exp: the experiment links its data from the shared cache\n"
				   "[cache]\ntype = reflink,hardlink,copy\n");
	dv_buf_printf(&src, "%s/.dv", wt);
	if (dv_is_dir(src.ptr)) {
		dv_buf_puts(&src, "/config.local");
		if (conf.len)
			rc = dv_write_file_atomic(src.ptr, conf.ptr, conf.len, 0600);
		else
			unlink(src.ptr);
	}
	dv_buf_free(&src);
	dv_buf_free(&conf);
	return rc;
}

/* "HASH\tPATH": one out as the ".outs" file of a kept worktree lists it. */
static char *held_line(const dv_stage *st, const dv_stage_file *o)
{
	char text[DV_HASH_HEXLEN + 16];
	char *rel = dv_stage_entry_relpath(st, o->path), *line;

	dv_hash_format(text, sizeof(text), &o->hash, o->is_dir);
	line = dv_asprintf("%s\t%s", text, rel);
	free(rel);
	return line;
}

/* What the worktree held when it was let go cleanly, read once: the file
 * goes at once, so an experiment killed from here on leaves no claim. */
static void slot_load_held(dv_exp_slot *slot, dv_repo *repo)
{
	char *path = slot_file(repo, slot->slot, ".outs");
	dv_buf text = DV_BUF_INIT;

	if (dv_read_file(&text, path) == 0) {
		char *save = NULL;
		for (char *line = strtok_r(text.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			dv_strvec_push(&slot->held, line);
	}
	unlink(path);
	dv_buf_free(&text);
	free(path);
}

/* A new worktree starts with the main tree's stat cache: each entry is
 * checked against its file's stat as ever, and the cache objects the main
 * tree knows unchanged (its links, or objects it verified) are then not
 * read again to verify them before they are linked. */
static void slot_seed_statcache(dv_repo *repo, const char *wt)
{
	dv_buf from = DV_BUF_INIT, to = DV_BUF_INIT, data = DV_BUF_INIT;

	dv_path_join(&from, repo->dvdir, "state");
	dv_buf_printf(&to, "%s/.dv", wt);
	if (dv_is_dir(to.ptr) && dv_read_file(&data, from.ptr) == 0) {
		dv_buf_puts(&to, "/state");
		if (dv_write_file_atomic_nosync(to.ptr, data.ptr, data.len, 0644) < 0) {
			/* only slower: the objects are read to verify them */
		}
	}
	dv_buf_free(&from);
	dv_buf_free(&to);
	dv_buf_free(&data);
}

int dv_exp_slot_acquire(dv_exp_slot *out, dv_repo *repo, const char *base)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->lock_fd = -1;
	for (int k = 0; k < POOL_MAX; k++) {
		char *lock = slot_file(repo, k, ".lock"), *ready, *wt, *admin;
		int fd;
		if (k == 0 && (rc = dv_mkdir_parent(lock)) < 0) {
			free(lock);
			return rc;
		}
		fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		free(lock);
		if (fd < 0)
			return dv_error_errno(DV_ERROR, "cannot open the lock of experiment worktree %d", k);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			continue; /* another experiment has it */
		}
		ready = slot_file(repo, k, ".ready");
		wt = slot_file(repo, k, "");
		admin = slot_admin(repo, k);
		out->slot = k;
		out->reused = admin && dv_path_exists(ready) && slot_reset(wt, admin, base) == 0;
		if (out->reused)
			slot_load_held(out, repo);
		if (!out->reused) {
			slot_remove(repo, k);
			rc = admin ? slot_make(wt, admin, base) : DV_ERROR;
			if (rc == 0) {
				slot_seed_statcache(repo, wt);
				rc = dv_write_file_atomic(ready, "", 0, 0644);
			}
			if (rc < 0)
				slot_remove(repo, k);
		}
		if (rc == 0)
			rc = slot_config(repo, wt);
		free(ready);
		free(admin);
		if (rc < 0) {
			dv_strvec_free(&out->held);
			free(wt);
			close(fd);
			return rc;
		}
		out->path = wt;
		out->slot = k;
		out->lock_fd = fd;
		return 0;
	}
	return dv_error(DV_ELOCKED, "all %d experiment worktrees are busy: wait for a sweep to finish", POOL_MAX);
}

/* Is `path` an out with a hash of `stages`, inside one, or a directory
 * holding one? */
static bool slot_keeps(const dv_vec *stages, const char *path)
{
	size_t plen = strlen(path);
	bool keep = false;

	for (size_t i = 0; i < stages->n && !keep; i++) {
		const dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n && !keep; j++) {
			const dv_stage_file *o = dv_stage_out(st, j);
			char *full;
			size_t olen;
			if (!o->has_hash || !o->cache)
				continue;
			full = dv_stage_entry_relpath(st, o->path);
			olen = strlen(full);
			keep = (olen == plen && !memcmp(full, path, plen)) ||
			       (plen > olen && !memcmp(full, path, olen) && path[olen] == '/') ||
			       (olen > plen && !memcmp(full, path, plen) && full[plen] == '/');
			free(full);
		}
	}
	return keep;
}

int dv_exp_slot_checkout(dv_exp_slot *slot, dv_repo *wrepo, const dv_vec *stages, dv_vec *report)
{
	dv_checkout_opts co = { .force = true };
	size_t before = report->n;
	int rc = 0;

	for (size_t i = 0; i < stages->n; i++) {
		const dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n; j++) {
			dv_stage_file *o = dv_stage_out(st, j);
			char *line, *rel;
			bool held = false;
			if (!o->cache || !o->has_hash)
				continue;
			line = held_line(st, o);
			for (size_t k = 0; k < slot->held.n && !held; k++)
				held = !strcmp(slot->held.v[k], line);
			free(line);
			/* The very bytes are there, linked, untouched since; unless a
			 * dv gc took the object since, which a checkout then reports. */
			if (held && dv_cache_has(wrepo->cache, &o->hash, o->is_dir))
				continue;
			rel = dv_stage_entry_relpath(st, o->path);
			dv_workspace_checkout_entry(wrepo, o, rel, &co, report);
			free(rel);
		}
	}
	for (size_t i = before; i < report->n; i++) {
		dv_checkout_result r = dv_vec_at(report, dv_checkout_item, i)->result;
		if (r == DV_CO_MISSING || r == DV_CO_FAILED || r == DV_CO_KEPT)
			rc = DV_ERROR;
	}
	slot->whole = rc == 0;
	return rc;
}

int dv_exp_slot_save_held(dv_exp_slot *slot, dv_repo *repo, const dv_vec *stages)
{
	dv_buf text = DV_BUF_INIT;
	char *path;
	int rc;

	if (!slot->whole)
		return 0;
	for (size_t i = 0; i < stages->n; i++) {
		const dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n; j++) {
			const dv_stage_file *o = dv_stage_out(st, j);
			char *line;
			if (!o->cache || !o->has_hash)
				continue;
			line = held_line(st, o);
			dv_buf_printf(&text, "%s\n", line);
			free(line);
		}
	}
	path = slot_file(repo, slot->slot, ".outs");
	rc = dv_write_file_atomic_nosync(path, text.ptr ? text.ptr : "", text.len, 0644);
	free(path);
	dv_buf_free(&text);
	return rc;
}

int dv_exp_slot_prune(dv_repo *wrepo, const dv_vec *stages)
{
	git_repository *git = dv_repo_git(wrepo);
	git_status_options so;
	git_status_list *list = NULL;
	dv_buf abs = DV_BUF_INIT;
	int rc = 0;

	if (!git)
		return DV_ERROR;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
	so.flags = GIT_STATUS_OPT_INCLUDE_IGNORED | GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, git, &so) < 0)
		return dv_git_error("cannot list the experiment worktree's untracked files");
	for (size_t i = 0; i < git_status_list_entrycount(list) && rc == 0; i++) {
		const git_status_entry *s = git_status_byindex(list, i);
		char *path;
		size_t n;
		if (!(s->status & (GIT_STATUS_IGNORED | GIT_STATUS_WT_NEW)) || !s->index_to_workdir)
			continue;
		path = dv_strdup(s->index_to_workdir->old_file.path);
		n = strlen(path);
		if (n && path[n - 1] == '/')
			path[n - 1] = '\0';
		if (strcmp(path, ".dv") && strncmp(path, ".dv/", 4) &&
		    ((s->status & GIT_STATUS_WT_NEW) || !slot_keeps(stages, path))) {
			dv_repo_abspath(&abs, wrepo, path);
			rc = dv_remove_tree(abs.ptr);
		}
		free(path);
	}
	git_status_list_free(list);
	dv_buf_free(&abs);
	return rc;
}

void dv_exp_slot_release(dv_exp_slot *slot, dv_repo *repo, bool discard)
{
	if (slot->lock_fd >= 0) {
		if (discard)
			slot_remove(repo, slot->slot);
		close(slot->lock_fd);
	}
	free(slot->path);
	dv_strvec_free(&slot->held);
	memset(slot, 0, sizeof(*slot));
	slot->lock_fd = -1;
}

/* ---- refs ------------------------------------------------------------ */

void dv_exp_info_clear(dv_exp_info *e)
{
	free(e->name);
	free(e->message);
	memset(e, 0, sizeof(*e));
}

static int info_from_ref(dv_exp_info *out, git_repository *git, const char *refname, const git_oid *id)
{
	git_commit *c = NULL;
	const char *msg, *nl;

	memset(out, 0, sizeof(*out));
	if (git_commit_lookup(&c, git, id) < 0)
		return dv_git_error("cannot read an experiment's commit");
	out->name = dv_strdup(refname + strlen(DV_EXP_REF_PREFIX));
	git_oid_tostr(out->commit, 41, id);
	if (git_commit_parentcount(c) > 0)
		git_oid_tostr(out->base, 41, git_commit_parent_id(c, 0));
	out->time = (int64_t)git_commit_time(c);
	msg = git_commit_message(c);
	nl = strchr(msg, '\n');
	out->message = nl ? dv_strndup(msg, (size_t)(nl - msg)) : dv_strdup(msg);
	out->failed = strstr(msg, "\ndv-exp-state: failed") != NULL;
	git_commit_free(c);
	return 0;
}

struct list_ctx {
	git_repository *git;
	dv_vec *out;
	int rc;
};

static int list_one(const char *refname, void *vctx)
{
	struct list_ctx *ctx = vctx;
	git_oid id;
	dv_exp_info info;

	if (git_reference_name_to_id(&id, ctx->git, refname) < 0)
		return 0;
	if (info_from_ref(&info, ctx->git, refname, &id) < 0) {
		ctx->rc = DV_ERROR;
		return 0;
	}
	*(dv_exp_info *)dv_vec_push(ctx->out) = info;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const dv_exp_info *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return strcmp(x->name, y->name);
}

int dv_exp_list(dv_vec *out, dv_repo *repo)
{
	git_repository *git = dv_repo_git(repo);
	struct list_ctx ctx = { git, out, 0 };

	*out = (dv_vec)DV_VEC_INIT(dv_exp_info);
	if (!git)
		return DV_ERROR;
	if (git_reference_foreach_glob(git, DV_EXP_REF_PREFIX "*", list_one, &ctx) < 0)
		return dv_git_error("cannot list experiments");
	if (out->n)
		qsort(out->items, out->n, sizeof(dv_exp_info), by_time);
	return ctx.rc;
}

void dv_exp_list_free(dv_vec *list)
{
	for (size_t i = 0; i < list->n; i++)
		dv_exp_info_clear(dv_vec_at(list, dv_exp_info, i));
	dv_vec_free(list);
}

int dv_exp_lookup(dv_exp_info *out, dv_repo *repo, const char *name)
{
	git_repository *git = dv_repo_git(repo);
	char *refname;
	git_oid id;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!git)
		return DV_ERROR;
	if (!strncmp(name, DV_EXP_REF_PREFIX, strlen(DV_EXP_REF_PREFIX)))
		name += strlen(DV_EXP_REF_PREFIX);
	refname = dv_asprintf(DV_EXP_REF_PREFIX "%s", name);
	if (!dv_exp_name_valid(name) || git_reference_name_to_id(&id, git, refname) < 0)
		rc = dv_error(DV_ENOTFOUND, "no experiment '%s': 'dv exp list' names them", name);
	else
		rc = info_from_ref(out, git, refname, &id);
	free(refname);
	return rc;
}

int dv_exp_delete(dv_repo *repo, const char *name)
{
	git_repository *git = dv_repo_git(repo);
	git_reference *ref = NULL;
	char *refname = dv_asprintf(DV_EXP_REF_PREFIX "%s", name);
	int rc = 0;

	if (!git)
		rc = DV_ERROR;
	else if (git_reference_lookup(&ref, git, refname) < 0)
		rc = dv_error(DV_ENOTFOUND, "no experiment '%s': 'dv exp list' names them", name);
	else if (git_reference_delete(ref) < 0)
		rc = dv_git_error("cannot remove the experiment");
	git_reference_free(ref);
	free(refname);
	return rc;
}

int dv_exp_branch(dv_repo *repo, const char *name, const char *branch)
{
	git_repository *git = dv_repo_git(repo);
	git_commit *c = NULL;
	git_reference *ref = NULL;
	dv_exp_info e;
	int rc;

	if ((rc = dv_exp_lookup(&e, repo, name)) < 0)
		return rc;
	if ((rc = lookup_commit(&c, git, e.commit)) == 0 && git_branch_create(&ref, git, branch, c, 0) < 0) {
		rc = dv_git_error("cannot create the branch");
		dv_error_wrap(rc, "'%s'", branch);
	}
	git_reference_free(ref);
	git_commit_free(c);
	dv_exp_info_clear(&e);
	return rc;
}

/* ---- apply ----------------------------------------------------------- */

int dv_exp_workspace_changes(dv_strvec *out, dv_repo *repo)
{
	git_repository *git = dv_repo_git(repo);
	git_status_options so;
	git_status_list *list = NULL;

	if (!git)
		return DV_ERROR;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, git, &so) < 0)
		return dv_git_error("cannot read git status");
	for (size_t i = 0; i < git_status_list_entrycount(list); i++) {
		const git_status_entry *s = git_status_byindex(list, i);
		const git_diff_delta *d = s->head_to_index ? s->head_to_index : s->index_to_workdir;
		if (d)
			dv_strvec_push(out, d->new_file.path ? d->new_file.path : d->old_file.path);
	}
	git_status_list_free(list);
	return 0;
}

int dv_exp_apply_files(dv_strvec *changed, dv_repo *repo, const dv_exp_info *e)
{
	git_repository *git = dv_repo_git(repo);
	git_commit *c = NULL, *parent = NULL;
	git_tree *t = NULL, *pt = NULL;
	git_diff *diff = NULL;
	git_checkout_options co;
	dv_strvec paths = DV_STRVEC_INIT;
	int rc;

	if ((rc = lookup_commit(&c, git, e->commit)) < 0)
		return rc;
	if (git_commit_tree(&t, c) < 0 || (git_commit_parentcount(c) && git_commit_parent(&parent, c, 0) < 0) ||
	    (parent && git_commit_tree(&pt, parent) < 0) || git_diff_tree_to_tree(&diff, git, pt, t, NULL) < 0) {
		rc = dv_git_error("cannot read the experiment's changes");
		goto done;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		dv_strvec_push(&paths, d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path);
	}
	if (paths.n) {
		git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
		co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
		co.paths.strings = paths.v;
		co.paths.count = paths.n;
		if (git_checkout_tree(git, (git_object *)c, &co) < 0) {
			rc = dv_git_error("cannot write the experiment's files");
			goto done;
		}
	}
	if (changed)
		for (size_t i = 0; i < paths.n; i++)
			dv_strvec_push(changed, paths.v[i]);
done:
	dv_strvec_free(&paths);
	git_diff_free(diff);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(parent);
	git_commit_free(c);
	return rc;
}
