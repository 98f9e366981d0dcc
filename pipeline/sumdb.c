#include "pipeline/sumdb.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "pipeline/modfetch_int.h"

#define TILE_H 8                  /* tile height: 2^8 hashes a tile, as sum.golang.org serves them */
#define TILE_W (1 << TILE_H)
#define MAX_LOOKUP (1 << 20)      /* a lookup answer (cmd/go takes whatever comes; a record is a few lines) */
#define NOTE_PREFIX "go.sum database tree\n"

/* cmd/go's knownGOSUMDB: the one database whose key is built in. */
static const char *const known_key = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

struct tree {
	int64_t n;
	uint8_t hash[32];
};

struct tile {
	int level;
	int64_t index;
	int width;
	uint8_t *data;   /* width * 32 bytes */
	bool remote;     /* fetched from the database: cached on disk once it proved */
};

struct record {
	char *key;       /* path@version */
	char *text;      /* its go.sum lines */
};

struct gb_sumdb {
	const struct gb_modenv *e;
	char *name;
	uint32_t keyhash;
	uint8_t pub[32];
	char *url;               /* GOSUMDB's URL, or NULL: the proxy's or https://NAME */
	char *base;              /* where it is read, decided at the first remote read */
	char *cache;             /* $GOMODCACHE/cache/download/sumdb/NAME */
	char *latest_file;       /* <sumdb_dir>/NAME/latest, or NULL */
	struct tree latest;      /* the newest signed log seen (n == 0: none) */
	char *latest_msg;        /* its note as read or written */
	bool latest_loaded;
	struct tile *tiles;
	size_t ntiles, tilecap;
	struct record *recs;
	size_t nrecs, reccap;
};

/* ---- encodings ------------------------------------------------------------------------------------- */

/* Standard base64 with padding, strictly: NULL unless s (n bytes) decodes to exactly what it says. */
static uint8_t *b64_decode(const char *s, size_t n, size_t *outlen)
{
	size_t pad = 0;
	uint8_t *out;
	int got;

	if (n == 0 || n % 4 != 0 || n > (1u << 20))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';

		if (c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '='))
			pad++;
		else if (!ok)
			return NULL;
	}
	out = xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)got - pad;
	return out;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool ed25519_ok(const uint8_t pub[32], const void *msg, size_t len, const uint8_t sig[64])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = k && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
		  EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok;
}

/* tlog's RecordHash and NodeHash (RFC 6962's leaf and interior hashes). */
static void record_hash(const char *text, size_t len, uint8_t out[32])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, "", 1);
	sha256_update(&s, text, len);
	sha256_final(&s, out);
}

static void node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	struct sha256 s;
	uint8_t one = 1;

	sha256_init(&s);
	sha256_update(&s, &one, 1);
	sha256_update(&s, l, 32);
	sha256_update(&s, r, 32);
	sha256_final(&s, out);
}

/* ---- the key, the note, the record ------------------------------------------------------------------ */

/* A verifier key NAME+HASH+BASE64(1 || Ed25519 public key), its hash checked (note.NewVerifier). */
static int parse_key(struct gb_sumdb *db, const char *vkey, struct rt_err *err)
{
	const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
	uint8_t *key = NULL, sum[32];
	size_t klen = 0;
	struct sha256 s;
	char *end;
	unsigned long h;

	if (!p2 || p1 == vkey || p2 - p1 != 9 || strpbrk(p2 + 1, " \t"))
		goto bad;
	errno = 0;
	h = strtoul(p1 + 1, &end, 16);
	if (errno || end != p2 || !(key = b64_decode(p2 + 1, strlen(p2 + 1), &klen)))
		goto bad;
	db->name = xstrndup(vkey, (size_t)(p1 - vkey));
	sha256_init(&s);
	sha256_update(&s, db->name, strlen(db->name));
	sha256_update(&s, "\n", 1);
	sha256_update(&s, key, klen);
	sha256_final(&s, sum);
	if (be32(sum) != h) {
		free(key);
		return rt_errf(err, RT_EXIT_ENV, "invalid GOSUMDB: invalid verifier hash in '%s'", vkey);
	}
	if (klen != 33 || key[0] != 1) {
		free(key);
		return rt_errf(err, RT_EXIT_ENV, "invalid GOSUMDB: '%s' is not an Ed25519 verifier key", vkey);
	}
	db->keyhash = (uint32_t)h;
	memcpy(db->pub, key + 1, 32);
	free(key);
	if (strchr(db->name, '/') == db->name + strlen(db->name) - 1 || strpbrk(db->name, " \t\n:?#@"))
		return rt_errf(err, RT_EXIT_ENV, "invalid sumdb name (must be host[/path]): %s", db->name);
	return 0;
bad:
	free(key);
	return rt_errf(err, RT_EXIT_ENV, "invalid GOSUMDB: malformed verifier id '%s'", vkey);
}

