#include "pipeline/load.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "pipeline/gosrc.h"

#define DEFAULT_GO_MOD_VERSION "1.16" /* cmd/go's gover.DefaultGoModVersion: a go.mod without a go line */

struct loader {
	struct gb_graph *g;
	const struct gb_config *cfg;
	struct gb_pkg **all; /* every package loaded, unordered */
	size_t nall, allcap, pkgcap, modcap;
	struct strv vendor_pkgs;      /* package paths listed in vendor/modules.txt ... */
	struct gb_module **vendor_mod; /* ... and their modules, parallel */
	size_t vcap;
	struct gb_pkg **stack;        /* the import chain being walked, for cycle messages */
	size_t depth, stackcap;
};



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

/* The tokens of a go.mod line with its // comment removed; returns the count (at most max). */
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

static int parse_go_mod(const char *path, struct gb_module *m, struct rt_err *err)
{
	char *src = rt_slurp(path), *save = NULL, *line;
	bool in_godebug = false, in_block = false;
	int lineno = 0;

	if (!src)
		return rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", path, strerror(errno));
	for (line = strtok_r(src, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[8];
		size_t n;

		lineno++;
		n = fields(line, f, 8);
		if (n == 0)
			continue;
		if (in_block) {
			if (strcmp(f[0], ")") == 0)
				in_block = in_godebug = false;
			else if (in_godebug)
				strv_push(&m->godebug, f[0]);
			continue;
		}
		if (strcmp(f[0], "module") == 0 && n >= 2) {
			free(m->path);
			m->path = xstrdup(f[1][0] == '"' ? f[1] + 1 : f[1]);
			if (m->path[0] && m->path[strlen(m->path) - 1] == '"')
				m->path[strlen(m->path) - 1] = '\0';
		} else if (strcmp(f[0], "go") == 0 && n >= 2) {
			free(m->go);
			m->go = xstrdup(f[1]);
		} else if (strcmp(f[0], "godebug") == 0) {
			if (n >= 2 && strcmp(f[1], "(") == 0)
				in_block = in_godebug = true;
			else if (n >= 2)
				strv_push(&m->godebug, f[1]);
		} else if (n >= 2 && strcmp(f[n - 1], "(") == 0) {
			in_block = true; /* require/replace/exclude/retract/tool blocks */
		}
	}
	free(src);
	if (!m->path || !*m->path)
		return rt_errf(err, RT_EXIT_BUILD, "%s: no module directive", path);
	return 0;
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

static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool first_elem_has_dot(const char *path)
{
	size_t n = strcspn(path, "/");

	return memchr(path, '.', n) != NULL;
}

/* Resolves `imp`, imported by `from` (NULL for the main package given as an import path). */
static int resolve(struct loader *L, const struct gb_pkg *from, const char *imp, struct where *w)
{
	const struct gb_config *c = L->cfg;
	struct gb_module *mm = L->g->main_mod;
	bool in_cmd = mm->is_std && strcmp(mm->path, "cmd") == 0;

	memset(w, 0, sizeof(*w));
	if (!first_elem_has_dot(imp)) {
		char *dir = xasprintf("%s/src/%s", c->goroot, imp);

		if (rt_is_dir(dir) && (!under(imp, "cmd") || in_cmd)) {
			w->path = xstrdup(imp);
			w->dir = dir;
			w->standard = true;
			w->mod = under(imp, "cmd") ? mm : NULL;
			return 0;
		}
		free(dir);
	}
	if (from && from->standard) {
		const char *vroot = under(from->path, "cmd") ? "cmd/vendor" : "vendor";
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
	if (!mm->is_std && under(imp, mm->path)) {
		w->path = xstrdup(imp);
		w->dir = xasprintf("%s%s", mm->dir, imp + strlen(mm->path));
		w->mod = mm;
		return rt_is_dir(w->dir) ? 0 : -1;
	}
	if (!mm->is_std) {
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

static int load_files(struct loader *L, struct gb_pkg *p, struct rt_err *err)
{
	const struct gb_config *c = L->cfg;
	DIR *d = opendir(p->dir);
	struct dirent *de;
	struct strv names = STRV_INIT, big_s = STRV_INIT, cfiles = STRV_INIT, hfiles = STRV_INIT;
	char *first_name_file = NULL, *first_c = NULL, *first_other = NULL;
	int rc = -1;
	bool saw_go = false;

	if (!d)
		return rt_errf(err, RT_EXIT_BUILD, "cannot read directory '%s': %s", p->dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		strv_push(&names, de->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		const char *n = names.v[i];
		char *full;
		struct gosrc src;
		bool ok;

		if (n[0] == '.' || n[0] == '_')
			continue;
		full = xasprintf("%s/%s", p->dir, n);
		if (!rt_is_file(full) || !gb_good_os_arch_file(c, n)) {
			free(full);
			continue;
		}
		if (has_suffix(n, ".go")) {
			saw_go = true;
			if (has_suffix(n, "_test.go") || gosrc_scan(full, &src, err) != 0) {
				free(full);
				if (has_suffix(n, "_test.go"))
					continue;
				goto out;
			}
			if (constraints_hold(c, full, &src, &ok, err) != 0) {
				gosrc_release(&src);
				free(full);
				goto out;
			}
			if (ok && src.imports_c && !c->cgo)
				ok = false; /* cgo files need CGO_ENABLED=1 */
			if (ok && strcmp(src.package, "documentation") == 0)
				ok = false;
			if (ok) {
				if (!p->name) {
					p->name = xstrdup(src.package);
					first_name_file = xstrdup(n);
				} else if (strcmp(p->name, src.package) != 0) {
					rt_errf(err, RT_EXIT_BUILD, "found packages %s (%s) and %s (%s) in %s", p->name,
						first_name_file, src.package, n, p->dir);
					gosrc_release(&src);
					free(full);
					goto out;
				}
				strv_push(src.imports_c ? &p->cgofiles : &p->gofiles, n);
				for (size_t k = 0; k < src.cgo_lines.n; k++)
					if (gb_cgo_directive(c, full, src.cgo_lines.v[k], p->dir, &p->cgo, err) != 0) {
						gosrc_release(&src);
						free(full);
						goto out;
					}
				for (size_t k = 0; k < src.imports.n; k++)
					if (strcmp(src.imports.v[k], "unsafe") != 0 && strcmp(src.imports.v[k], "C") != 0 &&
					    !strv_has(&p->imports, src.imports.v[k]))
						strv_push(&p->imports, src.imports.v[k]);
				for (size_t k = 0; k < src.embeds.n; k++)
					if (!strv_has(&p->embeds, src.embeds.v[k]))
						strv_push(&p->embeds, src.embeds.v[k]);
				for (size_t k = 0; k < src.go_debug.n; k++)
					strv_push(&p->go_debug, src.go_debug.v[k]);
			}
			gosrc_release(&src);
		} else if (has_suffix(n, ".s") || has_suffix(n, ".S") || has_suffix(n, ".sx")) {
			/* .S and .sx are preprocessed by the C compiler: only cgo packages build them. A .s
			 * file whose constraint cannot be read is dropped without an error, as go/build does. */
			if (gosrc_scan_header(full, &src, err) == 0) {
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
			if (gosrc_scan_header(full, &src, err) == 0) {
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
	/* What cgo's generated files import (cmd/go adds them after the package's own imports). */
	if (p->cgofiles.n) {
		bool self = p->standard && strcmp(p->path, "runtime/cgo") == 0;
		bool no_syscall = self || (p->standard && (strcmp(p->path, "runtime/race") == 0 ||
							   strcmp(p->path, "runtime/msan") == 0 ||
							   strcmp(p->path, "runtime/asan") == 0));

		if (!self && !strv_has(&p->imports, "runtime/cgo"))
			strv_push(&p->imports, "runtime/cgo");
		if (!no_syscall && !strv_has(&p->imports, "syscall"))
			strv_push(&p->imports, "syscall");
	}
	rc = 0;
out:
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

	if (resolve(L, from, imp, &w) != 0) {
		char *file = NULL;

		free(w.path);
		free(w.dir);
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

static int find_main_module(struct loader *L, const char *pkgdir, struct rt_err *err)
{
	const struct gb_config *c = L->cfg;
	char *cmd = xasprintf("%s/src/cmd", c->goroot), *src = xasprintf("%s/src", c->goroot);
	char *dir = xstrdup(pkgdir), *gomod = NULL;
	struct gb_module *m;
	int rc = -1;

	if (under(pkgdir, cmd)) {
		m = new_module("cmd", cmd);
		m->is_std = true;
		gomod = xasprintf("%s/go.mod", cmd);
	} else if (under(pkgdir, src)) {
		m = new_module("std", src);
		m->is_std = true;
		gomod = xasprintf("%s/go.mod", src);
	} else {
		for (;;) {
			char *slash;

			free(gomod);
			gomod = xasprintf("%s/go.mod", dir);
			if (rt_is_file(gomod))
				break;
			slash = strrchr(dir, '/');
			if (!slash || slash == dir) {
				rt_errf(err, RT_EXIT_BUILD, "no go.mod in '%s' or any parent directory: rt0trace build "
							    "builds module-mode packages (create one with 'go mod init')",
					pkgdir);
				goto out;
			}
			*slash = '\0';
		}
		m = new_module("", dir);
		m->is_main = true;
	}
	add_module(L, m);
	L->g->main_mod = m;
	if (parse_go_mod(gomod, m, err) != 0)
		goto out;
	{
		char *vdir = xasprintf("%s/vendor", m->dir), *txt = xasprintf("%s/modules.txt", vdir);

		parse_modules_txt(L, txt, vdir);
		free(vdir);
		free(txt);
		/* Std packages that import golang.org/x/... use $GOROOT/src/vendor even when building cmd. */
		if (strcmp(m->path, "cmd") == 0) {
			char *stdtxt = xasprintf("%s/src/vendor/modules.txt", c->goroot), *stdv = xasprintf("%s/src/vendor", c->goroot);

			parse_modules_txt(L, stdtxt, stdv);
			free(stdtxt);
			free(stdv);
		}
	}
	rc = 0;
out:
	free(cmd);
	free(src);
	free(dir);
	free(gomod);
	return rc;
}

int gb_load(struct gb_graph *g, const struct gb_config *cfg, const char *dir, const char *pattern, struct rt_err *err)
{
	struct loader L = { 0 };
	char real[PATH_MAX], *pkgdir = NULL, *imp = NULL;
	struct gb_pkg *mainp = NULL;
	int rc = -1;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	L.g = g;
	L.cfg = cfg;
	if (!pattern || !*pattern)
		pattern = ".";
	if (pattern[0] == '.' || pattern[0] == '/') {
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
			if (!realpath(dir, real)) {
				rt_errf(err, RT_EXIT_INPUT, "directory '%s' does not exist", dir);
				goto out;
			}
			pkgdir = xstrdup(real);
			imp = xstrdup(pattern);
		}
	}
	if (find_main_module(&L, pkgdir, err) != 0)
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
	free(L.all);
	free(L.stack);
	free(L.vendor_mod);
	strv_release(&L.vendor_pkgs);
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
	memset(g, 0, sizeof(*g));
}
