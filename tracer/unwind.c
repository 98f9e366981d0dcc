/* tracer/unwind: libunwind-ptrace stepping, probes/ naming, libdw lines (see unwind.h). */
#include "tracer/unwind.h"

#include <elf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <libunwind-ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "common/json.h"
#include "common/xalloc.h"
#include "probes/elf.h"
#include "probes/gopcln.h"
#include "tracer/maps.h"

#define MAX_FRAMES 64

struct module {
	char *path;            /* as the process maps it */
	struct rt_elf *elf;    /* NULL when it could not be opened */
	struct rt_gopcln *pcln; /* Go's function table, or NULL */
	Dwarf *dw;             /* NULL without DWARF */
	int dwfd;
	bool tried;
};

struct mapping {
	uint64_t start, end, offset;
	size_t module;         /* index into modules */
};

struct rt_unwinder {
	pid_t pid;
	struct mapping *maps;
	size_t nmaps, mapcap;
	struct module *mods;
	size_t nmods, modcap;
	unw_addr_space_t as;
};

static size_t module_index(struct rt_unwinder *u, const char *path)
{
	for (size_t i = 0; i < u->nmods; i++)
		if (strcmp(u->mods[i].path, path) == 0)
			return i;
	u->mods = xgrow(u->mods, &u->modcap, u->nmods + 1, sizeof(*u->mods));
	memset(&u->mods[u->nmods], 0, sizeof(*u->mods));
	u->mods[u->nmods].path = xstrdup(path);
	u->mods[u->nmods].dwfd = -1;
	return u->nmods++;
}

static void add_mapping(const struct rt_map *m, void *arg)
{
	struct rt_unwinder *u = arg;

	if (m->path[0] != '/' || m->inode == 0)
		return; /* only file mappings can be named */
	u->maps = xgrow(u->maps, &u->mapcap, u->nmaps + 1, sizeof(*u->maps));
	u->maps[u->nmaps++] = (struct mapping){ m->start, m->end, m->offset, module_index(u, m->path) };
}

struct rt_unwinder *rt_unwinder_new(pid_t pid)
{
	struct rt_unwinder *u = xcalloc(1, sizeof(*u));

	u->pid = pid;
	rt_maps_read(pid, add_mapping, u);
	u->as = unw_create_addr_space(&_UPT_accessors, 0);
	return u;
}

void rt_unwinder_free(struct rt_unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nmods; i++) {
		if (u->mods[i].dw)
			dwarf_end(u->mods[i].dw);
		if (u->mods[i].dwfd >= 0)
			close(u->mods[i].dwfd);
		rt_gopcln_free(u->mods[i].pcln);
		rt_elf_free(u->mods[i].elf);
		free(u->mods[i].path);
	}
	if (u->as)
		unw_destroy_addr_space(u->as);
	free(u->mods);
	free(u->maps);
	free(u);
}

static struct module *module_at(struct rt_unwinder *u, uint64_t pc, uint64_t *link)
{
	for (size_t i = 0; i < u->nmaps; i++) {
		const struct mapping *m = &u->maps[i];
		struct module *mod = &u->mods[m->module];
		uint64_t fileoff;

		if (pc < m->start || pc >= m->end)
			continue;
		if (!mod->tried) {
			char real[4096 + 64];
			struct rt_err err = { 0 };

			mod->tried = true;
			snprintf(real, sizeof(real), "/proc/%d/root%s", (int)u->pid, mod->path);
			if (rt_elf_open(&mod->elf, real, &err) != 0)
				mod->elf = NULL;
			if (mod->elf)
				mod->pcln = rt_gopcln_open(mod->elf);
			if (mod->elf && rt_elf_section(mod->elf, ".debug_info") &&
			    (mod->dwfd = open(real, O_RDONLY | O_CLOEXEC)) >= 0 &&
			    !(mod->dw = dwarf_begin(mod->dwfd, DWARF_C_READ))) {
				close(mod->dwfd);
				mod->dwfd = -1;
			}
		}
		if (!mod->elf)
			return mod;
		/* The file offset of pc, then the segment holding it gives the link-time address. */
		fileoff = pc - m->start + m->offset;
		*link = 0;
		for (size_t k = 0; k < mod->elf->nsegs; k++) {
			const struct rt_elf_seg *s = &mod->elf->segs[k];

			if (s->type == PT_LOAD && fileoff >= s->offset && fileoff < s->offset + s->filesz) {
				*link = s->vaddr + (fileoff - s->offset);
				break;
			}
		}
		return mod;
	}
	return NULL;
}

/* file:line of a link-time address through libdw, or 0. Without .debug_aranges (Go writes none) the
 * compilation units are searched one by one. */
static int source_line(const struct module *mod, uint64_t addr, const char **file)
{
	Dwarf_Die cu;
	Dwarf_Line *l = NULL;
	int line = 0;

	if (!mod->dw)
		return 0;
	if (dwarf_addrdie(mod->dw, addr, &cu)) {
		l = dwarf_getsrc_die(&cu, addr);
	} else {
		Dwarf_Off off = 0, next;
		size_t hsz;

		while (!l && dwarf_nextcu(mod->dw, off, &next, &hsz, NULL, NULL, NULL) == 0) {
			if (dwarf_offdie(mod->dw, off + hsz, &cu) && dwarf_haspc(&cu, addr) > 0)
				l = dwarf_getsrc_die(&cu, addr);
			off = next;
		}
	}
	if (!l)
		return 0;
	*file = dwarf_linesrc(l, NULL, NULL);
	if (dwarf_lineno(l, &line) != 0 || !*file)
		return 0;
	return line;
}

