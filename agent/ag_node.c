/*
 * ag_node.c - the agent process: QUIC endpoint, peers, joins, probes and
 * the local API on one libevent loop; see ag_node.h for the rules on peer
 * identity and duplicate connections.
 *
 * Shape: net/ reports connections through four callbacks (established,
 * control bytes, probe done, closed); each connection carries an ag_link
 * (its receive buffer and where it belongs).  A half-second tick does the
 * periodic work: dial joins that are due (exponential backoff, 1 s to
 * 30 s, after any failure or loss), start bandwidth probes that are due.
 * The API handlers only read this state.
 */
#include "ag_clock.h"
#include "ag_node_int.h"
#include "ag_api.h"
#include "ag_cluster.h"
#include "ag_devices.h"
#include "ag_forward.h"
#include "ag_place.h"
#include "ag_planio.h"
#include "ag_snapshot.h"
#include "ag_raft.h"
#include "ag_solver.h"
#include "ag_cmd.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_log.h"
#include "ag_trust.h"
#include "ag_httptls.h"

#include "be_host.h"
#include "disc_mdns.h"
#include "net_idtab.h"
#include "net_quic.h"
#include "net_wire.h"
#include "pl_model.h"
#include "sec_ca.h"
#include "sec_cbor.h"
#include "sec_tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

double
ag_node_now(void)
{
	return ag_clock_mono();
}

static void
addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
	char	host[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof host))
			(void)snprintf(buf, size, "%s:%u", host,
			    ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host))
			(void)snprintf(buf, size, "[%s]:%u", host,
			    ntohs(in6->sin6_port));
	}
}

/* --- peers and links ------------------------------------------------ */

int
ag_node_peer_find(struct ag_node *n, const char *id)
{
	int	i;

	for (i = 0; i < n->npeers; i++)
		if (strcmp(n->peers[i].node_id, id) == 0)
			return i;
	return -1;
}

static void	pending_flush(struct ag_peer *, struct ag_link *);
static void	pending_clear(struct ag_peer *);
static void	soon(struct ag_node *, int);

static int
peer_add(struct ag_node *n, const char *id)
{
	struct ag_peer	*p;
	int		 i = ag_node_peer_find(n, id);

	if (i >= 0)
		return i;
	if (n->npeers >= AG_MAX_PEERS)
		return -1;
	p = &n->peers[n->npeers];
	memset(p, 0, sizeof *p);
	(void)snprintf(p->node_id, sizeof p->node_id, "%s", id);
	p->bandwidth = NAN;
	p->measured_at = NAN;
	p->rtt_last = NAN;
	return n->npeers++;
}

static struct ag_link *
link_new(struct ag_node *n, struct net_quic_conn *c, int join)
{
	struct ag_link	*l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->node = n;
	l->conn = c;
	l->peer = -1;
	l->join = join;
	if ((l->rx = malloc(RX_MAX)) == NULL) {
		free(l);
		return NULL;
	}
	net_quic_conn_set_data(c, l);
	return l;
}

void
ag_node_send(struct ag_link *l, const uint8_t *buf, size_t len)
{
	if (net_quic_send_control(l->conn, buf, len) != 0)
		ag_log(AG_LOG_WARNING, "peer %s: control stream full, closing",
		    l->peer >= 0 ? l->node->peers[l->peer].node_id : "?");
}

static void
send_hello(struct ag_link *l)
{
	struct ag_node		*n = l->node;
	struct net_wire_hello	 h;
	uint8_t			 buf[512];
	size_t			 len;
	char			 err[256];

	memset(&h, 0, sizeof h);
	(void)snprintf(h.node_id, sizeof h.node_id, "%s", n->trust.node_id);
	(void)snprintf(h.name, sizeof h.name, "%s", n->name);
	h.version = NET_WIRE_VERSION;
	h.features = 0;
	h.trust_mode = n->trust.mode == AG_TRUST_CA ? NET_WIRE_TRUST_CA :
	    NET_WIRE_TRUST_SECRET;
	if (net_wire_encode_hello(buf, sizeof buf, &len, n->trust.node_id, 0,
	    &h, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "cannot encode HELLO: %s", err);
		return;
	}
	ag_node_send(l, buf, len);
}

/* The node id whose side opened this connection. */
static const char *
opener(struct ag_node *n, struct ag_link *l, const char *peer_id)
{
	return net_quic_conn_is_client(l->conn) ? n->trust.node_id : peer_id;
}

static void
on_established(struct net_quic_conn *c, const char *peer_id,
    const struct sockaddr *sa, socklen_t sl, void *arg)
{
	struct ag_node	*n = arg;
	struct ag_link	*l = net_quic_conn_data(c);
	struct ag_peer	*p;
	int		 i;

	if (l == NULL && (l = link_new(n, c, -1)) == NULL) {
		net_quic_close(c, NET_QUIC_APP_INTERNAL, "out of memory");
		return;
	}
	if (l->join >= 0)
		(void)snprintf(n->joins[l->join].peer_id,
		    sizeof n->joins[l->join].peer_id, "%s", peer_id);
	if (strcmp(peer_id, n->trust.node_id) == 0) {
		if (l->join >= 0) {
			n->joins[l->join].self = 1;
			ag_log(AG_LOG_NOTICE, "join %s is this node; not "
			    "dialling it again", n->joins[l->join].text);
		}
		net_quic_close(c, NET_QUIC_APP_NO_ERROR, "connected to self");
		return;
	}
	if (ag_node_deny_refuse(n, peer_id)) {
		net_quic_close(c, AG_NODE_APP_DENIED, "node denied by the "
		    "cluster");
		return;
	}
	if ((i = peer_add(n, peer_id)) < 0) {
		ag_log(AG_LOG_WARNING, "peer table full (%d); refusing %s",
		    AG_MAX_PEERS, peer_id);
		net_quic_close(c, NET_QUIC_APP_INTERNAL, "peer table full");
		return;
	}
	p = &n->peers[i];
	l->peer = i;
	if (p->link != NULL && p->link != l) {
		const char *mine = opener(n, l, peer_id);
		const char *pref = strcmp(n->trust.node_id, peer_id) < 0 ?
		    n->trust.node_id : peer_id;

		/*
		 * Crossing dials (one from each end) keep the one the lower
		 * node id opened.  A second session opened from the same end
		 * replaces the first: that end restarted, or gave the first
		 * up (with membership probe, an idle session is not kept
		 * alive and may take its 30 s to time out here).
		 */
		if (strcmp(opener(n, p->link, peer_id), mine) == 0)
			pref = mine;
		/*
		 * A session older than a crossing dial can be is not one:
		 * the other end restarted or lost it (probe mode keeps a
		 * dead peer's session for its 30 s idle timeout), and the
		 * new one is the only one it has.  Keeping the old would
		 * refuse it until then.
		 */
		else if (ag_node_now() - p->link->up_at > CROSSING_S)
			pref = mine;
		if (strcmp(mine, pref) != 0) {
			ag_log(AG_LOG_DEBUG, "peer %s: duplicate connection, "
			    "keeping the one %s opened", peer_id, pref);
			net_quic_close(c, NET_QUIC_APP_NO_ERROR,
			    "duplicate connection");
			return;
		}
		net_quic_close(p->link->conn, NET_QUIC_APP_NO_ERROR,
		    "duplicate connection");
		p->link->peer = -1;
	}
	p->link = l;
	l->up_at = ag_node_now();
	p->keepalive = 0;	/* the endpoint's: none in probe mode */
	p->last_used = ag_node_now();
	addr_text(sa, p->addr, sizeof p->addr);
	(void)sl;
	if (l->join >= 0) {
		n->joins[l->join].backoff = BACKOFF_MIN_S;
		n->joins[l->join].failed = 0;
	}
	ag_log(AG_LOG_INFO, "peer %s authenticated at %s (%s)", peer_id,
	    p->addr, net_quic_conn_is_client(c) ? "we dialled" : "it dialled");
	send_hello(l);
}


