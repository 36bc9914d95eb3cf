/*
 * pl_solve.h - placing a model's layers on a cluster: the exact solver,
 * its greedy fallback and the exo-style baseline.
 *
 * pl_solve minimises the decode latency of pl_cost.h over the subset of
 * devices, their order (the direction matters: the head runs on the last
 * stage) and the layer split.  For a fixed set of
 * devices and fixed first and last stages the best split is greedy (every
 * device gets one layer, the rest go to the fastest devices with room),
 * so the search is over (first, order, last) only; see docs/placement.md.
 *
 *   1. greedy: bound-guided dives plus local search give an incumbent;
 *   2. exact:  for small clusters a Held-Karp DP over (used set, last
 *      device); otherwise depth-first branch-and-bound over ring prefixes
 *      with forward checking and an admissible bound.  Either stops at
 *      the time budget with the incumbent and a proven lower bound.
 *
 * The caller supplies the clock (leaves do not read one): with no clock
 * there is no time limit, only the optional node limit.
 */
#ifndef PL_SOLVE_H
#define PL_SOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "pl_cluster.h"
#include "pl_cost.h"
#include "pl_model.h"

enum pl_method {
	PL_METHOD_AUTO,		/* ring: DP up to PL_DP_AUTO_MAX candidates,
				   else (and for llama.cpp) BNB */
	PL_METHOD_DP,		/* Held-Karp DP (up to PL_DP_MAX candidates) */
	PL_METHOD_BNB,		/* branch-and-bound */
	PL_METHOD_GREEDY	/* incumbent only, no proof */
};

#define PL_DP_MAX	16
#define PL_DP_AUTO_MAX	12

struct pl_solve_opts {
	struct pl_request req;		/* context, fill, reserve, engine */
	double		budget_ms;	/* < 0: unlimited */
	double		(*clock_ms)(void *);	/* monotonic ms, or NULL */
	void		*clock_ctx;
	uint64_t	node_limit;	/* search nodes, 0 = unlimited */
	enum pl_method	method;
};

struct pl_plan {
	struct pl_stage	*stages;	/* malloc'd */
	size_t		nstages;
	double		latency_s;
	double		lower_bound_s;	/* == latency_s when optimal */
	int		optimal;	/* the search space was exhausted */
	enum pl_method	method;		/* what produced the proof/answer */
	uint64_t	nodes;		/* search nodes visited */
	size_t		candidates;	/* usable devices considered */
};

#define PL_OK		0
#define PL_INFEASIBLE	1	/* err says why */
#define PL_ERROR	(-1)	/* out of memory, bad arguments */

void	pl_solve_opts_init(struct pl_solve_opts *);
/* Fills plan (free it with pl_plan_free) or explains in err. */
int	pl_solve(const struct pl_cluster *, const struct pl_model *,
	    const struct pl_solve_opts *, struct pl_plan *, char *, size_t);
/*
 * What exo does: every usable device, by memory descending, layers in
 * proportion to memory (largest remainder, at least one each).  Its
 * latency under the same model and request; PL_INFEASIBLE when it breaks
 * memory or a link is missing.
 */
int	pl_baseline(const struct pl_cluster *, const struct pl_model *,
	    const struct pl_request *, struct pl_plan *, char *, size_t);
/*
 * What llama.cpp does without -ts over the devices of `ours`, in its
 * order: L + 1 slots (the blocks, then the output layer) split by each
 * device's memory, slot il to the first device whose running share
 * exceeds il / (L + 1).  Devices left without a block drop out.
 * PL_INFEASIBLE when that breaks memory or leaves the output alone.
 */
int	pl_baseline_llama(const struct pl_cluster *, const struct pl_model *,
	    const struct pl_request *, const struct pl_plan *,
	    struct pl_plan *, char *, size_t);
void	pl_plan_free(struct pl_plan *);
const char *pl_method_name(enum pl_method);

/*
 * Copies src into dst (pl_cluster_free it) with the thermal model applied
 * for a job of job_s seconds: excluded devices become ineligible, derated
 * ones have compute and bandwidth scaled.  factors (ndevices, or NULL)
 * receives each device's factor (1 without thermal data, 0 excluded).
 */
int	pl_cluster_apply_thermal(const struct pl_cluster *, double,
	    struct pl_cluster *, double *);

#endif /* PL_SOLVE_H */
