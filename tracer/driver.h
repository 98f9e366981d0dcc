/*
 * tracer/driver: one run of `rt0trace run`, whatever the engine. The driver finds the program, opens the
 * trace, starts the program through rt0exec (held until the engine is ready, or stopped for ptrace) or
 * attaches (-p), catches SIGINT/SIGTERM (one handler, one flag) and restores them, checks the program's
 * exec, waits for the program, computes what `run` exits with (the program's exit code, or 128+signal),
 * writes the header (with the image the engine loaded, or null) and the footer, and on a failure leaves
 * no file that could pass for a trace. It also turns a loaded image into the header or an exec/attach
 * event (rt_run_image).
 *
 * An engine gives a small table of steps (struct rt_engine_ops) and keeps its own mechanics: how it
 * sees the program (ptrace stops, eBPF records, the preload shim's socket), how it plants probes, how
 * it lets go. Adding something to every engine's run is adding it here.
 *
 * Ownership: rt_run_engine() owns the run (struct rt_run) for its length; the engine's state is the
 * caller's, freed by ops->cleanup.
 */
#ifndef RT0_TRACER_DRIVER_H
#define RT0_TRACER_DRIVER_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "probes/plan.h"
#include "tracer/engine.h"
#include "tracer/image.h"
#include "tracer/trace.h"

struct rt_run;

/* An engine's steps, in the order the driver calls them. Optional ones may be NULL. */
struct rt_engine_ops {
	const char *name; /* the header's "engine" */
	/* Before anything starts: the engine's own checks and setup, and how rt0exec gets the program
	 * ready (r->spawn, {.filter_fd = -1, .hold = true} by default). Optional. */
	int (*prepare)(struct rt_run *r, struct rt_err *err);
	/* The program spawned (r->root), the trace open, the signals caught: get ready to trace it. A held
	 * program (r->spawn.hold) is released by the driver after this, which sets r->t0. Optional. */
	int (*start)(struct rt_run *r, struct rt_err *err);
	/* -p: take hold of the running process r->root and load its image (r->t0 is set). NULL: the
	 * engine cannot attach. */
	int (*attach)(struct rt_run *r, struct rt_err *err);
	/* Traces until the program is gone (or detached from, r->detached) or rt0trace is interrupted
	 * (rt_interrupted): 0, or 1 when interrupted. */
	int (*loop)(struct rt_run *r);
	/* After the loop and the check of the program's exec: let go of what is still traced (killed
	 * with --kill-on-exit when interrupted) and write what is left. -1 with err fails the run.
	 * Optional. */
	int (*stop)(struct rt_run *r, bool interrupted, struct rt_err *err);
	/* Frees the engine's state, whatever step the run got to. Optional. */
	void (*cleanup)(struct rt_run *r);
};

struct rt_run {
	const struct rt_run_opts *o;
	const struct rt_engine_ops *ops;
	void *engine;             /* the engine's state */
	char *prog;               /* PROGRAM as found (NULL when attaching) */
	struct rt_trace trace;
	struct rt_spawn spawn;    /* how rt0exec gets the program ready (prepare may change it) */
	pid_t root;               /* the program, or the process attached to */
	bool attached;            /* -p */
	int gofd, errfd;          /* rt_spawn's pipes, or -1 */
	uint64_t t0;              /* the trace's origin (the release, or the attach) */
	bool header_done;         /* rt_run_header was called: what follows is worth writing */
	bool defer_header;        /* the engine writes it later (rt_run_flush_header): held in a stop,
				   * or sorting its events first */
	/* The root's end, as the engine saw it. */
	bool exited;              /* it ended: status is what `run` exits with */
	int status;
	bool reaped;              /* reaped by rt_run_reap (t_reaped, the footer's program_ns) */
	uint64_t t_reaped;
	int wst;                  /* its wait status then */
	bool detached;            /* --until main: the trace ends, the program goes on untraced (waited
				   * for, after the trace is closed, when it is our child) */
	/* the header, until it is written */
	char *const *header_argv;
	json_t *header_bin;
	bool header_pending;
	struct rt_run_image *header_image; /* a `late` image whose JSON is made when the header is written */
};

/* Runs engine `ops` with its state `engine`: the whole of rt_ptrace_run, rt_ebpf_run, rt_preload_run
 * (tracer/engine.h). */
int rt_run_engine(const struct rt_engine_ops *ops, void *engine, const struct rt_run_opts *o, int *status,
		  struct rt_err *err);

/* The signal (SIGINT, SIGTERM) that interrupted rt0trace during a run, else 0. */
extern volatile sig_atomic_t rt_interrupted;

/* What `run` exits with for a wait status: the exit code, 128+signal, else 0. */
int rt_exit_code(int wst);
/* The root ended with wait status `wst`. */
void rt_run_exited(struct rt_run *r, int wst);
/* Reaps the root (our child) if it ended, without waiting: its rusage and end time are recorded.
 * True when it was reaped now or before. */
bool rt_run_reap(struct rt_run *r);

/* The trace's header, with the image `bin` (stolen; NULL: null) and `argv` (which must live until it is
 * written): written now, or kept while r->defer_header. */
void rt_run_header(struct rt_run *r, char *const *argv, json_t *bin);
/* Writes a kept header. */
void rt_run_flush_header(struct rt_run *r);

/* The probe plan of an image, as the run's options ask (--init-functions; --ready SYMBOL's probe where the
 * image has the function). */
void rt_run_plan(const struct rt_run *r, const struct rt_binary *b, struct rt_probe_plan *plan);

/* An image loaded in process `pid` (an exec, or the attach), as the engine read and probed it. */
struct rt_run_image {
	pid_t pid;
	uint64_t t;
	bool attaching;
	char *const *argv;            /* for the header, when it is the root's first image */
	const char *path;             /* /proc/PID/exe resolved (or the path the image said hello with) */
	const struct rt_binary *bin;  /* NULL when it could not be read: `error` says why */
	const char *error;
	const struct rt_probe_plan *plan;
	uint64_t bias;
	const struct rt_past *past;   /* attaching: what it had already run */
	const struct rt_sched *sched; /* the thread's account at the exec */
	size_t probes, probes_failed; /* planted, and planned but not planted (probe_error: the first) */
	const char *probe_error;
	int threads;                  /* attaching */
	long long ppid;               /* > 0: the exec event says its parent */
	bool late;                    /* as the root's first image, its binary's JSON may be made when the
				       * header is written, after the hold (bin and plan live until then;
				       * not when attaching) */
};
/* The image's binary object goes to the header when it is the root's first image (which the driver
 * then writes, or keeps), else into the exec event; returns the exec (or attach) event for the engine
 * to write. */
json_t *rt_run_image(struct rt_run *r, const struct rt_run_image *im);
/* /proc/PID/exe into `exe` and what it resolves to into `real` ("" when it cannot be read). */
void rt_run_exe(pid_t pid, char exe[64], char *real, size_t size);

#endif
