/*
 * test_snapshot.c - gossiped node records to a placement problem
 * (agent/ag_snapshot.c).
 *
 * Hand-made records with every expected figure worked out in the
 * comments: memory after the reserve, the dtype mapping, battery,
 * temperature and allow-list eligibility, links merged from both sides'
 * reports.  Then the snapshot goes through the real solver with a catalog
 * model, to show the plan only uses eligible devices and that a node pair
 * nobody reported a link for is never adjacent in the ring - unless both
 * publish a network coordinate, when the estimate links them.  Odd records
 * (bad counts, unterminated strings, NaN/inf/zero figures) must be
 * survived and their devices dropped with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ag_record.h"
#include "ag_snapshot.h"
#include "be_device.h"
#include "pl_cluster.h"
#include "pl_cost.h"
#include "pl_model.h"
#include "pl_solve.h"
#include "net_vivaldi.h"
#include "sec_identity.h"

/* Node ids: 26 characters of [a-z2-7], as sec_identity makes them. */
#define NA	"aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NB	"bbbbbbbbbbbbbbbbbbbbbbbbbb"
#define NC	"cccccccccccccccccccccccccc"
#define UUID	"uuid-12345678-1234-1234-1234-123456789abc"

#define FP32_FAMILY	(PL_DT_BIT(PL_DT_FP32) | PL_DT_BIT(PL_DT_FP16) | \
	PL_DT_BIT(PL_DT_BF16) | PL_DT_BIT(PL_DT_Q8_0) | PL_DT_BIT(PL_DT_Q4_0) | \
	PL_DT_BIT(PL_DT_GGML_QUANT))

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-12 * fmax(1, fabs(b));
}
#define NEAR(a, b)	assert_true(near((double)(a), (double)(b)))

static struct ag_record_device *
add_dev(struct ag_record *r, const char *id, const char *type,
    uint64_t total, double free_b, double bw, double flops, uint32_t dt,
    double temp)
{
	struct ag_record_device	*d = &r->devices[r->ndevices++];

	memset(d, 0, sizeof *d);
	(void)snprintf(d->id, sizeof d->id, "%s", id);
	(void)snprintf(d->name, sizeof d->name, "dev %s", id);
	(void)snprintf(d->type, sizeof d->type, "%s", type);
	d->memory_total_bytes = total;
	d->memory_free_bytes = free_b;
	d->memory_bandwidth = bw;
	d->flops = flops;
	d->dtypes = dt;
	d->apis = BE_API_VULKAN;
	d->temperature_celsius = temp;
	return d;
}

static void
add_link(struct ag_record *r, const char *peer, double rtt, double bw)
{
	struct ag_record_link	*l = &r->links[r->nlinks++];

	memset(l, 0, sizeof *l);
	(void)snprintf(l->peer, sizeof l->peer, "%s", peer);
	(void)snprintf(l->addr, sizeof l->addr, "192.0.2.%d", r->nlinks);
	l->rtt_s = rtt;
	l->bandwidth = bw;
}

/*
 * A: desktop on AC.  dev0 fp32+fp16, free 20e9 -> 18e9 usable; dev1
 *    fp16+int8 at 95 C (too hot), free unknown -> 12e9 * 0.9 = 10.8e9;
 *    cpu without a bandwidth figure (dropped).
 * B: laptop on battery at 10 % (ineligible), one fp32 device with a long
 *    uuid id (the node id part gets shortened).
 * C: mac on battery at 80 %, gpu-0 fp32+fp16+fp64 (27e9 usable), npu
 *    with zero FLOP/s (dropped).
 * Links: A says B 2 ms / 100 MB/s, C 0.4 ms / 1 GB/s, plus an unknown
 * peer and itself; B says A 1 ms / ?, C ? / ?; C says A 0.6 ms / 500 MB/s.
 */
static struct ag_record	ra, rb, rc;

static void
three(struct ag_snapshot_node nodes[3])
{
	ag_record_init(&ra);
	(void)strcpy(ra.name, "box1");
	ra.on_ac = 1;
	(void)add_dev(&ra, "pci-0000:01:00.0", "gpu", 24000000000ull, 20e9,
	    1008e9, 82.6e12, BE_DTYPE_FP32 | BE_DTYPE_FP16, 60);
	(void)add_dev(&ra, "pci-0000:02:00.0", "gpu", 12000000000ull, NAN,
	    448e9, 20e12, BE_DTYPE_FP16 | BE_DTYPE_INT8, 95);
	(void)add_dev(&ra, "cpu", "cpu", 64000000000ull, 32e9, NAN, 1e12,
	    BE_DTYPE_FP32 | BE_DTYPE_FP64, NAN);
	add_link(&ra, NB, 2e-3, 100e6);
	add_link(&ra, NC, 4e-4, 1e9);
	add_link(&ra, "zzzzzzzzzzzzzzzzzzzzzzzzzz", 1e-4, 1e9);
	add_link(&ra, NA, 1e-6, 1e12);

	ag_record_init(&rb);
	(void)strcpy(rb.name, "laptop");
	rb.on_ac = 0;
	rb.battery_ratio = 0.10;
	(void)add_dev(&rb, UUID, "gpu", 16000000000ull, 8e9, 100e9, 5e12,
	    BE_DTYPE_FP32, 50);
	add_link(&rb, NA, 1e-3, NAN);
	add_link(&rb, NC, NAN, NAN);

	ag_record_init(&rc);
	(void)strcpy(rc.name, "mac");
	rc.on_ac = 0;
	rc.battery_ratio = 0.80;
	(void)add_dev(&rc, "gpu-0", "integrated", 32000000000ull, 30e9,
	    400e9, 10e12, BE_DTYPE_FP32 | BE_DTYPE_FP16 | BE_DTYPE_FP64, NAN);
	(void)add_dev(&rc, "npu", "other", 8000000000ull, 4e9, 60e9, 0,
	    BE_DTYPE_INT8, NAN);
	add_link(&rc, NA, 6e-4, 5e8);

	nodes[0].node_id = NA;
	nodes[0].rec = &ra;
	nodes[1].node_id = NB;
	nodes[1].rec = &rb;
	nodes[2].node_id = NC;
	nodes[2].rec = &rc;
}

