/* tracer/decode: capture plans, strace-style formatting and the fd table (see decode.h). */
#include "tracer/decode.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

/* ---- the table ---------------------------------------------------------------------------------------- */

/* What an argument is (K_*_IN: a struct read at entry; K_*_OUT: one read at exit, when the call
 * succeeded; a composite kind prints the arguments after it too, as its first argument says). */
enum kind {
	K_END = 0,   /* no more arguments */
	K_INT,       /* signed decimal */
	K_UINT,      /* unsigned decimal */
	K_HEX,       /* 0x... */
	K_PTR,       /* NULL or 0x... */
	K_FD,        /* a file descriptor */
	K_DIRFD,     /* a directory fd: AT_FDCWD or an fd */
	K_PATH,      /* a NUL-terminated path, read at entry */
	K_BUF_IN,    /* bytes written: the next argument is their length, read at entry */
	K_BUF_OUT,   /* bytes read: as many as the call returned, read at exit */
	K_RAND_OUT,  /* getrandom's bytes: K_BUF_OUT, every byte in hex */
	K_LINK_OUT,  /* readlink's result: as many bytes as returned, at exit, shown whole */
	K_OPEN_FLAGS,
	K_FD_FLAGS,  /* dup3, pipe2: O_CLOEXEC, O_NONBLOCK, O_DIRECT only */
	K_OPEN_MODE, /* octal mode, only with O_CREAT or O_TMPFILE in the argument before */
	K_MODE,      /* octal file mode */
	K_PROT,
	K_MAP_FLAGS,
	K_ACCESS_MODE,
	K_AT_FLAGS,
	K_ARGV,      /* execve's argv, read at entry */
	K_ENVP,      /* execve's envp: how many */
	K_PIPEFD_OUT,/* int[2], at exit */
	K_SOCK_DOMAIN,
	K_SOCK_TYPE,
	K_SOCKADDR_IN, /* a sockaddr whose length is the next argument, read at entry */
	K_SIGNUM,    /* SIGINT, ... */
	K_SIGHOW,    /* SIG_BLOCK, ... */
	K_SIGSET_IN, K_SIGSET_OUT,     /* sigset_t, 8 bytes on x86-64 */
	K_SIGACT_IN, K_SIGACT_OUT,     /* the kernel's struct sigaction */
	K_STACK_IN, K_STACK_OUT,       /* stack_t */
	K_RLIM_IN, K_RLIM_OUT,         /* struct rlimit64 */
	K_RESOURCE,  /* RLIMIT_* */
	K_TIMESPEC_IN,
	K_STAT_OUT,  /* struct stat: the mode, the size (a device's rdev) */
	K_UTS_OUT,   /* struct utsname */
	K_CPUSET_IN, /* a CPU mask whose size is the argument before */
	K_CPUSET_OUT,/* a CPU mask, as many bytes as returned */
	K_DIRENTS_OUT, /* getdents64's records: how many */
	K_CLONE_ARGS,  /* struct clone_args (its size is the next argument), read at entry */
	K_EPOLL_EVENT_IN,
	K_EPOLL_EVENTS_OUT, /* epoll_wait's events: as many as returned, at exit */
	K_EPOLL_OP, K_EPOLL_FLAGS, K_EFD_FLAGS, K_GRND_FLAGS, K_MADV, K_WHENCE, K_CLOCK, K_TIMER_FLAGS,
	K_RSEQ_FLAGS,
	K_ARCH_PRCTL,  /* composite: the code and its address */
	K_CLONE,       /* composite: clone(flags, stack, parent_tid, child_tid, tls) */
	K_FCNTL,       /* composite: the command and its argument, if it takes one */
	K_FUTEX,       /* composite: the operation and the arguments it takes */
	K_IOCTL,       /* composite: the request and its argument */
	K_PRCTL,       /* composite: the option and the arguments it takes */
};

/* What the result is. */
enum rkind { R_INT, R_FD, R_HEX, R_NONE, R_FCNTL };

/* How a call changes the fd table. */
enum fdop { F_NONE, F_OPEN, F_CLOSE, F_DUP, F_DUP2, F_PIPE, F_SOCKET, F_EXEC, F_FCNTL };

struct sys {
	const char *name;
	uint8_t kind[6];
	uint8_t rkind;
	uint8_t fdop;
};

#define S(n, r, op, ...) { #n, { __VA_ARGS__ }, r, op }

/* Indexed by the x86-64 syscall number (the numbers rt0trace records on this machine). */
static const struct sys *lookup(uint64_t nr);

static const struct {
	long nr;
	struct sys s;
} table[] = {
	{ SYS_read, S(read, R_INT, F_NONE, K_FD, K_BUF_OUT, K_UINT) },
	{ SYS_write, S(write, R_INT, F_NONE, K_FD, K_BUF_IN, K_UINT) },
	{ SYS_pread64, S(pread64, R_INT, F_NONE, K_FD, K_BUF_OUT, K_UINT, K_INT) },
	{ SYS_pwrite64, S(pwrite64, R_INT, F_NONE, K_FD, K_BUF_IN, K_UINT, K_INT) },
	{ SYS_lseek, S(lseek, R_INT, F_NONE, K_FD, K_INT, K_WHENCE) },
	{ SYS_open, S(open, R_FD, F_OPEN, K_PATH, K_OPEN_FLAGS, K_OPEN_MODE) },
	{ SYS_openat, S(openat, R_FD, F_OPEN, K_DIRFD, K_PATH, K_OPEN_FLAGS, K_OPEN_MODE) },
	{ SYS_creat, S(creat, R_FD, F_OPEN, K_PATH, K_MODE) },
	{ SYS_close, S(close, R_INT, F_CLOSE, K_FD) },
	{ SYS_newfstatat, S(newfstatat, R_INT, F_NONE, K_DIRFD, K_PATH, K_STAT_OUT, K_AT_FLAGS) },
	{ SYS_stat, S(stat, R_INT, F_NONE, K_PATH, K_STAT_OUT) },
	{ SYS_lstat, S(lstat, R_INT, F_NONE, K_PATH, K_STAT_OUT) },
	{ SYS_fstat, S(fstat, R_INT, F_NONE, K_FD, K_STAT_OUT) },
	{ SYS_statfs, S(statfs, R_INT, F_NONE, K_PATH, K_PTR) },
	{ SYS_fstatfs, S(fstatfs, R_INT, F_NONE, K_FD, K_PTR) },
	{ SYS_access, S(access, R_INT, F_NONE, K_PATH, K_ACCESS_MODE) },
	{ SYS_faccessat, S(faccessat, R_INT, F_NONE, K_DIRFD, K_PATH, K_ACCESS_MODE) },
	{ SYS_faccessat2, S(faccessat2, R_INT, F_NONE, K_DIRFD, K_PATH, K_ACCESS_MODE, K_AT_FLAGS) },
	{ SYS_readlink, S(readlink, R_INT, F_NONE, K_PATH, K_LINK_OUT, K_UINT) },
	{ SYS_readlinkat, S(readlinkat, R_INT, F_NONE, K_DIRFD, K_PATH, K_LINK_OUT, K_UINT) },
	{ SYS_getdents64, S(getdents64, R_INT, F_NONE, K_FD, K_DIRENTS_OUT, K_UINT) },
	{ SYS_mmap, S(mmap, R_HEX, F_NONE, K_PTR, K_UINT, K_PROT, K_MAP_FLAGS, K_FD, K_HEX) },
	{ SYS_munmap, S(munmap, R_INT, F_NONE, K_PTR, K_UINT) },
	{ SYS_mprotect, S(mprotect, R_INT, F_NONE, K_PTR, K_UINT, K_PROT) },
	{ SYS_madvise, S(madvise, R_INT, F_NONE, K_PTR, K_UINT, K_MADV) },
	{ SYS_brk, S(brk, R_HEX, F_NONE, K_PTR) },
	{ SYS_execve, S(execve, R_INT, F_EXEC, K_PATH, K_ARGV, K_ENVP) },
	{ SYS_clone, S(clone, R_INT, F_NONE, K_CLONE) },
	{ SYS_clone3, S(clone3, R_INT, F_NONE, K_CLONE_ARGS, K_UINT) },
	{ SYS_getpid, S(getpid, R_INT, F_NONE, K_END) },
	{ SYS_gettid, S(gettid, R_INT, F_NONE, K_END) },
	{ SYS_getppid, S(getppid, R_INT, F_NONE, K_END) },
	{ SYS_getuid, S(getuid, R_INT, F_NONE, K_END) },
	{ SYS_geteuid, S(geteuid, R_INT, F_NONE, K_END) },
	{ SYS_getgid, S(getgid, R_INT, F_NONE, K_END) },
	{ SYS_getegid, S(getegid, R_INT, F_NONE, K_END) },
	{ SYS_sched_yield, S(sched_yield, R_INT, F_NONE, K_END) },
	{ SYS_exit_group, S(exit_group, R_NONE, F_NONE, K_INT) },
	{ SYS_exit, S(exit, R_NONE, F_NONE, K_INT) },
	{ SYS_dup, S(dup, R_FD, F_DUP, K_FD) },
	{ SYS_dup2, S(dup2, R_FD, F_DUP2, K_FD, K_FD) },
	{ SYS_dup3, S(dup3, R_FD, F_DUP2, K_FD, K_FD, K_FD_FLAGS) },
	{ SYS_pipe2, S(pipe2, R_INT, F_PIPE, K_PIPEFD_OUT, K_FD_FLAGS) },
	{ SYS_fcntl, S(fcntl, R_FCNTL, F_FCNTL, K_FD, K_FCNTL) },
	{ SYS_ioctl, S(ioctl, R_INT, F_NONE, K_FD, K_IOCTL) },
	{ SYS_socket, S(socket, R_FD, F_SOCKET, K_SOCK_DOMAIN, K_SOCK_TYPE, K_INT) },
	{ SYS_connect, S(connect, R_INT, F_NONE, K_FD, K_SOCKADDR_IN, K_UINT) },
	{ SYS_bind, S(bind, R_INT, F_NONE, K_FD, K_SOCKADDR_IN, K_UINT) },
	{ SYS_sendto, S(sendto, R_INT, F_NONE, K_FD, K_BUF_IN, K_UINT, K_HEX, K_SOCKADDR_IN, K_UINT) },
	{ SYS_epoll_create1, S(epoll_create1, R_FD, F_NONE, K_EPOLL_FLAGS) },
	{ SYS_epoll_ctl, S(epoll_ctl, R_INT, F_NONE, K_FD, K_EPOLL_OP, K_FD, K_EPOLL_EVENT_IN) },
	{ SYS_epoll_wait, S(epoll_wait, R_INT, F_NONE, K_FD, K_EPOLL_EVENTS_OUT, K_INT, K_INT) },
	{ SYS_epoll_pwait, S(epoll_pwait, R_INT, F_NONE, K_FD, K_EPOLL_EVENTS_OUT, K_INT, K_INT, K_SIGSET_IN, K_UINT) },
	{ SYS_eventfd2, S(eventfd2, R_FD, F_NONE, K_UINT, K_EFD_FLAGS) },
	{ SYS_chdir, S(chdir, R_INT, F_NONE, K_PATH) },
	{ SYS_unlink, S(unlink, R_INT, F_NONE, K_PATH) },
	{ SYS_unlinkat, S(unlinkat, R_INT, F_NONE, K_DIRFD, K_PATH, K_AT_FLAGS) },
	{ SYS_mkdir, S(mkdir, R_INT, F_NONE, K_PATH, K_MODE) },
	{ SYS_mkdirat, S(mkdirat, R_INT, F_NONE, K_DIRFD, K_PATH, K_MODE) },
	{ SYS_getcwd, S(getcwd, R_INT, F_NONE, K_LINK_OUT, K_UINT) },
	{ SYS_rt_sigaction, S(rt_sigaction, R_INT, F_NONE, K_SIGNUM, K_SIGACT_IN, K_SIGACT_OUT, K_UINT) },
	{ SYS_rt_sigprocmask, S(rt_sigprocmask, R_INT, F_NONE, K_SIGHOW, K_SIGSET_IN, K_SIGSET_OUT, K_UINT) },
	{ SYS_sigaltstack, S(sigaltstack, R_INT, F_NONE, K_STACK_IN, K_STACK_OUT) },
	{ SYS_kill, S(kill, R_INT, F_NONE, K_INT, K_SIGNUM) },
	{ SYS_tkill, S(tkill, R_INT, F_NONE, K_INT, K_SIGNUM) },
	{ SYS_tgkill, S(tgkill, R_INT, F_NONE, K_INT, K_INT, K_SIGNUM) },
	{ SYS_arch_prctl, S(arch_prctl, R_INT, F_NONE, K_ARCH_PRCTL) },
	{ SYS_prctl, S(prctl, R_INT, F_NONE, K_PRCTL) },
	{ SYS_set_tid_address, S(set_tid_address, R_INT, F_NONE, K_PTR) },
	{ SYS_set_robust_list, S(set_robust_list, R_INT, F_NONE, K_PTR, K_UINT) },
	{ SYS_rseq, S(rseq, R_INT, F_NONE, K_PTR, K_HEX, K_RSEQ_FLAGS, K_HEX) },
	{ SYS_futex, S(futex, R_INT, F_NONE, K_PTR, K_FUTEX) },
	{ SYS_prlimit64, S(prlimit64, R_INT, F_NONE, K_INT, K_RESOURCE, K_RLIM_IN, K_RLIM_OUT) },
	{ SYS_getrlimit, S(getrlimit, R_INT, F_NONE, K_RESOURCE, K_RLIM_OUT) },
	{ SYS_setrlimit, S(setrlimit, R_INT, F_NONE, K_RESOURCE, K_RLIM_IN) },
	{ SYS_sched_getaffinity, S(sched_getaffinity, R_INT, F_NONE, K_INT, K_UINT, K_CPUSET_OUT) },
	{ SYS_sched_setaffinity, S(sched_setaffinity, R_INT, F_NONE, K_INT, K_UINT, K_CPUSET_IN) },
	{ SYS_uname, S(uname, R_INT, F_NONE, K_UTS_OUT) },
	{ SYS_getrandom, S(getrandom, R_INT, F_NONE, K_RAND_OUT, K_UINT, K_GRND_FLAGS) },
	{ SYS_nanosleep, S(nanosleep, R_INT, F_NONE, K_TIMESPEC_IN, K_PTR) },
	{ SYS_clock_nanosleep, S(clock_nanosleep, R_INT, F_NONE, K_CLOCK, K_TIMER_FLAGS, K_TIMESPEC_IN, K_PTR) },
};

