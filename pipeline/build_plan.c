/*
 * pipeline/build_plan: planning the build's actions: for each package its compile (and asm, pack and
 * buildid) steps and its action ID, for the link its steps and action ID, each looked up in the cache
 * first (a cached action gets no steps). The steps are run by pipeline/build_run.c or printed as the -n
 * recipe by pipeline/build_show.c.
 */
#include "pipeline/build_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sha256.h"
#include "common/xalloc.h"
#include "pipeline/buildid.h"
#include "pipeline/cgo.h"
#include "pipeline/embed.h"

static void step_free(struct step *s)
{
	free(s->path);
	free(s->data);
	strv_release(&s->argv);
	strv_release(&s->env);
	free(s->cwd);
}

void gb_steps_free(struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		step_free(&steps[i]);
	free(steps);
}

struct step *gb_add_step(struct job *j, enum step_kind k, const char *path)
{
	struct step *s;

	j->steps = xgrow(j->steps, &j->stepcap, j->nsteps + 1, sizeof(*j->steps));
	s = &j->steps[j->nsteps++];
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->path = path ? xstrdup(path) : NULL;
	return s;
}

/* The package as the per-package flags see it. */
struct gb_ppkg gb_ppkg_of(const struct build *b, const struct gb_pkg *p)
{
	return (struct gb_ppkg){ p->path, p->dir, p->standard, p == b->g.main };
}

void gb_push_all(struct strv *dst, const struct strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		strv_push(dst, src->v[i]);
}

const char *gb_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Where the build runs (-C), absolute: the -n recipe changes directory before each tool. */
const char *gb_build_dir(const struct build *b)
{
	return b->cwd;
}

struct step *gb_add_exec(struct job *j, const struct strv *argv, const char *cwd, bool term)
{
	struct step *s = gb_add_step(j, S_EXEC, NULL);

	gb_push_all(&s->argv, argv);
	s->cwd = cwd ? xstrdup(cwd) : NULL;
	if (term)
		strv_push(&s->env, "TERM=dumb"); /* cmd/go's cCompilerEnv */
	return s;
}

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

/* The compile step; for a cgo package two, for either outcome of the dynamic-import link (without it,
 * no _cgo_import.go). */
static void add_compile_steps(struct build *b, struct job *j)
{
	bool cgo = j->p->cgofiles.n > 0;
	struct step *s;

	(void)b;
	s = gb_add_exec(j, &j->compile_argv, j->p->dir, false);
	if (!cgo)
		return;
	s->cond = C_DYN_OK;
	s = gb_add_exec(j, &j->compile_argv, j->p->dir, false);
	s->cond = C_DYN_FAIL;
	free(s->argv.v[--s->argv.n]); /* _cgo_import.go is the last file */
	s->argv.v[s->argv.n] = NULL;
}

/* The compile command (cmd/go/internal/work/gc.go), into j->compile_argv; its -buildid is "@BUILDID@"
 * until the action ID is known. */
