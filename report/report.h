/*
 * report/: reads a trace (the one reader every report path uses), analyses it, renders it. Never
 * touches a live process.
 *
 *  - rt_trace_load(): trace.jsonl -> compact events (struct rt_event), line by line, validating the
 *    header (format, version) and each line's JSON; a missing footer is not an error: the trace is partial and every report says so. A last line
 *    cut mid-write (no newline, not JSON) is dropped and the trace flagged partial (`cut`). Numbers a
 *    report computes with must make sense: "t" (and the header's "t0") an integer >= 0 and no earlier
 *    than t0, "dur" >= 0, pids and tids >= 0, an exit status 0..255, signal numbers 1..64, within
 *    RT_TRACE_MAX_NS of t0; any other line is rejected (exit 3, naming the line and the field).
 *    Every other member may be absent or of another type: the analyses and renderers read them through
 *    json_get_str() & co. and treat such a member as absent.
 *  - rt_report_build(): phases (each phase starts at the first hit of its probe and ends where the next
 *    begins; every syscall belongs to the phase running when it started), syscall totals per phase and
 *    overall, the observed package-init order against the placed one, the memory layout at main
 *    (each mapping classified), the exit, the crash (rt_report_crash), and the checks of docs/formats.md,
 *    each with its evidence, plus "no crash". It analyses one image of one process: by default the
 *    root's (the first exec or attach, described by the header's `binary`), or the first exec of a
 *    chosen program (described by that exec event's own `binary`, which engines that follow execs into
 *    other binaries write).
 *  - renderers: a table of {name, render} (text, json, perfetto, html).
 *
 * Ownership: rt_trace_load() fills a struct released with rt_trace_unload(); rt_report_build() returns a
 * report released with rt_report_free(); the report keeps borrowed pointers into the loaded trace.
 */
#ifndef RT0_REPORT_REPORT_H
#define RT0_REPORT_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/ready.h"
#include "common/tracefmt.h"
#include "common/strv.h"

/* The register arguments a syscall event carries ("args"). */
#define RT_SYSCALL_ARGS 6

/* A syscall's decoded members (docs/formats.md "syscall"), each NULL when absent. */
struct rt_decoded {
	const char *call;       /* strace's text of the call: "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY)" */
	const char *result;     /* ... and of its result: "3", "-1 ENOENT (No such file or directory)" */
	const char *path;       /* the file it names */
	const char *fd;         /* what its fd argument (or the fd it made) refers to */
	const char *addr;       /* the socket address it names */
};

/* One event of a loaded trace. Every event has its compact fields; a syscall of the shape every engine
 * writes has nothing else (obj NULL), and any other event is also kept whole (obj) for the members only
 * some analyses read. The reader has validated what the compact fields hold (see rt_trace_load). */
struct rt_event {
	uint64_t t;             /* "t", absolute ns */
	uint64_t dur;           /* "dur"; 0 when absent or null */
	int32_t pid, tid;       /* 0 when absent or null (has_pid, has_tid false) */
	uint8_t type;           /* enum rt_et */
	bool has_pid, has_tid;
	/* syscall events: */
	bool ret_known;         /* "ret" is an integer (else null or absent: the call never returned) */
	uint8_t nargs;          /* compact events: how many of args[] the event had */
	const char *name;       /* "name", or NULL when absent or not a string (borrowed from the trace) */
	int64_t nr, ret;        /* "nr"; "ret" when ret_known */
	uint64_t args[RT_SYSCALL_ARGS]; /* compact events only: the register values of "args" */
	const struct rt_decoded *dec;   /* a syscall's decoded members, or NULL when it has none */
	json_t *obj;            /* the event's JSON object; NULL for a compact syscall */
};

struct rt_names;

struct rt_loaded_trace {
	char *path;
	json_t *header;
	struct rt_event *ev; /* events in file order (the header and footer excluded) */
	size_t nev;
	json_t *footer;   /* NULL when the trace is partial */
	/* A trace whose last line was cut (the tracer died mid-write): what was dropped, in words ("cut
	 * mid-line at line 97, byte 12345 (a 41-byte fragment dropped); no footer"); NULL otherwise.
	 * cut_line is that line's number and cut_byte its offset in the file (0 when not cut). */
	char *cut;
	size_t cut_line;
	uint64_t cut_byte;
	struct rt_names *names; /* the syscall names compact events point at, each kept once */
};

