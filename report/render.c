/* report/render: the output formats, as a table of renderers. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/xalloc.h"
#include "report/otlp.h"
#include "report/report.h"

static void text_frames(const json_t *thread, bool crashed, FILE *f)
{
	const json_t *fr;
	size_t i;

	fprintf(f, "  thread %lld%s\n", (long long)json_integer_value(json_object_get(thread, "tid")), crashed ? " (crashed)" : "");
	json_array_foreach(json_object_get(thread, "frames"), i, fr) {
		const char *sym = json_string_value(json_object_get(fr, "symbol"));
		const char *mod = json_string_value(json_object_get(fr, "module"));
		const char *file = json_string_value(json_object_get(fr, "file"));
		const char *pc = json_string_value(json_object_get(fr, "pc"));
		const char *off = json_string_value(json_object_get(fr, "offset"));
		const char *base = mod && strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod;

		fprintf(f, "    #%-2zu %-14s %s", i, pc ? pc : "?", sym ? sym : "??");
		if (sym && off)
			fprintf(f, "+%s", off);
		if (file)
			fprintf(f, "  %s:%lld", file, (long long)json_integer_value(json_object_get(fr, "line")));
		else if (base)
			fprintf(f, "  (%s)", base);
		fputc('\n', f);
	}
}

static void text_crash(const struct rt_crash *c, FILE *f)
{
	const json_t *th, *v;
	const char *k;
	size_t i;
	int n = 0;

	fprintf(f, "\nCRASH in %s%s%s%s\n", c->phase ? c->phase : "?", c->package ? " (package " : "",
		c->package ? c->package : "", c->package ? ")" : "");
	fprintf(f, "  ");
	if (c->signal)
		if (c->siginfo)
			fprintf(f, "%s (code %d)%s%s", c->signal, c->code, c->addr ? " at " : "", c->addr ? c->addr : "");
		else
			fprintf(f, "%s (the exit status says so: no signal details recorded)", c->signal);
	else
		fprintf(f, "panic");
	if (c->function)
		fprintf(f, " in %s", c->function);
	if (c->fatal)
		fprintf(f, ", then %s", c->fatal);
	fputc('\n', f);
	if (c->panic) {
		for (const char *p = c->panic; *p;) {
			size_t len = strcspn(p, "\n");

			fprintf(f, "  %.*s\n", (int)len, p);
			p += len + (p[len] == '\n');
		}
	} else if (c->stderr_tail && *c->stderr_tail) {
		const char *p = c->stderr_tail + strlen(c->stderr_tail);
		int lines = 0;

		/* the last 5 lines the program wrote to stderr */
		while (p > c->stderr_tail && lines < 6)
			if (*--p == '\n')
				lines++;
		if (*p == '\n')
			p++;
		fprintf(f, "  stderr ended with:\n");
		while (*p) {
			size_t len = strcspn(p, "\n");

			fprintf(f, "    %.*s\n", (int)len, p);
			p += len + (p[len] == '\n');
		}
	}
	if (c->regs) {
		fprintf(f, "  registers (thread %d):", c->tid);
		json_object_foreach((json_t *)c->regs, k, v)
			fprintf(f, "%s %s %s", n++ % 6 == 0 ? "\n   " : "", k, json_is_string(v) ? json_string_value(v) : "?");
		fputc('\n', f);
	}
	json_array_foreach(c->backtrace, i, th)
		text_frames(th, i == 0, f);
}