static const struct sys *lookup(uint64_t nr)
{
	static const struct sys *index[1024];
	static bool built;

	if (!built) {
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (table[i].nr >= 0 && table[i].nr < 1024)
				index[table[i].nr] = &table[i].s;
		built = true;
	}
	return nr < 1024 ? index[nr] : NULL;
}

bool rt_dec_known(uint64_t nr)
{
	return lookup(nr) != NULL;
}

/* ---- capture ------------------------------------------------------------------------------------------ */

/* The size of a struct kind (x86-64 kernel layouts), read at entry (K_*_IN) or at exit on success. */
static uint32_t struct_size(int kind, bool *out)
{
	*out = true;
	switch (kind) {
	case K_SIGSET_IN: *out = false; /* fallthrough */
	case K_SIGSET_OUT: return 8;
	case K_SIGACT_IN: *out = false; /* fallthrough */
	case K_SIGACT_OUT: return 32;        /* handler, flags, restorer, mask */
	case K_STACK_IN: *out = false; /* fallthrough */
	case K_STACK_OUT: return 24;         /* ss_sp, ss_flags, ss_size */
	case K_RLIM_IN: *out = false; /* fallthrough */
	case K_RLIM_OUT: return 16;
	case K_TIMESPEC_IN: *out = false; return 16;
	case K_EPOLL_EVENT_IN: *out = false; return 12; /* packed on x86-64 */
	case K_STAT_OUT: return 56;          /* up to st_size */
	case K_UTS_OUT: return 2 * 65;       /* sysname, nodename */
	default: return 0;
	}
}

/* What a composite kind at argument i reads: `d` filled, false when nothing. */
static bool composite_need(int kind, const uint64_t a[6], bool at_exit, int64_t ret, struct rt_dec_need *d)
{
	switch (kind) {
	case K_FUTEX: /* the timeout of the waits */
		switch (a[1] & 127) {
		case 0: case 6: case 9: case 11: case 13:
			*d = (struct rt_dec_need){ 3, RT_DEC_ENTRY, RT_DEC_BYTES, 16 };
			return !at_exit;
		}
		return false;
	case K_IOCTL: /* TIOCGWINSZ's struct winsize */
		*d = (struct rt_dec_need){ 2, RT_DEC_EXIT, RT_DEC_BYTES, 8 };
		return a[1] == 0x5413 && at_exit && ret == 0;
	case K_PRCTL: /* PR_SET_NAME's name in, PR_GET_NAME's out */
		*d = (struct rt_dec_need){ 1, a[0] == 15 ? RT_DEC_ENTRY : RT_DEC_EXIT, RT_DEC_STR, 16 };
		return (a[0] == 15 && !at_exit) || (a[0] == 16 && at_exit && ret == 0);
	case K_ARCH_PRCTL: /* ARCH_GET_FS, ARCH_GET_GS: the base */
		*d = (struct rt_dec_need){ 1, RT_DEC_EXIT, RT_DEC_BYTES, 8 };
		return (a[0] == 0x1003 || a[0] == 0x1004) && at_exit && ret == 0;
	default:
		return false;
	}
}

/* v bytes (or records), at most max; 0 when v is not positive (a failed call, a huge length). */
static uint32_t upto(int64_t v, uint32_t max)
{
	return v <= 0 ? 0 : v < (int64_t)max ? (uint32_t)v : max;
}

int rt_dec_plan(uint64_t nr, const uint64_t args[6], bool at_exit, int64_t ret, struct rt_dec_need out[RT_DEC_MAX_NEEDS])
{
	const struct sys *s = lookup(nr);
	int n = 0;

	if (!s)
		return 0;
	for (int i = 0; i < 6 && s->kind[i] != K_END && n < RT_DEC_MAX_NEEDS; i++) {
		struct rt_dec_need d = { (uint8_t)i, RT_DEC_NONE, RT_DEC_BYTES, 0 };
		uint64_t next = i < 5 ? args[i + 1] : 0, prev = i ? args[i - 1] : 0;
		bool ok = ret >= 0, is_out;
		uint32_t size = struct_size(s->kind[i], &is_out);

		switch (s->kind[i]) {
		case K_PATH:
			d = (struct rt_dec_need){ (uint8_t)i, RT_DEC_ENTRY, RT_DEC_STR, RT_DEC_STR_MAX };
			break;
		case K_BUF_IN: d.when = RT_DEC_ENTRY, d.len = upto((int64_t)next, RT_DEC_BUF_SHOWN + 1); break;
		case K_BUF_OUT:
		case K_RAND_OUT: d.when = RT_DEC_EXIT, d.len = upto(ret, RT_DEC_BUF_SHOWN + 1); break;
		case K_LINK_OUT: d.when = RT_DEC_EXIT, d.len = upto(ret, RT_DEC_STR_MAX); break;
		case K_PIPEFD_OUT: d.when = RT_DEC_EXIT, d.len = ret == 0 ? 2 * sizeof(int) : 0; break;
		case K_SOCKADDR_IN: d.when = RT_DEC_ENTRY, d.len = upto((int64_t)next, 128); break;
		case K_CLONE_ARGS: d.when = RT_DEC_ENTRY, d.len = upto((int64_t)next, 88); break;
		case K_CPUSET_IN: d.when = RT_DEC_ENTRY, d.len = upto((int64_t)prev, 128); break;
		case K_CPUSET_OUT: d.when = RT_DEC_EXIT, d.len = upto(ret, 128); break;
		case K_EPOLL_EVENTS_OUT: d.when = RT_DEC_EXIT, d.len = upto(ret, 16) * 12; break;
		case K_DIRENTS_OUT:
			d = (struct rt_dec_need){ (uint8_t)i, RT_DEC_EXIT, RT_DEC_RECS, ret > 0 ? (uint32_t)ret : 0 };
			if (!d.len)
				continue;
			break;
		case K_ARGV:
			d = (struct rt_dec_need){ (uint8_t)i, RT_DEC_ENTRY, RT_DEC_ARGV, RT_DEC_ARG_MAX };
			break;
		case K_ENVP:
			d = (struct rt_dec_need){ (uint8_t)i, RT_DEC_ENTRY, RT_DEC_COUNT, 0 };
			break;
		default:
			if (size) {
				if (is_out && !ok)
					continue;
				d.when = is_out ? RT_DEC_EXIT : RT_DEC_ENTRY;
				d.len = size;
			} else if (!composite_need(s->kind[i], args, at_exit, ret, &d)) {
				continue;
			}
		}
		if ((d.when == RT_DEC_EXIT) != at_exit || !args[d.arg] || (d.how == RT_DEC_BYTES && !d.len))
			continue;
		out[n++] = d;
	}
	return n;
}

