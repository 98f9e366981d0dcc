/* libFuzzer: the trace reader on any input, then the analyses (the root's report, and --program for the
 * first exec's program) and every renderer (text, json, perfetto, html, otlp) into /dev/null. */
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "fuzz_common.h"
#include "report/baseline.h"
#include "report/report.h"

static FILE *devnull;

static void render_all(const struct rt_report *r)
{
	static const char *const names[] = { "text", "json", "perfetto", "html", "otlp" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct rt_renderer *rnd = rt_renderer_find(names[i]);

		(void)rnd->render(r, devnull);
		fflush(devnull);
		clearerr(devnull);
	}
	(void)rt_report_all_ok(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	struct rt_err err = { 0 };
	struct rt_loaded_trace t;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	if (rt_trace_load(path, &t, &err) == 0) {
		struct rt_report *r = rt_report_build(&t, NULL, NULL, &err);
		const char *prog = NULL;

		if (!r && err.exit == RT_EXIT_INPUT && strstr(err.msg, "\"ready\"")) {
			rt_trace_unload(&t); /* a header "ready" that is not a readiness point: refused */
			close(fd);
			return 0;
		}
		if (!r)
			abort(); /* the root's report never fails otherwise */
		render_all(r);
		{
			/* what bench and check take from each run */
			struct rt_bench b;
			struct rt_err e2 = { 0 };

			rt_bench_init(&b);
			(void)rt_bench_add_run(&b, r, &e2);
			rt_bench_release(&b);
		}
		rt_report_free(r);
		for (size_t k = 0; k < t.nev && !prog; k++)
			if (t.ev[k].type == RT_ET_EXEC)
				prog = json_get_str(t.ev[k].obj, "path");
		if (prog && *prog) {
			struct rt_err e3 = { 0 };

			if ((r = rt_report_build(&t, prog, NULL, &e3)) != NULL) {
				render_all(r);
				rt_report_free(r);
			}
		}
		rt_trace_unload(&t);
	}
	close(fd);
	return 0;
}
