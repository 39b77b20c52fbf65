/* pathset: open addressing with linear probing, FNV-1a hashes, capacity a power of two. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pathset.h"
#include "xalloc.h"

struct slot {
	char *key;	/* NULL: empty */
	size_t len;
	uint64_t hash;
	long value;
};

struct cp_pathset {
	struct slot *tab;
	size_t cap, n;
};

static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3u;
	}
	return h;
}

struct cp_pathset *
cp_pathset_new(void)
{
	struct cp_pathset *m = xcalloc(1, sizeof(*m));

	m->cap = 64;
	m->tab = xcalloc(m->cap, sizeof(*m->tab));
	return m;
}

static struct slot *
find(const struct cp_pathset *m, const char *key, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct slot *s = &m->tab[i];

		if (s->key == NULL || (s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0))
			return s;
	}
}

long *
cp_pathset_get(const struct cp_pathset *m, const char *key, size_t len)
{
	struct slot *s = find(m, key, len, fnv1a(key, len));

	return s->key != NULL ? &s->value : NULL;
}

static void
grow(struct cp_pathset *m)
{
	struct slot *old = m->tab;
	size_t oldcap = m->cap, i;

	m->cap *= 2;
	m->tab = xcalloc(m->cap, sizeof(*m->tab));
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			*find(m, old[i].key, old[i].len, old[i].hash) = old[i];
	free(old);
}

long *
cp_pathset_put(struct cp_pathset *m, const char *key, size_t len, int *added,
    const char **stored)
{
	uint64_t h = fnv1a(key, len);
	struct slot *s;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	s = find(m, key, len, h);
	*added = s->key == NULL;
	if (*added) {
		s->key = xmalloc(len + 1);
		memcpy(s->key, key, len);
		s->key[len] = '\0';
		s->len = len;
		s->hash = h;
		s->value = 0;
		m->n++;
	}
	if (stored != NULL)
		*stored = s->key;
	return &s->value;
}

size_t
cp_pathset_count(const struct cp_pathset *m)
{
	return m->n;
}

void
cp_pathset_free(struct cp_pathset *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++)
		free(m->tab[i].key);
	free(m->tab);
	free(m);
}
