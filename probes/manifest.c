/* probes/manifest: run --manifest, the manifest as the traced binary's placed init order (manifest.h). */
#include "probes/manifest.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "probes/elf.h"
#include "probes/goinfo.h"

#define MANIFEST_FORMAT "rt0trace-manifest"
#define MANIFEST_VERSION 1

void rt_manifest_release(struct rt_manifest *m)
{
	for (size_t i = 0; i < m->npkgs; i++) {
		free(m->pkgs[i].path);
		strv_release(&m->pkgs[i].imports);
	}
	free(m->pkgs);
	free(m->path);
	free(m->build_id);
	strv_release(&m->placed);
	memset(m, 0, sizeof(*m));
}

/* A package's path as compiled (its compile command's -p: "main" for the main package), else its path. */
static const char *compiled_path(const json_t *p)
{
	const json_t *argv = json_object_get(p, "compile");

	for (size_t i = 0; i + 1 < json_array_size(argv); i++)
		if (json_string_value(json_array_get(argv, i)) && strcmp(json_string_value(json_array_get(argv, i)), "-p") == 0 &&
		    json_string_value(json_array_get(argv, i + 1)))
			return json_string_value(json_array_get(argv, i + 1));
	return json_string_value(json_object_get(p, "path"));
}

/* Fills `m` from the parsed manifest `o`, or says why it cannot. */
static int manifest_from_json(const char *path, const json_t *o, struct rt_manifest *m, struct rt_err *err)
{
	const json_t *ver = json_object_get(o, "version"), *pkgs = json_object_get(o, "packages"), *p, *v;
	const json_t *order = json_object_get(json_object_get(o, "placed"), "init_order");
	const char *fmt = json_string_value(json_object_get(o, "format"));
	const char *id = json_string_value(json_object_get(json_object_get(o, "link"), "build_id"));
	size_t i, k;

	if (!json_is_object(o) || !fmt || strcmp(fmt, MANIFEST_FORMAT) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' is not an rt0trace manifest (written by 'rt0trace build --manifest')",
			       path);
	if (!json_is_integer(ver))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': the manifest has no version; this rt0trace reads version %d", path,
			       MANIFEST_VERSION);
	if (json_integer_value(ver) != MANIFEST_VERSION)
		return rt_errf(err, RT_EXIT_INPUT, "'%s': manifest version %" JSON_INTEGER_FORMAT "; this rt0trace reads "
						   "version %d", path, json_integer_value(ver), MANIFEST_VERSION);
	if (!id || !*id)
		return rt_errf(err, RT_EXIT_INPUT, "'%s': the manifest has no link.build_id", path);
	if (!json_is_array(pkgs))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': the manifest's \"packages\" is not an array", path);
	if (order && !json_is_null(order) && !json_is_array(order))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': the manifest's placed.init_order is neither an array nor null", path);
	m->build_id = xstrdup(id);
	m->pkgs = xcalloc(json_array_size(pkgs) ? json_array_size(pkgs) : 1, sizeof(*m->pkgs));
	json_array_foreach(pkgs, i, p) {
		struct rt_manifest_pkg *mp = &m->pkgs[m->npkgs];

		if (!json_string_value(json_object_get(p, "path")) || !json_is_array(json_object_get(p, "imports")))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': package #%zu of the manifest has no path or no imports", path,
				       i + 1);
		mp->path = xstrdup(compiled_path(p));
		m->npkgs++;
		json_array_foreach(json_object_get(p, "imports"), k, v) {
			if (!json_is_string(v))
				return rt_errf(err, RT_EXIT_INPUT, "'%s': package '%s' of the manifest has an import that is not "
								   "a string", path, mp->path);
			strv_push(&mp->imports, json_string_value(v));
		}
	}
	m->placed_known = json_is_array(order);
	json_array_foreach(order, i, p) {
		if (!json_string_value(json_object_get(p, "package")))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': entry #%zu of the manifest's placed.init_order has no package",
				       path, i + 1);
		strv_push(&m->placed, json_string_value(json_object_get(p, "package")));
	}
	return 0;
}

