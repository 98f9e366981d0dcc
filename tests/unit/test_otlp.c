/*
 * Unit tests for common/traceparent (W3C trace context's traceparent) and report/otlp's endpoint rules
 * (the flag, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/traceparent.h"
#include "report/otlp.h"

static void test_traceparent(void **state)
{
	struct rt_traceparent tp;

	(void)state;
	assert_true(rt_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &tp));
	assert_string_equal(tp.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(tp.span_id, "00f067aa0ba902b7");
	assert_string_equal(tp.flags, "01");
	/* a later version may carry more fields after a '-' */
	assert_true(rt_traceparent_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra", &tp));
	assert_false(rt_traceparent_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00x", &tp));
	/* version 00 is exactly 55 characters */
	assert_false(rt_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", &tp));
	assert_false(rt_traceparent_parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &tp));
	assert_false(rt_traceparent_parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", &tp));
	assert_false(rt_traceparent_parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01", &tp));
	assert_false(rt_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", &tp));
	assert_false(rt_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-701", &tp));
	assert_false(rt_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", &tp));
	assert_false(rt_traceparent_parse("", &tp));
	assert_false(rt_traceparent_parse(NULL, &tp));
}

static void expect_endpoint(const char *flag, const char *want)
{
	struct rt_err err = { 0 };
	char *url = NULL;

	assert_int_equal(rt_otlp_endpoint(flag, &url, &err), 0);
	if (want) {
		assert_non_null(url);
		assert_string_equal(url, want);
	} else {
		assert_null(url);
	}
	free(url);
}

static void test_endpoint(void **state)
{
	struct rt_err err = { 0 };
	char *url = NULL;

	(void)state;
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	expect_endpoint(NULL, NULL);
	expect_endpoint("http://h:4318", "http://h:4318/v1/traces");
	expect_endpoint("http://h:4318/", "http://h:4318/v1/traces");
	expect_endpoint("https://h/otlp/v1/traces", "https://h/otlp/v1/traces");
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/base/", 1);
	expect_endpoint(NULL, "http://c:4318/base/v1/traces");
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", 1);
	expect_endpoint(NULL, "http://c:4318/v1/traces");
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/x", 1);
	expect_endpoint(NULL, "http://t:1/x");
	expect_endpoint("http://f:2", "http://f:2/v1/traces"); /* the flag first */
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", 1);   /* empty: unset */
	expect_endpoint(NULL, "http://c:4318/v1/traces");
	assert_int_equal(rt_otlp_endpoint("ftp://x", &url, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_USAGE);
	assert_int_equal(rt_otlp_endpoint("http://", &url, &err), -1);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318", 1);
	assert_int_equal(rt_otlp_endpoint(NULL, &url, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_ENV);
	assert_null(url);
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traceparent),
		cmocka_unit_test(test_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
