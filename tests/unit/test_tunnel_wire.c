/*
 * test_tunnel_wire.c - the tunnel stream header (net/net_tunnel.c):
 * round trip, every slicing of a valid header is "need more" until the
 * last byte, and each kind of bad header is refused with its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_tunnel.h"

static void
test_roundtrip(void **state)
{
	struct net_tunnel_hdr	h = { 42, 7, 3 }, g;
	uint8_t			buf[NET_TUNNEL_HDR_MAX + 8];
	size_t			used, i;
	char			err[96];
	int			n;

	(void)state;
	n = net_tunnel_hdr_encode(&h, buf, sizeof buf);
	assert_true(n > NET_TUNNEL_PREFIX && n <= NET_TUNNEL_HDR_MAX);
	assert_memory_equal(buf, "XTN1", 4);
	for (i = 0; i < (size_t)n; i++)
		assert_int_equal(net_tunnel_hdr_parse(buf, i, &g, &used, err,
		    sizeof err), 1);
	/* Payload bytes after the header are not the header's. */
	memcpy(buf + n, "payload", 7);
	assert_int_equal(net_tunnel_hdr_parse(buf, (size_t)n + 7, &g, &used,
	    err, sizeof err), 0);
	assert_int_equal(used, (size_t)n);
	assert_int_equal(g.placement, 42);
	assert_int_equal(g.epoch, 7);
	assert_int_equal(g.stage, 3);
}

static void
test_encode_limits(void **state)
{
	struct net_tunnel_hdr	h = { 0, 1, 0 };
	uint8_t			buf[NET_TUNNEL_HDR_MAX];

	(void)state;
	assert_int_equal(net_tunnel_hdr_encode(&h, buf, sizeof buf), -1);
	h.placement = 1;
	h.stage = NET_TUNNEL_STAGE_MAX;
	assert_int_equal(net_tunnel_hdr_encode(&h, buf, sizeof buf), -1);
	h.stage = 0;
	assert_int_equal(net_tunnel_hdr_encode(&h, buf, 10), -1);
	h.placement = UINT64_MAX;
	h.epoch = UINT64_MAX;
	h.stage = NET_TUNNEL_STAGE_MAX - 1;
	assert_true(net_tunnel_hdr_encode(&h, buf, sizeof buf) > 0);
}

static void
refused(const uint8_t *b, size_t n, const char *want)
{
	struct net_tunnel_hdr	g;
	size_t			used;
	char			err[96] = "";

	assert_int_equal(net_tunnel_hdr_parse(b, n, &g, &used, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, want));
}

static void
test_bad(void **state)
{
	/* map {1: 5, 2: 1, 3: 0} and variations */
	static const uint8_t ok[] = { 'X', 'T', 'N', '1', 0, 7,
	    0xa3, 1, 5, 2, 1, 3, 0 };
	static const uint8_t nostage[] = { 'X', 'T', 'N', '1', 0, 5,
	    0xa2, 1, 5, 2, 1 };
	static const uint8_t zero[] = { 'X', 'T', 'N', '1', 0, 7,
	    0xa3, 1, 0, 2, 1, 3, 0 };
	static const uint8_t bigstage[] = { 'X', 'T', 'N', '1', 0, 8,
	    0xa3, 1, 5, 2, 1, 3, 0x18, 64 };
	static const uint8_t dup[] = { 'X', 'T', 'N', '1', 0, 7,
	    0xa3, 1, 5, 1, 6, 3, 0 };
	static const uint8_t notdet[] = { 'X', 'T', 'N', '1', 0, 8,
	    0xa3, 1, 0x18, 5, 2, 1, 3, 0 };
	static const uint8_t trailing[] = { 'X', 'T', 'N', '1', 0, 8,
	    0xa3, 1, 5, 2, 1, 3, 0, 0 };
	static const uint8_t unknown[] = { 'X', 'T', 'N', '1', 0, 10,
	    0xa4, 1, 5, 2, 1, 3, 0, 9, 0x61, 'x' };
	static const uint8_t textval[] = { 'X', 'T', 'N', '1', 0, 8,
	    0xa3, 1, 0x61, 'a', 2, 1, 3, 0 };
	struct net_tunnel_hdr	g;
	size_t			used;
	uint8_t			b[8] = { 'X', 'T', 'N', '1', 0, 0 };

	(void)state;
	assert_int_equal(net_tunnel_hdr_parse(ok, sizeof ok, &g, &used, NULL,
	    0), 0);
	assert_int_equal(net_tunnel_hdr_parse(unknown, sizeof unknown, &g,
	    &used, NULL, 0), 0);
	assert_int_equal(g.placement, 5);
	refused((const uint8_t *)"GET / HTTP/1.1", 14, "magic");
	assert_int_equal(net_tunnel_hdr_parse((const uint8_t *)"XT", 2, &g,
	    &used, NULL, 0), 1);
	refused(b, 6, "length");
	b[4] = 1;
	refused(b, 6, "length");
	refused(nostage, sizeof nostage, "no stage");
	refused(zero, sizeof zero, "no placement");
	refused(bigstage, sizeof bigstage, "stage out of range");
	refused(dup, sizeof dup, "deterministic");
	refused(notdet, sizeof notdet, "deterministic");
	refused(trailing, sizeof trailing, "deterministic");
	refused(textval, sizeof textval, "unsigned");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
