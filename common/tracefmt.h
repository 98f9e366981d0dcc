/*
 * common/tracefmt: the trace format's constants (docs/formats.md "Trace file"), the one place both the
 * writers (tracer/trace) and the reader (report/reader) take them from: the format's name and version,
 * the event types, and the longest span a trace may cover.
 */
#ifndef RT0_COMMON_TRACEFMT_H
#define RT0_COMMON_TRACEFMT_H

#include <stddef.h>
#include <string.h>

#define RT_TRACE_FORMAT "rt0trace-trace"
#define RT_TRACE_VERSION 1

/* The longest span a trace may cover from its t0 (2^56 ns, about 2.3 years): times beyond are nonsense. */
#define RT_TRACE_MAX_NS (1ull << 56)

/* Every event type of docs/formats.md, header and footer included. RT_ET_OTHER is a type this rt0trace
 * does not know (a newer writer's): readers keep such events and ignore them. */
enum rt_et {
	RT_ET_OTHER,
	RT_ET_HEADER,
	RT_ET_FOOTER,
	RT_ET_EXEC,
	RT_ET_ATTACH,
	RT_ET_SYSCALL,
	RT_ET_PROBE,
	RT_ET_CLONE,
	RT_ET_SIGNAL,
	RT_ET_MAPS,
	RT_ET_EXIT,
	RT_ET_CRASH,
	RT_ET_STDERR,
	RT_ET_MARK,
	RT_ET_CONTAINER,
	RT_ET_NTYPES
};

/* The "type" string of each enum rt_et (RT_ET_OTHER: NULL). */
static const char *const rt_et_names[RT_ET_NTYPES] = {
	[RT_ET_OTHER] = NULL,       [RT_ET_HEADER] = "header", [RT_ET_FOOTER] = "footer",
	[RT_ET_EXEC] = "exec",      [RT_ET_ATTACH] = "attach", [RT_ET_SYSCALL] = "syscall",
	[RT_ET_PROBE] = "probe",    [RT_ET_CLONE] = "clone",   [RT_ET_SIGNAL] = "signal",
	[RT_ET_MAPS] = "maps",      [RT_ET_EXIT] = "exit",     [RT_ET_CRASH] = "crash",
	[RT_ET_STDERR] = "stderr",  [RT_ET_MARK] = "mark",     [RT_ET_CONTAINER] = "container",
};

/* The type named by the first `len` bytes of `s`; RT_ET_OTHER for any other name. */
static inline enum rt_et rt_et_of(const char *s, size_t len)
{
	for (int k = 1; k < RT_ET_NTYPES; k++)
		if (strlen(rt_et_names[k]) == len && memcmp(rt_et_names[k], s, len) == 0)
			return (enum rt_et)k;
	return RT_ET_OTHER;
}

#endif
