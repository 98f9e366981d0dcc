/*
 * pipeline/modproxy: the client side of the module proxy protocol (GET <proxy>/<escaped path>/@v/...),
 * over the GOPROXY list as cmd/go's proxyList and TryProxies walk it:
 *   - entries separated by ',' fall through to the next only when the proxy does not have the module
 *     (404, 410, or a missing file:// file); entries separated by '|' fall through on any error;
 *   - "off" fails (a not-found kind of error, as in go, so an earlier proxy's real error wins);
 *   - "direct" ends the list; reaching it is refused (rt0trace runs no version control tool);
 *   - the error reported is the most useful one: a refusal of "direct", else a proxy's error other than
 *     not-found, else the last not-found.
 * https:// and http:// go through libcurl (http only when the GOPROXY entry says so, as go's
 * DefaultSecurity; a redirect from https to http is refused); file:// is read from the directory.
 * libcurl honours http_proxy, https_proxy and no_proxy, as go's ProxyFromEnvironment does.
 *
 * Ownership: one CURL handle per gb_modenv (e->conn), created on first use, released with the env.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "pipeline/modfetch_int.h"

struct gb_modconn {
	CURL *h;
};

enum pkind { P_URL, P_OFF, P_DIRECT };

struct pspec {
	enum pkind kind;
	char *url;           /* P_URL: the base URL, trailing '/' removed */
	bool fall_on_error;  /* '|' after it */
};

enum outcome { O_OK, O_NOTEXIST, O_FAIL_BUILD, O_FAIL_ENV };

struct gb_modconn *gb_proxy_conn_new(void)
{
	return xcalloc(1, sizeof(struct gb_modconn));
}

void gb_proxy_conn_release(struct gb_modconn *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	free(c);
}

/* ---- URLs ------------------------------------------------------------------------------------------- */

static bool scheme_is(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

/* url.Redacted: a password in the URL is shown as "xxxxx". */
static char *redact(const char *url)
{
	const char *s = strstr(url, "://"), *at, *colon, *end;

	if (!s)
		return xstrdup(url);
	s += 3;
	end = s + strcspn(s, "/?#");
	at = memchr(s, '@', (size_t)(end - s));
	colon = at ? memchr(s, ':', (size_t)(at - s)) : NULL;
	if (!colon)
		return xstrdup(url);
	return xasprintf("%.*s:xxxxx%s", (int)(colon - url), url, at);
}

/* Percent-encodes what may not stand in a URL path (escaped module paths and versions are ASCII letters,
 * digits and -._~!+ in practice; this is for anything else a proxy might be asked). */
static void add_path_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~!$&'()*+=:@/", c))
			strbuf_add(sb, s, 1);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

/* The directory of a file:// proxy URL (host empty or localhost, path absolute, percent-decoded), or
 * NULL with *why. */
static char *file_url_dir(const char *url, const char **why)
{
	const char *p = url + 7, *path = p + strcspn(p, "/");
	struct strbuf sb = STRBUF_INIT;

	*why = NULL;
	if (strpbrk(url, "?#")) {
		*why = "invalid file:// proxy URL with non-path elements";
		return NULL;
	}
	if (path != p && !((size_t)(path - p) == 9 && strncasecmp(p, "localhost", 9) == 0)) {
		*why = "file:// proxy URL with a host other than localhost";
		return NULL;
	}
	if (*path != '/') {
		*why = "file URL missing path";
		return NULL;
	}
	for (const char *s = path; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			char c = (char)(hexval(s[1]) << 4 | hexval(s[2]));

			strbuf_add(&sb, &c, 1);
			s += 2;
		} else {
			strbuf_add(&sb, s, 1);
		}
	}
	return strbuf_detach(&sb, NULL);
}

static void free_list(struct pspec *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].url);
	free(l);
}

