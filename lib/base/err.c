/* err: one message and errno per failure, for the caller to print or act on.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

void
cp_err_clear(struct cp_err *e)
{
	if (e != NULL) {
		e->errnum = 0;
		e->msg[0] = '\0';
	}
}

/* Mark a message that did not fit, so that a cut path is never taken for a whole one. */
static void
mark_cut(char *msg, size_t size, int n)
{
	if (n >= 0 && (size_t)n >= size && size > 4)
		memcpy(msg + size - 4, "...", 4);
}

int
cp_err_vset(struct cp_err *e, int errnum, const char *fmt, va_list ap)
{
	int saved = errno, n;
	char why[256] = "";
	size_t room = sizeof(e->msg), wlen = 0;

	if (e == NULL)
		return -1;
	e->errnum = errnum;
	if (errnum != 0) {
		snprintf(why, sizeof(why), ": %s", strerror(errnum));
		wlen = strlen(why);
		room -= wlen;		/* the reason is kept whole: the message is cut instead */
	}
	n = vsnprintf(e->msg, room, fmt, ap);
	if (n < 0)
		e->msg[0] = '\0';
	mark_cut(e->msg, room, n);
	memcpy(e->msg + strlen(e->msg), why, wlen + 1);
	errno = saved;
	return -1;
}

int
cp_err_set(struct cp_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cp_err_vset(e, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int
cp_err_prefix(struct cp_err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;
	int saved = errno, n;
	size_t len, olen, room;

	if (e == NULL)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	olen = strlen(old);
	/* The message already there says what is wrong: the prefix is cut first. */
	room = olen + 2 + 16 < sizeof(e->msg) ? sizeof(e->msg) - olen - 2 : 16;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		e->msg[0] = '\0';
	mark_cut(e->msg, room, n);
	len = strlen(e->msg);
	n = snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", old);
	mark_cut(e->msg + len, sizeof(e->msg) - len, n);
	errno = saved;
	return -1;
}
