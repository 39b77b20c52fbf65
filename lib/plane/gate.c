/* gate: the plane's operations for a caller with a token, each authorized, confined and one transaction.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "auth/auth.h"
#include "auth/roles.h"
#include "auth/user.h"
#include "base/abspath.h"
#include "base/atomic.h"
#include "base/beneath.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/lock.h"
#include "base/quote.h"
#include "base/relpath.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "hash/dsse.h"
#include "hash/merkle.h"
#include "hash/sha256.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "plane/deps.h"
#include "plane/gate.h"
#include "plane/integrity.h"
#include "plane/journal.h"
#include "plane/receipt.h"
#include "plane/trust.h"
#include "registry/edit.h"
#include "tar/tarcheck.h"
#include "tar/tarpack.h"
#include "tar/tarread.h"
#include "text/csv.h"
#include "text/sumline.h"

#define SIDECAR_MAX 4096
#define GENERATOR "cp-plane"

struct cp_gate {
	char *root;		/* canonical absolute path */
	int fd;			/* the root, O_DIRECTORY */
	char *ledger;		/* root/ledger */
	struct cp_auth auth;
	struct cp_identity id;
	int authenticated;	/* 0: the token was refused (reject says why) */
	const char *reject;
	int force;
	int dry_run;		/* plan only: nothing changed, nothing ledgered */
	void (*progress_total)(void *, uint64_t);	/* the caller's meter, or NULL */
	void (*progress)(void *, uint64_t);
	void *progress_arg;
	char **assumed;		/* a plan's packages before this one: counted as installed */
	size_t nassumed;
	int has_secret;		/* the secrets file's identity, which pack refuses */
	dev_t secret_dev;
	ino_t secret_ino;
};

/* The columns of a package row the engine reads. */
enum { F_NAME, F_VERSION, F_ENTITY, F_SOURCE, F_DIGEST, F_OTYPE, F_OPATH, F_APATH, NF };
static const char *const fcol[NF] = {
	"name", "version", "entity_type", "source", "digest", "output_type", "output_path",
	"artifact_path"
};

/* One file staged from an archive. */
struct sfile {
	char *path;			/* normalised, relative to the destination */
	char staged[40];		/* its name in the staging directory */
	char hex[CP_SHA256_HEXLEN + 1];
};

/* One operation in progress. */
struct op {
	struct cp_gate *g;
	struct cp_gate_result *r;
	const char *event;		/* package_install ... */
	const char *action;		/* install ... */
	const char *id;
	struct cp_journal *j;
	char *f[NF];			/* the package row, once loaded */
	enum cp_receipt_type type;
	int ext;			/* the destination is external (journal root 1) */
	char *dest_rel;			/* in the plane: "" for the root; external: "" */
	char *dest_abs;			/* absolute */
	char *shown;			/* as the receipt names it: ".", "modules", "/abs" */
	struct sfile *sf;
	size_t nsf;
	char archive_hex[CP_SHA256_HEXLEN + 1];
	struct cp_trust_verdict trust;	/* the archive's signature and provenance, as checked */
	int trust_required;
	char *trust_key;		/* the trusted key that verified it, or NULL */
	int prehashed;			/* archive_hex is the private copy's: no second hash */
	char **breaks;			/* forced: what the operation leaves broken (deps_gate) */
	size_t nbreaks;
};

/* --- results ------------------------------------------------------------------ */

static void __attribute__((format(printf, 4, 5)))
outcome(struct cp_gate_result *r, int exit, const char *status, const char *fmt, ...)
{
	va_list ap;
	char *s;

	r->exit = exit;
	r->status = status;
	free(r->reason);
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	r->reason = s != NULL ? s : xstrdup(fmt);
}

static void
set_hint(struct cp_gate_result *r, const char *hint)
{
	free(r->hint);
	r->hint = hint != NULL ? xstrdup(hint) : NULL;
}

static void
add_file(struct cp_gate_result *r, const char *path, const char *hex)
{
	r->files = xreallocarray(r->files, r->nfiles + 1, sizeof(*r->files));
	r->files[r->nfiles].path = xstrdup(path);
	snprintf(r->files[r->nfiles].sha256, sizeof(r->files[0].sha256), "%s", hex);
	r->nfiles++;
}

static void
add_name(char ***v, size_t *n, const char *path)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(path);
}

void
cp_gate_result_free(struct cp_gate_result *r)
{
	size_t i;

	free(r->package);
	free(r->user);
	free(r->reason);
	free(r->hint);
	free(r->destination);
	for (i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	for (i = 0; i < r->nmissing; i++)
		free(r->missing[i]);
	free(r->missing);
	for (i = 0; i < r->nmodified; i++)
		free(r->modified[i]);
	free(r->modified);
	free(r->warning);
	for (i = 0; i < r->nreplaced; i++)
		free(r->replaced[i]);
	free(r->replaced);
	for (i = 0; i < r->ndropped; i++)
		free(r->dropped[i]);
	free(r->dropped);
	for (i = 0; i < r->ndeps; i++)
		cp_gate_result_free(&r->deps[i]);
	free(r->deps);
	memset(r, 0, sizeof(*r));
}

/* The id and entry_hash of a written ledger line, into r. */
static void
note_entry(struct cp_gate_result *r, const char *line)
{
	json_t *o = line != NULL ? json_loads(line, 0, NULL) : NULL;
	const char *id, *h;

	if (o == NULL)
		return;
	id = json_string_value(json_object_get(o, "id"));
	h = json_string_value(json_object_get(o, "entry_hash"));
	snprintf(r->ledger_id, sizeof(r->ledger_id), "%s", id != NULL ? id : "");
	snprintf(r->entry_hash, sizeof(r->entry_hash), "%s", h != NULL ? h : "");
	json_decref(o);
}

/* The members every entry of an operation holds. */
static void
common_meta(struct op *o, struct cp_json *w)
{
	if (o->id != NULL)
		cp_json_kstr(w, "package_id", o->id);
	cp_json_kstr(w, "user", o->g->authenticated ? o->g->id.user : NULL);
	cp_json_kstr(w, "provider", o->g->auth.provider->name);
	/* oidc: who vouched for the user, as a denial records it */
	if (o->g->authenticated && o->g->id.issuer != NULL) {
		cp_json_kstr(w, "issuer", o->g->id.issuer);
		cp_json_kstr(w, "subject", o->g->id.subject);
	}
}

static int plane_dir_ok(struct cp_gate *g, const char *rel, int must_exist, struct cp_err *e);
static void recover_failed(struct cp_err *e);
static int open_root(const char *root, char **canon, struct cp_err *e);

/* --- the operation's frame ---------------------------------------------------- */

static void
op_init(struct op *o, struct cp_gate *g, struct cp_gate_result *r, const char *operation,
    const char *event, const char *action, const char *id)
{
	memset(r, 0, sizeof(*r));
	memset(o, 0, sizeof(*o));
	o->g = g;
	o->r = r;
	o->event = event;
	o->action = action;
	o->id = id;
	r->operation = operation;
	r->dry_run = g->dry_run;
	r->provider = g->auth.provider->name;
	if (g->authenticated && g->id.user != NULL)
		r->user = xstrdup(g->id.user);
	if (id != NULL)
		r->package = xstrdup(id);
}

static void
op_free(struct op *o)
{
	size_t i;

	if (o->j != NULL)
		cp_journal_abort(o->j);
	o->j = NULL;
	for (i = 0; i < NF; i++)
		free(o->f[i]);
	free(o->dest_rel);
	free(o->dest_abs);
	free(o->shown);
	free(o->trust_key);
	for (i = 0; i < o->nsf; i++)
		free(o->sf[i].path);
	free(o->sf);
	for (i = 0; i < o->nbreaks; i++)
		free(o->breaks[i]);
	free(o->breaks);
}

/*
 * Refuse: nothing of the transaction happens (the staging goes, the lock is
 * released), the refusal is one ledger entry, and r says why and what next.
 * Returns r->exit.
 */
static int __attribute__((format(printf, 4, 5)))
refuse(struct op *o, int exit, const char *hint, const char *fmt, ...)
{
	struct cp_gate_result *r = o->r;
	struct cp_event ev = { 0 };
	struct cp_err e;
	struct cp_json *w;
	char *line = NULL, *s;
	va_list ap;

	if (o->j != NULL)
		cp_journal_abort(o->j);
	o->j = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = xstrdup(fmt);
	va_end(ap);
	outcome(r, exit, exit == 2 ? "error" : "refused", "%s", s);
	free(s);
	set_hint(r, hint);
	if (o->g->dry_run)		/* a plan ledgers nothing, its refusals neither */
		return r->exit;
	if (plane_dir_ok(o->g, cp_layout_rel(CP_LAYOUT_LEDGER), 0, &e) == 0 &&
	    cp_event_begin(&ev, o->event, o->id != NULL ? o->id : "", "REFUSED", r->reason,
	    &e) == 0) {
		w = cp_event_metadata(&ev);
		common_meta(o, w);
		cp_json_kint(w, "exit", exit);
		if (hint != NULL)
			cp_json_kstr(w, "hint", hint);
		if (cp_event_append(&ev, o->g->ledger, &line, &e) == 0)
			note_entry(r, line);
	}
	if (r->ledger_id[0] == '\0') {
		free(r->warning);
		if (asprintf(&r->warning, "the refusal could not be ledgered: %s", e.msg) == -1)
			r->warning = NULL;
		r->exit = 2;
	}
	free(line);
	cp_event_free(&ev);
	return r->exit;
}

/* A refusal for a failure e reports (exit 2), with what was being done. */
static int
refuse_err(struct op *o, const char *what, const struct cp_err *e)
{
	return refuse(o, 2, NULL, "%s: %s", what, e->msg);
}

/* Authorize o->action: a denial is ledgered as cp-authz ledgers it.  Returns 0 allowed, or r->exit. */
static int
authorize(struct op *o)
{
	struct cp_gate *g = o->g;
	struct cp_gate_result *r = o->r;
	const char *reason = g->reject;
	struct cp_event ev = { 0 };
	struct cp_err e;
	char *line = NULL, roles[256] = "";
	size_t i, n = 0;

	if (g->authenticated) {
		if (cp_roles_list_grants(&g->id.roles) & cp_roles_action(o->action))
			return 0;
		reason = g->id.roles.n == 0 ? "the user holds no role" :
		    "no role of the user grants the action";
	}
	for (i = 0; i < g->id.roles.n && n < sizeof(roles); i++)
		n += (size_t)snprintf(roles + n, sizeof(roles) - n, "%s%s", i ? "," : "",
		    g->id.roles.name[i]);
	if (g->authenticated)
		outcome(r, 1, "denied", "%s may not %s (roles %s): %s", g->id.user, o->action,
		    g->id.roles.n ? roles : "none", reason);
	else
		outcome(r, 1, "denied", "%s%s%s may not %s: %s",
		    g->id.user != NULL ? "'" : "", g->id.user != NULL ? g->id.user : "no user",
		    g->id.user != NULL ? "'" : "", o->action, reason != NULL ? reason : "not authenticated");
	set_hint(r, g->authenticated ? "ask an admin for a role that grants it (registries/roles.csv)" :
	    "give a valid token: --token-file FILE or CONTROL_PLANE_TOKEN (cp-authz token USER makes one)");
	if (g->dry_run)
		return r->exit;
	if (plane_dir_ok(g, cp_layout_rel(CP_LAYOUT_LEDGER), 0, &e) == 0 &&
	    cp_auth_denial_event(&ev, o->id != NULL ? o->id : "", o->action, &g->auth, &g->id,
	    reason != NULL ? reason : "not authenticated", &e) == 0 &&
	    cp_event_append(&ev, g->ledger, &line, &e) == 0)
		note_entry(r, line);
	else {
		free(r->warning);
		if (asprintf(&r->warning, "cannot ledger the denial (still denied): %s", e.msg) == -1)
			r->warning = NULL;
		r->exit = 2;
	}
	free(line);
	cp_event_free(&ev);
	return r->exit;
}

/* A denial for reason (the token did not prove who the operation needs): ledgered, r says so. */
static int
authorize_denied(struct op *o, const char *reason)
{
	o->g->authenticated = 0;
	o->g->reject = reason;
	return authorize(o);
}

static void
json_names_w(struct cp_json *w, const char *key, char **v, size_t n)
{
	cp_json_key(w, key);
	cp_json_arr(w);
	for (size_t i = 0; i < n; i++)
		cp_json_str(w, v[i]);
	cp_json_end(w);
}

/* --- reading the plane --------------------------------------------------------- */

/* The governed part of the plane a plane-relative path lies in, or NULL when none. */
static const char *
reserved(const char *rel)
{
	static const enum cp_layout_item dirs[] = {
		CP_LAYOUT_STATE, CP_LAYOUT_LEDGER, CP_LAYOUT_INSTALLED, CP_LAYOUT_REGISTRIES,
		CP_LAYOUT_STORE
	};
	size_t i, n;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		const char *d = cp_layout_rel(dirs[i]);

		n = strlen(d);
		if (strncmp(rel, d, n) == 0 && (rel[n] == '/' || rel[n] == '\0'))
			return d;
	}
	if (strcmp(rel, cp_layout_rel(CP_LAYOUT_MANIFEST)) == 0)
		return cp_layout_rel(CP_LAYOUT_MANIFEST);
	return NULL;
}

/* The plane directory rel must not be a symlink (nor anything but a directory, if there). Returns 0 or -1 (e). */
static int
plane_dir_ok(struct cp_gate *g, const char *rel, int must_exist, struct cp_err *e)
{
	struct cp_err le;
	int fd;

	cp_err_clear(&le);
	if ((fd = cp_beneath_open(g->fd, rel, O_RDONLY | O_DIRECTORY, 0, &le)) >= 0) {
		close(fd);
		return 0;
	}
	if (le.errnum == ENOENT && !must_exist)
		return 0;
	if (le.errnum == ELOOP)
		return cp_err_set(e, ELOOP, "%s/ is a symlink (or leads through one): refused; "
		    "make it a real directory", rel);
	*e = le;
	return -1;
}

/* A field with a control character: the row is refused, whatever column. */
static int
has_control(const char *s, size_t n)
{
	return cp_quote_control_at(s, n) < n;
}

/* Open registry rel (registries/...) beneath the plane for reading; NULL with e (ENOENT when absent). */
static FILE *
open_registry(struct cp_gate *g, const char *rel, struct cp_err *e)
{
	int fd = cp_beneath_open(g->fd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, e);
	struct stat st;
	FILE *fp;

	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		cp_err_set(e, EINVAL, "%s: not a regular file", rel);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		cp_err_set(e, errno, "%s", rel);
	}
	return fp;
}

/*
 * Load the package row o->id into o->f.  Returns 0, 1 when there is no such
 * row, -1 with e (unreadable or malformed registry, a field holding a
 * control character).
 */
static int
load_row(struct op *o, struct cp_err *e)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_PACKAGES);
	struct cp_csv_reader *rd;
	struct cp_csv_row row;
	long key, col[NF];
	size_t k;
	int rc, found = 0;
	FILE *fp;

	if ((fp = open_registry(o->g, rel, e)) == NULL)
		return -1;
	rd = cp_csv_open(fp, rel, NULL);
	if (cp_csv_read_header(rd) == -1) {
		rc = cp_err_set(e, 0, "%s", cp_csv_error(rd)->msg);
		goto out;
	}
	if ((key = cp_csv_column(rd, "id")) < 0) {
		rc = cp_err_set(e, 0, "%s: no id column", rel);
		goto out;
	}
	for (k = 0; k < NF; k++)
		col[k] = cp_csv_column(rd, fcol[k]);
	while ((rc = cp_csv_read_row(rd, &row)) == 1) {
		if (strcmp(row.field[key], o->id) != 0)
			continue;
		if (found++) {
			rc = cp_err_set(e, 0, "%s:%lu: id %s is there twice (make validate)", rel,
			    row.line, o->id);
			goto out;
		}
		for (k = 0; k < row.nfields; k++)
			if (has_control(row.field[k], row.len[k])) {
				rc = cp_err_set(e, 0, "%s:%lu: row %s: column %s holds a control "
				    "character (make validate)", rel, row.line, o->id,
				    cp_csv_colname(rd, k));
				goto out;
			}
		for (k = 0; k < NF; k++) {
			free(o->f[k]);
			o->f[k] = xstrdup(col[k] >= 0 ? row.field[col[k]] : "");
		}
	}
	if (rc < 0)
		rc = cp_err_set(e, 0, "%s", cp_csv_error(rd)->msg);
	else
		rc = found ? 0 : 1;
out:
	cp_csv_close(rd);
	fclose(fp);
	return rc;
}

/*
 * The variables an external output_path may name: where a user's files go,
 * never a variable that may hold a secret (a token, a key), which a row
 * written by anyone with write access to the registry would otherwise copy
 * into the ledger and the output.
 */
