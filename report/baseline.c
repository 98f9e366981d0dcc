/* report/baseline: samples, baseline files, comparison (see baseline.h). */
#include "report/baseline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "report/stats.h"

#define BOOT_ITERS 4000
#define BOOT_CONF 0.95
#define MIN_SAMPLES 3

void rt_bench_init(struct rt_bench *b)
{
	memset(b, 0, sizeof(*b));
}

void rt_bench_release(struct rt_bench *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->m[i].name);
		free(b->m[i].ns);
	}
	free(b->m);
	json_decref(b->env);
	json_decref(b->argv);
	free(b->engine);
	memset(b, 0, sizeof(*b));
}

const struct rt_metric *rt_bench_metric(const struct rt_bench *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->m[i].name, name) == 0)
			return &b->m[i];
	return NULL;
}

/* The metric called `name`, added when new. */
static struct rt_metric *metric(struct rt_bench *b, const char *name)
{
	const struct rt_metric *m = rt_bench_metric(b, name);

	if (m)
		return &b->m[m - b->m];
	b->m = xgrow(b->m, &b->cap, b->n + 1, sizeof(*b->m));
	memset(&b->m[b->n], 0, sizeof(*b->m));
	b->m[b->n].name = xstrdup(name);
	return &b->m[b->n++];
}

static void add(struct rt_bench *b, const char *name, double ns)
{
	struct rt_metric *m = metric(b, name);

	m->ns = xgrow(m->ns, &m->cap, m->n + 1, sizeof(*m->ns));
	m->ns[m->n++] = ns;
}

/* `prefix` and `name` as one metric name ("cpu:" "init x") */
static void addf(struct rt_bench *b, double v, const char *prefix, const char *name)
{
	char *n = xasprintf("%s%s", prefix, name);

	add(b, n, v);
	free(n);
}

unsigned rt_metric_kind(const char *name)
{
	return strncmp(name, "cpu:", 4) == 0 ? RT_M_CPU : strncmp(name, "nowait:", 7) == 0 ? RT_M_NOWAIT
	       : strncmp(name, "run:", 4) == 0 ? RT_M_RUN : RT_M_WALL;
}

const char *rt_metric_unit(const char *name)
{
	if (strcmp(name, "run:peak_rss") == 0 || strcmp(name, "run:rss_at_main") == 0)
		return "KiB";
	if (strcmp(name, "run:minflt") == 0 || strcmp(name, "run:majflt") == 0 || strcmp(name, "run:mmaps") == 0 ||
	    strcmp(name, "run:instructions") == 0)
		return "count";
	return "ns";
}

void rt_bench_merge(struct rt_bench *b, const struct rt_bench *more)
{
	for (size_t i = 0; i < more->n; i++)
		for (size_t k = 0; k < more->m[i].n; k++)
			add(b, more->m[i].name, more->m[i].ns[k]);
	b->runs += more->runs;
}

int rt_bench_add_run(struct rt_bench *b, const struct rt_report *r, struct rt_err *err)
{
	if (!r->main_at) {
		if (r->crash)
			return rt_errf(err, RT_EXIT_CHECK, "the program crashed before main (%s in %s)",
				       r->crash->signal ? r->crash->signal : "panic", r->crash->phase ? r->crash->phase : "?");
		if (r->exited)
			return rt_errf(err, RT_EXIT_CHECK, "the program exited (%s %d) without reaching main",
				       r->exit_signal >= 0 ? "signal" : "status", r->exit_signal >= 0 ? r->exit_signal : r->exit_status);
		return rt_errf(err, RT_EXIT_CHECK, "the trace never reached main");
	}
	{
		/* Wall times are the program's own: without the tracer's part (ptrace: the time it held the
		 * program stopped and what each stop cost beyond that), where the engine says. */
		double startup = (double)(r->main_at - r->t0), cpu = 0, wait = 0;
		bool all = true;

		for (size_t i = 0; i < r->nphases && r->phases[i].start < r->main_at; i++)
			startup -= (double)r->phases[i].tracer_ns;
		add(b, "startup", startup);
		for (size_t i = 0; i < r->nphases && r->phases[i].start < r->main_at; i++) {
			const struct rt_phase_row *p = &r->phases[i];
			double wall = (double)(p->end - p->start - p->tracer_ns);

			add(b, p->name, wall);
			if (!p->sched) {
				all = false;
				continue;
			}
			addf(b, (double)p->cpu_ns, "cpu:", p->name);
			addf(b, wall > (double)p->wait_ns ? wall - (double)p->wait_ns : 0, "nowait:", p->name);
			cpu += (double)p->cpu_ns;
			wait += (double)p->wait_ns;
		}
		if (all && r->nphases && r->phases[0].sched) {
			add(b, "cpu:startup", cpu);
			add(b, "nowait:startup", startup > wait ? startup - wait : 0);
		}
	}
	rt_bench_add_resources(b, r);
	return 0;
}

