/*
 * Internal to pipeline/modfetch: what modfetch.c shares with the proxy client (modproxy.c) and the zip
 * checker (modzip.c). Not for other callers: pipeline/modfetch.h is the API.
 */
#ifndef RT0_PIPELINE_MODFETCH_INT_H
#define RT0_PIPELINE_MODFETCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "pipeline/modfetch.h"

/* golang.org/x/mod/zip's limits, which cmd/go applies to what a proxy serves. */
#define GB_MAX_ZIP_FILE (500ll << 20)   /* a module zip, and the uncompressed total of its files */
#define GB_MAX_GOMOD (16ll << 20)       /* go.mod in a zip; also the most rt0trace takes for .mod and .info */
#define GB_MAX_LICENSE (16ll << 20)

/* ---- modfetch.c --------------------------------------------------------------------------------- */

/* module.CheckFilePath: RT_EXIT_BUILD with go's reason. */
int gb_mod_check_file_path(const char *path, struct rt_err *err);
/* The rune at s (UTF-8, n bytes available) in *r and its length, or 0 when the encoding is invalid
 * (overlong forms and surrogates included, as Go's utf8 package). */
size_t gb_utf8_decode(const char *s, size_t n, uint32_t *r);
/* unicode.IsLetter and the smallest rune of r's simple case-folding orbit (as strToFold uses it), from
 * the C library's C.UTF-8 tables: close to Go's Unicode tables, not identical for every script. */
bool gb_rune_is_letter(uint32_t r);
uint32_t gb_rune_fold(uint32_t r);

/* rt_mkdir_p with the error set (RT_EXIT_ENV). */
int gb_mkdir_all(const char *dir, struct rt_err *err);
/* A temporary file in file's directory (cmd/go's <base><random>.tmp), renamed over `file` once written
 * and closed: a reader sees the old file or the new one, never part of it. RT_EXIT_ENV on failure. */
int gb_write_atomic(const char *file, const void *data, size_t len, struct rt_err *err);
/* Reads a file as lockedfile.Read does: under a shared flock, so a writer that locks it is never seen
 * half-way. NUL-terminated; NULL with errno set when it cannot be read. */
char *gb_read_locked(const char *file, size_t *len);

/* ---- modproxy.c ---------------------------------------------------------------------------------- */

/* Where a fetched body goes: a file descriptor (fd >= 0: written from its current offset, truncated
 * back to 0 when a proxy fails so the next starts clean) or a buffer; at most `limit` bytes, past which
 * the fetch fails as "too large". */
struct gb_sink {
	int fd;
	struct strbuf *buf;
	long long limit;
};

/* GETs <proxy>/<escaped path>/<file> (file: "@v/<escaped version>.info" and such) through the GOPROXY
 * list, falling through to the next entry as cmd/go's TryProxies does. *from: the (password-redacted)
 * URL that answered. Errors are prefixed "path@version: ". */
int gb_proxy_get(const struct gb_modenv *e, const char *path, const char *version, const char *file,
		 struct gb_sink *sink, char **from, struct rt_err *err);
/* GETs one URL (file://, http://, https://, as GOPROXY entries are read) into sink: GB_GET_OK,
 * GB_GET_NOTEXIST (404, 410, a missing file; err set too), or -1 with err set (RT_EXIT_ENV when it cannot
 * be reached, RT_EXIT_BUILD for another 4xx). */
enum { GB_GET_OK = 0, GB_GET_NOTEXIST = 1 };
int gb_url_get(const struct gb_modenv *e, const char *url, struct gb_sink *sink, struct rt_err *err);
/* Where the checksum database NAME is read, as cmd/go's dbClient.initBase decides it: "<proxy>/sumdb/NAME"
 * for the first GOPROXY entry whose <proxy>/sumdb/NAME/supported answers, else https://NAME. */
int gb_sumdb_base(const struct gb_modenv *e, const char *name, char **base, struct rt_err *err);
/* The connection of a gb_modenv: libcurl is started on the first http(s) fetch only. */
struct gb_modconn *gb_proxy_conn_new(void);
void gb_proxy_conn_release(struct gb_modconn *c);

/* ---- modzip.c ------------------------------------------------------------------------------------- */

/* golang.org/x/mod/zip's checkZip for path@version (plus: no symbolic links or other non-regular
 * entries), and with dir != NULL the extraction into the existing, empty dir: files 0444 (before umask),
 * directories 0777 (before umask). RT_EXIT_BUILD naming the zip and the first bad entry. */
int gb_modzip_unzip(const char *zipfile, const char *path, const char *version, const char *dir,
		    struct rt_err *err);

#endif
