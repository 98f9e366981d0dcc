/*
 * Unit tests for pipeline/: build constraints and file-name rules, the Go source scanner, build IDs,
 * Go string quoting, DefaultGODEBUG, and cgo's argument splitting and #cgo directives. Expected values come from go/build's and cmd/go's documented
 * behaviour (see the comments); none needs a Go toolchain except the DefaultGODEBUG group, which reads
 * $GOROOT/src/internal/godebugs and skips without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/sha256.h"
#include "common/spawn.h"
#include "common/xalloc.h"
#include "pipeline/build.h"
#include "pipeline/buildid.h"
#include "pipeline/cgo.h"
#include "pipeline/config.h"
#include "pipeline/filehash.h"
#include "pipeline/gosrc.h"
#include "pipeline/load.h"
#include "pipeline/modinfo.h"
#include "pipeline/ppflag.h"
#include "pipeline/scanmemo.h"

/* linux/amd64, GOAMD64=v1, no cgo, Go 1.26, as go/build sees it. */
static void linux_amd64(struct gb_config *c)
{
	static const char *const os[] = { "linux", "android", "darwin", "windows", "freebsd", "ios", "illumos", "solaris", "aix" };
	static const char *const unix_os[] = { "linux", "android", "darwin", "freebsd", "ios", "illumos", "solaris", "aix" };
	static const char *const arch[] = { "amd64", "arm64", "arm", "386", "riscv64", "s390x" };

	memset(c, 0, sizeof(*c));
	c->goos = xstrdup("linux");
	c->goarch = xstrdup("amd64");
	c->goamd64 = xstrdup("v1");
	c->minor = 26;
	for (size_t i = 0; i < sizeof(os) / sizeof(os[0]); i++)
		strv_push(&c->known_os, os[i]);
	for (size_t i = 0; i < sizeof(unix_os) / sizeof(unix_os[0]); i++)
		strv_push(&c->unix_os, unix_os[i]);
	for (size_t i = 0; i < sizeof(arch) / sizeof(arch[0]); i++)
		strv_push(&c->known_arch, arch[i]);
	strv_push(&c->tool_tags, "goexperiment.regabiargs");
	strv_push(&c->tool_tags, "amd64.v1");
}

static bool gobuild(const struct gb_config *c, const char *expr)
{
	struct rt_err err = { 0 };
	bool ok = false;

	if (gb_eval_go_build(c, expr, &ok, &err) != 0)
		fail_msg("'%s' did not parse: %s", expr, err.msg);
	return ok;
}

static void test_go_build_expr(void **state)
{
	struct gb_config c;
	struct rt_err err = { 0 };
	bool ok;

	(void)state;
	linux_amd64(&c);
	assert_true(gobuild(&c, "linux"));
	assert_true(gobuild(&c, "linux && amd64"));
	assert_false(gobuild(&c, "linux && !amd64"));
	assert_true(gobuild(&c, "darwin || (linux && (amd64 || arm64))"));
	assert_true(gobuild(&c, "unix"));
	assert_true(gobuild(&c, "gc && go1.21 && go1.26"));
	assert_false(gobuild(&c, "go1.27"));
	assert_false(gobuild(&c, "cgo"));
	assert_true(gobuild(&c, "!cgo"));
	assert_true(gobuild(&c, "goexperiment.regabiargs && amd64.v1"));
	assert_false(gobuild(&c, "amd64.v2"));
	assert_false(gobuild(&c, "ignore"));
	assert_true(gobuild(&c, "!ignore"));
	assert_false(gobuild(&c, "android")); /* linux does not satisfy android */
	assert_int_equal(gb_eval_go_build(&c, "linux &&", &ok, &err), -1);
	assert_int_equal(gb_eval_go_build(&c, "(linux", &ok, &err), -1);
	assert_int_equal(gb_eval_go_build(&c, "linux amd64", &ok, &err), -1);
	c.cgo = true;
	assert_true(gobuild(&c, "cgo"));
	gb_config_release(&c);
}

static void test_plus_build(void **state)
{
	struct gb_config c;
	struct strv l = STRV_INIT;

	(void)state;
	linux_amd64(&c);
	strv_push(&l, "darwin linux"); /* space = OR */
	assert_true(gb_eval_plus_build(&c, &l));
	strv_push(&l, "amd64,!cgo"); /* comma = AND; lines AND */
	assert_true(gb_eval_plus_build(&c, &l));
	strv_push(&l, "arm64");
	assert_false(gb_eval_plus_build(&c, &l));
	strv_release(&l);
	strv_push(&l, "!linux");
	assert_false(gb_eval_plus_build(&c, &l));
	strv_release(&l);
	gb_config_release(&c);
}

static void test_file_names(void **state)
{
	struct gb_config c;

	(void)state;
	linux_amd64(&c);
	assert_true(gb_good_os_arch_file(&c, "x_linux.go"));
	assert_true(gb_good_os_arch_file(&c, "x_linux_amd64.go"));
	assert_true(gb_good_os_arch_file(&c, "x_amd64.s"));
	assert_false(gb_good_os_arch_file(&c, "x_darwin.go"));
	assert_false(gb_good_os_arch_file(&c, "x_linux_arm64.go"));
	assert_false(gb_good_os_arch_file(&c, "x_arm64_test.go"));
	assert_true(gb_good_os_arch_file(&c, "linux.go"));      /* the first element never counts */
	assert_true(gb_good_os_arch_file(&c, "linux_arm64.go") == false); /* ... but arm64 does */
	assert_true(gb_good_os_arch_file(&c, "x_unix.go"));     /* unix is no file-name OS */
	assert_true(gb_good_os_arch_file(&c, "x_arm64_linux.go")); /* only the last element: linux */
	assert_false(gb_good_os_arch_file(&c, "x_android.go"));
	assert_true(gb_good_os_arch_file(&c, "x_foo.go"));
	gb_config_release(&c);
}

