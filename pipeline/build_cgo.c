/*
 * pipeline/build_cgo: planning a package that imports "C": the commands cmd/go runs for it (cgo, each C
 * compile, the _cgo_.o dynamic-import link, cgo -dynimport), in its order and with its flags
 * (compilerCmd, -trimpath's prefix maps, #cgo pkg-config), and the steps that run them.
 */
#include "pipeline/build_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "pipeline/buildid.h"
#include "pipeline/cgo.h"

/* cmd/go's compilerCmd: the compiler and the flags every C command of a package starts with. The
 * object directory is mapped to /tmp/go-build so that it leaves no trace in the objects. */
static void cc_prefix(const struct build *b, const struct gb_pkg *p, const char *objdir, struct strv *a)
{
	const struct gb_cc *cc = &b->cc;
	const char *arch = b->cfg.goarch;

	gb_push_all(a, &cc->argv);
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

		gb_push_all(&argv, &tool);
		strv_push(&argv, pass ? "--libs" : "--cflags");
		gb_push_all(&argv, &opts);
		strv_push(&argv, "--");
		gb_push_all(&argv, &pkgs);
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
/* cmd/go's runCgo: the cgo command, into j->cgo_argv (the -ldflags it is given make the step set
 * CGO_LDFLAGS= too). */
static void cgo_tool_argv(const struct build *b, struct job *j, const struct strv *cppflags, const struct strv *cflags,
			  const struct strv *ldflags, bool std_cgo)
{
	const struct gb_pkg *p = j->p;
	struct strv *a = &j->cgo_argv;

	strv_pushf(a, "%s/cgo", b->cfg.tooldir);
	strv_push(a, "-objdir");
	strv_pushf(a, "%s/", j->objdir);
	strv_push(a, "-importpath");
	strv_push(a, p->path);
	if (std_cgo)
		strv_push(a, "-import_runtime_cgo=false");
	if (p->standard && (std_cgo || strcmp(p->path, "runtime/race") == 0 || strcmp(p->path, "runtime/msan") == 0 ||
			    strcmp(p->path, "runtime/asan") == 0))
		strv_push(a, "-import_syscall=false");
	j->cgo_ldflags = ldflags->n > 0;
	if (ldflags->n) {
		struct strbuf q = STRBUF_INIT;

		strbuf_adds(&q, "-ldflags=");
		for (size_t i = 0; i < ldflags->n; i++) {
			char *one = gb_go_quote(ldflags->v[i], strlen(ldflags->v[i]));

			strbuf_addf(&q, "%s%s", i ? " " : "", one);
			free(one);
		}
		strv_push(a, q.buf);
		strbuf_release(&q);
	}
	strv_push(a, "--");
	gb_push_all(a, cppflags);
	gb_push_all(a, cflags);
	for (size_t i = 0; i < p->cgofiles.n; i++)
		strv_pushf(a, "%s/%s", p->dir, p->cgofiles.v[i]);
}

/* The dynamic-import link of _cgo_.o, run where the build runs (with the .syso files of the package and
 * its imports), and the cgo -dynimport run on it, into j->cc_argvs and j->dyn_argv. */
static void dynimport_argvs(const struct build *b, struct job *j, struct strv *ldflags, bool std_cgo)
{
	const struct gb_config *c = &b->cfg;
	const struct gb_pkg *p = j->p;
	struct strv sysos = STRV_INIT, *a;
	bool *seen;

	seen = xcalloc(b->g.npkgs, sizeof(*seen));
	gather_syso(p, seen, &sysos);
	free(seen);
	if (sysos.n)
		qsort(sysos.v, sysos.n, sizeof(char *), cmp_strp);
	if (strcmp(c->goarch, "arm") == 0) {
		/* cmd/go links _cgo_.o as PIE on linux/arm, without -static then */
		if (!strv_has(ldflags, "-no-pie"))
			strv_push(ldflags, "-pie");
		if (strv_has(ldflags, "-pie") && strv_has(ldflags, "-static")) {
			struct strv kept = STRV_INIT;

			for (size_t i = 0; i < ldflags->n; i++)
				if (strcmp(ldflags->v[i], "-static") != 0)
					strv_push(&kept, ldflags->v[i]);
			strv_release(ldflags);
			*ldflags = kept;
		}
	}
	a = add_cc(j, gb_build_dir(b));
	cc_prefix(b, p, j->objdir, a);
	strv_push(a, "-o");
	strv_pushf(a, "%s/_cgo_.o", j->objdir);
	strv_pushf(a, "%s/_cgo_main.o", j->objdir);
	gb_push_all(a, &j->cgo_objs);
	gb_push_all(a, &sysos);
	gb_push_all(a, ldflags);

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
	strv_release(&sysos);
}

int gb_plan_cgo(struct build *b, struct job *j, const struct strv *gccs, struct rt_err *err)
{
	struct gb_pkg *p = j->p;
	struct strv cppflags = STRV_INIT, cflags = STRV_INIT, ldflags = STRV_INIT, srcs = STRV_INIT;
	struct strv pc_cflags = STRV_INIT, pc_libs = STRV_INIT;
	char *objdir_slash = xasprintf("%s/", j->objdir), *pmap = NULL;
	bool std_cgo = p->standard && strcmp(p->path, "runtime/cgo") == 0;
	struct strv *a;
	int rc = -1;

	if (p->cgo.pkgconfig.n && pkg_config(p, &pc_cflags, &pc_libs, err) != 0)
		goto out;
	gb_push_all(&cppflags, &b->env_cppflags);
	gb_push_all(&cppflags, &p->cgo.cppflags);
	gb_push_all(&cppflags, &pc_cflags);
	strv_push(&cppflags, "-I");
	strv_push(&cppflags, objdir_slash);
	gb_push_all(&cflags, &b->env_cflags);
	gb_push_all(&cflags, &p->cgo.cflags);
	gb_push_all(&ldflags, &b->env_ldflags);
	gb_push_all(&ldflags, &p->cgo.ldflags);
	gb_push_all(&ldflags, &pc_libs);
	/* Flags the internal linker cannot cope with leave a "preferlinkext" hint in the archive. cmd/go
	 * also counts any flag outside its allow-list; only LTO and plugins are recognised here. */
	for (size_t i = 0; i < cflags.n; i++)
		if (strncmp(cflags.v[i], "-flto", 5) == 0 || strncmp(cflags.v[i], "-fplugin", 8) == 0)
			j->preferlinkext = true;

	cgo_tool_argv(b, j, &cppflags, &cflags, &ldflags, std_cgo);


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
		char *dir = xstrndup(src, (size_t)(gb_base_name(src) - 1 - src));
		char *o = main_c ? xasprintf("%s/_cgo_main.o", j->objdir) : xasprintf("%s/_x%03zu.o", j->objdir, k + 1);

		a = add_cc(j, dir);
		cc_prefix(b, p, j->objdir, a);
		gb_push_all(a, &cppflags);
		gb_push_all(a, &cflags);
		if (pmap)
			strv_push(a, pmap);
		if (b->cc.flags[GB_CC_RANDOM_SEED])
			strv_push(a, main_c ? "-frandom-seed=@ACTION@" : "-frandom-seed=@SEED@");
		strv_push(a, "-o");
		strv_push(a, o);
		strv_push(a, "-c");
		strv_push(a, gb_base_name(src));
		if (!main_c)
			strv_push(&j->cgo_objs, o);
		free(src);
		free(dir);
		free(o);
	}
	j->ncc_src = srcs.n;

	dynimport_argvs(b, j, &ldflags, std_cgo);
	rc = 0;
out:
	strv_release(&cppflags);
	strv_release(&cflags);
	strv_release(&ldflags);
	strv_release(&srcs);
	strv_release(&pc_cflags);
	strv_release(&pc_libs);
	free(objdir_slash);
	free(pmap);
	return rc;
}

