/*
 * test_elect_wire.c - CBOR codec of the election messages
 * (net/net_elect_wire.c).
 *
 * Round trips of every message type with and without a config (one
 * pinned byte for byte, as docs/protocol.md describes it), then the
 * decoder against payloads built by hand with the CBOR writer - every
 * missing key, wrong value types, bad enum values, oversize, unsorted and
 * duplicate voter lists, bad voter ids, unknown keys, non-deterministic
 * encodings and every truncation - so it is tested against the format
 * and not only against its own encoder.  Last, one message through the
 * whole path: payload, envelope (net_wire), stream split, payload decode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_elect.h"
#include "net_elect_wire.h"
#include "net_wire.h"
#include "sec_cbor.h"
#include "sec_identity.h"

#define ID_A	"aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B	"abcdefghijklmnopqrstuvwxyq"
#define ID_C	"bbbbbbbbbbbbbbbbbbbbbbbbba"

static uint8_t			buf[64 * 1024];
static struct net_elect_config	cfg_in, cfg_out;

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct net_elect_id *)a)->s,
	    ((const struct net_elect_id *)b)->s);
}

/* A valid config of n real node ids (sorted). */
static void
make_config(struct net_elect_config *c, uint32_t n, uint64_t term,
    uint64_t index)
{
	unsigned char	pub[32];
	uint32_t	i;

	memset(c, 0, sizeof *c);
	c->term = term;
	c->index = index;
	for (i = 0; i < n; i++) {
		memset(pub, 0, sizeof pub);
		pub[0] = (unsigned char)i;
		pub[1] = (unsigned char)(i >> 8);
		pub[2] = 0x5a;
		sec_node_id_from_pub(pub, c->voters[i].s);
	}
	qsort(c->voters, n, sizeof c->voters[0], id_cmp);
	c->n = n;
	assert_true(net_elect_config_valid(c));
}

static size_t
encode(const struct net_elect_msg *m)
{
	struct sec_cbor_writer	w;

	sec_cbor_writer_fixed(&w, buf, sizeof buf);
	assert_int_equal(net_elect_wire_encode(m, &w), 0);
	return sec_cbor_writer_len(&w);
}

static void
decode_ok(const uint8_t *b, size_t n, struct net_elect_msg *m)
{
	char	err[256] = "";

	if (net_elect_wire_decode(b, n, m, &cfg_out, err, sizeof err) != 0)
		fail_msg("decode: %s", err);
}

