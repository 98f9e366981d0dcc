/*
 * report/stats: the little statistics `bench` and `check` need, robust to machine noise: medians and
 * median absolute deviations (not means and standard deviations, which one slow run drags), quantiles,
 * and a percentile-bootstrap confidence interval of the ratio of two medians. The bootstrap's random
 * numbers come from a seeded generator so that the same samples always give the same verdict.
 */
#ifndef RT0_REPORT_STATS_H
#define RT0_REPORT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Quantile q in [0,1] of v[0..n) with linear interpolation (type 7); v is not modified. n > 0. */
double rt_quantile(const double *v, size_t n, double q);
double rt_median(const double *v, size_t n);
/* Median absolute deviation from the median (unscaled). */
double rt_mad(const double *v, size_t n);

/* The `conf` (e.g. 0.95) confidence interval of median(cur) / median(base) by the percentile bootstrap:
 * `iters` resamples of each set with replacement. Deterministic for a given `seed`. Both n > 0 and
 * every median of base > 0 (durations). */
void rt_bootstrap_median_ratio(const double *base, size_t nb, const double *cur, size_t nc, unsigned iters,
			       double conf, uint64_t seed, double *lo, double *hi);

/* The one-sided Mann–Whitney U test (Wilcoxon rank-sum), as benchstat uses: the probability, were both
 * samples drawn from one distribution, of `cur` ranking at least as high above `base` as observed
 * (small: cur tends to be larger). U counts the pairs where cur's value is larger (ties count half).
 * Exact (the permutation distribution of U) when there are no ties and nb * nc <= 2500; otherwise the
 * normal approximation with the tie correction and a continuity correction. 1 when either side is
 * empty. Deterministic: no random numbers. */
double rt_mann_whitney_greater(const double *base, size_t nb, const double *cur, size_t nc);

#endif
