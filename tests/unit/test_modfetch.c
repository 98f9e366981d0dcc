/*
 * Unit tests for pipeline/modfetch and pipeline/dirhash: module path and version escaping and checks,
 * GOPRIVATE-style globs, the module environment, go.sum's h1: hashes, and the module cache filled from a
 * file:// proxy built here in a temporary directory (zips written with libzip): .info/.mod/.zip/.ziphash,
 * the extracted read-only tree, checksum mismatches leaving nothing behind, a .partial redo, the lock,
 * invalid zips, and GOPROXY's off, direct, GONOPROXY and ',' vs '|' fall-through. No network: the one
 * http:// proxy is a loopback port nothing listens on.
 *
 * Expected h1: values were computed once by golang.org/x/mod v0.22.0's own sumdb/dirhash (HashDir,
 * HashZip, Hash1) over the same files, with a throwaway Go program (its source is in the comment of
 * test_h1); two are also fixed by cmd/go and the checksum database themselves (see there). The expected
 * .info bytes are what cmd/go's RevInfo marshals to after writeDiskStat (checked the same way).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "pipeline/dirhash.h"
#include "pipeline/modfetch.h"

#define MOD "example.com/m"
#define VER "v1.0.0"
#define PREFIX MOD "@" VER "/"
/* The zip's files; HashZip of a zip of them under PREFIX, and HashDir of them with prefix MOD@VER. */
#define H1_FILES "h1:c0feYnGkLAvFOfK+oWiD3jgd9yFSGYD/dwFdEFGFJBY="
#define GOMOD_TEXT "module example.com/m\n\ngo 1.21\n"
#define H1_GOMOD "h1:ONeDgCa5UF/jJRjGzpOKmUiezgFEk4IPFZ96frvroW0="
#define WRONG_H1 "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

struct zent {
	const char *name, *data;
	unsigned mode;  /* 0: a regular file; else the Unix mode to record (e.g. S_IFLNK | 0777) */
};

static const struct zent files[] = {
	{ PREFIX "a.txt", "hello\n", 0 },  { PREFIX "sub/b.go", "package sub\n", 0 },
	{ PREFIX "sub/deep/c", "", 0 },    { PREFIX "Z.md", "Zed", 0 },
	{ PREFIX "go.mod", GOMOD_TEXT, 0 },
};

static char root[64];

static void rm_rf(const char *path)
{
	char *cmd = xasprintf("chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", path, path);

	if (system(cmd) != 0)
		fail_msg("cannot remove %s", path);
	free(cmd);
}

static void put(const char *path, const char *data)
{
	char *dir = xstrdup(path);
	FILE *f;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(rt_mkdir_p(dir), 0);
	free(dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
	char *s = rt_slurp(path);

	if (!s)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	return s;
}

static void make_zip(const char *path, const struct zent *e, size_t n)
{
	int zerr;
	zip_t *z;
	char *dir = xstrdup(path);

	*strrchr(dir, '/') = '\0';
	assert_int_equal(rt_mkdir_p(dir), 0);
	free(dir);
	z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	assert_non_null(z);
	for (size_t i = 0; i < n; i++) {
		zip_source_t *src = zip_source_buffer(z, e[i].data, strlen(e[i].data), 0);
		zip_int64_t idx;

		assert_non_null(src);
		if (e[i].name[strlen(e[i].name) - 1] == '/') {
			zip_source_free(src);
			idx = zip_dir_add(z, e[i].name, ZIP_FL_ENC_UTF_8);
		} else {
			idx = zip_file_add(z, e[i].name, src, ZIP_FL_ENC_UTF_8);
		}
		if (idx < 0)
			fail_msg("zip_file_add %s: %s", e[i].name, zip_strerror(z));
		zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
		if (e[i].mode)
			zip_file_set_external_attributes(z, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX, (zip_uint32_t)e[i].mode << 16);
	}
	assert_int_equal(zip_close(z), 0);
}

/* A file:// proxy at root/<name> serving MOD@VER with the given zip entries. */
static char *make_proxy(const char *name, const struct zent *e, size_t n)
{
	char *base = xasprintf("%s/%s/" MOD "/@v/" VER, root, name), *f;

	f = xasprintf("%s.info", base);
	put(f, "{\"Version\": \"v1.0.0\", \"Time\": \"2024-05-23T12:37:56.500+00:00\", \"Origin\": {\"VCS\":\"git\","
	       "\"URL\":\"https://x/a&b\",\"Hash\":\"abc\",\"TagSum\":\"t1:x\",\"TagPrefix\":\"p\",\"RepoSum\":\"r\","
	       "\"Ref\":\"refs/tags/v1.0.0\"}}\n");
	free(f);
	f = xasprintf("%s.mod", base);
	put(f, GOMOD_TEXT);
	free(f);
	f = xasprintf("%s.zip", base);
	make_zip(f, e, n);
	free(f);
	free(base);
	return xasprintf("file://%s/%s", root, name);
}

/* A fresh cache and environment with GOPROXY = proxy (read through gb_modenv_load). */
static void env_for(struct gb_modenv *e, const char *cache, const char *proxy)
{
	struct rt_err err = { 0 };
	char *c = xasprintf("%s/%s", root, cache);

	rm_rf(c);
	setenv("GOENV", "off", 1);
	setenv("GOMODCACHE", c, 1);
	setenv("GOPROXY", proxy, 1);
	unsetenv("GONOPROXY");
	unsetenv("GOPRIVATE");
	unsetenv("GOFLAGS");
	if (gb_modenv_load(e, &err) != 0)
		fail_msg("gb_modenv_load: %s", err.msg);
	free(c);
}

static char *cachefile(const struct gb_modenv *e, const char *suffix)
{
	char *f = gb_mod_cache_file(e, MOD, VER, suffix);

	assert_non_null(f);
	return f;
}

/* Nothing of MOD@VER but the lock may be in the cache: no .zip, .ziphash, .mod, .partial, temporary
 * file, and no directory (the failure paths' promise). */
static void assert_nothing_left(const struct gb_modenv *e)
{
	char *atv = xasprintf("%s/cache/download/" MOD "/@v", e->modcache), *dir = gb_mod_cache_dir(e, MOD, VER);
	char *parent = xasprintf("%s/example.com", e->modcache);
	DIR *d = opendir(atv);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, VER ".lock") != 0 && strcmp(de->d_name, VER ".info") != 0)
			fail_msg("left in the cache: %s/%s", atv, de->d_name);
	if (d)
		closedir(d);
	assert_false(rt_is_dir(dir));
	d = opendir(parent);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			fail_msg("left in the cache: %s/%s", parent, de->d_name);
	if (d)
		closedir(d);
	free(parent);
	free(dir);
	free(atv);
}

