/*
 * pipeline/filehash: content hashes of source files, remembered across builds by their stat identity
 * (path, size, mtime in ns, inode), as git's index and ccache do, so a no-op rebuild stats files instead
 * of reading them. An entry whose mtime is within 2 seconds of when it was hashed is "racy" (the file
 * may change again within the same timestamp) and is never remembered.
 *
 * Within one build a file is stat'ed once: what gb_filehash returned is kept by path for the rest of the
 * run (a file changed during a build is go's race too: it stats and reads each file once).
 *
 * Stored in $CACHE/filehashes, one "hex size mtime_ns inode path" line per file, sorted by path,
 * replaced atomically. Ownership: gb_filehash_load() fills a struct released by gb_filehash_release().
 */
#ifndef RT0_PIPELINE_FILEHASH_H
#define RT0_PIPELINE_FILEHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct gb_filehash_entry {
	char *path;
	long long size, mtime_ns;
	unsigned long long ino;
	uint8_t hash[32];
};

struct gb_filehash {
	char *file;                        /* $CACHE/filehashes */
	char *text;                        /* its contents, which e's paths point into */
	struct gb_filehash_entry *e;       /* sorted by path */
	size_t n;
	struct gb_filehash_entry *added;   /* new this build, unsorted */
	size_t nadded, addcap;
	struct gb_filehash_entry *seen;    /* this run's answers (path and hash) ... */
	size_t nseen, seencap;
	uint32_t *slots;                   /* ... indexed by path (open addressing, a power of two) */
	size_t nslots;
};

/* A missing or unreadable memo file is an empty memo, never an error. */
void gb_filehash_load(struct gb_filehash *m, const char *cache_dir);
/* sha256 of `path`'s contents, from the memo when its stat identity is unchanged. */
int gb_filehash(struct gb_filehash *m, const char *path, uint8_t out[32], struct rt_err *err);
/* Whether a file whose mtime is mtime_ns may still change within the same timestamp (modified within 2
 * seconds of now): what is read of it is not remembered (here, and by pipeline/scanmemo). */
bool gb_filehash_racy(long long mtime_ns);
/* A stat the caller made of path: when the memo holds that identity, its hash is this run's answer
 * (gb_filehash then needs no stat of its own). */
struct stat;
void gb_filehash_seed(struct gb_filehash *m, const char *path, const struct stat *st);
/* Writes the memo back when this build added entries (best effort: a failure only costs speed). */
void gb_filehash_save(struct gb_filehash *m);
void gb_filehash_release(struct gb_filehash *m);

#endif
