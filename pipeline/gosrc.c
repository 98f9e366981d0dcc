#include "pipeline/gosrc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/xalloc.h"

/* ---- the header: constraint lines before the package clause ------------------------------------- */

static const char *trim(const char *s, const char *end, const char **tend)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*tend = end;
	return s;
}

static bool has_prefix(const char *s, const char *end, const char *p)
{
	size_t n = strlen(p);

	return (size_t)(end - s) >= n && memcmp(s, p, n) == 0;
}

/* "//go:build" followed by a space, tab or the end of the line. */
static bool is_go_build(const char *s, const char *end)
{
	return has_prefix(s, end, "//go:build") && (end - s == 10 || s[10] == ' ' || s[10] == '\t');
}

/*
 * As go/build's parseFileHeader: walk lines while they are blank or comments; the //go:build line may be
 * anywhere in them; "// +build" lines count only up to the last blank line before the first non-comment
 * text. //go: directives of the header are collected for //go:debug.
 */
static int scan_header(const char *name, const char *src, size_t len, struct gosrc *g, struct rt_err *err)
{
	const char *p = src, *end = src + len, *trimmed_end = src;
	bool ended = false, in_star = false;
	int line_no = 0;
	struct strv plus = STRV_INIT;
	struct { const char *s, *e; } lines[512];
	size_t nlines = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *l, *lend;

		line_no++;
		l = trim(p, le, &lend);
		p = nl ? nl + 1 : end;
		if (l == lend && !ended) {
			trimmed_end = l; /* up to this blank line */
			continue;
		}
		if (!has_prefix(l, lend, "//"))
			ended = true;
		if (!in_star && is_go_build(l, lend)) {
			if (g->go_build) {
				strv_release(&plus);
				return rt_errf(err, RT_EXIT_BUILD, "%s:%d: multiple //go:build comments", name, line_no);
			}
			const char *x = l + 10, *xe;

			x = trim(x, lend, &xe);
			g->go_build = xstrndup(x, (size_t)(xe - x));
		}
		if (!in_star && has_prefix(l, lend, "//go:debug") && (lend - l > 10) && isspace((unsigned char)l[10])) {
			const char *x = l + 10, *xe;

			x = trim(x, lend, &xe);
			strv_pushn(&g->go_debug, x, (size_t)(xe - x));
		}
		if (nlines < sizeof(lines) / sizeof(lines[0]) && !in_star)
			lines[nlines].s = l, lines[nlines].e = lend, nlines++;
		while (l < lend) {
			if (in_star) {
				const char *star = NULL;

				for (const char *q = l; q + 1 < lend; q++)
					if (q[0] == '*' && q[1] == '/') {
						star = q;
						break;
					}
				if (!star)
					goto next_line;
				in_star = false;
				l = trim(star + 2, lend, &lend);
				continue;
			}
			if (has_prefix(l, lend, "//"))
				goto next_line;
			if (has_prefix(l, lend, "/*")) {
				in_star = true;
				l = trim(l + 2, lend, &lend);
				continue;
			}
			goto done; /* non-comment text: the package clause */
		}
next_line:;
	}
done:
	/* +build lines: comment lines inside the trimmed header only. */
	for (size_t i = 0; i < nlines; i++) {
		const char *l = lines[i].s, *e = lines[i].e;

		if (l >= trimmed_end)
			break;
		if (!has_prefix(l, e, "//"))
			continue;
		l = trim(l + 2, e, &e);
		if (has_prefix(l, e, "+build") && (e - l == 6 || isspace((unsigned char)l[6]))) {
			const char *x = trim(l + 6, e, &e);

			strv_pushn(&plus, x, (size_t)(e - x));
		}
	}
	g->plus_build = plus;
	return 0;
}

/* ---- tokens for the package clause and imports ---------------------------------------------------- */

enum tok { T_EOF, T_IDENT, T_STRING, T_PUNCT, T_BAD };

struct lexer {
	const char *name, *p, *end;
	int line;
	const char *prev_end; /* where the previous token ended (before the comments skipped since) */
	int prev_line;
	enum tok t;
	char *text; /* identifier or unquoted string */
	char punct;
	/* Comments skipped before the current token, as go/parser groups them: the last group (comments
	 * with no blank line between them) and its end line; it is the token's lead (doc) comment when
	 * it ends on the line just before the token. */
	const char *group_s, *group_e;
	int group_end_line;
	const char *lead_s, *lead_e;
};

