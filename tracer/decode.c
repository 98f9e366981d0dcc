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

/* What an argument is. */
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
	K_LINK_OUT,  /* readlink's result: as many bytes as returned, at exit, shown whole */
	K_OPEN_FLAGS,
	K_MODE,      /* octal file mode */
	K_PROT,
	K_MAP_FLAGS,
	K_ACCESS_MODE,
	K_AT_FLAGS,
	K_ARGV,      /* execve's argv, read at entry */
	K_ENVP,      /* execve's envp: how many */
	K_PIPEFD_OUT,/* int[2], at exit */
	K_FCNTL_CMD,
	K_SOCK_DOMAIN,
	K_SOCK_TYPE,
	K_SOCKADDR_IN, /* a sockaddr whose length is the next argument, read at entry */
};

/* What the result is. */
enum rkind { R_INT, R_FD, R_HEX, R_NONE };

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
	{ SYS_open, S(open, R_FD, F_OPEN, K_PATH, K_OPEN_FLAGS, K_MODE) },
	{ SYS_openat, S(openat, R_FD, F_OPEN, K_DIRFD, K_PATH, K_OPEN_FLAGS, K_MODE) },
	{ SYS_close, S(close, R_INT, F_CLOSE, K_FD) },
	{ SYS_newfstatat, S(newfstatat, R_INT, F_NONE, K_DIRFD, K_PATH, K_PTR, K_AT_FLAGS) },
	{ SYS_stat, S(stat, R_INT, F_NONE, K_PATH, K_PTR) },
	{ SYS_lstat, S(lstat, R_INT, F_NONE, K_PATH, K_PTR) },
	{ SYS_fstat, S(fstat, R_INT, F_NONE, K_FD, K_PTR) },
	{ SYS_access, S(access, R_INT, F_NONE, K_PATH, K_ACCESS_MODE) },
	{ SYS_faccessat, S(faccessat, R_INT, F_NONE, K_DIRFD, K_PATH, K_ACCESS_MODE) },
	{ SYS_faccessat2, S(faccessat2, R_INT, F_NONE, K_DIRFD, K_PATH, K_ACCESS_MODE, K_AT_FLAGS) },
	{ SYS_readlink, S(readlink, R_INT, F_NONE, K_PATH, K_LINK_OUT, K_UINT) },
	{ SYS_readlinkat, S(readlinkat, R_INT, F_NONE, K_DIRFD, K_PATH, K_LINK_OUT, K_UINT) },
	{ SYS_mmap, S(mmap, R_HEX, F_NONE, K_PTR, K_UINT, K_PROT, K_MAP_FLAGS, K_FD, K_HEX) },
	{ SYS_munmap, S(munmap, R_INT, F_NONE, K_PTR, K_UINT) },
	{ SYS_mprotect, S(mprotect, R_INT, F_NONE, K_PTR, K_UINT, K_PROT) },
	{ SYS_brk, S(brk, R_HEX, F_NONE, K_PTR) },
	{ SYS_execve, S(execve, R_INT, F_EXEC, K_PATH, K_ARGV, K_ENVP) },
	{ SYS_getpid, S(getpid, R_INT, F_NONE, K_END) },
	{ SYS_gettid, S(gettid, R_INT, F_NONE, K_END) },
	{ SYS_getppid, S(getppid, R_INT, F_NONE, K_END) },
	{ SYS_getuid, S(getuid, R_INT, F_NONE, K_END) },
	{ SYS_geteuid, S(geteuid, R_INT, F_NONE, K_END) },
	{ SYS_getgid, S(getgid, R_INT, F_NONE, K_END) },
	{ SYS_getegid, S(getegid, R_INT, F_NONE, K_END) },
	{ SYS_exit_group, S(exit_group, R_NONE, F_NONE, K_INT) },
	{ SYS_exit, S(exit, R_NONE, F_NONE, K_INT) },
	{ SYS_dup, S(dup, R_FD, F_DUP, K_FD) },
	{ SYS_dup2, S(dup2, R_FD, F_DUP2, K_FD, K_FD) },
	{ SYS_dup3, S(dup3, R_FD, F_DUP2, K_FD, K_FD, K_OPEN_FLAGS) },
	{ SYS_pipe2, S(pipe2, R_INT, F_PIPE, K_PIPEFD_OUT, K_OPEN_FLAGS) },
	{ SYS_fcntl, S(fcntl, R_INT, F_FCNTL, K_FD, K_FCNTL_CMD, K_HEX) },
	{ SYS_socket, S(socket, R_FD, F_SOCKET, K_SOCK_DOMAIN, K_SOCK_TYPE, K_INT) },
	{ SYS_connect, S(connect, R_INT, F_NONE, K_FD, K_SOCKADDR_IN, K_UINT) },
	{ SYS_bind, S(bind, R_INT, F_NONE, K_FD, K_SOCKADDR_IN, K_UINT) },
	{ SYS_sendto, S(sendto, R_INT, F_NONE, K_FD, K_BUF_IN, K_UINT, K_HEX, K_SOCKADDR_IN, K_UINT) },
	{ SYS_chdir, S(chdir, R_INT, F_NONE, K_PATH) },
	{ SYS_unlink, S(unlink, R_INT, F_NONE, K_PATH) },
	{ SYS_unlinkat, S(unlinkat, R_INT, F_NONE, K_DIRFD, K_PATH, K_AT_FLAGS) },
	{ SYS_mkdir, S(mkdir, R_INT, F_NONE, K_PATH, K_MODE) },
	{ SYS_mkdirat, S(mkdirat, R_INT, F_NONE, K_DIRFD, K_PATH, K_MODE) },
	{ SYS_getcwd, S(getcwd, R_INT, F_NONE, K_LINK_OUT, K_UINT) },
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

