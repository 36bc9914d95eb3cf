/*
 * net_tunnel.c - the tunnel stream header's codec (net_tunnel.h).  A
 * fixed prefix (magic, length) lets the receiver refuse a stranger after
 * six bytes and bounds the CBOR map before it is read; the map itself is
 * read with security's bounded reader, deterministic encoding only (so a
 * key cannot repeat), and the values are range-checked here.
 */
#include <stdio.h>
#include <string.h>

#include "net_tunnel.h"
#include "sec_cbor.h"

static const struct sec_cbor_limits hdr_limits = {
	.max_item_bytes = NET_TUNNEL_CBOR_MAX,
	.max_depth = 4,
	.max_items = 32,
	.max_str_len = NET_TUNNEL_CBOR_MAX,
	.max_container_len = 8,
	.flags = SEC_CBOR_F_DETERMINISTIC,
};

int
net_tunnel_hdr_encode(const struct net_tunnel_hdr *h, uint8_t *buf,
    size_t size)
{
	struct sec_cbor_writer	w;
	size_t			n;

	if (size < NET_TUNNEL_HDR_MAX || h->placement == 0 || h->epoch == 0 ||
	    h->stage >= NET_TUNNEL_STAGE_MAX)
		return -1;
	sec_cbor_writer_fixed(&w, buf + NET_TUNNEL_PREFIX, NET_TUNNEL_CBOR_MAX);
	(void)sec_cbor_write_map(&w, 3);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, h->placement);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, h->epoch);
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_uint(&w, h->stage);
	if (sec_cbor_writer_error(&w) != 0)
		return -1;
	n = sec_cbor_writer_len(&w);
	memcpy(buf, NET_TUNNEL_MAGIC, 4);
	buf[4] = (uint8_t)(n >> 8);
	buf[5] = (uint8_t)n;
	return (int)(NET_TUNNEL_PREFIX + n);
}

static int
bad(char *err, size_t errlen, const char *what)
{
	if (errlen > 0)
		(void)snprintf(err, errlen, "%s", what);
	return -1;
}

int
net_tunnel_hdr_parse(const uint8_t *buf, size_t len,
    struct net_tunnel_hdr *h, size_t *used, char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		pairs, key, v, i;
	size_t			n, cmp;
	int			have = 0;

	cmp = len < 4 ? len : 4;
	if (memcmp(buf, NET_TUNNEL_MAGIC, cmp) != 0)
		return bad(err, errlen, "not a tunnel stream (bad magic)");
	if (len < NET_TUNNEL_PREFIX)
		return 1;
	n = (size_t)buf[4] << 8 | buf[5];
	if (n == 0 || n > NET_TUNNEL_CBOR_MAX)
		return bad(err, errlen, "tunnel header length out of range");
	if (len < NET_TUNNEL_PREFIX + n)
		return 1;
	if (sec_cbor_reader_init(&r, buf + NET_TUNNEL_PREFIX, n,
	    &hdr_limits) != 0)
		return bad(err, errlen, "tunnel header is not one "
		    "deterministic CBOR item");
	memset(h, 0, sizeof *h);
	if (sec_cbor_read_map(&r, &pairs) != 0 || pairs == SEC_CBOR_INDEF)
		return bad(err, errlen, "tunnel header is not a map");
	for (i = 0; i < pairs; i++) {
		if (sec_cbor_read_uint(&r, &key) != 0)
			return bad(err, errlen, "tunnel header key is not an "
			    "unsigned integer");
		if (key < 1 || key > 3) {
			if (sec_cbor_skip(&r) != 0)
				return bad(err, errlen, "tunnel header: bad "
				    "value");
			continue;
		}
		if (sec_cbor_read_uint(&r, &v) != 0)
			return bad(err, errlen, "tunnel header value is not "
			    "an unsigned integer");
		have |= 1 << key;
		if (key == 1)
			h->placement = v;
		else if (key == 2)
			h->epoch = v;
		else if (v >= NET_TUNNEL_STAGE_MAX)
			return bad(err, errlen, "tunnel header: stage out of "
			    "range");
		else
			h->stage = (uint32_t)v;
	}
	if (sec_cbor_reader_done(&r) != 0)
		return bad(err, errlen, "tunnel header: bytes after the map");
	if ((have & 2) == 0 || h->placement == 0)
		return bad(err, errlen, "tunnel header: no placement (key 1)");
	if ((have & 4) == 0 || h->epoch == 0)
		return bad(err, errlen, "tunnel header: no epoch (key 2)");
	if ((have & 8) == 0)
		return bad(err, errlen, "tunnel header: no stage (key 3)");
	*used = NET_TUNNEL_PREFIX + n;
	return 0;
}