/* One phase's line of what it touched, in time order, wrapped before column 120. */
static void text_touched_phase(const struct rt_phase_row *p, FILE *f)
{
	static const char *const what[RT_TOUCH_KINDS] = { "files", "lookups", "sockets", "execs" };
	size_t idx[RT_TOUCH_KINDS] = { 0 }, col;
	const char *sep = "";
	int k;

	col = (size_t)fprintf(f, "  %s:", p->name);
	while ((k = rt_touch_next(p, idx)) >= 0) {
		const struct rt_touch *t = &p->touched[k].v[idx[k]++];
		char *item = t->argv ? xasprintf("%s %s %.*s = %s", rt_touch_verb(k, t), t->what, (int)t->argv_len, t->argv, t->result)
				     : xasprintf("%s %s = %s", rt_touch_verb(k, t), t->what, t->result);
		size_t len = strlen(item);

		if (*sep && col + 2 + len > 118) {
			fputs(";\n   ", f);
			col = 3;
		} else {
			fputs(sep, f);
			col += strlen(sep);
		}
		fprintf(f, " %s", item);
		col += len + 1;
		sep = ";";
		free(item);
	}
	for (k = 0, sep = " ("; k < RT_TOUCH_KINDS; k++)
		if (p->touched[k].more) {
			fprintf(f, "%s%" PRIu64 " more %s", sep, p->touched[k].more, what[k]);
			sep = ", ";
		}
	fputs(strcmp(sep, ", ") == 0 ? ")\n" : "\n", f);
}

/* What each phase touched: files opened (open), looked up (stat, access, ...), sockets and programs
 * executed. Only for a trace whose syscalls were decoded; a phase that touched nothing has no line. */
static void text_touched(const struct rt_report *r, FILE *f)
{
	bool any = false;

	if (!r->decoded)
		return;
	fprintf(f, "\nfiles, sockets and programs per phase\n");
	for (size_t i = 0; i < r->nphases; i++) {
		const struct rt_phase_row *p = &r->phases[i];
		bool some = false;

		for (int k = 0; k < RT_TOUCH_KINDS; k++)
			some = some || p->touched[k].n;
		if (some)
			text_touched_phase(p, f);
		any = any || some;
	}
	if (!any)
		fprintf(f, "  none\n");
}

