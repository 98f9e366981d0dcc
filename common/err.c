#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rt_errf(struct rt_err *e, int exit, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->exit = exit;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int rt_err_prefix(struct rt_err *e, const char *fmt, ...)
{
	char ctx[512], old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation keeps the start of the message, which names the object. */
	if (snprintf(e->msg, sizeof(e->msg), "%s: %.*s", ctx, (int)(sizeof(e->msg) / 2), old) < 0)
		e->msg[0] = '\0';
	return -1;
}

int rt_err_report(const struct rt_err *e)
{
	fprintf(stderr, "rt0trace: %s\n", e->msg);
	return e->exit ? e->exit : RT_EXIT_INPUT;
}
