/* report/benchstat: Go benchmark lines of a bench's samples (see benchstat.h). */
#include "report/benchstat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* `s` with its characters that would end a name, or split a line, replaced: "init x" -> "init=x". */
static char *bench_name(const char *s)
{
	char *n = xstrdup(s);
	bool first = true;

	for (char *p = n; *p; p++)
		if (*p == ' ' && first) {
			*p = '=';
			first = false;
		} else if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			*p = '_';
		}
	return n;
}

/* A configuration line's value: one line, printable. */
static void config(FILE *f, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	fprintf(f, "%s: ", key);
	for (const char *p = value; *p; p++)
		fputc((unsigned char)*p < ' ' || *p == 0x7f ? '?' : *p, f);
	fputc('\n', f);
}

/* The Go architecture name of a `uname -m` machine. */
static const char *goarch(const char *machine)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" }, { "i386", "386" }, { "armv7l", "arm" },
		{ "armv6l", "arm" }, { "s390x", "s390x" }, { "ppc64le", "ppc64le" }, { "riscv64", "riscv64" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(machine, map[i][0]) == 0)
			return map[i][1];
	return machine;
}

/* One value of metric `name` for run k, as " V unit", when the metric has a k-th sample. */
static bool value(FILE *f, const struct rt_bench *b, const char *name, size_t k, const char *unit)
{
	const struct rt_metric *m = rt_bench_metric(b, name);

	if (!m || k >= m->n)
		return false;
	fprintf(f, " %.0f %s", m->ns[k], unit);
	return true;
}

int rt_bench_benchstat(FILE *f, const struct rt_bench *b)
{
	const json_t *env = b->env;
	const char *kernel = json_string_value(json_object_get(env, "kernel"));
	json_int_t cpus = json_integer_value(json_object_get(env, "cpus"));
	char suffix[32] = "";

	config(f, "goos", "linux");
	if (kernel && strrchr(kernel, ' '))
		config(f, "goarch", goarch(strrchr(kernel, ' ') + 1));
	config(f, "pkg", json_string_value(json_object_get(env, "binary")));
	config(f, "cpu", json_string_value(json_object_get(env, "cpu_model")));
	config(f, "engine", b->engine);
	if (cpus > 0)
		snprintf(suffix, sizeof(suffix), "-%" JSON_INTEGER_FORMAT, cpus);
	for (size_t k = 0; k < b->runs; k++) {
		char *line = NULL;
		size_t len = 0;
		FILE *l;
		bool any;

		for (size_t i = 0; i < b->n; i++) {
			const char *name = b->m[i].name;
			char *cpu, *nowait, *bn;

			if (rt_metric_kind(name) != RT_M_WALL)
				continue;
			cpu = xasprintf("cpu:%s", name);
			nowait = xasprintf("nowait:%s", name);
			bn = bench_name(name);
			l = open_memstream(&line, &len);
			if (!l)
				abort();
			any = value(l, b, name, k, "wall-ns/op");
			any |= value(l, b, cpu, k, "cpu-ns/op");
			any |= value(l, b, nowait, k, "nowait-ns/op");
			fclose(l);
			if (any)
				fprintf(f, "BenchmarkStartup%s%s%s 1%s\n", strcmp(name, "startup") == 0 ? "" : "/",
					strcmp(name, "startup") == 0 ? "" : bn, suffix, line);
			free(line);
			line = NULL;
			free(cpu);
			free(nowait);
			free(bn);
		}
		l = open_memstream(&line, &len);
		if (!l)
			abort();
		any = false;
		for (size_t i = 0; i < b->n; i++) {
			const char *name = b->m[i].name, *unit = rt_metric_unit(name);
			char *u, *p;

			if (rt_metric_kind(name) != RT_M_RUN)
				continue;
			u = xasprintf("%s%s", name + 4, strcmp(unit, "ns") == 0 ? "-ns/op" : strcmp(unit, "KiB") == 0 ? "-KiB" : "/op");
			for (p = u; *p; p++)
				if (*p == '_' || (unsigned char)*p <= ' ')
					*p = '-';
			any |= value(l, b, name, k, u);
			free(u);
		}
		fclose(l);
		if (any)
			fprintf(f, "BenchmarkRun%s 1%s\n", suffix, line);
		free(line);
	}
	return fflush(f) != 0 || ferror(f) ? -1 : 0;
}