static void
decode_fails(const uint8_t *b, size_t n, const char *want)
{
	struct net_elect_msg	m;
	char			err[256] = "";

	assert_int_equal(net_elect_wire_decode(b, n, &m, &cfg_out, err,
	    sizeof err), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void
test_round_trip(void **state)
{
	struct net_elect_msg	m, d;
	const uint32_t		sizes[] = { 0, 1, 3, NET_ELECT_MAX_VOTERS };
	size_t			n, s;
	int			t, with;

	(void)state;
	for (t = NET_ELECT_PREVOTE; t <= NET_ELECT_HEARTBEAT_RESP; t++)
		for (with = 0; with < 2; with++)
			for (s = 0; s < (with ? 4u : 1u); s++) {
				make_config(&cfg_in, sizes[s], 9 + s,
				    sizes[s] == 0 ? 0 : 4 + s);
				memset(&m, 0, sizeof m);
				m.type = (enum net_elect_msg_type)t;
				m.term = UINT64_MAX - (uint64_t)t;
				m.cfg_term = 9;
				m.cfg_index = (uint64_t)t * 1000;
				m.stamp = 1712345678901ull + (uint64_t)t;
				m.ok = (t + with) % 2 == 0;
				m.cfg = with ? &cfg_in : NULL;
				n = encode(&m);
				memset(&cfg_out, 0xee, sizeof cfg_out);
				decode_ok(buf, n, &d);
				assert_int_equal(d.type, m.type);
				assert_true(d.term == m.term);
				assert_true(d.cfg_term == m.cfg_term);
				assert_true(d.cfg_index == m.cfg_index);
				assert_true(d.stamp == m.stamp);
				assert_int_equal(d.ok, m.ok);
				if (!with) {
					assert_null(d.cfg);
					continue;
				}
				assert_ptr_equal(d.cfg, &cfg_out);
				assert_memory_equal(&cfg_out, &cfg_in,
				    sizeof cfg_in);
			}
}

/* {1: 5, 2: 7, 3: 6, 4: 2, 5: 1000, 6: true, 7: {1: 6, 2: 2, 3: [A]}} */
static void
test_known_bytes(void **state)
{
	struct net_elect_msg	m;
	uint8_t			want[128];
	size_t			n, k = 0;

	(void)state;
	memset(&cfg_in, 0, sizeof cfg_in);
	cfg_in.term = 6;
	cfg_in.index = 2;
	cfg_in.n = 1;
	memcpy(cfg_in.voters[0].s, ID_A, sizeof ID_A);
	memset(&m, 0, sizeof m);
	m.type = NET_ELECT_HEARTBEAT;
	m.term = 7;
	m.cfg_term = 6;
	m.cfg_index = 2;
	m.stamp = 1000;
	m.ok = true;
	m.cfg = &cfg_in;
	want[k++] = 0xa7;			/* map of 7 */
	want[k++] = 0x01;			/* 1: type */
	want[k++] = 0x05;			/* HEARTBEAT */
	want[k++] = 0x02;			/* 2: term */
	want[k++] = 0x07;
	want[k++] = 0x03;			/* 3: cfg term */
	want[k++] = 0x06;
	want[k++] = 0x04;			/* 4: cfg index */
	want[k++] = 0x02;
	want[k++] = 0x05;			/* 5: stamp */
	want[k++] = 0x19;
	want[k++] = 0x03;
	want[k++] = 0xe8;
	want[k++] = 0x06;			/* 6: ok */
	want[k++] = 0xf5;			/* true */
	want[k++] = 0x07;			/* 7: config */
	want[k++] = 0xa3;
	want[k++] = 0x01;
	want[k++] = 0x06;
	want[k++] = 0x02;
	want[k++] = 0x02;
	want[k++] = 0x03;
	want[k++] = 0x81;			/* array of 1 */
	want[k++] = 0x78;
	want[k++] = 0x1a;
	memcpy(want + k, ID_A, 26);
	k += 26;
	n = encode(&m);
	assert_int_equal(n, k);
	assert_memory_equal(buf, want, k);
}

/*
 * Hand-built payloads.  Fields are written in key order; skip leaves a
 * payload key out, cfg_skip a config key (when with_cfg).  Value kinds
 * can be swapped to make type errors.
 */
struct hb {
	unsigned	 skip;
	unsigned	 cfg_skip;
	bool		 with_cfg;
	uint64_t	 type;
	bool		 type_text;	/* type as text */
	bool		 ok_uint;	/* ok as 1 instead of true */
	bool		 term_neg;	/* term as -1 */
	bool		 cfg_not_map;
	bool		 voters_not_array;
	bool		 extra;		/* unknown keys here and there */
	uint64_t	 cfg_index;
	size_t		 nvoters;
	const char	*voters[300];
};

static void
hb_init(struct hb *h)
{
	memset(h, 0, sizeof *h);
	h->type = NET_ELECT_HEARTBEAT;
	h->with_cfg = true;
	h->cfg_index = 3;
	h->nvoters = 3;
	h->voters[0] = ID_A;
	h->voters[1] = ID_B;
	h->voters[2] = ID_C;
}

static size_t
hb_build(const struct hb *h, uint8_t *out, size_t cap)
{
	struct sec_cbor_writer	w;
	unsigned		pairs, k;
	size_t			i;

	sec_cbor_writer_fixed(&w, out, cap);
	pairs = 6 + (h->with_cfg ? 1 : 0) - (h->skip ? 1 : 0) +
	    (h->extra ? 2 : 0);
	(void)sec_cbor_write_map(&w, pairs);
	for (k = 1; k <= 7; k++) {
		if (k == h->skip || (k == 7 && !h->with_cfg))
			continue;
		(void)sec_cbor_write_uint(&w, k);
		switch (k) {
		case 1:
			if (h->type_text)
				(void)sec_cbor_write_text(&w, "hb", 2);
			else
				(void)sec_cbor_write_uint(&w, h->type);
			break;
		case 2:
			if (h->term_neg)
				(void)sec_cbor_write_nint(&w, 0);
			else
				(void)sec_cbor_write_uint(&w, 5);
			break;
		case 3:
		case 4:
			(void)sec_cbor_write_uint(&w, 2);
			break;
		case 5:
			(void)sec_cbor_write_uint(&w, 77);
			break;
		case 6:
			if (h->ok_uint)
				(void)sec_cbor_write_uint(&w, 1);
			else
				(void)sec_cbor_write_bool(&w, false);
			break;
		case 7:
			if (h->cfg_not_map) {
				(void)sec_cbor_write_array(&w, 0);
				break;
			}
			(void)sec_cbor_write_map(&w, 3 - (h->cfg_skip ? 1 : 0) +
			    (h->extra ? 1 : 0));
			if (h->cfg_skip != 1) {
				(void)sec_cbor_write_uint(&w, 1);
				(void)sec_cbor_write_uint(&w, 2);
			}
			if (h->cfg_skip != 2) {
				(void)sec_cbor_write_uint(&w, 2);
				(void)sec_cbor_write_uint(&w, h->cfg_index);
			}
			if (h->cfg_skip != 3) {
				(void)sec_cbor_write_uint(&w, 3);
				if (h->voters_not_array)
					(void)sec_cbor_write_text(&w, ID_A,
					    26);
				else {
					(void)sec_cbor_write_array(&w,
					    h->nvoters);
					for (i = 0; i < h->nvoters; i++)
						(void)sec_cbor_write_text(&w,
						    h->voters[i],
						    strlen(h->voters[i]));
				}
			}
			if (h->extra) {
				(void)sec_cbor_write_uint(&w, 4);
				(void)sec_cbor_write_array(&w, 1);
				(void)sec_cbor_write_map(&w, 0);
			}
			break;
		}
	}
	if (h->extra) {
		/* Unknown uint key 9 and text key "z" (sorted: 09 < 61 7a). */
		(void)sec_cbor_write_uint(&w, 9);
		(void)sec_cbor_write_map(&w, 1);
		(void)sec_cbor_write_uint(&w, 1);
		(void)sec_cbor_write_float(&w, 1.5);
		(void)sec_cbor_write_text(&w, "z", 1);
		(void)sec_cbor_write_null(&w);
	}
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	return sec_cbor_writer_len(&w);
}

static void
test_hand_built_ok(void **state)
{
	struct net_elect_msg	m;
	struct hb		h;
	size_t			n;

	(void)state;
	hb_init(&h);
	n = hb_build(&h, buf, sizeof buf);
	decode_ok(buf, n, &m);
	assert_int_equal(m.type, NET_ELECT_HEARTBEAT);
	assert_true(m.term == 5 && m.cfg_term == 2 && m.cfg_index == 2);
	assert_true(m.stamp == 77 && !m.ok);
	assert_ptr_equal(m.cfg, &cfg_out);
	assert_int_equal(cfg_out.n, 3);
	assert_string_equal(cfg_out.voters[0].s, ID_A);
	assert_string_equal(cfg_out.voters[2].s, ID_C);
	assert_true(cfg_out.term == 2 && cfg_out.index == 3);

	/* Unknown keys are skipped, in the payload and in the config. */
	h.extra = true;
	n = hb_build(&h, buf, sizeof buf);
	decode_ok(buf, n, &m);
	assert_true(m.stamp == 77 && m.cfg != NULL && cfg_out.n == 3);

	/* An empty voter list and index 0: "no config", still valid. */
	hb_init(&h);
	h.nvoters = 0;
	h.cfg_index = 0;
	n = hb_build(&h, buf, sizeof buf);
	decode_ok(buf, n, &m);
	assert_true(m.cfg != NULL && cfg_out.n == 0 && cfg_out.index == 0);

	/* Without a config, cfg_out is not touched. */
	hb_init(&h);
	h.with_cfg = false;
	n = hb_build(&h, buf, sizeof buf);
	memset(&cfg_out, 0x5a, sizeof cfg_out);
	decode_ok(buf, n, &m);
	assert_null(m.cfg);
	assert_int_equal(((uint8_t *)&cfg_out)[100], 0x5a);
}

static void
test_missing_keys(void **state)
{
	static const char *const names[] = { NULL, "missing key 1 (type)",
	    "missing key 2 (term)", "missing key 3 (cfg term)",
	    "missing key 4 (cfg index)", "missing key 5 (stamp)",
	    "missing key 6 (ok)" };
	static const char *const cfg_names[] = { NULL,
	    "config: missing key 1 (term)", "config: missing key 2 (index)",
	    "config: missing key 3 (voters)" };
	struct hb	h;
	size_t		n;
	unsigned	k;

	(void)state;
	for (k = 1; k <= 6; k++) {
		hb_init(&h);
		h.skip = k;
		n = hb_build(&h, buf, sizeof buf);
		decode_fails(buf, n, names[k]);
	}
	for (k = 1; k <= 3; k++) {
		hb_init(&h);
		h.cfg_skip = k;
		n = hb_build(&h, buf, sizeof buf);
		decode_fails(buf, n, cfg_names[k]);
	}
	/* Key 7 is optional; an empty map lacks key 1 first. */
	decode_fails((const uint8_t *)"\xa0", 1, "missing key 1 (type)");
}

static void
test_bad_values(void **state)
{
	const uint64_t	types[] = { 0, 7, 255, UINT64_MAX };
	struct hb	h;
	size_t		n, i;

	(void)state;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		hb_init(&h);
		h.type = types[i];
		n = hb_build(&h, buf, sizeof buf);
		decode_fails(buf, n, "not an election message type");
	}
	hb_init(&h);
	h.type_text = true;
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "key 1 (type)");
	hb_init(&h);
	h.ok_uint = true;
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "key 6 (ok)");
	hb_init(&h);
	h.term_neg = true;
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "key 2 (term)");
	hb_init(&h);
	h.cfg_not_map = true;
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "key 7 (config)");
	hb_init(&h);
	h.voters_not_array = true;
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "key 3 (voters)");
	/* Index 0 ("no config") with voters. */
	hb_init(&h);
	h.cfg_index = 0;
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "invalid voter set");
	/* Not a map at all; not CBOR. */
	decode_fails((const uint8_t *)"\x80", 1, "election payload");
	decode_fails((const uint8_t *)"\xff", 1, "election payload");
	decode_fails(buf, 0, "election payload");
}