static int render_text(const struct rt_report *r, FILE *f)
{
	const json_t *bin = r->bin;
	const char *path = json_string_value(json_object_get(bin, "path"));
	const char *gov = json_string_value(json_object_get(bin, "go_version"));

	fprintf(f, "rt0trace report: %s\n", path ? path : "?");
	if (r->program)
		fprintf(f, "  process %lld, from its exec of %s\n", (long long)r->pid, r->program);
	fprintf(f, "  engine %s, %s%s, %" PRIu64 " syscalls%s%s%s, %.3f ms traced\n", r->engine ? r->engine : "?",
		gov ? "Go " : "not Go", gov ? gov : "", r->nsyscalls, r->syscall_filter ? " (only -e trace=" : "",
		r->syscall_filter ? r->syscall_filter : "", r->syscall_filter ? ")" : "", rt_ms(r->t_end - r->t0));
	if (r->trace->cut)
		fprintf(f, "  PARTIAL TRACE: %s; %s\n", r->trace->cut,
			r->trace->footer ? "footer present" : "no footer; what follows covers only what was recorded");
	else if (!r->complete)
		fprintf(f, "  PARTIAL TRACE: %s\n", r->trace->footer ? "the tracer stopped before the program ended"
								     : "no footer; what follows covers only what was recorded");
	for (size_t i = 0; i < r->notes.n; i++)
		fprintf(f, "  note: %s\n", r->notes.v[i]);
	if (r->crash)
		text_crash(r->crash, f);

	{
		uint64_t held = 0;
		bool stops = false;

		for (size_t i = 0; i < r->nphases; i++) {
			stops |= r->phases[i].stops;
			held += r->phases[i].tracer_ns;
		}
		fprintf(f, "\nphases%34s %11s %9s %12s %11s %12s%s\n", "start", "duration", "syscalls", "in syscalls", "on CPU",
			"CPU wait", stops ? "       tracer" : "");
		for (size_t i = 0; i < r->nphases; i++) {
			const struct rt_phase_row *p = &r->phases[i];

			fprintf(f, "  %-36.36s %+9.3f ms %8.3f ms %9" PRIu64 " %9.3f ms", p->name, rt_ms(p->start - r->t0),
				rt_ms(p->end - p->start - p->tracer_ns), p->syscalls, rt_ms(p->sys_ns));
			if (p->sched)
				fprintf(f, " %8.3f ms %9.3f ms", rt_ms(p->cpu_ns), rt_ms(p->wait_ns));
			else
				fprintf(f, " %11s %12s", "-", "-");
			if (p->stops)
				fprintf(f, " %9.3f ms", rt_ms(p->tracer_ns));
			else if (stops)
				fprintf(f, " %12s", "-");
			fputc('\n', f);
		}
		if (stops) {
			fprintf(f, "  (durations leave out the tracer's %.3f ms, column 'tracer': the time it held the program\n"
				   "   stopped, and beyond that %.1f us a stop, ", rt_ms(held), (double)r->stop_cost_ns / 1e3);
			if (r->stop_cost_from_run)
				fprintf(f, "as this run's emptiest phases show it (%.1f us\n   measured at start), %.1f us a "
					   "syscall stop; starts and --format json's dur_ns are as\n   recorded)\n",
					(double)r->stop_cost_start_ns / 1e3, (double)r->syscall_stop_cost_ns / 1e3);
			else
				fprintf(f, "%.1f us a syscall stop, measured at start;\n   starts and --format json's dur_ns "
					   "are as recorded)\n", (double)r->syscall_stop_cost_ns / 1e3);
		}
	}
	if (r->rusage.valid || r->has_rss_main || r->has_peak_rss) {
		fputs("\nresources", f);
		if (r->rusage.valid)
			fprintf(f, ": CPU %.3f ms user + %.3f ms system (all threads), page faults %" PRIu64 " minor + %" PRIu64
				   " major", rt_ms(r->rusage.utime_ns), rt_ms(r->rusage.stime_ns), r->rusage.minflt, r->rusage.majflt);
		if (r->has_peak_rss)
			fprintf(f, "%speak RSS %" PRIu64 " KiB", r->rusage.valid ? "; " : ": ", r->peak_rss_kb);
		if (r->has_rss_main)
			fprintf(f, "%sRSS %" PRIu64 " KiB at %s", r->rusage.valid || r->has_peak_rss ? "; " : ": ", r->rss_main_kb,
				r->layout_at ? r->layout_at : "main");
		fputc('\n', f);
	}

	fprintf(f, "\nsyscalls per phase\n");
	for (size_t i = 0; i < r->nphases; i++) {
		const struct rt_phase_row *p = &r->phases[i];

		if (!p->nstats)
			continue;
		fprintf(f, "  %s:", p->name);
		for (size_t k = 0; k < p->nstats; k++)
			fprintf(f, "%s %s %" PRIu64, k ? "," : "", p->stats[k].name, p->stats[k].count);
		fputc('\n', f);
	}
	text_touched(r, f);
	rt_proctree_text(r, f);
	if (r->container_info) {
		const char *id = json_get_str(r->container_info, "id"), *runtime = json_get_str(r->container_info, "runtime");

		fprintf(f, "\ncontainer %s", id ? id : "?");
		if (runtime)
			fprintf(f, " (%s)", runtime);
		fputc('\n', f);
		if (json_is_false(json_object_get(r->container_info, "observed_from_start")))
			fputs("  its start was not observed from its beginning (the agent began after the container was created)\n", f);
	}

	fprintf(f, "\nsyscalls (all threads)\n  %6s %11s %11s %7s  %s\n", "% time", "seconds", "usecs/call", "calls", "syscall");
	{
		uint64_t total = 0;

		for (size_t i = 0; i < r->nstats; i++)
			total += r->stats[i].time_ns;
		for (size_t i = 0; i < r->nstats; i++)
			fprintf(f, "  %6.2f %11.6f %11" PRIu64 " %7" PRIu64 "  %s\n",
				total ? 100.0 * (double)r->stats[i].time_ns / (double)total : 0.0, (double)r->stats[i].time_ns / 1e9,
				r->stats[i].time_ns / 1000 / (r->stats[i].count ? r->stats[i].count : 1), r->stats[i].count,
				r->stats[i].name);
		fprintf(f, "  %6s %11.6f %11s %7" PRIu64 "  total\n", "100.00", (double)total / 1e9, "", r->nsyscalls);
	}

	if (r->nlayout) {
		fprintf(f, "\nlayout at %s\n  %-33s %-5s %-10s %s\n", r->layout_at ? r->layout_at : "?", "range", "perms", "kind", "path");
		for (size_t i = 0; i < r->nlayout; i++)
			fprintf(f, "  %016" PRIx64 "-%016" PRIx64 " %-5s %-10s %s\n", r->layout[i].start, r->layout[i].end,
				r->layout[i].perms, r->layout[i].kind, r->layout[i].path ? r->layout[i].path : "");
	}

	if (r->placed_unknown && !r->placed.n && r->observed.n) {
		fprintf(f, "\ninit order (observed; the placed order is unknown: the binary is stripped)\n  %4s  %s\n", "#",
			"observed");
		for (size_t i = 0; i < r->observed.n; i++)
			fprintf(f, "  %4zu  %s\n", i + 1, r->observed.v[i]);
	} else if (r->observed.n || r->placed.n) {
		size_t n = r->observed.n > r->placed.n ? r->observed.n : r->placed.n;

		fprintf(f, "\ninit order (%s%s%s)\n  %4s  %-40s %s\n",
			r->init_unobserved ? "not observed by the " : r->init_match ? "observed = placed" : "OBSERVED DIFFERS FROM PLACED",
			r->init_unobserved ? (r->engine ? r->engine : "?") : "", r->init_unobserved ? " engine" : "", "#",
			"observed", "placed");
		for (size_t i = 0; i < n; i++) {
			const char *o = i < r->observed.n ? r->observed.v[i] : "-", *p = i < r->placed.n ? r->placed.v[i] : "-";

			fprintf(f, "  %4zu  %-40s %s%s\n", i + 1, o, p,
				strv_has(&r->unobserved, p) ? "   (not observed)" : strcmp(o, p) ? "   <-- differs" : "");
		}
	}

	fprintf(f, "\nchecks\n");
	for (size_t i = 0; i < r->nchecks; i++)
		fprintf(f, "  %s %s: %s\n", r->checks[i].unobserved ? "\u2013" : r->checks[i].ok ? "\u2713" : "\u2717",
			r->checks[i].name, r->checks[i].detail);
	if (r->exited)
		fprintf(f, "\nexit: %s %d\n", r->exit_signal >= 0 ? "killed by signal" : "status",
			r->exit_signal >= 0 ? r->exit_signal : r->exit_status);
	return ferror(f) ? -1 : 0;
}

