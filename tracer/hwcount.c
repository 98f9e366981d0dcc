/* tracer/hwcount: instruction counters (see hwcount.h). */
#include "tracer/hwcount.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_counter(pid_t pid, bool on_exec)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.inherit = 1;
	a.disabled = on_exec;
	a.enable_on_exec = on_exec;
	return (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int rt_hw_instructions_open(pid_t pid)
{
	return open_counter(pid, true);
}

int rt_hw_instructions_read(int fd, uint64_t *count)
{
	return read(fd, count, sizeof(*count)) == (ssize_t)sizeof(*count) ? 0 : -1;
}

const char *rt_hw_unavailable(void)
{
	static char why[160];
	static int probed;
	int fd;

	if (probed)
		return why[0] ? why : NULL;
	probed = 1;
	if ((fd = open_counter(0, false)) >= 0) {
		close(fd);
		return NULL;
	}
	if (errno == ENOENT || errno == EOPNOTSUPP)
		snprintf(why, sizeof(why), "perf_event_open finds no hardware instruction counter on this machine, as is "
					   "common in virtual machines");
	else
		snprintf(why, sizeof(why), "perf_event_open: %s", strerror(errno));
	return why;
}
