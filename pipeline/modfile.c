#include "pipeline/modfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/xalloc.h"

/* ---- lexing ----------------------------------------------------------------------------------------- */

#define MAX_TOKENS 16

/* One line's tokens (bare words, unquoted strings, and the punctuation "(", ")", "[", "]", ",", "=>")
 * and its // comment. */
struct mline {
	char *tok[MAX_TOKENS];
	bool quoted[MAX_TOKENS];
	size_t n;
	char *comment; /* text after "//", trimmed; NULL when none */
	int line;
};

static void mline_release(struct mline *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->tok[i]);
	free(l->comment);
	memset(l, 0, sizeof(*l));
}

static int lex_error(struct rt_err *err, const char *file, int line, const char *what)
{
	return rt_errf(err, RT_EXIT_BUILD, "%s:%d: %s", file, line, what);
}

/* Unquotes the Go string literal at *p (which starts with " or `), advancing *p past it. */
static char *unquote(const char **p, const char *end, bool *ok)
{
	char q = **p, *out = xmalloc((size_t)(end - *p) + 1), *o = out;
	const char *s = *p + 1;

	*ok = false;
	for (; s < end && *s != q && *s != '\n'; s++) {
		if (q == '"' && *s == '\\' && s + 1 < end) {
			s++;
			switch (*s) {
			case 'n': *o++ = '\n'; break;
			case 't': *o++ = '\t'; break;
			case '\\': *o++ = '\\'; break;
			case '"': *o++ = '"'; break;
			default: *o++ = '\\'; *o++ = *s; break; /* rare in module files: kept as written */
			}
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	if (s < end && *s == q) {
		*ok = true;
		s++;
	}
	*p = s;
	return out;
}

/* Lexes the line starting at *p (up to the newline) into l; *p moves past the newline. */
static int lex_line(const char **p, const char *end, const char *file, int lineno, struct mline *l, struct rt_err *err)
{
	const char *s = *p;

	memset(l, 0, sizeof(*l));
	l->line = lineno;
	while (s < end && *s != '\n') {
		if (*s == ' ' || *s == '\t' || *s == '\r') {
			s++;
			continue;
		}
		if (l->n == MAX_TOKENS) {
			mline_release(l);
			return lex_error(err, file, lineno, "too many tokens on one line");
		}
		if (s + 1 < end && s[0] == '/' && s[1] == '/') {
			const char *c = s + 2, *e = c;

			while (e < end && *e != '\n')
				e++;
			while (c < e && isspace((unsigned char)*c))
				c++;
			while (e > c && isspace((unsigned char)e[-1]))
				e--;
			l->comment = xstrndup(c, (size_t)(e - c));
			s = e;
			while (s < end && *s != '\n')
				s++;
			break;
		}
		if (*s == '"' || *s == '`') {
			bool ok;

			l->quoted[l->n] = true;
			l->tok[l->n++] = unquote(&s, end, &ok);
			if (!ok) {
				mline_release(l);
				return lex_error(err, file, lineno, "unterminated quoted string");
			}
			continue;
		}
		if (strchr("()[],", *s)) {
			l->tok[l->n++] = xstrndup(s, 1);
			s++;
			continue;
		}
		if (s + 1 < end && s[0] == '=' && s[1] == '>') {
			l->tok[l->n++] = xstrdup("=>");
			s += 2;
			continue;
		}
		{
			const char *b = s;

			while (s < end && !isspace((unsigned char)*s) && !strchr("()[],\"`", *s) &&
			       !(s + 1 < end && s[0] == '/' && s[1] == '/') && !(s + 1 < end && s[0] == '=' && s[1] == '>'))
				s++;
			l->tok[l->n++] = xstrndup(b, (size_t)(s - b));
		}
	}
	*p = s < end ? s + 1 : s;
	return 0;
}

/* ---- versions ---------------------------------------------------------------------------------------- */


static size_t digits(const char *s)
{
	size_t n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	return n;
}

static bool num_ok(const char *s, size_t n)
{
	return n > 0 && (n == 1 || s[0] != '0');
}

static bool ident_ok(const char *s, size_t n, bool numeric_no_leading_zero)
{
	/* dot-separated identifiers of [0-9A-Za-z-], non-empty; numeric ones without leading zeros */
	size_t i = 0;

	if (n == 0)
		return false;
	while (i < n) {
		size_t b = i;
		bool all_digits = true;

		while (i < n && s[i] != '.') {
			if (!isalnum((unsigned char)s[i]) && s[i] != '-')
				return false;
			all_digits = all_digits && isdigit((unsigned char)s[i]);
			i++;
		}
		if (i == b)
			return false;
		if (numeric_no_leading_zero && all_digits && i - b > 1 && s[b] == '0')
			return false;
		if (i < n)
			i++;
		if (i == n && s[n - 1] == '.')
			return false;
	}
	return true;
}

bool gb_semver_parse(const char *v, struct gb_semver *sv)
{
	const char *s = v;
	size_t n;

	memset(sv, 0, sizeof(*sv));
	if (!v || *s++ != 'v')
		return false;
	n = digits(s);
	if (!num_ok(s, n))
		return false;
	sv->major = s, sv->lmajor = n, s += n;
	if (*s == '\0')
		return true; /* v1 */
	if (*s++ != '.')
		return false;
	n = digits(s);
	if (!num_ok(s, n))
		return false;
	sv->minor = s, sv->lminor = n, s += n;
	if (*s == '\0')
		return true; /* v1.2 */
	if (*s++ != '.')
		return false;
	n = digits(s);
	if (!num_ok(s, n))
		return false;
	sv->patch = s, sv->lpatch = n, s += n;
	sv->full = true;
	if (*s == '-') {
		const char *b = s + 1;

		n = strcspn(b, "+");
		if (!ident_ok(b, n, true))
			return false;
		sv->pre = s, sv->lpre = n + 1;
		s = b + n;
	}
	if (*s == '+') {
		n = strlen(s + 1);
		if (!ident_ok(s + 1, n, false))
			return false;
		sv->build = s, sv->lbuild = n + 1;
		s += n + 1;
	}
	return *s == '\0';
}

bool gb_semver_canonical(const char *v)
{
	struct gb_semver sv;

	return gb_semver_parse(v, &sv) && sv.full &&
	       (!sv.build || (sv.lbuild == 13 && strncmp(sv.build, "+incompatible", 13) == 0));
}

bool gb_semver_valid(const char *v)
{
	struct gb_semver sv;

	return gb_semver_parse(v, &sv);
}

static int cmp_num(const char *a, size_t la, const char *b, size_t lb)
{
	if (la != lb)
		return la < lb ? -1 : 1;
	return memcmp(a, b, la) < 0 ? -1 : memcmp(a, b, la) > 0 ? 1 : 0;
}

static int cmp_num_or0(const char *a, size_t la, const char *b, size_t lb)
{
	return cmp_num(la ? a : "0", la ? la : 1, lb ? b : "0", lb ? lb : 1);
}

/* semver's prerelease ordering: none > any; identifiers compared numerically or lexically. */
static int cmp_pre(const char *a, size_t la, const char *b, size_t lb)
{
	size_t i = 1, j = 1; /* past the '-' */

	if (la == 0 || lb == 0)
		return la == lb ? 0 : la == 0 ? 1 : -1;
	while (i < la && j < lb) {
		size_t ea = i, eb = j;
		bool na = true, nb = true;
		int c;

		while (ea < la && a[ea] != '.')
			na = na && isdigit((unsigned char)a[ea]), ea++;
		while (eb < lb && b[eb] != '.')
			nb = nb && isdigit((unsigned char)b[eb]), eb++;
		if (na && nb)
			c = cmp_num(a + i, ea - i, b + j, eb - j);
		else if (na != nb)
			c = na ? -1 : 1;
		else {
			size_t m = ea - i < eb - j ? ea - i : eb - j;

			c = memcmp(a + i, b + j, m);
			c = c ? (c < 0 ? -1 : 1) : ea - i == eb - j ? 0 : ea - i < eb - j ? -1 : 1;
		}
		if (c)
			return c;
		i = ea + 1;
		j = eb + 1;
	}
	return i >= la && j >= lb ? 0 : i >= la ? -1 : 1;
}

int gb_semver_compare(const char *a, const char *b)
{
	struct gb_semver x, y;
	bool vx = gb_semver_parse(a, &x), vy = gb_semver_parse(b, &y);
	int c;

	if (!vx || !vy)
		return vx == vy ? 0 : vx ? 1 : -1;
	if ((c = cmp_num(x.major, x.lmajor, y.major, y.lmajor)) || (c = cmp_num_or0(x.minor, x.lminor, y.minor, y.lminor)) ||
	    (c = cmp_num_or0(x.patch, x.lpatch, y.patch, y.lpatch)))
		return c;
	return cmp_pre(x.pre, x.lpre, y.pre, y.lpre);
}

/* A Go version: "1", "1.21", "1.21rc1", "1.21beta2", "1.21.0". kind: 0 language version (no patch, no
 * prerelease), 1 beta, 2 rc, 3 release. */
struct gover {
	const char *major, *minor, *patch, *pre;
	size_t lmajor, lminor, lpatch, lpre;
	int kind;
};

static bool gover_parse(const char *v, struct gover *g)
{
	const char *s = v;
	size_t n;

	memset(g, 0, sizeof(*g));
	if (!v)
		return false;
	n = digits(s);
	if (!num_ok(s, n))
		return false;
	g->major = s, g->lmajor = n, s += n;
	if (*s == '\0')
		return true;
	if (*s++ != '.')
		return false;
	n = digits(s);
	if (!num_ok(s, n))
		return false;
	g->minor = s, g->lminor = n, s += n;
	if (*s == '\0')
		return true;
	if (strncmp(s, "rc", 2) == 0 || strncmp(s, "beta", 4) == 0) {
		g->kind = s[0] == 'r' ? 2 : 1;
		s += s[0] == 'r' ? 2 : 4;
		n = digits(s);
		if (!num_ok(s, n) || s[n])
			return false;
		g->pre = s, g->lpre = n;
		return true;
	}
	if (*s++ != '.')
		return false;
	n = digits(s);
	if (!num_ok(s, n) || s[n])
		return false;
	g->patch = s, g->lpatch = n, g->kind = 3;
	return true;
}

bool gb_gover_valid(const char *v)
{
	struct gover g;

	return gover_parse(v, &g);
}

int gb_gover_compare(const char *a, const char *b)
{
	struct gover x, y;
	int c;

	if (!gover_parse(a, &x) || !gover_parse(b, &y))
		return strcmp(a ? a : "", b ? b : "") < 0 ? -1 : strcmp(a ? a : "", b ? b : "") > 0 ? 1 : 0;
	if ((c = cmp_num(x.major, x.lmajor, y.major, y.lmajor)) || (c = cmp_num_or0(x.minor, x.lminor, y.minor, y.lminor)))
		return c;
	if (x.kind != y.kind)
		return x.kind < y.kind ? -1 : 1;
	if (x.kind == 3)
		return cmp_num(x.patch, x.lpatch, y.patch, y.lpatch);
	return x.kind ? cmp_num(x.pre, x.lpre, y.pre, y.lpre) : 0;
}

/* ---- go.mod and go.work ------------------------------------------------------------------------------ */

static bool is_dir_path(const char *p)
{
	return strncmp(p, "./", 2) == 0 || strncmp(p, "../", 3) == 0 || p[0] == '/' || strcmp(p, ".") == 0 ||
	       strcmp(p, "..") == 0;
}

static int usage(struct rt_err *err, const struct gb_modfile *mf, int line, const char *u)
{
	return rt_errf(err, RT_EXIT_BUILD, "%s:%d: usage: %s", mf->file, line, u);
}

static int bad_version(struct rt_err *err, const struct gb_modfile *mf, int line, const char *path, const char *v)
{
	return rt_errf(err, RT_EXIT_BUILD, "%s:%d: %s: invalid version '%s': must be of the form v1.2.3", mf->file, line,
		       path, v);
}

static int add_req(struct gb_modreq **v, size_t *n, const struct mline *l, size_t at, const char *verb,
		   const struct gb_modfile *mf, struct rt_err *err)
{
	const char *u = strcmp(verb, "require") == 0 ? "require module/path v1.2.3" : "exclude module/path v1.2.3";

	if (l->n - at != 2)
		return usage(err, mf, l->line, u);
	if (!gb_semver_valid(l->tok[at + 1]))
		return bad_version(err, mf, l->line, l->tok[at], l->tok[at + 1]);
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (struct gb_modreq){ .path = xstrdup(l->tok[at]), .version = xstrdup(l->tok[at + 1]), .line = l->line };
	/* cmd/go's isIndirect: the comment is "indirect" or starts with "indirect;" */
	if (l->comment && (strcmp(l->comment, "indirect") == 0 || strncmp(l->comment, "indirect;", 9) == 0))
		(*v)[*n].indirect = true;
	(*n)++;
	return 0;
}

static int add_replace(struct gb_modfile *mf, const struct mline *l, size_t at, struct rt_err *err)
{
	const char *u = "replace module/path [v1.2.3] => other/module v1.4\n\t or replace module/path [v1.2.3] => ../local/directory";
	size_t arrow = 0, n = l->n - at;
	struct gb_modrepl r = { .line = l->line };

	for (size_t i = at; i < l->n; i++)
		if (strcmp(l->tok[i], "=>") == 0 && !l->quoted[i])
			arrow = i;
	if (!arrow || (arrow - at != 1 && arrow - at != 2) || (l->n - arrow - 1 != 1 && l->n - arrow - 1 != 2) || n < 3)
		return usage(err, mf, l->line, u);
	if (arrow - at == 2 && !gb_semver_valid(l->tok[at + 1]))
		return bad_version(err, mf, l->line, l->tok[at], l->tok[at + 1]);
	if (l->n - arrow - 1 == 2) {
		if (is_dir_path(l->tok[arrow + 1]))
			return rt_errf(err, RT_EXIT_BUILD, "%s:%d: replacement module directory path '%s' cannot have version",
				       mf->file, l->line, l->tok[arrow + 1]);
		if (!gb_semver_valid(l->tok[arrow + 2]))
			return bad_version(err, mf, l->line, l->tok[arrow + 1], l->tok[arrow + 2]);
	} else if (!is_dir_path(l->tok[arrow + 1])) {
		return rt_errf(err, RT_EXIT_BUILD, "%s:%d: replacement module without version must be directory path "
						   "(rooted or starting with ./ or ../)",
			       mf->file, l->line);
	}
	r.old_path = xstrdup(l->tok[at]);
	r.old_version = arrow - at == 2 ? xstrdup(l->tok[at + 1]) : NULL;
	r.new_path = xstrdup(l->tok[arrow + 1]);
	r.new_version = l->n - arrow - 1 == 2 ? xstrdup(l->tok[arrow + 2]) : NULL;
	mf->repl = xrealloc(mf->repl, (mf->nrepl + 1) * sizeof(*mf->repl));
	mf->repl[mf->nrepl++] = r;
	return 0;
}

/* One directive: `verb` with its arguments l->tok[at..]. */
static int directive(struct gb_modfile *mf, const char *verb, const struct mline *l, size_t at, bool in_block,
		     struct rt_err *err)
{
	size_t n = l->n - at;
	bool work = mf->is_work;

	if (!work && strcmp(verb, "module") == 0 && !in_block) {
		if (n != 1)
			return usage(err, mf, l->line, "module module/path");
		if (mf->module)
			return rt_errf(err, RT_EXIT_BUILD, "%s:%d: repeated module statement", mf->file, l->line);
		mf->module = xstrdup(l->tok[at]);
		return 0;
	}
	if (strcmp(verb, "go") == 0 && !in_block) {
		if (n != 1)
			return usage(err, mf, l->line, "go 1.23");
		if (mf->go)
			return rt_errf(err, RT_EXIT_BUILD, "%s:%d: repeated go statement", mf->file, l->line);
		if (!gb_gover_valid(l->tok[at]))
			return rt_errf(err, RT_EXIT_BUILD, "%s:%d: invalid go version '%s': must match format 1.23.0", mf->file,
				       l->line, l->tok[at]);
		mf->go = xstrdup(l->tok[at]);
		mf->go_line = l->line;
		return 0;
	}
	if (strcmp(verb, "toolchain") == 0 && !in_block) {
		if (n != 1)
			return usage(err, mf, l->line, "toolchain go1.23.0");
		if (mf->toolchain)
			return rt_errf(err, RT_EXIT_BUILD, "%s:%d: repeated toolchain statement", mf->file, l->line);
		if (strcmp(l->tok[at], "default") != 0) {
			/* go1.N[.P], with a custom suffix (go1.21.0-custom) allowed as cmd/go allows it */
			size_t len = strcspn(l->tok[at], "-");
			char *base = xstrndup(l->tok[at], len);
			bool ok = strncmp(base, "go", 2) == 0 && gb_gover_valid(base + 2);

			free(base);
			if (!ok)
				return rt_errf(err, RT_EXIT_BUILD, "%s:%d: invalid toolchain version '%s': must match format go1.23.0 "
								   "or default",
					       mf->file, l->line, l->tok[at]);
		}
		mf->toolchain = xstrdup(l->tok[at]);
		return 0;
	}
	if (strcmp(verb, "godebug") == 0) {
		if (n != 1 || !strchr(l->tok[at], '=') || l->tok[at][0] == '=')
			return usage(err, mf, l->line, "godebug key=value");
		strv_push(&mf->godebug, l->tok[at]);
		return 0;
	}
	if (!work && strcmp(verb, "require") == 0)
		return add_req(&mf->req, &mf->nreq, l, at, verb, mf, err);
	if (!work && strcmp(verb, "exclude") == 0)
		return add_req(&mf->excl, &mf->nexcl, l, at, verb, mf, err);
	if (strcmp(verb, "replace") == 0)
		return add_replace(mf, l, at, err);
	if (!work && strcmp(verb, "retract") == 0)
		return 0; /* a build ignores retractions (they matter to version queries) */
	if (!work && (strcmp(verb, "tool") == 0 || strcmp(verb, "ignore") == 0)) {
		if (n != 1)
			return usage(err, mf, l->line, strcmp(verb, "tool") == 0 ? "tool module/path/cmd" : "ignore ./dir");
		if (verb[0] == 't')
			strv_push(&mf->tools, l->tok[at]);
		return 0;
	}
	if (work && strcmp(verb, "use") == 0) {
		if (n != 1)
			return usage(err, mf, l->line, "use local/dir");
		strv_push(&mf->uses, l->tok[at]);
		return 0;
	}
	if (mf->lax)
		return 0;
	return rt_errf(err, RT_EXIT_BUILD, "%s:%d: unknown directive: %s", mf->file, l->line, verb);
}

int gb_modfile_parse(const char *file, const char *data, size_t len, int flags, struct gb_modfile *mf,
		     struct rt_err *err)
{
	const char *p = data, *end = data + len;
	char *block = NULL; /* the verb of the open "verb (" block */
	int lineno = 0, block_line = 0, rc = 0;

	memset(mf, 0, sizeof(*mf));
	mf->file = xstrdup(file);
	mf->is_work = flags & GB_MODFILE_WORK;
	mf->lax = flags & GB_MODFILE_LAX;
	while (p < end && rc == 0) {
		struct mline l;

		if (lex_line(&p, end, file, ++lineno, &l, err) != 0) {
			rc = -1;
			break;
		}
		if (l.n == 0) {
			mline_release(&l);
			continue;
		}
		if (block) {
			if (strcmp(l.tok[0], ")") == 0 && !l.quoted[0]) {
				if (l.n != 1)
					rc = lex_error(err, file, lineno, "unexpected text after ')'");
				free(block);
				block = NULL;
			} else if (strcmp(l.tok[0], "(") == 0 && !l.quoted[0]) {
				rc = lex_error(err, file, lineno, "unexpected '(' inside a block");
			} else {
				rc = directive(mf, block, &l, 0, true, err);
			}
		} else if (l.n >= 2 && strcmp(l.tok[1], "(") == 0 && !l.quoted[1]) {
			if (l.n == 3 && strcmp(l.tok[2], ")") == 0) {
				/* "require ()": an empty block */
			} else if (l.n != 2) {
				rc = lex_error(err, file, lineno, "unexpected text after '('");
			} else if (strcmp(l.tok[0], "module") == 0 || strcmp(l.tok[0], "go") == 0 ||
				   strcmp(l.tok[0], "toolchain") == 0) {
				rc = rt_errf(err, RT_EXIT_BUILD, "%s:%d: %s statement cannot be a block", file, lineno, l.tok[0]);
			} else {
				block = xstrdup(l.tok[0]);
				block_line = lineno;
			}
		} else if (l.quoted[0] && !mf->lax) {
			rc = rt_errf(err, RT_EXIT_BUILD, "%s:%d: unknown directive: %s", file, lineno, l.tok[0]);
		} else {
			rc = directive(mf, l.tok[0], &l, 1, false, err);
		}
		mline_release(&l);
	}
	if (rc == 0 && block)
		rc = rt_errf(err, RT_EXIT_BUILD, "%s:%d: '%s (' block is never closed", file, block_line, block);
	free(block);
	if (rc == 0 && !mf->is_work && !mf->module)
		rc = rt_errf(err, RT_EXIT_BUILD, "%s: no module declaration in go.mod (add 'module path')", file);
	if (rc != 0)
		gb_modfile_release(mf);
	return rc;
}

int gb_modfile_read(const char *file, int flags, struct gb_modfile *mf, struct rt_err *err)
{
	char *data = rt_slurp(file);
	int rc;

	if (!data) {
		memset(mf, 0, sizeof(*mf));
		return rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", file, strerror(errno));
	}
	rc = gb_modfile_parse(file, data, strlen(data), flags, mf, err);
	free(data);
	return rc;
}

static void free_reqs(struct gb_modreq *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path), free(v[i].version);
	free(v);
}

void gb_modfile_release(struct gb_modfile *mf)
{
	free(mf->file);
	free(mf->module);
	free(mf->go);
	free(mf->toolchain);
	free_reqs(mf->req, mf->nreq);
	free_reqs(mf->excl, mf->nexcl);
	for (size_t i = 0; i < mf->nrepl; i++) {
		free(mf->repl[i].old_path);
		free(mf->repl[i].old_version);
		free(mf->repl[i].new_path);
		free(mf->repl[i].new_version);
	}
	free(mf->repl);
	strv_release(&mf->godebug);
	strv_release(&mf->tools);
	strv_release(&mf->uses);
	memset(mf, 0, sizeof(*mf));
}

const struct gb_modrepl *gb_modfile_replacement(const struct gb_modfile *mf, const char *path, const char *version)
{
	const struct gb_modrepl *any = NULL;

	/* the last matching line wins, as in cmd/go's replacement map */
	for (size_t i = 0; mf && i < mf->nrepl; i++) {
		const struct gb_modrepl *r = &mf->repl[i];

		if (strcmp(r->old_path, path) != 0)
			continue;
		if (!r->old_version)
			any = r;
	}
	for (size_t i = mf ? mf->nrepl : 0; i-- > 0;) {
		const struct gb_modrepl *r = &mf->repl[i];

		if (strcmp(r->old_path, path) == 0 && r->old_version && version && strcmp(r->old_version, version) == 0)
			return r;
	}
	return any;
}

bool gb_modfile_excluded(const struct gb_modfile *mf, const char *path, const char *version)
{
	for (size_t i = 0; mf && i < mf->nexcl; i++)
		if (strcmp(mf->excl[i].path, path) == 0 && strcmp(mf->excl[i].version, version) == 0)
			return true;
	return false;
}

/* ---- go.sum ------------------------------------------------------------------------------------------- */

int gb_gosum_read(const char *file, struct gb_gosum *s, struct rt_err *err)
{
	char *data, *save = NULL;
	int lineno = 0;

	memset(s, 0, sizeof(*s));
	s->file = xstrdup(file);
	if (!(data = rt_slurp(file))) {
		if (errno == ENOENT)
			return 0;
		return rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", file, strerror(errno));
	}
	/* strtok_r skips empty lines, so count them by hand */
	for (char *line = data, *next; line && *line; line = next) {
		char *f[4], *t;
		size_t n = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		for (t = strtok_r(line, " \t\r", &save); t && n < 4; t = strtok_r(NULL, " \t\r", &save))
			f[n++] = t;
		if (n == 0)
			continue;
		if (n != 3) {
			free(data);
			gb_gosum_release(s);
			return rt_errf(err, RT_EXIT_BUILD, "%s:%d: malformed go.sum line: want 'path version hash'", file, lineno);
		}
		s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
		s->v[s->n++] = (struct gb_sumline){ xstrdup(f[0]), xstrdup(f[1]), xstrdup(f[2]) };
	}
	free(data);
	return 0;
}

const char *gb_gosum_lookup(const struct gb_gosum *s, const char *path, const char *version)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strncmp(s->v[i].hash, "h1:", 3) == 0 && strcmp(s->v[i].path, path) == 0 &&
		    strcmp(s->v[i].version, version) == 0)
			return s->v[i].hash;
	return NULL;
}

void gb_gosum_release(struct gb_gosum *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].path), free(s->v[i].version), free(s->v[i].hash);
	free(s->v);
	free(s->file);
	memset(s, 0, sizeof(*s));
}
