/*
 * tracer/engine: what `rt0trace run` asks of an engine, and what every engine gives back. Engines write
 * the trace (tracer/trace.h) and never render it.
 */
#ifndef RT0_TRACER_ENGINE_H
#define RT0_TRACER_ENGINE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "tracer/sysfilter.h"

struct rt_run_opts {
	char **argv;            /* PROGRAM ARGS..., NULL-terminated; NULL when attaching */
	pid_t attach;           /* -p PID, or 0 */
	const char *trace_path; /* -o (default "trace.jsonl"; "-" is standard output) */
	const char *manifest;   /* --manifest, or NULL */
	bool until_main;        /* --until main: detach at main.main (main for a C program) */
	bool follow_forks;      /* -f: follow child processes too (threads are always followed) */
	bool no_follow;         /* --no-follow: the preload engine leaves children and exec'd programs alone */
	bool kill_on_exit;      /* --kill-on-exit: kill the program if rt0trace ends first */
	bool verbose;           /* -v: the engine's library chatter (libbpf) on stderr */
	bool init_functions;    /* --init-functions: a probe on every Go init function (else one a package) */
	bool raw;               /* --raw: syscalls only as raw numbers (no decoded "call", "result", ...: the
				 * engine reads nothing of the program's memory for them) */
	const char *ready;       /* --ready SPEC (common/ready.h), for the header's "ready"; NULL: none */
	const char *ready_symbol; /* its SYMBOL: a probe (role "ready") in each image that has the function */
	const char *traceparent; /* the environment's TRACEPARENT when valid (W3C trace context: the
				  * program inherits it), else NULL: the header's "traceparent" */
	const struct rt_sysfilter *syscalls; /* -e trace=: the syscalls recorded (NULL: all). The ptrace
					      * engine makes the program stop only for those (seccomp) when
					      * it starts the program and traces it to its end; it then
					      * follows every fork (silently without -f: an untraced child
					      * would find its filtered syscalls failing) and kills, never
					      * detaches, the program when interrupted */
};

/* PROGRAM as execvp would find it (a path, or a search of PATH), checked before anything starts;
 * NULL with RT_EXIT_INPUT "cannot execute 'X': ..." when it cannot be run. Caller frees. */
char *rt_find_program(const char *prog, struct rt_err *err);

/* Runs or attaches, traces, writes the trace. On success *status is what `run` exits with: the
 * program's exit code, or 128+signal (as strace does); 0 after --until main detached. Errors:
 * RT_EXIT_INPUT (program missing / not executable, trace unwritable), RT_EXIT_ENV (ptrace refused). */
int rt_ptrace_run(const struct rt_run_opts *o, int *status, struct rt_err *err);

/* The eBPF engine (tracer/ebpf.c, bpf/ebpf.bpf.c): the same trace from raw tracepoints, uprobes and a
 * ring buffer. Errors as rt_ptrace_run, and RT_EXIT_ENV when eBPF cannot be used here (no BTF, no ring
 * buffer, not permitted, or a build without it), each said precisely. */
int rt_ebpf_run(const struct rt_run_opts *o, int *status, struct rt_err *err);

/* The LD_PRELOAD engine (tracer/preload.c, probes/preload/): the program runs with librt0preload.so,
 * which reports over an inherited socket; no ptrace, no privileges. Errors as rt_ptrace_run, and
 * RT_EXIT_INPUT for a program LD_PRELOAD cannot reach (static: no PT_INTERP; another machine),
 * RT_EXIT_ENV when the library is not found or the socket cannot be made. */
int rt_preload_run(const struct rt_run_opts *o, int *status, struct rt_err *err);

/* The engines by name, for every command that takes --engine (run, bench, check). */
struct rt_engine {
	const char *name;
	int (*run)(const struct rt_run_opts *o, int *status, struct rt_err *err);
};
/* The engine called `name`, or NULL. */
const struct rt_engine *rt_engine_find(const char *name);
/* Their names for messages, from the table: "ptrace, ebpf, preload". */
const char *rt_engine_names(void);

#endif
