/*
 * test_sim_election.c - the election state machine (net/net_elect.c)
 * in the deterministic network simulator (tests/sim/sim.h), over
 * thousands of seeded runs of 5 to 200 nodes.
 *
 * Every step of every node is checked against the safety properties:
 *   - at most one leader per term, ever (across crashes and restarts);
 *   - no node grants votes to two candidates in one term (incarnations
 *     included: this is what persisting the vote buys);
 *   - at most one node at a time is leader WITH quorum (lease exclusive);
 *   - no step overflows its action buffer or fails.
 * Each run then plays one scenario and checks liveness:
 *   failover   the leader is killed; a new leader with quorum must appear
 *              within 3 s (the time is recorded: median/p99 printed);
 *   partition  a minority (with or without the leader) is cut off: the
 *              majority elects within 3 s, every minority node reports
 *              quorum false and none is leader once the lease and the
 *              stickiness window have passed; after healing exactly one
 *              leader and all nodes agree within 3 s;
 *   chaos      seconds of random crashes (also in the middle of a step,
 *              between persisting and sending), restarts, partitions and
 *              loss up to 30 %; after the last disruption (healed, loss
 *              <= 5 %, all nodes up) one agreed leader within 3 s;
 *   config     voters added one at a time by the leader, members killed
 *              and removed by the leader after remove_after_ms, then the
 *              shrunken set must still elect (dynamic quorum);
 *   votecrash  narrow election timeouts (many candidates per term) and
 *              voters that die right after voting and reboot at once:
 *              aimed at the vote's persistence.
 * Links: 1-20 ms uniform delay, 0-5 % loss, 1 % of messages delayed by up
 * to 150 ms more, 0.2 % duplicated.
 *
 * Usage: test_sim_election            default: 5000 runs of 5-9 nodes,
 *                                     400 of 25-50, 12 of 200 (a few s)
 *        SIM_SOAK=K  (or --soak K)    K times as many runs, new seeds
 *        SIM_SEED=S  (or --seed S)    replay the one run with seed S
 *        SIM_VERBOSE=1 (2)            trace role changes (and messages)
 * A failing run prints its seed.  The seed encodes the tier
 * (seed / 1000000) and everything else is drawn from it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net_elect.h"
#include "sim.h"

#define LIVE_BOUND_MS	3000	/* leader after the last disruption */
#define SLICE_MS	10

enum scenario { SC_FAILOVER, SC_PARTITION, SC_CHAOS, SC_CONFIG,
    SC_VOTECRASH };
#define NSCENARIOS	5
static const char *scenario_name[] = { "failover", "partition", "chaos",
    "config", "votecrash" };

struct vote_rec {
	uint64_t	term;
	int		cand;
};

struct enode {
	struct net_elect	e;
};

struct world {
	struct sim		*sim;
	int			 n;
	uint64_t		 seed;
	int			 verbose;
	struct net_elect_params	 p;
	bool			*boot_voter;
	int			 nboot;
	struct net_elect_out	 out;
	/* safety bookkeeping */
	int			*leader_of_term;	/* node + 1 */
	size_t			 nterms;
	struct vote_rec		**votes;
	size_t			*nvotes;
	int			 lq;	/* last node seen leader+quorum */
	enum net_elect_role	*last_role;
	uint64_t		*last_term;
	uint32_t		 votecrash_ppm;	/* die right after voting */
	/* failover measurement */
	uint64_t		 watch_term;
	uint64_t		 first_lq;
	bool			 failed;
	char			 why[512];
};

/* Wire image of a message in the simulator (test code, trusted). */
struct wmsg {
	uint32_t	type;
	uint32_t	ok;
	uint32_t	has_cfg;
	uint32_t	pad;
	uint64_t	term;
	uint64_t	cfg_term;
	uint64_t	cfg_index;
	uint64_t	stamp;
};

static void fail(struct world *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct world *w, const char *fmt, ...)
{
	va_list	ap;

	if (w->failed)
		return;
	w->failed = true;
	va_start(ap, fmt);
	(void)vsnprintf(w->why, sizeof w->why, fmt, ap);
	va_end(ap);
}

static void
node_name(int i, char *buf, size_t len)
{
	(void)snprintf(buf, len, "n%04d", i);
}

static int
node_index(const struct world *w, const char *id)
{
	char	*end;
	long	 v;

	if (id[0] != 'n')
		return -1;
	v = strtol(id + 1, &end, 10);
	if (*end != '\0' || v < 0 || v >= w->n)
		return -1;
	return (int)v;
}

