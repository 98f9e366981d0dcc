/* tracer/maps: /proc/PID/maps lines (see maps.h). */
#include "tracer/maps.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "tracer/trace.h"

/* One /proc/PID/maps line (its newline already cut) into *m; false when it is not one. */
static bool parse_line(char *line, struct rt_map *m)
{
	unsigned long long start, end, off;
	char dev[16];
	int n = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %15s %lu %n", &start, &end, m->perms, &off, dev, &m->inode, &n) < 6)
		return false;
	m->start = start;
	m->end = end;
	m->offset = off;
	m->path = line + n;
	return true;
}

int rt_maps_read(pid_t pid, void (*fn)(const struct rt_map *m, void *arg), void *arg)
{
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct rt_map m;

		line[strcspn(line, "\n")] = '\0';
		if (parse_line(line, &m))
			fn(&m, arg);
	}
	fclose(f);
	return 0;
}

void rt_maps_parse(const char *text, size_t len, void (*fn)(const struct rt_map *m, void *arg), void *arg)
{
	char line[4096];

	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;
		struct rt_map m;

		if (n < sizeof(line)) {
			memcpy(line, text, n);
			line[n] = '\0';
			if (parse_line(line, &m))
				fn(&m, arg);
		}
		text += n + (nl != NULL);
		len -= n + (nl != NULL);
	}
}

/* The process's resident set now and its peak since its exec (/proc/PID/status VmRSS and VmHWM: the
 * peak is the address space's own, which a new image starts afresh, unlike wait4's ru_maxrss, which
 * also holds the tracer's forked copy before the exec); -1 each when it cannot be read. */
static void rss_read(pid_t pid, long long *rss, long long *hwm)
{
	char path[64], buf[4096], *l;
	unsigned long long v;
	int fd;
	ssize_t n;

	*rss = *hwm = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if ((l = strstr(buf, "\nVmRSS:")) && sscanf(l + 7, "%llu", &v) == 1)
		*rss = (long long)v;
	if ((l = strstr(buf, "\nVmHWM:")) && sscanf(l + 7, "%llu", &v) == 1)
		*hwm = (long long)v;
}

int rt_maps_take(pid_t pid, struct rt_maps_raw *raw)
{
	char path[64];

	*raw = (struct rt_maps_raw){ .pid = pid };
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (rt_read_file(path, &raw->text, &raw->len) != 0)
		return -1;
	rss_read(pid, &raw->rss_kb, &raw->hwm_kb);
	return 0;
}

json_t *rt_maps_raw_event(struct rt_maps_raw *raw, const char *at, uint64_t t, const char *how)
{
	json_t *e = rt_event_maps(&(struct rt_ev_maps){ .t = t, .pid = raw->pid, .at = at, .text = raw->text,
							.len = raw->len, .rss_kb = raw->rss_kb, .hwm_kb = raw->hwm_kb,
							.how = how });

	free(raw->text);
	raw->text = NULL;
	return e;
}

json_t *rt_maps_event(pid_t pid, const char *at, uint64_t t, const char *how)
{
	struct rt_maps_raw raw;

	return rt_maps_take(pid, &raw) == 0 ? rt_maps_raw_event(&raw, at, t, how) : NULL;
}