static const struct pl_device *
dev(const struct pl_cluster *c, const char *id)
{
	size_t	i;

	for (i = 0; i < c->ndevices; i++)
		if (strcmp(c->devices[i].id, id) == 0)
			return &c->devices[i];
	fail_msg("no device %s", id);
	return NULL;
}

static size_t
node(const struct pl_cluster *c, const char *name)
{
	size_t	i;

	assert_int_equal(pl_cluster_find_node(c, name, &i), 0);
	return i;
}

static void
test_build_three(void **state)
{
	struct ag_snapshot_node	 nodes[3];
	struct ag_snapshot_opts	 o;
	struct pl_cluster	 c;
	const struct pl_device	*d;
	const struct pl_link	*l;
	size_t			 nd, a, b, cc, i;
	char			 err[256];

	(void)state;
	assert_int_equal(strlen(NA), 26);
	three(nodes);
	ag_snapshot_opts_init(&o);
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, &nd, err,
	    sizeof err), 0);
	/* cpu (no bandwidth) and npu (zero FLOP/s) are left out. */
	assert_int_equal(nd, 2);
	assert_string_equal(err, NA "/cpu: no measured figures; run `exogpu "
	    "devices --bench` on that node");
	assert_int_equal(c.ndevices, 4);
	assert_int_equal(c.nnodes, 3);
	a = node(&c, NA);
	b = node(&c, NB);
	cc = node(&c, NC);
	for (i = 0; i < c.nnodes; i++) {
		NEAR(c.nodes[i].intra_latency_s, PL_INTRA_LATENCY_S);
		NEAR(c.nodes[i].intra_bandwidth, PL_INTRA_BANDWIDTH);
	}

	d = dev(&c, NA "/pci-0000:01:00.0");
	assert_int_equal(d->node, a);
	assert_int_equal(d->memory_bytes, 18000000000ull);	/* 20e9*0.9 */
	NEAR(d->bandwidth, 1008e9);
	NEAR(d->flops, 82.6e12);
	assert_int_equal(d->dtypes, FP32_FAMILY);
	assert_true(d->eligible);
	assert_false(d->has_thermal);

	d = dev(&c, NA "/pci-0000:02:00.0");
	assert_int_equal(d->node, a);
	assert_int_equal(d->memory_bytes, 10800000000ull);	/* 12e9*0.9 */
	NEAR(d->bandwidth, 448e9);
	NEAR(d->flops, 20e12);
	assert_int_equal(d->dtypes,
	    PL_DT_BIT(PL_DT_FP16) | PL_DT_BIT(PL_DT_INT8));
	assert_false(d->eligible);				/* 95 > 90 */

	/* 26 + 1 + 41 > 63: the node id is cut to 63 - 1 - 41 = 21. */
	d = dev(&c, "bbbbbbbbbbbbbbbbbbbbb/" UUID);
	assert_int_equal(strlen(d->id), PL_NAME_MAX - 1);
	assert_int_equal(d->node, b);
	assert_int_equal(d->memory_bytes, 7200000000ull);	/* 8e9*0.9 */
	assert_int_equal(d->dtypes, FP32_FAMILY);
	assert_false(d->eligible);				/* battery */

	d = dev(&c, NC "/gpu-0");
	assert_int_equal(d->node, cc);
	assert_int_equal(d->memory_bytes, 27000000000ull);	/* 30e9*0.9 */
	NEAR(d->bandwidth, 400e9);
	NEAR(d->flops, 10e12);
	assert_int_equal(d->dtypes, FP32_FAMILY);		/* fp64: none */
	assert_true(d->eligible);				/* 80 % */
	/* An integrated GPU shares its node's DRAM: a memory pool. */
	assert_int_equal(d->pool, (uint32_t)cc + 1);
	assert_int_equal(dev(&c, NA "/pci-0000:01:00.0")->pool, 0);

	/* Unknown peer and self-report ignored: three links. */
	assert_int_equal(c.nlinks, 3);
	/* A-B: min(2 ms, 1 ms) / 2; only A knows the bandwidth. */
	assert_non_null(l = pl_cluster_link(&c, a, b));
	NEAR(l->latency_s, 0.5e-3);
	NEAR(l->bandwidth, 100e6);
	/* A-C: min(0.4 ms, 0.6 ms) / 2; min(1 GB/s, 500 MB/s). */
	assert_non_null(l = pl_cluster_link(&c, a, cc));
	NEAR(l->latency_s, 0.2e-3);
	NEAR(l->bandwidth, 500e6);
	/* B-C: reported by B with no figures: the defaults. */
	assert_non_null(l = pl_cluster_link(&c, b, cc));
	NEAR(l->latency_s, AG_SNAPSHOT_DEFAULT_LATENCY_S);
	NEAR(l->bandwidth, AG_SNAPSHOT_DEFAULT_BANDWIDTH);
	pl_cluster_free(&c);

	/* No opts: the same defaults; no err buffer is fine. */
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, NULL,
	    0), 0);
	assert_int_equal(c.ndevices, 4);
	assert_int_equal(dev(&c, NC "/gpu-0")->memory_bytes, 27000000000ull);
	pl_cluster_free(&c);

	/* Reserve 0: the free bytes as they are. */
	o.reserve_ratio = 0;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), 0);
	assert_int_equal(dev(&c, NA "/pci-0000:01:00.0")->memory_bytes,
	    20000000000ull);
	assert_int_equal(dev(&c, NA "/pci-0000:02:00.0")->memory_bytes,
	    12000000000ull);
	pl_cluster_free(&c);
}

