/* ahead: a ledger's lines parsed and hashed on threads ahead of their reader, handed out in order.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"
#include "ledger/ahead.h"

/*
 * A batch closes at BATCH_LINES lines or once its text passes BATCH_BYTES
 * (one line may take it to CP_LEDGER_LINE_MAX more): big enough that a
 * thread hand-off is rare beside the parsing, small enough that the ring
 * stays a few MiB.
 */
#define BATCH_LINES 512
#define BATCH_BYTES (256 * 1024)
#define MAXTHREADS 16
#define NO_STR ((size_t)-1)

/* Where a line's strings are in its batch while the batch's buffers may still move. */
struct slot {
	struct cp_ledger_line ln;
	size_t text;			/* offset in the batch's text, NO_STR: too long */
	size_t id, entry_hash, previous_hash;	/* offsets in the batch's strs, or NO_STR */
	int parsed;			/* what cp_entry_parse returned */
};

struct batch {
	struct slot slot[BATCH_LINES];
	size_t n;
	struct cp_buf text;		/* the lines' bytes, each followed by a NUL */
	struct cp_buf strs;		/* the parsed lines' strings, each NUL-terminated */
	int end;			/* the source ended after these lines */
	int failed;			/* the source failed after these lines: err */
	struct cp_err err;
	int done;			/* parsed (under the lock) */
};

struct cp_ahead {
	pthread_mutex_t mu;
	pthread_cond_t work;		/* a batch to parse, or stop */
	pthread_cond_t done;		/* a batch parsed */
	struct batch *ring;
	size_t nring;
	uint64_t head;			/* the batch being handed out (reading thread only) */
	uint64_t fill;			/* the next batch to read into (written under mu) */
	uint64_t claim;			/* the next batch to parse (under mu) */
	size_t next;			/* the next line of the head batch */
	int eof;			/* the source gave its last (reading thread only) */
	int stop;
	int reference;
	cp_ahead_source_fn src;
	void *arg;
	struct cp_entry_parser parser;	/* the reading thread's own */
	pthread_t thread[MAXTHREADS];
	unsigned nthread;
};

static const char *
str_at(const struct cp_buf *b, size_t off)
{
	return off == NO_STR ? NULL : b->data + off;
}

/* Keep a copy of s (NULL stays NULL): what it points to lives in the parser only until its next parse. */
static size_t
keep(struct cp_buf *b, const char *s)
{
	size_t off = b->len;

	if (s == NULL)
		return NO_STR;
	cp_buf_add(b, s, strlen(s) + 1);
	return off;
}

static void
parse_slot(struct cp_entry_parser *p, struct batch *b, struct slot *s)
{
	struct cp_ledger_line *ln = &s->ln;

	if (s->text == NO_STR) {
		ln->text = NULL;
		ln->len = 0;
		cp_entry_malformed(ln, "line longer than 1 MiB");
		s->parsed = CP_LEDGER_MALFORMED;
		s->id = s->entry_hash = s->previous_hash = NO_STR;
		return;
	}
	s->parsed = cp_entry_parse(p, b->text.data + s->text, ln->len, 1, ln);
	s->id = keep(&b->strs, ln->id);
	s->entry_hash = keep(&b->strs, ln->entry_hash);
	s->previous_hash = keep(&b->strs, ln->previous_hash);
	ln->entry = NULL;
}

/* Parse every line of b, then point each at its copies, which no longer move. */
static void
parse_batch(struct cp_entry_parser *p, struct batch *b)
{
	size_t i;

	cp_buf_reset(&b->strs);
	for (i = 0; i < b->n; i++)
		parse_slot(p, b, &b->slot[i]);
	for (i = 0; i < b->n; i++) {
		struct slot *s = &b->slot[i];

		if (s->text != NO_STR)
			s->ln.text = b->text.data + s->text;
		s->ln.id = str_at(&b->strs, s->id);
		s->ln.entry_hash = str_at(&b->strs, s->entry_hash);
		s->ln.previous_hash = str_at(&b->strs, s->previous_hash);
	}
}

static void *
worker(void *arg)
{
	struct cp_ahead *a = arg;
	struct cp_entry_parser p = { 0 };
	struct batch *b;

	p.reference = a->reference;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->stop && a->claim == a->fill)
			pthread_cond_wait(&a->work, &a->mu);
		if (a->stop)
			break;
		b = &a->ring[a->claim++ % a->nring];
		pthread_mutex_unlock(&a->mu);
		parse_batch(&p, b);
		pthread_mutex_lock(&a->mu);
		b->done = 1;
		pthread_cond_broadcast(&a->done);
	}
	pthread_mutex_unlock(&a->mu);
	cp_entry_parser_free(&p);
	return NULL;
}