static int
expandable(const char *name)
{
	static const char *const ok[] = {
		"HOME", "USER", "LOGNAME", "TMPDIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
		"XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(name, ok[i]) == 0)
			return 1;
	return strncmp(name, "CP_EXTERNAL_", 12) == 0;
}

/* ~, $VAR and ${VAR} of an external output_path expanded from the environment; NULL with e. */
static char *
expand(const char *p, struct cp_err *e)
{
	struct cp_buf b = { 0 };
	const char *home, *v, *s = p;
	char name[256];
	size_t n;

	if (s[0] == '~' && (s[1] == '\0' || s[1] == '/')) {
		if ((home = getenv("HOME")) == NULL || *home == '\0') {
			cp_err_set(e, 0, "output_path %s: HOME is not set", p);
			return NULL;
		}
		cp_buf_adds(&b, home);
		s++;
	}
	while (*s != '\0') {
		if (*s != '$') {
			cp_buf_addc(&b, *s++);
			continue;
		}
		s++;
		n = 0;
		if (*s == '{') {
			s++;
			while (n < sizeof(name) - 1 && *s != '}' && *s != '\0')
				name[n++] = *s++;
			if (*s != '}')
				n = 0;
			else
				s++;
		} else
			while (n < sizeof(name) - 1 && (*s == '_' || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= 'a' && *s <= 'z') || (n > 0 && *s >= '0' && *s <= '9')))
				name[n++] = *s++;
		name[n] = '\0';
		if (n > 0 && !expandable(name)) {
			cp_err_set(e, 0, "output_path %s: $%s may not be expanded (HOME, USER, LOGNAME, "
			    "TMPDIR, XDG_*_HOME, XDG_RUNTIME_DIR and CP_EXTERNAL_* may)", p, name);
			cp_buf_free(&b);
			return NULL;
		}
		if (n == 0 || (name[0] >= '0' && name[0] <= '9') || (v = getenv(name)) == NULL ||
		    *v == '\0') {
			cp_err_set(e, 0, "output_path %s: $%s is not set (or not a variable name)",
			    p, n ? name : "");
			cp_buf_free(&b);
			return NULL;
		}
		cp_buf_adds(&b, v);
	}
	cp_buf_addc(&b, '\0');
	return b.data;
}

/*
 * Where the row routes the package: sets o->type, o->ext, o->dest_rel,
 * o->dest_abs, o->shown.  Returns 0, or -1 with e (an unknown output_type,
 * an output_path that leaves the plane, an external one inside it).
 */
static int
route(struct op *o, struct cp_err *e)
{
	const char *t = o->f[F_OTYPE], *p = o->f[F_OPATH];
	struct cp_gate *g = o->g;
	char *x, *abs;

	if (*t == '\0' || strcmp(t, "extension") == 0) {
		o->type = CP_RECEIPT_EXTENSION;
		o->dest_rel = xstrdup("");
	} else if (strcmp(t, "module") == 0) {
		o->type = CP_RECEIPT_MODULE;
		while (*p == '/')
			p++;
		if (*p == '\0')
			p = "modules";
		if (!cp_relpath_ok(p, strlen(p), e))
			return cp_err_prefix(e, "output_path %s", o->f[F_OPATH]);
		o->dest_rel = xstrdup(p);
	} else if (strcmp(t, "external") == 0) {
		o->type = CP_RECEIPT_EXTERNAL;
		o->ext = 1;
		if (*p == '\0')
			return cp_err_set(e, 0, "output_type external needs an output_path");
		if ((x = expand(p, e)) == NULL)
			return -1;
		/* messages name the row's text, never what the environment made of it */
		if (x[0] != '/') {
			cp_err_set(e, 0, "external output_path %s is not absolute once expanded", p);
			free(x);
			return -1;
		}
		abs = cp_abspath_resolve(x);
		if (abs == NULL) {
			cp_err_set(e, errno, "external output_path %s", p);
			free(x);
			return -1;
		}
		free(x);
		if (strcmp(abs, "/") == 0 || cp_abspath_within(g->root, abs) ||
		    cp_abspath_within(abs, g->root)) {
			cp_err_set(e, 0, "external output_path %s is %s the plane %s: refused", p,
			    cp_abspath_within(abs, g->root) ? "above" : "inside", g->root);
			free(abs);
			return -1;
		}
		o->dest_rel = xstrdup("");
		o->dest_abs = abs;
		o->shown = xstrdup(abs);
		return 0;
	} else
		return cp_err_set(e, 0, "output_type %s is not extension, module or external", t);
	o->dest_abs = *o->dest_rel ? xpathjoin(g->root, o->dest_rel) : xstrdup(g->root);
	o->shown = xstrdup(*o->dest_rel ? o->dest_rel : ".");
	return 0;
}

char *
cp_gate_route(struct cp_gate *g, const char *output_type, const char *output_path,
    struct cp_err *e)
{
	struct op o;
	char *shown;

	memset(&o, 0, sizeof(o));
	o.g = g;
	o.f[F_OTYPE] = (char *)(uintptr_t)(output_type != NULL ? output_type : "");
	o.f[F_OPATH] = (char *)(uintptr_t)(output_path != NULL ? output_path : "");
	if (route(&o, e) == -1) {
		free(o.dest_rel);
		free(o.dest_abs);
		free(o.shown);
		return NULL;
	}
	shown = o.shown;
	free(o.dest_rel);
	free(o.dest_abs);
	return shown;
}

/* The destination's directory, open (a new descriptor); -1 with errno ENOENT when it is not there yet. */
static int
open_dest(const struct op *o, struct cp_err *e)
{
	int fd;

	if (o->ext) {
		int top = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (top == -1)
			return cp_err_set(e, errno, "/");
		fd = cp_beneath_open(top, o->dest_abs + 1, O_RDONLY | O_DIRECTORY, 0, e);
		if (fd == -1 && errno == ELOOP)
			cp_err_set(e, ELOOP, "%s: a symlink on the way: refused", o->dest_abs);
		close(top);
		return fd;
	}
	if (*o->dest_rel == '\0') {
		if ((fd = openat(o->g->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			cp_err_set(e, errno, "%s", o->g->root);
		return fd;
	}
	return cp_beneath_open(o->g->fd, o->dest_rel, O_RDONLY | O_DIRECTORY, 0, e);
}

/* A path beneath the journal root of the destination: dest_rel/path. */
static char *
target(const struct op *o, const char *path)
{
	return *o->dest_rel ? xpathjoin(o->dest_rel, path) : xstrdup(path);
}

/* The receipt of o->id: 0 and *rc, 1 when not installed, -1 with e (forged, unreadable). */
static int
load_receipt(struct op *o, struct cp_receipt *rc, struct cp_err *e)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_INSTALLED);
	int fd, n;

	memset(rc, 0, sizeof(*rc));
	if ((fd = cp_beneath_open(o->g->fd, rel, O_RDONLY | O_DIRECTORY, 0, e)) == -1) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP)
			cp_err_set(e, ELOOP, "%s/ is a symlink: refused; make it a real directory", rel);
		return -1;
	}
	n = cp_receipt_read(fd, o->id, rc, e);
	close(fd);
	if (n == 0)
		return 0;
	if (e->errnum == ENOENT) {
		/* Neither file: not installed.  One of the pair: a broken receipt. */
		char a[PATH_MAX], b[PATH_MAX];
		struct stat st;
		int fa, fb;

		snprintf(a, sizeof(a), "%s/%s.sha256", rel, o->id);
		snprintf(b, sizeof(b), "%s/%s.info", rel, o->id);
		fa = fstatat(o->g->fd, a, &st, AT_SYMLINK_NOFOLLOW) == 0;
		fb = fstatat(o->g->fd, b, &st, AT_SYMLINK_NOFOLLOW) == 0;
		if (!fa && !fb)
			return 1;
	}
	return -1;
}

static const char *reserved(const char *rel);

/* The receipt must name the destination the row routes to now. Returns 0 or -1 (e). */
static int
receipt_routes(const struct op *o, const struct cp_receipt *rc, struct cp_err *e)
{
	/* no package installs the plane's own state: a receipt that lists it is forged */
	for (size_t i = 0; !o->ext && i < rc->n; i++) {
		char *t = *o->dest_rel ? xpathjoin(o->dest_rel, rc->v[i].path) : xstrdup(rc->v[i].path);
		const char *what = reserved(t);

		free(t);
		if (what != NULL)
			return cp_err_set(e, 0, "installed/%s.sha256 lists %s/%s, inside the plane's %s: "
			    "a forged receipt, nothing done", o->id, o->shown, rc->v[i].path, what);
	}
	if (strcmp(rc->destination, o->shown) != 0)
		return cp_err_set(e, 0, "installed/%s.info names destination %s, but the registry "
		    "routes %s to %s: a forged or stale receipt, nothing done", o->id,
		    rc->destination, o->id, o->shown);
	if (rc->digest[0] == '\0')
		return cp_err_set(e, 0, "installed/%s.info has no digest", o->id);
	return 0;
}

/* --- the archive -------------------------------------------------------------- */

static int
cmp_sfile(const void *a, const void *b)
{
	return strcmp(((const struct sfile *)a)->path, ((const struct sfile *)b)->path);
}

/* The digest the sidecar of the archive holds, or "" when there is none.  Returns 0 or -1 (e). */
static int
read_sidecar(struct op *o, const char *source, char hex[CP_SHA256_HEXLEN + 1], struct cp_err *e)
{
	char *rel = xmalloc(strlen(source) + 8), *buf, *name = NULL, *nl;
	struct cp_err le;
	size_t got;
	int rc = 0;

	hex[0] = '\0';
	sprintf(rel, "%s.sha256", source);
	cp_err_clear(&le);
	if ((buf = cp_beneath_read(o->g->fd, rel, SIDECAR_MAX, &got, &le)) == NULL) {
		free(rel);
		if (le.errnum == ENOENT)
			return 0;
		*e = le;
		return -1;
	}
	if (cp_sumline_is_bare(buf, got)) {
		memcpy(hex, buf, CP_SHA256_HEXLEN);
		hex[CP_SHA256_HEXLEN] = '\0';
		for (int i = 0; i < CP_SHA256_HEXLEN; i++)
			if (hex[i] >= 'A' && hex[i] <= 'F')
				hex[i] = (char)(hex[i] - 'A' + 'a');
	} else if ((nl = memchr(buf, '\n', got)) == NULL ||
	    cp_sumline_parse(buf, (size_t)(nl - buf), hex, &name) == -1)
		rc = cp_err_set(e, 0, "%s: not a sha256sum line", rel);
	free(name);
	free(buf);
	free(rel);
	return rc;
}

/*
 * The plane's signature policy applied to the archive open as *fd: when
 * the plane requires signatures or the archive carries a signature or a
 * provenance file, its bytes are copied once into private memory (a
 * memfd, which no other process can change), checked there, and *fd is
 * replaced by the memfd, positioned at its start, so that the bytes
 * verified, hashed and extracted are one copy.  o->trust records the
 * outcome.  Returns 0, or r->exit (a refusal, ledgered).
 */
static int
trust_archive(struct op *o, int *fd)
{
	const char *source = o->f[F_SOURCE];
	struct cp_trust t;
	struct cp_err e;
	unsigned char d[CP_SHA256_LEN], buf[65536];
	char hex[CP_SHA256_HEXLEN + 1], *conf;
	struct stat st;
	void *map = MAP_FAILED;
	ssize_t n;
	int mfd = -1, rc;

	o->trust.signature = "none";
	o->trust.provenance = "none";
	o->trust.attestation = "none";
	conf = cp_layout_path(o->g->root, CP_LAYOUT_CONF);
	rc = cp_trust_load(&t, o->g->fd, conf, &e);
	free(conf);
	if (rc == -1)
		return refuse_err(o, "signature policy", &e);
	o->trust_required = t.required;
	if (!cp_trust_needed(&t, o->g->fd, source)) {
		cp_trust_free(&t);
		return 0;
	}
	if (fstat(*fd, &st) == -1 || (uint64_t)st.st_size > CP_SIGNIFY_MSGMAX) {
		cp_trust_free(&t);
		return refuse(o, 2, NULL, "%s: too large to check its signature (over 1 GiB)", source);
	}
	if ((mfd = memfd_create("cp-plane-archive", MFD_CLOEXEC)) == -1) {
		cp_trust_free(&t);
		return refuse(o, 2, NULL, "memfd_create: %s", strerror(errno));
	}
	while ((n = read(*fd, buf, sizeof(buf))) > 0) {
		if (cp_io_write_all(mfd, buf, (size_t)n) == -1) {
			n = -1;
			break;
		}
		if (lseek(mfd, 0, SEEK_CUR) > (off_t)CP_SIGNIFY_MSGMAX)
			break;	/* it grew while read: the size check below refuses it */
	}
	if (n < 0 || fstat(mfd, &st) == -1 || (size_t)st.st_size > CP_SIGNIFY_MSGMAX ||
	    (st.st_size > 0 && (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, mfd,
	    0)) == MAP_FAILED)) {
		rc = refuse(o, 2, NULL, "%s: %s", source, n < 0 ? strerror(errno) :
		    "too large to check its signature (1 GiB)");
		goto out;
	}
	if (cp_sha256(st.st_size > 0 ? map : "", (size_t)st.st_size, d) == -1) {
		rc = refuse(o, 2, NULL, "cannot hash: OpenSSL failed");
		goto out;
	}
	cp_hex_encode(d, sizeof(d), hex);
	if (cp_trust_check(&t, o->g->fd, source, st.st_size > 0 ? map : "", (size_t)st.st_size,
	    hex, &o->trust, &e) == -1) {
		rc = refuse_err(o, "signature", &e);
		goto out;
	}
	if (o->trust.refused) {
		/* a wrong digest says so first: it is the archive that is wrong */
		if (strcmp(hex, o->f[F_DIGEST]) != 0)
			rc = refuse(o, 1, "repack it (make pack) or restore the archive",
			    "digest mismatch: registry %s, archive %s", o->f[F_DIGEST], hex);
		else
			rc = refuse(o, 1, t.required ? "sign it with a key in registries/keys/ "
			    "(CONTROL_PLANE_SIGNING_KEY=KEY.sec make pack ...)" :
			    "remove or replace the wrong signature or provenance file",
			    "%s", o->trust.why);
		goto out;
	}
	memcpy(o->archive_hex, hex, sizeof(o->archive_hex));
	o->prehashed = 1;	/* the bytes the tar reader reads are the ones hashed here */
	if (o->trust.key != NULL)
		o->trust_key = xstrdup(o->trust.key);	/* t's name outlives t */
	o->trust.key = NULL;
	if (lseek(mfd, 0, SEEK_SET) == -1) {
		rc = refuse(o, 2, NULL, "memfd: %s", strerror(errno));
		goto out;
	}
	close(*fd);
	*fd = mfd;
	mfd = -1;
	rc = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (mfd >= 0)
		close(mfd);
	cp_trust_free(&t);
	return rc;
}

/*
 * The data of the current entry, a repeat of the staged file path: 1 when
 * its bytes hash to the staged one's, 0 when not, -1 (e) on a read error.
 */
static int
same_again(struct op *o, struct cp_tarread *rd, const char *path, struct cp_err *e)
{
	struct cp_sha256 c = { 0 };
	unsigned char d[CP_SHA256_LEN];
	char hex[CP_SHA256_HEXLEN + 1];
	const void *buf;
	ssize_t n;
	size_t i;

	cp_err_clear(e);
	for (i = 0; i < o->nsf && strcmp(o->sf[i].path, path) != 0; i++)
		;
	if (i == o->nsf || cp_sha256_init(&c) == -1)
		return 0;
	while ((n = cp_tarread_data(rd, &buf)) > 0)
		if (cp_sha256_update(&c, buf, (size_t)n) == -1)
			break;
	if (n != 0 || cp_sha256_final(&c, d) == -1) {
		cp_sha256_free(&c);
		return cp_err_set(e, 0, "%s", cp_tarread_error(rd)->msg[0] ?
		    cp_tarread_error(rd)->msg : "cannot hash");
	}
	cp_sha256_free(&c);
	cp_hex_encode(d, sizeof(d), hex);
	return strcmp(hex, o->sf[i].hex) == 0;
}

/* Hash what is left of fd after a failed read, finishing the whole file's digest. Returns 0 or -1. */
static int
rest_digest(int fd, struct cp_sha256 *whole, char hex[CP_SHA256_HEXLEN + 1])
{
	unsigned char d[CP_SHA256_LEN], buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (cp_sha256_update(whole, buf, (size_t)n) == -1)
			return -1;
	if (n < 0 || cp_sha256_final(whole, d) == -1)
		return -1;
	cp_hex_encode(d, sizeof(d), hex);
	return 0;
}

