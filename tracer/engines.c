/* tracer/engines: the engine table behind every --engine option. */
#include <stdio.h>
#include <string.h>

#include "tracer/engine.h"

static const struct rt_engine engines[] = {
	{ "ptrace", rt_ptrace_run },
	{ "ebpf", rt_ebpf_run },
	{ "preload", rt_preload_run },
};

const struct rt_engine *rt_engine_find(const char *name)
{
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strcmp(engines[i].name, name) == 0)
			return &engines[i];
	return NULL;
}

const char *rt_engine_names(void)
{
	static char names[64];

	if (!names[0])
		for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "", engines[i].name);
	return names;
}
