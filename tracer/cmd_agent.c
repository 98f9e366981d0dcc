/*
 * rt0trace agent: traces every container start on the machine without wrapping anything (docs/usage.md
 * "agent", docs/engines.md "The agent"). The eBPF engine (tracer/ebpf_agent.h) starts a tree at each exec
 * of a trigger: a container CLI or an OCI runtime (podman, runc, crun, ...), or an OCI runtime's init
 * ("runc:[2:INIT]") that execs an entrypoint of a container created before the agent started (a start
 * not observed from its beginning). Each tree is a session with its own trace, written beside its final
 * name in DIR until the session ends:
 *  - the container: the first exec, in the tree, of an image that is not an OCI runtime by a process in
 *    another mount namespace than the tree's first process (runc's init exec'ing the entrypoint); its ID
 *    is the last 64-hex-digit name in that process's cgroup path (podman's, containerd's, the kubelet's),
 *    else the ID the OCI runtime was given on its command line (`runc create ... ID`), else the ID of
 *    runc's state whose init process it is (a start not observed from its beginning), else
 *    "tree-<pid>"; a "container" event in the trace says it;
 *  - readiness (--ready, common/ready.h): main.main (main) of a process of the container, or its first
 *    listen, accept, write to fd N, or call of SYMBOL (a probe planted in each image that has it);
 *  - the end: --after-ready after readiness, or sooner when the tree's first process exits (podman run
 *    --rm's cleanup is in the trace); when every process of the tree is gone; at --max-startup. A tree
 *    that started no container (podman ps, runc list) leaves nothing. A container's trace is renamed to
 *    DIR/<id>.trace.jsonl and its report, `rt0trace report --format json --program ENTRYPOINT`, written
 *    to DIR/<id>.report.json; a line on standard output says so.
 * Memory is bounded: at most MAX_SESSIONS trees at once (more are left alone, and counted), and the
 * kernel tracks at most 4096 processes; a record the kernel could not hand over is counted in each
 * trace's footer ("lost"). SIGINT/SIGTERM end every session (a container's trace is kept, marked
 * incomplete, and reported) and the agent exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/outfile.h"
#include "common/ready.h"
#include "common/strv.h"
#include "common/units.h"
#include "common/xalloc.h"
#include "probes/plan.h"
#include "report/otlp.h"
#include "report/report.h"
#include "tracer/cmd.h"
#include "tracer/driver.h"
#include "tracer/ebpf_agent.h"
#include "tracer/image.h"
#include "tracer/trace.h"

static const char agent_usage[] =
	"usage: rt0trace agent [-o DIR] [--once] [--ready main|listen|accept|fd-write:N|SYMBOL] [--max-startup TIME]\n"
	"                      [--after-ready TIME] [--trigger NAME]... [--otlp-endpoint URL] [--raw] [-v]\n"
	"\n"
	"Runs on a node (root, eBPF) and traces every container start without wrapping anything: from the\n"
	"first exec of a container CLI or OCI runtime (podman, runc, crun, ...) through the runtime's init to\n"
	"the container program's readiness. For each container it writes DIR/<id>.trace.jsonl (the trace, as\n"
	"'rt0trace run --engine ebpf -f' would write it) and DIR/<id>.report.json (its report, as 'rt0trace\n"
	"report --format json --program ENTRYPOINT' gives it), and prints one line for it.\n"
	"\n"
	"options:\n"
	"  -o DIR             where traces and reports go (default: the current directory; created if missing)\n"
	"  --once             exit after the first container start has been reported\n"
	"  --ready R          when a container is ready: main (default: main.main, or main, of its program),\n"
	"                     listen (its first listen), accept (its first accept), fd-write:N (its first\n"
	"                     write to file descriptor N), SYMBOL (its first call of that function)\n"
	"  --max-startup TIME give up following a start after TIME (default 60s; units ns, us, ms, s, m); a\n"
	"                     container not ready by then is reported as such\n"
	"  --after-ready TIME keep following the start's first process for up to TIME after readiness, for the\n"
	"                     runtime's own end (podman run --rm's cleanup; default 2s; 0: stop at readiness)\n"
	"  --trigger NAME     also start following at an exec of the program NAME (a process name, at most\n"
	"                     15 bytes); the defaults are podman, runc, crun, youki, runsc, nerdctl\n"
	"  --otlp-endpoint URL\n"
	"                     also send each report as OTLP/JSON to a collector (as 'rt0trace report\n"
	"                     --otlp-endpoint'; without it OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or\n"
	"                     OTEL_EXPORTER_OTLP_ENDPOINT, unless OTEL_TRACES_EXPORTER=none); a failed export is\n"
	"                     said on stderr, the files stay\n"
	"  --raw              syscalls as raw numbers only (nothing of the programs' memory is read)\n"
	"  -v                 show libbpf's messages\n"
	"  -h, --help         show this help\n"
	"\n"
	"exit codes: 0 success (also after SIGINT/SIGTERM); 2 usage error; 3 DIR is unusable; 4 eBPF cannot\n"
	"work here (the reason is given), or an OTEL_EXPORTER_OTLP_* endpoint is not an http(s) URL. In depth: man rt0trace-agent.\n";

#define MAX_SESSIONS 64

/* Programs whose exec starts a tree, and the OCI runtimes among them (their execs are not a container's
 * entrypoint; their command line may name the container). */
