/* report/analysis: phases, syscall attribution, init order, layout and the checks. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/xalloc.h"
#include "report/report.h"
#include "report/stats.h"

/* "runtime.rt0_go.abi0" -> "runtime.rt0_go" (the name the catalog uses) */
static char *phase_name(const char *sym)
{
	size_t n = strlen(sym);

	if (n > 5 && strcmp(sym + n - 5, ".abi0") == 0)
		return xstrndup(sym, n - 5);
	return xstrdup(sym);
}

/* A stop's cost as the tracer measured it and the header says (key): at most 10 ms, or it is not one
 * (0). */
static uint64_t stop_cost(const json_t *header, const char *key)
{
	const json_t *v = json_object_get(header, key);

	return json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= 10000000 ? (uint64_t)json_integer_value(v) : 0;
}

/* The thread and scheduler account an event carries (probe, exec) as a phase's start. */
static void phase_account(struct rt_phase_row *p, const json_t *e)
{
	const json_t *cpu = json_object_get(e, "cpu_ns"), *wait = json_object_get(e, "wait_ns");

	p->tid = json_is_integer(json_object_get(e, "tid")) ? json_get_int(e, "tid") : -1;
	p->has_start = p->tid > 0 && json_is_integer(cpu) && json_is_integer(wait) && json_integer_value(cpu) >= 0 &&
		       json_integer_value(wait) >= 0;
	p->cpu0 = p->has_start ? (uint64_t)json_integer_value(cpu) : 0;
	p->wait0 = p->has_start ? (uint64_t)json_integer_value(wait) : 0;
	p->has_stopped0 = p->has_start && json_is_integer(json_object_get(e, "stopped_ns")) && json_get_int(e, "stopped_ns") >= 0 &&
			  json_is_integer(json_object_get(e, "stops")) && json_get_int(e, "stops") >= 0;
	p->stopped0 = p->has_stopped0 ? (uint64_t)json_get_int(e, "stopped_ns") : 0;
	p->nstops0 = p->has_stopped0 ? (uint64_t)json_get_int(e, "stops") : 0;
	/* the syscall stops among them (absent: none) */
	p->nsys0 = p->has_stopped0 && json_is_integer(json_object_get(e, "syscall_stops")) && json_get_int(e, "syscall_stops") >= 0 &&
			   (uint64_t)json_get_int(e, "syscall_stops") <= p->nstops0 ? (uint64_t)json_get_int(e, "syscall_stops") : 0;
}

static void add_phase(struct rt_report *r, size_t *cap, char *name, uint64_t start, const json_t *e)
{
	struct rt_phase_row *p;

	r->phases = xgrow(r->phases, cap, r->nphases + 1, sizeof(*r->phases));
	p = &r->phases[r->nphases++];
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->start = start;
	p->tid = -1;
	if (e)
		phase_account(p, e);
}

/* What one breakpoint stop costs beyond its hold, as this run's phases show it: a phase with one stop
 * (its probe) and no syscall, less its wait and its hold, is that cost plus what the phase did; most of
 * a Go program's package inits do next to nothing, so the lower quartile of those phases is the cost.
 * It is used where it is above the cost measured before the exec: there the child and rt0trace could
 * take turns on one CPU, while the program wakes on the other (an idle CPU's wake, ~10 us a side on
 * this VM, is no one's CPU time or wait). Syscall stops keep the cost measured at start: adding them
 * the same difference took too much out of the syscall-heavy inits (runtime, os; scripts/bench
 * accuracy on the same traces). 0 when fewer than RUN_COST_MIN phases tell. */
#define RUN_COST_MIN 8
static uint64_t run_stop_cost(const struct rt_report *r)
{
	double *v = xcalloc(r->nphases ? r->nphases : 1, sizeof(*v));
	uint64_t cost = 0;
	size_t n = 0;

	for (size_t k = 0; k + 1 < r->nphases; k++) {
		const struct rt_phase_row *a = &r->phases[k], *b = &r->phases[k + 1];
		uint64_t wall = a->end > a->start ? a->end - a->start : 0, held;

		if (!a->has_start || !b->has_start || a->tid != b->tid || !a->has_stopped0 || !b->has_stopped0 ||
		    b->wait0 < a->wait0 || b->stopped0 < a->stopped0 || b->nstops0 != a->nstops0 + 1 || b->nsys0 != a->nsys0)
			continue;
		held = (b->wait0 - a->wait0) + (b->stopped0 - a->stopped0);
		if (wall > held)
			v[n++] = (double)(wall - held);
	}
	if (n >= RUN_COST_MIN)
		cost = (uint64_t)rt_quantile(v, n, 0.25);
	free(v);
	return cost;
}

/* A phase's CPU time and runqueue wait: the difference of the accounts at its start and at the next
 * phase's start, when one thread began both (accounts are per thread and only grow). */
