/*
 * test_cbor.c - the bounded CBOR toolkit (security/sec_cbor.c).
 *
 * The known answers are RFC 8949's own: Appendix A's examples must split,
 * read back to the listed values and (where the example is in preferred
 * form) be reproduced byte for byte by the writer; Appendix F's
 * not-well-formed examples must be refused - the "end of input" kinds as
 * "need more" (on a stream they are just incomplete), the rest as errors.
 * Then the properties a peer-facing decoder needs: every truncation of a
 * valid item asks for more, limits fail fast (a 9-byte header declaring
 * 2^32 elements is refused at once), the deterministic mode refuses
 * everything the writer would not produce, and every half-precision value
 * survives a write/read round trip bit for bit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sec_cbor.h"

static const struct sec_cbor_limits lim_default = {
	.max_item_bytes = 65536,
	.max_depth = 16,
	.max_items = 4096,
	.max_str_len = 65536,
	.max_container_len = 4096,
	.flags = 0,
};

static const struct sec_cbor_limits lim_huge = {
	.max_item_bytes = SIZE_MAX,
	.max_depth = SEC_CBOR_DEPTH_MAX,
	.max_items = SIZE_MAX,
	.max_str_len = SIZE_MAX,
	.max_container_len = SIZE_MAX,
	.flags = 0,
};

static struct sec_cbor_limits
lim_det(void)
{
	struct sec_cbor_limits l = lim_default;

	l.flags = SEC_CBOR_F_DETERMINISTIC;
	return l;
}

/* Hex (spaces allowed) to bytes; returns the length. */
static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t		n = 0;
	unsigned	v;

	while (*hex != '\0') {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(sscanf(hex, "%2x", &v) == 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static int
item_len(const uint8_t *b, size_t n, const struct sec_cbor_limits *l,
    size_t *len)
{
	char	err[160];

	return sec_cbor_item_len(b, n, l, len, err, sizeof err);
}

/* The item splits at its full length, also with bytes after it, and every
 * strict prefix needs more. */
static void
check_splits(const char *hex, const struct sec_cbor_limits *l)
{
	uint8_t	b[256], *copy;
	size_t	n, k, len;

	n = unhex(hex, b, sizeof b - 2);
	len = 0;
	assert_int_equal(item_len(b, n, l, &len), SEC_CBOR_OK);
	assert_int_equal(len, n);
	b[n] = 0x01;
	b[n + 1] = 0xff;
	len = 0;
	assert_int_equal(item_len(b, n + 2, l, &len), SEC_CBOR_OK);
	assert_int_equal(len, n);
	for (k = 0; k < n; k++) {
		/* An exact-size heap copy lets ASan/valgrind see overreads. */
		copy = malloc(k ? k : 1);
		assert_non_null(copy);
		memcpy(copy, b, k);
		assert_int_equal(item_len(copy, k, l, &len),
		    SEC_CBOR_NEED_MORE);
		free(copy);
	}
}

static void
reader_on(struct sec_cbor_reader *r, const char *hex, uint8_t *b, size_t cap,
    const struct sec_cbor_limits *l)
{
	size_t	n = unhex(hex, b, cap);

	assert_int_equal(sec_cbor_reader_init(r, b, n, l), 0);
}

/* Writer output must equal hex; the writer is fed by fn. */
static void
check_written(const struct sec_cbor_writer *w, const char *hex)
{
	uint8_t	b[256];
	size_t	n = unhex(hex, b, sizeof b);

	assert_int_equal(sec_cbor_writer_error(w), 0);
	assert_int_equal(sec_cbor_writer_len(w), n);
	assert_memory_equal(sec_cbor_writer_data(w), b, n);
}

/* ---- Appendix A ---- */

static const struct {
	const char	*hex;
	uint64_t	 v;
} a_uints[] = {
	{ "00", 0 }, { "01", 1 }, { "0a", 10 }, { "17", 23 },
	{ "1818", 24 }, { "1819", 25 }, { "1864", 100 },
	{ "1903e8", 1000 }, { "1a000f4240", 1000000 },
	{ "1b000000e8d4a51000", 1000000000000ull },
	{ "1bffffffffffffffff", UINT64_MAX },
};

static const struct {
	const char	*hex;
	uint64_t	 arg;	/* value is -1 - arg */
} a_nints[] = {
	{ "3bffffffffffffffff", UINT64_MAX },	/* -18446744073709551616 */
	{ "20", 0 }, { "29", 9 }, { "3863", 99 }, { "3903e7", 999 },
};

static void
test_a_integers(void **state)
{
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			b[64], out[16];
	uint64_t		v;
	int64_t			i64;
	size_t			i;

	for (i = 0; i < sizeof a_uints / sizeof a_uints[0]; i++) {
		check_splits(a_uints[i].hex, &lim_default);
		reader_on(&r, a_uints[i].hex, b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_UINT);
		assert_int_equal(sec_cbor_read_uint(&r, &v), 0);
		assert_true(v == a_uints[i].v);
		assert_int_equal(sec_cbor_reader_done(&r), 0);
		sec_cbor_writer_fixed(&w, out, sizeof out);
		assert_int_equal(sec_cbor_write_uint(&w, a_uints[i].v), 0);
		check_written(&w, a_uints[i].hex);
	}
	for (i = 0; i < sizeof a_nints / sizeof a_nints[0]; i++) {
		check_splits(a_nints[i].hex, &lim_default);
		reader_on(&r, a_nints[i].hex, b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_NINT);
		assert_int_equal(sec_cbor_read_nint(&r, &v), 0);
		assert_true(v == a_nints[i].arg);
		sec_cbor_writer_fixed(&w, out, sizeof out);
		assert_int_equal(sec_cbor_write_nint(&w, a_nints[i].arg), 0);
		check_written(&w, a_nints[i].hex);
		/* int64: all but -2^64 fit. */
		reader_on(&r, a_nints[i].hex, b, sizeof b, &lim_default);
		if (a_nints[i].arg > INT64_MAX) {
			assert_int_equal(sec_cbor_read_int64(&r, &i64),
			    SEC_CBOR_ERANGE);
			assert_non_null(strstr(sec_cbor_reader_msg(&r),
			    "64 signed bits"));
		} else {
			assert_int_equal(sec_cbor_read_int64(&r, &i64), 0);
			assert_true(i64 == -1 - (int64_t)a_nints[i].arg);
			sec_cbor_writer_fixed(&w, out, sizeof out);
			assert_int_equal(sec_cbor_write_int64(&w, i64), 0);
			check_written(&w, a_nints[i].hex);
		}
	}
	/* Bignums are tag 2 / 3 over a byte string. */
	check_splits("c249010000000000000000", &lim_default);
	check_splits("c349010000000000000000", &lim_default);
	reader_on(&r, "c349010000000000000000", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_tag(&r, &v), 0);
	assert_true(v == 3);
	{
		const uint8_t	*p;
		size_t		 n;

		assert_int_equal(sec_cbor_read_bytes(&r, &p, &n), 0);
		assert_int_equal(n, 9);
		assert_int_equal(p[0], 1);
	}
	assert_int_equal(sec_cbor_reader_done(&r), 0);
}

static void
test_int64_edges(void **state)
{
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			b[16], out[16];
	int64_t			v;

	sec_cbor_writer_fixed(&w, out, sizeof out);
	assert_int_equal(sec_cbor_write_int64(&w, INT64_MIN), 0);
	check_written(&w, "3b7fffffffffffffff");
	sec_cbor_writer_fixed(&w, out, sizeof out);
	assert_int_equal(sec_cbor_write_int64(&w, INT64_MAX), 0);
	check_written(&w, "1b7fffffffffffffff");
	reader_on(&r, "3b7fffffffffffffff", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_int64(&r, &v), 0);
	assert_true(v == INT64_MIN);
	reader_on(&r, "1b8000000000000000", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_int64(&r, &v), SEC_CBOR_ERANGE);
	reader_on(&r, "3b8000000000000000", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_int64(&r, &v), SEC_CBOR_ERANGE);
}

static const struct {
	const char	*hex;
	double		 v;
	bool		 preferred;	/* the writer produces exactly hex */
} a_floats[] = {
	{ "f90000", 0.0, true },
	{ "f98000", -0.0, true },
	{ "f93c00", 1.0, true },
	{ "fb3ff199999999999a", 1.1, true },
	{ "f93e00", 1.5, true },
	{ "f97bff", 65504.0, true },
	{ "fa47c35000", 100000.0, true },
	{ "fa7f7fffff", 3.4028234663852886e+38, true },
	{ "fb7e37e43c8800759c", 1.0e+300, true },
	{ "f90001", 5.960464477539063e-8, true },
	{ "f90400", 0.00006103515625, true },
	{ "f9c400", -4.0, true },
	{ "fbc010666666666666", -4.1, true },
	{ "f97c00", INFINITY, true },
	{ "f97e00", NAN, true },
	{ "f9fc00", -INFINITY, true },
	{ "fa7f800000", INFINITY, false },
	{ "fa7fc00000", NAN, false },
	{ "faff800000", -INFINITY, false },
	{ "fb7ff0000000000000", INFINITY, false },
	{ "fb7ff8000000000000", NAN, false },
	{ "fbfff0000000000000", -INFINITY, false },
};

static void
test_a_floats(void **state)
{
	struct sec_cbor_limits	det = lim_det();
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			b[16], out[16];
	double			v;
	size_t			i, n, len;

	for (i = 0; i < sizeof a_floats / sizeof a_floats[0]; i++) {
		check_splits(a_floats[i].hex, &lim_default);
		reader_on(&r, a_floats[i].hex, b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_FLOAT);
		assert_int_equal(sec_cbor_read_float(&r, &v), 0);
		if (isnan(a_floats[i].v))
			assert_true(isnan(v));
		else {
			assert_true(v == a_floats[i].v);
			assert_int_equal(!!signbit(v),
			    !!signbit(a_floats[i].v));
		}
		n = unhex(a_floats[i].hex, b, sizeof b);
		assert_int_equal(item_len(b, n, &det, &len),
		    a_floats[i].preferred ? SEC_CBOR_OK : SEC_CBOR_ENOTDET);
		if (!a_floats[i].preferred)
			continue;
		sec_cbor_writer_fixed(&w, out, sizeof out);
		assert_int_equal(sec_cbor_write_float(&w, a_floats[i].v), 0);
		check_written(&w, a_floats[i].hex);
	}
	/* 1(1363896240.5): a tagged double. */
	check_splits("c1fb41d452d9ec200000", &lim_default);
	reader_on(&r, "c1fb41d452d9ec200000", b, sizeof b, &lim_default);
	{
		uint64_t tag;

		assert_int_equal(sec_cbor_read_tag(&r, &tag), 0);
		assert_true(tag == 1);
	}
	assert_int_equal(sec_cbor_read_float(&r, &v), 0);
	assert_true(v == 1363896240.5);
}

/* Every half-precision pattern round-trips bit for bit (NaN: canonical). */
static void
test_float_half_exhaustive(void **state)
{
	struct sec_cbor_limits	det = lim_det();
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			in[3], out[16];
	uint32_t		h;
	double			v, back;
	size_t			len;

	for (h = 0; h <= 0xffff; h++) {
		in[0] = 0xf9;
		in[1] = (uint8_t)(h >> 8);
		in[2] = (uint8_t)h;
		assert_int_equal(sec_cbor_reader_init(&r, in, 3, &lim_default),
		    0);
		assert_int_equal(sec_cbor_read_float(&r, &v), 0);
		sec_cbor_writer_fixed(&w, out, sizeof out);
		assert_int_equal(sec_cbor_write_float(&w, v), 0);
		assert_int_equal(sec_cbor_writer_len(&w), 3);
		assert_int_equal(out[0], 0xf9);
		if (isnan(v)) {
			assert_int_equal(out[1], 0x7e);
			assert_int_equal(out[2], 0x00);
		} else {
			assert_int_equal(out[1], in[1]);
			assert_int_equal(out[2], in[2]);
		}
		assert_int_equal(item_len(out, 3, &det, &len), SEC_CBOR_OK);
		assert_int_equal(sec_cbor_reader_init(&r, out, 3, &det), 0);
		assert_int_equal(sec_cbor_read_float(&r, &back), 0);
		assert_true(isnan(v) ? isnan(back) :
		    memcmp(&v, &back, sizeof v) == 0);
	}
}

/* Doubles from a fixed xorshift stream: exact round trip, shortest form. */
static void
test_float_random_round_trip(void **state)
{
	struct sec_cbor_limits	det = lim_det();
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			out[16];
	uint64_t		x = 0x9e3779b97f4a7c15ull, bits;
	double			v, back;
	float			f;
	size_t			i, len;

	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bits = x;
		if (i % 3 == 1) {	/* a single-precision value */
			uint32_t s = (uint32_t)x;

			memcpy(&f, &s, sizeof f);
			v = (double)f;
		} else
			memcpy(&v, &bits, sizeof v);
		if (isnan(v))
			continue;
		sec_cbor_writer_fixed(&w, out, sizeof out);
		assert_int_equal(sec_cbor_write_float(&w, v), 0);
		len = sec_cbor_writer_len(&w);
		if (i % 3 == 1)
			assert_true(len <= 5);
		assert_int_equal(item_len(out, len, &det, &len), SEC_CBOR_OK);
		assert_int_equal(sec_cbor_reader_init(&r, out, len, &det), 0);
		assert_int_equal(sec_cbor_read_float(&r, &back), 0);
		assert_memory_equal(&v, &back, sizeof v);
	}
}

static void
test_a_simple(void **state)
{
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			b[8], out[8];
	bool			v;

	reader_on(&r, "f4", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_FALSE);
	assert_int_equal(sec_cbor_read_bool(&r, &v), 0);
	assert_false(v);
	reader_on(&r, "f5", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_TRUE);
	assert_int_equal(sec_cbor_read_bool(&r, &v), 0);
	assert_true(v);
	reader_on(&r, "f6", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_NULL);
	assert_int_equal(sec_cbor_read_null(&r), 0);
	reader_on(&r, "f7", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_UNDEFINED);
	assert_int_equal(sec_cbor_read_null(&r), SEC_CBOR_ETYPE);
	reader_on(&r, "f0", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_SIMPLE);
	assert_int_equal(sec_cbor_skip(&r), 0);
	assert_int_equal(sec_cbor_reader_done(&r), 0);
	reader_on(&r, "f8ff", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_SIMPLE);
	assert_int_equal(sec_cbor_read_bool(&r, &v), SEC_CBOR_ETYPE);
	check_splits("f8ff", &lim_default);

	sec_cbor_writer_fixed(&w, out, sizeof out);
	assert_int_equal(sec_cbor_write_bool(&w, false), 0);
	assert_int_equal(sec_cbor_write_bool(&w, true), 0);
	assert_int_equal(sec_cbor_write_null(&w), 0);
	check_written(&w, "f4f5f6");
}

static const struct {
	const char	*hex;
	const char	*text;	/* NULL: byte string */
	size_t		 n;
} a_strings[] = {
	{ "40", NULL, 0 },
	{ "4401020304", NULL, 4 },
	{ "60", "", 0 },
	{ "6161", "a", 1 },
	{ "6449455446", "IETF", 4 },
	{ "62225c", "\"\\", 2 },
	{ "62c3bc", "\xc3\xbc", 2 },
	{ "63e6b0b4", "\xe6\xb0\xb4", 3 },
	{ "64f0908591", "\xf0\x90\x85\x91", 4 },
};

static void
test_a_strings(void **state)
{
	static const uint8_t	bytes[] = { 1, 2, 3, 4 };
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			b[16], out[16];
	const uint8_t		*p;
	const char		*s;
	size_t			i, n;

	for (i = 0; i < sizeof a_strings / sizeof a_strings[0]; i++) {
		check_splits(a_strings[i].hex, &lim_default);
		reader_on(&r, a_strings[i].hex, b, sizeof b, &lim_default);
		sec_cbor_writer_fixed(&w, out, sizeof out);
		if (a_strings[i].text == NULL) {
			assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_BYTES);
			assert_int_equal(sec_cbor_read_bytes(&r, &p, &n), 0);
			assert_int_equal(n, a_strings[i].n);
			if (n > 0)
				assert_memory_equal(p, bytes, n);
			assert_int_equal(sec_cbor_write_bytes(&w, bytes, n),
			    0);
		} else {
			assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_TEXT);
			assert_int_equal(sec_cbor_read_text(&r, &s, &n), 0);
			assert_int_equal(n, a_strings[i].n);
			assert_memory_equal(s, a_strings[i].text, n);
			/* Points into the buffer: no copy. */
			assert_ptr_equal(s, (const char *)b + 1);
			assert_int_equal(sec_cbor_write_text(&w,
			    a_strings[i].text, n), 0);
		}
		assert_int_equal(sec_cbor_reader_done(&r), 0);
		check_written(&w, a_strings[i].hex);
	}
}