/*
 * Stage the archive of the row: opened once, every entry checked
 * (tar/tarcheck: no absolute path, no "..", no symlink, device or setuid...)
 * and written into the staging directory, and the SHA-256 of the
 * compressed bytes computed in the same read, so that the digest checked
 * is the digest of what was staged.  The row's digest and the sidecar's
 * must be it.  Fills o->sf (bytewise path order).  Returns 0 or r->exit.
 */
static int
stage_archive(struct op *o)
{
	const char *source = o->f[F_SOURCE];
	struct cp_tarlimits lim;
	struct cp_tarread_opts ro = { 0 };
	struct cp_tarcheck *tc = NULL;
	struct cp_tarread *rd = NULL;
	struct cp_tarentry ent;
	struct cp_sha256 whole = { 0 }, one = { 0 };
	unsigned char d[CP_SHA256_LEN];
	char side[CP_SHA256_HEXLEN + 1];
	struct cp_err e;
	const char *path;
	const void *buf;
	struct stat st;
	ssize_t n;
	uint64_t *index = NULL;
	int fd = -1, sfd, rc, status = 0, stagefd = cp_journal_stage_fd(o->j);

	if (*o->f[F_DIGEST] == '\0')
		return refuse(o, 1, "pack it (make pack SRC=... ID=...) or set its digest",
		    "the registry row has no digest");
	if (!cp_relpath_ok(source, strlen(source), &e))
		return refuse(o, 2, NULL, "source is not a path inside the plane: %s", e.msg);
	if (read_sidecar(o, source, side, &e) == -1)
		return refuse_err(o, "sidecar", &e);
	if (side[0] != '\0' && strcmp(side, o->f[F_DIGEST]) != 0)
		return refuse(o, 1, "repack, or restore the archive and its sidecar",
		    "sidecar mismatch: %s.sha256 holds %s, registry %s", source, side, o->f[F_DIGEST]);
	if ((fd = cp_beneath_open(o->g->fd, source, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &e)) == -1)
		return refuse(o, 2, e.errnum == ENOENT ? "pack it: make pack SRC=... ID=..." : NULL,
		    "%s: %s", e.errnum == ENOENT ? "no archive" : "archive", e.msg);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(o, 2, NULL, "%s is not a regular file", source);
	}
	/* Signed or attested (or the plane requires it): the bytes checked are the bytes staged. */
	if ((status = trust_archive(o, &fd)) != 0) {
		if (fd >= 0)
			close(fd);
		return status;
	}
	cp_tarcheck_limits(&lim);
	if (cp_sha256_init(&whole) == -1) {
		close(fd);
		return refuse(o, 2, NULL, "cannot hash: OpenSSL failed");
	}
	ro.max_ratio = lim.max_ratio;
	ro.hash = o->prehashed ? NULL : &whole;
	if (o->g->progress != NULL) {
		o->g->progress_total(o->g->progress_arg, (uint64_t)st.st_size);
		ro.progress = o->g->progress;
		ro.progress_arg = o->g->progress_arg;
	}
	tc = cp_tarcheck_new(&lim, CP_TARCHECK_REPEATS);
	if ((rd = cp_tarread_open(fd, &ro)) == NULL) {
		status = refuse(o, 2, NULL, "%s: cannot read archives", source);
		goto out;
	}
	while ((rc = cp_tarread_next(rd, &ent)) == 1) {
		int k = cp_tarcheck_entry(tc, &ent, &path, &e);

		if (k == -1) {
			status = refuse(o, 2, "the archive is hostile or broken: repack it",
			    "%s: entry %llu: %s", source, (unsigned long long)ent.index, e.msg);
			goto out;
		}
		if (k == 1) {
			/* a file named twice (the Python tools packed some): the same bytes, or refused */
			if (same_again(o, rd, path, &e) != 1) {
				status = refuse(o, 2, "the archive is hostile or broken: repack it",
				    "%s: entry %llu: %s", source, (unsigned long long)ent.index,
				    e.msg[0] ? e.msg : "a file named twice, with other bytes");
				goto out;
			}
			continue;
		}
		if (path == NULL || ent.type == CP_TAR_DIR)
			continue;
		o->sf = xreallocarray(o->sf, o->nsf + 1, sizeof(*o->sf));
		index = xreallocarray(index, o->nsf + 1, sizeof(*index));
		struct sfile *f = &o->sf[o->nsf];
		memset(f, 0, sizeof(*f));
		f->path = xstrdup(path);
		index[o->nsf++] = ent.index;
		if (ent.type == CP_TAR_HARDLINK) {
			uint64_t t = cp_tarcheck_link_index(tc, &ent);
			size_t i;

			for (i = 0; i + 1 < o->nsf && index[i] != t; i++)
				;
			if (i + 1 >= o->nsf) {
				status = refuse(o, 2, NULL, "%s: entry %llu: a hard link to no file",
				    source, (unsigned long long)ent.index);
				goto out;
			}
			snprintf(f->staged, sizeof(f->staged), "h%zu", o->nsf);
			memcpy(f->hex, o->sf[i].hex, sizeof(f->hex));
			if (linkat(stagefd, o->sf[i].staged, stagefd, f->staged, 0) == -1) {
				status = refuse(o, 2, NULL, "staging %s: %s", f->path, strerror(errno));
				goto out;
			}
			continue;
		}
		if ((sfd = cp_journal_stage(o->j, f->staged, &e)) == -1) {
			status = refuse_err(o, "staging", &e);
			goto out;
		}
		if (cp_sha256_init(&one) == -1)
			goto hashfail;
		while ((n = cp_tarread_data(rd, &buf)) > 0)
			if (cp_io_write_all(sfd, buf, (size_t)n) == -1 ||
			    cp_sha256_update(&one, buf, (size_t)n) == -1) {
				close(sfd);
				status = refuse(o, 2, NULL, "staging %s: %s", f->path, strerror(errno));
				goto out;
			}
		if (fchmod(sfd, (ent.mode & 0100) ? 0755 : 0644) == -1 || close(sfd) == -1) {
			status = refuse(o, 2, NULL, "staging %s: %s", f->path, strerror(errno));
			goto out;
		}
		if (n < 0)
			break;
		if (cp_sha256_final(&one, d) == -1)
			goto hashfail;
		cp_hex_encode(d, sizeof(d), f->hex);
	}
	if (rc != 0) {
		struct cp_err why = *cp_tarread_error(rd);

		/* The reader first: until it is closed its thread reads fd and feeds whole. */
		cp_tarread_close(rd);
		rd = NULL;
		/* The digest first: a damaged archive is a mismatch, what is wrong inside it second. */
		if ((o->prehashed || rest_digest(fd, &whole, o->archive_hex) == 0) &&
		    strcmp(o->archive_hex, o->f[F_DIGEST]) != 0)
			status = refuse(o, 1, "repack it (make pack) or restore the archive",
			    "digest mismatch: registry %s, archive %s", o->f[F_DIGEST], o->archive_hex);
		else
			status = refuse(o, 2, "the archive is broken or hostile: repack it", "%s: %s",
			    source, why.msg);
		goto out;
	}
	if (!o->prehashed) {
		if (cp_sha256_final(&whole, d) == -1)
			goto hashfail;
		cp_hex_encode(d, sizeof(d), o->archive_hex);
	}
	if (strcmp(o->archive_hex, o->f[F_DIGEST]) != 0) {
		status = refuse(o, 1, "repack it (make pack) or restore the archive",
		    "digest mismatch: registry %s, archive %s", o->f[F_DIGEST], o->archive_hex);
		goto out;
	}
	qsort(o->sf, o->nsf, sizeof(*o->sf), cmp_sfile);
	goto out;
hashfail:
	status = refuse(o, 2, NULL, "cannot hash: OpenSSL failed");
out:
	/* The reader before the hash: its thread may be feeding whole until it is closed. */
	cp_tarread_close(rd);
	free(index);
	cp_sha256_free(&one);
	cp_sha256_free(&whole);
	cp_tarcheck_free(tc);
	if (fd >= 0)
		close(fd);
	return status;
}

/* --- checks before the commit point ---------------------------------------------- */

/* What is at rel beneath root fd, not following anything. */
enum probe { P_NONE, P_FILE, P_OTHER, P_BLOCKED };

static enum probe
probe(int rootfd, const char *rel, struct stat *st)
{
	const char *base;
	struct cp_err le;
	int pfd, r;

	cp_err_clear(&le);
	if ((pfd = cp_beneath_parent(rootfd, rel, 0, &base, &le)) == -1)
		return le.errnum == ENOENT ? P_NONE : P_BLOCKED;
	r = fstatat(pfd, base, st, AT_SYMLINK_NOFOLLOW);
	close(pfd);
	if (r == -1)
		return errno == ENOENT ? P_NONE : P_BLOCKED;
	return S_ISREG(st->st_mode) ? P_FILE : P_OTHER;
}

/* The SHA-256 of the regular file rel beneath rootfd, or "" when it cannot be read. */
static void
hash_rel(int rootfd, const char *rel, char hex[CP_SHA256_HEXLEN + 1])
{
	struct cp_sha256 c = { 0 };
	unsigned char d[CP_SHA256_LEN];
	char buf[65536];
	uint64_t size;
	int fd = cp_beneath_open(rootfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, NULL);
	struct stat st;

	hex[0] = '\0';
	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && cp_sha256_init(&c) == 0 &&
	    cp_sha256_fd(&c, fd, buf, sizeof(buf), d, &size) == 0)
		cp_hex_encode(d, sizeof(d), hex);
	cp_sha256_free(&c);
	close(fd);
}

/* The journal root of the destination's files (0 the plane, 1 the external directory). */
static int
droot(const struct op *o)
{
	return o->ext ? 1 : 0;
}

/* The destination's root descriptor for probing (the plane's, or the external one opened now). */
static int
probe_root(const struct op *o, int *owned, struct cp_err *e)
{
	*owned = 0;
	if (!o->ext)
		return o->g->fd;
	*owned = 1;
	return open_dest(o, e);
}

/* --- the control-plane registry ------------------------------------------------- */

/* Files of a directory artifact: paths relative to the plane and their digests. */
struct dfile {
	char *path;
	char hex[CP_SHA256_HEXLEN + 1];
};

static void
walk_files(int dirfd, const char *prefix, struct dfile **v, size_t *n, int depth)
{
	int fd;
	DIR *d;
	struct dirent *de;
	struct stat st;

	if (depth > 64 || (fd = dup(dirfd)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *rel;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		rel = xpathjoin(prefix, de->d_name);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				walk_files(sub, rel, v, n, depth + 1);
				close(sub);
			}
			free(rel);
		} else if (S_ISREG(st.st_mode)) {
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[*n].path = rel;
			hash_rel(dirfd, de->d_name, (*v)[*n].hex);
			(*n)++;
		} else
			free(rel);
	}
	closedir(d);
}

/*
 * The content hash artifact (plane-relative, no leading '/') will have once
 * the transaction is done: a file's SHA-256, a directory's cp2 root over its
 * files' in bytewise path order, counting the staged files (puts, whose
 * plane paths are dest_rel/path) and leaving out the deleted ones (gone).
 */
static void
artifact_hash(const struct op *o, const char *art, char **gone, size_t ngone,
    char hex[CP_SHA256_HEXLEN + 1])
{
	struct dfile *v = NULL;
	size_t n = 0, i, k, alen = strlen(art);
	struct cp_integrity_dirfile *digs;
	struct stat st;
	int fd;

	hex[0] = '\0';
	for (i = 0; i < o->nsf; i++) {
		char *t = target(o, o->sf[i].path);
		if (strcmp(t, art) == 0) {
			memcpy(hex, o->sf[i].hex, CP_SHA256_HEXLEN + 1);
			free(t);
			return;
		}
		free(t);
	}
	fd = cp_beneath_open(o->g->fd, art, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, NULL);
	if (fd == -1) {
		if (o->nsf == 0)
			return;
	} else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		close(fd);
		for (i = 0; i < ngone; i++)
			if (strcmp(gone[i], art) == 0)
				return;
		hash_rel(o->g->fd, art, hex);
		return;
	} else if (S_ISDIR(st.st_mode))
		walk_files(fd, art, &v, &n, 0);
	if (fd >= 0)
		close(fd);
	/* the directory as it will be: staged files in it replace or add, deleted ones go */
	for (i = 0; i < o->nsf; i++) {
		char *t = target(o, o->sf[i].path);
		if (strncmp(t, art, alen) != 0 || t[alen] != '/') {
			free(t);
			continue;
		}
		for (k = 0; k < n && strcmp(v[k].path, t) != 0; k++)
			;
		if (k == n) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++].path = t;
		} else
			free(t);
		memcpy(v[k].hex, o->sf[i].hex, CP_SHA256_HEXLEN + 1);
	}
	for (i = 0; i < ngone; i++)
		for (k = 0; k < n; k++)
			if (strcmp(v[k].path, gone[i]) == 0) {
				free(v[k].path);
				v[k] = v[--n];
				break;
			}
	/* the one rule for a directory's hash: integrity_check.py's, as cp-integrity checks it */
	digs = xreallocarray(NULL, n + 1, sizeof(*digs));
	for (i = 0; i < n; i++) {
		digs[i].path = v[i].path;
		if (cp_hex_decode(v[i].hex, CP_SHA256_HEXLEN, digs[i].digest) == -1)
			memset(digs[i].digest, 0, CP_SHA256_LEN);
	}
	if (cp_integrity_dir_root(digs, n, NULL, hex) == -1)
		hex[0] = '\0';
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	free(digs);
}

/*
 * Stage a copy of registry rel with one edit and put it in the journal.
 * Returns 0 (also when the registry does not exist and op is a DEL or SET),
 * or -1 with e.
 */
static int
stage_registry(struct op *o, const char *rel, const char *match, const char *value,
    enum cp_edit_op eop, const struct cp_edit_assign *as, size_t n, struct cp_err *e)
{
	char name[32];
	struct cp_csv_reader *rd;
	size_t matched;
	FILE *in, *out;
	int fd, rc;

	if ((in = open_registry(o->g, rel, e)) == NULL)
		return e->errnum == ENOENT ? 0 : -1;
	if ((fd = cp_journal_stage(o->j, name, e)) == -1) {
		fclose(in);
		return -1;
	}
	if ((out = fdopen(fd, "w")) == NULL) {
		close(fd);
		fclose(in);
		return cp_err_set(e, errno, "staging %s", rel);
	}
	rd = cp_csv_open(in, rel, NULL);
	rc = cp_edit_rows(rd, out, match, value, eop, as, n, &matched, e);
	cp_csv_close(rd);
	fclose(in);
	if (fflush(out) != 0 || ferror(out) || fsync(fileno(out)) == -1) {
		if (rc == 0)
			cp_err_set(e, errno, "staging %s", rel);
		rc = -1;
	}
	if (fclose(out) != 0 && rc == 0)
		rc = cp_err_set(e, errno, "staging %s", rel);
	if (rc == 0)
		rc = cp_journal_put(o->j, 0, rel, name, e);
	return rc;
}

/* The artifact's control-plane row after an install or update (content_hash; a new row if none). */
static int
stage_artifact(struct op *o, char **gone, size_t ngone, struct cp_err *e)
{
	const char *apath = o->f[F_APATH], *art = apath;
	char hex[CP_SHA256_HEXLEN + 1], ts[40], cpid[256];
	time_t now = time(NULL);
	struct tm tm;

	if (*apath == '\0' || o->ext)
		return 0;
	while (*art == '/')
		art++;
	if (!cp_relpath_ok(art, strlen(art), e))
		return cp_err_prefix(e, "artifact_path %s", apath);
	artifact_hash(o, art, gone, ngone, hex);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	snprintf(cpid, sizeof(cpid), "%s", strncmp(o->id, "PKG-", 4) == 0 ? o->id + 4 : o->id);
	{
		const struct cp_edit_assign as[] = {
			{ "content_hash", hex }, { "id", cpid }, { "name", o->f[F_NAME] },
			{ "entity_type", *o->f[F_ENTITY] ? o->f[F_ENTITY] : "package" },
			{ "artifact_path", apath }, { "status", "active" },
			{ "output_type", *o->f[F_OTYPE] ? o->f[F_OTYPE] : "extension" },
			{ "version", o->f[F_VERSION] },
			{ "owner", o->g->authenticated ? o->g->id.user : "" }, { "created_at", ts },
		};
		size_t matched = 0;
		FILE *in;
		struct cp_csv_reader *rd;
		long c;
		struct cp_csv_row row;

		/* An existing row keeps everything but its content_hash. */
		if ((in = open_registry(o->g, cp_layout_rel(CP_LAYOUT_CPREG), e)) == NULL)
			return e->errnum == ENOENT ? 0 : -1;
		rd = cp_csv_open(in, "control_plane_registry.csv", NULL);
		if (cp_csv_read_header(rd) == 0 && (c = cp_csv_column(rd, "artifact_path")) >= 0)
			while (cp_csv_read_row(rd, &row) == 1)
				matched += strcmp(row.field[c], apath) == 0;
		cp_csv_close(rd);
		fclose(in);
		return stage_registry(o, cp_layout_rel(CP_LAYOUT_CPREG), "artifact_path", apath,
		    matched ? CP_EDIT_SET : CP_EDIT_SET_OR_ADD, as, matched ? 1 : sizeof(as) / sizeof(as[0]), e);
	}
}