static void note_comment(struct lexer *lx, const char *s, int start_line)
{
	if (!lx->group_s || start_line > lx->group_end_line + 1)
		lx->group_s = s;
	lx->group_e = lx->p;
	lx->group_end_line = lx->line;
}

static void skip_space(struct lexer *lx)
{
	lx->group_s = lx->group_e = NULL;
	while (lx->p < lx->end) {
		const char *s = lx->p;
		int start_line = lx->line;

		if (*lx->p == '\n') {
			lx->line++;
			lx->p++;
		} else if (isspace((unsigned char)*lx->p)) {
			lx->p++;
		} else if (lx->p + 1 < lx->end && lx->p[0] == '/' && lx->p[1] == '/') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			note_comment(lx, s, start_line);
		} else if (lx->p + 1 < lx->end && lx->p[0] == '/' && lx->p[1] == '*') {
			lx->p += 2;
			while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			lx->p = lx->p + 2 <= lx->end ? lx->p + 2 : lx->end;
			note_comment(lx, s, start_line);
		} else {
			break;
		}
	}
	if (lx->group_s && lx->group_end_line + 1 == lx->line)
		lx->lead_s = lx->group_s, lx->lead_e = lx->group_e;
	else
		lx->lead_s = lx->lead_e = NULL;
}

/* The "#cgo" lines of a comment group (its text without comment markers, line by line). */
static void cgo_lines(const char *s, const char *e, struct strv *out)
{
	while (s < e) {
		const char *body, *body_e;

		if (s + 1 < e && s[0] == '/' && s[1] == '/') {
			body = s + 2;
			body_e = memchr(body, '\n', (size_t)(e - body));
			body_e = body_e ? body_e : e;
			s = body_e;
		} else if (s + 1 < e && s[0] == '/' && s[1] == '*') {
			body = s + 2;
			for (body_e = body; body_e + 1 < e && !(body_e[0] == '*' && body_e[1] == '/'); body_e++)
				;
			s = body_e + 2 <= e ? body_e + 2 : e;
		} else {
			s++;
			continue;
		}
		while (body < body_e) {
			const char *nl = memchr(body, '\n', (size_t)(body_e - body)), *le = nl ? nl : body_e, *t, *te;

			t = trim(body, le, &te);
			if (te - t >= 5 && memcmp(t, "#cgo", 4) == 0 && (t[4] == ' ' || t[4] == '\t'))
				strv_pushn(out, t, (size_t)(te - t));
			body = nl ? nl + 1 : body_e;
		}
	}
}

/* Unquotes a Go string literal starting at *pp ('"' or '`'); NULL if malformed. Advances *pp. */
static char *unquote(const char **pp, const char *end)
{
	const char *p = *pp;
	char q = *p++, *out = xmalloc((size_t)(end - p) + 1), *o = out;

	while (p < end && *p != q) {
		if (q == '"' && *p == '\n')
			break;
		if (q == '"' && *p == '\\' && p + 1 < end) {
			p++;
			switch (*p) {
			case 'n': *o++ = '\n'; break;
			case 't': *o++ = '\t'; break;
			case '\\': *o++ = '\\'; break;
			case '"': *o++ = '"'; break;
			case '\'': *o++ = '\''; break;
			default: *o++ = '\\'; *o++ = *p; break; /* rare in paths; kept verbatim */
			}
			p++;
			continue;
		}
		*o++ = *p++;
	}
	if (p >= end || *p != q) {
		free(out);
		return NULL;
	}
	*o = '\0';
	*pp = p + 1;
	return out;
}

static void next(struct lexer *lx)
{
	free(lx->text);
	lx->text = NULL;
	lx->prev_end = lx->p;
	lx->prev_line = lx->line;
	skip_space(lx);
	if (lx->p >= lx->end) {
		lx->t = T_EOF;
		return;
	}
	if (isalpha((unsigned char)*lx->p) || *lx->p == '_' || (unsigned char)*lx->p >= 0x80) {
		const char *s = lx->p;

		while (lx->p < lx->end && (isalnum((unsigned char)*lx->p) || *lx->p == '_' || (unsigned char)*lx->p >= 0x80))
			lx->p++;
		lx->t = T_IDENT;
		lx->text = xstrndup(s, (size_t)(lx->p - s));
		return;
	}
	if (*lx->p == '"' || *lx->p == '`') {
		for (const char *q = lx->p + 1; *lx->p == '`' && q < lx->end && *q != '`'; q++)
			if (*q == '\n')
				lx->line++;
		lx->text = unquote(&lx->p, lx->end);
		lx->t = lx->text ? T_STRING : T_BAD;
		return;
	}
	lx->t = T_PUNCT;
	lx->punct = *lx->p++;
}

