#include "probes/binary.h"

#include "probes/gopcln.h"

#include <elf.h>
#include <stdlib.h>

#include "common/json.h"
#include "common/xalloc.h"

static void read_init_array(struct rt_binary *b)
{
	const struct rt_elf *e = b->elf;
	const struct rt_elf_sec *s = rt_elf_section(e, ".init_array");
	size_t n;

	if (!s)
		return;
	/* its entries are bytes of the file: a section header that gives it none there (SHT_NULL,
	 * SHT_NOBITS: rt_elf_open checks only the others against the file) says nothing about them */
	if (s->type == SHT_NULL || s->type == SHT_NOBITS || s->size > e->file_size) {
		strv_pushf(&b->notes, ".init_array unreadable: its section header (type %u, %llu bytes) has no contents in "
				      "the file", s->type, (unsigned long long)s->size);
		return;
	}
	n = s->size / e->ptr_size;
	b->init_array = xcalloc(n, sizeof(*b->init_array));
	for (size_t i = 0; i < n; i++) {
		uint64_t addr, off;
		const struct rt_elf_sym *sym;

		if (rt_elf_read_ptr(e, s->addr + i * e->ptr_size, &addr) != 0) {
			strv_pushf(&b->notes, ".init_array entry %zu is unreadable", i);
			break;
		}
		sym = rt_elf_sym_at(e, addr, &off);
		b->init_array[b->ninit_array++] = (struct rt_init_entry){ addr, sym && off == 0 ? sym->name : NULL };
	}
}

int rt_binary_open(struct rt_binary **out, const char *path, struct rt_err *err)
{
	struct rt_binary *b;
	uint64_t off;

	*out = NULL;
	b = xcalloc(1, sizeof(*b));
	if (rt_elf_open(&b->elf, path, err) != 0) {
		free(b);
		return -1;
	}
	if (!b->elf->has_symtab) { /* stripped: a Go binary's functions are still named in its pclntab */
		struct rt_gopcln *t = rt_gopcln_open(b->elf);

		if (t) {
			struct rt_elf_sym *fs;
			size_t n = rt_gopcln_funcs(t, &fs);
			char note[160];

			snprintf(note, sizeof(note), "no .symtab: the binary is stripped; its %zu functions are named from the Go pclntab", n);
			rt_elf_add_funcs(b->elf, fs, n, note);
			rt_gopcln_free(t);
		}
	}
	for (size_t i = 0; i < b->elf->notes.n; i++)
		strv_push(&b->notes, b->elf->notes.v[i]);
	b->entry_sym = rt_elf_sym_at(b->elf, b->elf->entry, &off);
	if (b->entry_sym && off != 0)
		b->entry_sym = NULL;
	if (!b->entry_sym && b->elf->entry)
		strv_pushf(&b->notes, "no symbol names the entry address 0x%llx", (unsigned long long)b->elf->entry);
	read_init_array(b);
	if (rt_go_read(b->elf, &b->go, &b->notes, err) != 0) {
		rt_binary_free(b);
		return -1;
	}
	*out = b;
	return 0;
}

void rt_binary_free(struct rt_binary *b)
{
	if (!b)
		return;
	rt_go_free(b->go);
	rt_elf_free(b->elf);
	free(b->init_array);
	strv_release(&b->notes);
	free(b);
}

static json_t *mod_json(const struct rt_go_mod *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "path", json_string(m->path));
	json_object_set_new(o, "version", json_str_or_null(m->version));
	json_object_set_new(o, "sum", json_str_or_null(m->sum));
	if (m->replace)
		json_object_set_new(o, "replace", mod_json(m->replace));
	return o;
}

static json_t *module_json(const struct rt_go_info *g)
{
	json_t *o, *deps, *settings;

	if (!g->modinfo)
		return json_null();
	o = json_object();
	deps = json_array();
	settings = json_object();
	json_object_set_new(o, "path", json_str_or_null(g->main_path));
	json_object_set_new(o, "main", g->mod ? mod_json(g->mod) : json_null());
	for (size_t i = 0; i < g->ndeps; i++)
		json_array_append_new(deps, mod_json(&g->deps[i]));
	json_object_set_new(o, "deps", deps);
	for (size_t i = 0; i < g->nsettings; i++)
		json_object_set_new(settings, g->settings[i].key, json_string(g->settings[i].value));
	json_object_set_new(o, "settings", settings);
	return o;
}

json_t *rt_binary_init_order_json(const struct rt_go_info *g)
{
	json_t *a;

	if (!g || !g->init_known)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < g->ninit; i++) {
		json_t *p = json_object(), *fns = json_array();

		json_object_set_new(p, "package", json_string(g->init[i].package));
		for (size_t k = 0; k < g->init[i].nfns; k++) {
			json_t *f = json_object();

			json_object_set_new(f, "symbol", json_str_or_null(g->init[i].fns[k].symbol));
			json_object_set_new(f, "addr", json_hex(g->init[i].fns[k].addr));
			json_array_append_new(fns, f);
		}
		json_object_set_new(p, "functions", fns);
		json_array_append_new(a, p);
	}
	return a;
}

