/*
 * s3_proto.c - S3 protocol rules that need no network (see s3_proto.h):
 * URL splitting, SigV4 percent-encoding and canonical query strings, the
 * handful of XML elements dv reads from S3 answers, multipart sizing and
 * the AWS shared credentials file.
 *
 * The XML is read with a small element scanner rather than a parser: S3
 * answers are flat, machine-written documents and dv needs a few leaf
 * elements from them (Key, IsTruncated, UploadId, Code, Message), so a
 * dependency on libxml2 would buy nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "s3_proto.h"

void dv_s3_uri_encode(dv_buf *out, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/')) {
			dv_buf_putc(out, (char)*p);
		} else {
			dv_buf_putc(out, '%');
			dv_buf_putc(out, hex[*p >> 4]);
			dv_buf_putc(out, hex[*p & 15]);
		}
	}
}

typedef struct {
	char *name;
	char *value;
} encoded_param;

static int cmp_encoded(const void *a, const void *b)
{
	const encoded_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

void dv_s3_query_format(dv_buf *out, dv_s3_param *params, size_t n)
{
	encoded_param *enc = dv_calloc(n ? n : 1, sizeof(*enc));
	dv_buf b = DV_BUF_INIT;

	/* Sort by the encoded form: that is what SigV4 orders by. */
	for (size_t i = 0; i < n; i++) {
		dv_buf_reset(&b);
		dv_s3_uri_encode(&b, params[i].name, false);
		enc[i].name = dv_strdup(b.ptr);
		dv_buf_reset(&b);
		dv_s3_uri_encode(&b, params[i].value ? params[i].value : "", false);
		enc[i].value = dv_strdup(b.ptr);
	}
	qsort(enc, n, sizeof(*enc), cmp_encoded);
	dv_buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		dv_buf_printf(out, "%s%s=%s", i ? "&" : "", enc[i].name, enc[i].value);
		free(enc[i].name);
		free(enc[i].value);
	}
	free(enc);
	dv_buf_free(&b);
}

/* Decode the five predefined entities and numeric references. */
static void xml_decode(dv_buf *out, const char *s, size_t len)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	size_t i = 0;

	dv_buf_reset(out);
	while (i < len) {
		size_t k;
		if (s[i] != '&') {
			dv_buf_putc(out, s[i++]);
			continue;
		}
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t el = strlen(ents[k].name);
			if (i + 1 + el <= len && !memcmp(s + i + 1, ents[k].name, el)) {
				dv_buf_putc(out, ents[k].c);
				i += 1 + el;
				break;
			}
		}
		if (k < sizeof(ents) / sizeof(ents[0]))
			continue;
		if (i + 2 < len && s[i + 1] == '#') {
			char *end;
			bool is_hex = s[i + 2] == 'x';
			unsigned long cp = strtoul(s + i + 2 + is_hex, &end, is_hex ? 16 : 10);
			if (end < s + len && *end == ';' && cp > 0 && cp < 0x80) {
				dv_buf_putc(out, (char)cp);
				i = (size_t)(end - s) + 1;
				continue;
			}
		}
		dv_buf_putc(out, s[i++]);
	}
}

bool dv_s3_xml_next(dv_buf *out, const char *xml, size_t len, size_t *pos, const char *tag)
{
	size_t tl = strlen(tag);
	const char *end = xml + len;
	const char *p = xml + *pos;

	while (p < end) {
		const char *open = memchr(p, '<', (size_t)(end - p));
		const char *body, *close;
		if (!open || (size_t)(end - open) < tl + 2)
			return false;
		p = open + 1;
		if (memcmp(p, tag, tl) != 0 || (p[tl] != '>' && p[tl] != ' ' && p[tl] != '/'))
			continue;
		if (p[tl] == '/') { /* <Tag/>: present and empty */
			dv_buf_reset(out);
			*pos = (size_t)(p + tl - xml);
			return true;
		}
		body = memchr(p + tl, '>', (size_t)(end - p - tl));
		if (!body)
			return false;
		body++;
		/* The matching close tag: S3 answers do not nest an element in
		 * one of the same name. */
		for (close = body; close < end; close++) {
			close = memchr(close, '<', (size_t)(end - close));
			if (!close)
				return false;
			if ((size_t)(end - close) >= tl + 3 && close[1] == '/' &&
			    !memcmp(close + 2, tag, tl) && close[2 + tl] == '>')
				break;
		}
		if (close >= end)
			return false;
		xml_decode(out, body, (size_t)(close - body));
		*pos = (size_t)(close - xml) + tl + 3;
		return true;
	}
	return false;
}

