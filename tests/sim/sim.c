/*
 * sim.c - deterministic network simulator (interface and model in sim.h).
 *
 * Shape: one binary min-heap of events ordered by (time, seq); an event
 * is a message delivery, a node's wake-up or an automatic restart.  A
 * node has at most one live wake-up: each sim_wake() bumps the node's
 * wake generation and stale heap entries are skipped when popped, which
 * is cheaper than deleting from the heap.  Restarts bump an incarnation
 * number so timers of a dead incarnation never fire in the next one.
 * Randomness is xoshiro256** seeded by splitmix64 from the run's seed;
 * nothing here reads a clock or the environment.  Test code: allocation
 * failure aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

enum ev_kind { EV_MSG, EV_WAKE, EV_RESTART };

struct ev {
	uint64_t	 t;
	uint64_t	 seq;
	enum ev_kind	 kind;
	int		 node;
	int		 from;
	uint64_t	 gen;	/* wake generation / incarnation */
	uint8_t		*buf;
	size_t		 len;
};

struct node {
	bool		 up;
	void		*st;
	int		 group;
	uint64_t	 incarnation;
	uint64_t	 wake_gen;
	uint8_t		*disk;
	size_t		 disklen;
	bool		 in_cb;
	bool		 dying;		/* dead at the end of this callback */
	bool		 die_after;	/* sim_die: dead, ops still allowed */
	uint32_t	 restart_ms;	/* for this death */
};

struct sim {
	struct sim_params	 p;
	const struct sim_ops	*ops;
	void			*arg;
	uint64_t		 now;
	uint64_t		 seq;
	uint64_t		 rng[4];
	struct node		*nodes;
	struct sim_link		*links;	/* n*n overrides, NULL if none */
	bool			*has_link;
	struct ev		*heap;
	size_t			 nheap, capheap;
	struct sim_stats	 stats;
};

static void *
xcalloc(size_t n, size_t sz)
{
	void	*p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);

	if (p == NULL) {
		fprintf(stderr, "sim: out of memory\n");
		abort();
	}
	return p;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct sim *s)
{
	uint64_t	*r = s->rng;
	uint64_t	 out = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;

	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return out;
}

uint32_t
sim_rand32(struct sim *s)
{
	return (uint32_t)(rng_next(s) >> 32);
}

uint64_t
sim_rand_below(struct sim *s, uint64_t n)
{
	return n == 0 ? 0 : rng_next(s) % n;
}

static bool
chance_ppm(struct sim *s, uint32_t ppm)
{
	return ppm > 0 && sim_rand_below(s, 1000000) < ppm;
}

