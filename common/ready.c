/* The readiness point's syntax (common/ready.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/ready.h"

#define FD_PREFIX "fd-write:"

int rt_ready_parse(const char *spec, struct rt_ready *out, struct rt_err *err)
{
	static const char forms[] = "main, listen, accept, fd-write:N or a SYMBOL";
	size_t n = spec ? strlen(spec) : 0;

	*out = (struct rt_ready){ RT_READY_MAIN, -1, NULL };
	if (!spec || !n)
		return rt_errf(err, RT_EXIT_USAGE, "empty readiness point (%s)", forms);
	if (strcmp(spec, "main") == 0)
		return 0;
	if (strcmp(spec, "listen") == 0) {
		out->kind = RT_READY_LISTEN;
		return 0;
	}
	if (strcmp(spec, "accept") == 0) {
		out->kind = RT_READY_ACCEPT;
		return 0;
	}
	if (strncmp(spec, FD_PREFIX, strlen(FD_PREFIX)) == 0) {
		const char *num = spec + strlen(FD_PREFIX);
		char *end;
		long v;

		errno = 0;
		v = strtol(num, &end, 10);
		if (!*num || *end || errno || v < 0 || v > INT_MAX || *num == '+' || *num == '-' || *num == ' ')
			return rt_errf(err, RT_EXIT_USAGE, "bad readiness point '%s': fd-write needs a file descriptor "
							   "number 0..%d after the colon", spec, INT_MAX);
		out->kind = RT_READY_FD_WRITE;
		out->fd = (int)v;
		return 0;
	}
	if (n > RT_READY_MAX)
		return rt_errf(err, RT_EXIT_USAGE, "bad readiness point: a symbol of %zu bytes (at most %d)", n,
			       RT_READY_MAX);
	for (const char *c = spec; *c; c++)
		if (*c <= ' ' || *c > '~')
			return rt_errf(err, RT_EXIT_USAGE, "bad readiness point '%.64s': a symbol has no spaces or "
							   "control characters (%s)", spec, forms);
	if (spec[0] == '-')
		return rt_errf(err, RT_EXIT_USAGE, "bad readiness point '%s': not an option, expected %s", spec, forms);
	out->kind = RT_READY_SYMBOL;
	out->symbol = spec;
	return 0;
}

bool rt_ready_syscall(const struct rt_ready *r, const char *name, int64_t ret, uint64_t arg0)
{
	if (!name || ret < 0)
		return false;
	switch (r->kind) {
	case RT_READY_LISTEN:
		return strcmp(name, "listen") == 0 && ret == 0;
	case RT_READY_ACCEPT:
		return strcmp(name, "accept") == 0 || strcmp(name, "accept4") == 0;
	case RT_READY_FD_WRITE:
		return (strcmp(name, "write") == 0 || strcmp(name, "writev") == 0 || strcmp(name, "pwrite64") == 0) &&
		       arg0 == (uint64_t)r->fd;
	case RT_READY_MAIN:
	case RT_READY_SYMBOL:
		break;
	}
	return false;
}