static void
handle_msg(struct ag_link *l, const struct net_wire_msg *m)
{
	struct ag_node	*n = l->node;
	struct ag_peer	*p = &n->peers[l->peer];
	uint8_t		 buf[256];
	size_t		 len;
	char		 err[256];

	if (strcmp(m->sender, p->node_id) != 0) {
		ag_log(AG_LOG_WARNING, "peer %s spoke as %s: closing",
		    p->node_id, m->sender);
		net_quic_close(l->conn, NET_QUIC_APP_PROTOCOL,
		    "sender is not the authenticated node");
		return;
	}
	if (!m->known) {
		ag_log(AG_LOG_DEBUG, "peer %s: skipping message type %llu",
		    p->node_id, (unsigned long long)m->type);
		return;
	}
	if (m->type == NET_WIRE_API_REQ || m->type == NET_WIRE_API_RESP) {
		if (l->hello && m->type == NET_WIRE_API_REQ)
			ag_node_on_api_req(l, m);
		else if (l->hello)
			ag_node_on_api_resp(n, m);
		return;
	}
	if (ag_cluster_handles(m->type)) {
		if (!l->hello)
			return;		/* HELLO comes first */
		if (ag_cluster_recv(n->cluster, p->node_id, m, err,
		    sizeof err) != 0)
			ag_log(AG_LOG_WARNING, "peer %s: bad %s message: %s",
			    p->node_id, net_wire_type_name(m->type), err);
		return;
	}
	switch (m->type) {
	case NET_WIRE_HELLO:
		if (strcmp(m->u.hello.node_id, p->node_id) != 0 ||
		    m->u.hello.version != NET_WIRE_VERSION) {
			ag_log(AG_LOG_WARNING, "peer %s: bad HELLO (id %s, "
			    "version %llu)", p->node_id, m->u.hello.node_id,
			    (unsigned long long)m->u.hello.version);
			net_quic_close(l->conn, NET_QUIC_APP_PROTOCOL,
			    "bad hello");
			return;
		}
		(void)snprintf(p->name, sizeof p->name, "%s", m->u.hello.name);
		if (!l->hello) {
			p->next_probe = ag_node_now() + FIRST_PROBE_DELAY_S;
			l->hello = 1;
			if (l->join >= 0)
				n->joins[l->join].tried = 1;
			pending_flush(p, l);
			ag_cluster_peer_up(n->cluster, p->node_id);
			soon(n, 1);
		}
		ag_log(AG_LOG_NOTICE, "peer %s (%s) joined at %s", p->node_id,
		    p->name, p->addr);
		break;
	case NET_WIRE_PING:
		if (net_wire_encode_pong(buf, sizeof buf, &len,
		    n->trust.node_id, 0, m->u.ping.nonce, m->u.ping.sent_at_us,
		    err, sizeof err) == 0)
			ag_node_send(l, buf, len);
		break;
	case NET_WIRE_BYE:
		ag_log(AG_LOG_INFO, "peer %s leaving: %s", p->node_id,
		    m->u.bye.reason);
		break;
	default:
		break;
	}
}

static void
on_control(struct net_quic_conn *c, const unsigned char *buf, size_t len,
    void *arg)
{
	struct ag_link		*l = net_quic_conn_data(c);
	struct net_wire_msg	 m;
	size_t			 used;
	char			 err[256];
	int			 rc;

	if (l == NULL || l->peer < 0)
		return;
	if (len > RX_MAX - l->rxlen) {
		net_quic_close(c, NET_QUIC_APP_PROTOCOL, "control message "
		    "too large");
		return;
	}
	memcpy(l->rx + l->rxlen, buf, len);
	l->rxlen += len;
	l->node->peers[l->peer].last_heard = ag_node_now();
	l->node->peers[l->peer].last_used = l->node->peers[l->peer].last_heard;
	while (l->rxlen > 0 && l->peer >= 0) {
		rc = net_wire_next(l->rx, l->rxlen, &m, &used, err, sizeof err);
		if (rc == NET_WIRE_NEED_MORE)
			break;
		if (rc == NET_WIRE_ERROR && used == 0) {
			ag_log(AG_LOG_WARNING, "peer %s: %s; closing",
			    l->node->peers[l->peer].node_id, err);
			net_quic_close(c, NET_QUIC_APP_PROTOCOL, "malformed "
			    "control stream");
			return;
		}
		if (rc == NET_WIRE_ERROR)
			ag_log(AG_LOG_WARNING, "peer %s: dropped message: %s",
			    l->node->peers[l->peer].node_id, err);
		else
			handle_msg(l, &m);
		memmove(l->rx, l->rx + used, l->rxlen - used);
		l->rxlen -= used;
	}
}

static void
on_probe_done(struct net_quic_conn *c,
    const struct net_quic_probe_result *r, void *arg)
{
	struct ag_link	*l = net_quic_conn_data(c);
	struct ag_peer	*p;

	if (l == NULL || l->peer < 0)
		return;
	p = &l->node->peers[l->peer];
	if (!r->ok) {
		ag_log(AG_LOG_WARNING, "peer %s: bandwidth probe failed",
		    p->node_id);
		return;
	}
	p->bandwidth = r->rate;
	p->measured_at = r->when;
	p->bw_outgoing = r->outgoing;
	ag_log(AG_LOG_INFO, "peer %s: %s probe %.1f MB in %.3f s = %.1f MB/s",
	    p->node_id, r->outgoing ? "outgoing" : "incoming", r->bytes / 1e6,
	    r->seconds, r->rate / 1e6);
}

static void
on_closed(struct net_quic_conn *c, const char *reason, void *arg)
{
	struct ag_node	*n = arg;
	struct ag_link	*l = net_quic_conn_data(c);

	ag_node_tunnel_conn_closed(n, c);
	if (l == NULL) {
		ag_log(AG_LOG_NOTICE, "connection refused or lost before "
		    "authentication: %s", reason);
		return;
	}
	if (l->peer >= 0 && n->peers[l->peer].link == l) {
		struct ag_peer *p = &n->peers[l->peer];

		if (net_quic_conn_stats(c, &p->stats) == 0)
			p->have_stats = 1;
		p->link = NULL;
		p->session_end = ag_node_now();
		if (l->hello)
			ag_cluster_peer_down(n->cluster, p->node_id);
		/* In probe mode sessions open and idle out as a matter of
		 * course; in transport mode an end is news. */
		ag_log(ag_config_probe(n->cfg) ? AG_LOG_INFO : AG_LOG_NOTICE,
		    "peer %s disconnected: %s", p->node_id, reason);
	} else if (l->peer < 0 && l->join >= 0) {
		/* The tie-break of two dials crossing is not a failure. */
		int dup = strstr(reason, "duplicate connection") != NULL;

		ag_log(dup ? AG_LOG_DEBUG : AG_LOG_WARNING, "join %s failed: "
		    "%s", n->joins[l->join].text, reason);
		n->joins[l->join].failed = !dup;
	}
	if (l->join >= 0) {
		struct ag_join *j = &n->joins[l->join];

		j->link = NULL;
		j->tried = 1;
		j->next_try = ag_node_now() + j->backoff;
		j->backoff = fmin(j->backoff * 2, j->discovered ?
		    BACKOFF_LAN_MAX_S : BACKOFF_MAX_S);
	}
	net_quic_conn_set_data(c, NULL);
	free(l->rx);
	free(l);
}

static void
on_net_log(int level, const char *line, void *arg)
{
	ag_log((enum ag_level)level, "%s", line);
}

/* --- periodic work ---------------------------------------------------- */

int
ag_node_peer_connected(const struct ag_node *n, const char *id)
{
	int	i;

	for (i = 0; i < n->npeers; i++)
		if (strcmp(n->peers[i].node_id, id) == 0)
			return n->peers[i].link != NULL;
	return 0;
}

static void
dial_join(struct ag_node *n, int i)
{
	struct ag_join		*j = &n->joins[i];
	struct net_quic_conn	*c;
	char			 err[256];

	c = net_quic_connect(n->ep, (struct sockaddr *)&j->ss, j->sl, err,
	    sizeof err);
	if (c == NULL) {
		ag_log(AG_LOG_WARNING, "join %s: %s", j->text, err);
		j->next_try = ag_node_now() + j->backoff;
		j->backoff = fmin(j->backoff * 2, j->discovered ?
		    BACKOFF_LAN_MAX_S : BACKOFF_MAX_S);
		return;
	}
	if ((j->link = link_new(n, c, i)) == NULL)
		net_quic_close(c, NET_QUIC_APP_INTERNAL, "out of memory");
}

