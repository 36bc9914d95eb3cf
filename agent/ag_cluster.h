/*
 * ag_cluster.h - the cluster protocols on the agent's event loop.
 *
 * net/ holds two I/O-free state machines - membership (alive / suspect /
 * dead) and gossip (one versioned record per node, soft state only:
 * devices, telemetry, links).  This file is their driver: it feeds them
 * peer sessions going up and down, received control messages and a 50 ms
 * tick, and carries out their actions.  Decisions go through the
 * replicated log (ag_raft.h), which this file owns and feeds with the
 * same sessions and raft's messages.  ag_node owns the sessions and calls
 * in; this file never touches a socket.
 */
#ifndef AG_CLUSTER_H
#define AG_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "ag_record.h"
#include "net_wire.h"
#include "sec_identity.h"

struct ag_cluster;

struct ag_fsm;
struct ag_raft;

struct ag_cluster_io {
	/* Send an encoded control message to an authenticated peer. */
	int	(*send)(void *arg, const char *peer, const uint8_t *buf,
		    size_t len);
	/* The log's leader, term or commit index changed (may be NULL). */
	void	(*changed)(void *arg);
	/* This node leaves cluster `from` for `to` (ag_raft.h; may be NULL). */
	void	(*yielding)(void *arg, const char *from, const char *to,
		    const struct ag_fsm *fsm);
	void	*arg;
};

struct ag_cluster_config {
	const char	*data_dir;
	unsigned	 max_voters;		/* 0: 5 */
	unsigned	 bootstrap_expect;	/* 0 or 1: a lone node forms */
	double		 promote_after_s;	/* 0: 10 s */
	size_t		 max_placements;	/* 0: the default */
	bool		 probe;			/* SWIM probes (net_member.h) */
};

struct ag_cluster_status {
	char		leader[32];	/* node id, "" = none with quorum */
	uint64_t	term;
	bool		quorum;
	bool		is_leader;	/* we lead, with quorum, caught up */
	const char	*role;		/* "leader", "follower", … */
	char		cluster_id[33];	/* "" while forming */
	uint64_t	commit_index;
	uint64_t	applied_index;
	uint64_t	leader_commit;	/* ag_raft_status's */
	unsigned	members;	/* known, self included */
	unsigned	alive;		/* alive, self included */
	unsigned	voters;
	unsigned	servers;	/* in the raft configuration */
};

struct ag_cluster *ag_cluster_new(struct event_base *, const char *self,
		    const struct ag_cluster_config *,
		    const struct ag_cluster_io *, char *err, size_t errlen);
void		 ag_cluster_free(struct ag_cluster *);
/* The replicated log (proposals, the committed state). */
struct ag_raft	*ag_cluster_raft(struct ag_cluster *);

/* Session events from the transport (authenticated node ids). */
void		 ag_cluster_peer_up(struct ag_cluster *, const char *);
void		 ag_cluster_peer_down(struct ag_cluster *, const char *);
/* A control message of one of the cluster types; -1 if malformed. */
int		 ag_cluster_recv(struct ag_cluster *, const char *peer,
		    const struct net_wire_msg *, char *err, size_t errlen);
/* 1 if a control message type belongs to the cluster protocols. */
int		 ag_cluster_handles(uint64_t type);

/* We are shutting down: tell the members we left (not crashed). */
void		 ag_cluster_leave(struct ag_cluster *);
/* Our record changed (devices, links, power): gossip it. */
int		 ag_cluster_publish(struct ag_cluster *,
		    const struct ag_record *);
/* The same without the push: peers get it by anti-entropy (slower). */
int		 ag_cluster_publish_quiet(struct ag_cluster *,
		    const struct ag_record *);

/* Calls fn for every other node's decodable record. */
void		 ag_cluster_foreach_record(struct ag_cluster *,
		    void (*fn)(const char *origin, const struct ag_record *,
		    void *), void *arg);
/* Decodes id's record into out; -1 when there is none (or it is bad). */
int		 ag_cluster_record(struct ag_cluster *, const char *id,
		    struct ag_record *out);
/* 1 if membership calls id dead or left, or no longer knows it. */
int		 ag_cluster_member_gone(struct ag_cluster *, const char *id);
/* Alive members' ids (self first) into ids[0..max); returns the count.
 * The pointers stay valid until the next cluster event. */
size_t		 ag_cluster_alive(struct ag_cluster *, const char **ids,
		    size_t max);
void		 ag_cluster_status(struct ag_cluster *,
		    struct ag_cluster_status *);
/*
 * [{node_id, name, addr, state, incarnation, is_leader, last_seen_s,
 *   devices}] including ourselves.  The caller's peer table supplies the
 * address and how long ago the node was last heard from (NAN: never).
 */
typedef void	(*ag_cluster_peer_info)(void *arg, const char *id,
		    const char **addr, double *last_seen_s);
json_t		*ag_cluster_members_json(struct ag_cluster *,
		    ag_cluster_peer_info, void *arg);

/* Counters since this process started, for /metrics (docs/metrics.md). */
enum ag_cluster_proto {
	AG_CLUSTER_MEMBERSHIP,
	AG_CLUSTER_GOSSIP,
	AG_CLUSTER_RAFT,
	AG_CLUSTER_NPROTO
};

struct ag_cluster_counters {
	uint64_t	sent[AG_CLUSTER_NPROTO];	/* to the transport */
	uint64_t	sent_bytes[AG_CLUSTER_NPROTO];	/* their sizes */
	uint64_t	received[AG_CLUSTER_NPROTO];	/* from peers */
	uint64_t	refused;	/* received, malformed or refused */
	uint64_t	records_updated;	/* peers' records taken in */
	uint64_t	elections_started;	/* raft: became a candidate */
	uint64_t	leader_changes;	/* a new leader became known */
	/* Membership probe mode (zero in transport mode). */
	uint64_t	probes;		/* probes this node started */
	uint64_t	probes_failed;	/* ended with no ACK */
	uint64_t	probe_refused;	/* PING-REQs over bounds, unasked ACKs */
	unsigned	awareness;	/* local health score, 0 = healthy */
};
void		 ag_cluster_counters(struct ag_cluster *,
		    struct ag_cluster_counters *);

#endif /* AG_CLUSTER_H */
