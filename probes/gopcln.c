/* probes/gopcln: reading the Go pclntab (see gopcln.h). */
#include "probes/gopcln.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct rt_gopcln {
	const struct rt_elf *e;
	const unsigned char *base; /* the pclntab bytes in the mapped file */
	uint64_t size;
	bool v120;                 /* magic 0xfffffff1: _func has startLine, flags at 41 */
	unsigned minlc;
	uint64_t nfunc, text;
	const unsigned char *funcnames, *pctab, *ftab; /* ftab: the functab, also the base of funcoff */
};

static uint64_t word(const struct rt_gopcln *t, uint64_t off)
{
	return rt_elf_decode(t->e, t->base + 8 + off * t->e->ptr_size, t->e->ptr_size);
}

struct rt_gopcln *rt_gopcln_open(const struct rt_elf *e)
{
	const struct rt_elf_sym *sym = rt_elf_sym_by_name(e, "runtime.pclntab");
	const struct rt_elf_sym *end = rt_elf_sym_by_name(e, "runtime.epclntab");
	const struct rt_elf_sec *sec = rt_elf_section(e, ".gopclntab");
	struct rt_gopcln *t;
	uint64_t addr = 0, avail = 0, hdr, magic, textaddr;
	const unsigned char *p = NULL;

	/* its own section, or (PIE, external linking) runtime.pclntab up to runtime.epclntab */
	if (sec && sec->type != SHT_NOBITS) {
		addr = sec->addr;
		avail = sec->size;
	} else if (sym && end && end->addr > sym->addr) {
		addr = sym->addr;
		avail = end->addr - sym->addr;
	}
	if (avail)
		p = rt_elf_bytes(e, addr, avail);
	hdr = 8 + 8 * (uint64_t)e->ptr_size;
	if (!p || avail < hdr)
		return NULL;
	magic = rt_elf_decode(e, p, 4);
	if ((magic != 0xfffffff0 && magic != 0xfffffff1) || p[4] || p[5] || p[7] != e->ptr_size)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->e = e;
	t->base = p;
	t->size = avail;
	t->v120 = magic == 0xfffffff1;
	t->minlc = p[6] ? p[6] : 1;
	t->nfunc = word(t, 0);
	/* textStart: a PIE leaves it to a RELATIVE relocation, which rt_elf_read_ptr applies */
	textaddr = addr + 8 + 2 * (uint64_t)e->ptr_size;
	if (rt_elf_read_ptr(e, textaddr, &t->text) != 0)
		t->text = word(t, 2);
	if (t->text == 0) { /* newer linkers leave it to moduledata.text: runtime.text */
		const struct rt_elf_sym *ts = rt_elf_sym_by_name(e, "runtime.text");
		const struct rt_elf_sec *tx = rt_elf_section(e, ".text");

		t->text = ts ? ts->addr : tx ? tx->addr : 0;
	}
	if (word(t, 3) >= avail || word(t, 6) >= avail || word(t, 7) >= avail ||
	    word(t, 7) + (t->nfunc + 1) * 8 > avail) {
		free(t);
		return NULL;
	}
	t->funcnames = p + word(t, 3);
	t->pctab = p + word(t, 6);
	t->ftab = p + word(t, 7);
	return t;
}

void rt_gopcln_free(struct rt_gopcln *t)
{
	free(t);
}

static uint32_t u32(const struct rt_gopcln *t, const unsigned char *p)
{
	return (uint32_t)rt_elf_decode(t->e, p, 4);
}

/* The name of the function whose _func record is at fn (its nameoff at +4): a string inside the table,
 * or NULL when the offset or the string runs past it. */
static const char *func_name(const struct rt_gopcln *t, const unsigned char *fn)
{
	const unsigned char *end = t->base + t->size, *name = t->funcnames + u32(t, fn + 4);

	return name < end && memchr(name, '\0', (size_t)(end - name)) ? (const char *)name : NULL;
}

bool rt_gopcln_func(const struct rt_gopcln *t, uint64_t pc, struct rt_gofunc *f)
{
	size_t lo = 0, hi;
	const unsigned char *fn, *end = t->base + t->size;

	if (!t || t->nfunc == 0 || pc < t->text)
		return false;
	/* the last entry is the end of text */
	if (pc - t->text >= u32(t, t->ftab + t->nfunc * 8))
		return false;
	hi = t->nfunc;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (u32(t, t->ftab + mid * 8) <= pc - t->text)
			lo = mid;
		else
			hi = mid;
	}
	fn = t->ftab + u32(t, t->ftab + lo * 8 + 4);
	if (fn + 44 > end)
		return false;
	f->entry = t->text + u32(t, fn);
	f->name = func_name(t, fn);
	if (!f->name)
		f->name = "?";
	f->pcsp = u32(t, fn + 16);
	f->top = f->spwrite = false;
	if (t->v120) {
		f->top = fn[41] & 1;
		f->spwrite = fn[41] & 2;
	}
	return true;
}

size_t rt_gopcln_funcs(const struct rt_gopcln *t, struct rt_elf_sym **out)
{
	const unsigned char *end = t->base + t->size;
	size_t n = 0;

	*out = xcalloc(t->nfunc ? t->nfunc : 1, sizeof(**out));
	for (uint64_t i = 0; i < t->nfunc; i++) {
		const unsigned char *fn = t->ftab + u32(t, t->ftab + i * 8 + 4);
		uint32_t entry = u32(t, t->ftab + i * 8), next = u32(t, t->ftab + (i + 1) * 8);
		const char *name = fn >= t->base && fn + 8 <= end ? func_name(t, fn) : NULL;

		if (name && *name)
			(*out)[n++] = (struct rt_elf_sym){ name, t->text + entry, next > entry ? next - entry : 0, STT_FUNC };
	}
	return n;
}

static bool uvarint(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
	uint32_t r = 0;

	for (unsigned shift = 0; *p < end && shift < 35; shift += 7) {
		unsigned char b = *(*p)++;

		r |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

int64_t rt_gopcln_spdelta(const struct rt_gopcln *t, const struct rt_gofunc *f, uint64_t pc)
{
	const unsigned char *p = t->pctab + f->pcsp, *end = t->base + t->size;
	uint64_t at = f->entry;
	int32_t val = -1;
	bool first = true;

	if (f->pcsp == 0 || p >= end)
		return -1;
	for (;;) {
		uint32_t vd, pd;

		if (p >= end || (*p == 0 && !first) || !uvarint(&p, end, &vd) || !uvarint(&p, end, &pd))
			return -1;
		first = false;
		val += (int32_t)((vd >> 1) ^ (uint32_t)-(int32_t)(vd & 1));
		at += (uint64_t)pd * t->minlc;
		if (pc < at)
			return val;
	}
}