/* note.Open with the database's key, then tlog.ParseTree: a signed log head. `what` names the note's
 * origin in messages. */
static int open_tree_note(const struct gb_sumdb *db, const char *msg, size_t len, const char *what, struct tree *t,
			  struct rt_err *err)
{
	const char *split = NULL, *sigs, *end = msg + len;
	bool verified = false;
	size_t tlen;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 && msg[i] != '\n')
			return rt_errf(err, RT_EXIT_BUILD, "%s: malformed note (a control character)", what);
	for (const char *p = msg; p + 1 < end; p++)
		if (p[0] == '\n' && p[1] == '\n')
			split = p;
	if (!split || end == split + 2 || end[-1] != '\n')
		return rt_errf(err, RT_EXIT_BUILD, "%s: malformed note (no signature block)", what);
	tlen = (size_t)(split + 1 - msg);
	for (sigs = split + 2; sigs < end;) {
		const char *nl = memchr(sigs, '\n', (size_t)(end - sigs)), *sp;
		static const char dash[] = "\xe2\x80\x94 "; /* "— " */
		uint8_t *sig = NULL;
		size_t slen = 0;

		if ((size_t)(nl - sigs) < sizeof(dash) - 1 || memcmp(sigs, dash, sizeof(dash) - 1) != 0)
			return rt_errf(err, RT_EXIT_BUILD, "%s: malformed note (a signature line without its dash)", what);
		sigs += sizeof(dash) - 1;
		sp = memchr(sigs, ' ', (size_t)(nl - sigs));
		if (!sp || !(sig = b64_decode(sp + 1, (size_t)(nl - sp - 1), &slen)) || slen < 5) {
			if (sp && sig)
				free(sig);
			return rt_errf(err, RT_EXIT_BUILD, "%s: malformed note (a signature that is not base64)", what);
		}
		if ((size_t)(sp - sigs) == strlen(db->name) && memcmp(sigs, db->name, (size_t)(sp - sigs)) == 0 &&
		    be32(sig) == db->keyhash) {
			if (slen != 68 || !ed25519_ok(db->pub, msg, tlen, sig + 4)) {
				free(sig);
				return rt_errf(err, RT_EXIT_BUILD, "%s: invalid signature for key %s+%08" PRIx32
								   " (SECURITY ERROR: the note was not signed by the checksum database)",
					       what, db->name, db->keyhash);
			}
			verified = true;
		}
		free(sig);
		sigs = nl + 1;
	}
	if (!verified)
		return rt_errf(err, RT_EXIT_BUILD, "%s: the note has no signature by %s+%08" PRIx32, what, db->name, db->keyhash);
	/* go.sum database tree\n<N>\n<base64 hash>\n[more lines, ignored] */
	{
		const char *p = msg + strlen(NOTE_PREFIX), *nl1, *nl2;
		uint8_t *h = NULL;
		size_t hlen = 0;
		char *e2;

		if (tlen < strlen(NOTE_PREFIX) || memcmp(msg, NOTE_PREFIX, strlen(NOTE_PREFIX)) != 0 ||
		    !(nl1 = memchr(p, '\n', tlen - (size_t)(p - msg))) || !(nl2 = memchr(nl1 + 1, '\n', tlen - (size_t)(nl1 + 1 - msg))))
			return rt_errf(err, RT_EXIT_BUILD, "%s: malformed tree note", what);
		errno = 0;
		t->n = strtoll(p, &e2, 10);
		if (errno || e2 != nl1 || t->n < 0 || p == nl1 || (p[0] == '0' && nl1 - p > 1) ||
		    !(h = b64_decode(nl1 + 1, (size_t)(nl2 - nl1 - 1), &hlen)) || hlen != 32) {
			free(h);
			return rt_errf(err, RT_EXIT_BUILD, "%s: malformed tree note", what);
		}
		memcpy(t->hash, h, 32);
		free(h);
	}
	return 0;
}

