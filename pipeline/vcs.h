/*
 * -buildvcs: what go build stamps into a main module's executable from its version control checkout
 * (cmd/go/internal/load setBuildInfo, internal/vcs FromDir and gitStatus, and modfetch's version for a
 * revision), for git:
 *   - the repository is found from the directory the build runs in, upwards (a ".git" directory; hg,
 *     svn, bzr and fossil roots are recognised too, and two kinds on one path are an error); the main
 *     module and package must be in it;
 *   - settings vcs=git, vcs.revision (git log -1 --format=%H:%ct), vcs.time (that commit time, UTC,
 *     RFC 3339), vcs.modified (git status --porcelain prints anything);
 *   - when the repository's root has a go.mod, the main module's version: the highest semantic version
 *     tag on the revision that fits the module path's major version (with the module's subdirectory as
 *     tag prefix), else a pseudo-version from the highest such tag the revision contains
 *     (vX.Y.(Z+1)-0.TIME-REV12, vX.0.0-TIME-REV12 without one), with "+dirty" when modified.
 * Mode "auto" (go's default) stamps when all that holds and git is on PATH, silently not otherwise;
 * "true" makes a mismatch an error; "false" stamps nothing. Retractions in go.mod are not consulted
 * for the version, and only git repositories are stamped (another VCS is an error unless its tool is
 * missing and the mode is auto).
 */
#ifndef RT0_PIPELINE_VCS_H
#define RT0_PIPELINE_VCS_H

#include <stdbool.h>

#include "common/err.h"

struct gb_vcs {
	bool stamped;        /* the vcs settings below go into the build info */
	char *revision;      /* NULL in a repository without commits */
	char *time;          /* NULL likewise */
	bool modified;
	char *version;       /* the main module's version, or NULL: "(devel)" */
};

/* Fills *v for a main module at moddir (module path modpath) whose main package is in pkgdir, built
 * from cwd (absolute directories). Errors are RT_EXIT_BUILD, go's "error obtaining VCS status: ...". */
int gb_vcs_stamp(const char *mode, const char *cwd, const char *modpath, const char *moddir, const char *pkgdir,
		 struct gb_vcs *v, struct rt_err *err);
void gb_vcs_release(struct gb_vcs *v);

/* module.PseudoVersion: major ("" is v0), the base version (a tag's, "" for none), the commit time (Unix
 * seconds) and the revision's first 12 hex digits. */
char *gb_pseudo_version(const char *major, const char *base, long long unix_time, const char *rev12);

#endif
