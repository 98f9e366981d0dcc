/*
 * probes/preload/shim.c: librt0preload.so, the LD_PRELOAD engine's in-process half (the launcher is
 * tracer/preload.c; the records are probes/preload/preload.h).
 *
 * Linked with -z initfirst: ld.so runs this constructor before any other object's initialisers (only
 * the main program's DT_PREINIT_ARRAY comes earlier), so it sees the moment the loader finished mapping
 * and relocating (HELLO), and it can time every other object's constructors by pointing their
 * .init_array slots (RELRO: mprotect around the write, the old protection put back) at trampolines
 * from a fixed table that report and call the original. The ELF entry itself gets a one-shot jump to a
 * trampoline (the entry moment, for any entry code: libc's _start, Go's _rt0_amd64_linux, a stripped
 * one). glibc >= 2.34 runs the main program's .init_array from __libc_start_main, which is interposed
 * too: it hands libc a wrapper of `main` (the main moment, with a /proc/self/maps snapshot), and stands
 * for the entry moment when the entry could not be patched.
 *
 * Rules of every interposed path: no allocation and no call that could come back here (records are
 * built on the stack and sent with one raw sendmsg(2) — not a cancellation point, never SIGPIPE);
 * errno is as the real call left it; the real functions are resolved in the constructor (dlsym may
 * allocate) and an mmap-family call that comes before it goes straight to the system call. When the
 * launcher's fds are not what RT0_PRELOAD says (fstat: type, device, inode) or the launcher is gone,
 * the shim is silent and every wrapper is a plain pass-through.
 *
 * Built without sanitizers: an instrumented preload library would break uninstrumented programs.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "probes/preload/preload.h"

#if !defined(__x86_64__)
#error "librt0preload.so's dlopen stub is written for x86_64"
#endif

#define EXPORT __attribute__((visibility("default")))
#define HIDDEN __attribute__((visibility("hidden")))

extern char **environ;

/* ---- state ---------------------------------------------------------------------------------------- */

static int pl_fd = -1;            /* the launcher's socket, or -1: silent */
static uint64_t *pl_shm;          /* the shared memfd: the count of records not sent, the ring's head,
				   * the ring (preload.h) */
static unsigned pl_flags;
static int pl_pid;                /* this process (reset in a fork child) */
static __thread int pl_tid __attribute__((tls_model("initial-exec")));
static int pl_main_started;
static int pl_entry_reached, pl_libc_started;   /* the ELF entry ran (patched); __libc_start_main was called */
HIDDEN uintptr_t pl_entry_addr;                 /* the patched entry (where its trampoline goes on), else 0 */
static int pl_seen_sigaction, pl_seen_broadcast, pl_seen_getattr;
static uintptr_t pl_main_lo, pl_main_hi;       /* the main program's mapped range */
static char pl_self[PATH_MAX];                 /* this library's path as loaded */
static char pl_env_value[160];                 /* RT0_PRELOAD's value */
static char pl_env_rt0[192];                   /* "RT0_PRELOAD=..." for exec'd programs */

static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static int (*real_mprotect)(void *, size_t, int);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);
static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static pid_t (*real_fork)(void);
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
			char *const[], char *const[]);
static spawn_fn real_posix_spawn, real_posix_spawnp;
static void (*real_exit)(int);
static void (*real__exit)(int);
static void (*real__Exit)(int);
static void (*real_abort)(void);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*real_cond_broadcast)(pthread_cond_t *);
static int (*real_pthread_getattr_np)(pthread_t, pthread_attr_t *);
typedef int (*main_fn)(int, char **, char **);
static int (*real_libc_start_main)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
static main_fn real_main;
HIDDEN void *pl_real_dlopen; /* read by the dlopen stub below */

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
		      void (*rtld_fini)(void), void *stack_end);
HIDDEN void pl_dlopen_note(const char *file, int mode, uintptr_t caller);

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* Resolves lazily, for the rare call that comes before the constructor (never the mmap family). */
#define REAL(f) (real_##f ? real_##f : (real_##f = (__typeof__(real_##f))next(#f)))

/* ---- sending ------------------------------------------------------------------------------------- */

static inline int pl_on(void)
{
	return __atomic_load_n(&pl_fd, __ATOMIC_RELAXED) >= 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The calling thread's scheduler account into r (preload.h: cpu_ns, wait_ns), by raw syscalls. */
static void pl_sched(struct rt_pl_rec *r)
{
	struct timespec ts;
	char buf[96];
	long fd, n;
	uint64_t v = 0;
	int field = 0;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return;
	r->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	fd = syscall(SYS_openat, AT_FDCWD, "/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, fd);
	for (long i = 0; i < n && field < 2; i++) { /* "cpu wait slices\n": the second number */
		if (buf[i] >= '0' && buf[i] <= '9') {
			v = v * 10 + (uint64_t)(buf[i] - '0');
		} else if (buf[i] == ' ') {
			if (++field == 2)
				break;
			v = 0;
		}
	}
	if (field >= 1)
		r->wait_ns = v;
}

static int cur_tid(void)
{
	if (!pl_tid)
		pl_tid = (int)syscall(SYS_gettid);
	return pl_tid;
}

static int in_main(uintptr_t a)
{
	return a >= pl_main_lo && a < pl_main_hi;
}

/* The main program's own code is running: after main, or, for a program that never calls
 * __libc_start_main (an internally linked Go program), after its ELF entry. Not while libc runs the
 * main program's .init_array (between __libc_start_main and main). */
static int pl_program_running(void)
{
	return __atomic_load_n(&pl_main_started, __ATOMIC_RELAXED) ||
	       ((__atomic_load_n(&pl_entry_reached, __ATOMIC_RELAXED) || !pl_entry_addr) &&
		!__atomic_load_n(&pl_libc_started, __ATOMIC_RELAXED));
}

/* One record: into the shared ring, else (full) one sendmsg(2). errno is kept; a record that cannot be
 * sent is counted. */
static void pl_send(struct rt_pl_rec *r, const void *payload, size_t len)
{
	int fd = __atomic_load_n(&pl_fd, __ATOMIC_RELAXED), e = errno;
	struct iovec iov[2];
	struct msghdr mh;
	long w;

	if (fd < 0)
		return;
	if (len > RT_PL_PAYLOAD_MAX)
		len = RT_PL_PAYLOAD_MAX;
	if (!r->pid)
		r->pid = pl_pid;
	if (!r->tid)
		r->tid = cur_tid();
	if (pl_shm && rt_pl_ring_put((char *)pl_shm + RT_PL_RING_OFF, pl_shm + RT_PL_HEAD_OFF / 8, r, payload, len) == 0) {
		errno = e;
		return;
	}
	r->len = (uint16_t)len;
	r->pad = 0;
	iov[0] = (struct iovec){ r, sizeof(*r) };
	iov[1] = (struct iovec){ (void *)payload, len };
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = len ? 2 : 1;
	do
		w = syscall(SYS_sendmsg, fd, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w != (long)(sizeof(*r) + len)) {
		if (pl_shm)
			__atomic_fetch_add(pl_shm, 1, __ATOMIC_RELAXED);
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN || errno == EBADF))
			__atomic_store_n(&pl_fd, -1, __ATOMIC_RELAXED); /* the launcher is gone */
	}
	errno = e;
}

