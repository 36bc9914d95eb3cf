/*
 * net_quic_int.h - the inside of the QUIC transport, shared by its three
 * files and by nobody else:
 *   net_quic_ep.c      endpoint: sockets, datagram in/out, connection-ID
 *                      routing table, version negotiation, stateless
 *                      reset, garbage accounting;
 *   net_quic_conn.c    one connection: ngtcp2 + GnuTLS setup, callbacks,
 *                      timer, the write loop, authentication, close;
 *   net_quic_stream.c  streams: the control stream's send queue and
 *                      receive path, probe senders and receivers;
 *   net_quic_app.c     application (tunnel) streams: raw bytes both
 *                      ways with caller-driven flow control.
 * The split follows ownership: the endpoint owns sockets and the CID
 * table, a connection owns its ngtcp2 state and streams, and streams
 * never touch sockets.
 *
 * Re-entrancy rule.  ngtcp2 forbids calling read/write functions from
 * inside its callbacks, and the caller's callbacks may call our API.  So
 * API calls only queue work and "kick" the connection (arm its timer for
 * now); all ngtcp2 reads, writes and closes happen in conn_process(),
 * which is also the only place a connection is freed.
 */
#ifndef NET_QUIC_INT_H
#define NET_QUIC_INT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "net_quic.h"

#define NQ_CIDLEN		8	/* our connection IDs: 8 random bytes
					 * route well; every packet carries one */
#define NQ_PKT_MAX		1500	/* UDP payload we build */
#define NQ_RECV_MAX		65536	/* UDP payload we read */
#define NQ_PAYLOAD_STD		1452	/* 1500-byte MTU less IPv6 + UDP */
#define NQ_PAYLOAD_MIN		NET_QUIC_PAYLOAD_MIN	/* RFC 9000 14 */
#define NQ_PAYLOAD_MAX		NET_QUIC_PAYLOAD_MAX	/* IPv4 UDP */
#define NQ_PAYLOAD_AUTO		NET_QUIC_PAYLOAD_AUTO	/* uncapped: at most */
#define NQ_MTU_STD		1500	/* above it: a jumbo path */
#define NQ_SECRET_LEN		32	/* stateless-reset key */
#define NQ_CID_BUCKETS		256
#define NQ_BURST		4	/* GSO batches per write round */
#define NQ_BATCH_BYTES		64000	/* most UDP payload in one batch */
#define NQ_BATCH_SEGS		44	/* most datagrams in one batch */
#define NQ_TXBUF		NQ_RECV_MAX	/* batch or one jumbo datagram */
#define NQ_RX_MSGS		16	/* recvmmsg slots of NQ_RECV_MAX */
#define NQ_RX_ROUNDS		4	/* recvmmsg calls per readable event */
#define NQ_PROBE_HDR		16	/* "XPB1", 4 zero, u64 length */
#define NQ_PROBE_MAGIC		"XPB1"
#define NQ_PAT_PERIOD		65521	/* probe pattern period (prime) */
#define NQ_PAT_CHUNK		16384	/* most pattern bytes per vec */
#define NQ_CTL_MAGIC		"exoctl1\n"	/* client's first 8 bytes */
#define NQ_CTL_MAGIC_LEN	8
#define NQ_PENDING_MAX		64	/* queued probes per connection */
#define NQ_UNI_STREAMS		4	/* peer uni streams at once */
#define NQ_PEER_UNI_TOTAL	8192	/* per connection (ngtcp2 0.12) */
#define NQ_HANDSHAKES_MAX	64	/* unauthenticated conns at once */
#define NQ_INITIAL_RTT_MS	100	/* RTT before the first sample */

struct net_quic_conn;

/* One UDP socket. */
struct nq_sock {
	struct net_quic_endpoint	*ep;
	int				 fd;
	int				 family;
	int				 wildcard;	/* bound to any */
	int				 gso;	/* sends batches with GSO */
	int				 gro;	/* UDP_GRO is on */
	struct sockaddr_storage		 addr;
	socklen_t			 addrlen;
	struct event			*ev;
};

