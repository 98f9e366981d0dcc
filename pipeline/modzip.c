/*
 * pipeline/modzip: module zips as golang.org/x/mod/zip checks and extracts them (checkZip, Unzip).
 *
 * Every entry must be "<path>@<version>/<name>" with <name> a clean, valid file path
 * (module.CheckFilePath); no two names may be equal under case folding (nor a name be both a file and a
 * directory); go.mod may only be the root's, spelled so; the zip at most 500 MiB and its files at most
 * 500 MiB uncompressed, go.mod and LICENSE at most 16 MiB each. rt0trace also refuses symbolic links and
 * other non-regular entries, which cmd/go would write out as regular files holding the link's target:
 * the zips go's tools create never have them. Entries are read through libzip, which checks each file's
 * CRC-32 and size as it decompresses; a file larger than its declared size is refused, as go does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "common/fs.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "pipeline/modfetch_int.h"

/* ---- the collision checker: folded name -> (name, is a directory) -------------------------------- */

struct centry {
	char *fold, *name;
	bool dir;
};

struct cset {
	struct centry *t;
	size_t n, cap;   /* cap: a power of two */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct centry *cset_find(struct cset *c, const char *fold)
{
	size_t i = (size_t)fnv1a(fold) & (c->cap - 1);

	while (c->t[i].fold && strcmp(c->t[i].fold, fold) != 0)
		i = (i + 1) & (c->cap - 1);
	return &c->t[i];
}

static void cset_grow(struct cset *c)
{
	struct cset old = *c;

	c->cap = old.cap ? old.cap * 2 : 256;
	c->t = xcalloc(c->cap, sizeof(*c->t));
	for (size_t i = 0; i < old.cap; i++)
		if (old.t[i].fold)
			*cset_find(c, old.t[i].fold) = old.t[i];
	free(old.t);
}

static void cset_release(struct cset *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		free(c->t[i].fold);
		free(c->t[i].name);
	}
	free(c->t);
}

/* strToFold: each rune replaced by the smallest of its case-folding orbit, A-Z then lowered. */
static char *to_fold(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0, n = strlen(s); i < n;) {
		uint32_t r = 0, f;
		size_t l = gb_utf8_decode(s + i, n - i, &r);
		char out[4];

		if (!l) { /* checked valid before; keep the byte */
			strbuf_add(&sb, s + i, 1);
			i++;
			continue;
		}
		f = gb_rune_fold(r);
		if (f < 0x80) {
			out[0] = (char)f;
			strbuf_add(&sb, out, 1);
		} else if (f < 0x800) {
			out[0] = (char)(0xc0 | f >> 6), out[1] = (char)(0x80 | (f & 0x3f));
			strbuf_add(&sb, out, 2);
		} else if (f < 0x10000) {
			out[0] = (char)(0xe0 | f >> 12), out[1] = (char)(0x80 | (f >> 6 & 0x3f)), out[2] = (char)(0x80 | (f & 0x3f));
			strbuf_add(&sb, out, 3);
		} else {
			out[0] = (char)(0xf0 | f >> 18), out[1] = (char)(0x80 | (f >> 12 & 0x3f));
			out[2] = (char)(0x80 | (f >> 6 & 0x3f)), out[3] = (char)(0x80 | (f & 0x3f));
			strbuf_add(&sb, out, 4);
		}
		i += l;
	}
	return strbuf_detach(&sb, NULL);
}

