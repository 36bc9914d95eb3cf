/*
 * net_gossip.c - the gossip state machine; rules and trust model are in
 * net_gossip.h.
 *
 * Shape.  A table of records (fixed array of max_origins slots, each
 * owning a heap copy of its bytes) with an open-addressing index by
 * origin, and a small set of connected peers to choose from.  Every
 * accepted record goes through gs_accept(), which applies the version
 * rules once.  Outgoing messages are built in one scratch message in the
 * state: gs_out_add() appends an entry and flushes (emits a SEND) when
 * the entry count or the byte budget would be passed, so a big answer
 * becomes several messages, each within the wire limits.  Anti-entropy
 * marks the records a digest mentions with a generation number, so
 * comparing a digest with our table is linear, not quadratic.  Our
 * SUMMARY is computed from the table when it is needed (one pass over
 * max_origins slots per SUMMARY sent or received), not kept up to date,
 * so no rule can forget to update it; each peer remembers when we may
 * next answer its SUMMARY with a DIGEST.
 */
#include "net_gossip.h"
#include "net_idtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gs_rec {
	char		 origin[SEC_NODE_ID_SIZE];
	bool		 used;
	bool		 tomb;		/* forgotten: version kept, no data */
	uint64_t	 version;
	uint8_t		*data;
	size_t		 len;
	uint64_t	 at;		/* accepted / forgotten at */
	uint64_t	 mark;		/* digest generation that named it */
	uint64_t	 peer_version;	/* version that digest named */
	bool		 fwd;		/* queued for forwarding */
};

struct gs_peer {
	char		id[SEC_NODE_ID_SIZE];
	uint64_t	next_answer;	/* no DIGEST for its SUMMARY before */
};

struct net_gossip {
	struct net_gossip_config cfg;
	char			 self[SEC_NODE_ID_SIZE];
	uint64_t		 now;
	uint64_t		 next_ae;
	bool			 started;
	uint64_t		 rng;
	uint64_t		 gen;

	struct gs_rec		*r;
	size_t			 cap;
	struct net_idtab	 idx;		/* by origin */
	struct gs_rec		*own;

	struct gs_peer		*peers;
	size_t			 npeers;
	uint16_t		*pick;

	struct net_gossip_msg	 out;
	size_t			 out_bytes;
	const char		*out_to;
	uint16_t		*fwd;		/* slots to forward */
	size_t			 nfwd;
	unsigned		 fwd_hops;
	bool			 republish;	/* own record outbid a copy */

	net_gossip_emit_fn	*emit;
	void			*emit_arg;
	struct net_gossip_stats	 stats;
};

void
net_gossip_config_default(struct net_gossip_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_origins = NET_GOSSIP_MAX_ORIGINS;
	cfg->max_record = NET_GOSSIP_RECORD_MAX;
	cfg->fanout = 4;
	cfg->hops = 8;
	cfg->ae_ms = 300;
	cfg->tomb_ms = 60000;
	cfg->seed = 1;
}

static const char *
gs_id_of(const void *arg, size_t slot)
{
	const struct net_gossip	*g = arg;

	return g->r[slot].used ? g->r[slot].origin : NULL;
}

static struct gs_rec *
gs_find(const struct net_gossip *g, const char *origin)
{
	size_t	slot;

	slot = net_idtab_find(&g->idx, origin, gs_id_of, g);
	return slot != NET_IDTAB_NONE ? &g->r[slot] : NULL;
}

static void
gs_index_rebuild(struct net_gossip *g)
{
	net_idtab_rebuild(&g->idx, g->cap, gs_id_of, g);
}

static struct gs_rec *
gs_add(struct net_gossip *g, const char *origin)
{
	size_t		 i;
	struct gs_rec	*r;

	for (i = 0; i < g->cap && g->r[i].used; i++)
		continue;
	if (i == g->cap)
		return NULL;
	r = &g->r[i];
	memset(r, 0, sizeof *r);
	r->used = true;
	net_idcpy(r->origin, origin);
	net_idtab_put(&g->idx, r->origin, i);
	return r;
}

/* Replaces r's bytes; -1 (r unchanged) without memory. */
static int
gs_store(struct gs_rec *r, uint64_t version, const uint8_t *data, size_t len)
{
	uint8_t	*p = NULL;

	if (len > 0) {
		if ((p = malloc(len)) == NULL)
			return -1;
		memcpy(p, data, len);
	}
	free(r->data);
	r->data = p;
	r->len = len;
	r->version = version;
	r->tomb = false;
	return 0;
}