void rt_dec_cap_put(struct rt_dec_cap *c, int arg, const void *data, size_t n, int state, uint16_t count)
{
	if (n > (size_t)(RT_DEC_CAP_BYTES - c->used)) {
		n = RT_DEC_CAP_BYTES - c->used;
		state = RT_DEC_TRUNC;
	}
	memcpy(c->buf + c->used, data, n);
	c->off[arg] = c->used;
	c->len[arg] = (uint16_t)n;
	c->state[arg] = (uint8_t)state;
	c->count[arg] = count;
	c->have |= (uint8_t)(1u << arg);
	c->used = (uint16_t)(c->used + n);
}

/* A NUL-terminated string at addr, up to `max` bytes (without its NUL) into dst. */
static size_t read_str(rt_dec_read_fn rd, void *ctx, uint64_t addr, char *dst, size_t max, int *state)
{
	size_t got = 0;

	*state = RT_DEC_OK;
	while (got < max) {
		/* up to the end of the page, so that a string just before unmapped memory still reads */
		size_t want = 4096 - ((addr + got) & 4095);
		long n;
		char *z;

		if (want > max - got)
			want = max - got;
		n = rd(ctx, addr + got, dst + got, want);
		if (n <= 0) {
			*state = RT_DEC_FAULT;
			return got;
		}
		if ((z = memchr(dst + got, '\0', (size_t)n)) != NULL)
			return (size_t)(z - dst);
		got += (size_t)n;
	}
	*state = RT_DEC_TRUNC;
	return got;
}

void rt_dec_capture(struct rt_dec_cap *c, const struct rt_dec_need *needs, int nneeds, const uint64_t args[6],
		    rt_dec_read_fn rd, void *ctx)
{
	char *tmp = xmalloc(RT_DEC_STR_MAX + 1);

	for (int k = 0; k < nneeds; k++) {
		const struct rt_dec_need *d = &needs[k];
		int state = RT_DEC_OK;
		size_t n = 0;

		if (d->how == RT_DEC_STR) {
			n = read_str(rd, ctx, args[d->arg], tmp, d->len, &state);
			rt_dec_cap_put(c, d->arg, tmp, n, state, 0);
		} else if (d->how == RT_DEC_BYTES) {
			long got = rd(ctx, args[d->arg], tmp, d->len);

			rt_dec_cap_put(c, d->arg, tmp, got > 0 ? (size_t)got : 0, got > 0 ? RT_DEC_OK : RT_DEC_FAULT, 0);
		} else if (d->how == RT_DEC_RECS) {
			/* getdents64's records: each one's d_reclen (at 16), up to `len` bytes; only counted */
			uint16_t count = 0, reclen = 0;

			for (uint64_t off = 0; off < d->len && count < 4096; off += reclen, count++) {
				if (rd(ctx, args[d->arg] + off + 16, &reclen, 2) != 2) {
					state = RT_DEC_FAULT;
					break;
				}
				if (!reclen)
					break;
			}
			rt_dec_cap_put(c, d->arg, tmp, 0, state, count);
		} else {
			/* an array of pointers, NULL-terminated: ARGV keeps the strings, COUNT counts them */
			uint16_t count = 0;
			size_t used = 0;

			state = RT_DEC_OK;
			for (;; count++) {
				uint64_t p = 0;
				int st;

				if (rd(ctx, args[d->arg] + 8ull * count, &p, 8) != 8) {
					state = RT_DEC_FAULT;
					break;
				}
				if (!p)
					break;
				if (count >= (d->how == RT_DEC_ARGV ? RT_DEC_ARGV_MAX : 4096)) {
					state = RT_DEC_TRUNC;
					break;
				}
				if (d->how == RT_DEC_COUNT)
					continue;
				if (used + RT_DEC_ARG_MAX + 2 > RT_DEC_STR_MAX) {
					state = RT_DEC_TRUNC;
					break;
				}
				n = read_str(rd, ctx, p, tmp + used + 1, RT_DEC_ARG_MAX, &st);
				tmp[used] = (char)(st == RT_DEC_OK ? 'o' : st == RT_DEC_TRUNC ? 't' : 'f'); /* its state */
				used += n + 1;
				tmp[used++] = '\0';
			}
			rt_dec_cap_put(c, d->arg, tmp, used, state, count);
		}
	}
	free(tmp);
}

/* ---- the fd table ------------------------------------------------------------------------------------- */

struct fdent {
	char *target;
	bool cloexec;
};

struct rt_dec_fds {
	struct fdent *v;
	size_t n;
};

struct rt_dec_fds *rt_dec_fds_new(void)
{
	return xcalloc(1, sizeof(struct rt_dec_fds));
}

struct rt_dec_fds *rt_dec_fds_copy(const struct rt_dec_fds *f)
{
	struct rt_dec_fds *c = rt_dec_fds_new();

	if (!f)
		return c;
	c->n = f->n;
	c->v = xcalloc(f->n ? f->n : 1, sizeof(*c->v));
	for (size_t i = 0; i < f->n; i++)
		c->v[i] = (struct fdent){ f->v[i].target ? xstrdup(f->v[i].target) : NULL, f->v[i].cloexec };
	return c;
}

void rt_dec_fds_free(struct rt_dec_fds *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].target);
	free(f->v);
	free(f);
}

void rt_dec_fds_set(struct rt_dec_fds *f, int fd, const char *target, bool cloexec)
{
	if (!f || fd < 0 || fd > 65535)
		return;
	if ((size_t)fd >= f->n) {
		f->v = xrealloc(f->v, ((size_t)fd + 1) * sizeof(*f->v));
		memset(f->v + f->n, 0, ((size_t)fd + 1 - f->n) * sizeof(*f->v));
		f->n = (size_t)fd + 1;
	}
	free(f->v[fd].target);
	f->v[fd] = (struct fdent){ target ? xstrdup(target) : NULL, cloexec };
}

struct rt_dec_fds *rt_dec_fds_from_proc(int pid)
{
	struct rt_dec_fds *f = rt_dec_fds_new();
	char dir[64], *path, target[4096];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	if (!(d = opendir(dir)))
		return f;
	while ((de = readdir(d)) != NULL) {
		char *end, *info;
		long fd = strtol(de->d_name, &end, 10);
		ssize_t n;
		unsigned long flags = 0;
		FILE *fi;

		if (*end || end == de->d_name)
			continue;
		path = xasprintf("%s/%ld", dir, fd);
		n = readlink(path, target, sizeof(target) - 1);
		free(path);
		if (n < 0)
			continue;
		target[n] = '\0';
		info = xasprintf("/proc/%d/fdinfo/%ld", pid, fd);
		if ((fi = fopen(info, "r")) != NULL) {
			char line[128];

			while (fgets(line, sizeof(line), fi))
				if (sscanf(line, "flags: %lo", &flags) == 1)
					break;
			fclose(fi);
		}
		free(info);
		rt_dec_fds_set(f, (int)fd, target, (flags & O_CLOEXEC) != 0);
	}
	closedir(d);
	return f;
}

void rt_dec_fds_exec(struct rt_dec_fds *f)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (f->v[i].cloexec)
			rt_dec_fds_set(f, (int)i, NULL, false);
}

static const char *fds_get(const struct rt_dec_fds *f, int64_t fd)
{
	return f && fd >= 0 && (uint64_t)fd < f->n ? f->v[fd].target : NULL;
}

/* ---- formatting --------------------------------------------------------------------------------------- */

struct flag {
	uint64_t v;
	const char *name;
};

/* Flags as strace prints them: the names of the bits set, in the table's order, '|'-separated, then
 * what is left in hex; 0 as `zero` (or "0"). */
static void put_flags(struct strbuf *b, uint64_t v, const struct flag *f, size_t n, const char *zero)
{
	bool first = true;

	if (!v) {
		strbuf_adds(b, zero ? zero : "0");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (f[i].v && (v & f[i].v) == f[i].v) {
			strbuf_addf(b, "%s%s", first ? "" : "|", f[i].name);
			v &= ~f[i].v;
			first = false;
		}
	if (v)
		strbuf_addf(b, "%s%#" PRIx64, first ? "" : "|", v);
}

#define F(x) { x, #x }
#define N(t) (sizeof(t) / sizeof((t)[0]))
/* the kernel's x86-64 values (glibc's O_LARGEFILE is 0 on 64-bit), in strace's order */
static const struct flag open_flags[] = {
	{ 0100, "O_CREAT" }, { 0200, "O_EXCL" }, { 0400, "O_NOCTTY" }, { 01000, "O_TRUNC" }, { 02000, "O_APPEND" },
	{ 04000, "O_NONBLOCK" }, { 04010000, "O_SYNC" }, { 010000, "O_DSYNC" }, { 040000, "O_DIRECT" },
	{ 0100000, "O_LARGEFILE" }, { 0400000, "O_NOFOLLOW" }, { 01000000, "O_NOATIME" }, { 02000000, "O_CLOEXEC" },
	{ 010000000, "O_PATH" }, { 020200000, "O_TMPFILE" }, { 0200000, "O_DIRECTORY" }, { 020000, "O_ASYNC" },
};
static const struct flag prot_flags[] = { F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), { 0x8, "PROT_SEM" }, F(PROT_GROWSDOWN),
					  F(PROT_GROWSUP) };