void rt_bench_add_resources(struct rt_bench *b, const struct rt_report *r)
{
	if (r->rusage.valid) {
		add(b, "run:cpu", (double)(r->rusage.utime_ns + r->rusage.stime_ns));
		add(b, "run:minflt", (double)r->rusage.minflt);
		add(b, "run:majflt", (double)r->rusage.majflt);
	}
	/* mmap-family calls (mmap, mmap2, mremap), where the engine records every syscall (the preload
	 * engine sees only those made through libc) */
	if (r->nsyscalls && !(r->engine && strcmp(r->engine, "preload") == 0)) {
		double maps = 0;

		for (size_t i = 0; i < r->nstats; i++)
			if (strcmp(r->stats[i].name, "mmap") == 0 || strcmp(r->stats[i].name, "mmap2") == 0 ||
			    strcmp(r->stats[i].name, "mremap") == 0)
				maps += (double)r->stats[i].count;
		add(b, "run:mmaps", maps);
	}
	if (r->has_instructions)
		add(b, "run:instructions", (double)r->instructions);
	if (r->has_peak_rss)
		add(b, "run:peak_rss", (double)r->peak_rss_kb);
	if (r->has_rss_main)
		add(b, "run:rss_at_main", (double)r->rss_main_kb);
	b->runs++;
}

json_t *rt_bench_json(const struct rt_bench *b)
{
	json_t *o = json_object(), *ms = json_array();

	json_object_set_new(o, "format", json_string(RT_BASELINE_FORMAT));
	json_object_set_new(o, "version", json_integer(RT_BASELINE_VERSION));
	json_object_set_new(o, "engine", json_string(b->engine ? b->engine : "ptrace"));
	json_object_set_new(o, "argv", b->argv ? json_incref(b->argv) : json_array());
	json_object_set_new(o, "runs", json_integer((json_int_t)b->runs));
	json_object_set_new(o, "environment", b->env ? json_incref(b->env) : json_object());
	for (size_t i = 0; i < b->n; i++) {
		const struct rt_metric *m = &b->m[i];
		const char *unit = rt_metric_unit(m->name);
		bool ns = strcmp(unit, "ns") == 0;
		json_t *j = json_object(), *s = json_array();

		json_object_set_new(j, "name", json_string(m->name));
		if (!ns)
			json_object_set_new(j, "unit", json_string(unit));
		json_object_set_new(j, ns ? "median_ns" : "median", json_integer((json_int_t)rt_median(m->ns, m->n)));
		json_object_set_new(j, ns ? "mad_ns" : "mad", json_integer((json_int_t)rt_mad(m->ns, m->n)));
		json_object_set_new(j, ns ? "min_ns" : "min", json_integer((json_int_t)rt_quantile(m->ns, m->n, 0)));
		json_object_set_new(j, ns ? "max_ns" : "max", json_integer((json_int_t)rt_quantile(m->ns, m->n, 1)));
		for (size_t k = 0; k < m->n; k++)
			json_array_append_new(s, json_integer((json_int_t)m->ns[k]));
		json_object_set_new(j, ns ? "samples_ns" : "samples", s);
		json_array_append_new(ms, j);
	}
	json_object_set_new(o, "metrics", ms);
	return o;
}

/* The longest sample a baseline may hold (an hour): beyond, the number is not a startup time. */
#define MAX_SAMPLE_NS 3.6e12
/* ... and the largest size (KiB) or count: 2^40 */
#define MAX_SAMPLE_OTHER 1099511627776.0

/* The environment's members that are strings when present (check quotes them in its flags). */
static const char *const env_strings[] = { "kernel", "cpu_model", "hostname", "binary", "binary_sha256", "build_id",
					   "go_version", "syscall_filter", "hw_counters" };

/* Fills `b` from the parsed baseline `o`, or says why it cannot (the message may quote `o`'s strings:
 * the caller frees `o` only after the message is made). */
