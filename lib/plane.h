/* plane: which directory a tool governs (design.md section 3). */
#ifndef CP_PLANE_H
#define CP_PLANE_H

/*
 * The plane a tool works on: dir (its -C option) when not NULL, else
 * $CONTROL_PLANE_ROOT when set and not empty, else ".".  The string is
 * dir or the environment's: not to be freed.
 */
const char *cp_plane_root(const char *dir);

#endif
