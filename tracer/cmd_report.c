/* rt0trace report: render a trace and its checks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/outfile.h"
#include "common/ready.h"
#include "report/otlp.h"
#include "report/report.h"
#include "tracer/cmd.h"

static const char report_usage[] =
	"usage: rt0trace report [--format text|json|perfetto|html|strace|otlp] [-o OUT] [--program NAME]\n"
	"                      [--ready main|listen|accept|fd-write:N|SYMBOL] [--otlp-endpoint URL] TRACE\n"
	"\n"
	"Reads a trace written by 'rt0trace run' ('-' for standard input) and reports: the startup phases\n"
	"with their start and duration, the syscalls of each phase and of the whole run (like strace -c),\n"
	"the address-space layout at main.main with each mapping classified (text, rodata, data, bss,\n"
	"go-heap, heap, stack, vdso, file, anonymous), the package-init order observed against the order the\n"
	"linker placed, and the checks: entry, phases in order, init order, layout, Go heap arena, no crash,\n"
	"no lost events, trace complete — each with its evidence; a check the engine could not observe (the\n"
	"preload engine and a Go program's package inits) is marked '\u2013 ... not observed by the preload\n"
	"engine' and does not fail the report. When the program died of a crash, a CRASH\n"
	"section comes first: the phase (and the Go package whose init was running), the signal or panic\n"
	"message, the function it died in, the registers and every thread's backtrace. When the engine\n"
	"decoded the syscalls (ptrace), what each phase touched: the files it opened and looked up (with\n"
	"the fd or the errno), the sockets it connected or bound, the programs it (or a child it forked)\n"
	"executed, the first 50 of each.\n"
	"\n"
	"The report is about the trace's root process (the first exec, or the process attached to) until it\n"
	"execs another program. --program reports another program the trace followed into instead (a\n"
	"child's exec with 'run -f', or the root's own later exec): its first exec, that process until its\n"
	"next exec, its phases timed from that exec, its syscalls only. That exec must carry the program's\n"
	"binary details in the trace.\n"
	"\n"
	"options:\n"
	"  --format F   text (default) or json (shape: docs/formats.md, 'rt0trace report --format json')\n"
	"               perfetto: Chrome trace JSON for ui.perfetto.dev and chrome://tracing (a track per\n"
	"               thread, the phases, syscalls as slices, layout changes, probes, crashes)\n"
	"               html: one self-contained page (inline SVG timeline and layout, no network)\n"
	"               strace: every syscall a line, as 'strace -f -T' prints it (the decoded call and\n"
	"               result; raw arguments where the engine decoded none), with the time since t0\n"
	"               otlp: OpenTelemetry OTLP/JSON (an ExportTraceServiceRequest): a root span for\n"
	"               the startup, a span per process and per phase, the checks as span events\n"
	"  -o OUT       write the report to OUT (default standard output)\n"
	"  --program NAME\n"
	"               analyse the first exec of NAME: its path, or that path's last component\n"
	"               ('diamond' names /tmp/b/rootfs/diamond)\n"
	"  --ready SPEC the critical path's readiness point, in the program it ends in (or a process it\n"
	"               started): main (default: main.main, C main), listen (the first listen that\n"
	"               succeeded), accept (the first accept/accept4 that returned), fd-write:N (the first\n"
	"               write/writev/pwrite64 to fd N that succeeded), or SYMBOL (the first hit of its probe,\n"
	"               'run --ready SYMBOL' plants it). The path then has a 'main \u2192 ready' step; a point\n"
	"               the trace does not have is said so, and the path ends at main. Overrides the\n"
	"               trace header's \"ready\" (written by 'run --ready')\n"
	"  --otlp-endpoint URL\n"
	"               also send the report as OTLP/JSON over HTTP POST to a collector's OTLP/HTTP\n"
	"               receiver (URL without a path: /v1/traces is appended). Without it, the\n"
	"               environment's OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) or\n"
	"               OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces) sends it too, unless\n"
	"               OTEL_TRACES_EXPORTER=none; OTEL_EXPORTER_OTLP_HEADERS adds headers and\n"
	"               OTEL_SERVICE_NAME names the service. A connection failure, 429, 502, 503 or\n"
	"               504 is tried again (3 attempts in all); the trace file is never changed\n"
	"  -h, --help   show this help\n"
	"\n"
	"The OTLP trace's IDs come from the trace (the same trace, the same IDs), or from the TRACEPARENT\n"
	"the program ran with ('run' records it): then the startup is a child of that span.\n"
	"\n"
	"exit codes: 0 no check failed, 1 a check failed (the report is still written), 2 usage error,\n"
	"3 the trace is unreadable or malformed (the message names the line: not JSON, or numbers that make\n"
	"no sense, such as a negative time or duration), or has no exec of --program's NAME (the message\n"
	"lists the programs it has), or its header's \"ready\" is not a readiness point; a bad --ready is a\n"
	"usage error (2). A trace cut mid-line (its tracer killed while writing) is reported up to\n"
	"its last complete line and flagged partial (its 'trace complete' check fails); 4 an OTEL_EXPORTER_OTLP_*\n"
	"endpoint that is not an http(s) URL; 6 the OTLP export failed (the collector could not be reached\n"
	"or refused the trace; the report was still written).\n";

enum { OPT_PROGRAM = 256, OPT_READY, OPT_OTLP_ENDPOINT }; /* long option only: beyond any short option's character */

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "program", required_argument, NULL, OPT_PROGRAM },
		{ "ready", required_argument, NULL, OPT_READY },
		{ "otlp-endpoint", required_argument, NULL, OPT_OTLP_ENDPOINT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct rt_renderer *rnd = rt_renderer_find("text");
	const char *out = NULL, *program = NULL, *ready = NULL, *endpoint_flag = NULL;
	struct rt_ready rd;
	char *endpoint = NULL;
	struct rt_loaded_trace t;
	struct rt_err err = { 0 };
	struct rt_report *r;
	struct rt_outfile of;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (!(rnd = rt_renderer_find(optarg)))
				return cmd_usage_error("report", "unknown format '%s' (%s)", optarg, rt_renderer_names);
			break;
		case 'o': out = optarg; break;
		case OPT_PROGRAM: program = optarg; break;
		case OPT_READY:
			if (rt_ready_parse(optarg, &rd, &err) != 0)
				return cmd_usage_error("report", "%s", err.msg);
			ready = optarg;
			break;
		case OPT_OTLP_ENDPOINT: endpoint_flag = optarg; break;
		case 'h': fputs(report_usage, stdout); return RT_EXIT_OK;
		default:
			if (optopt == 'o')
				return cmd_usage_error("report", "option '-o' needs an argument");
			if (optopt == OPT_PROGRAM)
				return cmd_usage_error("report", "option '--program' needs an argument");
			if (optopt == OPT_READY)
				return cmd_usage_error("report", "option '--ready' needs an argument");
			if (optopt == OPT_OTLP_ENDPOINT)
				return cmd_usage_error("report", "option '--otlp-endpoint' needs an argument");
			return cmd_unknown_option("report", argv);
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error("report", argc == optind ? "missing TRACE" : "one TRACE expected");
	/* where the OTLP export goes: the flag, else the SDKs' variables (unless OTEL_TRACES_EXPORTER=none) */
	if (rt_otlp_endpoint(endpoint_flag, &endpoint, &err) != 0) {
		if (err.exit == RT_EXIT_USAGE)
			return cmd_usage_error("report", "%s", err.msg);
		return rt_err_report(&err);
	}
	/* the strace view prints every syscall's decoded call; the others read only what they analyse */
	if ((strcmp(rnd->name, "strace") == 0 ? rt_trace_load_all : rt_trace_load)(argv[optind], &t, &err) != 0) {
		free(endpoint);
		return rt_err_report(&err);
	}
	if (!(r = rt_report_build(&t, program, ready, &err))) {
		rt_trace_unload(&t);
		free(endpoint);
		return rt_err_report(&err);
	}
	if (rt_outfile_open(&of, out ? out : "-", 0666) != 0) {
		rt_errf(&err, RT_EXIT_INPUT, "cannot write '%s': %s", out ? out : "-", rt_outfile_error(&of, errno));
		rt_report_free(r);
		rt_trace_unload(&t);
		free(endpoint);
		return rt_err_report(&err);
	}
	errno = 0;
	if (rnd->render(r, of.f) != 0 || rt_outfile_commit(&of) != 0) {
		rt_errf(&err, RT_EXIT_INPUT, "cannot write '%s': %s", out ? out : "-", strerror(errno ? errno : EIO));
		rt_outfile_discard(&of); /* a report half written is no report */
		rc = rt_err_report(&err);
	} else {
		rc = rt_report_all_ok(r) ? RT_EXIT_OK : RT_EXIT_CHECK;
	}
	/* the report is out (written, or its failure said); then the export, which never touches the trace */
	if (endpoint && rc <= RT_EXIT_CHECK) {
		struct rt_otlp_opts oo = { .endpoint = endpoint, .headers = rt_otlp_env_headers() };

		if (rt_otlp_send(r, &oo, &err) != 0)
			rc = rt_err_report(&err);
	}
	free(endpoint);
	rt_report_free(r);
	rt_trace_unload(&t);
	return rc;
}
