/*
 * test_elect.c - transitions of the election state machine
 * (net/net_elect.c), one at a time.
 *
 * Each test builds a node in a known state, feeds it one event at a
 * chosen virtual time and checks the role, term and the exact actions:
 * pre-vote before any term change, the vote written (PERSIST first)
 * before the answer leaves, stale terms refused, stickiness and the
 * lease, restart with a persisted vote, and the one-at-a-time voter
 * changes.  The simulator (tests/sim/test_sim_election.c) covers the
 * interleavings; these pin down each rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_elect.h"

static uint32_t	rand_state;

static uint32_t
test_rand(void *arg)
{
	(void)arg;
	rand_state = rand_state * 1103515245u + 12345u;
	return rand_state >> 8;
}

static struct net_elect		st;
static struct net_elect_out	out;

static struct net_elect_params
params(void)
{
	struct net_elect_params	p;

	net_elect_params_default(&p, test_rand, NULL);
	return p;
}

static struct net_elect_hard
hard_of(uint64_t term, const char *vote, const char *const *voters, int n)
{
	struct net_elect_hard	h;
	int			i;

	memset(&h, 0, sizeof h);
	h.term = term;
	if (vote != NULL)
		(void)snprintf(h.vote.s, sizeof h.vote.s, "%s", vote);
	h.cfg.index = n > 0 ? 1 : 0;
	h.cfg.n = (uint32_t)n;
	for (i = 0; i < n; i++)
		(void)snprintf(h.cfg.voters[i].s, sizeof h.cfg.voters[i].s,
		    "%s", voters[i]);
	return h;
}

static const char *const abc[] = { "a", "b", "c" };
static const char *const abcde[] = { "a", "b", "c", "d", "e" };

/* Node "a" in {a,b,c} at term t, started at time 0. */
static void
node_a(uint64_t t)
{
	struct net_elect_params	p = params();
	struct net_elect_hard	h = hard_of(t, NULL, abc, 3);

	assert_int_equal(net_elect_init(&st, &p, "a", &h, 0), NET_ELECT_OK);
}

static int
tick(uint64_t now)
{
	struct net_elect_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.type = NET_ELECT_EV_TICK;
	return net_elect_step(&st, &ev, now, &out);
}

static struct net_elect_msg
msg(enum net_elect_msg_type type, uint64_t term, bool ok)
{
	struct net_elect_msg	m;

	memset(&m, 0, sizeof m);
	m.type = type;
	m.term = term;
	m.ok = ok;
	m.cfg_term = st.hard.cfg.term;
	m.cfg_index = st.hard.cfg.index;
	return m;
}

static int
recv_msg(const char *from, const struct net_elect_msg *m, uint64_t now)
{
	struct net_elect_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.type = NET_ELECT_EV_RECV;
	(void)snprintf(ev.peer.s, sizeof ev.peer.s, "%s", from);
	ev.msg = m;
	return net_elect_step(&st, &ev, now, &out);
}

static int
change(enum net_elect_ev_type type, const char *who, uint64_t now)
{
	struct net_elect_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.type = type;
	(void)snprintf(ev.peer.s, sizeof ev.peer.s, "%s", who);
	return net_elect_step(&st, &ev, now, &out);
}

static enum net_elect_role
role(void)
{
	struct net_elect_status	s;

	net_elect_status(&st, st.now, &s);
	return s.role;
}

static size_t
count_sends(enum net_elect_msg_type type)
{
	size_t	i, n = 0;

	for (i = 0; i < out.n; i++)
		if (out.v[i].type == NET_ELECT_ACT_SEND &&
		    out.v[i].msg.type == type)
			n++;
	return n;
}

static const struct net_elect_action *
send_to(const char *to)
{
	size_t	i;

	for (i = 0; i < out.n; i++)
		if (out.v[i].type == NET_ELECT_ACT_SEND &&
		    strcmp(out.v[i].to.s, to) == 0)
			return &out.v[i];
	return NULL;
}

static bool
persists(void)
{
	return out.n > 0 && out.v[0].type == NET_ELECT_ACT_PERSIST;
}