static void
test_utf8(void **state)
{
	static const char *bad[] = {
		"62c328",	/* bad continuation */
		"62c0af",	/* overlong '/' */
		"63e08080",	/* overlong NUL */
		"63eda080",	/* surrogate D800 */
		"64f4908080",	/* above U+10FFFF */
		"61ff",
		"61c3",		/* truncated sequence */
		"6180",		/* lone continuation */
	};
	static const char *good[] = {
		"63efbfbf",	/* U+FFFF */
		"64f48fbfbf",	/* U+10FFFF */
		"63ed9fbf",	/* U+D7FF */
		"6100",		/* NUL is valid UTF-8 */
	};
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			b[16], out[16];
	const char		*s;
	size_t			i, n;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		reader_on(&r, bad[i], b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_read_text(&r, &s, &n),
		    SEC_CBOR_EINVAL);
		assert_non_null(strstr(sec_cbor_reader_msg(&r), "UTF-8"));
		/* Still well-formed: skipping it is fine. */
		reader_on(&r, bad[i], b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_skip(&r), 0);
		n = unhex(bad[i], b, sizeof b);
		sec_cbor_writer_fixed(&w, out, sizeof out);
		assert_int_equal(sec_cbor_write_text(&w, (const char *)b + 1,
		    n - 1), SEC_CBOR_EINVAL);
		assert_int_equal(sec_cbor_writer_len(&w), 0);
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		reader_on(&r, good[i], b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_read_text(&r, &s, &n), 0);
	}
}

