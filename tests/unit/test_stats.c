/*
 * Unit tests for report/stats and report/baseline: quantiles, MAD, the bootstrap interval of a ratio of
 * medians, and the regression verdicts bench/check rest on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/baseline.h"
#include "report/benchstat.h"
#include "report/stats.h"

static void test_quantiles(void **state)
{
	const double v[] = { 5, 1, 4, 2, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };

	(void)state;
	assert_true(rt_median(v, 5) == 3);
	assert_true(rt_median(even, 4) == 2.5);
	assert_true(rt_median(one, 1) == 7);
	assert_true(rt_quantile(v, 5, 0) == 1 && rt_quantile(v, 5, 1) == 5);
	assert_true(rt_quantile(v, 5, 0.25) == 2);
	/* deviations from 3: 2 2 1 1 0 -> median 1; one wild value does not move it */
	assert_true(rt_mad(v, 5) == 1);
	{
		const double w[] = { 5, 1, 4, 2, 3000 };

		/* deviations from 4: 1 3 0 2 2996 -> 2, not hundreds */
		assert_true(rt_mad(w, 5) == 2 && rt_median(w, 5) == 4);
	}
	assert_true(v[0] == 5 && v[4] == 3); /* inputs untouched */
}

/* n samples around `center` with a spread of +-`spread` (deterministic) */
static double *samples(size_t n, double center, double spread, unsigned salt)
{
	double *v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = center + spread * (double)((int)((i * 7919 + salt * 104729) % 21) - 10) / 10.0;
	return v;
}

static void test_bootstrap(void **state)
{
	double *a = samples(10, 20e6, 1e6, 1), *b = samples(10, 20e6, 1e6, 2), *c = samples(10, 50e6, 1e6, 3);
	double lo, hi, lo2, hi2;

	(void)state;
	rt_bootstrap_median_ratio(a, 10, b, 10, 4000, 0.95, 42, &lo, &hi);
	assert_true(lo < 1 && hi > 1 && lo > 0.85 && hi < 1.15);
	rt_bootstrap_median_ratio(a, 10, b, 10, 4000, 0.95, 42, &lo2, &hi2);
	assert_true(lo == lo2 && hi == hi2); /* seeded: the same verdict every time */
	rt_bootstrap_median_ratio(a, 10, c, 10, 4000, 0.95, 42, &lo, &hi);
	assert_true(lo > 2.2 && hi < 2.8);
	free(a);
	free(b);
	free(c);
}

static void fill(struct rt_bench *bn, const char *name, const double *v, size_t n)
{
	bn->m = realloc(bn->m, (bn->n + 1) * sizeof(*bn->m));
	memset(&bn->m[bn->n], 0, sizeof(bn->m[bn->n]));
	bn->m[bn->n].name = strdup(name);
	bn->m[bn->n].ns = malloc(n * sizeof(double));
	memcpy(bn->m[bn->n].ns, v, n * sizeof(double));
	bn->m[bn->n].n = bn->m[bn->n].cap = n;
	bn->cap = ++bn->n;
}

/* The same metric on both sides: the baseline's samples and the current ones. */
static void fill_both(struct rt_bench *base, struct rt_bench *cur, const char *name, const double *b, const double *c)
{
	fill(base, name, b, 10);
	fill(cur, name, c, 10);
}