/* Stage the new receipt (the staged files of o, at o->archive_hex) and put it in the journal. */
static int
stage_receipt(struct op *o, struct cp_err *e)
{
	struct cp_receipt rc = { 0 };
	char n1[32], n2[32], rel[PATH_MAX];
	FILE *a = NULL, *b = NULL;
	int fa, fb, st = -1;
	size_t i;

	rc.package = xstrdup(o->id);
	memcpy(rc.digest, o->archive_hex, sizeof(rc.digest));
	rc.destination = o->shown;
	rc.output_type = o->type;
	rc.n = o->nsf;
	rc.v = xreallocarray(NULL, o->nsf + 1, sizeof(*rc.v));
	for (i = 0; i < o->nsf; i++) {
		rc.v[i].path = o->sf[i].path;
		memcpy(rc.v[i].sha256, o->sf[i].hex, sizeof(rc.v[i].sha256));
	}
	if ((fa = cp_journal_stage(o->j, n1, e)) == -1)
		goto out;
	if ((fb = cp_journal_stage(o->j, n2, e)) == -1) {
		close(fa);
		goto out;
	}
	a = fdopen(fa, "w");
	b = fdopen(fb, "w");
	if (a == NULL || b == NULL) {
		cp_err_set(e, errno, "staging the receipt");
		if (a == NULL)
			close(fa);
		if (b == NULL)
			close(fb);
		goto out;
	}
	if (cp_receipt_format(&rc, a, b, e) == -1)
		goto out;
	if (fflush(a) || fflush(b) || ferror(a) || ferror(b) || fsync(fa) || fsync(fb)) {
		cp_err_set(e, errno, "staging the receipt");
		goto out;
	}
	snprintf(rel, sizeof(rel), "%s/%s.sha256", cp_layout_rel(CP_LAYOUT_INSTALLED), o->id);
	if (cp_journal_put(o->j, 0, rel, n1, e) == -1)
		goto out;
	snprintf(rel, sizeof(rel), "%s/%s.info", cp_layout_rel(CP_LAYOUT_INSTALLED), o->id);
	if (cp_journal_put(o->j, 0, rel, n2, e) == -1)
		goto out;
	st = 0;
out:
	if (a != NULL && fclose(a) != 0 && st == 0)
		st = cp_err_set(e, errno, "staging the receipt");
	if (b != NULL && fclose(b) != 0 && st == 0)
		st = cp_err_set(e, errno, "staging the receipt");
	free(rc.v);
	free(rc.package);
	return st;
}

/* --- the commit --------------------------------------------------------------- */

/* Append the event through the journal; r gets the entry.  Returns r->exit. */
static int
commit(struct op *o, struct cp_event *ev, const char *status)
{
	struct cp_gate_result *r = o->r;
	struct cp_err e;
	char *line = NULL;
	int rc;

	rc = cp_journal_commit(o->j, o->g->ledger, ev, &line, &e);
	o->j = NULL;
	if (line != NULL)
		note_entry(r, line);
	free(line);
	if (rc == -1) {
		outcome(r, 2, "error", "not done (nothing changed): %s", e.msg);
		return 2;
	}
	r->changed = 1;
	r->status = status;
	r->exit = 0;
	if (rc == 1) {
		free(r->warning);
		if (asprintf(&r->warning, "committed (%s), but a step failed: %s; run cp-plane "
		    "recover", r->ledger_id, e.msg) == -1)
			r->warning = NULL;
		r->exit = 2;
	}
	return r->exit;
}

/* Begin the transaction: the lock, the journal (the plane's lock is cp-regrow -i's too). Returns 0 or r->exit. */
static int
begin(struct op *o)
{
	struct cp_err e;

	if (plane_dir_ok(o->g, cp_layout_rel(CP_LAYOUT_LEDGER), 0, &e) == -1)
		return refuse_err(o, "ledger", &e);
	if ((o->g->dry_run ? cp_journal_begin_dry(o->g->fd, &o->j, &e) :
	    cp_journal_begin(o->g->fd, &o->j, &e)) == -1) {
		o->j = NULL;
		return refuse(o, 2, "cp-plane recover", "cannot begin: %s", e.msg);
	}
	return 0;
}

/* Begin, load and route the row.  Returns 0 or r->exit. */
static int
begin_package(struct op *o)
{
	struct cp_err e;
	int rc;

	if ((rc = begin(o)) != 0)
		return rc;
	if ((rc = load_row(o, &e)) == 1)
		return refuse(o, 1, "add the row to registries/packages_registry.csv",
		    "no such package in %s", cp_layout_rel(CP_LAYOUT_PACKAGES));
	if (rc == -1)
		return refuse_err(o, "registry", &e);
	if (route(o, &e) == -1)
		return refuse(o, 2, "fix the row's output_type/output_path", "%s", e.msg);
	free(o->r->destination);
	o->r->destination = xstrdup(o->dest_abs);
	return 0;
}

/* The external root joined to the journal, the directory made if missing.  Returns 0 or -1 (e). */
static int
join_external(struct op *o, struct cp_err *e)
{
	char *probe_file;

	if (!o->ext)
		return 0;
	probe_file = xpathjoin(o->dest_abs, "x");
	if (cp_abspath_mkparents(probe_file, 0755) == -1) {
		cp_err_set(e, errno, "%s", o->dest_abs);
		free(probe_file);
		return -1;
	}
	free(probe_file);
	return cp_journal_root(o->j, o->dest_abs, e) == -1 ? -1 : 0;
}

/* Files staged and the journal's staging on one filesystem with the destination (a rename cannot cross). */
static int
same_fs(struct op *o, int rootfd, struct cp_err *e)
{
	struct stat a, b;

	if (fstat(cp_journal_stage_fd(o->j), &a) == -1 || fstat(rootfd, &b) == -1)
		return cp_err_set(e, errno, "%s", o->dest_abs);
	if (a.st_dev != b.st_dev)
		return cp_err_set(e, EXDEV, "%s is on another filesystem than the plane's .cp/: "
		    "not supported (files are renamed into place)", o->dest_abs);
	return 0;
}

/* The installed files' event: metadata and the files list. */
static void
files_meta(struct op *o, struct cp_json *w)
{
	cp_json_kstr(w, "destination", o->dest_abs);
	cp_json_kstr(w, "output_type", cp_receipt_type_name(o->type));
	cp_json_key(w, "files");
	cp_json_arr(w);
	for (size_t i = 0; i < o->nsf; i++) {
		cp_json_obj(w);
		cp_json_kstr(w, "path", o->sf[i].path);
		cp_json_kstr(w, "sha256", o->sf[i].hex);
		cp_json_end(w);
	}
	cp_json_end(w);
}

