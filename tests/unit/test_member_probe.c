/*
 * test_member_probe.c - probe mode of the membership state machine
 * (net/net_member_probe.c, SWIM's failure detector), one rule at a time.
 *
 * Covers: a probe answered directly; the ring schedule (with the wall
 * clock, members probed in id order one per wall-clock period); the indirect probe (PING-REQ to the
 * helpers, a relayed ACK counted only from a helper we asked, for the
 * sequence number and target we asked about); a probe that fails with
 * NACKs (suspicion with the helpers as confirmations, the suspect told at
 * once, DEAD after dead_ms); one that fails with no NACK (local health
 * rises and stretches the period); relays for others (ACK relayed with
 * the requester's tag, NACK at the deadline, the per-requester and total
 * bounds, nonsense requests refused); suspicions from hearsay (refused on
 * fresh evidence, else adopted and probed out of turn); no DEAD on our
 * word alone, and after dead_max_ms with one confirmation; DEAD members
 * remembered and told so now and then (healing a partition); our own
 * suspect probed next; the transmit-limited gossip queue
 * (a claim goes a bounded number of times, then an idle node sends only
 * probes); a joiner announced to every member we hold a session with;
 * and the wire form of probe messages.  Cluster-wide behaviour
 * (detection time, false positives, traffic against N) is in
 * test_member_sim.c and tests/bench/bench_swim.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_member.h"
#include "sec_cbor.h"

#define S	"aaaaaaaaaaaaaaaaaaaaaaaaaa"	/* self */
#define B	"bbbbbbbbbbbbbbbbbbbbbbbbba"
#define C	"cccccccccccccccccccccccccq"
#define D	"dddddddddddddddddddddddddq"
#define E	"eeeeeeeeeeeeeeeeeeeeeeeeea"
#define F	"fffffffffffffffffffffffffq"

#define NSENT	512

struct sent {
	char		to[SEC_NODE_ID_SIZE];
	unsigned	flags;
	uint8_t		probe;
	uint64_t	seq;
	char		target[SEC_NODE_ID_SIZE];
	size_t		nclaims;
	struct net_member_claim c0, c1;
};

static struct sent	out[NSENT];
static int		nout;

static void
sink(void *arg, const struct net_member_action *a)
{
	struct sent	*s;

	(void)arg;
	if (a->type != NET_MEMBER_ACT_SEND || nout == NSENT)
		return;
	s = &out[nout++];
	memset(s, 0, sizeof *s);
	(void)snprintf(s->to, sizeof s->to, "%s", a->peer);
	s->flags = a->msg->flags;
	s->probe = a->msg->probe;
	if (a->msg->nclaims > 1)
		s->c1 = a->msg->claims[1];
	s->seq = a->msg->seq;
	memcpy(s->target, a->msg->target, sizeof s->target);
	s->nclaims = a->msg->nclaims;
	if (a->msg->nclaims > 0)
		s->c0 = a->msg->claims[0];
}

static void
clear(void)
{
	nout = 0;
}

/* The n-th sent message of kind probe (to `to` if not NULL), or NULL. */
static const struct sent *
find(uint8_t probe, const char *to, int nth)
{
	int	i;

	for (i = 0; i < nout; i++)
		if (out[i].probe == probe &&
		    (to == NULL || strcmp(out[i].to, to) == 0) && nth-- == 0)
			return &out[i];
	return NULL;
}

static int
count(uint8_t probe, const char *to)
{
	int	i, n = 0;

	for (i = 0; i < nout; i++)
		if (out[i].probe == probe &&
		    (to == NULL || strcmp(out[i].to, to) == 0))
			n++;
	return n;
}

static void
step(struct net_member *m, enum net_member_ev_type t, const char *peer,
    const struct net_member_msg *msg, uint64_t now)
{
	struct net_member_event	e;

	memset(&e, 0, sizeof e);
	e.type = t;
	e.peer = peer;
	e.msg = msg;
	assert_int_equal(net_member_step(m, &e, now, sink, NULL), 0);
}

static void
tick(struct net_member *m, uint64_t now)
{
	step(m, NET_MEMBER_EV_TICK, NULL, NULL, now);
}

static struct net_member_msg	pm;

static void
probe_msg(struct net_member *m, const char *from, uint8_t kind, uint64_t seq,
    const char *target, uint64_t now)
{
	memset(&pm, 0, offsetof(struct net_member_msg, claims));
	pm.probe = kind;
	pm.seq = seq;
	if (target != NULL)
		(void)snprintf(pm.target, sizeof pm.target, "%s", target);
	step(m, NET_MEMBER_EV_RECV, from, &pm, now);
}

