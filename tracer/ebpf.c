/*
 * tracer/ebpf: the eBPF engine's user side (the kernel side is bpf/ebpf.bpf.c, the records bpf/ebpf.h).
 * Lifecycle, as libbpf-tools do it: open → set rodata → load → attach → poll the ring buffer until the
 * program is gone (or SIGINT/SIGTERM) → destroy.
 *
 * The program is forked and held on a pipe until its pid is in the tracked map and every tracepoint is
 * attached; each exec of a tracked process stops it in the kernel (SIGSTOP before its first
 * instruction) until this side has read the new image through /proc/PID/exe, planned its probes
 * (probes/plan.h) and attached a uprobe at each entry (pid-filtered, cookie = plan index), then sends
 * SIGCONT. The main.main (main) uprobe stops the process the same way for the layout snapshot
 * (/proc/PID/maps read while it is stopped, then SIGCONT): the trace says so in the maps event
 * ("how":"stopped"). Entry probes only, never return probes (Go moves goroutine stacks); the fatal-path
 * probes are planned but not attached (crash capture with backtraces is the ptrace engine's).
 *
 * Syscalls are decoded (tracer/decode.h) unless --raw: the `plan` map tells the kernel what of each
 * known syscall's memory to read (fill_plan), a record carries it (bpf/ebpf.h struct rt_ev_cap), and each
 * read of the ring buffer is written after it (drain): decoded then, against a per-process fd table.
 */
#include "tracer/engine.h"
#include "tracer/ebpf_agent.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "tracer/trace.h"

#ifdef RT0_EBPF_MISSING

int rt_ebpf_run(const struct rt_run_opts *o, int *status, struct rt_err *err)
{
	(void)o;
	*status = 0;
	return rt_errf(err, RT_EXIT_ENV, "the eBPF engine is not available in this build: %s", RT0_EBPF_MISSING);
}

int rt_ebpf_agent_open(struct rt_ebpf **out, const struct rt_run_opts *o, const char *const *at_exec,
		       const char *const *before_exec, const struct rt_ebpf_hooks *h, struct rt_err *err)
{
	(void)o, (void)at_exec, (void)before_exec, (void)h;
	*out = NULL;
	return rt_errf(err, RT_EXIT_ENV, "the agent needs the eBPF engine, which is not available in this build: %s",
		       RT0_EBPF_MISSING);
}
int rt_ebpf_agent_fd(const struct rt_ebpf *t) { (void)t; return -1; }
void rt_ebpf_agent_poll(struct rt_ebpf *t) { (void)t; }
bool rt_ebpf_agent_any_alive(struct rt_ebpf *t, const struct rt_run *run) { (void)t, (void)run; return false; }
void rt_ebpf_agent_forget(struct rt_ebpf *t, struct rt_run *run) { (void)t, (void)run; }
uint64_t rt_ebpf_agent_lost(const struct rt_ebpf *t) { (void)t; return 0; }
void rt_ebpf_agent_close(struct rt_ebpf *t) { (void)t; }

#else

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/ebpf.h"
#include "ebpf.skel.h"
#include "probes/binary.h"
#include "probes/plan.h"
#include "tracer/decode.h"
#include "tracer/driver.h"
#include "tracer/image.h"
#include "tracer/maps.h"

_Static_assert(RT_CAP_NEEDS == RT_DEC_MAX_NEEDS && RT_CAP_BYTES == RT_DEC_CAP_BYTES && RT_CAP_ARGV == RT_DEC_ARGV_MAX &&
		       RT_CAP_ARG >= RT_DEC_ARG_MAX && RT_DEC_ENTRY == 1 && RT_DEC_EXIT == 2 && RT_DEC_STR == 0 &&
		       RT_DEC_BYTES == 1 && RT_DEC_ARGV == 2 && RT_DEC_COUNT == 3 && RT_DEC_OK == 0 && RT_DEC_TRUNC == 1 &&
		       RT_DEC_FAULT == 2 && RT_DEC_LEN_RET == 1 && RT_DEC_LEN_ARG0 == 2,
	       "bpf/ebpf.bpf.c's copies of tracer/decode.h's values");

#define BTF_PATH "/sys/kernel/btf/vmlinux"
/* From Linux >= 6.6's UAPI, newer than the headers (and libbpf) this builds with. */
#define RT_BPF_TRACE_UPROBE_MULTI 48

/* BPF_LINK_CREATE's attributes for a uprobe_multi link (union bpf_attr, link_create). */
struct uprobe_multi_attr {
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, uflags, pid, pad;
};

struct eproc {
	pid_t pid;
	bool live;
	struct rt_binary *bin;
	struct rt_probe_plan plan;
	uint64_t bias;
	bool *hit;              /* per plan index: the first hit is the one recorded */
	struct bpf_link **links;  /* one per entry when uprobe_multi is not available */
	size_t nlinks;
	int multi_fd;             /* the image's uprobe_multi link, or -1 */
	size_t attached, failed;  /* uprobes attached, and planned ones that could not be */
	char err[1024];           /* why the image could not be read */
	char attach_err[256];     /* the first uprobe that could not be attached, for the exec event */
	bool pre;                 /* attached before its exec: the image is the program's file */
	dev_t dev;                /* that file */
	ino_t ino;
	bool main_hit;
	bool held;                /* its main.main hold was let go by on_hold, which read held_maps */
	bool held_took;
	struct rt_maps_raw held_maps;
	struct rt_run *run;       /* the run its records go to (the agent: its tree's; NULL: none) */
	struct rt_dec_fds *fds;   /* its file descriptors as its syscalls tell (tracer/decode), or NULL: --raw */
};