/* ---- tiles ------------------------------------------------------------------------------------------ */

/* tlog's tile path: tile/H/L/NNN[.p/W], NNN the index in groups of three digits, all but the last
 * with an 'x' ("x001/x234/067"). */
static char *tile_path(int level, int64_t index, int width)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t groups[8];
	int k = 0;

	for (int64_t n = index; k == 0 || n > 0; n /= 1000)
		groups[k++] = n % 1000;
	strbuf_addf(&sb, "tile/%d/%d/", TILE_H, level);
	while (--k > 0)
		strbuf_addf(&sb, "x%03" PRId64 "/", groups[k]);
	strbuf_addf(&sb, "%03" PRId64, groups[0]);
	if (width < TILE_W)
		strbuf_addf(&sb, ".p/%d", width);
	return strbuf_detach(&sb, NULL);
}

static int remote_base(struct gb_sumdb *db, struct rt_err *err)
{
	if (db->base)
		return 0;
	if (db->url) {
		db->base = xstrdup(db->url);
		return 0;
	}
	return gb_sumdb_base(db->e, db->name, &db->base, err);
}

/* GET base/rel into *out; *notfound says whether the database answered "no such thing". */
static int remote_get(struct gb_sumdb *db, const char *rel, struct strbuf *out, long long limit, bool *notfound,
		      struct rt_err *err)
{
	struct gb_sink sink = { .fd = -1, .buf = out, .limit = limit };
	char *url;
	int got;

	*notfound = false;
	if (remote_base(db, err) != 0)
		return -1;
	url = xasprintf("%s/%s", db->base, rel);
	got = gb_url_get(db->e, url, &sink, err);
	free(url);
	*notfound = got == GB_GET_NOTEXIST;
	return got == GB_GET_OK ? 0 : -1;
}

/* Tile (level, index) of at least `width` hashes: from this run's tiles, the disk cache (the full tile,
 * else that partial one) or the database. */
static const uint8_t *get_tile(struct gb_sumdb *db, int level, int64_t index, int width, struct rt_err *err)
{
	struct tile t = { .level = level, .index = index, .width = width };
	size_t len = 0;
	char *data = NULL;

	for (size_t i = 0; i < db->ntiles; i++)
		if (db->tiles[i].level == level && db->tiles[i].index == index && db->tiles[i].width >= width)
			return db->tiles[i].data;
	/* a tile holds the same first hashes at every width (the log only grows): the full tile, else this
	 * width or any wider partial one cached (what proves is what the root check says) */
	for (int k = 0; k <= TILE_W - width && !data; k++) {
		int w = k == 0 ? TILE_W : width + k - 1;
		char *rel = tile_path(level, index, w), *file = xasprintf("%s/%s", db->cache, rel);

		if ((data = gb_read_locked(file, &len)) && len != (size_t)w * 32) {
			free(data);
			data = NULL;
		}
		if (data)
			t.width = w;
		free(rel);
		free(file);
	}
	if (!data) {
		struct strbuf sb = STRBUF_INIT;
		char *rel = tile_path(level, index, width);
		bool nf;

		if (remote_get(db, rel, &sb, (long long)width * 32, &nf, err) != 0) {
			free(rel);
			strbuf_release(&sb);
			rt_err_prefix(err, "checksum database %s", db->name);
			return NULL;
		}
		if (sb.len != (size_t)width * 32) {
			rt_errf(err, RT_EXIT_BUILD, "checksum database %s: %s has %zu bytes, want %d", db->name, rel, sb.len, width * 32);
			free(rel);
			strbuf_release(&sb);
			return NULL;
		}
		free(rel);
		data = strbuf_detach(&sb, NULL);
		t.remote = true;
	}
	t.data = (uint8_t *)data;
	db->tiles = xgrow(db->tiles, &db->tilecap, db->ntiles + 1, sizeof(*db->tiles));
	db->tiles[db->ntiles++] = t;
	return t.data;
}