static void phase_sched(struct rt_report *r)
{
	uint64_t run = run_stop_cost(r);

	if (run > r->stop_cost_ns) {
		r->stop_cost_start_ns = r->stop_cost_ns;
		r->stop_cost_ns = run;
		r->stop_cost_from_run = true;
	}
	for (size_t k = 0; k + 1 < r->nphases; k++) {
		struct rt_phase_row *a = &r->phases[k], *b = &r->phases[k + 1];

		if (a->has_start && b->has_start && a->tid == b->tid && b->cpu0 >= a->cpu0 && b->wait0 >= a->wait0) {
			a->sched = true;
			a->cpu_ns = b->cpu0 - a->cpu0;
			a->wait_ns = b->wait0 - a->wait0;
			/* never more than the phase's wall time less its wait: the accounts are the tracer's
			 * claims, and a compensated figure must not go below zero */
			if (a->has_stopped0 && b->has_stopped0 && b->stopped0 >= a->stopped0 && b->nstops0 >= a->nstops0 &&
			    b->nsys0 >= a->nsys0 && b->nsys0 - a->nsys0 <= b->nstops0 - a->nstops0) {
				uint64_t wall = a->end > a->start ? a->end - a->start : 0;
				uint64_t room = wall > a->wait_ns ? wall - a->wait_ns : 0;
				uint64_t nsys = b->nsys0 - a->nsys0, n = b->nstops0 - a->nstops0 - nsys;
				double cost = (double)n * (double)r->stop_cost_ns + (double)nsys * (double)r->syscall_stop_cost_ns;

				a->stops = true;
				a->stopped_ns = b->stopped0 - a->stopped0 < room ? b->stopped0 - a->stopped0 : room;
				a->stop_cost_ns = cost < (double)room ? (uint64_t)cost : room;
				a->tracer_ns = a->stopped_ns + a->stop_cost_ns < room ? a->stopped_ns + a->stop_cost_ns : room;
			}
		}
	}
}

/* a + b, kept at INT64_MAX rather than growing past what JSON's integers hold (sums of durations a trace
 * claims; each is below RT_TRACE_MAX_NS) */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > (uint64_t)INT64_MAX - b ? (uint64_t)INT64_MAX : a + b;
}

static void stat_add(struct rt_sysstat **v, size_t *n, size_t *cap, const char *name, uint64_t dur)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].name == name || strcmp((*v)[i].name, name) == 0) {
			(*v)[i].count++;
			(*v)[i].time_ns = sat_add((*v)[i].time_ns, dur);
			return;
		}
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = (struct rt_sysstat){ name, 1, dur };
}

