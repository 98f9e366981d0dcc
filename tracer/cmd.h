/*
 * Subcommands of the rt0trace executable, one file each (tracer/cmd_<name>.c). Each takes the argv that
 * follows its name (argv[0] is the subcommand name), parses it with getopt_long, and returns the process
 * exit code of docs/formats.md: 0 success, 1 check failed, 2 usage, 3 input unusable, 4 environment, 5 build.
 */
#ifndef RT0_TRACER_CMD_H
#define RT0_TRACER_CMD_H

struct rt_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int cmd_inspect(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_tool(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_mod(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_image(int argc, char **argv);

/* Prints "rt0trace <cmd>: <msg>" plus a pointer to --help on stderr; returns RT_EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt's '?' for an option it does not know: the letter (also inside a cluster such as -Zq, where
 * argv[optind - 1] is still the word before), else the long option's word. Returns RT_EXIT_USAGE. */
int cmd_unknown_option(const char *cmd, char **argv);

#endif
