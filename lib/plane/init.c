/* init: a new, empty plane made in a directory (cp-plane init, make init), in one step that is ledgered.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/err.h"
#include "base/io.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/xalloc.h"
#include "auth/user.h"
#include "ledger/event.h"
#include "plane/gate.h"
#include "plane/init.h"
#include "text/csv.h"

/* The headers the Python tools wrote (design.md section 5), as csv.DictWriter ends a record. */
static const char pkg_header[] =
    "id,name,entity_type,category,version,source,source_type,digest,signature,"
    "attestation_path,attestation_digest,attestation_signature_path,platform,arch,deps,"
    "conflicts,license,artifact_path,output_type,output_path,status,selected,priority,owner,"
    "created_at,source_spec_id,content_hash\r\n";
static const char cp_header[] =
    "id,name,entity_type,category,purpose,artifact_path,status,selected,priority,dependencies,"
    "output_type,output_path,version,owner,created_at,source_spec_id,content_hash,config\r\n";
static const char conf_text[] =
    "# The plane's committed configuration, env-file syntax (KEY=value or\n"
    "# export KEY=value, # comments, the last setting wins); see cp-authz(1).\n"
    "# It pins the auth provider: the environment may repeat this name but never\n"
    "# select another.  No secret may ever be written here.\n"
    "CONTROL_PLANE_AUTH_PROVIDER=hmac\n";

/* The directories init makes, in the order they are put in place: registries/ last. */
static const enum cp_layout_item dirs[] = {
	CP_LAYOUT_INSTALLED, CP_LAYOUT_STORE, CP_LAYOUT_LEDGER, CP_LAYOUT_REGISTRIES
};
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))

static void __attribute__((format(printf, 4, 5)))
say(struct cp_gate_result *r, int exit, const char *status, const char *fmt, ...)
{
	va_list ap;

	r->exit = exit;
	r->status = status;
	free(r->reason);
	va_start(ap, fmt);
	if (vasprintf(&r->reason, fmt, ap) == -1)
		r->reason = NULL;
	va_end(ap);
}

/* Write text as the new file rel under dirfd (mode 0644, O_EXCL, fsynced).  0 or -1 (e). */
static int
put(int dirfd, const char *rel, const char *text, struct cp_err *e)
{
	int fd = openat(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd == -1)
		return cp_err_set(e, errno, "%s", rel);
	if (cp_io_write_all(fd, text, strlen(text)) == -1 || fsync(fd) == -1) {
		cp_err_set(e, errno, "%s", rel);
		close(fd);
		return -1;
	}
	if (close(fd) == -1)
		return cp_err_set(e, errno, "%s", rel);
	return 0;
}

/* Remove the staging directory and what init put in it (two levels, no symlink followed). */
static void
unstage(int rootfd, const char *stage)
{
	static const char *const files[] = {
		"registries/packages_registry.csv", "registries/control_plane_registry.csv",
		"registries/roles.csv", "registries/plane.conf", "registries/.plane.conf.lock",
		"ledger/governance.jsonl", "ledger/.cp-ledger.lock", "ledger/.governance.jsonl.lock"
	};
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", stage, files[i]);
		unlinkat(rootfd, p, 0);
	}
	for (i = 0; i < NDIRS; i++) {
		snprintf(p, sizeof(p), "%s/%s", stage, cp_layout_rel(dirs[i]));
		unlinkat(rootfd, p, AT_REMOVEDIR);
	}
	unlinkat(rootfd, stage, AT_REMOVEDIR);
}

/* The first ledger entry, in the staged ledger/: 0, or -1 (e). */
static int
first_entry(const char *stage_abs, const char *admin, const char *os_user,
    struct cp_gate_result *r, struct cp_err *e)
{
	struct cp_event ev = { 0 };
	struct cp_json *w;
	char *ledger, *line = NULL, *reason;
	json_t *o;
	int rc = -1;

	if (asprintf(&reason, "plane initialized: %s admin, provider hmac pinned", admin) == -1)
		return cp_err_set(e, errno, "init");
	ledger = xpathjoin(stage_abs, cp_layout_rel(CP_LAYOUT_LEDGER));
	if (cp_event_begin(&ev, "plane_init", "", "INIT", reason, e) == -1)
		goto out;
	w = cp_event_metadata(&ev);
	cp_json_kstr(w, "admin", admin);
	cp_json_kstr(w, "provider", "hmac");
	cp_json_kstr(w, "os_user", os_user);
	cp_json_key(w, "made");
	cp_json_arr(w);
	for (size_t i = 0; i < NDIRS; i++)
		cp_json_str(w, cp_layout_rel(dirs[i]));
	cp_json_end(w);
	if (cp_event_append(&ev, ledger, &line, e) == -1)
		goto out;
	if ((o = json_loads(line, 0, NULL)) != NULL) {
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *h = json_string_value(json_object_get(o, "entry_hash"));

		snprintf(r->ledger_id, sizeof(r->ledger_id), "%s", id != NULL ? id : "");
		snprintf(r->entry_hash, sizeof(r->entry_hash), "%s", h != NULL ? h : "");
		json_decref(o);
	}
	rc = 0;
out:
	cp_event_free(&ev);
	free(line);
	free(ledger);
	free(reason);
	return rc;
}