static json_t *crash_json(const struct rt_crash *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "phase", json_str_or_null(c->phase));
	json_object_set_new(o, "package", json_str_or_null(c->package));
	json_object_set_new(o, "signal", json_str_or_null(c->signal));
	json_object_set_new(o, "panic", json_str_or_null(c->panic));
	json_object_set_new(o, "backtrace", c->backtrace ? json_deep_copy(c->backtrace) : json_array());
	json_object_set_new(o, "function", json_str_or_null(c->function));
	json_object_set_new(o, "kind", json_string(c->kind));
	json_object_set_new(o, "fatal_function", json_str_or_null(c->fatal));
	json_object_set_new(o, "signo", c->signal ? json_integer(c->signo) : json_null());
	json_object_set_new(o, "si_code", c->signal && c->siginfo ? json_integer(c->code) : json_null());
	json_object_set_new(o, "addr", json_str_or_null(c->addr));
	json_object_set_new(o, "tid", c->siginfo ? json_integer(c->tid) : json_null());
	/* true: no engine wrote a crash event; the process's exit by a crash signal says it crashed */
	json_object_set_new(o, "from_exit", json_boolean(c->derived));
	json_object_set_new(o, "registers", c->regs ? json_deep_copy(c->regs) : json_null());
	json_object_set_new(o, "stderr", json_str_or_null(c->stderr_tail));
	return o;
}

