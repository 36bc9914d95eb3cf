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
 * allocated after net_member_new().
 */
#include "net_member.h"
#include "net_idtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mb_entry {
	char		id[SEC_NODE_ID_SIZE];
	bool		used;
	bool		conn_up;
	bool		we_suspect;	/* our own SUSPECT claim is out */
	uint8_t		status;
	uint64_t	inc;
	uint64_t	last_rx;	/* last direct evidence */
	uint64_t	grace_until;	/* do not originate a suspicion before */
	uint64_t	changed_at;	/* status or incarnation changed */
	unsigned	backoff_ms;
	unsigned	nconfirm;
	char		confirm[NET_MEMBER_CONFIRM_MAX][SEC_NODE_ID_SIZE];
};

/* A pending list of claims and where it goes. */
struct mb_pending {
	struct net_member_claim	*c;
	size_t			 n;
};

struct net_member {
	struct net_member_config cfg;
	char			 self[SEC_NODE_ID_SIZE];
	uint64_t		 self_inc;
	bool			 left;
	uint64_t		 now;
	uint64_t		 next_sync;
	bool			 started;
	uint64_t		 rng;

	struct mb_entry		*e;
	size_t			 cap;
	struct net_idtab	 idx;		/* by node id */
	uint16_t		*pick;		/* scratch for peer choice */

	struct net_member_msg	 out;		/* scratch for SEND */
	struct mb_pending	 bcast;		/* to every connected peer */
	struct mb_pending	 fwd;		/* to fanout random peers */
	struct mb_pending	 reply;		/* back to the sender */
	const char		*sender;	/* of the RECV being handled */

	net_member_emit_fn	*emit;
	void			*emit_arg;
	struct net_member_stats	 stats;
};

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

static struct mb_entry *
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
static int
mb_unreachable(const struct net_member *m, const struct mb_entry *e)
{
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

static void
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
 * Chooses up to k connected members other than exclude into m->pick;
 * returns how many.
 */
static size_t
mb_choose(struct net_member *m, size_t k, const char *exclude)
{
	size_t		i, n = 0, j;
	uint16_t	t;

	for (i = 0; i < m->cap; i++)
		if (m->e[i].used && m->e[i].conn_up &&
		    (exclude == NULL || strcmp(m->e[i].id, exclude) != 0))
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
	m->out.flags = 0;
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
		k = mb_choose(m, m->cfg.fanout, m->sender);
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

static void
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

static void
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

	m->out.flags = flags;
	mb_claim_self(m, &m->out.claims[0]);
	m->out.nclaims = 1;
	for (i = 0; i < m->cap; i++) {
		if (!m->e[i].used)
			continue;
		if (m->out.nclaims == NET_MEMBER_MSG_CLAIMS) {
			mb_send(m, peer);
			m->out.nclaims = 0;
			m->out.flags = flags & ~(unsigned)NET_MEMBER_F_REPLY;
		}
		mb_claim_of(m, &m->e[i], &m->out.claims[m->out.nclaims++]);
	}
	if (m->out.nclaims > 0)
		mb_send(m, peer);
}

static void
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
	return MB_ADOPTED;
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
	    !mb_unreachable(m, e))
		return MB_REFUSED;	/* we hear it: not our view */
	mb_set(m, e, c->status, c->incarnation);
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
			if (!sync && strcmp(c->subject, m->self) != 0)
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

static void
mb_heard(struct net_member *m, struct mb_entry *e)
{
	e->last_rx = m->now;
	e->backoff_ms = 0;
	if (e->grace_until > m->now)
		e->grace_until = m->now;
}

static void
mb_remove(struct net_member *m, struct mb_entry *e)
{
	char	id[SEC_NODE_ID_SIZE];
	uint8_t	old = e->status;

	memcpy(id, e->id, sizeof id);
	e->used = false;
	mb_index_rebuild(m);
	mb_report(m, id, old, NET_MEMBER_NONE, e->inc);
}

static void
mb_tick(struct net_member *m)
{
	struct mb_entry	*e;
	size_t		 i, avail = 0, need;
	uint64_t	 jit;

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
			if (m->now - e->changed_at >= m->cfg.dead_ms &&
			    e->nconfirm >= need) {
				mb_set(m, e, NET_MEMBER_DEAD, e->inc);
				m->stats.deaths++;
				mb_queue(m, &m->bcast, 0, e->id,
				    NET_MEMBER_DEAD, e->inc, m->self);
			}
			break;
		default:	/* DEAD, LEFT */
			if (!e->conn_up &&
			    m->now - e->changed_at >= m->cfg.reap_ms)
				mb_remove(m, e);
			break;
		}
	}
	if (m->now >= m->next_sync) {
		if (mb_choose(m, 1, NULL) == 1) {
			mb_flush(m);
			mb_sync_to(m, m->e[m->pick[0]].id,
			    NET_MEMBER_F_SYNC | NET_MEMBER_F_REPLY);
		}
		/* sync_ms +- 25 % so nodes do not fall into step. */
		jit = m->cfg.sync_ms / 2 > 0 ?
		    net_splitmix64(&m->rng) % (m->cfg.sync_ms / 2) : 0;
		m->next_sync = m->now + m->cfg.sync_ms * 3 / 4 + jit;
	}
}

/* ---- public ---- */

static int
mb_config_ok(const struct net_member_config *c)
{
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
	    m->bcast.c == NULL || m->fwd.c == NULL || m->reply.c == NULL) {
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
	    (msg->flags & ~(unsigned)NET_MEMBER_F_ALL) != 0)
		return -1;
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
		mb_tick(m);
		break;
	case NET_MEMBER_EV_CONN_UP:
		if ((e = mb_find(m, ev->peer)) == NULL) {
			if ((e = mb_add(m, ev->peer)) == NULL)
				break;	/* table full: not a member */
			e->status = NET_MEMBER_ALIVE;
			mb_report(m, e->id, NET_MEMBER_NONE,
			    NET_MEMBER_ALIVE, 0);
		}
		e->conn_up = true;
		mb_heard(m, e);
		/* Push-pull on every new session. */
		mb_sync_to(m, e->id, NET_MEMBER_F_SYNC | NET_MEMBER_F_REPLY);
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
