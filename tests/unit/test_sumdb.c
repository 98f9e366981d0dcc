/*
 * Unit tests for pipeline/sumdb against checksum databases made here: a key pair generated with OpenSSL,
 * logs of fake go.sum records whose tiles and signed heads are computed by this file's own Merkle tree
 * code (RFC 6962's recursive definition, not the client's tile walk), written as a file:// database
 * (GOSUMDB "NAME+HASH+KEY file://DIR"). Covered: lookups proven against the signed log; tile indexes
 * past 999 (x001/003); partial tiles at several levels; a newer log proven to extend the recorded one
 * (and the record file updated); an older log's answer proven against the newer recorded one; a forked
 * log refused; changed records, changed signatures and notes by another key refused; everything read
 * again from the cache with the database gone; GOSUMDB's forms and errors. No network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "pipeline/modfetch.h"
#include "pipeline/sumdb.h"

#define NAME "sum.test.example"

static char tmpdir[] = "/tmp/rt0-sumdb-XXXXXX";

/* ---- a log ------------------------------------------------------------------------------------------ */

struct log {
	int64_t n;
	uint8_t (*leaf)[32];
	char **text;
};

static char *record_text(int64_t i, int variant)
{
	uint8_t h[32];
	char b64[64], b64b[64], seed[64];

	snprintf(seed, sizeof(seed), "%" PRId64 "/%d", i, variant);
	sha256(seed, strlen(seed), h);
	EVP_EncodeBlock((unsigned char *)b64, h, 32);
	h[0] ^= 1;
	EVP_EncodeBlock((unsigned char *)b64b, h, 32);
	return xasprintf("example.com/m%" PRId64 " v1.0.0 h1:%s\nexample.com/m%" PRId64 " v1.0.0/go.mod h1:%s\n", i, b64, i, b64b);
}

/* A log of n records; record `changed` (or none: -1) differs from the same-numbered record of other logs. */
static void log_make(struct log *l, int64_t n, int64_t changed)
{
	l->n = n;
	l->leaf = xcalloc((size_t)n, 32);
	l->text = xcalloc((size_t)n, sizeof(char *));
	for (int64_t i = 0; i < n; i++) {
		struct sha256 s;

		l->text[i] = record_text(i, i == changed);
		sha256_init(&s);
		sha256_update(&s, "", 1);
		sha256_update(&s, l->text[i], strlen(l->text[i]));
		sha256_final(&s, l->leaf[i]);
	}
}

static void log_free(struct log *l)
{
	for (int64_t i = 0; i < l->n; i++)
		free(l->text[i]);
	free(l->text);
	free(l->leaf);
}

static void node(const uint8_t a[32], const uint8_t b[32], uint8_t out[32])
{
	struct sha256 s;
	uint8_t one = 1;

	sha256_init(&s);
	sha256_update(&s, &one, 1);
	sha256_update(&s, a, 32);
	sha256_update(&s, b, 32);
	sha256_final(&s, out);
}