static void check_escape(const char *in, const char *want)
{
	char *got = gb_mod_escape_path(in);

	if (!want) {
		if (got)
			fail_msg("escape_path('%s') = '%s', want invalid", in, got);
		return;
	}
	if (!got || strcmp(got, want) != 0)
		fail_msg("escape_path('%s') = '%s', want '%s'", in, got ? got : "(invalid)", want);
	free(got);
}

/* Cases from golang.org/x/mod/module's EscapePath and CheckPath rules. */
static void test_escape(void **state)
{
	char *v;

	(void)state;
	check_escape("github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml");
	check_escape("rsc.io/quote", "rsc.io/quote");
	check_escape("github.com/GoogleCloudPlatform/X", "github.com/!google!cloud!platform/!x");
	check_escape("gopkg.in/yaml.v2", "gopkg.in/yaml.v2");
	check_escape("example.com/m/v2", "example.com/m/v2");
	check_escape("example.com/a~b_c-d.e", "example.com/a~b_c-d.e");
	check_escape("Github.com/x", NULL);        /* upper case in the first element */
	check_escape("github.com/!x", NULL);       /* '!' is the escape character */
	check_escape("nodot/x", NULL);
	check_escape("example.com/m/v1", NULL);    /* /v1 is no major suffix */
	check_escape("example.com/m/v0", NULL);
	check_escape("example.com/m/v2.0", NULL);
	check_escape("example.com//x", NULL);
	check_escape("example.com/x/", NULL);
	check_escape(".example.com/x", NULL);
	check_escape("example.com/.x", NULL);
	check_escape("example.com/x.", NULL);
	check_escape("-example.com/x", NULL);
	check_escape("example.com/x y", NULL);
	check_escape("example.com/caf\xc3\xa9", NULL);
	check_escape("example.com/aux", NULL);     /* a Windows device name */
	check_escape("example.com/PRN.txt", NULL);
	check_escape("example.com/abc~1", NULL);   /* a Windows short name */
	check_escape("example.com/abc~x", "example.com/abc~x");
	check_escape("", NULL);
	v = gb_mod_escape_version("v1.0.0-RC1");
	assert_string_equal(v, "v1.0.0-!r!c1");
	free(v);
	v = gb_mod_escape_version("v1.2.3");
	assert_string_equal(v, "v1.2.3");
	free(v);
	assert_null(gb_mod_escape_version("v1.0.0!"));
	assert_null(gb_mod_escape_version(""));
	assert_null(gb_mod_escape_version("v1/0"));
}

