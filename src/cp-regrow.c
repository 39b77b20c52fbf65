/* cp-regrow: registry rows (CSV) in, registry rows out: query, update in place, validate, compile.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <libgen.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/atomic.h"
#include "base/beneath.h"
#include "base/err.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "cli/prog.h"
#include "cli/num.h"
#include "plane/deps.h"
#include "registry/registry.h"
#include "registry/view.h"
#include "text/csv.h"

static const char help[] =
"usage: cp-regrow [-f FILE] [-k COLUMN] [--json | --field COLUMN] get ID\n"
"       cp-regrow [-f FILE] [--json | --field COLUMN] select [COLUMN=VALUE ...]\n"
"       cp-regrow [-f FILE | -i FILE [--kind KIND]] [-k COLUMN] set ID COLUMN=VALUE ...\n"
"       cp-regrow [-f FILE | -i FILE [--kind KIND]] [-k COLUMN] add COLUMN=VALUE ...\n"
"       cp-regrow [-f FILE | -i FILE [--kind KIND]] [-k COLUMN] upsert COLUMN=VALUE ...\n"
"       cp-regrow [-f FILE | -i FILE] [-k COLUMN] del ID\n"
"       cp-regrow [-f FILE] [-k COLUMN] [-o OUT [--root DIR]] sync\n"
"       cp-regrow [-f FILE] [--json] [--kind KIND] [--root DIR] validate\n"
"\n"
"Read a registry (CSV as Python's csv.DictWriter writes it) from standard\n"
"input or FILE; print rows, the registry changed, the compiled view, or the\n"
"problems found.  Output is byte-identical to what csv.DictWriter writes.\n"
"\n"
"  get ID               the row whose key is ID (CSV with header, or --json)\n"
"  select [COL=VAL ...] the rows where every COL equals VAL (all rows with none)\n"
"  set ID COL=VAL ...   change those fields of the row ID\n"
"  add COL=VAL ...      append a row (the key column must be given)\n"
"  upsert COL=VAL ...   set when the row exists, else add\n"
"  del ID               remove the row ID\n"
"  sync                 {\"packages\":[rows],\"install_order\":[ids]}, deps first\n"
"  validate             every rule of the registry format, one line per problem\n"
"\n"
"  -f, --file FILE      read FILE instead of standard input\n"
"  -i, --in-place FILE  update FILE under a lock, atomically (set add upsert del)\n"
"  -k, --key COLUMN     the column holding the row ids (default: id)\n"
"  -o, --output OUT     sync: write OUT atomically, and only when sync succeeds\n"
"      --field COL[,COL...]  get, select: print only those fields, raw, tab-separated\n"
"      --json           get: an object; select: JSON Lines; validate: a report\n"
"      --root DIR       validate: also check the files rows name in the plane DIR\n"
"                       (an active tar row's attestation_path and attestation_digest);\n"
"                       sync -o: OUT is a path beneath DIR, no symlink followed\n"
"      --kind KIND      packages or control-plane: the rules validate applies (else\n"
"                       told by the header); with -i, a missing FILE starts empty\n"
"      --max-field N    refuse a field longer than N bytes (default 1048576)\n"
"  -h, --help           print this help\n"
"      --version        print the version\n"
"\n"
"Exit status: 0 success (validate: no FAIL), 1 a negative answer (get, set, del:\n"
"no such row; add: the row exists; validate: a FAIL), 2 an error (malformed\n"
"registry, unknown column, I/O error, bad usage).\n";

enum { OPT_JSON = 256, OPT_FIELD, OPT_KIND, OPT_MAX_FIELD, OPT_VERSION, OPT_ROOT };

static const struct option longopts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "in-place", required_argument, NULL, 'i' },
	{ "key", required_argument, NULL, 'k' },
	{ "output", required_argument, NULL, 'o' },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "max-field", required_argument, NULL, OPT_MAX_FIELD },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

enum verb { GET, SELECT, SET, ADD, UPSERT, DEL, SYNC, VALIDATE };

static const struct {
	const char *name;
	enum verb verb;
	int writes, json, minargs, maxargs;	/* maxargs -1: any number */
} verbs[] = {
	{ "get", GET, 0, 1, 1, 1 },
	{ "select", SELECT, 0, 1, 0, -1 },
	{ "set", SET, 1, 0, 2, -1 },
	{ "add", ADD, 1, 0, 1, -1 },
	{ "upsert", UPSERT, 1, 0, 1, -1 },
	{ "del", DEL, 1, 0, 1, 1 },
	{ "sync", SYNC, 0, 0, 0, 0 },
	{ "validate", VALIDATE, 0, 1, 0, 0 },
};