/* The nearest existing directory of an absolute path, open.  Returns it or -1 (e). */
static int
nearest_dir(const char *abs, struct cp_err *e)
{
	char *p = xstrdup(abs), *slash;
	int fd;

	while ((fd = open(*p ? p : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 && errno == ENOENT &&
	    (slash = strrchr(p, '/')) != NULL)
		*slash = '\0';
	if (fd == -1)
		cp_err_set(e, errno, "%s", abs);
	free(p);
	return fd;
}

/*
 * The plane's own state is never a package's to write: no file of a package
 * installed in the plane may land in .cp/, ledger/, installed/, registries/
 * or packages_store/, nor be MANIFEST.json.  Returns 0 or r->exit.
 */
static int
reserved_check(struct op *o)
{
	for (size_t i = 0; !o->ext && i < o->nsf; i++) {
		char *t = target(o, o->sf[i].path);
		const char *what = reserved(t);

		free(t);
		if (what != NULL)
			return refuse(o, 2, "a package may not hold the plane's own state",
			    "%s/%s: inside the plane's %s: refused", o->shown, o->sf[i].path, what);
	}
	return 0;
}

/* --- dependencies and plans ------------------------------------------------------ */

/*
 * The registry's deps and conflicts, read under the plane's lock (plane/deps):
 * install and update (remove 0) refuse a dependency that is missing or at a
 * version its constraint does not accept, and a conflict either way; remove
 * (1) refuses while installed packages depend on the package, naming them.
 * With force the operation goes on, and what it breaks is in r->warning and
 * in its ledger entry ("breaks").  A dry run's earlier packages
 * (cp_gate_assume) count as installed.  Returns 0 or r->exit.
 */
static int
deps_gate(struct op *o, int remove)
{
	struct cp_gate_result *r = o->r;
	struct cp_deps *d;
	struct cp_err e;
	struct cp_buf b = { 0 };
	const char **dep = NULL;
	char **msg = NULL, *s;
	size_t n, i;
	int rc = 0;

	if (cp_deps_load(o->g->fd, &d, &e) == -1)
		return refuse_err(o, "dependencies", &e);
	for (i = 0; i < o->g->nassumed; i++)
		cp_deps_assume(d, o->g->assumed[i], 1);
	n = remove ? cp_deps_dependents(d, o->id, &dep) : cp_deps_problems(d, o->id, &msg);
	for (i = 0; i < n; i++) {
		if (remove) {
			if (asprintf(&s, "%s depends on %s", dep[i], o->id) == -1)
				s = xstrdup(dep[i]);
		} else
			s = msg[i];
		add_name(&o->breaks, &o->nbreaks, s);
		free(s);
		cp_buf_adds(&b, i ? (remove ? ", " : "; ") : "");
		cp_buf_adds(&b, remove ? dep[i] : o->breaks[o->nbreaks - 1]);
	}
	cp_buf_addc(&b, '\0');
	if (n > 0 && !o->g->force)
		rc = remove ? refuse(o, 1, "remove them first, or FORCE=1 (--force) removes it anyway "
		    "and leaves them broken", "%zu installed package%s depend%s on it: %s", n,
		    n == 1 ? "" : "s", n == 1 ? "s" : "", b.data) :
		    refuse(o, 1, "install or update what it needs first, remove what it conflicts "
		    "with, or FORCE=1 (--force) installs it anyway", "%s", b.data);
	else if (n > 0) {
		free(r->warning);
		int k = remove ? asprintf(&r->warning, "forced: %s now miss%s %s, a dependency", b.data,
		    n == 1 ? "es" : "", o->id) : asprintf(&r->warning, "forced against the registry's "
		    "deps and conflicts: %s", b.data);

		if (k == -1)
			r->warning = NULL;
	}
	cp_buf_free(&b);
	free(msg);
	free(dep);
	cp_deps_free(d);
	return rc;
}

/* The forced operation's breakage, into its ledger entry's metadata. */
static void
breaks_meta(const struct op *o, struct cp_json *w)
{
	if (o->nbreaks > 0)
		json_names_w(w, "breaks", o->breaks, o->nbreaks);
}

/*
 * A dry run of install or update, every check passed: r says what the
 * transaction would do (files, destination, replaced, dropped), and nothing
 * is committed.  Returns 0.
 */
static int
plan_deploy(struct op *o, const struct cp_receipt *old, const char *status)
{
	struct cp_gate_result *r = o->r;
	size_t i, k;

	for (k = 0; old != NULL && k < old->n; k++) {
		struct sfile key = { .path = old->v[k].path };

		if (bsearch(&key, o->sf, o->nsf, sizeof(*o->sf), cmp_sfile) == NULL)
			add_name(&r->dropped, &r->ndropped, old->v[k].path);
	}
	for (i = 0; i < o->nsf; i++)
		add_file(r, o->sf[i].path, o->sf[i].hex);
	memcpy(r->digest, o->archive_hex, sizeof(r->digest));
	if (old != NULL && strcmp(old->digest, o->archive_hex) != 0)
		memcpy(r->before, old->digest, sizeof(r->before));
	outcome(r, 0, "planned", "would %s %s %s %s: %zu file%s, %zu replaced, %zu dropped",
	    strcmp(status, "installed") == 0 ? "install" : "update", o->id,
	    strcmp(status, "installed") == 0 ? "into" : "in", o->shown, o->nsf,
	    o->nsf == 1 ? "" : "s", r->nreplaced, r->ndropped);
	cp_journal_abort(o->j);
	o->j = NULL;
	return 0;
}

int
cp_gate_authorize(struct cp_gate *g, const char *operation, const char *action,
    const char *subject, struct cp_gate_result *r)
{
	struct op o;
	int st;

	op_init(&o, g, r, operation, operation, action, subject);
	st = authorize(&o);
	op_free(&o);
	if (st == 0)
		cp_gate_result_free(r);	/* allowed: the caller fills r from zero */
	return st;
}

int
cp_gate_refusal(struct cp_gate *g, struct cp_gate_result *r, const char *operation,
    const char *event, const char *subject, int exit, const char *hint, const char *reason)
{
	struct op o;
	int st;

	op_init(&o, g, r, operation, event, operation, subject);
	st = refuse(&o, exit, hint, "%s", reason);
	op_free(&o);
	return st;
}

const char *
cp_gate_root(const struct cp_gate *g)
{
	return g->root;
}

const char *
cp_gate_ledger(const struct cp_gate *g)
{
	return g->ledger;
}

const char *
cp_gate_user(const struct cp_gate *g)
{
	return g->authenticated ? g->id.user : NULL;
}

const char *
cp_gate_provider(const struct cp_gate *g)
{
	return g->auth.provider->name;
}

void
cp_gate_assume(struct cp_gate *g, const char *id)
{
	if (id == NULL) {
		for (size_t i = 0; i < g->nassumed; i++)
			free(g->assumed[i]);
		free(g->assumed);
		g->assumed = NULL;
		g->nassumed = 0;
		return;
	}
	add_name(&g->assumed, &g->nassumed, id);
}

int
cp_gate_dry_run(const struct cp_gate *g)
{
	return g->dry_run;
}

int
cp_gate_forced(const struct cp_gate *g)
{
	return g->force;
}

int
cp_gate_root_fd(const struct cp_gate *g)
{
	return g->fd;
}

/*
 * Install or update from the staged archive over the old receipt (NULL:
 * none).  state: the old files' states.  Checks every target, stages the
 * receipt and the registry changes, commits.  Returns r->exit.
 */
static int
deploy(struct op *o, const struct cp_receipt *old, const enum cp_receipt_state *state,
    const char *decision, const char *status)
{
	struct cp_gate_result *r = o->r;
	struct cp_event ev = { 0 };
	struct cp_json *w;
	struct cp_err e;
	struct stat st;
	char **gone = NULL, hex[CP_SHA256_HEXLEN + 1];
	size_t ngone = 0, i, k;
	int rootfd, owned, rc, fresh = 0;

	if ((rc = stage_archive(o)) != 0)
		return rc;
	if ((rc = reserved_check(o)) != 0)
		return rc;
	if ((rootfd = probe_root(o, &owned, &e)) == -1) {
		if (!o->ext || errno != ENOENT)
			return refuse_err(o, "destination", &e);
		/* not made yet: nothing is in the way; its nearest existing directory says the filesystem */
		if ((rootfd = nearest_dir(o->dest_abs, &e)) == -1)
			return refuse_err(o, "destination", &e);
		fresh = 1;
	}
	if (!o->g->dry_run && same_fs(o, rootfd, &e) == -1) {
		if (owned || fresh)
			close(rootfd);
		return refuse(o, 2, NULL, "%s", e.msg);
	}
	if (fresh) {
		close(rootfd);
		rootfd = -1;
	}
	/* Each new file: its place free, ours and unchanged, or holding its bytes already. */
	for (i = 0; i < o->nsf; i++) {
		char *t = target(o, o->sf[i].path);
		enum probe p = fresh ? P_NONE : probe(rootfd, t, &st);
		const struct cp_receipt_entry *mine = NULL;

		for (k = 0; old != NULL && k < old->n; k++)
			if (strcmp(old->v[k].path, o->sf[i].path) == 0) {
				mine = &old->v[k];
				break;
			}
		if (p == P_BLOCKED || p == P_OTHER) {
			free(t);
			if (owned)
				close(rootfd);
			return refuse(o, 2, "move it out of the way", "%s/%s: %s", o->shown,
			    o->sf[i].path, p == P_OTHER ? "not a regular file there (a directory, "
			    "symlink...): refused" : "a symlink or a file on the way: refused");
		}
		if (p == P_FILE) {
			if (o->g->dry_run)
				add_name(&r->replaced, &r->nreplaced, o->sf[i].path);
			hash_rel(rootfd, t, hex);
			if (strcmp(hex, o->sf[i].hex) != 0 && !o->g->force &&
			    (mine == NULL || state[k] != CP_RECEIPT_SAME))
				add_name(mine ? &r->modified : &r->missing,
				    mine ? &r->nmodified : &r->nmissing, o->sf[i].path);
		}
		free(t);
	}
	if (owned && rootfd >= 0)
		close(rootfd);
	if (r->nmissing > 0) {
		/* here: files in the way that the package does not own */
		for (i = 0; i < r->nmissing; i++)
			add_name(&r->modified, &r->nmodified, r->missing[i]);
		for (i = 0; i < r->nmissing; i++)
			free(r->missing[i]);
		free(r->missing);
		r->missing = NULL;
		r->nmissing = 0;
		return refuse(o, 1, "FORCE=1 (--force) replaces them",
		    "%zu file%s in the way that %s does not own, e.g. %s/%s", r->nmodified,
		    r->nmodified == 1 ? "" : "s", o->id,
		    o->shown, r->modified[0]);
	}
	if (r->nmodified > 0)
		return refuse(o, 1, "FORCE=1 (--force) replaces them",
		    "%zu file%s changed since install, e.g. %s/%s", r->nmodified,
		    r->nmodified == 1 ? "" : "s", o->shown,
		    r->modified[0]);
	if ((rc = deps_gate(o, 0)) != 0)
		return rc;
	if (o->g->dry_run)
		return plan_deploy(o, old, status);
	if (join_external(o, &e) == -1)
		return refuse_err(o, "destination", &e);
	/* Puts, then the old files the new version lacks. */
	for (i = 0; i < o->nsf; i++) {
		char *t = target(o, o->sf[i].path);
		rc = cp_journal_put(o->j, droot(o), t, o->sf[i].staged, &e);
		free(t);
		if (rc == -1)
			return refuse(o, 2, NULL, "%s/%s: %s", o->shown, o->sf[i].path, e.msg);
	}
	for (k = 0; old != NULL && k < old->n; k++) {
		struct sfile key = { .path = old->v[k].path };
		char *t;

		if (bsearch(&key, o->sf, o->nsf, sizeof(*o->sf), cmp_sfile) != NULL)
			continue;
		if (state[k] == CP_RECEIPT_CHANGED && !o->g->force)
			return refuse(o, 1, "FORCE=1 (--force) removes it", "%s/%s changed since "
			    "install and the new version drops it", o->shown, old->v[k].path);
		t = target(o, old->v[k].path);
		if (o->ext == 0)
			add_name(&gone, &ngone, t);
		rc = cp_journal_del(o->j, droot(o), t, &e);
		free(t);
		if (rc == -1)
			return refuse(o, 2, NULL, "%s", e.msg);
	}
	if (stage_receipt(o, &e) == -1 || stage_artifact(o, gone, ngone, &e) == -1) {
		for (i = 0; i < ngone; i++)
			free(gone[i]);
		free(gone);
		return refuse_err(o, "staging", &e);
	}
	for (i = 0; i < ngone; i++)
		free(gone[i]);
	free(gone);
	if (cp_event_begin(&ev, o->event, o->id, decision, NULL, &e) == -1)
		return refuse_err(o, "ledger", &e);
	/* the reason, as the shell version wrote it */
	{
		char *reason;
		if (asprintf(&reason, "%s %s %s %s", decision[0] == 'I' ? "installed" : "updated",
		    o->id, decision[0] == 'I' ? "into" : "in", o->shown) == -1)
			reason = NULL;
		cp_event_free(&ev);
		if (cp_event_begin(&ev, o->event, o->id, decision, reason, &e) == -1) {
			free(reason);
			return refuse_err(o, "ledger", &e);
		}
		outcome(r, 0, status, "%s", reason != NULL ? reason : status);
		free(reason);
	}
	w = cp_event_metadata(&ev);
	common_meta(o, w);
	if (old != NULL && strcmp(old->digest, o->archive_hex) != 0) {
		cp_json_kstr(w, "before_hash", old->digest);
		cp_json_kstr(w, "after_hash", o->archive_hex);
		memcpy(r->before, old->digest, sizeof(r->before));
	}
	cp_json_kstr(w, "digest", o->archive_hex);
	memcpy(r->digest, o->archive_hex, sizeof(r->digest));
	breaks_meta(o, w);
	files_meta(o, w);
	cp_json_key(w, "signature");
	cp_json_obj(w);
	cp_json_kstr(w, "policy", o->trust_required ? "required" : "optional");
	cp_json_kstr(w, "kind", o->trust.signature != NULL ? o->trust.signature : "none");
	cp_json_kstr(w, "key", o->trust_key);
	cp_json_kstr(w, "provenance", o->trust.provenance != NULL ? o->trust.provenance : "none");
	cp_json_kstr(w, "attestation", o->trust.attestation != NULL ? o->trust.attestation : "none");
	cp_json_end(w);
	for (i = 0; i < o->nsf; i++)
		add_file(r, o->sf[i].path, o->sf[i].hex);
	rc = commit(o, &ev, status);
	cp_event_free(&ev);
	return rc;
}

/* A MANIFEST.json follows the governed actions: regenerated after each when the plane has one. */
static void refresh_manifest(struct op *o);

/* --- install, update, remove ------------------------------------------------------ */

/* The states of the receipt's files.  Returns 0, or r->exit. */
static int
check_files(struct op *o, const struct cp_receipt *rc, enum cp_receipt_state *state)
{
	struct cp_gate_result *r = o->r;
	struct cp_err e;
	long bad;
	int dfd;

	if ((dfd = open_dest(o, &e)) == -1) {
		if (errno != ENOENT)
			return refuse_err(o, "destination", &e);
		for (size_t i = 0; i < rc->n; i++)
			state[i] = CP_RECEIPT_MISSING;
		bad = (long)rc->n;
	} else {
		bad = cp_receipt_check(dfd, rc, state, &e);
		close(dfd);
		if (bad < 0)
			return refuse_err(o, "checking the installed files", &e);
	}
	for (size_t i = 0; i < rc->n; i++)
		if (state[i] == CP_RECEIPT_MISSING)
			add_name(&r->missing, &r->nmissing, rc->v[i].path);
		else if (state[i] == CP_RECEIPT_CHANGED)
			add_name(&r->modified, &r->nmodified, rc->v[i].path);
	/* A symlink (or a file) on the way is no change --force could take: refused. */
	if (r->nmodified > 0) {
		int owned, rootfd = probe_root(o, &owned, &e), blocked = 0;
		struct stat st;

		for (size_t i = 0; rootfd >= 0 && i < rc->n && !blocked; i++) {
			char *t;

			if (state[i] != CP_RECEIPT_CHANGED)
				continue;
			t = target(o, rc->v[i].path);
			if (probe(rootfd, t, &st) == P_BLOCKED) {
				blocked = 1;
				refuse(o, 2, "make it a real directory", "%s/%s: a symlink (or a file) "
				    "on the way: refused", o->shown, rc->v[i].path);
			}
			free(t);
		}
		if (owned && rootfd >= 0)
			close(rootfd);
		if (blocked)
			return r->exit;
	}
	return 0;
}

static int
id_usage(struct cp_gate_result *r, const char *id)
{
	struct cp_err e;

	if (id != NULL && cp_receipt_id_ok(id, &e))
		return 0;
	outcome(r, 2, "error", "bad package id: %s", id == NULL ? "(none)" : e.msg);
	set_hint(r, "an id is [A-Za-z0-9._-], not starting with '-'");
	return 2;
}

/* install and update: one body, the differences in flags. */
static int
install_or_update(struct cp_gate *g, const char *id, struct cp_gate_result *r, int update)
{
	struct op o;
	struct cp_receipt rc = { 0 };
	enum cp_receipt_state *state = NULL;
	struct cp_err e;
	int st, have;

	op_init(&o, g, r, update ? "update" : "install", update ? "package_update" : "package_install",
	    update ? "update" : "install", id);
	if ((st = id_usage(r, id)) != 0 || (st = authorize(&o)) != 0 ||
	    (st = begin_package(&o)) != 0)
		goto out;
	if ((have = load_receipt(&o, &rc, &e)) == -1) {
		st = refuse(&o, 2, "look at installed/ID.sha256 and ID.info; restore or remove them",
		    "%s", e.msg);
		goto out;
	}
	if (have == 1 && update) {
		st = refuse(&o, 1, "install it first: make install PKG=ID",
		    "not installed (no receipt in installed/)");
		goto out;
	}
	if (have == 0) {
		if (receipt_routes(&o, &rc, &e) == -1) {
			st = refuse(&o, 2, "restore installed/ID.info, or remove the receipt by hand "
			    "after a look", "%s", e.msg);
			goto out;
		}
		state = xreallocarray(NULL, rc.n + 1, sizeof(*state));
		if ((st = check_files(&o, &rc, state)) != 0)
			goto out;
		if (!update && strcmp(rc.digest, o.f[F_DIGEST]) != 0) {
			st = refuse(&o, 1, "make update PKG=ID", "installed at another digest (%s)",
			    rc.digest);
			goto out;
		}
		if (strcmp(rc.digest, o.f[F_DIGEST]) == 0 && r->nmissing + r->nmodified == 0) {
			cp_journal_abort(o.j);
			o.j = NULL;
			memcpy(r->digest, rc.digest, sizeof(r->digest));
			outcome(r, 0, update ? "up-to-date" : "already-installed", "%s (%s)",
			    update ? "up to date" : "already installed", rc.digest);
			st = 0;
			goto out;
		}
		if (strcmp(rc.digest, o.f[F_DIGEST]) == 0 && !g->force) {
			st = refuse(&o, 1, "FORCE=1 (--force) reinstalls from the checked archive",
			    "installed, but %zu file%s missing and %zu changed, e.g. %s/%s",
			    r->nmissing, r->nmissing == 1 ? "" : "s", r->nmodified, o.shown,
			    r->nmissing ? r->missing[0] : r->modified[0]);
			goto out;
		}
		/* what the files were is said; from here on the lists say what is in the way */
		for (size_t i = 0; i < r->nmissing; i++)
			free(r->missing[i]);
		for (size_t i = 0; i < r->nmodified; i++)
			free(r->modified[i]);
		free(r->missing);
		free(r->modified);
		r->missing = r->modified = NULL;
		r->nmissing = r->nmodified = 0;
	}
	st = deploy(&o, have == 0 ? &rc : NULL, state, update ? "UPDATE" : "INSTALL",
	    update ? "updated" : "installed");
	if (st == 0 && r->changed)
		refresh_manifest(&o);
out:
	op_free(&o);
	cp_receipt_free(&rc);
	free(state);
	return st;
}

int
cp_gate_install(struct cp_gate *g, const char *id, struct cp_gate_result *r)
{
	return install_or_update(g, id, r, 0);
}

int
cp_gate_update(struct cp_gate *g, const char *id, struct cp_gate_result *r)
{
	return install_or_update(g, id, r, 1);
}

int
cp_gate_remove(struct cp_gate *g, const char *id, struct cp_gate_result *r)
{
	struct op o;
	struct cp_receipt rc = { 0 };
	enum cp_receipt_state *state = NULL;
	struct cp_event ev = { 0 };
	struct cp_json *w;
	struct cp_err e;
	struct stat st;
	int s, have, rootfd = -1, owned = 0;
	size_t i;
	char rel[PATH_MAX];

	op_init(&o, g, r, "remove", "package_remove", "remove", id);
	if ((s = id_usage(r, id)) != 0 || (s = authorize(&o)) != 0 || (s = begin_package(&o)) != 0)
		goto out;
	if ((have = load_receipt(&o, &rc, &e)) == -1) {
		s = refuse(&o, 2, "look at installed/ID.sha256 and ID.info; restore or remove them",
		    "%s", e.msg);
		goto out;
	}
	if (have == 1) {
		s = refuse(&o, 1, NULL, "not installed (no receipt in installed/)");
		goto out;
	}
	if (receipt_routes(&o, &rc, &e) == -1) {
		s = refuse(&o, 2, "restore installed/ID.info, or remove the receipt by hand after a look",
		    "%s", e.msg);
		goto out;
	}
	state = xreallocarray(NULL, rc.n + 1, sizeof(*state));
	if ((s = check_files(&o, &rc, state)) != 0)
		goto out;
	if (r->nmodified > 0 && !g->force) {
		s = refuse(&o, 1, "FORCE=1 (--force) removes them anyway",
		    "%zu file%s changed since install, e.g. %s/%s", r->nmodified,
		    r->nmodified == 1 ? "" : "s", o.shown,
		    r->modified[0]);
		goto out;
	}
	if ((s = deps_gate(&o, 1)) != 0)
		goto out;
	if (g->dry_run) {
		for (i = 0; i < rc.n; i++)
			if (state[i] != CP_RECEIPT_MISSING)
				add_file(r, rc.v[i].path, rc.v[i].sha256);
		memcpy(r->digest, rc.digest, sizeof(r->digest));
		outcome(r, 0, "planned", "would remove %s from %s: %zu file%s", id, o.shown,
		    r->nfiles, r->nfiles == 1 ? "" : "s");
		s = 0;
		goto out;
	}
	if (o.ext && (s = join_external(&o, &e)) != 0) {
		s = refuse_err(&o, "destination", &e);
		goto out;
	}
	if ((rootfd = probe_root(&o, &owned, &e)) == -1 && o.ext) {
		s = refuse_err(&o, "destination", &e);
		goto out;
	}
	for (i = 0; i < rc.n; i++) {
		char *t;

		if (state[i] == CP_RECEIPT_MISSING)
			continue;
		t = target(&o, rc.v[i].path);
		if (probe(rootfd, t, &st) == P_OTHER && !S_ISLNK(st.st_mode)) {
			s = refuse(&o, 2, "move it out of the way", "%s/%s is not a file now: refused",
			    o.shown, rc.v[i].path);
			free(t);
			goto out;
		}
		if (cp_journal_del(o.j, droot(&o), t, &e) == -1) {
			s = refuse(&o, 2, NULL, "%s", e.msg);
			free(t);
			goto out;
		}
		free(t);
		add_file(r, rc.v[i].path, rc.v[i].sha256);
	}
	snprintf(rel, sizeof(rel), "%s/%s.sha256", cp_layout_rel(CP_LAYOUT_INSTALLED), id);
	if (cp_journal_del(o.j, 0, rel, &e) == -1) {
		s = refuse_err(&o, "receipt", &e);
		goto out;
	}
	snprintf(rel, sizeof(rel), "%s/%s.info", cp_layout_rel(CP_LAYOUT_INSTALLED), id);
	if (cp_journal_del(o.j, 0, rel, &e) == -1) {
		s = refuse_err(&o, "receipt", &e);
		goto out;
	}
	if (*o.f[F_APATH] != '\0' && !o.ext &&
	    stage_registry(&o, cp_layout_rel(CP_LAYOUT_CPREG), "artifact_path", o.f[F_APATH],
	    CP_EDIT_DEL, NULL, 0, &e) == -1) {
		s = refuse_err(&o, "registry", &e);
		goto out;
	}
	{
		char *reason;
		if (asprintf(&reason, "removed %s from %s", id, o.shown) == -1)
			reason = NULL;
		if (cp_event_begin(&ev, o.event, id, "REMOVE", reason, &e) == -1) {
			free(reason);
			s = refuse_err(&o, "ledger", &e);
			goto out;
		}
		outcome(r, 0, "removed", "%s", reason != NULL ? reason : "removed");
		free(reason);
	}
	w = cp_event_metadata(&ev);
	common_meta(&o, w);
	cp_json_kstr(w, "digest", rc.digest);
	memcpy(r->digest, rc.digest, sizeof(r->digest));
	cp_json_kstr(w, "destination", o.dest_abs);
	breaks_meta(&o, w);
	cp_json_key(w, "files");
	cp_json_arr(w);
	for (i = 0; i < rc.n; i++) {
		cp_json_obj(w);
		cp_json_kstr(w, "path", rc.v[i].path);
		cp_json_kstr(w, "sha256", rc.v[i].sha256);
		cp_json_end(w);
	}
	cp_json_end(w);
	cp_json_key(w, "missing");
	cp_json_arr(w);
	for (i = 0; i < r->nmissing; i++)
		cp_json_str(w, r->missing[i]);
	cp_json_end(w);
	if (r->nmodified > 0) {
		cp_json_key(w, "forced");
		cp_json_arr(w);
		for (i = 0; i < r->nmodified; i++)
			cp_json_str(w, r->modified[i]);
		cp_json_end(w);
	}
	s = commit(&o, &ev, "removed");
	if (s == 0)
		refresh_manifest(&o);
out:
	if (owned && rootfd >= 0)
		close(rootfd);
	cp_event_free(&ev);
	op_free(&o);
	cp_receipt_free(&rc);
	free(state);
	return s;
}

/* --- pack --------------------------------------------------------------------- */

/* src as a path relative to the plane, lexically (no symlink resolved): NULL with e when outside. */
static char *
plane_relative(const struct cp_gate *g, const char *src, struct cp_err *e)
{
	char cwd[PATH_MAX], *abs, *p, *out;
	struct cp_buf b = { 0 };
	size_t rl = strlen(g->root);

	if (src[0] == '/')
		abs = xstrdup(src);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			cp_err_set(e, errno, "the current directory");
			return NULL;
		}
		abs = xpathjoin(cwd, src);
	}
	/* lexical normalisation: "." and empty components dropped, ".." refused */
	for (p = strtok(abs, "/"); p != NULL; p = strtok(NULL, "/")) {
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			cp_err_set(e, 0, "%s: '..' in SRC: give a path inside the plane without it", src);
			free(abs);
			cp_buf_free(&b);
			return NULL;
		}
		cp_buf_addc(&b, '/');
		cp_buf_adds(&b, p);
	}
	cp_buf_addc(&b, '\0');
	free(abs);
	if (strncmp(b.data, g->root, rl) != 0 || (b.data[rl] != '/' && b.data[rl] != '\0') ||
	    strcmp(g->root, "/") == 0) {
		cp_err_set(e, 0, "%s is not inside the plane %s: SRC must lie in the plane", src,
		    g->root);
		cp_buf_free(&b);
		return NULL;
	}
	out = xstrdup(b.data[rl] == '/' ? b.data + rl + 1 : "");
	cp_buf_free(&b);
	return out;
}