static const char *const default_triggers[] = { "podman", "runc", "crun", "youki", "runsc", "nerdctl", NULL };
static const char *const oci_runtimes[] = { "runc", "crun", "youki", "runsc", NULL };
static const char *const before_triggers[] = { "runc:[2:INIT]", NULL };

struct agent_opts {
	const char *dir;
	bool once;
	struct rt_ready ready;  /* --ready (common/ready.h), recorded in each trace's header */
	uint64_t max_startup, after_ready;
	char *otlp;             /* where each report is sent as OTLP (--otlp-endpoint, OTEL_*), or NULL */
};

struct session {
	struct rt_run run;       /* its trace; run.root its first process, run.t0 that process's exec */
	char tmp[PATH_MAX];      /* the trace while the session runs */
	char mntns[64];          /* the first process's mount namespace */
	bool partial;            /* the start was not observed from its beginning */
	char oci_id[128];        /* the ID an OCI runtime's command line gave, or "" */
	char runtime[32];        /* that runtime's name */
	pid_t ctr;               /* the process that exec'd the container's entrypoint, or 0 */
	char ctr_path[PATH_MAX];
	char ctr_mntns[64];
	char id[128];
	struct { pid_t *v; size_t n, cap; } pids; /* the container's processes (their execs seen) */
	bool ready, root_exited;
	uint64_t ready_t;
	uint64_t lost0;          /* the kernel's lost-record count when it began */
};

struct agent {
	struct agent_opts ao;
	struct rt_run_opts ro;
	struct rt_ebpf *eb;
	struct session *s[MAX_SESSIONS];
	size_t n;
	uint64_t refused;        /* trees left alone: MAX_SESSIONS were running */
	size_t reported;
};

static const struct rt_engine_ops agent_ops = { .name = "ebpf" };

static bool in_list(const char *const *list, const char *name)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static struct session *session_of(struct agent *a, const struct rt_run *run)
{
	for (size_t i = 0; i < a->n; i++)
		if (&a->s[i]->run == run)
			return a->s[i];
	return NULL;
}