static void
test_a_tags(void **state)
{
	static const struct {
		const char	*hex;
		uint64_t	 tag;
	} t[] = {
		{ "c074323031332d30332d32315432303a30343a30305a", 0 },
		{ "c11a514b67b0", 1 },
		{ "d74401020304", 23 },
		{ "d818456449455446", 24 },
		{ "d82076687474703a2f2f7777772e6578616d706c652e636f6d", 32 },
	};
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			b[64], out[64];
	uint64_t		tag;
	size_t			i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		check_splits(t[i].hex, &lim_default);
		reader_on(&r, t[i].hex, b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_TAG);
		assert_int_equal(sec_cbor_read_tag(&r, &tag), 0);
		assert_true(tag == t[i].tag);
		assert_int_equal(sec_cbor_skip(&r), 0);
		assert_int_equal(sec_cbor_reader_done(&r), 0);
		/* A tag and its content skip as one item. */
		reader_on(&r, t[i].hex, b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_skip(&r), 0);
		assert_int_equal(sec_cbor_reader_done(&r), 0);
	}
	sec_cbor_writer_fixed(&w, out, sizeof out);
	assert_int_equal(sec_cbor_write_tag(&w, 1), 0);
	assert_int_equal(sec_cbor_write_uint(&w, 1363896240), 0);
	check_written(&w, "c11a514b67b0");
	sec_cbor_writer_fixed(&w, out, sizeof out);
	assert_int_equal(sec_cbor_write_tag(&w, 32), 0);
	assert_int_equal(sec_cbor_write_text(&w, "http://www.example.com",
	    22), 0);
	check_written(&w,
	    "d82076687474703a2f2f7777772e6578616d706c652e636f6d");
}

