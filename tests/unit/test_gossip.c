/*
 * test_gossip.c - the gossip state machine (net/net_gossip.c) and its
 * wire payloads (net/net_gossip_wire.c), one rule at a time.
 *
 * Covers publishing and the push to fanout peers, version rules (higher
 * wins, equal and lower are stale, far-future refused), forwarding once
 * with a hop budget, the never-accept-a-record-for-ourselves rule and the
 * re-publish above a stale or forged copy, anti-entropy (digest -> the
 * records the peer lacks + a WANT for what it has newer -> records), the
 * periodic SUMMARY (its hash; equal tables stay silent, different ones
 * repair both sides through one digest exchange between two state
 * machines; a flood of SUMMARYs gets one DIGEST per ae_ms / 2), quiet
 * publishing, forgetting with tombstones, the table / digest /
 * record-size bounds, and the CBOR payloads: round trips, pinned keys,
 * malformed inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_gossip.h"
#include "sec_cbor.h"

#define S	"aaaaaaaaaaaaaaaaaaaaaaaaaa"	/* self */
#define B	"bbbbbbbbbbbbbbbbbbbbbbbbba"
#define C	"cccccccccccccccccccccccccq"
#define D	"dddddddddddddddddddddddddq"
#define E	"eeeeeeeeeeeeeeeeeeeeeeeeea"
#define X	"xxxxxxxxxxxxxxxxxxxxxxxxxq"

struct rec {
	int			nsend;
	char			to[64][SEC_NODE_ID_SIZE];
	enum net_gossip_kind	kind[64];
	unsigned		hops[64];
	size_t			n[64];
	char			first[64][SEC_NODE_ID_SIZE];
	uint64_t		first_ver[64];
	int			nchg;
	char			chg[64][SEC_NODE_ID_SIZE];
	uint64_t		chg_ver[64];
};

static struct rec		R;
static struct net_gossip_msg	M;

static void
sink(void *arg, const struct net_gossip_action *a)
{
	struct rec	*r = arg;
	int		 i;

	if (a->type == NET_GOSSIP_ACT_SEND) {
		i = r->nsend++;
		if (i >= 64)
			return;
		(void)snprintf(r->to[i], SEC_NODE_ID_SIZE, "%s", a->peer);
		r->kind[i] = a->msg->kind;
		r->hops[i] = a->msg->hops;
		r->n[i] = a->msg->n;
		if (a->msg->n > 0) {
			(void)snprintf(r->first[i], SEC_NODE_ID_SIZE, "%s",
			    a->msg->e[0].origin);
			r->first_ver[i] = a->msg->e[0].version;
		}
		return;
	}
	i = r->nchg++;
	if (i < 64) {
		(void)snprintf(r->chg[i], SEC_NODE_ID_SIZE, "%s", a->peer);
		r->chg_ver[i] = a->version;
	}
}

static void
reset(void)
{
	memset(&R, 0, sizeof R);
}

static struct net_gossip *
mk(unsigned max)
{
	struct net_gossip_config	cfg;
	struct net_gossip		*g;

	net_gossip_config_default(&cfg);
	if (max > 0)
		cfg.max_origins = max;
	cfg.ae_ms = 1000000;	/* anti-entropy only when a test asks */
	g = net_gossip_new(S, &cfg);
	assert_non_null(g);
	return g;
}

static int
ev(struct net_gossip *g, enum net_gossip_ev_type t, const char *peer,
    uint64_t now)
{
	struct net_gossip_event	e;

	memset(&e, 0, sizeof e);
	e.type = t;
	e.peer = peer;
	return net_gossip_step(g, &e, now, sink, &R);
}

static int
publish(struct net_gossip *g, const char *data, uint64_t now)
{
	struct net_gossip_event	e;

	memset(&e, 0, sizeof e);
	e.type = NET_GOSSIP_EV_PUBLISH;
	e.data = (const uint8_t *)data;
	e.len = strlen(data);
	return net_gossip_step(g, &e, now, sink, &R);
}

static void
msg_begin(enum net_gossip_kind kind, unsigned hops)
{
	memset(&M, 0, offsetof(struct net_gossip_msg, e));
	M.kind = kind;
	M.hops = hops;
}

static void
msg_add(const char *origin, uint64_t v, const char *data)
{
	struct net_gossip_entry	*e = &M.e[M.n++];

	memset(e, 0, sizeof *e);
	(void)snprintf(e->origin, SEC_NODE_ID_SIZE, "%s", origin);
	e->version = v;
	if (data != NULL) {
		e->data = (const uint8_t *)data;
		e->len = strlen(data);
	}
}

static int
recv_from(struct net_gossip *g, const char *peer, uint64_t now)
{
	struct net_gossip_event	e;

	memset(&e, 0, sizeof e);
	e.type = NET_GOSSIP_EV_RECV;
	e.peer = peer;
	e.msg = &M;
	return net_gossip_step(g, &e, now, sink, &R);
}

static void
recv_record(struct net_gossip *g, const char *peer, const char *origin,
    uint64_t v, const char *data, unsigned hops)
{
	msg_begin(NET_GOSSIP_RECORDS, hops);
	msg_add(origin, v, data);
	assert_int_equal(recv_from(g, peer, 100), 0);
}

static void
peers(struct net_gossip *g)
{
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, B, 0), 0);
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, C, 0), 0);
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, D, 0), 0);
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, E, 0), 0);
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, X, 0), 0);
}

