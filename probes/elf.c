#include "probes/elf.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"

#ifndef DF_1_PIE
#define DF_1_PIE 0x08000000
#endif

static void set_arch(struct rt_elf *e)
{
	const char *a = NULL;

	switch (e->machine) {
	case EM_X86_64: a = "amd64"; break;
	case EM_386: a = "386"; break;
	case EM_AARCH64: a = "arm64"; break;
	case EM_ARM: a = "arm"; break;
	case EM_RISCV: a = e->elfclass == ELFCLASS64 ? "riscv64" : "riscv"; break;
	case EM_PPC64: a = e->big_endian ? "ppc64" : "ppc64le"; break;
	case EM_S390: a = "s390x"; break;
	case EM_LOONGARCH: a = "loong64"; break;
	case EM_MIPS:
		if (e->elfclass == ELFCLASS64)
			a = e->big_endian ? "mips64" : "mips64le";
		else
			a = e->big_endian ? "mips" : "mipsle";
		break;
	}
	if (a)
		snprintf(e->arch, sizeof(e->arch), "%s", a);
	else
		snprintf(e->arch, sizeof(e->arch), "em-%u", e->machine);
}

uint64_t rt_elf_decode(const struct rt_elf *e, const void *p, unsigned size)
{
	const unsigned char *b = p;
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		unsigned k = e->big_endian ? i : size - 1 - i;
		v = (v << 8) | b[k];
	}
	return v;
}

/* A range [off, off+len) must lie inside the file; overflow-safe. */
static bool in_file(const struct rt_elf *e, uint64_t off, uint64_t len)
{
	return off <= e->file_size && len <= e->file_size - off;
}

static int truncated(struct rt_err *err, const struct rt_elf *e, const char *what, uint64_t end)
{
	return rt_errf(err, RT_EXIT_INPUT,
		       "'%s' is a truncated ELF file: %s ends at byte %llu but the file has %llu bytes", e->path,
		       what, (unsigned long long)end, (unsigned long long)e->file_size);
}

static int cmp_sym_addr(const void *a, const void *b)
{
	const struct rt_elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if ((x->type == STT_FUNC) != (y->type == STT_FUNC))
		return x->type == STT_FUNC ? -1 : 1;
	return strcmp(x->name, y->name);
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The name index: a hash table, built in one pass (a sorted index cost more than every lookup). For
 * duplicate names the first symbol in address order wins. */
static void index_names(struct rt_elf *e)
{
	e->name_slots = 16;
	while (e->name_slots < 2 * e->nsyms)
		e->name_slots *= 2;
	e->by_name = xcalloc(e->name_slots, sizeof(*e->by_name));
	for (size_t i = 0; i < e->nsyms; i++) {
		size_t slot = name_hash(e->syms[i].name) & (e->name_slots - 1);

		while (e->by_name[slot] && strcmp(e->syms[e->by_name[slot] - 1].name, e->syms[i].name) != 0)
			slot = (slot + 1) & (e->name_slots - 1);
		if (!e->by_name[slot])
			e->by_name[slot] = (uint32_t)(i + 1);
	}
}

static int cmp_rel(const void *a, const void *b)
{
	const struct rt_elf_rel *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool keep_symbol(const struct rt_elf *e, const GElf_Sym *s, const char *name)
{
	int t = GELF_ST_TYPE(s->st_info);

	if (!name || !*name || s->st_shndx == SHN_UNDEF)
		return false;
	if (t == STT_SECTION || t == STT_FILE || t == STT_TLS)
		return false;
	if (e->machine == EM_ARM && name[0] == '$') /* ARM mapping symbols: $a, $d, $t */
		return false;
	return true;
}

static int read_symbols(struct rt_elf *e, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct rt_err *err)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	Elf_Scn *strscn = elf_getscn(elf, sh->sh_link);
	GElf_Shdr strsh;
	size_t n, cap = 0;

	if (!d || sh->sh_entsize == 0 || !strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB ||
	    !in_file(e, strsh.sh_offset, strsh.sh_size))
		return rt_errf(err, RT_EXIT_INPUT, "'%s': cannot read its symbol table: %s", e->path, elf_errmsg(-1));
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name = NULL;

		if (!gelf_getsym(d, (int)i, &s))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': symbol %zu is malformed: %s", e->path, i,
				       elf_errmsg(-1));
		/* Names point into the mapped string table (NUL-terminated inside it), never copied. */
		if (s.st_name < strsh.sh_size &&
		    memchr(e->map + strsh.sh_offset + s.st_name, '\0', strsh.sh_size - s.st_name))
			name = (const char *)e->map + strsh.sh_offset + s.st_name;
		if (!keep_symbol(e, &s, name))
			continue;
		e->syms = xgrow(e->syms, &cap, e->nsyms + 1, sizeof(*e->syms));
		e->syms[e->nsyms].name = name;
		e->syms[e->nsyms].addr = s.st_value;
		e->syms[e->nsyms].size = s.st_size;
		e->syms[e->nsyms].type = GELF_ST_TYPE(s.st_info);
		if (e->machine == EM_ARM && e->syms[e->nsyms].type == STT_FUNC)
			e->syms[e->nsyms].addr &= ~(uint64_t)1; /* Thumb bit */
		e->nsyms++;
	}
	if (e->nsyms)
		qsort(e->syms, e->nsyms, sizeof(*e->syms), cmp_sym_addr);
	index_names(e);
	return 0;
}

