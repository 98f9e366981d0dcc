#include "pipeline/dirhash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "pipeline/filehash.h"

struct hfile {
	char *name;
	size_t idx;   /* order of addition: a zip's entry index */
	uint8_t sum[32];
};

struct hlist {
	struct hfile *f;
	size_t n, cap;
};

static void hlist_add(struct hlist *l, char *name, const uint8_t sum[32])
{
	l->f = xgrow(l->f, &l->cap, l->n + 1, sizeof(*l->f));
	l->f[l->n].name = name;
	l->f[l->n].idx = l->n;
	memcpy(l->f[l->n].sum, sum, 32);
	l->n++;
}

static void hlist_release(struct hlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->f[i].name);
	free(l->f);
	memset(l, 0, sizeof(*l));
}

static int cmp_hfile(const void *a, const void *b)
{
	const struct hfile *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static char *base64(const uint8_t *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);

		*o++ = abc[v >> 18 & 63];
		*o++ = abc[v >> 12 & 63];
		*o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Hash1's input over the list (sorted here): one "<hex sha256>  <name>\n" line per file. The names were
 * checked for newlines by the callers. */
static char *hash1_lines(struct hlist *l, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[65];

	qsort(l->f, l->n, sizeof(*l->f), cmp_hfile);
	for (size_t i = 0; i < l->n; i++) {
		sha256_hex(l->f[i].sum, hex);
		strbuf_addf(&sb, "%s  %s\n", hex, l->f[i].name);
	}
	return strbuf_detach(&sb, len);
}

char *gb_h1_of_lines(const char *lines, size_t len)
{
	uint8_t sum[32];
	char *b64, *out;

	sha256(lines, len, sum);
	b64 = base64(sum, sizeof(sum));
	out = xasprintf("h1:%s", b64);
	free(b64);
	return out;
}

static char *hash1(struct hlist *l)
{
	size_t len;
	char *lines = hash1_lines(l, &len), *h1 = gb_h1_of_lines(lines ? lines : "", len);

	free(lines);
	return h1;
}

char *gb_h1_gomod(const char *data, size_t len)
{
	struct hlist l = { 0 };
	uint8_t sum[32];
	char *h1;

	sha256(data, len, sum);
	hlist_add(&l, xstrdup("go.mod"), sum);
	h1 = hash1(&l);
	hlist_release(&l);
	return h1;
}

bool gb_h1_valid(const char *s, size_t len)
{
	return len == 3 + 44 && strncmp(s, "h1:", 3) == 0 && !memchr(s, '\0', len);
}

static int hash_fd(int fd, uint8_t out[32])
{
	struct sha256 h;
	char buf[1 << 16];
	ssize_t n;

	sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		sha256_update(&h, buf, (size_t)n);
	}
	sha256_final(&h, out);
	return 0;
}

/* Every non-directory below dir/rel (rel "" at the top), as go's filepath.Walk sees them: lstat, so a
 * symbolic link is a file (read through the link, as os.Open does) and is never descended into. */
static int walk(const char *dir, const char *rel, const char *prefix, struct gb_filehash *memo, struct hlist *l,
		struct rt_err *err)
{
	char *path = *rel ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot read directory '%s': %s", path, strerror(errno));
		free(path);
		return rc;
	}
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		char *sub, *full;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		full = xasprintf("%s/%s", dir, sub);
		/* the directory entry's type when the file system gives it (no lstat: a module has many files) */
		st.st_mode = de->d_type == DT_DIR ? S_IFDIR : S_IFREG;
		if (de->d_type != DT_DIR && de->d_type != DT_REG && de->d_type != DT_LNK && lstat(full, &st) != 0) {
			rc = rt_errf(err, RT_EXIT_INPUT, "cannot stat '%s': %s", full, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(dir, sub, prefix, memo, l, err);
		} else if (strchr(sub, '\n')) {
			rc = rt_errf(err, RT_EXIT_INPUT, "'%s': dirhash refuses file names with newlines", full);
		} else if (memo) {
			uint8_t sum[32];

			if (gb_filehash(memo, full, sum, err) == 0)
				hlist_add(l, *prefix ? xasprintf("%s/%s", prefix, sub) : xstrdup(sub), sum);
			else
				rc = -1;
		} else {
			int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
			uint8_t sum[32];

			if (fd < 0 || hash_fd(fd, sum) != 0)
				rc = rt_errf(err, RT_EXIT_INPUT, "cannot read '%s': %s", full, strerror(errno));
			else
				hlist_add(l, *prefix ? xasprintf("%s/%s", prefix, sub) : xstrdup(sub), sum);
			if (fd >= 0)
				close(fd);
		}
		free(full);
		free(sub);
	}
	if (rc == 0 && errno)
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot read directory '%s': %s", path, strerror(errno));
	closedir(d);
	free(path);
	return rc;
}

