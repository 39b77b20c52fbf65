/* versions: checkpoint, list and roll back a plane, in the Python tools' file shape.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/beneath.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/quote.h"
#include "base/xalloc.h"
#include "hash/sha256.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "plane/deps.h"
#include "plane/gate.h"
#include "plane/integrity.h"
#include "plane/journal.h"
#include "plane/receipt.h"
#include "plane/versions.h"
#include "text/csv.h"

#define VER_MAX 64
#define PACKAGES_MAX 100000

static int
name_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
cp_versions_id_ok(const char *ver, struct cp_err *e)
{
	size_t n = ver != NULL ? strlen(ver) : 0;

	if (ver == NULL || n <= 4 || n > VER_MAX || strncmp(ver, "VER-", 4) != 0 ||
	    !name_ok(ver, n)) {
		cp_err_set(e, 0, "bad version id %s: want VER- and [A-Za-z0-9._-], at most %d "
		    "bytes (make versions lists them)", ver != NULL ? "given" : "(none)", VER_MAX);
		return 0;
	}
	return 1;
}

static void
sha_hex(const void *p, size_t n, char hex[CP_SHA256_HEXLEN + 1])
{
	unsigned char d[CP_SHA256_LEN];

	if (cp_sha256(p, n, d) == -1) {
		hex[0] = '\0';
		return;
	}
	cp_hex_encode(d, sizeof(d), hex);
}

static void
add_result_file(struct cp_gate_result *r, const char *path, const char *hex)
{
	r->files = xreallocarray(r->files, r->nfiles + 1, sizeof(*r->files));
	r->files[r->nfiles].path = xstrdup(path);
	snprintf(r->files[r->nfiles].sha256, sizeof(r->files[0].sha256), "%s", hex);
	r->nfiles++;
}

static void
set_reason(struct cp_gate_result *r, int exit, const char *status, const char *s)
{
	free(r->reason);
	r->reason = xstrdup(s);
	r->exit = exit;
	r->status = status;
}

/* A label: at most 1024 bytes, none of them a control character (shown on terminals). */
static int
label_ok(const char *s)
{
	size_t n = strlen(s);

	return n <= 1024 && cp_quote_control_at(s, n) == n;
}

/* The id and entry_hash of a ledger line, into r. */
static void
note_line(struct cp_gate_result *r, const char *line)
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

