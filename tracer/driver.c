/* tracer/driver: one run of `rt0trace run`, the same for every engine (see driver.h). */
#include "tracer/driver.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xalloc.h"

volatile sig_atomic_t rt_interrupted;

static void on_signal(int sig)
{
	rt_interrupted = sig;
}

/* SIGINT and SIGTERM end the run in order (the engine sees rt_interrupted), and are restored after. */
struct signals {
	bool set;
	struct sigaction oi, ot;
};

static void signals_catch(struct signals *s)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &s->oi);
	sigaction(SIGTERM, &sa, &s->ot);
	s->set = true;
}

static void signals_restore(struct signals *s)
{
	if (!s->set)
		return;
	sigaction(SIGINT, &s->oi, NULL);
	sigaction(SIGTERM, &s->ot, NULL);
	s->set = false;
}

int rt_exit_code(int wst)
{
	return WIFEXITED(wst) ? WEXITSTATUS(wst) : WIFSIGNALED(wst) ? 128 + WTERMSIG(wst) : 0;
}

void rt_run_exited(struct rt_run *r, int wst)
{
	r->exited = true;
	r->wst = wst;
	r->status = rt_exit_code(wst);
}

bool rt_run_reap(struct rt_run *r)
{
	struct rusage ru;
	int wst;

	if (r->reaped)
		return true;
	if (r->attached || r->root <= 0 || wait4(r->root, &wst, WNOHANG, &ru) != r->root)
		return false;
	/* reaped before the backlog is written: the program's wall time is not ours */
	r->t_reaped = rt_now_ns();
	r->reaped = true;
	rt_trace_rusage(&r->trace, &ru);
	rt_run_exited(r, wst);
	return true;
}

void rt_run_header(struct rt_run *r, char *const *argv, json_t *bin)
{
	r->header_done = true;
	r->header_argv = argv;
	r->header_bin = bin;
	r->header_pending = true;
	if (!r->defer_header)
		rt_run_flush_header(r);
}

static void header_image_free(struct rt_run *r)
{
	if (r->header_image) {
		free((char *)r->header_image->path);
		free((char *)r->header_image->error);
		free(r->header_image);
		r->header_image = NULL;
	}
}

void rt_run_flush_header(struct rt_run *r)
{
	if (!r->header_pending)
		return;
	if (r->header_image) {
		struct rt_run_image *im = r->header_image;

		r->header_bin = rt_image_binary_json(im->bin, im->plan, im->bias, im->path, im->error, NULL, false);
		header_image_free(r);
	}
	rt_trace_header(&r->trace, r->ops->name, r->header_argv, r->header_bin ? r->header_bin : json_null(), r->t0);
	r->header_bin = NULL;
	r->header_pending = false;
}

void rt_run_plan(const struct rt_run *r, const struct rt_binary *b, struct rt_probe_plan *plan)
{
	rt_probe_plan_flags(b, r->o->init_functions ? RT_PLAN_INIT_FUNCTIONS : 0, plan);
	if (r->o->ready_symbol)
		(void)rt_probe_plan_ready(b, r->o->ready_symbol, plan); /* the images that have it */
}

void rt_run_exe(pid_t pid, char exe[64], char *real, size_t size)
{
	ssize_t n;

	snprintf(exe, 64, "/proc/%d/exe", (int)pid);
	n = readlink(exe, real, size - 1);
	real[n > 0 ? n : 0] = '\0';
}

json_t *rt_run_image(struct rt_run *r, const struct rt_run_image *im)
{
	json_t *bin = NULL;

	if (!r->header_done && im->pid == r->root && im->late && !im->attaching) {
		/* the binary's JSON (its probes, ~30 us) is made when the header is written, not in the hold */
		struct rt_run_image *keep = xmalloc(sizeof(*keep));

		*keep = *im;
		keep->path = im->path ? xstrdup(im->path) : NULL;
		keep->error = im->error ? xstrdup(im->error) : NULL;
		keep->past = NULL;
		keep->sched = NULL;
		r->header_image = keep;
		rt_run_header(r, im->argv, NULL);
	} else if (!r->header_done && im->pid == r->root) {
		rt_run_header(r, im->argv, rt_image_binary_json(im->bin, im->plan, im->bias, im->path, im->error, im->past,
								im->attaching));
	} else {
		/* another image than the header's: what the report needs to analyse it (report --program) */
		bin = rt_image_binary_json(im->bin, im->plan, im->bias, im->path, im->error, im->past, im->attaching);
	}
	return rt_event_exec(&(struct rt_ev_exec){ .attach = im->attaching, .t = im->t, .pid = im->pid, .sched = im->sched,
						   .path = im->path, .probes = im->probes,
						   .probes_failed = im->probes_failed, .probe_error = im->probe_error,
						   .threads = im->threads, .ppid = im->ppid, .binary = bin });
}