static void
claim(struct net_member *m, const char *from, const char *subject,
    enum net_member_status status, uint64_t inc, const char *by,
    uint64_t now)
{
	memset(&pm, 0, offsetof(struct net_member_msg, claims) +
	    sizeof pm.claims[0]);
	pm.nclaims = 1;
	(void)snprintf(pm.claims[0].subject, SEC_NODE_ID_SIZE, "%s", subject);
	(void)snprintf(pm.claims[0].from, SEC_NODE_ID_SIZE, "%s", by);
	pm.claims[0].status = (uint8_t)status;
	pm.claims[0].incarnation = inc;
	step(m, NET_MEMBER_EV_RECV, from, &pm, now);
}

/* Self with members B..F, all heard at time 0. */
static struct net_member *
mk(struct net_member_config *cfg)
{
	struct net_member_config	 c;
	struct net_member		*m;
	const char			*ids[] = { B, C, D, E, F };
	size_t				 i;

	net_member_config_probe(&c);
	c.sync_ms = 1000000;	/* no periodic sync in these tests */
	c.seed = 7;
	if (cfg != NULL)
		*cfg = c;
	m = net_member_new(S, &c);
	assert_non_null(m);
	for (i = 0; i < 5; i++)
		step(m, NET_MEMBER_EV_CONN_UP, ids[i], NULL, 0);
	clear();
	return m;
}

/*
 * One tick at now; every member but `silent` (NULL: none) answers the
 * PINGs it caused; helpers asked about `silent` NACK (they tried), about
 * anyone else relay an ACK (a PING of an earlier tick went unanswered).
 * Returns the index in out[] of the tick's first message.
 */
static int
tick_answered(struct net_member *m, uint64_t now, const char *silent)
{
	struct sent	s;
	int		first = nout, j;

	tick(m, now);
	for (j = first; j < nout; j++) {
		s = out[j];
		if (s.probe == NET_MEMBER_PROBE_PING && (silent == NULL ||
		    strcmp(s.to, silent) != 0))
			probe_msg(m, s.to, NET_MEMBER_PROBE_ACK, s.seq, NULL,
			    now);
		else if (s.probe == NET_MEMBER_PROBE_REQ)
			probe_msg(m, s.to, silent != NULL &&
			    strcmp(s.target, silent) == 0 ?
			    NET_MEMBER_PROBE_NACK : NET_MEMBER_PROBE_ACK, s.seq,
			    s.target, now);
	}
	return first;
}

/* Ticks every 10 ms from *now to until, answered as tick_answered(). */
static void
run_answered(struct net_member *m, uint64_t *now, uint64_t until,
    const char *silent)
{
	while (*now < until) {
		*now += 10;
		(void)tick_answered(m, *now, silent);
	}
}

/* Ticks every 10 ms from *now to until. */
static void
run(struct net_member *m, uint64_t *now, uint64_t until)
{
	while (*now < until) {
		*now += 10;
		tick(m, *now);
	}
}

/* Runs until our next PING goes out; returns it (copied). */
static struct sent
next_ping(struct net_member *m, uint64_t *now)
{
	const struct sent	*p;

	clear();
	while ((p = find(NET_MEMBER_PROBE_PING, NULL, 0)) == NULL) {
		assert_true(*now < 100000);
		*now += 10;
		tick(m, *now);
	}
	return *p;
}

static void
test_config(void **state)
{
	struct net_member_config	cfg;
	struct net_member		*m;

	(void)state;
	net_member_config_probe(&cfg);
	assert_int_equal(cfg.probe_ms, 500);
	assert_int_equal(cfg.probe_timeout_ms, 200);
	assert_int_equal(cfg.indirect, 3);
	cfg.probe_timeout_ms = 300;	/* no room for the indirect round */
	assert_null(net_member_new(S, &cfg));
	net_member_config_probe(&cfg);
	cfg.indirect = NET_MEMBER_INDIRECT_MAX + 1;
	assert_null(net_member_new(S, &cfg));
	net_member_config_probe(&cfg);
	cfg.dead_max_ms = cfg.dead_ms - 1;
	assert_null(net_member_new(S, &cfg));
	net_member_config_probe(&cfg);
	cfg.relay_max = NET_MEMBER_RELAY_MAX + 1;
	assert_null(net_member_new(S, &cfg));
	net_member_config_probe(&cfg);
	m = net_member_new(S, &cfg);
	assert_non_null(m);
	assert_int_equal(net_member_awareness(m), 0);
	net_member_free(m);
}

