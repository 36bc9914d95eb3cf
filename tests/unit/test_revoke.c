/*
 * test_revoke.c - the token revocation set (agent/ag_revoke.c).
 *
 * The set is gossiped and merged in any order, so the tests dwell on the
 * properties that make every node converge: adds keep the list sorted
 * and unique, a later expiry wins, merge is a union whose encoding does
 * not depend on the order it was done in.  The decoder takes bytes from
 * peers and disk: each refusal (order, duplicates, shapes, counts,
 * non-deterministic heads, trailing bytes) gets hand-made bytes here,
 * built with sec_cbor's writer or spelled out byte by byte where the
 * writer cannot produce them (it only writes deterministic CBOR).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ag_revoke.h"
#include "sec_cbor.h"

#define T0	INT64_C(1800000000)

/* A distinct id per k (k in the first and last byte, so order is k's). */
static void
make_id(uint8_t *id, unsigned k)
{
	size_t	i;

	for (i = 0; i < AG_REVOKE_ID_LEN; i++)
		id[i] = (uint8_t)(0x5a ^ i);
	id[0] = (uint8_t)(k >> 8);
	id[1] = (uint8_t)k;
	id[AG_REVOKE_ID_LEN - 1] = (uint8_t)(k * 7);
}

static int
decode(const uint8_t *buf, size_t len, struct ag_revoke *r)
{
	char	err[256];
	int	rc;

	err[0] = '\0';
	rc = ag_revoke_decode(buf, len, r, err, sizeof err);
	if (rc != 0)
		assert_non_null(strstr(err, "revocations:"));
	return rc;
}

static size_t
encode(const struct ag_revoke *r, uint8_t *buf)
{
	size_t	len = 0;

	assert_int_equal(ag_revoke_encode(r, buf, AG_REVOKE_BYTES, &len), 0);
	assert_true(len > 0 && len <= AG_REVOKE_BYTES);
	return len;
}

static void
assert_sorted(const struct ag_revoke *r)
{
	size_t	i;

	for (i = 1; i < r->n; i++)
		assert_true(memcmp(r->e[i - 1].id, r->e[i].id,
		    AG_REVOKE_ID_LEN) < 0);
}

static void
test_add_has(void **state)
{
	struct ag_revoke	r;
	uint8_t			a[AG_REVOKE_ID_LEN], b[AG_REVOKE_ID_LEN];
	uint8_t			c[AG_REVOKE_ID_LEN];

	(void)state;
	ag_revoke_init(&r);
	make_id(a, 30);
	make_id(b, 10);
	make_id(c, 20);
	assert_false(ag_revoke_has(&r, a, sizeof a));
	assert_int_equal(ag_revoke_add(&r, a, T0 + 100), 1);
	assert_int_equal(ag_revoke_add(&r, b, T0 + 200), 1);
	assert_int_equal(ag_revoke_add(&r, c, T0 + 300), 1);
	assert_int_equal(r.n, 3);
	assert_sorted(&r);
	assert_memory_equal(r.e[0].id, b, AG_REVOKE_ID_LEN);
	assert_memory_equal(r.e[1].id, c, AG_REVOKE_ID_LEN);
	assert_memory_equal(r.e[2].id, a, AG_REVOKE_ID_LEN);

	/* duplicate: same or earlier expiry changes nothing */
	assert_int_equal(ag_revoke_add(&r, a, T0 + 100), 0);
	assert_int_equal(ag_revoke_add(&r, a, T0 + 50), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.e[2].expires, T0 + 100);
	/* a later expiry extends */
	assert_int_equal(ag_revoke_add(&r, a, T0 + 500), 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.e[2].expires, T0 + 500);

	assert_true(ag_revoke_has(&r, a, AG_REVOKE_ID_LEN));
	assert_true(ag_revoke_has(&r, b, AG_REVOKE_ID_LEN));
	assert_true(ag_revoke_has(&r, c, AG_REVOKE_ID_LEN));
	/* wrong length: never a match, even with the right prefix */
	assert_false(ag_revoke_has(&r, a, AG_REVOKE_ID_LEN - 1));
	assert_false(ag_revoke_has(&r, a, AG_REVOKE_ID_LEN + 1));
	assert_false(ag_revoke_has(&r, a, 0));
	make_id(a, 31);
	assert_false(ag_revoke_has(&r, a, AG_REVOKE_ID_LEN));
}

