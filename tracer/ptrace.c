/*
 * tracer/ptrace: the ptrace engine. Starts the program only once tracing is ready (the child stops
 * itself before exec, is seized with every follow option, then continued), follows every thread
 * (and, with -f, every fork/vfork), records each syscall entry/exit pair through
 * PTRACE_GET_SYSCALL_INFO with libseccomp's names, and puts one-shot int3 breakpoints at the entry of
 * the planned functions (probes/plan.h): on a hit it records time and thread, puts the original byte
 * back and rewinds the thread to re-run the instruction. A breakpoint belongs to one address space
 * and is removed the first time any thread hits it, before any thread resumes (every stop is handled
 * one at a time). Never a return probe: Go moves goroutine stacks.
 */
#include "tracer/engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <elf.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "probes/binary.h"
#include "probes/plan.h"
#include "tracer/hwcount.h"
#include "tracer/decode.h"
#include "tracer/driver.h"
#include "tracer/image.h"
#include "tracer/maps.h"
#include "tracer/trace.h"
#include "tracer/unwind.h"

#if !defined(__x86_64__)
#error "the ptrace engine's breakpoints are written for x86_64 hosts"
#endif

#define TRACE_OPTIONS                                                                                       \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)

/* The calibration's stops of each kind (struct tracer). Each costs the whole command ~20-60 us: 25
 * took 0.7-4.7 ms of a ~12 ms `rt0trace run`; the median of 10 moved the accuracy figures of
 * scripts/bench accuracy by less than their run-to-run spread. */
#define CALIB_STOPS 10

struct bp {
	uint64_t addr;   /* runtime address */
	uint64_t link;   /* link-time address (as the binary names it) */
	uint8_t orig;
	bool armed;
	const struct rt_probe *probe;
};

struct proc {
	pid_t pid;
	int memfd;            /* /proc/PID/mem, or -1 (then PEEK/POKE) */
	struct rt_binary *bin;
	struct rt_probe_plan plan;
	struct bp *bps;
	size_t nbps;
	uint64_t bias;
	bool exit_snapshot;   /* the maps snapshot at exit was taken */
	bool main_hit;
	const char *last_probe; /* symbol of the last probe hit: where a crash happened */
	const char *cur_pkg;    /* the package whose init probe was hit last (NULL after a phase probe) */
	bool crashed;           /* a crash event was written: its stderr tail follows at exit */
	char err_tail[4096];    /* the last bytes the process wrote to fd 2 */
	size_t err_len;
	bool silent;            /* followed only so that its seccomp filter has a tracer (a fork, without
				 * -f): nothing of it is recorded, no probe is planted */
	struct rt_dec_fds *fds; /* its file descriptors as its syscalls tell (tracer/decode), or NULL */
	/* The entry probe of a static image: the thread stands at it when its exec stops, so it gets no
	 * breakpoint; its event is dated at the exec's resume ("seen": "exec"), with the account read in
	 * the hold. NULL once written (or when the image starts elsewhere: the dynamic loader's entry). */
	const struct rt_probe *at_entry;
	struct rt_sched entry_sched;
};

struct thr {
	pid_t tid, pid;
	bool in_syscall;
	uint64_t t_enter, nr, args[6];
	bool stopped;        /* in a ptrace-stop we have not resumed */
	int pending_sig;     /* a signal to deliver when it is resumed */
	int schedfd;         /* its /proc/PID/task/TID/schedstat, opened at its first probe; or -1 */
	uint64_t stop_at;    /* when its current ptrace-stop began (0: not stopped by us) */
	uint64_t stopped_ns; /* how long we have held it stopped, all stops so far (struct rt_sched) */
	uint64_t stops;      /* how many stops that was, the current one included */
	uint64_t sys_stops;  /* ... of which at a syscall's entry or exit */
	uint64_t resumed_at; /* when we last resumed it */
	bool opts_due;       /* a new thread or process whose ptrace options are set at its next stop
			      * (thread_options): known once its clone event named its process */
	struct rt_dec_cap *cap; /* what its current syscall's arguments point at (not with --raw), or NULL */
};

struct tracer {
	const struct rt_run_opts *o;
	struct rt_run *run;     /* the driver's: the trace, its header, t0, the root and its end */
	bool root_done;
	/* Each thread and process is allocated on its own and never moves, so a pointer to one stays valid
	 * while others are added (a clone handler holds its parent's across thr_add); it dies only with
	 * thr_del/proc removal. */
	struct thr **thr;
	size_t nthr, thrcap;
	struct proc **proc;
	size_t nproc, proccap;
	bool detaching;
	bool root_reaped;       /* detach_all had to reap the root (it died while being detached) */
	int root_wait_status;   /* its waitpid status then */
	struct deferred { pid_t tid; int status; } *deferred; /* stops seen while stopping a process for a */
	size_t ndeferred, defcap;                              /* crash, handled by the loop in order */
	/* What a stop costs the program beyond its hold, measured before its exec: the child stops
	 * CALIB_STOPS times at an int3 and then makes CALIB_STOPS getppid calls (an entry and an exit
	 * stop each); each time, from our resume to the next stop seen is that cost, one median for
	 * each kind of stop. */
	int calib_traps, calib_sys;
	uint64_t calib[2][2 * CALIB_STOPS];
	size_t ncalib[2];
	bool calib_done;        /* the last calibration stop was seen: t0 is set at its resume */
	int hwfd;               /* the program's instruction counter (tracer/hwcount.h), or -1 */
	int selffd;             /* rt0trace's own /proc/thread-self/schedstat: its wait for a CPU after a
				 * stop woke it is time the program spent stopped before we saw the stop */
	struct rt_binary *pre;  /* the program's binary, read before it was started: its exec then holds
				 * it only for the probes to be planted, if it is the same file */
	struct rt_probe_plan pre_plan; /* pre's probe plan, made before the start too */
	struct rt_dec_fds *pre_fds; /* the root's fd table as its exec will leave it, read at the last
				     * calibration stop (off the program's clock), or NULL */
	int filter_fd;          /* the seccomp program's fd in the starter (closed before its exec), or -1 */
	uint64_t self_wait;     /* rt0trace's wait for a CPU so far, as last read */
	uint64_t self_at;       /* when it was read (0: never) */
	/* The stop being handled, as wait4 gave it: its wait for a CPU after the stop woke rt0trace is read
	 * after the resume (settle_lag), and what the stop dated is moved back by it then. */
	struct { bool open; pid_t tid; uint64_t before, now; } lag;
	struct rt_seccomp *seccomp; /* -e trace= as a seccomp program: the program stops only for its
				     * syscalls (resumed with PTRACE_CONT, PTRACE_SYSCALL from an entry to its
				     * exit); it must never run on untraced, so no detaching */
	/* What a stop leaves to write waits for the resume (the program does not wait for rt0trace's
	 * formatting), and is written in order in the same turn of the loop, before the next stop. */
	bool held;              /* a stop is being handled: writing waits */
	struct later *later;
	size_t nlater, latercap;
};

/* One thing to write after the resume: an event, a syscall, a probe hit or a layout read at the stop
 * (a probe's and a layout's time is `t`). */
struct later {
	json_t *e;
	struct later_probe {
		const struct rt_probe *probe;
		int pid, tid;
		struct rt_sched sched;
		const char *seen;
	} *probe;
	struct later_sys {
		uint64_t t, dur, nr;
		int pid, tid;
		uint64_t args[6];
		int64_t ret;
		bool has_ret;
		struct rt_dec_cap *cap; /* what its arguments pointed at, decoded at the flush; or NULL */
	} *sys;
	struct rt_maps_raw maps;
	char *at;
	uint64_t t;
};

