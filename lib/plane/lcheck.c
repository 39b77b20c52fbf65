/* lcheck: the plane's checkpoint of its ledger: read and checked (policy, signature), and kept up to date.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/beneath.h"
#include "base/hex.h"
#include "base/layout.h"
#include "base/xalloc.h"
#include "hash/merkle.h"
#include "hash/note.h"
#include "hash/signify.h"
#include "plane/lcheck.h"
#include "plane/trust.h"

/* ledger/checkpoint, relative to the plane. */
static char *
rel_path(void)
{
	return xpathjoin(cp_layout_rel(CP_LAYOUT_LEDGER), CP_LCHECK_FILE);
}

static int __attribute__((format(printf, 2, 3)))
refuse(struct cp_lcheck *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->why, sizeof(k->why), fmt, ap);
	va_end(ap);
	k->refused = 1;
	return 1;
}

/* The signature policy over the parsed note n (k->c read from it). */
static int
check_signature(int planefd, const char *root, const struct cp_note *n, struct cp_lcheck *k,
    struct cp_err *e)
{
	struct cp_trust t;
	unsigned char id[CP_NOTE_KEYIDLEN];
	char *conf = cp_layout_path(root, CP_LAYOUT_CONF);
	int rc = 1, v;

	k->signature = "none";
	if (cp_trust_load(&t, planefd, conf, e) == -1) {
		free(conf);
		return -1;
	}
	free(conf);
	k->required = t.required;
	for (size_t i = 0; i < t.n && n->nsig > 0; i++) {
		if ((v = cp_note_verify(n, k->c.origin, &t.key[i], e)) == -1) {
			rc = -1;
			goto out;
		}
		if (v == CP_NOTE_BADSIG) {
			refuse(k, "its signature by the trusted key %s (registries/keys/%s.pub) does "
			    "not verify: the checkpoint was altered", t.name[i], t.name[i]);
			goto out;
		}
		if (v == CP_NOTE_VERIFIED && strcmp(k->signature, "verified") != 0) {
			if (cp_note_keyid(k->c.origin, t.key[i].key, id, e) == -1) {
				rc = -1;
				goto out;
			}
			k->signature = "verified";
			snprintf(k->key, sizeof(k->key), "%s", t.name[i]);
			cp_hex_encode(id, sizeof(id), k->key_id);
			k->key_id[2 * CP_NOTE_KEYIDLEN] = '\0';
		}
	}
	if (t.required && strcmp(k->signature, "verified") != 0)
		refuse(k, "not signed by a trusted key (registries/keys/*.pub), and "
		    "CONTROL_PLANE_SIGNATURES=required");
out:
	cp_trust_free(&t);
	return rc;
}

int
cp_lcheck_load(int planefd, const char *root, struct cp_lcheck *k, struct cp_err *e)
{
	struct cp_note *n = NULL;
	struct cp_err pe;
	char *rel = rel_path(), *text;
	size_t len;
	int rc;

	memset(k, 0, sizeof(*k));
	k->signature = "none";
	cp_err_clear(&pe);
	if ((text = cp_beneath_read(planefd, rel, CP_NOTE_MAX, &len, &pe)) == NULL) {
		free(rel);
		if (pe.errnum == ENOENT)
			return 0;
		k->present = 1;
		/* A FIFO, a symlink, a directory or a huge file in its place is no checkpoint. */
		if (pe.errnum == EINVAL || pe.errnum == ELOOP || pe.errnum == EISDIR)
			return refuse(k, "not a checkpoint: %s", pe.msg);
		if (e != NULL)
			*e = pe;
		return -1;
	}
	free(rel);
	k->present = 1;
	n = xmalloc(sizeof(*n));
	if (cp_note_parse(text, len, n, &pe) == -1 ||
	    cp_checkpoint_parse(n->text, n->textlen, &k->c, &pe) == -1)
		rc = refuse(k, "malformed: %s", pe.msg);
	else if (strcmp(k->c.origin, CP_LCHECK_ORIGIN) != 0)
		rc = refuse(k, "its origin is %s, not the plane's %s", k->c.origin, CP_LCHECK_ORIGIN);
	else
		rc = check_signature(planefd, root, n, k, e);
	free(n);
	free(text);
	return rc;
}

int
cp_lcheck_extends(const struct cp_checkpoint *c, const struct cp_ledger_summary *s,
    struct cp_err *e)
{
	unsigned char root[32];

