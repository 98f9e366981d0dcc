/* report/otlp_send: OTLP/HTTP export of a report over libcurl, and where it goes (see otlp.h). */
#include "report/otlp.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"

static bool http_url(const char *u)
{
	return u && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) && u[strcspn(u, ":") + 3] != '\0' &&
	       u[strcspn(u, ":") + 3] != '/';
}

/* url with /v1/traces as its path when it has none (or only "/") */
static char *with_traces_path(const char *url, bool only_if_no_path)
{
	const char *host = strstr(url, "://") + 3, *path = host + strcspn(host, "/?#");
	size_t len = strlen(url);

	if (only_if_no_path && *path && strcmp(path, "/") != 0)
		return xstrdup(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	return xasprintf("%.*s/v1/traces", (int)len, url);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int rt_otlp_endpoint(const char *flag, char **url, struct rt_err *err)
{
	const char *v;

	*url = NULL;
	if (flag) {
		if (!http_url(flag))
			return rt_errf(err, RT_EXIT_USAGE, "--otlp-endpoint '%s' is not an http:// or https:// URL", flag);
		*url = with_traces_path(flag, true);
		return 0;
	}
	if ((v = env("OTEL_TRACES_EXPORTER")) && strcmp(v, "none") == 0)
		return 0;
	if ((v = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))) {
		if (!http_url(v))
			return rt_errf(err, RT_EXIT_ENV, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT '%s' is not an http:// or https:// URL", v);
		*url = xstrdup(v);
		return 0;
	}
	if ((v = env("OTEL_EXPORTER_OTLP_ENDPOINT"))) {
		if (!http_url(v))
			return rt_errf(err, RT_EXIT_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT '%s' is not an http:// or https:// URL", v);
		*url = with_traces_path(v, false);
	}
	return 0;
}

const char *rt_otlp_env_headers(void)
{
	const char *v = env("OTEL_EXPORTER_OTLP_TRACES_HEADERS");

	return v ? v : env("OTEL_EXPORTER_OTLP_HEADERS");
}

/* The URL as shown in messages: without a user:password@ part. */
static char *shown_url(const char *url)
{
	const char *host = strstr(url, "://"), *at, *end;

	if (!host)
		return xstrdup(url);
	host += 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	return at ? xasprintf("%.*s%s", (int)(host - url), url, at + 1) : xstrdup(url);
}

static int unhex(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* "k1=v1,k2=v2" (W3C baggage-like, as OTEL_EXPORTER_OTLP_HEADERS): "k1: v1" lines appended to `list`;
 * values percent-decoded, blanks around keys and values dropped, a member without '=' skipped. */
static struct curl_slist *add_headers(struct curl_slist *list, const char *spec)
{
	while (spec && *spec) {
		size_t len = strcspn(spec, ","), klen;
		const char *eq = memchr(spec, '=', len), *k = spec, *v;
		char *line, *o;

		if (eq) {
			while (k < eq && isspace((unsigned char)*k))
				k++;
			klen = (size_t)(eq - k);
			while (klen && isspace((unsigned char)k[klen - 1]))
				klen--;
			v = eq + 1;
			while (v < spec + len && isspace((unsigned char)*v))
				v++;
			line = o = xmalloc(klen + 2 + len + 1);
			o += sprintf(o, "%.*s: ", (int)klen, k);
			for (; v < spec + len; v++) {
				if (*v == '%' && v + 2 < spec + len && isxdigit((unsigned char)v[1]) &&
				    isxdigit((unsigned char)v[2])) {
					*o++ = (char)(unhex((unsigned char)v[1]) * 16 + unhex((unsigned char)v[2]));
					v += 2;
				} else if (*v != '\r' && *v != '\n') {
					*o++ = *v;
				}
			}
			while (o > line + klen + 2 && isspace((unsigned char)o[-1]))
				o--;
			*o = '\0';
			if (klen)
				list = curl_slist_append(list, line);
			free(line);
		}
		spec += len + (spec[len] == ',');
	}
	return list;
}

struct body {
	char *v;
	size_t n;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *data)
{
	struct body *b = data;
	size_t n = size * nmemb, keep = n;

	if (b->n + keep > 65536) /* what a message needs */
		keep = b->n < 65536 ? 65536 - b->n : 0;
	b->v = xrealloc(b->v, b->n + keep + 1);
	memcpy(b->v + b->n, p, keep);
	b->n += keep;
	b->v[b->n] = '\0';
	return n;
}

/* A collector's answer in words: the Status message of a JSON body ({"code","message"}), else the first
 * line of a body that is not a JSON object, cut at 300 characters; NULL when there is none. */
static char *body_message(const struct body *b)
{
	json_t *j = b->n ? json_loadb(b->v, b->n, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "message"));
	char *out = NULL;

	if (m && *m) {
		out = xasprintf("%.300s", m);
	} else if (b->n && !json_is_object(j)) { /* a Status without a message says nothing more */
		size_t len = strcspn(b->v, "\r\n");

		if (len)
			out = xasprintf("%.*s", (int)(len > 300 ? 300 : len), b->v);
	}
	json_decref(j);
	return out;
}

static bool retried_code(long code)
{
	return code == 429 || code == 502 || code == 503 || code == 504;
}

static bool retried_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return true;
	default:
		return false;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A 2xx answer's partialSuccess: a warning when the collector dropped spans. */
static void partial_success(const struct body *b, const char *shown)
{
	json_t *j = b->n ? json_loadb(b->v, b->n, 0, NULL) : NULL, *ps = json_object_get(j, "partialSuccess");
	json_t *rej = json_object_get(ps, "rejectedSpans");
	long long n = json_is_integer(rej) ? json_integer_value(rej) : json_is_string(rej) ? atoll(json_string_value(rej)) : 0;
	const char *m = json_string_value(json_object_get(ps, "errorMessage"));

	if (n > 0)
		fprintf(stderr, "rt0trace: warning: the collector at '%s' rejected %lld span%s%s%.300s\n", shown, n,
			n == 1 ? "" : "s", m && *m ? ": " : "", m ? m : "");
	json_decref(j);
}

int rt_otlp_send(const struct rt_report *r, const struct rt_otlp_opts *o, struct rt_err *err)
{
	static bool curl_ready;
	int tries = o->tries > 0 ? o->tries : 3, n;
	long timeout = o->timeout_ms > 0 ? o->timeout_ms : 10000, wait = o->backoff_ms > 0 ? o->backoff_ms : 500;
	json_t *j = rt_otlp_json(r, o);
	char *payload = json_dumps(j, JSON_COMPACT), *shown = shown_url(o->endpoint), *why = NULL;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURL *h;
	int rc = -1;

	json_decref(j);
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = true;
	}
	if (!(h = curl_easy_init())) {
		rc = rt_errf(err, RT_EXIT_EXPORT, "cannot export the trace to '%s': libcurl could not start", shown);
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = add_headers(hdrs, o->headers);
	for (n = 1; n <= tries; n++) {
		struct body b = { NULL, 0 };
		long code = 0;
		CURLcode cr;
		bool again;

		errbuf[0] = '\0';
		curl_easy_reset(h);
		curl_easy_setopt(h, CURLOPT_URL, o->endpoint);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
		curl_easy_setopt(h, CURLOPT_USERAGENT, "rt0trace/" RT0_VERSION);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		cr = curl_easy_perform(h);
		if (cr == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		free(why);
		why = NULL;
		if (cr == CURLE_OK && code >= 200 && code < 300) {
			partial_success(&b, shown);
			free(b.v);
			rc = 0;
			goto out;
		}
		if (cr != CURLE_OK) {
			why = xstrdup(errbuf[0] ? errbuf : curl_easy_strerror(cr));
			again = retried_curl(cr);
		} else {
			char *m = body_message(&b);

			why = m ? xasprintf("HTTP %ld: %s", code, m) : xasprintf("HTTP %ld", code);
			free(m);
			again = retried_code(code);
		}
		free(b.v);
		if (!again || n == tries)
			break;
		sleep_ms(wait);
		wait *= 2;
	}
	rc = rt_errf(err, RT_EXIT_EXPORT, "cannot export the trace to '%s': %s (%d attempt%s)", shown, why,
		     n > tries ? tries : n, (n > tries ? tries : n) == 1 ? "" : "s");
out:
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	free(why);
	free(payload);
	free(shown);
	return rc;
}
