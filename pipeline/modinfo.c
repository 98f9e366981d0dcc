#include "pipeline/modinfo.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/strv.h"
#include "common/xalloc.h"

struct kv {
	char *k, *v;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

static void kv_set(struct kv **m, size_t *n, size_t *cap, const char *k, size_t klen, const char *v)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen((*m)[i].k) == klen && strncmp((*m)[i].k, k, klen) == 0) {
			free((*m)[i].v);
			(*m)[i].v = xstrdup(v);
			return;
		}
	*m = xgrow(*m, cap, *n + 1, sizeof(**m));
	(*m)[*n].k = xstrndup(k, klen);
	(*m)[*n].v = xstrdup(v);
	(*n)++;
}

/* "1.22.3" or "1.22" -> 22; -1 when not a 1.N version. */
static int go_minor_of(const char *v)
{
	if (strncmp(v, "1.", 2) != 0 || !isdigit((unsigned char)v[2]))
		return -1;
	return atoi(v + 2);
}

/* Reads {Name: "x", ..., Changed: N, Old: "v"} entries of internal/godebugs/table.go. */
static int godebug_table_defaults(const char *goroot, int minor, struct kv **m, size_t *n, size_t *cap,
				  struct rt_err *err)
{
	char *path = xasprintf("%s/src/internal/godebugs/table.go", goroot);
	FILE *f = fopen(path, "r");
	char line[1024];
	int entries = 0;

