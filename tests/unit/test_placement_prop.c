/*
 * test_placement_prop.c - the solver against brute force on thousands of
 * random small instances.
 *
 * The brute force is written independently of placement/: it enumerates
 * every sequence of distinct devices and every composition of the layers
 * and prices each plan straight from the cluster and model structs with
 * the v2 cost model of docs/placement.md (both engine profiles, the head
 * on the last stage, KV read at the average fill, the memory reserve,
 * booked bytes and shared memory pools, a client node for llama.cpp).  Each
 * method (DP, branch-and-bound, auto) must find the same optimum (relative
 * 1e-9), return a plan that pl_cost_evaluate accepts at the same latency,
 * report optimal with lower bound == latency, and be infeasible exactly
 * when brute force finds nothing.  Searches cut short by a node limit and
 * the greedy alone must still return valid plans whose lower bound is at
 * most the true optimum (the admissibility of the bound).
 *
 * The seed is printed on failure; PL_PROP_SEED and PL_PROP_N override it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "pl_cluster.h"
#include "pl_cost.h"
#include "pl_model.h"
#include "pl_solve.h"

#define MAXD	6
#define MAXL	12

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
pick(uint64_t n)
{
	return rng() % n;
}

struct inst {
	struct pl_cluster	cl;
	struct pl_model		m;
	uint64_t		ctx;
	struct pl_request	rq;
};

static void
gen(struct inst *in)
{
	static const double bws[] = { 10, 20, 30, 50, 100 };
	static const double lats[] = { 0, 0.5, 1, 3 };
	static const double lbws[] = { 1, 4, 16 };
	struct pl_device	d;
	size_t			nn, nd, i, j, node;
	uint64_t		S;
	char			name[16];

	pl_cluster_init(&in->cl);
	memset(&in->m, 0, sizeof in->m);
	(void)snprintf(in->m.name, sizeof in->m.name, "rand");
	in->m.layers = 1 + (uint32_t)pick(MAXL);
	in->m.layer_bytes = 1 + pick(100);
	in->m.kv_bytes_per_token_per_layer = pick(4);
	in->ctx = pick(11);
	in->m.activation_bytes = 1 + pick(8);
	in->m.flops_per_token_per_layer = (double)(1 + pick(200));
	S = in->m.layer_bytes + in->m.kv_bytes_per_token_per_layer * in->ctx;
	in->m.embed_bytes = pick(3) == 0 ? 0 : pick(3 * S);
	in->m.head_bytes = pick(3) == 0 ? 0 : pick(3 * S);
	in->m.head_flops_per_token = pick(2) ? 0 : (double)pick(400);
	in->m.vocab = pick(2) ? 0 : pick(20);
	in->m.dtype = PL_DT_Q4_0;
	pl_request_init(&in->rq);
	in->rq.context = in->ctx;
	in->rq.engine = pick(2) ? PL_ENGINE_RING : PL_ENGINE_LLAMA_CPP;
	in->rq.reserve = pick(2) ? 0 : (double)pick(5) / 10;
	if (pick(2)) {
		in->rq.prompt = pick(in->ctx + 1);
		in->rq.generate = pick(in->ctx - in->rq.prompt + 1);
	}

	nn = 1 + pick(4);
	if (pick(2))
		in->rq.client = pick(nn);
	for (i = 0; i < nn; i++) {
		size_t idx;

		(void)snprintf(name, sizeof name, "n%u", (unsigned)i % 1000u);
		assert_int_equal(pl_cluster_node(&in->cl, name, &idx), 0);
		if (pick(2)) {
			in->cl.nodes[idx].intra_latency_s = lats[pick(4)];
			in->cl.nodes[idx].intra_bandwidth = lbws[pick(3)];
		}
	}
	for (i = 0; i < nn; i++)
		for (j = i + 1; j < nn; j++)
			if (pick(5) != 0)
				assert_int_equal(pl_cluster_add_link(&in->cl,
				    i, j, lats[pick(4)], lbws[pick(3)]), 0);
	nd = 1 + pick(MAXD);
	for (i = 0; i < nd; i++) {
		if (i > 0 && pick(4) == 0) {
			/* An identical twin, to exercise symmetry breaking. */
			d = in->cl.devices[pick(i)];
		} else {
			memset(&d, 0, sizeof d);
			node = pick(nn);
			d.node = node;
			d.memory_bytes = pick(6 * S + in->m.embed_bytes +
			    in->m.head_bytes + 1);
			if (pick(3) == 0)
				d.memory_bytes += (uint64_t)in->m.layers * S;
			d.bandwidth = bws[pick(5)];
			d.flops = bws[pick(5)];
			d.dtypes = pick(8) == 0 ? PL_DT_BIT(PL_DT_FP16) :
			    PL_DT_BIT(PL_DT_Q4_0) | PL_DT_BIT(PL_DT_FP16);
			d.eligible = pick(10) != 0;
			d.booked_bytes = pick(4) == 0 ? pick(2 * S) : 0;
			d.pool = pick(3) == 0 ? 1 + (uint32_t)pick(2) : 0;
		}
		(void)snprintf(d.id, sizeof d.id, "d%zu", i);
		assert_int_equal(pl_cluster_add_device(&in->cl, &d), 0);
	}
}

