/* registry: column lists, comma lists, and the validation rules of both registries.
 * SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/beneath.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/quote.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "hash/sha256.h"
#include "registry/depgraph.h"
#include "registry/registry.h"
#include "text/semver.h"

static const char *const packages_columns[] = {
	"id", "name", "entity_type", "category", "version", "source", "source_type",
	"digest", "signature", "attestation_path", "attestation_digest",
	"attestation_signature_path", "platform", "arch", "deps", "conflicts",
	"license", "artifact_path", "output_type", "output_path", "status",
	"selected", "priority", "owner", "created_at", "source_spec_id",
	"content_hash", NULL
};

static const char *const control_plane_columns[] = {
	"id", "name", "entity_type", "category", "purpose", "artifact_path", "status",
	"selected", "priority", "dependencies", "output_type", "output_path",
	"version", "owner", "created_at", "source_spec_id", "content_hash", "config",
	NULL
};

const char *const *
cp_registry_columns(enum cp_registry_kind kind)
{
	switch (kind) {
	case CP_REGISTRY_PACKAGES: return packages_columns;
	case CP_REGISTRY_CONTROL_PLANE: return control_plane_columns;
	default: return NULL;
	}
}

const char *
cp_registry_kind_name(enum cp_registry_kind kind)
{
	switch (kind) {
	case CP_REGISTRY_PACKAGES: return "packages";
	case CP_REGISTRY_CONTROL_PLANE: return "control-plane";
	default: return NULL;
	}
}

enum cp_registry_kind
cp_registry_kind_parse(const char *name)
{
	if (strcmp(name, "packages") == 0)
		return CP_REGISTRY_PACKAGES;
	if (strcmp(name, "control-plane") == 0)
		return CP_REGISTRY_CONTROL_PLANE;
	return CP_REGISTRY_UNKNOWN;
}

enum cp_registry_kind
cp_registry_kind_of(const struct cp_csv_reader *r)
{
	if (cp_csv_column(r, "deps") >= 0 && cp_csv_column(r, "digest") >= 0)
		return CP_REGISTRY_PACKAGES;
	if (cp_csv_column(r, "dependencies") >= 0 && cp_csv_column(r, "artifact_path") >= 0)
		return CP_REGISTRY_CONTROL_PLANE;
	return CP_REGISTRY_UNKNOWN;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

int
cp_registry_list_next(const char **p, const char *end, const char **item, size_t *len)
{
	const char *s = *p, *e, *comma;

	while (s < end) {
		comma = memchr(s, ',', (size_t)(end - s));
		e = comma ? comma : end;
		*p = comma ? comma + 1 : end;
		while (s < e && blank(*s))
			s++;
		while (e > s && blank(e[-1]))
			e--;
		if (e > s) {
			*item = s;
			*len = (size_t)(e - s);
			return 1;
		}
		s = *p;
	}
	*p = end;
	return 0;
}

size_t
cp_registry_dep_idlen(const char *item, size_t len)
{
	const char *at = memchr(item, '@', len);

	return at ? (size_t)(at - item) : len;
}

void
cp_registry_quote(char *buf, size_t cap, const char *s, size_t len)
{
	static const char hexdig[] = "0123456789abcdef";
	size_t o = 0, i, shown = len > 64 ? 64 : len;
	unsigned char c;
	char esc[4];
	size_t n;

	buf[o++] = '"';
	for (i = 0; i < shown; i++) {
		c = (unsigned char)s[i];
		n = 0;
		if (c == '"' || c == '\\') {
			esc[n++] = '\\';
			esc[n++] = (char)c;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[n++] = '\\';
			esc[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else if (cp_quote_is_control(c)) {
			esc[n++] = '\\';
			esc[n++] = 'x';
			esc[n++] = hexdig[c >> 4];
			esc[n++] = hexdig[c & 15];
		} else
			esc[n++] = (char)c;
		if (o + n + 5 > cap)	/* room for this, "...", the quote and the NUL */
			break;
		memcpy(buf + o, esc, n);
		o += n;
	}
	if (i < len && o + 4 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* The columns the rules read. */
enum col {
	C_ID, C_NAME, C_VERSION, C_SOURCE, C_SOURCE_TYPE, C_DIGEST, C_STATUS,
	C_SELECTED, C_PRIORITY, C_PLATFORM, C_ARCH, C_DEPS, C_CONFLICTS,
	C_OUTPUT_TYPE, C_OUTPUT_PATH, C_ARTIFACT_PATH, C_CONTENT_HASH,
	C_DEPENDENCIES, C_ATT_PATH, C_ATT_DIGEST, NCOL
};

static const char *const colname[NCOL] = {
	"id", "name", "version", "source", "source_type", "digest", "status",
	"selected", "priority", "platform", "arch", "deps", "conflicts",
	"output_type", "output_path", "artifact_path", "content_hash",
	"dependencies",
	"attestation_path", "attestation_digest",
};

/* Allowed values; "" is the empty value. */
static const char *const status_values[] = { "proposed", "draft", "validated", "active",
	"superseded", "deprecated", "retired", "archived", "yanked", "", NULL };
static const char *const selected_values[] = { "yes", "no", "", NULL };
static const char *const priority_values[] = { "P0", "P1", "P2", "P3", "", NULL };
static const char *const source_type_values[] = { "git", "pypi", "tar", "oci", "local", NULL };
static const char *const platform_values[] = { "any", "linux", "darwin", "", NULL };
static const char *const arch_values[] = { "any", "x86_64", "arm64", "", NULL };
static const char *const output_type_values[] = { "extension", "module", "external", NULL };

/* What finishing needs of each row. */
struct rowinfo {
	unsigned long line;
	const char *id;
	const char *version;
	const char *digest;
	const char *deps;	/* deps, or dependencies */
	size_t firstdep;	/* the depgraph number of its first dependency */
};

struct problem {
	struct cp_registry_problem p;
	size_t seq;
};

struct cp_registry_check {
	enum cp_registry_kind kind;
	long col[NCOL];
	unsigned long header_line;
	struct cp_arena strs;
	struct rowinfo *rows;
	size_t nrows, rowcap;
	struct cp_depgraph *graph;
	size_t ndeps;			/* dependencies recorded in graph */
	struct cp_strmap *names;	/* name -> first row with it */
	struct problem *probs;
	size_t nprobs, probcap;
	struct cp_registry_problem *sorted;
	const struct cp_csv_reader *r;	/* the header's names, for messages */
	int rootfd;			/* the plane, whose files rows name (-1: not checked) */
};

/* A field of the current row; an absent column reads as empty. */
struct val {
	const char *s;
	size_t len;
};

static struct val
get(const struct cp_registry_check *c, const struct cp_csv_row *row, enum col k)
{
	struct val v = { "", 0 };

	if (c->col[k] >= 0) {
		v.s = row->field[c->col[k]];
		v.len = row->len[c->col[k]];
	}
	return v;
}

static void problem(struct cp_registry_check *c, int fail, unsigned long line, const char *id,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
problem(struct cp_registry_check *c, int fail, unsigned long line, const char *id,
    const char *fmt, ...)
{
	struct problem *p;
	struct cp_err what;
	va_list ap;

	va_start(ap, fmt);
	cp_err_vset(&what, 0, fmt, ap);
	va_end(ap);
	if (c->nprobs == c->probcap) {
		c->probcap = c->probcap ? 2 * c->probcap : 64;
		c->probs = xreallocarray(c->probs, c->probcap, sizeof(*c->probs));
	}
	p = &c->probs[c->nprobs];
	p->seq = c->nprobs++;
	p->p.fail = fail;
	p->p.line = line;
	p->p.id = id ? cp_arena_strndup(&c->strs, id, strlen(id)) : NULL;
	p->p.what = cp_arena_strndup(&c->strs, what.msg, strlen(what.msg));
}

/* 1 if name is one of kind's columns. */
static int
known_column(enum cp_registry_kind kind, const char *name)
{
	for (const char *const *want = cp_registry_columns(kind); *want != NULL; want++)
		if (strcmp(*want, name) == 0)
			return 1;
	return 0;
}

struct cp_registry_check *
cp_registry_check_new(enum cp_registry_kind kind, const struct cp_csv_reader *r)
{
	struct cp_registry_check *c = xcalloc(1, sizeof(*c));
	const char *const *want = cp_registry_columns(kind);
	const char *name;
	size_t k, ncols = cp_csv_ncolumns(r);

	c->kind = kind;
	c->r = r;
	c->rootfd = -1;
	c->header_line = cp_csv_header_row(r)->line;
	c->graph = cp_depgraph_new();
	c->names = cp_strmap_new();
	for (k = 0; k < NCOL; k++)
		c->col[k] = cp_csv_column(r, colname[k]);
	for (k = 0; want[k] != NULL; k++)
		if (cp_csv_column(r, want[k]) < 0)
			problem(c, 1, c->header_line, NULL, "missing column %s", want[k]);
	for (k = 0; k < ncols; k++) {
		name = cp_csv_colname(r, k);
		if (!known_column(kind, name)) {
			char q[128];

			cp_registry_quote(q, sizeof(q), name, strlen(name));
			/* The packages registry keeps unknown columns; the control plane's knows all of its own. */
			problem(c, kind == CP_REGISTRY_CONTROL_PLANE, c->header_line, NULL,
			    "unknown column %s", q);
		}
	}
	return c;
}

static int
one_of(struct val v, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strncmp(*allowed, v.s, v.len) == 0 && (*allowed)[v.len] == '\0')
			return 1;
	return 0;
}

static void
check_enum(struct cp_registry_check *c, const struct cp_csv_row *row, const char *id,
    enum col k, const char *const *allowed)
{
	struct val v = get(c, row, k);
	char q[160], list[256] = "";
	size_t i;

	if (c->col[k] < 0 || one_of(v, allowed))
		return;
	for (i = 0; allowed[i] != NULL; i++) {
		if (i > 0)
			strcat(list, allowed[i + 1] == NULL ? " or " : ", ");
		strcat(list, allowed[i][0] ? allowed[i] : "empty");
	}
	cp_registry_quote(q, sizeof(q), v.s, v.len);
	problem(c, 1, row->line, id, "%s %s is not %s", colname[k], q, list);
}

/* A digest column: empty (the caller decides whether that is allowed) or 64 hex, lower case preferred. */
static void
check_digest(struct cp_registry_check *c, const struct cp_csv_row *row, const char *id,
    enum col k)
{
	struct val v = get(c, row, k);
	unsigned char bin[32];
	char q[160];

	if (v.len == 0 || cp_hex_is_sha256(v.s, v.len))
		return;
	cp_registry_quote(q, sizeof(q), v.s, v.len);
	if (v.len == 64 && cp_hex_decode(v.s, v.len, bin) == 0)
		problem(c, 0, row->line, id, "%s %s is in upper case (the tools write lower case)",
		    colname[k], q);
	else
		problem(c, 1, row->line, id, "%s %s is not a SHA-256 (64 hex digits)", colname[k], q);
}

/* The id and its uniqueness: every row is a node of the dependency graph. */
static const char *
check_id(struct cp_registry_check *c, const struct cp_csv_row *row)
{
	struct val v = get(c, row, C_ID);
	const char *id = cp_arena_strndup(&c->strs, v.s, v.len);
	size_t node, first;

	node = cp_depgraph_add(c->graph, v.s, v.len, &first);
	if (c->col[C_ID] < 0)
		;	/* reported once, as a missing column */
	else if (v.len == 0)
		problem(c, 1, row->line, id, "id is empty");
	else if (first != node)
		problem(c, 1, row->line, id, "duplicate id (first on line %lu)", c->rows[first].line);
	return id;
}

/* Syntax of the deps entries, and the graph's edges; existence and versions wait for finish. */
static void
check_deps(struct cp_registry_check *c, const struct cp_csv_row *row, const char *id,
    size_t node, enum col k)
{
	struct val v = get(c, row, k);
	const char *p = v.s, *item;
	struct cp_semver_req req;
	size_t len, idlen;
	char q[160];

	while (cp_registry_list_next(&p, v.s + v.len, &item, &len)) {
		idlen = cp_registry_dep_idlen(item, len);
		if (idlen == 0) {
			cp_registry_quote(q, sizeof(q), item, len);
			problem(c, 1, row->line, id, "%s entry %s names no id", colname[k], q);
			continue;
		}
		if (idlen < len && k == C_DEPS &&
		    cp_semver_req_parse(item + idlen + 1, len - idlen - 1, &req) == -1) {
			cp_registry_quote(q, sizeof(q), item, len);
			problem(c, 1, row->line, id,
			    "%s entry %s: the constraint is not ^V, ~V, >=V, ==V or V with V a semantic version",
			    colname[k], q);
		}
		cp_depgraph_dep(c->graph, node, item, idlen);
		c->ndeps++;
	}
}

/* A conflicts id may not also be a dependency. */
static void
check_conflicts(struct cp_registry_check *c, const struct cp_csv_row *row, const char *id)
{
	struct val cv = get(c, row, C_CONFLICTS), dv = get(c, row, C_DEPS);
	const char *p = cv.s, *d, *item, *dep;
	size_t len, idlen, dlen;
	char q[160];

	while (cp_registry_list_next(&p, cv.s + cv.len, &item, &len)) {
		idlen = cp_registry_dep_idlen(item, len);
		for (d = dv.s; cp_registry_list_next(&d, dv.s + dv.len, &dep, &dlen);) {
			if (cp_registry_dep_idlen(dep, dlen) == idlen && idlen > 0 &&
			    memcmp(dep, item, idlen) == 0) {
				cp_registry_quote(q, sizeof(q), item, idlen);
				problem(c, 1, row->line, id, "%s is both a dependency and a conflict", q);
				break;
			}
		}
	}
}

static void check_attestation(struct cp_registry_check *c, const struct cp_csv_row *row,
    const char *id, struct val st);

static void
check_package(struct cp_registry_check *c, const struct cp_csv_row *row,
    struct rowinfo *ri, size_t node)
{
	const char *id = ri->id;
	struct val v, st;
	struct cp_semver sv;
	size_t first;
	char q[160];

	check_enum(c, row, id, C_STATUS, status_values);
	check_enum(c, row, id, C_SELECTED, selected_values);
	check_enum(c, row, id, C_PRIORITY, priority_values);
	v = get(c, row, C_VERSION);
	if (c->col[C_VERSION] >= 0 && cp_semver_parse(v.s, v.len, &sv) == -1) {
		cp_registry_quote(q, sizeof(q), v.s, v.len);
		problem(c, 1, row->line, id,
		    "version %s is not a semantic version (MAJOR.MINOR.PATCH[-pre-release][+build])", q);
	}
	if (c->col[C_SOURCE] >= 0 && get(c, row, C_SOURCE).len == 0)
		problem(c, 1, row->line, id, "source is empty");
	check_enum(c, row, id, C_SOURCE_TYPE, source_type_values);
	st = get(c, row, C_SOURCE_TYPE);
	if (c->col[C_DIGEST] >= 0 && get(c, row, C_DIGEST).len == 0 &&
	    !(st.len == 5 && memcmp(st.s, "local", 5) == 0))
		problem(c, 1, row->line, id, "digest is missing (only source_type local may omit it)");
	check_digest(c, row, id, C_DIGEST);
	check_attestation(c, row, id, st);
	check_enum(c, row, id, C_PLATFORM, platform_values);
	check_enum(c, row, id, C_ARCH, arch_values);
	check_deps(c, row, id, node, C_DEPS);
	check_conflicts(c, row, id);
	v = get(c, row, C_NAME);
	/* as validate_packages.py: only two digests can differ (a local row may have none) */
	if (v.len > 0 && !cp_strmap_add(c->names, v.s, v.len, node, &first) &&
	    *c->rows[first].digest != '\0' && *ri->digest != '\0' &&
	    strcmp(c->rows[first].digest, ri->digest) != 0) {
		cp_registry_quote(q, sizeof(q), v.s, v.len);
		problem(c, 1, row->line, id, "name %s has another digest on line %lu",
		    q, c->rows[first].line);
	}
	check_enum(c, row, id, C_OUTPUT_TYPE, output_type_values);
	v = get(c, row, C_OUTPUT_TYPE);
	if (v.len == 8 && memcmp(v.s, "external", 8) == 0 && get(c, row, C_OUTPUT_PATH).len == 0)
		problem(c, 1, row->line, id, "output_type external needs an output_path");
}

/* A path component ".." anywhere in p[0..len). */
static int
has_dotdot(const char *p, size_t len)
{
	size_t i = 0, j;

	while (i < len) {
		for (j = i; j < len && p[j] != '/'; j++)
			;
		if (j - i == 2 && p[i] == '.' && p[i + 1] == '.')
			return 1;
		i = j + 1;
	}
	return 0;
}

static void
check_control_plane(struct cp_registry_check *c, const struct cp_csv_row *row,
    struct rowinfo *ri, size_t node)
{
	const char *id = ri->id;
	struct val v = get(c, row, C_ARTIFACT_PATH);
	char q[160];

	if (c->col[C_ARTIFACT_PATH] < 0)
		;
	else if (v.len == 0)
		problem(c, 1, row->line, id, "artifact_path is empty");
	else if (v.s[0] != '/') {
		cp_registry_quote(q, sizeof(q), v.s, v.len);
		problem(c, 1, row->line, id,
		    "artifact_path %s is not plane-relative with a leading /", q);
	} else if (has_dotdot(v.s, v.len)) {
		cp_registry_quote(q, sizeof(q), v.s, v.len);
		problem(c, 1, row->line, id, "artifact_path %s leaves the plane (..)", q);
	}
	check_digest(c, row, id, C_CONTENT_HASH);
	if (strcmp(id, "REG-CP") == 0 && get(c, row, C_CONTENT_HASH).len > 0)
		problem(c, 0, row->line, id,
		    "content_hash of the control-plane registry's own row cannot be its hash; leave it empty");
	check_deps(c, row, id, node, C_DEPENDENCIES);
}

/*
 * With the plane's root (cp_registry_check_files), as validate_packages.py
 * checks it: an active tar row's attestation_path must exist (WARN) and
 * hash to its attestation_digest (FAIL), read beneath the root without
 * following a symlink.
 */
static void
check_attestation(struct cp_registry_check *c, const struct cp_csv_row *row, const char *id,
    struct val st)
{
	struct val ap = get(c, row, C_ATT_PATH), ad = get(c, row, C_ATT_DIGEST), status;
	struct cp_sha256 h = { 0 };
	unsigned char d[CP_SHA256_LEN], buf[65536];
	char hex[CP_SHA256_HEXLEN + 1], *rel, q[96];
	uint64_t size;
	const char *p;
	int fd;

	status = get(c, row, C_STATUS);
	if (c->rootfd < 0 || ap.len == 0 || !(st.len == 3 && memcmp(st.s, "tar", 3) == 0) ||
	    !(status.len == 6 && memcmp(status.s, "active", 6) == 0))
		return;
	for (p = ap.s; p < ap.s + ap.len && *p == '/'; p++)
		;
	rel = xstrndup(p, ap.len - (size_t)(p - ap.s));
	cp_registry_quote(q, sizeof(q), ap.s, ap.len);
	if ((fd = cp_beneath_open(c->rootfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, NULL)) == -1) {
		problem(c, 0, row->line, id, "attestation_path %s does not exist (or leaves the plane)", q);
		free(rel);
		return;
	}
	free(rel);
	if (ad.len > 0) {
		if (cp_sha256_init(&h) == -1 || cp_sha256_fd(&h, fd, buf, sizeof(buf), d, &size) == -1)
			problem(c, 1, row->line, id, "attestation_path %s cannot be read", q);
		else {
			cp_hex_encode(d, sizeof(d), hex);
			if (ad.len != CP_SHA256_HEXLEN || memcmp(ad.s, hex, CP_SHA256_HEXLEN) != 0)
				problem(c, 1, row->line, id, "attestation_digest mismatch: %s hashes "
				    "to %s", q, hex);
		}
		cp_sha256_free(&h);
	}
	close(fd);
}

void
cp_registry_check_files(struct cp_registry_check *c, int rootfd)
{
	c->rootfd = rootfd;
}

/*
 * No field that names, routes or identifies holds a control character (C0
 * or DEL): a tab, a newline or a unit separator in such a field is how a row
 * read one way is split another way by a line- or delimiter-based reader,
 * and no such value needs one.  Free text (name, category, purpose,
 * license, config) may span lines, as CSV allows.
 */
static int
free_text(const char *col)
{
	static const char *const cols[] = { "name", "category", "purpose", "license", "config" };

	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (strcmp(col, cols[i]) == 0)
			return 1;
	return 0;
}

static void
check_controls(struct cp_registry_check *c, const struct cp_csv_row *row, const char *id)
{
	char q[96], col[96];
	const char *name;
	size_t k;

	for (k = 0; k < row->nfields && k < cp_csv_ncolumns(c->r); k++) {
		name = cp_csv_colname(c->r, k);
		if (free_text(name) || cp_quote_control_at(row->field[k], row->len[k]) == row->len[k])
			continue;
		cp_registry_quote(q, sizeof(q), row->field[k], row->len[k]);
		/* a known column's name as it is; any other (a header's own
		 * text, hostile as any field) quoted */
		if (known_column(c->kind, name))
			snprintf(col, sizeof(col), "%s", name);
		else
			cp_registry_quote(col, sizeof(col), name, strlen(name));
		problem(c, 1, row->line, id, "%s %s holds a control character", col, q);
	}
}

void
cp_registry_check_row(struct cp_registry_check *c, const struct cp_csv_row *row)
{
	struct rowinfo *ri;
	struct val v;
	size_t node = c->nrows;

	if (c->nrows == c->rowcap) {
		c->rowcap = c->rowcap ? 2 * c->rowcap : 1024;
		c->rows = xreallocarray(c->rows, c->rowcap, sizeof(*c->rows));
	}
	ri = &c->rows[c->nrows++];
	ri->line = row->line;
	ri->id = check_id(c, row);
	v = get(c, row, C_VERSION);
	ri->version = cp_arena_strndup(&c->strs, v.s, v.len);
	v = get(c, row, C_DIGEST);
	ri->digest = cp_arena_strndup(&c->strs, v.s, v.len);
	v = get(c, row, c->kind == CP_REGISTRY_PACKAGES ? C_DEPS : C_DEPENDENCIES);
	ri->deps = cp_arena_strndup(&c->strs, v.s, v.len);
	ri->firstdep = c->ndeps;
	check_controls(c, row, ri->id);
	if (c->kind == CP_REGISTRY_PACKAGES)
		check_package(c, row, ri, node);
	else
		check_control_plane(c, row, ri, node);
}

/* Every dependency exists, and (packages) its version satisfies the constraint. */
static void
check_dep_targets(struct cp_registry_check *c, const struct rowinfo *ri)
{
	const char *p = ri->deps, *end = p + strlen(p), *item;
	const char *column = c->kind == CP_REGISTRY_PACKAGES ? "dependency" : "dependencies entry";
	struct cp_semver_req req;
	struct cp_semver have;
	size_t len, idlen, dep, k = ri->firstdep;
	char q[160], qv[160];

	/* The entries come in the order check_deps recorded them, and skip the same ones. */
	while (cp_registry_list_next(&p, end, &item, &len)) {
		if ((idlen = cp_registry_dep_idlen(item, len)) == 0)
			continue;
		if (!cp_depgraph_target(c->graph, k++, &dep)) {
			cp_registry_quote(q, sizeof(q), item, idlen);
			problem(c, 1, ri->line, ri->id, "%s %s does not exist", column, q);
			continue;
		}
		if (c->kind != CP_REGISTRY_PACKAGES || idlen == len ||
		    cp_semver_req_parse(item + idlen + 1, len - idlen - 1, &req) == -1 ||
		    cp_semver_parse(c->rows[dep].version, strlen(c->rows[dep].version), &have) == -1)
			continue;	/* no constraint, or a bad one already reported */
		if (!cp_semver_req_match(&req, &have)) {
			cp_registry_quote(q, sizeof(q), item, len);
			cp_registry_quote(qv, sizeof(qv), c->rows[dep].version,
			    strlen(c->rows[dep].version));
			problem(c, 1, ri->line, ri->id,
			    "dependency %s is not satisfied by version %s (line %lu)", q, qv,
			    c->rows[dep].line);
		}
	}
}

static void
check_cycles(struct cp_registry_check *c)
{
	size_t *members, *bounds, n, i, k, shown;
	char msg[700], q[160];
	size_t o;

	n = cp_depgraph_cycles(c->graph, &members, &bounds);
	for (i = 0; i < n; i++) {
		o = 0;
		shown = bounds[i + 1] - bounds[i] > 8 ? 8 : bounds[i + 1] - bounds[i];
		for (k = 0; k < shown; k++) {
			const char *id = c->rows[members[bounds[i] + k]].id;

			cp_registry_quote(q, sizeof(q), id, strlen(id));
			o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%s", k ? ", " : "", q);
		}
		if (shown < bounds[i + 1] - bounds[i])
			snprintf(msg + o, sizeof(msg) - o, " and %zu more",
			    bounds[i + 1] - bounds[i] - shown);
		k = members[bounds[i]];
		problem(c, 1, c->rows[k].line, c->rows[k].id, "dependency cycle among %s", msg);
	}
	free(members);
	free(bounds);
}

static int
by_line(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->p.line != y->p.line)
		return x->p.line < y->p.line ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

size_t
cp_registry_check_finish(struct cp_registry_check *c,
    const struct cp_registry_problem **problems)
{
	size_t i;

	for (i = 0; i < c->nrows; i++)
		check_dep_targets(c, &c->rows[i]);
	if (c->kind == CP_REGISTRY_PACKAGES)
		check_cycles(c);
	if (c->nprobs > 0)
		qsort(c->probs, c->nprobs, sizeof(*c->probs), by_line);
	c->sorted = xreallocarray(NULL, c->nprobs + 1, sizeof(*c->sorted));
	for (i = 0; i < c->nprobs; i++)
		c->sorted[i] = c->probs[i].p;
	*problems = c->sorted;
	return c->nprobs;
}

void
cp_registry_check_free(struct cp_registry_check *c)
{
	if (c == NULL)
		return;
	cp_arena_free(&c->strs);
	cp_depgraph_free(c->graph);
	cp_strmap_free(c->names);
	free(c->rows);
	free(c->probs);
	free(c->sorted);
	free(c);
}