int rt_dec_plan(uint64_t nr, const uint64_t args[6], bool at_exit, int64_t ret, struct rt_dec_need out[RT_DEC_MAX_NEEDS])
{
	const struct sys *s = lookup(nr);
	int n = 0;

	if (!s)
		return 0;
	for (int i = 0; i < 6 && s->kind[i] != K_END && n < RT_DEC_MAX_NEEDS; i++) {
		struct rt_dec_need d = { (uint8_t)i, RT_DEC_NONE, RT_DEC_BYTES, 0 };

		switch (s->kind[i]) {
		case K_PATH:
			d = (struct rt_dec_need){ (uint8_t)i, RT_DEC_ENTRY, RT_DEC_STR, RT_DEC_STR_MAX };
			break;
		case K_BUF_IN:
			d.when = RT_DEC_ENTRY;
			d.len = i < 5 ? (uint32_t)(args[i + 1] < RT_DEC_BUF_SHOWN + 1 ? args[i + 1] : RT_DEC_BUF_SHOWN + 1) : 0;
			break;
		case K_BUF_OUT:
			d.when = RT_DEC_EXIT;
			d.len = ret > 0 ? (uint32_t)(ret < RT_DEC_BUF_SHOWN + 1 ? ret : RT_DEC_BUF_SHOWN + 1) : 0;
			break;
		case K_LINK_OUT:
			d.when = RT_DEC_EXIT;
			d.len = ret > 0 ? (uint32_t)(ret < RT_DEC_STR_MAX ? ret : RT_DEC_STR_MAX) : 0;
			break;
		case K_PIPEFD_OUT:
			d.when = RT_DEC_EXIT;
			d.len = ret == 0 ? 2 * sizeof(int) : 0;
			break;
		case K_SOCKADDR_IN:
			d.when = RT_DEC_ENTRY;
			d.len = i < 5 ? (uint32_t)(args[i + 1] < 128 ? args[i + 1] : 128) : 0;
			break;
		case K_ARGV:
			d = (struct rt_dec_need){ (uint8_t)i, RT_DEC_ENTRY, RT_DEC_ARGV, RT_DEC_ARG_MAX };
			break;
		case K_ENVP:
			d = (struct rt_dec_need){ (uint8_t)i, RT_DEC_ENTRY, RT_DEC_COUNT, 0 };
			break;
		default:
			continue;
		}
		if ((d.when == RT_DEC_EXIT) != at_exit || !args[i] || (d.how == RT_DEC_BYTES && !d.len))
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
		} else {
			/* an array of pointers, NULL-terminated: ARGV keeps the strings, COUNT counts them */
			uint16_t count = 0;
			size_t used = 0;

			state = RT_DEC_OK;
			for (;; count++) {
				uint64_t p = 0;
				int st;

				if (count >= (d->how == RT_DEC_ARGV ? RT_DEC_ARGV_MAX : 4096)) {
					state = RT_DEC_TRUNC;
					break;
				}
				if (rd(ctx, args[d->arg] + 8ull * count, &p, 8) != 8) {
					state = RT_DEC_FAULT;
					break;
				}
				if (!p)
					break;
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
/* the kernel's x86-64 values (glibc's O_LARGEFILE is 0 on 64-bit) */
static const struct flag open_flags[] = {
	{ 0100, "O_CREAT" }, { 0200, "O_EXCL" }, { 0400, "O_NOCTTY" }, { 01000, "O_TRUNC" }, { 02000, "O_APPEND" },
	{ 04000, "O_NONBLOCK" }, { 04010000, "O_SYNC" }, { 010000, "O_DSYNC" }, { 020000, "O_ASYNC" }, { 040000, "O_DIRECT" },
	{ 0100000, "O_LARGEFILE" }, { 0200000, "O_DIRECTORY" }, { 0400000, "O_NOFOLLOW" }, { 01000000, "O_NOATIME" },
	{ 02000000, "O_CLOEXEC" }, { 010000000, "O_PATH" }, { 020200000, "O_TMPFILE" },
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
#undef F

/* A string as strace quotes it: printable ASCII as is, the usual escapes, other bytes in octal (three
 * digits when a digit follows). */
static void put_quoted(struct strbuf *b, const unsigned char *s, size_t n)
{
	strbuf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

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

static void put_ptr(struct strbuf *b, uint64_t v)
{
	if (v)
		strbuf_addf(b, "%#" PRIx64, v);
	else
		strbuf_adds(b, "NULL");
}

static bool captured(const struct rt_dec_cap *c, int i)
{
	return c && (c->have & (1u << i));
}

/* A captured path or buffer (`shown`: at most that many bytes, then "..."). */
static void put_captured(struct strbuf *b, const struct rt_dec_cap *c, int i, uint64_t addr, size_t shown, size_t total)
{
	size_t n;

	if (!captured(c, i) || c->state[i] == RT_DEC_FAULT) {
		put_ptr(b, addr);
		return;
	}
	n = c->len[i];
	if (shown && n > shown)
		n = shown;
	put_quoted(b, c->buf + c->off[i], n);
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
		put_quoted(b, p + 1, n);
		if (p[0] == 't')
			strbuf_adds(b, "...");
		p += n + 2;
	}
	strbuf_adds(b, c->state[i] == RT_DEC_OK ? "]" : ", ...]");
}

static void put_sockaddr(struct strbuf *b, struct rt_dec_out *out, const struct rt_dec_cap *c, int i, uint64_t addr)
{
	const unsigned char *p;
	size_t n;
	unsigned family;

	if (!captured(c, i) || c->state[i] == RT_DEC_FAULT || c->len[i] < 2) {
		put_ptr(b, addr);
		return;
	}
	p = c->buf + c->off[i];
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
		put_quoted(b, p + 2, plen);
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

static const char *fcntl_cmd(uint64_t v)
{
	switch (v) {
	case F_DUPFD: return "F_DUPFD";
	case F_GETFD: return "F_GETFD";
	case F_SETFD: return "F_SETFD";
	case F_GETFL: return "F_GETFL";
	case F_SETFL: return "F_SETFL";
	case F_DUPFD_CLOEXEC: return "F_DUPFD_CLOEXEC";
	default: return NULL;
	}
}

static void put_arg(struct strbuf *b, struct rt_dec_out *out, const struct sys *s, int i, const uint64_t a[6],
		    const int64_t *ret, const struct rt_dec_cap *c, struct rt_dec_fds *fds)
{
	uint64_t v = a[i];

	switch (s->kind[i]) {
	case K_INT: strbuf_addf(b, "%" PRId64, (int64_t)v); break;
	case K_UINT: strbuf_addf(b, "%" PRIu64, v); break;
	case K_HEX: strbuf_addf(b, "%#" PRIx64, v); break;
	case K_PTR: put_ptr(b, v); break;
	case K_FD:
		strbuf_addf(b, "%d", (int)v);
		if (!out->fd && fds_get(fds, (int)v))
			out->fd = xstrdup(fds_get(fds, (int)v));
		break;
	case K_DIRFD:
		if ((int)v == AT_FDCWD)
			strbuf_adds(b, "AT_FDCWD");
		else
			strbuf_addf(b, "%d", (int)v);
		break;
	case K_PATH:
		put_captured(b, c, i, v, 0, 0);
		if (!out->path && captured(c, i) && c->state[i] != RT_DEC_FAULT)
			out->path = xstrndup((const char *)c->buf + c->off[i], c->len[i]);
		break;
	case K_BUF_IN: put_captured(b, c, i, v, RT_DEC_BUF_SHOWN, i < 5 ? a[i + 1] : 0); break;
	case K_BUF_OUT:
		if (ret && *ret >= 0)
			put_captured(b, c, i, v, RT_DEC_BUF_SHOWN, (size_t)*ret);
		else
			put_ptr(b, v);
		break;
	case K_LINK_OUT:
		if (ret && *ret >= 0)
			put_captured(b, c, i, v, 0, 0);
		else
			put_ptr(b, v);
		break;
	case K_OPEN_FLAGS: {
		static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
		uint64_t rest = v & ~(uint64_t)O_ACCMODE;

		/* dup3 and pipe2 take only O_CLOEXEC/O_NONBLOCK/O_DIRECT: no access mode */
		if (strcmp(s->name, "dup3") == 0 || strcmp(s->name, "pipe2") == 0) {
			put_flags(b, v, open_flags, sizeof(open_flags) / sizeof(open_flags[0]), "0");
			break;
		}
		strbuf_adds(b, acc[v & O_ACCMODE]);
		if (rest) {
			strbuf_add(b, "|", 1);
			put_flags(b, rest, open_flags, sizeof(open_flags) / sizeof(open_flags[0]), "0");
		}
		break;
	}
	case K_MODE: strbuf_addf(b, "%#03" PRIo64, v); break;
	case K_PROT: put_flags(b, v, prot_flags, sizeof(prot_flags) / sizeof(prot_flags[0]), "PROT_NONE"); break;
	case K_MAP_FLAGS: {
		static const char *const type[] = { "0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE" };

		strbuf_adds(b, type[v & 3]);
		if (v & ~3ull) {
			strbuf_add(b, "|", 1);
			put_flags(b, v & ~3ull, map_flags, sizeof(map_flags) / sizeof(map_flags[0]), "0");
		}
		break;
	}
	case K_ACCESS_MODE: put_flags(b, v, access_flags, sizeof(access_flags) / sizeof(access_flags[0]), "F_OK"); break;
	case K_AT_FLAGS: put_flags(b, v, at_flags, sizeof(at_flags) / sizeof(at_flags[0]), "0"); break;
	case K_ARGV: put_argv(b, c, i, v); break;
	case K_ENVP:
		if (captured(c, i))
			strbuf_addf(b, "%p /* %u var%s%s */", (void *)(uintptr_t)v, c->count[i], c->count[i] == 1 ? "" : "s",
				      c->state[i] == RT_DEC_OK ? "" : ", more");
		else
			put_ptr(b, v);
		break;
	case K_PIPEFD_OUT:
		if (captured(c, i) && c->len[i] == 2 * sizeof(int)) {
			int p[2];

			memcpy(p, c->buf + c->off[i], sizeof(p));
			strbuf_addf(b, "[%d, %d]", p[0], p[1]);
		} else {
			put_ptr(b, v);
		}
		break;
	case K_FCNTL_CMD:
		if (fcntl_cmd(v))
			strbuf_adds(b, fcntl_cmd(v));
		else
			strbuf_addf(b, "%#" PRIx64, v);
		break;
	case K_SOCK_DOMAIN:
		strbuf_adds(b, v == 1 ? "AF_UNIX" : v == 2 ? "AF_INET" : v == 10 ? "AF_INET6" : v == 16 ? "AF_NETLINK" : "");
		if (v != 1 && v != 2 && v != 10 && v != 16)
			strbuf_addf(b, "%" PRIu64, v);
		break;
	case K_SOCK_TYPE: {
		static const char *const types[] = { "0", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET" };
		uint64_t t = v & 0xf;

		if (t < 6)
			strbuf_adds(b, types[t]);
		else
			strbuf_addf(b, "%#" PRIx64, t);
		if (v & SOCK_NONBLOCK)
			strbuf_adds(b, "|SOCK_NONBLOCK");
		if (v & SOCK_CLOEXEC)
			strbuf_adds(b, "|SOCK_CLOEXEC");
		break;
	}
	case K_SOCKADDR_IN: put_sockaddr(b, out, c, i, v); break;
	default: strbuf_addf(b, "%#" PRIx64, v); break;
	}
}

static void put_result(struct strbuf *b, const struct sys *s, const int64_t *ret)
{
	if (!ret) {
		strbuf_add(b, "?", 1);
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
	if (s->rkind == R_HEX)
		strbuf_addf(b, "%#" PRIx64, (uint64_t)*ret);
	else
		strbuf_addf(b, "%" PRId64, *ret);
}

/* The fd table after a successful call. */
static void update_fds(const struct sys *s, const uint64_t a[6], int64_t ret, const struct rt_dec_cap *c,
		       struct rt_dec_fds *fds, struct rt_dec_out *out)
{
	switch (s->fdop) {
	case F_OPEN: {
		int flags_arg = strcmp(s->name, "openat") == 0 ? 2 : 1;

		rt_dec_fds_set(fds, (int)ret, out->path, (a[flags_arg] & O_CLOEXEC) != 0);
		if (out->path && !out->fd)
			out->fd = xstrdup(out->path);
		break;
	}
	case F_CLOSE:
		rt_dec_fds_set(fds, (int)a[0], NULL, false);
		break;
	case F_DUP:
	case F_DUP2:
		rt_dec_fds_set(fds, (int)ret, fds_get(fds, (int)a[0]), s->kind[2] == K_OPEN_FLAGS && (a[2] & O_CLOEXEC));
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
		for (size_t i = 0; fds && i < fds->n; i++)
			if (fds->v[i].cloexec)
				rt_dec_fds_set(fds, (int)i, NULL, false);
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
	for (int i = 0; i < 6 && s->kind[i] != K_END; i++) {
		if (i)
			strbuf_adds(&b, ", ");
		put_arg(&b, out, s, i, args, ret, cap, fds);
	}
	strbuf_add(&b, ")", 1);
	out->call = strbuf_detach(&b, NULL);
	put_result(&b, s, ret);
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
