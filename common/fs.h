/* File-system helpers shared by the readers (probes/, pipeline/). */
#ifndef RT0_COMMON_FS_H
#define RT0_COMMON_FS_H

#include <stdbool.h>
#include <stddef.h>

/* Reads a whole file into *buf (NUL-terminated, released with free()), its length in *len (may be
 * NULL). Returns 0, or -1 with errno set. */
int rt_read_file(const char *path, char **buf, size_t *len);
/* The same, as a string, or NULL (errno set) when it cannot be read. */
char *rt_slurp(const char *path);
bool rt_is_dir(const char *path);
bool rt_is_file(const char *path);  /* a regular file */
/* Puts the finished file `tmp` at `dst`: rename() over a regular file or nothing; for anything else
 * that exists (a device such as /dev/null, a FIFO) its bytes are written into it and `dst` is never
 * replaced. `tmp` is gone afterwards either way. Returns 0, or -1 with errno set. */
int rt_install_file(const char *tmp, const char *dst);
/* Copies a file's bytes into `to` (created with `from`'s mode, or truncated). 0, or -1 with errno set. */
int rt_copy_file(const char *from, const char *to);
/* mkdir -p; returns 0, or -1 with errno set. */
int rt_mkdir_p(const char *path);

#endif