struct opts {
	const char *file, *inplace, *key;
	const char *output;	/* sync -o: the file written */
	const char *field;	/* --field: the column printed raw */
	const char *root;	/* validate --root: the plane whose files rows name */
	int json;
	enum cp_registry_kind kind;
	struct cp_csv_limits lim;
	int v;			/* index in verbs */
	char **args;
	int nargs;
};

/* One run: the registry being read and where the result goes. */
struct run {
	const struct opts *o;
	enum verb verb;
	struct cp_csv_reader *r;
	const char *name;	/* the input, as messages name it */
	FILE *out;
	long key;		/* the key column */
	long *fieldcol;		/* --field's columns */
	size_t nfield;		/* how many: 0 without --field */
	size_t ncols;
	char **field;		/* a row being built: ncols fields */
	size_t *len;
	struct cp_view *view;	/* --json: rows as objects */
	struct cp_json w;	/* on out */
};

/* COLUMN=VALUE, checked against the header. */
struct assign {
	size_t col;
	char *val;
	size_t len;
};

static int
csv_failed(const struct run *x)
{
	warnx("%s", cp_csv_error(x->r)->msg);
	return CP_EXIT_ERR;
}

static int
is_key(const struct run *x, const struct cp_csv_row *row, const char *id)
{
	return strcmp(row->field[x->key], id) == 0;
}

static int
parse_assignments(const struct run *x, char **args, int n, struct assign *as)
{
	char *eq;
	size_t bad;
	long col;
	int i;

	for (i = 0; i < n; i++) {
		if ((eq = strchr(args[i], '=')) == NULL) {
			warnx("%s: not COLUMN=VALUE", args[i]);
			return -1;
		}
		{
			char *name = xstrndup(args[i], (size_t)(eq - args[i]));

			col = cp_csv_column(x->r, name);
			if (col < 0)
				warnx("%s: unknown column %s", x->name, name);
			free(name);
		}
		if (col < 0)
			return -1;
		as[i].col = (size_t)col;
		as[i].val = eq + 1;
		as[i].len = strlen(eq + 1);
		if (!cp_utf8_valid(as[i].val, as[i].len, &bad)) {
			warnx("value of %s is not valid UTF-8", cp_csv_colname(x->r, as[i].col));
			return -1;
		}
		if (as[i].len > x->o->lim.max_field) {
			warnx("value of %s is longer than %zu bytes", cp_csv_colname(x->r, as[i].col),
			    x->o->lim.max_field);
			return -1;
		}
	}
	return 0;
}

/*
 * --field: the chosen fields of a row on a line of their own, separated by
 * tabs.  A tab or line break in one would split it: refused (0), --json
 * carries any value.  The one field of get is printed whatever it holds:
 * the whole output is the value.  LINE is the row's line for the message.
 */
static int
field_line(const struct run *x, const char *const *field, const size_t *len, unsigned long line)
{
	size_t i;

	for (i = 0; i < x->nfield && (x->verb != GET || x->nfield > 1); i++) {
		const char *v = field[x->fieldcol[i]];
		size_t n = len[x->fieldcol[i]];

		if (memchr(v, '\n', n) != NULL || memchr(v, '\r', n) != NULL ||
		    memchr(v, '\t', n) != NULL) {
			warnx("%s:%lu: a --field value holds a tab or line break: use --json",
			    x->name, line);
			return 0;
		}
	}
	for (i = 0; i < x->nfield; i++) {
		if (i > 0)
			putc('\t', x->out);
		fwrite(field[x->fieldcol[i]], 1, len[x->fieldcol[i]], x->out);
	}
	putc('\n', x->out);
	return 1;
}