void
ag_node_start_probe(struct ag_node *n, struct ag_peer *p)
{
	if (p->link == NULL || !p->link->hello)
		return;
	p->last_used = ag_node_now();	/* not closed as idle under it */
	if (net_quic_probe_start(p->link->conn, (uint64_t)n->cfg->probe_bytes)
	    != 0)
		ag_log(AG_LOG_WARNING, "peer %s: cannot start a probe",
		    p->node_id);
}

static void	cluster_tick(struct ag_node *, double);

/*
 * Bandwidth probes (docs/operations.md, "Peers"): only of peers that share
 * a live placement with us - the pairs a plan uses - once they are one
 * (FIRST_PROBE_DELAY_S after the session came up at the earliest), then
 * every --probe-interval, jittered by +-25 % so that a placement's pairs do
 * not all probe at once.  Measuring every pair every interval cost a
 * cluster N(N-1) x 4 MiB per 5 minutes (13 MB/s at 32 nodes); other pairs
 * are measured on demand (POST /v1/peers/probe) or estimated (placement.md).
 */
static void
probe_partners(struct ag_node *n, double now)
{
	unsigned char	is[AG_MAX_PEERS];
	double		iv = (double)n->cfg->probe_interval_s, j;
	int		i, known = 0;

	for (i = 0; i < n->npeers; i++) {
		struct ag_peer *p = &n->peers[i];

		if (p->link == NULL || p->next_probe == 0 || now < p->next_probe)
			continue;
		if (!known) {
			ag_node_partners(n, is);
			known = 1;
		}
		if (!is[i])
			continue;
		ag_node_start_probe(n, p);
		j = (double)(net_splitmix64(&n->probe_rng) % 1001) / 1000.0;
		p->next_probe = iv > 0 ? now + iv * (0.75 + 0.5 * j) : 0;
	}
}

/*
 * Probe mode: a target we reached before (its node id known) is dialled
 * again only while it is a neighbour, while messages wait for it, or
 * while we hold no session at all (we must join again).  Otherwise every
 * session that idled out, or was closed for --max-sessions, would be
 * dialled again a second later, for good.  0: not now; 1: when its
 * backoff allows; 2: now (messages wait, for at most 3 s).
 */
static int
join_wanted(struct ag_node *n, const struct ag_join *j, struct ag_peer *p,
    int alone)
{
	if (!ag_config_probe(n->cfg) || p == NULL)
		return 1;
	if (p->npending > 0 && ag_node_now() - p->pending[p->npending - 1].at >
	    AG_PEER_PENDING_S)
		pending_clear(p);	/* all stale: the newest is last */
	if (p->npending > 0)
		return j->failed ? 1 : 2;	/* a refusal keeps its backoff */
	return alone || p->neighbour;
}

/* Dials every join target whose time has come. */
static void
dial_due(struct ag_node *n, double now)
{
	int	i, alone = 1;

	for (i = 0; i < n->npeers && alone; i++)
		alone = n->peers[i].link == NULL || !n->peers[i].link->hello;
	for (i = 0; i < n->njoins; i++) {
		struct ag_join *j = &n->joins[i];
		struct ag_peer *p = NULL;
		int		w, k;

		if (j->unused || j->self || j->link != NULL)
			continue;
		if (j->peer_id[0] != '\0' &&
		    (k = ag_node_peer_find(n, j->peer_id)) >= 0)
			p = &n->peers[k];
		if ((p != NULL && p->link != NULL) ||
		    (j->peer_id[0] && j->discovered &&
		    ag_node_deny_check(n, j->peer_id)) ||
		    (w = join_wanted(n, j, p, alone)) == 0 ||
		    (w == 1 && now < j->next_try))
			continue;
		dial_join(n, i);
	}
}

/*
 * Soon after, not on the next tick (up to TICK_MS away), which is what a
 * joining cluster waited on: a message held for a member is dialled
 * for at once, and a new session is in our record's links (the address
 * others dial it at) SOON_PUBLISH_MS later, one publication for a burst
 * of sessions.
 */
#define SOON_PUBLISH_MS	250

static void
soon_at(struct ag_node *n, double delay_s)
{
	struct timeval	tv;

	if (delay_s < 0)
		delay_s = 0;
	tv.tv_sec = (time_t)delay_s;
	tv.tv_usec = (suseconds_t)((delay_s - (double)tv.tv_sec) * 1e6);
	if (!evtimer_pending(n->soon_ev, NULL))
		(void)evtimer_add(n->soon_ev, &tv);
}

static void
on_soon(evutil_socket_t fd, short what, void *arg)
{
	struct ag_node	*n = arg;
	double		 now = ag_node_now();

	(void)fd;
	(void)what;
	if (n->stopping)
		return;
	dial_due(n, now);
	if (n->links_changed == 0 || n->cluster == NULL)
		return;
	if (now < n->links_changed) {
		soon_at(n, n->links_changed - now);
		return;
	}
	n->links_changed = 0;
	ag_node_publish(n);
}

/* publish 0: dial what is due now; 1: publish our record shortly. */
static void
soon(struct ag_node *n, int publish)
{
	if (n->soon_ev == NULL)
		return;
	if (!publish) {
		event_active(n->soon_ev, EV_TIMEOUT, 0);
		return;
	}
	if (n->links_changed == 0)
		n->links_changed = ag_node_now() + SOON_PUBLISH_MS / 1000.0;
	soon_at(n, SOON_PUBLISH_MS / 1000.0);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ag_node	*n = arg;
	double		 now = ag_node_now();

	if (n->stopping)
		return;
	dial_due(n, now);
	probe_partners(n, now);
	cluster_tick(n, now);
	ag_node_workers_tick(n);
	ag_node_obs_tick(n, now);
}

/* --- mDNS discovery ---------------------------------------------------- */

