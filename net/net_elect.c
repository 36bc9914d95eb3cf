/*
 * net_elect.c - leader election state machine (see net_elect.h for the
 * protocol and the persistence contract, docs/cluster.md for the prose).
 *
 * Layout: small helpers on ids and configs; the peer table (voters, plus
 * the old voters while a change is pending, sorted by id); role changes
 * (become_follower, start_prevote, start_election, become_leader); the
 * handlers of each message type; the leader's timer work (lease, removal
 * of silent voters, heartbeats); and net_elect_step, which reserves slot
 * 0 of the output for the PERSIST action and fills it at the end if the
 * hard state changed, so persistence always precedes every send.
 */
#include <stdlib.h>
#include <string.h>

#include "net_elect.h"

#define NONE_LEFT	UINT64_MAX

static void
id_set(struct net_elect_id *dst, const char *s)
{
	memset(dst, 0, sizeof *dst);
	if (s != NULL)
		strncpy(dst->s, s, sizeof dst->s - 1);
}

static bool
id_valid(const struct net_elect_id *id)
{
	return id->s[0] != '\0' && memchr(id->s, '\0', sizeof id->s) != NULL;
}

static int
id_cmp(const struct net_elect_id *a, const struct net_elect_id *b)
{
	return strncmp(a->s, b->s, sizeof a->s);
}

static bool
id_none(const struct net_elect_id *id)
{
	return id->s[0] == '\0';
}