/* /proc/self/maps, read with raw read(2) into a stack buffer, sent in pieces (the last one flagged). */
static void pl_snapshot(int what)
{
	static int seq;
	char buf[RT_PL_PAYLOAD_MAX];
	int id = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED), e = errno;
	long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		errno = e;
		return;
	}
	for (;;) {
		struct rt_pl_rec r = { .kind = RT_PL_MAPS };
		long n = syscall(SYS_read, (int)fd, buf, sizeof(buf));

		r.t = now_ns();
		r.a[0] = (uint64_t)id;
		r.a[1] = (uint64_t)what;
		r.a[2] = n <= 0;
		pl_send(&r, buf, n > 0 ? (size_t)n : 0);
		if (n <= 0)
			break;
	}
	syscall(SYS_close, (int)fd);
	errno = e;
}

/* ---- the mmap family ----------------------------------------------------------------------------- */

static void pl_syscall(uint64_t t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		       uint64_t a5, int64_t ret, uintptr_t caller)
{
	struct rt_pl_rec r = { .kind = RT_PL_SYSCALL };

	r.t = t;
	r.dur = now_ns() - t;
	r.nr = (uint64_t)nr;
	r.a[0] = a0, r.a[1] = a1, r.a[2] = a2, r.a[3] = a3, r.a[4] = a4, r.a[5] = a5;
	r.ret = ret;
	r.caller = caller;
	pl_send(&r, NULL, 0);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	uint64_t t = pl_on() ? now_ns() : 0;
	void *p = real_mmap ? real_mmap(addr, len, prot, flags, fd, off)
			    : (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);

	if (t)
		pl_syscall(t, SYS_mmap, (uintptr_t)addr, len, (uint64_t)prot, (uint64_t)flags, (uint64_t)(int64_t)fd,
			   (uint64_t)off, p == MAP_FAILED ? -(int64_t)errno : (int64_t)(uintptr_t)p,
			   (uintptr_t)__builtin_return_address(0));
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

EXPORT int munmap(void *addr, size_t len)
{
	uint64_t t = pl_on() ? now_ns() : 0;
	int rc = real_munmap ? real_munmap(addr, len) : (int)syscall(SYS_munmap, addr, len);

	if (t)
		pl_syscall(t, SYS_munmap, (uintptr_t)addr, len, 0, 0, 0, 0, rc ? -(int64_t)errno : 0,
			   (uintptr_t)__builtin_return_address(0));
	return rc;
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	uint64_t t = pl_on() ? now_ns() : 0;
	int rc = real_mprotect ? real_mprotect(addr, len, prot) : (int)syscall(SYS_mprotect, addr, len, prot);

	if (t)
		pl_syscall(t, SYS_mprotect, (uintptr_t)addr, len, (uint64_t)prot, 0, 0, 0, rc ? -(int64_t)errno : 0,
			   (uintptr_t)__builtin_return_address(0));
	return rc;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	uint64_t t = pl_on() ? now_ns() : 0;
	void *want = NULL, *p;
	va_list ap;

	va_start(ap, flags);
	if (flags & MREMAP_FIXED)
		want = va_arg(ap, void *);
	va_end(ap);
	p = real_mremap ? real_mremap(old, old_len, new_len, flags, want)
			: (void *)syscall(SYS_mremap, old, old_len, new_len, flags, want);
	if (t)
		pl_syscall(t, SYS_mremap, (uintptr_t)old, old_len, new_len, (uint64_t)flags, (uintptr_t)want, 0,
			   p == MAP_FAILED ? -(int64_t)errno : (int64_t)(uintptr_t)p, (uintptr_t)__builtin_return_address(0));
	return p;
}

/* ---- threads: recorded by the creating thread as pthread_create returns ---------------------------
 * The new thread's tid is read back from its CPU-time clock id: the kernel encodes a thread's clock as
 * (~tid << 3) | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED (6), and glibc and musl both build it from the tid
 * that clone(CLONE_PARENT_SETTID) stored before pthread_create returned. So a thread that never runs
 * before the program exits (a busy machine) is still recorded, with its tid. */

static int pthread_tid(pthread_t th)
{
	clockid_t cid;

	if (pthread_getcpuclockid(th, &cid) != 0 || (cid & 7) != 6)
		return 0;
	return ~(cid >> 3);
}

EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct rt_pl_rec r = { .kind = RT_PL_CLONE };
	int rc;

	if (!REAL(pthread_create))
		return EAGAIN;
	if (!pl_on())
		return real_pthread_create(th, attr, fn, arg);
	r.t = now_ns();
	r.caller = (uintptr_t)__builtin_return_address(0);
	rc = real_pthread_create(th, attr, fn, arg);
	if (rc == 0) {
		r.a[0] = (uint64_t)pthread_tid(*th);
		pl_send(&r, NULL, 0);
	}
	return rc;
}