static int
same_addr(const struct sockaddr_storage *a, socklen_t al,
    const struct sockaddr *b, socklen_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

static int
dial_find(struct ag_node *n, const struct sockaddr *sa, socklen_t sl)
{
	int	i;

	for (i = 0; i < n->njoins; i++)
		if (!n->joins[i].unused &&
		    same_addr(&n->joins[i].ss, n->joins[i].sl, sa, sl))
			return i;
	return -1;
}

/* A service appeared: remember its address and dial it from the tick. */
static void
on_mdns_found(const struct disc_peer *dp, void *arg)
{
	struct ag_node	*n = arg;
	struct ag_join	*j;
	int		 i;

	if (strcmp(dp->node_id, n->trust.node_id) == 0 ||
	    dp->addrlen > sizeof j->ss)
		return;
	if ((i = dial_find(n, dp->addr, dp->addrlen)) >= 0) {
		n->joins[i].next_try = 0;
		return;
	}
	for (i = 0; i < n->njoins && !n->joins[i].unused; i++)
		continue;
	if (i == n->njoins) {
		if (n->njoins >= MAX_DIALS) {
			ag_log(AG_LOG_WARNING, "mdns: too many addresses; "
			    "ignoring %s", dp->node_id);
			return;
		}
		n->njoins++;
	}
	j = &n->joins[i];
	memset(j, 0, sizeof *j);
	memcpy(&j->ss, dp->addr, dp->addrlen);
	j->sl = dp->addrlen;
	addr_text(dp->addr, j->text, sizeof j->text);
	(void)snprintf(j->peer_id, sizeof j->peer_id, "%s", dp->node_id);
	j->backoff = BACKOFF_MIN_S;
	j->discovered = 1;
	ag_log(AG_LOG_INFO, "mdns: found %s (%s) at %s", dp->node_id,
	    dp->name, j->text);
}

/* A service went away: stop dialling it unless we are connected. */
static void
on_mdns_lost(const struct disc_peer *dp, void *arg)
{
	struct ag_node	*n = arg;
	int		 i = dial_find(n, dp->addr, dp->addrlen);

	if (i < 0 || !n->joins[i].discovered || n->joins[i].link != NULL)
		return;
	n->joins[i].unused = 1;
	ag_log(AG_LOG_DEBUG, "mdns: %s at %s gone", dp->node_id,
	    n->joins[i].text);
}

static void
on_mdns_state(enum disc_mdns_state st, const char *why, void *arg)
{
	ag_log(AG_LOG_INFO, "mdns: %s%s%s", disc_mdns_state_str(st),
	    why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
}

static void
on_mdns_log(int level, const char *line, void *arg)
{
	ag_log((enum ag_level)level, "%s", line);
}

static int
open_mdns(struct ag_node *n, char *err, size_t errlen)
{
	struct disc_mdns_config		c;
	struct disc_mdns_callbacks	cb;

	memset(&c, 0, sizeof c);
	memset(&cb, 0, sizeof cb);
	c.port = net_quic_endpoint_port(n->ep, AF_INET);
	if (c.port == 0)
		c.port = net_quic_endpoint_port(n->ep, AF_INET6);
	c.node_id = n->trust.node_id;
	c.name = n->name;
	c.trust = n->trust.mode == AG_TRUST_CA ? DISC_TRUST_CA :
	    DISC_TRUST_SECRET;
	c.version = NET_WIRE_VERSION;
	cb.found = on_mdns_found;
	cb.lost = on_mdns_lost;
	cb.state = on_mdns_state;
	cb.log = on_mdns_log;
	cb.arg = n;
	n->mdns = disc_mdns_new(n->base, &c, &cb, err, errlen);
	return n->mdns != NULL ? 0 : -1;
}

/* --- cluster glue ---------------------------------------------------------- */

/*
 * Delta gossip (docs/cluster.md, "Quiet gossip"): the record is sampled
 * every PUBLISH_EVERY_S and published only when ag_record_moved() says so.
 * A change (devices, workers, the set of links...) is pushed at once.
 * Drift (measured figures past their thresholds) is published quietly -
 * not pushed: anti-entropy carries it, so each node takes it in about
 * once instead of every node forwarding it to four - and at most every
 * DRIFT_EVERY_S or DRIFT_PER_NODE_S x the nodes we know, whichever is
 * longer: every node takes in every publication of a record that grows
 * with the cluster (its links), so the cluster as a whole is held to one
 * drift publication per DRIFT_PER_NODE_S, and a noisy free-memory figure
 * cannot make a node republish every sample.  REFRESH_EVERY_S after the
 * last publication it is published quietly anyway (bounding how long
 * sub-threshold drift stays unseen).  Records do not expire by age: they
 * are forgotten when membership forgets the node.
 */
#define PUBLISH_EVERY_S		2.0
#define DRIFT_EVERY_S		30.0
#define DRIFT_PER_NODE_S	8.0
#define REFRESH_EVERY_S		600.0

/*
 * Tokens without a configured audience must name this cluster (when they
 * name one at all): the cluster id, known once the log formed or joined.
 * Called when raft's state changes and before every token check, so no
 * token is judged against an audience older than the cluster id.
 */
void
ag_node_audience_sync(struct ag_node *n)
{
	struct ag_cluster_status	st;

	ag_cluster_status(n->cluster, &st);
	if (strcmp(st.cluster_id, n->audience) == 0)
		return;
	(void)snprintf(n->audience, sizeof n->audience, "%s", st.cluster_id);
	ag_auth_set_default_audience(&n->auth, n->audience);
	if (n->audience[0] != '\0' && n->cfg->token_audience[0] == '\0')
		ag_log(AG_LOG_INFO, "tokens with an audience must name cluster "
		    "%s", n->audience);
}

/* The log's leader or term changed: act now, not at the next tick. */
static void
cluster_changed(void *arg)
{
	struct ag_node	*n = arg;

	if (n->cluster != NULL) {
		ag_node_audience_sync(n);
		ag_node_leader_change(n);
		ag_node_deny_tick(n);
	}
}

/* Is a dial of peer_id under way or due? */
static int
dial_pending(const struct ag_node *n, const char *peer_id)
{
	int	i;

	for (i = 0; i < n->njoins; i++)
		if (!n->joins[i].unused && !n->joins[i].self &&
		    strcmp(n->joins[i].peer_id, peer_id) == 0)
			return 1;
	return 0;
}

/* Drops what is waiting for a session to p. */
static void
pending_clear(struct ag_peer *p)
{
	int	i;

	for (i = 0; i < p->npending; i++)
		free(p->pending[i].buf);
	p->npending = 0;
	p->pending_bytes = 0;
}

/*
 * Holds a message for p until its session is up: at most AG_PEER_PENDING
 * messages and AG_PEER_PENDING_BYTES, the oldest making room.
 */
static int
pending_add(struct ag_peer *p, const uint8_t *buf, size_t len)
{
	uint8_t	*copy;

	if (len > AG_PEER_PENDING_BYTES || (copy = malloc(len)) == NULL)
		return -1;
	memcpy(copy, buf, len);
	while (p->npending > 0 && (p->npending == AG_PEER_PENDING ||
	    p->pending_bytes + len > AG_PEER_PENDING_BYTES)) {
		p->pending_bytes -= p->pending[0].len;
		free(p->pending[0].buf);
		p->npending--;
		memmove(&p->pending[0], &p->pending[1],
		    (size_t)p->npending * sizeof p->pending[0]);
	}
	p->pending[p->npending].buf = copy;
	p->pending[p->npending].len = len;
	p->pending[p->npending].at = ag_node_now();
	p->npending++;
	p->pending_bytes += len;
	return 0;
}

/* The session to p is up (HELLO): what waited for it goes, if fresh. */
static void
pending_flush(struct ag_peer *p, struct ag_link *l)
{
	double	now = ag_node_now();
	int	i;

	for (i = 0; i < p->npending; i++)
		if (now - p->pending[i].at <= AG_PEER_PENDING_S)
			ag_node_send(l, p->pending[i].buf, p->pending[i].len);
	pending_clear(p);
}

struct addr_find {
	const char	*peer;
	char		 addr[sizeof ((struct ag_peer *)0)->addr];
};

/* ag_cluster_foreach_record's callback: the first address a record's
 * links give for f->peer. */
static void
addr_from(const char *origin, const struct ag_record *r, void *arg)
{
	struct addr_find	*f = arg;
	int			 i;

	(void)origin;
	for (i = 0; f->addr[0] == '\0' && i < r->nlinks; i++)
		if (strcmp(r->links[i].peer, f->peer) == 0)
			(void)snprintf(f->addr, sizeof f->addr, "%s",
			    r->links[i].addr);
}

/*
 * A member we never had a session with (membership named it before the
 * records' links were dialled): the address a peer's record gives for it,
 * as a peer entry to hold messages in while it is dialled.  -1 if no record
 * names it (or the table is full).
 */
int
ag_node_peer_from_records(struct ag_node *n, const char *peer)
{
	struct addr_find	f;
	int			i;

	memset(&f, 0, sizeof f);
	f.peer = peer;
	ag_cluster_foreach_record(n->cluster, addr_from, &f);
	if (f.addr[0] == '\0' || (i = peer_add(n, peer)) < 0)
		return -1;
	(void)snprintf(n->peers[i].addr, sizeof n->peers[i].addr, "%s",
	    f.addr);
	return i;
}

/*
 * With membership probe, sessions are not kept alive: a message for a
 * member we hold none with is held (pending_add) while we dial it at its
 * last address (or the address a record gives), and sent once the session
 * is up.
 */
static int
cluster_send(void *arg, const char *peer, const uint8_t *buf, size_t len)
{
	struct ag_node	*n = arg;
	int		 i = ag_node_peer_find(n, peer);
	struct ag_peer	*p;

	if (i < 0 && ag_config_probe(n->cfg) && n->cluster != NULL)
		i = ag_node_peer_from_records(n, peer);
	p = i >= 0 ? &n->peers[i] : NULL;

	if (p != NULL && (p->link == NULL || !p->link->hello) &&
	    ag_config_probe(n->cfg)) {
		if (p->link == NULL &&
		    ag_node_dial_member(n, p->addr, peer) == 0)
			ag_log(AG_LOG_DEBUG, "peer %s: no session; dialling "
			    "%s", peer, p->addr);
		if ((p->link != NULL || dial_pending(n, peer)) &&
		    pending_add(p, buf, len) == 0) {
			if (p->link == NULL)
				soon(n, 0);	/* dial_due: waiting messages */
			return 0;
		}
		return -1;
	}
	if (i < 0 || n->peers[i].link == NULL || !n->peers[i].link->hello)
		return -1;
	n->peers[i].last_used = ag_node_now();
	return net_quic_send_control(n->peers[i].link->conn, buf, len);
}

/*
 * The CPU package's thermal zone stands in for the CPU device's own
 * sensor (CPUs have none through Vulkan or OpenCL); NAN when no zone says.
 */
double
ag_node_cpu_temperature(const struct ag_node *n)
{
	static const char *const zones[] = { "x86_pkg_temp", "cpu-thermal",
	    "cpu_thermal", "soc_thermal", "k10temp" };
	double	t = NAN;
	size_t	k;
	int	i;

	for (i = 0; n->inv != NULL && i < n->inv->node.nzones; i++)
		for (k = 0; k < sizeof zones / sizeof zones[0]; k++)
			if (strcmp(n->inv->node.zones[i].type, zones[k]) == 0 &&
			    !(n->inv->node.zones[i].temperature_celsius <= t))
				t = n->inv->node.zones[i].temperature_celsius;
	return t;
}

static void
record_devices(struct ag_node *n, struct ag_record *r)
{
	struct ag_thermal_track		*tr;
	int				 i;

	for (i = 0; n->inv != NULL && i < n->inv->ndevices &&
	    r->ndevices < AG_RECORD_MAX_DEVICES; i++) {
		const struct be_device	*d = &n->inv->devices[i];
		struct ag_record_device	*o = &r->devices[r->ndevices++];

		(void)snprintf(o->id, sizeof o->id, "%s", d->id);
		(void)snprintf(o->name, sizeof o->name, "%.*s",
		    (int)sizeof o->name - 1, d->name);
		(void)snprintf(o->type, sizeof o->type, "%s",
		    be_type_name(d->type));
		o->memory_total_bytes = d->memory_total_bytes;
		o->memory_free_bytes = d->memory_free_bytes;
		o->memory_bandwidth = d->has_bench ?
		    d->bench.memory_bandwidth_bytes_per_s : NAN;
		o->flops = d->has_bench ? d->bench.flops_per_s : NAN;
		o->dtypes = d->dtypes;
		o->apis = d->apis;
		o->temperature_celsius = d->telemetry.temperature_celsius;
		if (d->type == BE_TYPE_CPU && !isfinite(o->temperature_celsius))
			o->temperature_celsius = ag_node_cpu_temperature(n);
		tr = ag_thermal_observe(&n->thermal, d->id, ag_node_now(),
		    o->temperature_celsius);
		o->throttle_predicted = tr != NULL && tr->flagged;
		if (tr != NULL && tr->flagged != tr->logged) {
			ag_log(AG_LOG_NOTICE, "device %s: %s (now %.1f C, "
			    "%.0f s ahead %.1f C)", d->id, tr->flagged ?
			    "predicted to throttle" : "no longer predicted to "
			    "throttle", o->temperature_celsius,
			    n->thermal.horizon_s, tr->predicted_c);
			tr->logged = tr->flagged;
		}
	}
}

/*
 * Our record: devices, the links we measured, power state.  Sampled into
 * self_rec (this node's own views read it fresh); gossiped only when it
 * moved enough or the refresh is due.
 */
void
ag_node_publish(struct ag_node *n)
{
	struct ag_record	*r = malloc(sizeof *r), *pub;
	const char		*why = NULL;
	double			 now = ag_node_now();
	int			 i, moved, first_coord;

	if (r == NULL)
		return;
	ag_record_init(r);
	(void)snprintf(r->name, sizeof r->name, "%s", n->name);
	record_devices(n, r);
	ag_node_workers_record(n, r);
	ag_node_coord_record(n, r);
	if (n->inv != NULL && n->inv->node.battery.present) {
		r->battery_ratio = n->inv->node.battery.capacity_ratio;
		r->on_ac = n->inv->node.battery.ac_online;
	}
	if ((i = ag_record_fit(r, AG_RECORD_MAX_BYTES)) != 0)
		ag_log(i < 0 ? AG_LOG_WARNING : AG_LOG_DEBUG, "gossip: record "
		    "too large; %s", i < 0 ? "not even without links" :
		    "last links left out");
	free(n->self_rec);
	n->self_rec = r;
	moved = ag_record_moved(n->pub_rec, r, &why);
	first_coord = moved == 1 && strcmp(why, AG_RECORD_FIRST_COORD) == 0;
	if (first_coord && n->coord_pushed)
		moved = 2;	/* its error went back to the cap: drift */
	if (moved == 2 && now < n->next_drift)
		moved = 0;		/* drift waits for its turn */
	if (moved == 0 && now < n->next_refresh)
		return;
	if ((moved == 1 ? ag_cluster_publish(n->cluster, r) :
	    ag_cluster_publish_quiet(n->cluster, r)) != 0) {
		ag_log(AG_LOG_WARNING, "cannot publish this node's record");
		return;
	}
	ag_log(AG_LOG_DEBUG, "gossip: record published (%s%s)",
	    moved != 0 ? why : "refresh", moved == 1 ? ", pushed" : "");
	if (moved == 1 && first_coord)
		n->coord_pushed = 1;
	n->next_refresh = now + REFRESH_EVERY_S;
	n->next_drift = now + (DRIFT_PER_NODE_S * (n->npeers + 1) >
	    DRIFT_EVERY_S ? DRIFT_PER_NODE_S * (n->npeers + 1) :
	    DRIFT_EVERY_S);
	if ((pub = malloc(sizeof *pub)) != NULL) {
		*pub = *r;
		free(n->pub_rec);
		n->pub_rec = pub;
	}
}

/*
 * Dials peer_id at addr (text) unless it is us, connected, denied, or
 * already being dialled there; the attempt backs off like an mDNS one.
 * Returns 0 if a dial is now pending, -1 if not (or the table is full).
 */
int
ag_node_dial_member(struct ag_node *n, const char *addr, const char *peer_id)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			 err[128];
	int			 k;

	if (strcmp(peer_id, n->trust.node_id) == 0 || addr[0] == '\0' ||
	    ag_node_peer_connected(n, peer_id) ||
	    ag_node_deny_check(n, peer_id) ||
	    net_quic_addr_parse(addr, &ss, &sl, err, sizeof err) != 0 ||
	    dial_find(n, (struct sockaddr *)&ss, sl) >= 0)
		return -1;
	for (k = 0; k < n->njoins && !n->joins[k].unused; k++)
		continue;
	if (k == n->njoins) {
		if (n->njoins >= MAX_DIALS)
			return -1;
		n->njoins++;
	}
	memset(&n->joins[k], 0, sizeof n->joins[k]);
	memcpy(&n->joins[k].ss, &ss, sl);
	n->joins[k].sl = sl;
	(void)snprintf(n->joins[k].text, sizeof n->joins[k].text, "%s", addr);
	(void)snprintf(n->joins[k].peer_id, sizeof n->joins[k].peer_id, "%s",
	    peer_id);
	n->joins[k].backoff = BACKOFF_MIN_S;
	n->joins[k].discovered = 1;
	n->joins[k].gossiped = 1;
	n->joins[k].learned = ag_node_now();
	return 0;
}

/* Transport mode: members we learned of through gossip get dialled at the
 * address a peer sees them at (our endpoint sends from its listening
 * socket).  Probe mode dials only neighbours (ag_node_mesh_tick). */
static void
mesh_from(const char *origin, const struct ag_record *r, void *arg)
{
	struct ag_node		*n = arg;
	int			 i;

	if (ag_config_probe(n->cfg))
		return;
	for (i = 0; i < r->nlinks; i++) {
		const struct ag_record_link *l = &r->links[i];

		if (ag_node_dial_member(n, l->addr, l->peer) == 0)
			ag_log(AG_LOG_INFO, "gossip: %s knows %s at %s; "
			    "dialling", origin, l->peer, l->addr);
	}
}

/* Every tick, for each peer's record: dial what it knows, learn RTTs. */
static void
from_record(const char *origin, const struct ag_record *r, void *arg)
{
	mesh_from(origin, r, arg);
	ag_node_coord_sample(arg, origin, r);
}

static const char *
sysfs_root(const struct ag_node *n)
{
	return n->cfg->sysfs_root[0] != '\0' ? n->cfg->sysfs_root : "/";
}

/*
 * The inventory (docs/devices.md): the registry cache in the data dir is
 * read on the loop (a small file); the drivers are asked only by child
 * processes - `exogpu devices` to discover when the cache is missing or
 * stale (a fresh data dir, a driver update), then `exogpu devices --bench`
 * for figures the cache lacks - so that a slow or crashing driver never
 * stalls the loop, and a node joins its cluster while its devices are
 * still being found (its first record has none; the next has them).  The
 * inventory is reloaded from the cache when a child is done.
 */
#define DISCOVER_RETRY_S	300.0	/* after a failed discovery */
#define DISCOVERY_NICE		10	/* the discovery child's nice value */
#define DISCOVER_DELAY_S	1.0	/* after start (then the 2 s sample) */
#define DISCOVER_DEADLINE_S	120.0	/* a discovery child is killed after */
#define BENCH_DEADLINE_S	1800.0	/* and a benchmark child */

static void	inventory_child(struct ag_node *, int bench, int missing);

/*
 * The inventory again from the registry cache: 0, or 1 when the cache is
 * stale (drivers changed under us), which keeps the device list we have
 * (only the host's own readings are new) until a child has rediscovered:
 * a node must not look deviceless, and lose its placements, meanwhile.
 */
static int
inventory_reload(struct ag_node *n)
{
	struct ag_devices_opts	 do_ = { n->data_dir, sysfs_root(n), false,
				     false, true };
	struct ag_devices_stats	 ds;
	struct be_inventory	*tmp = calloc(1, sizeof *tmp);
	int			 rc;

	if (tmp == NULL)
		return -1;
	rc = ag_devices_get(&do_, tmp, &ds);
	if (rc == 0)
		memcpy(n->inv, tmp, sizeof *tmp);
	else if (rc == 1)
		n->inv->node = tmp->node;
	free(tmp);
	return rc;
}

/* The live part of the inventory (telemetry, power), cache for the rest. */
static void
refresh_inventory(struct ag_node *n)
{
	int	rc;

	if (n->inv == NULL)
		return;
	/*
	 * While a child owns the registry, the node's own readings (thermal
	 * zones, battery) are still refreshed: alerts and the throttle
	 * prediction must not go blind for the minutes a cold benchmark can
	 * take.
	 */
	if (n->bench_pid != 0) {
		(void)be_host_read(sysfs_root(n), &n->inv->node, NULL);
		return;
	}
	if ((rc = inventory_reload(n)) < 0)
		ag_log(AG_LOG_WARNING, "cannot refresh device telemetry");
	else if (rc == 1 && ag_node_now() >= n->discover_retry)
		inventory_child(n, 0, 0);
}

/* Figures the cache lacks are measured by a child. */
static void
bench_start(struct ag_node *n)
{
	int	i, missing = 0;

	if (n->cfg->no_bench)
		return;
	for (i = 0; n->inv != NULL && i < n->inv->ndevices; i++)
		missing += n->inv->devices[i].nviews > 0 &&
		    !n->inv->devices[i].has_bench;
	if (missing)
		inventory_child(n, 1, missing);
}

/* Starts `exogpu devices [--bench]` on our data dir in the background. */
static void
inventory_child(struct ag_node *n, int bench, int missing)
{
	if ((n->bench_pid = fork()) == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			(void)dup2(fd, STDIN_FILENO);
			(void)dup2(fd, STDOUT_FILENO);
		}
		/*
		 * Discovery is batch work: behind every event loop on the
		 * host (a failure only leaves the default priority).  Not
		 * the benchmark, whose figures are measured speeds.
		 */
		if (!bench)
			(void)setpriority(PRIO_PROCESS, 0, DISCOVERY_NICE);
		char *argv[] = { "exogpu", "-q", "devices", "--data-dir",
		    n->data_dir, "--sysfs-root", (char *)sysfs_root(n),
		    bench ? "--bench" : NULL, NULL };

		(void)execv("/proc/self/exe", argv);
		_exit(127);
	}
	n->discovering = !bench;
	n->child_started = ag_node_now();
	n->child_killed = 0;
	if (n->bench_pid < 0) {
		ag_log(AG_LOG_WARNING, "cannot start the device %s",
		    bench ? "benchmark" : "discovery");
		n->bench_pid = 0;
		n->discover_retry = ag_node_now() + DISCOVER_RETRY_S;
	} else if (bench)
		ag_log(AG_LOG_INFO, "measuring %d device(s) in the background",
		    missing);
	else
		ag_log(AG_LOG_INFO, "discovering devices in the background");
}

