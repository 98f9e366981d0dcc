/*
 * tracer/image: what every engine learns about a process image it traces, the same way: the load bias
 * of a PIE (from /proc/PID/auxv), what a process attached with -p had already run (from the Go
 * runtime's own state), and the trace's `binary` object (docs/formats.md "Trace file": path, arch, pie,
 * static, entry, go_version, build_id, plus bias, segments, init_order and the probe plan).
 *
 * Ownership: rt_image_binary_json() returns a new reference. What a process attached with -p had
 * already run (struct rt_past) is probes/plan.h's.
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

/* The load bias of a PIE (AT_ENTRY of the running image minus the ELF entry); 0 for ET_EXEC. */
uint64_t rt_image_bias(pid_t pid, const struct rt_elf *e);

/* The `binary` object for the header (and for exec events of other images): `real` is the path
 * /proc/PID/exe resolved to; with b NULL, `error` says why the image could not be read. */
json_t *rt_image_binary_json(const struct rt_binary *b, const struct rt_probe_plan *plan, uint64_t bias,
			     const char *real, const char *error, const struct rt_past *ps, bool attaching);

/* A running process's argv, from /proc/PID/cmdline (empty when it cannot be read): for -p. */
void rt_proc_argv(pid_t pid, struct strv *argv);

/* The path of a helper shipped with rt0trace: $ENV when set, else BUILT relative to the rt0trace
 * binary's directory (the build tree's layout), else INSTALLED relative to it (`cmake --install`'s
 * layout: RT0_INSTALL_LIBEXEC or RT0_INSTALL_LIB, set by CMake from the install directories, then the
 * name). 0, or -1 with RT_EXIT_ENV naming WHAT. */
int rt_find_helper(const char *built, const char *installed, const char *env, const char *what, char *out, size_t size,
		   struct rt_err *err);
#ifndef RT0_INSTALL_LIBEXEC
#define RT0_INSTALL_LIBEXEC "../libexec/rt0trace" /* relative to the installed binary's directory */
#endif
#ifndef RT0_INSTALL_LIB
#define RT0_INSTALL_LIB "../lib/rt0trace"
#endif

/* The program's start, one for every engine: rt0exec (tracer/exec_helper.c, at libexec/ next to the
 * binary, or $RT0_EXEC_HELPER) spawned with posix_spawn, which gets it ready as `sp` says and execs
 * `prog` with `argv`. Nothing of rt0trace's address space is copied, so the program's exec never tears
 * it down (that was the program's time, growing with rt0trace's memory). *errfd is a close-on-exec pipe
 * that rt_exec_failed reads once the program runs or is gone; with sp->hold, *go is the pipe
 * rt_spawn_release writes (else -1). Both are the caller's to close. The pid, or -1 with RT_EXIT_ENV. */
#define RT_EXEC_HELPER "rt0exec"
#define RT_EXEC_HELPER_ENV "RT0_EXEC_HELPER"
struct rt_spawn {
	bool stop;           /* it stops itself (SIGSTOP) first: the ptrace engine seizes it then */
	int calibrate;       /* then N breakpoint stops and N getppid calls (under ptrace only) */
	int filter_fd;       /* then installs this seccomp-BPF program (rt_seccomp_export), or -1 */
	bool hold;           /* then waits for rt_spawn_release */
	const int *keep;     /* fds the program inherits (others of ours are close-on-exec) */
	size_t nkeep;
	char *const *env;    /* the program's environment; NULL: ours */
};
pid_t rt_spawn(const char *prog, char *const *argv, const struct rt_spawn *sp, int *go, int *errfd, struct rt_err *err);
/* After the program exec'd or ended: -1 with RT_EXIT_INPUT "cannot execute 'PROG': ..." when its exec
 * failed, RT_EXIT_ENV when it could not be made ready (the seccomp filter), else 0. */
int rt_exec_failed(int errfd, const char *prog, struct rt_err *err);
/* Lets it go: *t0 = now (the program's start), one byte written, *go closed and set to -1. 0, or -1
 * with RT_EXIT_ENV (then *go is left for the caller to close). */
int rt_spawn_release(int *go, uint64_t *t0, struct rt_err *err);
/* A held program never released (the tracer gave up first): *go is closed, so it exits 127, and it is
 * reaped. Nothing when pid <= 0 or *go is already closed. */
void rt_spawn_abandon(pid_t pid, int *go);

#endif
