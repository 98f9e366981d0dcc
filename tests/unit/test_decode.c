/*
 * Unit tests for tracer/decode.h on bad input: each case goes through rt_dec_plan, rt_dec_capture with a
 * fake reader (a few mapped regions of a pretend process; anything else unmapped) and rt_dec_format.
 * A string past its bound, a string in unmapped memory, an unknown syscall, an argv longer than
 * RT_DEC_ARGV_MAX, a path that is not UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "tracer/decode.h"

/* The pretend process's memory: regions at fixed addresses. */
struct region {
	uint64_t addr;
	const void *bytes;
	size_t len;
};
struct fake {
	struct region r[48];
	int n;
};

static void map(struct fake *f, uint64_t addr, const void *bytes, size_t len)
{
	f->r[f->n++] = (struct region){ addr, bytes, len };
}

/* Like process_vm_readv: what is mapped from addr on, up to n bytes; -1 when addr is unmapped. */
static long fake_read(void *ctx, uint64_t addr, void *dst, size_t n)
{
	const struct fake *f = ctx;

	for (int i = 0; i < f->n; i++)
		if (addr >= f->r[i].addr && addr < f->r[i].addr + f->r[i].len) {
			size_t have = f->r[i].addr + f->r[i].len - addr;

			memcpy(dst, (const char *)f->r[i].bytes + (addr - f->r[i].addr), n < have ? n : have);
			return (long)(n < have ? n : have);
		}
	return -1;
}

/* Plans and captures syscall nr at entry and exit (ret), then formats it into out. */
static void decode(struct fake *f, uint64_t nr, const uint64_t args[6], int64_t ret, struct rt_dec_cap *cap,
		   struct rt_dec_out *out)
{
	struct rt_dec_need needs[RT_DEC_MAX_NEEDS];
	int n;

	rt_dec_cap_init(cap);
	n = rt_dec_plan(nr, args, false, 0, needs);
	rt_dec_capture(cap, needs, n, args, fake_read, f);
	n = rt_dec_plan(nr, args, true, ret, needs);
	rt_dec_capture(cap, needs, n, args, fake_read, f);
	rt_dec_format(nr, args, &ret, cap, NULL, out);
}

static void test_string_past_bound(void **state)
{
	static struct rt_dec_cap cap;
	struct fake f = { .n = 0 };
	size_t len = RT_DEC_STR_MAX + 100;
	char *path = malloc(len + 1);
	uint64_t args[6] = { (uint64_t)-100, 0x10000, 0, 0, 0, 0 }; /* AT_FDCWD */
	struct rt_dec_out out;

	(void)state;
	memset(path, 'a', len);
	path[len] = '\0';
	map(&f, 0x10000, path, len + 1);
	decode(&f, SYS_openat, args, 3, &cap, &out);
	assert_true(cap.have & 2);
	assert_int_equal(cap.state[1], RT_DEC_TRUNC);
	assert_int_equal(cap.len[1], RT_DEC_STR_MAX);
	assert_non_null(out.call);
	assert_true(strncmp(out.call, "openat(AT_FDCWD, \"aaaa", 22) == 0);
	assert_non_null(strstr(out.call, "aaa\"..., O_RDONLY)"));
	assert_string_equal(out.result, "3");
	rt_dec_out_release(&out);
	free(path);
}

static void test_string_unmapped(void **state)
{
	static struct rt_dec_cap cap;
	struct fake f = { .n = 0 };
	uint64_t args[6] = { (uint64_t)-100, 0xdead0000, 0, 0, 0, 0 };
	struct rt_dec_out out;

	(void)state;
	decode(&f, SYS_openat, args, -2, &cap, &out);
	assert_int_equal(cap.state[1], RT_DEC_FAULT);
	assert_string_equal(out.call, "openat(AT_FDCWD, 0xdead0000, O_RDONLY)");
	assert_string_equal(out.result, "-1 ENOENT (No such file or directory)");
	assert_null(out.path);
	rt_dec_out_release(&out);

	/* a string that runs into unmapped memory before its NUL: what was read, then a fault */
	map(&f, 0x20000, "/etc/pas", 8);
	args[1] = 0x20000;
	decode(&f, SYS_openat, args, -14, &cap, &out);
	assert_int_equal(cap.state[1], RT_DEC_FAULT);
	assert_string_equal(out.call, "openat(AT_FDCWD, 0x20000, O_RDONLY)");
	rt_dec_out_release(&out);
}