/* What proving one log against its signed hash needs: the record leaf to recompute (leaf < 0: none) and
 * the complete subtrees of an older log (their hashes are collected on the way, to recompute its root). */
struct prove {
	struct gb_sumdb *db;
	const struct tree *t;
	int64_t leaf;
	uint8_t leafhash[32];
	int nold;
	int oldlevel[64];
	int64_t oldindex[64];
	uint8_t oldhash[64][32];
};

/* The hash of the complete subtree at (level, index) of p->t from the tile of level/8 that holds its
 * descendants at level 8*(level/8), hashed up. */
static int tile_node(struct prove *p, int level, int64_t index, uint8_t out[32], struct rt_err *err)
{
	int tl = level / TILE_H, sub = level - tl * TILE_H, count = 1 << sub;
	int64_t first = index << sub, k = first >> TILE_H, have = (p->t->n >> (tl * TILE_H)) - k * TILE_W;
	const uint8_t *td = get_tile(p->db, tl, k, have < TILE_W ? (int)have : TILE_W, err);
	uint8_t (*buf)[32];

	if (!td)
		return -1;
	buf = xmalloc((size_t)count * 32);
	memcpy(buf, td + (first - k * TILE_W) * 32, (size_t)count * 32);
	for (; count > 1; count /= 2)
		for (int i = 0; i < count / 2; i++)
			node_hash(buf[2 * i], buf[2 * i + 1], buf[i]);
	memcpy(out, buf[0], 32);
	free(buf);
	return 0;
}

/* The hash of the complete subtree at (level, index) of p->t: recomputed from its children on the way to
 * the record leaf and to the older log's subtrees, else read from the tile that holds it. */
static int subtree(struct prove *p, int level, int64_t index, uint8_t out[32], struct rt_err *err)
{
	bool expand = p->leaf >= 0 && level > 0 && (p->leaf >> level) == index;

	if (level == 0 && p->leaf == index) {
		memcpy(out, p->leafhash, 32);
	} else {
		for (int i = 0; i < p->nold && !expand; i++)
			expand = level > p->oldlevel[i] && (p->oldindex[i] >> (level - p->oldlevel[i])) == index;
		if (expand) {
			uint8_t l[32], r[32];

			if (subtree(p, level - 1, 2 * index, l, err) != 0 || subtree(p, level - 1, 2 * index + 1, r, err) != 0)
				return -1;
			node_hash(l, r, out);
		} else if (tile_node(p, level, index, out, err) != 0) {
			return -1;
		}
	}
	for (int i = 0; i < p->nold; i++)
		if (p->oldlevel[i] == level && p->oldindex[i] == index)
			memcpy(p->oldhash[i], out, 32);
	return 0;
}

/* The complete subtrees a log of n records is made of, left to right. */
static int decompose(int64_t n, int level[64], int64_t index[64])
{
	int k = 0;
	int64_t start = 0;

	for (int l = 62; l >= 0; l--)
		if (n & ((int64_t)1 << l)) {
			level[k] = l;
			index[k++] = start >> l;
			start += (int64_t)1 << l;
		}
	return k;
}

static void fold(int k, uint8_t h[][32], uint8_t out[32])
{
	uint8_t acc[32];

	memcpy(acc, h[k - 1], 32);
	for (int i = k - 2; i >= 0; i--)
		node_hash(h[i], acc, acc);
	memcpy(out, acc, 32);
}

/* Proves against the signed log t (its tiles authenticated by recomputing its root): the record leaf
 * (leaf >= 0) is in it, and the older log `old` (n > 0) is a prefix of it. */
static int prove(struct gb_sumdb *db, const struct tree *t, int64_t leaf, const char *text, const struct tree *old,
		 struct rt_err *err)
{
	struct prove *p = xcalloc(1, sizeof(*p));
	int level[64];
	int64_t index[64];
	uint8_t h[64][32], root[32];
	int k = decompose(t->n, level, index), rc = -1;

