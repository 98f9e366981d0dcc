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
 * the rt_binary, which must outlive it.
 */
#ifndef RT0_PROBES_PLAN_H
#define RT0_PROBES_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "probes/binary.h"
#include "probes/gophases.h"
#include "probes/manifest.h"

struct rt_probe {
	uint64_t addr;
	char *symbol;        /* owned copy */
	char *package;       /* Go init: the package; else NULL (owned) */
	enum rt_phase_role role;
	bool unplaced;       /* Go init of a stripped binary: one of its package's init functions, named by
			      * the pclntab; the placed order is not known */
};

struct rt_probe_plan {
	struct rt_probe *p;
	size_t n;
};

enum { RT_PLAN_INIT_FUNCTIONS = 1 }; /* flags: a probe on every Go init function, not one a package */
void rt_probe_plan(const struct rt_binary *b, struct rt_probe_plan *out);
void rt_probe_plan_flags(const struct rt_binary *b, unsigned flags, struct rt_probe_plan *out);
void rt_probe_plan_free(struct rt_probe_plan *plan);

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