static void
test_full(void **state)
{
	struct ag_revoke	*r = malloc(sizeof *r);
	uint8_t			 id[AG_REVOKE_ID_LEN];
	unsigned		 k;

	(void)state;
	assert_non_null(r);
	ag_revoke_init(r);
	/* descending, so every add inserts at the front */
	for (k = AG_REVOKE_MAX; k > 0; k--) {
		make_id(id, k);
		assert_int_equal(ag_revoke_add(r, id, T0 + k), 1);
	}
	assert_int_equal(r->n, AG_REVOKE_MAX);
	assert_sorted(r);
	make_id(id, AG_REVOKE_MAX + 1);
	assert_int_equal(ag_revoke_add(r, id, T0), -1);
	assert_int_equal(r->n, AG_REVOKE_MAX);
	assert_false(ag_revoke_has(r, id, AG_REVOKE_ID_LEN));
	/* a full list still takes extensions of what it holds */
	make_id(id, 1);
	assert_int_equal(ag_revoke_add(r, id, T0 + 9999), 1);
	assert_int_equal(ag_revoke_add(r, id, T0), 0);
	for (k = 1; k <= AG_REVOKE_MAX; k++) {
		make_id(id, k);
		assert_true(ag_revoke_has(r, id, AG_REVOKE_ID_LEN));
	}
	free(r);
}

static void
test_expire(void **state)
{
	struct ag_revoke	r;
	uint8_t			id[AG_REVOKE_ID_LEN];
	unsigned		k;

	(void)state;
	ag_revoke_init(&r);
	assert_int_equal(ag_revoke_expire(&r, T0), 0);
	for (k = 1; k <= 10; k++) {
		make_id(id, k);
		/* odd ids expire at T0 - 1, even ones at T0 + k */
		assert_int_equal(ag_revoke_add(&r, id, (k & 1) ? T0 - 1 :
		    T0 + k), 1);
	}
	make_id(id, 11);
	assert_int_equal(ag_revoke_add(&r, id, T0), 1);	/* exactly now */
	assert_int_equal(ag_revoke_expire(&r, T0), 5);
	assert_int_equal(r.n, 6);
	assert_sorted(&r);
	for (k = 1; k <= 10; k++) {
		make_id(id, k);
		assert_int_equal(ag_revoke_has(&r, id, AG_REVOKE_ID_LEN),
		    (k & 1) == 0);
	}
	make_id(id, 11);
	assert_true(ag_revoke_has(&r, id, AG_REVOKE_ID_LEN));
	assert_int_equal(ag_revoke_expire(&r, T0), 0);
	assert_int_equal(ag_revoke_expire(&r, T0 + 1000), 6);
	assert_int_equal(r.n, 0);
}

/* Two lists that overlap, with the later expiry on either side. */
static void
two_lists(struct ag_revoke *a, struct ag_revoke *b)
{
	uint8_t		id[AG_REVOKE_ID_LEN];
	unsigned	k;

	ag_revoke_init(a);
	ag_revoke_init(b);
	for (k = 0; k < 40; k++) {
		make_id(id, k);
		if (k % 3 != 0)
			assert_int_equal(ag_revoke_add(a, id, T0 + k), 1);
		if (k % 2 != 0)
			assert_int_equal(ag_revoke_add(b, id, T0 + 2 * k -
			    (k % 4 == 1 ? 3 * (int64_t)k : 0)), 1);
	}
}

static void
test_merge(void **state)
{
	struct ag_revoke	a, b, ab, ba;
	uint8_t			e1[AG_REVOKE_BYTES], e2[AG_REVOKE_BYTES];
	uint8_t			id[AG_REVOKE_ID_LEN];
	size_t			l1, l2, i;
	unsigned		k;
	int			changed;

	(void)state;
	two_lists(&a, &b);
	ab = a;
	ba = b;
	changed = ag_revoke_merge(&ab, &b);
	assert_true(changed > 0);
	assert_true(ag_revoke_merge(&ba, &a) > 0);
	assert_sorted(&ab);
	/* union: every id of either side, nothing else */
	for (k = 0; k < 40; k++) {
		make_id(id, k);
		assert_int_equal(ag_revoke_has(&ab, id, AG_REVOKE_ID_LEN),
		    k % 3 != 0 || k % 2 != 0);
	}
	/* later expiry wins */
	for (i = 0; i < ab.n; i++) {
		int64_t	want = INT64_MIN;
		size_t	j;

		for (j = 0; j < a.n; j++)
			if (memcmp(a.e[j].id, ab.e[i].id,
			    AG_REVOKE_ID_LEN) == 0)
				want = a.e[j].expires;
		for (j = 0; j < b.n; j++)
			if (memcmp(b.e[j].id, ab.e[i].id, AG_REVOKE_ID_LEN) ==
			    0 && b.e[j].expires > want)
				want = b.e[j].expires;
		assert_int_equal(ab.e[i].expires, want);
	}
	/* commutative, down to the bytes */
	l1 = encode(&ab, e1);
	l2 = encode(&ba, e2);
	assert_int_equal(l1, l2);
	assert_memory_equal(e1, e2, l1);
	/* idempotent */
	assert_int_equal(ag_revoke_merge(&ab, &b), 0);
	assert_int_equal(ag_revoke_merge(&ab, &ab), 0);
	/* the empty list is neutral */
	ag_revoke_init(&b);
	assert_int_equal(ag_revoke_merge(&ab, &b), 0);
	assert_int_equal(ag_revoke_merge(&b, &ab), (int)ab.n);
	assert_int_equal(encode(&b, e2), l1);
	assert_memory_equal(e1, e2, l1);
}