static void ns_of(pid_t pid, const char *ns, char *out, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	n = readlink(path, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* The cgroup pid joined (the path of the line that names the ID, else of the unified "0::" line, else
 * of the first line), into cg; and the last name of 64 hex digits in its cgroup paths (podman's
 * libpod-<id>.scope, containerd's .../<id>, cri-containerd-<id>.scope), into id: false when there is
 * none. */
static bool id_from_cgroup(pid_t pid, char *id, size_t size, char *cg, size_t cgsize)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	cg[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		size_t run = 0;
		bool had = found;
		char *p = strchr(line, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		line[strcspn(line, "\n")] = '\0';

		for (char *c = line; *c; c++) {
			bool hex = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f');

			run = hex ? run + 1 : 0;
			if (run == 64 && !((c[1] >= '0' && c[1] <= '9') || (c[1] >= 'a' && c[1] <= 'f')) && size > 64) {
				memcpy(id, c - 63, 64);
				id[64] = '\0';
				found = true;
			}
		}
		/* the line's path: the ID's line wins, then the unified hierarchy's, then the first */
		if (p && ((found && !had) || (!found && (!cg[0] || strncmp(line, "0::", 3) == 0))))
			snprintf(cg, cgsize, "%s", p + 1);
	}
	fclose(f);
	return found;
}

/* An OCI runtime's `create`/`run` names the container last: `runc [global options] create [options] ID`. */
static void id_from_runtime(struct session *s, pid_t pid, const char *name)
{
	struct strv argv = STRV_INIT;
	bool sub = false;

	rt_proc_argv(pid, &argv);
	for (size_t i = 1; i < argv.n; i++)
		if (strcmp(argv.v[i], "create") == 0 || strcmp(argv.v[i], "run") == 0)
			sub = true;
	if (sub && argv.n > 2 && argv.v[argv.n - 1][0] != '-' && strlen(argv.v[argv.n - 1]) < sizeof(s->oci_id)) {
		snprintf(s->oci_id, sizeof(s->oci_id), "%s", argv.v[argv.n - 1]);
		snprintf(s->runtime, sizeof(s->runtime), "%s", name);
	}
	strv_release(&argv);
}

/* The runtime's own state: runc keeps each container's state.json (its "id" and "init_process_pid",
 * the process that execs the entrypoint) under its root, /run/runc by default and containerd's
 * /run/containerd/runc/NAMESPACE. The ID of the container whose init is pid, into id; false when none
 * says so. */
static bool id_from_state(pid_t pid, char *id, size_t size)
{
	static const char *const roots[] = { "/run/runc/*/state.json", "/run/containerd/runc/*/*/state.json" };
	bool found = false;

	for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]) && !found; r++) {
		glob_t g;

		if (glob(roots[r], 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc && !found; i++) {
			json_t *st = json_load_file(g.gl_pathv[i], 0, NULL);
			const char *v = json_get_str(st, "id");

			if (v && *v && json_is_integer(json_object_get(st, "init_process_pid")) &&
			    json_integer_value(json_object_get(st, "init_process_pid")) == pid && strlen(v) < size) {
				snprintf(id, size, "%s", v);
				found = true;
			}
			json_decref(st);
		}
		globfree(&g);
	}
	return found;
}

/* A file name of the ID: what is not [A-Za-z0-9_.-] becomes '_', and no leading dot. */
static void file_id(char *id)
{
	for (char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      *c == '-' || (*c == '.' && c != id)))
			*c = '_';
}

static bool is_ctr_pid(const struct session *s, pid_t pid)
{
	for (size_t i = 0; i < s->pids.n; i++)
		if (s->pids.v[i] == pid)
			return true;
	return false;
}

static void add_ctr_pid(struct session *s, pid_t pid)
{
	if (is_ctr_pid(s, pid))
		return;
	s->pids.v = xgrow(s->pids.v, &s->pids.cap, s->pids.n + 1, sizeof(*s->pids.v));
	s->pids.v[s->pids.n++] = pid;
}

static void set_ready(struct session *s, uint64_t t)
{
	if (s->ready || !s->ctr)
		return;
	s->ready = true;
	s->ready_t = t;
}

/* ---- hooks (tracer/ebpf_agent.h) -------------------------------------------------------------------- */

static struct rt_run *on_root(void *ctx, pid_t pid, uint64_t t, bool partial)
{
	struct agent *a = ctx;
	struct rt_err err = { 0 };
	struct session *s;

