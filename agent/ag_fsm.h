/*
 * ag_fsm.h - the cluster's replicated state machine: what the raft log
 * decides.
 *
 * Every decision the cluster agrees on is a command in the log, applied
 * in log order on every node by ag_fsm_apply(): placing a model (with the
 * memory each stage books on its device), releasing it, re-planning it.
 * The state is the set of live placements, the next placement id and the
 * bookings per device.  It is deterministic and I/O-free: the same
 * commands in the same order give the same state and the same results on
 * every node, so the leader answers a client from its own apply result.
 *
 * Rules the apply enforces (so no leader, old or new, can break them):
 *   - ids come from the log: the n-th admitted PLACE gets id n (counted
 *     in the state, carried by snapshots), never reused after release;
 *   - a PLACE or REPLAN is refused (AG_FSM_NOSPACE) when a device's
 *     bookings would exceed the capacity the command states for it;
 *     the capacity of a device is the one stated by the latest admitted
 *     command that names it, kept while live stages sit on it (every
 *     command that books a device states its capacity anew);
 *   - a REPLAN applies only to a live placement still at the epoch the
 *     proposer saw (AG_FSM_STALE otherwise), and moves it to epoch + 1;
 *     it replaces the plan and keeps the owner (tenant, token id,
 *     selectors, quotas);
 *   - a RELEASE of an unknown id is AG_FSM_NOTFOUND (a no-op);
 *   - at most max_placements live placements (AG_FSM_FULL).
 *
 * The log also decides who and what is trusted (agent/ag_fsm_sec.c):
 *   - REVOKE: a token id is refused cluster-wide until its expiry, which
 *     the apply clamps to AG_FSM_REVOKE_HORIZON after the command's time;
 *     expired entries are dropped at every REVOKE (the state's clock is
 *     the largest command time applied, so the rule is the same on every
 *     node); a REVOKE when AG_FSM_MAX_REVOKED live entries remain is
 *     AG_FSM_FULL - a live revocation is never evicted;
 *   - DENY / ALLOW: a node id on / off the deny list (CA mode's
 *     `exogpu cert revoke`), at most AG_FSM_MAX_DENIED;
 *   - ANCHOR: a node's newest audit checkpoint (its seq and line); an
 *     anchor whose seq is not above the node's last one is AG_FSM_STALE,
 *     so a committed anchor never goes backwards.
 * Each of these carries the proposer's clock (unix seconds).
 *
 * Commands and snapshots are bounded deterministic CBOR (sec_cbor.h);
 * both decoders are fuzzed (tests/fuzz/fuzz_fsm.c) with round-trip checks.
 */
#ifndef AG_FSM_H
#define AG_FSM_H

#include <stddef.h>
#include <stdint.h>

#include <raft.h>

#include "ag_place.h"
#include "sec_identity.h"

#define AG_FSM_MAX_PLACEMENTS	64	/* default live placements */
#define AG_FSM_MAX_CMD		(64 * 1024)	/* encoded command bytes */
#define AG_FSM_MAX_REVOKED	4096	/* live revocations */
#define AG_FSM_MAX_DENIED	1024	/* denied node ids */
#define AG_FSM_MAX_ANCHORS	1024	/* nodes with an audit anchor */
#define AG_FSM_ANCHOR_MAX	512	/* bytes of a checkpoint line */
#define AG_FSM_TEXT_MAX		AG_FSM_ANCHOR_MAX	/* DENY's note too */
#define AG_FSM_TOKEN_ID_LEN	16	/* a token's cti */
#define AG_FSM_REVOKE_HORIZON	(366LL * 86400)	/* longest kept, seconds */

enum ag_fsm_op {
	AG_FSM_OP_PLACE = 1,
	AG_FSM_OP_RELEASE = 2,
	AG_FSM_OP_REPLAN = 3,
	AG_FSM_OP_REVOKE = 4,
	AG_FSM_OP_DENY = 5,
	AG_FSM_OP_ALLOW = 6,
	AG_FSM_OP_ANCHOR = 7,
	/* Numbers are in the log: never reuse one. */
};

enum ag_fsm_status {
	AG_FSM_OK = 0,
	AG_FSM_NOSPACE,		/* bookings would exceed a device */
	AG_FSM_NOTFOUND,	/* no live placement with that id */
	AG_FSM_STALE,		/* REPLAN of an epoch that is gone */
	AG_FSM_FULL,		/* max_placements live already */
	AG_FSM_BAD,		/* undecodable command (applied as no-op) */
};

/* Usable capacity of one device, as the proposer saw it. */
struct ag_fsm_capacity {
	char		device[96];	/* NODEID/DEVICEID, as in ag_stage */
	uint64_t	bytes;		/* memory minus the reserve */
};

