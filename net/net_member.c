/*
 * net_member.c - the membership / failure-detector state machine; the
 * model, the precedence of claims and the timing are in net_member.h.
 *
 * Shape.  One table of members (a fixed array sized by max_members, with
 * an open-addressing index by node id so a 1024-claim sync costs 1024
 * probes, not a million string compares).  net_member_step() dispatches
 * on the event; every path that changes the view goes through
 * mb_apply(), which implements the precedence rule once.  Messages are
 * not sent as they arise: claims we originate, claims we forward and
 * corrections for a stale sender are collected in three pending lists and
 * flushed at the end of the step (or when a list fills), so one step
 * sends at most one message per destination and list.  The emit callback
 * receives pointers into the state's scratch message; nothing is
 * allocated after net_member_new().  Probe mode's own parts (probes,
 * relays, the gossip queue) are in net_member_probe.c; the claims logic
 * here asks mb_unreachable() and hands what it would broadcast to the
 * gossip queue instead.
 */
#include "net_member_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum mb_result {
	MB_ADOPTED,	/* view changed */
	MB_SAME,	/* same claim we hold */
	MB_STALE,	/* we hold a newer one */
	MB_REFUSED	/* not taken (reachable, far future, unknown, full) */
};

void
net_member_config_default(struct net_member_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_members = NET_MEMBER_MAX;
	cfg->suspect_ms = 1000;
	cfg->hung_ms = 0;	/* off: the transport's idle timeout decides */
	cfg->dead_ms = 1500;
	cfg->confirmations = 3;
	cfg->join_grace_ms = 3000;
	cfg->sync_ms = 1000;
	cfg->fanout = 3;
	cfg->reap_ms = 30000;
	cfg->backoff_max_ms = 30000;
	cfg->seed = 1;
}

void
net_member_config_probe(struct net_member_config *cfg)
{
	net_member_config_default(cfg);
	cfg->probe_ms = 500;
	cfg->probe_timeout_ms = 200;
	cfg->indirect = 3;
	cfg->dead_ms = 1200;
	cfg->dead_max_ms = 4000;
	cfg->gossip_ms = 100;
	cfg->retransmit_mult = 3;
	cfg->awareness_max = 8;
	cfg->relay_max = NET_MEMBER_RELAY_MAX;
	cfg->sync_ms = 30000;
	cfg->reconnect_ms = 10000;
	cfg->reap_dead_ms = 3600000;
}

const char *
net_member_status_name(enum net_member_status s)
{
	switch (s) {
	case NET_MEMBER_NONE:
		return "none";
	case NET_MEMBER_ALIVE:
		return "alive";
	case NET_MEMBER_SUSPECT:
		return "suspect";
	case NET_MEMBER_DEAD:
		return "dead";
	case NET_MEMBER_LEFT:
		return "left";
	}
	return "invalid";
}

/* ---- small helpers ---- */

static const char *
mb_id_of(const void *arg, size_t slot)
{
	const struct net_member	*m = arg;

	return m->e[slot].used ? m->e[slot].id : NULL;
}

struct mb_entry *
mb_find(const struct net_member *m, const char *id)
{
	size_t	slot;

	slot = net_idtab_find(&m->idx, id, mb_id_of, m);
	return slot != NET_IDTAB_NONE ? &m->e[slot] : NULL;
}

static void
mb_index_rebuild(struct net_member *m)
{
	net_idtab_rebuild(&m->idx, m->cap, mb_id_of, m);
}

static struct mb_entry *
mb_add(struct net_member *m, const char *id)
{
	size_t		 i;
	struct mb_entry	*e;

	for (i = 0; i < m->cap && m->e[i].used; i++)
		continue;
	if (i == m->cap)
		return NULL;
	e = &m->e[i];
	memset(e, 0, sizeof *e);
	e->used = true;
	net_idcpy(e->id, id);
	e->last_rx = m->now;
	e->grace_until = m->now;
	e->changed_at = m->now;
	net_idtab_put(&m->idx, e->id, i);
	/*
	 * Probe mode: while the table grows (a cluster forming, members
	 * joining), push-pull within a tenth of sync_ms; gossip alone,
	 * sent to the few members a new node knows, misses some.
	 */
	if (mb_probe_mode(m) && m->started &&
	    m->next_sync > m->now + m->cfg.sync_ms / 10)
		m->next_sync = m->now + m->cfg.sync_ms / 10;
	return e;
}

