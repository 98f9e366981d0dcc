/*
 * Unit tests for pipeline/modfile: go.mod, go.work and go.sum as cmd/go reads them, semver and Go
 * version orderings. The expected orderings are golang.org/x/mod/semver's and go/version's documented
 * ones (their package docs and tests); the error texts are cmd/go's (golang.org/x/mod/modfile).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/modfile.h"

static void test_semver(void **state)
{
	/* each strictly below the next */
	const char *order[] = { "v0.0.0-20190101000000-abcdefabcdef", "v0.0.0", "v0.1.0-alpha", "v0.1.0-alpha.1",
				"v0.1.0-alpha.beta", "v0.1.0-beta", "v0.1.0-beta.2", "v0.1.0-beta.11", "v0.1.0-rc.1",
				"v0.1.0", "v1.0.0", "v1.2.3", "v1.10.0", "v2.0.0+incompatible", "v10.0.0" };
	const size_t n = sizeof(order) / sizeof(order[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_true(gb_semver_valid(order[i]));
		assert_int_equal(gb_semver_compare(order[i], order[i]), 0);
		for (size_t j = i + 1; j < n; j++) {
			assert_int_equal(gb_semver_compare(order[i], order[j]), -1);
			assert_int_equal(gb_semver_compare(order[j], order[i]), 1);
		}
	}
	/* shorthands and build metadata */
	assert_int_equal(gb_semver_compare("v1", "v1.0.0"), 0);
	assert_int_equal(gb_semver_compare("v1.2", "v1.2.0"), 0);
	assert_int_equal(gb_semver_compare("v1.2.3+meta", "v1.2.3"), 0);
	/* invalid ones sort below every valid one, equal to each other */
	const char *bad[] = { "", "1.2.3", "v", "v01.2.3", "v1.2.3.4", "v1.2.3-", "v1.2.3-01", "v1.2-pre", "vx", "v1.2.3+" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(gb_semver_valid(bad[i]));
		assert_int_equal(gb_semver_compare(bad[i], "v0.0.0"), -1);
		assert_int_equal(gb_semver_compare(bad[i], "v"), 0);
	}
}

