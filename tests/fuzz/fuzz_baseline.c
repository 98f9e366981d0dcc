/* libFuzzer: the baseline reader on any input, then what `check` does with a baseline: the comparison
 * (bootstrap intervals, for up to 4 metrics and 48 samples: each metric is compared alone, so larger
 * inputs only take longer), the drift yardstick, the confirmation of
 * a second round, and the baseline written back as JSON. */
#include <unistd.h>

#include "fuzz_common.h"
#include "report/baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	struct rt_err err = { 0 };
	struct rt_bench b;

	if (rt_bench_load(path, &b, &err) == 0) {
		size_t total = 0;
		struct rt_drift d;
		json_t *j;
		char *s;

		for (size_t i = 0; i < b.n; i++)
			total += b.m[i].n;
		if (b.n <= 4 && total <= 48) {
			struct rt_cmp *rows = NULL, *again = NULL;
			size_t n = rt_bench_compare(&b, &b, 0.10, 5e6, 1.0, RT_M_ALL, &rows);
			size_t n2 = rt_bench_compare(&b, &b, 0.10, 5e6, 1.3, RT_M_WALL, &again);

			(void)rt_bench_confirm(again, n2, rows, n);
			free(rows);
			free(again);
		}
		(void)rt_bench_drift(&b, &b, &d);
		{
			/* more runs of the same program, as check's second round adds them */
			struct rt_bench more;

			rt_bench_init(&more);
			rt_bench_merge(&more, &b);
			rt_bench_merge(&more, &b);
			rt_bench_release(&more);
		}
		j = rt_bench_json(&b);
		s = json_dumps(j, JSON_COMPACT);
		free(s);
		json_decref(j);
		rt_bench_release(&b);
	}
	close(fd);
	return 0;
}