/* Stage len bytes of p and put them over rel.  Returns 0 or -1 (e). */
static int
stage_put(struct cp_journal *j, const char *rel, const void *p, size_t len, struct cp_err *e)
{
	char name[32];
	const char *q = p;
	size_t off = 0;
	ssize_t w;
	int fd;

	if ((fd = cp_journal_stage(j, name, e)) == -1)
		return -1;
	while (off < len) {
		if ((w = write(fd, q + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return cp_err_set(e, errno, "staging %s", rel);
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1)
		return cp_err_set(e, errno, "staging %s", rel);
	return cp_journal_put(j, 0, rel, name, e);
}

/* The packages registry's rows as the version lists them, each with "installed". */
static json_t *
package_list(int planefd, const char *text, size_t len, struct cp_deps *d, struct cp_err *e)
{
	static const char *const col[] = { "id", "source", "source_type", "digest", "version",
		"status", "selected" };
	json_t *arr = json_array();
	struct cp_csv_reader *rd;
	struct cp_csv_row row;
	long c[7];
	FILE *fp;
	int rc;

	(void)planefd;
	if (len == 0)
		return arr;
	if ((fp = fmemopen((void *)(uintptr_t)text, len, "r")) == NULL) {
		cp_err_set(e, errno, "the packages registry");
		json_decref(arr);
		return NULL;
	}
	rd = cp_csv_open(fp, cp_layout_rel(CP_LAYOUT_PACKAGES), NULL);
	if (cp_csv_read_header(rd) == -1) {
		cp_err_set(e, 0, "%s", cp_csv_error(rd)->msg);
		goto fail;
	}
	for (size_t k = 0; k < 7; k++)
		c[k] = cp_csv_column(rd, col[k]);
	while ((rc = cp_csv_read_row(rd, &row)) == 1) {
		json_t *o = json_object();

		for (size_t k = 0; k < 7; k++) {
			json_t *js = json_string(c[k] >= 0 ? row.field[c[k]] : "");

			json_object_set_new(o, col[k], js != NULL ? js : json_string(""));
		}
		json_object_set_new(o, "installed", json_boolean(c[0] >= 0 &&
		    cp_deps_installed(d, row.field[c[0]])));
		json_array_append_new(arr, o);
	}
	if (rc < 0) {
		cp_err_set(e, 0, "%s", cp_csv_error(rd)->msg);
		goto fail;
	}
	cp_csv_close(rd);
	fclose(fp);
	return arr;
fail:
	cp_csv_close(rd);
	fclose(fp);
	json_decref(arr);
	return NULL;
}

/* Read a registry beneath the plane whole (NULL with *len 0 when it is not there). */
static char *
read_registry(int planefd, const char *rel, size_t *len, struct cp_err *e, int *err)
{
	char *s;

	*err = 0;
	*len = 0;
	if ((s = cp_beneath_read(planefd, rel, CP_VERSIONS_SNAPSHOT_MAX, len, e)) == NULL &&
	    errno != ENOENT)
		*err = 1;
	return s;
}

int
cp_versions_checkpoint(struct cp_gate *g, const char *label, struct cp_gate_result *r)
{
	int planefd = cp_gate_root_fd(g), st, ferr;
	struct cp_integrity_opts io = { 0 };
	struct cp_integrity ir = { 0 };
	struct cp_journal *j = NULL;
	struct cp_event ev = { 0 };
	struct cp_deps *d = NULL;
	struct cp_json *w;
	struct cp_err e;
	struct timespec ts;
	struct stat sst;
	struct tm tm;
	char ver[32], stamp[64], rel[128], crel[128], prel[128], root[CP_SHA256_HEXLEN + 1];
	char reghex[CP_SHA256_HEXLEN + 1], pkghex[CP_SHA256_HEXLEN + 1], manhex[CP_SHA256_HEXLEN + 1];
	char filehex[CP_SHA256_HEXLEN + 1];
	char *reg = NULL, *pkg = NULL, *man = NULL, *text = NULL, *line = NULL, *why = NULL, *reason = NULL;
	size_t reglen, pkglen, manlen, k;
	json_t *meta = NULL, *pkgs = NULL;

	if ((st = cp_gate_authorize(g, "checkpoint", "checkpoint", NULL, r)) != 0)
		return st;
	if (label != NULL && !label_ok(label)) {
		r->operation = "checkpoint";
		set_reason(r, 2, "error", "the label: at most 1024 bytes, no control character");
		return 2;
	}
	/* cp_version_checkpoint.py: the plane must be healthy first */
	io.root = cp_gate_root(g);
	io.ledger = 1;
	if (cp_integrity_run(&io, &ir, &e) == -1) {
		cp_integrity_free(&ir);
		if (asprintf(&why, "integrity check: %s", e.msg) == -1)
			why = NULL;
		st = cp_gate_refusal(g, r, "checkpoint", "version_checkpoint", "", 2, NULL,
		    why != NULL ? why : "integrity check failed");
		free(why);
		return st;
	}
	/* Python's computed_merkle_root: the cp2 root over the rows' stored content hashes */
	snprintf(root, sizeof(root), "%s", ir.stored_root != NULL ? ir.stored_root : "");
	if (!cp_integrity_healthy(&ir, ir.root, 0)) {
		cp_integrity_free(&ir);
		return cp_gate_refusal(g, r, "checkpoint", "version_checkpoint", "", 1,
		    "make integrity says what is wrong; fix it, then checkpoint",
		    "the plane is not healthy: no checkpoint of it");
	}
	cp_integrity_free(&ir);

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(ver, sizeof(ver), "VER-%Y%m%d%H%M%S", &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%06ld+00:00",
	    ts.tv_nsec / 1000);
	snprintf(rel, sizeof(rel), "%s/%s.json", CP_VERSIONS_DIR, ver);
	snprintf(crel, sizeof(crel), "%s/%s_registry.csv", CP_VERSIONS_DIR, ver);
	snprintf(prel, sizeof(prel), "%s/%s_packages.csv", CP_VERSIONS_DIR, ver);
	if (fstatat(planefd, rel, &sst, AT_SYMLINK_NOFOLLOW) == 0)
		return cp_gate_refusal(g, r, "checkpoint", "version_checkpoint", ver, 1,
		    "one checkpoint a second: try again", "version exists already");

	if (cp_journal_begin(planefd, &j, &e) == -1)
		return cp_gate_refusal(g, r, "checkpoint", "version_checkpoint", ver, 2,
		    "cp-plane recover", e.msg);
	/* the registries as they are under the lock, read as hostile input */
	reg = read_registry(planefd, cp_layout_rel(CP_LAYOUT_CPREG), &reglen, &e, &ferr);
	if (reg == NULL) {
		cp_journal_abort(j);
		return cp_gate_refusal(g, r, "checkpoint", "version_checkpoint", ver, 2,
		    "make init (or restore it)", ferr ? e.msg :
		    "no registries/control_plane_registry.csv to snapshot");
	}
	pkg = read_registry(planefd, cp_layout_rel(CP_LAYOUT_PACKAGES), &pkglen, &e, &ferr);
	if (pkg == NULL && ferr)
		goto refuse2;
	man = cp_beneath_read(planefd, cp_layout_rel(CP_LAYOUT_MANIFEST), CP_VERSIONS_SNAPSHOT_MAX,
	    &manlen, &e);
	if (man == NULL && errno != ENOENT)
		goto refuse2;
	sha_hex(reg, reglen, reghex);
	sha_hex(pkg != NULL ? pkg : "", pkglen, pkghex);
	if (man != NULL)
		sha_hex(man, manlen, manhex);
	else
		manhex[0] = '\0';
	if (pkg != NULL && cp_deps_load(planefd, &d, &e) == -1)
		goto refuse2;
	if (pkg != NULL && (pkgs = package_list(planefd, pkg, pkglen, d, &e)) == NULL)
		goto refuse2;
	if (pkgs == NULL)
		pkgs = json_array();

	meta = json_object();
	json_object_set_new(meta, "version_id", json_string(ver));
	json_object_set_new(meta, "label", json_string(label != NULL ? label : ""));
	json_object_set_new(meta, "timestamp", json_string(stamp));
	json_object_set_new(meta, "merkle_root", json_string(root));
	json_object_set_new(meta, "registry_hash", json_string(reghex));
	json_object_set_new(meta, "manifest_hash", json_string(manhex));
	json_object_set(meta, "packages", pkgs);
	json_object_set_new(meta, "registry_snapshot", json_string(crel));
	json_object_set_new(meta, "ledger_entry_id", json_string(cp_journal_ledger_id(j)));
	json_object_set_new(meta, "actor", json_string(cp_gate_user(g) != NULL ? cp_gate_user(g) : ""));
	if (pkg != NULL) {
		json_object_set_new(meta, "packages_snapshot", json_string(prel));
		json_object_set_new(meta, "packages_hash", json_string(pkghex));
	}
	if ((text = json_dumps(meta, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)) == NULL) {
		cp_err_set(&e, ENOMEM, "the version's JSON");
		goto refuse2;
	}
	if (stage_put(j, crel, reg, reglen, &e) == -1 ||
	    (pkg != NULL && stage_put(j, prel, pkg, pkglen, &e) == -1) ||
	    stage_put(j, rel, text, strlen(text), &e) == -1)
		goto refuse2;

	if (asprintf(&reason, "Checkpoint %s%s%s", ver, label != NULL && *label ? " " : "",
	    label != NULL ? label : "") == -1)
		reason = NULL;
	if (cp_event_begin(&ev, "version_checkpoint", ver, "RECORDED", reason, &e) == -1)
		goto refuse2;
	w = cp_event_metadata(&ev);
	cp_json_kstr(w, "registry_hash", reghex);
	cp_json_kstr(w, "manifest_hash", manhex);
	cp_json_kstr(w, "merkle_root", root);
	/* binds every member of the file rollback acts on (packages, installed, snapshots) */
	sha_hex(text, strlen(text), filehex);
	cp_json_kstr(w, "version_sha256", filehex);
	if (pkg != NULL)
		cp_json_kstr(w, "packages_hash", pkghex);
	cp_json_key(w, "packages");
	cp_json_arr(w);
	for (k = 0; k < json_array_size(pkgs); k++)
		cp_json_str(w, json_string_value(json_object_get(json_array_get(pkgs, k), "id")));
	cp_json_end(w);
	cp_json_kstr(w, "user", cp_gate_user(g));
	cp_json_kstr(w, "provider", cp_gate_provider(g));
	st = cp_journal_commit(j, cp_gate_ledger(g), &ev, &line, &e);
	j = NULL;
	note_line(r, line);
	if (st == -1) {
		set_reason(r, 2, "error", e.msg);
		goto out;
	}
	r->changed = 1;
	set_reason(r, st == 1 ? 2 : 0, "checkpointed", reason != NULL ? reason : ver);
	if (st == 1 && asprintf(&r->warning, "committed, but a step failed: %s; run cp-plane "
	    "recover", e.msg) == -1)
		r->warning = NULL;
	memcpy(r->digest, root, sizeof(r->digest));
	add_result_file(r, rel, "");
	sha_hex(text, strlen(text), r->files[0].sha256);
	add_result_file(r, crel, reghex);
	if (pkg != NULL)
		add_result_file(r, prel, pkghex);
	goto out;
refuse2:
	if (j != NULL)
		cp_journal_abort(j);
	j = NULL;
	st = cp_gate_refusal(g, r, "checkpoint", "version_checkpoint", ver, 2, NULL, e.msg);
out:
	if (r->package == NULL)
		r->package = xstrdup(ver);
	r->operation = "checkpoint";
	cp_event_free(&ev);
	json_decref(meta);
	json_decref(pkgs);
	cp_deps_free(d);
	free(reg);
	free(pkg);
	free(man);
	free(text);
	free(line);
	free(reason);
	return r->exit;
}

/* --- rollback ------------------------------------------------------------------ */

/* A member that must be a string (or absent: NULL with *bad 0). */
static const char *
str_member(json_t *o, const char *key, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* versions/NAME, NAME a plain name: the snapshot's path.  Returns 1 or 0. */
static int
snapshot_ok(const char *p)
{
	size_t n = strlen(CP_VERSIONS_DIR);

	return p != NULL && strncmp(p, CP_VERSIONS_DIR, n) == 0 && p[n] == '/' &&
	    strlen(p + n + 1) <= 255 && name_ok(p + n + 1, strlen(p + n + 1));
}

/* Read the snapshot rel, checked against hex (when not empty).  NULL with why set. */
static char *
read_snapshot(int planefd, const char *rel, const char *hex, size_t *len, char **why)
{
	char got[CP_SHA256_HEXLEN + 1];
	struct cp_err e;
	char *s;

	if ((s = cp_beneath_read(planefd, rel, CP_VERSIONS_SNAPSHOT_MAX, len, &e)) == NULL) {
		if (asprintf(why, "snapshot %s: %s", rel, e.msg) == -1)
			*why = NULL;
		return NULL;
	}
	sha_hex(s, *len, got);
	if (hex != NULL && *hex != '\0' && strcmp(got, hex) != 0) {
		if (asprintf(why, "snapshot %s changed since its checkpoint (SHA-256 %s, the version "
		    "says %s): refused", rel, got, hex) == -1)
			*why = NULL;
		free(s);
		return NULL;
	}
	return s;
}

/*
 * The metadata of the ledger entry that recorded checkpoint ver: an
 * untampered entry (its entry_hash its content's hash) with event
 * version_checkpoint, decision RECORDED, submission_id ver and id led (the
 * file's ledger_entry_id).  The ledger is hostile input too.  Returns the
 * metadata object (the caller's), NULL with *found 0 when there is none,
 * or NULL with *found -1 when the ledger cannot be read (e).
 */
static json_t *
checkpoint_entry(const char *ledger, const char *ver, const char *led, int *found,
    struct cp_err *e)
{
	const struct cp_ledger_line *ln;
	struct cp_ledger *l;
	json_t *meta = NULL;
	int rc;

	*found = 0;
	if (led == NULL)
		return NULL;
	if (cp_ledger_open(&l, ledger, 0, e) == -1) {
		if (errno != ENOENT)
			*found = -1;
		return NULL;
	}
	while ((rc = cp_ledger_read(l, &ln, e)) == 1) {
		json_t *o, *m;
		const char *ev, *sub, *dec, *id;

		if (ln->kind != CP_LEDGER_ENTRY || ln->text == NULL || ln->entry_hash == NULL ||
		    strcmp(ln->entry_hash, ln->hash_hex) != 0 || ln->id == NULL ||
		    strcmp(ln->id, led) != 0 || memmem(ln->text, ln->len, ver, strlen(ver)) == NULL)
			continue;
		if ((o = json_loadb(ln->text, ln->len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
			continue;
		ev = json_string_value(json_object_get(o, "event_type"));
		sub = json_string_value(json_object_get(o, "submission_id"));
		dec = json_string_value(json_object_get(o, "decision"));
		id = json_string_value(json_object_get(o, "id"));
		m = json_object_get(o, "metadata");
		if (ev != NULL && strcmp(ev, "version_checkpoint") == 0 && sub != NULL &&
		    strcmp(sub, ver) == 0 && dec != NULL && strcmp(dec, "RECORDED") == 0 &&
		    id != NULL && strcmp(id, led) == 0 && json_is_object(m)) {
			json_decref(meta);
			meta = json_incref(m);
		}
		json_decref(o);
	}
	cp_ledger_close(l);
	if (rc < 0) {
		json_decref(meta);
		*found = -1;
		return NULL;
	}
	*found = meta != NULL;
	return meta;
}

/*
 * Is the version file text (parsed: meta) what its ledger entry m recorded?
 * An entry of this toolkit records version_sha256, the file's SHA-256,
 * which binds every member.  A Python entry records registry_hash and the
 * packages' ids: those must match, and the file may hold nothing rollback
 * acts on that the entry cannot vouch for ("installed", packages_snapshot,
 * packages_hash; a package's digest is only compared afterwards).  Returns
 * 1, or 0 with *why.
 */
static int
bound(json_t *m, json_t *meta, const char *text, size_t len, char **why)
{
	const char *fh = json_string_value(json_object_get(m, "version_sha256"));
	const char *rh = json_string_value(json_object_get(m, "registry_hash"));
	const char *ch = json_string_value(json_object_get(meta, "registry_hash"));
	json_t *ids = json_object_get(m, "packages"), *pkgs = json_object_get(meta, "packages");
	char got[CP_SHA256_HEXLEN + 1];
	size_t k;

	if (fh != NULL) {
		sha_hex(text, len, got);
		if (strcmp(got, fh) == 0)
			return 1;
		if (asprintf(why, "the version file is not what its ledger entry recorded (SHA-256 "
		    "%s, the entry says %s): refused", got, fh) == -1)
			*why = NULL;
		return 0;
	}
	if (json_object_get(m, "version_sha256") != NULL)
		goto differs;
	if (rh == NULL || *rh == '\0' || ch == NULL || strcmp(rh, ch) != 0) {
		*why = xstrdup("the version's registry_hash is not what its ledger entry recorded: "
		    "refused");
		return 0;
	}
	if (!json_is_array(ids) || json_array_size(ids) != json_array_size(pkgs))
		goto differs;
	for (k = 0; k < json_array_size(ids); k++) {
		json_t *p = json_array_get(pkgs, k);
		const char *a = json_string_value(json_array_get(ids, k));
		const char *b = json_string_value(json_object_get(p, "id"));

		if (a == NULL || b == NULL || strcmp(a, b) != 0)
			goto differs;
		if (json_object_get(p, "installed") != NULL)
			goto unbound;
	}
	if (json_object_get(meta, "packages_snapshot") != NULL ||
	    json_object_get(meta, "packages_hash") != NULL)
		goto unbound;
	return 1;
differs:
	*why = xstrdup("the version's packages are not what its ledger entry recorded: refused");
	return 0;
unbound:
	*why = xstrdup("the version file has members (installed, packages_snapshot) that its "
	    "ledger entry, a Python checkpoint's, does not record: refused");
	return 0;
}

struct held {
	const char *id, *digest;
	int installed;		/* 1 held, 0 not, -1 not said (Python: held) */
};

static void
add_step(struct cp_gate_result *r, struct cp_gate_result *step)
{
	r->deps = xreallocarray(r->deps, r->ndeps + 1, sizeof(*r->deps));
	r->deps[r->ndeps++] = *step;
	memset(step, 0, sizeof(*step));
}

int
cp_versions_rollback(struct cp_gate *g, const char *ver, struct cp_gate_result *r)
{
	int planefd = cp_gate_root_fd(g), st, bad = 0, failed = 0, healthy = 0;
	struct cp_gate_result step;
	struct cp_integrity_opts io = { 0 };
	struct cp_integrity ir = { 0 };
	struct cp_journal *j = NULL;
	struct cp_event ev = { 0 };
	struct cp_deps *d = NULL;
	struct held *held = NULL;
	struct cp_json *w;
	struct cp_err e;
	char rel[128], *text = NULL, *reg = NULL, *pkg = NULL, *why = NULL, *line = NULL;
	char **mismatch = NULL;
	const char *creg, *preg, *chash, *phash, *vid, **order = NULL;
	size_t textlen, reglen, pkglen = 0, nheld = 0, norder, k, i, nmis = 0;
	json_t *meta = NULL, *pkgs;

	if (!cp_versions_id_ok(ver, &e)) {
		memset(r, 0, sizeof(*r));
		r->operation = "rollback";
		set_reason(r, 2, "error", e.msg);
		return 2;
	}
	if ((st = cp_gate_authorize(g, "rollback", "rollback", ver, r)) != 0)
		return st;
	snprintf(rel, sizeof(rel), "%s/%s.json", CP_VERSIONS_DIR, ver);
	if ((text = cp_beneath_read(planefd, rel, CP_VERSIONS_META_MAX, &textlen, &e)) == NULL) {
		if (errno == ENOENT)
			return cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 1,
			    "make versions lists the versions", "no such version");
		return cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 2, NULL, e.msg);
	}
	meta = json_loadb(text, textlen, JSON_REJECT_DUPLICATES, NULL);
	if (meta == NULL || !json_is_object(meta)) {
		why = xstrdup("not a JSON object");
		goto broken;
	}
	vid = str_member(meta, "version_id", &bad);
	creg = str_member(meta, "registry_snapshot", &bad);
	chash = str_member(meta, "registry_hash", &bad);
	preg = str_member(meta, "packages_snapshot", &bad);
	phash = str_member(meta, "packages_hash", &bad);
	pkgs = json_object_get(meta, "packages");
	if (bad || vid == NULL || strcmp(vid, ver) != 0 || !snapshot_ok(creg) ||
	    (preg != NULL && !snapshot_ok(preg)) || (pkgs != NULL && !json_is_array(pkgs)) ||
	    json_array_size(pkgs) > PACKAGES_MAX) {
		why = xstrdup("version_id, registry_snapshot (versions/NAME), registry_hash, "
		    "packages_snapshot or packages is not what a checkpoint writes");
		goto broken;
	}
	held = xreallocarray(NULL, json_array_size(pkgs) + 1, sizeof(*held));
	for (k = 0; k < json_array_size(pkgs); k++) {
		json_t *p = json_array_get(pkgs, k), *inst;
		struct cp_err ie;

		held[nheld].id = json_is_object(p) ? str_member(p, "id", &bad) : NULL;
		held[nheld].digest = json_is_object(p) ? str_member(p, "digest", &bad) : NULL;
		inst = json_is_object(p) ? json_object_get(p, "installed") : NULL;
		if (bad || held[nheld].id == NULL || !cp_receipt_id_ok(held[nheld].id, &ie) ||
		    (inst != NULL && !json_is_boolean(inst))) {
			why = xstrdup("a package of the version has no valid id (or a bad member)");
			goto broken;
		}
		held[nheld].installed = inst == NULL ? -1 : json_is_true(inst);
		nheld++;
	}
	/* the file must be what the checkpoint's ledger entry recorded */
	{
		const char *led = str_member(meta, "ledger_entry_id", &bad);
		int found;
		json_t *m = checkpoint_entry(cp_gate_ledger(g), ver, bad ? NULL : led, &found, &e);

		if (found == -1) {
			st = cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 2, NULL, e.msg);
			goto out;
		}
		if (m == NULL) {
			st = cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 1,
			    "only a checkpoint the ledger recorded is rolled back to",
			    "no ledger entry version_checkpoint RECORDED for this version and its "
			    "ledger_entry_id: refused");
			goto out;
		}
		if (!bound(m, meta, text, textlen, &why)) {
			json_decref(m);
			st = cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 1,
			    "the version file was changed after its checkpoint: look at it",
			    why != NULL ? why : "not what its ledger entry recorded");
			goto out;
		}
		json_decref(m);
	}
	if ((reg = read_snapshot(planefd, creg, chash, &reglen, &why)) == NULL)
		goto broken;
	if (preg != NULL && (pkg = read_snapshot(planefd, preg, phash, &pkglen, &why)) == NULL)
		goto broken;

	/* 1. the registries, one transaction */
	if (cp_journal_begin(planefd, &j, &e) == -1) {
		st = cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 2, "cp-plane recover",
		    e.msg);
		goto out;
	}
	if (stage_put(j, cp_layout_rel(CP_LAYOUT_CPREG), reg, reglen, &e) == -1 ||
	    (pkg != NULL && stage_put(j, cp_layout_rel(CP_LAYOUT_PACKAGES), pkg, pkglen, &e) == -1)) {
		cp_journal_abort(j);
		st = cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 2, NULL, e.msg);
		goto out;
	}
	free(why);
	if (asprintf(&why, "Rollback to %s: the registries", ver) == -1)
		why = NULL;
	if (cp_event_begin(&ev, "version_rollback", ver, "RESTORE", why, &e) == -1) {
		cp_journal_abort(j);
		st = cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 2, NULL, e.msg);
		goto out;
	}
	w = cp_event_metadata(&ev);
	cp_json_kstr(w, "registry_snapshot", creg);
	cp_json_kstr(w, "packages_snapshot", preg);
	cp_json_kstr(w, "user", cp_gate_user(g));
	cp_json_kstr(w, "provider", cp_gate_provider(g));
	st = cp_journal_commit(j, cp_gate_ledger(g), &ev, &line, &e);
	j = NULL;
	cp_event_free(&ev);
	memset(r, 0, sizeof(*r));
	r->operation = "rollback";
	r->package = xstrdup(ver);
	r->provider = cp_gate_provider(g);
	r->user = cp_gate_user(g) != NULL ? xstrdup(cp_gate_user(g)) : NULL;
	note_line(r, line);
	if (st != 0) {
		set_reason(r, 2, "error", e.msg);
		r->changed = st == 1;
		goto out;
	}
	r->changed = 1;
	r->ledger_id[0] = '\0';
	free(line);
	line = NULL;

	/* 2. the packages: what the version did not hold goes (dependents first) */
	if (cp_deps_load(planefd, &d, &e) == -1) {
		set_reason(r, 2, "error", e.msg);
		failed = 1;
		goto final;
	}
	norder = cp_deps_order(d, &order);
	for (k = norder; k-- > 0;) {
		int keep = -1;

		if (!cp_deps_installed(d, order[k]))
			continue;
		for (i = 0; i < nheld; i++)
			if (strcmp(held[i].id, order[k]) == 0)
				keep = held[i].installed != 0;
		/* a Python version says nothing of installs: it keeps what is installed */
		if (keep == 1 || (keep == -1 && preg == NULL))
			continue;
		st = cp_gate_remove(g, order[k], &step);
		failed |= st != 0;
		add_step(r, &step);
	}
	/* then what it held, dependencies first, at the restored rows */
	for (k = 0; k < norder; k++) {
		for (i = 0; i < nheld; i++)
			if (strcmp(held[i].id, order[k]) == 0)
				break;
		if (i == nheld || held[i].installed == 0)
			continue;
		st = cp_deps_installed(d, order[k]) ? cp_gate_update(g, order[k], &step) :
		    cp_gate_install(g, order[k], &step);
		if (st == 0 && held[i].digest != NULL && *held[i].digest != '\0' &&
		    strcmp(step.digest, held[i].digest) != 0) {
			mismatch = xreallocarray(mismatch, nmis + 1, sizeof(*mismatch));
			mismatch[nmis++] = xstrdup(order[k]);
		}
		if (st == 0)
			cp_deps_assume(d, order[k], 1);
		failed |= st != 0;
		add_step(r, &step);
	}
	/* a held package the registry no longer has */
	for (i = 0; i < nheld; i++)
		if (held[i].installed != 0 && !cp_deps_known(d, held[i].id)) {
			mismatch = xreallocarray(mismatch, nmis + 1, sizeof(*mismatch));
			mismatch[nmis++] = xstrdup(held[i].id);
		}

