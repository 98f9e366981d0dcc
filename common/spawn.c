#include "common/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xalloc.h"

extern char **environ;

/* Whether `path` (relative ones taken from `base` when not NULL) is an executable regular file. */
static bool executable_file(const char *path, const char *base)
{
	char *at = base && path[0] != '/' ? xasprintf("%s/%s", base, path) : NULL;
	struct stat st;
	bool ok;

	ok = stat(at ? at : path, &st) == 0 && S_ISREG(st.st_mode) && access(at ? at : path, X_OK) == 0;
	free(at);
	return ok;
}

/* rt_which, with a relative candidate checked from `base` (where the program will run) but returned
 * relative, as the child resolves it once it is there. */
static char *which_at(const char *name, const char *search, const char *base)
{
	if (strchr(name, '/'))
		return executable_file(name, base) ? xstrdup(name) : NULL;
	for (const char *dir = search; dir; ) {
		const char *colon = strchr(dir, ':');
		int len = colon ? (int)(colon - dir) : (int)strlen(dir);
		char *cand = len ? xasprintf("%.*s/%s", len, dir, name) : xasprintf("./%s", name);

		if (executable_file(cand, base))
			return cand;
		free(cand);
		dir = colon ? colon + 1 : NULL;
	}
	return NULL;
}

char *rt_which(const char *name, const char *search)
{
	return which_at(name, search, NULL);
}

/* $PATH, or the system's default search when it is unset (a new string). */
static char *search_path(void)
{
	const char *path = getenv("PATH");
	size_t n;
	char *cs;

	if (path)
		return xstrdup(path);
	n = confstr(_CS_PATH, NULL, 0);
	cs = xmalloc(n ? n : 1);
	if (!n || confstr(_CS_PATH, cs, n) == 0)
		cs[0] = '\0';
	return cs;
}

static char *path_lookup_at(const char *name, const char *base)
{
	char *search, *found;

	if (strchr(name, '/'))
		return which_at(name, NULL, base);
	search = search_path();
	found = which_at(name, search, base);
	free(search);
	return found;
}

char *rt_path_lookup(const char *name)
{
	return path_lookup_at(name, NULL);
}

static size_t key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');

	return eq ? (size_t)(eq - kv) + 1 : strlen(kv);
}

/* env (or ours) without the keys env_add sets, then env_add (the first of a key): the pointers, in a
 * new array. */
static char **overlay_env(const struct rt_command *c)
{
	char *const *base = c->env ? c->env : environ;
	size_t n = 0, k = 0;
	char **envp;

	for (char *const *e = base; *e; e++)
		n++;
	envp = xcalloc(n + c->nenv_add + 1, sizeof(*envp));
	for (char *const *e = base; *e; e++) {
		bool overridden = false;

		for (size_t i = 0; i < c->nenv_add && !overridden; i++)
			overridden = strncmp(*e, c->env_add[i], key_len(c->env_add[i])) == 0;
		if (!overridden)
			envp[k++] = *e;
	}
	for (size_t i = 0; i < c->nenv_add; i++) {
		bool dup = false;

		for (size_t e = 0; e < i && !dup; e++)
			dup = strncmp(c->env_add[e], c->env_add[i], key_len(c->env_add[i])) == 0;
		if (!dup)
			envp[k++] = (char *)c->env_add[i];
	}
	return envp;
}

static void add_redir(posix_spawn_file_actions_t *fa, int fd, const struct rt_redir *r)
{
	switch (r->kind) {
	case RT_REDIR_INHERIT:
		break;
	case RT_REDIR_NULL:
		posix_spawn_file_actions_addopen(fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
		break;
	case RT_REDIR_FD:
		posix_spawn_file_actions_adddup2(fa, r->fd, fd);
		break;
	case RT_REDIR_PATH:
		posix_spawn_file_actions_addopen(fa, fd, r->path, r->flags, r->mode);
		break;
	}
}

pid_t rt_command_start(const struct rt_command *c)
{
	posix_spawn_file_actions_t fa;
	char **envp = NULL, *prog;
	pid_t pid = -1;
	int rc;

	if (!(prog = path_lookup_at(c->argv[0], c->cwd))) {
		if (!strchr(c->argv[0], '/')) {
			errno = ENOENT;
			return -1;
		}
		prog = xstrdup(c->argv[0]); /* posix_spawn says why it cannot run */
	}
	if (c->nenv_add)
		envp = overlay_env(c);
	posix_spawn_file_actions_init(&fa);
	add_redir(&fa, 1, &c->out);
	add_redir(&fa, 2, &c->err);
	add_redir(&fa, 0, &c->in);
	/* dup2 onto itself: the same number, not close-on-exec in the child */
	for (size_t i = 0; i < c->nkeep; i++)
		posix_spawn_file_actions_adddup2(&fa, c->keep[i], c->keep[i]);
	if (c->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, c->cwd);
	rc = posix_spawn(&pid, prog, &fa, NULL, c->argv, envp ? envp : c->env ? c->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	free(prog);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

int rt_command_wait(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}
