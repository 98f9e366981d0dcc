/*
 * pipeline/build_run: running the planned jobs: the in-process steps (mkdir, write, pack, buildid) and
 * one tool at a time per job (common/spawn, output captured to show it once the tool ends), up to -j
 * tools at once, ready jobs started longest critical path first; each finished job stored in the cache.
 */
#include "pipeline/build_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/spawn.h"
#include "common/xalloc.h"
#include "pipeline/buildid.h"

static const char *job_name(const struct build *b, const struct job *j)
{
	return j->p ? j->p->path : b->g.main->path;
}

int gb_spawn_step(struct build *b, struct job *j, struct step *s, struct rt_err *err)
{
	/* the step's own variables, then the tools' (GOOS, GOARCH, ...) that it does not set, over ours */
	const char **add = xcalloc(s->env.n + b->tool_env.n + 1, sizeof(*add));

	for (size_t i = 0; i < s->env.n; i++)
		add[i] = s->env.v[i];
	for (size_t i = 0; i < b->tool_env.n; i++)
		add[s->env.n + i] = b->tool_env.v[i];
	free(j->outfile);
	j->outfile = xasprintf("%s/.tool-output", j->objdir);
	/* A tool from $GOROOT has a path; the C compiler may be a name to find on PATH. */
	j->pid = rt_command_start(&(struct rt_command){
		.argv = s->argv.v, .env_add = add, .nenv_add = s->env.n + b->tool_env.n, .cwd = s->cwd,
		.out = { .kind = RT_REDIR_PATH, .path = j->outfile, .flags = O_WRONLY | O_CREAT | O_TRUNC, .mode = 0644 },
		.err = { .kind = RT_REDIR_FD, .fd = 1 }, .in = { .kind = RT_REDIR_NULL } });
	free(add);
	if (j->pid < 0) {
		j->pid = 0;
		return rt_errf(err, RT_EXIT_ENV, "cannot run '%s': %s", s->argv.v[0], strerror(errno));
	}
	b->running++;
	return 0;
}

void gb_print_output(const struct build *b, struct job *j)
{
	FILE *f = j->outfile ? fopen(j->outfile, "r") : NULL;
	char buf[4096];
	size_t n;
	bool header = false;

	if (!f)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (!header) {
			fprintf(stderr, "# %s\n", job_name(b, j));
			header = true;
		}
		fwrite(buf, 1, n, stderr);
		strbuf_add(&j->shown, buf, n);
	}
	fclose(f);
}

/* A cached job's output, shown again (go replays a cached action's output too). */
static void replay_output(const struct build *b, const struct job *j)
{
	char *path = gb_cache_path(b, j->action, 'o'), *text = rt_slurp(path);

	if (text && *text)
		fprintf(stderr, "# %s\n%s", job_name(b, j), text);
	free(text);
	free(path);
}

/* Runs in-process steps and starts the next tool; returns 1 when a tool is running, 0 when the job
 * has no step left, -1 on error. */
static int advance(struct build *b, struct job *j, struct rt_err *err)
{
	while (j->next < j->nsteps) {
		struct step *s = &j->steps[j->next++];

		if ((s->cond == C_DYN_OK && j->dynfail) || (s->cond == C_DYN_FAIL && !j->dynfail))
			continue;
		if (b->o->print_cmds)
			gb_show_step(b, s, stderr, false);
		switch (s->kind) {
		case S_MKDIR:
			if (rt_mkdir_p(s->path) != 0)
				return rt_errf(err, RT_EXIT_BUILD, "cannot create '%s': %s", s->path, strerror(errno));
			break;
		case S_WRITE: {
			FILE *f = fopen(s->path, "wb");

			if (!f || fwrite(s->data, 1, s->len, f) != s->len || fclose(f) != 0)
				return rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", s->path, strerror(errno));
			break;
		}
		case S_PACK:
			if (gb_pack_append(s->path, s->argv.v, s->argv.n, err) != 0)
				return -1;
			break;
		case S_BUILDID: {
			char newid[sizeof(j->buildid)];

			if (gb_buildid_rewrite(s->path, j->buildid, newid, j->content, err) != 0)
				return -1;
			strcpy(j->buildid, newid);
			break;
		}
		case S_EXEC:
			return gb_spawn_step(b, j, s, err) == 0 ? 1 : -1;
		}
	}
	return 0;
}

static int finish_job(struct build *b, struct job *j, struct rt_err *err);

/* Starts a job whose imports are built: plans it (which may find it cached) and runs it. */
static int start_job(struct build *b, struct job *j, struct rt_err *err)
{
	int r;

	if ((j->p ? gb_plan_package(b, j, err) : gb_plan_link(b, j, err)) != 0)
		return -1;
	if (j->cached)
		return finish_job(b, j, err);
	r = advance(b, j, err);
	if (r < 0)
		return -1;
	return r == 0 ? finish_job(b, j, err) : 0;
}

