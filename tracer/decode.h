/*
 * tracer/decode: the one syscall decoder of every engine (docs/formats.md "syscall": `call`, `result`,
 * `path`, `fd`, `addr`). Syscall knowledge is data: a table gives each syscall's argument kinds and its
 * result kind (names still come from libseccomp). Decoding is two steps, so that an engine does the
 * part that needs the stopped process (or the kernel, or the process itself) and nothing else:
 *
 *  1. capture: rt_dec_plan() says which arguments point at memory the decoder needs, when (at entry or
 *     at exit) and how much (bounded). The engine copies those bytes into a struct rt_dec_cap: ptrace
 *     with process_vm_readv while the thread is stopped, eBPF with bpf_probe_read_user in the kernel,
 *     preload from the process's own memory. A string that runs past its bound is marked truncated; one
 *     in unmapped memory, unreadable. Nothing else is read.
 *  2. format: rt_dec_format() turns the raw arguments, the result and the capture into strace's text
 *     (`openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC)` and `3`, or `-1 ENOENT (No such file or
 *     directory)`), and keeps a per-process table of file descriptors (open, dup, close, pipe, socket,
 *     exec's close-on-exec) so that an fd argument can be said to refer to a file, a pipe or a socket.
 *     This runs after the program was resumed.
 *
 * A syscall the table does not know keeps its raw form (no `call`). Ownership: a struct rt_dec_fds is
 * made with rt_dec_fds_new() per process and released with rt_dec_fds_free(); strings returned are the
 * caller's.
 */
#ifndef RT0_TRACER_DECODE_H
#define RT0_TRACER_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* When an argument's memory is read. */
enum rt_dec_when { RT_DEC_NONE, RT_DEC_ENTRY, RT_DEC_EXIT };

/* How to read it: a NUL-terminated string, `len` bytes, an array of string pointers (execve's argv:
 * the strings, NUL-separated; its envp: only how many), or records of `len` bytes in all, each with its
 * length at 16 as getdents64's (only how many). */
enum rt_dec_how { RT_DEC_STR, RT_DEC_BYTES, RT_DEC_ARGV, RT_DEC_COUNT, RT_DEC_RECS };

/* One argument to capture. */
struct rt_dec_need {
	uint8_t arg;            /* 0..5 */
	uint8_t when;           /* enum rt_dec_when */
	uint8_t how;            /* enum rt_dec_how */
	uint32_t len;           /* RT_DEC_BYTES: bytes wanted (already bounded); RT_DEC_STR: the bound */
};

#define RT_DEC_MAX_NEEDS 4
/* The most a capture holds, all arguments together, and the bound of one string (a path). */
#define RT_DEC_CAP_BYTES 4096
#define RT_DEC_STR_MAX 4096
/* strace's default string size (-s 32): buffers are shown up to that, then "..." */
#define RT_DEC_BUF_SHOWN 32
/* execve: the arguments kept (strace shows 32, then "..."), each up to RT_DEC_ARG_MAX bytes (strace
 * shows RT_DEC_BUF_SHOWN of each, then "...": one more byte says whether there is more) */
#define RT_DEC_ARGV_MAX 32
#define RT_DEC_ARG_MAX (RT_DEC_BUF_SHOWN + 1)

/* What to capture for syscall `nr` with these arguments: at entry (ret unknown, `at_exit` false) or at
 * exit (`ret` known). Returns how many needs it filled in `out` (0: nothing to read then). */
int rt_dec_plan(uint64_t nr, const uint64_t args[6], bool at_exit, int64_t ret, struct rt_dec_need out[RT_DEC_MAX_NEEDS]);

/* The captured bytes of one syscall's arguments. */
enum { RT_DEC_OK = 0, RT_DEC_TRUNC = 1, RT_DEC_FAULT = 2 };
struct rt_dec_cap {
	uint16_t off[6], len[6];  /* where arg i's bytes are in buf, and how many (0 0: not captured) */
	uint8_t state[6];         /* RT_DEC_OK, _TRUNC (cut at the bound), _FAULT (unreadable) */
	uint8_t have;             /* bit i: arg i was captured */
	uint16_t count[6];        /* RT_DEC_ARGV: strings kept; RT_DEC_COUNT: pointers counted; RT_DEC_RECS: records */
	uint16_t used;
	unsigned char buf[RT_DEC_CAP_BYTES];
};

