/*
 * pipeline/sumdb: the Go checksum database (GOSUMDB, https://sum.golang.org), read as cmd/go's sumdb
 * client reads it, for the builds that have no go.sum to check modules against (PKG@VERSION).
 *
 * A lookup answers with the go.sum lines of one module version (its record), the record's number in the
 * database's log, and a signed note naming the log's size and root hash. The note's Ed25519 signature is
 * checked with the key GOSUMDB names (the public key of sum.golang.org is built in, as in cmd/go), and
 * the record is proven to be in the signed log by recomputing the log's root hash from the record and
 * the log's hash tiles (RFC 6962 Merkle tree, tiles of height 8). The newest signed log seen is kept in
 * <GOPATH>/pkg/sumdb/<name>/latest; every later log must extend it (its root is recomputed from the same
 * tiles), so a database that forks its log is caught.
 *
 * The database is reached as cmd/go does: through the first GOPROXY entry that proxies it
 * (<proxy>/sumdb/<name>/supported), else at https://<name>, or at the URL GOSUMDB gives. What was read and
 * verified is cached where cmd/go caches it, so both share it: lookups and tiles under
 * $GOMODCACHE/cache/download/sumdb/<name>/ (lookup/<path>@<version>, tile/8/<L>/<NNN>[.p/<W>]).
 *
 * Errors: RT_EXIT_ENV for a malformed GOSUMDB or a database that cannot be reached; RT_EXIT_BUILD for a
 * version the database does not have, a bad signature, a record or tiles that do not prove against the
 * signed log, or a log that does not extend the one recorded before (each says which).
 *
 * Ownership: gb_sumdb_open() returns a handle released by gb_sumdb_close(); it borrows the gb_modenv,
 * which must outlive it. Not thread-safe.
 */
#ifndef RT0_PIPELINE_SUMDB_H
#define RT0_PIPELINE_SUMDB_H

#include "common/err.h"
#include "pipeline/modfetch.h"

struct gb_sumdb;

/* The database GOSUMDB names (e->sumdb): "sum.golang.org" (the default), "sum.golang.google.cn", a
 * verifier key NAME+HASH+KEY, each optionally followed by a URL; *db NULL (and 0) for GOSUMDB=off. */
int gb_sumdb_open(const struct gb_modenv *e, struct gb_sumdb **db, struct rt_err *err);
void gb_sumdb_close(struct gb_sumdb *db);
/* The database's name ("sum.golang.org"), for messages. */
const char *gb_sumdb_name(const struct gb_sumdb *db);

/* The database's h1 hash of path@version: the module zip's for "vX.Y.Z", its go.mod's for
 * "vX.Y.Z/go.mod"; verified as above. *h1 is malloc'd. */
int gb_sumdb_lookup(struct gb_sumdb *db, const char *path, const char *version, char **h1, struct rt_err *err);

#endif