static void
test_voters(void **state)
{
	static char		ids[300][SEC_NODE_ID_SIZE];
	struct net_elect_msg	m;
	struct hb		h;
	size_t			n, i;

	(void)state;
	make_config(&cfg_in, NET_ELECT_MAX_VOTERS, 1, 1);
	for (i = 0; i < NET_ELECT_MAX_VOTERS; i++)
		memcpy(ids[i], cfg_in.voters[i].s, SEC_NODE_ID_SIZE);
	/* 255 is fine, 256 is not (checked before any id is read). */
	hb_init(&h);
	h.nvoters = NET_ELECT_MAX_VOTERS;
	for (i = 0; i < h.nvoters; i++)
		h.voters[i] = ids[i];
	n = hb_build(&h, buf, sizeof buf);
	decode_ok(buf, n, &m);
	assert_int_equal(cfg_out.n, NET_ELECT_MAX_VOTERS);
	h.nvoters = NET_ELECT_MAX_VOTERS + 1;
	h.voters[NET_ELECT_MAX_VOTERS] = "zzzzzzzzzzzzzzzzzzzzzzzzzq";
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "256 voters, at most 255");
	h.nvoters = 300;
	for (i = NET_ELECT_MAX_VOTERS; i < 300; i++)
		h.voters[i] = "not read";
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "300 voters");

	/* Unsorted and duplicate. */
	hb_init(&h);
	h.voters[0] = ID_B;
	h.voters[1] = ID_A;
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "voter 1: not in sorted order");
	hb_init(&h);
	h.voters[2] = ID_B;
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "voter 2: duplicate");

	/* Not node ids: short, long, uppercase, bad letter, non-canonical. */
	hb_init(&h);
	h.voters[1] = "abc";
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "voter 1: not a node id");
	h.voters[1] = ID_B "q";
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "voter 1: not a node id");
	h.voters[1] = "ABCDEFGHIJKLMNOPQRSTUVWXYQ";
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "voter 1: not a node id");
	hb_init(&h);
	h.voters[1] = "abcdefghijklmnopqrstuvwx1q";
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "voter 1: not a node id");
	h.voters[1] = "abcdefghijklmnopqrstuvwxyz";	/* low bits set */
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "voter 1: not a node id");
	h.voters[1] = "abcdefghijklmnopqrstu\x01wxyq";
	n = hb_build(&h, buf, sizeof buf);
	decode_fails(buf, n, "voter 1: not a node id");
}

