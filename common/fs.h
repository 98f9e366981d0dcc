/* File-system helpers shared by the readers (probes/, pipeline/). */
#ifndef RT0_COMMON_FS_H
#define RT0_COMMON_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Reads a whole file into *buf (NUL-terminated, released with free()), its length in *len (may be
 * NULL). Returns 0, or -1 with errno set. */
int rt_read_file(const char *path, char **buf, size_t *len);
/* The same, as a string, or NULL (errno set) when it cannot be read. */
char *rt_slurp(const char *path);
bool rt_is_dir(const char *path);
/* Whether path is prefix or lies under it, element-wise ("a/b" is under "a", "ab" is not): file paths
 * and Go import paths alike. */
bool rt_path_under(const char *path, const char *prefix);
/* The last element of a '/'-separated path (all of it without a '/'; NULL for NULL): a pointer into it. */
const char *rt_path_base(const char *path);
bool rt_is_file(const char *path);  /* a regular file */
/* Writes the bytes of the file `from` to `to` (an output file: common/outfile). 0, or -1 with errno. */
int rt_append_file(FILE *to, const char *from);
/* Copies a file's bytes into `to` (created with `from`'s mode, or truncated). 0, or -1 with errno set. */
int rt_copy_file(const char *from, const char *to);
/* mkdir -p; returns 0, or -1 with errno set. */
int rt_mkdir_p(const char *path);

#endif