static const struct flag map_flags[] = {
	F(MAP_FIXED), F(MAP_ANONYMOUS), F(MAP_32BIT), F(MAP_GROWSDOWN), F(MAP_DENYWRITE), F(MAP_EXECUTABLE),
	F(MAP_LOCKED), F(MAP_NORESERVE), F(MAP_POPULATE), F(MAP_NONBLOCK), F(MAP_STACK), F(MAP_HUGETLB),
	F(MAP_SYNC), F(MAP_FIXED_NOREPLACE),
};
static const struct flag access_flags[] = { F(R_OK), F(W_OK), F(X_OK) };
static const struct flag at_flags[] = { F(AT_SYMLINK_NOFOLLOW), F(AT_REMOVEDIR), F(AT_SYMLINK_FOLLOW),
					F(AT_NO_AUTOMOUNT), F(AT_EMPTY_PATH), F(AT_EACCESS) };
static const struct flag sa_flags[] = {
	{ 0x04000000, "SA_RESTORER" }, { 0x08000000, "SA_ONSTACK" }, { 0x10000000, "SA_RESTART" },
	{ 0x20000000, "SA_INTERRUPT" }, { 0x40000000, "SA_NODEFER" }, { 0x80000000, "SA_RESETHAND" },
	{ 4, "SA_SIGINFO" }, { 1, "SA_NOCLDSTOP" }, { 2, "SA_NOCLDWAIT" },
};
static const struct flag ss_flags[] = { { 1, "SS_ONSTACK" }, { 2, "SS_DISABLE" }, { 0x80000000, "SS_AUTODISARM" } };
static const struct flag clone_flags[] = {
	{ 0x100, "CLONE_VM" }, { 0x200, "CLONE_FS" }, { 0x400, "CLONE_FILES" }, { 0x800, "CLONE_SIGHAND" },
	{ 0x1000, "CLONE_PIDFD" }, { 0x2000, "CLONE_PTRACE" }, { 0x4000, "CLONE_VFORK" }, { 0x8000, "CLONE_PARENT" },
	{ 0x10000, "CLONE_THREAD" }, { 0x20000, "CLONE_NEWNS" }, { 0x40000, "CLONE_SYSVSEM" }, { 0x80000, "CLONE_SETTLS" },
	{ 0x100000, "CLONE_PARENT_SETTID" }, { 0x200000, "CLONE_CHILD_CLEARTID" }, { 0x800000, "CLONE_UNTRACED" },
	{ 0x1000000, "CLONE_CHILD_SETTID" }, { 0x2000000, "CLONE_NEWCGROUP" }, { 0x4000000, "CLONE_NEWUTS" },
	{ 0x8000000, "CLONE_NEWIPC" }, { 0x10000000, "CLONE_NEWUSER" }, { 0x20000000, "CLONE_NEWPID" },
	{ 0x40000000, "CLONE_NEWNET" }, { 0x80000000, "CLONE_IO" }, { 0x200000000ull, "CLONE_INTO_CGROUP" },
};
static const struct flag epoll_events[] = {
	{ 0x1, "EPOLLIN" }, { 0x2, "EPOLLPRI" }, { 0x4, "EPOLLOUT" }, { 0x8, "EPOLLERR" }, { 0x10, "EPOLLHUP" },
	{ 0x20, "EPOLLNVAL" }, { 0x40, "EPOLLRDNORM" }, { 0x80, "EPOLLRDBAND" }, { 0x100, "EPOLLWRNORM" },
	{ 0x200, "EPOLLWRBAND" }, { 0x400, "EPOLLMSG" }, { 0x2000, "EPOLLRDHUP" }, { 1u << 28, "EPOLLEXCLUSIVE" },
	{ 1u << 29, "EPOLLWAKEUP" }, { 1u << 30, "EPOLLONESHOT" }, { 1u << 31, "EPOLLET" },
};
static const struct flag epoll_flags[] = { { 02000000, "EPOLL_CLOEXEC" } };
static const struct flag efd_flags[] = { { 1, "EFD_SEMAPHORE" }, { 02000000, "EFD_CLOEXEC" }, { 04000, "EFD_NONBLOCK" } };
static const struct flag grnd_flags[] = { { 1, "GRND_NONBLOCK" }, { 2, "GRND_RANDOM" }, { 4, "GRND_INSECURE" } };
static const struct flag fd_flags[] = { { 1, "FD_CLOEXEC" } };
static const struct flag timer_flags[] = { { 1, "TIMER_ABSTIME" } };
static const struct flag rseq_flags[] = { { 1, "RSEQ_FLAG_UNREGISTER" } };
#undef F

/* Values with names: the name, or the number and a comment as strace prints an unknown one. */
struct xlat {
	uint64_t v;
	const char *name;
};
static const struct xlat sighow[] = { { 0, "SIG_BLOCK" }, { 1, "SIG_UNBLOCK" }, { 2, "SIG_SETMASK" } };
static const struct xlat resources[] = {
	{ 0, "RLIMIT_CPU" }, { 1, "RLIMIT_FSIZE" }, { 2, "RLIMIT_DATA" }, { 3, "RLIMIT_STACK" }, { 4, "RLIMIT_CORE" },
	{ 5, "RLIMIT_RSS" }, { 6, "RLIMIT_NPROC" }, { 7, "RLIMIT_NOFILE" }, { 8, "RLIMIT_MEMLOCK" }, { 9, "RLIMIT_AS" },
	{ 10, "RLIMIT_LOCKS" }, { 11, "RLIMIT_SIGPENDING" }, { 12, "RLIMIT_MSGQUEUE" }, { 13, "RLIMIT_NICE" },
	{ 14, "RLIMIT_RTPRIO" }, { 15, "RLIMIT_RTTIME" },
};
static const struct xlat madvise_advice[] = {
	{ 0, "MADV_NORMAL" }, { 1, "MADV_RANDOM" }, { 2, "MADV_SEQUENTIAL" }, { 3, "MADV_WILLNEED" },
	{ 4, "MADV_DONTNEED" }, { 8, "MADV_FREE" }, { 9, "MADV_REMOVE" }, { 10, "MADV_DONTFORK" }, { 11, "MADV_DOFORK" },
	{ 12, "MADV_MERGEABLE" }, { 13, "MADV_UNMERGEABLE" }, { 14, "MADV_HUGEPAGE" }, { 15, "MADV_NOHUGEPAGE" },
	{ 16, "MADV_DONTDUMP" }, { 17, "MADV_DODUMP" }, { 18, "MADV_WIPEONFORK" }, { 19, "MADV_KEEPONFORK" },
	{ 20, "MADV_COLD" }, { 21, "MADV_PAGEOUT" }, { 22, "MADV_POPULATE_READ" }, { 23, "MADV_POPULATE_WRITE" },
	{ 24, "MADV_DONTNEED_LOCKED" }, { 25, "MADV_COLLAPSE" }, { 100, "MADV_HWPOISON" }, { 101, "MADV_SOFT_OFFLINE" },
};
static const struct xlat whences[] = { { 0, "SEEK_SET" }, { 1, "SEEK_CUR" }, { 2, "SEEK_END" }, { 3, "SEEK_DATA" },
				       { 4, "SEEK_HOLE" } };
