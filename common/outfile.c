#include "common/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"

static FILE *detached_stdout; /* rt0trace's standard output after rt_outfile_detach_stdout */

int rt_outfile_detach_stdout(void)
{
	int fd;

	if (detached_stdout)
		return 0;
	fflush(stdout);
	if ((fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0)
		return -1;
	if (!(detached_stdout = fdopen(fd, "w")) || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		int e = errno;

		if (detached_stdout)
			fclose(detached_stdout);
		else
			close(fd);
		detached_stdout = NULL;
		errno = e;
		return -1;
	}
	return 0;
}

/* Opens what stands at `path` (a device, a FIFO, a socket) for writing in place: no O_CREAT, no
 * O_TRUNC. Returns the fd, -2 when it turned out to be a regular file or nothing (replaced meanwhile),
 * so the caller goes the temporary-file way, or -1 with errno. */
static int open_in_place(const char *path, int flags)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | flags);

	if (fd < 0)
		return errno == ENOENT ? -2 : -1;
	if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode)) {
		close(fd);
		return -2;
	}
	return fd;
}

/* The kernel's fs.protected_symlinks rule, applied whatever the sysctl says: a link in a sticky
 * world-writable directory is followed only when we or the directory's owner own it. Returns true when
 * it may be followed; else fills why. */
static bool link_trusted(const char *path, const struct stat *lst, char *why, size_t n)
{
	char *copy = xstrdup(path), *dir = dirname(copy);
	struct stat dst;
	bool ok = stat(dir, &dst) != 0 || !(dst.st_mode & S_ISVTX) || !(dst.st_mode & S_IWOTH) ||
		  lst->st_uid == geteuid() || lst->st_uid == dst.st_uid;

	if (!ok)
		snprintf(why, n, "it is a symbolic link owned by uid %d in the world-writable directory '%s' (it may have "
				 "been planted there to redirect what is written); remove it or name the target itself",
			 (int)lst->st_uid, dir);
	free(copy);
	return ok;
}

static unsigned current_umask(void)
{
	mode_t m = umask(022);

	umask(m);
	return (unsigned)m;
}

int rt_outfile_open(struct rt_outfile *o, const char *path, unsigned mode)
{
	struct stat st;
	bool exists, regular;
	char *copy, *tmp;
	int fd = -2, e;

	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->f = detached_stdout ? detached_stdout : stdout;
		return 0;
	}
	exists = lstat(path, &st) == 0;
	if (!exists && errno != ENOENT)
		return -1;
	regular = exists && S_ISREG(st.st_mode);
	if (exists && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (exists && S_ISLNK(st.st_mode)) {
		if (!link_trusted(path, &st, o->why, sizeof(o->why))) {
			errno = EPERM;
			return -1;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, (mode_t)mode);
		if (fd < 0)
			return -1;
		exists = true; /* a file of the user's choosing: never removed */
	} else if (exists && !regular)
		fd = open_in_place(path, O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (fd < 0) { /* a regular file, or nothing: a temporary file beside it */
		copy = xstrdup(path);
		tmp = xasprintf("%s/.%s.XXXXXX", dirname(copy), strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
		free(copy);
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0 && regular && (errno == EACCES || errno == EPERM || errno == EROFS)) {
			/* the directory is closed to us, the file is not: rewrite it, never through a link */
			free(tmp);
			tmp = NULL;
			fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		}
		if (fd < 0) {
			e = errno;
			free(tmp);
			errno = e;
			return -1;
		}
		if (tmp && fchmod(fd, (mode_t)(mode & ~current_umask() & 07777)) != 0) {
			e = errno;
			close(fd);
			unlink(tmp);
			free(tmp);
			errno = e;
			return -1;
		}
		o->tmp = tmp;
		o->created = !exists;
	}
	if (!(o->f = fdopen(fd, "w"))) {
		e = errno;
		close(fd);
		if (o->tmp)
			unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		errno = e;
		return -1;
	}
	o->own = true;
	o->path = xstrdup(path);
	return 0;
}

const char *rt_outfile_error(const struct rt_outfile *o, int e)
{
	return o->why[0] ? o->why : strerror(e);
}

int rt_outfile_publish(struct rt_outfile *o)
{
	if (!o->tmp)
		return 0;
	if (fflush(o->f) != 0 || rename(o->tmp, o->path) != 0)
		return -1;
	free(o->tmp);
	o->tmp = NULL;
	return 0;
}

static void release(struct rt_outfile *o)
{
	o->why[0] = '\0';
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	o->f = NULL;
	o->own = false;
}

int rt_outfile_commit(struct rt_outfile *o)
{
	int rc = 0, e = 0;

	if (!o->f)
		return 0;
	if (o->own ? fclose(o->f) != 0 : fflush(o->f) != 0) {
		rc = -1;
		e = errno;
	}
	o->own = false;
	o->f = NULL;
	if (o->tmp) {
		if (rc == 0 && rename(o->tmp, o->path) != 0) {
			rc = -1;
			e = errno;
		}
		if (rc != 0)
			unlink(o->tmp);
	}
	release(o);
	errno = e;
	return rc;
}

void rt_outfile_discard(struct rt_outfile *o)
{
	if (o->own && o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	else if (o->created && o->path)
		unlink(o->path);
	release(o);
}