	if (a->n == MAX_SESSIONS) {
		if (a->refused++ == 0)
			fprintf(stderr, "rt0trace agent: %d starts are being followed: more are left alone until one "
					"ends\n", MAX_SESSIONS);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	snprintf(s->tmp, sizeof(s->tmp), "%s/.rt0trace-agent-%d-%llu.trace.jsonl", a->ao.dir, (int)pid,
		 (unsigned long long)t);
	if (rt_trace_open(&s->run.trace, s->tmp, NULL, &err) != 0) {
		fprintf(stderr, "rt0trace agent: %s\n", err.msg);
		free(s);
		return NULL;
	}
	s->run.o = &a->ro;
	s->run.trace.ready = a->ro.ready;
	s->run.ops = &agent_ops;
	s->run.root = pid;
	s->run.attached = true; /* not our child */
	s->run.t0 = t;
	s->run.gofd = s->run.errfd = -1;
	s->partial = partial;
	s->lost0 = rt_ebpf_agent_lost(a->eb);
	ns_of(pid, "mnt", s->mntns, sizeof(s->mntns));
	a->s[a->n++] = s;
	return &s->run;
}

static void on_proc_exec(void *ctx, struct rt_run *run, pid_t pid, uint64_t t, const char *path)
{
	struct agent *a = ctx;
	struct session *s = session_of(a, run);
	const char *name = rt_path_base(path);
	char mnt[64], cgroup[1024];

	if (!s)
		return;
	if (in_list(oci_runtimes, name)) {
		if (!s->oci_id[0])
			id_from_runtime(s, pid, name);
		return;
	}
	ns_of(pid, "mnt", mnt, sizeof(mnt));
	if (s->ctr) { /* a later exec in the container (a shell's exec of the program): still the container */
		if (strcmp(mnt, s->ctr_mntns) == 0) {
			add_ctr_pid(s, pid);
			snprintf(s->ctr_path, sizeof(s->ctr_path), "%s", path);
		}
		return;
	}
	if (!(s->partial && pid == run->root) && (!mnt[0] || strcmp(mnt, s->mntns) == 0))
		return;
	s->ctr = pid;
	snprintf(s->ctr_path, sizeof(s->ctr_path), "%s", path);
	snprintf(s->ctr_mntns, sizeof(s->ctr_mntns), "%s", mnt);
	add_ctr_pid(s, pid);
	if (!id_from_cgroup(pid, s->id, sizeof(s->id), cgroup, sizeof(cgroup))) {
		if (s->oci_id[0])
			snprintf(s->id, sizeof(s->id), "%s", s->oci_id);
		else if (!id_from_state(pid, s->id, sizeof(s->id)))
			snprintf(s->id, sizeof(s->id), "tree-%d", (int)run->root);
	}
	rt_trace_event(&run->trace, rt_event_container(t, pid, s->id, s->runtime[0] ? s->runtime : NULL,
						       cgroup[0] ? cgroup : NULL, !s->partial));
}

static void on_probe_hit(void *ctx, struct rt_run *run, pid_t pid, uint64_t t, const struct rt_probe *pr)
{
	struct agent *a = ctx;
	struct session *s = session_of(a, run);

	if (!s || !is_ctr_pid(s, pid))
		return;
	if ((a->ao.ready.kind == RT_READY_MAIN && pr->role == RT_ROLE_MAIN) ||
	    (a->ao.ready.kind == RT_READY_SYMBOL && pr->symbol && strcmp(pr->symbol, a->ao.ready.symbol) == 0))
		set_ready(s, t);
}

static void on_sys(void *ctx, struct rt_run *run, pid_t pid, uint64_t nr, bool ret_known, int64_t ret, uint64_t arg0,
		       uint64_t end)
{
	struct agent *a = ctx;
	struct session *s = session_of(a, run);

	if (s && !s->ready && ret_known && is_ctr_pid(s, pid) &&
	    rt_ready_syscall(&a->ao.ready, rt_syscall_name(nr), ret, arg0))
		set_ready(s, end);
}

static void on_proc_exit(void *ctx, struct rt_run *run, pid_t pid)
{
	struct session *s = session_of(ctx, run);

	if (s && pid == run->root)
		s->root_exited = true;
}

/* ---- the end of a session ------------------------------------------------------------------------------ */

/* DIR/<id><suffix>, or DIR/<id>-N<suffix> when that exists (the same name started twice). */
static void final_path(const struct agent *a, const char *id, const char *suffix, char *out, size_t size)
{
	snprintf(out, size, "%s/%s%s", a->ao.dir, id, suffix);
	for (int n = 2; access(out, F_OK) == 0 && n < 1000; n++)
		snprintf(out, size, "%s/%s-%d%s", a->ao.dir, id, n, suffix);
}

/* The report of the container's program (the whole trace's when its image could not be analysed), sent
 * to the OTLP endpoint too when there is one (a failed export is said, and the files stay). */
static int write_report(const struct agent *a, const char *trace, const char *program, const char *out,
			struct rt_err *err)
{
	const struct rt_renderer *json = rt_renderer_find("json");
	struct rt_loaded_trace t = { 0 };
	struct rt_report *r;
	struct rt_outfile of;
	int rc = -1;

