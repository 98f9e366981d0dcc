/*
 * probes/manifest: `rt0trace run --manifest`: the manifest `rt0trace build --manifest` wrote
 * (docs/formats.md "Manifest") as the traced binary's placed package-init order.
 *
 * The manifest must be the binary's: its link.build_id equal to the binary's Go build ID. For a binary
 * that keeps its inittasks symbols the order is read from the binary itself and the manifest only has to
 * match; for a stripped one (-ldflags='-s -w': no .symtab) it is the manifest's placed.init_order when
 * that was read (a binary stripped after its build keeps its build ID), else the order the Go linker
 * gives (cmd/link inittask.go: the packages with an inittask, each after the ones it imports, the
 * lexically first ready one next; those without init functions left out), from the manifest's packages
 * and their imports. rt_probe_plan uses it through rt_manifest_use (probes/plan.h).
 *
 * Ownership: rt_manifest_load fills an object released with rt_manifest_release.
 */
#ifndef RT0_PROBES_MANIFEST_H
#define RT0_PROBES_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strv.h"

struct rt_manifest_pkg {
	char *path;           /* the import path as compiled (-p: "main" for the main package) */
	struct strv imports;  /* as written */
};

struct rt_manifest {
	char *path;           /* the file, as given */
	char *build_id;       /* link.build_id */
	bool placed_known;    /* placed.init_order was read from the linked binary */
	struct strv placed;   /* then its packages, in order */
	struct rt_manifest_pkg *pkgs;
	size_t npkgs;
};

/* Reads and validates the manifest at `path`. RT_EXIT_INPUT when it is missing, unreadable, not JSON,
 * not a manifest of version 1, or lacks what is used (link.build_id, packages' paths and imports). */
int rt_manifest_load(const char *path, struct rt_manifest *m, struct rt_err *err);
void rt_manifest_release(struct rt_manifest *m);

/* 0 when the ELF file at `bin` (the program as run, or /proc/PID/exe; named `name` in messages) has the
 * manifest's Go build ID; else -1 with RT_EXIT_INPUT: another binary's manifest, or a binary with no Go
 * build ID. A file that cannot be read as ELF is left to the engine to report (0). */
int rt_manifest_check(const struct rt_manifest *m, const char *bin, const char *name, struct rt_err *err);

/* The placed package-init order for the binary with build ID `build_id` whose packages with init
 * functions are `with_inits`: false when the manifest is not that binary's. */
bool rt_manifest_init_order(const struct rt_manifest *m, const char *build_id, const struct strv *with_inits,
			    struct strv *out);

#endif