struct rt_ebpf {
	const struct rt_run_opts *o;
	struct rt_run *run;     /* the driver's: the trace, its header, t0, the root and its end (NULL: the
				 * agent, whose trees each have their own, eproc.run) */
	const struct rt_ebpf_hooks *hooks; /* the agent's, or NULL */
	struct ebpf *skel;
	struct ring_buffer *rb;
	bool root_exited;       /* the root's exit record arrived */
	bool until_done;        /* --until main reached: nothing more is recorded */
	bool multi;             /* uprobe_multi links work here */
	struct eproc *procs;
	size_t nprocs, proccap;
	struct rt_dec_cap *cap;  /* a syscall's capture, as the decoder takes it (reused) */
	struct queued *q;        /* what a read of the ring buffer gave, written after it (see drain) */
	size_t nq, qcap;
};

/* One thing to write once the ring buffer is read: a SYSCALL record (copied, decoded then), an event,
 * or a fork's fd table to copy (in order: the parent's table as of the fork). */
struct queued {
	struct rt_run *run;
	void *rec;
	size_t size;
	json_t *e;
	pid_t parent, child;
};

static bool verbose;
static char libbpf_last[512]; /* libbpf's last warning: the "why" of a failed load or attach */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list cp;

	va_copy(cp, ap);
	if (level <= LIBBPF_WARN) {
		vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, cp);
		libbpf_last[strcspn(libbpf_last, "\n")] = '\0';
	}
	va_end(cp);
	if (verbose)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* ---- processes ------------------------------------------------------------------------------------ */

static struct eproc *proc_find(struct rt_ebpf *t, pid_t pid)
{
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	return NULL;
}

static struct eproc *proc_add(struct rt_ebpf *t, pid_t pid)
{
	struct eproc *p = proc_find(t, pid);

	if (p)
		return p;
	t->procs = xgrow(t->procs, &t->proccap, t->nprocs + 1, sizeof(*t->procs));
	p = &t->procs[t->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->live = true;
	p->multi_fd = -1;
	p->run = t->run;
	return p;
}

/* Detaches the image's uprobes and forgets the image. */
static void proc_clear(struct eproc *p)
{
	if (p->multi_fd >= 0)
		close(p->multi_fd);
	p->multi_fd = -1;
	for (size_t i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	p->links = NULL;
	p->nlinks = 0;
	free(p->hit);
	p->hit = NULL;
	rt_probe_plan_free(&p->plan);
	rt_binary_free(p->bin);
	p->bin = NULL;
	p->main_hit = false;
	if (p->held && p->held_took)
		free(p->held_maps.text);
	p->held = p->held_took = false;
}

/* Whether a traced process (of `run`'s tree; NULL: any) is alive. */
static bool any_live(struct rt_ebpf *t, const struct rt_run *run)
{
	for (size_t i = 0; i < t->nprocs; i++) {
		struct eproc *p = &t->procs[i];

		if (!p->live || (run && p->run != run))
			continue;
		/* an exit record lost to a full ring buffer must not keep us waiting forever */
		if (kill(p->pid, 0) == 0 || errno != ESRCH)
			return true;
		p->live = false;
	}
	return false;
}

/* The run process pid's records go to: the driver's, or (the agent) its tree's; NULL: none. */
static struct rt_run *run_of(struct rt_ebpf *t, pid_t pid)
{
	struct eproc *p;

	if (t->run)
		return t->run;
	p = proc_find(t, pid);
	return p ? p->run : NULL;
}

static bool recording(const struct rt_ebpf *t, const struct rt_run *run)
{
	return run && run->header_done && !t->until_done;
}

static struct queued *enqueue(struct rt_ebpf *t, struct rt_run *run)
{
	t->q = xgrow(t->q, &t->qcap, t->nq + 1, sizeof(*t->q));
	t->q[t->nq] = (struct queued){ .run = run };
	return &t->q[t->nq++];
}

static void emit(struct rt_ebpf *t, struct rt_run *run, json_t *e)
{
	if (!recording(t, run)) {
		json_decref(e);
		return;
	}
	enqueue(t, run)->e = e;
}

/* Ends a hold (an exec's, main.main's): the process was stopped in the kernel (SIGSTOP) and goes on now.
 * A process that cannot be continued (no CAP_KILL over another user's process: the agent run with too
 * few capabilities) would stay stopped: said once, loudly. */
static void cont(pid_t pid)
{
	static bool said;

	if (kill(pid, SIGCONT) != 0 && errno != ESRCH && !said) {
		said = true;
		fprintf(stderr, "rt0trace: cannot continue process %d after holding it: %s; it stays stopped until "
				"someone sends it SIGCONT (rt0trace needs CAP_KILL over the processes it traces)\n",
			(int)pid, strerror(errno));
	}
}

/* ---- images and uprobes ---------------------------------------------------------------------------- */

/* The file offset of a link-time address: uprobes are placed by (inode, offset). */
static bool file_offset(const struct rt_elf *e, uint64_t vaddr, uint64_t *off)
{
	const unsigned char *b = rt_elf_bytes(e, vaddr, 1);

	if (!b)
		return false;
	*off = (uint64_t)(b - e->map);
	return true;
}

static bool read32(void *arg, uint64_t addr, uint32_t *out)
{
	return pread(*(int *)arg, out, sizeof(*out), (off_t)addr) == (ssize_t)sizeof(*out);
}

/* One uprobe_multi link for all of an image's entries: one registration call, and one wait for the
 * kernel's grace period when it goes (per-entry links pay that wait once each, ~80 ms apiece). */
static int multi_link(int prog_fd, const char *path, const uint64_t *offs, const uint64_t *cookies, size_t n, pid_t pid)
{
	struct uprobe_multi_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (uint32_t)prog_fd;
	a.attach_type = RT_BPF_TRACE_UPROBE_MULTI;
	a.path = (uint64_t)(uintptr_t)path;
	a.offsets = (uint64_t)(uintptr_t)offs;
	a.cookies = (uint64_t)(uintptr_t)cookies;
	a.cnt = (uint32_t)n;
	a.pid = (uint32_t)pid;
	return (int)syscall(SYS_bpf, 28 /* BPF_LINK_CREATE */, &a, offsetof(struct uprobe_multi_attr, pad));
}

static void attach_probes(struct rt_ebpf *t, struct eproc *p, pid_t pid, const char *exe, const struct rt_past *ps,
			  bool attaching, size_t *attached, size_t *failed)
{
	uint64_t *offs = xcalloc(p->plan.n ? p->plan.n : 1, sizeof(*offs));
	uint64_t *cookies = xcalloc(p->plan.n ? p->plan.n : 1, sizeof(*cookies));
	size_t n = 0;

	for (size_t i = 0; i < p->plan.n; i++) {
		const struct rt_probe *pr = &p->plan.p[i];

		if (pr->role == RT_ROLE_FATAL || rt_past_probe(ps, pr, attaching))
			continue;
		if (!file_offset(p->bin->elf, rt_probe_site(p->bin->elf, pr->addr), &offs[n])) {
			(*failed)++;
			continue;
		}
		cookies[n++] = i | (pr->role == RT_ROLE_MAIN ? RT_PROBE_HOLD : 0);
	}
	if (n && t->multi) {
		p->multi_fd = multi_link(bpf_program__fd(t->skel->progs.rt_probe_multi), exe, offs, cookies, n, pid);
		if (p->multi_fd >= 0)
			*attached = n;
		else if (errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS)
			t->multi = false; /* an older kernel: one link per entry from now on */
		else
			snprintf(p->attach_err, sizeof(p->attach_err), "uprobe_multi: %s", strerror(errno));
	}
	for (size_t k = 0; n && p->multi_fd < 0 && k < n; k++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo);
		struct bpf_link *l;

		uo.bpf_cookie = cookies[k];
		l = bpf_program__attach_uprobe_opts(t->skel->progs.rt_probe, pid, exe, (size_t)offs[k], &uo);
		if (!l) {
			if (!p->attach_err[0])
				snprintf(p->attach_err, sizeof(p->attach_err), "%s: %s",
					 p->plan.p[cookies[k] & 0xffffffffull].symbol, strerror(errno));
			(*failed)++;
			continue;
		}
		p->links[p->nlinks++] = l;
		(*attached)++;
	}
	free(offs);
	free(cookies);
}

/* Reads the image at `path` and attaches its uprobes for pid (past ones left out at -p). The path is
 * /proc/PID/exe, or the program itself when it is attached before its exec (pre-attach). */
static void image_attach(struct rt_ebpf *t, struct eproc *p, pid_t pid, const char *path, bool attaching,
			 struct rt_past *ps)
{
	struct rt_err err = { 0 };
	struct stat st;