static const struct xlat clocks[] = {
	{ 0, "CLOCK_REALTIME" }, { 1, "CLOCK_MONOTONIC" }, { 2, "CLOCK_PROCESS_CPUTIME_ID" },
	{ 3, "CLOCK_THREAD_CPUTIME_ID" }, { 4, "CLOCK_MONOTONIC_RAW" }, { 5, "CLOCK_REALTIME_COARSE" },
	{ 6, "CLOCK_MONOTONIC_COARSE" }, { 7, "CLOCK_BOOTTIME" }, { 8, "CLOCK_REALTIME_ALARM" },
	{ 9, "CLOCK_BOOTTIME_ALARM" }, { 11, "CLOCK_TAI" },
};
static const struct xlat epoll_ops[] = { { 1, "EPOLL_CTL_ADD" }, { 2, "EPOLL_CTL_DEL" }, { 3, "EPOLL_CTL_MOD" } };
static const struct xlat arch_codes[] = {
	{ 0x1001, "ARCH_SET_GS" }, { 0x1002, "ARCH_SET_FS" }, { 0x1003, "ARCH_GET_FS" }, { 0x1004, "ARCH_GET_GS" },
	{ 0x1011, "ARCH_GET_CPUID" }, { 0x1012, "ARCH_SET_CPUID" }, { 0x1021, "ARCH_GET_XCOMP_SUPP" },
	{ 0x1022, "ARCH_GET_XCOMP_PERM" }, { 0x1023, "ARCH_REQ_XCOMP_PERM" }, { 0x1024, "ARCH_GET_XCOMP_GUEST_PERM" },
	{ 0x1025, "ARCH_REQ_XCOMP_GUEST_PERM" },
};
static const struct xlat fcntl_cmds[] = {
	{ 0, "F_DUPFD" }, { 1, "F_GETFD" }, { 2, "F_SETFD" }, { 3, "F_GETFL" }, { 4, "F_SETFL" }, { 5, "F_GETLK" },
	{ 6, "F_SETLK" }, { 7, "F_SETLKW" }, { 8, "F_SETOWN" }, { 9, "F_GETOWN" }, { 10, "F_SETSIG" }, { 11, "F_GETSIG" },
	{ 36, "F_OFD_GETLK" }, { 37, "F_OFD_SETLK" }, { 38, "F_OFD_SETLKW" }, { 1024, "F_SETLEASE" },
	{ 1025, "F_GETLEASE" }, { 1026, "F_NOTIFY" }, { 1030, "F_DUPFD_CLOEXEC" }, { 1031, "F_SETPIPE_SZ" },
	{ 1032, "F_GETPIPE_SZ" }, { 1033, "F_ADD_SEALS" }, { 1034, "F_GET_SEALS" },
};
static const struct xlat futex_cmds[] = {
	{ 0, "FUTEX_WAIT" }, { 1, "FUTEX_WAKE" }, { 2, "FUTEX_FD" }, { 3, "FUTEX_REQUEUE" }, { 4, "FUTEX_CMP_REQUEUE" },
	{ 5, "FUTEX_WAKE_OP" }, { 6, "FUTEX_LOCK_PI" }, { 7, "FUTEX_UNLOCK_PI" }, { 8, "FUTEX_TRYLOCK_PI" },
	{ 9, "FUTEX_WAIT_BITSET" }, { 10, "FUTEX_WAKE_BITSET" }, { 11, "FUTEX_WAIT_REQUEUE_PI" },
	{ 12, "FUTEX_CMP_REQUEUE_PI" }, { 13, "FUTEX_LOCK_PI2" },
};
static const struct xlat ioctl_reqs[] = {
	{ 0x5401, "TCGETS" }, { 0x5402, "TCSETS" }, { 0x5403, "TCSETSW" }, { 0x5404, "TCSETSF" }, { 0x540f, "TIOCGPGRP" },
	{ 0x5410, "TIOCSPGRP" }, { 0x5413, "TIOCGWINSZ" }, { 0x5414, "TIOCSWINSZ" }, { 0x541b, "FIONREAD" },
	{ 0x5421, "FIONBIO" }, { 0x5450, "FIONCLEX" }, { 0x5451, "FIOCLEX" }, { 0x80045430, "TIOCGPTN" },
};
static const struct xlat prctl_opts[] = {
	{ 1, "PR_SET_PDEATHSIG" }, { 2, "PR_GET_PDEATHSIG" }, { 3, "PR_GET_DUMPABLE" }, { 4, "PR_SET_DUMPABLE" },
	{ 15, "PR_SET_NAME" }, { 16, "PR_GET_NAME" }, { 21, "PR_GET_SECCOMP" }, { 22, "PR_SET_SECCOMP" },
	{ 23, "PR_CAPBSET_READ" }, { 36, "PR_SET_CHILD_SUBREAPER" }, { 38, "PR_SET_NO_NEW_PRIVS" },
	{ 39, "PR_GET_NO_NEW_PRIVS" }, { 0x53564d41, "PR_SET_VMA" },
};
static const char *const signames[] = {
	NULL, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM",
	"TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF",
	"WINCH", "IO", "PWR", "SYS",
};

static const char *xlat_name(uint64_t v, const struct xlat *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (x[i].v == v)
			return x[i].name;
	return NULL;
}

/* The name, or `0x.. / * PREFIX_??? * /` (strace's unknown value). */
static void put_xlat(struct strbuf *b, uint64_t v, const struct xlat *x, size_t n, const char *unknown)
{
	const char *name = xlat_name(v, x, n);

	if (name)
		strbuf_adds(b, name);
	else
		strbuf_addf(b, "%#" PRIx64 " /* %s */", v, unknown);
}

/* A signal's name without "SIG" (a signal set's members) or with it: HUP..SYS, RTMIN (32), RT_n. */
static void put_signame(struct strbuf *b, uint64_t sig, bool prefix)
{
	const char *p = prefix ? "SIG" : "";

	if (sig > 0 && sig < N(signames))
		strbuf_addf(b, "%s%s", p, signames[sig]);
	else if (sig == 32)
		strbuf_addf(b, "%sRTMIN", p);
	else if (sig > 32 && sig <= 64)
		strbuf_addf(b, "%sRT_%u", p, (unsigned)(sig - 32));
	else
		strbuf_addf(b, "%" PRIu64, sig);
}

/* A sigset_t: `[INT TERM]`, or `~[...]` (the signals not in it) when at least half are. */
static void put_sigset(struct strbuf *b, uint64_t set)
{
	bool first = true;

	if (__builtin_popcountll(set) >= 32) {
		strbuf_add(b, "~", 1);
		set = ~set;
	}
	strbuf_add(b, "[", 1);
	for (unsigned sig = 1; sig <= 64; sig++)
		if (set & (1ull << (sig - 1))) {
			strbuf_adds(b, first ? "" : " ");
			put_signame(b, sig, false);
			first = false;
		}
	strbuf_add(b, "]", 1);
}

static void put_ptr(struct strbuf *b, uint64_t v)
{
	if (v)
		strbuf_addf(b, "%#" PRIx64, v);
	else
		strbuf_adds(b, "NULL");
}

static void put_hex(struct strbuf *b, uint64_t v)
{
	strbuf_addf(b, "%#" PRIx64, v);
}

/* A string as strace quotes it: printable ASCII as is, the usual escapes, other bytes in octal (three
 * digits when a digit follows); `hex`: every byte as \xNN (getrandom's). */
static void put_quoted(struct strbuf *b, const unsigned char *s, size_t n, bool hex)
{
	strbuf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (hex) {
			strbuf_addf(b, "\\x%02x", c);
			continue;
		}
		switch (c) {
		case '"': strbuf_adds(b, "\\\""); break;
		case '\\': strbuf_adds(b, "\\\\"); break;
		case '\f': strbuf_adds(b, "\\f"); break;
		case '\n': strbuf_adds(b, "\\n"); break;
		case '\r': strbuf_adds(b, "\\r"); break;
		case '\t': strbuf_adds(b, "\\t"); break;
		case '\v': strbuf_adds(b, "\\v"); break;
		default:
			if (c >= ' ' && c < 0x7f)
				strbuf_add(b, &c, 1);
			else if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7')
				strbuf_addf(b, "\\%03o", c);
			else
				strbuf_addf(b, "\\%o", c);
		}
	}
	strbuf_add(b, "\"", 1);
}

static bool captured(const struct rt_dec_cap *c, int i)
{
	return c && (c->have & (1u << i));
}

/* Argument i's captured bytes, when at least `n` were read; else NULL. */
static const unsigned char *cap_bytes(const struct rt_dec_cap *c, int i, size_t n)
{
	return captured(c, i) && c->state[i] != RT_DEC_FAULT && c->len[i] >= n ? c->buf + c->off[i] : NULL;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* A captured path or buffer (`shown`: at most that many bytes, then "..."). */
static void put_captured(struct strbuf *b, const struct rt_dec_cap *c, int i, uint64_t addr, size_t shown, size_t total,
			 bool hex)
{
	size_t n;

	if (!captured(c, i) || c->state[i] == RT_DEC_FAULT) {
		put_ptr(b, addr);
		return;
	}
	n = c->len[i];
	if (shown && n > shown)
		n = shown;
	put_quoted(b, c->buf + c->off[i], n, hex);
	if (c->state[i] == RT_DEC_TRUNC || (shown && total > shown))
		strbuf_adds(b, "...");
}

static void put_argv(struct strbuf *b, const struct rt_dec_cap *c, int i, uint64_t addr)
{
	const unsigned char *p;

	if (!captured(c, i) || (c->state[i] == RT_DEC_FAULT && !c->count[i])) {
		put_ptr(b, addr);
		return;
	}
	strbuf_add(b, "[", 1);
	p = c->buf + c->off[i];
	for (uint16_t k = 0; k < c->count[i] && p < c->buf + c->off[i] + c->len[i]; k++) {
		size_t n = strlen((const char *)p + 1);

		strbuf_adds(b, k ? ", " : "");
		put_quoted(b, p + 1, n < RT_DEC_BUF_SHOWN ? n : RT_DEC_BUF_SHOWN, false);
		if (p[0] == 't' || n > RT_DEC_BUF_SHOWN)
			strbuf_adds(b, "...");
		p += n + 2;
	}
	strbuf_adds(b, c->state[i] == RT_DEC_OK ? "]" : c->count[i] ? ", ...]" : "...]");
}

static void put_sockaddr(struct strbuf *b, struct rt_dec_out *out, const struct rt_dec_cap *c, int i, uint64_t addr)
{
	const unsigned char *p = cap_bytes(c, i, 2);
	size_t n;
	unsigned family;

	if (!p) {
		put_ptr(b, addr);
		return;
	}
	n = c->len[i];
	family = (unsigned)(p[0] | p[1] << 8);
	if (family == 2 && n >= 8) { /* AF_INET */
		char a[32];

		snprintf(a, sizeof(a), "%u.%u.%u.%u", p[4], p[5], p[6], p[7]);
		strbuf_addf(b, "{sa_family=AF_INET, sin_port=htons(%u), sin_addr=inet_addr(\"%s\")}", (unsigned)(p[2] << 8 | p[3]), a);
		out->addr = xasprintf("AF_INET %s:%u", a, (unsigned)(p[2] << 8 | p[3]));
	} else if (family == 1) { /* AF_UNIX */
		size_t plen = strnlen((const char *)p + 2, n - 2);

		strbuf_adds(b, "{sa_family=AF_UNIX, sun_path=");
		put_quoted(b, p + 2, plen, false);
		strbuf_add(b, "}", 1);
		out->addr = xasprintf("AF_UNIX %.*s", (int)plen, p + 2);
	} else if (family == 10 && n >= 24) { /* AF_INET6 */
		char a[64] = "";

		for (int k = 0; k < 8; k++)
			snprintf(a + strlen(a), sizeof(a) - strlen(a), "%s%x", k ? ":" : "", (unsigned)(p[8 + 2 * k] << 8 | p[9 + 2 * k]));
		strbuf_addf(b, "{sa_family=AF_INET6, sin6_port=htons(%u), sin6_addr=%s}", (unsigned)(p[2] << 8 | p[3]), a);
		out->addr = xasprintf("AF_INET6 [%s]:%u", a, (unsigned)(p[2] << 8 | p[3]));
	} else {
		strbuf_addf(b, "{sa_family=%u}", family);
	}
}

/* open's flags: the access mode, then the rest (dup3/pipe2's K_FD_FLAGS: the rest only). */
static void put_open_flags(struct strbuf *b, uint64_t v)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	strbuf_adds(b, acc[v & O_ACCMODE]);
	if (v & ~(uint64_t)O_ACCMODE) {
		strbuf_add(b, "|", 1);
		put_flags(b, v & ~(uint64_t)O_ACCMODE, open_flags, N(open_flags), "0");
	}
}