/* ---- dlopen: noted, then a tail jump into libc's, so the library is looked up from the caller's
 * RUNPATH and $ORIGIN exactly as untraced (dlopen reads its caller's return address). ----------------- */

__asm__(".text\n"
	".globl dlopen\n"
	".type dlopen,@function\n"
	"dlopen:\n"
	"	push %rdi\n"
	"	push %rsi\n"
	"	sub $8, %rsp\n"
	"	mov 24(%rsp), %rdx\n"
	"	call pl_dlopen_note\n"
	"	add $8, %rsp\n"
	"	pop %rsi\n"
	"	pop %rdi\n"
	"	jmp *pl_real_dlopen(%rip)\n"
	".size dlopen, .-dlopen\n");

HIDDEN void pl_dlopen_note(const char *file, int mode, uintptr_t caller)
{
	if (!pl_real_dlopen)
		pl_real_dlopen = next("dlopen");
	if (pl_on()) {
		struct rt_pl_rec r = { .kind = RT_PL_DLOPEN };

		r.t = now_ns();
		r.a[0] = (uint64_t)mode;
		r.caller = caller;
		pl_send(&r, file ? file : "", file ? strlen(file) : 0);
	}
}

/* ---- processes ------------------------------------------------------------------------------------ */

EXPORT pid_t fork(void)
{
	uint64_t t;
	pid_t pid;

	if (!REAL(fork))
		return (pid_t)syscall(SYS_fork);
	if (!pl_on())
		return real_fork();
	t = now_ns();
	pid = real_fork();
	if (pid == 0) {
		pl_pid = (int)syscall(SYS_getpid);
		pl_tid = 0;
		if (pl_flags & RT_PL_F_NOFOLLOW) { /* the child goes on untraced and silent */
			int fd = pl_fd, e = errno;

			__atomic_store_n(&pl_fd, -1, __ATOMIC_RELAXED);
			syscall(SYS_close, fd);
			errno = e;
		}
		return 0;
	} else {
		struct rt_pl_rec r = { .kind = RT_PL_FORK };

		r.t = t;
		r.dur = now_ns() - t;
		r.ret = pid > 0 ? pid : -(int64_t)errno;
		r.caller = (uintptr_t)__builtin_return_address(0);
		pl_send(&r, NULL, 0);
	}
	return pid;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* LD_PRELOAD's value `v` without this library (entries are separated by ':' or ' ') into out;
 * returns whether this library was in it. */
static bool strip_self(const char *v, char *out, size_t outsz)
{
	size_t used = 0, self = strlen(pl_self);
	bool found = false;

	out[0] = '\0';
	while (*v) {
		size_t len = strcspn(v, ": ");

		if (self && len == self && strncmp(v, pl_self, self) == 0)
			found = true;
		else if (len && used + len + 2 < outsz) {
			if (used)
				out[used++] = ':';
			memcpy(out + used, v, len);
			used += len;
			out[used] = '\0';
		}
		v += len;
		v += *v != '\0';
	}
	return found;
}

/* The environment an exec'd program gets, in `out` (room for n + 3 entries; `buf` holds a new
 * LD_PRELOAD entry): when following, the shim's two variables are put back should the caller's envp
 * have lost them; with --no-follow, they are taken out. Returns envp itself when nothing changes. */
static char *const *exec_env(char *const *envp, char **out, size_t n, char *buf, size_t bufsz)
{
	bool follow = !(pl_flags & RT_PL_F_NOFOLLOW), have_rt0 = false, have_self = false;
	const char *theirs = NULL;
	char rest[2 * PATH_MAX];
	size_t k = 0, self = strlen(pl_self);

	for (size_t i = 0; i < n; i++) {
		if (starts(envp[i], RT_PL_ENV "=")) {
			have_rt0 = have_rt0 || strcmp(envp[i], pl_env_rt0) == 0;
			continue;
		}
		if (starts(envp[i], "LD_PRELOAD=")) {
			theirs = envp[i] + 11;
			continue;
		}
		out[k++] = envp[i];
	}
	rest[0] = '\0';
	if (theirs)
		have_self = strip_self(theirs, rest, sizeof(rest));
	if (follow ? have_rt0 && have_self : !have_rt0 && !have_self)
		return envp;
	if (follow) {
		if (!pl_env_rt0[0] || self + strlen(rest) + 13 > bufsz)
			return envp;
		out[k++] = pl_env_rt0;
		memcpy(buf, "LD_PRELOAD=", 11);
		memcpy(buf + 11, pl_self, self + 1);
		if (rest[0]) {
			buf[11 + self] = ':';
			memcpy(buf + 12 + self, rest, strlen(rest) + 1);
		}
		out[k++] = buf;
	} else if (rest[0]) {
		if (strlen(rest) + 12 > bufsz)
			return envp;
		memcpy(buf, "LD_PRELOAD=", 11);
		memcpy(buf + 11, rest, strlen(rest) + 1);
		out[k++] = buf;
	}
	out[k] = NULL;
	return out;
}

static size_t env_count(char *const *envp)
{
	size_t n = 0;

	while (envp && envp[n])
		n++;
	return n;
}

#define PL_ENV_MAX 8192 /* environments longer than this go to the exec untouched */

static void exec_note(long nr, const char *path, int64_t ret)
{
	struct rt_pl_rec r = { .kind = RT_PL_EXEC };

	/* possibly a vfork child sharing our memory: its own ids, not the cached ones */
	r.pid = (int)syscall(SYS_getpid);
	r.tid = (int)syscall(SYS_gettid);
	r.t = now_ns();
	r.nr = (uint64_t)nr;
	r.ret = ret;
	r.a[0] = !(pl_flags & RT_PL_F_NOFOLLOW);
	r.a[1] = ret != 0;
	pl_send(&r, path, path ? strlen(path) : 0);
}

/* Every exec-family wrapper ends here: note, adjust the environment, exec, note a failure. */
static int do_exec(const char *path, char *const argv[], char *const envp[], int which, int fd)
{
	size_t n = env_count(envp);
	int rc, e;

	if (!REAL(execve) || !REAL(execvpe) || !REAL(fexecve)) {
		errno = ENOSYS;
		return -1;
	}
	if (!pl_on() || n > PL_ENV_MAX) {
		if (which == 1)
			return real_execvpe(path, argv, envp);
		if (which == 2)
			return real_fexecve(fd, argv, envp);
		return real_execve(path, argv, envp);
	}
	{
		char *out[n + 3];
		char buf[2 * PATH_MAX + 64];
		char *const *env = exec_env(envp, out, n, buf, sizeof(buf));

		exec_note(which == 2 ? SYS_execveat : SYS_execve, path, 0);
		if (which == 1)
			rc = real_execvpe(path, argv, env);
		else if (which == 2)
			rc = real_fexecve(fd, argv, env);
		else
			rc = real_execve(path, argv, env);
	}
	e = errno;
	exec_note(which == 2 ? SYS_execveat : SYS_execve, path, -(int64_t)e);
	errno = e;
	return rc;
}

/* posix_spawn(p): the child is made and exec'd inside libc (no fork or exec wrapper sees it), so the
 * spawn is noted as a fork (a[0] = 1) and its environment is adjusted as an exec's. It returns an error
 * number and leaves errno alone, as libc's does. */
static int do_spawn(spawn_fn real, pid_t *pidp, const char *path, const posix_spawn_file_actions_t *fa,
		    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	size_t n = env_count(envp);
	struct rt_pl_rec r = { .kind = RT_PL_FORK };
	pid_t pid = 0;
	int rc;

	if (!real)
		return ENOSYS;
	if (!pl_on() || n > PL_ENV_MAX)
		return real(pidp, path, fa, attr, argv, envp);
	r.t = now_ns();
	{
		char *out[n + 3];
		char buf[2 * PATH_MAX + 64];

		rc = real(&pid, path, fa, attr, argv, exec_env(envp, out, n, buf, sizeof(buf)));
	}
	r.dur = now_ns() - r.t;
	r.ret = rc == 0 ? pid : -(int64_t)rc;
	r.a[0] = 1;
	r.caller = (uintptr_t)__builtin_return_address(0);
	pl_send(&r, path, path ? strlen(path) : 0);
	if (rc == 0 && pidp)
		*pidp = pid;
	return rc;
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return do_spawn(REAL(posix_spawn), pid, path, fa, attr, argv, envp);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return do_spawn(REAL(posix_spawnp), pid, file, fa, attr, argv, envp);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return do_exec(path, argv, envp, 0, -1);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return do_exec(path, argv, environ, 0, -1);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return do_exec(file, argv, envp, 1, -1);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return do_exec(file, argv, environ, 1, -1);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return do_exec("fexecve", argv, envp, 2, fd);
}

/* execl, execle, execlp: the argument list into an array on the stack, as libc does. */
#define PL_ARGS_MAX 65536
#define EXECL_BODY(first, ap, envp_expr, file, which)                                                    \
	do {                                                                                                \
		size_t n = 0;                                                                               \
		va_list cp;                                                                                 \
		const char *a0 = (first);                                                                   \
		__asm__("" : "+r"(a0)); /* libc says nonnull; a caller may still pass NULL */               \
		va_copy(cp, ap);                                                                            \
		if (a0)                                                                                     \
			for (n = 1; va_arg(cp, char *) != NULL && n < PL_ARGS_MAX;)                         \
				n++;                                                                        \
		va_end(cp);                                                                                 \
		if (n >= PL_ARGS_MAX) {                                                                     \
			va_end(ap);                                                                         \
			errno = E2BIG;                                                                      \
			return -1;                                                                          \
		}                                                                                           \
		{                                                                                           \
			char *argv[n + 1];                                                                  \
			char **envp;                                                                        \
			argv[0] = (char *)a0;                                                               \
			for (size_t i = 1; i <= n; i++)                                                     \
				argv[i] = va_arg(ap, char *);                                               \
			envp = (envp_expr);                                                                 \
			va_end(ap);                                                                         \
			return do_exec(file, argv, envp, which, -1);                                        \
		}                                                                                           \
	} while (0)

EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	EXECL_BODY(arg, ap, environ, path, 0);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	EXECL_BODY(arg, ap, environ, file, 1);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	EXECL_BODY(arg, ap, va_arg(ap, char **), path, 0);
}

