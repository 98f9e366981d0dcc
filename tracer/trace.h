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
	const char *ready;   /* run --ready SPEC: the header's optional "ready" (NULL: none) */
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
	const char *traceparent; /* when non-NULL, the header's "traceparent" (a valid W3C value) */
};

/* Reads TID's account through *fd (a /proc/PID/task/TID/schedstat descriptor kept open: -1 the first
 * time, then the caller's to close) into *s, whose other members are cleared. False (and s->valid
 * false) when it cannot be read. */
bool rt_sched_read(int *fd, int pid, int tid, struct rt_sched *s);
/* Reads PID's account into t->t0_sched (for the header's "sched"), when it can be read. */
void rt_trace_t0_sched(struct rt_trace *t, int pid);
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
/* The header line; `binary` (stolen) is the binary object, t0 the CLOCK_MONOTONIC origin. It also says
 * when t0 was on the wall clock ("realtime_ns": CLOCK_REALTIME ns since the Unix epoch, from both clocks
 * read together as it is written). */
void rt_trace_header(struct rt_trace *t, const char *engine, char *const *argv, json_t *binary, uint64_t t0);
/* One event line; takes ownership of `ev` (which must have a "type"). A "syscall" event outside the
 * filter is dropped. */
void rt_trace_event(struct rt_trace *t, json_t *ev);
/* A syscall event, formatted directly (the bulk of every trace; the same shape rt_trace_event would
 * write): {"type":"syscall","t","pid","tid","dur","nr","name","args":[6 hex],"ret"}; ret NULL-able;
 * with `dec` (tracer/decode.h; NULL-able) also its decoded "call", "result", "path", "fd", "addr". */
struct rt_dec_out;
void rt_trace_syscall(struct rt_trace *t, uint64_t ts, int pid, int tid, uint64_t dur, uint64_t nr, const char *name,
		      const uint64_t args[6], const int64_t *ret, const struct rt_dec_out *dec);
/* Writes the footer and closes. Returns 0, or -1 when any write failed. */
int rt_trace_close(struct rt_trace *t, bool complete);

uint64_t rt_now_ns(void); /* CLOCK_MONOTONIC */

/* ---- the events: one writer each (docs/formats.md "Events"), every engine's, and every key name of an
 * event here only. Each returns a new event (for rt_trace_event, or an engine's queue); pid/tid 0 are
 * left out. `sched` (NULL-able) adds "cpu_ns", "wait_ns" (and ptrace's "stopped_ns", "stops",
 * "syscall_stops") when valid. ---- */

/* An event's time ("t"), and the same event moved to time `t` (an engine that learns later when it
 * really happened). */
uint64_t rt_event_time(const json_t *e);
void rt_event_retime(json_t *e, uint64_t t);
/* An event's process ("pid"), 0 when it has none. */
int rt_event_pid(const json_t *e);

/* "exec" (or at -p "attach", with "threads"): the image `path` in pid, with `probes` planted. */
struct rt_ev_exec {
	bool attach;
	uint64_t t;
	int pid;
	const struct rt_sched *sched;
	const char *path;
	size_t probes;
	size_t probes_failed;    /* > 0: "probes_failed", and "probe_error" when set */
	const char *probe_error;
	int threads;             /* attach only */
	long long ppid;          /* > 0: "ppid" */
	bool unfollowed;         /* "followed":false: an exec whose new image was not traced */
	json_t *binary;          /* stolen: "binary" for another image than the header's; NULL: none */
};
json_t *rt_event_exec(const struct rt_ev_exec *x);
/* "syscall" (the engines that queue their events; rt_trace_syscall writes the same shape directly):
 * ret NULL-able, `via` and `path` optional, with `dec` (NULL-able) its decoded members as
 * rt_trace_syscall writes them. */
json_t *rt_event_syscall(uint64_t t, int pid, int tid, uint64_t dur, uint64_t nr, const uint64_t args[6],
			 const int64_t *ret, const char *via, const char *path, const struct rt_dec_out *dec);
/* "probe": probe `pr` (link-time address, role, package) entered by thread tid; "seen" and "via"
 * optional. */
struct rt_probe;
json_t *rt_event_probe(uint64_t t, int pid, int tid, const struct rt_probe *pr, const struct rt_sched *sched,
		       const char *seen, const char *via);
/* "clone": a new thread or process; child < 0 is written null. */
enum rt_clone_kind { RT_CLONE_KIND_THREAD, RT_CLONE_KIND_FORK, RT_CLONE_KIND_VFORK };
json_t *rt_event_clone(uint64_t t, int pid, int tid, long long child, enum rt_clone_kind kind, const char *via);
/* "signal": signo, name ("SEGV"), code, and addr for the signals whose si_addr is the fault; "via"
 * optional. */
json_t *rt_event_signal(uint64_t t, int pid, int tid, int sig, int code, uint64_t addr, const char *via);
/* "maps": the layout `text` (/proc/PID/maps lines) taken at probe `at` (or "exit"); rss_kb/hwm_kb < 0
 * are left out, `how` optional. */
struct rt_ev_maps {
	uint64_t t;
	int pid;
	const char *at;
	const char *text;
	size_t len;
	long long rss_kb, hwm_kb;
	const char *how;
};
json_t *rt_event_maps(const struct rt_ev_maps *m);
/* "container": process pid exec'd a container's entrypoint (`rt0trace agent`): its container `id`, the
 * OCI runtime that made it and the cgroup it joined (each NULL-able: null), and whether the agent saw the
 * start from its beginning. */
json_t *rt_event_container(uint64_t t, int pid, const char *id, const char *runtime, const char *cgroup,
			   bool from_start);
/* "exit" of process pid: `wst` is a wait status (WIFEXITED: "status", WIFSIGNALED: "signal", the other
 * null); "via" optional. */
json_t *rt_event_exit(uint64_t t, int pid, int wst, const char *via);
/* "crash": a fatal signal (signo != 0: its name, code and fault addr) or the entry of the Go runtime's
 * fatal path (`function`); `phase`/`package` where it happened (null when not known); regs (optional)
 * and backtrace are stolen. */
struct rt_ev_crash {
	uint64_t t;
	int pid, tid;
	int signo, code;
	uint64_t addr;
	const char *function;
	const char *phase, *package;
	json_t *regs, *backtrace;
};
json_t *rt_event_crash(const struct rt_ev_crash *c);
/* "stderr": the tail of what process pid wrote to fd 2, as valid UTF-8 (other bytes become '?'; `buf`
 * is changed so). */
json_t *rt_event_stderr(uint64_t t, int pid, char *buf, size_t len);
/* "mark": a moment that is no probe (the preload engine's); only the keys set are written, in this
 * order. */
struct rt_ev_mark {
	uint64_t t;
	int pid, tid;
	const char *what;
	const char *note;
	const char *object;
	bool has_index, has_addr, has_offset, has_caller, has_flags;
	uint64_t index, addr, offset, caller, flags;
	const char *symbol;      /* with addr: null when NULL */
	const char *name;        /* name_len bytes; "?" when not UTF-8 */
	size_t name_len;
};
json_t *rt_event_mark(const struct rt_ev_mark *m);

/* Whether si_addr of `sig` is the faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE). */
bool rt_fault_signal(int sig);
/* The name of syscall `nr` on this host (libseccomp's table), "syscall_N" when it has none; cached. */
const char *rt_syscall_name(uint64_t nr);

#endif
