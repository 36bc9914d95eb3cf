/*
 * clustersim.h - a small deterministic discrete-event network for the
 * membership and gossip simulation tests (test_member_sim.c,
 * test_gossip_sim.c) and the SWIM benchmark (tests/bench/bench_swim.c).
 *
 * Why a separate one: the protocol simulator in tests/sim/ carries bytes
 * between nodes but has no notion of a transport session, and the
 * failure detector's whole point is how it combines session state
 * (QUIC up / idle-timed-out) with message silence.  This one models just
 * that, cheaply enough for hundreds of seeded runs of 64 nodes or a few
 * runs of thousands:
 *
 *  - time in microseconds; one binary heap of events ordered by
 *    (time, seq), O(log events) a push or pop;
 *  - sessions mode (the default): a session a->b is up or down at a; when
 *    b crashes or a partition separates them it goes down at a after the
 *    QUIC idle timeout counted from b's last keep-alive (idle_ms -
 *    uniform[0, keepalive_ms]); when both are up and in one group again it
 *    comes back after a redial of a few ms;
 *  - on-demand mode (ondemand = true, set before the first cs_boot): the
 *    driver is assumed to open a session whenever a message needs one, so
 *    a message between two up nodes of one partition group is delivered
 *    (with the loss, delay and busy below) and one to a crashed node or
 *    across a partition is lost; no session is modelled and there are no
 *    CONN_UP / CONN_DOWN events except for the sessions a test opens
 *    itself with cs_connect() (a join), which then behave as in sessions
 *    mode but are never redialled;
 *  - a message goes (sessions mode: only over an up session), is lost with
 *    loss_ppm or while either end is muted (cs_mute: a node whose network
 *    is down for a while, its process running on; sessions are not
 *    affected), and arrives after uniform [delay_min_us, delay_max_us],
 *    plus uniform [0, busy_ms] if either end is "busy" (an overloaded node
 *    whose application is slow but whose QUIC stack keeps its sessions up);
 *  - every node ticks every tick_ms.
 *
 * Memory: the per-node arrays are sized by n and the only per-pair state
 * is one bit (session up at a to b), so 1000 nodes cost 125 KB of pairs;
 * node ids are found through an open-addressing hash index, not a scan.
 *
 * It is header-only with static functions because several test programs
 * use it and tests/CMakeLists.txt builds each test_*.c on its own.  The
 * protocol is plugged in through struct cs_ops; messages are opaque
 * copies the callbacks own.  Allocation failure aborts: these are tests.
 */
#ifndef CLUSTERSIM_H
#define CLUSTERSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sec_b32.h"
#include "sec_identity.h"

#define CS_NODES_MAX	65536	/* node ids stay distinct up to here */

enum cs_ev {
	CS_TICK = 1,
	CS_DELIVER,
	CS_CONN_UP,
	CS_CONN_DOWN
};

struct cs_event {
	uint64_t	at;		/* us */
	uint64_t	seq;
	enum cs_ev	type;
	int		node;		/* who handles it */
	int		peer;
	void		*msg;		/* DELIVER: owned copy */
	uint64_t	epoch;		/* node's boot epoch when scheduled */
};

struct cs;

struct cs_ops {
	void	(*tick)(struct cs *, int node, void *arg);
	void	(*recv)(struct cs *, int node, int from, void *msg, void *arg);
	void	(*conn)(struct cs *, int node, int peer, bool up, void *arg);
	void	(*free_msg)(void *msg);
};

struct cs {
	int		 n;
	uint64_t	 now;		/* us */
	uint64_t	 rng;
	uint64_t	 seq;
	struct cs_event	*heap;
	size_t		 nheap, capheap;
	const struct cs_ops *ops;
	void		*arg;
	/* network */
	bool		 ondemand;	/* see the top of the file */
	uint32_t	 delay_min_us, delay_max_us, loss_ppm;
	uint32_t	 idle_ms, keepalive_ms, tick_ms, busy_ms;
	/* per node, n of each */
	bool		*up;
	bool		*busy;
	uint64_t	*mute_until;	/* us */
	int		*group;
	uint64_t	*epoch;
	char		(*id)[SEC_NODE_ID_SIZE];
	/* per pair: session up at a to b, bit a * n + b */
	uint8_t		*conn;
	/* id -> index + 1 (0: empty), open addressing */
	uint32_t	*idx;
	size_t		 idxmask;
	uint64_t	 sent, lost;
};

