/*
 * net_tunnel.h - the header that opens a tunnel stream (docs/protocol.md,
 * "Tunnel streams"): what a client agent writes first on a bidirectional
 * QUIC stream so the receiving agent knows which placement stage's worker
 * the bytes that follow are for.
 *
 * Wire form: the 4 bytes "XTN1", a big-endian u16 length L
 * (1..NET_TUNNEL_CBOR_MAX), then L bytes holding exactly one
 * deterministically encoded CBOR map with unsigned integer keys:
 *   1 placement id (>= 1), 2 epoch (>= 1), 3 stage index (< 64).
 * Unknown keys are skipped (room to grow); missing ones are named.  The
 * bytes after the header are the tunnelled connection's, raw.
 *
 * The codec is pure (no I/O, no allocation) so the agent can feed it a
 * stream's first bytes in whatever slices they arrive, and
 * tests/fuzz/fuzz_tunnel.c can drive it.
 */
#ifndef NET_TUNNEL_H
#define NET_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#define NET_TUNNEL_MAGIC	"XTN1"
#define NET_TUNNEL_PREFIX	6	/* magic + u16 length */
#define NET_TUNNEL_CBOR_MAX	64	/* bytes of the map */
#define NET_TUNNEL_HDR_MAX	(NET_TUNNEL_PREFIX + NET_TUNNEL_CBOR_MAX)
#define NET_TUNNEL_STAGE_MAX	64	/* stage indices are below this */

/* Application codes a tunnel stream is reset with (docs/protocol.md). */
#define NET_TUNNEL_APP_REFUSED	0x110	/* not authorised by a placement */
#define NET_TUNNEL_APP_BADHDR	0x111	/* header malformed */
#define NET_TUNNEL_APP_UNREACH	0x112	/* worker refused / unreachable */
#define NET_TUNNEL_APP_ABORT	0x113	/* the TCP side failed or closed
					   abortively; placement gone */
#define NET_TUNNEL_APP_LIMIT	0x114	/* too many tunnels */

struct net_tunnel_hdr {
	uint64_t	placement;
	uint64_t	epoch;
	uint32_t	stage;
};

/* Encodes h into buf (NET_TUNNEL_HDR_MAX bytes); the length, or -1. */
int	net_tunnel_hdr_encode(const struct net_tunnel_hdr *h, uint8_t *buf,
	    size_t size);
/*
 * Parses the start of a stream: 0 with *h and *used (the header's
 * length) when buf holds a whole header, 1 when buf is a valid prefix
 * that more bytes could complete (never once len >= NET_TUNNEL_HDR_MAX),
 * -1 with a phrase in err when it is not a tunnel header.
 */
int	net_tunnel_hdr_parse(const uint8_t *buf, size_t len,
	    struct net_tunnel_hdr *h, size_t *used, char *err, size_t errlen);

#endif /* NET_TUNNEL_H */
