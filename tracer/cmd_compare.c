/*
 * rt0trace compare: A/B of two builds of a program. Runs BINARY_A and BINARY_B alternately under the
 * tracer (A B A B ..., so that a slow stretch of the machine falls on both), N runs each, and puts them
 * side by side: file size, startup and each phase (wall, CPU, wall less CPU wait), the run's resources
 * (CPU, peak RSS, RSS at main, page faults, mmap calls), each with check's statistics (report/baseline.h
 * rt_bench_compare, every kind judged: B against A). As in check, a difference must show twice: when
 * the first round shows one, a second round of as many runs is compared, and only the differences both
 * rounds show count (rt_bench_confirm).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "report/baseline.h"
#include "tracer/cmd.h"
#include "tracer/engine.h"
#include "tracer/sampling.h"

#define THRESHOLD 0.10
#define MIN_DELTA_NS 2e6

static const char compare_usage[] =
	"usage: rt0trace compare [-n N] [--engine ptrace|ebpf|preload] [--json] [--no-confirm] [--show-output]\n"
	"                        BINARY_A BINARY_B [-- ARGS...]\n"
	"\n"
	"A/B of two builds of one program (go build vs -ldflags='-s -w', GOAMD64=v1 vs v3, static vs cgo, ...):\n"
	"runs BINARY_A and BINARY_B alternately under the tracer, A B A B ..., N runs each, both with ARGS,\n"
	"and prints them side by side, B against A: the file size, startup (exec -> main.main; main for a C\n"
	"program) and each phase before main as wall time, as the CPU time of the thread that ran it (cpu:)\n"
	"and as wall time less that thread's wait for a CPU (nowait:), and each run's resources: CPU of all\n"
	"threads, peak RSS, RSS at main, minor and major page faults, mmap/mmap2/mremap calls (run:*).\n"
	"\n"
	"Statistics, as 'rt0trace check' (see its --help) with every kind judged: the one-sided Mann-Whitney\n"
	"U test in each direction, the ratio of medians (B / A) with its 95% bootstrap interval, and the\n"
	"difference of the medians. B is 'regressed' (higher) where p < 0.01 AND the ratio exceeds 1.10 AND\n"
	"the medians differ by more than 2 ms (times only); 'improved' (lower) the other way round;\n"
	"'undecided' where the effect is that large but p is below 0.25 only (more runs, -n, may decide it);\n"
	"else 'ok'. A difference must show twice: when the N runs each show one (a metric regressed or\n"
	"improved), N more runs each are compared, the table is theirs, and a metric is regressed (improved)\n"
	"only where both rounds say so; the others are listed as unconfirmed (on a busy machine one round\n"
	"in a few dozen shows a difference between two copies of one binary). A metric only one binary has (a phase of one build) is 'not compared'. The file size is\n"
	"compared as it is: larger, smaller or same. BINARY_A and BINARY_B are files: a name without a '/'\n"
	"is the current directory's, not looked up in PATH. The table leaves out the nowait: rows (--json has them;\n"
	"their verdicts are in the summary lines). A binary stripped of its symbols (-ldflags=-s) has no\n"
	"main to probe (nor has a Go program under --engine preload): its runs count when they exit by\n"
	"themselves, with their resources alone, and a note says so. The programs' output goes to /dev/null\n"
	"unless --show-output. As in bench, the runs record only the memory syscalls (-e trace=%memory).\n"
	"\n"
	"options:\n"
	"  -n N            runs of each binary (default 10, at least 3)\n"
	"  --engine E      ptrace (default), ebpf or preload, as for 'rt0trace run'\n"
	"  --json          print {a, b, engine, runs, rounds, metrics: [{name, kind, unit, a_median, b_median,\n"
	"                  ratio, ci95, p, verdict}], size: {a, b}, notes: [...], unconfirmed: [names]} (runs:\n"
	"                  of each binary in each round; p: the test in the direction the medians moved;\n"
	"                  a_median/b_median null where that binary lacks the metric)\n"
	"  --no-confirm    one round of runs: a difference in it counts without a second round\n"
	"  --show-output   let the programs' stdout and stderr through\n"
	"  -h, --help      show this help\n"
	"\n"
	"exit codes: 0 compared (whatever the verdicts); 1 a run never reached main (crashed or exited first);\n"
	"2 usage error; 3 a binary is missing or unreadable; 4 the engine cannot work here\n";

static const char *kind_name(const char *metric)
{
	unsigned k = rt_metric_kind(metric);

	return k == RT_M_CPU ? "cpu" : k == RT_M_NOWAIT ? "nowait" : k == RT_M_RUN ? "run" : "wall";
}

/* cmp_verdict, and "same" for a metric both have at 0 (no ratio: not compared by the statistics). */
static const char *verdict(const struct rt_bench *a, const struct rt_bench *b, const struct rt_cmp *c)
{
	if (!c->compared && c->base_ns == 0 && c->cur_ns == 0 && rt_bench_metric(a, c->name) && rt_bench_metric(b, c->name))
		return "same";
	return cmp_verdict(c);
}

