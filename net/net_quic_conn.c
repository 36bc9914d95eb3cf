/*
 * net_quic_conn.c - one QUIC connection: ngtcp2 and GnuTLS set up for
 * either role, the ngtcp2 callbacks that are not about streams, the
 * per-connection timer, the write loop, authentication and closing.
 *
 * Life of a connection (enum nq_state):
 *   HANDSHAKE -> OPEN        handshake confirmed on our side, TLS 1.3,
 *                            ALPN exogpu/1, and sec_tls_peer_node_id()
 *                            accepts the peer: cb.established.
 *   any -> CLOSING           we sent CONNECTION_CLOSE (net_quic_close, a
 *                            local error, a refused handshake); the
 *                            packet is repeated, sparingly, to a peer
 *                            that keeps talking, for 3 PTO.
 *   any -> DRAINING          the peer closed (or reset); silence, 3 PTO.
 *   any -> DEAD              idle or handshake timeout, or ngtcp2 says
 *                            drop: freed at once.
 * cb.closed is reported once, on leaving HANDSHAKE/OPEN, for every
 * connection the caller may know: the ones it dialled and the ones a peer
 * opened that got as far as sending a ClientHello (so refusals are seen
 * on both sides with the reason).
 *
 * Everything that drives ngtcp2 forward funnels into nq_conn_process():
 * the socket reader calls it after a batch of datagrams, the timer calls
 * it on expiry or after a kick.  It authenticates, opens the control
 * stream, starts queued probes, writes, delivers probe results, and arms
 * the timer from ngtcp2_conn_get_expiry().  Writing packs the packets of
 * a round into GSO batches (write_round) for nq_send_batch.
 *
 * Pacing: ngtcp2 0.12.1 computes a pacing gap from the 333 ms initial RTT
 * until it has a sample, which delays the client's second flight by
 * ~20 ms on loopback; we skip ngtcp2_conn_update_pkt_tx_time() until the
 * first RTT sample exists (fixed upstream in 0.14).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <event2/event.h>
#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "net_quic_int.h"
#include "sec_tls.h"

#define MS			NGTCP2_MILLISECONDS
#define STREAM_WINDOW		(1u << 20)	/* control stream, each way */
#define UNI_WINDOW		(4u << 20)	/* a probe stream */
#define CONN_WINDOW		(8u << 20)
#define MAX_STREAM_WINDOW	(16u << 20)	/* auto-tuning ceilings */
#define MAX_CONN_WINDOW		(32u << 20)
#define PEER_CID_LIMIT		4
#define CC_RESEND_GAP		(100 * MS)	/* between repeated closes */

static const gnutls_datum_t alpn = {
	(unsigned char *)(uintptr_t)NET_QUIC_ALPN, sizeof NET_QUIC_ALPN - 1
};

static void	on_timer(evutil_socket_t, short, void *);

/* ---- small helpers ---- */

static enum sec_tls_role
role_of(const struct net_quic_conn *c)
{
	return c->server ? SEC_TLS_SERVER : SEC_TLS_CLIENT;
}

static int
live(const struct net_quic_conn *c)
{
	return c->state == NQ_HANDSHAKE || c->state == NQ_OPEN;
}

static void	set_reason(struct net_quic_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
set_reason(struct net_quic_conn *c, const char *fmt, ...)
{
	va_list	ap;

	if (c->reason[0] != '\0')
		return;		/* the first reason is the real one */
	va_start(ap, fmt);
	(void)vsnprintf(c->reason, sizeof c->reason, fmt, ap);
	va_end(ap);
}

/* Printable ASCII of a peer's reason phrase, bounded. */
static void
phrase(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	size_t	i, j = 0;

	for (i = 0; i < n && j + 1 < outlen; i++)
		out[j++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[j] = '\0';
}

void
nq_conn_kick(struct net_quic_conn *c)
{
	struct timeval	tv = { 0, 0 };

	c->kicked = 1;
	if (evtimer_add(c->timer, &tv) < 0)
		nq_log(c->ep, NET_QUIC_LOG_ERR, "quic: cannot arm a timer");
}

static void
arm_at(struct net_quic_conn *c, uint64_t when)
{
	struct timeval	tv = { 0, 0 };
	uint64_t	now = nq_now(), d;

	if (c->kicked)
		when = now;
	if (when == UINT64_MAX) {
		(void)evtimer_del(c->timer);
		return;
	}
	if (when > now) {
		d = (when - now + 999) / 1000;	/* round up to microseconds */
		tv.tv_sec = (time_t)(d / 1000000);
		tv.tv_usec = (suseconds_t)(d % 1000000);
	}
	if (evtimer_add(c->timer, &tv) < 0)
		nq_log(c->ep, NET_QUIC_LOG_ERR, "quic: cannot arm a timer");
}

/* ---- ngtcp2 callbacks (not stream related) ---- */

static ngtcp2_conn *
get_conn(ngtcp2_crypto_conn_ref *ref)
{
	struct net_quic_conn	*c = ref->user_data;

	return c->q;
}

static void
rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	ssize_t	n;
	size_t	got = 0;

	(void)ctx;
	if (gnutls_rnd(GNUTLS_RND_NONCE, dest, len) == 0)
		return;
	/* No way to report failure here: fall back to the kernel. */
	while (got < len) {
		n = getrandom(dest + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();
		got += (size_t)n;
	}
}

static int
new_cid(struct net_quic_conn *c, ngtcp2_cid *cid, size_t len)
{
	int	tries;

	for (tries = 0; tries < 8; tries++) {
		if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, len) < 0)
			return -1;
		cid->datalen = len;
		if (nq_cid_add(c->ep, c, cid->data, len) == 0)
			return 0;
	}
	return -1;
}

