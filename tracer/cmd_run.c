/* rt0trace run: trace a program's startup into a trace file (docs/formats.md "Trace file"). */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/outfile.h"
#include "common/ready.h"
#include "probes/binary.h"
#include "common/traceparent.h"
#include "common/xalloc.h"
#include "probes/plan.h"
#include "tracer/cmd.h"
#include "tracer/engine.h"

static const char run_usage[] =
	"usage: rt0trace run [--engine ptrace|ebpf|preload] [-o TRACE] [-e trace=SET] [--manifest FILE]\n"
	"                    [--until main|exit] [--init-functions] [--raw] [-f | --no-follow] [--kill-on-exit]\n"
	"                    [--ready main|listen|accept|fd-write:N|SYMBOL]\n"
	"                    [-v] (-- PROGRAM [ARGS...] | -p PID)\n"
	"\n"
	"Runs PROGRAM under the tracer from its first instruction and writes a trace: every syscall, thread,\n"
	"process, exec and signal, the moments its startup phases begin (entry, runtime bootstrap, each\n"
	"package's init, main.main), its memory layout at main, and a crash's backtraces. The program's\n"
	"output and exit status are its own; rt0trace exits with the program's status (128+signal).\n"
	"\n"
	"options:\n"
	"  --engine E        ptrace (default; no privileges), ebpf (root or CAP_BPF+CAP_PERFMON, kernel BTF;\n"
	"                    low overhead, follows 'runc run' into a container) or preload (LD_PRELOAD, no\n"
	"                    ptrace, no privileges; dynamically linked programs only)\n"
	"  -o TRACE          write the trace here (default trace.jsonl; '-' for standard output)\n"
	"  -e trace=SET, --trace SET\n"
	"                    record only these syscalls, as strace's -e trace= (names, %file, %desc, %network,\n"
	"                    %process, %signal, %memory, %ipc, %creds, all, none, !SET); under ptrace a\n"
	"                    seccomp filter, as strace's --seccomp-bpf\n"
	"  --manifest FILE   the manifest 'rt0trace build --manifest' wrote for PROGRAM: refused unless its Go\n"
	"                    build ID is PROGRAM's; gives a stripped PROGRAM (no .symtab) its placed\n"
	"                    package-init order, so the report checks the init order\n"
	"  --until main      stop tracing at main.main (main): detach and let the program go on untraced\n"
	"  --until exit      trace to the end (default)\n"
	"  -p PID            attach to a running process (every thread) instead of starting PROGRAM\n"
	"  --init-functions  a probe on every Go init function, not one a package\n"
	"  --raw             syscalls as raw numbers only: no decoded call and result (strace's text), so the\n"
	"                    program's memory is not read for them\n"
	"  --ready SPEC      where the program counts as ready, recorded in the trace's header for 'report'\n"
	"                    (its critical path's 'main \u2192 ready' step; 'report --ready' says more). A SYMBOL\n"
	"                    gets a probe (ptrace, ebpf) in each program that has the function; without -f the\n"
	"                    program itself must have it\n"
	"  -f                also follow child processes (fork/vfork); threads are always followed\n"
	"  --no-follow       (preload) leave children and exec'd programs untraced\n"
	"  --kill-on-exit    if rt0trace is interrupted, kill the program instead of detaching from it\n"
	"  -v                show the engine library's messages (libbpf's, with --engine ebpf)\n"
	"  -h, --help        show this help\n"
	"\n"
	"exit codes: the program's status; 2 usage error; 3 the program is missing or not executable, no such\n"
	"process for -p, the trace cannot be written, a static program for --engine preload, or the manifest\n"
	"is unreadable, invalid or another binary's, or --ready's SYMBOL is no function of PROGRAM (without\n"
	"-f); 4 the engine cannot work here (the reason is given). In\n"
	"depth: man rt0trace-run.\n";

/* A program that gains privileges at exec (set-user-ID, set-group-ID, file capabilities) does not run
 * the same under every engine: say what tracing changes before it starts. */
