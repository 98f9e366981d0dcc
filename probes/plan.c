#include "probes/plan.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/xalloc.h"

static void add_kind(struct rt_probe_plan *pl, size_t *cap, uint64_t addr, const char *sym, const char *pkg,
		     enum rt_phase_role role, enum rt_phase_kind kind)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->p[i].addr == addr)
			return; /* one probe an address: the first meaning wins */
	pl->p = xgrow(pl->p, cap, pl->n + 1, sizeof(*pl->p));
	pl->p[pl->n++] = (struct rt_probe){ .addr = addr, .symbol = xstrdup(sym ? sym : "?"),
					    .package = pkg ? xstrdup(pkg) : NULL, .role = role, .kind = kind };
}

static void add(struct rt_probe_plan *pl, size_t *cap, uint64_t addr, const char *sym, const char *pkg,
		enum rt_phase_role role)
{
	add_kind(pl, cap, addr, sym, pkg, role, RT_PH_NONE);
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

bool rt_probe_plan_ready(const struct rt_binary *b, const char *symbol, struct rt_probe_plan *plan)
{
	const struct rt_elf_sym *s = b && b->elf ? rt_elf_sym_by_name(b->elf, symbol) : NULL;
	size_t cap = plan->n;

	if (!s || !s->addr)
		return false;
	add(plan, &cap, s->addr, s->name, NULL, RT_ROLE_READY);
	return true;
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
				add_kind(out, &cap, ph[i].addr, ph[i].symbol, NULL, ph[i].role, ph[i].kind);
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
				add_kind(out, &cap, ph[i].addr, ph[i].symbol, NULL, ph[i].role, ph[i].kind);
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

const struct rt_probe *rt_plan_find(const struct rt_probe_plan *pl, enum rt_phase_kind kind)
{
	for (size_t i = 0; kind != RT_PH_NONE && i < pl->n; i++)
		if (pl->p[i].kind == kind)
			return &pl->p[i];
	return NULL;
}

const struct rt_probe *rt_plan_find_at(const struct rt_probe_plan *pl, enum rt_phase_role role, uint64_t addr)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->p[i].role == role && pl->p[i].addr == addr)
			return &pl->p[i];
	return NULL;
}

/* Where a jump at the start of `addr` goes (e9 rel32 / eb rel8, after an endbr64), or 0. */
static uint64_t jump_target(const struct rt_elf *e, uint64_t addr)
{
	const unsigned char *c = rt_elf_bytes(e, addr, 9);
	static const unsigned char endbr[] = { 0xf3, 0x0f, 0x1e, 0xfa };

	if (!c)
		return 0;
	if (memcmp(c, endbr, 4) == 0) {
		c += 4;
		addr += 4;
	}
	if (c[0] == 0xe9) {
		int32_t rel;

		memcpy(&rel, c + 1, 4);
		return addr + 5 + (uint64_t)(int64_t)rel;
	}
	if (c[0] == 0xeb)
		return addr + 2 + (uint64_t)(int64_t)(int8_t)c[1];
	return 0;
}

/* Whether the shim sees probe `pr` of a Go program: through the libc call the runtime makes there. */
static bool preload_sees_go(const struct rt_elf *e, const struct rt_probe *pr, const struct rt_preload_view *v)
{
	if (pr->role == RT_ROLE_ENTRY)
		return pr->addr == e->entry;
	switch (pr->kind) {
	case RT_PH_RT0_GO:
		return v->rt0_via_main || rt_elf_sym_by_name(e, "x_cgo_init") != NULL;
	case RT_PH_SCHEDINIT:
		return rt_elf_sym_by_name(e, "x_cgo_mmap") != NULL;
	case RT_PH_RUNTIME_MAIN:
		return rt_elf_sym_by_name(e, "_cgo_try_pthread_create") != NULL;
	default:
		return false; /* package inits, runtime.gcenable, main.main, the fatal path */
	}
}

void rt_probe_plan_preload(const struct rt_binary *b, bool entry_patched, struct rt_probe_plan *out,
			   struct rt_preload_view *v)
{
	const struct rt_elf *e = b->elf;
	const struct rt_elf_sym *cmain = rt_elf_sym_by_name(e, "main"), *rt0 = rt_elf_sym_by_name(e, "runtime.rt0_go");
	struct rt_probe_plan base;
	bool has_entry = false;

