/*
 * report/reader: the one trace reader. It reads the trace line by line into compact events (struct
 * rt_event): a syscall line of the shape every engine writes is parsed by yajl's callbacks straight into
 * its struct, with no JSON object made for it; any other line (probes, execs, maps, ... and a syscall line
 * of any other shape) is parsed by jansson and kept whole beside its compact fields. Both paths accept
 * and refuse the same lines: a syscall line the fast path has any doubt about (an unknown or repeated
 * key, a number out of range, a non-canonical argument) goes through jansson, which says what is wrong.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "common/json.h"
#include "common/strbuf.h"
#include "common/strhash.h"
#include "common/xalloc.h"
#include "report/report.h"

/* Integer members an analysis computes with, and the values that make sense for them. An absent member
 * is fine (engines write what they know); a present one of another type or out of range is not. */
struct num_rule {
	const char *type; /* the event type it applies to, or NULL for every event */
	const char *key;
	int64_t min, max;
	const char *what;
};

static const struct num_rule num_rules[] = {
	{ NULL, "dur", 0, (int64_t)RT_TRACE_MAX_NS, "a duration" },
	{ NULL, "pid", 0, INT32_MAX, "a process id" },
	{ NULL, "tid", 0, INT32_MAX, "a thread id" },
	{ NULL, "ppid", 0, INT32_MAX, "a process id" },
	{ "clone", "child", 0, INT32_MAX, "a process id" },
	{ "exit", "status", 0, 255, "an exit status (0..255)" },
	{ "exit", "signal", 1, 64, "a signal number (1..64)" },
	{ "signal", "signo", 1, 64, "a signal number (1..64)" },
	{ "crash", "signo", 1, 64, "a signal number (1..64)" },
};

/* NULL when the event's numbers make sense; else why not (a literal, or `buf`). */
static const char *bad_numbers(const json_t *o, const char *type, int64_t t0, char *buf, size_t size)
{
	const json_t *tv = json_object_get(o, "t");
	int64_t t;

	if (!json_is_integer(tv))
		return tv ? "time \"t\" is not an integer" : "no time \"t\"";
	t = json_integer_value(tv);
	if (t < t0) {
		snprintf(buf, size, "time \"t\" %" PRId64 " is before the header's t0 %" PRId64, t, t0);
		return buf;
	}
	if ((uint64_t)(t - t0) > RT_TRACE_MAX_NS) {
		snprintf(buf, size, "time \"t\" %" PRId64 " is more than 2^56 ns after the header's t0 %" PRId64, t, t0);
		return buf;
	}
	for (size_t i = 0; i < sizeof(num_rules) / sizeof(num_rules[0]); i++) {
		const struct num_rule *n = &num_rules[i];
		const json_t *v = json_object_get(o, n->key);

		if (!v || json_is_null(v) || (n->type && strcmp(n->type, type) != 0))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < n->min || json_integer_value(v) > n->max) {
			if (json_is_integer(v))
				snprintf(buf, size, "\"%s\" %" JSON_INTEGER_FORMAT " is not %s", n->key, json_integer_value(v), n->what);
			else
				snprintf(buf, size, "\"%s\" is not %s", n->key, n->what);
			return buf;
		}
	}
	return NULL;
}

/* The header's start time: absent is 0; anything but an integer >= 0 is not a time. */
static int header_t0(const json_t *h, int64_t *t0)
{
	const json_t *v = json_object_get(h, "t0");

	*t0 = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > UINT64_MAX / 4)
		return -1;
	*t0 = json_integer_value(v);
	return 0;
}

/* ---- syscall names, each kept once ------------------------------------------------------------------ */

struct rt_names {
	char **slot;  /* open addressing, a power of two long */
	size_t nslots, n;
	/* the decoded members of syscall lines (struct rt_decoded and its strings), in chunks */
	char **chunk;
	size_t nchunks, chunkcap, left;
	bool keep_all;        /* keep every syscall's decoded members (else only those the analyses read) */
	struct strbuf line;   /* the decoded members of the line being read, before they are kept */
};

/* What a syscall whose decoded members were not kept points at: it was decoded, nothing more. */
static const struct rt_decoded dropped;

#define CHUNK (1u << 20)

