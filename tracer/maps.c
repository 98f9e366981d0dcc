/* tracer/maps: /proc/PID/maps lines (see maps.h). */
#include "tracer/maps.h"

#include <stdio.h>
#include <string.h>

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