/* Every member is probed once per round; ACKs keep them ALIVE. */
static void
test_direct_ack(void **state)
{
	struct net_member	*m = mk(NULL);
	uint64_t		 now = 0;
	struct sent		 p;
	int			 i, seen[5] = { 0 };
	const char		*ids[] = { B, C, D, E, F };
	size_t			 j;

	(void)state;
	for (i = 0; i < 10; i++) {
		p = next_ping(m, &now);
		for (j = 0; j < 5; j++)
			if (strcmp(p.to, ids[j]) == 0)
				seen[j]++;
		now += 5;
		probe_msg(m, p.to, NET_MEMBER_PROBE_ACK, p.seq, NULL, now);
		assert_int_equal(count(NET_MEMBER_PROBE_REQ, NULL), 0);
	}
	for (j = 0; j < 5; j++)
		assert_int_equal(seen[j], 2);	/* two whole rounds */
	for (j = 0; j < 5; j++)
		assert_int_equal(net_member_status(m, ids[j], NULL),
		    NET_MEMBER_ALIVE);
	assert_int_equal(net_member_stats(m)->probes, 10);
	assert_int_equal(net_member_stats(m)->probes_failed, 0);
	assert_int_equal(net_member_stats(m)->acks_refused, 0);
	/* An answer to a PING of someone else's is answered. */
	clear();
	probe_msg(m, B, NET_MEMBER_PROBE_PING, 99, NULL, now);
	assert_non_null(find(NET_MEMBER_PROBE_ACK, B, 0));
	assert_int_equal(find(NET_MEMBER_PROBE_ACK, B, 0)->seq, 99);
	net_member_free(m);
}

/* No direct ACK: PING-REQs; a relayed ACK counts only from a helper. */
/*
 * Ring schedule: TICKs with the wall clock.  Self (S, the lowest id) walks
 * the ring of B..F in id order, one member per wall-clock period of
 * probe_ms, s = 1 + k mod 5 places on; each turn starts at a period
 * boundary, not probe_ms after the last one.  A node elsewhere on the
 * ring (D) is s places on from itself in the same period, so the two
 * never probe the same member at once.
 */
static uint64_t	ring_wall;

static void
tick_wall(struct net_member *m, uint64_t now)
{
	struct net_member_event	e;

	memset(&e, 0, sizeof e);
	e.type = NET_MEMBER_EV_TICK;
	e.wall = ring_wall + now;
	assert_int_equal(net_member_step(m, &e, now, sink, NULL), 0);
}

static void
test_ring_schedule(void **state)
{
	struct net_member_config	 c;
	struct net_member		*m = mk(&c), *d;
	const char			*ring[] = { B, C, D, E, F };
	const char			*dring[] = { E, F, S, B, C };
	const char			*ids[] = { S, B, C, E, F };
	const struct sent		*p;
	uint64_t			 now, k0 = 1000000;
	int				 i;

	(void)state;
	/* Wall clock 300 ms into period k0 (k0 mod 5 == 0) at now 0. */
	ring_wall = k0 * c.probe_ms + 300;
	tick_wall(m, 0);
	assert_non_null(p = find(NET_MEMBER_PROBE_PING, NULL, 0));
	assert_string_equal(p->to, B);
	probe_msg(m, B, NET_MEMBER_PROBE_ACK, p->seq, NULL, 0);
	/* The next turn is at the boundary (now 200), not at 500. */
	clear();
	tick_wall(m, c.probe_ms - 300 - 1);
	assert_int_equal(count(NET_MEMBER_PROBE_PING, NULL), 0);
	for (i = 1; i < 11; i++) {
		now = (uint64_t)i * c.probe_ms - 300;
		clear();
		tick_wall(m, now);
		assert_int_equal(count(NET_MEMBER_PROBE_PING, NULL), 1);
		p = find(NET_MEMBER_PROBE_PING, NULL, 0);
		assert_string_equal(p->to, ring[i % 5]);
		probe_msg(m, p->to, NET_MEMBER_PROBE_ACK, p->seq, NULL, now);
	}
	net_member_free(m);

	/* D, in the same periods: three places on from itself at k0 + 2. */
	d = net_member_new(D, &c);
	assert_non_null(d);
	for (i = 0; i < 5; i++)
		step(d, NET_MEMBER_EV_CONN_UP, ids[i], NULL, 0);
	for (i = 0; i < 5; i++) {
		now = (uint64_t)i * c.probe_ms + 10;
		ring_wall = k0 * c.probe_ms;
		clear();
		tick_wall(d, now);
		p = find(NET_MEMBER_PROBE_PING, NULL, 0);
		assert_non_null(p);
		assert_string_equal(p->to, dring[i]);
		/* S probes ring[i] in that period: never the same one. */
		assert_string_not_equal(p->to, ring[i]);
		probe_msg(d, p->to, NET_MEMBER_PROBE_ACK, p->seq, NULL, now);
	}
	net_member_free(d);
}

