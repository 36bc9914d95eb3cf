/*
 * net_member_probe.c - probe mode of the membership state machine: SWIM's
 * probes, indirect probes through helpers, the relays we run for others,
 * Lifeguard's local health score, and the transmit-limited gossip queue
 * (the model is in net_member.h, "Probe mode").
 *
 * Shape.  One probe of ours is in flight at a time (struct mb_probe);
 * targets come from the ring schedule when TICKs carry the wall clock
 * (the members sorted by id afresh each period: a qsort of pointers, no
 * order to keep up to date as members come and go), else from a shuffled
 * round of the table's slots, with a short list of members to probe out
 * of turn (those somebody suspects) ahead of either.  Relays
 * for others live in a fixed table of relay_max slots.  The gossip queue
 * lives in the table itself - each entry holds the newest claim about its
 * member waiting to be sent and how often it went - so queueing a claim is
 * a lookup, not a search.  Like the rest of the state machine this reads
 * no clock and does no I/O: it sends through mb_send() and learns time
 * from m->now.
 */
#include "net_member_int.h"

#include <stdlib.h>
#include <string.h>

int
mb_probe_alloc(struct net_member *m)
{
	m->round = calloc(m->cap, sizeof *m->round);
	m->ring = calloc(m->cap, sizeof *m->ring);
	m->gpick = calloc(m->cap, sizeof *m->gpick);
	m->relay = calloc(m->cfg.relay_max > 0 ? m->cfg.relay_max : 1,
	    sizeof *m->relay);
	return m->round != NULL && m->ring != NULL && m->gpick != NULL &&
	    m->relay != NULL ?
	    0 : -1;
}

void
mb_probe_free(struct net_member *m)
{
	free(m->round);
	free(m->ring);
	free(m->gpick);
	free(m->relay);
}

/* Our timeouts, stretched while our own health is in doubt. */
static uint64_t
mb_scaled(const struct net_member *m, unsigned ms)
{
	return (uint64_t)ms * (1 + m->awareness);
}

/* Sends a probe message (no claims) of kind to peer. */
void
mb_send_probe(struct net_member *m, const char *peer, uint8_t kind,
    uint64_t seq, const char *target)
{
	mb_out_reset(m, 0);
	m->out.probe = kind;
	m->out.seq = seq;
	if (target != NULL)
		net_idcpy(m->out.target, target);
	mb_send(m, peer);
}

static bool
mb_probeable(const struct mb_entry *e)
{
	return e != NULL && e->used && (e->status == NET_MEMBER_ALIVE ||
	    e->status == NET_MEMBER_SUSPECT);
}

/* A new shuffled round of every member we probe. */
static void
mb_round_new(struct net_member *m)
{
	size_t		i, j, n = 0;
	uint16_t	t;

	for (i = 0; i < m->cap; i++)
		if (mb_probeable(&m->e[i]))
			m->round[n++] = (uint16_t)i;
	for (i = n; i > 1; i--) {
		j = (size_t)(net_splitmix64(&m->rng) % i);
		t = m->round[i - 1];
		m->round[i - 1] = m->round[j];
		m->round[j] = t;
	}
	m->nround = n;
	m->iround = 0;
}

