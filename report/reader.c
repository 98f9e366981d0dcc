/* report/reader: the one trace reader (jansson, line by line). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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

int rt_trace_load(const char *path, struct rt_loaded_trace *t, struct rt_err *err)
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
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		rt_errf(err, RT_EXIT_INPUT, "cannot open the trace '%s': %s", path, strerror(errno));
		goto out;
	}
	for (; (n = getline(&line, &cap, f)) >= 0; offset += (uint64_t)n) {
		json_error_t je;
		json_t *o;
		const char *type, *why;
		char buf[160];
		bool last = line[n - 1] != '\n';

		lineno++;
		if (n == 1 && line[0] == '\n')
			continue;
		if (t->footer) {
			rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: data after the footer", path, lineno);
			goto out;
		}
		o = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &je);
		if (!o && last && t->header) {
			/* no newline and not JSON: the writer was stopped in the middle of this line. What came
			 * before is whole; report it. (Without a complete header there is nothing to report.) */
			t->cut_line = lineno;
			t->cut_byte = offset;
			t->cut = xasprintf("cut mid-line at line %zu, byte %" PRIu64 " (a %zd-byte fragment dropped)",
					   lineno, offset, n);
			break;
		}
		if (!o || !json_is_object(o)) {
			rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: not a JSON object: %s", path, lineno,
				o ? "another JSON value" : je.text);
			json_decref(o);
			goto out;
		}
		type = json_string_value(json_object_get(o, "type"));
		if (!type) {
			rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: an event without a \"type\"", path, lineno);
			json_decref(o);
			goto out;
		}
		if (!t->header) {
			const char *fmt = json_string_value(json_object_get(o, "format"));
			json_t *vv = json_object_get(o, "version");

			if (strcmp(type, "header") != 0 || !fmt || strcmp(fmt, RT_TRACE_FORMAT) != 0) {
				rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: not an rt0trace trace (the first line must be "
							    "its header)", path, lineno);
				json_decref(o);
				goto out;
			}
			if (!json_is_integer(vv) || json_integer_value(vv) != RT_TRACE_VERSION) {
				if (json_is_integer(vv))
					rt_errf(err, RT_EXIT_INPUT, "'%s': trace format version %" JSON_INTEGER_FORMAT "; this "
								    "rt0trace reads version %d", path, json_integer_value(vv), RT_TRACE_VERSION);
				else
					rt_errf(err, RT_EXIT_INPUT, "'%s': the trace header has no format version; this "
								    "rt0trace reads version %d", path, RT_TRACE_VERSION);
				json_decref(o);
				goto out;
			}
			if (header_t0(o, &t0) != 0) {
				rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: the header's \"t0\" is not a time (an integer >= 0)",
					path, lineno);
				json_decref(o);
				goto out;
			}
			t->header = o;
			continue;
		}
		if (strcmp(type, "footer") == 0) {
			const json_t *lost = json_object_get(o, "lost");

			if (lost && !json_is_null(lost) && (!json_is_integer(lost) || json_integer_value(lost) < 0)) {
				rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: the footer's \"lost\" is not a count", path, lineno);
				json_decref(o);
				goto out;
			}
			t->footer = o;
			continue;
		}
		if ((why = bad_numbers(o, type, t0, buf, sizeof(buf))) != NULL) {
			rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: %.40s event: %s", path, lineno, type, why);
			json_decref(o);
			goto out;
		}
		t->ev = xgrow(t->ev, &evcap, t->nev + 1, sizeof(*t->ev));
		t->ev[t->nev++] = o;
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
		json_decref(t->ev[i]);
	free(t->ev);
	json_decref(t->header);
	json_decref(t->footer);
	free(t->cut);
	free(t->path);
	memset(t, 0, sizeof(*t));
}
