/*
 * pipeline/build_pgo: profile-guided optimization as cmd/go sets it up: which profile (-pgo), and its
 * preprocessing by $GOROOT/pkg/tool/<host>/preprofile, once, cached by the tool and the profile's content.
 */
#include "pipeline/build_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/fs.h"
#include "common/sha256.h"
#include "common/spawn.h"
#include "common/xalloc.h"

/* PGO as cmd/go does it: -pgo=auto (the default) takes the main package's default.pgo when there is one,
 * -pgo=FILE that file, -pgo=off none. The profile is preprocessed once by $GOROOT/pkg/tool/<host>/preprofile
 * (cached by the tool and the profile's content) and every package is compiled with -pgoprofile=. */
int gb_pgo_setup(struct build *b, const char *mode, struct rt_err *err)
{
	struct strbuf h = STRBUF_INIT;
	struct job pj = { 0 };
	struct step *st;
	char *tool, hex[65], *target;
	uint8_t d[32];
	struct stat ts;
	int status, rc = -1;

	if (strcmp(mode, "off") == 0)
		return 0;
	if (strcmp(mode, "auto") == 0) {
		b->pgo_file = xasprintf("%s/default.pgo", b->g.main->dir);
		if (!rt_is_file(b->pgo_file)) {
			free(b->pgo_file);
			b->pgo_file = NULL;
			return 0;
		}
	} else {
		b->pgo_file = mode[0] == '/' ? xstrdup(mode) : xasprintf("%s/%s", b->cwd, mode);
		if (!rt_is_file(b->pgo_file))
			return rt_errf(err, RT_EXIT_BUILD, "-pgo=%s: cannot read the profile '%s': %s", mode, b->pgo_file,
				       strerror(errno ? errno : ENOENT));
	}
	if (gb_filehash(&b->files, b->pgo_file, d, err) != 0)
		return -1;
	sha256_hex(d, hex);
	b->pgo_hash = xstrdup(hex);
	tool = xasprintf("%s/preprofile", b->cfg.tooldir);
	if (stat(tool, &ts) != 0) {
		rc = rt_errf(err, RT_EXIT_ENV, "PGO needs '%s': %s", tool, strerror(errno));
		free(tool);
		return rc;
	}
	hput(&h, "rt0trace preprofile 1\n%s preprofile %lld:%lld.%09ld:%llu\ninput %s\n", b->cfg.version, (long long)ts.st_size,
	     (long long)ts.st_mtim.tv_sec, ts.st_mtim.tv_nsec, (unsigned long long)ts.st_ino, hex);
	gb_finish_action(&pj, &h);
	if (!b->o->dry_run && gb_cache_lookup(b, &pj, 'p')) {
		b->pgo_profile = pj.archive;
		free(tool);
		return 0;
	}
	pj.objdir = xasprintf("%s/pgo", b->work);
	target = xasprintf("%s/pgo.preprofile", pj.objdir);
	gb_add_step(&pj, S_MKDIR, pj.objdir);
	st = gb_add_step(&pj, S_EXEC, NULL);
	strv_push(&st->argv, tool);
	strv_push(&st->argv, "-o");
	strv_push(&st->argv, target);
	strv_push(&st->argv, "-i");
	strv_push(&st->argv, b->pgo_file);
	st->cwd = xstrdup(b->cwd);
	free(tool);
	if (b->o->dry_run) { /* the recipe runs them first */
		b->pgo_steps = pj.steps;
		b->npgo_steps = pj.nsteps;
		b->pgo_profile = target;
		free(pj.objdir);
		return 0;
	}
	for (size_t i = 0; i < pj.nsteps && b->o->print_cmds; i++)
		gb_show_step(b, &pj.steps[i], stderr, false);
	if (rt_mkdir_p(pj.objdir) != 0) {
		rt_errf(err, RT_EXIT_ENV, "cannot create '%s': %s", pj.objdir, strerror(errno));
		goto out;
	}
	if (gb_spawn_step(b, &pj, st, err) != 0)
		goto out;
	rt_command_wait(pj.pid, &status);
	b->running--;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		gb_print_output(b, &pj);
		rt_errf(err, RT_EXIT_BUILD, "build failed: preprofile of the PGO profile '%s' %s", b->pgo_file,
			WIFEXITED(status) ? "failed" : "was killed");
		goto out;
	}
	gb_print_output(b, &pj);
	if (gb_filehash(&b->files, target, pj.content, err) != 0)
		goto out;
	pj.result = target;
	target = NULL;
	/* the cache's record is "content buildid": a profile has no build ID, its action ID stands in */
	snprintf(pj.buildid, sizeof(pj.buildid), "%s", pj.action_id);
	if (gb_cache_store(b, &pj, 'p', err) != 0)
		goto out;
	b->pgo_profile = pj.archive;
	pj.archive = NULL;
	rc = 0;
out:
	gb_steps_free(pj.steps, pj.nsteps);
	free(pj.objdir);
	free(pj.outfile);
	free(pj.result);
	free(pj.archive);
	strbuf_release(&pj.shown);
	free(target);
	return rc;
}