	if (c->size > s->entries)
		return 0;
	if (c->size > 0 && s->leaves == NULL)
		return cp_err_set(e, 0, "the ledger's leaves were not kept");
	if (cp_merkle_root_of(s->leaves, c->size, root) == -1)
		return cp_err_set(e, 0, "merkle: openssl failure");
	return memcmp(root, c->root, 32) == 0;
}

/* Write text[0..len) as ledger/checkpoint, atomically, beneath the plane. */
static int
write_checkpoint(int planefd, const char *text, size_t len, struct cp_err *e)
{
	struct cp_atomic a;
	int dfd, rc = 0;

	if ((dfd = cp_beneath_open(planefd, cp_layout_rel(CP_LAYOUT_LEDGER), O_RDONLY | O_DIRECTORY,
	    0, e)) == -1)
		return -1;
	if (cp_atomic_openat(&a, dfd, CP_LCHECK_FILE, 0644) == -1)
		rc = cp_err_set(e, errno, "%s/%s", cp_layout_rel(CP_LAYOUT_LEDGER), CP_LCHECK_FILE);
	else if (fwrite(text, 1, len, a.fp) != len) {
		rc = cp_err_set(e, errno, "%s/%s", cp_layout_rel(CP_LAYOUT_LEDGER), CP_LCHECK_FILE);
		cp_atomic_abort(&a);
	} else if (cp_atomic_commit(&a) == -1)
		rc = cp_err_set(e, errno, "%s/%s", cp_layout_rel(CP_LAYOUT_LEDGER), CP_LCHECK_FILE);
	close(dfd);
	return rc;
}

int
cp_lcheck_update(int planefd, const char *root, struct cp_err *e)
{
	struct cp_lcheck k;
	struct cp_ledger_summary s;
	struct cp_checkpoint c = { 0 };
	struct cp_signify_sec sec;
	cp_signify_comment comment;
	char *ledger = cp_layout_path(root, CP_LAYOUT_LEDGER), *text = NULL, *note = NULL;
	size_t len;
	int rc = -1, v, signing;

	memset(&s, 0, sizeof(s));
	if ((v = cp_lcheck_load(planefd, root, &k, e)) == -1)
		goto out;
	if (v == 1 && k.refused) {
		cp_err_set(e, 0, "ledger/checkpoint left as it was: %s", k.why);
		goto out;
	}
	if ((v = cp_ledger_verify(ledger, CP_LEDGER_KEEP_LEAVES, NULL, NULL, &s, e)) == -1)
		goto out;
	if (v == 1) {
		cp_err_set(e, 0, "the ledger does not verify (%llu problem%s): ledger/checkpoint left "
		    "as it was (see cp-ledger verify)", (unsigned long long)s.problems,
		    s.problems == 1 ? "" : "s");
		goto out;
	}
	if (k.present && (v = cp_lcheck_extends(&k.c, &s, e)) != 1) {
		if (v == 0)
			cp_err_set(e, 0, "the ledger (%llu entries) does not extend ledger/checkpoint "
			    "(%llu entries): left as it was (see cp-ledger verify --checkpoint)",
			    (unsigned long long)s.entries, (unsigned long long)k.c.size);
		goto out;
	}
	snprintf(c.origin, sizeof(c.origin), "%s", CP_LCHECK_ORIGIN);
	c.size = s.entries;
	if (cp_merkle_root(&s.tree, c.root) == -1) {
		cp_err_set(e, 0, "merkle: openssl failure");
		goto out;
	}
	if ((text = cp_checkpoint_format(&c)) == NULL) {
		cp_err_set(e, 0, "cannot format the checkpoint");
		goto out;
	}
	if ((signing = cp_trust_signing_key(root, &sec, comment, e)) == -1)
		goto out;
	if (signing) {
		/* The key name is the origin, as tlog-checkpoint recommends (cp-ledger head --sign). */
		note = cp_note_sign(text, strlen(text), c.origin, &sec, &len, e);
		cp_signify_sec_wipe(&sec);
		if (note == NULL)
			goto out;
		rc = write_checkpoint(planefd, note, len, e);
	} else
		rc = write_checkpoint(planefd, text, strlen(text), e);
out:
	cp_ledger_summary_free(&s);
	free(text);
	free(note);
	free(ledger);
	return rc;
}
