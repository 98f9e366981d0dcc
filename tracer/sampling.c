/* tracer/sampling: N traced runs into a struct rt_bench (see sampling.h). */
#include "tracer/sampling.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "report/report.h"
#include "tracer/cmd.h"
#include "tracer/hwcount.h"

/* The machine and the binary a baseline belongs to. */
static json_t *environment(const struct rt_report *r)
{
	json_t *env = json_object();
	const json_t *bin = r->bin;
	struct utsname u;
	char host[256] = "", *cpuinfo, *model = NULL, *data = NULL;
	const char *path = json_string_value(json_object_get(bin, "path"));
	size_t len = 0;

	if (uname(&u) == 0)
		json_object_set_new(env, "kernel", json_sprintf("%s %s %s", u.sysname, u.release, u.machine));
	json_object_set_new(env, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	if ((cpuinfo = rt_slurp("/proc/cpuinfo")) != NULL) {
		char *m = strstr(cpuinfo, "model name");

		if (m && (m = strchr(m, ':')) != NULL) {
			m += 1 + strspn(m + 1, " \t");
			model = xstrndup(m, strcspn(m, "\n"));
		}
		free(cpuinfo);
	}
	json_object_set_new(env, "cpu_model", json_string(model ? model : "unknown"));
	free(model);
	gethostname(host, sizeof(host) - 1);
	json_object_set_new(env, "hostname", json_string(host));
	json_object_set_new(env, "binary", json_string(path ? path : "?"));
	if (path && rt_read_file(path, &data, &len) == 0) {
		uint8_t d[32];
		char hex[65];

		sha256(data, len, d);
		sha256_hex(d, hex);
		json_object_set_new(env, "binary_sha256", json_string(hex));
		free(data);
	}
	json_object_set_new(env, "build_id", json_deep_copy(json_object_get(bin, "build_id")));
	json_object_set_new(env, "go_version", json_deep_copy(json_object_get(bin, "go_version")));
	{
		const char *why = rt_hw_unavailable();

		if (why)
			json_object_set_new(env, "hw_counters", json_sprintf("none: %s", why));
		else
			json_object_set_new(env, "hw_counters", json_string(r->has_instructions ? "instructions" : "instructions, not counted by this engine"));
	}
	if (r->syscall_filter) /* the syscalls recorded: under ptrace, the ones that stopped the program */
		json_object_set_new(env, "syscall_filter", json_string(r->syscall_filter));
	return env;
}

/* Whether the tracer planned a probe at main that its engine can observe (the header's
 * binary.probes[] with role "main", not "observable": false): not in a binary stripped of its symbols,
 * nor a Go program's main.main under the preload engine. */
static bool main_planned(const json_t *bin)
{
	size_t i;
	const json_t *p;

	json_array_foreach(json_object_get(bin, "probes"), i, p) {
		const char *role = json_string_value(json_object_get(p, "role"));

		if (role && strcmp(role, "main") == 0 && !json_is_false(json_object_get(p, "observable")))
			return true;
	}
	return false;
}

/* The syscalls a sampled run records (RT_SYSFILTER_SAMPLING), parsed once; it lives as long as the
 * process. */
static const struct rt_sysfilter *sampling_filter(void)
{
	static struct rt_sysfilter f;
	static bool parsed;
	struct rt_err err = { 0 };

	if (!parsed && rt_sysfilter_parse(&f, RT_SYSFILTER_SAMPLING, &err) != 0)
		abort(); /* a constant of ours that libseccomp's table resolves */
	parsed = true;
	return &f;
}

int sampling_run(const struct sampling *s, int i, struct rt_bench *b, struct rt_err *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char *path = xasprintf("%s/rt0trace-bench-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	struct rt_run_opts o = { .argv = s->argv, .trace_path = path, .syscalls = sampling_filter() };
	struct rt_loaded_trace t;
	struct rt_report *r;
	int fd = mkstemp(path), saved[2] = { -1, -1 }, status = 0, rc;

	if (fd < 0) {
		rc = rt_errf(err, RT_EXIT_ENV, "cannot create a scratch trace in '%s': %s", tmpdir ? tmpdir : "/tmp", strerror(errno));
		free(path);
		return rc;
	}
	close(fd);
	if (!s->show_output) { /* the program's stdout and stderr (inherited) go to /dev/null */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		fflush(stdout);
		fflush(stderr);
		saved[0] = dup(1);
		saved[1] = dup(2);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
			close(null);
		}
	}
	rc = s->engine->run(&o, &status, err);
	if (saved[0] >= 0) {
		dup2(saved[0], 1);
		dup2(saved[1], 2);
		close(saved[0]);
		close(saved[1]);
	}
	if (rc == 0 && (rc = rt_trace_load(path, &t, err)) == 0) {
		r = rt_report_build(&t, NULL, "main", err); /* the root, ready at main: never fails */
		if (!r->complete)
			rc = rt_errf(err, RT_EXIT_CHECK, "the trace is incomplete (interrupted?)");
		else if (s->main_optional && !r->main_at && !main_planned(r->bin) && r->exited && r->exit_signal < 0 && !r->crash)
			rt_bench_add_resources(b, r); /* it ran to its exit; where main began cannot be seen */
		else
			rc = rt_bench_add_run(b, r, err);
		if (rc == 0 && !b->env)
			b->env = environment(r);
		rt_report_free(r);
		rt_trace_unload(&t);
	}
	unlink(path);
	free(path);
	if (rc != 0 && err->exit == RT_EXIT_CHECK) /* what the program did in that run */
		rt_err_prefix(err, "run %d of %d", i + 1, s->runs);
	return rc;
}

void sampling_begin(const struct sampling *s, struct rt_bench *b)
{
	rt_bench_init(b);
	b->engine = xstrdup(s->engine->name);
	b->argv = json_array();
	for (char **a = s->argv; *a; a++)
		json_array_append_new(b->argv, json_string(*a));
}

int sample(const struct sampling *s, struct rt_bench *b, struct rt_err *err)
{
	sampling_begin(s, b);
	for (int i = 0; i < s->runs; i++)
		if (sampling_run(s, i, b, err) != 0) {
			rt_bench_release(b);
			return -1;
		}
	return 0;
}

int common_opt(const char *cmd, int c, struct sampling *s)
{
	char *end;
	long v;

	switch (c) {
	case 'n':
		v = strtol(optarg, &end, 10);
		if (*end || v < 3 || v > 100000)
			return cmd_usage_error(cmd, "-n wants a number of runs, at least 3, not '%s'", optarg);
		s->runs = (int)v;
		return 0;
	case OPT_ENGINE:
		if (!(s->engine = rt_engine_find(optarg)))
			return cmd_usage_error(cmd, "unknown engine '%s' (available: %s)", optarg, rt_engine_names());
		return 0;
	case OPT_SHOW:
		s->show_output = true;
		return 0;
	}
	return 1;
}

int program_args(const char *cmd, int argc, char **argv, struct sampling *s)
{
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind == argc)
		return cmd_usage_error(cmd, "missing PROGRAM (rt0trace %s [OPTIONS] -- PROGRAM [ARGS...])", cmd);
	s->argv = argv + optind;
	return 0;
}

const char *fmt_value(char *buf, size_t n, const char *name, double v)
{
	const char *unit = rt_metric_unit(name);

	if (strcmp(unit, "ns") == 0)
		snprintf(buf, n, "%8.3f ms", v / 1e6);
	else if (strcmp(unit, "KiB") == 0)
		snprintf(buf, n, "%7.0f KiB", v);
	else
		snprintf(buf, n, "%11.0f", v);
	return buf;
}

const char *cmp_verdict(const struct rt_cmp *c)
{
	if (!c->compared)
		return "not compared";
	if (!c->judged)
		return c->regressed ? "higher" : c->improved ? "lower" : "same";
	return c->regressed ? "regressed" : c->undecided ? "undecided" : c->improved ? "improved" : "ok";
}
