/* report/reader: the one trace reader (jansson, line by line). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "report/report.h"

#define TRACE_FORMAT "rt0trace-trace"
#define TRACE_VERSION 1

int rt_trace_load(const char *path, struct rt_loaded_trace *t, struct rt_err *err)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, evcap = 0, lineno = 0;
	ssize_t n;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	t->path = xstrdup(path);
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		rt_errf(err, RT_EXIT_INPUT, "cannot open the trace '%s': %s", path, strerror(errno));
		goto out;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		json_error_t je;
		json_t *o;
		const char *type;

		lineno++;
		if (n == 0 || (n == 1 && line[0] == '\n'))
			continue;
		if (t->footer) {
			rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: data after the footer", path, lineno);
			goto out;
		}
		o = json_loads(line, JSON_REJECT_DUPLICATES, &je);
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
			json_int_t v = json_integer_value(json_object_get(o, "version"));

			if (strcmp(type, "header") != 0 || !fmt || strcmp(fmt, TRACE_FORMAT) != 0) {
				rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: not an rt0trace trace (the first line must be "
							    "its header)", path, lineno);
				json_decref(o);
				goto out;
			}
			if (v != TRACE_VERSION) {
				rt_errf(err, RT_EXIT_INPUT, "'%s': trace format version %lld; this rt0trace reads version %d",
					path, (long long)v, TRACE_VERSION);
				json_decref(o);
				goto out;
			}
			t->header = o;
			continue;
		}
		if (strcmp(type, "footer") == 0) {
			t->footer = o;
			continue;
		}
		if (!json_is_integer(json_object_get(o, "t"))) {
			rt_errf(err, RT_EXIT_INPUT, "'%s' line %zu: a %s event without a time \"t\"", path, lineno, type);
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
	free(t->path);
	memset(t, 0, sizeof(*t));
}