/* `n` bytes that live as long as the trace. */
static void *arena_alloc(struct rt_names *s, size_t n)
{
	char *p;

	n = (n + 7) & ~(size_t)7;
	if (n > s->left) {
		size_t size = n > CHUNK ? n : CHUNK;

		s->chunk = xgrow(s->chunk, &s->chunkcap, s->nchunks + 1, sizeof(*s->chunk));
		s->chunk[s->nchunks++] = xmalloc(size);
		s->left = size;
	}
	p = s->chunk[s->nchunks - 1] + (n > CHUNK ? 0 : CHUNK - s->left);
	s->left -= n;
	return p;
}

static const char *arena_str(struct rt_names *s, const char *str, size_t len)
{
	char *p = arena_alloc(s, len + 1);

	memcpy(p, str, len);
	p[len] = '\0';
	return p;
}

static const char *intern(struct rt_names *s, const char *name, size_t len)
{
	size_t k;

	if ((s->n + 1) * 2 > s->nslots) {
		size_t nslots = s->nslots ? s->nslots * 2 : 256;
		char **slot = xcalloc(nslots, sizeof(char *));

		for (size_t i = 0; i < s->nslots; i++) {
			if (!s->slot[i])
				continue;
			for (k = rt_strhash(s->slot[i], strlen(s->slot[i]), 0) & (nslots - 1); slot[k]; k = (k + 1) & (nslots - 1))
				;
			slot[k] = s->slot[i];
		}
		free(s->slot);
		s->slot = slot;
		s->nslots = nslots;
	}
	for (k = rt_strhash(name, len, 0) & (s->nslots - 1); s->slot[k]; k = (k + 1) & (s->nslots - 1))
		if (strncmp(s->slot[k], name, len) == 0 && s->slot[k][len] == '\0')
			return s->slot[k];
	s->slot[k] = xstrndup(name, len);
	s->n++;
	return s->slot[k];
}

static void names_free(struct rt_names *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nslots; i++)
		free(s->slot[i]);
	free(s->slot);
	for (size_t i = 0; i < s->nchunks; i++)
		free(s->chunk[i]);
	free(s->chunk);
	strbuf_release(&s->line);
	free(s);
}

/* ---- the fast path: a syscall line as every engine writes it ----------------------------------------- */

/* The members every engine writes, then the decoded ones (optional, strings; docs/formats.md). */
enum fkey { FK_TYPE, FK_T, FK_PID, FK_TID, FK_DUR, FK_NR, FK_NAME, FK_ARGS, FK_RET, FK_CALL, FK_RESULT, FK_PATH, FK_FD,
	    FK_ADDR, FK_N };
#define FK_REQUIRED ((1u << (FK_RET + 1)) - 1)
static const char *const fkeys[FK_N] = { "type", "t",    "pid",  "tid",    "dur",  "nr", "name", "args",
					 "ret",  "call", "result", "path", "fd", "addr" };

struct fast {
	int depth;          /* 1 in the event's object, 2 in its args */
	int key;            /* the member being read (enum fkey) */
	unsigned seen;      /* the members read, a bit each */
	int64_t v[FK_N];    /* the integer members */
	bool ret_null;
	char name[64];
	size_t name_len;
	uint8_t nargs;
	uint64_t args[RT_SYSCALL_ARGS];
	struct rt_names *names;          /* names->line holds the decoded strings of this line */
	size_t dec_off[FK_N - FK_CALL];  /* each decoded member's offset in names->line, + 1 (0: absent) */
};

/* Each callback returns 0, which stops yajl, for anything but the one shape: the line goes to jansson. */
static int f_start_map(void *c)
{
	struct fast *f = c;

	return f->depth++ == 0;
}

static int f_end_map(void *c)
{
	((struct fast *)c)->depth--;
	return 1;
}

static int f_key(void *c, const unsigned char *k, size_t len)
{
	struct fast *f = c;

	for (int i = 0; i < FK_N; i++)
		if (strlen(fkeys[i]) == len && memcmp(fkeys[i], k, len) == 0 && !(f->seen & (1u << i))) {
			f->key = i;
			f->seen |= 1u << i;
			return 1;
		}
	return 0;
}

static int f_start_array(void *c)
{
	struct fast *f = c;

	return f->depth == 1 && f->key == FK_ARGS && ++f->depth == 2;
}

