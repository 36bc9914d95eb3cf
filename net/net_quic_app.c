/*
 * net_quic_app.c - application streams: bidirectional streams besides the
 * control stream that carry the caller's raw bytes both ways (the agent's
 * tunnels, docs/tunnel.md).  The transport knows nothing of what is in
 * them; it gives the caller three handles on the flow:
 *
 *   - sending: net_quic_stream_write copies into a queue of chunks that
 *     stay put until acknowledged (ngtcp2 keeps pointers into unacked data
 *     for retransmission, as with the control stream);
 *     net_quic_stream_queued tells the caller how much is waiting, and
 *     cb.stream_acked when it shrinks, so the caller bounds it;
 *   - receiving: bytes go to cb.stream_data and their stream-level flow
 *     control credit is returned only when the caller says it disposed of
 *     them (net_quic_stream_consume), so a slow consumer stops the peer
 *     at the stream window instead of growing a buffer.  Connection-level
 *     credit is returned at once, so a stalled stream cannot starve the
 *     control stream (raft, gossip) on the same connection;
 *   - aborting: a reset either way shuts the whole stream down; the
 *     caller hears cb.stream_closed once, when ngtcp2 drops it.
 *
 * The peer may have NET_QUIC_APP_STREAMS of these open toward us at once
 * (initial_max_streams_bidi is that plus the control stream); each one
 * that closes grants one more.  Streams are found by id in a short list:
 * their number is bounded by that limit on each side.
 */
#include <stdlib.h>
#include <string.h>

#include "net_quic_int.h"

struct nq_astream *
nq_app_find(const struct net_quic_conn *c, int64_t id)
{
	struct nq_astream	*a;

	TAILQ_FOREACH(a, &c->astreams, entry)
		if (a->id == id)
			return a;
	return NULL;
}

static struct nq_astream *
astream_new(struct net_quic_conn *c, int64_t id, int remote)
{
	struct nq_astream	*a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	a->id = id;
	a->remote = remote;
	TAILQ_INIT(&a->q);
	TAILQ_INSERT_TAIL(&c->astreams, a, entry);
	if (remote)
		c->peer_app_open++;
	return a;
}

static void
astream_free(struct net_quic_conn *c, struct nq_astream *a)
{
	struct nq_chunk	*k;

	while ((k = TAILQ_FIRST(&a->q)) != NULL) {
		TAILQ_REMOVE(&a->q, k, entry);
		free(k);
	}
	TAILQ_REMOVE(&c->astreams, a, entry);
	if (c->offer_as == a)
		c->offer_as = NULL;
	if (a->remote)
		c->peer_app_open--;
	free(a);
}

/* ---- the caller's side ---- */

static int
usable(const struct net_quic_conn *c)
{
	return c->state == NQ_OPEN && !c->close_req;
}

int64_t
net_quic_stream_open(struct net_quic_conn *c)
{
	int64_t	id;

	/* The client's first bidirectional stream is the control stream. */
	if (!usable(c) || (!c->server && c->ctl_id < 0))
		return -1;
	if (ngtcp2_conn_get_streams_bidi_left(c->q) == 0)
		return -1;
	if (ngtcp2_conn_open_bidi_stream(c->q, &id, NULL) != 0)
		return -1;
	if (astream_new(c, id, 0) == NULL) {
		(void)ngtcp2_conn_shutdown_stream(c->q, id,
		    NET_QUIC_APP_INTERNAL);
		nq_conn_kick(c);
		return -1;
	}
	return id;
}

int
net_quic_stream_write(struct net_quic_conn *c, int64_t id, const void *buf,
    size_t len, int fin)
{
	struct nq_astream	*a;
	struct nq_chunk		*k;

	if (!usable(c) || (a = nq_app_find(c, id)) == NULL || a->reset ||
	    a->fin_req || (len > 0 && buf == NULL))
		return -1;
	if (len > 0) {
		if ((k = malloc(sizeof *k + len)) == NULL)
			return -1;
		k->off = a->end;
		k->len = len;
		memcpy(k->data, buf, len);
		TAILQ_INSERT_TAIL(&a->q, k, entry);
		a->end += len;
		if (a->cur == NULL)
			a->cur = k;
	}
	if (fin)
		a->fin_req = 1;
	nq_conn_kick(c);
	return 0;
}

uint64_t
net_quic_stream_queued(const struct net_quic_conn *c, int64_t id)
{
	struct nq_astream	*a;

	if ((a = nq_app_find(c, id)) == NULL)
		return 0;
	return a->end - a->acked;
}

int
net_quic_stream_consume(struct net_quic_conn *c, int64_t id, size_t n)
{
	struct nq_astream	*a;

	if ((a = nq_app_find(c, id)) == NULL || a->reset || !usable(c))
		return -1;
	if (n == 0)
		return 0;
	if (ngtcp2_conn_extend_max_stream_offset(c->q, id, n) != 0)
		return -1;
	nq_conn_kick(c);
	return 0;
}

int
net_quic_stream_reset(struct net_quic_conn *c, int64_t id, uint64_t code)
{
	struct nq_astream	*a;

	if ((a = nq_app_find(c, id)) == NULL)
		return -1;
	if (a->reset || !usable(c))
		return 0;
	a->reset = 1;
	(void)ngtcp2_conn_shutdown_stream(c->q, id, code);
	nq_conn_kick(c);
	return 0;
}

/* ---- ngtcp2's side (from net_quic_stream.c's callbacks) ---- */

