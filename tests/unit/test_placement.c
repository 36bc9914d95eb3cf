/*
 * test_placement.c - the cost model, catalog, baseline, thermal model and
 * solver edge cases on hand-computed examples.
 *
 * Every expected number below was worked out by hand from the v2 cost
 * model of docs/placement.md (the comments show the arithmetic; v1's
 * ring figures are reproduced with the ring profile, no reserve and the
 * KV read at the full context, plus the head), so a change to a formula
 * in placement/ shows up here even if the solver and brute force in
 * test_placement_prop.c were to agree with each other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pl_cluster.h"
#include "pl_cost.h"
#include "pl_model.h"
#include "pl_solve.h"
#include "pl_thermal.h"

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1, fabs(b));
}
#define NEAR(a, b)	assert_true(near((double)(a), (double)(b)))

/*
 * Model: L=4, W=10, KV=1, C=10 -> S=20; A=4; P=100; E_in=5; E_out=7.
 * d0: M=100, B=10, F=100 -> tau = max(20/10, 100/100) = 2, head 7/10.
 * d1: M=50,  B=20, F=10  -> tau = max(20/20, 100/10) = 10, head 7/20.
 * Link n0-n1: alpha 0.5, beta 4 -> hop = 0.5 + 4/4 = 1.5.
 */
static void
small(struct pl_cluster *c, struct pl_model *m, uint64_t m0)
{
	struct pl_device	d;
	size_t			n0, n1;

	memset(m, 0, sizeof *m);
	(void)strcpy(m->name, "small");
	m->layers = 4;
	m->layer_bytes = 10;
	m->kv_bytes_per_token_per_layer = 1;
	m->activation_bytes = 4;
	m->flops_per_token_per_layer = 100;
	m->embed_bytes = 5;
	m->head_bytes = 7;
	m->dtype = PL_DT_FP16;
	pl_cluster_init(c);
	assert_int_equal(pl_cluster_node(c, "n0", &n0), 0);
	assert_int_equal(pl_cluster_node(c, "n1", &n1), 0);
	memset(&d, 0, sizeof d);
	(void)strcpy(d.id, "d0");
	d.node = n0;
	d.memory_bytes = m0;
	d.bandwidth = 10;
	d.flops = 100;
	d.dtypes = PL_DT_BIT(PL_DT_FP16);
	d.eligible = 1;
	assert_int_equal(pl_cluster_add_device(c, &d), 0);
	(void)strcpy(d.id, "d1");
	d.node = n1;
	d.memory_bytes = 50;
	d.bandwidth = 20;
	d.flops = 10;
	assert_int_equal(pl_cluster_add_device(c, &d), 0);
	assert_int_equal(pl_cluster_add_link(c, n0, n1, 0.5, 4), 0);
}

/* v1's setting: ring, no reserve, the whole context read (fill = C). */
static void
ring_req(struct pl_request *r, uint64_t ctx)
{
	pl_request_init(r);
	r->engine = PL_ENGINE_RING;
	r->reserve = 0;
	r->context = ctx;
	r->prompt = ctx;
}

static void
solve(const struct pl_cluster *c, const struct pl_model *m, int want_rc,
    struct pl_plan *p, char *err, size_t errlen)
{
	struct pl_solve_opts	o;

	pl_solve_opts_init(&o);
	ring_req(&o.req, 10);
	o.budget_ms = -1;
	assert_int_equal(pl_solve(c, m, &o, p, err, errlen), want_rc);
}

