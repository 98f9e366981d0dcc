#include "pipeline/cctool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/sha256.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "pipeline/cgo.h"

static const char *const flag_text[GB_CC_NFLAGS] = {
	"-fno-caret-diagnostics", "-Qunused-arguments", "-Wl,--no-gc-sections", "-fdebug-prefix-map=a=b",
	"-ffile-prefix-map=a=b",  "-gno-record-gcc-switches", "-frandom-seed=1",
};

const char *gb_cc_flag_text(enum gb_cc_flag f)
{
	return flag_text[f];
}

int gb_cc_init(struct gb_cc *cc, struct rt_err *err)
{
	const char *env = getenv("CC");

	memset(cc, 0, sizeof(*cc));
	cc->from_env = env && *env;
	if (gb_split_quoted(cc->from_env ? env : "gcc", &cc->argv, err) != 0) {
		rt_err_prefix(err, "the CC environment variable could not be parsed");
		err->exit = RT_EXIT_ENV;
		gb_cc_release(cc);
		return -1;
	}
	if (cc->argv.n == 0) {
		gb_cc_release(cc);
		return rt_errf(err, RT_EXIT_ENV, "the CC environment variable names no compiler");
	}
	cc->path = rt_path_lookup(cc->argv.v[0]);
	return 0;
}

void gb_cc_release(struct gb_cc *cc)
{
	if (!cc)
		return;
	strv_release(&cc->argv);
	free(cc->path);
	free(cc->id);
	free(cc->machine);
	memset(cc, 0, sizeof(*cc));
}