static void
test_config(void **state)
{
	struct net_gossip_config	cfg;

	(void)state;
	net_gossip_config_default(&cfg);
	assert_null(net_gossip_new("", &cfg));
	cfg.max_origins = NET_GOSSIP_MAX_ORIGINS + 1;
	assert_null(net_gossip_new(S, &cfg));
	net_gossip_config_default(&cfg);
	cfg.max_record = NET_GOSSIP_RECORD_MAX + 1;
	assert_null(net_gossip_new(S, &cfg));
	net_gossip_config_default(&cfg);
	cfg.hops = NET_GOSSIP_HOPS_MAX + 1;
	assert_null(net_gossip_new(S, &cfg));
	net_gossip_config_default(&cfg);
	cfg.fanout = 0;
	assert_null(net_gossip_new(S, &cfg));
}

/* A new peer gets our digest; a publish goes to fanout (4) peers. */
static void
test_publish(void **state)
{
	struct net_gossip	*g = mk(0);
	const uint8_t		*d;
	size_t			 n;
	int			 i;

	(void)state;
	reset();
	peers(g);
	assert_int_equal(R.nsend, 5);
	assert_int_equal(R.kind[0], NET_GOSSIP_DIGEST);
	assert_string_equal(R.to[0], B);
	reset();
	assert_int_equal(publish(g, "hello", 10), 0);
	assert_int_equal(net_gossip_get(g, S, &d, &n), 1);
	assert_int_equal(n, 5);
	assert_memory_equal(d, "hello", 5);
	assert_int_equal(R.nchg, 1);
	assert_int_equal(R.nsend, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(R.kind[i], NET_GOSSIP_RECORDS);
		assert_int_equal(R.hops[i], 8);
		assert_string_equal(R.first[i], S);
		assert_int_equal(R.first_ver[i], 1);
	}
	assert_int_equal(publish(g, "again", 20), 0);
	assert_int_equal(net_gossip_get(g, S, NULL, NULL), 2);
	net_gossip_free(g);
}

/* Versions: higher wins, equal / lower stale; accepted once forwarded. */
static void
test_versions_forward(void **state)
{
	struct net_gossip	*g = mk(0);
	const uint8_t		*d;
	size_t			 n;
	int			 i;

	(void)state;
	peers(g);
	reset();
	recv_record(g, B, X, 3, "x3", 2);
	assert_int_equal(net_gossip_get(g, X, &d, &n), 3);
	assert_memory_equal(d, "x3", 2);
	assert_int_equal(R.nchg, 1);
	assert_int_equal(R.chg_ver[0], 3);
	/* Forwarded once, hops - 1, never back to the sender. */
	assert_int_equal(R.nsend, 4);
	for (i = 0; i < 4; i++) {
		assert_string_not_equal(R.to[i], B);
		assert_int_equal(R.hops[i], 1);
	}
	reset();
	recv_record(g, C, X, 3, "other", 2);	/* equal: stale */
	recv_record(g, C, X, 2, "older", 2);
	assert_int_equal(net_gossip_get(g, X, &d, &n), 3);
	assert_memory_equal(d, "x3", 2);
	assert_int_equal(R.nchg, 0);
	assert_int_equal(R.nsend, 0);
	assert_int_equal(net_gossip_stats(g)->stale, 2);
	/* Hops 0: taken, not forwarded. */
	recv_record(g, C, X, 4, "x4", 0);
	assert_int_equal(net_gossip_get(g, X, NULL, NULL), 4);
	assert_int_equal(R.nsend, 0);
	/* Empty records are records too. */
	recv_record(g, C, X, 5, "", 0);
	assert_int_equal(net_gossip_get(g, X, &d, &n), 5);
	assert_int_equal(n, 0);
	net_gossip_free(g);
}

static void
test_far_future(void **state)
{
	struct net_gossip	*g = mk(0);

	(void)state;
	reset();
	recv_record(g, B, X, NET_GOSSIP_VERSION_JUMP_MAX + 1, "f", 0);
	assert_int_equal(net_gossip_get(g, X, NULL, NULL), 0);
	recv_record(g, B, X, 10, "a", 0);
	recv_record(g, B, X, 10 + NET_GOSSIP_VERSION_JUMP_MAX + 1, "f", 0);
	assert_int_equal(net_gossip_get(g, X, NULL, NULL), 10);
	recv_record(g, B, X, 10 + NET_GOSSIP_VERSION_JUMP_MAX, "ok", 0);
	assert_int_equal(net_gossip_get(g, X, NULL, NULL),
	    10 + NET_GOSSIP_VERSION_JUMP_MAX);
	assert_int_equal(net_gossip_stats(g)->refused_future, 2);
	net_gossip_free(g);
}

/* Never a record for ourselves; a copy above ours makes us re-publish. */
static void
test_self(void **state)
{
	struct net_gossip	*g = mk(0);
	const uint8_t		*d;
	size_t			 n;

	(void)state;
	peers(g);
	assert_int_equal(publish(g, "mine", 1), 0);
	reset();
	recv_record(g, B, S, 1, "mine", 0);	/* our own, echoed */
	assert_int_equal(net_gossip_get(g, S, &d, &n), 1);
	assert_int_equal(R.nsend, 0);
	recv_record(g, B, S, 1, "forged", 0);	/* same version, other bytes */
	assert_int_equal(net_gossip_get(g, S, &d, &n), 2);
	assert_memory_equal(d, "mine", 4);
	assert_int_equal(R.nsend, 4);		/* re-published */
	assert_int_equal(R.first_ver[0], 2);
	reset();
	recv_record(g, B, S, 57, "old life", 3);	/* before a restart */
	assert_int_equal(net_gossip_get(g, S, &d, &n), 58);
	assert_memory_equal(d, "mine", 4);
	assert_int_equal(R.nsend, 4);
	assert_int_equal(R.first_ver[0], 58);
	assert_int_equal(R.hops[0], 8);
	recv_record(g, B, S, 58 + NET_GOSSIP_VERSION_JUMP_MAX + 1, "f", 0);
	assert_int_equal(net_gossip_get(g, S, NULL, NULL), 58);
	assert_int_equal(net_gossip_stats(g)->refused_self, 4);
	/* A digest naming us above our version also makes us outbid. */
	msg_begin(NET_GOSSIP_DIGEST, 0);
	msg_add(S, 70, NULL);
	assert_int_equal(recv_from(g, C, 200), 0);
	assert_int_equal(net_gossip_get(g, S, NULL, NULL), 71);
	net_gossip_free(g);
}

