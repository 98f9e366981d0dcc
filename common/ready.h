/*
 * A readiness point (`report --ready SPEC`, `run --ready SPEC`, the trace header's "ready"): where a
 * program counts as ready, for the critical path's "main → ready" step (docs/formats.md "ready").
 *
 *   main          main.main (C: main) was entered: the default, the path as it always was
 *   listen        the first listen() that succeeded
 *   accept        the first accept() or accept4() that returned a socket
 *   fd-write:N    the first write(), writev() or pwrite64() to fd N that succeeded (N 0..2147483647)
 *   SYMBOL        the first hit of a probe on SYMBOL (a probe event whose "symbol" is SYMBOL)
 *
 * A SYMBOL is printable ASCII with no space, not starting with '-', at most RT_READY_MAX bytes; a spec
 * starting with "fd-write:" is always the fd form.
 */
#ifndef RT0_COMMON_READY_H
#define RT0_COMMON_READY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define RT_READY_MAX 256

enum rt_ready_kind { RT_READY_MAIN, RT_READY_LISTEN, RT_READY_ACCEPT, RT_READY_FD_WRITE, RT_READY_SYMBOL };

struct rt_ready {
	enum rt_ready_kind kind;
	int fd;                 /* RT_READY_FD_WRITE */
	const char *symbol;     /* RT_READY_SYMBOL: the spec itself (borrowed) */
};

/* Parses `spec` into `out`; -1 with RT_EXIT_USAGE and one message naming the bad spec otherwise. */
int rt_ready_parse(const char *spec, struct rt_ready *out, struct rt_err *err);
/* Whether a syscall `name` that returned `ret` with first argument `arg0` is the point `r` asks for: a
 * listen that returned 0, an accept or accept4 that returned a socket, a write, writev or pwrite64 to
 * fd N that did not fail. False for main and SYMBOL, which are no syscall. The report and the agent
 * judge with it. */
bool rt_ready_syscall(const struct rt_ready *r, const char *name, int64_t ret, uint64_t arg0);

#endif