int rt_manifest_load(const char *path, struct rt_manifest *m, struct rt_err *err)
{
	json_error_t je;
	json_t *o;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!(o = json_load_file(path, JSON_REJECT_DUPLICATES, &je)))
		return rt_errf(err, RT_EXIT_INPUT, "cannot read the manifest '%s': %s", path, je.text);
	rc = manifest_from_json(path, o, m, err);
	if (rc == 0)
		m->path = xstrdup(path);
	else
		rt_manifest_release(m);
	json_decref(o);
	return rc;
}

int rt_manifest_check(const struct rt_manifest *m, const char *bin, const char *name, struct rt_err *err)
{
	struct rt_elf *e;
	char *id;
	int rc = 0;

	if (rt_elf_open(&e, bin, NULL) != 0)
		return 0; /* the engine says why it cannot run or read it */
	id = rt_go_build_id(e);
	if (!id)
		rc = rt_errf(err, RT_EXIT_INPUT, "the manifest '%s' is not of '%s': the binary has no Go build ID", m->path,
			     name);
	else if (strcmp(id, m->build_id) != 0)
		rc = rt_errf(err, RT_EXIT_INPUT, "the manifest '%s' is not of '%s': it is of Go build ID %s, the binary's is %s",
			     m->path, name, m->build_id, id);
	free(id);
	rt_elf_free(e);
	return rc;
}

/* ---- the Go linker's init order (cmd/link/internal/ld/inittask.go), from the packages' imports ---- */

/* The package an import path as written names: the package of that path, else the standard library's
 * vendored copy (vendor/PATH); npkgs when the manifest has neither ("unsafe", "C"). */
static size_t find_pkg(const struct rt_manifest *m, const char *imp)
{
	size_t n = strlen(imp);

	for (size_t i = 0; i < m->npkgs; i++)
		if (strcmp(m->pkgs[i].path, imp) == 0)
			return i;
	for (size_t i = 0; i < m->npkgs; i++) {
		const char *p = m->pkgs[i].path;
		size_t pn = strlen(p);

		if (pn >= n + 7 && strcmp(p + pn - n, imp) == 0 && strncmp(p + pn - n - 7, "vendor/", 7) == 0 &&
		    (pn == n + 7 || p[pn - n - 8] == '/'))
			return i;
	}
	return m->npkgs;
}

/* The name of a package's inittask symbol, which the linker sorts by: objabi.PathToPrefix's escaping
 * (control characters, space, '%', '"', DEL and above, and '.' after the last '/' become %xx), then
 * "..inittask". */
static char *task_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *out = xmalloc(strlen(path) * 3 + sizeof("..inittask")), *o = out;

	for (const char *s = path; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || (c == '.' && (!slash || s > slash)) || c == '%' || c == '"' || c >= 0x7f)
			o += sprintf(o, "%%%02x", c);
		else
			*o++ = (char)c;
	}
	strcpy(o, "..inittask");
	return out;
}

struct graph {
	size_t n;
	bool *task;     /* the package has an inittask: init functions, or an import that has one */
	size_t **deps;  /* the imported packages that have an inittask */
	size_t *ndeps;
	char **key;     /* task_name */
};