final:
	/* 3. the integrity check, and the entry saying how it went */
	io.root = cp_gate_root(g);
	io.ledger = 1;
	if (cp_integrity_run(&io, &ir, &e) == 0)
		healthy = cp_integrity_healthy(&ir, ir.root, 0);
	cp_integrity_free(&ir);
	failed |= nmis > 0 || !healthy;
	free(why);
	if (asprintf(&why, "Rollback to %s", ver) == -1)
		why = NULL;
	if (cp_event_begin(&ev, "version_rollback", ver, failed ? "ROLLBACK_FAILED" : "ROLLED_BACK",
	    why, &e) == 0) {
		w = cp_event_metadata(&ev);
		cp_json_kstr(w, "target_registry", cp_layout_rel(CP_LAYOUT_CPREG));
		cp_json_key(w, "packages");
		cp_json_arr(w);
		for (i = 0; i < nheld; i++)
			cp_json_str(w, held[i].id);
		cp_json_end(w);
		cp_json_kbool(w, "integrity_passed", healthy);
		if (nmis > 0) {
			cp_json_key(w, "digest_mismatch");
			cp_json_arr(w);
			for (i = 0; i < nmis; i++)
				cp_json_str(w, mismatch[i]);
			cp_json_end(w);
		}
		cp_json_kstr(w, "user", cp_gate_user(g));
		cp_json_kstr(w, "provider", cp_gate_provider(g));
		if (cp_event_append(&ev, cp_gate_ledger(g), &line, &e) == 0)
			note_line(r, line);
	}
	if (r->ledger_id[0] == '\0') {
		free(r->warning);
		if (asprintf(&r->warning, "the rollback's outcome could not be ledgered: %s",
		    e.msg) == -1)
			r->warning = NULL;
	}
	if (r->reason == NULL || r->exit == 0) {
		char *s;

		if (asprintf(&s, "%s to %s: %zu package step%s%s%s%s", failed ? "rollback failed" :
		    "rolled back", ver, r->ndeps, r->ndeps == 1 ? "" : "s",
		    nmis > 0 ? "; a row's digest is not the version's for " : "",
		    nmis > 0 ? mismatch[0] : "", healthy ? "" : "; the plane is not healthy "
		    "(make integrity)") == -1)
			s = NULL;
		set_reason(r, failed ? 1 : 0, failed ? "refused" : "rolled-back", s != NULL ? s :
		    "rollback");
		free(s);
	}
	if (r->ledger_id[0] == '\0')
		r->exit = 2;
	st = r->exit;
	goto out;
