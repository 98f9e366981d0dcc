#include "pipeline/filehash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "pipeline/buildid.h"

#define RACY_NS 2000000000ll

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct gb_filehash_entry *)a)->path, ((const struct gb_filehash_entry *)b)->path);
}

static bool parse_hex(const char *s, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

void gb_filehash_load(struct gb_filehash *m, const char *cache_dir)
{
	char *text, *save = NULL;
	size_t cap = 0;

	memset(m, 0, sizeof(*m));
	m->file = xasprintf("%s/filehashes", cache_dir);
	if (rt_read_file(m->file, &text, NULL) != 0)
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct gb_filehash_entry e;
		int n = 0;

		if (strlen(line) < 66 || !parse_hex(line, e.hash) ||
		    sscanf(line + 64, " %lld %lld %llu %n", &e.size, &e.mtime_ns, &e.ino, &n) != 3 || !n)
			continue; /* a damaged line only costs a re-hash */
		e.path = xstrdup(line + 64 + n);
		m->e = xgrow(m->e, &cap, m->n + 1, sizeof(*m->e));
		m->e[m->n++] = e;
	}
	free(text);
	if (m->n)
		qsort(m->e, m->n, sizeof(*m->e), cmp_entry); /* written sorted; sorting again guards against edits */
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int gb_filehash(struct gb_filehash *m, const char *path, uint8_t out[32], struct rt_err *err)
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
	if (now_ns() - mt > RACY_NS && (long long)len == (long long)st.st_size) {
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
	char *tmp;
	FILE *f;

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
	tmp = xasprintf("%s.tmp%d", m->file, (int)getpid());
	f = fopen(tmp, "w");
	if (f) {
		char hex[65];
		bool ok = true;

		for (size_t i = 0; i < n && ok; i++) {
			sha256_hex(all[i].hash, hex);
			ok = fprintf(f, "%s %lld %lld %llu %s\n", hex, all[i].size, all[i].mtime_ns, all[i].ino, all[i].path) > 0;
		}
		if (fclose(f) != 0 || !ok || rename(tmp, m->file) != 0)
			unlink(tmp);
	}
	free(tmp);
	free(all);
}

void gb_filehash_release(struct gb_filehash *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].path);
	for (size_t i = 0; i < m->nadded; i++)
		free(m->added[i].path);
	free(m->e);
	free(m->added);
	free(m->file);
	memset(m, 0, sizeof(*m));
}
