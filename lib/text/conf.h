/* conf: env-style settings files (secrets.env, registries/plane.conf).
 * SPDX-License-Identifier: ISC */
#ifndef CP_CONF_H
#define CP_CONF_H

#include <stddef.h>

#include "base/err.h"

#define CP_CONF_LINE_MAX 4096	/* bytes of one line, without its newline */
#define CP_CONF_KEYS_MAX 1000	/* distinct keys in one file */

/* One setting: the last value a key was given, and the line that gave it. */
struct cp_conf_item {
	char *key;
	char *value;	/* NUL-terminated; never holds a NUL */
	size_t vlen;
	unsigned long line;
};

/* A loaded file.  Caller-allocated; zero it before cp_conf_load. */
struct cp_conf {
	struct cp_conf_item *item;
	size_t n;
};

/*
 * Read the env-style file at path into c.  The syntax, the one the Python
 * tools read: lines "KEY=value" or "export KEY=value"; blank lines and lines
 * whose first non-blank character is '#' are skipped; blanks around the key,
 * the '=' and the value are ignored; a value wholly inside '...' or "..." has
 * those quotes removed (nothing is escaped inside them); an unquoted value is
 * taken as it is ('#' inside it is part of the value); CRLF ends are
 * accepted.  KEY is [A-Za-z_][A-Za-z0-9_]*.  When a key is set twice the
 * last one wins.
 * Every buffer that held the file's bytes is wiped before it is freed (the
 * file may hold a secret), and stdio gets no buffer of its own.
 * Returns 0; -1 when the file cannot be opened or read, with e "PATH:
 * strerror" and e->errnum (and errno) the error, so that the caller can tell
 * ENOENT apart; -2 when the file is malformed, with e "PATH:N: what is
 * wrong" (a line too long or holding a NUL byte, no '=', a bad key, an
 * unterminated quote, too many keys) and e->errnum 0.
 * On failure c is left empty.
 */
int cp_conf_load(struct cp_conf *c, const char *path, struct cp_err *e);

/*
 * As cp_conf_load, from the open descriptor fd (read from its offset to its
 * end through a duplicate; fd stays open and the caller's), path naming it
 * in messages: for a file that must be opened and checked first.
 */
int cp_conf_load_fd(struct cp_conf *c, int fd, const char *path, struct cp_err *e);

/* The value of key, or NULL if the file does not set it; *line (if not NULL) receives its line. */
const char *cp_conf_get(const struct cp_conf *c, const char *key, unsigned long *line);

/* Wipe every value, free everything, leave c empty (safe on an empty c). */
void cp_conf_free(struct cp_conf *c);

#endif