static void
test_a_containers(void **state)
{
	static const char *def[] = {
		"80", "83010203", "8301820203820405",
		"98190102030405060708090a0b0c0d0e0f101112131415161718181819",
		"a0", "a201020304", "a26161016162820203", "826161a161626163",
		"a56161614161626142616361436164614461656145",
	};
	struct sec_cbor_limits	det = lim_det();
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint8_t			b[64], out[64];
	uint64_t		n, v, i;
	size_t			k;

	for (k = 0; k < sizeof def / sizeof def[0]; k++) {
		check_splits(def[k], &lim_default);
		check_splits(def[k], &det);
	}
	/* [1, [2, 3], [4, 5]] read element by element and written back. */
	reader_on(&r, "8301820203820405", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_array(&r, &n), 0);
	assert_true(n == 3);
	assert_int_equal(sec_cbor_read_uint(&r, &v), 0);
	assert_true(v == 1);
	assert_int_equal(sec_cbor_read_array(&r, &n), 0);
	assert_true(n == 2);
	assert_int_equal(sec_cbor_read_uint(&r, &v), 0);
	assert_int_equal(sec_cbor_read_uint(&r, &v), 0);
	assert_true(v == 3);
	assert_int_equal(sec_cbor_skip(&r), 0);
	assert_int_equal(sec_cbor_reader_done(&r), 0);

	sec_cbor_writer_fixed(&w, out, sizeof out);
	(void)sec_cbor_write_array(&w, 3);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_uint(&w, 4);
	(void)sec_cbor_write_uint(&w, 5);
	check_written(&w, "8301820203820405");

	sec_cbor_writer_fixed(&w, out, sizeof out);
	(void)sec_cbor_write_array(&w, 25);
	for (i = 1; i <= 25; i++)
		(void)sec_cbor_write_uint(&w, i);
	check_written(&w,
	    "98190102030405060708090a0b0c0d0e0f101112131415161718181819");

	/* {"a": 1, "b": [2, 3]} */
	sec_cbor_writer_fixed(&w, out, sizeof out);
	(void)sec_cbor_write_map(&w, 2);
	(void)sec_cbor_write_text(&w, "a", 1);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_text(&w, "b", 1);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, 3);
	check_written(&w, "a26161016162820203");

	reader_on(&r, "a56161614161626142616361436164614461656145", b,
	    sizeof b, &det);
	assert_int_equal(sec_cbor_read_map(&r, &n), 0);
	assert_true(n == 5);
	for (i = 0; i < 10; i++)
		assert_int_equal(sec_cbor_skip(&r), 0);
	assert_int_equal(sec_cbor_reader_done(&r), 0);
	assert_int_equal(sec_cbor_skip(&r), SEC_CBOR_EEND);
}

static void
test_a_indefinite(void **state)
{
	static const char *indef[] = {
		"5f42010243030405ff", "7f657374726561646d696e67ff", "9fff",
		"9f018202039f0405ffff", "9f01820203820405ff",
		"83018202039f0405ff", "83019f0203ff820405",
		"9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
		"bf61610161629f0203ffff", "826161bf61626163ff",
		"bf6346756ef563416d7421ff",
	};
	struct sec_cbor_limits	det = lim_det();
	struct sec_cbor_reader	r;
	uint8_t			b[64];
	const uint8_t		*p;
	const char		*s;
	uint64_t		n, v, sum = 0;
	size_t			k, len;
	int			rc;

	for (k = 0; k < sizeof indef / sizeof indef[0]; k++) {
		check_splits(indef[k], &lim_default);
		len = unhex(indef[k], b, sizeof b);
		assert_int_equal(item_len(b, len, &det, &len),
		    SEC_CBOR_ENOTDET);
		reader_on(&r, indef[k], b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_skip(&r), 0);
		assert_int_equal(sec_cbor_reader_done(&r), 0);
	}
	/* The reader refuses indefinite strings (documented). */
	reader_on(&r, "5f42010243030405ff", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_bytes(&r, &p, &len), SEC_CBOR_ETYPE);
	assert_non_null(strstr(sec_cbor_reader_msg(&r), "indefinite"));
	reader_on(&r, "7f657374726561646d696e67ff", b, sizeof b,
	    &lim_default);
	assert_int_equal(sec_cbor_read_text(&r, &s, &len), SEC_CBOR_ETYPE);
	/* ... but reads indefinite arrays: [_ 1, 2, ..., 25] sums to 325. */
	reader_on(&r,
	    "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", b,
	    sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_array(&r, &n), 0);
	assert_true(n == SEC_CBOR_INDEF);
	while ((rc = sec_cbor_at_break(&r)) == 0) {
		assert_int_equal(sec_cbor_read_uint(&r, &v), 0);
		sum += v;
	}
	assert_int_equal(rc, 1);
	assert_true(sum == 325);
	assert_int_equal(sec_cbor_reader_done(&r), 0);
	/* {_ "Fun": true, "Amt": -2} */
	reader_on(&r, "bf6346756ef563416d7421ff", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_map(&r, &n), 0);
	assert_true(n == SEC_CBOR_INDEF);
	assert_int_equal(sec_cbor_at_break(&r), 0);
	assert_int_equal(sec_cbor_read_text(&r, &s, &len), 0);
	assert_int_equal(len, 3);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_TRUE);
	assert_int_equal(sec_cbor_skip(&r), 0);
	assert_int_equal(sec_cbor_skip(&r), 0);
	{
		int64_t	i64;

		assert_int_equal(sec_cbor_read_int64(&r, &i64), 0);
		assert_true(i64 == -2);
	}
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_BREAK);
	assert_int_equal(sec_cbor_read_uint(&r, &v), SEC_CBOR_ETYPE);
}

/* ---- Appendix F ---- */

/* Incomplete: on a stream these are prefixes, so "need more". */
static const char *f_incomplete[] = {
	/* end of input in a head */
	"18", "19", "1a", "1b", "1901", "1a0102", "1b01020304050607", "38",
	"58", "78", "98", "9a01ff00", "b8", "d8", "f8", "f900", "fa0000",
	"fb000000",
	/* definite-length strings with short data */
	"41", "61", "5affffffff00", "7affffffff00",
	/* definite-length maps and arrays not closed with enough items */
	"81", "818181818181818181", "8200", "a1", "a20102", "a100",
	"a2000000",
	/* tag number not followed by tag content */
	"c0",
	/* indefinite-length strings not closed by a break */
	"5f4100", "7f6100",
	/* indefinite-length maps and arrays not closed by a break */
	"9f", "9f0102", "bf", "bf01020102", "819f", "9f8000",
	"9f9f9f9f9fffffffff", "9f819f819f9fffffff",
};