/* Anti-entropy: digest -> records they lack + WANT -> records. */
static void
test_anti_entropy(void **state)
{
	struct net_gossip		*g = mk(0);
	struct net_gossip_config	 cfg;
	int				 i, recs = -1, want = -1;

	(void)state;
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, B, 0), 0);
	assert_int_equal(publish(g, "s", 1), 0);
	recv_record(g, B, X, 5, "x5", 0);
	recv_record(g, B, C, 2, "c2", 0);
	reset();
	/* B has X at 7 (newer), C at 2 (same), D at 1 (we lack), not us. */
	msg_begin(NET_GOSSIP_DIGEST, 0);
	msg_add(X, 7, NULL);
	msg_add(C, 2, NULL);
	msg_add(D, 1, NULL);
	assert_int_equal(recv_from(g, B, 300), 0);
	for (i = 0; i < R.nsend; i++) {
		if (R.kind[i] == NET_GOSSIP_RECORDS)
			recs = i;
		if (R.kind[i] == NET_GOSSIP_WANT)
			want = i;
	}
	assert_true(recs >= 0 && want >= 0);
	assert_int_equal(R.n[recs], 1);		/* our own record */
	assert_string_equal(R.first[recs], S);
	assert_int_equal(R.n[want], 2);		/* X (have 5) and D (have 0) */
	assert_string_equal(R.first[want], X);
	assert_int_equal(R.first_ver[want], 5);
	/* Answering a WANT: only what is newer than the version named. */
	reset();
	msg_begin(NET_GOSSIP_WANT, 0);
	msg_add(X, 4, NULL);
	msg_add(C, 2, NULL);
	msg_add(E, 0, NULL);
	assert_int_equal(recv_from(g, B, 400), 0);
	assert_int_equal(R.nsend, 1);
	assert_int_equal(R.kind[0], NET_GOSSIP_RECORDS);
	assert_int_equal(R.n[0], 1);
	assert_string_equal(R.first[0], X);
	assert_int_equal(R.hops[0], 0);
	net_gossip_free(g);

	/* The periodic SUMMARY goes to one peer every ae_ms (jittered). */
	net_gossip_config_default(&cfg);
	cfg.ae_ms = 1000;
	g = net_gossip_new(S, &cfg);
	assert_non_null(g);
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, B, 0), 0);
	reset();
	for (i = 1; i <= 100; i++)
		assert_int_equal(ev(g, NET_GOSSIP_EV_TICK, NULL,
		    (uint64_t)i * 100), 0);
	assert_true(R.nsend >= 8 && R.nsend <= 14);
	for (i = 0; i < R.nsend; i++) {
		assert_int_equal(R.kind[i], NET_GOSSIP_SUMMARY);
		assert_int_equal(R.n[i], 0);
	}
	net_gossip_free(g);
}

/* ---- summaries, between two state machines ---- */

static struct net_gossip *
mk_as(const char *self, unsigned ae_ms)
{
	struct net_gossip_config	cfg;
	struct net_gossip		*g;

	net_gossip_config_default(&cfg);
	cfg.ae_ms = ae_ms;
	g = net_gossip_new(self, &cfg);
	assert_non_null(g);
	return g;
}

/* Feeds records from an outside peer (hops 0: not forwarded). */
static void
load(struct net_gossip *g, const char *origin, uint64_t v, const char *data)
{
	msg_begin(NET_GOSSIP_RECORDS, 0);
	msg_add(origin, v, data);
	assert_int_equal(recv_from(g, E, 1), 0);
}

static int
same_summary(const struct net_gossip *a, const struct net_gossip *b)
{
	uint64_t	ca, ha, cb, hb;

	net_gossip_summary(a, &ca, &ha);
	net_gossip_summary(b, &cb, &hb);
	return ca == cb && ha == hb;
}

/* Same pairs in any order: same summary; any version moved: another. */
static void
test_summary_hash(void **state)
{
	struct net_gossip	*a = mk_as(S, 1000), *b = mk_as(S, 1000);
	const char		*o[] = { B, C, D, X };
	uint64_t		 count, hash;
	int			 i;

	(void)state;
	net_gossip_summary(a, &count, &hash);
	assert_int_equal(count, 0);		/* ours: not published yet */
	assert_int_equal(hash, 0);
	assert_int_equal(publish(a, "s", 1), 0);
	assert_int_equal(publish(b, "s", 1), 0);
	for (i = 0; i < 4; i++)
		load(a, o[i], (uint64_t)i + 2, "x");
	for (i = 3; i >= 0; i--)
		load(b, o[i], (uint64_t)i + 2, "other bytes");
	net_gossip_summary(a, &count, &hash);
	assert_int_equal(count, 5);
	assert_true(same_summary(a, b));	/* bytes do not count */
	/* Each origin's version moved in turn, then ours. */
	for (i = 0; i < 4; i++) {
		load(b, o[i], (uint64_t)i + 3, "x");
		assert_false(same_summary(a, b));
		load(a, o[i], (uint64_t)i + 3, "x");
		assert_true(same_summary(a, b));
	}
	assert_int_equal(publish(a, "s", 2), 0);
	assert_false(same_summary(a, b));
	assert_int_equal(publish(b, "s", 2), 0);
	assert_true(same_summary(a, b));
	/* A tombstone counts with its version, like the record. */
	assert_int_equal(ev(a, NET_GOSSIP_EV_FORGET, X, 10), 0);
	assert_true(same_summary(a, b));
	net_gossip_summary(a, &count, &hash);
	assert_int_equal(count, 5);
	net_gossip_free(a);
	net_gossip_free(b);

	/* Versions swapped between two origins: still told apart. */
	a = mk_as(S, 1000);
	b = mk_as(S, 1000);
	load(a, B, 1, "x");
	load(a, C, 2, "x");
	load(b, B, 2, "x");
	load(b, C, 1, "x");
	assert_false(same_summary(a, b));
	net_gossip_free(a);
	net_gossip_free(b);
}

