/* pipeline/ociimage: `rt0trace image`, a minimal reproducible OCI image of one program (ociimage.h). */
#include "pipeline/ociimage.h"

#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <libgen.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/fs.h"
#include "common/outfile.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "probes/elf.h"
#include "probes/goinfo.h"
#include "probes/manifest.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"

/* ---- image references ------------------------------------------------------------------------------ */

bool rt_image_name_ok(const char *ref)
{
	/* github.com/distribution/reference: domain-component, path-component, tag. */
#define DC "([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
#define PC "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*"
	static const char re_s[] = "^(" DC "(\\." DC ")*(:[0-9]+)?/)?" PC "(/" PC ")*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$";
#undef DC
#undef PC
	regex_t re;
	const char *slash, *colon;
	size_t name_len;
	bool ok;

	if (!ref || !*ref || strlen(ref) > 255 + 129)
		return false;
	slash = strrchr(ref, '/');
	colon = strrchr(ref, ':');
	name_len = colon && (!slash || colon > slash) ? (size_t)(colon - ref) : strlen(ref);
	if (name_len > 255)
		return false;
	if (regcomp(&re, re_s, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	ok = regexec(&re, ref, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* ---- the program ------------------------------------------------------------------------------------ */

/* The first DT_NEEDED library's name offset is enough to refuse: true when PT_DYNAMIC lists one. */
static bool has_needed(const struct rt_elf *e)
{
	size_t esz = e->elfclass == ELFCLASS64 ? 16 : 8;

	for (size_t i = 0; i < e->nsegs; i++) {
		const struct rt_elf_seg *s = &e->segs[i];

		if (s->type != PT_DYNAMIC || s->offset > e->file_size || s->filesz > e->file_size - s->offset)
			continue;
		for (uint64_t off = 0; off + esz <= s->filesz; off += esz) {
			uint64_t tag = rt_elf_decode(e, e->map + s->offset + off, e->ptr_size);

			if (tag == DT_NULL)
				break;
			if (tag == DT_NEEDED)
				return true;
		}
	}
	return false;
}

/* ---- blobs ------------------------------------------------------------------------------------------ */

struct blob {
	char digest[72]; /* sha256:<hex> */
	char hex[65];
	unsigned char *data;
	size_t len;
};

static void blob_set(struct blob *b, unsigned char *data, size_t len)
{
	uint8_t h[32];

	sha256(data, len, h);
	sha256_hex(h, b->hex);
	snprintf(b->digest, sizeof(b->digest), "sha256:%s", b->hex);
	b->data = data;
	b->len = len;
}

static la_ssize_t mem_write(struct archive *a, void *cd, const void *buf, size_t n)
{
	(void)a;
	strbuf_add(cd, buf, n);
	return (la_ssize_t)n;
}

/* One tar entry: a directory (data NULL) or a regular file, owned by 0:0 without names, at `mtime`. */
static int tar_add(struct archive *a, const char *path, const void *data, size_t len, unsigned mode, time_t mtime)
{
	struct archive_entry *en = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(en, path);
	archive_entry_set_filetype(en, data ? AE_IFREG : AE_IFDIR);
	archive_entry_set_perm(en, mode);
	archive_entry_set_size(en, data ? (la_int64_t)len : 0);
	archive_entry_set_mtime(en, mtime, 0);
	archive_entry_set_uid(en, 0);
	archive_entry_set_gid(en, 0);
	if (archive_write_header(a, en) != ARCHIVE_OK)
		rc = -1;
	for (size_t done = 0; rc == 0 && data && done < len;) {
		la_ssize_t n = archive_write_data(a, (const char *)data + done, len - done);

		if (n <= 0)
			rc = -1;
		else
			done += (size_t)n;
	}
	archive_entry_free(en);
	return rc;
}

struct tar_file {
	const char *path;
	const void *data; /* NULL: a directory */
	size_t len;
	unsigned mode;
};

static int cmp_tar_file(const void *a, const void *b)
{
	return strcmp(((const struct tar_file *)a)->path, ((const struct tar_file *)b)->path);
}

/* Writes the entries, sorted by path, as a pax (restricted: plain ustar unless a name needs more) tar. */
static int tar_write(struct archive *a, struct tar_file *files, size_t n, time_t mtime, struct rt_err *err,
		     const char *what)
{
	qsort(files, n, sizeof(*files), cmp_tar_file);
	for (size_t i = 0; i < n; i++)
		if (tar_add(a, files[i].path, files[i].data, files[i].len, files[i].mode, mtime) != 0)
			return rt_errf(err, RT_EXIT_INPUT, "cannot write %s: '%s': %s", what, files[i].path,
				       archive_error_string(a) ? archive_error_string(a) : "libarchive failed");
	return 0;
}

static struct archive *tar_new(void)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	return a;
}

/* gzip (RFC 1952) with zlib: no file name, mtime 0 (zlib's header), level 9. */
static int gzip_buf(const unsigned char *in, size_t n, struct strbuf *out)
{
	z_stream z;
	unsigned char chunk[65536];
	int zr;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)in;
	do {
		size_t give = n - (size_t)((const unsigned char *)z.next_in - in);

		if (give > UINT32_MAX / 2)
			give = UINT32_MAX / 2;
		z.avail_in = (uInt)give;
		const unsigned char *before = z.next_in;
		bool last = (size_t)(before - in) + give == n;

		do {
			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			zr = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR) {
				deflateEnd(&z);
				return -1;
			}
			strbuf_add(out, chunk, sizeof(chunk) - z.avail_out);
		} while (z.avail_out == 0);
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

static unsigned char *json_bytes(json_t *j, size_t *len)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	if (!s)
		abort(); /* jansson fails only on allocation */
	*len = strlen(s);
	return (unsigned char *)s;
}

static json_t *descriptor(const char *media_type, const struct blob *b)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", b->digest, "size", (json_int_t)b->len);
}

/* ---- output ----------------------------------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_file_at(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	int rc = -1;

	free(p);
	if (fd < 0)
		return -1;
	for (size_t done = 0;;) {
		ssize_t w;

		if (done == len) {
			rc = 0;
			break;
		}
		w = write(fd, (const char *)data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (rc == 0 && fchmod(fd, 0644) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

struct layout {
	const unsigned char *index, *oci_layout;
	size_t index_len, oci_layout_len;
	const struct blob *blobs;
	size_t nblobs;
};

/* The layout directory beside OUT, renamed into place. */
static int write_dir(const char *out, const struct layout *l, struct rt_err *err)
{
	char *copy = xstrdup(out), *base = xstrdup(out);
	char *tmp = xasprintf("%s/.%s.tmp-XXXXXX", dirname(copy), basename(base));
	struct stat st;
	int rc = -1, e;

	free(copy);
	free(base);
	if (lstat(out, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': it exists and is not a directory", out);
			goto out;
		}
	} else if (errno != ENOENT) {
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': %s", out, strerror(errno));
		goto out;
	}
	if (!mkdtemp(tmp)) {
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': %s", out, strerror(errno));
		goto out;
	}
	char *blobs = xasprintf("%s/blobs", tmp), *sha = xasprintf("%s/blobs/sha256", tmp);
	bool ok = chmod(tmp, 0755) == 0 && mkdir(blobs, 0755) == 0 && mkdir(sha, 0755) == 0 &&
		  write_file_at(tmp, "oci-layout", l->oci_layout, l->oci_layout_len) == 0 &&
		  write_file_at(tmp, "index.json", l->index, l->index_len) == 0;

	for (size_t i = 0; ok && i < l->nblobs; i++)
		ok = write_file_at(sha, l->blobs[i].hex, l->blobs[i].data, l->blobs[i].len) == 0;
	e = errno;
	free(blobs);
	free(sha);
	if (!ok) {
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': %s", out, strerror(e));
		rm_tree(tmp);
		goto out;
	}
	/* Into place: over nothing or an empty directory by rename; over an earlier image layout by an
	 * atomic exchange, the old one then removed. Anything else at OUT is left alone. */
	if (rename(tmp, out) == 0) {
		rc = 0;
		goto out;
	}
	e = errno;
	if (e == ENOTEMPTY || e == EEXIST) {
		char *marker = xasprintf("%s/oci-layout", out);
		bool layout = rt_is_file(marker);

		free(marker);
		if (!layout) {
			rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': a directory that is not empty and holds no OCI image layout", out);
		} else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) != 0) {
			rc = rt_errf(err, RT_EXIT_INPUT, "cannot replace the image layout at '%s': %s", out, strerror(errno));
		} else {
			rc = 0; /* the old layout is now at tmp */
		}
	} else {
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': %s", out, strerror(e));
	}
	rm_tree(tmp);