/* get: read everything (a malformed registry answers nothing), then print the first match. */
static int
get_mode(struct run *x)
{
	const char *id = x->o->args[0];
	struct cp_arena kept = { NULL };
	struct cp_csv_row row;
	int rc, found = 0;
	size_t k;

	while ((rc = cp_csv_read_row(x->r, &row)) == 1) {
		if (found || !is_key(x, &row, id))
			continue;
		found = 1;
		for (k = 0; k < x->ncols; k++) {
			x->field[k] = cp_arena_strndup(&kept, row.field[k], row.len[k]);
			x->len[k] = row.len[k];
		}
	}
	if (rc < 0) {
		cp_arena_free(&kept);
		return csv_failed(x);
	}
	if (found && x->nfield > 0) {
		if (!field_line(x, (const char *const *)x->field, x->len, 0)) {
			cp_arena_free(&kept);
			return CP_EXIT_ERR;
		}
	} else if (found && x->o->json) {
		cp_view_row(x->view, &x->w, x->field, x->len);
		cp_json_endl(&x->w);
	} else if (found) {
		cp_csv_write_header(x->out, x->r);
		cp_csv_write_fields(x->out, x->ncols, x->field, x->len);
	}
	cp_arena_free(&kept);
	if (!found)
		warnx("%s: no row with %s %s", x->name, x->o->key, id);
	return found ? CP_EXIT_YES : CP_EXIT_NO;
}

static int
select_mode(struct run *x)
{
	struct assign *as = xreallocarray(NULL, (size_t)x->o->nargs + 1, sizeof(*as));
	struct cp_csv_row row;
	int rc, i, match;

	if (parse_assignments(x, x->o->args, x->o->nargs, as) == -1) {
		free(as);
		return CP_EXIT_ERR;
	}
	if (!x->o->json && x->nfield == 0)
		cp_csv_write_header(x->out, x->r);
	while ((rc = cp_csv_read_row(x->r, &row)) == 1) {
		for (i = 0, match = 1; i < x->o->nargs && match; i++)
			match = row.len[as[i].col] == as[i].len &&
			    memcmp(row.field[as[i].col], as[i].val, as[i].len) == 0;
		if (!match)
			continue;
		if (x->nfield > 0) {
			if (!field_line(x, (const char *const *)row.field, row.len, row.line))
				break;
		} else if (x->o->json) {
			cp_view_row(x->view, &x->w, row.field, row.len);
			cp_json_endl(&x->w);
		} else
			cp_csv_write_row(x->out, &row);
	}
	free(as);
	if (rc == 1)
		return CP_EXIT_ERR;	/* field_line said why */
	return rc < 0 ? csv_failed(x) : CP_EXIT_YES;
}

/* Write row (NULL: a new, empty one) with the assignments applied. */
static void
write_assigned(struct run *x, const struct cp_csv_row *row, const struct assign *as, int n)
{
	static char empty[] = "";
	size_t k;
	int i;

	for (k = 0; k < x->ncols; k++) {
		x->field[k] = row ? row->field[k] : empty;
		x->len[k] = row ? row->len[k] : 0;
	}
	for (i = 0; i < n; i++) {
		x->field[as[i].col] = as[i].val;
		x->len[as[i].col] = as[i].len;
	}
	cp_csv_write_fields(x->out, x->ncols, x->field, x->len);
}

/* The key an add or upsert gives: the last key=VALUE.  NULL when there is none. */
static const char *
assigned_key(const struct run *x, const struct assign *as, int n)
{
	const char *id = NULL;
	int i;

	for (i = 0; i < n; i++)
		if (as[i].col == (size_t)x->key)
			id = as[i].val;
	return id;
}