static void
bench_poll(struct ag_node *n)
{
	int	st, found = n->discovering;

	if (n->bench_pid <= 0)
		return;
	if (waitpid(n->bench_pid, &st, WNOHANG) != n->bench_pid) {
		/* A child stuck in a driver is killed; reaped next time. */
		if (ag_node_now() - n->child_started > (found ?
		    DISCOVER_DEADLINE_S : BENCH_DEADLINE_S) && !n->child_killed) {
			ag_log(AG_LOG_WARNING, "device %s still running after "
			    "%.0f s; killing it", found ? "discovery" :
			    "benchmark", ag_node_now() - n->child_started);
			(void)kill(n->bench_pid, SIGKILL);
			n->child_killed = 1;
		}
		return;
	}
	n->bench_pid = 0;
	n->discovering = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (found) {
			ag_log(AG_LOG_WARNING, "device discovery failed; "
			    "trying again in %.0f s", DISCOVER_RETRY_S);
			n->discover_retry = ag_node_now() + DISCOVER_RETRY_S;
		} else
			ag_log(AG_LOG_WARNING, "device benchmark failed; "
			    "placement will not use this node's unmeasured "
			    "devices");
		return;
	}
	if (n->inv == NULL || inventory_reload(n) != 0) {
		ag_log(AG_LOG_WARNING, "device %s done, but its registry "
		    "cache is unusable", found ? "discovery" : "benchmark");
		n->discover_retry = ag_node_now() + DISCOVER_RETRY_S;
		return;
	}
	ag_log(AG_LOG_INFO, found ? "devices discovered (%d); publishing" :
	    "device figures measured; republishing", n->inv->ndevices);
	n->next_publish = 0;
	if (found)
		bench_start(n);
}