int rt_sysstat_cmp(const void *a, const void *b)
{
	const struct rt_sysstat *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void add_check(struct rt_report *r, size_t *cap, const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void add_check(struct rt_report *r, size_t *cap, const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;
	char *d;

	va_start(ap, fmt);
	if (vasprintf(&d, fmt, ap) < 0)
		d = xstrdup("?");
	va_end(ap);
	r->checks = xgrow(r->checks, cap, r->nchecks + 1, sizeof(*r->checks));
	r->checks[r->nchecks++] = (struct rt_check){ name, ok, false, d };
}

static const char *classify(const json_t *bin, const json_t *m, bool *in_binary)
{
	const char *path = json_get_str(m, "path");
	const char *binpath = json_get_str(bin, "path");
	uint64_t start = json_get_hex(m, "start"), bias = json_get_hex(bin, "bias");
	const json_t *segs = json_object_get(bin, "segments");
	size_t i;
	json_t *s;

	*in_binary = false;
	if (path && binpath && *path && strcmp(path, binpath) == 0) {
		*in_binary = true;
		json_array_foreach(segs, i, s) {
			uint64_t va = json_get_hex(s, "vaddr") + bias, end = va + json_get_hex(s, "memsz");

			if (start >= (va & ~0xfffull) && start < end) {
				const char *fl = json_get_str(s, "flags");

				/* a segment without flags is the binary's all the same: data */
				return !fl ? "data" : strcmp(fl, "r-x") == 0 ? "text" : strcmp(fl, "r--") == 0 ? "rodata" : "data";
			}
		}
		return "file";
	}
	if (path && *path) {
		if (strcmp(path, "[heap]") == 0)
			return "heap";
		if (strcmp(path, "[stack]") == 0)
			return "stack";
		if (strcmp(path, "[vdso]") == 0)
			return "vdso";
		if (strcmp(path, "[vvar]") == 0 || strncmp(path, "[vvar", 5) == 0)
			return "vvar";
		if (strcmp(path, "[vsyscall]") == 0)
			return "vsyscall";
		return "file";
	}
	json_array_foreach(segs, i, s) {
		uint64_t va = json_get_hex(s, "vaddr") + bias, end = va + json_get_hex(s, "memsz");
		const char *fl = json_get_str(s, "flags");

		if (fl && strchr(fl, 'w') && start >= (va & ~0xfffull) && start < end)
			return "bss";
	}
	return "anonymous";
}

#define HEAP_ARENA (64ull << 20) /* heapArenaBytes on 64-bit linux */

/* runtime.mallocinit's fixed hints (before Go 1.26's randomized heap base): i<<40 | 0x00c0<<32 on
 * amd64 and most others, i<<40 | 0x0040<<32 on arm64. */
static bool fixed_hint(const char *arch, uint64_t a)
{
	uint64_t base = arch && strcmp(arch, "arm64") == 0 ? 0x40 : 0xc0;

	return ((a >> 32) & 0xff) == base && (a & 0xffffffffull) == 0;
}

/* The Go heap arena: the first run of adjacent anonymous mappings that starts on a 64 MiB boundary,
 * spans whole arenas and has a writable part. Its rows become "go-heap". */
static const struct rt_layout_row *find_arena(struct rt_report *r)
{
	for (size_t i = 0; i < r->nlayout; i++) {
		size_t k = i;
		bool rw = false;

		if (strcmp(r->layout[i].kind, "anonymous") != 0 || r->layout[i].start % HEAP_ARENA)
			continue;
		while (k < r->nlayout && strcmp(r->layout[k].kind, "anonymous") == 0 &&
		       (k == i || r->layout[k].start == r->layout[k - 1].end)) {
			rw = rw || r->layout[k].perms[1] == 'w';
			k++;
		}
		if (rw && (r->layout[k - 1].end - r->layout[i].start) % HEAP_ARENA == 0) {
			for (size_t j = i; j < k; j++)
				r->layout[j].kind = "go-heap";
			return &r->layout[i];
		}
	}
	return NULL;
}

/* The events a report analyses: one process's, from the exec that loaded its image until it execs
 * again, [from, until) in absolute ns. Its exit, crash and stderr tail are taken whatever their time:
 * they end the process, and a report of any of its images says how it ended. */
struct window {
	int64_t pid;
	uint64_t from, until;
	const json_t *next;  /* the exec that ends it (until), or NULL */
};

static bool in_window(const struct window *w, const struct rt_event *e)
{
	if (e->pid != w->pid)
		return false;
	if (e->type == RT_ET_EXIT || e->type == RT_ET_CRASH || e->type == RT_ET_STDERR)
		return true;
	return e->t >= w->from && e->t < w->until;
}

static bool is_exec(const struct rt_event *e)
{
	return e->type == RT_ET_EXEC || e->type == RT_ET_ATTACH;
}

/* `diamond` names /tmp/b/rootfs/diamond: inside a container the path is rarely the one the user typed. */
static bool names_program(const char *path, const char *program)
{
	const char *base = strrchr(path, '/');

	return strcmp(path, program) == 0 || strcmp(base ? base + 1 : path, program) == 0;
}

/* The error for a program no exec names, listing those the trace has so the user can pick one. */
static int no_such_program(const struct rt_loaded_trace *t, const char *program, struct rt_err *err)
{
	struct strv seen = STRV_INIT;
	char *list = xstrdup("");
	int rc;

	for (size_t k = 0; k < t->nev; k++) {
		const char *path = json_get_str(t->ev[k].obj, "path");
		char *n;

		if (!is_exec(&t->ev[k]) || !path || strv_has(&seen, path))
			continue;
		n = xasprintf("%s%s%s", list, seen.n ? ", " : "", path);
		free(list);
		list = n;
		strv_push(&seen, path);
	}
	rc = rt_errf(err, RT_EXIT_INPUT, "no exec of '%s' in the trace '%s' (programs: %s)", program, t->path,
		     seen.n ? list : "none");
	free(list);
	strv_release(&seen);
	return rc;
}

/* Sets r->bin, r->pid, r->program and the window: the root (the first exec, or the process attached
 * to) when `program` is NULL, else the first exec naming it. */
static int select_image(struct rt_report *r, const char *program, struct window *w, struct rt_err *err)
{
	const struct rt_loaded_trace *t = r->trace;
	size_t first = t->nev, sel = t->nev;

	for (size_t k = 0; k < t->nev && sel == t->nev; k++) {
		const char *path = json_get_str(t->ev[k].obj, "path");

		if (!is_exec(&t->ev[k]))
			continue;
		if (first == t->nev)
			first = k;
		if (!program || (path && names_program(path, program)))
			sel = k;
	}
	*w = (struct window){ -1, 0, UINT64_MAX, NULL };
	r->pid = -1;
	r->bin = json_object_get(t->header, "binary");
	if (sel == t->nev)
		return program ? no_such_program(t, program, err) : 0;
	/* the root's first image is described once, in the header; later execs carry their own */
	if (sel != first)
		r->bin = json_object_get(t->ev[sel].obj, "binary");
	if (program && !json_is_object(r->bin))
		return rt_errf(err, RT_EXIT_INPUT, "the trace has no binary details for '%s' (traced by an engine that "
						   "does not record them)", program);
	r->pid = t->ev[sel].pid;
	r->program = program ? json_get_str(t->ev[sel].obj, "path") : NULL;
	w->pid = r->pid;
	w->from = t->ev[sel].t;
	for (size_t k = sel + 1; k < t->nev; k++)
		if (t->ev[k].type == RT_ET_EXEC && t->ev[k].pid == r->pid) {
			w->until = t->ev[k].t;
			w->next = t->ev[k].obj;
			break;
		}
	return 0;
}

/* The unobservable phases (or packages, `inits`) as "a, b, c", cut to fit. */
static void unobserved_list(const struct rt_report *r, bool inits, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t k = 0; k < r->unobserved.n; k++) {
		bool is_init = strv_has(&r->placed, r->unobserved.v[k]);

		if (is_init != inits)
			continue;
		if (!out[0])
			snprintf(out, size, "; not observed by the %s engine: ", r->engine ? r->engine : "?");
		else
			snprintf(out + strlen(out), size - strlen(out), ", ");
		snprintf(out + strlen(out), size - strlen(out), "%s", r->unobserved.v[k]);
	}
}

/* What the analysis carries from one stage to the next while it builds a report. */
struct an {
	struct rt_report *r;
	const struct rt_loaded_trace *t;
	const json_t *bin;
	struct window w;
	bool narrow;               /* only the analysed image's events count (see rt_report_build) */
	size_t phcap, stcap, chcap, laycap;
	const json_t *main_maps, *exit_maps, *first_probe;
	struct strv phase_probes, expected_phases, placed_obs;
};

/* The header's and footer's facts, and the note on a root that execs another program. */
static void take_header(struct an *a)
{
	struct rt_report *r = a->r;
	const struct rt_loaded_trace *t = a->t;

	r->t0 = (uint64_t)json_get_int(t->header, "t0");
	/* the root's window opens at t0, where its exec phase does: the execve that loaded it came first */
	if (!r->program && r->t0 < a->w.from)
		a->w.from = r->t0;
	r->engine = json_get_str(t->header, "engine");
	r->syscall_filter = json_get_str(t->header, "syscall_filter");
	r->stop_cost_ns = stop_cost(t->header, "stop_cost_ns");
	r->syscall_stop_cost_ns = stop_cost(t->header, "syscall_stop_cost_ns");
	r->complete = t->footer && json_is_true(json_object_get(t->footer, "complete"));
	r->lost = t->footer ? (uint64_t)json_get_int(t->footer, "lost") : 0;
	r->is_go = a->bin && json_get_str(a->bin, "go_version") != NULL;
	r->exit_status = r->exit_signal = -1;
	r->t_end = r->program ? a->w.from : r->t0;
	if (!t->footer)
		strv_push(&r->notes, "the trace has no footer: it is partial (the tracer stopped before the end)");
	if (a->w.next) {
		const char *next = json_get_str(a->w.next, "path");
		const char *base = next && strrchr(next, '/') ? strrchr(next, '/') + 1 : next;
		const char *bpath = json_get_str(a->bin, "path");

		strv_pushf(&r->notes, "process %lld exec'd %s at %+.3f ms: this report covers %s until then; "
				      "'rt0trace report --program %s' reports %s", (long long)r->pid, next ? next : "another program",
			   rt_ms(a->w.until - r->t0), r->program ? r->program : bpath ? bpath : "the first program",
			   base && *base ? base : "NAME", next ? "that program" : "the program it names");
	}
	r->attached = json_is_true(json_object_get(a->bin, "attached"));
}

/* A probe hit: a package's init begins (the first hit of its package), or a phase. */
static void on_probe(struct an *a, const struct rt_event *ev, const char **cur_pkg)
{
	struct rt_report *r = a->r;
	const json_t *e = ev->obj;
	const char *role = json_get_str(e, "role"), *sym = json_get_str(e, "symbol"), *pkg = json_get_str(e, "package");

	if (!role || !sym || strcmp(role, "fatal") == 0 || strcmp(role, "ready") == 0)
		return; /* the fatal path is the crash's; the readiness probe the critical path's */
	if (!a->first_probe)
		a->first_probe = e;
	if (strcmp(role, "init") == 0) {
		const char *key = pkg ? pkg : sym;

		if (!*cur_pkg || strcmp(*cur_pkg, key) != 0) {
			add_phase(r, &a->phcap, xasprintf("init %s", key), ev->t, e);
			*cur_pkg = key;
			if (!strv_has(&r->observed, key))
				strv_push(&r->observed, key);
		}
	} else {
		char *n = phase_name(sym);

		if (strcmp(role, "main") == 0 && !r->main_at)
			r->main_at = ev->t;
		strv_push(&a->phase_probes, n);
		add_phase(r, &a->phcap, n, ev->t, e);
		*cur_pkg = NULL;
	}
}

/* The preload engine's library constructors: one phase per object, in the order they ran (a C
 * program's own .init_array functions are probes). */
static void on_mark(struct an *a, const struct rt_event *ev, const char **cur_pkg)
{
	struct rt_report *r = a->r;
	const char *what = json_get_str(ev->obj, "what"), *obj = json_get_str(ev->obj, "object");
	const char *base;
	char *n;

	if (!what || !obj || strcmp(what, "constructor") != 0)
		return;
	base = strrchr(obj, '/') ? strrchr(obj, '/') + 1 : obj;
	n = xasprintf("constructors %s", base);
	if (strcmp(r->phases[r->nphases - 1].name, n) != 0) {
		add_phase(r, &a->phcap, n, ev->t, ev->obj);
		*cur_pkg = NULL;
	} else {
		free(n);
	}
}

/* The exec (or attach) that loaded the image: the exec phase's CPU time counts from it. Before it, the
 * CPU is the tracer's forked copy's (and the kernel's teardown of that copy's address space, which under
 * ASan is large), not the program's. Its wait counts from t0 (the header's account) when known. */
static void on_exec(struct an *a, const struct rt_event *ev)
{
	struct rt_phase_row *p0 = &a->r->phases[0], ex;

	memset(&ex, 0, sizeof(ex));
	phase_account(&ex, ev->obj);
	if (!p0->has_start)
		*p0 = (struct rt_phase_row){ .name = p0->name, .start = p0->start, .tid = ex.tid, .has_start = ex.has_start,
					     .cpu0 = ex.cpu0, .wait0 = ex.wait0 };
	else if (ex.has_start && ex.tid == p0->tid && ex.cpu0 >= p0->cpu0)
		p0->cpu0 = ex.cpu0;
}

/* A layout snapshot: the first before the exit is the one at main; the exit's gives the peak RSS. */
static void on_maps(struct an *a, const json_t *e)
{
	struct rt_report *r = a->r;
	const char *at = json_get_str(e, "at");

	if (at && strcmp(at, "exit") == 0) {
		a->exit_maps = e;
		if (json_is_integer(json_object_get(e, "hwm_kb")) && json_get_int(e, "hwm_kb") >= 0) {
			r->has_peak_rss = true;
			r->peak_rss_kb = (uint64_t)json_get_int(e, "hwm_kb");
		}
	} else if (!a->main_maps) {
		a->main_maps = e;
		if (json_is_integer(json_object_get(e, "rss_kb")) && json_get_int(e, "rss_kb") >= 0) {
			r->has_rss_main = true;
			r->rss_main_kb = (uint64_t)json_get_int(e, "rss_kb");
		}
	}
}

/* Each phase ends where the next begins, the last at `end`; events of different threads are not written in
 * time order: a phase never ends before it starts. */
static void phase_ends(struct rt_report *r, uint64_t end)
{
	for (size_t k = 0; k < r->nphases; k++) {
		r->phases[k].end = k + 1 < r->nphases ? r->phases[k + 1].start : end;
		if (r->phases[k].end < r->phases[k].start)
			r->phases[k].end = r->phases[k].start;
	}
}

/* The phases, from the analysed process's events in file order, and the end of the trace. */
static void take_phases(struct an *a)
{
	struct rt_report *r = a->r;
	const struct rt_loaded_trace *t = a->t;
	const char *cur_pkg = NULL;

	/* the root's startup is timed from the header's t0 (when the tracer started it); a program found
	 * later in the trace from its exec */
	add_phase(r, &a->phcap, xstrdup(r->attached ? "attach" : "exec"), r->program ? a->w.from : r->t0,
		  r->program || r->attached ? NULL : json_object_get(t->header, "sched"));
	for (size_t k = 0; k < t->nev; k++) {
		const struct rt_event *ev = &t->ev[k];
		uint64_t te = ev->t + ev->dur;
		bool mine = in_window(&a->w, ev);

		if (te > r->t_end && (mine || !a->narrow))
			r->t_end = te;
		if (!mine || !ev->obj)
			continue;
		if (ev->type == RT_ET_PROBE)
			on_probe(a, ev, &cur_pkg);
		else if (ev->type == RT_ET_MARK)
			on_mark(a, ev, &cur_pkg);
		else if (is_exec(ev) && r->nphases == 1 && ev->pid == r->pid)
			on_exec(a, ev);
		else if (ev->type == RT_ET_MAPS)
			on_maps(a, ev->obj);
		else if (ev->type == RT_ET_EXIT) {
			r->exited = true;
			r->exit_status = json_is_integer(json_object_get(ev->obj, "status")) ? (int)json_get_int(ev->obj, "status") : -1;
			r->exit_signal = json_is_integer(json_object_get(ev->obj, "signal")) ? (int)json_get_int(ev->obj, "signal") : -1;
		}
	}
	if (a->w.next && r->t_end > a->w.until)
		r->t_end = a->w.until; /* its exit comes later, in the next program */
	phase_ends(r, r->t_end);
	phase_sched(r);
}

struct rt_phase_row *rt_image_phases(const struct rt_event *const *ev, size_t n, bool attach, uint64_t from,
				     uint64_t end, size_t *nphases, uint64_t *main_at)
{
	struct rt_report r = { .nphases = 0 };
	struct an a = { .r = &r, .phase_probes = STRV_INIT };
	const char *cur_pkg = NULL;

	add_phase(&r, &a.phcap, xstrdup(attach ? "attach" : "exec"), from, NULL);
	for (size_t k = 0; k < n; k++)
		if (ev[k]->type == RT_ET_PROBE && ev[k]->obj)
			on_probe(&a, ev[k], &cur_pkg);
		else if (ev[k]->type == RT_ET_MARK && ev[k]->obj)
			on_mark(&a, ev[k], &cur_pkg);
	phase_ends(&r, end);
	strv_release(&r.observed);
	strv_release(&a.phase_probes);
	*main_at = r.main_at;
	if (r.nphases < 2) { /* no probe was hit: no phases */
		free(r.phases[0].name);
		free(r.phases);
		*nphases = 0;
		return NULL;
	}
	*nphases = r.nphases;
	return r.phases;
}

/* The footer's account of the root: instructions and resource use (the root's report only). */
static void take_footer(struct an *a)
{
	struct rt_report *r = a->r;
	const json_t *footer = a->t->footer, *ru;
	static const char *const keys[] = { "utime_ns", "stime_ns", "maxrss_kb", "minflt", "majflt" };
	uint64_t *dst[] = { &r->rusage.utime_ns, &r->rusage.stime_ns, &r->rusage.maxrss_kb, &r->rusage.minflt,
			    &r->rusage.majflt };

	if (r->program || !footer)
		return;
	if (json_is_integer(json_object_get(footer, "instructions")) && json_get_int(footer, "instructions") >= 0) {
		r->has_instructions = true;
		r->instructions = (uint64_t)json_get_int(footer, "instructions");
	}
	if (!json_is_object(ru = json_object_get(footer, "rusage")))
		return;
	r->rusage.valid = true;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const json_t *v = json_object_get(ru, keys[k]);

		if (!json_is_integer(v) || json_integer_value(v) < 0)
			r->rusage.valid = false;
		else
			*dst[k] = (uint64_t)json_integer_value(v);
	}
}

