/*
 * probes/preload/preload.h: the records librt0preload.so (probes/preload/shim.c) sends to the launcher
 * (tracer/preload.c), shared by both sides. Header-only and free of allocation so the shim can use it
 * in interposed paths.
 *
 * Transport: a ring in a memfd the launcher shares with every traced process (after RT_PL_RING_OFF):
 * a record reserves its place with one atomic add on the ring's head and is written there, no syscall
 * (a send(2) per record was ~40% of what the engine cost a cgo startup); the launcher reads the ring
 * once every process is gone. A record that no longer fits goes as one send(2) of one message on an
 * AF_UNIX SOCK_SEQPACKET socket inherited by the traced program (MSG_NOSIGNAL: a launcher that is gone
 * never raises SIGPIPE in the program), at most RT_PL_MAX bytes, so records never interleave and the
 * launcher reads them whole. The launcher tells the shim where both are in the environment:
 *
 *   RT0_PRELOAD=1:<sock fd>:<st_dev>:<st_ino>:<lost fd>:<st_dev>:<st_ino>:<flags>
 *
 * The shim stays silent (the program runs as if untraced) unless each fd is what the launcher made: an
 * AF_UNIX SOCK_SEQPACKET socket (SO_DOMAIN, SO_TYPE) with that device and inode, and a memfd with that
 * device and inode, exactly RT_PL_SHARED_SIZE bytes, sealed exactly RT_PL_LOST_SEALS (F_GET_SEALS,
 * rt_pl_lost_seals_ok): a forged RT0_PRELOAD naming an inherited file or socket is refused, never
 * written into. The memfd's first word counts records the shim could not send (RT_PL_LOST_OFF; the
 * launcher reads it for the footer's `lost`), its second the bytes reserved in the ring so far
 * (RT_PL_HEAD_OFF; past the ring's end once records go by the socket).
 *
 * Byte order and layout are the host's: both sides are built together for one machine.
 */
#ifndef RT0_PROBES_PRELOAD_H
#define RT0_PROBES_PRELOAD_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RT_PL_ENV "RT0_PRELOAD"
#define RT_PL_VERSION 1
#define RT_PL_MAX 4096               /* a whole record, header and payload */
#define RT_PL_LOST_OFF 0             /* uint64_t in the shared memfd: records not sent */
#define RT_PL_HEAD_OFF 8             /* uint64_t: bytes reserved in the ring */
#define RT_PL_RING_OFF 64            /* where the ring starts */
#define RT_PL_SHARED_SIZE (1u << 20) /* the shared memfd: exactly this size ... */
#define RT_PL_RING_SIZE (RT_PL_SHARED_SIZE - RT_PL_RING_OFF)
#define RT_PL_RING_ALIGN 16          /* each record in the ring starts at a multiple of this */
#define RT_PL_RING_MAGIC 0x72743070u /* "rt0p": the `pad` of a record written whole in the ring */
#define RT_PL_LOST_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) /* ... and exactly these seals */
#define RT_PL_SEAL_EXEC 0x0020       /* F_SEAL_EXEC (Linux 6.3; not in every libc's headers) */

/* flags in RT0_PRELOAD */
#define RT_PL_F_NOFOLLOW 1u          /* children (fork) are silent; exec'd programs lose the shim */

