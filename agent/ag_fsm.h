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
 * Commands and snapshots are bounded deterministic CBOR (sec_cbor.h);
 * both decoders are fuzzed (tests/fuzz/fuzz_fsm.c) with round-trip checks.
 */
#ifndef AG_FSM_H
#define AG_FSM_H

#include <stddef.h>
#include <stdint.h>

#include <raft.h>

#include "ag_place.h"

#define AG_FSM_MAX_PLACEMENTS	64	/* default live placements */
#define AG_FSM_MAX_CMD		(64 * 1024)	/* encoded command bytes */

enum ag_fsm_op {
	AG_FSM_OP_PLACE = 1,
	AG_FSM_OP_RELEASE = 2,
	AG_FSM_OP_REPLAN = 3,
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

/*
 * raft's struct raft_fsm (version 1) over this state machine: apply's
 * *result is a const struct ag_fsm_result * (valid only inside the
 * raft_apply callback, copy it there).
 */
void	ag_fsm_raft(struct ag_fsm *, struct raft_fsm *out);

#endif /* AG_FSM_H */
