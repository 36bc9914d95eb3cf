/*
 * fuzz_tunnel.c - libFuzzer harness for the tunnel stream header
 * (net/net_tunnel.c), the first bytes a peer's tunnel stream brings.
 *
 * Input: one byte seeding how the rest is sliced, then the stream bytes.
 * Oracle: the parse of a growing prefix never goes back from an answer
 * (once complete or refused, more bytes give the same answer), "need
 * more" never lasts past NET_TUNNEL_HDR_MAX bytes, a complete header's
 * length is within the bytes given, and re-encoding what was decoded
 * gives a header that parses to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_tunnel.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_tunnel_hdr	h, g, first;
	uint8_t			buf[NET_TUNNEL_HDR_MAX];
	unsigned		seed;
	size_t			have = 0, used = 0, fused = 0, gused;
	char			err[96];
	int			rc, settled = 1, n;

	if (size < 1)
		return 0;
	seed = data[0];
	data++;
	size--;
	memset(&first, 0, sizeof first);
	while (have < size) {
		seed = seed * 1103515245u + 12345u;
		have += 1 + (seed >> 16) % 7;
		if (have > size)
			have = size;
		rc = net_tunnel_hdr_parse(data, have, &h, &used, err,
		    sizeof err);
		if (rc == 1) {
			if (settled != 1 || have >= NET_TUNNEL_HDR_MAX)
				abort();
			continue;
		}
		if (settled == 1) {
			settled = rc;
			if (rc == 0) {
				first = h;
				fused = used;
			}
		} else if (rc != settled || (rc == 0 && (used != fused ||
		    memcmp(&h, &first, sizeof h) != 0)))
			abort();
		if (rc == 0) {
			if (used > have || used > NET_TUNNEL_HDR_MAX ||
			    h.placement == 0 || h.epoch == 0 ||
			    h.stage >= NET_TUNNEL_STAGE_MAX)
				abort();
			n = net_tunnel_hdr_encode(&h, buf, sizeof buf);
			if (n < 0 || net_tunnel_hdr_parse(buf, (size_t)n, &g,
			    &gused, err, sizeof err) != 0 ||
			    gused != (size_t)n || g.placement != h.placement ||
			    g.epoch != h.epoch || g.stage != h.stage)
				abort();
		}
	}
	return 0;
}
