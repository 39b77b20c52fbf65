/* depgraph: an iterative depth-first walk for the install order, iterative Tarjan for cycles.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "registry/depgraph.h"

#define NONE ((size_t)-1)

struct cp_depgraph {
	struct cp_strmap *ids;		/* id -> its first node */
	size_t n, ncap;
	size_t *from, *nlen;		/* dependencies: node, named id */
	const char **name;
	size_t *to;			/* once resolved: the node named, or NONE */
	size_t ndeps, depcap;
	struct cp_arena names;
	int resolved;
	size_t *dstart, *dlist;		/* node -> the nodes it depends on (CSR) */
	size_t *rstart, *rlist;		/* node -> the nodes that depend on it */
};

struct cp_depgraph *
cp_depgraph_new(void)
{
	struct cp_depgraph *g = xcalloc(1, sizeof(*g));

	g->ids = cp_strmap_new();
	return g;
}

size_t
cp_depgraph_add(struct cp_depgraph *g, const char *id, size_t len, size_t *first)
{
	size_t old;

	if (first != NULL)
		*first = cp_strmap_add(g->ids, id, len, g->n, &old) ? g->n : old;
	else
		cp_strmap_add(g->ids, id, len, g->n, NULL);
	return g->n++;
}

size_t
cp_depgraph_dep(struct cp_depgraph *g, size_t node, const char *dep, size_t len)
{
	if (g->ndeps == g->depcap) {
		g->depcap = g->depcap ? 2 * g->depcap : 256;
		g->from = xreallocarray(g->from, g->depcap, sizeof(*g->from));
		g->name = xreallocarray(g->name, g->depcap, sizeof(*g->name));
		g->nlen = xreallocarray(g->nlen, g->depcap, sizeof(*g->nlen));
	}
	g->from[g->ndeps] = node;
	g->name[g->ndeps] = cp_arena_strndup(&g->names, dep, len);
	g->nlen[g->ndeps] = len;
	return g->ndeps++;
}

int
cp_depgraph_find(const struct cp_depgraph *g, const char *id, size_t len, size_t *node)
{
	return cp_strmap_get(g->ids, id, len, node);
}

size_t
cp_depgraph_count(const struct cp_depgraph *g)
{
	return g->n;
}

/* Build both adjacency lists from the pending dependencies (those naming a node). */
static void
resolve(struct cp_depgraph *g)
{
	size_t *to, *dfill, *rfill, i, m = 0, v;

	if (g->resolved)
		return;
	g->resolved = 1;
	to = g->to = xreallocarray(NULL, g->ndeps + 1, sizeof(*to));
	g->dstart = xcalloc(g->n + 1, sizeof(*g->dstart));
	g->rstart = xcalloc(g->n + 1, sizeof(*g->rstart));
	for (i = 0; i < g->ndeps; i++) {
		if (!cp_strmap_get(g->ids, g->name[i], g->nlen[i], &v)) {
			to[i] = NONE;
			continue;
		}
		to[i] = v;
		g->dstart[g->from[i] + 1]++;
		g->rstart[v + 1]++;
		m++;
	}
	for (i = 0; i < g->n; i++) {
		g->dstart[i + 1] += g->dstart[i];
		g->rstart[i + 1] += g->rstart[i];
	}
	g->dlist = xreallocarray(NULL, m + 1, sizeof(*g->dlist));
	g->rlist = xreallocarray(NULL, m + 1, sizeof(*g->rlist));
	dfill = xreallocarray(NULL, g->n + 1, sizeof(*dfill));
	rfill = xreallocarray(NULL, g->n + 1, sizeof(*rfill));
	memcpy(dfill, g->dstart, (g->n + 1) * sizeof(*dfill));
	memcpy(rfill, g->rstart, (g->n + 1) * sizeof(*rfill));
	/* In input order, so each list keeps the order the dependencies were written in. */
	for (i = 0; i < g->ndeps; i++) {
		if (to[i] == NONE)
			continue;
		g->dlist[dfill[g->from[i]]++] = to[i];
		g->rlist[rfill[to[i]]++] = g->from[i];
	}
	free(dfill);
	free(rfill);
}

int
cp_depgraph_target(struct cp_depgraph *g, size_t dep, size_t *node)
{
	resolve(g);
	if (dep >= g->ndeps || g->to[dep] == NONE)
		return 0;
	*node = g->to[dep];
	return 1;
}

