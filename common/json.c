#include "common/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *json_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

const char *json_get_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int64_t json_get_int(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

uint64_t json_get_hex(const json_t *o, const char *key)
{
	const char *s = json_get_str(o, key);

	return s ? strtoull(s, NULL, 16) : 0;
}

bool json_type_is(const json_t *o, const char *type)
{
	const char *t = json_get_str(o, "type");

	return t && strcmp(t, type) == 0;
}

json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *json_strv(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}
