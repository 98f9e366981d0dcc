/*
 * pipeline/cgo: the pure parts of building with cgo, kept apart so they can be tested alone.
 *
 *  - argument lists the way the go command splits them: $CC, $CGO_CFLAGS and -ldflags with
 *    cmd/internal/quoted's rules (fields split on spaces; a field may be wrapped in '' or "" with no
 *    escapes inside), and #cgo directive arguments with go/build's rules (quotes and backslash escapes
 *    anywhere in a field);
 *  - `#cgo [COND...] VERB: ARGS` directives of an `import "C"` preamble: COND terms are build
 *    constraints (any one must hold), ${SRCDIR} expands to the package directory, and relative -I/-L
 *    paths of the *FLAGS verbs are made absolute against it;
 *  - which -linkmode the link flags ask for (the last one wins, as in cmd/go).
 *
 * Ownership: gb_cgo_flags is filled by gb_cgo_directive() and released by gb_cgo_flags_release().
 */
#ifndef RT0_PIPELINE_CGO_H
#define RT0_PIPELINE_CGO_H

#include <stdbool.h>

#include "common/err.h"
#include "common/strv.h"
#include "pipeline/config.h"

struct gb_cgo_flags {
	struct strv cppflags, cflags, cxxflags, fflags, ldflags;
	struct strv pkgconfig; /* pkg-config arguments: package names and --options */
};

void gb_cgo_flags_release(struct gb_cgo_flags *f);

/* cmd/internal/quoted.Split: appends the fields of `s` to `out`. -1 (RT_EXIT_USAGE, "unterminated '
 * string") when a quote is not closed; `out` may then hold the fields before it. */
int gb_split_quoted(const char *s, struct strv *out, struct rt_err *err);

/* cmd/internal/quoted.Join: the fields joined by spaces, a field with a space or quote wrapped in the
 * quote it does not contain. NULL when a field holds both kinds of quote. Caller frees. */
char *gb_join_quoted(const struct strv *args);

/* go/build's splitQuoted for #cgo arguments. -1 on an unclosed quote or a trailing backslash. */
int gb_split_cgo_args(const char *s, struct strv *out);

/* One directive line of the preamble of `file` (already trimmed, starting with "#cgo"), for a package
 * in `srcdir`. Appends its arguments to the verb's list in `f` when its condition holds. "#cgo
 * noescape/nocallback NAME" lines are skipped. Errors (RT_EXIT_BUILD) name the file and the line. */
int gb_cgo_directive(const struct gb_config *c, const char *file, const char *line, const char *srcdir,
		     struct gb_cgo_flags *f, struct rt_err *err);

/* Whether `ldflags` (split) ask for -linkmode external; *set tells whether they name a link mode. */
bool gb_ldflags_external(const struct strv *ldflags, bool *set);

/* filepath.Join(dir, rel) for absolute `dir`: joined and cleaned ("." and ".." resolved). */
char *gb_path_join(const char *dir, const char *rel);

#endif
