#include "pipeline/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pipeline/cgo.h"

#include "common/fs.h"
#include "common/spawn.h"
#include "common/xalloc.h"


/* "var NAME = map[string]bool{ "a": true, ... }" -> the keys set to true. */
static int parse_string_set(const char *src, const char *var, struct strv *out)
{
	char *head = xasprintf("var %s = map[string]bool{", var);
	const char *p = strstr(src, head), *end;

	free(head);
	if (!p || !(end = strchr(p, '}')))
		return -1;
	for (p = strchr(p, '{') + 1; p < end;) {
		const char *q = strchr(p, '"'), *qe;

		if (!q || q >= end || !(qe = strchr(q + 1, '"')) || qe >= end)
			break;
		p = qe + 1;
		while (*p == ':' || *p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "true", 4) == 0)
			strv_pushn(out, q + 1, (size_t)(qe - q - 1));
	}
	return out->n ? 0 : -1;
}

/* {"linux", "amd64"} pairs of internal/platform.List. */
static bool supported_pair(const char *src, const char *goos, const char *goarch)
{
	char *pair = xasprintf("{\"%s\", \"%s\"}", goos, goarch);
	bool ok = strstr(src, pair) != NULL;

	free(pair);
	return ok;
}

/* zosarch.go's distInfo line for the pair says CgoSupported: true (platform.CgoSupported). */
static bool cgo_supported(const char *src, const char *goos, const char *goarch)
{
	char *pair = xasprintf("{\"%s\", \"%s\"}:", goos, goarch);
	const char *at = strstr(src, pair), *eol = at ? strchr(at, '\n') : NULL;
	const char *yes = at ? strstr(at, "CgoSupported: true") : NULL;

	free(pair);
	return yes && (!eol || yes < eol);
}

/* Whether go's default C compiler, gcc, is on PATH (cgo's default when CC is unset). */
static bool has_gcc(void)
{
	char *gcc = rt_path_lookup("gcc");

	free(gcc);
	return gcc != NULL;
}

static const char *host_arch(void)
{
	struct utsname u;

	if (uname(&u) != 0)
		return "amd64";
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	if (strncmp(u.machine, "arm", 3) == 0)
		return "arm";
	if (strcmp(u.machine, "i686") == 0 || strcmp(u.machine, "i386") == 0)
		return "386";
	return "amd64";
}

static bool usable_goroot(const char *dir)
{
	char *v = xasprintf("%s/VERSION", dir), *rt = xasprintf("%s/src/runtime", dir);
	bool ok = access(v, R_OK) == 0 && rt_is_dir(rt);

	free(v);
	free(rt);
	return ok;
}

/* Two levels above the `go` found on PATH (symlinks resolved), as a path only: it is never run. */
static char *goroot_from_path(void)
{
	char *go = rt_path_lookup("go"), real[PATH_MAX], *found = NULL;

	if (go && realpath(go, real)) {
		char *slash = strrchr(real, '/');

		if (slash && (*slash = '\0', slash = strrchr(real, '/')) != NULL) {
			*slash = '\0';
			if (usable_goroot(real))
				found = xstrdup(real);
		}
	}
	free(go);
	return found;
}

static char *env_or(const char *name, const char *def, struct strv *set)
{
	const char *v = getenv(name);

	if (v && *v) {
		strv_pushf(set, "%s=%s", name, v);
		return xstrdup(v);
	}
	return def ? xstrdup(def) : NULL;
}

static void add_experiment(struct gb_config *c, const char *field, size_t n)
{
	char *lower = xstrndup(field, n);

	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!strv_has(&c->experiments, lower))
		strv_push(&c->experiments, lower);
	free(lower);
}

static void remove_experiment(struct gb_config *c, const char *name)
{
	for (size_t i = 0; i < c->experiments.n; i++)
		if (strcmp(c->experiments.v[i], name) == 0) {
			free(c->experiments.v[i]);
			memmove(&c->experiments.v[i], &c->experiments.v[i + 1], (c->experiments.n - i) * sizeof(char *));
			c->experiments.n--;
			return;
		}
}