static int f_end_array(void *c)
{
	((struct fast *)c)->depth--;
	return 1;
}

/* A register value as the engines write it: "0x" and lowercase hex digits without leading zeros. */
static int canonical_hex(const unsigned char *s, size_t len, uint64_t *v)
{
	if (len < 3 || len > 18 || s[0] != '0' || s[1] != 'x' || (s[2] == '0' && len != 3))
		return 0;
	*v = 0;
	for (size_t i = 2; i < len; i++) {
		int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;

		if (d < 0)
			return 0;
		*v = *v << 4 | (uint64_t)d;
	}
	return 1;
}

static int f_string(void *c, const unsigned char *s, size_t len)
{
	struct fast *f = c;

	if (f->depth == 2)
		return f->nargs < RT_SYSCALL_ARGS && canonical_hex(s, len, &f->args[f->nargs++]);
	if (f->key == FK_TYPE)
		return len == 7 && memcmp(s, "syscall", 7) == 0;
	if (f->key >= FK_CALL) {
		if (memchr(s, '\0', len))
			return 0;
		f->dec_off[f->key - FK_CALL] = f->names->line.len + 1;
		strbuf_add(&f->names->line, s, len);
		strbuf_add(&f->names->line, "", 1);
		return 1;
	}
	if (f->key != FK_NAME || len == 0 || len >= sizeof(f->name) || memchr(s, '\0', len))
		return 0;
	memcpy(f->name, s, len);
	f->name_len = len;
	return 1;
}

