/*
 * membersim.h - the real membership state machine (net/net_member.c), one
 * per node, on the simulated network of clustersim.h; shared by
 * test_member_sim.c and tests/bench/bench_swim.c.
 *
 * What travels is what the agent would send: every SEND action is encoded
 * with net_member_wire_encode() into an owned byte copy, and decoded with
 * net_member_wire_decode() on delivery, so the runs exercise the wire
 * form and count true payload bytes (per node, both ways).  A member's
 * view changes reach the user through the changed hook; the world also
 * keeps, per node, how many members it sees ALIVE, so "everybody sees
 * everybody" is a counter check even for a thousand nodes.  Tests add
 * their own behaviour around a node (a hostile member's forgeries)
 * through the tick and recv hooks, which run after the state machine's
 * step.
 *
 * Header-only (static inline) for the same reason as clustersim.h.
 * Errors that mean a broken harness or state machine (a step refused, a
 * message that does not encode or decode, a SEND to an unknown node) are
 * counted in errors with the first one described in err; the caller
 * checks them.
 */
#ifndef MEMBERSIM_H
#define MEMBERSIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clustersim.h"
#include "net_idtab.h"
#include "net_member.h"
#include "net_wire.h"
#include "sec_cbor.h"

/* Payload bound: the agent's (ag_cluster.c), room left for the envelope. */
#define MS_PAYLOAD_MAX	(NET_WIRE_MAX_MSG - 256)

struct ms_msg {
	size_t	len;
	uint8_t	b[];
};

struct ms_world;

/* observer's view of subject went a->from to a->to. */
typedef void	ms_changed_fn(struct ms_world *, int observer, int subject,
		    const struct net_member_action *a);
typedef void	ms_node_fn(struct ms_world *, int node);
typedef void	ms_recv_fn(struct ms_world *, int node, int from,
		    const struct net_member_msg *msg);

struct ms_world {
	struct cs		  s;
	struct net_member	**m;
	struct net_member_config  cfg;	/* every node's, seed aside */
	uint64_t		  seed;
	/*
	 * Wall clocks in TICKs (probe mode's ring schedule): node i's reads
	 * the simulated time plus a fixed skew drawn from the seed, within
	 * +-wall_skew_ms (default 20); -1 gives the nodes no wall clock.
	 */
	int64_t			  wall_skew_ms;
	struct net_member_msg	 *scratch;	/* decoded message */
	uint8_t			 *wbuf;		/* encoded message */
	int			  cur;		/* node being stepped */
	/* hooks (may be NULL) and their argument */
	ms_changed_fn		 *changed;
	ms_node_fn		 *tick;
	ms_recv_fn		 *recv;
	void			 *arg;
	/* counters */
	uint64_t		  msgs, bytes;		/* payload, all nodes */
	uint64_t		 *tx_msgs, *tx_bytes;	/* per node */
	uint64_t		 *rx_msgs, *rx_bytes;
	int			 *alive_seen;	/* members seen ALIVE */
	int			  errors;
	char			  err[200];
};