/*
 * The baseline experiments of internal/buildcfg.ParseGOEXPERIMENT: the fields of its `baseline :=
 * goexperiment.Flags{...}` literal set to `true`, or to the regabi / DWARF 5 predicates it computes
 * just above (regabi on amd64, arm64, loong64, ppc64, ppc64le, riscv64, s390x; DWARF 5 except on
 * darwin, ios, aix). Then $GOEXPERIMENT applies, as go build passes it on.
 */
static int load_experiments(struct gb_config *c, struct rt_err *err)
{
	static const char *const regabi[] = { "amd64", "arm64", "loong64", "ppc64le", "ppc64", "riscv64", "s390x" };
	char *path = xasprintf("%s/src/internal/buildcfg/exp.go", c->goroot);
	char *src = rt_slurp(path);
	const char *p, *end;
	bool regabi_ok = false;
	const char *goexp = getenv("GOEXPERIMENT");

	for (size_t i = 0; i < sizeof(regabi) / sizeof(regabi[0]); i++)
		if (strcmp(c->goarch, regabi[i]) == 0)
			regabi_ok = true;
	if (!src || !(p = strstr(src, "baseline := goexperiment.Flags{")) || !(end = strchr(p, '}'))) {
		free(src);
		rt_errf(err, RT_EXIT_ENV, "cannot read the GOEXPERIMENT baseline from '%s'", path);
		free(path);
		return -1;
	}
	free(path);
	for (p = strchr(p, '{') + 1; p < end;) {
		const char *name, *colon, *val;

		while (p < end && isspace((unsigned char)*p))
			p++;
		name = p;
		while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
			p++;
		colon = p;
		while (p < end && (*p == ':' || *p == ' ' || *p == '\t'))
			p++;
		val = p;
		while (p < end && *p != ',' && *p != '\n')
			p++;
		if (p < end)
			p++;
		if (colon == name)
			continue;
		if (strncmp(val, "true", 4) == 0 || (strncmp(val, "regabiSupported", 15) == 0 && regabi_ok) ||
		    (strncmp(val, "dwarf5Supported", 15) == 0 && strcmp(c->goos, "darwin") != 0 &&
		     strcmp(c->goos, "ios") != 0 && strcmp(c->goos, "aix") != 0))
			add_experiment(c, name, (size_t)(colon - name));
	}
	free(src);
	if (goexp && *goexp) {
		char *copy = xstrdup(goexp), *save = NULL;

		strv_pushf(&c->tool_env, "GOEXPERIMENT=%s", goexp);
		for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
			if (strcmp(f, "none") == 0)
				strv_release(&c->experiments);
			else if (strncmp(f, "no", 2) == 0)
				remove_experiment(c, f + 2);
			else
				add_experiment(c, f, strlen(f));
		}
		free(copy);
	}
	for (size_t i = 0; i < c->experiments.n; i++)
		strv_pushf(&c->tool_tags, "goexperiment.%s", c->experiments.v[i]);
	return 0;
}

/* buildcfg's gogoarchTags: the feature levels up to the configured one. */
static int arch_tags(struct gb_config *c, struct rt_err *err)
{
	if (strcmp(c->goarch, "amd64") == 0) {
		int level = (c->goamd64[0] == 'v') ? atoi(c->goamd64 + 1) : 0;

		if (level < 1 || level > 4)
			return rt_errf(err, RT_EXIT_BUILD, "invalid GOAMD64 '%s': must be v1, v2, v3 or v4", c->goamd64);
		for (int i = 1; i <= level; i++)
			strv_pushf(&c->tool_tags, "amd64.v%d", i);
	} else if (strcmp(c->goarch, "arm") == 0) {
		int v = atoi(c->goarm);

		if (v < 5 || v > 7)
			return rt_errf(err, RT_EXIT_BUILD, "invalid GOARM '%s': must be 5, 6 or 7", c->goarm);
		for (int i = 5; i <= v; i++)
			strv_pushf(&c->tool_tags, "arm.%d", i);
	} else if (strcmp(c->goarch, "arm64") == 0) {
		const char *v = c->goarm64;

		if (v[0] != 'v' || !isdigit((unsigned char)v[1]) || v[2] != '.' || !isdigit((unsigned char)v[3]) ||
		    (v[1] != '8' && v[1] != '9'))
			return rt_errf(err, RT_EXIT_BUILD, "invalid GOARM64 '%s': must be v8.{0-9} or v9.{0-5}", v);
		for (int i = 0; i <= v[3] - '0'; i++)
			strv_pushf(&c->tool_tags, "arm64.v%c.%d", v[1], i);
		if (v[1] == '9')
			for (int i = 0; i <= v[3] - '0' + 5 && i <= 9; i++)
				strv_pushf(&c->tool_tags, "arm64.v8.%d", i);
	}
	return 0;
}

