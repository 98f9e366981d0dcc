/*
 * blankid IN OUT: writes IN to OUT with its Go build ID (every occurrence, as `go tool buildid` reports
 * it) and the payload of its .note.gnu.build-id (which the linker derives from the Go build ID) zeroed,
 * so two builds of the same program can be compared byte for byte. Test helper only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/binary.h"

int main(int argc, char **argv)
{
	struct rt_err err = { 0 };
	struct rt_binary *b;
	const struct rt_elf_sec *note;
	unsigned char *buf = NULL;
	size_t len, idlen;
	FILE *f;
	int rc = 3;

	if (argc != 3) {
		fprintf(stderr, "usage: blankid IN OUT\n");
		return 2;
	}
	if (rt_binary_open(&b, argv[1], &err) != 0)
		return rt_err_report(&err);
	if (!b->go || !b->go->build_id) {
		fprintf(stderr, "blankid: '%s' has no Go build ID\n", argv[1]);
		goto out;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		goto out;
	}
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(len);
	if (fread(buf, 1, len, f) != len) {
		fclose(f);
		goto out;
	}
	fclose(f);
	idlen = strlen(b->go->build_id);
	for (unsigned char *p = buf; (p = memmem(p, len - (size_t)(p - buf), b->go->build_id, idlen)) != NULL; p += idlen)
		memset(p, 0, idlen);
	note = rt_elf_section(b->elf, ".note.gnu.build-id");
	if (note && note->size > 16 && note->offset + note->size <= len)
		memset(buf + note->offset + 16, 0, note->size - 16);
	f = fopen(argv[2], "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(argv[2]);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	rt_binary_free(b);
	return rc;
}