static void test_gover(void **state)
{
	const char *order[] = { "1", "1.20", "1.21", "1.21beta1", "1.21beta2", "1.21rc1", "1.21rc2", "1.21.0",
				"1.21.1", "1.21.10", "1.22", "1.22.0", "1.100" };
	const size_t n = sizeof(order) / sizeof(order[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_true(gb_gover_valid(order[i]));
		for (size_t j = i + 1; j < n; j++) {
			assert_int_equal(gb_gover_compare(order[i], order[j]), -1);
			assert_int_equal(gb_gover_compare(order[j], order[i]), 1);
		}
	}
	assert_false(gb_gover_valid("1.21.x"));
	assert_false(gb_gover_valid("go1.21"));
	assert_false(gb_gover_valid("1.021"));
	assert_false(gb_gover_valid("1.21rc"));
}

static int parse(const char *text, int flags, struct gb_modfile *mf, struct rt_err *err)
{
	memset(err, 0, sizeof(*err));
	return gb_modfile_parse("dir/go.mod", text, strlen(text), flags, mf, err);
}

static void test_gomod(void **state)
{
	struct gb_modfile mf;
	struct rt_err err;
	const char *text = "// a comment\n"
			   "module \"example.com/app\" // quoted\n"
			   "\n"
			   "go 1.22.3\n"
			   "toolchain go1.23.1\n"
			   "godebug (\n\tpanicnil=1\n)\n"
			   "godebug asynctimerchan=1\n"
			   "require example.com/a v1.2.3\n"
			   "require (\n"
			   "\texample.com/b v0.0.0-20240101000000-abcdefabcdef // indirect\n"
			   "\texample.com/c v2.0.0+incompatible // indirect; a note\n"
			   "\texample.com/d v1.0.0 // not indirect\n"
			   ")\n"
			   "exclude example.com/a v1.2.2\n"
			   "replace example.com/a => ../a\n"
			   "replace (\n"
			   "\texample.com/b v0.0.0-20240101000000-abcdefabcdef => example.com/b2 v1.0.0\n"
			   "\texample.com/c => example.com/c3 v3.0.0\n"
			   ")\n"
			   "retract [v1.0.0, v1.1.0] // broken\n"
			   "retract v0.9.0\n"
			   "tool example.com/a/cmd/gen\n"
			   "require ()\n";

	(void)state;
	assert_int_equal(parse(text, 0, &mf, &err), 0);
	assert_string_equal(mf.module, "example.com/app");
	assert_string_equal(mf.go, "1.22.3");
	assert_int_equal(mf.go_line, 4);
	assert_string_equal(mf.toolchain, "go1.23.1");
	assert_int_equal(mf.godebug.n, 2);
	assert_string_equal(mf.godebug.v[0], "panicnil=1");
	assert_int_equal(mf.nreq, 4);
	assert_string_equal(mf.req[1].path, "example.com/b");
	assert_true(!mf.req[0].indirect && mf.req[1].indirect && mf.req[2].indirect && !mf.req[3].indirect);
	assert_int_equal(mf.req[3].line, 14);
	assert_true(gb_modfile_excluded(&mf, "example.com/a", "v1.2.2"));
	assert_false(gb_modfile_excluded(&mf, "example.com/a", "v1.2.3"));
	assert_int_equal(mf.nrepl, 3);
	assert_string_equal(gb_modfile_replacement(&mf, "example.com/a", "v1.2.3")->new_path, "../a");
	assert_null(gb_modfile_replacement(&mf, "example.com/a", "v1.2.3")->new_version);
	assert_string_equal(gb_modfile_replacement(&mf, "example.com/b", "v0.0.0-20240101000000-abcdefabcdef")->new_path,
			    "example.com/b2");
	assert_null(gb_modfile_replacement(&mf, "example.com/b", "v1.0.0"));
	assert_string_equal(gb_modfile_replacement(&mf, "example.com/c", "v9.9.9")->new_version, "v3.0.0");
	assert_int_equal(mf.tools.n, 1);
	gb_modfile_release(&mf);

	/* a version-specific replacement wins over a path-wide one, wherever it stands */
	assert_int_equal(parse("module m\nreplace x.org/y v1.0.0 => x.org/z v1.0.0\nreplace x.org/y => ./y\n", 0, &mf,
			       &err),
			 0);
	assert_string_equal(gb_modfile_replacement(&mf, "x.org/y", "v1.0.0")->new_path, "x.org/z");
	assert_string_equal(gb_modfile_replacement(&mf, "x.org/y", "v1.1.0")->new_path, "./y");
	gb_modfile_release(&mf);

	/* go.work */
	assert_int_equal(parse("go 1.23\nuse (\n\t./a\n\t../b\n)\nuse ./c\nreplace x.org/y => ./y\n", GB_MODFILE_WORK, &mf, &err), 0);
	assert_int_equal(mf.uses.n, 3);
	assert_string_equal(mf.uses.v[1], "../b");
	assert_int_equal(mf.nrepl, 1);
	gb_modfile_release(&mf);
}

static void expect_error(const char *text, int flags, const char *want)
{
	struct gb_modfile mf;
	struct rt_err err;

	assert_int_equal(parse(text, flags, &mf, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_BUILD);
	if (!strstr(err.msg, want))
		fail_msg("'%s': got '%s', want '%s'", text, err.msg, want);
}

static void test_gomod_errors(void **state)
{
	(void)state;
	expect_error("module m\nfrobnicate x\n", 0, "dir/go.mod:2: unknown directive: frobnicate");
	expect_error("module m\ngo 1.x\n", 0, "dir/go.mod:2: invalid go version '1.x': must match format 1.23.0");
	expect_error("module m\nrequire x.org/y\n", 0, "dir/go.mod:2: usage: require module/path v1.2.3");
	expect_error("module m\nrequire x.org/y 1.2.3\n", 0, "dir/go.mod:2: x.org/y: invalid version '1.2.3'");
	expect_error("module m\nrequire (\n\tx.org/y v1.0.0\n", 0, "dir/go.mod:2: 'require (' block is never closed");
	expect_error("module m\nreplace x.org/y => x.org/z\n", 0, "replacement module without version must be directory");
	expect_error("module m\nreplace x.org/y => ./z v1.0.0\n", 0, "cannot have version");
	expect_error("module m\nmodule n\n", 0, "dir/go.mod:2: repeated module statement");
	expect_error("go 1.21\n", 0, "no module declaration");
	expect_error("module m\nrequire x.org/y \"v1.0.0\n", 0, "dir/go.mod:2: unterminated quoted string");
	expect_error("module m\n", GB_MODFILE_WORK, "dir/go.mod:1: unknown directive: module");
	expect_error("go 1.22\nrequire x.org/y v1.0.0\n", GB_MODFILE_WORK, "unknown directive: require");
	expect_error("module m\ntoolchain 1.22\n", 0, "invalid toolchain version '1.22'");
	/* a dependency's go.mod is read laxly: a directive of a newer Go is skipped, a malformed line is not */
	{
		struct gb_modfile mf;
		struct rt_err err;

		assert_int_equal(parse("module m\nfuture x y\nrequire x.org/y v1.0.0\n", GB_MODFILE_LAX, &mf, &err), 0);
		assert_int_equal(mf.nreq, 1);
		gb_modfile_release(&mf);
		expect_error("module m\nrequire x.org/y\n", GB_MODFILE_LAX, "usage: require");
	}
}

static void test_gosum(void **state)
{
	char dir[] = "/tmp/rt0-gosum-XXXXXX", *path;
	struct gb_gosum s;
	struct rt_err err = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = malloc(strlen(dir) + 16);
	sprintf(path, "%s/go.sum", dir);
	/* a missing go.sum is an empty one */
	assert_int_equal(gb_gosum_read(path, &s, &err), 0);
	assert_int_equal(s.n, 0);
	gb_gosum_release(&s);
	f = fopen(path, "w");
	fputs("github.com/x/y v1.0.0 h1:AAAA=\ngithub.com/x/y v1.0.0/go.mod h1:BBBB=\n\ngithub.com/x/y v1.1.0/go.mod h1:CCCC=\n",
	      f);
	fclose(f);
	assert_int_equal(gb_gosum_read(path, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(gb_gosum_lookup(&s, "github.com/x/y", "v1.0.0"), "h1:AAAA=");
	assert_string_equal(gb_gosum_lookup(&s, "github.com/x/y", "v1.0.0/go.mod"), "h1:BBBB=");
	assert_null(gb_gosum_lookup(&s, "github.com/x/y", "v1.1.0"));
	gb_gosum_release(&s);
	f = fopen(path, "a");
	fputs("github.com/x/y v1.2.0\n", f);
	fclose(f);
	assert_int_equal(gb_gosum_read(path, &s, &err), -1);
	assert_non_null(strstr(err.msg, "go.sum:5: malformed go.sum line"));
	unlink(path);
	rmdir(dir);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semver),       cmocka_unit_test(test_gover), cmocka_unit_test(test_gomod),
		cmocka_unit_test(test_gomod_errors), cmocka_unit_test(test_gosum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
