/* arena: many small strings allocated together and freed at once. */
#ifndef CP_ARENA_H
#define CP_ARENA_H

#include <stddef.h>

struct cp_arena_block;

/* Caller-allocated; a zeroed struct is an empty arena. */
struct cp_arena {
	struct cp_arena_block *head;
};

/*
 * A NUL-terminated copy of s[0..len), owned by the arena: valid, and never
 * moved, until cp_arena_free.  Exits 2 when out of memory.
 */
char *cp_arena_strndup(struct cp_arena *a, const char *s, size_t len);

/* Free every string of the arena; it is then empty again. */
void cp_arena_free(struct cp_arena *a);

#endif