/* Drive "a" from follower to pre-candidate; returns the time. */
static uint64_t
to_precandidate(void)
{
	uint64_t	t = net_elect_deadline(&st);

	assert_int_equal(tick(t), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_PRECANDIDATE);
	return t;
}

static uint64_t
to_candidate(void)
{
	uint64_t		t = to_precandidate();
	struct net_elect_msg	m = msg(NET_ELECT_PREVOTE_RESP,
				    st.hard.term + 1, true);

	assert_int_equal(recv_msg("b", &m, t + 5), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_CANDIDATE);
	return t + 5;
}

static uint64_t
to_leader(void)
{
	uint64_t		t = to_candidate();
	struct net_elect_msg	m = msg(NET_ELECT_VOTE_RESP, st.hard.term,
				    true);

	assert_int_equal(recv_msg("c", &m, t + 5), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_LEADER);
	return t + 5;
}

static void
test_timeout_prevote(void **state)
{
	uint64_t	t;

	(void)state;
	node_a(4);
	t = net_elect_deadline(&st);
	assert_true(t >= 500 && t < 1000);
	/* Before the deadline nothing happens. */
	assert_int_equal(tick(t - 1), NET_ELECT_OK);
	assert_int_equal(out.n, 0);
	assert_int_equal(role(), NET_ELECT_FOLLOWER);
	(void)to_precandidate();
	/* Pre-vote: asks for term 5 but stays in term 4, nothing persisted. */
	assert_int_equal(st.hard.term, 4);
	assert_false(persists());
	assert_int_equal(count_sends(NET_ELECT_PREVOTE), 2);
	assert_int_equal(send_to("b")->msg.term, 5);
	assert_true(net_elect_deadline(&st) > st.now);
}

static void
test_prevote_granted(void **state)
{
	(void)state;
	node_a(4);
	(void)to_candidate();
	assert_int_equal(st.hard.term, 5);
	/* The self-vote is persisted before the vote requests go out. */
	assert_true(persists());
	assert_int_equal(out.v[0].hard->term, 5);
	assert_string_equal(out.v[0].hard->vote.s, "a");
	assert_int_equal(count_sends(NET_ELECT_VOTE), 2);
	assert_int_equal(send_to("c")->msg.term, 5);
}

static void
test_prevote_refused(void **state)
{
	uint64_t		t;
	struct net_elect_msg	m;

	(void)state;
	node_a(4);
	t = to_precandidate();
	m = msg(NET_ELECT_PREVOTE_RESP, 4, false);
	assert_int_equal(recv_msg("b", &m, t + 3), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_PRECANDIDATE);
	assert_int_equal(recv_msg("c", &m, t + 4), NET_ELECT_OK);
	/* Two of three refused: it cannot win; back to follower, term kept. */
	assert_int_equal(role(), NET_ELECT_FOLLOWER);
	assert_int_equal(st.hard.term, 4);
	assert_false(persists());
}

static void
test_prevote_refusal_higher_term(void **state)
{
	uint64_t		t;
	struct net_elect_msg	m;

	(void)state;
	node_a(4);
	t = to_precandidate();
	m = msg(NET_ELECT_PREVOTE_RESP, 9, false);
	assert_int_equal(recv_msg("b", &m, t + 3), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_FOLLOWER);
	assert_int_equal(st.hard.term, 9);
	assert_true(persists());
}

static void
test_candidate_wins(void **state)
{
	(void)state;
	node_a(4);
	(void)to_leader();
	/* The config is re-stamped in the new term and persisted first. */
	assert_true(persists());
	assert_int_equal(out.v[0].hard->cfg.term, 5);
	assert_int_equal(out.v[0].hard->cfg.index, 2);
	assert_int_equal(count_sends(NET_ELECT_HEARTBEAT), 2);
	assert_non_null(send_to("b")->msg.cfg);
}

static void
test_candidate_loses(void **state)
{
	uint64_t		t;
	struct net_elect_msg	m;

	(void)state;
	node_a(4);
	t = to_candidate();
	m = msg(NET_ELECT_VOTE_RESP, 5, false);
	assert_int_equal(recv_msg("b", &m, t + 1), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_CANDIDATE);
	assert_int_equal(recv_msg("c", &m, t + 2), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_FOLLOWER);
	assert_int_equal(st.hard.term, 5);
	assert_string_equal(st.hard.vote.s, "a");	/* still voted */
}

