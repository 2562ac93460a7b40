/*
 * slurm.h - `dv repro --executor slurm`: the stale part of the pipeline as
 * Slurm batch jobs, queued at once and chained with afterok dependencies,
 * so that Slurm (not dv) decides where and when each stage runs.
 *
 * Each job runs `dv repro -s STAGE` on its node, in the same work tree and
 * cache (shared storage is a precondition, checked by the job's first
 * line): the node judges the stage against what its upstream just wrote
 * (early cutoff: a stage whose inputs came out byte-identical ends at once)
 * and records it exactly as a local run does.  The submitting dv holds the
 * repository lock for the jobs, waits (polling squeue, then scontrol for
 * the exit), cancels on failure (unless -k) or on a signal, and stages the
 * rewritten .stage files in git at the end.  The jobs it submitted are
 * remembered in .dv/tmp/slurm-jobs, so a rerun after the submitter was
 * killed waits for those still queued or running instead of submitting a
 * stage twice.
 */
#ifndef DV_SLURM_H
#define DV_SLURM_H

#include "dv/repo.h"
#include "dv/repro.h"

/* Run the stale stages of opts' selection on Slurm.  `dv_exe` is the
 * absolute path of the dv binary the jobs run.  Events go through
 * opts->callback: WOULD_RUN (with --dry; text: the sbatch command line),
 * QUEUED (text: the job id), START (running), DONE, UNCHANGED, FAILED
 * (text: why, with the job's log), SKIPPED.  Returns as dv_repro does. */
int dv_slurm_repro(dv_repro_summary *summary, dv_repo *repo, const dv_repro_opts *opts, const char *dv_exe);

#endif