/* ---- brute force, independent of placement/'s internals ---- */

struct brute {
	const struct inst	*in;
	size_t			 seq[MAXD];
	uint32_t		 l[MAXD];
	int			 used[MAXD];
	double			 best;
	uint64_t		 count;
};

/* alpha + bytes/beta between nodes na and nb. */
static double
b_leg(const struct inst *in, size_t na, size_t nb, double bytes)
{
	const struct pl_cluster	*c = &in->cl;
	size_t			 i;

	if (na == nb)
		return c->nodes[na].intra_latency_s +
		    bytes / c->nodes[na].intra_bandwidth;
	for (i = 0; i < c->nlinks; i++)
		if ((c->links[i].a == na && c->links[i].b == nb) ||
		    (c->links[i].a == nb && c->links[i].b == na))
			return c->links[i].latency_s +
			    bytes / c->links[i].bandwidth;
	return INFINITY;
}

static size_t
b_node(const struct inst *in, size_t dev)
{
	return in->cl.devices[dev].node;
}

/* The plan's communication: a ring, or a star through the client. */
static double
b_comm(const struct brute *b, size_t k)
{
	const struct inst	*in = b->in;
	size_t			 c, i;
	double			 A = (double)in->m.activation_bytes, t = 0;
	double			 V = in->m.vocab ? 4.0 * in->m.vocab : 4.0;

	if (in->rq.engine == PL_ENGINE_RING) {
		if (k == 1)
			return 0;
		for (i = 0; i < k; i++)
			t += b_leg(in, b_node(in, b->seq[i]),
			    b_node(in, b->seq[(i + 1) % k]), A);
		return t;
	}
	c = in->rq.client == PL_CLIENT_AUTO ? 0 : in->rq.client;
	for (i = 0; i < k; i++) {
		/* The client sends 2A bytes of f32 and a command. */
		t += 2 * b_leg(in, c, b_node(in, b->seq[i]), 0) +
		    b_leg(in, c, b_node(in, b->seq[i]), 2 * A);
		/* ... and gets 2A back, or the logits from the last. */
		t += b_leg(in, b_node(in, b->seq[i]), c, i + 1 < k ? 2 * A : V);
	}
	return t;
}

static uint64_t
b_usable(uint64_t m, double reserve)
{
	uint64_t	r = (uint64_t)llroundl((long double)m * reserve);

	return r >= m ? 0 : m - r;
}

/* Every pool holds the stages on it. */
static int
b_pools_fit(const struct brute *b, size_t k, const uint64_t *mem)
{
	const struct pl_cluster	*c = &b->in->cl;
	uint64_t		 need, cap, booked, u;
	uint32_t		 pool;
	size_t			 i;

	for (pool = 1; pool <= 2; pool++) {
		need = 0;
		for (i = 0; i < k; i++)
			if (c->devices[b->seq[i]].pool == pool)
				need += mem[i];
		if (need == 0)
			continue;
		cap = booked = 0;
		for (i = 0; i < c->ndevices; i++) {
			if (c->devices[i].pool != pool)
				continue;
			u = b_usable(c->devices[i].memory_bytes,
			    b->in->rq.reserve);
			cap = u > cap ? u : cap;
			booked += c->devices[i].booked_bytes;
		}
		if (need + booked > cap)
			return 0;
	}
	return 1;
}