/* Strings of 2^63 bytes and more: over any real limit. */
static const char *f_impossible[] = {
	"5bffffffffffffffff010203", "7b7fffffffffffffff010203",
};

/* Not well-formed whatever follows. */
static const char *f_malformed[] = {
	/* reserved additional information values */
	"1c", "1d", "1e", "3c", "3d", "3e", "5c", "5d", "5e", "7c", "7d",
	"7e", "9c", "9d", "9e", "bc", "bd", "be", "dc", "dd", "de", "fc",
	"fd", "fe",
	/* reserved two-byte encodings of simple values */
	"f800", "f801", "f818", "f81f",
	/* indefinite-length string chunks not of the correct type */
	"5f00ff", "5f21ff", "5f6100ff", "5f80ff", "5fa0ff", "5fc000ff",
	"5fe0ff", "7f4100ff",
	/* indefinite-length string chunks not definite length */
	"5f5f4100ffff", "7f7f6100ffff",
	/* break on its own */
	"ff",
	/* break in a definite-length array or map or a tag */
	"81ff", "8200ff", "a1ff", "a1ff00", "a100ff", "a20000ff", "9f81ff",
	"9f829f819f9fffffffff",
	/* break in the value position of an indefinite map */
	"bf00ff", "bf000000ff",
	/* major types 0, 1, 6 with additional information 31 */
	"1f", "3f", "df",
	/* a tag whose content would be a break */
	"9fc0ff",
};

static void
test_f_not_well_formed(void **state)
{
	struct sec_cbor_reader	r;
	uint8_t			b[64], big[64 + 16];
	size_t			i, n, len;
	char			err[160];

	for (i = 0; i < sizeof f_incomplete / sizeof f_incomplete[0]; i++) {
		n = unhex(f_incomplete[i], b, sizeof b);
		assert_int_equal(item_len(b, n, &lim_huge, &len),
		    SEC_CBOR_NEED_MORE);
		assert_int_equal(sec_cbor_reader_init(&r, b, n, &lim_huge),
		    SEC_CBOR_EMALFORMED);
		assert_non_null(strstr(sec_cbor_reader_msg(&r), "truncated"));
	}
	for (i = 0; i < sizeof f_impossible / sizeof f_impossible[0]; i++) {
		n = unhex(f_impossible[i], b, sizeof b);
		assert_int_not_equal(item_len(b, n, &lim_huge, &len),
		    SEC_CBOR_OK);
		assert_int_equal(item_len(b, n, &lim_default, &len),
		    SEC_CBOR_ELIMIT);
	}
	for (i = 0; i < sizeof f_malformed / sizeof f_malformed[0]; i++) {
		n = unhex(f_malformed[i], b, sizeof b);
		err[0] = '\0';
		assert_int_equal(sec_cbor_item_len(b, n, &lim_huge, &len, err,
		    sizeof err), SEC_CBOR_EMALFORMED);
		assert_true(strncmp(err, "offset ", 7) == 0);
		/* Padding after it changes nothing. */
		memcpy(big, b, n);
		memset(big + n, 0, 16);
		assert_int_equal(item_len(big, n + 16, &lim_huge, &len),
		    SEC_CBOR_EMALFORMED);
		assert_int_equal(sec_cbor_reader_init(&r, b, n, &lim_huge),
		    SEC_CBOR_EMALFORMED);
	}
}

/* ---- limits ---- */

static void
test_limit_depth(void **state)
{
	struct sec_cbor_limits	l = lim_default;
	uint8_t			b[80];
	size_t			len, d;
	char			err[160];

	l.max_depth = 8;
	for (d = 0; d <= 9; d++) {
		memset(b, 0x81, d);		/* [[[...0...]]] */
		b[d] = 0x00;
		assert_int_equal(item_len(b, d + 1, &l, &len),
		    d <= 8 ? SEC_CBOR_OK : SEC_CBOR_ELIMIT);
		memset(b, 0x9f, d);		/* [_ [_ ... 0 ] ] */
		b[d] = 0x00;
		memset(b + d + 1, 0xff, d);
		assert_int_equal(item_len(b, 2 * d + 1, &l, &len),
		    d <= 8 ? SEC_CBOR_OK : SEC_CBOR_ELIMIT);
	}
	/* Over the limit is known from the 9th header: no need for more. */
	memset(b, 0x81, 9);
	assert_int_equal(sec_cbor_item_len(b, 9, &l, &len, err, sizeof err),
	    SEC_CBOR_ELIMIT);
	assert_non_null(strstr(err, "deeper than 8"));
	/* Maps nest the same way, in keys too; empty containers count. */
	assert_int_equal(item_len((const uint8_t *)"\xa1\x80\x00", 3, &l,
	    &len), SEC_CBOR_OK);
	l.max_depth = 0;
	assert_int_equal(item_len((const uint8_t *)"\x80", 1, &l, &len),
	    SEC_CBOR_ELIMIT);
	assert_int_equal(item_len((const uint8_t *)"\x01", 1, &l, &len),
	    SEC_CBOR_OK);
	/* The most any limits may ask for is SEC_CBOR_DEPTH_MAX. */
	l.max_depth = SEC_CBOR_DEPTH_MAX + 1;
	assert_int_equal(item_len((const uint8_t *)"\x01", 1, &l, &len),
	    SEC_CBOR_EINVAL);
	l.max_depth = SEC_CBOR_DEPTH_MAX;
	memset(b, 0x81, SEC_CBOR_DEPTH_MAX);
	b[SEC_CBOR_DEPTH_MAX] = 0x5f;	/* and a chunked string inside */
	b[SEC_CBOR_DEPTH_MAX + 1] = 0x41;
	b[SEC_CBOR_DEPTH_MAX + 2] = 0x00;
	b[SEC_CBOR_DEPTH_MAX + 3] = 0xff;
	assert_int_equal(item_len(b, SEC_CBOR_DEPTH_MAX + 4, &l, &len),
	    SEC_CBOR_OK);
	assert_int_equal(len, SEC_CBOR_DEPTH_MAX + 4);
}

