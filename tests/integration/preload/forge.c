/*
 * forge: runs a program with a forged RT0_PRELOAD (for tests/integration/preload_hardening.sh): the
 * "lost counter" it names is FILE, opened read-write and inherited, and the "socket" one whose sends
 * fail, so a library that believed it would count a lost record into FILE's first bytes.
 *
 *   forge stream|seqpacket FILE PROGRAM [ARGS...]
 *     stream:    an unconnected AF_UNIX SOCK_STREAM socket (not what the launcher makes)
 *     seqpacket: an AF_UNIX SOCK_SEQPACKET socket whose peer is closed (the launcher's kind of socket:
 *                only the counter's checks stand between FILE and the library)
 * LD_PRELOAD is left as the caller set it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat ss, fs;
	char v[192];
	int s, f;

	if (argc < 4) {
		fprintf(stderr, "usage: forge stream|seqpacket FILE PROGRAM [ARGS...]\n");
		return 2;
	}
	if (strcmp(argv[1], "stream") == 0) {
		s = socket(AF_UNIX, SOCK_STREAM, 0);
	} else {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
			perror("socketpair");
			return 2;
		}
		close(sv[1]);
		s = sv[0];
	}
	f = open(argv[2], O_RDWR);
	if (s < 0 || f < 0 || fstat(s, &ss) != 0 || fstat(f, &fs) != 0) {
		perror("forge");
		return 2;
	}
	snprintf(v, sizeof(v), "1:%d:%llu:%llu:%d:%llu:%llu:0", s, (unsigned long long)ss.st_dev,
		 (unsigned long long)ss.st_ino, f, (unsigned long long)fs.st_dev, (unsigned long long)fs.st_ino);
	setenv("RT0_PRELOAD", v, 1);
	execv(argv[3], argv + 3);
	perror("execv");
	return 127;
}