out:
	free(tmp);
	return rc;
}

static int write_archive(const char *out, const struct layout *l, time_t mtime, struct rt_err *err)
{
	struct rt_outfile of;
	struct archive *a;
	struct tar_file *files;
	size_t n = 0;
	char **names;
	int rc;

	if (rt_outfile_open(&of, out, 0666) != 0)
		return rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': %s", out, rt_outfile_error(&of, errno));
	files = xcalloc(l->nblobs + 4, sizeof(*files));
	names = xcalloc(l->nblobs, sizeof(*names));
	files[n++] = (struct tar_file){ "blobs/", NULL, 0, 0755 };
	files[n++] = (struct tar_file){ "blobs/sha256/", NULL, 0, 0755 };
	files[n++] = (struct tar_file){ "index.json", l->index, l->index_len, 0644 };
	files[n++] = (struct tar_file){ "oci-layout", l->oci_layout, l->oci_layout_len, 0644 };
	for (size_t i = 0; i < l->nblobs; i++) {
		names[i] = xasprintf("blobs/sha256/%s", l->blobs[i].hex);
		files[n++] = (struct tar_file){ names[i], l->blobs[i].data, l->blobs[i].len, 0644 };
	}
	a = tar_new();
	if (archive_write_open_FILE(a, of.f) != ARCHIVE_OK)
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': %s", out, archive_error_string(a));
	else
		rc = tar_write(a, files, n, mtime, err, "the image archive");
	if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': %s", out, archive_error_string(a));
	archive_write_free(a);
	for (size_t i = 0; i < l->nblobs; i++)
		free(names[i]);
	free(names);
	free(files);
	if (rc == 0 && rt_outfile_commit(&of) != 0)
		rc = rt_errf(err, RT_EXIT_INPUT, "cannot write the image to '%s': %s", out, rt_outfile_error(&of, errno));
	if (rc != 0)
		rt_outfile_discard(&of);
	return rc;
}