/* A peer bidirectional stream that is not the control stream. */
int
nq_app_accept(struct net_quic_conn *c, int64_t id)
{
	struct net_quic_endpoint	*ep = c->ep;

	/* Bytes can beat our own processing of the confirmation. */
	if (c->state == NQ_HANDSHAKE && c->confirmed && !c->close_req &&
	    nq_conn_authenticate(c) < 0)
		return -1;
	if (!usable(c) || ep->cfg.cb.stream_open == NULL ||
	    c->peer_app_open >= NET_QUIC_APP_STREAMS)
		return -1;
	if (astream_new(c, id, 1) == NULL)
		return -1;
	if (ep->cfg.cb.stream_open(c, id, ep->cfg.arg) != 0) {
		/* Refused: its credit comes back when ngtcp2 closes it
		   (nq_stream_close_cb). */
		astream_free(c, nq_app_find(c, id));
		return -1;
	}
	return 0;
}

void
nq_app_data(struct net_quic_conn *c, struct nq_astream *a, uint32_t flags,
    const uint8_t *data, size_t len)
{
	struct net_quic_endpoint	*ep = c->ep;
	int				 fin;

	fin = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;
	if (a->reset || !usable(c) || (len == 0 && !fin))
		return;
	if (ep->cfg.cb.stream_data != NULL)
		ep->cfg.cb.stream_data(c, a->id, data, len, fin, ep->cfg.arg);
}

void
nq_app_acked(struct net_quic_conn *c, struct nq_astream *a, uint64_t upto)
{
	struct net_quic_endpoint	*ep = c->ep;
	struct nq_chunk			*k;
	uint64_t			 before = a->acked;

	if (upto > a->acked)
		a->acked = upto;
	while ((k = TAILQ_FIRST(&a->q)) != NULL && k != a->cur &&
	    k->off + k->len <= a->acked) {
		TAILQ_REMOVE(&a->q, k, entry);
		free(k);
	}
	if (a->acked > before && !a->reset && ep->cfg.cb.stream_acked != NULL)
		ep->cfg.cb.stream_acked(c, a->id, a->end - a->acked,
		    ep->cfg.arg);
}

/* The peer reset its direction: we end ours too (docs/protocol.md). */
void
nq_app_peer_reset(struct net_quic_conn *c, struct nq_astream *a,
    uint64_t code)
{
	if (a->reset)
		return;
	a->reset = 1;
	(void)ngtcp2_conn_shutdown_stream(c->q, a->id, code);
	nq_conn_kick(c);
}

void
nq_app_closed(struct net_quic_conn *c, struct nq_astream *a, int err,
    uint64_t code)
{
	struct net_quic_endpoint	*ep = c->ep;
	int64_t				 id = a->id;
	int				 remote = a->remote;

	c->lost_closed += ngtcp2_conn_get_stream_loss_count(c->q, id);
	if (err)
		c->st.streams_reset++;
	astream_free(c, a);
	if (remote)
		ngtcp2_conn_extend_max_streams_bidi(c->q, 1);
	if (ep->cfg.cb.stream_closed != NULL)
		ep->cfg.cb.stream_closed(c, id, err, code, ep->cfg.arg);
}

/* ---- the write loop's view ---- */

void
nq_app_round_reset(struct net_quic_conn *c)
{
	struct nq_astream	*a;

	TAILQ_FOREACH(a, &c->astreams, entry)
		a->blocked = 0;
}

int64_t
nq_app_next(struct net_quic_conn *c, ngtcp2_vec *vec, size_t *nvec,
    int *fin)
{
	struct nq_astream	*a;
	struct nq_chunk		*k;
	size_t			 n = 0, skip, total = 0;

	c->offer_as = NULL;
	TAILQ_FOREACH(a, &c->astreams, entry) {
		if (a->blocked || a->reset || a->fin_sent)
			continue;
		if (a->sent == a->end && !a->fin_req)
			continue;
		for (k = a->cur; k != NULL && n < 4;
		    k = TAILQ_NEXT(k, entry)) {
			skip = a->sent > k->off ? (size_t)(a->sent - k->off) :
			    0;
			vec[n].base = k->data + skip;
			vec[n].len = k->len - skip;
			total += vec[n].len;
			n++;
		}
		c->offer_as = a;
		c->offer_len = total;
		*nvec = n;
		*fin = a->fin_req && a->sent + total == a->end;
		return a->id;
	}
	return -1;
}

void
nq_app_advance(struct net_quic_conn *c, struct nq_astream *a,
    ngtcp2_ssize ndata, int fin)
{
	struct nq_chunk	*k;

	a->sent += (uint64_t)ndata;
	while ((k = a->cur) != NULL && k->off + k->len <= a->sent)
		a->cur = TAILQ_NEXT(k, entry);
	if (fin && (size_t)ndata == c->offer_len)
		a->fin_sent = 1;
	if (ndata > 0 && TAILQ_NEXT(a, entry) != NULL) {
		/* Round-robin among streams with data. */
		TAILQ_REMOVE(&c->astreams, a, entry);
		TAILQ_INSERT_TAIL(&c->astreams, a, entry);
	}
}

uint64_t
nq_app_losses(struct net_quic_conn *c)
{
	struct nq_astream	*a;
	uint64_t		 n = 0;

	TAILQ_FOREACH(a, &c->astreams, entry)
		n += ngtcp2_conn_get_stream_loss_count(c->q, a->id);
	return n;
}

void
nq_app_free(struct net_quic_conn *c)
{
	struct nq_astream	*a;

	while ((a = TAILQ_FIRST(&c->astreams)) != NULL)
		astream_free(c, a);
}
