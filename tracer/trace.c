/* tracer/trace: the trace writer (see trace.h): the file, its header and footer, and one builder for each event type. */
#include "tracer/trace.h"
#include "tracer/decode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/outfile.h"
#include "common/xalloc.h"
#include "probes/plan.h"
#include "tracer/maps.h"

uint64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int rt_trace_open(struct rt_trace *t, const char *path, const struct rt_sysfilter *filter, struct rt_err *err)
{
	memset(t, 0, sizeof(*t));
	t->filter = filter;
	if (rt_outfile_open(&t->out, path, 0666) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "cannot write the trace '%s': %s", path, rt_outfile_error(&t->out, errno));
	t->f = t->out.f;
	return 0;
}

void rt_trace_discard(struct rt_trace *t, const char *path)
{
	(void)path;
	rt_outfile_discard(&t->out);
	t->f = NULL;
}

void rt_trace_abandon(struct rt_trace *t, const char *path, bool traced)
{
	if (!t->f)
		return;
	if (traced)
		rt_trace_close(t, false);
	else
		rt_trace_discard(t, path);
}

/* "cpu_ns", "wait_ns" (and ptrace's hold: "stopped_ns", "stops", "syscall_stops") when `s` is valid. */
static void event_sched(json_t *e, const struct rt_sched *s)
{
	if (!s || !s->valid)
		return;
	json_object_set_new(e, "cpu_ns", json_integer((json_int_t)s->cpu_ns));
	json_object_set_new(e, "wait_ns", json_integer((json_int_t)s->wait_ns));
	if (s->has_stopped) {
		json_object_set_new(e, "stopped_ns", json_integer((json_int_t)s->stopped_ns));
		json_object_set_new(e, "stops", json_integer((json_int_t)s->stops));
		json_object_set_new(e, "syscall_stops", json_integer((json_int_t)s->sys_stops));
	}
}

