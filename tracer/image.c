#include "tracer/image.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/spawn.h"
#include "common/xalloc.h"
#include "tracer/engine.h"
#include "tracer/exec_helper.h"
#include "tracer/trace.h"

uint64_t rt_image_bias(pid_t pid, const struct rt_elf *e)
{
	char path[64];
	uint64_t av[2], bias = 0;
	int fd;

	if (e->type != ET_DYN)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, av, sizeof(av)) == sizeof(av) && av[0] != AT_NULL)
		if (av[0] == AT_ENTRY)
			bias = av[1] - e->entry;
	close(fd);
	return bias;
}

json_t *rt_image_binary_json(const struct rt_binary *b, const struct rt_probe_plan *plan, uint64_t bias,
			     const char *real, const char *error, const struct rt_past *ps, bool attaching)
{
	json_t *bin;

	if (!b) {
		bin = json_object();
		json_object_set_new(bin, "path", json_string(real));
		json_object_set_new(bin, "error", json_string(error ? error : "unreadable"));
	} else {
		bin = rt_binary_image_json(b, real, bias);
		if (rt_probe_plan_manifest_of(b)) /* run --manifest, checked to be this binary's */
			json_object_set_new(bin, "manifest", json_string(rt_probe_plan_manifest_of(b)));
		json_object_set_new(bin, "probes", rt_probe_plan_json(plan, ps, attaching));
	}
	if (attaching)
		json_object_set_new(bin, "attached", json_true());
	return bin;
}

/* PROGRAM as execvp would find it, checked before anything starts. */
char *rt_find_program(const char *prog, struct rt_err *err)
{
	struct stat st;

	if (strchr(prog, '/')) {
		if (stat(prog, &st) != 0)
			return rt_errf(err, RT_EXIT_INPUT, "cannot execute '%s': %s", prog, strerror(errno)), NULL;
		if (!S_ISREG(st.st_mode) || access(prog, X_OK) != 0)
			return rt_errf(err, RT_EXIT_INPUT, "cannot execute '%s': %s", prog,
				       S_ISDIR(st.st_mode) ? "Is a directory" : "Permission denied"), NULL;
		return xstrdup(prog);
	}
	{
		char *found = rt_path_lookup(prog);

		if (!found)
			rt_errf(err, RT_EXIT_INPUT, "cannot execute '%s': not found in PATH", prog);
		return found;
	}
}

void rt_proc_argv(pid_t pid, struct strv *argv)
{
	char path[64], *cmd = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (rt_read_file(path, &cmd, &len) == 0)
		for (size_t off = 0; off < len; off += strlen(cmd + off) + 1)
			strv_push(argv, cmd + off);
	free(cmd);
}

int rt_find_helper(const char *built, const char *installed, const char *env, const char *what, char *out, size_t size,
		   struct rt_err *err)
{
	const char *v = getenv(env);
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (v && *v) {
		if (!realpath(v, out) || access(out, R_OK) != 0)
			return rt_errf(err, RT_EXIT_ENV, "cannot use the %s '%s' ($%s): %s", what, v, env, strerror(errno));
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return rt_errf(err, RT_EXIT_ENV, "cannot find the %s: /proc/self/exe: %s", what, strerror(errno));
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	if ((size_t)snprintf(out, size, "%s/%s", self, built) < size && access(out, R_OK) == 0)
		return 0;
	if ((size_t)snprintf(out, size, "%s/%s", self, installed) < size && access(out, R_OK) == 0)
		return 0;
	return rt_errf(err, RT_EXIT_ENV, "the %s was not found at '%s/%s' nor at '%s/%s' (build or install it, or set $%s)",
		       what, self, installed, self, built, env);
}

static int exec_message(const int msg[2], const char *prog, struct rt_err *err);

/* rt0exec says it is ready; then it is let sleep on its pipe, where its account stands still (what it
 * ran before is not the program's). 0, or -1 with its failure. */
static int held(pid_t pid, int errfd, const char *prog, struct rt_err *err)
{
	char path[64], *stat;
	int msg[2];

	if (read(errfd, msg, sizeof(msg)) != sizeof(msg))
		return rt_errf(err, RT_EXIT_ENV, "the program starter (" RT_EXEC_HELPER ") ended before '%s' was ready", prog);
	if (msg[0] != RT_EXEC_READY)
		return exec_message(msg, prog, err);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 100000; i++) { /* a few microseconds: from its write to its read */
		const char *st = NULL;
		bool asleep;

		if (!(stat = rt_slurp(path)))
			break;
		st = strrchr(stat, ')');
		asleep = st && st[1] == ' ' && st[2] == 'S';
		free(stat);
		if (asleep)
			break;
		sched_yield();
	}
	return 0;
}

