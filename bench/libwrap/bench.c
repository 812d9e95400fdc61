/*
 * bench.c: times Debian libwrap's hosts_ctl() against a pair of tables.
 *
 *   bench [-t SECONDS] ALLOW DENY DAEMON NAME=ADDR:VERDICT:LINE...
 *
 * For each NAME=ADDR:VERDICT:LINE it first makes one verbose call to
 * find which line of which table libwrap matched (LINE 0 means "no rule
 * may match"), checks that against the expectation, then calls
 *
 *   hosts_ctl(DAEMON, STRING_UNKNOWN, ADDR, STRING_UNKNOWN)
 *
 * N times in a loop, N chosen (as Go's testing package does) so that the
 * loop takes at least SECONDS (default 0.5) and N >= 3. Every call's
 * result is checked against VERDICT ("granted" or "denied"). It prints
 *
 *   client=NAME addr=ADDR verdict=V line=L calls=N ns=MEAN cpu_ns=CPU
 *
 * MEAN is wall-clock (CLOCK_MONOTONIC) time per call; CPU is the
 * process's user+system CPU time per call (getrusage), which a busy
 * machine inflates less.
 * and exits 1 if any expectation fails, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <tcpd.h>

extern char *hosts_allow_table, *hosts_deny_table;
extern int hosts_access_verbose;
int allow_severity = LOG_INFO;
int deny_severity = LOG_WARNING;

static double now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* cpu_ns is the CPU time (user + system) the process has used. */
static double cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		perror("getrusage");
		exit(1);
	}
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9
	       + ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

static const char *verdict(int r)
{
	return r ? "granted" : "denied";
}

/*
 * matched_line makes one call with hosts_access_verbose set, which has
 * libwrap syslog "matched:  TABLE line N" with LOG_DEBUG; openlog's
 * LOG_PERROR copies that to stderr, which is pointed at a temporary file
 * for the call. It returns the matched line (0: no rule matched) and sets
 * *table to the table's path, or returns -1 on a setup error.
 */
static int matched_line(char *daemon, char *addr, int *result, char *table, size_t tablen)
{
	FILE *tmp = tmpfile();
	int saved, line = 0;
	char buf[4096];

	if (tmp == NULL) {
		perror("tmpfile");
		return -1;
	}
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	if (saved < 0 || dup2(fileno(tmp), STDERR_FILENO) < 0) {
		perror("dup");
		return -1;
	}
	/* LOG_PERROR is what we read; setlogmask keeps the debug record out of
	 * the system log if a syslog daemon is listening. */
	openlog("libwrap-bench", LOG_PERROR, LOG_AUTH);
	setlogmask(LOG_UPTO(LOG_DEBUG));
	hosts_access_verbose = 2;
	*result = hosts_ctl(daemon, STRING_UNKNOWN, addr, STRING_UNKNOWN);
	hosts_access_verbose = 0;
	closelog();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	table[0] = '\0';
	rewind(tmp);
	while (fgets(buf, sizeof buf, tmp) != NULL) {
		char *m = strstr(buf, "matched:  ");
		char *l;

		if (m == NULL || (l = strstr(m, " line ")) == NULL) {
			fputs(buf, stderr); /* a warning: pass it on */
			continue;
		}
		*l = '\0';
		snprintf(table, tablen, "%s", m + strlen("matched:  "));
		line = atoi(l + strlen(" line "));
	}
	fclose(tmp);
	return line;
}

static int run(char *daemon, char *spec, double min_ns)
{
	char *name = spec, *addr, *want_s, *line_s, table[1024];
	int want, want_line, got, line, r = 0;
	long n, i;
	double t0, c0, el, cpu;

	if ((addr = strchr(name, '=')) == NULL || (want_s = strchr(addr + 1, ':')) == NULL
	    || (line_s = strchr(want_s + 1, ':')) == NULL) {
		fprintf(stderr, "bad client spec %s: want NAME=ADDR:VERDICT:LINE\n", spec);
		exit(2);
	}
	*addr++ = '\0';
	*want_s++ = '\0';
	*line_s++ = '\0';
	if (strcmp(want_s, "granted") == 0)
		want = 1;
	else if (strcmp(want_s, "denied") == 0)
		want = 0;
	else {
		fprintf(stderr, "bad verdict %s\n", want_s);
		exit(2);
	}
	want_line = atoi(line_s);

	line = matched_line(daemon, addr, &got, table, sizeof table);
	if (line < 0)
		exit(1);
	if (got != want) {
		fprintf(stderr, "%s (%s): libwrap says %s, want %s\n", name, addr, verdict(got), verdict(want));
		return 1;
	}
	/* The tables put every rule in the deny file, so a match is there. */
	if (line != want_line || (line > 0 && strcmp(table, hosts_deny_table) != 0)) {
		fprintf(stderr, "%s (%s): libwrap matched %s line %d, want %s line %d\n",
			name, addr, table[0] ? table : "(no table)", line, hosts_deny_table, want_line);
		return 1;
	}

	for (n = 1;;) {
		c0 = cpu_ns();
		t0 = now_ns();
		for (i = 0; i < n; i++)
			if (hosts_ctl(daemon, STRING_UNKNOWN, addr, STRING_UNKNOWN) != want)
				r = 1;
		el = now_ns() - t0;
		cpu = cpu_ns() - c0;
		if (r) {
			fprintf(stderr, "%s (%s): verdict changed during the loop\n", name, addr);
			return 1;
		}
		if (el >= min_ns && n >= 3)
			break;
		/* Aim 20% past the target, grow at least 2x and at most 100x. */
		{
			double next = el > 0 ? (double)n * min_ns * 1.2 / el : (double)n * 100;
			if (next < (double)n * 2)
				next = (double)n * 2;
			if (next > (double)n * 100)
				next = (double)n * 100;
			n = (long)next;
		}
	}
	printf("client=%s addr=%s verdict=%s line=%d calls=%ld ns=%.1f cpu_ns=%.1f\n",
	       name, addr, verdict(want), line, n, el / (double)n, cpu / (double)n);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	double min_s = 0.5;
	int i, fail = 0;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		char *end;

		errno = 0;
		min_s = strtod(argv[2], &end);
		if (errno != 0 || *end != '\0' || min_s < 0) {
			fprintf(stderr, "bad -t %s\n", argv[2]);
			return 2;
		}
		argv += 2;
		argc -= 2;
	}
	if (argc < 5) {
		fprintf(stderr, "usage: %s [-t SECONDS] ALLOW DENY DAEMON NAME=ADDR:VERDICT:LINE...\n", argv[0]);
		return 2;
	}
	hosts_allow_table = argv[1];
	hosts_deny_table = argv[2];
	for (i = 4; i < argc; i++)
		fail |= run(argv[3], argv[i], min_s * 1e9);
	return fail;
}