static void
b_price(struct brute *b, size_t k)
{
	const struct inst	*in = b->in;
	uint64_t		 S, mem[MAXD];
	double			 t = 0, tau, x, y, rd, fill;
	size_t			 i;
	int			 ring = in->rq.engine == PL_ENGINE_RING;

	S = in->m.layer_bytes + in->m.kv_bytes_per_token_per_layer * in->ctx;
	fill = in->rq.prompt == 0 && in->rq.generate == 0 ?
	    (double)in->ctx / 2 :
	    (double)in->rq.prompt + (double)in->rq.generate / 2;
	rd = (double)in->m.layer_bytes +
	    (double)in->m.kv_bytes_per_token_per_layer * fill;
	for (i = 0; i < k; i++) {
		const struct pl_device *d = &in->cl.devices[b->seq[i]];

		mem[i] = b->l[i] * S + (i == 0 && ring ? in->m.embed_bytes :
		    0) + (i == k - 1 ? in->m.head_bytes : 0);
		if (mem[i] + d->booked_bytes >
		    b_usable(d->memory_bytes, in->rq.reserve))
			return;
		x = rd / d->bandwidth;
		y = in->m.flops_per_token_per_layer / d->flops;
		tau = x > y ? x : y;
		t += b->l[i] * tau;
		if (i == k - 1) {
			x = (double)in->m.head_bytes / d->bandwidth;
			y = in->m.head_flops_per_token / d->flops;
			t += x > y ? x : y;
		}
	}
	if (!b_pools_fit(b, k, mem))
		return;
	t += b_comm(b, k);
	b->count++;
	if (t < b->best)
		b->best = t;
}

/* Compositions of `left` layers into stages pos..k-1. */
static void
b_split(struct brute *b, size_t pos, size_t k, uint32_t left)
{
	uint32_t	v;

	if (pos == k - 1) {
		b->l[pos] = left;
		b_price(b, k);
		return;
	}
	for (v = 1; v + (k - 1 - pos) <= left; v++) {
		b->l[pos] = v;
		b_split(b, pos + 1, k, left - v);
	}
}

static void
b_orders(struct brute *b, size_t pos, size_t k)
{
	size_t	i;

	if (pos == k) {
		if (k <= b->in->m.layers)
			b_split(b, 0, k, b->in->m.layers);
		return;
	}
	for (i = 0; i < b->in->cl.ndevices; i++) {
		const struct pl_device *d = &b->in->cl.devices[i];

		if (b->used[i] || !d->eligible ||
		    !(d->dtypes & PL_DT_BIT(b->in->m.dtype)))
			continue;
		b->used[i] = 1;
		b->seq[pos] = i;
		b_orders(b, pos + 1, k);
		b->used[i] = 0;
	}
}

static double
brute_force(const struct inst *in)
{
	struct brute	b;
	size_t		k;

	memset(&b, 0, sizeof b);
	b.in = in;
	b.best = INFINITY;
	for (k = 1; k <= in->cl.ndevices; k++)
		b_orders(&b, 0, k);
	return b.best;
}

/* ---- the properties ---- */

