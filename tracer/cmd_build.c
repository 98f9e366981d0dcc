/* rt0trace build: build a Go main package with the toolchain's own tools, never running `go`. */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "pipeline/build.h"
#include "tracer/cmd.h"

static const char build_usage[] =
	"usage: rt0trace build [-C DIR] [-o OUT] [-j N] [-a] [-n] [-x] [-work] [-trimpath] [-buildvcs]\n"
	"                      [-buildmode MODE] [-mod MODE] [-pgo PROFILE] [-tags TAGS] [-gcflags [PATTERN=]FLAGS]\n"
	"                      [-asmflags [PATTERN=]FLAGS] [-ldflags [PATTERN=]FLAGS] [--manifest FILE]\n"
	"                      [--goroot DIR] [PACKAGE | PACKAGE@VERSION]\n"
	"\n"
	"Builds the Go main package PACKAGE (a directory, '.' by default, or an import path) by running\n"
	"$GOROOT/pkg/tool/<host>/{compile,asm,cgo,link} directly: the same commands and bytes as 'go build'\n"
	"with the same flags and environment, without the go command. Module mode as go does it (go.mod,\n"
	"go.work, vendor/, go.sum checked, modules fetched from $GOPROXY); results cached by content.\n"
	"PACKAGE@VERSION (vX.Y.Z or latest) builds it as 'go install PACKAGE@VERSION' does, outside any\n"
	"module, every module checked against the Go checksum database ($GOSUMDB).\n"
	"\n"
	"options:\n"
	"  -C DIR            run in DIR\n"
	"  -o OUT            write the executable to OUT (a directory: OUT/<name>); default ./<name>\n"
	"  -j N              run up to N tools at once (default: the number of CPUs)\n"
	"  -n                print the complete build as a shell script and run nothing\n"
	"  -x                print the commands as they run (and each module fetched)\n"
	"  -a                rebuild every package and relink, cached or not (the results are cached again)\n"
	"  -work             print the work directory's name (WORK=...) on stderr and keep it when done\n"
	"  -trimpath         remove file system paths from the executable\n"
	"  -buildvcs[=auto|true|false]\n"
	"                    stamp the git state (and the main module's version from its tags) into the\n"
	"                    build info; auto (the default) in a git checkout with git on PATH\n"
	"  -buildmode MODE   exe (the default) or pie\n"
	"  -mod MODE         readonly, vendor (the default with vendor/) or mod (never edits go.mod, go.sum)\n"
	"  -pgo PROFILE      auto (the default: the main package's default.pgo), off, or a CPU profile file\n"
	"  -tags TAGS        build tags, comma-separated\n"
	"  -gcflags [PATTERN=]FLAGS\n"
	"                    flags for the Go compiler: for PACKAGE, or the packages PATTERN matches (all,\n"
	"                    std, cmd, path/..., ./dir/...); repeatable, the last match wins\n"
	"  -asmflags [PATTERN=]FLAGS\n"
	"                    flags for the assembler, the same way\n"
	"  -ldflags [PATTERN=]FLAGS\n"
	"                    flags for the Go linker, the same way, e.g. -ldflags='-s -w'\n"
	"  --manifest FILE   write what was built and the symbols the linker placed (docs/formats.md)\n"
	"  --goroot DIR      the Go toolchain (default: $GOROOT, /usr/local/go, or the go on PATH's root)\n"
	"  -h, --help        show this help\n"
	"\n"
	"environment, as go reads it: GOOS, GOARCH, GOAMD64 and the other GO* target variables, CGO_ENABLED,\n"
	"CC and the CGO_* flags, GOFLAGS, GOMODCACHE, GOPATH, GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GOWORK,\n"
	"GOENV; RT0TRACE_CACHE.\n"
	"exit codes: 0 built, 2 usage error, 4 no Go toolchain (or one older than a go.mod's go line), no C\n"
	"compiler (for the target) when cgo needs one, an unreachable module proxy, or unusable cache, 5 the\n"
	"build failed: a go.mod or go.sum error, a checksum mismatch or a checksum database answer that does\n"
	"not verify, a module or version the proxy does not\n"
	"have, a compile error (the tool's own messages are printed first); nothing is written at OUT unless\n"
	"the build succeeds. In depth: man rt0trace-build.\n";

/* go build's flags with a value, spelled with one dash (-ldflags X, -ldflags=X): read as --NAME X. */
struct go_flag {
	const char *name, *long_name;
};

