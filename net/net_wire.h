/*
 * net_wire.h - the control-stream messages of the peer protocol (ALPN
 * exogpu/1) and their CBOR codec.
 *
 * A control stream carries a CBOR sequence (RFC 8742): one message after
 * another, no framing of its own.  Each message is a map with small
 * unsigned integer keys: 1 type, 2 sender (node id), 3 term, 4 payload (a
 * map whose keys depend on the type).  docs/protocol.md is the normative
 * description; this header is its C face.
 *
 * Shape.  Encoding and decoding are pure functions over caller buffers:
 * no I/O, no allocation, fixed-size result structs, so the transport can
 * feed net_wire_next() whatever a read returned and the tests and fuzzers
 * can drive it byte by byte.  Decoding is strict where ambiguity could
 * hurt (deterministic CBOR only, so a map cannot repeat a key; a HELLO
 * must name its sender as its node; text is checked UTF-8 without control
 * characters, because it ends up in logs) and lenient where the protocol
 * must grow: an unknown message type decodes to a result with known ==
 * false and its payload skipped, and unknown keys in a known message are
 * ignored.  Missing required keys are errors that name the key.
 *
 * Cluster messages (raft, cluster announcements, membership, gossip) are
 * "raw" types: their payloads have codecs of their own next to their
 * state machines (net_raft_wire.h, ag_announce.h, net_member.h,
 * net_gossip.h), so this layer checks
 * only the envelope and that the payload is a map, and hands back where
 * the payload's bytes lie.  That keeps net_wire free of the cluster
 * structs and lets each protocol grow without touching the envelope.
 */
#ifndef NET_WIRE_H
#define NET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec_cbor.h"
#include "sec_identity.h"

/* Bounds of one control-stream message (docs/protocol.md, CBOR limits). */
#define NET_WIRE_MAX_MSG	(64 * 1024)	/* encoded bytes */
#define NET_WIRE_MAX_DEPTH	8		/* nested arrays and maps */
#define NET_WIRE_MAX_ITEMS	4096		/* data items in a message */

#define NET_WIRE_VERSION	1	/* protocol version sent in HELLO */
#define NET_WIRE_NAME_MAX	63	/* HELLO name, bytes of UTF-8 */
#define NET_WIRE_REASON_MAX	255	/* BYE reason, bytes of UTF-8 */
#define NET_WIRE_TRUST_MAX	255	/* HELLO trust mode is a small uint */

/* Envelope keys. */
#define NET_WIRE_KEY_TYPE	1
#define NET_WIRE_KEY_SENDER	2
#define NET_WIRE_KEY_TERM	3
#define NET_WIRE_KEY_PAYLOAD	4

/* Message types; numbers are on the wire and never reused. */
#define NET_WIRE_HELLO		1
#define NET_WIRE_PING		2
#define NET_WIRE_PONG		3
#define NET_WIRE_BYE		4
/* Raw types: payload left encoded (u.raw), see net_wire_encode_raw(). */
/* 8 was the home-made election (retired: never reuse the number). */
#define NET_WIRE_MEMBER		16	/* = NET_MEMBER_WIRE_TYPE */
#define NET_WIRE_GOSSIP_DIGEST	24	/* = NET_GOSSIP_WIRE_TYPE_DIGEST */
#define NET_WIRE_GOSSIP_RECORDS	25	/* = NET_GOSSIP_WIRE_TYPE_RECORDS */
#define NET_WIRE_GOSSIP_WANT	26	/* = NET_GOSSIP_WIRE_TYPE_WANT */
#define NET_WIRE_GOSSIP_SUMMARY	27	/* = NET_GOSSIP_WIRE_TYPE_SUMMARY */
#define NET_WIRE_API_REQ	40	/* API call forwarded to the leader */
#define NET_WIRE_API_RESP	41	/* its answer (agent/ag_forward.h) */
#define NET_WIRE_RAFT		48	/* a raft message (net_raft_wire.h) */
#define NET_WIRE_CLUSTER	49	/* cluster id announce (ag_cluster.c) */

/* HELLO trust modes (sec_tls: CA-signed certificates or join secret). */
#define NET_WIRE_TRUST_CA	1
#define NET_WIRE_TRUST_SECRET	2

/* HELLO payload: keys 1 node id, 2 name, 3 version, 4 features, 5 trust. */
struct net_wire_hello {
	char		node_id[SEC_NODE_ID_SIZE];
	char		name[NET_WIRE_NAME_MAX + 1];
	uint64_t	version;
	uint64_t	features;	/* bit set; none defined yet */
	unsigned	trust_mode;
};

/* PING and PONG payload: keys 1 nonce, 2 sent-at (µs, sender's clock). */
struct net_wire_ping {
	uint64_t	nonce;
	uint64_t	sent_at_us;
};

