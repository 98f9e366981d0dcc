/*
 * Allocation helpers that never return NULL: running out of memory is not an input error rt0trace can
 * report usefully, so these print one message and abort (as git's xmalloc does). All results are
 * released with free().
 */
#ifndef RT0_COMMON_XALLOC_H
#define RT0_COMMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows array `p` of `*cap` elements of `size` bytes so that it holds at least `need`. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);

#endif
