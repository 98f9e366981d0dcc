#include "pipeline/vcs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/fs.h"
#include "common/spawn.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "pipeline/cctool.h"
#include "pipeline/modfetch.h"
#include "pipeline/modfile.h"

/* internal/vcs's vcsList, in its order, with each one's root names */
static const struct vcs_kind {
	const char *cmd;
	const char *root, *root2; /* entries in a directory that mark its root */
	bool isdir;
} kinds[] = {
	{ "hg", ".hg", NULL, true },
	{ "git", ".git", NULL, true },
	{ "svn", ".svn", NULL, true },
	{ "bzr", ".bzr", NULL, true },
	{ "fossil", ".fslckout", "_FOSSIL_", false },
};

static bool has_root(const char *dir, const char *name, bool isdir)
{
	char *p = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
	struct stat st;
	bool ok = stat(p, &st) == 0 && (S_ISDIR(st.st_mode) == isdir);

	free(p);
	return ok;
}

/* vcs.FromDir(dir, ""): *repo (malloc'd) and *kind, or *repo NULL when there is none. -1 on two kinds. */
static int from_dir(const char *dir, char **repo, const struct vcs_kind **kind, struct rt_err *err)
{
	char *d = xstrdup(dir);

	*repo = NULL;
	*kind = NULL;
	for (;;) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			const struct vcs_kind *k = &kinds[i];

			if (!has_root(d, k->root, k->isdir) && !(k->root2 && has_root(d, k->root2, k->isdir)))
				continue;
			if (!*kind) {
				*kind = k;
				*repo = xstrdup(d);
			} else if (!(*kind == &kinds[1] && k == &kinds[1])) { /* nested git is allowed */
				rt_errf(err, RT_EXIT_BUILD, "error obtaining VCS status: multiple VCS detected: %s in \"%s\", and %s in "
							    "\"%s\"\n\tUse -buildvcs=false to disable VCS stamping.",
					(*kind)->cmd, *repo, k->cmd, d);
				free(*repo);
				*repo = NULL;
				free(d);
				return -1;
			}
		}
		if (strcmp(d, "/") == 0)
			break;
		{
			char *slash = strrchr(d, '/');

			if (slash == d)
				d[1] = '\0';
			else
				*slash = '\0';
		}
	}
	free(d);
	return 0;
}

static int git(const char *repo, char **out, struct rt_err *err, const char *a1, const char *a2, const char *a3,
	       const char *a4, const char *a5, const char *a6)
{
	char *argv[] = { (char *)"git", (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, (char *)a6, NULL };
	int status;

	if (gb_run_stdout(argv, repo, out, &status) != 0)
		return rt_errf(err, RT_EXIT_BUILD, "error obtaining VCS status: cannot run git: %s\n\tUse -buildvcs=false to "
						   "disable VCS stamping.", strerror(errno));
	if (status != 0) {
		free(*out);
		*out = NULL;
		return rt_errf(err, RT_EXIT_BUILD, "error obtaining VCS status: git %s %s in '%s': exit status %d\n\tUse "
						   "-buildvcs=false to disable VCS stamping.", a1, a2 ? a2 : "", repo, status);
	}
	return 0;
}

static bool is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* module.SplitPathVersion's major suffix of a module path ("/v2", gopkg.in's ".v2"), "" when it has
 * none or a malformed one */
static const char *path_major(const char *path)
{
	const char *pm;

	return gb_mod_split_path_version(path, &pm) ? pm : "";
}

/* modfetch's tagToVersion: the tag's canonical version without the prefix, "" when it is none;
 * *exact when the tag is that version exactly. */
static bool tag_version(const char *tag, const char *prefix, char *out, size_t n, bool *exact)
{
	const char *t;
	struct gb_semver sv;
	size_t len;

	*exact = false;
	if (strncmp(tag, prefix, strlen(prefix)) != 0)
		return false;
	t = tag + strlen(prefix);
	if (!gb_semver_parse(t, &sv) || !sv.full)
		return false; /* invalid, or vX / vX.Y */
	len = (size_t)(sv.patch + sv.lpatch - t) + sv.lpre;
	snprintf(out, n, "%.*s", (int)len, t);
	*exact = len == strlen(t);
	return true;
}

