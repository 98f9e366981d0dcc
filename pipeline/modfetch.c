/*
 * pipeline/modfetch: the module environment, module paths and versions, and the module cache
 * (pipeline/modfetch.h says what is where). The proxy client is pipeline/modproxy.c, the zip checks and
 * extraction pipeline/modzip.c, the hashes pipeline/dirhash.c.
 *
 * Sharing the cache with cmd/go rests on doing what it does, in the same order, under the same lock:
 * <v>.lock is flock(2)ed exclusively (cmd/go's lockedfile on Linux) around every download and extraction,
 * and what it protects is re-checked once the lock is held, since another process may have done the work
 * meanwhile. Files appear by rename only; a crashed rt0trace leaves temporary names that cmd/go (and
 * rt0trace) remove under the lock.
 */
#include "pipeline/modfetch.h"
#include "pipeline/modfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wctype.h>

#include "common/fs.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "pipeline/dirhash.h"
#include "pipeline/modfetch_int.h"

/* ---- the environment ------------------------------------------------------------------------------ */

struct kv {
	struct { char *key, *val; } *p;
	size_t n, cap;
};

static const char *kv_get(const struct kv *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->p[i].key, key) == 0)
			return m->p[i].val;
	return NULL;
}

/* A go env file: KEY=VALUE lines; anything else (comments, blank lines) ignored, as cfg.readEnvFile
 * does. Keys already set (from the user's file, read first) are kept. */
static void read_env_file(struct kv *m, const char *file)
{
	char *text = file ? rt_slurp(file) : NULL, *save = NULL;

	if (!text)
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq || line[0] < 'A' || line[0] > 'Z')
			continue;
		*eq = '\0';
		if (kv_get(m, line))
			continue;
		m->p = xgrow(m->p, &m->cap, m->n + 1, sizeof(*m->p));
		m->p[m->n].key = xstrdup(line);
		m->p[m->n++].val = xstrdup(eq + 1);
	}
	free(text);
}

/* cfg.Getenv: the process environment when set and non-empty, else the env files. */
static const char *go_getenv(const struct kv *m, const char *key)
{
	const char *v = getenv(key);

	if (v && *v)
		return v;
	v = kv_get(m, key);
	return v && *v ? v : NULL;
}

static char *dup_or(const char *v, const char *def)
{
	return xstrdup(v ? v : def);
}

int gb_modenv_load(struct gb_modenv *e, struct rt_err *err)
{
	const char *goenv = getenv("GOENV"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *v, *goroot, *private_;
	struct kv m = { 0 };
	char *file = NULL, *gopath = NULL;
	int rc = 0;

	memset(e, 0, sizeof(*e));
	if (goenv && *goenv)
		file = strcmp(goenv, "off") == 0 ? NULL : xstrdup(goenv);
	else if (xdg && *xdg)
		file = xdg[0] == '/' ? xasprintf("%s/go/env", xdg) : NULL; /* os.UserConfigDir refuses a relative one */
	else if (home && *home)
		file = xasprintf("%s/.config/go/env", home);
	read_env_file(&m, file);
	free(file);
	goroot = go_getenv(&m, "GOROOT");
	file = xasprintf("%s/go.env", goroot ? goroot : "/usr/local/go");
	read_env_file(&m, file);
	free(file);

	/* GOPATH's first entry, else $HOME/go (go/build's default GOPATH). */
	if ((v = go_getenv(&m, "GOPATH")))
		gopath = xstrndup(v, strcspn(v, ":"));
	else if (home && *home)
		gopath = xasprintf("%s/go", home);
	if ((v = go_getenv(&m, "GOMODCACHE")))
		e->modcache = xstrdup(v);
	else if (gopath && *gopath)
		e->modcache = xasprintf("%s/pkg/mod", gopath);
	if (gopath && gopath[0] == '/')
		e->sumdb_dir = xasprintf("%s/pkg/sumdb", gopath);
	free(gopath);
	private_ = go_getenv(&m, "GOPRIVATE");
	e->proxy = dup_or(go_getenv(&m, "GOPROXY"), "https://proxy.golang.org,direct");
	e->noproxy = dup_or(go_getenv(&m, "GONOPROXY"), private_ ? private_ : "");
	e->nosumdb = dup_or(go_getenv(&m, "GONOSUMDB"), private_ ? private_ : "");
	e->insecure = dup_or(go_getenv(&m, "GOINSECURE"), "");
	e->sumdb = dup_or(go_getenv(&m, "GOSUMDB"), "sum.golang.org");
	e->flags = dup_or(go_getenv(&m, "GOFLAGS"), "");
	e->conn = gb_proxy_conn_new();
	for (size_t i = 0; i < m.n; i++) {
		free(m.p[i].key);
		free(m.p[i].val);
	}
	free(m.p);
	if (!e->modcache)
		rc = rt_errf(err, RT_EXIT_ENV, "no module cache: neither GOMODCACHE nor GOPATH nor HOME is set");
	else if (e->modcache[0] != '/')
		rc = rt_errf(err, RT_EXIT_ENV, "GOMODCACHE entry is relative; must be absolute path: '%s'", e->modcache);
	if (rc)
		gb_modenv_release(e);
	return rc;
}

void gb_modenv_release(struct gb_modenv *e)
{
	free(e->modcache);
	free(e->proxy);
	free(e->noproxy);
	free(e->nosumdb);
	free(e->sumdb);
	free(e->sumdb_dir);
	free(e->insecure);
	free(e->flags);
	gb_proxy_conn_release(e->conn);
	memset(e, 0, sizeof(*e));
}

/* -modcacherw among GOFLAGS (space-separated flags, as cmd/go splits them when none is quoted). */
static bool modcache_rw(const struct gb_modenv *e)
{
	const char *p = e->flags;

	while (p && *p) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if ((n == 11 && strncmp(p, "-modcacherw", n) == 0) || (n == 12 && strncmp(p, "--modcacherw", n) == 0) ||
		    (n == 16 && strncmp(p, "-modcacherw=true", n) == 0) || (n == 17 && strncmp(p, "--modcacherw=true", n) == 0))
			return true;
		p += n;
	}
	return false;
}

/* ---- globs (path.Match; module paths are ASCII, so bytes are runes here) ------------------------- */

