/*
 * test_wire.c - control-stream messages (net/net_wire.c).
 *
 * Round trips for every message type, one encoding pinned byte for byte
 * (the format in docs/protocol.md), and the stream behaviour the QUIC
 * layer relies on: fed one byte at a time a message is "need more" until
 * its last byte; two messages in one read come out one after the other;
 * an oversize or garbled stream fails at once.  Messages the encoder would
 * never produce (unknown types, extra keys, missing keys, bad fields) are
 * built by hand with the CBOR writer, so the decoder is tested against the
 * format and not against its own encoder.  The cluster ("raw") types
 * come last: envelope round trips with the payload pointer checked, the
 * encoder refusing payloads a peer would refuse, and raw messages mixed
 * with others in one stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_wire.h"
#include "sec_cbor.h"
#include "sec_identity.h"

#define ID_A	"abcdefghijklmnopqrstuvwxyq"	/* valid: last char % 4 == 0 */
#define ID_B	"aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define UTF8_NAME	"gpu-b\xc3\xb6x \xe6\xb0\xb4"

static uint8_t	buf[NET_WIRE_MAX_MSG + 1024];

static struct net_wire_hello
hello_of(const char *id, const char *name)
{
	struct net_wire_hello	h;

	memset(&h, 0, sizeof h);
	(void)snprintf(h.node_id, sizeof h.node_id, "%s", id);
	(void)snprintf(h.name, sizeof h.name, "%s", name);
	h.version = NET_WIRE_VERSION;
	h.features = 0x8000000000000001ull;
	h.trust_mode = NET_WIRE_TRUST_SECRET;
	return h;
}

static void
decode_ok(const uint8_t *b, size_t n, struct net_wire_msg *m)
{
	char	err[256] = "";
	size_t	used = 0;
	int	rc;

	rc = net_wire_next(b, n, m, &used, err, sizeof err);
	if (rc != NET_WIRE_MSG)
		fail_msg("net_wire_next: %d %s", rc, err);
	assert_int_equal(used, n);
}

/* Decoding must fail with a message containing want; returns consumed. */
static size_t
decode_fails(const uint8_t *b, size_t n, const char *want)
{
	struct net_wire_msg	m;
	char			err[256] = "";
	size_t			used = 99;

	assert_int_equal(net_wire_next(b, n, &m, &used, err, sizeof err),
	    NET_WIRE_ERROR);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	return used;
}

/* An envelope around a hand-made payload (keys 1..4 in order). */
static size_t
envelope(uint8_t *out, size_t cap, uint64_t type, const char *sender,
    uint64_t term, const struct sec_cbor_writer *payload)
{
	struct sec_cbor_writer	w;

	sec_cbor_writer_fixed(&w, out, cap);
	(void)sec_cbor_write_map(&w, 4);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, type);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_text(&w, sender, strlen(sender));
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_uint(&w, term);
	(void)sec_cbor_write_uint(&w, 4);
	(void)sec_cbor_write_encoded(&w, sec_cbor_writer_data(payload),
	    sec_cbor_writer_len(payload));
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	return sec_cbor_writer_len(&w);
}

/* A HELLO payload with the given fields; skip = key to leave out. */
static void
hello_payload(struct sec_cbor_writer *w, uint8_t *out, size_t cap,
    const char *id, const char *name, uint64_t trust, unsigned skip)
{
	sec_cbor_writer_fixed(w, out, cap);
	(void)sec_cbor_write_map(w, skip ? 4 : 5);
	if (skip != 1) {
		(void)sec_cbor_write_uint(w, 1);
		(void)sec_cbor_write_text(w, id, strlen(id));
	}
	if (skip != 2) {
		(void)sec_cbor_write_uint(w, 2);
		(void)sec_cbor_write_text(w, name, strlen(name));
	}
	if (skip != 3) {
		(void)sec_cbor_write_uint(w, 3);
		(void)sec_cbor_write_uint(w, 1);
	}
	if (skip != 4) {
		(void)sec_cbor_write_uint(w, 4);
		(void)sec_cbor_write_uint(w, 0);
	}
	if (skip != 5) {
		(void)sec_cbor_write_uint(w, 5);
		(void)sec_cbor_write_uint(w, trust);
	}
	assert_int_equal(sec_cbor_writer_error(w), 0);
}

