/* arena: strings carved from 64 KiB blocks (a longer one gets a block of its own). */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xalloc.h"

#define BLOCK_SIZE ((size_t)64 << 10)

struct cp_arena_block {
	struct cp_arena_block *next;
	size_t used, size;
	char data[];
};

char *
cp_arena_strndup(struct cp_arena *a, const char *s, size_t len)
{
	struct cp_arena_block *b = a->head;
	size_t size;
	char *p;

	if (b == NULL || b->size - b->used < len + 1) {
		size = len + 1 > BLOCK_SIZE ? len + 1 : BLOCK_SIZE;
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
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
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
