/* report/crash: the crash section, from crash and stderr events (see rt_report_crash in report.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/xalloc.h"
#include "report/report.h"

/* The panic / fatal error block of a Go program's dying words: from its first "panic: " or
 * "fatal error: " line to the blank line before the goroutine dump. */
static char *panic_block(const char *tail)
{
	const char *p = tail, *start = NULL, *end;

	while (p && *p && !start) {
		if (strncmp(p, "panic: ", 7) == 0 || strncmp(p, "fatal error: ", 13) == 0)
			start = p;
		else if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	if (!start)
		return NULL;
	end = strstr(start, "\n\n");
	if (!end)
		end = start + strlen(start);
	while (end > start && end[-1] == '\n')
		end--;
	return xstrndup(start, (size_t)(end - start));
}

/* The first frame of the crashing thread that belongs to the program itself and, for Go, lies outside
 * the runtime: the function a user reads as "where it died". */
static const char *own_function(const json_t *backtrace, const char *binary, bool go)
{
	const json_t *frames = json_object_get(json_array_get(backtrace, 0), "frames"), *f;
	size_t i;

	json_array_foreach(frames, i, f) {
		const char *sym = json_get_str(f, "symbol"), *mod = json_get_str(f, "module");

		if (!sym || (binary && mod && strcmp(mod, binary) != 0))
			continue;
		if (go && (strncmp(sym, "runtime.", 8) == 0 || strncmp(sym, "runtime/", 8) == 0))
			continue;
		return sym;
	}
	return NULL;
}

bool rt_signal_is_crash(int signo)
{
	switch (signo) {
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGSYS: case SIGTRAP:
		return true;
	default:
		return false;
	}
}

/* The signal's name ("SIGSEGV"), or "signal N". */
static void signal_name(int signo, char *buf, size_t size)
{
	const char *abbrev = signo > 0 ? sigabbrev_np(signo) : NULL;

	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "signal %d", signo);
}

/* The phase row running at `t`: the last one started by then. */
static const char *phase_at(const struct rt_report *r, uint64_t t)
{
	const char *phase = NULL;

	for (size_t k = 0; k < r->nphases; k++)
		if (r->phases[k].start <= t)
			phase = r->phases[k].name;
	return phase;
}

bool rt_engine_writes_crashes(const struct rt_report *r)
{
	return !r->engine || strcmp(r->engine, "ptrace") == 0;
}

/* The fatal path's crash event came through runtime.sigpanic: its thread's frames have it. */
static bool from_sigpanic(const json_t *fatal)
{
	const json_t *bt = json_object_get(fatal, "backtrace"), *frames = json_object_get(json_array_get(bt, 0), "frames"), *f;
	size_t i;

	json_array_foreach(frames, i, f) {
		const char *sym = json_get_str(f, "symbol");

		if (sym && strcmp(sym, "runtime.sigpanic") == 0)
			return true;
	}
	return false;
}

/* The last `signal` event of the process with a crash signal (signo > 0: that one only), or NULL. */
static const json_t *last_crash_signal(const struct rt_report *r, int signo)
{
	const json_t *sig = NULL;

	for (size_t k = 0; k < r->trace->nev; k++) {
		const json_t *e = r->trace->ev[k].obj;
		int s = (int)json_get_int(e, "signo");

		if (r->trace->ev[k].type == RT_ET_SIGNAL && r->trace->ev[k].pid == r->pid &&
		    (signo > 0 ? s == signo : rt_signal_is_crash(s)))
			sig = e;
	}
	return sig;
}

/* A crash no engine wrote a crash event for (the eBPF and preload engines record no backtraces): the
 * process was killed by a crash signal, or (`sig` given) exited non-zero after one. Located at the last
 * `signal` event of that signal in the process (the eBPF engine's signal_generate, the preload
 * engine's abort()), else at the exit. */
static void crash_derived(struct rt_report *r, const json_t *exit_ev, const json_t *sig)
{
	int signo = sig ? (int)json_get_int(sig, "signo") : r->exit_signal;
	struct rt_crash *c;

	if (!sig)
		sig = last_crash_signal(r, signo);
	c = r->crash = xcalloc(1, sizeof(*c));
	c->derived = true;
	c->killed = r->exit_signal == signo;
	c->kind = "signal";
	c->t = (uint64_t)json_get_int(sig ? sig : exit_ev, "t");
	c->siginfo = sig != NULL;
	c->tid = sig ? (int)json_get_int(sig, "tid") : 0;
	c->signo = signo;
	c->code = sig ? (int)json_get_int(sig, "code") : 0;
	c->addr = sig ? json_get_str(sig, "addr") : NULL;
	signal_name(signo, c->sigbuf, sizeof(c->sigbuf));
	c->signal = c->sigbuf;
	c->phase = phase_at(r, c->t);
	if (r->is_go && c->phase && strncmp(c->phase, "init ", 5) == 0)
		c->package = xstrdup(c->phase + 5);
}