/* Environment the C compiler and linker read (hashed into cgo packages' action IDs). */
static const char *const cc_env[] = { "CPATH", "C_INCLUDE_PATH", "LIBRARY_PATH", "COMPILER_PATH", "GCC_EXEC_PREFIX",
				      "PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR", NULL };

/* The C side of a cgo package's action ID: the compiler's identity, every C command (flags from the
 * environment, #cgo lines and pkg-config included), the environment gcc reads, and the .syso files the
 * dynamic-import link takes (the C sources and headers are hashed with the package's other files). */
int gb_hput_cgo(struct build *b, const struct job *j, struct strbuf *h, struct rt_err *err)
{
	hput(h, "cc %s\n", b->cc.id);
	gb_hput_argv(h, b, &j->cgo_argv);
	for (size_t k = 0; k < j->ncc; k++)
		gb_hput_argv(h, b, &j->cc_argvs[k]);
	gb_hput_argv(h, b, &j->dyn_argv);
	for (const char *const *e = cc_env; *e; e++)
		hput(h, "ccenv %s=%s\n", *e, getenv(*e) ? getenv(*e) : "");
	for (size_t k = 0; k < j->cc_argvs[j->ncc - 1].n; k++) {
		const char *arg = j->cc_argvs[j->ncc - 1].v[k];
		size_t n = strlen(arg);

		if (n > 5 && strcmp(arg + n - 5, ".syso") == 0 && gb_hput_file(b, h, j->p, "syso", arg, err) != 0)
			return -1;
	}
	return 0;
}

/* The values a C compile's -frandom-seed takes: like cmd/go, derived from the action ID (per file). */
void gb_fill_seeds(struct job *j)
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

/* The steps of the cgo part, in cmd/go's order, up to _cgo_import.go. */
void gb_add_cgo_steps(struct build *b, struct job *j)
{
	struct step *s;

	s = gb_add_exec(j, &j->cgo_argv, j->p->dir, true);
	if (j->cgo_ldflags)
		strv_push(&s->env, "CGO_LDFLAGS=");
	for (size_t k = 0; k < j->ncc; k++) {
		if (k == j->ncc - 1 && j->preferlinkext) {
			s = gb_add_step(j, S_WRITE, NULL);
			s->path = xasprintf("%s/preferlinkext", j->objdir);
			s->data = xstrdup("");
		}
		s = gb_add_exec(j, &j->cc_argvs[k], j->cc_cwds[k], true);
		s->probe = k == j->ncc - 1; /* the _cgo_.o link may fail: then no dynamic imports */
	}
	s = gb_add_exec(j, &j->dyn_argv, gb_build_dir(b), true);
	s->cond = C_DYN_OK;
	s = gb_add_step(j, S_WRITE, NULL);
	s->path = xasprintf("%s/dynimportfail", j->objdir);
	s->data = xstrdup("");
	s->cond = C_DYN_FAIL;
}