static void
test_limit_items_and_lengths(void **state)
{
	struct sec_cbor_limits	l = lim_default;
	uint8_t			b[64];
	size_t			len, n;
	char			err[160];

	/* Items: [1, 2, 3] is 4 items. */
	l.max_items = 4;
	assert_int_equal(item_len((const uint8_t *)"\x83\x01\x02\x03", 4, &l,
	    &len), SEC_CBOR_OK);
	l.max_items = 3;
	assert_int_equal(item_len((const uint8_t *)"\x83\x01\x02\x03", 4, &l,
	    &len), SEC_CBOR_ELIMIT);
	/* Tags count, so a chain of tags cannot run for ever. */
	assert_int_equal(item_len((const uint8_t *)"\xc1\xc1\xc1\x00", 4, &l,
	    &len), SEC_CBOR_ELIMIT);

	/* Strings: known from the head alone. */
	l = lim_default;
	l.max_str_len = 4;
	assert_int_equal(item_len((const uint8_t *)"\x44\x01\x02\x03\x04", 5,
	    &l, &len), SEC_CBOR_OK);
	assert_int_equal(sec_cbor_item_len((const uint8_t *)"\x45", 1, &l,
	    &len, err, sizeof err), SEC_CBOR_ELIMIT);
	assert_non_null(strstr(err, "over the limit"));
	/* ... and across the chunks of an indefinite string. */
	n = unhex("5f 43010203 42 0405 ff", b, sizeof b);
	assert_int_equal(item_len(b, n, &l, &len), SEC_CBOR_ELIMIT);
	n = unhex("5f 42 0102 42 0304 ff", b, sizeof b);
	assert_int_equal(item_len(b, n, &l, &len), SEC_CBOR_OK);

	/* Containers. */
	l = lim_default;
	l.max_container_len = 2;
	assert_int_equal(item_len((const uint8_t *)"\x82\x01\x02", 3, &l,
	    &len), SEC_CBOR_OK);
	assert_int_equal(item_len((const uint8_t *)"\x83", 1, &l, &len),
	    SEC_CBOR_ELIMIT);
	assert_int_equal(item_len((const uint8_t *)"\xa3", 1, &l, &len),
	    SEC_CBOR_ELIMIT);
	assert_int_equal(item_len((const uint8_t *)"\x9f\x01\x02\x03", 4, &l,
	    &len), SEC_CBOR_ELIMIT);
	assert_int_equal(item_len((const uint8_t *)"\xbf\x01\x02\x03\x04\x05",
	    6, &l, &len), SEC_CBOR_ELIMIT);
	assert_int_equal(item_len((const uint8_t *)"\xbf\x01\x02\x03\x04\xff",
	    6, &l, &len), SEC_CBOR_OK);

	/* Item bytes: a string that cannot fit fails before its bytes. */
	l = lim_default;
	l.max_item_bytes = 8;
	assert_int_equal(item_len((const uint8_t *)"\x47", 1, &l, &len),
	    SEC_CBOR_NEED_MORE);
	assert_int_equal(item_len((const uint8_t *)"\x48", 1, &l, &len),
	    SEC_CBOR_ELIMIT);
	/* An endless stream of small items ends at the cap. */
	memset(b, 0x9f, 1);
	memset(b + 1, 0x00, 20);
	assert_int_equal(item_len(b, 7, &l, &len), SEC_CBOR_NEED_MORE);
	assert_int_equal(item_len(b, 8, &l, &len), SEC_CBOR_ELIMIT);
	assert_int_equal(item_len(b, 21, &l, &len), SEC_CBOR_ELIMIT);
}

/* A 9-byte header declaring 2^32 elements fails at once; nothing is
 * allocated (the walker has no allocator) and no more bytes are asked for. */
static void
test_limit_huge_headers(void **state)
{
	static const char *heads[] = {
		"9b0000000100000000",	/* array of 2^32 */
		"bb0000000100000000",	/* map of 2^32 pairs */
		"9bffffffffffffffff",	/* array of 2^64 - 1 */
		"bbffffffffffffffff",
		"9affffffff",
		"5b0000000100000000",	/* byte string of 2^32 */
		"7bffffffffffffffff",
	};
	struct sec_cbor_limits	l = lim_default;
	struct sec_cbor_reader	r;
	uint8_t			b[16];
	size_t			i, n, len;

	for (i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		n = unhex(heads[i], b, sizeof b);
		assert_int_equal(item_len(b, n, &lim_default, &len),
		    SEC_CBOR_ELIMIT);
		/* Even with no count limit, the size limit catches it. */
		l.max_container_len = SIZE_MAX;
		l.max_str_len = SIZE_MAX;
		assert_int_equal(item_len(b, n, &l, &len), SEC_CBOR_ELIMIT);
		assert_int_equal(sec_cbor_reader_init(&r, b, n, &l),
		    SEC_CBOR_ELIMIT);
	}
	/* With no limits at all it is only incomplete, still not allocated;
	 * 2^64 - 1 elements cannot fit even in SIZE_MAX bytes. */
	n = unhex("9b0000000100000000", b, sizeof b);
	assert_int_equal(item_len(b, n, &lim_huge, &len), SEC_CBOR_NEED_MORE);
	n = unhex("9bffffffffffffffff", b, sizeof b);
	assert_int_equal(item_len(b, n, &lim_huge, &len), SEC_CBOR_ELIMIT);
	n = unhex("7b7fffffffffffffff010203", b, sizeof b);
	assert_int_equal(item_len(b, n, &lim_huge, &len), SEC_CBOR_NEED_MORE);
}

/* ---- deterministic mode ---- */

static void
test_deterministic(void **state)
{
	static const char *accepted_only_lax[] = {
		"1800", "1817", "190017", "1900ff", "1a0000ffff",
		"1b00000000ffffffff", "3800", "5800", "7800", "9800", "b800",
		"d800 00", "fb3ff0000000000000", "fa3f800000", "f97e01",
		"a2 0200 0100",		/* keys out of order */
		"a2 0100 0100",		/* duplicate key */
		"a2 6162 00 6161 00",	/* "b" before "a" */
		"a2 6161 00 18ff 00",	/* 0x61 > 0x18: bytewise order */
		"82 a2 0200 0100 00",
		"5f ff", "9f ff", "bf ff",
	};
	static const char *det_ok[] = {
		"a2 0100 0200", "a2 18ff 00 6161 00", "a2 6161 00 616200",
		"a2 01 a2 0100 0200 02 00", "f97e00", "f93c00", "1818",
		"d818 00",
	};
	struct sec_cbor_limits	det = lim_det();
	struct sec_cbor_reader	r;
	uint8_t			b[32];
	size_t			i, n, len;
	char			err[160];

	for (i = 0; i < sizeof accepted_only_lax /
	    sizeof accepted_only_lax[0]; i++) {
		n = unhex(accepted_only_lax[i], b, sizeof b);
		assert_int_equal(item_len(b, n, &lim_default, &len),
		    SEC_CBOR_OK);
		assert_int_equal(len, n);
		assert_int_equal(sec_cbor_item_len(b, n, &det, &len, err,
		    sizeof err), SEC_CBOR_ENOTDET);
		assert_int_equal(sec_cbor_reader_init(&r, b, n, &det),
		    SEC_CBOR_ENOTDET);
	}
	for (i = 0; i < sizeof det_ok / sizeof det_ok[0]; i++) {
		n = unhex(det_ok[i], b, sizeof b);
		assert_int_equal(item_len(b, n, &det, &len), SEC_CBOR_OK);
		assert_int_equal(len, n);
	}
	/* Non-minimal heads still read the right value in lax mode. */
	{
		uint64_t v;

		reader_on(&r, "1b00000000000000ff", b, sizeof b, &lim_default);
		assert_int_equal(sec_cbor_read_uint(&r, &v), 0);
		assert_true(v == 255);
	}
}