static int
mb_rank(uint8_t status)
{
	return status;	/* ALIVE 1 < SUSPECT 2 < DEAD 3 < LEFT 4 */
}

/* Is claim (inc, status) newer than what e holds? */
static int
mb_newer(uint64_t inc, uint8_t status, uint64_t einc, uint8_t estatus)
{
	if (inc != einc)
		return inc > einc;
	return mb_rank(status) > mb_rank(estatus);
}

/* Unreachable to us: see the header. */
int
mb_unreachable(const struct net_member *m, const struct mb_entry *e)
{
	if (mb_probe_mode(m))
		return e->probe_failed;
	if (e->conn_up)
		return m->cfg.hung_ms > 0 &&
		    m->now >= e->last_rx + m->cfg.hung_ms;
	return m->now >= e->last_rx + m->cfg.suspect_ms;
}

static void
mb_report(struct net_member *m, const char *id, uint8_t from, uint8_t to,
    uint64_t inc)
{
	struct net_member_action	a;

	if (from == to)
		return;
	memset(&a, 0, sizeof a);
	a.type = NET_MEMBER_ACT_CHANGED;
	a.peer = id;
	a.from = (enum net_member_status)from;
	a.to = (enum net_member_status)to;
	a.incarnation = inc;
	m->emit(m->emit_arg, &a);
}

/* Empties the scratch message: flags, no probe, no claims. */
void
mb_out_reset(struct net_member *m, unsigned flags)
{
	m->out.flags = flags;
	m->out.probe = NET_MEMBER_PROBE_NONE;
	m->out.seq = 0;
	m->out.target[0] = '\0';
	m->out.nclaims = 0;
}

void
mb_send(struct net_member *m, const char *peer)
{
	struct net_member_action	a;

	memset(&a, 0, sizeof a);
	a.type = NET_MEMBER_ACT_SEND;
	a.peer = peer;
	a.msg = &m->out;
	m->stats.msgs_out++;
	m->emit(m->emit_arg, &a);
}

/*
 * Probe mode: a member new to us (one that joined through us) is announced
 * at once to every member we hold a session with, besides the gossip
 * queue, which reaches the others.  The queue's random picks mostly have
 * no session, and at start-up a pick whose record (its address) has not
 * arrived yet cannot even be dialled: the message is lost.  The member a
 * young cluster joined through holds a session with nearly everyone, so
 * a joiner is known cluster-wide in one hop.  One message per session,
 * per member new to us.
 */
static void
mb_announce(struct net_member *m, const struct mb_entry *j)
{
	size_t	i;

	mb_out_reset(m, 0);
	mb_claim_set(&m->out.claims[0], j->id, NET_MEMBER_ALIVE, j->inc,
	    j->id);
	m->out.nclaims = 1;
	for (i = 0; i < m->cap; i++)
		if (m->e[i].used && m->e[i].conn_up && &m->e[i] != j &&
		    m->e[i].status == NET_MEMBER_ALIVE)
			mb_send(m, m->e[i].id);
}

/*
 * Chooses up to k members other than ex1 and ex2 into m->pick: connected
 * ones, or in probe mode ALIVE ones we did not fail to probe; returns how
 * many.
 */
static bool
mb_choosable(const struct net_member *m, const struct mb_entry *e)
{
	if (!e->used)
		return false;
	if (mb_probe_mode(m))
		return e->status == NET_MEMBER_ALIVE && !e->probe_failed;
	return e->conn_up;
}

size_t
mb_choose(struct net_member *m, size_t k, const char *ex1, const char *ex2)
{
	size_t		i, n = 0, j;
	uint16_t	t;

	for (i = 0; i < m->cap; i++)
		if (mb_choosable(m, &m->e[i]) &&
		    (ex1 == NULL || strcmp(m->e[i].id, ex1) != 0) &&
		    (ex2 == NULL || strcmp(m->e[i].id, ex2) != 0))
			m->pick[n++] = (uint16_t)i;
	if (k > n)
		k = n;
	for (i = 0; i < k; i++) {
		j = i + (size_t)(net_splitmix64(&m->rng) % (n - i));
		t = m->pick[i];
		m->pick[i] = m->pick[j];
		m->pick[j] = t;
	}
	return k;
}