static void test_unknown_syscall(void **state)
{
	static struct rt_dec_cap cap;
	struct fake f = { .n = 0 };
	uint64_t args[6] = { 1, 2, 3, 4, 5, 6 };
	struct rt_dec_need needs[RT_DEC_MAX_NEEDS];
	struct rt_dec_out out;

	(void)state;
	assert_false(rt_dec_known(999));
	assert_int_equal(rt_dec_plan(999, args, false, 0, needs), 0);
	assert_int_equal(rt_dec_plan(999, args, true, 0, needs), 0);
	decode(&f, 999, args, 0, &cap, &out);
	assert_int_equal(cap.have, 0);
	assert_null(out.call);
	assert_null(out.result);
	rt_dec_out_release(&out);
}

static void test_argv_too_long(void **state)
{
	static struct rt_dec_cap cap;
	enum { ARGC = RT_DEC_ARGV_MAX + 8 };
	struct fake f = { .n = 0 };
	static uint64_t argv[ARGC + 1], envp[3] = { 0x40000, 0x40000, 0 };
	static char arg[ARGC][8];
	uint64_t args[6] = { 0x30000, 0x31000, 0x32000, 0, 0, 0 };
	struct rt_dec_out out;
	const char *p;
	int quoted = 0;

	(void)state;
	map(&f, 0x30000, "/bin/x", 7);
	for (int i = 0; i < ARGC; i++) {
		snprintf(arg[i], sizeof(arg[i]), "a%d", i);
		argv[i] = 0x50000 + 0x100u * (unsigned)i;
		map(&f, argv[i], arg[i], strlen(arg[i]) + 1);
	}
	argv[ARGC] = 0;
	map(&f, 0x31000, argv, sizeof(argv));
	map(&f, 0x32000, envp, sizeof(envp));
	map(&f, 0x40000, "A=1", 4);
	decode(&f, SYS_execve, args, 0, &cap, &out);
	assert_int_equal(cap.count[1], RT_DEC_ARGV_MAX);
	assert_int_equal(cap.state[1], RT_DEC_TRUNC);
	assert_int_equal(cap.count[2], 2);
	for (p = out.call; (p = strchr(p, '"')) != NULL; p++, quoted++)
		;
	assert_int_equal(quoted, 2 * (RT_DEC_ARGV_MAX + 1)); /* the path, then 32 arguments */
	assert_non_null(strstr(out.call, "\"a31\", ...], 0x32000 /* 2 vars */)"));
	assert_true(strncmp(out.call, "execve(\"/bin/x\", [\"a0\", \"a1\", ", 30) == 0);
	assert_string_equal(out.path, "/bin/x");
	rt_dec_out_release(&out);

	/* exactly RT_DEC_ARGV_MAX: all of them, no "..." */
	argv[RT_DEC_ARGV_MAX] = 0;
	decode(&f, SYS_execve, args, 0, &cap, &out);
	assert_int_equal(cap.state[1], RT_DEC_OK);
	assert_non_null(strstr(out.call, "\"a31\"], 0x32000"));
	rt_dec_out_release(&out);
}

static void test_path_not_utf8(void **state)
{
	static struct rt_dec_cap cap;
	struct fake f = { .n = 0 };
	static const char path[] = "/tmp/a\xff" "b\x01\xfe" "7\t";
	uint64_t args[6] = { (uint64_t)-100, 0x60000, 0, 0x100, 0, 0 }; /* AT_FDCWD, path, statbuf, AT_SYMLINK_NOFOLLOW */
	struct rt_dec_out out;

	(void)state;
	map(&f, 0x60000, path, sizeof(path));
	decode(&f, SYS_newfstatat, args, -2, &cap, &out);
	assert_string_equal(out.call, "newfstatat(AT_FDCWD, \"/tmp/a\\377b\\1\\3767\\t\", NULL, AT_SYMLINK_NOFOLLOW)");
	assert_non_null(out.path);
	assert_memory_equal(out.path, path, sizeof(path)); /* the bytes as they are, for `path` */
	rt_dec_out_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_past_bound),
		cmocka_unit_test(test_string_unmapped),
		cmocka_unit_test(test_unknown_syscall),
		cmocka_unit_test(test_argv_too_long),
		cmocka_unit_test(test_path_not_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
