/*
 * pipeline/build: gb_build, the whole `rt0trace build`: its settings (flags, GOFLAGS, the environment),
 * the package graph, the output path, the work directory and the jobs, then planning and running them
 * (pipeline/build_plan.c, pipeline/build_run.c) or printing the -n recipe (pipeline/build_show.c), and
 * the output and manifest (pipeline/build_output.c). pipeline/build_int.h is what the pieces share.
 */
#include "pipeline/build_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "pipeline/cgo.h"

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

/* -buildmode and -tags, else GOFLAGS's. */
static int setup_mode(struct build *b, struct rt_err *err)
{
	const struct gb_opts *o = b->o;

	{ /* -buildmode, else GOFLAGS's (default: exe, as on linux) */
		char *m = NULL;
		const char *mode;

		if (!o->buildmode && gb_goflags_value(b->modenv.flags, "buildmode", &m, err) != 0)
			return -1;
		mode = o->buildmode ? o->buildmode : m ? m : "default";
		if (!gb_valid_buildmode(mode)) {
			rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: -buildmode=%s: rt0trace builds exe and pie (default: exe)", mode);
			free(m);
			return -1;
		}
		b->pie = strcmp(mode, "pie") == 0;
		free(m);
	}
	{ /* -tags, else GOFLAGS's */
		char *t = NULL;

		if ((!o->tags && gb_goflags_value(b->modenv.flags, "tags", &t, err) != 0) ||
		    gb_config_set_tags(&b->cfg, o->tags ? o->tags : t, err) != 0) {
			free(t);
			return -1;
		}
		free(t);
	}
	return 0;
}

/* The package graph, with -mod, -trimpath, -gcflags, -asmflags and -ldflags (each else GOFLAGS's). */
static int load_graph(struct build *b, struct rt_err *err)
{
	const struct gb_opts *o = b->o;
	/* (-n writes nothing into the cache: no records are kept) */
	struct gb_load_opts lo = { .dir = o->dir ? o->dir : ".", .pattern = o->pattern, .env = &b->modenv, .memo = &b->files,
				   .record_dir = o->dry_run ? NULL : (b->records = xasprintf("%s/modverified", b->cache)),
				   .scan_dir = o->dry_run ? NULL : (b->scans = xasprintf("%s/scans", b->cache)) };
	char *goflags_mod = NULL;
	int rc;

	if (o->mod) {
		lo.mod = o->mod;
	} else if (gb_goflags_value(b->modenv.flags, "mod", &goflags_mod, err) != 0) {
		return -1;
	} else if (goflags_mod && !gb_valid_mod_mode(goflags_mod)) {
		rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: invalid -mod=%s: want readonly, mod or vendor", goflags_mod);
		free(goflags_mod);
		return -1;
	}
	if (!lo.mod)
		lo.mod = goflags_mod;
	if (o->trimpath >= 0) {
		b->trimpath = o->trimpath;
	} else {
		char *v = NULL;

		if (gb_goflags_bool(b->modenv.flags, "trimpath", &v, err) != 0) {
			free(goflags_mod);
			return -1;
		}
		b->trimpath = v && strcmp(v, "true") == 0;
		free(v);
	}
	if (setup_ppflags(b, err) != 0) {
		free(goflags_mod);
		return -1;
	}
	{
		/* -ldflags decide whether runtime/cgo is linked in (-linkmode external), before the
		 * main package is loaded: matched against PACKAGE as given, then against the main
		 * package; loaded again in the rare case that changes the link mode */
		char *dir = gb_path_join(b->cwd, o->pattern);
		size_t elem = strcspn(o->pattern, "/");
		struct gb_ppkg guess = { o->pattern, dir, !memchr(o->pattern, '.', elem), true };
		bool ext;

		rc = main_ldflags(b, &guess, err);
		free(dir);
		ext = b->cfg.link_external;
		if (rc == 0 && (rc = gb_load(&b->g, &b->cfg, &lo, err)) == 0) {
			struct gb_ppkg real = gb_ppkg_of(b, b->g.main);

			if ((rc = main_ldflags(b, &real, err)) == 0 && b->cfg.link_external != ext) {
				gb_graph_release(&b->g);
				memset(&b->g, 0, sizeof(b->g));
				rc = gb_load(&b->g, &b->cfg, &lo, err);
			}
		}
	}
	free(goflags_mod);
	return rc;
}

/* -buildvcs, else GOFLAGS's, else auto: for a main package of a main module */
static int setup_vcs(struct build *b, struct rt_err *err)
{
	const struct gb_opts *o = b->o;
	char *m = NULL;
	const char *mode;
	const struct gb_module *mm = b->g.main_mod;

	if (!o->buildvcs && gb_goflags_value(b->modenv.flags, "buildvcs", &m, err) != 0)
		return -1;
	mode = gb_buildvcs_mode(o->buildvcs ? o->buildvcs : m ? m : "auto");
	if (!mode) {
		rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: invalid -buildvcs=%s: want auto, true or false", m);
		free(m);
		return -1;
	}
	free(m);
	if (mm && !mm->is_std && !b->g.main->standard && (!b->g.main->mod || b->g.main->mod->is_main) &&
	    gb_vcs_stamp(mode, b->cwd, mm->path, mm->dir, b->g.main->dir, &b->vcs, err) != 0)
		return -1;
	return 0;
}

