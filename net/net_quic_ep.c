/*
 * net_quic_ep.c - the QUIC endpoint: UDP sockets on the caller's
 * event_base, datagram input and output, and routing by connection ID.
 *
 * Every datagram is read here and dispatched by its Destination
 * Connection ID through one hash table holding every CID any connection
 * issued (its first SCID, the client's original DCID for servers, and the
 * ones ngtcp2 asks for through get_new_connection_id).  A datagram that
 * matches nothing is either a new Initial (ngtcp2_accept), a packet for a
 * version we do not speak (Version Negotiation), a short-header packet of
 * a connection we forgot (stateless reset), or garbage - dropped and
 * counted, with at most one log line a second.  Replies to strangers come
 * out of one token bucket so the endpoint cannot be used as an amplifier.
 *
 * Connections read in one readable event are collected on a dirty list
 * and processed (written, timers armed) once after the batch, so a burst
 * of datagrams costs one write round, not one per packet.
 *
 * System calls, not crypto, dominated bulk transfers when every datagram
 * took its own sendmsg/recvmsg, so datagrams move in batches: a
 * connection hands over runs of same-sized packets that leave in one
 * UDP GSO sendmsg (or one sendmmsg where the kernel will not segment),
 * and a readable socket is drained with recvmmsg, each message cut into
 * datagrams by its UDP_GRO segment size.  docs/protocol.md, "Datagram
 * I/O", has the rules and the fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <event2/event.h>
#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "net_quic_int.h"

#define SOCKBUF		(4 << 20)	/* SO_RCVBUF / SO_SNDBUF wish */
#define REPLY_RATE	20.0		/* stranger replies per second */
#define REPLY_BURST	20.0

uint64_t
nq_now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double
nq_wall(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
nq_log(struct net_quic_endpoint *ep, int level, const char *fmt, ...)
{
	char	line[512];
	va_list	ap;

	if (ep->cfg.cb.log == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	ep->cfg.cb.log(level, line, ep->cfg.arg);
}

void
nq_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char		host[INET6_ADDRSTRLEN];
	const void	*a;
	unsigned	port;

	if (sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port);
	} else if (sa->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	} else {
		(void)snprintf(buf, len, "(family %d)", sa->sa_family);
		return;
	}
	if (inet_ntop(sa->sa_family, a, host, sizeof host) == NULL)
		(void)snprintf(host, sizeof host, "?");
	if (sa->sa_family == AF_INET6)
		(void)snprintf(buf, len, "[%s]:%u", host, port);
	else
		(void)snprintf(buf, len, "%s:%u", host, port);
}

int
net_quic_addr_parse(const char *s, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)(void *)ss;
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*p, *colon;
	char			*end;
	size_t			 hl;
	unsigned long		 port;

	memset(ss, 0, sizeof *ss);
	if (s == NULL || strlen(s) > sizeof host + 8)
		goto bad;
	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL || p[1] != ':')
			goto bad;
		hl = (size_t)(p - s - 1);
		if (hl == 0 || hl >= sizeof host)
			goto bad;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = p + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || colon == s)
			goto bad;
		hl = (size_t)(colon - s);
		if (hl >= sizeof host)
			goto bad;
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (colon[1] < '0' || colon[1] > '9')
		goto bad;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535)
		goto bad;
	if (s[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof *sin;
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof *sin6;
		return 0;
	}
bad:
	(void)snprintf(err, errlen, "bad address \"%.80s\" (want ADDR:PORT "
	    "or [V6ADDR]:PORT, numeric)", s == NULL ? "" : s);
	return -1;
}

/* ---- connection-ID table ---- */