static void
test_cost_formulas(void **state)
{
	struct pl_cluster	c;
	struct pl_model		m;
	struct pl_stage		st[2];
	struct pl_request	r;
	uint64_t		mem;
	double			t;
	char			err[256];

	(void)state;
	small(&c, &m, 100);
	ring_req(&r, 10);
	NEAR(pl_cost_tau(&c.devices[0], 20, 100), 2);
	NEAR(pl_cost_tau(&c.devices[1], 20, 100), 10);
	NEAR(pl_cost_edge(&c, &m, &r, 0, 1), 1.5);
	NEAR(pl_cost_close(&c, &m, &r, 1, 0), 1.5);
	NEAR(pl_cost_head(&c.devices[0], &m), 0.7);
	NEAR(pl_cost_head(&c.devices[1], &m), 0.35);
	NEAR(pl_cost_only(&c, &m, &r, 0), 0);
	assert_int_equal(pl_cost_stage_memory(&m, 20, 3, 1, 0, &mem), 0);
	assert_int_equal(mem, 65);
	assert_int_equal(pl_cost_stage_memory(&m, 20, 4, 1, 1, &mem), 0);
	assert_int_equal(mem, 92);
	assert_int_equal(pl_cost_stage_memory(&m, UINT64_MAX / 2, 3, 0, 0,
	    &mem), -1);

	/* [d0: 3 layers][d1: 1 layer]: 3*2 + 1*10 + 2*1.5 + head(d1). */
	st[0] = (struct pl_stage){ 0, 0, 3, 65 };
	st[1] = (struct pl_stage){ 1, 3, 4, 27 };
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 2, &t, err,
	    sizeof err), 0);
	NEAR(t, 19.35);
	/* One stage: 4*2 = 8, no hops, the head on d0. */
	st[0] = (struct pl_stage){ 0, 0, 4, 92 };
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 1, &t, err,
	    sizeof err), 0);
	NEAR(t, 8.7);
	/* Head FLOPs: max(7/10, 30/100) on d0, max(7/20, 30/10) on d1. */
	m.head_flops_per_token = 30;
	NEAR(pl_cost_head(&c.devices[0], &m), 0.7);
	NEAR(pl_cost_head(&c.devices[1], &m), 3);
	m.head_flops_per_token = 0;
	/* Violations are named. */
	st[0] = (struct pl_stage){ 1, 0, 4, 92 };
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 1, &t, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "do not fit"));
	st[0] = (struct pl_stage){ 0, 0, 2, 45 };
	st[1] = (struct pl_stage){ 0, 2, 4, 47 };
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 2, &t, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "used twice"));
	st[0] = (struct pl_stage){ 0, 0, 2, 45 };
	st[1] = (struct pl_stage){ 1, 2, 3, 27 };
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 2, &t, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "covers 3 of 4"));
	/* The reserve: 92 bytes do not fit 90 % of 100. */
	r.reserve = 0.1;
	st[0] = (struct pl_stage){ 0, 0, 4, 92 };
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 1, &t, err,
	    sizeof err), -1);
	assert_int_equal(pl_device_capacity(&c.devices[0], 0.1), 90);
	/* Booked bytes come off after the reserve. */
	c.devices[0].booked_bytes = 15;
	assert_int_equal(pl_device_capacity(&c.devices[0], 0.1), 75);
	assert_int_equal(pl_device_capacity(&c.devices[0], 0.9), 0);
	pl_cluster_free(&c);
}

/*
 * v2 terms on the small cluster: the KV read at the average fill, the
 * llama.cpp star through the client, shared memory pools.
 */
static void
test_cost_v2(void **state)
{
	struct pl_cluster	c;
	struct pl_model		m;
	struct pl_stage		st[2];
	struct pl_request	r;
	double			t, I = PL_INTRA_LATENCY_S, IB = PL_INTRA_BANDWIDTH;
	char			err[256];

	(void)state;
	small(&c, &m, 100);
	pl_request_init(&r);
	r.context = 10;
	/* prompt = generate = 0: half the context, W + KV*5 = 15 read. */
	NEAR(pl_request_fill(&r), 5);
	r.prompt = 4;
	r.generate = 6;
	NEAR(pl_request_fill(&r), 7);
	r.generate = 7;
	assert_int_equal(pl_request_check(&c, &r, err, sizeof err), -1);
	r.prompt = r.generate = 0;
	r.reserve = 0;
	/*
	 * llama.cpp, client n0, 2A = 8 bytes f32, no vocabulary: 4 bytes
	 * back.  open(d0) = 2I + I + 8/IB; edge(d0, d1) = I + 8/IB (to the
	 * client) + 2*0.5 (command) + 0.5 + 8/4; close(d1) = 0.5 + 4/4.
	 */
	NEAR(pl_cost_open(&c, &m, &r, 0), 3 * I + 8 / IB);
	NEAR(pl_cost_edge(&c, &m, &r, 0, 1), I + 8 / IB + 3.5);
	NEAR(pl_cost_edge(&c, &m, &r, 1, 0), 2.5 + 3 * I + 8 / IB);
	NEAR(pl_cost_close(&c, &m, &r, 1, 0), 1.5);
	/* 4 * 8 bytes of logits with a vocabulary of 8. */
	m.vocab = 8;
	NEAR(pl_cost_close(&c, &m, &r, 1, 0), 0.5 + 32.0 / 4);
	m.vocab = 0;
	/*
	 * [d0 3][d1 1]: tau at 15 bytes read is max(1.5, 1) = 1.5 on d0 and
	 * 10 on d1: 4.5 + 10 + head(d1) 0.35 + comm; the input embedding
	 * stays on the client, so d0 holds 3 * 20 = 60.
	 */
	st[0] = (struct pl_stage){ 0, 0, 3, 60 };
	st[1] = (struct pl_stage){ 1, 3, 4, 27 };
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 2, &t, err,
	    sizeof err), 0);
	NEAR(t, 14.85 + 3 * I + 8 / IB + I + 8 / IB + 3.5 + 1.5);
	/* A pool of both: 87 bytes > the larger member's 100 - 20 booked. */
	c.devices[0].pool = c.devices[1].pool = 3;
	c.devices[1].booked_bytes = 20;
	assert_int_equal(pl_pool_capacity(&c, 3, 0), 80);
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 2, &t, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "pool"));
	c.devices[1].booked_bytes = 0;
	assert_int_equal(pl_cost_evaluate(&c, &m, &r, st, 2, &t, err,
	    sizeof err), 0);
	pl_cluster_free(&c);
}

