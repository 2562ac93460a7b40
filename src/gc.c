/*
 * gc.c - planning and applying `dv gc`: everything in the cache (and on a
 * remote) minus what the kept revisions reference (objects.c).
 *
 * The plan is computed whole before anything is deleted, and applying
 * refuses a plan with an unknown manifest: a gc that guesses is a gc that
 * loses data.  On a remote, objects younger than gc.remote_grace are kept
 * whatever this clone knows: another clone may just have pushed them for
 * commits this one has not fetched (git keeps recent loose objects for
 * the same reason).  Run-cache entries (runs/) are left alone; a restore checks
 * that every object it names is still there, so removing objects behind
 * an entry only costs a rerun.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/config.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/gc.h"

void dv_gc_plan_free(dv_gc_plan *plan)
{
	dv_used_objects_free(&plan->used);
	dv_vec_free(&plan->garbage);
	dv_strvec_free(&plan->remote_garbage);
	dv_strvec_free(&plan->stale_tmp);
	dv_strvec_free(&plan->remote_stale_tmp);
}


static int fetch_missing_manifests(dv_gc_plan *plan, dv_repo *repo, dv_remote *remote)
{
	dv_used_objects *u = &plan->used;
	size_t fetched = 0;

	if (!u->missing_manifests.n)
		return 0;
	/* Objects this remote lacks are reported again by the second
	 * expansion below, which is what the caller shows. */
	dv_objects_fetch(&fetched, NULL, remote, repo->cache,
			 (const dv_objref *)u->pending_dirs.items, u->pending_dirs.n, NULL);
	dv_error_clear();
	plan->manifests_fetched = fetched;
	return dv_objects_expand_manifests(u, repo->cache);
}

static int plan_remote(dv_gc_plan *plan, dv_repo *repo, dv_remote *remote)
{
	dv_strvec listed = DV_STRVEC_INIT, young = DV_STRVEC_INIT;
	int rc;

	if ((rc = dv_config_remote_grace(&plan->remote_grace_ns, repo->config)) < 0)
		goto done;
	if ((rc = remote->ops->list(remote, &listed, "files/")) < 0) {
		if (rc == DV_ENOTFOUND)
			rc = dv_error(DV_EUSAGE, "remote '%s' (%s) cannot be listed, so it cannot be cleaned",
				      remote->name, remote->ops->kind);
		goto done;
	}
	/* Objects pushed within the grace period may belong to commits this
	 * clone has not fetched yet: too young to judge. */
	if (plan->remote_grace_ns > 0) {
		if (!remote->ops->list_since) {
			rc = dv_error(DV_EUSAGE, "remote '%s' (%s) cannot tell when its objects were pushed, so "
				      "gc.remote_grace cannot protect new ones; set it to 0 to clean anyway",
				      remote->name, remote->ops->kind);
			goto done;
		}
		if ((rc = remote->ops->list_since(remote, &young, "files/",
						  dv_now_ns() - plan->remote_grace_ns)) < 0)
			goto done;
		dv_strvec_sort(&young);
	}
	for (size_t i = 0; i < listed.n; i++) {
		dv_hash h;
		bool is_dir;
		const char *key = listed.v[i];
		/* Anything that is not an object (a stray file) is not ours to
		 * judge, so it stays. */
		if (!dv_objects_parse_relpath(&h, &is_dir, key))
			continue;
		plan->remote_objects++;
		if (dv_objset_has(&plan->used.objects, &h, is_dir))
			continue;
		if (dv_strvec_sorted_has(&young, key))
			plan->remote_young++;
		else
			dv_strvec_push(&plan->remote_garbage, key);
	}
	if (remote->ops->stale_tmp)
		rc = remote->ops->stale_tmp(remote, &plan->remote_stale_tmp, dv_now_ns() - DV_STALE_TMP_NS);
done:
	dv_strvec_free(&listed);
	dv_strvec_free(&young);
	return rc;
}

int dv_gc_plan_make(dv_gc_plan *plan, dv_repo *repo, unsigned scope, dv_remote *remote)
{
	dv_vec cached = DV_VEC_INIT(dv_cached_object);
	int rc;

	memset(plan, 0, sizeof(*plan));
	dv_used_objects_init(&plan->used);
	plan->garbage = (dv_vec)DV_VEC_INIT(dv_cached_object);
	if (!(scope & (DV_SCOPE_BRANCHES | DV_SCOPE_TAGS | DV_SCOPE_COMMITS | DV_SCOPE_WORKSPACE)))
		return dv_error(DV_EUSAGE, "gc needs a scope: name what to keep with -w, "
				"--all-branches, --all-tags or --all-commits");
	/* Experiments are kept like branches: 'dv exp remove' lets their
	 * data go (dv-exp(1)). */
	if ((rc = dv_objects_collect(&plan->used, repo, scope | DV_SCOPE_WORKSPACE | DV_SCOPE_EXPERIMENTS)) < 0)
		goto done;
	if (remote && (rc = fetch_missing_manifests(plan, repo, remote)) < 0)
		goto done;
	if ((rc = dv_cache_list_with_stale_tmp(&cached, &plan->stale_tmp, &plan->stale_tmp_bytes,
						repo->cache, dv_now_ns() - DV_STALE_TMP_NS)) < 0)
		goto done;
	plan->cache_objects = cached.n;
	for (size_t i = 0; i < cached.n; i++) {
		dv_cached_object *o = dv_vec_at(&cached, dv_cached_object, i);
		if (dv_objset_has(&plan->used.objects, &o->hash, o->is_dir))
			continue;
		*(dv_cached_object *)dv_vec_push(&plan->garbage) = *o;
		plan->garbage_bytes += o->size;
	}
	if (remote) {
		plan->with_remote = true;
		rc = plan_remote(plan, repo, remote);
	}
done:
	dv_vec_free(&cached);
	return rc;
}

int dv_gc_apply(size_t *removed, size_t *remote_removed, dv_repo *repo, const dv_gc_plan *plan,
		dv_remote *remote)
{
	int rc = 0;

	*removed = 0;
	*remote_removed = 0;
	if (plan->used.missing_manifests.n)
		return dv_error(DV_ERROR, "refusing to collect garbage: %zu manifest%s of kept data "
				"cannot be read, so the files they list are unknown",
				plan->used.missing_manifests.n,
				plan->used.missing_manifests.n == 1 ? "" : "s");
	for (size_t i = 0; i < plan->garbage.n; i++) {
		const dv_cached_object *o = dv_vec_at(&plan->garbage, dv_cached_object, i);
		if ((rc = dv_cache_remove(repo->cache, &o->hash, o->is_dir)) < 0)
			return rc;
		(*removed)++;
	}
	for (size_t i = 0; i < plan->stale_tmp.n; i++)
		if (unlink(plan->stale_tmp.v[i]) < 0 && errno != ENOENT)
			return dv_error_errno(DV_ERROR, "cannot remove '%s'", plan->stale_tmp.v[i]);
	/* A packed remote is called even with nothing to remove: it deletes
	 * the packs retired longer ago than gc.remote_grace (dv-remote(5)). */
	if (remote && (plan->remote_garbage.n || remote->ops->repack)) {
		if ((rc = remote->ops->remove(remote, &plan->remote_garbage)) < 0)
			return rc;
		*remote_removed = plan->remote_garbage.n - remote->left_in_packs;
	}
	if (remote && plan->remote_stale_tmp.n &&
	    (rc = remote->ops->remove_tmp(remote, &plan->remote_stale_tmp)) < 0)
		return rc;
	return 0;
}
