/* report/otlp: the report as OTLP/JSON (see otlp.h; the mapping is docs/formats.md "OTLP"). */
#include "report/otlp.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/json.h"
#include "common/sha256.h"
#include "common/traceparent.h"
#include "common/xalloc.h"

/* OTLP's Span.SpanKind and Status.StatusCode */
#define SPAN_KIND_INTERNAL 1
#define STATUS_CODE_ERROR 2

struct ox {
	const struct rt_report *r;
	char trace_id[33];
	char root_id[17];
	const char *parent_id;  /* TRACEPARENT's span, or NULL */
	uint64_t anchor;        /* Unix-epoch ns at t0 */
	json_t *spans;
};

/* ---- attributes: {"key", "value": {stringValue | intValue (a string) | boolValue | doubleValue |
 * arrayValue}} ---- */

static void attr(json_t *attrs, const char *key, json_t *value)
{
	json_array_append_new(attrs, json_pack("{s:s,s:o}", "key", key, "value", value));
}

static json_t *v_str(const char *s)
{
	return json_pack("{s:s}", "stringValue", s);
}

static json_t *v_int(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_pack("{s:s}", "intValue", buf);
}

static void attr_str(json_t *a, const char *key, const char *s)
{
	if (s)
		attr(a, key, v_str(s));
}

static void attr_int(json_t *a, const char *key, int64_t v)
{
	attr(a, key, v_int(v));
}

static void attr_bool(json_t *a, const char *key, bool v)
{
	attr(a, key, json_pack("{s:b}", "boolValue", v));
}

/* an arrayValue of the values in `vals` (stolen) */
static void attr_array(json_t *a, const char *key, json_t *vals)
{
	attr(a, key, json_pack("{s:{s:o}}", "arrayValue", "values", vals));
}

/* ---- IDs and times ---- */

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* n bytes of SHA-256(parts joined by '\n') as hex; never all zero (OTLP's invalid ID) */
static void derive_id(const char *const *parts, size_t nparts, size_t n, char *out)
{
	struct sha256 s;
	uint8_t h[32];
	bool nz = false;

	sha256_init(&s);
	for (size_t i = 0; i < nparts; i++) {
		sha256_update(&s, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) : 0);
		sha256_update(&s, "\n", 1);
	}
	sha256_final(&s, h);
	for (size_t i = 0; i < n; i++)
		nz = nz || h[i];
	if (!nz)
		h[n - 1] = 1;
	hex(h, n, out);
}

static void span_id(const struct ox *x, const char *key, char out[17])
{
	const char *parts[] = { "rt0trace span", x->trace_id, x->r->program, key };

	derive_id(parts, 4, 8, out);
}

/* The trace's last moment: its last event's end. */
static uint64_t trace_end(const struct rt_loaded_trace *t, uint64_t t0)
{
	uint64_t end = t0;

	for (size_t i = 0; i < t->nev; i++)
		if (t->ev[i].t + t->ev[i].dur > end)
			end = t->ev[i].t + t->ev[i].dur;
	return end;
}

/* Unix-epoch ns at t0: the header's "realtime_ns"; for a trace without it (written before rt0trace
 * recorded it), the trace file's modification time taken as the trace's end (standard input that is not
 * a regular file: now). */
static uint64_t anchor_of(const struct rt_report *r)
{
	const json_t *rt = json_object_get(r->trace->header, "realtime_ns");
	uint64_t end_ns, span = trace_end(r->trace, r->t0) - r->t0;
	struct stat st;
	int ok;

	if (json_is_integer(rt) && json_integer_value(rt) > 0)
		return (uint64_t)json_integer_value(rt);
	ok = strcmp(r->trace->path, "-") == 0 ? fstat(0, &st) : stat(r->trace->path, &st);
	if (ok == 0 && S_ISREG(st.st_mode)) {
		end_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	} else {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		end_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	}
	return end_ns > span ? end_ns - span : 0;
}