static void
mb_flush_list(struct net_member *m, struct mb_pending *p, int which)
{
	size_t	i, k;

	if (p->n == 0)
		return;
	if (mb_probe_mode(m) && which != 2) {
		/* Broadcasts and forwards: the transmit-limited queue. */
		for (i = 0; i < p->n; i++)
			mb_gossip_put(m, &p->c[i]);
		p->n = 0;
		return;
	}
	mb_out_reset(m, 0);
	m->out.nclaims = p->n;
	memcpy(m->out.claims, p->c, p->n * sizeof *p->c);
	p->n = 0;
	switch (which) {
	case 0:		/* broadcast */
		for (i = 0; i < m->cap; i++)
			if (m->e[i].used && m->e[i].conn_up)
				mb_send(m, m->e[i].id);
		break;
	case 1:		/* forward */
		k = mb_choose(m, m->cfg.fanout, m->sender, NULL);
		for (i = 0; i < k; i++)
			mb_send(m, m->e[m->pick[i]].id);
		break;
	default:	/* reply */
		if (m->sender != NULL)
			mb_send(m, m->sender);
		break;
	}
}

static void
mb_flush(struct net_member *m)
{
	mb_flush_list(m, &m->bcast, 0);
	mb_flush_list(m, &m->fwd, 1);
	mb_flush_list(m, &m->reply, 2);
}

void
mb_claim_set(struct net_member_claim *c, const char *subject, uint8_t status,
    uint64_t inc, const char *from)
{
	memset(c, 0, sizeof *c);
	net_idcpy(c->subject, subject);
	net_idcpy(c->from, from);
	c->status = status;
	c->incarnation = inc;
}

/*
 * Our view of e as a claim (syncs and corrections).  from names whose
 * suspicion a SUSPECT is (ours if we share it), and us for a DEAD.
 */
static void
mb_claim_of(const struct net_member *m, const struct mb_entry *e,
    struct net_member_claim *c)
{
	const char	*from = e->id;

	if (e->status == NET_MEMBER_SUSPECT)
		from = e->we_suspect || e->nconfirm == 0 ? m->self :
		    e->confirm[0];
	else if (e->status == NET_MEMBER_DEAD)
		from = m->self;
	mb_claim_set(c, e->id, e->status, e->inc, from);
}

void
mb_claim_self(const struct net_member *m, struct net_member_claim *c)
{
	mb_claim_set(c, m->self, m->left ? NET_MEMBER_LEFT : NET_MEMBER_ALIVE,
	    m->self_inc, m->self);
}

static void
mb_queue(struct net_member *m, struct mb_pending *p, int which,
    const char *subject, uint8_t status, uint64_t inc, const char *from)
{
	if (p->n == NET_MEMBER_MSG_CLAIMS)
		mb_flush_list(m, p, which);
	mb_claim_set(&p->c[p->n++], subject, status, inc, from);
}

static void
mb_queue_entry(struct net_member *m, struct mb_pending *p, int which,
    const struct mb_entry *e)
{
	if (p->n == NET_MEMBER_MSG_CLAIMS)
		mb_flush_list(m, p, which);
	mb_claim_of(m, e, &p->c[p->n++]);
}

static void
mb_queue_self(struct net_member *m, struct mb_pending *p, int which)
{
	if (p->n == NET_MEMBER_MSG_CLAIMS)
		mb_flush_list(m, p, which);
	mb_claim_self(m, &p->c[p->n++]);
}

/*
 * Sends our whole table and our own claim to peer, in as many messages
 * as it takes; only the first asks for a reply.
 */
static void
mb_sync_to(struct net_member *m, const char *peer, unsigned flags)
{
	size_t	i;

	mb_out_reset(m, flags);
	mb_claim_self(m, &m->out.claims[0]);
	m->out.nclaims = 1;
	for (i = 0; i < m->cap; i++) {
		if (!m->e[i].used)
			continue;
		if (m->out.nclaims == NET_MEMBER_MSG_CLAIMS) {
			mb_send(m, peer);
			mb_out_reset(m, flags & ~(unsigned)NET_MEMBER_F_REPLY);
		}
		mb_claim_of(m, &m->e[i], &m->out.claims[m->out.nclaims++]);
	}
	if (m->out.nclaims > 0)
		mb_send(m, peer);
}

void
mb_add_confirm(struct net_member *m, struct mb_entry *e, const char *from)
{
	unsigned	i;

	if (strcmp(from, m->self) == 0 || strcmp(from, e->id) == 0)
		return;
	for (i = 0; i < e->nconfirm; i++)
		if (strcmp(e->confirm[i], from) == 0)
			return;
	if (e->nconfirm == NET_MEMBER_CONFIRM_MAX)
		return;
	net_idcpy(e->confirm[e->nconfirm], from);
	e->nconfirm++;
}

