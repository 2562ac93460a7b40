/*
 * kernels_simd.h - the register-tiled loop behind contrib/ml's C kernels,
 * included by kernels.c once per instruction set (AVX2+FMA, baseline SSE2).
 *
 * Written once with GCC's vector extensions, so the compiler emits the SIMD
 * code for whichever target the including file asks for; kernels.c picks
 * the instance at run time (__builtin_cpu_supports), which is how one
 * binary runs on any x86-64 and still uses AVX2 where the CPU has it.
 *
 * Deliberately without an include guard (it is a template, not an
 * interface; named .h so it travels with the sources that copy *.c *.h).
 * The including file defines:
 *   SIMD_VL       doubles per vector (4 for AVX2, 2 for SSE2)
 *   SIMD_ATTR     attributes of the instance (target, FMA contraction)
 *   SIMD_NAME(x)  x with the instance's suffix
 */

typedef double SIMD_NAME(vec) __attribute__((vector_size(SIMD_VL * sizeof(double))));

/*
 * C (4 x 2*SIMD_VL, row stride cs) += A^T B over kdim steps r, where
 *   A[r][i] = a[r * a_rs + i * a_cs]   (i < 4; rows i >= mr repeat row 0)
 *   B[r][j] = b[r * b_rs + j]          (j < 2*SIMD_VL, contiguous)
 * The 4 x 2 vectors of C stay in registers for the whole r loop: each step
 * is 4 broadcasts, 2 vector loads and 8 multiply-adds, which keeps the FMA
 * units (not the loads) the limit.  With mr < 4 the missing rows of A read
 * row 0 again, so the loop has no edge cases: the caller's C tile always
 * has 4 rows and ignores the extra ones.  Vectors are loaded with memcpy:
 * no alignment is assumed and no aliasing rule is bent.
 */
SIMD_ATTR static void SIMD_NAME(tile_atb)(double *c, size_t cs, const double *a, size_t a_rs,
					  size_t a_cs, size_t mr, const double *b, size_t b_rs,
					  size_t kdim)
{
	enum { VL = SIMD_VL, VB = SIMD_VL * sizeof(double) };
	const double *a0 = a, *a1 = mr > 1 ? a + a_cs : a;
	const double *a2 = mr > 2 ? a + 2 * a_cs : a, *a3 = mr > 3 ? a + 3 * a_cs : a;
	double *c0 = c, *c1 = c + cs, *c2 = c + 2 * cs, *c3 = c + 3 * cs;
	SIMD_NAME(vec) s00, s01, s10, s11, s20, s21, s30, s31, b0, b1;

	memcpy(&s00, c0, VB); memcpy(&s01, c0 + VL, VB);
	memcpy(&s10, c1, VB); memcpy(&s11, c1 + VL, VB);
	memcpy(&s20, c2, VB); memcpy(&s21, c2 + VL, VB);
	memcpy(&s30, c3, VB); memcpy(&s31, c3 + VL, VB);
	for (size_t r = 0; r < kdim; r++) {
		const double *br = b + r * b_rs;
		size_t ar = r * a_rs;
		double x0 = a0[ar], x1 = a1[ar], x2 = a2[ar], x3 = a3[ar];

		memcpy(&b0, br, VB);
		memcpy(&b1, br + VL, VB);
		s00 += x0 * b0; s01 += x0 * b1;
		s10 += x1 * b0; s11 += x1 * b1;
		s20 += x2 * b0; s21 += x2 * b1;
		s30 += x3 * b0; s31 += x3 * b1;
	}
	memcpy(c0, &s00, VB); memcpy(c0 + VL, &s01, VB);
	memcpy(c1, &s10, VB); memcpy(c1 + VL, &s11, VB);
	memcpy(c2, &s20, VB); memcpy(c2 + VL, &s21, VB);
	memcpy(c3, &s30, VB); memcpy(c3 + VL, &s31, VB);
}

/* G (lower triangle, w x w, row stride bs) += B^T B for B (rows x w, row
 * stride bs, columns w..bs-1 zero; bs a multiple of 8).  Rows go in panels
 * small enough to stay in L1 while every tile of G passes over them. */
SIMD_ATTR static void SIMD_NAME(gram_update)(double *g, const double *b, size_t bs, size_t rows,
					     size_t w)
{
	enum { NR = 2 * SIMD_VL };
	/* 32 KiB per panel (L1 is 32-48 KiB on AVX2 CPUs), at least 8 rows. */
	size_t panel = 4096 / bs > 8 ? 4096 / bs : 8;

	for (size_t p = 0; p < rows; p += panel) {
		size_t pr = rows - p < panel ? rows - p : panel;
		const double *bp = b + p * bs;
		/* Tile rows i0..i0+3 need columns up to i0+3, i.e. every j0 <= i0
		 * (j0 and i0 are multiples of 4); the part of a diagonal tile
		 * above the diagonal is computed and ignored. */
		for (size_t i0 = 0; i0 < w; i0 += 4)
			for (size_t j0 = 0; j0 <= i0; j0 += NR)
				SIMD_NAME(tile_atb)(g + i0 * bs + j0, bs, bp + i0, bs, 1, 4, bp + j0, bs, pr);
	}
}

/* C (m rounded up to 4, x n; row stride n) += A^T B for A[r][i] =
 * a[r * a_rs + i * a_cs] (kdim x m) and B (kdim x n, row stride n); n a
 * multiple of 8.  Both logreg products are this: X W with A = X^T, and
 * X^T G with A = X. */
SIMD_ATTR static void SIMD_NAME(atb)(double *c, size_t n, const double *a, size_t a_rs,
				     size_t a_cs, size_t m, const double *b, size_t kdim)
{
	enum { NR = 2 * SIMD_VL };

	for (size_t i0 = 0; i0 < m; i0 += 4) {
		size_t mr = m - i0 < 4 ? m - i0 : 4;
		for (size_t c0 = 0; c0 < n; c0 += NR)
			SIMD_NAME(tile_atb)(c + i0 * n + c0, n, a + i0 * a_cs, a_rs, a_cs, mr, b + c0, n,
					    kdim);
	}
}
