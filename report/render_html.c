/*
 * report/render_html: the report as one self-contained HTML page (rt_render_html in report.h).
 *
 * The page loads nothing: its CSS, its SVG drawings and its small script are inline, and a
 * Content-Security-Policy forbids every fetch, so it can be mailed, archived or opened offline. Every
 * string that comes from the trace (paths, symbols, package names, panic text) goes through esc();
 * the script never reads markup from strings, only data-* attributes and textContent.
 *
 * Stable hooks for tools and tests: <svg id="timeline"> with one <rect class="phase"> per phase row
 * (data-name, data-start-ns relative to t0, data-dur-ns), <table id="phase-table"> with one
 * <tr class="phase-row"> per phase, <svg id="layout"> with one <rect class="map"> per mapping,
 * <ul id="checks-list"> with one <li class="check ok|fail|unobserved"> per check, <section id="init-order">,
 * <section id="crash"> (only when the program died of a crash), <section id="exit">, <section id="touched">
 * (only when the trace's syscalls were decoded) with <table id="touched-table">: a <tr class="touched-row">
 * per phase that touched something, one <li class="touch file|lookup|socket|exec"> (" err" added
 * when the call failed) per item; <section id="processes"> (only for a trace of more than one process) with
 * <table id="process-table"> (a <tr class="proc-row"> per process, data-pid, data-ppid, " container" added when
 * it is one; its <td class="proc-phases"> with data-phases, the count, and a <li class="proc-phase"> per phase,
 * data-start-ns, data-dur-ns) and <table id="critical-path"> (a <tr class="path-step"> per step, data-start-ns,
 * data-dur-ns); <p id="ready"> in the header with a readiness point (data-reached "true" or "false", and when
 * reached data-t-ns and data-pid). The script marks <html data-js="ready"> when it has wired everything.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "report/report.h"

/* Timeline geometry (SVG user units; the SVG scales to the page width). */
#define TL_W 1100.0
#define TL_LABEL 250.0  /* phase names, right-aligned before the plot */
#define TL_RIGHT 86.0   /* durations, right-aligned after the plot */
#define TL_TOP 30.0     /* the time axis */
#define TL_ROW 18.0
#define TL_BAR 12.0

/* Layout bar geometry. */
#define LY_W 1100.0
#define LY_PAD 4.0
#define LY_GAP 10.0     /* between mappings that are not adjacent in the address space */
#define LY_BAR_Y 8.0
#define LY_BAR_H 40.0

/* HTML-escapes s for text and for quoted attribute values alike; C0 controls other than tab and
 * newline (which a trace may carry in stderr text) become U+FFFD. */
static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
				fputs("&#xFFFD;", f);
			else
				fputc(c, f);
		}
	}
}

/* esc() of at most `max` characters of s (UTF-8 aware), with an ellipsis when cut. */
static void esc_trunc(FILE *f, const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	char *cut;

	while (s[i] && chars < max) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	if (!s[i]) {
		esc(f, s);
		return;
	}
	if (!(cut = strndup(s, i)))
		return;
	esc(f, cut);
	fputs("\u2026", f);
	free(cut);
}

/* The colour class of a phase row: the exec (or attach), the Go runtime's own phases, package inits,
 * main. */
static const char *phase_cat(const char *name)
{
	if (strcmp(name, "exec") == 0 || strcmp(name, "attach") == 0)
		return "cat-exec";
	if (strncmp(name, "init ", 5) == 0)
		return "cat-init";
	if (strcmp(name, "main.main") == 0 || strcmp(name, "main") == 0)
		return "cat-main";
	return "cat-runtime";
}

/* The kinds analysis.c classifies mappings into, in legend order. */
static const char *const kinds[] = { "text", "rodata", "data", "bss", "go-heap", "heap", "stack",
				     "vdso", "vvar", "vsyscall", "file", "anonymous" };

static const char *kind_class(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kind && strcmp(kind, kinds[i]) == 0)
			return kinds[i];
	return "other";
}

/* The page's stylesheet and script, kept as themselves in report/assets/ (report.css, report.js) and
 * compiled in at build time (rt0_embed in CMakeLists.txt). The script: tooltips on the timeline and layout
 * blocks, and a click on a phase (bar or row) highlights both. It reads only data-* attributes and writes
 * only textContent. */
extern const char rt_html_css[], rt_html_js[], rt_html_touched_css[];

/* A 1-2-5 step for about 8 ticks over `total` ns. */
static uint64_t tick_step(uint64_t total)
{
	uint64_t raw = total / 8, mag = 1;

	if (raw == 0)
		return 1;
	while (mag <= raw / 10)
		mag *= 10;
	if (raw < mag * 3 / 2)
		return mag;
	if (raw < mag * 7 / 2)
		return 2 * mag;
	if (raw < mag * 15 / 2)
		return 5 * mag;
	return 10 * mag;
}

static void axis_label(FILE *f, uint64_t ns, uint64_t total)
{
	if (total >= 10000000000ull)
		fprintf(f, "%g s", (double)ns / 1e9);
	else if (total >= 10000000ull)
		fprintf(f, "%g ms", (double)ns / 1e6);
	else if (total >= 10000ull)
		fprintf(f, "%g \u00b5s", (double)ns / 1e3);
	else
		fprintf(f, "%" PRIu64 " ns", ns);
}

