/*
 * pipeline/modfetch: the Go module cache ($GOMODCACHE) and the module proxy protocol (GOPROXY), as
 * cmd/go's modfetch package keeps and speaks them, so that `go` and rt0trace can share one cache.
 *
 * Layout (cmd/go's; <p> and <v> are the escaped path and version, gb_mod_escape_*):
 *   $GOMODCACHE/cache/download/<p>/@v/<v>.info    {"Version":..,"Time":..,"Origin":..} as go writes it
 *                                     <v>.mod     the go.mod the proxy served for that version
 *                                     <v>.zip     the module zip; <v>.ziphash its h1 (no newline)
 *                                     <v>.lock    flock(2)ed by whoever downloads or extracts <v>
 *                                     <v>.partial present while <p>@<v> is being extracted
 *                                     list        the versions with a .mod, sorted (rewritten under flock)
 *   $GOMODCACHE/<p>@<v>/                          the extracted zip: files 0444, directories 0555
 * Every file is written to a temporary name in its directory and renamed into place once complete and
 * checked; temporary names are the ones cmd/go cleans up under the lock (<v>.zip*.tmp, <p>@<v>.tmp-*).
 *
 * Fetching goes only through module proxies: GOPROXY's https://, http:// (libcurl) and file:// entries.
 * "direct" (and GONOPROXY/GOPRIVATE, which mean direct) is refused with RT_EXIT_BUILD when it is
 * reached: rt0trace runs no version control tool. Errors: a proxy that cannot be reached (DNS, connect,
 * TLS, timeout, a 5xx answer) is RT_EXIT_ENV; a module or version the proxy does not have (any 4xx, its
 * message included), GOPROXY=off, a hash mismatch and an invalid zip are RT_EXIT_BUILD; a bad GOPROXY or
 * an unusable GOMODCACHE is RT_EXIT_ENV.
 *
 * Ownership: gb_modenv_load() fills a struct released with gb_modenv_release(); every char * returned
 * is malloc'd and the caller's. Not thread-safe for one gb_modenv (it holds one proxy connection).
 */
#ifndef RT0_PIPELINE_MODFETCH_H
#define RT0_PIPELINE_MODFETCH_H

#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"

struct gb_modconn;

/* The module environment as cmd/go reads it: the process environment first, then the go env file
 * ($GOENV unless "off", else $XDG_CONFIG_HOME/go/env, else $HOME/.config/go/env: what `go env -w`
 * writes), then $GOROOT/go.env (GOROOT from those, else /usr/local/go), then go's defaults. */
struct gb_modenv {
	char *modcache;   /* GOMODCACHE; else the first entry of GOPATH + "/pkg/mod"; else $HOME/go/pkg/mod */
	char *proxy;      /* GOPROXY, default "https://proxy.golang.org,direct" */
	char *noproxy;    /* GONOPROXY, default GOPRIVATE */
	char *nosumdb;    /* GONOSUMDB, default GOPRIVATE (kept for the loader) */
	char *sumdb;      /* GOSUMDB, default "sum.golang.org" (pipeline/sumdb.h) */
	char *sumdb_dir;  /* where the newest signed log of each database is kept: GOPATH's first entry +
	                   * "/pkg/sumdb", else $HOME/go/pkg/sumdb (cmd/go's cfg.SumdbDir); NULL when none */
	char *insecure;   /* GOINSECURE (kept: it only concerns direct fetches, which rt0trace refuses) */
	char *flags;      /* GOFLAGS (kept for the caller: -mod=..., -trimpath, ...; -modcacherw is honoured) */
	FILE *log;        /* not from the environment: where -x's "# get URL" lines go; NULL for none */
	const char *sum_source; /* not from the environment: where want_h1 hashes come from, for messages
	                         * ("go.sum" when NULL; the checksum database's name for PKG@VERSION) */
	struct gb_modconn *conn;  /* private: the proxy connection, reused across fetches */
};
/* RT_EXIT_ENV when no module cache can be named or GOMODCACHE is relative (go refuses it too). */
int gb_modenv_load(struct gb_modenv *e, struct rt_err *err);
void gb_modenv_release(struct gb_modenv *e);

/* Whether a module path matches a comma-separated glob list (GOPRIVATE syntax: path.Match of each glob
 * against the path's prefix of as many elements, as module.MatchPrefixPatterns). */
bool gb_mod_match_patterns(const char *globs, const char *path);

/* module.EscapePath: "github.com/BurntSushi/toml" -> "github.com/!burnt!sushi/toml"; NULL for an invalid
 * module path (module.CheckPath). */
