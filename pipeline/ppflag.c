#include "pipeline/ppflag.h"

#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "pipeline/cgo.h"

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int gb_ppflag_set(struct gb_ppflag *f, const char *name, const char *value, struct rt_err *err)
{
	struct gb_ppval v = { NULL, STRV_INIT };
	const char *s = value, *eq;
	size_t len;

	while (space(*s))
		s++;
	len = strlen(s);
	while (len && space(s[len - 1]))
		len--;
	if (len && *s != '-') {
		if (!(eq = memchr(s, '=', len)))
			return rt_errf(err, RT_EXIT_USAGE, "invalid value '%s' for -%s: missing =<value> in <pattern>=<value>",
				       value, name);
		if (eq == s)
			return rt_errf(err, RT_EXIT_USAGE, "invalid value '%s' for -%s: missing <pattern> in <pattern>=<value>",
				       value, name);
		if (*s == '\'' || *s == '"')
			return rt_errf(err, RT_EXIT_USAGE, "invalid value '%s' for -%s: parameter may not start with quote "
							   "character %c", value, name, *s);
		{
			const char *pe = eq;

			while (pe > s && space(pe[-1]))
				pe--;
			v.pattern = xstrndup(s, (size_t)(pe - s));
		}
		len -= (size_t)(eq + 1 - s);
		s = eq + 1;
	}
	{
		char *flags = xstrndup(s, len);
		int rc = gb_split_quoted(flags, &v.flags, err);

		free(flags);
		if (rc != 0) {
			free(v.pattern);
			strv_release(&v.flags);
			return rt_err_prefix(err, "invalid value '%s' for -%s", value, name);
		}
	}
	f->v = xgrow(f->v, &f->cap, f->n + 1, sizeof(*f->v));
	f->v[f->n++] = v;
	free(f->raw);
	f->raw = xstrdup(value);
	return 0;
}

/* search.IsRelativePath */
static bool relative(const char *p)
{
	return strcmp(p, ".") == 0 || strcmp(p, "..") == 0 || strncmp(p, "./", 2) == 0 || strncmp(p, "../", 3) == 0;
}

/* A copy of `s` with every "vendor" path element as '\1' (pkgpattern's vendorChar). */
static char *vendor_marked(const char *s)
{
	char *out = xstrdup(s), *w = out;

	for (const char *r = s; *r;) {
		bool at_elem = r == s || r[-1] == '/';

		if (at_elem && strncmp(r, "vendor", 6) == 0 && (r[6] == '/' || r[6] == '\0')) {
			*w++ = '\1';
			r += 6;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return out;
}

/* pattern (with "..." wildcards, none reaching a '\1') against name, whole. Patterns are short; the
 * backtracking is bounded by their few wildcards. */
static bool glob(const char *p, const char *n)
{
	if (!*p)
		return !*n;
	if (strncmp(p, "...", 3) == 0) {
		for (const char *k = n;; k++) {
			if (glob(p + 3, k))
				return true;
			if (!*k || *k == '\1')
				return false;
		}
	}
	return *p == *n && glob(p + 1, n + 1);
}

bool gb_pkgpattern_match(const char *pattern, const char *name)
{
	char *p, *n;
	size_t pl;
	bool ok;

	if (strchr(pattern, '\1') || strchr(name, '\1'))
		return false;
	p = vendor_marked(pattern);
	n = vendor_marked(name);
	pl = strlen(p);
	ok = glob(p, n);
	/* a trailing "/..." is optional: "net/..." matches "net" */
	if (!ok && pl >= 4 && strcmp(p + pl - 4, "/...") == 0) {
		p[pl - 4] = '\0';
		ok = glob(p, n);
	}
	free(p);
	free(n);
	return ok;
}

static bool matches(const char *pattern, const char *cwd, const struct gb_ppkg *pk)
{
	if (!pattern)
		return pk->cmdline;
	if (relative(pattern)) {
		const char *dots = strstr(pattern, "...");
		char *dir, *rel_pat = NULL;
		bool ok;

		if (!dots) {
			dir = gb_path_join(cwd, pattern);
		} else {
			const char *slash = dots;
			char *head;

			while (slash > pattern && slash[-1] != '/')
				slash--;
			/* a relative pattern has a '/' before its "..." ("./..." at least) */
			head = xstrndup(pattern, (size_t)(slash - pattern));
			dir = gb_path_join(cwd, head);
			free(head);
			rel_pat = xstrdup(slash);
		}
		if (!rel_pat) {
			ok = strcmp(pk->dir, dir) == 0;
		} else {
			const char *rel = NULL;

			if (rt_path_under(pk->dir, dir))
				rel = pk->dir[strlen(dir)] == '/' ? pk->dir + strlen(dir) + 1 : ".";
			else if (strcmp(dir, "/") == 0)
				rel = pk->dir + 1;
			ok = rel && gb_pkgpattern_match(rel_pat, rel);
		}
		free(dir);
		free(rel_pat);
		return ok;
	}
	if (strcmp(pattern, "all") == 0)
		return true;
	if (strcmp(pattern, "std") == 0)
		return pk->standard;
	if (strcmp(pattern, "cmd") == 0)
		return pk->standard && strncmp(pk->path, "cmd/", 4) == 0;
	return gb_pkgpattern_match(pattern, pk->path);
}

const struct strv *gb_ppflag_for(const struct gb_ppflag *f, const char *cwd, const struct gb_ppkg *p)
{
	static const struct strv none = STRV_INIT;
	const struct strv *flags = &none;

	for (size_t i = 0; i < f->n; i++)
		if (matches(f->v[i].pattern, cwd, p))
			flags = &f->v[i].flags;
	return flags;
}

void gb_ppflag_release(struct gb_ppflag *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].pattern);
		strv_release(&f->v[i].flags);
	}
	free(f->v);
	free(f->raw);
	memset(f, 0, sizeof(*f));
}