/* RFC 6962 MTH(D[lo:hi]) */
static void mth(const struct log *l, int64_t lo, int64_t hi, uint8_t out[32])
{
	int64_t k = 1;
	uint8_t a[32], b[32];

	if (hi - lo == 1) {
		memcpy(out, l->leaf[lo], 32);
		return;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	mth(l, lo, lo + k, a);
	mth(l, lo + k, hi, b);
	node(a, b, out);
}

static void write_file(const char *path, const void *data, size_t len)
{
	char *dir = xstrdup(path);
	FILE *f;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(rt_mkdir_p(dir), 0);
	free(dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Every tile of the log at size n under dir/tile/8/: level L holds the complete subtrees of 2^(8L)
 * records, 256 a tile (MTH of each), the last tile partial ("NNN.p/W"). */
static void write_tiles(const struct log *l, int64_t n, const char *dir)
{
	for (int L = 0; (n >> (8 * L)) > 0; L++) {
		int64_t count = n >> (8 * L), span = (int64_t)1 << (8 * L);

		for (int64_t k = 0; k * 256 < count; k++) {
			int64_t w = count - k * 256 < 256 ? count - k * 256 : 256;
			uint8_t *data = xmalloc((size_t)w * 32);
			char idx[64], *path;

			for (int64_t i = 0; i < w; i++)
				mth(l, (k * 256 + i) * span, (k * 256 + i + 1) * span, data + i * 32);
			if (k >= 1000)
				snprintf(idx, sizeof(idx), "x%03" PRId64 "/%03" PRId64, k / 1000, k % 1000);
			else
				snprintf(idx, sizeof(idx), "%03" PRId64, k);
			path = w < 256 ? xasprintf("%s/tile/8/%d/%s.p/%" PRId64, dir, L, idx, w) : xasprintf("%s/tile/8/%d/%s", dir, L, idx);
			write_file(path, data, (size_t)w * 32);
			free(path);
			free(data);
		}
	}
}

/* ---- keys and notes ----------------------------------------------------------------------------------- */

struct key {
	EVP_PKEY *k;
	uint32_t hash;
	char *vkey;
};

static void key_make(struct key *key, const char *name)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	uint8_t pub[33], sum[32];
	size_t plen = 32;
	char b64[64];
	struct sha256 s;

	key->k = NULL;
	assert_int_equal(EVP_PKEY_keygen_init(c), 1);
	assert_int_equal(EVP_PKEY_keygen(c, &key->k), 1);
	EVP_PKEY_CTX_free(c);
	pub[0] = 1;
	assert_int_equal(EVP_PKEY_get_raw_public_key(key->k, pub + 1, &plen), 1);
	sha256_init(&s);
	sha256_update(&s, name, strlen(name));
	sha256_update(&s, "\n", 1);
	sha256_update(&s, pub, 33);
	sha256_final(&s, sum);
	key->hash = (uint32_t)sum[0] << 24 | (uint32_t)sum[1] << 16 | (uint32_t)sum[2] << 8 | sum[3];
	EVP_EncodeBlock((unsigned char *)b64, pub, 33);
	key->vkey = xasprintf("%s+%08x+%s", name, key->hash, b64);
}

/* The signed head of the log at size n: "go.sum database tree\nN\nHASH\n\n— NAME SIG\n". */
static char *note(const struct log *l, int64_t n, const struct key *key, const char *name)
{
	uint8_t root[32], sig[68];
	char rb64[64], sb64[128], *text;
	size_t slen = 64;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *msg;

	mth(l, 0, n, root);
	EVP_EncodeBlock((unsigned char *)rb64, root, 32);
	text = xasprintf("go.sum database tree\n%" PRId64 "\n%s\n", n, rb64);
	sig[0] = (uint8_t)(key->hash >> 24), sig[1] = (uint8_t)(key->hash >> 16), sig[2] = (uint8_t)(key->hash >> 8), sig[3] = (uint8_t)key->hash;
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->k), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig + 4, &slen, (const unsigned char *)text, strlen(text)), 1);
	EVP_MD_CTX_free(ctx);
	EVP_EncodeBlock((unsigned char *)sb64, sig, 68);
	msg = xasprintf("%s\n\xe2\x80\x94 %s %s\n", text, name, sb64);
	free(text);
	return msg;
}

/* dir/lookup/example.com/mI@v1.0.0: the record, then the head of the log at size n */
static void write_lookup(const char *dir, const struct log *l, int64_t i, int64_t n, const struct key *key)
{
	char *nt = note(l, n, key, NAME), *path = xasprintf("%s/lookup/example.com/m%" PRId64 "@v1.0.0", dir, i);
	char *body = xasprintf("%" PRId64 "\n%s\n%s", i, l->text[i], nt);

	write_file(path, body, strlen(body));
	free(body);
	free(path);
	free(nt);
}

/* ---- the client --------------------------------------------------------------------------------------- */

static struct key K, OTHER;
static struct log A, B;
#define N1 256700
#define N2 257010

