/*
 * net_quic_stream.c - the streams of a connection: the control stream and
 * the probe streams.
 *
 * Control stream.  Exactly one bidirectional stream per connection,
 * opened by the client once the connection is authenticated; the client
 * writes the 8-byte preamble "exoctl1\n" first so the stream exists for
 * the server even before the caller has anything to say.  The server
 * takes the first peer-initiated bidirectional stream after the handshake
 * as the control stream (its bytes must start with the preamble, or the
 * connection is closed); every other bidirectional stream either side
 * opens is offered to the caller as an application stream
 * (net_quic_app.c: the agent's tunnels) or, if the caller does not take
 * it, refused with STOP_SENDING + RESET_STREAM
 * (NET_QUIC_APP_STREAM_REFUSED) and the connection stays up.  The
 * server's control stream is the client's stream 0, which the client
 * opens before any other.  The transport parameter
 * initial_max_streams_bidi = 1 + NET_QUIC_APP_STREAMS bounds what a peer
 * may have open at once; if the peer ends or resets the control stream
 * the connection is closed (NET_QUIC_APP_PROTOCOL).
 * Outgoing bytes sit in a queue of chunks, one per net_quic_send_control
 * call, until the peer acknowledges them: ngtcp2 keeps pointers into
 * unacknowledged data for retransmission, so a chunk is never moved or
 * freed before acked_stream_data_offset passes its end.  Incoming bytes
 * go straight to cb.control and their flow-control credit is returned at
 * once (the caller's parser bounds its own buffering).
 *
 * Probes.  A unidirectional stream carrying a 16-byte header ("XPB1", four
 * zero bytes, the payload length as a big-endian u64) and then payload
 * byte i = pattern[i mod 65521], where pattern is a fixed pseudo-random
 * table.  The sender hands ngtcp2 slices of that one immutable table (so
 * nothing needs copying or keeping per probe); the receiver compares every
 * byte as it arrives, in order, and requires FIN at exactly the announced
 * length.  A bad header, a wrong byte or a wrong length resets the stream
 * with NET_QUIC_APP_PROBE_CORRUPT.  Peers may have NQ_UNI_STREAMS probes
 * open toward us at once (transport parameter; we grant one more each
 * time one is over, see istream_finish); ours beyond the peer's limit
 * wait in a queue until it grants more.  Bidirectional credit is extended
 * by one each time a peer's application or refused stream closes; the
 * control stream lives as long as its connection.
 */
#include <stdlib.h>
#include <string.h>

#include "net_quic_int.h"

/* ---- pattern ---- */

int
nq_pattern_init(struct net_quic_endpoint *ep)
{
	uint64_t	x = 0x9e3779b97f4a7c15ull;
	size_t		i;

	if ((ep->pattern = malloc(NQ_PAT_PERIOD + NQ_PAT_CHUNK)) == NULL)
		return -1;
	for (i = 0; i < NQ_PAT_PERIOD; i++) {
		/* xorshift64*: any fixed, well-mixed sequence would do */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		ep->pattern[i] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> 56);
	}
	memcpy(ep->pattern + NQ_PAT_PERIOD, ep->pattern, NQ_PAT_CHUNK);
	return 0;
}