static void warn_privileged(const struct rt_engine *engine, const char *name)
{
	struct stat st;
	char *prog = rt_find_program(name, NULL), what[160];
	bool suid, sgid, caps;

	if (!prog || stat(prog, &st) != 0) {
		free(prog);
		return; /* the engine says why it cannot run it */
	}
	suid = (st.st_mode & S_ISUID) && st.st_uid != getuid();
	sgid = (st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != getgid();
	/* file capabilities add nothing to root's (no secure mode, nothing for ptrace to take away) */
	caps = geteuid() != 0 && getxattr(prog, "security.capability", NULL, 0) > 0;
	snprintf(what, sizeof(what), "%s%s%s", suid ? "set-user-ID" : "", suid && (sgid || caps) ? ", " : "",
		 sgid && caps ? "set-group-ID, has file capabilities" : sgid ? "set-group-ID" : caps ? "has file capabilities" : "");
	if (!suid && !sgid && !caps)
		;
	else if (engine->run == rt_ptrace_run && geteuid() != 0)
		fprintf(stderr, "rt0trace: warning: '%s' is %s: traced with ptrace by a user without CAP_SYS_PTRACE, "
				"the kernel runs it without the privileges it gains at exec (as uid %d), so it may fail or "
				"behave otherwise than untraced; run rt0trace as root, or use --engine ebpf\n",
			prog, what, (int)getuid());
	else if (engine->run == rt_preload_run)
		fprintf(stderr, "rt0trace: warning: '%s' is %s: the dynamic loader runs it in secure mode, which "
				"ignores LD_PRELOAD unless its real and effective IDs agree; use --engine ptrace or "
				"--engine ebpf\n", prog, what);
	free(prog);
}

/* --manifest: read, checked to be the program's (or the attached process's) by its Go build ID, and given
 * to the probe plan (probes/plan.h), which every engine makes. */
static int use_manifest(const struct rt_run_opts *o, struct rt_manifest *m, struct rt_err *err)
{
	char exe[64], *prog;
	int rc;

	if (rt_manifest_load(o->manifest, m, err) != 0)
		return -1;
	if (o->attach) {
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)o->attach);
		prog = xstrdup(exe);
	} else if (!(prog = rt_find_program(o->argv[0], NULL))) {
		return 0; /* the engine says why it cannot run it */
	}
	rc = rt_manifest_check(m, prog, o->attach ? exe : o->argv[0], err);
	free(prog);
	if (rc != 0)
		rt_manifest_release(m);
	else
		rt_probe_plan_manifest(m);
	return rc;
}

/* --ready SYMBOL without -f: the program itself must have the function, or the readiness point could never
 * be reached. With -f it may be another program's (a container's, started by runc). */
static int check_ready_symbol(const struct rt_run_opts *o, struct rt_err *err)
{
	char exe[64], *prog = NULL;
	struct rt_binary *b = NULL;
	struct rt_probe_plan plan = { 0 };
	bool found;

	if (!o->ready_symbol || o->follow_forks)
		return 0;
	if (o->attach)
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)o->attach);
	else if (!(prog = rt_find_program(o->argv[0], NULL)))
		return 0; /* the engine says why it cannot run it */
	if (rt_binary_open(&b, prog ? prog : exe, NULL) != 0) {
		free(prog);
		return 0; /* the engine says what is wrong with it */
	}
	found = rt_probe_plan_ready(b, o->ready_symbol, &plan);
	rt_probe_plan_free(&plan);
	rt_binary_free(b);
	if (!found)
		rt_errf(err, RT_EXIT_INPUT, "--ready '%s': no such function in '%s' (the readiness probe needs its symbol; "
					    "with -f it may be another program's)", o->ready_symbol, prog ? prog : exe);
	free(prog);
	return found ? 0 : -1;
}

/* The TRACEPARENT the program runs with (W3C trace context), for the header's "traceparent": rt0trace's own
 * environment, which the program inherits; with -p, the attached process's (/proc/PID/environ, as it
 * was at its exec). An invalid value is left out with a warning; `buf` holds the value returned. */
static const char *traceparent(pid_t attach, char *buf, size_t size)
{
	const char *v = NULL, *p;
	struct rt_traceparent tp;
	char path[64], *env = NULL;
	size_t len = 0;
	FILE *f;

	if (!attach) {
		v = getenv("TRACEPARENT");
	} else {
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)attach);
		if ((f = fopen(path, "re"))) {
			env = xmalloc(65536);
			len = fread(env, 1, 65535, f);
			env[len] = '\0';
			fclose(f);
			for (p = env; p < env + len; p += strlen(p) + 1)
				if (strncmp(p, "TRACEPARENT=", 12) == 0)
					v = p + 12;
		}
	}
	if (v && !rt_traceparent_parse(v, &tp)) {
		fprintf(stderr, "rt0trace: warning: TRACEPARENT '%.80s' is not a W3C traceparent "
				"(00-<32 hex>-<16 hex>-<2 hex>): the trace does not record it\n", v);
		v = NULL;
	}
	if (v)
		snprintf(buf, size, "%s", v);
	free(env);
	return v ? buf : NULL;
}