/* BYE payload: key 1 reason. */
struct net_wire_bye {
	char		reason[NET_WIRE_REASON_MAX + 1];
};

/*
 * Payload of a raw type: exactly the bytes of the CBOR map under key 4,
 * deterministic and within the message limits.  After decoding, payload
 * points INTO the buffer given to net_wire_next() / net_wire_decode(): it
 * is valid only until the caller changes or frees that buffer (drop the
 * consumed bytes only after the payload has been decoded).
 */
struct net_wire_raw {
	const uint8_t	*payload;
	size_t		 len;
};

struct net_wire_msg {
	uint64_t	type;
	bool		known;	/* false: a newer type, payload skipped */
	char		sender[SEC_NODE_ID_SIZE];
	uint64_t	term;	/* 0 when the type has no use for it */
	union {
		struct net_wire_hello	hello;
		struct net_wire_ping	ping;	/* PING and PONG */
		struct net_wire_bye	bye;
		struct net_wire_raw	raw;	/* ELECT, MEMBER, GOSSIP_* */
	} u;
};

/* net_wire_next() results. */
#define NET_WIRE_ERROR		(-1)
#define NET_WIRE_NEED_MORE	0
#define NET_WIRE_MSG		1

/* The CBOR limits every control-stream message is decoded under. */
const struct sec_cbor_limits *net_wire_limits(void);

/* "HELLO", "PING", ... or "unknown". */
const char	*net_wire_type_name(uint64_t type);

/* 1 if type is one of the raw types (payload in u.raw). */
int	net_wire_type_raw(uint64_t type);

/*
 * Takes the bytes received so far on a control stream.  NET_WIRE_MSG: the
 * first message is decoded into *msg and *consumed is its length (drop
 * that many bytes and call again: more may follow).  NET_WIRE_NEED_MORE:
 * the bytes are a valid beginning; read more (*consumed = 0).
 * NET_WIRE_ERROR, with the reason in err: if *consumed > 0 the message was
 * well-formed CBOR but not a valid message and the stream is still in
 * step; if *consumed == 0 the stream cannot be split any further (not
 * CBOR, over the limits, or not deterministically encoded) and the
 * connection must be closed.  A
 * message over NET_WIRE_MAX_MSG is an error as soon as that is certain,
 * so a peer cannot make the buffer grow without bound.
 */
int	net_wire_next(const uint8_t *buf, size_t len, struct net_wire_msg *msg,
	    size_t *consumed, char *err, size_t errlen);

/* Decodes buf[0..len), which must be exactly one message. */
int	net_wire_decode(const uint8_t *buf, size_t len,
	    struct net_wire_msg *msg, char *err, size_t errlen);

/*
 * Encodes a message of a known type into buf[0..cap) and sets *outlen.
 * Fields are checked as the decoder would check them, so what is sent is
 * always what a peer accepts (a raw type's u.raw is checked as
 * net_wire_encode_raw() checks it).  Returns 0, or -1 with the reason in
 * err (nothing useful is left in buf).
 */
int	net_wire_encode(const struct net_wire_msg *msg, uint8_t *buf,
	    size_t cap, size_t *outlen, char *err, size_t errlen);

/* Shorthands that fill a struct net_wire_msg and call net_wire_encode(). */
int	net_wire_encode_hello(uint8_t *buf, size_t cap, size_t *outlen,
	    const char *sender, uint64_t term,
	    const struct net_wire_hello *hello, char *err, size_t errlen);
int	net_wire_encode_ping(uint8_t *buf, size_t cap, size_t *outlen,
	    const char *sender, uint64_t term, uint64_t nonce,
	    uint64_t sent_at_us, char *err, size_t errlen);
int	net_wire_encode_pong(uint8_t *buf, size_t cap, size_t *outlen,
	    const char *sender, uint64_t term, uint64_t nonce,
	    uint64_t sent_at_us, char *err, size_t errlen);
/*
 * Builds the envelope of a raw type (NET_WIRE_RAFT, NET_WIRE_MEMBER,
 * NET_WIRE_GOSSIP_*; any other type is refused) around payload[0..
 * payload_len), which must be exactly one deterministically encoded CBOR
 * map - what the payload codecs' sec_cbor_writer produced - and must keep
 * the whole message within the control-stream limits.
 */
int	net_wire_encode_raw(uint8_t *buf, size_t cap, size_t *outlen,
	    uint64_t type, const char *sender, uint64_t term,
	    const uint8_t *payload, size_t payload_len, char *err,
	    size_t errlen);
int	net_wire_encode_bye(uint8_t *buf, size_t cap, size_t *outlen,
	    const char *sender, uint64_t term, const char *reason, char *err,
	    size_t errlen);

#endif /* NET_WIRE_H */
