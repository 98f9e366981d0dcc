/*
 * pipeline/build_output: what a finished build writes: the executable at -o (not rewritten when it is
 * already this build's) and the --manifest: the commands run, and what the linker placed (entry symbol,
 * runtime phases, package-init order).
 */
#include "pipeline/build_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/outfile.h"
#include "common/xalloc.h"
#include "probes/binary.h"
#include "probes/gophases.h"

/* The Go build ID of the executable at path (a regular file, not a link) and its size; NULL when none. */
static char *exe_build_id(const char *path, uint64_t *size)
{
	struct rt_elf *e;
	struct stat st;
	char *id;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || rt_elf_open(&e, path, NULL) != 0)
		return NULL;
	id = rt_go_build_id(e);
	*size = e->file_size;
	rt_elf_free(e);
	return id;
}

/* Whether the file at `to` is the executable at `from`: the same size and Go build ID (whose last part
 * is the hash of the content). */
static bool same_binary(const char *from, const char *to)
{
	uint64_t na = 0, nb = 0;
	char *b = exe_build_id(to, &nb), *a = b ? exe_build_id(from, &na) : NULL;
	bool same = a && na == nb && strcmp(a, b) == 0;

	free(a);
	free(b);
	return same;
}

int gb_install(struct build *b, struct rt_err *err)
{
	const char *from = b->jobs[b->njobs - 1].archive;
	struct rt_outfile out;

	if (b->o->print_cmds) {
		fputs("cp ", stderr);
		gb_put_word(b, stderr, from);
		fputc(' ', stderr);
		gb_put_word(b, stderr, b->out);
		fputc('\n', stderr);
	}
	/* an output that already is this build's (same size, same Go build ID: the ID ends with the hash of
	 * the content) is not written again, only its mtime moved on, as rewriting it would */
	if (same_binary(from, b->out)) {
		if (utimensat(AT_FDCWD, b->out, NULL, 0) == 0)
			return 0;
	}
	/* as go build: mode 0777 & ~umask; the whole file or nothing at b->out */
	if (rt_outfile_open(&out, b->out, 0777) != 0)
		return rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", b->out, rt_outfile_error(&out, errno));
	if (rt_append_file(out.f, from) != 0 || rt_outfile_commit(&out) != 0) {
		int e = errno;

		rt_outfile_discard(&out);
		return rt_errf(err, RT_EXIT_BUILD, "cannot write '%s': %s", b->out, strerror(e));
	}
	return 0;
}

static json_t *argv_json(const struct build *b, const struct strv *argv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < argv->n; i++) {
		char *s = gb_show_path(b, argv->v[i]);

		json_array_append_new(a, json_string(s));
		free(s);
	}
	return a;
}

