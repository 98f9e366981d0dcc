/* rt0trace image: a minimal, reproducible OCI image of one program (pipeline/ociimage). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pipeline/ociimage.h"
#include "tracer/cmd.h"

static const char image_usage[] =
	"usage: rt0trace image [--format oci-dir|oci-archive] [-t NAME[:TAG]] [--allow-dynamic]\n"
	"                      [--user UID[:GID]] [--env K=V]... [--passwd] [--manifest FILE]\n"
	"                      -o OUT BINARY [ARGS...]\n"
	"\n"
	"Makes a minimal OCI image of a program (built by 'rt0trace build': static, or cgo with musl): one\n"
	"layer holding BINARY at /<its name>, a config with that entrypoint (ARGS as its Cmd), the user, the\n"
	"environment and labels carrying the Go build ID, the Go version and the digest of the build's\n"
	"manifest. Reproducible: the same inputs give the same digests (times are SOURCE_DATE_EPOCH, else 0).\n"
	"Load it with 'podman load -i OUT' (oci-archive), 'skopeo copy oci:OUT ...' or 'ctr images import'.\n"
	"\n"
	"options:\n"
	"  -o OUT               the image layout directory (oci-dir) or tar file (oci-archive); replaced\n"
	"                       atomically, nothing half-written is left\n"
	"  --format FORMAT      oci-dir (default) or oci-archive (the same layout as one tar file)\n"
	"  -t NAME[:TAG]        the image's name (org.opencontainers.image.ref.name); :latest when no tag\n"
	"  --allow-dynamic      accept a dynamically linked program (it will not run FROM scratch)\n"
	"  --user UID[:GID]     the user the program runs as (default 0:0)\n"
	"  --env K=V            an environment variable of the config (repeatable)\n"
	"  --passwd             add /etc/passwd and /etc/group (root, and 'app' for a --user other than 0)\n"
	"  --manifest FILE      the 'rt0trace build --manifest' of BINARY (default: BINARY.manifest.json\n"
	"                       when it exists); its digest goes in the label rt0trace.manifest.digest\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit codes: 0 written, 2 usage error (also an invalid image name), 3 the binary is missing, not an\n"
	"            executable or not static, the manifest is another build's, OUT cannot be written,\n"
	"            4 SOURCE_DATE_EPOCH is malformed\n";

/* UID[:GID], each a decimal number below 2^31. */
static int parse_user(const char *s, long *uid, long *gid)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*uid = strtol(s, &end, 10);
	if (errno || *uid > 0x7fffffffL)
		return -1;
	*gid = -1;
	if (*end == ':') {
		s = end + 1;
		if (*s < '0' || *s > '9')
			return -1;
		*gid = strtol(s, &end, 10);
		if (errno || *gid > 0x7fffffffL)
			return -1;
	}
	return *end ? -1 : 0;
}

int cmd_image(int argc, char **argv)
{
	enum { O_FORMAT = 256, O_ALLOW_DYNAMIC, O_USER, O_ENV, O_PASSWD, O_MANIFEST };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "allow-dynamic", no_argument, NULL, O_ALLOW_DYNAMIC },
		{ "user", required_argument, NULL, O_USER },
		{ "env", required_argument, NULL, O_ENV },
		{ "passwd", no_argument, NULL, O_PASSWD },
		{ "manifest", required_argument, NULL, O_MANIFEST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rt_image_opts o = { .format = RT_IMAGE_OCI_DIR, .uid = -1, .gid = -1 };
	struct rt_image_result res;
	struct rt_err err = { 0 };
	char *name = NULL;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 't':
			free(name);
			name = strchr(optarg, '@') ? NULL : strdup(optarg);
			if (!name || !rt_image_name_ok(optarg)) {
				rc = cmd_usage_error("image", "invalid image name '%s': NAME[:TAG] with lower-case path components ([a-z0-9] joined by '.', '_', '__' or '-'), an optional registry host first, a tag of at most 128 letters, digits, '_', '.', '-'",
						     optarg);
				goto out;
			}
			break;
		case O_FORMAT:
			if (strcmp(optarg, "oci-dir") == 0)
				o.format = RT_IMAGE_OCI_DIR;
			else if (strcmp(optarg, "oci-archive") == 0)
				o.format = RT_IMAGE_OCI_ARCHIVE;
			else {
				rc = cmd_usage_error("image", "unknown format '%s' (oci-dir or oci-archive)", optarg);
				goto out;
			}
			break;
		case O_ALLOW_DYNAMIC:
			o.allow_dynamic = true;
			break;
		case O_USER:
			if (parse_user(optarg, &o.uid, &o.gid) != 0) {
				rc = cmd_usage_error("image", "--user '%s': want UID or UID:GID, decimal numbers", optarg);
				goto out;
			}
			break;
		case O_ENV:
			if (optarg[0] == '=' || !strchr(optarg, '=')) {
				rc = cmd_usage_error("image", "--env '%s': want NAME=VALUE", optarg);
				goto out;
			}
			strv_push(&o.env, optarg);
			break;
		case O_PASSWD:
			o.passwd = true;
			break;
		case O_MANIFEST:
			o.manifest = optarg;
			break;
		case 'h':
			fputs(image_usage, stdout);
			rc = RT_EXIT_OK;
			goto out;
		case ':':
			rc = cmd_usage_error("image", "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			rc = cmd_unknown_option("image", argv);
			goto out;
		}
	}
	if (!o.out) {
		rc = cmd_usage_error("image", "-o OUT is required");
		goto out;
	}
	if (optind >= argc) {
		rc = cmd_usage_error("image", "no BINARY given");
		goto out;
	}
	if (name) {
		/* A name without a tag is NAME:latest, as every runtime reads it. */
		const char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');

		if (!colon || (slash && colon < slash)) {
			size_t n = strlen(name);
			char *t = malloc(n + sizeof(":latest"));

			if (!t)
				abort();
			memcpy(t, name, n);
			memcpy(t + n, ":latest", sizeof(":latest"));
			free(name);
			name = t;
		}
		o.name = name;
	}
	o.binary = argv[optind];
	o.args = (const char *const *)argv + optind + 1;
	o.nargs = (size_t)(argc - optind - 1);
	if (rt_image_write(&o, &res, &err) != 0) {
		rc = rt_err_report(&err);
		goto out;
	}
	printf("%s %s%s%s\n", res.manifest_digest, o.out, o.name ? " " : "", o.name ? o.name : "");
	printf("  layer %s: %llu bytes gzip (%llu bytes tar); image %llu bytes in all\n", res.layer_digest,
	       res.layer_size, res.layer_tar_size, res.total_size);
	if (res.build_id)
		printf("  go build id %s\n", res.build_id);
	if (res.manifest_path)
		printf("  manifest %s\n", res.manifest_path);
	rt_image_result_release(&res);
	rc = RT_EXIT_OK;
out:
	free(name);
	strv_release(&o.env);
	return rc;
}