/* A connection ID routed to a connection. */
struct nq_cid {
	uint8_t			 len;
	uint8_t			 data[NGTCP2_MAX_CIDLEN];
	struct net_quic_conn	*conn;
	struct nq_cid		*next;		/* hash chain */
	struct nq_cid		*cnext;		/* the connection's list */
};

/* Token bucket for replies to strangers (VN, stateless reset). */
struct nq_bucket {
	double		tokens;
	uint64_t	last;	/* ns */
};

TAILQ_HEAD(nq_connq, net_quic_conn);

struct net_quic_endpoint {
	struct event_base		*base;
	struct net_quic_config		 cfg;
	struct nq_sock			 socks[NET_QUIC_MAX_LISTEN];
	unsigned			 nsocks;
	struct nq_cid			*cids[NQ_CID_BUCKETS];
	uint64_t			 hashkey;
	uint8_t				 secret[NQ_SECRET_LEN];
	struct nq_connq			 conns;
	struct nq_connq			 dirty;	/* read this round */
	unsigned			 nconns;
	unsigned			 nhandshakes;
	uint8_t				*pattern; /* period + chunk bytes */
	uint8_t				*rxbuf;	/* NQ_RX_MSGS * NQ_RECV_MAX */
	uint8_t				*txbuf;	/* one write round's batch */
	struct net_quic_io_stats	 io;
	/* garbage accounting */
	uint64_t			 dropped;
	uint64_t			 dropped_unlogged;
	uint64_t			 drop_log_ts;
	struct nq_bucket		 replies;
	int				 freeing;
};

/* Control stream send queue: one chunk per net_quic_send_control. */
struct nq_chunk {
	uint64_t		 off;	/* stream offset of data[0] */
	size_t			 len;
	TAILQ_ENTRY(nq_chunk)	 entry;
	uint8_t			 data[];
};
TAILQ_HEAD(nq_chunkq, nq_chunk);

/* A stream we send on: a probe (head = header, pattern payload) or raw. */
struct nq_ostream {
	int64_t			 id;
	int			 probe;
	uint8_t			*head;		/* header or raw bytes */
	size_t			 headlen;
	uint64_t		 paylen;	/* pattern bytes after head */
	uint64_t		 sent;		/* stream bytes handed over */
	int			 fin_sent;
	int			 blocked;	/* this write round */
	uint64_t		 t_start;	/* ns */
	TAILQ_ENTRY(nq_ostream)	 entry;
};
TAILQ_HEAD(nq_ostreamq, nq_ostream);

/* A probe the peer sends us. */
struct nq_istream {
	int64_t		id;
	uint8_t		hdr[NQ_PROBE_HDR];
	uint64_t	got;		/* stream bytes seen */
	uint64_t	total;		/* payload length from the header */
	uint64_t	t_first;	/* ns */
	TAILQ_ENTRY(nq_istream) entry;
};
TAILQ_HEAD(nq_istreamq, nq_istream);

/* An application stream (net_quic_app.c); raw bytes both ways. */
struct nq_astream {
	int64_t			 id;
	int			 remote;	/* the peer opened it */
	struct nq_chunkq	 q;		/* unacked data */
	struct nq_chunk		*cur;		/* holds sent */
	uint64_t		 end;		/* queued offset */
	uint64_t		 sent;		/* handed to ngtcp2 */
	uint64_t		 acked;
	int			 fin_req;	/* caller's last bytes queued */
	int			 fin_sent;
	int			 reset;		/* shut down, waiting to close */
	int			 blocked;	/* this write round */
	TAILQ_ENTRY(nq_astream)	 entry;
};
TAILQ_HEAD(nq_astreamq, nq_astream);

/* A finished probe waiting for its callback. */
struct nq_result {
	struct net_quic_probe_result	r;
	TAILQ_ENTRY(nq_result)		entry;
};
TAILQ_HEAD(nq_resultq, nq_result);

enum nq_state {
	NQ_HANDSHAKE,
	NQ_OPEN,	/* authenticated, announced */
	NQ_CLOSING,	/* we sent CONNECTION_CLOSE */
	NQ_DRAINING,	/* the peer closed */
	NQ_DEAD,	/* free at the next conn_process */
};

