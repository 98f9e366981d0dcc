#include "tracer/image.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
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

/* The child's last word on errfd (rt_exec_failed reads it), then its end. */
static _Noreturn void child_fails(int errfd, int code)
{
	if (write(errfd, &code, sizeof(code)) < 0)
		_exit(127);
	_exit(127);
}

_Noreturn void rt_exec_or_report(const char *prog, char *const *argv, int errfd)
{
	execv(prog, argv);
	child_fails(errfd, errno);
}

pid_t rt_spawn_held(const char *prog, char *const *argv, void (*prep)(void *), void *arg, int *go, int *errfd,
		    struct rt_err *err)
{
	int gp[2], ep[2];
	pid_t pid;

	*go = *errfd = -1;
	if (pipe2(gp, O_CLOEXEC) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot create a pipe: %s", strerror(errno));
		close(gp[0]);
		close(gp[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		char c;

		close(gp[1]);
		close(ep[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (prep)
			prep(arg);
		/* held here until released (EOF: the tracer gave up) */
		if (read(gp[0], &c, 1) != 1)
			_exit(127);
		rt_exec_or_report(prog, argv, ep[1]);
	}
	close(gp[0]);
	close(ep[1]);
	if (pid < 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot fork: %s", strerror(errno));
		close(gp[1]);
		close(ep[0]);
		return -1;
	}
	*go = gp[1];
	*errfd = ep[0];
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

_Noreturn void rt_prep_failed(int errfd, int e)
{
	child_fails(errfd, -e); /* negative: not the exec */
}

int rt_exec_failed(int errfd, const char *prog, struct rt_err *err)
{
	int childerr;

	if (read(errfd, &childerr, sizeof(childerr)) != sizeof(childerr))
		return 0;
	if (childerr < 0)
		return rt_errf(err, RT_EXIT_ENV, "cannot install the syscall filter (seccomp) in '%s' before its exec: %s",
			       prog, strerror(-childerr));
	return rt_errf(err, RT_EXIT_INPUT, "cannot execute '%s': %s", prog, strerror(childerr));
}
