/* loadclient: the client of bench/superserver-compare and
   bench/tcpd-compare. It opens N connections to a service, C at a time
   (one thread each, blocking sockets), reads each until the service
   closes it, and prints

     conns=N errors=E seconds=S rate=R p50_ms=X p99_ms=Y

   with the latency of each connection measured from socket(2) to the end
   of stream. It exits 1 when a connection failed or (with -want) brought
   another reply, and names the first such error on standard error.

     loadclient -addr HOST:PORT [-n N] [-c C] [-want TEXT]

   HOST is numeric (an IPv6 address in brackets). Connecting may take 10
   seconds, each read 30.

   It is written in C, without an event loop, so that it takes as little
   as it can of the CPUs it shares with the servers it measures: at 7,000
   connections a second on 2 cores, bench/load's Go client (which this
   replaces) used about a quarter of the machine, and the faster a server
   was the more of the machine the client took from it. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { maxThreads = 1024, replyMax = 1 << 16 };

static struct addrinfo *target;
static long total, next;
static const char *want;
static size_t wantLen;
static double *latency;

static pthread_mutex_t errMu = PTHREAD_MUTEX_INITIALIZER;
static long errors;
static char firstErr[256];

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void failed(long i, const char *what, int err)
{
	pthread_mutex_lock(&errMu);
	if (errors++ == 0)
		snprintf(firstErr, sizeof firstErr, "connection %ld: %s%s%s", i, what, err ? ": " : "",
			 err ? strerror(err) : "");
	pthread_mutex_unlock(&errMu);
}

/* one makes connection i; it returns 0, or -1 after recording why not. */
static int one(long i, char *buf)
{
	int s = socket(target->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		failed(i, "socket", errno);
		return -1;
	}
	struct timeval connTimeout = {10, 0}, readTimeout = {30, 0};
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &connTimeout, sizeof connTimeout);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &readTimeout, sizeof readTimeout);
	if (connect(s, target->ai_addr, target->ai_addrlen) < 0) {
		int err = errno;
		if (err == EINTR) { /* the attempt goes on: wait for its end */
			struct pollfd p = {.fd = s, .events = POLLOUT};
			socklen_t len = sizeof err;
			err = ETIMEDOUT;
			if (poll(&p, 1, 10000) == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
		}
		if (err != 0) {
			failed(i, "connect", err);
			close(s);
			return -1;
		}
	}
	size_t got = 0;
	int tooLong = 0;
	for (;;) {
		ssize_t n = read(s, buf + got, replyMax - got);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			failed(i, "read", errno);
			close(s);
			return -1;
		}
		got += n;
		if (got == replyMax) { /* keep reading; the reply is only counted as too long */
			got = 0;
			tooLong = 1;
		}
	}
	close(s);
	if (want && (tooLong || got != wantLen || memcmp(buf, want, got) != 0)) {
		char what[128] = "unexpected reply \"";
		size_t w = strlen(what);
		for (size_t k = 0; k < got && w + 8 < sizeof what; k++) {
			unsigned char c = buf[k];
			if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
				what[w++] = c;
			else
				w += snprintf(what + w, sizeof what - w, "\\x%02x", c);
		}
		snprintf(what + w, sizeof what - w, "%s\"", tooLong || w + 8 >= sizeof what ? "..." : "");
		failed(i, what, 0);
		return -1;
	}
	return 0;
}

static void *worker(void *unused)
{
	(void)unused;
	char *buf = malloc(replyMax);
	if (buf == NULL) {
		failed(-1, "malloc", errno);
		return NULL;
	}
	for (;;) {
		long i = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
		if (i >= total)
			break;
		double t0 = now();
		one(i, buf);
		latency[i] = now() - t0;
	}
	free(buf);
	return NULL;
}

static int byValue(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: loadclient -addr HOST:PORT [-n N] [-c C] [-want TEXT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	long conc = 8;
	total = 2000;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "-addr") == 0)
			addr = argv[i + 1];
		else if (strcmp(argv[i], "-n") == 0)
			total = atol(argv[i + 1]);
		else if (strcmp(argv[i], "-c") == 0)
			conc = atol(argv[i + 1]);
		else if (strcmp(argv[i], "-want") == 0)
			want = argv[i + 1];
		else
			usage();
	}
	if (addr == NULL || total < 1 || conc < 1 || conc > maxThreads)
		usage();
	if (want != NULL && *want == '\0')
		want = NULL; /* as bench/load: an empty -want takes any reply */
	if (want != NULL)
		wantLen = strlen(want);

	/* HOST:PORT or [HOST]:PORT */
	char host[256];
	const char *colon = strrchr(addr, ':');
	if (colon == NULL || colon - addr >= (long)sizeof host)
		usage();
	const char *h = addr;
	size_t hlen = colon - addr;
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	int gai = getaddrinfo(host, colon + 1, &hints, &target);
	if (gai != 0) {
		fprintf(stderr, "loadclient: %s: %s\n", addr, gai_strerror(gai));
		return 2;
	}

	latency = calloc(total, sizeof *latency);
	if (latency == NULL) {
		perror("loadclient");
		return 2;
	}
	pthread_t threads[maxThreads];
	double start = now();
	for (long i = 0; i < conc; i++) {
		int err = pthread_create(&threads[i], NULL, worker, NULL);
		if (err != 0) {
			fprintf(stderr, "loadclient: pthread_create: %s\n", strerror(err));
			return 2;
		}
	}
	for (long i = 0; i < conc; i++)
		pthread_join(threads[i], NULL);
	double elapsed = now() - start;

	qsort(latency, total, sizeof *latency, byValue);
	printf("conns=%ld errors=%ld seconds=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f\n", total, errors, elapsed,
	       total / elapsed, latency[(long)(0.50 * (total - 1))] * 1e3, latency[(long)(0.99 * (total - 1))] * 1e3);
	if (errors > 0) {
		fprintf(stderr, "loadclient: first error: %s\n", firstErr);
		return 1;
	}
	return 0;
}