/*
 * Dial targets learned from gossip expire with their node: when
 * membership calls it dead, left or unknown, and at least a minute after
 * we learned of it (a node we never reached is unknown at first), we stop
 * dialling it.  It is learned again if a record names it later.
 */
#define GOSSIPED_GRACE_S	60.0

static void
expire_gossiped(struct ag_node *n)
{
	double	now = ag_node_now();
	int	i;

	for (i = 0; i < n->njoins; i++) {
		struct ag_join *j = &n->joins[i];

		if (j->unused || !j->gossiped || j->link != NULL ||
		    j->peer_id[0] == '\0' ||
		    now - j->learned < GOSSIPED_GRACE_S ||
		    !ag_cluster_member_gone(n->cluster, j->peer_id))
			continue;
		ag_log(AG_LOG_INFO, "no longer dialling %s at %s (gone)",
		    j->peer_id, j->text);
		j->unused = 1;
	}
}

/*
 * A fresh node does not form a cluster of its own while a --join target
 * has not answered or failed once: that target may be a cluster it
 * should join instead (docs/cluster.md, "Bootstrap").
 */
static int
joins_pending(const struct ag_node *n)
{
	int	i;

	for (i = 0; i < n->njoins; i++) {
		const struct ag_join *j = &n->joins[i];

		if (!j->unused && !j->discovered && !j->self && !j->tried)
			return 1;
	}
	return 0;
}

static void
cluster_tick(struct ag_node *n, double now)
{
	bench_poll(n);
	ag_node_auth_tick(n, now);
	ag_node_deny_tick(n);
	ag_node_tunnel_tick(n);
	if (n->cluster != NULL) {
		ag_raft_hold_bootstrap(ag_cluster_raft(n->cluster),
		    joins_pending(n));
		ag_node_leader_tick(n, now);
		ag_node_fwd_expire(n, now);
	}
	if (n->cluster == NULL || now < n->next_publish)
		return;
	n->next_publish = now + PUBLISH_EVERY_S;
	ag_node_mesh_tick(n, now);
	expire_gossiped(n);
	refresh_inventory(n);
	ag_node_publish(n);
	ag_cluster_foreach_record(n->cluster, from_record, n);
}

