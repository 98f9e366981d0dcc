/*
 * probes/elf: what an ELF file says about itself, read through libelf.
 *
 * Architecture-independent: 32/64-bit and either byte order read the same way (a host can inspect an
 * arm or arm64 binary). Everything is read and validated in rt_elf_open(); afterwards the object is
 * immutable and all lookups are pure. It never talks to a process.
 *
 * Ownership: rt_elf_open() returns an object the caller releases with rt_elf_free() (NULL is fine).
 * All strings and arrays inside belong to it. The file descriptor it opened stays open, owned by the
 * object, so rt_elf_read() can read file-backed bytes on demand.
 */
#ifndef RT0_PROBES_ELF_H
#define RT0_PROBES_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/strv.h"

struct rt_elf_seg {
	uint32_t type;  /* PT_* */
	uint32_t flags; /* PF_R | PF_W | PF_X */
	uint64_t offset, vaddr, filesz, memsz, align;
};

struct rt_elf_sec {
	char *name;
	uint32_t type; /* SHT_* */
	uint64_t flags, addr, offset, size;
};

struct rt_elf_sym {
	const char *name;   /* points into the mapped file: valid while the rt_elf lives */
	uint64_t addr, size;
	uint8_t type; /* STT_FUNC, STT_OBJECT, ... */
};

struct rt_elf {
	char *path;
	int fd;
	uint64_t file_size;
	const unsigned char *map; /* the whole file, read-only (NULL for an empty file) */

	int elfclass;       /* ELFCLASS32 or ELFCLASS64 */
	bool big_endian;
	unsigned ptr_size;  /* 4 or 8 */
	uint16_t machine;   /* EM_* */
	uint16_t type;      /* ET_* */
	char arch[24];      /* GOARCH-style name: "amd64", "arm64", "arm", "386", ...; "em-N" if unknown */
	char *interp;       /* PT_INTERP path, or NULL */
	bool pie;           /* ET_DYN with an interpreter or DF_1_PIE */
	bool is_static;     /* no PT_INTERP */
	uint64_t entry;

	struct rt_elf_seg *segs;
	size_t nsegs;
	struct rt_elf_sec *secs;
	size_t nsecs;

	/* Named symbols with an address, sorted by address (ties: FUNC first, then by name).
	 * From .symtab when present, otherwise from .dynsym. */
	struct rt_elf_sym *syms;
	size_t nsyms;
	uint32_t *by_name;   /* open-addressing hash of names: index into syms + 1, 0 = empty */
	size_t name_slots;   /* a power of two, at least twice nsyms */
	bool has_symtab;     /* false for a stripped binary */
	bool syms_from_go;   /* stripped Go: the functions were named from the pclntab (rt_elf_add_funcs) */

	/* RELATIVE dynamic relocations (offset -> addend), sorted by offset: a PIE's pointers. */
	struct rt_elf_rel { uint64_t offset, addend; bool rela; } *rels;
	size_t nrels;

	/* What could not be read and why, in the words the user sees. */
	struct strv notes;
};

/* Opens and validates `path`. Errors: missing/unreadable/directory (RT_EXIT_INPUT), not ELF,
 * truncated ELF, malformed headers (RT_EXIT_INPUT). */
int rt_elf_open(struct rt_elf **out, const char *path, struct rt_err *err);
void rt_elf_free(struct rt_elf *e);

/* Adds function symbols (names pointing into the mapped file) to a binary without a symbol table, as
 * the Go pclntab names them: sorted and indexed with the others; `note` replaces the note that no
 * address can be named. Takes `syms` over. */
void rt_elf_add_funcs(struct rt_elf *e, struct rt_elf_sym *syms, size_t n, const char *note);

/* The section called `name`, or NULL. */
const struct rt_elf_sec *rt_elf_section(const struct rt_elf *e, const char *name);

/* A copy of a section's file bytes (release with free()), or NULL for SHT_NOBITS / unreadable. */
void *rt_elf_section_data(const struct rt_elf *e, const struct rt_elf_sec *s);

/* Symbol by exact name; when absent, also tries `name` + ".abi0" (assembly functions' ABI suffix)
 * and `name` without a trailing ".abi0". NULL when neither exists. */
const struct rt_elf_sym *rt_elf_sym_by_name(const struct rt_elf *e, const char *name);

/* The symbol whose range holds `addr` (a function for a code address), or NULL. A symbol of size 0
 * holds only its own address. `*offset` (if not NULL) receives addr - sym->addr. */
const struct rt_elf_sym *rt_elf_sym_at(const struct rt_elf *e, uint64_t addr, uint64_t *offset);

/* The `len` file-backed bytes at virtual address `vaddr` (one PT_LOAD, else one allocated section)
 * inside the mapped file, or NULL when the range is not entirely backed by it. */
const unsigned char *rt_elf_bytes(const struct rt_elf *e, uint64_t vaddr, size_t len);
/* Copies those bytes: 0, or -1 as rt_elf_bytes. */
int rt_elf_read(const struct rt_elf *e, uint64_t vaddr, void *buf, size_t len);

/* Reads a pointer-sized / 32-bit value at `vaddr` in the file's byte order. For pointers, a RELATIVE
 * relocation at that address supplies the value (its addend) when the linker left the slot empty. */
int rt_elf_read_ptr(const struct rt_elf *e, uint64_t vaddr, uint64_t *out);
int rt_elf_read_u32(const struct rt_elf *e, uint64_t vaddr, uint32_t *out);

/* Decodes a value of `size` (4 or 8) bytes in the file's byte order. */
uint64_t rt_elf_decode(const struct rt_elf *e, const void *p, unsigned size);

/* Names for display: "LOAD", "DYN", "r-x". Static strings or `buf` (at least 16 bytes). */
const char *rt_elf_seg_type_name(uint32_t type, char *buf);
const char *rt_elf_type_name(uint16_t type);
const char *rt_elf_flags_str(uint32_t pflags, char buf[4]);

#endif
