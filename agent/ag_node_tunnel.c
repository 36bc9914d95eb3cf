/*
 * ag_node_tunnel.c - TCP-over-QUIC tunnels to placement workers
 * (docs/tunnel.md).  llama.cpp's RPC servers have no authentication, so
 * they listen on 127.0.0.1 only and the agents carry their traffic over
 * the mutually authenticated QUIC connection they already hold.
 *
 * Client side: POST /v1/tunnels {placement, stage} opens (or reuses) a
 * listener on 127.0.0.1:0 for that stage; every TCP connection accepted
 * there becomes one application stream (net_quic_stream_open) to the
 * stage's node, whose first bytes are the tunnel header (net_tunnel.h).
 * Server side: a peer's application stream is taken, its header read and
 * authorised against the committed placement (auth_check), and the
 * stream is joined to a TCP connection to the worker port this node
 * configured for the stage's device (tunnel-target DEVICE=PORT).
 *
 * One struct tun joins one TCP socket to one QUIC stream, whichever side
 * opened it: a bufferevent connects it and writes to it, and our own read
 * event reads it, 64 KiB a read() for as long as the socket has more (a
 * bufferevent read asks the kernel how much is there, an ioctl per read,
 * reads what one loop turn finds and copies once more: the client's
 * agent needed 2.7 CPU-seconds per GB of a bulk transfer, now about 1,
 * docs/tunnel.md).  Backpressure, both ways, with
 * bounded memory:
 *   TCP -> QUIC: up to TUN_CHUNK bytes per read() are copied into the
 *     stream's send queue; reading stops while more than TUN_SENDQ bytes
 *     are unacknowledged and resumes from cb.stream_acked;
 *   QUIC -> TCP: received bytes go to the bufferevent's output and their
 *     stream credit is returned only as the kernel takes them (the output
 *     buffer's callback counts deleted bytes), so the output holds at
 *     most one stream window (ngtcp2's max_stream_window, 16 MiB).
 * Half-close maps to FIN both ways (TCP EOF -> FIN; FIN -> shutdown of
 * the TCP write side once the output is flushed); an error either way
 * is a stream reset (NET_TUNNEL_APP_*) and a closed socket.
 *
 * The tick closes listeners and tunnels whose placement was released or
 * re-planned (another epoch), and peer streams whose header has not come
 * within TUN_HDR_WAIT_S; a lost connection closes its tunnels.  The
 * operator's diagnostic listeners ("force" with a node and an epoch) send
 * a given header unchecked, so the receiving side's refusals can be
 * tested; they and their tunnels close after TUN_RAW_LIFE_S, and the tick
 * leaves those tunnels alone otherwise (closing them for the header they
 * were asked to send would race the receiving side's refusal).
 * Refusals are counted; the first one from each peer is logged (then
 * only counted) and the first authorised open of each placement by each
 * peer is audited, so a peer cannot flood the log or the audit chain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/queue.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "ag_fsm.h"
#include "ag_log.h"
#include "ag_worker.h"
#include "ag_node_int.h"
#include "ag_raft.h"
#include "net_tunnel.h"

#define TUN_LISTENERS	32		/* client listeners at once */
#define TUN_SENDQ	(2u << 20)	/* unacked TCP->QUIC bytes */
#define TUN_WRITE_MAX	(256u << 10)	/* bufferevent write per turn */
#define TUN_CHUNK	(64u << 10)	/* bytes per stream write */
#define TUN_NOTED	256		/* peers logged / pairs audited */
#define TUN_HDR_WAIT_S	5.0		/* a peer's header comes by */
#define TUN_RAW_LIFE_S	120.0		/* diagnostic listener life */

enum tun_role { TUN_CLIENT, TUN_SERVER };

struct tun {
	struct ag_tunnels	*t;
	enum tun_role		 role;
	struct net_quic_conn	*conn;	/* NULL: the stream is gone */
	int64_t			 sid;
	struct bufferevent	*bev;	/* connect, write, events */
	struct event		*rev;	/* our reads (tun_pump) */
	char			 peer[SEC_NODE_ID_SIZE];
	uint64_t		 placement, epoch;
	uint32_t		 stage;
	int			 authorised;	/* server: header accepted */
	uint8_t			 hdr[NET_TUNNEL_HDR_MAX];
	size_t			 hdrlen;
	int			 connected;	/* the TCP side is up */
	int			 tcp_eof;	/* TCP said EOF */
	int			 fin_sent;	/* ... and we sent FIN */
	int			 quic_fin;	/* peer's FIN arrived */
	int			 wr_shut;	/* TCP write side shut */
	int			 paused;	/* TCP reading stopped */
	int			 raw;	/* from a diagnostic listener */
	double			 created;	/* monotonic s */
	TAILQ_ENTRY(tun)	 entry;
};
TAILQ_HEAD(tunq, tun);

