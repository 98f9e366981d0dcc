#include "pipeline/cgo.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

void gb_cgo_flags_release(struct gb_cgo_flags *f)
{
	if (!f)
		return;
	strv_release(&f->cppflags);
	strv_release(&f->cflags);
	strv_release(&f->cxxflags);
	strv_release(&f->fflags);
	strv_release(&f->ldflags);
	strv_release(&f->pkgconfig);
}

static bool quoted_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int gb_split_quoted(const char *s, struct strv *out, struct rt_err *err)
{
	while (*s) {
		size_t n;

		while (quoted_space(*s))
			s++;
		if (!*s)
			break;
		if (*s == '"' || *s == '\'') {
			const char *close = strchr(s + 1, *s);

			if (!close)
				return rt_errf(err, RT_EXIT_USAGE, "unterminated %c string", *s);
			strv_pushn(out, s + 1, (size_t)(close - s - 1));
			s = close + 1;
			continue;
		}
		for (n = 0; s[n] && !quoted_space(s[n]); n++)
			;
		strv_pushn(out, s, n);
		s += n;
	}
	return 0;
}

char *gb_join_quoted(const struct strv *args)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "");
	for (size_t i = 0; i < args->n; i++) {
		const char *a = args->v[i];
		bool space = false, squote = strchr(a, '\'') != NULL, dquote = strchr(a, '"') != NULL;

		for (const char *p = a; *p; p++)
			space = space || quoted_space(*p);
		if (i)
			strbuf_adds(&sb, " ");
		if (!space && !squote && !dquote)
			strbuf_adds(&sb, a);
		else if (!squote)
			strbuf_addf(&sb, "'%s'", a);
		else if (!dquote)
			strbuf_addf(&sb, "\"%s\"", a);
		else {
			strbuf_release(&sb);
			return NULL;
		}
	}
	return strbuf_detach(&sb, NULL);
}

int gb_split_cgo_args(const char *s, struct strv *out)
{
	char *arg = xmalloc(strlen(s) + 1), quote = 0;
	size_t n = 0;
	bool escaped = false, quoted = false;

	for (; *s; s++) {
		char c = *s;

		if (escaped) {
			escaped = false;
		} else if (c == '\\') {
			escaped = true;
			continue;
		} else if (quote) {
			if (c == quote) {
				quote = 0;
				continue;
			}
		} else if (c == '"' || c == '\'') {
			quoted = true;
			quote = c;
			continue;
		} else if (isspace((unsigned char)c)) {
			if (quoted || n > 0) {
				quoted = false;
				strv_pushn(out, arg, n);
				n = 0;
			}
			continue;
		}
		arg[n++] = c;
	}
	if (quoted || n > 0)
		strv_pushn(out, arg, n);
	free(arg);
	return quote || escaped ? -1 : 0;
}