/* Two state machines (ids S and B) wired to each other. */
struct qmsg {
	int			 from;
	char			 to[SEC_NODE_ID_SIZE];
	struct net_gossip_msg	*m;
	uint8_t			*buf;
};

struct pair {
	struct net_gossip	*g[2];
	const char		*id[2];
	int			 cur;
	struct qmsg		 q[64];
	int			 head, nq;
	enum net_gossip_kind	 log[64];	/* kinds sent, in order */
	int			 logfrom[64];
	int			 nlog;
	int			 nchg[2];
};

static void
psink(void *arg, const struct net_gossip_action *a)
{
	struct pair	*p = arg;
	struct qmsg	*q;
	size_t		 i, total = 0, off = 0;

	if (a->type == NET_GOSSIP_ACT_CHANGED) {
		p->nchg[p->cur]++;
		return;
	}
	assert_true(p->nlog < 64 && p->nq < 64);
	p->logfrom[p->nlog] = p->cur;
	p->log[p->nlog++] = a->msg->kind;
	q = &p->q[p->nq++];
	q->from = p->cur;
	(void)snprintf(q->to, sizeof q->to, "%s", a->peer);
	q->m = malloc(offsetof(struct net_gossip_msg, e) +
	    (a->msg->n + 1) * sizeof a->msg->e[0]);
	assert_non_null(q->m);
	memcpy(q->m, a->msg, offsetof(struct net_gossip_msg, e) +
	    a->msg->n * sizeof a->msg->e[0]);
	for (i = 0; i < a->msg->n; i++)
		total += a->msg->e[i].len;
	q->buf = malloc(total + 1);
	assert_non_null(q->buf);
	for (i = 0; i < a->msg->n; i++) {
		if (a->msg->e[i].len > 0)
			memcpy(q->buf + off, a->msg->e[i].data,
			    a->msg->e[i].len);
		q->m->e[i].data = a->msg->e[i].len > 0 ? q->buf + off : NULL;
		off += a->msg->e[i].len;
	}
}

static int
pstep(struct pair *p, int i, const struct net_gossip_event *e, uint64_t now)
{
	p->cur = i;
	return net_gossip_step(p->g[i], e, now, psink, p);
}

static void
pair_init(struct pair *p, unsigned ae_ms)
{
	struct net_gossip_event	e;
	int			i;

	memset(p, 0, sizeof *p);
	p->id[0] = S;
	p->id[1] = B;
	for (i = 0; i < 2; i++)
		p->g[i] = mk_as(p->id[i], ae_ms);
	memset(&e, 0, sizeof e);
	e.type = NET_GOSSIP_EV_PEER_UP;
	for (i = 0; i < 2; i++) {
		e.peer = p->id[1 - i];
		assert_int_equal(pstep(p, i, &e, 0), 0);
	}
}

static void
pair_clear_log(struct pair *p)
{
	p->nlog = 0;
	p->nchg[0] = p->nchg[1] = 0;
}

/* Delivers everything queued, and what that causes, at time now. */
static void
pump(struct pair *p, uint64_t now)
{
	struct net_gossip_event	 e;
	struct qmsg		*q;
	int			 to;

	for (p->head = 0; p->head < p->nq; p->head++) {
		q = &p->q[p->head];
		to = 1 - q->from;
		if (strcmp(q->to, p->id[to]) == 0) {
			memset(&e, 0, sizeof e);
			e.type = NET_GOSSIP_EV_RECV;
			e.peer = p->id[q->from];
			e.msg = q->m;
			assert_int_equal(pstep(p, to, &e, now), 0);
		}
		free(q->m);
		free(q->buf);
	}
	p->nq = 0;
}

static void
pair_free(struct pair *p)
{
	pump(p, 0);
	net_gossip_free(p->g[0]);
	net_gossip_free(p->g[1]);
}

/* Node i's table (its own record aside) gets origin at version v. */
static void
pload(struct pair *p, int i, const char *origin, uint64_t v)
{
	load(p->g[i], origin, v, origin);
}

static void
ppublish(struct pair *p, int i, const char *data, bool quiet, uint64_t now)
{
	struct net_gossip_event	e;

	memset(&e, 0, sizeof e);
	e.type = NET_GOSSIP_EV_PUBLISH;
	e.data = (const uint8_t *)data;
	e.len = strlen(data);
	e.quiet = quiet;
	assert_int_equal(pstep(p, i, &e, now), 0);
}

/* Node i's anti-entropy timer fires (ae_ms 1000: due by now = 1000). */
static void
ptick(struct pair *p, int i, uint64_t now)
{
	struct net_gossip_event	e;

	memset(&e, 0, sizeof e);
	e.type = NET_GOSSIP_EV_TICK;
	assert_int_equal(pstep(p, i, &e, now), 0);
}