struct tun_listener {
	struct ag_tunnels	*t;
	struct evconnlistener	*lev;	/* NULL: slot free */
	uint64_t		 placement, epoch;
	uint32_t		 stage;
	char			 node[SEC_NODE_ID_SIZE]; /* stage's */
	int			 port;
	uint64_t		 accepted;
	int			 raw;		/* diagnostic, unchecked */
	double			 expires;	/* raw: monotonic s */
};

struct ag_tunnels {
	struct ag_node		*n;
	struct tunq		 tuns;
	unsigned		 ntuns;
	struct tun_listener	 ls[TUN_LISTENERS];
	char			 logged[TUN_NOTED][SEC_NODE_ID_SIZE];
	unsigned		 nlogged;
	struct {
		uint64_t	placement;
		char		peer[SEC_NODE_ID_SIZE];
	}			 audited[TUN_NOTED];
	unsigned		 naudited;
	struct ag_tunnel_counters c;
};

static int	tun_pump(struct tun *);

/* ---- small helpers ---- */

static const struct ag_fsm *
fsm_of(struct ag_node *n)
{
	return n->cluster != NULL ? ag_raft_fsm(ag_cluster_raft(n->cluster)) :
	    NULL;
}

static const struct ag_placement *
placement_of(struct ag_node *n, uint64_t id)
{
	const struct ag_fsm	*f = fsm_of(n);

	return f != NULL ? ag_fsm_find(f, id) : NULL;
}

/*
 * The placement's client: the node that may open tunnels to its workers,
 * the node the placement call came from (committed with it); a placement
 * from before that was recorded falls back to the node of stage 0
 * (docs/tunnel.md, "Who may open a tunnel").
 */
static const char *
client_of(const struct ag_placement *p)
{
	if (p->client[0] != '\0')
		return p->client;
	return p->nstages > 0 ? p->stages[0].node : "";
}

/*
 * The worker behind a stage: the one this agent supervises for it (the
 * placement's committed epoch) once ready, else a port configured for
 * the device (tunnel-target, for a worker the agent does not run).
 */
static int
target_port(struct ag_node *n, const struct ag_placement *p, uint32_t stage)
{
	const char	*device = p->stages[stage].device;
	const char	*d = strchr(device, '/');
	uint32_t	 port;
	int		 i;

	if ((port = ag_workers_port(n->workers, p->id, p->epoch, stage)) != 0)
		return (int)port;
	d = d != NULL ? d + 1 : device;
	for (i = 0; i < n->cfg->ntunnel_targets; i++)
		if (strcmp(n->cfg->tunnel_targets[i].device, d) == 0)
			return n->cfg->tunnel_targets[i].port;
	return 0;
}

static struct net_quic_conn *
conn_to(struct ag_node *n, const char *node)
{
	int	i = ag_node_peer_find(n, node);

	if (i < 0 || n->peers[i].link == NULL || !n->peers[i].link->hello)
		return NULL;
	return n->peers[i].link->conn;
}

static struct tun *
tun_find(struct ag_tunnels *t, struct net_quic_conn *c, int64_t sid)
{
	struct tun	*u;

	TAILQ_FOREACH(u, &t->tuns, entry)
		if (u->conn == c && u->sid == sid)
			return u;
	return NULL;
}

/* A refusal: counted always, logged the first time for each peer. */
static void
refused(struct ag_tunnels *t, const char *peer, const char *why)
{
	unsigned	i;

	t->c.refused++;
	for (i = 0; i < t->nlogged; i++)
		if (strcmp(t->logged[i], peer) == 0)
			return;
	if (t->nlogged < TUN_NOTED)
		(void)snprintf(t->logged[t->nlogged++], SEC_NODE_ID_SIZE, "%s",
		    peer);
	ag_log(AG_LOG_WARNING, "tunnel: refused a stream from peer %s: %s "
	    "(further refusals from it are only counted)", peer, why);
}

static void
audit_open(struct ag_tunnels *t, struct tun *u, int port)
{
	char		object[48], actor[8 + SEC_NODE_ID_SIZE];
	unsigned	i, slot;

	for (i = 0; i < t->naudited; i++)
		if (t->audited[i].placement == u->placement &&
		    strcmp(t->audited[i].peer, u->peer) == 0)
			return;
	slot = t->naudited < TUN_NOTED ? t->naudited++ :
	    (unsigned)(u->placement % TUN_NOTED);
	t->audited[slot].placement = u->placement;
	(void)snprintf(t->audited[slot].peer, SEC_NODE_ID_SIZE, "%s", u->peer);
	(void)snprintf(object, sizeof object, "placement/%llu",
	    (unsigned long long)u->placement);
	(void)snprintf(actor, sizeof actor, "node:%s", u->peer);
	(void)ag_node_audit(t->n, actor, "tunnel.open", object, 1,
	    "epoch %llu stage %u: tunnels from the placement's client to the "
	    "worker on 127.0.0.1:%d (the first one is recorded)",
	    (unsigned long long)u->epoch, u->stage, port);
	ag_log(AG_LOG_INFO, "tunnel: peer %s opens placement %llu stage %u "
	    "(worker 127.0.0.1:%d)", u->peer,
	    (unsigned long long)u->placement, u->stage, port);
}

