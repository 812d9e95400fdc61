/*
 * LD_PRELOAD shim for the differential test (package difftest).
 *
 * Debian's tcpdmatch sends its diagnostics through libwrap to syslog(3)
 * (via the fortified entry points __syslog_chk and __vsyslog_chk). This
 * shim replaces those functions so that each message is formatted the way
 * glibc's syslog(3) formats it (including %m, which stands for
 * strerror(errno) with errno as it was on entry) and written to standard
 * error as one line "TEXT\n", without priority, timestamp or ident.
 * openlog and closelog become no-ops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void shim_emit(const char *fmt, va_list ap, int saved_errno)
{
	char *msg = NULL;
	int n;
	size_t len, off;

	/* glibc's printf implements %m with the current errno. */
	errno = saved_errno;
	n = vasprintf(&msg, fmt, ap);
	if (n < 0 || msg == NULL) {
		errno = saved_errno;
		return;
	}
	len = (size_t)n;
	/* glibc's syslog sends the text as given; a trailing newline is
	 * not part of the record as the namespace oracle reports it. */
	while (len > 0 && msg[len - 1] == '\n')
		len--;
	msg[len++] = '\n';
	for (off = 0; off < len;) {
		ssize_t w = write(2, msg + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	free(msg);
	errno = saved_errno;
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	int saved = errno;
	(void)pri;
	(void)flag;
	shim_emit(fmt, ap, saved);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	(void)pri;
	(void)flag;
	va_start(ap, fmt);
	shim_emit(fmt, ap, saved);
	va_end(ap);
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	int saved = errno;
	(void)pri;
	shim_emit(fmt, ap, saved);
}

void syslog(int pri, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	(void)pri;
	va_start(ap, fmt);
	shim_emit(fmt, ap, saved);
	va_end(ap);
}

void openlog(const char *ident, int option, int facility)
{
	(void)ident;
	(void)option;
	(void)facility;
}

void closelog(void)
{
}
