#include "probes/plan.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static void add(struct rt_probe_plan *pl, size_t *cap, uint64_t addr, const char *sym, const char *pkg,
		enum rt_phase_role role)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->p[i].addr == addr)
			return; /* one probe an address: the first meaning wins */
	pl->p = xgrow(pl->p, cap, pl->n + 1, sizeof(*pl->p));
	pl->p[pl->n++] = (struct rt_probe){ addr, xstrdup(sym ? sym : "?"), pkg ? xstrdup(pkg) : NULL, role, false };
}

/* The package of a Go init function's symbol, "PKG.init" or "PKG.init.N" (malloc'd, the linker's %xx
 * escapes of the last path element decoded), or NULL for another name. The linker escapes every '.' of
 * a path's last element, so a '.' there ends the package: "go/parser.map.init.0" (a map literal's
 * initializer, which the package's init calls) is no package's init function. */
static char *init_fn_package(const char *name)
{
	size_t n = strlen(name), k = n;
	const char *slash = strrchr(name, '/'), *dot = strchr(slash ? slash : name, '.');

	while (k > 0 && name[k - 1] >= '0' && name[k - 1] <= '9')
		k--;
	if (k < n && k > 0 && name[k - 1] == '.') /* ".N" */
		k--;
	else
		k = n;
	if (k < 6 || strncmp(name + k - 5, ".init", 5) != 0 || dot != name + k - 5)
		return NULL;
	return rt_go_unescape_path(name, k - 5);
}

static const struct rt_manifest *plan_manifest; /* run --manifest */

void rt_probe_plan_manifest(const struct rt_manifest *m)
{
	plan_manifest = m;
}

const char *rt_probe_plan_manifest_of(const struct rt_binary *b)
{
	if (!plan_manifest || !b || !b->go || !b->go->build_id || strcmp(b->go->build_id, plan_manifest->build_id) != 0)
		return NULL;
	return plan_manifest->path;
}

/* run --manifest on a stripped binary: its init probes, out->p[from..], in the manifest's placed order
 * (a package's own probes in theirs) and marked placed; a package the order lacks stays unplaced, last. */
static void place_named_inits(const struct rt_binary *b, struct rt_probe_plan *out, size_t from)
{
	struct strv pkgs = STRV_INIT, order = STRV_INIT;
	struct rt_probe *sorted;
	size_t n = 0;

	for (size_t i = from; i < out->n; i++)
		if (!strv_has(&pkgs, out->p[i].package))
			strv_push(&pkgs, out->p[i].package);
	if (rt_probe_plan_manifest_of(b) && rt_manifest_init_order(plan_manifest, b->go->build_id, &pkgs, &order)) {
		sorted = xcalloc(out->n - from + 1, sizeof(*sorted));
		for (size_t k = 0; k <= order.n; k++)
			for (size_t i = from; i < out->n; i++)
				if (k < order.n ? strcmp(out->p[i].package, order.v[k]) == 0 : !strv_has(&order, out->p[i].package)) {
					sorted[n] = out->p[i];
					sorted[n++].unplaced = k == order.n;
				}
		memcpy(out->p + from, sorted, n * sizeof(*sorted));
		free(sorted);
	}
	strv_release(&pkgs);
	strv_release(&order);
}

/* A stripped Go binary has no inittasks symbols, so no placed order and no first function of each
 * package: every init function the pclntab names is probed; the first hit of a package begins it. */
static void plan_named_inits(const struct rt_binary *b, struct rt_probe_plan *out, size_t *cap)
{
	for (size_t i = 0; i < b->elf->nsyms; i++) {
		const struct rt_elf_sym *s = &b->elf->syms[i];
		char *pkg = s->type == STT_FUNC ? init_fn_package(s->name) : NULL;

		if (pkg && !strpbrk(pkg, "(*[")) { /* not a method named init */
			size_t n = out->n;

			add(out, cap, s->addr, s->name, pkg, RT_ROLE_INIT);
			if (out->n > n)
				out->p[n].unplaced = true;
		}
		free(pkg);
	}
}

void rt_probe_plan(const struct rt_binary *b, struct rt_probe_plan *out)
{
	rt_probe_plan_flags(b, 0, out);
}