/* ---- one tunnel's life ---- */

static void
tun_free(struct tun *u)
{
	struct ag_tunnels	*t = u->t;

	if (u->conn != NULL)
		(void)net_quic_stream_reset(u->conn, u->sid,
		    NET_TUNNEL_APP_ABORT);
	if (u->rev != NULL)
		event_free(u->rev);
	if (u->bev != NULL)
		bufferevent_free(u->bev);
	TAILQ_REMOVE(&t->tuns, u, entry);
	t->ntuns--;
	free(u);
}

/* Over when the stream is gone and the TCP side has nothing left. */
static void
tun_maybe_done(struct tun *u)
{
	if (u->conn == NULL && (u->bev == NULL ||
	    evbuffer_get_length(bufferevent_get_output(u->bev)) == 0))
		tun_free(u);
}

/* Bytes the kernel took from the TCP output: credit for the peer. */
static void
out_drained(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct tun	*u = arg;

	(void)b;
	if (info->n_deleted == 0)
		return;
	u->t->c.bytes_to_tcp += info->n_deleted;
	if (u->conn != NULL)
		(void)net_quic_stream_consume(u->conn, u->sid,
		    info->n_deleted);
}

/* Our read event on or off. */
static void
tun_reading(struct tun *u, int on)
{
	if (u->rev == NULL)
		return;
	if ((on ? event_add(u->rev, NULL) : event_del(u->rev)) != 0)
		ag_log(AG_LOG_ERR, "tunnel: cannot %s reading a connection",
		    on ? "start" : "stop");
}

/*
 * TCP -> QUIC, while the stream's queue is under its bound: reads until
 * the socket has no more (a short read says so without another call),
 * EOF (then FIN) or the bound; -1: freed.
 */
static int
tun_pump(struct tun *u)
{
	uint8_t		 buf[TUN_CHUNK];
	ssize_t		 n;

	if (u->bev == NULL || u->conn == NULL || !u->connected) {
		tun_reading(u, 0);	/* level-triggered: no spinning */
		return 0;
	}
	while (!u->tcp_eof) {
		if (net_quic_stream_queued(u->conn, u->sid) >= TUN_SENDQ) {
			if (!u->paused)
				tun_reading(u, 0);
			u->paused = 1;
			return 0;
		}
		n = read(bufferevent_getfd(u->bev), buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			tun_free(u);	/* a reset TCP side: reset the stream */
			return -1;
		}
		if (n == 0) {
			u->tcp_eof = 1;
			tun_reading(u, 0);
			break;
		}
		if (net_quic_stream_write(u->conn, u->sid, buf, (size_t)n,
		    0) != 0) {
			tun_free(u);
			return -1;
		}
		u->t->c.bytes_to_quic += (uint64_t)n;
		if ((size_t)n < sizeof buf)
			break;
	}
	if (u->paused) {
		u->paused = 0;
		if (!u->tcp_eof)
			tun_reading(u, 1);
	}
	if (u->tcp_eof && !u->fin_sent) {
		u->fin_sent = 1;
		(void)net_quic_stream_write(u->conn, u->sid, NULL, 0, 1);
	}
	return 0;
}

static void
on_tcp_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)tun_pump(arg);
}

/* The TCP side is up: read it from now on; -1: freed. */
static int
tun_read_start(struct tun *u)
{
	struct ag_node	*n = u->t->n;

	/* Off already (a socket bufferevent starts write-only); made sure:
	 * bytes it read would never reach the stream. */
	if (bufferevent_disable(u->bev, EV_READ) != 0) {
		tun_free(u);
		return -1;
	}
	u->rev = event_new(n->base, bufferevent_getfd(u->bev),
	    EV_READ | EV_PERSIST, on_tcp_readable, u);
	if (u->rev == NULL) {
		tun_free(u);
		return -1;
	}
	tun_reading(u, 1);
	return tun_pump(u);
}

static void
on_tcp_write(struct bufferevent *bev, void *arg)
{
	struct tun	*u = arg;

	(void)bev;
	if (u->quic_fin && !u->wr_shut) {
		u->wr_shut = 1;
		(void)shutdown(bufferevent_getfd(u->bev), SHUT_WR);
	}
	tun_maybe_done(u);
}