	proc_clear(p);
	p->attached = p->failed = 0;
	p->err[0] = p->attach_err[0] = '\0';
	if (stat(path, &st) == 0) {
		p->dev = st.st_dev;
		p->ino = st.st_ino;
	}
	if (rt_binary_open(&p->bin, path, &err) != 0) {
		p->bin = NULL;
		snprintf(p->err, sizeof(p->err), "%s", err.msg);
		return;
	}
	rt_run_plan(p->run, p->bin, &p->plan);
	p->hit = xcalloc(p->plan.n ? p->plan.n : 1, sizeof(*p->hit));
	p->links = xcalloc(p->plan.n ? p->plan.n : 1, sizeof(*p->links));
	if (attaching) {
		char mem[64];
		int fd;

		p->bias = rt_image_bias(pid, p->bin->elf);
		snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)pid);
		fd = open(mem, O_RDONLY | O_CLOEXEC);
		rt_past_read(p->bin, p->bias, read32, &fd, ps);
		if (fd >= 0)
			close(fd);
	}
	attach_probes(t, p, pid, path, ps, attaching, &p->attached, &p->failed);
}

/* A new image in a tracked process (its exec, or the process at -p). Unless its probes were attached
 * before the exec (and /proc/PID/exe is that very file), it is read through /proc/PID/exe (the path
 * the program used may not exist in our mount namespace) and its probes attached now, while the
 * exec hold keeps it stopped. Writes the header (the root's first image) and the exec event. */
/* A record's scheduler account (bpf/ebpf.h: PROBE and EXEC records). */
static struct rt_sched rec_sched(const struct rt_ev *r)
{
	struct rt_sched s = { .valid = r->args[2] != 0, .cpu_ns = r->args[0], .wait_ns = r->args[1] };

	return s;
}