static void
test_merge_full(void **state)
{
	struct ag_revoke	*a = malloc(sizeof *a), *b = malloc(sizeof *b);
	uint8_t			 id[AG_REVOKE_ID_LEN];
	unsigned		 k;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	ag_revoke_init(a);
	ag_revoke_init(b);
	for (k = 0; k < AG_REVOKE_MAX; k++) {
		make_id(id, k);
		assert_int_equal(ag_revoke_add(a, id, T0), 1);
		make_id(id, 1000 + k);
		assert_int_equal(ag_revoke_add(b, id, T0), 1);
	}
	assert_int_equal(ag_revoke_merge(a, b), -1);
	assert_int_equal(a->n, AG_REVOKE_MAX);
	free(a);
	free(b);
}

static void
test_round_trip(void **state)
{
	struct ag_revoke	r, d;
	uint8_t			buf[AG_REVOKE_BYTES];
	uint8_t			buf2[AG_REVOKE_BYTES];
	uint8_t			id[AG_REVOKE_ID_LEN];
	size_t			len, len2, i;
	unsigned		k;
	static const int64_t	exps[] = { 0, 1, 23, 24, 255, 256, 65535,
				    65536, INT64_C(4294967295),
				    INT64_C(4294967296), INT64_MAX };

	(void)state;
	/* empty: the one-byte empty array */
	ag_revoke_init(&r);
	len = encode(&r, buf);
	assert_int_equal(len, 1);
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(decode(buf, len, &d), 0);
	assert_int_equal(d.n, 0);

	/* every head size of the expiry */
	for (k = 0; k < sizeof exps / sizeof exps[0]; k++) {
		make_id(id, 100 - k);
		assert_int_equal(ag_revoke_add(&r, id, exps[k]), 1);
	}
	len = encode(&r, buf);
	memset(&d, 0xa5, sizeof d);
	assert_int_equal(decode(buf, len, &d), 0);
	assert_int_equal(d.n, r.n);
	for (i = 0; i < r.n; i++) {
		assert_memory_equal(d.e[i].id, r.e[i].id, AG_REVOKE_ID_LEN);
		assert_int_equal(d.e[i].expires, r.e[i].expires);
	}
	len2 = encode(&d, buf2);
	assert_int_equal(len2, len);
	assert_memory_equal(buf, buf2, len);

	/* the largest list fits AG_REVOKE_BYTES and comes back */
	ag_revoke_init(&r);
	for (k = 0; k < AG_REVOKE_MAX; k++) {
		make_id(id, k);
		assert_int_equal(ag_revoke_add(&r, id, INT64_MAX - k), 1);
	}
	len = encode(&r, buf);
	assert_int_equal(decode(buf, len, &d), 0);
	assert_int_equal(d.n, AG_REVOKE_MAX);
	assert_int_equal(encode(&d, buf2), len);
	assert_memory_equal(buf, buf2, len);
	/* a buffer one byte short is an error, not a cut encoding */
	assert_int_equal(ag_revoke_encode(&r, buf2, len - 1, &len2), -1);
}

/* Writes [[id(k), exp] for k in ks] with the deterministic writer. */
static size_t
build(uint8_t *out, size_t cap, const unsigned *ks, size_t n)
{
	struct sec_cbor_writer	w;
	uint8_t			id[AG_REVOKE_ID_LEN];
	size_t			i;

	sec_cbor_writer_fixed(&w, out, cap);
	(void)sec_cbor_write_array(&w, n);
	for (i = 0; i < n; i++) {
		make_id(id, ks[i]);
		(void)sec_cbor_write_array(&w, 2);
		(void)sec_cbor_write_bytes(&w, id, sizeof id);
		(void)sec_cbor_write_uint(&w, (uint64_t)T0);
	}
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	return sec_cbor_writer_len(&w);
}

