/* W3C trace context (https://www.w3.org/TR/trace-context/): the TRACEPARENT value a CI system or a
 * launcher puts in a program's environment, "00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>".
 * `rt0trace run` records it in the trace's header ("traceparent"); the OTLP export makes the startup a
 * child of that span (report/otlp.h). */
#ifndef RT0_COMMON_TRACEPARENT_H
#define RT0_COMMON_TRACEPARENT_H

#include <stdbool.h>

struct rt_traceparent {
	char trace_id[33]; /* 32 lower-case hex digits, not all zero */
	char span_id[17];  /* 16 lower-case hex digits, not all zero */
	char flags[3];     /* 2 hex digits */
};

/* Parses `s` as the spec's traceparent header: version 00 exactly 55 characters; a later version (not
 * "ff") at least 55, with a '-' after the flags when longer (its extra fields ignored, as the spec says).
 * Lower-case hex only; an all-zero trace or span id is invalid. False when `s` is not one (tp
 * untouched). */
bool rt_traceparent_parse(const char *s, struct rt_traceparent *tp);

#endif