bool dv_s3_xml_get(dv_buf *out, const char *xml, size_t len, const char *tag)
{
	size_t pos = 0;
	return dv_s3_xml_next(out, xml, len, &pos, tag);
}

void dv_s3_xml_escape(dv_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': dv_buf_puts(out, "&amp;"); break;
		case '<': dv_buf_puts(out, "&lt;"); break;
		case '>': dv_buf_puts(out, "&gt;"); break;
		case '"': dv_buf_puts(out, "&quot;"); break;
		default: dv_buf_putc(out, *s);
		}
	}
}

int dv_s3_parse_time(int64_t *ns_out, const char *text)
{
	struct tm tm;
	const char *end;
	time_t t;
	long frac_ns = 0;

	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		goto bad;
	if (*end == '.') {
		long scale = 100000000;
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			frac_ns += (*end - '0') * scale;
	}
	if (strcmp(end, "Z") != 0)
		goto bad;
	t = timegm(&tm);
	*ns_out = (int64_t)t * 1000000000LL + frac_ns;
	return 0;
bad:
	return dv_error(DV_ERROR, "unexpected time '%s' in a bucket listing (expected "
			"YYYY-MM-DDThh:mm:ss[.fff]Z)", text);
}

/* One listing page; with `since` set, only the keys whose LastModified is
 * at or after *since. */
static int parse_list_page(dv_strvec *keys, bool *truncated, dv_buf *next_token,
			   const char *xml, size_t len, const int64_t *since)
{
	dv_buf contents = DV_BUF_INIT, key = DV_BUF_INIT, flag = DV_BUF_INIT;
	size_t pos = 0;
	int rc = 0;

	*truncated = false;
	dv_buf_reset(next_token);
	if (!dv_s3_xml_get(&flag, xml, len, "ListBucketResult")) {
		rc = dv_error(DV_ERROR, "unexpected answer to a bucket listing (no ListBucketResult)");
		goto done;
	}
	while (dv_s3_xml_next(&contents, xml, len, &pos, "Contents")) {
		if (!dv_s3_xml_get(&key, contents.ptr, contents.len, "Key")) {
			rc = dv_error(DV_ERROR, "unexpected answer to a bucket listing (an entry without Key)");
			goto done;
		}
		if (since) {
			int64_t t;
			if (!dv_s3_xml_get(&flag, contents.ptr, contents.len, "LastModified")) {
				rc = dv_error(DV_ERROR, "unexpected answer to a bucket listing (an entry "
					      "without LastModified)");
				goto done;
			}
			if ((rc = dv_s3_parse_time(&t, flag.ptr)) < 0)
				goto done;
			if (t < *since)
				continue;
		}
		dv_strvec_push(keys, key.ptr);
	}
	if (dv_s3_xml_get(&flag, xml, len, "IsTruncated") && !strcmp(flag.ptr, "true")) {
		*truncated = true;
		if (!dv_s3_xml_get(next_token, xml, len, "NextContinuationToken") || !next_token->len)
			rc = dv_error(DV_ERROR, "unexpected answer to a bucket listing (truncated without NextContinuationToken)");
	}
done:
	dv_buf_free(&contents);
	dv_buf_free(&key);
	dv_buf_free(&flag);
	return rc;
}

int dv_s3_parse_list_page(dv_strvec *keys, bool *truncated, dv_buf *next_token,
			  const char *xml, size_t len)
{
	return parse_list_page(keys, truncated, next_token, xml, len, NULL);
}

int dv_s3_parse_list_page_since(dv_strvec *keys, bool *truncated, dv_buf *next_token,
				const char *xml, size_t len, int64_t since_ns)
{
	return parse_list_page(keys, truncated, next_token, xml, len, &since_ns);
}

int dv_s3_part_size(uint64_t *out, uint64_t size, uint64_t want)
{
	uint64_t part = want < DV_S3_MIN_PART ? DV_S3_MIN_PART : want;

	if (part > DV_S3_MAX_PART)
		part = DV_S3_MAX_PART;
	if ((size + part - 1) / part > DV_S3_MAX_PARTS) {
		const uint64_t mib = 1ull << 20;
		part = (size + DV_S3_MAX_PARTS - 1) / DV_S3_MAX_PARTS;
		part = (part + mib - 1) / mib * mib;
	}
	if (part > DV_S3_MAX_PART)
		return dv_error(DV_ERROR, "an object of %llu bytes is too large for S3 (at most %u parts of 5 GiB)",
				(unsigned long long)size, DV_S3_MAX_PARTS);
	*out = part;
	return 0;
}