static void scan(const char *src, struct gosrc *g)
{
	struct rt_err err = { 0 };

	if (gosrc_scan_mem("t.go", src, strlen(src), g, &err) != 0)
		fail_msg("scan failed: %s", err.msg);
}

static void test_scan_header(void **state)
{
	struct gosrc g;

	(void)state;
	/* //go:build counts anywhere before the package clause, even after a block comment. */
	scan("/* license */\n//go:build linux && !cgo\n\npackage p\n", &g);
	assert_string_equal(g.go_build, "linux && !cgo");
	assert_string_equal(g.package, "p");
	gosrc_release(&g);
	/* +build needs a blank line before the package clause. */
	scan("// +build linux\n\npackage p\n", &g);
	assert_int_equal(g.plus_build.n, 1);
	assert_string_equal(g.plus_build.v[0], "linux");
	gosrc_release(&g);
	scan("// +build linux\npackage p\n", &g);
	assert_int_equal(g.plus_build.n, 0);
	gosrc_release(&g);
	/* a "//go:build" inside a doc comment after code is not a constraint */
	scan("package p\n\n//go:build linux\nfunc f() {}\n", &g);
	assert_null(g.go_build);
	gosrc_release(&g);
	/* //go:debug directives of the header */
	scan("//go:debug panicnil=1\n\npackage main\n", &g);
	assert_int_equal(g.go_debug.n, 1);
	assert_string_equal(g.go_debug.v[0], "panicnil=1");
	gosrc_release(&g);
}

static void test_scan_imports(void **state)
{
	struct gosrc g;
	struct rt_err err = { 0 };

	(void)state;
	scan("package main\n\nimport \"fmt\"\nimport (\n\tstr \"strings\"\n\t. \"os\"\n\t_ \"embed\"; \"C\"\n)\n"
	     "import `raw/path`\n\nfunc main() {}\nimport \"late\"\n",
	     &g);
	assert_int_equal(g.imports.n, 6);
	assert_string_equal(g.imports.v[0], "fmt");
	assert_string_equal(g.imports.v[1], "strings");
	assert_string_equal(g.imports.v[2], "os");
	assert_string_equal(g.imports.v[3], "embed");
	assert_string_equal(g.imports.v[4], "C");
	assert_string_equal(g.imports.v[5], "raw/path");
	assert_true(g.imports_c);
	gosrc_release(&g);
	assert_int_equal(gosrc_scan_mem("bad.go", "package p\nimport (\n\t\"fmt\"\n", 22, &g, &err), -1);
	assert_non_null(strstr(err.msg, "bad.go"));
	assert_int_equal(gosrc_scan_mem("nopkg.go", "// just a comment\n", 18, &g, &err), -1);
	assert_non_null(strstr(err.msg, "expected 'package'"));
}

static void test_scan_embed(void **state)
{
	struct gosrc g;

	(void)state;
	/* The directive right after the import block is found (it is a comment before the next token). */
	scan("package main\n\nimport (\n\t\"embed\"\n)\n\n//go:embed a.txt \"b c.txt\" `d*.txt`\nvar s string\n\n"
	     "var x = `\n//go:embed not-in-raw-string\n`\n"
	     "/*\n//go:embed not-in-comment\n*/\n"
	     "  //go:embed all:dir\nvar fs embed.FS\n",
	     &g);
	assert_int_equal(g.embeds.n, 4);
	assert_string_equal(g.embeds.v[0], "a.txt");
	assert_string_equal(g.embeds.v[1], "b c.txt");
	assert_string_equal(g.embeds.v[2], "d*.txt");
	assert_string_equal(g.embeds.v[3], "all:dir");
	gosrc_release(&g);
	/* without import "embed", directives are not collected (the compiler rejects them) */
	scan("package main\n//go:embed a.txt\nvar s string\n", &g);
	assert_int_equal(g.embeds.n, 0);
	gosrc_release(&g);
}

static void test_hash_to_string(void **state)
{
	uint8_t h[32];
	char s[GB_ID_LEN + 1];

	(void)state;
	gb_sha256("", 0, h); /* e3b0c442 98fc1c14 9afbf4c8 996fb924 ... */
	gb_hash_to_string(h, s);
	assert_string_equal(s, "47DEQpj8HBSa-_TImW-5"); /* the URL base64 of its first 15 bytes */
}

/* FIPS 180-4 / NIST test vectors, including a message crossing block boundaries in odd pieces. */
static void test_sha256_vectors(void **state)
{
	static const struct {
		const char *msg, *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	struct sha256 s;
	uint8_t h[32];
	char hex[65];
	char *a = xmalloc(1000000);

	(void)state;
	for (int portable = 0; portable < 2; portable++) {
		sha256_select(portable);
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			gb_sha256(v[i].msg, strlen(v[i].msg), h);
			sha256_hex(h, hex);
			assert_string_equal(hex, v[i].hex);
		}
		memset(a, 'a', 1000000);
		sha256_init(&s);
		for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 997 + 1)
			sha256_update(&s, a + off, off + step > 1000000 ? 1000000 - off : step);
		sha256_final(&s, h);
		sha256_hex(h, hex);
		assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	sha256_select(0);
	free(a);
}