static int client(const char *gosumdb, const char *modcache, struct gb_modenv *e, struct gb_sumdb **db, struct rt_err *err)
{
	char *gopath = xasprintf("%s/gopath", tmpdir);
	int rc;

	setenv("GOENV", "off", 1);
	setenv("GOPATH", gopath, 1);
	setenv("GOMODCACHE", modcache, 1);
	setenv("GOSUMDB", gosumdb, 1);
	setenv("GOPROXY", "off", 1);
	free(gopath);
	assert_int_equal(gb_modenv_load(e, err), 0);
	rc = gb_sumdb_open(e, db, err);
	return rc;
}

static int lookup(const char *dir, const char *modcache, int64_t i, char **h1, struct rt_err *err)
{
	char *spec = xasprintf("%s file://%s", K.vkey, dir), *path = xasprintf("example.com/m%" PRId64, i);
	struct gb_modenv e;
	struct gb_sumdb *db = NULL;
	int rc;

	assert_int_equal(client(spec, modcache, &e, &db, err), 0);
	assert_non_null(db);
	rc = gb_sumdb_lookup(db, path, "v1.0.0", h1, err);
	gb_sumdb_close(db);
	gb_modenv_release(&e);
	free(spec);
	free(path);
	return rc;
}

static char *want_h1(const struct log *l, int64_t i)
{
	const char *p = strstr(l->text[i], " h1:") + 1;

	return xstrndup(p, strcspn(p, "\n"));
}

static char *latest_file(void)
{
	return xasprintf("%s/gopath/pkg/sumdb/%s/latest", tmpdir, NAME);
}

static void test_proofs(void **state)
{
	char *db = xasprintf("%s/db", tmpdir), *mc = xasprintf("%s/mc1", tmpdir), *h1 = NULL, *want, *lf = latest_file(), *got;
	struct rt_err err = { 0 };

	(void)state;
	write_tiles(&A, N1, db);
	write_tiles(&A, N2, db);
	/* the first lookup: proven against its own head, which becomes the newest recorded */
	write_lookup(db, &A, 5, N1, &K);
	assert_int_equal(lookup(db, mc, 5, &h1, &err), 0);
	want = want_h1(&A, 5);
	assert_string_equal(h1, want);
	free(h1), free(want);
	got = rt_slurp(lf);
	assert_non_null(got);
	assert_non_null(strstr(got, "\n256700\n"));
	free(got);
	/* a newer head: it must extend the recorded one; the record is in tile x001/003 of level 0 */
	write_lookup(db, &A, 256999, N2, &K);
	assert_int_equal(lookup(db, mc, 256999, &h1, &err), 0);
	want = want_h1(&A, 256999);
	assert_string_equal(h1, want);
	free(h1), free(want);
	got = rt_slurp(lf);
	assert_non_null(strstr(got, "\n257010\n"));
	free(got);
	/* an older head's answer: proven against the newer recorded log */
	write_lookup(db, &A, 7, N1, &K);
	assert_int_equal(lookup(db, mc, 7, &h1, &err), 0);
	free(h1);
	/* all of it again from the cache, with the database gone */
	{
		char *gone = xasprintf("%s/nothing", tmpdir);

		assert_int_equal(lookup(gone, mc, 256999, &h1, &err), 0);
		free(h1);
		assert_int_equal(lookup(gone, mc, 5, &h1, &err), 0);
		free(h1);
		free(gone);
	}
	free(db), free(mc), free(lf);
}

