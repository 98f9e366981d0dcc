/*
 * probes/plan: where a tracer should put its one-shot entry probes in a binary, and what each means.
 *  - Go (>= 1.21): the phase catalog (entry stub, runtime.rt0_go, runtime.schedinit, runtime.main,
 *    runtime.gcenable), the first init function of each package of the placed init order (role "init",
 *    with its package: where the package's init begins; every init function with
 *    RT_PLAN_INIT_FUNCTIONS), main.main (role "main"), and the runtime's fatal path (role "fatal",
 *    rt_go_fatal_path). A probe costs the program time whatever the engine: one a package is what
 *    the phases need. A stripped binary has no placed order: every init function the pclntab names is
 *    probed, "unplaced", unless a manifest of its build (run --manifest, rt_probe_plan_manifest) gives
 *    the order.
 *  - any other ELF: the entry point, each .init_array function (role "init"), and `main` when a symbol
 *    names it.
 * Addresses are link-time; add the load bias for a PIE.
 *
 * Ownership: rt_probe_plan() returns an array released with rt_probe_plan_free(); strings point into
 * the rt_binary, which must outlive it. rt_past_release() frees what rt_past_read() filled.
 */
#ifndef RT0_PROBES_PLAN_H
#define RT0_PROBES_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strv.h"
#include "probes/binary.h"
#include "probes/gophases.h"
#include "probes/manifest.h"

struct rt_probe {
	uint64_t addr;
	char *symbol;        /* owned copy */
	char *package;       /* Go init: the package; else NULL (owned) */
	enum rt_phase_role role;
	enum rt_phase_kind kind; /* the catalog moment it marks (RT_PH_NONE for the others) */
	bool unplaced;       /* Go init of a stripped binary: one of its package's init functions, named by
			      * the pclntab; the placed order is not known */
	bool unobservable;   /* the engine cannot see this moment (rt_probe_plan_preload): the binary
			      * object says "observable":false */
};

struct rt_probe_plan {
	struct rt_probe *p;
	size_t n;
};

enum { RT_PLAN_INIT_FUNCTIONS = 1 }; /* flags: a probe on every Go init function, not one a package */
void rt_probe_plan(const struct rt_binary *b, struct rt_probe_plan *out);
void rt_probe_plan_flags(const struct rt_binary *b, unsigned flags, struct rt_probe_plan *out);
void rt_probe_plan_free(struct rt_probe_plan *plan);
/* Adds the readiness probe (role RT_ROLE_READY) on `symbol` when the binary has it (its symbol table, or a
 * Go binary's pclntab names); false when it has no such function. */
bool rt_probe_plan_ready(const struct rt_binary *b, const char *symbol, struct rt_probe_plan *plan);

/* The probe of the plan at catalog moment `kind`, or NULL. */
const struct rt_probe *rt_plan_find(const struct rt_probe_plan *pl, enum rt_phase_kind kind);
/* The probe of role `role` at link-time address `addr`, or NULL. */
const struct rt_probe *rt_plan_find_at(const struct rt_probe_plan *pl, enum rt_phase_role role, uint64_t addr);

/* What the LD_PRELOAD engine (probes/preload/) can see of an image: its shim sees the program only
 * through the libc calls it makes. */
struct rt_preload_view {
	bool go;           /* a Go program (it has runtime.main) */
	bool rt0_via_main; /* its C main is a jump to runtime.rt0_go (externally linked cgo): main's moment
			    * is runtime.rt0_go's entry */
};
/* The preload engine's plan: rt_probe_plan's (for cgo its entry is already libc's _start), plus the
 * ELF entry when no probe names it (a dynamically linked image), with every probe the shim cannot see
 * marked unobservable. Of a Go program it sees the entry (when it is the ELF entry; and only when
 * `entry_patched`, or when C main is the runtime's trampoline, whose __libc_start_main call stands
 * for it), runtime.rt0_go (C main's jump, or x_cgo_init's first pthread_getattr_np),
 * runtime.schedinit (the first mmap through x_cgo_mmap) and runtime.main (the first thread through
 * _cgo_try_pthread_create); not package inits, runtime.gcenable, main.main. The fatal path never. */
void rt_probe_plan_preload(const struct rt_binary *b, bool entry_patched, struct rt_probe_plan *out,
			   struct rt_preload_view *v);

/* What a process attached with -p had already run (probes marked "past" and not armed). */
struct rt_past {
	bool known;          /* a Go binary whose runtime state could be read */
	bool main_started;   /* runtime.mainStarted */
	bool gcenable;       /* a package of the main list had started its init */
	bool main_main;      /* every inittask done */
	struct strv pkgs;    /* packages whose init had started (state != 0) */
};
/* Reads 4 bytes of the process at a runtime address; false when it cannot. */
typedef bool (*rt_mem_read32)(void *arg, uint64_t addr, uint32_t *out);
/* For -p: which phases and package inits a running Go process has already started, from
 * runtime.mainStarted and each inittask's state word (0 not run, 1 running, 2 done). */
void rt_past_read(const struct rt_binary *b, uint64_t bias, rt_mem_read32 rd, void *arg, struct rt_past *ps);
void rt_past_release(struct rt_past *ps);
/* Whether probe `pr` marks a moment already past when attaching (always false when not attaching;
 * ps may then be NULL). */
bool rt_past_probe(const struct rt_past *ps, const struct rt_probe *pr, bool attaching);

/* The binary object's "probes" array (docs/formats.md): {"symbol","addr","role"} plus "package",
 * "placed":false, "past":true, "observable":false where they apply. */
json_t *rt_probe_plan_json(const struct rt_probe_plan *pl, const struct rt_past *ps, bool attaching);

/* run --manifest (probes/manifest.h), for every plan made after it (NULL: none): a stripped Go binary
 * with the manifest's build ID gets its init probes in the manifest's placed order, marked placed. */
void rt_probe_plan_manifest(const struct rt_manifest *m);
/* The manifest's path when it is `b`'s (its Go build ID), else NULL: for the trace's binary object. */
const char *rt_probe_plan_manifest_of(const struct rt_binary *b);

/* Where a kernel uprobe for the entry at `addr` fires without single-stepping: on x86-64, an entry that
 * opens with a compare whose only effect is the flags (Go's stack-bound check `cmp rsp,[r14+16]`, with
 * or without its `lea r12,[rsp-N]`, or a `cmp byte [rip+d],imm` flag test) followed by a conditional
 * branch is probed on that branch, which the kernel emulates instead of stepping it out of line. The
 * function is entered either way and nothing it does is skipped (r12 is a scratch register in Go's
 * ABI). Any other entry, or another machine, gives `addr` itself. */
uint64_t rt_probe_site(const struct rt_elf *e, uint64_t addr);
/* The same on `n` bytes of code: the offset of that branch, or 0. */
size_t rt_probe_site_x86(const unsigned char *code, size_t n);

#endif
