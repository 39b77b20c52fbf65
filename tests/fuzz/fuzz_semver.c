/* fuzz_semver: versions and constraints (text/semver) and the dependency graph (registry/depgraph).
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "registry/depgraph.h"
#include "text/semver.h"

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Lines "v1 v2 req": versions compared both ways, a constraint matched against both. */
static void
versions(const char *s, size_t len)
{
	const char *sp1 = memchr(s, ' ', len), *sp2;
	struct cp_semver a, b;
	struct cp_semver_req q;
	size_t la, lb;

	if (sp1 == NULL)
		return;
	la = (size_t)(sp1 - s);
	sp2 = memchr(sp1 + 1, ' ', len - la - 1);
	lb = sp2 != NULL ? (size_t)(sp2 - sp1 - 1) : len - la - 1;
	if (cp_semver_parse(s, la, &a) == 0) {
		FUZZ_ASSERT(cp_semver_cmp(&a, &a) == 0);
		if (cp_semver_parse(sp1 + 1, lb, &b) == 0) {
			FUZZ_ASSERT(sign(cp_semver_cmp(&a, &b)) == -sign(cp_semver_cmp(&b, &a)));
			if (sp2 != NULL &&
			    cp_semver_req_parse(sp2 + 1, len - la - lb - 2, &q) == 0) {
				int ma = cp_semver_req_match(&q, &a), mb = cp_semver_req_match(&q, &b);

				FUZZ_ASSERT(ma == 0 || ma == 1);
				/* Equal precedence, equal verdict. */
				if (cp_semver_cmp(&a, &b) == 0)
					FUZZ_ASSERT(ma == mb);
				/* Every constraint is at least ">= v". */
				if (ma)
					FUZZ_ASSERT(cp_semver_cmp(&a, &q.v) >= 0);
			}
		}
	}
	cp_semver_req_parse(s, len, &q);
}

/*
 * The input: lines.  Each is tried as "v1 v2 req" (above), and all of them
 * make a graph: the first word of a line a node, the others its
 * dependencies.  The install order places each node once, and a cycle's
 * members are nodes.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_depgraph *g = cp_depgraph_new();
	const char *s = (const char *)data, *end = s + size, *nl;
	size_t *order, *members, *bounds, back, n, placed, nc, node;
	unsigned char *seen;

	for (; s < end; s = nl + 1) {
		const char *w, *p;

		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		versions(s, (size_t)(nl - s));
		if (cp_depgraph_count(g) >= 4096)
			continue;
		for (w = p = s; p < nl && *p != ' '; p++)
			;
		node = cp_depgraph_add(g, w, (size_t)(p - w), NULL);
		while (p < nl) {
			for (w = ++p; p < nl && *p != ' '; p++)
				;
			cp_depgraph_dep(g, node, w, (size_t)(p - w));
		}
	}
	n = cp_depgraph_count(g);
	order = calloc(n + 1, sizeof(*order));
	seen = calloc(n + 1, 1);
	placed = cp_depgraph_postorder(g, n, order, &back);
	FUZZ_ASSERT(placed == n);
	for (size_t i = 0; i < placed; i++) {
		FUZZ_ASSERT(order[i] < n && !seen[order[i]]);
		seen[order[i]] = 1;
	}
	nc = cp_depgraph_cycles(g, &members, &bounds);
	FUZZ_ASSERT((nc == 0) == (back == 0));
	for (size_t i = 0; i < nc; i++)
		for (size_t k = bounds[i]; k < bounds[i + 1]; k++)
			FUZZ_ASSERT(members[k] < n);
	free(members);
	free(bounds);
	free(order);
	free(seen);
	cp_depgraph_free(g);
	return 0;
}
