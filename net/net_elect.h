/*
 * net_elect.h - leader election as an I/O-free state machine.
 *
 * Why this shape.  Election bugs hide in interleavings (a vote that
 * crosses a crash, a heartbeat that arrives after a partition heals), so
 * the protocol is one pure function, net_elect_step(state, event, now),
 * that turns an event (a timer tick, a received message, a request from
 * the driver) into actions (persist this, send that).  It reads no clock,
 * does no I/O, allocates nothing and draws randomness only from the
 * callback in its parameters.  The agent turns packets and timers into
 * events and actions into packets; tests/sim/ drives hundreds of these
 * machines through loss, delay, partitions and crashes in virtual time.
 * The shape is etcd raft's Step and cowsql's raft_step, without a log:
 * the only replicated "entry" is the voter set.
 *
 * Protocol (docs/cluster.md, "Election", is the prose version).
 *  - Terms and one vote per term, as in Raft.  A follower that hears no
 *    leader for a timeout drawn from [election_min, election_max) starts a
 *    pre-vote: it asks for votes in term+1 WITHOUT changing its term.
 *    Only when a majority of its voter set would vote does it bump the
 *    term, vote for itself and ask for real votes.  A node that cannot win
 *    (in a minority, or behind on the voter set) never disturbs the term.
 *  - Stickiness ("check quorum"): a node that heard a leader within
 *    election_min ms (or that restarted less than election_min ms ago)
 *    refuses pre-votes and ignores vote requests; a leader refuses them
 *    while its lease holds.
 *  - Lease: heartbeats carry the leader's send time, acknowledgements echo
 *    it.  The leader holds a lease until (the send time acknowledged by a
 *    majority) + lease_ms, and steps down when it lapses.  With lease_ms <=
 *    election_min and equal clock rates, no other node can have become
 *    leader while a lease holds: quorum == true on a leader is exclusive.
 *  - Voter set ("config"): versioned by (term, index) of the leader that
 *    wrote it.  Votes go only to candidates whose config version is at
 *    least the voter's.  A new leader first re-stamps its config with its
 *    own term; changes add or remove ONE voter at a time, at most one
 *    uncommitted; a config commits when a majority of the old AND of the
 *    new set acknowledged it; while it is pending, the lease needs both
 *    majorities too.  The leader removes a voter it has not heard from for
 *    remove_after_ms.
 *
 * Persistence contract.  Term, vote and config are the hard state.  When a
 * step changes it, the FIRST action of the step is NET_ELECT_ACT_PERSIST;
 * the driver must write it durably (atomically: temp file, fsync, rename)
 * BEFORE carrying out any later action of that step.  So a vote leaves the
 * node only after it is on disk, and a crash mid-step loses the vote and
 * the reply together.  At start the driver passes what it last persisted.
 *
 * Actions (and the pointers in them) stay valid until the next call on
 * the same state.  Node ids are the agent's node id strings (authenticated
 * by TLS; the driver fills the sender of a received message from the
 * session, never from the message).
 */
#ifndef NET_ELECT_H
#define NET_ELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ELECT_ID_SIZE	32	/* node id string with its NUL */
#define NET_ELECT_MAX_VOTERS	255
/* Most actions one step emits: PERSIST, a broadcast to old+new voters,
 * one reply. */
#define NET_ELECT_MAX_ACTIONS	(NET_ELECT_MAX_VOTERS + 3)

/* Results of net_elect_step. */
#define NET_ELECT_OK		0
#define NET_ELECT_ENOTLEADER	(-1)	/* config change asked of a non-leader */
#define NET_ELECT_EBUSY		(-2)	/* a change is still uncommitted */
#define NET_ELECT_EEXIST	(-3)	/* already a voter / already bootstrapped */
#define NET_ELECT_ENOENT	(-4)	/* not a voter */
#define NET_ELECT_EFULL		(-5)	/* NET_ELECT_MAX_VOTERS reached */
#define NET_ELECT_EINVAL	(-6)	/* bad id, bad event, removing self */

struct net_elect_id {
	char	s[NET_ELECT_ID_SIZE];	/* NUL-terminated; "" = nobody */
};

/* The voter set, sorted by id (strcmp), no duplicates. */
struct net_elect_config {
	uint64_t		term;	/* term of the leader that wrote it */
	uint64_t		index;	/* 0 = no config (not bootstrapped) */
	uint32_t		n;
	struct net_elect_id	voters[NET_ELECT_MAX_VOTERS];
};

/* What must survive a crash. */
struct net_elect_hard {
	uint64_t		term;
	struct net_elect_id	vote;	/* "" = no vote in this term */
	struct net_elect_config	cfg;
};

enum net_elect_msg_type {
	NET_ELECT_PREVOTE = 1,	/* term = proposed term (sender's + 1) */
	NET_ELECT_PREVOTE_RESP,	/* granted: term = proposed; else own term */
	NET_ELECT_VOTE,
	NET_ELECT_VOTE_RESP,
	NET_ELECT_HEARTBEAT,	/* stamp = leader's now; cfg when needed */
	NET_ELECT_HEARTBEAT_RESP	/* stamp echoed; cfg_* = receiver's */
};

