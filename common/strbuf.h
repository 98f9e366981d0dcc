/* A growable byte string (may hold NUL bytes); always NUL-terminated after any add. */
#ifndef RT0_COMMON_STRBUF_H
#define RT0_COMMON_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;   /* NULL until something is added */
	size_t len, cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller (an empty string when nothing was added) and resets sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_release(struct strbuf *sb);

#endif
