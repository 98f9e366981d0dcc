/*
 * common/strhash: FNV-1a over a string, for the small open-addressing tables that index strings in
 * memory (the loader's import memo, the file-hash memo, the trace reader's syscall names). Not for
 * anything stored or compared across runs.
 */
#ifndef RT0_COMMON_STRHASH_H
#define RT0_COMMON_STRHASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a of the `len` bytes at `s`, its basis mixed with `seed` (0: plain FNV-1a). */
static inline uint32_t rt_strhash(const char *s, size_t len, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

#endif