/* Sets e's status and incarnation, keeping the bookkeeping straight. */
static void
mb_set(struct net_member *m, struct mb_entry *e, uint8_t status,
    uint64_t inc)
{
	uint8_t	old = e->status;

	if (inc != e->inc || status != e->status) {
		if (inc != e->inc || status != NET_MEMBER_SUSPECT) {
			e->nconfirm = 0;
		}
		if (inc != e->inc && e->we_suspect && mb_unreachable(m, e)) {
			/* Our suspicion was refuted: back off. */
			e->backoff_ms = e->backoff_ms == 0 ?
			    m->cfg.suspect_ms : e->backoff_ms * 2;
			if (e->backoff_ms > m->cfg.backoff_max_ms)
				e->backoff_ms = m->cfg.backoff_max_ms;
			e->grace_until = m->now + e->backoff_ms;
		}
		if (inc != e->inc || status == NET_MEMBER_ALIVE)
			e->we_suspect = false;
		e->changed_at = m->now;
	}
	e->status = status;
	e->inc = inc;
	mb_report(m, e->id, old, status, inc);
}

/* Somebody said something about us. */
static enum mb_result
mb_apply_self(struct net_member *m, const struct net_member_claim *c)
{
	if (c->incarnation > m->self_inc &&
	    c->incarnation - m->self_inc > NET_MEMBER_INC_JUMP_MAX)
		return MB_REFUSED;
	if (m->left)
		return c->incarnation < m->self_inc ? MB_STALE : MB_SAME;
	if (c->status == NET_MEMBER_ALIVE) {
		if (c->incarnation <= m->self_inc)
			return c->incarnation < m->self_inc ? MB_STALE :
			    MB_SAME;
	} else if (c->incarnation < m->self_inc)
		return MB_STALE;
	/* A suspicion, death or leave at or above us, or an older life. */
	m->self_inc = c->incarnation + 1;
	m->stats.refutations++;
	mb_queue_self(m, &m->bcast, 0);
	if (mb_probe_mode(m)) {
		/* The accuser learns at once; being accused: health. */
		if (m->sender != NULL)
			mb_queue_self(m, &m->reply, 2);
		if (m->awareness < m->cfg.awareness_max)
			m->awareness++;
	}
	return MB_ADOPTED;
}

/*
 * Do we have evidence against a suspicion or death of e?  Transport mode:
 * we reach it.  Probe mode: we heard from it within one probe period
 * and no probe of ours failed since.
 */
static bool
mb_fresh(const struct net_member *m, const struct mb_entry *e)
{
	if (!mb_probe_mode(m))
		return !mb_unreachable(m, e);
	return !e->probe_failed && m->now < e->last_rx + m->cfg.probe_ms;
}

/* The precedence rule; see net_member.h. */
static enum mb_result
mb_apply(struct net_member *m, const struct net_member_claim *c)
{
	struct mb_entry	*e;

	if (strcmp(c->subject, m->self) == 0)
		return mb_apply_self(m, c);
	e = mb_find(m, c->subject);
	if (e == NULL) {
		if (c->status != NET_MEMBER_ALIVE ||
		    c->incarnation > NET_MEMBER_INC_JUMP_MAX ||
		    (e = mb_add(m, c->subject)) == NULL)
			return MB_REFUSED;
		e->status = NET_MEMBER_ALIVE;
		e->inc = c->incarnation;
		e->grace_until = m->now + m->cfg.join_grace_ms;
		mb_report(m, e->id, NET_MEMBER_NONE, NET_MEMBER_ALIVE,
		    e->inc);
		return MB_ADOPTED;
	}
	if (c->incarnation > e->inc &&
	    c->incarnation - e->inc > NET_MEMBER_INC_JUMP_MAX)
		return MB_REFUSED;
	if (c->incarnation == e->inc && c->status == e->status) {
		if (c->status == NET_MEMBER_SUSPECT)
			mb_add_confirm(m, e, c->from);
		return MB_SAME;
	}
	if (!mb_newer(c->incarnation, c->status, e->inc, e->status))
		return MB_STALE;
	if ((c->status == NET_MEMBER_SUSPECT || c->status == NET_MEMBER_DEAD) &&
	    mb_fresh(m, e))
		return MB_REFUSED;	/* we hear it: not our view */
	mb_set(m, e, c->status, c->incarnation);
	if (c->status == NET_MEMBER_SUSPECT && mb_probe_mode(m))
		mb_probe_soon(m, e);	/* see for ourselves */
	if (c->status == NET_MEMBER_SUSPECT)
		mb_add_confirm(m, e, c->from);
	/* Alive by hearsay: give the driver time to connect. */
	if (c->status == NET_MEMBER_ALIVE && !e->conn_up &&
	    e->grace_until < m->now + m->cfg.join_grace_ms)
		e->grace_until = m->now + m->cfg.join_grace_ms;
	return MB_ADOPTED;
}

