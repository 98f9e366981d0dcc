/*
 * tracer/hwcount: hardware instruction counts through perf_event_open, where the machine offers them
 * (many virtual machines do not: then every caller says so and goes on without them).
 */
#ifndef RT0_TRACER_HWCOUNT_H
#define RT0_TRACER_HWCOUNT_H

#include <stdint.h>
#include <sys/types.h>

/* A counter of the user-space instructions `pid` and the threads and processes it starts execute,
 * counting from its next exec (inherit, enable_on_exec): a descriptor (close-on-exec), or -1 with
 * errno. */
int rt_hw_instructions_open(pid_t pid);
/* Reads it: 0, or -1 when it cannot be read. */
int rt_hw_instructions_read(int fd, uint64_t *count);
/* NULL when this machine counts instructions; else why not, for a note ("perf_event_open: Permission
 * denied"). Probed once. */
const char *rt_hw_unavailable(void);

#endif
