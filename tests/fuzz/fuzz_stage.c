/*
 * fuzz_stage.c - the .stage parser (src/stage.c over src/ini.c and inih).
 *
 * Any bytes may be parsed or refused, never crash or leak.  What parses
 * must survive dv's own writer: serialize, parse the result, serialize
 * again, and both texts must be the same bytes (a stage that dv rewrites,
 * as `dv commit` does, means what it meant before).
 */
#include <string.h>

#include "dv/stage.h"
#include "fuzz.h"

/* A stage in a subdirectory, so paths relative to it are checked too. */
#define STAGE_PATH "sub/dir/train.stage"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_stage *st = NULL, *again = NULL;
	dv_buf first = DV_BUF_INIT, second = DV_BUF_INIT;

	if (dv_stage_parse(&st, STAGE_PATH, (const char *)data, size) < 0)
		goto done;
	/* A path too long for one line may parse (it was folded by hand) and
	 * be refused by the writer: refusing is fine, writing wrong is not. */
	if (dv_stage_serialize(&first, st) < 0)
		goto done;
	FUZZ_CHECK(dv_stage_parse(&again, STAGE_PATH, first.ptr, first.len) == 0,
		   "dv cannot read the stage it wrote:\n%s", first.ptr);
	FUZZ_CHECK(dv_stage_serialize(&second, again) == 0, "cannot rewrite:\n%s", first.ptr);
	FUZZ_CHECK(first.len == second.len && !memcmp(first.ptr, second.ptr, first.len),
		   "rewriting changed the stage:\n--- first\n%s--- second\n%s", first.ptr, second.ptr);
done:
	dv_stage_free(st);
	dv_stage_free(again);
	dv_buf_free(&first);
	dv_buf_free(&second);
	dv_error_clear();
	return 0;
}