static void test_go_quote(void **state)
{
	char *q;

	(void)state;
	q = gb_go_quote("a\"b\\c\nd\t\x01\xff", 10);
	assert_string_equal(q, "\"a\\\"b\\\\c\\nd\\t\\x01\\xff\"");
	free(q);
}

static void test_pack(void **state)
{
	char dir[] = "/tmp/rt0-pack-XXXXXX", *a, *o, *members[1];
	struct rt_err err = { 0 };
	FILE *f;
	char buf[256];
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	a = xasprintf("%s/x.a", dir);
	o = xasprintf("%s/a_very_long_object_name.o", dir);
	f = fopen(a, "w");
	fputs("!<arch>\n", f);
	fclose(f);
	f = fopen(o, "w");
	fputs("abc", f); /* odd size: padded with a newline */
	fclose(f);
	members[0] = o;
	assert_int_equal(gb_pack_append(a, members, 1, &err), 0);
	f = fopen(a, "r");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 8 + 60 + 4);
	assert_memory_equal(buf + 8, "a_very_long_obje0           0     0     644     3         `\n", 60);
	assert_memory_equal(buf + 68, "abc\n", 4);
	/* an archive that does not exist yet is made with its signature, as go tool pack r makes one */
	unlink(a);
	assert_int_equal(gb_pack_append(a, members, 1, &err), 0);
	f = fopen(a, "r");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 8 + 60 + 4);
	assert_memory_equal(buf, "!<arch>\n", 8);
	/* a file that is not an archive is refused, untouched */
	f = fopen(a, "w");
	fputs("not an archive", f);
	fclose(f);
	assert_int_equal(gb_pack_append(a, members, 1, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_BUILD);
	f = fopen(a, "r");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 14);
	unlink(a);
	unlink(o);
	rmdir(dir);
	free(a);
	free(o);
}

static void test_buildid_rewrite(void **state)
{
	char path[] = "/tmp/rt0-bid-XXXXXX", newid[64], again[64];
	const char *id = "AAAAAAAAAAAAAAAAAAAA/BBBBBBBBBBBBBBBBBBBB";
	struct rt_err err = { 0 };
	uint8_t c1[32], c2[32];
	char *content;
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	f = fopen(path, "w");
	fprintf(f, "head %s middle %s tail", id, id);
	fclose(f);
	assert_int_equal(gb_buildid_rewrite(path, id, newid, c1, &err), 0);
	assert_int_equal(strncmp(newid, id, 21), 0); /* the action half stays */
	assert_int_equal(strlen(newid), strlen(id));
	/* Both occurrences were rewritten, and the hash ignores the ID: rewriting again is stable. */
	assert_int_equal(gb_buildid_rewrite(path, newid, again, c2, &err), 0);
	assert_string_equal(again, newid);
	assert_memory_equal(c1, c2, 32);
	f = fopen(path, "r");
	content = xcalloc(1, 256);
	assert_true(fread(content, 1, 255, f) > 0);
	fclose(f);
	assert_non_null(strstr(content, newid));
	assert_non_null(strstr(strstr(content, newid) + 1, newid));
	free(content);
	assert_int_equal(gb_buildid_rewrite(path, "nope/nope", newid, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "does not contain its build ID"));
	unlink(path);
}