/* Every prefix fails; so do trailing bytes and non-minimal encodings. */
static void
test_truncations(void **state)
{
	struct net_elect_msg	m;
	struct hb		h;
	uint8_t			copy[512];
	char			err[256];
	size_t			n, i;

	(void)state;
	hb_init(&h);
	h.extra = true;
	n = hb_build(&h, buf, sizeof buf);
	assert_true(n < sizeof copy);
	for (i = 0; i < n; i++) {
		memcpy(copy, buf, i);	/* exactly i bytes: ASan sees over-reads */
		assert_int_equal(net_elect_wire_decode(i ? copy : NULL, i, &m,
		    &cfg_out, err, sizeof err), -1);
		assert_true(err[0] != '\0');
	}
	memcpy(copy, buf, n);
	copy[n] = 0x00;
	decode_fails(copy, n + 1, "election payload");
	/* Stamp 1 written with a two-byte head: not deterministic. */
	decode_fails((const uint8_t *)"\xa6\x01\x05\x02\x05\x03\x02\x04\x02"
	    "\x05\x18\x01\x06\xf4", 14, "shortest");
	decode_ok((const uint8_t *)"\xa6\x01\x05\x02\x05\x03\x02\x04\x02"
	    "\x05\x18\x4d\x06\xf4", 14, &m);
	assert_true(m.stamp == 77);
	/* Keys out of order. */
	decode_fails((const uint8_t *)"\xa6\x02\x05\x01\x05\x03\x02\x04\x02"
	    "\x05\x01\x06\xf4", 13, "order");
}