static void
gs_changed(struct net_gossip *g, const struct gs_rec *r)
{
	struct net_gossip_action	a;

	memset(&a, 0, sizeof a);
	a.type = NET_GOSSIP_ACT_CHANGED;
	a.peer = r->origin;
	a.version = r->tomb ? 0 : r->version;
	a.data = r->data;
	a.len = r->len;
	g->emit(g->emit_arg, &a);
}

/* ---- outgoing messages ---- */

static void
gs_out_flush(struct net_gossip *g)
{
	struct net_gossip_action	a;

	if (g->out.n > 0 && g->out_to != NULL) {
		memset(&a, 0, sizeof a);
		a.type = NET_GOSSIP_ACT_SEND;
		a.peer = g->out_to;
		a.msg = &g->out;
		g->stats.msgs_out++;
		g->emit(g->emit_arg, &a);
	}
	g->out.n = 0;
	g->out_bytes = 0;
}

static void
gs_out_begin(struct net_gossip *g, const char *to, enum net_gossip_kind kind,
    unsigned hops)
{
	g->out.kind = kind;
	g->out.hops = hops;
	g->out.sum_count = 0;
	g->out.sum_hash = 0;
	g->out.n = 0;
	g->out_bytes = 0;
	g->out_to = to;
}

static void
gs_out_add(struct net_gossip *g, const char *origin, uint64_t version,
    const uint8_t *data, size_t len)
{
	struct net_gossip_entry	*e;
	size_t			 cost;

	cost = NET_GOSSIP_ENTRY_OVERHEAD + len;
	if (g->out.n == NET_GOSSIP_MSG_ENTRIES ||
	    (g->out.n > 0 && g->out_bytes + cost > NET_GOSSIP_MSG_BUDGET))
		gs_out_flush(g);
	e = &g->out.e[g->out.n++];
	memset(e, 0, sizeof *e);
	net_idcpy(e->origin, origin);
	e->version = version;
	e->data = data;
	e->len = len;
	g->out_bytes += cost;
	g->stats.bytes_out += len;
}

/* Chooses up to k peers other than exclude into g->pick. */
static size_t
gs_choose(struct net_gossip *g, size_t k, const char *exclude)
{
	size_t		i, n = 0, j;
	uint16_t	t;

	for (i = 0; i < g->npeers; i++)
		if (exclude == NULL || strcmp(g->peers[i].id, exclude) != 0)
			g->pick[n++] = (uint16_t)i;
	if (k > n)
		k = n;
	for (i = 0; i < k; i++) {
		j = i + (size_t)(net_splitmix64(&g->rng) % (n - i));
		t = g->pick[i];
		g->pick[i] = g->pick[j];
		g->pick[j] = t;
	}
	return k;
}

/* Pushes the records in g->fwd to fanout random peers but exclude. */
static void
gs_push(struct net_gossip *g, const char *exclude)
{
	size_t		 k, i, j;
	struct gs_rec	*r;

	if (g->nfwd == 0)
		return;
	k = gs_choose(g, g->cfg.fanout, exclude);
	for (i = 0; i < k; i++) {
		gs_out_begin(g, g->peers[g->pick[i]].id, NET_GOSSIP_RECORDS,
		    g->fwd_hops);
		for (j = 0; j < g->nfwd; j++) {
			r = &g->r[g->fwd[j]];
			gs_out_add(g, r->origin, r->version, r->data, r->len);
		}
		gs_out_flush(g);
	}
	for (j = 0; j < g->nfwd; j++)
		g->r[g->fwd[j]].fwd = false;
	g->nfwd = 0;
}

static void
gs_queue_fwd(struct net_gossip *g, struct gs_rec *r)
{
	if (r->fwd)
		return;
	r->fwd = true;
	g->fwd[g->nfwd++] = (uint16_t)(r - g->r);
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t
gs_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* One slot's share of the summary hash: FNV-1a of the origin, mixed. */
static uint64_t
gs_pair_hash(const char *origin, uint64_t version)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (; *origin != '\0'; origin++)
		h = (h ^ (unsigned char)*origin) * UINT64_C(0x100000001b3);
	return gs_mix(gs_mix(h) ^ (version + UINT64_C(0x9e3779b97f4a7c15)));
}