/* A struct stat (x86-64): its type and mode, then its size, or a device's number. */
static void put_stat(struct strbuf *b, const unsigned char *p)
{
	static const char *const types[16] = { [001] = "S_IFIFO", [002] = "S_IFCHR", [004] = "S_IFDIR", [006] = "S_IFBLK",
					       [010] = "S_IFREG", [012] = "S_IFLNK", [014] = "S_IFSOCK" };
	uint32_t mode = get32(p + 24);
	const char *type = types[(mode >> 12) & 017];

	strbuf_adds(b, "{st_mode=");
	if (type)
		strbuf_addf(b, "%s|", type);
	strbuf_addf(b, "%s%s%s%#03o", mode & 04000 ? "S_ISUID|" : "", mode & 02000 ? "S_ISGID|" : "", mode & 01000 ? "S_ISVTX|" : "",
		    mode & 0777);
	if ((mode & S_IFMT) == S_IFCHR || (mode & S_IFMT) == S_IFBLK) {
		uint64_t d = get64(p + 40);

		strbuf_addf(b, ", st_rdev=makedev(%#" PRIx64 ", %#" PRIx64 ")", ((d >> 8) & 0xfff) | ((d >> 32) & ~(uint64_t)0xfff),
			    (d & 0xff) | ((d >> 12) & ~(uint64_t)0xff));
	} else {
		strbuf_addf(b, ", st_size=%" PRId64, (int64_t)get64(p + 48));
	}
	strbuf_adds(b, ", ...}");
}

static void put_rlim(struct strbuf *b, uint64_t v)
{
	if (v == UINT64_MAX)
		strbuf_adds(b, "RLIM64_INFINITY");
	else if (v > 1024 && v % 1024 == 0)
		strbuf_addf(b, "%" PRIu64 "*1024", v / 1024);
	else
		strbuf_addf(b, "%" PRIu64, v);
}

static void put_timespec(struct strbuf *b, const unsigned char *p)
{
	strbuf_addf(b, "{tv_sec=%" PRId64 ", tv_nsec=%" PRId64 "}", (int64_t)get64(p), (int64_t)get64(p + 8));
}

/* A captured struct of kind k (NULL when not captured: the address). */
static void put_struct(struct strbuf *b, int k, const unsigned char *p, size_t len, uint64_t addr, const int64_t *ret)
{
	if (!p) {
		put_ptr(b, addr);
		return;
	}
	switch (k) {
	case K_SIGSET_IN:
	case K_SIGSET_OUT: put_sigset(b, get64(p)); break;
	case K_SIGACT_IN:
	case K_SIGACT_OUT: {
		uint64_t h = get64(p), fl = get64(p + 8);

		strbuf_adds(b, "{sa_handler=");
		if (h <= 1)
			strbuf_adds(b, h ? "SIG_IGN" : "SIG_DFL");
		else
			put_hex(b, h);
		strbuf_adds(b, ", sa_mask=");
		put_sigset(b, get64(p + 24));
		strbuf_adds(b, ", sa_flags=");
		put_flags(b, fl, sa_flags, N(sa_flags), "0");
		if (fl & 0x04000000) {
			strbuf_adds(b, ", sa_restorer=");
			put_ptr(b, get64(p + 16));
		}
		strbuf_add(b, "}", 1);
		break;
	}
	case K_STACK_IN:
	case K_STACK_OUT:
		strbuf_adds(b, "{ss_sp=");
		put_ptr(b, get64(p));
		strbuf_adds(b, ", ss_flags=");
		put_flags(b, get32(p + 8), ss_flags, N(ss_flags), "0");
		strbuf_addf(b, ", ss_size=%" PRIu64 "}", get64(p + 16));
		break;
	case K_RLIM_IN:
	case K_RLIM_OUT:
		strbuf_adds(b, "{rlim_cur=");
		put_rlim(b, get64(p));
		strbuf_adds(b, ", rlim_max=");
		put_rlim(b, get64(p + 8));
		strbuf_add(b, "}", 1);
		break;
	case K_TIMESPEC_IN: put_timespec(b, p); break;
	case K_EPOLL_EVENT_IN:
		strbuf_adds(b, "{events=");
		put_flags(b, get32(p), epoll_events, N(epoll_events), "0");
		strbuf_addf(b, ", data={u32=%" PRIu32 ", u64=%" PRIu64 "}}", get32(p + 4), get64(p + 4));
		break;
	case K_EPOLL_EVENTS_OUT:
		strbuf_add(b, "[", 1);
		for (size_t e = 0; e + 12 <= len; e += 12) {
			strbuf_adds(b, e ? ", " : "");
			put_struct(b, K_EPOLL_EVENT_IN, p + e, 12, addr, ret);
		}
		strbuf_adds(b, ret && *ret > (int64_t)(len / 12) ? ", ...]" : "]");
		break;
	case K_STAT_OUT: put_stat(b, p); break;
	case K_UTS_OUT:
		strbuf_addf(b, "{sysname=");
		put_quoted(b, p, strnlen((const char *)p, 65), false);
		strbuf_addf(b, ", nodename=");
		put_quoted(b, p + 65, strnlen((const char *)p + 65, 65), false);
		strbuf_adds(b, ", ...}");
		break;
	case K_CPUSET_IN:
	case K_CPUSET_OUT: {
		bool first = true;

		strbuf_add(b, "[", 1);
		for (size_t i = 0; i < len * 8; i++)
			if (p[i / 8] & (1u << (i % 8))) {
				strbuf_addf(b, "%s%zu", first ? "" : " ", i);
				first = false;
			}
		strbuf_add(b, "]", 1);
		break;
	}
	case K_CLONE_ARGS: {
		uint64_t fl = get64(p), sig = get64(p + 32);

		strbuf_adds(b, "{flags=");
		put_flags(b, fl, clone_flags, N(clone_flags), "0");
		if (fl & 0x1000)
			strbuf_addf(b, ", pidfd=%#" PRIx64, get64(p + 8));
		if (fl & 0x1200000) {
			strbuf_adds(b, ", child_tid=");
			put_ptr(b, get64(p + 16));
		}
		if (fl & 0x100000) {
			strbuf_adds(b, ", parent_tid=");
			put_ptr(b, get64(p + 24));
		}
		strbuf_adds(b, ", exit_signal=");
		if (sig)
			put_signame(b, sig, true);
		else
			strbuf_add(b, "0", 1);
		strbuf_adds(b, ", stack=");
		put_ptr(b, get64(p + 40));
		strbuf_addf(b, ", stack_size=%#" PRIx64, get64(p + 48));
		if (fl & 0x80000)
			strbuf_addf(b, ", tls=%#" PRIx64, get64(p + 56));
		strbuf_add(b, "}", 1);
		/* the child's id, written at parent_tid: what the call returned, in the tracer's pid namespace */
		if ((fl & 0x100000) && ret && *ret > 0)
			strbuf_addf(b, " => {parent_tid=[%" PRId64 "]}", *ret);
		break;
	}
	default: put_ptr(b, addr); break;
	}
}

/* What put_arg did: printed the argument, printed nothing (it does not apply: the separator goes too),
 * or printed it and every argument after it (a composite kind). */
enum { ARG_DONE, ARG_SKIP, ARG_ALL };

static void put_futex(struct strbuf *b, const uint64_t a[6], const struct rt_dec_cap *c)
{
	uint64_t op = a[1], cmd = op & 127;
	const char *name = xlat_name(cmd, futex_cmds, N(futex_cmds));
	const unsigned char *ts = cap_bytes(c, 3, 16);

	if (name)
		strbuf_addf(b, "%s%s%s", name, op & 128 ? "_PRIVATE" : "", op & 256 ? "|FUTEX_CLOCK_REALTIME" : "");
	else
		put_hex(b, op);
	switch (cmd) {
	case 0: case 9: case 11: /* WAIT, WAIT_BITSET, WAIT_REQUEUE_PI: val, timeout, ... */
		strbuf_addf(b, ", %" PRIu32 ", ", (uint32_t)a[2]);
		put_struct(b, K_TIMESPEC_IN, ts, 16, a[3], NULL);
		if (cmd == 9)
			(uint32_t)a[5] == UINT32_MAX ? strbuf_adds(b, ", FUTEX_BITSET_MATCH_ANY") : strbuf_addf(b, ", %#" PRIx32, (uint32_t)a[5]);
		if (cmd == 11) {
			strbuf_adds(b, ", ");
			put_ptr(b, a[4]);
		}
		break;
	case 1: case 10: /* WAKE, WAKE_BITSET */
		strbuf_addf(b, ", %" PRIu32, (uint32_t)a[2]);
		if (cmd == 10)
			(uint32_t)a[5] == UINT32_MAX ? strbuf_adds(b, ", FUTEX_BITSET_MATCH_ANY") : strbuf_addf(b, ", %#" PRIx32, (uint32_t)a[5]);
		break;
	case 3: case 4: case 5: case 12: /* REQUEUE, CMP_REQUEUE, WAKE_OP, CMP_REQUEUE_PI: val, val2, uaddr2, val3 */
		strbuf_addf(b, ", %" PRIu32 ", %" PRIu32 ", ", (uint32_t)a[2], (uint32_t)a[3]);
		put_ptr(b, a[4]);
		if (cmd != 3)
			strbuf_addf(b, cmd == 5 ? ", %#" PRIx32 : ", %" PRIu32, (uint32_t)a[5]);
		break;
	case 6: case 13: /* LOCK_PI, LOCK_PI2: timeout */
		strbuf_adds(b, ", ");
		put_struct(b, K_TIMESPEC_IN, ts, 16, a[3], NULL);
		break;
	case 7: case 8: break;
	default:
		strbuf_addf(b, ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64, a[2], a[3], a[4], a[5]);
	}
}