/* rm -rf dir */
static void remove_dir(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void write_at(const char *path, const char *text, time_t mtime)
{
	FILE *f = fopen(path, "w");
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* The scan memo answers from its record while a file's stat identity holds (shown by changing the
 * content behind an unchanged identity), scans again when it changes, never remembers a racy file or a
 * failed scan, and keeps only the files asked for in the last run. */
static void test_scanmemo(void **state)
{
	char dir[] = "/tmp/rt0-sm-XXXXXX", *memo, *a, *b, *s, *bad;
	struct gb_scanmemo *sm;
	struct gosrc g;
	struct stat st, st2;
	struct rt_err err = { 0 };
	time_t old = time(NULL) - 100;
	struct timespec ts[2] = { { old, 0 }, { old, 0 } };

	(void)state;
	assert_non_null(mkdtemp(dir));
	memo = xasprintf("%s/memo", dir);
	a = xasprintf("%s/a.go", dir);
	b = xasprintf("%s/b.go", dir);
	s = xasprintf("%s/x.s", dir);
	bad = xasprintf("%s/bad.go", dir);
	write_at(a, "//go:build linux\n\npackage a\n\nimport (\n\t_ \"embed\"\n\t\"os\"\n)\n\n//go:embed x.txt\nvar x string\n", old);
	write_at(b, "package a\n\nimport \"io\"\n", time(NULL)); /* racy */
	write_at(s, "//go:build amd64\n\nTEXT ·f(SB),0,$0\n", old);
	write_at(bad, "no package clause here\n", old);

	sm = gb_scanmemo_open(memo, dir);
	assert_int_equal(gb_scanmemo_scan(sm, "a.go", false, &g, &st, &err), 0);
	assert_string_equal(g.package, "a");
	assert_int_equal(g.imports.n, 2);
	assert_string_equal(g.go_build, "linux");
	assert_int_equal(g.embeds.n, 1);
	gosrc_release(&g);
	assert_int_equal(gb_scanmemo_scan(sm, "b.go", false, &g, &st, &err), 0);
	gosrc_release(&g);
	assert_int_equal(gb_scanmemo_scan(sm, "x.s", true, &g, &st, &err), 0);
	assert_string_equal(g.go_build, "amd64");
	gosrc_release(&g);
	assert_int_equal(gb_scanmemo_scan(sm, "bad.go", false, &g, &st, &err), -1);
	gb_scanmemo_close(sm);

	/* a.go's content changed behind the same size, mtime and inode ("os" -> "io"): the record answers */
	assert_int_equal(stat(a, &st), 0);
	{
		char *text = rt_slurp(a), *at = strstr(text, "\"os\"");
		FILE *f = fopen(a, "r+");

		assert_non_null(at);
		assert_non_null(f);
		assert_int_equal(fseek(f, at - text, SEEK_SET), 0);
		fputs("\"io\"", f);
		fclose(f);
		free(text);
	}
	assert_int_equal(utimensat(AT_FDCWD, a, ts, 0), 0);
	assert_int_equal(stat(a, &st2), 0);
	assert_int_equal(st.st_size, st2.st_size);
	assert_int_equal(st.st_ino, st2.st_ino);
	sm = gb_scanmemo_open(memo, dir);
	assert_int_equal(gb_scanmemo_scan(sm, "a.go", false, &g, &st, &err), 0);
	assert_true(strv_has(&g.imports, "os")); /* the record's, not the file's */
	assert_false(strv_has(&g.imports, "io"));
	gosrc_release(&g);
	gb_scanmemo_close(sm);
	/* now its mtime moves: scanned again */
	ts[0].tv_sec = ts[1].tv_sec = old + 1;
	assert_int_equal(utimensat(AT_FDCWD, a, ts, 0), 0);
	write_at(a, "package a\n\nimport \"fmt\"\n", old + 1);
	sm = gb_scanmemo_open(memo, dir);
	assert_int_equal(gb_scanmemo_scan(sm, "a.go", false, &g, &st, &err), 0);
	assert_int_equal(g.imports.n, 1);
	assert_null(g.go_build);
	gosrc_release(&g);
	gb_scanmemo_close(sm);
	/* only a.go was asked for in the last run: the record holds it alone (b.go was racy, bad.go failed) */
	{
		char *text = NULL, *rec;
		assert_int_equal(rt_mkdir_p(memo), 0);
		{
			uint8_t d[32];
			char hex[65];

			sha256(dir, strlen(dir), d);
			sha256_hex(d, hex);
			rec = xasprintf("%s/%s", memo, hex);
		}
		text = rt_slurp(rec);
		assert_non_null(text);
		assert_non_null(strstr(text, "F a.go "));
		assert_null(strstr(text, "F b.go "));
		assert_null(strstr(text, "F bad.go "));
		assert_null(strstr(text, "F x.s "));
		/* a damaged record is an empty one */
		{
			FILE *f = fopen(rec, "w");

			fputs("F a.go 1 2\ngarbage\n", f);
			fclose(f);
		}
		sm = gb_scanmemo_open(memo, dir);
		assert_int_equal(gb_scanmemo_scan(sm, "a.go", false, &g, &st, &err), 0);
		assert_int_equal(g.imports.n, 1);
		gosrc_release(&g);
		gb_scanmemo_close(sm);
		free(text);
		free(rec);
	}
	free(memo), free(a), free(b), free(s), free(bad);
	remove_dir(dir);
}

/* The memo reuses a hash only while the stat identity holds, and never remembers a racy file. */
static void test_filehash_memo(void **state)
{
	char dir[] = "/tmp/rt0-fh-XXXXXX", *f, *g, *memo;
	struct gb_filehash m;
	struct rt_err err = { 0 };
	uint8_t h1[32], h2[32], want[32];
	time_t old = time(NULL) - 100;

	(void)state;
	assert_non_null(mkdtemp(dir));
	f = xasprintf("%s/a.go", dir);
	g = xasprintf("%s/b.go", dir);
	memo = xasprintf("%s/filehashes", dir);
	write_at(f, "package a\n", old);
	write_at(g, "package b\n", time(NULL)); /* racy: just written */
	gb_filehash_load(&m, dir);
	assert_int_equal(gb_filehash(&m, f, h1, &err), 0);
	assert_int_equal(gb_filehash(&m, g, h2, &err), 0);
	gb_sha256("package a\n", 10, want);
	assert_memory_equal(h1, want, 32);
	assert_int_equal(m.nadded, 1); /* b.go is racy */
	gb_filehash_save(&m);
	gb_filehash_release(&m);

	gb_filehash_load(&m, dir);
	assert_int_equal(m.n, 1);
	assert_int_equal(gb_filehash(&m, f, h2, &err), 0);
	assert_memory_equal(h2, want, 32);
	assert_int_equal(m.nadded, 0); /* a hit: nothing re-hashed */
	/* Same size, other content, other mtime: the same run keeps its answer (a file is stat'ed once a
	 * build); the next run re-hashes it. */
	write_at(f, "package z\n", old + 1);
	assert_int_equal(gb_filehash(&m, f, h2, &err), 0);
	assert_memory_equal(h2, want, 32);
	gb_filehash_release(&m);
	gb_filehash_load(&m, dir);
	assert_int_equal(gb_filehash(&m, f, h2, &err), 0);
	gb_sha256("package z\n", 10, want);
	assert_memory_equal(h2, want, 32);
	assert_int_equal(m.nadded, 1);
	assert_int_equal(gb_filehash(&m, "/nonexistent/x.go", h2, &err), -1);
	gb_filehash_release(&m);
	unlink(f);
	unlink(g);
	unlink(memo);
	rmdir(dir);
	free(f);
	free(g);
	free(memo);
}

/* DefaultGODEBUG needs this GOROOT's godebugs table. */
static const char *goroot;

static char *godebug_for(const char *go_line, const char *modline, const char *directive)
{
	struct gb_config c = { 0 };
	struct gb_graph g = { 0 };
	struct gb_module m = { 0 };
	struct gb_pkg p = { 0 };
	struct rt_err err = { 0 };
	char *out = NULL;

	c.goroot = (char *)goroot;
	g.cfg = &c;
	g.main_mod = &m;
	g.main = &p;
	p.name = "main";
	m.go = (char *)go_line;
	if (modline)
		strv_push(&m.godebug, modline);
	if (directive)
		strv_push(&p.go_debug, directive);
	if (gb_default_godebug(&g, &out, &err) != 0)
		fail_msg("%s", err.msg);
	strv_release(&m.godebug);
	strv_release(&p.go_debug);
	return out;
}

static void test_default_godebug(void **state)
{
	char *s;

	(void)state;
	s = godebug_for("1.26", NULL, NULL); /* nothing changed after the toolchain's own release */
	assert_string_equal(s, "");
	free(s);
	s = godebug_for("1.22", NULL, NULL); /* asynctimerchan changed in 1.23: its old value */
	assert_non_null(strstr(s, "asynctimerchan=1"));
	assert_null(strstr(s, "panicnil")); /* changed in 1.21: not for 1.22 */
	free(s);
	s = godebug_for("1.26", "panicnil=1", NULL);
	assert_string_equal(s, "panicnil=1");
	free(s);
	s = godebug_for("1.26", "panicnil=1", "panicnil=0"); /* //go:debug wins over go.mod */
	assert_string_equal(s, "panicnil=0");
	free(s);
	s = godebug_for("1.26", "default=go1.20", NULL);
	assert_non_null(strstr(s, "panicnil=1"));
	assert_null(strstr(s, "default="));
	free(s);
}

static void assert_strv(const struct strv *v, size_t n, const char *const *want)
{
	if (v->n != n) {
		for (size_t i = 0; i < v->n; i++)
			print_message("  got [%zu] '%s'\n", i, v->v[i]);
		fail_msg("%zu fields, want %zu", v->n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v->v[i], want[i]);
}

#define ASSERT_STRV(v, ...)                                                                                  \
	do {                                                                                                 \
		static const char *const want_[] = { __VA_ARGS__ };                                          \
		assert_strv((v), sizeof(want_) / sizeof(want_[0]), want_);                                   \
	} while (0)

/* cmd/internal/quoted: fields on spaces; '' or "" only around a whole field, no escapes inside. */
static void test_split_quoted(void **state)
{
	struct strv v = STRV_INIT;
	struct rt_err err = { 0 };

	(void)state;
	assert_int_equal(gb_split_quoted(" -linkmode external\t-extldflags \"-static -s\" ", &v, &err), 0);
	ASSERT_STRV(&v, "-linkmode", "external", "-extldflags", "-static -s");
	strv_release(&v);
	assert_int_equal(gb_split_quoted("-X 'main.v=a \"b\"' a\"b c\" ''", &v, &err), 0);
	ASSERT_STRV(&v, "-X", "main.v=a \"b\"", "a\"b", "c\"", "");
	strv_release(&v);
	assert_int_equal(gb_split_quoted("", &v, &err), 0);
	assert_int_equal(v.n, 0);
	assert_int_equal(gb_split_quoted("-s 'open", &v, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "unterminated ' string"));
	strv_release(&v);
}

static void test_join_quoted(void **state)
{
	struct strv v = STRV_INIT;
	char *s;

	(void)state;
	strv_push(&v, "gcc");
	strv_push(&v, "-m64");
	s = gb_join_quoted(&v);
	assert_string_equal(s, "gcc -m64");
	free(s);
	strv_release(&v);
	strv_push(&v, "/opt/my cc");
	strv_push(&v, "it's");
	s = gb_join_quoted(&v);
	assert_string_equal(s, "'/opt/my cc' \"it's\"");
	free(s);
	strv_push(&v, "a'b\"c"); /* both quotes: cannot be joined */
	assert_null(gb_join_quoted(&v));
	strv_release(&v);
}

/* go/build's splitQuoted: quotes anywhere in a field, backslash escapes the next character. */
static void test_split_cgo_args(void **state)
{
	struct strv v = STRV_INIT;

	(void)state;
	assert_int_equal(gb_split_cgo_args(" -I/a \"-DX=a b\" -DY=\\\"q\\\" '' x'y z'", &v), 0);
	ASSERT_STRV(&v, "-I/a", "-DX=a b", "-DY=\"q\"", "", "xy z");
	strv_release(&v);
	assert_int_equal(gb_split_cgo_args("\"open", &v), -1);
	strv_release(&v);
	assert_int_equal(gb_split_cgo_args("trailing\\", &v), -1);
	strv_release(&v);
}

static void test_cgo_directive(void **state)
{
	struct gb_config c;
	struct gb_cgo_flags f = { 0 };
	struct rt_err err = { 0 };

	(void)state;
	linux_amd64(&c);
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo CFLAGS: -Wall -I inc -Iinc2/../inc3 -I/abs -I${SRCDIR}/x", "/src/p", &f, &err), 0);
	ASSERT_STRV(&f.cflags, "-Wall", "-I", "/src/p/inc", "-I/src/p/inc3", "-I/abs", "-I/src/p/x");
	/* conditions: any one term; a term is a +build AND, or a //go:build expression */
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo linux LDFLAGS: -lpthread", "/src/p", &f, &err), 0);
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo darwin,!arm64 LDFLAGS: -lnotlinux", "/src/p", &f, &err), 0);
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo windows linux,amd64 LDFLAGS: -L lib", "/src/p", &f, &err), 0);
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo (darwin||windows) LDFLAGS: -lnot", "/src/p", &f, &err), 0);
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo linux&&amd64 CPPFLAGS: -DX=1", "/src/p", &f, &err), 0);
	ASSERT_STRV(&f.ldflags, "-lpthread", "-L", "/src/p/lib");
	ASSERT_STRV(&f.cppflags, "-DX=1");
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo pkg-config: --static zlib", "/src/p", &f, &err), 0);
	ASSERT_STRV(&f.pkgconfig, "--static", "zlib");
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo noescape myfunc", "/src/p", &f, &err), 0);
	assert_int_equal(f.cxxflags.n + f.fflags.n, 0);

	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo FOO: x", "/src/p", &f, &err), -1);
	assert_string_equal(err.msg, "a.go: invalid #cgo verb: #cgo FOO: x");
	assert_int_equal(err.exit, RT_EXIT_BUILD);
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo CFLAGS -x", "/src/p", &f, &err), -1);
	assert_string_equal(err.msg, "a.go: invalid #cgo line: #cgo CFLAGS -x");
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo CFLAGS: -D`x`", "/src/p", &f, &err), -1);
	assert_string_equal(err.msg, "a.go: malformed #cgo argument: -D`x`");
	assert_int_equal(gb_cgo_directive(&c, "a.go", "#cgo CFLAGS: \"-DA", "/src/p", &f, &err), -1);
	gb_cgo_flags_release(&f);
	gb_config_release(&c);
}

static void test_ldflags(void **state)
{
	struct strv v = STRV_INIT;
	bool set;

	(void)state;
	assert_false(gb_ldflags_external(&v, &set));
	assert_false(set);
	strv_push(&v, "-linkmode");
	strv_push(&v, "external");
	strv_push(&v, "-w");
	assert_true(gb_ldflags_external(&v, &set));
	assert_true(set);
	strv_push(&v, "-linkmode=internal"); /* the last one wins */
	assert_false(gb_ldflags_external(&v, &set));
	assert_true(set);
	strv_release(&v);
	strv_push(&v, "-linkmode=external");
	assert_true(gb_ldflags_external(&v, &set));
	strv_release(&v);
}

/* cmd/go's per-package flags (load/flag.go, load/search.go, cmd/internal/pkgpattern): the last matching
 * setting wins, no pattern is the command line's packages, "" clears them, quoting as quoted.Split. */
static void test_ppflag(void **state)
{
	struct gb_ppflag f = { 0 };
	struct rt_err err = { 0 };
	const struct gb_ppkg mainp = { "example.com/app", "/src/app", false, true },
			     dep = { "example.com/app/internal/x", "/src/app/internal/x", false, false },
			     rt = { "runtime", "/go/src/runtime", true, false },
			     vend = { "example.com/app/vendor/v", "/src/app/vendor/v", false, false };

	(void)state;
	assert_int_equal(gb_ppflag_set(&f, "gcflags", " -N  '-d=a b' ", &err), 0);
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &mainp), "-N", "-d=a b");
	assert_int_equal(gb_ppflag_for(&f, "/src/app", &dep)->n, 0);
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "all=-l", &err), 0);
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &mainp), "-l");
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &rt), "-l");
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "std=-B", &err), 0);
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &rt), "-B");
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &dep), "-l");
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "./internal/...=-m", &err), 0);
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &dep), "-m");
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &mainp), "-l");
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "example.com/app/...=-S", &err), 0);
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &mainp), "-S");
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &dep), "-S");
	ASSERT_STRV(gb_ppflag_for(&f, "/src/app", &vend), "-l"); /* "..." does not reach into vendor/ */
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "", &err), 0);
	assert_int_equal(gb_ppflag_for(&f, "/src/app", &mainp)->n, 0);
	assert_string_equal(f.raw, "");
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "all", &err), -1);
	assert_string_equal(err.msg, "invalid value 'all' for -gcflags: missing =<value> in <pattern>=<value>");
	assert_int_equal(err.exit, RT_EXIT_USAGE);
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "=-N", &err), -1);
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "'all'=-N", &err), -1);
	assert_int_equal(gb_ppflag_set(&f, "gcflags", "all=-N 'x", &err), -1);
	assert_int_equal(err.exit, RT_EXIT_USAGE);
	gb_ppflag_release(&f);
	assert_true(gb_pkgpattern_match("net/...", "net"));
	assert_true(gb_pkgpattern_match("net/...", "net/http"));
	assert_false(gb_pkgpattern_match("net/...", "netx"));
	assert_true(gb_pkgpattern_match("...", "a/b"));
	assert_false(gb_pkgpattern_match("...", "a/vendor/b"));
	assert_true(gb_pkgpattern_match("a/vendor/...", "a/vendor/b"));
	assert_true(gb_pkgpattern_match("x...y", "x/a/y"));
	assert_false(gb_pkgpattern_match("x...y", "x/a/yz"));
}