static inline void ms_error(struct ms_world *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
ms_error(struct ms_world *w, const char *fmt, ...)
{
	va_list	ap;

	if (w->errors++ > 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(w->err, sizeof w->err, fmt, ap);
	va_end(ap);
}

static inline void
ms_msg_free(void *p)
{
	free(p);
}

/* Encodes msg and hands it to the network (from -> to). */
static inline void
ms_send(struct ms_world *w, int from, int to,
    const struct net_member_msg *msg)
{
	struct sec_cbor_writer	 wr;
	struct ms_msg		*x;
	size_t			 len;

	sec_cbor_writer_fixed(&wr, w->wbuf, MS_PAYLOAD_MAX);
	if (net_member_wire_encode(msg, &wr) != 0 ||
	    sec_cbor_writer_error(&wr) != 0) {
		ms_error(w, "node %d: a message to %d does not encode "
		    "(%zu claims, probe %u)", from, to, msg->nclaims,
		    (unsigned)msg->probe);
		return;
	}
	len = sec_cbor_writer_len(&wr);
	x = cs_alloc(1, sizeof *x + len);
	x->len = len;
	memcpy(x->b, w->wbuf, len);
	w->msgs++;
	w->bytes += len;
	w->tx_msgs[from]++;
	w->tx_bytes[from] += len;
	(void)cs_send(&w->s, from, to, x);
}

static inline void
ms_emit(void *arg, const struct net_member_action *a)
{
	struct ms_world	*w = arg;
	int		 peer;

	if ((peer = cs_index_of(&w->s, a->peer)) < 0) {
		ms_error(w, "node %d: action about unknown node %s", w->cur,
		    a->peer);
		return;
	}
	if (a->type == NET_MEMBER_ACT_SEND) {
		ms_send(w, w->cur, peer, a->msg);
		return;
	}
	if (a->from == NET_MEMBER_ALIVE)
		w->alive_seen[w->cur]--;
	if (a->to == NET_MEMBER_ALIVE)
		w->alive_seen[w->cur]++;
	if (w->changed != NULL)
		w->changed(w, w->cur, peer, a);
}

static inline void
ms_step(struct ms_world *w, int node, const struct net_member_event *ev)
{
	w->cur = node;
	if (net_member_step(w->m[node], ev, w->s.now / 1000, ms_emit, w) != 0)
		ms_error(w, "node %d: step (event %d) refused", node,
		    (int)ev->type);
}

static inline void
ms_on_tick(struct cs *s, int node, void *arg)
{
	struct ms_world		*w = arg;
	struct net_member_event	 ev = { .type = NET_MEMBER_EV_TICK };
	uint64_t		 x = w->seed ^ (uint64_t)node;
	int64_t			 skew;

	if (w->wall_skew_ms >= 0) {
		/* a fixed skew per node and seed */
		skew = (int64_t)(net_splitmix64(&x) %
		    (uint64_t)(2 * w->wall_skew_ms + 1)) - w->wall_skew_ms;
		ev.wall = (uint64_t)((int64_t)(s->now / 1000) + skew) +
		    1800000000000ull;	/* an epoch-sized wall clock */
	}
	ms_step(w, node, &ev);
	if (w->tick != NULL)
		w->tick(w, node);
}

static inline void
ms_on_recv(struct cs *s, int node, int from, void *msg, void *arg)
{
	struct ms_world		*w = arg;
	const struct ms_msg	*x = msg;
	struct net_member_event	 ev;
	char			 why[160];

	w->rx_msgs[node]++;
	w->rx_bytes[node] += x->len;
	if (net_member_wire_decode(x->b, x->len, w->scratch, why,
	    sizeof why) != 0) {
		ms_error(w, "node %d: a message from %d does not decode: %s",
		    node, from, why);
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.type = NET_MEMBER_EV_RECV;
	ev.peer = s->id[from];
	ev.msg = w->scratch;
	ms_step(w, node, &ev);
	if (w->recv != NULL)
		w->recv(w, node, from, w->scratch);
}

static inline void
ms_on_conn(struct cs *s, int node, int peer, bool up, void *arg)
{
	struct net_member_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.type = up ? NET_MEMBER_EV_CONN_UP : NET_MEMBER_EV_CONN_DOWN;
	ev.peer = s->id[peer];
	ms_step(arg, node, &ev);
}

static const struct cs_ops ms_ops = {
	ms_on_tick, ms_on_recv, ms_on_conn, ms_msg_free
};

/*
 * n nodes, none booted, every one to run cfg (its seed replaced by
 * seed * 1000 + node); ondemand picks the network's mode.  The network's
 * figures (delay, loss, busy) may be set before the first ms_boot().
 */
static inline struct ms_world *
ms_new(int n, uint64_t seed, const struct net_member_config *cfg,
    bool ondemand)
{
	struct ms_world	*w;

	w = cs_alloc(1, sizeof *w);
	cs_init(&w->s, n, seed, &ms_ops, w);
	w->s.ondemand = ondemand;
	w->cfg = *cfg;
	w->seed = seed;
	w->wall_skew_ms = 20;
	w->m = cs_alloc((size_t)n, sizeof *w->m);
	w->scratch = cs_alloc(1, sizeof *w->scratch);
	w->wbuf = cs_alloc(MS_PAYLOAD_MAX, 1);
	w->tx_msgs = cs_alloc((size_t)n, sizeof *w->tx_msgs);
	w->tx_bytes = cs_alloc((size_t)n, sizeof *w->tx_bytes);
	w->rx_msgs = cs_alloc((size_t)n, sizeof *w->rx_msgs);
	w->rx_bytes = cs_alloc((size_t)n, sizeof *w->rx_bytes);
	w->alive_seen = cs_alloc((size_t)n, sizeof *w->alive_seen);
	return w;
}

static inline void
ms_free(struct ms_world *w)
{
	int	i;

	if (w == NULL)
		return;
	for (i = 0; i < w->s.n; i++)
		net_member_free(w->m[i]);
	cs_fini(&w->s);
	free(w->m);
	free(w->scratch);
	free(w->wbuf);
	free(w->tx_msgs);
	free(w->tx_bytes);
	free(w->rx_msgs);
	free(w->rx_bytes);
	free(w->alive_seen);
	free(w);
}

/*
 * (Re)starts node i with a blank state machine (incarnation 0), seeded
 * from seed; 0, or -1 if the state machine refused the config.
 */
static inline int
ms_boot(struct ms_world *w, int i, uint64_t seed)
{
	struct net_member_config	cfg = w->cfg;

	cfg.seed = seed * 1000 + (uint64_t)i;
	net_member_free(w->m[i]);
	w->alive_seen[i] = 0;
	if ((w->m[i] = net_member_new(w->s.id[i], &cfg)) == NULL) {
		ms_error(w, "node %d: net_member_new refused the config", i);
		return -1;
	}
	cs_boot(&w->s, i);
	return 0;
}

/* kill -9: the node and its state are gone. */
static inline void
ms_crash(struct ms_world *w, int i)
{
	cs_crash(&w->s, i);
	net_member_free(w->m[i]);
	w->m[i] = NULL;
	w->alive_seen[i] = 0;
}

/* Up nodes, and whether every one sees every other up node ALIVE. */
static inline int
ms_up(const struct ms_world *w)
{
	int	i, k = 0;

	for (i = 0; i < w->s.n; i++)
		k += w->s.up[i];
	return k;
}

/*
 * Every up node sees every other up node of its group as st (a full
 * O(n^2) look; fine for tens of nodes).  On failure why says who.
 */
static inline int
ms_all_see(struct ms_world *w, enum net_member_status st, char *why,
    size_t n)
{
	enum net_member_status	got;
	int			o, t;

	for (o = 0; o < w->s.n; o++) {
		if (!w->s.up[o])
			continue;
		for (t = 0; t < w->s.n; t++) {
			if (t == o || !cs_linked(&w->s, o, t))
				continue;
			got = net_member_status(w->m[o], w->s.id[t], NULL);
			if (got != st) {
				(void)snprintf(why, n, "node %d sees %d as %s",
				    o, t, net_member_status_name(got));
				return 0;
			}
		}
	}
	return 1;
}

/*
 * Every up node sees exactly the other up nodes ALIVE, from the counters
 * (a cluster with no dead members yet: one that formed, O(n)).
 */
static inline int
ms_formed(const struct ms_world *w)
{
	int	i, up = ms_up(w);

	for (i = 0; i < w->s.n; i++)
		if (w->s.up[i] && w->alive_seen[i] != up - 1)
			return 0;
	return 1;
}

/* Sum of one uint64_t counter of every live node's net_member_stats. */
static inline uint64_t
ms_stats_sum(const struct ms_world *w, size_t off)
{
	const struct net_member_stats	*st;
	uint64_t			 sum = 0, v;
	int				 i;

	for (i = 0; i < w->s.n; i++) {
		if (w->m[i] == NULL)
			continue;
		st = net_member_stats(w->m[i]);
		memcpy(&v, (const char *)st + off, sizeof v);
		sum += v;
	}
	return sum;
}

#define MS_STAT(w, field)						\
	ms_stats_sum((w), offsetof(struct net_member_stats, field))

#endif /* MEMBERSIM_H */
