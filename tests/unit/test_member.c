/*
 * test_member.c - the membership / failure-detector state machine
 * (net/net_member.c) and its wire payload (net/net_member_wire.c), one
 * rule at a time.
 *
 * Covers every transition (none -> alive on a session, alive -> suspect
 * after silence with no session, suspect -> dead only with enough
 * confirmations, dead / left -> forgotten after reap_ms, dead -> alive
 * by refutation), the precedence of claims, refutation and the restart
 * case, refusal of suspicions about members we can hear, far-future
 * incarnations, the table and message bounds, push-pull syncs, and the
 * CBOR payload: round trip, pinned keys, and malformed inputs.
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
#define P	"ppppppppppppppppppppppppp4"	/* the one that fails */

struct rec {
	int			nsend;
	char			to[64][SEC_NODE_ID_SIZE];
	struct net_member_msg	last;
	int			nchg;
	char			chg_id[64][SEC_NODE_ID_SIZE];
	enum net_member_status	chg_to[64];
	int			own_suspect;	/* SUSPECT claims from S sent */
};

static struct rec	R;

static void
sink(void *arg, const struct net_member_action *a)
{
	struct rec	*r = arg;

	if (a->type == NET_MEMBER_ACT_SEND) {
		if (r->nsend < 64)
			(void)snprintf(r->to[r->nsend], SEC_NODE_ID_SIZE, "%s",
			    a->peer);
		r->nsend++;
		memcpy(&r->last, a->msg, sizeof r->last);
		for (size_t i = 0; i < a->msg->nclaims; i++)
			if (a->msg->claims[i].status == NET_MEMBER_SUSPECT &&
			    strcmp(a->msg->claims[i].from, S) == 0)
				r->own_suspect++;
		return;
	}
	if (r->nchg < 64) {
		(void)snprintf(r->chg_id[r->nchg], SEC_NODE_ID_SIZE, "%s",
		    a->peer);
		r->chg_to[r->nchg] = a->to;
	}
	r->nchg++;
}

static void
reset(void)
{
	memset(&R, 0, sizeof R);
}

static struct net_member *
mk(unsigned max)
{
	struct net_member_config	cfg;
	struct net_member		*m;

	net_member_config_default(&cfg);
	if (max > 0)
		cfg.max_members = max;
	cfg.sync_ms = 1000000;	/* no periodic sync in these tests */
	m = net_member_new(S, &cfg);
	assert_non_null(m);
	return m;
}

static void
ev(struct net_member *m, enum net_member_ev_type t, const char *peer,
    uint64_t now)
{
	struct net_member_event	e;

	memset(&e, 0, sizeof e);
	e.type = t;
	e.peer = peer;
	assert_int_equal(net_member_step(m, &e, now, sink, &R), 0);
}

static void
claim(struct net_member *m, const char *from, const char *subject,
    enum net_member_status st, uint64_t inc, const char *by, uint64_t now)
{
	static struct net_member_msg	msg;
	struct net_member_event		e;

	memset(&msg, 0, offsetof(struct net_member_msg, claims) +
	    sizeof msg.claims[0]);
	msg.nclaims = 1;
	(void)snprintf(msg.claims[0].subject, SEC_NODE_ID_SIZE, "%s", subject);
	(void)snprintf(msg.claims[0].from, SEC_NODE_ID_SIZE, "%s", by);
	msg.claims[0].status = (uint8_t)st;
	msg.claims[0].incarnation = inc;
	memset(&e, 0, sizeof e);
	e.type = NET_MEMBER_EV_RECV;
	e.peer = from;
	e.msg = &msg;
	assert_int_equal(net_member_step(m, &e, now, sink, &R), 0);
}

static enum net_member_status
st(struct net_member *m, const char *id, uint64_t *inc)
{
	return net_member_status(m, id, inc);
}