/* One character class at p ("[...]", p past the '['): whether c is in it; *end past the ']'. False with
 * *bad set for a malformed class. */
static bool match_class(const char *p, const char **end, unsigned char c, bool *bad)
{
	bool neg = false, hit = false;
	int n = 0;

	if (*p == '^') {
		neg = true;
		p++;
	}
	for (;;) {
		unsigned char lo, hi;

		if (*p == ']' && n > 0) {
			*end = p + 1;
			return hit != neg;
		}
		if (!*p || *p == '-' || *p == ']' || (*p == '\\' && !*++p)) {
			*bad = true;
			return false;
		}
		lo = hi = (unsigned char)*p++;
		if (*p == '-') {
			p++;
			if (!*p || *p == '-' || *p == ']' || (*p == '\\' && !*++p)) {
				*bad = true;
				return false;
			}
			hi = (unsigned char)*p++;
		}
		if (!*p) {
			*bad = true;
			return false;
		}
		hit = hit || (lo <= c && c <= hi);
		n++;
	}
}

/* path.Match: '*' any run of non-'/' bytes, '?' one non-'/' byte, classes, '\\' escapes. A malformed
 * pattern matches nothing (go ignores path.Match's error there). */
static bool path_match(const char *pat, const char *s, bool *bad)
{
	while (*pat) {
		switch (*pat) {
		case '*':
			while (*pat == '*')
				pat++;
			for (const char *t = s;; t++) {
				if (path_match(pat, t, bad))
					return true;
				if (*bad || !*t || *t == '/')
					return false;
			}
		case '?':
			if (!*s || *s == '/')
				return false;
			pat++;
			s++;
			break;
		case '[': {
			const char *end;

			if (!*s || !match_class(pat + 1, &end, (unsigned char)*s, bad))
				return false;
			pat = end;
			s++;
			break;
		}
		case '\\':
			if (!*++pat) {
				*bad = true;
				return false;
			}
			/* fall through */
		default:
			if (*pat != *s)
				return false;
			pat++;
			s++;
		}
	}
	return !*s;
}

bool gb_mod_match_patterns(const char *globs, const char *target)
{
	const char *g = globs ? globs : "";

	while (*g) {
		size_t n = strcspn(g, ",");
		char *glob = xstrndup(g, n);
		size_t len = strlen(glob), cut;
		long slashes = 0;
		bool bad = false, hit = false;

		g += n + (g[n] == ',');
		while (len && glob[len - 1] == '/')
			glob[--len] = '\0';
		if (!len) {
			free(glob);
			continue;
		}
		/* Match against the target's first (slashes in glob + 1) elements, if it has that many. */
		for (size_t i = 0; i < len; i++)
			slashes += glob[i] == '/';
		cut = strlen(target);
		for (size_t i = 0; target[i]; i++)
			if (target[i] == '/') {
				if (slashes == 0) {
					cut = i;
					break;
				}
				slashes--;
			}
		if (slashes == 0) {
			char *prefix = xstrndup(target, cut);

			hit = path_match(glob, prefix, &bad) && !bad;
			free(prefix);
		}
		free(glob);
		if (hit)
			return true;
	}
	return false;
}

/* ---- module paths and versions (golang.org/x/mod/module, semver) ---------------------------------- */

size_t gb_utf8_decode(const char *str, size_t n, uint32_t *r)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;
	uint32_t c, min;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*r = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*r = c;
	return len;
}