static json_t *unix_ns(const struct ox *x, uint64_t t)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, x->anchor + (t > x->r->t0 ? t - x->r->t0 : 0));
	return json_string(buf);
}

/* A span (its attributes to fill): end held at or after start. */
static json_t *span_new(struct ox *x, const char *id, const char *parent, const char *name, uint64_t start,
			uint64_t end, json_t **attrs)
{
	json_t *s = json_object();

	json_object_set_new(s, "traceId", json_string(x->trace_id));
	json_object_set_new(s, "spanId", json_string(id));
	if (parent)
		json_object_set_new(s, "parentSpanId", json_string(parent));
	json_object_set_new(s, "name", json_string(name));
	json_object_set_new(s, "kind", json_integer(SPAN_KIND_INTERNAL));
	json_object_set_new(s, "startTimeUnixNano", unix_ns(x, start));
	json_object_set_new(s, "endTimeUnixNano", unix_ns(x, end > start ? end : start));
	*attrs = json_array();
	json_object_set_new(s, "attributes", *attrs);
	json_array_append_new(x->spans, s);
	return s;
}

static json_t *event_new(json_t *span, const struct ox *x, const char *name, uint64_t t, json_t **attrs)
{
	json_t *evs = json_object_get(span, "events"), *e = json_object();

	if (!evs) {
		evs = json_array();
		json_object_set_new(span, "events", evs);
	}
	json_object_set_new(e, "timeUnixNano", unix_ns(x, t));
	json_object_set_new(e, "name", json_string(name));
	*attrs = json_array();
	json_object_set_new(e, "attributes", *attrs);
	json_array_append_new(evs, e);
	return e;
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;

	return s ? s + 1 : p;
}

/* ---- the resource ---- */

static const struct rt_proc *proc_of(const struct rt_report *r, int64_t pid)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

/* The program's path: its binary's, else its process's exec, else the header's argv[0]. */
static const char *program_path(const struct rt_report *r)
{
	const struct rt_proc *p = proc_of(r, r->pid);
	const char *path = json_get_str(r->bin, "path");

	if (!path && r->program)
		path = r->program;
	if (!path && p)
		path = p->exe;
	if (!path)
		path = json_string_value(json_array_get(json_object_get(r->trace->header, "argv"), 0));
	return path;
}

static json_t *resource(const struct ox *x, const struct rt_otlp_opts *o)
{
	const struct rt_report *r = x->r;
	const json_t *h = r->trace->header, *argv = json_object_get(h, "argv"), *c = r->container_info;
	const char *path = program_path(r), *svc = o ? o->service_name : NULL, *gov = json_get_str(r->bin, "go_version");
	const struct rt_proc *p = proc_of(r, r->pid);
	json_t *a = json_array();

	if (!svc || !*svc)
		svc = getenv("OTEL_SERVICE_NAME");
	if (!svc || !*svc)
		svc = path && *base_name(path) ? base_name(path) : "unknown_service";
	attr_str(a, "service.name", svc);
	if (r->pid >= 0)
		attr_int(a, "process.pid", r->pid);
	if (p && p->ppid >= 0)
		attr_int(a, "process.parent_pid", p->ppid);
	attr_str(a, "process.executable.path", path);
	attr_str(a, "process.executable.name", base_name(path));
	if (!r->program && json_is_array(argv) && json_array_size(argv)) {
		json_t *vals = json_array(), *v;
		size_t i;

		json_array_foreach(argv, i, v)
			json_array_append_new(vals, v_str(json_is_string(v) ? json_string_value(v) : ""));
		attr_array(a, "process.command_args", vals);
	}
	if (gov) {
		attr_str(a, "process.runtime.name", "go");
		attr_str(a, "process.runtime.version", gov);
		attr_str(a, "rt0trace.go.build_id", json_get_str(r->bin, "build_id"));
	}
	attr_str(a, "host.arch", json_get_str(r->bin, "arch"));
	if (json_is_object(c)) {
		const char *image = json_get_str(c, "image");

		attr_str(a, "container.id", json_get_str(c, "id"));
		if (image) {
			/* name[:tag][@digest]: the tag is after the last ':' past the last '/' */
			const char *slash = strrchr(image, '/'), *at = strchr(image, '@');
			size_t len = at ? (size_t)(at - image) : strlen(image);
			const char *colon = NULL;

			for (const char *q = slash ? slash : image; q < image + len; q++)
				if (*q == ':')
					colon = q;
			if (colon) {
				char *name = xstrndup(image, (size_t)(colon - image)), *tag = xstrndup(colon + 1, len - (size_t)(colon - image) - 1);

				attr_str(a, "container.image.name", name);
				attr_array(a, "container.image.tags", json_pack("[o]", v_str(tag)));
				free(name);
				free(tag);
			} else {
				char *name = xstrndup(image, len);

				attr_str(a, "container.image.name", name);
				free(name);
			}
			if (at)
				attr_array(a, "container.image.repo_digests", json_pack("[o]", v_str(image)));
		}
	}
	attr_str(a, "rt0trace.engine", r->engine);
	return json_pack("{s:o}", "attributes", a);
}

