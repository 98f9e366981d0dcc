/*
 * pipeline/ociimage: `rt0trace image`: a minimal OCI image (image-spec v1.0) of one program.
 *
 * One gzip layer holds the program at /<its base name> (mode 0755) and, when asked, /etc/passwd and
 * /etc/group; the config holds the entrypoint, the user, the environment and labels with the program's
 * Go build ID, Go version and the digest of its `rt0trace build --manifest`. Written as an OCI image
 * layout directory (oci-layout, index.json, blobs/sha256/...) or as that layout in one tar file
 * (oci-archive). Reproducible: every tar entry has uid/gid 0, no user or group names, the mtime
 * SOURCE_DATE_EPOCH (else 0), entries in byte order; the gzip header has no name and mtime 0; the JSON
 * is compact with sorted keys and its only times are that same instant. The same inputs give the same
 * bytes and digests.
 *
 * Nothing half-written is left: a directory is made beside OUT and renamed into place (an existing
 * image layout at OUT is swapped out atomically and removed); an archive goes through common/outfile.
 */
#ifndef RT0_PIPELINE_OCIIMAGE_H
#define RT0_PIPELINE_OCIIMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strv.h"

enum rt_image_format { RT_IMAGE_OCI_DIR, RT_IMAGE_OCI_ARCHIVE };

struct rt_image_opts {
	enum rt_image_format format;
	const char *out;          /* -o */
	const char *binary;
	const char *const *args;  /* the config's Cmd (after the entrypoint), nargs of them */
	size_t nargs;
	const char *name;         /* -t NAME[:TAG], already valid (rt_image_name_ok), or NULL */
	bool allow_dynamic;
	long uid, gid;            /* --user, or -1 (the config then says "0:0") */
	struct strv env;          /* --env K=V, in order */
	bool passwd;              /* /etc/passwd and /etc/group in the layer */
	const char *manifest;     /* --manifest FILE; NULL: BINARY.manifest.json when it exists */
};

struct rt_image_result {
	char manifest_digest[72]; /* "sha256:<hex>" of the image manifest */
	char config_digest[72];
	char layer_digest[72];
	unsigned long long layer_size, layer_tar_size, total_size; /* the layer gzip'd and not; every blob + index */
	char *build_id;           /* the program's Go build ID, or NULL */
	char *manifest_path;      /* the rt0trace build manifest used, or NULL */
};

/* Makes the image. Errors: the binary missing, unreadable, not an ELF executable or (without
 * allow_dynamic) not static, a manifest of another build or unreadable, OUT not writable or a non-empty
 * directory that is not an image layout: RT_EXIT_INPUT; SOURCE_DATE_EPOCH malformed: RT_EXIT_ENV. */
int rt_image_write(const struct rt_image_opts *o, struct rt_image_result *res, struct rt_err *err);
void rt_image_result_release(struct rt_image_result *res);

/* True when `ref` is a valid image reference NAME[:TAG] by the OCI distribution / Docker grammar
 * (lower-case path components with . _ __ - separators, an optional domain[:port] first, a tag of at
 * most 128 word characters, dots and dashes; at most 255 characters before the tag; no @digest). */
bool rt_image_name_ok(const char *ref);

#endif
