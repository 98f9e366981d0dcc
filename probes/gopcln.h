/*
 * probes/gopcln: the Go runtime's own function table (pclntab), for unwinding Go stacks the way Go's
 * traceback does: each function's entry, name and flags, and the SP delta at any of its PCs (the
 * `pcsp` pc-value table). Go code has no .eh_frame, and its frame-pointer chain skips the caller of a
 * function stopped before its prologue; the SP delta does not.
 *
 * Layout (Go >= 1.18, runtime/symtab.go `pcHeader`, `_func`): a header {magic 0xfffffff0 (1.18-1.19)
 * or 0xfffffff1 (1.20+); pad, pad; minLC; ptrSize; nfunc; nfiles; textStart (0 in newer linkers:
 * then runtime.text); funcnameOffset;
 * cuOffset; filetabOffset; pctabOffset; pclnOffset}, then at pclnOffset nfunc+1 pairs {entryoff,
 * funcoff} (entryoff from textStart) and the `_func` records {entryOff, nameOff, args, deferreturn,
 * pcsp, ...}. pc-value tables are pairs of (zig-zag value delta, pc delta * minLC) uvarints, starting
 * at value -1 and the function's entry. Found as section .gopclntab, or symbol runtime.pclntab (PIE).
 *
 * Ownership: rt_gopcln_open() returns an object released with rt_gopcln_free() (NULL is fine). It
 * points into the rt_elf's mapped file, which must outlive it.
 */
#ifndef RT0_PROBES_GOPCLN_H
#define RT0_PROBES_GOPCLN_H

#include <stdbool.h>
#include <stdint.h>

#include "probes/elf.h"

struct rt_gopcln;

struct rt_gofunc {
	uint64_t entry;      /* link-time address */
	const char *name;    /* points into the mapped file */
	bool top;            /* the bottom of a stack: nothing called it (goexit, mstart, rt0_go) */
	bool spwrite;        /* it writes SP itself (systemstack, mcall, ...): no SP delta beyond it */
	uint32_t pcsp;       /* offset of its pcsp table */
};

/* NULL when `e` has no pclntab in a layout this reader knows (not Go, Go < 1.18, or damaged). */
struct rt_gopcln *rt_gopcln_open(const struct rt_elf *e);
void rt_gopcln_free(struct rt_gopcln *t);

/* Every function of the table, in address order, as symbols (name into the mapped file, entry, size
 * up to the next one, STT_FUNC) into *out (malloc'd); their number. */
size_t rt_gopcln_funcs(const struct rt_gopcln *t, struct rt_elf_sym **out);

/* The function holding link-time address `pc`; false when no Go function does. */
bool rt_gopcln_func(const struct rt_gopcln *t, uint64_t pc, struct rt_gofunc *f);

/* The SP delta of `f` at link-time `pc`: bytes between SP and the return address slot. -1 when the
 * table does not say. */
int64_t rt_gopcln_spdelta(const struct rt_gopcln *t, const struct rt_gofunc *f, uint64_t pc);

#endif