static void test_compare(void **state)
{
	struct rt_bench base, cur;
	struct rt_cmp *rows;
	double *slow_b = samples(10, 20e6, 0.5e6, 1), *slow_c = samples(10, 50e6, 0.5e6, 2);
	double *tiny_b = samples(10, 50e3, 5e3, 3), *tiny_c = samples(10, 150e3, 5e3, 4);
	double *same_b = samples(10, 8e6, 0.3e6, 5), *same_c = samples(10, 8e6, 0.3e6, 6);
	double *fast_b = samples(10, 40e6, 0.5e6, 7), *fast_c = samples(10, 10e6, 0.5e6, 8);
	size_t n;

	(void)state;
	rt_bench_init(&base);
	rt_bench_init(&cur);
	fill_both(&base, &cur, "init slow", slow_b, slow_c);
	fill_both(&base, &cur, "init tiny", tiny_b, tiny_c);   /* x3, but 0.1 ms: under the minimum delta */
	fill_both(&base, &cur, "same", same_b, same_c);
	fill_both(&base, &cur, "faster", fast_b, fast_c);
	fill(&base, "gone", same_b, 10);
	fill(&cur, "new", same_c, 2);
	n = rt_bench_compare(&base, &cur, 0.10, 1e6, 1, RT_M_ALL, &rows);
	assert_int_equal(n, 6);
	assert_string_equal(rows[0].name, "init slow");
	assert_true(rows[0].compared && rows[0].regressed && rows[0].ratio > 2.4);
	assert_true(rows[1].compared && !rows[1].regressed && rows[1].lo > 2);
	assert_true(rows[2].compared && !rows[2].regressed && !rows[2].improved);
	assert_true(rows[3].compared && rows[3].improved && !rows[3].regressed);
	assert_string_equal(rows[4].name, "gone");
	assert_false(rows[4].compared);
	assert_string_equal(rows[5].name, "new");
	assert_false(rows[5].compared); /* fewer than 3 samples */
	free(rows);
	/* a minimum delta of 0 lets the tiny phase count */
	n = rt_bench_compare(&base, &cur, 0.10, 0, 1, RT_M_ALL, &rows);
	assert_true(rows[1].regressed);
	free(rows);
	rt_bench_release(&base);
	rt_bench_release(&cur);
	free(slow_b), free(slow_c), free(tiny_b), free(tiny_c), free(same_b), free(same_c), free(fast_b), free(fast_c);
}

/* Machine drift: the runtime's bootstrap slower by 1.4x now; a phase slower by the same is no regression,
 * one well beyond it is, and a drift below 1 changes nothing. */
static void test_drift(void **state)
{
	struct rt_bench base, cur;
	struct rt_cmp *rows;
	struct rt_drift d;
	double *sched_b = samples(10, 10e6, 0.3e6, 1), *sched_c = samples(10, 14e6, 0.3e6, 2);
	double *rt_b = samples(10, 2e6, 0.1e6, 3), *rt_c = samples(10, 2.8e6, 0.1e6, 4);
	double *up_b = samples(10, 30e6, 0.5e6, 5), *up_c = samples(10, 42e6, 0.5e6, 6);
	double *big_c = samples(10, 60e6, 0.5e6, 7);
	size_t n;

	(void)state;
	rt_bench_init(&base);
	rt_bench_init(&cur);
	base.runs = cur.runs = 10;
	fill_both(&base, &cur, "startup", up_b, up_c);
	fill_both(&base, &cur, "runtime.schedinit", sched_b, sched_c);
	fill_both(&base, &cur, "init runtime", rt_b, rt_c);
	fill_both(&base, &cur, "init example.com/big", up_b, big_c);
	assert_true(rt_bench_is_reference("runtime.main") && rt_bench_is_reference("init runtime"));
	assert_false(rt_bench_is_reference("init runtime/debug") || rt_bench_is_reference("exec"));
	assert_true(rt_bench_drift(&base, &cur, &d));
	assert_true(fabs(d.factor - 1.4) < 0.01 && fabs(d.base_ns - 12e6) < 0.2e6);
	n = rt_bench_compare(&base, &cur, 0.10, 1e6, 1, RT_M_ALL, &rows); /* raw: everything 1.4x is a regression */
	assert_int_equal(n, 4);
	assert_true(rows[0].regressed && rows[1].regressed && rows[3].regressed);
	free(rows);
	n = rt_bench_compare(&base, &cur, 0.10, 1e6, d.factor, RT_M_ALL, &rows); /* within the drift: only the 2x phase */
	assert_true(!rows[0].regressed && !rows[1].regressed && !rows[2].regressed && rows[3].regressed);
	assert_true(rows[0].ratio > 1.35); /* the ratio shown stays the raw one */
	free(rows);
	n = rt_bench_compare(&cur, &base, 0.10, 1e6, 1 / d.factor, RT_M_ALL, &rows); /* a faster machine: as raw */
	assert_true(rows[0].improved && !rows[3].regressed);
	free(rows);
	/* no yardstick: a reference metric missing a run, or only on one side */
	cur.m[1].n = 9;
	assert_false(rt_bench_drift(&base, &cur, &d));
	cur.m[1].n = 10;
	free(cur.m[2].name);
	cur.m[2].name = strdup("init other");
	assert_false(rt_bench_drift(&base, &cur, &d));
	rt_bench_release(&base);
	rt_bench_release(&cur);
	free(sched_b), free(sched_c), free(rt_b), free(rt_c), free(up_b), free(up_c), free(big_c);
}