/* module.IsPseudoVersion, roughly: a prerelease ending in -YYYYMMDDhhmmss-<12 hex> */
static bool pseudo_like(const char *v)
{
	const char *dash = strrchr(v, '-');

	return dash && strlen(dash + 1) == 12 && dash - v > 15 && is_digits(dash - 14, 14);
}

/* A commit time (Unix seconds) in UTC into buf[32]: RFC 3339 (vcs.time), else a pseudo-version's
 * yyyymmddhhmmss. */
static const char *utc(long long unix_time, bool rfc3339, char buf[32])
{
	time_t tt = (time_t)unix_time;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, rfc3339 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y%m%d%H%M%S", &tm);
	return buf;
}

char *gb_pseudo_version(const char *major, const char *base, long long unix_time, const char *rev12)
{
	char ts[32];

	utc(unix_time, false, ts);
	if (!*major)
		major = "v0";
	if (!base || !*base)
		return xasprintf("%s.0.0-%s-%s", major, ts, rev12);
	if (strchr(base, '-')) /* a prerelease */
		return xasprintf("%s.0.%s-%s", base, ts, rev12);
	{
		const char *dot = strrchr(base, '.');
		size_t n = strlen(dot + 1);
		char *patch = xstrdup(dot + 1), *out;
		ssize_t i = (ssize_t)n - 1;

		for (; i >= 0 && patch[i] == '9'; i--)
			patch[i] = '0';
		if (i >= 0) {
			patch[i]++;
			out = xasprintf("%.*s%s-0.%s-%s", (int)(dot + 1 - base), base, patch, ts, rev12);
		} else {
			out = xasprintf("%.*s1%s-0.%s-%s", (int)(dot + 1 - base), base, patch, ts, rev12);
		}
		free(patch);
		return out;
	}
}

/* The highest tag in `lines` (one per line, "refs/tags/" stripped when present) whose version fits. */
static void best_tag(const char *lines, const char *prefix, const char *pm, bool exact_only, char *best, size_t n)
{
	const char *l = lines;

	*best = '\0';
	while (l && *l) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		char *tag = xstrndup(l, len), *t = tag, v[256];
		bool exact;

		if (strncmp(t, "refs/tags/", 10) == 0)
			t += 10;
		if (tag_version(t, prefix, v, sizeof(v), &exact) && (exact || !exact_only) && !pseudo_like(t + strlen(prefix)) &&
		    gb_mod_match_path_major(v, pm) && (!*best || gb_semver_compare(v, best) > 0))
			snprintf(best, n, "%s", v);
		free(tag);
		l = e ? e + 1 : NULL;
	}
}

/* The main module's version at revision rev (see vcs.h), or NULL. */
static char *module_version(const char *repo, const char *modpath, const char *rev, long long when, bool modified,
			    struct rt_err *err)
{
	char *gomod = xasprintf("%s/go.mod", repo), *out = NULL, best[256], *vers = NULL, prefix[PATH_MAX];
	struct gb_modfile mf = { 0 };
	struct rt_err ignored = { 0 };
	const char *pm = path_major(modpath);
	char coderoot[PATH_MAX], modprefix[PATH_MAX];

	if (gb_modfile_read(gomod, GB_MODFILE_LAX, &mf, &ignored) != 0 || !mf.module) {
		free(gomod);
		gb_modfile_release(&mf);
		return NULL; /* no root module: no version */
	}
	snprintf(coderoot, sizeof(coderoot), "%.*s", (int)(strlen(mf.module) - strlen(path_major(mf.module))), mf.module);
	snprintf(modprefix, sizeof(modprefix), "%.*s", (int)(strlen(modpath) - strlen(pm)), modpath);
	gb_modfile_release(&mf);
	free(gomod);
	if (strcmp(modprefix, coderoot) == 0)
		prefix[0] = '\0';
	else if (rt_path_under(modprefix, coderoot))
		snprintf(prefix, sizeof(prefix), "%s/", modprefix + strlen(coderoot) + 1);
	else
		return NULL; /* not in the repository's module tree */
	if (git(repo, &out, err, "tag", "--points-at", rev, NULL, NULL, NULL) != 0)
		return NULL;
	best_tag(out, prefix, pm, true, best, sizeof(best));
	free(out);
	if (*best) {
		vers = xstrdup(best);
	} else {
		char short_rev[13];

		if (git(repo, &out, err, "for-each-ref", "--format", "%(refname)", "refs/tags", "--merged", rev) != 0)
			return NULL;
		best_tag(out, prefix, pm, false, best, sizeof(best));
		free(out);
		snprintf(short_rev, sizeof(short_rev), "%.12s", rev);
		vers = gb_pseudo_version(*pm ? pm + 1 : "", best, when, short_rev);
	}
	if (modified) {
		char *d = xasprintf("%s%s", vers, strstr(vers, "+incompatible") ? ".dirty" : "+dirty");

		free(vers);
		vers = d;
	}
	return vers;
}