/* The solver picks the direction: the head goes where it is cheapest. */
static void
test_direction(void **state)
{
	struct pl_cluster	c;
	struct pl_model		m;
	struct pl_solve_opts	o;
	struct pl_plan		p;
	char			err[256];
	double			I = PL_INTRA_LATENCY_S, IB = PL_INTRA_BANDWIDTH;

	(void)state;
	/*
	 * llama.cpp, M0 = 80: d0 cannot hold all 4 layers and the head.
	 * [d0 3][d1 1] = 3*2 + 10 + 0.35 + 3I + 8/IB + I + 8/IB + 3.5 + 1.5;
	 * [d1 1][d0 3] = 16 + 0.7 + 3.5 + 2.5 + 3I + 8/IB + I + 4/IB.
	 */
	small(&c, &m, 80);
	pl_solve_opts_init(&o);
	o.req.context = 10;
	o.req.prompt = 10;
	o.req.reserve = 0;
	o.budget_ms = -1;
	assert_int_equal(pl_solve(&c, &m, &o, &p, err, sizeof err), PL_OK);
	assert_int_equal(p.nstages, 2);
	assert_int_equal(p.stages[0].device, 0);
	assert_int_equal(p.stages[0].layer_end, 3);
	NEAR(p.latency_s, 21.35 + 4 * I + 16 / IB);
	assert_true(p.optimal);
	pl_plan_free(&p);
	/*
	 * A client on n1 makes the reverse direction win: [d1 1][d0 3] =
	 * 16 + 0.7 + 3I + 8/IB + I + 8/IB + 2*0.5 + 2.5 + close 0.5 + 4/4.
	 */
	o.req.client = 1;
	assert_int_equal(pl_solve(&c, &m, &o, &p, err, sizeof err), PL_OK);
	assert_int_equal(p.nstages, 2);
	assert_int_equal(p.stages[0].device, 1);
	NEAR(p.latency_s, 21.7 + 4 * I + 16 / IB);
	pl_plan_free(&p);
	pl_cluster_free(&c);
}