static void check_ok(const char *path, const char *version, const char *why)
{
	struct rt_err err = { 0 };
	int rc = gb_mod_check(path, version, &err);

	if (!why && rc != 0)
		fail_msg("gb_mod_check(%s, %s): %s", path, version, err.msg);
	if (why && (rc == 0 || !strstr(err.msg, why) || err.exit != RT_EXIT_BUILD))
		fail_msg("gb_mod_check(%s, %s) = %d '%s', want an error with '%s'", path, version, rc, err.msg, why);
}

static void test_check(void **state)
{
	(void)state;
	check_ok("example.com/m", "v1.0.0", NULL);
	check_ok("example.com/m", "v0.0.0-20240101000000-abcdefabcdef", NULL);
	check_ok("example.com/m", "v1.2.3-rc.1", NULL);
	check_ok("example.com/m", "v2.0.0+incompatible", NULL);
	check_ok("example.com/m/v2", "v2.1.0", NULL);
	check_ok("gopkg.in/yaml.v2", "v2.4.0", NULL);
	check_ok("gopkg.in/yaml.v1", "v0.0.0-20150101000000-abcdefabcdef", NULL);
	check_ok("example.com/m", "v2.0.0", "should be v0 or v1, not v2");
	check_ok("example.com/m/v3", "v2.0.0", "should be v3, not v2");
	check_ok("gopkg.in/yaml.v2", "v3.0.0", "should be v2, not v3");
	check_ok("example.com/m", "v1.0", "not a canonical version");
	check_ok("example.com/m", "v1.0.0+build", "not a canonical version");
	check_ok("example.com/m", "1.0.0", "not a semantic version");
	check_ok("example.com/m", "v01.0.0", "not a semantic version");
	check_ok("example.com/m", "v1.0.0-01", "not a semantic version");
	check_ok("example.com/m", "latest", "not a semantic version");
	check_ok("Example.com/m", "v1.0.0", "malformed module path");
}

static void test_match_patterns(void **state)
{
	const char *g = "*.corp.example.com,rsc.io/private";

	(void)state;
	assert_true(gb_mod_match_patterns(g, "git.corp.example.com/xyzzy"));
	assert_true(gb_mod_match_patterns(g, "rsc.io/private"));
	assert_true(gb_mod_match_patterns(g, "rsc.io/private/quux"));
	assert_false(gb_mod_match_patterns(g, "rsc.io/privateer"));
	assert_false(gb_mod_match_patterns(g, "rsc.io"));
	assert_false(gb_mod_match_patterns(g, "corp.example.com"));     /* '*' needs one element before */
	assert_true(gb_mod_match_patterns("github.com/*/x", "github.com/a/x/y"));
	assert_false(gb_mod_match_patterns("github.com/*/x", "github.com/a/b/x"));
	assert_true(gb_mod_match_patterns("rsc.io/private/", "rsc.io/private/q"));  /* a trailing slash is dropped */
	assert_true(gb_mod_match_patterns(",,example.com", "example.com/m"));
	assert_true(gb_mod_match_patterns("ex[a-c]mple.com", "example.com/m"));
	assert_false(gb_mod_match_patterns("ex[^a]mple.com", "example.com/m"));
	assert_true(gb_mod_match_patterns("exampl?.com", "example.com"));
	assert_false(gb_mod_match_patterns("ex[mple.com", "example.com"));  /* malformed: matches nothing */
	assert_false(gb_mod_match_patterns("", "example.com"));
	assert_false(gb_mod_match_patterns(NULL, "example.com"));
	assert_false(gb_mod_match_patterns("none", "example.com/m"));
}

/*
 * The expected values, from golang.org/x/mod@v0.22.0 (go run):
 *	for the files of `files` above written to a directory d, and zipped (archive/zip) under PREFIX:
 *	dirhash.HashDir(d, "example.com/m@v1.0.0", dirhash.DefaultHash)   = H1_FILES
 *	dirhash.HashDir(d, "", dirhash.DefaultHash)                       = h1:8yhQ...
 *	dirhash.HashZip(zip, dirhash.DefaultHash)                         = H1_FILES
 *	the same zip with a directory entry PREFIX "sub/" first           = h1:a7Wz...
 *	dirhash.Hash1([]string{"go.mod"}, <GOMOD_TEXT>)                   = H1_GOMOD
 * and two fixed by go itself: the empty go.mod's hash is cmd/go's emptyGoModHash constant
 * (modfetch/fetch.go), and github.com/BurntSushi/toml v1.4.0's go.mod is go.sum's (sum.golang.org)
 * "github.com/BurntSushi/toml v1.4.0/go.mod h1:ukJf...".
 */