int gb_vcs_stamp(const char *mode, const char *cwd, const char *modpath, const char *moddir, const char *pkgdir,
		 struct gb_vcs *v, struct rt_err *err)
{
	const struct vcs_kind *kind, *k2;
	char *repo = NULL, *other = NULL, *out = NULL;
	bool is_true = strcmp(mode, "true") == 0;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	if (strcmp(mode, "false") == 0)
		return 0;
	if (from_dir(cwd, &repo, &kind, err) != 0)
		return -1;
	if (!repo || (!rt_path_under(moddir, repo) && !rt_path_under(repo, moddir))) {
		free(repo);
		return 0; /* no repository, or not the module's */
	}
	if (!is_true) {
		char *tool = rt_path_lookup(kind->cmd);

		free(tool);
		if (!tool) {
			free(repo);
			return 0; /* auto: the tool is not installed */
		}
	}
	if (kind != &kinds[1]) {
		rt_errf(err, RT_EXIT_BUILD, "error obtaining VCS status: '%s' uses %s, and rt0trace stamps VCS information from "
					    "git only\n\tUse -buildvcs=false to disable VCS stamping.", repo, kind->cmd);
		goto out;
	}
	/* the package and the module must be in that same repository */
	for (int i = 0; i < 2; i++) {
		const char *dir = i ? moddir : pkgdir;

		if (from_dir(dir, &other, &k2, err) != 0)
			goto out;
		if (!other || strcmp(other, repo) != 0) {
			if (is_true) {
				rt_errf(err, RT_EXIT_BUILD, "error obtaining VCS status: main %s is in repository \"%s\" but current "
							    "directory is in repository \"%s\"\n\tUse -buildvcs=false to disable VCS "
							    "stamping.", i ? "module" : "package", other ? other : "", repo);
				goto out;
			}
			rc = 0;
			goto out;
		}
		free(other);
		other = NULL;
	}
	if (git(repo, &out, err, "status", "--porcelain", NULL, NULL, NULL, NULL) != 0)
		goto out;
	v->modified = *out != '\0';
	free(out);
	out = NULL;
	{
		struct rt_err logerr = { 0 };

		if (git(repo, &out, &logerr, "-c", "log.showsignature=false", "log", "-1", "--format=%H:%ct", NULL) != 0) {
			if (!v->modified) { /* "git log" fails in a repository without commits */
				*err = logerr;
				goto out;
			}
		} else {
			char *colon = strchr(out, ':'), buf[32];
			long long when;

			if (!colon || colon - out != 40 || sscanf(colon + 1, "%lld", &when) != 1) {
				rt_errf(err, RT_EXIT_BUILD, "error obtaining VCS status: unexpected git log output '%s'\n\tUse "
							    "-buildvcs=false to disable VCS stamping.", out);
				goto out;
			}
			v->revision = xstrndup(out, 40);
			v->time = xstrdup(utc(when, true, buf));
			v->version = module_version(repo, modpath, v->revision, when, v->modified, err);
			if (!v->version && err->exit)
				goto out;
		}
	}
	v->stamped = true;
	rc = 0;
out:
	free(out);
	free(other);
	free(repo);
	if (rc != 0)
		gb_vcs_release(v);
	return rc;
}

void gb_vcs_release(struct gb_vcs *v)
{
	free(v->revision);
	free(v->time);
	free(v->version);
	memset(v, 0, sizeof(*v));
}
