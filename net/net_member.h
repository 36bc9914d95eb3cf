/*
 * net_member.h - membership and failure detection: which nodes are in
 * the cluster and which of them are alive, suspected or dead.
 *
 * Shape.  An I/O-free state machine (DESIGN.md, "Two rules"): the driver
 * turns transport events and received messages into struct
 * net_member_event and calls net_member_step(state, event, now); the
 * state machine answers through an emit callback with actions (send this
 * message to that peer, this member changed state).  It reads no clock
 * (now is milliseconds on any monotonic clock, passed in), does no I/O
 * and draws randomness from a generator seeded by the caller, so the
 * simulator in the tests replays any run from its seed.
 *
 * Model (SWIM with incarnation numbers, with the transport as the first
 * witness).  Every member has a status and an incarnation number that
 * only the member itself raises.  A claim (subject, status, incarnation)
 * replaces what we hold when it is newer:
 *
 *	higher incarnation wins, whatever the status;
 *	same incarnation: LEFT > DEAD > SUSPECT > ALIVE.
 *
 * A node that hears a SUSPECT, DEAD or LEFT claim about itself at or
 * above its own incarnation refutes it: it takes incarnation + 1 and
 * broadcasts ALIVE, which beats the claim everywhere.  This is also how
 * a restarted node (incarnation 0 again) overtakes the DEAD record of
 * its previous life.  A claim more than NET_MEMBER_INC_JUMP_MAX above
 * what we hold is refused, so one bad claim cannot end a member's life
 * for good.
 *
 * Failure detection.  The first witness is the transport: we hold a QUIC
 * session to every member, with keep-alive, and the driver reports
 * CONN_UP / CONN_DOWN, and HEARD for every authenticated message (and,
 * ideally, every QUIC packet) from the peer.  A peer is *unreachable* to
 * us when
 *
 *	its connection is down and nothing was heard for suspect_ms, or
 *	its connection is up but nothing was heard for hung_ms (off by
 *	default).
 *
 * A live connection therefore protects a busy node: however slow its
 * application messages, it is not suspected while its QUIC stack keeps
 * the session up.  hung_ms is for a driver whose sessions have a long
 * idle timeout and that feeds HEARD for every packet (keep-alives
 * included); fed only on messages it would be wrong, because messages
 * between two given members can be many seconds apart.  When a peer becomes unreachable we
 * mark it SUSPECT at its current incarnation and broadcast the claim.
 * Every member that receives it and cannot reach the peer either adopts
 * it and broadcasts its own SUSPECT claim, which is a *confirmation*; a
 * member that can still reach the peer directly refuses the claim (it
 * keeps its own view and does not spread it).  We declare the peer DEAD
 * when we have suspected it for dead_ms, still cannot reach it, and have
 * confirmations from min(confirmations, available) other members, where
 * available counts the members we can reach ourselves (no one to ask: our
 * own observation is enough).  DEAD is broadcast and adopted by everyone
 * who cannot reach the peer.
 *
 * Timing (defaults, see docs/cluster.md): suspect_ms 1000, dead_ms 1500,
 * confirmations 3.  With member connections using a QUIC idle timeout of
 * about 1 s (keep-alive every 200-250 ms), a crashed node's sessions time
 * out about 1 s after its last packet, it is suspected then, and declared
 * dead 1.5 s later: about 2.5 s in all, under 3 s.  Suspicions that get
 * refuted while we still cannot reach the peer back off (doubling up to
 * backoff_max_ms) so an asymmetric link does not make the view flap.
 *
 * Dissemination.  Claims we originate are sent to every member with a live
 * connection; a claim learned from a peer that changed our view is
 * forwarded once to `fanout` random connected members; a stale claim is
 * answered with our newer one.  Every sync_ms (jittered) we push our whole
 * table to one random connected member, which pushes its table back (SWIM
 * push-pull), and we do the same on every new connection.  That repairs
 * lost messages and lets a restarted node learn what the cluster thinks of
 * it.
 *
 * Probe mode (probe_ms > 0): SWIM's own failure detector, for a cluster
 * that does not hold a live session to every member.  The transport is no
 * longer the witness; probes are:
 *
 *  - every probe_ms (times 1 + the local health score, below) we PING the
 *    next member of a shuffled round of every ALIVE or SUSPECT member; an
 *    ACK within probe_timeout_ms, or any message from it, is a success;
 *  - ring schedule: when TICKs carry the wall clock, the period is wall
 *    clock time / probe_ms (k), the same on every node whose clock is
 *    within a period of ours, and instead of the shuffled round we probe
 *    the member s places after us in id order (ourselves counted),
 *    s = 1 + k mod (members other than us).  With one view and one
 *    clock every member is probed by exactly one node in every period,
 *    so a crash waits at most one period for its first probe, where a
 *    random pick waits about one period on average and several now and
 *    then (the tail over 3 s).  Clocks far apart only make the picks
 *    random again;
 *  - without one we send PING-REQ to `indirect` random ALIVE members, each
 *    of which pings the target and relays its ACK, or answers NACK when
 *    the target stays silent for probe_timeout_ms;
 *  - no ACK by the end of the period: the probe failed and the target is
 *    unreachable to us until we hear from it again; we suspect it, and
 *    each helper that NACKed counts as a confirmation (it tried too);
 *  - a SUSPECT or DEAD claim about a member we heard from within the last
 *    probe_ms is refused (fresh evidence); otherwise it is adopted and the
 *    member is probed next, so confirmations follow in one probe's time;
 *    our own confirming SUSPECT goes straight to whoever suspected first;
 *  - DEAD as in the transport mode (dead_ms, min(k, alive members)
 *    confirmations), or after dead_max_ms of a suspicion that no probe
 *    lifted, however few confirmed it;
 *  - DEAD members are remembered for reap_dead_ms (LEFT ones reap_ms), and
 *    every reconnect_ms one of them, chosen at random, is sent its own
 *    DEAD claim and ours, asking for its table: a member cut off by a
 *    partition refutes and the two sides merge once it heals (Serf's
 *    reconnect), with no session kept to it meanwhile.
 *
 * Local health (Lifeguard): a probe that fails without a single NACK from
 * the helpers may be our own fault (a stalled process, a lossy uplink);
 * it raises a score (at most awareness_max) that stretches our probe
 * period and timeouts; every successful probe lowers it.
 *
 * Dissemination in probe mode is transmit-limited, as memberlist's: every
 * claim we originate or adopt joins a queue (one entry per subject, the
 * newest claim replacing older ones); every gossip_ms while the queue is
 * not empty a message with the least-sent claims goes to `fanout` random
 * ALIVE members; a claim is dropped after retransmit_mult *
 * ceil(log10(n + 1)) sends, n the members we know.  An idle cluster sends
 * only probes.  The push-pull sync runs every sync_ms * ceil(n / 32), so
 * the bytes of anti-entropy per node do not grow with n, and on a new
 * session only with a member we did not know.  SENDs name members that may
 * have no session: the driver opens one (and may close idle ones).
 *
 * A member cannot spend our resources by asking: we relay at most
 * relay_max indirect probes at once (4 per requester); more PING-REQs are
 * counted and dropped.  A relayed ACK counts only from a helper we asked,
 * for the sequence number and target we asked about.
 */
