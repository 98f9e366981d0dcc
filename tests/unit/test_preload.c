/*
 * Unit tests for probes/preload/preload.h: the records librt0preload.so sends and tracer/preload.c reads
 * (encode, decode, and what the decoder refuses), and the lost counter's seals the library accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probes/preload/preload.h"

static void test_roundtrip(void **state)
{
	char buf[RT_PL_MAX];
	struct rt_pl_rec r = { .kind = RT_PL_SYSCALL, .pid = 41, .tid = 42, .t = 1000, .dur = 7, .nr = 9, .ret = -22 };
	struct rt_pl_rec out;
	const char *payload = NULL;
	size_t n;

	(void)state;
	for (int i = 0; i < 6; i++)
		r.a[i] = 0x1000u * (unsigned)(i + 1);
	r.caller = 0x4a8490;
	n = rt_pl_encode(buf, &r, "abc", 3);
	assert_int_equal(n, sizeof(r) + 3);
	assert_int_equal(rt_pl_decode(buf, n, &out, &payload), 0);
	assert_int_equal(out.kind, RT_PL_SYSCALL);
	assert_int_equal(out.len, 3);
	assert_int_equal(out.pid, 41);
	assert_int_equal(out.tid, 42);
	assert_true(out.t == 1000 && out.dur == 7 && out.nr == 9 && out.ret == -22 && out.caller == 0x4a8490);
	assert_true(out.a[0] == 0x1000 && out.a[5] == 0x6000);
	assert_memory_equal(payload, "abc", 3);
	/* no payload */
	n = rt_pl_encode(buf, &r, NULL, 0);
	assert_int_equal(rt_pl_decode(buf, n, &out, &payload), 0);
	assert_int_equal(out.len, 0);
}

static void test_payload_cut(void **state)
{
	static char big[2 * RT_PL_MAX], buf[RT_PL_MAX];
	struct rt_pl_rec r = { .kind = RT_PL_MAPS }, out;
	const char *payload;
	size_t n;

	(void)state;
	memset(big, 'x', sizeof(big));
	n = rt_pl_encode(buf, &r, big, sizeof(big));
	assert_int_equal(n, RT_PL_MAX); /* the whole record fits the limit */
	assert_int_equal(rt_pl_decode(buf, n, &out, &payload), 0);
	assert_int_equal(out.len, RT_PL_PAYLOAD_MAX);
}

static void test_refused(void **state)
{
	char buf[RT_PL_MAX + 8];
	struct rt_pl_rec r = { .kind = RT_PL_EXEC }, out;
	const char *payload;
	size_t n;

	(void)state;
	n = rt_pl_encode(buf, &r, "/bin/sh", 7);
	assert_int_equal(rt_pl_decode(buf, sizeof(r) - 1, &out, &payload), -1); /* short */
	assert_int_equal(rt_pl_decode(buf, n - 1, &out, &payload), -1);         /* length disagrees */
	assert_int_equal(rt_pl_decode(buf, n + 1, &out, &payload), -1);
	assert_int_equal(rt_pl_decode(buf, RT_PL_MAX + 1, &out, &payload), -1); /* too long */
	r.kind = 0;
	n = rt_pl_encode(buf, &r, NULL, 0);
	assert_int_equal(rt_pl_decode(buf, n, &out, &payload), -1); /* unknown kinds */
	r.kind = RT_PL_KIND_MAX;
	n = rt_pl_encode(buf, &r, NULL, 0);
	assert_int_equal(rt_pl_decode(buf, n, &out, &payload), -1);
	r.kind = RT_PL_KIND_MAX - 1;
	n = rt_pl_encode(buf, &r, NULL, 0);
	assert_int_equal(rt_pl_decode(buf, n, &out, &payload), 0);
}

/* The lost counter's seals: what the launcher makes passes, give or take F_SEAL_EXEC; a regular file,
 * an unsealed memfd or other seals do not. */
static void test_lost_seals(void **state)
{
	char path[] = "/tmp/rt0-test-preload-XXXXXX";
	int fd, file;

	(void)state;
	assert_true(rt_pl_lost_seals_ok(RT_PL_LOST_SEALS));
	assert_true(rt_pl_lost_seals_ok(RT_PL_LOST_SEALS | RT_PL_SEAL_EXEC));
	assert_false(rt_pl_lost_seals_ok(-1));
	assert_false(rt_pl_lost_seals_ok(0));
	assert_false(rt_pl_lost_seals_ok(F_SEAL_SEAL));
	assert_false(rt_pl_lost_seals_ok(F_SEAL_SHRINK | F_SEAL_GROW));
	assert_false(rt_pl_lost_seals_ok(RT_PL_LOST_SEALS | F_SEAL_WRITE));
	/* as tracer/preload.c makes it */
	fd = memfd_create("rt0-test-lost", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, RT_PL_LOST_SIZE), 0);
	assert_false(rt_pl_lost_seals_ok(fcntl(fd, F_GET_SEALS))); /* not sealed yet */
	assert_int_equal(fcntl(fd, F_ADD_SEALS, RT_PL_LOST_SEALS), 0);
	assert_true(rt_pl_lost_seals_ok(fcntl(fd, F_GET_SEALS)));
	assert_int_equal(ftruncate(fd, 2 * RT_PL_LOST_SIZE), -1); /* the size is fixed */
	close(fd);
	fd = memfd_create("rt0-test-unsealed", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_false(rt_pl_lost_seals_ok(fcntl(fd, F_GET_SEALS)));
	close(fd);
	file = mkstemp(path);
	assert_true(file >= 0);
	unlink(path);
	assert_false(rt_pl_lost_seals_ok(fcntl(file, F_GET_SEALS)));
	close(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_payload_cut),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lost_seals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
