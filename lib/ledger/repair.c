/* repair: a torn last line completed, or moved to a side file, under the ledger's lock.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/io.h"
#include "ledger/entry.h"
#include "ledger/repair.h"
#include "ledger/seg.h"

/* The torn bytes of a segment, copied to the side file. */
struct copy {
	int from;
	off_t off, end;
};

static int
fill_copy(int fd, void *arg)
{
	struct copy *c = arg;
	char buf[65536];
	ssize_t r;

	while (c->off < c->end) {
		size_t want = (size_t)(c->end - c->off < (off_t)sizeof(buf) ? c->end - c->off : (off_t)sizeof(buf));

		if ((r = pread(c->from, buf, want, c->off)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				errno = EIO;
			return -1;
		}
		if (cp_io_write_all(fd, buf, (size_t)r) == -1)
			return -1;
		c->off += r;
	}
	return 0;
}

/*
 * 1 if a line of the segments before g, or of g before end, is an entry
 * (chained or legacy), 0 if none is, -1 on a read error (e).  It stops at
 * the first: a ledger's first line is an entry.
 */
static int
holds_entry(struct cp_segset *set, const struct cp_seg *g, off_t end, struct cp_err *e)
{
	struct cp_entry_parser p = { 0 };
	struct cp_ledger_line ln = { 0 };
	struct cp_seg_reader rd;
	const char *line;
	size_t len;
	int found = 0, ended, rc = 0;

	for (size_t i = 0; i < set->n && !found && rc == 0; i++) {
		struct cp_seg *s = &set->seg[i];

		if (lseek(s->fd, 0, SEEK_SET) == -1) {
			rc = cp_err_set(e, errno, "%s", s->path);
			break;
		}
		cp_seg_reader_init(&rd, s->fd, s == g ? end : s->size);
		while (!found && (rc = cp_seg_reader_next(&rd, &line, &len, &ended)) != 0) {
			if (rc == -1) {
				cp_err_set(e, errno, "%s", s->path);
				break;
			}
			if (rc == 1) {
				int k = cp_entry_parse(&p, line, len, 0, &ln);

				found = k == CP_LEDGER_ENTRY || k == CP_LEDGER_LEGACY;
			}
			rc = 0;
		}
		cp_seg_reader_free(&rd);
		if (s == g)
			break;
	}
	cp_entry_clear(&ln);
	cp_entry_parser_free(&p);
	return rc == -1 ? -1 : found;
}

int
cp_repair(const char *path, struct cp_repair *r, struct cp_err *e)
{
	struct cp_segset set;
	struct cp_seg *g = NULL;
	struct cp_seg_tail t = { 0 };
	struct cp_entry_clock clock = { 0 };
	struct copy c;
	struct stat st;
	char prefix[4200], ts[40], *side = NULL;
	int fd = -1, rc = -1;

	memset(r, 0, sizeof(*r));
	/* A writer's load makes a missing ledger; repair has nothing to make. */
	if (stat(path, &st) == -1)
		return cp_err_set(e, errno, "%s", path);
	if (cp_seg_load(&set, path, 1, e) == -1)
		return -1;
	if (cp_seg_order(&set, e) == -1)
		goto out;
	for (size_t i = 0; i < set.n; i++)
		if (set.seg[i].size > 0)
			g = &set.seg[i];
	if (g == NULL) {
		if (set.file == NULL && set.n == 0)
			cp_err_set(e, 0, "no ledger in %s (no %s or %s-*.jsonl)", path,
			    CP_LEDGER_BASE, CP_LEDGER_FAMILY);
		else
			rc = 0;
		goto out;
	}
	if (cp_seg_tail(g->fd, g->size, &t, e) == -1)
		goto out;
	if (!t.torn && !t.malformed) {
		rc = 0;
		goto out;
	}
	if (!t.completable) {
		int k = holds_entry(&set, g, t.good_end, e);

		if (k == -1)
			goto out;
		if (k == 0) {
			cp_err_set(e, 0, "%s: not a ledger: no line before byte %lld is an entry; "
			    "nothing moved", g->path, (long long)t.good_end);
			goto out;
		}
	}
	snprintf(r->segment, sizeof(r->segment), "%s", g->path);
	r->offset = (uint64_t)t.good_end;
	if ((fd = open(g->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		cp_err_set(e, errno, "%s", g->path);
		goto out;
	}
	if (t.completable) {
		/* The entry is whole and sound; only its newline is missing. */
		if (cp_io_write_all(fd, "\n", 1) == -1 || fdatasync(fd) == -1) {
			cp_err_set(e, errno, "%s", g->path);
			goto out;
		}
		r->repaired = r->completed = 1;
		rc = 0;
		goto out;
	}
	cp_entry_now(&clock, ts);
	snprintf(prefix, sizeof(prefix), "%s.%s-%.4s%.2s%.2s-%.2s%.2s%.2s", g->name,
	    t.malformed ? "malformed" : "torn", ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17);
	c.from = g->fd;
	c.off = t.good_end;
	c.end = g->size;
	/* The torn bytes are kept, durably, before they leave the segment. */
	if (cp_seg_publish(set.dir, prefix, "", 0600, fill_copy, &c, &side, NULL, e) == -1)
		goto out;
	if (ftruncate(fd, t.good_end) == -1 || fdatasync(fd) == -1) {
		cp_err_set(e, errno, "%s", g->path);
		goto out;
	}
	snprintf(r->sidefile, sizeof(r->sidefile), "%s", side);
	r->bytes = (uint64_t)(g->size - t.good_end);
	r->repaired = 1;
	r->malformed = t.malformed;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(side);
	free(t.last_hash);
	cp_seg_free(&set);
	return rc;
}