#ifndef NET_MEMBER_H
#define NET_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec_identity.h"

#define NET_MEMBER_MAX			1024	/* members, default and cap */
#define NET_MEMBER_MSG_CLAIMS		512	/* claims in one message */
#define NET_MEMBER_CONFIRM_MAX		8	/* confirmations remembered */
#define NET_MEMBER_INC_JUMP_MAX		(UINT64_C(1) << 32)

/* Proposed control-stream type of a membership message (docs/cluster.md). */
#define NET_MEMBER_WIRE_TYPE		16

/* Member status; the numbers are on the wire. */
enum net_member_status {
	NET_MEMBER_NONE = 0,		/* not in the table (reports only) */
	NET_MEMBER_ALIVE = 1,
	NET_MEMBER_SUSPECT = 2,
	NET_MEMBER_DEAD = 3,
	NET_MEMBER_LEFT = 4		/* left on purpose */
};

struct net_member_config {
	unsigned	max_members;	/* table size, 2..NET_MEMBER_MAX */
	unsigned	suspect_ms;	/* silence, no connection: suspect */
	unsigned	hung_ms;	/* silence, connection up (0: never) */
	unsigned	dead_ms;	/* suspicion age before DEAD */
	unsigned	confirmations;	/* k, at most NET_MEMBER_CONFIRM_MAX */
	unsigned	join_grace_ms;	/* learned by gossip: time to connect */
	unsigned	sync_ms;	/* push-pull period (jittered +-25 %) */
	unsigned	fanout;		/* forwards of a learned claim */
	unsigned	reap_ms;	/* forget DEAD / LEFT members after */
	unsigned	backoff_max_ms;	/* cap of a refuted suspicion's pause */
	uint64_t	seed;		/* random generator (peer choice) */
	/* Probe mode (0: the transport is the witness, as described above). */
	unsigned	probe_ms;	/* probe period */
	unsigned	probe_timeout_ms; /* direct ACK wait, then indirect */
	unsigned	indirect;	/* helpers of an indirect probe */
	unsigned	dead_max_ms;	/* DEAD without enough confirmations */
	unsigned	gossip_ms;	/* gossip round while claims are queued */
	unsigned	retransmit_mult; /* sends per claim / ceil(log10(n+1)) */
	unsigned	awareness_max;	/* local health score cap */
	unsigned	relay_max;	/* indirect probes run for others */
	unsigned	reconnect_ms;	/* tell one DEAD member it is dead */
	unsigned	reap_dead_ms;	/* forget DEAD members after */
};

