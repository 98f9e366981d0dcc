/*
 * pipeline/load: from a main package to the list of packages to compile, in dependency order.
 *
 * Resolution of an import path, as go build does it in module mode:
 *   - the standard library: $GOROOT/src/<path>; a std package importing a non-std path gets
 *     $GOROOT/src/vendor/<path> under the import path "vendor/<path>";
 *   - the `cmd` module (GOROOT commands such as cmd/gofmt): $GOROOT/src/cmd/..., its third-party
 *     packages from $GOROOT/src/cmd/vendor under "cmd/vendor/<path>";
 *   - the main module (go.mod's module path) below its directory, or, in a go.work workspace, each
 *     module the workspace uses;
 *   - anything else, in vendor mode (-mod=vendor, or go >= 1.14 in go.mod and a vendor/ directory, as
 *     cmd/go decides it) from vendor/, listed in vendor/modules.txt and checked against go.mod as cmd/go
 *     checks it ("inconsistent vendoring"); otherwise from the module graph (pipeline/modload.h): the
 *     module cache, fetched from the module proxy when absent, verified against go.sum.
 * Files are selected by go/build's rules (pipeline/config.h): ignored names, _test files, GOOS/GOARCH
 * suffixes, //go:build and // +build constraints, cgo files only with CGO_ENABLED=1 (then .c, .h, .S and
 * .sx files belong to the package too, and C++, Objective-C, Fortran and SWIG files are refused).
 * The main package also links runtime/cgo when cgo is on and the link is external (cfg->link_external).

 *
 * Ownership: gb_load() fills a gb_graph released with gb_graph_release(); packages belong to it.
 */
#ifndef RT0_PIPELINE_LOAD_H
#define RT0_PIPELINE_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strv.h"
#include "pipeline/cgo.h"
#include "pipeline/config.h"
#include "pipeline/filehash.h"
#include "pipeline/modfetch.h"
#include "pipeline/modload.h"

struct gb_module {
	char *path;      /* module path: "example.com/x", "cmd", "std" */
	char *dir;       /* root directory */
	char *version;   /* NULL for the main module */
	char *sum;       /* from go.sum when known, else NULL */
	char *workdir;   /* a workspace's directory (go.work), on its main modules only */
	char *go;        /* go line / "## explicit; go" annotation: "1.22", or NULL */
	struct gb_module *replace; /* "=>" target from vendor/modules.txt, or NULL */
	const struct gb_mod *gm;   /* module mode: the module of the graph it is (its verified files), or NULL */
	struct strv godebug;       /* go.mod godebug key=value (main module only) */
	bool is_main, is_std;
	bool vendored;   /* from vendor/ */
	bool explicit_req; /* vendor/modules.txt: "## explicit" */
};

struct gb_pkg {
	char *path;           /* import path as compiled (-p): "vendor/golang.org/x/net/..." for std vendor */
	char *dir;
	char *name;           /* package name ("main" for the main package) */
	bool standard;        /* in $GOROOT/src (std or cmd) */
	struct gb_module *mod;
	char *lang;           /* -lang value: "go1.22" */
	struct strv gofiles;  /* base names, sorted (without the cgo files) */
	struct strv cgofiles; /* the files that import "C" (CGO_ENABLED=1 only), sorted */
	struct strv cfiles;   /* .c files of a cgo package, sorted */
	struct strv hfiles;   /* .h files of a cgo package, sorted (hashed: the C files include them) */
	struct strv sfiles;   /* .s, and .S/.sx in a cgo package, sorted */
	struct strv sysofiles;
	struct gb_cgo_flags cgo; /* the #cgo directives of the cgo files, in file order */
	struct strv embeds;   /* //go:embed patterns (deduplicated, in first-seen order) */
	struct strv go_debug; /* //go:debug directives (main package only) */
	struct strv imports;  /* import paths as written, sorted, without "unsafe" and "C"; then what cgo's
	                       * output imports (runtime/cgo, syscall) and was not imported already */
	struct gb_pkg **deps; /* resolved, parallel to imports */
	size_t ndeps;
	int mark;             /* graph walk state */
	size_t index;         /* position in the topological order */
	void *build;          /* the build stage's per-package state */
};

struct gb_graph {
	const struct gb_config *cfg;
	struct gb_module *main_mod;    /* the main module the main package's directory is in */
	struct gb_modgraph *mg;        /* module mode: the module graph; NULL in vendor mode and for GOROOT */
	struct gb_module **mods;   /* main first (a workspace's main modules), then the vendored modules in
	                            * modules.txt order, or the modules of the graph as packages use them */
	size_t nmods;
	struct gb_pkg **pkgs;      /* topological order: every package after its imports; main last */
	size_t npkgs;
	struct gb_pkg *main;
	bool outside;              /* PKG@VERSION: main_mod is go's stand-in "command-line-arguments" module,
	                            * the main package's module a requirement of it */
};

struct gb_load_opts {
	const char *dir;              /* where the build runs (-C) */
	const char *pattern;          /* "." or a directory relative to dir, an import path, or PKG@VERSION */
	const char *mod;              /* -mod: "readonly", "mod", "vendor", or NULL for go's choice */
	const struct gb_modenv *env;  /* module cache and proxy (module mode) */
	struct gb_filehash *memo;     /* hashes of the module cache's files (may be NULL) */
	const char *record_dir;       /* where verified module directories are recorded (gb_modgraph.record_dir) */
	const char *scan_dir;         /* where each package directory's scans are remembered (pipeline/scanmemo.h),
	                               * NULL: every file is read */
};

/* Loads the main package. Errors are RT_EXIT_BUILD with the file that imports a missing package, the
 * cycle of an import cycle, etc.; RT_EXIT_INPUT for a directory that does not exist. */
int gb_load(struct gb_graph *g, const struct gb_config *cfg, const struct gb_load_opts *o, struct rt_err *err);
void gb_graph_release(struct gb_graph *g);

/* What `go mod download` fetches with no arguments in the module of directory dir (go.mod there or in a
 * parent; a go.work is refused): the modules its go.mod requires when it says go >= 1.17, else every
 * module of the build list; each at its selected version, through its replacement (a directory
 * replacement has nothing to fetch), with the hashes it must have: go.sum's, else the checksum
 * database's (NULL: GOSUMDB=off or GONOSUMDB). The strings point into mg, loaded here and released by
 * the caller with gb_modgraph_release(); *out is malloc'd. */
struct gb_modtarget {
	const char *path, *version;
	const char *mod_h1, *zip_h1;
};
int gb_mod_download_targets(struct gb_modgraph *mg, const struct gb_config *cfg, const struct gb_modenv *env,
			    const char *dir, struct gb_modtarget **out, size_t *n, struct rt_err *err);

#endif