static int bench_from_json(const char *path, const json_t *o, struct rt_bench *b, struct rt_err *err)
{
	const json_t *m, *v, *runs = json_object_get(o, "runs"), *ver = json_object_get(o, "version");
	const char *fmt = json_string_value(json_object_get(o, "format"));
	size_t i, k, most = 0;

	if (!json_is_object(o) || !fmt || strcmp(fmt, RT_BASELINE_FORMAT) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' is not an rt0trace baseline (written by 'rt0trace bench -o')", path);
	if (!json_is_integer(ver) || json_integer_value(ver) != RT_BASELINE_VERSION) {
		if (json_is_integer(ver))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': baseline version %" JSON_INTEGER_FORMAT "; this rt0trace reads "
							   "version %d", path, json_integer_value(ver), RT_BASELINE_VERSION);
		return rt_errf(err, RT_EXIT_INPUT, "'%s': the baseline has no version; this rt0trace reads version %d", path,
			       RT_BASELINE_VERSION);
	}
	if (json_object_get(o, "metrics") && !json_is_array(json_object_get(o, "metrics")))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': \"metrics\" is not an array", path);
	json_array_foreach(json_object_get(o, "metrics"), i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *unit = name ? rt_metric_unit(name) : "ns", *said = json_string_value(json_object_get(m, "unit"));
		bool ns = strcmp(unit, "ns") == 0;
		const char *key = ns ? "samples_ns" : "samples";
		const json_t *samples = json_object_get(m, key);

		if (!name || !json_is_array(samples))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': metric #%zu has no name or no %s", path, i + 1, key);
		if ((said || !ns) && (!said || strcmp(said, unit) != 0))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': metric '%s' is in %s, not %s", path, name, unit, said ? said : "ns");
		if (rt_bench_metric(b, name))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': metric '%s' is listed twice", path, name);
		json_array_foreach(samples, k, v) {
			if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= (ns ? MAX_SAMPLE_NS : MAX_SAMPLE_OTHER)))
				return rt_errf(err, RT_EXIT_INPUT, ns ? "'%s': metric '%s' sample #%zu is not a duration (0 to 1 hour in ns)"
								       : "'%s': metric '%s' sample #%zu is not a size or a count (0 to 2^40)",
					       path, name, k + 1);
			add(b, name, json_number_value(v));
		}
		if (json_array_size(samples) > most)
			most = json_array_size(samples);
	}
	/* runs: how many runs the samples came from; no metric has more samples than that */
	if (runs && (!json_is_integer(runs) || json_integer_value(runs) < 0 || (size_t)json_integer_value(runs) < most ||
		     (size_t)json_integer_value(runs) > most + 1000000))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': \"runs\" is not the number of runs its samples came from", path);
	if (!rt_bench_metric(b, "startup"))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': the baseline has no 'startup' metric", path);
	if (json_object_get(o, "environment") && !json_is_object(json_object_get(o, "environment")))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': \"environment\" is not an object", path);
	for (size_t j = 0; j < sizeof(env_strings) / sizeof(env_strings[0]); j++) {
		const json_t *ev = json_object_get(json_object_get(o, "environment"), env_strings[j]);

		/* check's flags quote them as strings */
		if (ev && !json_is_null(ev) && !json_is_string(ev))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': the environment's \"%s\" is not a string", path, env_strings[j]);
	}
	if (json_object_get(o, "engine") && !json_is_string(json_object_get(o, "engine")))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': \"engine\" is not a string", path);
	b->runs = runs ? (size_t)json_integer_value(runs) : most;
	b->env = json_incref(json_object_get(o, "environment"));
	b->argv = json_incref(json_object_get(o, "argv"));
	b->engine = json_string_value(json_object_get(o, "engine")) ? xstrdup(json_string_value(json_object_get(o, "engine"))) : NULL;
	return 0;
}

int rt_bench_load(const char *path, struct rt_bench *b, struct rt_err *err)
{
	json_error_t je;
	json_t *o;
	int rc;

	rt_bench_init(b);
	if (!(o = json_load_file(path, JSON_REJECT_DUPLICATES, &je)))
		return rt_errf(err, RT_EXIT_INPUT, "cannot read the baseline '%s': %s", path, je.text);
	rc = bench_from_json(path, o, b, err);
	if (rc != 0)
		rt_bench_release(b);
	json_decref(o); /* after the message: it may quote a metric's name */
	return rc;
}