/* The rest of cmd_run, once its options are read. */
static int run_parsed(struct rt_run_opts *o, const struct rt_engine *engine, int argc, char **argv)
{
	struct rt_err err = { 0 };
	struct rt_manifest manifest = { 0 };
	char tpbuf[256];
	int status = 0, rc;

	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind == argc && !o->attach)
		return cmd_usage_error("run", "missing PROGRAM (rt0trace run [OPTIONS] -- PROGRAM [ARGS...])");
	if (optind < argc && o->attach)
		return cmd_usage_error("run", "give either -p PID or a PROGRAM, not both");
	if (o->follow_forks && o->no_follow)
		return cmd_usage_error("run", "give either -f or --no-follow, not both");
	if (engine->run == rt_preload_run && o->attach)
		return cmd_usage_error("run", "the preload engine cannot attach (-p): LD_PRELOAD takes effect at exec; "
					      "use --engine ptrace or ebpf");
	o->argv = optind < argc ? argv + optind : NULL;
	/* -o -: the trace has standard output to itself; the program's own standard output goes to
	 * standard error, so `rt0trace run -o - -- prog | rt0trace report -` reads a clean trace. */
	if (strcmp(o->trace_path, "-") == 0 && !o->attach && rt_outfile_detach_stdout() != 0) {
		rt_errf(&err, RT_EXIT_ENV, "cannot keep standard output for the trace: %s", strerror(errno));
		return rt_err_report(&err);
	}
	if (o->manifest && use_manifest(o, &manifest, &err) != 0)
		return rt_err_report(&err);
	if (check_ready_symbol(o, &err) != 0) {
		rt_manifest_release(&manifest);
		return rt_err_report(&err);
	}
	if (o->argv)
		warn_privileged(engine, o->argv[0]);
	o->traceparent = traceparent(o->attach, tpbuf, sizeof(tpbuf));
	rc = engine->run(o, &status, &err);
	rt_probe_plan_manifest(NULL);
	rt_manifest_release(&manifest);
	return rc != 0 ? rt_err_report(&err) : status;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "engine", required_argument, NULL, 'E' },
		{ "trace", required_argument, NULL, 'T' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "until", required_argument, NULL, 'u' },
		{ "kill-on-exit", no_argument, NULL, 'k' },
		{ "no-follow", no_argument, NULL, 'N' },
		{ "init-functions", no_argument, NULL, 'I' },
		{ "raw", no_argument, NULL, 'R' },
		{ "ready", required_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rt_run_opts o = { .trace_path = "trace.jsonl" };
	struct rt_err err = { 0 };
	const struct rt_engine *engine = rt_engine_find("ptrace");
	struct rt_sysfilter filter = { 0 };
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:fp:e:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
		case 'T':
			if (filter.expr) {
				rc = cmd_usage_error("run", "give one syscall set (-e trace=SET or --trace SET)");
				goto done;
			}
			if (rt_sysfilter_parse(&filter, optarg, &err) != 0) {
				rc = rt_err_report(&err);
				goto done;
			}
			o.syscalls = &filter;
			break;
		case 'E':
			if (!(engine = rt_engine_find(optarg))) {
				rc = cmd_usage_error("run", "unknown engine '%s' (available: %s)", optarg, rt_engine_names());
				goto done;
			}
			break;
		case 'v': o.verbose = true; break;
		case 'o': o.trace_path = optarg; break;
		case 'm': o.manifest = optarg; break;
		case 'u':
			if (strcmp(optarg, "main") == 0)
				o.until_main = true;
			else if (strcmp(optarg, "exit") != 0) {
				rc = cmd_usage_error("run", "--until takes 'main' or 'exit', not '%s'", optarg);
				goto done;
			}
			break;
		case 'f': o.follow_forks = true; break;
		case 'N': o.no_follow = true; break;
		case 'I': o.init_functions = true; break;
		case 'R': o.raw = true; break;
		case 'Y': {
			struct rt_ready rd;

			if (rt_ready_parse(optarg, &rd, &err) != 0) {
				rc = cmd_usage_error("run", "%s", err.msg);
				goto done;
			}
			o.ready = optarg;
			o.ready_symbol = rd.kind == RT_READY_SYMBOL ? optarg : NULL;
			break;
		}
		case 'k': o.kill_on_exit = true; break;
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v <= 0) {
				rc = cmd_usage_error("run", "-p wants a process ID, not '%s'", optarg);
				goto done;
			}
			o.attach = (pid_t)v;
			break;
		}
		case 'h':
			fputs(run_usage, stdout);
			rc = RT_EXIT_OK;
			goto done;
		default:
			if (optopt == 'Y') {
				rc = cmd_usage_error("run", "option '--ready' needs an argument");
				goto done;
			}
			if (optopt && strchr("ope", optopt)) {
				rc = cmd_usage_error("run", "option '-%c' needs an argument", optopt);
				goto done;
			}
			rc = cmd_unknown_option("run", argv);
			goto done;
		}
	}
	rc = run_parsed(&o, engine, argc, argv);
done:
	rt_sysfilter_release(&filter);
	return rc;
}
