/*
 * ag_raft.h - the agent's replicated log: canonical raft driving the
 * cluster state machine (ag_fsm.h), over the peers' QUIC sessions
 * (net_raft_io.h), with zero-config bootstrap, joining, voter management
 * and the merge of clusters that formed apart.
 *
 * What is consistent and what is not: every decision (placement, release,
 * re-plan) is a command in this log and takes effect only once committed;
 * gossip (ag_cluster.c) carries soft state only - devices, telemetry,
 * links.  docs/cluster.md describes the bootstrap rules; in short:
 *   - a node with raft state resumes its cluster;
 *   - a fresh node joins the best cluster a connected peer announces
 *     (most servers, then the smaller cluster id) and waits to be added;
 *   - a fresh node that sees no cluster for the bootstrap window, and has
 *     the smallest id among the fresh nodes it sees (at least
 *     bootstrap_expect of them, itself included), bootstraps a new
 *     cluster with a new random id: alone by default, with all of them
 *     when bootstrap_expect > 1;
 *   - the leader adds every member that announces its cluster, keeps at
 *     most max_voters voters (the rest replicate as standbys) and
 *     replaces a voter dead longer than promote_after_s;
 *   - a member that hears a member of a better cluster (same rule)
 *     yields: its placements are reported as dropped, its raft state is
 *     wiped and it joins the other cluster.
 * Raft messages carry the cluster id, so clusters never mix terms.
 */
#ifndef AG_RAFT_H
#define AG_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ag_announce.h"
#include "ag_fsm.h"
#include "sec_identity.h"

struct ag_raft;

struct ag_raft_config {
	const char	*data_dir;
	const char	*self;		/* node id */
	unsigned	 max_voters;	/* 0: 5 */
	unsigned	 bootstrap_expect;	/* 0 or 1: a lone node forms */
	double		 bootstrap_window_s;	/* 0: 2 s */
	double		 promote_after_s;	/* 0: 10 s */
	unsigned	 election_ms;	/* 0: 1000 (docs/cluster.md) */
	unsigned	 heartbeat_ms;	/* 0: 200 */
	size_t		 max_placements;	/* 0: AG_FSM_MAX_PLACEMENTS */
	uint64_t	 seed;
};

struct ag_raft_hooks {
	/* Send a whole encoded control message to a peer; 0 or -1. */
	int	(*send)(void *arg, const char *peer, const uint8_t *buf,
		    size_t len);
	/* 1 if the peer is alive (membership) and connected. */
	int	(*alive)(void *arg, const char *peer);
	/* Role, leader, term, commit or cluster changed: act at once. */
	void	(*changed)(void *arg);
	/*
	 * This node is about to leave cluster `from` for `to` (a merge):
	 * fsm still holds from's placements, which are dropped after this.
	 */
	void	(*yielding)(void *arg, const char *from, const char *to,
		    const struct ag_fsm *fsm);
	void	*arg;
};

struct ag_raft_status {
	const char	*role;	/* leader, follower, candidate, standby,
				 * joining, forming, unavailable */
	char		 leader[SEC_NODE_ID_SIZE];	/* "" none known */
	char		 cluster_id[AG_ANNOUNCE_CLUSTER_SIZE];
	uint64_t	 term;
	uint64_t	 commit_index;
	uint64_t	 applied_index;
	/*
	 * The leader's commit index as it last told us (its CLUSTER
	 * announcement, sent when our session to it came up); ours on the
	 * leader; 0 unknown.  Raft tells a follower the commit index only
	 * as far as the entries it sent it, so a restarted node's own
	 * commit_index can lag what was committed before it started.
	 */
	uint64_t	 leader_commit;
	bool		 quorum;	/* leader: a majority heard lately */
	bool		 is_leader;
	/*
	 * is_leader, and a barrier of its term is applied: its state machine
	 * holds every decision committed before (only then does the leader
	 * answer from it).
	 */
	bool		 current;
	bool		 voter;		/* we are a voter */
	unsigned	 servers;	/* in the configuration */
	unsigned	 voters;
};

struct ag_raft	*ag_raft_new(struct event_base *, const struct ag_raft_config *,
		    const struct ag_raft_hooks *, char *err, size_t errlen);
/* Stops raft (pending proposals fail) and frees everything. */
void		 ag_raft_free(struct ag_raft *);

/* Peer sessions (authenticated node ids). */
void		 ag_raft_peer_up(struct ag_raft *, const char *peer);
void		 ag_raft_peer_down(struct ag_raft *, const char *peer);
/* Payloads of NET_WIRE_RAFT and NET_WIRE_CLUSTER; -1 if malformed. */
int		 ag_raft_recv(struct ag_raft *, const char *peer,
		    const uint8_t *, size_t, char *err, size_t errlen);
int		 ag_raft_recv_announce(struct ag_raft *, const char *peer,
		    const uint8_t *, size_t, char *err, size_t errlen);

/*
 * Proposes a command (leader only).  cb runs once: status 0 and the
 * state machine's result when committed and applied (index = its log
 * index), or a raft error (RAFT_NOTLEADER, RAFT_LEADERSHIPLOST: the
 * outcome is unknown, RAFT_SHUTDOWN ...) with res NULL.  Returns 0, or -1
 * with err (not the leader, the command does not encode) and then cb
 * never runs.
 */
typedef void	(*ag_raft_apply_cb)(void *arg, int status,
		    const struct ag_fsm_result *res, uint64_t index);
int		 ag_raft_propose(struct ag_raft *, const struct ag_fsm_cmd *,
		    ag_raft_apply_cb, void *arg, char *err, size_t errlen);

/*
 * Appends a barrier (leader only).  cb runs once: status 0 when it is
 * applied while this node still leads in the same term - every decision
 * committed before the call is then in the state machine, so an answer
 * read from it is linearizable - else a raft error (RAFT_LEADERSHIPLOST,
 * RAFT_SHUTDOWN ...).  Returns 0, or -1 with err and then cb never runs.
 */
typedef void	(*ag_raft_barrier_cb)(void *arg, int status);
int		 ag_raft_barrier(struct ag_raft *, ag_raft_barrier_cb,
		    void *arg, char *err, size_t errlen);

/*
 * While held, a fresh node does not bootstrap (its bootstrap window
 * starts again when the hold ends): the agent holds it while a --join
 * target has not answered or failed once.
 */
void		 ag_raft_hold_bootstrap(struct ag_raft *, int hold);
void		 ag_raft_status(struct ag_raft *, struct ag_raft_status *);
/* The committed state (every node applies the log). */
const struct ag_fsm *ag_raft_fsm(struct ag_raft *);

struct ag_raft_counters {
	uint64_t	proposals;	/* handed to raft */
	uint64_t	commits_ok;	/* applied with AG_FSM_OK */
	uint64_t	commits_refused;	/* applied, refused by the FSM */
	uint64_t	failed;		/* not committed (leadership lost …) */
	uint64_t	leader_changes;
	uint64_t	elections;	/* became a candidate */
	uint64_t	merges;		/* yielded to another cluster */
	uint64_t	fsyncs;
	uint64_t	foreign;	/* raft messages of other clusters */
};
void		 ag_raft_counters(struct ag_raft *, struct ag_raft_counters *);

/*
 * Offline, with the agent stopped: rewrites the raft configuration in
 * data_dir to this node alone as the only voter (raft's recover), for a
 * cluster that lost its majority for good (docs/cluster.md, "Recovering").
 * 0, or -1 with err.
 */
int		 ag_raft_recover(const char *data_dir, const char *self,
		    char *err, size_t errlen);

#endif /* AG_RAFT_H */