/* One frame: `mod`/`link` are module_at()'s answer for pc; `gf` the Go function there, if known. */
static json_t *frame_json(uint64_t pc, const struct module *mod, uint64_t link, bool is_return, const struct rt_gofunc *gf)
{
	json_t *f = json_object();
	uint64_t off = 0;
	const struct rt_elf_sym *s = NULL;
	const char *file = NULL;
	int line = 0;

	json_object_set_new(f, "pc", json_hex(pc));
	if (mod && mod->elf && link) {
		/* A return address points after the call: name the call, which may be a function's last
		 * instruction (a call to a noreturn function). */
		uint64_t at = is_return ? link - 1 : link;

		s = rt_elf_sym_at(mod->elf, at, &off);
		if (s)
			off += is_return ? 1 : 0;
		line = source_line(mod, at, &file);
	}
	if (!s && gf && link) { /* a stripped Go binary still names its functions in pclntab */
		json_object_set_new(f, "symbol", json_string(gf->name));
		json_object_set_new(f, "offset", json_hex(link - gf->entry));
	} else {
		json_object_set_new(f, "symbol", json_str_or_null(s ? s->name : NULL));
		json_object_set_new(f, "offset", json_hex(s ? off : 0));
	}
	json_object_set_new(f, "module", json_str_or_null(mod ? mod->path : NULL));
	if (line > 0) {
		json_object_set_new(f, "file", json_string(file));
		json_object_set_new(f, "line", json_integer(line));
	}
	return f;
}

/* Go frames from (pc, sp) on, as Go's traceback walks them: the return address sits SP-delta bytes
 * above SP (the function's pcsp table, looked up at pc - 1 for a return address). Ends at a stack's
 * bottom function, at one that switches stacks, where pc is not Go code, or where memory or the table
 * give out. Returns how many frames it appended. */
static size_t go_walk(struct rt_unwinder *u, pid_t tid, uint64_t pc, uint64_t sp, bool is_return, json_t *frames)
{
	bool exact = !is_return;
	size_t n = 0;

	while (json_array_size(frames) < MAX_FRAMES) {
		struct rt_gofunc f;
		uint64_t link = 0, lookup, ret = 0;
		const struct module *mod = module_at(u, pc, &link);
		int64_t delta;
		struct iovec l = { &ret, sizeof(ret) }, r;

		if (!mod || !mod->pcln || !link)
			break;
		lookup = exact ? link : link - 1;
		if (!rt_gopcln_func(mod->pcln, lookup, &f) || (delta = rt_gopcln_spdelta(mod->pcln, &f, lookup)) < 0)
			break;
		json_array_append_new(frames, frame_json(pc, mod, link, !exact, &f));
		n++;
		if (f.top || (f.spwrite && json_array_size(frames) > 1))
			break;
		r = (struct iovec){ (void *)(uintptr_t)(sp + (uint64_t)delta), sizeof(ret) };
		if (process_vm_readv(tid, &l, 1, &r, 1, 0) != sizeof(ret) || ret == 0)
			break;
		/* sigpanic is "called" from the faulting instruction itself: that pc is exact */
		exact = strcmp(f.name, "runtime.sigpanic") == 0;
		sp += (uint64_t)delta + sizeof(ret);
		pc = ret;
	}
	return n;
}

json_t *rt_unwind_thread(struct rt_unwinder *u, pid_t tid)
{
	json_t *t = json_object(), *frames = json_array();
	struct user_regs_struct regs;

	json_object_set_new(t, "tid", json_integer(tid));
	json_object_set_new(t, "frames", frames);
	if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) != 0)
		return t;
	if (go_walk(u, tid, regs.rip, regs.rsp, false, frames) > 0)
		return t;
	/* Not Go code: libunwind, until a frame lands in Go code (a C library called from Go). */
	{
		void *upt = _UPT_create(tid);
		unw_cursor_t c;
		bool after_signal = false;

		if (upt && u->as && unw_init_remote(&c, u->as, upt) == 0) {
			while (json_array_size(frames) < MAX_FRAMES) {
				unw_word_t ip = 0, sp = 0;
				uint64_t link = 0;
				bool is_return = json_array_size(frames) > 0 && !after_signal;
				const struct module *mod;

				if (unw_get_reg(&c, UNW_REG_IP, &ip) != 0 || ip == 0)
					break;
				if (json_array_size(frames) > 0 && unw_get_reg(&c, UNW_REG_SP, &sp) == 0 &&
				    go_walk(u, tid, ip, sp, is_return, frames) > 0)
					break;
				mod = module_at(u, ip, &link);
				json_array_append_new(frames, frame_json(ip, mod, link, is_return, NULL));
				after_signal = unw_is_signal_frame(&c) > 0;
				if (unw_step(&c) <= 0)
					break;
			}
		}
		if (upt)
			_UPT_destroy(upt);
	}
	return t;
}
