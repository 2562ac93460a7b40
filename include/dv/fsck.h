/*
 * fsck.h - checking the cache and the .stage files (`dv fsck`): every
 * object in the cache is re-hashed (over all cores) and compared with its
 * name, manifests must parse, and every .stage file in the work tree must
 * parse and have each object it references (a directory's manifest and
 * every file it lists) in the cache.
 *
 * fsck never deletes or rewrites: an object whose bytes do not match its
 * name is moved aside into .dv/quarantine (dv_cache_quarantine), so the
 * next fetch or pull brings a good copy; everything there is listed.
 * Its findings say what fixes them.
 */
#ifndef DV_FSCK_H
#define DV_FSCK_H

#include <stddef.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/repo.h"

typedef struct {
	size_t objects;        /* objects re-hashed */
	uint64_t bytes;        /* their bytes */
	size_t stages;         /* .stage files checked */
	dv_strvec corrupt;     /* one line per corrupt object or malformed manifest */
	dv_strvec missing;     /* one line per object a .stage needs that the cache lacks */
	dv_strvec bad_stages;  /* one line per .stage file that does not parse */
	dv_strvec quarantined; /* files under .dv/quarantine (repo-relative), sorted */
} dv_fsck_report;

void dv_fsck_report_free(dv_fsck_report *r);
/* `jobs` threads re-hash (0: one per core). */
int dv_fsck(dv_fsck_report *out, dv_repo *repo, int jobs);

#endif