static void
test_candidate_split(void **state)
{
	uint64_t		t, d;
	struct net_elect_msg	m;

	(void)state;
	node_a(4);
	t = to_candidate();
	/* b refuses, c is silent: only c is asked again. */
	m = msg(NET_ELECT_VOTE_RESP, 5, false);
	assert_int_equal(recv_msg("b", &m, t + 1), NET_ELECT_OK);
	d = net_elect_deadline(&st);
	assert_int_equal(d, t + 100);
	assert_int_equal(tick(d), NET_ELECT_OK);
	assert_int_equal(count_sends(NET_ELECT_VOTE), 1);
	assert_non_null(send_to("c"));
	/* The election timer ends the round: a new pre-vote, same term. */
	while (role() == NET_ELECT_CANDIDATE) {
		d = net_elect_deadline(&st);
		assert_true(d > st.now);
		assert_int_equal(tick(d), NET_ELECT_OK);
	}
	assert_int_equal(role(), NET_ELECT_PRECANDIDATE);
	assert_int_equal(st.hard.term, 5);
	assert_int_equal(count_sends(NET_ELECT_PREVOTE), 2);
	assert_int_equal(send_to("b")->msg.term, 6);
}

static void
test_higher_term_steps_down(void **state)
{
	uint64_t		t;
	struct net_elect_msg	m;
	struct net_elect_status	s;

	(void)state;
	node_a(4);
	t = to_leader();
	m = msg(NET_ELECT_HEARTBEAT, 7, false);
	m.stamp = t;
	assert_int_equal(recv_msg("b", &m, t + 10), NET_ELECT_OK);
	net_elect_status(&st, t + 10, &s);
	assert_int_equal(s.role, NET_ELECT_FOLLOWER);
	assert_int_equal(s.term, 7);
	assert_string_equal(s.leader.s, "b");
	assert_true(s.quorum);
	assert_true(persists());
	assert_true(send_to("b")->msg.ok);
}

static void
test_vote_persisted_before_reply(void **state)
{
	struct net_elect_msg	m;

	(void)state;
	node_a(4);
	m = msg(NET_ELECT_VOTE, 5, false);
	assert_int_equal(recv_msg("b", &m, 600), NET_ELECT_OK);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.v[0].type, NET_ELECT_ACT_PERSIST);
	assert_int_equal(out.v[0].hard->term, 5);
	assert_string_equal(out.v[0].hard->vote.s, "b");
	assert_int_equal(out.v[1].type, NET_ELECT_ACT_SEND);
	assert_int_equal(out.v[1].msg.type, NET_ELECT_VOTE_RESP);
	assert_true(out.v[1].msg.ok);
	/* A second candidate in the same term is refused. */
	m = msg(NET_ELECT_VOTE, 5, false);
	assert_int_equal(recv_msg("c", &m, 610), NET_ELECT_OK);
	assert_int_equal(out.n, 1);
	assert_false(out.v[0].msg.ok);
	/* The same candidate asking again gets the same answer. */
	assert_int_equal(recv_msg("b", &m, 620), NET_ELECT_OK);
	assert_true(send_to("b")->msg.ok);
	assert_false(persists());
}

static void
test_lease_expiry(void **state)
{
	uint64_t		t, d;
	struct net_elect_msg	m;
	struct net_elect_status	s;

	(void)state;
	node_a(4);
	t = to_leader();
	net_elect_status(&st, t, &s);
	assert_false(s.quorum);		/* no heartbeat acknowledged yet */
	/* b acknowledges the first heartbeat (sent at t): lease to t+500. */
	m = msg(NET_ELECT_HEARTBEAT_RESP, 5, true);
	m.stamp = t;
	assert_int_equal(recv_msg("b", &m, t + 8), NET_ELECT_OK);
	net_elect_status(&st, t + 8, &s);
	assert_true(s.quorum);
	/* Then silence: heartbeats go out, the lease lapses at t + 500. */
	for (;;) {
		d = net_elect_deadline(&st);
		assert_true(d > st.now);
		assert_int_equal(tick(d), NET_ELECT_OK);
		if (role() != NET_ELECT_LEADER)
			break;
		net_elect_status(&st, d, &s);
		assert_true(s.quorum);
	}
	assert_int_equal(st.now, t + 500);
	net_elect_status(&st, st.now, &s);
	assert_false(s.quorum);
	assert_int_equal(s.term, 5);
}