size_t
cp_depgraph_postorder(struct cp_depgraph *g, size_t nroots, size_t *order, size_t *back)
{
	size_t *call, *edge, placed = 0, cp, r, v, w;
	unsigned char *state;	/* 0 not reached, 1 on the way, 2 placed */

	resolve(g);
	call = xreallocarray(NULL, g->n + 1, sizeof(*call));
	edge = xreallocarray(NULL, g->n + 1, sizeof(*edge));
	state = xcalloc(g->n + 1, 1);
	*back = 0;
	for (r = 0; r < nroots && r < g->n; r++) {
		if (state[r] != 0)
			continue;
		cp = 0;
		call[cp++] = r;
		edge[r] = g->dstart[r];
		state[r] = 1;
		while (cp > 0) {
			v = call[cp - 1];
			if (edge[v] < g->dstart[v + 1]) {
				w = g->dlist[edge[v]++];
				if (state[w] == 0) {
					call[cp++] = w;
					edge[w] = g->dstart[w];
					state[w] = 1;
				} else if (state[w] == 1)
					(*back)++;
				continue;
			}
			cp--;
			state[v] = 2;
			order[placed++] = v;
		}
	}
	free(call);
	free(edge);
	free(state);
	return placed;
}

/* A found cycle: where its members start in the output, how many, and the first. */
struct span {
	size_t start, n, first;
};

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_span(const void *a, const void *b)
{
	return cmp_size(&((const struct span *)a)->first, &((const struct span *)b)->first);
}

static int
self_dependent(const struct cp_depgraph *g, size_t v)
{
	size_t k;

	for (k = g->dstart[v]; k < g->dstart[v + 1]; k++)
		if (g->dlist[k] == v)
			return 1;
	return 0;
}

size_t
cp_depgraph_cycles(struct cp_depgraph *g, size_t **members, size_t **bounds)
{
	size_t n, *index, *low, *stack, *call, *edge, *found, *out, *b;
	size_t next = 0, sp = 0, cp, nfound = 0, nspans = 0, spancap = 16, s, v, w, k;
	unsigned char *onstack;
	struct span *spans;

	resolve(g);
	n = g->n;
	index = xreallocarray(NULL, n + 1, sizeof(*index));
	low = xreallocarray(NULL, n + 1, sizeof(*low));
	stack = xreallocarray(NULL, n + 1, sizeof(*stack));
	call = xreallocarray(NULL, n + 1, sizeof(*call));
	edge = xreallocarray(NULL, n + 1, sizeof(*edge));
	found = xreallocarray(NULL, n + 1, sizeof(*found));
	onstack = xcalloc(n + 1, 1);
	spans = xreallocarray(NULL, spancap, sizeof(*spans));
	for (v = 0; v < n; v++)
		index[v] = NONE;
	/* Tarjan's algorithm with an explicit call stack: a chain of 100,000 rows must not overflow ours. */
	for (s = 0; s < n; s++) {
		if (index[s] != NONE)
			continue;
		cp = 0;
		call[cp++] = s;
		edge[s] = g->dstart[s];
		index[s] = low[s] = next++;
		stack[sp++] = s;
		onstack[s] = 1;
		while (cp > 0) {
			v = call[cp - 1];
			if (edge[v] < g->dstart[v + 1]) {
				w = g->dlist[edge[v]++];
				if (index[w] == NONE) {
					call[cp++] = w;
					edge[w] = g->dstart[w];
					index[w] = low[w] = next++;
					stack[sp++] = w;
					onstack[w] = 1;
				} else if (onstack[w] && index[w] < low[v])
					low[v] = index[w];
				continue;
			}
			cp--;
			if (cp > 0 && low[v] < low[call[cp - 1]])
				low[call[cp - 1]] = low[v];
			if (low[v] != index[v])
				continue;
			k = nfound;
			do {
				w = stack[--sp];
				onstack[w] = 0;
				found[nfound++] = w;
			} while (w != v);
			if (nfound - k == 1 && !self_dependent(g, v)) {
				nfound = k;
				continue;
			}
			qsort(found + k, nfound - k, sizeof(*found), cmp_size);
			if (nspans == spancap)
				spans = xreallocarray(spans, spancap *= 2, sizeof(*spans));
			spans[nspans].start = k;
			spans[nspans].n = nfound - k;
			spans[nspans].first = found[k];
			nspans++;
		}
	}
	qsort(spans, nspans, sizeof(*spans), cmp_span);
	out = xreallocarray(NULL, nfound + 1, sizeof(*out));
	b = xreallocarray(NULL, nspans + 1, sizeof(*b));
	for (k = 0, s = 0; s < nspans; s++) {
		b[s] = k;
		memcpy(out + k, found + spans[s].start, spans[s].n * sizeof(*out));
		k += spans[s].n;
	}
	b[nspans] = k;
	*members = out;
	*bounds = b;
	free(index);
	free(low);
	free(stack);
	free(call);
	free(edge);
	free(found);
	free(onstack);
	free(spans);
	return nspans;
}

void
cp_depgraph_free(struct cp_depgraph *g)
{
	if (g == NULL)
		return;
	cp_strmap_free(g->ids);
	free(g->from);
	free(g->name);
	free(g->nlen);
	free(g->to);
	cp_arena_free(&g->names);
	free(g->dstart);
	free(g->dlist);
	free(g->rstart);
	free(g->rlist);
	free(g);
}
