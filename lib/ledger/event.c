/* event: one ledger event written with the JSON writer into memory, then appended.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/append.h"
#include "ledger/event.h"

static void
field(struct cp_event *ev, const char *key, const char *s)
{
	if (s != NULL)
		cp_json_kstr(&ev->w, key, s);
}

int
cp_event_begin(struct cp_event *ev, const char *event_type, const char *submission_id,
    const char *decision, const char *reason, struct cp_err *e)
{
	memset(ev, 0, sizeof(*ev));
	if ((ev->fp = open_memstream(&ev->text, &ev->len)) == NULL)
		return cp_err_set(e, errno, "an event in memory");
	cp_json_init(&ev->w, ev->fp);
	cp_json_obj(&ev->w);
	field(ev, "event_type", event_type);
	field(ev, "submission_id", submission_id);
	field(ev, "decision", decision);
	field(ev, "reason", reason);
	cp_json_key(&ev->w, "prompts_used");
	cp_json_arr(&ev->w);
	return 0;
}

void
cp_event_prompt(struct cp_event *ev, const char *id)
{
	if (ev->stage == 0)
		cp_json_str(&ev->w, id);
}

/* Close prompts_used and name metadata; 0 when metadata was begun already, or the event ended. */
static int
metadata_key(struct cp_event *ev)
{
	if (ev->stage != 0)
		return 0;
	cp_json_end(&ev->w);
	cp_json_key(&ev->w, "metadata");
	ev->stage = 1;
	return 1;
}

struct cp_json *
cp_event_metadata(struct cp_event *ev)
{
	if (metadata_key(ev))
		cp_json_obj(&ev->w);
	return &ev->w;
}

void
cp_event_metadata_raw(struct cp_event *ev, const char *json, size_t len)
{
	if (metadata_key(ev))
		cp_json_raw(&ev->w, json, len);
}

int
cp_event_end(struct cp_event *ev, struct cp_err *e)
{
	int bad;

	if (ev->stage == 2)
		return 0;
	if (ev->fp == NULL)
		return cp_err_set(e, 0, "an event in memory: not begun");
	while (ev->w.depth > 0)
		cp_json_end(&ev->w);
	bad = ferror(ev->fp);
	if (fclose(ev->fp) != 0 || bad) {
		ev->fp = NULL;
		return cp_err_set(e, bad ? ENOMEM : errno, "an event in memory");
	}
	ev->fp = NULL;
	ev->stage = 2;
	return 0;
}

int
cp_event_append(struct cp_event *ev, const char *path, char **line, struct cp_err *e)
{
	if (cp_event_end(ev, e) == -1)
		return -1;
	return cp_append(path, ev->text, ev->len, line, e);
}

void
cp_event_free(struct cp_event *ev)
{
	if (ev->fp != NULL)
		fclose(ev->fp);
	free(ev->text);
	memset(ev, 0, sizeof(*ev));
}
