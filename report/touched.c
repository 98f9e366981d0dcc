/* report/touched: what each phase touched (files opened and looked up, socket addresses, programs
 * executed), from the decoded members the engines write on syscall events (rt_report_touched in report.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/xalloc.h"
#include "report/report.h"

/* The syscalls of each kind (enum rt_touch_kind), and what a call must name to be one. */
static const char *const touch_calls[RT_TOUCH_KINDS][13] = {
	[RT_TOUCH_FILE] = { "open", "openat", "openat2", "creat" },
	[RT_TOUCH_LOOKUP] = { "stat", "lstat", "stat64", "lstat64", "newfstatat", "fstatat64", "statx", "access", "faccessat",
			      "faccessat2", "readlink", "readlinkat" },
	[RT_TOUCH_SOCKET] = { "connect", "bind", "sendto", "sendmsg" },
	[RT_TOUCH_EXEC] = { "execve", "execveat" },
};

/* The touched list syscall `name` belongs to, or -1. */
static int kind_of(const char *name)
{
	for (int k = 0; k < RT_TOUCH_KINDS; k++)
		for (size_t i = 0; i < sizeof(touch_calls[k]) / sizeof(touch_calls[k][0]) && touch_calls[k][i]; i++)
			if (strcmp(name, touch_calls[k][i]) == 0)
				return k;
	return -1;
}

bool rt_touch_named(const char *name)
{
	return kind_of(name) >= 0;
}

/* The kind of a decoded syscall, or -1: one of those above that names a path (a socket call: an
 * address). A lookup of an fd itself (fstatat's "" with AT_EMPTY_PATH) names none. */
static int touch_kind(const struct rt_event *e)
{
	int k = kind_of(e->name);
	const char *what;

	if (k < 0)
		return -1;
	what = k == RT_TOUCH_SOCKET ? e->dec->addr : e->dec->path;
	return what && *what ? k : -1;
}

/* A result as the lists show it: the errno's name of a failure ("-1 ENOENT (No such file or directory)"
 * gives "ENOENT"), else the value ("3"); from the raw return when the engine did not decode it. */
static void touch_result(const struct rt_event *e, char *out, size_t size)
{
	const char *res = e->dec->result;

	if (res && strncmp(res, "-1 ", 3) == 0 && res[3])
		res += 3;
	if (res && *res) {
		snprintf(out, size, "%.*s", (int)strcspn(res, " "), res);
	} else if (!e->ret_known) {
		snprintf(out, size, "?");
	} else if (e->ret < 0 && e->ret > -4096 && strerrorname_np((int)-e->ret)) {
		snprintf(out, size, "%s", strerrorname_np((int)-e->ret));
	} else {
		snprintf(out, size, "%" PRId64, e->ret);
	}
}

/* The end of the quoted string that starts at s (its closing quote), or NULL. */
static const char *quoted_end(const char *s)
{
	for (s++; *s && *s != '"'; s++)
		if (*s == '\\' && s[1])
			s++;
	return *s ? s : NULL;
}

/* An exec's argv in its call (`execve("/bin/sh", ["sh", "-c", "..."], ...)`): the first bracket outside
 * a string, to its match. */
static void argv_span(const char *call, const char **argv, size_t *len)
{
	*argv = NULL;
	*len = 0;
	for (const char *s = call; s && *s; s++) {
		if (*s == '"') {
			s = quoted_end(s);
		} else if (*s == '[') {
			const char *e = s + 1;

			while (e && *e && *e != ']')
				if (*e == '"' && (e = quoted_end(e)))
					e++;
				else if (e)
					e++;
			if (e && *e == ']') {
				*argv = s;
				*len = (size_t)(e - s) + 1;
			}
			return;
		}
		if (!s)
			return;
	}
}