	if (!f) {
		rt_errf(err, RT_EXIT_ENV, "cannot read the GODEBUG table '%s'", path);
		free(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *name = strstr(line, "{Name: \""), *changed = strstr(line, "Changed: "), *old = strstr(line, "Old: \"");
		char *ne, *oe;

		if (!name)
			continue;
		entries++;
		name += 8;
		if (!(ne = strchr(name, '"')) || !changed || !old || !(oe = strchr(old + 6, '"')))
			continue;
		if (minor < atoi(changed + 9)) {
			*oe = '\0';
			kv_set(m, n, cap, name, (size_t)(ne - name), old + 6);
		}
	}
	fclose(f);
	if (!entries) {
		rt_errf(err, RT_EXIT_ENV, "no GODEBUG settings found in '%s'", path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

int gb_default_godebug(const struct gb_graph *g, char **out, struct rt_err *err)
{
	const struct gb_module *mm = g->main_mod;
	struct kv *over = NULL, *m = NULL;
	size_t nover = 0, capover = 0, n = 0, cap = 0;
	/* go install PKG@VERSION: the go line of the module providing the main package */
	const char *gover = g->outside && g->main->mod && g->main->mod->go ? g->main->mod->go : mm->go ? mm->go : "1.16";
	struct strbuf sb = STRBUF_INIT;
	char *base = NULL;
	int minor, rc = -1;

	*out = NULL;
	if (strcmp(g->main->name, "main") != 0) {
		*out = xstrdup("");
		return 0;
	}
	/* go.mod godebug lines, then //go:debug directives: "key=value". */
	for (int pass = 0; pass < 2; pass++) {
		const struct strv *l = pass == 0 ? &mm->godebug : &g->main->go_debug;

		for (size_t i = 0; i < l->n; i++) {
			const char *eq = strchr(l->v[i], '=');

			if (eq)
				kv_set(&over, &nover, &capover, l->v[i], (size_t)(eq - l->v[i]), eq + 1);
		}
	}
	for (size_t i = 0; i < nover; i++)
		if (strcmp(over[i].k, "default") == 0) {
			const char *v = strncmp(over[i].v, "go", 2) == 0 ? over[i].v + 2 : over[i].v;

			if (go_minor_of(v) >= 0)
				base = xstrdup(v);
			free(over[i].k);
			free(over[i].v);
			over[i] = over[--nover];
			break;
		}
	minor = go_minor_of(base ? base : gover);
	free(base);
	if (minor >= 0 && godebug_table_defaults(g->cfg->goroot, minor, &m, &n, &cap, err) != 0)
		goto out;
	for (size_t i = 0; i < nover; i++)
		kv_set(&m, &n, &cap, over[i].k, strlen(over[i].k), over[i].v);
	if (n)
		qsort(m, n, sizeof(*m), cmp_kv);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s=%s", i ? "," : "", m[i].k, m[i].v);
	*out = strbuf_detach(&sb, NULL);
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(m[i].k), free(m[i].v);
	for (size_t i = 0; i < nover; i++)
		free(over[i].k), free(over[i].v);
	free(m);
	free(over);
	return rc;
}

/* cmd/go/internal/modload's infoStart and infoEnd. */
static const unsigned char info_start[16] = { 0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
					       0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6 };
static const unsigned char info_end[16] = { 0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
					     0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2 };

/* runtime/debug.BuildInfo.String's formatMod: "WORD path version sum", or for a replaced module
 * "WORD path version" then "=> path version sum" and an empty line. Sums are empty in vendor mode;
 * a version is "(devel)" where there is none (a directory replacement). */
static void mod_line(struct strbuf *sb, const char *word, const struct gb_module *m)
{
	const struct gb_module *r = m->replace;

	if (!r) {
		strbuf_addf(sb, "%s\t%s\t%s\t%s\n", word, m->path, m->version ? m->version : "(devel)", m->sum ? m->sum : "");
		return;
	}
	strbuf_addf(sb, "%s\t%s\t%s\n=>\t%s\t%s\t%s\n\n", word, m->path, m->version ? m->version : "(devel)", r->path,
		    r->version ? r->version : "(devel)", r->sum ? r->sum : "");
}

static int cmp_mod(const void *a, const void *b)
{
	return strcmp((*(struct gb_module *const *)a)->path, (*(struct gb_module *const *)b)->path);
}

/* runtime/debug's build setting line: the value Go-quoted when it holds a space, a tab, a quote or a
 * newline (quoteValue). */
static void setting(struct strbuf *sb, const char *key, const char *value)
{
	if (strpbrk(value, " \t\r\n\"`")) {
		char *q = gb_go_quote(value, strlen(value));

		strbuf_addf(sb, "build\t%s=%s\n", key, q);
		free(q);
	} else {
		strbuf_addf(sb, "build\t%s=%s\n", key, value);
	}
}

/* cmd/go's cfg.Getenv for the cgo flags: the environment's value, "" when unset (go's defaults for
 * the compiles are not what it records). */
static const char *cgo_env(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

char *gb_modinfo(const struct gb_graph *g, const char *godebug, bool trimpath, const struct gb_modinfo_flags *f,
		 size_t *lenp)
{
	const struct gb_config *c = g->cfg;
	const struct gb_module *mm = g->main_mod;
	struct strbuf sb = STRBUF_INIT;
	size_t ndeps = 0;
	struct gb_module **deps = xcalloc(g->nmods + 1, sizeof(*deps));

	strbuf_add(&sb, info_start, 16);
	strbuf_addf(&sb, "path\t%s\n", g->main->path);
	/* the main package's module: the main module, or the required module it was named from */
	if (!mm->is_std && g->main->mod && !g->main->mod->is_main)
		mod_line(&sb, "mod", g->main->mod);
	else if (!mm->is_std)
		strbuf_addf(&sb, "mod\t%s\t%s\t\n", mm->path, f->vcs && f->vcs->version ? f->vcs->version : "(devel)");
	/* dep lines: the other non-main modules that provide a package to this build, sorted by path. */
	for (size_t i = 0; i < g->npkgs; i++) {
		struct gb_module *m = g->pkgs[i]->mod;
		bool seen = false;

		/* (a workspace's other main modules are deps too, at "(devel)") */
		if (!m || m->is_std || g->pkgs[i]->standard || m == g->main->mod || m == mm)
			continue;
		for (size_t k = 0; k < ndeps; k++)
			seen = seen || deps[k] == m;
		if (!seen)
			deps[ndeps++] = m;
	}
	if (ndeps)
		qsort(deps, ndeps, sizeof(*deps), cmp_mod);
	for (size_t i = 0; i < ndeps; i++)
		mod_line(&sb, "dep", deps[i]);
	free(deps);
	/* cmd/go's setBuildInfo order; -ldflags and the cgo flags only without -trimpath (go.dev/issue/52372:
	 * they may hold system paths). With PGO, -pgo is added and the settings are sorted by key, as
	 * setPGOProfilePath sorts them. */
	{
		struct strv keys = STRV_INIT, values = STRV_INIT;
		char num[8];

#define SET(k, v) (strv_push(&keys, (k)), strv_push(&values, (v)))
		if (f->asmflags)
			SET("-asmflags", f->asmflags);
		SET("-buildmode", f->buildmode ? f->buildmode : "exe");
		SET("-compiler", "gc");
		if (f->gcflags && *f->gcflags)
			SET("-gcflags", f->gcflags);
		if (f->ldflags && *f->ldflags && !trimpath)
			SET("-ldflags", f->ldflags);
		if (c->build_tags.n) {
			struct strbuf t = STRBUF_INIT;

			for (size_t i = 0; i < c->build_tags.n; i++)
				strbuf_addf(&t, "%s%s", i ? "," : "", c->build_tags.v[i]);
			SET("-tags", t.buf);
			strbuf_release(&t);
		}
		if (trimpath)
			SET("-trimpath", "true");
		if (godebug && *godebug)
			SET("DefaultGODEBUG", godebug);
		snprintf(num, sizeof(num), "%d", c->cgo ? 1 : 0);
		SET("CGO_ENABLED", num);
		if (c->cgo && !trimpath) {
			static const char *const names[] = { "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS" };

			for (size_t i = 0; i < 4; i++)
				SET(names[i], cgo_env(names[i]));
		}
		SET("GOARCH", c->goarch);
		if (getenv("GOEXPERIMENT") && *getenv("GOEXPERIMENT"))
			SET("GOEXPERIMENT", getenv("GOEXPERIMENT"));
		SET("GOOS", c->goos);
		if (c->goamd64)
			SET("GOAMD64", c->goamd64);
		if (c->goarm)
			SET("GOARM", c->goarm);
		if (c->goarm64)
			SET("GOARM64", c->goarm64);
		if (f->vcs && f->vcs->stamped) {
			SET("vcs", "git");
			if (f->vcs->revision)
				SET("vcs.revision", f->vcs->revision);
			if (f->vcs->time)
				SET("vcs.time", f->vcs->time);
			SET("vcs.modified", f->vcs->modified ? "true" : "false");
		}
		if (f->pgo)
			SET("-pgo", f->pgo);
#undef SET
		if (f->pgo) /* insertion sort by key (a dozen settings, unique keys) */
			for (size_t i = 1; i < keys.n; i++)
				for (size_t j = i; j > 0 && strcmp(keys.v[j - 1], keys.v[j]) > 0; j--) {
					char *t = keys.v[j];

					keys.v[j] = keys.v[j - 1], keys.v[j - 1] = t;
					t = values.v[j], values.v[j] = values.v[j - 1], values.v[j - 1] = t;
				}
		for (size_t i = 0; i < keys.n; i++)
			setting(&sb, keys.v[i], values.v[i]);
		strv_release(&keys);
		strv_release(&values);
	}
	strbuf_add(&sb, info_end, 16);
	return strbuf_detach(&sb, lenp);
}

char *gb_go_quote(const char *s, size_t len)
{
	char *out = xmalloc(len * 4 + 3), *o = out;

	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		default:
			if (ch >= 0x20 && ch < 0x7f)
				*o++ = (char)ch;
			else
				o += sprintf(o, "\\x%02x", ch);
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}