static locale_t utf8_locale(void)
{
	static locale_t loc;
	static bool tried;

	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

bool gb_rune_is_letter(uint32_t r)
{
	locale_t loc = utf8_locale();

	if (r < 0x80)
		return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
	/* Without the C.UTF-8 tables a non-ASCII letter cannot be told from a symbol: let it through (the
	 * zip's hash, checked against go.sum, is what guards the content). */
	return loc == (locale_t)0 || iswalpha_l((wint_t)r, loc);
}

uint32_t gb_rune_fold(uint32_t r)
{
	locale_t loc = utf8_locale();
	uint32_t m = r;

	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	if (loc != (locale_t)0) {
		uint32_t u = (uint32_t)towupper_l((wint_t)r, loc), l = (uint32_t)towlower_l((wint_t)r, loc);

		m = u < m ? u : m;
		m = l < m ? l : m;
	}
	return m >= 'A' && m <= 'Z' ? m + 32 : m;
}

enum path_kind { K_MODULE, K_FILE };

static bool mod_path_ok(unsigned char c)
{
	return c == '-' || c == '.' || c == '_' || c == '~' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

static bool file_name_ok(uint32_t r)
{
	if (r < 0x80)
		return (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') ||
		       (r && strchr("!#$%&()+,-.=@[]^_{}~ ", (int)r));
	return gb_rune_is_letter(r);
}

/* module.checkElem: why elem (n bytes) is no valid element, or NULL. */
static const char *check_elem(const char *elem, size_t n, enum path_kind kind, char *why, size_t whylen)
{
	static const char *const windows[] = { "CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4",
					       "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3",
					       "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9" };
	size_t dots = 0, short_n;

	if (n == 0)
		return "empty path element";
	for (size_t i = 0; i < n; i++)
		dots += elem[i] == '.';
	if (dots == n) {
		snprintf(why, whylen, "invalid path element \"%.*s\"", (int)n, elem);
		return why;
	}
	if (elem[0] == '.' && kind == K_MODULE)
		return "leading dot in path element";
	if (elem[n - 1] == '.')
		return "trailing dot in path element";
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t l = gb_utf8_decode(elem + i, n - i, &r);

		if (!l)
			return "invalid UTF-8";
		if (kind == K_MODULE ? !(r < 0x80 && mod_path_ok((unsigned char)r)) : !file_name_ok(r)) {
			snprintf(why, whylen, "invalid char '%.*s'", (int)l, elem + i);
			return why;
		}
		i += l;
	}
	short_n = strcspn(elem, ".");
	short_n = short_n < n ? short_n : n;
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		if (strlen(windows[i]) == short_n && strncasecmp(windows[i], elem, short_n) == 0) {
			snprintf(why, whylen, "\"%.*s\" disallowed as path element component on Windows", (int)short_n, elem);
			return why;
		}
	if (kind == K_FILE)
		return NULL;
	/* A trailing ~ and digits is how Windows shortens names. */
	for (size_t t = short_n; t-- > 0;)
		if (elem[t] == '~') {
			size_t d = t + 1;

			while (d < short_n && elem[d] >= '0' && elem[d] <= '9')
				d++;
			if (d == short_n && t + 1 < short_n)
				return "trailing tilde and digits in path element";
			break;
		}
	return NULL;
}

/* module.checkPath. */
static const char *check_path(const char *path, enum path_kind kind, char *why, size_t whylen)
{
	size_t n = strlen(path), start = 0;

	if (n == 0)
		return "empty string";
	if (path[0] == '-' && kind != K_FILE)
		return "leading dash";
	if (strstr(path, "//"))
		return "double slash";
	if (path[n - 1] == '/')
		return "trailing slash";
	for (size_t i = 0; i <= n; i++)
		if (i == n || path[i] == '/') {
			const char *w = check_elem(path + start, i - start, kind, why, whylen);

			if (w)
				return w;
			start = i + 1;
		}
	return NULL;
}

bool gb_mod_split_path_version(const char *path, const char **major)
{
	size_t n = strlen(path), i = n;
	bool dot = false;

	*major = path + n;
	if (strncmp(path, "gopkg.in/", 9) == 0) {
		if (n >= 9 && strcmp(path + n - 9, "-unstable") == 0)
			i -= 9;
		while (i > 0 && path[i - 1] >= '0' && path[i - 1] <= '9')
			i--;
		if (i <= 1 || path[i - 1] != 'v' || path[i - 2] != '.')
			return false;
		*major = path + i - 2;
		return !(n - (i - 2) <= 2 || (path[i] == '0' && strcmp(*major, ".v0") != 0));
	}
	while (i > 0 && ((path[i - 1] >= '0' && path[i - 1] <= '9') || path[i - 1] == '.')) {
		dot = dot || path[i - 1] == '.';
		i--;
	}
	if (i <= 1 || i == n || path[i - 1] != 'v' || path[i - 2] != '/')
		return true;
	*major = path + i - 2;
	return !(dot || n - (i - 2) <= 2 || path[i] == '0' || strcmp(*major, "/v1") == 0);
}

/* module.CheckPath. */
static const char *check_module_path(const char *path, char *why, size_t whylen)
{
	const char *w = check_path(path, K_MODULE, why, whylen), *major;
	size_t first;

	if (w)
		return w;
	first = strcspn(path, "/");
	if (first == 0)
		return "leading slash";
	if (!memchr(path, '.', first))
		return "missing dot in first path element";
	if (path[0] == '-')
		return "leading dash in first path element";
	for (size_t i = 0; i < first; i++) {
		char c = path[i];

		if (!(c == '-' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
			snprintf(why, whylen, "invalid char '%c' in first path element", c);
			return why;
		}
	}
	if (!gb_mod_split_path_version(path, &major))
		return "invalid version";
	return NULL;
}

int gb_mod_check_file_path(const char *path, struct rt_err *err)
{
	char why[160];
	const char *w = check_path(path, K_FILE, why, sizeof(why));

	return w ? rt_errf(err, RT_EXIT_BUILD, "malformed file path \"%s\": %s", path, w) : 0;
}

static char *escape_string(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = s; *p; p++) {
		if (*p == '!' || (unsigned char)*p >= 0x80) {
			strbuf_release(&sb);
			return NULL;
		}
		if (*p >= 'A' && *p <= 'Z')
			strbuf_addf(&sb, "!%c", *p + 32);
		else
			strbuf_add(&sb, p, 1);
	}
	return strbuf_detach(&sb, NULL);
}

char *gb_mod_escape_path(const char *path)
{
	char why[160];

	return check_module_path(path, why, sizeof(why)) ? NULL : escape_string(path);
}

char *gb_mod_escape_version(const char *version)
{
	char why[160];

	if (check_elem(version, strlen(version), K_FILE, why, sizeof(why)) || strchr(version, '!'))
		return NULL;
	return escape_string(version);
}

/* the length of a path suffix as module.CheckPathMajor reads it: gopkg.in's "-unstable" left out */
static size_t path_major_len(const char *pm)
{
	size_t npm = strlen(pm);

	return npm > 9 && pm[0] == '.' && strcmp(pm + npm - 9, "-unstable") == 0 ? npm - 9 : npm;
}

bool gb_mod_match_path_major(const char *version, const char *pm)
{
	struct gb_semver s;
	size_t npm = path_major_len(pm);

	if (!gb_semver_parse(version, &s))
		return false;
	if (npm == 3 && strncmp(pm, ".v1", 3) == 0 && strncmp(version, "v0.0.0-", 7) == 0)
		return true;
	if (npm == 0)
		return (s.lmajor == 1 && (s.major[0] == '0' || s.major[0] == '1')) || s.build;
	return npm == s.lmajor + 2 && pm[1] == 'v' && strncmp(pm + 2, s.major, s.lmajor) == 0;
}

int gb_mod_check(const char *path, const char *version, struct rt_err *err)
{
	char why[160], major[24];
	const char *w = check_module_path(path, why, sizeof(why)), *pm;
	struct gb_semver s;

	if (w)
		return rt_errf(err, RT_EXIT_BUILD, "malformed module path \"%s\": %s", path, w);
	if (!gb_semver_parse(version, &s))
		return rt_errf(err, RT_EXIT_BUILD, "%s@%s: invalid version: not a semantic version", path, version);
	if (!gb_semver_canonical(version))
		return rt_errf(err, RT_EXIT_BUILD, "%s@%s: invalid version: not a canonical version (v1.2.3[-pre])", path,
			       version);
	/* module.CheckPathMajor. */
	gb_mod_split_path_version(path, &pm);
	if (gb_mod_match_path_major(version, pm))
		return 0;
	snprintf(major, sizeof(major), "v%.*s", (int)s.lmajor, s.major);
	if (!*pm)
		return rt_errf(err, RT_EXIT_BUILD, "%s@%s: invalid version: should be v0 or v1, not %s", path, version, major);
	return rt_errf(err, RT_EXIT_BUILD, "%s@%s: invalid version: should be %.*s, not %s", path, version,
		       (int)path_major_len(pm) - 1, pm + 1, major);
}

/* ---- cache paths ---------------------------------------------------------------------------------- */

char *gb_mod_cache_file(const struct gb_modenv *e, const char *path, const char *version, const char *suffix)
{
	char *ep, *ev, *f;

	if (gb_mod_check(path, version, NULL) != 0)
		return NULL;
	ep = gb_mod_escape_path(path);
	ev = gb_mod_escape_version(version);
	f = ep && ev ? xasprintf("%s/cache/download/%s/@v/%s.%s", e->modcache, ep, ev, suffix) : NULL;
	free(ep);
	free(ev);
	return f;
}

char *gb_mod_cache_dir(const struct gb_modenv *e, const char *path, const char *version)
{
	char *ep, *ev, *d;

	if (gb_mod_check(path, version, NULL) != 0)
		return NULL;
	ep = gb_mod_escape_path(path);
	ev = gb_mod_escape_version(version);
	d = ep && ev ? xasprintf("%s/%s@%s", e->modcache, ep, ev) : NULL;
	free(ep);
	free(ev);
	return d;
}

/* ---- file helpers --------------------------------------------------------------------------------- */

static char *dir_of(const char *file)
{
	const char *s = strrchr(file, '/');

	return xstrndup(file, s ? (size_t)(s - file) : 0);
}

static unsigned rand9(void)
{
	unsigned v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
	return v % 1000000000u;
}

int gb_mkdir_all(const char *dir, struct rt_err *err)
{
	if (rt_mkdir_p(dir) != 0)
		return rt_errf(err, RT_EXIT_ENV, "cannot create '%s' in the module cache: %s", dir, strerror(errno));
	return 0;
}

/* cmd/go's tempFile: <dir>/<base><random>.tmp, created exclusively, mode 0666 before the umask. */
static int temp_file(const char *file, char **name, struct rt_err *err)
{
	char *dir = dir_of(file);

	for (int i = 0; i < 10000; i++) {
		char *n = xasprintf("%s/%s%u.tmp", dir, rt_path_base(file), rand9());
		int fd = open(n, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);

		if (fd >= 0) {
			free(dir);
			*name = n;
			return fd;
		}
		free(n);
		if (errno != EEXIST)
			break;
	}
	rt_errf(err, RT_EXIT_ENV, "cannot create a temporary file in '%s': %s", dir, strerror(errno));
	free(dir);
	return -1;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A temporary file renamed over `file` once written and closed: a reader sees the old file or the new
 * one, never part of it. */
int gb_write_atomic(const char *file, const void *data, size_t len, struct rt_err *err)
{
	char *tmp;
	int fd = temp_file(file, &tmp, err), e = 0;

	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) != 0)
		e = errno ? errno : EIO;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, file) != 0)
		e = errno;
	if (e)
		unlink(tmp);
	free(tmp);
	return e ? rt_errf(err, RT_EXIT_ENV, "cannot write '%s': %s", file, strerror(e)) : 0;
}

