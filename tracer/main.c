/* rt0trace: explain a program's startup, from its first instruction to main. Subcommand dispatch. */
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "tracer/cmd.h"

static const struct rt_cmd commands[] = {
	{ "agent", "trace every container start on this machine (eBPF), one trace and report each", cmd_agent },
	{ "bench", "time a program's startup over N traced runs and store it as a baseline", cmd_bench },
	{ "build", "build a Go program with the toolchain's own tools (no go command) and a manifest", cmd_build },
	{ "check", "compare a program's startup, phase by phase, with a baseline from bench", cmd_check },
	{ "compare", "A/B of two builds: their startup, phases, memory and size side by side, with verdicts", cmd_compare },
	{ "image", "make a minimal, reproducible OCI image (directory or archive) of a static program", cmd_image },
	{ "inspect", "print what a binary's build placed in it: entry, segments, Go init order", cmd_inspect },
	{ "mod", "download Go modules into the module cache go uses (through GOPROXY), verify them", cmd_mod },
	{ "report", "render a trace: phases, syscalls per phase, layout, init order, and the checks", cmd_report },
	{ "run", "trace a program's startup: syscalls, threads, phases, init order, memory layout", cmd_run },
	{ "tool", "the pack and buildid steps of 'build -n' recipes", cmd_tool },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: rt0trace [--version] [--help] COMMAND [ARGS...]\n\n"
		   "Explains a program's startup: what a binary does from its first instruction to main,\n"
		   "and whether that matches what its build put there.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'rt0trace COMMAND --help' describes a command.\n"
		   "exit codes: 0 success, 1 a check failed, 2 usage error, 3 input unusable,\n"
		   "            4 environment missing, 5 build failed\n");
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rt0trace %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'rt0trace %s --help'.\n", cmd);
	return RT_EXIT_USAGE;
}

int cmd_unknown_option(const char *cmd, char **argv)
{
	if (optopt)
		return cmd_usage_error(cmd, "unknown option '-%c'", optopt);
	return cmd_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return RT_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return RT_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("rt0trace %s\n", RT0_VERSION);
		return RT_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		fprintf(stderr, "rt0trace: unknown option '%s'\n", argv[1]);
	else
		fprintf(stderr, "rt0trace: unknown command '%s'\n", argv[1]);
	fprintf(stderr, "Try 'rt0trace --help'.\n");
	return RT_EXIT_USAGE;
}
