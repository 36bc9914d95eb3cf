/*
 * net_gossip.h - the replicated cluster view: one versioned record per
 * node, spread by push gossip and repaired by anti-entropy.
 *
 * Shape.  An I/O-free state machine like net_member.h: the driver feeds
 * events (tick, peer up/down, a received message, our own new record) to
 * net_gossip_step() with the time in ms, and gets actions through an
 * emit callback (send this message to that peer; the record of origin O
 * changed).  Randomness comes from a caller-seeded generator; no clock,
 * no I/O, allocation only to store records.
 *
 * Records.  Every node owns exactly one record: opaque bytes (the agent
 * puts CBOR there: node info, devices, telemetry, links, thermal and
 * battery state; this module never looks inside) of at most max_record
 * bytes, the origin node id and a version.  Only the origin publishes its
 * record, each time with version + 1.  A record for origin O is accepted
 * when its version is higher than the one we hold for O, and not more
 * than NET_GOSSIP_VERSION_JUMP_MAX higher (a far-future version would
 * freeze O's record for good); for an origin we do not hold yet the
 * version must be at most that jump.
 *
 * Trust model.  Records are not signed.  Every message comes over a
 * session authenticated by mutual TLS, the driver passes the peer's
 * authenticated node id as the sender, and all members are trusted
 * cluster nodes, so a record may be forwarded by any member: "records
 * about node X originate from X" holds because honest members only
 * publish their own and only relay what they accepted.  Two rules limit
 * what a faulty member can do: a node never accepts a record for ITSELF
 * from anyone (it is the only author; a copy at or above its own version
 * - a stale copy from before a restart, or a forgery - makes it publish
 * its record again above that version, which overwrites the copy
 * everywhere), and far-future versions are refused.  Signing records with
 * the node key would close the remaining gap (a member forging another
 * member's record); see docs/cluster.md.
 *
 * Spreading.  A new record version is pushed to `fanout` random peers
 * with a hop budget; each node that accepts it forwards it once, to
 * `fanout` other random peers, while hops remain (infect-and-die: with
 * fanout f a fraction p = 1 - exp(-f p) of nodes gets it within a few
 * network delays, 98 % for the default f = 4).  A quiet publish (the
 * event's `quiet`) stores the new version without pushing it; it spreads
 * by anti-entropy only.
 *
 * Anti-entropy repairs the rest and heals partitions, at a cost per node
 * that does not grow with the cluster.  Every ae_ms (default 300,
 * jittered +-25 %) we send a SUMMARY to one random peer: how many table
 * slots we use and an order-independent 64-bit hash over their (origin,
 * version) pairs (net_gossip_summary()), at most 15 bytes of payload
 * whatever N is.  A peer whose own summary is equal sends nothing; one
 * whose summary differs answers with its DIGEST (origin -> version, its
 * whole table).  The DIGEST's receiver answers with RECORDS for
 * everything it has newer and a WANT for everything the digest's sender
 * has newer, which is answered with RECORDS: one exchange repairs both
 * sides.  A new peer gets our DIGEST at once.
 *
 * Bounds: max_origins records (<= NET_GOSSIP_MAX_ORIGINS), max_record
 * bytes each, NET_GOSSIP_MSG_ENTRIES entries and about
 * NET_GOSSIP_MSG_BUDGET encoded bytes per message; a digest listing more
 * origins than max_origins is refused whole.  A SUMMARY is answered with
 * a DIGEST at most once per peer per ae_ms / 2, and only for a peer we
 * hold a session with (PEER_UP); other SUMMARYs that differ from ours are
 * counted in summary_refused and dropped.
 */
#ifndef NET_GOSSIP_H
#define NET_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec_identity.h"