/* A phase row's lists of what it touched (only when the trace's syscalls were decoded): "files",
 * "lookups", "sockets", "execs", each entry {path or addr, result, syscall, t_ns, pid} (an exec's also
 * its argv), and "<list>_more" for those past the first RT_TOUCH_MAX. */
static void json_touched(json_t *row, const struct rt_phase_row *p, const struct rt_report *r)
{
	static const char *const keys[RT_TOUCH_KINDS] = { "files", "lookups", "sockets", "execs" };

	for (int k = 0; k < RT_TOUCH_KINDS; k++) {
		json_t *list = json_array();

		for (size_t i = 0; i < p->touched[k].n; i++) {
			const struct rt_touch *t = &p->touched[k].v[i];
			json_t *o = json_object();
			struct strv argv = STRV_INIT;

			json_object_set_new(o, k == RT_TOUCH_SOCKET ? "addr" : "path", json_string(t->what));
			if (k == RT_TOUCH_EXEC && rt_touch_argv(t, &argv))
				json_object_set_new(o, "argv", json_strv(&argv));
			strv_release(&argv);
			json_object_set_new(o, "result", json_string(t->result));
			json_object_set_new(o, "syscall", json_string(t->syscall));
			json_object_set_new(o, "t_ns", json_integer((json_int_t)(t->t - r->t0)));
			json_object_set_new(o, "pid", json_integer(t->pid));
			json_array_append_new(list, o);
		}
		json_object_set_new(row, keys[k], list);
		if (p->touched[k].more) {
			char key[32];

			snprintf(key, sizeof(key), "%s_more", keys[k]);
			json_object_set_new(row, key, json_integer((json_int_t)p->touched[k].more));
		}
	}
}