/*
 * The phase timeline, to scale: one row per phase (a waterfall), the x of each bar its start and its
 * width its duration on one linear time axis from t0 to the last event. A phase shorter than a pixel is
 * still drawn one unit wide so it can be seen and hovered; data-dur-ns keeps its exact duration.
 */
static void html_timeline(const struct rt_report *r, FILE *f)
{
	uint64_t total = r->t_end > r->t0 ? r->t_end - r->t0 : 1, step = tick_step(total);
	double x0 = TL_LABEL, plot = TL_W - TL_LABEL - TL_RIGHT, scale = plot / (double)total;
	double h = TL_TOP + (double)r->nphases * TL_ROW + 8;

	fputs("<section id=\"timeline-section\">\n<h2>Startup phases</h2>\n", f);
	fprintf(f, "<p class=\"caption\">Each bar is one phase, drawn to scale on one time axis from the exec (t0) to "
		   "the last event (%.3f ms). A phase ends where the next begins. Hover a bar for its numbers; click it "
		   "to find its row in the syscall table.</p>\n",
		rt_ms(total));
	fputs("<ul class=\"legend\"><li><span class=\"sw cat-exec\"></span>exec / attach</li>"
	      "<li><span class=\"sw cat-runtime\"></span>Go runtime / entry</li>"
	      "<li><span class=\"sw cat-init\"></span>package init</li>"
	      "<li><span class=\"sw cat-main\"></span>main</li></ul>\n", f);
	fprintf(f, "<svg id=\"timeline\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"phase timeline\" "
		   "data-t0=\"%" PRIu64 "\" data-total-ns=\"%" PRIu64 "\">\n",
		TL_W, h, r->t0, total);
	/* alternate row bands, for the eye to follow a name to its bar */
	for (size_t i = 0; i < r->nphases; i += 2)
		fprintf(f, "<rect class=\"band\" x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\"/>\n",
			TL_TOP + (double)i * TL_ROW, TL_W, TL_ROW);
	fputs("<g class=\"axis\">\n", f);
	fprintf(f, "<line class=\"base\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x0, TL_TOP - 1, x0 + plot,
		TL_TOP - 1);
	for (uint64_t t = 0; t <= total; t += step) {
		double x = x0 + (double)t * scale;

		fprintf(f, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"/>", x, TL_TOP, x, h - 8);
		fprintf(f, "<line class=\"tick\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"/>", x, TL_TOP - 6, x, TL_TOP - 1);
		fprintf(f, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"%s\">", x, TL_TOP - 10, t == 0 ? "start" : "middle");
		axis_label(f, t, total);
		fputs("</text>\n", f);
		if (total - t < step)
			break;
	}
	fputs("</g>\n", f);
	for (size_t i = 0; i < r->nphases; i++) {
		const struct rt_phase_row *p = &r->phases[i];
		uint64_t start = p->start - r->t0, dur = p->end - p->start;
		double y = TL_TOP + (double)i * TL_ROW, w = (double)dur * scale;

		if (w < 1)
			w = 1;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 8, y + TL_ROW / 2 + 4);
		esc_trunc(f, p->name, 38);
		fputs("</text>", f);
		fprintf(f, "<rect class=\"phase %s\" id=\"phase-%zu\" x=\"%.3f\" y=\"%.1f\" width=\"%.3f\" height=\"%.0f\" "
			   "data-row=\"%zu\" data-name=\"",
			phase_cat(p->name), i, x0 + (double)start * scale, y + (TL_ROW - TL_BAR) / 2, w, TL_BAR, i);
		esc(f, p->name);
		fprintf(f, "\" data-start-ns=\"%" PRIu64 "\" data-dur-ns=\"%" PRIu64 "\" data-syscalls=\"%" PRIu64
			   "\" data-sys-ns=\"%" PRIu64 "\"/>",
			start, dur, p->syscalls, p->sys_ns);
		fprintf(f, "<text class=\"dur\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3f ms</text>\n", TL_W - 4,
			y + TL_ROW / 2 + 4, rt_ms(dur));
	}
	if (r->crash && r->crash->t >= r->t0) {
		double x = x0 + (double)(r->crash->t - r->t0) * scale;

		fprintf(f, "<line class=\"crash-marker\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\"/>", x, TL_TOP, x, h - 8);
		fprintf(f, "<text class=\"crash-label\" x=\"%.2f\" y=\"%.1f\" text-anchor=\"end\">crash</text>\n", x - 3, h - 10);
	}
	fputs("</svg>\n</section>\n", f);
}

static void top_chip(FILE *f, const struct rt_sysstat *s)
{
	fputs("<span class=\"top\">", f);
	esc(f, s->name);
	fprintf(f, " <i>\u00d7%" PRIu64 " %.2f ms</i></span>", s->count, rt_ms(s->time_ns));
}