static void load_image(struct rt_ebpf *t, pid_t pid, uint64_t now, bool attaching, char *const *argv, int nthreads,
		       const struct rt_sched *sched)
{
	struct eproc *p = proc_add(t, pid);
	char exe[64], real[PATH_MAX];
	struct rt_past ps = { 0 };
	struct stat st;

	if (!p->fds && !t->o->raw) /* the fds it starts with; a process that execs keeps its table */
		p->fds = rt_dec_fds_from_proc(pid);
	rt_run_exe(pid, exe, real, sizeof(real));
	if (p->pre && p->bin && stat(exe, &st) != 0) {
		/* a short program already gone: the image is the file attached before its exec */
		if (!realpath(p->bin->elf->path, real))
			snprintf(real, sizeof(real), "%s", p->bin->elf->path);
	} else if (!(p->pre && p->bin && st.st_dev == p->dev && st.st_ino == p->ino)) {
		image_attach(t, p, pid, exe, attaching, &ps);
	}
	p->pre = false;
	if (p->bin)
		p->bias = rt_image_bias(pid, p->bin->elf);
	emit(t, p->run, rt_run_image(p->run, &(struct rt_run_image){ .pid = pid, .t = now, .attaching = attaching, .argv = argv,
							     .path = real, .bin = p->bin, .error = p->err, .plan = &p->plan,
							     .bias = p->bias, .past = &ps, .sched = sched, .probes = p->attached,
							     .probes_failed = p->failed,
							     .probe_error = p->attach_err[0] ? p->attach_err : NULL,
							     .threads = nthreads }));
	rt_past_release(&ps);
	if (t->hooks && p->run) /* the agent, while the process is still held */
		t->hooks->exec(t->hooks->ctx, p->run, pid, now, real);
}

/* ---- records ---------------------------------------------------------------------------------------- */

/* Stops recording at --until main: every probe and tracepoint is detached, the program goes on. */
static void until_main(struct rt_ebpf *t)
{
	t->until_done = true;
	for (size_t i = 0; i < t->nprocs; i++)
		proc_clear(&t->procs[i]);
	ebpf__detach(t->skel);
}

/* --until main ends the trace at this process's main.main: there the probes go before the process
 * does, so none holds it again with no one to let it go. */
static bool until_main_of(const struct rt_ebpf *t, pid_t pid)
{
	return t->run && t->o->until_main && pid == t->run->root;
}

/* A held probe's copy (the `holds` ring, read before the events): for main.main the layout is read
 * (the text only) and the process let go at once; on_probe writes the snapshot when the backlog
 * reaches the probe's own record. */
static int on_hold(void *ctx, void *data, size_t size)
{
	struct rt_ebpf *t = ctx;
	const struct rt_ev *r = data;
	struct eproc *p;
	uint64_t idx;

	if (size < sizeof(*r) || r->kind != RT_EV_PROBE || !(r->nr & RT_PROBE_HOLD))
		return 0;
	p = proc_find(t, r->pid);
	idx = r->nr & 0xffffffffull;
	/* the image's first main.main, and not where --until main detaches first: else its event in the
	 * backlog lets it go */
	if (!p || !p->bin || p->main_hit || p->held || until_main_of(t, r->pid) || idx >= p->plan.n ||
	    p->plan.p[idx].role != RT_ROLE_MAIN)
		return 0;
	p->held = true;
	p->held_took = rt_maps_take(r->pid, &p->held_maps) == 0;
	cont(r->pid);
	return 0;
}

static void on_probe(struct rt_ebpf *t, const struct rt_ev *r)
{
	struct eproc *p = proc_find(t, r->pid);
	uint64_t idx = r->nr & 0xffffffffull;
	const struct rt_probe *pr;
	/* a held probe is let go here, unless on_hold did */
	bool let_go = (r->nr & RT_PROBE_HOLD) && !(p && p->held);

	if (!p || !p->bin || idx >= p->plan.n) {
		if (let_go)
			cont(r->pid);
		return;
	}
	pr = &p->plan.p[idx];
	if (!p->hit[idx]) {
		struct rt_sched s = rec_sched(r);

		p->hit[idx] = true;
		emit(t, p->run, rt_event_probe(r->t, r->pid, r->tid, pr, &s, NULL, NULL));
		if (t->hooks && p->run)
			t->hooks->probe(t->hooks->ctx, p->run, r->pid, r->t, pr);
	}
	if (pr->role == RT_ROLE_MAIN && !p->main_hit) {
		struct rt_maps_raw raw;
		bool took, until = until_main_of(t, r->pid);

		p->main_hit = true;
		/* The process is stopped (or stopping: the thread that hit the probe cannot run on before
		 * the SIGSTOP it was sent is acted on); only the text is read in the hold, it is parsed after
		 * the process goes on (~100 us of the hold). on_hold may have read it already. */
		if (p->held) {
			raw = p->held_maps;
			took = p->held_took;
			p->held = p->held_took = false;
		} else {
			took = rt_maps_take(r->pid, &raw) == 0;
		}
		if (let_go && !until) { /* before the text is parsed (under --until main: after the detach) */
			cont(r->pid);
			let_go = false;
		}
		if (took)
			emit(t, p->run, rt_maps_raw_event(&raw, pr->symbol, r->t, "stopped"));
		if (until)
			until_main(t);
	}
	if (let_go)
		cont(r->pid);
}

/* argv's slots packed as the decoder keeps them (rt_dec_capture: each string after its state byte, NUL
 * after it; no more once another might not fit). */
static void put_argv(struct rt_dec_cap *c, const struct rt_cap_part *pt, const unsigned char *slots, size_t len)
{
	char tmp[RT_DEC_STR_MAX];
	size_t used = 0;
	uint16_t k;
	int state = pt->state;

	for (k = 0; k < pt->count && (size_t)(k + 1) * RT_CAP_SLOT <= len; k++) {
		const unsigned char *s = slots + (size_t)k * RT_CAP_SLOT;
		size_t n = strnlen((const char *)s + 1, RT_CAP_ARG);
		char st = (char)s[0];

		if (used + RT_DEC_ARG_MAX + 2 > RT_DEC_STR_MAX) {
			state = RT_DEC_TRUNC;
			break;
		}
		if (n >= RT_DEC_ARG_MAX) { /* more than the decoder keeps (its bound reached): cut, as rt_dec_capture does */
			n = RT_DEC_ARG_MAX;
			st = 't';
		}
		tmp[used] = st;
		memcpy(tmp + used + 1, s + 1, n);
		used += n + 1;
		tmp[used++] = '\0';
	}
	rt_dec_cap_put(c, pt->arg, tmp, used, state, k);
}