struct net_quic_conn {
	struct net_quic_endpoint	*ep;
	TAILQ_ENTRY(net_quic_conn)	 entry;
	TAILQ_ENTRY(net_quic_conn)	 dentry;
	int				 in_dirty;
	ngtcp2_conn			*q;
	gnutls_session_t		 tls;
	ngtcp2_crypto_conn_ref		 ref;
	struct nq_sock			*sock;
	struct sockaddr_storage		 local;
	socklen_t			 locallen;
	struct sockaddr_storage		 remote;
	socklen_t			 remotelen;
	size_t				 payload;	/* largest datagram */
	int				 jumbo;		/* payload from the MTU */
	struct event			*timer;
	struct nq_cid			*cidlist;
	int				 server;
	enum nq_state			 state;
	int				 visible;	/* caller knows it */
	int				 got_crypto;
	int				 confirmed;
	int				 closed_reported;
	int				 kicked;
	int				 close_req;
	int				 counted_hs;	/* in nhandshakes */
	uint64_t			 close_code;
	char				 close_text[128];
	char				 reason[NET_QUIC_REASON_MAX];
	char				 peer_id[SEC_NODE_ID_SIZE];
	uint64_t			 close_deadline;
	uint8_t				*ccpkt;
	size_t				 ccpktlen;
	uint64_t			 cc_last;
	/* control stream */
	int64_t				 ctl_id;	/* -1: none yet */
	int				 ctl_closed;
	int				 ctl_magic_queued; /* client side */
	size_t				 ctl_magic_got;	/* server side */
	struct nq_chunkq		 ctl_q;		/* unacked data */
	struct nq_chunk			*ctl_cur;	/* holds ctl_sent */
	uint64_t			 ctl_end;	/* queued offset */
	uint64_t			 ctl_sent;	/* handed to ngtcp2 */
	uint64_t			 ctl_acked;
	int				 ctl_blocked;
	/* probes and raw streams */
	struct nq_ostreamq		 out_pending;
	struct nq_ostreamq		 out_active;
	unsigned			 npending;
	unsigned			 nactive_uni;
	struct nq_ostream		*offer_os;	/* this write call */
	size_t				 offer_len;
	unsigned			 peer_uni_open;
	unsigned			 peer_uni_done;
	struct nq_istreamq		 in_streams;
	struct nq_resultq		 results;
	/* application streams */
	struct nq_astreamq		 astreams;
	struct nq_astream		*offer_as;	/* this write call */
	unsigned			 peer_app_open;
	/* stats */
	struct net_quic_stats		 st;
	uint64_t			 lost_closed;	/* of closed streams */
	void				*user;
};