/* Probe-mode defaults that net_member_config_probe() sets. */
#define NET_MEMBER_RELAY_MAX		64	/* cap of relay_max */
#define NET_MEMBER_RELAY_PER_PEER	4	/* relays for one requester */
#define NET_MEMBER_INDIRECT_MAX		8	/* cap of indirect */

/*
 * One claim.  from: who made it (for SUSPECT, the member whose suspicion
 * this is - a confirmation; otherwise informative).
 */
struct net_member_claim {
	char		subject[SEC_NODE_ID_SIZE];
	char		from[SEC_NODE_ID_SIZE];
	uint64_t	incarnation;
	uint8_t		status;		/* enum net_member_status, not NONE */
};

/* Message flags. */
#define NET_MEMBER_F_SYNC	0x1	/* the sender's whole table */
#define NET_MEMBER_F_REPLY	0x2	/* answer with your whole table */
#define NET_MEMBER_F_ALL	0x3

/* Probe kinds (probe mode; the numbers are on the wire). */
enum net_member_probe {
	NET_MEMBER_PROBE_NONE = 0,	/* claims only */
	NET_MEMBER_PROBE_PING = 1,	/* answer ACK(seq) */
	NET_MEMBER_PROBE_ACK = 2,	/* answers PING(seq); relayed: target */
	NET_MEMBER_PROBE_REQ = 3,	/* ping target for me, tag seq */
	NET_MEMBER_PROBE_NACK = 4	/* relay: target did not answer */
};

/*
 * The one membership message: a batch of claims, optionally carrying a
 * probe (claims may then be none).  target names the probed member of a
 * REQ, a relayed ACK and a NACK, and is empty otherwise.
 */
struct net_member_msg {
	unsigned		flags;
	uint8_t			probe;		/* enum net_member_probe */
	uint64_t		seq;
	char			target[SEC_NODE_ID_SIZE];
	size_t			nclaims;
	struct net_member_claim	claims[NET_MEMBER_MSG_CLAIMS];
};

enum net_member_ev_type {
	NET_MEMBER_EV_TICK = 1,		/* time passes (every ~100 ms) */
	NET_MEMBER_EV_CONN_UP,		/* authenticated session to peer */
	NET_MEMBER_EV_CONN_DOWN,	/* it closed or timed out */
	NET_MEMBER_EV_HEARD,		/* traffic from peer arrived now */
	NET_MEMBER_EV_RECV,		/* msg from peer (implies HEARD) */
	NET_MEMBER_EV_LEAVE		/* we leave the cluster */
};

struct net_member_event {
	enum net_member_ev_type		 type;
	const char			*peer;	/* authenticated node id */
	const struct net_member_msg	*msg;	/* RECV */
	/*
	 * TICK: this host's wall clock, ms since the epoch, or 0 if none.
	 * Probe mode lines its probe schedule up with the other nodes'
	 * (the ring schedule, above); never used as a timeout.
	 */
	uint64_t			 wall;
};

enum net_member_act_type {
	NET_MEMBER_ACT_SEND = 1,	/* send msg to peer */
	NET_MEMBER_ACT_CHANGED		/* peer went from -> to */
};

/*
 * An action, valid only during the emit call (msg points into the state
 * machine's scratch space: encode or copy it there).
 */
struct net_member_action {
	enum net_member_act_type	 type;
	const char			*peer;
	const struct net_member_msg	*msg;		/* SEND */
	enum net_member_status		 from, to;	/* CHANGED */
	uint64_t			 incarnation;	/* CHANGED */
};

/* The sink must not call back into the state machine. */
typedef void	net_member_emit_fn(void *arg,
		    const struct net_member_action *act);