/* collisionChecker.check: the name, then each parent directory. NULL, or why it collides (static). */
static const char *cset_check(struct cset *c, const char *p, bool dir, char *why, size_t whylen)
{
	char *name = xstrdup(p);

	for (;;) {
		char *fold = to_fold(name), *slash;
		struct centry *e;

		if ((c->n + 1) * 2 > c->cap)
			cset_grow(c);
		e = cset_find(c, fold);
		if (e->fold) {
			bool bad = true;

			free(fold);
			if (strcmp(e->name, name) != 0)
				snprintf(why, whylen, "case-insensitive file name collision: \"%s\" and \"%s\"", e->name, name);
			else if (e->dir != dir)
				snprintf(why, whylen, "entry \"%s\" is both a file and a directory", name);
			else if (!dir)
				snprintf(why, whylen, "multiple entries for file \"%s\"", name);
			else
				bad = false; /* a directory seen again, as a parent of another entry */
			if (bad) {
				free(name);
				return why;
			}
		} else {
			*e = (struct centry){ fold, xstrdup(name), dir };
			c->n++;
		}
		if (!(slash = strrchr(name, '/')))
			break;
		*slash = '\0';
		dir = true;
	}
	free(name);
	return NULL;
}

/* path.Clean(name) == name, for the names checkZip sees (no leading '/' survives CheckFilePath). */
static bool is_clean(const char *name)
{
	const char *p = name;

	if (!*p)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if ((n == 0 && p != name) || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/' && !*++p)
			return false; /* trailing slash */
	}
	return true;
}

static int zip_fail(struct rt_err *err, const char *zipfile, const char *entry, const char *why)
{
	if (entry)
		return rt_errf(err, RT_EXIT_BUILD, "zip '%s': %s: %s", zipfile, entry, why);
	return rt_errf(err, RT_EXIT_BUILD, "zip '%s': %s", zipfile, why);
}

/* checkZip: the first problem, as an error naming the entry. */
static int check_entries(zip_t *z, const char *zipfile, const char *prefix, struct rt_err *err)
{
	zip_int64_t n = zip_get_num_entries(z, 0);
	long long total = 0;
	struct cset c = { 0 };
	size_t np = strlen(prefix);
	int rc = 0;

	for (zip_int64_t i = 0; i < n && rc == 0; i++) {
		const char *full = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_RAW), *w;
		zip_uint8_t opsys = 0;
		zip_uint32_t attr = 0;
		zip_stat_t st;
		char why[512], *name;
		bool dir;
		size_t len;

		if (!full || zip_stat_index(z, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &st) != 0) {
			rc = zip_fail(err, zipfile, NULL, zip_strerror(z));
			break;
		}
		if (strncmp(full, prefix, np) != 0) {
			snprintf(why, sizeof(why), "path does not have prefix \"%s\"", prefix);
			rc = zip_fail(err, zipfile, full, why);
			break;
		}
		if (!full[np])
			continue;
		name = xstrdup(full + np);
		len = strlen(name);
		dir = name[len - 1] == '/';
		if (dir)
			name[--len] = '\0';
		if (zip_file_get_external_attributes(z, (zip_uint64_t)i, 0, &opsys, &attr) == 0 && opsys == ZIP_OPSYS_UNIX &&
		    (attr >> 16 & S_IFMT) && !S_ISREG(attr >> 16) && !S_ISDIR(attr >> 16))
			rc = zip_fail(err, zipfile, full, "symbolic links and other non-regular files are not allowed");
		else if (!is_clean(name))
			rc = zip_fail(err, zipfile, full, "file path is not clean");
		else if (gb_mod_check_file_path(name, err) != 0)
			rc = rt_err_prefix(err, "zip '%s': %s", zipfile, full);
		else if ((w = cset_check(&c, name, dir, why, sizeof(why))))
			rc = zip_fail(err, zipfile, full, w);
		else if (!dir) {
			const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
			long long sz = (long long)st.size;

			if (strcasecmp(base, "go.mod") == 0 && base != name)
				rc = zip_fail(err, zipfile, full, "go.mod file not in module root directory");
			else if (strcasecmp(base, "go.mod") == 0 && strcmp(name, "go.mod") != 0)
				rc = zip_fail(err, zipfile, full, "go.mod files must have lowercase names");
			else if (sz < 0 || GB_MAX_ZIP_FILE - total < sz)
				rc = zip_fail(err, zipfile, NULL, "total uncompressed size of module contents too large (max size is 524288000 bytes)");
			else if (strcmp(name, "go.mod") == 0 && sz > GB_MAX_GOMOD)
				rc = zip_fail(err, zipfile, full, "go.mod file too large (max size is 16777216 bytes)");
			else if (strcmp(name, "LICENSE") == 0 && sz > GB_MAX_LICENSE)
				rc = zip_fail(err, zipfile, full, "LICENSE file too large (max size is 16777216 bytes)");
			total += sz;
		}
		free(name);
	}
	cset_release(&c);
	return rc;
}