static void
test_round_trip(void **state)
{
	struct net_wire_hello	h = hello_of(ID_A, UTF8_NAME);
	struct net_wire_msg	m;
	char			err[256];
	size_t			n;

	assert_int_equal(net_wire_encode_hello(buf, sizeof buf, &n, ID_A, 3,
	    &h, err, sizeof err), 0);
	decode_ok(buf, n, &m);
	assert_true(m.known);
	assert_true(m.type == NET_WIRE_HELLO);
	assert_string_equal(m.sender, ID_A);
	assert_true(m.term == 3);
	assert_string_equal(m.u.hello.node_id, ID_A);
	assert_string_equal(m.u.hello.name, h.name);
	assert_true(m.u.hello.version == NET_WIRE_VERSION);
	assert_true(m.u.hello.features == 0x8000000000000001ull);
	assert_int_equal(m.u.hello.trust_mode, NET_WIRE_TRUST_SECRET);

	assert_int_equal(net_wire_encode_ping(buf, sizeof buf, &n, ID_B, 0,
	    UINT64_MAX, 1712345678901234ull, err, sizeof err), 0);
	decode_ok(buf, n, &m);
	assert_true(m.type == NET_WIRE_PING && m.known);
	assert_string_equal(m.sender, ID_B);
	assert_true(m.u.ping.nonce == UINT64_MAX);
	assert_true(m.u.ping.sent_at_us == 1712345678901234ull);

	assert_int_equal(net_wire_encode_pong(buf, sizeof buf, &n, ID_B,
	    UINT64_MAX, 0, 23, err, sizeof err), 0);
	decode_ok(buf, n, &m);
	assert_true(m.type == NET_WIRE_PONG && m.known);
	assert_true(m.term == UINT64_MAX);
	assert_true(m.u.ping.nonce == 0 && m.u.ping.sent_at_us == 23);

	assert_int_equal(net_wire_encode_bye(buf, sizeof buf, &n, ID_A, 9,
	    "shutting down", err, sizeof err), 0);
	decode_ok(buf, n, &m);
	assert_true(m.type == NET_WIRE_BYE && m.known);
	assert_string_equal(m.u.bye.reason, "shutting down");
	assert_int_equal(net_wire_encode_bye(buf, sizeof buf, &n, ID_A, 0, "",
	    err, sizeof err), 0);
	decode_ok(buf, n, &m);
	assert_string_equal(m.u.bye.reason, "");

	assert_string_equal(net_wire_type_name(NET_WIRE_HELLO), "HELLO");
	assert_string_equal(net_wire_type_name(NET_WIRE_BYE), "BYE");
	assert_string_equal(net_wire_type_name(77), "unknown");
}

/* The format of docs/protocol.md, byte for byte. */
static void
test_ping_known_bytes(void **state)
{
	uint8_t	want[64];
	size_t	n, k = 0;
	char	err[256];

	want[k++] = 0xa4;			/* map of 4 */
	want[k++] = 0x01;			/* 1: type */
	want[k++] = 0x02;			/* PING */
	want[k++] = 0x02;			/* 2: sender */
	want[k++] = 0x78;			/* text, 1-byte length */
	want[k++] = 0x1a;			/* 26 */
	memcpy(want + k, ID_A, 26);
	k += 26;
	want[k++] = 0x03;			/* 3: term */
	want[k++] = 0x07;
	want[k++] = 0x04;			/* 4: payload */
	want[k++] = 0xa2;			/* map of 2 */
	want[k++] = 0x01;			/* 1: nonce */
	want[k++] = 0x19;
	want[k++] = 0x12;
	want[k++] = 0x34;
	want[k++] = 0x02;			/* 2: sent-at */
	want[k++] = 0x1a;
	want[k++] = 0x00;
	want[k++] = 0x0f;
	want[k++] = 0x42;
	want[k++] = 0x40;
	assert_int_equal(net_wire_encode_ping(buf, sizeof buf, &n, ID_A, 7,
	    0x1234, 1000000, err, sizeof err), 0);
	assert_int_equal(n, k);
	assert_memory_equal(buf, want, k);
}

/* A stream fed one byte at a time: NEED_MORE until each message is whole. */
static void
test_byte_by_byte(void **state)
{
	struct net_wire_hello	h = hello_of(ID_A, "node a");
	struct net_wire_msg	m;
	uint8_t			stream[512], *rx;
	char			err[256];
	size_t			n1, n2, total, have = 0, used, i;
	int			rc, msgs = 0;

	assert_int_equal(net_wire_encode_hello(stream, sizeof stream, &n1,
	    ID_A, 1, &h, err, sizeof err), 0);
	assert_int_equal(net_wire_encode_ping(stream + n1, sizeof stream - n1,
	    &n2, ID_A, 1, 42, 43, err, sizeof err), 0);
	total = n1 + n2;
	rx = malloc(total);
	assert_non_null(rx);
	for (i = 0; i < total; i++) {
		rx[have++] = stream[i];
		used = 99;
		rc = net_wire_next(rx, have, &m, &used, err, sizeof err);
		if (i + 1 == n1 || i + 1 == total) {
			assert_int_equal(rc, NET_WIRE_MSG);
			assert_int_equal(used, have);
			assert_true(m.type == (msgs == 0 ? NET_WIRE_HELLO :
			    NET_WIRE_PING));
			msgs++;
			have = 0;	/* drop the consumed bytes */
		} else {
			assert_int_equal(rc, NET_WIRE_NEED_MORE);
			assert_int_equal(used, 0);
		}
	}
	assert_int_equal(msgs, 2);
	assert_true(m.u.ping.nonce == 42);
	free(rx);
}

/* Two messages and the start of a third in one read. */
static void
test_two_in_one_buffer(void **state)
{
	struct net_wire_msg	m;
	char			err[256];
	size_t			n1, n2, n3, off = 0, used;

	assert_int_equal(net_wire_encode_bye(buf, sizeof buf, &n1, ID_A, 0,
	    "first", err, sizeof err), 0);
	assert_int_equal(net_wire_encode_ping(buf + n1, sizeof buf - n1, &n2,
	    ID_B, 5, 1, 2, err, sizeof err), 0);
	assert_int_equal(net_wire_encode_pong(buf + n1 + n2,
	    sizeof buf - n1 - n2, &n3, ID_B, 5, 1, 2, err, sizeof err), 0);
	assert_int_equal(net_wire_next(buf, n1 + n2 + 5, &m, &used, err,
	    sizeof err), NET_WIRE_MSG);
	assert_int_equal(used, n1);
	assert_string_equal(m.u.bye.reason, "first");
	off += used;
	assert_int_equal(net_wire_next(buf + off, n1 + n2 + 5 - off, &m,
	    &used, err, sizeof err), NET_WIRE_MSG);
	assert_int_equal(used, n2);
	assert_true(m.type == NET_WIRE_PING && m.term == 5);
	off += used;
	assert_int_equal(net_wire_next(buf + off, 5, &m, &used, err,
	    sizeof err), NET_WIRE_NEED_MORE);
	assert_int_equal(net_wire_next(buf + off, n3, &m, &used, err,
	    sizeof err), NET_WIRE_MSG);
	assert_true(m.type == NET_WIRE_PONG);
}

