/* tarcheck: the rules an archive entry must pass before anything is extracted, and the caps.
 * SPDX-License-Identifier: ISC */
#ifndef CP_TARCHECK_H
#define CP_TARCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "tar/tarread.h"

/* Caps on what one archive may unpack to.  0 disables a cap (max_path and max_depth excepted). */
struct cp_tarlimits {
	uint64_t max_bytes;		/* total bytes of file data */
	uint64_t max_entries;
	uint64_t max_entry_size;	/* bytes of one file */
	uint64_t max_ratio;		/* unpacked bytes per compressed byte */
	uint64_t max_path;		/* bytes in a name or link target (at most PATH_MAX - 1) */
	uint64_t max_depth;		/* components in a path */
};

/* Set l to the defaults: 8 GiB, 50,000 entries, 4 GiB, 200:1, 4095 bytes, 64 components. */
void cp_tarcheck_limits(struct cp_tarlimits *l);

/*
 * The names cp-tar keeps for itself in a destination directory: a staging
 * directory is CP_TAR_STAGE_PREFIX and CP_TAR_STAGE_HEX lowercase hex
 * digits, and holds the file CP_TAR_STAGE_MARK with CP_TAR_STAGE_TEXT in it
 * (only a directory so marked is ever removed as a dead extraction's).  An
 * archive entry with a component of the first form, or whose first
 * component is the marker's name, is refused.
 */
#define CP_TAR_STAGE_PREFIX ".cp-tar-"
#define CP_TAR_STAGE_HEX 12
#define CP_TAR_STAGE_MARK ".cp-tar-stage"
#define CP_TAR_STAGE_TEXT "cp-tar staging directory\n"

/* Whether the n bytes at name are a staging directory's name. */
int cp_tarcheck_stagename(const char *name, size_t n);

/*
 * Normalise a relative path: empty and "." components dropped, so
 * "./a//b/" is "a/b" (and "." or "./" is "").  Refused, with the reason in
 * e ("'..' in the path"): an empty name, an absolute path, a ".."
 * component, a component longer than NAME_MAX, more than max_path bytes or
 * max_depth components.  Returns 0 and the normalised path in *out (caller
 * frees), or -1.
 */
int cp_tarcheck_path(const char *name, const struct cp_tarlimits *l, char **out,
    struct cp_err *e);

/*
 * May a symlink at path (normalised) point to target?  Only if target is
 * relative, not empty, at most max_path bytes, its ".." components all
 * lead it, and they do not climb above the top of the tree.  Returns 0, or
 * -1 with the reason in e.
 */
int cp_tarcheck_symlink(const char *path, const char *target, const struct cp_tarlimits *l,
    struct cp_err *e);

struct cp_tarcheck;

enum {
	CP_TARCHECK_SYMLINKS = 1,	/* allow symlinks whose target stays inside */
	CP_TARCHECK_LENIENT = 2,	/* record entries, refuse nothing but too many (for listing) */
	CP_TARCHECK_REPEATS = 4		/* a regular file named twice is a repeat (1), not refused:
					 * the Python tools' packs hold some; the caller must
					 * refuse it unless its bytes are the first one's */
};

/* A checker for one archive.  Caller releases with cp_tarcheck_free. */
struct cp_tarcheck *cp_tarcheck_new(const struct cp_tarlimits *l, int flags);

/*
 * Check entry ent against every rule that needs only the archive: the caps
 * (entries, total and single-entry bytes); the name (cp_tarcheck_path);
 * the type (no devices, FIFOs, sockets or unknown types; symlinks only with
 * CP_TARCHECK_SYMLINKS, and then only relative targets that stay inside
 * without a ".." after a name); no setuid, setgid or sticky bit; a hard
 * link only to an earlier regular file of the archive; no path twice, and
 * no path that is a file (or link) in one entry and a directory's parent
 * in another.  Accepted entries are remembered for the next checks.
 * Returns 0 and sets *path to the normalised name (owned by c, valid until
 * cp_tarcheck_free) -- NULL for a directory entry naming the destination
 * itself ("./"), which is to be skipped; or returns -1 with why the entry
 * is refused in e.  With CP_TARCHECK_REPEATS, a regular file whose path an
 * earlier regular file had returns 1 (and *path), remembered no further.
 * With CP_TARCHECK_LENIENT only the entry cap applies,
 * and *path is NULL when the name cannot be normalised.
 */
int cp_tarcheck_entry(struct cp_tarcheck *c, const struct cp_tarentry *ent,
    const char **path, struct cp_err *e);

/*
 * The index (cp_tarentry.index) of the regular file an accepted hard link
 * entry ent points to, or 0 if it points to none.
 */
uint64_t cp_tarcheck_link_index(const struct cp_tarcheck *c, const struct cp_tarentry *ent);

/* Release c; safe on NULL. */
void cp_tarcheck_free(struct cp_tarcheck *c);

#endif
