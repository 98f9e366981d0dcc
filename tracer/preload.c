/*
 * tracer/preload: the LD_PRELOAD engine's launcher and merger (the in-process half is
 * probes/preload/shim.c, the records probes/preload/preload.h).
 *
 * Before anything runs, the program is read: a static binary (no PT_INTERP) or one for another machine
 * never loads the library, so it is refused (exit 3) rather than traced into an empty trace. The
 * launcher makes a SOCK_SEQPACKET socket pair and a one-page memfd (the shim's count of records it
 * could not send; sealed F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL, which the shim requires), forks, and the child execs the program with LD_PRELOAD=librt0preload.so and
 * RT0_PRELOAD naming both fds with their device and inode (the shim checks them with fstat and stays
 * silent otherwise). The launcher queues records until the program is reaped and, when following, until
 * every process holding the socket is gone (EOF), waking only every 20 ms or at the program's end (it
 * shares the machine with the program); then each record becomes trace events (each image's binary is
 * read by the path it said hello with), written sorted by time after the header.
 *
 * What the records mean, per image (plan: probes/plan.h, the same probes the other engines use):
 *  - any image: the ELF entry itself is the `entry` probe (the shim patches a one-shot jump over it and
 *    reports its address, checked against the ELF entry); should the patch fail, __libc_start_main's
 *    call from the entry code (its return address in the entry's function, or within ENTRY_CALL_MAX
 *    bytes of an unnamed entry: stripped).
 *  - C program: each .init_array trampoline an `init` probe, the wrapped main the `main` probe with the
 *    maps snapshot taken there.
 *  - cgo Go program: the plan has no reachable entry stub (_rt0_<arch>_linux is not the ELF entry), so
 *    the ELF entry's function is added as the entry probe; C `main` is Go's trampoline (a jump to
 *    runtime.rt0_go, checked in the file), so main's moment is runtime.rt0_go's entry; the first mmap
 *    through x_cgo_mmap is inside runtime.schedinit (mallocinit), the first pthread_create through
 *    runtime/cgo inside runtime.main (newm for sysmon): those two probes are marked "seen":"within".
 *    Package inits, runtime.gcenable and main.main make no libc call that marks them: the header's
 *    probes say "observable":false and the report says "not observed by the preload engine". The
 *    layout snapshot is taken at x_cgo_notify_runtime_init_done (its pthread_cond_broadcast), once
 *    the heap is reserved.
 *  - internally linked cgo Go program (plain `go build` importing net or os/user; PIE too): no C main,
 *    no __libc_start_main; runtime.rt0_go is seen within, at x_cgo_init's first pthread_getattr_np,
 *    then the same Go moments as above.
 *  - Go without cgo but with PT_INTERP (-buildmode=pie): the runtime never calls libc: the entry only,
 *    every Go phase "observable":false.
 *  - any image: other objects' constructors and the loader's hand-over are `mark` events; the mmap
 *    family `syscall` events with "via":"libc"; pthread_create `clone` (thread); fork `clone` (fork);
 *    exec `exec` (a new image says hello under the same pid); exit() and main's return an
 *    `exit_group` syscall event, abort() a SIGABRT `signal` event; the root's `exit` from waitpid.
 */
#include "tracer/engine.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "probes/binary.h"
#include "probes/plan.h"
#include "probes/preload/preload.h"
#include "tracer/decode.h"
#include "tracer/driver.h"
#include "tracer/image.h"
#include "tracer/maps.h"
#include "tracer/trace.h"

#define SHIM_NAME "librt0preload.so"
#define SHIM_ENV "RT0_PRELOAD_LIB" /* where the library is, overriding the build layout (tests) */
#define ENTRY_CALL_MAX 64 /* a stripped entry's call of __libc_start_main ends within this many bytes */

struct pobj {
	uint32_t id;
	uint64_t base;
	char *path;
};

struct psnap {              /* a maps snapshot being received or received */
	uint64_t id, t;
	int what;
	struct strbuf text;
	bool done;
};

struct pproc {
	pid_t pid;
	bool hello;             /* an image said hello (the current one) */
	char *path;
	struct rt_binary *bin;  /* the current image, or NULL */
	bool own_bin;           /* bin is ours to free (not the root's pre-read one) */
	struct rt_probe_plan plan;  /* rt_probe_plan_preload's: what the shim cannot see is unobservable */
	struct rt_preload_view view;
	uint64_t bias;
	bool started;           /* the entry or main was seen: the program's own code runs */
	/* Go moments seen through libc: the earliest record of each (a new thread sends its own clone
	 * record, so arrival order is not time order) */
	struct rt_pl_rec sched_rec, gomain_rec;
	uint64_t exec_t;        /* a pending exec call of this pid: its time, else 0 */
	char *exec_path;
	bool exec_follow;
	struct pobj *objs;
	size_t nobjs, objcap;
	struct psnap snaps[2];  /* RT_PL_AT_MAIN, RT_PL_AT_CGO_INIT_DONE (the first of each) */
	struct psnap cur;       /* the one being received */
};