static void
test_encode_errors(void **state)
{
	struct sec_cbor_writer	w;
	struct net_elect_msg	m;
	uint8_t			small[64];
	size_t			cap, need;

	(void)state;
	memset(&m, 0, sizeof m);
	m.type = NET_ELECT_VOTE;
	m.term = 3;
	sec_cbor_writer_fixed(&w, small, sizeof small);
	assert_int_equal(net_elect_wire_encode(&m, &w), 0);
	need = sec_cbor_writer_len(&w);
	for (cap = 0; cap < need; cap++) {
		sec_cbor_writer_fixed(&w, small, cap);
		assert_int_equal(net_elect_wire_encode(&m, &w), -1);
		assert_int_equal(sec_cbor_writer_error(&w), SEC_CBOR_ENOSPC);
	}
	m.type = (enum net_elect_msg_type)0;
	sec_cbor_writer_fixed(&w, small, sizeof small);
	assert_int_equal(net_elect_wire_encode(&m, &w), -1);
	m.type = (enum net_elect_msg_type)7;
	assert_int_equal(net_elect_wire_encode(&m, &w), -1);

	/* Configs the decoder would refuse are refused. */
	m.type = NET_ELECT_HEARTBEAT;
	m.cfg = &cfg_in;
	sec_cbor_writer_dynamic(&w, 64 * 1024);
	make_config(&cfg_in, 3, 1, 1);
	assert_int_equal(net_elect_wire_encode(&m, &w), 0);
	cfg_in.n = NET_ELECT_MAX_VOTERS + 1;
	assert_int_equal(net_elect_wire_encode(&m, &w), -1);
	make_config(&cfg_in, 3, 1, 1);
	memcpy(cfg_in.voters[1].s, cfg_in.voters[0].s, NET_ELECT_ID_SIZE);
	assert_int_equal(net_elect_wire_encode(&m, &w), -1);
	make_config(&cfg_in, 3, 1, 1);
	cfg_in.index = 0;
	assert_int_equal(net_elect_wire_encode(&m, &w), -1);
	/* Valid for the election (any short id), not a node id. */
	make_config(&cfg_in, 0, 1, 1);
	cfg_in.n = 2;
	memcpy(cfg_in.voters[0].s, "n1", 3);
	memcpy(cfg_in.voters[1].s, "n2", 3);
	assert_true(net_elect_config_valid(&cfg_in));
	assert_int_equal(net_elect_wire_encode(&m, &w), -1);
	sec_cbor_writer_release(&w);

	/* The decoder needs somewhere to put a config. */
	m.cfg = NULL;
	need = encode(&m);
	assert_int_equal(net_elect_wire_decode(buf, need, &m, NULL, NULL, 0),
	    -1);
}

