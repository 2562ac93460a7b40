/*
 * remote_url.c - reading remote URLs: which kind a URL names, and each
 * kind's own parse (directory paths, SSH, S3), plus dv_remote_url_check,
 * which `dv remote add` and `dv remote modify URL` run so that a URL that
 * can never work is refused when it is written, with one line naming the
 * problem and a valid example, rather than at the first push.
 *
 * These parsers live in libdv, not in the network module (dv-remote.so):
 * checking a URL must not load libcurl, and the module calls back into
 * libdv for them.
 */
#include <stdlib.h>
#include <string.h>

#include "dv/buf.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/remote.h"
#include "remote_kinds.h"

#define SSH_EXAMPLE "ssh://user@backup.example.com/srv/dv-store"
#define S3_EXAMPLE "s3://my-bucket/dv-store"
#define HTTP_EXAMPLE "https://data.example.com/dv-store"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *dv_remote_url_kind(const char *url)
{
	const char *colon, *slash;

	if (!url || !*url)
		return NULL;
	if (has_prefix(url, "s3://"))
		return "s3";
	if (has_prefix(url, "http://") || has_prefix(url, "https://"))
		return "http";
	if (has_prefix(url, "ssh://"))
		return "ssh";
	if (has_prefix(url, "file://"))
		return "local";
	if (strstr(url, "://"))
		return NULL;
	if (url[0] == '/' || url[0] == '.' || url[0] == '~')
		return "local";
	/* scp-like "[user@]host:path": a colon before any slash, as git reads it. */
	colon = strchr(url, ':');
	slash = strchr(url, '/');
	if (colon && colon != url && (!slash || colon < slash))
		return "ssh";
	return "local";
}

int dv_remote_local_path(char **out, const char *url, const char *repo_root)
{
	dv_buf path = DV_BUF_INIT;
	const char *p = url;

	if (has_prefix(p, "file://")) {
		p += strlen("file://");
		if (has_prefix(p, "localhost/"))
			p += strlen("localhost");
		if (*p != '/')
			return dv_error(DV_EUSAGE, "cannot use '%s': a file:// URL needs an absolute path, e.g. file:///srv/dv-store", url);
	}
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		const char *home = getenv("HOME");
		if (!home || !*home)
			return dv_error(DV_ERROR, "cannot expand '~' in '%s': HOME is not set", url);
		dv_path_join(&path, home, p[1] ? p + 2 : "");
	} else if (p[0] == '/') {
		dv_buf_set(&path, p);
	} else {
		if (!repo_root)
			return dv_error(DV_EUSAGE, "cannot resolve the relative remote path '%s' outside a repository", url);
		dv_path_join(&path, repo_root, p);
	}
	*out = dv_path_normalize(path.ptr);
	dv_buf_free(&path);
	return 0;
}

void dv_ssh_url_free(dv_ssh_url *u)
{
	free(u->user);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

int dv_remote_parse_port(int *out, const char *s, size_t n, const char *url)
{
	int port = 0;
	if (n == 0 || n > 5)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		port = port * 10 + (s[i] - '0');
	}
	if (port < 1 || port > 65535)
		goto bad;
	*out = port;
	return 0;
bad:
	return dv_error(DV_EUSAGE, "invalid port in '%s': expected a number from 1 to 65535, e.g. %s",
			url, SSH_EXAMPLE);
}