static bool is_punct(const struct lexer *lx, char c)
{
	return lx->t == T_PUNCT && lx->punct == c;
}

static void add_import(struct gosrc *g, const char *path)
{
	if (strcmp(path, "C") == 0)
		g->imports_c = true;
	for (size_t i = 0; i < g->imports.n; i++)
		if (strcmp(g->imports.v[i], path) == 0)
			return;
	strv_push(&g->imports, path);
}

/* One import spec: [name | . | _] "path". For import "C", *c_doc receives the spec's doc comment (NULL
 * when it has none) and *saw_c is set. */
static int import_spec(struct lexer *lx, struct gosrc *g, bool *saw_c, const char **c_doc, const char **c_doc_e,
		       struct rt_err *err)
{
	const char *lead_s = lx->lead_s, *lead_e = lx->lead_e;

	if (lx->t == T_IDENT || is_punct(lx, '.'))
		next(lx);
	if (lx->t != T_STRING)
		return rt_errf(err, RT_EXIT_BUILD, "%s:%d: malformed import declaration", lx->name, lx->line);
	if (strcmp(lx->text, "C") == 0) {
		*saw_c = true;
		*c_doc = lead_s;
		*c_doc_e = lead_e;
	}
	add_import(g, lx->text);
	next(lx);
	return 0;
}

/* ---- //go:embed lines (go/build's findEmbed and parseGoEmbed) -------------------------------------- */

static int parse_embed_args(const char *name, int line, const char *s, const char *end, struct gosrc *g,
			    struct rt_err *err)
{
	while (s < end) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s >= end)
			break;
		if (*s == '"' || *s == '`') {
			char *pat = unquote(&s, end);

			if (!pat || (s < end && *s != ' ' && *s != '\t'))
				return free(pat), rt_errf(err, RT_EXIT_BUILD, "%s:%d: invalid quoted string in //go:embed", name, line);
			strv_push(&g->embeds, pat);
			free(pat);
		} else {
			const char *w = s;

			while (s < end && *s != ' ' && *s != '\t')
				s++;
			strv_pushn(&g->embeds, w, (size_t)(s - w));
		}
	}
	return 0;
}

