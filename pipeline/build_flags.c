/*
 * pipeline/build_flags: the build's settings as cmd/go reads them from GOFLAGS (-NAME=VALUE, -NAME for a
 * boolean) and which values of -buildmode, -mod and -buildvcs it takes.
 */
#include "pipeline/build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "pipeline/cgo.h"

bool gb_valid_buildmode(const char *s)
{
	return strcmp(s, "default") == 0 || strcmp(s, "exe") == 0 || strcmp(s, "pie") == 0;
}

bool gb_valid_mod_mode(const char *s)
{
	return strcmp(s, "readonly") == 0 || strcmp(s, "mod") == 0 || strcmp(s, "vendor") == 0;
}

/* strconv.ParseBool's words: "true"/"false", or NULL. */
static const char *go_bool(const char *s)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return "true";
		if (strcmp(s, no[i]) == 0)
			return "false";
	}
	return NULL;
}

/* The last -NAME in GOFLAGS (every one, in order, into `all` when not NULL), as cmd/go reads its
 * defaults: a boolean flag is -NAME (true) or
 * -NAME=BOOL, *value "true" or "false"; a value flag is -NAME=VALUE. *value is malloc'd, or NULL when
 * GOFLAGS does not set it. Every entry must be a flag. */
static int goflags_flag(const char *goflags, const char *name, bool boolean, char **value, struct strv *all,
			struct rt_err *err)
{
	struct strv words = STRV_INIT;
	size_t n = strlen(name);
	int rc = 0;

	*value = NULL;
	if (!goflags || !*goflags)
		return 0;
	if (gb_split_quoted(goflags, &words, err) != 0)
		return rt_err_prefix(err, "GOFLAGS");
	for (size_t i = 0; i < words.n && rc == 0; i++) {
		const char *w = words.v[i] + (strncmp(words.v[i], "--", 2) == 0 ? 2 : 1), *b = NULL;

		if (words.v[i][0] != '-') {
			rc = rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: '%s' is not a flag (each entry must start with -)", words.v[i]);
		} else if (strncmp(w, name, n) != 0 || (w[n] != '\0' && w[n] != '=')) {
			continue;
		} else if (w[n] == '\0' && !boolean) {
			rc = rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: -%s needs a value (-%s=...)", name, name);
		} else if (boolean && !(b = w[n] ? go_bool(w + n + 1) : "true")) {
			rc = rt_errf(err, RT_EXIT_USAGE, "GOFLAGS: invalid boolean value '%s' for -%s", w + n + 1, name);
		} else {
			free(*value);
			*value = xstrdup(boolean ? b : w + n + 1);
			if (all)
				strv_push(all, *value);
		}
	}
	strv_release(&words);
	if (rc != 0) {
		free(*value);
		*value = NULL;
	}
	return rc;
}

const char *gb_buildvcs_mode(const char *s)
{
	return strcmp(s, "auto") == 0 ? "auto" : go_bool(s);
}

int gb_goflags_value(const char *goflags, const char *name, char **value, struct rt_err *err)
{
	return goflags_flag(goflags, name, false, value, NULL, err);
}

int gb_goflags_values(const char *goflags, const char *name, struct strv *values, struct rt_err *err)
{
	char *last = NULL;
	int rc = goflags_flag(goflags, name, false, &last, values, err);

	free(last);
	return rc;
}

int gb_goflags_bool(const char *goflags, const char *name, char **value, struct rt_err *err)
{
	return goflags_flag(goflags, name, true, value, NULL, err);
}
