#include "probes/gophases.h"

#include <stdio.h>

/* The catalog is the same for every architecture Go supports on linux; only the entry stub's name
 * carries the GOARCH. */
static const struct {
	const char *name;
	enum rt_phase_role role;
	enum rt_phase_kind kind;
} catalog[] = {
	{ NULL, RT_ROLE_ENTRY, RT_PH_ENTRY }, /* _rt0_<arch>_linux */
	{ "runtime.rt0_go", RT_ROLE_PHASE, RT_PH_RT0_GO },
	{ "runtime.schedinit", RT_ROLE_PHASE, RT_PH_SCHEDINIT },
	{ "runtime.main", RT_ROLE_PHASE, RT_PH_RUNTIME_MAIN },
	{ "runtime.gcenable", RT_ROLE_PHASE, RT_PH_GCENABLE },
	{ "main.main", RT_ROLE_MAIN, RT_PH_MAIN_MAIN },
};

const char *const rt_go_fatal_path[] = { "runtime.fatalpanic", "runtime.fatalthrow", "runtime.dieFromSignal", NULL };

size_t rt_go_phases(const struct rt_elf *e, struct rt_phase *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]) && n < max; i++) {
		struct rt_phase *p = &out[n++];
		const struct rt_elf_sym *s;

		if (catalog[i].name)
			snprintf(p->name, sizeof(p->name), "%s", catalog[i].name);
		else
			snprintf(p->name, sizeof(p->name), "_rt0_%s_linux", e->arch);
		s = rt_elf_sym_by_name(e, p->name);
		/* Linked externally (cgo), the program starts in libc's _start, which calls the runtime's C
		 * `main`; the stub never runs. The entry is then what the ELF entry names. */
		if (!catalog[i].name && e->entry && (!s || s->addr != e->entry)) {
			uint64_t off;
			const struct rt_elf_sym *at = rt_elf_sym_at(e, e->entry, &off);

			s = at && off == 0 ? at : NULL;
			if (s)
				snprintf(p->name, sizeof(p->name), "%s", s->name);
		}
		p->symbol = s ? s->name : NULL;
		p->addr = s ? s->addr : 0;
		p->role = catalog[i].role;
		p->kind = catalog[i].kind;
	}
	return n;
}

const char *rt_phase_role_name(enum rt_phase_role r)
{
	switch (r) {
	case RT_ROLE_ENTRY: return "entry";
	case RT_ROLE_PHASE: return "phase";
	case RT_ROLE_INIT: return "init";
	case RT_ROLE_MAIN: return "main";
	case RT_ROLE_FATAL: return "fatal";
	case RT_ROLE_READY: return "ready";
	}
	return "?";
}
