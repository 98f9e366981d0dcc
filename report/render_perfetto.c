/*
 * report/render_perfetto: the report as Chrome Trace Event Format JSON (the JSON Object Format,
 * {"traceEvents":[...],"displayTimeUnit":"ms",...}), which ui.perfetto.dev and chrome://tracing open.
 *
 *  - a track per thread: process_name "<program basename> (<pid>)", thread_name "main" (tid == pid) or
 *    "thread <tid>" (the trace records no comm); every pid/tid seen in an event (clone children included)
 *    gets its metadata;
 *  - the report's phase rows (so the names match the text report) as "X" slices on a pseudo-thread
 *    "startup phases" of the analysed process (the root, or the program chosen with --program);
 *  - where the report has a process tree (more than one process, or a readiness point): each other
 *    process's own phases (rt_proc.phases) on a pseudo-thread "phases" of its track (the analysed
 *    process's later execs' on its "startup phases"), and the critical path's steps as "X" slices on a
 *    pseudo-process "critical path" sorted first, each step's args naming its pid;
 *  - each syscall as an "X" slice on its own thread (a syscall without a duration is a 0 us slice);
 *  - instants ("i"): layout changes (mmap, munmap, mprotect, mremap, brk that did not fail; each maps
 *    snapshot), probe hits, clones, execs, signals, crashes, the stderr tail, exits, lost events and a
 *    partial or incomplete trace.
 *
 * Times are microseconds since the header's t0, written exactly (ns / 1000 with three decimals), never
 * negative: what began before t0 starts at 0. The format requires the "X" slices of one track to nest,
 * never to overlap partially; they are clipped to their enclosing slice when they would, and every
 * event is written in timestamp order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/xalloc.h"
#include "report/report.h"

/* The tid of the "startup phases" pseudo-thread (and of each other process's "phases"). Linux tids never
 * exceed PID_MAX_LIMIT (4194304, 2^22), so this cannot name a real thread. */
#define PHASES_TID 1000000000
/* The pid (and tid) of the "critical path" pseudo-process: no real pid either. */
#define PATH_PID 1000000001

struct pf_ev {
	int64_t pid, tid;
	uint64_t ts, dur;   /* ns since t0 */
	char ph;            /* 'X' or 'i' */
	char scope;         /* instants: 't', 'p' or 'g' */
	const char *cat;
	char *name;         /* owned; NULL for a compact syscall's slice (its name is sys->name) */
	json_t *args;       /* owned, or NULL */
	size_t seq;         /* emission order: ties in ts keep it */
	/* A compact syscall (no JSON object in the trace) whose args are written from it at output:
	 * `sys_args` 's' for its slice's, 'l' for its layout instant's, 0 for none. */
	const struct rt_event *sys;
	char sys_args;
};

struct pf_thread {
	int64_t pid, tid;
};

struct pf_proc {
	int64_t pid;
	const char *path;   /* borrowed from the trace, or NULL */
};

struct pf {
	const struct rt_report *r;
	struct pf_ev *ev;
	size_t nev, evcap;
	struct pf_thread *thr;
	size_t nthr, thrcap, last; /* last: the thread thread_seen last saw */
	struct pf_proc *proc;
	size_t nproc, proccap;
	int64_t root;
};

static struct pf_proc *proc_get(struct pf *p, int64_t pid)
{
	for (size_t i = 0; i < p->nproc; i++)
		if (p->proc[i].pid == pid)
			return &p->proc[i];
	p->proc = xgrow(p->proc, &p->proccap, p->nproc + 1, sizeof(*p->proc));
	p->proc[p->nproc] = (struct pf_proc){ pid, NULL };
	return &p->proc[p->nproc++];
}

static void thread_seen(struct pf *p, int64_t pid, int64_t tid)
{
	/* a thread's events come in runs: the last one seen first, so a trace of many threads is not
	 * walked whole for each event */
	if (p->nthr && p->thr[p->last].pid == pid && p->thr[p->last].tid == tid)
		return;
	proc_get(p, pid);
	for (size_t i = 0; i < p->nthr; i++)
		if (p->thr[i].pid == pid && p->thr[i].tid == tid) {
			p->last = i;
			return;
		}
	p->thr = xgrow(p->thr, &p->thrcap, p->nthr + 1, sizeof(*p->thr));
	p->last = p->nthr;
	p->thr[p->nthr++] = (struct pf_thread){ pid, tid };
}

