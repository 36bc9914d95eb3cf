/*
 * ag_announce.h - the CLUSTER control message: which raft cluster a node
 * belongs to, as it sees it.
 *
 * Raft alone cannot tell a fresh node which cluster to join, nor notice
 * that two clusters formed apart on one LAN.  Every node therefore tells
 * its connected peers, on connect and when anything here changes (and
 * every few seconds otherwise), its cluster id, the size of its raft
 * configuration, the term, the commit index and the leader it follows.
 * ag_raft.c decides from these announcements whether to bootstrap, join
 * or yield to a larger cluster (docs/cluster.md, "Bootstrap").  It is
 * soft information from an authenticated peer about itself; nothing in it
 * is taken as a decision, only as a hint of where the decisions are made.
 *
 * Payload of NET_WIRE_CLUSTER: a deterministic CBOR map, keys 1 cluster
 * id (text, "" none), 2 servers, 3 voters, 4 term, 5 commit index,
 * 6 leader (text, "" none), 7 member (bool: the sender is in its cluster's
 * configuration), and optionally 8 boot (the voters of the cluster's first
 * configuration, sorted, while it is still the only one: the nodes named
 * there bootstrap the same configuration themselves, which is how raft
 * starts a cluster of several voters).  Unknown keys are skipped.
 * Bounded and fuzzed (tests/fuzz/fuzz_announce.c).
 */
#ifndef AG_ANNOUNCE_H
#define AG_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec_cbor.h"
#include "sec_identity.h"

#define AG_ANNOUNCE_CLUSTER_SIZE 33	/* 32 lower-case hex digits + NUL */
#define AG_ANNOUNCE_MAX		 1024	/* encoded bytes */
#define AG_ANNOUNCE_BOOT_MAX	 15	/* = the most voters allowed */

struct ag_announce {
	char		cluster[AG_ANNOUNCE_CLUSTER_SIZE];
	uint64_t	servers;
	uint64_t	voters;
	uint64_t	term;
	uint64_t	commit;
	char		leader[SEC_NODE_ID_SIZE];
	bool		member;
	int		nboot;
	char		boot[AG_ANNOUNCE_BOOT_MAX][SEC_NODE_ID_SIZE];
};

/* 1 if s is "" or 32 lower-case hex digits. */
int	ag_announce_cluster_valid(const char *s);
int	ag_announce_encode(const struct ag_announce *, struct sec_cbor_writer *);
int	ag_announce_decode(const uint8_t *, size_t, struct ag_announce *,
	    char *err, size_t errlen);

#endif /* AG_ANNOUNCE_H */