static void graph_make(const struct rt_manifest *m, const struct strv *with_inits, struct graph *g)
{
	bool changed = true;

	g->n = m->npkgs;
	g->task = xcalloc(g->n + 1, sizeof(*g->task));
	g->deps = xcalloc(g->n + 1, sizeof(*g->deps));
	g->ndeps = xcalloc(g->n + 1, sizeof(*g->ndeps));
	g->key = xcalloc(g->n + 1, sizeof(*g->key));
	for (size_t i = 0; i < g->n; i++) {
		const char *p = m->pkgs[i].path;

		g->task[i] = strv_has(with_inits, p) || strcmp(p, "main") == 0 || strcmp(p, "runtime") == 0;
		g->key[i] = task_name(p);
		g->deps[i] = xcalloc(m->pkgs[i].imports.n + 1, sizeof(**g->deps));
	}
	/* the compiler gives a package an inittask when it has init functions or imports one that has */
	while (changed) {
		changed = false;
		for (size_t i = 0; i < g->n; i++)
			for (size_t k = 0; !g->task[i] && k < m->pkgs[i].imports.n; k++) {
				size_t d = find_pkg(m, m->pkgs[i].imports.v[k]);

				if (d < g->n && g->task[d])
					g->task[i] = changed = true;
			}
	}
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < m->pkgs[i].imports.n; k++) {
			size_t d = find_pkg(m, m->pkgs[i].imports.v[k]), j;

			for (j = 0; j < g->ndeps[i] && g->deps[i][j] != d; j++)
				;
			if (d < g->n && g->task[d] && j == g->ndeps[i])
				g->deps[i][g->ndeps[i]++] = d;
		}
}

static void graph_free(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->deps[i]);
		free(g->key[i]);
	}
	free(g->task);
	free(g->deps);
	free(g->ndeps);
	free(g->key);
}

/* The linker's order of the inittasks reachable from package `root`: the lexically first of those whose
 * imports are done, each time; appended to `out` when the package has init functions and is not there. */
static void graph_order(const struct rt_manifest *m, const struct graph *g, size_t root, const struct strv *with_inits,
			struct strv *out)
{
	bool *seen = xcalloc(g->n, sizeof(*seen)), *done = xcalloc(g->n, sizeof(*done));
	size_t *left = xcalloc(g->n, sizeof(*left)), *todo = xcalloc(g->n, sizeof(*todo)), ntodo = 0;

	seen[root] = true;
	todo[ntodo++] = root;
	while (ntodo) {
		size_t x = todo[--ntodo];

		left[x] = g->ndeps[x];
		for (size_t k = 0; k < g->ndeps[x]; k++)
			if (!seen[g->deps[x][k]]) {
				seen[g->deps[x][k]] = true;
				todo[ntodo++] = g->deps[x][k];
			}
	}
	for (;;) {
		size_t next = g->n;

		for (size_t i = 0; i < g->n; i++)
			if (seen[i] && !done[i] && !left[i] && (next == g->n || strcmp(g->key[i], g->key[next]) < 0))
				next = i;
		if (next == g->n)
			break;
		done[next] = true;
		if (strv_has(with_inits, m->pkgs[next].path) && !strv_has(out, m->pkgs[next].path))
			strv_push(out, m->pkgs[next].path);
		for (size_t i = 0; i < g->n; i++)
			for (size_t k = 0; seen[i] && !done[i] && k < g->ndeps[i]; k++)
				if (g->deps[i][k] == next)
					left[i]--;
	}
	free(seen);
	free(done);
	free(left);
	free(todo);
}

bool rt_manifest_init_order(const struct rt_manifest *m, const char *build_id, const struct strv *with_inits,
			    struct strv *out)
{
	static const char *const roots[] = { "runtime", "main" }; /* runtime_inittasks run first */
	struct graph g;

	if (!build_id || strcmp(build_id, m->build_id) != 0)
		return false;
	if (m->placed_known) {
		for (size_t i = 0; i < m->placed.n; i++)
			strv_push(out, m->placed.v[i]);
		return true;
	}
	graph_make(m, with_inits, &g);
	for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]); r++)
		for (size_t i = 0; i < g.n; i++)
			if (strcmp(m->pkgs[i].path, roots[r]) == 0 && g.task[i])
				graph_order(m, &g, i, with_inits, out);
	graph_free(&g);
	return true;
}