int gb_config_load(struct gb_config *c, const char *goroot_flag, struct rt_err *err)
{
	char real[PATH_MAX], *src, *nl, *path;
	const char *cand = goroot_flag ? goroot_flag : getenv("GOROOT");
	const char *cgo;

	memset(c, 0, sizeof(*c));
	if (cand && *cand) {
		if (!usable_goroot(cand))
			return rt_errf(err, RT_EXIT_ENV, "'%s' is not a Go root (no VERSION file or src/runtime)%s", cand,
				       goroot_flag ? "" : " (from $GOROOT)");
		c->goroot = xstrdup(cand);
	} else if (usable_goroot("/usr/local/go")) {
		c->goroot = xstrdup("/usr/local/go");
	} else if (!(c->goroot = goroot_from_path())) {
		return rt_errf(err, RT_EXIT_ENV, "no Go toolchain found: pass --goroot or set GOROOT "
						 "(looked in /usr/local/go and for a go command on PATH)");
	}
	if (realpath(c->goroot, real)) {
		free(c->goroot);
		c->goroot = xstrdup(real);
	}
	path = xasprintf("%s/VERSION", c->goroot);
	src = rt_slurp(path);
	free(path);
	if (!src || strncmp(src, "go1.", 4) != 0) {
		free(src);
		rt_errf(err, RT_EXIT_ENV, "'%s/VERSION' does not name a Go release", c->goroot);
		goto fail;
	}
	if ((nl = strpbrk(src, "\r\n")))
		*nl = '\0';
	c->version = src;
	c->minor = atoi(src + 4);
	c->lang = xasprintf("go1.%d", c->minor);
	if (c->minor < 21) {
		rt_errf(err, RT_EXIT_ENV, "Go %s is not supported: rt0trace build needs Go 1.21 or later", c->version);
		goto fail;
	}

	c->hostos = xstrdup("linux");
	c->hostarch = xstrdup(host_arch());
	c->tooldir = xasprintf("%s/pkg/tool/%s_%s", c->goroot, c->hostos, c->hostarch);
	{
		static const char *const tools[] = { "compile", "asm", "link" };

		for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
			char *t = xasprintf("%s/%s", c->tooldir, tools[i]);
			int ok = access(t, X_OK);

			free(t);
			if (ok != 0) {
				rt_errf(err, RT_EXIT_ENV, "the Go toolchain at '%s' has no '%s' tool in '%s'", c->goroot,
					tools[i], c->tooldir);
				goto fail;
			}
		}
	}

	c->goos = env_or("GOOS", "linux", &c->tool_env);
	c->goarch = env_or("GOARCH", c->hostarch, &c->tool_env);
	if (strcmp(c->goarch, "amd64") == 0)
		c->goamd64 = env_or("GOAMD64", "v1", &c->tool_env);
	if (strcmp(c->goarch, "arm") == 0)
		c->goarm = env_or("GOARM", "7", &c->tool_env);
	if (strcmp(c->goarch, "arm64") == 0)
		c->goarm64 = env_or("GOARM64", "v8.0", &c->tool_env);
	cgo = getenv("CGO_ENABLED");

	path = xasprintf("%s/src/internal/syslist/syslist.go", c->goroot);
	src = rt_slurp(path);
	if (!src || parse_string_set(src, "KnownOS", &c->known_os) || parse_string_set(src, "UnixOS", &c->unix_os) ||
	    parse_string_set(src, "KnownArch", &c->known_arch)) {
		rt_errf(err, RT_EXIT_ENV, "cannot read the known GOOS/GOARCH lists from '%s'", path);
		free(src);
		free(path);
		goto fail;
	}
	free(src);
	free(path);
	path = xasprintf("%s/src/internal/platform/zosarch.go", c->goroot);
	src = rt_slurp(path);
	if (!src || !supported_pair(src, c->goos, c->goarch)) {
		rt_errf(err, RT_EXIT_BUILD, "unsupported GOOS/GOARCH pair %s/%s (not in '%s')", c->goos, c->goarch, path);
		free(src);
		free(path);
		goto fail;
	}
	/* cmd/go's rule: CGO_ENABLED=0|1 as set; else on for a native build of a pair that supports cgo
	 * when $CC is set or gcc is on PATH (Go >= 1.20), off otherwise (a cross-build) */
	if (cgo && (strcmp(cgo, "0") == 0 || strcmp(cgo, "1") == 0))
		c->cgo = cgo[0] == '1';
	else
		c->cgo = strcmp(c->goos, c->hostos) == 0 && strcmp(c->goarch, c->hostarch) == 0 &&
			 cgo_supported(src, c->goos, c->goarch) && ((getenv("CC") && *getenv("CC")) || has_gcc());
	free(src);
	free(path);
	if (strcmp(c->goos, "linux") != 0) {
		rt_errf(err, RT_EXIT_BUILD, "GOOS=%s: rt0trace build targets linux only", c->goos);
		goto fail;
	}
	if (load_experiments(c, err) != 0 || arch_tags(c, err) != 0)
		goto fail;
	return 0;