static int render_json(const struct rt_report *r, FILE *f)
{
	json_t *o = json_object(), *phases = json_array(), *io = json_object(), *checks = json_array();
	json_t *sys = json_object(), *layout = json_array(), *ex = json_object();
	int rc;

	json_object_set_new(o, "complete", json_boolean(r->complete));
	/* partial: no footer, or a footer saying incomplete, or a cut last line; cut: where (or null) */
	json_object_set_new(o, "partial", json_boolean(!r->complete || r->trace->cut));
	if (r->trace->cut) {
		json_t *cut = json_object();

		json_object_set_new(cut, "line", json_integer((json_int_t)r->trace->cut_line));
		json_object_set_new(cut, "byte", json_integer((json_int_t)r->trace->cut_byte));
		json_object_set_new(cut, "footer", json_boolean(r->trace->footer != NULL));
		json_object_set_new(cut, "reason", json_string(r->trace->cut));
		json_object_set_new(o, "cut", cut);
	} else {
		json_object_set_new(o, "cut", json_null());
	}
	json_object_set_new(o, "notes", json_strv(&r->notes));
	json_object_set_new(o, "lost", json_integer((json_int_t)r->lost));
	json_object_set_new(o, "attached", json_boolean(r->attached));
	json_object_set_new(o, "past_at_attach", json_strv(&r->past));
	json_object_set_new(o, "engine", json_str_or_null(r->engine));
	if (r->syscall_filter)
		json_object_set_new(o, "syscall_filter", json_string(r->syscall_filter));
	json_object_set_new(o, "binary", r->bin ? json_deep_copy(r->bin) : json_null());
	json_object_set_new(o, "pid", r->pid >= 0 ? json_integer((json_int_t)r->pid) : json_null());
	if (r->program)
		json_object_set_new(o, "program", json_string(r->program));
	for (size_t i = 0; i < r->nphases; i++) {
		json_t *p = json_object();

		json_object_set_new(p, "name", json_string(r->phases[i].name));
		json_object_set_new(p, "start_ns", json_integer((json_int_t)(r->phases[i].start - r->t0)));
		json_object_set_new(p, "dur_ns", json_integer((json_int_t)(r->phases[i].end - r->phases[i].start)));
		json_object_set_new(p, "syscalls", json_integer((json_int_t)r->phases[i].syscalls));
		json_object_set_new(p, "syscall_ns", json_integer((json_int_t)r->phases[i].sys_ns));
		if (r->phases[i].sched) {
			json_object_set_new(p, "cpu_ns", json_integer((json_int_t)r->phases[i].cpu_ns));
			json_object_set_new(p, "wait_ns", json_integer((json_int_t)r->phases[i].wait_ns));
		}
		if (r->phases[i].stops) { /* dur_ns stays the raw wall time; net_ns is without the tracer's part */
			json_object_set_new(p, "stopped_ns", json_integer((json_int_t)r->phases[i].stopped_ns));
			json_object_set_new(p, "stop_cost_ns", json_integer((json_int_t)r->phases[i].stop_cost_ns));
			json_object_set_new(p, "net_ns", json_integer((json_int_t)(r->phases[i].end - r->phases[i].start -
										r->phases[i].tracer_ns)));
		}
		if (r->decoded)
			json_touched(p, &r->phases[i], r);
		json_array_append_new(phases, p);
	}
	json_object_set_new(o, "phases", phases);
	if (r->rusage.valid) /* the footer's, as the engine wrote it (its members were checked) */
		json_object_set_new(o, "rusage", json_deep_copy(json_object_get(r->trace->footer, "rusage")));
	if (r->has_rss_main)
		json_object_set_new(o, "rss_at_main_kb", json_integer((json_int_t)r->rss_main_kb));
	if (r->has_peak_rss)
		json_object_set_new(o, "peak_rss_kb", json_integer((json_int_t)r->peak_rss_kb));
	json_object_set_new(io, "observed", json_strv(&r->observed));
	json_object_set_new(io, "placed", json_strv(&r->placed));
	json_object_set_new(io, "match", json_boolean(r->init_match));
	if (r->init_unobserved)
		json_object_set_new(io, "not_observed", json_true());
	if (r->placed_unknown && !r->placed.n)
		json_object_set_new(io, "placed_unknown", json_true());
	json_object_set_new(o, "not_observed", json_strv(&r->unobserved));
	json_object_set_new(o, "init_order", io);
	for (size_t i = 0; i < r->nchecks; i++) {
		json_t *c = json_object();

		json_object_set_new(c, "name", json_string(r->checks[i].name));
		json_object_set_new(c, "ok", json_boolean(r->checks[i].ok));
		json_object_set_new(c, "status", json_string(r->checks[i].unobserved ? "not observed"
								 : r->checks[i].ok ? "pass" : "fail"));
		json_object_set_new(c, "detail", json_string(r->checks[i].detail));
		json_array_append_new(checks, c);
	}
	json_object_set_new(o, "checks", checks);
	for (size_t i = 0; i < r->nstats; i++) {
		json_t *s = json_object();

		json_object_set_new(s, "count", json_integer((json_int_t)r->stats[i].count));
		json_object_set_new(s, "time_ns", json_integer((json_int_t)r->stats[i].time_ns));
		json_object_set_new(sys, r->stats[i].name, s);
	}
	json_object_set_new(o, "syscalls", sys);
	for (size_t i = 0; i < r->nlayout; i++) {
		json_t *l = json_object();

		json_object_set_new(l, "start", json_hex(r->layout[i].start));
		json_object_set_new(l, "end", json_hex(r->layout[i].end));
		json_object_set_new(l, "perms", json_string(r->layout[i].perms));
		json_object_set_new(l, "kind", json_string(r->layout[i].kind));
		json_object_set_new(l, "path", json_str_or_null(r->layout[i].path && *r->layout[i].path ? r->layout[i].path : NULL));
		json_array_append_new(layout, l);
	}
	json_object_set_new(o, "layout", layout);
	json_object_set_new(o, "layout_at", json_str_or_null(r->layout_at));
	json_object_set_new(o, "crash", r->crash ? crash_json(r->crash) : json_null());
	json_object_set_new(ex, "status", r->exited && r->exit_status >= 0 ? json_integer(r->exit_status) : json_null());
	json_object_set_new(ex, "signal", r->exited && r->exit_signal >= 0 ? json_integer(r->exit_signal) : json_null());
	json_object_set_new(o, "exit", ex);
	rt_proctree_json(r, o);
	if (r->container_info) { /* the agent's container: its event's members but the type, its time relative */
		json_t *cc = json_deep_copy(r->container_info);

		json_object_del(cc, "type");
		if (json_is_integer(json_object_get(cc, "t"))) /* the entrypoint's exec, as the processes' times */
			json_object_set_new(cc, "start_ns", json_integer(json_integer_value(json_object_get(cc, "t")) - (json_int_t)r->t0));
		json_object_del(cc, "t");
		json_object_set_new(o, "container", cc);
	}
	rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(o);
	return rc == 0 && !ferror(f) ? 0 : -1;
}