/* 1 if buf is the pattern at payload position pos. */
static int
pattern_match(const struct net_quic_endpoint *ep, uint64_t pos,
    const uint8_t *buf, size_t n)
{
	size_t	idx, k;

	while (n > 0) {
		idx = (size_t)(pos % NQ_PAT_PERIOD);
		k = NQ_PAT_PERIOD - idx;
		if (k > n)
			k = n;
		if (memcmp(buf, ep->pattern + idx, k) != 0)
			return 0;
		buf += k;
		pos += k;
		n -= k;
	}
	return 1;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- results ---- */

static void
result_queue(struct net_quic_conn *c, int64_t id, int outgoing, int ok,
    uint64_t bytes, uint64_t t0)
{
	struct nq_result	*r;
	uint64_t		 now = nq_now();

	if ((r = calloc(1, sizeof *r)) == NULL) {
		nq_log(c->ep, NET_QUIC_LOG_ERR, "quic: out of memory for a "
		    "probe result");
		return;
	}
	r->r.stream_id = id;
	r->r.outgoing = outgoing;
	r->r.ok = ok;
	r->r.bytes = bytes;
	r->r.seconds = (double)(now - t0) / 1e9;
	r->r.rate = r->r.seconds > 0 ? (double)bytes / r->r.seconds : 0.0;
	r->r.when = nq_wall();
	TAILQ_INSERT_TAIL(&c->results, r, entry);
}

/* ---- control stream ---- */

static int
ctl_append(struct net_quic_conn *c, const void *buf, size_t len)
{
	struct nq_chunk	*k;

	if ((k = malloc(sizeof *k + len)) == NULL)
		return -1;
	k->off = c->ctl_end;
	k->len = len;
	memcpy(k->data, buf, len);
	TAILQ_INSERT_TAIL(&c->ctl_q, k, entry);
	c->ctl_end += len;
	if (c->ctl_cur == NULL)
		c->ctl_cur = k;
	return 0;
}

static int
ctl_magic(struct net_quic_conn *c)
{
	if (c->server || c->ctl_magic_queued)
		return 0;
	if (ctl_append(c, NQ_CTL_MAGIC, NQ_CTL_MAGIC_LEN) < 0)
		return -1;
	c->ctl_magic_queued = 1;
	return 0;
}

int
net_quic_send_control(struct net_quic_conn *c, const void *buf, size_t len)
{
	if ((c->state != NQ_HANDSHAKE && c->state != NQ_OPEN) ||
	    c->close_req || c->ctl_closed)
		return -1;
	if (len == 0)
		return 0;
	if (buf == NULL || len > c->ep->cfg.control_buf_max ||
	    c->ctl_end - c->ctl_acked > c->ep->cfg.control_buf_max - len)
		return -1;
	if (ctl_magic(c) < 0 || ctl_append(c, buf, len) < 0)
		return -1;
	nq_conn_kick(c);
	return 0;
}

int
nq_open_control(struct net_quic_conn *c)
{
	int64_t	id;

	if (ctl_magic(c) < 0)
		return -1;
	if (ngtcp2_conn_open_bidi_stream(c->q, &id, NULL) != 0)
		return -1;
	c->ctl_id = id;
	return 0;
}

static void
ctl_acked(struct net_quic_conn *c, uint64_t upto)
{
	struct nq_chunk	*k;

	if (upto > c->ctl_acked)
		c->ctl_acked = upto;
	while ((k = TAILQ_FIRST(&c->ctl_q)) != NULL && k != c->ctl_cur &&
	    k->off + k->len <= c->ctl_acked) {
		TAILQ_REMOVE(&c->ctl_q, k, entry);
		free(k);
	}
}

int
nq_ctl_preamble(size_t *got, const uint8_t *data, size_t len, size_t *used)
{
	size_t	take = 0;

	if (*got < NQ_CTL_MAGIC_LEN) {
		take = NQ_CTL_MAGIC_LEN - *got;
		if (take > len)
			take = len;
		if (memcmp(data, &NQ_CTL_MAGIC[*got], take) != 0)
			return -1;
		*got += take;
	}
	*used = take;
	return 0;
}

/* Server: the preamble, then the caller's bytes. */
static void
ctl_recv(struct net_quic_conn *c, const uint8_t *data, size_t len)
{
	struct net_quic_endpoint	*ep = c->ep;
	size_t				 take;

	if (c->server) {
		if (nq_ctl_preamble(&c->ctl_magic_got, data, len, &take) != 0) {
			nq_conn_fail(c, NET_QUIC_APP_PROTOCOL, "control stream "
			    "does not start with the exogpu preamble");
			return;
		}
		data += take;
		len -= take;
	}
	/* Bytes can beat our own processing of the confirmation. */
	if (c->state == NQ_HANDSHAKE && c->confirmed && !c->close_req &&
	    nq_conn_authenticate(c) < 0)
		return;
	if (len > 0 && c->state == NQ_OPEN && !c->close_req &&
	    ep->cfg.cb.control != NULL)
		ep->cfg.cb.control(c, data, len, ep->cfg.arg);
}

/* ---- streams we send on ---- */

int
net_quic_probe_start(struct net_quic_conn *c, uint64_t nbytes)
{
	struct nq_ostream	*os;

	if ((c->state != NQ_HANDSHAKE && c->state != NQ_OPEN) ||
	    c->close_req || nbytes == 0 || nbytes > c->ep->cfg.probe_max ||
	    c->npending >= NQ_PENDING_MAX)
		return -1;
	if ((os = calloc(1, sizeof *os)) == NULL)
		return -1;
	if ((os->head = malloc(NQ_PROBE_HDR)) == NULL) {
		free(os);
		return -1;
	}
	memcpy(os->head, NQ_PROBE_MAGIC, 4);
	memset(os->head + 4, 0, 4);
	put_be64(os->head + 8, nbytes);
	os->headlen = NQ_PROBE_HDR;
	os->paylen = nbytes;
	os->probe = 1;
	os->id = -1;
	TAILQ_INSERT_TAIL(&c->out_pending, os, entry);
	c->npending++;
	nq_conn_kick(c);
	return 0;
}

static void
ostream_free(struct nq_ostream *os)
{
	free(os->head);
	free(os);
}

static void
activate(struct net_quic_conn *c, struct nq_ostream *os, int64_t id)
{
	os->id = id;
	os->t_start = nq_now();
	TAILQ_INSERT_TAIL(&c->out_active, os, entry);
	if (!ngtcp2_is_bidi_stream(id) &&
	    ++c->nactive_uni > c->st.local_uni_max)
		c->st.local_uni_max = c->nactive_uni;
}

void
nq_start_pending(struct net_quic_conn *c)
{
	struct nq_ostream	*os;
	int64_t			 id;

	while ((os = TAILQ_FIRST(&c->out_pending)) != NULL &&
	    ngtcp2_conn_get_streams_uni_left(c->q) > 0) {
		if (ngtcp2_conn_open_uni_stream(c->q, &id, os) != 0)
			break;
		TAILQ_REMOVE(&c->out_pending, os, entry);
		c->npending--;
		activate(c, os, id);
	}
}

int
net_quic_debug_open_stream(struct net_quic_conn *c, int bidi,
    const void *buf, size_t len)
{
	struct nq_ostream	*os;
	int64_t			 id;
	int			 rv;

	if (c->state != NQ_OPEN || c->close_req || len == 0)
		return -1;
	if ((os = calloc(1, sizeof *os)) == NULL)
		return -1;
	if ((os->head = malloc(len)) == NULL) {
		free(os);
		return -1;
	}
	memcpy(os->head, buf, len);
	os->headlen = len;
	rv = bidi ? ngtcp2_conn_open_bidi_stream(c->q, &id, os) :
	    ngtcp2_conn_open_uni_stream(c->q, &id, os);
	if (rv != 0) {
		ostream_free(os);
		return -1;
	}
	activate(c, os, id);
	nq_conn_kick(c);
	return 0;
}

/* ---- the write loop's view ---- */

void
nq_round_reset(struct net_quic_conn *c)
{
	struct nq_ostream	*os;

	c->ctl_blocked = 0;
	TAILQ_FOREACH(os, &c->out_active, entry)
		os->blocked = 0;
	nq_app_round_reset(c);
}

static size_t
ctl_vecs(struct net_quic_conn *c, ngtcp2_vec *vec, size_t max)
{
	struct nq_chunk	*k;
	size_t		 n = 0, skip, total = 0;

	for (k = c->ctl_cur; k != NULL && n < max;
	    k = TAILQ_NEXT(k, entry)) {
		skip = c->ctl_sent > k->off ? (size_t)(c->ctl_sent - k->off) : 0;
		vec[n].base = k->data + skip;
		vec[n].len = k->len - skip;
		total += vec[n].len;
		n++;
	}
	c->offer_len = total;
	return n;
}

static size_t
ostream_vecs(struct net_quic_conn *c, struct nq_ostream *os, ngtcp2_vec *vec,
    int *fin)
{
	uint64_t	total = os->headlen + os->paylen, off = os->sent, p;
	size_t		n = 0, l;

	c->offer_len = 0;
	if (off < os->headlen) {
		vec[n].base = os->head + off;
		vec[n].len = (size_t)(os->headlen - off);
		c->offer_len += vec[n].len;
		off = os->headlen;
		n++;
	}
	if (off < total) {
		p = off - os->headlen;
		l = total - off > NQ_PAT_CHUNK ? NQ_PAT_CHUNK :
		    (size_t)(total - off);
		vec[n].base = c->ep->pattern + p % NQ_PAT_PERIOD;
		vec[n].len = l;
		c->offer_len += l;
		n++;
	}
	*fin = os->sent + c->offer_len == total;
	return n;
}

/* The next stream with something to send, or -1. */
int64_t
nq_next_data(struct net_quic_conn *c, ngtcp2_vec *vec, size_t *nvec,
    int *fin)
{
	struct nq_ostream	*os;

	c->offer_os = NULL;
	c->offer_as = NULL;
	*fin = 0;
	if (c->ctl_id >= 0 && !c->ctl_closed && !c->ctl_blocked &&
	    c->ctl_sent < c->ctl_end) {
		*nvec = ctl_vecs(c, vec, 4);
		return c->ctl_id;
	}
	TAILQ_FOREACH(os, &c->out_active, entry) {
		if (os->blocked || os->fin_sent)
			continue;
		c->offer_os = os;
		*nvec = ostream_vecs(c, os, vec, fin);
		return os->id;
	}
	return nq_app_next(c, vec, nvec, fin);
}

void
nq_advance(struct net_quic_conn *c, int64_t id, ngtcp2_ssize ndata, int fin)
{
	struct nq_ostream	*os = c->offer_os;
	struct nq_chunk		*k;

	if (id < 0 || ndata < 0)
		return;
	if (id == c->ctl_id) {
		c->ctl_sent += (uint64_t)ndata;
		while ((k = c->ctl_cur) != NULL &&
		    k->off + k->len <= c->ctl_sent)
			c->ctl_cur = TAILQ_NEXT(k, entry);
		return;
	}
	if (c->offer_as != NULL && c->offer_as->id == id) {
		nq_app_advance(c, c->offer_as, ndata, fin);
		return;
	}
	if (os == NULL || os->id != id)
		return;
	os->sent += (uint64_t)ndata;
	if (fin && (size_t)ndata == c->offer_len)
		os->fin_sent = 1;
	if (ndata > 0 && TAILQ_NEXT(os, entry) != NULL) {
		/* Round-robin among streams with data. */
		TAILQ_REMOVE(&c->out_active, os, entry);
		TAILQ_INSERT_TAIL(&c->out_active, os, entry);
	}
}

void
nq_block(struct net_quic_conn *c, int64_t id)
{
	if (id == c->ctl_id)
		c->ctl_blocked = 1;
	else if (c->offer_os != NULL && c->offer_os->id == id)
		c->offer_os->blocked = 1;
	else if (c->offer_as != NULL && c->offer_as->id == id)
		c->offer_as->blocked = 1;
}

uint64_t
nq_live_losses(struct net_quic_conn *c)
{
	struct nq_ostream	*os;
	uint64_t		 n = 0;

	if (c->ctl_id >= 0 && !c->ctl_closed)
		n += ngtcp2_conn_get_stream_loss_count(c->q, c->ctl_id);
	TAILQ_FOREACH(os, &c->out_active, entry)
		n += ngtcp2_conn_get_stream_loss_count(c->q, os->id);
	return n + nq_app_losses(c);
}

/* ---- ngtcp2 stream callbacks ---- */

static void
refuse(struct net_quic_conn *c, int64_t id, const char *what)
{
	c->st.streams_refused++;
	nq_log(c->ep, NET_QUIC_LOG_INFO, "quic: refusing %s stream %lld "
	    "from peer %s", what, (long long)id,
	    c->peer_id[0] ? c->peer_id : "(unauthenticated)");
	(void)ngtcp2_conn_shutdown_stream(c->q, id,
	    NET_QUIC_APP_STREAM_REFUSED);
}

static struct nq_istream *
istream_new(struct net_quic_conn *c, int64_t id)
{
	struct nq_istream	*is;

	if ((is = calloc(1, sizeof *is)) == NULL)
		return NULL;
	is->id = id;
	if (ngtcp2_conn_set_stream_user_data(c->q, id, is) != 0) {
		free(is);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&c->in_streams, is, entry);
	if (++c->peer_uni_open > c->st.peer_uni_max)
		c->st.peer_uni_max = c->peer_uni_open;
	return is;
}

int
nq_stream_open_cb(ngtcp2_conn *q, int64_t id, void *ud)
{
	struct net_quic_conn	*c = ud;

	(void)q;
	if (ngtcp2_conn_is_local_stream(c->q, id))
		return 0;
	if (!ngtcp2_is_bidi_stream(id)) {
		if (istream_new(c, id) == NULL)
			return NGTCP2_ERR_CALLBACK_FAILURE;
		return 0;
	}
	if (c->server && id == 0) {
		if (c->ctl_id < 0 && c->confirmed) {
			c->ctl_id = id;
			return 0;
		}
		refuse(c, id, "an early control");
		return 0;
	}
	if (nq_app_accept(c, id) == 0)
		return 0;
	refuse(c, id, "a bidirectional");
	return 0;
}

/*
 * A peer probe is over (verified, refused or reset).  ngtcp2 0.12.1
 * never closes a remote unidirectional stream (fixed in 0.14: commit
 * "Fix bug that a remote uni stream never be closed"), so neither
 * stream_close nor the credit for a next stream would ever come: we
 * detach our state and grant the next stream here.  The finished stream
 * stays in ngtcp2's table until the connection ends, so a connection
 * takes at most NQ_PEER_UNI_TOTAL probes and then asks to be redialled.
 */
static void
istream_finish(struct net_quic_conn *c, struct nq_istream *is)
{
	(void)ngtcp2_conn_set_stream_user_data(c->q, is->id, NULL);
	TAILQ_REMOVE(&c->in_streams, is, entry);
	c->peer_uni_open--;
	free(is);
	if (++c->peer_uni_done < NQ_PEER_UNI_TOTAL)
		ngtcp2_conn_extend_max_streams_uni(c->q, 1);
	else
		nq_conn_fail(c, NET_QUIC_APP_NO_ERROR, "the peer used up its "
		    "%u probe streams; reconnect", NQ_PEER_UNI_TOTAL);
}

const char *
nq_probe_header(const uint8_t *hdr, uint64_t probe_max, uint64_t *total)
{
	*total = get_be64(hdr + 8);
	if (memcmp(hdr, NQ_PROBE_MAGIC "\0\0\0\0", 8) != 0)
		return "bad probe header";
	if (*total == 0 || *total > probe_max)
		return "probe length out of range";
	return NULL;
}

static void
probe_recv(struct net_quic_conn *c, struct nq_istream *is, uint32_t flags,
    const uint8_t *data, size_t len)
{
	const char	*bad = NULL;
	uint64_t	 pos;
	size_t		 take;

	if (is->got == 0)
		is->t_first = nq_now();
	if (is->got < NQ_PROBE_HDR) {
		take = NQ_PROBE_HDR - (size_t)is->got;
		if (take > len)
			take = len;
		memcpy(is->hdr + is->got, data, take);
		is->got += take;
		data += take;
		len -= take;
		if (is->got == NQ_PROBE_HDR)
			bad = nq_probe_header(is->hdr, c->ep->cfg.probe_max,
			    &is->total);
	}
	if (bad == NULL && len > 0) {
		pos = is->got - NQ_PROBE_HDR;
		if (is->got < NQ_PROBE_HDR || pos + len > is->total)
			bad = "probe longer than announced";
		else if (!pattern_match(c->ep, pos, data, len))
			bad = "probe bytes differ from the pattern";
		else
			is->got += len;
	}
	if (bad == NULL && (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0) {
		if (is->got != NQ_PROBE_HDR + is->total)
			bad = "probe shorter than announced";
		else {
			result_queue(c, is->id, 0, 1, is->total, is->t_first);
			istream_finish(c, is);
			return;
		}
	}
	if (bad != NULL) {
		nq_log(c->ep, NET_QUIC_LOG_WARNING, "quic: probe stream %lld "
		    "from %s: %s", (long long)is->id,
		    c->peer_id[0] ? c->peer_id : "?", bad);
		result_queue(c, is->id, 0, 0, is->got > NQ_PROBE_HDR ?
		    is->got - NQ_PROBE_HDR : 0, is->t_first);
		/* Tell the sender to stop, unless it already finished. */
		if ((flags & NGTCP2_STREAM_DATA_FLAG_FIN) == 0)
			(void)ngtcp2_conn_shutdown_stream_read(c->q, is->id,
			    NET_QUIC_APP_PROBE_CORRUPT);
		istream_finish(c, is);
	}
}

int
nq_stream_data_cb(ngtcp2_conn *q, uint32_t flags, int64_t id,
    uint64_t offset, const uint8_t *data, size_t len, void *ud, void *sud)
{
	struct net_quic_conn	*c = ud;
	struct nq_istream	*is = sud;

	/* Everything is consumed on arrival: give the credit back. */
	ngtcp2_conn_extend_max_offset(q, len);
	if (id == c->ctl_id) {
		if (ngtcp2_conn_extend_max_stream_offset(q, id, len) != 0)
			return NGTCP2_ERR_CALLBACK_FAILURE;
		if (len > 0)
			ctl_recv(c, data, len);
		if ((flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0)
			nq_conn_fail(c, NET_QUIC_APP_PROTOCOL, "the peer ended "
			    "the control stream");
		return 0;
	}
	if (ngtcp2_is_bidi_stream(id)) {
		struct nq_astream	*a = nq_app_find(c, id);

		if (a != NULL)
			nq_app_data(c, a, flags, data, len);
		else if (!ngtcp2_conn_is_local_stream(q, id))
			/* refused: its bytes are dropped, credit returned */
			(void)ngtcp2_conn_extend_max_stream_offset(q, id, len);
		return 0;
	}
	if (ngtcp2_conn_is_local_stream(q, id))
		return 0;	/* our debug streams */
	if (ngtcp2_conn_extend_max_stream_offset(q, id, len) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (is == NULL) {
		if (offset != 0)
			return 0;	/* a finished probe's stragglers */
		if ((is = istream_new(c, id)) == NULL)
			return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	probe_recv(c, is, flags, data, len);
	return 0;
}

int
nq_stream_acked_cb(ngtcp2_conn *q, int64_t id, uint64_t offset,
    uint64_t len, void *ud, void *sud)
{
	struct net_quic_conn	*c = ud;

	(void)q;
	(void)sud;
	struct nq_astream	*a;

	if (id == c->ctl_id)
		ctl_acked(c, offset + len);
	else if ((a = nq_app_find(c, id)) != NULL)
		nq_app_acked(c, a, offset + len);
	return 0;
}

int
nq_stream_reset_cb(ngtcp2_conn *q, int64_t id, uint64_t final_size,
    uint64_t code, void *ud, void *sud)
{
	struct net_quic_conn	*c = ud;
	struct nq_istream	*is = sud;
	struct nq_astream	*a;

	(void)final_size;
	if (ngtcp2_is_bidi_stream(id) && id != c->ctl_id) {
		if ((a = nq_app_find(c, id)) != NULL)
			nq_app_peer_reset(c, a, code);
		return 0;
	}
	if (id == c->ctl_id)
		nq_conn_fail(c, NET_QUIC_APP_PROTOCOL, "the peer reset the "
		    "control stream (code 0x%llx)", (unsigned long long)code);
	else if (is != NULL && !ngtcp2_conn_is_local_stream(q, id) &&
	    !ngtcp2_is_bidi_stream(id)) {
		result_queue(c, id, 0, 0, is->got > NQ_PROBE_HDR ?
		    is->got - NQ_PROBE_HDR : 0, is->t_first);
		istream_finish(c, is);
	}
	return 0;
}

int
nq_stream_close_cb(ngtcp2_conn *q, uint32_t flags, int64_t id, uint64_t code,
    void *ud, void *sud)
{
	struct net_quic_conn	*c = ud;
	struct nq_ostream	*os;
	struct nq_istream	*is;
	int			 err = (flags &
				    NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET)
				    != 0;

	if (id == c->ctl_id) {
		c->lost_closed += ngtcp2_conn_get_stream_loss_count(q, id);
		c->ctl_closed = 1;
		nq_conn_fail(c, NET_QUIC_APP_PROTOCOL, "the control stream "
		    "closed (code 0x%llx)", (unsigned long long)code);
		return 0;
	}
	if (ngtcp2_is_bidi_stream(id)) {
		struct nq_astream	*a = nq_app_find(c, id);

		if (a != NULL) {
			nq_app_closed(c, a, err, code);
			return 0;
		}
		if (!ngtcp2_conn_is_local_stream(q, id)) {
			/* a refused one: the peer may open another */
			ngtcp2_conn_extend_max_streams_bidi(q, 1);
			return 0;
		}
	}
	if (ngtcp2_conn_is_local_stream(q, id)) {
		if ((os = sud) == NULL)
			return 0;
		c->lost_closed += ngtcp2_conn_get_stream_loss_count(q, id);
		if (err)
			c->st.streams_reset++;
		if (os->probe)
			result_queue(c, id, 1, !err && os->fin_sent,
			    err ? os->sent : os->paylen, os->t_start);
		TAILQ_REMOVE(&c->out_active, os, entry);
		if (c->offer_os == os)
			c->offer_os = NULL;
		if (!ngtcp2_is_bidi_stream(id))
			c->nactive_uni--;
		ostream_free(os);
		return 0;
	}
	if (!ngtcp2_is_bidi_stream(id) && (is = sud) != NULL) {
		/* Not with 0.12.1 (see istream_finish); with a fixed one. */
		result_queue(c, id, 0, 0, is->got > NQ_PROBE_HDR ?
		    is->got - NQ_PROBE_HDR : 0, is->t_first);
		istream_finish(c, is);
	}
	return 0;
}

void
nq_streams_free(struct net_quic_conn *c)
{
	struct nq_chunk		*k;
	struct nq_ostream	*os;
	struct nq_istream	*is;
	struct nq_result	*r;

	while ((k = TAILQ_FIRST(&c->ctl_q)) != NULL) {
		TAILQ_REMOVE(&c->ctl_q, k, entry);
		free(k);
	}
	while ((os = TAILQ_FIRST(&c->out_pending)) != NULL) {
		TAILQ_REMOVE(&c->out_pending, os, entry);
		ostream_free(os);
	}
	while ((os = TAILQ_FIRST(&c->out_active)) != NULL) {
		TAILQ_REMOVE(&c->out_active, os, entry);
		ostream_free(os);
	}
	while ((is = TAILQ_FIRST(&c->in_streams)) != NULL) {
		TAILQ_REMOVE(&c->in_streams, is, entry);
		free(is);
	}
	while ((r = TAILQ_FIRST(&c->results)) != NULL) {
		TAILQ_REMOVE(&c->results, r, entry);
		free(r);
	}
	nq_app_free(c);
}
