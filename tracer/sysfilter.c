/* tracer/sysfilter: strace-style syscall sets and their seccomp-BPF program (see sysfilter.h). */
#include "tracer/sysfilter.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/xalloc.h"

/* The classes, by name, as strace groups syscalls (names a host lacks are skipped). */
static const char *const class_file[] = {
	"open", "openat", "openat2", "creat", "stat", "lstat", "newfstatat", "statx", "statfs", "access",
	"faccessat", "faccessat2", "readlink", "readlinkat", "execve", "execveat", "chdir", "chroot", "mkdir",
	"mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
	"symlinkat", "chmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "truncate", "utime", "utimes",
	"utimensat", "futimesat", "mknod", "mknodat", "getxattr", "lgetxattr", "setxattr", "lsetxattr",
	"listxattr", "llistxattr", "removexattr", "lremovexattr", "getxattrat", "setxattrat", "listxattrat",
	"removexattrat", "mount", "umount2", "pivot_root", "swapon", "swapoff", "acct", "uselib",
	"inotify_add_watch", "fanotify_mark", "name_to_handle_at", "open_tree", "move_mount", "mount_setattr",
	"fspick", "quotactl", NULL,
};
static const char *const class_desc[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
	"open", "openat", "openat2", "creat", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "ioctl",
	"lseek", "fstat", "newfstatat", "statx", "fstatfs", "fsync", "fdatasync", "ftruncate", "fchmod",
	"fchmodat", "fchown", "fchownat", "fchdir", "getdents", "getdents64", "pipe", "pipe2", "poll", "ppoll",
	"select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "inotify_init", "inotify_init1", "inotify_add_watch", "fanotify_init",
	"fanotify_mark", "sendfile", "splice", "tee", "vmsplice", "copy_file_range", "flock", "fadvise64",
	"fallocate", "readahead", "sync_file_range", "syncfs", "memfd_create", "memfd_secret", "mmap",
	"pidfd_open", "pidfd_getfd", "userfaultfd", "perf_event_open", "bpf", "io_uring_setup",
	"io_uring_enter", "io_uring_register", "socket", "socketpair", "bind", "listen", "accept", "accept4",
	"connect", "getsockname", "getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "shutdown", "setsockopt", "getsockopt", "faccessat", "faccessat2", "readlinkat",
	"mkdirat", "unlinkat", "renameat", "renameat2", "linkat", "symlinkat", "mknodat", "utimensat",
	"futimesat", "execveat", "name_to_handle_at", "open_by_handle_at", "fgetxattr", "fsetxattr",
	"flistxattr", "fremovexattr", NULL,
};
static const char *const class_network[] = {
	"socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname",
	"getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
	"setsockopt", "getsockopt", NULL,
};
static const char *const class_process[] = {
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
	"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal", "unshare",
	"setns", NULL,
};
static const char *const class_signal[] = {
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "signalfd", "signalfd4",
	"kill", "tkill", "tgkill", "pause", "alarm", "pidfd_send_signal", NULL,
};
static const char *const class_memory[] = {
	"brk", "mmap", "munmap", "mremap", "mprotect", "pkey_mprotect", "madvise", "process_madvise",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "mincore", "msync", "mbind",
	"set_mempolicy", "get_mempolicy", "set_mempolicy_home_node", "migrate_pages", "move_pages",
	"remap_file_pages", "pkey_alloc", "pkey_free", "mseal", "map_shadow_stack", "process_mrelease", NULL,
};
static const char *const class_ipc[] = {
	"shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd",
	"msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
	"mq_getsetattr", NULL,
};
static const char *const class_creds[] = {
	"getuid", "geteuid", "getgid", "getegid", "setuid", "setgid", "setreuid", "setregid", "setresuid",
	"getresuid", "setresgid", "getresgid", "setfsuid", "setfsgid", "getgroups", "setgroups", "capget",
	"capset", "prctl", NULL,
};

static const struct {
	const char *name;
	const char *const *names;
} classes[] = {
	{ "file", class_file }, { "desc", class_desc }, { "network", class_network }, { "net", class_network },
	{ "process", class_process }, { "signal", class_signal }, { "memory", class_memory }, { "ipc", class_ipc },
	{ "creds", class_creds },
};

/* Whether `nr` is a syscall of this host, by libseccomp's table. */
static bool known(int nr)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	free(name);
	return name != NULL;
}

static void set_nr(struct rt_sysfilter *f, int nr)
{
	if (nr < 0 || nr >= RT_SYSFILTER_MAX || (f->set[nr / 8] & (1u << (nr % 8))))
		return;
	f->set[nr / 8] |= (uint8_t)(1u << (nr % 8));
	f->n++;
}

