/*
 * walltime: runs a command the way `rt0trace run --engine ebpf` starts a program, untraced, and prints
 * its wall time in nanoseconds: forked, held on a pipe, released, reaped — the same interval the
 * engine writes as the footer's "program_ns". The benchmark's untraced side (scripts/bench ebpf).
 * Exit status: the command's (128+signal), 127 when it cannot be run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int go[2], st;
	uint64_t t0, t1;
	pid_t pid;
	char c = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: walltime COMMAND [ARGS...]\n");
		return 2;
	}
	if (pipe(go) != 0 || (pid = fork()) < 0) {
		fprintf(stderr, "walltime: %s\n", strerror(errno));
		return 127;
	}
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		close(go[0]);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "walltime: cannot execute '%s': %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	t0 = now_ns();
	if (write(go[1], &c, 1) != 1)
		return 127;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	t1 = now_ns();
	fprintf(stderr, "%llu\n", (unsigned long long)(t1 - t0));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
