/*
 * net_idtab.h - the small pieces the membership and gossip state machines
 * share: a seedable PRNG, node-id checks and copies, and an index from
 * node id to the slot of a record array.
 *
 * Both machines keep a fixed array of records named by a node id and look
 * records up by id on every claim or entry they receive, so both need the
 * same open-addressing index; they used to carry private copies of it.
 * The index does not know the record type: it stores slot + 1 (0 = free)
 * in uint16_t cells and asks the caller, through a small callback, for
 * the id held by a slot.  That keeps each caller's record struct its own
 * and the index 2 * nslots * 2 bytes.  Nothing here allocates except
 * net_idtab_init(); nothing keeps global state.
 */
#ifndef NET_IDTAB_H
#define NET_IDTAB_H

#include <stddef.h>
#include <stdint.h>

#include "sec_identity.h"

/* splitmix64: tiny, seedable, good enough to pick peers. */
uint64_t	net_splitmix64(uint64_t *state);

/* 1 if id is non-NULL, non-empty and NUL-terminated within SEC_NODE_ID_SIZE. */
int		net_id_ok(const char *id);
/* Copies a node id (at most SEC_NODE_ID_LEN characters) into dst. */
void		net_idcpy(char *dst, const char *src);

#define NET_IDTAB_NONE	SIZE_MAX	/* find: no such id */
#define NET_IDTAB_MAX	UINT16_MAX	/* most slots an index can name */

struct net_idtab {
	uint16_t	*index;		/* slot + 1, 0 = free */
	size_t		 icap;		/* power of two >= 2 nslots */
};

/*
 * The id held by slot of the caller's record array, or NULL if the slot
 * is unused (only rebuild asks about unused slots).
 */
typedef const char *net_idtab_id_fn(const void *arg, size_t slot);

/* An empty index for nslots (2..NET_IDTAB_MAX) slots; -1 and errno. */
int	net_idtab_init(struct net_idtab *t, size_t nslots);
void	net_idtab_free(struct net_idtab *t);
/* Slot holding id, or NET_IDTAB_NONE. */
size_t	net_idtab_find(const struct net_idtab *t, const char *id,
	    net_idtab_id_fn *id_of, const void *arg);
/* Records that slot holds id (not already in the index). */
void	net_idtab_put(struct net_idtab *t, const char *id, size_t slot);
/* Empties the index and puts every used slot of nslots back. */
void	net_idtab_rebuild(struct net_idtab *t, size_t nslots,
	    net_idtab_id_fn *id_of, const void *arg);

#endif /* NET_IDTAB_H */