int gb_write_manifest(struct build *b, struct rt_err *err)
{
	const struct gb_config *c = &b->cfg;
	json_t *m = json_object(), *pkgs = json_array(), *link = json_object(), *placed = json_object();
	json_t *entry = json_object(), *phases = json_array();
	struct rt_binary *bin;
	struct rt_phase ph[16];
	size_t nph;
	struct rt_outfile mf = { 0 };
	int rc = -1;

	json_object_set_new(m, "format", json_string("rt0trace-manifest"));
	json_object_set_new(m, "version", json_integer(1));
	json_object_set_new(m, "goroot", json_string(c->goroot));
	json_object_set_new(m, "go_version", json_string(c->version));
	json_object_set_new(m, "goos", json_string(c->goos));
	json_object_set_new(m, "goarch", json_string(c->goarch));
	for (size_t i = 0; i < b->g.npkgs; i++) {
		const struct gb_pkg *p = b->g.pkgs[i];
		const struct job *j = &b->jobs[i];
		json_t *o = json_object(), *asmv = json_array();

		json_object_set_new(o, "path", json_string(p->path));
		json_object_set_new(o, "dir", json_string(p->dir));
		json_object_set_new(o, "files", json_strv(&p->gofiles));
		json_object_set_new(o, "sfiles", json_strv(&p->sfiles));
		json_object_set_new(o, "imports", json_strv(&p->imports));
		json_object_set_new(o, "compile", argv_json(b, &j->compile_argv));
		for (size_t k = 0; k < j->asm_argvs.n; k++) {
			struct strv one = STRV_INIT;
			char *copy = xstrdup(j->asm_argvs.v[k]), *save = NULL;

			for (char *t = strtok_r(copy, "\t", &save); t; t = strtok_r(NULL, "\t", &save))
				strv_push(&one, t);
			json_array_append_new(asmv, argv_json(b, &one));
			strv_release(&one);
			free(copy);
		}
		json_object_set_new(o, "asm", asmv);
		if (p->cgofiles.n) {
			json_t *ccv = json_array();

			json_object_set_new(o, "cgofiles", json_strv(&p->cgofiles));
			json_object_set_new(o, "cfiles", json_strv(&p->cfiles));
			json_object_set_new(o, "cgo", argv_json(b, &j->cgo_argv));
			for (size_t k = 0; k < j->ncc; k++)
				json_array_append_new(ccv, argv_json(b, &j->cc_argvs[k]));
			json_object_set_new(o, "cc", ccv);
			json_object_set_new(o, "dynimport", argv_json(b, &j->dyn_argv));
		}
		json_object_set_new(o, "archive", json_string(j->archive));
		json_object_set_new(o, "cached", json_boolean(j->cached));
		json_array_append_new(pkgs, o);
	}
	json_object_set_new(m, "packages", pkgs);
	json_object_set_new(link, "argv", argv_json(b, &b->jobs[b->njobs - 1].compile_argv));
	json_object_set_new(link, "output", json_string(b->out));
	json_object_set_new(link, "build_id", json_string(b->jobs[b->njobs - 1].buildid));
	if (b->ldflags_pp.n)
		json_object_set_new(link, "ldflags", json_strv(&b->ldflags));
	json_object_set_new(m, "link", link);

	/* The linked file in the cache: the same bytes as -o, which may be a device such as /dev/null. */
	if (rt_binary_open(&bin, b->jobs[b->njobs - 1].archive, err) != 0)
		goto out;
	json_object_set_new(entry, "symbol", json_str_or_null(bin->entry_sym ? bin->entry_sym->name : NULL));
	json_object_set_new(entry, "addr", json_hex(bin->elf->entry));
	json_object_set_new(placed, "entry", entry);
	entry = NULL;
	nph = rt_go_phases(bin->elf, ph, sizeof(ph) / sizeof(ph[0]));
	for (size_t i = 0; i < nph; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(ph[i].name));
		json_object_set_new(o, "symbol", json_str_or_null(ph[i].symbol));
		json_object_set_new(o, "addr", ph[i].symbol ? json_hex(ph[i].addr) : json_null());
		json_object_set_new(o, "role", json_string(rt_phase_role_name(ph[i].role)));
		json_array_append_new(phases, o);
	}
	json_object_set_new(placed, "phases", phases);
	phases = NULL;
	json_object_set_new(placed, "init_order", rt_binary_init_order_json(bin->go));
	rt_binary_free(bin);
	json_object_set_new(m, "placed", placed);
	placed = NULL;

	if (rt_outfile_open(&mf, b->o->manifest, 0666) != 0 || json_dumpf(m, mf.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', mf.f) == EOF || rt_outfile_commit(&mf) != 0) {
		rt_errf(err, RT_EXIT_BUILD, "cannot write the manifest '%s': %s", b->o->manifest, rt_outfile_error(&mf, errno));
		rt_outfile_discard(&mf);
		goto out;
	}
	rc = 0;
out:
	json_decref(entry);
	json_decref(phases);
	json_decref(placed);
	json_decref(m);
	return rc;
}
