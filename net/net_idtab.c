/*
 * net_idtab.c - PRNG, node-id helpers and the id -> slot index shared by
 * net_member.c and net_gossip.c (see net_idtab.h for why it exists).
 *
 * The index is linear probing over a power-of-two table at least twice
 * the number of slots, so it never fills and a probe run stays short.
 * Records are never deleted one by one: a caller that frees slots calls
 * net_idtab_rebuild(), which keeps the table free of tombstones.
 */
#include "net_idtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t
net_splitmix64(uint64_t *state)
{
	uint64_t	z;

	z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

int
net_id_ok(const char *id)
{
	size_t	n;

	if (id == NULL)
		return 0;
	for (n = 0; n < SEC_NODE_ID_SIZE && id[n] != '\0'; n++)
		continue;
	return n > 0 && n < SEC_NODE_ID_SIZE;
}

void
net_idcpy(char *dst, const char *src)
{
	size_t	i;

	for (i = 0; i < SEC_NODE_ID_LEN && src[i] != '\0'; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* FNV-1a over the id, high bits folded in for the power-of-two mask. */
static size_t
idtab_hash(const char *id)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * UINT64_C(0x100000001b3);
	return (size_t)(h ^ (h >> 29));
}

int
net_idtab_init(struct net_idtab *t, size_t nslots)
{
	t->index = NULL;
	t->icap = 0;
	if (nslots < 2 || nslots > NET_IDTAB_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (t->icap = 1; t->icap < 2 * nslots; t->icap *= 2)
		continue;
	if ((t->index = calloc(t->icap, sizeof *t->index)) == NULL) {
		t->icap = 0;
		return -1;
	}
	return 0;
}

void
net_idtab_free(struct net_idtab *t)
{
	free(t->index);
	t->index = NULL;
	t->icap = 0;
}

size_t
net_idtab_find(const struct net_idtab *t, const char *id,
    net_idtab_id_fn *id_of, const void *arg)
{
	size_t		 h, mask = t->icap - 1;
	const char	*sid;

	for (h = idtab_hash(id) & mask; t->index[h] != 0; h = (h + 1) & mask) {
		sid = id_of(arg, (size_t)t->index[h] - 1);
		if (sid != NULL && strcmp(sid, id) == 0)
			return (size_t)t->index[h] - 1;
	}
	return NET_IDTAB_NONE;
}

void
net_idtab_put(struct net_idtab *t, const char *id, size_t slot)
{
	size_t	h, mask = t->icap - 1;

	for (h = idtab_hash(id) & mask; t->index[h] != 0; h = (h + 1) & mask)
		continue;
	t->index[h] = (uint16_t)(slot + 1);
}

void
net_idtab_rebuild(struct net_idtab *t, size_t nslots,
    net_idtab_id_fn *id_of, const void *arg)
{
	size_t		 i;
	const char	*id;

	memset(t->index, 0, t->icap * sizeof *t->index);
	for (i = 0; i < nslots; i++)
		if ((id = id_of(arg, i)) != NULL)
			net_idtab_put(t, id, i);
}
