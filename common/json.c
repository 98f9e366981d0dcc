#include "common/json.h"

#include <stdio.h>

json_t *json_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
