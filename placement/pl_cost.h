/*
 * pl_cost.h - the placement cost model of DESIGN.md (v1), stated once.
 *
 * The solver has its own dense, precomputed copy of these formulas for
 * speed; this file is the plain reading used to check any plan from the
 * outside (the command, the baseline and the tests all go through
 * pl_cost_evaluate), so a solver bug shows up as a disagreement.
 *
 *   footprint S      = W + KV*C                      bytes per layer
 *   stage memory     = l*S + [first]*E_in + [last]*E_out  <= M_d
 *   tau_d            = max(S / B_d, P / F_d)          seconds per layer
 *   hop(a, b)        = alpha + A / beta  (0 when the plan has one stage)
 *   T                = sum l_i*tau_i + sum over the ring of hops
 */
#ifndef PL_COST_H
#define PL_COST_H

#include <stddef.h>
#include <stdint.h>

#include "pl_cluster.h"
#include "pl_model.h"

struct pl_stage {
	size_t		device;		/* index into cluster devices */
	uint32_t	layer_start;	/* first layer */
	uint32_t	layer_end;	/* one past the last layer */
	uint64_t	memory_bytes;	/* what the stage needs on the device */
};

/* Eligible and able to run dtype. */
int	pl_device_usable(const struct pl_device *, enum pl_dtype);
/* Seconds per layer on d for a layer footprint S and P FLOPs. */
double	pl_cost_tau(const struct pl_device *, uint64_t, double);
/* One-way hop between two devices (INFINITY without a link). */
double	pl_cost_hop(const struct pl_cluster *, const struct pl_model *,
	    size_t, size_t);
/*
 * Bytes for a stage of `layers` layers; first/last add E_in/E_out.
 * -1 on uint64 overflow.
 */
int	pl_cost_stage_memory(const struct pl_model *, uint64_t, uint32_t,
	    int, int, uint64_t *);
/*
 * Checks every constraint of a plan (distinct usable devices, contiguous
 * layer ranges covering 0..L, each stage non-empty and within memory, the
 * recorded memory_bytes right, links present) and computes its latency.
 * Returns 0, or -1 with the violated constraint in err.
 */
int	pl_cost_evaluate(const struct pl_cluster *, const struct pl_model *,
	    uint64_t, const struct pl_stage *, size_t, double *, char *,
	    size_t);

#endif /* PL_COST_H */
