/*
 * pipeline/modinfo: the two strings go build derives for the link of a main package.
 *
 *  - DefaultGODEBUG (cmd/go/internal/load/godebug.go): for each setting of $GOROOT/src/internal/godebugs
 *    whose Changed release is newer than the main module's go version, its Old value; then go.mod's
 *    godebug lines and the main package's //go:debug directives on top ("default=go1.N" picks another
 *    base version); keys sorted, "k=v" joined by commas. Passed as -X=runtime.godebugDefault=... and
 *    recorded as the DefaultGODEBUG build setting.
 *  - the module information blob (runtime/debug.BuildInfo text between cmd/go's 16-byte sentinels),
 *    passed to the linker as the importcfg.link "modinfo" line, Go-quoted.
 */
#ifndef RT0_PIPELINE_MODINFO_H
#define RT0_PIPELINE_MODINFO_H

#include <stdbool.h>

#include "common/err.h"
#include "pipeline/load.h"
#include "pipeline/vcs.h"

/* Returns a malloc'd string ("" when nothing differs from the toolchain's defaults). */
int gb_default_godebug(const struct gb_graph *g, char **out, struct rt_err *err);

/* The build settings from flags: each -asmflags, -gcflags and -ldflags as last given (-asmflags recorded
 * when given at all, -gcflags when not empty, -ldflags when not empty and without -trimpath, as go
 * does), or NULL; `pgo` the -pgo setting (the profile's path, or its file name with -trimpath), or NULL. */
struct gb_modinfo_flags {
	const char *asmflags, *gcflags, *ldflags, *pgo;
	const char *buildmode; /* "exe" (NULL too) or "pie" */
	const struct gb_vcs *vcs; /* -buildvcs's settings and the main module's version, or NULL */
};
/* The BuildInfo text with sentinels (binary bytes; *len receives its length). */
char *gb_modinfo(const struct gb_graph *g, const char *godebug, bool trimpath, const struct gb_modinfo_flags *f,
		 size_t *len);

/* A Go double-quoted string literal for arbitrary bytes (what strconv.Unquote reads back). */
char *gb_go_quote(const char *s, size_t len);

#endif
