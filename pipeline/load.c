#include "pipeline/load.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "pipeline/scanmemo.h"
#include "common/strbuf.h"
#include "common/strhash.h"
#include "common/xalloc.h"
#include "pipeline/gosrc.h"
#include "pipeline/modfile.h"

#define DEFAULT_GO_MOD_VERSION "1.16" /* cmd/go's gover.DefaultGoModVersion: a go.mod without a go line */

struct loader {
	struct gb_graph *g;
	const struct gb_config *cfg;
	const struct gb_load_opts *o;
	bool vendor_mode;             /* packages outside the main module come from vendor/ */
	struct gb_module **graph_mod; /* module mode: the gb_module of each g->mg->mods[i] once used */
	struct gb_pkg **all; /* every package loaded, unordered */
	size_t nall, allcap, pkgcap, modcap;
	struct strv vendor_pkgs;      /* package paths listed in vendor/modules.txt ... */
	struct gb_module **vendor_mod; /* ... and their modules, parallel */
	size_t vcap;
	struct gb_pkg **stack;        /* the import chain being walked, for cycle messages */
	size_t depth, stackcap;
	struct resolved *rmemo;       /* what each import path resolved to (resolve_memo) ... */
	size_t nrmemo, rmemocap;
	uint32_t *rindex;             /* ... and an open-addressing index over it (RINDEX slots) */
};

/* One resolution of an import path by importers of one kind (resolve depends on nothing else). */
struct resolved {
	char *imp;
	int kind;     /* 0: a non-standard importer (or none), 1: std, 2: cmd (their vendor roots differ) */
	int rc;
	char *path, *dir;
	struct gb_module *mod;
	bool standard;
};
#define RINDEX 8192



/* "1.22.3" -> "go1.22" (gover.Lang). */
static char *lang_of(const char *v)
{
	const char *dot = strchr(v, '.');
	size_t n = dot ? strcspn(dot + 1, ".rcbeta") + (size_t)(dot + 1 - v) : strlen(v);

	return xasprintf("go%.*s", (int)n, v);
}

static struct gb_module *new_module(const char *path, const char *dir)
{
	struct gb_module *m = xcalloc(1, sizeof(*m));

	m->path = xstrdup(path);
	m->dir = dir ? xstrdup(dir) : NULL;
	return m;
}

static void free_module(struct gb_module *m)
{
	if (!m)
		return;
	free(m->path);
	free(m->dir);
	free(m->version);
	free(m->sum);
	free(m->go);
	free(m->workdir);
	strv_release(&m->godebug);
	free_module(m->replace);
	free(m);
}

static void add_module(struct loader *L, struct gb_module *m)
{
	L->g->mods = xgrow(L->g->mods, &L->modcap, L->g->nmods + 1, sizeof(*L->g->mods));
	L->g->mods[L->g->nmods++] = m;
}

/* ---- go.mod --------------------------------------------------------------------------------------- */

/* The tokens of a vendor/modules.txt line with its // comment removed; returns the count (at most max). */
static size_t fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *c = strstr(line, "//"), *save = NULL;

	if (c)
		*c = '\0';
	for (char *t = strtok_r(line, " \t\r", &save); t && n < max; t = strtok_r(NULL, " \t\r", &save))
		f[n++] = t;
	return n;
}

/* A main module from its parsed go.mod. */
static struct gb_module *main_module(const struct gb_modfile *mf, const char *dir)
{
	struct gb_module *m = new_module(mf->module, dir);

	m->is_main = true;
	m->go = mf->go ? xstrdup(mf->go) : NULL;
	for (size_t i = 0; i < mf->godebug.n; i++)
		strv_push(&m->godebug, mf->godebug.v[i]);
	return m;
}