size_t rt_phase_index(const struct rt_report *r, uint64_t t)
{
	size_t lo = 0, hi = r->nphases;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (r->phases[mid].start <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Syscalls: each belongs to the phase running when it started. The root's report counts every syscall
 * of the trace, as it always has (earlier reports stay comparable); a selected program's phases are its
 * own, so only its syscalls count. */
static void count_syscalls(struct an *a)
{
	struct rt_report *r = a->r;

	for (size_t k = 0; k < a->t->nev; k++) {
		const struct rt_event *e = &a->t->ev[k];
		size_t lo;

		if (e->type != RT_ET_SYSCALL || !e->name || (a->narrow && !in_window(&a->w, e)))
			continue;
		lo = rt_phase_index(r, e->t);
		r->phases[lo].syscalls++;
		r->phases[lo].sys_ns = sat_add(r->phases[lo].sys_ns, e->dur);
		stat_add(&r->phases[lo].stats, &r->phases[lo].nstats, &r->phases[lo].statcap, e->name, e->dur);
		stat_add(&r->stats, &r->nstats, &a->stcap, e->name, e->dur);
		r->nsyscalls++;
	}
	if (r->nstats)
		qsort(r->stats, r->nstats, sizeof(*r->stats), rt_sysstat_cmp);
}

/* One planned probe: a package in the placed order or a phase expected, unless the engine cannot see
 * it (said so) or it was already past at attach. */
static void plan_probe(struct an *a, const json_t *p)
{
	struct rt_report *r = a->r;
	const char *role = json_get_str(p, "role"), *sym = json_get_str(p, "symbol");
	const char *key = json_get_str(p, "package") ? json_get_str(p, "package") : sym;
	bool init;
	char *n;

	if (!role || !key || strcmp(role, "fatal") == 0 || strcmp(role, "ready") == 0)
		return;
	init = strcmp(role, "init") == 0;
	if (!init && !sym)
		return; /* a phase is named by its symbol */
	if (json_is_false(json_object_get(p, "observable"))) {
		/* the engine cannot see it: not expected, and said so (a package stays in the placed order,
		 * which is what the binary says) */
		n = init ? xstrdup(key) : phase_name(sym);
		if (!strv_has(&r->unobserved, n))
			strv_push(&r->unobserved, n);
		if (init && !strv_has(&r->placed, key))
			strv_push(&r->placed, key);
		free(n);
		return;
	}
	if (json_is_true(json_object_get(p, "past"))) {
		r->npast++;
		if (init && !strv_has(&r->past, key)) {
			strv_push(&r->past, key);
		} else if (!init) {
			n = phase_name(sym);
			strv_push(&r->past, n);
			free(n);
		}
		return;
	}
	if (init) {
		if (json_is_false(json_object_get(p, "placed")))
			r->placed_unknown = true; /* a stripped binary's: probed, in no known order */
		else if (!strv_has(&r->placed, key))
			strv_push(&r->placed, key);
	} else {
		n = phase_name(sym);
		strv_push(&a->expected_phases, n);
		free(n);
	}
}

/* The placed order and the expected phases, from the probes the tracer planned (less those already past
 * when it attached), and whether the observed order matches. */
static void take_plan(struct an *a)
{
	struct rt_report *r = a->r;
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(a->bin, "probes"), i, p)
		plan_probe(a, p);
	/* the placed packages the engine could observe */
	for (size_t k = 0; k < r->placed.n; k++)
		if (!strv_has(&r->unobserved, r->placed.v[k]))
			strv_push(&a->placed_obs, r->placed.v[k]);
	r->init_unobserved = r->placed.n && !a->placed_obs.n && !r->observed.n;
	r->init_match = !r->init_unobserved && r->observed.n == a->placed_obs.n;
	for (size_t k = 0; r->init_match && k < r->observed.n; k++)
		r->init_match = strcmp(r->observed.v[k], a->placed_obs.v[k]) == 0;
}

/* The layout at main (else at exit), each mapping classified. */
static void take_layout(struct an *a)
{
	struct rt_report *r = a->r;
	const json_t *m = a->main_maps ? a->main_maps : a->exit_maps;
	json_t *entry;
	size_t i;

	if (!m)
		return;
	r->layout_at = json_get_str(m, "at");
	json_array_foreach(json_object_get(m, "entries"), i, entry) {
		struct rt_layout_row row;
		bool inbin;
		const char *perms = json_get_str(entry, "perms");

		row.start = json_get_hex(entry, "start");
		row.end = json_get_hex(entry, "end");
		snprintf(row.perms, sizeof(row.perms), "%s", perms ? perms : "----");
		row.kind = classify(a->bin, entry, &inbin);
		row.path = json_get_str(entry, "path");
		r->layout = xgrow(r->layout, &a->laycap, r->nlayout + 1, sizeof(*r->layout));
		r->layout[r->nlayout++] = row;
	}
}

/* The note of an attached trace: which probes were already past. */
static void note_attached(struct an *a)
{
	struct rt_report *r = a->r;
	char *list = xstrdup("");

	if (!r->attached) {
		free(list);
		return;
	}
	for (size_t k = 0; k < r->past.n; k++) {
		char *n = xasprintf("%s%s%s", list, k ? ", " : "", r->past.v[k]);

		free(list);
		list = n;
	}
	strv_pushf(&r->notes, "attached to a running process: %zu probes were already past (%s)", r->npast, list);
	free(list);
}

/* ---- the checks (docs/formats.md), in the order a report lists them ---------------------------------- */

static void check_entry(struct an *a)
{
	struct rt_report *r = a->r;
	uint64_t entry = json_get_hex(a->bin, "entry"), bias = json_get_hex(a->bin, "bias");
	const char *esym = json_get_str(a->bin, "entry_symbol");
	const json_t *fp = a->first_probe;

	if (r->attached)
		add_check(r, &a->chcap, "entry", true, "attached to a running process: the entry (%s) was already past",
			  esym ? esym : "unnamed");
	else if (!fp)
		add_check(r, &a->chcap, "entry", false, "no probe was hit: the program never reached its entry (%s)",
			  esym ? esym : "no entry symbol");
	else
		add_check(r, &a->chcap, "entry", strcmp(json_get_str(fp, "role"), "entry") == 0 && json_get_hex(fp, "addr") == entry,
			  "first instruction observed: %s at %s; the ELF entry %#" PRIx64 " is %s (load bias %#" PRIx64 ")",
			  json_get_str(fp, "symbol"), json_get_str(fp, "addr") ? json_get_str(fp, "addr") : "?", entry,
			  esym ? esym : "unnamed", bias);
}

static void check_phases(struct an *a)
{
	char seen[512] = "", want[512] = "", unobs[600] = "";
	const struct strv *exp = &a->expected_phases, *got = &a->phase_probes;
	bool ok = got->n == exp->n;

	for (size_t k = 0; k < exp->n; k++) {
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", k ? " > " : "", exp->v[k]);
		if (ok && strcmp(exp->v[k], got->v[k]) != 0)
			ok = false;
	}
	for (size_t k = 0; k < got->n; k++)
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s", k ? " > " : "", got->v[k]);
	unobserved_list(a->r, false, unobs, sizeof(unobs));
	add_check(a->r, &a->chcap, "phases in order", ok, ok ? "%s%s%s" : "observed %s; placed %s%s", seen, ok ? "" : want,
		  unobs);
}

static void check_init_order(struct an *a)
{
	struct rt_report *r = a->r;
	const struct strv *placed = &a->placed_obs;
	size_t k = 0;
	char unobs[600] = "";

	if (r->init_unobserved) {
		add_check(r, &a->chcap, "init order", false, "not observed by the %s engine: %zu packages placed, none of "
							     "their init functions makes a call it can see",
			  r->engine ? r->engine : "?", r->placed.n);
		r->checks[r->nchecks - 1].unobserved = true;
		return;
	}
	/* a stripped binary's inits with no placed order to compare with: no check (the init order
	 * section says why) */
	if ((r->placed_unknown && !r->placed.n) || (!placed->n && !r->observed.n))
		return;
	unobserved_list(r, true, unobs, sizeof(unobs));
	while (k < r->observed.n && k < placed->n && strcmp(r->observed.v[k], placed->v[k]) == 0)
		k++;
	if (r->init_match)
		add_check(r, &a->chcap, "init order", true, "%zu packages ran in the placed order%s", r->observed.n, unobs);
	else
		add_check(r, &a->chcap, "init order", false, "#%zu: observed %s, placed %s (%zu observed, %zu placed)%s", k + 1,
			  k < r->observed.n ? r->observed.v[k] : "nothing", k < placed->n ? placed->v[k] : "nothing",
			  r->observed.n, placed->n, unobs);
}

/* Every LOAD segment of the binary inside a mapping of the snapshot classified as the binary's. */
static void check_layout(struct an *a)
{
	struct rt_report *r = a->r;
	uint64_t bias = json_get_hex(a->bin, "bias");
	char detail[1024] = "";
	bool ok = true;
	size_t i;
	json_t *s;

	if (!r->nlayout)
		return;
	json_array_foreach(json_object_get(a->bin, "segments"), i, s) {
		uint64_t va = (json_get_hex(s, "vaddr") + bias) & ~0xfffull;
		bool found = false;

		for (size_t k = 0; k < r->nlayout; k++)
			if (r->layout[k].start <= va && va < r->layout[k].end &&
			    (strcmp(r->layout[k].kind, "text") == 0 || strcmp(r->layout[k].kind, "rodata") == 0 ||
			     strcmp(r->layout[k].kind, "data") == 0 || strcmp(r->layout[k].kind, "bss") == 0))
				found = true;
		ok = ok && found;
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), "%s%s %#" PRIx64 "%s", i ? ", " : "",
			 json_get_str(s, "flags") ? json_get_str(s, "flags") : "?", va, found ? "" : " (missing)");
	}
	add_check(r, &a->chcap, "layout", ok, "LOAD segments at %s (bias %#" PRIx64 ") in the %s snapshot", detail, bias,
		  r->layout_at ? r->layout_at : "?");
}

