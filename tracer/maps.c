/* tracer/maps: /proc/PID/maps lines (see maps.h). */
#include "tracer/maps.h"

#include <stdio.h>
#include <jansson.h>
#include <string.h>

#include "common/json.h"
#include "tracer/trace.h"

int rt_maps_read(pid_t pid, void (*fn)(const struct rt_map *m, void *arg), void *arg)
{
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		char dev[16];
		struct rt_map m;
		int n = 0;
		char *name;

		if (sscanf(line, "%llx-%llx %7s %llx %15s %lu %n", &start, &end, m.perms, &off, dev, &m.inode, &n) < 6)
			continue;
		name = line + n;
		name[strcspn(name, "\n")] = '\0';
		m.start = start;
		m.end = end;
		m.offset = off;
		m.path = name;
		fn(&m, arg);
	}
	fclose(f);
	return 0;
}

static void map_entry(const struct rt_map *mp, void *arg)
{
	json_t *m = json_object();

	json_object_set_new(m, "start", json_hex(mp->start));
	json_object_set_new(m, "end", json_hex(mp->end));
	json_object_set_new(m, "perms", json_string(mp->perms));
	json_object_set_new(m, "offset", json_hex(mp->offset));
	json_object_set_new(m, "inode", json_integer((json_int_t)mp->inode));
	json_object_set_new(m, "path", json_string(mp->path));
	json_array_append_new(arg, m);
}

json_t *rt_maps_event(pid_t pid, const char *at, uint64_t t)
{
	json_t *e, *entries = json_array();

	if (rt_maps_read(pid, map_entry, entries) != 0) {
		json_decref(entries);
		return NULL;
	}
	e = rt_event_new("maps", t, pid, 0);
	json_object_set_new(e, "at", json_string(at));
	json_object_set_new(e, "entries", entries);
	return e;
}
