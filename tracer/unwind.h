/*
 * tracer/unwind: backtraces of the threads of a stopped, ptrace-attached process, for the crash
 * events of docs/formats.md. Stepping is libunwind-ptrace's (CFI from .eh_frame, else the frame-pointer
 * chain); naming is probes/'s: each pc is matched to its mapping in /proc/PID/maps, the mapped file
 * is opened through /proc/PID/root (right inside containers too) and the pc becomes symbol + offset,
 * plus file:line where the file has DWARF (libdw).
 *
 * Go code has no .eh_frame (its CFI is in .debug_frame, which libunwind as Debian builds it does not
 * read), so libunwind falls back to the frame-pointer chain there. That chain cannot see the caller
 * of a function stopped before its prologue pushed the frame pointer (a probe at its entry, a fault in
 * a frameless assembly function): for those the return address is taken from the function's SP delta
 * at that pc, which probes/goinfo reads from the binary's pclntab, exactly as Go's own traceback does.
 *
 * Ownership: rt_unwinder_new() returns an object released with rt_unwinder_free() (NULL is fine). It
 * reads the maps once: make a new one when the mappings may have changed (each crash).
 */
#ifndef RT0_TRACER_UNWIND_H
#define RT0_TRACER_UNWIND_H

#include <jansson.h>
#include <sys/types.h>

struct rt_unwinder;

struct rt_unwinder *rt_unwinder_new(pid_t pid);
void rt_unwinder_free(struct rt_unwinder *u);

/* {"tid":N,"frames":[{"pc","symbol","offset","module","file","line"}...]} for thread `tid`, which must
 * be in a ptrace-stop. symbol/file are null when unknown; at most 64 frames. */
json_t *rt_unwind_thread(struct rt_unwinder *u, pid_t tid);

#endif
