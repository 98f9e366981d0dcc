/*
 * probes/goinfo: what the Go toolchain placed in a binary.
 *
 *  - the Go build ID from the `.note.go.buildid` note (owner "Go", type 4);
 *  - the Go version and module information from the `.go.buildinfo` blob (format of Go's
 *    debug/buildinfo: 32-byte header "\xff Go buildinf:", pointer size, flags; since Go 1.18 the two
 *    strings follow inline as uvarint-prefixed bytes, before that through pointers to string headers);
 *  - the package-init order the linker placed: `go:runtime.inittasks` then `go:main.inittasks`, arrays of
 *    pointers to `<pkg>..inittask` records laid out as {uint32 state; uint32 nfns; uintptr fns[nfns]}
 *    (Go >= 1.21, see initTask in runtime/proc.go). Each task is listed once, in the order the runtime
 *    runs them.
 *
 * Ownership: rt_go_read() returns an object released with rt_go_free() (NULL is fine). Facts that cannot
 * be read are left NULL/empty and explained in the `notes` vector passed in.
 */
#ifndef RT0_PROBES_GOINFO_H
#define RT0_PROBES_GOINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strv.h"
#include "probes/elf.h"

struct rt_go_fn {
	char *symbol; /* NULL when the binary has no symbol for that PC */
	uint64_t addr;
};

struct rt_go_pkg {
	char *package;    /* import path, e.g. "internal/bytealg", "main" */
	uint64_t task;    /* address of the package's inittask record */
	struct rt_go_fn *fns;
	size_t nfns;
};

struct rt_go_mod {
	char *path, *version, *sum;
	struct rt_go_mod *replace; /* the "=>" line after a dep, or NULL */
};

struct rt_go_setting {
	char *key, *value;
};

struct rt_go_info {
	char *version;   /* "go1.26.8", or NULL when .go.buildinfo is unreadable */
	int minor;       /* 26 for go1.26.x; -1 when unknown */
	char *build_id;  /* the note's text, or NULL */
	char *modinfo;   /* the module information text, sentinels removed, or NULL */

	char *main_path;          /* "path" line: the main package's import path */
	struct rt_go_mod *mod;    /* "mod" line, or NULL */
	struct rt_go_mod *deps;   /* "dep" lines */
	size_t ndeps;
	struct rt_go_setting *settings; /* "build" lines, in order */
	size_t nsettings;

	bool init_known;          /* the placed init order below could be read */
	struct rt_go_pkg *init;
	size_t ninit;
	size_t ninit_runtime;     /* how many of them (the first) are go:runtime.inittasks' own tasks */
};

/* Reads the Go facts of `e`. Sets *out to NULL (and returns 0) when `e` is not a Go binary. Facts that
 * cannot be read are explained in `notes`; only internal failures return -1. */
int rt_go_read(const struct rt_elf *e, struct rt_go_info **out, struct strv *notes, struct rt_err *err);
void rt_go_free(struct rt_go_info *g);
/* The Go build ID of `e` (its .note.go.buildid note) alone, malloc'd; NULL when it has none. */
char *rt_go_build_id(const struct rt_elf *e);

/* Parses the minor version from "go1.N[.P]" (also inside "devel go1.N-..."); -1 if none. */
int rt_go_minor(const char *version);

/* Undoes the linker's symbol-name escaping of import paths (objabi.PathToPrefix: %xx). */
char *rt_go_unescape_path(const char *s, size_t n);

#endif