static void check_go_arena(struct an *a)
{
	struct rt_report *r = a->r;
	const struct rt_layout_row *arena;
	const char *arch = json_get_str(a->bin, "arch"), *gov = json_get_str(a->bin, "go_version");
	int minor = gov && strncmp(gov, "go1.", 4) == 0 ? atoi(gov + 4) : 0;
	/* Go 1.26 randomizes the heap base on 64-bit (goexperiment.randomizedheapbase64). */
	bool randomized = minor >= 26;

	if (!r->nlayout || !r->is_go)
		return;
	if (!(arena = find_arena(r)))
		add_check(r, &a->chcap, "go heap arena", false, "no 64 MiB-aligned arena reservation in the %s snapshot",
			  r->layout_at ? r->layout_at : "?");
	else if (randomized || fixed_hint(arch, arena->start))
		add_check(r, &a->chcap, "go heap arena", true, "arena at %#" PRIx64 " (%s)", arena->start,
			  randomized ? "64 MiB-aligned at the randomized heap base of Go >= 1.26" : "the runtime's first hint");
	else
		add_check(r, &a->chcap, "go heap arena", false, "arena at %#" PRIx64 " is not at a runtime hint (i<<40 | %s<<32)",
			  arena->start, arch && strcmp(arch, "arm64") == 0 ? "0x40" : "0xc0");
}