static int extract(zip_t *z, const char *zipfile, const char *prefix, const char *dir, struct rt_err *err)
{
	zip_int64_t n = zip_get_num_entries(z, 0);
	size_t np = strlen(prefix);
	char buf[1 << 16];

	for (zip_int64_t i = 0; i < n; i++) {
		const char *full = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_RAW), *name = full + np;
		char *dst, *parent;
		zip_file_t *f;
		zip_stat_t st;
		zip_int64_t got;
		long long left;
		int fd, rc = 0;

		if (!*name || name[strlen(name) - 1] == '/')
			continue; /* directories are made for the files in them, as go's Unzip */
		dst = xasprintf("%s/%s", dir, name);
		parent = xstrndup(dst, (size_t)(strrchr(dst, '/') - dst));
		if (rt_mkdir_p(parent) != 0) {
			rc = rt_errf(err, RT_EXIT_ENV, "cannot create '%s': %s", parent, strerror(errno));
		} else if ((fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444)) < 0) {
			rc = rt_errf(err, RT_EXIT_ENV, "cannot create '%s': %s", dst, strerror(errno));
		} else {
			if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(f = zip_fopen_index(z, (zip_uint64_t)i, 0))) {
				rc = zip_fail(err, zipfile, full, zip_strerror(z));
			} else {
				left = (long long)st.size;
				while ((got = zip_fread(f, buf, sizeof(buf))) > 0) {
					if (got > left) {
						rc = zip_fail(err, zipfile, full, "uncompressed size is larger than declared size");
						break;
					}
					left -= got;
					if (write(fd, buf, (size_t)got) != got) {
						rc = rt_errf(err, RT_EXIT_ENV, "cannot write '%s': %s", dst, strerror(errno ? errno : EIO));
						break;
					}
				}
				if (rc == 0 && got < 0)
					rc = zip_fail(err, zipfile, full, zip_file_strerror(f));
				zip_fclose(f);
			}
			if (close(fd) != 0 && rc == 0)
				rc = rt_errf(err, RT_EXIT_ENV, "cannot write '%s': %s", dst, strerror(errno));
		}
		free(parent);
		free(dst);
		if (rc)
			return rc;
	}
	return 0;
}

int gb_modzip_unzip(const char *zipfile, const char *path, const char *version, const char *dir, struct rt_err *err)
{
	char *prefix = xasprintf("%s@%s/", path, version);
	struct stat st;
	int zerr = 0, rc;
	zip_t *z;

	if (stat(zipfile, &st) != 0) {
		rc = rt_errf(err, RT_EXIT_ENV, "cannot read '%s': %s", zipfile, strerror(errno));
	} else if (st.st_size > GB_MAX_ZIP_FILE) {
		rc = rt_errf(err, RT_EXIT_BUILD, "zip '%s': module zip file is too large (%lld bytes; limit is %lld bytes)", zipfile,
			     (long long)st.st_size, GB_MAX_ZIP_FILE);
	} else if (!(z = zip_open(zipfile, ZIP_RDONLY, &zerr))) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		rc = rt_errf(err, RT_EXIT_BUILD, "zip '%s': not a valid zip file: %s", zipfile, zip_error_strerror(&ze));
		zip_error_fini(&ze);
	} else {
		rc = check_entries(z, zipfile, prefix, err);
		if (rc == 0 && dir)
			rc = extract(z, zipfile, prefix, dir, err);
		zip_discard(z);
	}
	free(prefix);
	return rc;
}