char *gb_path_join(const char *dir, const char *rel)
{
	char *joined = xasprintf("%s/%s", dir, rel), *out = xmalloc(strlen(joined) + 2), *save = NULL;
	size_t n = 0;

	for (char *t = strtok_r(joined, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (strcmp(t, ".") == 0)
			continue;
		if (strcmp(t, "..") == 0) {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the slash; ".." of the root stays at the root */
			continue;
		}
		out[n++] = '/';
		memcpy(out + n, t, strlen(t));
		n += strlen(t);
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	free(joined);
	return out;
}

/* go/build's safeCgoName: what ${SRCDIR} and the text around it may contain. */
static bool safe_cgo_name(const char *s)
{
	static const char safe[] = "+-.,/0123456789=ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz:$@%! ~^";

	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x80 && !strchr(safe, *s))
			return false;
	return true;
}

/* ${SRCDIR} -> srcdir; NULL when the result would not be a safe argument. */
static char *expand_srcdir(const char *arg, const char *srcdir)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = arg, *hit;
	bool ok = true, any = false;

	strbuf_adds(&sb, "");
	while ((hit = strstr(p, "${SRCDIR}")) != NULL) {
		char *chunk = xstrndup(p, (size_t)(hit - p));

		ok = ok && (!*chunk || safe_cgo_name(chunk));
		strbuf_adds(&sb, chunk);
		strbuf_adds(&sb, srcdir);
		free(chunk);
		p = hit + 9;
		any = true;
	}
	if (!any) {
		strbuf_release(&sb);
		return safe_cgo_name(arg) ? xstrdup(arg) : NULL;
	}
	ok = ok && (!*p || safe_cgo_name(p)) && safe_cgo_name(srcdir);
	strbuf_adds(&sb, p);
	if (!ok || sb.len == 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/* go/build's matchAuto: a //go:build expression when it has operators, else a +build term. */
static bool match_cond(const struct gb_config *c, const char *cond)
{
	if (strpbrk(cond, "&|()")) {
		bool ok = false;

		return gb_eval_go_build(c, cond, &ok, NULL) == 0 && ok;
	} else {
		struct strv line = STRV_INIT;
		bool ok;

		strv_push(&line, cond);
		ok = gb_eval_plus_build(c, &line);
		strv_release(&line);
		return ok;
	}
}

static void make_paths_absolute(struct strv *args, const char *srcdir)
{
	bool next_path = false;

	for (size_t i = 0; i < args->n; i++) {
		char *a = args->v[i], *abs = NULL;

		if (next_path) {
			if (a[0] != '/')
				abs = gb_path_join(srcdir, a);
			next_path = false;
		} else if (strncmp(a, "-I", 2) == 0 || strncmp(a, "-L", 2) == 0) {
			if (!a[2]) {
				next_path = true;
			} else if (a[2] != '/') {
				char *j = gb_path_join(srcdir, a + 2);

				abs = xasprintf("%.2s%s", a, j);
				free(j);
			}
		}
		if (abs) {
			free(args->v[i]);
			args->v[i] = abs;
		}
	}
}

int gb_cgo_directive(const struct gb_config *c, const char *file, const char *line, const char *srcdir,
		     struct gb_cgo_flags *f, struct rt_err *err)
{
	struct strv words = STRV_INIT, args = STRV_INIT;
	const char *colon = strchr(line, ':');
	char *head;
	struct strv *dst = NULL;
	const char *verb;
	bool ok = false;
	int rc = -1;

	/* "#cgo noescape NAME" / "#cgo nocallback NAME" are cgo's business, not flags. */
	{
		struct strv fl = STRV_INIT;
		char *copy = xstrdup(line), *save = NULL;

		for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			strv_push(&fl, t);
		free(copy);
		ok = fl.n == 3 && (strcmp(fl.v[1], "noescape") == 0 || strcmp(fl.v[1], "nocallback") == 0);
		strv_release(&fl);
		if (ok)
			return 0;
	}
	if (!colon)
		return rt_errf(err, RT_EXIT_BUILD, "%s: invalid #cgo line: %s", file, line);
	head = xstrndup(line + 4, (size_t)(colon - line - 4));
	{
		char *save = NULL;

		for (char *t = strtok_r(head, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save))
			strv_push(&words, t);
	}
	free(head);
	if (words.n < 1) {
		rt_errf(err, RT_EXIT_BUILD, "%s: invalid #cgo line: %s", file, line);
		goto out;
	}
	verb = words.v[words.n - 1];
	if (words.n > 1) {
		ok = false;
		for (size_t i = 0; i + 1 < words.n && !ok; i++)
			ok = match_cond(c, words.v[i]);
		if (!ok) {
			rc = 0;
			goto out;
		}
	}
	if (gb_split_cgo_args(colon + 1, &args) != 0) {
		rt_errf(err, RT_EXIT_BUILD, "%s: invalid #cgo line: %s", file, line);
		goto out;
	}
	for (size_t i = 0; i < args.n; i++) {
		char *x = expand_srcdir(args.v[i], srcdir);

		if (!x) {
			rt_errf(err, RT_EXIT_BUILD, "%s: malformed #cgo argument: %s", file, args.v[i]);
			goto out;
		}
		free(args.v[i]);
		args.v[i] = x;
	}
	if (strcmp(verb, "CFLAGS") == 0)
		dst = &f->cflags;
	else if (strcmp(verb, "CPPFLAGS") == 0)
		dst = &f->cppflags;
	else if (strcmp(verb, "CXXFLAGS") == 0)
		dst = &f->cxxflags;
	else if (strcmp(verb, "FFLAGS") == 0)
		dst = &f->fflags;
	else if (strcmp(verb, "LDFLAGS") == 0)
		dst = &f->ldflags;
	else if (strcmp(verb, "pkg-config") == 0)
		dst = &f->pkgconfig;
	if (!dst) {
		rt_errf(err, RT_EXIT_BUILD, "%s: invalid #cgo verb: %s", file, line);
		goto out;
	}
	if (dst != &f->pkgconfig)
		make_paths_absolute(&args, srcdir);
	for (size_t i = 0; i < args.n; i++)
		strv_push(dst, args.v[i]);
	rc = 0;
out:
	strv_release(&words);
	strv_release(&args);
	return rc;
}

bool gb_ldflags_external(const struct strv *ldflags, bool *set)
{
	*set = false;
	for (size_t i = ldflags->n; i-- > 0;) {
		const char *a = ldflags->v[i];
		const char *next = i + 1 < ldflags->n ? ldflags->v[i + 1] : NULL;

		if (strcmp(a, "-linkmode=external") == 0 || (strcmp(a, "-linkmode") == 0 && next && strcmp(next, "external") == 0)) {
			*set = true;
			return true;
		}
		if (strcmp(a, "-linkmode=internal") == 0 || (strcmp(a, "-linkmode") == 0 && next && strcmp(next, "internal") == 0)) {
			*set = true;
			return false;
		}
	}
	return false;
}

