/* preload.sh: a fork whose child execs this program again ("child" mode, exit 3), or with "spawn" a
 * posix_spawn of it; the parent waits and prints the child's status. The traced run must follow the
 * child under its own pid (or, with --no-follow, leave it alone) without changing what either prints. */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	int st = 0;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		printf("child: exec'd\n");
		return 3;
	}
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "spawn") == 0) {
		char *args[] = { argv[0], "child", NULL };

		if (posix_spawn(&pid, argv[0], NULL, NULL, args, environ) != 0)
			return 1;
		if (waitpid(pid, &st, 0) != pid)
			return 1;
		printf("parent: spawned child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 0;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execl(argv[0], argv[0], "child", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	printf("parent: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
