#include "pipeline/scanmemo.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/outfile.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "pipeline/filehash.h"

struct entry {
	char *name;
	long long size, mtime_ns;
	unsigned long long ino;
	bool header;
	bool used;            /* asked for this run: written back */
	struct gosrc src;
};

struct gb_scanmemo {
	char *file;           /* the record, NULL when nothing is remembered */
	char *dir;
	struct entry *e;
	size_t n, cap;
	bool dirty;
};

static void entry_release(struct entry *e)
{
	free(e->name);
	gosrc_release(&e->src);
}

static void copy_strv(struct strv *to, const struct strv *from)
{
	for (size_t i = 0; i < from->n; i++)
		strv_push(to, from->v[i]);
}

static void gosrc_copy(struct gosrc *to, const struct gosrc *from)
{
	memset(to, 0, sizeof(*to));
	to->package = from->package ? xstrdup(from->package) : NULL;
	to->go_build = from->go_build ? xstrdup(from->go_build) : NULL;
	to->imports_c = from->imports_c;
	to->line_of_package = from->line_of_package;
	copy_strv(&to->imports, &from->imports);
	copy_strv(&to->cgo_lines, &from->cgo_lines);
	copy_strv(&to->plus_build, &from->plus_build);
	copy_strv(&to->embeds, &from->embeds);
	copy_strv(&to->go_debug, &from->go_debug);
}

/* The record's text: false on anything unexpected (the whole record is then dropped). */
static bool parse(struct gb_scanmemo *sm, char *text)
{
	struct entry *cur = NULL;

	for (char *line = text, *nl; *line; line = nl + 1) {
		char *v = line + 2;

		if (!(nl = strchr(line, '\n')))
			return false;
		*nl = '\0';
		if (line[0] == 'F' && line[1] == ' ') {
			char name[4096], kind;
			long long size, mt;
			unsigned long long ino;

			if (cur || sscanf(v, "%4095s %lld %lld %llu %c", name, &size, &mt, &ino, &kind) != 5 ||
			    (kind != 'g' && kind != 'h'))
				return false;
			sm->e = xgrow(sm->e, &sm->cap, sm->n + 1, sizeof(*sm->e));
			cur = &sm->e[sm->n++];
			memset(cur, 0, sizeof(*cur));
			*cur = (struct entry){ .name = xstrdup(name), .size = size, .mtime_ns = mt, .ino = ino, .header = kind == 'h' };
			continue;
		}
		if (!cur)
			return false;
		if (strcmp(line, ".") == 0) {
			cur = NULL;
			continue;
		}
		if (strcmp(line, "C") == 0) {
			cur->src.imports_c = true;
			continue;
		}
		if (line[1] != ' ')
			return false;
		switch (line[0]) {
		case 'P': free(cur->src.package); cur->src.package = xstrdup(v); break;
		case 'N': cur->src.line_of_package = atoi(v); break;
		case 'I': strv_push(&cur->src.imports, v); break;
		case 'X': strv_push(&cur->src.cgo_lines, v); break;
		case 'G': free(cur->src.go_build); cur->src.go_build = xstrdup(v); break;
		case 'B': strv_push(&cur->src.plus_build, v); break;
		case 'E': strv_push(&cur->src.embeds, v); break;
		case 'D': strv_push(&cur->src.go_debug, v); break;
		default: return false;
		}
	}
	return cur == NULL;
}

struct gb_scanmemo *gb_scanmemo_open(const char *memo_dir, const char *dir)
{
	struct gb_scanmemo *sm = xcalloc(1, sizeof(*sm));
	uint8_t d[32];
	char hex[65], *text;

	sm->dir = xstrdup(dir);
	if (!memo_dir)
		return sm;
	sha256(dir, strlen(dir), d);
	sha256_hex(d, hex);
	sm->file = xasprintf("%s/%s", memo_dir, hex);
	if (rt_read_file(sm->file, &text, NULL) == 0) {
		if (!parse(sm, text)) {
			for (size_t i = 0; i < sm->n; i++)
				entry_release(&sm->e[i]);
			sm->n = 0;
		}
		free(text);
	}
	return sm;
}

static bool one_line(const char *s)
{
	return !s || !strchr(s, '\n');
}

static bool strv_one_line(const struct strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (!one_line(v->v[i]) || !*v->v[i])
			return false;
	return true;
}