static void test_path_join(void **state)
{
	static const char *const cases[][3] = {
		{ "/a/b", "../c/./d", "/a/c/d" }, { "/", "..", "/" }, { "/a", "b/", "/a/b" }, { "/a//b/", "./", "/a/b" },
		{ "/a", "../../..", "/" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = gb_path_join(cases[i][0], cases[i][1]);

		assert_string_equal(got, cases[i][2]);
		free(got);
	}
}

/* Element-wise prefixes, for import paths and file paths alike. */
static void test_path_under(void **state)
{
	(void)state;
	assert_true(rt_path_under("cmd", "cmd"));
	assert_true(rt_path_under("cmd/go", "cmd"));
	assert_false(rt_path_under("cmdx/go", "cmd"));
	assert_false(rt_path_under("cm", "cmd"));
	assert_true(rt_path_under("/a/b/c", "/a/b"));
	assert_false(rt_path_under("/a/bc", "/a/b"));
}

/* execvp's and exec.LookPath's search: the first executable regular file; an empty entry is the current
 * directory; a directory or a file without x is passed over; a name with '/' is not searched. */
static void test_which(void **state)
{
	char tmpl[] = "/tmp/rt0-which-XXXXXX", *dir = mkdtemp(tmpl), *a, *b, *got, *search, cwd[4096];

	(void)state;
	assert_non_null(dir);
	a = xasprintf("%s/a", dir);
	b = xasprintf("%s/b", dir);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	{
		char *n = xasprintf("%s/tool", a), *t = xasprintf("%s/tool", b), *d = xasprintf("%s/b/sub", dir);

		write_at(n, "", 0); /* not executable */
		free(n);

		write_at(t, "#!/bin/sh\n", 0);
		assert_int_equal(chmod(t, 0755), 0);
		assert_int_equal(mkdir(d, 0755), 0);
		free(t);
		free(d);
	}
	search = xasprintf("/nonexistent:%s:%s", a, b);
	got = rt_which("tool", search);
	assert_non_null(got);
	assert_string_equal(got + strlen(b), "/tool");
	free(got);
	assert_null(rt_which("sub", search));     /* a directory */
	assert_null(rt_which("tool", NULL));
	assert_null(rt_which("tool", a));
	got = rt_which("/bin/sh", NULL);
	assert_non_null(got);
	assert_string_equal(got, "/bin/sh");
	free(got);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(b), 0);
	got = rt_which("tool", "/nonexistent::/also-not");
	assert_non_null(got);
	assert_string_equal(got, "./tool");
	free(got);
	assert_int_equal(chdir(cwd), 0);
	free(search);
	remove_dir(dir);
	free(a);
	free(b);
}