/* proxyList: the entries up to "off" or "direct", each URL checked as newProxyRepo does. */
static int parse_list(const char *goproxy, struct pspec **out, size_t *np, struct rt_err *err)
{
	struct pspec *l = NULL;
	size_t n = 0, cap = 0;
	const char *p = goproxy ? goproxy : "";

	while (*p) {
		size_t len = strcspn(p, ",|");
		bool fall = p[len] == '|';
		char *u = xstrndup(p, len), *t = u, *url;
		size_t tl;

		p += len + (p[len] != '\0');
		while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
			t++;
		tl = strlen(t);
		while (tl && strchr(" \t\n\r", t[tl - 1]))
			t[--tl] = '\0';
		if (!*t) {
			free(u);
			continue;
		}
		l = xgrow(l, &cap, n + 1, sizeof(*l));
		if (strcmp(t, "off") == 0 || strcmp(t, "direct") == 0) {
			l[n++] = (struct pspec){ strcmp(t, "off") == 0 ? P_OFF : P_DIRECT, NULL, false };
			free(u);
			break; /* both end the list (go ignores what follows "direct", for forward compatibility) */
		}
		/* Anything with ".:/" but no ":/" that is not an absolute path is a host: https is implied. */
		url = strpbrk(t, ".:/") && !strstr(t, ":/") && t[0] != '/' ? xasprintf("https://%s", t) : xstrdup(t);
		free(u);
		if (!scheme_is(url, "https") && !scheme_is(url, "http") && !scheme_is(url, "file")) {
			size_t sl = strcspn(url, ":");
			bool has_scheme = url[sl] == ':' && sl > 0 && strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == sl;

			rt_errf(err, RT_EXIT_ENV, "GOPROXY: %s: %s", has_scheme ? "invalid proxy URL scheme (must be https, http, file)"
										: "invalid proxy URL missing scheme", url);
			free(url);
			free_list(l, n);
			return -1;
		}
		if (scheme_is(url, "file")) {
			const char *why;
			char *d = file_url_dir(url, &why);

			if (!d) {
				rt_errf(err, RT_EXIT_ENV, "GOPROXY: %s: %s", why, url);
				free(url);
				free_list(l, n);
				return -1;
			}
			free(d);
		}
		tl = strlen(url);
		while (tl > 8 && url[tl - 1] == '/')
			url[--tl] = '\0';
		l[n++] = (struct pspec){ P_URL, url, fall };
	}
	if (n == 0) {
		free_list(l, n);
		return rt_errf(err, RT_EXIT_ENV, "GOPROXY list is not the empty string, but contains no entries");
	}
	*out = l;
	*np = n;
	return 0;
}

/* ---- sinks ------------------------------------------------------------------------------------------ */

struct recv {
	struct gb_sink *sink;
	long long got;
	bool too_large, write_failed;
	int write_errno;
	struct strbuf errbody;   /* a non-200 answer's body, its first 4 KiB */
	CURL *h;
};

static bool sink_put(struct recv *r, const char *data, size_t n)
{
	if (r->got + (long long)n > r->sink->limit) {
		r->too_large = true;
		return false;
	}
	r->got += (long long)n;
	if (r->sink->fd < 0) {
		strbuf_add(r->sink->buf, data, n);
		return true;
	}
	while (n) {
		ssize_t w = write(r->sink->fd, data, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r->write_failed = true;
			r->write_errno = w < 0 ? errno : EIO;
			return false;
		}
		data += w;
		n -= (size_t)w;
	}
	return true;
}

/* A failed attempt's bytes are dropped so the next proxy writes from the start. */
static void sink_reset(struct gb_sink *s)
{
	if (s->fd >= 0) {
		if (ftruncate(s->fd, 0) != 0 || lseek(s->fd, 0, SEEK_SET) != 0) {
			/* the next attempt's write fails and says why */
		}
	} else {
		s->buf->len = 0;
		if (s->buf->buf)
			s->buf->buf[0] = '\0';
	}
}

/* ---- file:// ---------------------------------------------------------------------------------------- */

static enum outcome get_file(const char *base, const char *rel, const char *shown, struct gb_sink *sink, char **msg)
{
	const char *why;
	char *dir = file_url_dir(base, &why), *file, buf[1 << 16];
	struct recv r = { .sink = sink };
	enum outcome o = O_OK;
	ssize_t n;
	int fd;