/* Whether part i's argument, unreadable at the entry, was read again at the exit (bpf/ebpf.bpf.c capture). */
static bool read_again(const struct rt_ev_cap *h, unsigned i)
{
	for (unsigned j = i + 1; j < h->n && j < RT_CAP_NEEDS * 2; j++)
		if (h->part[j].arg == h->part[i].arg)
			return true;
	return false;
}

/* The capture after a SYSCALL record (bpf/ebpf.h struct rt_ev_cap), as the decoder's plan for the call's
 * real arguments and result keeps it: the kernel read each need at its bound (a superset). */
static void take_capture(struct rt_dec_cap *c, const struct rt_ev *r, const int64_t *ret, const void *data, size_t size)
{
	const struct rt_ev_cap *h = (const void *)((const char *)data + sizeof(*r));
	const unsigned char *bytes = (const unsigned char *)(h + 1);
	struct rt_dec_need needs[RT_DEC_MAX_NEEDS];
	size_t nb = size > sizeof(*r) + sizeof(*h) ? size - sizeof(*r) - sizeof(*h) : 0;

	rt_dec_cap_init(c);
	if (!nb && size < sizeof(*r) + sizeof(*h))
		return;
	for (int when = 0; when < (ret ? 2 : 1); when++) {
		int n = rt_dec_plan(r->nr, (const uint64_t *)r->args, when, ret ? *ret : 0, needs);

		for (int k = 0; k < n; k++)
			for (unsigned i = 0; i < h->n && i < RT_CAP_NEEDS * 2; i++) {
				const struct rt_cap_part *pt = &h->part[i];
				size_t len = pt->len;

				if (pt->arg != needs[k].arg || (size_t)pt->off + len > nb)
					continue;
				if (pt->state == RT_DEC_FAULT && read_again(h, i))
					continue;
				if (needs[k].how == RT_DEC_BYTES && len > needs[k].len)
					len = needs[k].len;
				if (needs[k].how == RT_DEC_ARGV)
					put_argv(c, pt, bytes + pt->off, len);
				else
					rt_dec_cap_put(c, pt->arg, bytes + pt->off, len, pt->state, pt->count);
				break;
			}
	}
}

/* A syscall's line, decoded (after the read of the ring buffer: a held process is not kept waiting). */
static void write_syscall(struct rt_ebpf *t, struct rt_run *run, const struct rt_ev *r, const void *data, size_t size)
{
	int64_t ret = r->ret;
	const int64_t *rp = r->has_ret ? &ret : NULL;
	struct eproc *p;
	struct rt_dec_out dec;

	if (t->hooks)
		t->hooks->syscall(t->hooks->ctx, run, r->pid, r->nr, r->has_ret, r->ret, r->args[0], r->t + r->dur);
	if (t->o->raw || !rt_dec_known(r->nr) || !rt_sysfilter_has(run->trace.filter, r->nr)) {
		rt_trace_syscall(&run->trace, r->t, r->pid, r->tid, r->dur, r->nr, rt_syscall_name(r->nr),
				 (const uint64_t *)r->args, rp, NULL);
		return;
	}
	if (!t->cap)
		t->cap = xmalloc(sizeof(*t->cap));
	take_capture(t->cap, r, rp, data, size);
	p = proc_find(t, r->pid);
	rt_dec_format(r->nr, (const uint64_t *)r->args, rp, t->cap, p ? p->fds : NULL, &dec);
	rt_trace_syscall(&run->trace, r->t, r->pid, r->tid, r->dur, r->nr, rt_syscall_name(r->nr),
			 (const uint64_t *)r->args, rp, &dec);
	rt_dec_out_release(&dec);
}

static void on_syscall(struct rt_ebpf *t, const void *data, size_t size)
{
	struct rt_run *run = run_of(t, ((const struct rt_ev *)data)->pid);
	struct queued *q;

	if (!recording(t, run))
		return;
	q = enqueue(t, run);
	q->rec = xmalloc(size);
	memcpy(q->rec, data, size);
	q->size = size;
}

/* Writes what the last read of the ring buffer queued, in its order. */
static void flush_queue(struct rt_ebpf *t)
{
	for (size_t i = 0; i < t->nq; i++) {
		struct queued *q = &t->q[i];

		if (q->rec) {
			write_syscall(t, q->run, q->rec, q->rec, q->size);
			free(q->rec);
		} else if (q->e) {
			rt_trace_event(&q->run->trace, q->e);
		} else {
			struct eproc *parent = proc_find(t, q->parent), *child = proc_find(t, q->child);

			if (parent && child && parent->fds && !child->fds)
				child->fds = rt_dec_fds_copy(parent->fds);
		}
	}
	t->nq = 0;
}

/* Reads the ring buffer; what it gave is written after, so that a held process (an exec, main.main) is
 * continued before its backlog is decoded. */
static void drain(struct rt_ebpf *t)
{
	ring_buffer__consume(t->rb);
	flush_queue(t);
}

/* The agent: a process the kernel tracks that belongs to no tree (one forked just as its tree was let
 * go, or a trigger the agent declined) is tracked no more. */
static void untrack(struct rt_ebpf *t, pid_t pid)
{
	uint32_t key = (uint32_t)pid;

	bpf_map__delete_elem(t->skel->maps.tracked, &key, sizeof(key), 0);
}