/* A suspicion we hold and share (ALIVE -> SUSPECT, or a confirmation). */
static void
mb_suspect(struct net_member *m, struct mb_entry *e)
{
	if (e->status == NET_MEMBER_ALIVE) {
		mb_set(m, e, NET_MEMBER_SUSPECT, e->inc);
		m->stats.suspicions++;
	}
	e->we_suspect = true;
	mb_queue(m, &m->bcast, 0, e->id, NET_MEMBER_SUSPECT, e->inc,
	    m->self);
	if (mb_probe_mode(m)) {
		mb_probe_notify(m, e, true);
		mb_probe_soon(m, e);	/* our own network may be at fault */
	}
}

static void
mb_recv(struct net_member *m, const char *peer,
    const struct net_member_msg *msg)
{
	const struct net_member_claim	*c;
	struct mb_entry			*e;
	enum mb_result			 r;
	size_t				 i;
	bool				 sync;

	sync = (msg->flags & NET_MEMBER_F_SYNC) != 0;
	for (i = 0; i < msg->nclaims; i++) {
		c = &msg->claims[i];
		m->stats.claims_in++;
		r = mb_apply(m, c);
		switch (r) {
		case MB_ADOPTED:
			m->stats.claims_adopted++;
			/*
			 * Probe mode gossips what a sync taught us too (as
			 * memberlist does): transmit-limited, and a sync of
			 * a settled cluster adopts nothing.
			 */
			if ((!sync || mb_probe_mode(m)) &&
			    strcmp(c->subject, m->self) != 0)
				mb_queue(m, &m->fwd, 1, c->subject,
				    c->status, c->incarnation, c->from);
			break;
		case MB_STALE:
			m->stats.claims_stale++;
			if (msg->flags & NET_MEMBER_F_REPLY)
				break;	/* the whole table goes back */
			if (strcmp(c->subject, m->self) == 0)
				mb_queue_self(m, &m->reply, 2);
			else if ((e = mb_find(m, c->subject)) != NULL)
				mb_queue_entry(m, &m->reply, 2, e);
			break;
		case MB_REFUSED:
			m->stats.claims_refused++;
			break;
		case MB_SAME:
			break;
		}
		/* Adopted a suspicion we share: confirm at once. */
		if ((e = mb_find(m, c->subject)) != NULL &&
		    e->status == NET_MEMBER_SUSPECT && !e->we_suspect &&
		    mb_unreachable(m, e))
			mb_suspect(m, e);
	}
	if (msg->flags & NET_MEMBER_F_REPLY) {
		mb_flush(m);
		mb_sync_to(m, peer, NET_MEMBER_F_SYNC);
	}
}

void
mb_heard(struct net_member *m, struct mb_entry *e)
{
	e->last_rx = m->now;
	e->backoff_ms = 0;
	e->probe_failed = false;
	if (e->grace_until > m->now)
		e->grace_until = m->now;
	if (mb_probe_mode(m))
		mb_probe_heard(m, e);
}

/*
 * Transport mode still answers a PING, so that members in probe mode do
 * not suspect it (a cluster switching modes one agent at a time); it runs
 * no indirect probes and counts everything else as unasked for.
 */
static void
mb_probe_answer(struct net_member *m, const char *peer,
    const struct net_member_msg *msg)
{
	if (msg->probe != NET_MEMBER_PROBE_PING) {
		m->stats.acks_refused++;
		return;
	}
	mb_send_probe(m, peer, NET_MEMBER_PROBE_ACK, msg->seq, NULL);
}