struct ptracer {
	const struct rt_run_opts *o;
	struct rt_run *run;         /* the driver's: the trace, its header, t0, the root and its end */
	struct rt_binary *rootbin;  /* read before the start */
	char rootreal[PATH_MAX];
	int sv[2];                  /* the socket pair: ours, the program's */
	int lfd;                    /* the shared counter's memfd */
	int keep[2];                /* the program's two fds */
	int pidfd;                  /* the root's, or -1 */
	struct strv env;            /* the program's environment */
	struct strbuf raw;          /* every record, as received */
	json_t **ev;
	size_t nev, evcap;
	struct pproc *procs;
	size_t nprocs, proccap;
	uint64_t malformed;
	bool until_done;            /* --until main reached: nothing more is recorded */
	uint64_t *shm;              /* the shared memfd: the lost count, the ring's head, the ring (preload.h) */
};

/* ---- bookkeeping ----------------------------------------------------------------------------------- */

static struct pproc *proc_get(struct ptracer *t, pid_t pid)
{
	struct pproc *p;

	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	t->procs = xgrow(t->procs, &t->proccap, t->nprocs + 1, sizeof(*t->procs));
	p = &t->procs[t->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

static void image_clear(struct pproc *p)
{
	if (p->own_bin)
		rt_binary_free(p->bin);
	p->bin = NULL;
	p->own_bin = false;
	rt_probe_plan_free(&p->plan);
	free(p->path);
	p->path = NULL;
	for (size_t i = 0; i < p->nobjs; i++)
		free(p->objs[i].path);
	p->nobjs = 0;
	for (int i = 0; i < 2; i++) {
		strbuf_release(&p->snaps[i].text);
		memset(&p->snaps[i], 0, sizeof(p->snaps[i]));
	}
	strbuf_release(&p->cur.text);
	memset(&p->cur, 0, sizeof(p->cur));
	p->hello = p->started = false;
	p->view = (struct rt_preload_view){ 0 };
	memset(&p->sched_rec, 0, sizeof(p->sched_rec));
	memset(&p->gomain_rec, 0, sizeof(p->gomain_rec));
	p->bias = 0;
}

static void proc_free(struct pproc *p)
{
	image_clear(p);
	free(p->objs);
	free(p->exec_path);
}

static void add(struct ptracer *t, json_t *e)
{
	if (t->until_done) {
		json_decref(e);
		return;
	}
	t->ev = xgrow(t->ev, &t->evcap, t->nev + 1, sizeof(*t->ev));
	t->ev[t->nev++] = e;
}

static const struct rt_elf_sym *sym_at(const struct pproc *p, uint64_t runtime)
{
	if (!p->bin || runtime < p->bias)
		return NULL;
	return rt_elf_sym_at(p->bin->elf, runtime - p->bias, NULL);
}

/* Whether the runtime address lies in the function `name` (looked up by name: an internally linked Go
 * program has local section symbols, "runtime/cgo(.text)", at the same addresses as the C functions). */
static bool caller_in(const struct pproc *p, uint64_t runtime, const char *name)
{
	const struct rt_elf_sym *s = p->bin ? rt_elf_sym_by_name(p->bin->elf, name) : NULL;

	return s && runtime >= p->bias && runtime - p->bias >= s->addr && runtime - p->bias < s->addr + (s->size ? s->size : 1);
}

static json_t *probe_event(const struct pproc *p, const struct rt_pl_rec *r, int tid, const struct rt_probe *pr,
			   const char *seen, const char *via)
{
	struct rt_sched s = { .valid = r->cpu_ns != 0, .cpu_ns = r->cpu_ns, .wait_ns = r->wait_ns };

	return rt_event_probe(r->t, p->pid, tid, pr, &s, seen, via);
}

/* A "mark" of record r: `what`, with a note (NULL: none). */
static json_t *mark(const struct rt_pl_rec *r, const char *what, const char *note)
{
	return rt_event_mark(&(struct rt_ev_mark){ .t = r->t, .pid = r->pid, .tid = r->tid, .what = what, .note = note });
}

/* ---- records --------------------------------------------------------------------------------------- */

static void on_hello(struct ptracer *t, const struct rt_pl_rec *r, const char *payload)
{
	struct pproc *p = proc_get(t, r->pid);
	struct rt_err err = { 0 };
	bool first_root = r->pid == t->run->root && !t->run->header_done;
	char *path = xstrndup(payload, r->len);
	uint64_t at;
	size_t n = 0;

	image_clear(p);
	p->hello = true;
	p->path = path;
	if (first_root && t->rootbin && strcmp(path, t->rootreal) == 0) {
		p->bin = t->rootbin;
	} else if (rt_binary_open(&p->bin, path, &err) == 0) {
		p->own_bin = true;
	} else {
		p->bin = NULL;
	}
	if (p->bin) {
		p->bias = p->bin->elf->type == 3 /* ET_DYN */ ? r->a[1] - p->bin->elf->entry : 0;
		rt_probe_plan_preload(p->bin, r->a[4] != 0, &p->plan, &p->view);
	}
	at = p->exec_t ? p->exec_t : first_root ? t->run->t0 : r->t;
	for (size_t i = 0; i < p->plan.n; i++)
		n += !p->plan.p[i].unobservable;
	add(t, rt_run_image(t->run, &(struct rt_run_image){ .pid = r->pid, .t = at, .argv = t->o->argv, .path = path,
							    .bin = p->bin, .error = err.msg, .plan = &p->plan, .bias = p->bias,
							    .probes = n, .ppid = r->pid != t->run->root ? (long long)r->a[2] : 0 }));
	p->exec_t = 0;
	free(p->exec_path);
	p->exec_path = NULL;
	add(t, mark(r, "loader-done", "the dynamic loader mapped and relocated every object and ran the first initialiser "
				      "(librt0preload.so's)"));
}

static const char *obj_path(const struct pproc *p, uint64_t id)
{
	for (size_t i = 0; i < p->nobjs; i++)
		if (p->objs[i].id == id)
			return p->objs[i].path;
	return NULL;
}

static void on_init(struct ptracer *t, struct pproc *p, const struct rt_pl_rec *r)
{
	const struct rt_probe *pr = NULL;
	const char *obj = obj_path(p, r->a[0]);
	struct rt_ev_mark m = { .t = r->t, .pid = r->pid, .tid = r->tid, .what = "constructor", .object = obj ? obj : "?",
				.has_index = true, .index = r->a[1] };

	if (r->a[0] == 0 && p->bin && !p->view.go && (pr = rt_plan_find_at(&p->plan, RT_ROLE_INIT, r->a[2] - p->bias)) != NULL) {
		add(t, probe_event(p, r, r->tid, pr, NULL, NULL));
		return;
	}
	/* another object's constructor, or a Go program's C constructor (not a probe of its plan) */
	if (r->a[0] == 0) {
		const struct rt_elf_sym *s = sym_at(p, r->a[2]);

		m.has_addr = true;
		m.addr = r->a[2] - p->bias;
		m.symbol = s ? s->name : NULL;
	} else {
		for (size_t i = 0; i < p->nobjs; i++)
			if (p->objs[i].id == r->a[0]) {
				m.has_offset = true; /* the last of them, as before */
				m.offset = r->a[2] - p->objs[i].base;
			}
	}
	add(t, rt_event_mark(&m));
}

static void on_main(struct ptracer *t, struct pproc *p, const struct rt_pl_rec *r)
{
	const struct rt_probe *pr;

	p->started = true;
	if (!p->bin)
		return;
	if (p->view.go) {
		if ((pr = rt_plan_find(&p->plan, RT_PH_RT0_GO)) != NULL && !pr->unobservable)
			add(t, probe_event(p, r, r->tid, pr, NULL, "main (a jump to runtime.rt0_go)"));
		return;
	}
	if ((pr = rt_plan_find_at(&p->plan, RT_ROLE_MAIN, r->a[0] - p->bias)) != NULL)
		add(t, probe_event(p, r, r->tid, pr, NULL, NULL));
}

/* A syscall event, decoded (tracer/decode.h) unless --raw: the shim sends the arguments of the mmap family
 * (no memory to read) and of a failed exec only its path, which is captured as its path argument. No fd
 * table: the opens are not seen. */
static json_t *syscall_event(const struct ptracer *t, const struct rt_pl_rec *r, uint64_t nr, const uint64_t args[6],
			     const int64_t *ret, const char *path)
{
	struct rt_dec_need needs[RT_DEC_MAX_NEEDS];
	uint8_t from[RT_DEC_MAX_NEEDS];
	struct rt_dec_cap *cap = NULL;
	struct rt_dec_out dec;
	json_t *e;

	if (t->o->raw || !rt_dec_known(nr))
		return rt_event_syscall(r->t, r->pid, r->tid, r->dur, nr, args, ret, "libc", path, NULL);
	if (path) {
		int n = rt_dec_plan_static(nr, false, needs, from);

		cap = xmalloc(sizeof(*cap));
		rt_dec_cap_init(cap);
		for (int k = 0; k < n; k++)
			if (needs[k].how == RT_DEC_STR) {
				size_t len = strlen(path);

				rt_dec_cap_put(cap, needs[k].arg, path, len < needs[k].len ? len : needs[k].len,
					       len > needs[k].len ? RT_DEC_TRUNC : RT_DEC_OK, 0);
				break;
			}
	}
	rt_dec_format(nr, args, ret, cap, NULL, &dec);
	e = rt_event_syscall(r->t, r->pid, r->tid, r->dur, nr, args, ret, "libc", path, &dec);
	rt_dec_out_release(&dec);
	free(cap);
	return e;
}

/* A Go phase seen inside the function, through the libc call the runtime makes there. */
static void go_within(struct ptracer *t, struct pproc *p, const struct rt_pl_rec *r, int tid, enum rt_phase_kind phase,
		      const char *via)
{
	const struct rt_probe *pr = rt_plan_find(&p->plan, phase);

	if (pr && !pr->unobservable)
		add(t, probe_event(p, r, tid, pr, "within", via));
}

static void on_syscall(struct ptracer *t, struct pproc *p, const struct rt_pl_rec *r)
{
	add(t, syscall_event(t, r, r->nr, r->a, &r->ret, NULL));
	if (p->view.go && p->started && r->nr == SYS_mmap && (!p->sched_rec.t || r->t < p->sched_rec.t) &&
	    caller_in(p, r->caller, "x_cgo_mmap"))
		p->sched_rec = *r;
}

static void on_clone(struct ptracer *t, struct pproc *p, const struct rt_pl_rec *r)
{
	add(t, rt_event_clone(r->t, r->pid, r->tid, r->a[0] ? (long long)r->a[0] : -1, RT_CLONE_KIND_THREAD, "pthread_create"));
	if (p->view.go && p->started && (!p->gomain_rec.t || r->t < p->gomain_rec.t) &&
	    caller_in(p, r->caller, "_cgo_try_pthread_create"))
		p->gomain_rec = *r;
}

/* The "maps" event of a snapshot the shim sent. */
static json_t *snap_event(const struct pproc *p, const struct psnap *s, const char *at, const char *how)
{
	return rt_event_maps(&(struct rt_ev_maps){ .t = s->t, .pid = p->pid, .at = at, .text = s->text.buf, .len = s->text.len,
						   .rss_kb = -1, .hwm_kb = -1, .how = how });
}

static void on_maps(struct ptracer *t, struct pproc *p, const struct rt_pl_rec *r, const char *payload)
{
	struct psnap *s = &p->cur;

	if (s->id != r->a[0]) {
		strbuf_release(&s->text);
		memset(s, 0, sizeof(*s));
		s->id = r->a[0];
		s->t = r->t;
		s->what = (int)r->a[1];
	}
	strbuf_add(&s->text, payload, r->len);
	if (!r->a[2])
		return;
	if ((s->what == RT_PL_AT_MAIN || s->what == RT_PL_AT_CGO_INIT_DONE) && !p->snaps[s->what - 1].done) {
		p->snaps[s->what - 1] = *s;
		p->snaps[s->what - 1].done = true;
		memset(s, 0, sizeof(*s));
	} else {
		strbuf_release(&s->text);
		memset(s, 0, sizeof(*s));
	}
	/* --until main: the root's trace ends once main's snapshot is in */
	if (t->o->until_main && r->pid == t->run->root && r->a[1] == RT_PL_AT_MAIN && !p->view.go) {
		add(t, snap_event(p, &p->snaps[0], "main", NULL));
		p->snaps[0].done = false;
		strbuf_release(&p->snaps[0].text);
		t->until_done = true;
	}
}

/* What is written once an image is over: its Go moments (the earliest of each), and its layout
 * snapshot: a C program's at main, a cgo Go program's at x_cgo_notify_runtime_init_done (else at
 * main, which is runtime.rt0_go). Every lookup the shim makes succeeds: a failed dlsym allocates
 * (dlerror) and would give the program a heap it does not have untraced. */
static void image_end(struct ptracer *t, struct pproc *p)
{
	struct psnap *s = NULL;
	const char *at = "main";

	if (p->sched_rec.t)
		go_within(t, p, &p->sched_rec, p->sched_rec.tid, RT_PH_SCHEDINIT,
			  "the runtime's first mmap, through x_cgo_mmap (mallocinit)");
	if (p->gomain_rec.t)
		go_within(t, p, &p->gomain_rec, p->gomain_rec.tid, RT_PH_RUNTIME_MAIN,
			  "the runtime's first thread (sysmon's), through pthread_create");
	memset(&p->sched_rec, 0, sizeof(p->sched_rec));
	memset(&p->gomain_rec, 0, sizeof(p->gomain_rec));

	if (p->view.go && p->snaps[1].done) {
		s = &p->snaps[1];
		at = "x_cgo_notify_runtime_init_done";
	} else if (p->snaps[0].done) {
		s = &p->snaps[0];
		at = p->view.go ? "runtime.rt0_go" : "main";
	}
	if (s)
		add(t, snap_event(p, s, at, "in-process"));
	for (int i = 0; i < 2; i++) {
		strbuf_release(&p->snaps[i].text);
		p->snaps[i].done = false;
	}
}

static void pending_exec(struct ptracer *t, struct pproc *p)
{
	if (!p->exec_t)
		return;
	/* an exec whose program never said hello: it does not load the library (static), or it was not
	 * to (--no-follow) */
	add(t, rt_event_exec(&(struct rt_ev_exec){ .t = p->exec_t, .pid = p->pid, .path = p->exec_path, .unfollowed = true }));
	p->exec_t = 0;
}

static void on_record(struct ptracer *t, const char *buf, size_t n)
{
	struct rt_pl_rec r;
	const char *payload;
	struct pproc *p;

	if (rt_pl_decode(buf, n, &r, &payload) != 0) {
		t->malformed++;
		return;
	}
	p = proc_get(t, r.pid);
	switch (r.kind) {
	case RT_PL_HELLO:
		image_end(t, p);
		on_hello(t, &r, payload);
		break;
	case RT_PL_OBJECT:
		p->objs = xgrow(p->objs, &p->objcap, p->nobjs + 1, sizeof(*p->objs));
		p->objs[p->nobjs++] = (struct pobj){ (uint32_t)r.a[0], r.a[1],
						     r.len ? xstrndup(payload, r.len) : xstrdup(p->path ? p->path : "") };
		break;
	case RT_PL_ENTRY: {
		const struct rt_probe *pr = p->bin ? rt_plan_find_at(&p->plan, RT_ROLE_ENTRY, p->bin->elf->entry) : NULL;

		/* the entry moment: the patched entry itself ran, or __libc_start_main was called from the
		 * function at the ELF entry (by its symbol, or, stripped, by address: the call ends within
		 * the entry code's first bytes) */
		if (pr && (r.a[1] == 1 ? r.a[0] - p->bias == p->bin->elf->entry
				       : p->bin->entry_sym ? caller_in(p, r.caller, p->bin->entry_sym->name)
							   : r.caller - p->bias > p->bin->elf->entry &&
								     r.caller - p->bias - p->bin->elf->entry <= ENTRY_CALL_MAX)) {
			p->started = true;
			add(t, probe_event(p, &r, r.tid, pr, NULL, NULL));
		} else {
			add(t, rt_event_mark(&(struct rt_ev_mark){ .t = r.t, .pid = r.pid, .tid = r.tid, .what = "libc-start",
								   .has_caller = true, .caller = r.caller }));
		}
		break;
	}
	case RT_PL_INIT:
		on_init(t, p, &r);
		break;
	case RT_PL_MAIN:
		on_main(t, p, &r);
		break;
	case RT_PL_SYSCALL:
		on_syscall(t, p, &r);
		break;
	case RT_PL_CLONE:
		on_clone(t, p, &r);
		break;
	case RT_PL_FORK:
		if (r.ret > 0) {
			add(t, rt_event_clone(r.t, r.pid, r.tid, (long long)r.ret, RT_CLONE_KIND_FORK,
					      r.a[0] == 1 ? "posix_spawn" : "fork"));
		} else {
			uint64_t args[6] = { 0 };

			add(t, syscall_event(t, &r, SYS_clone, args, &r.ret, NULL));
		}
		break;
	case RT_PL_EXEC: {
		char *path = xstrndup(payload, r.len);

		if (r.a[1]) { /* it returned: failed */
			uint64_t args[6] = { 0 };

			add(t, syscall_event(t, &r, r.nr, args, &r.ret, path));
			free(path);
			p->exec_t = 0;
		} else {
			pending_exec(t, p);
			image_end(t, p);
			p->exec_t = r.t;
			free(p->exec_path);
			p->exec_path = path;
			p->exec_follow = r.a[0];
		}
		break;
	}
	case RT_PL_EXIT: {
		uint64_t args[6] = { r.a[0] };

		add(t, syscall_event(t, &r, SYS_exit_group, args, NULL, NULL));
		if (r.pid != t->run->root) /* the root's exit comes from waitpid */
			add(t, rt_event_exit(r.t, r.pid, (int)(r.a[0] & 0xff) << 8, "libc"));
		break;
	}
	case RT_PL_ABORT:
		add(t, rt_event_signal(r.t, r.pid, r.tid, SIGABRT, -6 /* SI_TKILL */, 0, "abort"));
		break;
	case RT_PL_MAPS:
		on_maps(t, p, &r, payload);
		break;
	case RT_PL_DLOPEN:
		add(t, rt_event_mark(&(struct rt_ev_mark){ .t = r.t, .pid = r.pid, .tid = r.tid, .what = "dlopen",
							   .name = payload, .name_len = r.len, .has_flags = true,
							   .flags = r.a[0] }));
		break;
	case RT_PL_CALL:
		if (!p->view.go)
			break;
		if (r.nr == RT_PL_CALL_GETATTR_NP && !p->view.rt0_via_main &&
		    (caller_in(p, r.caller, "x_cgo_getstackbound") || caller_in(p, r.caller, "_cgo_set_stacklo") ||
		     caller_in(p, r.caller, "x_cgo_init"))) {
			p->started = true; /* (also when the entry could not be patched) */
			go_within(t, p, &r, r.tid, RT_PH_RT0_GO,
				  "x_cgo_init's first pthread_getattr_np (runtime.rt0_go calls _cgo_init before runtime.schedinit)");
		} else if (r.nr == RT_PL_CALL_SIGACTION && caller_in(p, r.caller, "x_cgo_sigaction")) {
			add(t, mark(&r, "go-initsig", "the runtime's first sigaction (initsig on m0, after runtime.schedinit), "
						      "through x_cgo_sigaction"));
		} else if (r.nr == RT_PL_CALL_COND_BROADCAST && caller_in(p, r.caller, "x_cgo_notify_runtime_init_done")) {
			add(t, mark(&r, "go-runtime-init-done", "x_cgo_notify_runtime_init_done: runtime package inits and "
								"runtime.gcenable are done; main's package inits follow"));
		}
		break;
	}
}

/* ---- running ---------------------------------------------------------------------------------------- */

/* librt0preload.so: $RT0_PRELOAD_LIB, else probes/preload/ beside the rt0trace binary (the build tree),
 * else the installed library directory. */
static int find_shim(char *out, size_t size, struct rt_err *err)
{
	return rt_find_helper("probes/preload/" SHIM_NAME, RT0_INSTALL_LIB "/" SHIM_NAME, SHIM_ENV, "preload library", out,
			      size, err);
}

/* A setuid/setgid program whose exec changes the effective ids (the kernel sets AT_SECURE) runs in the
 * loader's secure-execution mode, which ignores an LD_PRELOAD naming a path: refused (exit 4) before it
 * runs. Not when the bits have no effect: a nosuid mount, no_new_privs, ids that do not change (root
 * running a setuid-root program). File capabilities and anything else that keeps the library out are
 * caught after the run (the program never said hello). */
static int secure_exec(const char *prog, struct rt_err *err)
{
	struct stat st;
	struct statvfs vfs;
	uid_t euid;
	gid_t egid;

	if (stat(prog, &st) != 0 || !(st.st_mode & (S_ISUID | S_ISGID)))
		return 0;
	if ((statvfs(prog, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		return 0;
	/* set-group-ID without group execute is mandatory locking, not a privilege (as the kernel reads it) */
	euid = st.st_mode & S_ISUID ? st.st_uid : geteuid();
	egid = (st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) ? st.st_gid : getegid();
	if ((st.st_mode & S_ISUID) && euid != getuid()) {
		const struct passwd *pw = getpwuid(st.st_uid);

		return rt_errf(err, RT_EXIT_ENV, "'%s' is setuid (user %s): the loader runs it in secure-execution mode and "
						 "ignores LD_PRELOAD, so --engine preload cannot trace it; use --engine ptrace or "
						 "--engine ebpf", prog, pw ? pw->pw_name : "?");
	}
	if ((st.st_mode & S_ISGID) && egid != getgid()) {
		const struct group *gr = getgrgid(st.st_gid);

		return rt_errf(err, RT_EXIT_ENV, "'%s' is setgid (group %s): the loader runs it in secure-execution mode and "
						 "ignores LD_PRELOAD, so --engine preload cannot trace it; use --engine ptrace or "
						 "--engine ebpf", prog, gr ? gr->gr_name : "?");
	}
	return 0;
}

/* A program LD_PRELOAD cannot reach is refused before it runs. A script is let through: its
 * interpreter loads the library. */
static int check_program(struct ptracer *t, const char *prog, struct rt_err *err)
{
	struct rt_err e2 = { 0 };

	if (!realpath(prog, t->rootreal))
		snprintf(t->rootreal, sizeof(t->rootreal), "%s", prog);
	if (rt_binary_open(&t->rootbin, prog, &e2) != 0) {
		t->rootbin = NULL;
		return 0;
	}
	if (t->rootbin->elf->is_static)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' is statically linked (no PT_INTERP): LD_PRELOAD cannot reach it, "
						   "so --engine preload cannot trace it; use --engine ptrace or --engine ebpf", prog);
	if (t->rootbin->elf->machine != EM_X86_64 || t->rootbin->elf->elfclass != ELFCLASS64)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' is a %s program and " SHIM_NAME " is built for amd64: the loader "
						   "would not load it; use --engine ptrace or --engine ebpf", prog,
			       t->rootbin->elf->arch);
	return secure_exec(prog, err);
}

/* An event being sorted: its time, and the order it was made in for ties. */
struct sorted {
	uint64_t t;
	size_t seq;
	json_t *e;
};

static int cmp_t(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The events in time order; ties in the order they were made. */
static void sort_events(struct ptracer *t)
{
	struct sorted *v = xcalloc(t->nev ? t->nev : 1, sizeof(*v));

	for (size_t i = 0; i < t->nev; i++)
		v[i] = (struct sorted){ rt_event_time(t->ev[i]), i, t->ev[i] };
	qsort(v, t->nev, sizeof(*v), cmp_t);
	for (size_t i = 0; i < t->nev; i++)
		t->ev[i] = v[i].e;
	free(v);
}

/* Takes every record the socket has now into `raw` (length-prefixed, decoded after the program is
 * reaped: while it runs, the launcher does as little as it can on a machine it shares); returns 1 at
 * EOF (no writer left), else 0. */
static int drain(struct ptracer *t, int sock, struct strbuf *raw)
{
	char buf[RT_PL_MAX + 1];

	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		uint32_t len;

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		if (n == 0)
			return 1;
		if ((size_t)n > RT_PL_MAX) {
			t->malformed++;
			continue;
		}
		len = (uint32_t)n;
		strbuf_add(raw, &len, sizeof(len));
		strbuf_add(raw, buf, (size_t)n);
	}
}

static void decode_all(struct ptracer *t, const struct strbuf *raw)
{
	for (size_t off = 0; off + sizeof(uint32_t) <= raw->len;) {
		uint32_t len;

		memcpy(&len, raw->buf + off, sizeof(len));
		off += sizeof(len);
		on_record(t, raw->buf + off, len);
		off += len;
	}
}

/* The program's environment: ours, with the library first in LD_PRELOAD and RT_PL_ENV naming its two
 * fds (they survive its exec; everything else of ours is close-on-exec). */
static void program_env(struct strv *env, const char *shim, int wfd, int lfd, unsigned flags)
{
	extern char **environ;
	struct stat sw, sl;
	const char *pre = getenv("LD_PRELOAD");
	size_t nv = strlen(RT_PL_ENV);

	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && !(strncmp(*e, RT_PL_ENV, nv) == 0 && (*e)[nv] == '='))
			strv_push(env, *e);
	fstat(wfd, &sw);
	fstat(lfd, &sl);
	strv_pushf(env, "%s=%d:%d:%llu:%llu:%d:%llu:%llu:%u", RT_PL_ENV, RT_PL_VERSION, wfd, (unsigned long long)sw.st_dev,
		   (unsigned long long)sw.st_ino, lfd, (unsigned long long)sl.st_dev, (unsigned long long)sl.st_ino, flags);
	if (pre && *pre)
		strv_pushf(env, "LD_PRELOAD=%s:%s", shim, pre);
	else
		strv_pushf(env, "LD_PRELOAD=%s", shim);
}

/* The library, the socket pair (room for bursts: the shim's sends block, never drop, while the queue is
 * full), the shared counter (sealed to its size, and against further seals: the shim accepts only a
 * memfd sealed exactly so), the program's environment; a program LD_PRELOAD cannot reach is refused. */
static int pl_prepare(struct rt_run *r, struct rt_err *err)
{
	struct ptracer *t = r->engine;
	char shim[PATH_MAX];
	int big = 8 << 20;

	t->run = r;
	r->defer_header = true; /* written once the events are sorted */
	if (find_shim(shim, sizeof(shim), err) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t->sv) != 0) {
		t->sv[0] = t->sv[1] = -1;
		return rt_errf(err, RT_EXIT_ENV, "cannot create the preload engine's socket: %s", strerror(errno));
	}
	if (setsockopt(t->sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0)
		setsockopt(t->sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	t->lfd = memfd_create("rt0preload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (t->lfd < 0 || ftruncate(t->lfd, RT_PL_SHARED_SIZE) != 0 || fcntl(t->lfd, F_ADD_SEALS, RT_PL_LOST_SEALS) != 0 ||
	    (t->shm = mmap(NULL, RT_PL_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, t->lfd, 0)) == MAP_FAILED) {
		t->shm = NULL;
		return rt_errf(err, RT_EXIT_ENV, "cannot create the preload engine's shared memory: %s", strerror(errno));
	}
	program_env(&t->env, shim, t->sv[1], t->lfd, t->o->no_follow ? RT_PL_F_NOFOLLOW : 0);
	t->keep[0] = t->sv[1];
	t->keep[1] = t->lfd;
	r->spawn = (struct rt_spawn){ .filter_fd = -1, .hold = true, .keep = t->keep, .nkeep = 2, .env = t->env.v };
	return check_program(t, r->prog, err);
}

static int pl_start(struct rt_run *r, struct rt_err *err)
{
	struct ptracer *t = r->engine;

	(void)err;
	close(t->sv[1]);
	t->sv[1] = -1;
	strv_release(&t->env);
	t->pidfd = (int)syscall(SYS_pidfd_open, r->root, 0);
	return 0;
}

/* Queues the records until the program is reaped and, when following, until every process holding the
 * socket is gone (EOF): woken when the program ends, else every 20 ms to empty the socket (its queue,
 * 8 MiB, holds what comes meanwhile, and a record the shim sends never wakes the launcher). 1 when
 * interrupted before the program was reaped. */
static int pl_loop(struct rt_run *r)
{
	struct ptracer *t = r->engine;
	bool eof = false;

	for (;;) {
		struct pollfd pf = { t->pidfd, POLLIN, 0 };

		if (t->pidfd >= 0 && !r->reaped)
			poll(&pf, 1, 20);
		else
			poll(NULL, 0, 20);
		rt_run_reap(r); /* before the queue is read: the program's wall time is not the launcher's */
		if (!eof && drain(t, t->sv[0], &t->raw))
			eof = true;
		if (rt_interrupted)
			break;
		/* following: until every process holding the socket is gone; else until the program is */
		if (r->reaped && (eof || t->o->no_follow))
			break;
	}
	if (rt_interrupted) {
		if (t->o->kill_on_exit && !r->reaped)
			kill(r->root, SIGKILL);
		drain(t, t->sv[0], &t->raw);
	}
	close(t->sv[0]); /* from here on, a process still running sends into nothing, silently (EPIPE) */
	t->sv[0] = -1;
	return rt_interrupted && !r->reaped;
}

/* Every record becomes trace events, written sorted by time after the header. */
static int pl_stop(struct rt_run *r, bool interrupted, struct rt_err *err)
{
	struct ptracer *t = r->engine;

	(void)interrupted;
	/* the ring first: a record went by the socket only once the ring was full */
	if (t->shm) {
		const char *ring = (const char *)t->shm + RT_PL_RING_OFF, *rec = NULL;
		uint64_t head = __atomic_load_n(&t->shm[RT_PL_HEAD_OFF / 8], __ATOMIC_ACQUIRE), off = 0;
		size_t size = 0;

		while (rt_pl_ring_next(ring, head, &off, &rec, &size) == 0)
			on_record(t, rec, size);
	}
	decode_all(t, &t->raw);
	strbuf_release(&t->raw);
	if (!r->header_done && !rt_interrupted)
		/* the program ran, but the library never said hello from it: an empty trace would pass for
		 * one of a program that did nothing */
		return rt_errf(err, RT_EXIT_ENV, "--engine preload could not trace '%s': " SHIM_NAME " was never loaded in "
						 "it (secure-execution mode for a setuid/setgid program or file capabilities, "
						 "LD_PRELOAD taken out before the program started, or the loader failed); use "
						 "--engine ptrace or --engine ebpf", r->prog);
	for (size_t i = 0; i < t->nprocs; i++) {
		pending_exec(t, &t->procs[i]);
		image_end(t, &t->procs[i]);
	}
	if (r->reaped)
		add(t, rt_event_exit(r->t_reaped, r->root, r->wst, NULL)); /* dropped after --until main: the trace
									    * ended there */
	sort_events(t);
	if (!r->header_done)
		rt_run_header(r, t->o->argv, NULL);
	r->defer_header = false;
	rt_run_flush_header(r);
	for (size_t i = 0; i < t->nev; i++)
		rt_trace_event(&r->trace, t->ev[i]);
	t->nev = 0;
	r->trace.lost = (t->shm ? __atomic_load_n(&t->shm[RT_PL_LOST_OFF / 8], __ATOMIC_RELAXED) : 0) + t->malformed;
	return 0;
}

static void pl_cleanup(struct rt_run *r)
{
	struct ptracer *t = r->engine;

	for (int i = 0; i < 2; i++)
		if (t->sv[i] >= 0)
			close(t->sv[i]);
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->shm)
		munmap(t->shm, RT_PL_SHARED_SIZE);
	if (t->lfd >= 0)
		close(t->lfd);
	for (size_t i = 0; i < t->nev; i++)
		json_decref(t->ev[i]);
	free(t->ev);
	for (size_t i = 0; i < t->nprocs; i++)
		proc_free(&t->procs[i]);
	free(t->procs);
	strbuf_release(&t->raw);
	strv_release(&t->env);
	rt_binary_free(t->rootbin);
}

static const struct rt_engine_ops preload_ops = {
	.name = "preload",
	.prepare = pl_prepare,
	.start = pl_start,
	.loop = pl_loop,
	.stop = pl_stop,
	.cleanup = pl_cleanup,
};

int rt_preload_run(const struct rt_run_opts *o, int *status, struct rt_err *err)
{
	struct ptracer t = { .o = o, .sv = { -1, -1 }, .lfd = -1, .pidfd = -1, .env = STRV_INIT, .raw = STRBUF_INIT };

	return rt_run_engine(&preload_ops, &t, o, status, err);
}