static unsigned
cid_hash(const struct net_quic_endpoint *ep, const uint8_t *d, size_t n)
{
	uint64_t	h = ep->hashkey;
	size_t		i;

	/* Keyed FNV-1a plus a final mix: peers choose some of the keys. */
	for (i = 0; i < n; i++) {
		h ^= d[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (unsigned)(h % NQ_CID_BUCKETS);
}

static struct net_quic_conn *
cid_find(struct net_quic_endpoint *ep, const uint8_t *d, size_t n)
{
	struct nq_cid	*e;

	if (n > NGTCP2_MAX_CIDLEN)
		return NULL;
	for (e = ep->cids[cid_hash(ep, d, n)]; e != NULL; e = e->next)
		if (e->len == n && memcmp(e->data, d, n) == 0)
			return e->conn;
	return NULL;
}

int
nq_cid_add(struct net_quic_endpoint *ep, struct net_quic_conn *c,
    const uint8_t *d, size_t n)
{
	struct nq_cid	*e;
	unsigned	 h;

	if (n > NGTCP2_MAX_CIDLEN)
		return -1;
	if (cid_find(ep, d, n) != NULL)
		return -1;	/* a collision: the caller picks another */
	if ((e = calloc(1, sizeof *e)) == NULL)
		return -1;
	e->len = (uint8_t)n;
	memcpy(e->data, d, n);
	e->conn = c;
	h = cid_hash(ep, d, n);
	e->next = ep->cids[h];
	ep->cids[h] = e;
	e->cnext = c->cidlist;
	c->cidlist = e;
	return 0;
}

static void
cid_unlink(struct net_quic_endpoint *ep, struct nq_cid *e)
{
	struct nq_cid	**pp;

	for (pp = &ep->cids[cid_hash(ep, e->data, e->len)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			return;
		}
}

void
nq_cid_del(struct net_quic_endpoint *ep, const uint8_t *d, size_t n)
{
	struct net_quic_conn	*c;
	struct nq_cid		**pp, *e;

	if ((c = cid_find(ep, d, n)) == NULL)
		return;
	for (pp = &c->cidlist; (e = *pp) != NULL; pp = &e->cnext)
		if (e->len == n && memcmp(e->data, d, n) == 0) {
			*pp = e->cnext;
			cid_unlink(ep, e);
			free(e);
			return;
		}
}

void
nq_cid_del_conn(struct net_quic_endpoint *ep, struct net_quic_conn *c)
{
	struct nq_cid	*e;

	while ((e = c->cidlist) != NULL) {
		c->cidlist = e->cnext;
		cid_unlink(ep, e);
		free(e);
	}
}

/* ---- output ---- */

/* Control messages of one send: the source address, the GSO size. */
union nq_txcm {
	char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr	align;
};

static void
set_control(struct msghdr *msg, const struct nq_sock *s,
    const struct sockaddr *local, uint16_t gso, union nq_txcm *cm)
{
	struct cmsghdr	*cmsg;
	size_t		 len = 0;

	memset(cm, 0, sizeof *cm);
	if (s->wildcard && local != NULL) {
		/* Answer from the address the peer talks to. */
		cmsg = (struct cmsghdr *)(void *)cm->buf;
		if (s->family == AF_INET) {
			struct in_pktinfo	pi;

			memset(&pi, 0, sizeof pi);
			pi.ipi_spec_dst = ((const struct sockaddr_in *)
			    (const void *)local)->sin_addr;
			cmsg->cmsg_level = IPPROTO_IP;
			cmsg->cmsg_type = IP_PKTINFO;
			cmsg->cmsg_len = CMSG_LEN(sizeof pi);
			memcpy(CMSG_DATA(cmsg), &pi, sizeof pi);
			len = CMSG_SPACE(sizeof pi);
		} else {
			struct in6_pktinfo	pi;

			memset(&pi, 0, sizeof pi);
			pi.ipi6_addr = ((const struct sockaddr_in6 *)
			    (const void *)local)->sin6_addr;
			cmsg->cmsg_level = IPPROTO_IPV6;
			cmsg->cmsg_type = IPV6_PKTINFO;
			cmsg->cmsg_len = CMSG_LEN(sizeof pi);
			memcpy(CMSG_DATA(cmsg), &pi, sizeof pi);
			len = CMSG_SPACE(sizeof pi);
		}
	}
	if (gso != 0) {
		/* CMSG_SPACE keeps the next header aligned. */
		cmsg = (struct cmsghdr *)(void *)(cm->buf + len);
		cmsg->cmsg_level = SOL_UDP;
		cmsg->cmsg_type = UDP_SEGMENT;
		cmsg->cmsg_len = CMSG_LEN(sizeof gso);
		memcpy(CMSG_DATA(cmsg), &gso, sizeof gso);
		len += CMSG_SPACE(sizeof gso);
	}
	msg->msg_control = len > 0 ? cm->buf : NULL;
	msg->msg_controllen = len;
}

/*
 * After a failed send: -1 if the socket is full (the caller ends its
 * burst), else 0.  Anything else (ECONNREFUSED from an ICMP error,
 * EHOSTUNREACH...) is a lost packet as far as QUIC is concerned;
 * recovery and the idle timeout deal with a peer that is really gone.
 */
static int
send_failed(int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
		return -1;
	return 0;
}

/* Errors by which the kernel says it will not segment for us. */
static int
gso_refusal(int err)
{
	return err == EIO || err == EINVAL || err == ENOPROTOOPT ||
	    err == EOPNOTSUPP;
}

static void
gso_off(struct nq_sock *s, int err)
{
	char	addr[64];

	s->gso = 0;
	s->ep->io.gso_refused++;
	s->ep->io.gso_socks--;
	nq_addr_text((struct sockaddr *)&s->addr, addr, sizeof addr);
	nq_log(s->ep, NET_QUIC_LOG_NOTICE, "quic: the kernel refused a UDP "
	    "GSO send on %s (%s); that socket sends datagrams one by one "
	    "(sendmmsg) from now on", addr, strerror(err));
}

/* One sendmsg; the kernel cuts buf into datagrams of seg bytes. */
static ssize_t
send_gso(struct nq_sock *s, const struct sockaddr *local,
    const struct sockaddr *remote, socklen_t remotelen, const uint8_t *buf,
    size_t len, size_t seg)
{
	union nq_txcm	cm;
	struct msghdr	msg;
	struct iovec	iov;
	ssize_t		n;

	memset(&msg, 0, sizeof msg);
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_name = (void *)(uintptr_t)remote;
	msg.msg_namelen = remotelen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	set_control(&msg, s, local, (uint16_t)seg, &cm);
	do {
		n = sendmsg(s->fd, &msg, 0);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* Datagrams of seg bytes (the last may be shorter), one sendmmsg. */
static int
send_each(struct nq_sock *s, const struct sockaddr *local,
    const struct sockaddr *remote, socklen_t remotelen, const uint8_t *buf,
    size_t len, size_t seg)
{
	struct mmsghdr	mm[NQ_BATCH_SEGS];
	struct iovec	iov[NQ_BATCH_SEGS];
	union nq_txcm	cm;
	struct msghdr	proto;
	size_t		off, k, cnt, done;
	int		n;

	memset(&proto, 0, sizeof proto);
	proto.msg_name = (void *)(uintptr_t)remote;
	proto.msg_namelen = remotelen;
	set_control(&proto, s, local, 0, &cm);
	for (off = 0; off < len; off += k * seg) {
		memset(mm, 0, sizeof mm);
		for (k = 0; k < NQ_BATCH_SEGS && off + k * seg < len; k++) {
			iov[k].iov_base = (void *)(uintptr_t)(buf + off +
			    k * seg);
			iov[k].iov_len = len - off - k * seg < seg ?
			    len - off - k * seg : seg;
			mm[k].msg_hdr = proto;
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
		}
		for (done = 0; done < k; ) {
			cnt = k - done;
			n = sendmmsg(s->fd, mm + done, (unsigned)cnt, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (send_failed(errno) < 0)
					return -1;
				done++;		/* that one is lost */
				continue;
			}
			s->ep->io.tx_calls++;
			s->ep->io.tx_dgrams += (uint64_t)n;
			done += (size_t)n;
		}
	}
	return 0;
}

int
nq_send_batch(struct nq_sock *s, const struct sockaddr *local,
    const struct sockaddr *remote, socklen_t remotelen, const uint8_t *buf,
    size_t len, size_t seg)
{
	size_t	nseg;
	int	err;

	if (len == 0 || seg == 0)
		return 0;
	nseg = (len + seg - 1) / seg;
	if (nseg > 1 && s->gso && seg <= UINT16_MAX) {
		if (send_gso(s, local, remote, remotelen, buf, len, seg) >= 0) {
			s->ep->io.tx_calls++;
			s->ep->io.tx_gso_calls++;
			s->ep->io.tx_dgrams += nseg;
			return 0;
		}
		err = errno;
		if (!gso_refusal(err))
			return send_failed(err);
		/* Refused: off for good, and this batch goes one by one. */
		gso_off(s, err);
	}
	return send_each(s, local, remote, remotelen, buf, len, seg);
}

int
nq_send(struct nq_sock *s, const struct sockaddr *local,
    const struct sockaddr *remote, socklen_t remotelen, const uint8_t *buf,
    size_t len)
{
	return nq_send_batch(s, local, remote, remotelen, buf, len, len);
}

static int
bucket_take(struct nq_bucket *b)
{
	uint64_t	now = nq_now();

	b->tokens += (double)(now - b->last) / 1e9 * REPLY_RATE;
	if (b->tokens > REPLY_BURST)
		b->tokens = REPLY_BURST;
	b->last = now;
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

void
nq_drop(struct net_quic_endpoint *ep, const char *why,
    const struct sockaddr *from)
{
	char		addr[64];
	uint64_t	now = nq_now();

	ep->dropped++;
	ep->dropped_unlogged++;
	if (ep->drop_log_ts != 0 && now - ep->drop_log_ts < 1000000000ull)
		return;
	nq_addr_text(from, addr, sizeof addr);
	nq_log(ep, NET_QUIC_LOG_INFO, "quic: dropped %llu datagram%s "
	    "(latest: %s, from %s)",
	    (unsigned long long)ep->dropped_unlogged,
	    ep->dropped_unlogged == 1 ? "" : "s", why, addr);
	ep->dropped_unlogged = 0;
	ep->drop_log_ts = now;
}

static void
send_version_negotiation(struct nq_sock *s, const struct sockaddr *local,
    const struct sockaddr *from, socklen_t fromlen,
    const ngtcp2_version_cid *vc, size_t pktlen)
{
	uint8_t		buf[256], r;
	uint32_t	sv[2];
	ngtcp2_ssize	n;

	/* Only for datagrams that could be a real Initial (RFC 9000 6.1). */
	if (pktlen < NGTCP2_MAX_UDP_PAYLOAD_SIZE || !bucket_take(&s->ep->replies))
		return;
	if (gnutls_rnd(GNUTLS_RND_NONCE, &r, 1) < 0)
		return;
	sv[0] = NGTCP2_PROTO_VER_V1;
	sv[1] = 0x1a2a3a4au;	/* a greased version (RFC 9000 15) */
	n = ngtcp2_pkt_write_version_negotiation(buf, sizeof buf, r,
	    vc->scid, vc->scidlen, vc->dcid, vc->dcidlen, sv, 2);
	if (n > 0)
		(void)nq_send(s, local, from, fromlen, buf, (size_t)n);
}

static void
send_stateless_reset(struct nq_sock *s, const struct sockaddr *local,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *dcid,
    size_t pktlen)
{
	uint8_t		buf[64], rnd[40], token[NGTCP2_STATELESS_RESET_TOKENLEN];
	ngtcp2_cid	cid;
	size_t		randlen;
	ngtcp2_ssize	n;

	/* Smaller than the trigger, so two forgetful ends cannot loop. */
	if (pktlen < 1 + NQ_CIDLEN + NGTCP2_STATELESS_RESET_TOKENLEN + 1)
		return;
	randlen = pktlen - 1 - NGTCP2_STATELESS_RESET_TOKENLEN;
	if (randlen > sizeof rnd)
		randlen = sizeof rnd;
	if (randlen < NGTCP2_MIN_STATELESS_RESET_RANDLEN ||
	    !bucket_take(&s->ep->replies))
		return;
	ngtcp2_cid_init(&cid, dcid, NQ_CIDLEN);
	if (ngtcp2_crypto_generate_stateless_reset_token(token,
	    s->ep->secret, sizeof s->ep->secret, &cid) != 0)
		return;
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, randlen) < 0)
		return;
	n = ngtcp2_pkt_write_stateless_reset(buf, sizeof buf, token, rnd,
	    randlen);
	if (n > 0)
		(void)nq_send(s, local, from, fromlen, buf, (size_t)n);
}

/* ---- input ---- */

static void
mark_dirty(struct net_quic_conn *c)
{
	if (!c->in_dirty) {
		c->in_dirty = 1;
		TAILQ_INSERT_TAIL(&c->ep->dirty, c, dentry);
	}
}

static void
dispatch(struct nq_sock *s, const struct sockaddr *local, socklen_t locallen,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *pkt,
    size_t len)
{
	struct net_quic_endpoint	*ep = s->ep;
	struct net_quic_conn		*c;
	ngtcp2_version_cid		 vc;
	ngtcp2_pkt_hd			 hd;
	ngtcp2_path			 path;
	int				 rv;

	memset(&path, 0, sizeof path);
	path.local.addr = (ngtcp2_sockaddr *)(uintptr_t)local;
	path.local.addrlen = locallen;
	path.remote.addr = (ngtcp2_sockaddr *)(uintptr_t)from;
	path.remote.addrlen = fromlen;

	if (len == 0) {		/* ngtcp2 asserts on empty input */
		nq_drop(ep, "empty datagram", from);
		return;
	}
	rv = ngtcp2_pkt_decode_version_cid(&vc, pkt, len, NQ_CIDLEN);
	if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
		send_version_negotiation(s, local, from, fromlen, &vc, len);
		nq_drop(ep, "unsupported QUIC version", from);
		return;
	}
	if (rv != 0) {
		nq_drop(ep, "undecodable header", from);
		return;
	}
	if ((c = cid_find(ep, vc.dcid, vc.dcidlen)) != NULL) {
		nq_conn_read(c, &path, pkt, len);
		mark_dirty(c);
		return;
	}
	if (vc.version == 0) {
		if (vc.dcidlen == NQ_CIDLEN)
			send_stateless_reset(s, local, from, fromlen, vc.dcid,
			    len);
		nq_drop(ep, "unknown connection", from);
		return;
	}
	if (ngtcp2_accept(&hd, pkt, len) != 0 || hd.type != NGTCP2_PKT_INITIAL) {
		nq_drop(ep, "not an acceptable Initial", from);
		return;
	}
	if (ep->freeing || ep->nconns >= ep->cfg.max_conns ||
	    ep->nhandshakes >= NQ_HANDSHAKES_MAX) {
		nq_drop(ep, "connection limit reached", from);
		return;
	}
	if ((c = nq_conn_accept(ep, s, &path, &hd)) == NULL) {
		nq_drop(ep, "could not create a connection", from);
		return;
	}
	nq_conn_read(c, &path, pkt, len);
	mark_dirty(c);
}

/*
 * What the control messages of one received message say: the address
 * it was sent to (wildcard sockets) and, with GRO, the size of the
 * datagrams it holds (0: one datagram).
 */
static size_t
parse_cmsgs(struct nq_sock *s, struct msghdr *msg,
    struct sockaddr_storage *local, socklen_t *locallen)
{
	struct cmsghdr	*cmsg;
	size_t		 gso = 0;

	memcpy(local, &s->addr, s->addrlen);
	*locallen = s->addrlen;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_UDP &&
		    cmsg->cmsg_type == UDP_GRO) {
			uint16_t	g16;
			int		gi;

			/* The kernel gives a u16; take an int as well. */
			if (cmsg->cmsg_len == CMSG_LEN(sizeof gi)) {
				memcpy(&gi, CMSG_DATA(cmsg), sizeof gi);
				gso = gi > 0 ? (size_t)gi : 0;
			} else if (cmsg->cmsg_len >= CMSG_LEN(sizeof g16)) {
				memcpy(&g16, CMSG_DATA(cmsg), sizeof g16);
				gso = g16;
			}
		} else if (s->wildcard && s->family == AF_INET &&
		    cmsg->cmsg_level == IPPROTO_IP &&
		    cmsg->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo	pi;

			memcpy(&pi, CMSG_DATA(cmsg), sizeof pi);
			((struct sockaddr_in *)(void *)local)->sin_addr =
			    pi.ipi_addr;
		} else if (s->wildcard && s->family == AF_INET6 &&
		    cmsg->cmsg_level == IPPROTO_IPV6 &&
		    cmsg->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo	pi;

			memcpy(&pi, CMSG_DATA(cmsg), sizeof pi);
			((struct sockaddr_in6 *)(void *)local)->sin6_addr =
			    pi.ipi6_addr;
		}
	}
	return gso;
}

static void
process_dirty(struct net_quic_endpoint *ep)
{
	struct net_quic_conn	*c;

	while ((c = TAILQ_FIRST(&ep->dirty)) != NULL) {
		TAILQ_REMOVE(&ep->dirty, c, dentry);
		c->in_dirty = 0;
		nq_conn_process(c);
	}
}

/* One received message: a datagram, or with GRO a run of them. */
static void
rx_message(struct nq_sock *s, struct msghdr *msg, const uint8_t *buf,
    size_t n)
{
	const struct sockaddr	*from = msg->msg_name;
	struct sockaddr_storage	 local;
	socklen_t		 locallen;
	size_t			 gso, off, len;

	if (msg->msg_namelen == 0 || (from->sa_family != AF_INET &&
	    from->sa_family != AF_INET6))
		return;
	if ((msg->msg_flags & MSG_TRUNC) != 0) {
		nq_drop(s->ep, "oversized datagram", from);
		return;
	}
	s->ep->io.rx_msgs++;
	gso = parse_cmsgs(s, msg, &local, &locallen);
	if (gso == 0 || gso > n)
		gso = n;
	off = 0;
	do {
		len = n - off < gso ? n - off : gso;
		s->ep->io.rx_dgrams++;
		dispatch(s, (struct sockaddr *)&local, locallen, from,
		    msg->msg_namelen, buf + off, len);
		off += len;
	} while (off < n);
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct nq_sock		*s = arg;
	struct net_quic_endpoint *ep = s->ep;
	struct sockaddr_storage	 from[NQ_RX_MSGS];
	union {
		char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				    CMSG_SPACE(sizeof(struct in_pktinfo)) +
				    CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cm[NQ_RX_MSGS];
	struct mmsghdr		 mm[NQ_RX_MSGS];
	struct iovec		 iov[NQ_RX_MSGS];
	unsigned		 round, i;
	int			 n;

	(void)what;
	for (round = 0; round < NQ_RX_ROUNDS; round++) {
		memset(mm, 0, sizeof mm);
		for (i = 0; i < NQ_RX_MSGS; i++) {
			iov[i].iov_base = ep->rxbuf + (size_t)i * NQ_RECV_MAX;
			iov[i].iov_len = NQ_RECV_MAX;
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof from[i];
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = cm[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof cm[i].buf;
		}
		n = recvmmsg(fd, mm, NQ_RX_MSGS, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/*
			 * EINTR, or ECONNREFUSED and friends: an ICMP error
			 * for some earlier datagram.  Ignore it and keep
			 * reading, or the queued datagrams behind it are
			 * never seen.
			 */
			continue;
		}
		ep->io.rx_calls++;
		for (i = 0; i < (unsigned)n; i++)
			rx_message(s, &mm[i].msg_hdr, iov[i].iov_base,
			    mm[i].msg_len);
		if (n < NQ_RX_MSGS)
			break;
	}
	process_dirty(ep);
}

void
net_quic_endpoint_inject(struct net_quic_endpoint *ep,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len)
{
	struct nq_sock	*s = &ep->socks[0];

	if (ep->nsocks == 0 || len > NQ_RECV_MAX)
		return;
	memcpy(ep->rxbuf, buf, len);
	dispatch(s, (struct sockaddr *)&s->addr, s->addrlen, from, fromlen,
	    ep->rxbuf, len);
	process_dirty(ep);
}

/* ---- sockets ---- */

struct nq_sock *
nq_sock_for(struct net_quic_endpoint *ep, int family)
{
	unsigned	i;

	for (i = 0; i < ep->nsocks; i++)
		if (ep->socks[i].family == family)
			return &ep->socks[i];
	return NULL;
}

/* Our address toward remote: the bound one, or what routing picks. */
int
nq_local_for(struct nq_sock *s, const struct sockaddr *remote,
    socklen_t remotelen, struct sockaddr_storage *out, socklen_t *outlen)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof ss;
	int			fd, rc;

	if (!s->wildcard) {
		memcpy(out, &s->addr, s->addrlen);
		*outlen = s->addrlen;
		return 0;
	}
	if ((fd = socket(s->family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	rc = connect(fd, remote, remotelen);
	if (rc == 0)
		rc = getsockname(fd, (struct sockaddr *)&ss, &len);
	(void)close(fd);
	if (rc != 0)
		return -1;
	if (s->family == AF_INET)
		((struct sockaddr_in *)(void *)&ss)->sin_port =
		    ((struct sockaddr_in *)(void *)&s->addr)->sin_port;
	else
		((struct sockaddr_in6 *)(void *)&ss)->sin6_port =
		    ((struct sockaddr_in6 *)(void *)&s->addr)->sin6_port;
	memcpy(out, &ss, len);
	*outlen = len;
	return 0;
}

/*
 * The largest UDP payload for the path to remote: the route's MTU (the
 * interface's, or a smaller one the kernel learned from ICMP) less the IP
 * and UDP headers, within the configured cap or, without one,
 * NQ_PAYLOAD_AUTO: ngtcp2 0.12 grows a per-connection decryption buffer
 * to the largest packet received (loopback's 64 KiB datagrams cost a
 * 32-agent cluster 3 MiB per agent), while 16 KiB datagrams already
 * spread the per-datagram costs (docs/testing.md, Benchmarks).  *jumbo is
 * set when the MTU is above Ethernet's 1500: such a path is taken at its
 * word from the first packet (loopback, a jumbo-frame LAN, where every
 * host on the segment has the same MTU); on any other ngtcp2's path MTU
 * discovery finds the size.  Without an answer: the standard size, no
 * jumbo.
 */
size_t
nq_path_payload(const struct net_quic_endpoint *ep,
    const struct sockaddr *remote, socklen_t remotelen, int *jumbo)
{
	int		fd, mtu = 0, v6 = remote->sa_family == AF_INET6;
	socklen_t	ml = sizeof mtu;
	size_t		p, hdr, cap = ep->cfg.max_udp_payload;

	if (cap == 0)
		cap = NQ_PAYLOAD_AUTO;

	*jumbo = 0;
	if ((fd = socket(remote->sa_family, SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) < 0)
		return NQ_PAYLOAD_STD;
	if (connect(fd, remote, remotelen) < 0 ||
	    getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    v6 ? IPV6_MTU : IP_MTU, &mtu, &ml) < 0)
		mtu = 0;
	(void)close(fd);
	if (mtu <= 0)
		return NQ_PAYLOAD_STD;
	hdr = v6 ? 48 : 28;	/* IP header, UDP header */
	p = (size_t)mtu < NQ_PAYLOAD_MIN + hdr ? NQ_PAYLOAD_MIN :
	    (size_t)mtu - hdr;
	if (p > NQ_PAYLOAD_MAX)
		p = NQ_PAYLOAD_MAX;
	if (p > cap)
		p = cap;
	*jumbo = mtu > NQ_MTU_STD && p > NQ_PAYLOAD_STD;
	return p;
}

static int
sock_is_wildcard(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*sin6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return sin->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}

/*
 * GSO and GRO where the kernel has them (Linux 4.18 / 5.0).  Setting
 * UDP_SEGMENT to 0 asks for nothing by default but fails where the
 * option does not exist; a kernel that knows it may still refuse a send
 * (no checksum offload on the route's device), which nq_send_batch
 * handles.  -1 only for the test switch failing.
 */
static int
sock_offload(struct net_quic_endpoint *ep, struct nq_sock *s)
{
	int	zero = 0, one = 1;

	if (setsockopt(s->fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0) {
		s->gso = 1;
		ep->io.gso_socks++;
	} else
		nq_log(ep, NET_QUIC_LOG_DEBUG, "quic: no UDP GSO: %s",
		    strerror(errno));
	if (setsockopt(s->fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0) {
		s->gro = 1;
		ep->io.gro_socks++;
	} else
		nq_log(ep, NET_QUIC_LOG_DEBUG, "quic: no UDP GRO: %s",
		    strerror(errno));
	/* Without checksums the kernel refuses GSO sends with EINVAL. */
	if (ep->cfg.udp_offload == NET_QUIC_OFFLOAD_TEST_REFUSE &&
	    s->family == AF_INET && setsockopt(s->fd, SOL_SOCKET, SO_NO_CHECK,
	    &one, sizeof one) < 0)
		return -1;
	return 0;
}

static int
sock_open(struct net_quic_endpoint *ep, struct nq_sock *s, const char *spec,
    char *err, size_t errlen)
{
	int	one = 1, sz = SOCKBUF;

	s->ep = ep;
	s->fd = -1;
	if (net_quic_addr_parse(spec, &s->addr, &s->addrlen, err, errlen) < 0)
		return -1;
	s->family = s->addr.ss_family;
	s->wildcard = sock_is_wildcard(&s->addr);
	s->fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* Bigger buffers help bulk probes; the kernel may cap them. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz) < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz) < 0)
		nq_log(ep, NET_QUIC_LOG_DEBUG, "quic: socket buffers: %s",
		    strerror(errno));
	if (s->family == AF_INET6 && setsockopt(s->fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof one) < 0)
		goto fail;
	if (s->wildcard && s->family == AF_INET && setsockopt(s->fd,
	    IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0)
		goto fail;
	if (s->wildcard && s->family == AF_INET6 && setsockopt(s->fd,
	    IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0)
		goto fail;
	if (ep->cfg.udp_offload != NET_QUIC_OFFLOAD_OFF &&
	    sock_offload(ep, s) < 0)
		goto fail;
	if (bind(s->fd, (struct sockaddr *)&s->addr, s->addrlen) < 0)
		goto fail;
	s->addrlen = sizeof s->addr;
	if (getsockname(s->fd, (struct sockaddr *)&s->addr, &s->addrlen) < 0)
		goto fail;
	s->ev = event_new(ep->base, s->fd, EV_READ | EV_PERSIST, on_readable,
	    s);
	if (s->ev == NULL || event_add(s->ev, NULL) < 0) {
		(void)snprintf(err, errlen, "%s: cannot register with the "
		    "event loop", spec);
		return -1;
	}
	return 0;
fail:
	(void)snprintf(err, errlen, "%s: %s", spec, strerror(errno));
	return -1;
}

static void
sock_close(struct nq_sock *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	s->ev = NULL;
	if (s->fd >= 0)
		(void)close(s->fd);
	s->fd = -1;
}

/* ---- endpoint ---- */

static void
cfg_defaults(struct net_quic_config *c)
{
	if (c->idle_timeout_ms == 0)
		c->idle_timeout_ms = NET_QUIC_IDLE_MS;
	if (c->keepalive_ms == 0)
		c->keepalive_ms = c->idle_timeout_ms / 3;
	if (c->handshake_timeout_ms == 0)
		c->handshake_timeout_ms = NET_QUIC_HANDSHAKE_MS;
	if (c->control_buf_max == 0)
		c->control_buf_max = NET_QUIC_CONTROL_BUF;
	if (c->probe_max == 0)
		c->probe_max = NET_QUIC_PROBE_MAX;
	if (c->max_conns == 0)
		c->max_conns = NET_QUIC_MAX_CONNS;
}

struct net_quic_endpoint *
net_quic_endpoint_new(struct event_base *base,
    const struct net_quic_config *cfg, char *err, size_t errlen)
{
	struct net_quic_endpoint	*ep;
	unsigned			 i;
	int				 rc;

	if (base == NULL || cfg == NULL || cfg->cred == NULL) {
		(void)snprintf(err, errlen, "quic endpoint: no event base or "
		    "no TLS credentials");
		return NULL;
	}
	if (cfg->max_udp_payload != 0 &&
	    (cfg->max_udp_payload < NET_QUIC_PAYLOAD_MIN ||
	    cfg->max_udp_payload > NET_QUIC_PAYLOAD_MAX)) {
		(void)snprintf(err, errlen, "quic endpoint: largest UDP "
		    "payload %zu is outside %d..%d", cfg->max_udp_payload,
		    NET_QUIC_PAYLOAD_MIN, NET_QUIC_PAYLOAD_MAX);
		return NULL;
	}
	if ((ep = calloc(1, sizeof *ep)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ep->base = base;
	ep->cfg = *cfg;
	cfg_defaults(&ep->cfg);
	TAILQ_INIT(&ep->conns);
	TAILQ_INIT(&ep->dirty);
	for (i = 0; i < NET_QUIC_MAX_LISTEN; i++)
		ep->socks[i].fd = -1;
	ep->replies.tokens = REPLY_BURST;
	ep->replies.last = nq_now();
	rc = gnutls_rnd(GNUTLS_RND_KEY, ep->secret, sizeof ep->secret);
	if (rc == 0)
		rc = gnutls_rnd(GNUTLS_RND_RANDOM, &ep->hashkey,
		    sizeof ep->hashkey);
	if (rc < 0) {
		(void)snprintf(err, errlen, "random: %s", gnutls_strerror(rc));
		goto fail;
	}
	if ((ep->rxbuf = malloc((size_t)NQ_RX_MSGS * NQ_RECV_MAX)) == NULL ||
	    (ep->txbuf = malloc(NQ_TXBUF)) == NULL ||
	    nq_pattern_init(ep) < 0) {
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < NET_QUIC_MAX_LISTEN && cfg->listen[i] != NULL; i++) {
		if (sock_open(ep, &ep->socks[i], cfg->listen[i], err,
		    errlen) < 0) {
			ep->nsocks = i + 1;
			goto fail;
		}
	}
	ep->nsocks = i;
	if (ep->nsocks == 0) {
		(void)snprintf(err, errlen, "quic endpoint: no listen address");
		goto fail;
	}
	return ep;
fail:
	net_quic_endpoint_free(ep);
	return NULL;
}

void
net_quic_endpoint_free(struct net_quic_endpoint *ep)
{
	struct net_quic_conn	*c;
	unsigned		 i;

	if (ep == NULL)
		return;
	ep->freeing = 1;
	while ((c = TAILQ_FIRST(&ep->conns)) != NULL)
		nq_conn_shutdown(c);
	for (i = 0; i < ep->nsocks; i++)
		sock_close(&ep->socks[i]);
	for (i = 0; i < NQ_CID_BUCKETS; i++)
		if (ep->cids[i] != NULL)
			nq_log(ep, NET_QUIC_LOG_ERR, "quic: CID table not "
			    "empty at exit");
	if (ep->dropped_unlogged > 0)
		nq_log(ep, NET_QUIC_LOG_INFO, "quic: dropped %llu datagrams "
		    "since the last report",
		    (unsigned long long)ep->dropped_unlogged);
	gnutls_memset(ep->secret, 0, sizeof ep->secret);
	free(ep->pattern);
	free(ep->rxbuf);
	free(ep->txbuf);
	free(ep);
}

int
net_quic_endpoint_addr(const struct net_quic_endpoint *ep, unsigned i,
    struct sockaddr_storage *ss, socklen_t *len)
{
	if (i >= ep->nsocks)
		return -1;
	memcpy(ss, &ep->socks[i].addr, ep->socks[i].addrlen);
	*len = ep->socks[i].addrlen;
	return 0;
}

uint16_t
net_quic_endpoint_port(const struct net_quic_endpoint *ep, int family)
{
	unsigned	i;

	for (i = 0; i < ep->nsocks; i++) {
		if (ep->socks[i].family != family)
			continue;
		if (family == AF_INET)
			return ntohs(((const struct sockaddr_in *)
			    (const void *)&ep->socks[i].addr)->sin_port);
		return ntohs(((const struct sockaddr_in6 *)
		    (const void *)&ep->socks[i].addr)->sin6_port);
	}
	return 0;
}

uint64_t
net_quic_endpoint_dropped(const struct net_quic_endpoint *ep)
{
	return ep->dropped;
}

unsigned
net_quic_endpoint_conns(const struct net_quic_endpoint *ep)
{
	return ep->nconns;
}

void
net_quic_endpoint_io_stats(const struct net_quic_endpoint *ep,
    struct net_quic_io_stats *st)
{
	*st = ep->io;
}