static void
mb_remove(struct net_member *m, struct mb_entry *e)
{
	char	id[SEC_NODE_ID_SIZE];
	uint8_t	old = e->status;

	memcpy(id, e->id, sizeof id);
	if (e->gq_queued)
		m->gq_len--;
	e->gq_queued = false;
	e->used = false;
	mb_index_rebuild(m);
	mb_report(m, id, old, NET_MEMBER_NONE, e->inc);
}

/*
 * Our suspicion of e (unreachable to us) becomes DEAD: after dead_ms with
 * `need` confirmations.  Probe mode also after dead_max_ms with one (none
 * when nobody else is there to confirm), both stretched by our local
 * health score: a node whose own network failed (a blackout: probes fail
 * with no helper's NACK) does not kill a member on its word alone, and
 * waits longer while it doubts itself.
 */
static bool
mb_dead_due(const struct net_member *m, const struct mb_entry *e,
    size_t need, size_t avail)
{
	uint64_t	age = m->now - e->changed_at;
	uint64_t	k = mb_probe_mode(m) ? 1 + m->awareness : 1;

	if (age >= m->cfg.dead_ms * k && e->nconfirm >= need)
		return true;
	return mb_probe_mode(m) && age >= m->cfg.dead_max_ms * k &&
	    (e->nconfirm >= 1 || avail == 0);
}

/* How long a DEAD or LEFT member is remembered. */
static uint64_t
mb_reap_after(const struct net_member *m, const struct mb_entry *e)
{
	if (mb_probe_mode(m) && e->status == NET_MEMBER_DEAD &&
	    m->cfg.reap_dead_ms > 0)
		return m->cfg.reap_dead_ms;
	return m->cfg.reap_ms;
}

static void
mb_tick(struct net_member *m)
{
	struct mb_entry	*e;
	size_t		 i, avail = 0, need, n;
	uint64_t	 jit, period;

	if (mb_probe_mode(m))
		mb_probe_tick(m);
	for (i = 0; i < m->cap; i++) {
		e = &m->e[i];
		if (e->used && (e->status == NET_MEMBER_ALIVE ||
		    e->status == NET_MEMBER_SUSPECT) && !mb_unreachable(m, e))
			avail++;
	}
	for (i = 0; i < m->cap; i++) {
		e = &m->e[i];
		if (!e->used)
			continue;
		switch (e->status) {
		case NET_MEMBER_ALIVE:
			if (mb_unreachable(m, e) && m->now >= e->grace_until)
				mb_suspect(m, e);
			break;
		case NET_MEMBER_SUSPECT:
			if (!mb_unreachable(m, e))
				break;
			if (!e->we_suspect)
				mb_suspect(m, e);
			need = m->cfg.confirmations < avail ?
			    m->cfg.confirmations : avail;
			if (mb_dead_due(m, e, need, avail)) {
				mb_set(m, e, NET_MEMBER_DEAD, e->inc);
				m->stats.deaths++;
				mb_queue(m, &m->bcast, 0, e->id,
				    NET_MEMBER_DEAD, e->inc, m->self);
			}
			break;
		default:	/* DEAD, LEFT */
			if ((!e->conn_up || mb_probe_mode(m)) &&
			    m->now - e->changed_at >= mb_reap_after(m, e))
				mb_remove(m, e);
			break;
		}
	}
	if (m->now >= m->next_sync) {
		if (mb_choose(m, 1, NULL, NULL) == 1) {
			mb_flush(m);
			mb_sync_to(m, m->e[m->pick[0]].id,
			    NET_MEMBER_F_SYNC | NET_MEMBER_F_REPLY);
		}
		/*
		 * sync_ms +- 25 % so nodes do not fall into step; in probe
		 * mode once per 32 members' worth, so the bytes per node
		 * stay flat as the table grows.
		 */
		period = m->cfg.sync_ms;
		if (mb_probe_mode(m) && (n = net_member_count(m, NULL)) > 32)
			period *= (n + 31) / 32;
		jit = period / 2 > 0 ?
		    net_splitmix64(&m->rng) % (period / 2) : 0;
		m->next_sync = m->now + period * 3 / 4 + jit;
	}
}

/* ---- public ---- */