/* 1 if the tree under the directory dirfd holds the file dev:ino (symlinks not followed). */
static int
holds_inode(int dirfd, dev_t dev, ino_t ino, int depth)
{
	struct dirent *de;
	struct stat st;
	int fd, found = 0;
	DIR *d;

	if (depth > 64 || (fd = dup(dirfd)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while (!found && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISREG(st.st_mode) && st.st_dev == dev && st.st_ino == ino)
			found = 1;
		else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				found = holds_inode(sub, dev, ino, depth + 1);
				close(sub);
			}
		}
	}
	closedir(d);
	return found;
}

static int stage_bytes(struct op *o, const char *text, size_t len, char name[32], struct cp_err *e);

/* The stamp of an up-to-date pack, written beneath the plane (a symlink is replaced, never followed); failures are harmless. */
static void
write_stamp(struct cp_gate *g, const char *id, const char *src)
{
	char name[NAME_MAX + 1];
	struct cp_atomic a;
	int dfd;

	snprintf(name, sizeof(name), "%s.stamp", id);
	if ((dfd = cp_beneath_mkdirs(g->fd, ".cp/pack", 0755, NULL)) == -1)
		return;
	if (cp_atomic_openat(&a, dfd, name, 0644) == 0) {
		fprintf(a.fp, "%s\n", src);
		(void)cp_atomic_commit(&a);	/* a cache: without it the next pack compares */
	}
	close(dfd);
}

/*
 * make pack's stamp, .cp/pack/ID.stamp: the SRC it packed, so that make can
 * tell a pack of other sources.  Written here, in the transaction and
 * beneath the plane, never by a shell redirection that would follow a
 * symlink.  Staged after every other file of the pack: a rename keeps the
 * mtime of the writing, and make redoes a pack whose archive or registry is
 * newer than its stamp.  Returns 0 or -1 (e).
 */
static int
stage_stamp(struct op *o, const char *src, struct cp_err *e)
{
	char rel[PATH_MAX], name[32];
	size_t n = strlen(src);
	char *text = xmalloc(n + 2);
	int rc;

	memcpy(text, src, n);
	text[n] = '\n';
	snprintf(rel, sizeof(rel), "%s/pack/%s.stamp", cp_layout_rel(CP_LAYOUT_STATE), o->id);
	rc = stage_bytes(o, text, n + 1, name, e);
	free(text);
	return rc == -1 ? -1 : cp_journal_put(o->j, 0, rel, name, e);
}