static void
test_unknown_type(void **state)
{
	struct sec_cbor_writer	p;
	struct net_wire_msg	m;
	uint8_t			pay[64];
	size_t			n;

	/* A payload of any shape: here an array with a nested map. */
	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_array(&p, 2);
	(void)sec_cbor_write_uint(&p, 1);
	(void)sec_cbor_write_map(&p, 1);
	(void)sec_cbor_write_text(&p, "k", 1);
	(void)sec_cbor_write_float(&p, 2.5);
	n = envelope(buf, sizeof buf, 99, ID_A, 12, &p);
	decode_ok(buf, n, &m);
	assert_false(m.known);
	assert_true(m.type == 99);
	assert_string_equal(m.sender, ID_A);
	assert_true(m.term == 12);

	/* Even type 0 and 2^64 - 1 are just unknown. */
	n = envelope(buf, sizeof buf, 0, ID_A, 0, &p);
	decode_ok(buf, n, &m);
	assert_false(m.known);
	n = envelope(buf, sizeof buf, UINT64_MAX, ID_A, 0, &p);
	decode_ok(buf, n, &m);
	assert_false(m.known);
	assert_true(m.type == UINT64_MAX);
}

/* Keys this version does not know are skipped, in envelope and payload. */
static void
test_unknown_keys_ignored(void **state)
{
	struct sec_cbor_writer	w;
	struct net_wire_msg	m;
	size_t			n;

	sec_cbor_writer_fixed(&w, buf, sizeof buf);
	(void)sec_cbor_write_map(&w, 8);
	(void)sec_cbor_write_uint(&w, 0);		/* unknown, before */
	(void)sec_cbor_write_null(&w);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, NET_WIRE_PING);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_text(&w, ID_B, 26);
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_uint(&w, 0);
	(void)sec_cbor_write_uint(&w, 4);
	(void)sec_cbor_write_map(&w, 4);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, 77);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, 78);
	(void)sec_cbor_write_uint(&w, 3);	/* unknown payload key */
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_array(&w, 0);
	(void)sec_cbor_write_bytes(&w, "xy", 2);
	(void)sec_cbor_write_text(&w, "new", 3);	/* a text key */
	(void)sec_cbor_write_bool(&w, true);
	(void)sec_cbor_write_uint(&w, 1000);		/* unknown, after */
	(void)sec_cbor_write_tag(&w, 1);
	(void)sec_cbor_write_uint(&w, 5);
	(void)sec_cbor_write_nint(&w, 0);		/* a negative key */
	(void)sec_cbor_write_uint(&w, 5);
	(void)sec_cbor_write_text(&w, "later", 5);	/* a text key */
	(void)sec_cbor_write_map(&w, 0);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	n = sec_cbor_writer_len(&w);
	decode_ok(buf, n, &m);
	assert_true(m.known && m.type == NET_WIRE_PING);
	assert_true(m.u.ping.nonce == 77 && m.u.ping.sent_at_us == 78);
}

static void
test_missing_keys(void **state)
{
	static const char *env_names[] = { "", "type", "sender", "term",
	    "payload" };
	static const char *hello_names[] = { "", "node id", "name", "version",
	    "features", "trust mode" };
	struct sec_cbor_writer	w, p;
	uint8_t			pay[128];
	char			want[64];
	unsigned		skip;
	size_t			n;

	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_map(&p, 1);
	(void)sec_cbor_write_uint(&p, 1);
	(void)sec_cbor_write_text(&p, "x", 1);
	for (skip = 1; skip <= 4; skip++) {
		sec_cbor_writer_fixed(&w, buf, sizeof buf);
		(void)sec_cbor_write_map(&w, 3);
		if (skip != 1) {
			(void)sec_cbor_write_uint(&w, 1);
			(void)sec_cbor_write_uint(&w, NET_WIRE_BYE);
		}
		if (skip != 2) {
			(void)sec_cbor_write_uint(&w, 2);
			(void)sec_cbor_write_text(&w, ID_A, 26);
		}
		if (skip != 3) {
			(void)sec_cbor_write_uint(&w, 3);
			(void)sec_cbor_write_uint(&w, 0);
		}
		if (skip != 4) {
			(void)sec_cbor_write_uint(&w, 4);
			(void)sec_cbor_write_encoded(&w, pay,
			    sec_cbor_writer_len(&p));
		}
		n = sec_cbor_writer_len(&w);
		(void)snprintf(want, sizeof want, "missing key %u (%s)", skip,
		    env_names[skip]);
		/* Well-formed: the stream stays in step. */
		assert_int_equal(decode_fails(buf, n, want), n);
	}
	for (skip = 1; skip <= 5; skip++) {
		hello_payload(&p, pay, sizeof pay, ID_A, "n", 1, skip);
		n = envelope(buf, sizeof buf, NET_WIRE_HELLO, ID_A, 0, &p);
		(void)snprintf(want, sizeof want,
		    "HELLO payload: missing key %u (%s)", skip,
		    hello_names[skip]);
		assert_int_equal(decode_fails(buf, n, want), n);
	}
	/* PING without sent-at, BYE without reason. */
	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_map(&p, 1);
	(void)sec_cbor_write_uint(&p, 1);
	(void)sec_cbor_write_uint(&p, 1);
	n = envelope(buf, sizeof buf, NET_WIRE_PONG, ID_A, 0, &p);
	(void)decode_fails(buf, n, "PONG payload: missing key 2 (sent-at)");
	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_map(&p, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_BYE, ID_A, 0, &p);
	(void)decode_fails(buf, n, "BYE payload: missing key 1 (reason)");
}