	file = xasprintf("%s/%s", dir, rel);
	free(dir);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	free(file);
	if (fd < 0) {
		*msg = xasprintf("reading %s: %s", shown, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? O_NOTEXIST : O_FAIL_ENV;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*msg = xasprintf("reading %s: %s", shown, strerror(errno));
			o = O_FAIL_ENV;
			break;
		}
		if (!sink_put(&r, buf, (size_t)n)) {
			*msg = r.too_large ? xasprintf("reading %s: larger than the %lld bytes allowed", shown, sink->limit)
					   : xasprintf("cannot write what was read from %s: %s", shown, strerror(r.write_errno));
			o = r.too_large ? O_FAIL_BUILD : O_FAIL_ENV;
			break;
		}
	}
	close(fd);
	return o;
}

/* ---- http(s):// --------------------------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct recv *r = arg;
	size_t n = size * nmemb;
	long code = 0;

	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		if (r->errbody.len < 4096)
			strbuf_add(&r->errbody, data, n < 4096 - r->errbody.len ? n : 4096 - r->errbody.len);
		return n;
	}
	return sink_put(r, data, n) ? n : 0;
}

static const char *status_text(long code)
{
	switch (code) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

/* go's formatErrorDetail, on one line: the body of a text/plain answer (UTF-8 or ASCII), up to its first
 * blank line, at most 8 lines and 648 bytes; nothing when it holds control characters. */