/* ---- spans ---- */

static const char *phase_kind(const char *name)
{
	if (strcmp(name, "exec") == 0)
		return "exec";
	if (strncmp(name, "init ", 5) == 0)
		return "package-init";
	if (strcmp(name, "main.main") == 0 || strcmp(name, "main") == 0)
		return "main";
	return "runtime";
}

static void crash_event(struct ox *x, json_t *span)
{
	const struct rt_crash *c = x->r->crash;
	json_t *a;

	event_new(span, x, "exception", c->t, &a);
	attr_str(a, "exception.type", c->signal ? c->signal : "panic");
	attr_str(a, "exception.message", c->panic ? c->panic : c->signal ? c->signal : "panic");
	attr_str(a, "rt0trace.crash.kind", c->kind);
	attr_str(a, "rt0trace.crash.phase", c->phase);
	attr_str(a, "rt0trace.crash.package", c->package);
	attr_str(a, "rt0trace.crash.function", c->function);
	attr_str(a, "rt0trace.crash.fatal_function", c->fatal);
	if (c->signal && c->siginfo)
		attr_str(a, "rt0trace.crash.addr", c->addr);
}

static void phase_spans(struct ox *x, const char *parent)
{
	const struct rt_report *r = x->r;
	size_t crash_phase = r->crash && r->nphases ? rt_phase_index(r, r->crash->t) : SIZE_MAX;

	for (size_t i = 0; i < r->nphases; i++) {
		const struct rt_phase_row *p = &r->phases[i];
		json_t *a, *names = json_array(), *counts = json_array(), *s;
		char key[32], id[17];

		snprintf(key, sizeof(key), "phase %zu", i);
		span_id(x, key, id);
		s = span_new(x, id, parent, p->name, p->start, p->end, &a);
		attr_str(a, "rt0trace.phase.kind", phase_kind(p->name));
		if (strncmp(p->name, "init ", 5) == 0)
			attr_str(a, "rt0trace.go.package", p->name + 5);
		attr_int(a, "rt0trace.phase.index", (int64_t)i);
		attr_int(a, "rt0trace.phase.start_ns", (int64_t)(p->start - r->t0));
		attr_int(a, "rt0trace.phase.dur_ns", (int64_t)(p->end - p->start));
		attr_int(a, "rt0trace.phase.syscalls", (int64_t)p->syscalls);
		attr_int(a, "rt0trace.phase.syscall_ns", (int64_t)p->sys_ns);
		for (size_t k = 0; k < p->nstats; k++) {
			json_array_append_new(names, v_str(p->stats[k].name));
			json_array_append_new(counts, v_int((int64_t)p->stats[k].count));
		}
		attr_array(a, "rt0trace.phase.syscall.names", names);
		attr_array(a, "rt0trace.phase.syscall.counts", counts);
		if (p->sched) {
			attr_int(a, "rt0trace.phase.cpu_ns", (int64_t)p->cpu_ns);
			attr_int(a, "rt0trace.phase.wait_ns", (int64_t)p->wait_ns);
		}
		if (p->stops) {
			attr_int(a, "rt0trace.phase.stopped_ns", (int64_t)p->stopped_ns);
			attr_int(a, "rt0trace.phase.net_ns", (int64_t)(p->end - p->start - p->tracer_ns));
		}
		if (r->decoded) {
			static const char *const keys[RT_TOUCH_KINDS] = { "rt0trace.phase.files", "rt0trace.phase.lookups",
									  "rt0trace.phase.sockets", "rt0trace.phase.execs" };

			for (int k = 0; k < RT_TOUCH_KINDS; k++)
				attr_int(a, keys[k], (int64_t)(p->touched[k].n + p->touched[k].more));
		}
		if (i == crash_phase)
			crash_event(x, s);
	}
}