/* The p-value of the one-sided test in the direction the medians moved. */
static double p_of(const struct rt_cmp *c)
{
	return c->cur_ns >= c->base_ns ? c->p_up : c->p_down;
}

/* { path, args..., NULL }: a BINARY is a file, so a bare name is the current directory's ("./name"),
 * never looked up in PATH as a program to run is (v[0] is allocated). */
static char **program_argv(const char *path, char **args, int nargs)
{
	char **v = xcalloc((size_t)nargs + 2, sizeof(*v));

	v[0] = strchr(path, '/') ? xstrdup(path) : xasprintf("./%s", path);
	for (int i = 0; i < nargs; i++)
		v[i + 1] = args[i];
	return v;
}

static int file_size(const char *which, const char *path, long long *size, struct rt_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "cannot read BINARY_%s '%s': %s", which, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rt_errf(err, RT_EXIT_INPUT, "cannot run BINARY_%s '%s': not a regular file", which, path);
	*size = (long long)st.st_size;
	return 0;
}

/* Whether a round showed a difference a second round must confirm. */
static bool any_difference(const struct rt_cmp *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].regressed || rows[i].improved)
			return true;
	return false;
}

/* A B A B ...: run i of each, alternately, into a and b. */
static int sample_ab(const struct sampling *sa, const struct sampling *sb, struct rt_bench *a, struct rt_bench *b,
		     struct rt_err *err)
{
	sampling_begin(sa, a);
	sampling_begin(sb, b);
	for (int i = 0; i < sa->runs; i++) {
		if (sampling_run(sa, i, a, err) != 0)
			return rt_err_prefix(err, "A '%s'", sa->argv[0]);
		if (sampling_run(sb, i, b, err) != 0)
			return rt_err_prefix(err, "B '%s'", sb->argv[0]);
	}
	return 0;
}

static json_t *median_json(const struct rt_bench *b, const char *name, double median)
{
	return rt_bench_metric(b, name) ? json_integer((json_int_t)median) : json_null();
}

/* Why a side has no startup and phases: its main could not be probed (sampling.h main_optional). */
static char *no_main_note(const char *side, const struct sampling *s, const struct rt_bench *b)
{
	if (rt_bench_metric(b, "startup"))
		return NULL;
	return xasprintf("%s '%s': main could not be probed (no symbol names it: a stripped binary that is not Go; or the "
			 "engine cannot observe it): its startup and phases are not measured, its runs' resources are compared",
			 side, s->argv[0]);
}

/* What the two rounds (or the one) found. */
struct outcome {
	const struct rt_bench *a, *b;   /* the runs the table shows (the second round's, when there was one) */
	const struct rt_cmp *rows;
	size_t n;
	int rounds;
	const struct rt_cmp *first;     /* the first round's rows when there were two, their unconfirmed marked */
	size_t n_first;
};