static void
test_solve_three(void **state)
{
	struct ag_snapshot_node	 nodes[3];
	struct pl_cluster	 c;
	struct pl_model		 m;
	struct pl_solve_opts	 so;
	struct pl_plan		 p;
	size_t			 i, a, cc;
	double			 lat;
	int			 used_a = 0, used_c = 0;
	char			 err[256];

	(void)state;
	three(nodes);
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), 0);
	assert_int_equal(pl_catalog_find("llama-3-8b:q4_0", &m), 0);
	pl_solve_opts_init(&so);
	so.budget_ms = -1;
	memset(&p, 0, sizeof p);
	assert_int_equal(pl_solve(&c, &m, &so, &p, err, sizeof err), PL_OK);
	assert_true(p.nstages >= 1);
	assert_true(p.optimal);
	/* Two usable devices: A's dev0 and C's gpu-0. */
	assert_int_equal(p.candidates, 2);
	a = node(&c, NA);
	cc = node(&c, NC);
	for (i = 0; i < p.nstages; i++) {
		assert_true(c.devices[p.stages[i].device].eligible);
		used_a |= c.devices[p.stages[i].device].node == a;
		used_c |= c.devices[p.stages[i].device].node == cc;
	}
	/* 4.6 GB fit on the 4090 alone, the fastest: one stage on A. */
	assert_int_equal(p.nstages, 1);
	assert_true(used_a && !used_c);
	assert_string_equal(c.devices[p.stages[0].device].id,
	    NA "/pci-0000:01:00.0");
	assert_int_equal(pl_cost_evaluate(&c, &m, &so.req, p.stages,
	    p.nstages, &lat, err, sizeof err), 0);
	NEAR(lat, p.latency_s);
	pl_plan_free(&p);

	/* Only int8 devices (A's dev1, too hot): nothing runs it. */
	m.dtype = PL_DT_INT8;
	memset(&p, 0, sizeof p);
	assert_int_equal(pl_solve(&c, &m, &so, &p, err, sizeof err),
	    PL_INFEASIBLE);
	assert_non_null(strstr(err, "int8"));
	pl_plan_free(&p);
	pl_cluster_free(&c);
}

/* Builds with an allow list; returns the cluster for inspection. */
static void
build_allow(struct ag_snapshot_node *nodes, const char *const *allow,
    size_t nallow, struct ag_snapshot_opts *o, struct pl_cluster *c)
{
	char	err[256];

	o->allow_devices = allow;
	o->nallow = nallow;
	assert_int_equal(ag_snapshot_build(nodes, 3, o, c, NULL, err,
	    sizeof err), 0);
	assert_int_equal(c->ndevices, 4);	/* ineligible still listed */
}

static size_t
eligible_count(const struct pl_cluster *c)
{
	size_t	i, n = 0;

	for (i = 0; i < c->ndevices; i++)
		n += c->devices[i].eligible != 0;
	return n;
}