void
ag_node_peer_info(void *arg, const char *id, const char **addr, double *seen)
{
	struct ag_node	*n = arg;
	int		 i = ag_node_peer_find(n, id);

	if (i < 0)
		return;
	*addr = n->peers[i].addr;
	if (n->peers[i].last_heard > 0)
		*seen = ag_node_now() - n->peers[i].last_heard;
}

/* --- start and stop ----------------------------------------------------- */

/* Host name as a certificate-safe node name: [a-z0-9-], at most 63. */
static void
default_name(char *out, size_t size)
{
	char	host[256] = "node";
	size_t	i, k = 0;

	if (gethostname(host, sizeof host) != 0)
		(void)snprintf(host, sizeof host, "node");
	host[sizeof host - 1] = '\0';
	for (i = 0; host[i] != '\0' && k + 1 < size && k < 63; i++) {
		unsigned char ch = (unsigned char)tolower((unsigned char)host[i]);

		if (ch == '.')
			break;
		out[k++] = isalnum(ch) ? (char)ch : '-';
	}
	out[k] = '\0';
	if (k == 0)
		(void)snprintf(out, size, "node");
}

static int
resolve(const char *text, struct sockaddr_storage *ss, socklen_t *sl,
    char *err, size_t errlen)
{
	struct addrinfo	hints, *res;
	char		host[256], port[8];
	int		p, rc;

	if (ag_api_split_addr(text, host, sizeof host, &p) != 0) {
		(void)snprintf(err, errlen, "'%s' is not HOST:PORT", text);
		return -1;
	}
	(void)snprintf(port, sizeof port, "%d", p);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		(void)snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ag_node	*n = arg;
	struct timeval	 grace = { 0, 200000 };
	uint8_t		 buf[256];
	size_t		 len;
	char		 err[128];
	int		 i;

	if (n->stopping++) {
		ag_log(AG_LOG_NOTICE, "second signal: stopping now");
		(void)event_base_loopbreak(n->base);
		return;
	}
	ag_log(AG_LOG_NOTICE, "%s: shutting down", strsignal((int)sig));
	if (n->cluster != NULL)
		ag_cluster_leave(n->cluster);	/* "left", not "dead" */
	for (i = 0; i < n->npeers; i++) {
		struct ag_link *l = n->peers[i].link;

		if (l != NULL && net_wire_encode_bye(buf, sizeof buf, &len,
		    n->trust.node_id, 0, "shutting down", err, sizeof err) == 0)
			(void)net_quic_send_control(l->conn, buf, len);
	}
	(void)event_base_loopexit(n->base, &grace);
}

static int
write_run_file(struct ag_node *n)
{
	json_t			*quic = json_array(), *root;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			 path[PATH_MAX], a[128], err[256], *text;
	unsigned		 i;
	int			 rc = -1;

	for (i = 0; quic != NULL &&
	    net_quic_endpoint_addr(n->ep, i, &ss, &sl) == 0; i++) {
		addr_text((struct sockaddr *)&ss, a, sizeof a);
		if (json_array_append_new(quic, json_string(a)) != 0)
			break;
	}
	root = json_pack("{s:i, s:s, s:s, s:o}", "pid", (int)getpid(),
	    "node_id", n->trust.node_id, "api", n->api_addr, "quic", quic);
	if (root == NULL)
		return -1;
	if ((text = json_dumps(root, JSON_INDENT(2))) != NULL &&
	    ag_datadir_path(n->data_dir, AG_RUN_FILE, path, sizeof path) == 0) {
		rc = ag_write_atomic(path, text, strlen(text), 0644, err,
		    sizeof err);
		if (rc != 0)
			ag_log(AG_LOG_WARNING, "%s", err);
	}
	free(text);
	json_decref(root);
	return rc;
}

static int
open_endpoint(struct ag_node *n, char *err, size_t errlen)
{
	struct net_quic_config	qc;
	char			v4[32], v6[32];
	bool			probe;

	memset(&qc, 0, sizeof qc);
	if (n->cfg->listen[0] != '\0')
		qc.listen[0] = n->cfg->listen;
	else {
		(void)snprintf(v4, sizeof v4, "0.0.0.0:%d", AG_DEFAULT_PORT);
		(void)snprintf(v6, sizeof v6, "[::]:%d", AG_DEFAULT_PORT);
		qc.listen[0] = v4;
		qc.listen[1] = v6;
	}
	qc.cred = n->creds;
	qc.max_udp_payload = (size_t)n->cfg->max_udp_payload;
	probe = ag_config_probe(n->cfg);
	qc.idle_timeout_ms = (unsigned)(n->cfg->idle_timeout_s > 0 ?
	    n->cfg->idle_timeout_s : probe ? 30 : 1) * 1000;
	/*
	 * Keep-alive only as often as the idle timeout needs: a PING when a
	 * session has been silent for half of it (a lost PING is resent after
	 * one PTO, well inside the other half).  Any packet either way resets
	 * it, so a busy session sends none.  docs/cluster.md, "Quiet gossip".
	 * With membership probe, SWIM's probes are the witness: an idle
	 * session is left to time out.
	 */
	qc.keepalive_ms = probe ? NET_QUIC_KEEPALIVE_OFF :
	    qc.idle_timeout_ms / 2;
	qc.cb.established = on_established;
	qc.cb.control = on_control;
	qc.cb.probe_done = on_probe_done;
	qc.cb.closed = on_closed;
	qc.cb.log = on_net_log;
	qc.cb.stream_open = ag_node_tunnel_stream_open;
	qc.cb.stream_data = ag_node_tunnel_stream_data;
	qc.cb.stream_acked = ag_node_tunnel_stream_acked;
	qc.cb.stream_closed = ag_node_tunnel_stream_closed;
	qc.arg = n;
	n->ep = net_quic_endpoint_new(n->base, &qc, err, errlen);
	if (n->ep == NULL && n->cfg->listen[0] == '\0') {
		ag_log(AG_LOG_WARNING, "%s; trying IPv4 only", err);
		qc.listen[1] = NULL;
		n->ep = net_quic_endpoint_new(n->base, &qc, err, errlen);
	}
	return n->ep != NULL ? 0 : -1;
}

static void
announce_secret(struct ag_node *n)
{
	struct sockaddr_storage	ss;
	socklen_t		sl;
	char			self[AG_ADDR_MAX] = "THIS-HOST:47470";
	int			port = 0;

	if (net_quic_endpoint_addr(n->ep, 0, &ss, &sl) == 0) {
		addr_text((struct sockaddr *)&ss, self, sizeof self);
		port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
		/* A wildcard bind: the user knows this host's address. */
		if (strncmp(self, "0.0.0.0:", 8) == 0 ||
		    strncmp(self, "[::]:", 5) == 0)
			(void)snprintf(self, sizeof self, "THIS-HOST:%d", port);
	}
	(void)printf("No trust was configured, so this node created a new "
	    "cluster and its join secret\n(kept in %s/%s; shown only now):\n\n"
	    "  %s\n\nCopy it to the next node into a file only its user can "
	    "read (chmod 600)\nand start that node with:\n\n"
	    "  exogpu agent --join-secret-file FILE --join %s\n\n",
	    n->data_dir, AG_SECRET_FILE, n->trust.secret_text, self);
	(void)fflush(stdout);
}