static int find_embeds(const char *name, const char *p, const char *end, int line, struct gosrc *g, struct rt_err *err)
{
	bool start = false;

	while (p < end) {
		char c = *p++;

		switch (c) {
		case ' ': case '\t': case '\r':
			break;
		case '\n':
			line++;
			start = true;
			break;
		case '"': case '\'':
			start = false;
			while (p < end && *p != c && *p != '\n') {
				if (*p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			if (p < end && *p == c)
				p++;
			break;
		case '`':
			start = false;
			while (p < end && *p != '`') {
				if (*p == '\n')
					line++;
				p++;
			}
			if (p < end)
				p++;
			break;
		case '/':
			if (p < end && *p == '*') {
				p++;
				while (p + 1 < end && !(p[0] == '*' && p[1] == '/')) {
					if (*p == '\n')
						line++;
					p++;
				}
				p = p + 2 <= end ? p + 2 : end;
				start = false;
			} else if (p < end && *p == '/') {
				const char *le = memchr(p, '\n', (size_t)(end - p));

				le = le ? le : end;
				if (start && (size_t)(le - p) > 9 && memcmp(p + 1, "go:embed", 8) == 0 &&
				    (p[9] == ' ' || p[9] == '\t')) {
					const char *ae = le;

					while (ae > p + 10 && isspace((unsigned char)ae[-1]))
						ae--;
					if (parse_embed_args(name, line, p + 10, ae, g, err) != 0)
						return -1;
				}
				p = le; /* the newline sets start again */
			} else {
				start = false;
			}
			break;
		default:
			start = false;
		}
	}
	return 0;
}

/* ---- entry points ---------------------------------------------------------------------------------- */

int gosrc_scan_mem(const char *name, const char *src, size_t len, struct gosrc *g, struct rt_err *err)
{
	struct lexer lx = { .name = name, .p = src, .end = src + len, .line = 1, .prev_end = src, .prev_line = 1, .t = T_EOF };
	bool imports_embed = false;
	int rc = -1;

	memset(g, 0, sizeof(*g));
	if (scan_header(name, src, len, g, err) != 0)
		goto out;
	next(&lx);
	if (lx.t != T_IDENT || strcmp(lx.text, "package") != 0) {
		rt_errf(err, RT_EXIT_BUILD, "%s:%d: expected 'package' clause", name, lx.line);
		goto out;
	}
	g->line_of_package = lx.line;
	next(&lx);
	if (lx.t != T_IDENT) {
		rt_errf(err, RT_EXIT_BUILD, "%s:%d: expected package name", name, lx.line);
		goto out;
	}
	g->package = xstrdup(lx.text);
	next(&lx);
	for (;;) {
		while (is_punct(&lx, ';'))
			next(&lx);
		const char *decl_doc, *decl_doc_e, *c_doc = NULL, *c_doc_e = NULL;
		bool saw_c = false;
		size_t nspecs = 0;

		if (lx.t != T_IDENT || strcmp(lx.text, "import") != 0)
			break;
		decl_doc = lx.lead_s;
		decl_doc_e = lx.lead_e;
		next(&lx);
		if (is_punct(&lx, '(')) {
			next(&lx);
			while (!is_punct(&lx, ')')) {
				if (lx.t == T_EOF || lx.t == T_BAD) {
					rt_errf(err, RT_EXIT_BUILD, "%s:%d: unterminated import block", name, lx.line);
					goto out;
				}
				if (is_punct(&lx, ';')) {
					next(&lx);
					continue;
				}
				if (import_spec(&lx, g, &saw_c, &c_doc, &c_doc_e, err) != 0)
					goto out;
				nspecs++;
			}
			next(&lx);
		} else if (import_spec(&lx, g, &saw_c, &c_doc, &c_doc_e, err) != 0) {
			goto out;
		} else {
			nspecs = 1;
		}
		/* go/build: the spec's doc comment, else the declaration's when it has this one spec. */
		if (saw_c && !c_doc && nspecs == 1)
			c_doc = decl_doc, c_doc_e = decl_doc_e;
		if (saw_c && c_doc)
			cgo_lines(c_doc, c_doc_e, &g->cgo_lines);
	}
	for (size_t i = 0; i < g->imports.n; i++)
		if (strcmp(g->imports.v[i], "embed") == 0)
			imports_embed = true;
	/* The token after the imports was already read, and comments before it skipped: resume the
	 * embed scan where the last import token ended. */
	if (imports_embed && find_embeds(name, lx.prev_end, src + len, lx.prev_line, g, err) != 0)
		goto out;
	rc = 0;
out:
	free(lx.text);
	if (rc != 0)
		gosrc_release(g);
	return rc;
}

static int scan_file(const char *path, struct gosrc *g, bool header_only, struct rt_err *err)
{
	char *buf;
	size_t len;
	int rc;

	memset(g, 0, sizeof(*g));
	if (rt_read_file(path, &buf, &len) != 0)
		return rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", path, strerror(errno));
	if (header_only) {
		rc = scan_header(path, buf, len, g, err);
		if (rc != 0)
			gosrc_release(g);
	} else {
		rc = gosrc_scan_mem(path, buf, len, g, err);
	}
	free(buf);
	return rc;
}

int gosrc_scan(const char *path, struct gosrc *g, struct rt_err *err)
{
	return scan_file(path, g, false, err);
}

int gosrc_scan_header(const char *path, struct gosrc *g, struct rt_err *err)
{
	return scan_file(path, g, true, err);
}

void gosrc_release(struct gosrc *g)
{
	free(g->package);
	free(g->go_build);
	strv_release(&g->imports);
	strv_release(&g->cgo_lines);
	strv_release(&g->plus_build);
	strv_release(&g->embeds);
	strv_release(&g->go_debug);
	memset(g, 0, sizeof(*g));
}
