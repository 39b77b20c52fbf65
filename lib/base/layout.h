/* layout: which directory a tool governs, and where each of the plane's files lies in it (design.md sections 3 and 5).
 * SPDX-License-Identifier: ISC */
#ifndef CP_LAYOUT_H
#define CP_LAYOUT_H

/*
 * The plane a tool works on: dir (its -C option) when not NULL, else
 * $CONTROL_PLANE_ROOT when set and not empty, else ".".  The string is
 * dir or the environment's: not to be freed.
 */
const char *cp_layout_root(const char *dir);

/* The plane's own files and directories, the one place they are spelled. */
enum cp_layout_item {
	CP_LAYOUT_REGISTRIES,	/* registries */
	CP_LAYOUT_PACKAGES,	/* registries/packages_registry.csv */
	CP_LAYOUT_CPREG,	/* registries/control_plane_registry.csv */
	CP_LAYOUT_COMPILED,	/* registries/compiled/packages.json */
	CP_LAYOUT_CONF,		/* registries/plane.conf: committed settings, no secrets */
	CP_LAYOUT_ROLES,	/* registries/roles.csv: user -> roles */
	CP_LAYOUT_KEYS,		/* registries/keys: trusted public keys */
	CP_LAYOUT_LEDGER,	/* ledger: the hash-chained segments */
	CP_LAYOUT_INSTALLED,	/* installed: install receipts */
	CP_LAYOUT_STORE,	/* packages_store: archives and their .sha256 */
	CP_LAYOUT_STATE,	/* .cp: caches, state, the plane's lock (not committed) */
	CP_LAYOUT_MANIFEST,	/* MANIFEST.json */
	CP_LAYOUT_NITEMS
};

/* The item's path relative to the plane root ("registries/roles.csv"); static. */
const char *cp_layout_rel(enum cp_layout_item item);

/*
 * The item's path under root: "ROOT/REL" ("./registries/roles.csv" for the
 * current directory, as messages have always named it).  Caller frees
 * (exits 2 when out of memory).
 */
char *cp_layout_path(const char *root, enum cp_layout_item item);

#endif
