/*
 * pipeline/embed: //go:embed patterns -> the compiler's -embedcfg file, by cmd/go's rules: a pattern
 * (optionally "all:"-prefixed) is a glob relative to the package directory; a matched file is embedded;
 * a matched directory contributes every regular file below it, skipping names starting with '.' or '_'
 * (unless "all:"), VCS directories and nested modules (a directory with a go.mod).
 */
#ifndef RT0_PIPELINE_EMBED_H
#define RT0_PIPELINE_EMBED_H

#include "common/err.h"
#include "common/strv.h"

/* Resolves `patterns` for the package in `dir`. On success *json is the embedcfg text
 * ({"Patterns":{pat:[files]},"Files":{file:abspath}}) and `files` lists the embedded files
 * (relative, sorted, each once) for hashing. Errors are RT_EXIT_BUILD naming the pattern. */
int gb_embed_resolve(const char *dir, const struct strv *patterns, char **json, struct strv *files, struct rt_err *err);

#endif