static void
test_indirect(void **state)
{
	struct net_member_config cfg;
	struct net_member	*m = mk(&cfg);
	uint64_t		 now = 0;
	struct sent		 p;
	const struct sent	*r;
	char			 helper[SEC_NODE_ID_SIZE], other[SEC_NODE_ID_SIZE];
	const char		*ids[] = { B, C, D, E, F };
	int			 i;

	(void)state;
	p = next_ping(m, &now);
	run(m, &now, now + cfg.probe_timeout_ms);
	assert_int_equal(count(NET_MEMBER_PROBE_REQ, NULL), 3);
	r = find(NET_MEMBER_PROBE_REQ, NULL, 0);
	assert_int_equal(r->seq, p.seq);
	assert_string_equal(r->target, p.to);
	assert_string_not_equal(r->to, p.to);
	(void)snprintf(helper, sizeof helper, "%s", r->to);
	/* A member we did not ask: refused, probe still open. */
	other[0] = '\0';
	for (i = 0; i < 5 && other[0] == '\0'; i++)
		if (strcmp(ids[i], p.to) != 0 &&
		    find(NET_MEMBER_PROBE_REQ, ids[i], 0) == NULL)
			(void)snprintf(other, sizeof other, "%s", ids[i]);
	assert_true(other[0] != '\0');
	probe_msg(m, other, NET_MEMBER_PROBE_ACK, p.seq, p.to, now + 1);
	assert_int_equal(net_member_stats(m)->acks_refused, 1);
	/* A helper, but the wrong sequence number: refused too. */
	probe_msg(m, helper, NET_MEMBER_PROBE_ACK, p.seq + 1000, p.to, now + 2);
	assert_int_equal(net_member_stats(m)->acks_refused, 2);
	/* The helper's relayed ACK ends the probe: no suspicion. */
	probe_msg(m, helper, NET_MEMBER_PROBE_ACK, p.seq, p.to, now + 3);
	run(m, &now, now + cfg.probe_ms - cfg.probe_timeout_ms);
	assert_int_equal(net_member_status(m, p.to, NULL), NET_MEMBER_ALIVE);
	assert_int_equal(net_member_stats(m)->probes_indirect, 1);
	assert_int_equal(net_member_stats(m)->probes_failed, 0);
	net_member_free(m);
}

/*
 * Silence and NACKs from every helper: SUSPECT with three confirmations,
 * the suspect told, DEAD dead_ms later; health unharmed.
 */
static void
test_fail_nack(void **state)
{
	struct net_member_config cfg;
	struct net_member	*m = mk(&cfg);
	uint64_t		 now = 0, t0;
	struct sent		 p, req[3];
	int			 i;
	const struct sent	*s;

	(void)state;
	p = next_ping(m, &now);
	t0 = now;
	run(m, &now, t0 + cfg.probe_timeout_ms);
	for (i = 0; i < 3; i++)
		req[i] = *find(NET_MEMBER_PROBE_REQ, NULL, i);
	/* Keep the helpers heard from, as the sim's live ones are. */
	for (i = 0; i < 3; i++)
		probe_msg(m, req[i].to, NET_MEMBER_PROBE_NACK, p.seq, p.to,
		    now + 200);
	now += 200;
	clear();
	run(m, &now, t0 + cfg.probe_ms);
	assert_int_equal(net_member_status(m, p.to, NULL),
	    NET_MEMBER_SUSPECT);
	assert_int_equal(net_member_stats(m)->probes_failed, 1);
	assert_int_equal(net_member_awareness(m), 0);
	/* The suspect hears of it directly, and so do the confirmers. */
	for (i = 0; i < nout; i++)
		if (strcmp(out[i].to, p.to) == 0 && out[i].nclaims == 1 &&
		    out[i].c0.status == NET_MEMBER_SUSPECT)
			break;
	assert_true(i < nout);
	/* It is probed next (our network may be at fault). */
	t0 = now;
	run_answered(m, &now, t0 + cfg.probe_ms + 20, p.to);
	assert_non_null(find(NET_MEMBER_PROBE_PING, p.to, 0));
	/* Three confirmations: DEAD dead_ms after the suspicion. */
	run_answered(m, &now, t0 + cfg.dead_ms - 20, p.to);
	assert_int_equal(net_member_status(m, p.to, NULL),
	    NET_MEMBER_SUSPECT);
	run_answered(m, &now, t0 + cfg.dead_ms + 20, p.to);
	assert_int_equal(net_member_status(m, p.to, NULL), NET_MEMBER_DEAD);
	assert_int_equal(net_member_awareness(m), 0);
	/* DEAD is gossiped, and never probed again. */
	s = NULL;
	for (i = 0; i < nout; i++)
		if (out[i].nclaims > 0 && out[i].c0.status == NET_MEMBER_DEAD)
			s = &out[i];
	assert_non_null(s);
	for (i = 0; i < 20; i++) {
		p = next_ping(m, &now);
		assert_string_not_equal(p.to, s->c0.subject);
		probe_msg(m, p.to, NET_MEMBER_PROBE_ACK, p.seq, NULL, now);
	}
	net_member_free(m);
}