pid_t rt_spawn(const char *prog, char *const *argv, const struct rt_spawn *sp, int *go, int *errfd, struct rt_err *err)
{
	char helper[PATH_MAX];
	int gp[2] = { -1, -1 }, ep[2] = { -1, -1 };
	struct strv av = STRV_INIT;
	int *keep = NULL;
	size_t nkeep = 0;
	pid_t pid = -1;

	*go = *errfd = -1;
	if (rt_find_helper("libexec/" RT_EXEC_HELPER, RT0_INSTALL_LIBEXEC "/" RT_EXEC_HELPER, RT_EXEC_HELPER_ENV,
			   "program starter", helper, sizeof(helper), err) != 0)
		return -1;
	if (pipe2(ep, O_CLOEXEC) != 0 || (sp->hold && pipe2(gp, O_CLOEXEC) != 0)) {
		rt_errf(err, RT_EXIT_ENV, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	keep = xcalloc(3 + sp->nkeep, sizeof(*keep));
	strv_push(&av, helper);
	/* each fd of the helper's: the same number, not close-on-exec there (kept: dup2 onto itself) */
	strv_push(&av, "-e");
	strv_pushf(&av, "%d", ep[1]);
	keep[nkeep++] = ep[1];
	if (sp->stop)
		strv_push(&av, "-s");
	if (sp->calibrate > 0) {
		strv_push(&av, "-c");
		strv_pushf(&av, "%d", sp->calibrate);
	}
	if (sp->filter_fd >= 0) {
		strv_push(&av, "-f");
		strv_pushf(&av, "%d", sp->filter_fd);
		keep[nkeep++] = sp->filter_fd;
	}
	if (sp->hold) {
		strv_push(&av, "-h");
		strv_pushf(&av, "%d", gp[0]);
		keep[nkeep++] = gp[0];
	}
	for (size_t i = 0; i < sp->nkeep; i++)
		keep[nkeep++] = sp->keep[i];
	strv_push(&av, "--");
	strv_push(&av, prog);
	for (size_t i = 0; argv[i]; i++)
		strv_push(&av, argv[i]);
	/* signal dispositions and mask as rt0trace got them, as the program would untraced (ours are set
	 * after this, and a caught signal is default after an exec anyway) */
	pid = rt_command_start(&(struct rt_command){ .argv = av.v, .env = sp->env, .keep = keep, .nkeep = nkeep });
	if (pid < 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot start the program starter '%s': %s", helper, strerror(errno));
		goto out;
	}
	if (sp->hold && held(pid, ep[0], prog, err) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
		goto out;
	}
	*errfd = ep[0];
	ep[0] = -1;
	if (sp->hold) {
		*go = gp[1];
		gp[1] = -1;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (ep[i] >= 0)
			close(ep[i]);
		if (gp[i] >= 0)
			close(gp[i]);
	}
	strv_release(&av);
	free(keep);
	return pid;
}

int rt_spawn_release(int *go, uint64_t *t0, struct rt_err *err)
{
	char c = 1;

	*t0 = rt_now_ns();
	if (write(*go, &c, 1) != 1)
		return rt_errf(err, RT_EXIT_ENV, "cannot start the program: %s", strerror(errno));
	close(*go);
	*go = -1;
	return 0;
}

void rt_spawn_abandon(pid_t pid, int *go)
{
	if (pid <= 0 || *go < 0)
		return;
	close(*go); /* it reads EOF and leaves */
	*go = -1;
	waitpid(pid, NULL, 0);
}

static int exec_message(const int msg[2], const char *prog, struct rt_err *err)
{
	if (msg[0] == RT_EXEC_FILTER)
		return rt_errf(err, RT_EXIT_ENV, "cannot install the syscall filter (seccomp) in '%s' before its exec: %s",
			       prog, strerror(msg[1]));
	if (msg[0] == RT_EXEC_SETUP)
		return rt_errf(err, RT_EXIT_ENV, "the program starter (" RT_EXEC_HELPER ") could not get '%s' ready: %s "
						 "(is it from another rt0trace build?)", prog, strerror(msg[1]));
	return rt_errf(err, RT_EXIT_INPUT, "cannot execute '%s': %s", prog, strerror(msg[1]));
}

int rt_exec_failed(int errfd, const char *prog, struct rt_err *err)
{
	int msg[2];

	if (read(errfd, msg, sizeof(msg)) != sizeof(msg))
		return 0;
	return exec_message(msg, prog, err);
}
