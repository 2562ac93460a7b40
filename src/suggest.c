/*
 * suggest.c - the closest name to a mistyped one (Damerau-Levenshtein, the
 * optimal-string-alignment variant git's help.c uses too), for "did you
 * mean" after unknown commands and stage names.
 */
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/suggest.h"

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

static size_t distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), w = m + 1, d;
	size_t *t = dv_malloc((n + 1) * w * sizeof(size_t));

	for (size_t i = 0; i <= n; i++)
		t[i * w] = i;
	for (size_t j = 0; j <= m; j++)
		t[j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			t[i * w + j] = min3(t[(i - 1) * w + j] + 1, t[i * w + j - 1] + 1, t[(i - 1) * w + j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    t[(i - 2) * w + j - 2] + 1 < t[i * w + j])
				t[i * w + j] = t[(i - 2) * w + j - 2] + 1;
		}
	d = t[n * w + m];
	free(t);
	return d;
}

const char *dv_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t limit = strlen(word) / 3, best_d = (size_t)-1;
	const char *best = NULL;

	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, candidates[i]);
		if (d <= limit && d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}
