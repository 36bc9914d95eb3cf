/*
 * ag_revoke.h - the cluster's token revocation list.
 *
 * A revocation is a token id (the 16-byte cti) and the time it stops
 * mattering (the token's expiry: after that the token is refused anyway).
 * The list is a grow-only set with expiry - two lists merge by union, an
 * entry seen twice keeps the later expiry - so every node can accept a
 * revocation, persist it, gossip it in its record and merge what others
 * gossip, in any order, and all nodes end with the same list.  Entries
 * are kept sorted by id so the CBOR form is byte-identical everywhere.
 *
 * CBOR: an array of [bstr(16) id, uint expiry] pairs, deterministic.  The
 * decoder takes bytes from peers and from disk: bounded and fuzzed.
 */
#ifndef AG_REVOKE_H
#define AG_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AG_REVOKE_MAX		128	/* live revocations */
#define AG_REVOKE_ID_LEN	16
#define AG_REVOKE_BYTES		(4 + AG_REVOKE_MAX * 30)	/* encoded */
#define AG_REVOKE_FILE		"revoked.cbor"

struct ag_revoke_entry {
	uint8_t		id[AG_REVOKE_ID_LEN];
	int64_t		expires;	/* unix seconds */
};

struct ag_revoke {
	size_t			n;
	struct ag_revoke_entry	e[AG_REVOKE_MAX];
};

void	ag_revoke_init(struct ag_revoke *);
/* 1 added or extended, 0 already there, -1 the list is full. */
int	ag_revoke_add(struct ag_revoke *, const uint8_t *id, int64_t expires);
bool	ag_revoke_has(const struct ag_revoke *, const uint8_t *id, size_t len);
/* Drops entries that expired before now; returns how many. */
size_t	ag_revoke_expire(struct ag_revoke *, int64_t now);
/* Adds src's entries to dst; returns how many changed dst (-1: full). */
int	ag_revoke_merge(struct ag_revoke *dst, const struct ag_revoke *src);

int	ag_revoke_encode(const struct ag_revoke *, uint8_t *buf, size_t cap,
	    size_t *len);
int	ag_revoke_decode(const uint8_t *, size_t, struct ag_revoke *,
	    char *err, size_t errlen);

/* 32 hex digits <-> id; parse returns -1 on anything else. */
int	ag_revoke_parse_id(const char *hex, uint8_t *id);
void	ag_revoke_id_hex(const uint8_t *id, char out[2 * AG_REVOKE_ID_LEN + 1]);

#endif /* AG_REVOKE_H */