/* JSON integers only (no fraction, no exponent), within int64. */
static int f_number(void *c, const char *s, size_t len)
{
	struct fast *f = c;
	bool neg = len > 0 && s[0] == '-';
	uint64_t v = 0;

	if (f->depth != 1 || f->key == FK_TYPE || f->key == FK_NAME || f->key == FK_ARGS || f->key >= FK_CALL ||
	    len == (size_t)neg || len > 20 ||
	    (s[neg] == '0' && len > (size_t)neg + 1))
		return 0;
	for (size_t i = neg; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return 0;
	f->v[f->key] = neg ? -(int64_t)v : (int64_t)v;
	return 1;
}

static int f_null(void *c)
{
	struct fast *f = c;

	f->ret_null = f->depth == 1 && f->key == FK_RET;
	return f->ret_null;
}

static int f_bool(void *c, int b)
{
	(void)c;
	(void)b;
	return 0;
}

static const yajl_callbacks fast_cb = {
	.yajl_null = f_null, .yajl_boolean = f_bool, .yajl_number = f_number, .yajl_string = f_string,
	.yajl_start_map = f_start_map, .yajl_map_key = f_key, .yajl_end_map = f_end_map,
	.yajl_start_array = f_start_array, .yajl_end_array = f_end_array,
};

/* The line as a compact syscall event, if it is one of the one shape with numbers that make sense. */
static bool fast_syscall(const char *line, size_t n, int64_t t0, struct rt_names *names, struct rt_event *e)
{
	struct fast f = { .key = -1, .names = names };
	yajl_handle h = yajl_alloc(&fast_cb, NULL, &f);
	bool ok = h && yajl_parse(h, (const unsigned char *)line, n) == yajl_status_ok &&
		  yajl_complete_parse(h) == yajl_status_ok;

	if (h)
		yajl_free(h);
	names->line.len = 0;
	if (!ok || (f.seen & FK_REQUIRED) != FK_REQUIRED || f.v[FK_T] < t0 || (uint64_t)(f.v[FK_T] - t0) > RT_TRACE_MAX_NS ||
	    f.v[FK_DUR] < 0 || (uint64_t)f.v[FK_DUR] > RT_TRACE_MAX_NS || f.v[FK_PID] < 0 || f.v[FK_PID] > INT32_MAX ||
	    f.v[FK_TID] < 0 || f.v[FK_TID] > INT32_MAX)
		return false;
	*e = (struct rt_event){ .t = (uint64_t)f.v[FK_T], .dur = (uint64_t)f.v[FK_DUR], .pid = (int32_t)f.v[FK_PID],
				.tid = (int32_t)f.v[FK_TID], .type = RT_ET_SYSCALL, .has_pid = true, .has_tid = true,
				.ret_known = !f.ret_null, .nargs = f.nargs, .name = intern(names, f.name, f.name_len),
				.nr = f.v[FK_NR], .ret = f.ret_null ? 0 : f.v[FK_RET] };
	memcpy(e->args, f.args, sizeof(e->args));
	if ((f.seen & ~FK_REQUIRED) && !names->keep_all && !rt_decoded_read(e->name)) {
		e->dec = &dropped;
	} else if (f.seen & ~FK_REQUIRED) {
		struct rt_decoded *d = arena_alloc(names, sizeof(*d));
		const char *v[FK_N - FK_CALL];

		for (int i = 0; i < FK_N - FK_CALL; i++)
			v[i] = f.dec_off[i] ? arena_str(names, names->line.buf + f.dec_off[i] - 1,
							strlen(names->line.buf + f.dec_off[i] - 1))
					    : NULL;
		*d = (struct rt_decoded){ v[0], v[1], v[2], v[3], v[4] };
		e->dec = d;
	}
	return true;
}

/* A syscall object's decoded members (borrowed from the object, which lives as long as the trace). */
static const struct rt_decoded *decoded_of(const json_t *o, struct rt_names *names)
{
	struct rt_decoded *d = arena_alloc(names, sizeof(*d));

	*d = (struct rt_decoded){ json_get_str(o, "call"), json_get_str(o, "result"), json_get_str(o, "path"),
				  json_get_str(o, "fd"), json_get_str(o, "addr") };
	return d;
}

/* The compact fields of an event kept whole (validated by bad_numbers: "t" an integer, the others
 * integers in range, null or absent). */
static void from_object(struct rt_event *e, json_t *o, const char *type, struct rt_names *names)
{
	const json_t *pid = json_object_get(o, "pid"), *tid = json_object_get(o, "tid"), *ret;

	*e = (struct rt_event){ .t = (uint64_t)json_get_int(o, "t"), .dur = (uint64_t)json_get_int(o, "dur"),
				.pid = (int32_t)json_integer_value(pid), .tid = (int32_t)json_integer_value(tid),
				.type = (uint8_t)rt_et_of(type, strlen(type)), .has_pid = json_is_integer(pid),
				.has_tid = json_is_integer(tid), .obj = o };
	if (e->type == RT_ET_SYSCALL) {
		ret = json_object_get(o, "ret");
		e->name = json_get_str(o, "name");
		e->nr = json_get_int(o, "nr");
		e->ret_known = json_is_integer(ret);
		e->ret = json_integer_value(ret);
		if (json_get_str(o, "call"))
			e->dec = decoded_of(o, names);
	}
}

/* ---- the file ---------------------------------------------------------------------------------------- */

/* The header line: `o` is the first line's object, of type `type`. */
static int take_header(struct rt_loaded_trace *t, json_t *o, const char *type, size_t lineno, int64_t *t0,
		       struct rt_err *err)
{
	const char *fmt = json_string_value(json_object_get(o, "format"));
	json_t *vv = json_object_get(o, "version");

	if (strcmp(type, "header") != 0 || !fmt || strcmp(fmt, RT_TRACE_FORMAT) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: not an rt0trace trace (the first line must be its header)",
			       t->path, lineno);
	if (!json_is_integer(vv) || json_integer_value(vv) != RT_TRACE_VERSION) {
		if (json_is_integer(vv))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': trace format version %" JSON_INTEGER_FORMAT "; this rt0trace "
							   "reads version %d", t->path, json_integer_value(vv), RT_TRACE_VERSION);
		return rt_errf(err, RT_EXIT_INPUT, "'%s': the trace header has no format version; this rt0trace reads version %d",
			       t->path, RT_TRACE_VERSION);
	}
	if (header_t0(o, t0) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: the header's \"t0\" is not a time (an integer >= 0)", t->path,
			       lineno);
	t->header = o;
	return 0;
}

/* One line that is not a compact syscall: 0 taken (an event, the header or the footer), 1 the cut last
 * line (the trace ends here), -1 an error. Takes ownership of nothing; `ev` receives an event. */
