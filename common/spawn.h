/*
 * common/spawn: starting programs, one way for every module (like git's run-command): the PATH search
 * execvp does, and one spawn helper over posix_spawn (nothing of rt0trace's address space is copied)
 * with an argv, an environment, a working directory, where stdin/stdout/stderr go and which fds the
 * child keeps. The build's tools (pipeline/build_run.c), the C compiler's probes (pipeline/cctool.c) and
 * the program starter of every engine (tracer/image.c) are started here.
 */
#ifndef RT0_COMMON_SPAWN_H
#define RT0_COMMON_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* `name` as execvp finds it: a name with a '/' as it is, else the first entry of `search` (a PATH
 * value, ':'-separated, an empty entry (a leading or trailing ':', or '::') meaning the current
 * directory) holding it; either way an executable regular file (a directory or a file without x is
 * passed over). A new string, or NULL when there is none (a NULL `search` holds nothing). */
char *rt_which(const char *name, const char *search);
/* The same along $PATH, or confstr(_CS_PATH) when PATH is unset, as execvp searches. */
char *rt_path_lookup(const char *name);

/* Where one of the child's standard fds goes. */
enum rt_redir_kind {
	RT_REDIR_INHERIT, /* ours (the default: a zeroed struct) */
	RT_REDIR_NULL,    /* /dev/null, read-only for stdin, write-only for stdout and stderr */
	RT_REDIR_FD,      /* a dup of `fd` (for stderr: 1 is the child's stdout as just set) */
	RT_REDIR_PATH,    /* `path` opened with `flags` and `mode` */
};

struct rt_redir {
	enum rt_redir_kind kind;
	int fd;
	const char *path;
	int flags;
	mode_t mode;
};

struct rt_command {
	char *const *argv;       /* argv[0] is the program: a path, or a name found by rt_path_lookup */
	char *const *env;        /* the environment; NULL: ours */
	const char *const *env_add; /* "K=V" entries that replace or join env's (the first of a key wins) */
	size_t nenv_add;
	const char *cwd;         /* where it runs (NULL: here); an argv[0] found on PATH is looked up from there */
	struct rt_redir in, out, err; /* set in the order out, err, in */
	const int *keep;         /* fds it inherits under their own number (ours are close-on-exec) */
	size_t nkeep;
};

/* Starts c: the child's pid, or -1 with errno set (ENOENT: argv[0] was not found on PATH). Signal
 * dispositions and mask are ours, as posix_spawn leaves them. */
pid_t rt_command_start(const struct rt_command *c);
/* waitpid(pid, status, 0) through EINTR: 0, or -1 with errno set. */
int rt_command_wait(pid_t pid, int *status);

#endif
