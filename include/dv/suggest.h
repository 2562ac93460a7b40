/*
 * suggest.h - "did you mean": the closest of some names to a mistyped one,
 * as git suggests commands.  Edit distance (insertions, deletions,
 * substitutions and swaps of neighbours each cost one); a name is offered
 * only when it is close enough to be a typo rather than another word.
 */
#ifndef DV_SUGGEST_H
#define DV_SUGGEST_H

#include <stddef.h>

/* The candidate closest to `word` within a third of its length (at least
 * 1, at most 3 edits), or NULL; ties go to the first. */
const char *dv_suggest(const char *word, const char *const *candidates, size_t n);

#endif
