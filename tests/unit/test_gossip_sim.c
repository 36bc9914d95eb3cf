/*
 * test_gossip_sim.c - the gossip state machine (net/net_gossip.c) in
 * seeded simulated clusters (tests/unit/clustersim.h).
 *
 * Three measurements, with one-way delays 0.2 ms up to 0.2-20 ms and
 * message loss 0-5 % (the first two over many seeds):
 *  - spread: in a 32-node cluster, one node publishes a new version of
 *    its record (100 B - 4 KiB); the time until every node holds it.
 *    Ten changes per run; median / p99 / max printed, target < 1 s.
 *  - heal: 5-64 nodes split in two for 5 s while every node keeps
 *    publishing; after the heal every node must hold exactly the same
 *    view (same origins, versions and bytes) within 5 s; the time it
 *    took is printed.
 *  - idle: 8, 16, 32 and 64 nodes whose views agree and stay unchanged
 *    for 30 s; the messages and control-stream bytes (envelopes included)
 *    a node sends per second are printed and must not grow with N.
 * Failing seeds are printed; EXOGPU_SIM_SEED replays one,
 * EXOGPU_SIM_RUNS sets the number of runs (default 60 each).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>

#include "clustersim.h"
#include "net_gossip.h"
#include "net_wire.h"
#include "sec_cbor.h"

#define MS		UINT64_C(1000)
#define MAX_SAMPLES	4096
#define SIM_MAX		64	/* nodes in one run */

struct gmsg {
	struct net_gossip_msg	*m;	/* entries' data point into buf */
	uint8_t			*buf;
};

struct world {
	struct cs		 s;
	struct net_gossip	*g[SIM_MAX];
	int			 cur;
	/* the change being watched */
	int			 watch_origin;
	uint64_t		 watch_version;
	int			 have;		/* nodes holding it */
	uint64_t		 done_at;	/* us, when all had it */
	uint64_t		 msgs, bytes;
	bool			 wire;		/* count encoded bytes */
	uint64_t		 wire_bytes;	/* control-stream bytes */
};

static uint64_t	spread[MAX_SAMPLES], heal[MAX_SAMPLES];
static size_t	nspread, nheal;

static void
msg_free(void *p)
{
	struct gmsg	*x = p;

	free(x->m);
	free(x->buf);
	free(x);
}

/* Copies a message, entries and bytes, as an encoding would. */
static struct gmsg *
msg_copy(const struct net_gossip_msg *m)
{
	struct gmsg	*x;
	size_t		 i, total = 0, off = 0;

	x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->m = malloc(offsetof(struct net_gossip_msg, e) +
	    (m->n > 0 ? m->n : 1) * sizeof m->e[0]);
	assert_non_null(x->m);
	memcpy(x->m, m, offsetof(struct net_gossip_msg, e) +
	    m->n * sizeof m->e[0]);
	for (i = 0; i < m->n; i++)
		total += m->e[i].len;
	x->buf = malloc(total > 0 ? total : 1);
	assert_non_null(x->buf);
	for (i = 0; i < m->n; i++) {
		if (m->e[i].len > 0)
			memcpy(x->buf + off, m->e[i].data, m->e[i].len);
		x->m->e[i].data = m->e[i].len > 0 ? x->buf + off : NULL;
		off += m->e[i].len;
	}
	return x;
}

/* Bytes of msg as the agent sends it: payload in its envelope. */
static size_t
wire_len(const struct world *w, const struct net_gossip_msg *m)
{
	static uint8_t		buf[NET_WIRE_MAX_MSG];
	struct sec_cbor_writer	cw;
	char			err[160];
	size_t			n;

	sec_cbor_writer_dynamic(&cw, NET_WIRE_MAX_MSG - 256);
	assert_int_equal(net_gossip_wire_encode(m, &cw), 0);
	if (net_wire_encode_raw(buf, sizeof buf, &n,
	    net_gossip_wire_type(m->kind), w->s.id[w->cur], 0,
	    sec_cbor_writer_data(&cw),
	    sec_cbor_writer_len(&cw), err, sizeof err) != 0)
		fail_msg("envelope: %s", err);
	sec_cbor_writer_release(&cw);
	return n;
}

