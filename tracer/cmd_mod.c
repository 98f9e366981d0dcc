/* rt0trace mod: the module cache, shared with go (pipeline/modfetch.h): download and verify modules. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "pipeline/config.h"
#include "pipeline/dirhash.h"
#include "pipeline/load.h"
#include "pipeline/modfetch.h"
#include "tracer/cmd.h"

static const char mod_usage[] =
	"usage: rt0trace mod download [-x] [-json] [MODULE@VERSION...]\n"
	"       rt0trace mod verify MODULE@VERSION...\n"
	"\n"
	"download fetches each module version into the Go module cache, as 'go mod download' does and in the\n"
	"same layout, so go and rt0trace share one cache ($GOMODCACHE, else $GOPATH/pkg/mod, else\n"
	"~/go/pkg/mod): cache/download/<path>/@v/<version>.{info,mod,zip,ziphash,lock} and the extracted,\n"
	"read-only <path>@<version>/ directory. Modules come only from the module proxies of GOPROXY (https://,\n"
	"http://, file://; default https://proxy.golang.org,direct); rt0trace never fetches from version\n"
	"control, so reaching \"direct\" (or a module matching GONOPROXY/GOPRIVATE) is an error. It prints one\n"
	"line 'path version dir' per module, or with -json go's object (Path, Version, Info, GoMod, Zip, Dir,\n"
	"Sum, GoModSum). VERSION must be a canonical semantic version such as v1.2.3: no queries (latest,\n"
	"branches, commits) are resolved. With no MODULE@VERSION, as go: the modules the go.mod of this\n"
	"directory (or a parent) requires when it says go >= 1.17, else every module of its build list,\n"
	"each at the version the module graph selects (replacements followed), checked against go.sum, or\n"
	"the Go checksum database ($GOSUMDB) for what go.sum lacks (go.mod and go.sum are never edited).\n"
	"\n"
	"verify checks, as 'go mod verify' does, that each module's cached zip and extracted directory still\n"
	"hash to the h1: recorded in its .ziphash when it was downloaded, and prints 'all modules verified'.\n"
	"\n"
	"options:\n"
	"  -x          print each proxy request ('# get URL') on stderr\n"
	"  -json       print go's JSON object per module\n"
	"  -h, --help  show this help\n"
	"\n"
	"environment (and go's env file, 'go env -w'): GOMODCACHE, GOPATH, GOPROXY, GONOPROXY, GOPRIVATE,\n"
	"GOSUMDB, GONOSUMDB, GOWORK, GOROOT (the Go whose version a go line may not exceed),\n"
	"GOFLAGS (-modcacherw leaves the extracted directories writable), http_proxy, https_proxy, no_proxy.\n"
	"exit codes: 0 done, 2 usage error (a malformed MODULE@VERSION, no go.mod), 3 verify: not in the cache,\n"
	"4 no usable module cache, a bad GOPROXY or a proxy that cannot be reached (DNS, connection, TLS,\n"
	"timeout, 5xx), 5 the proxy does not have it (its message is shown), GOPROXY=off, \"direct\" reached,\n"
	"an invalid zip, a checksum mismatch, a go.mod error, or (verify) a modified zip or directory.\n"
	"Nothing half-written or unverified is left in the cache.\n";

/* "path@version" checked as the cache wants it; a usage error otherwise. */
static int split_arg(const char *cmd, const char *arg, char **path, char **version)
{
	const char *at = strchr(arg, '@');
	struct rt_err err = { 0 };

	if (!at)
		return cmd_usage_error(cmd, "'%s': MODULE@VERSION wanted (rt0trace resolves no version queries)", arg);
	*path = xstrndup(arg, (size_t)(at - arg));
	*version = xstrdup(at + 1);
	if (gb_mod_check(*path, *version, &err) != 0) {
		free(*path);
		free(*version);
		return cmd_usage_error(cmd, "%s", err.msg);
	}
	return 0;
}

static void json_member(struct strbuf *sb, const char *key, const char *val, bool *first)
{
	json_t *s;
	char *q;

	if (!val || !*val)
		return;
	s = json_string(val);
	q = json_dumps(s, JSON_ENCODE_ANY);
	strbuf_addf(sb, "%s\n\t\"%s\": %s", *first ? "" : ",", key, q);
	free(q);
	json_decref(s);
	*first = false;
}