/* fcntl's command and its argument, when it takes one. */
static void put_fcntl(struct strbuf *b, const uint64_t a[6])
{
	put_xlat(b, a[1], fcntl_cmds, N(fcntl_cmds), "F_???");
	switch (a[1]) {
	case 1: case 3: case 9: case 11: case 1025: case 1032: case 1034: break; /* no argument */
	case 0: case 1030: case 8: case 10: case 1024: case 1031: strbuf_addf(b, ", %d", (int)a[2]); break;
	case 2: strbuf_adds(b, ", "); put_flags(b, a[2], fd_flags, N(fd_flags), "0"); break;
	case 4: strbuf_adds(b, ", "); put_open_flags(b, a[2]); break;
	case 5: case 6: case 7: case 36: case 37: case 38: strbuf_adds(b, ", "); put_ptr(b, a[2]); break;
	default: strbuf_addf(b, ", %#" PRIx64, a[2]);
	}
}

static void put_prctl(struct strbuf *b, const uint64_t a[6], const struct rt_dec_cap *c, const int64_t *ret)
{
	put_xlat(b, a[0], prctl_opts, N(prctl_opts), "PR_???");
	switch (a[0]) {
	case 3: case 21: case 39: break; /* GET_DUMPABLE, GET_SECCOMP, GET_NO_NEW_PRIVS */
	case 1: strbuf_adds(b, ", "); put_signame(b, a[1], true); break;
	case 4: case 23: case 36: strbuf_addf(b, ", %" PRIu64, a[1]); break;
	case 15: strbuf_adds(b, ", "); put_captured(b, c, 1, a[1], 0, 0, false); break;
	case 16:
		strbuf_adds(b, ", ");
		if (ret && *ret == 0)
			put_captured(b, c, 1, a[1], 0, 0, false);
		else
			put_ptr(b, a[1]);
		break;
	case 2: strbuf_adds(b, ", "); put_ptr(b, a[1]); break;
	case 38: strbuf_addf(b, ", %" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %" PRIu64, a[1], a[2], a[3], a[4]); break;
	default: strbuf_addf(b, ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64, a[1], a[2], a[3], a[4]);
	}
}

/* clone(flags, stack, parent_tid, child_tid, tls) on x86-64, as strace names its parts. */
static void put_clone(struct strbuf *b, const uint64_t a[6], const int64_t *ret)
{
	uint64_t fl = a[0] & ~0xffull, sig = a[0] & 0xff;

	strbuf_adds(b, "child_stack=");
	put_ptr(b, a[1]);
	strbuf_adds(b, ", flags=");
	if (fl || !sig)
		put_flags(b, fl, clone_flags, N(clone_flags), "0");
	if (sig) {
		strbuf_adds(b, fl ? "|" : "");
		put_signame(b, sig, true);
	}
	if (fl & 0x101000) {
		strbuf_adds(b, ", parent_tid=");
		if ((fl & 0x100000) && ret && *ret > 0)
			strbuf_addf(b, "[%" PRId64 "]", *ret);
		else
			put_ptr(b, a[2]);
	}
	if (fl & 0x80000)
		strbuf_addf(b, ", tls=%#" PRIx64, a[4]);
	if (fl & 0x1200000) {
		strbuf_adds(b, ", child_tidptr=");
		put_ptr(b, a[3]);
	}
}

/* An argument whose value says it all (a number, flags, a name): written, and true; else false. */
static bool put_value(struct strbuf *b, int k, uint64_t v)
{
	switch (k) {
	case K_INT: strbuf_addf(b, "%" PRId64, (int64_t)v); break;
	case K_UINT: strbuf_addf(b, "%" PRIu64, v); break;
	case K_HEX: put_hex(b, v); break;
	case K_PTR: put_ptr(b, v); break;
	case K_OPEN_FLAGS: put_open_flags(b, v); break;
	case K_FD_FLAGS: put_flags(b, v, open_flags, N(open_flags), "0"); break;
	case K_PROT: put_flags(b, v, prot_flags, N(prot_flags), "PROT_NONE"); break;
	case K_ACCESS_MODE: put_flags(b, v, access_flags, N(access_flags), "F_OK"); break;
	case K_AT_FLAGS: put_flags(b, v, at_flags, N(at_flags), "0"); break;
	case K_SIGNUM: put_signame(b, v, true); break;
	case K_SIGHOW: put_xlat(b, v, sighow, N(sighow), "SIG_???"); break;
	case K_RESOURCE: put_xlat(b, v, resources, N(resources), "RLIMIT_???"); break;
	case K_EPOLL_OP: put_xlat(b, v, epoll_ops, N(epoll_ops), "EPOLL_CTL_???"); break;
	case K_EPOLL_FLAGS: put_flags(b, v, epoll_flags, N(epoll_flags), "0"); break;
	case K_EFD_FLAGS: put_flags(b, v, efd_flags, N(efd_flags), "0"); break;
	case K_GRND_FLAGS: put_flags(b, v, grnd_flags, N(grnd_flags), "0"); break;
	case K_TIMER_FLAGS: put_flags(b, v, timer_flags, N(timer_flags), "0"); break;
	case K_RSEQ_FLAGS: put_flags(b, v, rseq_flags, N(rseq_flags), "0"); break;
	case K_MADV: put_xlat(b, v, madvise_advice, N(madvise_advice), "MADV_???"); break;
	case K_WHENCE: put_xlat(b, v, whences, N(whences), "SEEK_???"); break;
	case K_CLOCK: put_xlat(b, v, clocks, N(clocks), "CLOCK_???"); break;
	case K_DIRFD:
		if ((int)v == AT_FDCWD)
			strbuf_adds(b, "AT_FDCWD");
		else
			strbuf_addf(b, "%d", (int)v);
		break;
	case K_MAP_FLAGS: {
		static const char *const type[] = { "0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE" };

		strbuf_adds(b, type[v & 3]);
		if (v & ~3ull) {
			strbuf_add(b, "|", 1);
			put_flags(b, v & ~3ull, map_flags, N(map_flags), "0");
		}
		break;
	}
	case K_SOCK_DOMAIN: {
		static const struct xlat fams[] = { { 1, "AF_UNIX" }, { 2, "AF_INET" }, { 10, "AF_INET6" }, { 16, "AF_NETLINK" } };

		if (xlat_name(v, fams, N(fams)))
			strbuf_adds(b, xlat_name(v, fams, N(fams)));
		else
			strbuf_addf(b, "%" PRIu64, v);
		break;
	}
	case K_SOCK_TYPE: {
		static const char *const types[] = { "0", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET" };
		uint64_t t = v & 0xf;

		if (t < 6)
			strbuf_adds(b, types[t]);
		else
			put_hex(b, t);
		if (v & SOCK_CLOEXEC)
			strbuf_adds(b, "|SOCK_CLOEXEC");
		if (v & SOCK_NONBLOCK)
			strbuf_adds(b, "|SOCK_NONBLOCK");
		break;
	}
	default:
		return false;
	}
	return true;
}

static int put_arg(struct strbuf *b, struct rt_dec_out *out, const struct sys *s, int i, const uint64_t a[6],
		   const int64_t *ret, const struct rt_dec_cap *c, struct rt_dec_fds *fds)
{
	uint64_t v = a[i];
	int k = s->kind[i];
	bool is_out;
	uint32_t size = struct_size(k, &is_out);

	if (size) {
		put_struct(b, k, cap_bytes(c, i, size), size, v, ret);
		return ARG_DONE;
	}
	if (put_value(b, k, v))
		return ARG_DONE;
	switch (k) {
	case K_FD:
		strbuf_addf(b, "%d", (int)v);
		if (!out->fd && fds_get(fds, (int)v))
			out->fd = xstrdup(fds_get(fds, (int)v));
		break;
	case K_PATH:
		put_captured(b, c, i, v, 0, 0, false);
		if (!out->path && captured(c, i) && c->state[i] != RT_DEC_FAULT)
			out->path = xstrndup((const char *)c->buf + c->off[i], c->len[i]);
		break;
	case K_BUF_IN: put_captured(b, c, i, v, RT_DEC_BUF_SHOWN, i < 5 ? a[i + 1] : 0, false); break;
	case K_BUF_OUT:
	case K_RAND_OUT:
		if (ret && *ret == 0 && v)
			strbuf_adds(b, "\"\"");
		else if (ret && *ret > 0)
			put_captured(b, c, i, v, RT_DEC_BUF_SHOWN, (size_t)*ret, k == K_RAND_OUT);
		else
			put_ptr(b, v);
		break;
	case K_LINK_OUT:
		if (ret && *ret >= 0)
			put_captured(b, c, i, v, 0, 0, false);
		else
			put_ptr(b, v);
		break;
	case K_OPEN_MODE:
		if (!i || (!(a[i - 1] & 0100) && (a[i - 1] & 020200000) != 020200000)) /* O_CREAT, O_TMPFILE */
			return ARG_SKIP;
		/* fallthrough */
	case K_MODE: strbuf_addf(b, "%#03" PRIo64, v); break;
	case K_ARGV: put_argv(b, c, i, v); break;
	case K_ENVP:
		if (captured(c, i))
			strbuf_addf(b, "%#" PRIx64 " /* %u var%s%s */", v, c->count[i], c->count[i] == 1 ? "" : "s",
				    c->state[i] == RT_DEC_OK ? "" : ", more");
		else
			put_ptr(b, v);
		break;
	case K_PIPEFD_OUT: {
		const unsigned char *p = cap_bytes(c, i, 8);

		if (p)
			strbuf_addf(b, "[%d, %d]", (int)get32(p), (int)get32(p + 4));
		else
			put_ptr(b, v);
		break;
	}
	case K_DIRENTS_OUT:
		put_ptr(b, v);
		if (ret && *ret == 0)
			strbuf_adds(b, " /* 0 entries */");
		else if (captured(c, i) && c->state[i] == RT_DEC_OK)
			strbuf_addf(b, " /* %u entries */", c->count[i]);
		break;
	case K_SOCKADDR_IN: put_sockaddr(b, out, c, i, v); break;
	case K_EPOLL_EVENTS_OUT:
		if (ret && *ret == 0) {
			strbuf_adds(b, "[]");
			break;
		}
		/* fallthrough */
	case K_CPUSET_IN:
	case K_CPUSET_OUT:
	case K_CLONE_ARGS:
		put_struct(b, k, cap_bytes(c, i, 1), captured(c, i) ? c->len[i] : 0, v, ret);
		break;
	case K_ARCH_PRCTL: {
		const unsigned char *p = cap_bytes(c, 1, 8);

		put_xlat(b, v, arch_codes, N(arch_codes), "ARCH_???");
		if (p)
			strbuf_addf(b, ", [%#" PRIx64 "]", get64(p));
		else
			strbuf_addf(b, ", %#" PRIx64, a[1]);
		return ARG_ALL;
	}
	case K_CLONE: put_clone(b, a, ret); return ARG_ALL;
	case K_FCNTL: put_fcntl(b, a); return ARG_ALL;
	case K_FUTEX: put_futex(b, a, c); return ARG_ALL;
	case K_PRCTL: put_prctl(b, a, c, ret); return ARG_ALL;
	case K_IOCTL: {
		const unsigned char *p = cap_bytes(c, 2, 8);

		put_xlat(b, a[1], ioctl_reqs, N(ioctl_reqs), "_IOC_???");
		if (a[1] == 0x5450 || a[1] == 0x5451) /* FIONCLEX, FIOCLEX */
			return ARG_ALL;
		strbuf_adds(b, ", ");
		if (p)
			strbuf_addf(b, "{ws_row=%u, ws_col=%u, ws_xpixel=%u, ws_ypixel=%u}", p[0] | p[1] << 8, p[2] | p[3] << 8,
				    p[4] | p[5] << 8, p[6] | p[7] << 8);
		else
			put_ptr(b, a[2]);
		return ARG_ALL;
	}
	default: put_hex(b, v); break;
	}
	return ARG_DONE;
}

static void put_result(struct strbuf *b, const struct sys *s, const uint64_t a[6], const int64_t *ret)
{
	static const char *const restart[] = { "ERESTARTSYS (To be restarted if SA_RESTART is set)",
					       "ERESTARTNOINTR (To be restarted)",
					       "ERESTARTNOHAND (To be restarted if no handler)", NULL,
					       "ERESTART_RESTARTBLOCK (Interrupted by signal)" };

	if (!ret) {
		strbuf_add(b, "?", 1);
		return;
	}
	if (*ret <= -512 && *ret >= -516 && restart[-*ret - 512]) {
		/* a syscall a signal interrupted, to be restarted: the kernel's own errno, never seen by the program */
		strbuf_addf(b, "? %s", restart[-*ret - 512]);
		return;
	}
	if (*ret < 0 && *ret >= -4095) {
		const char *name = strerrorname_np((int)-*ret);

		if (name)
			strbuf_addf(b, "-1 %s (%s)", name, strerror((int)-*ret));
		else
			strbuf_addf(b, "-1 errno %d", (int)-*ret);
		return;
	}
	if (s->rkind == R_HEX) {
		put_hex(b, (uint64_t)*ret);
	} else if (s->rkind == R_FCNTL && a[1] == F_GETFL) {
		put_hex(b, (uint64_t)*ret);
		strbuf_adds(b, " (flags ");
		put_open_flags(b, (uint64_t)*ret);
		strbuf_add(b, ")", 1);
	} else if (s->rkind == R_FCNTL && a[1] == F_GETFD && *ret) {
		put_hex(b, (uint64_t)*ret);
		strbuf_adds(b, " (flags ");
		put_flags(b, (uint64_t)*ret, fd_flags, N(fd_flags), "0");
		strbuf_add(b, ")", 1);
	} else {
		strbuf_addf(b, "%" PRId64, *ret);
	}
}

/* The fd table after a successful call. */
static void update_fds(const struct sys *s, const uint64_t a[6], int64_t ret, const struct rt_dec_cap *c,
		       struct rt_dec_fds *fds, struct rt_dec_out *out)
{
	switch (s->fdop) {
	case F_OPEN: {
		bool cloexec = false;

		for (int i = 0; i < 6; i++)
			if (s->kind[i] == K_OPEN_FLAGS)
				cloexec = (a[i] & O_CLOEXEC) != 0;
		rt_dec_fds_set(fds, (int)ret, out->path, cloexec);
		if (out->path && !out->fd)
			out->fd = xstrdup(out->path);
		break;
	}
	case F_CLOSE:
		rt_dec_fds_set(fds, (int)a[0], NULL, false);
		break;
	case F_DUP:
	case F_DUP2:
		rt_dec_fds_set(fds, (int)ret, fds_get(fds, (int)a[0]), s->kind[2] == K_FD_FLAGS && (a[2] & O_CLOEXEC));
		break;
	case F_FCNTL:
		if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC)
			rt_dec_fds_set(fds, (int)ret, fds_get(fds, (int)a[0]), a[1] == F_DUPFD_CLOEXEC);
		break;
	case F_PIPE:
		if (captured(c, 0) && c->len[0] == 2 * sizeof(int)) {
			int p[2];

			memcpy(p, c->buf + c->off[0], sizeof(p));
			rt_dec_fds_set(fds, p[0], "pipe", (a[1] & O_CLOEXEC) != 0);
			rt_dec_fds_set(fds, p[1], "pipe", (a[1] & O_CLOEXEC) != 0);
		}
		break;
	case F_SOCKET: {
		char *t = xasprintf("socket %s", a[0] == 1 ? "AF_UNIX" : a[0] == 2 ? "AF_INET" : a[0] == 10 ? "AF_INET6" : "other");

		rt_dec_fds_set(fds, (int)ret, t, (a[1] & SOCK_CLOEXEC) != 0);
		free(t);
		break;
	}
	case F_EXEC:
		rt_dec_fds_exec(fds);
		break;
	default:
		break;
	}
}

void rt_dec_format(uint64_t nr, const uint64_t args[6], const int64_t *ret, const struct rt_dec_cap *cap,
		   struct rt_dec_fds *fds, struct rt_dec_out *out)
{
	const struct sys *s = lookup(nr);
	struct strbuf b = STRBUF_INIT;

	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	strbuf_addf(&b, "%s(", s->name);
	for (int i = 0, r = ARG_DONE; i < 6 && s->kind[i] != K_END && r != ARG_ALL; i++) {
		size_t mark = b.len;

		if (i)
			strbuf_adds(&b, ", ");
		if ((r = put_arg(&b, out, s, i, args, ret, cap, fds)) == ARG_SKIP)
			b.buf[b.len = mark] = '\0';
	}
	strbuf_add(&b, ")", 1);
	out->call = strbuf_detach(&b, NULL);
	put_result(&b, s, args, ret);
	out->result = strbuf_detach(&b, NULL);
	if (ret && (*ret >= 0 || *ret < -4095) && fds)
		update_fds(s, args, *ret, cap, fds, out);
}

void rt_dec_out_release(struct rt_dec_out *out)
{
	free(out->call);
	free(out->result);
	free(out->path);
	free(out->fd);
	free(out->addr);
	memset(out, 0, sizeof(*out));
}

/* ---- the plan without arguments (the eBPF engine's map) ---------------------------------------------- */

/* rt_dec_plan asked with made-up arguments: every argument and the result large (each need at its
 * bound), the result 0 (the needs of a call that succeeds with 0), then each argument and the result
 * in turn small, so that a length that follows one of them shows which. */
int rt_dec_plan_static(uint64_t nr, bool at_exit, struct rt_dec_need out[RT_DEC_MAX_NEEDS], uint8_t len_from[RT_DEC_MAX_NEEDS])
{
	enum { BIG = 1 << 30, SMALL = 5 };
	uint64_t args[6] = { BIG, BIG, BIG, BIG, BIG, BIG };
	struct rt_dec_need probe[RT_DEC_MAX_NEEDS];
	int n = rt_dec_plan(nr, args, at_exit, BIG, out);

	if (at_exit && !n)
		n = rt_dec_plan(nr, args, true, 0, out);
	for (int k = 0; k < n; k++) {
		len_from[k] = RT_DEC_LEN_FIXED;
		if (out[k].how != RT_DEC_BYTES)
			continue;
		for (int j = 0; j <= 6 && len_from[k] == RT_DEC_LEN_FIXED; j++) {
			int m;

			if (j == out[k].arg)
				continue;
			if (j < 6)
				args[j] = SMALL;
			m = rt_dec_plan(nr, args, at_exit, j == 6 ? SMALL : BIG, probe);
			for (int i = 0; i < m; i++)
				if (probe[i].arg == out[k].arg && probe[i].len == SMALL)
					len_from[k] = (uint8_t)(j == 6 ? RT_DEC_LEN_RET : RT_DEC_LEN_ARG0 + j);
			if (j < 6)
				args[j] = BIG;
		}
	}
	return n;
}