/* 1 when a signing key is set and the archive at store carries no signature yet. */
static int
unsigned_with_key(const struct cp_gate *g, const char *store)
{
	const char *k = getenv("CONTROL_PLANE_SIGNING_KEY");
	char rel[PATH_MAX + 8];
	struct stat st;

	snprintf(rel, sizeof(rel), "%s.sig", store);
	return k != NULL && *k != '\0' && fstatat(g->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1;
}

/* 1 if the packages registry has column col. */
static int
has_column(struct op *o, const char *col)
{
	struct cp_err e;
	FILE *fp = open_registry(o->g, cp_layout_rel(CP_LAYOUT_PACKAGES), &e);
	struct cp_csv_reader *rd;
	int has = 0;

	if (fp == NULL)
		return 0;
	rd = cp_csv_open(fp, "packages_registry.csv", NULL);
	has = cp_csv_read_header(rd) == 0 && cp_csv_column(rd, col) >= 0;
	cp_csv_close(rd);
	fclose(fp);
	return has;
}

/*
 * The in-toto Statement v1 of the staged archive staged (name, sha256 hex):
 * a SLSA provenance v1 predicate whose resolved dependencies are the files
 * packed, by their paths in the archive (no path of this machine) and
 * digests, and whose builder is this toolkit.  No timestamp: the same
 * sources give the same statement.  Returns its JSON text (caller frees),
 * or NULL with e.
 */
static char *
statement(struct op *o, const char *staged, const char *name, const char *hex, const char *src,
    struct cp_err *e)
{
	struct cp_tarread_opts ro = { 0 };
	struct cp_tarread *rd = NULL;
	struct cp_tarentry ent;
	struct cp_sha256 c = { 0 };
	unsigned char d[CP_SHA256_LEN];
	char fhex[CP_SHA256_HEXLEN + 1], *text = NULL;
	const void *buf;
	json_t *deps = json_array(), *st;
	ssize_t n;
	int fd, rc;

	if ((fd = cp_beneath_open(cp_journal_stage_fd(o->j), staged, O_RDONLY, 0, e)) == -1)
		goto out;
	if ((rd = cp_tarread_open(fd, &ro)) == NULL) {
		cp_err_set(e, errno, "reading the archive back");
		goto out;
	}
	while ((rc = cp_tarread_next(rd, &ent)) == 1) {
		if (ent.type != CP_TAR_FILE)
			continue;
		if (cp_sha256_init(&c) == -1)
			break;
		while ((n = cp_tarread_data(rd, &buf)) > 0)
			cp_sha256_update(&c, buf, (size_t)n);
		if (n < 0 || cp_sha256_final(&c, d) == -1)
			break;
		cp_hex_encode(d, sizeof(d), fhex);
		json_array_append_new(deps, json_pack("{s:s, s:{s:s}}", "name", ent.name, "digest",
		    "sha256", fhex));
	}
	if (rc != 0) {
		cp_err_set(e, 0, "reading the archive back: %s", cp_tarread_error(rd)->msg);
		goto out;
	}
	st = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:{s:{s:s, s:{s:s, s:s}, s:O}, s:{s:{s:s, s:{s:s}}}}}",
	    "_type", "https://in-toto.io/Statement/v1",
	    "subject", "name", name, "digest", "sha256", hex,
	    "predicateType", "https://slsa.dev/provenance/v1",
	    "predicate",
	    "buildDefinition",
	    "buildType", "https://control-plane-v2.example/cp-plane/pack@v1",
	    "externalParameters", "source", src, "package", o->id,
	    "resolvedDependencies", deps,
	    "runDetails", "builder", "id", "https://control-plane-v2.example/cp-plane",
	    "version", "cp-plane", CP_VERSION);
	if (st == NULL || (text = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		cp_err_set(e, 0, "cannot build the statement");
	json_decref(st);
out:
	cp_sha256_free(&c);
	cp_tarread_close(rd);
	if (fd >= 0)
		close(fd);
	json_decref(deps);
	return text;
}

/* Stage text[0..len) as a new file; its name in name.  Returns 0 or -1 (e). */
static int
stage_bytes(struct op *o, const char *text, size_t len, char name[32], struct cp_err *e)
{
	int fd = cp_journal_stage(o->j, name, e);

	if (fd == -1)
		return -1;
	if (cp_io_write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		cp_err_set(e, errno, "staging");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * With $CONTROL_PLANE_SIGNING_KEY, sign the staged archive staged (its
 * bytes, as signify -S does) and stage the signature as signame, and its
 * in-toto attestation (a DSSE envelope around the statement, signed with
 * the same key) as attname, its SHA-256 in athex.  Returns 1 signed, 0 no
 * key, -1 with e.
 */
static int
pack_sign(struct op *o, const char *staged, char signame[32], const char *aname,
    const char *hex, const char *src, char attname[32], char athex[CP_SHA256_HEXLEN + 1],
    struct cp_err *e)
{
	struct cp_signify_sec sec;
	struct cp_signify_sig sig;
	cp_signify_comment comment;
	struct stat st;
	char *text = NULL;
	void *map = MAP_FAILED;
	size_t tlen;
	int k, fd, rc = -1;

	if ((k = cp_trust_signing_key(o->g->root, &sec, comment, e)) <= 0)
		return k;
	if ((fd = cp_beneath_open(cp_journal_stage_fd(o->j), staged, O_RDONLY, 0, e)) == -1)
		goto out;
	if (fstat(fd, &st) == -1 || (size_t)st.st_size > CP_SIGNIFY_MSGMAX ||
	    (map = mmap(NULL, (size_t)st.st_size ? (size_t)st.st_size : 1, PROT_READ, MAP_PRIVATE,
	    fd, 0)) == MAP_FAILED) {
		cp_err_set(e, errno, "the archive to sign");
		close(fd);
		goto out;
	}
	close(fd);
	if (cp_signify_sign(&sec, map, (size_t)st.st_size, &sig, e) == -1 ||
	    (text = cp_signify_text_sig(&sig, comment, &tlen, e)) == NULL)
		goto out;
	if (stage_bytes(o, text, tlen, signame, e) == -1)
		goto out;
	{
		char *stm = statement(o, staged, aname, hex, src, e), *env;
		unsigned char d[CP_SHA256_LEN];
		size_t elen;

		if (stm == NULL)
			goto out;
		env = cp_dsse_sign(CP_TRUST_INTOTO_TYPE, stm, strlen(stm), &sec, &elen, e);
		free(stm);
		if (env == NULL)
			goto out;
		if (cp_sha256(env, elen, d) == -1 || stage_bytes(o, env, elen, attname, e) == -1) {
			free(env);
			goto out;
		}
		free(env);
		cp_hex_encode(d, sizeof(d), athex);
	}
	rc = 1;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size ? (size_t)st.st_size : 1);
	free(text);
	cp_signify_sec_wipe(&sec);
	return rc;
}

static void
pack_problem(void *arg, const char *msg)
{
	struct cp_buf *b = arg;

	if (b->len == 0)
		cp_buf_adds(b, msg);
}

int
cp_gate_pack(struct cp_gate *g, const char *src, const char *id, struct cp_gate_result *r)
{
	struct op o;
	struct cp_event ev = { 0 };
	struct cp_tarpack_opts po = { 0 };
	struct cp_tarpack *tp = NULL;
	struct cp_buf prob = { 0 };
	struct cp_json *w;
	struct cp_err e;
	struct stat st;
	char *rel = NULL, *base = NULL, name[32], side[32], hex[CP_SHA256_HEXLEN + 1];
	char old[CP_SHA256_HEXLEN + 1], store[PATH_MAX], line[PATH_MAX + 80], cur[CP_SHA256_HEXLEN + 1];
	int s, fd = -1, bfd = -1, afd, signed_ = 0;
	char signame[32], attname[32], aname[NAME_MAX + 1], athex[CP_SHA256_HEXLEN + 1] = "";
	size_t blen, count;
	const char *inner;
	char *cut;

	op_init(&o, g, r, "pack", "package_pack", "pack", id);
	if ((s = id_usage(r, id)) != 0)
		goto out;
	if (src == NULL || *src == '\0') {
		outcome(r, 2, "error", "no SRC given");
		s = 2;
		goto out;
	}
	if ((s = authorize(&o)) != 0 || (s = begin_package(&o)) != 0)
		goto out;
	if ((rel = plane_relative(g, src, &e)) == NULL) {
		s = refuse(&o, 2, "give a file or directory inside the plane", "%s", e.msg);
		goto out;
	}
	if (*rel != '\0' && !cp_relpath_ok(rel, strlen(rel), &e)) {
		s = refuse(&o, 2, NULL, "SRC %s", e.msg);
		goto out;
	}
	if (*rel == '\0' || reserved(rel) != NULL) {
		s = refuse(&o, 2, "pack a file or directory of the plane's content",
		    "SRC %s is %s: refused", *rel ? rel : ".", *rel ? "the plane's own state" :
		    "the whole plane (its .cp/, ledger/, installed/ with it)");
		goto out;
	}
	fd = *rel ? cp_beneath_open(g->fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &e) :
	    openat(g->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		s = refuse(&o, 2, "SRC must be a real file or directory (no symlink on the way)",
		    "SRC %s", e.msg);
		goto out;
	}
	if (fstat(fd, &st) == -1 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		s = refuse(&o, 2, NULL, "SRC %s is not a file or directory", rel);
		goto out;
	}
	if (g->has_secret && st.st_dev == g->secret_dev && st.st_ino == g->secret_ino) {
		s = refuse(&o, 2, NULL, "SRC %s is the secrets file: refused", rel);
		goto out;
	}
	if (g->has_secret && S_ISDIR(st.st_mode) && holds_inode(fd, g->secret_dev, g->secret_ino, 0)) {
		s = refuse(&o, 2, NULL, "SRC %s holds the secrets file (a hard link to it): refused", rel);
		goto out;
	}
	/* The base: entries are stored relative to where install puts them back. */
	if (o.ext) {
		if (S_ISDIR(st.st_mode))
			base = xstrdup(rel);
		else {
			base = xstrdup(rel);
			cut = strrchr(base, '/');
			if (cut != NULL)
				*cut = '\0';
			else
				*base = '\0';
		}
	} else {
		base = xstrdup(o.dest_rel);
		blen = strlen(base);
		if (blen > 0 && (strncmp(rel, base, blen) != 0 || (rel[blen] != '/' && rel[blen] != '\0'))) {
			s = refuse(&o, 2, NULL, "%s: a %s package packs files under %s", rel,
			    cp_receipt_type_name(o.type), base);
			goto out;
		}
	}
	blen = strlen(base);
	inner = rel + blen + (blen > 0 && rel[blen] == '/');
	if (*inner == '\0')
		inner = ".";
	bfd = *base ? cp_beneath_open(g->fd, base, O_RDONLY | O_DIRECTORY, 0, &e) :
	    openat(g->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd == -1) {
		s = refuse_err(&o, "SRC", &e);
		goto out;
	}
	po.dirfd = bfd;
	po.level = 6;
	po.jobs = 1;
	po.mtime = 0;
	po.files_only = 1;	/* so package_install.py installs it without --force */
	po.problem = pack_problem;
	po.arg = &prob;
	po.progress = g->progress;
	po.progress_arg = g->progress_arg;
	tp = cp_tarpack_new(&po);
	if (cp_tarpack_add(tp, inner) == -1) {
		cp_buf_addc(&prob, '\0');
		s = refuse(&o, 2, "pack regular files and directories only", "SRC %s: %s", rel,
		    prob.data != NULL ? prob.data : "refused");
		goto out;
	}
	if ((count = cp_tarpack_count(tp)) == 0) {
		s = refuse(&o, 2, NULL, "SRC %s: no files to pack", rel);
		goto out;
	}
	if (g->progress != NULL)
		g->progress_total(g->progress_arg, cp_tarpack_bytes(tp));
	if ((afd = cp_journal_stage(o.j, name, &e)) == -1) {
		s = refuse_err(&o, "staging", &e);
		goto out;
	}
	if (cp_tarpack_write(tp, afd, &e) == -1 || fsync(afd) == -1) {
		close(afd);
		s = refuse_err(&o, "packing", &e);
		goto out;
	}
	close(afd);
	hash_rel(cp_journal_stage_fd(o.j), name, hex);
	snprintf(store, sizeof(store), "%s/%s.tar.gz", cp_layout_rel(CP_LAYOUT_STORE), id);
	snprintf(old, sizeof(old), "%s", o.f[F_DIGEST]);
	hash_rel(g->fd, store, cur);
	if (strcmp(old, hex) == 0 && strcmp(o.f[F_SOURCE], store) == 0 && strcmp(cur, hex) == 0 &&
	    !unsigned_with_key(g, store)) {
		cp_journal_abort(o.j);
		o.j = NULL;
		memcpy(r->digest, hex, sizeof(r->digest));
		outcome(r, 0, "up-to-date", "up to date (%s)", hex);
		if (!g->dry_run)
			write_stamp(g, id, src);	/* a cache: nothing of the plane changed */
		s = 0;
		goto out;
	}
	if (g->dry_run) {
		memcpy(r->digest, hex, sizeof(r->digest));
		memcpy(r->before, old, sizeof(r->before));
		if (cur[0] != '\0')
			add_name(&r->replaced, &r->nreplaced, store);
		outcome(r, 0, "planned", "would pack %s into %s: %zu file%s%s", rel, store, count,
		    count == 1 ? "" : "s", cur[0] != '\0' ? ", replacing the archive" : "");
		s = 0;
		goto out;
	}
	{
		int sfd = cp_journal_stage(o.j, side, &e);
		int n = snprintf(line, sizeof(line), "%s  %s.tar.gz\n", hex, id);

		if (sfd == -1 || cp_io_write_all(sfd, line, (size_t)n) == -1 || fsync(sfd) == -1) {
			if (sfd >= 0)
				close(sfd);
			s = refuse(&o, 2, NULL, "staging the sidecar: %s", sfd == -1 ? e.msg : strerror(errno));
			goto out;
		}
		close(sfd);
	}
	snprintf(aname, sizeof(aname), "%s.tar.gz", id);
	if ((signed_ = pack_sign(&o, name, signame, aname, hex, rel, attname, athex, &e)) == -1) {
		s = refuse(&o, 2, "CONTROL_PLANE_SIGNING_KEY names a signify secret key (cp-sign -G -n), "
		    "mode 600, outside the plane", "signing: %s", e.msg);
		goto out;
	}
	{
		char srel[PATH_MAX + 8], sigrel[PATH_MAX + 8], provrel[PATH_MAX + 24];
		char attrel[PATH_MAX + 24];
		const struct cp_edit_assign as[] = {
			{ "source", store }, { "source_type", "tar" }, { "digest", hex },
			{ "signature", signed_ ? sigrel : "" },
			{ "attestation_path", signed_ ? attrel : "" },
			{ "attestation_digest", signed_ ? athex : "" },
		};

		snprintf(srel, sizeof(srel), "%s.sha256", store);
		snprintf(sigrel, sizeof(sigrel), "%s.sig", store);
		snprintf(provrel, sizeof(provrel), "%s.provenance.json", store);
		snprintf(attrel, sizeof(attrel), "%s.intoto.jsonl", store);
		/* a signature or provenance of the old archive would now be wrong: it goes */
		if (cp_journal_put(o.j, 0, store, name, &e) == -1 ||
		    cp_journal_put(o.j, 0, srel, side, &e) == -1 ||
		    (signed_ ? cp_journal_put(o.j, 0, sigrel, signame, &e) :
		    cp_journal_del(o.j, 0, sigrel, &e)) == -1 ||
		    (signed_ ? cp_journal_put(o.j, 0, attrel, attname, &e) :
		    cp_journal_del(o.j, 0, attrel, &e)) == -1 ||
		    cp_journal_del(o.j, 0, provrel, &e) == -1 ||
		    stage_registry(&o, cp_layout_rel(CP_LAYOUT_PACKAGES), "id", id, CP_EDIT_SET,
		    as, has_column(&o, "attestation_digest") ? 6 : 3, &e) == -1 ||
		    stage_stamp(&o, src, &e) == -1) {
			s = refuse_err(&o, "staging", &e);
			goto out;
		}
	}
	{
		char *reason;
		if (asprintf(&reason, "packed %s", rel) == -1)
			reason = NULL;
		if (cp_event_begin(&ev, o.event, id, "PACK", reason, &e) == -1) {
			free(reason);
			s = refuse_err(&o, "ledger", &e);
			goto out;
		}
		outcome(r, 0, "packed", "%s", reason != NULL ? reason : "packed");
		free(reason);
	}
	w = cp_event_metadata(&ev);
	common_meta(&o, w);
	cp_json_kstr(w, "source", store);
	cp_json_kstr(w, "before_hash", old);
	cp_json_kstr(w, "after_hash", hex);
	cp_json_kuint(w, "files", count);
	cp_json_kbool(w, "signed", signed_ == 1);
	memcpy(r->digest, hex, sizeof(r->digest));
	memcpy(r->before, old, sizeof(r->before));
	s = commit(&o, &ev, "packed");
out:
	if (fd >= 0)
		close(fd);
	if (bfd >= 0)
		close(bfd);
	cp_tarpack_free(tp);
	cp_buf_free(&prob);
	cp_event_free(&ev);
	free(rel);
	free(base);
	op_free(&o);
	return s;
}

/* --- manifest ------------------------------------------------------------------ */

/*
 * Regenerate MANIFEST.json in the transaction begun in o: run the integrity
 * check, stage the new file, commit with event manifest_update.  reason_for:
 * the operation that caused it (an install), or NULL for make manifest.
 * Returns r->exit.
 */
static int
manifest_tx(struct op *o, const char *why)
{
	struct cp_gate *g = o->g;
	struct cp_gate_result *r = o->r;
	struct cp_integrity_opts io = { 0 };
	struct cp_integrity ir;
	struct cp_event ev = { 0 };
	struct cp_json *w;
	struct cp_err e;
	char root[CP_SHA256_HEXLEN + 1], ts[32], *cache, *staged, name[32];
	const char *mrel = cp_layout_rel(CP_LAYOUT_MANIFEST);
	time_t now = time(NULL);
	struct tm tm;
	int fd, s;

	cache = xpathjoin(g->root, ".cp/hash.cache");
	io.root = g->root;
	io.cache = cache;
	io.jobs = 0;
	if (cp_integrity_run(&io, &ir, &e) == -1) {
		cp_integrity_free(&ir);
		free(cache);
		return refuse_err(o, "integrity", &e);
	}
	free(cache);
	if (strcmp(ir.scheme, "rfc6962") == 0)
		snprintf(root, sizeof(root), "%s", ir.root);
	else if (cp_integrity_root(&ir, "rfc6962", 0, root, &e) == -1) {
		cp_integrity_free(&ir);
		return refuse_err(o, "integrity", &e);
	}
	memcpy(r->digest, root, sizeof(r->digest));
	if (ir.manifest_error == NULL && ir.manifest_root != NULL &&
	    strcmp(ir.manifest_root, root) == 0 && strcmp(ir.scheme, "rfc6962") == 0) {
		cp_integrity_free(&ir);
		cp_journal_abort(o->j);
		o->j = NULL;
		if (why == NULL)
			outcome(r, 0, "up-to-date", "%s: up to date (%s)", mrel, root);
		return 0;
	}
	if ((fd = cp_journal_stage(o->j, name, &e)) == -1) {
		cp_integrity_free(&ir);
		return refuse_err(o, "staging", &e);
	}
	close(fd);
	staged = xmalloc(strlen(g->root) + 64 + strlen(name));
	sprintf(staged, "%s/.cp/stage/%s/%s", g->root, cp_journal_txid(o->j), name);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	s = cp_integrity_write_manifest(&ir, g->fd, staged, root, ts, GENERATOR " " CP_VERSION, &e);
	free(staged);
	if (s == -1) {
		cp_integrity_free(&ir);
		return refuse_err(o, mrel, &e);
	}
	if (cp_journal_put(o->j, 0, mrel, name, &e) == -1) {
		cp_integrity_free(&ir);
		return refuse_err(o, "staging", &e);
	}
	{
		char *reason;
		if (asprintf(&reason, "%s: %zu file%s, root %s%s%s", mrel, ir.nfiles,
		    ir.nfiles == 1 ? "" : "s", root,
		    why ? ", after " : "", why ? why : "") == -1)
			reason = NULL;
		if (cp_event_begin(&ev, "manifest_update", o->id != NULL ? o->id : "", "MANIFEST",
		    reason, &e) == -1) {
			free(reason);
			cp_integrity_free(&ir);
			return refuse_err(o, "ledger", &e);
		}
		if (why == NULL)
			outcome(r, 0, "manifest", "%s", reason != NULL ? reason : "manifest");
		free(reason);
	}
	w = cp_event_metadata(&ev);
	common_meta(o, w);
	cp_json_kstr(w, "merkle_root", root);
	cp_json_kstr(w, "merkle_scheme", "rfc6962");
	cp_json_kuint(w, "files", ir.nfiles);
	if (why != NULL)
		cp_json_kstr(w, "after", why);
	cp_integrity_free(&ir);
	s = commit(o, &ev, "manifest");
	cp_event_free(&ev);
	return s;
}

static void
refresh_manifest(struct op *o)
{
	struct op m;
	struct cp_gate_result *r = o->r, mr;
	char why[300];
	struct stat st;

	if (fstatat(o->g->fd, cp_layout_rel(CP_LAYOUT_MANIFEST), &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode))
		return;
	snprintf(why, sizeof(why), "%s %s", o->event, o->id);
	memset(&m, 0, sizeof(m));
	memset(&mr, 0, sizeof(mr));
	mr.provider = r->provider;
	m.g = o->g;
	m.r = &mr;
	m.event = "manifest_update";
	m.action = "hash_update";
	m.id = o->id;
	if (begin(&m) != 0 || manifest_tx(&m, why) != 0 || mr.warning != NULL) {
		/* the step is done and ledgered; the manifest's failure is a warning about it */
		free(r->warning);
		if (asprintf(&r->warning, "%s not refreshed: %s (make manifest)",
		    cp_layout_rel(CP_LAYOUT_MANIFEST), mr.warning != NULL ? mr.warning :
		    mr.reason != NULL ? mr.reason : "failed") == -1)
			r->warning = NULL;
	}
	op_free(&m);
	cp_gate_result_free(&mr);
}

int
cp_gate_manifest(struct cp_gate *g, struct cp_gate_result *r)
{
	struct op o;
	int s;

	op_init(&o, g, r, "manifest", "manifest_update", "hash_update", NULL);
	if ((s = authorize(&o)) == 0 && (s = begin(&o)) == 0)
		s = manifest_tx(&o, NULL);
	op_free(&o);
	return s;
}

/* --- adopt: a plane the Python tools built --------------------------------------- */

#define PY_RECEIPT_MAX ((size_t)16 << 20)

/* 1 if the ledger holds a plane_adopt entry (this toolkit adopted the plane), 0 if not, -1 (e). */
static int
was_adopted(const char *ledger, struct cp_err *e)
{
	static const char head[] = "{\"event_type\": \"plane_adopt\"";
	const struct cp_ledger_line *ln;
	struct cp_ledger *l;
	int rc, found = 0;

	if (cp_ledger_open(&l, ledger, 0, e) == -1)
		return errno == ENOENT ? 0 : -1;
	while ((rc = cp_ledger_read(l, &ln, e)) == 1)
		if (ln->kind == CP_LEDGER_ENTRY && ln->text != NULL &&
		    strncmp(ln->text, head, sizeof(head) - 1) == 0)
			found = 1;
	cp_ledger_close(l);
	return rc < 0 ? -1 : found;
}

/* Stage text as a new file and put it at rel in the plane.  Returns 0 or -1 (e). */
static int
stage_text(struct op *o, const char *rel, const char *text, size_t len, struct cp_err *e)
{
	char name[32];
	int fd;

	if ((fd = cp_journal_stage(o->j, name, e)) == -1)
		return -1;
	if (cp_io_write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		cp_err_set(e, errno, "staging %s", rel);
		close(fd);
		return -1;
	}
	close(fd);
	return cp_journal_put(o->j, 0, rel, name, e);
}


/*
 * Index one Python receipt (installed/ID/receipt.json): its paths are
 * plane-relative; the row must route ID to a directory in the plane that
 * holds them all.  Stages installed/ID.sha256 and ID.info.  Returns 0
 * indexed, 1 skipped (why in *why, the caller's to free), -1 (e).
 */
static int
index_receipt(struct op *o, int instfd, const char *id, char **why, struct cp_err *e)
{
	struct cp_receipt rc = { 0 };
	char rel[PATH_MAX], *text, n1[32], n2[32];
	json_t *root = NULL, *files, *f;
	const char *dg, *path, *hex;
	size_t len, i, dl;
	struct stat st;
	struct cp_err le;
	FILE *a = NULL, *b = NULL;
	int fa = -1, fb = -1, st_rc = 1;

	*why = NULL;
	snprintf(rel, sizeof(rel), "%s/receipt.json", id);
	cp_err_clear(&le);
	if ((text = cp_beneath_read(instfd, rel, PY_RECEIPT_MAX, &len, &le)) == NULL) {
		if (asprintf(why, "%s", le.msg) == -1)
			*why = NULL;
		return 1;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	dg = json_string_value(json_object_get(root, "archive_digest"));
	files = json_object_get(root, "files");
	if (root == NULL || !json_is_object(root) || !json_is_array(files) || !(dg != NULL && cp_hex_is_sha256(dg, strlen(dg))) ||
	    json_string_value(json_object_get(root, "id")) == NULL ||
	    strcmp(json_string_value(json_object_get(root, "id")), id) != 0) {
		if (asprintf(why, "installed/%s: not a receipt of %s (id, archive_digest, files)",
		    rel, id) == -1)
			*why = NULL;
		goto out;
	}
	snprintf(rel, sizeof(rel), "%s.info", id);
	if (fstatat(instfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (asprintf(why, "installed/%s exists already", rel) == -1)
			*why = NULL;
		goto out;
	}
	/* the row routes it: its files must lie beneath that destination */
	o->id = id;
	for (i = 0; i < NF; i++) {
		free(o->f[i]);
		o->f[i] = NULL;
	}
	free(o->dest_rel);
	free(o->dest_abs);
	free(o->shown);
	o->dest_rel = o->dest_abs = o->shown = NULL;
	if (load_row(o, &le) != 0 || route(o, &le) == -1 || o->ext) {
		if (asprintf(why, "%s: %s", id, le.msg[0] ? le.msg :
		    "no row in the registry to route it (or external)") == -1)
			*why = NULL;
		goto out;
	}
	dl = strlen(o->dest_rel);
	rc.package = xstrdup(id);
	memcpy(rc.digest, dg, sizeof(rc.digest));
	rc.destination = xstrdup(o->shown);
	rc.output_type = o->type;
	rc.v = xreallocarray(NULL, json_array_size(files) + 1, sizeof(*rc.v));
	json_array_foreach(files, i, f) {
		path = json_string_value(json_object_get(f, "path"));
		hex = json_string_value(json_object_get(f, "sha256"));
		if (path == NULL || !(hex != NULL && cp_hex_is_sha256(hex, strlen(hex))) || !cp_relpath_ok(path, strlen(path), NULL) ||
		    (dl > 0 && (strncmp(path, o->dest_rel, dl) != 0 || path[dl] != '/'))) {
			if (asprintf(why, "%s: file %zu is not a path beneath %s with a sha256", id, i,
			    o->shown) == -1)
				*why = NULL;
			goto out;
		}
		if (reserved(path) != NULL) {
			if (asprintf(why, "%s: file %zu is inside the plane's %s", id, i,
			    reserved(path)) == -1)
				*why = NULL;
			goto out;
		}
		rc.v[rc.n].path = xstrdup(path + (dl > 0 ? dl + 1 : 0));
		memcpy(rc.v[rc.n].sha256, hex, sizeof(rc.v[0].sha256));
		rc.n++;
	}
	if ((fa = cp_journal_stage(o->j, n1, e)) == -1 || (fb = cp_journal_stage(o->j, n2, e)) == -1 ||
	    (a = fdopen(fa, "w")) == NULL || (b = fdopen(fb, "w")) == NULL) {
		st_rc = -1;
		goto out;
	}
	if (cp_receipt_format(&rc, a, b, &le) == -1) {
		if (asprintf(why, "%s", le.msg) == -1)
			*why = NULL;
		goto out;
	}
	if (fflush(a) || fflush(b) || fsync(fa) || fsync(fb)) {
		st_rc = cp_err_set(e, errno, "staging the receipt of %s", id);
		goto out;
	}
	snprintf(rel, sizeof(rel), "%s/%s.sha256", cp_layout_rel(CP_LAYOUT_INSTALLED), id);
	if (cp_journal_put(o->j, 0, rel, n1, e) == -1) {
		st_rc = -1;
		goto out;
	}
	snprintf(rel, sizeof(rel), "%s/%s.info", cp_layout_rel(CP_LAYOUT_INSTALLED), id);
	st_rc = cp_journal_put(o->j, 0, rel, n2, e) == -1 ? -1 : 0;
out:
	if (a != NULL)
		fclose(a);
	else if (fa >= 0)
		close(fa);
	if (b != NULL)
		fclose(b);
	else if (fb >= 0)
		close(fb);
	json_decref(root);
	free(rc.destination);
	rc.destination = NULL;
	cp_receipt_free(&rc);
	o->id = NULL;
	return st_rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of installed/ID/receipt.json, sorted.  Returns the count, or -1 (e). */
static long
python_receipts(int instfd, char ***ids, struct cp_err *e)
{
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	int fd;
	DIR *d;

	*ids = NULL;
	if ((fd = dup(instfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cp_err_set(e, errno, "installed/");
	}
	while ((de = readdir(d)) != NULL) {
		char rel[NAME_MAX + 16];

		if (!cp_receipt_id_ok(de->d_name, NULL))
			continue;
		snprintf(rel, sizeof(rel), "%s/receipt.json", de->d_name);
		if (fstatat(instfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode) ||
		    fstatat(instfd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		*ids = xreallocarray(*ids, n + 1, sizeof(**ids));
		(*ids)[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(*ids, n, sizeof(**ids), cmp_str);
	return (long)n;
}

/* roles.csv's text: the header, the admin, the other users ("USER:ROLE,ROLE").  NULL (e) on a bad one. */
static char *
roles_text(const struct cp_gate_adopt *a, struct cp_err *e)
{
	struct cp_buf b = { 0 };
	size_t i, k;

	cp_buf_adds(&b, "user,roles\r\n");
	cp_buf_adds(&b, a->admin);
	cp_buf_adds(&b, ",admin\r\n");
	for (i = 0; i < a->nusers; i++) {
		const char *u = a->users[i], *colon = strchr(u, ':');
		struct cp_roles_list l = { 0 };

		if (colon == NULL || colon == u || !cp_user_valid(u, (size_t)(colon - u)) ||
		    cp_roles_list_parse(&l, colon + 1) != 0 || l.n == 0) {
			cp_roles_list_free(&l);
			cp_buf_free(&b);
			cp_err_set(e, 0, "user '%s': give USER:ROLE[,ROLE...]", u);
			return NULL;
		}
		for (k = 0; k < l.n; k++) {
			int known;

			cp_roles_grants(l.name[k], &known);
			if (!known) {
				cp_err_set(e, 0, "user '%s': unknown role '%s'", u, l.name[k]);
				cp_roles_list_free(&l);
				cp_buf_free(&b);
				return NULL;
			}
		}
		cp_buf_add(&b, u, (size_t)(colon - u));
		cp_buf_addc(&b, ',');
		if (l.n > 1)
			cp_buf_addc(&b, '"');
		for (k = 0; k < l.n; k++) {
			if (k > 0)
				cp_buf_addc(&b, ',');
			cp_buf_adds(&b, l.name[k]);
		}
		if (l.n > 1)
			cp_buf_addc(&b, '"');
		cp_buf_adds(&b, "\r\n");
		cp_roles_list_free(&l);
	}
	cp_buf_addc(&b, '\0');
	return b.data;
}

int
cp_gate_adopt(const char *root, const struct cp_gate_opts *go, const struct cp_gate_adopt *a,
    struct cp_gate_result *r)
{
	struct cp_gate g = { 0 };
	struct cp_auth_secret sec = { 0 };
	struct cp_ledger_summary sum = { 0 };
	struct cp_journal_report rep;
	struct cp_event ev = { 0 };
	struct op o;
	struct cp_json *w;
	struct cp_err e;
	struct stat st;
	char tok[CP_AUTH_TOKEN_READ_MAX], user[CP_USER_MAX + 1], *roles = NULL, *conf = NULL;
	char **ids = NULL, *why, hex[CP_SHA256_HEXLEN + 1];
	const char *reason = NULL, *rolesrel = cp_layout_rel(CP_LAYOUT_ROLES);
	const char *confrel = cp_layout_rel(CP_LAYOUT_CONF);
	unsigned char mroot[32];
	long nids = 0, i;
	size_t toklen, clen = 0, indexed = 0;
	int s, instfd = -1, intact;
	static const struct cp_auth_provider hmac_named = { "hmac", 0, NULL, NULL, NULL };

	memset(r, 0, sizeof(*r));
	r->operation = "adopt";
	r->provider = "hmac";
	if (a->admin == NULL || !cp_user_valid(a->admin, strlen(a->admin))) {
		outcome(r, 2, "error", "adopt needs the admin: --admin USER (make adopt ADMIN=USER)");
		return 2;
	}
	if ((g.fd = open_root(root, &g.root, &e)) == -1) {
		outcome(r, 2, "error", "%s", e.msg);
		return 2;
	}
	g.ledger = cp_layout_path(g.root, CP_LAYOUT_LEDGER);
	g.auth.provider = &hmac_named;
	g.auth.chosen_by = "adopt";
	op_init(&o, &g, r, "adopt", "plane_adopt", "create", NULL);
	r->operation = "adopt";
	if (plane_dir_ok(&g, cp_layout_rel(CP_LAYOUT_REGISTRIES), 1, &e) == -1 ||
	    plane_dir_ok(&g, cp_layout_rel(CP_LAYOUT_LEDGER), 0, &e) == -1) {
		outcome(r, 2, "error", "%s", e.msg);
		s = 2;
		goto out;
	}
	if (cp_journal_recover(g.fd, g.ledger, &rep, &e) == -1) {
		recover_failed(&e);
		outcome(r, 2, "error", "%s", e.msg);
		s = 2;
		goto out;
	}
	/* who: the holder of the secret, as the admin named */
	if (cp_auth_secret_load(&sec, g.root, go->secrets_file, &e) == -1 ||
	    cp_auth_token_get(go->token, go->token_file, tok, &toklen, &e) == -1) {
		outcome(r, 2, "error", "%s", e.msg);
		s = 2;
		goto out;
	}
	s = toklen == 0 ? 1 : cp_auth_token_check(sec.key, sec.len, tok, toklen, user, &reason);
	cp_wipe(tok, sizeof(tok));
	if (s == -1) {
		outcome(r, 2, "error", "cannot check the token: OpenSSL failed");
		s = 2;
		goto out;
	}
	if (toklen == 0)
		reason = "no token";
	else if (s == 0 && strcmp(user, a->admin) != 0)
		reason = "the token is not the admin's";
	if (reason != NULL) {
		g.id.user = xstrdup(toklen > 0 && user[0] ? user : "");
		s = authorize_denied(&o, reason);
		goto out;
	}
	g.id.user = xstrdup(user);
	g.authenticated = 1;
	r->user = xstrdup(user);
	/* governed already? */
	if (fstatat(g.fd, rolesrel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		int was = was_adopted(g.ledger, &e);

		if (was == 1) {
			outcome(r, 0, "up-to-date", "adopted already: nothing to do");
			s = 0;
		} else
			s = refuse(&o, 1, "this toolkit governs it already: nothing to adopt",
			    "%s exists and no plane_adopt entry is in the ledger", rolesrel);
		goto out;
	}
	if ((roles = roles_text(a, &e)) == NULL) {
		outcome(r, 2, "error", "%s", e.msg);
		s = 2;
		goto out;
	}
	if ((s = begin(&o)) != 0)
		goto out;
	/* the ledger as it was found */
	intact = cp_ledger_verify(g.ledger, 0, NULL, NULL, &sum, &e);
	if (intact == -1 && errno != ENOENT) {
		s = refuse_err(&o, "ledger", &e);
		goto out;
	}
	if (sum.entries > 0 && cp_merkle_root(&sum.tree, mroot) == 0)
		cp_hex_encode(mroot, sizeof(mroot), hex);
	else
		hex[0] = '\0';
	/* plane.conf: made, or its lines kept and the pin added */
	cp_err_clear(&e);
	if ((conf = cp_beneath_read(g.fd, confrel, 1 << 20, &clen, &e)) == NULL && e.errnum != ENOENT) {
		s = refuse_err(&o, confrel, &e);
		goto out;
	}
	{
		struct cp_buf b = { 0 };

		if (conf != NULL) {
			cp_buf_add(&b, conf, clen);
			if (clen > 0 && conf[clen - 1] != '\n')
				cp_buf_addc(&b, '\n');
		} else
			cp_buf_adds(&b, "# The plane's committed configuration (no secret here); see cp-authz(1).\n");
		cp_buf_adds(&b, "# pinned by cp-plane adopt\nCONTROL_PLANE_AUTH_PROVIDER=hmac\n");
		s = stage_text(&o, confrel, b.data, b.len, &e);
		cp_buf_free(&b);
		if (s == -1 || stage_text(&o, rolesrel, roles, strlen(roles), &e) == -1) {
			s = refuse_err(&o, "staging", &e);
			goto out;
		}
	}
	/* the Python receipts */
	instfd = cp_beneath_open(g.fd, cp_layout_rel(CP_LAYOUT_INSTALLED), O_RDONLY | O_DIRECTORY, 0, &e);
	if (instfd == -1 && e.errnum != ENOENT) {
		s = refuse_err(&o, "installed/", &e);
		goto out;
	}
	if (instfd >= 0 && (nids = python_receipts(instfd, &ids, &e)) < 0) {
		s = refuse_err(&o, "installed/", &e);
		goto out;
	}
	for (i = 0; i < nids; i++) {
		int k = index_receipt(&o, instfd, ids[i], &why, &e);

		if (k == -1) {
			free(why);
			s = refuse_err(&o, "receipts", &e);
			goto out;
		}
		if (k == 1) {
			char *m;

			if (asprintf(&m, "%s: %s", ids[i], why != NULL ? why : "skipped") == -1)
				m = NULL;
			add_name(&r->missing, &r->nmissing, m != NULL ? m : ids[i]);
			free(m);
		} else {
			add_file(r, ids[i], "");
			indexed++;
		}
		free(why);
	}
	{
		char *rs;

		if (asprintf(&rs, "adopted: %s admin, provider hmac pinned, %zu Python receipts "
		    "indexed", a->admin, indexed) == -1)
			rs = NULL;
		if (cp_event_begin(&ev, "plane_adopt", "", "ADOPT", rs, &e) == -1) {
			free(rs);
			s = refuse_err(&o, "ledger", &e);
			goto out;
		}
		outcome(r, 0, "adopted", "%s", rs != NULL ? rs : "adopted");
		free(rs);
	}
	w = cp_event_metadata(&ev);
	common_meta(&o, w);
	cp_json_key(w, "roles");
	cp_json_obj(w);
	cp_json_kstr(w, a->admin, "admin");
	for (size_t u = 0; u < a->nusers; u++) {
		const char *c = strchr(a->users[u], ':');
		char *name = xstrndup(a->users[u], (size_t)(c - a->users[u]));

		cp_json_kstr(w, name, c + 1);
		free(name);
	}
	cp_json_end(w);
	cp_json_key(w, "ledger_found");
	cp_json_obj(w);
	cp_json_kuint(w, "entries", sum.entries);
	cp_json_kuint(w, "legacy", sum.legacy);
	cp_json_kbool(w, "intact", intact == 0);
	cp_json_kstr(w, "head", sum.head);
	cp_json_kstr(w, "root", hex[0] ? hex : NULL);
	cp_json_end(w);
	cp_json_key(w, "receipts_indexed");
	cp_json_arr(w);
	for (size_t u = 0; u < r->nfiles; u++)
		cp_json_str(w, r->files[u].path);
	cp_json_end(w);
	json_names_w(w, "receipts_skipped", r->missing, r->nmissing);
	s = commit(&o, &ev, "adopted");
out:
	cp_event_free(&ev);
	cp_ledger_summary_free(&sum);
	cp_auth_secret_free(&sec);
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(roles);
	free(conf);
	if (instfd >= 0)
		close(instfd);
	op_free(&o);
	cp_auth_identity_free(&g.id);
	close(g.fd);
	free(g.root);
	free(g.ledger);
	return s;
}

/* --- the gate ------------------------------------------------------------------ */

static int
open_root(const char *root, char **canon, struct cp_err *e)
{
	int fd;

	if ((*canon = realpath(root, NULL)) == NULL)
		return cp_err_set(e, errno, "plane %s", root);
	if ((fd = open(*canon, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		cp_err_set(e, errno, "plane %s", root);
		free(*canon);
		*canon = NULL;
		return -1;
	}
	return fd;
}

/* Say what stops recovery and what to do. */
static void
recover_failed(struct cp_err *e)
{
	if (e->errnum == ELOOP)
		cp_err_prefix(e, "recovery: .cp/ (or a file in it) is a symlink, refused; make .cp a "
		    "real directory");
	else
		cp_err_prefix(e, "recovery: look at .cp/journal (the journal of an unfinished step), "
		    "then move it away by hand if it is not ours");
}

int
cp_gate_recover(const char *root, struct cp_journal_report *rec, struct cp_err *e)
{
	struct cp_journal_report dummy;
	char *canon, *ledger;
	int fd, rc;

	if ((fd = open_root(root, &canon, e)) == -1)
		return -1;
	ledger = cp_layout_path(canon, CP_LAYOUT_LEDGER);
	rc = cp_journal_recover(fd, ledger, rec != NULL ? rec : &dummy, e);
	if (rc == -1)
		recover_failed(e);
	free(ledger);
	free(canon);
	close(fd);
	return rc;
}

/* Add what makes the missing thing e names: "MSG (hint)", cut to fit. */
static void
append_hint(struct cp_err *e, const char *hint)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", hint);
}

int
cp_gate_open(struct cp_gate **gp, const char *root, const struct cp_gate_opts *o,
    struct cp_journal_report *rec, struct cp_err *e)
{
	struct cp_gate *g = xcalloc(1, sizeof(*g));
	struct cp_journal_report dummy;
	char tok[CP_AUTH_TOKEN_READ_MAX], *sp;
	size_t toklen;
	struct stat st;
	int rc;

	*gp = NULL;
	if ((g->fd = open_root(root, &g->root, e)) == -1) {
		free(g);
		return -1;
	}
	g->ledger = cp_layout_path(g->root, CP_LAYOUT_LEDGER);
	g->force = o->force;
	g->dry_run = o->dry_run;
	if (o->progress != NULL && o->progress_total != NULL) {
		g->progress = o->progress;
		g->progress_total = o->progress_total;
		g->progress_arg = o->progress_arg;
	}
	if (plane_dir_ok(g, cp_layout_rel(CP_LAYOUT_REGISTRIES), 1, e) == -1) {
		cp_err_prefix(e, "%s is not a plane", g->root);
		if (e->errnum == ENOENT)
			append_hint(e, "cp-plane init, or make init, makes one");
		goto fail;
	}
	/* Refusals and denials are ledgered too: never through a symlinked ledger/. */
	if (plane_dir_ok(g, cp_layout_rel(CP_LAYOUT_LEDGER), 0, e) == -1)
		goto fail;
	/* a dry run changes nothing, recovery neither (its transaction refuses a journal) */
	if (o->dry_run && rec != NULL)
		memset(rec, 0, sizeof(*rec));
	if (!o->dry_run &&
	    cp_journal_recover(g->fd, g->ledger, rec != NULL ? rec : &dummy, e) == -1) {
		recover_failed(e);
		goto fail;
	}
	if (cp_auth_open_plane(&g->auth, g->root, o->secrets_file, e) == -1) {
		if (e->errnum == ENOENT && strstr(e->msg, "secret") != NULL)
			append_hint(e, "cp-authz init USER makes the secrets file and prints USER's token");
		else if (strstr(e->msg, "no roles file") != NULL)
			append_hint(e, "for a new plane, cp-plane init (make init) writes it");
		goto fail;
	}
	if ((sp = cp_auth_secrets_path(o->secrets_file, NULL)) != NULL) {
		if (stat(sp, &st) == 0) {
			g->has_secret = 1;
			g->secret_dev = st.st_dev;
			g->secret_ino = st.st_ino;
		}
		free(sp);
	}
	if (cp_auth_token_get(o->token, o->token_file, tok, &toklen, e) == -1) {
		cp_auth_close(&g->auth);
		goto fail;
	}
	rc = cp_auth_authenticate(&g->auth, toklen > 0 ? tok : NULL, toklen, &g->id, &g->reject, e);
	cp_wipe(tok, sizeof(tok));
	if (rc == -1) {
		cp_auth_close(&g->auth);
		goto fail;
	}
	g->authenticated = rc == 0;
	*gp = g;
	return 0;
fail:
	close(g->fd);
	free(g->root);
	free(g->ledger);
	cp_auth_identity_free(&g->id);
	free(g);
	return -1;
}

const char *
cp_gate_warning(const struct cp_gate *g)
{
	return g->auth.warning;
}

void
cp_gate_close(struct cp_gate *g)
{
	if (g == NULL)
		return;
	cp_auth_identity_free(&g->id);
	cp_auth_close(&g->auth);
	cp_gate_assume(g, NULL);
	close(g->fd);
	free(g->root);
	free(g->ledger);
	free(g);
}