/* Heap. */
static bool
ev_less(const struct ev *a, const struct ev *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static void
heap_push(struct sim *s, struct ev *e)
{
	size_t	i;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 1024;
		s->heap = realloc(s->heap, s->capheap * sizeof *s->heap);
		if (s->heap == NULL) {
			fprintf(stderr, "sim: out of memory\n");
			abort();
		}
	}
	e->seq = s->seq++;
	i = s->nheap++;
	while (i > 0) {
		size_t	parent = (i - 1) / 2;

		if (!ev_less(e, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = *e;
}

static struct ev
heap_pop(struct sim *s)
{
	struct ev	top = s->heap[0], last = s->heap[--s->nheap];
	size_t		i = 0;

	for (;;) {
		size_t	c = 2 * i + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && ev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap > 0)
		s->heap[i] = last;
	return top;
}

void
sim_params_default(struct sim_params *p, int nnodes, uint64_t seed)
{
	memset(p, 0, sizeof *p);
	p->nnodes = nnodes;
	p->seed = seed;
	p->start_ms = 1000;
	p->link.delay_min_ms = 1;
	p->link.delay_max_ms = 20;
}

struct sim *
sim_new(const struct sim_params *p, const struct sim_ops *ops, void *arg)
{
	struct sim	*s;
	uint64_t	 x;
	int		 i;

	if (p->nnodes <= 0 || ops == NULL || ops->start == NULL ||
	    ops->recv == NULL || ops->wake == NULL || ops->stop == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->p = *p;
	s->ops = ops;
	s->arg = arg;
	s->now = p->start_ms;
	x = p->seed;
	for (i = 0; i < 4; i++)
		s->rng[i] = splitmix64(&x);
	s->nodes = xcalloc((size_t)p->nnodes, sizeof *s->nodes);
	return s;
}

static void
node_stop(struct sim *s, int i)
{
	struct node	*n = &s->nodes[i];

	if (!n->up)
		return;
	s->ops->stop(s, i, n->st, s->arg);
	n->st = NULL;
	n->up = false;
	n->dying = false;
	n->die_after = false;
	n->incarnation++;
	n->wake_gen++;
	s->stats.crashes++;
}

void
sim_free(struct sim *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->p.nnodes; i++) {
		if (s->nodes[i].up) {
			s->ops->stop(s, i, s->nodes[i].st, s->arg);
			s->nodes[i].up = false;
		}
		free(s->nodes[i].disk);
	}
	while (s->nheap > 0) {
		struct ev	e = heap_pop(s);

		free(e.buf);
	}
	free(s->heap);
	free(s->nodes);
	free(s->links);
	free(s->has_link);
	free(s);
}

static bool
valid(const struct sim *s, int i)
{
	return i >= 0 && i < s->p.nnodes;
}

/* A callback of node i ran: crash it if it died inside, else check. */
static void
after_cb(struct sim *s, int i)
{
	struct node	*n = &s->nodes[i];

	n->in_cb = false;
	if (n->dying || n->die_after) {
		uint32_t	restart = n->die_after ? n->restart_ms :
		    s->p.auto_restart_ms;

		n->die_after = false;
		node_stop(s, i);
		if (restart > 0) {
			struct ev	e;

			memset(&e, 0, sizeof e);
			e.t = s->now + restart;
			e.kind = EV_RESTART;
			e.node = i;
			e.gen = n->incarnation;
			heap_push(s, &e);
		}
		return;
	}
	if (n->up && s->ops->after != NULL)
		s->ops->after(s, i, n->st, s->arg);
}

int
sim_start(struct sim *s, int i)
{
	struct node	*n;
	void		*st;

	if (!valid(s, i) || s->nodes[i].up)
		return -1;
	n = &s->nodes[i];
	n->incarnation++;
	n->wake_gen++;
	n->in_cb = true;
	n->dying = false;
	n->up = true;	/* so sim_persist/sim_wake work inside start */
	st = s->ops->start(s, i, n->disk, n->disklen, s->arg);
	if (st == NULL) {
		n->up = false;
		n->in_cb = false;
		return -1;
	}
	n->st = st;
	after_cb(s, i);
	return 0;
}

void
sim_crash(struct sim *s, int i)
{
	if (valid(s, i))
		node_stop(s, i);
}

void
sim_wipe(struct sim *s, int i)
{
	if (!valid(s, i))
		return;
	free(s->nodes[i].disk);
	s->nodes[i].disk = NULL;
	s->nodes[i].disklen = 0;
}

void
sim_group(struct sim *s, int i, int g)
{
	if (valid(s, i))
		s->nodes[i].group = g;
}

void
sim_heal(struct sim *s)
{
	int	i;

	for (i = 0; i < s->p.nnodes; i++)
		s->nodes[i].group = 0;
}

void
sim_set_loss(struct sim *s, uint32_t ppm)
{
	s->p.link.loss_ppm = ppm;
}

void
sim_set_crash_in_step(struct sim *s, uint32_t ppm)
{
	s->p.crash_in_step_ppm = ppm;
}

int
sim_set_link(struct sim *s, int from, int to, const struct sim_link *l)
{
	size_t	n = (size_t)s->p.nnodes;

	if (!valid(s, from) || !valid(s, to) || l == NULL ||
	    l->delay_min_ms > l->delay_max_ms)
		return -1;
	if (s->links == NULL) {
		s->links = xcalloc(n * n, sizeof *s->links);
		s->has_link = xcalloc(n * n, sizeof *s->has_link);
	}
	s->links[(size_t)from * n + (size_t)to] = *l;
	s->has_link[(size_t)from * n + (size_t)to] = true;
	return 0;
}

static const struct sim_link *
link_of(const struct sim *s, int from, int to)
{
	size_t	k = (size_t)from * (size_t)s->p.nnodes + (size_t)to;

	if (s->links != NULL && s->has_link[k])
		return &s->links[k];
	return &s->p.link;
}

uint64_t
sim_now(const struct sim *s)
{
	return s->now;
}

/* May the calling node do one more thing, or does it die right here? */
static bool
op_allowed(struct sim *s, int i)
{
	struct node	*n = &s->nodes[i];

	if (!n->up || n->dying)
		return false;
	if (n->in_cb && chance_ppm(s, s->p.crash_in_step_ppm)) {
		n->dying = true;
		return false;
	}
	return true;
}

static void
queue_msg(struct sim *s, int from, int to, const void *msg, size_t len,
    uint64_t delay)
{
	struct ev	e;

	memset(&e, 0, sizeof e);
	e.t = s->now + delay;
	e.kind = EV_MSG;
	e.node = to;
	e.from = from;
	e.len = len;
	e.buf = xcalloc(1, len);
	memcpy(e.buf, msg, len);
	heap_push(s, &e);
}

static uint64_t
draw_delay(struct sim *s, const struct sim_link *l)
{
	uint64_t	d = l->delay_min_ms +
	    sim_rand_below(s, (uint64_t)l->delay_max_ms - l->delay_min_ms + 1);

	if (chance_ppm(s, s->p.spike_ppm))
		d += sim_rand_below(s, (uint64_t)s->p.spike_max_ms + 1);
	return d;
}

int
sim_send(struct sim *s, int from, int to, const void *msg, size_t len)
{
	const struct sim_link	*l;

	if (!valid(s, from) || !valid(s, to) || !op_allowed(s, from))
		return -1;
	s->stats.sent++;
	l = link_of(s, from, to);
	if (s->nodes[from].group != s->nodes[to].group ||
	    chance_ppm(s, l->loss_ppm)) {
		s->stats.dropped++;
		return 0;	/* the sender cannot tell */
	}
	queue_msg(s, from, to, msg, len, draw_delay(s, l));
	if (chance_ppm(s, s->p.dup_ppm))
		queue_msg(s, from, to, msg, len, draw_delay(s, l));
	return 0;
}

int
sim_persist(struct sim *s, int i, const void *buf, size_t len)
{
	struct node	*n;
	uint8_t		*copy;

	if (!valid(s, i) || !op_allowed(s, i))
		return -1;
	n = &s->nodes[i];
	copy = xcalloc(1, len);
	memcpy(copy, buf, len);
	free(n->disk);
	n->disk = copy;
	n->disklen = len;
	return 0;
}

void
sim_wake(struct sim *s, int i, uint64_t at)
{
	struct ev	e;
	struct node	*n;

	if (!valid(s, i))
		return;
	n = &s->nodes[i];
	if (!n->up || n->dying)
		return;
	if (at < s->now)
		at = s->now;
	memset(&e, 0, sizeof e);
	e.t = at;
	e.kind = EV_WAKE;
	e.node = i;
	e.gen = ++n->wake_gen;
	heap_push(s, &e);
}

void
sim_die(struct sim *s, int i, uint32_t restart_after_ms)
{
	if (!valid(s, i) || !s->nodes[i].in_cb || s->nodes[i].dying)
		return;
	s->nodes[i].die_after = true;
	s->nodes[i].restart_ms = restart_after_ms;
}

static void
dispatch(struct sim *s, struct ev *e)
{
	struct node	*n = &s->nodes[e->node];

	s->stats.events++;
	switch (e->kind) {
	case EV_MSG:
		if (!n->up || n->group != s->nodes[e->from].group) {
			s->stats.dropped++;
			break;
		}
		s->stats.delivered++;
		n->in_cb = true;
		s->ops->recv(s, e->node, n->st, e->from, e->buf, e->len,
		    s->arg);
		after_cb(s, e->node);
		break;
	case EV_WAKE:
		if (!n->up || e->gen != n->wake_gen)
			break;
		n->in_cb = true;
		s->ops->wake(s, e->node, n->st, s->arg);
		after_cb(s, e->node);
		break;
	case EV_RESTART:
		if (!n->up && e->gen == n->incarnation)
			(void)sim_start(s, e->node);
		break;
	}
}

void
sim_run_until(struct sim *s, uint64_t t)
{
	while (s->nheap > 0 && s->heap[0].t <= t) {
		struct ev	e = heap_pop(s);

		if (e.t > s->now)
			s->now = e.t;
		dispatch(s, &e);
		free(e.buf);
	}
	if (t > s->now)
		s->now = t;
}

int
sim_nnodes(const struct sim *s)
{
	return s->p.nnodes;
}

bool
sim_up(const struct sim *s, int i)
{
	return valid(s, i) && s->nodes[i].up;
}

void *
sim_state(const struct sim *s, int i)
{
	return sim_up(s, i) ? s->nodes[i].st : NULL;
}

int
sim_group_of(const struct sim *s, int i)
{
	return valid(s, i) ? s->nodes[i].group : -1;
}

const void *
sim_disk(const struct sim *s, int i, size_t *len)
{
	if (!valid(s, i)) {
		*len = 0;
		return NULL;
	}
	*len = s->nodes[i].disklen;
	return s->nodes[i].disk;
}

void
sim_stats(const struct sim *s, struct sim_stats *out)
{
	*out = s->stats;
}