/* RPC messages are small and latency-bound: no Nagle delay. */
static void
nodelay(evutil_socket_t fd)
{
	int	one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void
on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct tun	*u = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		nodelay(bufferevent_getfd(u->bev));
		u->connected = 1;
		(void)tun_read_start(u);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		if (u->role == TUN_SERVER && !u->connected) {
			u->t->c.unreachable++;
			if (u->conn != NULL)
				(void)net_quic_stream_reset(u->conn, u->sid,
				    NET_TUNNEL_APP_UNREACH);
			u->conn = NULL;
		}
		tun_free(u);
	}
}

static int
tun_attach(struct tun *u, evutil_socket_t fd)
{
	struct ag_node	*n = u->t->n;

	u->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (u->bev == NULL)
		return -1;
	/* The bufferevent never reads (tun_pump does). */
	bufferevent_setcb(u->bev, NULL, on_tcp_write, on_tcp_event, u);
	/* libevent's default is 16 KiB a loop turn. */
	(void)bufferevent_set_max_single_write(u->bev, TUN_WRITE_MAX);
	if (evbuffer_add_cb(bufferevent_get_output(u->bev), out_drained, u) ==
	    NULL)
		return -1;
	return 0;
}

static struct tun *
tun_new(struct ag_tunnels *t, enum tun_role role, struct net_quic_conn *c,
    int64_t sid, const char *peer)
{
	struct tun	*u;

	if ((u = calloc(1, sizeof *u)) == NULL)
		return NULL;
	u->t = t;
	u->role = role;
	u->conn = c;
	u->sid = sid;
	u->created = ag_node_now();
	(void)snprintf(u->peer, sizeof u->peer, "%s", peer);
	TAILQ_INSERT_TAIL(&t->tuns, u, entry);
	t->ntuns++;
	return u;
}

/* ---- client side: listeners ---- */

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct tun_listener	*l = arg;
	struct ag_tunnels	*t = l->t;
	struct ag_node		*n = t->n;
	struct net_quic_conn	*c;
	struct net_tunnel_hdr	 h;
	struct tun		*u;
	uint8_t			 hdr[NET_TUNNEL_HDR_MAX];
	int64_t			 sid;
	int			 hl;

	(void)lev;
	(void)sa;
	(void)salen;
	l->accepted++;
	if (t->ntuns >= (unsigned)n->cfg->tunnel_max) {
		t->c.limited++;
		ag_log(AG_LOG_WARNING, "tunnel: placement %llu stage %u: "
		    "%u tunnels open already (tunnel-max); connection closed",
		    (unsigned long long)l->placement, l->stage, t->ntuns);
		evutil_closesocket(fd);
		return;
	}
	h.placement = l->placement;
	h.epoch = l->epoch;
	h.stage = l->stage;
	if ((c = conn_to(n, l->node)) == NULL ||
	    (hl = net_tunnel_hdr_encode(&h, hdr, sizeof hdr)) < 0 ||
	    (sid = net_quic_stream_open(c)) < 0) {
		t->c.unreachable++;
		ag_log(AG_LOG_WARNING, "tunnel: placement %llu stage %u: no "
		    "stream to node %s now (not connected, or its stream "
		    "limit); connection closed",
		    (unsigned long long)l->placement, l->stage, l->node);
		evutil_closesocket(fd);
		return;
	}
	if ((u = tun_new(t, TUN_CLIENT, c, sid, l->node)) == NULL) {
		(void)net_quic_stream_reset(c, sid, NET_TUNNEL_APP_ABORT);
		evutil_closesocket(fd);
		return;
	}
	u->placement = l->placement;
	u->epoch = l->epoch;
	u->stage = l->stage;
	u->raw = l->raw;
	u->authorised = 1;
	u->connected = 1;
	nodelay(fd);
	if (evutil_make_socket_nonblocking(fd) != 0 || tun_attach(u, fd) != 0 ||
	    net_quic_stream_write(c, sid, hdr, (size_t)hl, 0) != 0) {
		if (u->bev == NULL)
			evutil_closesocket(fd);
		tun_free(u);
		return;
	}
	t->c.opened++;
	(void)tun_read_start(u);
}

static void
listener_close(struct ag_tunnels *t, struct tun_listener *l)
{
	struct tun	*u, *next;

	evconnlistener_free(l->lev);
	l->lev = NULL;
	for (u = TAILQ_FIRST(&t->tuns); u != NULL; u = next) {
		next = TAILQ_NEXT(u, entry);
		if (u->role == TUN_CLIENT && u->placement == l->placement &&
		    u->stage == l->stage)
			tun_free(u);
	}
}

