/*
 * rt0exec: how every engine starts the program (tracer/image.c, rt_spawn). rt0trace spawns this small
 * static program with posix_spawn, which copies nothing of rt0trace's address space; it gets the
 * program ready and execs it. Started by fork(), the program's exec would tear down a copy of
 * rt0trace's address space, and that is counted as the program's time: it grows with rt0trace's memory
 * (run after run in bench, much more under ASan) and showed as an exec phase slowing down run by run.
 * This exec tears down the address space of a small static program, about what a shell leaves.
 *
 *   rt0exec [-s] [-c N] [-f FD] [-h FD] -e FD -- PROG ARGV0 [ARGS...]
 *
 * In this order: -s stops itself with SIGSTOP (the ptrace engine seizes it then); -c N makes N
 * breakpoint stops and then N getppid calls, which the ptrace engine times as the cost of a stop;
 * -f FD installs the seccomp-BPF program read from FD (struct sock_filter, as libseccomp exports it),
 * with no_new_privs only when the kernel asks for it; -h FD says it is ready on -e's FD
 * (RT_EXEC_READY) and waits until one byte can be read from FD (exits 127 on EOF: rt0trace gave up).
 * Then it execs PROG with ARGV0 ARGS... and the environment it was given, every signal's disposition
 * as rt0trace's own parent left it. A failure is written on -e's FD as two ints, the step (enum rt_exec_step) and its errno
 * (rt_exec_failed reads them), and the exit status is 127. Every FD but the -e one is closed
 * before the exec; the -e one is close-on-exec, so an EOF there means the exec happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracer/exec_helper.h"

static int errfd = -1;

static _Noreturn void fail(enum rt_exec_step step, int e)
{
	int msg[2] = { (int)step, e };

	if (errfd >= 0 && write(errfd, msg, sizeof(msg)) < 0)
		_exit(127);
	_exit(127);
}

static int uint_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 1 << 20)
		fail(RT_EXEC_SETUP, EINVAL);
	return (int)v;
}

/* The BPF program in fd (a memfd: its whole size), installed. 0, or an errno. */
static int install_filter(int fd)
{
	struct stat st;
	struct sock_fprog prog;
	struct sock_filter *insns;
	ssize_t n;

	if (fstat(fd, &st) != 0)
		return errno;
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(*insns) != 0 || st.st_size / (off_t)sizeof(*insns) > BPF_MAXINSNS)
		return EINVAL;
	if (!(insns = malloc((size_t)st.st_size)))
		return ENOMEM;
	n = pread(fd, insns, (size_t)st.st_size, 0);
	if (n != st.st_size)
		return n < 0 ? errno : EIO;
	prog.len = (unsigned short)(st.st_size / (off_t)sizeof(*insns));
	prog.filter = insns;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno != EACCES) /* EACCES: no CAP_SYS_ADMIN, and the kernel then wants no_new_privs */
		return errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return errno;
	return 0;
}

int main(int argc, char **argv)
{
	int calib = 0, filter = -1, hold = -1, i = 1, stop = 0;

	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-s") == 0)
			stop = 1;
		else if (i + 1 >= argc)
			fail(RT_EXEC_SETUP, EINVAL);
		else if (strcmp(argv[i], "-e") == 0)
			errfd = uint_arg(argv[++i]);
		else if (strcmp(argv[i], "-c") == 0)
			calib = uint_arg(argv[++i]);
		else if (strcmp(argv[i], "-f") == 0)
			filter = uint_arg(argv[++i]);
		else if (strcmp(argv[i], "-h") == 0)
			hold = uint_arg(argv[++i]);
		else
			fail(RT_EXEC_SETUP, EINVAL);
	}
	if (errfd < 0 || i + 2 >= argc) /* "--", PROG, ARGV0 */
		fail(RT_EXEC_SETUP, EINVAL);
	if (fcntl(errfd, F_SETFD, FD_CLOEXEC) != 0)
		fail(RT_EXEC_SETUP, errno);
	/* glibc's posix_spawn leaves its own signals (SIGRTMIN, SIGRTMIN+1) ignored in the child it starts,
	 * and an ignored signal stays ignored across exec: the program would start with them ignored, as
	 * it does from no shell (strace -f shows SIG_DFL). Back to the default, with the raw syscall (glibc
	 * refuses sigaction on them). */
	for (int sig = 32; sig <= 33; sig++) {
		unsigned long ksa[4] = { 0 }; /* the kernel's struct sigaction: SIG_DFL, no flags, an empty mask */

		syscall(SYS_rt_sigaction, sig, ksa, NULL, 8);
	}
	if (stop)
		kill(getpid(), SIGSTOP);
	for (int k = 0; k < calib; k++)
		__asm__ volatile("int3");
	for (int k = 0; k < calib; k++)
		syscall(SYS_getppid);
	if (filter >= 0) {
		int e = install_filter(filter);

		if (e)
			fail(RT_EXEC_FILTER, e);
		close(filter);
	}
	if (hold >= 0) {
		int ready[2] = { RT_EXEC_READY, 0 };
		char c;

		if (write(errfd, ready, sizeof(ready)) != sizeof(ready) || read(hold, &c, 1) != 1)
			_exit(127);
		close(hold);
	}
	execv(argv[i + 1], argv + i + 2);
	fail(RT_EXEC_EXEC, errno);
}