static struct later *later_add(struct tracer *t)
{
	t->later = xgrow(t->later, &t->latercap, t->nlater + 1, sizeof(*t->later));
	t->later[t->nlater] = (struct later){ 0 };
	return &t->later[t->nlater++];
}

static struct thr *thr_find(struct tracer *t, pid_t tid);
static uint64_t settle_lag(struct tracer *t);
static unsigned long trace_options(const struct tracer *t);

/* A thread's ptrace options: a process's leader stops at its exit (its layout and stderr tail are read
 * there, its memory still whole), another thread does not: its exit is seen when wait4 reaps it, and
 * a stop each at an exit_group cost the program ~20 us a thread. A new thread inherits the options of
 * the one that made it, so they are set at its first stop once its process is known (on_clone). */
static unsigned long thread_options(const struct tracer *t, pid_t tid, pid_t pid)
{
	return tid == pid ? trace_options(t) : trace_options(t) & ~(unsigned long)PTRACE_O_TRACEEXIT;
}

/* Writes what the last stop left, the header first. */
static struct proc *proc_find(struct tracer *t, pid_t pid);

/* A syscall's line, decoded (after the resume: the capture was made at its stops). */
static void write_syscall(struct tracer *t, const struct later_sys *ls)
{
	struct rt_dec_out dec;
	struct proc *p;

	if (!ls->cap) {
		rt_trace_syscall(&t->run->trace, ls->t, ls->pid, ls->tid, ls->dur, ls->nr, rt_syscall_name(ls->nr), ls->args,
				 ls->has_ret ? &ls->ret : NULL, NULL);
		return;
	}
	p = proc_find(t, ls->pid);
	rt_dec_format(ls->nr, ls->args, ls->has_ret ? &ls->ret : NULL, ls->cap, p ? p->fds : NULL, &dec);
	rt_trace_syscall(&t->run->trace, ls->t, ls->pid, ls->tid, ls->dur, ls->nr, rt_syscall_name(ls->nr), ls->args,
			 ls->has_ret ? &ls->ret : NULL, &dec);
	rt_dec_out_release(&dec);
}

static void flush_later(struct tracer *t)
{
	settle_lag(t);
	t->held = t->run->defer_header = false;
	rt_run_flush_header(t->run);
	for (size_t i = 0; i < t->nlater; i++) {
		struct later *l = &t->later[i];

		if (l->sys) {
			write_syscall(t, l->sys);
			free(l->sys->cap);
			free(l->sys);
		} else if (l->e) {
			rt_trace_event(&t->run->trace, l->e);
		} else if (l->probe) {
			rt_trace_event(&t->run->trace, rt_event_probe(l->t, l->probe->pid, l->probe->tid, l->probe->probe,
								      &l->probe->sched, l->probe->seen, NULL));
			free(l->probe);
		} else {
			rt_trace_event(&t->run->trace, rt_maps_raw_event(&l->maps, l->at, l->t, NULL));
			free(l->at);
		}
	}
	t->nlater = 0;
}

/* A reading of rt0trace's own wait for a CPU (a /proc read, ~1 us, in every stop's hold) stays the
 * baseline for the next wait for a stop when it is younger than this. rt0trace is preempted for a
 * scheduler slice (0.75 ms and more) or not at all, and a window this short holds no slice: the wait it
 * may hide is below this bound, and the /proc read is made once per stop instead of twice. */
#define SELF_FRESH_NS 50000

/* After a hold this long (reading an image at an exec, a layout snapshot), rt0trace gives up the rest of
 * its time slice before the resume: having used the CPU that long, it would likely be preempted right
 * after the resume, on a busy machine for milliseconds, and the program's next stop would wait for it
 * unseen, counted as the program's time (nowait:exec rose from 0.2 to 3 ms with six busy loops). The
 * yield falls in the hold, which the report takes out. */
#define YIELD_AFTER_NS 200000

/* ---- bookkeeping ------------------------------------------------------------------------------------ */

static struct thr *thr_find(struct tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i]->tid == tid)
			return t->thr[i];
	return NULL;
}

static struct thr *thr_add(struct tracer *t, pid_t tid, pid_t pid)
{
	struct thr *th = thr_find(t, tid);

	if (th)
		return th;
	t->thr = xgrow(t->thr, &t->thrcap, t->nthr + 1, sizeof(*t->thr));
	th = t->thr[t->nthr++] = xcalloc(1, sizeof(*th));
	th->schedfd = -1;
	th->tid = tid;
	th->pid = pid;
	return th;
}

static void thr_free(struct thr *th)
{
	if (th && th->schedfd >= 0)
		close(th->schedfd);
	if (th)
		free(th->cap);
	free(th);
}

static void thr_del(struct tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i]->tid == tid) {
			thr_free(t->thr[i]);
			t->thr[i] = t->thr[--t->nthr];
			return;
		}
}

