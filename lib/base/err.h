/* err: the library's one error carrier, and the exit statuses its results map to.
 * SPDX-License-Identifier: ISC */
#ifndef CP_ERR_H
#define CP_ERR_H

#include <limits.h>
#include <stdarg.h>

/* The exit statuses of every tool and make target (design.md section 3). */
enum {
	CP_EXIT_YES = 0,	/* success; the answer is yes */
	CP_EXIT_NO = 1,		/* a negative answer the caller asked for */
	CP_EXIT_ERR = 2		/* usage, I/O, malformed input, misconfiguration */
};

/*
 * What went wrong, kept by the caller (on the stack, or on a handle as
 * libarchive keeps its message) and filled by a library function that fails.
 * msg is the whole message a program prints as "cp-tool: <msg>": it already
 * ends in ": <strerror(errnum)>" when errnum is not 0.  errnum is errno at
 * the failure (0 for malformed input), for a caller that decides by it
 * (ENOENT, say).  A function that takes a struct cp_err * may be passed NULL
 * when the caller does not want the message.
 */
struct cp_err {
	int errnum;
	char msg[PATH_MAX + 512];	/* a whole path and what is wrong with it */
};

/* Zero errnum, empty msg. */
void cp_err_clear(struct cp_err *e);

/*
 * Set e to the formatted message, followed by ": strerror(errnum)" when
 * errnum is not 0 (as err(3) does, even after an empty message).  A message
 * too long for msg is cut, ending in "...", before the strerror part: the
 * reason always survives.
 * Returns -1, so that a failing function can `return cp_err_set(...)`.
 * errno is left as it was.
 */
int cp_err_set(struct cp_err *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same, as vprintf is to printf. */
int cp_err_vset(struct cp_err *e, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * Put the formatted text and ": " before e's message ("PATH: " before
 * "line 3: bad quote").  Returns -1.  errno is left as it was.
 */
int cp_err_prefix(struct cp_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