static int
mb_config_ok(const struct net_member_config *c)
{
	if (c->probe_ms > 0 && (c->probe_timeout_ms == 0 ||
	    c->reconnect_ms == 0 ||
	    c->probe_timeout_ms * 2 > c->probe_ms || c->indirect == 0 ||
	    c->indirect > NET_MEMBER_INDIRECT_MAX || c->gossip_ms == 0 ||
	    c->retransmit_mult == 0 || c->relay_max > NET_MEMBER_RELAY_MAX ||
	    c->dead_max_ms < c->dead_ms || c->awareness_max > 64))
		return 0;
	return c->max_members >= 2 && c->max_members <= NET_MEMBER_MAX &&
	    c->suspect_ms > 0 &&
	    (c->hung_ms == 0 || c->hung_ms >= c->suspect_ms) &&
	    c->dead_ms > 0 && c->confirmations <= NET_MEMBER_CONFIRM_MAX &&
	    c->sync_ms > 0 && c->fanout > 0 && c->reap_ms > 0;
}

struct net_member *
net_member_new(const char *self, const struct net_member_config *cfg)
{
	struct net_member	*m;

	if (!net_id_ok(self) || cfg == NULL || !mb_config_ok(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->cfg = *cfg;
	net_idcpy(m->self, self);
	m->rng = cfg->seed;
	m->cap = cfg->max_members;
	m->e = calloc(m->cap, sizeof *m->e);
	m->pick = calloc(m->cap, sizeof *m->pick);
	m->bcast.c = calloc(NET_MEMBER_MSG_CLAIMS, sizeof *m->bcast.c);
	m->fwd.c = calloc(NET_MEMBER_MSG_CLAIMS, sizeof *m->fwd.c);
	m->reply.c = calloc(NET_MEMBER_MSG_CLAIMS, sizeof *m->reply.c);
	if (m->e == NULL || m->pick == NULL ||
	    net_idtab_init(&m->idx, m->cap) == -1 ||
	    m->bcast.c == NULL || m->fwd.c == NULL || m->reply.c == NULL ||
	    (mb_probe_mode(m) && mb_probe_alloc(m) == -1)) {
		net_member_free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void
net_member_free(struct net_member *m)
{
	if (m == NULL)
		return;
	free(m->e);
	net_idtab_free(&m->idx);
	free(m->pick);
	free(m->bcast.c);
	free(m->fwd.c);
	free(m->reply.c);
	mb_probe_free(m);
	free(m);
}

void
net_member_set_incarnation(struct net_member *m, uint64_t inc)
{
	m->self_inc = inc;
}

int
net_member_msg_valid(const struct net_member_msg *msg)
{
	size_t	i;

	if (msg->nclaims > NET_MEMBER_MSG_CLAIMS ||
	    (msg->flags & ~(unsigned)NET_MEMBER_F_ALL) != 0 ||
	    msg->probe > NET_MEMBER_PROBE_NACK)
		return -1;
	if (memchr(msg->target, '\0', sizeof msg->target) == NULL)
		return -1;
	switch (msg->probe) {
	case NET_MEMBER_PROBE_NONE:
		if (msg->seq != 0 || msg->target[0] != '\0')
			return -1;
		break;
	case NET_MEMBER_PROBE_PING:
		if (msg->target[0] != '\0')
			return -1;
		break;
	case NET_MEMBER_PROBE_ACK:
		if (msg->target[0] != '\0' && !net_id_ok(msg->target))
			return -1;
		break;
	default:	/* REQ, NACK */
		if (!net_id_ok(msg->target))
			return -1;
		break;
	}
	for (i = 0; i < msg->nclaims; i++) {
		if (!net_id_ok(msg->claims[i].subject) ||
		    !net_id_ok(msg->claims[i].from) ||
		    msg->claims[i].status < NET_MEMBER_ALIVE ||
		    msg->claims[i].status > NET_MEMBER_LEFT)
			return -1;
	}
	return 0;
}

int
net_member_step(struct net_member *m, const struct net_member_event *ev,
    uint64_t now, net_member_emit_fn *emit, void *arg)
{
	struct mb_entry	*e = NULL;
	bool		 added = false;

	if (ev == NULL || emit == NULL)
		return -1;
	if (ev->type != NET_MEMBER_EV_TICK && ev->type != NET_MEMBER_EV_LEAVE) {
		if (!net_id_ok(ev->peer) || strcmp(ev->peer, m->self) == 0)
			return -1;
		if (ev->type == NET_MEMBER_EV_RECV && (ev->msg == NULL ||
		    net_member_msg_valid(ev->msg) != 0))
			return -1;
	}
	if (!m->started || now > m->now)
		m->now = now;
	if (!m->started) {
		m->started = true;
		m->next_sync = now + m->cfg.sync_ms;
	}
	m->emit = emit;
	m->emit_arg = arg;
	m->sender = NULL;

	switch (ev->type) {
	case NET_MEMBER_EV_TICK:
		m->has_wall = ev->wall != 0;
		m->wall_off = ev->wall - m->now;
		mb_tick(m);
		break;
	case NET_MEMBER_EV_CONN_UP:
		if ((e = mb_find(m, ev->peer)) == NULL) {
			if ((e = mb_add(m, ev->peer)) == NULL)
				break;	/* table full: not a member */
			added = true;
			e->status = NET_MEMBER_ALIVE;
			mb_report(m, e->id, NET_MEMBER_NONE,
			    NET_MEMBER_ALIVE, 0);
		}
		e->conn_up = true;
		mb_heard(m, e);
		/*
		 * Push-pull on every new session; in probe mode sessions
		 * come and go on demand, so only with a member new to us.
		 */
		if (!mb_probe_mode(m) || added)
			mb_sync_to(m, e->id,
			    NET_MEMBER_F_SYNC | NET_MEMBER_F_REPLY);
		/* Probe mode: the others hear of a joiner from us. */
		if (mb_probe_mode(m) && added) {
			mb_announce(m, e);
			mb_queue(m, &m->bcast, 0, e->id, NET_MEMBER_ALIVE,
			    e->inc, e->id);
		}
		break;
	case NET_MEMBER_EV_CONN_DOWN:
		if ((e = mb_find(m, ev->peer)) != NULL)
			e->conn_up = false;
		break;
	case NET_MEMBER_EV_HEARD:
		if ((e = mb_find(m, ev->peer)) != NULL)
			mb_heard(m, e);
		break;
	case NET_MEMBER_EV_RECV:
		if ((e = mb_find(m, ev->peer)) != NULL)
			mb_heard(m, e);
		m->sender = ev->peer;
		if (ev->msg->probe != NET_MEMBER_PROBE_NONE) {
			if (mb_probe_mode(m))
				mb_probe_recv(m, ev->peer, ev->msg);
			else
				mb_probe_answer(m, ev->peer, ev->msg);
		}
		mb_recv(m, ev->peer, ev->msg);
		break;
	case NET_MEMBER_EV_LEAVE:
		if (!m->left) {
			m->left = true;
			m->self_inc++;
			mb_queue_self(m, &m->bcast, 0);
		}
		break;
	default:
		return -1;
	}
	mb_flush(m);
	m->sender = NULL;
	if (mb_probe_mode(m) && m->gossip_now)
		mb_gossip_round(m, true);
	return 0;
}

enum net_member_status
net_member_status(const struct net_member *m, const char *id,
    uint64_t *incarnation)
{
	const struct mb_entry	*e;

	if (id == NULL)
		return NET_MEMBER_NONE;
	if (strcmp(id, m->self) == 0) {
		if (incarnation != NULL)
			*incarnation = m->self_inc;
		return m->left ? NET_MEMBER_LEFT : NET_MEMBER_ALIVE;
	}
	if ((e = mb_find(m, id)) == NULL)
		return NET_MEMBER_NONE;
	if (incarnation != NULL)
		*incarnation = e->inc;
	return (enum net_member_status)e->status;
}

unsigned
net_member_awareness(const struct net_member *m)
{
	return m->awareness;
}

uint64_t
net_member_incarnation(const struct net_member *m)
{
	return m->self_inc;
}

size_t
net_member_count(const struct net_member *m, size_t *alive)
{
	size_t	i, n = 0, a = 0;

	for (i = 0; i < m->cap; i++) {
		if (!m->e[i].used)
			continue;
		n++;
		if (m->e[i].status == NET_MEMBER_ALIVE)
			a++;
	}
	if (alive != NULL)
		*alive = a;
	return n;
}

size_t
net_member_capacity(const struct net_member *m)
{
	return m->cap;
}

const char *
net_member_slot(const struct net_member *m, size_t i,
    enum net_member_status *status, uint64_t *incarnation)
{
	if (i >= m->cap || !m->e[i].used)
		return NULL;
	if (status != NULL)
		*status = (enum net_member_status)m->e[i].status;
	if (incarnation != NULL)
		*incarnation = m->e[i].inc;
	return m->e[i].id;
}

const struct net_member_stats *
net_member_stats(const struct net_member *m)
{
	return &m->stats;
}
