#include "pipeline/build.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/outfile.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/sha256.h"
#include "common/spawn.h"
#include "common/xalloc.h"
#include "pipeline/buildid.h"
#include "pipeline/cctool.h"
#include "pipeline/cgo.h"
#include "pipeline/config.h"
#include "pipeline/embed.h"
#include "pipeline/filehash.h"
#include "pipeline/load.h"
#include "pipeline/modinfo.h"
#include "pipeline/ppflag.h"
#include "pipeline/vcs.h"
#include "probes/binary.h"
#include "probes/gophases.h"

/* ---- steps ---------------------------------------------------------------------------------------- */

enum step_kind { S_MKDIR, S_WRITE, S_EXEC, S_PACK, S_BUILDID };

/* cgo's dynamic-import link (_cgo_.o) may fail, as in cmd/go: the package is then built without
 * _cgo_import.go and with a "dynimportfail" marker for the linker. Steps on either side of that say so. */
enum step_cond { C_ALWAYS, C_DYN_OK, C_DYN_FAIL };

struct step {
	enum step_kind kind;
	char *path;         /* MKDIR dir, WRITE file, PACK archive, BUILDID file */
	char *data;         /* WRITE content */
	size_t len;
	struct strv argv;   /* EXEC argv, PACK member files */
	struct strv env;    /* EXEC: extra "K=V" */
	char *cwd;          /* EXEC */
	enum step_cond cond; /* run only when the job's dynamic-import link went this way */
	bool probe;         /* EXEC whose failure is an answer (sets the job's dynfail), not an error */
};

struct job {
	struct gb_pkg *p;        /* NULL for the link */
	char *objdir;            /* $WORK/bNNN */
	struct step *steps;
	size_t nsteps, stepcap, next;
	pid_t pid;
	char *outfile;           /* the running tool's captured stdout+stderr */
	struct strbuf shown;     /* what its tools printed (shown), cached with it and shown again on a
				  * cache hit, as go does (-gcflags=-S listings, -m diagnostics) */
	size_t waiting;          /* imports not yet built */
	struct job **users;
	size_t nusers, usercap;
	uint8_t action[32];
	char action_id[GB_ID_LEN + 1];
	char buildid[4 * (GB_ID_LEN + 1)];
	uint8_t content[32];
	char *archive;           /* where the result is: the cache once done */
	char *result;            /* objdir path of the result before it moves to the cache */
	bool cached, done;
	size_t height;           /* critical-path weight from here to the link: ready jobs start highest first */
	struct strv compile_argv;
	struct strv asm_argvs;   /* each asm command, tab-joined, for the manifest */
	/* cgo packages: the cgo run, each C compiler command (the C files, then _cgo_main.c, then the
	 * _cgo_.o link), the cgo -dynimport run; dynfail once the _cgo_.o link failed. */
	struct strv cgo_argv, dyn_argv;
	struct strv *cc_argvs;
	char **cc_cwds;
	size_t ncc, ncc_src;     /* all C commands; those compiling the package's C (the _x*.o) */
	struct strv cgo_objs;    /* the C objects for the archive ([preferlinkext], _x001.o, ...) */
	bool preferlinkext, cgo_ldflags; /* a hint for the linker; cgo gets -ldflags (and CGO_LDFLAGS=) */
	bool dynfail;
};

struct build {
	const struct gb_opts *o;
	struct gb_config cfg;
	struct gb_graph g;
	char *work;              /* the real $WORK */
	char *cache;
	char *godebug;
	char *records;           /* $CACHE/modverified: verified module directories (pipeline/modload.h) */
	char *scans;             /* $CACHE/scans: what each package directory's files hold (pipeline/scanmemo.h) */
	char *modinfo;
	size_t modinfo_len;
	char *tool_id;           /* identity of compile/asm/link: version and stat of each */
	struct gb_filehash files; /* source-file hashes remembered across builds */
	struct gb_modenv modenv; /* GOMODCACHE, GOPROXY, GOFLAGS, ... */
	bool trimpath;           /* -trimpath, or GOFLAGS's */
	char *pgo_file;          /* the PGO profile (-pgo=FILE, or the main package's default.pgo), absolute */
	char *pgo_hash;          /* its content's sha256, hex */
	char *pgo_profile;       /* the preprocessed profile every compile gets (-pgoprofile=) */
	struct step *pgo_steps;  /* -n: the preprofile steps the recipe runs first */
	size_t npgo_steps;
	struct strv tool_env;    /* GOOS, GOARCH, GOAMD64/GOARM/GOARM64, GOROOT[, GOEXPERIMENT] for every tool */
	struct job *jobs;        /* one per package, same order as g.pkgs, then the link */
	size_t njobs;
	int running, failed;
	size_t done;
	struct job **ready;      /* jobs whose imports are built, not yet started */
	size_t nready;
	char *out;               /* final output path */
	bool tty;
	struct gb_cc cc;         /* $CC (also the -extld of every link) */
	bool need_cc;            /* some package uses cgo */
	struct strv env_cppflags, env_cflags, env_ldflags; /* $CGO_CPPFLAGS, $CGO_CFLAGS, $CGO_LDFLAGS or defaults */
	struct strv ldflags;     /* the main package's -ldflags, split (the link's) */
	struct gb_ppflag gcflags, asmflags, ldflags_pp; /* the settings of each (pipeline/ppflag.h) */
	struct gb_modinfo_flags mflags; /* what the build info records of them */
	bool pie;                /* -buildmode=pie: every package compiled and assembled -shared */
	struct gb_vcs vcs;       /* -buildvcs */
	char *cwd;               /* -C DIR (default "."), absolute */
};

static void step_free(struct step *s)
{
	free(s->path);
	free(s->data);
	strv_release(&s->argv);
	strv_release(&s->env);
	free(s->cwd);
}

static void steps_free(struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		step_free(&steps[i]);
	free(steps);
}

static struct step *add_step(struct job *j, enum step_kind k, const char *path)
{
	struct step *s;

	j->steps = xgrow(j->steps, &j->stepcap, j->nsteps + 1, sizeof(*j->steps));
	s = &j->steps[j->nsteps++];
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->path = path ? xstrdup(path) : NULL;
	return s;
}

/* ---- displaying commands (-x, -n) -------------------------------------------------------------------- */

