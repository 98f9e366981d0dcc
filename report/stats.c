/* report/stats: medians, MAD, quantiles, bootstrap (see stats.h). */
#include "report/stats.h"

#include <math.h>
#include <stdbool.h>
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

/* U of `cur` over `base` (pairs with cur > base, ties half), and whether any value is shared. */
static double u_stat(const double *base, size_t nb, const double *cur, size_t nc, bool *ties)
{
	double u = 0;

	*ties = false;
	for (size_t i = 0; i < nc; i++)
		for (size_t k = 0; k < nb; k++) {
			if (cur[i] > base[k]) {
				u += 1;
			} else if (cur[i] == base[k]) {
				u += 0.5;
				*ties = true;
			}
		}
	if (!*ties) { /* ties within one side matter for the variance too */
		for (size_t i = 0; i + 1 < nc && !*ties; i++)
			for (size_t k = i + 1; k < nc; k++)
				*ties = *ties || cur[i] == cur[k];
		for (size_t i = 0; i + 1 < nb && !*ties; i++)
			for (size_t k = i + 1; k < nb; k++)
				*ties = *ties || base[i] == base[k];
	}
	return u;
}

/* P(U >= u) for sample sizes m (the side U counts for) and n, without ties: the number of
 * arrangements with each U, by the recurrence on where the largest value falls, over C(m+n, m). */
static double exact_upper(size_t m, size_t n, double u)
{
	size_t umax = m * n, w = umax + 1;
	/* f[i][j][k]: arrangements of i values of one side and j of the other with U = k; two layers of i */
	double *prev = xcalloc((n + 1) * w, sizeof(double)), *curr = xcalloc((n + 1) * w, sizeof(double));
	double total = 0, tail = 0;

	for (size_t j = 0; j <= n; j++)
		prev[j * w] = 1; /* i = 0: one arrangement, U = 0 */
	for (size_t i = 1; i <= m; i++) {
		memset(curr, 0, (n + 1) * w * sizeof(double));
		curr[0] = 1; /* j = 0 */
		for (size_t j = 1; j <= n; j++)
			for (size_t k = 0; k <= i * j; k++)
				/* the largest is of the counted side (it beats all j others) or of the other side */
				curr[j * w + k] = (k >= j ? prev[j * w + k - j] : 0) + curr[(j - 1) * w + k];
		{
			double *t = prev;

			prev = curr;
			curr = t;
		}
	}
	for (size_t k = 0; k <= umax; k++) {
		total += prev[n * w + k];
		if ((double)k >= u - 1e-9)
			tail += prev[n * w + k];
	}
	free(prev);
	free(curr);
	return total > 0 ? tail / total : 1;
}

double rt_mann_whitney_greater(const double *base, size_t nb, const double *cur, size_t nc)
{
	bool ties;
	double u, mu, var, tie = 0, z;
	size_t nt = nb + nc, k;
	double *all;

	if (!nb || !nc)
		return 1;
	u = u_stat(base, nb, cur, nc, &ties);
	if (!ties && nb * nc <= 2500)
		return exact_upper(nc, nb, u);
	/* normal approximation: the tie correction from the sizes of groups of equal values */
	all = xmalloc(nt * sizeof(*all));
	memcpy(all, base, nb * sizeof(*all));
	memcpy(all + nb, cur, nc * sizeof(*all));
	qsort(all, nt, sizeof(*all), cmp_double);
	for (size_t i = 0; i < nt; i = k) {
		for (k = i + 1; k < nt && all[k] == all[i]; k++)
			;
		tie += pow((double)(k - i), 3) - (double)(k - i);
	}
	free(all);
	mu = (double)nb * (double)nc / 2;
	var = (double)nb * (double)nc / 12 * ((double)(nt + 1) - tie / ((double)nt * (double)(nt - 1)));
	if (var <= 0)
		return u > mu ? 0 : 1;
	z = (u - mu - 0.5) / sqrt(var);
	return 0.5 * erfc(z / sqrt(2));
}