enum rt_pl_kind {
	RT_PL_HELLO = 1,   /* the shim's constructor ran in a new image: a[0] load bias of the main program,
			    * a[1] AT_ENTRY, a[2] getppid(), a[3] 1 if it ran before every other constructor
			    * (DF_1_INITFIRST honoured), a[4] 1 if the ELF entry was patched (its moment
			    * will be reported at the entry itself); payload: /proc/self/exe */
	RT_PL_OBJECT,      /* a loaded object at HELLO: a[0] id, a[1] load base; payload: its path ("" main) */
	RT_PL_ENTRY,       /* the ELF entry reached: a[1] = 1: at its first instruction (patched), a[0] its
			    * runtime address; a[1] = 0 (the entry could not be patched): __libc_start_main
			    * entered, caller = its return address (in the ELF entry code) */
	RT_PL_INIT,        /* an .init_array function returned: a[0] object id, a[1] index, a[2] runtime
			    * address; t its entry, dur its run */
	RT_PL_MAIN,        /* main entered (the function __libc_start_main was given): a[0] its address */
	RT_PL_SYSCALL,     /* an interposed mmap/munmap/mprotect/mremap: nr, a[0..5], ret, dur, caller */
	RT_PL_CLONE,       /* pthread_create made a thread: tid = the creating thread, a[0] the new thread's
			    * tid (0: unknown), t the call; sent by the creating thread as the call returns */
	RT_PL_FORK,        /* fork() returned in the parent: ret = child pid (or -errno), dur; a[0] = 1 for
			    * posix_spawn/posix_spawnp (ret -error number; payload: the path) */
	RT_PL_EXEC,        /* an exec-family call: nr = SYS_execve/SYS_execveat, ret -errno when it returned
			    * (failed), a[0] 1 if the program keeps the shim; payload: the path */
	RT_PL_EXIT,        /* exit(status) called (a[1] = 0) or _exit/_Exit (a[1] = 1): a[0] status */
	RT_PL_ABORT,       /* abort() called */
	RT_PL_MAPS,        /* a piece of /proc/self/maps: a[0] snapshot id, a[1] what (RT_PL_AT_*), a[2] 1 on
			    * the last piece; payload: the text */
	RT_PL_DLOPEN,      /* dlopen: a[0] flags, ret the handle, dur; payload: the name */
	RT_PL_CALL,        /* the first call of a libc function the Go runtime uses to reach a phase:
			    * nr = RT_PL_CALL_*, caller */
	RT_PL_KIND_MAX
};

/* RT_PL_MAPS: when a snapshot was taken */
enum { RT_PL_AT_MAIN = 1, RT_PL_AT_CGO_INIT_DONE = 2 };
/* RT_PL_CALL: which call */
enum { RT_PL_CALL_SIGACTION = 1, RT_PL_CALL_COND_BROADCAST = 2, RT_PL_CALL_PTHREAD_CREATE = 3, RT_PL_CALL_GETATTR_NP = 4 };

struct rt_pl_rec {
	uint16_t kind;     /* enum rt_pl_kind */
	uint16_t len;      /* payload bytes after the header */
	int32_t pid, tid;
	uint32_t pad;
	uint64_t t, dur;   /* CLOCK_MONOTONIC ns */
	uint64_t nr;
	int64_t ret;
	uint64_t a[6];
	uint64_t caller;   /* return address of the interposed call, 0 if not known */
	uint64_t cpu_ns, wait_ns; /* ENTRY, INIT (at its entry), MAIN, CALL: the thread's CPU time
			    * (CLOCK_THREAD_CPUTIME_ID) and runqueue wait (/proc/thread-self/schedstat) then;
			    * cpu_ns 0 when not known */
};

#define RT_PL_PAYLOAD_MAX (RT_PL_MAX - sizeof(struct rt_pl_rec))

/* Whether F_GET_SEALS's answer is the launcher's counter's: exactly RT_PL_LOST_SEALS, give or take
 * F_SEAL_EXEC, which a kernel with vm.memfd_noexec set adds to every memfd by itself. A file that is not
 * a memfd answers -1 (EINVAL); a memfd made without MFD_ALLOW_SEALING answers F_SEAL_SEAL alone. */
static inline int rt_pl_lost_seals_ok(int seals)
{
	return seals >= 0 && (seals & ~RT_PL_SEAL_EXEC) == RT_PL_LOST_SEALS;
}

/* Writes header + payload (truncated to RT_PL_PAYLOAD_MAX) into buf (RT_PL_MAX bytes); returns the
 * record's size. */
