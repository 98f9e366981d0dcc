/*
 * pipeline/buildid: Go build IDs in go build's format, and the two archive/executable edits the go
 * command makes itself (there is no pack or buildid binary in a Go distribution):
 *
 *  - an ID component is hashToString(sha256): the first 15 bytes in a 64-letter alphabet, 20 chars;
 *    a package's ID is "actionID/contentID", an executable's "linkActionID/mainActionID/mainContentID/
 *    contentID"; the last component starts as a copy of the action ID and is then fixed:
 *  - buildid -w: hash the file with every occurrence of its ID read as zeros (and, in an ELF, the
 *    .note.gnu.build-id payload read as zeros), replace the last component by that hash, rewrite every
 *    occurrence in place;
 *  - pack r: append files to a Go archive as ar entries (name cut to 16 bytes, mtime/uid/gid 0, mode 644).
 */
#ifndef RT0_PIPELINE_BUILDID_H
#define RT0_PIPELINE_BUILDID_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define GB_ID_LEN 20 /* one build ID component */

/* sha256 of `len` bytes. */
void gb_sha256(const void *data, size_t len, uint8_t out[32]);
/* The 20-character form of a hash. `out` has room for GB_ID_LEN + 1. */
void gb_hash_to_string(const uint8_t h[32], char *out);

/* buildid -w on `path` whose current build ID is `id`; `newid` (room for strlen(id)+1) receives the
 * rewritten ID, `content` (may be NULL) the content hash. RT_EXIT_BUILD when `id` is not in the file. */
int gb_buildid_rewrite(const char *path, const char *id, char *newid, uint8_t content[32], struct rt_err *err);

/* pack r ARCHIVE FILES...: appends each file to the archive (which must exist, as compile -pack made it). */
int gb_pack_append(const char *archive, char *const *files, size_t nfiles, struct rt_err *err);

#endif
