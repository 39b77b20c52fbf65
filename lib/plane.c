/* plane: -C DIR, else CONTROL_PLANE_ROOT, else the current directory. */
#include <stdlib.h>

#include "plane.h"

const char *
cp_plane_root(const char *dir)
{
	const char *env;

	if (dir != NULL)
		return dir;
	if ((env = getenv("CONTROL_PLANE_ROOT")) != NULL && *env != '\0')
		return env;
	return ".";
}
