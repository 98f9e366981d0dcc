#include "pipeline/filehash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/outfile.h"
#include "common/sha256.h"
#include "common/strhash.h"
#include "common/xalloc.h"
#include "pipeline/buildid.h"

#define RACY_NS 2000000000ll

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct gb_filehash_entry *)a)->path, ((const struct gb_filehash_entry *)b)->path);
}

/* A decimal number and the one space after it; NULL when there is none. */
static char *parse_num(char *p, unsigned long long *v)
{
	char *end;

	if (*p < '0' || *p > '9')
		return NULL;
	errno = 0;
	*v = strtoull(p, &end, 10);
	return errno || *end != ' ' ? NULL : end + 1;
}

void gb_filehash_load(struct gb_filehash *m, const char *cache_dir)
{
	char *line, *nl;
	size_t cap = 0;
	bool sorted = true;

	memset(m, 0, sizeof(*m));
	m->file = xasprintf("%s/filehashes", cache_dir);
	/* the entries' paths point into the text, kept until release: no copy a line */
	if (rt_read_file(m->file, &m->text, NULL) != 0)
		return;
	for (line = m->text; *line; line = nl + 1) {
		struct gb_filehash_entry e;
		unsigned long long size, mt;
		char *p;

		if (!(nl = strchr(line, '\n')))
			break; /* a torn last line */
		*nl = '\0';
		if (strlen(line) < 66 || line[64] != ' ' || !sha256_from_hex(line, e.hash) || !(p = parse_num(line + 65, &size)) ||
		    !(p = parse_num(p, &mt)) || !(p = parse_num(p, &e.ino)) || !*p)
			continue; /* a damaged line only costs a re-hash */
		e.size = (long long)size;
		e.mtime_ns = (long long)mt;
		e.path = p;
		m->e = xgrow(m->e, &cap, m->n + 1, sizeof(*m->e));
		if (m->n && strcmp(m->e[m->n - 1].path, p) >= 0)
			sorted = false;
		m->e[m->n++] = e;
	}
	if (!sorted) /* written sorted; an edited file is sorted here */
		qsort(m->e, m->n, sizeof(*m->e), cmp_entry);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

bool gb_filehash_racy(long long mtime_ns)
{
	return now_ns() - mtime_ns <= RACY_NS;
}

/* This run's answer for path (a slot index into m->slots either way: the hit's, or where to add). */
static struct gb_filehash_entry *seen_lookup(struct gb_filehash *m, const char *path, size_t *slot)
{
	if (!m->nslots)
		return NULL;
	for (*slot = rt_strhash(path, strlen(path), 0) & (m->nslots - 1); m->slots[*slot]; *slot = (*slot + 1) & (m->nslots - 1))
		if (strcmp(m->seen[m->slots[*slot] - 1].path, path) == 0)
			return &m->seen[m->slots[*slot] - 1];
	return NULL;
}

static void seen_add(struct gb_filehash *m, const char *path, const uint8_t hash[32])
{
	size_t slot = 0;

	if ((m->nseen + 1) * 2 > m->nslots) { /* at most half full: re-index into twice the slots */
		m->nslots = m->nslots ? m->nslots * 2 : 4096;
		free(m->slots);
		m->slots = xcalloc(m->nslots, sizeof(*m->slots));
		for (size_t i = 0; i < m->nseen; i++) {
			for (slot = rt_strhash(m->seen[i].path, strlen(m->seen[i].path), 0) & (m->nslots - 1); m->slots[slot]; slot = (slot + 1) & (m->nslots - 1))
				;
			m->slots[slot] = (uint32_t)(i + 1);
		}
	}
	if (seen_lookup(m, path, &slot))
		return;
	m->seen = xgrow(m->seen, &m->seencap, m->nseen + 1, sizeof(*m->seen));
	m->seen[m->nseen] = (struct gb_filehash_entry){ .path = xstrdup(path) };
	memcpy(m->seen[m->nseen].hash, hash, 32);
	m->slots[slot] = (uint32_t)++m->nseen;
}

static int filehash_stat(struct gb_filehash *m, const char *path, uint8_t out[32], struct rt_err *err);

void gb_filehash_seed(struct gb_filehash *m, const char *path, const struct stat *st)
{
	struct gb_filehash_entry key = { .path = (char *)path }, *hit;
	long long mt = (long long)st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
	size_t slot = 0;

	if (!m || seen_lookup(m, path, &slot))
		return;
	hit = m->n ? bsearch(&key, m->e, m->n, sizeof(*m->e), cmp_entry) : NULL;
	if (hit && hit->size == (long long)st->st_size && hit->mtime_ns == mt && hit->ino == (unsigned long long)st->st_ino)
		seen_add(m, path, hit->hash);
}

int gb_filehash(struct gb_filehash *m, const char *path, uint8_t out[32], struct rt_err *err)
{
	size_t slot = 0;
	struct gb_filehash_entry *s = seen_lookup(m, path, &slot);

	if (s) {
		memcpy(out, s->hash, 32);
		return 0;
	}
	if (filehash_stat(m, path, out, err) != 0)
		return -1;
	seen_add(m, path, out);
	return 0;
}

static int filehash_stat(struct gb_filehash *m, const char *path, uint8_t out[32], struct rt_err *err)
{
	struct gb_filehash_entry key = { .path = (char *)path }, *hit;
	struct stat st;
	long long mt;
	char *buf;
	size_t len;

	if (stat(path, &st) != 0)
		return rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", path, strerror(errno));
	mt = (long long)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
	hit = m->n ? bsearch(&key, m->e, m->n, sizeof(*m->e), cmp_entry) : NULL;
	if (hit && hit->size == (long long)st.st_size && hit->mtime_ns == mt && hit->ino == (unsigned long long)st.st_ino) {
		memcpy(out, hit->hash, 32);
		return 0;
	}
	if (rt_read_file(path, &buf, &len) != 0)
		return rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", path, strerror(errno));
	gb_sha256(buf, len, out);
	free(buf);
	if (!gb_filehash_racy(mt) && (long long)len == (long long)st.st_size) {
		struct gb_filehash_entry *e;

		m->added = xgrow(m->added, &m->addcap, m->nadded + 1, sizeof(*m->added));
		e = &m->added[m->nadded++];
		*e = (struct gb_filehash_entry){ xstrdup(path), (long long)st.st_size, mt, (unsigned long long)st.st_ino, { 0 } };
		memcpy(e->hash, out, 32);
	}
	return 0;
}

void gb_filehash_save(struct gb_filehash *m)
{
	struct gb_filehash_entry *all;
	size_t n = 0;
	struct rt_outfile o = { 0 };

	if (!m->nadded || !m->file)
		return;
	all = xcalloc(m->n + m->nadded, sizeof(*all));
	/* This build's entries, then the old ones for paths it did not hash again. */
	for (size_t i = 0; i < m->nadded; i++)
		all[n++] = m->added[i];
	qsort(all, n, sizeof(*all), cmp_entry);
	for (size_t i = 0; i < m->n; i++)
		if (!bsearch(&m->e[i], all, m->nadded, sizeof(*all), cmp_entry))
			all[n++] = m->e[i];
	qsort(all, n, sizeof(*all), cmp_entry);
	if (rt_outfile_open(&o, m->file, 0666) == 0) {
		char hex[65];
		bool ok = true;

		for (size_t i = 0; i < n && ok; i++) {
			sha256_hex(all[i].hash, hex);
			ok = fprintf(o.f, "%s %lld %lld %llu %s\n", hex, all[i].size, all[i].mtime_ns, all[i].ino, all[i].path) > 0;
		}
		if (!ok || rt_outfile_commit(&o) != 0)
			rt_outfile_discard(&o);
	}
	free(all);
}

void gb_filehash_release(struct gb_filehash *m)
{
	free(m->text);
	for (size_t i = 0; i < m->nadded; i++)
		free(m->added[i].path);
	for (size_t i = 0; i < m->nseen; i++)
		free(m->seen[i].path);
	free(m->seen);
	free(m->slots);
	free(m->e);
	free(m->added);
	free(m->file);
	memset(m, 0, sizeof(*m));
}
