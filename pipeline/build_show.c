/*
 * pipeline/build_show: the build's commands as shell text: each step as -x prints it when it runs, and
 * the whole -n recipe (in dependency order, nothing run), with the real $WORK and cache directory shown
 * as $WORK and $CACHE and every other word quoted as sh needs.
 */
#include "pipeline/build_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* `s` with the real $WORK and cache directory shown as $WORK and $CACHE. */
char *gb_show_path(const struct build *b, const char *s)
{
	size_t wl = strlen(b->work), cl = b->cache ? strlen(b->cache) : 0;
	char *out = xmalloc(strlen(s) * 2 + 16), *o = out;

	while (*s) {
		if (strncmp(s, b->work, wl) == 0) {
			o += sprintf(o, "$WORK");
			s += wl;
		} else if (cl && strncmp(s, b->cache, cl) == 0) {
			o += sprintf(o, "$CACHE");
			s += cl;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static bool needs_quote(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!(strchr("-_./=:,+@%", *s) || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z')))
			return true;
	return false;
}

/* One shell word: paths under $WORK/$CACHE stay expandable, everything else is single-quoted if needed. */
void gb_put_word(const struct build *b, FILE *f, const char *arg)
{
	char *shown = gb_show_path(b, arg);

	if (!needs_quote(shown)) {
		fputs(shown, f);
	} else if (!strchr(shown, '\'') && !strchr(shown, '$')) {
		fprintf(f, "'%s'", shown);
	} else {
		fputc('"', f);
		for (const char *p = shown; *p; p++) {
			if (*p == '"' || *p == '\\' || *p == '`')
				fputc('\\', f);
			if (*p == '$' && strncmp(p, "$WORK", 5) != 0 && strncmp(p, "$CACHE", 6) != 0)
				fputc('\\', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	free(shown);
}

/* Heredoc body: $WORK and $CACHE expand, every other shell-special character is escaped. */
static void put_heredoc(const struct build *b, FILE *f, const char *data, size_t len)
{
	char *text = xstrndup(data, len), *shown = gb_show_path(b, text);

	for (const char *p = shown; *p; p++) {
		bool var = *p == '$' && (strncmp(p, "$WORK", 5) == 0 || strncmp(p, "$CACHE", 6) == 0);

		if (*p == '\\' || *p == '`' || (*p == '$' && !var))
			fputc('\\', f);
		fputc(*p, f);
	}
	if (len && data[len - 1] != '\n')
		fputc('\n', f);
	free(text);
	free(shown);
}

/* In the -n recipe (`recipe`), the dynamic-import link records its outcome in $dynok and the steps that
 * depend on it test it; -x shows only what runs. */
static void show_cond(const struct step *s, FILE *f, bool recipe)
{
	if (recipe && s->cond != C_ALWAYS)
		fputs(s->cond == C_DYN_OK ? "[ -n \"$dynok\" ] && " : "[ -z \"$dynok\" ] && ", f);
}

void gb_show_step(const struct build *b, const struct step *s, FILE *f, bool recipe)
{
	switch (s->kind) {
	case S_MKDIR:
		fputs("mkdir -p ", f);
		gb_put_word(b, f, s->path);
		fputc('\n', f);
		break;
	case S_WRITE:
		if (s->len == 0) {
			show_cond(s, f, recipe);
			fputs("echo -n > ", f);
			gb_put_word(b, f, s->path);
			fputs(" # internal\n", f);
			break;
		}
		fputs("cat >", f);
		gb_put_word(b, f, s->path);
		fputs(" << EOF # internal\n", f);
		put_heredoc(b, f, s->data, s->len);
		fputs("EOF\n", f);
		break;
	case S_EXEC:
		if (recipe && s->probe)
			fputs("dynok=1\n", f);
		if (s->cwd) {
			fputs("cd ", f);
			gb_put_word(b, f, s->cwd);
			fputc('\n', f);
		}
		show_cond(s, f, recipe);
		for (size_t i = 0; i < s->env.n; i++) {
			const char *eq = strchr(s->env.v[i], '=');

			fprintf(f, "%.*s=", (int)(eq - s->env.v[i]), s->env.v[i]);
			gb_put_word(b, f, eq + 1);
			fputc(' ', f);
		}
		for (size_t i = 0; i < s->argv.n; i++) {
			if (i)
				fputc(' ', f);
			gb_put_word(b, f, s->argv.v[i]);
		}
		if (recipe && s->probe)
			fputs(" || dynok=", f);
		fputc('\n', f);
		break;
	case S_PACK:
		show_cond(s, f, recipe);
		fputs("\"$RT0TRACE\" tool pack r ", f);
		gb_put_word(b, f, s->path);
		for (size_t i = 0; i < s->argv.n; i++) {
			fputc(' ', f);
			gb_put_word(b, f, s->argv.v[i]);
		}
		fputs(" # internal\n", f);
		break;
	case S_BUILDID:
		fputs("\"$RT0TRACE\" tool buildid -w ", f);
		gb_put_word(b, f, s->path);
		fputs(" # internal\n", f);
		break;
	}
}

/* -n: the whole recipe, in dependency order, with nothing run. */
int gb_print_recipe(struct build *b, struct rt_err *err)
{
	FILE *f = stdout;

	fprintf(f, "#!/bin/sh\n# rt0trace build -n: the commands that build %s\nset -e\n", b->g.main->path);
	fprintf(f, "RT0TRACE=${RT0TRACE:-%s}\nWORK=$(mktemp -d)\nCACHE=%s\n", b->o->self ? b->o->self : "rt0trace",
		b->cache);
	for (size_t i = 0; i < b->tool_env.n; i++) {
		const char *eq = strchr(b->tool_env.v[i], '=');

		fprintf(f, "export %.*s=", (int)(eq - b->tool_env.v[i]), b->tool_env.v[i]);
		gb_put_word(b, f, eq + 1);
		fputc('\n', f);
	}
	for (size_t i = 0; i < b->npgo_steps; i++)
		gb_show_step(b, &b->pgo_steps[i], f, true);
	for (size_t i = 0; i < b->njobs; i++) {
		struct job *j = &b->jobs[i];

		if ((j->p ? gb_plan_package(b, j, err) : gb_plan_link(b, j, err)) != 0)
			return -1;
		if (!j->cached) {
			/* Stand-ins so dependents can be planned: the archive stays in $WORK. */
			j->archive = xstrdup(j->result);
			memcpy(j->content, j->action, 32);
		}
		for (size_t k = 0; k < j->nsteps; k++)
			gb_show_step(b, &j->steps[k], f, true);
	}
	fputs("mkdir -p ", f);
	{
		char *d = xstrdup(b->out), *slash = strrchr(d, '/');

		if (slash)
			*slash = '\0';
		gb_put_word(b, f, slash ? d : ".");
		free(d);
	}
	fputs("\ncp ", f);
	gb_put_word(b, f, b->jobs[b->njobs - 1].archive);
	fputc(' ', f);
	gb_put_word(b, f, b->out);
	fputs("\nrm -rf \"$WORK\"\n", f);
	return fflush(f) == 0 ? 0 : rt_errf(err, RT_EXIT_ENV, "cannot write the recipe: %s", strerror(errno));
}