/* Silence and no NACK: local health rises, the timeouts stretch. */
static void
test_fail_awareness(void **state)
{
	struct net_member_config cfg;
	struct net_member	*m = mk(&cfg);
	uint64_t		 now = 0, t1;
	struct sent		 p;
	int			 i;

	(void)state;
	p = next_ping(m, &now);
	clear();
	run(m, &now, now + cfg.probe_ms);
	assert_int_equal(net_member_awareness(m), 1);
	/* The next probe started as this one failed... */
	for (i = nout - 1; i >= 0; i--)
		if (out[i].probe == NET_MEMBER_PROBE_PING)
			break;
	assert_true(i >= 0);
	p = out[i];
	t1 = now;
	/* ...and waits twice as long before asking helpers. */
	clear();
	run(m, &now, t1 + 2 * cfg.probe_timeout_ms - 10);
	assert_int_equal(count(NET_MEMBER_PROBE_REQ, NULL), 0);
	run(m, &now, t1 + 2 * cfg.probe_timeout_ms);
	assert_int_equal(count(NET_MEMBER_PROBE_REQ, NULL), 3);
	/* An answer heals. */
	probe_msg(m, p.to, NET_MEMBER_PROBE_ACK, p.seq, NULL, now + 1);
	assert_int_equal(net_member_awareness(m), 0);
	net_member_free(m);
}

/* PING-REQ from others: relayed, bounded, nonsense refused. */
static void
test_relay(void **state)
{
	struct net_member_config cfg;
	struct net_member	*m = mk(&cfg);
	const struct sent	*p;
	uint64_t		 now = 10, ours;
	int			 i;

	(void)state;
	clear();
	probe_msg(m, B, NET_MEMBER_PROBE_REQ, 41, C, now);
	p = find(NET_MEMBER_PROBE_PING, C, 0);
	assert_non_null(p);
	ours = p->seq;
	clear();
	probe_msg(m, C, NET_MEMBER_PROBE_ACK, ours, NULL, now + 1);
	p = find(NET_MEMBER_PROBE_ACK, B, 0);
	assert_non_null(p);
	assert_int_equal(p->seq, 41);
	assert_string_equal(p->target, C);
	/* The same ACK again relays nothing. */
	clear();
	probe_msg(m, C, NET_MEMBER_PROBE_ACK, ours, NULL, now + 2);
	assert_null(find(NET_MEMBER_PROBE_ACK, B, 0));
	assert_int_equal(net_member_stats(m)->acks_refused, 1);
	/* No answer: NACK at the deadline. */
	clear();
	probe_msg(m, B, NET_MEMBER_PROBE_REQ, 42, D, now + 3);
	assert_non_null(find(NET_MEMBER_PROBE_PING, D, 0));
	tick(m, now + 3 + cfg.probe_timeout_ms);
	p = find(NET_MEMBER_PROBE_NACK, B, 0);
	assert_non_null(p);
	assert_int_equal(p->seq, 42);
	assert_string_equal(p->target, D);
	assert_int_equal(net_member_stats(m)->relays, 2);
	/* Nonsense: about us, about the requester, about a stranger. */
	probe_msg(m, B, NET_MEMBER_PROBE_REQ, 43, S, now + 4);
	probe_msg(m, B, NET_MEMBER_PROBE_REQ, 44, B, now + 4);
	probe_msg(m, B, NET_MEMBER_PROBE_REQ, 45,
	    "zzzzzzzzzzzzzzzzzzzzzzzzzq", now + 4);
	assert_int_equal(net_member_stats(m)->relays_refused, 3);
	/* A flood from one member: NET_MEMBER_RELAY_PER_PEER at once. */
	clear();
	for (i = 0; i < 50; i++)
		probe_msg(m, E, NET_MEMBER_PROBE_REQ, 100 + (uint64_t)i, D,
		    now + 5);
	assert_int_equal(count(NET_MEMBER_PROBE_PING, D),
	    NET_MEMBER_RELAY_PER_PEER);
	assert_int_equal(net_member_stats(m)->relays_refused,
	    3 + 50 - NET_MEMBER_RELAY_PER_PEER);
	/* ...which leaves room for the others. */
	clear();
	probe_msg(m, F, NET_MEMBER_PROBE_REQ, 7, D, now + 6);
	assert_non_null(find(NET_MEMBER_PROBE_PING, D, 0));
	/* An ACK nobody asked for, and a NACK for no probe of ours. */
	probe_msg(m, D, NET_MEMBER_PROBE_ACK, 999999, NULL, now + 7);
	probe_msg(m, D, NET_MEMBER_PROBE_NACK, 999999, C, now + 7);
	assert_int_equal(net_member_stats(m)->acks_refused, 3);
	net_member_free(m);
}

