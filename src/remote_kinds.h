/*
 * remote_kinds.h - the constructors of the remote kinds behind remote.h,
 * which dv_remote_open dispatches to by URL, and the URL helpers they
 * share.  Private to libdv (and its unit tests).
 *
 * Each constructor fills a dv_remote (dv_remote_init_base) embedded first
 * in its own struct; its ops->free releases everything.
 */
#ifndef DV_REMOTE_KINDS_H
#define DV_REMOTE_KINDS_H

#include "dv/config.h"
#include "dv/remote.h"

/* A directory: `path` is the URL resolved to an absolute path. */
int dv_remote_local_open(dv_remote **out, const dv_config *cfg, const char *name,
			 const char *url, const char *path);
/* ssh://[user@]host[:port]/path or [user@]host:path, via the system ssh. */
int dv_remote_ssh_open(dv_remote **out, const dv_config *cfg, const char *name, const char *url);
/* http(s)://...: fetch only. */
int dv_remote_http_open(dv_remote **out, const dv_config *cfg, const char *name, const char *url);
/* s3://bucket/prefix on any S3-compatible store (remote_s3.c). */
int dv_remote_s3_open(dv_remote **out, const dv_config *cfg, const char *name, const char *url);

/* Resolve a directory URL (/abs, relative to `repo_root`, file:///abs,
 * ~/path) to a normalised absolute path. */
int dv_remote_local_path(char **out, const char *url, const char *repo_root);

/* The parts of an SSH URL.  `path` is as given: absolute, or relative to
 * the login directory ("" for the login directory itself). */
typedef struct {
	char *user; /* NULL when not given */
	char *host;
	int port;   /* 0 when not given */
	char *path;
} dv_ssh_url;

int dv_ssh_url_parse(dv_ssh_url *out, const char *url);
void dv_ssh_url_free(dv_ssh_url *u);
/* A port number from 1 to 65535 in s[0..n); errors name `what`. */
int dv_remote_parse_port(int *out, const char *s, size_t n, const char *what);

/* Split "s3://bucket/some/prefix/" into "bucket" and "some/prefix" (no
 * leading or trailing '/'; "" when there is none). */
int dv_s3_parse_url(char **bucket, char **prefix, const char *url);

/* Every regular file below <root>/<prefix>, as "<prefix>/..." paths;
 * dot names (unfinished uploads) are skipped; a missing directory is
 * empty. */
int dv_list_files_below(dv_strvec *out, const char *root, const char *prefix);

/* The versions of the libraries the network module (dv-remote.so) runs
 * with, "libcurl 7.88.1 (OpenSSL/3.0.11)" and so on, for dv doctor; an
 * error says why the module cannot be loaded. */
int dv_remote_module_versions(dv_strvec *out);
/* The module's side of it (exported by dv-remote.so). */
int dv_net_library_versions(dv_strvec *out);

/* Parse a positive job count; errors name `what`. */
int dv_parse_jobs(int *out, const char *text, const char *what);

#endif