static int
get_new_cid_cb(ngtcp2_conn *q, ngtcp2_cid *cid, uint8_t *token, size_t len,
    void *ud)
{
	struct net_quic_conn	*c = ud;

	(void)q;
	if (new_cid(c, cid, len) < 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (ngtcp2_crypto_generate_stateless_reset_token(token, c->ep->secret,
	    sizeof c->ep->secret, cid) != 0) {
		nq_cid_del(c->ep, cid->data, cid->datalen);
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

static int
remove_cid_cb(ngtcp2_conn *q, const ngtcp2_cid *cid, void *ud)
{
	struct net_quic_conn	*c = ud;

	(void)q;
	nq_cid_del(c->ep, cid->data, cid->datalen);
	return 0;
}

static int
recv_crypto_data_cb(ngtcp2_conn *q, ngtcp2_crypto_level level,
    uint64_t offset, const uint8_t *data, size_t len, void *ud)
{
	struct net_quic_conn	*c = ud;

	/* A ClientHello got this far: the caller hears how it ends. */
	c->got_crypto = 1;
	c->visible = 1;
	return ngtcp2_crypto_recv_crypto_data_cb(q, level, offset, data, len,
	    ud);
}

/*
 * RFC 9001 4.1.2: a server's handshake is confirmed when it completes -
 * it has then verified the client's certificate and Finished, and the
 * client sent Finished only after accepting ours.  A client must wait
 * for HANDSHAKE_DONE (handshake_confirmed): before that a server that
 * refuses our certificate can still close on us.
 */
static int
handshake_completed_cb(ngtcp2_conn *q, void *ud)
{
	struct net_quic_conn	*c = ud;

	(void)q;
	if (c->server)
		c->confirmed = 1;
	return 0;
}

static int
handshake_confirmed_cb(ngtcp2_conn *q, void *ud)
{
	struct net_quic_conn	*c = ud;

	(void)q;
	c->confirmed = 1;
	return 0;
}

static int
recv_stateless_reset_cb(ngtcp2_conn *q, const ngtcp2_pkt_stateless_reset *sr,
    void *ud)
{
	struct net_quic_conn	*c = ud;

	(void)q;
	(void)sr;
	set_reason(c, "the peer reset the connection (stateless reset: it "
	    "lost the connection's state, e.g. restarted)");
	return 0;
}

/* Servers: a ClientHello without ALPN exogpu/1 ends the handshake. */
static int
alpn_hook(gnutls_session_t s, unsigned htype, unsigned when,
    unsigned incoming, const gnutls_datum_t *msg)
{
	gnutls_datum_t	p;

	(void)htype;
	(void)when;
	(void)incoming;
	(void)msg;
	if (gnutls_alpn_get_selected_protocol(s, &p) < 0 ||
	    p.size != alpn.size || memcmp(p.data, alpn.data, alpn.size) != 0)
		return GNUTLS_E_NO_APPLICATION_PROTOCOL;
	return 0;
}

static void
callbacks_init(ngtcp2_callbacks *cb, int server)
{
	memset(cb, 0, sizeof *cb);
	if (server)
		cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	else {
		cb->client_initial = ngtcp2_crypto_client_initial_cb;
		cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
	}
	cb->recv_crypto_data = recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx =
	    ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb->rand = rand_cb;
	cb->get_new_connection_id = get_new_cid_cb;
	cb->remove_connection_id = remove_cid_cb;
	cb->handshake_completed = handshake_completed_cb;
	cb->handshake_confirmed = handshake_confirmed_cb;
	cb->recv_stateless_reset = recv_stateless_reset_cb;
	cb->stream_open = nq_stream_open_cb;
	cb->recv_stream_data = nq_stream_data_cb;
	cb->stream_close = nq_stream_close_cb;
	cb->stream_reset = nq_stream_reset_cb;
	cb->acked_stream_data_offset = nq_stream_acked_cb;
}

static void
settings_init(struct net_quic_conn *c, ngtcp2_settings *s)
{
	struct net_quic_endpoint	*ep = c->ep;

	ngtcp2_settings_default(s);
	s->initial_ts = nq_now();
	s->handshake_timeout = (uint64_t)ep->cfg.handshake_timeout_ms * MS;
	/*
	 * RFC 9002's 333 ms assumes nothing about the path; ours are LANs
	 * (and loopback), where a lost first Initial then cost a whole
	 * second of PTO when 31 agents joined one at once.  On a longer
	 * path the worst case is one spurious retransmission.
	 */
	s->initial_rtt = NQ_INITIAL_RTT_MS * MS;
	s->max_window = MAX_CONN_WINDOW;
	s->max_stream_window = MAX_STREAM_WINDOW;
	/*
	 * A jumbo path (nq_path_payload): datagrams of the path's size once
	 * the handshake is done (ngtcp2 0.12's path MTU discovery stops at
	 * 1444), as far as the peer's max_udp_payload_size allows.  Per
	 * datagram costs (AEAD calls, header protection, ngtcp2's packet
	 * work, ACKs) are then spread over six (a 9000-byte MTU) to eleven
	 * (NQ_PAYLOAD_AUTO) times the bytes.
	 */
	if (c->jumbo) {
		s->max_tx_udp_payload_size = c->payload;
		s->no_tx_udp_payload_size_shaping = 1;
		s->no_pmtud = 1;
	} else if (c->payload < s->max_tx_udp_payload_size) {
		/* a cap below 1452: path MTU discovery stays under it */
		s->max_tx_udp_payload_size = c->payload;
	}
}

/*
 * Our limits, sent to the peer: the control stream and
 * NET_QUIC_APP_STREAMS application streams at once, NQ_UNI_STREAMS
 * unidirectional ones at a time, bounded windows, and the largest
 * datagram our side of the path carries (so a jumbo peer does not send
 * us datagrams our MTU cannot take).
 */
static void
params_init(struct net_quic_conn *c, ngtcp2_transport_params *p)
{
	ngtcp2_transport_params_default(p);
	p->initial_max_streams_bidi = 1 + NET_QUIC_APP_STREAMS;
	p->initial_max_streams_uni = NQ_UNI_STREAMS;
	p->initial_max_stream_data_bidi_local = STREAM_WINDOW;
	p->initial_max_stream_data_bidi_remote = STREAM_WINDOW;
	p->initial_max_stream_data_uni = UNI_WINDOW;
	p->initial_max_data = CONN_WINDOW;
	p->max_idle_timeout = (uint64_t)c->ep->cfg.idle_timeout_ms * MS;
	p->active_connection_id_limit = PEER_CID_LIMIT;
	p->max_datagram_frame_size = 0;
	p->max_udp_payload_size = c->payload;
}

/* ---- creation ---- */

static struct net_quic_conn *
conn_alloc(struct net_quic_endpoint *ep, struct nq_sock *s,
    const struct sockaddr *local, socklen_t locallen,
    const struct sockaddr *remote, socklen_t remotelen, int server)
{
	struct net_quic_conn	*c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->ep = ep;
	c->sock = s;
	c->server = server;
	c->state = NQ_HANDSHAKE;
	c->ctl_id = -1;
	memcpy(&c->local, local, locallen);
	c->locallen = locallen;
	memcpy(&c->remote, remote, remotelen);
	c->remotelen = remotelen;
	c->payload = nq_path_payload(ep, remote, remotelen, &c->jumbo);
	c->ref.get_conn = get_conn;
	c->ref.user_data = c;
	TAILQ_INIT(&c->ctl_q);
	TAILQ_INIT(&c->out_pending);
	TAILQ_INIT(&c->out_active);
	TAILQ_INIT(&c->results);
	TAILQ_INIT(&c->in_streams);
	TAILQ_INIT(&c->astreams);
	if ((c->timer = evtimer_new(ep->base, on_timer, c)) == NULL) {
		free(c);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&ep->conns, c, entry);
	ep->nconns++;
	if (server) {
		c->counted_hs = 1;
		ep->nhandshakes++;
	}
	return c;
}

static void
conn_free(struct net_quic_conn *c)
{
	struct net_quic_endpoint	*ep = c->ep;

	if (c->in_dirty)
		TAILQ_REMOVE(&ep->dirty, c, dentry);
	TAILQ_REMOVE(&ep->conns, c, entry);
	ep->nconns--;
	if (c->counted_hs)
		ep->nhandshakes--;
	nq_cid_del_conn(ep, c);
	event_free(c->timer);
	if (c->q != NULL)
		ngtcp2_conn_del(c->q);
	if (c->tls != NULL)
		gnutls_deinit(c->tls);
	nq_streams_free(c);
	free(c->ccpkt);
	free(c);
}

static int
tls_init(struct net_quic_conn *c, char *err, size_t errlen)
{
	char	why[256];
	int	rc;

	rc = gnutls_init(&c->tls, (c->server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
	    GNUTLS_NO_TICKETS);
	if (rc < 0) {
		c->tls = NULL;
		(void)snprintf(err, errlen, "TLS: %s", gnutls_strerror(rc));
		return -1;
	}
	if (sec_tls_session_setup(c->tls, c->ep->cfg.cred, role_of(c), why,
	    sizeof why) < 0) {
		(void)snprintf(err, errlen, "TLS setup: %s", why);
		return -1;
	}
	rc = c->server ? ngtcp2_crypto_gnutls_configure_server_session(c->tls) :
	    ngtcp2_crypto_gnutls_configure_client_session(c->tls);
	if (rc != 0) {
		(void)snprintf(err, errlen, "TLS: QUIC configuration failed");
		return -1;
	}
	gnutls_session_set_ptr(c->tls, &c->ref);
	if ((rc = gnutls_alpn_set_protocols(c->tls, &alpn, 1,
	    GNUTLS_ALPN_MANDATORY)) < 0) {
		(void)snprintf(err, errlen, "ALPN: %s", gnutls_strerror(rc));
		return -1;
	}
	/* MANDATORY alone still accepts a ClientHello without ALPN. */
	if (c->server)
		gnutls_handshake_set_hook_function(c->tls,
		    GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_POST, alpn_hook);
	ngtcp2_conn_set_tls_native_handle(c->q, c->tls);
	return 0;
}

/*
 * ngtcp2's keep-alive timeout: 0 is none (0.12; UINT64_MAX overflows its
 * expiry and sends PINGs without pause).
 */
static ngtcp2_duration
keepalive_ns(const struct net_quic_endpoint *ep)
{
	if (ep->cfg.keepalive_ms == NET_QUIC_KEEPALIVE_OFF)
		return 0;
	return (uint64_t)ep->cfg.keepalive_ms * MS;
}

static void
path_of(struct net_quic_conn *c, ngtcp2_path *path)
{
	memset(path, 0, sizeof *path);
	path->local.addr = (ngtcp2_sockaddr *)&c->local;
	path->local.addrlen = c->locallen;
	path->remote.addr = (ngtcp2_sockaddr *)&c->remote;
	path->remote.addrlen = c->remotelen;
}

struct net_quic_conn *
nq_conn_accept(struct net_quic_endpoint *ep, struct nq_sock *s,
    const ngtcp2_path *path, const ngtcp2_pkt_hd *hd)
{
	struct net_quic_conn	*c;
	ngtcp2_callbacks	 cb;
	ngtcp2_settings		 settings;
	ngtcp2_transport_params	 params;
	ngtcp2_path		 p;
	ngtcp2_cid		 scid;
	char			 err[256];
	int			 rv;

	c = conn_alloc(ep, s, (const struct sockaddr *)path->local.addr,
	    path->local.addrlen, (const struct sockaddr *)path->remote.addr,
	    path->remote.addrlen, 1);
	if (c == NULL)
		return NULL;
	if (new_cid(c, &scid, NQ_CIDLEN) < 0 ||
	    nq_cid_add(ep, c, hd->dcid.data, hd->dcid.datalen) < 0)
		goto fail;
	callbacks_init(&cb, 1);
	settings_init(c, &settings);
	params_init(c, &params);
	params.original_dcid = hd->dcid;
	params.stateless_reset_token_present = 1;
	if (ngtcp2_crypto_generate_stateless_reset_token(
	    params.stateless_reset_token, ep->secret, sizeof ep->secret,
	    &scid) != 0)
		goto fail;
	path_of(c, &p);
	rv = ngtcp2_conn_server_new(&c->q, &hd->scid, &scid, &p, hd->version,
	    &cb, &settings, &params, NULL, c);
	if (rv != 0) {
		c->q = NULL;
		goto fail;
	}
	ngtcp2_conn_set_keep_alive_timeout(c->q, keepalive_ns(ep));
	if (tls_init(c, err, sizeof err) < 0) {
		nq_log(ep, NET_QUIC_LOG_ERR, "quic: %s", err);
		goto fail;
	}
	return c;
fail:
	conn_free(c);
	return NULL;
}

struct net_quic_conn *
net_quic_connect(struct net_quic_endpoint *ep, const struct sockaddr *addr,
    socklen_t addrlen, char *err, size_t errlen)
{
	struct net_quic_conn	*c;
	struct nq_sock		*s;
	struct sockaddr_storage	 local;
	socklen_t		 locallen;
	ngtcp2_callbacks	 cb;
	ngtcp2_settings		 settings;
	ngtcp2_transport_params	 params;
	ngtcp2_path		 p;
	ngtcp2_cid		 scid, dcid;
	char			 text[64];
	int			 rv;

	if (ep->freeing || addr == NULL || addrlen > sizeof local) {
		(void)snprintf(err, errlen, "quic connect: bad arguments");
		return NULL;
	}
	nq_addr_text(addr, text, sizeof text);
	if ((s = nq_sock_for(ep, addr->sa_family)) == NULL) {
		(void)snprintf(err, errlen, "quic connect %s: no socket of "
		    "that address family", text);
		return NULL;
	}
	if (ep->nconns >= ep->cfg.max_conns) {
		(void)snprintf(err, errlen, "quic connect %s: connection "
		    "limit (%u) reached", text, ep->cfg.max_conns);
		return NULL;
	}
	if (nq_local_for(s, addr, addrlen, &local, &locallen) < 0) {
		(void)snprintf(err, errlen, "quic connect %s: no route: %s",
		    text, strerror(errno));
		return NULL;
	}
	c = conn_alloc(ep, s, (struct sockaddr *)&local, locallen, addr,
	    addrlen, 0);
	if (c == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->visible = 1;
	dcid.datalen = 18;
	if (new_cid(c, &scid, NQ_CIDLEN) < 0 ||
	    gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen) < 0) {
		(void)snprintf(err, errlen, "quic connect: no randomness");
		goto fail;
	}
	callbacks_init(&cb, 0);
	settings_init(c, &settings);
	params_init(c, &params);
	path_of(c, &p);
	rv = ngtcp2_conn_client_new(&c->q, &dcid, &scid, &p,
	    NGTCP2_PROTO_VER_V1, &cb, &settings, &params, NULL, c);
	if (rv != 0) {
		c->q = NULL;
		(void)snprintf(err, errlen, "quic connect: %s",
		    ngtcp2_strerror(rv));
		goto fail;
	}
	ngtcp2_conn_set_keep_alive_timeout(c->q, keepalive_ns(ep));
	if (tls_init(c, err, errlen) < 0)
		goto fail;
	nq_log(ep, NET_QUIC_LOG_DEBUG, "quic: dialling %s", text);
	nq_conn_kick(c);
	return c;
fail:
	conn_free(c);
	return NULL;
}

/* ---- closing ---- */

static void
send_close_packet(struct net_quic_conn *c)
{
	if (c->ccpkt != NULL)
		(void)nq_send(c->sock, (struct sockaddr *)&c->local,
		    (struct sockaddr *)&c->remote, c->remotelen, c->ccpkt,
		    c->ccpktlen);
}

/* Writes CONNECTION_CLOSE with ccerr and enters the closing period. */
static void
close_with(struct net_quic_conn *c, const ngtcp2_connection_close_error *e)
{
	ngtcp2_path_storage	ps;
	uint8_t			buf[NQ_PKT_MAX];
	ngtcp2_ssize		n;
	uint64_t		now = nq_now();

	if (!live(c))
		return;
	c->state = NQ_CLOSING;
	c->close_deadline = now + 3 * ngtcp2_conn_get_pto(c->q);
	if (ngtcp2_conn_is_in_closing_period(c->q) ||
	    ngtcp2_conn_is_in_draining_period(c->q))
		return;
	ngtcp2_path_storage_zero(&ps);
	n = ngtcp2_conn_write_connection_close(c->q, &ps.path, NULL, buf,
	    sizeof buf, e, now);
	if (n <= 0)
		return;
	if ((c->ccpkt = malloc((size_t)n)) == NULL)
		return;
	memcpy(c->ccpkt, buf, (size_t)n);
	c->ccpktlen = (size_t)n;
	c->cc_last = now;
	send_close_packet(c);
	c->st.pkts_sent++;
	c->st.bytes_sent += (uint64_t)n;
}

static void
close_liberr(struct net_quic_conn *c, int liberr)
{
	ngtcp2_connection_close_error	e;

	ngtcp2_connection_close_error_set_transport_error_liberr(&e, liberr,
	    NULL, 0);
	close_with(c, &e);
}

static void
close_app(struct net_quic_conn *c, uint64_t code, const char *text)
{
	ngtcp2_connection_close_error	e;

	ngtcp2_connection_close_error_set_application_error(&e, code,
	    (const uint8_t *)text, strlen(text));
	close_with(c, &e);
}

void
nq_conn_fail(struct net_quic_conn *c, uint64_t app_code, const char *fmt,
    ...)
{
	va_list	ap;

	if (!live(c) || c->close_req)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(c->close_text, sizeof c->close_text, fmt, ap);
	va_end(ap);
	set_reason(c, "closed locally: %s", c->close_text);
	c->close_req = 1;
	c->close_code = app_code;
	nq_conn_kick(c);
}

void
net_quic_close(struct net_quic_conn *c, uint64_t app_code,
    const char *reason)
{
	nq_conn_fail(c, app_code, "%s", reason == NULL ? "" : reason);
}

static void
enter_draining(struct net_quic_conn *c)
{
	ngtcp2_connection_close_error	e;
	char				p[128];
	unsigned			alert;

	if (!live(c))
		return;
	c->state = NQ_DRAINING;
	c->close_deadline = nq_now() + 3 * ngtcp2_conn_get_pto(c->q);
	ngtcp2_conn_get_connection_close_error(c->q, &e);
	phrase(e.reason, e.reasonlen, p, sizeof p);
	if (e.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT &&
	    (e.error_code & ~0xffull) == NGTCP2_CRYPTO_ERROR) {
		alert = (unsigned)(e.error_code & 0xff);
		set_reason(c, "handshake: the peer refused us: TLS alert "
		    "\"%s\" (0x%llx)%s%s",
		    gnutls_alert_get_name((gnutls_alert_description_t)alert),
		    (unsigned long long)e.error_code, p[0] ? ": " : "", p);
	} else if (e.type ==
	    NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION)
		set_reason(c, "closed by the peer: application code 0x%llx%s%s",
		    (unsigned long long)e.error_code, p[0] ? ": " : "", p);
	else
		set_reason(c, "closed by the peer: transport error 0x%llx%s%s",
		    (unsigned long long)e.error_code, p[0] ? ": " : "", p);
}

/* A failed handshake on our side: why, in sec_tls's words. */
static void
explain_tls_failure(struct net_quic_conn *c)
{
	char		buf[NET_QUIC_REASON_MAX - 16];
	unsigned	alert = ngtcp2_conn_get_tls_alert(c->q);
	int		rc;

	switch (alert) {
	case GNUTLS_A_BAD_CERTIFICATE:
	case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
	case GNUTLS_A_CERTIFICATE_REVOKED:
	case GNUTLS_A_CERTIFICATE_EXPIRED:
	case GNUTLS_A_CERTIFICATE_UNKNOWN:
	case GNUTLS_A_UNKNOWN_CA:
		rc = GNUTLS_E_CERTIFICATE_ERROR;
		break;
	case GNUTLS_A_CERTIFICATE_REQUIRED:
		rc = GNUTLS_E_CERTIFICATE_REQUIRED;
		break;
	case GNUTLS_A_NO_APPLICATION_PROTOCOL:
		set_reason(c, "handshake: we refused the peer: it did not "
		    "offer ALPN %s", NET_QUIC_ALPN);
		return;
	case 0:
		set_reason(c, "handshake failed in TLS (no alert)");
		return;
	default:
		set_reason(c, "handshake failed: we sent TLS alert \"%s\"",
		    gnutls_alert_get_name((gnutls_alert_description_t)alert));
		return;
	}
	sec_tls_explain(c->tls, role_of(c), rc, buf, sizeof buf);
	set_reason(c, "handshake: %s", buf);
}

static void
read_error(struct net_quic_conn *c, int rv)
{
	ngtcp2_connection_close_error	e;

	switch (rv) {
	case NGTCP2_ERR_DRAINING:
		enter_draining(c);
		break;
	case NGTCP2_ERR_DROP_CONN:
	case NGTCP2_ERR_RETRY:
		set_reason(c, "dropped: %s", ngtcp2_strerror(rv));
		c->state = NQ_DEAD;
		break;
	case NGTCP2_ERR_CRYPTO:
		explain_tls_failure(c);
		ngtcp2_connection_close_error_set_transport_error_tls_alert(&e,
		    ngtcp2_conn_get_tls_alert(c->q), NULL, 0);
		close_with(c, &e);
		break;
	default:
		set_reason(c, "protocol error: %s", ngtcp2_strerror(rv));
		close_liberr(c, rv);
		break;
	}
}

void
nq_conn_read(struct net_quic_conn *c, const ngtcp2_path *path,
    const uint8_t *pkt, size_t len)
{
	uint64_t	now;
	int		rv;

	if (c->state == NQ_DEAD || c->state == NQ_DRAINING)
		return;
	c->st.pkts_recv++;
	c->st.bytes_recv += len;
	now = nq_now();
	if (c->state == NQ_CLOSING) {
		/* The peer missed our close: repeat it, sparingly. */
		if (c->ccpkt != NULL && c->cc_last + CC_RESEND_GAP < now) {
			c->cc_last = now;
			send_close_packet(c);
		}
		return;
	}
	rv = ngtcp2_conn_read_pkt(c->q, path, NULL, pkt, len, now);
	if (rv != 0)
		read_error(c, rv);
}

static void
expiry_error(struct net_quic_conn *c, int rv)
{
	switch (rv) {
	case NGTCP2_ERR_IDLE_CLOSE:
		set_reason(c, "idle timeout: nothing heard for %u ms",
		    c->ep->cfg.idle_timeout_ms);
		c->state = NQ_DEAD;
		break;
	case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
		set_reason(c, "handshake timeout after %u ms",
		    c->ep->cfg.handshake_timeout_ms);
		c->state = NQ_DEAD;
		break;
	default:
		set_reason(c, "timer: %s", ngtcp2_strerror(rv));
		close_liberr(c, rv);
		break;
	}
}

/* ---- authentication ---- */

int
nq_conn_authenticate(struct net_quic_conn *c)
{
	struct net_quic_endpoint	*ep = c->ep;
	gnutls_datum_t			 p;
	char				 err[256], addr[64];

	if (gnutls_protocol_get_version(c->tls) != GNUTLS_TLS1_3) {
		nq_conn_fail(c, NET_QUIC_APP_PROTOCOL, "not TLS 1.3");
		return -1;
	}
	if (gnutls_alpn_get_selected_protocol(c->tls, &p) < 0 ||
	    p.size != alpn.size || memcmp(p.data, alpn.data, alpn.size) != 0) {
		nq_conn_fail(c, NET_QUIC_APP_PROTOCOL, "ALPN is not %s",
		    NET_QUIC_ALPN);
		return -1;
	}
	if (sec_tls_peer_node_id(c->tls, role_of(c), c->peer_id, err,
	    sizeof err) < 0) {
		c->peer_id[0] = '\0';
		nq_conn_fail(c, NET_QUIC_APP_PROTOCOL, "peer not "
		    "authenticated: %s", err);
		return -1;
	}
	c->state = NQ_OPEN;
	c->visible = 1;
	if (c->counted_hs) {
		c->counted_hs = 0;
		ep->nhandshakes--;
	}
	nq_addr_text((struct sockaddr *)&c->remote, addr, sizeof addr);
	nq_log(ep, NET_QUIC_LOG_INFO, "quic: %s %s authenticated as %s",
	    c->server ? "peer" : "server", addr, c->peer_id);
	if (ep->cfg.cb.established != NULL)
		ep->cfg.cb.established(c, c->peer_id,
		    (struct sockaddr *)&c->remote, c->remotelen, ep->cfg.arg);
	return 0;
}

/* ---- the write loop ---- */

/*
 * The datagrams of one send, in ep->txbuf: all on one path, all seg
 * bytes but the last, so the kernel can cut them apart (GSO) - or
 * sendmmsg hands them over one by one.
 */
struct batch {
	struct sockaddr_storage	local, remote;
	socklen_t		locallen, remotelen;
	size_t			len, seg, nseg;
};

static int
batch_path_is(const struct batch *b, const ngtcp2_path *p)
{
	return p->local.addrlen == b->locallen &&
	    p->remote.addrlen == b->remotelen &&
	    memcmp(p->local.addr, &b->local, b->locallen) == 0 &&
	    memcmp(p->remote.addr, &b->remote, b->remotelen) == 0;
}

static void
batch_start(struct batch *b, const ngtcp2_path *p, size_t seg)
{
	memcpy(&b->local, p->local.addr, p->local.addrlen);
	b->locallen = p->local.addrlen;
	memcpy(&b->remote, p->remote.addr, p->remote.addrlen);
	b->remotelen = p->remote.addrlen;
	b->seg = seg;
	b->len = b->nseg = 0;
}

/* -1: the socket is full. */
static int
batch_send(struct net_quic_conn *c, struct batch *b)
{
	int	rc;

	if (b->len == 0)
		return 0;
	rc = nq_send_batch(c->sock, (struct sockaddr *)&b->local,
	    (struct sockaddr *)&b->remote, b->remotelen, c->ep->txbuf, b->len,
	    b->seg);
	b->len = b->nseg = 0;
	return rc;
}

/* The size of a full packet on this path: ngtcp2's, but on a jumbo path
 * (no shaping) also within what the peer said it takes. */
static size_t
path_max(struct net_quic_conn *c)
{
	const ngtcp2_transport_params	*rp;
	size_t				 m;

	m = ngtcp2_conn_get_path_max_tx_udp_payload_size(c->q);
	if (c->jumbo &&
	    (rp = ngtcp2_conn_get_remote_transport_params(c->q)) != NULL &&
	    rp->max_udp_payload_size < m)
		m = (size_t)rp->max_udp_payload_size;
	return m;
}

/* Room for a batch's first packet: a PMTUD probe may be larger than
 * the path's size so far; a jumbo path's datagrams are larger still. */
static size_t
first_room(const struct net_quic_conn *c)
{
	return c->jumbo && c->payload > NQ_PKT_MAX ? c->payload : NQ_PKT_MAX;
}

/* Most bytes in one batch: ngtcp2's send quantum, within our buffer,
 * and never less than one packet. */
static size_t
batch_max(struct net_quic_conn *c)
{
	size_t	q = ngtcp2_conn_get_send_quantum(c->q);

	if (q > NQ_BATCH_BYTES)
		q = NQ_BATCH_BYTES;
	return q < first_room(c) ? first_room(c) : q;
}

/*
 * Packets are written into the batch back to back.  The first gets room
 * for the largest packet (first_room) and sets the segment size; the
 * next ones get exactly that room.  The batch goes out when a packet
 * comes out shorter (it is the last), when the first packet was already
 * short of a full one (an ACK), when it is full, or when ngtcp2 has
 * nothing more; a packet for another path (a path being validated) sends
 * what is there and starts a new batch.
 */
static int
write_round(struct net_quic_conn *c)
{
	uint8_t			*buf = c->ep->txbuf;
	struct batch		 b;
	ngtcp2_path_storage	 ps;
	ngtcp2_conn_stat	 cs;
	ngtcp2_vec		 vec[4];
	ngtcp2_ssize		 n, ndata;
	size_t			 nvec, room, maxb, pmax, prev;
	uint64_t		 ts = nq_now();
	uint32_t		 flags;
	int64_t			 sid;
	unsigned		 batches = 0;
	int			 fin, more = 0, full = 0, ship;

	ngtcp2_path_storage_zero(&ps);
	memset(&b, 0, sizeof b);
	maxb = batch_max(c);
	pmax = path_max(c);
	nq_round_reset(c);
	for (;;) {
		room = b.len == 0 ? first_room(c) : b.seg;
		nvec = 0;
		fin = 0;
		sid = c->state == NQ_OPEN ? nq_next_data(c, vec, &nvec, &fin) :
		    -1;
		flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
		if (fin)
			flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		n = ngtcp2_conn_writev_stream(c->q, &ps.path, NULL,
		    buf + b.len, room, &ndata, flags, sid, vec, nvec, ts);
		if (n < 0) {
			switch (n) {
			case NGTCP2_ERR_WRITE_MORE:
				nq_advance(c, sid, ndata, fin);
				continue;
			case NGTCP2_ERR_STREAM_DATA_BLOCKED:
			case NGTCP2_ERR_STREAM_SHUT_WR:
			case NGTCP2_ERR_STREAM_NOT_FOUND:
				nq_block(c, sid);
				continue;
			default:
				set_reason(c, "write: %s",
				    ngtcp2_strerror((int)n));
				close_liberr(c, (int)n);
				return -1;
			}
		}
		if (sid >= 0 && ndata >= 0)
			nq_advance(c, sid, ndata, fin);
		if (n == 0)
			break;
		c->st.pkts_sent++;
		c->st.bytes_sent += (uint64_t)n;
		if (b.len > 0 && !batch_path_is(&b, &ps.path)) {
			prev = b.len;
			full = batch_send(c, &b) < 0;
			memmove(buf, buf + prev, (size_t)n);
		}
		if (b.len == 0)
			batch_start(&b, &ps.path, (size_t)n);
		b.len += (size_t)n;
		b.nseg++;
		ship = full || b.seg < pmax || (size_t)n < b.seg ||
		    b.nseg >= NQ_BATCH_SEGS || b.len + b.seg > maxb;
		if (!ship)
			continue;
		if (batch_send(c, &b) < 0 || full) {
			more = 1;	/* socket full: let the loop breathe */
			break;
		}
		if (++batches >= NQ_BURST) {
			more = 1;
			break;
		}
	}
	if (batch_send(c, &b) < 0)
		more = 1;
	ngtcp2_conn_get_conn_stat(c->q, &cs);
	if (cs.first_rtt_sample_ts != UINT64_MAX)
		ngtcp2_conn_update_pkt_tx_time(c->q, ts);
	if (more)
		nq_conn_kick(c);
	return 0;
}

/* ---- processing ---- */

static void
report_closed(struct net_quic_conn *c)
{
	struct net_quic_endpoint	*ep = c->ep;
	char				 addr[64];

	if (c->closed_reported)
		return;
	c->closed_reported = 1;
	if (c->reason[0] == '\0')
		set_reason(c, "closed");
	nq_addr_text((struct sockaddr *)&c->remote, addr, sizeof addr);
	/* A caller's own close (codes from 0x100) is logged by the caller,
	 * once: here it is only info, so a refused peer that keeps dialling
	 * does not write a notice per attempt. */
	if (c->visible)
		nq_log(ep, c->state == NQ_OPEN || (c->close_req &&
		    c->close_code >= 0x100) ? NET_QUIC_LOG_INFO :
		    NET_QUIC_LOG_NOTICE, "quic: connection %s %s%s%s: %s",
		    c->server ? "from" : "to", addr,
		    c->peer_id[0] ? " peer " : "", c->peer_id, c->reason);
	if (c->visible && ep->cfg.cb.closed != NULL)
		ep->cfg.cb.closed(c, c->reason, ep->cfg.arg);
}

/*
 * The congestion state when a probe ends (debug log): a probe figure
 * below the link's rate is explained by these (a small ssthresh is an
 * early exit from slow start, lost packets a congestion event).
 */
static void
log_probe_cc(struct net_quic_conn *c, const struct net_quic_probe_result *r)
{
	ngtcp2_conn_stat	cs;

	ngtcp2_conn_get_conn_stat(c->q, &cs);
	nq_log(c->ep, NET_QUIC_LOG_DEBUG, "quic: probe %s %s: %.0f B/s over "
	    "%.3f s; cwnd %llu ssthresh %llu, rtt min %.3f smoothed %.3f ms, "
	    "lost %llu", r->outgoing ? "to" : "from",
	    c->peer_id[0] ? c->peer_id : "?", r->rate, r->seconds,
	    (unsigned long long)cs.cwnd, (unsigned long long)cs.ssthresh,
	    (double)cs.min_rtt / 1e6, (double)cs.smoothed_rtt / 1e6,
	    (unsigned long long)c->st.lost_pkts);
}

static void
deliver_results(struct net_quic_conn *c)
{
	struct net_quic_endpoint	*ep = c->ep;
	struct nq_result		*r;

	while (live(c) && (r = TAILQ_FIRST(&c->results)) != NULL) {
		TAILQ_REMOVE(&c->results, r, entry);
		c->st.have_probe = 1;
		c->st.last_probe = r->r;
		log_probe_cc(c, &r->r);
		if (ep->cfg.cb.probe_done != NULL)
			ep->cfg.cb.probe_done(c, &r->r, ep->cfg.arg);
		free(r);
	}
}

/* One pass; returns 1 if the connection was freed. */
static int
process_once(struct net_quic_conn *c)
{
	if (c->close_req && live(c))
		close_app(c, c->close_code, c->close_text);
	if (!live(c)) {
		report_closed(c);
		if (c->state == NQ_DEAD || nq_now() >= c->close_deadline ||
		    c->ep->freeing) {
			conn_free(c);
			return 1;
		}
		c->kicked = 0;
		arm_at(c, c->close_deadline);
		return 0;
	}
	if (c->confirmed && c->state == NQ_HANDSHAKE &&
	    nq_conn_authenticate(c) < 0)
		return 0;
	if (c->state == NQ_OPEN && !c->close_req) {
		if (!c->server && c->ctl_id < 0 && nq_open_control(c) < 0)
			nq_conn_fail(c, NET_QUIC_APP_INTERNAL, "cannot open "
			    "the control stream");
		nq_start_pending(c);
	}
	if (!c->close_req && write_round(c) == 0)
		deliver_results(c);
	return 0;
}

void
nq_conn_process(struct net_quic_conn *c)
{
	int	pass;

	c->kicked = 0;
	for (pass = 0; pass < 3; pass++) {
		if (process_once(c))
			return;
		if (live(c) && !c->close_req)
			break;
		if (!live(c) && c->closed_reported)
			return;		/* closing/draining timer armed */
	}
	if (live(c))
		arm_at(c, ngtcp2_conn_get_expiry(c->q));
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct net_quic_conn	*c = arg;
	int			 rv;

	(void)fd;
	(void)what;
	if (live(c)) {
		rv = ngtcp2_conn_handle_expiry(c->q, nq_now());
		if (rv != 0)
			expiry_error(c, rv);
	}
	nq_conn_process(c);
}

/* Endpoint teardown: close what is live, report, free. */
void
nq_conn_shutdown(struct net_quic_conn *c)
{
	if (live(c)) {
		set_reason(c, "endpoint shutting down");
		close_app(c, NET_QUIC_APP_SHUTDOWN, "shutting down");
	}
	report_closed(c);
	conn_free(c);
}

/*
 * This connection's keep-alive, whatever the endpoint's: a PING after ms
 * of silence (NET_QUIC_KEEPALIVE_OFF: none), so that an application can
 * keep some sessions up and let the others idle out.
 */
void
net_quic_conn_keepalive(struct net_quic_conn *c, unsigned ms)
{
	if (!live(c))
		return;
	ngtcp2_conn_set_keep_alive_timeout(c->q, ms == NET_QUIC_KEEPALIVE_OFF ?
	    0 : (uint64_t)ms * MS);
	nq_conn_kick(c);
}

/* ---- getters ---- */

int
net_quic_conn_stats(struct net_quic_conn *c, struct net_quic_stats *st)
{
	ngtcp2_conn_stat	cs;

	*st = c->st;
	ngtcp2_conn_get_conn_stat(c->q, &cs);
	if (cs.first_rtt_sample_ts != UINT64_MAX) {
		st->min_rtt = (double)cs.min_rtt / 1e9;
		st->smoothed_rtt = (double)cs.smoothed_rtt / 1e9;
		st->latest_rtt = (double)cs.latest_rtt / 1e9;
		st->rttvar = (double)cs.rttvar / 1e9;
	}
	st->delivery_rate = cs.delivery_rate_sec;
	st->cwnd = cs.cwnd;
	st->udp_payload = path_max(c);
	st->lost_pkts = c->lost_closed + (live(c) ? nq_live_losses(c) : 0);
	st->loss_ratio = st->pkts_sent == 0 ? 0.0 :
	    (double)st->lost_pkts / (double)st->pkts_sent;
	st->control_queued = c->ctl_end - c->ctl_acked;
	return 0;
}

const char *
net_quic_conn_peer_id(const struct net_quic_conn *c)
{
	return c->state == NQ_OPEN ? c->peer_id : NULL;
}

const struct sockaddr *
net_quic_conn_peer_addr(const struct net_quic_conn *c, socklen_t *len)
{
	if (len != NULL)
		*len = c->remotelen;
	return (const struct sockaddr *)&c->remote;
}

int
net_quic_conn_is_client(const struct net_quic_conn *c)
{
	return !c->server;
}

void
net_quic_conn_set_data(struct net_quic_conn *c, void *p)
{
	c->user = p;
}

void *
net_quic_conn_data(const struct net_quic_conn *c)
{
	return c->user;
}