static void
test_config(void **state)
{
	struct net_member_config	cfg;

	(void)state;
	net_member_config_default(&cfg);
	assert_null(net_member_new("", &cfg));
	assert_null(net_member_new(NULL, &cfg));
	assert_null(net_member_new("x123456789012345678901234567890", &cfg));
	cfg.max_members = 1;
	assert_null(net_member_new(S, &cfg));
	net_member_config_default(&cfg);
	cfg.confirmations = NET_MEMBER_CONFIRM_MAX + 1;
	assert_null(net_member_new(S, &cfg));
	net_member_config_default(&cfg);
	cfg.hung_ms = 10;	/* below suspect_ms */
	assert_null(net_member_new(S, &cfg));
}

/* A new session: a member, and a push-pull sync that asks for a reply. */
static void
test_conn_up(void **state)
{
	struct net_member	*m = mk(0);

	(void)state;
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	assert_int_equal(st(m, B, NULL), NET_MEMBER_ALIVE);
	assert_int_equal(R.nchg, 1);
	assert_int_equal(R.chg_to[0], NET_MEMBER_ALIVE);
	assert_int_equal(R.nsend, 1);
	assert_string_equal(R.to[0], B);
	assert_int_equal(R.last.flags, NET_MEMBER_F_SYNC | NET_MEMBER_F_REPLY);
	assert_int_equal(R.last.nclaims, 2);	/* self and B */
	assert_string_equal(R.last.claims[0].subject, S);
	assert_int_equal(R.last.claims[0].status, NET_MEMBER_ALIVE);
	/* A sync asking for a reply is answered with our table. */
	reset();
	{
		struct net_member_msg	*msg = calloc(1, sizeof *msg);
		struct net_member_event	 e = { .type = NET_MEMBER_EV_RECV };

		assert_non_null(msg);
		msg->flags = NET_MEMBER_F_SYNC | NET_MEMBER_F_REPLY;
		e.peer = B;
		e.msg = msg;
		assert_int_equal(net_member_step(m, &e, 10, sink, &R), 0);
		free(msg);
	}
	assert_int_equal(R.nsend, 1);
	assert_int_equal(R.last.flags, NET_MEMBER_F_SYNC);
	net_member_free(m);
}

/* Alone: silence without a session -> suspect at 1 s -> dead 1.5 s later. */
static void
test_suspect_dead_alone(void **state)
{
	struct net_member	*m = mk(0);

	(void)state;
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, P, 0);
	ev(m, NET_MEMBER_EV_HEARD, P, 100);
	ev(m, NET_MEMBER_EV_CONN_DOWN, P, 200);
	ev(m, NET_MEMBER_EV_TICK, NULL, 1099);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_ALIVE);
	ev(m, NET_MEMBER_EV_TICK, NULL, 1100);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	ev(m, NET_MEMBER_EV_TICK, NULL, 2599);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	ev(m, NET_MEMBER_EV_TICK, NULL, 2600);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_DEAD);
	assert_int_equal(net_member_stats(m)->deaths, 1);
	/* Forgotten after reap_ms. */
	reset();
	ev(m, NET_MEMBER_EV_TICK, NULL, 2600 + 30000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_NONE);
	assert_int_equal(R.nchg, 1);
	assert_int_equal(R.chg_to[0], NET_MEMBER_NONE);
	net_member_free(m);
}

