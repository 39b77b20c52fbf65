/* receipt: a package's install receipt (installed/ID.sha256 and ID.info), read as hostile input, written atomically, checked against the files.
 * SPDX-License-Identifier: ISC */
#ifndef CP_RECEIPT_H
#define CP_RECEIPT_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "hash/sha256.h"

/*
 * The receipt of package ID is two files in the plane's installed/
 * directory, in the formats mk/plane.sh wrote (kept byte for byte):
 *
 *   ID.sha256  one sha256sum line per file installed ("<hex>  <path>\n",
 *              with coreutils' escaping of '\', LF and CR: text/sumline),
 *              paths relative to the destination, in the order given
 *              (cp-tar's: bytewise path order), so that
 *              `cd DEST && sha256sum -c ID.sha256` works;
 *   ID.info    exactly four lines, in this order when written:
 *              package=ID  digest=<64 lowercase hex>  destination=<DEST>
 *              output_type=<extension|module|external>
 *
 * Both files lie in a directory others may write to: everything read is
 * checked, nothing is trusted.  Whether the destination is the one the
 * registry routes the package to now is the engine's check, not this
 * module's: the destination is handed over as read.
 */

/* Longest package id: every file named after one (.ID.sha256.cp-tmp.PID.<16 hex>, 240 bytes at most) fits in NAME_MAX. */
#define CP_RECEIPT_ID_MAX 200

/* Caps on what is read: the .sha256 file, one line of it, the .info file. */
#define CP_RECEIPT_SHA256_MAX ((size_t)64 << 20)
#define CP_RECEIPT_LINE_MAX (2 * 4096 + 72)	/* an escaped PATH_MAX name, its digest, '\' */
#define CP_RECEIPT_INFO_MAX ((size_t)16 << 10)

/* output_type of the package's registry row when it was installed. */
enum cp_receipt_type {
	CP_RECEIPT_EXTENSION,	/* into the plane root */
	CP_RECEIPT_MODULE,	/* into modules/ or an output_path in the plane */
	CP_RECEIPT_EXTERNAL	/* an absolute output_path outside the plane */
};

/* One file installed. */
struct cp_receipt_entry {
	char *path;				/* relative to the destination, normalised (cp_relpath_ok) */
	char sha256[CP_SHA256_HEXLEN + 1];	/* its digest when installed, lowercase hex */
};

/*
 * A receipt: both files' contents (tar/extract's list of what one
 * extraction placed is struct cp_extract_receipt).  Every string is heap
 * memory owned by the struct: free with cp_receipt_free.
 */
struct cp_receipt {
	char *package;				/* the package id (cp_receipt_id_ok) */
	char digest[CP_SHA256_HEXLEN + 1];	/* the archive's digest, lowercase hex */
	char *destination;			/* "." (the plane root), a plane-relative or an
						 * absolute path: as read, unchecked */
	enum cp_receipt_type output_type;
	struct cp_receipt_entry *v;		/* the files, in file order */
	size_t n;
};

/* What cp_receipt_check found at an entry's path under the destination. */
enum cp_receipt_state {
	CP_RECEIPT_SAME,	/* a regular file with the recorded digest */
	CP_RECEIPT_MISSING,	/* nothing there (or a non-directory where a directory on its way was) */
	CP_RECEIPT_CHANGED	/* other bytes, or no regular file: a symlink, a directory, a device,
				 * a FIFO at the path, or a symlink on its way (never followed) */
};

/*
 * The one rule for a package id: 1 to CP_RECEIPT_ID_MAX bytes of
 * [A-Za-z0-9._-], not starting with '-' (it would be an option) and not
 * "." or ".." (it names files: installed/ID.info, packages_store/...).
 * Returns 1, or 0 with e saying what is wrong (the id is the caller's to
 * quote).
 */
int cp_receipt_id_ok(const char *id, struct cp_err *e);

/* "extension", "module", "external". */
const char *cp_receipt_type_name(enum cp_receipt_type t);

/* The type named s (exactly one of the three names): 0 and *t, or -1. */
int cp_receipt_type_parse(const char *s, enum cp_receipt_type *t);

/*
 * Read the receipt of package id from the directory open as dirfd (the
 * plane's installed/).  Each file is opened with O_NOFOLLOW beneath dirfd
 * (a symlink is refused, so is anything but a regular file) and read up to
 * its cap (CP_RECEIPT_*_MAX; a larger file is refused).  Refused, with a
 * message naming "installed/ID.sha256" or "installed/ID.info" and the line:
 * a line that is not a sha256sum line (text/sumline) or does not end in a
 * newline; a path that is not relative and normalised (base/relpath: no
 * "/x", "../x", "a//b", "./a"); a path listed twice; in .info a line that
 * is not key=value, an unknown key, a key missing or repeated, a package=
 * other than id, a digest= that is not 64 lowercase hex, an empty
 * destination=, an output_type= not one of the three.  An id that fails
 * cp_receipt_id_ok is refused before any file is opened.
 * Returns 0 with *r filled (caller frees with cp_receipt_free), or -1 with
 * *r empty and e set; e->errnum is ENOENT when a file of the pair does not
 * exist (the package is not installed, or half a receipt is left).
 */
int cp_receipt_read(int dirfd, const char *id, struct cp_receipt *r, struct cp_err *e);

/*
 * Write r as dir/ID.sha256, then dir/ID.info (ID = r->package), each
 * through base/atomic (temporary file beside it, mode 0644, fsync, rename,
 * fsync of dir), in the bytes mk/plane.sh wrote: what cp_receipt_read
 * reads back is r.  r is checked first as the reader checks it (id, paths,
 * no duplicates, digests, a destination neither empty nor holding a
 * newline), so a receipt this writes is one it reads; nothing is written
 * when it fails.  Returns 0, or -1 with e set (a failure between the two
 * renames leaves the new .sha256 beside the old .info: the engine's
 * journal is what makes the pair one change).
 */
int cp_receipt_write(const char *dir, const struct cp_receipt *r, struct cp_err *e);

/*
 * The same bytes as cp_receipt_write, to the caller's streams (the engine
 * stages them in its journal): sums gets ID.sha256's, info ID.info's.  r is
 * checked first; nothing is written when it fails.  Write errors stay in
 * the streams for the caller's checked close.  Returns 0, or -1 with e set.
 */
int cp_receipt_format(const struct cp_receipt *r, FILE *sums, FILE *info, struct cp_err *e);

/*
 * Which of r's files are missing or changed under the destination open as
 * destfd: state[i] (caller-allocated, r->n elements) receives the state of
 * r->v[i].  Each path is walked component by component with O_NOFOLLOW
 * beneath destfd (a symlink is never followed, anywhere on the way), only
 * a regular file is opened, and its bytes are hashed (hash/sha256).
 * Returns the number of entries not CP_RECEIPT_SAME, or -1 with e set on
 * an error that says nothing about the file (EACCES, EIO...), naming it.
 */
long cp_receipt_check(int destfd, const struct cp_receipt *r,
    enum cp_receipt_state *state, struct cp_err *e);

/* Release what r holds and empty it; safe on an emptied or zeroed pair. */
void cp_receipt_free(struct cp_receipt *r);

#endif