static int	listener_open(struct ag_tunnels *, struct tun_listener *,
		    uint64_t, uint64_t, uint32_t, const char *,
		    struct tun_listener **, char *, size_t);

/*
 * Opens (or finds) the listener for a stage; 0 with *out, or an HTTP
 * status with why.
 */
static int
listener_get(struct ag_tunnels *t, uint64_t id, uint32_t stage, int force,
    struct tun_listener **out, char *why, size_t whylen)
{
	struct ag_node			*n = t->n;
	const struct ag_placement	*p = placement_of(n, id);
	struct tun_listener		*l = NULL;
	int				 i;

	if (p == NULL || !ag_auth_owns(&n->who, p->tenant)) {
		(void)snprintf(why, whylen, "no live placement %llu",
		    (unsigned long long)id);
		return 404;
	}
	if (stage >= (uint32_t)p->nstages) {
		(void)snprintf(why, whylen, "placement %llu has %d stages",
		    (unsigned long long)id, p->nstages);
		return 400;
	}
	if (!force && strcmp(client_of(p), n->trust.node_id) != 0) {
		(void)snprintf(why, whylen, "this node is not placement %llu's "
		    "client (node %s, which asked for it, is)",
		    (unsigned long long)id, client_of(p));
		return 409;
	}
	if (strcmp(p->stages[stage].node, n->trust.node_id) == 0) {
		(void)snprintf(why, whylen, "stage %u is on this node: "
		    "connect to its worker directly", stage);
		return 409;
	}
	for (i = 0; i < TUN_LISTENERS; i++) {
		if (t->ls[i].lev != NULL && !t->ls[i].raw &&
		    t->ls[i].placement == id && t->ls[i].stage == stage &&
		    t->ls[i].epoch == p->epoch) {
			*out = &t->ls[i];
			return 0;
		}
		if (l == NULL && t->ls[i].lev == NULL)
			l = &t->ls[i];
	}
	if (l == NULL) {
		(void)snprintf(why, whylen, "%d tunnel listeners open already",
		    TUN_LISTENERS);
		return 503;
	}
	return listener_open(t, l, id, p->epoch, stage,
	    p->stages[stage].node, out, why, whylen);
}

/* Binds l on 127.0.0.1:0 for that header and node; 0 or 500. */
static int
listener_open(struct ag_tunnels *t, struct tun_listener *l, uint64_t id,
    uint64_t epoch, uint32_t stage, const char *node,
    struct tun_listener **out, char *why, size_t whylen)
{
	struct ag_node		*n = t->n;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(l, 0, sizeof *l);
	l->t = t;
	l->lev = evconnlistener_new_bind(n->base, on_accept, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    64, (struct sockaddr *)&sin, sizeof sin);
	if (l->lev == NULL || getsockname(evconnlistener_get_fd(l->lev),
	    (struct sockaddr *)&sin, &sl) != 0) {
		(void)snprintf(why, whylen, "cannot listen on 127.0.0.1: %s",
		    strerror(errno));
		if (l->lev != NULL)
			evconnlistener_free(l->lev);
		l->lev = NULL;
		return 500;
	}
	l->placement = id;
	l->epoch = epoch;
	l->stage = stage;
	l->port = ntohs(sin.sin_port);
	(void)snprintf(l->node, sizeof l->node, "%s", node);
	ag_log(AG_LOG_INFO, "tunnel: placement %llu stage %u (node %s) on "
	    "127.0.0.1:%d", (unsigned long long)id, stage, l->node, l->port);
	*out = l;
	return 0;
}

/*
 * A diagnostic listener (docs/tunnel.md, "force"): it sends exactly the
 * header it is given to the node it is given, so an operator can check
 * what the receiving side refuses; it lives TUN_RAW_LIFE_S.
 */
static int
listener_raw(struct ag_tunnels *t, uint64_t id, uint64_t epoch,
    uint32_t stage, const char *node, struct tun_listener **out, char *why,
    size_t whylen)
{
	struct ag_node	*n = t->n;
	int		 i, rc;

	if (strcmp(node, n->trust.node_id) == 0 || conn_to(n, node) == NULL) {
		(void)snprintf(why, whylen, "node %s is not a connected peer",
		    node);
		return 409;
	}
	for (i = 0; i < TUN_LISTENERS; i++)
		if (t->ls[i].lev == NULL)
			break;
	if (i == TUN_LISTENERS) {
		(void)snprintf(why, whylen, "%d tunnel listeners open already",
		    TUN_LISTENERS);
		return 503;
	}
	if ((rc = listener_open(t, &t->ls[i], id, epoch, stage, node, out,
	    why, whylen)) != 0)
		return rc;
	t->ls[i].raw = 1;
	t->ls[i].expires = ag_node_now() + TUN_RAW_LIFE_S;
	return 0;
}

