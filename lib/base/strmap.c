/* strmap: open addressing with linear probing; keys live in an arena, never moved.
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strmap.h"
#include "base/xalloc.h"

struct slot {
	const char *key;	/* NULL: empty */
	size_t len;
	size_t value;
	uint64_t hash;
};

struct cp_strmap {
	struct slot *slot;
	size_t mask;		/* number of slots - 1 (a power of two) */
	size_t count;
	struct cp_arena keys;
};

/*
 * FNV-1a, 64 bits, then MurmurHash3's finalizer: ids such as PKG-000123
 * differ in their last bytes only, and FNV alone leaves the low bits (the
 * slot) of such keys clustered.
 */
static uint64_t
hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

struct cp_strmap *
cp_strmap_new(void)
{
	struct cp_strmap *m = xcalloc(1, sizeof(*m));

	m->mask = 63;
	m->slot = xcalloc(m->mask + 1, sizeof(*m->slot));
	return m;
}

static struct slot *
find(const struct cp_strmap *m, const char *key, size_t len, uint64_t h)
{
	size_t i = (size_t)h & m->mask;
	struct slot *s;

	for (;; i = (i + 1) & m->mask) {
		s = &m->slot[i];
		if (s->key == NULL || (s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0))
			return s;
	}
}

static void
grow(struct cp_strmap *m)
{
	struct slot *old = m->slot;
	size_t n = m->mask + 1, i;

	m->mask = 2 * n - 1;
	m->slot = xcalloc(2 * n, sizeof(*m->slot));
	for (i = 0; i < n; i++)
		if (old[i].key != NULL)
			*find(m, old[i].key, old[i].len, old[i].hash) = old[i];
	free(old);
}

int
cp_strmap_add(struct cp_strmap *m, const char *key, size_t len, size_t value, size_t *old)
{
	uint64_t h = hash(key, len);
	struct slot *s = find(m, key, len, h);

	if (s->key != NULL) {
		if (old != NULL)
			*old = s->value;
		return 0;
	}
	s->key = cp_arena_strndup(&m->keys, key, len);
	s->len = len;
	s->value = value;
	s->hash = h;
	if (++m->count * 2 > m->mask + 1)	/* keep the load under 1/2: short probes */
		grow(m);
	return 1;
}

size_t *
cp_strmap_put(struct cp_strmap *m, const char *key, size_t len, int *added, const char **stored)
{
	uint64_t h = hash(key, len);
	struct slot *s;

	if ((m->count + 1) * 2 > m->mask + 1)	/* grow first: the slot returned must stay put */
		grow(m);
	s = find(m, key, len, h);
	*added = s->key == NULL;
	if (*added) {
		s->key = cp_arena_strndup(&m->keys, key, len);
		s->len = len;
		s->value = 0;
		s->hash = h;
		m->count++;
	}
	if (stored != NULL)
		*stored = s->key;
	return &s->value;
}

size_t *
cp_strmap_ref(const struct cp_strmap *m, const char *key, size_t len)
{
	struct slot *s = find(m, key, len, hash(key, len));

	return s->key != NULL ? &s->value : NULL;
}

int
cp_strmap_get(const struct cp_strmap *m, const char *key, size_t len, size_t *value)
{
	const struct slot *s = find(m, key, len, hash(key, len));

	if (s->key == NULL)
		return 0;
	*value = s->value;
	return 1;
}

size_t
cp_strmap_count(const struct cp_strmap *m)
{
	return m->count;
}

void
cp_strmap_free(struct cp_strmap *m)
{
	if (m == NULL)
		return;
	cp_arena_free(&m->keys);
	free(m->slot);
	free(m);
}