/* An exit's record: a[0] the status, a[1] 1 for _exit/_Exit (no exit handler runs), 0 for exit. */
static void note_exit(int status, uintptr_t caller, int now)
{
	if (pl_on()) {
		struct rt_pl_rec r = { .kind = RT_PL_EXIT };

		r.pid = (int)syscall(SYS_getpid);
		r.tid = (int)syscall(SYS_gettid);
		r.t = now_ns();
		r.a[0] = (uint64_t)(int64_t)status;
		r.a[1] = (uint64_t)now;
		r.caller = caller;
		pl_send(&r, NULL, 0);
	}
}

EXPORT void exit(int status)
{
	note_exit(status, (uintptr_t)__builtin_return_address(0), 0);
	if (REAL(exit))
		real_exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

/* _exit and _Exit (what a forked child typically ends with): the same record, a[1] = 1; no exit
 * handler runs, and libc's own exit() reaches the system call without coming here. */
static void __attribute__((noreturn)) exit_now(int status, uintptr_t caller, void (*real)(int))
{
	note_exit(status, caller, 1);
	if (real)
		real(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

EXPORT void _exit(int status)
{
	exit_now(status, (uintptr_t)__builtin_return_address(0), REAL(_exit));
}

EXPORT void _Exit(int status)
{
	exit_now(status, (uintptr_t)__builtin_return_address(0), REAL(_Exit));
}

EXPORT void abort(void)
{
	if (pl_on()) {
		struct rt_pl_rec r = { .kind = RT_PL_ABORT };

		r.pid = (int)syscall(SYS_getpid);
		r.tid = (int)syscall(SYS_gettid);
		r.t = now_ns();
		r.caller = (uintptr_t)__builtin_return_address(0);
		pl_send(&r, NULL, 0);
	}
	if (REAL(abort))
		real_abort();
	syscall(SYS_kill, syscall(SYS_getpid), SIGABRT);
	syscall(SYS_exit_group, 127);
	__builtin_unreachable();
}

/* ---- the Go runtime's calls into libc (cgo) --------------------------------------------------------- */

static void call_note(int which, uintptr_t caller)
{
	struct rt_pl_rec r = { .kind = RT_PL_CALL };

	r.t = now_ns();
	pl_sched(&r);
	r.nr = (uint64_t)which;
	r.caller = caller;
	pl_send(&r, NULL, 0);
}

/* The first sigaction the main program makes once it runs (pl_program_running): with cgo, the Go runtime's initsig on m0
 * (x_cgo_sigaction), after schedinit and before runtime.main. */
EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	uintptr_t caller = (uintptr_t)__builtin_return_address(0);

	if (pl_on() && pl_program_running() && in_main(caller) &&
	    !__atomic_exchange_n(&pl_seen_sigaction, 1, __ATOMIC_RELAXED))
		call_note(RT_PL_CALL_SIGACTION, caller);
	if (!REAL(sigaction)) {
		errno = ENOSYS;
		return -1;
	}
	return real_sigaction(sig, act, old);
}

/* The first pthread_cond_broadcast the main program makes once it runs: with cgo,
 * x_cgo_notify_runtime_init_done (runtime inits and gcenable done, main's package inits next); the
 * layout is snapshotted there (the Go heap is reserved by then). */
EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	uintptr_t caller = (uintptr_t)__builtin_return_address(0);

	if (pl_on() && pl_program_running() && in_main(caller) &&
	    !__atomic_exchange_n(&pl_seen_broadcast, 1, __ATOMIC_RELAXED)) {
		call_note(RT_PL_CALL_COND_BROADCAST, caller);
		pl_snapshot(RT_PL_AT_CGO_INIT_DONE);
	}
	if (!real_cond_broadcast)
		real_cond_broadcast = (__typeof__(real_cond_broadcast))dlvsym(RTLD_NEXT, "pthread_cond_broadcast", "GLIBC_2.3.2");
	if (!real_cond_broadcast)
		real_cond_broadcast = (__typeof__(real_cond_broadcast))next("pthread_cond_broadcast");
	return real_cond_broadcast ? real_cond_broadcast(c) : ENOSYS;
}

/* The first pthread_getattr_np the main program makes once it runs: with cgo, x_cgo_init (through
 * _cgo_set_stacklo), which runtime.rt0_go calls before runtime.schedinit; for an internally linked Go
 * program (no C main) it is runtime.rt0_go's moment. */
EXPORT int pthread_getattr_np(pthread_t th, pthread_attr_t *attr)
{
	uintptr_t caller = (uintptr_t)__builtin_return_address(0);

	if (pl_on() && pl_program_running() && in_main(caller) &&
	    !__atomic_exchange_n(&pl_seen_getattr, 1, __ATOMIC_RELAXED))
		call_note(RT_PL_CALL_GETATTR_NP, caller);
	if (!REAL(pthread_getattr_np))
		return ENOSYS;
	return real_pthread_getattr_np(th, attr);
}

/* ---- entry and main -------------------------------------------------------------------------------- */

static int pl_main(int argc, char **argv, char **envp)
{
	struct rt_pl_rec r = { .kind = RT_PL_MAIN };
	int rc;

	r.t = now_ns();
	pl_sched(&r);
	r.a[0] = (uintptr_t)real_main;
	pl_send(&r, NULL, 0);
	pl_snapshot(RT_PL_AT_MAIN);
	__atomic_store_n(&pl_main_started, 1, __ATOMIC_RELAXED);
	rc = real_main(argc, argv, envp);
	/* main returned: libc calls exit itself (an internal call no interposer sees) */
	if (pl_on()) {
		struct rt_pl_rec x = { .kind = RT_PL_EXIT };

		x.t = now_ns();
		x.a[0] = (uint64_t)(int64_t)rc;
		pl_send(&x, NULL, 0);
	}
	return rc;
}

EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
			     void (*rtld_fini)(void), void *stack_end)
{
	if (!REAL(libc_start_main))
		real_libc_start_main = (__typeof__(real_libc_start_main))next("__libc_start_main");
	if (!pl_on())
		return real_libc_start_main(main, argc, argv, init, fini, rtld_fini, stack_end);
	__atomic_store_n(&pl_libc_started, 1, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&pl_entry_reached, __ATOMIC_RELAXED)) {
		/* the entry could not be patched: its moment is this call from the entry code (a[1] = 0) */
		struct rt_pl_rec r = { .kind = RT_PL_ENTRY };

		r.t = now_ns();
		pl_sched(&r);
		r.caller = (uintptr_t)__builtin_return_address(0);
		pl_send(&r, NULL, 0);
	}
	real_main = main;
	return real_libc_start_main(pl_main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* ---- the ELF entry: a one-shot jump over its first bytes ---------------------------------------------
 * ld.so jumps to the main program's entry once every initialiser has run, and nothing reports that
 * moment: the constructor writes `jmp *0(%rip); .quad pl_entry_tramp` over the entry's first 14 bytes
 * (a debugger's breakpoint, in effect: the pages are made read-write-execute until the hit), and the
 * trampoline, reached with the process's initial stack and registers, saves them, reports the entry,
 * puts the original bytes and the protection back and jumps to the entry. One shot, before any other thread of the
 * program runs; it works for any entry code (libc's _start, Go's _rt0_amd64_linux, a stripped one). */
#define PL_PATCH 14
static unsigned char pl_entry_orig[PL_PATCH];
static uintptr_t pl_entry_lo, pl_entry_hi;      /* the pages written */
static int pl_entry_prot;                       /* their protection */
HIDDEN void pl_entry_tramp(void);
HIDDEN void pl_entry_hit(void);

__asm__(".text\n"
	".type pl_entry_tramp,@function\n"
	"pl_entry_tramp:\n"
	"	push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
	"	push %r8\n push %r9\n push %r10\n push %r11\n push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	and $-16, %rsp\n"
	"	call pl_entry_hit\n"
	"	mov %rbp, %rsp\n"
	"	pop %rbp\n pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
	"	pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
	"	jmp *pl_entry_addr(%rip)\n"
	".size pl_entry_tramp, .-pl_entry_tramp\n");

HIDDEN void pl_entry_hit(void)
{
	struct rt_pl_rec r = { .kind = RT_PL_ENTRY };
	int e = errno;

	r.t = now_ns();
	pl_sched(&r);
	/* the pages are still read-write-execute: the bytes go back, then the protection (dropping
	 * permissions cannot fail the way raising them can) */
	memcpy((void *)pl_entry_addr, pl_entry_orig, PL_PATCH);
	syscall(SYS_mprotect, pl_entry_lo, pl_entry_hi - pl_entry_lo, pl_entry_prot);
	__atomic_store_n(&pl_entry_reached, 1, __ATOMIC_RELAXED);
	r.a[0] = pl_entry_addr;
	r.a[1] = 1; /* at the entry instruction itself */
	pl_send(&r, NULL, 0);
	errno = e;
}

/* Patches the entry (AT_ENTRY) when it lies, with its 14 bytes, in an executable PT_LOAD segment of the
 * main program; else the entry is left alone and __libc_start_main's call reports it (a C program). */
static void patch_entry(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t phn = getauxval(AT_PHNUM);
	uintptr_t entry = getauxval(AT_ENTRY), bias = 0, page = (uintptr_t)sysconf(_SC_PAGESIZE);
	unsigned char jmp[PL_PATCH] = { 0xff, 0x25, 0, 0, 0, 0 }; /* jmp *0(%rip), then the address */
	uintptr_t tramp = (uintptr_t)&pl_entry_tramp;

	for (size_t i = 0; ph && i < phn; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[i].p_vaddr;
	for (size_t i = 0; ph && entry && i < phn; i++) {
		uintptr_t lo = bias + ph[i].p_vaddr, hi = lo + ph[i].p_memsz;

		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X) || entry < lo || entry + PL_PATCH > hi)
			continue;
		pl_entry_prot = (ph[i].p_flags & PF_R ? PROT_READ : 0) | PROT_EXEC | (ph[i].p_flags & PF_W ? PROT_WRITE : 0);
		pl_entry_lo = entry & ~(page - 1);
		pl_entry_hi = (entry + PL_PATCH + page - 1) & ~(page - 1);
		/* Only read-write-execute will do, kept until the hit: a page made read-write only could
		 * not always be made executable again (SELinux execmod, PR_SET_MDWE), and the program would
		 * die at its entry. Refused: the entry is left alone. */
		if (syscall(SYS_mprotect, pl_entry_lo, pl_entry_hi - pl_entry_lo, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
			return;
		memcpy(pl_entry_orig, (const void *)entry, PL_PATCH);
		memcpy(jmp + 6, &tramp, sizeof(tramp));
		memcpy((void *)entry, jmp, PL_PATCH);
		pl_entry_addr = entry;
		return;
	}
}

/* ---- constructors: every other object's .init_array through a trampoline ----------------------------- */

#define PL_TRAMPS 256
typedef void (*init_fn)(int, char **, char **);

static struct {
	init_fn fn;
	uint32_t obj, idx;
} pl_tramp[PL_TRAMPS];
static int pl_ntramp;

static void tramp_run(int i, int argc, char **argv, char **envp)
{
	struct rt_pl_rec r = { .kind = RT_PL_INIT };

	r.t = now_ns();
	pl_sched(&r);
	r.a[0] = pl_tramp[i].obj;
	r.a[1] = pl_tramp[i].idx;
	r.a[2] = (uintptr_t)pl_tramp[i].fn;
	pl_send(&r, NULL, 0);
	pl_tramp[i].fn(argc, argv, envp);
}

#define T1(h, l) \
	static void tramp_##h##l(int argc, char **argv, char **envp) { tramp_run(0x##h##l, argc, argv, envp); }
#define T16(h) T1(h, 0) T1(h, 1) T1(h, 2) T1(h, 3) T1(h, 4) T1(h, 5) T1(h, 6) T1(h, 7) T1(h, 8) T1(h, 9) \
	T1(h, a) T1(h, b) T1(h, c) T1(h, d) T1(h, e) T1(h, f)
T16(0) T16(1) T16(2) T16(3) T16(4) T16(5) T16(6) T16(7) T16(8) T16(9) T16(a) T16(b) T16(c) T16(d) T16(e) T16(f)
#define N1(h, l) tramp_##h##l,
#define N16(h) N1(h, 0) N1(h, 1) N1(h, 2) N1(h, 3) N1(h, 4) N1(h, 5) N1(h, 6) N1(h, 7) N1(h, 8) N1(h, 9) \
	N1(h, a) N1(h, b) N1(h, c) N1(h, d) N1(h, e) N1(h, f)
static const init_fn pl_tramp_fns[PL_TRAMPS] = {
	N16(0) N16(1) N16(2) N16(3) N16(4) N16(5) N16(6) N16(7) N16(8) N16(9) N16(a) N16(b) N16(c) N16(d) N16(e) N16(f)
};

/* An object's .init_array address and length from its dynamic section (DT_INIT_ARRAY is not relocated
 * in place by glibc; a value inside the mapped image is taken as already absolute). */
static void patch_object(struct dl_phdr_info *info, uint32_t id)
{
	const ElfW(Phdr) *dyn = NULL, *relro = NULL;
	uintptr_t lo = UINTPTR_MAX, hi = 0, arr = 0, self = (uintptr_t)&patch_object;
	size_t sz = 0;
	long page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];

		if (p->p_type == PT_DYNAMIC)
			dyn = p;
		else if (p->p_type == PT_GNU_RELRO)
			relro = p;
		else if (p->p_type == PT_LOAD) {
			if (info->dlpi_addr + p->p_vaddr < lo)
				lo = info->dlpi_addr + p->p_vaddr;
			if (info->dlpi_addr + p->p_vaddr + p->p_memsz > hi)
				hi = info->dlpi_addr + p->p_vaddr + p->p_memsz;
		}
	}
	if (id == 0) {
		pl_main_lo = lo;
		pl_main_hi = hi;
	}
	if (!dyn || (self >= lo && self < hi)) /* not this library */
		return;
	for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + dyn->p_vaddr); d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_INIT_ARRAY)
			arr = d->d_un.d_ptr;
		else if (d->d_tag == DT_INIT_ARRAYSZ)
			sz = d->d_un.d_val;
	}
	if (!arr || !sz)
		return;
	if (!(info->dlpi_addr && arr >= lo && arr < hi))
		arr += info->dlpi_addr;
	{
		init_fn *slots = (init_fn *)arr;
		size_t n = sz / sizeof(init_fn);
		uintptr_t mask = ~(uintptr_t)(page - 1);
		/* ld.so made [start, end) of PT_GNU_RELRO read-only, both rounded down to a page (the
		 * last partial page stays writable): only those pages are opened and closed again */
		uintptr_t rlo = relro ? (info->dlpi_addr + relro->p_vaddr) & mask : 0;
		uintptr_t rhi = relro ? (info->dlpi_addr + relro->p_vaddr + relro->p_memsz) & mask : 0;
		uintptr_t plo = arr & mask, phi = (arr + sz + (uintptr_t)page - 1) & mask;
		uintptr_t olo = plo > rlo ? plo : rlo, ohi = phi < rhi ? phi : rhi;
		bool writable = false;

		for (int i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *p = &info->dlpi_phdr[i];
			uintptr_t s0 = info->dlpi_addr + p->p_vaddr;

			if (p->p_type == PT_LOAD && arr >= s0 && arr + sz <= s0 + p->p_memsz)
				writable = (p->p_flags & PF_W) != 0;
		}
		/* a segment the file does not make writable is left alone */
		if (!writable || n > (size_t)(PL_TRAMPS - pl_ntramp))
			return;
		if (olo < ohi && syscall(SYS_mprotect, olo, ohi - olo, PROT_READ | PROT_WRITE) != 0)
			return;
		for (size_t i = 0; i < n; i++) {
			uintptr_t f = (uintptr_t)slots[i];

			if (f == 0 || f == UINTPTR_MAX)
				continue;
			pl_tramp[pl_ntramp].fn = slots[i];
			pl_tramp[pl_ntramp].obj = id;
			pl_tramp[pl_ntramp].idx = (uint32_t)i;
			slots[i] = pl_tramp_fns[pl_ntramp++];
		}
		if (olo < ohi)
			syscall(SYS_mprotect, olo, ohi - olo, PROT_READ);
	}
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	uint32_t *id = arg;
	struct rt_pl_rec r = { .kind = RT_PL_OBJECT };
	const char *name = info->dlpi_name ? info->dlpi_name : "";

	(void)size;
	r.t = now_ns();
	r.a[0] = *id;
	r.a[1] = info->dlpi_addr;
	pl_send(&r, name, strlen(name));
	patch_object(info, *id);
	(*id)++;
	return 0;
}