/* Read the source into b (no other thread sees b until a->fill passes it). */
static void
read_batch(struct cp_ahead *a, struct batch *b)
{
	struct cp_ahead_raw raw;
	struct slot *s;
	int rc;

	b->n = 0;
	b->end = b->failed = b->done = 0;
	cp_buf_reset(&b->text);
	while (b->n < BATCH_LINES && b->text.len < BATCH_BYTES) {
		rc = a->src(a->arg, &raw, &b->err);
		if (rc != 1) {
			b->end = rc == 0;
			b->failed = rc == -1;
			a->eof = 1;
			return;
		}
		s = &b->slot[b->n++];
		s->ln.segment = raw.segment;
		s->ln.lineno = raw.lineno;
		s->ln.ended = raw.ended;
		s->ln.last = raw.last;
		s->ln.len = raw.len;
		s->text = NO_STR;
		if (raw.text != NULL) {
			s->text = b->text.len;
			cp_buf_add(&b->text, raw.text, raw.len);
			cp_buf_addc(&b->text, '\0');
		}
	}
}

/* Read into every free batch of the ring, and let the threads at them. */
static void
refill(struct cp_ahead *a)
{
	uint64_t fill;

	pthread_mutex_lock(&a->mu);
	fill = a->fill;
	pthread_mutex_unlock(&a->mu);
	while (!a->eof && fill - a->head < a->nring) {
		read_batch(a, &a->ring[fill % a->nring]);
		pthread_mutex_lock(&a->mu);
		fill = ++a->fill;
		pthread_cond_signal(&a->work);
		pthread_mutex_unlock(&a->mu);
	}
}

/* Wait until the head batch is parsed, parsing others meanwhile rather than idling. */
static struct batch *
wait_head(struct cp_ahead *a)
{
	struct batch *h = &a->ring[a->head % a->nring], *b;

	pthread_mutex_lock(&a->mu);
	while (!h->done) {
		if (a->claim < a->fill) {
			b = &a->ring[a->claim++ % a->nring];
			pthread_mutex_unlock(&a->mu);
			parse_batch(&a->parser, b);
			pthread_mutex_lock(&a->mu);
			b->done = 1;
		} else
			pthread_cond_wait(&a->done, &a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return h;
}

/*
 * The threads start with every signal blocked, so that a signal still
 * reaches the reading thread alone, as it did before there were threads
 * (a program's handlers, cp_prog_hold_signals, expect that).
 */
static void
start_threads(struct cp_ahead *a, unsigned n)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&a->thread[a->nthread], NULL, worker, a) == 0)
			a->nthread++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct cp_ahead *
cp_ahead_start(unsigned nthreads, int reference, cp_ahead_source_fn src, void *arg)
{
	struct cp_ahead *a = xcalloc(1, sizeof(*a));

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAXTHREADS + 1)
		nthreads = MAXTHREADS + 1;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->done, NULL);
	/* Two batches a parser keeps every one busy while the reader hands out and refills. */
	a->nring = 2 * (size_t)nthreads + 1;
	a->ring = xcalloc(a->nring, sizeof(*a->ring));
	a->reference = reference;
	a->parser.reference = reference;
	a->src = src;
	a->arg = arg;
	start_threads(a, nthreads - 1);
	return a;
}

int
cp_ahead_read(struct cp_ahead *a, const struct cp_ledger_line **ln, int *parsed,
    struct cp_err *e)
{
	struct batch *h;

	for (;;) {
		if (a->head == a->fill)
			refill(a);
		if (a->head == a->fill)
			return 0;	/* only after a batch that said so: kept for safety */
		h = wait_head(a);
		if (a->next < h->n) {
			*ln = &h->slot[a->next].ln;
			*parsed = h->slot[a->next++].parsed;
			return 1;
		}
		if (h->failed || h->end) {
			if (h->failed && e != NULL)
				*e = h->err;
			return h->failed ? -1 : 0;
		}
		a->head++;
		a->next = 0;
		refill(a);
	}
}

void
cp_ahead_stop(struct cp_ahead *a)
{
	unsigned i;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->work);
	pthread_mutex_unlock(&a->mu);
	for (i = 0; i < a->nthread; i++)
		pthread_join(a->thread[i], NULL);
	for (size_t k = 0; k < a->nring; k++) {
		cp_buf_free(&a->ring[k].text);
		cp_buf_free(&a->ring[k].strs);
	}
	free(a->ring);
	cp_entry_parser_free(&a->parser);
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->done);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