/* Removes a tree the cache made read-only: directories are made writable on the way down. */
static int remove_all(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	chmod(path, 0777);
	if (!(d = opendir(path)))
		return -1;
	while ((de = readdir(d))) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (remove_all(sub) != 0)
			rc = -1;
		free(sub);
	}
	closedir(d);
	return rmdir(path) != 0 ? -1 : rc;
}

/* Removes the entries of dir whose names start with `prefix` and end with `suffix`: what earlier,
 * interrupted writers left (only safe under the version's lock, as in cmd/go). */
static void remove_leftovers(const char *dir, const char *prefix, const char *suffix)
{
	size_t np = strlen(prefix), ns = strlen(suffix);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n >= np + ns && strncmp(de->d_name, prefix, np) == 0 && strcmp(de->d_name + n - ns, suffix) == 0) {
			char *p = xasprintf("%s/%s", dir, de->d_name);

			remove_all(p);
			free(p);
		}
	}
	closedir(d);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The version's lock: <v>.lock flock(2)ed exclusively, as cmd/go's lockedfile.MutexAt(...).Lock(). The
 * returned descriptor is the lock; closing it unlocks. */
static int lock_version(const struct gb_modenv *e, const char *path, const char *version, struct rt_err *err)
{
	char *file = gb_mod_cache_file(e, path, version, "lock"), *dir = dir_of(file);
	int fd = -1;

	if (gb_mkdir_all(dir, err) == 0) {
		fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0)
			rt_errf(err, RT_EXIT_ENV, "cannot open lock file '%s': %s", file, strerror(errno));
		while (fd >= 0 && flock(fd, LOCK_EX) != 0) {
			if (errno == EINTR)
				continue;
			rt_errf(err, RT_EXIT_ENV, "cannot lock '%s': %s", file, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	free(dir);
	free(file);
	return fd;
}

/* Reads a file as lockedfile.Read does: under a shared flock, so a writer that locks it (cmd/go's
 * .ziphash and list writers) is never seen half-way. NULL with errno set when it cannot be read. */
char *gb_read_locked(const char *file, size_t *len)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		return NULL;
	while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
		;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			strbuf_release(&sb);
			errno = e;
			return NULL;
		}
		strbuf_add(&sb, buf, (size_t)n);
	}
	close(fd);
	return strbuf_detach(&sb, len);
}

/* cmd/go's rewriteVersionList: @v/list holds the canonical versions that have a .mod, sorted; rewritten
 * in place under its own flock (truncated, sized, then written, so a torn write shows NUL bytes). */
static void rewrite_version_list(const char *atv)
{
	char *listfile = xasprintf("%s/list", atv), **v = NULL;
	size_t n = 0, cap = 0;
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd = open(listfile, O_RDWR | O_CREAT | O_CLOEXEC, 0666);

	free(listfile);
	if (fd < 0)
		return;
	while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
		;
	if ((d = opendir(atv))) {
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);

			if (l > 4 && strcmp(de->d_name + l - 4, ".mod") == 0) {
				char *ver = xstrndup(de->d_name, l - 4);

				if (gb_semver_canonical(ver)) {
					v = xgrow(v, &cap, n + 1, sizeof(*v));
					v[n++] = ver;
				} else {
					free(ver);
				}
			}
		}
		closedir(d);
	}
	/* insertion sort: a module has few cached versions */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (gb_semver_compare(v[j - 1], v[j]) > 0 ||
					     (gb_semver_compare(v[j - 1], v[j]) == 0 && strcmp(v[j - 1], v[j]) > 0)); j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&sb, "%s\n", v[i]);
		free(v[i]);
	}
	free(v);
	if (fstat(fd, &st) == 0 && (size_t)st.st_size == sb.len) {
		char *old = xmalloc(sb.len + 1);
		bool same = pread(fd, old, sb.len + 1, 0) == (ssize_t)sb.len && memcmp(old, sb.buf ? sb.buf : "", sb.len) == 0;

		free(old);
		if (same) {
			close(fd);
			strbuf_release(&sb);
			return;
		}
	}
	/* Best effort, as in cmd/go: a list that could not be written is rewritten with the next .mod. */
	if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)sb.len) != 0 || pwrite(fd, sb.buf ? sb.buf : "", sb.len, 0) != (ssize_t)sb.len)
		(void)!ftruncate(fd, 0);
	close(fd);
	strbuf_release(&sb);
}