char *gb_mod_escape_path(const char *path);
/* module.EscapeVersion: "v1.0.0-RC1" -> "v1.0.0-!r!c1"; NULL for a version that is no valid file name. */
char *gb_mod_escape_version(const char *version);
/* module.SplitPathVersion: the /vN (or gopkg.in's .vN[-unstable]) suffix of `path` in *major (a
 * pointer into path, "" when none); false when the suffix is malformed (/v1, /v0N, dots). */
bool gb_mod_split_path_version(const char *path, const char **major);
/* module.MatchPathMajor: whether `version`'s major version fits a path's suffix `pm` (as above). */
bool gb_mod_match_path_major(const char *version, const char *pm);
/* Whether path@version can be in the cache: a valid module path, a canonical semantic version
 * (v1.2.3[-pre][+incompatible]) whose major version fits the path (module.Check). RT_EXIT_BUILD with
 * go's reason otherwise. */
int gb_mod_check(const char *path, const char *version, struct rt_err *err);

/* $GOMODCACHE/cache/download/<p>/@v/<v>.<suffix> ("info", "mod", "zip", "ziphash", "lock", "partial"),
 * and $GOMODCACHE/<p>@<v>; NULL when gb_mod_check fails. Nothing is looked at on disk. */
char *gb_mod_cache_file(const struct gb_modenv *e, const char *path, const char *version, const char *suffix);
char *gb_mod_cache_dir(const struct gb_modenv *e, const char *path, const char *version);

/* <v>.info, fetched from GOPROXY when absent. Returns the malloc'd file path. */
int gb_mod_fetch_info(const struct gb_modenv *e, const char *path, const char *version, char **file,
		      struct rt_err *err);
/* <v>.mod, fetched from GOPROXY when absent (written whole and renamed, with no lock, as go). want_h1: go.sum's "/go.mod" hash,
 * checked against the cached or downloaded file (a mismatch writes nothing and stops); NULL: not checked. */
int gb_mod_fetch_gomod(const struct gb_modenv *e, const char *path, const char *version, const char *want_h1,
		       char **file, struct rt_err *err);
/* <v>.zip and <v>.ziphash: when either is absent, under the version's lock, the zip is fetched (or, when
 * only the .ziphash is missing, re-hashed), checked (names, sizes, as golang.org/x/mod/zip) and its h1
 * compared with want_h1 before anything is renamed into place. An existing .ziphash is compared with
 * want_h1 as go's checkMod does. want_h1 NULL: not checked, the caller decides. */
int gb_mod_fetch_zip(const struct gb_modenv *e, const char *path, const char *version, const char *want_h1,
		     char **zipfile, struct rt_err *err);
/* $GOMODCACHE/<p>@<v>: the extracted module. When absent, half-extracted (a .partial file, as cmd/go
 * leaves) or without its .ziphash, the zip is fetched (gb_mod_fetch_zip; and the .info, when the proxy is
 * asked for the zip: a cached zip needs no proxy) and extracted under the version's lock: the .partial marker is created, the tree written into <dir>.tmp-N
 * (files 0444), its directories made 0555 (unless GOFLAGS has -modcacherw), renamed to <dir>, and the
 * marker removed. Returns the malloc'd directory. */
int gb_mod_fetch_dir(const struct gb_modenv *e, const char *path, const char *version, const char *want_h1,
		     char **dir, struct rt_err *err);

/* The version `query` selects for module path, as go install PKG@QUERY does without a main module: a
 * canonical version must exist at the proxy (its .info is fetched); "latest" is the highest release
 * the proxy lists, else its highest pre-release, else its @latest answer. Retractions are not applied.
 * *version is malloc'd. RT_EXIT_BUILD when the proxy does not have it, RT_EXIT_ENV when unreachable. */
int gb_mod_query(const struct gb_modenv *e, const char *path, const char *query, char **version, struct rt_err *err);

/* `go mod verify` for one module: the zip's and the extracted directory's h1 (those present) against the
 * .ziphash. RT_EXIT_BUILD naming what was modified; RT_EXIT_INPUT when nothing is in the cache. */
int gb_mod_verify(const struct gb_modenv *e, const char *path, const char *version, struct rt_err *err);

/* The h1 recorded in <v>.ziphash (go.sum's "path version h1:..."), or NULL when absent or damaged. */
char *gb_mod_cached_sum(const struct gb_modenv *e, const char *path, const char *version);

#endif