static void
test_solver_small(void **state)
{
	struct pl_cluster	c;
	struct pl_model		m;
	struct pl_plan		p;
	char			err[256];

	(void)state;
	/* d0 alone holds all 92 bytes: one stage, T = 8 + head 0.7. */
	small(&c, &m, 100);
	solve(&c, &m, PL_OK, &p, err, sizeof err);
	assert_int_equal(p.nstages, 1);
	assert_int_equal(p.stages[0].device, 0);
	assert_int_equal(p.stages[0].memory_bytes, 92);
	NEAR(p.latency_s, 8.7);
	assert_true(p.optimal);
	NEAR(p.lower_bound_s, 8.7);
	pl_plan_free(&p);
	pl_cluster_free(&c);

	/*
	 * M0 = 80 < 92: two stages.  d0 first holds (80-5)/20 = 3 layers,
	 * d1 last holds (50-7)/20 = 2; greedy gives d0 3, d1 1:
	 * 3*2 + 10 + 2*1.5 + head(d1) 0.35 = 19.35.  The reverse ring has
	 * the same hops and split but the head on d0: 19.7.
	 */
	small(&c, &m, 80);
	solve(&c, &m, PL_OK, &p, err, sizeof err);
	assert_int_equal(p.nstages, 2);
	assert_int_equal(p.stages[0].device, 0);
	NEAR(p.latency_s, 19.35);
	assert_true(p.optimal);
	pl_plan_free(&p);

	/* No link: the two cannot be adjacent. */
	c.nlinks = 0;
	solve(&c, &m, PL_INFEASIBLE, &p, err, sizeof err);
	assert_non_null(strstr(err, "not linked"));

	/* Ineligible or wrong dtype. */
	c.devices[0].eligible = 0;
	c.devices[1].eligible = 0;
	solve(&c, &m, PL_INFEASIBLE, &p, err, sizeof err);
	assert_string_equal(err, "no eligible devices");
	c.devices[0].eligible = 1;
	c.devices[0].dtypes = PL_DT_BIT(PL_DT_Q4_0);
	solve(&c, &m, PL_INFEASIBLE, &p, err, sizeof err);
	assert_string_equal(err, "no eligible device supports dtype fp16");
	pl_cluster_free(&c);
}

static void
test_infeasible_message(void **state)
{
	struct pl_cluster	c;
	struct pl_model		m;
	struct pl_device	d;
	struct pl_solve_opts	o;
	struct pl_plan		p;
	size_t			n;
	char			err[256];

	(void)state;
	assert_int_equal(pl_catalog_find("llama-3.1-405b:fp16", &m), 0);
	pl_cluster_init(&c);
	assert_int_equal(pl_cluster_node(&c, "a", &n), 0);
	memset(&d, 0, sizeof d);
	(void)strcpy(d.id, "gpu");
	d.node = n;
	d.memory_bytes = 96000000000ULL;
	d.bandwidth = 1e12;
	d.flops = 1e14;
	d.dtypes = PL_DT_BIT(PL_DT_FP16);
	d.eligible = 1;
	assert_int_equal(pl_cluster_add_device(&c, &d), 0);
	pl_solve_opts_init(&o);
	assert_int_equal(pl_solve(&c, &m, &o, &p, err, sizeof err),
	    PL_INFEASIBLE);
	/* 126 * (6375936000 + 4096*4096) + E_out ~= 810 GB (llama.cpp:
	 * the input embedding stays on the client). */
	assert_string_equal(err, "llama-3.1-405b:fp16 needs 810 GB for 126 "
	    "layers at context 4096, eligible devices offer 86 GB (after a "
	    "10% reserve)");
	pl_cluster_free(&c);
}

static void
test_catalog(void **state)
{
	struct pl_model		m;
	const struct pl_arch	*a;
	double			total;
	size_t			i;

	(void)state;
	assert_int_equal(pl_catalog_count(), 15);
	assert_int_equal(pl_catalog_find("llama-3-8b", &m), 0);
	assert_string_equal(m.name, "llama-3-8b:fp16");
	/* 2*4096^2 + 2*4096*1024 + 3*4096*14336 + 2*4096 = 218112000. */
	assert_int_equal(m.layer_bytes, 2 * 218112000ULL);
	assert_int_equal(m.kv_bytes_per_token_per_layer, 4096);
	assert_int_equal(m.activation_bytes, 8192);
	NEAR(m.flops_per_token_per_layer, 2 * 218112000.0);
	assert_int_equal(m.embed_bytes, 128256ULL * 4096 * 2);
	assert_int_equal(m.head_bytes, (128256ULL * 4096 + 4096) * 2);
	assert_int_equal(pl_catalog_find("LLAMA-3-8B:Q4_0", &m), 0);
	assert_int_equal(m.layer_bytes, 218112000ULL * 18 / 32);
	assert_int_equal(m.dtype, PL_DT_Q4_0);
	assert_int_equal(pl_catalog_find("llama-3-8b:q8_0", &m), 0);
	assert_int_equal(m.layer_bytes, 218112000ULL * 34 / 32);
	assert_int_equal(pl_catalog_find("llama-3-8b:bf16", &m), -1);
	assert_int_equal(pl_catalog_find("gpt-5", &m), -1);
	assert_int_equal(pl_catalog_find("", &m), -1);

	/* Parameter totals match the published model sizes within 1%. */
	static const struct {
		const char	*name;
		double		 params;
	} want[] = {
		{ "llama-3-8b", 8.03e9 }, { "llama-3-70b", 70.6e9 },
		{ "llama-3.1-405b", 405.9e9 }, { "mistral-7b", 7.24e9 },
		{ "qwen2.5-72b", 72.7e9 },
	};
	assert_int_equal(pl_catalog_arch_count(), 5);
	for (i = 0; i < 5; i++) {
		a = pl_catalog_arch(i);
		assert_string_equal(a->name, want[i].name);
		total = (double)pl_arch_layer_params(a) * a->layers +
		    2.0 * (double)a->vocab * (double)a->hidden;
		assert_true(fabs(total / want[i].params - 1) < 0.01);
	}
	assert_null(pl_catalog_arch(5));
}

