#include "tracer/image.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/json.h"
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

void rt_past_read(const struct rt_binary *b, uint64_t bias, rt_mem_read32 rd, void *arg, struct rt_past *ps)
{
	const struct rt_go_info *g = b->go;
	const struct rt_elf_sym *ms = rt_elf_sym_by_name(b->elf, "runtime.mainStarted");
	const struct rt_elf_sym *rl = rt_elf_sym_by_name(b->elf, "go:runtime.inittasks");
	bool ok = true, all_done = true;
	uint32_t v = 0;
	size_t nrt = 0;

	memset(ps, 0, sizeof(*ps));
	if (!g || !g->init_known || !ms)
		return;
	ok = rd(arg, ms->addr + bias, &v);
	ps->main_started = (v & 0xff) != 0;
	/* The runtime's own tasks come first in the placed order: count them to tell gcenable's moment. */
	if (rl) {
		for (size_t i = 0; i < rl->size / b->elf->ptr_size; i++) {
			uint64_t task;

			if (rt_elf_read_ptr(b->elf, rl->addr + i * b->elf->ptr_size, &task) == 0)
				for (size_t k = 0; k < g->ninit; k++)
					if (g->init[k].task == task && k + 1 > nrt)
						nrt = k + 1;
		}
	}
	for (size_t i = 0; i < g->ninit; i++) {
		uint32_t state = 0;

		if (!rd(arg, g->init[i].task + bias, &state))
			ok = false;
		if (state != 0) {
			strv_push(&ps->pkgs, g->init[i].package);
			if (i >= nrt)
				ps->gcenable = true;
		}
		if (state != 2)
			all_done = false;
	}
	ps->main_main = all_done;
	ps->known = ok;
}

void rt_past_release(struct rt_past *ps)
{
	strv_release(&ps->pkgs);
}

bool rt_past_probe(const struct rt_past *ps, const struct rt_probe *pr, bool attaching)
{
	if (!attaching)
		return false;
	if (!ps->known) /* not Go, or unreadable: everything before now is past */
		return true;
	switch (pr->role) {
	case RT_ROLE_ENTRY:
		return true;
	case RT_ROLE_INIT:
		return pr->package && strv_has(&ps->pkgs, pr->package);
	case RT_ROLE_MAIN:
		return ps->main_main;
	case RT_ROLE_FATAL:
		return false;
	case RT_ROLE_PHASE:
		if (strcmp(pr->symbol, "runtime.gcenable") == 0)
			return ps->gcenable;
		return ps->main_started || strncmp(pr->symbol, "runtime.rt0_go", 14) == 0;
	}
	return false;
}

json_t *rt_image_binary_json(const struct rt_binary *b, const struct rt_probe_plan *plan, uint64_t bias,
			     const char *real, const char *error, const struct rt_past *ps, bool attaching)
{
	json_t *bin = json_object();

	json_object_set_new(bin, "path", json_string(real));
	if (!b) {
		json_object_set_new(bin, "error", json_string(error ? error : "unreadable"));
	} else {
		const struct rt_elf *el = b->elf;
		json_t *segs = json_array(), *probes = json_array();

		json_object_set_new(bin, "arch", json_string(el->arch));
		json_object_set_new(bin, "pie", json_boolean(el->pie));
		json_object_set_new(bin, "static", json_boolean(el->is_static));
		json_object_set_new(bin, "entry", json_hex(el->entry));
		json_object_set_new(bin, "entry_symbol", json_str_or_null(b->entry_sym ? b->entry_sym->name : NULL));
		json_object_set_new(bin, "bias", json_hex(bias));
		json_object_set_new(bin, "go_version", json_str_or_null(b->go ? b->go->version : NULL));
		json_object_set_new(bin, "build_id", json_str_or_null(b->go ? b->go->build_id : NULL));
		json_object_set_new(bin, "init_order", rt_binary_init_order_json(b->go));
		if (rt_probe_plan_manifest_of(b)) /* run --manifest, checked to be this binary's */
			json_object_set_new(bin, "manifest", json_string(rt_probe_plan_manifest_of(b)));
		for (size_t i = 0; i < el->nsegs; i++) {
			json_t *s;
			char fb[4];

			if (el->segs[i].type != PT_LOAD)
				continue;
			s = json_object();
			json_object_set_new(s, "vaddr", json_hex(el->segs[i].vaddr));
			json_object_set_new(s, "memsz", json_hex(el->segs[i].memsz));
			json_object_set_new(s, "flags", json_string(rt_elf_flags_str(el->segs[i].flags, fb)));
			json_array_append_new(segs, s);
		}
		json_object_set_new(bin, "segments", segs);
		for (size_t i = 0; i < plan->n; i++) {
			json_t *pr = json_object();

			json_object_set_new(pr, "symbol", json_string(plan->p[i].symbol));
			json_object_set_new(pr, "addr", json_hex(plan->p[i].addr));
			json_object_set_new(pr, "role", json_string(rt_phase_role_name(plan->p[i].role)));
			if (plan->p[i].package)
				json_object_set_new(pr, "package", json_string(plan->p[i].package));
			if (plan->p[i].unplaced)
				json_object_set_new(pr, "placed", json_false());
			if (rt_past_probe(ps, &plan->p[i], attaching))
				json_object_set_new(pr, "past", json_true());
			json_array_append_new(probes, pr);
		}
		json_object_set_new(bin, "probes", probes);
	}
	if (attaching)
		json_object_set_new(bin, "attached", json_true());
	return bin;
}

