/*
 * report/otlp: one startup as an OpenTelemetry trace (docs/formats.md "OTLP"), and its export to a collector.
 *
 *  - rt_otlp_json(): the report as OTLP/JSON, an ExportTraceServiceRequest
 *    {"resourceSpans":[{"resource","scopeSpans":[{"scope","spans":[...]}]}]}: a root span for the startup
 *    (t0 to the trace's end), a span per process when the trace has several, a span per phase under its
 *    process (or the root), the checks as the root's events. Its IDs are derived from the trace (the same
 *    trace gives the same output) unless the header's "traceparent" links it to a parent span.
 *  - rt_otlp_send(): POSTs that JSON (Content-Type application/json) to an OTLP/HTTP traces endpoint
 *    over libcurl, with bounded retries; fails with RT_EXIT_EXPORT and one message.
 *  - rt_otlp_endpoint(): the endpoint as --otlp-endpoint or the OpenTelemetry SDKs' variables give it.
 *
 * `rt0trace report --format otlp` and `--otlp-endpoint` use them; so does anything else that has a report
 * (rt0trace agent). Nothing here modifies the trace.
 */
#ifndef RT0_REPORT_OTLP_H
#define RT0_REPORT_OTLP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"
#include "report/report.h"

struct rt_otlp_opts {
	const char *endpoint;     /* the URL POSTed to (rt_otlp_send), as is: rt_otlp_endpoint's */
	const char *service_name; /* the resource's service.name; NULL: $OTEL_SERVICE_NAME, else the traced
				   * program's base name */
	const char *headers;      /* extra HTTP headers as OTEL_EXPORTER_OTLP_HEADERS writes them
				   * ("k1=v1,k2=v2", values percent-encoded); NULL: none */
	int tries;                /* attempts in all (0: 3) */
	long timeout_ms;          /* one attempt's limit (0: 10000) */
	long backoff_ms;          /* the wait before the second attempt, doubled for each next (0: 500) */
};

/* The report as an ExportTraceServiceRequest (new reference). `o` may be NULL (only service_name is
 * read). */
json_t *rt_otlp_json(const struct rt_report *r, const struct rt_otlp_opts *o);

/* Sends rt_otlp_json(r, o) to o->endpoint. A connection failure or timeout, and HTTP 429, 502, 503 and
 * 504, are tried again (o->tries in all, waiting o->backoff_ms, then twice that, ...); any other non-2xx
 * answer is not. Returns 0, or -1 with RT_EXIT_EXPORT and one message naming the endpoint, the last
 * failure (the collector's own message for a 4xx, from its Status body when it sends one) and the
 * number of attempts. A 2xx whose body reports rejected spans (partialSuccess) is a warning on stderr. */
int rt_otlp_send(const struct rt_report *r, const struct rt_otlp_opts *o, struct rt_err *err);

/* The OTLP/HTTP traces endpoint: `flag` (--otlp-endpoint) when non-NULL, /v1/traces appended when its URL
 * has no path; else $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is; else $OTEL_EXPORTER_OTLP_ENDPOINT with
 * /v1/traces appended (as the OpenTelemetry SDKs read them), unless $OTEL_TRACES_EXPORTER is "none". *url is NULL (and 0 returned) when none is
 * set. -1 when the one chosen is not an http:// or https:// URL: RT_EXIT_USAGE for the flag,
 * RT_EXIT_ENV for a variable. Caller frees *url. */
int rt_otlp_endpoint(const char *flag, char **url, struct rt_err *err);

/* The extra headers: $OTEL_EXPORTER_OTLP_TRACES_HEADERS, else $OTEL_EXPORTER_OTLP_HEADERS, else NULL. */
const char *rt_otlp_env_headers(void);

/* The renderer `report --format otlp` (rt_otlp_json, service.name from the environment). */
int rt_render_otlp(const struct rt_report *r, FILE *out);

#endif
