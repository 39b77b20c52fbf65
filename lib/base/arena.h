/* arena: many small strings (or objects) allocated together and freed at once.
 * SPDX-License-Identifier: ISC */
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

/*
 * size bytes owned by the arena, aligned for any object (max_align_t):
 * valid, and never moved, until cp_arena_reset or cp_arena_free.  Exits 2
 * when out of memory.
 */
void *cp_arena_alloc(struct cp_arena *a, size_t size);

/*
 * Forget everything allocated, keeping one standard block for what comes
 * next (no malloc for a reader that resets its arena per record).
 */
void cp_arena_reset(struct cp_arena *a);

/* Free every string of the arena; it is then empty again. */
void cp_arena_free(struct cp_arena *a);

#endif
