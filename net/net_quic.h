/*
 * net_quic.h - the QUIC transport between agents: one UDP endpoint per
 * process that both accepts and dials connections, mutual TLS 1.3, one
 * control stream per connection, and bandwidth probes.
 *
 * Built on ngtcp2 0.12 + GnuTLS (security/sec_tls.h decides who may be on
 * the other end) and driven by a caller-supplied libevent event_base:
 * every socket and every connection timer is an event on that base, so
 * the transport runs wherever the caller's loop runs and needs no thread.
 *
 * Shape of a connection, as the caller sees it:
 *   - net_quic_connect() (client) or an incoming Initial (server) creates
 *     it; the handshake runs; when it is CONFIRMED on our side (the proof
 *     that the peer accepted our certificate, see the ngtcp2 note) and our
 *     verify function accepted the peer's, cb.established gets the peer's
 *     node id - computed from the key it proved it holds - and address;
 *   - the client then opens the one bidirectional control stream; bytes
 *     the peer writes there arrive through cb.control in order (the
 *     caller parses them, e.g. with net_wire); net_quic_send_control()
 *     queues bytes the other way;
 *   - net_quic_probe_start() sends a deterministic byte pattern on a
 *     unidirectional stream; the receiver checks every byte and both ends
 *     get a net_quic_probe_result through cb.probe_done;
 *   - cb.closed says, once, that the connection is gone and why.
 * A connection pointer is valid from net_quic_connect() (or, for one the
 * peer opened, from the first callback naming it) until cb.closed
 * returns.  Callbacks run from the event loop, never from inside an API
 * call; inside a callback the caller may call net_quic_send_control,
 * net_quic_probe_start, net_quic_close and the getters (their effect is
 * queued), but not net_quic_endpoint_free.
 *
 * The wire contract (ALPN, streams, limits, error codes) is in
 * docs/protocol.md, section "QUIC transport".
 */
#ifndef NET_QUIC_H
#define NET_QUIC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>

#include "sec_identity.h"

struct event_base;
struct net_quic_endpoint;
struct net_quic_conn;

#define NET_QUIC_ALPN		"exogpu/1"
#define NET_QUIC_MAX_LISTEN	4	/* sockets per endpoint */
#define NET_QUIC_REASON_MAX	256	/* closed-callback text */

/* Defaults for the zero fields of struct net_quic_config. */
#define NET_QUIC_IDLE_MS	15000	/* idle timeout (transport param) */
#define NET_QUIC_HANDSHAKE_MS	10000	/* give up an unfinished handshake */
#define NET_QUIC_CONTROL_BUF	(4u << 20)	/* unacked control bytes */
#define NET_QUIC_PROBE_MAX	(1ull << 32)	/* bytes in one probe */
#define NET_QUIC_MAX_CONNS	1024
#define NET_QUIC_PAYLOAD_MIN	1200	/* max_udp_payload bounds */
#define NET_QUIC_PAYLOAD_MAX	65507
#define NET_QUIC_PAYLOAD_AUTO	16384	/* max_udp_payload 0: at most */
#define NET_QUIC_KEEPALIVE_OFF	UINT_MAX	/* keepalive_ms: none */
/* Application (tunnel) streams a peer may have open toward us at once. */
#define NET_QUIC_APP_STREAMS	64

/*
 * Application error codes (CONNECTION_CLOSE, RESET_STREAM, STOP_SENDING).
 * Callers may close with their own codes from 0x100 up.
 */
#define NET_QUIC_APP_NO_ERROR		0x0	/* orderly close */
#define NET_QUIC_APP_SHUTDOWN		0x1	/* endpoint going away */
#define NET_QUIC_APP_PROTOCOL		0x2	/* control stream misused */
#define NET_QUIC_APP_STREAM_REFUSED	0x3	/* stream we do not take */
#define NET_QUIC_APP_PROBE_CORRUPT	0x4	/* probe failed its check */
#define NET_QUIC_APP_INTERNAL		0x5	/* local failure */