/* Suspicion by hearsay: refused on fresh evidence, else probed next. */
static void
test_hearsay(void **state)
{
	struct net_member_config cfg;
	struct net_member	*m = mk(&cfg);
	uint64_t		 now = 0;

	(void)state;
	/* We heard C just now (a PING from it). */
	probe_msg(m, C, NET_MEMBER_PROBE_PING, 1, NULL, 100);
	claim(m, B, C, NET_MEMBER_SUSPECT, 0, B, 150);
	assert_int_equal(net_member_status(m, C, NULL), NET_MEMBER_ALIVE);
	assert_int_equal(net_member_stats(m)->claims_refused, 1);
	/* Later: adopted, and C is the very next member we probe. */
	now = 100 + cfg.probe_ms + 50;
	clear();
	claim(m, B, C, NET_MEMBER_SUSPECT, 0, B, now);
	assert_int_equal(net_member_status(m, C, NULL), NET_MEMBER_SUSPECT);
	tick(m, now + 10);
	assert_non_null(find(NET_MEMBER_PROBE_PING, C, 0));
	net_member_free(m);
}

/*
 * Nobody NACKs and nobody confirms (our own network may be down): our
 * suspicion alone never makes DEAD, and our health score stretches our
 * timeouts; one confirmation makes it DEAD dead_max_ms (stretched) after
 * the suspicion.
 */
static void
test_lone_suspicion(void **state)
{
	struct net_member_config cfg;
	struct net_member	*m = mk(&cfg);
	uint64_t		 now = 0, t0;
	struct sent		 p;
	unsigned		 aw;

	(void)state;
	p = next_ping(m, &now);
	t0 = now;
	run(m, &now, t0 + cfg.probe_ms);
	assert_int_equal(net_member_status(m, p.to, NULL),
	    NET_MEMBER_SUSPECT);
	run(m, &now, t0 + 5 * cfg.dead_max_ms);
	assert_int_equal(net_member_status(m, p.to, NULL),
	    NET_MEMBER_SUSPECT);
	aw = net_member_awareness(m);
	assert_true(aw >= 2);
	/* Another member suspects it too. */
	claim(m, C, p.to, NET_MEMBER_SUSPECT, 0, C, now);
	run(m, &now, t0 + cfg.probe_ms + (uint64_t)cfg.dead_max_ms *
	    (1 + cfg.awareness_max) + 100);
	assert_int_equal(net_member_status(m, p.to, NULL), NET_MEMBER_DEAD);
	net_member_free(m);
}

/*
 * A DEAD member is kept past reap_ms and told every reconnect_ms that it
 * is dead, with our claim and a request for its table.
 */
static void
test_reconnect(void **state)
{
	struct net_member_config cfg;
	struct net_member	*m = mk(&cfg);
	uint64_t		 now = 0, t0;
	struct sent		 p;
	char			 dead[SEC_NODE_ID_SIZE];
	int			 j, told = 0;

	(void)state;
	p = next_ping(m, &now);
	memcpy(dead, p.to, sizeof dead);
	t0 = now;
	/* Everybody else answers; DEAD by dead_max_ms, kept past reap_ms. */
	while (now < t0 + cfg.probe_ms + cfg.dead_max_ms + cfg.reap_ms +
	    5000) {
		now += 10;
		for (j = tick_answered(m, now, dead); j < nout; j++) {
			if (strcmp(out[j].to, dead) == 0 &&
			    out[j].flags == NET_MEMBER_F_REPLY &&
			    out[j].nclaims == 2 &&
			    strcmp(out[j].c0.subject, S) == 0 &&
			    strcmp(out[j].c1.subject, dead) == 0 &&
			    out[j].c1.status == NET_MEMBER_DEAD)
				told++;
		}
		if (nout > NSENT / 2)
			clear();
	}
	assert_int_equal(net_member_status(m, dead, NULL), NET_MEMBER_DEAD);
	/* Every 7.5-12.5 s over the 31 s since it died. */
	assert_true(told >= 2 && told <= 4);
	/* Its refutation (a higher incarnation) brings it back. */
	claim(m, dead, dead, NET_MEMBER_ALIVE, 1, dead, now + 1);
	assert_int_equal(net_member_status(m, dead, NULL), NET_MEMBER_ALIVE);
	net_member_free(m);
}

