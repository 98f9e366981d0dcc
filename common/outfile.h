/*
 * common/outfile: every file rt0trace writes for the user (traces, reports, baselines, manifests, built
 * binaries) is created here, so that none is ever written through a symbolic link planted at its path
 * or through a name another user could guess.
 *
 * - PATH is a regular file, or nothing: the bytes go to a temporary file beside it whose name is
 *   unpredictable (mkostemp: random, O_EXCL), which rename(2) puts at PATH, so a reader never sees half
 *   a file.
 * - PATH is a symbolic link planted by someone else: one that the kernel's fs.protected_symlinks rule
 *   would not follow (in a sticky world-writable directory such as /tmp, owned neither by us nor by the
 *   directory's owner) is refused, whatever that sysctl says. Any other link is followed, as strace -o
 *   does: `-o /dev/stderr`, `-o /dev/fd/3` or a link of the user's own write to its target.
 * - PATH is a device, a FIFO or a socket: written in place (O_NOFOLLOW, no O_CREAT).
 * When no temporary file can be made beside an existing regular file (its directory is not writable),
 * the file is rewritten in place with O_NOFOLLOW and without O_CREAT: still never through a link.
 *
 * Ownership: rt_outfile_open fills a caller-provided struct; rt_outfile_commit or rt_outfile_discard
 * releases it (both accept one that was never opened or is already released).
 */
#ifndef RT0_COMMON_OUTFILE_H
#define RT0_COMMON_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct rt_outfile {
	FILE *f;        /* where to write; NULL when not open */
	char *path;     /* the final path (NULL for standard output) */
	char *tmp;      /* the temporary file while it is not yet at `path`, else NULL */
	bool own;       /* f is ours to close (not standard output) */
	bool created;   /* `path` did not exist: a discard after publishing removes it again */
	char why[512];  /* after a failed open that errno cannot say (an untrusted link): the reason */
};

/* Opens PATH for writing as described above, with mode `mode` (& ~umask) for a new file. Returns 0, or
 * -1 with errno set (EISDIR for a directory, or what open/mkostemp said); rt_outfile_error says why. */
int rt_outfile_open(struct rt_outfile *o, const char *path, unsigned mode);
/* Why the last open or commit failed with `e` (its errno): o->why when set, else strerror(e). */
const char *rt_outfile_error(const struct rt_outfile *o, int e);
/* Puts the temporary file at its path now, and goes on writing: for a file that grows while it is
 * useful to read (a trace survives a SIGKILL of rt0trace at its path). No-op when already there.
 * Returns 0, or -1 with errno set. */
int rt_outfile_publish(struct rt_outfile *o);
/* Flushes, closes and publishes. Returns 0, or -1 with errno set (nothing is left at a path that did
 * not receive the whole file: the temporary file is removed). */
int rt_outfile_commit(struct rt_outfile *o);
/* Closes and removes what this open created: the temporary file, or the published file when `path`
 * did not exist before. What existed before (a device, a FIFO, a file not yet replaced) is kept. */
void rt_outfile_discard(struct rt_outfile *o);

/* `-o -` for a command that runs a program: moves rt0trace's standard output to a new close-on-exec
 * descriptor, which "-" names from then on, and points fd 1 at standard error, so the program (which
 * inherits fd 1) never writes into the stream rt0trace writes. Returns 0, or -1 with errno set. */
int rt_outfile_detach_stdout(void);

#endif