void rt_report_crash(struct rt_report *r)
{
	const struct rt_loaded_trace *t = r->trace;
	const json_t *bin = r->bin, *fatal = NULL, *sig = NULL, *use, *p;
	const json_t *exit_ev = NULL;
	const char *tail = NULL;
	bool fatal_probes = false, died;
	struct rt_crash *c;
	size_t i;

	json_array_foreach(json_object_get(bin, "probes"), i, p)
		if (json_get_str(p, "role") && strcmp(json_get_str(p, "role"), "fatal") == 0)
			fatal_probes = true;
	for (size_t k = 0; k < t->nev; k++) {
		const json_t *e = t->ev[k].obj;
		enum rt_et type = t->ev[k].type;

		/* crash and stderr events are the process's whatever image wrote them (see struct rt_report) */
		if (t->ev[k].pid != r->pid)
			continue;
		if (type == RT_ET_CRASH) {
			const char *kind = json_get_str(e, "kind");

			if (kind && strcmp(kind, "go-fatal") == 0) {
				if (!fatal)
					fatal = e;
			} else if (!fatal) {
				sig = e; /* the last fatal signal before the runtime's fatal path, if any */
			}
		} else if (type == RT_ET_STDERR) {
			tail = json_get_str(e, "tail");
		} else if (type == RT_ET_EXIT) {
			exit_ev = e;
		}
	}
	if (!fatal && !sig) {
		const json_t *after = NULL;

		if (!r->exited || !exit_ev)
			return;
		if (rt_signal_is_crash(r->exit_signal))
			crash_derived(r, exit_ev, NULL);
		else if (r->exit_signal < 0 && r->exit_status != 0 && !rt_engine_writes_crashes(r) &&
			 (after = last_crash_signal(r, 0)) != NULL)
			crash_derived(r, exit_ev, after); /* a Go program's sigpanic: exit status 2 */
		if (r->crash)
			r->crash->stderr_tail = tail;
		return;
	}
	/* A Go program whose runtime has the fatal path probed dies through it; a signal alone there was
	 * recovered (or handled) unless the signal killed it. */
	died = fatal || !r->exited || r->exit_signal >= 0 || (r->exit_status != 0 && !(r->is_go && fatal_probes));
	if (!died) {
		strv_pushf(&r->notes, "%s at %s in thread %lld was handled by the program (it exited with status %d)",
			   json_get_str(sig, "name") ? json_get_str(sig, "name") : "a signal", json_get_str(sig, "addr") ? json_get_str(sig, "addr") : "?",
			   (long long)json_get_int(sig, "tid"), r->exit_status);
		return;
	}
	/* the signal that sent the program down the fatal path: sigpanic runs on the faulting thread, but
	 * the panicking goroutine can move to another thread before it reaches the fatal path (a
	 * preemption on a busy machine), so the fatal path's own backtrace says whether a signal led there */
	if (fatal && sig && json_get_int(sig, "tid") != json_get_int(fatal, "tid") && !from_sigpanic(fatal))
		sig = NULL;
	use = sig ? sig : fatal;
	c = r->crash = xcalloc(1, sizeof(*c));
	c->t = (uint64_t)json_get_int(use, "t");
	c->kind = fatal ? "go-fatal" : "signal";
	c->siginfo = true;
	c->tid = (int)json_get_int(use, "tid");
	c->regs = json_object_get(use, "regs");
	c->backtrace = json_object_get(use, "backtrace");
	c->fatal = fatal ? json_get_str(fatal, "function") : NULL;
	if (sig) {
		int signo = (int)json_get_int(sig, "signo");
		const char *n = json_get_str(sig, "name");

		c->signo = signo;
		c->code = (int)json_get_int(sig, "code");
		c->addr = json_get_str(sig, "addr");
		if (n) {
			snprintf(c->sigbuf, sizeof(c->sigbuf), "SIG%s", n);
			c->signal = c->sigbuf;
		}
	}
	/* the phase row running at the crash, and for Go the package whose init it is */
	c->phase = phase_at(r, c->t);
	if (r->is_go && c->phase && strncmp(c->phase, "init ", 5) == 0)
		c->package = xstrdup(c->phase + 5);
	c->function = own_function(c->backtrace, json_get_str(bin, "path"), r->is_go);
	if (!c->function && fatal && use != fatal)
		c->function = own_function(json_object_get(fatal, "backtrace"), json_get_str(bin, "path"), r->is_go);
	c->stderr_tail = tail;
	c->panic = tail && r->is_go ? panic_block(tail) : NULL;
}

void rt_crash_free(struct rt_crash *c)
{
	if (!c)
		return;
	free(c->package);
	free(c->panic);
	free(c);
}
