/*
 * ag_place.h - placements decided by the leader.
 *
 * A placement is a model (its full spec, so any later leader can re-plan
 * it), a context length, the plan (stages: device, node, layer range,
 * memory) and its stamp: the raft term of the leader that decided it and
 * an epoch that grows with every re-plan.  Placements live in the
 * replicated log's state machine (ag_fsm.h), which carries them in this
 * CBOR form inside its commands and snapshots; the form is bounded and
 * fuzzed like every other peer input.
 */
#ifndef AG_PLACE_H
#define AG_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pl_model.h"
#include "sec_identity.h"

#define AG_PLACE_MAX		64	/* live placements (= AG_FSM_MAX_PLACEMENTS) */
#define AG_PLACE_STAGES		16	/* stages in one plan */
#define AG_PLACE_BYTES		8192	/* encoded list */
#define AG_PLACE_SELECTORS	32	/* device selectors kept per placement */
#define AG_PLACE_SEL_SIZE	128	/* one selector + NUL */

struct ag_snapshot_node;

struct ag_stage {
	char		device[96];	/* NODEID/DEVICEID */
	char		node[SEC_NODE_ID_SIZE];
	uint32_t	layer_start;
	uint32_t	layer_end;	/* exclusive */
	uint64_t	memory_bytes;
};

struct ag_placement {
	uint64_t	id;
	uint64_t	term;		/* of the leader that decided */
	uint64_t	epoch;		/* 1, then +1 per re-plan */
	struct pl_model	model;
	uint32_t	context;
	int		nstages;
	struct ag_stage	stages[AG_PLACE_STAGES];
	double		latency_s;
	double		lower_bound_s;
	bool		optimal;
	double		solve_ms;
	double		baseline_latency_s;	/* NAN: baseline infeasible */
	double		decided_at;		/* Unix time */
	/*
	 * Who asked, under which token (docs/tokens.md, "Enforcement"):
	 * "" for both when the agent does not enforce tokens.  The device
	 * selectors restrict every plan and re-plan of this placement
	 * (none: every device); they are input to ag_place_plan.
	 */
	char		tenant[AG_PLACE_SEL_SIZE];
	char		token_id[33];		/* hex cti */
	int		nselectors;
	char		selectors[AG_PLACE_SELECTORS][AG_PLACE_SEL_SIZE];
	uint64_t	max_devices;		/* tenant quota, 0 none */
	uint64_t	max_memory_bytes;	/* tenant quota, 0 none */
	/*
	 * The node that asked for it, which runs the engine's client
	 * (llama-server) and may open tunnels to the stages' workers
	 * (docs/tunnel.md); "" in placements from before it was recorded.
	 */
	char		client[SEC_NODE_ID_SIZE];
};

struct ag_places {
	int			n;
	struct ag_placement	p[AG_PLACE_MAX];
};

int	ag_place_encode(const struct ag_places *, uint8_t *, size_t,
	    size_t *);
int	ag_place_decode(const uint8_t *, size_t, struct ag_places *, char *,
	    size_t);
/*
 * Solves model at context on the snapshot of the cluster; fills out's
 * plan fields (not id/term/epoch).  out's selectors (when nselectors >
 * 0) limit the devices considered; reserve is the share of each device's
 * memory kept free (the agent's --memory-reserve).  0, 1 infeasible (err
 * says why) or -1.
 */
int	ag_place_plan(const struct ag_snapshot_node *, size_t,
	    const struct pl_model *, uint32_t context, double budget_ms,
	    double reserve, struct ag_placement *out, char *err,
	    size_t errlen);
/* 1 if any stage sits on a node not in alive[0..n). */
int	ag_place_uses_lost(const struct ag_placement *,
	    const char *const *alive, size_t n);
/*
 * 1 if every stage's device is still in the snapshot and eligible (not
 * overheated, not on a low battery, measured, selected); 0 if one is not.
 */
int	ag_place_devices_ok(const struct ag_snapshot_node *, size_t,
	    const struct ag_placement *);
json_t	*ag_place_json(const struct ag_placement *);

#endif /* AG_PLACE_H */