/* A segment's row: {"vaddr","memsz","flags"}, with `full` also its "type" (first), "offset", "filesz". */
static json_t *segment_json(const struct rt_elf_seg *sg, bool full)
{
	json_t *s = json_object();
	char tb[16], fb[4];

	if (full)
		json_object_set_new(s, "type", json_string(rt_elf_seg_type_name(sg->type, tb)));
	json_object_set_new(s, "vaddr", json_hex(sg->vaddr));
	json_object_set_new(s, "memsz", json_hex(sg->memsz));
	json_object_set_new(s, "flags", json_string(rt_elf_flags_str(sg->flags, fb)));
	if (full) {
		json_object_set_new(s, "offset", json_hex(sg->offset));
		json_object_set_new(s, "filesz", json_hex(sg->filesz));
	}
	return s;
}

json_t *rt_binary_image_json(const struct rt_binary *b, const char *path, uint64_t bias)
{
	const struct rt_elf *e = b->elf;
	json_t *o = json_object(), *segs = json_array();

	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "arch", json_string(e->arch));
	json_object_set_new(o, "pie", json_boolean(e->pie));
	json_object_set_new(o, "static", json_boolean(e->is_static));
	json_object_set_new(o, "entry", json_hex(e->entry));
	json_object_set_new(o, "entry_symbol", json_str_or_null(b->entry_sym ? b->entry_sym->name : NULL));
	json_object_set_new(o, "bias", json_hex(bias));
	json_object_set_new(o, "go_version", json_str_or_null(b->go ? b->go->version : NULL));
	json_object_set_new(o, "build_id", json_str_or_null(b->go ? b->go->build_id : NULL));
	json_object_set_new(o, "init_order", rt_binary_init_order_json(b->go));
	for (size_t i = 0; i < e->nsegs; i++)
		if (e->segs[i].type == PT_LOAD)
			json_array_append_new(segs, segment_json(&e->segs[i], false));
	json_object_set_new(o, "segments", segs);
	return o;
}

json_t *rt_binary_json(const struct rt_binary *b)
{
	const struct rt_elf *e = b->elf;
	json_t *o = json_object(), *entry = json_object(), *segs = json_array(), *secs = json_array();
	json_t *ia = json_array(), *notes = json_array();

	json_object_set_new(o, "path", json_string(e->path));
	json_object_set_new(o, "arch", json_string(e->arch));
	json_object_set_new(o, "class", json_integer(e->elfclass == ELFCLASS64 ? 64 : 32));
	json_object_set_new(o, "endian", json_string(e->big_endian ? "big" : "little"));
	json_object_set_new(o, "type", json_string(rt_elf_type_name(e->type)));
	json_object_set_new(o, "pie", json_boolean(e->pie));
	json_object_set_new(o, "static", json_boolean(e->is_static));
	json_object_set_new(o, "interp", json_str_or_null(e->interp));
	json_object_set_new(entry, "addr", json_hex(e->entry));
	json_object_set_new(entry, "symbol", json_str_or_null(b->entry_sym ? b->entry_sym->name : NULL));
	json_object_set_new(o, "entry", entry);
	for (size_t i = 0; i < e->nsegs; i++)
		json_array_append_new(segs, segment_json(&e->segs[i], true));
	json_object_set_new(o, "segments", segs);
	for (size_t i = 0; i < e->nsecs; i++) {
		json_t *s = json_object();

		json_object_set_new(s, "name", json_string(e->secs[i].name));
		json_object_set_new(s, "addr", json_hex(e->secs[i].addr));
		json_object_set_new(s, "size", json_hex(e->secs[i].size));
		json_array_append_new(secs, s);
	}
	json_object_set_new(o, "sections", secs);
	for (size_t i = 0; i < b->ninit_array; i++) {
		json_t *s = json_object();

		json_object_set_new(s, "addr", json_hex(b->init_array[i].addr));
		json_object_set_new(s, "symbol", json_str_or_null(b->init_array[i].symbol));
		json_array_append_new(ia, s);
	}
	json_object_set_new(o, "init_array", ia);
	if (b->go) {
		json_t *go = json_object();

		json_object_set_new(go, "version", json_str_or_null(b->go->version));
		json_object_set_new(go, "build_id", json_str_or_null(b->go->build_id));
		json_object_set_new(go, "module", module_json(b->go));
		json_object_set_new(go, "init_order", rt_binary_init_order_json(b->go));
		json_object_set_new(o, "go", go);
	} else {
		json_object_set_new(o, "go", json_null());
	}
	for (size_t i = 0; i < b->notes.n; i++)
		json_array_append_new(notes, json_string(b->notes.v[i]));
	json_object_set_new(o, "notes", notes);
	return o;
}
