/*
 * fuzz_wire.c - libFuzzer harness for the control-stream codec
 * (net/net_wire.c): the first thing that parses a peer's bytes.
 *
 * The input is a stream: messages are taken off the front with
 * net_wire_next() until it needs more or fails.  Checks beyond memory
 * safety (a violation aborts):
 *  - consumed is 0 on NEED_MORE, within the buffer otherwise, and a
 *    message never needs more once NET_WIRE_MAX_MSG bytes are there;
 *  - the same bytes cut short by one give NEED_MORE (streaming is
 *    consistent with whole-buffer decoding);
 *  - every decoded string field is NUL-terminated within its array;
 *  - a known message re-encodes, and decoding that encoding gives the
 *    same struct (the encoder accepts all the decoder accepts, and the
 *    two agree on every field; a raw payload gives the same bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_fields(const struct net_wire_msg *m)
{
	check(memchr(m->sender, '\0', sizeof m->sender) != NULL);
	if (m->known && m->type == NET_WIRE_HELLO) {
		check(memchr(m->u.hello.node_id, '\0',
		    sizeof m->u.hello.node_id) != NULL);
		check(memchr(m->u.hello.name, '\0',
		    sizeof m->u.hello.name) != NULL);
		check(m->u.hello.trust_mode <= NET_WIRE_TRUST_MAX);
		check(strcmp(m->u.hello.node_id, m->sender) == 0);
	}
	if (m->known && m->type == NET_WIRE_BYE)
		check(memchr(m->u.bye.reason, '\0',
		    sizeof m->u.bye.reason) != NULL);
}

static void
reencode(const struct net_wire_msg *m)
{
	static uint8_t		out[NET_WIRE_MAX_MSG];
	struct net_wire_msg	again;
	char			err[256];
	size_t			n, used;

	check(net_wire_encode(m, out, sizeof out, &n, err, sizeof err) == 0);
	check(net_wire_next(out, n, &again, &used, err, sizeof err) ==
	    NET_WIRE_MSG && used == n);
	if (net_wire_type_raw(m->type)) {
		/* The payload points into each decoder's own buffer. */
		check(again.u.raw.payload >= out && again.u.raw.len ==
		    m->u.raw.len && again.u.raw.payload + again.u.raw.len <=
		    out + n && memcmp(again.u.raw.payload, m->u.raw.payload,
		    m->u.raw.len) == 0);
		again.u.raw.payload = m->u.raw.payload;
	}
	check(memcmp(m, &again, sizeof again) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_wire_msg	m, m2;
	char			err[256];
	size_t			off = 0, used, used2;
	int			rc;

	while (off < size) {
		used = 12345;
		rc = net_wire_next(data + off, size - off, &m, &used, err,
		    sizeof err);
		if (rc == NET_WIRE_NEED_MORE) {
			check(used == 0 && size - off < NET_WIRE_MAX_MSG);
			return 0;
		}
		if (rc == NET_WIRE_ERROR) {
			check(used <= size - off && err[0] != '\0');
			if (used == 0)
				return 0;
			off += used;	/* well-formed but invalid: skip it */
			continue;
		}
		check(rc == NET_WIRE_MSG && used > 0 && used <= size - off);
		check(net_wire_next(data + off, used - 1, &m2, &used2, err,
		    sizeof err) == NET_WIRE_NEED_MORE && used2 == 0);
		check_fields(&m);
		if (m.known)
			reencode(&m);
		off += used;
	}
	return 0;
}
