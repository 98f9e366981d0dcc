/*
 * mdwe: runs a program with memory-deny-write-execute set (prctl PR_SET_MDWE, Linux >= 6.3; inherited
 * across exec), for tests/integration/preload_go.sh: librt0preload.so cannot make the ELF entry's page
 * writable and executable, so it leaves the entry alone. Exit 77 when the kernel has no PR_SET_MDWE.
 *
 *   mdwe PROGRAM [ARGS...]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mdwe PROGRAM [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0) {
		fprintf(stderr, "mdwe: PR_SET_MDWE: %s\n", strerror(errno));
		return 77;
	}
	execv(argv[1], argv + 1);
	fprintf(stderr, "mdwe: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