static void html_phase_table(const struct rt_report *r, FILE *f)
{
	uint64_t sys_ns = 0;

	fputs("<section id=\"syscalls\">\n<h2>Syscalls per phase</h2>\n", f);
	fputs("<p class=\"caption\">Each syscall belongs to the phase running when it started (any thread of the "
	      "program). Top syscalls: the three with the most time in that phase.</p>\n", f);
	fputs("<table id=\"phase-table\">\n<thead><tr><th class=\"num\">#</th><th>phase</th><th class=\"num\">start</th>"
	      "<th class=\"num\">duration</th><th class=\"num\">syscalls</th><th class=\"num\">in syscalls</th>"
	      "<th>top syscalls</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < r->nphases; i++) {
		const struct rt_phase_row *p = &r->phases[i];
		struct rt_sysstat *top = NULL;

		sys_ns += p->sys_ns;
		fprintf(f, "<tr class=\"phase-row\" id=\"row-%zu\" data-row=\"%zu\"><td class=\"num\">%zu</td><td><span "
			   "class=\"sw %s\"></span> ",
			i, i, i + 1, phase_cat(p->name));
		esc(f, p->name);
		fprintf(f, "</td><td class=\"num\">+%.3f ms</td><td class=\"num\">%.3f ms</td><td class=\"num\">%" PRIu64
			   "</td><td class=\"num\">%.3f ms</td><td>",
			rt_ms(p->start - r->t0), rt_ms(p->end - p->start), p->syscalls, rt_ms(p->sys_ns));
		if (p->nstats && (top = malloc(p->nstats * sizeof(*top)))) {
			memcpy(top, p->stats, p->nstats * sizeof(*top));
			qsort(top, p->nstats, sizeof(*top), rt_sysstat_cmp);
			for (size_t k = 0; k < p->nstats && k < 3; k++)
				top_chip(f, &top[k]);
			if (p->nstats > 3)
				fprintf(f, "<span class=\"top\" title=\"%zu more syscall names in this phase\"><i>+%zu</i></span>",
					p->nstats - 3, p->nstats - 3);
			free(top);
		}
		fputs("</td></tr>\n", f);
	}
	fprintf(f, "</tbody>\n<tfoot><tr class=\"total\"><td></td><td>total</td><td></td><td class=\"num\">%.3f ms</td>"
		   "<td class=\"num\">%" PRIu64 "</td><td class=\"num\">%.3f ms</td><td></td></tr></tfoot>\n</table>\n",
		rt_ms(r->t_end - r->t0), r->nsyscalls, rt_ms(sys_ns));
	if (r->nstats) {
		fprintf(f, "<details id=\"all-syscalls\"><summary>All syscalls of the run (%zu names, like strace -c)</summary>\n"
			   "<table><thead><tr><th>syscall</th><th class=\"num\">calls</th><th class=\"num\">time</th>"
			   "<th class=\"num\">%% time</th><th class=\"num\">\u00b5s/call</th></tr></thead><tbody>\n",
			r->nstats);
		for (size_t i = 0; i < r->nstats; i++) {
			const struct rt_sysstat *s = &r->stats[i];

			fputs("<tr><td class=\"mono\">", f);
			esc(f, s->name);
			fprintf(f, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%.3f ms</td><td class=\"num\">%.2f"
				   "</td><td class=\"num\">%" PRIu64 "</td></tr>\n",
				s->count, rt_ms(s->time_ns), sys_ns ? 100.0 * (double)s->time_ns / (double)sys_ns : 0.0,
				s->time_ns / 1000 / (s->count ? s->count : 1));
		}
		fputs("</tbody></table></details>\n", f);
	}
	fputs("</section>\n", f);
}

/* What each phase touched (only for a trace whose syscalls were decoded): a row per phase that touched
 * something, its items in time order, failures marked. */
