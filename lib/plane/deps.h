/* deps: the packages registry's deps and conflicts against what is installed, as apt weighs them.
 * SPDX-License-Identifier: ISC */
#ifndef CP_DEPS_H
#define CP_DEPS_H

#include <stddef.h>

#include "base/err.h"

/*
 * A snapshot of a plane: every row of registries/packages_registry.csv
 * (id, version, deps, conflicts), and which packages are installed (an
 * installed/ID.sha256 receipt with a valid id).  The registry and the
 * directory are hostile input: read beneath the plane without following a
 * symlink, a row's deps entry that does not parse is a problem, never a
 * crash.  An installed package's version is its row's.
 */
struct cp_deps;

/*
 * Read the plane open as planefd.  Returns 0 and *dp (free with
 * cp_deps_free), or -1 with e (an unreadable or malformed registry; a
 * missing installed/ is an empty set).
 */
int cp_deps_load(int planefd, struct cp_deps **dp, struct cp_err *e);
void cp_deps_free(struct cp_deps *d);

/* 1 when the registry has a row id. */
int cp_deps_known(const struct cp_deps *d, const char *id);

/* 1 when id is installed (or assumed to be: cp_deps_assume). */
int cp_deps_installed(const struct cp_deps *d, const char *id);

/* Count id as installed (yes 1) or not (0) from now on: a plan's view of the packages before it. */
void cp_deps_assume(struct cp_deps *d, const char *id, int yes);

/*
 * The packages to install before id: its dependencies, and theirs, that
 * are not installed, dependency first (depgraph's order, which `cp-regrow
 * sync` writes as install_order), id itself not among them.  Returns their
 * number; *ids (caller frees the array, the strings are d's) gets them.  A
 * dependency that no row names is left to cp_deps_problems.
 */
size_t cp_deps_missing(struct cp_deps *d, const char *id, const char ***ids);

/*
 * What stands against installing id now, one message each (caller frees
 * each and the array): a dependency with no row, a dependency not
 * installed, an installed dependency whose version does not satisfy the
 * constraint (or a constraint that does not parse), an installed package
 * that id's conflicts names, an installed package whose conflicts names
 * id.  Returns their number.
 */
size_t cp_deps_problems(struct cp_deps *d, const char *id, char ***msgs);

/* The installed packages that depend on id directly, in registry order (strings are d's). */
size_t cp_deps_dependents(struct cp_deps *d, const char *id, const char ***ids);

/*
 * The installed packages with a dependency that is not installed: pairs
 * (*pairs)[2k] the package, (*pairs)[2k + 1] the dependency, in registry
 * order (strings are d's; caller frees the array).  Returns the pairs' number.
 */
size_t cp_deps_broken(struct cp_deps *d, const char ***pairs);

/*
 * The ids of d in an order that installs every dependency before what
 * needs it (depgraph's postorder over all rows).  Returns their number.
 */
size_t cp_deps_order(struct cp_deps *d, const char ***ids);

/* The line of the registry where row id starts (0: no such row). */
unsigned long cp_deps_line(const struct cp_deps *d, const char *id);

#endif