static int run_capture(char *const *argv, const char *cwd, const struct strv *env, bool with_stderr, char **out,
		       int *status)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	int fds[2], st;
	pid_t pid;
	ssize_t r;

	*out = NULL;
	*status = -1;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid = rt_command_start(&(struct rt_command){
		.argv = argv, .env_add = env ? (const char *const *)env->v : NULL, .nenv_add = env ? env->n : 0, .cwd = cwd,
		.out = { .kind = RT_REDIR_FD, .fd = fds[1] },
		.err = { .kind = with_stderr ? RT_REDIR_FD : RT_REDIR_NULL, .fd = fds[1] },
		.in = { .kind = RT_REDIR_NULL } });
	close(fds[1]);
	if (pid < 0) {
		int e = errno;

		close(fds[0]);
		errno = e;
		return -1;
	}
	while ((r = read(fds[0], buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		strbuf_add(&sb, buf, (size_t)r);
	}
	close(fds[0]);
	rt_command_wait(pid, &st);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

int gb_run_capture(char *const *argv, const char *cwd, const struct strv *env, char **out, int *status)
{
	return run_capture(argv, cwd, env, true, out, status);
}

int gb_run_stdout(char *const *argv, const char *cwd, char **out, int *status)
{
	return run_capture(argv, cwd, NULL, false, out, status);
}

/* cmd/go's gccSupportsFlag: the flag is supported unless the compiler complains about it. */
static bool probe_flag(const struct gb_cc *cc, enum gb_cc_flag f, const struct strv *cflags, const struct strv *ldflags,
		       const char *workdir)
{
	struct strv argv = STRV_INIT, env = STRV_INIT;
	static const char *const words[] = { "unrecognized", "unknown", "unrecognised", "is not supported",
					     "not recognized", "unsupported" };
	char *out = NULL;
	int status;
	bool ok = true, linker = strncmp(flag_text[f], "-Wl,", 4) == 0;

	for (size_t i = 0; i < cc->argv.n; i++)
		strv_push(&argv, cc->argv.v[i]);
	strv_push(&argv, flag_text[f]);
	for (size_t i = 0; i < (linker ? ldflags : cflags)->n; i++)
		strv_push(&argv, (linker ? ldflags : cflags)->v[i]);
	if (!linker)
		strv_push(&argv, "-c");
	strv_push(&argv, "-x");
	strv_push(&argv, "c");
	strv_push(&argv, "-");
	strv_push(&argv, "-o");
	strv_push(&argv, "/dev/null");
	strv_push(&env, "LC_ALL=C");
	if (gb_run_capture(argv.v, workdir, &env, &out, &status) != 0)
		ok = false;
	for (size_t i = 0; ok && i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(out, words[i]))
			ok = false;
	free(out);
	strv_release(&argv);
	strv_release(&env);
	return ok;
}

static char *first_line(const char *s)
{
	return xstrndup(s, strcspn(s, "\n"));
}

int gb_cc_identify(struct gb_cc *cc, const char *cache_dir, bool save, const struct strv *cflags,
		   const struct strv *ldflags, const char *workdir, struct rt_err *err)
{
	struct strbuf key = STRBUF_INIT;
	struct stat st;
	char real[PATH_MAX], hex[65], *memo, *stat_line, *text;
	const char *rp;
	uint8_t h[32];

	if (!cc->path || stat(cc->path, &st) != 0)
		return rt_errf(err, RT_EXIT_ENV, "cannot run the C compiler '%s'", cc->argv.v[0]);
	rp = realpath(cc->path, real) ? real : cc->path;
	strbuf_addf(&key, "rt0trace cc 1\npath %s\n", rp);
	for (size_t i = 0; i < cc->argv.n; i++)
		strbuf_addf(&key, "cc %s\n", cc->argv.v[i]);
	for (size_t i = 0; i < cflags->n; i++)
		strbuf_addf(&key, "cflag %s\n", cflags->v[i]);
	for (size_t i = 0; i < ldflags->n; i++)
		strbuf_addf(&key, "ldflag %s\n", ldflags->v[i]);
	sha256(key.buf, key.len, h);
	sha256_hex(h, hex);
	memo = xasprintf("%s/cc/%s", cache_dir, hex);
	stat_line = xasprintf("stat %lld %lld.%09ld %llu", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			      st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);

	/* memo: "<stat line>\n<flag bits>\n<machine>\n<version line>\n" */
	text = rt_slurp(memo);
	if (text) {
		char *l1 = text, *l2 = strchr(l1, '\n'), *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
		char *l4 = l3 ? strchr(l3 + 1, '\n') : NULL;

		if (l4 && (size_t)(l2 - l1) == strlen(stat_line) && strncmp(l1, stat_line, strlen(stat_line)) == 0 &&
		    (size_t)(l3 - l2 - 1) == GB_CC_NFLAGS) {
			for (int i = 0; i < GB_CC_NFLAGS; i++)
				cc->flags[i] = l2[1 + i] == '1';
			cc->machine = xstrndup(l3 + 1, (size_t)(l4 - l3 - 1));
			cc->id = xasprintf("%s %s %s %.*s", rp, stat_line, cc->machine, (int)strcspn(l4 + 1, "\n"), l4 + 1);
		}
		free(text);
	}
	if (!cc->id) {
		struct strv argv = STRV_INIT;
		char *out = NULL, *version, bits[GB_CC_NFLAGS + 1];
		int status;

		for (size_t i = 0; i < cc->argv.n; i++)
			strv_push(&argv, cc->argv.v[i]);
		strv_push(&argv, "--version");
		if (gb_run_capture(argv.v, workdir, NULL, &out, &status) != 0 || status != 0) {
			rt_errf(err, RT_EXIT_ENV, "cannot run the C compiler '%s --version': %s", cc->argv.v[0],
				out && *out ? first_line(out) : strerror(errno));
			free(out);
			strv_release(&argv);
			goto fail;
		}
		version = first_line(out);
		free(out);
		free(argv.v[argv.n - 1]);
		argv.v[argv.n - 1] = xstrdup("-dumpmachine");
		if (gb_run_capture(argv.v, workdir, NULL, &out, &status) != 0 || status != 0) {
			free(out);
			out = xstrdup("unknown");
		}
		cc->machine = first_line(out);
		free(out);
		strv_release(&argv);
		for (int i = 0; i < GB_CC_NFLAGS; i++) {
			cc->flags[i] = probe_flag(cc, (enum gb_cc_flag)i, cflags, ldflags, workdir);
			bits[i] = cc->flags[i] ? '1' : '0';
		}
		bits[GB_CC_NFLAGS] = '\0';
		cc->id = xasprintf("%s %s %s %s", rp, stat_line, cc->machine, version);
		if (save) {
			char *dir = xasprintf("%s/cc", cache_dir), *tmp = xasprintf("%s.tmp%d", memo, (int)getpid());
			FILE *f;

			/* Best effort: without the memo the next build only asks the compiler again. */
			if (rt_mkdir_p(dir) == 0 && (f = fopen(tmp, "w")) != NULL) {
				bool ok = fprintf(f, "%s\n%s\n%s\n%s\n", stat_line, bits, cc->machine, version) > 0;

				if (fclose(f) == 0 && ok && rename(tmp, memo) == 0)
					tmp[0] = '\0';
			}
			if (tmp[0])
				unlink(tmp);
			free(dir);
			free(tmp);
		}
		free(version);
	}
	free(memo);
	free(stat_line);
	strbuf_release(&key);
	return 0;
fail:
	free(memo);
	free(stat_line);
	strbuf_release(&key);
	return -1;
}