/* rt_path_lookup: $PATH by execvp's rules (an empty entry, leading, trailing or between two ':', is the
 * current directory; directories and files without x are passed over), confstr(_CS_PATH) when PATH is
 * unset; rt_command_start finds its program the same way, from the directory it runs in. */
static void test_path_lookup(void **state)
{
	char tmpl[] = "/tmp/rt0-path-XXXXXX", *dir = mkdtemp(tmpl), cwd[4096], *got, *old, *tool, *noexec, *sub;
	char cs[4096];
	const char *empties[] = { ":/nonexistent", "/nonexistent:", "/nonexistent::/also-not", "" };

	(void)state;
	assert_non_null(dir);
	old = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	tool = xasprintf("%s/tool", dir);
	noexec = xasprintf("%s/plain", dir);
	sub = xasprintf("%s/sub", dir);
	write_at(tool, "#!/bin/sh\nexit 7\n", 0);
	assert_int_equal(chmod(tool, 0755), 0);
	write_at(noexec, "", 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		setenv("PATH", empties[i], 1);
		got = rt_path_lookup("tool");
		assert_non_null(got);
		assert_string_equal(got, "./tool");
		free(got);
		assert_null(rt_path_lookup("plain")); /* not executable */
		assert_null(rt_path_lookup("sub"));   /* a directory */
	}
	setenv("PATH", "/nonexistent", 1);
	assert_null(rt_path_lookup("tool"));
	got = rt_path_lookup("./tool"); /* a name with '/' is not searched */
	assert_non_null(got);
	assert_string_equal(got, "./tool");
	free(got);
	assert_int_equal(chdir(cwd), 0);

	/* PATH unset: the system's default search, as execvp */
	unsetenv("PATH");
	assert_true(confstr(_CS_PATH, cs, sizeof(cs)) > 0);
	got = rt_path_lookup("sh");
	assert_non_null(got);
	{
		char *want = rt_which("sh", cs);

		assert_non_null(want);
		assert_string_equal(got, want);
		free(want);
	}
	free(got);
	assert_null(rt_path_lookup("tool"));

	/* the spawn helper: an empty entry is the directory the program runs in */
	setenv("PATH", ":/nonexistent", 1);
	{
		char *argv[] = { "tool", NULL };
		int status = 0;
		pid_t pid = rt_command_start(&(struct rt_command){ .argv = argv, .cwd = dir, .in = { .kind = RT_REDIR_NULL } });

		assert_true(pid > 0);
		assert_int_equal(rt_command_wait(pid, &status), 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 7);
		errno = 0;
		argv[0] = "plain";
		assert_int_equal(rt_command_start(&(struct rt_command){ .argv = argv, .cwd = dir }), -1);
		assert_int_equal(errno, ENOENT);
	}
	if (old)
		setenv("PATH", old, 1);
	else
		unsetenv("PATH");
	free(old);
	remove_dir(dir);
	free(tool);
	free(noexec);
	free(sub);
}

