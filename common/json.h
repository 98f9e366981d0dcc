/* Small jansson helpers shared by every JSON writer (inspect, manifest, trace, reports). */
#ifndef RT0_COMMON_JSON_H
#define RT0_COMMON_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "common/strv.h"

/* Addresses are hex strings ("0x401000") in every rt0trace format. */
json_t *json_hex(uint64_t v);
/* A string, or JSON null for NULL. */
json_t *json_str_or_null(const char *s);
/* A JSON array of the vector's strings. */
json_t *json_strv(const struct strv *sv);

#endif