static void check_crash(struct an *a)
{
	struct rt_report *r = a->r;
	const struct rt_crash *c = r->crash;

	if (c) {
		char thread[32] = "", then[40] = "";

		if (c->tid > 0)
			snprintf(thread, sizeof(thread), "thread %d; ", c->tid);
		if (!c->killed)
			snprintf(then, sizeof(then), ", then exit status %d", r->exit_status);
		if (c->derived)
			add_check(r, &a->chcap, "no crash", false, "%s%s in %s%s%s%s (%sthe %s engine wrote no crash event: "
								   "no backtrace)", c->killed ? "killed by " : "", c->signal,
				  c->phase ? c->phase : "?", c->package ? ", package " : "", c->package ? c->package : "",
				  then, thread, r->engine ? r->engine : "?");
		else
			add_check(r, &a->chcap, "no crash", false, "%s%s%s in %s%s%s", c->signal ? c->signal : "panic",
				  c->function ? " in " : "", c->function ? c->function : "", c->phase ? c->phase : "?",
				  c->package ? ", package " : "", c->package ? c->package : "");
	} else if (r->exited && r->exit_signal >= 0) {
		/* killed by a signal that is not a crash (SIGKILL, SIGTERM, SIGINT, ...): no crash was seen, but
		 * the program did not end by itself either, so whether it would have is not known */
		const char *abbrev = sigabbrev_np(r->exit_signal);

		add_check(r, &a->chcap, "no crash", false, "not observed: killed by %s%s (signal %d, not a crash signal) "
							   "before it ended by itself", abbrev ? "SIG" : "signal ",
			  abbrev ? abbrev : "", r->exit_signal);
		r->checks[r->nchecks - 1].unobserved = true;
	} else if (r->exited && r->exit_status == 2 && r->is_go && !rt_engine_writes_crashes(r)) {
		/* the Go runtime ends a program that panics or throws with status 2; this engine cannot tell */
		add_check(r, &a->chcap, "no crash", false, "not observed: exited with status 2, the Go runtime's status for a "
							   "panic or a fatal error, and the %s engine does not watch the runtime's "
							   "fatal path", r->engine);
		r->checks[r->nchecks - 1].unobserved = true;
	} else if (r->exited) {
		add_check(r, &a->chcap, "no crash", true, "exited with status %d", r->exit_status);
	} else {
		add_check(r, &a->chcap, "no crash", true, "no fatal signal and no Go fatal path seen");
	}
}