/* GOFLAGS as cmd/go reads defaults from it: the last setting wins, --NAME is -NAME, a value flag
 * needs =VALUE, a boolean takes strconv.ParseBool's words, every entry must be a flag. */
static void test_goflags(void **state)
{
	struct rt_err err = { 0 };
	char *v = NULL;

	(void)state;
	assert_int_equal(gb_goflags_value("-mod=vendor --tags=a,b -mod=mod", "mod", &v, &err), 0);
	assert_string_equal(v, "mod");
	free(v);
	assert_int_equal(gb_goflags_value("--tags=a,b", "tags", &v, &err), 0);
	assert_string_equal(v, "a,b");
	free(v);
	assert_int_equal(gb_goflags_value("-modcacherw -trimpath", "mod", &v, &err), 0);
	assert_null(v);
	assert_int_equal(gb_goflags_value("", "mod", &v, &err), 0);
	assert_null(v);
	assert_int_not_equal(gb_goflags_value("-mod", "mod", &v, &err), 0);
	assert_null(v);
	assert_int_not_equal(gb_goflags_value("-mod=vendor tags", "mod", &v, &err), 0);
	assert_null(v);
	assert_int_equal(gb_goflags_bool("-trimpath", "trimpath", &v, &err), 0);
	assert_string_equal(v, "true");
	free(v);
	assert_int_equal(gb_goflags_bool("-trimpath --trimpath=F", "trimpath", &v, &err), 0);
	assert_string_equal(v, "false");
	free(v);
	assert_int_equal(gb_goflags_bool("-trimpath=TRUE", "trimpath", &v, &err), 0);
	assert_string_equal(v, "true");
	free(v);
	assert_int_not_equal(gb_goflags_bool("-trimpath=yes", "trimpath", &v, &err), 0);
	assert_null(v);
	assert_int_equal(gb_goflags_bool("-trimpathx", "trimpath", &v, &err), 0);
	assert_null(v);
}