/* strace's output, one line per syscall as `strace -f -T` prints it with a time in front: the thread's
 * id (strace -f's pid column), the time since the trace's t0 in seconds, the call and its result as the
 * engine decoded them, and its duration. A syscall the engine did not decode (--raw, a syscall the decoder does not know) is
 * printed raw: name(six hex arguments) = the number it returned. With --program, that process's
 * syscalls of its image only; else every syscall of the trace. */
/* A syscall's raw args, comma-separated: a line of another shape (kept whole) as its args are written,
 * a compact one's register values in hex. */
static void put_raw_args(const struct rt_event *e, FILE *f)
{
	const json_t *v;
	size_t i;

	if (!e->obj) {
		for (unsigned k = 0; k < e->nargs; k++)
			fprintf(f, "%s%#" PRIx64, k ? ", " : "", e->args[k]);
		return;
	}
	json_array_foreach(json_object_get(e->obj, "args"), i, v)
		fprintf(f, "%s%s", i ? ", " : "", json_string_value(v) ? json_string_value(v) : "?");
}

static int render_strace(const struct rt_report *r, FILE *f)
{
	const struct rt_loaded_trace *t = r->trace;

	for (size_t k = 0; k < t->nev; k++) {
		const struct rt_event *e = &t->ev[k];
		const struct rt_decoded *d = e->dec;

		if (e->type != RT_ET_SYSCALL || !e->name || e->t < r->t0 || (r->program && (e->pid != r->pid || e->t >= r->t_end)))
			continue;
		fprintf(f, "%-6d %3" PRIu64 ".%06" PRIu64 " ", e->has_tid ? e->tid : e->pid, (e->t - r->t0) / 1000000000,
			(e->t - r->t0) / 1000 % 1000000);
		if (d && d->call && d->result) {
			fprintf(f, "%s = %s", d->call, d->result);
		} else {
			fprintf(f, "%s(", e->name);
			put_raw_args(e, f);
			if (e->ret_known)
				fprintf(f, ") = %" PRId64, e->ret);
			else
				fputs(") = ?", f);
		}
		if (e->ret_known)
			fprintf(f, " <%" PRIu64 ".%06" PRIu64 ">", e->dur / 1000000000, e->dur / 1000 % 1000000);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

static const struct rt_renderer renderers[] = {
	{ "text", render_text },
	{ "json", render_json },
	{ "perfetto", rt_render_perfetto },
	{ "html", rt_render_html },
	{ "strace", render_strace },
	{ "otlp", rt_render_otlp },
};

const char *const rt_renderer_names = "text|json|perfetto|html|strace|otlp";

const struct rt_renderer *rt_renderer_find(const char *name)
{
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
		if (strcmp(renderers[i].name, name) == 0)
			return &renderers[i];
	return NULL;
}