int rt_trace_load(const char *path, struct rt_loaded_trace *t, struct rt_err *err);
/* rt_trace_load keeps a compact syscall's decoded members only where the analyses read them
 * (rt_decoded_read); the others point at an empty struct rt_decoded (decoded, not kept). This keeps
 * every one, for the strace view. */
int rt_trace_load_all(const char *path, struct rt_loaded_trace *t, struct rt_err *err);
void rt_trace_unload(struct rt_loaded_trace *t);

struct rt_sysstat {
	const char *name;
	uint64_t count, time_ns;
};

/* qsort order of syscall totals: most time first, then most calls, then by name. */
int rt_sysstat_cmp(const void *a, const void *b);

/* What a phase touched, from the decoded members of the analysed process's syscalls (and its forked
 * children's until they exec): files opened (open, openat, openat2, creat), files looked up (the stat and
 * access families, readlink), socket addresses (connect, bind, sendto, sendmsg) and programs executed
 * (execve, execveat). Each list keeps its first RT_TOUCH_MAX entries in time order and counts the rest. */
enum rt_touch_kind { RT_TOUCH_FILE, RT_TOUCH_LOOKUP, RT_TOUCH_SOCKET, RT_TOUCH_EXEC, RT_TOUCH_KINDS };
#define RT_TOUCH_MAX 50

struct rt_touch {
	uint64_t t;             /* the syscall's entry, absolute ns */
	int32_t pid;
	const char *syscall;    /* its name (borrowed) */
	const char *what;       /* the path, or the socket address (borrowed) */
	char result[24];        /* "3", "0", the errno's name ("ENOENT"), or "?" when it never returned */
	const char *argv;       /* exec: its argv as the call shows it (`["sh", "-c", "..."]`), borrowed, */
	size_t argv_len;        /* argv_len bytes long; NULL when the call does not show it */
	size_t seq;             /* its place in the trace (orders calls stamped with the same time) */
};

struct rt_touches {
	struct rt_touch *v;
	size_t n, cap;
	uint64_t more;          /* those past the first RT_TOUCH_MAX */
};

struct rt_phase_row {
	char *name;            /* "runtime.main", "init example.com/x", "exec" */
	uint64_t start, end;   /* absolute CLOCK_MONOTONIC ns */
	uint64_t syscalls, sys_ns;
	struct rt_sysstat *stats; /* per syscall name within the phase */
	size_t nstats, statcap;
	/* The scheduler account (trace events' cpu_ns, wait_ns) of the thread that began the phase, at its
	 * start; and, when the next phase began in the same thread with an account too, what the phase
	 * took of it: its CPU time and its wait for a CPU (runqueue). Unknown (sched false) for the
	 * phase that runs on to the end, and where an engine gives no account. The root's exec phase
	 * counts its wait from t0 (the header's "sched") and its CPU time from the exec event: before the
	 * exec the CPU is the tracer's forked copy's, not the program's. */
	int64_t tid;               /* -1 when not known */
	bool has_start;
	uint64_t cpu0, wait0;
	bool sched;
	uint64_t cpu_ns, wait_ns;
	/* The engine's hold on that thread (events' "stopped_ns" and "stops", ptrace): at the start, and,
	 * with `sched`, how long within the phase the tracer kept it stopped (stopped_ns), what its stops
	 * cost beyond that (stop_cost_ns: their number times the header's "stop_cost_ns"), and the two
	 * together, never more than the phase's wall time less its wait: tracer_ns, the tracer's part of
	 * the phase (`stops` false, all zero, when the engine gives none). */
	bool has_stopped0, stops;
	uint64_t stopped0, nstops0, nsys0;
	uint64_t stopped_ns, stop_cost_ns, tracer_ns;
	struct rt_touches touched[RT_TOUCH_KINDS]; /* what it touched (see rt_touch_kind) */
};

struct rt_layout_row {
	uint64_t start, end;
	char perms[8];
	const char *kind;      /* text, rodata, data, bss, go-heap, heap, stack, vdso, vvar, file, anonymous */
	const char *path;      /* borrowed */
};

struct rt_check {
	const char *name;
	bool ok;
	bool unobserved;       /* the engine could not observe what the check needs: neither passed nor
				* failed (ok is false; it does not fail the report) */
	char *detail;
};

/* Why the program died, from the analysed process's crash events (docs/formats.md "crash"). A fatal signal's
 * event is taken at its delivery-stop; the Go runtime's fatal path (fatalpanic, fatalthrow,
 * dieFromSignal) at its entry, after the signal (if any) that started it on the same thread. */