static void test_refusals(void **state)
{
	char *db = xasprintf("%s/db", tmpdir), *fork = xasprintf("%s/fork", tmpdir), *h1 = NULL;
	struct rt_err err = { 0 };
	char *mc;

	(void)state;
	/* a changed record (the head and tiles are the real ones) */
	{
		char *nt = note(&A, N2, &K, NAME), *path = xasprintf("%s/lookup/example.com/m9@v1.0.0", db);
		char *body = xasprintf("9\n%s\n%s", A.text[8], nt);

		write_file(path, body, strlen(body));
		mc = xasprintf("%s/mc-rec", tmpdir);
		assert_int_equal(lookup(db, mc, 9, &h1, &err), -1);
		assert_int_equal(err.exit, RT_EXIT_BUILD);
		assert_non_null(strstr(err.msg, "does not prove against the signed log of 257010 records"));
		free(mc), free(body), free(path), free(nt);
	}
	/* a head signed by another key, and a changed signature */
	{
		char *nt = note(&A, N2, &OTHER, NAME), *path = xasprintf("%s/lookup/example.com/m10@v1.0.0", db);
		char *body = xasprintf("10\n%s\n%s", A.text[10], nt), *p;

		write_file(path, body, strlen(body));
		mc = xasprintf("%s/mc-key", tmpdir);
		assert_int_equal(lookup(db, mc, 10, &h1, &err), -1);
		assert_non_null(strstr(err.msg, "the note has no signature by " NAME));
		free(nt), free(body);
		nt = note(&A, N2, &K, NAME);
		body = xasprintf("10\n%s\n%s", A.text[10], nt);
		p = body + strlen(body) - 10;
		*p = *p == 'A' ? 'B' : 'A';
		write_file(path, body, strlen(body));
		assert_int_equal(lookup(db, mc, 10, &h1, &err), -1);
		assert_non_null(strstr(err.msg, "invalid signature for key " NAME));
		free(mc), free(body), free(path), free(nt);
	}
	/* a fork: log B differs at record 100, is longer than the recorded A, signed by the right key;
	 * its own tiles prove its head, but it does not extend A (an empty module cache: B's tiles only) */
	write_tiles(&B, B.n, fork);
	write_lookup(fork, &B, 3, B.n, &K);
	mc = xasprintf("%s/mc-fork", tmpdir);
	assert_int_equal(lookup(fork, mc, 3, &h1, &err), -1);
	assert_non_null(strstr(err.msg, "does not extend the one of 257010 records recorded in"));
	assert_non_null(strstr(err.msg, "forked its log"));
	free(mc), free(db), free(fork);
}

static void test_gosumdb(void **state)
{
	struct gb_modenv e;
	struct gb_sumdb *db = NULL;
	struct rt_err err = { 0 };
	char *mc = xasprintf("%s/mc-x", tmpdir), *s;

	(void)state;
	assert_int_equal(client("off", mc, &e, &db, &err), 0);
	assert_null(db);
	gb_modenv_release(&e);
	assert_int_equal(client("sum.golang.org", mc, &e, &db, &err), 0);
	assert_string_equal(gb_sumdb_name(db), "sum.golang.org");
	gb_sumdb_close(db);
	gb_modenv_release(&e);
	assert_int_equal(client("sum.golang.google.cn", mc, &e, &db, &err), 0);
	assert_string_equal(gb_sumdb_name(db), "sum.golang.org");
	gb_sumdb_close(db);
	gb_modenv_release(&e);
	/* the hash must be the key's */
	s = xstrdup(K.vkey);
	s[strlen(NAME) + 1] = s[strlen(NAME) + 1] == '0' ? '1' : '0';
	assert_int_equal(client(s, mc, &e, &db, &err), -1);
	assert_int_equal(err.exit, RT_EXIT_ENV);
	assert_non_null(strstr(err.msg, "invalid verifier hash"));
	gb_modenv_release(&e);
	free(s);
	s = xasprintf("%s https://a https://b", K.vkey);
	assert_int_equal(client(s, mc, &e, &db, &err), -1);
	assert_non_null(strstr(err.msg, "too many fields"));
	gb_modenv_release(&e);
	free(s);
	s = xasprintf("%s ftp://a", K.vkey);
	assert_int_equal(client(s, mc, &e, &db, &err), -1);
	assert_non_null(strstr(err.msg, "invalid GOSUMDB URL"));
	gb_modenv_release(&e);
	free(s);
	assert_int_equal(client("name+zz+AAAA", mc, &e, &db, &err), -1);
	assert_non_null(strstr(err.msg, "malformed verifier id"));
	gb_modenv_release(&e);
	free(mc);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	key_make(&K, NAME);
	key_make(&OTHER, NAME);
	log_make(&A, N2, -1);
	log_make(&B, N2 + 300, 100);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	(void)state;
	log_free(&A);
	log_free(&B);
	EVP_PKEY_free(K.k);
	EVP_PKEY_free(OTHER.k);
	free(K.vkey);
	free(OTHER.vkey);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proofs),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_gosumdb),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