static inline void rt_dec_cap_init(struct rt_dec_cap *c)
{
	c->have = 0;
	c->used = 0;
}

/* Reads memory of the traced process: up to `n` bytes at `addr` into `dst`; how many were read (0 or
 * -1 when none: unmapped). A reader may return fewer bytes than asked where a page ends. */
typedef long (*rt_dec_read_fn)(void *ctx, uint64_t addr, void *dst, size_t n);

/* Captures `needs` with `rd` (the ptrace and preload engines; the eBPF engine fills the struct from
 * its records the same way): strings are read in chunks up to their bound, never past a fault. */
void rt_dec_capture(struct rt_dec_cap *c, const struct rt_dec_need *needs, int nneeds, const uint64_t args[6],
		    rt_dec_read_fn rd, void *ctx);
/* Stores `n` bytes for argument `arg` (what rt_dec_capture does for each need). */
void rt_dec_cap_put(struct rt_dec_cap *c, int arg, const void *data, size_t n, int state, uint16_t count);

/* A process's file descriptors, as far as its syscalls tell. */
struct rt_dec_fds;
struct rt_dec_fds *rt_dec_fds_new(void);
/* The table a forked child starts with: a copy of its parent's. */
struct rt_dec_fds *rt_dec_fds_copy(const struct rt_dec_fds *f);
void rt_dec_fds_free(struct rt_dec_fds *f);
/* What fd refers to when nothing opened it here (the fds a program starts with): its target as
 * /proc/PID/fd/N says ("/dev/pts/0", "pipe:[1234]", "socket:[5678]"). */
void rt_dec_fds_set(struct rt_dec_fds *f, int fd, const char *target, bool cloexec);
/* The table of a process as /proc/PID/fd and fdinfo show it now (empty when they cannot be read). */
struct rt_dec_fds *rt_dec_fds_from_proc(int pid);
/* What an exec leaves of the table: its close-on-exec fds are closed. */
void rt_dec_fds_exec(struct rt_dec_fds *f);

/* One syscall decoded: strace's text for the call and its result, and what it names. */
struct rt_dec_out {
	char *call;     /* "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY|O_CLOEXEC)", or NULL: not decoded */
	char *result;   /* "3", "-1 ENOENT (No such file or directory)", "0x7f0e4c000000", "?" */
	char *path;     /* the file the call names (open, stat, exec, ...), or NULL */
	char *fd;       /* what its first fd argument refers to (or, for a call that makes one, the new fd), or NULL */
	char *addr;     /* a socket address ("AF_INET 127.0.0.1:80", "AF_UNIX /run/x.sock"), or NULL */
};

/* Formats syscall `nr` (`ret` NULL: it never returned) and updates `fds` (may be NULL). */
void rt_dec_format(uint64_t nr, const uint64_t args[6], const int64_t *ret, const struct rt_dec_cap *cap,
		   struct rt_dec_fds *fds, struct rt_dec_out *out);
void rt_dec_out_release(struct rt_dec_out *out);

/* Whether the table knows syscall `nr`. */
bool rt_dec_known(uint64_t nr);

/* ---- the plan without arguments (the eBPF engine, which reads in the kernel) ---------------------------- */

/* Where a need's length comes from, when it depends on the call: an argument (RT_DEC_LEN_ARG0 + i) or
 * the result; the length is then the smaller of that value and the need's `len` (its bound). */
enum { RT_DEC_LEN_FIXED = 0, RT_DEC_LEN_RET = 1, RT_DEC_LEN_ARG0 = 2 };

/* The needs of syscall `nr` at entry or at exit, for any arguments: what rt_dec_plan() can ask for, each
 * at its bound, and in len_from[k] where need k's length comes from. A need rt_dec_plan() skips for some
 * arguments (a NULL pointer, a failed call) is here all the same: the reader then copies a superset,
 * and rt_dec_plan() with the real arguments says what of it to keep. */
int rt_dec_plan_static(uint64_t nr, bool at_exit, struct rt_dec_need out[RT_DEC_MAX_NEEDS], uint8_t len_from[RT_DEC_MAX_NEEDS]);

#endif