static void print_json(const struct sampling *sa, const struct sampling *sb, const struct outcome *oc,
		       long long size_a, long long size_b)
{
	const struct rt_bench *a = oc->a, *b = oc->b;
	const struct rt_cmp *rows = oc->rows;
	size_t n = oc->n;
	json_t *o = json_object(), *ms = json_array();

	json_object_set_new(o, "a", json_string(sa->argv[0]));
	json_object_set_new(o, "b", json_string(sb->argv[0]));
	json_object_set_new(o, "engine", json_string(sa->engine->name));
	json_object_set_new(o, "runs", json_integer(sa->runs));
	json_object_set_new(o, "rounds", json_integer(oc->rounds));
	json_object_set_new(o, "threshold", json_real(THRESHOLD));
	json_object_set_new(o, "min_delta_ns", json_integer((json_int_t)MIN_DELTA_NS));
	json_object_set_new(o, "alpha", json_real(RT_BENCH_ALPHA));
	for (size_t i = 0; i < n; i++) {
		const struct rt_cmp *c = &rows[i];

		json_array_append_new(ms, json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s}", "name", c->name, "kind", kind_name(c->name),
						    "unit", rt_metric_unit(c->name), "a_median", median_json(a, c->name, c->base_ns),
						    "b_median", median_json(b, c->name, c->cur_ns),
						    "ratio", c->compared ? json_real(c->ratio) : json_null(),
						    "ci95", c->compared ? json_pack("[f,f]", c->lo, c->hi) : json_null(),
						    "p", c->compared ? json_real(p_of(c)) : json_null(), "verdict", verdict(a, b, c)));
	}
	json_object_set_new(o, "metrics", ms);
	json_object_set_new(o, "size", json_pack("{s:I,s:I}", "a", (json_int_t)size_a, "b", (json_int_t)size_b));
	{
		json_t *notes = json_array();
		char *na = no_main_note("A", sa, a), *nb = no_main_note("B", sb, b);

		if (na)
			json_array_append_new(notes, json_string(na));
		if (nb)
			json_array_append_new(notes, json_string(nb));
		json_object_set_new(o, "notes", notes);
		free(na);
		free(nb);
	}
	{
		json_t *un = json_array();

		for (size_t i = 0; i < oc->n_first; i++)
			if (oc->first[i].unconfirmed)
				json_array_append_new(un, json_string(oc->first[i].name));
		json_object_set_new(o, "unconfirmed", un);
	}
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(o);
}

/* The names of the rows with this verdict, as ", a (1.23x), b (0.80x)" after `label`; nothing when none. */
static void summary(const struct rt_cmp *rows, size_t n, const char *label, bool up)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (up ? rows[i].regressed : rows[i].improved)
			printf("%s %s (%.2fx)", k++ ? "," : label, rows[i].name, rows[i].ratio);
	if (k)
		putchar('\n');
}

