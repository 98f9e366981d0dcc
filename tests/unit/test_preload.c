/*
 * Unit tests for probes/preload/preload.h: the records librt0preload.so sends and tracer/preload.c reads
 * (encode, decode, and what the decoder refuses).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_payload_cut),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