static bool is_relative(uint16_t machine, uint32_t type)
{
	switch (machine) {
	case EM_X86_64: return type == R_X86_64_RELATIVE;
	case EM_386: return type == R_386_RELATIVE;
	case EM_AARCH64: return type == R_AARCH64_RELATIVE;
	case EM_ARM: return type == R_ARM_RELATIVE;
	case EM_RISCV: return type == R_RISCV_RELATIVE;
	case EM_PPC64: return type == R_PPC64_RELATIVE;
	case EM_S390: return type == R_390_RELATIVE;
	}
	return false;
}

/* Only RELA relocations carry a value outside the slot; REL slots already hold their addend. */
static void read_relocs(struct rt_elf *e, Elf_Scn *scn, const GElf_Shdr *sh, size_t *cap)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n;

	if (!d || sh->sh_entsize == 0 || !(sh->sh_flags & SHF_ALLOC))
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;

		if (!gelf_getrela(d, (int)i, &r))
			break;
		if (!is_relative(e->machine, (uint32_t)GELF_R_TYPE(r.r_info)))
			continue;
		e->rels = xgrow(e->rels, cap, e->nrels + 1, sizeof(*e->rels));
		e->rels[e->nrels++] = (struct rt_elf_rel){ r.r_offset, (uint64_t)r.r_addend, true };
	}
}

static void read_dynamic_flags(Elf_Scn *scn, const GElf_Shdr *sh, uint64_t *flags_1)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	if (!d || sh->sh_entsize == 0)
		return;
	for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
		GElf_Dyn dyn;

		if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag == DT_FLAGS_1)
			*flags_1 = dyn.d_un.d_val;
	}
}

