#include "pipeline/embed.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"

static bool bad_name(const char *n)
{
	return !*n || strcmp(n, ".git") == 0 || strcmp(n, ".hg") == 0 || strcmp(n, ".svn") == 0 ||
	       strcmp(n, ".bzr") == 0;
}

static bool has_gomod(const char *dir)
{
	char *p = xasprintf("%s/go.mod", dir);
	struct stat st;
	bool yes = stat(p, &st) == 0;

	free(p);
	return yes;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_unique(struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return;
	strv_push(sv, s);
}

/* Walks `abs` (relative name `rel`), adding regular files; returns how many it found. */
static int walk(const char *abs, const char *rel, bool all, struct strv *list, struct rt_err *err)
{
	DIR *d = opendir(abs);
	struct dirent *de;
	int count = 0;

	if (!d)
		return rt_errf(err, RT_EXIT_BUILD, "cannot read directory '%s': %s", abs, strerror(errno)), -1;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		char *a, *r;
		struct stat st;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (bad_name(n) || ((n[0] == '.' || n[0] == '_') && !all))
			continue;
		a = xasprintf("%s/%s", abs, n);
		r = xasprintf("%s/%s", rel, n);
		if (lstat(a, &st) == 0) {
			if (S_ISDIR(st.st_mode) && !has_gomod(a)) {
				int c = walk(a, r, all, list, err);

				if (c < 0) {
					free(a);
					free(r);
					closedir(d);
					return -1;
				}
				count += c;
			} else if (S_ISREG(st.st_mode)) {
				add_unique(list, r);
				count++;
			}
		}
		free(a);
		free(r);
	}
	closedir(d);
	return count;
}

static bool valid_pattern(const char *p)
{
	if (!*p || p[0] == '/' || strstr(p, "//") || p[strlen(p) - 1] == '/')
		return false;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");

		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
		if (*s == '/')
			s++;
	}
	return true;
}

int gb_embed_resolve(const char *dir, const struct strv *patterns, char **json, struct strv *files, struct rt_err *err)
{
	json_t *root = json_object(), *pats = json_object(), *fmap = json_object();
	int rc = -1;

	*json = NULL;
	for (size_t i = 0; i < patterns->n; i++) {
		const char *pattern = patterns->v[i];
		bool all = strncmp(pattern, "all:", 4) == 0;
		const char *g = all ? pattern + 4 : pattern;
		struct strv list = STRV_INIT;
		json_t *arr;
		glob_t gl;
		char *full;
		int grc;

		if (!valid_pattern(g)) {
			rt_errf(err, RT_EXIT_BUILD, "%s: pattern %s: invalid pattern syntax", dir, pattern);
			goto out;
		}
		full = xasprintf("%s/%s", dir, g);
		grc = glob(full, GLOB_PERIOD | GLOB_NOSORT, NULL, &gl);
		free(full);
		if (grc != 0 && grc != GLOB_NOMATCH) {
			rt_errf(err, RT_EXIT_BUILD, "%s: pattern %s: cannot expand", dir, pattern);
			goto out;
		}
		for (size_t k = 0; grc == 0 && k < gl.gl_pathc; k++) {
			const char *m = gl.gl_pathv[k], *rel = m + strlen(dir) + 1, *base = strrchr(m, '/') + 1;
			struct stat st;

			if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || lstat(m, &st) != 0)
				continue;
			if (S_ISREG(st.st_mode)) {
				add_unique(&list, rel);
			} else if (S_ISDIR(st.st_mode)) {
				int c;

				if (has_gomod(m)) {
					rt_errf(err, RT_EXIT_BUILD, "%s: pattern %s: cannot embed directory %s: in different module",
						dir, pattern, rel);
					globfree(&gl);
					strv_release(&list);
					goto out;
				}
				c = walk(m, rel, all, &list, err);
				if (c <= 0) {
					if (c == 0)
						rt_errf(err, RT_EXIT_BUILD, "%s: pattern %s: cannot embed directory %s: contains "
									    "no embeddable files", dir, pattern, rel);
					globfree(&gl);
					strv_release(&list);
					goto out;
				}
			} else {
				rt_errf(err, RT_EXIT_BUILD, "%s: pattern %s: cannot embed irregular file %s", dir, pattern, rel);
				globfree(&gl);
				strv_release(&list);
				goto out;
			}
		}
		if (grc == 0)
			globfree(&gl);
		if (!list.n) {
			rt_errf(err, RT_EXIT_BUILD, "%s: pattern %s: no matching files found", dir, pattern);
			goto out;
		}
		qsort(list.v, list.n, sizeof(char *), cmp_str);
		arr = json_array();
		for (size_t k = 0; k < list.n; k++) {
			char *abs = xasprintf("%s/%s", dir, list.v[k]);

			json_array_append_new(arr, json_string(list.v[k]));
			json_object_set_new(fmap, list.v[k], json_string(abs));
			add_unique(files, list.v[k]);
			free(abs);
		}
		json_object_set_new(pats, pattern, arr);
		strv_release(&list);
	}
	if (files->n)
		qsort(files->v, files->n, sizeof(char *), cmp_str);
	json_object_set_new(root, "Patterns", pats);
	json_object_set_new(root, "Files", fmap);
	pats = fmap = NULL;
	*json = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(1));
	rc = 0;
out:
	json_decref(pats);
	json_decref(fmap);
	json_decref(root);
	return rc;
}
