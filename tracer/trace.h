/*
 * tracer/trace: the trace writer every engine uses (docs/formats.md "Trace file", format version 1): one JSON
 * object per line — a header, events, and a footer {"type":"footer","events":N,"lost":N,"complete":B}.
 * A file without a footer is partial. Execs, signals, maps and exits are flushed at once, syscalls and
 * probes every 128 events, so a trace cut short by a crash of rt0trace still reads up to a recent line.
 *
 * The file is made by common/outfile (never through a symbolic link or a guessable name): written to an
 * unpredictable temporary file beside its path until the header is out, then put at its path and
 * written there, so a trace cut short is still at its path, and a run that traced nothing leaves what
 * was there before untouched.
 *
 * Ownership: rt_trace_open() fills a caller-provided struct; rt_trace_close() writes the footer and
 * closes the file (standard output, for "-", is flushed, not closed).
 */
#ifndef RT0_TRACER_TRACE_H
#define RT0_TRACER_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/outfile.h"
#include "common/tracefmt.h"
#include "tracer/sysfilter.h"

/* A thread's scheduler account, cumulative over its life (the kernel's /proc/PID/task/TID/schedstat:
 * time on a CPU, time runnable on a runqueue waiting for one). Events taken in a thread (probes, execs)
 * carry them as "cpu_ns" and "wait_ns", so a phase's CPU time and its wait for a CPU are differences
 * between two events of the same thread, whatever else the machine was doing. */
struct rt_sched {
	bool valid;
	uint64_t cpu_ns, wait_ns;
	/* An engine that stops the program to record (ptrace) also says for how long it held this thread
	 * stopped so far: "stopped_ns", from the moment the thread stopped (as near as the tracer can tell:
	 * its own wait for a CPU after the stop woke it is counted back) to the moment it was resumed.
	 * A phase's difference is the tracer's part of its wall time, which the report takes out. */
	bool has_stopped;
	uint64_t stopped_ns;
	/* ... and how many stops that was ("stops", counting the one the event was taken in), of which
	 * at a syscall's entry or exit ("syscall_stops"): each costs the program some time beyond its hold
	 * (entering and leaving the stop, waking the tracer), which the header's "stop_cost_ns" and
	 * "syscall_stop_cost_ns" estimate; the report takes that out too. */
	uint64_t stops, sys_stops;
};

struct rt_trace {
	struct rt_outfile out;
	FILE *f;       /* out.f while open, else NULL */
	uint64_t events, lost;
	bool failed;   /* a write failed: the trace is incomplete whatever the engine says */
	const struct rt_sysfilter *filter; /* -e trace=: only these syscalls are written (NULL: all); the
					    * header says so ("syscall_filter": the set as given) */
	uint64_t program_ns; /* when nonzero, the footer's optional "program_ns": the program's wall time
			      * as the engine saw it (released from its hold to reaped) */
	struct rt_sched_t0 { /* the root's scheduler account at t0 (when it was started or released):
			      * the header's "sched", {"tid"} and the account's members as an event
			      * carries them (rt_event_sched), where the exec phase's CPU time and wait
			      * begin; tid 0: not known */
		int tid;
		struct rt_sched s;
	} t0_sched;
	uint64_t stop_cost_ns;         /* when nonzero, the header's "stop_cost_ns": what one stop costs
					* the program beyond the time it is held (struct rt_sched),
					* measured at start */
	uint64_t syscall_stop_cost_ns; /* the same for a stop at a syscall's entry or exit, the header's
					* "syscall_stop_cost_ns" */
	struct rt_rusage {   /* the root process's resource use as wait4 reported it at its reaping */
		bool valid;
		uint64_t utime_ns, stime_ns, maxrss_kb, minflt, majflt;
	} rusage;            /* valid: the footer's "rusage" object */
	bool has_instructions; /* the footer's "instructions": user-space instructions the program (its
				* threads and children) executed from its exec, where the machine counts
				* them (tracer/hwcount.h) */
	uint64_t instructions;
};

/* Reads TID's account through *fd (a /proc/PID/task/TID/schedstat descriptor kept open: -1 the first
 * time, then the caller's to close) into *s, whose other members are cleared. False (and s->valid
 * false) when it cannot be read. */
bool rt_sched_read(int *fd, int pid, int tid, struct rt_sched *s);
/* Reads PID's account into t->t0_sched (for the header's "sched"), when it can be read. */
void rt_trace_t0_sched(struct rt_trace *t, int pid);
/* Adds "cpu_ns" and "wait_ns" (and "stopped_ns" when it has it) to an event when `s` is valid. */
void rt_event_sched(json_t *e, const struct rt_sched *s);
/* The root's resource use, from wait4's struct rusage, for the footer. */
struct rusage;
void rt_trace_rusage(struct rt_trace *t, const struct rusage *ru);

/* Opens PATH for writing ("-" for standard output; /dev/null works), to hold the syscalls `filter` lets
 * through (NULL: all; the filter must outlive the trace). RT_EXIT_INPUT when it cannot. */
int rt_trace_open(struct rt_trace *t, const char *path, const struct rt_sysfilter *filter, struct rt_err *err);
/* Closes without a footer and removes what this open created: for failures before anything was traced.
 * Never touches what existed before (a file, a device such as /dev/null, a FIFO, ...). `path` is unused
 * (the trace knows its path). */
void rt_trace_discard(struct rt_trace *t, const char *path);
/* After a failure: a trace that recorded something (its header is out) is closed marked incomplete;
 * one that recorded nothing is discarded (rt_trace_discard), so no file passes for a partial trace.
 * Nothing happens when it is already closed. */
void rt_trace_abandon(struct rt_trace *t, const char *path, bool traced);
/* The header line; `binary` (stolen) is the binary object, t0 the CLOCK_MONOTONIC origin. */
void rt_trace_header(struct rt_trace *t, const char *engine, char *const *argv, json_t *binary, uint64_t t0);
/* One event line; takes ownership of `ev` (which must have a "type"). A "syscall" event outside the
 * filter is dropped. */
void rt_trace_event(struct rt_trace *t, json_t *ev);
/* A syscall event, formatted directly (the bulk of every trace; the same shape rt_trace_event would
 * write): {"type":"syscall","t","pid","tid","dur","nr","name","args":[6 hex],"ret"}; ret NULL-able. */
void rt_trace_syscall(struct rt_trace *t, uint64_t ts, int pid, int tid, uint64_t dur, uint64_t nr, const char *name,
		      const uint64_t args[6], const int64_t *ret);
/* Writes the footer and closes. Returns 0, or -1 when any write failed. */
int rt_trace_close(struct rt_trace *t, bool complete);

uint64_t rt_now_ns(void); /* CLOCK_MONOTONIC */

/* The events every engine writes the same way (new references, for rt_trace_event). */
/* {"type", "t", "pid", "tid"}: pid/tid left out when 0. */
json_t *rt_event_new(const char *type, uint64_t t, int pid, int tid);
/* A "signal" event: signo, name ("SEGV"), code, and addr for the signals whose si_addr is the fault. */
json_t *rt_signal_event(uint64_t t, int pid, int tid, int sig, int code, uint64_t addr);
/* Whether si_addr of `sig` is the faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE). */
bool rt_fault_signal(int sig);
/* The name of syscall `nr` on this host (libseccomp's table), "syscall_N" when it has none; cached. */
const char *rt_syscall_name(uint64_t nr);

#endif