static void test_h1(void **state)
{
	const struct zent withdir[] = { { PREFIX "sub/", "", 0 }, files[0], files[1], files[2], files[3], files[4] };
	char *dir = xasprintf("%s/h1dir", root), *zipf = xasprintf("%s/h1.zip", root), *h, *p;
	struct rt_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = xasprintf("%s/%s", dir, files[i].name + strlen(PREFIX));
		put(p, files[i].data);
		free(p);
	}
	assert_int_equal(gb_h1_dir(dir, MOD "@" VER, &h, &err), 0);
	assert_string_equal(h, H1_FILES);
	free(h);
	assert_int_equal(gb_h1_dir(dir, "", &h, &err), 0);
	assert_string_equal(h, "h1:8yhQbFhOIsz+yhGBh6ad0ZDfO51WKdGe4i7czZwW3YM=");
	free(h);
	make_zip(zipf, files, sizeof(files) / sizeof(files[0]));
	assert_int_equal(gb_h1_zip(zipf, &h, &err), 0);
	assert_string_equal(h, H1_FILES);
	free(h);
	make_zip(zipf, withdir, sizeof(withdir) / sizeof(withdir[0]));
	assert_int_equal(gb_h1_zip(zipf, &h, &err), 0);
	assert_string_equal(h, "h1:a7WzPazsD/VnN8lvWTCxS0jzB8jIZjfn/WhEBL+n4ZQ=");
	free(h);
	h = gb_h1_gomod(GOMOD_TEXT, strlen(GOMOD_TEXT));
	assert_string_equal(h, H1_GOMOD);
	free(h);
	h = gb_h1_gomod("", 0);
	assert_string_equal(h, "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=");
	free(h);
	h = gb_h1_gomod("module github.com/BurntSushi/toml\n\ngo 1.18\n", 43);
	assert_string_equal(h, "h1:ukJfTF/6rtPPRCnwkur4qwRxa8vTRFBF0uk2lLoLwho=");
	free(h);
	assert_true(gb_h1_valid(H1_FILES, strlen(H1_FILES)));
	assert_false(gb_h1_valid("h1:short", 8));
	/* errors */
	assert_int_equal(gb_h1_dir(zipf, "", &h, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_INPUT);
	assert_int_equal(gb_h1_zip(dir, &h, &err), -1);
	p = xasprintf("%s/bad\nname", dir);
	put(p, "x");
	free(p);
	assert_int_equal(gb_h1_dir(dir, "", &h, &err), -1);
	assert_non_null(strstr(err.msg, "newline"));
	free(dir);
	free(zipf);
}

