#include "tracer/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/outfile.h"
#include "common/xalloc.h"

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

static void put_line(struct rt_trace *t, json_t *o, bool flush)
{
	if (json_dumpf(o, t->f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 || fputc('\n', t->f) == EOF ||
	    (flush && fflush(t->f) != 0))
		t->failed = true;
}

void rt_trace_header(struct rt_trace *t, const char *engine, char *const *argv, json_t *binary, uint64_t t0)
{
	json_t *h = json_object(), *a = json_array();

	json_object_set_new(h, "type", json_string("header"));
	json_object_set_new(h, "format", json_string(RT_TRACE_FORMAT));
	json_object_set_new(h, "version", json_integer(RT_TRACE_VERSION));
	json_object_set_new(h, "engine", json_string(engine));
	for (size_t i = 0; argv && argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	json_object_set_new(h, "argv", a);
	json_object_set_new(h, "binary", binary ? binary : json_null());
	json_object_set_new(h, "t0", json_integer((json_int_t)t0));
	if (t->filter)
		json_object_set_new(h, "syscall_filter", json_string(t->filter->expr));
	if (t->t0_sched.tid > 0) {
		json_t *s = json_pack("{s:i}", "tid", t->t0_sched.tid);

		rt_event_sched(s, &t->t0_sched.s);
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

	if (t->filter && type && strcmp(type, "syscall") == 0 &&
	    !rt_sysfilter_has(t->filter, (uint64_t)json_integer_value(json_object_get(ev, "nr")))) {
		json_decref(ev);
		return;
	}
	t->events++;
	/* Syscalls and probes are the bulk: they go out in batches; execs, signals, maps, exits at once. */
	put_line(t, ev, (type && strcmp(type, "syscall") != 0 && strcmp(type, "probe") != 0) || t->events % 128 == 0);
	json_decref(ev);
}

void rt_trace_syscall(struct rt_trace *t, uint64_t ts, int pid, int tid, uint64_t dur, uint64_t nr, const char *name,
		      const uint64_t args[6], const int64_t *ret)
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
		    "\"args\":[\"0x%llx\",\"0x%llx\",\"0x%llx\",\"0x%llx\",\"0x%llx\",\"0x%llx\"],\"ret\":%s}\n",
		    (unsigned long long)ts, pid, tid, (unsigned long long)dur, (unsigned long long)nr, name,
		    (unsigned long long)args[0], (unsigned long long)args[1], (unsigned long long)args[2],
		    (unsigned long long)args[3], (unsigned long long)args[4], (unsigned long long)args[5], r) < 0 ||
	    (t->events % 128 == 0 && fflush(t->f) != 0))
		t->failed = true;
}

int rt_trace_close(struct rt_trace *t, bool complete)
{
	json_t *f = json_object();
	int rc;

	json_object_set_new(f, "type", json_string("footer"));
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

void rt_event_sched(json_t *e, const struct rt_sched *s)
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

void rt_trace_rusage(struct rt_trace *t, const struct rusage *ru)
{
	t->rusage.valid = true;
	t->rusage.utime_ns = (uint64_t)ru->ru_utime.tv_sec * 1000000000ull + (uint64_t)ru->ru_utime.tv_usec * 1000ull;
	t->rusage.stime_ns = (uint64_t)ru->ru_stime.tv_sec * 1000000000ull + (uint64_t)ru->ru_stime.tv_usec * 1000ull;
	t->rusage.maxrss_kb = (uint64_t)ru->ru_maxrss;
	t->rusage.minflt = (uint64_t)ru->ru_minflt;
	t->rusage.majflt = (uint64_t)ru->ru_majflt;
}

json_t *rt_event_new(const char *type, uint64_t t, int pid, int tid)
{
	json_t *e = json_object();

	json_object_set_new(e, "type", json_string(type));
	json_object_set_new(e, "t", json_integer((json_int_t)t));
	if (pid)
		json_object_set_new(e, "pid", json_integer(pid));
	if (tid)
		json_object_set_new(e, "tid", json_integer(tid));
	return e;
}

bool rt_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
}

json_t *rt_signal_event(uint64_t t, int pid, int tid, int sig, int code, uint64_t addr)
{
	json_t *e = rt_event_new("signal", t, pid, tid);

	json_object_set_new(e, "signo", json_integer(sig));
	json_object_set_new(e, "name", json_string(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?"));
	json_object_set_new(e, "code", json_integer(code));
	if (rt_fault_signal(sig))
		json_object_set_new(e, "addr", json_hex(addr));
	return e;
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
