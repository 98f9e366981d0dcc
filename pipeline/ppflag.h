/*
 * cmd/go's per-package flags (-gcflags, -asmflags, -ldflags; cmd/go/internal/load/flag.go): each
 * setting is [PATTERN=]FLAGS, FLAGS split as go splits them (quotes allowed). For a package, the last
 * setting whose pattern matches it wins; a setting without a pattern is for the packages named on the
 * command line. Settings from GOFLAGS come first, then the command line's.
 *
 * Patterns (cmd/go/internal/load/search.go MatchPackage): "all" (every package), "std" (the standard
 * library, cmd included), "cmd", a relative path ("./x", "../y/...": package directories under the
 * directory the build runs in), or an import path pattern where "..." matches any string, except that
 * it never reaches into a vendor directory the pattern does not name, and a trailing "/..." also
 * matches the path before it ("net/..." matches "net").
 */
#ifndef RT0_PIPELINE_PPFLAG_H
#define RT0_PIPELINE_PPFLAG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strv.h"

struct gb_ppflag {
	struct gb_ppval {
		char *pattern;        /* NULL: the packages named on the command line */
		struct strv flags;
	} *v;
	size_t n, cap;
	char *raw;                    /* the last setting as given (the build info's value), or NULL */
};

/* The package a setting is matched against. */
struct gb_ppkg {
	const char *path;             /* import path */
	const char *dir;              /* absolute directory */
	bool standard;                /* in $GOROOT/src */
	bool cmdline;                 /* named on the command line (the main package) */
};

/* Adds one setting of flag `name` ("gcflags"): 0, or -1 with RT_EXIT_USAGE saying what is wrong, as go
 * does (a missing =FLAGS or pattern, a pattern starting with a quote, bad quoting). */
int gb_ppflag_set(struct gb_ppflag *f, const char *name, const char *value, struct rt_err *err);
/* The flags for package p (`cwd`: the absolute directory relative patterns start from); never NULL. */
const struct strv *gb_ppflag_for(const struct gb_ppflag *f, const char *cwd, const struct gb_ppkg *p);
void gb_ppflag_release(struct gb_ppflag *f);

/* cmd/internal/pkgpattern.MatchPattern: whether import path `name` matches `pattern`. */
bool gb_pkgpattern_match(const char *pattern, const char *name);

#endif
