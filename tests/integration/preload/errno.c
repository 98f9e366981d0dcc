/* preload.sh: errno across the calls librt0preload.so interposes — a failing call leaves the error libc
 * set, a successful one leaves errno as it was — and a thread (pthread_create through the shim's pool)
 * sees its own errno. Prints one line; exits 1 naming the first call that went wrong. */
#define _GNU_SOURCE /* mremap */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>

#define CHECK(cond, what)                                                                                   \
	do {                                                                                                \
		if (!(cond)) {                                                                              \
			printf("errno: %s (errno %d)\n", what, errno);                                      \
			return 1;                                                                           \
		}                                                                                           \
	} while (0)

static void *thread(void *arg)
{
	errno = 0;
	*(int *)arg = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL;
	return arg;
}

int main(void)
{
	void *p;
	int in_thread = 0;
	pthread_t th;

	errno = 0;
	CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
	      "mmap of length 0");
	errno = 0;
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 12345, 0) == MAP_FAILED && errno == EBADF, "mmap of a bad fd");
	errno = 4242;
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED && errno == 4242, "a successful mmap changed errno");
	errno = 0;
	CHECK(mprotect((char *)p + 1, 4096, PROT_READ) == -1 && errno == EINVAL, "mprotect of an unaligned address");
	errno = 0;
	CHECK(mremap((char *)p + 1, 4096, 8192, 0) == MAP_FAILED && errno == EINVAL, "mremap of an unaligned address");
	errno = 0;
	CHECK(munmap((char *)p + 1, 4096) == -1 && errno == EINVAL, "munmap of an unaligned address");
	errno = 4343;
	CHECK(munmap(p, 8192) == 0 && errno == 4343, "a successful munmap changed errno");
	errno = 4444;
	CHECK(pthread_create(&th, NULL, thread, &in_thread) == 0 && errno == 4444, "pthread_create changed errno");
	CHECK(pthread_join(th, NULL) == 0 && in_thread, "errno in a thread");
	printf("errno: all as libc sets it\n");
	return 0;
}
