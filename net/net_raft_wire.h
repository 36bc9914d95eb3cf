/*
 * net_raft_wire.h - CBOR form of canonical raft's messages (struct
 * raft_message), carried as control-stream messages of type NET_WIRE_RAFT
 * (net_wire.h); docs/protocol.md ("Raft messages on the wire") is the
 * normative description.
 *
 * Two layers, because one raft message may be far larger than one
 * control-stream message (NET_WIRE_MAX_MSG, 64 KiB): an AppendEntries
 * batch or an InstallSnapshot may be megabytes.
 *
 *  - The body: one deterministic CBOR map per raft message, at most
 *    NET_RAFT_WIRE_MAX_MSG bytes, with small unsigned integer keys:
 *      1 cluster id (text, "" or 32 lowercase hex digits)
 *      2 type (uint, RAFT_IO_APPEND_ENTRIES .. RAFT_IO_TIMEOUT_NOW)
 *      3 term (uint)
 *    and from key 4 on the fields of that type (net_raft_wire.c has the
 *    table; docs/protocol.md lists it).  Every field of the type is
 *    required; unknown keys are skipped so the format can grow.
 *
 *  - The fragment: the payload of one NET_WIRE_RAFT control message, a map
 *    {1 message id, 2 offset, 3 total length, 4 bytes}.  A body is cut
 *    into fragments of at most NET_RAFT_WIRE_FRAG bytes, sent in order on
 *    the (ordered) control stream, and put back together per peer by a
 *    struct net_raft_reasm: a fragment that does not continue the message
 *    being assembled (another id, a gap, another total) resets it, and a
 *    fragment at offset 0 always starts a new one.  A message that fits in
 *    one fragment is handed back without a copy.
 *
 * Decoding allocates only what raft will own (raft_malloc): an
 * AppendEntries gets an entries array and ONE batch holding every entry's
 * data (raft frees entries[0].batch), an InstallSnapshot a configuration
 * and its data.  Counts and sizes are checked against the limits and the
 * bytes present before anything is allocated.
 */
#ifndef NET_RAFT_WIRE_H
#define NET_RAFT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <raft.h>

#define NET_RAFT_WIRE_MAX_MSG	 (16 * 1024 * 1024)	/* one body */
#define NET_RAFT_WIRE_FRAG	 (62 * 1024)	/* body bytes per fragment */
#define NET_RAFT_WIRE_MAX_ENTRIES 65536		/* per AppendEntries */
#define NET_RAFT_WIRE_MAX_SERVERS 1024		/* per configuration */
#define NET_RAFT_WIRE_ADDR_MAX	 255		/* server address bytes */
#define NET_RAFT_WIRE_CLUSTER_LEN 32		/* hex digits */

/*
 * Encodes m (with the sender's cluster id, "" or 32 hex digits) into a
 * heap buffer *out (free() it) of *outlen bytes.  server_id and
 * server_address are not sent: the receiver takes them from the
 * authenticated connection.  Returns 0 or -1 with err.
 */
int	net_raft_wire_encode(const struct raft_message *m,
	    const char *cluster_id, uint8_t **out, size_t *outlen, char *err,
	    size_t errlen);

/*
 * Decodes one body into *m (server_id 0, server_address NULL) and the
 * sender's cluster id into cluster[NET_RAFT_WIRE_CLUSTER_LEN + 1].  Entry
 * data over max_entry_bytes is refused.  On success the contents are
 * raft_malloc'd for raft to own; net_raft_wire_free() releases them when
 * the message is not delivered.  Returns 0 or -1 with err (nothing is
 * left allocated).
 */
int	net_raft_wire_decode(const uint8_t *buf, size_t len,
	    size_t max_entry_bytes, struct raft_message *m, char *cluster,
	    char *err, size_t errlen);
void	net_raft_wire_free(struct raft_message *m);

/* 1 if s is "" or exactly 32 lowercase hex digits. */
int	net_raft_wire_cluster_valid(const char *s);

/*
 * Cuts body[0..len) into NET_WIRE_RAFT control messages from `sender`
 * (envelope term `term`) and calls emit for each, in order; stops at the
 * first emit that returns non-zero and returns that value.  Returns 0
 * when all went out, -1 with err when a frame could not be built.
 */
typedef int	(*net_raft_wire_emit)(void *arg, const uint8_t *frame,
		    size_t len);
int	net_raft_wire_frames(const uint8_t *body, size_t len, uint64_t id,
	    const char *sender, uint64_t term, net_raft_wire_emit emit,
	    void *arg, char *err, size_t errlen);

/* Reassembly of one peer's fragments. */
struct net_raft_reasm {
	uint64_t	 id;
	size_t		 total;
	size_t		 have;
	size_t		 cap;		/* allocated, at most total */
	uint8_t		*buf;		/* NULL when idle */
};

void	net_raft_reasm_init(struct net_raft_reasm *ra);
void	net_raft_reasm_reset(struct net_raft_reasm *ra);
/*
 * Takes one NET_WIRE_RAFT payload.  Returns 1 with the whole body in
 * *body and *len (valid until the next call on ra or on the payload's
 * buffer), 0 when more fragments are needed, -1 with err for a malformed
 * fragment or one that breaks the sequence (the assembly is reset; the
 * next offset-0 fragment starts afresh).
 */
int	net_raft_reasm_feed(struct net_raft_reasm *ra, const uint8_t *frag,
	    size_t fraglen, const uint8_t **body, size_t *len, char *err,
	    size_t errlen);

#endif /* NET_RAFT_WIRE_H */