static void
gs_summary(const struct net_gossip *g, uint64_t *count, uint64_t *hash)
{
	const struct gs_rec	*r;
	size_t			 i;

	*count = 0;
	*hash = 0;
	for (i = 0; i < g->cap; i++) {
		r = &g->r[i];
		if (!r->used || r->version == 0)	/* ours, unpublished */
			continue;
		(*count)++;
		*hash += gs_pair_hash(r->origin, r->version);
	}
}

static void
gs_send_summary(struct net_gossip *g, const char *to)
{
	struct net_gossip_action	a;

	gs_out_begin(g, to, NET_GOSSIP_SUMMARY, 0);
	gs_summary(g, &g->out.sum_count, &g->out.sum_hash);
	memset(&a, 0, sizeof a);
	a.type = NET_GOSSIP_ACT_SEND;
	a.peer = to;
	a.msg = &g->out;
	g->stats.msgs_out++;
	g->emit(g->emit_arg, &a);
}

static void
gs_send_digest(struct net_gossip *g, const char *to)
{
	size_t	i;

	gs_out_begin(g, to, NET_GOSSIP_DIGEST, 0);
	for (i = 0; i < g->cap; i++)
		if (g->r[i].used)
			gs_out_add(g, g->r[i].origin, g->r[i].version, NULL, 0);
	gs_out_flush(g);
}

/* ---- the rules ---- */

/*
 * Somebody holds a copy of our record at version v >= ours that is not
 * ours (from before a restart, or a forgery): publish ours again above
 * it, unless v is absurdly far ahead.
 */
static void
gs_outbid(struct net_gossip *g, uint64_t v)
{
	if (v < g->own->version)
		return;
	if (v - g->own->version > NET_GOSSIP_VERSION_JUMP_MAX) {
		g->stats.refused_future++;
		return;
	}
	g->own->version = v + 1;
	g->stats.republished++;
	g->republish = true;
	gs_changed(g, g->own);
}

/* Pushes our record (after an outbid) as a fresh version is pushed. */
static void
gs_republish(struct net_gossip *g)
{
	if (!g->republish)
		return;
	g->republish = false;
	g->nfwd = 0;
	gs_queue_fwd(g, g->own);
	g->fwd_hops = g->cfg.hops;
	gs_push(g, NULL);
}

/* 1 accepted (view changed), 0 stale, -1 refused. */
static int
gs_accept(struct net_gossip *g, const struct net_gossip_entry *e)
{
	struct gs_rec	*r;
	uint64_t	 cur;

	if (strcmp(e->origin, g->self) == 0) {
		g->stats.refused_self++;
		/* Above ours, or ours with other bytes: not this life's. */
		if (e->version > g->own->version ||
		    (e->version == g->own->version && (e->len != g->own->len ||
		    (e->len > 0 && memcmp(e->data, g->own->data, e->len) != 0))))
			gs_outbid(g, e->version);
		return -1;
	}
	r = gs_find(g, e->origin);
	cur = r != NULL ? r->version : 0;
	if (e->version <= cur) {
		g->stats.stale++;
		return 0;
	}
	if (e->version - cur > NET_GOSSIP_VERSION_JUMP_MAX) {
		g->stats.refused_future++;
		return -1;
	}
	if (r == NULL && (r = gs_add(g, e->origin)) == NULL) {
		g->stats.refused_full++;
		return -1;
	}
	if (gs_store(r, e->version, e->data, e->len) != 0) {
		if (r->version == 0 && r->data == NULL && !r->tomb) {
			r->used = false;
			gs_index_rebuild(g);
		}
		return -1;
	}
	r->at = g->now;
	g->stats.accepted++;
	gs_changed(g, r);
	return 1;
}

static void
gs_recv_records(struct net_gossip *g, const char *peer,
    const struct net_gossip_msg *msg)
{
	size_t		 i;
	struct gs_rec	*r;

	g->nfwd = 0;
	g->fwd_hops = msg->hops > 0 ? msg->hops - 1 : 0;
	for (i = 0; i < msg->n; i++) {
		if (gs_accept(g, &msg->e[i]) != 1 || msg->hops == 0)
			continue;
		if ((r = gs_find(g, msg->e[i].origin)) != NULL)
			gs_queue_fwd(g, r);
	}
	gs_push(g, peer);
}