static void
test_allow_list(void **state)
{
	struct ag_snapshot_node	 nodes[3];
	struct ag_snapshot_opts	 o;
	struct pl_cluster	 c;
	const char *const	 by_node[] = { NC };
	const char *const	 by_full[] = { "nothing", NA "/pci-0000:01:00.0" };
	const char *const	 by_dev[] = { "gpu-0" };
	const char *const	 hot[] = { NA "/pci-0000:02:00.0" };
	const char *const	 laptop[] = { NB "/" UUID };
	const char *const	 none[] = { "cpu", "npu", NA "/gpu-0",
	    NA "x", "" };

	(void)state;
	three(nodes);
	ag_snapshot_opts_init(&o);
	build_allow(nodes, by_node, 1, &o, &c);
	assert_int_equal(eligible_count(&c), 1);
	assert_true(dev(&c, NC "/gpu-0")->eligible);
	pl_cluster_free(&c);

	build_allow(nodes, by_full, 2, &o, &c);
	assert_int_equal(eligible_count(&c), 1);
	assert_true(dev(&c, NA "/pci-0000:01:00.0")->eligible);
	pl_cluster_free(&c);

	/*
	 * A bare device id selects nothing (issue #14, finding 5): ids are
	 * self-reported, so a member could name its device after a
	 * victim's and attract the tenant's placement.
	 */
	build_allow(nodes, by_dev, 1, &o, &c);
	assert_int_equal(eligible_count(&c), 0);
	pl_cluster_free(&c);

	/* Selected, but still too hot. */
	build_allow(nodes, hot, 1, &o, &c);
	assert_int_equal(eligible_count(&c), 0);
	pl_cluster_free(&c);

	/* The full (unshortened) id selects; the battery still rules... */
	build_allow(nodes, laptop, 1, &o, &c);
	assert_int_equal(eligible_count(&c), 0);
	pl_cluster_free(&c);
	/* ...until the threshold is lowered. */
	o.min_battery_ratio = 0.05;
	build_allow(nodes, laptop, 1, &o, &c);
	assert_int_equal(eligible_count(&c), 1);
	assert_true(dev(&c, "bbbbbbbbbbbbbbbbbbbbb/" UUID)->eligible);
	pl_cluster_free(&c);
	o.min_battery_ratio = 0.20;

	/* Dropped devices, wrong node, a prefix, "": nothing selected. */
	build_allow(nodes, none, 5, &o, &c);
	assert_int_equal(eligible_count(&c), 0);
	pl_cluster_free(&c);

	/* An empty, non-NULL list selects nothing either. */
	build_allow(nodes, none, 0, &o, &c);
	assert_int_equal(eligible_count(&c), 0);
	pl_cluster_free(&c);
}

static void
test_battery_temperature(void **state)
{
	struct ag_snapshot_node	 nodes[3];
	struct ag_snapshot_opts	 o;
	struct pl_cluster	 c;
	char			 err[256];

	(void)state;
	three(nodes);
	ag_snapshot_opts_init(&o);

	/* 95 C is fine under a 100 C limit; exactly at the limit is too. */
	o.max_temp_celsius = 100;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), 0);
	assert_true(dev(&c, NA "/pci-0000:02:00.0")->eligible);
	pl_cluster_free(&c);
	o.max_temp_celsius = 95;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), 0);
	assert_true(dev(&c, NA "/pci-0000:02:00.0")->eligible);
	pl_cluster_free(&c);
	o.max_temp_celsius = 59;	/* dev0 at 60 C goes too */
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), 0);
	assert_false(dev(&c, NA "/pci-0000:01:00.0")->eligible);
	assert_true(dev(&c, NC "/gpu-0")->eligible);	/* unknown temp */
	pl_cluster_free(&c);
	ag_snapshot_opts_init(&o);

	/* Low battery but on AC, or AC state unknown: eligible. */
	rb.on_ac = 1;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), 0);
	assert_true(dev(&c, "bbbbbbbbbbbbbbbbbbbbb/" UUID)->eligible);
	pl_cluster_free(&c);
	rb.on_ac = -1;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), 0);
	assert_true(dev(&c, "bbbbbbbbbbbbbbbbbbbbb/" UUID)->eligible);
	pl_cluster_free(&c);

	/* C drops to 19 % on battery: its device goes. */
	rc.battery_ratio = 0.19;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), 0);
	assert_false(dev(&c, NC "/gpu-0")->eligible);
	pl_cluster_free(&c);
	/* Exactly at the threshold is enough. */
	rc.battery_ratio = 0.20;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), 0);
	assert_true(dev(&c, NC "/gpu-0")->eligible);
	pl_cluster_free(&c);
}

