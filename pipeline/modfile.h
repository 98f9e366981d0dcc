/*
 * pipeline/modfile: the files of Go's module system as cmd/go reads them, and its version orderings.
 *
 *  - go.mod and go.work (golang.org/x/mod/modfile's grammar): directives one per line or grouped in a
 *    "verb ( ... )" block, // comments (a require's "// indirect" kept), Go-quoted or bare tokens.
 *    go.mod: module, go, toolchain, godebug, require, exclude, replace, retract (read and ignored, as a
 *    build ignores it), tool, ignore. go.work: go, toolchain, godebug, use, replace. An unknown
 *    directive or a malformed line is an error naming FILE:LINE, as go reports it.
 *  - go.sum: "path version h1:..." and "path version/go.mod h1:..." lines.
 *  - semver (golang.org/x/mod/semver: v1.2.3-pre+build, pseudo-versions, +incompatible) and Go
 *    versions (go/version: 1.21 < 1.21rc1 < 1.21.0 < 1.21.1).
 *
 * Ownership: a gb_modfile / gb_gosum owns all its strings; release them with the matching function.
 */
#ifndef RT0_PIPELINE_MODFILE_H
#define RT0_PIPELINE_MODFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strv.h"

struct gb_modreq {
	char *path, *version;
	bool indirect;      /* "// indirect" */
	int line;
};

struct gb_modrepl {
	char *old_path;
	char *old_version;  /* NULL: every version of old_path */
	char *new_path;     /* a module path, or a directory (./x, ../x, /x) when new_version is NULL */
	char *new_version;  /* NULL: new_path is a directory */
	int line;
};

struct gb_modfile {
	char *file;                 /* as given, for messages */
	bool is_work;               /* go.work */
	bool lax;                   /* GB_MODFILE_LAX */
	char *module;               /* go.mod: the module path */
	char *go, *toolchain;       /* "1.22.3", "go1.23.1"; NULL when absent */
	int go_line;
	struct gb_modreq *req;      /* require */
	size_t nreq;
	struct gb_modreq *excl;     /* exclude (indirect unused) */
	size_t nexcl;
	struct gb_modrepl *repl;    /* replace */
	size_t nrepl;
	struct strv godebug;        /* "key=value" */
	struct strv tools;          /* tool */
	struct strv uses;           /* go.work: use directories, as written */
};

enum {
	GB_MODFILE_WORK = 1, /* a go.work file */
	GB_MODFILE_LAX = 2,  /* a dependency's go.mod (modfile.ParseLax): unknown directives are skipped, as
	                      * a newer Go's go.mod must still be readable by an older one */
};
/* Parses `data` (len bytes) read from `file`. Errors are RT_EXIT_BUILD "FILE:LINE: message". */
int gb_modfile_parse(const char *file, const char *data, size_t len, int flags, struct gb_modfile *mf,
		     struct rt_err *err);
/* Reads and parses `file`; a missing file is an error too. */
int gb_modfile_read(const char *file, int flags, struct gb_modfile *mf, struct rt_err *err);
void gb_modfile_release(struct gb_modfile *mf);

/* The replacement of path@version: an exact version match first, then a path-wide one; NULL if none. */
const struct gb_modrepl *gb_modfile_replacement(const struct gb_modfile *mf, const char *path, const char *version);
bool gb_modfile_excluded(const struct gb_modfile *mf, const char *path, const char *version);

struct gb_sumline {
	char *path, *version, *hash; /* version carries "/go.mod" for a go.mod hash */
};
struct gb_gosum {
	char *file;
	struct gb_sumline *v;
	size_t n, cap;
};
/* Reads a go.sum (a missing file is an empty one). A malformed line is RT_EXIT_BUILD FILE:LINE. */
int gb_gosum_read(const char *file, struct gb_gosum *s, struct rt_err *err);
/* The h1: hash of path@version (version "v1.2.3/go.mod" for the go.mod's), or NULL. */
const char *gb_gosum_lookup(const struct gb_gosum *s, const char *path, const char *version);
void gb_gosum_release(struct gb_gosum *s);

/* golang.org/x/mod/semver: "vMAJOR[.MINOR[.PATCH]][-PRE][+BUILD]", the numbers as digit strings (of any
 * length); shorthands (v1, v1.2) only without -PRE/+BUILD. Pointers into the version, not
 * NUL-terminated; pre and build include their '-' or '+'. */
struct gb_semver {
	const char *major, *minor, *patch, *pre, *build;
	size_t lmajor, lminor, lpatch, lpre, lbuild;
	bool full;      /* all three numbers given */
};
bool gb_semver_parse(const char *v, struct gb_semver *sv);
/* module.CanonicalVersion(v) == v: all three numbers, no build suffix but +incompatible. */
bool gb_semver_canonical(const char *v);
/* valid, Compare (an invalid version sorts below every valid one). */
bool gb_semver_valid(const char *v);
int gb_semver_compare(const char *a, const char *b);
/* go/version's ordering of Go versions without the "go" prefix ("1.21", "1.21rc1", "1.21.0"). */
int gb_gover_compare(const char *a, const char *b);
bool gb_gover_valid(const char *v);

#endif