static void
test_bad_fields(void **state)
{
	struct sec_cbor_writer	w, p;
	uint8_t			pay[256];
	char			name[80];
	size_t			n;

	/* Senders that are not node ids. */
	hello_payload(&p, pay, sizeof pay, ID_A, "n", 1, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_PING,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYQ", 0, &p);
	(void)decode_fails(buf, n, "key 2 (sender): not a node id");
	n = envelope(buf, sizeof buf, NET_WIRE_PING, &ID_A[1], 0, &p);
	(void)decode_fails(buf, n, "key 2 (sender): not a node id");
	n = envelope(buf, sizeof buf, NET_WIRE_PING,
	    "abcdefghijklmnopqrstuvwxyz", 0, &p);	/* bits left over */
	(void)decode_fails(buf, n, "not a node id");

	/* HELLO: node id must be the sender; name bounded and printable. */
	n = envelope(buf, sizeof buf, NET_WIRE_HELLO, ID_B, 0, &p);
	(void)decode_fails(buf, n, "is not the sender");
	memset(name, 'x', 63);
	name[63] = '\0';
	hello_payload(&p, pay, sizeof pay, ID_A, name, 1, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_HELLO, ID_A, 0, &p);
	{
		struct net_wire_msg m;

		decode_ok(buf, n, &m);
		assert_int_equal(strlen(m.u.hello.name), 63);
	}
	name[63] = 'x';
	name[64] = '\0';
	hello_payload(&p, pay, sizeof pay, ID_A, name, 1, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_HELLO, ID_A, 0, &p);
	(void)decode_fails(buf, n, "key 2 (name): 64 bytes, at most 63");
	hello_payload(&p, pay, sizeof pay, ID_A, "evil\nline", 1, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_HELLO, ID_A, 0, &p);
	(void)decode_fails(buf, n, "control character");
	hello_payload(&p, pay, sizeof pay, ID_A, "n", 256, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_HELLO, ID_A, 0, &p);
	(void)decode_fails(buf, n, "key 5 (trust mode): 256 is over 255");

	/* Wrong types name the key. */
	sec_cbor_writer_fixed(&w, buf, sizeof buf);
	(void)sec_cbor_write_map(&w, 4);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, NET_WIRE_PING);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_text(&w, ID_A, 26);
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_nint(&w, 0);
	(void)sec_cbor_write_uint(&w, 4);
	(void)sec_cbor_write_map(&w, 0);
	(void)decode_fails(buf, sec_cbor_writer_len(&w),
	    "key 3 (term): offset");
	/* A payload that is not a map. */
	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_array(&p, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_BYE, ID_A, 0, &p);
	(void)decode_fails(buf, n, "BYE payload: offset 0: expected map");
	/* A message that is not a map. */
	assert_int_equal(decode_fails((const uint8_t *)"\x01", 1,
	    "expected map"), 1);
	/* Invalid UTF-8 in a text field. */
	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_map(&p, 1);
	(void)sec_cbor_write_uint(&p, 1);
	(void)sec_cbor_write_encoded(&p, "\x62\xc0\xaf", 3);
	n = envelope(buf, sizeof buf, NET_WIRE_BYE, ID_A, 0, &p);
	(void)decode_fails(buf, n, "UTF-8");
}

/* Only deterministic CBOR is accepted: no duplicate or unsorted keys. */
static void
test_not_deterministic(void **state)
{
	struct sec_cbor_writer	p;
	uint8_t			pay[64];
	size_t			n;

	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_map(&p, 2);
	(void)sec_cbor_write_uint(&p, 1);
	(void)sec_cbor_write_text(&p, "a", 1);
	(void)sec_cbor_write_uint(&p, 1);
	(void)sec_cbor_write_text(&p, "b", 1);
	n = envelope(buf, sizeof buf, NET_WIRE_BYE, ID_A, 0, &p);
	assert_int_equal(decode_fails(buf, n, "duplicated"), 0);
	/* term 23 written as 18 17 instead of 17 (offset 33, after the
	 * 26-character sender at 6..31 and key 3 at 32) */
	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_map(&p, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_BYE, ID_A, 23, &p);
	assert_int_equal(buf[32], 0x03);
	assert_int_equal(buf[33], 0x17);
	memmove(buf + 35, buf + 34, n - 34);
	buf[33] = 0x18;
	buf[34] = 0x17;
	assert_int_equal(decode_fails(buf, n + 1, "shortest"), 0);
}