int gb_h1_dir(const char *dir, const char *prefix, char **h1, struct rt_err *err)
{
	return gb_h1_dir_memo(dir, prefix, NULL, h1, err);
}

int gb_h1_dir_memo(const char *dir, const char *prefix, struct gb_filehash *memo, char **h1, struct rt_err *err)
{
	return gb_h1_dir_lines(dir, prefix, memo, h1, NULL, err);
}

int gb_h1_dir_lines(const char *dir, const char *prefix, struct gb_filehash *memo, char **h1, char **lines,
		    struct rt_err *err)
{
	struct hlist l = { 0 };
	struct stat st;

	*h1 = NULL;
	if (stat(dir, &st) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "cannot hash '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rt_errf(err, RT_EXIT_INPUT, "cannot hash '%s': not a directory", dir);
	if (walk(dir, "", prefix ? prefix : "", memo, &l, err) != 0) {
		hlist_release(&l);
		return -1;
	}
	if (lines) {
		size_t len;

		*lines = hash1_lines(&l, &len);
		if (!*lines)
			*lines = xstrdup("");
		*h1 = gb_h1_of_lines(*lines, len);
	} else {
		*h1 = hash1(&l);
	}
	hlist_release(&l);
	return 0;
}

int gb_h1_zip(const char *zipfile, char **h1, struct rt_err *err)
{
	struct hlist l = { 0 };
	zip_int64_t n;
	int zerr = 0, rc = 0;
	zip_t *z;

	*h1 = NULL;
	z = zip_open(zipfile, ZIP_RDONLY, &zerr);
	if (!z) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot read zip '%s': %s", zipfile, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return rc;
	}
	n = zip_get_num_entries(z, 0);
	for (zip_int64_t i = 0; i < n && rc == 0; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
		zip_file_t *f = name ? zip_fopen_index(z, (zip_uint64_t)i, 0) : NULL;
		struct sha256 h;
		uint8_t sum[32];
		char buf[1 << 16];
		zip_int64_t got;

		if (!f) {
			rc = rt_errf(err, RT_EXIT_INPUT, "cannot read entry %lld of zip '%s': %s", (long long)i, zipfile,
				     zip_strerror(z));
			break;
		}
		if (strchr(name, '\n')) {
			zip_fclose(f);
			rc = rt_errf(err, RT_EXIT_INPUT, "zip '%s': dirhash refuses file names with newlines", zipfile);
			break;
		}
		sha256_init(&h);
		while ((got = zip_fread(f, buf, sizeof(buf))) > 0)
			sha256_update(&h, buf, (size_t)got);
		if (got < 0)
			rc = rt_errf(err, RT_EXIT_INPUT, "cannot read '%s' in zip '%s': %s", name, zipfile, zip_file_strerror(f));
		zip_fclose(f);
		sha256_final(&h, sum);
		hlist_add(&l, xstrdup(name), sum);
	}
	zip_discard(z);
	if (rc == 0) {
		/* go's HashZip opens entries through a name -> entry map, so a name the zip holds twice is hashed
		 * twice with the content of its last entry. */
		qsort(l.f, l.n, sizeof(*l.f), cmp_hfile);
		for (size_t i = l.n; i-- > 1;)
			if (strcmp(l.f[i - 1].name, l.f[i].name) == 0)
				memcpy(l.f[i - 1].sum, l.f[i].sum, 32);
		*h1 = hash1(&l);
	}
	hlist_release(&l);
	return rc;
}