/* Equal tables: a SUMMARY gets no answer at all. */
static void
test_summary_equal(void **state)
{
	struct pair	*p = calloc(1, sizeof *p);

	(void)state;
	assert_non_null(p);
	pair_init(p, 1000);
	pump(p, 0);
	ppublish(p, 0, "s", false, 1);
	ppublish(p, 1, "b", false, 1);
	pload(p, 0, X, 3);
	pload(p, 1, X, 3);
	pump(p, 1);
	assert_true(same_summary(p->g[0], p->g[1]));
	pair_clear_log(p);
	ptick(p, 0, 1000);
	assert_int_equal(p->nlog, 1);
	assert_int_equal(p->log[0], NET_GOSSIP_SUMMARY);
	pump(p, 1001);
	assert_int_equal(p->nlog, 1);			/* no answer */
	assert_int_equal(net_gossip_stats(p->g[1])->summaries_matched, 1);
	assert_int_equal(net_gossip_stats(p->g[1])->summaries_differed, 0);
	pair_free(p);
	free(p);
}

/* Different tables: SUMMARY -> DIGEST -> RECORDS + WANT -> RECORDS. */
static void
test_summary_repair(void **state)
{
	struct pair	*p = calloc(1, sizeof *p);
	int		 i, digest = 0, want = 0, recs[2] = { 0, 0 };

	(void)state;
	assert_non_null(p);
	pair_init(p, 1000);
	pump(p, 0);
	/* S: X 3 (newer), C 1 (B lacks it); B: X 1, D 2 (S lacks it). */
	pload(p, 0, X, 3);
	pload(p, 0, C, 1);
	pload(p, 1, X, 1);
	pload(p, 1, D, 2);
	assert_false(same_summary(p->g[0], p->g[1]));
	pair_clear_log(p);
	ptick(p, 0, 1000);
	pump(p, 1001);
	assert_int_equal(p->log[0], NET_GOSSIP_SUMMARY);
	assert_int_equal(p->logfrom[0], 0);
	for (i = 1; i < p->nlog; i++) {
		if (p->log[i] == NET_GOSSIP_DIGEST) {
			digest++;
			assert_int_equal(p->logfrom[i], 1);	/* B answers */
		}
		if (p->log[i] == NET_GOSSIP_WANT)
			want++;
		if (p->log[i] == NET_GOSSIP_RECORDS)
			recs[p->logfrom[i]]++;
	}
	assert_int_equal(digest, 1);
	assert_int_equal(want, 1);
	assert_int_equal(recs[0], 1);
	assert_int_equal(recs[1], 1);
	assert_int_equal(p->nlog, 5);
	assert_int_equal(net_gossip_stats(p->g[1])->summaries_differed, 1);
	/* Both repaired. */
	assert_int_equal(net_gossip_get(p->g[1], X, NULL, NULL), 3);
	assert_int_equal(net_gossip_get(p->g[1], C, NULL, NULL), 1);
	assert_int_equal(net_gossip_get(p->g[0], D, NULL, NULL), 2);
	assert_true(same_summary(p->g[0], p->g[1]));
	/* The next round is silent. */
	pair_clear_log(p);
	ptick(p, 1, 3000);
	pump(p, 3001);
	assert_int_equal(p->nlog, 1);
	assert_int_equal(net_gossip_stats(p->g[0])->summaries_matched, 1);
	pair_free(p);
	free(p);
}

/* Quiet publish: stored, CHANGED, no SEND; anti-entropy carries it. */
static void
test_quiet_publish(void **state)
{
	struct pair	*p = calloc(1, sizeof *p);
	const uint8_t	*d;
	size_t		 n;

	(void)state;
	assert_non_null(p);
	pair_init(p, 1000);
	pump(p, 0);
	ppublish(p, 0, "loud", false, 1);
	pump(p, 1);
	assert_int_equal(net_gossip_get(p->g[1], S, NULL, NULL), 1);
	pair_clear_log(p);
	ppublish(p, 0, "quiet", true, 2);
	assert_int_equal(p->nlog, 0);
	assert_int_equal(p->nchg[0], 1);
	assert_int_equal(net_gossip_get(p->g[0], S, &d, &n), 2);
	assert_memory_equal(d, "quiet", 5);
	assert_int_equal(net_gossip_get(p->g[1], S, NULL, NULL), 1);
	/* B's summary reaches S, which differs and sends its digest. */
	ptick(p, 1, 1000);
	pump(p, 1001);
	assert_int_equal(net_gossip_get(p->g[1], S, &d, &n), 2);
	assert_int_equal(n, 5);
	assert_memory_equal(d, "quiet", 5);
	assert_true(same_summary(p->g[0], p->g[1]));
	pair_free(p);
	free(p);
}