/* `s` with the real $WORK and cache directory shown as $WORK and $CACHE. */
static char *show_path(const struct build *b, const char *s)
{
	size_t wl = strlen(b->work), cl = b->cache ? strlen(b->cache) : 0;
	char *out = xmalloc(strlen(s) * 2 + 16), *o = out;

	while (*s) {
		if (strncmp(s, b->work, wl) == 0) {
			o += sprintf(o, "$WORK");
			s += wl;
		} else if (cl && strncmp(s, b->cache, cl) == 0) {
			o += sprintf(o, "$CACHE");
			s += cl;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static bool needs_quote(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!(strchr("-_./=:,+@%", *s) || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z')))
			return true;
	return false;
}

/* One shell word: paths under $WORK/$CACHE stay expandable, everything else is single-quoted if needed. */
static void put_word(const struct build *b, FILE *f, const char *arg)
{
	char *shown = show_path(b, arg);

	if (!needs_quote(shown)) {
		fputs(shown, f);
	} else if (!strchr(shown, '\'') && !strchr(shown, '$')) {
		fprintf(f, "'%s'", shown);
	} else {
		fputc('"', f);
		for (const char *p = shown; *p; p++) {
			if (*p == '"' || *p == '\\' || *p == '`')
				fputc('\\', f);
			if (*p == '$' && strncmp(p, "$WORK", 5) != 0 && strncmp(p, "$CACHE", 6) != 0)
				fputc('\\', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	free(shown);
}

/* Heredoc body: $WORK and $CACHE expand, every other shell-special character is escaped. */
static void put_heredoc(const struct build *b, FILE *f, const char *data, size_t len)
{
	char *text = xstrndup(data, len), *shown = show_path(b, text);

	for (const char *p = shown; *p; p++) {
		bool var = *p == '$' && (strncmp(p, "$WORK", 5) == 0 || strncmp(p, "$CACHE", 6) == 0);

		if (*p == '\\' || *p == '`' || (*p == '$' && !var))
			fputc('\\', f);
		fputc(*p, f);
	}
	if (len && data[len - 1] != '\n')
		fputc('\n', f);
	free(text);
	free(shown);
}

/* In the -n recipe (`recipe`), the dynamic-import link records its outcome in $dynok and the steps that
 * depend on it test it; -x shows only what runs. */
static void show_cond(const struct step *s, FILE *f, bool recipe)
{
	if (recipe && s->cond != C_ALWAYS)
		fputs(s->cond == C_DYN_OK ? "[ -n \"$dynok\" ] && " : "[ -z \"$dynok\" ] && ", f);
}

static void show_step(const struct build *b, const struct step *s, FILE *f, bool recipe)
{
	switch (s->kind) {
	case S_MKDIR:
		fputs("mkdir -p ", f);
		put_word(b, f, s->path);
		fputc('\n', f);
		break;
	case S_WRITE:
		if (s->len == 0) {
			show_cond(s, f, recipe);
			fputs("echo -n > ", f);
			put_word(b, f, s->path);
			fputs(" # internal\n", f);
			break;
		}
		fputs("cat >", f);
		put_word(b, f, s->path);
		fputs(" << EOF # internal\n", f);
		put_heredoc(b, f, s->data, s->len);
		fputs("EOF\n", f);
		break;
	case S_EXEC:
		if (recipe && s->probe)
			fputs("dynok=1\n", f);
		if (s->cwd) {
			fputs("cd ", f);
			put_word(b, f, s->cwd);
			fputc('\n', f);
		}
		show_cond(s, f, recipe);
		for (size_t i = 0; i < s->env.n; i++) {
			const char *eq = strchr(s->env.v[i], '=');

			fprintf(f, "%.*s=", (int)(eq - s->env.v[i]), s->env.v[i]);
			put_word(b, f, eq + 1);
			fputc(' ', f);
		}
		for (size_t i = 0; i < s->argv.n; i++) {
			if (i)
				fputc(' ', f);
			put_word(b, f, s->argv.v[i]);
		}
		if (recipe && s->probe)
			fputs(" || dynok=", f);
		fputc('\n', f);
		break;
	case S_PACK:
		show_cond(s, f, recipe);
		fputs("\"$RT0TRACE\" tool pack r ", f);
		put_word(b, f, s->path);
		for (size_t i = 0; i < s->argv.n; i++) {
			fputc(' ', f);
			put_word(b, f, s->argv.v[i]);
		}
		fputs(" # internal\n", f);
		break;
	case S_BUILDID:
		fputs("\"$RT0TRACE\" tool buildid -w ", f);
		put_word(b, f, s->path);
		fputs(" # internal\n", f);
		break;
	}
}

/* ---- cache ---------------------------------------------------------------------------------------- */

static char *cache_dir(struct rt_err *err)
{
	const char *env = getenv("RT0TRACE_CACHE"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir;

	if (env && *env)
		dir = xstrdup(env);
	else if (xdg && *xdg)
		dir = xasprintf("%s/rt0trace", xdg);
	else if (home && *home)
		dir = xasprintf("%s/.cache/rt0trace", home);
	else
		return rt_errf(err, RT_EXIT_ENV, "no build cache directory: set RT0TRACE_CACHE or HOME"), NULL;
	if (rt_mkdir_p(dir) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot create the build cache '%s': %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

/* $CACHE/ab/<hex>-<kind> */
static char *cache_path(const struct build *b, const uint8_t id[32], char kind)
{
	char hex[65];

	sha256_hex(id, hex);
	return xasprintf("%s/%.2s/%s-%c", b->cache, hex, hex, kind);
}

/* A cached result: the output file and its content ID (written last, so its presence means complete). */
static bool cache_lookup(const struct build *b, struct job *j, char kind)
{
	char *meta = cache_path(b, j->action, 'd'), *out = cache_path(b, j->action, kind);
	FILE *f = fopen(meta, "r");
	char hex[65], id[sizeof(j->buildid)];
	bool ok = false;

	_Static_assert(sizeof(j->buildid) == 84, "the fscanf width below is sizeof(buildid) - 1");
	if (f && !b->o->rebuild_all && fscanf(f, "%64s %83s", hex, id) == 2 && access(out, R_OK) == 0 && strlen(hex) == 64 &&
	    sha256_from_hex(hex, j->content)) {
		strcpy(j->buildid, id);
		free(j->archive);
		j->archive = out;
		out = NULL;
		ok = true;
	}
	if (f)
		fclose(f);
	free(meta);
	free(out);
	return ok;
}

/* Writes the bytes of `from` (or `text`) to `path` through common/outfile: whole or not at all, never
 * through a planted link or a guessable name. 0, or -1 with errno and `why` (for rt_outfile_error). */
static int cache_write(const char *path, const char *from, const char *text, struct rt_outfile *o)
{
	int wrote;

	if (rt_outfile_open(o, path, 0666) != 0)
		return -1;
	wrote = from ? rt_append_file(o->f, from) : text && fputs(text, o->f) != EOF ? 0 : -1;
	if (wrote != 0 || rt_outfile_commit(o) != 0) {
		int e = errno;

		rt_outfile_discard(o);
		errno = e;
		return -1;
	}
	return 0;
}

/* Moves a finished result into the cache (content ID file last). */
static int cache_store(struct build *b, struct job *j, char kind, struct rt_err *err)
{
	char *dst = cache_path(b, j->action, kind), *meta = cache_path(b, j->action, 'd');
	char *dir = xstrdup(dst), *line = NULL, hex[65];
	struct rt_outfile o = { 0 };
	int rc = -1;

	*strrchr(dir, '/') = '\0';
	/* rename replaces what is at dst (a link too) and never follows it; across file systems, a copy */
	if (rt_mkdir_p(dir) != 0 || (rename(j->result, dst) != 0 && cache_write(dst, j->result, NULL, &o) != 0)) {
		rt_errf(err, RT_EXIT_ENV, "cannot write the build cache '%s': %s", dst, rt_outfile_error(&o, errno));
		goto out;
	}
	sha256_hex(j->content, hex);
	line = xasprintf("%s %s\n", hex, j->buildid);
	if (cache_write(meta, NULL, line, &o) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot write the build cache '%s': %s", meta, rt_outfile_error(&o, errno));
		goto out;
	}
	free(j->archive);
	j->archive = dst;
	dst = NULL;
	rc = 0;
out:
	free(dst);
	free(meta);
	free(line);
	free(dir);
	return rc;
}

/* ---- hashing inputs ------------------------------------------------------------------------------ */

/* The text an action ID hashes: one "key value" line per input. */
#define hput strbuf_addf
/* p: the package the file belongs to (a file of a module from the module cache is checked against what the
 * module verified to: pipeline/modload.h), or NULL */
static int hput_file(struct build *b, struct strbuf *h, const struct gb_pkg *p, const char *label, const char *path,
		     struct rt_err *err)
{
	uint8_t d[32];
	char hex[65];

	if (gb_filehash(&b->files, path, d, err) != 0)
		return -1;
	if (p && p->mod && p->mod->gm && b->g.mg && gb_modgraph_check_file(b->g.mg, p->mod->gm, path, d, err) != 0)
		return -1;
	sha256_hex(d, hex);
	hput(h, "%s %s %s\n", label, strrchr(path, '/') + 1, hex);
	return 0;
}

static void hput_argv(struct strbuf *h, const struct build *b, const struct strv *argv)
{
	for (size_t i = 0; i < argv->n; i++) {
		char *s = show_path(b, argv->v[i]);

		hput(h, "arg %s\n", s);
		free(s);
	}
}

static void finish_action(struct job *j, struct strbuf *h)
{
	gb_sha256(h->buf, h->len, j->action);
	gb_hash_to_string(j->action, j->action_id);
	strbuf_release(h);
}

static char *tool_identity(const struct gb_config *c)
{
	static const char *const tools[] = { "compile", "asm", "link" };
	char *id = xasprintf("%s", c->version);

	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s", c->tooldir, tools[i]), *n;
		struct stat st;

		if (stat(p, &st) == 0)
			n = xasprintf("%s %s:%lld:%lld.%09ld:%llu", id, tools[i], (long long)st.st_size,
				      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
		else
			n = xasprintf("%s %s:missing", id, tools[i]);
		free(id);
		free(p);
		id = n;
	}
	return id;
}

static void hput_target(struct strbuf *h, const struct build *b)
{
	const struct gb_config *c = &b->cfg;

	hput(h, "tools %s\ngoroot %s\ntarget %s/%s arm=%s amd64=%s arm64=%s cgo=%d\n", b->tool_id, c->goroot, c->goos,
	     c->goarch, c->goarm ? c->goarm : "", c->goamd64 ? c->goamd64 : "", c->goarm64 ? c->goarm64 : "", c->cgo);
	for (size_t i = 0; i < c->tool_tags.n; i++)
		hput(h, "tag %s\n", c->tool_tags.v[i]);
	for (size_t i = 0; i < c->build_tags.n; i++)
		hput(h, "buildtag %s\n", c->build_tags.v[i]);
	for (size_t i = 0; i < c->tool_env.n; i++)
		hput(h, "env %s\n", c->tool_env.v[i]);
}

/* ---- cgo: the commands for a package that imports "C" -------------------------------------------- */

/* The package as the per-package flags see it. */
static struct gb_ppkg ppkg(const struct build *b, const struct gb_pkg *p)
{
	return (struct gb_ppkg){ p->path, p->dir, p->standard, p == b->g.main };
}

static void push_all(struct strv *dst, const struct strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		strv_push(dst, src->v[i]);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Where the build runs (-C), absolute: the -n recipe changes directory before each tool. */
static const char *build_dir(const struct build *b)
{
	return b->cwd;
}

/* cmd/go's compilerCmd: the compiler and the flags every C command of a package starts with. The
 * object directory is mapped to /tmp/go-build so that it leaves no trace in the objects. */
static void cc_prefix(const struct build *b, const struct gb_pkg *p, const char *objdir, struct strv *a)
{
	const struct gb_cc *cc = &b->cc;
	const char *arch = b->cfg.goarch;

	push_all(a, &cc->argv);
	strv_push(a, "-I");
	strv_push(a, p->dir);
	strv_push(a, "-fPIC");
	if (strcmp(arch, "amd64") == 0) {
		strv_push(a, "-m64");
	} else if (strcmp(arch, "386") == 0) {
		strv_push(a, "-m32");
	} else if (strcmp(arch, "arm") == 0) {
		strv_push(a, "-marm");
	} else if (strcmp(arch, "s390x") == 0) {
		strv_push(a, "-m64");
		strv_push(a, "-march=z13");
	} else if (strcmp(arch, "loong64") == 0) {
		strv_push(a, "-mabi=lp64d");
	}
	strv_push(a, "-pthread");
	if (cc->flags[GB_CC_NO_CARET])
		strv_push(a, "-fno-caret-diagnostics");
	if (cc->flags[GB_CC_QUNUSED])
		strv_push(a, "-Qunused-arguments");
	if (cc->flags[GB_CC_NO_GC_SECTIONS])
		strv_push(a, "-Wl,--no-gc-sections");
	strv_push(a, "-fmessage-length=0");
	if (cc->flags[GB_CC_DEBUG_PREFIX_MAP])
		strv_pushf(a, "-f%s-prefix-map=%s=/tmp/go-build", cc->flags[GB_CC_FILE_PREFIX_MAP] ? "file" : "debug", objdir);
	if (cc->flags[GB_CC_NO_RECORD_SWITCHES])
		strv_push(a, "-gno-record-gcc-switches");
}

/* cmd/go's -trimpath for C sources: the standard library's root becomes /_/GOROOT, the main module's
 * /_/<module path>, a dependency's /_/<path>@<version>, the vendor directory /_/vendor. NULL when the compiler has no prefix map. */
static char *source_prefix_map(const struct build *b, const struct gb_pkg *p)
{
	const char *kind = b->cc.flags[GB_CC_FILE_PREFIX_MAP] ? "file" : "debug";
	char *to, *out;

	if (!b->cc.flags[GB_CC_DEBUG_PREFIX_MAP] || (!b->trimpath && !p->standard))
		return NULL; /* without -trimpath only GOROOT's sources are rewritten, as go does */
	if (p->standard || !p->mod)
		return xasprintf("-f%s-prefix-map=%s=/_/GOROOT", kind, b->cfg.goroot);
	if (p->mod->vendored)
		return xasprintf("-f%s-prefix-map=%s/vendor=/_/vendor", kind, b->g.main_mod->dir);
	{ /* the module's directory (a replacement's too) becomes its path@version */
		char *mv = p->mod->version ? xasprintf("%s@%s", p->mod->path, p->mod->version) : xstrdup(p->mod->path);

		to = gb_path_join("/_", mv);
		free(mv);
	}
	out = xasprintf("-f%s-prefix-map=%s=%s", kind, p->mod->dir, to);
	free(to);
	return out;
}

/* The .syso files of p and everything it imports (the _cgo_.o link takes them all), sorted. */
static void gather_syso(const struct gb_pkg *p, bool *seen, struct strv *out)
{
	if (seen[p->index])
		return;
	seen[p->index] = true;
	for (size_t i = 0; i < p->sysofiles.n; i++) {
		char *path = xasprintf("%s/%s", p->dir, p->sysofiles.v[i]);

		if (!strv_has(out, path))
			strv_push(out, path);
		free(path);
	}
	for (size_t i = 0; i < p->ndeps; i++)
		gather_syso(p->deps[i], seen, out);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* `#cgo pkg-config:` as cmd/go runs it: $PKG_CONFIG --cflags [--options] -- PACKAGES, then --libs.
 * The output is split with #cgo's quoting rules (plain flags; shell metacharacters are not parsed). */
static int pkg_config(const struct gb_pkg *p, struct strv *cflags, struct strv *libs, struct rt_err *err)
{
	struct strv tool = STRV_INIT, opts = STRV_INIT, pkgs = STRV_INIT;
	const char *env = getenv("PKG_CONFIG");
	int rc = -1;

	for (size_t i = 0; i < p->cgo.pkgconfig.n; i++)
		strv_push(strncmp(p->cgo.pkgconfig.v[i], "--", 2) == 0 ? &opts : &pkgs, p->cgo.pkgconfig.v[i]);
	if (gb_split_quoted(env && *env ? env : "pkg-config", &tool, err) != 0 || tool.n == 0) {
		rt_errf(err, RT_EXIT_ENV, "the PKG_CONFIG environment variable could not be parsed");
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		struct strv argv = STRV_INIT;
		char *out = NULL;
		int status;

		push_all(&argv, &tool);
		strv_push(&argv, pass ? "--libs" : "--cflags");
		push_all(&argv, &opts);
		strv_push(&argv, "--");
		push_all(&argv, &pkgs);
		if (gb_run_capture(argv.v, p->dir, NULL, &out, &status) != 0) {
			rt_errf(err, RT_EXIT_ENV, "package %s: cannot run '%s' for #cgo pkg-config: %s", p->path, tool.v[0],
				strerror(errno));
			strv_release(&argv);
			goto out;
		}
		strv_release(&argv);
		if (status != 0) {
			fprintf(stderr, "# %s\n%s", p->path, out);
			rt_errf(err, RT_EXIT_BUILD, "package %s: %s %s failed (status %d)", p->path, tool.v[0],
				pass ? "--libs" : "--cflags", status);
			free(out);
			goto out;
		}
		if (gb_split_cgo_args(out, pass ? libs : cflags) != 0) {
			rt_errf(err, RT_EXIT_BUILD, "package %s: cannot split the output of %s: %s", p->path, tool.v[0], out);
			free(out);
			goto out;
		}
		free(out);
	}
	rc = 0;
out:
	strv_release(&tool);
	strv_release(&opts);
	strv_release(&pkgs);
	return rc;
}

/* A .S file the C compiler is to assemble must not be Go assembly (cmd/go's check). */
static bool is_go_asm(const char *path)
{
	char *src = rt_slurp(path);
	bool go = false;

	if (!src)
		return false;
	for (const char *const *w = (const char *const[]){ "TEXT", "DATA", "GLOBL", NULL }; *w && !go; w++) {
		char *nl = xasprintf("\n%s", *w);

		go = strncmp(src, *w, strlen(*w)) == 0 || strstr(src, nl) != NULL;
		free(nl);
	}
	free(src);
	return go;
}

static struct strv *add_cc(struct job *j, const char *cwd)
{
	j->cc_argvs = xrealloc(j->cc_argvs, (j->ncc + 1) * sizeof(*j->cc_argvs));
	j->cc_cwds = xrealloc(j->cc_cwds, (j->ncc + 1) * sizeof(*j->cc_cwds));
	memset(&j->cc_argvs[j->ncc], 0, sizeof(j->cc_argvs[j->ncc]));
	j->cc_cwds[j->ncc] = xstrdup(cwd);
	return &j->cc_argvs[j->ncc++];
}

/*
 * The commands cmd/go runs for a package that imports "C" (runCgo, the "cgo compile" actions, dynimport),
 * into j->cgo_argv, j->cc_argvs (the C files as _x001.o..., then _cgo_main.o, then the _cgo_.o link) and
 * j->dyn_argv; j->cgo_objs receives what goes into the archive. `gccs` are the assembly files for gcc.
 * The -frandom-seed values are "@SEED@" (per file) and "@ACTION@" until the action ID is known.
 */
static int plan_cgo_argvs(struct build *b, struct job *j, const struct strv *gccs, struct rt_err *err)
{
	const struct gb_config *c = &b->cfg;
	struct gb_pkg *p = j->p;
	struct strv cppflags = STRV_INIT, cflags = STRV_INIT, ldflags = STRV_INIT, srcs = STRV_INIT, sysos = STRV_INIT;
	struct strv pc_cflags = STRV_INIT, pc_libs = STRV_INIT;
	char *objdir_slash = xasprintf("%s/", j->objdir), *pmap = NULL;
	bool std_cgo = p->standard && strcmp(p->path, "runtime/cgo") == 0, *seen;
	struct strv *a;
	int rc = -1;

	if (p->cgo.pkgconfig.n && pkg_config(p, &pc_cflags, &pc_libs, err) != 0)
		goto out;
	push_all(&cppflags, &b->env_cppflags);
	push_all(&cppflags, &p->cgo.cppflags);
	push_all(&cppflags, &pc_cflags);
	strv_push(&cppflags, "-I");
	strv_push(&cppflags, objdir_slash);
	push_all(&cflags, &b->env_cflags);
	push_all(&cflags, &p->cgo.cflags);
	push_all(&ldflags, &b->env_ldflags);
	push_all(&ldflags, &p->cgo.ldflags);
	push_all(&ldflags, &pc_libs);
	/* Flags the internal linker cannot cope with leave a "preferlinkext" hint in the archive. cmd/go
	 * also counts any flag outside its allow-list; only LTO and plugins are recognised here. */
	for (size_t i = 0; i < cflags.n; i++)
		if (strncmp(cflags.v[i], "-flto", 5) == 0 || strncmp(cflags.v[i], "-fplugin", 8) == 0)
			j->preferlinkext = true;

	a = &j->cgo_argv;
	strv_pushf(a, "%s/cgo", c->tooldir);
	strv_push(a, "-objdir");
	strv_push(a, objdir_slash);
	strv_push(a, "-importpath");
	strv_push(a, p->path);
	if (std_cgo)
		strv_push(a, "-import_runtime_cgo=false");
	if (p->standard && (std_cgo || strcmp(p->path, "runtime/race") == 0 || strcmp(p->path, "runtime/msan") == 0 ||
			    strcmp(p->path, "runtime/asan") == 0))
		strv_push(a, "-import_syscall=false");
	j->cgo_ldflags = ldflags.n > 0;
	if (ldflags.n) {
		struct strbuf q = STRBUF_INIT;

		strbuf_adds(&q, "-ldflags=");
		for (size_t i = 0; i < ldflags.n; i++) {
			char *one = gb_go_quote(ldflags.v[i], strlen(ldflags.v[i]));

			strbuf_addf(&q, "%s%s", i ? " " : "", one);
			free(one);
		}
		strv_push(a, q.buf);
		strbuf_release(&q);
	}
	strv_push(a, "--");
	push_all(a, &cppflags);
	push_all(a, &cflags);
	for (size_t i = 0; i < p->cgofiles.n; i++)
		strv_pushf(a, "%s/%s", p->dir, p->cgofiles.v[i]);

	/* The C compiles in cmd/go's order: _cgo_export.c, the .cgo2.c files, assembly, C. */
	strv_pushf(&srcs, "%s/_cgo_export.c", j->objdir);
	for (size_t i = 0; i < p->cgofiles.n; i++)
		strv_pushf(&srcs, "%s/%.*s.cgo2.c", j->objdir, (int)(strlen(p->cgofiles.v[i]) - 3), p->cgofiles.v[i]);
	for (size_t i = 0; i < gccs->n; i++) {
		char *path = xasprintf("%s/%s", p->dir, gccs->v[i]);

		if (is_go_asm(path)) {
			rt_errf(err, RT_EXIT_BUILD, "package using cgo has Go assembly file %s", path);
			free(path);
			goto out;
		}
		strv_push(&srcs, path);
		free(path);
	}
	for (size_t i = 0; i < p->cfiles.n; i++)
		strv_pushf(&srcs, "%s/%s", p->dir, p->cfiles.v[i]);
	pmap = source_prefix_map(b, p);
	if (j->preferlinkext)
		strv_pushf(&j->cgo_objs, "%s/preferlinkext", j->objdir);
	for (size_t k = 0; k <= srcs.n; k++) {
		bool main_c = k == srcs.n; /* _cgo_main.c, compiled for the dynamic-import link only */
		char *src = main_c ? xasprintf("%s/_cgo_main.c", j->objdir) : xstrdup(srcs.v[k]);
		char *dir = xstrndup(src, (size_t)(base_name(src) - 1 - src));
		char *o = main_c ? xasprintf("%s/_cgo_main.o", j->objdir) : xasprintf("%s/_x%03zu.o", j->objdir, k + 1);

		a = add_cc(j, dir);
		cc_prefix(b, p, j->objdir, a);
		push_all(a, &cppflags);
		push_all(a, &cflags);
		if (pmap)
			strv_push(a, pmap);
		if (b->cc.flags[GB_CC_RANDOM_SEED])
			strv_push(a, main_c ? "-frandom-seed=@ACTION@" : "-frandom-seed=@SEED@");
		strv_push(a, "-o");
		strv_push(a, o);
		strv_push(a, "-c");
		strv_push(a, base_name(src));
		if (!main_c)
			strv_push(&j->cgo_objs, o);
		free(src);
		free(dir);
		free(o);
	}
	j->ncc_src = srcs.n;

	/* The dynamic-import link, run where the build runs. */
	seen = xcalloc(b->g.npkgs, sizeof(*seen));
	gather_syso(p, seen, &sysos);
	free(seen);
	if (sysos.n)
		qsort(sysos.v, sysos.n, sizeof(char *), cmp_strp);
	if (strcmp(c->goarch, "arm") == 0) {
		/* cmd/go links _cgo_.o as PIE on linux/arm, without -static then */
		if (!strv_has(&ldflags, "-no-pie"))
			strv_push(&ldflags, "-pie");
		if (strv_has(&ldflags, "-pie") && strv_has(&ldflags, "-static")) {
			struct strv kept = STRV_INIT;

			for (size_t i = 0; i < ldflags.n; i++)
				if (strcmp(ldflags.v[i], "-static") != 0)
					strv_push(&kept, ldflags.v[i]);
			strv_release(&ldflags);
			ldflags = kept;
		}
	}
	a = add_cc(j, build_dir(b));
	cc_prefix(b, p, j->objdir, a);
	strv_push(a, "-o");
	strv_pushf(a, "%s/_cgo_.o", j->objdir);
	strv_pushf(a, "%s/_cgo_main.o", j->objdir);
	push_all(a, &j->cgo_objs);
	push_all(a, &sysos);
	push_all(a, &ldflags);

	a = &j->dyn_argv;
	strv_pushf(a, "%s/cgo", c->tooldir);
	strv_push(a, "-dynpackage");
	strv_push(a, p->name);
	strv_push(a, "-dynimport");
	strv_pushf(a, "%s/_cgo_.o", j->objdir);
	strv_push(a, "-dynout");
	strv_pushf(a, "%s/_cgo_import.go", j->objdir);
	if (std_cgo)
		strv_push(a, "-dynlinker");
	rc = 0;
out:
	strv_release(&cppflags);
	strv_release(&cflags);
	strv_release(&ldflags);
	strv_release(&srcs);
	strv_release(&sysos);
	strv_release(&pc_cflags);
	strv_release(&pc_libs);
	free(objdir_slash);
	free(pmap);
	return rc;
}

/* The values a C compile's -frandom-seed takes: like cmd/go, derived from the action ID (per file). */
static void fill_seeds(struct job *j)
{
	for (size_t k = 0; k < j->ncc; k++)
		for (size_t i = 0; i < j->cc_argvs[k].n; i++) {
			char **arg = &j->cc_argvs[k].v[i];

			if (strcmp(*arg, "-frandom-seed=@ACTION@") == 0) {
				free(*arg);
				*arg = xasprintf("-frandom-seed=%s", j->action_id);
			} else if (strcmp(*arg, "-frandom-seed=@SEED@") == 0) {
				char *key = xasprintf("%s cgo compile %s", j->action_id, j->cc_argvs[k].v[j->cc_argvs[k].n - 1]);
				uint8_t h[32];
				char seed[GB_ID_LEN + 1];

				gb_sha256(key, strlen(key), h);
				gb_hash_to_string(h, seed);
				free(key);
				free(*arg);
				*arg = xasprintf("-frandom-seed=%s", seed);
			}
		}
}

static struct step *add_exec(struct job *j, const struct strv *argv, const char *cwd, bool term)
{
	struct step *s = add_step(j, S_EXEC, NULL);

	push_all(&s->argv, argv);
	s->cwd = cwd ? xstrdup(cwd) : NULL;
	if (term)
		strv_push(&s->env, "TERM=dumb"); /* cmd/go's cCompilerEnv */
	return s;
}

/* The steps of the cgo part, in cmd/go's order, up to _cgo_import.go. */
static void add_cgo_steps(struct build *b, struct job *j)
{
	struct step *s;

	s = add_exec(j, &j->cgo_argv, j->p->dir, true);
	if (j->cgo_ldflags)
		strv_push(&s->env, "CGO_LDFLAGS=");
	for (size_t k = 0; k < j->ncc; k++) {
		if (k == j->ncc - 1 && j->preferlinkext) {
			s = add_step(j, S_WRITE, NULL);
			s->path = xasprintf("%s/preferlinkext", j->objdir);
			s->data = xstrdup("");
		}
		s = add_exec(j, &j->cc_argvs[k], j->cc_cwds[k], true);
		s->probe = k == j->ncc - 1; /* the _cgo_.o link may fail: then no dynamic imports */
	}
	s = add_exec(j, &j->dyn_argv, build_dir(b), true);
	s->cond = C_DYN_OK;
	s = add_step(j, S_WRITE, NULL);
	s->path = xasprintf("%s/dynimportfail", j->objdir);
	s->data = xstrdup("");
	s->cond = C_DYN_FAIL;
}

/* ---- the compile action of one package ----------------------------------------------------------- */

static const char *trim_target(const struct gb_pkg *p, char **owned)
{
	/* -trimpath rewrites the package directory to its import path (module@version/... for a
	 * versioned dependency) and drops the object directory. */
	*owned = NULL;
	if (p->mod && p->mod->version && !p->standard) {
		*owned = xasprintf("%s@%s%s", p->mod->path, p->mod->version, p->path + strlen(p->mod->path));
		return *owned;
	}
	return p->path;
}

/* Environment the C compiler and linker read (hashed into cgo packages' action IDs). */
static const char *const cc_env[] = { "CPATH", "C_INCLUDE_PATH", "LIBRARY_PATH", "COMPILER_PATH", "GCC_EXEC_PREFIX",
				      "PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR", NULL };

/* The compile step; for a cgo package two, for either outcome of the dynamic-import link (without it,
 * no _cgo_import.go). */
static void add_compile_steps(struct build *b, struct job *j)
{
	bool cgo = j->p->cgofiles.n > 0;
	struct step *s;

	(void)b;
	s = add_exec(j, &j->compile_argv, j->p->dir, false);
	if (!cgo)
		return;
	s->cond = C_DYN_OK;
	s = add_exec(j, &j->compile_argv, j->p->dir, false);
	s->cond = C_DYN_FAIL;
	free(s->argv.v[--s->argv.n]); /* _cgo_import.go is the last file */
	s->argv.v[s->argv.n] = NULL;
}

static int plan_package(struct build *b, struct job *j, struct rt_err *err)
{
	const struct gb_config *c = &b->cfg;
	struct gb_pkg *p = j->p;
	struct strbuf h = STRBUF_INIT;
	struct strv embed_files = STRV_INIT, objs = STRV_INIT, goasm = STRV_INIT, gccs = STRV_INIT;
	struct strbuf icfg = STRBUF_INIT;
	char *embedcfg = NULL, *trimarg, *owned;
	bool cgo = p->cgofiles.n > 0;
	bool ext = p->sfiles.n || p->sysofiles.n || cgo;
	struct step *s;
	int rc = -1;

	/* In a cgo package gcc assembles the .S files; only runtime/cgo also has Go assembly (the files
	 * not named gcc_*). */
	for (size_t i = 0; i < p->sfiles.n; i++) {
		bool gcc = cgo && (!p->standard || strcmp(p->path, "runtime/cgo") != 0 ||
				   strncmp(p->sfiles.v[i], "gcc_", 4) == 0);

		strv_push(gcc ? &gccs : &goasm, p->sfiles.v[i]);
	}

	/* importcfg: every direct import, with importmap where the written path differs. */
	strbuf_adds(&icfg, "# import config\n");
	for (size_t i = 0; i < p->ndeps; i++) {
		if (strcmp(p->imports.v[i], p->deps[i]->path) != 0)
			strbuf_addf(&icfg, "importmap %s=%s\n", p->imports.v[i], p->deps[i]->path);
		strbuf_addf(&icfg, "packagefile %s=%s\n", p->deps[i]->path, b->jobs[p->deps[i]->index].archive);
	}

	if (p->embeds.n && gb_embed_resolve(p->dir, &p->embeds, &embedcfg, &embed_files, err) != 0)
		goto out;

	/* without -trimpath only the object directory is stripped (the compiler hides GOROOT itself) */
	if (b->trimpath) {
		trimarg = xasprintf("%s=>%s;%s=>", p->dir, trim_target(p, &owned), j->objdir);
		free(owned);
	} else {
		trimarg = xasprintf("%s=>", j->objdir);
	}

	/* compile argv (cmd/go/internal/work/gc.go) */
	{
		struct strv *a = &j->compile_argv;
		char *ncpu;
		static long n; /* one read of /sys/devices/system/cpu/online, not one a package */
		bool complete = !ext;

		if (!n)
			n = sysconf(_SC_NPROCESSORS_ONLN);

		/* go build lets the compiler know these std packages have assembly-like bodies elsewhere. */
		if (p->standard) {
			static const char *const partial[] = { "bytes", "internal/poll", "net", "os", "runtime/metrics",
							       "runtime/pprof", "runtime/trace", "sync", "syscall", "time" };

			for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++)
				if (strcmp(p->path, partial[i]) == 0)
					complete = false;
		}
		strv_pushf(a, "%s/compile", c->tooldir);
		strv_push(a, "-o");
		strv_pushf(a, "%s/_pkg_.a", j->objdir);
		strv_push(a, "-trimpath");
		strv_push(a, trimarg);
		strv_push(a, "-p");
		strv_push(a, strcmp(p->name, "main") == 0 ? "main" : p->path);
		strv_pushf(a, "-lang=%s", p->lang);
		if (p->standard)
			strv_push(a, "-std");
		if (complete)
			strv_push(a, "-complete");
		if (b->pie) { /* cmd/go's InstallSuffix for a codegen flag */
			strv_push(a, "-installsuffix");
			strv_push(a, "shared");
		}
		strv_push(a, "-buildid");
		strv_push(a, "@BUILDID@"); /* filled once the action ID is known */
		strv_push(a, "-goversion");
		strv_push(a, c->version);
		if (b->pgo_profile)
			strv_pushf(a, "-pgoprofile=%s", b->pgo_profile);
		if (goasm.n) {
			strv_push(a, "-symabis");
			strv_pushf(a, "%s/symabis", j->objdir);
		}
		ncpu = xasprintf("-c=%ld", n > 4 ? 4 : n);
		if (n > 1)
			strv_push(a, ncpu);
		free(ncpu);
		{
			struct gb_ppkg pk = ppkg(b, p);
			const struct strv *gc = gb_ppflag_for(&b->gcflags, b->cwd, &pk);

			if (b->pie) /* cmd/go's forced codegen flag, before the user's */
				strv_push(a, "-shared");
			push_all(a, gc);
		}
		strv_push(a, "-nolocalimports");
		strv_push(a, "-importcfg");
		strv_pushf(a, "%s/importcfg", j->objdir);
		if (embedcfg) {
			strv_push(a, "-embedcfg");
			strv_pushf(a, "%s/embedcfg", j->objdir);
		}
		strv_push(a, "-pack");
		if (goasm.n) {
			strv_push(a, "-asmhdr");
			strv_pushf(a, "%s/go_asm.h", j->objdir);
		}
		for (size_t i = 0; i < p->gofiles.n; i++)
			strv_pushf(a, "%s/%s", p->dir, p->gofiles.v[i]);
		if (cgo) {
			strv_pushf(a, "%s/_cgo_gotypes.go", j->objdir);
			for (size_t i = 0; i < p->cgofiles.n; i++)
				strv_pushf(a, "%s/%.*s.cgo1.go", j->objdir, (int)(strlen(p->cgofiles.v[i]) - 3), p->cgofiles.v[i]);
			strv_pushf(a, "%s/_cgo_import.go", j->objdir);
		}
	}
	if (cgo && plan_cgo_argvs(b, j, &gccs, err) != 0)
		goto out_trim;

	/* the action ID: everything that decides the archive's content */
	hput(&h, "rt0trace compile 1\n");
	hput_target(&h, b);
	hput(&h, "pkg %s dir %s\n", p->path, p->dir);
	if (b->pgo_hash)
		hput(&h, "pgo %s\n", b->pgo_hash);
	hput_argv(&h, b, &j->compile_argv);
	for (size_t i = 0; i < p->ndeps; i++) {
		char hex[65];

		sha256_hex(b->jobs[p->deps[i]->index].content, hex);
		hput(&h, "import %s %s %s\n", p->imports.v[i], p->deps[i]->path, hex);
	}
	if (cgo) {
		/* The C side: the compiler's identity, every C command (flags from the environment, #cgo
		 * lines and pkg-config included), the environment gcc reads, and (below) the C sources,
		 * headers and the .syso files the dynamic-import link takes. */
		hput(&h, "cc %s\n", b->cc.id);
		hput_argv(&h, b, &j->cgo_argv);
		for (size_t k = 0; k < j->ncc; k++)
			hput_argv(&h, b, &j->cc_argvs[k]);
		hput_argv(&h, b, &j->dyn_argv);
		for (const char *const *e = cc_env; *e; e++)
			hput(&h, "ccenv %s=%s\n", *e, getenv(*e) ? getenv(*e) : "");
		for (size_t k = 0; k < j->cc_argvs[j->ncc - 1].n; k++) {
			const char *arg = j->cc_argvs[j->ncc - 1].v[k];
			size_t n = strlen(arg);

			if (n > 5 && strcmp(arg + n - 5, ".syso") == 0 && hput_file(b, &h, p, "syso", arg, err) != 0) {
				strbuf_release(&h);
				goto out_trim;
			}
		}
	}
	{
		const struct strv *lists[] = { &p->gofiles, &p->sfiles, &p->sysofiles, &p->cgofiles, &p->cfiles, &p->hfiles };

		for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
			for (size_t k = 0; k < lists[l]->n; k++) {
				char *path = xasprintf("%s/%s", p->dir, lists[l]->v[k]);
				int r = hput_file(b, &h, p, "file", path, err);

				free(path);
				if (r != 0) {
					strbuf_release(&h);
					goto out_trim;
				}
			}
	}
	for (size_t i = 0; i < embed_files.n; i++) {
		char *path = xasprintf("%s/%s", p->dir, embed_files.v[i]);
		int r;

		hput(&h, "embed %s\n", embed_files.v[i]);
		r = hput_file(b, &h, p, "embedfile", path, err);
		free(path);
		if (r != 0) {
			strbuf_release(&h);
			goto out_trim;
		}
	}
	finish_action(j, &h);
	snprintf(j->buildid, sizeof(j->buildid), "%s/%s", j->action_id, j->action_id);
	fill_seeds(j);
	for (size_t i = 0; i < j->compile_argv.n; i++)
		if (strcmp(j->compile_argv.v[i], "@BUILDID@") == 0) {
			free(j->compile_argv.v[i]);
			j->compile_argv.v[i] = xstrdup(j->buildid);
		}

	if (cache_lookup(b, j, 'a')) {
		j->cached = true;
		rc = 0;
		goto out_trim;
	}

	/* the steps */
	add_step(j, S_MKDIR, j->objdir);
	if (cgo)
		add_cgo_steps(b, j);
	s = add_step(j, S_WRITE, NULL);
	s->path = xasprintf("%s/importcfg", j->objdir);
	s->data = strbuf_detach(&icfg, &s->len);
	if (embedcfg) {
		s = add_step(j, S_WRITE, NULL);
		s->path = xasprintf("%s/embedcfg", j->objdir);
		s->data = embedcfg;
		s->len = strlen(embedcfg);
		embedcfg = NULL;
	}
	if (goasm.n) {
		struct strv base = STRV_INIT;

		s = add_step(j, S_WRITE, NULL);
		s->path = xasprintf("%s/go_asm.h", j->objdir);
		s->data = xstrdup("");
		strv_pushf(&base, "%s/asm", c->tooldir);
		strv_push(&base, "-p");
		strv_push(&base, strcmp(p->name, "main") == 0 ? "main" : p->path);
		strv_push(&base, "-trimpath");
		strv_push(&base, trimarg);
		strv_push(&base, "-I");
		strv_pushf(&base, "%s/", j->objdir);
		strv_push(&base, "-I");
		strv_pushf(&base, "%s/pkg/include", c->goroot);
		strv_push(&base, "-D");
		strv_pushf(&base, "GOOS_%s", c->goos);
		strv_push(&base, "-D");
		strv_pushf(&base, "GOARCH_%s", c->goarch);
		{
			struct gb_ppkg pk = ppkg(b, p);

			if (b->pie)
				strv_push(&base, "-shared");
			push_all(&base, gb_ppflag_for(&b->asmflags, b->cwd, &pk));
		}
		if (c->goamd64) {
			strv_push(&base, "-D");
			strv_pushf(&base, "GOAMD64_%s", c->goamd64);
		}
		if (c->goarm) {
			/* cmd/go's asmArgs: GOARM_7 implies GOARM_6 and GOARM_5 */
			for (int v = c->goarm[0] - '0'; v >= 5; v--) {
				strv_push(&base, "-D");
				strv_pushf(&base, "GOARM_%d", v);
			}
		}
		if (c->goarm64 && (strstr(c->goarm64, ",lse") || strcmp(c->goarm64, "v8.1") >= 0)) {
			strv_push(&base, "-D");
			strv_push(&base, "GOARM64_LSE");
		}
		s = add_step(j, S_EXEC, NULL);
		for (size_t i = 0; i < base.n; i++)
			strv_push(&s->argv, base.v[i]);
		strv_push(&s->argv, "-gensymabis");
		strv_push(&s->argv, "-o");
		strv_pushf(&s->argv, "%s/symabis", j->objdir);
		for (size_t i = 0; i < goasm.n; i++)
			strv_pushf(&s->argv, "./%s", goasm.v[i]);
		s->cwd = xstrdup(p->dir);
		add_compile_steps(b, j);
		for (size_t k = 0; k < goasm.n; k++) {
			char *o = xasprintf("%s/%.*s.o", j->objdir, (int)(strlen(goasm.v[k]) - 2), goasm.v[k]);
			char *joined;

			s = add_step(j, S_EXEC, NULL);
			for (size_t i = 0; i < base.n; i++)
				strv_push(&s->argv, base.v[i]);
			strv_push(&s->argv, "-o");
			strv_push(&s->argv, o);
			strv_pushf(&s->argv, "./%s", goasm.v[k]);
			s->cwd = xstrdup(p->dir);
			strv_push(&objs, o);
			joined = xstrdup("");
			for (size_t i = 0; i < s->argv.n; i++) {
				char *n = xasprintf("%s%s%s", joined, i ? "\t" : "", s->argv.v[i]);

				free(joined);
				joined = n;
			}
			strv_push(&j->asm_argvs, joined);
			free(joined);
			free(o);
		}
		strv_release(&base);
	} else {
		add_compile_steps(b, j);
	}
	/* The archive gets the Go assembly objects, then the C ones, then the .syso files; when the
	 * dynamic-import link failed, the "dynimportfail" marker after the C objects. */
	push_all(&objs, &j->cgo_objs);
	for (int variant = 0; variant < (cgo ? 2 : 1); variant++) {
		size_t n = objs.n;

		if (variant == 1)
			strv_pushf(&objs, "%s/dynimportfail", j->objdir);
		for (size_t i = 0; i < p->sysofiles.n; i++)
			strv_pushf(&objs, "%s/%s", p->dir, p->sysofiles.v[i]);
		if (objs.n) {
			s = add_step(j, S_PACK, NULL);
			s->path = xasprintf("%s/_pkg_.a", j->objdir);
			for (size_t i = 0; i < objs.n; i++)
				strv_push(&s->argv, objs.v[i]);
			s->cond = !cgo ? C_ALWAYS : variant ? C_DYN_FAIL : C_DYN_OK;
		}
		while (objs.n > n)
			free(objs.v[--objs.n]);
		if (objs.v)
			objs.v[objs.n] = NULL;
	}
	s = add_step(j, S_BUILDID, NULL);
	s->path = xasprintf("%s/_pkg_.a", j->objdir);
	j->result = xasprintf("%s/_pkg_.a", j->objdir);
	rc = 0;
out_trim:
	free(trimarg);
out:
	strbuf_release(&icfg);
	free(embedcfg);
	strv_release(&embed_files);
	strv_release(&objs);
	strv_release(&goasm);
	strv_release(&gccs);
	return rc;
}

/* ---- the link ------------------------------------------------------------------------------------- */

static int plan_link(struct build *b, struct job *j, struct rt_err *err)
{
	const struct gb_config *c = &b->cfg;
	const struct job *mainj = &b->jobs[b->g.main->index];
	struct strbuf h = STRBUF_INIT;
	struct strbuf cfg = STRBUF_INIT;
	char *q, *exe = xasprintf("%s/exe/a.out", j->objdir);
	struct step *s;
	struct strv argv = STRV_INIT;

	(void)err;
	strbuf_adds(&cfg, "# import config\n");
	for (size_t i = b->g.npkgs; i-- > 0;)
		strbuf_addf(&cfg, "packagefile %s=%s\n", b->g.pkgs[i]->path, b->jobs[i].archive);
	q = gb_go_quote(b->modinfo, b->modinfo_len);
	strbuf_addf(&cfg, "modinfo %s\n", q);
	free(q);

	strv_pushf(&argv, "%s/link", c->tooldir);
	strv_push(&argv, "-o");
	strv_push(&argv, exe);
	strv_push(&argv, "-importcfg");
	strv_pushf(&argv, "%s/importcfg.link", j->objdir);
	if (b->pie) {
		strv_push(&argv, "-installsuffix");
		strv_push(&argv, "shared");
	}
	/* GOROOT commands carry their own build ID as cmd/internal/objabi.buildID (cmd/go: for staleness
	 * checks; no Linux target must link externally without cgo, so it is always set here) */
	if (b->g.main->standard && strncmp(b->g.main->path, "cmd/", 4) == 0)
		strv_push(&argv, "@OBJABI@");
	if (*b->godebug)
		strv_pushf(&argv, "-X=runtime.godebugDefault=%s", b->godebug);
	strv_push(&argv, b->pie ? "-buildmode=pie" : "-buildmode=exe");
	strv_push(&argv, "@BUILDID@");
	/* -ldflags, then -extld=$CC unless they name a linker (cmd/go's setextld). */
	push_all(&argv, &b->ldflags);
	{
		bool has_extld = false;

		for (size_t i = 0; i < b->ldflags.n; i++)
			has_extld = has_extld || strcmp(b->ldflags.v[i], "-extld") == 0 ||
				    strncmp(b->ldflags.v[i], "-extld=", 7) == 0;
		if (!has_extld) {
			char *joined = gb_join_quoted(&b->cc.argv);

			strv_pushf(&argv, "-extld=%s", joined);
			free(joined);
		}
	}
	strv_push(&argv, mainj->archive);

	hput(&h, "rt0trace link 1\n");
	hput_target(&h, b);
	hput(&h, "GOROOT=%s\n", b->trimpath ? "" : b->cfg.goroot); /* the linker's environment */
	/* An external link runs the C compiler as linker. */
	if (b->need_cc)
		hput(&h, "cc %s\n", b->cc.id);
	for (size_t i = 0; i < argv.n; i++)
		if (i != argv.n - 1 && strcmp(argv.v[i], exe) != 0)
			hput(&h, "arg %s\n", strstr(argv.v[i], b->work) ? "(work)" : argv.v[i]);
	hput(&h, "modinfo %zu\n", b->modinfo_len);
	strbuf_add(&h, b->modinfo, b->modinfo_len);
	for (size_t i = 0; i < b->g.npkgs; i++) {
		char hex[65];

		sha256_hex(b->jobs[i].content, hex);
		hput(&h, "package %s %s\n", b->g.pkgs[i]->path, hex);
	}
	finish_action(j, &h);
	/* linkActionID/mainActionID/mainContentID/contentID, the last one fixed by buildid -w */
	snprintf(j->buildid, sizeof(j->buildid), "%s/%.*s/%s", j->action_id, 2 * GB_ID_LEN + 1, mainj->buildid,
		 j->action_id);
	for (size_t i = 0; i < argv.n; i++)
		if (strcmp(argv.v[i], "@BUILDID@") == 0) {
			free(argv.v[i]);
			argv.v[i] = xasprintf("-buildid=%s", j->buildid);
		} else if (strcmp(argv.v[i], "@OBJABI@") == 0) {
			free(argv.v[i]);
			argv.v[i] = xasprintf("-X=cmd/internal/objabi.buildID=%s", j->buildid);
		}
	j->compile_argv = argv; /* the manifest's link argv */

	if (cache_lookup(b, j, 'x')) {
		j->cached = true;
		strbuf_release(&cfg);
		free(exe);
		return 0;
	}
	add_step(j, S_MKDIR, j->objdir);
	s = add_step(j, S_WRITE, NULL);
	s->path = xasprintf("%s/importcfg.link", j->objdir);
	s->data = strbuf_detach(&cfg, &s->len);
	s = add_step(j, S_MKDIR, NULL);
	s->path = xasprintf("%s/exe", j->objdir);
	s = add_step(j, S_EXEC, NULL);
	for (size_t i = 0; i < argv.n; i++)
		strv_push(&s->argv, argv.v[i]);
	/* With -trimpath the linker records no GOROOT (runtime.GOROOT() then reports ""). */
	strv_pushf(&s->env, "GOROOT=%s", b->trimpath ? "" : b->cfg.goroot);
	s->cwd = xstrdup(build_dir(b));
	s = add_step(j, S_BUILDID, exe);
	j->result = exe;
	return 0;
}

/* ---- running ------------------------------------------------------------------------------------- */

static const char *job_name(const struct build *b, const struct job *j)
{
	return j->p ? j->p->path : b->g.main->path;
}

static int spawn(struct build *b, struct job *j, struct step *s, struct rt_err *err)
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

static void print_output(const struct build *b, struct job *j)
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
	char *path = cache_path(b, j->action, 'o'), *text = rt_slurp(path);

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
			show_step(b, s, stderr, false);
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
			return spawn(b, j, s, err) == 0 ? 1 : -1;
		}
	}
	return 0;
}

static int finish_job(struct build *b, struct job *j, struct rt_err *err);

/* Starts a job whose imports are built: plans it (which may find it cached) and runs it. */
static int start_job(struct build *b, struct job *j, struct rt_err *err)
{
	int r;

	if ((j->p ? plan_package(b, j, err) : plan_link(b, j, err)) != 0)
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
		char *out = j->shown.len ? cache_path(b, j->action, 'o') : NULL;
		struct rt_outfile o = { 0 };

		if (out) {
			*strrchr(out, '/') = '\0';
			rt_mkdir_p(out); /* cache_write says why when it still fails */
			out[strlen(out)] = '/';
		}
		if (out && cache_write(out, NULL, j->shown.buf, &o) != 0) {
			rt_errf(err, RT_EXIT_ENV, "cannot write the build cache '%s': %s", out, rt_outfile_error(&o, errno));
			free(out);
			return -1;
		}
		free(out);
		if (cache_store(b, j, j->p ? 'a' : 'x', err) != 0)
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
				print_output(b, j);
			j->dynfail = true;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			const struct step *s = &j->steps[j->next - 1];
			const char *tool = base_name(s->argv.v[0]);

			if (b->tty)
				fputs("\r\033[K", stderr);
			print_output(b, j);
			if (WIFSIGNALED(status))
				rt_errf(err, RT_EXIT_BUILD, "build failed: %s of %s was killed by signal %d", tool,
					job_name(b, j), WTERMSIG(status));
			else
				rt_errf(err, RT_EXIT_BUILD, "build failed: %s of %s exited with status %d", tool,
					job_name(b, j), WEXITSTATUS(status));
			rc = -1;
			break;
		} else {
			print_output(b, j);
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

/* -n: the whole recipe, in dependency order, with nothing run. */
static int print_recipe(struct build *b, struct rt_err *err)
{
	FILE *f = stdout;

	fprintf(f, "#!/bin/sh\n# rt0trace build -n: the commands that build %s\nset -e\n", b->g.main->path);
	fprintf(f, "RT0TRACE=${RT0TRACE:-%s}\nWORK=$(mktemp -d)\nCACHE=%s\n", b->o->self ? b->o->self : "rt0trace",
		b->cache);
	for (size_t i = 0; i < b->tool_env.n; i++) {
		const char *eq = strchr(b->tool_env.v[i], '=');

		fprintf(f, "export %.*s=", (int)(eq - b->tool_env.v[i]), b->tool_env.v[i]);
		put_word(b, f, eq + 1);
		fputc('\n', f);
	}
	for (size_t i = 0; i < b->npgo_steps; i++)
		show_step(b, &b->pgo_steps[i], f, true);
	for (size_t i = 0; i < b->njobs; i++) {
		struct job *j = &b->jobs[i];

		if ((j->p ? plan_package(b, j, err) : plan_link(b, j, err)) != 0)
			return -1;
		if (!j->cached) {
			/* Stand-ins so dependents can be planned: the archive stays in $WORK. */
			j->archive = xstrdup(j->result);
			memcpy(j->content, j->action, 32);
		}
		for (size_t k = 0; k < j->nsteps; k++)
			show_step(b, &j->steps[k], f, true);
	}
	fputs("mkdir -p ", f);
	{
		char *d = xstrdup(b->out), *slash = strrchr(d, '/');

		if (slash)
			*slash = '\0';
		put_word(b, f, slash ? d : ".");
		free(d);
	}
	fputs("\ncp ", f);
	put_word(b, f, b->jobs[b->njobs - 1].archive);
	fputc(' ', f);
	put_word(b, f, b->out);
	fputs("\nrm -rf \"$WORK\"\n", f);
	return fflush(f) == 0 ? 0 : rt_errf(err, RT_EXIT_ENV, "cannot write the recipe: %s", strerror(errno));
}

/* ---- output and manifest ------------------------------------------------------------------------- */

/* The Go build ID of the executable at path (a regular file, not a link) and its size; NULL when none. */
static char *exe_build_id(const char *path, uint64_t *size)
{
	struct rt_elf *e;
	struct stat st;
	char *id;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || rt_elf_open(&e, path, NULL) != 0)
		return NULL;
	id = rt_go_build_id(e);
	*size = e->file_size;
	rt_elf_free(e);
	return id;
}

/* Whether the file at `to` is the executable at `from`: the same size and Go build ID (whose last part
 * is the hash of the content). */
static bool same_binary(const char *from, const char *to)
{
	uint64_t na = 0, nb = 0;
	char *b = exe_build_id(to, &nb), *a = b ? exe_build_id(from, &na) : NULL;
	bool same = a && na == nb && strcmp(a, b) == 0;

	free(a);
	free(b);
	return same;
}

static int install(struct build *b, struct rt_err *err)
{
	const char *from = b->jobs[b->njobs - 1].archive;
	struct rt_outfile out;

	if (b->o->print_cmds) {
		fputs("cp ", stderr);
		put_word(b, stderr, from);
		fputc(' ', stderr);
		put_word(b, stderr, b->out);
		fputc('\n', stderr);
	}
	/* an output that already is this build's (same size, same Go build ID: the ID ends with the hash of
	 * the content) is not written again, only its mtime moved on, as rewriting it would */
	if (same_binary(from, b->out)) {
		if (utimensat(AT_FDCWD, b->out, NULL, 0) == 0)
			return 0;
	}
	/* as go build: mode 0777 & ~umask; the whole file or nothing at b->out */
	if (rt_outfile_open(&out, b->out, 0777) != 0)
		return rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", b->out, rt_outfile_error(&out, errno));
	if (rt_append_file(out.f, from) != 0 || rt_outfile_commit(&out) != 0) {
		int e = errno;

		rt_outfile_discard(&out);
		return rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", b->out, strerror(e));
	}
	return 0;
}

static json_t *argv_json(const struct build *b, const struct strv *argv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < argv->n; i++) {
		char *s = show_path(b, argv->v[i]);

		json_array_append_new(a, json_string(s));
		free(s);
	}
	return a;
}

static int write_manifest(struct build *b, struct rt_err *err)
{
	const struct gb_config *c = &b->cfg;
	json_t *m = json_object(), *pkgs = json_array(), *link = json_object(), *placed = json_object();
	json_t *entry = json_object(), *phases = json_array();
	struct rt_binary *bin;
	struct rt_phase ph[16];
	size_t nph;
	struct rt_outfile mf = { 0 };
	int rc = -1;

	json_object_set_new(m, "format", json_string("rt0trace-manifest"));
	json_object_set_new(m, "version", json_integer(1));
	json_object_set_new(m, "goroot", json_string(c->goroot));
	json_object_set_new(m, "go_version", json_string(c->version));
	json_object_set_new(m, "goos", json_string(c->goos));
	json_object_set_new(m, "goarch", json_string(c->goarch));
	for (size_t i = 0; i < b->g.npkgs; i++) {
		const struct gb_pkg *p = b->g.pkgs[i];
		const struct job *j = &b->jobs[i];
		json_t *o = json_object(), *asmv = json_array();

		json_object_set_new(o, "path", json_string(p->path));
		json_object_set_new(o, "dir", json_string(p->dir));
		json_object_set_new(o, "files", json_strv(&p->gofiles));
		json_object_set_new(o, "sfiles", json_strv(&p->sfiles));
		json_object_set_new(o, "imports", json_strv(&p->imports));
		json_object_set_new(o, "compile", argv_json(b, &j->compile_argv));
		for (size_t k = 0; k < j->asm_argvs.n; k++) {
			struct strv one = STRV_INIT;
			char *copy = xstrdup(j->asm_argvs.v[k]), *save = NULL;

			for (char *t = strtok_r(copy, "\t", &save); t; t = strtok_r(NULL, "\t", &save))
				strv_push(&one, t);
			json_array_append_new(asmv, argv_json(b, &one));
			strv_release(&one);
			free(copy);
		}
		json_object_set_new(o, "asm", asmv);
		if (p->cgofiles.n) {
			json_t *ccv = json_array();

			json_object_set_new(o, "cgofiles", json_strv(&p->cgofiles));
			json_object_set_new(o, "cfiles", json_strv(&p->cfiles));
			json_object_set_new(o, "cgo", argv_json(b, &j->cgo_argv));
			for (size_t k = 0; k < j->ncc; k++)
				json_array_append_new(ccv, argv_json(b, &j->cc_argvs[k]));
			json_object_set_new(o, "cc", ccv);
			json_object_set_new(o, "dynimport", argv_json(b, &j->dyn_argv));
		}
		json_object_set_new(o, "archive", json_string(j->archive));
		json_object_set_new(o, "cached", json_boolean(j->cached));
		json_array_append_new(pkgs, o);
	}
	json_object_set_new(m, "packages", pkgs);
	json_object_set_new(link, "argv", argv_json(b, &b->jobs[b->njobs - 1].compile_argv));
	json_object_set_new(link, "output", json_string(b->out));
	json_object_set_new(link, "build_id", json_string(b->jobs[b->njobs - 1].buildid));
	if (b->ldflags_pp.n)
		json_object_set_new(link, "ldflags", json_strv(&b->ldflags));
	json_object_set_new(m, "link", link);

	/* The linked file in the cache: the same bytes as -o, which may be a device such as /dev/null. */
	if (rt_binary_open(&bin, b->jobs[b->njobs - 1].archive, err) != 0)
		goto out;
	json_object_set_new(entry, "symbol", json_str_or_null(bin->entry_sym ? bin->entry_sym->name : NULL));
	json_object_set_new(entry, "addr", json_hex(bin->elf->entry));
	json_object_set_new(placed, "entry", entry);
	entry = NULL;
	nph = rt_go_phases(bin->elf, ph, sizeof(ph) / sizeof(ph[0]));
	for (size_t i = 0; i < nph; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(ph[i].name));
		json_object_set_new(o, "symbol", json_str_or_null(ph[i].symbol));
		json_object_set_new(o, "addr", ph[i].symbol ? json_hex(ph[i].addr) : json_null());
		json_object_set_new(o, "role", json_string(rt_phase_role_name(ph[i].role)));
		json_array_append_new(phases, o);
	}
	json_object_set_new(placed, "phases", phases);
	phases = NULL;
	json_object_set_new(placed, "init_order", rt_binary_init_order_json(bin->go));
	rt_binary_free(bin);
	json_object_set_new(m, "placed", placed);
	placed = NULL;

	if (rt_outfile_open(&mf, b->o->manifest, 0666) != 0 || json_dumpf(m, mf.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', mf.f) == EOF || rt_outfile_commit(&mf) != 0) {
		rt_errf(err, RT_EXIT_BUILD, "cannot write the manifest '%s': %s", b->o->manifest, rt_outfile_error(&mf, errno));
		rt_outfile_discard(&mf);
		goto out;
	}
	rc = 0;
out:
	json_decref(entry);
	json_decref(phases);
	json_decref(placed);
	json_decref(m);
	return rc;
}

/* ---- gb_build ------------------------------------------------------------------------------------ */

static int default_output(struct build *b, struct rt_err *err)
{
	const char *dir = b->o->dir ? b->o->dir : ".";
	const char *last = strrchr(b->g.main->path, '/');
	char *name = xstrdup(last ? last + 1 : b->g.main->path);
	struct stat st;

	if (!b->o->out)
		b->out = xasprintf("%s/%s", dir, name);
	else if (stat(b->o->out, &st) == 0 && S_ISDIR(st.st_mode))
		b->out = xasprintf("%s/%s", b->o->out, name);
	else
		b->out = xstrdup(b->o->out);
	free(name);
	/* Refuse an unwritable destination before building anything. */
	{
		char *d = xstrdup(b->out), *slash = strrchr(d, '/');
		const char *parent = slash ? (slash == d ? "/" : (*slash = '\0', d)) : ".";

		if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
			rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': directory '%s' does not exist", b->out, parent);
			free(d);
			return -1;
		}
		if (access(parent, W_OK) != 0) {
			rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", b->out, strerror(errno));
			free(d);
			return -1;
		}
		free(d);
	}
	if (stat(b->out, &st) == 0 && S_ISDIR(st.st_mode))
		return rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': it is a directory", b->out);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* $CC and the $CGO_*FLAGS, split as cmd/go splits them. */
static int setup_flags(struct build *b, struct rt_err *err)
{
	static const struct { const char *name, *def; size_t off; } env[] = {
		{ "CGO_CPPFLAGS", "", offsetof(struct build, env_cppflags) },
		{ "CGO_CFLAGS", "-O2 -g", offsetof(struct build, env_cflags) },
		{ "CGO_LDFLAGS", "-O2 -g", offsetof(struct build, env_ldflags) },
	};
	char *joined;

	{
		char real[PATH_MAX];

		/* A directory that does not exist is reported by the loader. */
		b->cwd = xstrdup(realpath(b->o->dir ? b->o->dir : ".", real) ? real : b->o->dir ? b->o->dir : ".");
	}
	if (gb_cc_init(&b->cc, err) != 0)
		return -1;
	if (!(joined = gb_join_quoted(&b->cc.argv)))
		return rt_errf(err, RT_EXIT_ENV, "the CC environment variable cannot be passed on: a word has both kinds of quotes");
	free(joined);
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		const char *v = getenv(env[i].name);

		if (gb_split_quoted(v && *v ? v : env[i].def, (struct strv *)((char *)b + env[i].off), err) != 0) {
			rt_err_prefix(err, "the %s environment variable could not be parsed", env[i].name);
			err->exit = RT_EXIT_ENV;
			return -1;
		}
	}
	return 0;
}

/* -gcflags, -asmflags, -ldflags: GOFLAGS's settings, then the command line's (pipeline/ppflag.h). */
static int setup_ppflags(struct build *b, struct rt_err *err)
{
	static const char *const names[] = { "gcflags", "asmflags", "ldflags" };
	struct gb_ppflag *flags[] = { &b->gcflags, &b->asmflags, &b->ldflags_pp };
	const char *const *given[] = { b->o->gcflags, b->o->asmflags, b->o->ldflags };
	const size_t ngiven[] = { b->o->ngcflags, b->o->nasmflags, b->o->nldflags };

	for (size_t k = 0; k < 3; k++) {
		struct strv env = STRV_INIT;
		int rc = gb_goflags_values(b->modenv.flags, names[k], &env, err);

		for (size_t i = 0; rc == 0 && i < env.n; i++)
			if ((rc = gb_ppflag_set(flags[k], names[k], env.v[i], err)) != 0)
				rt_err_prefix(err, "GOFLAGS");
		strv_release(&env);
		for (size_t i = 0; rc == 0 && i < ngiven[k]; i++)
			rc = gb_ppflag_set(flags[k], names[k], given[k][i], err);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The link's -ldflags, those for the main package; whether they ask for external linking. */
static int main_ldflags(struct build *b, const struct gb_ppkg *main, struct rt_err *err)
{
	const struct strv *f = gb_ppflag_for(&b->ldflags_pp, b->cwd, main);
	bool set;

	strv_release(&b->ldflags);
	for (size_t i = 0; i < f->n; i++)
		strv_push(&b->ldflags, f->v[i]);
	b->cfg.link_external = gb_ldflags_external(&b->ldflags, &set);
	if (b->cfg.link_external && !b->cfg.cgo)
		return rt_errf(err, RT_EXIT_BUILD, "-ldflags ask for -linkmode external, which needs cgo: set CGO_ENABLED=1");
	return 0;
}

/* The C compiler, when some package uses cgo: it must exist (and build for the target), and what it
 * is and which flags it takes are learnt (or remembered). */
static int setup_cc(struct build *b, struct rt_err *err)
{
	for (size_t i = 0; i < b->g.npkgs; i++)
		b->need_cc = b->need_cc || b->g.pkgs[i]->cgofiles.n > 0;
	if (!b->need_cc)
		return 0;
	if (!b->cc.from_env && strcmp(b->cfg.goarch, b->cfg.hostarch) != 0)
		return rt_errf(err, RT_EXIT_ENV, "cgo for %s/%s needs a C compiler for that target: set CC (the default 'gcc' "
						 "builds for %s/%s)", b->cfg.goos, b->cfg.goarch, b->cfg.hostos, b->cfg.hostarch);
	if (!b->cc.path)
		return rt_errf(err, RT_EXIT_ENV, "cgo needs a C compiler: '%s' not found (set CC)", b->cc.argv.v[0]);
	return gb_cc_identify(&b->cc, b->cache, !b->o->dry_run, &b->env_cflags, &b->env_ldflags, b->work, err);
}

/* rm -rf, without running rm: a build needs nothing from PATH. */
static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* PGO as cmd/go does it: -pgo=auto (the default) takes the main package's default.pgo when there is one,
 * -pgo=FILE that file, -pgo=off none. The profile is preprocessed once by $GOROOT/pkg/tool/<host>/preprofile
 * (cached by the tool and the profile's content) and every package is compiled with -pgoprofile=. */
static int pgo_setup(struct build *b, const char *mode, struct rt_err *err)
{
	struct strbuf h = STRBUF_INIT;
	struct job pj = { 0 };
	struct step *st;
	char *tool, hex[65], *target;
	uint8_t d[32];
	struct stat ts;
	int status, rc = -1;

	if (strcmp(mode, "off") == 0)
		return 0;
	if (strcmp(mode, "auto") == 0) {
		b->pgo_file = xasprintf("%s/default.pgo", b->g.main->dir);
		if (!rt_is_file(b->pgo_file)) {
			free(b->pgo_file);
			b->pgo_file = NULL;
			return 0;
		}
	} else {
		b->pgo_file = mode[0] == '/' ? xstrdup(mode) : xasprintf("%s/%s", b->cwd, mode);
		if (!rt_is_file(b->pgo_file))
			return rt_errf(err, RT_EXIT_BUILD, "-pgo=%s: cannot read the profile '%s': %s", mode, b->pgo_file,
				       strerror(errno ? errno : ENOENT));
	}
	if (gb_filehash(&b->files, b->pgo_file, d, err) != 0)
		return -1;
	sha256_hex(d, hex);
	b->pgo_hash = xstrdup(hex);
	tool = xasprintf("%s/preprofile", b->cfg.tooldir);
	if (stat(tool, &ts) != 0) {
		rc = rt_errf(err, RT_EXIT_ENV, "PGO needs '%s': %s", tool, strerror(errno));
		free(tool);
		return rc;
	}
	hput(&h, "rt0trace preprofile 1\n%s preprofile %lld:%lld.%09ld:%llu\ninput %s\n", b->cfg.version, (long long)ts.st_size,
	     (long long)ts.st_mtim.tv_sec, ts.st_mtim.tv_nsec, (unsigned long long)ts.st_ino, hex);
	finish_action(&pj, &h);
	if (!b->o->dry_run && cache_lookup(b, &pj, 'p')) {
		b->pgo_profile = pj.archive;
		free(tool);
		return 0;
	}
	pj.objdir = xasprintf("%s/pgo", b->work);
	target = xasprintf("%s/pgo.preprofile", pj.objdir);
	add_step(&pj, S_MKDIR, pj.objdir);
	st = add_step(&pj, S_EXEC, NULL);
	strv_push(&st->argv, tool);
	strv_push(&st->argv, "-o");
	strv_push(&st->argv, target);
	strv_push(&st->argv, "-i");
	strv_push(&st->argv, b->pgo_file);
	st->cwd = xstrdup(b->cwd);
	free(tool);
	if (b->o->dry_run) { /* the recipe runs them first */
		b->pgo_steps = pj.steps;
		b->npgo_steps = pj.nsteps;
		b->pgo_profile = target;
		free(pj.objdir);
		return 0;
	}
	for (size_t i = 0; i < pj.nsteps && b->o->print_cmds; i++)
		show_step(b, &pj.steps[i], stderr, false);
	if (rt_mkdir_p(pj.objdir) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot create '%s': %s", pj.objdir, strerror(errno));
		goto out;
	}
	if (spawn(b, &pj, st, err) != 0)
		goto out;
	rt_command_wait(pj.pid, &status);
	b->running--;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print_output(b, &pj);
		rt_errf(err, RT_EXIT_BUILD, "build failed: preprofile of the PGO profile '%s' %s", b->pgo_file,
			WIFEXITED(status) ? "failed" : "was killed");
		goto out;
	}
	print_output(b, &pj);
	if (gb_filehash(&b->files, target, pj.content, err) != 0)
		goto out;
	pj.result = target;
	target = NULL;
	/* the cache's record is "content buildid": a profile has no build ID, its action ID stands in */
	snprintf(pj.buildid, sizeof(pj.buildid), "%s", pj.action_id);
	if (cache_store(b, &pj, 'p', err) != 0)
		goto out;
	b->pgo_profile = pj.archive;
	pj.archive = NULL;
	rc = 0;
out:
	steps_free(pj.steps, pj.nsteps);
	free(pj.objdir);
	free(pj.outfile);
	free(pj.result);
	free(pj.archive);
	strbuf_release(&pj.shown);
	free(target);
	return rc;
}

bool gb_valid_buildmode(const char *s)
{
	return strcmp(s, "default") == 0 || strcmp(s, "exe") == 0 || strcmp(s, "pie") == 0;
}

bool gb_valid_mod_mode(const char *s)
{
	return strcmp(s, "readonly") == 0 || strcmp(s, "mod") == 0 || strcmp(s, "vendor") == 0;
}

/* strconv.ParseBool's words: "true"/"false", or NULL. */
static const char *go_bool(const char *s)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return "true";
		if (strcmp(s, no[i]) == 0)
			return "false";
	}
	return NULL;
}

/* The last -NAME in GOFLAGS (every one, in order, into `all` when not NULL), as cmd/go reads its
 * defaults: a boolean flag is -NAME (true) or
 * -NAME=BOOL, *value "true" or "false"; a value flag is -NAME=VALUE. *value is malloc'd, or NULL when
 * GOFLAGS does not set it. Every entry must be a flag. */
static int goflags_flag(const char *goflags, const char *name, bool boolean, char **value, struct strv *all,
			struct rt_err *err)
{
	struct strv words = STRV_INIT;
	size_t n = strlen(name);
	int rc = 0;

	*value = NULL;
	if (!goflags || !*goflags)
		return 0;
	if (gb_split_quoted(goflags, &words, err) != 0)
		return rt_err_prefix(err, "GOFLAGS");
	for (size_t i = 0; i < words.n && rc == 0; i++) {
		const char *w = words.v[i] + (strncmp(words.v[i], "--", 2) == 0 ? 2 : 1), *b = NULL;

		if (words.v[i][0] != '-') {
			rc = rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: '%s' is not a flag (each entry must start with -)", words.v[i]);
		} else if (strncmp(w, name, n) != 0 || (w[n] != '\0' && w[n] != '=')) {
			continue;
		} else if (w[n] == '\0' && !boolean) {
			rc = rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: -%s needs a value (-%s=...)", name, name);
		} else if (boolean && !(b = w[n] ? go_bool(w + n + 1) : "true")) {
			rc = rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: invalid boolean value '%s' for -%s", w + n + 1, name);
		} else {
			free(*value);
			*value = xstrdup(boolean ? b : w + n + 1);
			if (all)
				strv_push(all, *value);
		}
	}
	strv_release(&words);
	if (rc != 0) {
		free(*value);
		*value = NULL;
	}
	return rc;
}

const char *gb_buildvcs_mode(const char *s)
{
	return strcmp(s, "auto") == 0 ? "auto" : go_bool(s);
}

int gb_goflags_value(const char *goflags, const char *name, char **value, struct rt_err *err)
{
	return goflags_flag(goflags, name, false, value, NULL, err);
}

int gb_goflags_values(const char *goflags, const char *name, struct strv *values, struct rt_err *err)
{
	char *last = NULL;
	int rc = goflags_flag(goflags, name, false, &last, values, err);

	free(last);
	return rc;
}

int gb_goflags_bool(const char *goflags, const char *name, char **value, struct rt_err *err)
{
	return goflags_flag(goflags, name, true, value, NULL, err);
}

int gb_build(const struct gb_opts *o, struct rt_err *err)
{
	struct build b = { 0 };
	struct sigaction sa = { 0 }, old_int, old_term;
	int rc = -1;
	char wtmpl[] = "/tmp/rt0build-XXXXXX";

	b.o = o;
	b.tty = o->progress && !o->print_cmds && !o->dry_run && isatty(2);
	if (o->dir) { /* -C DIR: a missing input, like a missing package (exit 3), not a failed build */
		struct stat st;

		if (stat(o->dir, &st) != 0)
			return rt_errf(err, RT_EXIT_INPUT, "cannot change to directory '%s' (-C): %s", o->dir, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return rt_errf(err, RT_EXIT_INPUT, "cannot change to directory '%s' (-C): %s", o->dir, strerror(ENOTDIR));
	}
	if (gb_config_load(&b.cfg, o->goroot, err) != 0)
		return -1;
	if (setup_flags(&b, err) != 0)
		goto out_graph; /* what it set is released there; the graph is still empty */

	if (!(b.cache = cache_dir(err)))
		goto out_graph;
	gb_filehash_load(&b.files, b.cache);
	if (gb_modenv_load(&b.modenv, err) != 0)
		goto out_graph;
	if (o->print_cmds || o->dry_run)
		b.modenv.log = stderr;
	if (o->pattern && strchr(o->pattern, '@') && o->pattern[0] != '.' && o->pattern[0] != '/')
		b.modenv.sum_source = "the checksum database"; /* PKG@VERSION has no go.sum (pipeline/load.h) */
	{ /* -buildmode, else GOFLAGS's (default: exe, as on linux) */
		char *m = NULL;
		const char *mode;

		if (!o->buildmode && gb_goflags_value(b.modenv.flags, "buildmode", &m, err) != 0)
			goto out_graph;
		mode = o->buildmode ? o->buildmode : m ? m : "default";
		if (!gb_valid_buildmode(mode)) {
			rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: -buildmode=%s: rt0trace builds exe and pie (default: exe)", mode);
			free(m);
			goto out_graph;
		}
		b.pie = strcmp(mode, "pie") == 0;
		free(m);
	}
	{ /* -tags, else GOFLAGS's */
		char *t = NULL;

		if ((!o->tags && gb_goflags_value(b.modenv.flags, "tags", &t, err) != 0) ||
		    gb_config_set_tags(&b.cfg, o->tags ? o->tags : t, err) != 0) {
			free(t);
			goto out_graph;
		}
		free(t);
	}
	{
		/* (-n writes nothing into the cache: no records are kept) */
		struct gb_load_opts lo = { .dir = o->dir ? o->dir : ".", .pattern = o->pattern, .env = &b.modenv, .memo = &b.files,
					   .record_dir = o->dry_run ? NULL : (b.records = xasprintf("%s/modverified", b.cache)),
					   .scan_dir = o->dry_run ? NULL : (b.scans = xasprintf("%s/scans", b.cache)) };
		char *goflags_mod = NULL;

		if (o->mod) {
			lo.mod = o->mod;
		} else if (gb_goflags_value(b.modenv.flags, "mod", &goflags_mod, err) != 0) {
			goto out_graph;
		} else if (goflags_mod && !gb_valid_mod_mode(goflags_mod)) {
			rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: invalid -mod=%s: want readonly, mod or vendor", goflags_mod);
			free(goflags_mod);
			goto out_graph;
		}
		if (!lo.mod)
			lo.mod = goflags_mod;
		if (o->trimpath >= 0) {
			b.trimpath = o->trimpath;
		} else {
			char *v = NULL;

			if (gb_goflags_bool(b.modenv.flags, "trimpath", &v, err) != 0) {
				free(goflags_mod);
				goto out_graph;
			}
			b.trimpath = v && strcmp(v, "true") == 0;
			free(v);
		}
		if (setup_ppflags(&b, err) != 0) {
			free(goflags_mod);
			goto out_graph;
		}
		{
			/* -ldflags decide whether runtime/cgo is linked in (-linkmode external), before the
			 * main package is loaded: matched against PACKAGE as given, then against the main
			 * package; loaded again in the rare case that changes the link mode */
			char *dir = gb_path_join(b.cwd, o->pattern);
			size_t elem = strcspn(o->pattern, "/");
			struct gb_ppkg guess = { o->pattern, dir, !memchr(o->pattern, '.', elem), true };
			bool ext;

			rc = main_ldflags(&b, &guess, err);
			free(dir);
			ext = b.cfg.link_external;
			if (rc == 0 && (rc = gb_load(&b.g, &b.cfg, &lo, err)) == 0) {
				struct gb_ppkg real = ppkg(&b, b.g.main);

				if ((rc = main_ldflags(&b, &real, err)) == 0 && b.cfg.link_external != ext) {
					gb_graph_release(&b.g);
					memset(&b.g, 0, sizeof(b.g));
					rc = gb_load(&b.g, &b.cfg, &lo, err);
				}
			}
		}
		free(goflags_mod);
		if (rc != 0)
			goto out_graph;
		rc = -1;
	}
	if (default_output(&b, err) != 0)
		goto out_graph;
	if (gb_default_godebug(&b.g, &b.godebug, err) != 0)
		goto out_graph;
	{ /* -buildvcs, else GOFLAGS's, else auto: for a main package of a main module */
		char *m = NULL;
		const char *mode;
		const struct gb_module *mm = b.g.main_mod;

		if (!o->buildvcs && gb_goflags_value(b.modenv.flags, "buildvcs", &m, err) != 0)
			goto out_graph;
		mode = gb_buildvcs_mode(o->buildvcs ? o->buildvcs : m ? m : "auto");
		if (!mode) {
			rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: invalid -buildvcs=%s: want auto, true or false", m);
			free(m);
			goto out_graph;
		}
		free(m);
		if (mm && !mm->is_std && !b.g.main->standard && (!b.g.main->mod || b.g.main->mod->is_main) &&
		    gb_vcs_stamp(mode, b.cwd, mm->path, mm->dir, b.g.main->dir, &b.vcs, err) != 0)
			goto out_graph;
	}
	b.mflags = (struct gb_modinfo_flags){ b.asmflags.n ? b.asmflags.raw : NULL, b.gcflags.raw, b.ldflags_pp.raw, NULL,
					      b.pie ? "pie" : "exe", &b.vcs };
	b.modinfo = gb_modinfo(&b.g, b.godebug, b.trimpath, &b.mflags, &b.modinfo_len);
	b.tool_id = tool_identity(&b.cfg);
	strv_pushf(&b.tool_env, "GOOS=%s", b.cfg.goos);
	strv_pushf(&b.tool_env, "GOARCH=%s", b.cfg.goarch);
	if (b.cfg.goamd64)
		strv_pushf(&b.tool_env, "GOAMD64=%s", b.cfg.goamd64);
	if (b.cfg.goarm)
		strv_pushf(&b.tool_env, "GOARM=%s", b.cfg.goarm);
	if (b.cfg.goarm64)
		strv_pushf(&b.tool_env, "GOARM64=%s", b.cfg.goarm64);
	strv_pushf(&b.tool_env, "GOROOT=%s", b.cfg.goroot);
	if (getenv("GOEXPERIMENT"))
		strv_pushf(&b.tool_env, "GOEXPERIMENT=%s", getenv("GOEXPERIMENT"));
	if (!mkdtemp(wtmpl)) {
		rt_errf(err, RT_EXIT_ENV, "cannot create a work directory in /tmp: %s", strerror(errno));
		goto out_graph;
	}
	b.work = xstrdup(wtmpl);
	if (o->keep_work)
		fprintf(stderr, "WORK=%s\n", b.work);
	if (setup_cc(&b, err) != 0)
		goto out_work;
	{
		char *goflags_pgo = NULL;

		if (!o->pgo && gb_goflags_value(b.modenv.flags, "pgo", &goflags_pgo, err) != 0)
			goto out_work;
		rc = pgo_setup(&b, o->pgo ? o->pgo : goflags_pgo ? goflags_pgo : "auto", err);
		free(goflags_pgo);
		if (rc != 0)
			goto out_work;
		rc = -1;
	}
	/* (the build info names the profile: its file name with -trimpath, else its path) */
	if (b.pgo_file) {
		const char *base = strrchr(b.pgo_file, '/');

		free(b.modinfo);
		b.mflags.pgo = b.trimpath && base ? base + 1 : b.pgo_file;
		b.modinfo = gb_modinfo(&b.g, b.godebug, b.trimpath, &b.mflags, &b.modinfo_len);
	}

	/* One job per package (same index as g.pkgs), numbered b001 for main as go build does, then the
	 * link, which shares main's object directory. */
	b.njobs = b.g.npkgs + 1;
	b.jobs = xcalloc(b.njobs, sizeof(*b.jobs));
	for (size_t i = 0; i < b.g.npkgs; i++) {
		struct job *j = &b.jobs[i];

		j->p = b.g.pkgs[i];
		j->objdir = xasprintf("%s/b%03zu", b.work, b.g.npkgs - i);
		j->waiting = j->p->ndeps;
		for (size_t k = 0; k < j->p->ndeps; k++) {
			struct job *d = &b.jobs[j->p->deps[k]->index];

			d->users = xgrow(d->users, &d->usercap, d->nusers + 1, sizeof(*d->users));
			d->users[d->nusers++] = j;
		}
	}
	{
		struct job *l = &b.jobs[b.njobs - 1];

		l->objdir = xasprintf("%s/b001", b.work);
		l->waiting = b.g.npkgs;
		for (size_t i = 0; i < b.g.npkgs; i++) {
			struct job *d = &b.jobs[i];

			d->users = xgrow(d->users, &d->usercap, d->nusers + 1, sizeof(*d->users));
			d->users[d->nusers++] = l;
		}
	}

	if (o->dry_run) {
		rc = print_recipe(&b, err);
		goto out_work;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = run_all(&b, err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc == 0)
		gb_filehash_save(&b.files);
	if (rc == 0)
		rc = install(&b, err);
	if (rc == 0 && o->manifest)
		rc = write_manifest(&b, err);
out_work:
	if (!o->keep_work)
		remove_tree(b.work);
	for (size_t i = 0; i < b.njobs; i++) {
		struct job *j = &b.jobs[i];

		steps_free(j->steps, j->nsteps);
		free(j->objdir);
		free(j->outfile);
		free(j->users);
		strbuf_release(&j->shown);
		free(j->archive);
		if (j->result != j->archive)
			free(j->result);
		strv_release(&j->compile_argv);
		strv_release(&j->asm_argvs);
		strv_release(&j->cgo_argv);
		strv_release(&j->dyn_argv);
		strv_release(&j->cgo_objs);
		for (size_t k = 0; k < j->ncc; k++) {
			strv_release(&j->cc_argvs[k]);
			free(j->cc_cwds[k]);
		}
		free(j->cc_argvs);
		free(j->cc_cwds);
	}
	free(b.jobs);
	free(b.work);
	free(b.tool_id);
	strv_release(&b.tool_env);
out_graph:
	steps_free(b.pgo_steps, b.npgo_steps);
	free(b.pgo_file);
	free(b.pgo_hash);
	free(b.pgo_profile);
	gb_filehash_release(&b.files);
	gb_modenv_release(&b.modenv);
	gb_cc_release(&b.cc);
	strv_release(&b.env_cppflags);
	strv_release(&b.env_cflags);
	strv_release(&b.env_ldflags);
	strv_release(&b.ldflags);
	gb_ppflag_release(&b.gcflags);
	gb_ppflag_release(&b.asmflags);
	gb_ppflag_release(&b.ldflags_pp);
	gb_vcs_release(&b.vcs);
	free(b.cwd);
	free(b.modinfo);
	free(b.godebug);
	free(b.records);
	free(b.scans);
	free(b.cache);
	free(b.out);
	gb_graph_release(&b.g);
	gb_config_release(&b.cfg);
	return rc;
}

/* ---- rt0trace tool ------------------------------------------------------------------------------- */

/* The build ID a file carries: an ELF's Go note, or an archive's `build id "..."` header line. */
static char *read_build_id(const char *path, struct rt_err *err)
{
	struct rt_elf *e;
	FILE *f;
	char buf[4096], *p, *q;
	size_t n;

	if (rt_elf_open(&e, path, NULL) == 0) {
		char *id = rt_go_build_id(e);

		rt_elf_free(e);
		if (!id)
			rt_errf(err, RT_EXIT_INPUT, "'%s' has no Go build ID", path);
		return id;
	}
	if (!(f = fopen(path, "rb")))
		return rt_errf(err, RT_EXIT_INPUT, "cannot open '%s': %s", path, strerror(errno)), NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	if (!(p = strstr(buf, "build id \"")) || !(q = strchr(p + 10, '"')))
		return rt_errf(err, RT_EXIT_INPUT, "'%s' has no Go build ID", path), NULL;
	return xstrndup(p + 10, (size_t)(q - p - 10));
}

static const char tool_usage[] = "usage: rt0trace tool pack r ARCHIVE FILE...\n"
				 "       rt0trace tool buildid [-w] FILE\n";

int gb_tool_main(int argc, char **argv)
{
	struct rt_err err = { 0 };

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s\n"
		       "The steps of 'rt0trace build -n' recipes that go runs as 'go tool pack' and 'go tool buildid':\n"
		       "  pack r ARCHIVE FILE...  append each FILE to the Go archive ARCHIVE, as 'go tool pack r'\n"
		       "  buildid FILE            print FILE's Go build ID\n\n"
		       "options:\n"
		       "  -w          (buildid) rewrite FILE's build ID to the one its content gives, as 'go tool buildid -w'\n"
		       "  -h, --help  show this help\n\n"
		       "exit codes: 0 done, 2 usage error, 3 (buildid) FILE cannot be opened or has no Go build ID,\n"
		       "            5 a file cannot be read or written, or its build ID cannot be rewritten\n",
		       tool_usage);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "pack") == 0 && strcmp(argv[2], "r") == 0) {
		if (gb_pack_append(argv[3], argv + 4, (size_t)(argc - 4), &err) != 0)
			return rt_err_report(&err);
		return 0;
	}
	if ((argc == 3 || (argc == 4 && strcmp(argv[2], "-w") == 0)) && strcmp(argv[1], "buildid") == 0) {
		bool write = argc == 4 && strcmp(argv[2], "-w") == 0;
		const char *file = argv[argc - 1];
		char *id = read_build_id(file, &err), newid[256];

		if (!id)
			return rt_err_report(&err);
		if (write && (strlen(id) >= sizeof(newid) || gb_buildid_rewrite(file, id, newid, NULL, &err) != 0)) {
			free(id);
			return rt_err_report(&err);
		}
		if (!write) /* like go tool buildid: -w rewrites silently */
			printf("%s\n", id);
		free(id);
		return 0;
	}
	fputs(tool_usage, stderr);
	return RT_EXIT_USAGE;
}