/* ---- .info ------------------------------------------------------------------------------------------ */

/* A JSON string as Go's encoding/json writes it (HTML-safe escapes, \u2028 and \u2029 escaped). */
static void go_json_string(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, "\"", 1);
	for (size_t i = 0; s[i];) {
		unsigned char c = (unsigned char)s[i];
		uint32_t r;
		size_t l;

		if (c == '"' || c == '\\') {
			strbuf_addf(sb, "\\%c", c);
			i++;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			strbuf_adds(sb, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t");
			i++;
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			strbuf_addf(sb, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			strbuf_add(sb, s + i, 1);
			i++;
		} else if (!(l = gb_utf8_decode(s + i, strlen(s + i), &r))) {
			strbuf_adds(sb, "\\ufffd");
			i++;
		} else {
			if (r == 0x2028 || r == 0x2029)
				strbuf_addf(sb, "\\u%04x", r);
			else
				strbuf_add(sb, s + i, l);
			i += l;
		}
	}
	strbuf_add(sb, "\"", 1);
}

/* An RFC 3339 time as Go's time.Time marshals it after parsing: fractional seconds without trailing
 * zeros, a zero offset written "Z". NULL when t is no RFC 3339 time. */
static char *go_time(const char *t)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 19, frac;

	if (strlen(t) < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':')
		return NULL;
	for (size_t k = 0; k < 19; k++)
		if (k != 4 && k != 7 && k != 10 && k != 13 && k != 16 && (t[k] < '0' || t[k] > '9'))
			return NULL;
	strbuf_add(&sb, t, 10);
	strbuf_add(&sb, "T", 1);
	strbuf_add(&sb, t + 11, 8);
	if (t[i] == '.') {
		frac = strspn(t + i + 1, "0123456789");
		if (!frac) {
			strbuf_release(&sb);
			return NULL;
		}
		while (frac && t[i + frac] == '0')
			frac--;
		if (frac)
			strbuf_add(&sb, t + i, frac + 1);
		i += 1 + strspn(t + i + 1, "0123456789");
	}
	if ((t[i] == 'Z' || t[i] == 'z') && !t[i + 1]) {
		strbuf_add(&sb, "Z", 1);
	} else if ((t[i] == '+' || t[i] == '-') && strlen(t + i) == 6 && t[i + 3] == ':') {
		strbuf_adds(&sb, strcmp(t + i + 1, "00:00") == 0 ? "Z" : t + i);
	} else {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/* The .info cmd/go writes for what a proxy answered: {"Version","Time","Origin"} compact, Origin's
 * empty members left out and, as writeDiskStat, TagPrefix, TagSum and RepoSum dropped (and Ref for a
 * pseudo-version, which we never fetch by ref). NULL with *why when the answer is no such info. */
static char *info_json(const char *data, size_t len, const char *version, const char **why)
{
	static const char *const origin_keys[] = { "VCS", "URL", "Subdir", "Hash", "Ref" };
	json_error_t jerr;
	json_t *j = json_loadb(data, len, 0, &jerr), *o;
	const char *v, *t;
	struct strbuf sb = STRBUF_INIT;
	char *tm;

	*why = NULL;
	if (!j || !json_is_object(j)) {
		*why = "invalid JSON";
	} else if (!(v = json_string_value(json_object_get(j, "Version")))) {
		*why = "no Version";
	} else if (strcmp(v, version) != 0) {
		*why = "the proxy returned info for another version";
	} else {
		t = json_string_value(json_object_get(j, "Time"));
		tm = t ? go_time(t) : xstrdup("0001-01-01T00:00:00Z");
		if (!tm) {
			*why = "Time is no RFC 3339 time";
		} else {
			strbuf_adds(&sb, "{\"Version\":");
			go_json_string(&sb, v);
			strbuf_adds(&sb, ",\"Time\":");
			go_json_string(&sb, tm);
			free(tm);
			o = json_object_get(j, "Origin");
			if (json_is_object(o)) {
				bool first = true;

				strbuf_adds(&sb, ",\"Origin\":{");
				for (size_t i = 0; i < sizeof(origin_keys) / sizeof(origin_keys[0]); i++) {
					const char *s = json_string_value(json_object_get(o, origin_keys[i]));

					if (!s || !*s)
						continue;
					strbuf_addf(&sb, "%s\"%s\":", first ? "" : ",", origin_keys[i]);
					go_json_string(&sb, s);
					first = false;
				}
				strbuf_adds(&sb, "}");
			}
			strbuf_adds(&sb, "}");
		}
	}
	json_decref(j);
	if (*why) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static int fetch_body(const struct gb_modenv *e, const char *path, const char *version, const char *ext,
		      struct strbuf *body, char **from, struct rt_err *err)
{
	char *ev = gb_mod_escape_version(version), *file = xasprintf("@v/%s.%s", ev, ext);
	struct gb_sink sink = { -1, body, GB_MAX_GOMOD };
	int rc = gb_proxy_get(e, path, version, file, &sink, from, err);

	free(file);
	free(ev);
	return rc;
}

static int check_mod(const char *path, const char *version, struct rt_err *err)
{
	if (gb_mod_check(path, version, err) != 0)
		return -1;
	return 0;
}

int gb_mod_fetch_info(const struct gb_modenv *e, const char *path, const char *version, char **file,
		      struct rt_err *err)
{
	struct strbuf body = STRBUF_INIT;
	char *f, *dir, *js, *from = NULL, *old;
	const char *why;
	size_t len;
	int rc = 0;

	*file = NULL;
	if (check_mod(path, version, err) != 0)
		return -1;
	f = gb_mod_cache_file(e, path, version, "info");
	/* readDiskStat: a cached .info that parses is used as it is. */
	if ((old = rt_slurp(f))) {
		js = info_json(old, strlen(old), version, &why);
		free(old);
		if (js) {
			free(js);
			*file = f;
			return 0;
		}
	}
	if (fetch_body(e, path, version, "info", &body, &from, err) != 0) {
		free(f);
		return -1;
	}
	len = body.len;
	js = info_json(body.buf ? body.buf : "", len, version, &why);
	if (!js) {
		rc = rt_errf(err, RT_EXIT_BUILD, "%s@%s: invalid response from proxy '%s': %s", path, version, from, why);
	} else {
		dir = dir_of(f);
		rc = gb_mkdir_all(dir, err) == 0 ? gb_write_atomic(f, js, strlen(js), err) : -1;
		free(dir);
	}
	free(js);
	free(from);
	strbuf_release(&body);
	if (rc == 0)
		*file = f;
	else
		free(f);
	return rc;
}

/* Where want_h1 hashes come from, for messages. */
static const char *sum_src(const struct gb_modenv *e)
{
	return e->sum_source ? e->sum_source : "go.sum";
}

/* ---- .mod ------------------------------------------------------------------------------------------- */

static int gomod_sum_check(const char *path, const char *version, const char *data, size_t len, const char *want,
			   const char *src, const char *where, struct rt_err *err)
{
	char *h = gb_h1_gomod(data, len);
	int rc = 0;

	if (want && strcmp(h, want) != 0)
		rc = rt_errf(err, RT_EXIT_BUILD,
			     "verifying %s@%s/go.mod: checksum mismatch: %s has %s, %s has %s (SECURITY ERROR: "
			     "the go.mod is not the one %s recorded)",
			     path, version, where, h, src, want, src);
	free(h);
	return rc;
}

/* The cached .mod, or -1 (err unset) when it is absent or one of vgo's old generated ones. */
static int read_cached_gomod(const char *f, const char *path, const char *version, const char *want, const char *src,
			     struct rt_err *err, bool *found)
{
	char *data;
	size_t len;
	int rc;

	*found = false;
	if (rt_read_file(f, &data, &len) != 0)
		return 0;
	if (len >= 10 && memcmp(data, "//vgo 0.0.", 10) == 0) {
		free(data);
		return 0;
	}
	*found = true;
	rc = gomod_sum_check(path, version, data, len, want, src, f, err);
	free(data);
	return rc;
}

int gb_mod_fetch_gomod(const struct gb_modenv *e, const char *path, const char *version, const char *want_h1,
		       char **file, struct rt_err *err)
{
	struct strbuf body = STRBUF_INIT;
	char *f, *dir, *from = NULL;
	bool found = false;
	int rc;

	*file = NULL;
	if (check_mod(path, version, err) != 0)
		return -1;
	f = gb_mod_cache_file(e, path, version, "mod");
	rc = read_cached_gomod(f, path, version, want_h1, sum_src(e), err, &found);
	/* as cmd/go's GoMod: no version lock (it would leave a <v>.lock go does not make): the file is
	 * written whole under a temporary name and renamed, so two writers at once leave one good copy */
	if (rc == 0 && !found) {
		dir = dir_of(f);
		rc = fetch_body(e, path, version, "mod", &body, &from, err);
		if (rc == 0)
			rc = gomod_sum_check(path, version, body.buf ? body.buf : "", body.len, want_h1, sum_src(e), from, err);
		if (rc == 0)
			rc = gb_mkdir_all(dir, err) == 0 ? gb_write_atomic(f, body.buf ? body.buf : "", body.len, err) : -1;
		if (rc == 0)
			rewrite_version_list(dir);
		free(dir);
	}
	if (rc == 0)
		*file = f;
	else
		free(f);
	free(from);
	strbuf_release(&body);
	return rc;
}

/* ---- .zip and .ziphash ----------------------------------------------------------------------------- */

static char *read_sum(const char *ziphash)
{
	size_t len;
	char *data = gb_read_locked(ziphash, &len), *s, *e;

	if (!data)
		return NULL;
	s = data + strspn(data, " \t\r\n");
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		e--;
	if (!gb_h1_valid(s, (size_t)(e - s)) || strlen(data) != len) {
		free(data);
		return NULL;
	}
	s = xstrndup(s, (size_t)(e - s));
	free(data);
	return s;
}

char *gb_mod_cached_sum(const struct gb_modenv *e, const char *path, const char *version)
{
	char *f = gb_mod_cache_file(e, path, version, "ziphash"), *s = f ? read_sum(f) : NULL;

	free(f);
	return s;
}

static int sum_mismatch(const char *path, const char *version, const char *where, const char *got, const char *want,
			const char *src, struct rt_err *err)
{
	return rt_errf(err, RT_EXIT_BUILD,
		       "verifying %s@%s: checksum mismatch: %s has %s, %s has %s (SECURITY ERROR: the module is not "
		       "the one %s recorded)",
		       path, version, where, got, src, want, src);
}

/* hashZip: h1 of the zip, checked against want, written to the .ziphash. */
static int hash_zip(const char *path, const char *version, const char *zipfile, const char *where, const char *ziphash,
		    const char *src, const char *want, struct rt_err *err)
{
	char *h1;
	int rc;

	if (gb_h1_zip(zipfile, &h1, err) != 0) {
		if (err)
			err->exit = RT_EXIT_BUILD;
		return rt_err_prefix(err, "%s@%s", path, version);
	}
	if (want && strcmp(h1, want) != 0)
		rc = sum_mismatch(path, version, where, h1, want, src, err);
	else
		rc = gb_write_atomic(ziphash, h1, strlen(h1), err);
	free(h1);
	return rc;
}

/* Both files are there: the .ziphash is compared with want (checkMod); a damaged one is recomputed. */
static int check_cached_zip(const char *path, const char *version, const char *zipfile, const char *ziphash,
			    const char *src, const char *want, struct rt_err *err)
{
	char *sum = read_sum(ziphash);
	int rc = 0;

	if (!sum)
		return hash_zip(path, version, zipfile, zipfile, ziphash, src, want, err);
	if (want && strcmp(sum, want) != 0)
		rc = sum_mismatch(path, version, ziphash, sum, want, src, err);
	free(sum);
	return rc;
}

static int download_zip(const struct gb_modenv *e, const char *path, const char *version, const char *zipfile,
			const char *ziphash, const char *want, struct rt_err *err)
{
	char *tmp = NULL, *from = NULL, *ev = gb_mod_escape_version(version), *req = xasprintf("@v/%s.zip", ev);
	int fd = temp_file(zipfile, &tmp, err), rc = -1;
	struct gb_sink sink = { fd, NULL, GB_MAX_ZIP_FILE };

	free(ev);
	if (fd < 0) {
		free(req);
		return -1;
	}
	if (gb_proxy_get(e, path, version, req, &sink, &from, err) != 0) {
		close(fd);
	} else if (close(fd) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot write '%s': %s", tmp, strerror(errno));
	} else if (gb_modzip_unzip(tmp, path, version, NULL, err) != 0) {
		rt_err_prefix(err, "%s@%s: invalid module zip from '%s'", path, version, from);
	} else if (hash_zip(path, version, tmp, from, ziphash, sum_src(e), want, err) == 0) {
		/* the .ziphash first, then the zip, as cmd/go: a zip never stands without its hash */
		if (rename(tmp, zipfile) == 0) {
			rc = 0;
		} else {
			rt_errf(err, RT_EXIT_ENV, "cannot rename '%s' to '%s': %s", tmp, zipfile, strerror(errno));
			unlink(ziphash);
		}
	}
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	free(from);
	free(req);
	return rc;
}

int gb_mod_fetch_zip(const struct gb_modenv *e, const char *path, const char *version, const char *want_h1,
		     char **zipfile, struct rt_err *err)
{
	char *zip, *ziphash, *dir;
	int lock, rc;

	*zipfile = NULL;
	if (check_mod(path, version, err) != 0)
		return -1;
	zip = gb_mod_cache_file(e, path, version, "zip");
	ziphash = gb_mod_cache_file(e, path, version, "ziphash");
	if (exists(zip) && exists(ziphash)) {
		rc = check_cached_zip(path, version, zip, ziphash, sum_src(e), want_h1, err);
		goto out;
	}
	if ((lock = lock_version(e, path, version, err)) < 0) {
		rc = -1;
		goto out;
	}
	dir = dir_of(zip);
	if (exists(zip) && exists(ziphash)) {
		rc = check_cached_zip(path, version, zip, ziphash, sum_src(e), want_h1, err);
	} else {
		/* Temporary zips of interrupted downloads: "<v>.zip<N>.tmp" (cmd/go's name, and ours). */
		remove_leftovers(dir, rt_path_base(zip), ".tmp");
		if (exists(zip)) /* the .ziphash was lost: hash the zip again, without downloading */
			rc = hash_zip(path, version, zip, zip, ziphash, sum_src(e), want_h1, err);
		else
			rc = download_zip(e, path, version, zip, ziphash, want_h1, err);
	}
	free(dir);
	close(lock);
out:
	free(ziphash);
	if (rc == 0)
		*zipfile = zip;
	else
		free(zip);
	return rc;
}

/* ---- the extracted directory ------------------------------------------------------------------------ */

/* DownloadDir: 0 when dir is complete (a directory, no .partial, a .ziphash); 1 when it must be
 * (re-)extracted. */
static int dir_state(const struct gb_modenv *e, const char *path, const char *version, const char *dir)
{
	char *partial = gb_mod_cache_file(e, path, version, "partial"), *ziphash = gb_mod_cache_file(e, path, version, "ziphash");
	bool complete = rt_is_dir(dir) && !exists(partial) && exists(ziphash);

	free(partial);
	free(ziphash);
	return complete ? 0 : 1;
}

/* makeDirsReadOnly: every directory of the tree loses its write bits, children first. */
static void make_read_only(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		make_read_only(sub);
		free(sub);
	}
	closedir(d);
	chmod(path, st.st_mode & 07555);
}

static int unzip_locked(const struct gb_modenv *e, const char *path, const char *version, const char *zip,
			const char *dir, struct rt_err *err)
{
	char *partial = gb_mod_cache_file(e, path, version, "partial"), *parent = dir_of(dir), *tmp = NULL;
	char *tprefix = xasprintf("%s.tmp-", rt_path_base(dir));
	int rc = -1;

	/* Temporary trees of interrupted extractions (cmd/go before 1.16 used the same names), and a
	 * half-extracted directory: safe to remove now that we hold the lock. */
	remove_leftovers(parent, tprefix, "");
	if (exists(dir) && remove_all(dir) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot remove the half-extracted '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (gb_mkdir_all(parent, err) != 0)
		goto out;
	{
		int fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

		if (fd < 0) {
			rt_errf(err, RT_EXIT_ENV, "cannot create '%s': %s", partial, strerror(errno));
			goto out;
		}
		close(fd);
	}
	for (int i = 0; i < 10000 && !tmp; i++) {
		char *t = xasprintf("%s/%s%u", parent, tprefix, rand9());

		if (mkdir(t, 0777) == 0)
			tmp = t;
		else
			free(t);
		if (!tmp && errno != EEXIST)
			break;
	}
	if (!tmp) {
		rt_errf(err, RT_EXIT_ENV, "cannot create a directory in '%s': %s", parent, strerror(errno));
		unlink(partial);
		goto out;
	}
	if (gb_modzip_unzip(zip, path, version, tmp, err) != 0) {
		remove_all(tmp);
		unlink(partial);
		goto out;
	}
	if (!modcache_rw(e))
		make_read_only(tmp);
	if (rename(tmp, dir) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
		remove_all(tmp);
		unlink(partial);
		goto out;
	}
	if (unlink(partial) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot remove '%s': %s", partial, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(tprefix);
	free(parent);
	free(partial);
	return rc;
}

int gb_mod_fetch_dir(const struct gb_modenv *e, const char *path, const char *version, const char *want_h1,
		     char **dirp, struct rt_err *err)
{
	char *dir, *zip = NULL, *info = NULL, *zh = NULL;
	int lock, rc = -1;

	*dirp = NULL;
	if (check_mod(path, version, err) != 0)
		return -1;
	dir = gb_mod_cache_dir(e, path, version);
	if (dir_state(e, path, version, dir) == 0) {
		/* As cmd/go after Download: the extracted tree is trusted, its recorded hash is checked. */
		char *ziphash = gb_mod_cache_file(e, path, version, "ziphash"), *sum = read_sum(ziphash);

		if (!sum)
			rc = rt_errf(err, RT_EXIT_BUILD, "%s@%s: damaged hash file '%s'", path, version, ziphash);
		else if (want_h1 && strcmp(sum, want_h1) != 0)
			rc = sum_mismatch(path, version, ziphash, sum, want_h1, sum_src(e), err);
		else
			rc = 0;
		free(sum);
		free(ziphash);
		goto out;
	}
	/* The .info too when the proxy is asked for the zip anyway (as go mod download leaves it); a cached zip
	 * is extracted without the proxy. */
	zip = gb_mod_cache_file(e, path, version, "zip");
	zh = gb_mod_cache_file(e, path, version, "ziphash");
	if ((!exists(zip) || !exists(zh)) && gb_mod_fetch_info(e, path, version, &info, err) != 0)
		goto out;
	free(zip);
	zip = NULL;
	if (gb_mod_fetch_zip(e, path, version, want_h1, &zip, err) != 0)
		goto out;
	if ((lock = lock_version(e, path, version, err)) < 0)
		goto out;
	rc = dir_state(e, path, version, dir) == 0 ? 0 : unzip_locked(e, path, version, zip, dir, err);
	close(lock);
out:
	free(zh);
	free(info);
	free(zip);
	if (rc == 0)
		*dirp = dir;
	else
		free(dir);
	return rc;
}

/* ---- verify ----------------------------------------------------------------------------------------- */

int gb_mod_verify(const struct gb_modenv *e, const char *path, const char *version, struct rt_err *err)
{
	char *zip, *ziphash, *dir, *sum = NULL, *h = NULL, *prefix;
	bool have_zip, have_dir;
	int rc = -1;

	if (check_mod(path, version, err) != 0)
		return -1;
	zip = gb_mod_cache_file(e, path, version, "zip");
	ziphash = gb_mod_cache_file(e, path, version, "ziphash");
	dir = gb_mod_cache_dir(e, path, version);
	prefix = xasprintf("%s@%s", path, version);
	have_zip = exists(zip);
	have_dir = dir_state(e, path, version, dir) == 0;
	if (!have_zip && !have_dir && !exists(ziphash)) {
		rt_errf(err, RT_EXIT_INPUT, "%s %s: not in the module cache '%s'", path, version, e->modcache);
		goto out;
	}
	if (!(sum = read_sum(ziphash))) {
		rt_errf(err, RT_EXIT_BUILD, "%s %s: missing or damaged ziphash '%s'", path, version, ziphash);
		goto out;
	}
	if (have_zip) {
		if (gb_h1_zip(zip, &h, err) != 0) {
			err->exit = RT_EXIT_BUILD; /* a zip that no longer reads was modified too */
			goto out;
		}
		if (strcmp(h, sum) != 0) {
			rt_errf(err, RT_EXIT_BUILD, "%s %s: zip has been modified (%s): it hashes to %s, the cache recorded %s",
				path, version, zip, h, sum);
			goto out;
		}
		free(h);
		h = NULL;
	}
	if (have_dir) {
		if (gb_h1_dir(dir, prefix, &h, err) != 0) {
			err->exit = RT_EXIT_BUILD;
			goto out;
		}
		if (strcmp(h, sum) != 0) {
			rt_errf(err, RT_EXIT_BUILD, "%s %s: dir has been modified (%s): it hashes to %s, the cache recorded %s",
				path, version, dir, h, sum);
			goto out;
		}
	}
	rc = 0;
out:
	free(h);
	free(sum);
	free(prefix);
	free(dir);
	free(ziphash);
	free(zip);
	return rc;
}

/* ---- version queries ------------------------------------------------------------------------------- */

int gb_mod_query(const struct gb_modenv *e, const char *path, const char *query, char **version, struct rt_err *err)
{
	struct strbuf body = STRBUF_INIT;
	struct gb_sink sink = { -1, &body, GB_MAX_GOMOD };
	char *from = NULL, *best = NULL, *save = NULL;
	int rc = -1;

	*version = NULL;
	if (strcmp(query, "latest") != 0) {
		char *f;

		if (gb_mod_fetch_info(e, path, query, &f, err) != 0)
			return -1;
		free(f);
		*version = xstrdup(query);
		return 0;
	}
	/* cmd/go's "latest" without a main module: the highest release the proxy lists, else its highest
	 * pre-release, else what @latest answers (a pseudo-version, for a module with no tags) */
	if (gb_proxy_get(e, path, "latest", "@v/list", &sink, &from, err) != 0)
		goto out;
	for (int pass = 0; pass < 2 && !best; pass++) {
		char *copy = xstrdup(body.buf ? body.buf : "");

		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			struct gb_semver sv;

			l[strcspn(l, " \t\r")] = '\0';
			if (!gb_semver_canonical(l) || !gb_semver_parse(l, &sv) || (pass == 0 && sv.lpre))
				continue;
			if (!best || gb_semver_compare(l, best) > 0) {
				free(best);
				best = xstrdup(l);
			}
		}
		free(copy);
	}
	if (!best) {
		json_t *j;
		json_error_t je;
		const char *v;

		free(from);
		from = NULL;
		body.len = 0;
		if (gb_proxy_get(e, path, "latest", "@latest", &sink, &from, err) != 0)
			goto out;
		j = json_loadb(body.buf ? body.buf : "", body.len, 0, &je);
		v = json_string_value(json_object_get(j, "Version"));
		if (v && gb_semver_canonical(v))
			best = xstrdup(v);
		json_decref(j);
		if (!best) {
			rt_errf(err, RT_EXIT_BUILD, "%s@latest: invalid response from proxy '%s': no canonical Version", path, from);
			goto out;
		}
	}
	rc = gb_mod_check(path, best, err);
	if (rc == 0)
		*version = best;
	else
		free(best);
out:
	free(from);
	strbuf_release(&body);
	return rc;
}