static void html_touched(const struct rt_report *r, FILE *f)
{
	static const char *const cls[RT_TOUCH_KINDS] = { "file", "lookup", "socket", "exec" };
	static const char *const what[RT_TOUCH_KINDS] = { "files", "lookups", "sockets", "execs" };

	if (!r->decoded)
		return;
	fputs("<section id=\"touched\">\n<h2>Files, sockets and programs per phase</h2>\n", f);
	fputs("<p class=\"caption\">Files opened and looked up, socket addresses and programs executed by the "
	      "program (and its forked children until they exec), with each call's result.</p>\n"
	      "<table id=\"touched-table\">\n<thead><tr><th class=\"num\">#</th><th>phase</th><th>touched</th></tr>"
	      "</thead>\n<tbody>\n", f);
	for (size_t i = 0; i < r->nphases; i++) {
		const struct rt_phase_row *p = &r->phases[i];
		size_t n = 0, idx[RT_TOUCH_KINDS] = { 0 };

		for (int k = 0; k < RT_TOUCH_KINDS; k++)
			n += p->touched[k].n;
		if (!n)
			continue;
		fprintf(f, "<tr class=\"touched-row\"><td class=\"num\">%zu</td><td><span class=\"sw %s\"></span> ", i + 1,
			phase_cat(p->name));
		esc(f, p->name);
		fputs("</td><td><ul class=\"touched\">", f);
		for (int k; (k = rt_touch_next(p, idx)) >= 0;) {
			const struct rt_touch *t = &p->touched[k].v[idx[k]++];
			bool failed = (t->result[0] >= 'A' && t->result[0] <= 'Z') || t->result[0] == '?';

			fprintf(f, "<li class=\"touch %s%s\"><i>%s</i> ", cls[k], failed ? " err" : "",
				rt_touch_verb((enum rt_touch_kind)k, t));
			esc(f, t->what);
			if (t->argv) {
				char *argv = strndup(t->argv, t->argv_len);

				fputs(" <span class=\"argv\">", f);
				esc(f, argv);
				fputs("</span>", f);
				free(argv);
			}
			fputs(" = <b>", f);
			esc(f, t->result);
			fputs("</b></li>", f);
		}
		for (int k = 0; k < RT_TOUCH_KINDS; k++)
			if (p->touched[k].more)
				fprintf(f, "<li class=\"touch more\">+%" PRIu64 " more %s</li>", p->touched[k].more, what[k]);
		fputs("</ul></td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n</section>\n", f);
}

/* log2 of a mapping's size in pages, linear between powers of two (monotonic, no libm). */
static double log_pages(uint64_t bytes)
{
	uint64_t pages = bytes / 4096 ? bytes / 4096 : 1;
	int e = 63 - __builtin_clzll(pages);
	uint64_t p2 = 1ull << e;

	return (double)e + (double)(pages - p2) / (double)p2;
}

static void size_text(FILE *f, uint64_t b)
{
	if (b >= (1ull << 30))
		fprintf(f, "%.1f GiB", (double)b / (double)(1ull << 30));
	else if (b >= (1ull << 20))
		fprintf(f, "%.1f MiB", (double)b / (double)(1ull << 20));
	else
		fprintf(f, "%" PRIu64 " KiB", b >> 10);
}

/*
 * The address space at the snapshot, as one bar. A process's address space is 2^47 bytes and almost
 * empty, so the bar is NOT to scale: mappings are drawn in address order, each as a block whose width
 * grows with the logarithm of its size (width ∝ 2 + log2(pages)), adjacent mappings touching and a
 * gap marking unmapped space between them. Colour is the kind; a faded block is mapped with no access
 * (---p: a reservation). Each block carries its exact range in data-* attributes and in the table.
 */
static void html_layout(const struct rt_report *r, FILE *f)
{
	double units = 0, avail, x = LY_PAD;
	size_t gaps = 0, nregion = 0;
	bool seen[sizeof(kinds) / sizeof(kinds[0]) + 1] = { false };

	fputs("<section id=\"layout-section\">\n<h2>Address-space layout", f);
	if (r->layout_at) {
		fputs(" at ", f);
		esc(f, r->layout_at);
	}
	fputs("</h2>\n", f);
	if (!r->nlayout) {
		fputs("<p class=\"caption\">The trace has no /proc/PID/maps snapshot.</p>\n<svg id=\"layout\" viewBox=\"0 0 "
		      "1100 10\" role=\"img\" aria-label=\"no layout\"></svg>\n</section>\n", f);
		return;
	}
	for (size_t i = 0; i < r->nlayout; i++) {
		units += 2 + log_pages(r->layout[i].end - r->layout[i].start);
		if (i && r->layout[i].start != r->layout[i - 1].end)
			gaps++;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(kind_class(r->layout[i].kind), kinds[k]) == 0)
				seen[k] = true;
		if (strcmp(kind_class(r->layout[i].kind), "other") == 0)
			seen[sizeof(kinds) / sizeof(kinds[0])] = true;
	}
	avail = LY_W - 2 * LY_PAD - (double)gaps * LY_GAP;
	fprintf(f, "<p class=\"caption\">%zu mappings in address order, low to high. Not to scale: the address space "
		   "is huge and sparse, so each block's width grows with the logarithm of its size, adjacent mappings "
		   "touch and a gap stands for unmapped space. Faded: mapped without access (a reservation).</p>\n",
		r->nlayout);
	fputs("<ul class=\"legend\">", f);
	for (size_t k = 0; k <= sizeof(kinds) / sizeof(kinds[0]); k++)
		if (seen[k]) {
			const char *n = k < sizeof(kinds) / sizeof(kinds[0]) ? kinds[k] : "other";

			fprintf(f, "<li><span class=\"sw %s\"></span>%s</li>", n, n);
		}
	fputs("<li><span class=\"sw anonymous none\"></span>---p (no access)</li></ul>\n", f);
	fprintf(f, "<svg id=\"layout\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"address-space layout\">\n", LY_W,
		LY_BAR_Y + LY_BAR_H + 40);
	for (size_t i = 0; i < r->nlayout; i++) {
		const struct rt_layout_row *m = &r->layout[i];
		uint64_t size = m->end - m->start;
		double w = avail * (2 + log_pages(size)) / units;
		bool none = strncmp(m->perms, "---", 3) == 0, region = i == 0 || m->start != r->layout[i - 1].end;
		const char *kc = kind_class(m->kind);

		if (i && region) {
			fprintf(f, "<text class=\"addr\" x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">\u2026</text>\n", x + LY_GAP / 2,
				LY_BAR_Y + LY_BAR_H / 2 + 4);
			x += LY_GAP;
		}
		fprintf(f, "<rect class=\"map %s%s\" id=\"map-%zu\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" "
			   "data-kind=\"",
			kc, none ? " none" : "", i, x, LY_BAR_Y, w, LY_BAR_H);
		esc(f, m->kind);
		fprintf(f, "\" data-start=\"0x%" PRIx64 "\" data-end=\"0x%" PRIx64 "\" data-perms=\"", m->start, m->end);
		esc(f, m->perms);
		fputs("\" data-size=\"", f);
		size_text(f, size);
		fputs("\" data-path=\"", f);
		esc(f, m->path);
		fputs("\"/>\n", f);
		/* the kind inside the block when it fits (about 6 units per character at 10px) */
		if (w >= 6.2 * (double)strlen(m->kind) + 6 && (i == 0 || region || strcmp(m->kind, r->layout[i - 1].kind) != 0)) {
			fprintf(f, "<text class=\"kind\" x=\"%.2f\" y=\"%.1f\">", x + 3, LY_BAR_Y + LY_BAR_H / 2 + 4);
			esc(f, m->kind);
			fputs("</text>\n", f);
		}
		/* each run of adjacent mappings is labelled with its start address, on two staggered lines */
		if (region) {
			char addr[24];
			int len = snprintf(addr, sizeof(addr), "0x%" PRIx64, m->start);
			double run_end = x + w;

			for (size_t k = i + 1; k < r->nlayout && r->layout[k].start == r->layout[k - 1].end; k++)
				run_end += avail * (2 + log_pages(r->layout[k].end - r->layout[k].start)) / units;
			/* about 6.2 units per character at 10px: a label that would run past the bar's end is
			 * right-aligned with the end of its run instead */
			if (x + 6.2 * len > LY_W - LY_PAD)
				fprintf(f, "<text class=\"addr\" x=\"%.2f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
					run_end < LY_W - LY_PAD ? run_end : LY_W - LY_PAD,
					LY_BAR_Y + LY_BAR_H + 14 + (double)(nregion % 2) * 14, addr);
			else
				fprintf(f, "<text class=\"addr\" x=\"%.2f\" y=\"%.1f\">%s</text>\n", x,
					LY_BAR_Y + LY_BAR_H + 14 + (double)(nregion % 2) * 14, addr);
			nregion++;
		}
		x += w;
	}
	fputs("</svg>\n", f);
	fprintf(f, "<details id=\"layout-table\"><summary>The %zu mappings</summary>\n<table><thead><tr><th>start</th>"
		   "<th>end</th><th class=\"num\">size</th><th>perms</th><th>kind</th><th>path</th></tr></thead><tbody>\n",
		r->nlayout);
	for (size_t i = 0; i < r->nlayout; i++) {
		const struct rt_layout_row *m = &r->layout[i];

		fprintf(f, "<tr><td class=\"mono\">0x%016" PRIx64 "</td><td class=\"mono\">0x%016" PRIx64 "</td><td class=\"num\">",
			m->start, m->end);
		size_text(f, m->end - m->start);
		fputs("</td><td class=\"mono\">", f);
		esc(f, m->perms);
		fprintf(f, "</td><td><span class=\"sw %s\"></span> ", kind_class(m->kind));
		esc(f, m->kind);
		fputs("</td><td class=\"mono\">", f);
		esc(f, m->path);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></details>\n</section>\n", f);
}

static void html_init_order(const struct rt_report *r, FILE *f)
{
	size_t n = r->observed.n > r->placed.n ? r->observed.n : r->placed.n;

	fputs("<section id=\"init-order\">\n<h2>Package-init order</h2>\n", f);
	if (!n) {
		fputs("<p class=\"caption\">No package inits were placed or observed (not a Go program, or nothing left "
		      "to observe).</p>\n</section>\n", f);
		return;
	}
	fprintf(f, "<p class=\"banner %s\">%s (%zu observed, %zu placed)</p>\n", r->init_match ? "ok" : "bad",
		r->init_match ? "observed = placed: the packages ran in the order the linker placed them"
			      : "the observed order differs from the placed order",
		r->observed.n, r->placed.n);
	fputs("<table id=\"init-table\"><thead><tr><th class=\"num\">#</th><th>observed</th><th>placed</th></tr></thead>"
	      "<tbody>\n", f);
	for (size_t i = 0; i < n; i++) {
		const char *o = i < r->observed.n ? r->observed.v[i] : NULL, *p = i < r->placed.n ? r->placed.v[i] : NULL;
		bool differs = !o || !p || strcmp(o, p) != 0;

		fprintf(f, "<tr%s><td class=\"num\">%zu</td><td class=\"mono\">", differs ? " class=\"differs\"" : "", i + 1);
		esc(f, o ? o : "\u2014");
		fputs("</td><td class=\"mono\">", f);
		esc(f, p ? p : "\u2014");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n</section>\n", f);
}

static void html_checks(const struct rt_report *r, FILE *f)
{
	fputs("<section id=\"checks\">\n<h2>Checks</h2>\n<ul class=\"checks\" id=\"checks-list\">\n", f);
	for (size_t i = 0; i < r->nchecks; i++) {
		const struct rt_check *c = &r->checks[i];

		fprintf(f, "<li class=\"check %s\"><span class=\"mark\">%s</span><b>",
			c->unobserved ? "unobserved" : c->ok ? "ok" : "fail", c->unobserved ? "\u2013" : c->ok ? "\u2713" : "\u2717");
		esc(f, c->name);
		fputs("</b>: ", f);
		esc(f, c->detail);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n</section>\n", f);
}

static void html_frames(const json_t *thread, bool crashed, FILE *f)
{
	const json_t *fr;
	size_t i;

	fprintf(f, "<details class=\"thread\"%s><summary>thread %lld%s (%zu frames)</summary>\n"
		   "<table class=\"frames\"><tbody>\n",
		crashed ? " open" : "", (long long)json_integer_value(json_object_get(thread, "tid")),
		crashed ? " \u2014 crashed" : "", json_array_size(json_object_get(thread, "frames")));
	json_array_foreach(json_object_get(thread, "frames"), i, fr) {
		const char *sym = json_get_str(fr, "symbol"), *mod = json_get_str(fr, "module"), *file = json_get_str(fr, "file");
		const char *base = mod && strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod;

		fprintf(f, "<tr><td>#%zu</td><td>", i);
		esc(f, json_get_str(fr, "pc"));
		fputs("</td><td>", f);
		esc(f, sym ? sym : "??");
		if (sym && json_get_str(fr, "offset")) {
			fputc('+', f);
			esc(f, json_get_str(fr, "offset"));
		}
		fputs("</td><td>", f);
		if (file) {
			esc(f, file);
			fprintf(f, ":%lld", (long long)json_integer_value(json_object_get(fr, "line")));
		} else if (base) {
			fputc('(', f);
			esc(f, base);
			fputc(')', f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></details>\n", f);
}

/* One <dt>/<dd> pair of a description list, the value escaped (`attrs` are the <dd>'s, literal); nothing
 * when there is no value. */
static void kv(FILE *f, const char *term, const char *attrs, const char *value)
{
	if (!value)
		return;
	fprintf(f, "<dt>%s</dt><dd%s>", term, attrs);
	esc(f, value);
	fputs("</dd>\n", f);
}

static void html_crash(const struct rt_crash *c, FILE *f)
{
	const json_t *th, *v;
	const char *k;
	size_t i;
	int n = 0;

	fputs("<section id=\"crash\">\n<h2>Crash in ", f);
	esc(f, c->phase ? c->phase : "?");
	if (c->package) {
		fputs(" (package ", f);
		esc(f, c->package);
		fputc(')', f);
	}
	fputs("</h2>\n<dl class=\"kv\">\n<dt>what</dt><dd class=\"mono\">", f);
	if (c->signal) {
		esc(f, c->signal);
		if (c->siginfo)
			fprintf(f, " (code %d)", c->code);
		else
			fputs(" (the exit status says so: no signal details recorded)", f);
		if (c->addr) {
			fputs(" at ", f);
			esc(f, c->addr);
		}
	} else {
		fputs("panic (no signal)", f);
	}
	fputs("</dd>\n", f);
	kv(f, "function", " class=\"mono\" id=\"crash-function\"", c->function);
	kv(f, "then", " class=\"mono\"", c->fatal);
	kv(f, "phase", "", c->phase ? c->phase : "?");
	kv(f, "package", " class=\"mono\"", c->package);
	if (c->siginfo)
		fprintf(f, "<dt>thread</dt><dd>%d (", c->tid);
	else
		fputs("<dt>thread</dt><dd>unknown (", f);
	esc(f, c->kind);
	fputs(")</dd>\n</dl>\n", f);
	if (c->panic) {
		fputs("<pre class=\"panic\">", f);
		esc(f, c->panic);
		fputs("</pre>\n", f);
	} else if (c->stderr_tail && *c->stderr_tail) {
		fputs("<h3>stderr ended with</h3>\n<pre>", f);
		esc(f, c->stderr_tail);
		fputs("</pre>\n", f);
	}
	if (c->regs && json_object_size(c->regs)) {
		fprintf(f, "<details class=\"regs\"><summary>registers of thread %d</summary>\n<table class=\"regs "
			   "mono\"><tbody>\n<tr>",
			c->tid);
		json_object_foreach((json_t *)c->regs, k, v) {
			if (n && n % 6 == 0)
				fputs("</tr>\n<tr>", f);
			fputs("<td>", f);
			esc(f, k);
			fputs("</td><td>", f);
			esc(f, json_string_value(v));
			fputs("</td>", f);
			n++;
		}
		fputs("</tr>\n</tbody></table></details>\n", f);
	}
	if (json_array_size(c->backtrace)) {
		fprintf(f, "<h3>Backtraces (%zu thread%s)</h3>\n", json_array_size(c->backtrace),
			json_array_size(c->backtrace) == 1 ? "" : "s");
		json_array_foreach(c->backtrace, i, th)
			html_frames(th, i == 0, f);
	}
	fputs("</section>\n", f);
}

static void html_exit(const struct rt_report *r, FILE *f)
{
	fputs("<section id=\"exit\">\n<h2>Exit</h2>\n<p>", f);
	if (!r->exited)
		fputs("the program did not exit while it was traced", f);
	else if (r->exit_signal >= 0) {
		const char *abbrev = sigabbrev_np(r->exit_signal);

		fprintf(f, "killed by signal %d", r->exit_signal);
		if (abbrev)
			fprintf(f, " (SIG%s)", abbrev);
	} else {
		fprintf(f, "exit status %d", r->exit_status);
	}
	fputs("</p>\n</section>\n", f);
}

/* Process k and its children, depth first, each row indented by its depth. */
static void html_proc(const struct rt_report *r, size_t k, int depth, FILE *f)
{
	const struct rt_proc *pr = &r->procs[k];

	fprintf(f, "<tr class=\"proc-row%s\" data-pid=\"%" PRId64 "\" data-ppid=\"%" PRId64 "\"><td class=\"mono\" "
		   "style=\"padding-left:%.1fem\">%" PRId64 " ", pr->container ? " container" : "", pr->pid, pr->ppid,
		0.4 + 1.5 * depth, pr->pid);
	esc(f, pr->comm ? pr->comm : "?");
	fprintf(f, "</td><td class=\"num\">%+.3f ms</td><td class=\"num\">%.3f ms%s</td><td class=\"num\">%" PRIu64
		   "</td><td class=\"num\">%.3f ms</td><td>%s</td><td class=\"proc-phases\" data-phases=\"%zu\">",
		rt_ms(pr->start - r->t0), rt_ms(pr->end - pr->start), pr->exited ? "" : "+", pr->syscalls, rt_ms(pr->sys_ns),
		pr->container ? "container" : "", pr->nphases);
	if (pr->nphases) {
		if (pr->main_at)
			fprintf(f, "<details><summary>%zu phases, exec \u2192 main %.3f ms</summary><ol class=\"mono\">\n",
				pr->nphases, rt_ms(pr->main_at - pr->main_exec));
		else
			fprintf(f, "<details><summary>%zu phases, no main</summary><ol class=\"mono\">\n", pr->nphases);
		for (size_t x = 0; x < pr->nphases; x++) {
			const struct rt_phase_row *ph = &pr->phases[x];

			fprintf(f, "<li class=\"proc-phase\" data-start-ns=\"%" PRIu64 "\" data-dur-ns=\"%" PRIu64 "\">",
				ph->start - r->t0, ph->end - ph->start);
			esc(f, ph->name);
			fprintf(f, " %+.3f ms, %.3f ms</li>\n", rt_ms(ph->start - r->t0), rt_ms(ph->end - ph->start));
		}
		fputs("</ol></details>", f);
	}
	fputs("</td></tr>\n", f);
	for (size_t c = 0; c < r->nprocs; c++)
		if (r->procs[c].parent == k)
			html_proc(r, c, depth + 1, f);
}

/* The readiness point's line (report --ready, the trace header's "ready"): where it was reached, or that it
 * was not; nothing without one. */
static void html_ready(const struct rt_report *r, FILE *f)
{
	if (!r->ready_spec)
		return;
	fprintf(f, "<p class=\"meta\" id=\"ready\" data-reached=\"%s\"", r->ready_reached ? "true" : "false");
	if (r->ready_reached)
		fprintf(f, " data-t-ns=\"%" PRIu64 "\" data-pid=\"%" PRId64 "\"", r->ready_at - r->t0, r->ready_pid);
	fputs(">ready (<b class=\"mono\">", f);
	esc(f, r->ready_spec);
	fputs("</b>): ", f);
	if (r->ready_reached) {
		fputs("<span class=\"mono\">", f);
		esc(f, r->ready_what ? r->ready_what : "?");
		fprintf(f, "</span> in process %" PRId64 " at <b>%+.3f ms</b></p>\n", r->ready_pid, rt_ms(r->ready_at - r->t0));
	} else {
		fprintf(f, "not reached: the trace has no such point in the program%s</p>\n",
			r->npath ? "; the critical path ends at main" : "");
	}
}

/* The process tree and the critical path (report/proctree.c), for a trace of more than one process. */
static void html_proctree(const struct rt_report *r, FILE *f)
{
	if (r->nprocs < 2)
		return;
	fputs("<section id=\"processes\">\n<h2>Processes</h2>\n<table id=\"process-table\"><thead><tr><th>process</th>"
	      "<th class=\"num\">start</th><th class=\"num\">duration</th><th class=\"num\">syscalls</th>"
	      "<th class=\"num\">in syscalls</th><th></th><th>phases</th></tr></thead><tbody>\n", f);
	for (size_t k = 0; k < r->nprocs; k++)
		if (r->procs[k].parent == SIZE_MAX)
			html_proc(r, k, 0, f);
	fputs("</tbody></table>\n<h2>Critical path</h2>\n", f);
	if (!r->npath) {
		fputs("<p class=\"caption\">No process reached main.</p>\n</section>\n", f);
		return;
	}
	fprintf(f, "<p class=\"caption\">From t0 to main of process %" PRId64 " at %+.3f ms", r->path_pid,
		rt_ms(r->path_main - r->t0));
	if (r->path_end != r->path_main)
		fprintf(f, ", then to %+.3f ms", rt_ms(r->path_end - r->t0));
	fputs(".</p>\n", f);
	fputs("<table id=\"critical-path\"><thead><tr><th>step</th><th class=\"num\">pid</th><th class=\"num\">start</th>"
	      "<th class=\"num\">duration</th></tr></thead><tbody>\n", f);
	for (size_t k = 0; k < r->npath; k++) {
		const struct rt_path_step *s = &r->path[k];

		fprintf(f, "<tr class=\"path-step\" data-start-ns=\"%" PRIu64 "\" data-dur-ns=\"%" PRIu64 "\"><td class=\"mono\">",
			s->start - r->t0, s->dur);
		esc(f, s->step);
		fprintf(f, "</td><td class=\"num\">%" PRId64 "</td><td class=\"num\">%+.3f ms</td><td class=\"num\">%.3f ms</td>"
			   "</tr>\n", s->pid, rt_ms(s->start - r->t0), rt_ms(s->dur));
	}
	fputs("</tbody></table>\n</section>\n", f);
}

int rt_render_html(const struct rt_report *r, FILE *f)
{
	const json_t *bin = r->bin;
	const char *path = json_get_str(bin, "path"), *gov = json_get_str(bin, "go_version"), *arch = json_get_str(bin, "arch");
	size_t failed = 0, unobserved = 0;

	for (size_t i = 0; i < r->nchecks; i++) {
		failed += !r->checks[i].ok && !r->checks[i].unobserved;
		unobserved += r->checks[i].unobserved;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	/* nothing may be fetched: everything the page needs is in it */
	fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "script-src 'unsafe-inline'; img-src data:\">\n", f);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"rt0trace " RT0_VERSION "\">\n"
	      "<link rel=\"icon\" href=\"data:,\">\n<title>rt0trace report: ", f);
	esc(f, path ? path : "?");
	/* the touched section's style only on a page that has the section (a page of an undecoded trace is
	 * as it was before there was one) */
	fprintf(f, "</title>\n<style>\n%s%s</style>\n</head>\n<body>\n<header>\n<h1>rt0trace report: <span class=\"mono\">",
		rt_html_css, r->decoded ? rt_html_touched_css : "");
	esc(f, path ? path : "?");
	fputs("</span></h1>\n<p class=\"meta\">engine <b>", f);
	esc(f, r->engine ? r->engine : "?");
	fputs("</b> \u00b7 ", f);
	if (gov) {
		fputs("Go <b>", f);
		esc(f, gov);
		fputs("</b>", f);
	} else {
		fputs("not Go", f);
	}
	if (arch) {
		fputs(" \u00b7 <b>", f);
		esc(f, arch);
		fputs("</b>", f);
	}
	fprintf(f, " \u00b7 <b>%" PRIu64 "</b> syscalls \u00b7 <b>%.3f ms</b> traced \u00b7 <b>%zu</b> phases</p>\n",
		r->nsyscalls, rt_ms(r->t_end - r->t0), r->nphases);
	html_ready(r, f);
	if (r->trace->cut) {
		fputs("<p class=\"banner warn\" id=\"partial\">Partial trace: ", f);
		esc(f, r->trace->cut);
		fprintf(f, "; %s</p>\n", r->trace->footer ? "footer present" : "no footer; what follows covers only what was recorded");
	} else if (!r->complete)
		fprintf(f, "<p class=\"banner warn\" id=\"partial\">Partial trace: %s</p>\n",
			r->trace->footer ? "the tracer stopped before the program ended"
					 : "no footer; what follows covers only what was recorded");
	if (failed)
		fprintf(f, "<p class=\"banner bad\" id=\"verdict\">%zu of %zu checks failed</p>\n", failed, r->nchecks);
	else if (unobserved)
		fprintf(f, "<p class=\"banner ok\" id=\"verdict\">%zu of %zu checks passed; %zu not observed by the %s engine</p>\n",
			r->nchecks - unobserved, r->nchecks, unobserved, r->engine ? r->engine : "?");
	else
		fprintf(f, "<p class=\"banner ok\" id=\"verdict\">all %zu checks passed</p>\n", r->nchecks);
	if (r->notes.n) {
		fputs("<ul class=\"notes\" id=\"notes\">\n", f);
		for (size_t i = 0; i < r->notes.n; i++) {
			fputs("<li>", f);
			esc(f, r->notes.v[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("</header>\n", f);
	if (r->crash)
		html_crash(r->crash, f);
	html_timeline(r, f);
	html_phase_table(r, f);
	html_touched(r, f);
	html_proctree(r, f);
	html_layout(r, f);
	html_init_order(r, f);
	html_checks(r, f);
	html_exit(r, f);
	fprintf(f, "<div id=\"tip\" role=\"tooltip\" hidden></div>\n<script>\n%s</script>\n</body>\n</html>\n", rt_html_js);
	return ferror(f) ? -1 : 0;
}