/* GOOS, GOARCH, GOAMD64/GOARM/GOARM64, GOROOT[, GOEXPERIMENT]: every tool's environment. */
static void setup_tool_env(struct build *b)
{
	strv_pushf(&b->tool_env, "GOOS=%s", b->cfg.goos);
	strv_pushf(&b->tool_env, "GOARCH=%s", b->cfg.goarch);
	if (b->cfg.goamd64)
		strv_pushf(&b->tool_env, "GOAMD64=%s", b->cfg.goamd64);
	if (b->cfg.goarm)
		strv_pushf(&b->tool_env, "GOARM=%s", b->cfg.goarm);
	if (b->cfg.goarm64)
		strv_pushf(&b->tool_env, "GOARM64=%s", b->cfg.goarm64);
	strv_pushf(&b->tool_env, "GOROOT=%s", b->cfg.goroot);
	if (getenv("GOEXPERIMENT"))
		strv_pushf(&b->tool_env, "GOEXPERIMENT=%s", getenv("GOEXPERIMENT"));
}

/* One job per package (same index as g.pkgs), numbered b001 for main as go build does, then the
 * link, which shares main's object directory. */
static void make_jobs(struct build *b)
{
	b->njobs = b->g.npkgs + 1;
	b->jobs = xcalloc(b->njobs, sizeof(*b->jobs));
	for (size_t i = 0; i < b->g.npkgs; i++) {
		struct job *j = &b->jobs[i];

		j->p = b->g.pkgs[i];
		j->objdir = xasprintf("%s/b%03zu", b->work, b->g.npkgs - i);
		j->waiting = j->p->ndeps;
		for (size_t k = 0; k < j->p->ndeps; k++) {
			struct job *d = &b->jobs[j->p->deps[k]->index];

			d->users = xgrow(d->users, &d->usercap, d->nusers + 1, sizeof(*d->users));
			d->users[d->nusers++] = j;
		}
	}
	{
		struct job *l = &b->jobs[b->njobs - 1];

		l->objdir = xasprintf("%s/b001", b->work);
		l->waiting = b->g.npkgs;
		for (size_t i = 0; i < b->g.npkgs; i++) {
			struct job *d = &b->jobs[i];

			d->users = xgrow(d->users, &d->usercap, d->nusers + 1, sizeof(*d->users));
			d->users[d->nusers++] = l;
		}
	}
}

static void release_jobs(struct build *b)
{
	for (size_t i = 0; i < b->njobs; i++) {
		struct job *j = &b->jobs[i];

		gb_steps_free(j->steps, j->nsteps);
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
	free(b->jobs);
}

int gb_build(const struct gb_opts *o, struct rt_err *err)
{
	struct build b = { 0 };
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

	if (!(b.cache = gb_cache_dir(err)))
		goto out_graph;
	gb_filehash_load(&b.files, b.cache);
	if (gb_modenv_load(&b.modenv, err) != 0)
		goto out_graph;
	if (o->print_cmds || o->dry_run)
		b.modenv.log = stderr;
	if (o->pattern && strchr(o->pattern, '@') && o->pattern[0] != '.' && o->pattern[0] != '/')
		b.modenv.sum_source = "the checksum database"; /* PKG@VERSION has no go.sum (pipeline/load.h) */
	if (setup_mode(&b, err) != 0)
		goto out_graph;
	if (load_graph(&b, err) != 0)
		goto out_graph;
	if (default_output(&b, err) != 0)
		goto out_graph;
	if (gb_default_godebug(&b.g, &b.godebug, err) != 0)
		goto out_graph;
	if (setup_vcs(&b, err) != 0)
		goto out_graph;
	b.mflags = (struct gb_modinfo_flags){ b.asmflags.n ? b.asmflags.raw : NULL, b.gcflags.raw, b.ldflags_pp.raw, NULL,
					      b.pie ? "pie" : "exe", &b.vcs };
	b.modinfo = gb_modinfo(&b.g, b.godebug, b.trimpath, &b.mflags, &b.modinfo_len);
	b.tool_id = gb_tool_identity(&b.cfg);
	setup_tool_env(&b);
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
		rc = gb_pgo_setup(&b, o->pgo ? o->pgo : goflags_pgo ? goflags_pgo : "auto", err);
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

	make_jobs(&b);

	if (o->dry_run) {
		rc = gb_print_recipe(&b, err);
		goto out_work;
	}
	rc = gb_run(&b, err);
	if (rc == 0)
		gb_filehash_save(&b.files);
	if (rc == 0)
		rc = gb_install(&b, err);
	if (rc == 0 && o->manifest)
		rc = gb_write_manifest(&b, err);
out_work:
	if (!o->keep_work)
		remove_tree(b.work);
	release_jobs(&b);
	free(b.work);
	free(b.tool_id);
	strv_release(&b.tool_env);
out_graph:
	gb_steps_free(b.pgo_steps, b.npgo_steps);
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