/* set, add, upsert, del: copy the registry, changing the rows whose key is the id. */
static int
edit_mode(struct run *x)
{
	const char *id = NULL, *keyname = cp_csv_colname(x->r, (size_t)x->key);
	int skip = x->verb == SET || x->verb == DEL;	/* the first argument is the id */
	int n = x->o->nargs - skip, rc;
	struct assign *as = xreallocarray(NULL, (size_t)n + 1, sizeof(*as));
	struct cp_csv_row row;
	unsigned long found = 0;

	if (parse_assignments(x, x->o->args + skip, n, as) == -1)
		goto error;
	id = skip ? x->o->args[0] : assigned_key(x, as, n);
	if (id == NULL || *id == '\0') {
		warnx("%s needs %s=VALUE, not empty", verbs[x->o->v].name, keyname);
		goto error;
	}
	if (x->verb == SET && assigned_key(x, as, n) != NULL &&
	    strcmp(assigned_key(x, as, n), id) != 0) {
		warnx("set cannot change the key column %s (del and add instead)", keyname);
		goto error;
	}
	cp_csv_write_header(x->out, x->r);
	while ((rc = cp_csv_read_row(x->r, &row)) == 1) {
		if (!is_key(x, &row, id)) {
			cp_csv_write_row(x->out, &row);
			continue;
		}
		found++;
		if (x->verb == SET || x->verb == UPSERT)
			write_assigned(x, &row, as, n);
		else if (x->verb == ADD)
			cp_csv_write_row(x->out, &row);
	}
	if (rc < 0) {
		csv_failed(x);
		goto error;
	}
	rc = CP_EXIT_YES;
	if (x->verb == ADD && found) {
		warnx("%s: %s %s already exists", x->name, keyname, id);
		rc = CP_EXIT_NO;
	} else if ((x->verb == SET || x->verb == DEL) && !found) {
		warnx("%s: no row with %s %s", x->name, keyname, id);
		rc = CP_EXIT_NO;
	} else if ((x->verb == ADD || x->verb == UPSERT) && !found)
		write_assigned(x, NULL, as, n);
	free(as);
	return rc;
error:
	free(as);
	return CP_EXIT_ERR;
}

/*
 * The compiled view, package_sync.py's bytes; status 2 where the registry
 * has what that script passes over: a repeated id, a dependency on no row,
 * a cycle (validate says which rows).
 */
static int
sync_mode(struct run *x)
{
	struct cp_view_sync_problems pr;
	struct cp_err e;

	if (cp_view_sync(x->r, (size_t)x->key, x->out, &pr, &e) == -1) {
		warnx("%s", e.msg);
		return CP_EXIT_ERR;
	}
	if (pr.duplicates > 0)
		warnx("%s: duplicate ids: %zu row%s repeat%s an earlier row's id, first %s (see validate)",
		    x->name, pr.duplicates, pr.duplicates == 1 ? "" : "s",
		    pr.duplicates == 1 ? "s" : "", pr.dup);
	if (pr.missing > 0)
		warnx("%s: missing dependencies: %zu entr%s name%s no row, first %s (see validate)",
		    x->name, pr.missing, pr.missing == 1 ? "y" : "ies", pr.missing == 1 ? "s" : "",
		    pr.miss);
	if (pr.cycles > 0)
		warnx("%s: dependency cycles: %zu dependenc%s lead%s back to a row that needs %s (see validate)",
		    x->name, pr.cycles, pr.cycles == 1 ? "y" : "ies", pr.cycles == 1 ? "s" : "",
		    pr.cycles == 1 ? "it" : "them");
	return pr.duplicates + pr.missing + pr.cycles > 0 ? CP_EXIT_ERR : CP_EXIT_YES;
}

static void
print_problem(const struct run *x, const struct cp_registry_problem *p)
{
	char q[160];

	if (p->id != NULL) {
		cp_registry_quote(q, sizeof(q), p->id, strlen(p->id));
		q[strlen(q) - 1] = '\0';	/* the id stands in parentheses, not quotes */
	}
	fprintf(x->out, "%s: %s:%lu (%s): %s\n", p->fail ? "FAIL" : "WARN", x->name, p->line,
	    p->id != NULL ? q + 1 : "header", p->what);
}

