/*
 * rng.h - the seeded random numbers behind every "random" choice in the ML
 * programs: generated data, the train/test shuffle, mini-batch order.
 *
 * splitmix64: tiny, fast, statistically sound for this use, and defined
 * bit-for-bit here rather than by a C library, so a seed means the same data
 * on every machine.  Streams are derived by mixing (seed, stream) so that,
 * for example, row i of generated data depends only on the seed and i: a
 * larger --rows extends a data set instead of reshuffling it.
 */
#ifndef DV_ML_RNG_H
#define DV_ML_RNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t state;
} ml_rng;

static inline uint64_t ml_rng_next(ml_rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline void ml_rng_seed(ml_rng *r, uint64_t seed, uint64_t stream)
{
	ml_rng mix = { seed ^ (stream * 0xD1B54A32D192ED03ULL) };
	r->state = ml_rng_next(&mix);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double ml_rng_uniform(ml_rng *r)
{
	return (double)(ml_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n > 0, without modulo bias (rejection). */
static inline uint64_t ml_rng_below(ml_rng *r, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
	do
		x = ml_rng_next(r);
	while (x >= limit);
	return x % n;
}

/* Standard normal (Box-Muller; one of the pair is dropped for simplicity). */
static inline double ml_rng_normal(ml_rng *r)
{
	double u = 1.0 - ml_rng_uniform(r); /* (0, 1]: log stays finite */
	double v = ml_rng_uniform(r);
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Fisher-Yates shuffle of an index array. */
static inline void ml_rng_shuffle(ml_rng *r, size_t *idx, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)ml_rng_below(r, i);
		size_t t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

#endif