/* A regression (an improvement) counts when both rounds show it; the first round's others are marked
 * unconfirmed. */
static void test_confirm(void **state)
{
	struct rt_cmp first[5] = { { .name = "startup", .regressed = true }, { .name = "init a", .regressed = true },
				   { .name = "init b" }, { .name = "run:mmaps", .improved = true },
				   { .name = "run:peak_rss", .improved = true } };
	struct rt_cmp again[6] = { { .name = "startup" }, { .name = "init a", .regressed = true },
				   { .name = "init b", .regressed = true }, { .name = "init new", .regressed = true },
				   { .name = "run:mmaps", .improved = true }, { .name = "run:peak_rss", .regressed = true } };

	(void)state;
	assert_int_equal(rt_bench_confirm(again, 6, first, 5), 2);
	assert_true(first[0].unconfirmed && !first[1].unconfirmed && !first[2].unconfirmed);
	assert_true(!first[3].unconfirmed && first[4].unconfirmed);
	assert_true(!again[0].regressed && again[1].regressed && !again[2].regressed && !again[3].regressed);
	assert_true(again[4].improved && !again[5].regressed && !again[5].improved);
}

/* The Mann-Whitney U test against values worked out by hand: the exact permutation distribution for
 * small samples without ties, the normal approximation with ties. */
static void test_mann_whitney(void **state)
{
	const double lo5[] = { 1, 2, 3, 4, 5 }, hi5[] = { 6, 7, 8, 9, 10 };
	const double b3[] = { 1, 2, 4 }, c3[] = { 3, 5, 6 };
	const double same[] = { 7, 7, 7, 7 };
	double big_b[40], big_c[40];

	(void)state;
	/* complete separation, 5 and 5: one arrangement of C(10,5) = 252 */
	assert_float_equal(rt_mann_whitney_greater(lo5, 5, hi5, 5), 1.0 / 252, 1e-12);
	/* the other way round: every arrangement has U >= 0 */
	assert_float_equal(rt_mann_whitney_greater(hi5, 5, lo5, 5), 1.0, 1e-12);
	/* 3 and 3, U = 8: the counts of U = 0..9 are 1 1 2 3 3 3 3 2 1 1 of 20, so P(U >= 8) = 2/20 */
	assert_float_equal(rt_mann_whitney_greater(b3, 3, c3, 3), 0.1, 1e-12);
	assert_float_equal(rt_mann_whitney_greater(c3, 3, b3, 3), 19.0 / 20, 1e-12);
	/* all tied: no evidence either way */
	assert_true(rt_mann_whitney_greater(same, 4, same, 4) > 0.5);
	/* empty sides: nothing to test */
	assert_float_equal(rt_mann_whitney_greater(lo5, 0, hi5, 5), 1.0, 0);
	/* 40 and 40 (normal approximation: 1600 pairs, but ties force it): a shift of half the spread */
	for (int i = 0; i < 40; i++) {
		big_b[i] = (double)(i / 2);      /* ties within each side */
		big_c[i] = (double)(i / 2) + 10;
	}
	assert_true(rt_mann_whitney_greater(big_b, 40, big_c, 40) < 1e-4);
	assert_true(rt_mann_whitney_greater(big_c, 40, big_b, 40) > 0.999);
	assert_true(rt_mann_whitney_greater(big_b, 40, big_b, 40) > 0.4);
}