json_t *rt_probe_event(uint64_t t, int pid, int tid, const struct rt_probe *pr)
{
	json_t *e = rt_event_new("probe", t, pid, tid);

	json_object_set_new(e, "symbol", json_string(pr->symbol));
	json_object_set_new(e, "addr", json_hex(pr->addr));
	json_object_set_new(e, "role", json_string(rt_phase_role_name(pr->role)));
	if (pr->package)
		json_object_set_new(e, "package", json_string(pr->package));
	return e;
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
		const char *path = getenv("PATH");
		char *found = rt_which(prog, path ? path : "/usr/bin:/bin");

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
	int gp[2] = { -1, -1 }, ep[2] = { -1, -1 }, rc;
	struct strv av = STRV_INIT;
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	extern char **environ;

	*go = *errfd = -1;
	if (rt_find_helper("libexec/" RT_EXEC_HELPER, RT0_INSTALL_LIBEXEC "/" RT_EXEC_HELPER, RT_EXEC_HELPER_ENV,
			   "program starter", helper, sizeof(helper), err) != 0)
		return -1;
	if (pipe2(ep, O_CLOEXEC) != 0 || (sp->hold && pipe2(gp, O_CLOEXEC) != 0)) {
		rt_errf(err, RT_EXIT_ENV, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	strv_push(&av, helper);
	/* each fd of the helper's: the same number, not close-on-exec there (dup2 onto itself) */
	strv_push(&av, "-e");
	strv_pushf(&av, "%d", ep[1]);
	posix_spawn_file_actions_adddup2(&fa, ep[1], ep[1]);
	if (sp->stop)
		strv_push(&av, "-s");
	if (sp->calibrate > 0) {
		strv_push(&av, "-c");
		strv_pushf(&av, "%d", sp->calibrate);
	}
	if (sp->filter_fd >= 0) {
		strv_push(&av, "-f");
		strv_pushf(&av, "%d", sp->filter_fd);
		posix_spawn_file_actions_adddup2(&fa, sp->filter_fd, sp->filter_fd);
	}
	if (sp->hold) {
		strv_push(&av, "-h");
		strv_pushf(&av, "%d", gp[0]);
		posix_spawn_file_actions_adddup2(&fa, gp[0], gp[0]);
	}
	for (size_t i = 0; i < sp->nkeep; i++)
		posix_spawn_file_actions_adddup2(&fa, sp->keep[i], sp->keep[i]);
	strv_push(&av, "--");
	strv_push(&av, prog);
	for (size_t i = 0; argv[i]; i++)
		strv_push(&av, argv[i]);
	/* signal dispositions and mask as rt0trace got them, as the program would untraced (ours are set
	 * after this, and a caught signal is default after an exec anyway) */
	rc = posix_spawn(&pid, helper, &fa, NULL, av.v, sp->env ? sp->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		pid = -1;
		rt_errf(err, RT_EXIT_ENV, "cannot start the program starter '%s': %s", helper, strerror(rc));
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