/* With others to ask, DEAD needs k = 3 confirmations. */
static void
test_confirmations(void **state)
{
	struct net_member	*m = mk(0);
	int			 i;

	(void)state;
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, C, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, D, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, E, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, P, 0);
	ev(m, NET_MEMBER_EV_CONN_DOWN, P, 0);
	reset();
	ev(m, NET_MEMBER_EV_TICK, NULL, 1000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	/* Our suspicion went to every connected member. */
	assert_int_equal(R.nsend, 4);
	for (i = 0; i < 4; i++)
		assert_string_not_equal(R.to[i], P);
	assert_int_equal(R.last.claims[0].status, NET_MEMBER_SUSPECT);
	assert_string_equal(R.last.claims[0].from, S);
	ev(m, NET_MEMBER_EV_TICK, NULL, 5000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	/* Confirmations from ourselves or from P do not count. */
	claim(m, B, P, NET_MEMBER_SUSPECT, 0, S, 5000);
	claim(m, B, P, NET_MEMBER_SUSPECT, 0, P, 5000);
	claim(m, B, P, NET_MEMBER_SUSPECT, 0, B, 5000);
	claim(m, C, P, NET_MEMBER_SUSPECT, 0, C, 5000);
	claim(m, C, P, NET_MEMBER_SUSPECT, 0, C, 5000);	/* twice: once */
	ev(m, NET_MEMBER_EV_TICK, NULL, 5100);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	claim(m, D, P, NET_MEMBER_SUSPECT, 0, D, 5100);
	reset();
	ev(m, NET_MEMBER_EV_TICK, NULL, 5200);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_DEAD);
	assert_int_equal(R.nsend, 4);
	assert_int_equal(R.last.claims[0].status, NET_MEMBER_DEAD);
	net_member_free(m);
}

/* A session that stays up protects a member however long it is silent. */
static void
test_busy_never_suspected(void **state)
{
	struct net_member	*m = mk(0);
	uint64_t		 t;

	(void)state;
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	for (t = 100; t < 600000; t += 100)
		ev(m, NET_MEMBER_EV_TICK, NULL, t);
	assert_int_equal(st(m, B, NULL), NET_MEMBER_ALIVE);
	assert_int_equal(net_member_stats(m)->suspicions, 0);
	net_member_free(m);
}

/* hung_ms, when on, suspects a silent member with a session up. */
static void
test_hung(void **state)
{
	struct net_member_config	cfg;
	struct net_member		*m;

	(void)state;
	net_member_config_default(&cfg);
	cfg.hung_ms = 5000;
	m = net_member_new(S, &cfg);
	assert_non_null(m);
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	ev(m, NET_MEMBER_EV_HEARD, B, 1000);
	ev(m, NET_MEMBER_EV_TICK, NULL, 5999);
	assert_int_equal(st(m, B, NULL), NET_MEMBER_ALIVE);
	ev(m, NET_MEMBER_EV_TICK, NULL, 6000);
	assert_int_equal(st(m, B, NULL), NET_MEMBER_SUSPECT);
	net_member_free(m);
}

/* Suspicion / death about us: refute with incarnation + 1, broadcast. */
static void
test_refute(void **state)
{
	struct net_member	*m = mk(0);
	uint64_t		 inc;

	(void)state;
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, C, 0);
	reset();
	claim(m, B, S, NET_MEMBER_SUSPECT, 0, B, 10);
	assert_int_equal(net_member_incarnation(m), 1);
	assert_int_equal(R.nsend, 2);		/* ALIVE to B and C */
	assert_int_equal(R.last.claims[0].status, NET_MEMBER_ALIVE);
	assert_int_equal(R.last.claims[0].incarnation, 1);
	claim(m, B, S, NET_MEMBER_DEAD, 3, B, 20);
	assert_int_equal(net_member_incarnation(m), 4);
	claim(m, B, S, NET_MEMBER_LEFT, 4, B, 20);
	assert_int_equal(net_member_incarnation(m), 5);
	/* A stale claim: no change, the sender gets our newer one. */
	reset();
	claim(m, B, S, NET_MEMBER_DEAD, 2, B, 30);
	assert_int_equal(net_member_incarnation(m), 5);
	assert_int_equal(R.nsend, 1);
	assert_string_equal(R.to[0], B);
	assert_int_equal(R.last.claims[0].incarnation, 5);
	/* An older life: ALIVE above us (restart) -> take one more. */
	claim(m, B, S, NET_MEMBER_ALIVE, 9, S, 40);
	assert_int_equal(net_member_incarnation(m), 10);
	/* Far future: refused. */
	claim(m, B, S, NET_MEMBER_DEAD, 10 + NET_MEMBER_INC_JUMP_MAX + 1, B,
	    50);
	assert_int_equal(net_member_incarnation(m), 10);
	assert_int_equal(st(m, S, &inc), NET_MEMBER_ALIVE);
	assert_int_equal(inc, 10);
	assert_int_equal(net_member_stats(m)->refutations, 4);
	net_member_free(m);
}