/* A thread's scheduler account for an event, with the time we held it stopped before this stop. */
static void thr_sched(struct thr *th, struct rt_sched *s)
{
	rt_sched_read(&th->schedfd, th->pid, th->tid, s);
	s->has_stopped = true;
	s->stopped_ns = th->stopped_ns;
	s->stops = th->stops;
	s->sys_stops = th->sys_stops;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t calib_median(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* One of the child's calibration stops before its exec (kind 0: an int3, whose SIGTRAP is not
 * delivered; 1: a getppid entry or exit): the time since we resumed it is one stop's cost beyond its
 * hold. After the last, the medians are the trace's stop_cost_ns and syscall_stop_cost_ns. */
static void calibration_stop(struct tracer *t, struct thr *th, uint64_t now, int kind)
{
	if (th->resumed_at && now > th->resumed_at && t->ncalib[kind] < 2 * CALIB_STOPS)
		t->calib[kind][t->ncalib[kind]++] = now - th->resumed_at;
	if (kind == 0)
		t->calib_traps--;
	else
		t->calib_sys--;
	if (!t->calib_traps && !t->calib_sys) {
		t->run->trace.stop_cost_ns = calib_median(t->calib[0], t->ncalib[0]);
		t->run->trace.syscall_stop_cost_ns = calib_median(t->calib[1], t->ncalib[1]);
		t->calib_done = true;
		/* The starter's fds now are the program's at its exec, but for the close-on-exec ones and the
		 * seccomp program's (closed once installed): read here, not in the exec's hold. */
		if (!t->o->raw) {
			t->pre_fds = rt_dec_fds_from_proc(th->tid);
			rt_dec_fds_exec(t->pre_fds);
			if (t->filter_fd >= 0)
				rt_dec_fds_set(t->pre_fds, t->filter_fd, NULL, false);
		}
	}
}

static struct proc *proc_find(struct tracer *t, pid_t pid)
{
	for (size_t i = 0; i < t->nproc; i++)
		if (t->proc[i]->pid == pid)
			return t->proc[i];
	return NULL;
}

static void proc_clear(struct proc *p)
{
	if (p->memfd >= 0)
		close(p->memfd);
	p->memfd = -1;
	rt_probe_plan_free(&p->plan);
	rt_binary_free(p->bin);
	free(p->bps);
	p->bin = NULL;
	p->bps = NULL;
	p->nbps = 0;
}

static struct proc *proc_add(struct tracer *t, pid_t pid)
{
	struct proc *p = proc_find(t, pid);

	if (p)
		return p;
	t->proc = xgrow(t->proc, &t->proccap, t->nproc + 1, sizeof(*t->proc));
	p = t->proc[t->nproc++] = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->memfd = -1;
	return p;
}

/* ---- events ---------------------------------------------------------------------------------------- */

static bool silent_pid(struct tracer *t, pid_t pid)
{
	struct proc *p = t->seccomp ? proc_find(t, pid) : NULL;

	return p && p->silent;
}

static void emit(struct tracer *t, json_t *e)
{
	/* nothing is written before the first exec's header, nor of a process followed silently */
	if (!t->run->header_done || silent_pid(t, (pid_t)rt_event_pid(e))) {
		json_decref(e);
		return;
	}
	if (t->held)
		later_add(t)->e = e;
	else
		rt_trace_event(&t->run->trace, e);
}

/* A probe hit: its event is made after the resume (a JSON object in every hold cost ~1.5 us). */
static void emit_probe(struct tracer *t, uint64_t now, const struct thr *th, const struct rt_probe *pr,
		       const struct rt_sched *s, const char *seen)
{
	struct later *l;

	if (!t->run->header_done || silent_pid(t, th->pid))
		return;
	if (!t->held) {
		rt_trace_event(&t->run->trace, rt_event_probe(now, th->pid, th->tid, pr, s, seen, NULL));
		return;
	}
	l = later_add(t);
	l->t = now;
	l->probe = xmalloc(sizeof(*l->probe));
	*l->probe = (struct later_probe){ pr, th->pid, th->tid, *s, seen };
}

/* A /proc/PID/maps snapshot as an event; `at` names the probe (or "exit"). Held, only the text is read
 * now. */
static void snapshot_maps(struct tracer *t, pid_t pid, const char *at, uint64_t now)
{
	struct rt_maps_raw raw;
	struct later *l;

	if (!t->run->header_done || silent_pid(t, pid) || rt_maps_take(pid, &raw) != 0)
		return;
	if (!t->held) {
		rt_trace_event(&t->run->trace, rt_maps_raw_event(&raw, at, now, NULL));
		return;
	}
	l = later_add(t);
	l->maps = raw;
	l->at = xstrdup(at);
	l->t = now;
}

/* ---- memory and breakpoints ------------------------------------------------------------------------- */

static int peek_byte(pid_t tid, uint64_t addr, uint8_t *out)
{
	long w;

	errno = 0;
	w = ptrace(PTRACE_PEEKDATA, tid, (void *)addr, NULL);
	if (errno)
		return -1;
	*out = (uint8_t)(w & 0xff);
	return 0;
}

static int poke_byte(pid_t tid, uint64_t addr, uint8_t b)
{
	long w;

	errno = 0;
	w = ptrace(PTRACE_PEEKDATA, tid, (void *)addr, NULL);
	if (errno)
		return -1;
	w = (long)(((unsigned long)w & ~0xfful) | b);
	return ptrace(PTRACE_POKEDATA, tid, (void *)addr, (void *)w) == 0 ? 0 : -1;
}

/* One byte of the tracee's text: through /proc/PID/mem when the kernel allows writing it (one
 * syscall), else PEEK+POKE. */
static int put_byte(struct proc *p, pid_t via, uint64_t addr, uint8_t b)
{
	if (p && p->memfd >= 0 && pwrite(p->memfd, &b, 1, (off_t)addr) == 1)
		return 0;
	return poke_byte(via, addr, b);
}

/* A forked copy of `parent` inherits its armed int3s: put the original bytes back in the child. */
static void disarm_fork_copy(const struct proc *parent, pid_t child)
{
	for (size_t i = 0; parent && i < parent->nbps; i++)
		if (parent->bps[i].armed)
			poke_byte(child, parent->bps[i].addr, parent->bps[i].orig);
}

static void disarm_all(struct proc *p, pid_t via)
{
	for (size_t i = 0; i < p->nbps; i++)
		if (p->bps[i].armed && put_byte(p, via, p->bps[i].addr, p->bps[i].orig) == 0)
			p->bps[i].armed = false;
}

/* -p: 4 bytes of the process, through /proc/PID/mem or else PEEKDATA. */
static bool read32(void *arg, uint64_t addr, uint32_t *out)
{
	const struct proc *p = arg;
	long w;

	if (p->memfd >= 0 && pread(p->memfd, out, sizeof(*out), (off_t)addr) == sizeof(*out))
		return true;
	errno = 0;
	w = ptrace(PTRACE_PEEKDATA, p->pid, (void *)addr, NULL);
	*out = (uint32_t)w;
	return errno == 0;
}

/* The file PATH names is the one open on FD, unchanged since (same inode, size and modification). */
static bool same_file(const char *path, int fd)
{
	struct stat a, b;

	return stat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
	       a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

/* After an exec (or at attach): read the image (through /proc/PID/exe, not the path the program used;
 * the root's first, when it is the file read before the start, is not read again), plan and arm its
 * probes — at attach only those not already past. The root's first image writes the trace header. */

static void load_image(struct tracer *t, pid_t pid, uint64_t now, char *const *argv)
{
	struct proc *p = proc_add(t, pid);
	char exe[64], real[PATH_MAX];
	struct rt_err err = { 0 };
	struct rt_past ps = { 0 };
	bool attaching = t->run->attached && !t->run->header_done, planned = false;
	uint64_t rip = 0;
	bool at_rip = false; /* rip: where the exec left the thread */

	proc_clear(p);
	if (!p->fds && !t->o->raw && pid == t->run->root && t->pre_fds) {
		p->fds = t->pre_fds;
		t->pre_fds = NULL;
	} else if (!p->fds && !t->o->raw) { /* the fds it starts with; a process that execs keeps its table */
		p->fds = rt_dec_fds_from_proc(pid);
	}
	p->main_hit = false;
	p->at_entry = NULL;
	p->exit_snapshot = false;
	p->last_probe = p->cur_pkg = NULL;
	p->crashed = false;
	p->err_len = 0;
	if (p->silent)
		return;
	rt_run_exe(pid, exe, real, sizeof(real));
	if (t->pre && pid == t->run->root && same_file(exe, t->pre->elf->fd)) {
		p->bin = t->pre;
		t->pre = NULL;
		p->plan = t->pre_plan;
		memset(&t->pre_plan, 0, sizeof(t->pre_plan));
		planned = true;
	} else if (rt_binary_open(&p->bin, exe, &err) != 0) {
		p->bin = NULL;
	}
	rt_binary_free(t->pre); /* the first exec decides */
	rt_probe_plan_free(&t->pre_plan);
	t->pre = NULL;
	if (p->bin) {
		char mem[64];

		p->bias = rt_image_bias(pid, p->bin->elf);
		if (!planned)
			rt_run_plan(t->run, p->bin, &p->plan);
		p->bps = xcalloc(p->plan.n, sizeof(*p->bps));
		snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)pid);
		p->memfd = open(mem, O_RDWR | O_CLOEXEC);
		if (attaching)
			rt_past_read(p->bin, p->bias, read32, p, &ps);
		else {
			errno = 0;
			rip = (uint64_t)ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user_regs_struct, rip), NULL);
			at_rip = errno == 0;
		}
		for (size_t i = 0; i < p->plan.n; i++) {
			struct bp *b = &p->bps[p->nbps];

			if (rt_past_probe(&ps, &p->plan.p[i], attaching))
				continue;
			if (at_rip && p->plan.p[i].role == RT_ROLE_ENTRY && p->plan.p[i].addr + p->bias == rip && !p->at_entry) {
				p->at_entry = &p->plan.p[i];
				continue;
			}
			b->link = p->plan.p[i].addr;
			b->addr = b->link + p->bias;
			b->probe = &p->plan.p[i];
			/* The original byte comes from the file (text is file-backed), else from memory. */
			if ((rt_elf_read(p->bin->elf, b->link, &b->orig, 1) == 0 || peek_byte(pid, b->addr, &b->orig) == 0) &&
			    put_byte(p, pid, b->addr, 0xcc) == 0) {
				b->armed = true;
				p->nbps++;
			}
		}
	}
	{
		struct thr *th = thr_find(t, pid);
		struct rt_sched s = { 0 };

		if (th && !attaching)
			thr_sched(th, &s);
		p->entry_sched = s;
		emit(t, rt_run_image(t->run, &(struct rt_run_image){ .pid = pid, .t = now, .attaching = attaching, .argv = argv,
								     .path = real, .bin = p->bin, .error = err.msg,
								     .plan = &p->plan, .bias = p->bias, .past = &ps,
								     .sched = &s, .probes = p->nbps + (p->at_entry != NULL),
								     .threads = (int)t->nthr,
								     .late = true }));
	}
	rt_past_release(&ps);
}