static inline void *
cs_alloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n > 0 ? n : 1, size)) == NULL) {
		(void)fprintf(stderr, "clustersim: out of memory\n");
		abort();
	}
	return p;
}

static inline uint64_t
cs_rand(struct cs *s)
{
	uint64_t	z;

	z = (s->rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t
cs_uniform(struct cs *s, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + cs_rand(s) % (hi - lo + 1);
}

static inline bool
cs_conn(const struct cs *s, int a, int b)
{
	size_t	bit = (size_t)a * (size_t)s->n + (size_t)b;

	return (s->conn[bit / 8] >> (bit % 8)) & 1;
}

static inline void
cs_conn_set(struct cs *s, int a, int b, bool up)
{
	size_t	bit = (size_t)a * (size_t)s->n + (size_t)b;

	if (up)
		s->conn[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		s->conn[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

static inline int
cs_before(const struct cs_event *a, const struct cs_event *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static inline void
cs_push(struct cs *s, uint64_t at, enum cs_ev type, int node, int peer,
    void *msg)
{
	struct cs_event	 e, t;
	size_t		 i;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 1024;
		s->heap = realloc(s->heap, s->capheap * sizeof *s->heap);
		if (s->heap == NULL)
			abort();
	}
	memset(&e, 0, sizeof e);
	e.at = at;
	e.seq = s->seq++;
	e.type = type;
	e.node = node;
	e.peer = peer;
	e.msg = msg;
	e.epoch = s->epoch[node];
	i = s->nheap++;
	s->heap[i] = e;
	while (i > 0 && cs_before(&s->heap[i], &s->heap[(i - 1) / 2])) {
		t = s->heap[i];
		s->heap[i] = s->heap[(i - 1) / 2];
		s->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static inline struct cs_event
cs_pop(struct cs *s)
{
	struct cs_event	top = s->heap[0], t;
	size_t		i = 0, l, m;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < s->nheap && cs_before(&s->heap[l], &s->heap[m]))
			m = l;
		if (l + 1 < s->nheap && cs_before(&s->heap[l + 1], &s->heap[m]))
			m = l + 1;
		if (m == i)
			break;
		t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
	return top;
}

/*
 * Node ids: base32 of 16 bytes derived from the index, like real ones.
 * Byte 2 carries the index's high byte (0 below 256, so the ids of small
 * clusters are those of earlier versions and their runs replay).
 */
static inline void
cs_make_id(int i, char *out)
{
	unsigned char	b[16];
	int		k;

	for (k = 0; k < 16; k++)
		b[k] = (unsigned char)(i * 37 + k * 11 + (i >> 3) * k);
	b[0] = (unsigned char)i;
	b[2] ^= (unsigned char)(i >> 8);
	if (sec_b32_encode(b, sizeof b, out, SEC_NODE_ID_SIZE) < 0)
		abort();
}

static inline size_t
cs_hash(const char *id)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	while (*id != '\0')
		h = (h ^ (unsigned char)*id++) * UINT64_C(0x100000001b3);
	return (size_t)(h ^ (h >> 29));
}

static inline int
cs_index_of(const struct cs *s, const char *id)
{
	size_t	h;

	for (h = cs_hash(id) & s->idxmask; s->idx[h] != 0;
	    h = (h + 1) & s->idxmask)
		if (strcmp(s->id[s->idx[h] - 1], id) == 0)
			return (int)s->idx[h] - 1;
	return -1;
}

static inline void
cs_fini(struct cs *s)
{
	while (s->nheap > 0) {
		struct cs_event	e = cs_pop(s);

		if (e.type == CS_DELIVER)
			s->ops->free_msg(e.msg);
	}
	free(s->heap);
	free(s->up);
	free(s->busy);
	free(s->mute_until);
	free(s->group);
	free(s->epoch);
	free(s->id);
	free(s->conn);
	free(s->idx);
	memset(s, 0, sizeof *s);
}

/*
 * A network of n nodes (1..CS_NODES_MAX), all up, no session yet, in
 * sessions mode; release it with cs_fini().
 */
static inline void
cs_init(struct cs *s, int n, uint64_t seed, const struct cs_ops *ops,
    void *arg)
{
	size_t	h, sz;
	int	i;

	if (n < 1 || n > CS_NODES_MAX)
		abort();
	memset(s, 0, sizeof *s);
	s->n = n;
	s->rng = seed * UINT64_C(0x2545f4914f6cdd1d) + 7;
	s->ops = ops;
	s->arg = arg;
	s->delay_min_us = 200;
	s->delay_max_us = 2000;
	s->idle_ms = 1000;
	s->keepalive_ms = 250;
	s->tick_ms = 100;
	s->busy_ms = 800;
	s->up = cs_alloc((size_t)n, sizeof *s->up);
	s->busy = cs_alloc((size_t)n, sizeof *s->busy);
	s->mute_until = cs_alloc((size_t)n, sizeof *s->mute_until);
	s->group = cs_alloc((size_t)n, sizeof *s->group);
	s->epoch = cs_alloc((size_t)n, sizeof *s->epoch);
	s->id = cs_alloc((size_t)n, sizeof *s->id);
	s->conn = cs_alloc(((size_t)n * (size_t)n + 7) / 8, 1);
	for (sz = 4; sz < 2 * (size_t)n; sz *= 2)
		continue;
	s->idx = cs_alloc(sz, sizeof *s->idx);
	s->idxmask = sz - 1;
	for (i = 0; i < n; i++) {
		cs_make_id(i, s->id[i]);
		s->up[i] = true;
		if (cs_index_of(s, s->id[i]) >= 0)
			abort();	/* two nodes with one id */
		for (h = cs_hash(s->id[i]) & s->idxmask; s->idx[h] != 0;
		    h = (h + 1) & s->idxmask)
			continue;
		s->idx[h] = (uint32_t)i + 1;
	}
}

static inline bool
cs_linked(const struct cs *s, int a, int b)
{
	return s->up[a] && s->up[b] && s->group[a] == s->group[b];
}

/* A session between a and b comes up at both ends, 1 ms to max_us on. */
static inline void
cs_dial(struct cs *s, int a, int b, uint64_t max_us)
{
	cs_push(s, s->now + cs_uniform(s, 1000, max_us), CS_CONN_UP, a, b,
	    NULL);
	cs_push(s, s->now + cs_uniform(s, 1000, max_us), CS_CONN_UP, b, a,
	    NULL);
}

/*
 * Boot: ticks start; in sessions mode, sessions to every reachable node
 * come up soon.
 */
static inline void
cs_boot(struct cs *s, int i)
{
	int	j;

	s->up[i] = true;
	s->epoch[i]++;
	cs_push(s, s->now + cs_uniform(s, 0, s->tick_ms * 1000ull), CS_TICK,
	    i, -1, NULL);
	if (s->ondemand)
		return;
	for (j = 0; j < s->n; j++) {
		if (j == i || !cs_linked(s, i, j))
			continue;
		cs_conn_set(s, i, j, false);
		cs_conn_set(s, j, i, false);
		cs_dial(s, i, j, 20000);
	}
}

/* On-demand mode: a session the test opens itself (a join). */
static inline void
cs_connect(struct cs *s, int a, int b)
{
	if (a == b || !cs_linked(s, a, b))
		return;
	cs_conn_set(s, a, b, false);
	cs_conn_set(s, b, a, false);
	cs_dial(s, a, b, 20000);
}

/* Schedules the idle time-out at a of its session to b, if up. */
static inline void
cs_lose(struct cs *s, int a, int b)
{
	uint64_t	at;

	if (!s->up[a] || !cs_conn(s, a, b))
		return;
	at = s->now + (uint64_t)s->idle_ms * 1000 -
	    cs_uniform(s, 0, (uint64_t)s->keepalive_ms * 1000);
	cs_push(s, at, CS_CONN_DOWN, a, b, NULL);
}

static inline void
cs_crash(struct cs *s, int b)
{
	int	a;

	s->up[b] = false;
	s->epoch[b]++;
	for (a = 0; a < s->n; a++)
		if (a != b)
			cs_lose(s, a, b);
	for (a = 0; a < s->n; a++)
		cs_conn_set(s, b, a, false);
}

/* Moves node i to group g and schedules the consequences. */
static inline void
cs_set_group(struct cs *s, int i, int g)
{
	int	j;

	if (s->group[i] == g)
		return;
	for (j = 0; j < s->n; j++) {
		if (j == i)
			continue;
		if (s->group[j] == s->group[i]) {
			cs_lose(s, i, j);
			cs_lose(s, j, i);
		}
	}
	s->group[i] = g;
	if (s->ondemand)
		return;
	for (j = 0; j < s->n; j++)
		if (j != i && cs_linked(s, i, j))
			cs_dial(s, i, j, 10000);
}

/* Node i's messages, both ways, are lost for the next ms milliseconds. */
static inline void
cs_mute(struct cs *s, int i, uint64_t ms)
{
	s->mute_until[i] = s->now + ms * 1000;
}

/* Sends msg (ownership passes to the simulator); false if not sent. */
static inline bool
cs_send(struct cs *s, int from, int to, void *msg)
{
	uint64_t	at;

	s->sent++;
	if ((!s->ondemand && !cs_conn(s, from, to)) ||
	    !cs_linked(s, from, to) || cs_rand(s) % 1000000 < s->loss_ppm ||
	    s->now < s->mute_until[from] || s->now < s->mute_until[to]) {
		s->lost++;
		s->ops->free_msg(msg);
		return false;
	}
	at = s->now + cs_uniform(s, s->delay_min_us, s->delay_max_us);
	if (s->busy[from] || s->busy[to])
		at += cs_uniform(s, 0, (uint64_t)s->busy_ms * 1000);
	cs_push(s, at, CS_DELIVER, to, from, msg);
	return true;
}

static inline void
cs_run_until(struct cs *s, uint64_t t_us)
{
	struct cs_event	e;

	while (s->nheap > 0 && s->heap[0].at <= t_us) {
		e = cs_pop(s);
		s->now = e.at;
		switch (e.type) {
		case CS_TICK:
			if (!s->up[e.node] || e.epoch != s->epoch[e.node])
				break;
			s->ops->tick(s, e.node, s->arg);
			cs_push(s, s->now + (uint64_t)s->tick_ms * 1000,
			    CS_TICK, e.node, -1, NULL);
			break;
		case CS_DELIVER:
			if (cs_linked(s, e.node, e.peer) &&
			    e.epoch == s->epoch[e.node]) {
				s->ops->recv(s, e.node, e.peer, e.msg, s->arg);
			}
			s->ops->free_msg(e.msg);
			break;
		case CS_CONN_UP:
			if (!cs_linked(s, e.node, e.peer) ||
			    e.epoch != s->epoch[e.node] ||
			    cs_conn(s, e.node, e.peer))
				break;
			cs_conn_set(s, e.node, e.peer, true);
			s->ops->conn(s, e.node, e.peer, true, s->arg);
			break;
		case CS_CONN_DOWN:
			if (cs_linked(s, e.node, e.peer) ||
			    !s->up[e.node] || e.epoch != s->epoch[e.node] ||
			    !cs_conn(s, e.node, e.peer))
				break;
			cs_conn_set(s, e.node, e.peer, false);
			s->ops->conn(s, e.node, e.peer, false, s->arg);
			break;
		}
	}
	s->now = t_us;
}

/* Sorting helper for percentiles. */
static inline int
cs_cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline uint64_t
cs_pct(uint64_t *v, size_t n, unsigned pct)
{
	size_t	i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cs_cmp_u64);
	i = (n * pct + 99) / 100;
	return v[i == 0 ? 0 : i - 1];
}

#endif /* CLUSTERSIM_H */