fail:
	gb_config_release(c);
	return -1;
}

void gb_config_release(struct gb_config *c)
{
	strv_release(&c->build_tags);
	free(c->goroot);
	free(c->version);
	free(c->lang);
	free(c->tooldir);
	free(c->hostos);
	free(c->hostarch);
	free(c->goos);
	free(c->goarch);
	free(c->goarm);
	free(c->goamd64);
	free(c->goarm64);
	strv_release(&c->tool_env);
	strv_release(&c->known_os);
	strv_release(&c->unix_os);
	strv_release(&c->known_arch);
	strv_release(&c->tool_tags);
	strv_release(&c->experiments);
	memset(c, 0, sizeof(*c));
}

/* ---- build tags ------------------------------------------------------------------------------------ */

int gb_config_set_tags(struct gb_config *c, const char *value, struct rt_err *err)
{
	strv_release(&c->build_tags);
	if (!value)
		return 0;
	if (strchr(value, ' ') || strchr(value, '\'')) {
		if (gb_split_quoted(value, &c->build_tags, err) != 0)
			return rt_err_prefix(err, "-tags");
		return 0;
	}
	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ",");

		if (n)
			strv_pushn(&c->build_tags, p, n);
		p += n + (p[n] == ',');
	}
	return 0;
}

bool gb_match_tag(const struct gb_config *c, const char *tag)
{
	if (strv_has(&c->build_tags, tag))
		return true;
	if (c->cgo && strcmp(tag, "cgo") == 0)
		return true;
	if (strcmp(tag, c->goos) == 0 || strcmp(tag, c->goarch) == 0 || strcmp(tag, "gc") == 0)
		return true;
	if (strcmp(tag, "unix") == 0 && strv_has(&c->unix_os, c->goos))
		return true;
	if (strcmp(tag, "boringcrypto") == 0)
		tag = "goexperiment.boringcrypto";
	if (strv_has(&c->tool_tags, tag))
		return true;
	if (strncmp(tag, "go1.", 4) == 0 && isdigit((unsigned char)tag[4])) {
		char *end;
		long n = strtol(tag + 4, &end, 10);

		return *end == '\0' && n >= 1 && n <= c->minor;
	}
	return false;
}

/* //go:build expression: or := and {"||" and}; and := not {"&&" not}; not := "!" not | "(" or ")" | tag */
struct expr_parser {
	const struct gb_config *c;
	const char *p;
	bool bad;
};

static void ep_space(struct expr_parser *e)
{
	while (*e->p == ' ' || *e->p == '\t')
		e->p++;
}

static bool ep_or(struct expr_parser *e);

