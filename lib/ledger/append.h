/* append: events appended to a ledger under its lock, each made an entry chained to the last, all or nothing.
 * SPDX-License-Identifier: ISC */
#ifndef CP_APPEND_H
#define CP_APPEND_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "text/jtree.h"

/*
 * Check an event before it is appended: a JSON object with the strings
 * event_type (not empty), submission_id, decision and reason, optionally
 * prompts_used (an array of strings) and metadata (an object), and nothing
 * else: id, timestamp, previous_hash and entry_hash are the ledger's to
 * fill.  Returns 0, or -1 with the reason in e.
 */
int cp_append_check(const struct cp_jnode *event, struct cp_err *e);

/* How to append. */
struct cp_append_opts {
	uint64_t rotate_bytes;	/* > 0: start a new segment when a line would take the last past this */
	const char *id;		/* this id instead of a random one: for one event whose
				 * entry the caller must find again (plane/journal), and tests */
	const char *timestamp;	/* tests only: this timestamp instead of the clock's */
};

/* Source of events for a batch: 1 with *event set (valid until the next call), 0 at the end, -1 error (e). */
typedef int (*cp_append_next_fn)(void *arg, const struct cp_jnode **event, struct cp_err *e);

/* Told each line written (without its newline), in order, once all of them are durable. */
typedef void (*cp_append_line_fn)(void *arg, const char *line, size_t len);

/*
 * Append every event next() gives to the ledger at path (a ledger
 * directory or a segment file; created, with its directory, when missing),
 * under the exclusive lock and with one fdatasync: each gets id,
 * timestamp, previous_hash and entry_hash, and is written as Python's
 * json.dumps(entry, ensure_ascii=False) with the fields in the order of
 * design.md section 5.  All or nothing: on any error (a bad event, a torn
 * tail, a write error) the segments are cut back to where they were and
 * new ones removed.  o may be NULL.  *count (may be NULL) gets the number
 * appended.  Returns 0, or -1 with the message in e.
 */
int cp_append_batch(const char *path, const struct cp_append_opts *o,
    cp_append_next_fn next, void *arg, cp_append_line_fn done, void *done_arg,
    uint64_t *count, struct cp_err *e);

/*
 * Append the one event whose JSON text is text[0..len) (checked as
 * cp_append_check says) to the ledger at path, as cp_append_batch does.
 * On success *line (when line is not NULL) gets the written line without
 * its newline (caller frees).  Returns 0, or -1 with the message in e.
 */
int cp_append(const char *path, const char *text, size_t len, char **line, struct cp_err *e);

/* cp_append with options o (may be NULL): a chosen id (see cp_append_opts), rotation. */
int cp_append_with(const char *path, const struct cp_append_opts *o, const char *text,
    size_t len, char **line, struct cp_err *e);

#endif
