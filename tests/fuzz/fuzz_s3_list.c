/*
 * fuzz_s3_list.c - the S3 XML parsing (src/s3_proto.c): a ListObjectsV2
 * page and the single elements dv reads from other answers (UploadId,
 * error Code and Message).  These bytes come from a server over the
 * network, so any of them must be parsed or refused, never crash or leak.
 * Every key taken from a page must be a real C string (no NUL inside) and
 * a truncated page must carry a token to continue from.
 */
#include <string.h>

#include "fuzz.h"
#include "s3_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *)data;
	dv_strvec keys = DV_STRVEC_INIT;
	dv_buf token = DV_BUF_INIT, text = DV_BUF_INIT;
	bool truncated = false;
	size_t pos = 0;

	if (dv_s3_parse_list_page(&keys, &truncated, &token, xml, size) == 0) {
		for (size_t i = 0; i < keys.n; i++)
			FUZZ_CHECK(keys.v[i] != NULL, "key %zu is NULL", i);
		FUZZ_CHECK(!truncated || token.len > 0, "a truncated page without a continuation token");
	}
	dv_error_clear();
	dv_s3_xml_get(&text, xml, size, "UploadId");
	dv_buf_reset(&text);
	while (dv_s3_xml_next(&text, xml, size, &pos, "Code")) {
		FUZZ_CHECK(pos <= size, "position %zu past the end %zu", pos, size);
		dv_buf_reset(&text);
	}
	dv_strvec_free(&keys);
	dv_buf_free(&token);
	dv_buf_free(&text);
	return 0;
}