	if (rt_trace_load(trace, &t, err) != 0)
		return -1;
	if (!(r = rt_report_build(&t, program, NULL, err))) {
		*err = (struct rt_err){ 0 };
		r = rt_report_build(&t, NULL, NULL, err);
	}
	if (!r)
		goto out;
	if (rt_outfile_open(&of, out, 0644) != 0) {
		rt_errf(err, RT_EXIT_INPUT, "cannot write '%s': %s", out, rt_outfile_error(&of, errno));
	} else if (json->render(r, of.f) != 0 || rt_outfile_commit(&of) != 0) {
		rt_outfile_discard(&of);
		rt_errf(err, RT_EXIT_INPUT, "cannot write '%s'", out);
	} else {
		rc = 0;
	}
	if (rc == 0 && a->ao.otlp) {
		struct rt_otlp_opts oo = { .endpoint = a->ao.otlp, .headers = rt_otlp_env_headers() };
		struct rt_err xe = { 0 };

		if (rt_otlp_send(r, &oo, &xe) != 0)
			fprintf(stderr, "rt0trace agent: %s\n", xe.msg);
	}
	rt_report_free(r);
out:
	rt_trace_unload(&t);
	return rc;
}

/* Ends session i: its tree is let go; a container's trace is closed under its name and reported, any
 * other tree's removed. `why` says how it ended, for the line printed. */
static void finish(struct agent *a, size_t i, bool complete, const char *why)
{
	struct session *s = a->s[i];
	char trace[PATH_MAX + 64], report[PATH_MAX + 64];
	struct rt_err err = { 0 };

	rt_ebpf_agent_forget(a->eb, &s->run);
	s->run.trace.lost = rt_ebpf_agent_lost(a->eb) - s->lost0;
	if (!s->ctr) {
		rt_trace_discard(&s->run.trace, s->tmp);
	} else {
		if (!s->run.header_done)
			rt_run_header(&s->run, NULL, NULL);
		rt_trace_close(&s->run.trace, complete);
		file_id(s->id);
		final_path(a, s->id, ".trace.jsonl", trace, sizeof(trace));
		final_path(a, s->id, ".report.json", report, sizeof(report));
		if (rename(s->tmp, trace) != 0) {
			fprintf(stderr, "rt0trace agent: cannot rename '%s' to '%s': %s\n", s->tmp, trace, strerror(errno));
			snprintf(trace, sizeof(trace), "%s", s->tmp);
		}
		if (write_report(a, trace, s->ctr_path, report, &err) != 0)
			fprintf(stderr, "rt0trace agent: container %s: no report: %s\n", s->id, err.msg);
		printf("container %s: %s %.3f ms after its start (%s); trace %s, report %s%s\n", s->id,
		       s->ready ? "ready" : "not ready", (double)((s->ready ? s->ready_t : rt_now_ns()) - s->run.t0) / 1e6,
		       why, trace, report, s->partial ? " (not observed from its beginning)" : "");
		fflush(stdout);
		a->reported++;
	}
	free(s->pids.v);
	free(s);
	a->s[i] = a->s[--a->n];
}

/* Ends the sessions that are done (see the file's comment). */
static void check_sessions(struct agent *a)
{
	uint64_t now = rt_now_ns();

	for (size_t i = a->n; i-- > 0;) {
		struct session *s = a->s[i];

		if (s->ready && (s->root_exited || now - s->ready_t >= a->ao.after_ready))
			finish(a, i, true, s->root_exited ? "its runtime has exited" : "followed until --after-ready");
		else if (!rt_ebpf_agent_any_alive(a->eb, &s->run))
			finish(a, i, true, "every process of its start has exited");
		else if (now - s->run.t0 >= a->ao.max_startup)
			finish(a, i, false, "--max-startup reached");
	}
}

/* ---- the command ------------------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static int agent_loop(struct agent *a)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };

	epoll_ctl(ep, EPOLL_CTL_ADD, rt_ebpf_agent_fd(a->eb), &ev);
	while (!stop_sig && !(a->ao.once && a->reported)) {
		struct epoll_event got;

		epoll_wait(ep, &got, 1, 100);
		rt_ebpf_agent_poll(a->eb);
		check_sessions(a);
	}
	close(ep);
	rt_ebpf_agent_poll(a->eb);
	for (size_t i = a->n; i-- > 0;)
		finish(a, i, false, stop_sig ? "the agent was stopped" : "the agent is done");
	return 0;
}

int cmd_agent(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'O' },          { "ready", required_argument, NULL, 'R' },
		{ "max-startup", required_argument, NULL, 'M' }, { "after-ready", required_argument, NULL, 'A' },
		{ "trigger", required_argument, NULL, 'T' },  { "raw", no_argument, NULL, 'r' },
		{ "otlp-endpoint", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	struct agent a = { .ao = { .dir = ".", .max_startup = 60000000000ull, .after_ready = 2000000000ull } };
	struct strv triggers = STRV_INIT;
	struct rt_ebpf_hooks hooks = { &a, on_root, on_proc_exec, on_probe_hit, on_sys, on_proc_exit };
	struct sigaction sa = { 0 }, oi, ot;
	struct rt_err err = { 0 };
	struct stat st;
	const char *endpoint = NULL;
	double ns;
	int c;

	for (size_t i = 0; default_triggers[i]; i++)
		strv_push(&triggers, default_triggers[i]);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a.ao.dir = optarg;
			break;
		case 'O':
			a.ao.once = true;
			break;
		case 'R':
			if (rt_ready_parse(optarg, &a.ao.ready, &err) != 0) {
				strv_release(&triggers);
				return cmd_usage_error("agent", "%s", err.msg);
			}
			a.ro.ready = optarg;
			a.ro.ready_symbol = a.ao.ready.kind == RT_READY_SYMBOL ? optarg : NULL;
			break;
		case 'M':
		case 'A':
			if (!rt_parse_duration(optarg, &ns) || (c == 'M' && ns < 1e6)) {
				strv_release(&triggers);
				return cmd_usage_error("agent", "%s wants a duration such as 30s or 500ms%s, not '%s'",
						       c == 'M' ? "--max-startup" : "--after-ready", c == 'M' ? " (at least 1ms)" : "",
						       optarg);
			}
			*(c == 'M' ? &a.ao.max_startup : &a.ao.after_ready) = (uint64_t)ns;
			break;
		case 'T':
			if (!optarg[0] || strlen(optarg) > 15 || strchr(optarg, '/')) {
				strv_release(&triggers);
				return cmd_usage_error("agent", "--trigger wants a program's name (1 to 15 bytes, no '/'), not '%s'",
						       optarg);
			}
			strv_push(&triggers, optarg);
			break;
		case 'r':
			a.ro.raw = true;
			break;
		case 'E':
			endpoint = optarg;
			break;
		case 'v':
			a.ro.verbose = true;
			break;
		case 'h':
			fputs(agent_usage, stdout);
			strv_release(&triggers);
			return 0;
		default:
			strv_release(&triggers);
			return cmd_unknown_option("agent", argv);
		}
	}
	if (optind < argc) {
		strv_release(&triggers);
		return cmd_usage_error("agent", "unexpected argument '%s'", argv[optind]);
	}
	/* the OTLP export: the flag, else the SDKs' variables (unless OTEL_TRACES_EXPORTER=none), as report's */
	if (rt_otlp_endpoint(endpoint, &a.ao.otlp, &err) != 0) {
		strv_release(&triggers);
		if (err.exit == RT_EXIT_USAGE)
			return cmd_usage_error("agent", "%s", err.msg);
		fprintf(stderr, "rt0trace agent: %s\n", err.msg);
		return err.exit;
	}
	if (stat(a.ao.dir, &st) != 0 && errno == ENOENT)
		mkdir(a.ao.dir, 0755);
	if (stat(a.ao.dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(a.ao.dir, W_OK | X_OK) != 0) {
		rt_errf(&err, RT_EXIT_INPUT, "cannot write into '%s': %s", a.ao.dir,
			     stat(a.ao.dir, &st) != 0 ? strerror(errno) : !S_ISDIR(st.st_mode) ? "not a directory"
												  : strerror(errno));
		goto out;
	}
	a.ro.follow_forks = true;
	if (rt_ebpf_agent_open(&a.eb, &a.ro, (const char *const *)triggers.v, before_triggers, &hooks, &err) != 0)
		goto out;
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &oi);
	sigaction(SIGTERM, &sa, &ot);
	fprintf(stderr, "rt0trace agent: following container starts into '%s' (Ctrl-C to stop)\n", a.ao.dir);
	agent_loop(&a);
	sigaction(SIGINT, &oi, NULL);
	sigaction(SIGTERM, &ot, NULL);
	if (a.refused)
		fprintf(stderr, "rt0trace agent: %llu starts were left alone (%d were being followed)\n",
			(unsigned long long)a.refused, MAX_SESSIONS);
out:
	rt_ebpf_agent_close(a.eb);
	free(a.ao.otlp);
	strv_release(&triggers);
	if (err.exit) {
		fprintf(stderr, "rt0trace agent: %s\n", err.msg);
		return err.exit;
	}
	return 0;
}
