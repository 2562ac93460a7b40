/* The S3 protocol rules dv writes itself (s3_proto.c): SigV4 encoding and
 * canonical query strings, the XML answers it reads, multipart sizing, size
 * and URL parsing, and the AWS shared credentials file.  The transfers
 * themselves are tested against a real server by tests/cli/t3400. */
#include <string.h>

#include "dv/fs.h"
#include "remote_kinds.h"
#include "s3_proto.h"
#include "test.h"

TEST(uri_encoding_follows_sigv4)
{
	dv_buf b = DV_BUF_INIT;

	dv_s3_uri_encode(&b, "files/xxh128/ab/cdef.dir", true);
	CHECK_STR(b.ptr, "files/xxh128/ab/cdef.dir");
	dv_buf_reset(&b);
	dv_s3_uri_encode(&b, "files/xxh128/", false);
	CHECK_STR(b.ptr, "files%2Fxxh128%2F");
	dv_buf_reset(&b);
	/* Unreserved characters stay, everything else is %XX in upper case;
	 * a space is %20, never '+'. */
	dv_s3_uri_encode(&b, "a b+c=d&e~f_g.h-i*\xc3\xbc", false);
	CHECK_STR(b.ptr, "a%20b%2Bc%3Dd%26e~f_g.h-i%2A%C3%BC");
	dv_buf_free(&b);
}

TEST(query_is_sorted_and_keeps_empty_values)
{
	dv_buf q = DV_BUF_INIT;
	dv_s3_param list[] = {
		{ "prefix", "data/files/" },
		{ "list-type", "2" },
		{ "continuation-token", "1/a+b=" },
		{ "max-keys", "1000" },
	};
	dv_s3_param uploads[] = { { "uploads", NULL } };
	dv_s3_param part[] = { { "uploadId", "Zm9v/YmFy+" }, { "partNumber", "7" } };

	dv_s3_query_format(&q, list, 4);
	CHECK_STR(q.ptr, "continuation-token=1%2Fa%2Bb%3D&list-type=2&max-keys=1000&prefix=data%2Ffiles%2F");
	dv_s3_query_format(&q, uploads, 1);
	CHECK_STR(q.ptr, "uploads=");
	dv_s3_query_format(&q, part, 2);
	CHECK_STR(q.ptr, "partNumber=7&uploadId=Zm9v%2FYmFy%2B");
	dv_buf_free(&q);
}

TEST(query_sorts_by_encoded_name_then_value)
{
	dv_buf q = DV_BUF_INIT;
	/* Upper case sorts before lower case (byte order), and equal names
	 * sort by value. */
	dv_s3_param p[] = { { "b", "2" }, { "a", "z" }, { "B", "" }, { "b", "1" } };
	dv_s3_query_format(&q, p, 4);
	CHECK_STR(q.ptr, "B=&a=z&b=1&b=2");
	dv_buf_free(&q);
}

TEST(list_page_keys_entities_and_paging)
{
	const char *page1 =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>dv-test</Name><Prefix>p/files/</Prefix><KeyCount>2</KeyCount>"
		"<MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
		"<Contents><Key>p/files/xxh128/ab/cd</Key><Size>3</Size></Contents>"
		"<Contents><Key>p/files/a&amp;b&lt;&#62;</Key><Size>1</Size></Contents>"
		"<NextContinuationToken>tok/+=&amp;</NextContinuationToken>"
		"</ListBucketResult>";
	const char *page2 =
		"<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>";
	const char *broken = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
	dv_strvec keys = DV_STRVEC_INIT;
	dv_buf token = DV_BUF_INIT;
	bool more = false;

	CHECK_OK(dv_s3_parse_list_page(&keys, &more, &token, page1, strlen(page1)));
	CHECK_INT(keys.n, 2);
	if (keys.n == 2) {
		CHECK_STR(keys.v[0], "p/files/xxh128/ab/cd");
		CHECK_STR(keys.v[1], "p/files/a&b<>");
	}
	CHECK(more);
	CHECK_STR(token.ptr, "tok/+=&");

	CHECK_OK(dv_s3_parse_list_page(&keys, &more, &token, page2, strlen(page2)));
	CHECK_INT(keys.n, 2);
	CHECK(!more);
	CHECK_FAILS(dv_s3_parse_list_page(&keys, &more, &token, broken, strlen(broken)),
		    "NextContinuationToken");
	CHECK_FAILS(dv_s3_parse_list_page(&keys, &more, &token, "<Error><Code>X</Code></Error>", 29),
		    "ListBucketResult");
	dv_strvec_free(&keys);
	dv_buf_free(&token);
}