static void
test_unmeasured(void **state)
{
	struct ag_snapshot_node	 nodes[3];
	struct pl_cluster	 c;
	size_t			 nd;
	char			 err[256];

	(void)state;
	three(nodes);
	/* One figure of a pair is not enough: left out with the reason. */
	ra.devices[0].flops = NAN;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, &nd, err,
	    sizeof err), 0);
	assert_int_equal(nd, 3);
	assert_string_equal(err, NA "/pci-0000:01:00.0: no measured figures; "
	    "run `exogpu devices --bench` on that node");
	assert_int_equal(c.ndevices, 3);
	pl_cluster_free(&c);

	/* Nothing anywhere has a figure: an error, not an empty cluster. */
	three(nodes);
	ra.devices[0].memory_bandwidth = ra.devices[0].flops = NAN;
	ra.devices[1].memory_bandwidth = ra.devices[1].flops = NAN;
	ra.devices[2].memory_bandwidth = ra.devices[2].flops = NAN;
	rb.devices[0].memory_bandwidth = rb.devices[0].flops = NAN;
	rc.devices[0].memory_bandwidth = rc.devices[0].flops = NAN;
	rc.devices[1].memory_bandwidth = rc.devices[1].flops = NAN;
	nd = 99;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, &nd, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "nothing measured"));
	assert_non_null(strstr(err, "exogpu devices --bench"));
	assert_int_equal(c.ndevices, 0);
	assert_null(c.devices);
	pl_cluster_free(&c);

	/* One figure somewhere is "measured": the rest are dropped. */
	rc.devices[1].flops = 1e12;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, &nd, err,
	    sizeof err), 0);
	assert_int_equal(nd, 6);
	assert_int_equal(c.ndevices, 0);
	pl_cluster_free(&c);

	/* No devices at all. */
	ra.ndevices = rb.ndevices = rc.ndevices = 0;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, &nd, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "no devices"));
	assert_int_equal(ag_snapshot_build(NULL, 0, NULL, &c, &nd, err,
	    sizeof err), -1);
}

/*
 * Three nodes, one fp32 device each, each holding 60 % of the model: a
 * plan needs two.  A and C are fast, B slow.  Reports: A-B and B-C only.
 * The best pair A+C needs A and C adjacent (a two-stage ring), so it is
 * out until C reports A.
 */
static void
test_missing_link(void **state)
{
	static struct ag_record	 r[3];
	struct ag_snapshot_node	 nodes[3];
	struct pl_cluster	 c;
	struct pl_model		 m;
	struct pl_solve_opts	 so;
	struct pl_plan		 p;
	const char		*ids[3] = { NA, NB, NC };
	uint64_t		 S, need;
	double			 bw[3] = { 1000e9, 50e9, 1000e9 };
	size_t			 i, x, y, a, cc;
	int			 round, used[3];
	char			 err[256];

	(void)state;
	assert_int_equal(pl_catalog_find("llama-3-8b:q4_0", &m), 0);
	pl_solve_opts_init(&so);
	so.budget_ms = -1;
	/* The ring profile (links between neighbours); the snapshot took
	 * the reserve off already. */
	so.req.engine = PL_ENGINE_RING;
	so.req.reserve = 0;
	assert_int_equal(pl_model_layer_footprint(&m, so.req.context, &S), 0);
	need = m.layers * S + m.embed_bytes + m.head_bytes;
	for (i = 0; i < 3; i++) {
		ag_record_init(&r[i]);
		r[i].on_ac = 1;
		/* free * 0.9 = 0.6 * need */
		(void)add_dev(&r[i], "gpu0", "gpu", 2 * need,
		    ceil((double)need * 0.6 / 0.9), bw[i], 50e12,
		    BE_DTYPE_FP32, 40);
		nodes[i].node_id = ids[i];
		nodes[i].rec = &r[i];
	}
	add_link(&r[0], NB, 1e-3, 1e9);
	add_link(&r[1], NC, 1e-3, 1e9);
	for (round = 0; round < 2; round++) {
		if (round == 1)
			add_link(&r[2], NA, 1e-3, 1e9);
		assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL,
		    err, sizeof err), 0);
		a = node(&c, NA);
		cc = node(&c, NC);
		assert_int_equal(pl_cluster_link(&c, a, cc) != NULL, round);
		memset(&p, 0, sizeof p);
		assert_int_equal(pl_solve(&c, &m, &so, &p, err, sizeof err),
		    PL_OK);
		assert_int_equal(p.nstages, 2);
		memset(used, 0, sizeof used);
		for (i = 0; i < p.nstages; i++) {
			x = c.devices[p.stages[i].device].node;
			y = c.devices[p.stages[(i + 1) %
			    p.nstages].device].node;
			/* Every ring neighbour pair has a link. */
			assert_non_null(pl_cluster_link(&c, x, y));
			used[x] = 1;
		}
		if (round == 0)
			assert_false(used[a] && used[cc]);
		else
			assert_true(used[a] && used[cc]);
		pl_plan_free(&p);
		pl_cluster_free(&c);
	}
}

/* A coordinate along two axes, 10 us high, fairly sure of itself. */
static void
set_coord(struct ag_record *r, double x, double y)
{
	r->has_coord = 1;
	net_viv_coord_init(&r->coord);
	r->coord.vec[0] = x;
	r->coord.vec[1] = y;
	r->coord.height = 10e-6;
	r->coord.error = 0.2;
}

/*
 * The pair A - C that no record reports becomes a link once both publish
 * a coordinate: one-way latency half the estimated RTT (0.5 ms apart +
 * two 10 us heights = 0.52 ms -> 0.26 ms), bandwidth the smaller of the
 * two nodes' median reported link bandwidths (A 1 GB/s, C 0.5 GB/s).
 * The ring then puts its two stages on the two fast devices, A and C,
 * which it could not without the estimate (test_missing_link).  A
 * coordinate that is not valid gives no estimate; a reported link
 * without an RTT takes the estimate.
 */
