/*
 * s3_proto.h - the parts of the S3 protocol that need no network: the
 * AWS-style percent-encoding and canonical query strings, the
 * few XML answers dv reads, multipart sizing, and the AWS shared
 * credentials file.  Kept apart from remote_s3.c (the transfers) so that
 * each rule can be unit-tested on its own.
 *
 * Why write the query string ourselves: libcurl 7.88's SigV4 signer signs
 * the query exactly as it is written in the URL, while the server signs
 * the canonical form (names sorted, RFC 3986 encoding, "=" kept after an
 * empty value).  A URL that is not already canonical fails with 403
 * SignatureDoesNotMatch, so every query dv sends comes from
 * dv_s3_query_format.
 */
#ifndef DV_S3_PROTO_H
#define DV_S3_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/buf.h"

/* S3 limits every store dv knows honours (AWS allows 10000 parts; Swift's
 * s3api 1000 by default). */
#define DV_S3_MIN_PART (5ull << 20)
#define DV_S3_MAX_PART (5ull << 30)
#define DV_S3_MAX_PARTS 1000u
#define DV_S3_DEFAULT_PART (64ull << 20)

/* Append `s` percent-encoded as SigV4 wants: only A-Z a-z 0-9 - _ . ~ left
 * bare, other bytes as %XX (upper case); '/' is kept when `keep_slash`
 * (object keys in a path) and encoded otherwise (query values). */
void dv_s3_uri_encode(dv_buf *out, const char *s, bool keep_slash);

typedef struct {
	const char *name;
	const char *value; /* NULL or "" both give "name=" */
} dv_s3_param;

/* Write the canonical query string of `params` into `out` (replacing its
 * contents): each name and value encoded, sorted by encoded name then
 * value, joined with '&'.  The array is sorted in place. */
void dv_s3_query_format(dv_buf *out, dv_s3_param *params, size_t n);

/* Find the first <tag>...</tag> in [xml, xml+len) at or after *pos and put
 * its text, XML entities decoded, into `out`; *pos moves past the element.
 * Returns true when found. */
bool dv_s3_xml_next(dv_buf *out, const char *xml, size_t len, size_t *pos, const char *tag);
/* The first <tag> in the whole document, decoded, or false. */
bool dv_s3_xml_get(dv_buf *out, const char *xml, size_t len, const char *tag);
/* Append `s` with & < > " escaped. */
void dv_s3_xml_escape(dv_buf *out, const char *s);

/* One page of a ListObjectsV2 answer: the keys (appended to `keys`),
 * whether more pages follow, and the token to ask for the next one. */
int dv_s3_parse_list_page(dv_strvec *keys, bool *truncated, dv_buf *next_token,
			  const char *xml, size_t len);

/* The same, keeping only the keys whose LastModified is at or after
 * `since_ns` (ns since the epoch): gc -c's grace period. */
int dv_s3_parse_list_page_since(dv_strvec *keys, bool *truncated, dv_buf *next_token,
				const char *xml, size_t len, int64_t since_ns);
/* An S3 time, "2026-12-02T10:00:00.123Z", in ns since the epoch. */
int dv_s3_parse_time(int64_t *ns_out, const char *text);

/* Part size for a multipart upload of `size` bytes: `want`, raised when
 * that would take more than DV_S3_MAX_PARTS parts (to a whole MiB).  Fails
 * when the object is too large for any part size. */
int dv_s3_part_size(uint64_t *out, uint64_t size, uint64_t want);

/* Parse a size: digits with an optional K, M, G (binary) suffix, "MiB"
 * and "MB" forms too ("64M", "64MiB", "67108864"). */
int dv_s3_parse_size(uint64_t *out, const char *text);

typedef struct {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
} dv_s3_credentials;

void dv_s3_credentials_free(dv_s3_credentials *c);

/* Read profile `profile` from an AWS shared credentials file (INI, read
 * with inih).  DV_ENOTFOUND when the file does not exist or lacks the
 * profile or its keys; other errors name the file and line. */
int dv_s3_read_credentials_file(dv_s3_credentials *out, const char *path, const char *profile);

#endif
