/* Small jansson helpers shared by every JSON writer (inspect, manifest, trace, reports). */
#ifndef RT0_COMMON_JSON_H
#define RT0_COMMON_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/strv.h"

/* Addresses are hex strings ("0x401000") in every rt0trace format. */
json_t *json_hex(uint64_t v);
/* A string, or JSON null for NULL. */
json_t *json_str_or_null(const char *s);
/* Members of a parsed object (a trace event, a header): the value, or NULL / 0 when the member is
 * absent or of another type. json_get_hex reads rt0trace's "0x..." address strings. */
const char *json_get_str(const json_t *o, const char *key);
int64_t json_get_int(const json_t *o, const char *key);
uint64_t json_get_hex(const json_t *o, const char *key);
/* o["type"] equals `type` (trace lines). */
bool json_type_is(const json_t *o, const char *type);
/* A JSON array of the vector's strings. */
json_t *json_strv(const struct strv *sv);
/* `s` as a JSON string literal, quotes included, written straight to `f` (the writers that print a line
 * without building a JSON object: the trace's syscall lines, the Perfetto renderer). Valid UTF-8 is kept;
 * a byte that is not part of a valid UTF-8 sequence becomes U+FFFD, so the line stays valid JSON. */
void json_put_str(FILE *f, const char *s);

#endif