/* vendor/modules.txt: "# path version [=> path [version]]", "## explicit[; go 1.N]", package lines. */
static void parse_modules_txt(struct loader *L, const char *path, const char *vendor_dir)
{
	char *src = rt_slurp(path), *save = NULL, *line;
	struct gb_module *cur = NULL;

	if (!src)
		return; /* no vendor directory list: nothing is vendored */
	for (line = strtok_r(src, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[8];
		size_t n;

		if (strncmp(line, "## ", 3) == 0 && cur) {
			char *go = strstr(line, "; go ");

			cur->explicit_req = cur->explicit_req || strncmp(line, "## explicit", 11) == 0;
			if (go) {
				free(cur->go);
				cur->go = xstrndup(go + 5, strcspn(go + 5, " ;"));
			}
			continue;
		}
		if (strncmp(line, "# ", 2) == 0) {
			n = fields(line + 2, f, 8);
			if (n < 1)
				continue;
			cur = new_module(f[0], NULL);
			cur->vendored = true;
			cur->version = n >= 2 && strcmp(f[1], "=>") != 0 ? xstrdup(f[1]) : NULL;
			for (size_t i = 0; i < n; i++)
				if (strcmp(f[i], "=>") == 0 && i + 1 < n) {
					cur->replace = new_module(f[i + 1], NULL);
					cur->replace->version = i + 2 < n ? xstrdup(f[i + 2]) : NULL;
				}
			add_module(L, cur);
			continue;
		}
		n = fields(line, f, 2);
		if (n == 1 && cur && f[0][0] != '#') {
			strv_push(&L->vendor_pkgs, f[0]);
			L->vendor_mod = xgrow(L->vendor_mod, &L->vcap, L->vendor_pkgs.n, sizeof(*L->vendor_mod));
			L->vendor_mod[L->vendor_pkgs.n - 1] = cur;
			if (!cur->dir) {
				cur->dir = xasprintf("%s/%s", vendor_dir, cur->path);
			}
		}
	}
	free(src);
}

/* ---- resolution ----------------------------------------------------------------------------------- */

struct where {
	char *path; /* import path as compiled */
	char *dir;
	struct gb_module *mod;
	bool standard;
};

static bool first_elem_has_dot(const char *path)
{
	size_t n = strcspn(path, "/");

	return memchr(path, '.', n) != NULL;
}

/* The gb_module for a module of the graph: made once, when a package first comes from it. */
static struct gb_module *graph_module(struct loader *L, struct gb_mod *gm)
{
	size_t i = (size_t)(gm - L->g->mg->mods);
	struct gb_module *m;

	if (L->graph_mod[i])
		return L->graph_mod[i];
	m = new_module(gm->path, gm->dir);
	m->gm = gm;
	m->version = xstrdup(gm->version);
	m->go = gm->go ? xstrdup(gm->go) : NULL;
	if (gm->rpath) {
		m->replace = new_module(gm->rpath, NULL);
		m->replace->version = gm->rversion ? xstrdup(gm->rversion) : NULL;
		m->replace->sum = gm->sum ? xstrdup(gm->sum) : NULL;
	} else {
		m->sum = gm->sum ? xstrdup(gm->sum) : NULL;
	}
	add_module(L, m);
	return L->graph_mod[i] = m;
}

/* Resolves `imp`, imported by `from` (NULL for the main package given as an import path): 0, -1 when
 * nothing provides it, -2 on an error (set in err). */
static int resolve(struct loader *L, const struct gb_pkg *from, const char *imp, struct where *w, struct rt_err *err)
{
	const struct gb_config *c = L->cfg;
	struct gb_module *mm = L->g->main_mod;
	bool in_cmd = mm->is_std && strcmp(mm->path, "cmd") == 0;

	memset(w, 0, sizeof(*w));
	if (!first_elem_has_dot(imp)) {
		char *dir = xasprintf("%s/src/%s", c->goroot, imp);

		if (rt_is_dir(dir) && (!rt_path_under(imp, "cmd") || in_cmd)) {
			w->path = xstrdup(imp);
			w->dir = dir;
			w->standard = true;
			w->mod = rt_path_under(imp, "cmd") ? mm : NULL;
			return 0;
		}
		free(dir);
	}
	if (from && from->standard) {
		const char *vroot = rt_path_under(from->path, "cmd") ? "cmd/vendor" : "vendor";
		char *dir = xasprintf("%s/src/%s/%s", c->goroot, vroot, imp);

		if (rt_is_dir(dir)) {
			w->path = xasprintf("%s/%s", vroot, imp);
			w->dir = dir;
			w->standard = true;
			for (size_t i = 0; i < L->vendor_pkgs.n; i++)
				if (strcmp(L->vendor_pkgs.v[i], imp) == 0)
					w->mod = L->vendor_mod[i];
			return 0;
		}
		free(dir);
	}
	if (!mm->is_std) { /* the main module, or the workspace's: the longest path that prefixes imp */
		struct gb_module *best = NULL;

		for (size_t i = 0; i < L->g->nmods; i++) {
			struct gb_module *m = L->g->mods[i];

			if (m->is_main && rt_path_under(imp, m->path) && (!best || strlen(m->path) > strlen(best->path)))
				best = m;
		}
		if (best) {
			w->path = xstrdup(imp);
			w->dir = xasprintf("%s%s", best->dir, imp + strlen(best->path));
			w->mod = best;
			if (rt_is_dir(w->dir))
				return 0;
			if (!L->g->mg) /* in module mode a nested module may still provide it */
				return -1;
			free(w->path);
			free(w->dir);
			memset(w, 0, sizeof(*w));
		}
	}
	if (L->g->mg) {
		struct gb_mod *gm;
		char *dir;
		int found = gb_modgraph_find(L->g->mg, imp, &gm, &dir, err);

		if (found <= 0)
			return found < 0 ? -2 : -1;
		w->path = xstrdup(imp);
		w->dir = dir;
		w->mod = graph_module(L, gm);
		return 0;
	}
	if (L->vendor_mode) {
		for (size_t i = 0; i < L->vendor_pkgs.n; i++)
			if (strcmp(L->vendor_pkgs.v[i], imp) == 0) {
				w->path = xstrdup(imp);
				w->dir = xasprintf("%s/vendor/%s", mm->dir, imp);
				w->mod = L->vendor_mod[i];
				return rt_is_dir(w->dir) ? 0 : -1;
			}
	}
	return -1;
}

/* resolve, once per import path and kind of importer: a package imported by many is looked up (its
 * directory stat'ed, the module graph searched) once. Errors (rc -2) are not kept. */
static int resolve_memo(struct loader *L, const struct gb_pkg *from, const char *imp, struct where *w, struct rt_err *err)
{
	int kind = !from || !from->standard ? 0 : rt_path_under(from->path, "cmd") ? 2 : 1, rc;
	uint32_t slot;
	struct resolved *r;

	if (!L->rindex)
		L->rindex = xcalloc(RINDEX, sizeof(*L->rindex));
	for (slot = rt_strhash(imp, strlen(imp), (uint32_t)kind) % RINDEX; L->rindex[slot]; slot = (slot + 1) % RINDEX) {
		r = &L->rmemo[L->rindex[slot] - 1];
		if (r->kind == kind && strcmp(r->imp, imp) == 0) {
			w->path = r->path ? xstrdup(r->path) : NULL;
			w->dir = r->dir ? xstrdup(r->dir) : NULL;
			w->mod = r->mod;
			w->standard = r->standard;
			return r->rc;
		}
	}
	rc = resolve(L, from, imp, w, err);
	if (rc == -2 || L->nrmemo >= RINDEX / 2) /* half full at most: probes stay short */
		return rc;
	L->rmemo = xgrow(L->rmemo, &L->rmemocap, L->nrmemo + 1, sizeof(*L->rmemo));
	r = &L->rmemo[L->nrmemo++];
	*r = (struct resolved){ xstrdup(imp), kind, rc, w->path ? xstrdup(w->path) : NULL, w->dir ? xstrdup(w->dir) : NULL,
				w->mod, w->standard };
	L->rindex[slot] = (uint32_t)L->nrmemo;
	return rc;
}

/* ---- one package ---------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

static int constraints_hold(const struct gb_config *c, const char *file, const struct gosrc *src, bool *ok,
			    struct rt_err *err)
{
	if (src->go_build) {
		if (gb_eval_go_build(c, src->go_build, ok, err) != 0)
			return rt_err_prefix(err, "%s", file);
		return 0;
	}
	*ok = gb_eval_plus_build(c, &src->plus_build);
	return 0;
}

/* Names with a one-character mark at the end, in the order of the names alone. */
static int cmp_marked(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t nx = strlen(x) - 1, ny = strlen(y) - 1;
	int c = memcmp(x, y, nx < ny ? nx : ny);

	return c ? c : (nx > ny) - (nx < ny);
}

/* One Go file of the package (not a test): its package clause, imports, embeds, cgo directives and
 * //go:debug lines, when its build constraints hold. The first file's name is kept for the "found
 * packages" error. */
static int take_go_file(struct loader *L, struct gb_pkg *p, struct gb_scanmemo *sm, const char *n, const char *full,
			char **first_name_file, struct rt_err *err)
{
	const struct gb_config *c = L->cfg;
	struct gosrc src;
	struct stat fst;
	bool ok;
	int rc = -1;

	if (gb_scanmemo_scan(sm, n, false, &src, &fst, err) != 0)
		return -1;
	gb_filehash_seed(L->o->memo, full, &fst); /* its hash, without another stat */
	if (constraints_hold(c, full, &src, &ok, err) != 0)
		goto out;
	if (ok && src.imports_c && !c->cgo)
		ok = false; /* cgo files need CGO_ENABLED=1 */
	if (ok && strcmp(src.package, "documentation") == 0)
		ok = false;
	if (!ok) {
		rc = 0;
		goto out;
	}
	if (!p->name) {
		p->name = xstrdup(src.package);
		*first_name_file = xstrdup(n);
	} else if (strcmp(p->name, src.package) != 0) {
		rt_errf(err, RT_EXIT_BUILD, "found packages %s (%s) and %s (%s) in %s", p->name, *first_name_file, src.package,
			n, p->dir);
		goto out;
	}
	strv_push(src.imports_c ? &p->cgofiles : &p->gofiles, n);
	for (size_t k = 0; k < src.cgo_lines.n; k++)
		if (gb_cgo_directive(c, full, src.cgo_lines.v[k], p->dir, &p->cgo, err) != 0)
			goto out;
	for (size_t k = 0; k < src.imports.n; k++)
		if (strcmp(src.imports.v[k], "unsafe") != 0 && strcmp(src.imports.v[k], "C") != 0 &&
		    !strv_has(&p->imports, src.imports.v[k]))
			strv_push(&p->imports, src.imports.v[k]);
	for (size_t k = 0; k < src.embeds.n; k++)
		if (!strv_has(&p->embeds, src.embeds.v[k]))
			strv_push(&p->embeds, src.embeds.v[k]);
	for (size_t k = 0; k < src.go_debug.n; k++)
		strv_push(&p->go_debug, src.go_debug.v[k]);
	rc = 0;
out:
	gosrc_release(&src);
	return rc;
}

/* What cgo's generated files import (cmd/go adds them after the package's own imports). */
static void cgo_imports(struct gb_pkg *p)
{
	bool self = p->standard && strcmp(p->path, "runtime/cgo") == 0;
	bool no_syscall = self || (p->standard && (strcmp(p->path, "runtime/race") == 0 || strcmp(p->path, "runtime/msan") == 0 ||
						   strcmp(p->path, "runtime/asan") == 0));

	if (!p->cgofiles.n)
		return;
	if (!self && !strv_has(&p->imports, "runtime/cgo"))
		strv_push(&p->imports, "runtime/cgo");
	if (!no_syscall && !strv_has(&p->imports, "syscall"))
		strv_push(&p->imports, "syscall");
}

static int load_files(struct loader *L, struct gb_pkg *p, struct rt_err *err)
{
	const struct gb_config *c = L->cfg;
	DIR *d = opendir(p->dir);
	struct dirent *de;
	struct strv names = STRV_INIT, big_s = STRV_INIT, cfiles = STRV_INIT, hfiles = STRV_INIT;
	char *first_name_file = NULL, *first_c = NULL, *first_other = NULL;
	struct gb_scanmemo *sm;
	struct stat fst;
	int rc = -1;
	bool saw_go = false;

	if (!d)
		return rt_errf(err, RT_EXIT_BUILD, "cannot read directory '%s': %s", p->dir, strerror(errno));
	sm = gb_scanmemo_open(L->o->scan_dir, p->dir);
	/* a name is kept with a mark: '+' a regular file by its directory entry, '?' to be stat'ed (a
	 * symbolic link, or a file system that does not say), '-' not a regular file */
	while ((de = readdir(d)) != NULL) {
		char mark = de->d_type == DT_REG ? '+' : de->d_type == DT_LNK || de->d_type == DT_UNKNOWN ? '?' : '-';

		if (mark != '-')
			strv_pushf(&names, "%s%c", de->d_name, mark);
	}
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_marked);
	for (size_t i = 0; i < names.n; i++) {
		char *n = names.v[i], mark = n[strlen(n) - 1];
		char *full;
		struct gosrc src;
		bool ok;

		n[strlen(n) - 1] = '\0';
		if (n[0] == '.' || n[0] == '_')
			continue;
		full = xasprintf("%s/%s", p->dir, n);
		if ((mark == '?' && !rt_is_file(full)) || !gb_good_os_arch_file(c, n)) {
			free(full);
			continue;
		}
		if (has_suffix(n, ".go")) {
			saw_go = true;
			if (!has_suffix(n, "_test.go") && take_go_file(L, p, sm, n, full, &first_name_file, err) != 0) {
				free(full);
				goto out;
			}
		} else if (has_suffix(n, ".s") || has_suffix(n, ".S") || has_suffix(n, ".sx")) {
			/* .S and .sx are preprocessed by the C compiler: only cgo packages build them. A .s
			 * file whose constraint cannot be read is dropped without an error, as go/build does. */
			if (gb_scanmemo_scan(sm, n, true, &src, &fst, err) == 0) {
				gb_filehash_seed(L->o->memo, full, &fst);
				if (constraints_hold(c, full, &src, &ok, err) == 0 && ok)
					strv_push(has_suffix(n, ".s") ? &p->sfiles : &big_s, n);
				gosrc_release(&src);
			}
		} else if (has_suffix(n, ".syso")) {
			strv_push(&p->sysofiles, n);
		} else if (has_suffix(n, ".c") || has_suffix(n, ".h") || has_suffix(n, ".cc") || has_suffix(n, ".cpp") ||
			   has_suffix(n, ".cxx") || has_suffix(n, ".hh") || has_suffix(n, ".hpp") || has_suffix(n, ".hxx") ||
			   has_suffix(n, ".m") || has_suffix(n, ".f") || has_suffix(n, ".F") || has_suffix(n, ".f90") ||
			   has_suffix(n, ".swig") || has_suffix(n, ".swigcxx")) {
			/* C sources only build with cgo, checked once the Go files are known. */
			if (gb_scanmemo_scan(sm, n, true, &src, &fst, err) == 0) {
				gb_filehash_seed(L->o->memo, full, &fst);
				if (constraints_hold(c, full, &src, &ok, err) == 0 && ok) {
					if (has_suffix(n, ".c"))
						strv_push(&cfiles, n);
					else if (has_suffix(n, ".h"))
						strv_push(&hfiles, n);
					if (!first_c && !has_suffix(n, ".h") && !has_suffix(n, ".hh") && !has_suffix(n, ".hpp") &&
					    !has_suffix(n, ".hxx"))
						first_c = xstrdup(full);
					if (!first_other && !has_suffix(n, ".c") && !has_suffix(n, ".h"))
						first_other = xstrdup(full);
				}
				gosrc_release(&src);
			}
		}
		free(full);
	}
	if (p->cgofiles.n) {
		if (first_other) {
			rt_errf(err, RT_EXIT_BUILD, "%s: rt0trace build compiles C and C assembly in cgo packages, not C++, "
						    "Objective-C, Fortran or SWIG sources", first_other);
			goto out;
		}
		p->cfiles = cfiles;
		p->hfiles = hfiles;
		cfiles = (struct strv)STRV_INIT;
		hfiles = (struct strv)STRV_INIT;
		for (size_t i = 0; i < big_s.n; i++)
			strv_push(&p->sfiles, big_s.v[i]);
		if (p->sfiles.n)
			qsort(p->sfiles.v, p->sfiles.n, sizeof(char *), cmp_str);
	} else if (first_c) {
		rt_errf(err, RT_EXIT_BUILD, "%s: C source files not allowed when not using cgo", first_c);
		goto out;
	}
	if (!p->gofiles.n && !p->cgofiles.n) {
		if (saw_go)
			rt_errf(err, RT_EXIT_BUILD, "build constraints exclude all Go files in %s", p->dir);
		else
			rt_errf(err, RT_EXIT_BUILD, "no Go files in %s", p->dir);
		goto out;
	}
	if (p->imports.n)
		qsort(p->imports.v, p->imports.n, sizeof(char *), cmp_str);
	cgo_imports(p);
	rc = 0;
out:
	gb_scanmemo_close(sm);
	free(first_name_file);
	free(first_c);
	free(first_other);
	strv_release(&names);
	strv_release(&big_s);
	strv_release(&cfiles);
	strv_release(&hfiles);
	return rc;
}