#define NET_GOSSIP_MAX_ORIGINS		1024
#define NET_GOSSIP_RECORD_MAX		(32 * 1024)	/* default, cap */
#define NET_GOSSIP_MSG_ENTRIES		NET_GOSSIP_MAX_ORIGINS
#define NET_GOSSIP_MSG_BUDGET		(56 * 1024)	/* < NET_WIRE_MAX_MSG */
#define NET_GOSSIP_ENTRY_OVERHEAD	48		/* bytes per entry */
#define NET_GOSSIP_HOPS_MAX		16
#define NET_GOSSIP_VERSION_JUMP_MAX	(UINT64_C(1) << 32)

/* Proposed control-stream types (docs/cluster.md). */
#define NET_GOSSIP_WIRE_TYPE_DIGEST	24
#define NET_GOSSIP_WIRE_TYPE_RECORDS	25
#define NET_GOSSIP_WIRE_TYPE_WANT	26
#define NET_GOSSIP_WIRE_TYPE_SUMMARY	27

struct net_gossip_config {
	unsigned	max_origins;	/* records kept, 2..MAX_ORIGINS */
	size_t		max_record;	/* bytes, 1..NET_GOSSIP_RECORD_MAX */
	unsigned	fanout;		/* peers a new version is pushed to */
	unsigned	hops;		/* relays of a push, <= HOPS_MAX */
	unsigned	ae_ms;		/* anti-entropy period */
	unsigned	tomb_ms;	/* a forgotten origin is remembered */
	uint64_t	seed;
};

enum net_gossip_kind {
	NET_GOSSIP_DIGEST = 1,	/* entries: origin, version */
	NET_GOSSIP_RECORDS,	/* entries: origin, version, data */
	NET_GOSSIP_WANT,	/* entries: origin, version we hold */
	NET_GOSSIP_SUMMARY	/* no entries: sum_count, sum_hash */
};

struct net_gossip_entry {
	char		 origin[SEC_NODE_ID_SIZE];
	uint64_t	 version;
	const uint8_t	*data;		/* RECORDS */
	size_t		 len;
};

struct net_gossip_msg {
	enum net_gossip_kind	kind;
	unsigned		hops;	/* RECORDS: relays left */
	uint64_t		sum_count;	/* SUMMARY: slots used */
	uint64_t		sum_hash;	/* SUMMARY: their hash */
	size_t			n;
	struct net_gossip_entry	e[NET_GOSSIP_MSG_ENTRIES];
};

enum net_gossip_ev_type {
	NET_GOSSIP_EV_TICK = 1,
	NET_GOSSIP_EV_PEER_UP,		/* session to peer (a member) */
	NET_GOSSIP_EV_PEER_DOWN,
	NET_GOSSIP_EV_RECV,		/* msg from authenticated peer */
	NET_GOSSIP_EV_PUBLISH,		/* our record is now data[0..len) */
	NET_GOSSIP_EV_FORGET		/* drop peer's record (it is gone) */
};

struct net_gossip_event {
	enum net_gossip_ev_type		 type;
	const char			*peer;	/* PEER_*, RECV, FORGET */
	const struct net_gossip_msg	*msg;	/* RECV */
	const uint8_t			*data;	/* PUBLISH */
	size_t				 len;
	bool				 quiet;	/* PUBLISH: store, no push */
};

enum net_gossip_act_type {
	NET_GOSSIP_ACT_SEND = 1,	/* send msg to peer */
	NET_GOSSIP_ACT_CHANGED		/* origin's record is now version */
};

/* Valid only during the emit call. */
struct net_gossip_action {
	enum net_gossip_act_type	 type;
	const char			*peer;		/* SEND: to; CHANGED: origin */
	const struct net_gossip_msg	*msg;
	uint64_t			 version;	/* CHANGED (0: forgotten) */
	const uint8_t			*data;		/* CHANGED */
	size_t				 len;
};

typedef void	net_gossip_emit_fn(void *arg,
		    const struct net_gossip_action *act);

