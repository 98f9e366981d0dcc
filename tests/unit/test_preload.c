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

/* The shared ring: records come back in order, whole; a place a writer reserved and never finished is
 * skipped; once full, a record is refused (it goes by the socket) and the reader stops at the end. */
static void test_ring(void **state)
{
	char *ring = calloc(1, RT_PL_RING_SIZE), big[RT_PL_PAYLOAD_MAX] = { 0 };
	uint64_t head = 0, off = 0;
	struct rt_pl_rec r = { .kind = RT_PL_SYSCALL, .pid = 7, .tid = 8, .nr = 9 }, got;
	const char *rec = NULL, *payload;
	size_t size = 0, n = 0;

	(void)state;
	assert_non_null(ring);
	assert_int_equal(rt_pl_ring_put(ring, &head, &r, NULL, 0), 0);
	r.kind = RT_PL_HELLO;
	assert_int_equal(rt_pl_ring_put(ring, &head, &r, "/bin/prog", 9), 0);
	head += rt_pl_ring_span(sizeof(r) + 40); /* a writer that died after reserving its place */
	r.kind = RT_PL_EXIT;
	r.a[0] = 3;
	assert_int_equal(rt_pl_ring_put(ring, &head, &r, NULL, 0), 0);
	assert_int_equal(rt_pl_ring_next(ring, head, &off, &rec, &size), 0);
	assert_int_equal(rt_pl_decode(rec, size, &got, &payload), 0);
	assert_int_equal(got.kind, RT_PL_SYSCALL);
	assert_int_equal(got.nr, 9);
	assert_int_equal(got.tid, 8);
	assert_int_equal(rt_pl_ring_next(ring, head, &off, &rec, &size), 0);
	assert_int_equal(rt_pl_decode(rec, size, &got, &payload), 0);
	assert_int_equal(got.kind, RT_PL_HELLO);
	assert_int_equal(got.len, 9);
	assert_memory_equal(payload, "/bin/prog", 9);
	assert_int_equal(rt_pl_ring_next(ring, head, &off, &rec, &size), 0);
	assert_int_equal(rt_pl_decode(rec, size, &got, &payload), 0);
	assert_int_equal(got.kind, RT_PL_EXIT);
	assert_int_equal(got.a[0], 3);
	assert_int_equal(rt_pl_ring_next(ring, head, &off, &rec, &size), -1);
	/* until full: the biggest records; the last one is refused, the head goes past the end */
	while (rt_pl_ring_put(ring, &head, &r, big, RT_PL_PAYLOAD_MAX) == 0)
		n++;
	assert_true(n > 200);
	assert_true(head > RT_PL_RING_SIZE);
	off = 0;
	n += 3;
	while (rt_pl_ring_next(ring, head, &off, &rec, &size) == 0)
		n--;
	assert_int_equal(n, 0);
	free(ring);
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
	assert_int_equal(ftruncate(fd, RT_PL_SHARED_SIZE), 0);
	assert_false(rt_pl_lost_seals_ok(fcntl(fd, F_GET_SEALS))); /* not sealed yet */
	assert_int_equal(fcntl(fd, F_ADD_SEALS, RT_PL_LOST_SEALS), 0);
	assert_true(rt_pl_lost_seals_ok(fcntl(fd, F_GET_SEALS)));
	assert_int_equal(ftruncate(fd, 2 * RT_PL_SHARED_SIZE), -1); /* the size is fixed */
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
		cmocka_unit_test(test_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
