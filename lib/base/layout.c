/* layout: -C DIR, else CONTROL_PLANE_ROOT, else the current directory; and the plane's file names.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "base/layout.h"
#include "base/xalloc.h"

static const char *const rel[CP_LAYOUT_NITEMS] = {
	[CP_LAYOUT_REGISTRIES] = "registries",
	[CP_LAYOUT_PACKAGES] = "registries/packages_registry.csv",
	[CP_LAYOUT_CPREG] = "registries/control_plane_registry.csv",
	[CP_LAYOUT_COMPILED] = "registries/compiled/packages.json",
	[CP_LAYOUT_CONF] = "registries/plane.conf",
	[CP_LAYOUT_ROLES] = "registries/roles.csv",
	[CP_LAYOUT_KEYS] = "registries/keys",
	[CP_LAYOUT_LEDGER] = "ledger",
	[CP_LAYOUT_INSTALLED] = "installed",
	[CP_LAYOUT_STORE] = "packages_store",
	[CP_LAYOUT_STATE] = ".cp",
	[CP_LAYOUT_MANIFEST] = "MANIFEST.json",
};

const char *
cp_layout_root(const char *dir)
{
	const char *env;

	if (dir != NULL)
		return dir;
	if ((env = getenv("CONTROL_PLANE_ROOT")) != NULL && *env != '\0')
		return env;
	return ".";
}

const char *
cp_layout_rel(enum cp_layout_item item)
{
	return rel[item];
}

char *
cp_layout_path(const char *root, enum cp_layout_item item)
{
	return xpathjoin(root, rel[item]);
}
