/*
 * pipeline/dirhash: the "h1:" hashes of go.sum (golang.org/x/mod/sumdb/dirhash, Hash1).
 *
 * Hash1 of a list of files: the names sorted bytewise, one line "<hex sha256 of the file>  <name>\n" each,
 * the sha256 of those lines in base64 (standard alphabet, padded) after "h1:". What is named differs:
 *   - gb_h1_zip: every entry of a zip, under its name in the zip (go's HashZip: the module zip's hash, the
 *     go.sum line "path version h1:..." and the .ziphash file of the module cache);
 *   - gb_h1_dir: every non-directory below a directory, named prefix + "/" + its slash-separated relative
 *     path (go's HashDir with prefix "path@version": what `go mod verify` compares with the .ziphash);
 *   - gb_h1_gomod: one file named "go.mod" holding the bytes given (the go.sum line "path version/go.mod").
 * File contents go through common/sha256. Ownership: the returned strings are malloc'd, the caller's.
 */
#ifndef RT0_PIPELINE_DIRHASH_H
#define RT0_PIPELINE_DIRHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* A file that cannot be read, a name with a newline (Hash1 refuses them) or `dir` not being a directory
 * is an error (RT_EXIT_INPUT). Symbolic links are followed, as go's os.Open does, and counted as files. */
int gb_h1_dir(const char *dir, const char *prefix, char **h1, struct rt_err *err);
/* An unreadable or invalid zip, or an entry that does not decompress (CRC, size), is RT_EXIT_INPUT. */
/* gb_h1_dir with each file's sha256 from the build's stat-keyed memo (pipeline/filehash.h): an
 * unchanged module directory is stat'ed, not read, on the next build; a changed file is read again. */
struct gb_filehash;
int gb_h1_dir_memo(const char *dir, const char *prefix, struct gb_filehash *memo, char **h1, struct rt_err *err);
/* The same, with Hash1's input in *lines (malloc'd; may be NULL): one "<hex sha256>  <prefix>/<name>\n"
 * line per file, sorted by name. */
int gb_h1_dir_lines(const char *dir, const char *prefix, struct gb_filehash *memo, char **h1, char **lines,
		    struct rt_err *err);
/* Hash1 of such lines: "h1:" and the base64 of their sha256. */
char *gb_h1_of_lines(const char *lines, size_t len);
int gb_h1_zip(const char *zipfile, char **h1, struct rt_err *err);
char *gb_h1_gomod(const char *data, size_t len);

/* Whether s has the shape of an h1 hash: "h1:" and 44 base64 characters (go's isValidSum, which the
 * module cache's .ziphash files are checked with). */
bool gb_h1_valid(const char *s, size_t len);

#endif