static uint32_t
rand_cb(void *arg)
{
	return sim_rand32(arg);
}

static size_t
cfg_bytes(uint32_t n)
{
	return offsetof(struct net_elect_config, voters) +
	    (size_t)n * sizeof(struct net_elect_id);
}

static void
record_vote(struct world *w, int voter, uint64_t term, int cand)
{
	size_t	i;

	for (i = 0; i < w->nvotes[voter]; i++)
		if (w->votes[voter][i].term == term) {
			if (w->votes[voter][i].cand != cand)
				fail(w, "node %d voted for %d and %d in term "
				    "%llu", voter, w->votes[voter][i].cand,
				    cand, (unsigned long long)term);
			return;
		}
	w->votes[voter] = realloc(w->votes[voter],
	    (w->nvotes[voter] + 1) * sizeof **w->votes);
	if (w->votes[voter] == NULL)
		abort();
	w->votes[voter][w->nvotes[voter]].term = term;
	w->votes[voter][w->nvotes[voter]].cand = cand;
	w->nvotes[voter]++;
}

/* Carry out the actions of one step in order, as the agent would. */
static void
run_actions(struct world *w, int node, struct enode *en)
{
	struct net_elect_out	*out = &w->out;
	size_t			 i;

	if (out->overflow)
		fail(w, "node %d: action buffer overflow", node);
	for (i = 0; i < out->n; i++) {
		const struct net_elect_action	*a = &out->v[i];
		uint8_t				 buf[sizeof(struct wmsg) +
						    sizeof(struct
						    net_elect_config)];
		struct wmsg			 wm;
		size_t				 len = sizeof wm;
		int				 to;

		if (a->type == NET_ELECT_ACT_PERSIST) {
			if (sim_persist(w->sim, node, a->hard,
			    sizeof *a->hard) != 0)
				return;	/* died here */
			continue;
		}
		to = node_index(w, a->to.s);
		if (to < 0) {
			fail(w, "node %d sends to unknown '%s'", node,
			    a->to.s);
			continue;
		}
		memset(&wm, 0, sizeof wm);
		wm.type = a->msg.type;
		wm.ok = a->msg.ok;
		wm.term = a->msg.term;
		wm.cfg_term = a->msg.cfg_term;
		wm.cfg_index = a->msg.cfg_index;
		wm.stamp = a->msg.stamp;
		if (a->msg.cfg != NULL) {
			wm.has_cfg = 1;
			memcpy(buf + sizeof wm, a->msg.cfg,
			    cfg_bytes(a->msg.cfg->n));
			len += cfg_bytes(a->msg.cfg->n);
		}
		memcpy(buf, &wm, sizeof wm);
		if (sim_send(w->sim, node, to, buf, len) != 0)
			return;
		if (a->msg.type == NET_ELECT_VOTE_RESP && a->msg.ok) {
			record_vote(w, node, a->msg.term, to);
			if (w->votecrash_ppm > 0 && sim_rand_below(w->sim,
			    1000000) < w->votecrash_ppm)
				sim_die(w->sim, node,
				    1 + (uint32_t)sim_rand_below(w->sim, 30));
		}
	}
	sim_wake(w->sim, node, net_elect_deadline(&en->e));
}

static void
step(struct world *w, int node, struct enode *en,
    const struct net_elect_event *ev)
{
	int	rc;

	rc = net_elect_step(&en->e, ev, sim_now(w->sim), &w->out);
	if (rc != NET_ELECT_OK && ev->type == NET_ELECT_EV_RECV)
		fail(w, "node %d: step: %s", node, net_elect_strerror(rc));
	/* A tick must move the deadline on, or the driver spins. */
	if (ev->type == NET_ELECT_EV_TICK &&
	    net_elect_deadline(&en->e) <= sim_now(w->sim)) {
		fail(w, "node %d: deadline %llu not after now after a tick",
		    node, (unsigned long long)net_elect_deadline(&en->e));
		sim_die(w->sim, node, 0);
	}
	run_actions(w, node, en);
}