static void
test_lease_kept_by_acks(void **state)
{
	uint64_t		t, d;
	struct net_elect_msg	m;

	(void)state;
	node_a(4);
	t = to_leader();
	while (st.now < t + 3000) {
		d = net_elect_deadline(&st);
		assert_int_equal(tick(d), NET_ELECT_OK);
		assert_int_equal(role(), NET_ELECT_LEADER);
		if (count_sends(NET_ELECT_HEARTBEAT) > 0) {
			m = msg(NET_ELECT_HEARTBEAT_RESP, 5, true);
			m.stamp = d;
			assert_int_equal(recv_msg("c", &m, d + 5),
			    NET_ELECT_OK);
		}
	}
	/* c acknowledged the re-stamped config: committed. */
	assert_false(st.pending);
}

static void
test_stale_terms(void **state)
{
	struct net_elect_msg	m;

	(void)state;
	node_a(6);
	m = msg(NET_ELECT_HEARTBEAT, 5, false);
	m.stamp = 42;
	assert_int_equal(recv_msg("b", &m, 100), NET_ELECT_OK);
	assert_int_equal(out.n, 1);
	assert_false(out.v[0].msg.ok);
	assert_int_equal(out.v[0].msg.term, 6);	/* tells b the term */
	assert_int_equal(role(), NET_ELECT_FOLLOWER);
	assert_string_equal(st.leader.s, "");
	/* A vote request for a lower term is refused, nothing persisted. */
	m = msg(NET_ELECT_VOTE, 5, false);
	assert_int_equal(recv_msg("c", &m, 700), NET_ELECT_OK);
	assert_int_equal(out.n, 1);
	assert_false(out.v[0].msg.ok);
	assert_int_equal(st.hard.term, 6);
	assert_string_equal(st.hard.vote.s, "");
	/* So is a pre-vote for our own term. */
	m = msg(NET_ELECT_PREVOTE, 6, false);
	assert_int_equal(recv_msg("c", &m, 710), NET_ELECT_OK);
	assert_false(out.v[0].msg.ok);
	/* Stale answers are ignored. */
	m = msg(NET_ELECT_VOTE_RESP, 5, true);
	assert_int_equal(recv_msg("c", &m, 720), NET_ELECT_OK);
	assert_int_equal(out.n, 0);
}

static void
test_restart_keeps_vote(void **state)
{
	struct net_elect_params	p = params();
	struct net_elect_hard	h = hard_of(5, "b", abc, 3);
	struct net_elect_msg	m;

	(void)state;
	assert_int_equal(net_elect_init(&st, &p, "a", &h, 10000),
	    NET_ELECT_OK);
	/* Just booted: sticky for election_min, vote requests ignored. */
	m = msg(NET_ELECT_VOTE, 6, false);
	assert_int_equal(recv_msg("c", &m, 10100), NET_ELECT_OK);
	assert_int_equal(out.n, 0);
	assert_int_equal(st.hard.term, 5);
	/* Later: another candidate of term 5 is refused ... */
	m = msg(NET_ELECT_VOTE, 5, false);
	assert_int_equal(recv_msg("c", &m, 10600), NET_ELECT_OK);
	assert_int_equal(out.n, 1);
	assert_false(out.v[0].msg.ok);
	/* ... the one it voted for still gets the vote, */
	assert_int_equal(recv_msg("b", &m, 10610), NET_ELECT_OK);
	assert_true(out.v[0].msg.ok);
	/* and a new term frees the vote. */
	m = msg(NET_ELECT_VOTE, 6, false);
	assert_int_equal(recv_msg("c", &m, 10620), NET_ELECT_OK);
	assert_true(persists());
	assert_string_equal(out.v[0].hard->vote.s, "c");
	assert_true(out.v[1].msg.ok);
}