static void resume(struct tracer *t, struct thr *th, int sig);

/* ---- crashes ------------------------------------------------------------------------------------------- */

/* Signals whose si_addr is the faulting address. */
static bool fatal_signal(int sig)
{
	return rt_fault_signal(sig) || sig == SIGABRT || sig == SIGTRAP || sig == SIGSYS;
}

static json_t *regs_json(const struct user_regs_struct *r)
{
	json_t *o = json_object();
#define REG(n) json_object_set_new(o, #n, json_hex(r->n))
	REG(rip); REG(rsp); REG(rbp); REG(rax); REG(rbx); REG(rcx); REG(rdx); REG(rsi); REG(rdi);
	REG(r8); REG(r9); REG(r10); REG(r11); REG(r12); REG(r13); REG(r14); REG(r15); REG(eflags); REG(fs_base);
#undef REG
	return o;
}

/* Brings every other thread of `pid` into a ptrace-stop so it can be unwound. A thread that stops for
 * our interrupt is listed in `ours` (resumed after); one that reports something else first keeps
 * that stop for the loop (t->deferred), its interrupt arriving later as a plain PTRACE_EVENT_STOP. A
 * thread that does not stop within ~200 ms is left running and not unwound. */
static size_t stop_siblings(struct tracer *t, pid_t pid, pid_t self, pid_t *ours, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nthr; i++) {
		struct thr *o = t->thr[i];
		int st;
		pid_t w = 0;

		if (o->pid != pid || o->tid == self || o->stopped || n >= max)
			continue;
		if (ptrace(PTRACE_INTERRUPT, o->tid, NULL, NULL) != 0)
			continue;
		for (int tries = 0; tries < 200 && (w = waitpid(o->tid, &st, __WALL | WNOHANG)) == 0; tries++)
			usleep(1000);
		if (w != o->tid)
			continue;
		if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP && WSTOPSIG(st) == SIGTRAP) {
			o->stopped = true;
			o->stop_at = rt_now_ns();
			ours[n++] = o->tid;
			continue;
		}
		t->deferred = xgrow(t->deferred, &t->defcap, t->ndeferred + 1, sizeof(*t->deferred));
		t->deferred[t->ndeferred++] = (struct deferred){ o->tid, st };
		if (WIFSTOPPED(st))
			o->stopped = true;
	}
	return n;
}

/* A crash of th's process, about to happen: a fatal signal in its delivery-stop (`si`), or the entry
 * of the Go runtime's fatal path (`fatal`). Unwinds every thread (the crashing one first) before
 * anything proceeds and writes one crash event; the signal is then delivered as it would have been. */
static void record_crash(struct tracer *t, struct thr *th, uint64_t now, const siginfo_t *si, const char *fatal)
{
	struct proc *p = proc_find(t, th->pid);
	struct user_regs_struct regs;
	struct rt_unwinder *u;
	pid_t ours[256];
	size_t nours;
	json_t *e, *bt = json_array();

	if (!t->run->header_done || (p && p->silent))
		return;
	nours = stop_siblings(t, th->pid, th->tid, ours, sizeof(ours) / sizeof(ours[0]));
	u = rt_unwinder_new(th->pid);
	json_array_append_new(bt, rt_unwind_thread(u, th->tid));
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i]->pid == th->pid && t->thr[i]->tid != th->tid && t->thr[i]->stopped)
			json_array_append_new(bt, rt_unwind_thread(u, t->thr[i]->tid));
	rt_unwinder_free(u);
	{
		struct rt_ev_crash c = { .t = now, .pid = th->pid, .tid = th->tid, .function = fatal, .backtrace = bt,
					 .phase = p ? p->last_probe : NULL, .package = p ? p->cur_pkg : NULL };

		if (si)
			c.signo = si->si_signo, c.code = si->si_code, c.addr = (uint64_t)(uintptr_t)si->si_addr;
		if (ptrace(PTRACE_GETREGS, th->tid, NULL, &regs) == 0)
			c.regs = regs_json(&regs);
		e = rt_event_crash(&c);
	}
	emit(t, e);
	if (p)
		p->crashed = true;
	for (size_t i = 0; i < nours; i++) {
		struct thr *o = thr_find(t, ours[i]);

		if (o)
			resume(t, o, 0);
	}
}

/* What the process writes to fd 2, kept as a tail (for a crash's panic message): read from its memory
 * at the write's entry, so the program's stderr itself is never touched. */
static void keep_stderr(struct proc *p, pid_t tid, uint64_t nr, const uint64_t args[6])
{
	struct iovec local[8], remote[8];
	size_t n = 0, room = sizeof(p->err_tail);
	char buf[sizeof(p->err_tail)];
	ssize_t got;

	if (args[0] != 2 || (nr != SYS_write && nr != SYS_writev))
		return;
	if (nr == SYS_write) {
		remote[n++] = (struct iovec){ (void *)(uintptr_t)args[1], args[2] };
	} else {
		struct iovec l = { remote, sizeof(struct iovec) * (args[2] < 8 ? args[2] : 8) };
		struct iovec r = { (void *)(uintptr_t)args[1], l.iov_len };

		got = process_vm_readv(tid, &l, 1, &r, 1, 0);
		n = got > 0 ? (size_t)got / sizeof(struct iovec) : 0;
	}
	/* only the last `room` bytes of the write matter: drop what comes before them */
	{
		size_t total = 0, skip, used = 0;

		for (size_t i = 0; i < n; i++)
			total += remote[i].iov_len;
		skip = total > room ? total - room : 0;
		for (size_t i = 0; i < n; i++) {
			size_t cut = skip < remote[i].iov_len ? skip : remote[i].iov_len;

			remote[i].iov_base = (char *)remote[i].iov_base + cut;
			remote[i].iov_len -= cut;
			skip -= cut;
			local[i] = (struct iovec){ buf + used, remote[i].iov_len };
			used += remote[i].iov_len;
		}
	}
	got = n ? process_vm_readv(tid, local, n, remote, n, 0) : 0;
	if (got <= 0)
		return;
	if (p->err_len + (size_t)got > room) {
		size_t drop = p->err_len + (size_t)got - room; /* <= err_len, as got <= room */

		memmove(p->err_tail, p->err_tail + drop, p->err_len - drop);
		p->err_len -= drop;
	}
	memcpy(p->err_tail + p->err_len, buf, (size_t)got); /* got <= room: the reads above are capped */
	p->err_len += (size_t)got;
}

/* The stderr tail of a process that crashed, as an event: valid UTF-8 (other bytes become '?'). */
static void emit_stderr(struct tracer *t, struct proc *p, uint64_t now)
{
	if (!p->crashed || !p->err_len)
		return;
	emit(t, rt_event_stderr(now, p->pid, p->err_tail, p->err_len));
	p->err_len = 0;
}

static struct bp *bp_at(struct proc *p, uint64_t addr)
{
	for (size_t i = 0; p && i < p->nbps; i++)
		if (p->bps[i].addr == addr)
			return &p->bps[i];
	return NULL;
}