static void test_modenv(void **state)
{
	struct gb_modenv e;
	struct rt_err err = { 0 };
	char *cfg = xasprintf("%s/cfg", root), *envf = xasprintf("%s/cfg/go/env", root), *goenv;
	char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;

	(void)state;
	put(envf, "# a comment\nGOPROXY=file:///from-env-file\nGOPRIVATE=corp.example.com\nGOMODCACHE=/from/file\nbad line\n");
	unsetenv("GOENV");
	unsetenv("GOPROXY");
	unsetenv("GOMODCACHE");
	unsetenv("GONOPROXY");
	unsetenv("GONOSUMDB");
	unsetenv("GOPRIVATE");
	unsetenv("GOPATH");
	unsetenv("GOFLAGS");
	setenv("GOROOT", root, 1); /* no go.env there */
	setenv("XDG_CONFIG_HOME", cfg, 1);
	assert_int_equal(gb_modenv_load(&e, &err), 0);
	assert_string_equal(e.proxy, "file:///from-env-file");
	assert_string_equal(e.noproxy, "corp.example.com");
	assert_string_equal(e.nosumdb, "corp.example.com");
	assert_string_equal(e.modcache, "/from/file");
	gb_modenv_release(&e);
	/* the process environment wins; GONOPROXY over GOPRIVATE */
	setenv("GOPROXY", "https://a.example,direct", 1);
	setenv("GONOPROXY", "none", 1);
	assert_int_equal(gb_modenv_load(&e, &err), 0);
	assert_string_equal(e.proxy, "https://a.example,direct");
	assert_string_equal(e.noproxy, "none");
	assert_string_equal(e.nosumdb, "corp.example.com");
	gb_modenv_release(&e);
	/* GOENV=off: go's defaults; the cache from GOPATH's first entry, else HOME */
	setenv("GOENV", "off", 1);
	unsetenv("GOPROXY");
	unsetenv("GONOPROXY");
	setenv("GOPATH", "/gp1:/gp2", 1);
	assert_int_equal(gb_modenv_load(&e, &err), 0);
	assert_string_equal(e.proxy, "https://proxy.golang.org,direct");
	assert_string_equal(e.noproxy, "");
	assert_string_equal(e.modcache, "/gp1/pkg/mod");
	gb_modenv_release(&e);
	unsetenv("GOPATH");
	setenv("HOME", "/home/someone", 1);
	assert_int_equal(gb_modenv_load(&e, &err), 0);
	assert_string_equal(e.modcache, "/home/someone/go/pkg/mod");
	gb_modenv_release(&e);
	/* $GOROOT/go.env gives the defaults go ships */
	goenv = xasprintf("%s/go.env", root);
	put(goenv, "GOPROXY=https://from-goroot.example\n");
	assert_int_equal(gb_modenv_load(&e, &err), 0);
	assert_string_equal(e.proxy, "https://from-goroot.example");
	gb_modenv_release(&e);
	unlink(goenv);
	free(goenv);
	setenv("GOMODCACHE", "relative/cache", 1);
	assert_int_equal(gb_modenv_load(&e, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_ENV);
	assert_non_null(strstr(err.msg, "relative"));
	unsetenv("GOMODCACHE");
	unsetenv("HOME");
	assert_int_equal(gb_modenv_load(&e, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_ENV);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("GOROOT");
	if (home)
		setenv("HOME", home, 1);
	free(home);
	free(cfg);
	free(envf);
}

static void assert_mode(const char *path, unsigned want)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	if ((st.st_mode & 07777) != want)
		fail_msg("%s: mode %o, want %o", path, st.st_mode & 07777, want);
}

static void test_fetch(void **state)
{
	char *proxy = make_proxy("proxy", files, sizeof(files) / sizeof(files[0]));
	struct gb_modenv e;
	struct rt_err err = { 0 };
	char *f, *s, *dir, *h, *zip;
	mode_t um = umask(022);

	(void)state;
	env_for(&e, "cache", proxy);
	/* go.mod: a wrong go.sum hash writes nothing */
	assert_int_equal(gb_mod_fetch_gomod(&e, MOD, VER, WRONG_H1, &f, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_BUILD);
	assert_non_null(strstr(err.msg, WRONG_H1));
	assert_non_null(strstr(err.msg, H1_GOMOD));
	assert_non_null(strstr(err.msg, MOD "@" VER "/go.mod"));
	assert_nothing_left(&e);
	assert_int_equal(gb_mod_fetch_gomod(&e, MOD, VER, H1_GOMOD, &f, &err), 0);
	s = slurp(f);
	assert_string_equal(s, GOMOD_TEXT);
	free(s);
	assert_mode(f, 0644);
	free(f);
	f = xasprintf("%s/cache/download/" MOD "/@v/list", e.modcache);
	s = slurp(f);
	assert_string_equal(s, "v1.0.0\n");
	free(s);
	free(f);
	/* the cached .mod is checked too */
	assert_int_equal(gb_mod_fetch_gomod(&e, MOD, VER, WRONG_H1, &f, &err), -1);
	assert_non_null(strstr(err.msg, "checksum mismatch"));

	/* the module: info, zip, ziphash, the tree */
	assert_int_equal(gb_mod_fetch_dir(&e, MOD, VER, H1_FILES, &dir, &err), 0);
	f = cachefile(&e, "info");
	s = slurp(f);
	assert_string_equal(s, "{\"Version\":\"v1.0.0\",\"Time\":\"2024-05-23T12:37:56.5Z\",\"Origin\":{\"VCS\":\"git\","
			       "\"URL\":\"https://x/a\\u0026b\",\"Hash\":\"abc\",\"Ref\":\"refs/tags/v1.0.0\"}}");
	free(s);
	free(f);
	f = cachefile(&e, "ziphash");
	s = slurp(f);
	assert_string_equal(s, H1_FILES); /* no newline, as go writes it */
	free(s);
	free(f);
	s = gb_mod_cached_sum(&e, MOD, VER);
	assert_string_equal(s, H1_FILES);
	free(s);
	f = xasprintf("%s/" MOD "@" VER, e.modcache);
	assert_string_equal(dir, f);
	free(f);
	assert_mode(dir, 0555);
	f = xasprintf("%s/sub/deep", dir);
	assert_mode(f, 0555);
	free(f);
	f = xasprintf("%s/sub/deep/c", dir);
	assert_mode(f, 0444);
	free(f);
	f = xasprintf("%s/a.txt", dir);
	assert_mode(f, 0444);
	s = slurp(f);
	assert_string_equal(s, "hello\n");
	free(s);
	free(f);
	f = cachefile(&e, "zip");
	assert_mode(f, 0644);
	free(f);
	f = cachefile(&e, "lock");
	assert_true(rt_is_file(f));
	free(f);
	f = cachefile(&e, "partial");
	assert_false(rt_is_file(f));
	free(f);
	assert_int_equal(gb_h1_dir(dir, MOD "@" VER, &h, &err), 0);
	assert_string_equal(h, H1_FILES);
	free(h);
	assert_int_equal(gb_mod_verify(&e, MOD, VER, &err), 0);
	/* cached: a wrong hash is caught from the .ziphash, the tree is left as it is */
	assert_int_equal(gb_mod_fetch_dir(&e, MOD, VER, WRONG_H1, &f, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_BUILD);
	assert_non_null(strstr(err.msg, ".ziphash"));
	assert_int_equal(gb_mod_fetch_zip(&e, MOD, VER, NULL, &zip, &err), 0);
	free(zip);

	/* a .partial marker (as an interrupted go leaves it): extracted again */
	f = xasprintf("%s/a.txt", dir);
	chmod(dir, 0755);
	chmod(f, 0644);
	put(f, "tampered\n");
	assert_int_equal(gb_mod_verify(&e, MOD, VER, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_BUILD);
	assert_non_null(strstr(err.msg, "dir has been modified"));
	s = cachefile(&e, "partial");
	put(s, "");
	free(dir);
	assert_int_equal(gb_mod_fetch_dir(&e, MOD, VER, H1_FILES, &dir, &err), 0);
	assert_false(rt_is_file(s));
	free(s);
	s = slurp(f);
	assert_string_equal(s, "hello\n");
	free(s);
	assert_mode(dir, 0555);
	assert_int_equal(gb_mod_verify(&e, MOD, VER, &err), 0);
	free(f);

	/* a lost .ziphash: the zip is hashed again and the tree extracted again, without the proxy */
	f = cachefile(&e, "ziphash");
	unlink(f);
	free(e.proxy);
	e.proxy = xstrdup("off");
	free(dir);
	assert_int_equal(gb_mod_fetch_dir(&e, MOD, VER, H1_FILES, &dir, &err), 0);
	s = slurp(f);
	assert_string_equal(s, H1_FILES);
	free(s);
	free(f);
	/* a cached zip is extracted without the proxy, even with no .info */
	f = cachefile(&e, "info");
	unlink(f);
	free(f);
	rm_rf(dir);
	free(dir);
	assert_int_equal(gb_mod_fetch_dir(&e, MOD, VER, H1_FILES, &dir, &err), 0);
	assert_int_equal(gb_mod_verify(&e, MOD, VER, &err), 0);
	/* a tampered zip is caught by verify */
	f = cachefile(&e, "zip");
	make_zip(f, files, 3);
	assert_int_equal(gb_mod_verify(&e, MOD, VER, &err), -1);
	assert_non_null(strstr(err.msg, "zip has been modified"));
	free(f);
	free(dir);
	gb_modenv_release(&e);
	free(proxy);
	umask(um);
}

static void test_checksum_mismatch(void **state)
{
	char *proxy = make_proxy("proxy", files, sizeof(files) / sizeof(files[0]));
	struct gb_modenv e;
	struct rt_err err = { 0 };
	char *dir;

	(void)state;
	env_for(&e, "cache-mismatch", proxy);
	assert_int_equal(gb_mod_fetch_dir(&e, MOD, VER, WRONG_H1, &dir, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_BUILD);
	assert_non_null(strstr(err.msg, MOD "@" VER));
	assert_non_null(strstr(err.msg, WRONG_H1));
	assert_non_null(strstr(err.msg, H1_FILES));
	assert_non_null(strstr(err.msg, VER ".zip")); /* the file it came from */
	assert_nothing_left(&e);
	/* NULL: not checked, the caller decides */
	assert_int_equal(gb_mod_fetch_dir(&e, MOD, VER, NULL, &dir, &err), 0);
	free(dir);
	gb_modenv_release(&e);
	free(proxy);
}

static void expect_fail(struct gb_modenv *e, int exit, const char *what)
{
	struct rt_err err = { 0 };
	char *dir = NULL;

	if (gb_mod_fetch_dir(e, MOD, VER, NULL, &dir, &err) == 0)
		fail_msg("GOPROXY=%s: fetched, want an error with '%s'", e->proxy, what);
	if (err.exit != exit || !strstr(err.msg, what))
		fail_msg("GOPROXY=%s: exit %d '%s', want %d with '%s'", e->proxy, err.exit, err.msg, exit, what);
	assert_null(dir);
	assert_nothing_left(e);
}

static void expect_ok(struct gb_modenv *e)
{
	struct rt_err err = { 0 };
	char *dir = NULL, *f;

	if (gb_mod_fetch_dir(e, MOD, VER, H1_FILES, &dir, &err) != 0)
		fail_msg("GOPROXY=%s: %s", e->proxy, err.msg);
	free(dir);
	f = xasprintf("%s/" MOD "@" VER, e->modcache);
	rm_rf(f);
	free(f);
	f = xasprintf("%s/cache", e->modcache);
	rm_rf(f);
	free(f);
}

static void set_proxy(struct gb_modenv *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_proxy(struct gb_modenv *e, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		fail();
	va_end(ap);
	free(e->proxy);
	e->proxy = p;
}

/* A loopback port that refuses connections: bound, never listened on. */
static int refusing_port(int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);

	*fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &n), 0);
	return ntohs(a.sin_port);
}

static void test_goproxy(void **state)
{
	char *good = make_proxy("proxy", files, sizeof(files) / sizeof(files[0]));
	char *bad = make_proxy("badproxy", files, sizeof(files) / sizeof(files[0])), *f;
	char *empty = xasprintf("file://%s/emptyproxy", root);
	struct gb_modenv e;
	int sock, port = refusing_port(&sock);

	(void)state;
	/* badproxy answers the .info with a read error (a directory), which is not "not found" */
	f = xasprintf("%s/badproxy/" MOD "/@v/" VER ".info", root);
	unlink(f);
	assert_int_equal(mkdir(f, 0755), 0);
	free(f);
	env_for(&e, "cache-proxy", good);
	expect_ok(&e);
	set_proxy(&e, "off");
	expect_fail(&e, RT_EXIT_BUILD, "module lookup disabled by GOPROXY=off");
	set_proxy(&e, "direct");
	expect_fail(&e, RT_EXIT_BUILD, "fetches modules only through a module proxy");
	set_proxy(&e, "%s,direct", empty); /* not found, then direct: refused, saying what the proxy said */
	expect_fail(&e, RT_EXIT_BUILD, "before it: reading file://");
	set_proxy(&e, "%s,direct", good);  /* found before direct is reached */
	expect_ok(&e);
	set_proxy(&e, "%s,off,%s", empty, good);  /* off ends the list */
	expect_fail(&e, RT_EXIT_BUILD, "GOPROXY=off");
	set_proxy(&e, "%s,%s", empty, good);  /* ',': a 404 falls through */
	expect_ok(&e);
	set_proxy(&e, "%s,%s", bad, good);    /* ',': another error does not */
	expect_fail(&e, RT_EXIT_ENV, "Is a directory");
	set_proxy(&e, "%s|%s", bad, good);    /* '|': any error falls through */
	expect_ok(&e);
	set_proxy(&e, "http://127.0.0.1:%d,%s", port, good);
	expect_fail(&e, RT_EXIT_ENV, "127.0.0.1");
	set_proxy(&e, "http://127.0.0.1:%d|%s", port, good);
	expect_ok(&e);
	set_proxy(&e, "%s,%s", empty, empty);
	expect_fail(&e, RT_EXIT_BUILD, "No such file or directory");
	set_proxy(&e, "%s|http://127.0.0.1:%d", bad, port); /* a proxy's error beats a not-found, the last one wins */
	expect_fail(&e, RT_EXIT_ENV, "127.0.0.1");
	set_proxy(&e, "http://127.0.0.1:%d|%s", port, empty);
	expect_fail(&e, RT_EXIT_ENV, "127.0.0.1");
	set_proxy(&e, "ftp://example.com");
	expect_fail(&e, RT_EXIT_ENV, "invalid proxy URL scheme");
	set_proxy(&e, ", ,");
	expect_fail(&e, RT_EXIT_ENV, "contains no entries");
	set_proxy(&e, "file://otherhost/x");
	expect_fail(&e, RT_EXIT_ENV, "localhost");
	/* GONOPROXY / GOPRIVATE: direct, refused, though the proxy has it */
	set_proxy(&e, "%s", good);
	free(e.noproxy);
	e.noproxy = xstrdup("*.com");
	expect_fail(&e, RT_EXIT_BUILD, "GONOPROXY");
	free(e.noproxy);
	e.noproxy = xstrdup("other.example");
	expect_ok(&e);
	close(sock);
	gb_modenv_release(&e);
	free(good);
	free(bad);
	free(empty);
}

struct badzip {
	const char *what;
	struct zent e[3];
	size_t n;
	const char *dup;   /* rename every "dupB" in the zip's bytes to "dupA" (libzip refuses to write duplicates) */
};

static void test_invalid_zips(void **state)
{
	static const struct badzip cases[] = {
		{ "path does not have prefix", { { "example.com/other@v1.0.0/a", "x", 0 } }, 1, NULL },
		{ "path does not have prefix", { { PREFIX "a", "x", 0 }, { "a", "x", 0 } }, 2, NULL },
		{ "file path is not clean", { { PREFIX "../evil", "x", 0 } }, 1, NULL },
		{ "file path is not clean", { { PREFIX "a/./b", "x", 0 } }, 1, NULL },
		{ "case-insensitive file name collision", { { PREFIX "README", "x", 0 }, { PREFIX "readme", "y", 0 } }, 2, NULL },
		{ "multiple entries for file", { { PREFIX "dupA", "x", 0 }, { PREFIX "dupB", "y", 0 } }, 2, "dup" },
		{ "both a file and a directory", { { PREFIX "a", "x", 0 }, { PREFIX "a/b", "y", 0 } }, 2, NULL },
		{ "symbolic links", { { PREFIX "link", "/etc/passwd", S_IFLNK | 0777 } }, 1, NULL },
		{ "go.mod file not in module root", { { PREFIX "sub/go.mod", "module x\n", 0 } }, 1, NULL },
		{ "lowercase", { { PREFIX "GO.MOD", "module x\n", 0 } }, 1, NULL },
		{ "malformed file path", { { PREFIX "a:b", "x", 0 } }, 1, NULL },
		{ "malformed file path", { { PREFIX "con.txt", "x", 0 } }, 1, NULL },
	};
	struct gb_modenv e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *proxy = make_proxy("zipproxy", cases[i].e, cases[i].n);

		if (cases[i].dup) {
			char *zf = xasprintf("%s/zipproxy/" MOD "/@v/" VER ".zip", root), *data, *p;
			size_t len;
			FILE *f;

			assert_int_equal(rt_read_file(zf, &data, &len), 0);
			for (p = data; (p = memmem(p, len - (size_t)(p - data), "dupB", 4)); p += 4)
				p[3] = 'A';
			f = fopen(zf, "w");
			assert_int_equal(fwrite(data, 1, len, f), len);
			fclose(f);
			free(data);
			free(zf);
		}
		env_for(&e, "cache-zip", proxy);
		expect_fail(&e, RT_EXIT_BUILD, cases[i].what);
		gb_modenv_release(&e);
		free(proxy);
	}
	/* not a zip at all */
	{
		char *proxy = make_proxy("zipproxy", files, 1), *zf = xasprintf("%s/zipproxy/" MOD "/@v/" VER ".zip", root);

		put(zf, "this is no zip file\n");
		env_for(&e, "cache-zip", proxy);
		expect_fail(&e, RT_EXIT_BUILD, "not a valid zip file");
		gb_modenv_release(&e);
		free(zf);
		free(proxy);
	}
}

static double now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Another process (as go would) holds <v>.lock: the fetch waits for it. */
static void test_lock(void **state)
{
	char *proxy = make_proxy("proxy", files, sizeof(files) / sizeof(files[0])), *lock, *dir, *f;
	struct gb_modenv e;
	struct rt_err err = { 0 };
	int pipefd[2], status;
	double t0;
	pid_t pid;
	char c;

	(void)state;
	env_for(&e, "cache-lock", proxy);
	lock = cachefile(&e, "lock");
	dir = xstrdup(lock);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(rt_mkdir_p(dir), 0);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		int fd = open(lock, O_RDWR | O_CREAT, 0666);

		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		usleep(400000);
		_exit(0);
	}
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	t0 = now_s();
	assert_int_equal(gb_mod_fetch_zip(&e, MOD, VER, NULL, &f, &err), 0);
	if (now_s() - t0 < 0.3)
		fail_msg("the fetch did not wait for the lock (%.3fs)", now_s() - t0);
	free(f);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pipefd[0]);
	close(pipefd[1]);
	free(dir);
	free(lock);
	gb_modenv_release(&e);
	free(proxy);
}