/* Precedence: higher incarnation wins; same: LEFT > DEAD > SUSPECT > ALIVE. */
static void
test_precedence(void **state)
{
	struct net_member	*m = mk(0);
	uint64_t		 inc;

	(void)state;
	reset();
	/* X known by hearsay only, long silent: claims are taken. */
	claim(m, B, P, NET_MEMBER_ALIVE, 2, P, 0);
	assert_int_equal(st(m, P, &inc), NET_MEMBER_ALIVE);
	assert_int_equal(inc, 2);
	claim(m, B, P, NET_MEMBER_SUSPECT, 2, B, 5000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	claim(m, B, P, NET_MEMBER_ALIVE, 2, P, 5000);		/* stale */
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	claim(m, B, P, NET_MEMBER_DEAD, 2, B, 5000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_DEAD);
	claim(m, B, P, NET_MEMBER_SUSPECT, 2, B, 5000);	/* stale */
	assert_int_equal(st(m, P, NULL), NET_MEMBER_DEAD);
	claim(m, B, P, NET_MEMBER_ALIVE, 3, P, 5000);		/* refuted */
	assert_int_equal(st(m, P, &inc), NET_MEMBER_ALIVE);
	assert_int_equal(inc, 3);
	claim(m, B, P, NET_MEMBER_DEAD, 2, B, 5000);		/* older */
	assert_int_equal(st(m, P, NULL), NET_MEMBER_ALIVE);
	claim(m, B, P, NET_MEMBER_LEFT, 3, P, 5000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_LEFT);
	claim(m, B, P, NET_MEMBER_DEAD, 3, B, 5000);		/* weaker */
	assert_int_equal(st(m, P, NULL), NET_MEMBER_LEFT);
	claim(m, B, P, NET_MEMBER_SUSPECT, 4, B, 5000);	/* newer */
	assert_int_equal(st(m, P, &inc), NET_MEMBER_SUSPECT);
	assert_int_equal(inc, 4);
	/* Far future against a known member: refused. */
	claim(m, B, P, NET_MEMBER_ALIVE, 4 + NET_MEMBER_INC_JUMP_MAX + 1, P,
	    5000);
	assert_int_equal(st(m, P, &inc), NET_MEMBER_SUSPECT);
	assert_int_equal(inc, 4);
	/* Unknown members: only ALIVE, only a sane incarnation. */
	claim(m, B, C, NET_MEMBER_SUSPECT, 1, B, 5000);
	claim(m, B, D, NET_MEMBER_DEAD, 1, B, 5000);
	claim(m, B, E, NET_MEMBER_ALIVE, NET_MEMBER_INC_JUMP_MAX + 1, E, 5000);
	assert_int_equal(st(m, C, NULL), NET_MEMBER_NONE);
	assert_int_equal(st(m, D, NULL), NET_MEMBER_NONE);
	assert_int_equal(st(m, E, NULL), NET_MEMBER_NONE);
	net_member_free(m);
}

/* We hear P directly: others' suspicion or death of it is refused. */
static void
test_refuse_reachable(void **state)
{
	struct net_member	*m = mk(0);

	(void)state;
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, P, 0);
	claim(m, B, P, NET_MEMBER_SUSPECT, 0, B, 100);
	claim(m, B, P, NET_MEMBER_DEAD, 0, B, 100);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_ALIVE);
	assert_int_equal(net_member_stats(m)->claims_refused, 2);
	/* Session gone but heard 500 ms ago: still ours to judge. */
	ev(m, NET_MEMBER_EV_CONN_DOWN, P, 200);
	ev(m, NET_MEMBER_EV_HEARD, P, 300);
	claim(m, B, P, NET_MEMBER_DEAD, 0, B, 800);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_ALIVE);
	/* Silent for suspect_ms: now taken. */
	claim(m, B, P, NET_MEMBER_DEAD, 0, B, 1300);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_DEAD);
	/* It comes back and refutes. */
	ev(m, NET_MEMBER_EV_CONN_UP, P, 2000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_DEAD);
	claim(m, P, P, NET_MEMBER_ALIVE, 1, P, 2001);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_ALIVE);
	net_member_free(m);
}