static void plan_compile_argv(const struct build *b, struct job *j, const struct strv *goasm, const char *trimarg,
			      bool embedcfg)
{
	const struct gb_config *c = &b->cfg;
	const struct gb_pkg *p = j->p;
	bool cgo = p->cgofiles.n > 0, ext = p->sfiles.n || p->sysofiles.n || cgo;
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
	if (goasm->n) {
		strv_push(a, "-symabis");
		strv_pushf(a, "%s/symabis", j->objdir);
	}
	ncpu = xasprintf("-c=%ld", n > 4 ? 4 : n);
	if (n > 1)
		strv_push(a, ncpu);
	free(ncpu);
	{
		struct gb_ppkg pk = gb_ppkg_of(b, p);
		const struct strv *gc = gb_ppflag_for(&b->gcflags, b->cwd, &pk);

		if (b->pie) /* cmd/go's forced codegen flag, before the user's */
			strv_push(a, "-shared");
		gb_push_all(a, gc);
	}
	strv_push(a, "-nolocalimports");
	strv_push(a, "-importcfg");
	strv_pushf(a, "%s/importcfg", j->objdir);
	if (embedcfg) {
		strv_push(a, "-embedcfg");
		strv_pushf(a, "%s/embedcfg", j->objdir);
	}
	strv_push(a, "-pack");
	if (goasm->n) {
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

/* j's action ID: everything that decides the archive's content (the compile command, the imports'
 * content IDs, every source and embedded file; for cgo, the C side). */
static int package_action(struct build *b, struct job *j, const struct strv *embed_files, struct rt_err *err)
{
	const struct gb_pkg *p = j->p;
	struct strbuf h = STRBUF_INIT;

	hput(&h, "rt0trace compile 1\n");
	gb_hput_target(&h, b);
	hput(&h, "pkg %s dir %s\n", p->path, p->dir);
	if (b->pgo_hash)
		hput(&h, "pgo %s\n", b->pgo_hash);
	gb_hput_argv(&h, b, &j->compile_argv);
	for (size_t i = 0; i < p->ndeps; i++) {
		char hex[65];

		sha256_hex(b->jobs[p->deps[i]->index].content, hex);
		hput(&h, "import %s %s %s\n", p->imports.v[i], p->deps[i]->path, hex);
	}
	if (p->cgofiles.n && gb_hput_cgo(b, j, &h, err) != 0)
		goto fail;
	{
		const struct strv *lists[] = { &p->gofiles, &p->sfiles, &p->sysofiles, &p->cgofiles, &p->cfiles, &p->hfiles };

		for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
			for (size_t k = 0; k < lists[l]->n; k++) {
				char *path = xasprintf("%s/%s", p->dir, lists[l]->v[k]);
				int r = gb_hput_file(b, &h, p, "file", path, err);

				free(path);
				if (r != 0)
					goto fail;
			}
	}
	for (size_t i = 0; i < embed_files->n; i++) {
		char *path = xasprintf("%s/%s", p->dir, embed_files->v[i]);
		int r;

		hput(&h, "embed %s\n", embed_files->v[i]);
		r = gb_hput_file(b, &h, p, "embedfile", path, err);
		free(path);
		if (r != 0)
			goto fail;
	}
	gb_finish_action(j, &h);
	return 0;
fail:
	strbuf_release(&h);
	return -1;
}

/* With Go assembly: go_asm.h, the symabis, the compile, then each .s file's asm; the objects into `objs`,
 * each asm command into j->asm_argvs. */
static void add_asm_steps(struct build *b, struct job *j, const struct strv *goasm, const char *trimarg,
			  struct strv *objs)
{
	const struct gb_config *c = &b->cfg;
	const struct gb_pkg *p = j->p;
	struct strv base = STRV_INIT;
	struct step *s;

	s = gb_add_step(j, S_WRITE, NULL);
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
		struct gb_ppkg pk = gb_ppkg_of(b, p);

		if (b->pie)
			strv_push(&base, "-shared");
		gb_push_all(&base, gb_ppflag_for(&b->asmflags, b->cwd, &pk));
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
	s = gb_add_step(j, S_EXEC, NULL);
	for (size_t i = 0; i < base.n; i++)
		strv_push(&s->argv, base.v[i]);
	strv_push(&s->argv, "-gensymabis");
	strv_push(&s->argv, "-o");
	strv_pushf(&s->argv, "%s/symabis", j->objdir);
	for (size_t i = 0; i < goasm->n; i++)
		strv_pushf(&s->argv, "./%s", goasm->v[i]);
	s->cwd = xstrdup(p->dir);
	add_compile_steps(b, j);
	for (size_t k = 0; k < goasm->n; k++) {
		char *o = xasprintf("%s/%.*s.o", j->objdir, (int)(strlen(goasm->v[k]) - 2), goasm->v[k]);
		char *joined;

		s = gb_add_step(j, S_EXEC, NULL);
		for (size_t i = 0; i < base.n; i++)
			strv_push(&s->argv, base.v[i]);
		strv_push(&s->argv, "-o");
		strv_push(&s->argv, o);
		strv_pushf(&s->argv, "./%s", goasm->v[k]);
		s->cwd = xstrdup(p->dir);
		strv_push(objs, o);
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
}

/* The archive gets the Go assembly objects, then the C ones, then the .syso files; when the
 * dynamic-import link failed, the "dynimportfail" marker after the C objects. */
static void add_pack_steps(struct job *j, struct strv *objs)
{
	const struct gb_pkg *p = j->p;
	bool cgo = p->cgofiles.n > 0;
	struct step *s;

	gb_push_all(objs, &j->cgo_objs);
	for (int variant = 0; variant < (cgo ? 2 : 1); variant++) {
		size_t n = objs->n;

		if (variant == 1)
			strv_pushf(objs, "%s/dynimportfail", j->objdir);
		for (size_t i = 0; i < p->sysofiles.n; i++)
			strv_pushf(objs, "%s/%s", p->dir, p->sysofiles.v[i]);
		if (objs->n) {
			s = gb_add_step(j, S_PACK, NULL);
			s->path = xasprintf("%s/_pkg_.a", j->objdir);
			for (size_t i = 0; i < objs->n; i++)
				strv_push(&s->argv, objs->v[i]);
			s->cond = !cgo ? C_ALWAYS : variant ? C_DYN_FAIL : C_DYN_OK;
		}
		while (objs->n > n)
			free(objs->v[--objs->n]);
		if (objs->v)
			objs->v[objs->n] = NULL;
	}
}

int gb_plan_package(struct build *b, struct job *j, struct rt_err *err)
{
	struct gb_pkg *p = j->p;
	struct strv embed_files = STRV_INIT, objs = STRV_INIT, goasm = STRV_INIT, gccs = STRV_INIT;
	struct strbuf icfg = STRBUF_INIT;
	char *embedcfg = NULL, *trimarg, *owned;
	bool cgo = p->cgofiles.n > 0;
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

	plan_compile_argv(b, j, &goasm, trimarg, embedcfg != NULL);
	if (cgo && gb_plan_cgo(b, j, &gccs, err) != 0)
		goto out_trim;

	if (package_action(b, j, &embed_files, err) != 0)
		goto out_trim;
	snprintf(j->buildid, sizeof(j->buildid), "%s/%s", j->action_id, j->action_id);
	gb_fill_seeds(j);
	for (size_t i = 0; i < j->compile_argv.n; i++)
		if (strcmp(j->compile_argv.v[i], "@BUILDID@") == 0) {
			free(j->compile_argv.v[i]);
			j->compile_argv.v[i] = xstrdup(j->buildid);
		}

	if (gb_cache_lookup(b, j, 'a')) {
		j->cached = true;
		rc = 0;
		goto out_trim;
	}

	/* the steps */
	gb_add_step(j, S_MKDIR, j->objdir);
	if (cgo)
		gb_add_cgo_steps(b, j);
	s = gb_add_step(j, S_WRITE, NULL);
	s->path = xasprintf("%s/importcfg", j->objdir);
	s->data = strbuf_detach(&icfg, &s->len);
	if (embedcfg) {
		s = gb_add_step(j, S_WRITE, NULL);
		s->path = xasprintf("%s/embedcfg", j->objdir);
		s->data = embedcfg;
		s->len = strlen(embedcfg);
		embedcfg = NULL;
	}
	if (goasm.n)
		add_asm_steps(b, j, &goasm, trimarg, &objs);
	else
		add_compile_steps(b, j);
	add_pack_steps(j, &objs);
	s = gb_add_step(j, S_BUILDID, NULL);
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

int gb_plan_link(struct build *b, struct job *j, struct rt_err *err)
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
	gb_push_all(&argv, &b->ldflags);
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
	gb_hput_target(&h, b);
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
	gb_finish_action(j, &h);
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

	if (gb_cache_lookup(b, j, 'x')) {
		j->cached = true;
		strbuf_release(&cfg);
		free(exe);
		return 0;
	}
	gb_add_step(j, S_MKDIR, j->objdir);
	s = gb_add_step(j, S_WRITE, NULL);
	s->path = xasprintf("%s/importcfg.link", j->objdir);
	s->data = strbuf_detach(&cfg, &s->len);
	s = gb_add_step(j, S_MKDIR, NULL);
	s->path = xasprintf("%s/exe", j->objdir);
	s = gb_add_step(j, S_EXEC, NULL);
	for (size_t i = 0; i < argv.n; i++)
		strv_push(&s->argv, argv.v[i]);
	/* With -trimpath the linker records no GOROOT (runtime.GOROOT() then reports ""). */
	strv_pushf(&s->env, "GOROOT=%s", b->trimpath ? "" : b->cfg.goroot);
	s->cwd = xstrdup(gb_build_dir(b));
	s = gb_add_step(j, S_BUILDID, exe);
	j->result = exe;
	return 0;
}