/* Starts the program (held or stopped, as the engine asked) and gets the engine ready for it; a held
 * program is let go, and the trace's t0 set, once the engine is. */
static int start(struct rt_run *r, struct rt_err *err)
{
	r->root = rt_spawn(r->prog, r->o->argv, &r->spawn, &r->gofd, &r->errfd, err);
	if (r->root < 0) {
		r->root = 0;
		return -1;
	}
	if (r->ops->start && r->ops->start(r, err) != 0)
		return -1;
	if (!r->spawn.hold)
		return 0;
	rt_trace_t0_sched(&r->trace, r->root); /* held on a pipe, it stands still: the exec phase's start */
	return rt_spawn_release(&r->gofd, &r->t0, err); /* the program starts now */
}

/* Waits for the root (our child) to end. */
static void wait_root(struct rt_run *r)
{
	int wst;
	pid_t w;

	while ((w = waitpid(r->root, &wst, 0)) < 0 && errno == EINTR)
		;
	if (w == r->root)
		rt_run_exited(r, wst);
}

/* The trace's end: the header if no image wrote it, the footer. 0, or -1 with RT_EXIT_INPUT. */
static int finish_trace(struct rt_run *r, bool complete, struct rt_err *err)
{
	int rc = 0;

	if (!r->header_done)
		rt_run_header(r, r->o->argv, NULL);
	r->defer_header = false;
	rt_run_flush_header(r);
	if (r->reaped && !r->detached)
		r->trace.program_ns = r->t_reaped - r->t0;
	if (rt_trace_close(&r->trace, complete) != 0)
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the trace '%s'", r->o->trace_path);
	r->trace.f = NULL;
	return rc;
}

int rt_run_engine(const struct rt_engine_ops *ops, void *engine, const struct rt_run_opts *o, int *status,
		  struct rt_err *err)
{
	struct rt_run r = { .o = o, .ops = ops, .engine = engine, .gofd = -1, .errfd = -1,
			    .spawn = { .filter_fd = -1, .hold = true } };
	struct signals sig = { 0 };
	int rc = -1, lr;

	*status = 0;
	if (o->attach && !ops->attach)
		return rt_errf(err, RT_EXIT_INPUT, "the %s engine cannot attach (-p)", ops->name);
	if (!o->attach && !(r.prog = rt_find_program(o->argv[0], err)))
		return -1;
	if (ops->prepare && ops->prepare(&r, err) != 0)
		goto out;
	if (rt_trace_open(&r.trace, o->trace_path, o->syscalls, err) != 0)
		goto out;
	r.trace.ready = o->ready;
	r.trace.traceparent = o->traceparent;
	signals_catch(&sig);
	if (o->attach) {
		r.root = o->attach;
		r.attached = true;
		r.t0 = rt_now_ns();
		if (ops->attach(&r, err) != 0)
			goto out;
	} else if (start(&r, err) != 0) {
		goto out;
	}
	lr = ops->loop(&r);
	if (r.errfd >= 0 && rt_exec_failed(r.errfd, r.prog, err) != 0) {
		if (!r.exited)
			waitpid(r.root, NULL, 0);
		goto out;
	}
	if (ops->stop && ops->stop(&r, lr != 0, err) != 0)
		goto out;
	if (lr) { /* interrupted: the program goes on (or was killed); rt0trace exits as the signal says */
		*status = 128 + (int)rt_interrupted;
	} else if (!r.exited && !r.attached && !r.detached) {
		wait_root(&r);
	}
	if (finish_trace(&r, lr == 0 && !rt_interrupted, err) != 0)
		goto out;
	signals_restore(&sig); /* nothing is traced any more */
	if (!lr && r.detached && !r.attached && !r.exited) {
		/* --until main: the trace is complete, the program goes on untraced; it is still our child,
		 * so rt0trace exits with its status like an untraced run would */
		wait_root(&r);
	}
	if (!lr)
		*status = r.detached && r.attached ? 0 : r.status;
	rc = 0;
out:
	/* Nothing traced: leave no file that could pass for a (partial) trace. Something traced: keep it,
	 * marked incomplete. */
	rt_trace_abandon(&r.trace, o->trace_path, r.header_done);
	rt_spawn_abandon(r.root, &r.gofd);
	signals_restore(&sig);
	if (r.errfd >= 0)
		close(r.errfd);
	json_decref(r.header_bin);
	header_image_free(&r);
	if (ops->cleanup)
		ops->cleanup(&r);
	free(r.prog);
	return rc;
}