/* A SIGTRAP at one of our int3s: record, restore, rewind. Returns true when it was ours. */
static bool on_breakpoint(struct tracer *t, struct thr *th, uint64_t now)
{
	struct user_regs_struct regs;
	struct proc *p = proc_find(t, th->pid);
	struct bp *b;
	bool fatal = false;

	if (ptrace(PTRACE_GETREGS, th->tid, NULL, &regs) != 0)
		return false;
	b = bp_at(p, regs.rip - 1);
	if (!b)
		return false;
	if (b->armed && b->probe->role == RT_ROLE_FATAL) {
		fatal = true;
		put_byte(p, th->tid, b->addr, b->orig);
		b->armed = false;
	} else if (b->armed) {
		put_byte(p, th->tid, b->addr, b->orig);
		b->armed = false;
		p->last_probe = b->probe->symbol;
		p->cur_pkg = b->probe->role == RT_ROLE_INIT ? b->probe->package : NULL;
		{
			struct rt_sched s;

			thr_sched(th, &s);
			emit_probe(t, now, th, b->probe, &s, NULL);
		}
		if (b->probe->role == RT_ROLE_MAIN && !p->main_hit) {
			p->main_hit = true;
			snapshot_maps(t, th->pid, b->probe->symbol, now);
		}
	}
	/* Another thread may have hit it before it was removed: it re-runs the instruction too. */
	regs.rip -= 1;
	ptrace(PTRACE_SETREGS, th->tid, NULL, &regs);
	if (fatal) /* unwound from the function's entry, where it now stands */
		record_crash(t, th, now, NULL, b->probe->symbol);
	return true;
}

/* ---- syscalls ----------------------------------------------------------------------------------------- */

static void emit_syscall(struct tracer *t, struct thr *th, uint64_t now, bool has_ret, int64_t ret)
{
	if (t->run->header_done && !silent_pid(t, th->pid) && rt_sysfilter_has(t->run->trace.filter, th->nr)) {
		struct later_sys ls = { th->t_enter, now - th->t_enter, th->nr, th->pid, th->tid, { 0 }, ret, has_ret, NULL };

		memcpy(ls.args, th->args, sizeof(ls.args));
		if (th->cap && rt_dec_known(th->nr)) {
			size_t n = offsetof(struct rt_dec_cap, buf) + th->cap->used;

			ls.cap = xmalloc(n);
			memcpy(ls.cap, th->cap, n);
		}
		if (t->held) {
			*(later_add(t)->sys = xmalloc(sizeof(ls))) = ls;
		} else {
			write_syscall(t, &ls);
			free(ls.cap);
		}
	}
	th->in_syscall = false;
}

/* The stopped thread's memory, for the decoder. */
static long read_tracee(void *ctx, uint64_t addr, void *dst, size_t n)
{
	struct iovec l = { dst, n }, r = { (void *)(uintptr_t)addr, n };

	return process_vm_readv(*(pid_t *)ctx, &l, 1, &r, 1, 0);
}

/* What the syscall's arguments point at, read while the thread is stopped at its entry or exit (the
 * decoder's plan says what and when). Not with --raw, nor for a process that is not recorded. */
static void capture_args(struct tracer *t, struct thr *th, bool at_exit, int64_t ret)
{
	struct rt_dec_need needs[RT_DEC_MAX_NEEDS];
	int n;

	if (t->o->raw || !rt_dec_known(th->nr) || silent_pid(t, th->pid) ||
	    !rt_sysfilter_has(t->run->trace.filter, th->nr))
		return;
	if (!th->cap)
		th->cap = xmalloc(sizeof(*th->cap));
	if (!at_exit)
		rt_dec_cap_init(th->cap);
	if ((n = rt_dec_plan(th->nr, th->args, at_exit, ret, needs)) > 0)
		rt_dec_capture(th->cap, needs, n, th->args, read_tracee, &th->tid);
}

static void on_syscall_stop(struct tracer *t, struct thr *th, uint64_t now)
{
	struct __ptrace_syscall_info si;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, th->tid, (void *)sizeof(si), &si) <= 0)
		return;
	if (si.op == PTRACE_SYSCALL_INFO_ENTRY || si.op == PTRACE_SYSCALL_INFO_SECCOMP) {
		/* (a seccomp stop is an entry: the same fields, at the same place in the struct) */
		if (th->in_syscall) /* an entry without its exit (e.g. across exec): keep what we know */
			emit_syscall(t, th, now, false, 0);
		th->in_syscall = true;
		th->t_enter = now;
		th->nr = si.op == PTRACE_SYSCALL_INFO_ENTRY ? si.entry.nr : si.seccomp.nr;
		memcpy(th->args, si.op == PTRACE_SYSCALL_INFO_ENTRY ? si.entry.args : si.seccomp.args, sizeof(th->args));
		capture_args(t, th, false, 0);
		if (th->args[0] == 2) {
			struct proc *p = proc_find(t, th->pid);

			if (p)
				keep_stderr(p, th->tid, th->nr, th->args);
		}
	} else if (si.op == PTRACE_SYSCALL_INFO_EXIT && th->in_syscall) {
		capture_args(t, th, true, si.exit.rval);
		emit_syscall(t, th, now, true, si.exit.rval);
	}
}

/* ---- detaching -------------------------------------------------------------------------------------------- */

/* Stops every thread (PTRACE_INTERRUPT), removes every breakpoint, and detaches, passing on signals
 * caught meanwhile. The program goes on untraced. */
static void detach_all(struct tracer *t)
{
	t->detaching = true;
	for (size_t i = 0; i < t->nthr; i++)
		if (!t->thr[i]->stopped)
			ptrace(PTRACE_INTERRUPT, t->thr[i]->tid, NULL, NULL);
	/* t->nthr can grow: a thread's pending stop may be the clone of a thread (or a fork) we have not
	 * heard of, already attached by TRACECLONE; it is interrupted and detached like the others, or it
	 * would stay traced, and stopped, forever. */
	for (size_t i = 0; i < t->nthr; i++) {
		while (!t->thr[i]->stopped) {
			pid_t tid = t->thr[i]->tid;
			int st, ev;
			pid_t w = waitpid(tid, &st, __WALL);

			if (w < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
				t->thr[i]->stopped = true;
				t->thr[i]->tid = -1;
				break;
			}
			t->thr[i]->stopped = true;
			ev = st >> 16;
			if (ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK) {
				unsigned long child = 0;

				if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &child) == 0 && child && !thr_find(t, (pid_t)child)) {
					pid_t pid = ev == PTRACE_EVENT_CLONE ? t->thr[i]->pid : (pid_t)child;

					if (ev != PTRACE_EVENT_CLONE)
						disarm_fork_copy(proc_find(t, t->thr[i]->pid), (pid_t)child);
					thr_add(t, (pid_t)child, pid);
					ptrace(PTRACE_INTERRUPT, (pid_t)child, NULL, NULL);
				}
			} else if (WSTOPSIG(st) != SIGTRAP && WSTOPSIG(st) != (SIGTRAP | 0x80) && !ev) {
				siginfo_t si;

				if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) == 0)
					t->thr[i]->pending_sig = WSTOPSIG(st);
			}
		}
	}
	for (size_t i = 0; i < t->nproc; i++)
		for (size_t k = 0; k < t->nthr; k++)
			if (t->thr[k]->pid == t->proc[i]->pid && t->thr[k]->tid > 0) {
				disarm_all(t->proc[i], t->thr[k]->tid);
				break;
			}
	/* A thread detached first may end the process (exit_group) while others still wait for their
	 * detach: those are killed out of their ptrace-stop, so their detach fails (ESRCH) and, traced,
	 * they would stop at their exit for good. So no thread keeps an exit stop, and one whose detach
	 * fails is waited for (reaped, or detached from the stop it reaches). */
	for (size_t i = 0; i < t->nthr; i++)
		if (t->thr[i]->tid > 0)
			ptrace(PTRACE_SETOPTIONS, t->thr[i]->tid, NULL, (void *)0);
	for (size_t i = 0; i < t->nthr; i++) {
		pid_t tid = t->thr[i]->tid;
		int st;

		while (tid > 0 && ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)t->thr[i]->pending_sig) != 0 && errno == ESRCH &&
		       waitpid(tid, &st, __WALL) == tid) {
			if (!WIFSTOPPED(st)) {
				if (tid == t->run->root) { /* our child is gone: keep how it ended */
					t->root_reaped = true;
					t->root_wait_status = st;
				}
				break;
			}
		}
	}
	for (size_t i = 0; i < t->nthr; i++)
		thr_free(t->thr[i]);
	t->nthr = 0;
}