struct rt_crash {
	uint64_t t;                /* absolute ns of the event that located the crash */
	const char *kind;          /* "signal" or "go-fatal" */
	const char *phase;         /* the report's phase row running then */
	char *package;             /* Go: the package whose init was running; else NULL */
	const char *function;      /* first frame in the program itself (Go: outside the runtime), or NULL */
	const char *signal;        /* "SIGSEGV", ..., or NULL (a panic without a signal); points at sigbuf */
	char sigbuf[24];
	int signo, code;
	const char *addr;          /* si_addr as written in the trace, or NULL */
	const char *fatal;         /* runtime.fatalpanic ... for go-fatal, else NULL */
	char *panic;               /* "panic: ..." / "fatal error: ..." block from the stderr tail, or NULL */
	const char *stderr_tail;   /* what the process last wrote to fd 2, or NULL */
	int tid;
	const json_t *regs;        /* borrowed: {"rip":"0x..",...} of the crashing thread, or NULL */
	const json_t *backtrace;   /* borrowed: [{"tid","frames":[{"pc","symbol","offset","module",...}]}] */
	bool derived;              /* no crash event: derived from the process's exit (and a signal event) */
	bool killed;               /* derived: a crash signal killed the process (else it exited non-zero
				    * after a crash signal's signal event: a Go runtime's panic, exit 2) */
	bool siginfo;              /* code, addr and tid are known (from a crash or signal event) */
};

/* One process of the trace (report/proctree.c): the root (the first exec or attach) and each child a clone
 * of kind fork or vfork made, or a pid some event names. */
struct rt_proc_exec {
	uint64_t t;             /* the exec event's, absolute ns */
	const char *path;       /* borrowed; NULL when the event has none */
	bool attach;            /* an attach event (run -p), not an exec */
};

struct rt_proc {
	int64_t pid, ppid;      /* ppid -1 when unknown (the root, unless the exec event names it) */
	size_t parent;          /* index in rt_report.procs, or SIZE_MAX */
	const char *exe, *comm; /* its last exec's path and that path's basename; a process that never exec'd
				 * has its parent's at the fork; NULL when unknown (borrowed) */
	uint64_t start, end;    /* its clone (the root: t0) and its exit (else the trace's end), absolute ns */
	bool exited;
	bool container;         /* it, or an ancestor before forking it, made namespaces (see proctree.c) */
	uint64_t container_at;  /* when its own first namespace call was made; UINT64_MAX if never */
	uint64_t syscalls, sys_ns;
	struct rt_proc_exec *execs;
	size_t nexecs, execcap;
	/* Its phases (rt_image_phases): those of each of its execs whose probes were hit, in time order;
	 * none (NULL, 0) when no probe of its images was hit. main_at: its first main's hit, absolute ns,
	 * and main_exec the start of the exec phase it belongs to; 0 when none. */
	struct rt_phase_row *phases;
	size_t nphases;
	uint64_t main_at, main_exec;
};

/* A step of the critical path: [start, start + dur) absolute ns, spent by process `pid` as `step`. */
struct rt_path_step {
	char *step;             /* "exec → main", or the process's comm then ("sh", "runc"); in a container
				 * start, what the step is ("runtime CLI", "OCI create", ...: proctree.c's table) */
	int64_t pid;
	uint64_t start, dur;
};

/* A signal whose delivery ends a process as a crash: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS,
 * SIGTRAP. A process killed by any other signal (SIGKILL, SIGTERM, SIGINT, SIGPIPE, ...) did not crash,
 * but did not end by itself either: its "no crash" check is "not observed". */
bool rt_signal_is_crash(int signo);

