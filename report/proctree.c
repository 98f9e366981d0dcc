/*
 * report/proctree: the trace's processes as a tree, and the critical path from t0 to the analysed
 * program's main (rt_report_proctree in report.h), with their text sections and JSON members.
 *
 *  - processes: the root (the first exec or attach; it starts at t0), each child a clone of kind fork or
 *    vfork made (it starts at the clone; its ppid is the cloning process), and any other pid an event
 *    names (an exec's "ppid" gives its parent; it starts at its first event), a thread's tid standing for
 *    its process (a clone of kind thread made it). A process ends at its exit
 *    event, else at the trace's end. Its comm and exe are its last exec's; one that never exec'd has its
 *    parent's image at the fork.
 *  - phases: each process's own (rt_image_phases, the report's analysis of one image), for each of its execs
 *    from that exec's window's probe and mark events; one pass over the trace groups those events by
 *    process (a pid index, then a sort), so a trace of many processes costs its events once plus a sort
 *    of its probe hits.
 *  - container: a process made namespaces when one of its syscalls that did not fail is clone with a
 *    CLONE_NEW* flag in args[0] (x86-64's flags argument), clone3 whose decoded call names a CLONE_NEW*
 *    flag, unshare with a CLONE_NEW* flag in args[0], setns or pivot_root. It is marked `container`, and
 *    so is each process it forked after that call, and theirs.
 *  - the critical path: its target is the report's program (--program) and its main_at; without
 *    --program, the main probe hit of the process whose exec that main belongs to came last (the last
 *    exec'd program that reached main; the root's own when it is the only one). Walking back from that
 *    process: "exec → main" from its exec (the root's first exec: from t0) to main; before that its own
 *    time from its start to that exec, then each ancestor's from its start to the fork of the next on
 *    the chain, split at the execs in between, each piece named by the comm then. The steps cover
 *    [t0, main] without gaps or overlaps: each boundary is held between its neighbours (events of
 *    different processes are not written in time order), and the first starts at t0.
 *  - a container start (some process is marked container): the target is the container's entrypoint (the
 *    first exec, in a process marked container, of an image that is not an OCI runtime), or no path when
 *    it reached no main; the steps are named by what they are (step_names, images: runtime CLI,
 *    image/storage, runtime monitor (comm), OCI create, OCI init), one a process; after main,
 *    "ready → exit" runs to the root's exit when the trace has it.
 *  - the readiness point (report --ready, the header's "ready"): the first such event in the target
 *    process from its exec on or in a process it started; "main → ready" runs from main to it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "report/report.h"

/* CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME (linux/sched.h) */
#define NS_FLAGS (0x00020000ULL | 0x02000000ULL | 0x04000000ULL | 0x08000000ULL | 0x10000000ULL | 0x20000000ULL | \
		  0x40000000ULL | 0x00000080ULL)

struct pt {
	struct rt_report *r;
	size_t cap;
	size_t root;              /* index of the root, or SIZE_MAX (before link_procs sorts them) */
	int64_t root_pid;         /* its pid, or -1 */
	uint64_t end;             /* the trace's last moment */
	struct { int64_t pid; uint64_t t; } *mains;
	size_t nmains, maincap;
	struct thread { int64_t tid, pid; } *threads; /* clones of kind thread, by tid */
	size_t nthreads;
	size_t last;              /* the process proc_get last returned: a process's events come in runs */
};

