/*
 * tracer/sampling: N traced runs of a program, each run's report added to a struct rt_bench
 * (report/baseline.h). Shared by `bench` and `check` (tracer/cmd_bench.c) and `compare`
 * (tracer/cmd_compare.c), with the options and the table cells they have in common.
 */
#ifndef RT0_TRACER_SAMPLING_H
#define RT0_TRACER_SAMPLING_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "report/baseline.h"
#include "tracer/engine.h"

struct sampling {
	int runs;
	bool show_output;
	const struct rt_engine *engine; /* NULL until --engine (check: then the baseline's) */
	char **argv;
	/* compare: a run of a binary whose main could not be probed (no main probe in the trace's plan:
	 * stripped of its symbols; or one its engine cannot observe) that exits by itself adds its
	 * resources (run:*) alone, not an error */
	bool main_optional;
};

/* rt_bench_init, then the bench's engine and argv from `s`. */
void sampling_begin(const struct sampling *s, struct rt_bench *b);
/* Run `i` (of s->runs): one traced run into a scratch trace, its report added to `b` (the environment
 * taken from the first). RT_EXIT_CHECK, "run I of N: ...", when it never reached main (but see
 * main_optional). */
int sampling_run(const struct sampling *s, int i, struct rt_bench *b, struct rt_err *err);
/* sampling_begin and s->runs runs; `b` is released on failure. */
int sample(const struct sampling *s, struct rt_bench *b, struct rt_err *err);

enum { OPT_ENGINE = 256, OPT_SHOW, OPT_BASELINE, OPT_THRESHOLD, OPT_MIN_DELTA, OPT_JSON, OPT_NO_CONFIRM, OPT_NO_DRIFT, OPT_METRIC,
       OPT_MAX_RUNS, OPT_FORMAT };

/* In a sampling command's getopt_long table: common_opt's long options, and the table's end (--help,
 * then the terminator). */
#define SAMPLING_LONG_OPTS \
	{ "engine", required_argument, NULL, OPT_ENGINE }, { "show-output", no_argument, NULL, OPT_SHOW }
#define LONG_OPTS_END { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }

/* Options the sampling commands share (-n, --engine, --show-output); returns 0 when handled, 1 when
 * not this kind, or an exit code. */
int common_opt(const char *cmd, int c, struct sampling *s);
/* PROGRAM [ARGS...] after the options (and an optional "--") into s->argv. */
int program_args(const char *cmd, int argc, char **argv, struct sampling *s);

/* A value in its metric's unit, for a table: "12.345 ms", "7180 KiB", "265". */
const char *fmt_value(char *buf, size_t n, const char *name, double v);
/* A comparison row's verdict: regressed, undecided, improved, ok (judged); higher, lower, same (not
 * judged); not compared. */
const char *cmp_verdict(const struct rt_cmp *c);

#endif