struct ag_fsm_cmd {
	enum ag_fsm_op		op;
	uint64_t		term;	/* the proposer's raft term */
	uint64_t		id;	/* RELEASE, REPLAN */
	uint64_t		expect_epoch;	/* REPLAN */
	struct ag_placement	place;	/* PLACE, REPLAN (id, epoch ignored) */
	int			ncap;	/* PLACE, REPLAN: one per stage device */
	struct ag_fsm_capacity	cap[AG_PLACE_STAGES];
	/* REVOKE, DENY, ALLOW, ANCHOR */
	int64_t			now;	/* the proposer's clock, > 0 */
	uint8_t			token_id[AG_FSM_TOKEN_ID_LEN];	/* REVOKE */
	int64_t			expires;	/* REVOKE: > 0 */
	char			node[SEC_NODE_ID_SIZE];	/* DENY ALLOW ANCHOR */
	uint64_t		seq;	/* ANCHOR: the checkpoint's, > 0 */
	char			text[AG_FSM_TEXT_MAX + 1];	/* ANCHOR line,
								   DENY note */
};

/* Entries of the trust state, as the queries return them. */
struct ag_fsm_revoked {
	uint8_t		id[AG_FSM_TOKEN_ID_LEN];
	int64_t		expires;	/* after the clamp */
};

struct ag_fsm_denied {
	char		node[SEC_NODE_ID_SIZE];
	int64_t		since;		/* the DENY's time */
	char		note[AG_FSM_TEXT_MAX + 1];
};

struct ag_fsm_anchor {
	char		node[SEC_NODE_ID_SIZE];
	uint64_t	seq;
	int64_t		time;		/* the ANCHOR's time */
	char		line[AG_FSM_ANCHOR_MAX + 1];
};

struct ag_fsm_result {
	enum ag_fsm_status	status;
	enum ag_fsm_op		op;
	uint64_t		id;	/* the placement's */
	uint64_t		epoch;	/* after the command */
	char			why[192];	/* for the client, "" if OK */
};

struct ag_fsm;

struct ag_fsm	*ag_fsm_new(size_t max_placements);
void		 ag_fsm_free(struct ag_fsm *);

/*
 * Encodes a command into a raft_malloc'd buffer (raft_apply takes it).
 * -1 with err if the command is not valid (what the decoder would
 * refuse) or over AG_FSM_MAX_CMD.
 */
int	ag_fsm_cmd_encode(const struct ag_fsm_cmd *, struct raft_buffer *,
	    char *err, size_t errlen);
int	ag_fsm_cmd_decode(const uint8_t *, size_t, struct ag_fsm_cmd *,
	    char *err, size_t errlen);

/*
 * Applies one committed command.  Always deterministic; an undecodable
 * command is a no-op with status AG_FSM_BAD.  The result stays valid
 * until the next apply or restore.  NULL only when out of memory, with
 * nothing applied: the node cannot follow the log and must stop.
 */
const struct ag_fsm_result *ag_fsm_apply(struct ag_fsm *, const uint8_t *,
	    size_t);

/* Snapshot of the whole state (raft_malloc'd) and its restore. */
int	ag_fsm_snapshot(const struct ag_fsm *, struct raft_buffer *,
	    char *err, size_t errlen);
int	ag_fsm_restore(struct ag_fsm *, const uint8_t *, size_t, char *err,
	    size_t errlen);

/* Queries (valid until the next apply or restore). */
size_t	ag_fsm_count(const struct ag_fsm *);
const struct ag_placement *ag_fsm_at(const struct ag_fsm *, size_t i);
const struct ag_placement *ag_fsm_find(const struct ag_fsm *, uint64_t id);
/* Bytes booked on a device by live placements other than skip_id. */
uint64_t ag_fsm_booked(const struct ag_fsm *, const char *device,
	    uint64_t skip_id);
/* Capacity last stated for a device with live stages; 0 if none. */
uint64_t ag_fsm_capacity(const struct ag_fsm *, const char *device);
uint64_t ag_fsm_next_id(const struct ag_fsm *);
uint64_t ag_fsm_applied(const struct ag_fsm *);	/* commands applied */

/* The trust state (sorted by id / node; valid until the next apply). */
int	ag_fsm_is_revoked(const struct ag_fsm *, const uint8_t *id,
	    size_t len);
size_t	ag_fsm_revoked_count(const struct ag_fsm *);
const struct ag_fsm_revoked *ag_fsm_revoked_at(const struct ag_fsm *,
	    size_t i);
int	ag_fsm_is_denied(const struct ag_fsm *, const char *node);
size_t	ag_fsm_denied_count(const struct ag_fsm *);
const struct ag_fsm_denied *ag_fsm_denied_at(const struct ag_fsm *,
	    size_t i);
const struct ag_fsm_anchor *ag_fsm_anchor_of(const struct ag_fsm *,
	    const char *node);
size_t	ag_fsm_anchor_count(const struct ag_fsm *);
const struct ag_fsm_anchor *ag_fsm_anchor_at(const struct ag_fsm *,
	    size_t i);
/* The largest command time applied (0 before any). */
int64_t	ag_fsm_clock(const struct ag_fsm *);

/*
 * raft's struct raft_fsm (version 1) over this state machine: apply's
 * *result is a const struct ag_fsm_result * (valid only inside the
 * raft_apply callback, copy it there).
 */
void	ag_fsm_raft(struct ag_fsm *, struct raft_fsm *out);

#endif /* AG_FSM_H */