static void
test_decode_refusals(void **state)
{
	struct sec_cbor_writer	 w;
	struct ag_revoke	 d;
	uint8_t			*buf = malloc(8192);
	uint8_t			 id[AG_REVOKE_ID_LEN];
	static const unsigned	 sorted[] = { 1, 2, 3 };
	static const unsigned	 unsorted[] = { 1, 3, 2 };
	static const unsigned	 dup[] = { 1, 2, 2 };
	unsigned		 many[AG_REVOKE_MAX + 1];
	size_t			 len, i;
	char			 err[256];

	(void)state;
	assert_non_null(buf);
	len = build(buf, 8192, sorted, 3);
	assert_int_equal(decode(buf, len, &d), 0);
	assert_int_equal(d.n, 3);

	len = build(buf, 8192, unsorted, 3);
	assert_int_equal(decode(buf, len, &d), -1);
	assert_int_equal(ag_revoke_decode(buf, len, &d, err, sizeof err), -1);
	assert_non_null(strstr(err, "order"));
	len = build(buf, 8192, dup, 3);
	assert_int_equal(decode(buf, len, &d), -1);

	/* > AG_REVOKE_MAX entries, sorted and otherwise fine */
	for (i = 0; i <= AG_REVOKE_MAX; i++)
		many[i] = (unsigned)i;
	len = build(buf, 8192, many, AG_REVOKE_MAX);
	assert_int_equal(decode(buf, len, &d), 0);
	len = build(buf, 8192, many, AG_REVOKE_MAX + 1);
	assert_int_equal(decode(buf, len, &d), -1);

	/* trailing bytes after a good list */
	len = build(buf, 8192, sorted, 3);
	buf[len] = 0x00;
	assert_int_equal(decode(buf, len + 1, &d), -1);
	buf[len] = 0x80;
	assert_int_equal(decode(buf, len + 1, &d), -1);
	/* truncated */
	len = build(buf, 8192, sorted, 3);
	for (i = 0; i < len; i++)
		assert_int_equal(decode(buf, i, &d), -1);

	/* id of 15 and 17 bytes */
	make_id(id, 1);
	for (i = AG_REVOKE_ID_LEN - 1; i <= AG_REVOKE_ID_LEN + 1; i += 2) {
		uint8_t	longid[AG_REVOKE_ID_LEN + 1] = { 0 };

		memcpy(longid, id, sizeof id);
		sec_cbor_writer_fixed(&w, buf, 8192);
		(void)sec_cbor_write_array(&w, 1);
		(void)sec_cbor_write_array(&w, 2);
		(void)sec_cbor_write_bytes(&w, longid, i);
		(void)sec_cbor_write_uint(&w, 5);
		assert_int_equal(sec_cbor_writer_error(&w), 0);
		assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	}
	/* id as text */
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_cstr(&w, "0123456789abcdef");
	(void)sec_cbor_write_uint(&w, 5);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);

	/* pair shapes: [id], [id, exp, 0], [exp, id], {id: exp}, bare id */
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_bytes(&w, id, sizeof id);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 3);
	(void)sec_cbor_write_bytes(&w, id, sizeof id);
	(void)sec_cbor_write_uint(&w, 5);
	(void)sec_cbor_write_uint(&w, 0);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_uint(&w, 5);
	(void)sec_cbor_write_bytes(&w, id, sizeof id);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_map(&w, 1);
	(void)sec_cbor_write_bytes(&w, id, sizeof id);
	(void)sec_cbor_write_uint(&w, 5);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_bytes(&w, id, sizeof id);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	/* negative expiry */
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_bytes(&w, id, sizeof id);
	(void)sec_cbor_write_int64(&w, -1);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	/* expiry past INT64_MAX */
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_bytes(&w, id, sizeof id);
	(void)sec_cbor_write_uint(&w, (uint64_t)INT64_MAX + 1);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);

	/* not an array at all */
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_map(&w, 0);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_uint(&w, 0);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_bytes(&w, id, sizeof id);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	sec_cbor_writer_fixed(&w, buf, 8192);
	(void)sec_cbor_write_tag(&w, 1);
	(void)sec_cbor_write_array(&w, 0);
	assert_int_equal(decode(buf, sec_cbor_writer_len(&w), &d), -1);
	assert_int_equal(decode(buf, 0, &d), -1);
	free(buf);
}