static void put_line(struct rt_trace *t, json_t *o, bool flush)
{
	if (json_dumpf(o, t->f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 || fputc('\n', t->f) == EOF ||
	    (flush && fflush(t->f) != 0))
		t->failed = true;
}

/* CLOCK_REALTIME at the CLOCK_MONOTONIC instant `mono`: the wall clock read between two reads of the
 * monotonic one, taken at their midpoint, moved back by how long ago `mono` was. */
static uint64_t realtime_at(uint64_t mono)
{
	struct timespec real;
	uint64_t m0 = rt_now_ns(), m1, r;

	clock_gettime(CLOCK_REALTIME, &real);
	m1 = rt_now_ns();
	r = (uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec;
	m0 += (m1 - m0) / 2;
	return m0 >= mono && r >= m0 - mono ? r - (m0 - mono) : r;
}

void rt_trace_header(struct rt_trace *t, const char *engine, char *const *argv, json_t *binary, uint64_t t0)
{
	json_t *h = json_object(), *a = json_array();

	json_object_set_new(h, "type", json_string(rt_et_names[RT_ET_HEADER]));
	json_object_set_new(h, "format", json_string(RT_TRACE_FORMAT));
	json_object_set_new(h, "version", json_integer(RT_TRACE_VERSION));
	json_object_set_new(h, "engine", json_string(engine));
	for (size_t i = 0; argv && argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	json_object_set_new(h, "argv", a);
	json_object_set_new(h, "binary", binary ? binary : json_null());
	json_object_set_new(h, "t0", json_integer((json_int_t)t0));
	json_object_set_new(h, "realtime_ns", json_integer((json_int_t)realtime_at(t0)));
	if (t->traceparent)
		json_object_set_new(h, "traceparent", json_string(t->traceparent));
	if (t->filter)
		json_object_set_new(h, "syscall_filter", json_string(t->filter->expr));
	if (t->ready)
		json_object_set_new(h, "ready", json_string(t->ready));
	if (t->t0_sched.tid > 0) {
		json_t *s = json_pack("{s:i}", "tid", t->t0_sched.tid);

		event_sched(s, &t->t0_sched.s);
		json_object_set_new(h, "sched", s);
	}
	if (t->stop_cost_ns)
		json_object_set_new(h, "stop_cost_ns", json_integer((json_int_t)t->stop_cost_ns));
	if (t->syscall_stop_cost_ns)
		json_object_set_new(h, "syscall_stop_cost_ns", json_integer((json_int_t)t->syscall_stop_cost_ns));
	put_line(t, h, true);
	json_decref(h);
	/* From here on the trace is worth reading, even if rt0trace is killed: at its path it goes. */
	if (rt_outfile_publish(&t->out) != 0)
		t->failed = true;
}

void rt_trace_event(struct rt_trace *t, json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	enum rt_et et = type ? rt_et_of(type, strlen(type)) : RT_ET_OTHER;

	if (t->filter && et == RT_ET_SYSCALL &&
	    !rt_sysfilter_has(t->filter, (uint64_t)json_integer_value(json_object_get(ev, "nr")))) {
		json_decref(ev);
		return;
	}
	t->events++;
	/* Syscalls and probes are the bulk: they go out in batches; execs, signals, maps, exits at once. */
	put_line(t, ev, (type && et != RT_ET_SYSCALL && et != RT_ET_PROBE) || t->events % 128 == 0);
	json_decref(ev);
}

/* The decoded members of a syscall line (docs/formats.md "syscall"), each when known: their keys, and
 * their values in `vals` (all NULL when the call was not decoded). */
static const char *const dec_keys[] = { "call", "result", "path", "fd", "addr" };
#define DEC_NKEYS (sizeof(dec_keys) / sizeof(dec_keys[0]))

static void dec_vals(const struct rt_dec_out *d, const char *vals[DEC_NKEYS])
{
	const char *v[DEC_NKEYS] = { d->call, d->result, d->path, d->fd, d->addr };

	for (size_t i = 0; i < DEC_NKEYS; i++)
		vals[i] = d->call ? v[i] : NULL;
}

static void put_decoded(FILE *f, const struct rt_dec_out *d)
{
	const char *vals[DEC_NKEYS];

	dec_vals(d, vals);
	for (size_t i = 0; i < DEC_NKEYS; i++)
		if (vals[i]) {
			fprintf(f, ",\"%s\":", dec_keys[i]);
			json_put_str(f, vals[i]);
		}
}

void rt_trace_syscall(struct rt_trace *t, uint64_t ts, int pid, int tid, uint64_t dur, uint64_t nr, const char *name,
		      const uint64_t args[6], const int64_t *ret, const struct rt_dec_out *dec)
{
	char r[32];

	if (!rt_sysfilter_has(t->filter, nr))
		return;
	/* `name` comes from libseccomp's table (identifier characters only): no escaping needed. */
	if (ret)
		snprintf(r, sizeof(r), "%lld", (long long)*ret);
	else
		snprintf(r, sizeof(r), "null");
	t->events++;
	if (fprintf(t->f,
		    "{\"type\":\"syscall\",\"t\":%llu,\"pid\":%d,\"tid\":%d,\"dur\":%llu,\"nr\":%llu,\"name\":\"%s\","
		    "\"args\":[\"0x%llx\",\"0x%llx\",\"0x%llx\",\"0x%llx\",\"0x%llx\",\"0x%llx\"],\"ret\":%s",
		    (unsigned long long)ts, pid, tid, (unsigned long long)dur, (unsigned long long)nr, name,
		    (unsigned long long)args[0], (unsigned long long)args[1], (unsigned long long)args[2],
		    (unsigned long long)args[3], (unsigned long long)args[4], (unsigned long long)args[5], r) < 0)
		t->failed = true;
	if (dec)
		put_decoded(t->f, dec);
	if (fputs("}\n", t->f) < 0 || (t->events % 128 == 0 && fflush(t->f) != 0))
		t->failed = true;
}

int rt_trace_close(struct rt_trace *t, bool complete)
{
	json_t *f = json_object();
	int rc;

	json_object_set_new(f, "type", json_string(rt_et_names[RT_ET_FOOTER]));
	json_object_set_new(f, "events", json_integer((json_int_t)t->events));
	json_object_set_new(f, "lost", json_integer((json_int_t)t->lost));
	json_object_set_new(f, "complete", json_boolean(complete && !t->failed));
	if (t->program_ns)
		json_object_set_new(f, "program_ns", json_integer((json_int_t)t->program_ns));
	if (t->has_instructions)
		json_object_set_new(f, "instructions", json_integer((json_int_t)t->instructions));
	if (t->rusage.valid) {
		json_t *ru = json_object();

		json_object_set_new(ru, "utime_ns", json_integer((json_int_t)t->rusage.utime_ns));
		json_object_set_new(ru, "stime_ns", json_integer((json_int_t)t->rusage.stime_ns));
		json_object_set_new(ru, "maxrss_kb", json_integer((json_int_t)t->rusage.maxrss_kb));
		json_object_set_new(ru, "minflt", json_integer((json_int_t)t->rusage.minflt));
		json_object_set_new(ru, "majflt", json_integer((json_int_t)t->rusage.majflt));
		json_object_set_new(f, "rusage", ru);
	}
	put_line(t, f, true);
	json_decref(f);
	rc = t->failed ? -1 : 0;
	if (rt_outfile_commit(&t->out) != 0)
		rc = -1;
	t->f = NULL;
	return rc;
}

bool rt_sched_read(int *fd, int pid, int tid, struct rt_sched *s)
{
	char buf[96], path[64];
	unsigned long long cpu, wait;
	ssize_t n;

	*s = (struct rt_sched){ 0 }; /* the kernel's account only: no engine's hold */
	if (*fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
		if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return false;
	}
	n = pread(*fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &cpu, &wait) != 2)
		return false;
	s->cpu_ns = cpu;
	s->wait_ns = wait;
	s->valid = true;
	return true;
}

void rt_trace_t0_sched(struct rt_trace *t, int pid)
{
	struct rt_sched s;
	int fd = -1;

	if (rt_sched_read(&fd, pid, pid, &s))
		t->t0_sched = (struct rt_sched_t0){ .tid = pid, .s = s };
	if (fd >= 0)
		close(fd);
}

void rt_trace_rusage(struct rt_trace *t, const struct rusage *ru)
{
	t->rusage.valid = true;
	t->rusage.utime_ns = (uint64_t)ru->ru_utime.tv_sec * 1000000000ull + (uint64_t)ru->ru_utime.tv_usec * 1000ull;
	t->rusage.stime_ns = (uint64_t)ru->ru_stime.tv_sec * 1000000000ull + (uint64_t)ru->ru_stime.tv_usec * 1000ull;
	t->rusage.maxrss_kb = (uint64_t)ru->ru_maxrss;
	t->rusage.minflt = (uint64_t)ru->ru_minflt;
	t->rusage.majflt = (uint64_t)ru->ru_majflt;
}

bool rt_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
}

const char *rt_syscall_name(uint64_t nr)
{
	static char *names[1024]; /* resolved once per number, for the life of the process */
	static __thread char big[32];
	char *n;

	if (nr >= sizeof(names) / sizeof(names[0])) { /* not a syscall of this machine: its number, as below */
		snprintf(big, sizeof(big), "syscall_%llu", (unsigned long long)nr);
		return big;
	}
	if (!names[nr]) {
		n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
		names[nr] = n ? n : xasprintf("syscall_%llu", (unsigned long long)nr);
	}
	return names[nr];
}

/* ---- the events ---------------------------------------------------------------------------------- */

/* {"type", "t", "pid", "tid"}: pid/tid left out when 0. */
static json_t *event_new(enum rt_et type, uint64_t t, int pid, int tid)
{
	json_t *e = json_object();

	json_object_set_new(e, "type", json_string(rt_et_names[type]));
	json_object_set_new(e, "t", json_integer((json_int_t)t));
	if (pid)
		json_object_set_new(e, "pid", json_integer(pid));
	if (tid)
		json_object_set_new(e, "tid", json_integer(tid));
	return e;
}

uint64_t rt_event_time(const json_t *e)
{
	return (uint64_t)json_integer_value(json_object_get(e, "t"));
}

void rt_event_retime(json_t *e, uint64_t t)
{
	json_object_set_new(e, "t", json_integer((json_int_t)t));
}

int rt_event_pid(const json_t *e)
{
	return (int)json_integer_value(json_object_get(e, "pid"));
}

static void set_opt_str(json_t *e, const char *key, const char *v)
{
	if (v)
		json_object_set_new(e, key, json_string(v));
}

json_t *rt_event_exec(const struct rt_ev_exec *x)
{
	json_t *e = event_new(x->attach ? RT_ET_ATTACH : RT_ET_EXEC, x->t, x->pid, x->pid);

	event_sched(e, x->sched);
	json_object_set_new(e, "path", json_string(x->path ? x->path : "?"));
	json_object_set_new(e, "probes", json_integer((json_int_t)x->probes));
	if (x->probes_failed) {
		json_object_set_new(e, "probes_failed", json_integer((json_int_t)x->probes_failed));
		set_opt_str(e, "probe_error", x->probe_error);
	}
	if (x->attach)
		json_object_set_new(e, "threads", json_integer(x->threads));
	if (x->ppid > 0)
		json_object_set_new(e, "ppid", json_integer((json_int_t)x->ppid));
	if (x->unfollowed)
		json_object_set_new(e, "followed", json_false());
	if (x->binary)
		json_object_set_new(e, "binary", x->binary);
	return e;
}

json_t *rt_event_syscall(uint64_t t, int pid, int tid, uint64_t dur, uint64_t nr, const uint64_t args[6],
			 const int64_t *ret, const char *via, const char *path, const struct rt_dec_out *dec)
{
	const char *vals[DEC_NKEYS];
	json_t *e = event_new(RT_ET_SYSCALL, t, pid, tid), *a = json_array();

	json_object_set_new(e, "dur", json_integer((json_int_t)dur));
	json_object_set_new(e, "nr", json_integer((json_int_t)nr));
	json_object_set_new(e, "name", json_string(rt_syscall_name(nr)));
	for (int i = 0; i < 6; i++)
		json_array_append_new(a, json_hex(args[i]));
	json_object_set_new(e, "args", a);
	json_object_set_new(e, "ret", ret ? json_integer((json_int_t)*ret) : json_null());
	if (dec) { /* as rt_trace_syscall writes them, after "ret"; their "path" is the one */
		dec_vals(dec, vals);
		for (size_t i = 0; i < DEC_NKEYS; i++)
			set_opt_str(e, dec_keys[i], vals[i]);
		if (vals[2])
			path = NULL;
	}
	set_opt_str(e, "via", via);
	set_opt_str(e, "path", path);
	return e;
}

json_t *rt_event_probe(uint64_t t, int pid, int tid, const struct rt_probe *pr, const struct rt_sched *sched,
		       const char *seen, const char *via)
{
	json_t *e = event_new(RT_ET_PROBE, t, pid, tid);

	json_object_set_new(e, "symbol", json_string(pr->symbol));
	json_object_set_new(e, "addr", json_hex(pr->addr));
	json_object_set_new(e, "role", json_string(rt_phase_role_name(pr->role)));
	set_opt_str(e, "package", pr->package);
	event_sched(e, sched);
	set_opt_str(e, "seen", seen);
	set_opt_str(e, "via", via);
	return e;
}

json_t *rt_event_clone(uint64_t t, int pid, int tid, long long child, enum rt_clone_kind kind, const char *via)
{
	static const char *const kinds[] = { [RT_CLONE_KIND_THREAD] = "thread", [RT_CLONE_KIND_FORK] = "fork",
					     [RT_CLONE_KIND_VFORK] = "vfork" };
	json_t *e = event_new(RT_ET_CLONE, t, pid, tid);

	json_object_set_new(e, "child", child >= 0 ? json_integer((json_int_t)child) : json_null());
	json_object_set_new(e, "kind", json_string(kinds[kind]));
	set_opt_str(e, "via", via);
	return e;
}

/* A signal's "signo", "name", "code" and (a fault's) "addr", as signal and crash events have them. */
static void signal_keys(json_t *e, int sig, int code, uint64_t addr)
{
	json_object_set_new(e, "signo", json_integer(sig));
	json_object_set_new(e, "name", json_string(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?"));
	json_object_set_new(e, "code", json_integer(code));
	if (rt_fault_signal(sig))
		json_object_set_new(e, "addr", json_hex(addr));
}

json_t *rt_event_signal(uint64_t t, int pid, int tid, int sig, int code, uint64_t addr, const char *via)
{
	json_t *e = event_new(RT_ET_SIGNAL, t, pid, tid);

	signal_keys(e, sig, code, addr);
	set_opt_str(e, "via", via);
	return e;
}

static void map_entry(const struct rt_map *mp, void *arg)
{
	json_t *m = json_object();

	json_object_set_new(m, "start", json_hex(mp->start));
	json_object_set_new(m, "end", json_hex(mp->end));
	json_object_set_new(m, "perms", json_string(mp->perms));
	json_object_set_new(m, "offset", json_hex(mp->offset));
	json_object_set_new(m, "inode", json_integer((json_int_t)mp->inode));
	json_object_set_new(m, "path", json_string(mp->path));
	json_array_append_new(arg, m);
}

json_t *rt_event_maps(const struct rt_ev_maps *m)
{
	json_t *e = event_new(RT_ET_MAPS, m->t, m->pid, 0), *entries = json_array();

	rt_maps_parse(m->text ? m->text : "", m->len, map_entry, entries);
	json_object_set_new(e, "at", json_string(m->at));
	json_object_set_new(e, "entries", entries);
	if (m->rss_kb >= 0)
		json_object_set_new(e, "rss_kb", json_integer((json_int_t)m->rss_kb));
	if (m->hwm_kb >= 0)
		json_object_set_new(e, "hwm_kb", json_integer((json_int_t)m->hwm_kb));
	set_opt_str(e, "how", m->how);
	return e;
}

json_t *rt_event_exit(uint64_t t, int pid, int wst, const char *via)
{
	json_t *e = event_new(RT_ET_EXIT, t, pid, 0);

	json_object_set_new(e, "status", WIFEXITED(wst) ? json_integer(WEXITSTATUS(wst)) : json_null());
	json_object_set_new(e, "signal", WIFSIGNALED(wst) ? json_integer(WTERMSIG(wst)) : json_null());
	set_opt_str(e, "via", via);
	return e;
}

json_t *rt_event_container(uint64_t t, int pid, const char *id, const char *runtime, const char *cgroup,
			   bool from_start)
{
	json_t *e = event_new(RT_ET_CONTAINER, t, pid, 0);

	json_object_set_new(e, "id", json_string(id));
	json_object_set_new(e, "runtime", json_str_or_null(runtime));
	json_object_set_new(e, "cgroup", json_str_or_null(cgroup));
	json_object_set_new(e, "observed_from_start", json_boolean(from_start));
	return e;
}

json_t *rt_event_crash(const struct rt_ev_crash *c)
{
	json_t *e = event_new(RT_ET_CRASH, c->t, c->pid, c->tid);

	json_object_set_new(e, "kind", json_string(c->signo ? "signal" : "go-fatal"));
	if (c->signo)
		signal_keys(e, c->signo, c->code, c->addr);
	else
		json_object_set_new(e, "function", json_str_or_null(c->function));
	json_object_set_new(e, "phase", json_str_or_null(c->phase));
	json_object_set_new(e, "package", json_str_or_null(c->package));
	if (c->regs)
		json_object_set_new(e, "regs", c->regs);
	json_object_set_new(e, "backtrace", c->backtrace ? c->backtrace : json_array());
	return e;
}

json_t *rt_event_stderr(uint64_t t, int pid, char *buf, size_t len)
{
	json_t *e = event_new(RT_ET_STDERR, t, pid, 0), *s;

	if (!(s = json_stringn(buf, len))) {
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)buf[i] >= 0x80 || buf[i] == '\0')
				buf[i] = '?';
		s = json_stringn(buf, len);
	}
	json_object_set_new(e, "tail", s);
	return e;
}

json_t *rt_event_mark(const struct rt_ev_mark *m)
{
	json_t *e = event_new(RT_ET_MARK, m->t, m->pid, m->tid);

	json_object_set_new(e, "what", json_string(m->what));
	set_opt_str(e, "note", m->note);
	set_opt_str(e, "object", m->object);
	if (m->has_index)
		json_object_set_new(e, "index", json_integer((json_int_t)m->index));
	if (m->has_addr) {
		json_object_set_new(e, "addr", json_hex(m->addr));
		json_object_set_new(e, "symbol", json_str_or_null(m->symbol));
	}
	if (m->has_offset)
		json_object_set_new(e, "offset", json_hex(m->offset));
	if (m->has_caller)
		json_object_set_new(e, "caller", json_hex(m->caller));
	if (m->name) {
		json_t *n = json_stringn(m->name, m->name_len);

		json_object_set_new(e, "name", n ? n : json_string("?"));
	}
	if (m->has_flags)
		json_object_set_new(e, "flags", json_hex(m->flags));
	return e;
}
