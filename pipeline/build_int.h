/*
 * Internal to pipeline/build: what the pieces of `rt0trace build` share: the build's state (struct
 * build), its jobs (one per package, then the link) and their steps. Not for other callers:
 * pipeline/build.h is the API.
 *
 * build.c        gb_build: settings, the package graph, the jobs; then plan and run, or the -n recipe
 * build_flags.c  GOFLAGS and the values of -buildmode, -mod, -buildvcs (pipeline/build.h)
 * build_plan.c   the steps and action ID of each package's compile and of the link
 * build_cgo.c    the cgo, C compiler and dynamic-import commands of a package that imports "C"
 * build_cache.c  the build cache and the action IDs' inputs
 * build_run.c    running the steps: tools in parallel, critical path first; results into the cache
 * build_pgo.c    -pgo: the profile and its preprocessing
 * build_show.c   steps as shell text (-x) and the -n recipe
 * build_output.c the executable at -o and the --manifest
 */
#ifndef RT0_PIPELINE_BUILD_INT_H
#define RT0_PIPELINE_BUILD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/outfile.h"
#include "common/strbuf.h"
#include "common/strv.h"
#include "pipeline/build.h"
#include "pipeline/buildid.h"
#include "pipeline/cctool.h"
#include "pipeline/config.h"
#include "pipeline/filehash.h"
#include "pipeline/load.h"
#include "pipeline/modfetch.h"
#include "pipeline/modinfo.h"
#include "pipeline/ppflag.h"
#include "pipeline/vcs.h"

/* ---- steps and jobs --------------------------------------------------------------------------------- */

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

/* The text an action ID hashes: one "key value" line per input. */
#define hput strbuf_addf

/* ---- build_plan.c -------------------------------------------------------------------------------- */

void gb_steps_free(struct step *steps, size_t n);
/* A new step of kind k at the end of j's (path copied, may be NULL). */
struct step *gb_add_step(struct job *j, enum step_kind k, const char *path);
/* An S_EXEC step running argv in cwd (may be NULL); `term`: with TERM=dumb, as cmd/go runs the C tools. */
struct step *gb_add_exec(struct job *j, const struct strv *argv, const char *cwd, bool term);
/* The package as the per-package flags see it. */
struct gb_ppkg gb_ppkg_of(const struct build *b, const struct gb_pkg *p);
void gb_push_all(struct strv *dst, const struct strv *src);
const char *gb_base_name(const char *path);
/* Where the build runs (-C), absolute: the -n recipe changes directory before each tool. */
const char *gb_build_dir(const struct build *b);
/* Plans a package's job (j->p) or the link's once its imports are done: the action ID, then the cache
 * (j->cached) or the steps. */
int gb_plan_package(struct build *b, struct job *j, struct rt_err *err);
int gb_plan_link(struct build *b, struct job *j, struct rt_err *err);

/* ---- build_cgo.c ---------------------------------------------------------------------------------- */

/* The cgo, C compiler and dynamic-import commands of j's package (`gccs`: its .S files for gcc). */
int gb_plan_cgo(struct build *b, struct job *j, const struct strv *gccs, struct rt_err *err);
/* The -frandom-seed values, once j's action ID is known. */
void gb_fill_seeds(struct job *j);
/* The lines of a cgo package's action ID for its C side. */
int gb_hput_cgo(struct build *b, const struct job *j, struct strbuf *h, struct rt_err *err);
/* The steps of the cgo part, up to _cgo_import.go. */
void gb_add_cgo_steps(struct build *b, struct job *j);

/* ---- build_cache.c -------------------------------------------------------------------------------- */

/* $RT0TRACE_CACHE, else $XDG_CACHE_HOME/rt0trace, else $HOME/.cache/rt0trace, created. */
char *gb_cache_dir(struct rt_err *err);
char *gb_cache_path(const struct build *b, const uint8_t id[32], char kind);
bool gb_cache_lookup(const struct build *b, struct job *j, char kind);
int gb_cache_write(const char *path, const char *from, const char *text, struct rt_outfile *o);
int gb_cache_store(struct build *b, struct job *j, char kind, struct rt_err *err);
int gb_hput_file(struct build *b, struct strbuf *h, const struct gb_pkg *p, const char *label, const char *path,
		 struct rt_err *err);
void gb_hput_argv(struct strbuf *h, const struct build *b, const struct strv *argv);
/* j's action ID (and its string form) from the lines in h, which is released. */
void gb_finish_action(struct job *j, struct strbuf *h);
/* The identity of compile, asm and link: the Go version and each one's stat. */
char *gb_tool_identity(const struct gb_config *c);
/* The lines every action ID starts with: the tools, GOROOT, the target, the tags, the tools' environment. */
void gb_hput_target(struct strbuf *h, const struct build *b);

/* ---- build_run.c ---------------------------------------------------------------------------------- */

/* Starts the tool of step s (an S_EXEC of job j), its output captured in j->outfile. */
int gb_spawn_step(struct build *b, struct job *j, struct step *s, struct rt_err *err);
/* What j's tool printed, on stderr under "# <package>" (and kept for the cache). */
void gb_print_output(const struct build *b, struct job *j);
/* Runs every job: 0 when all are done. */
int gb_run(struct build *b, struct rt_err *err);

/* ---- build_pgo.c ---------------------------------------------------------------------------------- */

int gb_pgo_setup(struct build *b, const char *mode, struct rt_err *err);

/* ---- build_show.c --------------------------------------------------------------------------------- */

char *gb_show_path(const struct build *b, const char *s);
void gb_put_word(const struct build *b, FILE *f, const char *arg);
/* A step as sh runs it: as -x shows what runs, or in the -n recipe (`recipe`) with its conditions. */
void gb_show_step(const struct build *b, const struct step *s, FILE *f, bool recipe);
int gb_print_recipe(struct build *b, struct rt_err *err);

/* ---- build_output.c ------------------------------------------------------------------------------- */

/* Writes the linked executable to b->out. */
int gb_install(struct build *b, struct rt_err *err);
int gb_write_manifest(struct build *b, struct rt_err *err);

#endif
