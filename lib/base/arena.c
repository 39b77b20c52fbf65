/* arena: strings and objects carved from 64 KiB blocks (a longer one gets a block of its own).
 * SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/xalloc.h"

#define BLOCK_SIZE ((size_t)64 << 10)
#define ALIGN (_Alignof(max_align_t))

struct cp_arena_block {
	struct cp_arena_block *next;
	size_t used, size;
	char data[];
};

/* Room for len bytes after pad bytes of alignment (pad is 0 for strings): the block, used as it comes. */
static struct cp_arena_block *
room(struct cp_arena *a, size_t len, size_t *pad, int aligned)
{
	struct cp_arena_block *b = a->head;
	size_t size;

	*pad = 0;
	if (b != NULL && aligned)
		*pad = (ALIGN - (uintptr_t)(b->data + b->used) % ALIGN) % ALIGN;
	if (b != NULL && b->size - b->used >= len && b->size - b->used - len >= *pad)
		return b;
	if (len > SIZE_MAX - sizeof(*b) - ALIGN)
		xmalloc(SIZE_MAX);	/* exits: out of memory */
	size = len + ALIGN > BLOCK_SIZE ? len + ALIGN : BLOCK_SIZE;
	b = xmalloc(sizeof(*b) + size);
	b->size = size;
	b->used = 0;
	/* A block of its own goes behind the current one, which still has room. */
	if (size > BLOCK_SIZE && a->head != NULL) {
		b->next = a->head->next;
		a->head->next = b;
	} else {
		b->next = a->head;
		a->head = b;
	}
	*pad = aligned ? (ALIGN - (uintptr_t)b->data % ALIGN) % ALIGN : 0;
	return b;
}

char *
cp_arena_strndup(struct cp_arena *a, const char *s, size_t len)
{
	size_t pad;
	struct cp_arena_block *b = room(a, len + 1, &pad, 0);
	char *p = b->data + b->used;

	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

void *
cp_arena_alloc(struct cp_arena *a, size_t size)
{
	size_t pad;
	struct cp_arena_block *b = room(a, size, &pad, 1);
	char *p = b->data + b->used + pad;

	b->used += pad + size;
	return p;
}

void
cp_arena_reset(struct cp_arena *a)
{
	struct cp_arena_block *b, *next, *keep = NULL;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		if (keep == NULL && b->size == BLOCK_SIZE)
			keep = b;
		else
			free(b);
	}
	if (keep != NULL) {
		keep->next = NULL;
		keep->used = 0;
	}
	a->head = keep;
}

void
cp_arena_free(struct cp_arena *a)
{
	struct cp_arena_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}