static void
test_estimated_link(void **state)
{
	static struct ag_record	 r[3];
	struct ag_snapshot_node	 nodes[3];
	struct pl_cluster	 c;
	struct pl_model		 m;
	struct pl_solve_opts	 so;
	struct pl_plan		 p;
	const struct pl_link	*l;
	const char		*ids[3] = { NA, NB, NC };
	uint64_t		 S, need;
	double			 bw[3] = { 1000e9, 50e9, 1000e9 };
	size_t			 i, a, cc;
	int			 used[3];
	char			 err[256];

	(void)state;
	assert_int_equal(pl_catalog_find("llama-3-8b:q4_0", &m), 0);
	pl_solve_opts_init(&so);
	so.budget_ms = -1;
	so.req.engine = PL_ENGINE_RING;
	so.req.reserve = 0;
	assert_int_equal(pl_model_layer_footprint(&m, so.req.context, &S), 0);
	need = m.layers * S + m.embed_bytes + m.head_bytes;
	for (i = 0; i < 3; i++) {
		ag_record_init(&r[i]);
		r[i].on_ac = 1;
		(void)add_dev(&r[i], "gpu0", "gpu", 2 * need,
		    ceil((double)need * 0.6 / 0.9), bw[i], 50e12,
		    BE_DTYPE_FP32, 40);
		nodes[i].node_id = ids[i];
		nodes[i].rec = &r[i];
	}
	add_link(&r[0], NB, 1e-3, 1e9);
	add_link(&r[1], NC, 1e-3, 1e9);
	add_link(&r[2], NB, 1e-3, 0.5e9);
	set_coord(&r[0], 0, 0);
	set_coord(&r[1], 0, 0.5e-3);
	set_coord(&r[2], 0.5e-3, 0);
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), 0);
	assert_int_equal(c.nlinks, 3);
	assert_int_equal(c.links_sorted, 1);
	a = node(&c, NA);
	cc = node(&c, NC);
	assert_non_null(l = pl_cluster_link(&c, a, cc));
	NEAR(l->latency_s, 0.26e-3);
	NEAR(l->bandwidth, 0.5e9);
	/* Measured links are as before: B - C min(1, 0.5) GB/s, 0.5 ms. */
	assert_non_null(l = pl_cluster_link(&c, node(&c, NB), cc));
	NEAR(l->latency_s, 0.5e-3);
	NEAR(l->bandwidth, 0.5e9);
	memset(&p, 0, sizeof p);
	assert_int_equal(pl_solve(&c, &m, &so, &p, err, sizeof err), PL_OK);
	assert_int_equal(p.nstages, 2);
	memset(used, 0, sizeof used);
	for (i = 0; i < p.nstages; i++)
		used[c.devices[p.stages[i].device].node] = 1;
	assert_true(used[a] && used[cc]);
	pl_plan_free(&p);
	pl_cluster_free(&c);

	/* C has not taken a sample yet: no estimate, no link. */
	r[2].coord.error = NET_VIV_ERROR_MAX;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), 0);
	assert_null(pl_cluster_link(&c, node(&c, NA), node(&c, NC)));
	pl_cluster_free(&c);
	r[2].coord.error = 0.2;
	/* A hostile coordinate on C: no estimate, no link. */
	r[2].coord.vec[3] = NAN;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), 0);
	assert_null(pl_cluster_link(&c, node(&c, NA), node(&c, NC)));
	pl_cluster_free(&c);
	r[2].coord.vec[3] = 0;
	/* C reports A without an RTT: the estimate, and C's bandwidth. */
	add_link(&r[2], NA, NAN, 2e9);
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), 0);
	assert_non_null(l = pl_cluster_link(&c, node(&c, NA), node(&c, NC)));
	NEAR(l->latency_s, 0.26e-3);
	NEAR(l->bandwidth, 2e9);
	pl_cluster_free(&c);
}

/*
 * 300 nodes, each reporting only its 10 successors: with coordinates
 * every one of the 44850 pairs has a link, found by bisection.
 */
