/* tests/fuzz: the input as a file the readers open by path (a memfd named /proc/self/fd/N): every
 * reader under test takes a path, as the commands do. */
#ifndef RT0_FUZZ_COMMON_H
#define RT0_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Writes `data` into a fresh memfd; its path goes to `path`. Returns the fd (close it when done). */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t pathsz)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			perror("write");
			abort();
		}
		off += (size_t)n;
	}
	snprintf(path, pathsz, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
