/* progress: bytes, rate and percentage on standard error, redrawn at most ten times a second.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/prog.h"
#include "cli/progress.h"

#define REDRAW_NS 100000000LL	/* 0.1 s */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* "512 B", "12.0 KiB", "1.5 GiB": binary units, one decimal above bytes. */
static void
human(char *s, size_t n, double v)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	int u = -1;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(s, n, "%.0f B", v);
	else
		snprintf(s, n, "%.1f %s", v, unit[u]);
}

/* Write the whole line, retrying a short write; a failing stderr is not worth an error. */
static void
put(const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(STDERR_FILENO, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void
draw(struct cp_progress *p, uint64_t done, int64_t now, const char *end)
{
	char line[160], bytes[32], rate[32];
	double secs = (double)(now - p->start) / 1e9;
	int n, w;

	human(bytes, sizeof(bytes), (double)done);
	human(rate, sizeof(rate), secs > 0 ? (double)done / secs : 0);
	n = snprintf(line, sizeof(line), "\r%s: %s  %s/s", cp_prog_name(), bytes, rate);
	if (p->total > 0 && n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, "  %3" PRIu64 "%%",
		    done >= p->total ? 100 : done * 100 / p->total);
	if (*end != '\0' && n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, "  %.1f s", secs);
	if (n < 0 || (size_t)n >= sizeof(line) - 64)
		return;
	/* Blank what a longer earlier line left, then end as asked. */
	w = n;
	while (w < p->width && (size_t)w < sizeof(line) - 2)
		line[w++] = ' ';
	p->width = n;
	w += snprintf(line + w, sizeof(line) - (size_t)w, "%s", end);
	put(line, (size_t)w);
	p->drawn = 1;
}

int
cp_progress_wanted(int force, int quiet)
{
	if (force)
		return 1;
	return !quiet && isatty(STDERR_FILENO);
}

void
cp_progress_init(struct cp_progress *p, int on, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = on;
	p->total = total;
	atomic_init(&p->done, 0);
	atomic_init(&p->next, CP_PROGRESS_STEP);
	atomic_flag_clear(&p->busy);
	p->start = p->last = on ? now_ns() : 0;
}

void
cp_progress_total(struct cp_progress *p, uint64_t total)
{
	p->total = total;
}

void
cp_progress_add(void *arg, uint64_t n)
{
	struct cp_progress *p = arg;
	uint64_t done;
	int64_t t;

	if (!p->on)
		return;
	done = atomic_fetch_add_explicit(&p->done, n, memory_order_relaxed) + n;
	if (done < atomic_load_explicit(&p->next, memory_order_relaxed))
		return;
	if (atomic_flag_test_and_set_explicit(&p->busy, memory_order_acquire))
		return;
	atomic_store_explicit(&p->next, done + CP_PROGRESS_STEP, memory_order_relaxed);
	t = now_ns();
	if (t - p->last >= REDRAW_NS) {
		p->last = t;
		draw(p, done, t, "");
	}
	atomic_flag_clear_explicit(&p->busy, memory_order_release);
}

void
cp_progress_clear(struct cp_progress *p)
{
	char line[160];
	int n;

	if (!p->on || p->width == 0)
		return;
	while (atomic_flag_test_and_set_explicit(&p->busy, memory_order_acquire))
		;	/* a drawing thread holds it for one write */
	n = p->width < (int)sizeof(line) - 2 ? p->width : (int)sizeof(line) - 2;
	line[0] = '\r';
	memset(line + 1, ' ', (size_t)n);
	line[n + 1] = '\r';
	put(line, (size_t)n + 2);
	p->width = 0;
	atomic_flag_clear_explicit(&p->busy, memory_order_release);
}

void
cp_progress_end(struct cp_progress *p, int interrupted)
{
	if (!p->on)
		return;
	if (interrupted) {
		if (p->width > 0)
			put("\n", 1);
		return;
	}
	draw(p, atomic_load(&p->done), now_ns(), "\n");
}