/* GOFLAGS=-modcacherw leaves the directories writable (the files stay 0444). */
static void test_modcacherw(void **state)
{
	char *proxy = make_proxy("proxy", files, sizeof(files) / sizeof(files[0])), *dir, *f;
	struct gb_modenv e;
	struct rt_err err = { 0 };
	mode_t um = umask(022);

	(void)state;
	env_for(&e, "cache-rw", proxy);
	free(e.flags);
	e.flags = xstrdup("-mod=mod -modcacherw");
	assert_int_equal(gb_mod_fetch_dir(&e, MOD, VER, NULL, &dir, &err), 0);
	assert_mode(dir, 0755);
	f = xasprintf("%s/go.mod", dir);
	assert_mode(f, 0444);
	free(f);
	free(dir);
	gb_modenv_release(&e);
	free(proxy);
	umask(um);
}

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/rt0-modfetch-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(root);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),        cmocka_unit_test(test_check),
		cmocka_unit_test(test_match_patterns), cmocka_unit_test(test_h1),
		cmocka_unit_test(test_modenv),        cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_checksum_mismatch), cmocka_unit_test(test_goproxy),
		cmocka_unit_test(test_invalid_zips),  cmocka_unit_test(test_lock),
		cmocka_unit_test(test_modcacherw),
	};

	return cmocka_run_group_tests_name("modfetch", tests, setup, teardown);
}