static void print_text(const struct sampling *sa, const struct sampling *sb, const struct outcome *oc,
		       long long size_a, long long size_b)
{
	const struct rt_bench *a = oc->a, *b = oc->b;
	const struct rt_cmp *rows = oc->rows;
	size_t n = oc->n;
	char va[32], vb[32];
	bool any = false;

	printf("rt0trace compare: %d runs each, alternately, with --engine %s%s; B against A: threshold %.0f%%, min delta "
	       "%.3f ms, p < %.2f\n  A  %s\n  B  %s\n", sa->runs, sa->engine->name,
	       oc->rounds > 1 ? " (a second round: the first showed a difference)" : "", THRESHOLD * 100,
	       MIN_DELTA_NS / 1e6, RT_BENCH_ALPHA, sa->argv[0], sb->argv[0]);
	printf("  %-44s %11s %11s %7s  %-16s %8s %s\n", "metric", "A", "B", "ratio", "95% CI", "p", "verdict");
	snprintf(va, sizeof(va), "%9lld B", size_a);
	snprintf(vb, sizeof(vb), "%9lld B", size_b);
	printf("  %-44s %11s %11s %6.2fx  %-16s %8s %s\n", "file size", va, vb, size_a ? (double)size_b / (double)size_a : 0.0,
	       "-", "-", size_b > size_a ? "larger" : size_b < size_a ? "smaller" : "same");
	for (size_t i = 0; i < n; i++) {
		const struct rt_cmp *c = &rows[i];
		char ci[32] = "-", p[16] = "-", ratio[16] = "-";

		any |= c->regressed || c->improved;
		if (rt_metric_kind(c->name) == RT_M_NOWAIT) /* in --json; their verdicts in the summary */
			continue;
		if (c->compared) {
			snprintf(ci, sizeof(ci), "[%.2f, %.2f]", c->lo, c->hi);
			snprintf(p, sizeof(p), "%.4f", p_of(c));
			snprintf(ratio, sizeof(ratio), "%.2fx", c->ratio);
		}
		printf("  %-44.44s %11s %11s %7s  %-16s %8s %s\n", c->name,
		       rt_bench_metric(a, c->name) ? fmt_value(va, sizeof(va), c->name, c->base_ns) : "-",
		       rt_bench_metric(b, c->name) ? fmt_value(vb, sizeof(vb), c->name, c->cur_ns) : "-", ratio, ci, p,
		       verdict(a, b, c));
	}
	{
		char *na = no_main_note("A", sa, a), *nb = no_main_note("B", sb, b);

		if (na)
			printf("note: %s\n", na);
		if (nb)
			printf("note: %s\n", nb);
		free(na);
		free(nb);
	}
	for (size_t i = 0; i < oc->n_first; i++)
		if (oc->first[i].unconfirmed)
			printf("unconfirmed: %s looked %s in the first %d runs (%.2fx) but not in %d more: noise from the machine\n",
			       oc->first[i].name, oc->first[i].regressed ? "higher" : "lower", sa->runs, oc->first[i].ratio, sa->runs);
	summary(rows, n, "B higher than A:", true);
	summary(rows, n, "B lower than A:", false);
	if (!any)
		printf("no difference beyond %.0f%% between A and B\n", THRESHOLD * 100);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		SAMPLING_LONG_OPTS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "no-confirm", no_argument, NULL, OPT_NO_CONFIRM },
		LONG_OPTS_END,
	};
	struct sampling sa = { .runs = 10 }, sb;
	struct rt_err err = { 0 };
	struct rt_bench a = { 0 }, b = { 0 }, a2 = { 0 }, b2 = { 0 };
	struct rt_cmp *rows = NULL, *rows2 = NULL;
	struct outcome oc = { .rounds = 1 };
	long long size_a = 0, size_b = 0;
	bool as_json = false, confirm = true;
	char **args = NULL;
	int c, rc, nargs = 0;
	size_t n, n2;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+n:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(compare_usage, stdout);
			return RT_EXIT_OK;
		} else if (c == OPT_JSON) {
			as_json = true;
		} else if (c == OPT_NO_CONFIRM) {
			confirm = false;
		} else if ((rc = common_opt("compare", c, &sa)) != 1) {
			if (rc)
				return rc;
		} else if (optopt == 'n') {
			return cmd_usage_error("compare", "option '-n' needs an argument");
		} else {
			return cmd_unknown_option("compare", argv);
		}
	}
	if (argc - optind < 2 || strcmp(argv[optind], "--") == 0 || strcmp(argv[optind + 1], "--") == 0)
		return cmd_usage_error("compare", "missing BINARY_A or BINARY_B (rt0trace compare [OPTIONS] BINARY_A BINARY_B [-- ARGS...])");
	if (optind + 2 < argc) {
		if (strcmp(argv[optind + 2], "--") != 0)
			return cmd_usage_error("compare", "unexpected '%s' after BINARY_B: the programs' arguments follow '--'",
					       argv[optind + 2]);
		args = argv + optind + 3;
		nargs = argc - optind - 3;
	}
	if (!sa.engine)
		sa.engine = rt_engine_find("ptrace");
	if (file_size("A", argv[optind], &size_a, &err) != 0 || file_size("B", argv[optind + 1], &size_b, &err) != 0)
		return rt_err_report(&err);
	sa.main_optional = true;
	sb = sa;
	sa.argv = program_argv(argv[optind], args, nargs);
	sb.argv = program_argv(argv[optind + 1], args, nargs);
	if (sample_ab(&sa, &sb, &a, &b, &err) != 0) {
		rc = rt_err_report(&err);
		goto out;
	}
	n = rt_bench_compare(&a, &b, THRESHOLD, MIN_DELTA_NS, 1, RT_M_ALL, &rows);
	oc = (struct outcome){ .a = &a, .b = &b, .rows = rows, .n = n, .rounds = 1 };
	if (confirm && any_difference(rows, n)) {
		if (sample_ab(&sa, &sb, &a2, &b2, &err) != 0) {
			rc = rt_err_report(&err);
			goto out;
		}
		n2 = rt_bench_compare(&a2, &b2, THRESHOLD, MIN_DELTA_NS, 1, RT_M_ALL, &rows2);
		rt_bench_confirm(rows2, n2, rows, n);
		oc = (struct outcome){ .a = &a2, .b = &b2, .rows = rows2, .n = n2, .rounds = 2, .first = rows, .n_first = n };
	}
	if (as_json)
		print_json(&sa, &sb, &oc, size_a, size_b);
	else
		print_text(&sa, &sb, &oc, size_a, size_b);
	rc = fflush(stdout) != 0 ? rt_errf(&err, RT_EXIT_INPUT, "cannot write the comparison: %s", strerror(errno)) : 0;
	if (rc)
		rc = rt_err_report(&err);
out:
	free(rows);
	free(rows2);
	rt_bench_release(&a);
	rt_bench_release(&b);
	rt_bench_release(&a2);
	rt_bench_release(&b2);
	free(sa.argv[0]);
	free(sb.argv[0]);
	free(sa.argv);
	free(sb.argv);
	return rc;
}