static bool ep_not(struct expr_parser *e)
{
	ep_space(e);
	if (*e->p == '!') {
		e->p++;
		return !ep_not(e);
	}
	if (*e->p == '(') {
		bool v;

		e->p++;
		v = ep_or(e);
		ep_space(e);
		if (*e->p != ')')
			e->bad = true;
		else
			e->p++;
		return v;
	}
	{
		const char *s = e->p;
		char *tag;
		bool v;

		while (isalnum((unsigned char)*e->p) || *e->p == '_' || *e->p == '.')
			e->p++;
		if (e->p == s) {
			e->bad = true;
			return false;
		}
		tag = xstrndup(s, (size_t)(e->p - s));
		v = gb_match_tag(e->c, tag);
		free(tag);
		return v;
	}
}

static bool ep_and(struct expr_parser *e)
{
	bool v = ep_not(e);

	for (;;) {
		ep_space(e);
		if (e->p[0] != '&' || e->p[1] != '&')
			return v;
		e->p += 2;
		v = ep_not(e) && v; /* evaluate both sides: syntax errors anywhere count */
	}
}

static bool ep_or(struct expr_parser *e)
{
	bool v = ep_and(e);

	for (;;) {
		ep_space(e);
		if (e->p[0] != '|' || e->p[1] != '|')
			return v;
		e->p += 2;
		v = ep_and(e) || v;
	}
}

int gb_eval_go_build(const struct gb_config *c, const char *expr, bool *ok, struct rt_err *err)
{
	struct expr_parser e = { c, expr, false };

	*ok = ep_or(&e);
	ep_space(&e);
	if (e.bad || *e.p != '\0')
		return rt_errf(err, RT_EXIT_BUILD, "malformed //go:build expression '%s'", expr);
	return 0;
}

static bool plus_term(const struct gb_config *c, const char *t, size_t n)
{
	bool neg = false, all = true;
	const char *end = t + n;

	/* comma-separated AND of [!]tag */
	while (t < end) {
		const char *comma = memchr(t, ',', (size_t)(end - t));
		const char *te = comma ? comma : end;
		char *tag;

		neg = *t == '!';
		tag = xstrndup(t + neg, (size_t)(te - t - neg));
		if (!*tag || gb_match_tag(c, tag) == neg)
			all = false;
		free(tag);
		t = comma ? comma + 1 : end;
	}
	return all;
}

bool gb_eval_plus_build(const struct gb_config *c, const struct strv *lines)
{
	for (size_t i = 0; i < lines->n; i++) {
		const char *p = lines->v[i];
		bool any = false;

		while (*p) {
			const char *s;

			while (*p == ' ' || *p == '\t')
				p++;
			s = p;
			while (*p && *p != ' ' && *p != '\t')
				p++;
			if (p > s && plus_term(c, s, (size_t)(p - s)))
				any = true;
		}
		if (!any)
			return false;
	}
	return true;
}

bool gb_good_os_arch_file(const struct gb_config *c, const char *filename)
{
	char *name = xstrdup(filename), *dot, *parts[3] = { 0 };
	size_t n = 0;
	bool ok = true;

	if ((dot = strchr(name, '.')))
		*dot = '\0';
	/* Before the first dot; "_test" does not count; only the last two _-separated fields matter, and the
	 * first field (the base name) never does: "linux.go" is fine for every OS. */
	{
		size_t len = strlen(name);

		if (len >= 5 && strcmp(name + len - 5, "_test") == 0)
			name[len - 5] = '\0';
	}
	for (char *u = strrchr(name, '_'); u && n < 2; u = strrchr(name, '_')) {
		parts[n++] = u + 1;
		*u = '\0';
	}
	/* parts[0] is the last field, parts[1] the one before it. */
	if (n >= 2 && strv_has(&c->known_os, parts[1]) && strv_has(&c->known_arch, parts[0]))
		ok = gb_match_tag(c, parts[1]) && gb_match_tag(c, parts[0]);
	else if (n >= 1 && strv_has(&c->known_os, parts[0]))
		ok = gb_match_tag(c, parts[0]);
	else if (n >= 1 && strv_has(&c->known_arch, parts[0]))
		ok = gb_match_tag(c, parts[0]);
	free(name);
	return ok;
}