static int
mb_ring_cmp(const void *a, const void *b)
{
	const struct mb_entry	*const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* Our wall clock (ms) when TICKs carry it. */
static uint64_t
mb_wall(const struct net_member *m)
{
	return m->now + m->wall_off;
}

/*
 * The ring schedule's target for this period (net_member.h): of the n
 * probeable members and us, sorted by id, the one s = 1 + k mod n places
 * after us.
 */
static struct mb_entry *
mb_ring_target(struct net_member *m)
{
	size_t	i, n = 0, p = 0, t;

	for (i = 0; i < m->cap; i++)
		if (mb_probeable(&m->e[i])) {
			m->ring[n++] = &m->e[i];
			if (strcmp(m->e[i].id, m->self) < 0)
				p++;	/* our place in the ring */
		}
	if (n == 0)
		return NULL;
	qsort(m->ring, n, sizeof *m->ring, mb_ring_cmp);
	/* k, the wall-clock period we are in */
	t = (p + 1 + (size_t)(mb_wall(m) / m->cfg.probe_ms % n)) % (n + 1);
	/* Places past ours are one further along the ring than in it. */
	return m->ring[t < p ? t : t - 1];
}

/* The next member to probe, or NULL when there is none. */
static struct mb_entry *
mb_next_target(struct net_member *m)
{
	struct mb_entry	*e;
	size_t		 tries;

	while (m->nprio > 0) {
		e = mb_find(m, m->prio[0]);
		m->nprio--;
		memmove(m->prio[0], m->prio[1], m->nprio * sizeof m->prio[0]);
		if (mb_probeable(e))
			return e;
	}
	if (m->has_wall)
		return mb_ring_target(m);
	for (tries = 0; tries < 2; tries++) {
		while (m->iround < m->nround) {
			e = &m->e[m->round[m->iround++]];
			if (mb_probeable(e))
				return e;
		}
		mb_round_new(m);
	}
	return NULL;
}

void
mb_probe_soon(struct net_member *m, const struct mb_entry *e)
{
	size_t	i;

	if (m->probe.active && strcmp(m->probe.target, e->id) == 0)
		return;
	for (i = 0; i < m->nprio; i++)
		if (strcmp(m->prio[i], e->id) == 0)
			return;
	if (m->nprio == MB_PRIO_MAX)
		return;
	net_idcpy(m->prio[m->nprio++], e->id);
	/* Out of turn: the next tick starts it. */
	if (!m->probe.active)
		m->next_probe = m->now;
}

static void
mb_probe_start(struct net_member *m, struct mb_entry *e)
{
	memset(&m->probe, 0, sizeof m->probe);
	m->probe.active = true;
	net_idcpy(m->probe.target, e->id);
	m->probe.seq = ++m->seq;
	m->probe.start = m->now;
	m->stats.probes++;
	mb_send_probe(m, e->id, NET_MEMBER_PROBE_PING, m->probe.seq, NULL);
}

static void
mb_probe_done(struct net_member *m)
{
	m->probe.active = false;
	if (m->awareness > 0)
		m->awareness--;
}

/*
 * Any message from the member we probe answers the probe.  If we hold it
 * SUSPECT, it is alive but may not know it is suspected (the suspicion
 * reached it through nobody): tell it, so that it refutes.
 */
void
mb_probe_heard(struct net_member *m, struct mb_entry *e)
{
	if (!m->probe.active || strcmp(m->probe.target, e->id) != 0)
		return;
	mb_probe_done(m);
	if (e->status == NET_MEMBER_SUSPECT)
		mb_probe_notify(m, e, false);
}

static void
mb_probe_indirect(struct net_member *m)
{
	size_t	k, i;

	m->probe.indirect = true;
	k = mb_choose(m, m->cfg.indirect, m->probe.target, NULL);
	if (k > 0)
		m->stats.probes_indirect++;
	for (i = 0; i < k; i++)
		net_idcpy(m->probe.helpers[i], m->e[m->pick[i]].id);
	m->probe.nhelpers = (unsigned)k;
	for (i = 0; i < k; i++)
		mb_send_probe(m, m->probe.helpers[i], NET_MEMBER_PROBE_REQ,
		    m->probe.seq, m->probe.target);
}

/*
 * The period ended without an answer: the target is unreachable to us,
 * and every helper that NACKed tried too (a confirmation once the
 * suspicion is out).  No NACK from helpers we asked: perhaps it is us.
 */
static void
mb_probe_failed(struct net_member *m)
{
	struct mb_entry	*e;
	unsigned	 i;

	m->probe.active = false;
	m->stats.probes_failed++;
	if (m->probe.nhelpers > 0 && m->probe.nnack == 0 &&
	    m->awareness < m->cfg.awareness_max)
		m->awareness++;
	if ((e = mb_find(m, m->probe.target)) == NULL)
		return;
	e->probe_failed = true;
	if (e->status != NET_MEMBER_SUSPECT && e->status != NET_MEMBER_ALIVE)
		return;
	for (i = 0; i < m->probe.nhelpers; i++)
		if (m->probe.nacked[i])
			mb_add_confirm(m, e, m->probe.helpers[i]);
}

static void
mb_relay_tick(struct net_member *m)
{
	struct mb_relay	*r;
	unsigned	 i;

	for (i = 0; i < m->cfg.relay_max; i++) {
		r = &m->relay[i];
		if (!r->used || m->now < r->deadline)
			continue;
		r->used = false;
		mb_send_probe(m, r->requester, NET_MEMBER_PROBE_NACK,
		    r->req_seq, r->target);
	}
}

/*
 * Every reconnect_ms: one random DEAD member gets its DEAD claim and our
 * own claim, and is asked for its table (F_REPLY).  Alive behind a healed
 * partition, it refutes and both sides learn each other's view.
 */
static void
mb_reconnect_tick(struct net_member *m)
{
	struct mb_entry	*e;
	size_t		 i, n = 0, k;

	if (m->now < m->next_reconnect)
		return;
	m->next_reconnect = m->now + m->cfg.reconnect_ms * 3 / 4 +
	    net_splitmix64(&m->rng) % (m->cfg.reconnect_ms / 2 + 1);
	for (i = 0; i < m->cap; i++)
		if (m->e[i].used && m->e[i].status == NET_MEMBER_DEAD)
			n++;
	if (n == 0)
		return;
	k = (size_t)(net_splitmix64(&m->rng) % n);
	for (i = 0; i < m->cap; i++) {
		e = &m->e[i];
		if (!e->used || e->status != NET_MEMBER_DEAD || k-- > 0)
			continue;
		mb_out_reset(m, NET_MEMBER_F_REPLY);
		mb_claim_self(m, &m->out.claims[0]);
		mb_claim_set(&m->out.claims[1], e->id, NET_MEMBER_DEAD, e->inc,
		    m->self);
		m->out.nclaims = 2;
		mb_send(m, e->id);
		return;
	}
}

void
mb_probe_tick(struct net_member *m)
{
	struct mb_entry	*e;

	mb_relay_tick(m);
	mb_reconnect_tick(m);
	if (m->probe.active) {
		if (!m->probe.indirect && m->now >= m->probe.start +
		    mb_scaled(m, m->cfg.probe_timeout_ms))
			mb_probe_indirect(m);
		if (m->now >= m->probe.start + mb_scaled(m, m->cfg.probe_ms))
			mb_probe_failed(m);
	}
	if (!m->probe.active && m->now >= m->next_probe &&
	    (e = mb_next_target(m)) != NULL) {
		mb_probe_start(m, e);
		m->next_probe = m->now + mb_scaled(m, m->cfg.probe_ms);
		/* Ring schedule: the next turn starts with a period. */
		if (m->has_wall)
			m->next_probe -= mb_wall(m) % m->cfg.probe_ms;
	}
	if (m->gq_len > 0 && m->now >= m->next_gossip)
		mb_gossip_round(m, false);
}

/* A PING-REQ: ping target for the requester, within the bounds. */
static void
mb_relay_start(struct net_member *m, const char *peer,
    const struct net_member_msg *msg)
{
	struct mb_relay	*r, *slot = NULL;
	unsigned	 i, mine = 0;

	if (strcmp(msg->target, m->self) == 0 ||
	    strcmp(msg->target, peer) == 0 || mb_find(m, msg->target) == NULL) {
		m->stats.relays_refused++;
		return;
	}
	for (i = 0; i < m->cfg.relay_max; i++) {
		r = &m->relay[i];
		if (!r->used) {
			if (slot == NULL)
				slot = r;
		} else if (strcmp(r->requester, peer) == 0)
			mine++;
	}
	if (slot == NULL || mine >= NET_MEMBER_RELAY_PER_PEER) {
		m->stats.relays_refused++;
		return;
	}
	memset(slot, 0, sizeof *slot);
	slot->used = true;
	net_idcpy(slot->requester, peer);
	net_idcpy(slot->target, msg->target);
	slot->req_seq = msg->seq;
	slot->our_seq = ++m->seq;
	slot->deadline = m->now + m->cfg.probe_timeout_ms;
	m->stats.relays++;
	mb_send_probe(m, slot->target, NET_MEMBER_PROBE_PING, slot->our_seq,
	    NULL);
}

/* A plain ACK from peer: for a relay of ours?  Returns 1 if it was. */
static int
mb_relay_ack(struct net_member *m, const char *peer, uint64_t seq)
{
	struct mb_relay	*r;
	unsigned	 i;

	for (i = 0; i < m->cfg.relay_max; i++) {
		r = &m->relay[i];
		if (!r->used || r->our_seq != seq ||
		    strcmp(r->target, peer) != 0)
			continue;
		r->used = false;
		mb_send_probe(m, r->requester, NET_MEMBER_PROBE_ACK,
		    r->req_seq, r->target);
		return 1;
	}
	return 0;
}

/* Index of peer among the helpers of our probe of target seq, or -1. */
static int
mb_helper(const struct net_member *m, const char *peer, uint64_t seq,
    const char *target)
{
	unsigned	i;

	if (!m->probe.active || m->probe.seq != seq ||
	    strcmp(m->probe.target, target) != 0)
		return -1;
	for (i = 0; i < m->probe.nhelpers; i++)
		if (strcmp(m->probe.helpers[i], peer) == 0)
			return (int)i;
	return -1;
}

void
mb_probe_recv(struct net_member *m, const char *peer,
    const struct net_member_msg *msg)
{
	struct mb_entry	*e;
	int		 h;

	switch (msg->probe) {
	case NET_MEMBER_PROBE_PING:
		mb_send_probe(m, peer, NET_MEMBER_PROBE_ACK, msg->seq, NULL);
		break;
	case NET_MEMBER_PROBE_REQ:
		mb_relay_start(m, peer, msg);
		break;
	case NET_MEMBER_PROBE_ACK:
		if (msg->target[0] == '\0') {
			/* From the member itself (its message is heard). */
			if (!mb_relay_ack(m, peer, msg->seq) &&
			    !(m->probe.seq == msg->seq &&
			    strcmp(m->probe.target, peer) == 0))
				m->stats.acks_refused++;
			break;
		}
		if (mb_helper(m, peer, msg->seq, msg->target) < 0) {
			m->stats.acks_refused++;
			break;
		}
		/* A helper we asked reached it: evidence. */
		if ((e = mb_find(m, msg->target)) != NULL)
			mb_heard(m, e);
		else
			mb_probe_done(m);
		break;
	case NET_MEMBER_PROBE_NACK:
		h = mb_helper(m, peer, msg->seq, msg->target);
		if (h < 0 || m->probe.nacked[h]) {
			m->stats.acks_refused++;
			break;
		}
		m->probe.nacked[h] = true;
		m->probe.nnack++;
		break;
	default:
		break;
	}
}

/*
 * Our own SUSPECT goes straight to the suspect (so that it refutes
 * now, not when gossip reaches it) and, with confirm, to those whose
 * suspicion we confirm (so that they count us now).
 */
void
mb_probe_notify(struct net_member *m, const struct mb_entry *e, bool confirm)
{
	unsigned	i;

	mb_out_reset(m, 0);
	mb_claim_set(&m->out.claims[0], e->id, NET_MEMBER_SUSPECT, e->inc,
	    m->self);
	m->out.nclaims = 1;
	mb_send(m, e->id);
	for (i = 0; confirm && i < e->nconfirm; i++)
		mb_send(m, e->confirm[i]);
}

/* ---- the transmit-limited gossip queue ---- */

void
mb_gossip_put(struct net_member *m, const struct net_member_claim *c)
{
	struct mb_entry	*e;

	if (strcmp(c->subject, m->self) == 0) {
		if (!m->self_gq)
			m->gq_len++;
		m->self_gq = true;
		m->self_gq_sent = 0;
	} else {
		if ((e = mb_find(m, c->subject)) == NULL)
			return;
		if (!e->gq_queued)
			m->gq_len++;
		e->gq_queued = true;
		e->gq_sent = 0;
		e->gq = *c;
	}
	m->gossip_now = true;
}

/* Sends a claim gets: retransmit_mult * ceil(log10(n + 1)), n >= 1. */
static unsigned
mb_gossip_limit(const struct net_member *m)
{
	size_t		n = net_member_count(m, NULL) + 1, p;
	unsigned	d = 0;

	for (p = 1; p < n; p *= 10)
		d++;
	return m->cfg.retransmit_mult * (d > 0 ? d : 1);
}

static unsigned
mb_gq_sent(const struct net_member *m, uint16_t slot)
{
	return slot == UINT16_MAX ? m->self_gq_sent : m->e[slot].gq_sent;
}

/*
 * Collects up to MB_GOSSIP_CLAIMS queued claims, least sent first, into
 * m->gpick (UINT16_MAX stands for our own claim); returns how many.
 * fresh: only claims not sent yet.
 */
static size_t
mb_gossip_pick(struct net_member *m, bool fresh)
{
	size_t		i, n = 0, j;
	uint16_t	cand;

	for (i = 0; i <= m->cap; i++) {
		if (i == m->cap) {
			if (!m->self_gq)
				continue;
			cand = UINT16_MAX;
		} else if (m->e[i].used && m->e[i].gq_queued)
			cand = (uint16_t)i;
		else
			continue;
		if (fresh && mb_gq_sent(m, cand) > 0)
			continue;
		/* Insertion into the sorted first MB_GOSSIP_CLAIMS. */
		if (n == MB_GOSSIP_CLAIMS && mb_gq_sent(m, cand) >=
		    mb_gq_sent(m, m->gpick[n - 1]))
			continue;
		j = n < MB_GOSSIP_CLAIMS ? n++ : n - 1;
		while (j > 0 && mb_gq_sent(m, m->gpick[j - 1]) >
		    mb_gq_sent(m, cand)) {
			m->gpick[j] = m->gpick[j - 1];
			j--;
		}
		m->gpick[j] = cand;
	}
	return n;
}

/*
 * One gossip message to fanout random members.  The periodic round (every
 * gossip_ms) sends the least-sent claims; the one at the end of a step
 * that queued something (fresh) only what is new, at once, so that a
 * burst of messages does not spend a claim's sends in a few milliseconds,
 * to the few members a joining node knows so far.
 */
void
mb_gossip_round(struct net_member *m, bool fresh)
{
	struct mb_entry	*e;
	size_t		 n, k, i;
	unsigned	 limit;

	m->gossip_now = false;
	if (!fresh)
		m->next_gossip = m->now + m->cfg.gossip_ms;
	if (m->gq_len == 0)
		return;
	limit = mb_gossip_limit(m);
	if ((n = mb_gossip_pick(m, fresh)) == 0)
		return;
	k = mb_choose(m, m->cfg.fanout, NULL, NULL);
	if (k == 0)
		return;		/* nobody to tell: keep them queued */
	mb_out_reset(m, 0);
	for (i = 0; i < n; i++) {
		if (m->gpick[i] == UINT16_MAX) {
			mb_claim_self(m, &m->out.claims[i]);
			if (++m->self_gq_sent >= limit) {
				m->self_gq = false;
				m->gq_len--;
			}
			continue;
		}
		e = &m->e[m->gpick[i]];
		m->out.claims[i] = e->gq;
		if (++e->gq_sent >= limit) {
			e->gq_queued = false;
			m->gq_len--;
		}
	}
	m->out.nclaims = n;
	for (i = 0; i < k; i++) {
		m->stats.gossip_msgs++;
		mb_send(m, m->e[m->pick[i]].id);
	}
}
