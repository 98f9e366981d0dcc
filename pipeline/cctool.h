/*
 * pipeline/cctool: the C compiler a cgo build uses ($CC, default "gcc", split as cmd/go splits it):
 * where it is, what it is (an identity for action IDs), and which of the optional flags cmd/go adds it
 * accepts (cmd/go's gccSupportsFlag: compile an empty file with the flag and look for "unrecognized",
 * "unknown", ... in the output).
 *
 * The identity and the flag answers are remembered in $CACHE/cc/<key>, keyed by the compiler's path,
 * $CC and the flags used for probing, and valid while the compiler's stat (size, mtime, inode) is
 * unchanged, so a rebuild runs no compiler to learn them again (as cmd/go's gccCompilerID does).
 *
 * Ownership: gb_cc_init() fills a caller-provided struct, gb_cc_release() frees it (NULL-safe fields).
 */
#ifndef RT0_PIPELINE_CCTOOL_H
#define RT0_PIPELINE_CCTOOL_H

#include <stdbool.h>

#include "common/err.h"
#include "common/strv.h"

enum gb_cc_flag {
	GB_CC_NO_CARET,          /* -fno-caret-diagnostics */
	GB_CC_QUNUSED,           /* -Qunused-arguments */
	GB_CC_NO_GC_SECTIONS,    /* -Wl,--no-gc-sections */
	GB_CC_DEBUG_PREFIX_MAP,  /* -fdebug-prefix-map=a=b */
	GB_CC_FILE_PREFIX_MAP,   /* -ffile-prefix-map=a=b */
	GB_CC_NO_RECORD_SWITCHES, /* -gno-record-gcc-switches */
	GB_CC_RANDOM_SEED,       /* -frandom-seed=1 */
	GB_CC_NFLAGS
};

struct gb_cc {
	struct strv argv;   /* $CC split (default "gcc") */
	bool from_env;      /* $CC was set */
	char *path;         /* argv[0] found (PATH searched when it has no '/'), NULL when not found */
	char *id;           /* "path stat version machine": what identifies the compiler, NULL before identify */
	char *machine;      /* -dumpmachine, e.g. "x86_64-linux-gnu" */
	bool flags[GB_CC_NFLAGS];
};

/* Splits $CC and looks the compiler up; runs nothing. RT_EXIT_ENV when $CC cannot be split. A missing
 * compiler is not an error here (path stays NULL): only a build that needs it fails. */
int gb_cc_init(struct gb_cc *cc, struct rt_err *err);

/* Fills id, machine and flags, from the memo in `cache_dir` when valid, else by running the compiler
 * (in `workdir`, with `cflags` / `ldflags` as cmd/go probes with $CGO_CFLAGS / $CGO_LDFLAGS), and then
 * saves the memo when `save`. RT_EXIT_ENV when the compiler cannot be run at all. */
int gb_cc_identify(struct gb_cc *cc, const char *cache_dir, bool save, const struct strv *cflags,
		   const struct strv *ldflags, const char *workdir, struct rt_err *err);

void gb_cc_release(struct gb_cc *cc); /* NULL is fine */

/* The text of a flag, for command lines. */
const char *gb_cc_flag_text(enum gb_cc_flag f);

/* Runs argv (PATH searched) in `cwd` with stdin from /dev/null, extra "K=V" env `env` (may be NULL);
 * *out gets stdout+stderr (caller frees), *status the exit status (-1 when killed). -1 when it cannot
 * be started. */
int gb_run_capture(char *const *argv, const char *cwd, const struct strv *env, char **out, int *status);
/* The same with stdout only (stderr to /dev/null) and our environment. */
int gb_run_stdout(char *const *argv, const char *cwd, char **out, int *status);

#endif
