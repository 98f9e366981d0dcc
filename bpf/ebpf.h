/*
 * bpf/ebpf.h: the records bpf/ebpf.bpf.c puts in its ring buffer and tracer/ebpf.c turns into trace
 * events (docs/formats.md "Trace file"). Shared by both sides, so only fixed-size integer fields. Times are
 * bpf_ktime_get_ns(): CLOCK_MONOTONIC, the clock the trace uses.
 */
#ifndef RT0_BPF_EBPF_H
#define RT0_BPF_EBPF_H

enum rt_ev_kind {
	RT_EV_SYSCALL = 1, /* a syscall, entry and exit paired in the kernel */
	RT_EV_PROBE,       /* a uprobe at a planned function entry (cookie = plan index | flags) */
	RT_EV_CLONE,       /* a new thread or process in a tracked process */
	RT_EV_EXEC,        /* a tracked process exec'd: it is held (SIGSTOP) until user space continues it */
	RT_EV_EXIT,        /* a tracked process's last thread exited */
	RT_EV_SIGNAL,      /* a signal delivered to a tracked thread */
};

/* Cookie flags of a uprobe: the low 32 bits are the probe's index in the plan. */
#define RT_PROBE_HOLD (1ull << 32) /* stop the process (SIGSTOP) here: the main.main layout snapshot */

/* Values of the tracked map: how the process's next exec is treated. */
#define RT_TRACK_HOLD 1         /* stop it (SIGSTOP) until user space has attached the new image */
#define RT_TRACK_PREATTACHED 2  /* its probes were attached before the exec: no hold (once) */
/* `rt0trace agent` (agent = true): a process that is not tracked starts a tree of its own when its exec
 * matches the `triggers` map (key: a comm, 16 bytes, NUL-padded). RT_TRIG_EXEC: the comm after the exec
 * (the new program's name: "podman", "runc"); RT_TRIG_BEFORE: the comm before it, seen at the entry of
 * execve/execveat (an OCI runtime's init, "runc:[2:INIT]", exec'ing a container's entrypoint that was
 * created before the agent started: a start not observed from its beginning). The tracked value then
 * carries RT_TRACK_PARTIAL until that exec. The EXEC record of a tree's first process says which in
 * args[3] (RT_ROOT_*), 0 for any other exec. */
#define RT_TRACK_PARTIAL 4
#define RT_TRIG_EXEC 1
#define RT_TRIG_BEFORE 2
#define RT_ROOT_NEW 1
#define RT_ROOT_PARTIAL 2
#define RT_COMM_LEN 16

/* PROBE and EXEC records carry the thread's scheduler account then (tracer/trace.h struct rt_sched):
 * args[0] its CPU time, args[1] its runqueue wait (sched_info.run_delay), args[2] how the CPU time
 * was had: RT_SCHED_EXACT from its last switch-in (se.sum_exec_runtime then, plus the time on the CPU
 * since), RT_SCHED_TICK se.sum_exec_runtime alone (as of the last scheduler tick: a thread not seen
 * switched in since it was tracked), 0 none. */
#define RT_SCHED_EXACT 1
#define RT_SCHED_TICK 2

#define RT_CLONE_THREAD 0
#define RT_CLONE_FORK 1

struct rt_ev {
	unsigned int kind;
	int pid, tid;
	int has_ret;              /* SYSCALL: 0 when the thread exited (or exec'd away) inside it;
				   * EXEC: 1 when the process is held */
	unsigned long long t;     /* SYSCALL: entry time; others: when it happened */
	unsigned long long dur;   /* SYSCALL: exit - entry */
	unsigned long long nr;    /* SYSCALL: number; PROBE: cookie; CLONE: child tid; EXEC: former tid;
				   * EXIT: exit_code (wait status encoding); SIGNAL: signo */
	long long ret;            /* SYSCALL: return value; CLONE: RT_CLONE_*; SIGNAL: si_code */
	unsigned long long args[6];
};

/* ---- what a syscall's arguments point at (tracer/decode.h: the plan, and the capture) ------------------
 * User space fills the `plan` array map, indexed by syscall number, from the decoder's table
 * (rt_dec_plan_static): what to read at entry and at exit, how, and up to how much. A syscall whose
 * entry is empty (all of them with --raw) costs one array lookup. A SYSCALL record that read something
 * is followed by a struct rt_ev_cap and its bytes (the record's size says so); the others are a bare
 * struct rt_ev. */
#define RT_CAP_NEEDS 4        /* RT_DEC_MAX_NEEDS */
#define RT_CAP_BYTES 4096     /* RT_DEC_CAP_BYTES: all of one syscall's bytes */
#define RT_CAP_ARGV 32        /* RT_DEC_ARGV_MAX: argv strings kept */
#define RT_CAP_ARG 256        /* >= RT_DEC_ARG_MAX: the bound of one of them in the kernel (user space cuts to the decoder's) */
#define RT_CAP_SLOT (RT_CAP_ARG + 2) /* argv in the record: a slot per string (its state byte, it, a NUL) */
#define RT_CAP_COUNT 1024     /* envp pointers counted at most (the decoder's 4096: the verifier's limits) */
#define RT_PLAN_SYSCALLS 512

/* How and what (enum rt_dec_how, rt_dec_when); len_from: RT_DEC_LEN_* (the length is the smaller of
 * `len` and that argument, or the result). */
struct rt_cap_need {
	unsigned char arg, when, how, len_from;
	unsigned int len;
};

struct rt_plan {
	struct rt_cap_need need[RT_CAP_NEEDS];
	unsigned int n;
};

/* One argument read: its bytes at `off` in the bytes after struct rt_ev_cap (as struct rt_dec_cap keeps
 * them: a string without its NUL; argv in `count` slots of RT_CAP_SLOT bytes, each a state byte
 * 'o'/'t'/'f' and a NUL-terminated string), state RT_DEC_OK/_TRUNC/_FAULT. */
struct rt_cap_part {
	unsigned char arg, state;
	unsigned short count, off, len;
};

struct rt_ev_cap {
	unsigned int n, used;
	struct rt_cap_part part[RT_CAP_NEEDS * 2];
};

#endif
