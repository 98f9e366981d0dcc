#include "pipeline/buildid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "probes/elf.h"

void gb_sha256(const void *data, size_t len, uint8_t out[32])
{
	sha256(data, len, out);
}

void gb_hash_to_string(const uint8_t h[32], char *out)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	for (int i = 0; i < 5; i++) {
		uint32_t v = (uint32_t)h[3 * i] << 16 | (uint32_t)h[3 * i + 1] << 8 | h[3 * i + 2];

		out[4 * i + 0] = b64[(v >> 18) & 0x3f];
		out[4 * i + 1] = b64[(v >> 12) & 0x3f];
		out[4 * i + 2] = b64[(v >> 6) & 0x3f];
		out[4 * i + 3] = b64[v & 0x3f];
	}
	out[GB_ID_LEN] = '\0';
}

static int read_all(const char *path, uint8_t **buf, size_t *len, struct rt_err *err)
{
	if (rt_read_file(path, (char **)buf, len) != 0)
		return rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", path, strerror(errno));
	return 0;
}

/* The .note.gnu.build-id payload of an ELF file, which buildid hashing reads as zeros. */
static void host_build_id(const char *path, uint64_t *off, uint64_t *size)
{
	struct rt_elf *e;
	const struct rt_elf_sec *s;

	*off = *size = 0;
	if (rt_elf_open(&e, path, NULL) != 0)
		return;
	s = rt_elf_section(e, ".note.gnu.build-id");
	if (s && s->size > 16) {
		*off = s->offset + 16;
		*size = s->size - 16;
	}
	rt_elf_free(e);
}

int gb_buildid_rewrite(const char *path, const char *id, char *newid, uint8_t content[32], struct rt_err *err)
{
	size_t idlen = strlen(id), len, nmatch = 0, cap = 0;
	uint8_t *buf, *hashed, h[32];
	size_t *matches = NULL;
	uint64_t hoff, hsize;
	const char *slash = strrchr(id, '/');
	int fd, rc = -1;

	if (!slash || idlen == 0)
		return rt_errf(err, RT_EXIT_BUILD, "malformed build ID '%s'", id);
	if (read_all(path, &buf, &len, err) != 0)
		return -1;
	hashed = xmalloc(len ? len : 1);
	memcpy(hashed, buf, len);
	host_build_id(path, &hoff, &hsize);
	if (hsize && hoff + hsize <= len)
		memset(hashed + hoff, 0, hsize);
	for (size_t i = 0; idlen <= len && i <= len - idlen;) {
		uint8_t *p = memmem(buf + i, len - i, id, idlen);

		if (!p)
			break;
		matches = xgrow(matches, &cap, nmatch + 1, sizeof(*matches));
		matches[nmatch++] = (size_t)(p - buf);
		memset(hashed + (p - buf), 0, idlen);
		i = (size_t)(p - buf) + idlen;
	}
	if (!nmatch) {
		rt_errf(err, RT_EXIT_BUILD, "'%s' does not contain its build ID '%s'", path, id);
		goto out;
	}
	gb_sha256(hashed, len, h);
	memcpy(newid, id, (size_t)(slash - id) + 1);
	gb_hash_to_string(h, newid + (slash - id) + 1);
	if (content)
		memcpy(content, h, 32);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < nmatch; i++)
		if (pwrite(fd, newid, idlen, (off_t)matches[i]) != (ssize_t)idlen) {
			rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", path, strerror(errno));
			close(fd);
			goto out;
		}
	if (close(fd) != 0) {
		rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(buf);
	free(hashed);
	free(matches);
	return rc;
}

int gb_pack_append(const char *archive, char *const *files, size_t nfiles, struct rt_err *err)
{
	FILE *out = fopen(archive, "a+b");
	char sig[8];

	if (!out)
		return rt_errf(err, RT_EXIT_BUILD, "cannot open archive '%s': %s", archive, strerror(errno));
	/* a new (or empty) archive gets its signature first, as go tool pack r makes one; an existing
	 * file must be an archive */
	if (fseek(out, 0, SEEK_END) != 0) {
		fclose(out);
		return rt_errf(err, RT_EXIT_BUILD, "cannot read archive '%s': %s", archive, strerror(errno));
	}
	if (ftell(out) == 0) {
		if (fputs("!<arch>\n", out) == EOF) {
			fclose(out);
			return rt_errf(err, RT_EXIT_BUILD, "cannot write archive '%s': %s", archive, strerror(errno));
		}
	} else if (fseek(out, 0, SEEK_SET) != 0 || fread(sig, 1, 8, out) != 8 || memcmp(sig, "!<arch>\n", 8) != 0 ||
		   fseek(out, 0, SEEK_END) != 0) { /* (a read and a write need a seek between them) */
		fclose(out);
		return rt_errf(err, RT_EXIT_BUILD, "'%s' is not an archive (no !<arch> signature)", archive);
	}
	for (size_t i = 0; i < nfiles; i++) {
		const char *base = strrchr(files[i], '/');
		uint8_t *data;
		size_t len;
		char hdr[61];

		base = base ? base + 1 : files[i];
		if (read_all(files[i], &data, &len, err) != 0) {
			fclose(out);
			return -1;
		}
		/* %-16s of the name cut to 16 bytes, then mtime, uid, gid, mode (octal), size. */
		snprintf(hdr, sizeof(hdr), "%-16.16s%-12d%-6d%-6d%-8o%-10zu`\n", base, 0, 0, 0, 0644, len);
		if (fwrite(hdr, 1, 60, out) != 60 || fwrite(data, 1, len, out) != len || ((len & 1) && fputc('\n', out) == EOF)) {
			free(data);
			fclose(out);
			return rt_errf(err, RT_EXIT_BUILD, "cannot write archive '%s': %s", archive, strerror(errno));
		}
		free(data);
	}
	if (fclose(out) != 0)
		return rt_errf(err, RT_EXIT_BUILD, "cannot write archive '%s': %s", archive, strerror(errno));
	return 0;
}
