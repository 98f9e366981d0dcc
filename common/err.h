/*
 * The one error convention of rt0trace.
 *
 * A function that can fail returns 0 on success and -1 on failure, after filling the caller's
 * `struct rt_err` with the exit class (docs/formats.md "Exit codes") and one lower-case message of the
 * form "what failed: why", naming objects in quotes:  cannot open 'x': No such file or directory.
 * The message never carries the "rt0trace: " prefix; the command line adds it when printing.
 * A NULL `struct rt_err *` is allowed and discards the message.
 */
#ifndef RT0_COMMON_ERR_H
#define RT0_COMMON_ERR_H

#include <stddef.h>

enum rt_exit {
	RT_EXIT_OK = 0,
	RT_EXIT_CHECK = 1, /* a check or regression failed */
	RT_EXIT_USAGE = 2, /* bad command line */
	RT_EXIT_INPUT = 3, /* input unusable: not ELF, unreadable, bad trace */
	RT_EXIT_ENV = 4,   /* environment missing: no GOROOT, eBPF unavailable, no permission */
	RT_EXIT_BUILD = 5, /* the Go build failed */
	RT_EXIT_EXPORT = 6, /* the OTLP export failed: the collector could not be reached or refused the trace */
};

struct rt_err {
	int exit;       /* an enum rt_exit value; RT_EXIT_OK while no error was set */
	char msg[1024];
};

/* Sets `e` and returns -1, so a failing path can `return rt_errf(e, RT_EXIT_INPUT, "...", ...);`. */
int rt_errf(struct rt_err *e, int exit, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends "<context>: " to an error already set (e.g. the file being read). Returns -1. */
int rt_err_prefix(struct rt_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "rt0trace: <msg>" on stderr and returns e->exit, for `return rt_err_report(&e);` in main. */
int rt_err_report(const struct rt_err *e);

#endif