static void
test_sticky_follower(void **state)
{
	struct net_elect_msg	m;

	(void)state;
	node_a(4);
	m = msg(NET_ELECT_HEARTBEAT, 4, false);
	assert_int_equal(recv_msg("b", &m, 2000), NET_ELECT_OK);
	/* Heard b 100 ms ago: pre-vote refused, vote request ignored. */
	m = msg(NET_ELECT_PREVOTE, 5, false);
	assert_int_equal(recv_msg("c", &m, 2100), NET_ELECT_OK);
	assert_false(out.v[0].msg.ok);
	m = msg(NET_ELECT_VOTE, 5, false);
	assert_int_equal(recv_msg("c", &m, 2110), NET_ELECT_OK);
	assert_int_equal(out.n, 0);
	assert_int_equal(st.hard.term, 4);
	/* election_min after the last heartbeat: granted. */
	m = msg(NET_ELECT_PREVOTE, 5, false);
	assert_int_equal(recv_msg("c", &m, 2500), NET_ELECT_OK);
	assert_true(out.v[0].msg.ok);
	assert_int_equal(out.v[0].msg.term, 5);
	assert_int_equal(st.hard.term, 4);	/* pre-vote changes nothing */
}

static void
test_stale_config_refused(void **state)
{
	struct net_elect_msg	m;

	(void)state;
	node_a(4);
	st.hard.cfg.term = 3;
	st.hard.cfg.index = 7;
	m = msg(NET_ELECT_PREVOTE, 5, false);
	m.cfg_term = 3;
	m.cfg_index = 6;
	assert_int_equal(recv_msg("c", &m, 800), NET_ELECT_OK);
	assert_false(out.v[0].msg.ok);
	m.type = NET_ELECT_VOTE;
	assert_int_equal(recv_msg("c", &m, 801), NET_ELECT_OK);
	assert_false(send_to("c")->msg.ok);
	assert_string_equal(st.hard.vote.s, "");
	/* A newer config in an older config term is still older. */
	m.cfg_term = 2;
	m.cfg_index = 99;
	m.term = 6;
	assert_int_equal(recv_msg("b", &m, 802), NET_ELECT_OK);
	assert_false(send_to("b")->msg.ok);
}

static void
test_config_changes(void **state)
{
	struct net_elect_params	p = params();
	struct net_elect_hard	h = hard_of(1, NULL, abc, 3);
	struct net_elect_msg	m;
	struct net_elect_status	s;
	uint64_t		t;

	(void)state;
	assert_int_equal(net_elect_init(&st, &p, "a", &h, 0), NET_ELECT_OK);
	assert_int_equal(change(NET_ELECT_EV_ADD, "d", 0),
	    NET_ELECT_ENOTLEADER);
	t = to_leader();
	/* The re-stamp of the new term is still uncommitted. */
	assert_int_equal(change(NET_ELECT_EV_ADD, "d", t), NET_ELECT_EBUSY);
	m = msg(NET_ELECT_HEARTBEAT_RESP, st.hard.term, true);
	m.stamp = t;
	assert_int_equal(recv_msg("b", &m, t + 4), NET_ELECT_OK);
	assert_false(st.pending);
	assert_int_equal(change(NET_ELECT_EV_ADD, "b", t + 5),
	    NET_ELECT_EEXIST);
	assert_int_equal(change(NET_ELECT_EV_REMOVE, "a", t + 5),
	    NET_ELECT_EINVAL);
	assert_int_equal(change(NET_ELECT_EV_REMOVE, "zz", t + 5),
	    NET_ELECT_ENOENT);
	/* Add d: persisted first, then sent to all four with the config. */
	assert_int_equal(change(NET_ELECT_EV_ADD, "d", t + 5), NET_ELECT_OK);
	assert_true(persists());
	assert_int_equal(out.v[0].hard->cfg.n, 4);
	assert_int_equal(count_sends(NET_ELECT_HEARTBEAT), 3);
	assert_non_null(send_to("d")->msg.cfg);
	assert_int_equal(change(NET_ELECT_EV_REMOVE, "c", t + 6),
	    NET_ELECT_EBUSY);
	/* b acks: 2/3 of old, but only 2/4 of new. */
	m = msg(NET_ELECT_HEARTBEAT_RESP, st.hard.term, true);
	m.stamp = t + 5;
	assert_int_equal(recv_msg("b", &m, t + 9), NET_ELECT_OK);
	assert_true(st.pending);
	assert_int_equal(recv_msg("d", &m, t + 10), NET_ELECT_OK);
	net_elect_status(&st, t + 10, &s);
	assert_false(s.cfg_pending);
	assert_int_equal(s.nvoters, 4);
	/* Remove c. */
	assert_int_equal(change(NET_ELECT_EV_REMOVE, "c", t + 11),
	    NET_ELECT_OK);
	assert_int_equal(st.hard.cfg.n, 3);
	/* c still hears about it (it is in the old set while pending). */
	assert_non_null(send_to("c"));
}