/* Adopting a suspicion we share sends our confirmation at once. */
static void
test_confirm_on_adopt(void **state)
{
	struct net_member	*m = mk(0);

	(void)state;
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, C, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, P, 0);
	ev(m, NET_MEMBER_EV_CONN_DOWN, P, 0);
	reset();
	claim(m, B, P, NET_MEMBER_SUSPECT, 0, B, 1000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	/* Our own SUSPECT (from = S), a confirmation, went to B and C. */
	assert_int_equal(R.own_suspect, 2);
	assert_int_equal(net_member_stats(m)->suspicions, 0);	/* not ours */
	/* No second confirmation on the next tick. */
	reset();
	ev(m, NET_MEMBER_EV_TICK, NULL, 1100);
	assert_int_equal(R.own_suspect, 0);
	net_member_free(m);
}

static void
test_leave(void **state)
{
	struct net_member	*m = mk(0);
	uint64_t		 inc;

	(void)state;
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	reset();
	ev(m, NET_MEMBER_EV_LEAVE, NULL, 10);
	assert_int_equal(st(m, S, &inc), NET_MEMBER_LEFT);
	assert_int_equal(inc, 1);
	assert_int_equal(R.nsend, 1);
	assert_int_equal(R.last.claims[0].status, NET_MEMBER_LEFT);
	claim(m, B, S, NET_MEMBER_DEAD, 1, B, 20);	/* no refutation */
	assert_int_equal(net_member_incarnation(m), 1);
	/* Others see LEFT and do not suspect it. */
	net_member_free(m);
	m = mk(0);
	ev(m, NET_MEMBER_EV_CONN_UP, P, 0);
	claim(m, P, P, NET_MEMBER_LEFT, 1, P, 10);
	ev(m, NET_MEMBER_EV_CONN_DOWN, P, 20);
	ev(m, NET_MEMBER_EV_TICK, NULL, 5000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_LEFT);
	net_member_free(m);
}

/* An asymmetric failure: our suspicion refuted, we back off. */
static void
test_backoff(void **state)
{
	struct net_member	*m = mk(0);

	(void)state;
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, P, 0);
	ev(m, NET_MEMBER_EV_CONN_DOWN, P, 0);
	ev(m, NET_MEMBER_EV_TICK, NULL, 1000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	claim(m, B, P, NET_MEMBER_ALIVE, 1, P, 1100);	/* refuted via B */
	assert_int_equal(st(m, P, NULL), NET_MEMBER_ALIVE);
	ev(m, NET_MEMBER_EV_TICK, NULL, 1200);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_ALIVE);
	ev(m, NET_MEMBER_EV_TICK, NULL, 4200);		/* grace over */
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	/* Never DEAD: B can reach P and does not confirm. */
	ev(m, NET_MEMBER_EV_TICK, NULL, 20000);
	assert_int_equal(st(m, P, NULL), NET_MEMBER_SUSPECT);
	net_member_free(m);
}

