/*
 * pipeline/scanmemo: what pipeline/gosrc read from each source file of a package directory, remembered
 * across builds by the file's stat identity (size, mtime in ns, inode), as cmd/go's module index keeps
 * what it parsed of GOROOT and the module cache: a no-op rebuild stats a package's files and reads one
 * record, instead of opening and reading every file.
 *
 * One record per directory, $CACHE/scans/<sha256 of the directory's path>, a text file: for each file
 * "F name size mtime_ns inode g|h" (a full scan or the constraint header only) and then its fields, one a
 * line: "P package", "N line", "I import", "C" (import "C"), "X #cgo line", "G //go:build expression",
 * "B +build line", "E embed pattern", "D go:debug", ended by ".". A damaged record is an empty one; a
 * file whose mtime is within 2 seconds of the scan (racy: gb_filehash_racy) or whose fields hold a
 * newline is scanned every time. A failed scan is never remembered.
 *
 * Ownership: gb_scanmemo_open() returns a record released by gb_scanmemo_close(). Not thread-safe.
 */
#ifndef RT0_PIPELINE_SCANMEMO_H
#define RT0_PIPELINE_SCANMEMO_H

#include <stdbool.h>
#include <sys/stat.h>

#include "common/err.h"
#include "pipeline/gosrc.h"

struct gb_scanmemo;

/* The record of `dir` in memo_dir (NULL memo_dir: nothing is remembered, every file is scanned). */
struct gb_scanmemo *gb_scanmemo_open(const char *memo_dir, const char *dir);
/* gosrc_scan (header: gosrc_scan_header) of dir/name, from the record when the file's stat identity
 * matches. *st: the file's stat (0 when it could not be stat'ed). Errors are gosrc's. */
int gb_scanmemo_scan(struct gb_scanmemo *sm, const char *name, bool header, struct gosrc *out, struct stat *st,
		     struct rt_err *err);
/* Writes the record back when this run scanned anything anew (only the files asked for this run), and
 * frees it. */
void gb_scanmemo_close(struct gb_scanmemo *sm);

#endif