	rt_probe_plan(b, &base);
	for (size_t i = 0; i < base.n; i++)
		has_entry = has_entry || base.p[i].role == RT_ROLE_ENTRY;
	v->go = b->go && rt_elf_sym_by_name(e, "runtime.main");
	v->rt0_via_main = cmain && rt0 && jump_target(e, cmain->addr) == rt0->addr;
	out->p = xcalloc(base.n + 1, sizeof(*out->p));
	out->n = 0;
	if (!has_entry && !e->is_static)
		out->p[out->n++] = (struct rt_probe){ .addr = e->entry, .role = RT_ROLE_ENTRY,
						      .symbol = xstrdup(b->entry_sym ? b->entry_sym->name : "entry") };
	for (size_t i = 0; i < base.n; i++)
		out->p[out->n++] = base.p[i]; /* takes the strings */
	free(base.p);
	for (size_t i = 0; i < out->n; i++) {
		struct rt_probe *pr = &out->p[i];

		if (v->go)
			pr->unobservable = !preload_sees_go(e, pr, v) ||
					   /* the entry not patched: only a call of __libc_start_main from the entry
					    * code can stand for it, and a Go program whose C main is not the
					    * runtime's trampoline (internally linked, or no cgo) makes none */
					   (pr->role == RT_ROLE_ENTRY && !entry_patched && !v->rt0_via_main);
		else
			pr->unobservable = pr->role == RT_ROLE_FATAL;
	}
}

void rt_past_read(const struct rt_binary *b, uint64_t bias, rt_mem_read32 rd, void *arg, struct rt_past *ps)
{
	const struct rt_go_info *g = b->go;
	const struct rt_elf_sym *ms = rt_elf_sym_by_name(b->elf, "runtime.mainStarted");
	bool ok = true, all_done = true;
	uint32_t v = 0;

	memset(ps, 0, sizeof(*ps));
	if (!g || !g->init_known || !ms)
		return;
	ok = rd(arg, ms->addr + bias, &v);
	ps->main_started = (v & 0xff) != 0;
	for (size_t i = 0; i < g->ninit; i++) {
		uint32_t state = 0;

		if (!rd(arg, g->init[i].task + bias, &state))
			ok = false;
		if (state != 0) {
			strv_push(&ps->pkgs, g->init[i].package);
			if (i >= g->ninit_runtime) /* past the runtime's own tasks: gcenable's moment is past */
				ps->gcenable = true;
		}
		if (state != 2)
			all_done = false;
	}
	ps->main_main = all_done;
	ps->known = ok;
}

void rt_past_release(struct rt_past *ps)
{
	strv_release(&ps->pkgs);
}

bool rt_past_probe(const struct rt_past *ps, const struct rt_probe *pr, bool attaching)
{
	if (!attaching)
		return false;
	if (!ps->known) /* not Go, or unreadable: everything before now is past */
		return true;
	switch (pr->role) {
	case RT_ROLE_ENTRY:
		return true;
	case RT_ROLE_INIT:
		return pr->package && strv_has(&ps->pkgs, pr->package);
	case RT_ROLE_MAIN:
		return ps->main_main;
	case RT_ROLE_FATAL:
	case RT_ROLE_READY:
		return false;
	case RT_ROLE_PHASE:
		if (pr->kind == RT_PH_GCENABLE)
			return ps->gcenable;
		return ps->main_started || pr->kind == RT_PH_RT0_GO;
	}
	return false;
}

json_t *rt_probe_plan_json(const struct rt_probe_plan *pl, const struct rt_past *ps, bool attaching)
{
	json_t *probes = json_array();

	for (size_t i = 0; i < pl->n; i++) {
		const struct rt_probe *p = &pl->p[i];
		json_t *pr = json_object();

		json_object_set_new(pr, "symbol", json_string(p->symbol));
		json_object_set_new(pr, "addr", json_hex(p->addr));
		json_object_set_new(pr, "role", json_string(rt_phase_role_name(p->role)));
		if (p->package)
			json_object_set_new(pr, "package", json_string(p->package));
		if (p->unplaced)
			json_object_set_new(pr, "placed", json_false());
		if (rt_past_probe(ps, p, attaching))
			json_object_set_new(pr, "past", json_true());
		if (p->unobservable)
			json_object_set_new(pr, "observable", json_false());
		json_array_append_new(probes, pr);
	}
	return probes;
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