static void
test_bounds(void **state)
{
	struct net_member	*m = mk(2);
	struct net_member_msg	*msg;
	struct net_member_event	 e;

	(void)state;
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, B, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, C, 0);
	ev(m, NET_MEMBER_EV_CONN_UP, D, 0);	/* table full */
	assert_int_equal(st(m, D, NULL), NET_MEMBER_NONE);
	claim(m, B, E, NET_MEMBER_ALIVE, 0, E, 10);
	assert_int_equal(st(m, E, NULL), NET_MEMBER_NONE);
	assert_int_equal(net_member_count(m, NULL), 2);
	/* Invalid events and messages. */
	memset(&e, 0, sizeof e);
	e.type = NET_MEMBER_EV_CONN_UP;
	e.peer = S;
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	e.peer = NULL;
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	e.type = (enum net_member_ev_type)99;
	e.peer = B;
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	msg = calloc(1, sizeof *msg);
	assert_non_null(msg);
	e.type = NET_MEMBER_EV_RECV;
	e.msg = NULL;
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	e.msg = msg;
	msg->nclaims = NET_MEMBER_MSG_CLAIMS + 1;
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	msg->nclaims = 1;
	(void)snprintf(msg->claims[0].subject, SEC_NODE_ID_SIZE, "%s", C);
	(void)snprintf(msg->claims[0].from, SEC_NODE_ID_SIZE, "%s", C);
	msg->claims[0].status = 0;
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	msg->claims[0].status = 5;
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	msg->claims[0].status = 1;
	msg->flags = 0x10;
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	msg->flags = 0;
	memset(msg->claims[0].from, 'x', SEC_NODE_ID_SIZE);	/* no NUL */
	assert_int_equal(net_member_step(m, &e, 20, sink, &R), -1);
	free(msg);
	net_member_free(m);
}

/* A 1024-member sync is split into messages of at most 512 claims. */
static void
test_big_sync(void **state)
{
	struct net_member	*m = mk(0);
	char			 id[SEC_NODE_ID_SIZE];
	int			 i;

	(void)state;
	for (i = 0; i < NET_MEMBER_MAX; i++) {
		(void)snprintf(id, sizeof id, "m%025d", i);
		claim(m, B, id, NET_MEMBER_ALIVE, 0, id, 0);
	}
	assert_int_equal(net_member_count(m, NULL), NET_MEMBER_MAX);
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, B, 10);	/* B is one too many */
	assert_int_equal(R.nsend, 0);
	(void)snprintf(id, sizeof id, "m%025d", 7);
	reset();
	ev(m, NET_MEMBER_EV_CONN_UP, id, 10);
	assert_int_equal(R.nsend, 3);		/* 1025 claims */
	assert_int_equal(R.last.nclaims, 1025 - 2 * NET_MEMBER_MSG_CLAIMS);
	assert_int_equal(R.last.flags, NET_MEMBER_F_SYNC);
	net_member_free(m);
}

/* ---- wire ---- */

static void
test_wire_roundtrip(void **state)
{
	struct net_member_msg	*a, *b;
	struct sec_cbor_writer	 w;
	char			 err[256];
	size_t			 i;

	(void)state;
	a = calloc(1, sizeof *a);
	b = calloc(1, sizeof *b);
	assert_non_null(a);
	assert_non_null(b);
	a->flags = NET_MEMBER_F_SYNC;
	a->nclaims = NET_MEMBER_MSG_CLAIMS;
	for (i = 0; i < a->nclaims; i++) {
		(void)snprintf(a->claims[i].subject, SEC_NODE_ID_SIZE, "%s",
		    i % 2 ? B : C);
		(void)snprintf(a->claims[i].from, SEC_NODE_ID_SIZE, "%s", D);
		a->claims[i].status = (uint8_t)(1 + i % 4);
		a->claims[i].incarnation = (uint64_t)i << 40;
	}
	sec_cbor_writer_dynamic(&w, 64 * 1024);
	assert_int_equal(net_member_wire_encode(a, &w), 0);
	assert_int_equal(net_member_wire_decode(sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), b, err, sizeof err), 0);
	assert_int_equal(b->flags, a->flags);
	assert_int_equal(b->nclaims, a->nclaims);
	assert_memory_equal(a->claims, b->claims,
	    a->nclaims * sizeof a->claims[0]);
	sec_cbor_writer_release(&w);
	/* Pinned bytes of a one-claim message. */
	a->nclaims = 1;
	a->claims[0].status = NET_MEMBER_SUSPECT;
	a->claims[0].incarnation = 7;
	sec_cbor_writer_dynamic(&w, 1024);
	assert_int_equal(net_member_wire_encode(a, &w), 0);
	{
		const uint8_t	*p = sec_cbor_writer_data(&w);

		assert_int_equal(sec_cbor_writer_len(&w), 6 + 28 + 2 + 28);
		assert_int_equal(p[0], 0xa2);	/* map(2) */
		assert_int_equal(p[1], 0x01);	/* 1: flags */
		assert_int_equal(p[2], 0x01);
		assert_int_equal(p[3], 0x02);	/* 2: claims */
		assert_int_equal(p[4], 0x81);	/* [ */
		assert_int_equal(p[5], 0x84);	/* [subject, st, inc, from] */
		assert_int_equal(p[6], 0x78);	/* text, 1-byte length */
		assert_int_equal(p[7], 26);
		assert_int_equal(p[34], 0x02);	/* SUSPECT */
		assert_int_equal(p[35], 0x07);	/* incarnation */
	}
	sec_cbor_writer_release(&w);
	/* Invalid ids are not encoded. */
	(void)snprintf(a->claims[0].subject, SEC_NODE_ID_SIZE, "%s", "short");
	sec_cbor_writer_dynamic(&w, 1024);
	assert_int_equal(net_member_wire_encode(a, &w), -1);
	sec_cbor_writer_release(&w);
	free(a);
	free(b);
}

