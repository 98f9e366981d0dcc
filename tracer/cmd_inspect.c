/* rt0trace inspect: what a binary's build placed in it, as text or as docs/formats.md's JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "probes/binary.h"
#include "tracer/cmd.h"

static const char inspect_usage[] =
	"usage: rt0trace inspect [--json] BINARY\n"
	"\n"
	"Prints what the build placed in an ELF binary: architecture, type (PIE, static), the entry address\n"
	"and the symbol there, program headers, sections, .init_array, and for Go binaries the Go version,\n"
	"build ID, module information and the package-init order the linker placed (go:runtime.inittasks\n"
	"then go:main.inittasks). Facts that cannot be read are listed under 'notes' with the reason.\n"
	"Works on any architecture's ELF (amd64, arm64, arm, ...).\n"
	"\n"
	"options:\n"
	"  --json      print one JSON object (shape: docs/formats.md, 'rt0trace inspect --json')\n"
	"  -h, --help  show this help\n"
	"\n"
	"exit codes: 0 printed, 2 usage error, 3 the file is missing, unreadable or not a valid ELF\n";

static void print_text(const struct rt_binary *b)
{
	const struct rt_elf *e = b->elf;
	const struct rt_go_info *g = b->go;
	char tb[16], fb[4];

	printf("%s\n", e->path);
	printf("  arch      %s (ELF%d, %s-endian)\n", e->arch, e->elfclass == 2 ? 64 : 32,
	       e->big_endian ? "big" : "little");
	printf("  type      %s, %s, %s", rt_elf_type_name(e->type), e->pie ? "PIE" : "not PIE",
	       e->is_static ? "static" : "dynamic");
	if (e->interp)
		printf(" (interpreter %s)", e->interp);
	putchar('\n');
	printf("  entry     0x%llx %s\n", (unsigned long long)e->entry, b->entry_sym ? b->entry_sym->name : "(no symbol)");
	printf("  symbols   %zu%s\n", e->nsyms, e->has_symtab ? "" : e->syms_from_go ? " (functions from the Go pclntab: stripped)" : " (dynamic only: stripped)");

	printf("\nsegments\n  %-13s %-18s %-10s %s\n", "TYPE", "VADDR", "MEMSZ", "FLAGS");
	for (size_t i = 0; i < e->nsegs; i++)
		printf("  %-13s 0x%-16llx 0x%-8llx %s\n", rt_elf_seg_type_name(e->segs[i].type, tb),
		       (unsigned long long)e->segs[i].vaddr, (unsigned long long)e->segs[i].memsz,
		       rt_elf_flags_str(e->segs[i].flags, fb));

	printf("\nsections\n  %-22s %-18s %s\n", "NAME", "ADDR", "SIZE");
	for (size_t i = 0; i < e->nsecs; i++)
		printf("  %-22s 0x%-16llx 0x%llx\n", e->secs[i].name, (unsigned long long)e->secs[i].addr,
		       (unsigned long long)e->secs[i].size);

	printf("\ninit_array (%zu)\n", b->ninit_array);
	for (size_t i = 0; i < b->ninit_array; i++)
		printf("  0x%-16llx %s\n", (unsigned long long)b->init_array[i].addr,
		       b->init_array[i].symbol ? b->init_array[i].symbol : "(no symbol)");

	if (g) {
		printf("\ngo\n  version   %s\n  build id  %s\n", g->version ? g->version : "(unknown)",
		       g->build_id ? g->build_id : "(none)");
		if (g->main_path)
			printf("  path      %s\n", g->main_path);
		if (g->mod)
			printf("  module    %s %s\n", g->mod->path, g->mod->version ? g->mod->version : "");
		for (size_t i = 0; i < g->ndeps; i++)
			printf("  dep       %s %s%s%s\n", g->deps[i].path, g->deps[i].version ? g->deps[i].version : "",
			       g->deps[i].replace ? " => " : "", g->deps[i].replace ? g->deps[i].replace->path : "");
		for (size_t i = 0; i < g->nsettings; i++)
			printf("  build     %s=%s\n", g->settings[i].key, g->settings[i].value);
		if (g->init_known) {
			size_t nfn = 0;

			for (size_t i = 0; i < g->ninit; i++)
				nfn += g->init[i].nfns;
			printf("\ninit order (placed by the linker: %zu packages, %zu functions)\n", g->ninit, nfn);
			for (size_t i = 0; i < g->ninit; i++) {
				printf("  %3zu  %s\n", i + 1, g->init[i].package);
				for (size_t k = 0; k < g->init[i].nfns; k++)
					printf("         0x%-12llx %s\n", (unsigned long long)g->init[i].fns[k].addr,
					       g->init[i].fns[k].symbol ? g->init[i].fns[k].symbol : "(no symbol)");
			}
		}
	} else {
		printf("\ngo        not a Go binary\n");
	}
	if (b->notes.n) {
		printf("\nnotes\n");
		for (size_t i = 0; i < b->notes.n; i++)
			printf("  - %s\n", b->notes.v[i]);
	}
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rt_err err = { 0 };
	struct rt_binary *b;
	int json = 0, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': fputs(inspect_usage, stdout); return RT_EXIT_OK;
		default: return cmd_unknown_option("inspect", argv);
		}
	}
	if (optind == argc)
		return cmd_usage_error("inspect", "missing BINARY");
	if (argc - optind > 1)
		return cmd_usage_error("inspect", "one BINARY expected, got %d arguments", argc - optind);
	if (rt_binary_open(&b, argv[optind], &err) != 0)
		return rt_err_report(&err);
	if (json) {
		json_t *o = rt_binary_json(b);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		print_text(b);
	}
	rt_binary_free(b);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rt_errf(&err, RT_EXIT_ENV, "cannot write to standard output: %m");
		return rt_err_report(&err);
	}
	return RT_EXIT_OK;
}
