/*
 * sync.c - experiments between repositories: refs/exps/NAME pushed to and
 * fetched from a git remote through libgit2 (a configured remote's name,
 * or a URL: a path, file://, ssh://), so a teammate's clone sees them
 * with `dv exp show` after `dv exp pull`.  The data they reference moves
 * separately, through dv's own remote (cmd_exp_sync.c uses transfer.h).
 *
 * ssh:// uses libgit2's ssh transport: the agent first, then the usual
 * key files (~/.ssh/id_ed25519, id_ecdsa, id_rsa), or the one named by
 * DV_GIT_SSH_KEY; host keys are checked by libgit2 against known_hosts.
 */
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/exp.h"
#include "dv/fs.h"
#include "dv/git.h"

typedef struct {
	int tries;
	char *rejected;   /* the first ref the remote refused, and why */
} sync_ctx;

static int credentials_cb(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	static const char *const keys[] = { "id_ed25519", "id_ecdsa", "id_rsa", NULL };
	sync_ctx *ctx = payload;
	const char *user = user_from_url ? user_from_url : getenv("USER") ? getenv("USER") : "git";
	const char *home = getenv("HOME"), *named = getenv("DV_GIT_SSH_KEY");
	int attempt = ctx->tries++;

	(void)url;
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	if (named) {
		char *pub = dv_asprintf("%s.pub", named);
		int rc = attempt == 0 ? git_credential_ssh_key_new(out, user, dv_path_exists(pub) ? pub : NULL,
								   named, NULL)
				      : GIT_PASSTHROUGH;
		free(pub);
		return rc;
	}
	if (attempt == 0 && getenv("SSH_AUTH_SOCK"))
		return git_credential_ssh_key_from_agent(out, user);
	for (int i = 0, k = getenv("SSH_AUTH_SOCK") ? 1 : 0; keys[i] && home; i++) {
		char *priv = dv_asprintf("%s/.ssh/%s", home, keys[i]);
		if (dv_path_exists(priv) && k++ == attempt) {
			char *pub = dv_asprintf("%s.pub", priv);
			int rc = git_credential_ssh_key_new(out, user, dv_path_exists(pub) ? pub : NULL, priv, NULL);
			free(pub);
			free(priv);
			return rc;
		}
		free(priv);
	}
	return GIT_PASSTHROUGH;
}

static int push_update_cb(const char *refname, const char *status, void *payload)
{
	sync_ctx *ctx = payload;
	if (status && !ctx->rejected)
		ctx->rejected = dv_asprintf("'%s': %s", refname, status);
	return 0;
}

/* refs/exps/NAME:refs/exps/NAME for each name ('+' first with force). */
static void add_refspecs(dv_strvec *specs, const dv_strvec *names, bool force)
{
	for (size_t i = 0; i < names->n; i++)
		dv_strvec_push_take(specs, dv_asprintf("%s" DV_EXP_REF_PREFIX "%s:" DV_EXP_REF_PREFIX "%s",
						       force ? "+" : "", names->v[i], names->v[i]));
}

/* A configured remote by name, else the text as a URL. */
static int open_remote(git_remote **out, git_repository *git, const char *remote)
{
	if (git_remote_lookup(out, git, remote) == 0)
		return 0;
	if (git_remote_create_anonymous(out, git, remote) < 0) {
		int rc = dv_git_error("not a git remote name or URL");
		return dv_error_wrap(rc, "cannot use '%s'", remote);
	}
	return 0;
}

int dv_exp_push_refs(dv_repo *repo, const char *remote, const dv_strvec *names, bool force)
{
	git_repository *git = dv_repo_git(repo);
	git_remote *r = NULL;
	git_push_options po;
	dv_strvec specs = DV_STRVEC_INIT;
	git_strarray arr;
	sync_ctx ctx = { 0, NULL };
	int rc = 0;

	if (!git)
		return DV_ERROR;
	if ((rc = open_remote(&r, git, remote)) < 0)
		return rc;
	add_refspecs(&specs, names, force);
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	po.callbacks.credentials = credentials_cb;
	po.callbacks.push_update_reference = push_update_cb;
	po.callbacks.payload = &ctx;
	arr.strings = specs.v;
	arr.count = specs.n;
	if (git_remote_push(r, &arr, &po) < 0) {
		char *what = dv_asprintf("cannot push experiments to '%s'", remote);
		rc = dv_git_error(what);
		free(what);
		if (strstr(dv_error_last(), "non-fastforward"))
			rc = dv_error(DV_ERROR, "the git remote '%s' refused an experiment: one of that name differs "
				      "there (rename yours with 'dv exp branch', or push with -f to replace it)", remote);
	} else if (ctx.rejected) {
		rc = dv_error(DV_ERROR, "the remote '%s' refused %s (an experiment of that name differs there: "
			      "rename yours, or push with -f)", remote, ctx.rejected);
	}
	free(ctx.rejected);
	dv_strvec_free(&specs);
	git_remote_free(r);
	return rc;
}

int dv_exp_fetch_refs(dv_strvec *fetched, dv_repo *repo, const char *remote, const dv_strvec *names, bool force)
{
	git_repository *git = dv_repo_git(repo);
	git_remote *r = NULL;
	git_fetch_options fo;
	dv_strvec specs = DV_STRVEC_INIT;
	git_strarray arr;
	sync_ctx ctx = { 0, NULL };
	int rc = 0;

	if (!git)
		return DV_ERROR;
	if ((rc = open_remote(&r, git, remote)) < 0)
		return rc;
	if (names->n == 0)
		dv_strvec_push(&specs, force ? "+" DV_EXP_REF_PREFIX "*:" DV_EXP_REF_PREFIX "*"
					     : DV_EXP_REF_PREFIX "*:" DV_EXP_REF_PREFIX "*");
	add_refspecs(&specs, names, force);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = credentials_cb;
	fo.callbacks.payload = &ctx;
	/* Only what was asked: no tags, no pruning of other refs. */
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	arr.strings = specs.v;
	arr.count = specs.n;
	if (git_remote_fetch(r, &arr, &fo, "dv exp pull") < 0) {
		char *what = dv_asprintf("cannot fetch experiments from '%s'", remote);
		rc = dv_git_error(what);
		free(what);
		goto done;
	}
	for (size_t i = 0; i < names->n; i++) {
		dv_exp_info e;
		if ((rc = dv_exp_lookup(&e, repo, names->v[i])) < 0) {
			rc = dv_error(DV_ENOTFOUND, "the git remote '%s' has no experiment '%s'", remote, names->v[i]);
			goto done;
		}
		dv_strvec_push(fetched, e.name);
		dv_exp_info_clear(&e);
	}
	if (names->n == 0) {
		dv_vec all;
		if ((rc = dv_exp_list(&all, repo)) < 0)
			goto done;
		for (size_t i = 0; i < all.n; i++)
			dv_strvec_push(fetched, dv_vec_at(&all, dv_exp_info, i)->name);
		dv_exp_list_free(&all);
	}
done:
	dv_strvec_free(&specs);
	git_remote_free(r);
	return rc;
}