static void check_lost(struct an *a)
{
	add_check(a->r, &a->chcap, "no lost events", a->r->lost == 0, "%" PRIu64 " events lost", a->r->lost);
}

static void check_complete(struct an *a)
{
	const struct rt_loaded_trace *t = a->t;
	bool done = a->r->complete;

	if (t->cut)
		add_check(a->r, &a->chcap, "trace complete", false, "no footer: %s (%zu events read)", t->cut, t->nev);
	else
		add_check(a->r, &a->chcap, "trace complete", done,
			  done ? "footer present: %zu events" : t->footer ? "the tracer stopped early (footer says incomplete; %zu events)"
								   : "no footer (%zu events read)",
			  t->nev);
}

/* Each adds its check(s) to the report, or none where it does not apply. */
static void (*const checks[])(struct an *) = {
	check_entry, check_phases, check_init_order, check_layout, check_go_arena, check_crash, check_lost, check_complete,
};

/* The readiness point: `ready` (checked by the caller), else the header's "ready", else main. */
static int take_ready(struct rt_report *r, const char *ready, struct rt_err *err)
{
	const json_t *h = json_object_get(r->trace->header, "ready");

	if (!ready && h && !json_is_string(h))
		return rt_errf(err, RT_EXIT_INPUT, "the trace '%s' has a header \"ready\" that is not a string",
			       r->trace->path);
	r->ready_spec = ready ? ready : json_string_value(h);
	if (r->ready_spec && rt_ready_parse(r->ready_spec, &r->ready, err) != 0) {
		if (ready)
			return -1;
		err->exit = RT_EXIT_INPUT; /* the trace is the bad input */
		return rt_err_prefix(err, "the trace '%s' has a header \"ready\" that is not a readiness point",
				     r->trace->path);
	}
	return 0;
}