static void
test_oversize(void **state)
{
	uint8_t	*big;
	size_t	 n;

	/* A text string that could not fit in a message: refused from its
	 * head, without waiting for 64 KiB. */
	n = 0;
	buf[n++] = 0xa4;
	buf[n++] = 0x01;
	buf[n++] = 0x02;
	buf[n++] = 0x02;
	buf[n++] = 0x79;			/* text, 2-byte length */
	buf[n++] = 0xff;
	buf[n++] = 0xff;
	assert_int_equal(decode_fails(buf, n, "does not fit"), 0);
	/* A message of NET_WIRE_MAX_MSG + 1 bytes, all present. */
	big = malloc(NET_WIRE_MAX_MSG + 16);
	assert_non_null(big);
	n = 0;
	big[n++] = 0xa5;
	big[n++] = 0x05;			/* unknown key 5 */
	big[n++] = 0x5a;			/* byte string, 4-byte length */
	big[n++] = 0x00;
	big[n++] = 0x01;
	big[n++] = 0x00;
	big[n++] = 0x00;
	memset(big + n, 0, NET_WIRE_MAX_MSG + 16 - n);
	assert_int_equal(decode_fails(big, NET_WIRE_MAX_MSG + 16,
	    "does not fit"), 0);
	/* An array of 2048 32-byte strings inside an unknown key: well under
	 * the item limit, over the size cap, refused when the cap is hit. */
	big[2] = 0x99;
	big[3] = 0x08;
	big[4] = 0x00;
	for (n = 5; n + 32 <= NET_WIRE_MAX_MSG + 16; n += 32) {
		big[n] = 0x58;
		big[n + 1] = 30;
	}
	assert_int_equal(decode_fails(big, NET_WIRE_MAX_MSG + 16,
	    "does not fit"), 0);
	free(big);
}

/* Depth and item limits apply inside payloads we do not even read. */
static void
test_limits(void **state)
{
	const struct sec_cbor_limits	*l = net_wire_limits();
	struct sec_cbor_writer		 p;
	static uint8_t			 pay[8192];
	struct net_wire_msg		 m;
	size_t				 n, i, depth;

	assert_int_equal(l->max_item_bytes, NET_WIRE_MAX_MSG);
	assert_int_equal(l->max_depth, NET_WIRE_MAX_DEPTH);
	assert_int_equal(l->max_items, NET_WIRE_MAX_ITEMS);
	assert_true(l->flags & SEC_CBOR_F_DETERMINISTIC);

	/* The envelope is depth 1, so a payload may nest 7 more levels. */
	for (depth = 7; depth <= 8; depth++) {
		sec_cbor_writer_fixed(&p, pay, sizeof pay);
		for (i = 0; i < depth; i++)
			(void)sec_cbor_write_array(&p, 1);
		(void)sec_cbor_write_uint(&p, 0);
		n = envelope(buf, sizeof buf, 50, ID_A, 0, &p);
		if (depth == 7)
			decode_ok(buf, n, &m);
		else
			assert_int_equal(decode_fails(buf, n,
			    "deeper than 8"), 0);
	}
	/* Envelope: map, 4 keys, 3 values = 8 items; then the array. */
	for (i = 4087; i <= 4088; i++) {
		sec_cbor_writer_fixed(&p, pay, sizeof pay);
		(void)sec_cbor_write_array(&p, i);
		for (n = 0; n < i; n++)
			(void)sec_cbor_write_uint(&p, 1);
		assert_int_equal(sec_cbor_writer_error(&p), 0);
		n = envelope(buf, sizeof buf, 50, ID_A, 0, &p);
		if (i == 4087)
			decode_ok(buf, n, &m);
		else
			assert_int_equal(decode_fails(buf, n,
			    "more than 4096 data items"), 0);
	}
}

/* Random bytes never crash, never over-consume, never stall forever. */
static void
test_garbage(void **state)
{
	struct net_wire_msg	m;
	uint64_t		x = 0x243f6a8885a308d3ull;
	uint8_t			*g;
	char			err[256];
	size_t			i, j, n, used;
	int			rc;

	assert_int_equal(decode_fails((const uint8_t *)"\xff", 1, "break"),
	    0);
	assert_int_equal(decode_fails((const uint8_t *)"\x1c", 1, "reserved"),
	    0);
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = 1 + x % 64;
		g = malloc(n);
		assert_non_null(g);
		for (j = 0; j < n; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Bias towards maps to get past the first byte. */
			g[j] = j == 0 && (x & 1) ? 0xa4 : (uint8_t)(x >> 24);
		}
		used = 999;
		rc = net_wire_next(g, n, &m, &used, err, sizeof err);
		assert_true(rc == NET_WIRE_MSG || rc == NET_WIRE_NEED_MORE ||
		    rc == NET_WIRE_ERROR);
		assert_true(used <= n);
		if (rc == NET_WIRE_NEED_MORE)
			assert_int_equal(used, 0);
		if (rc == NET_WIRE_MSG)
			assert_true(used > 0);
		free(g);
	}
}