/* A peer flooding SUMMARYs gets one DIGEST per ae_ms / 2 at most. */
static void
test_summary_flood(void **state)
{
	struct net_gossip	*g = mk_as(S, 1000);
	uint64_t		 t;
	int			 i, digests = 0, sent = 0;

	(void)state;
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, B, 0), 0);
	assert_int_equal(publish(g, "s", 0), 0);
	reset();
	/* Not a session of ours: never answered. */
	msg_begin(NET_GOSSIP_SUMMARY, 0);
	M.sum_count = 7;
	M.sum_hash = 12345;
	assert_int_equal(recv_from(g, C, 1), 0);
	assert_int_equal(R.nsend, 0);
	assert_int_equal(net_gossip_stats(g)->summary_refused, 1);
	/* 2 s of a summary every 10 ms from B: digests at 1, 501, ... */
	for (t = 1; t <= 2000; t += 10) {
		reset();
		msg_begin(NET_GOSSIP_SUMMARY, 0);
		M.sum_count = 7;
		M.sum_hash = t;
		assert_int_equal(recv_from(g, B, t), 0);
		sent++;
		for (i = 0; i < R.nsend; i++) {
			assert_int_equal(R.kind[i], NET_GOSSIP_DIGEST);
			assert_string_equal(R.to[i], B);
			digests++;
		}
	}
	assert_int_equal(digests, 4);			/* 1, 501, 1001, 1501 */
	assert_int_equal(net_gossip_stats(g)->summaries_differed, sent + 1);
	assert_int_equal(net_gossip_stats(g)->summary_refused,
	    sent - digests + 1);
	/* A summary equal to ours is not counted as refused. */
	msg_begin(NET_GOSSIP_SUMMARY, 0);
	net_gossip_summary(g, &M.sum_count, &M.sum_hash);
	assert_int_equal(recv_from(g, B, 2001), 0);
	assert_int_equal(net_gossip_stats(g)->summaries_matched, 1);
	assert_int_equal(net_gossip_stats(g)->summary_refused,
	    sent - digests + 1);
	/* A SUMMARY with entries, or an absurd count, is refused whole. */
	msg_begin(NET_GOSSIP_SUMMARY, 0);
	msg_add(X, 1, NULL);
	assert_int_equal(recv_from(g, B, 2002), -1);
	msg_begin(NET_GOSSIP_SUMMARY, 0);
	M.sum_count = NET_GOSSIP_MAX_ORIGINS + 1;
	assert_int_equal(recv_from(g, B, 2003), -1);
	assert_int_equal(net_gossip_stats(g)->refused_msgs, 2);
	net_gossip_free(g);
}

/* Forget: a tombstone keeps the version; a newer record revives it. */
static void
test_forget(void **state)
{
	struct net_gossip_config	cfg;
	struct net_gossip		*g;

	(void)state;
	net_gossip_config_default(&cfg);
	cfg.tomb_ms = 5000;
	cfg.ae_ms = 1000000;
	g = net_gossip_new(S, &cfg);
	assert_non_null(g);
	recv_record(g, B, X, 5, "x5", 0);
	reset();
	assert_int_equal(ev(g, NET_GOSSIP_EV_FORGET, X, 1000), 0);
	assert_int_equal(R.nchg, 1);
	assert_int_equal(R.chg_ver[0], 0);
	assert_int_equal(net_gossip_get(g, X, NULL, NULL), 0);
	assert_int_equal(net_gossip_count(g), 1);	/* just us */
	recv_record(g, B, X, 5, "x5", 0);		/* stale copy */
	assert_int_equal(net_gossip_get(g, X, NULL, NULL), 0);
	recv_record(g, B, X, 6, "x6", 0);		/* it came back */
	assert_int_equal(net_gossip_get(g, X, NULL, NULL), 6);
	/* Tombstones expire: then even an old copy is taken again. */
	assert_int_equal(ev(g, NET_GOSSIP_EV_FORGET, X, 2000), 0);
	assert_int_equal(ev(g, NET_GOSSIP_EV_TICK, NULL, 6999), 0);
	recv_record(g, B, X, 6, "x6", 0);
	assert_int_equal(net_gossip_get(g, X, NULL, NULL), 0);
	assert_int_equal(ev(g, NET_GOSSIP_EV_TICK, NULL, 7000), 0);
	recv_record(g, B, X, 6, "x6", 0);
	assert_int_equal(net_gossip_get(g, X, NULL, NULL), 6);
	net_gossip_free(g);
}

static void
test_bounds(void **state)
{
	struct net_gossip		*g = mk(3);
	struct net_gossip_config	 cfg;
	static char			 big[NET_GOSSIP_RECORD_MAX + 2];
	struct net_gossip_event		 e;

	(void)state;
	reset();
	recv_record(g, B, X, 1, "x", 0);
	recv_record(g, B, C, 1, "c", 0);
	recv_record(g, B, D, 1, "d", 0);	/* us + 2: full */
	assert_int_equal(net_gossip_get(g, D, NULL, NULL), 0);
	assert_int_equal(net_gossip_stats(g)->refused_full, 1);
	/* A digest over max_origins is refused whole. */
	msg_begin(NET_GOSSIP_DIGEST, 0);
	msg_add(X, 1, NULL);
	msg_add(C, 1, NULL);
	msg_add(D, 1, NULL);
	msg_add(E, 1, NULL);
	assert_int_equal(recv_from(g, B, 10), -1);
	assert_int_equal(net_gossip_stats(g)->refused_msgs, 1);
	/* Bad shapes. */
	msg_begin(NET_GOSSIP_RECORDS, NET_GOSSIP_HOPS_MAX + 1);
	assert_int_equal(recv_from(g, B, 10), -1);
	msg_begin((enum net_gossip_kind)7, 0);
	assert_int_equal(recv_from(g, B, 10), -1);
	msg_begin(NET_GOSSIP_RECORDS, 0);
	msg_add(X, 2, "x");
	M.e[0].data = NULL;
	assert_int_equal(recv_from(g, B, 10), -1);
	msg_begin(NET_GOSSIP_WANT, 0);
	M.n = NET_GOSSIP_MSG_ENTRIES + 1;
	assert_int_equal(recv_from(g, B, 10), -1);
	assert_int_equal(recv_from(g, S, 10), -1);	/* from ourselves */
	net_gossip_free(g);

	/* Record size: publish and receive. */
	net_gossip_config_default(&cfg);
	cfg.max_record = 100;
	g = net_gossip_new(S, &cfg);
	assert_non_null(g);
	memset(big, 'a', 101);
	big[101] = '\0';
	assert_int_equal(publish(g, big, 1), -1);
	big[100] = '\0';
	assert_int_equal(publish(g, big, 1), 0);
	msg_begin(NET_GOSSIP_RECORDS, 0);
	big[100] = 'a';
	msg_add(X, 1, big);
	assert_int_equal(recv_from(g, B, 10), -1);
	memset(&e, 0, sizeof e);
	e.type = NET_GOSSIP_EV_PUBLISH;
	e.len = 3;			/* no data */
	assert_int_equal(net_gossip_step(g, &e, 2, sink, &R), -1);
	net_gossip_free(g);
}