static void
test_baseline(void **state)
{
	struct pl_cluster	c;
	struct pl_model		m;
	struct pl_plan		p, q;
	struct pl_device	d;
	struct pl_request	r;
	char			err[256];

	(void)state;
	/*
	 * Memory 100 and 50: quotas 4*100/150 = 2.67, 1.33 -> floors 2, 1,
	 * the larger remainder gets the 4th layer: [3, 1] -> T = 19.35.
	 */
	small(&c, &m, 100);
	ring_req(&r, 10);
	assert_int_equal(pl_baseline(&c, &m, &r, &p, err, sizeof err), PL_OK);
	assert_int_equal(p.nstages, 2);
	assert_int_equal(p.stages[0].device, 0);
	assert_int_equal(p.stages[0].layer_end, 3);
	NEAR(p.latency_s, 19.35);
	/*
	 * llama.cpp's default over d0, d1 with memory 100, 100: 5 slots,
	 * running shares 0.5, 1: slots 0-2 (0, 0.2, 0.4) to d0, slot 3
	 * (0.6) and the output (0.8) to d1: [3, 1], 19.35 again.
	 */
	c.devices[1].memory_bytes = 100;
	assert_int_equal(pl_baseline_llama(&c, &m, &r, &p, &q, err,
	    sizeof err), PL_OK);
	assert_int_equal(q.nstages, 2);
	assert_int_equal(q.stages[0].layer_end, 3);
	NEAR(q.latency_s, 19.35);
	pl_plan_free(&q);
	/* With 100 and 50 every block lands on d0: the output alone. */
	c.devices[1].memory_bytes = 50;
	assert_int_equal(pl_baseline_llama(&c, &m, &r, &p, &q, err,
	    sizeof err), PL_INFEASIBLE);
	pl_plan_free(&p);

	/*
	 * Add d2 (M=30) on n1: quotas 4*100/180, 4*50/180, 4*30/180 =
	 * 2.22, 1.11, 0.67 -> floors [2, 1, 0], remainder to d2 -> [2, 1, 1]
	 * in the order d0, d1, d2.
	 */
	d = c.devices[1];
	(void)strcpy(d.id, "d2");
	d.memory_bytes = 30;
	assert_int_equal(pl_cluster_add_device(&c, &d), 0);
	assert_int_equal(pl_baseline(&c, &m, &r, &p, err, sizeof err), PL_OK);
	assert_int_equal(p.nstages, 3);
	assert_int_equal(p.stages[0].layer_end - p.stages[0].layer_start, 2);
	assert_int_equal(p.stages[1].layer_end - p.stages[1].layer_start, 1);
	assert_int_equal(p.stages[2].device, 2);
	/* 2*2 + 10 + 10 + hops 1.5 + intra(n1) + 1.5 + head(d2) 0.35. */
	NEAR(p.latency_s, 24.35 + 3 + PL_INTRA_LATENCY_S +
	    4 / PL_INTRA_BANDWIDTH);
	pl_plan_free(&p);

	/* d2 cannot hold a layer plus the head (20 + 7 > 25): null. */
	c.devices[2].memory_bytes = 25;
	assert_int_equal(pl_baseline(&c, &m, &r, &p, err, sizeof err),
	    PL_INFEASIBLE);
	pl_cluster_free(&c);
}

static double fake_now;

static double
fake_clock(void *ctx)
{
	(void)ctx;
	fake_now += 1000;	/* every read is a second later */
	return fake_now;
}