static void
print_report(struct run *x, enum cp_registry_kind kind, size_t rows,
    const struct cp_registry_problem *p, size_t n, size_t fails)
{
	struct cp_json *w = &x->w;
	size_t i;

	cp_json_obj(w);
	cp_json_kstr(w, "file", x->name);
	cp_json_kstr(w, "kind", cp_registry_kind_name(kind));
	cp_json_kbool(w, "valid", fails == 0);
	cp_json_kuint(w, "rows", rows);
	cp_json_kuint(w, "failures", fails);
	cp_json_kuint(w, "warnings", n - fails);
	cp_json_key(w, "problems");
	cp_json_arr(w);
	for (i = 0; i < n; i++) {
		cp_json_obj(w);
		cp_json_kstr(w, "level", p[i].fail ? "FAIL" : "WARN");
		cp_json_kuint(w, "line", p[i].line);
		cp_json_kstr(w, "id", p[i].id);
		cp_json_kstr(w, "message", p[i].what);
		cp_json_end(w);
	}
	cp_json_endl(w);
}

/*
 * After the n problems p: a WARN for each installed package (a receipt in
 * the plane rootfd's installed/) whose dependency is not installed.  *more
 * gets p's copy with them (the caller frees the array and the added
 * messages), or stays NULL when there are none.  Returns their number.
 */
static size_t
missing_deps(int rootfd, const struct cp_registry_problem *p, size_t n,
    struct cp_registry_problem **more)
{
	struct cp_deps *d;
	struct cp_err e;
	const char **pairs;
	size_t k, added;

	if (cp_deps_load(rootfd, &d, &e) == -1)
		return 0;
	if ((added = cp_deps_broken(d, &pairs)) > 0) {
		*more = xreallocarray(NULL, n + added, sizeof(**more));
		memcpy(*more, p, n * sizeof(*p));
		for (k = 0; k < added; k++) {
			struct cp_registry_problem *q = &(*more)[n + k];

			q->fail = 0;
			q->line = cp_deps_line(d, pairs[2 * k]);
			q->id = (char *)(uintptr_t)pairs[2 * k];
			char msg[512];

			snprintf(msg, sizeof(msg), "installed, but its dependency %.200s is not (make "
			    "install PKG=%.200s)", pairs[2 * k + 1], pairs[2 * k + 1]);
			q->what = xstrdup(msg);
		}
	}
	/* the ids point into d: copied before it goes */
	for (k = 0; k < added; k++)
		(*more)[n + k].id = xstrdup((*more)[n + k].id);
	free(pairs);
	cp_deps_free(d);
	return added;
}