static void
gs_recv_digest(struct net_gossip *g, const char *peer,
    const struct net_gossip_msg *msg)
{
	const struct net_gossip_entry	*e;
	struct gs_rec			*r;
	size_t				 i, used = 0;

	for (i = 0; i < g->cap; i++)
		if (g->r[i].used)
			used++;
	g->gen++;
	g->nfwd = 0;
	/* What they have newer: ask for it. */
	gs_out_begin(g, peer, NET_GOSSIP_WANT, 0);
	for (i = 0; i < msg->n; i++) {
		e = &msg->e[i];
		if (strcmp(e->origin, g->self) == 0) {
			if (e->version > g->own->version)
				gs_outbid(g, e->version);
			g->own->mark = g->gen;
			g->own->peer_version = e->version;
			continue;
		}
		r = gs_find(g, e->origin);
		if (r != NULL) {
			r->mark = g->gen;
			r->peer_version = e->version;
		}
		if (e->version > (r != NULL ? r->version : 0) &&
		    e->version - (r != NULL ? r->version : 0) <=
		    NET_GOSSIP_VERSION_JUMP_MAX &&
		    (r != NULL || used < g->cap))
			gs_out_add(g, e->origin, r != NULL ? r->version : 0,
			    NULL, 0);
	}
	gs_out_flush(g);
	/* What we have newer: send it. */
	gs_out_begin(g, peer, NET_GOSSIP_RECORDS, 0);
	for (i = 0; i < g->cap; i++) {
		r = &g->r[i];
		if (!r->used || r->tomb || r->version == 0)
			continue;
		if (r->mark == g->gen && r->peer_version >= r->version)
			continue;
		gs_out_add(g, r->origin, r->version, r->data, r->len);
	}
	gs_out_flush(g);
}

static struct gs_peer *
gs_peer_find(struct net_gossip *g, const char *peer)
{
	size_t	i;

	for (i = 0; i < g->npeers; i++)
		if (strcmp(g->peers[i].id, peer) == 0)
			return &g->peers[i];
	return NULL;
}

/*
 * Equal summaries: nothing to do.  Different: our DIGEST, whose answer
 * (RECORDS and a WANT) repairs both sides - at most once per peer per
 * ae_ms / 2, and only to a peer we hold a session with.
 */
static void
gs_recv_summary(struct net_gossip *g, const char *peer,
    const struct net_gossip_msg *msg)
{
	struct gs_peer	*p;
	uint64_t	 count, hash;

	gs_summary(g, &count, &hash);
	if (count == msg->sum_count && hash == msg->sum_hash) {
		g->stats.summaries_matched++;
		return;
	}
	g->stats.summaries_differed++;
	if ((p = gs_peer_find(g, peer)) == NULL || g->now < p->next_answer) {
		g->stats.summary_refused++;
		return;
	}
	p->next_answer = g->now + g->cfg.ae_ms / 2;
	gs_send_digest(g, p->id);
}

static void
gs_recv_want(struct net_gossip *g, const char *peer,
    const struct net_gossip_msg *msg)
{
	const struct gs_rec	*r;
	size_t			 i;

	gs_out_begin(g, peer, NET_GOSSIP_RECORDS, 0);
	for (i = 0; i < msg->n; i++) {
		r = gs_find(g, msg->e[i].origin);
		if (r != NULL && !r->tomb && r->version > msg->e[i].version)
			gs_out_add(g, r->origin, r->version, r->data, r->len);
	}
	gs_out_flush(g);
}

/* Quiet: stored, not pushed; anti-entropy spreads it. */
static int
gs_publish(struct net_gossip *g, const uint8_t *data, size_t len, bool quiet)
{
	if (len > g->cfg.max_record || (len > 0 && data == NULL))
		return -1;
	if (gs_store(g->own, g->own->version + 1, data, len) != 0)
		return -1;
	g->own->at = g->now;
	gs_changed(g, g->own);
	if (quiet)
		return 0;
	g->nfwd = 0;
	gs_queue_fwd(g, g->own);
	g->fwd_hops = g->cfg.hops;
	gs_push(g, NULL);
	return 0;
}

static void
gs_forget(struct net_gossip *g, const char *origin)
{
	struct gs_rec	*r;

	if ((r = gs_find(g, origin)) == NULL || r->tomb)
		return;
	free(r->data);
	r->data = NULL;
	r->len = 0;
	r->tomb = true;
	r->at = g->now;
	gs_changed(g, r);
}

