/*
 * pipeline/modload: the module graph of a module-mode build, as cmd/go's modload builds it.
 *
 *  - The requirement graph: the main modules' requirements (one main module, or each `use` of a
 *    go.work workspace), then each required module's go.mod (after the replace directives of the main
 *    modules or the workspace; excluded versions dropped). A module whose go.mod says go >= 1.17 is
 *    "pruned": its requirements count, their own go.mod files are not read (Go's graph pruning);
 *    below a module without it (go < 1.17), everything is read.
 *  - Minimal version selection: each module path at the highest version anything in the graph
 *    requires.
 *  - go.sum: every go.mod read from the module cache must match its "/go.mod" line, every module a
 *    package is built from its zip hash line; the extracted directory is hashed too (through the
 *    build's stat-keyed file-hash memo) the first time, and later the files a build reads are checked
 *    against that (gb_modgraph_dir), so a file changed in the cache after its download is caught.
 *    A missing line or a mismatch is an error naming the module, the file and both hashes.
 *  - Package lookup (cmd/go's importFromModules): the modules of the build list whose path prefixes
 *    the import path; the package is the one whose directory holds .go files (and is not inside a
 *    nested module); two such modules are an ambiguous import. With a pruned main module the main
 *    modules' own requirements are tried first, and the whole build list only when none provides the
 *    package (so a module of the graph that go.sum lists only by its go.mod is never fetched).
 * Modules are fetched into $GOMODCACHE from $GOPROXY when absent (pipeline/modfetch.h).
 *
 * Ownership: gb_modgraph_load() fills a struct released by gb_modgraph_release().
 */
#ifndef RT0_PIPELINE_MODLOAD_H
#define RT0_PIPELINE_MODLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "pipeline/dirhash.h"
#include "pipeline/filehash.h"
#include "pipeline/modfetch.h"
#include "pipeline/modfile.h"

struct gb_config;

/* A module of the build list. */
struct gb_mod {
	char *path, *version;      /* as selected */
	char *rpath, *rversion;    /* its replacement as written: a module version, or (rversion NULL) a directory */
	char *rdir;                /* a replacement directory, absolute */
	char *go;                  /* its go.mod's go line, or NULL */
	char *dir;                 /* its files (set by gb_modgraph_dir) */
	char *sum;                 /* go.sum's zip hash of what is built (the replacement's when replaced) */
	bool have_dir;
	char *vlines;              /* the Hash1 lines (pipeline/dirhash.h) its directory was verified to against
	                            * go.sum, NULL when not verified (a directory replacement, GOSUMDB=off) */
	struct gb_modsum *vfiles;  /* parsed from them: each file's name (into vlines) and sha256, by name */
	size_t nvfiles;
};

struct gb_modsum {
	const char *name;          /* "path@version/rel" */
	size_t len;
	const char *hex;           /* its sha256, 64 hex digits (decoded when a file is checked) */
};

/* A main module: its go.mod and directory. */
struct gb_mainmod {
	struct gb_modfile mf;
	char *dir;
};

struct gb_modgraph {
	const struct gb_config *cfg;
	const struct gb_modenv *env;
	struct gb_filehash *memo;    /* the build's file-hash memo (may be NULL: files are read) */
	struct gb_mainmod *mains;    /* one, or a workspace's modules in go.work order */
	size_t nmains;
	struct gb_modfile *work;     /* go.work, or NULL */
	char *work_dir;
	struct gb_gosum *sums;       /* the main modules' go.sum files (and go.work.sum) */
	size_t nsums;
	struct gb_mod *mods;         /* the build list without the main modules, sorted by path */
	size_t nmods;
	bool pruned;                 /* every main module says go >= 1.17: its go.mod lists each module that
	                              * provides a package, so those (the roots) are looked in first */
	bool outside;                /* PKG@VERSION (go install's "outside a module"): no go.sum */
	bool use_sumdb;              /* a hash go.sum lacks comes from the checksum database (PKG@VERSION, and
	                              * `mod download` as go's), or what is downloaded is taken as it is when
	                              * GOSUMDB=off or GONOSUMDB/GOPRIVATE names the module, as in go */
	struct gb_sumdb *sumdb;      /* use_sumdb: the checksum database (NULL when GOSUMDB=off) */
	const char *record_dir;      /* where a verified module directory's Hash1 lines are kept (one file per
	                              * directory, named by its path's sha256), so it is verified once; NULL:
	                              * every build hashes every file of every module it uses */
	char **dbsums;               /* use_sumdb: hashes read from it, owned */
	size_t ndbsums, dbsumcap;
};

enum {
	GB_MODGRAPH_OUTSIDE = 1,  /* the one main module is go install's stand-in for PKG@VERSION (no go.sum) */
	GB_MODGRAPH_SUMDB = 2,    /* hashes go.sum lacks come from the checksum database (implied by OUTSIDE) */
};
/* Builds the module graph for the main modules (`mains`, taken over: released with the graph) and
 * the optional workspace file `work` (taken over too); flags: GB_MODGRAPH_*. Errors: RT_EXIT_BUILD for anything about the
 * modules (a go.mod, go.sum, an unknown version), RT_EXIT_ENV for a Go too old for a go line or an
 * unreachable proxy. */
int gb_modgraph_load(struct gb_modgraph *mg, const struct gb_config *cfg, const struct gb_modenv *env,
		     struct gb_filehash *memo, struct gb_mainmod *mains, size_t nmains, struct gb_modfile *work,
		     const char *work_dir, int flags, struct rt_err *err);
void gb_modgraph_release(struct gb_modgraph *mg);

/* The module of the build list providing package `imp`: 1 and *mod / *pkgdir (malloc'd) when found,
 * 0 when no module provides it, -1 on an error (an ambiguous import, a fetch or hash failure). */
int gb_modgraph_find(struct gb_modgraph *mg, const char *imp, struct gb_mod **mod, char **pkgdir, struct rt_err *err);

/* Makes m->dir available: fetched and verified against go.sum (0), or -1 with the error. The whole
 * directory is hashed the first time (a file added, removed or changed in the cache is caught); its
 * Hash1 lines are then kept in record_dir, and later builds check each file they use against them
 * (gb_modgraph_check_file), as go trusts its cache between `go mod verify` runs but a changed file that a
 * build would read is still caught. */
int gb_modgraph_dir(struct gb_modgraph *mg, struct gb_mod *m, struct rt_err *err);
/* That file `path` (under m->dir) hashes to `sum` as when m was verified: 0, else RT_EXIT_BUILD naming
 * the file (and m's record is dropped, so the next build hashes the whole directory again). 0 when m
 * was not verified. */
int gb_modgraph_check_file(const struct gb_modgraph *mg, const struct gb_mod *m, const char *path, const uint8_t sum[32],
			   struct rt_err *err);

/* The go.sum line for path@version (version "v1/go.mod" for a go.mod), over every go.sum of the build. */
const char *gb_modgraph_sum(const struct gb_modgraph *mg, const char *path, const char *version);
/* The hash path@version must have: go.sum's, else with use_sumdb the checksum database's; NULL when
 * neither gives one (without use_sumdb: a missing go.sum line; with it: the download is taken as it is). */
int gb_modgraph_want_sum(struct gb_modgraph *mg, const char *path, const char *version, const char **want,
			 struct rt_err *err);

#endif