static inline size_t rt_pl_encode(void *buf, const struct rt_pl_rec *r, const void *payload, size_t len)
{
	struct rt_pl_rec h = *r;

	if (len > RT_PL_PAYLOAD_MAX)
		len = RT_PL_PAYLOAD_MAX;
	h.len = (uint16_t)len;
	h.pad = 0;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy((char *)buf + sizeof(h), payload, len);
	return sizeof(h) + len;
}

/* Reads a received message of n bytes: 0 with *r and the payload (pointing into buf), or -1 when it is
 * not a well-formed record (short, a length that disagrees with n, an unknown kind). */
static inline int rt_pl_decode(const void *buf, size_t n, struct rt_pl_rec *r, const char **payload)
{
	if (n < sizeof(*r) || n > RT_PL_MAX)
		return -1;
	memcpy(r, buf, sizeof(*r));
	if (r->kind == 0 || r->kind >= RT_PL_KIND_MAX || sizeof(*r) + r->len != n)
		return -1;
	*payload = (const char *)buf + sizeof(*r);
	return 0;
}

/* The place a record of `size` bytes takes in the ring. */
static inline uint64_t rt_pl_ring_span(size_t size)
{
	return ((uint64_t)size + RT_PL_RING_ALIGN - 1) & ~(uint64_t)(RT_PL_RING_ALIGN - 1);
}

/* Writes header + payload into the ring (`ring`: RT_PL_RING_SIZE bytes; `head`: its shared head), for
 * any number of threads and processes at once and from a signal handler: one atomic add reserves the
 * place, the bytes are copied, and the kind is stored last (a record whose writer died midway keeps
 * kind 0 and is skipped by the reader). -1 when it no longer fits: it goes by the socket. */
static inline int rt_pl_ring_put(char *ring, uint64_t *head, const struct rt_pl_rec *r, const void *payload, size_t len)
{
	struct rt_pl_rec h = *r;
	uint64_t span, off;

	if (len > RT_PL_PAYLOAD_MAX)
		len = RT_PL_PAYLOAD_MAX;
	span = rt_pl_ring_span(sizeof(h) + len);
	off = __atomic_fetch_add(head, span, __ATOMIC_RELAXED);
	if (off > RT_PL_RING_SIZE || span > RT_PL_RING_SIZE - off)
		return -1;
	h.len = (uint16_t)len;
	h.pad = RT_PL_RING_MAGIC;
	h.kind = 0;
	if (len)
		memcpy(ring + off + sizeof(h), payload, len);
	memcpy(ring + off, &h, sizeof(h));
	__atomic_store_n((uint16_t *)(void *)(ring + off + offsetof(struct rt_pl_rec, kind)), r->kind, __ATOMIC_RELEASE);
	return 0;
}

/* The next record in the ring at or after *off, below `end` (the head, never past the ring): its
 * place and size (the record and its payload, as one message would carry them), *off moved past it;
 * -1 at the end. What a writer left unfinished is skipped, RT_PL_RING_ALIGN bytes at a time. */
static inline int rt_pl_ring_next(const char *ring, uint64_t end, uint64_t *off, const char **rec, size_t *size)
{
	if (end > RT_PL_RING_SIZE)
		end = RT_PL_RING_SIZE;
	while (*off + sizeof(struct rt_pl_rec) <= end) {
		struct rt_pl_rec h;

		memcpy(&h, ring + *off, sizeof(h));
		if (h.kind != 0 && h.kind < RT_PL_KIND_MAX && h.pad == RT_PL_RING_MAGIC && h.len <= RT_PL_PAYLOAD_MAX &&
		    *off + sizeof(h) + h.len <= end) {
			*rec = ring + *off;
			*size = sizeof(h) + h.len;
			*off += rt_pl_ring_span(*size);
			return 0;
		}
		*off += RT_PL_RING_ALIGN;
	}
	return -1;
}

#endif