static void
gs_tick(struct net_gossip *g)
{
	size_t		i;
	uint64_t	jit;
	bool		removed = false;

	for (i = 0; i < g->cap; i++) {
		if (g->r[i].used && g->r[i].tomb &&
		    g->now - g->r[i].at >= g->cfg.tomb_ms) {
			g->r[i].used = false;
			removed = true;
		}
	}
	if (removed)
		gs_index_rebuild(g);
	if (g->now >= g->next_ae) {
		if (gs_choose(g, 1, NULL) == 1)
			gs_send_summary(g, g->peers[g->pick[0]].id);
		jit = g->cfg.ae_ms / 2 > 0 ?
		    net_splitmix64(&g->rng) % (g->cfg.ae_ms / 2) : 0;
		g->next_ae = g->now + g->cfg.ae_ms * 3 / 4 + jit;
	}
}

static void
gs_peer_up(struct net_gossip *g, const char *peer)
{
	if (gs_peer_find(g, peer) != NULL || g->npeers == g->cap)
		return;
	memset(&g->peers[g->npeers], 0, sizeof g->peers[g->npeers]);
	net_idcpy(g->peers[g->npeers].id, peer);
	g->npeers++;
	gs_send_digest(g, g->peers[g->npeers - 1].id);
}

static void
gs_peer_down(struct net_gossip *g, const char *peer)
{
	size_t	i;

	for (i = 0; i < g->npeers; i++) {
		if (strcmp(g->peers[i].id, peer) == 0) {
			g->peers[i] = g->peers[--g->npeers];
			return;
		}
	}
}

/* ---- public ---- */

int
net_gossip_msg_valid(const struct net_gossip_msg *msg, size_t max_record)
{
	size_t	i;

	if (msg->kind < NET_GOSSIP_DIGEST || msg->kind > NET_GOSSIP_SUMMARY ||
	    msg->n > NET_GOSSIP_MSG_ENTRIES || msg->hops > NET_GOSSIP_HOPS_MAX)
		return -1;
	if (msg->kind == NET_GOSSIP_SUMMARY &&
	    (msg->n != 0 || msg->sum_count > NET_GOSSIP_MAX_ORIGINS))
		return -1;
	for (i = 0; i < msg->n; i++) {
		if (!net_id_ok(msg->e[i].origin))
			return -1;
		if (msg->kind == NET_GOSSIP_RECORDS &&
		    (msg->e[i].len > max_record ||
		    (msg->e[i].len > 0 && msg->e[i].data == NULL)))
			return -1;
	}
	return 0;
}

struct net_gossip *
net_gossip_new(const char *self, const struct net_gossip_config *cfg)
{
	struct net_gossip	*g;

	if (!net_id_ok(self) || cfg == NULL || cfg->max_origins < 2 ||
	    cfg->max_origins > NET_GOSSIP_MAX_ORIGINS ||
	    cfg->max_record < 1 || cfg->max_record > NET_GOSSIP_RECORD_MAX ||
	    cfg->fanout < 1 || cfg->hops > NET_GOSSIP_HOPS_MAX ||
	    cfg->ae_ms < 1) {
		errno = EINVAL;
		return NULL;
	}
	if ((g = calloc(1, sizeof *g)) == NULL)
		return NULL;
	g->cfg = *cfg;
	net_idcpy(g->self, self);
	g->rng = cfg->seed;
	g->cap = cfg->max_origins;
	g->r = calloc(g->cap, sizeof *g->r);
	g->peers = calloc(g->cap, sizeof *g->peers);
	g->pick = calloc(g->cap, sizeof *g->pick);
	g->fwd = calloc(g->cap, sizeof *g->fwd);
	if (g->r == NULL || g->peers == NULL || g->pick == NULL ||
	    g->fwd == NULL || net_idtab_init(&g->idx, g->cap) == -1) {
		net_gossip_free(g);
		errno = ENOMEM;
		return NULL;
	}
	g->own = gs_add(g, self);	/* version 0: nothing published */
	return g;
}