static void
test_follower_adopts_config(void **state)
{
	struct net_elect_config	c;
	struct net_elect_msg	m;
	struct net_elect_status	s;

	(void)state;
	node_a(4);
	memset(&c, 0, sizeof c);
	c.term = 4;
	c.index = 5;
	c.n = 2;
	(void)snprintf(c.voters[0].s, sizeof c.voters[0].s, "b");
	(void)snprintf(c.voters[1].s, sizeof c.voters[1].s, "c");
	m = msg(NET_ELECT_HEARTBEAT, 4, false);
	m.cfg = &c;
	assert_int_equal(recv_msg("b", &m, 50), NET_ELECT_OK);
	assert_true(persists());	/* before the acknowledgement */
	assert_int_equal(out.v[1].msg.cfg_index, 5);
	net_elect_status(&st, 50, &s);
	assert_false(s.voter);
	/* Removed: never campaigns. */
	assert_int_equal(tick(5000), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_FOLLOWER);
	assert_int_equal(out.n, 0);
	/* A config that is not sorted is ignored. */
	c.index = 6;
	(void)snprintf(c.voters[0].s, sizeof c.voters[0].s, "z");
	assert_int_equal(recv_msg("b", &m, 5001), NET_ELECT_OK);
	assert_int_equal(st.hard.cfg.index, 5);
}

static void
test_auto_remove(void **state)
{
	struct net_elect_params	p = params();
	struct net_elect_hard	h = hard_of(1, NULL, abcde, 5);
	struct net_elect_msg	m;
	uint64_t		t, d;
	int			i;

	(void)state;
	p.remove_after_ms = 2000;
	assert_int_equal(net_elect_init(&st, &p, "a", &h, 0), NET_ELECT_OK);
	t = to_precandidate();
	for (i = 0; i < 2; i++) {
		m = msg(NET_ELECT_PREVOTE_RESP, 2, true);
		assert_int_equal(recv_msg(i ? "c" : "b", &m, t + 1),
		    NET_ELECT_OK);
	}
	for (i = 0; i < 2; i++) {
		m = msg(NET_ELECT_VOTE_RESP, 2, true);
		assert_int_equal(recv_msg(i ? "c" : "b", &m, t + 2),
		    NET_ELECT_OK);
	}
	assert_int_equal(role(), NET_ELECT_LEADER);
	/* b and c answer every heartbeat; d and e are silent. */
	while (st.hard.cfg.n > 3 && st.now < t + 10000) {
		d = net_elect_deadline(&st);
		assert_int_equal(tick(d), NET_ELECT_OK);
		assert_int_equal(role(), NET_ELECT_LEADER);
		m = msg(NET_ELECT_HEARTBEAT_RESP, st.hard.term, true);
		m.stamp = d;
		assert_int_equal(recv_msg("b", &m, d + 1), NET_ELECT_OK);
		assert_int_equal(recv_msg("c", &m, d + 1), NET_ELECT_OK);
	}
	assert_int_equal(st.hard.cfg.n, 3);
	assert_true(st.now >= t + 2000);
	assert_int_equal(strcmp(st.hard.cfg.voters[2].s, "c"), 0);
}