static int
validate_mode(struct run *x)
{
	enum cp_registry_kind kind = x->o->kind;
	const struct cp_registry_problem *p;
	struct cp_registry_check *c;
	struct cp_csv_row row;
	struct cp_registry_problem *more = NULL;
	size_t n, i, rows = 0, fails = 0, added = 0;
	int rc, rootfd = -1;

	if (kind == CP_REGISTRY_UNKNOWN)
		kind = cp_registry_kind_of(x->r);
	if (kind == CP_REGISTRY_UNKNOWN) {
		warnx("%s: the header is neither a packages nor a control-plane registry's (use --kind)",
		    x->name);
		return CP_EXIT_ERR;
	}
	c = cp_registry_check_new(kind, x->r);
	if (x->o->root != NULL) {
		if ((rootfd = open(x->o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			warn("%s", x->o->root);
			cp_registry_check_free(c);
			return CP_EXIT_ERR;
		}
		cp_registry_check_files(c, rootfd);
	}
	while ((rc = cp_csv_read_row(x->r, &row)) == 1) {
		cp_registry_check_row(c, &row);
		rows++;
	}
	if (rc < 0) {
		if (rootfd >= 0)
			close(rootfd);
		cp_registry_check_free(c);
		return csv_failed(x);
	}
	n = cp_registry_check_finish(c, &p);
	for (i = 0; i < n; i++)
		fails += p[i].fail != 0;
	/* --root, a packages registry: installed packages whose dependencies are not (a WARN) */
	if (rootfd >= 0 && kind == CP_REGISTRY_PACKAGES)
		added = missing_deps(rootfd, p, n, &more);
	if (rootfd >= 0)
		close(rootfd);
	if (more != NULL)
		p = more;
	if (x->o->json)
		print_report(x, kind, rows, p, n + added, fails);
	else
		for (i = 0; i < n + added; i++)
			print_problem(x, &p[i]);
	for (i = n; i < n + added; i++) {
		free(more[i].what);
		free(more[i].id);
	}
	free(more);
	cp_registry_check_free(c);
	return fails ? CP_EXIT_NO : CP_EXIT_YES;
}

/* Resolve --field's comma list of columns; -1 (said) for an unknown one. */
static int
field_columns(struct run *x)
{
	const char *p = x->o->field, *comma;
	char *name;
	long col;

	for (;;) {
		comma = strchr(p, ',');
		name = xstrndup(p, comma != NULL ? (size_t)(comma - p) : strlen(p));
		col = cp_csv_column(x->r, name);
		if (col < 0) {
			warnx("%s: unknown column %s", x->name, name);
			free(name);
			return -1;
		}
		free(name);
		x->fieldcol = xreallocarray(x->fieldcol, x->nfield + 1, sizeof(*x->fieldcol));
		x->fieldcol[x->nfield++] = col;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Read the header, find the key column, run the verb. */
static int
run_verb(struct run *x)
{
	struct cp_err e;
	int status;

	if (cp_csv_read_header(x->r) == -1)
		return csv_failed(x);
	x->ncols = cp_csv_ncolumns(x->r);
	x->key = cp_csv_column(x->r, x->o->key);
	if (x->key < 0 && x->verb != SELECT && x->verb != VALIDATE) {
		warnx("%s: no key column %s", x->name, x->o->key);
		return CP_EXIT_ERR;
	}
	if (x->o->field != NULL && field_columns(x) == -1)
		return CP_EXIT_ERR;
	x->field = xreallocarray(NULL, x->ncols, sizeof(*x->field));
	x->len = xreallocarray(NULL, x->ncols, sizeof(*x->len));
	cp_json_init(&x->w, x->out);
	if (x->o->json && (x->verb == GET || x->verb == SELECT) &&
	    (x->view = cp_view_new(x->r, &e)) == NULL)
		errx(CP_EXIT_ERR, "%s", e.msg);
	/* One thread writes: skip stdio's locking on every putc and fwrite of the output. */
	__fsetlocking(x->out, FSETLOCKING_BYCALLER);
	switch (x->verb) {
	case GET: status = get_mode(x); break;
	case SELECT: status = select_mode(x); break;
	case SYNC: status = sync_mode(x); break;
	case VALIDATE: status = validate_mode(x); break;
	default: status = edit_mode(x); break;
	}
	cp_view_free(x->view);
	free(x->field);
	free(x->len);
	free(x->fieldcol);
	return status;
}

/* A registry that does not exist yet, for -i --kind: its header alone. */
static FILE *
empty_registry(enum cp_registry_kind kind)
{
	static char header[1024];
	const char *const *cols = cp_registry_columns(kind);
	size_t n = 0, k;

	for (k = 0; cols[k] != NULL; k++)
		n += (size_t)snprintf(header + n, sizeof(header) - n, "%s%s", k ? "," : "", cols[k]);
	n += (size_t)snprintf(header + n, sizeof(header) - n, "\r\n");
	return fmemopen(header, n, "r");
}

/*
 * The lock -i takes, leaving no lock file beside FILE.  A registry of a
 * plane (FILE in a directory named "registries", or beside the plane's .cp)
 * takes the plane's lock, .cp/plane.lock, which every cp-plane transaction
 * holds from start to end: -i and the gate never interleave.  Any other
 * FILE is locked through its directory (an flock on the directory itself).
 */
static int
lock_for(const char *path)
{
	char *copy = xstrdup(path), *dir = dirname(copy), *real, *plane;
	struct stat st;
	int lock = -1, fd, cpfd, e;

	if ((real = realpath(dir, NULL)) == NULL) {
		warn("%s", dir);
		free(copy);
		return -1;
	}
	plane = xpathjoin(real, "..");
	fd = open(plane, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1 && (strcmp(basename(real), "registries") == 0 ||
	    (fstatat(fd, ".cp", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)))) {
		if (mkdirat(fd, ".cp", 0755) == -1 && errno != EEXIST)
			warn("%s/.cp", plane);
		else if ((cpfd = openat(fd, ".cp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			warn("%s/.cp", plane);
		else {
			if ((lock = cp_lock_acquire_at(cpfd, "plane.lock")) == -1)
				warn("%s/.cp/plane.lock", plane);
			e = errno;
			close(cpfd);
			errno = e;
		}
	} else if ((lock = cp_lock_acquire_dir(real)) == -1)
		warn("%s", real);
	if (fd != -1)
		close(fd);
	free(plane);
	free(real);
	free(copy);
	return lock;
}

/* -i: lock, read FILE, write its replacement beside it, rename only on success. */
static int
in_place(struct run *x)
{
	const char *path = x->o->inplace;
	struct cp_atomic a;
	int lock, status;
	FILE *in;

	if ((lock = lock_for(path)) == -1)
		return CP_EXIT_ERR;
	in = fopen(path, "re");
	if (in == NULL && errno == ENOENT && x->o->kind != CP_REGISTRY_UNKNOWN)
		in = empty_registry(x->o->kind);
	if (in == NULL) {
		warn("%s", path);
		cp_lock_release(lock);
		return CP_EXIT_ERR;
	}
	/* From the temporary file to the rename, a signal waits: it then finds the edit done or never begun. */
	cp_prog_hold_signals();
	if (cp_atomic_open(&a, path, CP_ATOMIC_KEEP_MODE) == -1) {
		warn("%s", path);
		fclose(in);
		cp_lock_release(lock);
		cp_prog_release_signals();
		return CP_EXIT_ERR;
	}
	x->r = cp_csv_open(in, x->name, &x->o->lim);
	x->out = a.fp;
	status = run_verb(x);
	cp_csv_close(x->r);
	fclose(in);
	if (status != CP_EXIT_YES || cp_prog_signal_pending())
		cp_atomic_abort(&a);
	else if (cp_atomic_commit(&a) == -1) {
		warn("%s", path);
		status = CP_EXIT_ERR;
	}
	cp_lock_release(lock);
	cp_prog_release_signals();
	return status;
}

static int
from_stream(struct run *x, FILE *out)
{
	FILE *in = stdin;
	int status;

	if (x->o->file != NULL && strcmp(x->o->file, "-") != 0 &&
	    (in = fopen(x->o->file, "re")) == NULL) {
		warn("%s", x->o->file);
		return CP_EXIT_ERR;
	}
	/* A registry is not typed: a terminal here is a forgotten -f or "< FILE". */
	if (in == stdin && isatty(STDIN_FILENO)) {
		warnx("refusing to read a registry from a terminal: give one with -f FILE or \"< FILE\"");
		return CP_EXIT_ERR;
	}
	x->r = cp_csv_open(in, x->name, &x->o->lim);
	x->out = out;
	status = run_verb(x);
	cp_csv_close(x->r);
	if (in != stdin)
		fclose(in);
	return status;
}

/*
 * sync -o OUT: the view into a temporary file beside OUT, renamed over it
 * only when sync succeeded.  With --root DIR, OUT is resolved beneath DIR
 * (its directories made there) without following a symlink, so that a
 * plane's registries/compiled swapped for a link cannot send the write
 * elsewhere.
 */
static int
to_output(struct run *x)
{
	const char *out = x->o->output, *base = out;
	int rootfd = -1, dirfd = AT_FDCWD, rc, status;
	struct cp_atomic a;
	struct cp_err e;

	if (x->o->root != NULL) {
		if ((rootfd = open(x->o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			warn("%s", x->o->root);
			return CP_EXIT_ERR;
		}
		if ((dirfd = cp_beneath_parent(rootfd, out, 1, &base, &e)) == -1) {
			warnx("%s: %s", x->o->root, e.msg);
			close(rootfd);
			return CP_EXIT_ERR;
		}
	}
	cp_prog_hold_signals();
	rc = x->o->root != NULL ? cp_atomic_openat(&a, dirfd, base, 0644) :
	    cp_atomic_open(&a, out, CP_ATOMIC_KEEP_MODE);
	if (rc == -1) {
		warn("%s", out);
		status = CP_EXIT_ERR;
	} else {
		status = from_stream(x, a.fp);
		if (status != CP_EXIT_YES || cp_prog_signal_pending())
			cp_atomic_abort(&a);
		else if (cp_atomic_commit(&a) == -1) {
			warn("%s", out);
			status = CP_EXIT_ERR;
		}
	}
	cp_prog_release_signals();
	if (rootfd >= 0) {
		close(dirfd);
		close(rootfd);
	}
	return status;
}

int
main(int argc, char *argv[])
{
	struct opts o = { .key = "id" };
	struct run x = { 0 };
	size_t v;
	int c;

	cp_prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "f:i:k:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.file = optarg; break;
		case 'i': o.inplace = optarg; break;
		case 'k': o.key = optarg; break;
		case 'o': o.output = optarg; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_FIELD: o.field = optarg; break;
		case OPT_KIND:
			if ((o.kind = cp_registry_kind_parse(optarg)) == CP_REGISTRY_UNKNOWN)
				errx(CP_EXIT_ERR, "unknown kind %s (packages or control-plane)", optarg);
			break;
		case OPT_ROOT: o.root = optarg; break;
		case OPT_MAX_FIELD: o.lim.max_field = xnum(optarg, 1, (uint64_t)1 << 30, "field size"); break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	if (optind == argc)
		cp_prog_usage(help);
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
		if (strcmp(argv[optind], verbs[v].name) == 0)
			break;
	if (v == sizeof(verbs) / sizeof(verbs[0])) {
		warnx("unknown command %s", argv[optind]);
		cp_prog_usage(help);
	}
	o.v = (int)v;
	o.args = argv + optind + 1;
	o.nargs = argc - optind - 1;
	if (o.nargs < verbs[v].minargs || (verbs[v].maxargs >= 0 && o.nargs > verbs[v].maxargs))
		cp_prog_usage(help);
	if (o.lim.max_field == 0)
		o.lim.max_field = CP_CSV_MAX_FIELD;
	if (o.file && o.inplace)
		errx(CP_EXIT_ERR, "-f and -i exclude each other");
	if (o.inplace && !verbs[v].writes)
		errx(CP_EXIT_ERR, "-i updates a file: it needs set, add, upsert or del");
	if (o.json && !verbs[v].json)
		errx(CP_EXIT_ERR, "--json applies to get, select and validate");
	if (o.field && verbs[v].verb != GET && verbs[v].verb != SELECT)
		errx(CP_EXIT_ERR, "--field applies to get and select");
	if (o.field && o.json)
		errx(CP_EXIT_ERR, "--field and --json exclude each other");
	if (o.output && verbs[v].verb != SYNC)
		errx(CP_EXIT_ERR, "-o applies to sync");
	if (o.root && verbs[v].verb != VALIDATE && !o.output)
		errx(CP_EXIT_ERR, "--root applies to validate, and to sync -o");
	if (o.kind && verbs[v].verb != VALIDATE && !o.inplace)
		errx(CP_EXIT_ERR, "--kind applies to validate, and to -i");
	x.o = &o;
	x.verb = verbs[v].verb;
	x.name = o.inplace ? o.inplace : o.file ? o.file : "-";
	cp_prog_exit(o.inplace ? in_place(&x) : o.output ? to_output(&x) : from_stream(&x, stdout));
}
