/*
 * Unit tests for probes/ (ELF reader, Go facts, placed init order).
 *
 *   test_probes GROUP      GROUP: pure | system | fixtures | go120
 *
 * Fixture groups read binaries built by tests/fixtures/build.sh with the reference `go build` into
 * $RT0_FIXTURES, and compare the placed init order with what the program itself reports when run with
 * GODEBUG=inittrace=1. A group whose prerequisites are missing prints "skipped: <reason>" and exits 77.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/strv.h"
#include "common/xalloc.h"
#include "probes/binary.h"
#include "probes/gopcln.h"
#include "probes/plan.h"

#define SKIP_CODE 77

static const char *fixtures;

static char *fixture(const char *name)
{
	return xasprintf("%s/%s", fixtures, name);
}

static struct rt_binary *open_ok(const char *path)
{
	struct rt_err err = { 0 };
	struct rt_binary *b = NULL;

	if (rt_binary_open(&b, path, &err) != 0)
		fail_msg("cannot open %s: %s", path, err.msg);
	return b;
}

static struct rt_binary *open_fixture(const char *name)
{
	char *p = fixture(name);
	struct rt_binary *b = open_ok(p);

	free(p);
	return b;
}

static bool has_note(const struct rt_binary *b, const char *needle)
{
	for (size_t i = 0; i < b->notes.n; i++)
		if (strstr(b->notes.v[i], needle))
			return true;
	return false;
}

/* Runs `path` with GODEBUG=inittrace=1 and returns the packages of its "init <pkg> @..." lines. */
static void inittrace(const char *path, struct strv *out)
{
	int fds[2];
	pid_t pid;
	FILE *f;
	char line[4096];
	int status;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(fds[1], 2);
		close(fds[0]);
		setenv("GODEBUG", "inittrace=1", 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (fgets(line, sizeof(line), f)) {
		char pkg[1024];

		if (sscanf(line, "init %1023s @", pkg) == 1)
			strv_push(out, pkg);
	}
	fclose(f);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The placed order read from the binary equals the order the program reports it ran. */
static void check_against_inittrace(const char *name)
{
	struct rt_binary *b = open_fixture(name);
	char *path = fixture(name);
	struct strv ran = STRV_INIT;

	assert_non_null(b->go);
	assert_true(b->go->init_known);
	inittrace(path, &ran);
	assert_true(ran.n > 3);
	for (size_t i = 0; i < ran.n && i < b->go->ninit; i++)
		if (strcmp(ran.v[i], b->go->init[i].package) != 0)
			fail_msg("%s: init #%zu ran '%s' but the linker placed '%s'", name, i + 1, ran.v[i],
				 b->go->init[i].package);
	assert_int_equal(ran.n, b->go->ninit);
	strv_release(&ran);
	free(path);
	rt_binary_free(b);
}

static ssize_t pkg_index(const struct rt_go_info *g, const char *pkg)
{
	for (size_t i = 0; i < g->ninit; i++)
		if (strcmp(g->init[i].package, pkg) == 0)
			return (ssize_t)i;
	return -1;
}

static bool has_fn(const struct rt_go_pkg *p, const char *sym)
{
	for (size_t i = 0; i < p->nfns; i++)
		if (p->fns[i].symbol && strcmp(p->fns[i].symbol, sym) == 0)
			return true;
	return false;
}

/* Diamond: zbase before left and right, both before main; leaf (no init work) is not placed. */
static void check_diamond_shape(const struct rt_go_info *g)
{
	ssize_t z = pkg_index(g, "example.com/diamond/zbase"), l = pkg_index(g, "example.com/diamond/left");
	ssize_t r = pkg_index(g, "example.com/diamond/right"), m = pkg_index(g, "main");

	assert_true(z >= 0 && l >= 0 && r >= 0 && m >= 0);
	assert_true(z < l && z < r && l < m && r < m);
	assert_int_equal(m, (ssize_t)g->ninit - 1);
	assert_int_equal(pkg_index(g, "example.com/diamond/right/leaf"), -1);
	assert_int_equal(g->init[z].nfns, 3); /* the var initializer's init, init.0, init.1 */
	assert_true(has_fn(&g->init[z], "example.com/diamond/zbase.init.0"));
	assert_true(has_fn(&g->init[z], "example.com/diamond/zbase.init.1"));
	assert_true(has_fn(&g->init[m], "main.init.0"));
	/* go:runtime.inittasks comes first: the runtime package initialises before any of the program's. */
	assert_true(pkg_index(g, "runtime") >= 0 && pkg_index(g, "runtime") < z);
}

/* ---- pure ----------------------------------------------------------------------------------- */

static void test_go_minor(void **state)
{
	(void)state;
	assert_int_equal(rt_go_minor("go1.26.8"), 26);
	assert_int_equal(rt_go_minor("go1.21"), 21);
	assert_int_equal(rt_go_minor("devel go1.23-abcdef Tue"), 23);
	assert_int_equal(rt_go_minor("gccgo"), -1);
	assert_int_equal(rt_go_minor(NULL), -1);
}

static void test_unescape(void **state)
{
	char *s;

	(void)state;
	s = rt_go_unescape_path("gopkg.in/yaml%2ev3", strlen("gopkg.in/yaml%2ev3"));
	assert_string_equal(s, "gopkg.in/yaml.v3");
	free(s);
	s = rt_go_unescape_path("a%2", 3); /* a truncated escape stays as it is */
	assert_string_equal(s, "a%2");
	free(s);
	s = rt_go_unescape_path("x..inittask", 1);
	assert_string_equal(s, "x");
	free(s);
}

static void expect_open_error(const char *path, const char *needle)
{
	struct rt_err err = { 0 };
	struct rt_binary *b = NULL;

	assert_int_equal(rt_binary_open(&b, path, &err), -1);
	assert_null(b);
	assert_int_equal(err.exit, RT_EXIT_INPUT);
	if (!strstr(err.msg, needle))
		fail_msg("error for '%s' was '%s', expected it to contain '%s'", path, err.msg, needle);
}

static char *write_temp(const void *data, size_t len)
{
	char tmpl[] = "/tmp/rt0-unit-XXXXXX";
	int fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return xstrdup(tmpl);
}

static void test_bad_inputs(void **state)
{
	static const char text[] = "module x\n";
	static const unsigned char tiny_elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
	char *p;

	(void)state;
	expect_open_error("/nonexistent/rt0trace", "cannot open '/nonexistent/rt0trace': No such file");
	expect_open_error("/tmp", "Is a directory");
	p = write_temp(text, sizeof(text) - 1);
	expect_open_error(p, "is not an ELF file");
	unlink(p);
	free(p);
	p = write_temp("", 0);
	expect_open_error(p, "is not an ELF file");
	unlink(p);
	free(p);
	p = write_temp(tiny_elf, sizeof(tiny_elf));
	expect_open_error(p, "truncated ELF file");
	unlink(p);
	free(p);
}

/* ---- system: a non-Go ELF the machine has ---------------------------------------------------- */

static void test_bin_ls(void **state)
{
	struct rt_binary *b = open_ok("/bin/ls");

	(void)state;
	assert_null(b->go);
	assert_string_equal(b->elf->arch, "amd64");
	assert_false(b->elf->is_static);
	assert_non_null(b->elf->interp);
	assert_true(b->elf->entry != 0);
	assert_true(rt_elf_section(b->elf, ".text") != NULL);
	rt_binary_free(b);
}

/* ---- fixtures ------------------------------------------------------------------------------- */

static void test_diamond(void **state)
{
	struct rt_binary *b = open_fixture("diamond");

	(void)state;
	assert_string_equal(b->elf->arch, "amd64");
	assert_true(b->elf->is_static);
	assert_false(b->elf->pie);
	assert_non_null(b->entry_sym);
	assert_string_equal(b->entry_sym->name, "_rt0_amd64_linux");
	assert_non_null(b->go->version);
	assert_int_equal(strncmp(b->go->version, "go1.", 4), 0);
	assert_non_null(b->go->build_id);
	assert_int_equal(strlen(b->go->build_id), 83); /* actionID/contentID pairs: 4 x 20 + 3 slashes */
	assert_string_equal(b->go->main_path, "example.com/diamond");
	assert_string_equal(b->go->mod->path, "example.com/diamond");
	check_diamond_shape(b->go);
	assert_int_equal(b->notes.n, 0);
	rt_binary_free(b);
	check_against_inittrace("diamond");
}

static void test_lookup(void **state)
{
	struct rt_binary *b = open_fixture("diamond");
	const struct rt_elf_sym *rt0, *s;
	uint64_t off;

	(void)state;
	rt0 = rt_elf_sym_by_name(b->elf, "runtime.rt0_go"); /* only "runtime.rt0_go.abi0" exists */
	assert_non_null(rt0);
	assert_string_equal(rt0->name, "runtime.rt0_go.abi0");
	assert_non_null(rt_elf_sym_by_name(b->elf, "runtime.rt0_go.abi0"));
	assert_null(rt_elf_sym_by_name(b->elf, "runtime.no_such_function"));
	s = rt_elf_sym_by_name(b->elf, "main.main");
	assert_non_null(s);
	assert_true(s->size > 4);
	assert_ptr_equal(rt_elf_sym_at(b->elf, s->addr + 3, &off), s);
	assert_int_equal(off, 3);
	rt_binary_free(b);
}

static void test_asm(void **state)
{
	struct rt_binary *b = open_fixture("asm");
	ssize_t i;

	(void)state;
	i = pkg_index(b->go, "example.com/asmfix/fast");
	assert_true(i >= 0);
	assert_true(has_fn(&b->go->init[i], "example.com/asmfix/fast.init.0"));
	assert_non_null(rt_elf_sym_by_name(b->elf, "example.com/asmfix/fast.Add"));
	rt_binary_free(b);
	check_against_inittrace("asm");
}

static void test_embed(void **state)
{
	(void)state;
	check_against_inittrace("embed");
}

static void test_gofmt(void **state)
{
	(void)state;
	check_against_inittrace("gofmt");
}

/* A third-party module from vendor/: its packages are placed and the module is a dep. */
static void test_vendored(void **state)
{
	struct rt_binary *b = open_fixture("vendored");

	(void)state;
	assert_true(pkg_index(b->go, "example.com/greet/internal/shout") >= 0);
	assert_true(pkg_index(b->go, "example.com/greet") > pkg_index(b->go, "example.com/greet/internal/shout"));
	assert_int_equal(b->go->ndeps, 1);
	assert_string_equal(b->go->deps[0].path, "example.com/greet");
	assert_string_equal(b->go->deps[0].version, "v1.2.0");
	rt_binary_free(b);
	check_against_inittrace("vendored");
}

static void test_pie(void **state)
{
	struct rt_binary *b = open_fixture("diamond-pie");

	(void)state;
	assert_true(b->elf->pie);
	assert_string_equal(b->entry_sym->name, "_rt0_amd64_linux");
	check_diamond_shape(b->go);
	rt_binary_free(b);
	check_against_inittrace("diamond-pie");
}

/* Cross-built binaries cannot run here: their placed order must equal the amd64 one for the
 * program's own packages, and their entry is the arch's _rt0 symbol. */
static void check_cross(const char *name, const char *arch, const char *entry, int elfclass, bool big)
{
	struct rt_binary *b = open_fixture(name);

	assert_string_equal(b->elf->arch, arch);
	assert_int_equal(b->elf->elfclass, elfclass);
	assert_int_equal(b->elf->big_endian, big);
	assert_non_null(b->entry_sym);
	assert_string_equal(b->entry_sym->name, entry);
	assert_true(b->go->init_known);
	check_diamond_shape(b->go);
	rt_binary_free(b);
}

static void test_cross(void **state)
{
	(void)state;
	check_cross("diamond-arm64", "arm64", "_rt0_arm64_linux", 2, false);
	check_cross("diamond-arm", "arm", "_rt0_arm_linux", 1, false);
	check_cross("diamond-s390x", "s390x", "_rt0_s390x_linux", 2, true);
}

static void test_stripped(void **state)
{
	struct rt_binary *b = open_fixture("diamond-stripped"), *full = open_fixture("diamond");
	static const char *const fns[] = { "_rt0_amd64_linux", "runtime.rt0_go", "runtime.main", "main.main",
					   "example.com/diamond/zbase.init.0", "main.init.0" };

	(void)state;
	assert_false(b->elf->has_symtab);
	/* its functions are named from the pclntab, at the addresses the unstripped link gives them */
	assert_true(b->elf->syms_from_go);
	assert_non_null(b->entry_sym);
	assert_string_equal(b->entry_sym->name, "_rt0_amd64_linux");
	for (size_t i = 0; i < sizeof(fns) / sizeof(*fns); i++) {
		const struct rt_elf_sym *s = rt_elf_sym_by_name(b->elf, fns[i]), *f = rt_elf_sym_by_name(full->elf, fns[i]);

		assert_non_null(s);
		assert_non_null(f);
		assert_int_equal(s->addr, f->addr);
		assert_int_equal(s->type, 2 /* STT_FUNC */);
	}
	rt_binary_free(full);
	assert_non_null(b->go);
	assert_non_null(b->go->version); /* .go.buildinfo survives stripping */
	assert_false(b->go->init_known);
	assert_true(has_note(b, "stripped"));
	assert_true(has_note(b, "placed init order unavailable"));
	rt_binary_free(b);
}

/* The pclntab agrees with the symbol table on every Go function: entry and name (the symbol table
 * adds ".abi0" to assembly functions), and the SP delta at an amd64 function's entry is 0. */
static void check_pcln(const char *name, bool amd64)
{
	struct rt_binary *b = open_fixture(name);
	struct rt_gopcln *t = rt_gopcln_open(b->elf);
	size_t funcs = 0, agree = 0;

	assert_non_null(t);
	for (size_t i = 0; i < b->elf->nsyms; i++) {
		const struct rt_elf_sym *s = &b->elf->syms[i];
		struct rt_gofunc f;
		size_t n = strlen(s->name);

		/* linker markers (go:textfipsstart) and generated type functions (named with a middle dot in
		 * pclntab) aside */
		if (s->type != 2 /* STT_FUNC */ || s->size == 0 || strncmp(s->name, "go:", 3) == 0 ||
		    strncmp(s->name, "type:", 5) == 0)
			continue;
		funcs++;
		if (!rt_gopcln_func(t, s->addr, &f) || f.entry != s->addr)
			continue;
		if (strncmp(f.name, s->name, n > 5 && strcmp(s->name + n - 5, ".abi0") == 0 ? n - 5 : n) != 0)
			continue;
		if (amd64 && rt_gopcln_spdelta(t, &f, s->addr) != 0)
			continue;
		/* inside a function the same function is found */
		if (s->size > 1 && (!rt_gopcln_func(t, s->addr + s->size - 1, &f) || f.entry != s->addr))
			continue;
		agree++;
	}
	if (funcs < 1000 || agree != funcs)
		fail_msg("%s: pclntab agrees with the symbol table on %zu of %zu functions", name, agree, funcs);
	rt_gopcln_free(t);
	rt_binary_free(b);
}

static void test_gopcln(void **state)
{
	struct rt_binary *b = open_fixture("crash"), *s = open_fixture("diamond-stripped"), *d = open_fixture("diamond");
	const struct rt_elf_sym *mm = rt_elf_sym_by_name(d->elf, "main.main");
	struct rt_gopcln *t = rt_gopcln_open(s->elf);
	struct rt_probe_plan plan;
	struct rt_gofunc f;
	size_t fatal = 0;

	(void)state;
	check_pcln("crash", true);
	check_pcln("diamond-pie", true);
	check_pcln("diamond-arm64", false);
	/* a stripped binary still names its functions through pclntab */
	assert_non_null(t);
	assert_non_null(mm);
	assert_true(rt_gopcln_func(t, mm->addr + 1, &f));
	assert_string_equal(f.name, "main.main");
	assert_false(rt_gopcln_func(t, 0x1000, &f));
	/* the Go runtime's fatal path is in the probe plan, with the role "fatal" */
	rt_probe_plan(b, &plan);
	for (size_t i = 0; i < plan.n; i++)
		if (plan.p[i].role == RT_ROLE_FATAL) {
			assert_string_equal(plan.p[i].symbol, rt_go_fatal_path[fatal]);
			fatal++;
		}
	assert_int_equal(fatal, 3);
	rt_probe_plan_free(&plan);
	/* Go's init functions mostly open with the stack-bound check: probed on its branch, one past the
	 * 4-byte compare; an arm64 binary keeps every entry */
	rt_probe_plan(d, &plan);
	{
		size_t moved = 0;

		for (size_t i = 0; i < plan.n; i++) {
			uint64_t site = rt_probe_site(d->elf, plan.p[i].addr);

			assert_true(site == plan.p[i].addr || site - plan.p[i].addr <= 12);
			if (strcmp(plan.p[i].symbol, "main.main") == 0)
				assert_int_equal(site, plan.p[i].addr + 4);
			moved += site != plan.p[i].addr;
		}
		assert_true(moved * 2 > plan.n);
	}
	rt_probe_plan_free(&plan);
	{
		struct rt_binary *a = open_fixture("diamond-arm64");

		rt_probe_plan(a, &plan);
		for (size_t i = 0; i < plan.n; i++)
			assert_int_equal(rt_probe_site(a->elf, plan.p[i].addr), plan.p[i].addr);
		rt_probe_plan_free(&plan);
		rt_binary_free(a);
	}
	rt_gopcln_free(t);
	rt_binary_free(b);
	rt_binary_free(s);
	rt_binary_free(d);
}

static void test_truncated_go(void **state)
{
	char *path = fixture("diamond");
	int fd = open(path, O_RDONLY);
	unsigned char *buf = xmalloc(65536);
	char *p;

	(void)state;
	assert_int_equal(read(fd, buf, 65536), 65536);
	close(fd);
	p = write_temp(buf, 65536);
	expect_open_error(p, "truncated ELF file");
	unlink(p);
	free(p);
	free(buf);
	free(path);
}

/* ---- go120 ---------------------------------------------------------------------------------- */

static void test_go120(void **state)
{
	struct rt_binary *b = open_fixture("diamond-go120");

	(void)state;
	assert_non_null(b->go);
	assert_int_equal(b->go->minor, 20);
	assert_false(b->go->init_known);
	assert_true(has_note(b, "only since Go 1.21"));
	assert_string_equal(b->entry_sym->name, "_rt0_amd64_linux");
	rt_binary_free(b);
}

/* ---- main ----------------------------------------------------------------------------------- */

static int skip_group(const char *reason)
{
	printf("skipped: %s\n", reason);
	return SKIP_CODE;
}

static bool exists(const char *name)
{
	char *p = fixture(name);
	bool ok = access(p, R_OK) == 0;

	free(p);
	return ok;
}

/* Where the eBPF engine's uprobes go: on the branch after a flags-only compare, else the entry. */
static void test_probe_site(void **state)
{
	static const unsigned char stack_check8[] = {0x49, 0x3b, 0x66, 0x10, 0x76, 0x45, 0x55};
	static const unsigned char stack_check32[] = {0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x65, 0x01, 0x00, 0x00};
	static const unsigned char big_frame[] = {0x4c, 0x8d, 0x64, 0x24, 0xf0, 0x4d, 0x3b, 0x66, 0x10,
						  0x0f, 0x86, 0xbc, 0x05, 0x00, 0x00, 0x55};
	static const unsigned char huge_frame[] = {0x4c, 0x8d, 0xa4, 0x24, 0x00, 0xf0, 0xff, 0xff, 0x4d, 0x3b,
						   0x66, 0x10, 0x0f, 0x86, 0x10, 0x00, 0x00, 0x00};
	static const unsigned char flag_test[] = {0x80, 0x3d, 0x7d, 0x48, 0x1a, 0x00, 0x00, 0x74, 0x0d};
	static const unsigned char mov_first[] = {0x48, 0x89, 0xf8, 0x48, 0x89, 0xf3};       /* rt0_go */
	static const unsigned char ret_only[] = {0xc3, 0xcc, 0xcc, 0xcc};
	static const unsigned char no_branch[] = {0x49, 0x3b, 0x66, 0x10, 0x55, 0x48, 0x89, 0xe5};
	static const unsigned char lea_other[] = {0x4c, 0x8d, 0x64, 0x24, 0xf0, 0x49, 0x3b, 0x66, 0x10, 0x76, 0x01};

	(void)state;
	assert_int_equal(rt_probe_site_x86(stack_check8, sizeof(stack_check8)), 4);
	assert_int_equal(rt_probe_site_x86(stack_check32, sizeof(stack_check32)), 4);
	assert_int_equal(rt_probe_site_x86(big_frame, sizeof(big_frame)), 9);
	assert_int_equal(rt_probe_site_x86(huge_frame, sizeof(huge_frame)), 12);
	assert_int_equal(rt_probe_site_x86(flag_test, sizeof(flag_test)), 7);
	assert_int_equal(rt_probe_site_x86(mov_first, sizeof(mov_first)), 0);
	assert_int_equal(rt_probe_site_x86(ret_only, sizeof(ret_only)), 0);
	assert_int_equal(rt_probe_site_x86(no_branch, sizeof(no_branch)), 0);
	assert_int_equal(rt_probe_site_x86(lea_other, sizeof(lea_other)), 0);
	/* a branch cut off by the end of the code is not one */
	assert_int_equal(rt_probe_site_x86(stack_check32, 7), 0);
	assert_int_equal(rt_probe_site_x86(stack_check8, 3), 0);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_go_minor),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_probe_site),
	};
	static const struct CMUnitTest sys[] = {
		cmocka_unit_test(test_bin_ls),
	};
	static const struct CMUnitTest fx[] = {
		cmocka_unit_test(test_diamond), cmocka_unit_test(test_lookup), cmocka_unit_test(test_asm),
		cmocka_unit_test(test_embed),   cmocka_unit_test(test_gofmt),  cmocka_unit_test(test_pie),
		cmocka_unit_test(test_vendored),
		cmocka_unit_test(test_cross),   cmocka_unit_test(test_stripped), cmocka_unit_test(test_truncated_go),
		cmocka_unit_test(test_gopcln),
	};
	static const struct CMUnitTest go120[] = {
		cmocka_unit_test(test_go120),
	};
	const char *group = argc > 1 ? argv[1] : "pure";

	fixtures = getenv("RT0_FIXTURES");
	if (strcmp(group, "pure") == 0)
		return cmocka_run_group_tests_name("probes/pure", pure, NULL, NULL);
	if (strcmp(group, "system") == 0) {
		if (access("/bin/ls", R_OK) != 0)
			return skip_group("/bin/ls is not readable on this machine");
		return cmocka_run_group_tests_name("probes/system", sys, NULL, NULL);
	}
	if (!fixtures || !exists("diamond"))
		return skip_group("the Go fixtures were not built (RT0_FIXTURES unset or tests/fixtures/build.sh skipped)");
	if (strcmp(group, "fixtures") == 0)
		return cmocka_run_group_tests_name("probes/fixtures", fx, NULL, NULL);
	if (strcmp(group, "go120") == 0) {
		if (!exists("diamond-go120")) {
			char *p = fixture("diamond-go120.skip"), reason[512] = "no Go 1.20 fixture was built";
			FILE *f = fopen(p, "r");

			if (f && fgets(reason, sizeof(reason), f))
				reason[strcspn(reason, "\n")] = '\0';
			if (f)
				fclose(f);
			free(p);
			return skip_group(reason);
		}
		return cmocka_run_group_tests_name("probes/go120", go120, NULL, NULL);
	}
	fprintf(stderr, "unknown group '%s'\n", group);
	return 2;
}