static void *
e_start(struct sim *sim, int node, const void *disk, size_t len, void *arg)
{
	struct world		*w = arg;
	struct enode		*en;
	struct net_elect_hard	 hard;
	char			 name[NET_ELECT_ID_SIZE];
	int			 rc;

	en = calloc(1, sizeof *en);
	if (en == NULL)
		abort();
	node_name(node, name, sizeof name);
	if (len == sizeof hard) {
		memcpy(&hard, disk, sizeof hard);
		rc = net_elect_init(&en->e, &w->p, name, &hard,
		    sim_now(sim));
	} else
		rc = net_elect_init(&en->e, &w->p, name, NULL, sim_now(sim));
	if (rc != NET_ELECT_OK) {
		fail(w, "node %d: init: %s", node, net_elect_strerror(rc));
		free(en);
		return NULL;
	}
	if (len == 0 && w->boot_voter[node]) {
		struct net_elect_id	*ids;
		struct net_elect_event	 ev;
		int			 i, k = 0;

		ids = calloc((size_t)w->nboot, sizeof *ids);
		if (ids == NULL)
			abort();
		for (i = 0; i < w->n; i++)
			if (w->boot_voter[i])
				node_name(i, ids[k++].s, sizeof ids[0].s);
		memset(&ev, 0, sizeof ev);
		ev.type = NET_ELECT_EV_BOOTSTRAP;
		ev.voters = ids;
		ev.nvoters = (size_t)k;
		rc = net_elect_step(&en->e, &ev, sim_now(sim), &w->out);
		free(ids);
		if (rc != NET_ELECT_OK)
			fail(w, "node %d: bootstrap: %s", node,
			    net_elect_strerror(rc));
		run_actions(w, node, en);
	} else
		sim_wake(sim, node, net_elect_deadline(&en->e));
	if (w->verbose)
		printf("%8llu n%d start term %llu\n",
		    (unsigned long long)sim_now(sim), node,
		    (unsigned long long)en->e.hard.term);
	return en;
}

static void
e_recv(struct sim *sim, int node, void *st, int from, const void *msg,
    size_t len, void *arg)
{
	struct world		*w = arg;
	struct net_elect_config	 cfg;
	struct net_elect_msg	 m;
	struct net_elect_event	 ev;
	struct wmsg		 wm;

	if (len < sizeof wm) {
		fail(w, "short message");
		return;
	}
	memcpy(&wm, msg, sizeof wm);
	memset(&m, 0, sizeof m);
	m.type = wm.type;
	m.ok = wm.ok != 0;
	m.term = wm.term;
	m.cfg_term = wm.cfg_term;
	m.cfg_index = wm.cfg_index;
	m.stamp = wm.stamp;
	if (wm.has_cfg) {
		memset(&cfg, 0, sizeof cfg);
		if (len - sizeof wm > sizeof cfg ||
		    len - sizeof wm < cfg_bytes(0)) {
			fail(w, "bad config in message");
			return;
		}
		memcpy(&cfg, (const uint8_t *)msg + sizeof wm,
		    len - sizeof wm);
		m.cfg = &cfg;
	}
	if (w->verbose > 1)
		printf("%8llu n%d <- n%d type %d term %llu ok %d cfg %llu.%llu"
		    "%s\n", (unsigned long long)sim_now(sim), node, from,
		    (int)m.type, (unsigned long long)m.term, (int)m.ok,
		    (unsigned long long)m.cfg_term,
		    (unsigned long long)m.cfg_index, m.cfg ? " +cfg" : "");
	memset(&ev, 0, sizeof ev);
	ev.type = NET_ELECT_EV_RECV;
	node_name(from, ev.peer.s, sizeof ev.peer.s);
	ev.msg = &m;
	step(w, node, st, &ev);
	(void)sim;
}

static void
e_wake(struct sim *sim, int node, void *st, void *arg)
{
	struct net_elect_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.type = NET_ELECT_EV_TICK;
	step(arg, node, st, &ev);
	(void)sim;
}

static void
e_stop(struct sim *sim, int node, void *st, void *arg)
{
	struct world	*w = arg;

	if (w->verbose)
		printf("%8llu n%d crash\n", (unsigned long long)sim_now(sim),
		    node);
	free(st);
}

