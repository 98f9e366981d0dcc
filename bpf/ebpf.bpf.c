// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/ebpf.bpf.c: the kernel side of `rt0trace run --engine ebpf`. Everything is filtered to the traced
 * process tree, a map of tracked tgids that user space seeds with the program's pid, that grows on
 * fork (with -f) and shrinks when a process's last thread exits.
 *  - raw tracepoints sys_enter/sys_exit: each syscall is paired in the kernel (entry kept per thread)
 *    and sent once, at its exit, or at the thread's exit when it never returns (exit, exit_group); what
 *    its arguments point at is read as the `plan` map says (the decoder's table: paths, buffers, argv,
 *    bounded), at entry or at exit, and goes out after the record (bpf/ebpf.h struct rt_ev_cap);
 *  - sched_process_fork/exec/exit: clones, execs (the process is held with SIGSTOP, sent before it can
 *    run one instruction of the new image, until user space has attached that image's uprobes and
 *    sends SIGCONT), and the exit status;
 *  - signal_generate: signals sent to tracked threads (not SIGSTOP/SIGCONT, which the holds use);
 *  - one uprobe program, attached by user space at every planned function entry with the plan index
 *    as its cookie; with RT_PROBE_HOLD it also stops the process for the layout snapshot;
 *  - tp_btf sched_switch: a tracked thread's CPU time when it is switched in, so that a probe or an
 *    exec knows the thread's exact CPU time (and its runqueue wait, sched_info.run_delay) then.
 * Records go through one ring buffer; a record that cannot be reserved is counted in `dropped`.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/ebpf.h"

#define SIGSTOP 19
#define SIGCONT 18

char LICENSE[] SEC("license") = "GPL";

const volatile bool follow_forks = false;
const volatile bool agent = false; /* rt0trace agent: trees start at the `triggers` (bpf/ebpf.h) */

unsigned long long dropped = 0;

/* tracer/decode.h's values (tracer/ebpf.c checks that they agree) */
#define DEC_ENTRY 1
#define DEC_EXIT 2
#define DEC_STR 0
#define DEC_BYTES 1
#define DEC_ARGV 2
#define DEC_COUNT 3
#define DEC_OK 0
#define DEC_TRUNC 1
#define DEC_FAULT 2
#define DEC_LEN_RET 1
#define DEC_LEN_ARG0 2

/* A SYSCALL record with what its arguments point at, as it goes out (bpf_ringbuf_output: header, the
 * capture's parts, `used` bytes). Each copy starts below RT_CAP_BYTES and is at most RT_CAP_BYTES + 1
 * long, or argv's slots: room enough that the verifier sees every copy in bounds. */
#define CAP_ROOM (RT_CAP_BYTES + RT_CAP_ARGV * RT_CAP_SLOT + 8)
struct caprec {
	struct rt_ev ev;
	struct rt_ev_cap cap;
	unsigned char buf[CAP_ROOM];
};

/* A thread's syscall in progress: kept in the thread's own storage (no shared-map lock on the hot
 * path, and it stays with the task when an exec from another thread gives it the leader's tid). */
struct inflight {
	unsigned long long t, nr, args[6];
	unsigned int live;
	unsigned int retry;       /* bit k: plan need k read nothing at entry (its page not in yet): again at exit */
	struct caprec rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u32);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct comm {
	char c[RT_COMM_LEN];
};

/* rt0trace agent: the comms that start a tree (bpf/ebpf.h RT_TRIG_*); empty otherwise */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct comm);
	__type(value, u32);
} triggers SEC(".maps");

/* A tracked thread's CPU time at its last switch-in, and when that was (bpf_ktime_get_ns). */
struct acct {
	unsigned long long on_since, base_cpu;
	unsigned long long last_cpu; /* the CPU time the thread's last record said: accounts only grow */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct acct);
} accts SEC(".maps");

/* Per syscall number, what to read of its arguments (bpf/ebpf.h struct rt_plan; user space fills it
 * from the decoder's table, or leaves it empty: --raw). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RT_PLAN_SYSCALLS);
	__type(key, u32);
	__type(value, struct rt_plan);
} plan SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* A held probe's copy, read before the events' backlog: user space lets the process go as soon as it
 * has read its layout, not after it has gone through everything the program did since the last wake
 * (~230 records, 0.2 ms, at the sample's main.main). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 10);
} holds SEC(".maps");

/* User space is woken only for what it must act on at once (a held exec, a held probe, an exit) or
 * when the buffer is half full; everything else waits for that, so the tracer does not take the CPU
 * from the program it traces on every event. */