static int thread_cmp(const void *a, const void *b)
{
	const struct thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* The ptrace engine may write a new thread's first syscalls before its clone event, with its tid as the
 * pid: a pid that some clone made as a thread is that thread's process. */
static void find_threads(struct pt *p)
{
	const struct rt_loaded_trace *t = p->r->trace;
	size_t cap = 0;

	for (size_t k = 0; k < t->nev; k++) {
		const struct rt_event *e = &t->ev[k];
		const char *kind = e->type == RT_ET_CLONE ? json_get_str(e->obj, "kind") : NULL;
		const json_t *child = kind ? json_object_get(e->obj, "child") : NULL;

		if (!kind || strcmp(kind, "thread") != 0 || !json_is_integer(child) || json_integer_value(child) == e->pid)
			continue;
		if (p->nthreads == cap) {
			cap = cap ? 2 * cap : 16;
			p->threads = xrealloc(p->threads, cap * sizeof(*p->threads));
		}
		p->threads[p->nthreads++] = (struct thread){ json_integer_value(child), e->pid };
	}
	if (p->nthreads)
		qsort(p->threads, p->nthreads, sizeof(*p->threads), thread_cmp);
}

/* The process an event's pid stands for. */
static int64_t owner(const struct pt *p, int64_t pid)
{
	struct thread key = { pid, 0 };
	const struct thread *th = p->nthreads ? bsearch(&key, p->threads, p->nthreads, sizeof(key), thread_cmp) : NULL;

	return th ? th->pid : pid;
}

static size_t proc_find(const struct rt_report *r, int64_t pid)
{
	for (size_t k = r->nprocs; k-- > 0;)
		if (r->procs[k].pid == pid)
			return k;
	return SIZE_MAX;
}

/* The process `pid`, added (starting at `t`) when not yet known. */
static size_t proc_get(struct pt *p, int64_t pid, uint64_t t)
{
	struct rt_report *r = p->r;
	size_t k = p->last < r->nprocs && r->procs[p->last].pid == pid ? p->last : proc_find(r, pid);

	if (k != SIZE_MAX)
		return p->last = k;
	if (r->nprocs == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 8;
		r->procs = xrealloc(r->procs, p->cap * sizeof(*r->procs));
	}
	r->procs[r->nprocs] = (struct rt_proc){ .pid = pid, .ppid = -1, .parent = SIZE_MAX, .start = t,
						 .container_at = UINT64_MAX };
	return p->last = r->nprocs++;
}

/* A syscall's first register argument, from either shape of syscall event. */
static uint64_t arg0(const struct rt_event *e)
{
	const json_t *a;

	if (!e->obj)
		return e->nargs ? e->args[0] : 0;
	a = json_array_get(json_object_get(e->obj, "args"), 0);
	return json_is_string(a) ? strtoull(json_string_value(a), NULL, 16) : 0;
}

/* The rule of the file's comment: the call made namespaces. */
static bool makes_namespaces(const struct rt_event *e)
{
	const char *n = e->name;

	if (!n || (e->ret_known && e->ret < 0))
		return false;
	if (strcmp(n, "setns") == 0 || strcmp(n, "pivot_root") == 0)
		return true;
	if (strcmp(n, "clone") == 0 || strcmp(n, "unshare") == 0)
		return (arg0(e) & NS_FLAGS) != 0;
	if (strcmp(n, "clone3") == 0)
		return e->dec && e->dec->call && strstr(e->dec->call, "CLONE_NEW");
	return false;
}

bool rt_decoded_read(const char *name)
{
	return rt_touch_named(name) || strcmp(name, "clone3") == 0;
}

static void on_syscall(struct rt_proc *pr, const struct rt_event *e)
{
	pr->syscalls++;
	pr->sys_ns += e->dur;
	if (e->t < pr->container_at && makes_namespaces(e))
		pr->container_at = e->t;
}

static void on_exec(struct pt *p, size_t k, const struct rt_event *e)
{
	struct rt_proc *pr = &p->r->procs[k];

	if (p->root == SIZE_MAX)
		p->root = k;
	if (json_is_integer(json_object_get(e->obj, "ppid")) && pr->ppid < 0)
		pr->ppid = json_get_int(e->obj, "ppid");
	if (pr->nexecs == pr->execcap) {
		pr->execcap = pr->execcap ? 2 * pr->execcap : 2;
		pr->execs = xrealloc(pr->execs, pr->execcap * sizeof(*pr->execs));
	}
	pr->execs[pr->nexecs++] = (struct rt_proc_exec){ e->t, json_get_str(e->obj, "path"), e->type == RT_ET_ATTACH };
}

static void on_event(struct pt *p, const struct rt_event *e)
{
	struct rt_report *r = p->r;
	size_t k = SIZE_MAX;

	if (e->t + e->dur > p->end)
		p->end = e->t + e->dur;
	if (e->type == RT_ET_CONTAINER && !r->container_info && e->obj && json_is_string(json_object_get(e->obj, "id")))
		r->container_info = e->obj;
	if (!e->has_pid)
		return;
	k = proc_get(p, owner(p, e->pid), e->t);
	if (e->type == RT_ET_SYSCALL) {
		on_syscall(&r->procs[k], e);
	} else if (e->type == RT_ET_EXEC || e->type == RT_ET_ATTACH) {
		on_exec(p, k, e);
	} else if (e->type == RT_ET_EXIT) {
		r->procs[k].exited = true;
		r->procs[k].end = e->t;
	} else if (e->type == RT_ET_CLONE) {
		const char *kind = json_get_str(e->obj, "kind");
		const json_t *child = json_object_get(e->obj, "child");

		if (kind && strcmp(kind, "thread") != 0 && json_is_integer(child) && json_integer_value(child) > 0) {
			size_t c = proc_get(p, json_integer_value(child), e->t);

			r->procs[c].ppid = e->pid;
			r->procs[c].start = e->t;
		}
	} else if (e->type == RT_ET_PROBE) {
		const char *role = json_get_str(e->obj, "role");

		if (role && strcmp(role, "main") == 0) {
			if (p->nmains == p->maincap) {
				p->maincap = p->maincap ? 2 * p->maincap : 4;
				p->mains = xrealloc(p->mains, p->maincap * sizeof(*p->mains));
			}
			p->mains[p->nmains].pid = r->procs[k].pid;
			p->mains[p->nmains++].t = e->t;
		}
	}
}

static int start_cmp(const void *a, const void *b)
{
	const struct rt_proc *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start ? 1 : x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The image process `pr` ran at `t`: its last exec by then, else (the root before its first exec's event,
 * which the report puts at t0) its first, else its inherited one. */
static const char *image_at(const struct rt_report *r, const struct rt_proc *pr, uint64_t t)
{
	const char *path = NULL;

	for (size_t k = 0; k < pr->nexecs && pr->execs[k].t <= t; k++)
		path = pr->execs[k].path;
	if (!path && pr->nexecs && pr->start <= r->t0)
		path = pr->execs[0].path;
	if (!path && pr->parent != SIZE_MAX)
		path = image_at(r, &r->procs[pr->parent], pr->start);
	return path;
}

/* Parents, inherited images, ends and the container mark, in start order (a parent before its children). */
static void link_procs(struct pt *p)
{
	struct rt_report *r = p->r;

	if (r->nprocs) /* qsort of NULL, 0 is undefined */
		qsort(r->procs, r->nprocs, sizeof(*r->procs), start_cmp);
	for (size_t k = 0; k < r->nprocs; k++) {
		struct rt_proc *pr = &r->procs[k];
		size_t par = pr->ppid >= 0 ? proc_find(r, pr->ppid) : SIZE_MAX;

		pr->parent = par < k ? par : SIZE_MAX;
		pr->exe = image_at(r, pr, UINT64_MAX);
		pr->comm = rt_path_base(pr->exe);
		if (!pr->exited || pr->end < pr->start)
			pr->end = pr->exited ? pr->start : p->end;
		if (pr->parent != SIZE_MAX && r->procs[par].container_at <= pr->start && pr->start < pr->container_at)
			pr->container_at = pr->start;
		pr->container = pr->container_at != UINT64_MAX;
		r->container = r->container || pr->container;
	}
}

/* ---- each process's phases ---------------------------------------------------------------------------- */

struct pid_ix {
	int64_t pid;
	size_t k;
};

static int pid_ix_cmp(const void *a, const void *b)
{
	const struct pid_ix *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* A probe or mark event of process `k`, the event's index in the trace. */
struct proc_ev {
	size_t k, seq;
};

static int proc_ev_cmp(const void *a, const void *b)
{
	const struct proc_ev *x = a, *y = b;

	return x->k != y->k ? (x->k < y->k ? -1 : 1) : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The phases of process pr's images from its own probe and mark events (`ev`, n of them, in file order):
 * each exec's window runs from its exec (the root's first: t0, as the report's own "exec" phase) until the
 * next exec, its last phase ending there or at the process's end. */
static void image_phases(const struct rt_report *r, struct rt_proc *pr, const struct rt_event **ev, size_t n,
			 const struct rt_event **win)
{
	size_t cap = 0;

	for (size_t x = 0; x < pr->nexecs; x++) {
		uint64_t from = x == 0 && pr->start <= r->t0 ? r->t0 : pr->execs[x].t;
		uint64_t until = x + 1 < pr->nexecs ? pr->execs[x + 1].t : UINT64_MAX;
		uint64_t end = until < pr->end ? until : pr->end, main_at = 0;
		size_t nw = 0, np = 0;
		struct rt_phase_row *ph;

		for (size_t e = 0; e < n; e++)
			if (ev[e]->t >= from && ev[e]->t < until)
				win[nw++] = ev[e];
		if (!nw || !(ph = rt_image_phases(win, nw, pr->execs[x].attach, from, end < from ? from : end, &np, &main_at)))
			continue;
		pr->phases = xgrow(pr->phases, &cap, pr->nphases + np, sizeof(*pr->phases));
		memcpy(&pr->phases[pr->nphases], ph, np * sizeof(*ph));
		pr->nphases += np;
		free(ph);
		if (main_at && !pr->main_at) {
			pr->main_at = main_at;
			pr->main_exec = from;
		}
	}
}

/* Every process's phases: one pass over the trace collects the probe and mark events (the only ones a
 * phase starts at), grouped by process, then each process's are analysed alone. */
static void proc_phases(struct pt *p)
{
	struct rt_report *r = p->r;
	const struct rt_loaded_trace *t = r->trace;
	struct pid_ix *ix = xmalloc((r->nprocs ? r->nprocs : 1) * sizeof(*ix));
	struct proc_ev *v = NULL;
	const struct rt_event **ev, **win;
	size_t n = 0, cap = 0;

	for (size_t k = 0; k < r->nprocs; k++)
		ix[k] = (struct pid_ix){ r->procs[k].pid, k };
	if (r->nprocs)
		qsort(ix, r->nprocs, sizeof(*ix), pid_ix_cmp);
	for (size_t k = 0; k < t->nev; k++) {
		const struct rt_event *e = &t->ev[k];
		struct pid_ix key, *hit;

		if ((e->type != RT_ET_PROBE && e->type != RT_ET_MARK) || !e->has_pid || !r->nprocs)
			continue;
		key.pid = owner(p, e->pid);
		if (!(hit = bsearch(&key, ix, r->nprocs, sizeof(*ix), pid_ix_cmp)))
			continue;
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n++] = (struct proc_ev){ hit->k, k };
	}
	if (n)
		qsort(v, n, sizeof(*v), proc_ev_cmp);
	ev = xmalloc((n ? n : 1) * sizeof(*ev));
	win = xmalloc((n ? n : 1) * sizeof(*win));
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a; b < n && v[b].k == v[a].k; b++)
			ev[b - a] = &t->ev[v[b].seq];
		image_phases(r, &r->procs[v[a].k], ev, b - a, win);
	}
	free(win);
	free(ev);
	free(v);
	free(ix);
}

static void add_step(struct rt_report *r, const char *name, int64_t pid, uint64_t start)
{
	if (r->npath == r->pathcap) {
		r->pathcap = r->pathcap ? 2 * r->pathcap : 8;
		r->path = xrealloc(r->path, r->pathcap * sizeof(*r->path));
	}
	r->path[r->npath++] = (struct rt_path_step){ xstrdup(name ? name : "?"), pid, start, 0 };
}

/* ---- a container start's steps ------------------------------------------------------------------------ */

/* What a step of a container start is (docs/formats.md "critical path"): the step names, one table. */
enum step_kind { STEP_COMM, STEP_CLI, STEP_STORAGE, STEP_MONITOR, STEP_OCI_CREATE, STEP_OCI_INIT, STEP_EXEC_MAIN,
		 STEP_MAIN_READY, STEP_READY_EXIT };

static const char *const step_names[] = {
	[STEP_COMM] = NULL,                        /* the process's comm then */
	[STEP_CLI] = "runtime CLI",                /* a container CLI until its image/storage work or its fork */
	[STEP_STORAGE] = "image/storage",          /* the CLI from its first image-storage syscall to its fork */
	[STEP_MONITOR] = "runtime monitor",        /* conmon, containerd-shim*: "runtime monitor (conmon)" */
	[STEP_OCI_CREATE] = "OCI create",          /* the OCI runtime from its exec until it forks its init */
	[STEP_OCI_INIT] = "OCI init",              /* the runtime's init until the entrypoint's exec */
	[STEP_EXEC_MAIN] = "exec \u2192 main",     /* the program's exec (the root's first: t0) to main */
	[STEP_MAIN_READY] = "main \u2192 ready",    /* main to the readiness point (report --ready) */
	[STEP_READY_EXIT] = "ready \u2192 exit",    /* the readiness point (or main) to the root's exit */
};

/* The images a container start is made of, by basename (`prefix`: any name starting so). */
static const struct {
	const char *image;
	bool prefix;
	enum step_kind kind;
} images[] = {
	{ "podman", false, STEP_CLI },     { "docker", false, STEP_CLI },   { "nerdctl", false, STEP_CLI },
	{ "ctr", false, STEP_CLI },        { "crictl", false, STEP_CLI },   { "kubelet", false, STEP_CLI },
	{ "conmon", false, STEP_MONITOR }, { "containerd-shim", true, STEP_MONITOR },
	{ "runc", false, STEP_OCI_CREATE }, { "crun", false, STEP_OCI_CREATE }, { "youki", false, STEP_OCI_CREATE },
	{ "runsc", false, STEP_OCI_CREATE },
};

/* Where image storage lives: a path at or under one of these is image/storage work. */
static const char *const storage_dirs[] = { "/var/lib/containers", "/var/lib/containerd", "/run/containers/storage" };
/* ... and so is any of these syscalls (overlay and other mounts) */
static const char *const mount_calls[] = { "mount", "fsopen", "fsconfig", "fsmount", "move_mount", "open_tree",
					    "mount_setattr" };

static enum step_kind image_kind(const char *base)
{
	for (size_t k = 0; base && k < sizeof(images) / sizeof(images[0]); k++)
		if (images[k].prefix ? strncmp(base, images[k].image, strlen(images[k].image)) == 0
				     : strcmp(base, images[k].image) == 0)
			return images[k].kind;
	return STEP_COMM;
}

static bool touches_storage(const struct rt_event *e)
{
	const char *path = e->dec ? e->dec->path : NULL;

	if (e->type != RT_ET_SYSCALL || !e->name)
		return false;
	for (size_t k = 0; k < sizeof(mount_calls) / sizeof(mount_calls[0]); k++)
		if (strcmp(e->name, mount_calls[k]) == 0)
			return true;
	for (size_t k = 0; path && k < sizeof(storage_dirs) / sizeof(storage_dirs[0]); k++) {
		size_t n = strlen(storage_dirs[k]);

		if (strncmp(path, storage_dirs[k], n) == 0 && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

/* The container's entrypoint: the first exec, in a process marked container by then, of an image that is
 * not an OCI runtime; false when there is none. */
static bool entrypoint(const struct rt_report *r, size_t *proc, uint64_t *exec_t)
{
	bool found = false;

	for (size_t k = 0; k < r->nprocs; k++) {
		const struct rt_proc *pr = &r->procs[k];

		for (size_t x = 0; pr->container && x < pr->nexecs; x++)
			if (pr->execs[x].t >= pr->container_at && image_kind(rt_path_base(pr->execs[x].path)) != STEP_OCI_CREATE &&
			    (!found || pr->execs[x].t < *exec_t)) {
				found = true;
				*proc = k;
				*exec_t = pr->execs[x].t;
			}
	}
	return found;
}

/* The process and exec the critical path ends in, and its main: false when none reached main. In a
 * container start (no --program), the container's entrypoint, or none when it did not reach main (another
 * program's main, the runtime's own, is no end for a container start's path). */
static bool path_target(struct pt *p, size_t *proc, uint64_t *exec_t)
{
	struct rt_report *r = p->r;
	bool found = false;
	size_t ep = SIZE_MAX;
	uint64_t ept = 0;

	if (r->container && !r->program && entrypoint(r, &ep, &ept)) {
		for (size_t m = 0; m < p->nmains; m++)
			if (p->mains[m].pid == r->procs[ep].pid && p->mains[m].t >= ept && (!found || p->mains[m].t < r->path_main)) {
				found = true;
				r->path_main = p->mains[m].t;
			}
		if (found) {
			const struct rt_proc *pr = &r->procs[ep];

			*proc = ep;
			*exec_t = ept; /* the program's own exec: the entrypoint's, or a later one before main */
			for (size_t x = 0; x < pr->nexecs && pr->execs[x].t <= r->path_main; x++)
				if (pr->execs[x].t > ept)
					*exec_t = pr->execs[x].t;
			return true;
		}
		r->path_pid = r->procs[ep].pid; /* the container's program reached no main: no path */
		return false;
	}
	for (size_t m = 0; m < p->nmains; m++) {
		const struct rt_proc *pr = &r->procs[proc_find(r, p->mains[m].pid)];
		uint64_t te = pr->start;

		if (r->program && (pr->pid != r->pid || p->mains[m].t != r->main_at))
			continue;
		for (size_t k = 0; k < pr->nexecs && pr->execs[k].t <= p->mains[m].t; k++)
			te = pr->execs[k].t;
		if (found && te < *exec_t)
			continue;
		found = true;
		*proc = (size_t)(pr - r->procs);
		*exec_t = te;
		r->path_main = p->mains[m].t;
	}
	return found;
}

/* A container start's names for the steps before "exec → main", in place of the comms (the file's comment):
 * by the image each step ran, a forked child's copy before its first exec named as what it execs; every
 * step of another process after the OCI runtime's is its init's. Then the steps of one process with one name are one. */
static void container_names(struct pt *p)
{
	struct rt_report *r = p->r;
	int64_t created = -1; /* the OCI runtime's pid, once a step ran it */
	size_t last = r->npath - 1, n = 0;

	for (size_t s = 0; s < last; s++) {
		struct rt_path_step *st = &r->path[s];
		const struct rt_proc *pr = &r->procs[proc_find(r, st->pid)];
		bool copy = st->start == pr->start && pr->start > r->t0 && s + 1 < r->npath && r->path[s + 1].pid == st->pid;
		const char *img = copy && s + 1 < last ? r->path[s + 1].step : st->step;
		enum step_kind kind = image_kind(copy && s + 1 == last ? rt_path_base(pr->exe) : img);
		char *name;

		if (created >= 0)
			kind = st->pid == created ? STEP_OCI_CREATE : STEP_OCI_INIT;
		else if (kind == STEP_OCI_CREATE)
			created = st->pid;
		if (kind == STEP_COMM)
			continue;
		name = kind == STEP_MONITOR ? xasprintf("%s (%s)", step_names[kind], img) : xstrdup(step_names[kind]);
		free(st->step);
		st->step = name;
	}
	for (size_t s = 0; s < r->npath; s++) {
		if (n && r->path[n - 1].pid == r->path[s].pid && strcmp(r->path[n - 1].step, r->path[s].step) == 0) {
			free(r->path[s].step);
			continue;
		}
		r->path[n++] = r->path[s];
	}
	r->npath = n;
}

static void insert_step(struct rt_report *r, size_t at, const char *name, int64_t pid, uint64_t start, uint64_t dur)
{
	struct rt_path_step st;

	add_step(r, name, pid, start); /* grows the path; the new step is moved into place */
	st = r->path[r->npath - 1];
	st.dur = dur;
	memmove(&r->path[at + 1], &r->path[at], (r->npath - 1 - at) * sizeof(*r->path));
	r->path[at] = st;
}

/* A runtime CLI's image/storage work: from its first syscall touching image storage in the step to the
 * step's end. */
static void storage_split(struct pt *p)
{
	struct rt_report *r = p->r;

	for (size_t s = 0; s < r->npath; s++) {
		struct rt_path_step *st = &r->path[s];
		uint64_t end = st->start + st->dur, first = UINT64_MAX;

		if (strcmp(st->step, step_names[STEP_CLI]) != 0 || !st->dur)
			continue;
		for (size_t k = 0; k < r->trace->nev; k++) {
			const struct rt_event *e = &r->trace->ev[k];

			if (e->t >= st->start && e->t < end && e->t < first && e->has_pid && owner(p, e->pid) == st->pid &&
			    touches_storage(e))
				first = e->t;
		}
		if (first == UINT64_MAX)
			continue;
		if (first == st->start) {
			free(st->step);
			st->step = xstrdup(step_names[STEP_STORAGE]);
			continue;
		}
		st->dur = first - st->start;
		insert_step(r, s + 1, step_names[STEP_STORAGE], st->pid, first, end - first);
		s++;
	}
}

/* Whether event `e` is the readiness point r->ready asks for, and when it was reached. */
static bool ready_event(const struct rt_report *r, const struct rt_event *e, uint64_t *at, const char **what)
{
	const struct rt_ready *rd = &r->ready;

	if (rd->kind == RT_READY_SYMBOL) {
		const char *sym = e->type == RT_ET_PROBE ? json_get_str(e->obj, "symbol") : NULL;

		*at = e->t;
		*what = sym;
		return sym && strcmp(sym, rd->symbol) == 0;
	}
	if (e->type != RT_ET_SYSCALL || !e->name || !e->ret_known || e->ret < 0)
		return false;
	*at = e->t + e->dur; /* the call returned: the socket listens, the write is done */
	*what = e->name;
	return rt_ready_syscall(rd, e->name, e->ret, rd->kind == RT_READY_FD_WRITE ? arg0(e) : 0);
}

/* The readiness point: the first, in the path's target process from its exec on or in a process it
 * started, of the events r->ready asks for (main: the path's main). */
static void find_ready(struct pt *p, size_t target, uint64_t te)
{
	struct rt_report *r = p->r;
	bool *mine = xcalloc(r->nprocs ? r->nprocs : 1, sizeof(*mine));

	if (r->ready.kind == RT_READY_MAIN) {
		r->ready_reached = true;
		r->ready_at = r->path_main;
		r->ready_pid = r->path_pid;
		r->ready_what = "main";
		free(mine);
		return;
	}
	for (size_t k = 0; k < r->nprocs; k++)
		mine[k] = k == target || (r->procs[k].parent != SIZE_MAX && mine[r->procs[k].parent]);
	for (size_t k = 0; k < r->trace->nev; k++) {
		const struct rt_event *e = &r->trace->ev[k];
		uint64_t at;
		const char *what;
		size_t pk;

		if (!e->has_pid || e->t < te || !ready_event(r, e, &at, &what) || (r->ready_reached && at >= r->ready_at))
			continue;
		pk = proc_find(r, owner(p, e->pid));
		if (pk == SIZE_MAX || !mine[pk])
			continue;
		r->ready_reached = true;
		r->ready_at = at;
		r->ready_pid = r->procs[pk].pid;
		r->ready_what = what;
	}
	free(mine);
}

/* The path's end: "main → ready" to the readiness point when one other than main was asked and reached
 * (a point before main is reached at main), then, in a container start, "ready → exit" to the root's
 * exit when the trace records it later. */
static void ready_steps(struct pt *p, size_t target, uint64_t te)
{
	struct rt_report *r = p->r;
	size_t root = proc_find(r, p->root_pid);
	uint64_t end = r->path_main;

	find_ready(p, target, te);
	if (r->ready.kind != RT_READY_MAIN && r->ready_reached) {
		uint64_t at = r->ready_at > end ? r->ready_at : end;

		add_step(r, step_names[STEP_MAIN_READY], r->ready_pid, end);
		r->path[r->npath - 1].dur = at - end;
		end = at;
	}
	if (r->container && root != SIZE_MAX && r->procs[root].exited && r->procs[root].end > end) {
		add_step(r, step_names[STEP_READY_EXIT], r->procs[root].pid, end);
		r->path[r->npath - 1].dur = r->procs[root].end - end;
		end = r->procs[root].end;
	}
	r->path_end = end;
}

/* The critical path (see the file's comment), built backwards, then put in time order. */
static void critical_path(struct pt *p)
{
	struct rt_report *r = p->r;
	size_t k = SIZE_MAX, target;
	uint64_t te = 0, until, prev;

	if (!path_target(p, &k, &te))
		return;
	target = k;
	r->path_pid = r->procs[k].pid;
	add_step(r, step_names[STEP_EXEC_MAIN], r->path_pid, te);
	/* the root's first exec: from t0, one step */
	if (r->procs[k].start <= r->t0 && r->procs[k].nexecs && te == r->procs[k].execs[0].t)
		k = SIZE_MAX;
	for (until = te; k != SIZE_MAX; k = r->procs[k].parent) {
		const struct rt_proc *pr = &r->procs[k];

		for (size_t x = pr->nexecs; x-- > 0;) {
			bool first_of_root = x == 0 && pr->start <= r->t0;

			if (pr->execs[x].t < until && pr->execs[x].t > pr->start && !first_of_root) {
				add_step(r, rt_path_base(image_at(r, pr, pr->execs[x].t)), pr->pid, pr->execs[x].t);
				until = pr->execs[x].t;
			}
		}
		add_step(r, rt_path_base(image_at(r, pr, pr->start)), pr->pid, pr->start);
		until = pr->start;
	}
	for (size_t a = 0, b = r->npath - 1; a < b; a++, b--) {
		struct rt_path_step s = r->path[a];

		r->path[a] = r->path[b];
		r->path[b] = s;
	}
	if (r->container)
		container_names(p);
	prev = r->t0;
	for (size_t s = 0; s < r->npath; s++) {
		uint64_t st = s == 0 ? r->t0 : r->path[s].start;

		st = st < prev ? prev : st > r->path_main ? r->path_main : st;
		r->path[s].start = prev = st;
	}
	for (size_t s = 0; s < r->npath; s++)
		r->path[s].dur = (s + 1 < r->npath ? r->path[s + 1].start : r->path_main) - r->path[s].start;
	if (r->container)
		storage_split(p);
	ready_steps(p, target, te);
}

void rt_report_proctree(struct rt_report *r)
{
	struct pt p = { .r = r, .root = SIZE_MAX, .end = r->t0 };

	find_threads(&p);
	for (size_t k = 0; k < r->trace->nev; k++)
		on_event(&p, &r->trace->ev[k]);
	if (!r->container_info && json_is_object(json_object_get(r->trace->header, "container")))
		r->container_info = json_object_get(r->trace->header, "container");
	if (p.root != SIZE_MAX && r->procs[p.root].start > r->t0)
		r->procs[p.root].start = r->t0;
	p.root_pid = p.root != SIZE_MAX ? r->procs[p.root].pid : -1;
	link_procs(&p);
	proc_phases(&p);
	critical_path(&p);
	free(p.mains);
	free(p.threads);
}

void rt_proctree_free(struct rt_report *r)
{
	for (size_t k = 0; k < r->nprocs; k++) {
		for (size_t x = 0; x < r->procs[k].nphases; x++)
			free(r->procs[k].phases[x].name);
		free(r->procs[k].phases);
		free(r->procs[k].execs);
	}
	free(r->procs);
	for (size_t k = 0; k < r->npath; k++)
		free(r->path[k].step);
	free(r->path);
}

/* Process k and its children, depth first, indented by parentage. */
static void text_proc(const struct rt_report *r, size_t k, int depth, FILE *f)
{
	const struct rt_proc *pr = &r->procs[k];
	char who[64];

	snprintf(who, sizeof(who), "%*s%" PRId64 " %s", 2 * depth, "", pr->pid, pr->comm ? pr->comm : "?");
	fprintf(f, "  %-34.34s %+9.3f ms %9.3f ms%s %9" PRIu64 " %9.3f ms%s", who, rt_ms(pr->start - r->t0),
		rt_ms(pr->end - pr->start), pr->exited ? " " : "+", pr->syscalls, rt_ms(pr->sys_ns),
		pr->container ? "  container" : "");
	if (pr->nphases && pr->main_at)
		fprintf(f, "  %zu phases, exec \u2192 main %.3f ms", pr->nphases, rt_ms(pr->main_at - pr->main_exec));
	else if (pr->nphases)
		fprintf(f, "  %zu phases, no main", pr->nphases);
	fputc('\n', f);
	for (size_t c = 0; c < r->nprocs; c++)
		if (r->procs[c].parent == k)
			text_proc(r, c, depth + 1, f);
}

/* The readiness point's line: where it was reached, or that it was not. */
static void text_ready(const struct rt_report *r, FILE *f)
{
	if (!r->ready_spec)
		return;
	if (r->ready_reached)
		fprintf(f, "\nready (%s): %s in process %" PRId64 " at %+.3f ms\n", r->ready_spec, r->ready_what ? r->ready_what : "?",
			r->ready_pid, rt_ms(r->ready_at - r->t0));
	else
		fprintf(f, "\nready (%s): not reached: the trace has no such point in the program%s\n", r->ready_spec,
			r->npath ? "; the critical path ends at main" : "");
}

void rt_proctree_text(const struct rt_report *r, FILE *f)
{
	if (r->nprocs < 2 && !r->ready_spec)
		return;
	if (r->nprocs >= 2) {
		fprintf(f, "\nprocesses%31s %12s %9s %12s\n", "start", "duration", "syscalls", "in syscalls");
		for (size_t k = 0; k < r->nprocs; k++)
			if (r->procs[k].parent == SIZE_MAX)
				text_proc(r, k, 0, f);
		for (size_t k = 0; k < r->nprocs; k++)
			if (!r->procs[k].exited) {
				fputs("  (+: no exit recorded, runs to the trace's end)\n", f);
				break;
			}
	}
	if (!r->npath && r->container && r->path_pid > 0) {
		fprintf(f, "\ncritical path: the container's program (process %" PRId64 ") reached no main\n", r->path_pid);
		text_ready(r, f);
		return;
	}
	if (!r->npath) {
		fputs("\ncritical path: no process reached main\n", f);
		text_ready(r, f);
		return;
	}
	fprintf(f, "\ncritical path (t0 to main of process %" PRId64 " at %+.3f ms", r->path_pid, rt_ms(r->path_main - r->t0));
	if (r->path_end != r->path_main)
		fprintf(f, ", then to %+.3f ms", rt_ms(r->path_end - r->t0));
	fputs(")\n", f);
	for (size_t k = 0; k < r->npath; k++) {
		size_t cols = 0;

		for (const char *c = r->path[k].step; *c; c++)
			cols += ((unsigned char)*c & 0xc0) != 0x80; /* characters, not bytes: "→" is one column */
		fprintf(f, "  %s%*s %7" PRId64 " %+9.3f ms %9.3f ms\n", r->path[k].step, cols < 26 ? (int)(26 - cols) : 0, "",
			r->path[k].pid, rt_ms(r->path[k].start - r->t0), rt_ms(r->path[k].dur));
	}
	text_ready(r, f);
}

void rt_proctree_json(const struct rt_report *r, json_t *o)
{
	json_t *procs, *path;

	if (r->ready_spec) {
		json_t *rd = json_object();

		json_object_set_new(rd, "spec", json_string(r->ready_spec));
		json_object_set_new(rd, "reached", json_boolean(r->ready_reached));
		if (r->ready_reached) {
			json_object_set_new(rd, "t_ns", json_integer((json_int_t)(r->ready_at - r->t0)));
			json_object_set_new(rd, "pid", json_integer(r->ready_pid));
			json_object_set_new(rd, "event", r->ready_what ? json_string(r->ready_what) : json_null());
		}
		json_object_set_new(o, "ready", rd);
	}
	if (r->nprocs < 2 && !r->ready_spec)
		return;
	procs = json_array();
	for (size_t k = 0; k < r->nprocs; k++) {
		const struct rt_proc *pr = &r->procs[k];
		json_t *p = json_object(), *execs = json_array(), *phases = json_array();

		for (size_t x = 0; x < pr->nexecs; x++)
			json_array_append_new(execs, pr->execs[x].path ? json_string(pr->execs[x].path) : json_null());
		for (size_t x = 0; x < pr->nphases; x++) {
			json_t *ph = json_object();

			json_object_set_new(ph, "name", json_string(pr->phases[x].name));
			json_object_set_new(ph, "start_ns", json_integer((json_int_t)(pr->phases[x].start - r->t0)));
			json_object_set_new(ph, "dur_ns", json_integer((json_int_t)(pr->phases[x].end - pr->phases[x].start)));
			json_array_append_new(phases, ph);
		}
		json_object_set_new(p, "pid", json_integer(pr->pid));
		json_object_set_new(p, "ppid", pr->ppid >= 0 ? json_integer(pr->ppid) : json_null());
		json_object_set_new(p, "comm", pr->comm ? json_string(pr->comm) : json_null());
		json_object_set_new(p, "exe", pr->exe ? json_string(pr->exe) : json_null());
		json_object_set_new(p, "start_ns", json_integer((json_int_t)(pr->start - r->t0)));
		json_object_set_new(p, "end_ns", json_integer((json_int_t)(pr->end - r->t0)));
		json_object_set_new(p, "exited", json_boolean(pr->exited));
		json_object_set_new(p, "container", json_boolean(pr->container));
		json_object_set_new(p, "syscalls", json_integer((json_int_t)pr->syscalls));
		json_object_set_new(p, "syscall_ns", json_integer((json_int_t)pr->sys_ns));
		json_object_set_new(p, "execs", execs);
		json_object_set_new(p, "phases", phases);
		json_array_append_new(procs, p);
	}
	if (r->nprocs >= 2)
		json_object_set_new(o, "processes", procs);
	else
		json_decref(procs);
	path = json_array();
	for (size_t k = 0; k < r->npath; k++) {
		json_t *s = json_object();

		json_object_set_new(s, "step", json_string(r->path[k].step));
		json_object_set_new(s, "pid", json_integer(r->path[k].pid));
		json_object_set_new(s, "start_ns", json_integer((json_int_t)(r->path[k].start - r->t0)));
		json_object_set_new(s, "dur_ns", json_integer((json_int_t)r->path[k].dur));
		json_array_append_new(path, s);
	}
	json_object_set_new(o, "critical_path", path);
}