static void
test_bootstrap_and_single_node(void **state)
{
	struct net_elect_params	p = params();
	struct net_elect_event	ev;
	struct net_elect_id	ids[2];
	struct net_elect_status	s;

	(void)state;
	assert_int_equal(net_elect_init(&st, &p, "solo", NULL, 0),
	    NET_ELECT_OK);
	/* Without a config it never campaigns. */
	assert_int_equal(tick(5000), NET_ELECT_OK);
	assert_int_equal(role(), NET_ELECT_FOLLOWER);
	memset(&ev, 0, sizeof ev);
	memset(ids, 0, sizeof ids);
	(void)snprintf(ids[0].s, sizeof ids[0].s, "solo");
	ev.type = NET_ELECT_EV_BOOTSTRAP;
	ev.voters = ids;
	ev.nvoters = 2;		/* ids[1] is empty: invalid */
	assert_int_equal(net_elect_step(&st, &ev, 5001, &out),
	    NET_ELECT_EINVAL);
	ev.nvoters = 1;
	assert_int_equal(net_elect_step(&st, &ev, 5001, &out), NET_ELECT_OK);
	assert_true(persists());
	assert_int_equal(net_elect_step(&st, &ev, 5002, &out),
	    NET_ELECT_EEXIST);
	/* One voter: elected on its own timeout, lease never lapses. */
	assert_int_equal(tick(net_elect_deadline(&st)), NET_ELECT_OK);
	net_elect_status(&st, st.now + 100000, &s);
	assert_int_equal(s.role, NET_ELECT_LEADER);
	assert_true(s.quorum);
	assert_int_equal(s.term, 1);
	assert_false(s.cfg_pending);
}

static void
test_init_rejects(void **state)
{
	struct net_elect_params	p = params();
	struct net_elect_hard	h = hard_of(1, NULL, abc, 3);

	(void)state;
	p.lease_ms = 600;	/* longer than election_min: unsafe */
	assert_int_equal(net_elect_init(&st, &p, "a", NULL, 0),
	    NET_ELECT_EINVAL);
	p = params();
	p.rand = NULL;
	assert_int_equal(net_elect_init(&st, &p, "a", NULL, 0),
	    NET_ELECT_EINVAL);
	p = params();
	assert_int_equal(net_elect_init(&st, &p, "", NULL, 0),
	    NET_ELECT_EINVAL);
	h.cfg.voters[1] = h.cfg.voters[0];	/* duplicate */
	assert_int_equal(net_elect_init(&st, &p, "a", &h, 0),
	    NET_ELECT_EINVAL);
	h = hard_of(1, NULL, abc, 3);
	h.cfg.term = 2;				/* config from the future */
	assert_int_equal(net_elect_init(&st, &p, "a", &h, 0),
	    NET_ELECT_EINVAL);
	assert_string_equal(net_elect_strerror(NET_ELECT_EBUSY),
	    "a voter change is still uncommitted");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_timeout_prevote),
		cmocka_unit_test(test_prevote_granted),
		cmocka_unit_test(test_prevote_refused),
		cmocka_unit_test(test_prevote_refusal_higher_term),
		cmocka_unit_test(test_candidate_wins),
		cmocka_unit_test(test_candidate_loses),
		cmocka_unit_test(test_candidate_split),
		cmocka_unit_test(test_higher_term_steps_down),
		cmocka_unit_test(test_vote_persisted_before_reply),
		cmocka_unit_test(test_lease_expiry),
		cmocka_unit_test(test_lease_kept_by_acks),
		cmocka_unit_test(test_stale_terms),
		cmocka_unit_test(test_restart_keeps_vote),
		cmocka_unit_test(test_sticky_follower),
		cmocka_unit_test(test_stale_config_refused),
		cmocka_unit_test(test_config_changes),
		cmocka_unit_test(test_follower_adopts_config),
		cmocka_unit_test(test_auto_remove),
		cmocka_unit_test(test_bootstrap_and_single_node),
		cmocka_unit_test(test_init_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
