/* report/stats: medians, MAD, quantiles, bootstrap (see stats.h). */
#include "report/stats.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* quantile of an already sorted array */
static double sorted_quantile(const double *s, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t i = (size_t)h;

	if (i + 1 >= n)
		return s[n - 1];
	return s[i] + (h - (double)i) * (s[i + 1] - s[i]);
}

double rt_quantile(const double *v, size_t n, double q)
{
	double *s = xmalloc(n * sizeof(*s)), r;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r = sorted_quantile(s, n, q);
	free(s);
	return r;
}

double rt_median(const double *v, size_t n)
{
	return rt_quantile(v, n, 0.5);
}

double rt_mad(const double *v, size_t n)
{
	double m = rt_median(v, n), *d = xmalloc(n * sizeof(*d)), r;

	for (size_t i = 0; i < n; i++)
		d[i] = v[i] > m ? v[i] - m : m - v[i];
	r = rt_median(d, n);
	free(d);
	return r;
}

/* xorshift64*: small, fast, and good enough to draw resampling indices */
static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static double resampled_median(const double *v, size_t n, double *tmp, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[next(seed) % n];
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return sorted_quantile(tmp, n, 0.5);
}

void rt_bootstrap_median_ratio(const double *base, size_t nb, const double *cur, size_t nc, unsigned iters,
			       double conf, uint64_t seed, double *lo, double *hi)
{
	double *ratios = xmalloc(iters * sizeof(*ratios));
	double *tmp = xmalloc((nb > nc ? nb : nc) * sizeof(*tmp));
	uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ULL;

	for (unsigned i = 0; i < iters; i++) {
		double mb = resampled_median(base, nb, tmp, &s), mc = resampled_median(cur, nc, tmp, &s);

		ratios[i] = mc / (mb > 0 ? mb : 1e-9);
	}
	qsort(ratios, iters, sizeof(*ratios), cmp_double);
	*lo = sorted_quantile(ratios, iters, (1 - conf) / 2);
	*hi = sorted_quantile(ratios, iters, 1 - (1 - conf) / 2);
	free(ratios);
	free(tmp);
}