static void
check_node(struct world *w, int node, struct enode *en)
{
	struct net_elect_status	s;
	uint64_t		now = sim_now(w->sim);

	net_elect_status(&en->e, now, &s);
	if (w->verbose && (s.role != w->last_role[node] ||
	    s.term != w->last_term[node]))
		printf("%8llu n%d %s term %llu voters %u cfg %llu.%llu%s\n",
		    (unsigned long long)now, node,
		    net_elect_role_name(s.role), (unsigned long long)s.term,
		    s.nvoters, (unsigned long long)s.cfg_term,
		    (unsigned long long)s.cfg_index,
		    s.cfg_pending ? " pending" : "");
	w->last_role[node] = s.role;
	w->last_term[node] = s.term;
	if (s.role != NET_ELECT_LEADER)
		return;
	if (s.term >= w->nterms) {
		size_t	nn = s.term * 2 + 16;

		w->leader_of_term = realloc(w->leader_of_term,
		    nn * sizeof *w->leader_of_term);
		if (w->leader_of_term == NULL)
			abort();
		memset(w->leader_of_term + w->nterms, 0,
		    (nn - w->nterms) * sizeof *w->leader_of_term);
		w->nterms = nn;
	}
	if (w->leader_of_term[s.term] == 0)
		w->leader_of_term[s.term] = node + 1;
	else if (w->leader_of_term[s.term] != node + 1)
		fail(w, "two leaders in term %llu: %d and %d at %llu ms",
		    (unsigned long long)s.term, w->leader_of_term[s.term] - 1,
		    node, (unsigned long long)now);
	if (!s.quorum)
		return;
	if (w->lq >= 0 && w->lq != node && sim_up(w->sim, w->lq)) {
		struct net_elect_status	o;
		struct enode		*other = sim_state(w->sim, w->lq);

		net_elect_status(&other->e, now, &o);
		if (o.role == NET_ELECT_LEADER && o.quorum)
			fail(w, "two leaders with quorum at %llu ms: %d "
			    "(term %llu) and %d (term %llu)",
			    (unsigned long long)now, w->lq,
			    (unsigned long long)o.term, node,
			    (unsigned long long)s.term);
	}
	w->lq = node;
	if (s.term > w->watch_term && w->first_lq == 0)
		w->first_lq = now;
}

static void
e_after(struct sim *sim, int node, void *st, void *arg)
{
	check_node(arg, node, st);
	(void)sim;
}

static const struct sim_ops ops = {
	.start = e_start,
	.recv = e_recv,
	.wake = e_wake,
	.stop = e_stop,
	.after = e_after,
};

static bool
status_of(struct world *w, int i, struct net_elect_status *s)
{
	struct enode	*en = sim_state(w->sim, i);

	if (en == NULL)
		return false;
	net_elect_status(&en->e, sim_now(w->sim), s);
	return true;
}

/*
 * The one leader with quorum among the up nodes of group g (-1: all),
 * with every voter there in its term, naming it and with quorum; or -1.
 */
static int
stable_leader(struct world *w, int g)
{
	struct net_elect_status	s, ls;
	char			name[NET_ELECT_ID_SIZE];
	int			i, leader = -1;

	memset(&ls, 0, sizeof ls);
	for (i = 0; i < w->n; i++) {
		if (g >= 0 && sim_group_of(w->sim, i) != g)
			continue;
		if (!status_of(w, i, &s) || s.role != NET_ELECT_LEADER)
			continue;
		if (!s.quorum || leader >= 0)
			return -1;
		leader = i;
		ls = s;
	}
	if (leader < 0)
		return -1;
	node_name(leader, name, sizeof name);
	for (i = 0; i < w->n; i++) {
		if (g >= 0 && sim_group_of(w->sim, i) != g)
			continue;
		if (!status_of(w, i, &s) || !s.voter)
			continue;
		if (s.term != ls.term || strcmp(s.leader.s, name) != 0 ||
		    !s.quorum)
			return -1;
	}
	return leader;
}

/* Run until group g is stable; the leader, or -1 after limit ms. */
static int
wait_stable(struct world *w, int g, uint64_t limit)
{
	uint64_t	end = sim_now(w->sim) + limit;
	int		l;

	for (;;) {
		if ((l = stable_leader(w, g)) >= 0 || w->failed)
			return l;
		if (sim_now(w->sim) >= end)
			return -1;
		sim_run_until(w->sim, sim_now(w->sim) + SLICE_MS);
	}
}

static void
run_for(struct world *w, uint64_t ms)
{
	sim_run_until(w->sim, sim_now(w->sim) + ms);
}

static void
start_all(struct world *w)
{
	int	i;

	for (i = 0; i < w->n; i++)
		if (!sim_up(w->sim, i) && sim_start(w->sim, i) != 0)
			fail(w, "node %d did not start", i);
}

