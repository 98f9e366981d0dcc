#include "common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"

int rt_read_file(const char *path, char **buf, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 0;
	char *b = NULL;
	ssize_t n;

	if (fd < 0)
		return -1;
	for (;;) {
		b = xgrow(b, &cap, len + 65537, 1);
		n = read(fd, b + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n < 0) {
		int e = errno;

		close(fd);
		free(b);
		errno = e;
		return -1;
	}
	close(fd);
	b[len] = '\0';
	*buf = b;
	if (lenp)
		*lenp = len;
	return 0;
}

char *rt_slurp(const char *path)
{
	char *buf;

	return rt_read_file(path, &buf, NULL) == 0 ? buf : NULL;
}

bool rt_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool rt_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int rt_copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, e = 0;
	char buf[1 << 16];
	struct stat st;
	ssize_t n;

	if (in < 0 || fstat(in, &st) != 0 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777)) < 0)
		e = errno;
	while (!e && (n = read(in, buf, sizeof(buf))) != 0)
		if (n < 0 || write(out, buf, (size_t)n) != n)
			e = errno ? errno : EIO;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && !e)
		e = errno;
	errno = e;
	return e ? -1 : 0;
}

int rt_append_file(FILE *to, const char *from)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), e = 0;
	char buf[1 << 16];
	ssize_t n;

	if (in < 0)
		return -1;
	/* the kernel copies (no pass through user space) when it can: what is buffered goes first */
	if (fflush(to) == 0) {
		while ((n = copy_file_range(in, NULL, fileno(to), NULL, 1 << 30, 0)) > 0)
			;
		if (n < 0 && errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
			e = errno;
			close(in);
			errno = e;
			return -1;
		}
		/* n == 0: all copied; else (no copy_file_range here) the rest goes through the buffer below */
	}
	while ((n = read(in, buf, sizeof(buf))) != 0)
		if (n < 0 || fwrite(buf, 1, (size_t)n, to) != (size_t)n) {
			e = errno ? errno : EIO;
			break;
		}
	close(in);
	errno = e;
	return e ? -1 : 0;
}

int rt_mkdir_p(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		{
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				free(p);
				return -1;
			}
			*s = c;
		}
		if (!*s)
			break;
	}
	free(p);
	return 0;
}

const char *rt_path_base(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;

	return b ? b + 1 : path;
}

bool rt_path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