/* A claim goes retransmit_mult * ceil(log10(n+1)) times, then quiet. */
static void
test_gossip_limit(void **state)
{
	struct net_member_config cfg;
	struct net_member	*m = mk(&cfg);
	uint64_t		 now = 1000;
	const char		*G = "gggggggggggggggggggggggggq";
	int			 i, sends = 0, gossip = 0;
	uint64_t		 g0;

	(void)state;
	/* The joins of B..F are gossiped first: let them go. */
	for (i = 0; i < 30; i++) {
		now += 100;
		(void)tick_answered(m, now, NULL);
	}
	clear();
	g0 = net_member_stats(m)->gossip_msgs;
	claim(m, B, G, NET_MEMBER_ALIVE, 0, G, now);
	for (i = 0; i < 100; i++) {
		now += 100;
		/* Everybody answers: nothing new to say. */
		(void)tick_answered(m, now, NULL);
	}
	for (i = 0; i < nout; i++) {
		if (out[i].probe != NET_MEMBER_PROBE_NONE ||
		    out[i].nclaims == 0)
			continue;
		gossip++;
		if (strcmp(out[i].c0.subject, G) == 0)
			sends++;
	}
	/* 6 members known: ceil(log10(7)) = 1 round of 3 per multiple. */
	assert_int_equal(sends, (int)(cfg.retransmit_mult * cfg.fanout));
	assert_int_equal(gossip, sends);
	assert_int_equal(net_member_stats(m)->gossip_msgs - g0,
	    cfg.retransmit_mult * cfg.fanout);
	assert_int_equal(net_member_stats(m)->probes_failed, 0);
	net_member_free(m);
}

/* Encodes msg into buf; returns its length (-1 when refused). */
static long
encode(const struct net_member_msg *msg, uint8_t *buf, size_t cap)
{
	struct sec_cbor_writer	w;
	long			n = -1;

	sec_cbor_writer_dynamic(&w, 64 * 1024);
	if (net_member_wire_encode(msg, &w) == 0 &&
	    sec_cbor_writer_len(&w) <= cap) {
		n = (long)sec_cbor_writer_len(&w);
		memcpy(buf, sec_cbor_writer_data(&w), (size_t)n);
	}
	sec_cbor_writer_release(&w);
	return n;
}

static void
test_wire(void **state)
{
	static struct net_member_msg	a, b;
	uint8_t				buf[512];
	long				n;
	char				err[128];
	/* {1: 0, 2: [], 3: 3, 4: 9} - a PING-REQ without its target. */
	static const uint8_t no_target[] = { 0xa4, 0x01, 0x00, 0x02, 0x80,
	    0x03, 0x03, 0x04, 0x09 };
	/* {1: 0, 2: [], 3: 1} - a probe without its seq. */
	static const uint8_t no_seq[] = { 0xa3, 0x01, 0x00, 0x02, 0x80,
	    0x03, 0x01 };
	/* {1: 0, 2: [], 3: 9, 4: 1} - an unknown probe kind. */
	static const uint8_t bad_kind[] = { 0xa4, 0x01, 0x00, 0x02, 0x80,
	    0x03, 0x09, 0x04, 0x01 };

	(void)state;
	memset(&a, 0, sizeof a);
	a.probe = NET_MEMBER_PROBE_NACK;
	a.seq = 123456789;
	(void)snprintf(a.target, sizeof a.target, "%s", C);
	a.nclaims = 1;
	(void)snprintf(a.claims[0].subject, SEC_NODE_ID_SIZE, "%s", D);
	(void)snprintf(a.claims[0].from, SEC_NODE_ID_SIZE, "%s", B);
	a.claims[0].status = NET_MEMBER_SUSPECT;
	a.claims[0].incarnation = 3;
	n = encode(&a, buf, sizeof buf);
	assert_true(n > 0);
	assert_int_equal(net_member_wire_decode(buf, (size_t)n, &b, err,
	    sizeof err), 0);
	assert_int_equal(b.probe, a.probe);
	assert_int_equal(b.seq, a.seq);
	assert_string_equal(b.target, C);
	assert_int_equal(b.nclaims, 1);
	assert_string_equal(b.claims[0].subject, D);
	/* A PING: no target on the wire; a plain batch: no key 3 either. */
	memset(&a, 0, sizeof a);
	a.probe = NET_MEMBER_PROBE_PING;
	a.seq = 5;
	n = encode(&a, buf, sizeof buf);
	assert_true(n > 0);
	assert_int_equal(buf[0], 0xa4);
	assert_int_equal(net_member_wire_decode(buf, (size_t)n, &b, err,
	    sizeof err), 0);
	assert_int_equal(b.probe, NET_MEMBER_PROBE_PING);
	assert_int_equal(b.target[0], '\0');
	memset(&a, 0, sizeof a);
	n = encode(&a, buf, sizeof buf);
	assert_true(n > 0);
	assert_int_equal(buf[0], 0xa2);
	/* A PING with a target cannot be encoded. */
	memset(&a, 0, sizeof a);
	a.probe = NET_MEMBER_PROBE_PING;
	(void)snprintf(a.target, sizeof a.target, "%s", C);
	assert_int_equal(encode(&a, buf, sizeof buf), -1);
	assert_int_equal(net_member_wire_decode(no_target, sizeof no_target,
	    &b, err, sizeof err), -1);
	assert_non_null(strstr(err, "target"));
	assert_int_equal(net_member_wire_decode(no_seq, sizeof no_seq, &b,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "seq"));
	assert_int_equal(net_member_wire_decode(bad_kind, sizeof bad_kind, &b,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "probe"));
}

