/*
 * clustersim.h - a small deterministic discrete-event network for the
 * membership and gossip simulation tests (test_member_sim.c,
 * test_gossip_sim.c).
 *
 * Why a separate one: the protocol simulator in tests/sim/ carries bytes
 * between nodes but has no notion of a transport session, and the
 * failure detector's whole point is how it combines session state
 * (QUIC up / idle-timed-out) with message silence.  This one models just
 * that, cheaply enough for hundreds of seeded runs of 64 nodes:
 *
 *  - time in microseconds; one heap of events ordered by (time, seq);
 *  - a session a->b is up or down at a; when b crashes or a partition
 *    separates them it goes down at a after the QUIC idle timeout counted
 *    from b's last keep-alive (idle_ms - uniform[0, keepalive_ms]); when
 *    both are up and in one group again it comes back after a redial of a
 *    few ms;
 *  - a message goes only over an up session, is lost with loss_ppm, and
 *    arrives after uniform [delay_min_us, delay_max_us], plus uniform
 *    [0, busy_ms] if either end is "busy" (an overloaded node whose
 *    application is slow but whose QUIC stack keeps its sessions up);
 *  - every node ticks every tick_ms.
 *
 * It is header-only with static functions because two test programs use
 * it and tests/CMakeLists.txt builds each test_*.c on its own.  The
 * protocol is plugged in through struct cs_ops; messages are opaque
 * copies the callbacks own.
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

#define CS_MAX_NODES	64

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
	uint32_t	 delay_min_us, delay_max_us, loss_ppm;
	uint32_t	 idle_ms, keepalive_ms, tick_ms, busy_ms;
	bool		 up[CS_MAX_NODES];
	bool		 busy[CS_MAX_NODES];
	int		 group[CS_MAX_NODES];
	uint64_t	 epoch[CS_MAX_NODES];
	bool		 conn[CS_MAX_NODES][CS_MAX_NODES];	/* at a, to b */
	char		 id[CS_MAX_NODES][SEC_NODE_ID_SIZE];
	uint64_t	 sent, lost;
};

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

/* Node ids: base32 of 16 bytes derived from the index, like real ones. */
static inline void
cs_make_id(int i, char *out)
{
	unsigned char	b[16];
	int		k;

	for (k = 0; k < 16; k++)
		b[k] = (unsigned char)(i * 37 + k * 11 + (i >> 3) * k);
	b[0] = (unsigned char)i;
	if (sec_b32_encode(b, sizeof b, out, SEC_NODE_ID_SIZE) < 0)
		abort();
}

static inline int
cs_index_of(const struct cs *s, const char *id)
{
	int	i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->id[i], id) == 0)
			return i;
	return -1;
}

static inline void
cs_init(struct cs *s, int n, uint64_t seed, const struct cs_ops *ops,
    void *arg)
{
	int	i;

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
	for (i = 0; i < n; i++) {
		cs_make_id(i, s->id[i]);
		s->up[i] = true;
	}
}

static inline bool
cs_linked(const struct cs *s, int a, int b)
{
	return s->up[a] && s->up[b] && s->group[a] == s->group[b];
}

/* Boot: ticks start, sessions to every reachable node come up soon. */
static inline void
cs_boot(struct cs *s, int i)
{
	int	j;

	s->up[i] = true;
	s->epoch[i]++;
	cs_push(s, s->now + cs_uniform(s, 0, s->tick_ms * 1000ull), CS_TICK,
	    i, -1, NULL);
	for (j = 0; j < s->n; j++) {
		if (j == i || !cs_linked(s, i, j))
			continue;
		s->conn[i][j] = s->conn[j][i] = false;
		cs_push(s, s->now + cs_uniform(s, 1000, 20000), CS_CONN_UP,
		    i, j, NULL);
		cs_push(s, s->now + cs_uniform(s, 1000, 20000), CS_CONN_UP,
		    j, i, NULL);
	}
}

/* Schedules the idle time-outs at everyone who can no longer reach b. */
static inline void
cs_lose(struct cs *s, int a, int b)
{
	uint64_t	at;

	if (!s->up[a] || !s->conn[a][b])
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
		s->conn[b][a] = false;
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
	for (j = 0; j < s->n; j++) {
		if (j == i || !cs_linked(s, i, j))
			continue;
		cs_push(s, s->now + cs_uniform(s, 1000, 10000), CS_CONN_UP,
		    i, j, NULL);
		cs_push(s, s->now + cs_uniform(s, 1000, 10000), CS_CONN_UP,
		    j, i, NULL);
	}
}

/* Sends msg (ownership passes to the simulator); false if not sent. */
static inline bool
cs_send(struct cs *s, int from, int to, void *msg)
{
	uint64_t	at;

	s->sent++;
	if (!s->conn[from][to] || !cs_linked(s, from, to) ||
	    cs_rand(s) % 1000000 < s->loss_ppm) {
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
			    s->conn[e.node][e.peer])
				break;
			s->conn[e.node][e.peer] = true;
			s->ops->conn(s, e.node, e.peer, true, s->arg);
			break;
		case CS_CONN_DOWN:
			if (cs_linked(s, e.node, e.peer) ||
			    !s->up[e.node] || e.epoch != s->epoch[e.node] ||
			    !s->conn[e.node][e.peer])
				break;
			s->conn[e.node][e.peer] = false;
			s->ops->conn(s, e.node, e.peer, false, s->arg);
			break;
		}
	}
	s->now = t_us;
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
	s->heap = NULL;
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