static int
setup(struct ag_node *n, char *err, size_t errlen)
{
	const struct ag_config	*c = n->cfg;
	int			 i, port;

	if (ag_datadir_resolve(c->data_dir, n->data_dir, sizeof n->data_dir)
	    != 0) {
		(void)snprintf(err, errlen, "no data dir: set --data-dir");
		return -1;
	}
	if (c->name[0] != '\0')
		(void)snprintf(n->name, sizeof n->name, "%s", c->name);
	else
		default_name(n->name, sizeof n->name);
	if (!sec_name_valid(n->name)) {
		(void)snprintf(err, errlen, "--name '%s': use letters, digits "
		    "and '-' (a DNS label)", n->name);
		return -1;
	}
	if (ag_trust_load(n->data_dir, c->join_secret[0] ? c->join_secret :
	    NULL, c->ca_dir[0] ? c->ca_dir : NULL, n->name, &n->trust, err,
	    errlen) != 0)
		return -1;
	if (sec_tls_creds_new(n->trust.id, n->trust.anchor.data,
	    n->trust.anchor.len, &n->creds, err, errlen) != 0)
		return -1;
	for (i = 0; i < c->njoin; i++) {
		struct ag_join *j = &n->joins[n->njoins];

		memset(j, 0, sizeof *j);
		(void)snprintf(j->text, sizeof j->text, "%s", c->join[i]);
		if (resolve(j->text, &j->ss, &j->sl, err, errlen) != 0)
			return -1;
		j->backoff = BACKOFF_MIN_S;
		n->njoins++;
	}
	if ((n->base = event_base_new()) == NULL) {
		(void)snprintf(err, errlen, "event_base_new failed");
		return -1;
	}
	ag_thermal_init(&n->thermal, (double)c->thermal_horizon_s,
	    AG_NODE_THROTTLE_C);
	{
		struct ag_cluster_io	 io = { cluster_send, cluster_changed,
					    ag_node_yielding, n };
		struct ag_cluster_config cc;

		memset(&cc, 0, sizeof cc);
		cc.data_dir = n->data_dir;
		cc.max_voters = (unsigned)c->max_voters;
		cc.bootstrap_expect = (unsigned)c->bootstrap_expect;
		cc.promote_after_s = (double)c->promote_after_s;
		cc.probe = ag_config_probe(c);
		if ((n->solver = ag_solver_new(n->base, 16, err, errlen)) ==
		    NULL || (n->cluster = ag_cluster_new(n->base,
		    n->trust.node_id, &cc, &io, err, errlen)) == NULL)
			return -1;
	}
	if (ag_node_obs_init(n, err, errlen) != 0 ||
	    ag_node_deny_init(n, err, errlen) != 0 ||
	    ag_node_workers_init(n, err, errlen) != 0)
		return -1;
	if ((n->tunnels = ag_node_tunnels_new(n)) == NULL) {
		(void)snprintf(err, errlen, "out of memory for tunnels");
		return -1;
	}
	if ((n->inv = calloc(1, sizeof *n->inv)) != NULL) {
		struct ag_devices_opts	do_ = { n->data_dir, sysfs_root(n),
					    false, false, true };
		struct ag_devices_stats	ds;

		switch (ag_devices_get(&do_, n->inv, &ds)) {
		case 0:
			bench_start(n);
			break;
		case 1:
			/* Join first: the next 2 s sample starts it. */
			n->discover_retry = ag_node_now() + DISCOVER_DELAY_S;
			break;
		default:
			free(n->inv);
			n->inv = NULL;
		}
	}
	if (ag_node_auth_init(n, err, errlen) != 0)
		return -1;
	if (open_endpoint(n, err, errlen) != 0)
		return -1;
	if ((n->api = ag_api_new(n->base, c->http, ag_node_routes, n, &port, err,
	    errlen)) == NULL)
		return -1;
	ag_api_set_authorizer(n->api, ag_node_authorize);
	if (c->http_tls[0] != '\0') {
		if ((n->httptls = ag_httptls_new(c->http_tls, n->trust.id, err,
		    errlen)) == NULL)
			return -1;
		ag_api_set_tls(n->api, n->httptls);
	}
	if (ag_api_allow_hosts(n->api, c->http, c->http_host, err, errlen)
	    != 0)
		return -1;
	{
		char host[256];

		if (ag_api_split_addr(c->http, host, sizeof host, &i) == 0)
			(void)snprintf(n->api_addr, sizeof n->api_addr,
			    strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
			    port);
	}
	if (!c->no_mdns && open_mdns(n, err, errlen) != 0)
		return -1;
	n->tick = event_new(n->base, -1, EV_PERSIST, on_tick, n);
	n->soon_ev = evtimer_new(n->base, on_soon, n);
	n->sigterm = evsignal_new(n->base, SIGTERM, on_signal, n);
	n->sigint = evsignal_new(n->base, SIGINT, on_signal, n);
	{
		struct timeval tv = { 0, TICK_MS * 1000 };

		if (n->tick == NULL || n->soon_ev == NULL ||
		    n->sigterm == NULL || n->sigint == NULL
		    || event_add(n->tick, &tv) != 0 ||
		    event_add(n->sigterm, NULL) != 0 ||
		    event_add(n->sigint, NULL) != 0) {
			(void)snprintf(err, errlen, "cannot set up events");
			return -1;
		}
	}
	return 0;
}

static void
teardown(struct ag_node *n)
{
	char	path[PATH_MAX];

	/*
	 * Callers waiting for the log are answered first; then everything
	 * that could call into the cluster goes before the cluster itself
	 * (raft's close finishes its last writes on this loop).
	 */
	ag_node_decisions_abort(n);
	ag_solver_free(n->solver);
	n->solver = NULL;
	ag_node_workers_free(n);	/* stops them: no orphans */
	if (n->tick != NULL) {
		event_free(n->tick);
		n->tick = NULL;
	}
	if (n->soon_ev != NULL) {
		event_free(n->soon_ev);
		n->soon_ev = NULL;
	}
	ag_node_obs_free(n);
	ag_api_free(n->api);
	n->api = NULL;
	ag_httptls_free(n->httptls);	/* after the connections using it */
	n->httptls = NULL;
	disc_mdns_free(n->mdns);
	n->mdns = NULL;
	ag_node_tunnels_free(n->tunnels);
	n->tunnels = NULL;
	if (n->ep != NULL)
		net_quic_endpoint_free(n->ep);
	n->ep = NULL;
	ag_cluster_free(n->cluster);
	n->cluster = NULL;
	free(n->inv);
	free(n->self_rec);
	free(n->pub_rec);
	if (n->bench_pid > 0) {
		int k;

		(void)kill(n->bench_pid, SIGTERM);
		for (k = 0; k < 20 && waitpid(n->bench_pid, NULL, WNOHANG) == 0;
		    k++)
			(void)usleep(50000);
		if (k == 20) {	/* stuck in a driver: 1 s was its chance */
			(void)kill(n->bench_pid, SIGKILL);
			(void)waitpid(n->bench_pid, NULL, 0);
		}
	}
	for (int i = 0; i < n->npeers; i++)
		pending_clear(&n->peers[i]);
	ag_node_auth_free(n);
	ag_node_deny_free(n);
	if (n->sigterm != NULL)
		event_free(n->sigterm);
	if (n->sigint != NULL)
		event_free(n->sigint);
	if (n->base != NULL)
		event_base_free(n->base);
	if (n->creds != NULL)
		gnutls_certificate_free_credentials(n->creds);
	if (n->data_dir[0] != '\0' && ag_datadir_path(n->data_dir,
	    AG_RUN_FILE, path, sizeof path) == 0)
		(void)unlink(path);
	ag_trust_free(&n->trust);
}

int
ag_node_run(const struct ag_config *cfg)
{
	struct ag_node	*n = calloc(1, sizeof *n);
	char		 err[512];
	int		 rc = AG_EXIT_OK;

	if (n == NULL) {
		ag_log(AG_LOG_ERR, "out of memory");
		return AG_EXIT_RUNTIME;
	}
	n->cfg = cfg;
	n->started = ag_node_now();
	n->probe_rng = (uint64_t)(n->started * 1e9) ^ (uint64_t)getpid() << 32;
	(void)signal(SIGPIPE, SIG_IGN);
	if (setup(n, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		rc = AG_EXIT_RUNTIME;
		goto out;
	}
	if (n->trust.secret_created)
		announce_secret(n);
	if (write_run_file(n) != 0)
		ag_log(AG_LOG_WARNING, "could not write %s/%s", n->data_dir,
		    AG_RUN_FILE);
	ag_log(AG_LOG_NOTICE, "node %s (%s) up: %s trust, API on %s%s, %d "
	    "join target(s)", n->trust.node_id, n->name,
	    ag_trust_mode_name(n->trust.mode), n->httptls != NULL ?
	    "https://" : "", n->api_addr, n->njoins);
	on_tick(-1, 0, n);
	if (event_base_dispatch(n->base) < 0) {
		ag_log(AG_LOG_ERR, "event loop failed");
		rc = AG_EXIT_RUNTIME;
	}
out:
	teardown(n);
	free(n);
	return rc;
}