static int read_headers(struct rt_elf *e, Elf *elf, struct rt_err *err)
{
	GElf_Ehdr eh;
	size_t phnum, shnum, shstrndx;
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr symtab_sh, dynsym_sh;
	uint64_t flags_1 = 0;
	size_t relcap = 0;
	char *ident;

	ident = elf_getident(elf, NULL);
	if (!ident || !gelf_getehdr(elf, &eh))
		return rt_errf(err, RT_EXIT_INPUT, "'%s' is a truncated or malformed ELF file: %s", e->path,
			       elf_errmsg(-1));
	e->elfclass = ident[EI_CLASS];
	if (e->elfclass != ELFCLASS32 && e->elfclass != ELFCLASS64)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' has an unknown ELF class %d", e->path, e->elfclass);
	e->big_endian = ident[EI_DATA] == ELFDATA2MSB;
	e->ptr_size = e->elfclass == ELFCLASS64 ? 8 : 4;
	e->machine = eh.e_machine;
	e->type = eh.e_type;
	e->entry = eh.e_entry;
	set_arch(e);

	if (elf_getphdrnum(elf, &phnum) != 0 || elf_getshdrnum(elf, &shnum) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' has malformed ELF headers: %s", e->path, elf_errmsg(-1));
	if (phnum && !in_file(e, eh.e_phoff, (uint64_t)phnum * eh.e_phentsize))
		return truncated(err, e, "the program header table", eh.e_phoff + (uint64_t)phnum * eh.e_phentsize);
	if (shnum && !in_file(e, eh.e_shoff, (uint64_t)shnum * eh.e_shentsize))
		return truncated(err, e, "the section header table", eh.e_shoff + (uint64_t)shnum * eh.e_shentsize);

	e->segs = xcalloc(phnum, sizeof(*e->segs));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		struct rt_elf_seg *s = &e->segs[e->nsegs];

		if (!gelf_getphdr(elf, (int)i, &ph))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': program header %zu is malformed: %s", e->path, i,
				       elf_errmsg(-1));
		*s = (struct rt_elf_seg){ ph.p_type, ph.p_flags, ph.p_offset, ph.p_vaddr, ph.p_filesz, ph.p_memsz,
					  ph.p_align };
		e->nsegs++;
		if ((ph.p_type == PT_LOAD || ph.p_type == PT_INTERP) && !in_file(e, ph.p_offset, ph.p_filesz)) {
			char what[64];

			snprintf(what, sizeof(what), "segment %zu (%s)", i, ph.p_type == PT_LOAD ? "LOAD" : "INTERP");
			return truncated(err, e, what, ph.p_offset + ph.p_filesz);
		}
		if (ph.p_type == PT_INTERP && ph.p_filesz > 0 && ph.p_filesz < 4096) {
			char *buf = xcalloc(1, ph.p_filesz + 1);

			if (pread(e->fd, buf, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz) {
				free(buf);
				return rt_errf(err, RT_EXIT_INPUT, "cannot read '%s': %s", e->path, strerror(errno));
			}
			buf[ph.p_filesz] = '\0';
			free(e->interp);
			e->interp = buf;
		}
	}

	if (shnum && elf_getshdrstrndx(elf, &shstrndx) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "'%s' has no readable section names: %s", e->path, elf_errmsg(-1));
	e->secs = xcalloc(shnum, sizeof(*e->secs));
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		struct rt_elf_sec *s;

		if (!gelf_getshdr(scn, &sh))
			return rt_errf(err, RT_EXIT_INPUT, "'%s': a section header is malformed: %s", e->path,
				       elf_errmsg(-1));
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL && !in_file(e, sh.sh_offset, sh.sh_size)) {
			char what[300];

			snprintf(what, sizeof(what), "section '%s'", name ? name : "?");
			return truncated(err, e, what, sh.sh_offset + sh.sh_size);
		}
		s = &e->secs[e->nsecs++];
		*s = (struct rt_elf_sec){ xstrdup(name ? name : ""), sh.sh_type, sh.sh_flags, sh.sh_addr, sh.sh_offset,
					  sh.sh_size };
		if (sh.sh_type == SHT_SYMTAB && !symtab) {
			symtab = scn;
			symtab_sh = sh;
		} else if (sh.sh_type == SHT_DYNSYM && !dynsym) {
			dynsym = scn;
			dynsym_sh = sh;
		} else if (sh.sh_type == SHT_RELA) {
			read_relocs(e, scn, &sh, &relcap);
		} else if (sh.sh_type == SHT_DYNAMIC) {
			read_dynamic_flags(scn, &sh, &flags_1);
		}
	}
	if (e->nrels)
		qsort(e->rels, e->nrels, sizeof(*e->rels), cmp_rel);

	e->is_static = e->interp == NULL;
	e->pie = e->type == ET_DYN && (e->interp || (flags_1 & DF_1_PIE));
	e->has_symtab = symtab != NULL;
	if (symtab)
		return read_symbols(e, elf, symtab, &symtab_sh, err);
	if (dynsym) {
		strv_pushf(&e->notes, "no .symtab: the binary is stripped; only dynamic symbols (.dynsym) are known");
		return read_symbols(e, elf, dynsym, &dynsym_sh, err);
	}
	strv_pushf(&e->notes, "no symbol table: the binary is stripped; no address can be named");
	return 0;
}