int dv_ssh_url_parse(dv_ssh_url *out, const char *url)
{
	const char *p, *at, *host_end, *path;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!strncmp(url, "ssh://", 6)) {
		const char *auth = url + 6, *slash = strchr(auth, '/');
		const char *auth_end = slash ? slash : auth + strlen(auth);
		at = memchr(auth, '@', (size_t)(auth_end - auth));
		p = at ? at + 1 : auth;
		if (at)
			out->user = dv_strndup(auth, (size_t)(at - auth));
		if (*p == '[') { /* [v6 address] */
			host_end = memchr(p, ']', (size_t)(auth_end - p));
			if (!host_end)
				goto bad;
			out->host = dv_strndup(p + 1, (size_t)(host_end - p - 1));
			host_end++;
		} else {
			host_end = p;
			while (host_end < auth_end && *host_end != ':')
				host_end++;
			out->host = dv_strndup(p, (size_t)(host_end - p));
		}
		if (host_end < auth_end) {
			if (*host_end != ':')
				goto bad;
			if ((rc = dv_remote_parse_port(&out->port, host_end + 1, (size_t)(auth_end - host_end - 1), url)) < 0)
				goto fail;
		}
		path = slash ? slash : "";
		/* ssh://host/~/dir is relative to the login directory, as git reads it. */
		if (!strncmp(path, "/~/", 3))
			path += 3;
		else if (!strcmp(path, "/~"))
			path = "";
	} else {
		const char *colon = strchr(url, ':');
		if (!colon)
			goto bad;
		at = memchr(url, '@', (size_t)(colon - url));
		p = at ? at + 1 : url;
		if (at)
			out->user = dv_strndup(url, (size_t)(at - url));
		out->host = dv_strndup(p, (size_t)(colon - p));
		path = colon + 1;
		if (!strncmp(path, "~/", 2))
			path += 2;
		else if (!strcmp(path, "~"))
			path = "";
	}
	if (!out->host[0]) {
		rc = dv_error(DV_EUSAGE, "invalid SSH URL '%s': it names no host; expected "
			      "ssh://[user@]host[:port]/path or [user@]host:path, e.g. %s", url, SSH_EXAMPLE);
		goto fail;
	}
	/* A leading '-' would reach ssh as an option (-oProxyCommand=...). */
	if (out->host[0] == '-' || (out->user && (!out->user[0] || out->user[0] == '-')))
		goto bad;
	out->path = dv_strdup(path);
	return 0;
bad:
	rc = dv_error(DV_EUSAGE, "invalid SSH URL '%s': expected ssh://[user@]host[:port]/path or "
		      "[user@]host:path, e.g. %s", url, SSH_EXAMPLE);
fail:
	dv_ssh_url_free(out);
	return rc;
}

int dv_s3_parse_url(char **bucket, char **prefix, const char *url)
{
	const char *p, *slash;
	size_t plen;

	*bucket = *prefix = NULL;
	if (strncmp(url, "s3://", 5) != 0)
		return dv_error(DV_EUSAGE, "'%s' is not an s3 URL: expected s3://BUCKET[/PREFIX]", url);
	p = url + 5;
	slash = strchr(p, '/');
	plen = slash ? (size_t)(slash - p) : strlen(p);
	if (plen == 0)
		return dv_error(DV_EUSAGE, "s3 URL '%s' names no bucket: expected s3://BUCKET[/PREFIX], e.g. %s", url, S3_EXAMPLE);
	*bucket = dv_strndup(p, plen);
	p += plen;
	while (*p == '/')
		p++;
	plen = strlen(p);
	while (plen > 0 && p[plen - 1] == '/')
		plen--;
	*prefix = dv_strndup(p, plen);
	if (strstr(*prefix, "//")) {
		free(*bucket);
		free(*prefix);
		*bucket = *prefix = NULL;
		return dv_error(DV_EUSAGE, "s3 URL '%s' has an empty path component: remove the '//'", url);
	}
	return 0;
}


/* http(s)://[user@]host[:port][/path]: a host, and a valid port if any. */
static int http_url_check(const char *url)
{
	const char *auth = strstr(url, "://") + 3;
	size_t len = strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', len), *host = at ? at + 1 : auth;
	const char *end = auth + len, *colon;
	int port;

	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		colon = close && close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		if (!close || close == host + 1)
			goto no_host;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		if ((colon ? colon : end) == host)
			goto no_host;
	}
	if (colon && dv_remote_parse_port(&port, colon + 1, (size_t)(end - colon - 1), url) < 0)
		return DV_EUSAGE;
	return 0;
no_host:
	return dv_error(DV_EUSAGE, "invalid HTTP URL '%s': it names no host; e.g. %s", url, HTTP_EXAMPLE);
}

int dv_remote_url_check(const char *url, const char *repo_root)
{
	const char *kind = dv_remote_url_kind(url);
	int rc;

	if (!kind)
		return dv_error(DV_EUSAGE, "cannot use '%s' as a remote: expected a directory, "
				"ssh://host/path, [user@]host:path, s3://bucket/prefix or http(s)://...", url);
	if (!strcmp(kind, "local")) {
		char *path = NULL;
		rc = dv_remote_local_path(&path, url, repo_root);
		free(path);
		return rc;
	}
	if (!strcmp(kind, "ssh")) {
		dv_ssh_url u;
		if ((rc = dv_ssh_url_parse(&u, url)) == 0)
			dv_ssh_url_free(&u);
		return rc;
	}
	if (!strcmp(kind, "s3")) {
		char *bucket = NULL, *prefix = NULL;
		rc = dv_s3_parse_url(&bucket, &prefix, url);
		free(bucket);
		free(prefix);
		return rc;
	}
	return http_url_check(url);
}
