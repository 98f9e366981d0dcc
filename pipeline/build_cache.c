/*
 * pipeline/build_cache: the build cache and the action IDs that key it. An entry is $CACHE/ab/<hex>-<kind>
 * (a: a package archive, x: a linked executable, p: a preprocessed PGO profile, o: what the tools
 * printed) with $CACHE/ab/<hex>-d, written last, holding the content ID and build ID; an action ID is
 * the sha256 of "key value" lines over every input of the action (pipeline/build.h says which).
 */
#include "pipeline/build_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "pipeline/buildid.h"

char *gb_cache_dir(struct rt_err *err)
{
	const char *env = getenv("RT0TRACE_CACHE"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir;

	if (env && *env)
		dir = xstrdup(env);
	else if (xdg && *xdg)
		dir = xasprintf("%s/rt0trace", xdg);
	else if (home && *home)
		dir = xasprintf("%s/.cache/rt0trace", home);
	else
		return rt_errf(err, RT_EXIT_ENV, "no build cache directory: set RT0TRACE_CACHE or HOME"), NULL;
	if (rt_mkdir_p(dir) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot create the build cache '%s': %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

/* $CACHE/ab/<hex>-<kind> */
char *gb_cache_path(const struct build *b, const uint8_t id[32], char kind)
{
	char hex[65];

	sha256_hex(id, hex);
	return xasprintf("%s/%.2s/%s-%c", b->cache, hex, hex, kind);
}

/* A cached result: the output file and its content ID (written last, so its presence means complete). */
bool gb_cache_lookup(const struct build *b, struct job *j, char kind)
{
	char *meta = gb_cache_path(b, j->action, 'd'), *out = gb_cache_path(b, j->action, kind);
	FILE *f = fopen(meta, "r");
	char hex[65], id[sizeof(j->buildid)];
	bool ok = false;

	_Static_assert(sizeof(j->buildid) == 84, "the fscanf width below is sizeof(buildid) - 1");
	if (f && !b->o->rebuild_all && fscanf(f, "%64s %83s", hex, id) == 2 && access(out, R_OK) == 0 && strlen(hex) == 64 &&
	    sha256_from_hex(hex, j->content)) {
		strcpy(j->buildid, id);
		free(j->archive);
		j->archive = out;
		out = NULL;
		ok = true;
	}
	if (f)
		fclose(f);
	free(meta);
	free(out);
	return ok;
}

/* Writes the bytes of `from` (or `text`) to `path` through common/outfile: whole or not at all, never
 * through a planted link or a guessable name. 0, or -1 with errno and `why` (for rt_outfile_error). */
int gb_cache_write(const char *path, const char *from, const char *text, struct rt_outfile *o)
{
	int wrote;

	if (rt_outfile_open(o, path, 0666) != 0)
		return -1;
	wrote = from ? rt_append_file(o->f, from) : text && fputs(text, o->f) != EOF ? 0 : -1;
	if (wrote != 0 || rt_outfile_commit(o) != 0) {
		int e = errno;

		rt_outfile_discard(o);
		errno = e;
		return -1;
	}
	return 0;
}

/* Moves a finished result into the cache (content ID file last). */
int gb_cache_store(struct build *b, struct job *j, char kind, struct rt_err *err)
{
	char *dst = gb_cache_path(b, j->action, kind), *meta = gb_cache_path(b, j->action, 'd');
	char *dir = xstrdup(dst), *line = NULL, hex[65];
	struct rt_outfile o = { 0 };
	int rc = -1;

	*strrchr(dir, '/') = '\0';
	/* rename replaces what is at dst (a link too) and never follows it; across file systems, a copy */
	if (rt_mkdir_p(dir) != 0 || (rename(j->result, dst) != 0 && gb_cache_write(dst, j->result, NULL, &o) != 0)) {
		rt_errf(err, RT_EXIT_ENV, "cannot write the build cache '%s': %s", dst, rt_outfile_error(&o, errno));
		goto out;
	}
	sha256_hex(j->content, hex);
	line = xasprintf("%s %s\n", hex, j->buildid);
	if (gb_cache_write(meta, NULL, line, &o) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot write the build cache '%s': %s", meta, rt_outfile_error(&o, errno));
		goto out;
	}
	free(j->archive);
	j->archive = dst;
	dst = NULL;
	rc = 0;
out:
	free(dst);
	free(meta);
	free(line);
	free(dir);
	return rc;
}

/* p: the package the file belongs to (a file of a module from the module cache is checked against what the
 * module verified to: pipeline/modload.h), or NULL */
int gb_hput_file(struct build *b, struct strbuf *h, const struct gb_pkg *p, const char *label, const char *path,
		     struct rt_err *err)
{
	uint8_t d[32];
	char hex[65];

	if (gb_filehash(&b->files, path, d, err) != 0)
		return -1;
	if (p && p->mod && p->mod->gm && b->g.mg && gb_modgraph_check_file(b->g.mg, p->mod->gm, path, d, err) != 0)
		return -1;
	sha256_hex(d, hex);
	hput(h, "%s %s %s\n", label, strrchr(path, '/') + 1, hex);
	return 0;
}

void gb_hput_argv(struct strbuf *h, const struct build *b, const struct strv *argv)
{
	for (size_t i = 0; i < argv->n; i++) {
		char *s = gb_show_path(b, argv->v[i]);

		hput(h, "arg %s\n", s);
		free(s);
	}
}

void gb_finish_action(struct job *j, struct strbuf *h)
{
	gb_sha256(h->buf, h->len, j->action);
	gb_hash_to_string(j->action, j->action_id);
	strbuf_release(h);
}

char *gb_tool_identity(const struct gb_config *c)
{
	static const char *const tools[] = { "compile", "asm", "link" };
	char *id = xasprintf("%s", c->version);

	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s", c->tooldir, tools[i]), *n;
		struct stat st;

		if (stat(p, &st) == 0)
			n = xasprintf("%s %s:%lld:%lld.%09ld:%llu", id, tools[i], (long long)st.st_size,
				      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
		else
			n = xasprintf("%s %s:missing", id, tools[i]);
		free(id);
		free(p);
		id = n;
	}
	return id;
}

void gb_hput_target(struct strbuf *h, const struct build *b)
{
	const struct gb_config *c = &b->cfg;

	hput(h, "tools %s\ngoroot %s\ntarget %s/%s arm=%s amd64=%s arm64=%s cgo=%d\n", b->tool_id, c->goroot, c->goos,
	     c->goarch, c->goarm ? c->goarm : "", c->goamd64 ? c->goamd64 : "", c->goarm64 ? c->goarm64 : "", c->cgo);
	for (size_t i = 0; i < c->tool_tags.n; i++)
		hput(h, "tag %s\n", c->tool_tags.v[i]);
	for (size_t i = 0; i < c->build_tags.n; i++)
		hput(h, "buildtag %s\n", c->build_tags.v[i]);
	for (size_t i = 0; i < c->tool_env.n; i++)
		hput(h, "env %s\n", c->tool_env.v[i]);
}