	p->db = db;
	p->t = t;
	p->leaf = leaf;
	if (leaf >= 0)
		record_hash(text, strlen(text), p->leafhash);
	if (old && old->n > 0)
		p->nold = decompose(old->n, p->oldlevel, p->oldindex);
	for (int i = 0; i < k; i++)
		if (subtree(p, level[i], index[i], h[i], err) != 0)
			goto out;
	fold(k, h, root);
	if (memcmp(root, t->hash, 32) != 0) {
		rt_errf(err, RT_EXIT_BUILD, "checksum database %s: %s the signed log of %" PRId64 " records (SECURITY ERROR: "
					    "the database's answer or its cached tiles in %s were tampered with)",
			db->name, leaf >= 0 ? "the record does not prove against" : "the tiles do not prove", t->n, db->cache);
		goto out;
	}
	if (p->nold) {
		fold(p->nold, p->oldhash, root);
		if (memcmp(root, old->hash, 32) != 0) {
			rt_errf(err, RT_EXIT_BUILD, "checksum database %s: the signed log of %" PRId64 " records does not extend the "
						    "one of %" PRId64 " records recorded in %s (SECURITY ERROR: the database forked its log)",
				db->name, t->n, old->n, db->latest_file ? db->latest_file : "this run");
			goto out;
		}
	}
	/* what proved is cached, as cmd/go caches the tiles it verified */
	for (size_t i = 0; i < db->ntiles; i++) {
		struct tile *tl = &db->tiles[i];

		if (tl->remote) {
			char *rel = tile_path(tl->level, tl->index, tl->width), *file = xasprintf("%s/%s", db->cache, rel);
			char *dir = xstrndup(file, (size_t)(strrchr(file, '/') - file));
			struct rt_err ignored = { 0 };

			if (gb_mkdir_all(dir, &ignored) == 0)
				gb_write_atomic(file, tl->data, (size_t)tl->width * 32, &ignored);
			tl->remote = false;
			free(dir);
			free(rel);
			free(file);
		}
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/* ---- the newest log seen ---------------------------------------------------------------------------- */

static int load_latest(struct gb_sumdb *db, struct rt_err *err)
{
	size_t len = 0;
	char *data;

	if (db->latest_loaded)
		return 0;
	db->latest_loaded = true;
	if (!db->latest_file || !(data = gb_read_locked(db->latest_file, &len)) || len == 0) {
		if (db->latest_file && !(errno == ENOENT || errno == 0))
			return rt_errf(err, RT_EXIT_ENV, "cannot read '%s': %s", db->latest_file, strerror(errno));
		return 0;
	}
	if (open_tree_note(db, data, len, db->latest_file, &db->latest, err) != 0) {
		free(data);
		return -1;
	}
	db->latest_msg = data;
	return 0;
}

/* cmd/go's WriteConfig: the file is replaced only if it still holds what was read (else another go or
 * rt0trace moved it on: 1, and the caller reads it again). */
static int store_latest(struct gb_sumdb *db, const char *msg, size_t len, struct rt_err *err)
{
	char *dir;
	int fd, rc = 0;
	struct strbuf old = STRBUF_INIT;
	char buf[4096];
	ssize_t n;

	if (!db->latest_file)
		return 0;
	dir = xstrndup(db->latest_file, (size_t)(strrchr(db->latest_file, '/') - db->latest_file));
	if (gb_mkdir_all(dir, err) != 0) {
		free(dir);
		return -1;
	}
	free(dir);
	if ((fd = open(db->latest_file, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return rt_errf(err, RT_EXIT_ENV, "cannot write '%s': %s", db->latest_file, strerror(errno));
	while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
		;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&old, buf, (size_t)n);
	if (old.len && !(db->latest_msg && strlen(db->latest_msg) == old.len && memcmp(db->latest_msg, old.buf, old.len) == 0))
		rc = 1;
	else if (ftruncate(fd, 0) != 0 || pwrite(fd, msg, len, 0) != (ssize_t)len)
		rc = rt_errf(err, RT_EXIT_ENV, "cannot write '%s': %s", db->latest_file, strerror(errno));
	close(fd);
	strbuf_release(&old);
	return rc;
}

/* Merges a log head the database signed into the newest seen, proving the record `leaf` (text) against
 * the larger of the two and the smaller as its prefix. */
static int merge_and_prove(struct gb_sumdb *db, const struct tree *t, const char *msg, int64_t leaf, const char *text,
			   struct rt_err *err)
{
	for (int tries = 0; tries < 10; tries++) {
		int st;

		if (load_latest(db, err) != 0)
			return -1;
		if (t->n <= db->latest.n) {
			if (leaf >= db->latest.n)
				return rt_errf(err, RT_EXIT_BUILD, "checksum database %s: cannot validate record %" PRId64 " in a log of %" PRId64,
					       db->name, leaf, db->latest.n);
			return prove(db, &db->latest, leaf, text, t, err);
		}
		if (leaf >= t->n)
			return rt_errf(err, RT_EXIT_BUILD, "checksum database %s: cannot validate record %" PRId64 " in a log of %" PRId64,
				       db->name, leaf, t->n);
		if (prove(db, t, leaf, text, &db->latest, err) != 0)
			return -1;
		if ((st = store_latest(db, msg, strlen(msg), err)) < 0)
			return -1;
		if (st == 0) {
			db->latest = *t;
			free(db->latest_msg);
			db->latest_msg = xstrdup(msg);
			return 0;
		}
		/* someone else moved the file on: read it again and start over */
		free(db->latest_msg);
		db->latest_msg = NULL;
		db->latest = (struct tree){ 0 };
		db->latest_loaded = false;
	}
	return rt_errf(err, RT_EXIT_ENV, "cannot update '%s': it keeps changing", db->latest_file);
}

/* ---- the API ---------------------------------------------------------------------------------------- */

int gb_sumdb_open(const struct gb_modenv *e, struct gb_sumdb **out, struct rt_err *err)
{
	const char *v = e->sumdb && *e->sumdb ? e->sumdb : "sum.golang.org";
	char *spec = strcmp(v, "sum.golang.google.cn") == 0 ? xstrdup("sum.golang.org https://sum.golang.google.cn") : xstrdup(v);
	char *f1, *f2, *f3, *save = NULL;
	struct gb_sumdb *db;

	*out = NULL;
	f1 = strtok_r(spec, " \t", &save);
	f2 = f1 ? strtok_r(NULL, " \t", &save) : NULL;
	f3 = f2 ? strtok_r(NULL, " \t", &save) : NULL;
	if (f1 && strcmp(f1, "off") == 0 && !f2) {
		free(spec);
		return 0;
	}
	if (!f1 || f3) {
		free(spec);
		return rt_errf(err, RT_EXIT_ENV, "invalid GOSUMDB: '%s': %s", v, f1 ? "too many fields" : "missing");
	}
	db = xcalloc(1, sizeof(*db));
	db->e = e;
	if (parse_key(db, strcmp(f1, "sum.golang.org") == 0 ? known_key : f1, err) != 0) {
		free(spec);
		gb_sumdb_close(db);
		return -1;
	}
	if (f2) {
		size_t n = strlen(f2);

		while (n > 1 && f2[n - 1] == '/')
			n--;
		if (strncmp(f2, "https://", 8) != 0 && strncmp(f2, "http://", 7) != 0 && strncmp(f2, "file://", 7) != 0) {
			rt_errf(err, RT_EXIT_ENV, "invalid GOSUMDB URL: '%s' (want https://, http:// or file://)", f2);
			free(spec);
			gb_sumdb_close(db);
			return -1;
		}
		db->url = xstrndup(f2, n);
	}
	free(spec);
	db->cache = xasprintf("%s/cache/download/sumdb/%s", e->modcache, db->name);
	if (e->sumdb_dir)
		db->latest_file = xasprintf("%s/%s/latest", e->sumdb_dir, db->name);
	*out = db;
	return 0;
}

void gb_sumdb_close(struct gb_sumdb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->ntiles; i++)
		free(db->tiles[i].data);
	free(db->tiles);
	for (size_t i = 0; i < db->nrecs; i++) {
		free(db->recs[i].key);
		free(db->recs[i].text);
	}
	free(db->recs);
	free(db->name);
	free(db->url);
	free(db->base);
	free(db->cache);
	free(db->latest_file);
	free(db->latest_msg);
	free(db);
}

const char *gb_sumdb_name(const struct gb_sumdb *db)
{
	return db->name;
}

/* The verified go.sum lines of path@vers (vers without "/go.mod"). */
static const char *record_of(struct gb_sumdb *db, const char *path, const char *vers, struct rt_err *err)
{
	char *key = xasprintf("%s@%s", path, vers), *ep = NULL, *ev = NULL, *rel = NULL, *file = NULL, *data = NULL;
	const char *text = NULL;
	bool cached = false;
	size_t len = 0;

	for (size_t i = 0; i < db->nrecs; i++)
		if (strcmp(db->recs[i].key, key) == 0) {
			free(key);
			return db->recs[i].text;
		}
	if (!(ep = gb_mod_escape_path(path)) || !(ev = gb_mod_escape_version(vers))) {
		rt_errf(err, RT_EXIT_BUILD, "%s@%s: not a valid module path and version", path, vers);
		goto out;
	}
	rel = xasprintf("lookup/%s@%s", ep, ev);
	file = xasprintf("%s/%s", db->cache, rel);
	if ((data = gb_read_locked(file, &len)) && len > 0) {
		cached = true;
	} else {
		struct strbuf sb = STRBUF_INIT;
		bool nf;

		free(data);
		data = NULL;
		if (remote_get(db, rel, &sb, MAX_LOOKUP, &nf, err) != 0) {
			strbuf_release(&sb);
			rt_err_prefix(err, "verifying %s@%s: checksum database %s%s", path, vers, db->name,
				      nf ? " does not have it" : "");
			goto out;
		}
		len = sb.len;
		data = strbuf_detach(&sb, NULL);
	}
	/* tlog.ParseRecord: "<id>\n<go.sum lines>\n" then the signed log head */
	{
		char *nl = memchr(data, '\n', len), *end, *blank = NULL, *rtext;
		const char *what = cached ? file : "the database's answer";
		int64_t id;
		struct tree t;

		errno = 0;
		id = nl ? strtoll(data, &end, 10) : -1;
		if (nl)
			blank = strstr(nl + 1, "\n\n");
		if (!nl || errno || end != nl || id < 0 || !blank) {
			rt_errf(err, RT_EXIT_BUILD, "verifying %s@%s: %s: malformed record", path, vers, what);
			goto out;
		}
		rtext = xstrndup(nl + 1, (size_t)(blank + 1 - (nl + 1)));
		if (open_tree_note(db, blank + 2, len - (size_t)(blank + 2 - data), what, &t, err) != 0 ||
		    merge_and_prove(db, &t, blank + 2, id, rtext, err) != 0) {
			free(rtext);
			rt_err_prefix(err, "verifying %s@%s", path, vers);
			goto out;
		}
		if (!cached) {
			char *dir = xstrndup(file, (size_t)(strrchr(file, '/') - file));
			struct rt_err ignored = { 0 };

			if (gb_mkdir_all(dir, &ignored) == 0)
				gb_write_atomic(file, data, len, &ignored);
			free(dir);
		}
		db->recs = xgrow(db->recs, &db->reccap, db->nrecs + 1, sizeof(*db->recs));
		db->recs[db->nrecs].key = key;
		db->recs[db->nrecs].text = rtext;
		text = db->recs[db->nrecs++].text;
		key = NULL;
	}
out:
	free(key);
	free(ep);
	free(ev);
	free(rel);
	free(file);
	free(data);
	return text;
}

int gb_sumdb_lookup(struct gb_sumdb *db, const char *path, const char *version, char **h1, struct rt_err *err)
{
	size_t vl = strlen(version);
	char *vers = vl > 7 && strcmp(version + vl - 7, "/go.mod") == 0 ? xstrndup(version, vl - 7) : xstrdup(version);
	const char *text = record_of(db, path, vers, err);
	char *prefix = xasprintf("%s %s ", path, version);
	size_t pl = strlen(prefix);

	free(vers);
	*h1 = NULL;
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');

		if ((size_t)(nl - line) > pl && strncmp(line, prefix, pl) == 0) {
			*h1 = xstrndup(line + pl, (size_t)(nl - line) - pl);
			break;
		}
		line = nl + 1;
	}
	free(prefix);
	if (!text)
		return -1;
	if (!*h1)
		return rt_errf(err, RT_EXIT_BUILD, "verifying %s@%s: the checksum database %s's record has no line for it",
			       path, version, db->name);
	return 0;
}
