/* event: a ledger event built as JSON text through the one writer (base/json.h), and appended.
 * SPDX-License-Identifier: ISC */
#ifndef CP_EVENT_H
#define CP_EVENT_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/json.h"

/*
 * An event being built, in the order of design.md section 5:
 *
 *	cp_event_begin(&ev, type, submission_id, decision, reason, &e);
 *	cp_event_prompt(&ev, "P-1");		(any number of times)
 *	w = cp_event_metadata(&ev);		(once, after the prompts)
 *	cp_json_kstr(w, "user", user); ...	(its members, through the writer)
 *	cp_event_append(&ev, path, NULL, &e);
 *	cp_event_free(&ev);
 *
 * The text is written to memory (open_memstream) by the writer, so it is
 * always JSON; prompts_used and metadata are empty when none are given.
 * No jansson tree is built to write one event.
 */
struct cp_event {
	FILE *fp;		/* the text being written; NULL once ended */
	char *text;		/* the text, once ended (cp_event_free frees it) */
	size_t len;
	struct cp_json w;
	int stage;		/* 0: in prompts_used; 1: in metadata; 2: ended */
};

/*
 * Begin ev with the event's four strings.  A NULL one is left out, so that
 * appending the event fails with "<field> is missing" (cp-ledger's field
 * options).  Returns 0, or -1 (e) when memory for the text cannot be had;
 * cp_event_free is safe after either.
 */
int cp_event_begin(struct cp_event *ev, const char *event_type, const char *submission_id,
    const char *decision, const char *reason, struct cp_err *e);

/* Add id to prompts_used (before cp_event_metadata). */
void cp_event_prompt(struct cp_event *ev, const char *id);

/*
 * Open the metadata object and return the writer inside it: the caller
 * adds its members with cp_json_key/cp_json_k*() and may leave it open.
 */
struct cp_json *cp_event_metadata(struct cp_event *ev);

/* Make metadata the JSON text json[0..len), written as it is (the caller vouches that it is JSON). */
void cp_event_metadata_raw(struct cp_event *ev, const char *json, size_t len);

/*
 * Close whatever is open: ev->text and ev->len then hold the event's text.
 * Returns 0, or -1 (e) when the text could not be written.
 */
int cp_event_end(struct cp_event *ev, struct cp_err *e);

/*
 * End ev (if not yet) and append it to the ledger at path as cp_append
 * does (append.h: checked, chained, locked, fdatasynced).  On success
 * *line (when line is not NULL) gets the written line without its newline
 * (caller frees).  Returns 0, or -1 with the message in e.
 */
int cp_event_append(struct cp_event *ev, const char *path, char **line, struct cp_err *e);

/* Free what ev holds. */
void cp_event_free(struct cp_event *ev);

#endif