/* Index of id in the sorted voter list, or -1. */
static int
cfg_find(const struct net_elect_config *c, const struct net_elect_id *id)
{
	uint32_t	lo = 0, hi = c->n;

	while (lo < hi) {
		uint32_t	mid = lo + (hi - lo) / 2;
		int		r = id_cmp(&c->voters[mid], id);

		if (r == 0)
			return (int)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

bool
net_elect_config_valid(const struct net_elect_config *c)
{
	uint32_t	i;

	if (c->n > NET_ELECT_MAX_VOTERS)
		return false;
	if (c->index == 0 && c->n != 0)
		return false;
	for (i = 0; i < c->n; i++) {
		if (!id_valid(&c->voters[i]))
			return false;
		if (i > 0 && id_cmp(&c->voters[i - 1], &c->voters[i]) >= 0)
			return false;
	}
	return true;
}

/* Config versions compare by (term, index), like Raft's last log entry. */
static int
ver_cmp(uint64_t t1, uint64_t i1, uint64_t t2, uint64_t i2)
{
	if (t1 != t2)
		return t1 < t2 ? -1 : 1;
	if (i1 != i2)
		return i1 < i2 ? -1 : 1;
	return 0;
}

static uint32_t
majority(uint32_t n)
{
	return n / 2 + 1;
}

static bool
is_voter(const struct net_elect *st)
{
	return cfg_find(&st->hard.cfg, &st->self) >= 0;
}

static uint64_t
rand_timeout(struct net_elect *st)
{
	uint32_t	span = st->p.election_max_ms - st->p.election_min_ms;
	uint32_t	r = 0;

	if (span > 0)
		r = st->p.rand(st->p.rand_arg) % span;
	return (uint64_t)st->p.election_min_ms + r;
}

static void
reset_timer(struct net_elect *st)
{
	st->elect_at = st->now + rand_timeout(st);
}

static struct net_elect_peer *
peer_find(struct net_elect *st, const struct net_elect_id *id)
{
	uint32_t	lo = 0, hi = st->npeers;

	while (lo < hi) {
		uint32_t	mid = lo + (hi - lo) / 2;
		int		r = id_cmp(&st->peers[mid].id, id);

		if (r == 0)
			return &st->peers[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Rebuild the peer table as the union of the config and (when a change
 * is pending) the old set, keeping what is known of peers that stay.
 */
static void
peers_rebuild(struct net_elect *st)
{
	struct net_elect_peer		 prev[NET_ELECT_MAX_VOTERS + 1];
	const struct net_elect_config	*a = &st->hard.cfg;
	const struct net_elect_config	*b = st->pending ? &st->old : NULL;
	uint32_t			 i = 0, j = 0, k = 0;
	uint32_t			 nprev = st->npeers;

	memcpy(prev, st->peers, nprev * sizeof prev[0]);
	st->npeers = 0;
	for (;;) {
		const struct net_elect_id	*next;
		struct net_elect_peer		*p, *old = NULL;
		int				 r;

		if (i < a->n && b != NULL && j < b->n)
			r = id_cmp(&a->voters[i], &b->voters[j]);
		else if (i < a->n)
			r = -1;
		else if (b != NULL && j < b->n)
			r = 1;
		else
			break;
		next = r <= 0 ? &a->voters[i] : &b->voters[j];
		if (r <= 0)
			i++;
		if (r >= 0)
			j++;
		if (st->npeers >= NET_ELECT_MAX_VOTERS + 1)
			break;	/* cannot happen: single-step changes */
		p = &st->peers[st->npeers++];
		/* prev is sorted too: walk it alongside. */
		while (k < nprev && id_cmp(&prev[k].id, next) < 0)
			k++;
		if (k < nprev && id_cmp(&prev[k].id, next) == 0)
			old = &prev[k];
		if (old != NULL)
			*p = *old;
		else {
			memset(p, 0, sizeof *p);
			p->id = *next;
			p->last_heard = st->now;
		}
	}
}

static void
emit(struct net_elect *st, const struct net_elect_id *to,
    const struct net_elect_msg *m)
{
	struct net_elect_out	*out = st->out;
	struct net_elect_action	*a;

	if (out->n >= NET_ELECT_MAX_ACTIONS) {
		out->overflow = true;
		return;
	}
	a = &out->v[out->n++];
	memset(a, 0, sizeof *a);
	a->type = NET_ELECT_ACT_SEND;
	a->to = *to;
	a->msg = *m;
}

static void
msg_init(const struct net_elect *st, struct net_elect_msg *m,
    enum net_elect_msg_type type, uint64_t term)
{
	memset(m, 0, sizeof *m);
	m->type = type;
	m->term = term;
	m->cfg_term = st->hard.cfg.term;
	m->cfg_index = st->hard.cfg.index;
}

static void
reply(struct net_elect *st, const struct net_elect_id *to,
    enum net_elect_msg_type type, uint64_t term, bool ok, uint64_t stamp)
{
	struct net_elect_msg	m;

	msg_init(st, &m, type, term);
	m.ok = ok;
	m.stamp = stamp;
	emit(st, to, &m);
}

static void
send_heartbeat(struct net_elect *st, const struct net_elect_id *to,
    bool with_cfg)
{
	struct net_elect_msg	m;

	msg_init(st, &m, NET_ELECT_HEARTBEAT, st->hard.term);
	m.stamp = st->now;
	if (with_cfg)
		m.cfg = &st->hard.cfg;
	emit(st, to, &m);
}

static void
broadcast_heartbeat(struct net_elect *st)
{
	uint32_t	i;

	for (i = 0; i < st->npeers; i++) {
		struct net_elect_peer	*p = &st->peers[i];

		if (id_cmp(&p->id, &st->self) == 0)
			continue;
		send_heartbeat(st, &p->id, ver_cmp(p->acked_term,
		    p->acked_index, st->hard.cfg.term,
		    st->hard.cfg.index) != 0);
	}
	st->hb_at = st->now + st->p.heartbeat_ms;
}

static void
set_term(struct net_elect *st, uint64_t term)
{
	if (term > st->hard.term) {
		st->hard.term = term;
		id_set(&st->hard.vote, NULL);
		st->dirty = true;
	}
}

static void
become_follower(struct net_elect *st, uint64_t term,
    const struct net_elect_id *leader)
{
	bool	was_leader = st->role == NET_ELECT_LEADER;

	set_term(st, term);
	st->role = NET_ELECT_FOLLOWER;
	if (leader != NULL)
		st->leader = *leader;
	else
		id_set(&st->leader, NULL);
	if (was_leader && st->pending) {
		st->pending = false;
		peers_rebuild(st);
	}
	st->pending = false;
	reset_timer(st);
}

/* Time until which the leader's lease holds under config c. */
static int
u64_desc(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static uint64_t
lease_of(struct net_elect *st, const struct net_elect_config *c)
{
	uint64_t	stamps[NET_ELECT_MAX_VOTERS];
	uint32_t	need = majority(c->n), n = 0, i;

	if (cfg_find(c, &st->self) >= 0)
		need--;
	if (need == 0)
		return NONE_LEFT;
	for (i = 0; i < c->n; i++) {
		struct net_elect_peer	*p;

		if (id_cmp(&c->voters[i], &st->self) == 0)
			continue;
		p = peer_find(st, &c->voters[i]);
		if (p != NULL && p->has_stamp)
			stamps[n++] = p->stamp;
	}
	if (n < need)
		return 0;
	qsort(stamps, n, sizeof stamps[0], u64_desc);
	return stamps[need - 1] + st->p.lease_ms;
}

static void
lease_update(struct net_elect *st)
{
	uint64_t	l = lease_of(st, &st->hard.cfg);

	if (st->pending) {
		uint64_t	o = lease_of(st, &st->old);

		if (o < l)
			l = o;
	}
	st->lease_until = l;
}

/* Does config c have a majority acknowledging the current version? */
static bool
acked_by_majority(struct net_elect *st, const struct net_elect_config *c)
{
	uint32_t	n = 0, i;

	for (i = 0; i < c->n; i++) {
		struct net_elect_peer	*p;

		if (id_cmp(&c->voters[i], &st->self) == 0) {
			n++;
			continue;
		}
		p = peer_find(st, &c->voters[i]);
		if (p != NULL && p->acked_term == st->hard.cfg.term &&
		    p->acked_index == st->hard.cfg.index)
			n++;
	}
	return n >= majority(c->n);
}

static void
check_commit(struct net_elect *st)
{
	if (!st->pending)
		return;
	if (acked_by_majority(st, &st->hard.cfg) &&
	    acked_by_majority(st, &st->old)) {
		st->pending = false;
		peers_rebuild(st);
	}
}

static void
become_leader(struct net_elect *st)
{
	uint32_t	i;

	st->role = NET_ELECT_LEADER;
	st->leader = st->self;
	st->leader_since = st->now;
	st->lease_until = 0;
	/* Re-stamp the config in this term: the "no-op entry". */
	st->old = st->hard.cfg;
	st->hard.cfg.term = st->hard.term;
	st->hard.cfg.index++;
	st->dirty = true;
	st->pending = true;
	peers_rebuild(st);
	for (i = 0; i < st->npeers; i++) {
		struct net_elect_peer	*p = &st->peers[i];

		p->last_heard = st->now;
		p->has_stamp = false;
		p->stamp = 0;
		p->acked_term = 0;
		p->acked_index = 0;
	}
	lease_update(st);
	check_commit(st);
	broadcast_heartbeat(st);
}

static void
votes_clear(struct net_elect *st)
{
	uint32_t	i;

	for (i = 0; i < st->npeers; i++)
		st->peers[i].vote = id_cmp(&st->peers[i].id, &st->self) == 0 ?
		    1 : 0;
}

/* 1 won, -1 lost, 0 undecided. */
static int
tally(struct net_elect *st)
{
	const struct net_elect_config	*c = &st->hard.cfg;
	uint32_t			 yes = 0, no = 0, i;

	for (i = 0; i < c->n; i++) {
		struct net_elect_peer	*p = peer_find(st, &c->voters[i]);

		if (p == NULL)
			continue;
		if (p->vote > 0)
			yes++;
		else if (p->vote < 0)
			no++;
	}
	if (yes >= majority(c->n))
		return 1;
	if (no > c->n - majority(c->n))
		return -1;
	return 0;
}

/*
 * (Pre)candidate: ask again every heartbeat interval those voters that
 * have not answered, so one lost request does not cost a whole election
 * timeout.  Answers are idempotent (a vote already given is given again).
 */
static void
resend_requests(struct net_elect *st)
{
	struct net_elect_msg	m;
	uint32_t		i;

	if (st->role == NET_ELECT_CANDIDATE)
		msg_init(st, &m, NET_ELECT_VOTE, st->hard.term);
	else
		msg_init(st, &m, NET_ELECT_PREVOTE, st->hard.term + 1);
	for (i = 0; i < st->npeers; i++)
		if (st->peers[i].vote == 0 &&
		    cfg_find(&st->hard.cfg, &st->peers[i].id) >= 0)
			emit(st, &st->peers[i].id, &m);
	st->retry_at = st->now + st->p.heartbeat_ms;
}

static void
start_election(struct net_elect *st)
{
	st->role = NET_ELECT_CANDIDATE;
	st->hard.term++;
	st->hard.vote = st->self;
	st->dirty = true;
	id_set(&st->leader, NULL);
	votes_clear(st);
	reset_timer(st);
	if (tally(st) > 0)
		become_leader(st);
	else
		resend_requests(st);
}

static void
start_prevote(struct net_elect *st)
{
	reset_timer(st);
	if (!is_voter(st)) {
		st->role = NET_ELECT_FOLLOWER;
		return;
	}
	st->role = NET_ELECT_PRECANDIDATE;
	id_set(&st->leader, NULL);
	votes_clear(st);
	if (tally(st) > 0)
		start_election(st);
	else
		resend_requests(st);
}

/* Heard a live leader recently, or is one with a lease? */
static bool
sticky(const struct net_elect *st)
{
	if (st->role == NET_ELECT_LEADER)
		return st->now < st->lease_until;
	return st->now - st->last_contact < st->p.election_min_ms;
}

static bool
cfg_at_least_mine(const struct net_elect *st, const struct net_elect_msg *m)
{
	return ver_cmp(m->cfg_term, m->cfg_index, st->hard.cfg.term,
	    st->hard.cfg.index) >= 0;
}

static void
on_prevote(struct net_elect *st, const struct net_elect_id *from,
    const struct net_elect_msg *m)
{
	bool	grant;

	grant = m->term > st->hard.term && !sticky(st) &&
	    cfg_at_least_mine(st, m);
	reply(st, from, NET_ELECT_PREVOTE_RESP,
	    grant ? m->term : st->hard.term, grant, 0);
	/*
	 * Avoiding split votes.  Granting pushes our own election back, so
	 * with many voters the first pre-candidate usually runs alone; and
	 * of two pre-candidates that started within a round trip (with
	 * hundreds of voters and a bare majority reachable they would split
	 * the vote round after round) the one with the smaller id yields.
	 * A pre-vote binds nobody, so safety does not depend on this.  Each
	 * at most once per term (fields hold term + 1): a node whose answers
	 * never come back (a one-way link) and that asks every heartbeat
	 * could otherwise hold everyone else back for ever.
	 */
	if (grant && st->backoff_term != st->hard.term + 1) {
		st->backoff_term = st->hard.term + 1;
		reset_timer(st);
	}
	if (grant && st->role == NET_ELECT_PRECANDIDATE &&
	    id_cmp(from, &st->self) > 0 &&
	    st->yield_term != st->hard.term + 1) {
		st->yield_term = st->hard.term + 1;
		become_follower(st, st->hard.term, NULL);
	}
	/* A removed voter still campaigning learns the current config. */
	if (st->role == NET_ELECT_LEADER && cfg_find(&st->hard.cfg, from) < 0)
		send_heartbeat(st, from, true);
}

static void
on_vote(struct net_elect *st, const struct net_elect_id *from,
    const struct net_elect_msg *m)
{
	bool	grant;

	/* m->term == our term here (higher terms were adopted). */
	if (id_cmp(&st->hard.vote, from) == 0)
		grant = true;
	else
		grant = id_none(&st->hard.vote) && !sticky(st) &&
		    cfg_at_least_mine(st, m);
	if (grant && id_none(&st->hard.vote)) {
		st->hard.vote = *from;
		st->dirty = true;
	}
	if (grant)
		reset_timer(st);
	reply(st, from, NET_ELECT_VOTE_RESP, st->hard.term, grant, 0);
}

static void
on_vote_resp(struct net_elect *st, const struct net_elect_id *from,
    const struct net_elect_msg *m, enum net_elect_role want)
{
	struct net_elect_peer	*p;
	int			 r;

	if (st->role != want)
		return;
	if ((p = peer_find(st, from)) == NULL)
		return;
	p->vote = m->ok ? 1 : -1;
	r = tally(st);
	if (r > 0) {
		if (want == NET_ELECT_PRECANDIDATE)
			start_election(st);
		else
			become_leader(st);
	} else if (r < 0)
		become_follower(st, st->hard.term, NULL);
}

static void
on_heartbeat(struct net_elect *st, const struct net_elect_id *from,
    const struct net_elect_msg *m)
{
	const struct net_elect_config	*c = m->cfg;

	if (st->role == NET_ELECT_LEADER)
		return;		/* two leaders in one term: impossible */
	if (st->role != NET_ELECT_FOLLOWER ||
	    id_cmp(&st->leader, from) != 0)
		become_follower(st, st->hard.term, from);
	st->last_contact = st->now;
	reset_timer(st);
	if (c != NULL && c->term <= m->term && net_elect_config_valid(c) &&
	    c->index != 0 &&
	    ver_cmp(c->term, c->index, st->hard.cfg.term,
	    st->hard.cfg.index) != 0) {
		st->hard.cfg = *c;
		st->dirty = true;
		peers_rebuild(st);
	}
	reply(st, from, NET_ELECT_HEARTBEAT_RESP, st->hard.term, true,
	    m->stamp);
}

static void
on_heartbeat_resp(struct net_elect *st, const struct net_elect_id *from,
    const struct net_elect_msg *m)
{
	struct net_elect_peer	*p;

	if (st->role != NET_ELECT_LEADER || !m->ok)
		return;
	if ((p = peer_find(st, from)) == NULL)
		return;
	p->last_heard = st->now;
	if (m->stamp <= st->now && (!p->has_stamp || m->stamp > p->stamp)) {
		p->stamp = m->stamp;
		p->has_stamp = true;
	}
	p->acked_term = m->cfg_term;
	p->acked_index = m->cfg_index;
	check_commit(st);
	if (st->now >= st->lease_until)
		lease_update(st);
}

static void
on_recv(struct net_elect *st, const struct net_elect_id *from,
    const struct net_elect_msg *m)
{
	if (!id_valid(from) || id_cmp(from, &st->self) == 0)
		return;
	if (m->term > st->hard.term) {
		switch (m->type) {
		case NET_ELECT_PREVOTE:
			break;
		case NET_ELECT_PREVOTE_RESP:
			if (m->ok)
				break;
			become_follower(st, m->term, NULL);
			return;
		case NET_ELECT_VOTE:
			if (sticky(st))
				return;
			become_follower(st, m->term, NULL);
			break;
		case NET_ELECT_HEARTBEAT:
			become_follower(st, m->term, from);
			break;
		case NET_ELECT_VOTE_RESP:
		case NET_ELECT_HEARTBEAT_RESP:
			become_follower(st, m->term, NULL);
			return;
		default:
			return;
		}
	} else if (m->term < st->hard.term) {
		/* Stale: refuse requests so the sender learns our term. */
		switch (m->type) {
		case NET_ELECT_HEARTBEAT:
			reply(st, from, NET_ELECT_HEARTBEAT_RESP,
			    st->hard.term, false, m->stamp);
			break;
		case NET_ELECT_PREVOTE:
			reply(st, from, NET_ELECT_PREVOTE_RESP,
			    st->hard.term, false, 0);
			break;
		case NET_ELECT_VOTE:
			reply(st, from, NET_ELECT_VOTE_RESP,
			    st->hard.term, false, 0);
			break;
		default:
			break;
		}
		return;
	}

	switch (m->type) {
	case NET_ELECT_PREVOTE:
		on_prevote(st, from, m);
		break;
	case NET_ELECT_PREVOTE_RESP:
		/* Granted: echoes our proposed term; refused: our term. */
		if (m->ok ? m->term == st->hard.term + 1 :
		    m->term == st->hard.term)
			on_vote_resp(st, from, m, NET_ELECT_PRECANDIDATE);
		break;
	case NET_ELECT_VOTE:
		on_vote(st, from, m);
		break;
	case NET_ELECT_VOTE_RESP:
		on_vote_resp(st, from, m, NET_ELECT_CANDIDATE);
		break;
	case NET_ELECT_HEARTBEAT:
		on_heartbeat(st, from, m);
		break;
	case NET_ELECT_HEARTBEAT_RESP:
		on_heartbeat_resp(st, from, m);
		break;
	default:
		break;
	}
}

/* Leader: start a one-voter change to cfg (already edited by caller). */
static void
change_begin(struct net_elect *st, const struct net_elect_config *next)
{
	st->old = st->hard.cfg;
	st->hard.cfg = *next;
	st->hard.cfg.term = st->hard.term;
	st->hard.cfg.index = st->old.index + 1;
	st->dirty = true;
	st->pending = true;
	peers_rebuild(st);
	lease_update(st);
	check_commit(st);
	broadcast_heartbeat(st);
}

static int
change_check(const struct net_elect *st, const struct net_elect_id *id)
{
	if (st->role != NET_ELECT_LEADER)
		return NET_ELECT_ENOTLEADER;
	if (st->pending)
		return NET_ELECT_EBUSY;
	if (!id_valid(id))
		return NET_ELECT_EINVAL;
	return NET_ELECT_OK;
}

static int
propose_add(struct net_elect *st, const struct net_elect_id *id)
{
	struct net_elect_config	next;
	const struct net_elect_config *c = &st->hard.cfg;
	uint32_t		i, at;
	int			rc;

	if ((rc = change_check(st, id)) != NET_ELECT_OK)
		return rc;
	if (cfg_find(c, id) >= 0)
		return NET_ELECT_EEXIST;
	if (c->n >= NET_ELECT_MAX_VOTERS)
		return NET_ELECT_EFULL;
	for (at = 0; at < c->n && id_cmp(&c->voters[at], id) < 0; at++)
		;
	next.n = c->n + 1;
	for (i = 0; i < at; i++)
		next.voters[i] = c->voters[i];
	next.voters[at] = *id;
	for (i = at; i < c->n; i++)
		next.voters[i + 1] = c->voters[i];
	change_begin(st, &next);
	return NET_ELECT_OK;
}

static int
propose_remove(struct net_elect *st, const struct net_elect_id *id)
{
	struct net_elect_config	next;
	const struct net_elect_config *c = &st->hard.cfg;
	uint32_t		i, j;
	int			rc, at;

	if ((rc = change_check(st, id)) != NET_ELECT_OK)
		return rc;
	if ((at = cfg_find(c, id)) < 0)
		return NET_ELECT_ENOENT;
	if (id_cmp(id, &st->self) == 0)
		return NET_ELECT_EINVAL;
	next.n = c->n - 1;
	for (i = 0, j = 0; i < c->n; i++)
		if ((int)i != at)
			next.voters[j++] = c->voters[i];
	change_begin(st, &next);
	return NET_ELECT_OK;
}

static int
bootstrap(struct net_elect *st, const struct net_elect_id *v, size_t n)
{
	struct net_elect_config	c;
	size_t			i;

	if (st->hard.cfg.index != 0)
		return NET_ELECT_EEXIST;
	if (n == 0 || n > NET_ELECT_MAX_VOTERS || v == NULL)
		return NET_ELECT_EINVAL;
	memset(&c, 0, sizeof c);
	for (i = 0; i < n; i++) {
		uint32_t	at, k;

		if (!id_valid(&v[i]) || cfg_find(&c, &v[i]) >= 0)
			return NET_ELECT_EINVAL;
		for (at = 0; at < c.n && id_cmp(&c.voters[at], &v[i]) < 0;
		    at++)
			;
		for (k = c.n; k > at; k--)
			c.voters[k] = c.voters[k - 1];
		c.voters[at] = v[i];
		c.n++;
	}
	c.term = 0;
	c.index = 1;
	st->hard.cfg = c;
	st->dirty = true;
	peers_rebuild(st);
	return NET_ELECT_OK;
}

/* Leader's timer work: lease, removal of silent voters, heartbeats. */
static void
leader_tick(struct net_elect *st)
{
	uint32_t	i;

	if (st->now >= st->lease_until)
		lease_update(st);
	if (st->now >= st->lease_until &&
	    st->now - st->leader_since >= st->p.lease_ms) {
		become_follower(st, st->hard.term, NULL);
		return;
	}
	if (st->p.remove_after_ms > 0 && !st->pending) {
		for (i = 0; i < st->npeers; i++) {
			struct net_elect_peer	*p = &st->peers[i];

			if (id_cmp(&p->id, &st->self) != 0 &&
			    st->now - p->last_heard >= st->p.remove_after_ms) {
				struct net_elect_id	victim = p->id;

				(void)propose_remove(st, &victim);
				return;	/* it sent heartbeats */
			}
		}
	}
	if (st->now >= st->hb_at) {
		broadcast_heartbeat(st);
		lease_update(st);
	}
}

static void
tick(struct net_elect *st)
{
	if (st->role == NET_ELECT_LEADER)
		leader_tick(st);
	else if (st->now >= st->elect_at)
		start_prevote(st);
	else if (st->role != NET_ELECT_FOLLOWER && st->now >= st->retry_at)
		resend_requests(st);
}

int
net_elect_step(struct net_elect *st, const struct net_elect_event *ev,
    uint64_t now, struct net_elect_out *out)
{
	int	rc = NET_ELECT_OK;

	out->n = 1;	/* slot 0: PERSIST, filled (or dropped) at the end */
	out->overflow = false;
	st->out = out;
	st->dirty = false;
	if (now > st->now)
		st->now = now;	/* a clock never runs backwards here */

	switch (ev->type) {
	case NET_ELECT_EV_TICK:
		tick(st);
		break;
	case NET_ELECT_EV_RECV:
		if (ev->msg == NULL)
			rc = NET_ELECT_EINVAL;
		else
			on_recv(st, &ev->peer, ev->msg);
		break;
	case NET_ELECT_EV_BOOTSTRAP:
		rc = bootstrap(st, ev->voters, ev->nvoters);
		break;
	case NET_ELECT_EV_ADD:
		rc = propose_add(st, &ev->peer);
		break;
	case NET_ELECT_EV_REMOVE:
		rc = propose_remove(st, &ev->peer);
		break;
	default:
		rc = NET_ELECT_EINVAL;
		break;
	}

	if (st->dirty) {
		memset(&out->v[0], 0, sizeof out->v[0]);
		out->v[0].type = NET_ELECT_ACT_PERSIST;
		out->v[0].hard = &st->hard;
	} else {
		memmove(&out->v[0], &out->v[1],
		    (out->n - 1) * sizeof out->v[0]);
		out->n--;
	}
	st->dirty = false;
	st->out = NULL;
	return rc;
}

uint64_t
net_elect_deadline(const struct net_elect *st)
{
	uint64_t	lease_end;

	if (st->role == NET_ELECT_FOLLOWER)
		return st->elect_at;
	if (st->role != NET_ELECT_LEADER)
		return st->retry_at < st->elect_at ? st->retry_at :
		    st->elect_at;
	lease_end = st->leader_since + st->p.lease_ms;
	if (st->lease_until > lease_end)
		lease_end = st->lease_until;
	return st->hb_at < lease_end ? st->hb_at : lease_end;
}

void
net_elect_status(const struct net_elect *st, uint64_t now,
    struct net_elect_status *s)
{
	memset(s, 0, sizeof *s);
	if (now < st->now)
		now = st->now;
	s->role = st->role;
	s->term = st->hard.term;
	s->leader = st->leader;
	if (st->role == NET_ELECT_LEADER)
		s->quorum = now < st->lease_until;
	else
		s->quorum = !id_none(&st->leader) &&
		    now - st->last_contact < st->p.election_min_ms;
	s->voter = is_voter(st);
	s->nvoters = st->hard.cfg.n;
	s->cfg_term = st->hard.cfg.term;
	s->cfg_index = st->hard.cfg.index;
	s->cfg_pending = st->pending;
}

void
net_elect_params_default(struct net_elect_params *p, net_elect_rand_fn rand,
    void *rand_arg)
{
	memset(p, 0, sizeof *p);
	p->heartbeat_ms = 100;
	p->election_min_ms = 500;
	p->election_max_ms = 1000;
	p->lease_ms = 500;
	p->remove_after_ms = 0;
	p->rand = rand;
	p->rand_arg = rand_arg;
}

int
net_elect_init(struct net_elect *st, const struct net_elect_params *p,
    const char *self, const struct net_elect_hard *hard, uint64_t now)
{
	memset(st, 0, sizeof *st);
	if (p == NULL || p->rand == NULL || p->heartbeat_ms == 0 ||
	    p->election_min_ms <= p->heartbeat_ms ||
	    p->election_max_ms < p->election_min_ms ||
	    p->lease_ms == 0 || p->lease_ms > p->election_min_ms)
		return NET_ELECT_EINVAL;
	if (self == NULL || strlen(self) == 0 ||
	    strlen(self) >= NET_ELECT_ID_SIZE)
		return NET_ELECT_EINVAL;
	if (hard != NULL && (!net_elect_config_valid(&hard->cfg) ||
	    (!id_none(&hard->vote) && !id_valid(&hard->vote)) ||
	    hard->cfg.term > hard->term))
		return NET_ELECT_EINVAL;
	st->p = *p;
	id_set(&st->self, self);
	if (hard != NULL)
		st->hard = *hard;
	st->now = now;
	st->role = NET_ELECT_FOLLOWER;
	/*
	 * A node that just started may have acknowledged a leader right
	 * before it went down; it stays sticky for election_min so that
	 * leader's lease stays exclusive.
	 */
	st->last_contact = now;
	reset_timer(st);
	peers_rebuild(st);
	return NET_ELECT_OK;
}

const char *
net_elect_strerror(int rc)
{
	switch (rc) {
	case NET_ELECT_OK:
		return "ok";
	case NET_ELECT_ENOTLEADER:
		return "not the leader";
	case NET_ELECT_EBUSY:
		return "a voter change is still uncommitted";
	case NET_ELECT_EEXIST:
		return "already present";
	case NET_ELECT_ENOENT:
		return "not a voter";
	case NET_ELECT_EFULL:
		return "voter set full";
	case NET_ELECT_EINVAL:
		return "invalid argument";
	default:
		return "unknown error";
	}
}

const char *
net_elect_role_name(enum net_elect_role role)
{
	switch (role) {
	case NET_ELECT_FOLLOWER:
		return "follower";
	case NET_ELECT_PRECANDIDATE:
		return "precandidate";
	case NET_ELECT_CANDIDATE:
		return "candidate";
	case NET_ELECT_LEADER:
		return "leader";
	default:
		return "?";
	}
}