struct rt_report *rt_report_build(const struct rt_loaded_trace *t, const char *program, const char *ready,
				  struct rt_err *err)
{
	struct an a = { .r = xcalloc(1, sizeof(*a.r)), .t = t, .phase_probes = STRV_INIT, .expected_phases = STRV_INIT,
			.placed_obs = STRV_INIT };

	a.r->trace = t;
	if (take_ready(a.r, ready, err) != 0 || select_image(a.r, program, &a.w, err) != 0) {
		free(a.r);
		return NULL;
	}
	a.bin = a.r->bin;
	/* Only the analysed image's own events count when it is not the whole trace: a selected program, or
	 * a root that execs another program (whose phases would otherwise run on as the root's). */
	a.narrow = a.r->program || a.w.next;
	take_header(&a);
	take_phases(&a);
	take_footer(&a);
	count_syscalls(&a);
	rt_report_touched(a.r, a.w.from, a.w.until);
	take_plan(&a);
	take_layout(&a);
	note_attached(&a);
	rt_report_crash(a.r);
	rt_report_proctree(a.r);
	for (size_t k = 0; k < sizeof(checks) / sizeof(checks[0]); k++)
		checks[k](&a);
	strv_release(&a.phase_probes);
	strv_release(&a.expected_phases);
	strv_release(&a.placed_obs);
	return a.r;
}

bool rt_report_all_ok(const struct rt_report *r)
{
	for (size_t i = 0; i < r->nchecks; i++)
		if (!r->checks[i].ok && !r->checks[i].unobserved)
			return false;
	return true;
}

void rt_report_free(struct rt_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nphases; i++) {
		free(r->phases[i].name);
		free(r->phases[i].stats);
		for (int k = 0; k < RT_TOUCH_KINDS; k++)
			free(r->phases[i].touched[k].v);
	}
	free(r->phases);
	free(r->stats);
	strv_release(&r->observed);
	strv_release(&r->placed);
	strv_release(&r->past);
	strv_release(&r->unobserved);
	free(r->layout);
	for (size_t i = 0; i < r->nchecks; i++)
		free(r->checks[i].detail);
	free(r->checks);
	strv_release(&r->notes);
	rt_crash_free(r->crash);
	rt_proctree_free(r);
	free(r);
}