/* Payload -> ELECT envelope -> stream -> envelope -> payload. */
static void
test_through_net_wire(void **state)
{
	struct sec_cbor_writer	w;
	struct net_elect_msg	m, d;
	struct net_wire_msg	wm;
	uint8_t			pay[16 * 1024];
	static uint8_t		msg[NET_WIRE_MAX_MSG];
	char			err[256];
	size_t			n, used;

	(void)state;
	make_config(&cfg_in, NET_ELECT_MAX_VOTERS, 12, 40);
	memset(&m, 0, sizeof m);
	m.type = NET_ELECT_HEARTBEAT;
	m.term = 12;
	m.cfg_term = 12;
	m.cfg_index = 40;
	m.stamp = 99;
	m.cfg = &cfg_in;
	sec_cbor_writer_fixed(&w, pay, sizeof pay);
	assert_int_equal(net_elect_wire_encode(&m, &w), 0);
	assert_int_equal(net_wire_encode_raw(msg, sizeof msg, &n,
	    NET_WIRE_ELECT, ID_A, 12, sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), err, sizeof err), 0);
	assert_int_equal(net_wire_next(msg, n, &wm, &used, err, sizeof err),
	    NET_WIRE_MSG);
	assert_int_equal(used, n);
	assert_true(wm.known && wm.type == NET_WIRE_ELECT && wm.term == 12);
	assert_int_equal(net_elect_wire_decode(wm.u.raw.payload, wm.u.raw.len,
	    &d, &cfg_out, err, sizeof err), 0);
	assert_true(d.type == NET_ELECT_HEARTBEAT && d.stamp == 99);
	assert_memory_equal(&cfg_out, &cfg_in, sizeof cfg_in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_bytes),
		cmocka_unit_test(test_hand_built_ok),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_voters),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_through_net_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