void
net_gossip_free(struct net_gossip *g)
{
	size_t	i;

	if (g == NULL)
		return;
	if (g->r != NULL)
		for (i = 0; i < g->cap; i++)
			free(g->r[i].data);
	free(g->r);
	net_idtab_free(&g->idx);
	free(g->peers);
	free(g->pick);
	free(g->fwd);
	free(g);
}

int
net_gossip_step(struct net_gossip *g, const struct net_gossip_event *ev,
    uint64_t now, net_gossip_emit_fn *emit, void *arg)
{
	int	rc = 0;

	if (ev == NULL || emit == NULL)
		return -1;
	switch (ev->type) {
	case NET_GOSSIP_EV_TICK:
	case NET_GOSSIP_EV_PUBLISH:
		break;
	case NET_GOSSIP_EV_RECV:
		if (ev->msg == NULL)
			return -1;
		/* FALLTHROUGH */
	case NET_GOSSIP_EV_PEER_UP:
	case NET_GOSSIP_EV_PEER_DOWN:
	case NET_GOSSIP_EV_FORGET:
		if (!net_id_ok(ev->peer) || strcmp(ev->peer, g->self) == 0)
			return -1;
		break;
	default:
		return -1;
	}
	if (ev->type == NET_GOSSIP_EV_RECV &&
	    (net_gossip_msg_valid(ev->msg, g->cfg.max_record) != 0 ||
	    (ev->msg->kind == NET_GOSSIP_DIGEST &&
	    ev->msg->n > g->cfg.max_origins))) {
		g->stats.refused_msgs++;
		return -1;
	}
	if (!g->started || now > g->now)
		g->now = now;
	if (!g->started) {
		g->started = true;
		g->next_ae = now + (g->cfg.ae_ms > 1 ?
		    net_splitmix64(&g->rng) % g->cfg.ae_ms : 0);
	}
	g->emit = emit;
	g->emit_arg = arg;
	switch (ev->type) {
	case NET_GOSSIP_EV_TICK:
		gs_tick(g);
		break;
	case NET_GOSSIP_EV_PEER_UP:
		gs_peer_up(g, ev->peer);
		break;
	case NET_GOSSIP_EV_PEER_DOWN:
		gs_peer_down(g, ev->peer);
		break;
	case NET_GOSSIP_EV_PUBLISH:
		rc = gs_publish(g, ev->data, ev->len, ev->quiet);
		break;
	case NET_GOSSIP_EV_FORGET:
		gs_forget(g, ev->peer);
		break;
	case NET_GOSSIP_EV_RECV:
		switch (ev->msg->kind) {
		case NET_GOSSIP_DIGEST:
			gs_recv_digest(g, ev->peer, ev->msg);
			break;
		case NET_GOSSIP_RECORDS:
			gs_recv_records(g, ev->peer, ev->msg);
			break;
		case NET_GOSSIP_WANT:
			gs_recv_want(g, ev->peer, ev->msg);
			break;
		case NET_GOSSIP_SUMMARY:
			gs_recv_summary(g, ev->peer, ev->msg);
			break;
		}
		break;
	}
	gs_republish(g);
	return rc;
}

uint64_t
net_gossip_get(const struct net_gossip *g, const char *origin,
    const uint8_t **data, size_t *len)
{
	const struct gs_rec	*r;

	if (data != NULL)
		*data = NULL;
	if (len != NULL)
		*len = 0;
	if (origin == NULL || (r = gs_find(g, origin)) == NULL || r->tomb)
		return 0;
	if (data != NULL)
		*data = r->data;
	if (len != NULL)
		*len = r->len;
	return r->version;
}

size_t
net_gossip_count(const struct net_gossip *g)
{
	size_t	i, n = 0;

	for (i = 0; i < g->cap; i++)
		if (g->r[i].used && !g->r[i].tomb)
			n++;
	return n;
}

size_t
net_gossip_capacity(const struct net_gossip *g)
{
	return g->cap;
}

const char *
net_gossip_slot(const struct net_gossip *g, size_t i, uint64_t *version)
{
	if (i >= g->cap || !g->r[i].used || g->r[i].tomb)
		return NULL;
	if (version != NULL)
		*version = g->r[i].version;
	return g->r[i].origin;
}

const struct net_gossip_stats *
net_gossip_stats(const struct net_gossip *g)
{
	return &g->stats;
}

void
net_gossip_summary(const struct net_gossip *g, uint64_t *count,
    uint64_t *hash)
{
	gs_summary(g, count, hash);
}