/* A seed per metric name: the same samples always give the same interval. */
static uint64_t seed_of(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void compare_one(struct rt_cmp *c, const struct rt_metric *bm, const struct rt_metric *cm, double threshold,
			double min_delta_ns, double drift, unsigned kinds)
{
	const char *name = bm ? bm->name : cm->name;
	unsigned kind = rt_metric_kind(name);
	double s = drift > 1 && kind == RT_M_WALL ? drift : 1;
	double min_delta = strcmp(rt_metric_unit(name), "ns") == 0 ? min_delta_ns : 0;
	bool up, down;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->judged = (kind & kinds) != 0;
	c->base_ns = bm && bm->n ? rt_median(bm->ns, bm->n) : 0;
	c->cur_ns = cm && cm->n ? rt_median(cm->ns, cm->n) : 0;
	c->p_up = c->p_down = 1;
	if (!bm || !cm || bm->n < MIN_SAMPLES || cm->n < MIN_SAMPLES || c->base_ns <= 0)
		return;
	c->compared = true;
	c->ratio = c->cur_ns / c->base_ns;
	rt_bootstrap_median_ratio(bm->ns, bm->n, cm->ns, cm->n, BOOT_ITERS, BOOT_CONF, seed_of(c->name), &c->lo, &c->hi);
	c->p_up = rt_mann_whitney_greater(bm->ns, bm->n, cm->ns, cm->n);
	c->p_down = rt_mann_whitney_greater(cm->ns, cm->n, bm->ns, bm->n);
	/* as large a change as counts: beyond the threshold (and the drift) and the minimum delta */
	up = c->ratio > (1 + threshold) * s && c->cur_ns - c->base_ns * s > min_delta;
	down = c->ratio < 1 - threshold && c->base_ns - c->cur_ns > min_delta;
	c->regressed = up && c->p_up < RT_BENCH_ALPHA;
	c->improved = down && c->p_down < RT_BENCH_ALPHA;
	c->undecided = c->judged && up && !c->regressed && c->p_up < RT_BENCH_UNDECIDED;
}

size_t rt_bench_compare(const struct rt_bench *base, const struct rt_bench *cur, double threshold, double min_delta_ns,
			double drift, unsigned kinds, struct rt_cmp **rows)
{
	size_t n = 0;

	*rows = xcalloc(base->n + cur->n + 1, sizeof(**rows));
	for (size_t i = 0; i < base->n; i++)
		compare_one(&(*rows)[n++], &base->m[i], rt_bench_metric(cur, base->m[i].name), threshold, min_delta_ns, drift,
			    kinds);
	for (size_t i = 0; i < cur->n; i++)
		if (!rt_bench_metric(base, cur->m[i].name))
			compare_one(&(*rows)[n++], NULL, &cur->m[i], threshold, min_delta_ns, drift, kinds);
	return n;
}

bool rt_bench_is_reference(const char *metric)
{
	return strncmp(metric, "runtime.", 8) == 0 || strcmp(metric, "init runtime") == 0;
}

/* The median over runs of the reference metrics' sum; 0 when a reference metric misses a run. */
static double reference_ns(const struct rt_bench *b, size_t *count)
{
	double *sum = xcalloc(b->runs + 1, sizeof(*sum)), med = 0;

	*count = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (!rt_bench_is_reference(b->m[i].name) || rt_metric_kind(b->m[i].name) != RT_M_WALL)
			continue;
		if (b->m[i].n != b->runs) {
			free(sum);
			return 0;
		}
		for (size_t k = 0; k < b->runs; k++)
			sum[k] += b->m[i].ns[k];
		++*count;
	}
	if (*count && b->runs >= MIN_SAMPLES)
		med = rt_median(sum, b->runs);
	free(sum);
	return med;
}

bool rt_bench_drift(const struct rt_bench *base, const struct rt_bench *cur, struct rt_drift *d)
{
	size_t nb, nc;

	memset(d, 0, sizeof(*d));
	d->base_ns = reference_ns(base, &nb);
	d->cur_ns = reference_ns(cur, &nc);
	if (d->base_ns <= 0 || d->cur_ns <= 0 || nb != nc)
		return false;
	for (size_t i = 0; i < base->n; i++) /* the same reference phases on both sides */
		if (rt_bench_is_reference(base->m[i].name) && rt_metric_kind(base->m[i].name) == RT_M_WALL &&
		    !rt_bench_metric(cur, base->m[i].name))
			return false;
	d->factor = d->cur_ns / d->base_ns;
	return true;
}

/* The row called `name`, or NULL (rows have unique names: rt_bench_compare's). */
static struct rt_cmp *row_named(struct rt_cmp *rows, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

size_t rt_bench_confirm(struct rt_cmp *again, size_t n_again, struct rt_cmp *first, size_t n_first)
{
	size_t dropped = 0;

	for (size_t j = 0; j < n_again; j++) {
		const struct rt_cmp *before = row_named(first, n_first, again[j].name);

		again[j].regressed = again[j].regressed && before && before->regressed;
		again[j].improved = again[j].improved && before && before->improved;
	}
	for (size_t i = 0; i < n_first; i++) {
		const struct rt_cmp *now = row_named(again, n_again, first[i].name);

		first[i].unconfirmed = (first[i].regressed && !(now && now->regressed)) ||
				       (first[i].improved && !(now && now->improved));
		dropped += first[i].unconfirmed;
	}
	return dropped;
}