static int add_item(struct rt_sysfilter *f, const char *item, struct rt_err *err)
{
	const char *cls = item[0] == '%' ? item + 1 : item;
	int nr;

	if (!*item)
		return rt_errf(err, RT_EXIT_USAGE, "-e trace=%s: an empty item", f->expr);
	if (strcmp(item, "all") == 0) {
		for (nr = 0; nr < RT_SYSFILTER_MAX; nr++)
			if (known(nr))
				set_nr(f, nr);
		return 0;
	}
	if (strcmp(item, "none") == 0)
		return 0;
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++)
		if (strcmp(cls, classes[c].name) == 0) {
			for (const char *const *n = classes[c].names; *n; n++)
				set_nr(f, seccomp_syscall_resolve_name(*n));
			return 0;
		}
	nr = seccomp_syscall_resolve_name(item);
	if (nr < 0 || nr >= RT_SYSFILTER_MAX)
		return rt_errf(err, RT_EXIT_USAGE, "-e trace=%s: '%s' is neither a syscall of this machine nor a class "
						    "(%%file, %%desc, %%network, %%process, %%signal, %%memory, %%ipc, %%creds)",
			       f->expr, item);
	set_nr(f, nr);
	return 0;
}

int rt_sysfilter_parse(struct rt_sysfilter *f, const char *expr, struct rt_err *err)
{
	const char *eq = strchr(expr, '=');
	bool invert;
	char *list, *save = NULL;

	memset(f, 0, sizeof(*f));
	if (eq) {
		if ((size_t)(eq - expr) != 5 || strncmp(expr, "trace", 5) != 0)
			return rt_errf(err, RT_EXIT_USAGE, "-e %s: only trace=SET is supported (strace's other qualifiers are not)", expr);
		expr = eq + 1;
	}
	f->expr = xstrdup(expr);
	invert = expr[0] == '!';
	list = xstrdup(expr + invert);
	if (!*list) {
		free(list);
		rt_errf(err, RT_EXIT_USAGE, "-e trace= names no syscalls (give names or classes, or 'none')");
		rt_sysfilter_release(f);
		return -1;
	}
	for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (add_item(f, item, err) != 0) {
			free(list);
			rt_sysfilter_release(f);
			return -1;
		}
	/* an empty item between commas ("a,,b") is refused too: strtok_r skips it, so look for it */
	if (strstr(expr, ",,") || expr[strlen(expr) - 1] == ',' || expr[invert] == ',') {
		free(list);
		rt_errf(err, RT_EXIT_USAGE, "-e trace=%s: an empty item", expr);
		rt_sysfilter_release(f);
		return -1;
	}
	free(list);
	if (invert) {
		uint8_t had[sizeof(f->set)];

		memcpy(had, f->set, sizeof(had));
		memset(f->set, 0, sizeof(f->set));
		f->n = 0;
		for (int nr = 0; nr < RT_SYSFILTER_MAX; nr++)
			if (!(had[nr / 8] & (1u << (nr % 8))) && known(nr))
				set_nr(f, nr);
	}
	return 0;
}

void rt_sysfilter_release(struct rt_sysfilter *f)
{
	free(f->expr);
	memset(f, 0, sizeof(*f));
}

bool rt_sysfilter_has(const struct rt_sysfilter *f, uint64_t nr)
{
	return !f || (nr < RT_SYSFILTER_MAX && (f->set[nr / 8] & (1u << (nr % 8))));
}

struct rt_seccomp {
	scmp_filter_ctx ctx;
};

struct rt_seccomp *rt_seccomp_build(const struct rt_sysfilter *f, bool stderr_writes, struct rt_err *err)
{
	struct rt_seccomp *s = xcalloc(1, sizeof(*s));
	int rc = 0;

	if (!(s->ctx = seccomp_init(SCMP_ACT_ALLOW))) {
		free(s);
		rt_errf(err, RT_EXIT_ENV, "cannot build the seccomp filter for -e trace=%s (libseccomp)", f->expr);
		return NULL;
	}
	for (int nr = 0; nr < RT_SYSFILTER_MAX && rc == 0; nr++)
		if (rt_sysfilter_has(f, (uint64_t)nr))
			rc = seccomp_rule_add(s->ctx, SCMP_ACT_TRACE(0), nr, 0);
	if (stderr_writes && rc == 0) {
		if (!rt_sysfilter_has(f, SYS_write))
			rc = seccomp_rule_add(s->ctx, SCMP_ACT_TRACE(0), SYS_write, 1, SCMP_A0(SCMP_CMP_EQ, 2));
		if (rc == 0 && !rt_sysfilter_has(f, SYS_writev))
			rc = seccomp_rule_add(s->ctx, SCMP_ACT_TRACE(0), SYS_writev, 1, SCMP_A0(SCMP_CMP_EQ, 2));
	}
	if (rc == 0)
		rc = seccomp_attr_set(s->ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot build the seccomp filter for -e trace=%s: %s", f->expr, strerror(-rc));
		rt_seccomp_free(s);
		return NULL;
	}
	return s;
}

int rt_seccomp_export(struct rt_seccomp *s, struct rt_err *err)
{
	int fd = memfd_create("rt0trace-seccomp", MFD_CLOEXEC), rc;

	if (fd < 0)
		return rt_errf(err, RT_EXIT_ENV, "cannot create a memfd for the seccomp filter: %s", strerror(errno));
	if ((rc = seccomp_export_bpf(s->ctx, fd)) != 0) {
		close(fd);
		return rt_errf(err, RT_EXIT_ENV, "cannot export the seccomp filter (libseccomp): %s", strerror(-rc));
	}
	return fd;
}

void rt_seccomp_free(struct rt_seccomp *s)
{
	if (!s)
		return;
	seccomp_release(s->ctx);
	free(s);
}