/* go/build reads #cgo lines from the doc comment of import "C": the spec's, or the declaration's when
 * it has that one spec; a comment separated by a blank line is no doc comment. */
static void test_scan_cgo_lines(void **state)
{
	struct gosrc g;

	(void)state;
	scan("package main\n\n/*\n#cgo CFLAGS: -DA\n#include <stdio.h>\n  #cgo\tlinux LDFLAGS: -lm  \n#cgox no\n*/\n"
	     "import \"C\"\n\nfunc main() {}\n",
	     &g);
	assert_true(g.imports_c);
	ASSERT_STRV(&g.cgo_lines, "#cgo CFLAGS: -DA", "#cgo\tlinux LDFLAGS: -lm");
	gosrc_release(&g);
	scan("package main\n\n// #cgo CFLAGS: -DNO\n\nimport \"C\"\n", &g);
	assert_true(g.imports_c);
	assert_int_equal(g.cgo_lines.n, 0);
	gosrc_release(&g);
	scan("package main\n\nimport (\n\t\"fmt\"\n\t// #cgo LDFLAGS: -lz\n\t// #cgo CFLAGS: -DZ\n\t\"C\"\n)\n", &g);
	ASSERT_STRV(&g.cgo_lines, "#cgo LDFLAGS: -lz", "#cgo CFLAGS: -DZ");
	gosrc_release(&g);
	scan("package main\n\n// #cgo CFLAGS: -DDECL\nimport (\n\t\"C\"\n)\n", &g);
	ASSERT_STRV(&g.cgo_lines, "#cgo CFLAGS: -DDECL");
	gosrc_release(&g);
	scan("package main\n\n// #cgo CFLAGS: -DFMT\nimport \"fmt\"\nimport \"C\"\n", &g);
	assert_int_equal(g.cgo_lines.n, 0);
	gosrc_release(&g);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_build_expr), cmocka_unit_test(test_plus_build),
		cmocka_unit_test(test_file_names),    cmocka_unit_test(test_scan_header),
		cmocka_unit_test(test_scan_imports),  cmocka_unit_test(test_scan_embed),
		cmocka_unit_test(test_hash_to_string), cmocka_unit_test(test_go_quote),
		cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_filehash_memo), cmocka_unit_test(test_scanmemo),
		cmocka_unit_test(test_pack),          cmocka_unit_test(test_buildid_rewrite),
		cmocka_unit_test(test_split_quoted),  cmocka_unit_test(test_join_quoted),
		cmocka_unit_test(test_split_cgo_args), cmocka_unit_test(test_cgo_directive),
		cmocka_unit_test(test_ldflags),       cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_scan_cgo_lines), cmocka_unit_test(test_path_under),
		cmocka_unit_test(test_which),         cmocka_unit_test(test_path_lookup),
		cmocka_unit_test(test_goflags),       cmocka_unit_test(test_ppflag),
	};
	static const struct CMUnitTest godebug[] = {
		cmocka_unit_test(test_default_godebug),
	};
	int rc;

	goroot = getenv("GOROOT") ? getenv("GOROOT") : "/usr/local/go";
	rc = cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
	{
		char *t = xasprintf("%s/src/internal/godebugs/table.go", goroot);
		bool have = access(t, R_OK) == 0;

		free(t);
		if (!have) {
			printf("skipped: no Go toolchain at '%s' for the DefaultGODEBUG table\n", goroot);
			return rc ? rc : 77;
		}
	}
	return rc | cmocka_run_group_tests_name("pipeline/godebug", godebug, NULL, NULL);
}
