/*
 * pipeline/build: `rt0trace build` — compile, assemble, pack and link a Go main package by driving
 * $GOROOT/pkg/tool/<host>/{compile,asm,link} directly, the way `go build -trimpath` does (never running
 * `go`), with a content-addressed cache and a parallel scheduler along the import graph.
 *
 * Cache: $RT0TRACE_CACHE, else $XDG_CACHE_HOME/rt0trace, else $HOME/.cache/rt0trace. An entry is keyed
 * by the action ID: sha256 over the tool identities, the target, the package's flags, the contents of
 * its source and embedded files and its imports' content IDs (for a cgo package also the C compiler's
 * identity, every cgo/C command line, its C sources and headers, and the environment gcc reads). A
 * package whose key is cached is not compiled; a link whose key is cached is not run (a no-op rebuild
 * runs no tool).
 *
 * cgo (CGO_ENABLED=1): a package importing "C" gets cmd/go's steps (cgo, the C compiles, the _cgo_.o
 * link and cgo -dynimport) before its Go compile; see pipeline/cgo.h and pipeline/cctool.h.
 */
#ifndef RT0_PIPELINE_BUILD_H
#define RT0_PIPELINE_BUILD_H

#include <stdbool.h>

#include "common/err.h"
#include "common/strv.h"

struct gb_opts {
	const char *dir;       /* -C: where to run (default ".") */
	const char *out;       /* -o: output file or directory (default: the package's last path element) */
	const char *manifest;  /* --manifest FILE, or NULL */
	const char *goroot;    /* --goroot, or NULL */
	const char *pattern;   /* PACKAGE (default ".") */
	/* each -gcflags, -asmflags and -ldflags given, in order: [PATTERN=]FLAGS (pipeline/ppflag.h), taken
	 * after GOFLAGS's */
	const char *const *gcflags, *const *asmflags, *const *ldflags;
	size_t ngcflags, nasmflags, nldflags;
	const char *mod;       /* -mod: readonly, mod or vendor; NULL: GOFLAGS's, else go's choice */
	int trimpath;          /* -trimpath: 1, 0 (-trimpath=false), or -1 for GOFLAGS's, else off as in go */
	const char *pgo;       /* -pgo: auto, off or a profile; NULL: GOFLAGS's, else auto as in go */
	const char *tags;      /* -tags: build tags (comma-separated); NULL: GOFLAGS's */
	const char *buildmode; /* -buildmode: exe, pie or default (exe on linux); NULL: GOFLAGS's */
	const char *buildvcs;  /* -buildvcs: auto, true or false; NULL: GOFLAGS's, else auto (pipeline/vcs.h) */
	int jobs;              /* -j (default: CPU count) */
	bool rebuild_all;      /* -a: no cached result is used (results are cached again) */
	bool keep_work;        /* -work: WORK=<dir> on stderr, the directory kept */
	bool dry_run;          /* -n: print the shell recipe, run nothing */
	bool print_cmds;       /* -x: print commands as they run */
	bool progress;         /* a progress line on stderr (when it is a terminal) */
	const char *self;      /* path of the rt0trace binary, for the -n recipe's pack/buildid steps */
};

/* Exit classes: RT_EXIT_ENV (no Go toolchain, cache unusable), RT_EXIT_BUILD (anything about the build
 * itself, tool failures included; the tool's own output was already printed). */
int gb_build(const struct gb_opts *o, struct rt_err *err);

/* -buildvcs's value as go reads it (auto, or strconv.ParseBool's words), as "auto", "true" or
 * "false"; NULL when it is none of them. */
const char *gb_buildvcs_mode(const char *s);
/* Whether s is a -buildmode rt0trace builds: default, exe, pie. */
bool gb_valid_buildmode(const char *s);
/* Whether s is a -mod value go build takes: readonly, mod, vendor. */
bool gb_valid_mod_mode(const char *s);
/* The value of -NAME=VALUE (or --NAME=VALUE) in GOFLAGS, as cmd/go reads its defaults from it: *value
 * is malloc'd, or NULL when GOFLAGS does not set it. A -NAME without a value is a usage error. */
int gb_goflags_value(const char *goflags, const char *name, char **value, struct rt_err *err);
/* The same for a boolean flag: -NAME (true) or -NAME=BOOL (strconv.ParseBool's words); *value is
 * "true" or "false", or NULL. */
int gb_goflags_bool(const char *goflags, const char *name, char **value, struct rt_err *err);
/* Every -NAME=VALUE in GOFLAGS, in order, appended to `values` (a per-package flag: each one counts). */
int gb_goflags_values(const char *goflags, const char *name, struct strv *values, struct rt_err *err);

#endif