static struct gb_pkg *find_loaded(struct loader *L, const char *path)
{
	for (size_t i = 0; i < L->nall; i++)
		if (strcmp(L->all[i]->path, path) == 0)
			return L->all[i];
	return NULL;
}

static void free_pkg(struct gb_pkg *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->dir);
	free(p->name);
	free(p->lang);
	strv_release(&p->gofiles);
	strv_release(&p->cgofiles);
	strv_release(&p->cfiles);
	strv_release(&p->hfiles);
	gb_cgo_flags_release(&p->cgo);
	strv_release(&p->sfiles);
	strv_release(&p->sysofiles);
	strv_release(&p->embeds);
	strv_release(&p->go_debug);
	strv_release(&p->imports);
	free(p->deps);
	free(p);
}

static int cycle_error(struct loader *L, const struct gb_pkg *p, struct rt_err *err)
{
	char msg[sizeof(err->msg)];
	size_t start = 0, len = 0;

	for (size_t i = 0; i < L->depth; i++)
		if (L->stack[i] == p)
			start = i;
	msg[0] = '\0';
	for (size_t i = start; i < L->depth && len < sizeof(msg) - 1; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s -> ", L->stack[i]->path);
	if (len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, "%s", p->path);
	return rt_errf(err, RT_EXIT_BUILD, "import cycle not allowed: %s", msg);
}

static int visit(struct loader *L, struct gb_pkg *p, struct rt_err *err);

static int load_pkg(struct loader *L, const struct gb_pkg *from, const char *from_file, const char *imp,
		    struct gb_pkg **out, struct rt_err *err)
{
	struct where w;
	struct gb_pkg *p;
	int rc;

	if ((rc = resolve_memo(L, from, imp, &w, err)) != 0) {
		char *file = NULL;

		free(w.path);
		free(w.dir);
		if (rc == -2)
			return from ? rt_err_prefix(err, "%s", from->path) : -1;
		if (!from && L->g->mg)
			return rt_errf(err, RT_EXIT_BUILD, "no required module provides package %s; to add it: go get %s", imp, imp);
		if (!from)
			return rt_errf(err, RT_EXIT_BUILD, "cannot find package %s", imp);
		/* Name the file that imports it (only on this error path, so the files are read again). */
		for (size_t i = 0; i < from->gofiles.n && !file && !from_file; i++) {
			char *path = xasprintf("%s/%s", from->dir, from->gofiles.v[i]);
			struct gosrc src;

			if (gosrc_scan(path, &src, NULL) == 0) {
				if (strv_has(&src.imports, imp))
					file = path, path = NULL;
				gosrc_release(&src);
			}
			free(path);
		}
		if (L->g->mg)
			rt_errf(err, RT_EXIT_BUILD, "%s: no required module provides package %s; to add it: go get %s",
				from_file ? from_file : file ? file : from->dir, imp, imp);
		else
			rt_errf(err, RT_EXIT_BUILD, "%s: package %s is not in the standard library, the main module '%s' or "
						    "its vendor/ directory",
				from_file ? from_file : file ? file : from->dir, imp, L->g->main_mod->path);
		free(file);
		return -1;
	}
	p = find_loaded(L, w.path);
	if (p) {
		free(w.path);
		free(w.dir);
		*out = p;
		return p->mark == 1 ? cycle_error(L, p, err) : 0;
	}
	p = xcalloc(1, sizeof(*p));
	p->path = w.path;
	p->dir = w.dir;
	p->mod = w.mod;
	p->standard = w.standard;
	if (p->standard) /* every std and cmd package, vendored ones too, gets the toolchain's language */
		p->lang = xstrdup(L->cfg->lang);
	else
		p->lang = lang_of(p->mod && p->mod->go ? p->mod->go : DEFAULT_GO_MOD_VERSION);
	L->all = xgrow(L->all, &L->allcap, L->nall + 1, sizeof(*L->all));
	L->all[L->nall++] = p;
	*out = p;
	if (load_files(L, p, err) != 0) {
		if (from)
			rt_err_prefix(err, "package %s (imported by %s)", imp, from->path);
		return -1;
	}
	return visit(L, p, err);
}

/* Depth-first over imports; appends p to the order after all its imports (postorder). */
static int visit(struct loader *L, struct gb_pkg *p, struct rt_err *err)
{
	p->mark = 1;
	L->stack = xgrow(L->stack, &L->stackcap, L->depth + 1, sizeof(*L->stack));
	L->stack[L->depth++] = p;
	p->deps = xcalloc(p->imports.n, sizeof(*p->deps));
	for (size_t i = 0; i < p->imports.n; i++) {
		struct gb_pkg *d;

		if (load_pkg(L, p, NULL, p->imports.v[i], &d, err) != 0)
			return -1;
		p->deps[p->ndeps++] = d;
	}
	L->depth--;
	p->mark = 2;
	p->index = L->g->npkgs;
	L->g->pkgs = xgrow(L->g->pkgs, &L->pkgcap, L->g->npkgs + 1, sizeof(*L->g->pkgs));
	L->g->pkgs[L->g->npkgs++] = p;
	return 0;
}

/* ---- the main module and package ---------------------------------------------------------------- */

/* cmd/go's checkVendorConsistency: vendor/modules.txt must say what go.mod says. Every difference is
 * listed, as go lists them. */
static int vendor_check(struct loader *L, const struct gb_modfile *mf, const char *dir, struct rt_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	bool annotated = false;
	int rc = 0;

	for (size_t i = 0; i < L->g->nmods; i++)
		annotated = annotated || L->g->mods[i]->explicit_req;
	if (!annotated && (!mf->go || gb_gover_compare(mf->go, "1.17") < 0))
		return 0; /* go < 1.17 without "## explicit" annotations: nothing to compare (as go) */
	for (size_t k = 0; k < mf->nreq; k++) {
		const struct gb_modreq *r = &mf->req[k];
		const struct gb_module *v = NULL;

		for (size_t i = 0; i < L->g->nmods && !v; i++)
			if (L->g->mods[i]->vendored && strcmp(L->g->mods[i]->path, r->path) == 0)
				v = L->g->mods[i];
		if (!v || !v->explicit_req)
			strbuf_addf(&sb, "\n\t%s@%s: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
				    r->path, r->version);
		else if (!v->version || strcmp(v->version, r->version) != 0)
			strbuf_addf(&sb, "\n\t%s@%s: is explicitly required in go.mod, but vendor/modules.txt indicates %s@%s", r->path,
				    r->version, v->path, v->version ? v->version : "(none)");
	}
	for (size_t i = 0; i < L->g->nmods; i++) {
		const struct gb_module *v = L->g->mods[i];
		const struct gb_modrepl *r;
		bool required = false;

		if (!v->vendored)
			continue;
		for (size_t k = 0; k < mf->nreq; k++)
			required = required || (strcmp(mf->req[k].path, v->path) == 0);
		if (v->explicit_req && !required)
			strbuf_addf(&sb, "\n\t%s@%s: is marked as explicit in vendor/modules.txt, but not explicitly required in go.mod",
				    v->path, v->version ? v->version : "");
		r = gb_modfile_replacement(mf, v->path, v->version);
		if (r && !v->replace)
			strbuf_addf(&sb, "\n\t%s@%s: is replaced in go.mod, but not marked as replaced in vendor/modules.txt", v->path,
				    v->version ? v->version : "");
		else if (!r && v->replace)
			strbuf_addf(&sb, "\n\t%s@%s: is marked as replaced in vendor/modules.txt, but not replaced in go.mod", v->path,
				    v->version ? v->version : "");
		else if (r && (strcmp(r->new_path, v->replace->path) != 0 ||
			       strcmp(r->new_version ? r->new_version : "", v->replace->version ? v->replace->version : "") != 0))
			strbuf_addf(&sb, "\n\t%s@%s: is replaced by %s%s%s in go.mod, but marked as replaced by %s%s%s in vendor/modules.txt",
				    v->path, v->version ? v->version : "", r->new_path, r->new_version ? "@" : "",
				    r->new_version ? r->new_version : "", v->replace->path, v->replace->version ? "@" : "",
				    v->replace->version ? v->replace->version : "");
	}
	if (sb.len) {
		rc = rt_errf(err, RT_EXIT_BUILD, "inconsistent vendoring in %s:%s\n\n\tTo ignore the vendor directory, use "
						 "-mod=readonly or -mod=mod.\n\tTo sync the vendor directory, run:\n\t\tgo mod vendor",
			     dir, sb.buf);
	}
	strbuf_release(&sb);
	return rc;
}

/* The go.work that applies: $GOWORK ("off": none), else one in the build directory or a parent. */
static int find_go_work(const char *cwd, char **out, struct rt_err *err)
{
	const char *env = getenv("GOWORK");
	char *dir;

	*out = NULL;
	if (env && strcmp(env, "off") == 0)
		return 0;
	if (env && *env) {
		size_t n = strlen(env);

		if (strcmp(env, "go.work") != 0 && (n < 8 || strcmp(env + n - 8, "/go.work") != 0))
			return rt_errf(err, RT_EXIT_BUILD, "invalid GOWORK: '%s': the file must be named go.work", env);
		if (!rt_is_file(env))
			return rt_errf(err, RT_EXIT_BUILD, "GOWORK file '%s' does not exist", env);
		*out = xstrdup(env);
		return 0;
	}
	for (dir = xstrdup(cwd);;) {
		char *f = xasprintf("%s/go.work", dir), *slash;

		if (rt_is_file(f)) {
			*out = f;
			break;
		}
		free(f);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	free(dir);
	return 0;
}

/* A workspace: each `use`d directory's go.mod is a main module; the package's is g->main_mod. */
static int load_workspace(struct loader *L, const char *workfile, const char *pkgdir, struct gb_mainmod **mains,
			  size_t *nmains, struct gb_modfile **work, char **workdir, struct rt_err *err)
{
	struct gb_modfile *wf = xcalloc(1, sizeof(*wf));
	char real[PATH_MAX], *slash;

	if (gb_modfile_read(workfile, GB_MODFILE_WORK, wf, err) != 0) {
		free(wf);
		return -1;
	}
	*work = wf;
	*workdir = realpath(workfile, real) ? xstrdup(real) : xstrdup(workfile);
	if ((slash = strrchr(*workdir, '/')))
		*slash = '\0';
	*mains = xcalloc(wf->uses.n + 1, sizeof(**mains));
	for (size_t i = 0; i < wf->uses.n; i++) {
		char *d = wf->uses.v[i][0] == '/' ? xstrdup(wf->uses.v[i]) : xasprintf("%s/%s", *workdir, wf->uses.v[i]);
		char *gomod;
		struct gb_module *m;

		if (!realpath(d, real)) {
			rt_errf(err, RT_EXIT_BUILD, "%s: use %s: directory %s does not exist", workfile, wf->uses.v[i], d);
			free(d);
			return -1;
		}
		free(d);
		gomod = xasprintf("%s/go.mod", real);
		if (gb_modfile_read(gomod, 0, &(*mains)[*nmains].mf, err) != 0) {
			free(gomod);
			return rt_err_prefix(err, "%s: use %s", workfile, wf->uses.v[i]);
		}
		free(gomod);
		(*mains)[*nmains].dir = xstrdup(real);
		m = main_module(&(*mains)[*nmains].mf, real);
		m->workdir = xstrdup(*workdir);
		(*nmains)++;
		add_module(L, m);
		if (rt_path_under(pkgdir, real) && (!L->g->main_mod || strlen(real) > strlen(L->g->main_mod->dir)))
			L->g->main_mod = m;
	}
	if (!L->g->main_mod)
		return rt_errf(err, RT_EXIT_BUILD, "directory %s is outside modules listed in go.work (%s)", pkgdir, workfile);
	/* g->mods starts with the package's main module */
	for (size_t i = 0; i < L->g->nmods; i++)
		if (L->g->mods[i] == L->g->main_mod) {
			memmove(L->g->mods + 1, L->g->mods, i * sizeof(*L->g->mods));
			L->g->mods[0] = L->g->main_mod;
		}
	return 0;
}

/* The go.mod of directory dir or its nearest parent that has one (dir is cut to that directory), or
 * NULL when there is none. */
static char *find_gomod(char *dir)
{
	for (;;) {
		char *gomod = xasprintf("%s/go.mod", dir), *slash;

		if (rt_is_file(gomod))
			return gomod;
		free(gomod);
		if (!(slash = strrchr(dir, '/')) || slash == dir)
			return NULL;
		*slash = '\0';
	}
}

static int find_main_module(struct loader *L, const char *cwd, const char *pkgdir, bool by_path, struct rt_err *err)
{
	const struct gb_config *c = L->cfg;
	char *cmd = xasprintf("%s/src/cmd", c->goroot), *src = xasprintf("%s/src", c->goroot);
	char *dir = xstrdup(pkgdir), *gomod = NULL, *workfile = NULL, *workdir = NULL;
	struct gb_mainmod *mains = NULL;
	struct gb_modfile *work = NULL;
	size_t nmains = 0;
	struct gb_module *m;
	int rc = -1;

	if (rt_path_under(pkgdir, cmd) || rt_path_under(pkgdir, src)) {
		struct gb_modfile mf;
		bool is_cmd = rt_path_under(pkgdir, cmd);

		m = new_module(is_cmd ? "cmd" : "std", is_cmd ? cmd : src);
		m->is_std = true;
		add_module(L, m);
		L->g->main_mod = m;
		gomod = xasprintf("%s/go.mod", m->dir);
		if (gb_modfile_read(gomod, 0, &mf, err) != 0)
			goto out;
		m->go = mf.go ? xstrdup(mf.go) : NULL;
		gb_modfile_release(&mf);
		{
			char *vdir = xasprintf("%s/vendor", m->dir), *txt = xasprintf("%s/modules.txt", vdir);

			parse_modules_txt(L, txt, vdir);
			free(vdir);
			free(txt);
		}
		/* Std packages that import golang.org/x/... use $GOROOT/src/vendor even when building cmd. */
		if (is_cmd) {
			char *stdtxt = xasprintf("%s/src/vendor/modules.txt", c->goroot), *stdv = xasprintf("%s/src/vendor", c->goroot);

			parse_modules_txt(L, stdtxt, stdv);
			free(stdtxt);
			free(stdv);
		}
		rc = 0;
		goto out;
	}
	if (find_go_work(cwd, &workfile, err) != 0)
		goto out;
	if (workfile) {
		if (L->o->mod && strcmp(L->o->mod, "vendor") == 0) {
			rt_errf(err, RT_EXIT_BUILD, "-mod=vendor in a workspace (%s) is not supported by rt0trace build: build "
						    "with GOWORK=off, or without -mod=vendor", workfile);
			goto out;
		}
		if (load_workspace(L, workfile, by_path ? cwd : pkgdir, &mains, &nmains, &work, &workdir, err) != 0)
			goto out;
	} else {
		if (!(gomod = find_gomod(dir))) {
			rt_errf(err, RT_EXIT_BUILD, "no go.mod in '%s' or any parent directory: rt0trace build "
						    "builds module-mode packages (create one with 'go mod init')",
				pkgdir);
			goto out;
		}
		mains = xcalloc(1, sizeof(*mains));
		if (gb_modfile_read(gomod, 0, &mains[0].mf, err) != 0)
			goto out;
		mains[0].dir = xstrdup(dir);
		nmains = 1;
		m = main_module(&mains[0].mf, dir);
		add_module(L, m);
		L->g->main_mod = m;
		/* cmd/go's vendor mode: asked for, or by default when go.mod says go >= 1.14 and vendor/ exists */
		{
			char *vdir = xasprintf("%s/vendor", dir);
			const char *mode = L->o->mod;

			L->vendor_mode = mode ? strcmp(mode, "vendor") == 0
					      : rt_is_dir(vdir) && m->go && gb_gover_compare(m->go, "1.14") >= 0;
			if (L->vendor_mode) {
				char *txt = xasprintf("%s/modules.txt", vdir);

				parse_modules_txt(L, txt, vdir);
				free(txt);
				if (vendor_check(L, &mains[0].mf, dir, err) != 0) {
					free(vdir);
					goto out;
				}
			}
			free(vdir);
		}
	}
	if (!L->vendor_mode) {
		struct gb_modgraph *mg = xcalloc(1, sizeof(*mg));

		if (!L->o->env) {
			free(mg);
			rt_errf(err, RT_EXIT_BUILD, "module mode needs the module cache (internal: no module environment)");
			goto out;
		}
		/* the graph takes mains and work over, also when it fails */
		if (gb_modgraph_load(mg, c, L->o->env, L->o->memo, mains, nmains, work, workdir, 0, err) != 0) {
			mains = NULL;
			work = NULL;
			gb_modgraph_release(mg);
			free(mg);
			goto out;
		}
		mains = NULL;
		work = NULL;
		mg->record_dir = L->o->record_dir;
		L->g->mg = mg;
		L->graph_mod = xcalloc(mg->nmods + 1, sizeof(*L->graph_mod));
	}
	rc = 0;
out:
	for (size_t i = 0; mains && i < nmains; i++) {
		gb_modfile_release(&mains[i].mf);
		free(mains[i].dir);
	}
	free(mains);
	if (work) {
		gb_modfile_release(work);
		free(work);
	}
	free(workfile);
	free(workdir);
	free(cmd);
	free(src);
	free(dir);
	free(gomod);
	return rc;
}

int gb_mod_download_targets(struct gb_modgraph *mg, const struct gb_config *cfg, const struct gb_modenv *env,
			    const char *dir, struct gb_modtarget **out, size_t *n, struct rt_err *err)
{
	char *d = NULL, *gomod = NULL, *work = NULL, real[PATH_MAX];
	struct gb_mainmod *mains = NULL;
	size_t cap = 0;
	bool all;
	int rc = -1;

	*out = NULL;
	*n = 0;
	memset(mg, 0, sizeof(*mg));
	if (!realpath(dir, real))
		return rt_errf(err, RT_EXIT_INPUT, "directory '%s' does not exist", dir);
	if (find_go_work(real, &work, err) != 0)
		return -1;
	if (work) {
		rc = rt_errf(err, RT_EXIT_USAGE, "%s: rt0trace mod download without arguments reads one module, not a "
						 "workspace (GOWORK=off reads the module of this directory)", work);
		free(work);
		return rc;
	}
	d = xstrdup(real);
	if (!(gomod = find_gomod(d))) {
		rt_errf(err, RT_EXIT_USAGE, "no modules specified, and no go.mod in '%s' or any parent directory", real);
		goto out;
	}
	mains = xcalloc(1, sizeof(*mains));
	if (gb_modfile_read(gomod, 0, &mains[0].mf, err) != 0) {
		gb_modfile_release(&mains[0].mf);
		free(mains);
		goto out;
	}
	mains[0].dir = xstrdup(d);
	/* go >= 1.17: the main module's requirements (its go.mod lists every module that provides a
	 * package, at the selected version); below, every module of the build list ("all") */
	all = !mains[0].mf.go || gb_gover_compare(mains[0].mf.go, "1.17") < 0;
	if (gb_modgraph_load(mg, cfg, env, NULL, mains, 1, NULL, NULL, GB_MODGRAPH_SUMDB, err) != 0)
		goto out;
	for (size_t i = 0; i < mg->nmods; i++) {
		struct gb_mod *m = &mg->mods[i];
		const char *p = m->rpath ? m->rpath : m->path, *v = m->rpath ? m->rversion : m->version;
		struct gb_modtarget *t;
		bool req = all;
		char *key;

		for (size_t k = 0; !req && k < mg->mains[0].mf.nreq; k++)
			req = strcmp(mg->mains[0].mf.req[k].path, m->path) == 0;
		if (!req || !v) /* a directory replacement has nothing to download */
			continue;
		*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
		t = &(*out)[(*n)++];
		memset(t, 0, sizeof(*t));
		t->path = p;
		t->version = v;
		key = xasprintf("%s/go.mod", v);
		rc = gb_modgraph_want_sum(mg, p, key, &t->mod_h1, err);
		free(key);
		if (rc != 0 || gb_modgraph_want_sum(mg, p, v, &t->zip_h1, err) != 0) {
			rc = -1;
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	free(d);
	free(gomod);
	return rc;
}

/* go install PKG@QUERY's module (cmd/go's PackagesAndErrorsOutsideModule): no go.mod of the user's is
 * read; the module that provides PKG at QUERY is the one requirement of a stand-in main module
 * ("command-line-arguments", at the running Go's version, so its graph is pruned as go prunes it), and
 * every hash comes from the checksum database. The providing module is the longest prefix of PKG the
 * proxy has at QUERY, and its go.mod must not hold replace or exclude directives. */
static int find_outside_module(struct loader *L, const char *cwd, const char *pkg, const char *query, struct rt_err *err)
{
	const struct gb_config *c = L->cfg;
	char *cand = xstrdup(pkg), *version = NULL, *gomod = NULL, *data = NULL;
	struct rt_err first = { 0 };
	struct gb_mainmod *mains;
	struct gb_modgraph *mg;
	struct gb_modfile mf;
	struct gb_module *m;
	int rc = -1;

	if (!L->o->env)
		return rt_errf(err, RT_EXIT_BUILD, "module mode needs the module cache (internal: no module environment)");
	/* the longest prefix of pkg the proxy has at query; the error told is that of the longest prefix
	 * that can have such a version (a version's major must fit the path's /vN) */
	for (bool fits_seen = false;;) {
		struct rt_err e2 = { 0 };
		bool fits = strcmp(query, "latest") == 0 || gb_mod_check(cand, query, &e2) == 0;
		char *slash;

		if (fits && gb_mod_query(L->o->env, cand, query, &version, &e2) == 0)
			break;
		if (e2.exit != RT_EXIT_BUILD) { /* the proxy cannot be reached: no use asking it again */
			*err = e2;
			goto out;
		}
		if (!first.exit || (fits && !fits_seen))
			first = e2;
		fits_seen = fits_seen || fits;
		if (!(slash = strrchr(cand, '/'))) {
			*err = first;
			rt_err_prefix(err, "%s@%s: no module provides this package at this version", pkg, query);
			goto out;
		}
		*slash = '\0';
	}
	/* the stand-in main module, which requires cand@version */
	mains = xcalloc(1, sizeof(*mains));
	mains[0].mf.file = xstrdup("command-line-arguments");
	mains[0].mf.module = xstrdup("command-line-arguments");
	mains[0].mf.go = xstrdup(c->version + (strncmp(c->version, "go", 2) == 0 ? 2 : 0));
	mains[0].mf.req = xcalloc(1, sizeof(*mains[0].mf.req));
	mains[0].mf.req[0].path = xstrdup(cand);
	mains[0].mf.req[0].version = xstrdup(version);
	mains[0].mf.nreq = 1;
	mains[0].dir = xstrdup(cwd);
	m = main_module(&mains[0].mf, cwd);
	add_module(L, m);
	L->g->main_mod = m;
	L->g->outside = true;
	mg = xcalloc(1, sizeof(*mg));
	if (gb_modgraph_load(mg, c, L->o->env, L->o->memo, mains, 1, NULL, NULL, GB_MODGRAPH_OUTSIDE, err) != 0) {
		gb_modgraph_release(mg);
		free(mg);
		goto out;
	}
	mg->record_dir = L->o->record_dir;
	L->g->mg = mg;
	L->graph_mod = xcalloc(mg->nmods + 1, sizeof(*L->graph_mod));
	/* its go.mod (verified as the graph was read) must mean the same with it as the main module */
	if (gb_mod_fetch_gomod(L->o->env, cand, version, NULL, &gomod, err) != 0)
		goto out;
	if (!(data = rt_slurp(gomod))) {
		rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", gomod, strerror(errno));
		goto out;
	}
	if (gb_modfile_parse(gomod, data, strlen(data), GB_MODFILE_LAX, &mf, err) != 0)
		goto out;
	if (mf.nrepl || mf.nexcl)
		rt_errf(err, RT_EXIT_BUILD, "%s@%s (in %s@%s):\n\tThe go.mod file for the module providing named packages contains one or\n"
					    "\tmore %s directives. It must not contain directives that would cause\n"
					    "\tit to be interpreted differently than if it were the main module.",
			pkg, query, cand, version, mf.nrepl ? "replace" : "exclude");
	else
		rc = 0;
	gb_modfile_release(&mf);
out:
	free(cand);
	free(version);
	free(gomod);
	free(data);
	return rc;
}

int gb_load(struct gb_graph *g, const struct gb_config *cfg, const struct gb_load_opts *o, struct rt_err *err)
{
	struct loader L = { 0 };
	char real[PATH_MAX], *pkgdir = NULL, *imp = NULL, *cwd = NULL;
	const char *dir = o->dir ? o->dir : ".", *pattern = o->pattern, *at;
	struct gb_pkg *mainp = NULL;
	int rc = -1;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	L.g = g;
	L.cfg = cfg;
	L.o = o;
	if (!realpath(dir, real)) {
		rt_errf(err, RT_EXIT_INPUT, "directory '%s' does not exist", dir);
		goto out;
	}
	cwd = xstrdup(real);
	if (!pattern || !*pattern)
		pattern = ".";
	if ((at = strchr(pattern, '@')) && pattern[0] != '.' && pattern[0] != '/') {
		/* PKG@QUERY, as go install and go run take it */
		imp = xstrndup(pattern, (size_t)(at - pattern));
		if (!at[1]) {
			rt_errf(err, RT_EXIT_USAGE, "%s: version must not be empty", pattern);
			goto out;
		}
		if (strcmp(at + 1, "latest") != 0 && !gb_semver_canonical(at + 1)) {
			rt_errf(err, RT_EXIT_USAGE, "%s: rt0trace builds PKG@vX.Y.Z (a canonical version) or PKG@latest; "
						    "version queries, branches and revisions need the go command", pattern);
			goto out;
		}
		{
			char *std = xasprintf("%s/src/%s", cfg->goroot, imp);
			bool is_std = !first_elem_has_dot(imp) && rt_is_dir(std);

			free(std);
			if (is_std || strstr(imp, "...") || strstr(imp, "//") || strstr(imp, "/./") || strstr(imp, "/../") ||
			    imp[strlen(imp) - 1] == '/' || strchr(imp, '\\')) {
				rt_errf(err, RT_EXIT_USAGE, "%s: argument must %s", pattern,
					is_std ? "not be a package in the standard library" : "be a clean package path, without '...'");
				goto out;
			}
		}
		if (find_outside_module(&L, cwd, imp, at + 1, err) != 0)
			goto out;
	} else if (pattern[0] == '.' || pattern[0] == '/') {
		char *p = pattern[0] == '/' ? xstrdup(pattern) : xasprintf("%s/%s", dir, pattern);

		if (!realpath(p, real) || !rt_is_dir(real)) {
			rt_errf(err, RT_EXIT_INPUT, "package directory '%s' does not exist", p);
			free(p);
			goto out;
		}
		free(p);
		pkgdir = xstrdup(real);
	} else {
		char *std = xasprintf("%s/src/%s", cfg->goroot, pattern);

		if (!first_elem_has_dot(pattern) && rt_is_dir(std)) {
			pkgdir = std;
		} else {
			free(std);
			pkgdir = xstrdup(cwd);
			imp = xstrdup(pattern);
		}
	}
	if (!g->outside && find_main_module(&L, cwd, pkgdir, imp != NULL, err) != 0)
		goto out;
	if (!imp) {
		/* The import path of the package directory within its module. */
		const struct gb_module *m = g->main_mod;
		const char *rel = pkgdir + strlen(m->dir);

		if (m->is_std && strcmp(m->path, "std") == 0)
			imp = xstrdup(*rel ? rel + 1 : "");
		else
			imp = xasprintf("%s%s", m->path, rel);
	}
	if (load_pkg(&L, NULL, NULL, imp, &mainp, err) != 0)
		goto out;
	if (g->outside && (!mainp->mod || mainp->mod->is_main || strcmp(mainp->mod->path, g->mg->mains[0].mf.req[0].path) != 0)) {
		rt_errf(err, RT_EXIT_BUILD, "package %s provided by module %s\n\tAll packages must be provided by the same module (%s@%s).",
			imp, mainp->mod ? mainp->mod->path : "std", g->mg->mains[0].mf.req[0].path, g->mg->mains[0].mf.req[0].version);
		goto out;
	}
	if (strcmp(mainp->name, "main") != 0) {
		rt_errf(err, RT_EXIT_BUILD, "package %s is not a main package (package %s): nothing to link", imp,
			mainp->name);
		goto out;
	}
	/* The linker always needs runtime (runtime/cgo for an external link with cgo, and math on arm, for
	 * soft float), imported or not. The order
	 * keeps main last: these are inserted before it when they were not already loaded. */
	{
		const char *implicit[] = { "runtime", cfg->cgo && cfg->link_external ? "runtime/cgo" : NULL,
					   strcmp(cfg->goarch, "arm") == 0 ? "math" : NULL };
		int failed = 0;

		g->npkgs--; /* take main off the end while the implicit roots are visited */
		for (size_t i = 0; i < 3 && !failed; i++) {
			struct gb_pkg *ip;

			if (implicit[i])
				failed = load_pkg(&L, NULL, NULL, implicit[i], &ip, err);
		}
		g->pkgs = xgrow(g->pkgs, &L.pkgcap, g->npkgs + 1, sizeof(*g->pkgs));
		mainp->index = g->npkgs;
		g->pkgs[g->npkgs++] = mainp;
		if (failed)
			goto out;
	}
	g->main = mainp;
	rc = 0;
out:
	if (rc != 0) {
		/* Packages not yet in the order are freed here; the rest by gb_graph_release. */
		for (size_t i = 0; i < L.nall; i++)
			if (L.all[i]->mark != 2)
				free_pkg(L.all[i]);
		gb_graph_release(g);
	}
	for (size_t i = 0; i < L.nrmemo; i++) {
		free(L.rmemo[i].imp);
		free(L.rmemo[i].path);
		free(L.rmemo[i].dir);
	}
	free(L.rmemo);
	free(L.rindex);
	free(L.all);
	free(L.stack);
	free(L.vendor_mod);
	free(L.graph_mod);
	strv_release(&L.vendor_pkgs);
	free(cwd);
	free(pkgdir);
	free(imp);
	return rc;
}

void gb_graph_release(struct gb_graph *g)
{
	for (size_t i = 0; i < g->npkgs; i++)
		free_pkg(g->pkgs[i]);
	free(g->pkgs);
	for (size_t i = 0; i < g->nmods; i++)
		free_module(g->mods[i]);
	free(g->mods);
	if (g->mg) {
		gb_modgraph_release(g->mg);
		free(g->mg);
	}
	memset(g, 0, sizeof(*g));
}
