/* semver: Semantic Versioning 2.0.0 versions, their precedence, and the registry's dependency constraints.
 * SPDX-License-Identifier: ISC */
#ifndef CP_SEMVER_H
#define CP_SEMVER_H

#include <stddef.h>

/* A parsed version.  pre points into the string parsed (not copied). */
struct cp_semver {
	unsigned long long major, minor, patch;
	const char *pre;	/* the pre-release identifiers after '-', or NULL */
	size_t prelen;
};

/*
 * Parse s[0..len) as MAJOR.MINOR.PATCH with an optional "-pre-release" and
 * "+build", exactly as semver.org 2.0.0 defines them (no leading zeros in
 * numbers, no empty identifiers).  Returns 0, or -1 if it is not one.
 */
int cp_semver_parse(const char *s, size_t len, struct cp_semver *v);

/* Precedence: <0, 0 or >0 as a is lower than, equal to or higher than b (build metadata is ignored). */
int cp_semver_cmp(const struct cp_semver *a, const struct cp_semver *b);

/* The constraint operators of the registry's deps column. */
enum cp_semver_op {
	CP_SEMVER_EQ,		/* "==v" or a bare "v": the same precedence */
	CP_SEMVER_GE,		/* ">=v" */
	CP_SEMVER_CARET,	/* "^v": the same major, and >= v */
	CP_SEMVER_TILDE		/* "~v": the same major and minor, and >= v */
};

struct cp_semver_req {
	enum cp_semver_op op;
	struct cp_semver v;
};

/* Parse a constraint ("^1.2.0", "~1.2.0", ">=1.0.0", "==1.0.0", "1.0.0").  Returns 0 or -1. */
int cp_semver_req_parse(const char *s, size_t len, struct cp_semver_req *req);

/* 1 if v satisfies req, else 0. */
int cp_semver_req_match(const struct cp_semver_req *req, const struct cp_semver *v);

#endif