static void on_clone(struct rt_ebpf *t, const struct rt_ev *r)
{
	struct rt_run *run = run_of(t, r->pid);
	struct eproc *c;

	emit(t, run, rt_event_clone(r->t, r->pid, r->tid, (long long)r->nr,
				    r->ret == RT_CLONE_FORK ? RT_CLONE_KIND_FORK : RT_CLONE_KIND_THREAD, NULL));
	if (r->ret != RT_CLONE_FORK)
		return;
	if (t->hooks && !run) {
		untrack(t, (pid_t)r->nr);
		return;
	}
	c = proc_add(t, (pid_t)r->nr);
	c->run = run;
	if (recording(t, run)) { /* its fds: its parent's as of now */
		struct queued *q = enqueue(t, run);

		q->parent = r->pid;
		q->child = (pid_t)r->nr;
	}
}

static void on_exec(struct rt_ebpf *t, const struct rt_ev *r)
{
	struct rt_run *run = run_of(t, r->pid);
	struct rt_sched s = rec_sched(r);
	struct strv argv = STRV_INIT;

	if (t->until_done)
		goto out;
	if (t->hooks && !run) { /* the agent: a trigger starts a tree, when the agent takes it */
		if (r->args[3])
			run = t->hooks->root(t->hooks->ctx, r->pid, r->t, r->args[3] == RT_ROOT_PARTIAL);
		if (!run) {
			untrack(t, r->pid);
			goto out;
		}
		proc_add(t, r->pid)->run = run;
	}
	if (t->hooks && !run->header_done) /* the header's argv: a tree's first exec */
		rt_proc_argv(r->pid, &argv);
	load_image(t, r->pid, r->t, false, t->hooks ? argv.v : t->o->argv, 0, &s);
out:
	strv_release(&argv);
	if (r->has_ret) /* held: the hold ends, its probes are in place */
		cont(r->pid);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct rt_ebpf *t = ctx;
	const struct rt_ev *r = data;

	if (size < sizeof(*r))
		return 0;
	switch (r->kind) {
	case RT_EV_SYSCALL:
		on_syscall(t, data, size);
		break;
	case RT_EV_PROBE:
		on_probe(t, r);
		break;
	case RT_EV_CLONE:
		on_clone(t, r);
		break;
	case RT_EV_EXEC:
		on_exec(t, r);
		break;
	case RT_EV_EXIT: {
		struct eproc *p = proc_find(t, r->pid);
		struct rt_run *run = run_of(t, r->pid);
		int code = (int)r->nr; /* the kernel's exit code: a wait status */

		emit(t, run, rt_event_exit(r->t, r->pid, code, NULL));
		/* Its uprobes stay until the end: releasing them waits for an RCU grace period, which
		 * would come between the program's exit and its reaping. */
		if (p)
			p->live = false;
		if (t->hooks && run)
			t->hooks->exit(t->hooks->ctx, run, r->pid);
		if (t->run && r->pid == t->run->root) {
			t->root_exited = true;
			if (t->run->attached) /* not our child: its end is this record's */
				rt_run_exited(t->run, code);
		}
		break;
	}
	case RT_EV_SIGNAL:
		emit(t, run_of(t, r->pid), rt_event_signal(r->t, r->pid, r->tid, (int)r->nr, (int)r->ret, r->args[0], NULL));
		break;
	}
	return 0;
}

/* ---- setup ------------------------------------------------------------------------------------------ */

/* Opens the skeleton, sets its rodata and loads it, with the uprobe_multi program or without it.
 * Returns libbpf's result (negative errno); an open that fails sets err. */
static int open_and_load(struct rt_ebpf *t, bool multi, struct rt_err *err)
{
	if (!(t->skel = ebpf__open()))
		return rt_errf(err, RT_EXIT_ENV, "cannot open the eBPF programs: %s", strerror(errno));
	t->skel->rodata->follow_forks = t->o->follow_forks || t->hooks;
	t->skel->rodata->agent = t->hooks != NULL;
	bpf_program__set_autoattach(t->skel->progs.rt_probe, false);
	bpf_program__set_autoattach(t->skel->progs.rt_probe_multi, false);
	if (multi)
		bpf_program__set_expected_attach_type(t->skel->progs.rt_probe_multi, RT_BPF_TRACE_UPROBE_MULTI);
	else
		bpf_program__set_autoload(t->skel->progs.rt_probe_multi, false);
	t->multi = multi;
	return ebpf__load(t->skel);
}

/* The plan map: per syscall the decoder knows, what the kernel reads of its arguments, at entry and at
 * exit (the decoder's own plan, at each need's bound). */
static void fill_plan(struct rt_ebpf *t)
{
	int fd = bpf_map__fd(t->skel->maps.plan);

	for (uint32_t nr = 0; nr < RT_PLAN_SYSCALLS; nr++) {
		struct rt_plan pl = { 0 };

		if (!rt_dec_known(nr) || !rt_sysfilter_has(t->o->syscalls, nr))
			continue;
		for (int when = 0; when < 2; when++) {
			struct rt_dec_need needs[RT_DEC_MAX_NEEDS];
			uint8_t from[RT_DEC_MAX_NEEDS];
			int n = rt_dec_plan_static(nr, when, needs, from);

			for (int k = 0; k < n && pl.n < RT_CAP_NEEDS; k++)
				pl.need[pl.n++] = (struct rt_cap_need){ needs[k].arg, needs[k].when, needs[k].how, from[k],
									needs[k].len };
		}
		if (pl.n)
			bpf_map_update_elem(fd, &nr, &pl, BPF_ANY);
	}
}