static const struct go_flag *go_value_flag(const char *arg)
{
	static const struct go_flag flags[] = { { "ldflags", "--ldflags" }, { "gcflags", "--gcflags" },
						{ "asmflags", "--asmflags" }, { "buildmode", "--buildmode" },
						{ "mod", "--mod" }, { "pgo", "--pgo" },
						{ "tags", "--tags" } };

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		size_t n = strlen(flags[i].name);

		if (arg[0] == '-' && strncmp(arg + 1, flags[i].name, n) == 0 && (arg[n + 1] == '\0' || arg[n + 1] == '='))
			return &flags[i];
	}
	return NULL;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "manifest", required_argument, NULL, 'm' },
		{ "goroot", required_argument, NULL, 'g' },
		{ "ldflags", required_argument, NULL, 'l' },
		{ "gcflags", required_argument, NULL, 'c' },
		{ "asmflags", required_argument, NULL, 'A' },
		{ "buildmode", required_argument, NULL, 'B' },
		{ "buildvcs", required_argument, NULL, 'v' },
		{ "mod", required_argument, NULL, 'M' },
		{ "trimpath", optional_argument, NULL, 'T' },
		{ "pgo", required_argument, NULL, 'P' },
		{ "tags", required_argument, NULL, 'G' },
		{ "work", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gb_opts o = { .trimpath = -1 };
	struct rt_err err = { 0 };
	char self[PATH_MAX];
	ssize_t n;
	int c;

	/* go build spells its flags with one dash: among the options, read "-ldflags X" and "-ldflags=X"
	 * as "--ldflags X" (go_value_flag), and -trimpath[=BOOL] as --trimpath[=false] (in a copy of argv with
	 * room for the split). */
	char *av[2 * argc + 1];
	const char *ldv[argc + 1], *gcv[argc + 1], *asmv[argc + 1]; /* the values, in argv */
	int ac = 0;
	bool opts_done = false;
	const struct go_flag *go;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i == 0 || opts_done) {
			av[ac++] = argv[i];
		} else if (strcmp(a, "--") == 0 || a[0] != '-') {
			opts_done = true;
			av[ac++] = argv[i];
		} else if ((go = go_value_flag(a)) != NULL) {
			size_t len = strlen(go->name);

			av[ac++] = (char *)go->long_name;
			if (a[len + 1] == '=')
				av[ac++] = argv[i] + len + 2;
			else if (i + 1 < argc)
				av[ac++] = argv[++i]; /* its argument, whatever it looks like */
		} else if (strcmp(a, "-buildvcs") == 0) {
			av[ac++] = (char *)"--buildvcs=true";
		} else if (strncmp(a, "-buildvcs=", 10) == 0) {
			av[ac++] = (char *)"--buildvcs";
			av[ac++] = argv[i] + 10;
		} else if (strcmp(a, "-work") == 0) {
			av[ac++] = (char *)"--work";
		} else if (strcmp(a, "-trimpath") == 0 || strncmp(a, "-trimpath=", 10) == 0) {
			const char *v = a[9] == '=' ? a + 10 : "true";

			if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
				av[ac++] = (char *)"--trimpath";
			else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
				av[ac++] = (char *)"--trimpath=false";
			else
				return cmd_usage_error("build", "invalid boolean value '%s' for -trimpath", v);
		} else {
			av[ac++] = argv[i];
			if ((strcmp(a, "-C") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "-j") == 0 || strcmp(a, "--manifest") == 0 ||
			     strcmp(a, "--goroot") == 0 || (go_value_flag(a + 1) && !strchr(a, '='))) && i + 1 < argc)
				av[ac++] = argv[++i]; /* its argument, whatever it looks like */
		}
	}
	av[ac] = NULL;
	argc = ac;
	argv = av;
	opterr = 0;
	o.ldflags = ldv;
	o.gcflags = gcv;
	o.asmflags = asmv;
	while ((c = getopt_long(argc, argv, "+C:o:j:anxh", opts, NULL)) != -1) {
		switch (c) {
		case 'C': o.dir = optarg; break;
		case 'o': o.out = optarg; break;
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 1024)
				return cmd_usage_error("build", "-j wants a number from 1 to 1024, not '%s'", optarg);
			o.jobs = (int)v;
			break;
		}
		case 'a': o.rebuild_all = true; break;
		case 'W': o.keep_work = true; break;
		case 'n': o.dry_run = true; break;
		case 'x': o.print_cmds = true; break;
		case 'm': o.manifest = optarg; break;
		case 'g': o.goroot = optarg; break;
		case 'l': ldv[o.nldflags++] = optarg; break;
		case 'c': gcv[o.ngcflags++] = optarg; break;
		case 'A': asmv[o.nasmflags++] = optarg; break;
		case 'T': o.trimpath = !optarg || strcmp(optarg, "false") != 0; break; /* "false" only from above */
		case 'G': o.tags = optarg; break;
		case 'P':
			if (!*optarg)
				return cmd_usage_error("build", "-pgo wants auto, off or a profile file");
			o.pgo = optarg;
			break;
		case 'v':
			if (!(o.buildvcs = gb_buildvcs_mode(optarg)))
				return cmd_usage_error("build", "invalid -buildvcs=%s: want auto, true or false", optarg);
			break;
		case 'B':
			if (!gb_valid_buildmode(optarg))
				return cmd_usage_error("build", "-buildmode=%s: rt0trace builds exe and pie (default: exe, as go on linux)",
						       optarg);
			o.buildmode = optarg;
			break;
		case 'M':
			if (!gb_valid_mod_mode(optarg))
				return cmd_usage_error("build", "invalid -mod=%s: want readonly, mod or vendor", optarg);
			o.mod = optarg;
			break;
		case 'h': fputs(build_usage, stdout); return RT_EXIT_OK;
		case ':': return cmd_usage_error("build", "option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt && strchr("Coj", optopt))
				return cmd_usage_error("build", "option '-%c' needs an argument", optopt);
			return cmd_unknown_option("build", argv);
		}
	}
	if (argc - optind > 1)
		return cmd_usage_error("build", "one PACKAGE expected, got %d", argc - optind);
	o.pattern = optind < argc ? argv[optind] : ".";
	o.progress = true;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		o.self = self;
	}
	if (o.manifest && o.dry_run)
		return cmd_usage_error("build", "--manifest needs a real build, not -n");
	if (gb_build(&o, &err) != 0)
		return rt_err_report(&err);
	return RT_EXIT_OK;
}