static void
emit(void *arg, const struct net_gossip_action *a)
{
	struct world	*w = arg;
	int		 to;
	size_t		 i;

	if (a->type == NET_GOSSIP_ACT_SEND) {
		to = cs_index_of(&w->s, a->peer);
		assert_true(to >= 0);
		w->msgs++;
		for (i = 0; i < a->msg->n; i++)
			w->bytes += a->msg->e[i].len;
		if (w->wire)
			w->wire_bytes += wire_len(w, a->msg);
		(void)cs_send(&w->s, w->cur, to, msg_copy(a->msg));
		return;
	}
	if (w->watch_origin >= 0 &&
	    strcmp(a->peer, w->s.id[w->watch_origin]) == 0 &&
	    a->version == w->watch_version && w->cur != w->watch_origin) {
		if (++w->have == w->s.n - 1)
			w->done_at = w->s.now;
	}
}

static void
step(struct world *w, int node, const struct net_gossip_event *ev)
{
	w->cur = node;
	assert_int_equal(net_gossip_step(w->g[node], ev, w->s.now / 1000,
	    emit, w), 0);
}

static void
on_tick(struct cs *s, int node, void *arg)
{
	struct net_gossip_event	ev = { .type = NET_GOSSIP_EV_TICK };

	(void)s;
	step(arg, node, &ev);
}

static void
on_recv(struct cs *s, int node, int from, void *msg, void *arg)
{
	struct gmsg		*x = msg;
	struct net_gossip_event	 ev;

	memset(&ev, 0, sizeof ev);
	ev.type = NET_GOSSIP_EV_RECV;
	ev.peer = s->id[from];
	ev.msg = x->m;
	step(arg, node, &ev);
}

static void
on_conn(struct cs *s, int node, int peer, bool up, void *arg)
{
	struct net_gossip_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.type = up ? NET_GOSSIP_EV_PEER_UP : NET_GOSSIP_EV_PEER_DOWN;
	ev.peer = s->id[peer];
	step(arg, node, &ev);
}

static const struct cs_ops ops = {
	on_tick, on_recv, on_conn, msg_free
};

/* Node i publishes a record of random size and content. */
static void
publish(struct world *w, int i)
{
	struct net_gossip_event	ev;
	uint8_t			buf[4096];
	size_t			n, k;

	n = (size_t)cs_uniform(&w->s, 100, sizeof buf);
	for (k = 0; k < n; k++)
		buf[k] = (uint8_t)cs_rand(&w->s);
	memset(&ev, 0, sizeof ev);
	ev.type = NET_GOSSIP_EV_PUBLISH;
	ev.data = buf;
	ev.len = n;
	step(w, i, &ev);
}

static struct world *
world_new(int n, uint64_t seed)
{
	struct world			*w;
	struct net_gossip_config	 cfg;
	int				 i;

	assert_true(n <= SIM_MAX);
	w = calloc(1, sizeof *w);
	assert_non_null(w);
	cs_init(&w->s, n, seed, &ops, w);
	w->s.delay_min_us = 200;
	w->s.delay_max_us = (uint32_t)cs_uniform(&w->s, 200, 20000);
	w->s.loss_ppm = (uint32_t)cs_uniform(&w->s, 0, 50000);
	w->watch_origin = -1;
	net_gossip_config_default(&cfg);
	for (i = 0; i < n; i++) {
		cfg.seed = seed * 1000 + (uint64_t)i;
		w->g[i] = net_gossip_new(w->s.id[i], &cfg);
		assert_non_null(w->g[i]);
		cs_boot(&w->s, i);
	}
	return w;
}

static void
world_free(struct world *w)
{
	int	i;

	for (i = 0; i < w->s.n; i++)
		net_gossip_free(w->g[i]);
	cs_fini(&w->s);
	free(w);
}