static __always_inline u64 flags_now(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > (4 << 20) ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void submit(struct rt_ev *e, bool urgent)
{
	bpf_ringbuf_submit(e, urgent ? BPF_RB_FORCE_WAKEUP : flags_now());
}

static __always_inline bool is_tracked(u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

static __always_inline struct rt_ev *reserve(unsigned int kind, u32 pid, u32 tid)
{
	struct rt_ev *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->pid = (int)pid;
	e->tid = (int)tid;
	return e;
}

/* A SYSCALL record of the call in progress, returned with `ret` (has_ret). */
static __always_inline void syscall_rec(struct rt_ev *e, const struct inflight *in, unsigned long long now, long ret)
{
	e->t = in->t;
	e->dur = now - in->t;
	e->nr = in->nr;
	e->has_ret = 1;
	e->ret = ret;
	__builtin_memcpy(e->args, in->args, sizeof(e->args));
}

/* A syscall whose exit will never come (the thread is leaving): sent without a return value. */
static __always_inline void flush_inflight(u32 pid, u32 tid, unsigned long long now)
{
	struct inflight *in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	struct rt_ev *e;

	if (!in || !in->live)
		return;
	in->live = 0;
	e = reserve(RT_EV_SYSCALL, pid, tid);
	if (e) {
		e->t = in->t;
		e->dur = now - in->t;
		e->nr = in->nr;
		__builtin_memcpy(e->args, in->args, sizeof(e->args));
		submit(e, false);
	}
}

/* The current thread's scheduler account now, into args[0..2] (bpf/ebpf.h RT_SCHED_*). */
static __always_inline void sched_now(struct rt_ev *e, unsigned long long now)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct acct *a = bpf_task_storage_get(&accts, cur, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (a && a->on_since && a->on_since <= now) {
		e->args[0] = a->base_cpu + (now - a->on_since);
		e->args[2] = RT_SCHED_EXACT;
	} else {
		e->args[0] = cur->se.sum_exec_runtime;
		e->args[2] = RT_SCHED_TICK;
	}
	/* a figure as of the last tick (or one of each kind) must not say less than the one before it did:
	 * a phase's CPU time is the difference of two */
	if (a) {
		if (e->args[0] < a->last_cpu)
			e->args[0] = a->last_cpu;
		a->last_cpu = e->args[0];
	}
	e->args[1] = cur->sched_info.run_delay;
}

/* A tracked thread switched in: its CPU time is exact now (updated when it was switched out). */
SEC("tp_btf/sched_switch")
int BPF_PROG(rt_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct acct *a;

	if (!is_tracked(next->tgid))
		return 0;
	a = bpf_task_storage_get(&accts, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (a) {
		a->on_since = bpf_ktime_get_ns();
		a->base_cpu = next->se.sum_exec_runtime;
	}
	return 0;
}

/* ---- argument capture (tracer/decode.h: what the decoder needs, as the plan map says) --------------- */

/* A new part for argument `arg` at the capture's end; NULL when every part is taken. */
static __always_inline struct rt_cap_part *cap_part(struct caprec *r, unsigned int arg)
{
	unsigned int n = r->cap.n;
	struct rt_cap_part *p;

	if (n >= RT_CAP_NEEDS * 2)
		return NULL;
	p = &r->cap.part[n & (RT_CAP_NEEDS * 2 - 1)];
	p->arg = (unsigned char)arg;
	p->state = DEC_OK;
	p->count = 0;
	p->off = (unsigned short)r->cap.used;
	p->len = 0;
	r->cap.n = n + 1;
	return p;
}

/* A NUL-terminated string of at most `bound` bytes at `src`, to the capture's end (without its NUL).
 * Sizes and offsets are 64-bit: the verifier then follows their bounds. */
static __always_inline void cap_str(struct caprec *r, unsigned int arg, u64 src, u64 bound)
{
	struct rt_cap_part *p = cap_part(r, arg);
	u64 used = r->cap.used, size;
	long got;

	if (!p)
		return;
	if (used >= RT_CAP_BYTES) {
		p->state = DEC_TRUNC;
		return;
	}
	size = RT_CAP_BYTES - used;
	if (size > bound)
		size = bound;
	size += 1; /* its NUL: a string that fills the room without one was cut */
	if (size > RT_CAP_BYTES + 1)
		return;
	got = bpf_probe_read_user_str(&r->buf[used & (RT_CAP_BYTES - 1)], size, (const void *)src);
	if (got <= 0) {
		p->state = DEC_FAULT;
		return;
	}
	p->state = (u64)got == size ? DEC_TRUNC : DEC_OK;
	p->len = (unsigned short)(got - 1);
	r->cap.used = (unsigned int)(used + (u64)got - 1);
}

/* `len` bytes at `src` (fewer when the capture is full: cut). */
static __always_inline void cap_bytes(struct caprec *r, unsigned int arg, u64 src, u64 len)
{
	struct rt_cap_part *p = cap_part(r, arg);
	u64 used = r->cap.used;

	if (!p || used >= RT_CAP_BYTES)
		return;
	if (len > RT_CAP_BYTES - used) {
		len = RT_CAP_BYTES - used;
		p->state = DEC_TRUNC;
	}
	if (!len || len > RT_CAP_BYTES)
		return;
	if (bpf_probe_read_user(&r->buf[used & (RT_CAP_BYTES - 1)], len, (const void *)src) != 0) {
		p->state = DEC_FAULT;
		return;
	}
	p->len = (unsigned short)len;
	r->cap.used = (unsigned int)(used + len);
}

/* execve's argv: a NULL-terminated array of string pointers, RT_CAP_ARGV strings at most, each in a
 * slot of its own (RT_CAP_SLOT bytes: a state byte 'o'/'t'/'f', the string and its NUL; user space packs
 * them as the decoder keeps them). Fixed slots keep the verifier's paths few: every iteration ends in
 * the same state. */
static __always_inline void cap_argv(struct caprec *r, unsigned int arg, u64 src)
{
	struct rt_cap_part *p = cap_part(r, arg);
	u64 start = r->cap.used & (RT_CAP_BYTES - 1), ptr;
	unsigned int k;

	if (!p)
		return;
	p->state = DEC_TRUNC;
	for (k = 0; k < RT_CAP_ARGV; k++) {
		unsigned char *slot = &r->buf[start + (u64)k * RT_CAP_SLOT];
		long got;

		if (bpf_probe_read_user(&ptr, sizeof(ptr), (const void *)(src + 8ull * k)) != 0) {
			p->state = DEC_FAULT;
			break;
		}
		if (!ptr) {
			p->state = DEC_OK;
			break;
		}
		got = bpf_probe_read_user_str(slot + 1, RT_CAP_ARG + 1, (const void *)ptr);
		slot[0] = got <= 0 ? 'f' : got == RT_CAP_ARG + 1 ? 't' : 'o';
		if (got <= 0)
			slot[1] = '\0';
	}
	p->count = (unsigned short)k;
	p->len = (unsigned short)(k * RT_CAP_SLOT);
	r->cap.used = (unsigned int)(start + k * RT_CAP_SLOT);
}

/* execve's envp: how many pointers before its NULL, RT_CAP_COUNT at most. Read 8 at a time (the
 * verifier follows every iteration: few, short ones), one at a time past a fault. */
#define COUNT_CHUNK 8
static __always_inline void cap_count(struct caprec *r, unsigned int arg, u64 src)
{
	struct rt_cap_part *p = cap_part(r, arg);
	u64 ptr[COUNT_CHUNK];
	unsigned int k, i;

	if (!p)
		return;
	p->state = DEC_TRUNC;
	for (k = 0; k < RT_CAP_COUNT / COUNT_CHUNK; k++) {
		if (bpf_probe_read_user(ptr, sizeof(ptr), (const void *)(src + 8ull * COUNT_CHUNK * k)) != 0)
			break;
#pragma unroll
		for (i = 0; i < COUNT_CHUNK; i++)
			if (!ptr[i])
				break;
		if (i < COUNT_CHUNK) {
			p->state = DEC_OK;
			p->count = (unsigned short)(k * COUNT_CHUNK + i);
			return;
		}
	}
	p->count = (unsigned short)(k * COUNT_CHUNK);
	if (k == RT_CAP_COUNT / COUNT_CHUNK)
		return;
	/* the chunk crossed into unmapped memory: its pointers one by one */
	p->state = DEC_FAULT;
#pragma unroll
	for (i = 0; i < COUNT_CHUNK; i++) {
		if (bpf_probe_read_user(&ptr[0], 8, (const void *)(src + 8ull * (p->count + i))) != 0)
			break;
		if (!ptr[0]) {
			p->state = DEC_OK;
			break;
		}
	}
	p->count += (unsigned short)i;
}

/* A string or bytes of plan need `d` (bytes: as many as its length's source says, up to its bound). */
static __always_inline void cap_one(struct inflight *in, const struct rt_cap_need *d, long ret)
{
	unsigned int arg = d->arg, len = d->len, from = d->len_from;
	u64 src;

	if (arg > 5 || !(src = in->args[arg]))
		return;
	if (d->how == DEC_STR) {
		cap_str(&in->rec, arg, src, len);
		return;
	}
	if (d->how != DEC_BYTES)
		return;
	if (from == DEC_LEN_RET && ret < (long)len)
		len = ret > 0 ? (unsigned int)ret : 0;
	else if (from >= DEC_LEN_ARG0 && from - DEC_LEN_ARG0 <= 5 && in->args[(from - DEC_LEN_ARG0) & 7] < len)
		len = (unsigned int)in->args[(from - DEC_LEN_ARG0) & 7];
	if (len)
		cap_bytes(&in->rec, arg, src, len);
}

/* What the plan says syscall `nr` needs at its entry. argv and envp (execve's) are read once each, after
 * the loop: inside it the verifier would follow their loops for every need. */
static __always_inline void capture_entry(struct inflight *in)
{
	u32 key = (u32)in->nr;
	struct rt_plan *pl = bpf_map_lookup_elem(&plan, &key);
	int argv = -1, count = -1;

	if (!pl || !pl->n)
		return;
	for (int k = 0; k < RT_CAP_NEEDS; k++) {
		struct rt_cap_need *d = &pl->need[k];
		unsigned int n0 = in->rec.cap.n;

		if (k >= pl->n)
			break;
		if (d->when != DEC_ENTRY)
			continue;
		if (d->how == DEC_ARGV || d->how == DEC_COUNT) {
			if (d->how == DEC_ARGV)
				argv = d->arg;
			else
				count = d->arg;
			continue;
		}
		cap_one(in, d, 0);
		/* raw tracepoints cannot fault pages in: a path not touched yet is read again at the exit,
		 * once the kernel has read it (unless an exec replaced the memory) */
		if (in->rec.cap.n > n0 && in->rec.cap.part[n0 & (RT_CAP_NEEDS * 2 - 1)].state == DEC_FAULT)
			in->retry |= 1u << k;
	}
	if (argv >= 0 && argv <= 5 && in->args[argv])
		cap_argv(&in->rec, argv, in->args[argv]);
	if (count >= 0 && count <= 5 && in->args[count])
		cap_count(&in->rec, count, in->args[count]);
}

/* What it needs at its exit (bytes it wrote: strings and bytes only), and what it could not read at entry. */
static __always_inline void capture_exit(struct inflight *in, long ret)
{
	u32 key = (u32)in->nr;
	struct rt_plan *pl = bpf_map_lookup_elem(&plan, &key);

	if (!pl || !pl->n)
		return;
	for (int k = 0; k < RT_CAP_NEEDS; k++) {
		struct rt_cap_need *d = &pl->need[k];

		if (k >= pl->n)
			break;
		if (d->when == DEC_EXIT || (in->retry & (1u << k)))
			cap_one(in, d, ret);
	}
}

/* The agent: whether the current comm is a trigger of kind `kind`. */
static __always_inline bool is_trigger(u32 kind)
{
	struct comm c = { 0 };
	u32 *k;

	bpf_get_current_comm(c.c, sizeof(c.c));
	k = bpf_map_lookup_elem(&triggers, &c);
	return k && *k == kind;
}

/* An exec about to be made by an OCI runtime's init that the agent did not see start: tracked from it. */
static __always_inline void trigger_before(u32 tgid)
{
	u32 how = RT_TRACK_HOLD | RT_TRACK_PARTIAL;

	if (is_trigger(RT_TRIG_BEFORE))
		bpf_map_update_elem(&tracked, &tgid, &how, BPF_NOEXIST);
}

SEC("raw_tracepoint/sys_enter")
int BPF_PROG(rt_sys_enter, struct pt_regs *regs, long id)
{
	struct inflight *in;
	u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!is_tracked(tgid)) {
		if (agent && (id == 59 /* execve */ || id == 322 /* execveat */))
			trigger_before(tgid);
		return 0;
	}
	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!in) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	in->t = bpf_ktime_get_ns();
	in->nr = (unsigned long long)id;
	in->args[0] = BPF_CORE_READ(regs, di);
	in->args[1] = BPF_CORE_READ(regs, si);
	in->args[2] = BPF_CORE_READ(regs, dx);
	in->args[3] = BPF_CORE_READ(regs, r10);
	in->args[4] = BPF_CORE_READ(regs, r8);
	in->args[5] = BPF_CORE_READ(regs, r9);
	in->live = 1;
	in->rec.cap.n = in->rec.cap.used = in->retry = 0;
	capture_entry(in);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int BPF_PROG(rt_sys_exit, struct pt_regs *regs, long ret)
{
	u64 pt = bpf_get_current_pid_tgid();
	u32 tid = (u32)pt;
	struct inflight *in;
	struct rt_ev *e;

	if (!is_tracked(pt >> 32))
		return 0;
	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!in || !in->live)
		return 0;
	in->live = 0;
	capture_exit(in, ret);
	if (in->rec.cap.n) { /* the record with its capture, copied out (a reservation's size is constant) */
		unsigned int used = in->rec.cap.used;

		e = &in->rec.ev;
		__builtin_memset(e, 0, sizeof(*e));
		e->kind = RT_EV_SYSCALL;
		e->pid = (int)(pt >> 32);
		e->tid = (int)tid;
		syscall_rec(e, in, bpf_ktime_get_ns(), ret);
		if (used > CAP_ROOM - 8)
			return 0;
		if (bpf_ringbuf_output(&events, &in->rec, offsetof(struct caprec, buf) + used, flags_now()) != 0)
			__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	e = reserve(RT_EV_SYSCALL, pt >> 32, tid);
	if (e) {
		syscall_rec(e, in, bpf_ktime_get_ns(), ret);
		submit(e, false);
	}
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int BPF_PROG(rt_fork, struct task_struct *parent, struct task_struct *child)
{
	u32 ptgid = BPF_CORE_READ(parent, tgid), ctid = BPF_CORE_READ(child, pid), ctgid = BPF_CORE_READ(child, tgid);
	bool thread = ctid != ctgid;
	struct rt_ev *e;
	u32 hold = RT_TRACK_HOLD;

	if (!is_tracked(ptgid))
		return 0;
	if (!thread) {
		if (!follow_forks)
			return 0;
		bpf_map_update_elem(&tracked, &ctgid, &hold, BPF_ANY);
	}
	e = reserve(RT_EV_CLONE, ptgid, BPF_CORE_READ(parent, pid));
	if (e) {
		e->t = bpf_ktime_get_ns();
		e->nr = ctid;
		e->ret = thread ? RT_CLONE_THREAD : RT_CLONE_FORK;
		submit(e, false);
	}
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int BPF_PROG(rt_exec, struct task_struct *p, pid_t old_pid)
{
	u64 pt = bpf_get_current_pid_tgid();
	u32 tgid = pt >> 32, tid = (u32)pt, old = (u32)old_pid, hold = RT_TRACK_HOLD;
	struct rt_ev *e;
	u32 *how = bpf_map_lookup_elem(&tracked, &tgid);
	u32 root = 0;
	bool held;

	if (!how) {
		/* the agent: a trigger's exec starts a tree (held like any other exec) */
		if (!agent || !is_trigger(RT_TRIG_EXEC) || bpf_map_update_elem(&tracked, &tgid, &hold, BPF_NOEXIST) != 0)
			return 0;
		root = RT_ROOT_NEW;
		held = true;
	} else {
		held = !(*how & RT_TRACK_PREATTACHED);
		if (*how & RT_TRACK_PARTIAL)
			root = RT_ROOT_PARTIAL;
	}
	{ /* its memory is another now: nothing of the exec's arguments is read again at its exit */
		struct inflight *in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);

		if (in)
			in->retry = 0;
	}
	if (!held || root == RT_ROOT_PARTIAL) /* once: a later exec is of another image, in the same tree */
		bpf_map_update_elem(&tracked, &tgid, &hold, BPF_ANY);
	/* Held before the first instruction of the new image: the signal is acted on at the return to
	 * user mode, and user space continues the process once the image's uprobes are in place. */
	if (held)
		bpf_send_signal(SIGSTOP);
	e = reserve(RT_EV_EXEC, tgid, tid);
	if (e) {
		e->t = bpf_ktime_get_ns();
		sched_now(e, e->t);
		e->nr = old;
		e->has_ret = held;
		e->args[3] = root;
		/* a held process waits for us; one that is not is read at the next wakeup (a held probe,
		 * its exit), from the file attached before its exec when it is gone by then */
		submit(e, held);
	}
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int BPF_PROG(rt_exit, struct task_struct *p)
{
	u64 pt = bpf_get_current_pid_tgid();
	u32 tgid = pt >> 32, tid = (u32)pt;
	unsigned long long now;
	struct rt_ev *e;

	if (!is_tracked(tgid))
		return 0;
	now = bpf_ktime_get_ns();
	flush_inflight(tgid, tid, now);
	/* signal->live reached 0 in do_exit before this tracepoint: the last thread of the process */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	e = reserve(RT_EV_EXIT, tgid, tid);
	if (e) {
		e->t = now;
		e->nr = (unsigned long long)BPF_CORE_READ(p, exit_code);
		submit(e, true);
	}
	bpf_map_delete_elem(&tracked, &tgid);
	return 0;
}

/* Signals as they are sent to a tracked thread (at delivery, a fatal one would already show as the
 * SIGKILL that takes the group down). Ignored and blocked-and-dropped ones are left out. */
SEC("raw_tracepoint/signal_generate")
int BPF_PROG(rt_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	u32 tgid = BPF_CORE_READ(task, tgid);
	struct rt_ev *e;

	if (result != 0 || sig == SIGSTOP || sig == SIGCONT || !is_tracked(tgid))
		return 0;
	e = reserve(RT_EV_SIGNAL, tgid, BPF_CORE_READ(task, pid));
	if (e) {
		e->t = bpf_ktime_get_ns();
		e->nr = (unsigned long long)sig;
		/* SEND_SIG_NOINFO / SEND_SIG_PRIV are 0 and 1, not pointers: the reads then give 0 */
		if ((unsigned long)info > 1) {
			e->ret = BPF_CORE_READ(info, si_code);
			e->args[0] = (unsigned long long)BPF_CORE_READ(info, _sifields._sigfault._addr);
		} else {
			e->ret = (unsigned long)info ? 0x80 /* SI_KERNEL */ : 0 /* SI_USER */;
		}
		submit(e, false);
	}
	return 0;
}

static __always_inline int probe_hit(struct pt_regs *ctx)
{
	u64 pt = bpf_get_current_pid_tgid();
	u64 cookie = bpf_get_attach_cookie(ctx);
	struct rt_ev *e, *h;

	if (!is_tracked(pt >> 32))
		return 0;
	if (cookie & RT_PROBE_HOLD)
		bpf_send_signal(SIGSTOP);
	e = reserve(RT_EV_PROBE, pt >> 32, (u32)pt);
	h = (cookie & RT_PROBE_HOLD) ? bpf_ringbuf_reserve(&holds, sizeof(*h), 0) : NULL;
	if (e) {
		e->t = bpf_ktime_get_ns();
		sched_now(e, e->t);
		e->nr = cookie;
		submit(e, (cookie & RT_PROBE_HOLD) && !h);
	}
	if (h) { /* (with or without its event: a held process is let go either way) */
		__builtin_memset(h, 0, sizeof(*h));
		h->kind = RT_EV_PROBE;
		h->pid = (int)(pt >> 32);
		h->tid = (int)(u32)pt;
		h->t = bpf_ktime_get_ns();
		h->nr = cookie;
		bpf_ringbuf_submit(h, BPF_RB_FORCE_WAKEUP);
	}
	return 0;
}

/* The same program twice: user space loads rt_probe_multi as a uprobe_multi program (one link for
 * every entry of an image, Linux >= 6.6) and falls back to one rt_probe link per entry. */
SEC("uprobe")
int BPF_KPROBE(rt_probe)
{
	return probe_hit(ctx);
}

SEC("uprobe")
int BPF_KPROBE(rt_probe_multi)
{
	return probe_hit(ctx);
}