static int slow_line(struct rt_loaded_trace *t, const char *line, ssize_t n, size_t lineno, uint64_t offset,
		     int64_t *t0, struct rt_event *ev, bool *is_event, struct rt_err *err)
{
	json_error_t je;
	json_t *o = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &je);
	const char *type, *why;
	char buf[160];

	*is_event = false;
	if (!o && line[n - 1] != '\n' && t->header) {
		/* no newline and not JSON: the writer was stopped in the middle of this line. What came
		 * before is whole; report it. (Without a complete header there is nothing to report.) */
		t->cut_line = lineno;
		t->cut_byte = offset;
		t->cut = xasprintf("cut mid-line at line %zu, byte %" PRIu64 " (a %zd-byte fragment dropped)", lineno, offset, n);
		return 1;
	}
	if (!o || !json_is_object(o)) {
		rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: not a JSON object: %s", t->path, lineno,
			o ? "another JSON value" : je.text);
		goto bad;
	}
	type = json_string_value(json_object_get(o, "type"));
	if (!type) {
		rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: an event without a \"type\"", t->path, lineno);
		goto bad;
	}
	if (!t->header) {
		if (take_header(t, o, type, lineno, t0, err) != 0)
			goto bad;
		return 0;
	}
	if (strcmp(type, "footer") == 0) {
		const json_t *lost = json_object_get(o, "lost");

		if (lost && !json_is_null(lost) && (!json_is_integer(lost) || json_integer_value(lost) < 0)) {
			rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: the footer's \"lost\" is not a count", t->path, lineno);
			goto bad;
		}
		t->footer = o;
		return 0;
	}
	if ((why = bad_numbers(o, type, *t0, buf, sizeof(buf))) != NULL) {
		rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: %.40s event: %s", t->path, lineno, type, why);
		goto bad;
	}
	from_object(ev, o, type, t->names);
	*is_event = true;
	return 0;
bad:
	json_decref(o);
	return -1;
}

static int load(const char *path, struct rt_loaded_trace *t, bool keep_all, struct rt_err *err);

int rt_trace_load(const char *path, struct rt_loaded_trace *t, struct rt_err *err)
{
	return load(path, t, false, err);
}

int rt_trace_load_all(const char *path, struct rt_loaded_trace *t, struct rt_err *err)
{
	return load(path, t, true, err);
}

static int load(const char *path, struct rt_loaded_trace *t, bool keep_all, struct rt_err *err)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, evcap = 0, lineno = 0;
	uint64_t offset = 0;
	int64_t t0 = 0;
	ssize_t n;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	t->path = xstrdup(path);
	t->names = xcalloc(1, sizeof(*t->names));
	t->names->keep_all = keep_all;
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		rt_errf(err, RT_EXIT_INPUT, "cannot open the trace '%s': %s", path, strerror(errno));
		goto out;
	}
	for (; (n = getline(&line, &cap, f)) >= 0; offset += (uint64_t)n) {
		struct rt_event ev;
		bool is_event = true;
		int r;

		lineno++;
		if (n == 1 && line[0] == '\n')
			continue;
		if (t->footer) {
			rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: data after the footer", path, lineno);
			goto out;
		}
		if (!t->header || !fast_syscall(line, (size_t)n, t0, t->names, &ev)) {
			r = slow_line(t, line, n, lineno, offset, &t0, &ev, &is_event, err);
			if (r < 0)
				goto out;
			if (r > 0)
				break;
		}
		if (is_event) {
			t->ev = xgrow(t->ev, &evcap, t->nev + 1, sizeof(*t->ev));
			t->ev[t->nev++] = ev;
		}
	}
	if (ferror(f)) {
		rt_errf(err, RT_EXIT_INPUT, "cannot read the trace '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!t->header) {
		rt_errf(err, RT_EXIT_INPUT, "'%s' is empty: no trace header", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	if (f && f != stdin)
		fclose(f);
	if (rc != 0)
		rt_trace_unload(t);
	return rc;
}

void rt_trace_unload(struct rt_loaded_trace *t)
{
	for (size_t i = 0; i < t->nev; i++)
		json_decref(t->ev[i].obj);
	free(t->ev);
	names_free(t->names);
	json_decref(t->header);
	json_decref(t->footer);
	free(t->cut);
	free(t->path);
	memset(t, 0, sizeof(*t));
}