/* The processes' spans (only for a trace of several); the span id of the analysed process's in `pid_id`
 * (unchanged when it has none). */
static void process_spans(struct ox *x, char pid_id[17])
{
	const struct rt_report *r = x->r;
	char (*ids)[17] = xcalloc(r->nprocs, sizeof(*ids));

	for (size_t i = 0; i < r->nprocs; i++) {
		const struct rt_proc *p = &r->procs[i];
		char key[64], name[300];
		json_t *a, *execs = json_array();

		snprintf(key, sizeof(key), "process %" PRId64 " %" PRIu64, p->pid, p->start);
		span_id(x, key, ids[i]);
		snprintf(name, sizeof(name), "process %s", p->comm ? p->comm : "?");
		/* procs are in start order: a parent's span id is known before its children's */
		span_new(x, ids[i], p->parent < i ? ids[p->parent] : x->root_id, name, p->start < r->t0 ? r->t0 : p->start,
			 p->end, &a);
		attr_int(a, "process.pid", p->pid);
		if (p->ppid >= 0)
			attr_int(a, "process.parent_pid", p->ppid);
		attr_str(a, "process.executable.path", p->exe);
		attr_str(a, "process.executable.name", p->comm);
		attr_bool(a, "rt0trace.process.exited", p->exited);
		attr_bool(a, "rt0trace.process.container", p->container);
		attr_int(a, "rt0trace.process.syscalls", (int64_t)p->syscalls);
		attr_int(a, "rt0trace.process.syscall_ns", (int64_t)p->sys_ns);
		for (size_t k = 0; k < p->nexecs; k++)
			json_array_append_new(execs, v_str(p->execs[k].path ? p->execs[k].path : "?"));
		attr_array(a, "rt0trace.process.execs", execs);
		if (p->pid == r->pid)
			memcpy(pid_id, ids[i], 17);
	}
	free(ids);
}