/* ---- reader errors ---- */

static void
test_reader_errors(void **state)
{
	struct sec_cbor_reader	r;
	uint8_t			b[32];
	uint64_t		v;
	const char		*s;
	size_t			n;
	double			d;
	bool			t;

	/* Type mismatch names both types; the error sticks. */
	reader_on(&r, "826161 01", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_uint(&r, &v), SEC_CBOR_ETYPE);
	assert_non_null(strstr(sec_cbor_reader_msg(&r),
	    "expected unsigned integer, found array"));
	assert_true(strncmp(sec_cbor_reader_msg(&r), "offset 0:", 9) == 0);
	assert_int_equal(sec_cbor_read_array(&r, &v), SEC_CBOR_ETYPE);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_END);
	assert_int_equal(sec_cbor_skip(&r), SEC_CBOR_ETYPE);
	assert_int_equal(sec_cbor_reader_done(&r), SEC_CBOR_ETYPE);

	reader_on(&r, "826161 01", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_array(&r, &v), 0);
	assert_int_equal(sec_cbor_read_float(&r, &d), SEC_CBOR_ETYPE);
	assert_non_null(strstr(sec_cbor_reader_msg(&r), "offset 1:"));

	/* Reading past the end, and leaving bytes unread. */
	reader_on(&r, "01", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_uint(&r, &v), 0);
	assert_int_equal(sec_cbor_peek(&r), SEC_CBOR_T_END);
	assert_int_equal(sec_cbor_read_uint(&r, &v), SEC_CBOR_EEND);
	reader_on(&r, "8101", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_array(&r, &v), 0);
	assert_int_equal(sec_cbor_reader_done(&r), SEC_CBOR_EEND);

	/* The reader's buffer must be one whole item. */
	n = unhex("0102", b, sizeof b);
	assert_int_equal(sec_cbor_reader_init(&r, b, n, &lim_default),
	    SEC_CBOR_EMALFORMED);
	assert_non_null(strstr(sec_cbor_reader_msg(&r), "after the item"));
	assert_int_equal(sec_cbor_read_uint(&r, &v), SEC_CBOR_EMALFORMED);
	assert_int_equal(sec_cbor_reader_init(&r, b, 0, &lim_default),
	    SEC_CBOR_EMALFORMED);

	/* A break is not an item. */
	reader_on(&r, "9fff", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_array(&r, &v), 0);
	assert_int_equal(sec_cbor_read_bool(&r, &t), SEC_CBOR_ETYPE);
	reader_on(&r, "9fff", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_array(&r, &v), 0);
	assert_int_equal(sec_cbor_skip(&r), SEC_CBOR_EMALFORMED);
	reader_on(&r, "9f6161ff", b, sizeof b, &lim_default);
	assert_int_equal(sec_cbor_read_array(&r, &v), 0);
	assert_int_equal(sec_cbor_read_text(&r, &s, &n), 0);
	assert_int_equal(sec_cbor_at_break(&r), 1);
	assert_int_equal(sec_cbor_reader_done(&r), 0);
	assert_int_equal(sec_cbor_at_break(&r), 0);

	/* Status strings exist for every code. */
	for (int c = -9; c <= 1; c++)
		assert_true(strlen(sec_cbor_strerror(c)) > 0);
	assert_string_equal(sec_cbor_strerror(42), "unknown CBOR error");
}

/* ---- writer ---- */

static void
test_writer_fixed_no_partial(void **state)
{
	struct sec_cbor_writer	w;
	uint8_t			out[8];

	memset(out, 0xaa, sizeof out);
	sec_cbor_writer_fixed(&w, out, 4);
	assert_int_equal(sec_cbor_write_uint(&w, 1000), 0);	/* 3 bytes */
	assert_int_equal(sec_cbor_write_uint(&w, 1000), SEC_CBOR_ENOSPC);
	assert_int_equal(sec_cbor_writer_len(&w), 3);
	assert_int_equal(out[3], 0xaa);		/* nothing half-written */
	/* Sticky: even a write that would fit now fails. */
	assert_int_equal(sec_cbor_write_uint(&w, 1), SEC_CBOR_ENOSPC);
	assert_int_equal(sec_cbor_writer_len(&w), 3);
	assert_int_equal(sec_cbor_writer_error(&w), SEC_CBOR_ENOSPC);

	sec_cbor_writer_fixed(&w, out, 4);
	assert_int_equal(sec_cbor_write_text(&w, "abcd", 4), SEC_CBOR_ENOSPC);
	assert_int_equal(sec_cbor_writer_len(&w), 0);
	sec_cbor_writer_fixed(&w, out, 5);
	assert_int_equal(sec_cbor_write_text(&w, "abcd", 4), 0);
	check_written(&w, "6461626364");
	sec_cbor_writer_fixed(&w, out, 8);
	assert_int_equal(sec_cbor_write_float(&w, 1.1), SEC_CBOR_ENOSPC);
	sec_cbor_writer_fixed(&w, NULL, 100);
	assert_int_equal(sec_cbor_write_null(&w), SEC_CBOR_ENOSPC);
	sec_cbor_writer_fixed(&w, out, 8);
	assert_int_equal(sec_cbor_write_bytes(&w, NULL, 1), SEC_CBOR_EINVAL);
	sec_cbor_writer_fixed(&w, out, 8);
	assert_int_equal(sec_cbor_write_encoded(&w, "\x82\x01\x02", 3), 0);
	check_written(&w, "820102");
}