/* An answer bigger than one message is split within the budget. */
static void
test_split(void **state)
{
	struct net_gossip	*g = mk(0);
	static char		 rec[20001];
	char			 id[SEC_NODE_ID_SIZE];
	int			 i;

	(void)state;
	memset(rec, 'r', 20000);
	assert_int_equal(ev(g, NET_GOSSIP_EV_PEER_UP, B, 0), 0);
	for (i = 0; i < 10; i++) {
		(void)snprintf(id, sizeof id, "%025dq", i);
		recv_record(g, C, id, 1, rec, 0);
	}
	reset();
	msg_begin(NET_GOSSIP_DIGEST, 0);	/* B has nothing */
	assert_int_equal(recv_from(g, B, 10), 0);
	assert_int_equal(R.nsend, 5);		/* 2 x 20 KB per message */
	for (i = 0; i < 5; i++)
		assert_int_equal(R.n[i], 2);
	net_gossip_free(g);
}

/* ---- wire ---- */

static void
roundtrip(enum net_gossip_kind kind)
{
	static struct net_gossip_msg	b;
	struct sec_cbor_writer		w;
	char				err[256];
	size_t				i;

	sec_cbor_writer_dynamic(&w, 64 * 1024);
	assert_int_equal(net_gossip_wire_encode(&M, &w), 0);
	if (net_gossip_wire_decode(kind, sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), NET_GOSSIP_RECORD_MAX, &b, err,
	    sizeof err) != 0)
		fail_msg("decode: %s", err);
	assert_int_equal(b.kind, M.kind);
	assert_int_equal(b.hops, M.hops);
	assert_int_equal(b.sum_count, M.sum_count);
	assert_true(b.sum_hash == M.sum_hash);
	assert_int_equal(b.n, M.n);
	for (i = 0; i < M.n; i++) {
		assert_string_equal(b.e[i].origin, M.e[i].origin);
		assert_int_equal(b.e[i].version, M.e[i].version);
		assert_int_equal(b.e[i].len, M.e[i].len);
		if (M.e[i].len > 0)
			assert_memory_equal(b.e[i].data, M.e[i].data,
			    M.e[i].len);
	}
	sec_cbor_writer_release(&w);
}

static void
test_wire_roundtrip(void **state)
{
	struct sec_cbor_writer	w;
	const uint8_t		*p;

	(void)state;
	msg_begin(NET_GOSSIP_RECORDS, 3);
	msg_add(B, 1, "abc");
	msg_add(C, UINT64_MAX, "");
	roundtrip(NET_GOSSIP_RECORDS);
	msg_begin(NET_GOSSIP_DIGEST, 0);
	msg_add(B, 1, NULL);
	msg_add(X, 1ull << 40, NULL);
	roundtrip(NET_GOSSIP_DIGEST);
	msg_begin(NET_GOSSIP_WANT, 0);
	roundtrip(NET_GOSSIP_WANT);
	assert_int_equal(net_gossip_wire_kind(NET_GOSSIP_WIRE_TYPE_DIGEST),
	    NET_GOSSIP_DIGEST);
	assert_int_equal(net_gossip_wire_kind(NET_GOSSIP_WIRE_TYPE_WANT),
	    NET_GOSSIP_WANT);
	assert_int_equal(net_gossip_wire_kind(NET_GOSSIP_WIRE_TYPE_SUMMARY),
	    NET_GOSSIP_SUMMARY);
	assert_int_equal(net_gossip_wire_kind(1), 0);
	msg_begin(NET_GOSSIP_SUMMARY, 0);
	M.sum_count = NET_GOSSIP_MAX_ORIGINS;
	M.sum_hash = UINT64_MAX;
	roundtrip(NET_GOSSIP_SUMMARY);
	msg_begin(NET_GOSSIP_SUMMARY, 0);
	roundtrip(NET_GOSSIP_SUMMARY);
	/* Pinned: SUMMARY {3: count, 4: hash}: 13 bytes for a count < 24. */
	msg_begin(NET_GOSSIP_SUMMARY, 0);
	M.sum_count = 5;
	M.sum_hash = UINT64_C(0x0102030405060708);
	sec_cbor_writer_dynamic(&w, 1024);
	assert_int_equal(net_gossip_wire_encode(&M, &w), 0);
	assert_int_equal(sec_cbor_writer_len(&w), 13);
	assert_memory_equal(sec_cbor_writer_data(&w),
	    "\xa2\x03\x05\x04\x1b\x01\x02\x03\x04\x05\x06\x07\x08", 13);
	sec_cbor_writer_release(&w);
	/* A SUMMARY with entries is not encoded. */
	msg_begin(NET_GOSSIP_SUMMARY, 0);
	msg_add(B, 1, NULL);
	sec_cbor_writer_dynamic(&w, 1024);
	assert_int_equal(net_gossip_wire_encode(&M, &w), -1);
	sec_cbor_writer_release(&w);
	/* Pinned: RECORDS {1: hops, 2: [[origin, version, bytes]]}. */
	msg_begin(NET_GOSSIP_RECORDS, 2);
	msg_add(B, 5, "z");
	sec_cbor_writer_dynamic(&w, 1024);
	assert_int_equal(net_gossip_wire_encode(&M, &w), 0);
	p = sec_cbor_writer_data(&w);
	assert_int_equal(sec_cbor_writer_len(&w), 6 + 28 + 1 + 2);
	assert_memory_equal(p, "\xa2\x01\x02\x02\x81\x83\x78\x1a", 8);
	assert_memory_equal(p + 34, "\x05\x41z", 3);
	sec_cbor_writer_release(&w);
	/* Bad ids are not encoded. */
	msg_begin(NET_GOSSIP_DIGEST, 0);
	msg_add("nope", 1, NULL);
	sec_cbor_writer_dynamic(&w, 1024);
	assert_int_equal(net_gossip_wire_encode(&M, &w), -1);
	sec_cbor_writer_release(&w);
}