/* Log levels: syslog priorities, as agent/ag_log.h uses them. */
#define NET_QUIC_LOG_ERR	3
#define NET_QUIC_LOG_WARNING	4
#define NET_QUIC_LOG_NOTICE	5
#define NET_QUIC_LOG_INFO	6
#define NET_QUIC_LOG_DEBUG	7

/* struct net_quic_config.udp_offload */
#define NET_QUIC_OFFLOAD_AUTO		0
#define NET_QUIC_OFFLOAD_OFF		1
#define NET_QUIC_OFFLOAD_TEST_REFUSE	2

struct net_quic_probe_result {
	int64_t		stream_id;
	int		outgoing;	/* 1: we sent it; 0: we received it */
	int		ok;		/* complete (and, received, verified) */
	uint64_t	bytes;		/* payload bytes sent / verified */
	double		seconds;	/* sender: first write to last ack;
					   receiver: first to last byte */
	double		rate;		/* bytes / seconds (bytes per second) */
	double		when;		/* completion, CLOCK_REALTIME seconds */
};

struct net_quic_stats {
	/* From ngtcp2_conn_get_conn_stat; seconds, 0 before a sample. */
	double		min_rtt;
	double		smoothed_rtt;
	double		latest_rtt;
	double		rttvar;		/* RTT mean deviation: jitter */
	uint64_t	delivery_rate;	/* bytes/s; sending side only */
	uint64_t	cwnd;
	size_t		udp_payload;	/* a full datagram on this path now */
	/* Counted by the endpoint: UDP payload bytes and datagrams. */
	uint64_t	bytes_sent;
	uint64_t	bytes_recv;
	uint64_t	pkts_sent;
	uint64_t	pkts_recv;
	/*
	 * ngtcp2 0.12 neither counts lost packets in its stats nor has a
	 * loss callback for stream data; this is the sum over our streams
	 * of ngtcp2_conn_get_stream_loss_count (packets carrying STREAM
	 * frames declared lost, spurious losses included).  loss_ratio =
	 * lost_pkts / pkts_sent.
	 */
	uint64_t	lost_pkts;
	double		loss_ratio;
	uint64_t	control_queued;	/* control bytes sent but not acked */
	uint64_t	streams_refused; /* peer streams we reset */
	uint64_t	streams_reset;	/* our streams the peer reset */
	unsigned	peer_uni_max;	/* most unfinished peer probes at once */
	unsigned	local_uni_max;	/* most of ours open (until acked) */
	int		have_probe;
	struct net_quic_probe_result last_probe;	/* either direction */
};

struct net_quic_callbacks {
	void	(*established)(struct net_quic_conn *, const char *peer_id,
		    const struct sockaddr *peer, socklen_t peerlen, void *arg);
	void	(*control)(struct net_quic_conn *, const unsigned char *buf,
		    size_t len, void *arg);
	void	(*probe_done)(struct net_quic_conn *,
		    const struct net_quic_probe_result *, void *arg);
	void	(*closed)(struct net_quic_conn *, const char *reason,
		    void *arg);
	void	(*log)(int level, const char *line, void *arg);
	/*
	 * Application streams (NULL stream_open: every peer stream other
	 * than the control stream is refused, as before).  stream_open: the
	 * peer opened bidirectional stream id; 0 takes it (its bytes then
	 * come through stream_data), -1 refuses it (RESET_STREAM +
	 * STOP_SENDING with NET_QUIC_APP_STREAM_REFUSED).  stream_data:
	 * bytes in order, fin on the last call; their stream credit comes
	 * back only through net_quic_stream_consume().  stream_acked: the
	 * peer acknowledged data, `queued` bytes are still unacknowledged.
	 * stream_closed: the stream is gone (both directions over, or reset
	 * either way: reset = 1 and code the application code); the id is
	 * dead after it.  A connection's cb.closed ends all its streams
	 * without stream_closed.
	 */
	int	(*stream_open)(struct net_quic_conn *, int64_t id, void *arg);
	void	(*stream_data)(struct net_quic_conn *, int64_t id,
		    const uint8_t *buf, size_t len, int fin, void *arg);
	void	(*stream_acked)(struct net_quic_conn *, int64_t id,
		    uint64_t queued, void *arg);
	void	(*stream_closed)(struct net_quic_conn *, int64_t id,
		    int reset, uint64_t code, void *arg);
};