struct net_gossip_stats {
	uint64_t	accepted;
	uint64_t	stale;
	uint64_t	refused_self;	/* records for us from others */
	uint64_t	refused_future;
	uint64_t	refused_full;
	uint64_t	refused_msgs;	/* whole messages refused */
	uint64_t	republished;	/* own record bumped over a copy */
	uint64_t	msgs_out;
	uint64_t	bytes_out;	/* record payload bytes sent */
	uint64_t	summaries_matched;	/* SUMMARYs equal to ours */
	uint64_t	summaries_differed;	/* SUMMARYs unlike ours */
	uint64_t	summary_refused;	/* of those, not answered */
};

struct net_gossip;

void	net_gossip_config_default(struct net_gossip_config *cfg);
/* NULL with errno EINVAL (bad id or config) or ENOMEM. */
struct net_gossip	*net_gossip_new(const char *self,
			    const struct net_gossip_config *cfg);
void	net_gossip_free(struct net_gossip *g);

/*
 * Feeds one event at time now (ms).  Returns 0; -1 for an invalid event
 * (missing fields, peer == self, PUBLISH over max_record, no memory) or
 * a message refused whole (bad shape, oversized digest).
 */
int	net_gossip_step(struct net_gossip *g, const struct net_gossip_event *ev,
	    uint64_t now, net_gossip_emit_fn *emit, void *arg);

/* The record of origin (0 and NULL if none). */
uint64_t	net_gossip_get(const struct net_gossip *g, const char *origin,
		    const uint8_t **data, size_t *len);
/* Records held (ours included, forgotten ones not). */
size_t	net_gossip_count(const struct net_gossip *g);
/* i-th slot (0 <= i < max_origins): origin or NULL. */
const char	*net_gossip_slot(const struct net_gossip *g, size_t i,
		    uint64_t *version);
size_t	net_gossip_capacity(const struct net_gossip *g);
const struct net_gossip_stats *net_gossip_stats(const struct net_gossip *g);
/*
 * What a SUMMARY from us would carry: the slots used (forgotten origins'
 * tombstones and our own record included; our record not before its first
 * publish) and the wrapping sum over them of a 64-bit mix of (origin,
 * version), so two tables with the same pairs give the same pair of
 * numbers whatever order they were filled in.  A tombstone counts with
 * its version, like a record.
 */
void	net_gossip_summary(const struct net_gossip *g, uint64_t *count,
	    uint64_t *hash);

/* Checks a decoded message's shape (kind, counts, ids, lengths). */
int	net_gossip_msg_valid(const struct net_gossip_msg *msg,
	    size_t max_record);

/*
 * Wire form (net_gossip_wire.c): the payload map of the control-stream
 * type that names the kind - DIGEST {1: [[origin, version]...]}, RECORDS
 * {1: hops, 2: [[origin, version, bytes]...]}, WANT {1: [[origin,
 * version]...]}, SUMMARY {3: count, 4: hash} (node ids as text; a SUMMARY
 * with key 1 or 2, or without key 3 or 4, is refused).  Encoding appends
 * the payload to w.
 * Decoding reads exactly one payload item of the given kind from
 * buf[0..len) under bounded deterministic CBOR limits (entries, record
 * size max_record, hops, node ids all checked; unknown keys skipped);
 * record data points into buf, so buf must outlive *msg.
 */
struct sec_cbor_writer;
int	net_gossip_wire_encode(const struct net_gossip_msg *msg,
	    struct sec_cbor_writer *w);
int	net_gossip_wire_decode(enum net_gossip_kind kind, const uint8_t *buf,
	    size_t len, size_t max_record, struct net_gossip_msg *msg,
	    char *err, size_t errlen);
/* Kind of a control-stream type number, 0 if not a gossip type. */
int	net_gossip_wire_kind(uint64_t type);
/* The control-stream type of a kind (NET_GOSSIP_WIRE_TYPE_*), 0 if none. */
uint64_t	net_gossip_wire_type(enum net_gossip_kind kind);

#endif /* NET_GOSSIP_H */