struct rt_report {
	const struct rt_loaded_trace *trace;
	/* What is analysed: one process (`pid`) from the exec that loaded the image `bin` (borrowed: the
	 * header's `binary` for the root, else that exec event's) until it execs again; its exit, crash and
	 * stderr events whenever they come. `bin` is NULL when the header has none (the root taken by
	 * default); `pid` is -1 when the trace has no exec or attach at all. */
	const json_t *bin;
	int64_t pid;
	const char *program;       /* the selected exec's path (borrowed), or NULL when the root was taken by default */
	uint64_t t0, t_end;        /* t0: the header's; t_end: the trace's last moment (with a program: the process's) */
	const char *engine;
	const char *syscall_filter; /* the header's "syscall_filter" (-e trace=), or NULL: every syscall */
	uint64_t stop_cost_ns;      /* what a breakpoint stop costs (ptrace): the header's "stop_cost_ns", or
				     * this run's own figure where it is higher (stop_cost_from_run; the
				     * header's is then stop_cost_start_ns), or 0 */
	uint64_t stop_cost_start_ns;
	bool stop_cost_from_run;
	uint64_t syscall_stop_cost_ns; /* its "syscall_stop_cost_ns", or 0 */
	bool complete;
	uint64_t lost;
	bool is_go;
	struct rt_phase_row *phases;
	size_t nphases;
	uint64_t main_at;          /* when main.main (C: main) was entered, absolute ns; 0 if never */
	struct rt_sysstat *stats;  /* whole trace, sorted by time descending */
	size_t nstats;
	uint64_t nsyscalls;
	/* Some syscall of the analysed process was decoded (its engine wrote `call`): the reports then list
	 * what each phase touched (rt_phase_row.touched), empty lists included; else they say nothing of it. */
	bool decoded;
	struct strv observed, placed; /* package-init order (placed: less what was past at attach) */
	bool attached;             /* the trace began by attaching to a running process (run -p) */
	struct strv past;          /* phases and packages already past at attach */
	size_t npast;
	bool init_match;
	struct strv unobserved;    /* planned phases and packages the engine says it cannot observe (the
				    * header's probes with "observable": false): not expected, said so */
	bool init_unobserved;      /* no package init was observable: the init-order check is "not observed" */
	bool placed_unknown;       /* the inits were probed in no known order (a stripped Go binary's, probes
				    * with "placed": false): observed only, no init-order check */
	const char *layout_at;     /* the probe the layout snapshot was taken at, or NULL */
	struct rt_layout_row *layout;
	size_t nlayout;
	struct rt_check *checks;
	size_t nchecks;
	bool exited;
	int exit_status, exit_signal; /* -1 when not applicable */
	struct rt_crash *crash;    /* NULL when the program did not die of a crash */
	struct strv notes;
	/* The root's resource use (the footer's "rusage"; only for the root's report; its maxrss_kb also
	 * counts the tracer's forked copy before the exec, so the peak reported is peak_rss_kb), the resident
	 * set at the layout snapshot (its maps event's "rss_kb"); valid flags false when absent. */
	struct {
		bool valid;
		uint64_t utime_ns, stime_ns, maxrss_kb, minflt, majflt;
	} rusage;
	bool has_rss_main;
	uint64_t rss_main_kb;
	bool has_instructions;     /* the footer's "instructions" (hardware counters, where the machine has them) */
	uint64_t instructions;
	bool has_peak_rss;         /* the exit snapshot's "hwm_kb": the peak resident set since the exec */
	uint64_t peak_rss_kb;
	/* The process tree (rt_report_proctree): every process in start order, and the critical path from t0
	 * to the main of path_pid (at path_main; 0 and no steps when no process reached main). */
	struct rt_proc *procs;
	size_t nprocs;
	struct rt_path_step *path;
	size_t npath, pathcap;
	int64_t path_pid;
	uint64_t path_main;
	/* The container the traced start made: the first "container" event (written by `rt0trace agent`:
	 * "id", "runtime", "cgroup", "observed_from_start", and its "pid" and "t"), else the header's
	 * "container" object, else NULL (borrowed from the trace; rt_report_proctree). */
	const json_t *container_info;
	uint64_t path_end;         /* the last step's end: path_main, the ready point, or the root's exit */
	bool container;            /* a process is marked container: the steps are named for a container start */
	/* The readiness point (common/ready.h): rt_report_build's `ready`, else the header's "ready"; NULL
	 * (ready_spec) is main, the path as it always was. Reached: when (ready_at, absolute ns), in which
	 * process, and by what (the syscall's name, or the probe's symbol: borrowed). */
	const char *ready_spec;
	struct rt_ready ready;
	bool ready_reached;
	uint64_t ready_at;
	int64_t ready_pid;
	const char *ready_what;
};

/* The report of the trace's root process (`program` NULL), or of the first exec whose path, or the
 * basename of whose path, is `program` (as `diamond` names `/tmp/b/rootfs/diamond`). With a program,
 * only that process's syscalls from its exec until its next exec are counted and the "exec" phase
 * starts at its exec; the root's report counts every syscall of the trace, as phases of the root.
 * Returns NULL with RT_EXIT_INPUT in `err` when no exec matches (the message lists the programs the
 * trace has) or the matching exec carries no `binary`; never fails when `program` is NULL and the
 * header's "ready" is absent or valid. `ready` (a readiness point, common/ready.h, already checked by the
 * caller) overrides the header's "ready"; NULL takes the header's. A header "ready" that is not a
 * readiness point is an input error (RT_EXIT_INPUT). */