struct net_quic_config {
	/* "ADDR:PORT" or "[V6ADDR]:PORT", numeric; port 0 = ephemeral. */
	const char			*listen[NET_QUIC_MAX_LISTEN];
	/* From sec_tls_creds_new; must outlive the endpoint. */
	gnutls_certificate_credentials_t cred;
	unsigned			 idle_timeout_ms;
	unsigned			 keepalive_ms;	/* 0: idle / 3; or OFF */
	unsigned			 handshake_timeout_ms;
	size_t				 control_buf_max;
	uint64_t			 probe_max;
	unsigned			 max_conns;
	/*
	 * Largest UDP payload we send and accept on a path.  0: from the
	 * route's MTU (IP_MTU of a socket connected to the peer): on a path
	 * whose MTU is above 1500 (loopback, jumbo frames) datagrams fill it
	 * from the start, up to NET_QUIC_PAYLOAD_AUTO; on others ngtcp2's
	 * path MTU discovery runs as usual (1200 to 1444).  Non-zero: at
	 * most this (NET_QUIC_PAYLOAD_MIN..NET_QUIC_PAYLOAD_MAX): 1452 for a
	 * network whose hosts have a jumbo MTU that a switch does not carry,
	 * more than NET_QUIC_PAYLOAD_AUTO for loopback's 64 KiB (ngtcp2 then
	 * keeps a 64 KiB decryption buffer per connection).  Both ends
	 * announce theirs (max_udp_payload_size); the smaller holds.
	 */
	size_t				 max_udp_payload;
	/*
	 * UDP segmentation offload (GSO, UDP_SEGMENT) when sending and
	 * receive offload (GRO, UDP_GRO): NET_QUIC_OFFLOAD_AUTO (0) uses
	 * them where the kernel accepts them and falls back for good, per
	 * socket, the first time it refuses one (EIO, EINVAL, ENOPROTOOPT:
	 * a device without checksum offload, an old kernel).  _OFF never
	 * does (datagrams go out and come in a batch of separate ones,
	 * sendmmsg/recvmmsg).  _TEST_REFUSE is AUTO on sockets that the
	 * kernel makes refuse GSO (IPv4 ones get SO_NO_CHECK), so tests
	 * can watch the fallback happen.
	 */
	int				 udp_offload;
	struct net_quic_callbacks	 cb;
	void				*arg;
};

/* Numeric "ADDR:PORT" / "[ADDR]:PORT" into a sockaddr. */
int	net_quic_addr_parse(const char *s, struct sockaddr_storage *ss,
	    socklen_t *len, char *err, size_t errlen);

struct net_quic_endpoint *net_quic_endpoint_new(struct event_base *,
	    const struct net_quic_config *, char *err, size_t errlen);
/* Closes every connection (CONNECTION_CLOSE, cb.closed) and frees. */
void	net_quic_endpoint_free(struct net_quic_endpoint *);
/* Bound address of listen socket i; -1 past the last. */
int	net_quic_endpoint_addr(const struct net_quic_endpoint *, unsigned i,
	    struct sockaddr_storage *, socklen_t *);
/* Bound port of the first socket of that family; 0 if none. */
uint16_t net_quic_endpoint_port(const struct net_quic_endpoint *,
	    int family);
/* Datagrams dropped as garbage (undecodable, unknown, refused). */
uint64_t net_quic_endpoint_dropped(const struct net_quic_endpoint *);
/*
 * Feeds one datagram to the endpoint as if it had arrived on its first
 * socket from `from`, then runs the resulting connection work.  For the
 * fuzz harness and tests; answers go to `from` (use a loopback address).
 */
void	net_quic_endpoint_inject(struct net_quic_endpoint *,
	    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
	    size_t len);
/* Live connections (any state). */
unsigned net_quic_endpoint_conns(const struct net_quic_endpoint *);