/* ---- the loop --------------------------------------------------------------------------------------------- */

/* PTRACE_SYSCALL stops at every syscall's entry and exit; with a seccomp filter the entries come as
 * seccomp stops, so the thread runs on with PTRACE_CONT, and with PTRACE_SYSCALL only from an entry to
 * its exit. */
static void resume(struct tracer *t, struct thr *th, int sig)
{
	if (th->stop_at && rt_now_ns() - th->stop_at > YIELD_AFTER_NS) {
		settle_lag(t); /* the yield's wait is the hold's, not the wake's */
		sched_yield();
	}
	if (th->stop_at) {
		uint64_t now = rt_now_ns();

		th->stopped_ns += now > th->stop_at ? now - th->stop_at : 0;
		th->stop_at = 0;
		th->resumed_at = now;
	}
	th->stopped = false;
	ptrace(t->seccomp && !th->in_syscall && !t->calib_sys ? PTRACE_CONT : PTRACE_SYSCALL, th->tid, NULL, (void *)(long)sig);
}

/* The stop wait4 gave woke rt0trace; how long rt0trace then waited for a CPU, the program spent stopped
 * before rt0trace could see it: the stop began that much earlier (not before rt0trace began to wait).
 * Read after the resume, off the hold (a /proc read in every hold cost the sample program 0.5 ms of
 * its 8): what the stop dated at wait4's return is moved back here — the events it left to write, the
 * thread's syscall entry, and its hold (stopped_ns). A wait for a CPU between the resume and this read
 * would count too, but never more than the time rt0trace waited for the stop; a long hold (the yield
 * in resume) is settled before its resume. */
static uint64_t self_wait(struct tracer *t);
static uint64_t settle_lag(struct tracer *t)
{
	uint64_t w, lag, raw = t->lag.now;
	struct thr *th;

	if (!t->lag.open)
		return 0;
	t->lag.open = false;
	w = self_wait(t);
	t->self_at = rt_now_ns();
	lag = w > t->self_wait ? w - t->self_wait : 0;
	t->self_wait = w;
	if (lag > raw - t->lag.before)
		lag = raw - t->lag.before;
	if (!lag)
		return 0;
	for (size_t i = 0; i < t->nlater; i++) {
		struct later *l = &t->later[i];

		if (l->sys && l->sys->t + l->sys->dur == raw)
			l->sys->dur -= l->sys->dur > lag ? lag : l->sys->dur;
		else if (l->e && rt_event_time(l->e) == raw)
			rt_event_retime(l->e, raw - lag);
		else if (!l->sys && !l->e && l->t == raw)
			l->t = raw - lag;
	}
	if ((th = thr_find(t, t->lag.tid)) != NULL) {
		if (th->stop_at == raw)
			th->stop_at = raw - lag;
		else if (th->resumed_at >= raw)
			th->stopped_ns += lag;
		if (th->in_syscall && th->t_enter == raw)
			th->t_enter = raw - lag;
	}
	return lag;
}

/* rt0trace's own wait for a CPU so far (ns), from its schedstat; 0 when it cannot be read. */
static uint64_t self_wait(struct tracer *t)
{
	struct rt_sched s;

	return rt_sched_read(&t->selffd, t->selffd < 0 ? getpid() : 0, t->selffd < 0 ? (int)gettid() : 0, &s) ? s.wait_ns : 0;
}

/* The next stop or exit to handle: a deferred one, else wait4's. -1 with errno when none came. */
static pid_t next_stop(struct tracer *t, int *st, struct rusage *ru, bool *have_ru, uint64_t *now)
{
	uint64_t before;
	pid_t tid;

	*have_ru = false;
	if (t->ndeferred) {
		tid = t->deferred[0].tid;
		*st = t->deferred[0].status;
		memmove(t->deferred, t->deferred + 1, --t->ndeferred * sizeof(*t->deferred));
		*now = rt_now_ns();
		return tid;
	}
	before = rt_now_ns();
	if (!t->self_at || before - t->self_at > SELF_FRESH_NS)
		t->self_wait = self_wait(t);
	tid = wait4(-1, st, __WALL, ru);
	*have_ru = true;
	*now = rt_now_ns();
	t->lag.open = tid > 0;
	t->lag.tid = tid;
	t->lag.before = before;
	t->lag.now = *now;
	/* Before the exec (the calibration) the stop's time is used at once: settled now. */
	if (!t->run->header_done)
		*now -= settle_lag(t);
	return tid;
}

/* A thread or process that is gone: its open syscall, its exit event, and for the root the run's end.
 * True when nothing is left to trace. */
static bool on_gone(struct tracer *t, struct thr *th, pid_t tid, int st, const struct rusage *ru, bool have_ru,
		    uint64_t now)
{
	if (th && th->in_syscall)
		emit_syscall(t, th, now, false, 0);
	if (th && th->tid == th->pid)
		emit(t, rt_event_exit(now, th->pid, st, NULL));
	if (tid == t->run->root) {
		if (have_ru)
			rt_trace_rusage(&t->run->trace, ru);
		if (t->hwfd >= 0 && rt_hw_instructions_read(t->hwfd, &t->run->trace.instructions) == 0)
			t->run->trace.has_instructions = true;
		rt_run_exited(t->run, st);
		t->root_done = true;
	}
	thr_del(t, tid);
	return t->nthr == 0 && t->root_done;
}

/* A clone, fork or vfork event: the new thread or process, followed. */
static void on_clone(struct tracer *t, struct thr *th, pid_t tid, int ev, uint64_t now)
{
	unsigned long child = 0;
	struct thr *c;

	ptrace(PTRACE_GETEVENTMSG, tid, NULL, &child);
	c = thr_add(t, (pid_t)child, ev == PTRACE_EVENT_CLONE ? th->pid : (pid_t)child);
	c->pid = ev == PTRACE_EVENT_CLONE ? th->pid : (pid_t)child;
	c->opts_due = true; /* a child stopped already (its stop came first) gets them at its next */
	emit(t, rt_event_clone(now, th->pid, tid, (long long)child,
			       ev == PTRACE_EVENT_CLONE  ? RT_CLONE_KIND_THREAD
			       : ev == PTRACE_EVENT_FORK ? RT_CLONE_KIND_FORK
							 : RT_CLONE_KIND_VFORK, NULL));
	if (ev != PTRACE_EVENT_CLONE) {
		struct proc *parent = proc_find(t, th->pid);

		struct proc *cp;

		disarm_fork_copy(parent, (pid_t)child);
		cp = proc_add(t, (pid_t)child);
		cp->silent = !t->o->follow_forks || (parent && parent->silent);
		if (!cp->silent && parent && parent->fds && !cp->fds)
			cp->fds = rt_dec_fds_copy(parent->fds);
	}
}

