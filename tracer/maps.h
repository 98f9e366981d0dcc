/* tracer/maps: /proc/PID/maps, read line by line (the layout snapshots and the unwinder's modules). */
#ifndef RT0_TRACER_MAPS_H
#define RT0_TRACER_MAPS_H

#include <stdint.h>
#include <sys/types.h>

struct rt_map {
	uint64_t start, end, offset;
	unsigned long inode;
	char perms[8];
	const char *path;    /* "" for an anonymous mapping; valid during the callback only */
};

/* Calls fn for each mapping of `pid`, in address order. -1 when the maps cannot be read. */
int rt_maps_read(pid_t pid, void (*fn)(const struct rt_map *m, void *arg), void *arg);

/* The same for a maps text already read (as the preload engine's shim sends it): fn per line. */
void rt_maps_parse(const char *text, size_t len, void (*fn)(const struct rt_map *m, void *arg), void *arg);

/* A "maps" event (tracer/trace.h) of pid's layout now; `at` names the probe it was taken at (or "exit"),
 * `how` (optional) how. NULL when the maps cannot be read (the process is gone). */
struct json_t;
struct json_t *rt_maps_event(pid_t pid, const char *at, uint64_t t, const char *how);
/* The same in two steps: the layout's text (and resident set) read while the process is held, the event
 * built from it after it was let go. rt_maps_take returns -1 when the maps cannot be read;
 * rt_maps_raw_event releases the text. */
struct rt_maps_raw {
	int pid;
	char *text;
	size_t len;
	long long rss_kb, hwm_kb; /* -1: not read */
};
int rt_maps_take(pid_t pid, struct rt_maps_raw *raw);
struct json_t *rt_maps_raw_event(struct rt_maps_raw *raw, const char *at, uint64_t t, const char *how);

#endif