static char *error_detail(CURL *h, const struct strbuf *body)
{
	struct curl_header *hh = NULL;
	struct strbuf sb = STRBUF_INIT;
	const char *ct, *s = body->buf ? body->buf : "", *cs;
	int lines = 0;

	if (curl_easy_header(h, "Content-Type", 0, CURLH_HEADER, -1, &hh) != CURLHE_OK)
		return NULL;
	ct = hh->value + strspn(hh->value, " \t");
	if (strncasecmp(ct, "text/plain", 10) != 0 || (ct[10] && ct[10] != ';' && ct[10] != ' '))
		return NULL;
	if ((cs = strcasestr(ct, "charset="))) {
		cs += 8;
		cs += *cs == '"';
		if (strncasecmp(cs, "utf-8", 5) != 0 && strncasecmp(cs, "us-ascii", 8) != 0)
			return NULL;
	}
	for (size_t i = 0; i < body->len;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t r;
		size_t l = c < 0x80 ? 1 : gb_utf8_decode(s + i, body->len - i, &r);

		if (!l || (c < 0x20 && !strchr("\t\n\r\v\f", c)) || c == 0x7f)
			return NULL;
		i += l;
	}
	while (*s) {
		size_t n = strcspn(s, "\n"), k = n;

		while (k && strchr(" \t\r\v\f", s[k - 1]))
			k--;
		if (strspn(s, " \t\r\v\f") >= k)
			break;
		if (lines)
			strbuf_adds(&sb, "; ");
		if (lines >= 8) {
			strbuf_adds(&sb, "[Truncated: too many lines.]");
			break;
		}
		if (sb.len + k > 8 * 81) {
			strbuf_adds(&sb, "[Truncated: too long.]");
			break;
		}
		strbuf_add(&sb, s, k);
		lines++;
		s += n + (s[n] == '\n');
	}
	if (!sb.len) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static double now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static CURL *conn_handle(const struct gb_modenv *e)
{
	static bool global_done;

	if (!e->conn)
		return NULL;
	if (!e->conn->h) {
		if (!global_done) {
			curl_global_init(CURL_GLOBAL_DEFAULT);
			global_done = true;
		}
		e->conn->h = curl_easy_init();
	}
	return e->conn->h;
}

static enum outcome get_http(const struct gb_modenv *e, const char *url, const char *shown, struct gb_sink *sink,
			     char **msg)
{
	CURL *h = conn_handle(e);
	char errbuf[CURL_ERROR_SIZE] = "";
	struct recv r = { .sink = sink, .errbody = STRBUF_INIT, .h = h };
	double t0 = now_s();
	long code = 0;
	CURLcode rc;
	enum outcome o;

	if (!h) {
		*msg = xasprintf("reading %s: cannot start libcurl", shown);
		return O_FAIL_ENV;
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, scheme_is(url, "https") ? "https" : "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* go's client has no overall timeout; a proxy that stops sending is given up on after a minute */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "rt0trace/" RT0_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	if (e->log)
		fprintf(e->log, "# get %s\n", shown);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		if (r.too_large) {
			*msg = xasprintf("reading %s: larger than the %lld bytes allowed", shown, sink->limit);
			o = O_FAIL_BUILD;
		} else if (r.write_failed) {
			*msg = xasprintf("cannot write what was read from %s: %s", shown, strerror(r.write_errno));
			o = O_FAIL_ENV;
		} else {
			*msg = xasprintf("reading %s: %s", shown, errbuf[0] ? errbuf : curl_easy_strerror(rc));
			o = O_FAIL_ENV;
		}
	} else if (code == 200) {
		o = O_OK;
	} else {
		char *detail = error_detail(h, &r.errbody);
		const char *st = status_text(code);

		*msg = xasprintf("reading %s: %ld%s%s%s%s", shown, code, *st ? " " : "", st, detail ? ": server response: " : "",
				 detail ? detail : "");
		free(detail);
		o = code == 404 || code == 410 ? O_NOTEXIST : code >= 400 && code < 500 ? O_FAIL_BUILD : O_FAIL_ENV;
	}
	if (e->log) {
		if (rc != CURLE_OK)
			fprintf(e->log, "# get %s: %s\n", shown, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		else
			fprintf(e->log, "# get %s: %ld %s (%.3fs)\n", shown, code, status_text(code)[0] ? status_text(code) : code == 200 ? "OK" : "",
				now_s() - t0);
	}
	strbuf_release(&r.errbody);
	return o;
}

/* ---- the list ----------------------------------------------------------------------------------------- */

static int refuse_direct(const char *path, const char *version, const char *why, const char *before, struct rt_err *err)
{
	return rt_errf(err, RT_EXIT_BUILD,
		       "%s@%s: %s, and rt0trace fetches modules only through a module proxy, never from version "
		       "control: set GOPROXY to a proxy URL (such as https://proxy.golang.org), or populate the module "
		       "cache ('go mod download')%s%s%s",
		       path, version, why, before ? " (before it: " : "", before ? before : "", before ? ")" : "");
}

int gb_proxy_get(const struct gb_modenv *e, const char *path, const char *version, const char *file,
		 struct gb_sink *sink, char **from, struct rt_err *err)
{
	enum { R_NOTEXIST, R_PROXY } rank = R_NOTEXIST;
	struct pspec *l = NULL;
	size_t n = 0;
	char *best = NULL, *esc;
	enum outcome best_o = O_NOTEXIST;
	int rc = -1;

	*from = NULL;
	if (gb_mod_match_patterns(e->noproxy, path)) {
		char why[600];

		snprintf(why, sizeof(why), "the module matches GONOPROXY/GOPRIVATE ('%s'), which means a direct fetch",
			 e->noproxy);
		return refuse_direct(path, version, why, NULL, err);
	}
	if (parse_list(e->proxy, &l, &n, err) != 0)
		return -1;
	esc = gb_mod_escape_path(path);
	for (size_t i = 0; i < n; i++) {
		enum outcome o;
		char *msg = NULL;

		if (l[i].kind == P_DIRECT) {
			refuse_direct(path, version, "GOPROXY reaches \"direct\" (a fetch from the module's own repository)",
				      best, err);
			free(best);
			best = NULL;
			goto out;
		}
		if (l[i].kind == P_OFF) {
			o = O_NOTEXIST;
			msg = xstrdup("module lookup disabled by GOPROXY=off");
		} else {
			struct strbuf u = STRBUF_INIT;
			char *url, *shown;

			strbuf_adds(&u, l[i].url);
			strbuf_adds(&u, "/");
			add_path_escaped(&u, esc);
			strbuf_adds(&u, "/");
			add_path_escaped(&u, file);
			url = strbuf_detach(&u, NULL);
			shown = redact(url);
			if (scheme_is(url, "file")) {
				char *rel = xasprintf("%s/%s", esc, file);

				o = get_file(l[i].url, rel, shown, sink, &msg);
				free(rel);
			} else {
				o = get_http(e, url, shown, sink, &msg);
			}
			free(url);
			if (o == O_OK) {
				*from = shown;
				rc = 0;
				goto out;
			}
			free(shown);
		}
		/* TryProxies' ranking: a proxy's real error beats a not-found, the last not-found beats earlier ones. */
		if (o != O_NOTEXIST || rank == R_NOTEXIST) {
			free(best);
			best = msg;
			best_o = o;
			msg = NULL;
			if (o != O_NOTEXIST)
				rank = R_PROXY;
		}
		free(msg);
		if (!l[i].fall_on_error && o != O_NOTEXIST)
			break;
		sink_reset(sink);
	}
	rt_errf(err, best_o == O_FAIL_ENV ? RT_EXIT_ENV : RT_EXIT_BUILD, "%s@%s: %s", path, version, best ? best : "not found");
out:
	free(best);
	free(esc);
	free_list(l, n);
	return rc;
}

/* ---- the checksum database's URLs ------------------------------------------------------------------ */

int gb_url_get(const struct gb_modenv *e, const char *url, struct gb_sink *sink, struct rt_err *err)
{
	char *shown = redact(url), *msg = NULL;
	enum outcome o;
	int rc;

	if (scheme_is(url, "file")) {
		/* get_file joins a base and a relative name: split at the last '/' */
		const char *slash = strrchr(url + 7, '/');
		char *base = xstrndup(url, (size_t)(slash - url));

		o = get_file(base, slash + 1, shown, sink, &msg);
		free(base);
	} else {
		o = get_http(e, url, shown, sink, &msg);
	}
	switch (o) {
	case O_OK: rc = GB_GET_OK; break;
	case O_NOTEXIST: rc = GB_GET_NOTEXIST; break;
	default: rc = -1; break;
	}
	if (o != O_OK)
		rt_errf(err, o == O_FAIL_ENV ? RT_EXIT_ENV : RT_EXIT_BUILD, "%s", msg);
	free(msg);
	free(shown);
	return rc;
}

int gb_sumdb_base(const struct gb_modenv *e, const char *name, char **base, struct rt_err *err)
{
	struct pspec *l = NULL;
	size_t n = 0;
	int rc = 0;

	*base = NULL;
	if (parse_list(e->proxy, &l, &n, err) != 0)
		return -1;
	/* cmd/go's dbClient.initBase: the first proxy that says it proxies the database; a proxy that does
	 * not have it (404, 410) falls through, as does any error after '|'; "direct" and "off" end the
	 * list: the database is then reached at https://NAME. */
	for (size_t i = 0; i < n && !*base; i++) {
		struct strbuf ignored = STRBUF_INIT;
		struct gb_sink sink = { .fd = -1, .buf = &ignored, .limit = 1 << 16 };
		struct rt_err e2 = { 0 };
		char *url;
		int got;

		if (l[i].kind != P_URL)
			break;
		url = xasprintf("%s/sumdb/%s/supported", l[i].url, name);
		got = gb_url_get(e, url, &sink, &e2);
		free(url);
		strbuf_release(&ignored);
		if (got == GB_GET_OK) {
			*base = xasprintf("%s/sumdb/%s", l[i].url, name);
		} else if (got != GB_GET_NOTEXIST && !l[i].fall_on_error) {
			*err = e2;
			rc = -1;
			break;
		}
	}
	if (rc == 0 && !*base)
		*base = xasprintf("https://%s", name);
	free_list(l, n);
	return rc;
}
