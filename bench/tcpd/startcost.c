/* startcost: the CPU one start of a wrapper costs. It runs PROGRAM N
   times as inetd would, each time with a fresh loopback TCP connection as
   standard input and output, and waits for it; it prints the wall time
   and the children's CPU time (user + system) per run. Used by
   bench/tcpd-startcost.

     startcost N PROGRAM ARGV0 [ARG...]   (PROGRAM runs with argv ARGV0 ARG...) */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static double ms(struct timeval t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; }

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: startcost N PROGRAM ARGV0 [ARG...]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (void *)&a, sizeof a) < 0 || listen(ls, 128) < 0 ||
	    getsockname(ls, (void *)&a, &alen) < 0) {
		perror("startcost: listen");
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (void *)&a, sizeof a) < 0) {
			perror("startcost: connect");
			return 1;
		}
		int s = accept(ls, 0, 0);
		pid_t p = fork();
		if (p == 0) {
			dup2(s, 0);
			dup2(s, 1);
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 2);
			close(s);
			close(c);
			close(ls);
			execv(argv[2], argv + 3);
			_exit(127);
		}
		close(s);
		int st;
		waitpid(p, &st, 0);
		char buf[64];
		while (read(c, buf, sizeof buf) > 0)
			;
		close(c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	double wall = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("wall %.3f ms/run  cpu %.3f ms/run\n", wall / n, (ms(ru.ru_utime) + ms(ru.ru_stime)) / n);
	return 0;
}