/* net_quic_ep.c */
uint64_t	 nq_now(void);
double		 nq_wall(void);
void		 nq_log(struct net_quic_endpoint *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 nq_addr_text(const struct sockaddr *, char *, size_t);
int		 nq_cid_add(struct net_quic_endpoint *, struct net_quic_conn *,
		    const uint8_t *, size_t);
void		 nq_cid_del(struct net_quic_endpoint *, const uint8_t *,
		    size_t);
void		 nq_cid_del_conn(struct net_quic_endpoint *,
		    struct net_quic_conn *);
int		 nq_send(struct nq_sock *, const struct sockaddr *local,
		    const struct sockaddr *remote, socklen_t remotelen,
		    const uint8_t *, size_t);
/*
 * len bytes of datagrams, each seg bytes but the last (which may be
 * shorter), all on one path: one GSO sendmsg where the socket allows,
 * else one sendmmsg.  0: handed over (or lost, as far as QUIC cares);
 * -1: the socket is full, the caller ends its burst.
 */
int		 nq_send_batch(struct nq_sock *, const struct sockaddr *local,
		    const struct sockaddr *remote, socklen_t remotelen,
		    const uint8_t *, size_t len, size_t seg);
void		 nq_drop(struct net_quic_endpoint *, const char *why,
		    const struct sockaddr *from);
struct nq_sock	*nq_sock_for(struct net_quic_endpoint *, int family);
int		 nq_local_for(struct nq_sock *, const struct sockaddr *remote,
		    socklen_t, struct sockaddr_storage *, socklen_t *);
size_t		 nq_path_payload(const struct net_quic_endpoint *,
		    const struct sockaddr *remote, socklen_t, int *jumbo);

/* net_quic_conn.c */
struct net_quic_conn *nq_conn_accept(struct net_quic_endpoint *,
		    struct nq_sock *, const ngtcp2_path *, const ngtcp2_pkt_hd *);
void		 nq_conn_read(struct net_quic_conn *, const ngtcp2_path *,
		    const uint8_t *, size_t);
void		 nq_conn_process(struct net_quic_conn *);
void		 nq_conn_kick(struct net_quic_conn *);
int		 nq_conn_authenticate(struct net_quic_conn *);
void		 nq_conn_shutdown(struct net_quic_conn *);
void		 nq_conn_fail(struct net_quic_conn *, uint64_t app_code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* net_quic_stream.c */
int		 nq_pattern_init(struct net_quic_endpoint *);
void		 nq_streams_free(struct net_quic_conn *);
int		 nq_stream_open_cb(ngtcp2_conn *, int64_t, void *);
int		 nq_stream_data_cb(ngtcp2_conn *, uint32_t, int64_t, uint64_t,
		    const uint8_t *, size_t, void *, void *);
int		 nq_stream_close_cb(ngtcp2_conn *, uint32_t, int64_t, uint64_t,
		    void *, void *);
int		 nq_stream_reset_cb(ngtcp2_conn *, int64_t, uint64_t, uint64_t,
		    void *, void *);
int		 nq_stream_acked_cb(ngtcp2_conn *, int64_t, uint64_t, uint64_t,
		    void *, void *);
int		 nq_open_control(struct net_quic_conn *);
void		 nq_start_pending(struct net_quic_conn *);
void		 nq_round_reset(struct net_quic_conn *);
int64_t		 nq_next_data(struct net_quic_conn *, ngtcp2_vec *, size_t *,
		    int *fin);
void		 nq_advance(struct net_quic_conn *, int64_t, ngtcp2_ssize,
		    int fin);
void		 nq_block(struct net_quic_conn *, int64_t);
uint64_t	 nq_live_losses(struct net_quic_conn *);

/* net_quic_app.c: application streams, called from net_quic_stream.c */
struct nq_astream *nq_app_find(const struct net_quic_conn *, int64_t);
int		 nq_app_accept(struct net_quic_conn *, int64_t);
void		 nq_app_data(struct net_quic_conn *, struct nq_astream *,
		    uint32_t flags, const uint8_t *, size_t);
void		 nq_app_acked(struct net_quic_conn *, struct nq_astream *,
		    uint64_t upto);
void		 nq_app_peer_reset(struct net_quic_conn *,
		    struct nq_astream *, uint64_t code);
void		 nq_app_closed(struct net_quic_conn *, struct nq_astream *,
		    int err, uint64_t code);
int64_t		 nq_app_next(struct net_quic_conn *, ngtcp2_vec *, size_t *,
		    int *fin);
void		 nq_app_advance(struct net_quic_conn *, struct nq_astream *,
		    ngtcp2_ssize, int fin);
void		 nq_app_round_reset(struct net_quic_conn *);
uint64_t	 nq_app_losses(struct net_quic_conn *);
void		 nq_app_free(struct net_quic_conn *);
/*
 * The two checks of a peer's stream bytes, pure so tests/fuzz/
 * fuzz_quic_stream.c reaches them: the control stream's preamble (*got
 * bytes of it seen so far; *used of data were preamble; -1 when data
 * departs from it) and a probe header (NQ_PROBE_HDR bytes; NULL, or why
 * it is refused; *total is the announced length either way).
 */
int		 nq_ctl_preamble(size_t *got, const uint8_t *data, size_t len,
		    size_t *used);
const char	*nq_probe_header(const uint8_t *hdr, uint64_t probe_max,
		    uint64_t *total);

#endif /* NET_QUIC_INT_H */