int gb_scanmemo_scan(struct gb_scanmemo *sm, const char *name, bool header, struct gosrc *out, struct stat *st,
		     struct rt_err *err)
{
	char *path = xasprintf("%s/%s", sm->dir, name);
	struct entry *hit = NULL;
	long long mt;
	int rc;

	memset(st, 0, sizeof(*st));
	if (stat(path, st) != 0) { /* the scan says why */
		rc = header ? gosrc_scan_header(path, out, err) : gosrc_scan(path, out, err);
		free(path);
		return rc;
	}
	mt = (long long)st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
	for (size_t i = 0; i < sm->n && !hit; i++)
		if (strcmp(sm->e[i].name, name) == 0)
			hit = &sm->e[i];
	if (hit && hit->size == (long long)st->st_size && hit->mtime_ns == mt && hit->ino == (unsigned long long)st->st_ino &&
	    hit->header == header) {
		hit->used = true;
		gosrc_copy(out, &hit->src);
		free(path);
		return 0;
	}
	rc = header ? gosrc_scan_header(path, out, err) : gosrc_scan(path, out, err);
	free(path);
	if (rc != 0 || !sm->file || strchr(name, ' ') || strlen(name) >= 4096 || gb_filehash_racy(mt) || !one_line(out->package) ||
	    !one_line(out->go_build) || !strv_one_line(&out->imports) || !strv_one_line(&out->cgo_lines) ||
	    !strv_one_line(&out->plus_build) || !strv_one_line(&out->embeds) || !strv_one_line(&out->go_debug))
		return rc;
	if (!hit) {
		sm->e = xgrow(sm->e, &sm->cap, sm->n + 1, sizeof(*sm->e));
		hit = &sm->e[sm->n++];
		memset(hit, 0, sizeof(*hit));
		hit->name = xstrdup(name);
	} else {
		gosrc_release(&hit->src);
	}
	hit->size = (long long)st->st_size;
	hit->mtime_ns = mt;
	hit->ino = (unsigned long long)st->st_ino;
	hit->header = header;
	hit->used = true;
	gosrc_copy(&hit->src, out);
	sm->dirty = true;
	return 0;
}

static void put_strv(struct strbuf *sb, char kind, const struct strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		strbuf_addf(sb, "%c %s\n", kind, v->v[i]);
}

void gb_scanmemo_close(struct gb_scanmemo *sm)
{
	if (!sm)
		return;
	if (sm->dirty && sm->file) {
		struct strbuf sb = STRBUF_INIT;
		struct rt_outfile o = { 0 };
		char *dir = xstrdup(sm->file);

		for (size_t i = 0; i < sm->n; i++) {
			const struct entry *e = &sm->e[i];

			if (!e->used)
				continue;
			strbuf_addf(&sb, "F %s %lld %lld %llu %c\n", e->name, e->size, e->mtime_ns, e->ino, e->header ? 'h' : 'g');
			if (e->src.package)
				strbuf_addf(&sb, "P %s\n", e->src.package);
			strbuf_addf(&sb, "N %d\n", e->src.line_of_package);
			if (e->src.imports_c)
				strbuf_adds(&sb, "C\n");
			if (e->src.go_build)
				strbuf_addf(&sb, "G %s\n", e->src.go_build);
			put_strv(&sb, 'I', &e->src.imports);
			put_strv(&sb, 'X', &e->src.cgo_lines);
			put_strv(&sb, 'B', &e->src.plus_build);
			put_strv(&sb, 'E', &e->src.embeds);
			put_strv(&sb, 'D', &e->src.go_debug);
			strbuf_adds(&sb, ".\n");
		}
		*strrchr(dir, '/') = '\0';
		/* best effort: a record that cannot be written only costs the next build a scan */
		if (rt_mkdir_p(dir) == 0 && rt_outfile_open(&o, sm->file, 0666) == 0) {
			if (fwrite(sb.buf ? sb.buf : "", 1, sb.len, o.f) != sb.len || rt_outfile_commit(&o) != 0)
				rt_outfile_discard(&o);
		}
		free(dir);
		strbuf_release(&sb);
	}
	for (size_t i = 0; i < sm->n; i++)
		entry_release(&sm->e[i]);
	free(sm->e);
	free(sm->file);
	free(sm->dir);
	free(sm);
}
