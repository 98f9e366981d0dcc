/*
 * tracer/image: what every engine learns about a process image it traces, the same way: the load bias
 * of a PIE (from /proc/PID/auxv), what a process attached with -p had already run (from the Go
 * runtime's own state), and the trace's `binary` object (docs/formats.md "Trace file": path, arch, pie,
 * static, entry, go_version, build_id, plus bias, segments, init_order and the probe plan).
 *
 * Ownership: rt_past_release() frees what rt_past_read() filled; rt_image_binary_json() returns a new
 * reference.
 */
#ifndef RT0_TRACER_IMAGE_H
#define RT0_TRACER_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/strv.h"
#include "probes/binary.h"
#include "probes/plan.h"

/* What a process attached with -p had already run. */
struct rt_past {
	bool known;          /* a Go binary whose runtime state could be read */
	bool main_started;   /* runtime.mainStarted */
	bool gcenable;       /* a package of the main list had started its init */
	bool main_main;      /* every inittask done */
	struct strv pkgs;    /* packages whose init had started (state != 0) */
};

/* Reads 4 bytes of the process at a runtime address; false when it cannot. */
typedef bool (*rt_mem_read32)(void *arg, uint64_t addr, uint32_t *out);

/* The load bias of a PIE (AT_ENTRY of the running image minus the ELF entry); 0 for ET_EXEC. */
uint64_t rt_image_bias(pid_t pid, const struct rt_elf *e);

/* For -p: which phases and package inits a running Go process has already started, from
 * runtime.mainStarted and each inittask's state word (0 not run, 1 running, 2 done). */
void rt_past_read(const struct rt_binary *b, uint64_t bias, rt_mem_read32 rd, void *arg, struct rt_past *ps);
void rt_past_release(struct rt_past *ps);
/* Whether probe `pr` marks a moment already past when attaching (always false when not attaching). */
bool rt_past_probe(const struct rt_past *ps, const struct rt_probe *pr, bool attaching);

/* The `binary` object for the header (and for exec events of other images): `real` is the path
 * /proc/PID/exe resolved to; with b NULL, `error` says why the image could not be read. */
json_t *rt_image_binary_json(const struct rt_binary *b, const struct rt_probe_plan *plan, uint64_t bias,
			     const char *real, const char *error, const struct rt_past *ps, bool attaching);

/* A running process's argv, from /proc/PID/cmdline (empty when it cannot be read): for -p. */
void rt_proc_argv(pid_t pid, struct strv *argv);

/* A program's start, as both engines do it: the child, once released, execs `prog` and, should that
 * fail, writes errno to `errfd` (a close-on-exec pipe) and exits 127; the parent, once the child is
 * gone or running, reads that pipe: -1 with RT_EXIT_INPUT "cannot execute 'PROG': ..." when the exec
 * failed, else 0. */
_Noreturn void rt_exec_or_report(const char *prog, char *const *argv, int errfd);
/* The child could not be made ready for its exec (errno `e`; the ptrace engine's seccomp filter): says
 * so on `errfd` and exits 127; rt_exec_failed then gives RT_EXIT_ENV. */
_Noreturn void rt_prep_failed(int errfd, int e);
int rt_exec_failed(int errfd, const char *prog, struct rt_err *err);
/* The program forked and held: the child runs prep(arg) if given (its environment, its fds), waits on
 * a pipe until one byte is written to *go (it exits 127 should *go close first), then runs
 * rt_exec_or_report with *errfd's pipe. Both fds are the caller's to close (close-on-exec). The pid,
 * or -1 with RT_EXIT_ENV. Fork early: the program's exec tears down the address space the child got,
 * and that is the program's time. */
pid_t rt_spawn_held(const char *prog, char *const *argv, void (*prep)(void *), void *arg, int *go, int *errfd,
		    struct rt_err *err);
/* Lets it go: *t0 = now (the program's start), one byte written, *go closed and set to -1. 0, or -1
 * with RT_EXIT_ENV (then *go is left for the caller to close). */
int rt_spawn_release(int *go, uint64_t *t0, struct rt_err *err);
/* A held program never released (the tracer gave up first): *go is closed, so it exits 127, and it is
 * reaped. Nothing when pid <= 0 or *go is already closed. */
void rt_spawn_abandon(pid_t pid, int *go);

/* A "probe" event: probe `pr` (link-time address, role, package) was entered by thread tid. */
json_t *rt_probe_event(uint64_t t, int pid, int tid, const struct rt_probe *pr);

#endif