TEST(list_page_since_keeps_objects_modified_at_or_after)
{
	const char *page =
		"<ListBucketResult><IsTruncated>false</IsTruncated>"
		"<Contents><Key>old</Key><LastModified>2026-12-01T10:00:00.000Z</LastModified></Contents>"
		"<Contents><Key>edge</Key><LastModified>2026-12-02T10:00:00Z</LastModified></Contents>"
		"<Contents><Key>new</Key><LastModified>2026-12-02T10:00:00.500Z</LastModified></Contents>"
		"</ListBucketResult>";
	const char *no_time = "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>";
	dv_strvec keys = DV_STRVEC_INIT;
	dv_buf token = DV_BUF_INIT;
	bool more = true;
	int64_t t = 0;

	CHECK_OK(dv_s3_parse_time(&t, "2026-12-02T10:00:00Z"));
	CHECK(t == 1796205600LL * 1000000000LL);
	CHECK_OK(dv_s3_parse_time(&t, "2026-12-02T10:00:00.25Z"));
	CHECK(t == 1796205600LL * 1000000000LL + 250000000LL);
	CHECK_FAILS(dv_s3_parse_time(&t, "2026-12-02 10:00:00"), "unexpected time");
	CHECK_OK(dv_s3_parse_list_page_since(&keys, &more, &token, page, strlen(page),
					     1796205600LL * 1000000000LL));
	CHECK(!more);
	CHECK_INT(keys.n, 2);
	if (keys.n == 2) {
		CHECK_STR(keys.v[0], "edge");
		CHECK_STR(keys.v[1], "new");
	}
	CHECK_FAILS(dv_s3_parse_list_page_since(&keys, &more, &token, no_time, strlen(no_time), 0),
		    "without LastModified");
	dv_strvec_free(&keys);
	dv_buf_free(&token);
}

TEST(xml_elements_of_error_and_multipart_answers)
{
	const char *err = "<?xml version='1.0'?><Error><Code>SignatureDoesNotMatch</Code>"
			  "<Message>The request signature we calculated does not match</Message>"
			  "<RequestId>tx1</RequestId></Error>";
	const char *init = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
			   "<UploadId>ZTQy-ZDk5</UploadId></InitiateMultipartUploadResult>";
	dv_buf v = DV_BUF_INIT;
	size_t pos = 0;

	CHECK(dv_s3_xml_get(&v, err, strlen(err), "Code"));
	CHECK_STR(v.ptr, "SignatureDoesNotMatch");
	CHECK(dv_s3_xml_get(&v, err, strlen(err), "Message"));
	CHECK_STR(v.ptr, "The request signature we calculated does not match");
	CHECK(!dv_s3_xml_get(&v, err, strlen(err), "Region"));
	/* A tag that is only a prefix of another is not matched. */
	CHECK(!dv_s3_xml_get(&v, init, strlen(init), "Upload"));
	CHECK(dv_s3_xml_get(&v, init, strlen(init), "UploadId"));
	CHECK_STR(v.ptr, "ZTQy-ZDk5");
	/* <Tag/> is present and empty; the cursor walks repeated elements. */
	CHECK(dv_s3_xml_next(&v, "<a><K/><K>x</K></a>", 19, &pos, "K"));
	CHECK_STR(v.ptr, "");
	CHECK(dv_s3_xml_next(&v, "<a><K/><K>x</K></a>", 19, &pos, "K"));
	CHECK_STR(v.ptr, "x");
	CHECK(!dv_s3_xml_next(&v, "<a><K/><K>x</K></a>", 19, &pos, "K"));

	dv_buf_reset(&v);
	dv_s3_xml_escape(&v, "\"e<t>&");
	CHECK_STR(v.ptr, "&quot;e&lt;t&gt;&amp;");
	dv_buf_free(&v);
}

TEST(part_size_respects_s3_limits)
{
	uint64_t part = 0;
	const uint64_t MiB = 1ull << 20, GiB = 1ull << 30;

	CHECK_OK(dv_s3_part_size(&part, GiB, 64 * MiB));
	CHECK_INT(part, 64 * MiB);
	/* Below S3's minimum: raised to 5 MiB. */
	CHECK_OK(dv_s3_part_size(&part, 100 * MiB, MiB));
	CHECK_INT(part, 5 * MiB);
	/* 100 GiB in 64 MiB parts would be 1600 parts: parts grow so that
	 * 1000 suffice, to a whole MiB. */
	CHECK_OK(dv_s3_part_size(&part, 100 * GiB, 64 * MiB));
	CHECK_INT(part, 103 * MiB);
	CHECK((100 * GiB + part - 1) / part <= DV_S3_MAX_PARTS);
	CHECK_FAILS(dv_s3_part_size(&part, 6000 * GiB, 64 * MiB), "too large");
}

