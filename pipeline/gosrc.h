/*
 * pipeline/gosrc: what the build needs from one Go source file, read without compiling it (the way
 * go/build's readGoInfo does): the build constraints in the leading comments, the package clause, the
 * import declarations, `import "C"` and the #cgo directives of its preamble (the comment group right
 * before it, as go/build reads it), `//go:embed` patterns and `//go:debug` directives.
 *
 * Ownership: gosrc_scan() fills a caller-provided struct; gosrc_release() frees what it holds.
 */
#ifndef RT0_PIPELINE_GOSRC_H
#define RT0_PIPELINE_GOSRC_H

#include <stdbool.h>

#include "common/err.h"
#include "common/strv.h"

struct gosrc {
	char *package;           /* package clause name, NULL when the file has none */
	struct strv imports;     /* import paths in file order (duplicates kept once) */
	bool imports_c;          /* import "C": a cgo file */
	struct strv cgo_lines;   /* the "#cgo ..." lines of the import "C" doc comment, trimmed */
	char *go_build;          /* the //go:build expression (text after "//go:build "), or NULL */
	struct strv plus_build;  /* the text of each "// +build" line (only those go/build honours) */
	struct strv embeds;      /* //go:embed patterns, unquoted, in order */
	struct strv go_debug;    /* //go:debug "key=value" directives of the header */
	int line_of_package;     /* line of the package clause (for messages) */
};

/* Scans `path`. Errors (RT_EXIT_BUILD): unreadable file, no package clause, a malformed import
 * declaration or //go:embed line, each as "path:line: what". */
int gosrc_scan(const char *path, struct gosrc *out, struct rt_err *err);
/* Same, on bytes in memory (`name` is used in messages). */
int gosrc_scan_mem(const char *name, const char *src, size_t len, struct gosrc *out, struct rt_err *err);
/* Only the constraint header (go_build, plus_build): for assembly files, which have no package clause. */
int gosrc_scan_header(const char *path, struct gosrc *out, struct rt_err *err);
void gosrc_release(struct gosrc *g);

#endif