/* Counters, for tests and metrics. */
struct net_member_stats {
	uint64_t	claims_in;
	uint64_t	claims_adopted;
	uint64_t	claims_stale;
	uint64_t	claims_refused;	/* reachable, far future, unknown */
	uint64_t	refutations;	/* times we raised our incarnation */
	uint64_t	suspicions;	/* suspicions we originated */
	uint64_t	deaths;		/* DEAD declarations we originated */
	uint64_t	msgs_out;
	uint64_t	probes;		/* probes we started (probe mode) */
	uint64_t	probes_failed;	/* ended without any ACK */
	uint64_t	probes_indirect; /* needed PING-REQs */
	uint64_t	relays;		/* indirect probes run for others */
	uint64_t	relays_refused;	/* PING-REQs over the bounds */
	uint64_t	acks_refused;	/* ACKs / NACKs we did not ask for */
	uint64_t	gossip_msgs;	/* transmit-limited gossip messages */
};

struct net_member;

/* Fills the defaults described above (transport mode: probe_ms 0). */
void	net_member_config_default(struct net_member_config *cfg);
/*
 * Fills the probe-mode defaults: probe_ms 500, probe_timeout_ms 200,
 * indirect 3, dead_ms 1200, dead_max_ms 4000, gossip_ms 100, fanout 3,
 * retransmit_mult 3, awareness_max 8, relay_max 64, sync_ms 30000,
 * reconnect_ms 10000, reap_dead_ms 3600000; the
 * rest as net_member_config_default (docs/cluster.md, "Probes").
 */
void	net_member_config_probe(struct net_member_config *cfg);
/* The local health score (probe mode; 0 is healthy). */
unsigned	net_member_awareness(const struct net_member *m);

/*
 * A new state machine for node self, ALIVE at incarnation 0 (or a
 * persisted one via net_member_set_incarnation before the first step).
 * Returns NULL on a bad config or node id (errno EINVAL) or no memory.
 */
struct net_member	*net_member_new(const char *self,
			    const struct net_member_config *cfg);
void	net_member_free(struct net_member *m);
void	net_member_set_incarnation(struct net_member *m, uint64_t inc);

/*
 * Feeds one event at time now (ms; a time earlier than the last one is
 * taken as the last one).  Returns 0, or -1 for an event that is not
 * valid (unknown type, missing peer or message, peer == self); a refused
 * claim inside a valid message is counted, not an error.
 */
int	net_member_step(struct net_member *m, const struct net_member_event *ev,
	    uint64_t now, net_member_emit_fn *emit, void *arg);

/* Status of a node (NONE if unknown; self is ALIVE or LEFT). */
enum net_member_status net_member_status(const struct net_member *m,
	    const char *id, uint64_t *incarnation);
/* Our own incarnation. */
uint64_t	net_member_incarnation(const struct net_member *m);
/* Members in the table (not counting self), and how many are ALIVE. */
size_t	net_member_count(const struct net_member *m, size_t *alive);
/* The i-th member (0 <= i < capacity); NULL for an empty slot. */
const char	*net_member_slot(const struct net_member *m, size_t i,
		    enum net_member_status *status, uint64_t *incarnation);
size_t	net_member_capacity(const struct net_member *m);
const struct net_member_stats *net_member_stats(const struct net_member *m);
const char	*net_member_status_name(enum net_member_status s);

/*
 * Checks a decoded message's fields (status range, claim count, flags,
 * node ids non-empty and NUL-terminated); 0 if fine.  net_member_step()
 * applies it to every RECV.
 */
int	net_member_msg_valid(const struct net_member_msg *msg);

/*
 * Wire form of a membership message (net_member_wire.c): the payload map
 * of control-stream type NET_MEMBER_WIRE_TYPE, {1: flags, 2: [claim...]}
 * with each claim [subject, status, incarnation, from] (node ids as
 * text), plus, for a probe, 3: kind, 4: seq and (REQ, relayed ACK, NACK)
 * 5: target; keys 3-5 are absent from a message without a probe, so an
 * agent that predates them reads a probe as an empty batch of claims.  Encoding appends the payload to w (0 or -1: a field the decoder
 * would refuse, or w full).  Decoding reads exactly one payload item from
 * buf[0..len) under bounded deterministic CBOR limits, checks every node
 * id and range, skips unknown keys, and fills *msg (0, or -1 with the
 * reason in err).
 */
struct sec_cbor_writer;
int	net_member_wire_encode(const struct net_member_msg *msg,
	    struct sec_cbor_writer *w);
int	net_member_wire_decode(const uint8_t *buf, size_t len,
	    struct net_member_msg *msg, char *err, size_t errlen);

#endif /* NET_MEMBER_H */