/* How the endpoint's datagrams went through the kernel. */
struct net_quic_io_stats {
	unsigned	gso_socks;	/* sockets sending with GSO now */
	unsigned	gro_socks;	/* sockets receiving with GRO */
	uint64_t	gso_refused;	/* kernel refusals (GSO then off) */
	uint64_t	tx_calls;	/* sendmsg + sendmmsg calls */
	uint64_t	tx_gso_calls;	/* of them, GSO sends */
	uint64_t	tx_dgrams;	/* datagrams handed to the kernel */
	uint64_t	rx_calls;	/* recvmmsg calls that returned data */
	uint64_t	rx_msgs;	/* messages (GRO: several datagrams) */
	uint64_t	rx_dgrams;	/* datagrams after splitting */
};
void	net_quic_endpoint_io_stats(const struct net_quic_endpoint *,
	    struct net_quic_io_stats *);

/* Dials addr; the connection reports through the callbacks. */
struct net_quic_conn *net_quic_connect(struct net_quic_endpoint *,
	    const struct sockaddr *addr, socklen_t addrlen, char *err,
	    size_t errlen);
/*
 * Queues bytes for the control stream (sent once it exists, respecting
 * flow control).  -1 if the connection is closing or more than
 * control_buf_max bytes would be waiting.
 */
int	net_quic_send_control(struct net_quic_conn *, const void *buf,
	    size_t len);
/* Queues a probe of nbytes (1..probe_max); -1 if refused. */
int	net_quic_probe_start(struct net_quic_conn *, uint64_t nbytes);
/* CONNECTION_CLOSE with an application code; cb.closed follows. */
void	net_quic_close(struct net_quic_conn *, uint64_t app_code,
	    const char *reason);
/* This connection's keep-alive in ms (NET_QUIC_KEEPALIVE_OFF: none),
 * replacing the endpoint's keepalive_ms for it. */
void	net_quic_conn_keepalive(struct net_quic_conn *, unsigned ms);

int	 net_quic_conn_stats(struct net_quic_conn *, struct net_quic_stats *);
/* The authenticated peer's node id, or NULL before cb.established. */
const char *net_quic_conn_peer_id(const struct net_quic_conn *);
const struct sockaddr *net_quic_conn_peer_addr(const struct net_quic_conn *,
	    socklen_t *len);
int	 net_quic_conn_is_client(const struct net_quic_conn *);
void	 net_quic_conn_set_data(struct net_quic_conn *, void *);
void	*net_quic_conn_data(const struct net_quic_conn *);

/*
 * Application streams (tunnels, docs/protocol.md "Tunnel streams"): a
 * bidirectional stream besides the control stream, opened by either
 * side once the connection is established.  net_quic_stream_open
 * returns the new id, or -1 (not established, the peer's stream limit
 * reached: try later).  net_quic_stream_write copies len bytes into the
 * stream's queue (fin: the last bytes; len may be 0 then); -1 if the
 * stream is unknown, finished or reset.  net_quic_stream_queued: bytes
 * written and not yet acknowledged (the caller's backpressure gauge).
 * net_quic_stream_consume: the caller has disposed of n received bytes;
 * the peer may send that many more (flow control).  net_quic_stream_reset
 * aborts both directions with code (no more callbacks but
 * stream_closed).  All of these queue work and are safe in callbacks.
 */
int64_t	 net_quic_stream_open(struct net_quic_conn *);
int	 net_quic_stream_write(struct net_quic_conn *, int64_t id,
	    const void *buf, size_t len, int fin);
uint64_t net_quic_stream_queued(const struct net_quic_conn *, int64_t id);
int	 net_quic_stream_consume(struct net_quic_conn *, int64_t id,
	    size_t n);
int	 net_quic_stream_reset(struct net_quic_conn *, int64_t id,
	    uint64_t code);

/*
 * For tests of the peer's limits: opens one more stream outside the
 * protocol (bidirectional or not) and sends buf on it with FIN.  -1 when
 * the peer's stream limit forbids it (or the connection is not
 * established).  Not from a callback.
 */
int	net_quic_debug_open_stream(struct net_quic_conn *, int bidi,
	    const void *buf, size_t len);

#endif /* NET_QUIC_H */