void rt_probe_plan_flags(const struct rt_binary *b, unsigned flags, struct rt_probe_plan *out)
{
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (b->go && rt_elf_sym_by_name(b->elf, "runtime.main")) {
		struct rt_phase ph[16];
		size_t n = rt_go_phases(b->elf, ph, 16);

		for (size_t i = 0; i < n; i++)
			if (ph[i].symbol && ph[i].role != RT_ROLE_MAIN)
				add(out, &cap, ph[i].addr, ph[i].symbol, NULL, ph[i].role);
		for (size_t i = 0; b->go->init_known && i < b->go->ninit; i++)
			for (size_t k = 0; k < b->go->init[i].nfns && (k == 0 || (flags & RT_PLAN_INIT_FUNCTIONS)); k++)
				add(out, &cap, b->go->init[i].fns[k].addr, b->go->init[i].fns[k].symbol, b->go->init[i].package,
				    RT_ROLE_INIT);
		if (!b->go->init_known && b->elf->syms_from_go) {
			size_t from = out->n;

			plan_named_inits(b, out, &cap);
			place_named_inits(b, out, from);
		}
		for (size_t i = 0; i < n; i++)
			if (ph[i].symbol && ph[i].role == RT_ROLE_MAIN)
				add(out, &cap, ph[i].addr, ph[i].symbol, NULL, ph[i].role);
		for (size_t i = 0; rt_go_fatal_path[i]; i++) {
			const struct rt_elf_sym *s = rt_elf_sym_by_name(b->elf, rt_go_fatal_path[i]);

			if (s)
				add(out, &cap, s->addr, s->name, NULL, RT_ROLE_FATAL);
		}
		return;
	}
	add(out, &cap, b->elf->entry, b->entry_sym ? b->entry_sym->name : "entry", NULL, RT_ROLE_ENTRY);
	for (size_t i = 0; i < b->ninit_array; i++)
		if (b->init_array[i].addr && b->init_array[i].addr != (uint64_t)-1)
			add(out, &cap, b->init_array[i].addr, b->init_array[i].symbol, NULL, RT_ROLE_INIT);
	{
		const struct rt_elf_sym *m = rt_elf_sym_by_name(b->elf, "main");

		if (m && m->type == 2 /* STT_FUNC */)
			add(out, &cap, m->addr, "main", NULL, RT_ROLE_MAIN);
	}
}

void rt_probe_plan_free(struct rt_probe_plan *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->p[i].symbol);
		free(pl->p[i].package);
	}
	free(pl->p);
	memset(pl, 0, sizeof(*pl));
}

/* The length of a conditional branch (jcc rel8 / jcc rel32) at `c`, or 0. */
static size_t jcc_len(const unsigned char *c, size_t n)
{
	if (n >= 2 && c[0] >= 0x70 && c[0] <= 0x7f)
		return 2;
	if (n >= 6 && c[0] == 0x0f && c[1] >= 0x80 && c[1] <= 0x8f)
		return 6;
	return 0;
}

size_t rt_probe_site_x86(const unsigned char *c, size_t n)
{
	static const unsigned char cmp_rsp[] = {0x49, 0x3b, 0x66, 0x10}; /* cmp rsp,[r14+0x10] */
	static const unsigned char cmp_r12[] = {0x4d, 0x3b, 0x66, 0x10}; /* cmp r12,[r14+0x10] */
	size_t k = 0;

	if (n >= 5 && c[0] == 0x4c && c[1] == 0x8d && c[2] == 0x64 && c[3] == 0x24)
		k = 5; /* lea r12,[rsp+disp8] */
	else if (n >= 8 && c[0] == 0x4c && c[1] == 0x8d && c[2] == 0xa4 && c[3] == 0x24)
		k = 8; /* lea r12,[rsp+disp32] */
	if (k) {
		if (n - k < sizeof(cmp_r12) || memcmp(c + k, cmp_r12, sizeof(cmp_r12)) != 0)
			return 0;
		k += sizeof(cmp_r12);
	} else if (n >= sizeof(cmp_rsp) && memcmp(c, cmp_rsp, sizeof(cmp_rsp)) == 0) {
		k = sizeof(cmp_rsp);
	} else if (n >= 7 && c[0] == 0x80 && c[1] == 0x3d) {
		k = 7; /* cmp byte [rip+disp32],imm8 */
	} else {
		return 0;
	}
	return jcc_len(c + k, n - k) ? k : 0;
}

uint64_t rt_probe_site(const struct rt_elf *e, uint64_t addr)
{
	enum { WINDOW = 16 };
	const unsigned char *c;

	if (e->machine != EM_X86_64 || !(c = rt_elf_bytes(e, addr, WINDOW)))
		return addr;
	return addr + rt_probe_site_x86(c, WINDOW);
}