/*
 * A member new to us (it joined through us) is announced at once to every
 * member we hold a session with - not only to the gossip queue's three
 * random picks - and to nobody we hold none with; a member we knew
 * already whose session comes up again is no news.
 */
static void
test_join_announce(void **state)
{
	struct net_member	*m = mk(NULL);
	const char		*j = "jjjjjjjjjjjjjjjjjjjjjjjjja";
	int			 i, to_j = 0, announced = 0;

	(void)state;
	/* F's session ends: F stays a member, with no session. */
	step(m, NET_MEMBER_EV_CONN_DOWN, F, NULL, 10);
	clear();
	step(m, NET_MEMBER_EV_CONN_UP, j, NULL, 20);
	for (i = 0; i < nout; i++) {
		if (strcmp(out[i].to, j) == 0) {
			to_j++;		/* the sync of our table */
			continue;
		}
		if (out[i].nclaims == 1 &&
		    strcmp(out[i].c0.subject, j) == 0 &&
		    out[i].c0.status == NET_MEMBER_ALIVE &&
		    out[i].probe == NET_MEMBER_PROBE_NONE)
			announced++;
	}
	assert_true(to_j >= 1);
	/* B, C, D, E each once; F only if the queue's picks chose it. */
	assert_true(find(NET_MEMBER_PROBE_NONE, B, 0) != NULL);
	assert_true(find(NET_MEMBER_PROBE_NONE, C, 0) != NULL);
	assert_true(find(NET_MEMBER_PROBE_NONE, D, 0) != NULL);
	assert_true(find(NET_MEMBER_PROBE_NONE, E, 0) != NULL);
	assert_true(announced >= 4);
	clear();
	step(m, NET_MEMBER_EV_CONN_DOWN, j, NULL, 30);
	step(m, NET_MEMBER_EV_CONN_UP, j, NULL, 40);
	assert_int_equal(nout, 0);
	net_member_free(m);
}

/*
 * The transport mode answers PINGs (so that probe-mode members do not
 * suspect it while a cluster changes modes) and ignores the rest.
 */
static void
test_transport_mode_ignores(void **state)
{
	struct net_member_config	cfg;
	struct net_member		*m;

	(void)state;
	net_member_config_default(&cfg);
	m = net_member_new(S, &cfg);
	assert_non_null(m);
	step(m, NET_MEMBER_EV_CONN_UP, B, NULL, 0);
	clear();
	probe_msg(m, B, NET_MEMBER_PROBE_PING, 1, NULL, 10);
	assert_int_equal(count(NET_MEMBER_PROBE_ACK, B), 1);
	assert_int_equal(find(NET_MEMBER_PROBE_ACK, B, 0)->seq, 1);
	probe_msg(m, B, NET_MEMBER_PROBE_REQ, 2, C, 10);
	probe_msg(m, B, NET_MEMBER_PROBE_NACK, 3, C, 10);
	assert_int_equal(count(NET_MEMBER_PROBE_ACK, NULL), 1);
	assert_int_equal(count(NET_MEMBER_PROBE_PING, NULL), 0);
	assert_int_equal(net_member_stats(m)->acks_refused, 2);
	net_member_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_direct_ack),
		cmocka_unit_test(test_ring_schedule),
		cmocka_unit_test(test_indirect),
		cmocka_unit_test(test_fail_nack),
		cmocka_unit_test(test_fail_awareness),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_hearsay),
		cmocka_unit_test(test_lone_suspicion),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_gossip_limit),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_join_announce),
		cmocka_unit_test(test_transport_mode_ignores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