struct net_elect_msg {
	enum net_elect_msg_type		 type;
	uint64_t			 term;
	uint64_t			 cfg_term;	/* sender's config version */
	uint64_t			 cfg_index;
	uint64_t			 stamp;
	bool				 ok;		/* granted / accepted */
	const struct net_elect_config	*cfg;		/* HEARTBEAT, or NULL */
};

enum net_elect_ev_type {
	NET_ELECT_EV_TICK = 1,	/* a deadline passed (or any time) */
	NET_ELECT_EV_RECV,	/* peer, msg */
	NET_ELECT_EV_BOOTSTRAP,	/* voters, nvoters: first config */
	NET_ELECT_EV_ADD,	/* peer: leader adds a voter */
	NET_ELECT_EV_REMOVE	/* peer: leader removes a voter */
};

struct net_elect_event {
	enum net_elect_ev_type		 type;
	struct net_elect_id		 peer;
	const struct net_elect_msg	*msg;
	const struct net_elect_id	*voters;
	size_t				 nvoters;
};

enum net_elect_act_type {
	NET_ELECT_ACT_PERSIST = 1,	/* write *hard, then go on */
	NET_ELECT_ACT_SEND		/* send msg to `to` */
};

struct net_elect_action {
	enum net_elect_act_type		 type;
	const struct net_elect_hard	*hard;
	struct net_elect_id		 to;
	struct net_elect_msg		 msg;
};

struct net_elect_out {
	size_t			n;
	bool			overflow;	/* a bug: more than the max */
	struct net_elect_action	v[NET_ELECT_MAX_ACTIONS];
};

typedef uint32_t (*net_elect_rand_fn)(void *arg);

struct net_elect_params {
	uint32_t		heartbeat_ms;		/* 100 */
	uint32_t		election_min_ms;	/* 500 */
	uint32_t		election_max_ms;	/* 1000, exclusive */
	uint32_t		lease_ms;		/* 500, <= election_min */
	uint32_t		remove_after_ms;	/* 0 = never */
	net_elect_rand_fn	rand;
	void			*rand_arg;
};

enum net_elect_role {
	NET_ELECT_FOLLOWER = 0,
	NET_ELECT_PRECANDIDATE,
	NET_ELECT_CANDIDATE,
	NET_ELECT_LEADER
};

struct net_elect_status {
	enum net_elect_role	role;
	uint64_t		term;
	struct net_elect_id	leader;	/* last leader heard in this term */
	bool			quorum;	/* leader: lease holds; else: a
					   leader was heard within
					   election_min ms */
	bool			voter;
	uint32_t		nvoters;
	uint64_t		cfg_term;
	uint64_t		cfg_index;
	bool			cfg_pending;
};

/* Per-peer bookkeeping; internal, in the header only for sizeof. */
struct net_elect_peer {
	struct net_elect_id	id;
	uint64_t		last_heard;
	uint64_t		stamp;		/* newest echoed heartbeat */
	uint64_t		acked_term;	/* config version it holds */
	uint64_t		acked_index;
	bool			has_stamp;
	int8_t			vote;		/* 1 granted, -1 refused */
};

/* The state: caller-allocated (about 30 KiB), no pointers to free. */
struct net_elect {
	struct net_elect_params	 p;
	struct net_elect_id	 self;
	struct net_elect_hard	 hard;
	struct net_elect_config	 old;		/* leader, pending: old set */
	uint32_t		 npeers;	/* voters, + old while pending */
	struct net_elect_peer	 peers[NET_ELECT_MAX_VOTERS + 1];
	enum net_elect_role	 role;
	struct net_elect_id	 leader;
	uint64_t		 now;
	uint64_t		 last_contact;	/* leader heard (or start) */
	uint64_t		 elect_at;	/* non-leader: pre-vote time */
	uint64_t		 hb_at;		/* leader: next heartbeat */
	uint64_t		 retry_at;	/* (pre)candidate: re-ask */
	uint64_t		 backoff_term;	/* term + 1 of last pre-vote */
	uint64_t		 yield_term;	/* backoff / yield (once each) */
	uint64_t		 lease_until;	/* leader: lower bound */
	uint64_t		 leader_since;
	bool			 pending;
	bool			 dirty;
	struct net_elect_out	*out;
};

void	net_elect_params_default(struct net_elect_params *p,
	    net_elect_rand_fn rand, void *rand_arg);
/* hard: what the driver last persisted, NULL for a brand new node. */
int	net_elect_init(struct net_elect *st, const struct net_elect_params *p,
	    const char *self, const struct net_elect_hard *hard, uint64_t now);
int	net_elect_step(struct net_elect *st, const struct net_elect_event *ev,
	    uint64_t now, struct net_elect_out *out);
/* The time the next TICK is due. */
uint64_t net_elect_deadline(const struct net_elect *st);
void	net_elect_status(const struct net_elect *st, uint64_t now,
	    struct net_elect_status *out);
const char *net_elect_strerror(int rc);
const char *net_elect_role_name(enum net_elect_role role);
/* Checks a config: ids valid, sorted, unique, n in range. */
bool	net_elect_config_valid(const struct net_elect_config *cfg);

#endif /* NET_ELECT_H */