static void
test_large_cluster(void **state)
{
	static struct ag_record		r[300];
	static struct ag_snapshot_node	nodes[300];
	static char			ids[300][SEC_NODE_ID_SIZE];
	const char			*b32 = "abcdefghijklmnopqrstuvwxyz234567";
	struct pl_cluster		c;
	const struct pl_link		*l;
	size_t				i, j, n = 300, x, y;
	double				est;
	char				err[256];

	(void)state;
	for (i = 0; i < n; i++) {
		memset(ids[i], 'a', SEC_NODE_ID_LEN);
		ids[i][SEC_NODE_ID_LEN] = '\0';
		ids[i][0] = b32[i % 32];
		ids[i][1] = b32[(i / 32) % 32];
	}
	for (i = 0; i < n; i++) {
		ag_record_init(&r[i]);
		r[i].on_ac = 1;
		(void)add_dev(&r[i], "gpu0", "gpu", 24000000000ull, 20e9,
		    900e9, 80e12, BE_DTYPE_FP32, 40);
		for (j = 1; j <= 10; j++)
			add_link(&r[i], ids[(i + j) % n], 0.2e-3, 1e9);
		set_coord(&r[i], 1e-6 * (double)(i % 17),
		    1e-6 * (double)(i % 23));
		nodes[i].node_id = ids[i];
		nodes[i].rec = &r[i];
	}
	assert_int_equal(ag_snapshot_build(nodes, n, NULL, &c, NULL, err,
	    sizeof err), 0);
	assert_int_equal(c.nnodes, n);
	assert_int_equal(c.nlinks, n * (n - 1) / 2);
	assert_int_equal(c.links_sorted, 1);
	for (i = 0; i < n; i += 7)
		for (j = 0; j < n; j += 11) {
			x = node(&c, ids[i]);
			y = node(&c, ids[j]);
			if (x == y)
				continue;
			assert_non_null(l = pl_cluster_link(&c, x, y));
			est = net_viv_distance(&r[i].coord, &r[j].coord) / 2;
			if ((j + n - i) % n <= 10 || (i + n - j) % n <= 10)
				NEAR(l->latency_s, 0.1e-3);
			else
				NEAR(l->latency_s, est);
		}
	pl_cluster_free(&c);
}

static void
test_odd_records(void **state)
{
	static struct ag_record	 r[2];
	struct ag_snapshot_node	 nodes[2];
	struct ag_record_device	*d;
	struct pl_cluster	 c;
	size_t			 nd;
	char			 err[256];

	(void)state;
	ag_record_init(&r[0]);
	ag_record_init(&r[1]);
	nodes[0].node_id = NA;
	nodes[0].rec = &r[0];
	nodes[1].node_id = NB;
	nodes[1].rec = &r[1];
	/* 0: a good device, then the odd ones. */
	(void)add_dev(&r[0], "good", "gpu", 1000, NAN, 1e9, 1e9,
	    BE_DTYPE_FP32, NAN);
	(void)add_dev(&r[0], "inf-bw", "gpu", 1000, 500, INFINITY, 1e9,
	    BE_DTYPE_FP32, NAN);
	(void)add_dev(&r[0], "neg-flops", "gpu", 1000, 500, 1e9, -1,
	    BE_DTYPE_FP32, NAN);
	(void)add_dev(&r[0], "zero-bw", "gpu", 1000, 500, 0, 1e9,
	    BE_DTYPE_FP32, NAN);
	(void)add_dev(&r[0], "no-mem", "gpu", 0, NAN, 1e9, 1e9,
	    BE_DTYPE_FP32, NAN);
	(void)add_dev(&r[0], "full", "gpu", 1000, 0, 1e9, 1e9,
	    BE_DTYPE_FP32, NAN);
	(void)add_dev(&r[0], "huge", "gpu", 0, 1e300, 1e9, 1e9,
	    BE_DTYPE_FP32, NAN);
	/* negative free: use the total; free above total: capped. */
	(void)add_dev(&r[0], "neg-free", "gpu", 1000, -5, 1e9, 1e9, 0, NAN);
	(void)add_dev(&r[0], "over-free", "cpu", 1000, 5000, 1e9, 1e9,
	    BE_DTYPE_FP64, INFINITY);
	(void)add_dev(&r[0], "good", "gpu", 1000, NAN, 1e9, 1e9,
	    BE_DTYPE_FP32, NAN);				/* duplicate */
	d = add_dev(&r[0], "x", "gpu", 1000, NAN, 1e9, 1e9, BE_DTYPE_FP32,
	    NAN);
	memset(d->id, 'x', sizeof d->id);			/* no NUL */
	memset(d->name, 'n', sizeof d->name);
	d = add_dev(&r[0], "", "gpu", 1000, NAN, 1e9, 1e9, BE_DTYPE_FP32,
	    NAN);
	r[0].battery_ratio = INFINITY;
	r[0].on_ac = 0;
	memset(r[0].name, 'q', sizeof r[0].name);
	/* Link entries past the count are zeroed: no peer, ignored. */
	r[0].nlinks = 100000;
	(void)snprintf(r[0].links[3].peer, sizeof r[0].links[3].peer, NB);
	r[0].links[3].rtt_s = -1;
	r[0].links[3].bandwidth = -1;
	memset(r[0].links[4].peer, 'b', sizeof r[0].links[4].peer);
	r[0].links[4].rtt_s = 0;	/* would be latency 0 if taken */
	/* 1: counts out of range both ways. */
	r[1].ndevices = -3;
	r[1].nlinks = -7;
	assert_int_equal(ag_snapshot_build(nodes, 2, NULL, &c, &nd, err,
	    sizeof err), 0);
	assert_int_equal(c.ndevices, 3);
	assert_int_equal(nd, 9);
	assert_string_equal(err, NA "/inf-bw: memory bandwidth inf: not a "
	    "positive figure");
	assert_int_equal(dev(&c, NA "/good")->memory_bytes, 900);
	assert_true(dev(&c, NA "/good")->eligible);
	assert_int_equal(dev(&c, NA "/neg-free")->memory_bytes, 900);
	assert_int_equal(dev(&c, NA "/neg-free")->dtypes, 0);
	assert_int_equal(dev(&c, NA "/over-free")->memory_bytes, 900);
	assert_int_equal(dev(&c, NA "/over-free")->dtypes, 0);
	/* B has no device, so no node and no link. */
	assert_int_equal(c.nnodes, 1);
	assert_int_equal(c.nlinks, 0);
	pl_cluster_free(&c);

	/* B's 16 zeroed devices (count clamped) have no id: no node yet. */
	r[1].ndevices = 1000;
	assert_int_equal(ag_snapshot_build(nodes, 2, NULL, &c, &nd, err,
	    sizeof err), 0);
	assert_int_equal(c.nnodes, 1);
	assert_int_equal(nd, 9 + AG_RECORD_MAX_DEVICES);	/* all zero */
	assert_int_equal(c.nlinks, 0);
	pl_cluster_free(&c);
	r[1].ndevices = 0;
	/* B gets a device: A's report with bad figures gives defaults. */
	(void)add_dev(&r[1], "g", "gpu", 1000, NAN, 1e9, 1e9, BE_DTYPE_FP32,
	    NAN);
	assert_int_equal(ag_snapshot_build(nodes, 2, NULL, &c, &nd, err,
	    sizeof err), 0);
	assert_int_equal(c.nlinks, 1);
	NEAR(c.links[0].latency_s, AG_SNAPSHOT_DEFAULT_LATENCY_S);
	NEAR(c.links[0].bandwidth, AG_SNAPSHOT_DEFAULT_BANDWIDTH);
	pl_cluster_free(&c);
}