/* Loads and attaches the kernel side; every failure is the environment's (exit 4), said precisely. */
static int setup(struct rt_ebpf *t, struct rt_err *err)
{
	int rc;

	libbpf_set_print(libbpf_print);
	if (access(BTF_PATH, R_OK) != 0)
		return rt_errf(err, RT_EXIT_ENV, "the eBPF engine needs kernel BTF, and this kernel has none ('%s': %s); "
						 "use --engine ptrace", BTF_PATH, strerror(errno));
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0) {
		if (errno == EPERM || errno == EACCES)
			goto denied;
		return rt_errf(err, RT_EXIT_ENV, "this kernel has no BPF ring buffer (Linux 5.8 or later is needed); "
						 "use --engine ptrace");
	}
	rc = open_and_load(t, true, err);
	if (rc != 0 && rc != -EPERM && rc != -EACCES && !err->exit) {
		/* a kernel without uprobe_multi rejects that program: load without it */
		ebpf__destroy(t->skel);
		rc = open_and_load(t, false, err);
	}
	if (err->exit)
		return -1;
	if (rc != 0) {
		if (rc == -EPERM || rc == -EACCES)
			goto denied;
		return rt_errf(err, RT_EXIT_ENV, "cannot load the eBPF programs: %s%s%s", strerror(-rc),
			       libbpf_last[0] ? ": " : "", libbpf_last);
	}
	if ((rc = ebpf__attach(t->skel)) != 0) {
		if (rc == -EPERM || rc == -EACCES)
			goto denied;
		return rt_errf(err, RT_EXIT_ENV, "cannot attach the eBPF programs: %s%s%s", strerror(-rc),
			       libbpf_last[0] ? ": " : "", libbpf_last);
	}
	if (!t->o->raw)
		fill_plan(t);
	/* the holds first: ring_buffer__consume reads the rings in the order they were added */
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.holds), on_hold, t, NULL);
	if (!t->rb || ring_buffer__add(t->rb, bpf_map__fd(t->skel->maps.events), on_record, t) != 0)
		return rt_errf(err, RT_EXIT_ENV, "cannot map the eBPF ring buffer: %s", strerror(errno));
	return 0;
denied:
	return rt_errf(err, RT_EXIT_ENV, "eBPF is not permitted here: %s (it needs root, or CAP_BPF and CAP_PERFMON; "
					 "see kernel.unprivileged_bpf_disabled); --engine ptrace needs no privileges",
		       strerror(EPERM));
}

/* Adds pid to the tracked processes; `how` is RT_TRACK_HOLD or RT_TRACK_PREATTACHED (bpf/ebpf.h). */
static int track(struct rt_ebpf *t, pid_t pid, uint32_t how, struct rt_err *err)
{
	uint32_t key = (uint32_t)pid;

	if (bpf_map__update_elem(t->skel->maps.tracked, &key, sizeof(key), &how, sizeof(how), BPF_ANY) != 0)
		return rt_errf(err, RT_EXIT_ENV, "cannot add %d to the tracked processes: %s", (int)pid, strerror(errno));
	return 0;
}

