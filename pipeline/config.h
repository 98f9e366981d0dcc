/*
 * pipeline/config: the build configuration — which Go toolchain (GOROOT, its version and tools), which
 * target (GOOS, GOARCH, GOARM, GOAMD64, GOARM64, CGO_ENABLED), and so which build tags hold.
 *
 * Version-dependent facts are read from the toolchain's own sources where they live as data
 * ($GOROOT/src/internal/syslist, $GOROOT/src/internal/platform/zosarch.go), so a newer Go does not need
 * a newer rt0trace for them. The product never runs `go`: GOROOT comes from --goroot, $GOROOT,
 * /usr/local/go, or two levels above a `go` found on PATH, resolved as a path only.
 *
 * Ownership: gb_config_load() fills a caller-provided struct; gb_config_release() frees it.
 */
#ifndef RT0_PIPELINE_CONFIG_H
#define RT0_PIPELINE_CONFIG_H

#include <stdbool.h>

#include "common/err.h"
#include "common/strv.h"

struct gb_config {
	char *goroot;       /* absolute, symlinks resolved */
	char *version;      /* "go1.26.8", first line of $GOROOT/VERSION */
	int minor;          /* 26 */
	char *lang;         /* "go1.26": the -lang of standard-library packages */
	char *tooldir;      /* $GOROOT/pkg/tool/<hostos>_<hostarch> */
	char *hostos, *hostarch;

	char *goos, *goarch;
	char *goarm;        /* "7" (GOARCH=arm only; may carry ",softfloat") */
	char *goamd64;      /* "v1" (GOARCH=amd64 only) */
	char *goarm64;      /* "v8.0" (GOARCH=arm64 only) */
	bool cgo;
	bool link_external; /* -ldflags ask for -linkmode external (set by the caller after loading) */
	/* Which of GOOS, GOARCH, GOARM, GOAMD64, GOARM64 were set in the environment (go build passes the
	 * tools only what the user set, so the same values are passed here). */
	struct strv tool_env;

	struct strv known_os, unix_os, known_arch; /* internal/syslist */
	struct strv tool_tags;   /* goexperiment.* and arch feature tags (amd64.v1, arm.7, ...) */
	struct strv experiments; /* enabled GOEXPERIMENTs, lower case */
	struct strv build_tags;  /* -tags, in the order given */
};

/* Errors: RT_EXIT_ENV for a missing or broken GOROOT/tools, RT_EXIT_BUILD for an unsupported target. */
int gb_config_load(struct gb_config *c, const char *goroot_flag, struct rt_err *err);
void gb_config_release(struct gb_config *c);

/* -tags as go build reads it: a comma-separated list (or, the old form, space-separated, quoting as
 * cmd/go's quoted.Split); empty entries are dropped. RT_EXIT_USAGE for an unbalanced quote. */
int gb_config_set_tags(struct gb_config *c, const char *value, struct rt_err *err);

/* Whether build tag `tag` is satisfied (go/build's matchTag). */
bool gb_match_tag(const struct gb_config *c, const char *tag);

/* Evaluates a //go:build expression. Returns 0 and sets *ok, or -1 on a syntax error. */
int gb_eval_go_build(const struct gb_config *c, const char *expr, bool *ok, struct rt_err *err);
/* Evaluates "// +build" lines: each line is an OR of space-separated terms, a term an AND of
 * comma-separated [!]tags; all lines must hold. */
bool gb_eval_plus_build(const struct gb_config *c, const struct strv *lines);

/* go/build's goodOSArchFile: a name_GOOS[_GOARCH] or name_GOARCH suffix (before the extension and any
 * _test) must match the target when it names a known OS or architecture. */
bool gb_good_os_arch_file(const struct gb_config *c, const char *filename);

#endif