static void
test_bad_arguments(void **state)
{
	struct ag_snapshot_node	 nodes[3];
	struct ag_snapshot_opts	 o;
	struct pl_cluster	 c;
	const char		*bad_id;
	char			 err[256];

	(void)state;
	three(nodes);
	nodes[2].node_id = NA;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "appears twice"));
	three(nodes);
	nodes[1].rec = NULL;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), -1);
	three(nodes);
	nodes[1].node_id = "a/b";
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), -1);
	nodes[1].node_id = "";
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), -1);
	bad_id = "0123456789012345678901234567890123456789012345678901234567890"
	    "123456789";
	nodes[1].node_id = bad_id;
	assert_int_equal(ag_snapshot_build(nodes, 3, NULL, &c, NULL, err,
	    sizeof err), -1);
	three(nodes);
	ag_snapshot_opts_init(&o);
	o.reserve_ratio = 1;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "reserve"));
	o.reserve_ratio = NAN;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), -1);
	ag_snapshot_opts_init(&o);
	o.min_battery_ratio = NAN;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), -1);
	ag_snapshot_opts_init(&o);
	o.max_temp_celsius = NAN;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), -1);
	ag_snapshot_opts_init(&o);
	o.nallow = 2;
	assert_int_equal(ag_snapshot_build(nodes, 3, &o, &c, NULL, err,
	    sizeof err), -1);
	assert_int_equal(ag_snapshot_build(NULL, 3, NULL, &c, NULL, err,
	    sizeof err), -1);
	assert_int_equal(c.ndevices, 0);
}

/* 65 nodes of 16 devices: the 1024 cap holds and the rest are dropped. */
static void
test_device_cap(void **state)
{
	struct ag_record	*r;
	struct ag_snapshot_node	 nodes[65];
	struct pl_cluster	 c;
	char			 ids[65][8], id[16];
	size_t			 i, j, nd;
	char			 err[256];

	(void)state;
	r = calloc(65, sizeof *r);
	assert_non_null(r);
	for (i = 0; i < 65; i++) {
		ag_record_init(&r[i]);
		(void)snprintf(ids[i], sizeof ids[i], "n%03zu", i);
		for (j = 0; j < AG_RECORD_MAX_DEVICES; j++) {
			(void)snprintf(id, sizeof id, "g%zu", j);
			(void)add_dev(&r[i], id, "gpu", 1000, NAN, 1e9, 1e9,
			    BE_DTYPE_FP32, NAN);
		}
		if (i > 0)
			add_link(&r[i], ids[i - 1], 1e-3, 1e9);
		nodes[i].node_id = ids[i];
		nodes[i].rec = &r[i];
	}
	assert_int_equal(ag_snapshot_build(nodes, 65, NULL, &c, &nd, err,
	    sizeof err), 0);
	assert_int_equal(c.ndevices, PL_MAX_DEVICES);
	assert_int_equal(nd, AG_RECORD_MAX_DEVICES);
	assert_non_null(strstr(err, "more than 1024 devices"));
	assert_int_equal(c.nnodes, 64);
	assert_int_equal(c.nlinks, 63);		/* n064 has no node */
	pl_cluster_free(&c);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_three),
		cmocka_unit_test(test_solve_three),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_battery_temperature),
		cmocka_unit_test(test_unmeasured),
		cmocka_unit_test(test_missing_link),
		cmocka_unit_test(test_estimated_link),
		cmocka_unit_test(test_large_cluster),
		cmocka_unit_test(test_odd_records),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_device_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
