/*
 * tracer/sysfilter: which syscalls a trace records, as strace's `-e trace=SET` says it: a comma-separated
 * list of syscall names (libseccomp's names for this host) and classes (%file, %desc, %network,
 * %process, %signal, %memory, %ipc, %creds; the '%' may be left out, as in strace's older spelling),
 * or `all` / `none`; a leading '!' takes the complement. The classes are tables of names in
 * sysfilter.c, the one place that says what each holds.
 *
 * Every engine's trace writer drops the syscalls outside the set (tracer/trace.c); the ptrace engine
 * also installs the set as a seccomp-BPF program in the program before its exec, so that it stops only
 * for those (rt_sysfilter_load), as strace's --seccomp-bpf does.
 */
#ifndef RT0_TRACER_SYSFILTER_H
#define RT0_TRACER_SYSFILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define RT_SYSFILTER_MAX 1024 /* syscall numbers below this (x86_64 has < 512) */

struct rt_sysfilter {
	char *expr;                             /* as given, without "trace=" */
	uint8_t set[RT_SYSFILTER_MAX / 8];
	unsigned n;                             /* how many numbers are in the set */
};

/* Parses "trace=SET" or "SET" into *f (released with rt_sysfilter_release). RT_EXIT_USAGE, naming what
 * is wrong: another qualifier than trace (strace's read=, write=, ...), an unknown name or class, an
 * empty item. */
int rt_sysfilter_parse(struct rt_sysfilter *f, const char *expr, struct rt_err *err);
void rt_sysfilter_release(struct rt_sysfilter *f);
/* Whether syscall `nr` is recorded: always when `f` is NULL (no filter). */
bool rt_sysfilter_has(const struct rt_sysfilter *f, uint64_t nr);

/* The seccomp-BPF program of a filter for the ptrace engine (SECCOMP_RET_TRACE for the set, and for
 * write/writev to fd 2 when `stderr_writes`: the crash's message; SECCOMP_RET_ALLOW for the rest),
 * built in the tracer; rt0exec loads it just before the exec (rt_spawn). Opaque; NULL with
 * RT_EXIT_ENV when libseccomp cannot build it. */
struct rt_seccomp;
struct rt_seccomp *rt_seccomp_build(const struct rt_sysfilter *f, bool stderr_writes, struct rt_err *err);
/* The BPF program as a close-on-exec memfd (struct sock_filter, its whole size) for rt_spawn's
 * filter_fd: rt0exec loads it first without no_new_privs (which needs CAP_SYS_ADMIN), else with it
 * (then a set-user-ID program gains nothing at exec). The fd, or -1 with RT_EXIT_ENV. */
int rt_seccomp_export(struct rt_seccomp *s, struct rt_err *err);
void rt_seccomp_free(struct rt_seccomp *s);

/* The named sets that bench, check and compare use: "memory" (what the run:mmaps count needs). */
#define RT_SYSFILTER_SAMPLING "%memory"

#endif