int rt_elf_open(struct rt_elf **out, const char *path, struct rt_err *err)
{
	static const unsigned char magic[4] = { 0x7f, 'E', 'L', 'F' };
	unsigned char ident[EI_NIDENT];
	struct rt_elf *e;
	struct stat st;
	Elf *elf = NULL;
	ssize_t got;
	int rc = -1;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return rt_errf(err, RT_EXIT_ENV, "libelf is out of date: %s", elf_errmsg(-1));
	e = xcalloc(1, sizeof(*e));
	e->path = xstrdup(path);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file */
	e->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (e->fd < 0) {
		rt_errf(err, RT_EXIT_INPUT, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(e->fd, &st) != 0) {
		rt_errf(err, RT_EXIT_INPUT, "cannot stat '%s': %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rt_errf(err, RT_EXIT_INPUT, "cannot read '%s': %s", path, strerror(EISDIR));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rt_errf(err, RT_EXIT_INPUT, "'%s' is not a regular file", path);
		goto out;
	}
	e->file_size = (uint64_t)st.st_size;
	got = pread(e->fd, ident, sizeof(ident), 0);
	if (got < 0) {
		rt_errf(err, RT_EXIT_INPUT, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (got < (ssize_t)sizeof(magic) || memcmp(ident, magic, sizeof(magic)) != 0) {
		rt_errf(err, RT_EXIT_INPUT, "'%s' is not an ELF file", path);
		goto out;
	}
	if (got < EI_NIDENT) {
		truncated(err, e, "the ELF identification", EI_NIDENT);
		goto out;
	}
	{
		uint64_t need = ident[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);

		if (e->file_size < need) {
			truncated(err, e, "the ELF header", need);
			goto out;
		}
	}
	/* A read-only mapping serves rt0trace's own reads (bounds checked against file_size first);
	 * libelf reads through the fd, so it can convert a foreign byte order without touching it. */
	e->map = mmap(NULL, e->file_size, PROT_READ, MAP_PRIVATE, e->fd, 0);
	if (e->map == MAP_FAILED) {
		e->map = NULL;
		rt_errf(err, RT_EXIT_INPUT, "cannot map '%s': %s", path, strerror(errno));
		goto out;
	}
	elf = elf_begin(e->fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		rt_errf(err, RT_EXIT_INPUT, "'%s' is not a readable ELF file: %s", path, elf_errmsg(-1));
		goto out;
	}
	rc = read_headers(e, elf, err);
out:
	if (elf)
		elf_end(elf);
	if (rc != 0) {
		rt_elf_free(e);
		return -1;
	}
	*out = e;
	return 0;
}

void rt_elf_free(struct rt_elf *e)
{
	if (!e)
		return;
	if (e->map)
		munmap((void *)e->map, e->file_size);
	if (e->fd >= 0)
		close(e->fd);
	for (size_t i = 0; i < e->nsecs; i++)
		free(e->secs[i].name);
	free(e->secs);
	free(e->segs);
	free(e->syms);
	free(e->by_name);
	free(e->rels);
	free(e->interp);
	free(e->path);
	strv_release(&e->notes);
	free(e);
}

void rt_elf_add_funcs(struct rt_elf *e, struct rt_elf_sym *syms, size_t n, const char *note)
{
	if (!n) {
		free(syms);
		return;
	}
	e->syms = xrealloc(e->syms, (e->nsyms + n) * sizeof(*e->syms));
	memcpy(e->syms + e->nsyms, syms, n * sizeof(*syms));
	e->nsyms += n;
	free(syms);
	qsort(e->syms, e->nsyms, sizeof(*e->syms), cmp_sym_addr);
	free(e->by_name);
	index_names(e);
	e->syms_from_go = true;
	for (size_t i = 0; i < e->notes.n; i++)
		if (strncmp(e->notes.v[i], "no symbol table:", 16) == 0) {
			free(e->notes.v[i]);
			e->notes.v[i] = xstrdup(note);
			return;
		}
	strv_push(&e->notes, note);
}

const struct rt_elf_sec *rt_elf_section(const struct rt_elf *e, const char *name)
{
	for (size_t i = 0; i < e->nsecs; i++)
		if (strcmp(e->secs[i].name, name) == 0)
			return &e->secs[i];
	return NULL;
}

void *rt_elf_section_data(const struct rt_elf *e, const struct rt_elf_sec *s)
{
	void *buf;

	if (s->type == SHT_NOBITS || !in_file(e, s->offset, s->size) || !e->map)
		return NULL;
	buf = xmalloc(s->size ? s->size : 1);
	memcpy(buf, e->map + s->offset, s->size);
	return buf;
}

static const struct rt_elf_sym *sym_exact(const struct rt_elf *e, const char *name)
{
	size_t slot;

	if (!e->name_slots)
		return NULL;
	slot = name_hash(name) & (e->name_slots - 1);
	while (e->by_name[slot]) {
		const struct rt_elf_sym *s = &e->syms[e->by_name[slot] - 1];

		if (strcmp(s->name, name) == 0)
			return s;
		slot = (slot + 1) & (e->name_slots - 1);
	}
	return NULL;
}

const struct rt_elf_sym *rt_elf_sym_by_name(const struct rt_elf *e, const char *name)
{
	static const char abi0[] = ".abi0";
	const struct rt_elf_sym *s = sym_exact(e, name);
	size_t n = strlen(name);
	char *alt;

	if (s)
		return s;
	if (n > sizeof(abi0) - 1 && strcmp(name + n - (sizeof(abi0) - 1), abi0) == 0)
		alt = xstrndup(name, n - (sizeof(abi0) - 1));
	else
		alt = xasprintf("%s%s", name, abi0);
	s = sym_exact(e, alt);
	free(alt);
	return s;
}

const struct rt_elf_sym *rt_elf_sym_at(const struct rt_elf *e, uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi = e->nsyms;
	const struct rt_elf_sym *s;

	/* Last symbol starting at or before addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* Among symbols at the same address the sort put FUNC first; step back to it. */
	s = &e->syms[lo - 1];
	while (s > e->syms && (s - 1)->addr == s->addr)
		s--;
	if (addr != s->addr && addr - s->addr >= s->size)
		return NULL;
	if (offset)
		*offset = addr - s->addr;
	return s;
}

const unsigned char *rt_elf_bytes(const struct rt_elf *e, uint64_t vaddr, size_t len)
{
	uint64_t off = 0;
	bool found = false;

	for (size_t i = 0; i < e->nsegs && !found; i++) {
		const struct rt_elf_seg *s = &e->segs[i];

		if (s->type == PT_LOAD && vaddr >= s->vaddr && vaddr - s->vaddr <= s->filesz &&
		    len <= s->filesz - (vaddr - s->vaddr)) {
			off = s->offset + (vaddr - s->vaddr);
			found = true;
		}
	}
	for (size_t i = 0; i < e->nsecs && !found; i++) {
		const struct rt_elf_sec *s = &e->secs[i];

		if (s->type != SHT_NOBITS && (s->flags & SHF_ALLOC) && vaddr >= s->addr &&
		    vaddr - s->addr <= s->size && len <= s->size - (vaddr - s->addr)) {
			off = s->offset + (vaddr - s->addr);
			found = true;
		}
	}
	if (!found || !in_file(e, off, len) || !e->map)
		return NULL;
	return e->map + off;
}

int rt_elf_read(const struct rt_elf *e, uint64_t vaddr, void *buf, size_t len)
{
	const unsigned char *p = rt_elf_bytes(e, vaddr, len);

	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

int rt_elf_read_u32(const struct rt_elf *e, uint64_t vaddr, uint32_t *out)
{
	unsigned char b[4];

	if (rt_elf_read(e, vaddr, b, sizeof(b)) != 0)
		return -1;
	*out = (uint32_t)rt_elf_decode(e, b, 4);
	return 0;
}

int rt_elf_read_ptr(const struct rt_elf *e, uint64_t vaddr, uint64_t *out)
{
	unsigned char b[8];
	size_t lo = 0, hi = e->nrels;

	if (rt_elf_read(e, vaddr, b, e->ptr_size) != 0)
		return -1;
	*out = rt_elf_decode(e, b, e->ptr_size);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->rels[mid].offset == vaddr) {
			if (*out == 0)
				*out = e->rels[mid].addend;
			break;
		}
		if (e->rels[mid].offset < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

const char *rt_elf_type_name(uint16_t type)
{
	switch (type) {
	case ET_NONE: return "NONE";
	case ET_REL: return "REL";
	case ET_EXEC: return "EXEC";
	case ET_DYN: return "DYN";
	case ET_CORE: return "CORE";
	}
	return "OTHER";
}

const char *rt_elf_seg_type_name(uint32_t type, char *buf)
{
	switch (type) {
	case PT_NULL: return "NULL";
	case PT_LOAD: return "LOAD";
	case PT_DYNAMIC: return "DYNAMIC";
	case PT_INTERP: return "INTERP";
	case PT_NOTE: return "NOTE";
	case PT_SHLIB: return "SHLIB";
	case PT_PHDR: return "PHDR";
	case PT_TLS: return "TLS";
	case PT_GNU_EH_FRAME: return "GNU_EH_FRAME";
	case PT_GNU_STACK: return "GNU_STACK";
	case PT_GNU_RELRO: return "GNU_RELRO";
	case PT_GNU_PROPERTY: return "GNU_PROPERTY";
	}
	snprintf(buf, 16, "0x%x", type);
	return buf;
}

const char *rt_elf_flags_str(uint32_t pflags, char buf[4])
{
	buf[0] = (pflags & PF_R) ? 'r' : '-';
	buf[1] = (pflags & PF_W) ? 'w' : '-';
	buf[2] = (pflags & PF_X) ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}
