/*
 * cli.c - shared command-line helpers (see cli.h).
 */
#include "cli.h"
#include "kernels.h"
#include "mlerr.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int ml_cli_integer(uint64_t *out, const char *prog, const char *opt,
		   const char *text, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr, "%s: error: invalid %s '%s' (expected an integer from %" PRIu64
			" to %" PRIu64 ")\n", prog, opt, text, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int ml_cli_usage(const char *usage)
{
	fputs(usage, stderr);
	return ML_EXIT_USAGE;
}

int ml_cli_blis_check(const char *prog, int trains)
{
	ml_kernel_mode mode;

	if (ml_kernel_mode_get(&mode) < 0) {
		ml_report(prog);
		return -1;
	}
	if (ml_blis_config_is_generic(ml_blis_config()))
		fprintf(stderr, "%s: warning: BLIS %s runs its unoptimised 'generic' configuration "
			"on this CPU (it does not recognise it)%s\n", prog, ml_blis_version(),
			!trains ? ""
			: mode == ML_KERNEL_AUTO || mode == ML_KERNEL_MEASURE
				? "; training uses the fastest path timed at start (-v names it)"
				: "; DV_ML_KERNEL chooses the path");
	return 0;
}

int ml_cli_version(const char *prog, int warn, int trains)
{
	const char *config = ml_blis_config(), *how;
	int generic = ml_blis_config_is_generic(config);
	ml_kernel_mode mode;

	if (warn ? ml_cli_blis_check(prog, trains) < 0 : ml_kernel_mode_get(&mode) < 0) {
		if (!warn)
			ml_report(prog);
		return ML_EXIT_FAILURE;
	}
	ml_kernel_mode_get(&mode);
	switch (mode) {
	case ML_KERNEL_AUTO:
		how = generic ? "the fastest of syrk, gemm and the C kernel, timed on the data"
			      : "BLIS (syrk, gemm)";
		break;
	case ML_KERNEL_MEASURE: how = "the fastest of syrk, gemm and the C kernel, timed on the data"; break;
	case ML_KERNEL_BLIS: how = "BLIS (syrk, gemm)"; break;
	case ML_KERNEL_GEMM: how = "BLIS (gemm)"; break;
	case ML_KERNEL_C: how = ml_cpu_has_avx2() ? "c-avx2" : "c-sse2"; break;
	default: how = "c-sse2"; break;
	}
	printf("%s (dv ML stages)\n", prog);
	printf("blis: %s\n", ml_blis_version());
	printf("blis configuration: %s%s\n", config,
	       generic ? " (reference kernels: this BLIS does not recognise the CPU)" : "");
	printf("cpu avx2+fma: %s\n", ml_cpu_has_avx2() ? "yes" : "no");
	printf("kernels: %s (DV_ML_KERNEL=%s)\n", how, ml_kernel_mode_name(mode));
	return ML_EXIT_OK;
}