static int
first_leader(struct world *w)
{
	int	l;

	start_all(w);
	l = wait_stable(w, -1, 5000);
	if (l < 0)
		fail(w, "no initial leader within 5 s");
	return l;
}

static uint64_t
term_of(struct world *w, int i)
{
	struct net_elect_status	s;

	return status_of(w, i, &s) ? s.term : 0;
}

/* Kill the leader; returns the failover time in ms (or UINT64_MAX). */
static uint64_t
kill_leader(struct world *w, int l)
{
	uint64_t	t0 = sim_now(w->sim);

	w->watch_term = term_of(w, l);
	w->first_lq = 0;
	sim_crash(w->sim, l);
	if (wait_stable(w, -1, LIVE_BOUND_MS) < 0) {
		fail(w, "no leader within %d ms of killing leader %d",
		    LIVE_BOUND_MS, l);
		return UINT64_MAX;
	}
	return w->first_lq - t0;
}

static void
sc_failover(struct world *w, uint64_t *failover)
{
	int	l;

	if ((l = first_leader(w)) < 0)
		return;
	run_for(w, 200 + sim_rand_below(w->sim, 1500));
	*failover = kill_leader(w, l);
	if (w->failed)
		return;
	run_for(w, sim_rand_below(w->sim, 1000));
	if (sim_start(w->sim, l) != 0)
		fail(w, "restart failed");
	else if (wait_stable(w, -1, LIVE_BOUND_MS) < 0)
		fail(w, "no agreement after the old leader came back");
}

static void
check_minority(struct world *w, int g)
{
	struct net_elect_status	s;
	int			i;

	for (i = 0; i < w->n; i++) {
		if (sim_group_of(w->sim, i) != g || !status_of(w, i, &s))
			continue;
		if (s.quorum || s.role == NET_ELECT_LEADER)
			fail(w, "minority node %d at %llu ms: %s, quorum %d",
			    i, (unsigned long long)sim_now(w->sim),
			    net_elect_role_name(s.role), (int)s.quorum);
	}
}

