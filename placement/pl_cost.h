/*
 * pl_cost.h - the placement cost model (v2, docs/placement.md), stated
 * once.
 *
 * The solver has its own dense, precomputed copy of these formulas for
 * speed; this file is the plain reading used to check any plan from the
 * outside (the command, the baselines and the tests all go through
 * pl_cost_evaluate), so a solver bug shows up as a disagreement.
 *
 * A plan is a sequence of stages d_1..d_k with l_i layers each.  An
 * engine profile says how tokens travel between them:
 *
 *   ring       (exo) d_1 -> d_2 -> ... -> d_k -> d_1, A bytes per hop;
 *   llama.cpp  a client node c holds the input embedding and drives every
 *              stage over RPC: each boundary is d_i -> c -> d_{i+1} (f32
 *              activations, 2*A bytes) plus a command round trip to
 *              d_{i+1}; the last stage sends 4*V bytes of logits to c.
 *
 *   usable(d)   = M_d - round(M_d * reserve) - booked_d      (>= 0)
 *   memory      = l*S + [first, ring]*E_in + [last]*E_out <= usable, and
 *                 stages on one pool fit its usable memory together
 *   S           = W + KV*C                        bytes per layer held
 *   tau_d       = max((W + KV*fill) / B_d, P / F_d)  seconds per layer
 *   head_d      = max(E_out / B_d, P_out / F_d)   on the last stage
 *   T           = sum l_i*tau_i + head_{d_k} + comm(d_1..d_k)
 *
 * comm is written out per engine below (open, edge, close, only); it
 * depends on the direction of the sequence, not only on its set.
 */
#ifndef PL_COST_H
#define PL_COST_H

#include <stddef.h>
#include <stdint.h>

#include "pl_cluster.h"
#include "pl_model.h"

enum pl_engine {
	PL_ENGINE_LLAMA_CPP,	/* star through a client (default) */
	PL_ENGINE_RING		/* exo-style ring */
};

#define PL_RESERVE_DEFAULT	0.10
#define PL_RESERVE_MAX		0.90
#define PL_CLIENT_AUTO		((size_t)-1)

/* What is asked of a plan besides the model. */
struct pl_request {
	uint64_t	context;	/* C, tokens the KV cache holds */
	uint64_t	prompt;		/* tokens in the cache when decoding starts */
	uint64_t	generate;	/* tokens decoded; 0 and 0: see fill */
	double		reserve;	/* of each device's memory, kept free */
	enum pl_engine	engine;
	size_t		client;		/* node; AUTO: cluster's, else node 0 */
};

struct pl_stage {
	size_t		device;		/* index into cluster devices */
	uint32_t	layer_start;	/* first layer */
	uint32_t	layer_end;	/* one past the last layer */
	uint64_t	memory_bytes;	/* what the stage needs on the device */
};

/* context 4096, whole-context request, 10 % reserve, llama.cpp. */
void	pl_request_init(struct pl_request *);
/*
 * Average tokens in the KV cache while a request decodes:
 * prompt + generate / 2; prompt = generate = 0 means one request that
 * fills the context (C / 2).
 */
double	pl_request_fill(const struct pl_request *);
/* Checks ranges (reserve, prompt + generate <= context, client). */
int	pl_request_check(const struct pl_cluster *, const struct pl_request *,
	    char *, size_t);
const char *pl_engine_name(enum pl_engine);
/* "llama.cpp" or "ring"; -1 otherwise. */
int	pl_engine_parse(const char *, enum pl_engine *);
/* The client node a request resolves to. */
size_t	pl_request_client(const struct pl_cluster *, const struct pl_request *);

/* Eligible and able to run dtype. */
int	pl_device_usable(const struct pl_device *, enum pl_dtype);
/* usable(d) above. */
uint64_t pl_device_capacity(const struct pl_device *, double);
/*
 * Usable memory of pool id (> 0): the largest member's M less its
 * reserve, less every member's booked bytes.
 */
uint64_t pl_pool_capacity(const struct pl_cluster *, uint32_t, double);
/* Seconds per layer on d reading `bytes` and computing P FLOPs. */
double	pl_cost_tau(const struct pl_device *, double, double);
/* head_d. */
double	pl_cost_head(const struct pl_device *, const struct pl_model *);
/* alpha + bytes/beta between two nodes (INFINITY without a link). */
double	pl_cost_leg(const struct pl_cluster *, size_t, size_t, double);
/*
 * The communication terms (devices a, b, f, g; INFINITY when a link is
 * missing): a one-stage plan pays only(d); a longer one pays open(d_1) +
 * sum edge(d_i, d_i+1) + close(d_k, d_1).
 *   ring:      open 0; edge hop(a, b); close hop(g, f); only 0
 *   llama.cpp: open  = 2*alpha(c, f) + leg(c -> f, 2A)
 *              edge  = leg(a -> c, 2A) + 2*alpha(c, b) + leg(c -> b, 2A)
 *              close = leg(g -> c, 4V)
 *              only  = open(d) + close(d)
 * (the head's time is added on top, see T).
 */
double	pl_cost_open(const struct pl_cluster *, const struct pl_model *,
	    const struct pl_request *, size_t);
double	pl_cost_edge(const struct pl_cluster *, const struct pl_model *,
	    const struct pl_request *, size_t, size_t);
double	pl_cost_close(const struct pl_cluster *, const struct pl_model *,
	    const struct pl_request *, size_t, size_t);
double	pl_cost_only(const struct pl_cluster *, const struct pl_model *,
	    const struct pl_request *, size_t);
/*
 * Bytes for a stage of `layers` layers; embed/last add E_in/E_out.
 * -1 on uint64 overflow.
 */
int	pl_cost_stage_memory(const struct pl_model *, uint64_t, uint32_t,
	    int, int, uint64_t *);
/*
 * Checks every constraint of a plan (distinct usable devices, contiguous
 * layer ranges covering 0..L, each stage non-empty and within memory and
 * its pool, the recorded memory_bytes right, links present) and computes
 * its latency.  Returns 0, or -1 with the violated constraint in err.
 */
int	pl_cost_evaluate(const struct pl_cluster *, const struct pl_model *,
	    const struct pl_request *, const struct pl_stage *, size_t,
	    double *, char *, size_t);

#endif /* PL_COST_H */
