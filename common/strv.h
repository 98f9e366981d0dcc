/* A growable, NULL-terminated vector of owned strings (argv lists, notes). */
#ifndef RT0_COMMON_STRV_H
#define RT0_COMMON_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;   /* NULL-terminated once anything was pushed; may be NULL when empty */
	size_t n, cap;
};

#define STRV_INIT { NULL, 0, 0 }

void strv_push(struct strv *sv, const char *s);                                  /* copies s */
void strv_pushn(struct strv *sv, const char *s, size_t n);                       /* copies n bytes */
void strv_pushf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strv_has(const struct strv *sv, const char *s);                              /* exact match */
void strv_release(struct strv *sv);                                                /* frees all, reusable */

#endif
