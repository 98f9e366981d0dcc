/* libFuzzer: the ELF and Go reader (probes/) on any file, through everything `inspect` and the probe
 * planner do: ELF headers, symbols, .init_array, Go build info, module info, init order, the pclntab
 * (function lookup and SP deltas), the phase catalog and the planned probes and their uprobe sites. */
#include <unistd.h>

#include "fuzz_common.h"
#include "probes/binary.h"
#include "probes/gopcln.h"
#include "probes/gophases.h"
#include "probes/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	struct rt_err err = { 0 };
	struct rt_binary *b = NULL;

	if (rt_binary_open(&b, path, &err) == 0) {
		const struct rt_elf *e = b->elf;
		json_t *j = rt_binary_json(b);
		char *s = json_dumps(j, JSON_COMPACT);
		struct rt_probe_plan plan = { 0 };
		struct rt_phase ph[16];
		struct rt_gopcln *pc = rt_gopcln_open(e);
		uint64_t off;

		free(s);
		json_decref(j);
		rt_probe_plan(b, &plan);
		for (size_t i = 0; i < plan.n; i++) {
			(void)rt_probe_site(e, plan.p[i].addr);
			(void)rt_elf_sym_at(e, plan.p[i].addr, &off);
		}
		rt_probe_plan_free(&plan);
		(void)rt_go_phases(e, ph, sizeof(ph) / sizeof(ph[0]));
		(void)rt_elf_sym_at(e, e->entry, &off);
		(void)rt_elf_bytes(e, e->entry, 16);
		/* the unwinder's lookups: each symbol's entry and a PC inside it */
		for (size_t i = 0; pc && i < e->nsyms && i < 64; i++) {
			struct rt_gofunc f;
			uint64_t a = e->syms[i].addr;

			if (rt_gopcln_func(pc, a, &f))
				(void)rt_gopcln_spdelta(pc, &f, a);
			if (rt_gopcln_func(pc, a + e->syms[i].size / 2, &f))
				(void)rt_gopcln_spdelta(pc, &f, a + e->syms[i].size / 2);
		}
		rt_gopcln_free(pc);
	}
	rt_binary_free(b);
	close(fd);
	return 0;
}
