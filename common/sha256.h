/* SHA-256 (FIPS 180-4). Small and dependency-free: rt0trace hashes build inputs and outputs with it, and
 * linking a crypto library for one digest cost more in start-up relocations than the digests did. */
#ifndef RT0_COMMON_SHA256_H
#define RT0_COMMON_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;       /* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
void sha256(const void *data, size_t len, uint8_t out[32]);
/* The digest as 64 lower-case hex digits and a NUL. */
void sha256_hex(const uint8_t h[32], char out[65]);
/* The digest from 64 hex digits (either case); false when s does not start with them. */
bool sha256_from_hex(const char *s, uint8_t out[32]);
/* The block function: the CPU's SHA extensions when it has them (chosen on first use), else portable C.
 * sha256_select(1) forces the portable one (tests compare both). */
void sha256_select(int portable);

#endif
