/*
 * probes/binary: everything rt0trace knows about a binary before it runs — its ELF facts, the symbol at
 * its entry, its .init_array, and (for Go) what the toolchain placed — plus the notes that say what could
 * not be read and why. This is the "expectations" half of every check.
 *
 * Ownership: rt_binary_open() returns an object released with rt_binary_free() (NULL is fine); pointers
 * inside (entry_sym, init_array[].symbol) point into `elf` and live as long as the object.
 */
#ifndef RT0_PROBES_BINARY_H
#define RT0_PROBES_BINARY_H

#include <jansson.h>

#include "probes/elf.h"
#include "probes/goinfo.h"

struct rt_init_entry {
	uint64_t addr;
	const char *symbol; /* NULL when no symbol starts at addr */
};

struct rt_binary {
	struct rt_elf *elf;
	struct rt_go_info *go;            /* NULL for a non-Go binary */
	const struct rt_elf_sym *entry_sym; /* the symbol starting at the ELF entry, or NULL */
	struct rt_init_entry *init_array;
	size_t ninit_array;
	struct strv notes;                /* what could not be read and why (ELF and Go) */
};

/* Fails only when the file is unusable (see rt_elf_open); missing facts become notes. */
int rt_binary_open(struct rt_binary **out, const char *path, struct rt_err *err);
void rt_binary_free(struct rt_binary *b);

/* The `rt0trace inspect --json` object (docs/formats.md); the caller owns the reference. */
json_t *rt_binary_json(const struct rt_binary *b);
/* The same binary in the trace's shape (docs/formats.md "The binary object"), for an image running
 * from `path` with load bias `bias`: {"path","arch","pie","static","entry","entry_symbol","bias",
 * "go_version","build_id","init_order","segments"} (PT_LOAD only, {"vaddr","memsz","flags"}); the
 * tracer adds the probe plan. */
json_t *rt_binary_image_json(const struct rt_binary *b, const char *path, uint64_t bias);
/* The "init_order" array of that object: [{"package","functions":[{"symbol","addr"}]}]. */
json_t *rt_binary_init_order_json(const struct rt_go_info *g);

#endif