/* An exec event: the process's threads but the one that exec'd are gone; its new image is loaded. */
static struct thr *on_exec(struct tracer *t, struct thr *th, pid_t tid, uint64_t now)
{
	unsigned long former = 0;
	struct thr *old;

	ptrace(PTRACE_GETEVENTMSG, tid, NULL, &former);
	/* A non-leader that execs takes over the leader's tid: keep its syscall state. */
	if ((pid_t)former != tid && (old = thr_find(t, (pid_t)former)) != NULL) {
		struct thr keep = *old;

		thr_del(t, (pid_t)former);
		th = thr_add(t, tid, tid);
		keep.tid = tid;
		keep.pid = tid;
		*th = keep;
		th->stopped = true;
		ptrace(PTRACE_SETOPTIONS, tid, NULL, (void *)thread_options(t, tid, tid)); /* now the leader */
	}
	for (size_t i = 0; i < t->nthr; i++) /* the other threads are gone */
		if (t->thr[i]->pid == tid && t->thr[i]->tid != tid) {
			thr_free(t->thr[i]);
			t->thr[i--] = t->thr[--t->nthr];
		}
	th = thr_find(t, tid);
	load_image(t, tid, now, t->o->argv);
	return th;
}

/* A thread about to exit: the process's exit snapshot and stderr tail. */
static void on_exiting(struct tracer *t, struct thr *th, pid_t tid, uint64_t now)
{
	struct proc *p = proc_find(t, th->pid);

	if (!p || tid != th->pid) /* another thread stops at its exit only until its options are set */
		return;
	if (!p->exit_snapshot) {
		p->exit_snapshot = true;
		snapshot_maps(t, th->pid, "exit", now);
	}
	emit_stderr(t, p, now);
}

/* A signal for the program: recorded (a crash too) and delivered at the resume; the signal to deliver. */
static int on_signal(struct tracer *t, struct thr *th, pid_t tid, int sig, uint64_t now)
{
	siginfo_t si;
	int deliver;

	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) != 0)
		return 0;
	deliver = sig;
	/* The SIGCONT that starts the program after it was seized is ours. */
	if (!t->run->header_done && sig == SIGCONT && tid == t->run->root)
		deliver = 0;
	emit(t, rt_event_signal(now, th->pid, tid, sig, si.si_code, (uint64_t)(uintptr_t)si.si_addr, NULL));
	if (fatal_signal(sig))
		record_crash(t, th, now, &si, NULL);
	return deliver;
}

/* After a static image's exec stop is resumed: its entry probe (proc.at_entry), dated at the resume. */
static void entry_probe(struct tracer *t, struct thr *th)
{
	struct proc *p = th->tid == th->pid ? proc_find(t, th->pid) : NULL;
	struct rt_sched s;

	if (!p || !p->at_entry)
		return;
	s = p->entry_sched;
	s.stopped_ns = th->stopped_ns;
	s.stops = th->stops;
	s.sys_stops = th->sys_stops;
	emit_probe(t, th->resumed_at, th, p->at_entry, &s, "exec");
	p->last_probe = p->at_entry->symbol;
	p->cur_pkg = NULL;
	p->at_entry = NULL;
}

/* The stop's resume. The calibration's last stop starts the program's time: its exec is next. Its
 * account is read while it is still stopped (read after the resume, what it ran before we read would be
 * lost from the exec's), its holds after. */
static void resume_stop(struct tracer *t, struct thr *th, int deliver)
{
	struct rt_sched s;

	if (!t->calib_done || th->tid != t->run->root) {
		resume(t, th, deliver);
		entry_probe(t, th);
		return;
	}
	thr_sched(th, &s);
	resume(t, th, deliver);
	s.stopped_ns = th->stopped_ns;
	t->calib_done = false;
	t->run->t0 = th->resumed_at;
	t->run->trace.t0_sched = (struct rt_sched_t0){ .tid = th->tid, .s = s };
}

static int trace_loop(struct tracer *t)
{
	for (;;) {
		int st, sig, ev, deliver = 0;
		bool sys_stop, have_ru;
		struct rusage ru;
		pid_t tid;
		struct thr *th;
		uint64_t now;

		flush_later(t); /* what a stop left that no resume flushed (an exit, a stop kept) */

		if (rt_interrupted && !t->detaching) {
			if (t->o->kill_on_exit || t->seccomp) {
				kill(t->run->root, SIGKILL);
			} else {
				detach_all(t);
				return 1;
			}
		}
		if ((tid = next_stop(t, &st, &ru, &have_ru, &now)) < 0) {
			if (errno == EINTR)
				continue;
			return 0; /* no child left */
		}
		t->held = t->run->defer_header = true;
		th = thr_find(t, tid);
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (on_gone(t, th, tid, st, &ru, have_ru, now))
				return 0;
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (!th) /* a new thread can report before its parent's clone event */
			th = thr_add(t, tid, tid);
		th->stopped = true;
		th->stop_at = now;
		th->stops++;
		if (th->opts_due && !t->detaching) {
			th->opts_due = false;
			ptrace(PTRACE_SETOPTIONS, tid, NULL, (void *)thread_options(t, th->tid, th->pid));
		}
		sig = WSTOPSIG(st);
		ev = st >> 16;
		/* a syscall's entry or exit: PTRACE_SYSCALL's stops, or a seccomp filter's entry stop */
		sys_stop = sig == (SIGTRAP | 0x80) || (sig == SIGTRAP && ev == PTRACE_EVENT_SECCOMP);
		th->sys_stops += sys_stop;
		if (sys_stop) {
			if (t->calib_sys && !t->calib_traps && tid == t->run->root && !t->run->header_done)
				calibration_stop(t, th, now, 1);
			on_syscall_stop(t, th, now);
		} else if (ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK) {
			on_clone(t, th, tid, ev, now);
		} else if (ev == PTRACE_EVENT_EXEC) {
			th = on_exec(t, th, tid, now);
		} else if (ev == PTRACE_EVENT_EXIT) {
			on_exiting(t, th, tid, now);
		} else if (ev == PTRACE_EVENT_STOP) {
			/* A seized thread's first stop or a group-stop. A stop signal keeps the program
			 * stopped (job control) until SIGCONT; anything else continues. */
			if ((sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) && t->run->header_done) {
				th->stopped = false;
				ptrace(PTRACE_LISTEN, tid, NULL, NULL);
				continue;
			}
		} else if (sig == SIGTRAP && !ev && t->calib_traps && tid == t->run->root && !t->run->header_done) {
			calibration_stop(t, th, now, 0);
		} else if (sig == SIGTRAP && on_breakpoint(t, th, now)) {
			/* ours */
		} else {
			deliver = on_signal(t, th, tid, sig, now);
		}
		if (t->o->until_main) {
			struct proc *p = proc_find(t, th->pid);

			if (p && p->main_hit && th->pid == t->run->root) {
				detach_all(t);
				t->run->detached = true;
				t->root_done = true;
				return 0;
			}
		}
		resume_stop(t, th, deliver);
		flush_later(t);
	}
}

/* The loop's result as the engines agree on it: 1 when rt0trace was interrupted, also when the program
 * was then killed (--kill-on-exit) and the loop ran on to its end: the trace is incomplete and rt0trace
 * exits 128+signal, as without --kill-on-exit. */
static int finish_loop(struct tracer *t)
{
	int rc = trace_loop(t);

	flush_later(t);

	return rc == 0 && rt_interrupted && !t->o->until_main ? 1 : rc;
}

/* ---- starting ---------------------------------------------------------------------------------------------- */

/* -p PID: seize every thread (again until no new one appears), stop each, read the image and what it
 * had already run, arm the probes still ahead, and let it go on. */