static void root_span(struct ox *x)
{
	const struct rt_report *r = x->r;
	json_t *a, *s, *ea;
	int failed = 0, unobserved = 0;
	char *names = NULL;

	s = span_new(x, x->root_id, x->parent_id, "startup", r->t0, r->t_end, &a);
	attr_str(a, "rt0trace.engine", r->engine);
	if (r->program)
		attr_str(a, "rt0trace.program", r->program);
	attr_bool(a, "rt0trace.complete", r->complete);
	attr_bool(a, "rt0trace.partial", !r->complete || r->trace->cut);
	attr_bool(a, "rt0trace.attached", r->attached);
	attr_int(a, "rt0trace.lost", (int64_t)r->lost);
	attr_int(a, "rt0trace.syscalls", (int64_t)r->nsyscalls);
	if (r->syscall_filter)
		attr_str(a, "rt0trace.syscall_filter", r->syscall_filter);
	if (r->main_at)
		attr_int(a, "rt0trace.main_ns", (int64_t)(r->main_at - r->t0));
	if (r->observed.n || r->placed.n)
		attr_bool(a, "rt0trace.init_order.match", r->init_match);
	if (r->exited && r->exit_status >= 0)
		attr_int(a, "rt0trace.exit.status", r->exit_status);
	if (r->exited && r->exit_signal >= 0)
		attr_int(a, "rt0trace.exit.signal", r->exit_signal);
	if (r->rusage.valid) {
		attr_int(a, "rt0trace.rusage.utime_ns", (int64_t)r->rusage.utime_ns);
		attr_int(a, "rt0trace.rusage.stime_ns", (int64_t)r->rusage.stime_ns);
		attr_int(a, "rt0trace.rusage.minflt", (int64_t)r->rusage.minflt);
		attr_int(a, "rt0trace.rusage.majflt", (int64_t)r->rusage.majflt);
	}
	if (r->has_peak_rss)
		attr_int(a, "rt0trace.peak_rss_kb", (int64_t)r->peak_rss_kb);
	if (r->has_rss_main)
		attr_int(a, "rt0trace.rss_at_main_kb", (int64_t)r->rss_main_kb);
	if (r->notes.n) {
		json_t *v = json_array();

		for (size_t i = 0; i < r->notes.n; i++)
			json_array_append_new(v, v_str(r->notes.v[i]));
		attr_array(a, "rt0trace.notes", v);
	}
	for (size_t i = 0; i < r->nchecks; i++) {
		const struct rt_check *c = &r->checks[i];
		const char *status = c->unobserved ? "not observed" : c->ok ? "pass" : "fail";

		event_new(s, x, "rt0trace.check", r->t_end, &ea);
		attr_str(ea, "rt0trace.check.name", c->name);
		attr_str(ea, "rt0trace.check.status", status);
		attr_str(ea, "rt0trace.check.detail", c->detail);
		if (c->unobserved) {
			unobserved++;
		} else if (!c->ok) {
			char *n = names ? xasprintf("%s, %s", names, c->name) : xstrdup(c->name);

			free(names);
			names = n;
			failed++;
		}
	}
	attr_int(a, "rt0trace.checks.failed", failed);
	attr_int(a, "rt0trace.checks.not_observed", unobserved);
	if (failed) {
		char *msg = xasprintf("check%s failed: %s", failed > 1 ? "s" : "", names);

		json_object_set_new(s, "status", json_pack("{s:i,s:s}", "code", STATUS_CODE_ERROR, "message", msg));
		free(msg);
	}
	free(names);
}

json_t *rt_otlp_json(const struct rt_report *r, const struct rt_otlp_opts *o)
{
	struct ox x = { .r = r, .spans = json_array() };
	struct rt_traceparent tp;
	const char *tps = json_get_str(r->trace->header, "traceparent");
	char pid_id[17], *hdr;
	json_t *scope;

	if (tps && rt_traceparent_parse(tps, &tp)) {
		memcpy(x.trace_id, tp.trace_id, sizeof(x.trace_id));
		x.parent_id = tp.span_id;
	} else {
		/* the header names the startup: its program, its binary, its t0 on this boot */
		const char *parts[2] = { "rt0trace trace", NULL };

		hdr = json_dumps(r->trace->header, JSON_COMPACT | JSON_SORT_KEYS);
		parts[1] = hdr;
		derive_id(parts, 2, 16, x.trace_id);
		free(hdr);
	}
	x.anchor = anchor_of(r);
	span_id(&x, "startup", x.root_id);
	root_span(&x);
	memcpy(pid_id, x.root_id, sizeof(pid_id));
	if (r->nprocs > 1)
		process_spans(&x, pid_id);
	phase_spans(&x, pid_id);
	scope = json_pack("{s:{s:s,s:s},s:o}", "scope", "name", "rt0trace", "version", RT0_VERSION, "spans", x.spans);
	return json_pack("{s:[{s:o,s:[o]}]}", "resourceSpans", "resource", resource(&x, o), "scopeSpans", scope);
}

int rt_render_otlp(const struct rt_report *r, FILE *out)
{
	json_t *o = rt_otlp_json(r, NULL);
	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	fputc('\n', out);
	json_decref(o);
	return rc == 0 && !ferror(out) ? 0 : -1;
}