static void
test_encode_errors(void **state)
{
	struct net_wire_hello	h = hello_of(ID_A, "n");
	struct net_wire_msg	m;
	uint8_t			small[256];
	char			err[256], reason[300];
	size_t			n, need, cap;

	/* Too small a buffer fails cleanly at every size below the need. */
	assert_int_equal(net_wire_encode_hello(small, sizeof small, &need,
	    ID_A, 1, &h, err, sizeof err), 0);
	for (cap = 0; cap < need; cap++) {
		n = 77;
		assert_int_equal(net_wire_encode_hello(small, cap, &n, ID_A, 1,
		    &h, err, sizeof err), -1);
		assert_int_equal(n, 0);
		assert_non_null(strstr(err, "buffer"));
	}
	assert_int_equal(net_wire_encode_hello(small, need, &n, ID_A, 1, &h,
	    err, sizeof err), 0);
	assert_int_equal(n, need);

	/* Fields the decoder would refuse are refused here. */
	assert_int_equal(net_wire_encode_hello(small, sizeof small, &n, ID_B,
	    1, &h, err, sizeof err), -1);
	assert_non_null(strstr(err, "sender"));
	assert_int_equal(net_wire_encode_ping(small, sizeof small, &n,
	    ID_A "x", 1, 1, 1, err, sizeof err), -1);
	assert_int_equal(net_wire_encode_ping(small, sizeof small, &n, NULL,
	    1, 1, 1, err, sizeof err), -1);
	assert_int_equal(net_wire_encode_ping(small, sizeof small, &n,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYQ", 1, 1, 1, err, sizeof err), -1);
	h.trust_mode = 256;
	assert_int_equal(net_wire_encode_hello(small, sizeof small, &n, ID_A,
	    1, &h, err, sizeof err), -1);
	h = hello_of(ID_A, "tab\there");
	assert_int_equal(net_wire_encode_hello(small, sizeof small, &n, ID_A,
	    1, &h, err, sizeof err), -1);
	h = hello_of(ID_A, "bad \xc0\xaf utf8");
	assert_int_equal(net_wire_encode_hello(small, sizeof small, &n, ID_A,
	    1, &h, err, sizeof err), -1);
	assert_non_null(strstr(err, "UTF-8"));
	memset(reason, 'r', sizeof reason);
	reason[NET_WIRE_REASON_MAX] = '\0';
	assert_int_equal(net_wire_encode_bye(buf, sizeof buf, &n, ID_A, 0,
	    reason, err, sizeof err), 0);
	reason[NET_WIRE_REASON_MAX] = 'r';
	reason[NET_WIRE_REASON_MAX + 1] = '\0';
	assert_int_equal(net_wire_encode_bye(buf, sizeof buf, &n, ID_A, 0,
	    reason, err, sizeof err), -1);
	assert_non_null(strstr(err, "longer than 255"));
	memset(&m, 0, sizeof m);
	memcpy(m.sender, ID_A, sizeof ID_A);
	m.type = 99;
	assert_int_equal(net_wire_encode(&m, buf, sizeof buf, &n, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "cannot encode message type 99"));
}

/* A real node id (from a public key) goes through as the sender. */
static void
test_real_node_id(void **state)
{
	unsigned char		pub[32];
	char			id[SEC_NODE_ID_SIZE];
	struct net_wire_hello	h;
	struct net_wire_msg	m;
	char			err[256];
	size_t			n, i;

	for (i = 0; i < sizeof pub; i++)
		pub[i] = (unsigned char)(i * 37 + 1);
	sec_node_id_from_pub(pub, id);
	h = hello_of(id, "box");
	h.trust_mode = NET_WIRE_TRUST_CA;
	assert_int_equal(net_wire_encode_hello(buf, sizeof buf, &n, id, 0, &h,
	    err, sizeof err), 0);
	decode_ok(buf, n, &m);
	assert_string_equal(m.sender, id);
	assert_int_equal(m.u.hello.trust_mode, NET_WIRE_TRUST_CA);
}

/* ---- raw (cluster) types: payload handed over undecoded ---- */

static const uint64_t raw_types[] = {
	NET_WIRE_RAFT, NET_WIRE_MEMBER, NET_WIRE_GOSSIP_DIGEST,
	NET_WIRE_GOSSIP_RECORDS, NET_WIRE_GOSSIP_WANT, NET_WIRE_GOSSIP_SUMMARY,
};

/* A small payload map {1: tag, 2: [1, "x"], 3: {1: true}}. */
static size_t
raw_payload(uint8_t *out, size_t cap, uint64_t tag)
{
	struct sec_cbor_writer	w;

	sec_cbor_writer_fixed(&w, out, cap);
	(void)sec_cbor_write_map(&w, 3);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, tag);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_text(&w, "x", 1);
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_map(&w, 1);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_bool(&w, true);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	return sec_cbor_writer_len(&w);
}

static void
test_raw_round_trip(void **state)
{
	struct net_wire_msg	m, m2;
	uint8_t			pay[64];
	char			err[256];
	size_t			i, n, pn, n2;

	for (i = 0; i < sizeof raw_types / sizeof raw_types[0]; i++) {
		assert_true(net_wire_type_raw(raw_types[i]));
		pn = raw_payload(pay, sizeof pay, 1000 + i);
		assert_int_equal(net_wire_encode_raw(buf, sizeof buf, &n,
		    raw_types[i], ID_A, 40 + i, pay, pn, err, sizeof err), 0);
		decode_ok(buf, n, &m);
		assert_true(m.known);
		assert_true(m.type == raw_types[i]);
		assert_string_equal(m.sender, ID_A);
		assert_true(m.term == 40 + i);
		/* Exactly the payload's bytes, in place: the message's tail. */
		assert_int_equal(m.u.raw.len, pn);
		assert_ptr_equal(m.u.raw.payload, buf + n - pn);
		assert_memory_equal(m.u.raw.payload, pay, pn);
		/* net_wire_encode() of the decoded struct: same bytes. */
		assert_int_equal(net_wire_encode(&m, buf + n, sizeof buf - n,
		    &n2, err, sizeof err), 0);
		assert_int_equal(n2, n);
		assert_memory_equal(buf + n, buf, n);
		assert_int_equal(net_wire_decode(buf + n, n2, &m2, err,
		    sizeof err), 0);
		assert_ptr_equal(m2.u.raw.payload, buf + 2 * n - pn);
	}
	assert_string_equal(net_wire_type_name(NET_WIRE_RAFT), "RAFT");
	assert_string_equal(net_wire_type_name(8), "unknown");
	assert_string_equal(net_wire_type_name(NET_WIRE_MEMBER), "MEMBER");
	assert_string_equal(net_wire_type_name(NET_WIRE_GOSSIP_DIGEST),
	    "GOSSIP_DIGEST");
	assert_string_equal(net_wire_type_name(NET_WIRE_GOSSIP_RECORDS),
	    "GOSSIP_RECORDS");
	assert_string_equal(net_wire_type_name(NET_WIRE_GOSSIP_WANT),
	    "GOSSIP_WANT");
	assert_string_equal(net_wire_type_name(NET_WIRE_GOSSIP_SUMMARY),
	    "GOSSIP_SUMMARY");
	assert_false(net_wire_type_raw(NET_WIRE_HELLO));
	assert_false(net_wire_type_raw(NET_WIRE_BYE));
	assert_false(net_wire_type_raw(9));
	assert_false(net_wire_type_raw(28));
	/* The smallest payload, an empty map. */
	pay[0] = 0xa0;
	assert_int_equal(net_wire_encode_raw(buf, sizeof buf, &n,
	    NET_WIRE_MEMBER, ID_B, 0, pay, 1, err, sizeof err), 0);
	decode_ok(buf, n, &m);
	assert_int_equal(m.u.raw.len, 1);
	assert_int_equal(m.u.raw.payload[0], 0xa0);
}

/* Pinned: a RAFT envelope is the usual four keys around the payload. */
static void
test_raw_known_bytes(void **state)
{
	const uint8_t	pay[] = { 0xa1, 0x01, 0x05 };	/* {1: 5} */
	uint8_t		want[64];
	size_t		n, k = 0;
	char		err[256];

	want[k++] = 0xa4;
	want[k++] = 0x01;
	want[k++] = 0x18;			/* RAFT (48) */
	want[k++] = 0x30;
	want[k++] = 0x02;
	want[k++] = 0x78;
	want[k++] = 0x1a;
	memcpy(want + k, ID_A, 26);
	k += 26;
	want[k++] = 0x03;
	want[k++] = 0x19;			/* term 300 */
	want[k++] = 0x01;
	want[k++] = 0x2c;
	want[k++] = 0x04;
	memcpy(want + k, pay, sizeof pay);
	k += sizeof pay;
	assert_int_equal(net_wire_encode_raw(buf, sizeof buf, &n,
	    NET_WIRE_RAFT, ID_A, 300, pay, sizeof pay, err, sizeof err), 0);
	assert_int_equal(n, k);
	assert_memory_equal(buf, want, k);
}

static void
raw_refused(const uint8_t *pay, size_t pn, const char *want)
{
	char	err[256] = "";
	size_t	n = 77;

	assert_int_equal(net_wire_encode_raw(buf, sizeof buf, &n,
	    NET_WIRE_GOSSIP_RECORDS, ID_A, 1, pay, pn, err, sizeof err), -1);
	assert_int_equal(n, 0);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void
test_raw_bad_payload(void **state)
{
	static uint8_t		big[NET_WIRE_MAX_MSG];
	struct sec_cbor_writer	w;
	uint8_t			pay[64], small[64];
	char			err[256];
	size_t			pn, n, i;

	pn = raw_payload(pay, sizeof pay, 7);
	raw_refused(NULL, 0, "missing");
	raw_refused(pay, 0, "missing");
	raw_refused(pay, pn - 1, "truncated");
	pay[pn] = 0x00;
	raw_refused(pay, pn + 1, "1 bytes after");
	raw_refused((const uint8_t *)"\x82\x01\x02", 3, "not a map");
	raw_refused((const uint8_t *)"\x01", 1, "not a map");
	raw_refused((const uint8_t *)"\xff", 1, "malformed");
	/* Not deterministic: a long head, an indefinite map, keys unsorted. */
	raw_refused((const uint8_t *)"\xa1\x18\x01\x01", 4, "determin");
	raw_refused((const uint8_t *)"\xbf\x01\x01\xff", 4, "determin");
	raw_refused((const uint8_t *)"\xa2\x02\x01\x01\x01", 5, "determin");

	/* Depth 8 is within the limits alone, not under the envelope. */
	sec_cbor_writer_fixed(&w, pay, sizeof pay);
	(void)sec_cbor_write_map(&w, 1);
	(void)sec_cbor_write_uint(&w, 1);
	for (i = 0; i < NET_WIRE_MAX_DEPTH - 1; i++)
		(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_uint(&w, 0);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	raw_refused(pay, sec_cbor_writer_len(&w), "deeper than 8");
	/* Depth 7 goes through: {1: [[[[[[0]]]]]]}. */
	sec_cbor_writer_fixed(&w, pay, sizeof pay);
	(void)sec_cbor_write_map(&w, 1);
	(void)sec_cbor_write_uint(&w, 1);
	for (i = 0; i < NET_WIRE_MAX_DEPTH - 2; i++)
		(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_uint(&w, 0);
	assert_int_equal(net_wire_encode_raw(buf, sizeof buf, &n,
	    NET_WIRE_RAFT, ID_A, 1, pay, sec_cbor_writer_len(&w), err,
	    sizeof err), 0);

	/* 4096 items alone would do, not with the envelope's 8 more. */
	sec_cbor_writer_fixed(&w, big, sizeof big);
	(void)sec_cbor_write_map(&w, 1);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_array(&w, NET_WIRE_MAX_ITEMS - 3);
	for (i = 0; i < NET_WIRE_MAX_ITEMS - 3; i++)
		(void)sec_cbor_write_uint(&w, 0);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	raw_refused(big, sec_cbor_writer_len(&w), "data items");

	/* Only raw types; the buffer must be big enough. */
	pn = raw_payload(pay, sizeof pay, 7);
	assert_int_equal(net_wire_encode_raw(buf, sizeof buf, &n,
	    NET_WIRE_HELLO, ID_A, 1, pay, pn, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a raw"));
	assert_int_equal(net_wire_encode_raw(buf, sizeof buf, &n, 99, ID_A, 1,
	    pay, pn, err, sizeof err), -1);
	assert_int_equal(net_wire_encode_raw(buf, sizeof buf, &n,
	    NET_WIRE_RAFT, "short", 1, pay, pn, err, sizeof err), -1);
	assert_non_null(strstr(err, "sender"));
	assert_int_equal(net_wire_encode_raw(small, 40, &n, NET_WIRE_RAFT,
	    ID_A, 1, pay, pn, err, sizeof err), -1);
	assert_non_null(strstr(err, "buffer"));
}

/* A peer's raw message whose payload is not a map: invalid, in step. */
static void
test_raw_decode_not_map(void **state)
{
	struct sec_cbor_writer	p;
	struct net_wire_msg	m;
	uint8_t			pay[16];
	size_t			n;

	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_array(&p, 0);
	n = envelope(buf, sizeof buf, NET_WIRE_MEMBER, ID_A, 1, &p);
	assert_int_equal(decode_fails(buf, n, "MEMBER payload: not a map"), n);
	sec_cbor_writer_fixed(&p, pay, sizeof pay);
	(void)sec_cbor_write_uint(&p, 5);
	n = envelope(buf, sizeof buf, NET_WIRE_GOSSIP_WANT, ID_A, 1, &p);
	assert_int_equal(decode_fails(buf, n, "not a map"), n);
	/* The same envelope under an unknown type is fine. */
	n = envelope(buf, sizeof buf, 28, ID_A, 1, &p);
	decode_ok(buf, n, &m);
	assert_false(m.known);
}

/* HELLO, MEMBER, PING, RAFT, BYE back to back, read 7 bytes at a time. */
static void
test_raw_in_stream(void **state)
{
	struct net_wire_hello	h = hello_of(ID_B, "b");
	struct net_wire_msg	m;
	uint8_t			stream[1024], rx[1024], pay[64];
	const uint64_t		want[] = { NET_WIRE_HELLO, NET_WIRE_MEMBER,
	    NET_WIRE_PING, NET_WIRE_RAFT, NET_WIRE_BYE };
	char			err[256];
	size_t			off = 0, n, pn, fed = 0, have = 0, used, got = 0;
	int			rc;

	assert_int_equal(net_wire_encode_hello(stream, sizeof stream, &n,
	    ID_B, 2, &h, err, sizeof err), 0);
	off += n;
	pn = raw_payload(pay, sizeof pay, 16);
	assert_int_equal(net_wire_encode_raw(stream + off, sizeof stream - off,
	    &n, NET_WIRE_MEMBER, ID_B, 2, pay, pn, err, sizeof err), 0);
	off += n;
	assert_int_equal(net_wire_encode_ping(stream + off, sizeof stream - off,
	    &n, ID_B, 2, 5, 6, err, sizeof err), 0);
	off += n;
	pn = raw_payload(pay, sizeof pay, 8);
	assert_int_equal(net_wire_encode_raw(stream + off, sizeof stream - off,
	    &n, NET_WIRE_RAFT, ID_B, 3, pay, pn, err, sizeof err), 0);
	off += n;
	assert_int_equal(net_wire_encode_bye(stream + off, sizeof stream - off,
	    &n, ID_B, 3, "bye", err, sizeof err), 0);
	off += n;

	while (fed < off) {
		n = off - fed < 7 ? off - fed : 7;
		memcpy(rx + have, stream + fed, n);
		fed += n;
		have += n;
		while ((rc = net_wire_next(rx, have, &m, &used, err,
		    sizeof err)) == NET_WIRE_MSG) {
			assert_true(got < 5);
			assert_true(m.type == want[got]);
			if (net_wire_type_raw(m.type)) {
				/* Decode before the buffer moves. */
				assert_ptr_equal(m.u.raw.payload,
				    rx + used - pn);
				assert_int_equal(m.u.raw.len, pn);
				assert_int_equal(m.u.raw.payload[2],
				    m.type == NET_WIRE_MEMBER ? 16 : 8);
			}
			got++;
			memmove(rx, rx + used, have - used);
			have -= used;
		}
		assert_int_equal(rc, NET_WIRE_NEED_MORE);
	}
	assert_int_equal(got, 5);
	assert_int_equal(have, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_ping_known_bytes),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_two_in_one_buffer),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_unknown_keys_ignored),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_not_deterministic),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_real_node_id),
		cmocka_unit_test(test_raw_round_trip),
		cmocka_unit_test(test_raw_known_bytes),
		cmocka_unit_test(test_raw_bad_payload),
		cmocka_unit_test(test_raw_decode_not_map),
		cmocka_unit_test(test_raw_in_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