/* ---- server side: a peer's stream ---- */

/* NULL if the committed state authorises u (header read), else why. */
static const char *
auth_check(struct ag_node *n, const struct tun *u, int *port)
{
	const struct ag_placement	*p = placement_of(n, u->placement);
	const struct ag_stage		*s;

	if (p == NULL)
		return "no live placement with that id";
	if (p->epoch != u->epoch)
		return "the placement was re-planned (stale epoch)";
	if (u->stage >= (uint32_t)p->nstages)
		return "no such stage";
	if (strcmp(client_of(p), u->peer) != 0)
		return "the peer is not the placement's client";
	s = &p->stages[u->stage];
	if (strcmp(s->node, n->trust.node_id) != 0)
		return "the stage is not on this node";
	if ((*port = target_port(n, p, u->stage)) == 0)
		return "no ready worker for the stage (supervised, or "
		    "tunnel-target)";
	return NULL;
}

static void
server_refuse(struct tun *u, uint64_t code, const char *why)
{
	refused(u->t, u->peer, why);
	(void)net_quic_stream_reset(u->conn, u->sid, code);
	u->conn = NULL;
	tun_free(u);
}

/* The header is complete: authorise, connect, pass the rest on. */
static void
server_start(struct tun *u, size_t used)
{
	struct ag_node		*n = u->t->n;
	struct sockaddr_in	 sin;
	const char		*why;
	int			 port = 0;

	if ((why = auth_check(n, u, &port)) != NULL) {
		server_refuse(u, NET_TUNNEL_APP_REFUSED, why);
		return;
	}
	u->authorised = 1;
	if (tun_attach(u, -1) != 0) {
		tun_free(u);
		return;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	audit_open(u->t, u, port);
	u->t->c.opened++;
	(void)net_quic_stream_consume(u->conn, u->sid, used);
	if (u->hdrlen > used &&
	    bufferevent_write(u->bev, u->hdr + used, u->hdrlen - used) != 0) {
		tun_free(u);
		return;
	}
	if (bufferevent_socket_connect(u->bev, (struct sockaddr *)&sin,
	    sizeof sin) != 0) {
		u->t->c.unreachable++;
		(void)net_quic_stream_reset(u->conn, u->sid,
		    NET_TUNNEL_APP_UNREACH);
		u->conn = NULL;
		tun_free(u);
	}
}

int
ag_node_tunnel_stream_open(struct net_quic_conn *c, int64_t sid, void *arg)
{
	struct ag_node		*n = arg;
	struct ag_tunnels	*t = n->tunnels;
	struct ag_link		*l = net_quic_conn_data(c);
	const char		*peer = net_quic_conn_peer_id(c);

	if (t == NULL || l == NULL || l->peer < 0 || peer == NULL) {
		if (t != NULL)
			t->c.refused++;
		return -1;
	}
	if (t->ntuns >= (unsigned)n->cfg->tunnel_max) {
		t->c.limited++;
		refused(t, peer, "too many tunnels (tunnel-max)");
		return -1;
	}
	return tun_new(t, TUN_SERVER, c, sid, peer) != NULL ? 0 : -1;
}

void
ag_node_tunnel_stream_data(struct net_quic_conn *c, int64_t sid,
    const uint8_t *buf, size_t len, int fin, void *arg)
{
	struct ag_node		*n = arg;
	struct tun		*u;
	struct net_tunnel_hdr	 h;
	char			 why[96];
	size_t			 take, used = 0;
	int			 rc;

	if (n->tunnels == NULL || (u = tun_find(n->tunnels, c, sid)) == NULL)
		return;
	if (u->role == TUN_SERVER && !u->authorised) {
		take = sizeof u->hdr - u->hdrlen;
		if (take > len)
			take = len;
		memcpy(u->hdr + u->hdrlen, buf, take);
		u->hdrlen += take;
		buf += take;
		len -= take;
		rc = net_tunnel_hdr_parse(u->hdr, u->hdrlen, &h, &used, why,
		    sizeof why);
		if (rc == 1 && fin)
			(void)snprintf(why, sizeof why, "stream ended inside "
			    "the tunnel header");
		if (rc < 0 || (rc == 1 && fin)) {
			server_refuse(u, NET_TUNNEL_APP_BADHDR, why);
			return;
		}
		if (rc == 1)
			return;
		u->placement = h.placement;
		u->epoch = h.epoch;
		u->stage = h.stage;
		server_start(u, used);
		if ((u = tun_find(n->tunnels, c, sid)) == NULL)
			return;
	}
	if (len > 0 && bufferevent_write(u->bev, buf, len) != 0) {
		tun_free(u);
		return;
	}
	if (fin) {
		u->quic_fin = 1;
		if (evbuffer_get_length(bufferevent_get_output(u->bev)) == 0)
			on_tcp_write(u->bev, u);
	}
}

void
ag_node_tunnel_stream_acked(struct net_quic_conn *c, int64_t sid,
    uint64_t queued, void *arg)
{
	struct ag_node	*n = arg;
	struct tun	*u;

	if (n->tunnels == NULL || (u = tun_find(n->tunnels, c, sid)) == NULL)
		return;
	if (u->paused && queued < TUN_SENDQ / 2)
		(void)tun_pump(u);
}

void
ag_node_tunnel_stream_closed(struct net_quic_conn *c, int64_t sid,
    int reset, uint64_t code, void *arg)
{
	struct ag_node	*n = arg;
	struct tun	*u;

	if (n->tunnels == NULL || (u = tun_find(n->tunnels, c, sid)) == NULL)
		return;
	u->conn = NULL;
	if (reset) {
		n->tunnels->c.reset++;
		if (u->role == TUN_CLIENT && code == NET_TUNNEL_APP_REFUSED)
			ag_log(AG_LOG_WARNING, "tunnel: node %s refused "
			    "placement %llu stage %u", u->peer,
			    (unsigned long long)u->placement, u->stage);
		tun_free(u);
		return;
	}
	tun_maybe_done(u);
}

/* The connection is gone: so are its streams (no callbacks for them). */
void
ag_node_tunnel_conn_closed(struct ag_node *n, struct net_quic_conn *c)
{
	struct tun	*u, *next;

	if (n->tunnels == NULL)
		return;
	for (u = TAILQ_FIRST(&n->tunnels->tuns); u != NULL; u = next) {
		next = TAILQ_NEXT(u, entry);
		if (u->conn == c) {
			u->conn = NULL;
			tun_free(u);
		}
	}
}

/* 1 if a tunnel runs over c (its session must not be closed as idle). */
int
ag_node_tunnel_conn_busy(struct ag_node *n, const struct net_quic_conn *c)
{
	struct tun	*u;

	if (n->tunnels == NULL)
		return 0;
	TAILQ_FOREACH(u, &n->tunnels->tuns, entry)
		if (u->conn == c)
			return 1;
	return 0;
}

/* Listeners and tunnels of released or re-planned placements close. */
void
ag_node_tunnel_tick(struct ag_node *n)
{
	struct ag_tunnels		*t = n->tunnels;
	const struct ag_placement	*p;
	struct tun			*u, *next;
	int				 i;

	if (t == NULL)
		return;
	for (i = 0; i < TUN_LISTENERS; i++) {
		if (t->ls[i].lev == NULL)
			continue;
		if (t->ls[i].raw) {
			if (ag_node_now() >= t->ls[i].expires)
				listener_close(t, &t->ls[i]);
			continue;
		}
		p = placement_of(n, t->ls[i].placement);
		if (p != NULL && p->epoch == t->ls[i].epoch)
			continue;
		ag_log(AG_LOG_INFO, "tunnel: placement %llu stage %u %s: "
		    "closing 127.0.0.1:%d", (unsigned long long)
		    t->ls[i].placement, t->ls[i].stage, p == NULL ?
		    "released" : "re-planned", t->ls[i].port);
		listener_close(t, &t->ls[i]);
	}
	for (u = TAILQ_FIRST(&t->tuns); u != NULL; u = next) {
		next = TAILQ_NEXT(u, entry);
		if (!u->authorised) {
			/* A stream that never finishes its header. */
			if (ag_node_now() - u->created > TUN_HDR_WAIT_S &&
			    u->conn != NULL)
				server_refuse(u, NET_TUNNEL_APP_BADHDR,
				    "no complete header within 5 s");
			continue;
		}
		if (u->raw) {
			/* Its header is off on purpose: the receiving side
			 * judges it, so only its age ends it here. */
			if (ag_node_now() - u->created > TUN_RAW_LIFE_S)
				tun_free(u);
			continue;
		}
		p = placement_of(n, u->placement);
		if (p == NULL || p->epoch != u->epoch)
			tun_free(u);
	}
}

/* ---- the API and the counters ---- */

static json_t *
listener_json(const struct tun_listener *l)
{
	char	addr[32];

	(void)snprintf(addr, sizeof addr, "127.0.0.1:%d", l->port);
	return json_pack("{s:I, s:I, s:i, s:s, s:s, s:I, s:b}",
	    "placement", (json_int_t)l->placement,
	    "epoch", (json_int_t)l->epoch, "stage", (int)l->stage,
	    "node", l->node, "listen", addr,
	    "accepted", (json_int_t)l->accepted, "raw", l->raw);
}

static int
json_uint(json_t *o, const char *key, uint64_t max, uint64_t *v)
{
	json_t		*x = json_object_get(o, key);
	json_int_t	 i;

	if (!json_is_integer(x) || (i = json_integer_value(x)) < 0 ||
	    (uint64_t)i > max)
		return -1;
	*v = (uint64_t)i;
	return 0;
}

void
ag_node_api_tunnels(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct ag_node		*n = ctx;
	struct ag_tunnels	*t = n->tunnels;
	struct tun_listener	*l;
	json_t			*o, *a;
	char			*body, err[200];
	size_t			 len;
	uint64_t		 id, stage, epoch;
	const char		*node;
	char			 peer[SEC_NODE_ID_SIZE];
	int			 i, st, force;

	if (t == NULL) {
		ag_api_error(r, 503, "unavailable", "tunnels are not running");
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		if ((a = json_array()) == NULL)
			return;
		for (i = 0; i < TUN_LISTENERS; i++) {
			const struct ag_placement *p;

			if (t->ls[i].lev == NULL)
				continue;
			p = placement_of(n, t->ls[i].placement);
			if (t->ls[i].raw ? !n->who.token : (p != NULL &&
			    ag_auth_owns(&n->who, p->tenant)))
				(void)json_array_append_new(a,
				    listener_json(&t->ls[i]));
		}
		r->status = 200;
		r->body = json_pack("{s:o, s:i, s:{s:I, s:I, s:I, s:I, s:I, "
		    "s:I, s:I}}", "tunnels", a, "open", (int)t->ntuns,
		    "counters", "opened", (json_int_t)t->c.opened,
		    "refused", (json_int_t)t->c.refused,
		    "limited", (json_int_t)t->c.limited,
		    "unreachable", (json_int_t)t->c.unreachable,
		    "reset", (json_int_t)t->c.reset,
		    "bytes_to_peer", (json_int_t)t->c.bytes_to_quic,
		    "bytes_from_peer", (json_int_t)t->c.bytes_to_tcp);
		return;
	}
	if ((body = ag_api_body(req, &len)) == NULL) {
		ag_api_error(r, 400, "bad_request", "no body");
		return;
	}
	o = ag_api_parse_object(body, len, err, sizeof err);
	free(body);
	if (o == NULL) {
		ag_api_error(r, 400, "bad_request", "%s", err);
		return;
	}
	if (json_uint(o, "placement", INT64_MAX, &id) != 0 || id == 0 ||
	    json_uint(o, "stage", NET_TUNNEL_STAGE_MAX - 1, &stage) != 0) {
		json_decref(o);
		ag_api_error(r, 400, "bad_request", "want {\"placement\": ID, "
		    "\"stage\": N}");
		return;
	}
	force = json_is_true(json_object_get(o, "force"));
	node = json_string_value(json_object_get(o, "node"));
	if (force && n->who.token) {
		json_decref(o);
		ag_api_error(r, 403, "forbidden", "\"force\" is for the node's "
		    "operator (tokens not enforced)");
		return;
	}
	if (force && node != NULL) {
		if (json_uint(o, "epoch", INT64_MAX, &epoch) != 0 ||
		    epoch == 0) {
			json_decref(o);
			ag_api_error(r, 400, "bad_request", "\"node\" needs "
			    "\"epoch\"");
			return;
		}
		(void)snprintf(peer, sizeof peer, "%s", node);
		json_decref(o);
		st = listener_raw(t, id, epoch, (uint32_t)stage, peer, &l, err,
		    sizeof err);
	} else {
		json_decref(o);
		st = listener_get(t, id, (uint32_t)stage, force, &l, err,
		    sizeof err);
	}
	if (st != 0) {
		ag_api_error(r, st, st == 404 ? "not_found" : st == 409 ?
		    "conflict" : st == 400 ? "bad_request" : "unavailable",
		    "%s", err);
		return;
	}
	r->status = 200;
	r->body = listener_json(l);
}

void
ag_node_tunnel_counters(struct ag_node *n, struct ag_tunnel_counters *out)
{
	memset(out, 0, sizeof *out);
	if (n->tunnels == NULL)
		return;
	*out = n->tunnels->c;
	out->open = n->tunnels->ntuns;
}

struct ag_tunnels *
ag_node_tunnels_new(struct ag_node *n)
{
	struct ag_tunnels	*t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->n = n;
	TAILQ_INIT(&t->tuns);
	return t;
}

void
ag_node_tunnels_free(struct ag_tunnels *t)
{
	struct tun	*u;
	int		 i;

	if (t == NULL)
		return;
	for (i = 0; i < TUN_LISTENERS; i++)
		if (t->ls[i].lev != NULL)
			listener_close(t, &t->ls[i]);
	while ((u = TAILQ_FIRST(&t->tuns)) != NULL) {
		u->conn = NULL;
		tun_free(u);
	}
	free(t);
}