static void
sc_partition(struct world *w)
{
	uint64_t	t0, hold;
	int		l, i, m, *perm;

	if ((l = first_leader(w)) < 0)
		return;
	run_for(w, sim_rand_below(w->sim, 1000));
	/* A random minority; half the time it holds the leader. */
	m = 1 + (int)sim_rand_below(w->sim, (uint64_t)(w->n - 1) / 2);
	perm = calloc((size_t)w->n, sizeof *perm);
	if (perm == NULL)
		abort();
	for (i = 0; i < w->n; i++)
		perm[i] = i;
	for (i = w->n - 1; i > 0; i--) {
		int	j = (int)sim_rand_below(w->sim, (uint64_t)i + 1);
		int	t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	if (sim_rand_below(w->sim, 2) == 0)
		for (i = 0; i < w->n; i++)
			if (perm[i] == l) {
				perm[i] = perm[0];
				perm[0] = l;
			}
	for (i = 0; i < m; i++) {
		sim_group(w->sim, perm[i], 1);
		if (w->verbose)
			printf("%8llu n%d cut off\n",
			    (unsigned long long)sim_now(w->sim), perm[i]);
	}
	free(perm);
	t0 = sim_now(w->sim);
	if (wait_stable(w, 0, LIVE_BOUND_MS) < 0) {
		fail(w, "majority side: no leader within %d ms",
		    LIVE_BOUND_MS);
		return;
	}
	/* Lease (500) and stickiness (500) plus delays have passed. */
	sim_run_until(w->sim, t0 + 1200 > sim_now(w->sim) ? t0 + 1200 :
	    sim_now(w->sim));
	hold = sim_now(w->sim) + 500 + sim_rand_below(w->sim, 2500);
	while (!w->failed && sim_now(w->sim) < hold) {
		check_minority(w, 1);
		run_for(w, 50);
	}
	if (w->failed)
		return;
	sim_heal(w->sim);
	if (wait_stable(w, -1, LIVE_BOUND_MS) < 0)
		fail(w, "no single agreed leader within %d ms of healing",
		    LIVE_BOUND_MS);
}

static void
sc_chaos(struct world *w)
{
	uint64_t	end;
	int		i;

	if (first_leader(w) < 0)
		return;
	sim_set_crash_in_step(w->sim, 2000 + (uint32_t)sim_rand_below(w->sim,
	    8000));
	end = sim_now(w->sim) + 3000 + sim_rand_below(w->sim, 5000);
	while (!w->failed && sim_now(w->sim) < end) {
		int	node = (int)sim_rand_below(w->sim, (uint64_t)w->n);
		int	k;

		run_for(w, 50 + sim_rand_below(w->sim, 550));
		switch (sim_rand_below(w->sim, 6)) {
		case 0:
			sim_crash(w->sim, node);
			break;
		case 1:
			if (!sim_up(w->sim, node))
				(void)sim_start(w->sim, node);
			break;
		case 2:
			k = 2 + (int)sim_rand_below(w->sim, 2);
			for (i = 0; i < w->n; i++)
				sim_group(w->sim, i,
				    (int)sim_rand_below(w->sim, (uint64_t)k));
			break;
		case 3:
			sim_heal(w->sim);
			break;
		case 4:
			sim_set_loss(w->sim, (uint32_t)sim_rand_below(w->sim,
			    300001));
			break;
		default:
			/* a restart with state: crash now, boot at once */
			if (sim_up(w->sim, node)) {
				sim_crash(w->sim, node);
				(void)sim_start(w->sim, node);
			}
			break;
		}
	}
	/* The last disruption: heal everything. */
	sim_set_crash_in_step(w->sim, 0);
	sim_heal(w->sim);
	sim_set_loss(w->sim, (uint32_t)sim_rand_below(w->sim, 50001));
	start_all(w);
	if (!w->failed && wait_stable(w, -1, LIVE_BOUND_MS) < 0)
		fail(w, "no agreed leader within %d ms after chaos",
		    LIVE_BOUND_MS);
}

/* Drive a config change through the leader's state machine. */
static int
propose(struct world *w, int l, enum net_elect_ev_type type, int target)
{
	struct net_elect_event	 ev;
	struct enode		*en = sim_state(w->sim, l);
	int			 rc;

	if (en == NULL)
		return NET_ELECT_ENOTLEADER;
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	node_name(target, ev.peer.s, sizeof ev.peer.s);
	rc = net_elect_step(&en->e, &ev, sim_now(w->sim), &w->out);
	run_actions(w, l, en);
	check_node(w, l, en);
	return rc;
}

static bool
committed(struct world *w, int l)
{
	struct net_elect_status	s;

	return status_of(w, l, &s) && s.role == NET_ELECT_LEADER &&
	    !s.cfg_pending;
}

static void
sc_config(struct world *w)
{
	struct net_elect_status	s;
	uint64_t		deadline;
	int			l, i, nvoters, kill, alive;

	if ((l = first_leader(w)) < 0)
		return;
	/* Admit every non-voter, one change at a time. */
	for (i = 0; i < w->n && !w->failed; i++) {
		if (w->boot_voter[i])
			continue;
		deadline = sim_now(w->sim) + 10000;
		for (;;) {
			int	rc;

			if (sim_now(w->sim) > deadline) {
				fail(w, "could not add node %d", i);
				return;
			}
			l = wait_stable(w, -1, LIVE_BOUND_MS);
			if (l < 0) {
				fail(w, "no leader while adding %d", i);
				return;
			}
			if (!committed(w, l)) {
				run_for(w, 20);
				continue;
			}
			rc = propose(w, l, NET_ELECT_EV_ADD, i);
			if (rc == NET_ELECT_OK || rc == NET_ELECT_EEXIST)
				break;
			run_for(w, 20);
		}
	}
	if (w->failed || wait_stable(w, -1, LIVE_BOUND_MS) < 0) {
		fail(w, "no leader after adding voters");
		return;
	}
	/* Kill a minority that excludes the leader; wait for removal. */
	l = stable_leader(w, -1);
	(void)status_of(w, l, &s);
	nvoters = (int)s.nvoters;
	if (nvoters != w->n) {
		fail(w, "%d voters after adding, want %d", nvoters, w->n);
		return;
	}
	kill = 1 + (int)sim_rand_below(w->sim, (uint64_t)(w->n - 1) / 2);
	for (i = 0, alive = w->n; i < w->n && alive > w->n - kill; i++)
		if (i != l) {
			sim_crash(w->sim, i);
			alive--;
		}
	deadline = sim_now(w->sim) + w->p.remove_after_ms +
	    (uint64_t)kill * 1000 + 3000;
	for (;;) {
		l = stable_leader(w, -1);
		if (l >= 0 && status_of(w, l, &s) && !s.cfg_pending &&
		    (int)s.nvoters == alive)
			break;
		if (sim_now(w->sim) > deadline) {
			fail(w, "dead voters not removed (%d alive)", alive);
			return;
		}
		run_for(w, SLICE_MS);
		if (w->failed)
			return;
	}
	/*
	 * With the set shrunk to the live nodes, the cluster survives
	 * losing its leader although a majority of the ORIGINAL set is
	 * gone (when alive >= 3).
	 */
	if (alive >= 3)
		(void)kill_leader(w, l);
}

/*
 * Aimed at the vote's persistence: narrow election timeouts give many
 * candidates per term, and a voter often dies right after answering and
 * boots again within 30 ms, while the other candidates keep asking.  A
 * vote that did not survive the crash is then given twice.  Liveness is
 * not the point here (split votes are frequent by design): the bound is
 * loose.
 */
static void
sc_votecrash(struct world *w)
{
	uint64_t	end;
	int		l;

	w->votecrash_ppm = 500000;
	start_all(w);
	end = sim_now(w->sim) + 6000 + sim_rand_below(w->sim, 6000);
	while (!w->failed && sim_now(w->sim) < end) {
		run_for(w, 300 + sim_rand_below(w->sim, 700));
		l = stable_leader(w, -1);
		if (l >= 0) {
			sim_crash(w->sim, l);
			run_for(w, sim_rand_below(w->sim, 300));
			(void)sim_start(w->sim, l);
		}
	}
	w->votecrash_ppm = 0;
	start_all(w);
	if (!w->failed && wait_stable(w, -1, 15000) < 0)
		fail(w, "no agreed leader within 15 s after vote crashes");
}

static void
world_free(struct world *w)
{
	int	i;

	sim_free(w->sim);
	for (i = 0; i < w->n; i++)
		free(w->votes[i]);
	free(w->votes);
	free(w->nvotes);
	free(w->boot_voter);
	free(w->leader_of_term);
	free(w->last_role);
	free(w->last_term);
}

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct tier {
	const char	*name;
	int		 runs;
	int		 nmin, nmax;
};

static const struct tier tiers[] = {
	{ "5-9 nodes", 5000, 5, 9 },
	{ "25-50 nodes", 400, 25, 50 },
	{ "200 nodes", 12, 200, 200 },
};
#define NTIERS	(sizeof tiers / sizeof tiers[0])

/* One run; returns false on failure.  failover: ms or UINT64_MAX. */
static bool
run_seed(uint64_t seed, int verbose, uint64_t *failover, int *nodes,
    enum scenario *scp)
{
	static struct world	 w;	/* big: lives outside the stack */
	struct sim_params	 sp;
	const struct tier	*t;
	uint64_t		 h = mix(seed);
	size_t			 ti = (size_t)(seed / 1000000);
	enum scenario		 sc;
	int			 i, r;

	*failover = UINT64_MAX;
	if (ti >= NTIERS)
		ti = NTIERS - 1;
	t = &tiers[ti];
	memset(&w, 0, sizeof w);
	w.seed = seed;
	w.verbose = verbose;
	w.n = t->nmin + (int)(h % (uint64_t)(t->nmax - t->nmin + 1));
	r = (int)((h >> 16) % 100);
	if (ti == 2)
		sc = (enum scenario)(seed % 3);	/* no config/votecrash */
	else
		sc = r < 35 ? SC_FAILOVER : r < 55 ? SC_PARTITION :
		    r < 80 ? SC_CHAOS : r < 90 ? SC_CONFIG : SC_VOTECRASH;
	*nodes = w.n;
	*scp = sc;
	w.lq = -1;
	w.boot_voter = calloc((size_t)w.n, sizeof *w.boot_voter);
	w.votes = calloc((size_t)w.n, sizeof *w.votes);
	w.nvotes = calloc((size_t)w.n, sizeof *w.nvotes);
	w.last_role = calloc((size_t)w.n, sizeof *w.last_role);
	w.last_term = calloc((size_t)w.n, sizeof *w.last_term);
	if (w.boot_voter == NULL || w.votes == NULL || w.nvotes == NULL ||
	    w.last_role == NULL || w.last_term == NULL)
		abort();
	sim_params_default(&sp, w.n, seed);
	sp.link.loss_ppm = (uint32_t)((h >> 32) % 50001);	/* 0-5 % */
	sp.spike_ppm = 10000;
	sp.spike_max_ms = 150;
	sp.dup_ppm = 2000;
	if (sc == SC_CHAOS)
		sp.auto_restart_ms = 50 + (uint32_t)((h >> 40) % 2000);
	w.sim = sim_new(&sp, &ops, &w);
	if (w.sim == NULL)
		abort();
	net_elect_params_default(&w.p, rand_cb, w.sim);
	if (sc == SC_VOTECRASH)
		w.p.election_max_ms = w.p.election_min_ms + 30;
	w.nboot = w.n;
	if (sc == SC_CONFIG) {
		w.p.remove_after_ms = 2000;
		w.nboot = 3 + (int)((h >> 48) % (uint64_t)(w.n - 2));
	}
	for (i = 0; i < w.nboot; i++)
		w.boot_voter[i] = true;

	switch (sc) {
	case SC_FAILOVER:
		sc_failover(&w, failover);
		break;
	case SC_PARTITION:
		sc_partition(&w);
		break;
	case SC_CHAOS:
		sc_chaos(&w);
		break;
	case SC_CONFIG:
		sc_config(&w);
		break;
	case SC_VOTECRASH:
		sc_votecrash(&w);
		break;
	}
	if (w.failed)
		printf("FAIL seed %llu (%s, %d nodes, at %llu ms): %s\n"
		    "  replay: SIM_SEED=%llu SIM_VERBOSE=1 "
		    "./test_sim_election\n",
		    (unsigned long long)seed, scenario_name[sc], w.n,
		    (unsigned long long)sim_now(w.sim), w.why,
		    (unsigned long long)seed);
	world_free(&w);
	return !w.failed;
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *name, uint64_t *v, size_t n)
{
	if (n == 0)
		return;
	qsort(v, n, sizeof *v, u64cmp);
	printf("  %-12s failover (leader killed -> new leader with quorum): "
	    "n=%zu median %llu ms, p99 %llu ms, max %llu ms\n", name, n,
	    (unsigned long long)v[n / 2],
	    (unsigned long long)v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
	    (unsigned long long)v[n - 1]);
}

int
main(int argc, char **argv)
{
	const char	*seed_s = getenv("SIM_SEED");
	const char	*soak_s = getenv("SIM_SOAK");
	const char	*verbose_s = getenv("SIM_VERBOSE");
	int		 verbose = verbose_s != NULL ? atoi(verbose_s) : 0;
	long		 soak = 1;
	int		 failures = 0, i;
	size_t		 ti;
	clock_t		 c0 = clock();

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--seed") == 0)
			seed_s = argv[i + 1];
		else if (strcmp(argv[i], "--soak") == 0)
			soak_s = argv[i + 1];
	}
	if (soak_s != NULL && (soak = strtol(soak_s, NULL, 10)) < 1)
		soak = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (seed_s != NULL) {
		uint64_t	fo;
		enum scenario	sc;
		int		n;
		bool		ok;

		ok = run_seed(strtoull(seed_s, NULL, 0), verbose, &fo, &n,
		    &sc);
		printf("seed %s: %s, %d nodes: %s", seed_s, scenario_name[sc],
		    n, ok ? "ok" : "FAILED");
		if (fo != UINT64_MAX)
			printf(", failover %llu ms", (unsigned long long)fo);
		printf("\n");
		return ok ? 0 : 1;
	}
	for (ti = 0; ti < NTIERS; ti++) {
		const struct tier	*t = &tiers[ti];
		long			 runs = t->runs * soak, r;
		uint64_t		*fo;
		size_t			 nfo = 0;
		int			 count[NSCENARIOS] = { 0 };

		fo = calloc((size_t)runs, sizeof *fo);
		if (fo == NULL)
			abort();
		for (r = 0; r < runs; r++) {
			uint64_t	f, seed = ti * 1000000 + (uint64_t)r;
			enum scenario	sc;
			int		n;

			if (!run_seed(seed, 0, &f, &n, &sc))
				failures++;
			count[sc]++;
			if (f != UINT64_MAX)
				fo[nfo++] = f;
		}
		printf("%s: %ld runs (failover %d, partition %d, chaos %d, "
		    "config %d, votecrash %d), %.1f s cpu so far\n", t->name,
		    runs, count[0], count[1], count[2], count[3], count[4],
		    (double)(clock() - c0) / CLOCKS_PER_SEC);
		report(t->name, fo, nfo);
		free(fo);
	}
	printf("%d failing runs\n", failures);
	return failures == 0 ? 0 : 1;
}