/* One escape of strace's quoting at s (after the backslash): its byte, and where the escape ends. */
static char unescape(const char *s, const char *end, const char **next)
{
	static const char from[] = "nrtvf", to[] = "\n\r\t\v\f";
	const char *k = strchr(from, *s);
	int v = 0, n = 0;

	if (*s >= '0' && *s <= '7') {
		while (n < 3 && s + n < end && s[n] >= '0' && s[n] <= '7')
			v = v * 8 + (s[n++] - '0');
		*next = s + n;
		return (char)v;
	}
	*next = s + 1;
	return k && *s ? to[k - from] : *s;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
		   : s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;

	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* no overlong 3- and 4-byte forms, no surrogates, nothing past U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

/* An argument's bytes as a string JSON can hold: each byte of no valid UTF-8 sequence (a file name's
 * Latin-1, say) becomes U+FFFD. */
static void push_utf8(struct strv *out, const char *b, size_t n)
{
	char *v = xmalloc(3 * n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_len((const unsigned char *)b + i, n - i);

		if (len) {
			memcpy(v + o, b + i, len);
			o += len;
			i += len;
		} else {
			memcpy(v + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	strv_pushn(out, v, o);
	free(v);
}

bool rt_touch_argv(const struct rt_touch *t, struct strv *out)
{
	const char *s, *end;
	char *buf;

	if (!t->argv || t->argv_len < 2)
		return false;
	s = t->argv + 1;
	end = t->argv + t->argv_len - 1;
	buf = xmalloc(t->argv_len + 4);
	while (s < end) {
		size_t n = 0;

		while (s < end && (*s == ' ' || *s == ','))
			s++;
		if (s >= end)
			break;
		if (*s != '"') { /* "..." : the argv goes on past what was kept */
			n = strcspn(s, ",]");
			strv_pushn(out, s, n);
			s += n;
			continue;
		}
		for (s++; s < end && *s != '"';)
			buf[n++] = *s == '\\' && s + 1 < end ? unescape(s + 1, end, &s) : *s++;
		s++;
		if (end - s >= 3 && strncmp(s, "...", 3) == 0) { /* a string cut at its bound */
			memcpy(buf + n, "...", 3);
			n += 3;
			s += 3;
		}
		push_utf8(out, buf, n);
	}
	free(buf);
	return true;
}

const char *rt_touch_verb(enum rt_touch_kind kind, const struct rt_touch *t)
{
	if (kind == RT_TOUCH_FILE)
		return strcmp(t->syscall, "creat") == 0 ? "creat" : "open";
	return kind == RT_TOUCH_EXEC ? "exec" : t->syscall;
}

int rt_touch_next(const struct rt_phase_row *p, const size_t idx[RT_TOUCH_KINDS])
{
	int best = -1;

	for (int k = 0; k < RT_TOUCH_KINDS; k++) {
		const struct rt_touch *t = idx[k] < p->touched[k].n ? &p->touched[k].v[idx[k]] : NULL, *b;

		b = best >= 0 ? &p->touched[best].v[idx[best]] : NULL;
		if (t && (!b || t->t < b->t || (t->t == b->t && t->seq < b->seq)))
			best = k;
	}
	return best;
}

/* A process whose syscalls count, from..until. */
struct own {
	int64_t pid;
	uint64_t from, until;
};

static bool owns(const struct own *v, size_t n, int64_t pid, uint64_t t)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == pid && t >= v[i].from && t < v[i].until)
			return true;
	return false;
}

/* The processes whose syscalls count: r->pid in [from, until), and each child it forked (and each of
 * theirs) from the fork until the child's exec, when it becomes another program. */
static struct own *own_processes(const struct rt_report *r, uint64_t from, uint64_t until, size_t *n)
{
	const struct rt_loaded_trace *t = r->trace;
	struct own *v = NULL;
	size_t cap = 0;

	v = xgrow(v, &cap, 1, sizeof(*v));
	v[0] = (struct own){ r->pid, from, until };
	*n = 1;
	for (size_t k = 0; k < t->nev; k++) {
		const struct rt_event *e = &t->ev[k];
		const char *kind = json_get_str(e->obj, "kind");
		const json_t *child = json_object_get(e->obj, "child");
		uint64_t end = UINT64_MAX;

		if (e->type != RT_ET_CLONE || !kind || strcmp(kind, "thread") == 0 || !json_is_integer(child) ||
		    !owns(v, *n, e->pid, e->t))
			continue;
		for (size_t j = 0; j < t->nev; j++)
			if (t->ev[j].type == RT_ET_EXEC && t->ev[j].pid == json_integer_value(child) && t->ev[j].t >= e->t) {
				end = t->ev[j].t;
				break;
			}
		v = xgrow(v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = (struct own){ json_integer_value(child), e->t, end };
	}
	return v;
}

static int touch_cmp(const void *a, const void *b)
{
	const struct rt_touch *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void add_touch(struct rt_report *r, enum rt_touch_kind kind, const struct rt_event *e, size_t seq)
{
	struct rt_touches *l = &r->phases[rt_phase_index(r, e->t)].touched[kind];
	struct rt_touch *t;

	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	t = &l->v[l->n++];
	memset(t, 0, sizeof(*t));
	t->t = e->t;
	t->pid = e->pid;
	t->seq = seq;
	t->syscall = e->name;
	t->what = kind == RT_TOUCH_SOCKET ? e->dec->addr : e->dec->path;
	touch_result(e, t->result, sizeof(t->result));
	if (kind == RT_TOUCH_EXEC)
		argv_span(e->dec->call, &t->argv, &t->argv_len);
}

void rt_report_touched(struct rt_report *r, uint64_t from, uint64_t until)
{
	const struct rt_loaded_trace *tr = r->trace;
	struct own *own;
	size_t nown;

	if (r->pid < 0 || !r->nphases)
		return;
	own = own_processes(r, from, until, &nown);
	for (size_t k = 0; k < tr->nev; k++) {
		const struct rt_event *e = &tr->ev[k];
		int kind;

		if (e->type != RT_ET_SYSCALL || !e->name || !e->dec || !owns(own, nown, e->pid, e->t))
			continue;
		r->decoded = true;
		if ((kind = touch_kind(e)) >= 0)
			add_touch(r, (enum rt_touch_kind)kind, e, k);
	}
	free(own);
	/* in time order (threads' events are not written in it), the first RT_TOUCH_MAX kept */
	for (size_t i = 0; i < r->nphases; i++)
		for (int k = 0; k < RT_TOUCH_KINDS; k++) {
			struct rt_touches *l = &r->phases[i].touched[k];

			if (l->n > 1)
				qsort(l->v, l->n, sizeof(*l->v), touch_cmp);
			if (l->n > RT_TOUCH_MAX) {
				l->more = l->n - RT_TOUCH_MAX;
				l->n = RT_TOUCH_MAX;
			}
		}
}
