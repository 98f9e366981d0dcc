#include "probes/goinfo.h"

#include <ctype.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define GO_NOTE_BUILDID 4
#define BUILDINFO_HEADER 32
#define MAX_INIT_FNS 65536 /* far above any real package; guards against reading garbage */

static const char buildinfo_magic[] = "\xff Go buildinf:"; /* 14 bytes */

int rt_go_minor(const char *v)
{
	const char *p = v ? strstr(v, "go1.") : NULL;

	if (!p || !isdigit((unsigned char)p[4]))
		return -1;
	return atoi(p + 4);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *rt_go_unescape_path(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* ---- build ID note ---------------------------------------------------------------------------- */

char *rt_go_build_id(const struct rt_elf *e)
{
	for (size_t i = 0; i < e->nsecs; i++) {
		const struct rt_elf_sec *s = &e->secs[i];
		unsigned char *d;
		char *id = NULL;
		uint64_t off = 0;

		if (s->type != SHT_NOTE || !(d = rt_elf_section_data(e, s)))
			continue;
		while (!id && s->size >= 12 && off <= s->size - 12) {
			uint32_t namesz = (uint32_t)rt_elf_decode(e, d + off, 4);
			uint32_t descsz = (uint32_t)rt_elf_decode(e, d + off + 4, 4);
			uint32_t type = (uint32_t)rt_elf_decode(e, d + off + 8, 4);
			uint64_t name_off = off + 12, desc_off = name_off + ((namesz + 3ull) & ~3ull);
			uint64_t next = desc_off + ((descsz + 3ull) & ~3ull);

			if (desc_off > s->size || descsz > s->size - desc_off)
				break;
			/* The owner is "Go" padded with NULs (the linker writes namesz 4: "Go\0\0"). */
			if (type == GO_NOTE_BUILDID && namesz >= 3 && namesz <= 4 && desc_off >= name_off + 3 &&
			    memcmp(d + name_off, "Go", 3) == 0)
				id = xstrndup((char *)d + desc_off, strnlen((char *)d + desc_off, descsz));
			off = next;
		}
		free(d);
		if (id)
			return id;
	}
	return NULL;
}

/* ---- .go.buildinfo ---------------------------------------------------------------------------- */

/* Reads a uvarint-prefixed string at *addr and advances *addr past it; *lenp gets its length (the
 * module text's sentinels may hold NUL bytes). */
static char *read_varstring(const struct rt_elf *e, uint64_t *addr, size_t *lenp)
{
	unsigned char b[10];
	uint64_t len = 0;
	unsigned shift = 0, i;
	char *s;

	memset(b, 0, sizeof(b));
	/* The varint may sit at the very end of the section: read as many bytes as exist. */
	for (i = 0; i < sizeof(b); i++)
		if (rt_elf_read(e, *addr + i, &b[i], 1) != 0)
			break;
	for (i = 0; i < sizeof(b); i++, shift += 7) {
		len |= (uint64_t)(b[i] & 0x7f) << shift;
		if (!(b[i] & 0x80))
			break;
	}
	if (i == sizeof(b) || len > (1u << 24))
		return NULL;
	s = xmalloc(len + 1);
	if (rt_elf_read(e, *addr + i + 1, s, len) != 0) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	*addr += i + 1 + len;
	*lenp = len;
	return s;
}

/* Pre-1.18 layout: a pointer to a Go string header {data, len}. */
static char *read_ptrstring(const struct rt_elf *e, const unsigned char *p, unsigned psz, bool big, size_t *lenp)
{
	struct rt_elf tmp = *e; /* decode in the header's declared byte order */
	unsigned char hdr[16];
	uint64_t addr, data, len;
	char *s;

	tmp.big_endian = big;
	addr = rt_elf_decode(&tmp, p, psz);
	if (rt_elf_read(e, addr, hdr, 2 * psz) != 0)
		return NULL;
	data = rt_elf_decode(&tmp, hdr, psz);
	len = rt_elf_decode(&tmp, hdr + psz, psz);
	if (len > (1u << 24))
		return NULL;
	s = xmalloc(len + 1);
	if (rt_elf_read(e, data, s, len) != 0) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	*lenp = len;
	return s;
}

/* The address of the buildinfo header: its section, else a 16-aligned magic in writable data. */
static bool find_buildinfo(const struct rt_elf *e, uint64_t *addr)
{
	const struct rt_elf_sec *s = rt_elf_section(e, ".go.buildinfo");

	if (s && s->size >= BUILDINFO_HEADER) {
		*addr = s->addr;
		return true;
	}
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct rt_elf_seg *g = &e->segs[i];
		unsigned char *d;
		bool found = false;

		if (g->type != PT_LOAD || !(g->flags & PF_W) || g->filesz < BUILDINFO_HEADER ||
		    g->filesz > (64u << 20))
			continue;
		d = xmalloc(g->filesz);
		if (rt_elf_read(e, g->vaddr, d, g->filesz) == 0) {
			for (uint64_t off = (16 - (g->vaddr & 15)) & 15; off + BUILDINFO_HEADER <= g->filesz; off += 16) {
				if (memcmp(d + off, buildinfo_magic, 14) == 0) {
					*addr = g->vaddr + off;
					found = true;
					break;
				}
			}
		}
		free(d);
		if (found)
			return true;
	}
	return false;
}

static struct rt_go_mod *parse_mod(char **f, size_t nf)
{
	struct rt_go_mod *m = xcalloc(1, sizeof(*m));

	m->path = xstrdup(nf > 1 ? f[1] : "");
	m->version = nf > 2 && *f[2] ? xstrdup(f[2]) : NULL;
	m->sum = nf > 3 && *f[3] ? xstrdup(f[3]) : NULL;
	return m;
}

static void free_mod_fields(struct rt_go_mod *m)
{
	if (!m)
		return;
	free(m->path);
	free(m->version);
	free(m->sum);
	if (m->replace) {
		free_mod_fields(m->replace);
		free(m->replace);
	}
}

static void parse_modinfo(struct rt_go_info *g)
{
	char *text = xstrdup(g->modinfo), *save = NULL, *line;
	size_t depcap = 0, setcap = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[5] = { 0 }, *p = line;
		size_t nf = 0;

		while (nf < 5) {
			f[nf++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (strcmp(f[0], "path") == 0 && nf > 1) {
			free(g->main_path);
			g->main_path = xstrdup(f[1]);
		} else if (strcmp(f[0], "mod") == 0 && !g->mod) {
			g->mod = parse_mod(f, nf);
		} else if (strcmp(f[0], "dep") == 0) {
			g->deps = xgrow(g->deps, &depcap, g->ndeps + 1, sizeof(*g->deps));
			struct rt_go_mod *m = parse_mod(f, nf);
			g->deps[g->ndeps++] = *m;
			free(m);
		} else if (strcmp(f[0], "=>") == 0) {
			struct rt_go_mod *target = g->ndeps ? &g->deps[g->ndeps - 1] : g->mod;

			if (target && !target->replace)
				target->replace = parse_mod(f, nf);
		} else if (strcmp(f[0], "build") == 0 && nf > 1) {
			char *eq = strchr(f[1], '=');

			g->settings = xgrow(g->settings, &setcap, g->nsettings + 1, sizeof(*g->settings));
			g->settings[g->nsettings].key = eq ? xstrndup(f[1], (size_t)(eq - f[1])) : xstrdup(f[1]);
			g->settings[g->nsettings].value = xstrdup(eq ? eq + 1 : "");
			g->nsettings++;
		}
	}
	free(text);
}

static void read_buildinfo(const struct rt_elf *e, struct rt_go_info *g, struct strv *notes)
{
	unsigned char h[BUILDINFO_HEADER];
	uint64_t addr;
	char *mod = NULL;
	size_t vlen = 0, mlen = 0;

	if (!find_buildinfo(e, &addr)) {
		strv_push(notes, "no .go.buildinfo: the Go version and module information are unavailable");
		return;
	}
	if (rt_elf_read(e, addr, h, sizeof(h)) != 0 || memcmp(h, buildinfo_magic, 14) != 0) {
		strv_push(notes, ".go.buildinfo has no valid header: the Go version and module information are unavailable");
		return;
	}
	if (h[15] & 0x2) { /* Go >= 1.18: inline strings */
		uint64_t p = addr + BUILDINFO_HEADER;

		g->version = read_varstring(e, &p, &vlen);
		if (g->version)
			mod = read_varstring(e, &p, &mlen);
	} else if (h[14] == 4 || h[14] == 8) {
		g->version = read_ptrstring(e, h + 16, h[14], h[15] & 0x1, &vlen);
		mod = read_ptrstring(e, h + 16 + h[14], h[14], h[15] & 0x1, &mlen);
	}
	if (!g->version || !*g->version) {
		free(g->version);
		g->version = NULL;
		free(mod);
		strv_push(notes, ".go.buildinfo is unreadable: the Go version and module information are unavailable");
		return;
	}
	g->minor = rt_go_minor(g->version);
	/* The module text is framed by 16-byte sentinels (cmd/go's infoStart/infoEnd). */
	if (mod && mlen >= 33 && mod[mlen - 17] == '\n') {
		g->modinfo = xstrndup(mod + 16, mlen - 32);
		parse_modinfo(g);
	} else {
		strv_push(notes, "no module information in .go.buildinfo (built outside module mode?)");
	}
	free(mod);
}

/* ---- init order ------------------------------------------------------------------------------- */

static char *package_of(const struct rt_elf *e, uint64_t task, const struct rt_go_pkg *p)
{
	static const char suffix[] = "..inittask";
	const struct rt_elf_sym *s = rt_elf_sym_at(e, task, NULL);
	size_t n;

	if (s && s->addr == task && (n = strlen(s->name)) > sizeof(suffix) - 1 &&
	    strcmp(s->name + n - (sizeof(suffix) - 1), suffix) == 0)
		return rt_go_unescape_path(s->name, n - (sizeof(suffix) - 1));
	/* No task symbol: the package is the prefix of its first init function, "pkg/path.init.0". */
	if (p->nfns && p->fns[0].symbol) {
		const char *name = p->fns[0].symbol, *slash = strrchr(name, '/');
		const char *dot = strchr(slash ? slash : name, '.');

		if (dot)
			return rt_go_unescape_path(name, (size_t)(dot - name));
	}
	return NULL;
}

static bool seen_task(const struct rt_go_info *g, uint64_t task)
{
	for (size_t i = 0; i < g->ninit; i++)
		if (g->init[i].task == task)
			return true;
	return false;
}

/* Appends the tasks of one list; returns false (with a note) when the table is unreadable. */
static bool read_task_list(const struct rt_elf *e, const struct rt_elf_sym *list, struct rt_go_info *g,
			   size_t *cap, struct strv *notes)
{
	size_t n = list->size / e->ptr_size;

	for (size_t i = 0; i < n; i++) {
		uint64_t task, pc;
		uint32_t nfns;
		struct rt_go_pkg p = { 0 };

		if (rt_elf_read_ptr(e, list->addr + i * e->ptr_size, &task) != 0 ||
		    rt_elf_read_u32(e, task + 4, &nfns) != 0 || nfns > MAX_INIT_FNS) {
			strv_pushf(notes, "placed init order unavailable: entry %zu of %s is not a readable inittask", i,
				   list->name);
			return false;
		}
		if (seen_task(g, task))
			continue;
		p.task = task;
		p.fns = xcalloc(nfns, sizeof(*p.fns));
		for (uint32_t k = 0; k < nfns; k++) {
			const struct rt_elf_sym *fs;
			uint64_t off;

			if (rt_elf_read_ptr(e, task + 8 + (uint64_t)k * e->ptr_size, &pc) != 0) {
				free(p.fns);
				strv_pushf(notes, "placed init order unavailable: the inittask at 0x%llx is truncated",
					   (unsigned long long)task);
				return false;
			}
			p.fns[k].addr = pc;
			fs = rt_elf_sym_at(e, pc, &off);
			p.fns[k].symbol = fs && off == 0 ? xstrdup(fs->name) : NULL;
			p.nfns++;
		}
		p.package = package_of(e, task, &p);
		if (!p.package)
			p.package = xasprintf("?0x%llx", (unsigned long long)task);
		g->init = xgrow(g->init, cap, g->ninit + 1, sizeof(*g->init));
		g->init[g->ninit++] = p;
	}
	return true;
}

static void free_init(struct rt_go_info *g)
{
	for (size_t i = 0; i < g->ninit; i++) {
		for (size_t k = 0; k < g->init[i].nfns; k++)
			free(g->init[i].fns[k].symbol);
		free(g->init[i].fns);
		free(g->init[i].package);
	}
	free(g->init);
	g->init = NULL;
	g->ninit = 0;
}

static void read_init_order(const struct rt_elf *e, struct rt_go_info *g, struct strv *notes)
{
	const struct rt_elf_sym *rt_list, *main_list;
	size_t cap = 0;

	if (!e->has_symtab) {
		strv_push(notes, "placed init order unavailable: the binary has no .symtab (stripped), and the "
				 "linker's go:main.inittasks table is found through its symbol");
		return;
	}
	main_list = rt_elf_sym_by_name(e, "go:main.inittasks");
	if (!main_list) {
		if (g->minor >= 0 && g->minor < 21)
			strv_pushf(notes, "placed init order unavailable: built by %s; the linker writes "
					  "go:main.inittasks only since Go 1.21", g->version);
		else
			strv_push(notes, "placed init order unavailable: no go:main.inittasks symbol (not a Go "
					 "executable linked by Go 1.21 or later)");
		return;
	}
	rt_list = rt_elf_sym_by_name(e, "go:runtime.inittasks");
	if (rt_list && !read_task_list(e, rt_list, g, &cap, notes)) {
		free_init(g);
		return;
	}
	g->ninit_runtime = g->ninit; /* the runtime's tasks come first in the placed order */
	if (!read_task_list(e, main_list, g, &cap, notes)) {
		free_init(g);
		g->ninit_runtime = 0;
		return;
	}
	g->init_known = true;
}

/* ---- entry point ------------------------------------------------------------------------------ */

static bool looks_like_go(const struct rt_elf *e)
{
	uint64_t addr;

	return rt_elf_section(e, ".note.go.buildid") || rt_elf_section(e, ".go.buildinfo") ||
	       rt_elf_sym_by_name(e, "runtime.main") || find_buildinfo(e, &addr);
}

int rt_go_read(const struct rt_elf *e, struct rt_go_info **out, struct strv *notes, struct rt_err *err)
{
	struct rt_go_info *g;

	(void)err;
	*out = NULL;
	if (!looks_like_go(e))
		return 0;
	g = xcalloc(1, sizeof(*g));
	g->minor = -1;
	g->build_id = rt_go_build_id(e);
	if (!g->build_id)
		strv_push(notes, "no Go build ID: the .note.go.buildid note is missing");
	read_buildinfo(e, g, notes);
	read_init_order(e, g, notes);
	*out = g;
	return 0;
}

void rt_go_free(struct rt_go_info *g)
{
	if (!g)
		return;
	free_init(g);
	free(g->version);
	free(g->build_id);
	free(g->modinfo);
	free(g->main_path);
	free_mod_fields(g->mod);
	free(g->mod);
	for (size_t i = 0; i < g->ndeps; i++)
		free_mod_fields(&g->deps[i]);
	free(g->deps);
	for (size_t i = 0; i < g->nsettings; i++) {
		free(g->settings[i].key);
		free(g->settings[i].value);
	}
	free(g->settings);
	free(g);
}