/* Adds an event at absolute time `t` (ns) lasting `dur`; what began before t0 is cut to start at 0. */
static void add(struct pf *p, char ph, char scope, int64_t pid, int64_t tid, uint64_t t, uint64_t dur, const char *cat,
		char *name, json_t *args)
{
	struct pf_ev *e;

	if (t < p->r->t0) {
		uint64_t early = p->r->t0 - t;

		dur = dur > early ? dur - early : 0;
		t = p->r->t0;
	}
	p->ev = xgrow(p->ev, &p->evcap, p->nev + 1, sizeof(*p->ev));
	e = &p->ev[p->nev];
	*e = (struct pf_ev){ pid, tid, t - p->r->t0, dur, ph, scope, cat, name, args, p->nev, NULL, 0 };
	p->nev++;
	if (tid != PHASES_TID && pid != PATH_PID)
		thread_seen(p, pid, tid);
}

static char *sig_name(const char *name, int64_t signo)
{
	if (!name || strcmp(name, "?") == 0)
		return xasprintf("signal %" PRId64, signo);
	return xasprintf("%s%s", strncmp(name, "SIG", 3) == 0 ? "" : "SIG", name);
}

/* Borrowed values copied into args only when present. */
static void set_if(json_t *o, const char *k, json_t *v)
{
	if (v && !json_is_null(v))
		json_object_set(o, k, v);
}

