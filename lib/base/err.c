/* err: one message and errno per failure, for the caller to print or act on. */
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
	size_t len;

	if (e == NULL)
		return -1;
	e->errnum = errnum;
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (n < 0)
		e->msg[0] = '\0';
	mark_cut(e->msg, sizeof(e->msg), n);
	if (errnum != 0) {
		len = strlen(e->msg);
		n = snprintf(e->msg + len, sizeof(e->msg) - len, "%s%s", len ? ": " : "",
		    strerror(errnum));
		mark_cut(e->msg + len, sizeof(e->msg) - len, n);
	}
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
	size_t len;

	if (e == NULL)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		e->msg[0] = '\0';
	mark_cut(e->msg, sizeof(e->msg), n);
	len = strlen(e->msg);
	n = snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", old);
	mark_cut(e->msg + len, sizeof(e->msg) - len, n);
	errno = saved;
	return -1;
}