static void
bad(const uint8_t *p, size_t n, const char *want)
{
	static struct net_member_msg	m;
	char				err[256] = "";

	assert_int_equal(net_member_wire_decode(p, n, &m, err, sizeof err),
	    -1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void
test_wire_bad(void **state)
{
	uint8_t			 buf[64];
	struct sec_cbor_writer	 w;
	int			 i;

	(void)state;
	bad((const uint8_t *)"\xa0", 1, "missing key 1");
	bad((const uint8_t *)"\xa1\x01\x00", 3, "missing key 2");
	bad((const uint8_t *)"\xa1\x01\x10", 3, "flags");
	bad((const uint8_t *)"\x80", 1, "not a map");
	bad((const uint8_t *)"\xa2\x01\x00\x02\x81\x83", 6, "member payload");
	bad((const uint8_t *)"\xa2\x02\x80\x01\x00", 5, "out of order");
	bad((const uint8_t *)"\xa2\x01\x00\x02\x81\x84\x61x\x01\x01\x61x",
	    12, "bad subject");
	/* status 9 */
	sec_cbor_writer_fixed(&w, buf, sizeof buf);
	(void)sec_cbor_write_map(&w, 2);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, 0);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 4);
	(void)sec_cbor_write_text(&w, B, 26);
	(void)sec_cbor_write_uint(&w, 9);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	bad(buf, sec_cbor_writer_len(&w), "member payload");	/* truncated */
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_text(&w, B, 26);
	bad(buf, sec_cbor_writer_len(&w), "bad status");
	/* Too many claims: a 513-element array header. */
	{
		uint8_t	*big = calloc(1, 64 * 1024);
		size_t	 n = 0;

		assert_non_null(big);
		big[n++] = 0xa2;
		big[n++] = 0x01;
		big[n++] = 0x00;
		big[n++] = 0x02;
		big[n++] = 0x99;
		big[n++] = 0x02;
		big[n++] = 0x01;		/* 513 */
		for (i = 0; i < 513; i++)
			big[n++] = 0x80;
		bad(big, n, "member payload");
		free(big);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_conn_up),
		cmocka_unit_test(test_suspect_dead_alone),
		cmocka_unit_test(test_confirmations),
		cmocka_unit_test(test_busy_never_suspected),
		cmocka_unit_test(test_hung),
		cmocka_unit_test(test_refute),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_refuse_reachable),
		cmocka_unit_test(test_confirm_on_adopt),
		cmocka_unit_test(test_leave),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_big_sync),
		cmocka_unit_test(test_wire_roundtrip),
		cmocka_unit_test(test_wire_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