static void set_str_if(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static void phases(struct pf *p)
{
	const struct rt_report *r = p->r;

	for (size_t i = 0; i < r->nphases; i++) {
		const struct rt_phase_row *ph = &r->phases[i];
		json_t *args = json_object(), *by = json_object();

		json_object_set_new(args, "syscalls", json_integer((json_int_t)ph->syscalls));
		json_object_set_new(args, "syscall_ns", json_integer((json_int_t)ph->sys_ns));
		for (size_t k = 0; k < ph->nstats; k++)
			json_object_set_new(by, ph->stats[k].name, json_integer((json_int_t)ph->stats[k].count));
		json_object_set_new(args, "by_syscall", by);
		add(p, 'X', 0, p->root, PHASES_TID, ph->start, ph->end > ph->start ? ph->end - ph->start : 0,
		    strncmp(ph->name, "init ", 5) == 0 ? "init" : "phase", xstrdup(ph->name), args);
	}
}

/* The critical path and each process's phases are shown where the report shows them: for a trace of more
 * than one process, or with a readiness point (rt_proctree_json). */
static bool tree_shown(const struct rt_report *r)
{
	return r->nprocs >= 2 || r->ready_spec;
}

/* Each other process's phases (report/proctree.c) on a "phases" pseudo-thread of its own track; the
 * analysed process's own are the report's rows ("startup phases"), and those of its execs after the
 * analysed image (which the rows do not cover) join them there. */
static void proc_phases(struct pf *p)
{
	const struct rt_report *r = p->r;
	uint64_t covered = r->nphases ? r->phases[r->nphases - 1].end : 0;

	if (!tree_shown(r))
		return;
	for (size_t k = 0; k < r->nprocs; k++) {
		const struct rt_proc *pr = &r->procs[k];

		for (size_t i = 0; i < pr->nphases; i++) {
			const struct rt_phase_row *ph = &pr->phases[i];

			if (pr->pid == p->root && ph->start < covered)
				continue;
			add(p, 'X', 0, pr->pid, PHASES_TID, ph->start, ph->end - ph->start,
			    strncmp(ph->name, "init ", 5) == 0 ? "init" : "phase", xstrdup(ph->name), NULL);
			proc_get(p, pr->pid);
		}
	}
}

/* The critical path (report/proctree.c) as slices on a track of its own, each step with the process it ran
 * in. */
static void critical_path(struct pf *p)
{
	const struct rt_report *r = p->r;

	if (!tree_shown(r))
		return;
	for (size_t k = 0; k < r->npath; k++) {
		const struct rt_path_step *s = &r->path[k];
		json_t *args = json_object();

		json_object_set_new(args, "pid", json_integer(s->pid));
		add(p, 'X', 0, PATH_PID, PATH_PID, s->start, s->dur, "critical path", xstrdup(s->step), args);
	}
}

static bool layout_syscall(const char *name)
{
	static const char *const names[] = { "mmap", "mmap2", "munmap", "mprotect", "mremap", "brk" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* A failed call (-4095..-1) did not change the layout. */
static bool call_failed(bool ret_known, int64_t ret)
{
	return ret_known && ret < 0 && ret >= -4095;
}

/* A syscall read compactly: its args are written from the event itself at output (put_sys_args). */
static void compact_syscall_ev(struct pf *p, const struct rt_event *e, int64_t pid, int64_t tid)
{
	add(p, 'X', 0, pid, tid, e->t, e->dur, "syscall", NULL, NULL);
	p->ev[p->nev - 1].sys = e;
	p->ev[p->nev - 1].sys_args = 's';
	if (layout_syscall(e->name) && !call_failed(e->ret_known, e->ret)) {
		/* at the return: that is when the layout changed */
		add(p, 'i', 't', pid, tid, e->t + e->dur, 0, "layout", xasprintf("layout: %s", e->name), NULL);
		p->ev[p->nev - 1].sys = e;
		p->ev[p->nev - 1].sys_args = 'l';
	}
}

/* The args of a compact syscall's slice or layout instant, as syscall_ev makes them from a JSON event. */
static void put_sys_args(FILE *f, const struct rt_event *e, char form)
{
	char ret[24] = "null";

	if (e->ret_known)
		snprintf(ret, sizeof(ret), "%" PRId64, e->ret);
	if (form == 's')
		fprintf(f, "{\"ret\":%s,\"args\":[", ret);
	else {
		fputs("{\"syscall\":", f);
		json_put_str(f, e->name);
		fputs(",\"args\":[", f);
	}
	for (unsigned i = 0; i < e->nargs; i++)
		fprintf(f, "%s\"0x%" PRIx64 "\"", i ? "," : "", e->args[i]);
	if (form == 's')
		fputs("]}", f);
	else if (e->ret_known && e->ret >= 0)
		fprintf(f, "],\"ret\":%s,\"ret_hex\":\"0x%" PRIx64 "\"}", ret, (uint64_t)e->ret);
	else
		fprintf(f, "],\"ret\":%s}", ret);
}

static void syscall_ev(struct pf *p, const json_t *e, int64_t pid, int64_t tid, uint64_t t)
{
	const char *name = json_get_str(e, "name");
	json_t *ret = json_object_get(e, "ret"), *sargs = json_object_get(e, "args"), *args = json_object();
	uint64_t dur = (uint64_t)json_get_int(e, "dur");
	char nrbuf[32];

	if (!name) {
		snprintf(nrbuf, sizeof(nrbuf), "syscall_%" PRId64, json_get_int(e, "nr"));
		name = nrbuf;
	}
	json_object_set_new(args, "ret", ret ? json_incref(ret) : json_null());
	json_object_set_new(args, "args", sargs ? json_incref(sargs) : json_array());
	add(p, 'X', 0, pid, tid, t, dur, "syscall", xstrdup(name), args);
	if (layout_syscall(name)) {
		if (!call_failed(json_is_integer(ret), json_integer_value(ret))) {
			args = json_object();
			json_object_set_new(args, "syscall", json_string(name));
			json_object_set_new(args, "args", sargs ? json_incref(sargs) : json_array());
			json_object_set_new(args, "ret", ret ? json_incref(ret) : json_null());
			if (json_is_integer(ret) && json_integer_value(ret) >= 0)
				json_object_set_new(args, "ret_hex", json_hex((uint64_t)json_integer_value(ret)));
			/* at the return: that is when the layout changed */
			add(p, 'i', 't', pid, tid, t + dur, 0, "layout", xasprintf("layout: %s", name), args);
		}
	}
}

static void maps_ev(struct pf *p, const json_t *e, int64_t pid, uint64_t t)
{
	const char *at = json_get_str(e, "at");
	json_t *args = json_object(), *list = json_array(), *m;
	size_t i;

	json_array_foreach(json_object_get(e, "entries"), i, m) {
		const char *path = json_get_str(m, "path");

		json_array_append_new(list, json_sprintf("%s-%s %s%s%s", json_get_str(m, "start") ? json_get_str(m, "start") : "?",
							 json_get_str(m, "end") ? json_get_str(m, "end") : "?", json_get_str(m, "perms") ? json_get_str(m, "perms") : "?",
							 path && *path ? " " : "", path ? path : ""));
	}
	set_str_if(args, "at", at);
	json_object_set_new(args, "mappings", json_integer((json_int_t)json_array_size(list)));
	json_object_set_new(args, "entries", list);
	add(p, 'i', 'p', pid, pid, t, 0, "layout", xasprintf("maps snapshot at %s", at ? at : "?"), args);
}

/* The first frame of the crashing thread in the program itself (for Go, outside the runtime), as the
 * report's crash section names it; used for the crash events the report did not pick. */
static const char *own_function(const struct pf *p, const json_t *e)
{
	const char *binary = json_string_value(json_object_get(p->r->bin, "path"));
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(json_array_get(json_object_get(e, "backtrace"), 0), "frames"), i, f) {
		const char *sym = json_get_str(f, "symbol"), *mod = json_get_str(f, "module");

		if (!sym || (binary && mod && strcmp(mod, binary) != 0))
			continue;
		if (p->r->is_go && (strncmp(sym, "runtime.", 8) == 0 || strncmp(sym, "runtime/", 8) == 0))
			continue;
		return sym;
	}
	return NULL;
}

static void crash_ev(struct pf *p, const json_t *e, int64_t pid, int64_t tid, uint64_t t)
{
	const struct rt_crash *c = p->r->crash;
	const char *kind = json_get_str(e, "kind"), *fatal = json_get_str(e, "function");
	bool located = c && pid == p->root && c->t == t && c->tid == tid;
	json_t *args = json_object();
	char *sig = json_is_integer(json_object_get(e, "signo")) ? sig_name(json_get_str(e, "name"), json_get_int(e, "signo")) : NULL;
	const char *function = located ? c->function : own_function(p, e);

	set_str_if(args, "kind", kind);
	set_str_if(args, "phase", located ? c->phase : json_get_str(e, "phase"));
	set_str_if(args, "package", located ? c->package : json_get_str(e, "package"));
	set_str_if(args, "signal", sig);
	set_if(args, "signo", json_object_get(e, "signo"));
	set_if(args, "code", json_object_get(e, "code"));
	set_if(args, "addr", json_object_get(e, "addr"));
	set_str_if(args, "function", function);
	set_str_if(args, "fatal_function", fatal);
	if (located)
		set_str_if(args, "panic", c->panic);
	add(p, 'i', 't', pid, tid, t, 0, "crash", xasprintf("crash: %s", sig ? sig : fatal ? fatal : kind ? kind : "?"), args);
	free(sig);
}

/* Every event of the trace but the header and footer. */
static void events(struct pf *p)
{
	const struct rt_loaded_trace *t = p->r->trace;

	for (size_t k = 0; k < t->nev; k++) {
		const struct rt_event *ev = &t->ev[k];
		const json_t *e = ev->obj;
		bool has_pid = ev->has_pid;
		int64_t pid = has_pid ? ev->pid : p->root;
		int64_t tid = ev->has_tid ? ev->tid : pid;
		uint64_t ts = ev->t;
		json_t *args;

		if (ev->type == RT_ET_SYSCALL && !e) {
			compact_syscall_ev(p, ev, pid, tid);
		} else if (ev->type == RT_ET_SYSCALL) {
			syscall_ev(p, e, pid, tid, ts);
		} else if (ev->type == RT_ET_PROBE) {
			args = json_object();
			set_if(args, "addr", json_object_get(e, "addr"));
			set_if(args, "role", json_object_get(e, "role"));
			set_if(args, "package", json_object_get(e, "package"));
			add(p, 'i', 't', pid, tid, ts, 0, "probe", xstrdup(json_get_str(e, "symbol") ? json_get_str(e, "symbol") : "probe"), args);
		} else if (ev->type == RT_ET_MAPS) {
			maps_ev(p, e, pid, ts);
		} else if (ev->type == RT_ET_CLONE) {
			int64_t child = json_get_int(e, "child");
			const char *kind = json_get_str(e, "kind");
			bool thread = kind && strcmp(kind, "thread") == 0;

			args = json_object();
			set_if(args, "child", json_object_get(e, "child"));
			set_str_if(args, "kind", kind);
			add(p, 'i', 't', pid, tid, ts, 0, "process", xasprintf("clone: %s %" PRId64, kind ? kind : "?", child), args);
			if (json_is_integer(json_object_get(e, "child"))) {
				const char *parent = proc_get(p, pid)->path;
				struct pf_proc *np;

				thread_seen(p, thread ? pid : child, child);
				/* a forked child runs its parent's program until it execs */
				if (!thread && !(np = proc_get(p, child))->path)
					np->path = parent;
			}
		} else if (ev->type == RT_ET_EXEC || ev->type == RT_ET_ATTACH) {
			args = json_object();
			set_if(args, "path", json_object_get(e, "path"));
			set_if(args, "threads", json_object_get(e, "threads"));
			add(p, 'i', 't', pid, tid, ts, 0, "process", xstrdup(json_get_str(e, "type")), args);
			if (json_get_str(e, "path"))
				proc_get(p, pid)->path = json_get_str(e, "path");
		} else if (ev->type == RT_ET_SIGNAL) {
			args = json_object();
			set_if(args, "signo", json_object_get(e, "signo"));
			set_if(args, "code", json_object_get(e, "code"));
			set_if(args, "addr", json_object_get(e, "addr"));
			add(p, 'i', 't', pid, tid, ts, 0, "signal", sig_name(json_get_str(e, "name"), json_get_int(e, "signo")), args);
		} else if (ev->type == RT_ET_CRASH) {
			crash_ev(p, e, pid, tid, ts);
		} else if (ev->type == RT_ET_STDERR) {
			args = json_object();
			set_if(args, "tail", json_object_get(e, "tail"));
			add(p, 'i', 'p', pid, pid, ts, 0, "process", xstrdup("stderr tail"), args);
		} else if (ev->type == RT_ET_EXIT) {
			args = json_object();
			set_if(args, "status", json_object_get(e, "status"));
			set_if(args, "signal", json_object_get(e, "signal"));
			add(p, 'i', 'p', pid, pid, ts, 0, "process", xstrdup("exit"), args);
		} else if (has_pid) {
			/* a type this renderer does not know (engine-specific): still a mark on its thread */
			add(p, 'i', 't', pid, tid, ts, 0, "other", xstrdup(json_get_str(e, "type")), NULL);
		}
	}
}

/* The trace's own state: lost events, no footer, a footer saying incomplete. At the end of the trace:
 * where they happened is not recorded. */
static void trace_state(struct pf *p)
{
	const struct rt_report *r = p->r;
	json_t *args;

	if (r->lost) {
		args = json_object();
		json_object_set_new(args, "lost", json_integer((json_int_t)r->lost));
		add(p, 'i', 'g', p->root, p->root, r->t_end, 0, "trace", xasprintf("%" PRIu64 " events lost", r->lost), args);
	}
	if (!r->trace->footer) {
		args = json_object();
		json_object_set_new(args, "events", json_integer((json_int_t)r->trace->nev));
		if (r->trace->cut)
			json_object_set_new(args, "cut", json_string(r->trace->cut));
		add(p, 'i', 'g', p->root, p->root, r->t_end, 0, "trace", xstrdup("partial trace: no footer"), args);
	} else if (!r->complete) {
		add(p, 'i', 'g', p->root, p->root, r->t_end, 0, "trace", xstrdup("incomplete trace: the tracer stopped early"), NULL);
	}
}

static int cmp_track(const void *a, const void *b)
{
	const struct pf_ev *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_time(const void *a, const void *b)
{
	const struct pf_ev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Per track, in time order, with a stack of the slices still open: a slice that would end after the
 * innermost open one is cut at its end, so slices only ever nest. */
static void nest(struct pf *p)
{
	uint64_t *open = NULL;
	size_t nopen = 0, cap = 0;

	qsort(p->ev, p->nev, sizeof(*p->ev), cmp_track);
	for (size_t i = 0; i < p->nev; i++) {
		struct pf_ev *e = &p->ev[i];

		if (i == 0 || e->pid != p->ev[i - 1].pid || e->tid != p->ev[i - 1].tid)
			nopen = 0;
		if (e->ph != 'X')
			continue;
		while (nopen && open[nopen - 1] <= e->ts)
			nopen--;
		if (nopen && e->ts + e->dur > open[nopen - 1])
			e->dur = open[nopen - 1] - e->ts;
		open = xgrow(open, &cap, nopen + 1, sizeof(*open));
		open[nopen++] = e->ts + e->dur;
	}
	free(open);
	qsort(p->ev, p->nev, sizeof(*p->ev), cmp_time);
}

/* ns as microseconds, exactly: "1234.567" */
static void put_us(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static void put_meta(FILE *f, bool *first, const char *what, int64_t pid, int64_t tid, const char *name, int64_t sort)
{
	fprintf(f, "%s\n{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"args\":{", *first ? "" : ",",
		what, pid, tid);
	if (name) {
		fputs("\"name\":", f);
		json_put_str(f, name);
	} else {
		fprintf(f, "\"sort_index\":%" PRId64, sort);
	}
	fputs("}}", f);
	*first = false;
}

static void put_metadata(struct pf *p, FILE *f, bool *first)
{
	const json_t *bin = p->r->bin;

	for (size_t i = 0; i < p->nproc; i++) {
		const struct pf_proc *pr = &p->proc[i];
		const char *path = pr->path ? pr->path : pr->pid == p->root ? json_get_str(bin, "path") : NULL;
		const char *base = path && strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		char *name = xasprintf("%s (%" PRId64 ")", base && *base ? base : "process", pr->pid);

		put_meta(f, first, "process_name", pr->pid, pr->pid, name, 0);
		put_meta(f, first, "process_sort_index", pr->pid, pr->pid, NULL, (int64_t)i);
		free(name);
	}
	put_meta(f, first, "thread_name", p->root, PHASES_TID, "startup phases", 0);
	put_meta(f, first, "thread_sort_index", p->root, PHASES_TID, NULL, -1);
	for (size_t k = 0; tree_shown(p->r) && k < p->r->nprocs; k++)
		if (p->r->procs[k].nphases && p->r->procs[k].pid != p->root) {
			put_meta(f, first, "thread_name", p->r->procs[k].pid, PHASES_TID, "phases", 0);
			put_meta(f, first, "thread_sort_index", p->r->procs[k].pid, PHASES_TID, NULL, -1);
		}
	if (tree_shown(p->r) && p->r->npath) {
		put_meta(f, first, "process_name", PATH_PID, PATH_PID, "critical path", 0);
		put_meta(f, first, "process_sort_index", PATH_PID, PATH_PID, NULL, -1);
		put_meta(f, first, "thread_name", PATH_PID, PATH_PID, "critical path", 0);
	}
	for (size_t i = 0; i < p->nthr; i++) {
		const struct pf_thread *t = &p->thr[i];
		char *name = t->tid == t->pid ? xstrdup("main") : xasprintf("thread %" PRId64, t->tid);

		put_meta(f, first, "thread_name", t->pid, t->tid, name, 0);
		put_meta(f, first, "thread_sort_index", t->pid, t->tid, NULL, t->tid == t->pid ? 0 : (int64_t)i + 1);
		free(name);
	}
}

int rt_render_perfetto(const struct rt_report *r, FILE *f)
{
	const struct rt_loaded_trace *t = r->trace;
	const json_t *bin = r->bin;
	struct pf p = { .r = r, .root = r->pid };
	bool first = true;
	int rc = 0;

	/* the analysed process (the root, or the selected program's); in a trace without exec or attach,
	 * the first process seen */
	for (size_t k = 0; k < t->nev && p.root < 0; k++)
		if (t->ev[k].has_pid)
			p.root = t->ev[k].pid;
	if (p.root < 0)
		p.root = 0;
	thread_seen(&p, p.root, p.root);

	phases(&p);
	proc_phases(&p);
	critical_path(&p);
	events(&p);
	trace_state(&p);
	nest(&p);

	fputs("{\"traceEvents\":[", f);
	put_metadata(&p, f, &first);
	for (size_t i = 0; i < p.nev; i++) {
		const struct pf_ev *e = &p.ev[i];

		fprintf(f, "%s\n{\"name\":", first ? "" : ",");
		first = false;
		json_put_str(f, e->name ? e->name : e->sys->name);
		fprintf(f, ",\"cat\":\"%s\",\"ph\":\"%c\",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":", e->cat, e->ph, e->pid,
			e->tid);
		put_us(f, e->ts);
		if (e->ph == 'X') {
			fputs(",\"dur\":", f);
			put_us(f, e->dur);
		} else {
			fprintf(f, ",\"s\":\"%c\"", e->scope);
		}
		if (e->sys_args) {
			fputs(",\"args\":", f);
			put_sys_args(f, e->sys, e->sys_args);
		} else if (e->args) {
			fputs(",\"args\":", f);
			if (json_dumpf(e->args, f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
				rc = -1;
		}
		fputc('}', f);
	}
	fputs("\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{", f);
	fputs("\"producer\":\"rt0trace " RT0_VERSION "\",\"binary\":", f);
	json_put_str(f, json_get_str(bin, "path") ? json_get_str(bin, "path") : "");
	fputs(",\"engine\":", f);
	json_put_str(f, r->engine ? r->engine : "");
	fprintf(f, ",\"t0_ns\":%" PRIu64 ",\"complete\":%s,\"lost\":%" PRIu64 "}}\n", r->t0,
		r->complete ? "true" : "false", r->lost);

	for (size_t i = 0; i < p.nev; i++) {
		free(p.ev[i].name);
		json_decref(p.ev[i].args);
	}
	free(p.ev);
	free(p.thr);
	free(p.proc);
	return rc == 0 && !ferror(f) ? 0 : -1;
}