int dv_s3_parse_size(uint64_t *out, const char *text)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	errno = 0;
	if (!text || !isdigit((unsigned char)*text))
		goto bad;
	n = strtoull(text, &end, 10);
	if (errno)
		goto bad;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	default: goto bad;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end || (shift && n > (UINT64_MAX >> shift)))
		goto bad;
	*out = (uint64_t)n << shift;
	return 0;
bad:
	return dv_error(DV_EUSAGE, "'%s' is not a size: write bytes, or a number with K, M or G", text ? text : "");
}

void dv_s3_credentials_free(dv_s3_credentials *c)
{
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

/* inih hands its handler at most 199 bytes of a line, and session tokens
 * are often longer.  The reader below feeds inih the file line by line and
 * replaces the value of an overlong "key = value" line with a reference
 * into `longs`, which the handler resolves. */
#define LONG_VALUE_MARK "\x01long:"

typedef struct {
	const char *end, *pos;
	dv_strvec longs;
	const char *profile;
	dv_s3_credentials *creds;
} cred_reader;

static char *cred_read_line(char *str, int num, void *stream)
{
	cred_reader *r = stream;
	const char *eol, *eq;
	size_t len;

	if (r->pos >= r->end)
		return NULL;
	eol = memchr(r->pos, '\n', (size_t)(r->end - r->pos));
	len = eol ? (size_t)(eol - r->pos) : (size_t)(r->end - r->pos);
	eq = memchr(r->pos, '=', len);
	if (len + 2 > (size_t)num && eq && (size_t)(eq - r->pos) + 32 < (size_t)num) {
		const char *v = eq + 1, *ve = r->pos + len;
		while (v < ve && isspace((unsigned char)*v))
			v++;
		while (ve > v && isspace((unsigned char)ve[-1]))
			ve--;
		dv_strvec_push_take(&r->longs, dv_strndup(v, (size_t)(ve - v)));
		snprintf(str, (size_t)num, "%.*s= " LONG_VALUE_MARK "%zu\n", (int)(eq - r->pos), r->pos,
			 r->longs.n - 1);
	} else {
		/* A line inih would cut anyway is cut here the same way. */
		size_t n = len + 1 < (size_t)num ? len : (size_t)num - 2;
		memcpy(str, r->pos, n);
		str[n] = '\n';
		str[n + 1] = '\0';
	}
	r->pos += len + (eol ? 1 : 0);
	return str;
}

static int cred_handle(void *user, const char *section, const char *name, const char *value)
{
	cred_reader *r = user;
	char **slot = NULL;

	if (strcmp(section, r->profile) != 0)
		return 1;
	if (!name)
		return 1;
	if (!strncmp(value, LONG_VALUE_MARK, strlen(LONG_VALUE_MARK))) {
		size_t i = strtoul(value + strlen(LONG_VALUE_MARK), NULL, 10);
		value = i < r->longs.n ? r->longs.v[i] : "";
	}
	if (!strcmp(name, "aws_access_key_id"))
		slot = &r->creds->access_key_id;
	else if (!strcmp(name, "aws_secret_access_key"))
		slot = &r->creds->secret_access_key;
	else if (!strcmp(name, "aws_session_token") || !strcmp(name, "aws_security_token"))
		slot = &r->creds->session_token;
	if (slot) {
		free(*slot);
		*slot = dv_strdup(value);
	}
	return 1;
}

int dv_s3_read_credentials_file(dv_s3_credentials *out, const char *path, const char *profile)
{
	dv_buf text = DV_BUF_INIT;
	cred_reader r = { 0 };
	int rc, line;

	memset(out, 0, sizeof(*out));
	if ((rc = dv_read_file(&text, path)) < 0)
		goto done;
	r.pos = text.ptr;
	r.end = text.ptr + text.len;
	r.profile = profile;
	r.creds = out;
	line = ini_parse_stream(cred_read_line, &r, cred_handle, &r);
	if (line != 0) {
		rc = line > 0 ? dv_error(DV_ERROR, "cannot read '%s' line %d: not an INI line", path, line)
			      : dv_error(DV_ERROR, "cannot read '%s'", path);
		goto done;
	}
	if (!out->access_key_id || !out->secret_access_key) {
		rc = dv_error(DV_ENOTFOUND, "'%s' has no profile [%s] with aws_access_key_id and aws_secret_access_key",
			      path, profile);
		goto done;
	}
done:
	if (rc < 0)
		dv_s3_credentials_free(out);
	dv_strvec_free(&r.longs);
	dv_buf_free(&text);
	return rc;
}