static void
bad(enum net_gossip_kind kind, const uint8_t *p, size_t n, size_t max,
    const char *want)
{
	static struct net_gossip_msg	m;
	char				err[256] = "";

	assert_int_equal(net_gossip_wire_decode(kind, p, n, max, &m, err,
	    sizeof err), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void
test_wire_bad(void **state)
{
	struct sec_cbor_writer	w;
	uint8_t			*buf;
	int			 i;

	(void)state;
	bad(NET_GOSSIP_DIGEST, (const uint8_t *)"\xa0", 1, 10, "missing key 1");
	bad(NET_GOSSIP_RECORDS, (const uint8_t *)"\xa1\x02\x80", 3, 10,
	    "missing key 1 (hops)");
	bad(NET_GOSSIP_RECORDS, (const uint8_t *)"\xa2\x01\x11\x02\x80", 5,
	    10, "hops");
	bad(NET_GOSSIP_WANT, (const uint8_t *)"\xa1\x01\x81\x82\x61x\x01", 7,
	    10, "bad origin");
	bad((enum net_gossip_kind)0, (const uint8_t *)"\xa0", 1, 10,
	    "unknown kind");
	bad(NET_GOSSIP_DIGEST, (const uint8_t *)"\xa1\x01\x81\x83", 4, 10,
	    "gossip payload");
	/* A record over max_record. */
	msg_begin(NET_GOSSIP_RECORDS, 0);
	msg_add(B, 1, "0123456789A");
	sec_cbor_writer_dynamic(&w, 1024);
	assert_int_equal(net_gossip_wire_encode(&M, &w), 0);
	bad(NET_GOSSIP_RECORDS, sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), 10, "at most 10");
	sec_cbor_writer_release(&w);
	/* More entries than a message may hold. */
	buf = calloc(1, 4096);
	assert_non_null(buf);
	i = 0;
	buf[i++] = 0xa1;
	buf[i++] = 0x01;
	buf[i++] = 0x99;
	buf[i++] = 0x04;
	buf[i++] = 0x01;			/* 1025 entries */
	for (; i < 5 + 1025; i++)
		buf[i] = 0x80;
	bad(NET_GOSSIP_DIGEST, buf, (size_t)i, 10, "gossip payload");
	free(buf);
	/* Unknown keys are skipped. */
	{
		static struct net_gossip_msg	m;
		char				err[128];

		assert_int_equal(net_gossip_wire_decode(NET_GOSSIP_WANT,
		    (const uint8_t *)"\xa2\x01\x80\x09\x61q", 6, 10, &m, err,
		    sizeof err), 0);
		assert_int_equal(m.n, 0);
		assert_int_equal(net_gossip_wire_decode(NET_GOSSIP_SUMMARY,
		    (const uint8_t *)"\xa3\x03\x02\x04\x07\x09\x61q", 8, 10,
		    &m, err, sizeof err), 0);
		assert_int_equal(m.kind, NET_GOSSIP_SUMMARY);
		assert_int_equal(m.sum_count, 2);
		assert_int_equal(m.sum_hash, 7);
		assert_int_equal(m.n, 0);
	}
}

/* SUMMARY: no entries, both numbers, bounded count. */
static void
test_wire_summary_bad(void **state)
{
	(void)state;
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\xa3\x01\x80\x03\x01\x04\x01",
	    7, 10, "carries no entries");
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\xa3\x02\x80\x03\x01\x04\x01",
	    7, 10, "carries no entries");
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\xa1\x04\x01", 3, 10,
	    "missing key 3 (count)");
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\xa1\x03\x01", 3, 10,
	    "missing key 4 (hash)");
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\xa0", 1, 10,
	    "missing key 3");
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\xa2\x03\x19\x04\x01\x04\x00",
	    7, 10, "key 3 (count)");		/* 1025 origins */
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\xa2\x03\x01\x04\x61x", 6,
	    10, "key 4 (hash)");
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\xa2\x03\x01\x04", 4, 10,
	    "gossip payload");			/* cut short */
	bad(NET_GOSSIP_SUMMARY, (const uint8_t *)"\x80", 1, 10, "not a map");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_versions_forward),
		cmocka_unit_test(test_far_future),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_anti_entropy),
		cmocka_unit_test(test_summary_hash),
		cmocka_unit_test(test_summary_equal),
		cmocka_unit_test(test_summary_repair),
		cmocka_unit_test(test_quiet_publish),
		cmocka_unit_test(test_summary_flood),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_wire_roundtrip),
		cmocka_unit_test(test_wire_bad),
		cmocka_unit_test(test_wire_summary_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