static void
test_writer_dynamic(void **state)
{
	struct sec_cbor_writer	w;
	struct sec_cbor_reader	r;
	static uint8_t		blob[3000];
	const uint8_t		*p;
	uint64_t		v, i, n;
	size_t			len;

	for (i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)(i * 7);
	sec_cbor_writer_dynamic(&w, 8192);
	assert_int_equal(sec_cbor_write_array(&w, 1002), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(sec_cbor_write_uint(&w, i * 1000003), 0);
	assert_int_equal(sec_cbor_write_bytes(&w, blob, sizeof blob), 0);
	assert_int_equal(sec_cbor_write_tag(&w, 55799), 0);
	assert_int_equal(sec_cbor_write_map(&w, 0), 0);
	len = sec_cbor_writer_len(&w);
	assert_true(len <= 8192);
	/* Over the cap: refused whole, buffer intact. */
	assert_int_equal(sec_cbor_write_bytes(&w, blob, 8192 - len),
	    SEC_CBOR_ENOSPC);
	assert_int_equal(sec_cbor_writer_len(&w), len);

	{
		struct sec_cbor_limits l = lim_det();

		assert_int_equal(sec_cbor_reader_init(&r,
		    sec_cbor_writer_data(&w), len, &l), 0);
	}
	assert_int_equal(sec_cbor_read_array(&r, &n), 0);
	assert_true(n == 1002);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(sec_cbor_read_uint(&r, &v), 0);
		assert_true(v == i * 1000003);
	}
	assert_int_equal(sec_cbor_read_bytes(&r, &p, &len), 0);
	assert_int_equal(len, sizeof blob);
	assert_memory_equal(p, blob, sizeof blob);
	assert_int_equal(sec_cbor_read_tag(&r, &v), 0);
	assert_true(v == 55799);
	assert_int_equal(sec_cbor_read_map(&r, &n), 0);
	assert_true(n == 0);
	assert_int_equal(sec_cbor_reader_done(&r), 0);
	sec_cbor_writer_release(&w);
	sec_cbor_writer_release(&w);	/* twice is harmless */
}

/* Integer heads at every size boundary round-trip and are shortest. */
static void
test_writer_boundaries(void **state)
{
	static const uint64_t	vals[] = {
		0, 23, 24, 255, 256, 65535, 65536, 0xffffffffu,
		0x100000000ull, UINT64_MAX,
	};
	static const size_t	sizes[] = { 1, 1, 2, 2, 3, 3, 5, 5, 9, 9 };
	struct sec_cbor_limits	det = lim_det();
	struct sec_cbor_writer	w;
	struct sec_cbor_reader	r;
	uint8_t			out[16];
	uint64_t		v;
	size_t			i;

	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		sec_cbor_writer_fixed(&w, out, sizeof out);
		assert_int_equal(sec_cbor_write_nint(&w, vals[i]), 0);
		assert_int_equal(sec_cbor_writer_len(&w), sizes[i]);
		assert_int_equal(sec_cbor_reader_init(&r, out, sizes[i], &det),
		    0);
		assert_int_equal(sec_cbor_read_nint(&r, &v), 0);
		assert_true(v == vals[i]);
		/* A buffer one byte short takes nothing. */
		sec_cbor_writer_fixed(&w, out, sizes[i] - 1);
		assert_int_equal(sec_cbor_write_uint(&w, vals[i]),
		    SEC_CBOR_ENOSPC);
		assert_int_equal(sec_cbor_writer_len(&w), 0);
	}
}

/* Measurements (number or null) and C strings, both directions. */
static void
test_measure_and_cstr(void **state)
{
	struct sec_cbor_writer	w;
	struct sec_cbor_reader	r;
	uint8_t			buf[64];
	double			v;
	/* [null, 7, 1.5, -1.0, "abc", "abcd", "a\0b"] */
	static const uint8_t	in[] = { 0x87, 0xf6, 0x07, 0xf9, 0x3e, 0x00,
				    0xf9, 0xbc, 0x00, 0x63, 'a', 'b', 'c',
				    0x64, 'a', 'b', 'c', 'd', 0x63, 'a', 0,
				    'b' };
	uint64_t		n;

	sec_cbor_writer_fixed(&w, buf, sizeof buf);
	assert_int_equal(sec_cbor_write_measure(&w, NAN), 0);
	assert_int_equal(sec_cbor_write_measure(&w, INFINITY), 0);
	assert_int_equal(sec_cbor_write_measure(&w, 1.5), 0);
	assert_int_equal(sec_cbor_write_cstr(&w, "ab"), 0);
	assert_int_equal(sec_cbor_writer_len(&w), 8);
	assert_memory_equal(buf, "\xf6\xf6\xf9\x3e\x00\x62" "ab", 8);

	assert_int_equal(sec_cbor_reader_init(&r, in, sizeof in,
	    &lim_default), 0);
	assert_int_equal(sec_cbor_read_array(&r, &n), 0);
	assert_int_equal(sec_cbor_read_measure(&r, &v), 0);
	assert_true(isnan(v));
	assert_int_equal(sec_cbor_read_measure(&r, &v), 0);
	assert_true(v == 7.0);
	assert_int_equal(sec_cbor_read_measure(&r, &v), 0);
	assert_true(v == 1.5);
	assert_int_equal(sec_cbor_read_measure(&r, &v), SEC_CBOR_ERANGE);
	assert_true(isnan(v));
}

static void
test_cstr_bounds(void **state)
{
	struct sec_cbor_reader	r;
	char			out[4];
	static const uint8_t	ok[] = { 0x63, 'a', 'b', 'c' };
	static const uint8_t	big[] = { 0x64, 'a', 'b', 'c', 'd' };
	static const uint8_t	nul[] = { 0x63, 'a', 0, 'b' };

	assert_int_equal(sec_cbor_reader_init(&r, ok, sizeof ok,
	    &lim_default), 0);
	assert_int_equal(sec_cbor_read_cstr(&r, out, sizeof out), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(sec_cbor_reader_init(&r, big, sizeof big,
	    &lim_default), 0);
	assert_int_equal(sec_cbor_read_cstr(&r, out, sizeof out),
	    SEC_CBOR_ERANGE);
	assert_int_equal(sec_cbor_reader_init(&r, nul, sizeof nul,
	    &lim_default), 0);
	assert_int_equal(sec_cbor_read_cstr(&r, out, sizeof out),
	    SEC_CBOR_ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_integers),
		cmocka_unit_test(test_int64_edges),
		cmocka_unit_test(test_a_floats),
		cmocka_unit_test(test_float_half_exhaustive),
		cmocka_unit_test(test_float_random_round_trip),
		cmocka_unit_test(test_a_simple),
		cmocka_unit_test(test_a_strings),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_a_tags),
		cmocka_unit_test(test_a_containers),
		cmocka_unit_test(test_a_indefinite),
		cmocka_unit_test(test_f_not_well_formed),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_items_and_lengths),
		cmocka_unit_test(test_limit_huge_headers),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_reader_errors),
		cmocka_unit_test(test_writer_fixed_no_partial),
		cmocka_unit_test(test_writer_dynamic),
		cmocka_unit_test(test_writer_boundaries),
		cmocka_unit_test(test_measure_and_cstr),
		cmocka_unit_test(test_cstr_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