static int attach_process(struct tracer *t, pid_t pid, struct rt_err *err)
{
	char dir[64];
	struct strv argv = STRV_INIT;
	bool added = true;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	while (added) {
		DIR *d = opendir(dir);
		struct dirent *de;

		if (!d)
			return rt_errf(err, RT_EXIT_INPUT, "cannot attach to %d: %s", (int)pid,
				       errno == ENOENT ? "no such process" : strerror(errno));
		added = false;
		while ((de = readdir(d)) != NULL) {
			pid_t tid = (pid_t)atoi(de->d_name);

			if (tid <= 0 || thr_find(t, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)thread_options(t, tid, pid)) != 0) {
				int e = errno;

				if (e == ESRCH)
					continue; /* the thread ended meanwhile */
				closedir(d);
				return rt_errf(err, RT_EXIT_ENV, "cannot attach to %d: ptrace is not permitted here: %s (see "
								  "kernel.yama.ptrace_scope, or run as root)", (int)pid, strerror(e));
			}
			thr_add(t, tid, pid);
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
			added = true;
		}
		closedir(d);
	}
	for (size_t i = 0; i < t->nthr;) {
		struct thr *th = t->thr[i];
		int st;

		if (waitpid(th->tid, &st, __WALL) != th->tid || WIFEXITED(st) || WIFSIGNALED(st)) {
			thr_del(t, th->tid);
			continue;
		}
		th->stopped = true;
		if (!(st >> 16) && WSTOPSIG(st) != SIGTRAP && WSTOPSIG(st) != (SIGTRAP | 0x80))
			th->pending_sig = WSTOPSIG(st); /* a signal that arrived meanwhile: delivered on resume */
		i++;
	}
	if (!thr_find(t, pid))
		return rt_errf(err, RT_EXIT_INPUT, "cannot attach to %d: it exited", (int)pid);
	rt_proc_argv(pid, &argv);
	load_image(t, pid, rt_now_ns(), argv.v);
	strv_release(&argv);
	for (size_t i = 0; i < t->nthr; i++)
		resume(t, t->thr[i], t->thr[i]->pending_sig);
	return 0;
}

/* The ptrace options: every thread, and with -f (or a seccomp filter) every fork. */
static unsigned long trace_options(const struct tracer *t)
{
	unsigned long opts = TRACE_OPTIONS;

	if (t->o->follow_forks)
		opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
	if (t->o->kill_on_exit)
		opts |= PTRACE_O_EXITKILL;
	if (t->seccomp)
		opts |= PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_EXITKILL;
	return opts;
}

static int pt_attach(struct rt_run *r, struct rt_err *err)
{
	struct tracer *t = r->engine;

	t->run = r;
	if (attach_process(t, r->root, err) != 0) {
		detach_all(t);
		return -1;
	}
	return 0;
}

/* Preparing the start: with -e trace= to the end, the program stops only for those syscalls (--until main detaches, so there
 * the trace writer alone filters): every fork is followed and the program dies with rt0trace, as a
 * process with the filter and no tracer would see those syscalls fail with ENOSYS. It stops itself to
 * be seized, then makes the calibration stops and installs the filter. */
static int pt_prepare(struct rt_run *r, struct rt_err *err)
{
	struct tracer *t = r->engine;

	t->run = r;
	if (r->o->attach) /* a running process: no filter of its own, its image read at the attach */
		return 0;
	if (t->o->syscalls && !t->o->until_main && !(t->seccomp = rt_seccomp_build(t->o->syscalls, true, err)))
		return -1;
	r->spawn = (struct rt_spawn){ .stop = true, .calibrate = CALIB_STOPS, .filter_fd = -1 };
	if (t->seccomp && (r->spawn.filter_fd = rt_seccomp_export(t->seccomp, err)) < 0)
		return -1;
	return 0;
}

/* It stops itself before its exec: its binary is read meanwhile, off its clock (its exec checks that it
 * is still the same file); then it is seized and goes on to the calibration and its exec. */
static int pt_start(struct rt_run *r, struct rt_err *err)
{
	struct tracer *t = r->engine;
	struct rt_err ignored = { 0 };
	pid_t pid = r->root;
	int st;

	/* the binary is read while the starter starts (~0.5 ms each, side by side on two CPUs) */
	if (rt_binary_open(&t->pre, r->prog, &ignored) != 0)
		t->pre = NULL;
	else
		rt_run_plan(r, t->pre, &t->pre_plan);
	t->filter_fd = r->spawn.filter_fd;
	if (r->spawn.filter_fd >= 0)
		close(r->spawn.filter_fd);
	r->spawn.filter_fd = -1;
	r->t0 = rt_now_ns();
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st)) {
		if (rt_exec_failed(r->errfd, r->prog, err) == 0)
			rt_errf(err, RT_EXIT_ENV, "the program did not stop before exec");
		return -1;
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)trace_options(t)) != 0) {
		int e = errno;

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		r->exited = true;
		return rt_errf(err, RT_EXIT_ENV, "ptrace is not permitted here: %s (see kernel.yama.ptrace_scope, seccomp, "
						 "or run as root; --engine ebpf traces from outside)", strerror(e));
	}
	thr_add(t, pid, pid);
	t->hwfd = rt_hw_instructions_open(pid); /* counting from its exec; -1 where the machine cannot */
	/* a task's account starts at zero at its fork, which t0 follows at once */
	r->trace.t0_sched = (struct rt_sched_t0){ .tid = pid, .s = { .valid = true, .has_stopped = true } };
	t->calib_traps = CALIB_STOPS;
	t->calib_sys = 2 * CALIB_STOPS;
	kill(pid, SIGCONT);
	return 0;
}

static int pt_loop(struct rt_run *r)
{
	return finish_loop(r->engine);
}

static int pt_stop(struct rt_run *r, bool interrupted, struct rt_err *err)
{
	struct tracer *t = r->engine;

	(void)err;
	/* --until main: detach_all may have had to reap our child (it died while being detached) */
	if (!interrupted && r->detached && t->root_reaped)
		rt_run_exited(r, t->root_wait_status);
	return 0;
}

static void pt_cleanup(struct rt_run *r)
{
	struct tracer *t = r->engine;

	for (size_t i = 0; i < t->nproc; i++) {
		proc_clear(t->proc[i]);
		rt_dec_fds_free(t->proc[i]->fds);
		free(t->proc[i]);
	}
	for (size_t i = 0; i < t->nthr; i++)
		thr_free(t->thr[i]);
	free(t->proc);
	free(t->thr);
	free(t->deferred);
	if (r->spawn.filter_fd >= 0)
		close(r->spawn.filter_fd);
	rt_seccomp_free(t->seccomp);
	rt_binary_free(t->pre);
	rt_probe_plan_free(&t->pre_plan);
	rt_dec_fds_free(t->pre_fds);
	for (size_t i = 0; i < t->nlater; i++) {
		json_decref(t->later[i].e);
		free(t->later[i].sys);
		free(t->later[i].probe);
		free(t->later[i].maps.text);
		free(t->later[i].at);
	}
	free(t->later);
	if (t->selffd >= 0)
		close(t->selffd);
	if (t->hwfd >= 0)
		close(t->hwfd);
}

static const struct rt_engine_ops ptrace_ops = {
	.name = "ptrace",
	.prepare = pt_prepare,
	.start = pt_start,
	.attach = pt_attach,
	.loop = pt_loop,
	.stop = pt_stop,
	.cleanup = pt_cleanup,
};

int rt_ptrace_run(const struct rt_run_opts *o, int *status, struct rt_err *err)
{
	struct tracer t = { .o = o, .selffd = -1, .hwfd = -1, .filter_fd = -1 };

	return rt_run_engine(&ptrace_ops, &t, o, status, err);
}