static void
test_budget(void **state)
{
	struct pl_cluster	c;
	struct pl_model		m;
	struct pl_device	d;
	struct pl_solve_opts	o;
	struct pl_plan		p;
	size_t			i, n;
	char			err[256], name[16];
	double			lat;

	(void)state;
	assert_int_equal(pl_catalog_find("llama-3-70b:q4_0", &m), 0);
	pl_cluster_init(&c);
	for (i = 0; i < 20; i++) {
		(void)snprintf(name, sizeof name, "n%zu", i);
		assert_int_equal(pl_cluster_node(&c, name, &n), 0);
		memset(&d, 0, sizeof d);
		(void)snprintf(d.id, sizeof d.id, "g%zu", i);
		d.node = n;
		d.memory_bytes = (8 + 4 * (i % 5)) * 1000000000ULL;
		d.bandwidth = (300 + 50 * (double)(i % 7)) * 1e9;
		d.flops = 3e13;
		d.dtypes = PL_DT_BIT(PL_DT_Q4_0);
		d.eligible = 1;
		assert_int_equal(pl_cluster_add_device(&c, &d), 0);
	}
	for (i = 0; i < 20; i++)
		for (n = i + 1; n < 20; n++)
			assert_int_equal(pl_cluster_add_link(&c, i, n,
			    1e-5 * (double)(1 + (i * 7 + n * 3) % 11), 1e9), 0);
	/* A clock that has always run out: greedy answer, honest bound. */
	pl_solve_opts_init(&o);
	o.clock_ms = fake_clock;
	o.budget_ms = 0;
	assert_int_equal(pl_solve(&c, &m, &o, &p, err, sizeof err), PL_OK);
	assert_int_equal(pl_cost_evaluate(&c, &m, &o.req, p.stages,
	    p.nstages, &lat, err, sizeof err), 0);
	NEAR(lat, p.latency_s);
	assert_true(p.lower_bound_s <= p.latency_s);
	assert_true(p.lower_bound_s > 0);
	pl_plan_free(&p);
	/* Unlimited: proven optimal, no worse than the greedy one. */
	o.clock_ms = NULL;
	o.budget_ms = -1;
	assert_int_equal(pl_solve(&c, &m, &o, &p, err, sizeof err), PL_OK);
	assert_true(p.optimal);
	assert_true(p.latency_s <= lat * (1 + 1e-12));
	NEAR(p.lower_bound_s, p.latency_s);
	pl_plan_free(&p);
	pl_cluster_free(&c);
}

static void
test_thermal_curves(void **state)
{
	struct pl_thermal	t = { 25, 25, 95, 0.5, 100, 100, 0 };

	(void)state;
	assert_int_equal(pl_thermal_valid(&t), 0);
	/* Heating: RC = 50 s, steady state 75: 75 - 50/e at t = 50. */
	NEAR(pl_thermal_temp_at(&t, 100, 0), 25);
	NEAR(pl_thermal_temp_at(&t, 100, 50), 75 - 50 * exp(-1));
	NEAR(pl_thermal_temp_at(&t, 100, 1e6), 75);
	/* 65 C is reached at -50 ln((65-75)/(25-75)) = 50 ln 5. */
	NEAR(pl_thermal_time_to(&t, 100, 65), 50 * log(5));
	assert_true(isinf(pl_thermal_time_to(&t, 100, 80)));
	/* Cooling from 80 with no load: 25 + 55/e after one RC. */
	t.temperature_c = 80;
	NEAR(pl_thermal_temp_at(&t, 0, 50), 25 + 55 * exp(-1));
	NEAR(pl_thermal_time_to(&t, 0, 25 + 55 * exp(-2)), 100);
	assert_true(isinf(pl_thermal_time_to(&t, 0, 20)));
	assert_true(pl_thermal_time_to(&t, 0, 90) == 0);
	t.r_c_per_w = 0;
	assert_int_equal(pl_thermal_valid(&t), -1);
	t.r_c_per_w = NAN;
	assert_int_equal(pl_thermal_valid(&t), -1);
}

static void
test_thermal_hysteresis(void **state)
{
	(void)state;
	/* Throttle 95: pause at 90, resume at 80. */
	NEAR(pl_thermal_pause_c(95), 90);
	NEAR(pl_thermal_resume_c(95), 80);
	assert_int_equal(pl_thermal_step(0, 89.9, 95), 0);
	assert_int_equal(pl_thermal_step(0, 90, 95), 1);
	assert_int_equal(pl_thermal_step(1, 85, 95), 1);	/* still hot */
	assert_int_equal(pl_thermal_step(1, 80.1, 95), 1);
	assert_int_equal(pl_thermal_step(1, 80, 95), 0);	/* resumed */
	assert_int_equal(pl_thermal_step(0, 85, 95), 0);	/* no flap */
}