static int
close_rel(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static void
check_plan(const struct inst *in, const struct pl_plan *plan, uint64_t seed)
{
	char	err[256];
	double	lat;

	if (pl_cost_evaluate(&in->cl, &in->m, &in->rq, plan->stages,
	    plan->nstages, &lat, err, sizeof err) != 0)
		fail_msg("seed %llu: invalid plan: %s",
		    (unsigned long long)seed, err);
	if (!close_rel(lat, plan->latency_s, 1e-9))
		fail_msg("seed %llu: plan prices at %.17g, solver says %.17g",
		    (unsigned long long)seed, lat, plan->latency_s);
	if (!(plan->lower_bound_s <= plan->latency_s))
		fail_msg("seed %llu: lower bound %.17g above latency %.17g",
		    (unsigned long long)seed, plan->lower_bound_s,
		    plan->latency_s);
}

static void
check_exact(const struct inst *in, double bf, enum pl_method method,
    uint64_t seed)
{
	struct pl_solve_opts	o;
	struct pl_plan		plan;
	char			err[256];
	int			rc;

	pl_solve_opts_init(&o);
	o.req = in->rq;
	o.budget_ms = -1;
	o.method = method;
	rc = pl_solve(&in->cl, &in->m, &o, &plan, err, sizeof err);
	if (!isfinite(bf)) {
		if (rc != PL_INFEASIBLE)
			fail_msg("seed %llu method %s: brute force finds no "
			    "plan, solver rc %d latency %.17g",
			    (unsigned long long)seed, pl_method_name(method),
			    rc, plan.latency_s);
		assert_true(strlen(err) > 0);
		return;
	}
	if (rc != PL_OK)
		fail_msg("seed %llu method %s: rc %d (%s), brute force %.17g",
		    (unsigned long long)seed, pl_method_name(method), rc, err,
		    bf);
	check_plan(in, &plan, seed);
	if (!close_rel(plan.latency_s, bf, 1e-9))
		fail_msg("seed %llu method %s: latency %.17g, brute force "
		    "%.17g", (unsigned long long)seed, pl_method_name(method),
		    plan.latency_s, bf);
	if (!plan.optimal || plan.lower_bound_s != plan.latency_s)
		fail_msg("seed %llu method %s: not proven optimal",
		    (unsigned long long)seed, pl_method_name(method));
	pl_plan_free(&plan);
}

/* Cut-short searches: valid plan, bound at most the optimum. */
static void
check_partial(const struct inst *in, double bf, enum pl_method method,
    uint64_t nodes, uint64_t seed)
{
	struct pl_solve_opts	o;
	struct pl_plan		plan;
	char			err[256];
	int			rc;

	pl_solve_opts_init(&o);
	o.req = in->rq;
	o.budget_ms = -1;
	o.method = method;
	o.node_limit = nodes;
	rc = pl_solve(&in->cl, &in->m, &o, &plan, err, sizeof err);
	if (rc != PL_OK) {
		if (isfinite(bf) && method != PL_METHOD_GREEDY &&
		    nodes == 0)
			fail_msg("seed %llu: rc %d", (unsigned long long)seed,
			    rc);
		assert_int_equal(rc, PL_INFEASIBLE);
		return;
	}
	if (!isfinite(bf))
		fail_msg("seed %llu: plan where brute force has none",
		    (unsigned long long)seed);
	check_plan(in, &plan, seed);
	if (plan.latency_s < bf * (1 - 1e-9))
		fail_msg("seed %llu: latency %.17g below the optimum %.17g",
		    (unsigned long long)seed, plan.latency_s, bf);
	if (plan.lower_bound_s > bf * (1 + 1e-9))
		fail_msg("seed %llu %s/%llu: lower bound %.17g above the "
		    "optimum %.17g", (unsigned long long)seed,
		    pl_method_name(method), (unsigned long long)nodes,
		    plan.lower_bound_s, bf);
	if (plan.optimal && !close_rel(plan.latency_s, bf, 1e-9))
		fail_msg("seed %llu: claims optimal at %.17g, optimum %.17g",
		    (unsigned long long)seed, plan.latency_s, bf);
	pl_plan_free(&plan);
}

static uint64_t
env_u64(const char *name, uint64_t dflt)
{
	const char	*s = getenv(name);

	return s != NULL && *s != '\0' ? strtoull(s, NULL, 0) : dflt;
}

static void
test_random_instances(void **state)
{
	struct inst	in;
	uint64_t	base, n, i, seed, feasible = 0;
	double		bf;

	(void)state;
	base = env_u64("PL_PROP_SEED", 20240601);
	n = env_u64("PL_PROP_N", 6000);
	for (i = 0; i < n; i++) {
		seed = base + i;
		rng_state = seed;
		gen(&in);
		bf = brute_force(&in);
		feasible += isfinite(bf);
		check_exact(&in, bf, PL_METHOD_DP, seed);
		check_exact(&in, bf, PL_METHOD_BNB, seed);
		check_exact(&in, bf, PL_METHOD_AUTO, seed);
		check_partial(&in, bf, PL_METHOD_GREEDY, 0, seed);
		check_partial(&in, bf, PL_METHOD_BNB, 1 + i % 7, seed);
		pl_cluster_free(&in.cl);
	}
	print_message("%llu instances from seed %llu, %llu feasible\n",
	    (unsigned long long)n, (unsigned long long)base,
	    (unsigned long long)feasible);
	/* The generator must produce both kinds in quantity. */
	assert_true(feasible > n / 4);
	assert_true(feasible < n - n / 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_instances),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