/* Every up node holds the same origins, versions and bytes as node 0. */
static int
same_views(struct world *w)
{
	const uint8_t	*d0, *d;
	size_t		 l0, l, i;
	uint64_t	 v;
	const char	*o;
	int		 k;

	for (k = 1; k < w->s.n; k++) {
		if (net_gossip_count(w->g[k]) != net_gossip_count(w->g[0]))
			return 0;
		for (i = 0; i < net_gossip_capacity(w->g[0]); i++) {
			if ((o = net_gossip_slot(w->g[0], i, NULL)) == NULL)
				continue;
			v = net_gossip_get(w->g[0], o, &d0, &l0);
			if (net_gossip_get(w->g[k], o, &d, &l) != v ||
			    l != l0 || (l > 0 && memcmp(d, d0, l) != 0))
				return 0;
		}
	}
	return 1;
}

static int
run_spread(uint64_t seed, int verbose)
{
	struct world	*w;
	int		 c, bad = 0, i;
	uint64_t	 t0, worst = 0;

	w = world_new(32, seed);
	for (i = 0; i < w->s.n; i++)
		publish(w, i);
	cs_run_until(&w->s, 3000 * MS);
	for (c = 0; c < 10 && !bad; c++) {
		w->watch_origin = (int)(cs_rand(&w->s) % 32);
		w->have = 0;
		w->done_at = 0;
		t0 = w->s.now;
		w->cur = w->watch_origin;
		publish(w, w->watch_origin);
		w->watch_version = net_gossip_get(w->g[w->watch_origin],
		    w->s.id[w->watch_origin], NULL, NULL);
		cs_run_until(&w->s, t0 + 3000 * MS);
		if (w->done_at == 0) {
			bad = 1;
			break;
		}
		if (w->done_at - t0 > worst)
			worst = w->done_at - t0;
		if (nspread < MAX_SAMPLES)
			spread[nspread++] = (w->done_at - t0) / MS;
	}
	if (bad || verbose)
		printf("%s spread seed %" PRIu64 ": delay <= %u us, loss %u "
		    "ppm: %s, worst %" PRIu64 " ms, %" PRIu64 " msgs\n",
		    bad ? "FAIL" : "ok", seed, w->s.delay_max_us,
		    w->s.loss_ppm, bad ? "change not everywhere in 3 s" :
		    "fine", worst / MS, w->msgs);
	world_free(w);
	return bad;
}

static int
run_heal(uint64_t seed, int verbose)
{
	struct world	*w;
	int		 n, i, bad = 0, side[SIM_MAX];
	uint64_t	 t, t_heal, took = 0;
	struct cs	 tmp;

	cs_init(&tmp, 1, seed, &ops, NULL);
	n = 5 + (int)(cs_rand(&tmp) % 60);
	cs_fini(&tmp);
	w = world_new(n, seed);
	for (i = 0; i < n; i++)
		publish(w, i);
	cs_run_until(&w->s, 2000 * MS);
	for (i = 0; i < n; i++)
		side[i] = (int)(cs_rand(&w->s) % 2);
	side[0] = 0;
	side[1] = 1;
	for (i = 0; i < n; i++)
		if (side[i])
			cs_set_group(&w->s, i, 1);
	for (t = w->s.now; t < 7000 * MS; t += 250 * MS) {
		cs_run_until(&w->s, t);
		publish(w, (int)(cs_rand(&w->s) % (unsigned)n));
	}
	cs_run_until(&w->s, 7000 * MS);
	for (i = 0; i < n; i++)
		cs_set_group(&w->s, i, 0);
	t_heal = w->s.now;
	for (t = t_heal; t <= t_heal + 5000 * MS; t += 10 * MS) {
		cs_run_until(&w->s, t);
		if (same_views(w)) {
			took = t - t_heal;
			break;
		}
	}
	if (t > t_heal + 5000 * MS)
		bad = 1;
	else if (nheal < MAX_SAMPLES)
		heal[nheal++] = took / MS;
	if (bad || verbose)
		printf("%s heal seed %" PRIu64 ": %d nodes, delay <= %u us, "
		    "loss %u ppm: %s %" PRIu64 " ms\n", bad ? "FAIL" : "ok",
		    seed, n, w->s.delay_max_us, w->s.loss_ppm,
		    bad ? "views still differ after" : "converged in",
		    bad ? (uint64_t)5000 : took / MS);
	world_free(w);
	return bad;
}

