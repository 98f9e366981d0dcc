/*
 * report/baseline: startup latency samples over repeated runs (`rt0trace bench`), stored as a baseline
 * file, and the comparison of fresh runs against it (`rt0trace check`).
 *
 * Metrics, one sample per run: "startup" (exec, or attach, to the entry of main.main — main for a C
 * program) and the duration of every phase row before main (report.h: "exec", "runtime.rt0_go", …,
 * "init <package>"): wall time. main's own row is the program's run, not its startup, and is left out.
 * Where the engine gave the phases' scheduler accounts, each also as "cpu:<name>" (the CPU time of the
 * thread that ran it) and "nowait:<name>" (wall time less the thread's wait for a CPU: the phase as it
 * would have run with a CPU free; sleeps, I/O and lock waits stay in it), "startup" included when
 * every phase before main has one. Per run: "run:cpu" (all threads, user + system), "run:peak_rss" and
 * "run:rss_at_main" (KiB), "run:minflt" and "run:majflt" (page faults), "run:mmaps" (mmap, mmap2 and
 * mremap calls, where the engine records every syscall: not the preload engine).
 *
 * Baseline file (JSON): {"format":"rt0trace-baseline","version":1,"engine","argv":[...],"runs":N,
 * "environment":{"kernel","cpus","cpu_model","hostname","binary","binary_sha256","build_id",
 * "go_version"},"metrics":[{"name","median_ns","mad_ns","min_ns","max_ns","samples_ns":[...]}...]}.
 * A metric in another unit than ns says so ("unit": "KiB" or "count") and has "median", "mad", "min",
 * "max" and "samples" instead of the *_ns keys.
 *
 * Comparison, per metric present on both sides: the ratio of medians (now / baseline), its 95%
 * percentile-bootstrap confidence interval (report/stats.h, shown), and the one-sided Mann-Whitney U
 * test's p-value (report/stats.h). A metric regressed when the test says the new samples are larger
 * (p < RT_BENCH_ALPHA) AND the ratio of medians exceeds 1 + threshold AND the medians differ by more
 * than min_delta (so that a microsecond phase doubling from noise is not a regression); it improved
 * the other way round. It is undecided when the effect is that large but p lies between
 * RT_BENCH_ALPHA and RT_BENCH_UNDECIDED: more runs may decide it. Only the metric kinds asked for
 * are judged; the others are compared and shown.
 *
 * Confirmation (`check`, unless --no-confirm): a regression must show twice. When the first round of
 * runs shows one, `check` samples a second round and compares it afresh; rt_bench_confirm keeps a
 * metric regressed only when both rounds regressed it. A burst of machine noise lasting one round
 * (another VM on the host, a page-cache flush) passes; a slower program regresses both rounds.
 *
 * Ownership: rt_bench_init/rt_bench_release around a struct rt_bench; rt_bench_load fills one.
 */
#ifndef RT0_REPORT_BASELINE_H
#define RT0_REPORT_BASELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "report/report.h"

#define RT_BASELINE_FORMAT "rt0trace-baseline"
#define RT_BASELINE_VERSION 1

#define RT_BENCH_ALPHA 0.01      /* a difference counts when the U test's p is below this */
#define RT_BENCH_UNDECIDED 0.25  /* ... and may be decided by more runs while p is below this */

/* Metric kinds, from the name's prefix (rt_metric_kind). */
enum rt_metric_kind {
	RT_M_WALL = 1,   /* "startup", "<phase>": wall time */
	RT_M_CPU = 2,    /* "cpu:...": the phase's thread's CPU time */
	RT_M_NOWAIT = 4, /* "nowait:...": wall time less the wait for a CPU */
	RT_M_RUN = 8,    /* "run:...": the whole run's resources */
	RT_M_ALL = 15,
};
unsigned rt_metric_kind(const char *name);
/* The unit of a metric: "ns", "KiB" or "count". */
const char *rt_metric_unit(const char *name);

struct rt_metric {
	char *name;
	double *ns;     /* one sample per run that had this metric (in its unit: ns, KiB or a count) */
	size_t n, cap;
};