TEST(sizes_parse_with_binary_suffixes)
{
	uint64_t n = 0;
	CHECK_OK(dv_s3_parse_size(&n, "67108864"));
	CHECK_INT(n, 67108864);
	CHECK_OK(dv_s3_parse_size(&n, "64M"));
	CHECK_INT(n, 64ull << 20);
	CHECK_OK(dv_s3_parse_size(&n, "6MiB"));
	CHECK_INT(n, 6ull << 20);
	CHECK_OK(dv_s3_parse_size(&n, "1g"));
	CHECK_INT(n, 1ull << 30);
	CHECK_OK(dv_s3_parse_size(&n, "512KB"));
	CHECK_INT(n, 512ull << 10);
	CHECK_FAILS(dv_s3_parse_size(&n, "12x"), "not a size");
	CHECK_FAILS(dv_s3_parse_size(&n, ""), "not a size");
	CHECK_FAILS(dv_s3_parse_size(&n, "-5M"), "not a size");
	CHECK_FAILS(dv_s3_parse_size(&n, "99999999999999999999G"), "not a size");
}

TEST(s3_urls_split_into_bucket_and_prefix)
{
	char *bucket = NULL, *prefix = NULL;

	CHECK_OK(dv_s3_parse_url(&bucket, &prefix, "s3://dv-test"));
	CHECK_STR(bucket, "dv-test");
	CHECK_STR(prefix, "");
	free(bucket), free(prefix);
	CHECK_OK(dv_s3_parse_url(&bucket, &prefix, "s3://b/team/proj/"));
	CHECK_STR(bucket, "b");
	CHECK_STR(prefix, "team/proj");
	free(bucket), free(prefix);
	CHECK_FAILS(dv_s3_parse_url(&bucket, &prefix, "s3:///x"), "names no bucket");
	CHECK_FAILS(dv_s3_parse_url(&bucket, &prefix, "s3://b/a//c"), "'//'");
	CHECK_FAILS(dv_s3_parse_url(&bucket, &prefix, "https://b/x"), "not an s3 URL");
	CHECK(bucket == NULL && prefix == NULL);
}

TEST(credentials_file_profiles_and_long_tokens)
{
	char path[4200];
	dv_buf text = DV_BUF_INIT;
	dv_s3_credentials c;
	char token[601];

	/* Session tokens run to hundreds of bytes, past inih's 199-byte
	 * lines: they must come through whole. */
	for (size_t i = 0; i < sizeof(token) - 1; i++)
		token[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
	token[sizeof(token) - 1] = '\0';
	dv_buf_printf(&text,
		      "# a comment\n"
		      "[default]\n"
		      "aws_access_key_id = AKIDEFAULT\n"
		      "aws_secret_access_key = secret/default+1\n"
		      "\n"
		      "[work]\n"
		      "aws_access_key_id=AKIWORK\n"
		      "aws_secret_access_key=secretwork\n"
		      "aws_session_token = %s\n"
		      "region = eu-west-1\n"
		      "[partial]\n"
		      "aws_access_key_id = ONLYID\n",
		      token);
	snprintf(path, sizeof(path), "%s/credentials", test_tmpdir());
	CHECK_OK(dv_write_file_atomic(path, text.ptr, text.len, 0600));

	CHECK_OK(dv_s3_read_credentials_file(&c, path, "default"));
	CHECK_STR(c.access_key_id, "AKIDEFAULT");
	CHECK_STR(c.secret_access_key, "secret/default+1");
	CHECK(c.session_token == NULL);
	dv_s3_credentials_free(&c);

	CHECK_OK(dv_s3_read_credentials_file(&c, path, "work"));
	CHECK_STR(c.access_key_id, "AKIWORK");
	CHECK_STR(c.secret_access_key, "secretwork");
	CHECK_STR(c.session_token, token);
	dv_s3_credentials_free(&c);

	CHECK_INT(dv_s3_read_credentials_file(&c, path, "partial"), DV_ENOTFOUND);
	CHECK_INT(dv_s3_read_credentials_file(&c, path, "nosuch"), DV_ENOTFOUND);
	CHECK(strstr(dv_error_last(), "[nosuch]") != NULL);
	snprintf(path, sizeof(path), "%s/no-such-credentials", test_tmpdir());
	CHECK_INT(dv_s3_read_credentials_file(&c, path, "default"), DV_ENOTFOUND);
	dv_buf_free(&text);
}

TEST_MAIN(uri_encoding_follows_sigv4, query_is_sorted_and_keeps_empty_values,
	  query_sorts_by_encoded_name_then_value, list_page_keys_entities_and_paging,
	  list_page_since_keeps_objects_modified_at_or_after,
	  xml_elements_of_error_and_multipart_answers, part_size_respects_s3_limits,
	  sizes_parse_with_binary_suffixes, s3_urls_split_into_bucket_and_prefix,
	  credentials_file_profiles_and_long_tokens)