/* want_mod, want_zip: the hashes they must have (NULL: not checked) */
static int download(const struct gb_modenv *e, const char *path, const char *version, const char *want_mod,
		    const char *want_zip, bool json, struct rt_err *err)
{
	char *info = NULL, *gomod = NULL, *zip = NULL, *dir = NULL, *sum = NULL, *gomodsum = NULL, *data;
	size_t len;
	int rc;

	rc = gb_mod_fetch_info(e, path, version, &info, err);
	if (rc == 0)
		rc = gb_mod_fetch_gomod(e, path, version, want_mod, &gomod, err);
	if (rc == 0 && rt_read_file(gomod, &data, &len) == 0) {
		gomodsum = gb_h1_gomod(data, len);
		free(data);
	}
	if (rc == 0)
		rc = gb_mod_fetch_zip(e, path, version, want_zip, &zip, err);
	if (rc == 0)
		sum = gb_mod_cached_sum(e, path, version);
	if (rc == 0)
		rc = gb_mod_fetch_dir(e, path, version, want_zip, &dir, err);
	if (json) {
		struct strbuf sb = STRBUF_INIT;
		bool first = true;

		strbuf_adds(&sb, "{");
		json_member(&sb, "Path", path, &first);
		json_member(&sb, "Version", version, &first);
		if (rc != 0) {
			json_member(&sb, "Error", err->msg, &first);
		} else {
			json_member(&sb, "Info", info, &first);
			json_member(&sb, "GoMod", gomod, &first);
			json_member(&sb, "Zip", zip, &first);
			json_member(&sb, "Dir", dir, &first);
			json_member(&sb, "Sum", sum, &first);
			json_member(&sb, "GoModSum", gomodsum, &first);
		}
		printf("%s\n}\n", sb.buf);
		strbuf_release(&sb);
	} else if (rc == 0) {
		printf("%s %s %s\n", path, version, dir);
	}
	free(info);
	free(gomod);
	free(zip);
	free(dir);
	free(sum);
	free(gomodsum);
	return rc;
}

/* go mod download with no arguments: the main module's modules (pipeline/load.h) */
static int download_main_module(bool json, bool trace)
{
	struct gb_config cfg;
	struct gb_modenv e;
	struct gb_modgraph mg;
	struct gb_modtarget *t = NULL;
	struct rt_err err = { 0 };
	size_t n = 0;
	int rc = RT_EXIT_OK;

	if (gb_config_load(&cfg, NULL, &err) != 0)
		return rt_err_report(&err);
	if (gb_modenv_load(&e, &err) != 0) {
		gb_config_release(&cfg);
		return rt_err_report(&err);
	}
	e.log = trace ? stderr : NULL;
	e.sum_source = "go.sum or the checksum database";
	if (gb_mod_download_targets(&mg, &cfg, &e, ".", &t, &n, &err) != 0)
		rc = rt_err_report(&err);
	for (size_t i = 0; i < n && rc == RT_EXIT_OK; i++)
		if (download(&e, t[i].path, t[i].version, t[i].mod_h1, t[i].zip_h1, json, &err) != 0)
			rc = rt_err_report(&err);
	free(t);
	gb_modgraph_release(&mg);
	gb_modenv_release(&e);
	gb_config_release(&cfg);
	return rc;
}

static int mod_download(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gb_modenv e;
	struct rt_err err = { 0 };
	bool json = false, trace = false;
	int c, rc = RT_EXIT_OK;

	/* go spells it -json: read it as --json */
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-json") == 0)
			argv[i] = (char *)"--json";
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+xh", opts, NULL)) != -1) {
		switch (c) {
		case 'x': trace = true; break;
		case 'j': json = true; break;
		case 'h': fputs(mod_usage, stdout); return RT_EXIT_OK;
		default: return cmd_unknown_option("mod download", argv);
		}
	}
	if (optind == argc)
		return download_main_module(json, trace);
	for (int i = optind; i < argc; i++) {
		char *p, *v;

		if ((rc = split_arg("mod download", argv[i], &p, &v)) != 0)
			return rc;
		free(p);
		free(v);
	}
	if (gb_modenv_load(&e, &err) != 0)
		return rt_err_report(&err);
	e.log = trace ? stderr : NULL;
	for (int i = optind; i < argc && rc == RT_EXIT_OK; i++) {
		char *p, *v;

		split_arg("mod download", argv[i], &p, &v);
		if (download(&e, p, v, NULL, NULL, json, &err) != 0)
			rc = rt_err_report(&err);
		free(p);
		free(v);
	}
	gb_modenv_release(&e);
	return rc;
}

static int mod_verify(int argc, char **argv)
{
	struct gb_modenv e;
	struct rt_err err = { 0 };
	int rc = RT_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		char *p, *v;
		int r;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(mod_usage, stdout);
			return RT_EXIT_OK;
		}
		if (argv[i][0] == '-')
			return cmd_usage_error("mod verify", "unknown option '%s'", argv[i]);
		if ((r = split_arg("mod verify", argv[i], &p, &v)) != 0)
			return r;
		free(p);
		free(v);
	}
	if (argc < 2)
		return cmd_usage_error("mod verify", "MODULE@VERSION is needed (such as github.com/fatih/color@v1.18.0)");
	if (gb_modenv_load(&e, &err) != 0)
		return rt_err_report(&err);
	for (int i = 1; i < argc; i++) {
		char *p, *v;

		split_arg("mod verify", argv[i], &p, &v);
		if (gb_mod_verify(&e, p, v, &err) != 0) {
			int r = rt_err_report(&err);

			rc = rc == RT_EXIT_OK || r == RT_EXIT_BUILD ? r : rc;
		}
		free(p);
		free(v);
	}
	gb_modenv_release(&e);
	if (rc == RT_EXIT_OK)
		printf("all modules verified\n");
	return rc;
}

int cmd_mod(int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage_error("mod", "a subcommand is needed: download or verify");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(mod_usage, stdout);
		return RT_EXIT_OK;
	}
	if (strcmp(argv[1], "download") == 0)
		return mod_download(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return mod_verify(argc - 1, argv + 1);
	return cmd_usage_error("mod", "unknown subcommand '%s' (download or verify)", argv[1]);
}