struct rt_bench {
	struct rt_metric *m;
	size_t n, cap;
	size_t runs;
	json_t *env;    /* the environment object (owned) */
	json_t *argv;   /* the program's argv (owned), or NULL */
	char *engine;
};

void rt_bench_init(struct rt_bench *b);
void rt_bench_release(struct rt_bench *b);

/* Adds one run's samples. RT_EXIT_CHECK when the run never reached main (the message says how it
 * ended); the bench is unchanged then. */
int rt_bench_add_run(struct rt_bench *b, const struct rt_report *r, struct rt_err *err);
/* Adds one run's "run:*" samples alone (rt_bench_add_run adds them too): for `compare`, a run of a
 * binary whose main could not be probed (stripped of its symbols). */
void rt_bench_add_resources(struct rt_bench *b, const struct rt_report *r);
const struct rt_metric *rt_bench_metric(const struct rt_bench *b, const char *name);

json_t *rt_bench_json(const struct rt_bench *b);
/* Reads a baseline file: RT_EXIT_INPUT for a missing/unreadable/malformed one or another format. */
int rt_bench_load(const char *path, struct rt_bench *b, struct rt_err *err);

struct rt_cmp {
	const char *name;          /* borrowed from the baseline or the current bench */
	double base_ns, cur_ns;    /* medians (in the metric's unit); 0 when that side lacks the metric */
	double ratio, lo, hi;      /* ratio of medians and its confidence interval */
	double p_up, p_down;       /* Mann-Whitney: p that now is larger / smaller than the baseline */
	bool compared;             /* both sides had >= 3 samples */
	bool judged;               /* of a kind asked for: it can regress the check */
	bool regressed, improved;  /* for a metric not judged: larger / smaller beyond the same bounds */
	bool undecided;            /* judged, not regressed, but as large an effect with p < RT_BENCH_UNDECIDED */
	bool unconfirmed;          /* regressed or improved in a first round, not in the second (rt_bench_confirm) */
};

/* One row per metric of either side, baseline order first. `threshold` is a fraction (0.10); `drift`
 * is the machine's slowdown (rt_bench_drift's factor, or 1 for none), applied to wall-time metrics
 * only: above 1, such a metric regresses only when its ratio exceeds (1 + threshold) * drift and it
 * grew by more than min_delta beyond its baseline times drift. A drift below 1 changes nothing.
 * `kinds` (enum rt_metric_kind bits) are judged; min_delta applies to ns metrics (others: the
 * threshold alone). */
size_t rt_bench_compare(const struct rt_bench *base, const struct rt_bench *cur, double threshold, double min_delta_ns,
			double drift, unsigned kinds, struct rt_cmp **rows);
/* Appends `more`'s samples to `b` (the same program, more runs). */
void rt_bench_merge(struct rt_bench *b, const struct rt_bench *more);

/* Machine drift. Whole sessions of traced runs drift together: the same binary on the same VM runs
 * its trap-heavy phases (syscalls, page faults, ptrace stops) 0.9-1.45x as long an hour later. The
 * Go runtime's own bootstrap (the metrics "runtime.*" and "init runtime": the same code in every
 * program of one Go version, measured in the very same runs) is the yardstick: `factor` is the
 * median over runs of their sum now over the same in the baseline. A program's phases must then
 * exceed that drift as well as the threshold. False when there is no yardstick (a C program, or
 * other runtime phases on the two sides). */
struct rt_drift {
	double base_ns, cur_ns;    /* medians of the per-run sums of the reference metrics */
	double factor;             /* cur_ns / base_ns */
};
bool rt_bench_is_reference(const char *metric);
bool rt_bench_drift(const struct rt_bench *base, const struct rt_bench *cur, struct rt_drift *d);

/* Keeps `again[j].regressed` (and `.improved`) only where the same-named row of `first` regressed
 * (improved) too, and marks each regression or improvement of `first` that `again` did not confirm
 * `unconfirmed`; returns how many those are. */
size_t rt_bench_confirm(struct rt_cmp *again, size_t n_again, struct rt_cmp *first, size_t n_first);

#endif