struct rt_report *rt_report_build(const struct rt_loaded_trace *t, const char *program, const char *ready,
				  struct rt_err *err);
/* Fills r->crash from r->pid's crash and stderr events (called by rt_report_build once the phases and
 * the exit are known). A crash event of a program that went on to exit 0 (a fault it recovered from)
 * is not a crash; it becomes a note. */
void rt_report_crash(struct rt_report *r);
void rt_crash_free(struct rt_crash *c);
/* The phase row running at `t` (the last one started by then; the first when none had). */
size_t rt_phase_index(const struct rt_report *r, uint64_t t);
/* Fills each phase's `touched` and r->decoded from the syscalls of process r->pid in [from, until) and of
 * the children it forked (fork, vfork; theirs too) until they exec (report/touched.c; called by
 * rt_report_build once the phases are known). */
void rt_report_touched(struct rt_report *r, uint64_t from, uint64_t until);
/* Whether syscall `name` is one whose decoded members a phase's touched lists read. */
bool rt_touch_named(const char *name);
/* Whether any analysis reads syscall `name`'s decoded members: the touched lists' syscalls, and
 * clone3, whose namespace flags the process tree reads from its call (report/proctree.c). */
bool rt_decoded_read(const char *name);
/* A touched list's verb in the text report: "open", "creat", "exec", else the syscall's name. */
const char *rt_touch_verb(enum rt_touch_kind kind, const struct rt_touch *t);
/* Which of a phase's lists holds its next item in time order, when idx[k] of each list k have been read;
 * -1 when all have. */
int rt_touch_next(const struct rt_phase_row *p, const size_t idx[RT_TOUCH_KINDS]);
/* An exec's argv as strings (strace's quoting undone; a string cut short ends in "...", and an argv cut
 * short has a last element "..."): appended to `out`; false when the call shows none. */
bool rt_touch_argv(const struct rt_touch *t, struct strv *out);
/* The phases of one image of one process as rt_report_build names them ("exec", or "attach" when
 * `attach`; then each phase probe's and each package init's, and the preload engine's constructors),
 * from that image's probe and mark events (`ev`, n of them, in file order): the first starts at `from`,
 * the last ends at `end`. Returns the rows (their names and the stats and touched lists NULL, released as
 * the report's are) and sets *nphases, or NULL and 0 when no probe was hit; *main_at is main's hit (0 if
 * none). */
struct rt_phase_row *rt_image_phases(const struct rt_event *const *ev, size_t n, bool attach, uint64_t from,
				     uint64_t end, size_t *nphases, uint64_t *main_at);
/* Fills r->procs and the critical path (report/proctree.c; called by rt_report_build once the phases are
 * known), and frees them. */
void rt_report_proctree(struct rt_report *r);
void rt_proctree_free(struct rt_report *r);
/* The process tree's text sections and JSON members, for a trace of more than one process (the critical
 * path and "ready" also with a readiness point; nothing otherwise: a single process's reports stay as
 * they were). */
void rt_proctree_text(const struct rt_report *r, FILE *f);
void rt_proctree_json(const struct rt_report *r, json_t *o);
/* The trace's engine writes crash events (the ptrace engine; a trace naming no engine is one of its). The
 * eBPF and preload engines do not: their "no crash" rests on the exit and signal events. */
bool rt_engine_writes_crashes(const struct rt_report *r);
void rt_report_free(struct rt_report *r);
/* No check failed (a check the engine could not observe is not a failure). */
bool rt_report_all_ok(const struct rt_report *r);

/* Nanoseconds as milliseconds, for display. */
static inline double rt_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

struct rt_renderer {
	const char *name;
	int (*render)(const struct rt_report *r, FILE *out);
};

/* The renderer called `name`, or NULL. */
const struct rt_renderer *rt_renderer_find(const char *name);
extern const char *const rt_renderer_names;

/* report/render_perfetto.c: Chrome Trace Event Format JSON for ui.perfetto.dev and chrome://tracing (a
 * track per thread, the phase rows on a "startup phases" pseudo-thread, syscall slices, instants). */
int rt_render_perfetto(const struct rt_report *r, FILE *out);

/* report/render_html.c: one self-contained HTML page (inline CSS, SVG and script; fetches nothing): the
 * phase timeline to scale, syscalls per phase, the layout bar, checks, init order, crash and exit. */
int rt_render_html(const struct rt_report *r, FILE *out);

#endif