/* report/benchstat: a hand-built bench of 2 runs as Go benchmark lines: configuration, one line per
 * phase per run with its three measures, a run line, names without spaces, a metric with fewer samples
 * than runs only on the runs it has. */
static void test_benchstat(void **state)
{
	static const double startup[] = { 30e6, 31e6 }, cstartup[] = { 20e6, 21e6 }, nstartup[] = { 29e6, 30e6 };
	static const double init[] = { 22214000, 22300000 }, cinit[] = { 21800000, 21900000 }, ninit[] = { 21900000, 22000000 };
	static const double tab[] = { 5e3 }, rcpu[] = { 25e6, 26e6 }, rss[] = { 2276, 2280 }, flt[] = { 270, 271 };
	struct rt_bench b;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	rt_bench_init(&b);
	fill(&b, "startup", startup, 2);
	fill(&b, "init example.com/spin/slow", init, 2);
	fill(&b, "cpu:init example.com/spin/slow", cinit, 2);
	fill(&b, "nowait:init example.com/spin/slow", ninit, 2);
	fill(&b, "ctor\tx y", tab, 1);
	fill(&b, "cpu:startup", cstartup, 2);
	fill(&b, "nowait:startup", nstartup, 2);
	fill(&b, "run:cpu", rcpu, 2);
	fill(&b, "run:peak_rss", rss, 2);
	fill(&b, "run:minflt", flt, 2);
	b.runs = 2;
	b.engine = strdup("ptrace");
	b.env = json_pack("{s:s,s:i,s:s,s:s}", "kernel", "Linux 6.1.0-13-amd64 x86_64", "cpus", 2, "cpu_model", "AMD EPYC\n7B13",
			  "binary", "/tmp/spin");
	assert_non_null(f);
	assert_int_equal(rt_bench_benchstat(f, &b), 0);
	fclose(f);
	assert_string_equal(out,
			    "goos: linux\n"
			    "goarch: amd64\n"
			    "pkg: /tmp/spin\n"
			    "cpu: AMD EPYC?7B13\n"
			    "engine: ptrace\n"
			    "BenchmarkStartup-2 1 30000000 wall-ns/op 20000000 cpu-ns/op 29000000 nowait-ns/op\n"
			    "BenchmarkStartup/init=example.com/spin/slow-2 1 22214000 wall-ns/op 21800000 cpu-ns/op 21900000 nowait-ns/op\n"
			    "BenchmarkStartup/ctor_x=y-2 1 5000 wall-ns/op\n"
			    "BenchmarkRun-2 1 25000000 cpu-ns/op 2276 peak-rss-KiB 270 minflt/op\n"
			    "BenchmarkStartup-2 1 31000000 wall-ns/op 21000000 cpu-ns/op 30000000 nowait-ns/op\n"
			    "BenchmarkStartup/init=example.com/spin/slow-2 1 22300000 wall-ns/op 21900000 cpu-ns/op 22000000 nowait-ns/op\n"
			    "BenchmarkRun-2 1 26000000 cpu-ns/op 2280 peak-rss-KiB 271 minflt/op\n");
	free(out);
	rt_bench_release(&b);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_mann_whitney),
		cmocka_unit_test(test_benchstat),
	};

	return cmocka_run_group_tests_name("report/stats", tests, NULL, NULL);
}