broken:
	st = cp_gate_refusal(g, r, "rollback", "version_rollback", ver, 2,
	    "the version's files are not as a checkpoint wrote them: look at them",
	    why != NULL ? why : "unreadable");
out:
	if (r->package == NULL)
		r->package = xstrdup(ver);
	r->operation = "rollback";
	cp_event_free(&ev);
	for (i = 0; i < nmis; i++)
		free(mismatch[i]);
	free(mismatch);
	free(order);
	cp_deps_free(d);
	free(held);
	json_decref(meta);
	free(text);
	free(reg);
	free(pkg);
	free(why);
	free(line);
	return st;
}

/* --- list ---------------------------------------------------------------------- */

static int
cmp_version(const void *a, const void *b)
{
	return strcmp(((const struct cp_version *)a)->file, ((const struct cp_version *)b)->file);
}

static char *
dup_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

int
cp_versions_list(const char *root, struct cp_version **vp, size_t *np, struct cp_err *e)
{
	struct cp_version *v = NULL;
	struct dirent *de;
	size_t n = 0, len;
	int planefd, dfd;
	DIR *dir;

	*vp = NULL;
	*np = 0;
	if ((planefd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cp_err_set(e, errno, "%s", root);
	if ((dfd = cp_beneath_open(planefd, CP_VERSIONS_DIR, O_RDONLY | O_DIRECTORY, 0, e)) == -1) {
		close(planefd);
		return errno == ENOENT ? 0 : -1;
	}
	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		close(planefd);
		return cp_err_set(e, errno, "%s", CP_VERSIONS_DIR);
	}
	while ((de = readdir(dir)) != NULL) {
		size_t nl = strlen(de->d_name);
		char rel[300], *text;
		struct cp_err le;
		json_t *o;

		if (nl < 9 || strncmp(de->d_name, "VER-", 4) != 0 ||
		    strcmp(de->d_name + nl - 5, ".json") != 0 || nl > 255)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		v[n].file = xstrdup(de->d_name);
		snprintf(rel, sizeof(rel), "%s/%s", CP_VERSIONS_DIR, de->d_name);
		if ((text = cp_beneath_read(planefd, rel, CP_VERSIONS_META_MAX, &len, &le)) == NULL) {
			v[n++].error = xstrdup(le.msg);
			continue;
		}
		o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
		free(text);
		if (!json_is_object(o)) {
			json_decref(o);
			v[n++].error = xstrdup("not a JSON object");
			continue;
		}
		v[n].version_id = dup_member(o, "version_id");
		v[n].timestamp = dup_member(o, "timestamp");
		v[n].label = dup_member(o, "label");
		v[n].registry_hash = dup_member(o, "registry_hash");
		v[n].manifest_hash = dup_member(o, "manifest_hash");
		v[n].snapshot = dup_member(o, "registry_snapshot");
		json_decref(o);
		n++;
	}
	closedir(dir);
	close(planefd);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_version);
	*vp = v;
	*np = n;
	return 0;
}

void
cp_versions_free(struct cp_version *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].version_id);
		free(v[i].timestamp);
		free(v[i].label);
		free(v[i].registry_hash);
		free(v[i].manifest_hash);
		free(v[i].snapshot);
		free(v[i].file);
		free(v[i].error);
	}
	free(v);
}