int
cp_init_plane(const char *root, const char *admin, const char *os_user,
    struct cp_gate_result *r)
{
	char *canon = NULL, *stage_abs = NULL, *roles = NULL, stage[32], p[PATH_MAX];
	struct cp_err e;
	struct stat st;
	int rootfd = -1, sfd = -1, staged = 0;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->operation = "init";
	r->provider = "hmac";
	if (admin == NULL || admin[0] == '\0') {
		say(r, 2, "error", "init needs the admin's user name (--admin USER, or ADMIN=USER "
		    "with make init)");
		return r->exit;
	}
	if (!cp_user_valid(admin, strlen(admin))) {
		say(r, 2, "error", "admin '%s' is not a valid user name", admin);
		return r->exit;
	}
	r->user = xstrdup(admin);
	if (mkdir(root, 0777) == -1 && errno != EEXIST) {
		say(r, 2, "error", "%s: %s", root, strerror(errno));
		return r->exit;
	}
	if ((canon = realpath(root, NULL)) == NULL ||
	    (rootfd = open(canon, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		say(r, 2, "error", "%s: %s", root, strerror(errno));
		goto out;
	}
	r->destination = xstrdup(canon);
	for (i = NDIRS; i-- > 0;) {
		const char *d = cp_layout_rel(dirs[i]);

		if (fstatat(rootfd, d, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (dirs[i] == CP_LAYOUT_REGISTRIES)
				say(r, 1, "refused", "%s is already a plane (it has registries/)", canon);
			else
				say(r, 1, "refused", "%s/%s exists: init makes a plane only in a directory "
				    "that holds none of registries/, installed/, ledger/, packages_store/",
				    canon, d);
			r->hint = xstrdup(dirs[i] == CP_LAYOUT_REGISTRIES ?
			    "make validate and make integrity check it; make help lists the targets" :
			    "a plane the Python tools built is taken over by make adopt ADMIN=USER");
			goto out;
		}
	}
	/* the staging directory: a fresh name inside root, made by us */
	for (i = 0;; i++) {
		unsigned char b[6];

		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
			say(r, 2, "error", "getrandom: %s", strerror(errno));
			goto out;
		}
		snprintf(stage, sizeof(stage), ".cp-init.%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		    b[3], b[4], b[5]);
		if (mkdirat(rootfd, stage, 0755) == 0)
			break;
		if (errno != EEXIST || i > 16) {
			say(r, 2, "error", "%s/%s: %s", canon, stage, strerror(errno));
			goto out;
		}
	}
	staged = 1;
	stage_abs = xpathjoin(canon, stage);
	if ((sfd = openat(rootfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		goto io;
	for (i = 0; i < NDIRS; i++)
		if (mkdirat(sfd, cp_layout_rel(dirs[i]), 0755) == -1) {
			cp_err_set(&e, errno, "%s", cp_layout_rel(dirs[i]));
			goto fail;
		}
	{
		/* the admin's name may hold a ',' or '"': written as csv.DictWriter quotes it */
		static const char *const head[] = { "user", "roles" };
		const char *v[2] = { admin, "admin" };
		size_t hl[2] = { 4, 5 }, vl[2] = { strlen(admin), 5 }, rl;
		FILE *m = open_memstream(&roles, &rl);

		if (m == NULL)
			goto io;
		cp_csv_write_fields(m, 2, (char *const *)(uintptr_t)head, hl);
		cp_csv_write_fields(m, 2, (char *const *)(uintptr_t)v, vl);
		if (fclose(m) != 0)
			goto io;
	}
	if (put(sfd, cp_layout_rel(CP_LAYOUT_PACKAGES), pkg_header, &e) == -1 ||
	    put(sfd, cp_layout_rel(CP_LAYOUT_CPREG), cp_header, &e) == -1 ||
	    put(sfd, cp_layout_rel(CP_LAYOUT_ROLES), roles, &e) == -1 ||
	    put(sfd, cp_layout_rel(CP_LAYOUT_CONF), conf_text, &e) == -1)
		goto fail;
	if (first_entry(stage_abs, admin, os_user, r, &e) == -1)
		goto fail;
	for (i = 0; i < NDIRS; i++) {
		const char *d = cp_layout_rel(dirs[i]);

		if (fsync(sfd) == -1)
			goto io;
		snprintf(p, sizeof(p), "%s/%s", stage, d);
		if (renameat2(rootfd, p, rootfd, d, RENAME_NOREPLACE) == -1) {
			cp_err_set(&e, errno, "%s/%s", canon, d);
			goto fail;
		}
	}
	if (fsync(rootfd) == -1)
		goto io;
	unlinkat(rootfd, stage, AT_REMOVEDIR);
	staged = 0;
	say(r, 0, "initialized", "initialized a plane: %s admin, provider hmac pinned", admin);
	r->changed = 1;
	if (asprintf(&r->hint, "next: cp-authz init %s (makes the secret, outside the plane, and "
	    "prints %s's token); then make pack SRC=... ID=..., make install PKG=..., "
	    "make integrity", admin, admin) == -1)
		r->hint = NULL;
	goto out;
io:
	cp_err_set(&e, errno, "%s", stage_abs != NULL ? stage_abs : canon);
fail:
	say(r, 2, "error", "init: %s (nothing made)", e.msg);
	/* a directory already renamed into place goes back (registries/ never was) */
	for (i = 0; i < NDIRS && rootfd != -1 && stage_abs != NULL; i++) {
		const char *d = cp_layout_rel(dirs[i]);

		snprintf(p, sizeof(p), "%s/%s", stage, d);
		if (fstatat(rootfd, p, &st, AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT)
			renameat2(rootfd, d, rootfd, p, RENAME_NOREPLACE);
	}
out:
	if (staged && rootfd != -1)
		unstage(rootfd, stage);
	if (sfd != -1)
		close(sfd);
	if (rootfd != -1)
		close(rootfd);
	free(roles);
	free(stage_abs);
	free(canon);
	return r->exit;
}