/* Hand-written bytes for [[h'01 x16', 5]] and its non-deterministic twins. */
static void
test_decode_nondeterministic(void **state)
{
	struct ag_revoke	d;
	uint8_t			buf[64];
	size_t			len;

	(void)state;
#define ID16	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, \
		0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01
	{
		static const uint8_t	good[] = { 0x81, 0x82, 0x50, ID16,
					    0x05 };

		assert_int_equal(decode(good, sizeof good, &d), 0);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.e[0].expires, 5);
		len = encode(&d, buf);
		assert_int_equal(len, sizeof good);
		assert_memory_equal(buf, good, len);
	}
	{
		/* expiry 5 in a one-byte argument */
		static const uint8_t b[] = { 0x81, 0x82, 0x50, ID16,
					    0x18, 0x05 };

		assert_int_equal(decode(b, sizeof b, &d), -1);
	}
	{
		/* expiry 5 in four bytes */
		static const uint8_t b[] = { 0x81, 0x82, 0x50, ID16,
					    0x1a, 0x00, 0x00, 0x00, 0x05 };

		assert_int_equal(decode(b, sizeof b, &d), -1);
	}
	{
		/* outer array length in a one-byte argument */
		static const uint8_t b[] = { 0x98, 0x01, 0x82, 0x50, ID16,
					    0x05 };

		assert_int_equal(decode(b, sizeof b, &d), -1);
	}
	{
		/* pair length in a one-byte argument */
		static const uint8_t b[] = { 0x81, 0x98, 0x02, 0x50, ID16,
					    0x05 };

		assert_int_equal(decode(b, sizeof b, &d), -1);
	}
	{
		/* id length in a one-byte argument */
		static const uint8_t b[] = { 0x81, 0x82, 0x58, 0x10, ID16,
					    0x05 };

		assert_int_equal(decode(b, sizeof b, &d), -1);
	}
	{
		/* indefinite outer array */
		static const uint8_t b[] = { 0x9f, 0x82, 0x50, ID16, 0x05,
					    0xff };

		assert_int_equal(decode(b, sizeof b, &d), -1);
	}
	{
		/* indefinite pair */
		static const uint8_t b[] = { 0x81, 0x9f, 0x50, ID16, 0x05,
					    0xff };

		assert_int_equal(decode(b, sizeof b, &d), -1);
	}
	{
		/* indefinite byte string made of one chunk */
		static const uint8_t b[] = { 0x81, 0x82, 0x5f, 0x50, ID16,
					    0xff, 0x05 };

		assert_int_equal(decode(b, sizeof b, &d), -1);
	}
#undef ID16
}

static void
test_hex(void **state)
{
	uint8_t		id[AG_REVOKE_ID_LEN], back[AG_REVOKE_ID_LEN];
	char		hex[2 * AG_REVOKE_ID_LEN + 1];
	size_t		i;
	static const char *bad[] = {
		"",
		"0",
		"00112233445566778899aabbccddeef",	/* 31 */
		"00112233445566778899aabbccddeeff0",	/* 33 */
		"00112233445566778899aabbccddeeff00",	/* 34 */
		"00112233445566778899aabbccddeefg",
		"0011223344556677 899aabbccddeeff",
		"+0112233445566778899aabbccddeeff",
		"-0112233445566778899aabbccddeeff",
		" 0112233445566778899aabbccddeeff",
		"0x112233445566778899aabbccddeeff",
		"00112233445566778899aabbccddee\tf",
		("001122334455667788\xc3\xa9" "aabbccddeeff"),
	};

	(void)state;
	for (i = 0; i < sizeof id; i++)
		id[i] = (uint8_t)(i * 17 + 3);
	id[0] = 0x00;
	id[15] = 0xff;
	ag_revoke_id_hex(id, hex);
	assert_int_equal(strlen(hex), 32);
	assert_string_equal(hex, "001425364758697a8b9cadbecfe0f1ff");
	assert_int_equal(ag_revoke_parse_id(hex, back), 0);
	assert_memory_equal(id, back, sizeof id);
	for (i = 0; hex[i] != '\0'; i++)
		assert_non_null(strchr("0123456789abcdef", hex[i]));

	assert_int_equal(ag_revoke_parse_id(
	    "00112233445566778899AaBbCcDdEeFf", back), 0);
	for (i = 0; i < sizeof back; i++)
		assert_int_equal(back[i], (uint8_t)(i * 0x11));
	ag_revoke_id_hex(back, hex);
	assert_string_equal(hex, "00112233445566778899aabbccddeeff");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(back, 0x77, sizeof back);
		if (ag_revoke_parse_id(bad[i], back) != -1)
			fail_msg("parse_id accepted \"%s\"", bad[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_has),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_full),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_decode_nondeterministic),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
