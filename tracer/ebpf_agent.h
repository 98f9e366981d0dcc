/*
 * tracer/ebpf_agent: the eBPF engine as `rt0trace agent` drives it (tracer/agent.c). Nothing is started:
 * the kernel side watches every exec on the machine, and an exec whose comm is a trigger (bpf/ebpf.h
 * RT_TRIG_*) starts a tree of processes that is followed like `run -f` follows its program: forks, execs
 * (held until their uprobes are in), syscalls decoded, signals, exits. Each tree's records go to the run
 * (struct rt_run: its own trace) the agent gives for it; the agent learns what it needs to judge the
 * start (which exec is a container's entrypoint, main, readiness, exits) through hooks called as the
 * records are written, and lets a tree go when it is done with it.
 *
 * Ownership: rt_ebpf_agent_open() makes the engine; rt_ebpf_agent_close() frees it. The runs are the
 * agent's: a run must be forgotten (rt_ebpf_agent_forget) before it is freed.
 */
#ifndef RT0_TRACER_EBPF_AGENT_H
#define RT0_TRACER_EBPF_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "tracer/engine.h"

struct rt_ebpf;
struct rt_run;
struct rt_probe;

struct rt_ebpf_hooks {
	void *ctx;
	/* The exec that starts a tree (its comm is a trigger): the run its records go to, or NULL to leave
	 * the process alone. partial: the tree was started before the agent saw it (an OCI runtime's init
	 * exec'ing a container made before). The process is held (stopped) while this runs. */
	struct rt_run *(*root)(void *ctx, pid_t pid, uint64_t t, bool partial);
	/* An exec in a tree (its image at `path`, as /proc/PID/exe resolves), its event queued; the process
	 * is still held, so /proc/PID is the new image's (its namespaces, its cgroup). */
	void (*exec)(void *ctx, struct rt_run *run, pid_t pid, uint64_t t, const char *path);
	/* A probe's first hit in a process of a tree. */
	void (*probe)(void *ctx, struct rt_run *run, pid_t pid, uint64_t t, const struct rt_probe *pr);
	/* A syscall of a tree written: its number, return value (ret_known false when the thread left inside
	 * it), first argument, end time. */
	void (*syscall)(void *ctx, struct rt_run *run, pid_t pid, uint64_t nr, bool ret_known, int64_t ret, uint64_t arg0,
			uint64_t end);
	/* A process of a tree ended (its last thread). */
	void (*exit)(void *ctx, struct rt_run *run, pid_t pid);
};

/* Loads and attaches the kernel side with the triggers (comm names, NULL-terminated; at most 15 bytes
 * each): `at_exec` match the new program's comm, `before_exec` the comm of the process that execs. `o`
 * (which must outlive the engine) gives raw, init_functions and syscalls. Errors as rt_ebpf_run's. */
int rt_ebpf_agent_open(struct rt_ebpf **out, const struct rt_run_opts *o, const char *const *at_exec,
		       const char *const *before_exec, const struct rt_ebpf_hooks *h, struct rt_err *err);
/* A descriptor readable when records wait (for epoll/poll). */
int rt_ebpf_agent_fd(const struct rt_ebpf *t);
/* Reads what the ring buffer holds, writes it and calls the hooks; held processes are continued. */
void rt_ebpf_agent_poll(struct rt_ebpf *t);
/* Whether a process of run's tree is still alive (its exit record not seen, and it exists). */
bool rt_ebpf_agent_any_alive(struct rt_ebpf *t, const struct rt_run *run);
/* Stops following run's tree: its processes are no longer tracked (they go on), their uprobes go, and
 * nothing more is written to the run. */
void rt_ebpf_agent_forget(struct rt_ebpf *t, struct rt_run *run);
/* Records the kernel could not hand over (a full ring buffer) since the start. */
uint64_t rt_ebpf_agent_lost(const struct rt_ebpf *t);
/* Lets every tree go (continued) and frees the engine. NULL is fine. */
void rt_ebpf_agent_close(struct rt_ebpf *t);

#endif