static void
test_thermal_assess(void **state)
{
	struct pl_thermal	t = { 60, 25, 95, 0.5, 100, 200, 0 };
	struct pl_thermal	low;
	double			f;

	(void)state;
	/* Short job: T(10 s) = 125 - 65 e^-0.2 = 71.8 < 90: full speed. */
	assert_int_equal(pl_thermal_assess(&t, 10, &f), PL_THERMAL_OK);
	NEAR(f, 1);
	/*
	 * 600 s at 200 W heads for 125 C: derate to the power that ends the
	 * job exactly at the pause point, (90-25-35e)/(100(1-e)), e=e^-12.
	 */
	assert_int_equal(pl_thermal_assess(&t, 600, &f), PL_THERMAL_DERATE);
	NEAR(f, (65 - 35 * exp(-12)) / (100 * (1 - exp(-12))));
	NEAR(pl_thermal_temp_at(&t, f * 200, 600), 90);
	/* 1 kW would need 13% power: excluded. */
	t.power_w = 1000;
	assert_int_equal(pl_thermal_assess(&t, 600, &f), PL_THERMAL_EXCLUDE);
	assert_true(f == 0);
	/* Paused at 85 (resume is 80): excluded even for a short job. */
	t.power_w = 200;
	t.temperature_c = 85;
	t.paused = 1;
	assert_int_equal(pl_thermal_assess(&t, 1, &f), PL_THERMAL_EXCLUDE);
	t.temperature_c = 79;
	assert_int_equal(pl_thermal_assess(&t, 1, &f), PL_THERMAL_OK);
	/* Running at 91 >= pause point: excluded. */
	low = t;
	low.paused = 0;
	low.temperature_c = 91;
	assert_int_equal(pl_thermal_assess(&low, 1, &f), PL_THERMAL_EXCLUDE);
}

static void
test_thermal_apply(void **state)
{
	struct pl_cluster	c, out;
	struct pl_model		m;
	struct pl_thermal	hot = { 60, 25, 95, 0.5, 100, 200, 0 };
	double			f[2];

	(void)state;
	small(&c, &m, 100);
	c.devices[0].has_thermal = 1;
	c.devices[0].thermal = hot;
	assert_int_equal(pl_cluster_apply_thermal(&c, 600, &out, f), 0);
	assert_true(f[0] > 0.6 && f[0] < 0.7);
	NEAR(f[1], 1);
	NEAR(out.devices[0].flops, 100 * f[0]);
	NEAR(out.devices[0].bandwidth, 10 * f[0]);
	assert_int_equal(out.devices[0].eligible, 1);
	assert_int_equal(out.devices[0].has_thermal, 0);
	pl_cluster_free(&out);
	c.devices[0].thermal.paused = 1;
	c.devices[0].thermal.temperature_c = 85;
	assert_int_equal(pl_cluster_apply_thermal(&c, 600, &out, f), 0);
	assert_int_equal(out.devices[0].eligible, 0);
	assert_true(f[0] == 0);
	pl_cluster_free(&out);
	pl_cluster_free(&c);
}

static void
test_dtype_names(void **state)
{
	enum pl_dtype	dt;
	int		i;

	(void)state;
	for (i = 0; i < PL_DT_COUNT; i++) {
		assert_int_equal(pl_dtype_parse(pl_dtype_name(
		    (enum pl_dtype)i), &dt), 0);
		assert_int_equal(dt, i);
	}
	assert_int_equal(pl_dtype_parse("FP16", &dt), -1);
	assert_null(pl_dtype_name(PL_DT_COUNT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_formulas),
		cmocka_unit_test(test_cost_v2),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_solver_small),
		cmocka_unit_test(test_infeasible_message),
		cmocka_unit_test(test_catalog),
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_thermal_curves),
		cmocka_unit_test(test_thermal_hysteresis),
		cmocka_unit_test(test_thermal_assess),
		cmocka_unit_test(test_thermal_apply),
		cmocka_unit_test(test_dtype_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
