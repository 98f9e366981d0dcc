/*
 * rt0trace tool: the two steps of `rt0trace build -n` recipes that no Go distribution ships a binary for,
 * `tool pack r ARCHIVE FILES...` and `tool buildid [-w] FILE` (pipeline/buildid.h does the work).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "pipeline/buildid.h"
#include "probes/elf.h"
#include "probes/goinfo.h"
#include "tracer/cmd.h"

/* The build ID a file carries: an ELF's Go note, or an archive's `build id "..."` header line. */
static char *read_build_id(const char *path, struct rt_err *err)
{
	struct rt_elf *e;
	FILE *f;
	char buf[4096], *p, *q;
	size_t n;

	if (rt_elf_open(&e, path, NULL) == 0) {
		char *id = rt_go_build_id(e);

		rt_elf_free(e);
		if (!id)
			rt_errf(err, RT_EXIT_INPUT, "'%s' has no Go build ID", path);
		return id;
	}
	if (!(f = fopen(path, "rb")))
		return rt_errf(err, RT_EXIT_INPUT, "cannot open '%s': %s", path, strerror(errno)), NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	if (!(p = strstr(buf, "build id \"")) || !(q = strchr(p + 10, '"')))
		return rt_errf(err, RT_EXIT_INPUT, "'%s' has no Go build ID", path), NULL;
	return xstrndup(p + 10, (size_t)(q - p - 10));
}

static const char tool_usage[] = "usage: rt0trace tool pack r ARCHIVE FILE...\n"
				 "       rt0trace tool buildid [-w] FILE\n";

int cmd_tool(int argc, char **argv)
{
	struct rt_err err = { 0 };

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("%s\n"
		       "The steps of 'rt0trace build -n' recipes that go runs as 'go tool pack' and 'go tool buildid':\n"
		       "  pack r ARCHIVE FILE...  append each FILE to the Go archive ARCHIVE, as 'go tool pack r'\n"
		       "  buildid FILE            print FILE's Go build ID\n\n"
		       "options:\n"
		       "  -w          (buildid) rewrite FILE's build ID to the one its content gives, as 'go tool buildid -w'\n"
		       "  -h, --help  show this help\n\n"
		       "exit codes: 0 done, 2 usage error, 3 (buildid) FILE cannot be opened or has no Go build ID,\n"
		       "            5 a file cannot be read or written, or its build ID cannot be rewritten\n",
		       tool_usage);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "pack") == 0 && strcmp(argv[2], "r") == 0) {
		if (gb_pack_append(argv[3], argv + 4, (size_t)(argc - 4), &err) != 0)
			return rt_err_report(&err);
		return 0;
	}
	if ((argc == 3 || (argc == 4 && strcmp(argv[2], "-w") == 0)) && strcmp(argv[1], "buildid") == 0) {
		bool write = argc == 4 && strcmp(argv[2], "-w") == 0;
		const char *file = argv[argc - 1];
		char *id = read_build_id(file, &err), newid[256];

		if (!id)
			return rt_err_report(&err);
		if (write && (strlen(id) >= sizeof(newid) || gb_buildid_rewrite(file, id, newid, NULL, &err) != 0)) {
			free(id);
			return rt_err_report(&err);
		}
		if (!write) /* like go tool buildid: -w rewrites silently */
			printf("%s\n", id);
		free(id);
		return 0;
	}
	fputs(tool_usage, stderr);
	return RT_EXIT_USAGE;
}