static int finish_job(struct build *b, struct job *j, struct rt_err *err)
{
	if (j->cached) {
		replay_output(b, j);
	} else {
		/* the output first: the content ID file, written last, says the entry is complete */
		char *out = j->shown.len ? gb_cache_path(b, j->action, 'o') : NULL;
		struct rt_outfile o = { 0 };

		if (out) {
			*strrchr(out, '/') = '\0';
			rt_mkdir_p(out); /* cache_write says why when it still fails */
			out[strlen(out)] = '/';
		}
		if (out && gb_cache_write(out, NULL, j->shown.buf, &o) != 0) {
			rt_errf(err, RT_EXIT_ENV, "cannot write the build cache '%s': %s", out, rt_outfile_error(&o, errno));
			free(out);
			return -1;
		}
		free(out);
		if (gb_cache_store(b, j, j->p ? 'a' : 'x', err) != 0)
			return -1;
	}
	j->done = true;
	b->done++;
	if (b->tty) {
		fprintf(stderr, "\r\033[Krt0trace build: %zu/%zu %s", b->done, b->njobs, job_name(b, j));
		fflush(stderr);
	}
	for (size_t i = 0; i < j->nusers; i++)
		if (--j->users[i]->waiting == 0)
			b->ready[b->nready++] = j->users[i];
	return 0;
}

/* Starts ready jobs, highest critical path first, while fewer than `jobs` tools run. A job that needs
 * no tool (cached, or only in-process steps left) finishes at once and may make more jobs ready. */
static int start_ready(struct build *b, int jobs, struct rt_err *err)
{
	while (b->nready > 0 && b->running < jobs && !b->failed) {
		size_t best = 0;
		struct job *j;

		for (size_t i = 1; i < b->nready; i++)
			if (b->ready[i]->height > b->ready[best]->height)
				best = i;
		j = b->ready[best];
		b->ready[best] = b->ready[--b->nready];
		if (start_job(b, j, err) != 0)
			return -1;
	}
	return 0;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static int run_all(struct build *b, struct rt_err *err)
{
	int jobs = b->o->jobs > 0 ? b->o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 0;

	if (jobs < 1)
		jobs = 1;
	/* Critical-path heights, users before their imports (the link is last, packages in dependency
	 * order): a package's weight is its file count, and for its C files their size (one unit per 10 KiB,
	 * about a Go file's: an amalgamation such as SQLite's is the longest job of a build and must start
	 * first). */
	for (size_t i = b->njobs; i-- > 0;) {
		struct job *j = &b->jobs[i];
		size_t up = 0, weight = j->p ? j->p->gofiles.n + j->p->cgofiles.n + j->p->sfiles.n : 0;

		for (size_t k = 0; k < j->nusers; k++)
			if (j->users[k]->height > up)
				up = j->users[k]->height;
		for (size_t k = 0; j->p && k < j->p->cfiles.n; k++) {
			char *c = xasprintf("%s/%s", j->p->dir, j->p->cfiles.v[k]);
			struct stat cs;

			weight += 1 + (stat(c, &cs) == 0 ? (size_t)cs.st_size / 10240 : 0);
			free(c);
		}
		j->height = up + 1 + weight;
	}
	b->ready = xcalloc(b->njobs, sizeof(*b->ready));
	for (size_t i = 0; i < b->njobs; i++)
		if (b->jobs[i].waiting == 0)
			b->ready[b->nready++] = &b->jobs[i];
	rc = start_ready(b, jobs, err);
	while (rc == 0 && b->running > 0) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		struct job *j = NULL;

		if (pid < 0) {
			if (errno == EINTR && !interrupted)
				continue;
			break;
		}
		for (size_t i = 0; i < b->njobs; i++)
			if (b->jobs[i].pid == pid)
				j = &b->jobs[i];
		if (!j)
			continue;
		b->running--;
		j->pid = 0;
		if ((!WIFEXITED(status) || WEXITSTATUS(status) != 0) && j->steps[j->next - 1].probe) {
			/* cmd/go shows the output of the failed _cgo_.o link only with -x */
			if (b->o->print_cmds)
				gb_print_output(b, j);
			j->dynfail = true;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			const struct step *s = &j->steps[j->next - 1];
			const char *tool = gb_base_name(s->argv.v[0]);

			if (b->tty)
				fputs("\r\033[K", stderr);
			gb_print_output(b, j);
			if (WIFSIGNALED(status))
				rt_errf(err, RT_EXIT_BUILD, "build failed: %s of %s was killed by signal %d", tool,
					job_name(b, j), WTERMSIG(status));
			else
				rt_errf(err, RT_EXIT_BUILD, "build failed: %s of %s exited with status %d", tool,
					job_name(b, j), WEXITSTATUS(status));
			rc = -1;
			break;
		} else {
			gb_print_output(b, j);
		}
		{
			int r = advance(b, j, err);

			if (r < 0 || (r == 0 && finish_job(b, j, err) != 0) || start_ready(b, jobs, err) != 0)
				rc = -1;
		}
		if (interrupted) {
			rt_errf(err, RT_EXIT_BUILD, "build interrupted by signal %d", (int)interrupted);
			rc = -1;
		}
	}
	if (rc != 0) {
		b->failed = 1;
		for (size_t i = 0; i < b->njobs; i++)
			if (b->jobs[i].pid > 0)
				kill(b->jobs[i].pid, SIGTERM);
		while (b->running > 0 && waitpid(-1, NULL, 0) > 0)
			b->running--;
	}
	if (b->tty)
		fputs("\r\033[K", stderr);
	free(b->ready);
	b->ready = NULL;
	if (rc == 0 && b->done != b->njobs)
		rc = rt_errf(err, RT_EXIT_BUILD, "build stopped with %zu of %zu actions done", b->done, b->njobs);
	return rc;
}

/* Runs every job with SIGINT and SIGTERM caught (the tools get them too): the build then stops and says
 * so. */
int gb_run(struct build *b, struct rt_err *err)
{
	struct sigaction sa = { 0 }, old_int, old_term;
	int rc;

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = run_all(b, err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}