/*
 * Idle: every node published once and all views agree; then nothing
 * changes for IDLE_S seconds.  What a node sends per second meanwhile
 * (messages and control-stream bytes, envelope included) is the cost of
 * anti-entropy alone.
 */
#define IDLE_S	30

static void
run_idle(int n, uint64_t seed, double *msgs, double *bytes)
{
	struct world	*w;
	uint64_t	 t, m0, b0;
	int		 i;

	w = world_new(n, seed);
	for (i = 0; i < n; i++)
		publish(w, i);
	for (t = 1000 * MS; !same_views(w); t += 100 * MS) {
		assert_true(t < 20000 * MS);
		cs_run_until(&w->s, t);
	}
	cs_run_until(&w->s, w->s.now + 1000 * MS);	/* in flight */
	w->wire = true;
	m0 = w->msgs;
	b0 = w->wire_bytes;
	cs_run_until(&w->s, w->s.now + IDLE_S * 1000 * MS);
	assert_true(same_views(w));
	*msgs = (double)(w->msgs - m0) / n / IDLE_S;
	*bytes = (double)(w->wire_bytes - b0) / n / IDLE_S;
	world_free(w);
}

static void
test_idle(void **state)
{
	static const int	sizes[] = { 8, 16, 32, 64 };
	double			msgs[4], bytes[4];
	size_t			i;

	(void)state;
	for (i = 0; i < 4; i++) {
		run_idle(sizes[i], 4000 + (uint64_t)sizes[i], &msgs[i],
		    &bytes[i]);
		printf("gossip idle, %d nodes: %.2f msgs/s, %.0f B/s per "
		    "node\n", sizes[i], msgs[i], bytes[i]);
	}
	/* Flat in N: 64 nodes cost a node what 8 do, within 25 %. */
	assert_true(msgs[3] <= msgs[0] * 1.25);
	assert_true(bytes[3] <= bytes[0] * 1.25);
}

static unsigned long
env_ul(const char *name, unsigned long dflt)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? strtoul(v, NULL, 10) : dflt;
}

static void
test_spread(void **state)
{
	unsigned long	runs, i, failed = 0;
	const char	*one = getenv("EXOGPU_SIM_SEED");
	uint64_t	med, p99, mx;

	(void)state;
	if (one != NULL && *one != '\0') {
		assert_int_equal(run_spread(strtoul(one, NULL, 10), 1), 0);
		return;
	}
	runs = env_ul("EXOGPU_SIM_RUNS", 60);
	for (i = 0; i < runs; i++)
		failed += (unsigned long)run_spread(2000 + i, 0);
	mx = cs_pct(spread, nspread, 100);
	med = cs_pct(spread, nspread, 50);
	p99 = cs_pct(spread, nspread, 99);
	printf("gossip spread, 32 nodes: %lu runs, %lu failed; time until "
	    "all hold a change over %zu changes: median %" PRIu64 " ms, p99 %"
	    PRIu64 " ms, max %" PRIu64 " ms (target < 1000)\n", runs, failed,
	    nspread, med, p99, mx);
	assert_int_equal(failed, 0);
	assert_true(p99 < 1000);
}

static void
test_heal(void **state)
{
	unsigned long	runs, i, failed = 0;
	const char	*one = getenv("EXOGPU_SIM_SEED");
	uint64_t	med, p99, mx;

	(void)state;
	if (one != NULL && *one != '\0') {
		assert_int_equal(run_heal(strtoul(one, NULL, 10), 1), 0);
		return;
	}
	runs = env_ul("EXOGPU_SIM_RUNS", 60);
	for (i = 0; i < runs; i++)
		failed += (unsigned long)run_heal(3000 + i, 0);
	mx = cs_pct(heal, nheal, 100);
	med = cs_pct(heal, nheal, 50);
	p99 = cs_pct(heal, nheal, 99);
	printf("gossip heal, 5-64 nodes: %lu runs, %lu failed; identical "
	    "views after a 5 s partition: median %" PRIu64 " ms, p99 %" PRIu64
	    " ms, max %" PRIu64 " ms\n", runs, failed, med, p99, mx);
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_heal),
		cmocka_unit_test(test_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
