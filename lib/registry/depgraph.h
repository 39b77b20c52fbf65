/* depgraph: rows that depend on other rows by id; a dependency-first order, and the cycles.
 * SPDX-License-Identifier: ISC */
#ifndef CP_DEPGRAPH_H
#define CP_DEPGRAPH_H

#include <stddef.h>

struct cp_depgraph;

/* An empty graph.  Never returns NULL (exits 2 when out of memory).  Caller frees with cp_depgraph_free. */
struct cp_depgraph *cp_depgraph_new(void);

/*
 * Add a node (a registry row) with the id id[0..len); nodes are numbered
 * from 0 in the order they are added (file order), and the new node's
 * number is returned.  A repeated id makes a node of its own, but a
 * dependency on that id means its first node, which *first receives (the
 * new node itself when the id is new; first may be NULL).
 */
size_t cp_depgraph_add(struct cp_depgraph *g, const char *id, size_t len, size_t *first);

/*
 * Record that node depends on the id dep[0..len); returns the number of
 * this dependency (they are numbered from 0 in the order recorded).  Ids
 * are resolved when a target, the order or the cycles are first asked for;
 * a dependency on an id that no node has is ignored (validation reports
 * it).  No node or dependency may be added after that.
 */
size_t cp_depgraph_dep(struct cp_depgraph *g, size_t node, const char *dep, size_t len);

/* The node dependency number dep leads to: returns 1 and sets *node, or 0 if no node has its id. */
int cp_depgraph_target(struct cp_depgraph *g, size_t dep, size_t *node);

/* The first node with the id id[0..len): returns 1 and sets *node, or 0. */
int cp_depgraph_find(const struct cp_depgraph *g, const char *id, size_t len, size_t *node);

/* Number of nodes. */
size_t cp_depgraph_count(const struct cp_depgraph *g);

/*
 * The install order of package_sync.py, a depth-first walk: for each of the
 * nodes 0 to nroots - 1 in turn, unless already placed, first (depth first)
 * each node it depends on, in the order the dependencies were recorded,
 * then the node itself; a node already on the way is skipped.  Every node
 * reached is placed once; order must have room for cp_depgraph_count(g)
 * indexes.  Returns the number placed; *back receives the number of
 * dependencies that led back to a node on the way (0 exactly when no cycle
 * is reached).  Iterative: a chain of any length is walked.
 */
size_t cp_depgraph_postorder(struct cp_depgraph *g, size_t nroots, size_t *order, size_t *back);

/*
 * The cycles: every set of nodes that depend on each other (a strongly
 * connected component of more than one node, or a node that depends on
 * itself).  Returns their number; *members receives all their nodes, each
 * set in file order, the sets ordered by their first node, and *bounds the
 * ncycles + 1 offsets in *members where each set starts (and the end).
 * Caller frees both.
 */
size_t cp_depgraph_cycles(struct cp_depgraph *g, size_t **members, size_t **bounds);

void cp_depgraph_free(struct cp_depgraph *g);

#endif
