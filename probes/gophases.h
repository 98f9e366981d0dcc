/*
 * probes/gophases: the Go runtime startup phases rt0trace names (docs/go-toolchain.md), for
 * linux and Go >= 1.21: ELF entry (_rt0_<arch>_linux) -> runtime.rt0_go -> runtime.schedinit ->
 * runtime.main -> runtime package inits -> runtime.gcenable -> package inits -> main.main.
 * Phase boundaries are the first instructions of these functions; assembly ones carry an ABI suffix
 * (runtime.rt0_go.abi0), which rt_elf_sym_by_name() matches.
 */
#ifndef RT0_PROBES_GOPHASES_H
#define RT0_PROBES_GOPHASES_H

#include <stddef.h>
#include <stdint.h>

#include "probes/elf.h"

/* FATAL is not a phase: the entry of a function on the Go runtime's way to dying (see
 * rt_go_fatal_path), probed so a crash is caught before the program is gone. */
/* RT_ROLE_READY: run --ready SYMBOL's probe, the readiness point (common/ready.h); no phase. */
enum rt_phase_role { RT_ROLE_ENTRY, RT_ROLE_PHASE, RT_ROLE_INIT, RT_ROLE_MAIN, RT_ROLE_FATAL, RT_ROLE_READY };

/* Which moment of the catalog a phase (and a probe planted there) is: engines and planners decide by
 * this, never by comparing symbol names (which may carry an ABI suffix). RT_PH_NONE: not a catalog
 * moment (a package init, the fatal path, a C program's probes). */
enum rt_phase_kind {
	RT_PH_NONE,
	RT_PH_ENTRY,        /* _rt0_<arch>_linux, or the ELF entry of an externally linked program */
	RT_PH_RT0_GO,       /* runtime.rt0_go */
	RT_PH_SCHEDINIT,    /* runtime.schedinit */
	RT_PH_RUNTIME_MAIN, /* runtime.main */
	RT_PH_GCENABLE,     /* runtime.gcenable: the runtime's package inits are done */
	RT_PH_MAIN_MAIN,    /* main.main */
};

struct rt_phase {
	const char *symbol;   /* as found in the binary (with ABI suffix if it has one); NULL if absent */
	char name[64];        /* the catalog name: "runtime.rt0_go", "_rt0_amd64_linux" */
	uint64_t addr;
	enum rt_phase_role role;
	enum rt_phase_kind kind;
};

/* Resolves the catalog in `e` (GOARCH from the ELF machine). Fills up to `max` entries in startup order
 * and returns how many were written; a phase missing from the binary is written with symbol NULL. */
size_t rt_go_phases(const struct rt_elf *e, struct rt_phase *out, size_t max);

const char *rt_phase_role_name(enum rt_phase_role r);

/* The Go runtime's fatal path (linux, Go >= 1.21), NULL-terminated: runtime.fatalpanic (an unrecovered
 * panic, including one made from a fault by sigpanic), runtime.fatalthrow (throw/fatal: "fatal
 * error: ..."), runtime.dieFromSignal (a signal the runtime lets kill the program). Each is entered
 * before the program prints its dying words; entry probes only, never return probes. */
extern const char *const rt_go_fatal_path[];

#endif