/* ---- the image -------------------------------------------------------------------------------------- */

static int source_date(time_t *t, struct rt_err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	*t = 0;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno || v < 0 || s[0] == '-' || s[0] == '+' || v > 253402300799LL)
		return rt_errf(err, RT_EXIT_ENV, "SOURCE_DATE_EPOCH='%s' is not a number of seconds since 1970 (up to year 9999)", s);
	*t = (time_t)v;
	return 0;
}

static char *passwd_text(long uid, long gid)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "root:x:0:0:root:/:/sbin/nologin\n");
	if (uid > 0)
		strbuf_addf(&sb, "app:x:%ld:%ld:app:/:/sbin/nologin\n", uid, gid < 0 ? uid : gid);
	return strbuf_detach(&sb, NULL);
}

static char *group_text(long uid, long gid)
{
	struct strbuf sb = STRBUF_INIT;
	long g = gid < 0 ? uid : gid;

	strbuf_adds(&sb, "root:x:0:\n");
	if (g > 0)
		strbuf_addf(&sb, "app:x:%ld:\n", g);
	return strbuf_detach(&sb, NULL);
}

int rt_image_write(const struct rt_image_opts *o, struct rt_image_result *res, struct rt_err *err)
{
	struct rt_elf *e = NULL;
	struct rt_go_info *g = NULL;
	struct strv notes = STRV_INIT;
	struct rt_manifest man;
	bool man_loaded = false;
	char *man_path = NULL, *man_bytes = NULL, man_digest[72] = "";
	size_t man_len = 0;
	struct strbuf tar = STRBUF_INIT, gz = STRBUF_INIT;
	struct blob blobs[3]; /* config, layer, manifest */
	unsigned char *index = NULL;
	size_t index_len = 0;
	char *base_copy = NULL, *passwd = NULL, *group = NULL, *entry_path = NULL, created[32];
	time_t mtime;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(blobs, 0, sizeof(blobs));
	if (source_date(&mtime, err) != 0)
		return -1;
	if (rt_elf_open(&e, o->binary, err) != 0)
		return -1;
	if (e->type != ET_EXEC && e->type != ET_DYN) {
		rt_errf(err, RT_EXIT_INPUT, "'%s' is not an executable (ELF type %s)", o->binary, rt_elf_type_name(e->type));
		goto out;
	}
	if (!o->allow_dynamic && (e->interp || has_needed(e))) {
		if (e->interp)
			rt_errf(err, RT_EXIT_INPUT, "'%s' is dynamically linked (interpreter %s): an image FROM scratch cannot run it; build it static (CGO_ENABLED=0, or cgo with CC=musl-gcc -ldflags '-linkmode external -extldflags -static') or pass --allow-dynamic",
				o->binary, e->interp);
		else
			rt_errf(err, RT_EXIT_INPUT, "'%s' needs shared libraries (DT_NEEDED): an image FROM scratch cannot run it; build it static or pass --allow-dynamic",
				o->binary);
		goto out;
	}
	if (rt_go_read(e, &g, &notes, err) != 0)
		goto out;

	/* The build's manifest: named, or BINARY.manifest.json when there is one. */
	if (o->manifest)
		man_path = xstrdup(o->manifest);
	else {
		man_path = xasprintf("%s.manifest.json", o->binary);
		if (!rt_is_file(man_path)) {
			free(man_path);
			man_path = NULL;
		}
	}
	if (man_path) {
		uint8_t h[32];
		char hex[65];

		if (rt_manifest_load(man_path, &man, err) != 0)
			goto out;
		man_loaded = true;
		if (rt_manifest_check(&man, o->binary, o->binary, err) != 0)
			goto out;
		if (rt_read_file(man_path, &man_bytes, &man_len) != 0) {
			rt_errf(err, RT_EXIT_INPUT, "cannot read '%s': %s", man_path, strerror(errno));
			goto out;
		}
		sha256(man_bytes, man_len, h);
		sha256_hex(h, hex);
		snprintf(man_digest, sizeof(man_digest), "sha256:%s", hex);
	}

	/* The layer: the program at /<base name>, /etc/passwd and /etc/group when asked. */
	base_copy = xstrdup(o->binary);
	entry_path = xasprintf("/%s", basename(base_copy));
	{
		struct tar_file files[4];
		size_t n = 0;
		struct archive *a = tar_new();

		files[n++] = (struct tar_file){ entry_path + 1, e->map, (size_t)e->file_size, 0755 };
		if (o->passwd) {
			passwd = passwd_text(o->uid, o->gid);
			group = group_text(o->uid, o->gid);
			files[n++] = (struct tar_file){ "etc/", NULL, 0, 0755 };
			files[n++] = (struct tar_file){ "etc/group", group, strlen(group), 0644 };
			files[n++] = (struct tar_file){ "etc/passwd", passwd, strlen(passwd), 0644 };
		}
		if (archive_write_open2(a, &tar, NULL, mem_write, NULL, NULL) != ARCHIVE_OK)
			rc = rt_errf(err, RT_EXIT_INPUT, "cannot make the layer: %s", archive_error_string(a));
		else
			rc = tar_write(a, files, n, mtime, err, "the layer");
		if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
			rc = rt_errf(err, RT_EXIT_INPUT, "cannot make the layer: %s", archive_error_string(a));
		archive_write_free(a);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	if (gzip_buf((const unsigned char *)tar.buf, tar.len, &gz) != 0) {
		rt_errf(err, RT_EXIT_INPUT, "cannot compress the layer: zlib failed");
		goto out;
	}
	uint8_t diff[32];
	char diff_hex[65], diff_id[72];

	sha256(tar.buf, tar.len, diff);
	sha256_hex(diff, diff_hex);
	snprintf(diff_id, sizeof(diff_id), "sha256:%s", diff_hex);
	size_t gz_len;
	unsigned char *gz_data = (unsigned char *)strbuf_detach(&gz, &gz_len);

	blob_set(&blobs[1], gz_data, gz_len);

	/* The config. */
	{
		struct tm tm;
		json_t *cfg, *c, *ep, *env, *labels, *cmd;
		size_t len;

		gmtime_r(&mtime, &tm);
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
		ep = json_pack("[s]", entry_path);
		env = json_array();
		for (size_t i = 0; i < o->env.n; i++)
			json_array_append_new(env, json_string(o->env.v[i]));
		labels = json_object();
		if (g && g->build_id)
			json_object_set_new(labels, "rt0trace.go.build-id", json_string(g->build_id));
		if (g && g->version)
			json_object_set_new(labels, "rt0trace.go.version", json_string(g->version));
		if (man_path)
			json_object_set_new(labels, "rt0trace.manifest.digest", json_string(man_digest));
		c = json_object();
		json_object_set_new(c, "Entrypoint", ep);
		if (o->nargs) {
			cmd = json_array();
			for (size_t i = 0; i < o->nargs; i++)
				json_array_append_new(cmd, json_string(o->args[i]));
			json_object_set_new(c, "Cmd", cmd);
		}
		if (o->uid >= 0)
			json_object_set_new(c, "User", o->gid >= 0 ? json_sprintf("%ld:%ld", o->uid, o->gid)
								: json_sprintf("%ld", o->uid));
		else
			json_object_set_new(c, "User", json_string("0:0"));
		if (json_array_size(env))
			json_object_set_new(c, "Env", env);
		else
			json_decref(env);
		json_object_set_new(c, "WorkingDir", json_string("/"));
		if (json_object_size(labels))
			json_object_set_new(c, "Labels", labels);
		else
			json_decref(labels);
		cfg = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "architecture", e->arch,
				"os", "linux", "created", created, "config", c, "rootfs", "type", "layers", "diff_ids",
				diff_id, "history", "created", created, "created_by", "rt0trace image");
		unsigned char *bytes = json_bytes(cfg, &len);

		json_decref(cfg);
		blob_set(&blobs[0], bytes, len);
	}

	/* The manifest and the index. */
	{
		json_t *m = json_pack("{s:i, s:s, s:o, s:[o]}", "schemaVersion", 2, "mediaType", MT_MANIFEST, "config",
				      descriptor(MT_CONFIG, &blobs[0]), "layers", descriptor(MT_LAYER, &blobs[1]));
		json_t *d, *idx;
		size_t len;
		unsigned char *bytes = json_bytes(m, &len);

		json_decref(m);
		blob_set(&blobs[2], bytes, len);
		d = descriptor(MT_MANIFEST, &blobs[2]);
		json_object_set_new(d, "platform", json_pack("{s:s, s:s}", "architecture", e->arch, "os", "linux"));
		if (o->name)
			json_object_set_new(d, "annotations", json_pack("{s:s}", "org.opencontainers.image.ref.name", o->name));
		idx = json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests", d);
		index = json_bytes(idx, &index_len);
		json_decref(idx);
	}

	static const char oci_layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	struct layout l = { index, (const unsigned char *)oci_layout, index_len, sizeof(oci_layout) - 1, blobs, 3 };

	if (o->format == RT_IMAGE_OCI_DIR)
		rc = write_dir(o->out, &l, err);
	else
		rc = write_archive(o->out, &l, mtime, err);
	if (rc != 0)
		goto out;

	memcpy(res->manifest_digest, blobs[2].digest, sizeof(res->manifest_digest));
	memcpy(res->config_digest, blobs[0].digest, sizeof(res->config_digest));
	memcpy(res->layer_digest, blobs[1].digest, sizeof(res->layer_digest));
	res->layer_size = blobs[1].len;
	res->layer_tar_size = tar.len;
	res->total_size = blobs[0].len + blobs[1].len + blobs[2].len + index_len + l.oci_layout_len;
	res->build_id = g && g->build_id ? xstrdup(g->build_id) : NULL;
	res->manifest_path = man_path;
	man_path = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < 3; i++)
		free(blobs[i].data);
	free(index);
	strbuf_release(&tar);
	strbuf_release(&gz);
	free(base_copy);
	free(entry_path);
	free(passwd);
	free(group);
	free(man_bytes);
	free(man_path);
	if (man_loaded)
		rt_manifest_release(&man);
	strv_release(&notes);
	rt_go_free(g);
	rt_elf_free(e);
	return rc;
}

void rt_image_result_release(struct rt_image_result *res)
{
	free(res->build_id);
	free(res->manifest_path);
	res->build_id = res->manifest_path = NULL;
}
