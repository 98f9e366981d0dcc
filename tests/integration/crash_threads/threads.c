/* A multi-threaded program for the "no crash" check under every engine: main starts 4 threads, all
 * meet at a barrier, then thread #2 does what argv[1] says while the others sleep:
 *   segv  dereference NULL (SIGSEGV in that thread kills the process)
 *   kill  SIGKILL to its own process (killed, but not a crash)
 *   ok    nothing; every thread returns and main exits 0 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4

static pthread_barrier_t ready;
static const char *what = "ok";

static void *worker(void *arg)
{
	long i = (long)arg;

	pthread_barrier_wait(&ready);
	if (i == 2 && strcmp(what, "segv") == 0)
		*(volatile int *)NULL = 1;
	if (i == 2 && strcmp(what, "kill") == 0)
		kill(getpid(), SIGKILL);
	if (strcmp(what, "ok") != 0)
		sleep(5); /* the others wait for the process to die */
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];

	if (argc > 1)
		what = argv[1];
	pthread_barrier_init(&ready, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	puts("all threads done");
	return 0;
}