static int count_threads(pid_t pid)
{
	char dir[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Waits on the ring buffer and on a pidfd of the root (readable when it exits, so its end is seen at
 * once) until the traced processes are gone; returns 1 when interrupted. */
static int poll_loop(struct rt_ebpf *t)
{
	pid_t child = t->run->attached ? 0 : t->run->root;
	int ep = epoll_create1(EPOLL_CLOEXEC), pidfd = (int)syscall(SYS_pidfd_open, t->run->root, 0), rc = 0;
	struct epoll_event ev = { .events = EPOLLIN };

	epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(t->rb), &ev);
	ev.data.fd = pidfd;
	if (pidfd >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev);
	for (;;) {
		struct epoll_event got[2];
		bool root_gone, reaped;

		epoll_wait(ep, got, 2, 100);
		reaped = rt_run_reap(t->run); /* before the backlog is written: the program's wall time is not ours */
		drain(t);
		if (rt_interrupted) {
			rc = 1;
			break;
		}
		if (t->until_done)
			break;
		root_gone = child > 0 ? reaped : t->root_exited || (kill(t->run->root, 0) != 0 && errno == ESRCH);
		if (root_gone && pidfd >= 0) { /* it stays readable: stop watching it */
			epoll_ctl(ep, EPOLL_CTL_DEL, pidfd, NULL);
			close(pidfd);
			pidfd = -1;
		}
		/* The exit record is written before the parent can reap: after the reap, one more drain. */
		if (root_gone && (!t->o->follow_forks || !any_live(t, NULL))) {
			drain(t);
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	close(ep);
	return rc;
}

/* Interrupted: every traced process goes on untraced (continued, should one be in a hold whose record
 * was not handled yet), or is killed with --kill-on-exit. */
static void release_all(struct rt_ebpf *t, bool kill_them)
{
	ebpf__detach(t->skel);
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].live)
			kill(t->procs[i].pid, kill_them ? SIGKILL : SIGCONT);
}

static void cleanup(struct rt_ebpf *t)
{
	for (size_t i = 0; i < t->nprocs; i++) {
		proc_clear(&t->procs[i]);
		rt_dec_fds_free(t->procs[i].fds);
	}
	free(t->procs);
	free(t->cap);
	for (size_t i = 0; i < t->nq; i++) {
		free(t->q[i].rec);
		json_decref(t->q[i].e);
	}
	free(t->q);
	ring_buffer__free(t->rb);
	ebpf__destroy(t->skel);
}

static int eb_prepare(struct rt_run *r, struct rt_err *err)
{
	struct rt_ebpf *t = r->engine;

	t->run = r;
	verbose = r->o->verbose;
	return setup(t, err);
}

/* The program's own file is known: its probes go in before it runs, and its exec needs no hold. A
 * script (or anything unreadable here) is read at its exec, held. */
static int eb_start(struct rt_run *r, struct rt_err *err)
{
	struct rt_ebpf *t = r->engine;
	struct eproc *p = proc_add(t, r->root);
	struct rt_past none = { 0 };

	image_attach(t, p, r->root, r->prog, false, &none);
	p->pre = p->bin && !p->failed;
	if (!t->o->raw) /* the fds its exec starts from (held before it, on a pipe) */
		p->fds = rt_dec_fds_from_proc(r->root);
	return track(t, r->root, p->pre ? RT_TRACK_PREATTACHED : RT_TRACK_HOLD, err);
}

static int eb_attach(struct rt_run *r, struct rt_err *err)
{
	struct rt_ebpf *t = r->engine;
	struct strv argv = STRV_INIT;

	if (kill(r->root, 0) != 0 && errno == ESRCH)
		return rt_errf(err, RT_EXIT_INPUT, "cannot attach to %d: no such process", (int)r->root);
	if (track(t, r->root, RT_TRACK_HOLD, err) != 0)
		return -1;
	rt_proc_argv(r->root, &argv);
	load_image(t, r->root, rt_now_ns(), true, argv.v, count_threads(r->root), NULL);
	strv_release(&argv);
	return 0;
}

static int eb_loop(struct rt_run *r)
{
	return poll_loop(r->engine);
}

/* Interrupted: leave the program running (or kill it). --until main: the program goes on untraced. */
static int eb_stop(struct rt_run *r, bool interrupted, struct rt_err *err)
{
	struct rt_ebpf *t = r->engine;

	(void)err;
	if (interrupted) {
		release_all(t, r->o->kill_on_exit);
	} else if (t->until_done) {
		r->detached = true;
		if (!r->attached) { /* every probe goes now, before rt0trace waits for the program */
			r->trace.lost = t->skel->bss->dropped;
			ebpf__destroy(t->skel);
			t->skel = NULL;
		}
	}
	if (t->skel)
		r->trace.lost = t->skel->bss->dropped;
	return 0;
}

static void eb_cleanup(struct rt_run *r)
{
	cleanup(r->engine);
}

static const struct rt_engine_ops ebpf_ops = {
	.name = "ebpf",
	.prepare = eb_prepare,
	.start = eb_start,
	.attach = eb_attach,
	.loop = eb_loop,
	.stop = eb_stop,
	.cleanup = eb_cleanup,
};

int rt_ebpf_run(const struct rt_run_opts *o, int *status, struct rt_err *err)
{
	struct rt_ebpf t = { .o = o };

	return rt_run_engine(&ebpf_ops, &t, o, status, err);
}

/* ---- the agent (tracer/ebpf_agent.h) ------------------------------------------------------------- */

static int add_triggers(struct rt_ebpf *t, const char *const *names, uint32_t kind, struct rt_err *err)
{
	for (size_t i = 0; names && names[i]; i++) {
		char key[RT_COMM_LEN] = { 0 };

		if (strlen(names[i]) >= RT_COMM_LEN)
			return rt_errf(err, RT_EXIT_INPUT, "'%s' is longer than a process name can be (%d bytes)", names[i],
				       RT_COMM_LEN - 1);
		memcpy(key, names[i], strlen(names[i]));
		if (bpf_map__update_elem(t->skel->maps.triggers, key, sizeof(key), &kind, sizeof(kind), BPF_ANY) != 0)
			return rt_errf(err, RT_EXIT_ENV, "cannot add '%s' to the eBPF triggers: %s", names[i], strerror(errno));
	}
	return 0;
}

int rt_ebpf_agent_open(struct rt_ebpf **out, const struct rt_run_opts *o, const char *const *at_exec,
		       const char *const *before_exec, const struct rt_ebpf_hooks *h, struct rt_err *err)
{
	struct rt_ebpf *t = xcalloc(1, sizeof(*t));

	t->o = o;
	t->hooks = h;
	verbose = o->verbose;
	*out = NULL;
	if (setup(t, err) != 0 || add_triggers(t, at_exec, RT_TRIG_EXEC, err) != 0 ||
	    add_triggers(t, before_exec, RT_TRIG_BEFORE, err) != 0) {
		rt_ebpf_agent_close(t);
		return -1;
	}
	*out = t;
	return 0;
}

int rt_ebpf_agent_fd(const struct rt_ebpf *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

void rt_ebpf_agent_poll(struct rt_ebpf *t)
{
	drain(t);
}

bool rt_ebpf_agent_any_alive(struct rt_ebpf *t, const struct rt_run *run)
{
	return any_live(t, run);
}

void rt_ebpf_agent_forget(struct rt_ebpf *t, struct rt_run *run)
{
	size_t k = 0;

	flush_queue(t);
	for (size_t i = 0; i < t->nprocs; i++) {
		struct eproc *p = &t->procs[i];

		if (p->run != run) {
			t->procs[k++] = *p;
			continue;
		}
		untrack(t, p->pid);
		proc_clear(p);
		rt_dec_fds_free(p->fds);
	}
	t->nprocs = k;
}

uint64_t rt_ebpf_agent_lost(const struct rt_ebpf *t)
{
	return t->skel ? t->skel->bss->dropped : 0;
}

void rt_ebpf_agent_close(struct rt_ebpf *t)
{
	if (!t)
		return;
	if (t->skel) /* a held one whose record was not read goes on */
		release_all(t, false);
	cleanup(t);
	free(t);
}

#endif