/* RT0_PRELOAD=1:fd:dev:ino:lostfd:dev:ino:flags; 0 when every fd is what it says. */
static int parse_env(const char *v, int *fd, int *lfd, unsigned *flags)
{
	unsigned long long f[8];
	struct stat st;
	socklen_t sl;
	int opt = 0;
	char *end;

	for (int i = 0; i < 8; i++) {
		errno = 0;
		f[i] = strtoull(v, &end, 10);
		if (errno || end == v || (i < 7 ? *end != ':' : *end != '\0'))
			return -1;
		v = end + 1;
	}
	if (f[0] != RT_PL_VERSION || f[1] > INT_MAX || f[4] > INT_MAX)
		return -1;
	/* the socket: an AF_UNIX SOCK_SEQPACKET one with that device and inode, as the launcher made it
	 * (never another kind of socket the program inherited) */
	if (fstat((int)f[1], &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_dev != f[2] || st.st_ino != f[3])
		return -1;
	sl = sizeof(opt);
	if (getsockopt((int)f[1], SOL_SOCKET, SO_DOMAIN, &opt, &sl) != 0 || opt != AF_UNIX)
		return -1;
	sl = sizeof(opt);
	if (getsockopt((int)f[1], SOL_SOCKET, SO_TYPE, &opt, &sl) != 0 || opt != SOCK_SEQPACKET)
		return -1;
	/* the shared memfd: the launcher's, exactly RT_PL_SHARED_SIZE bytes and sealed exactly
	 * RT_PL_LOST_SEALS (no file on disk and no other memfd carries those seals by accident: a forged
	 * RT0_PRELOAD naming an inherited read-write file is refused, never written into) */
	if (fstat((int)f[4], &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != f[5] || st.st_ino != f[6] ||
	    st.st_size != RT_PL_SHARED_SIZE || !rt_pl_lost_seals_ok(fcntl((int)f[4], F_GET_SEALS)))
		return -1;
	*fd = (int)f[1];
	*lfd = (int)f[4];
	*flags = (unsigned)f[7];
	return 0;
}

/* --no-follow: exec'd programs inherit neither variable (and the program sees the environment it
 * would have untraced). This runs before libc's own initialiser has set `environ`, so the initial
 * environment array (the one libc adopts next) is edited in place, as unsetenv would. */
static void forget_env(char **envp)
{
	static char pre[sizeof("LD_PRELOAD=") + 2 * PATH_MAX];
	size_t k = 0;

	for (size_t i = 0; envp && envp[i]; i++) {
		if (starts(envp[i], RT_PL_ENV "="))
			continue;
		if (starts(envp[i], "LD_PRELOAD=")) {
			char rest[2 * PATH_MAX];

			if (strlen(envp[i]) < sizeof(rest) && strip_self(envp[i] + 11, rest, sizeof(rest))) {
				if (!rest[0])
					continue;
				memcpy(pre, "LD_PRELOAD=", 11);
				memcpy(pre + 11, rest, strlen(rest) + 1);
				envp[k++] = pre;
				continue;
			}
		}
		envp[k++] = envp[i];
	}
	if (envp)
		envp[k] = NULL;
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

/* Called by ld.so with (argc, argv, envp), before any other object's initialiser: libc's included, so
 * `environ` is not set yet and the variables are read from envp. */
__attribute__((constructor)) static void pl_init(int argc, char **argv, char **envp)
{
	const char *v = env_get(envp, RT_PL_ENV);
	struct rt_pl_rec r = { .kind = RT_PL_HELLO };
	char exe[PATH_MAX];
	int fd, lfd;
	unsigned flags;
	uint32_t id = 0;
	long n;
	Dl_info di;

	r.t = now_ns();
	real_mmap = (__typeof__(real_mmap))next("mmap");
	real_munmap = (__typeof__(real_munmap))next("munmap");
	real_mprotect = (__typeof__(real_mprotect))next("mprotect");
	real_mremap = (__typeof__(real_mremap))next("mremap");
	REAL(pthread_create);
	REAL(fork);
	REAL(execve);
	REAL(execvpe);
	REAL(fexecve);
	REAL(posix_spawn);
	REAL(posix_spawnp);
	REAL(exit);
	REAL(_exit);
	REAL(_Exit);
	REAL(abort);
	REAL(sigaction);
	REAL(pthread_getattr_np);
	real_libc_start_main = (__typeof__(real_libc_start_main))next("__libc_start_main");
	if (!pl_real_dlopen)
		pl_real_dlopen = next("dlopen");
	if (!real_cond_broadcast)
		real_cond_broadcast = (__typeof__(real_cond_broadcast))dlvsym(RTLD_NEXT, "pthread_cond_broadcast", "GLIBC_2.3.2");
	(void)argc;
	(void)argv;
	if (!v || parse_env(v, &fd, &lfd, &flags) != 0)
		return; /* not ours to report to: silent */
	if (dladdr((void *)&pl_init, &di) && di.dli_fname && strlen(di.dli_fname) < sizeof(pl_self))
		memcpy(pl_self, di.dli_fname, strlen(di.dli_fname) + 1);
	if (strlen(v) < sizeof(pl_env_value)) {
		memcpy(pl_env_value, v, strlen(v) + 1);
		memcpy(pl_env_rt0, RT_PL_ENV "=", sizeof(RT_PL_ENV));
		memcpy(pl_env_rt0 + sizeof(RT_PL_ENV), v, strlen(v) + 1);
	}
	pl_shm = (uint64_t *)syscall(SYS_mmap, NULL, RT_PL_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, lfd, 0);
	if (pl_shm == MAP_FAILED) {
		pl_shm = NULL;
		return;
	}
	pl_flags = flags;
	pl_pid = (int)syscall(SYS_getpid);
	if (flags & RT_PL_F_NOFOLLOW) {
		/* exec'd programs neither inherit the fds nor the variables */
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(lfd, F_SETFD, FD_CLOEXEC);
		forget_env(envp); /* v pointed into it: the copies above are what remains */
	}
	__atomic_store_n(&pl_fd, fd, __ATOMIC_RELAXED);
	n = syscall(SYS_readlink, "/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	r.a[1] = getauxval(AT_ENTRY);
	r.a[2] = (uint64_t)getppid();
	patch_entry();
	r.a[4] = pl_entry_addr != 0;
	{
		/* the main program's bias: AT_PHDR minus its link-time program header address */
		const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
		size_t phn = getauxval(AT_PHNUM);

		for (size_t i = 0; ph && i < phn; i++)
			if (ph[i].p_type == PT_PHDR)
				r.a[0] = (uintptr_t)ph - ph[i].p_vaddr;
	}
	pl_send(&r, exe, strlen(exe));
	dl_iterate_phdr(each_object, &id); /* the main program first, then every object */
}
