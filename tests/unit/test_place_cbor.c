/*
 * test_place_cbor.c - the placement list's CBOR form (agent/ag_place.c):
 * exact round trips (with and without a tenant), and the decoder takes
 * only what the encoder writes: every key it always writes must be there,
 * a tenant's keys come whole, and a bad "optimal" is refused without
 * reading an unset value (the reproducers fuzzing found, issue 17).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ag_place.h"
#include "sec_cbor.h"

static void
sample(struct ag_placement *p, int scoped)
{
	memset(p, 0, sizeof *p);
	p->id = 7;
	p->term = 3;
	p->epoch = 2;
	(void)snprintf(p->model.name, sizeof p->model.name, "llama-3-8b");
	p->model.layers = 32;
	p->model.layer_bytes = 218103808;
	p->model.kv_bytes_per_token_per_layer = 4096;
	p->model.activation_bytes = 8192;
	p->model.flops_per_token_per_layer = 4.36e8;
	p->model.embed_bytes = 525336576;
	p->model.head_bytes = 525336576;
	p->model.dtype = PL_DT_FP16;
	p->context = 4096;
	p->nstages = 2;
	(void)snprintf(p->stages[0].device, sizeof p->stages[0].device,
	    "abcdefghijklmnopqrstuvwxya/cpu");
	(void)snprintf(p->stages[0].node, sizeof p->stages[0].node,
	    "abcdefghijklmnopqrstuvwxya");
	p->stages[0].layer_end = 10;
	p->stages[0].memory_bytes = 1u << 30;
	(void)snprintf(p->stages[1].device, sizeof p->stages[1].device,
	    "bbcdefghijklmnopqrstuvwxya/pci-0000:01:00.0");
	(void)snprintf(p->stages[1].node, sizeof p->stages[1].node,
	    "bbcdefghijklmnopqrstuvwxya");
	p->stages[1].layer_start = 10;
	p->stages[1].layer_end = 32;
	p->stages[1].memory_bytes = 3u << 30;
	p->latency_s = 0.0125;
	p->lower_bound_s = 0.01;
	p->optimal = true;
	p->solve_ms = 1.5;
	p->baseline_latency_s = NAN;
	p->decided_at = 1764800000;
	if (!scoped)
		return;
	(void)snprintf(p->tenant, sizeof p->tenant, "team-a");
	(void)snprintf(p->token_id, sizeof p->token_id,
	    "00112233445566778899aabbccddeeff");
	p->nselectors = 1;
	(void)snprintf(p->selectors[0], sizeof p->selectors[0], "gpu");
	p->max_devices = 4;
	p->max_memory_bytes = 1ull << 36;
}

static void
roundtrip(int scoped)
{
	struct ag_places	a, b;
	uint8_t			buf[AG_PLACE_BYTES], buf2[AG_PLACE_BYTES];
	size_t			len, len2;
	char			err[256];

	memset(&a, 0, sizeof a);
	a.n = 2;
	sample(&a.p[0], scoped);
	sample(&a.p[1], 0);
	a.p[1].id = 8;
	/* The client (key 18), with and without a tenant's keys before it. */
	(void)snprintf(a.p[scoped].client, sizeof a.p[scoped].client,
	    "bbcdefghijklmnopqrstuvwxya");
	assert_int_equal(ag_place_encode(&a, buf, sizeof buf, &len), 0);
	if (getenv("PLACE_WRITE_SEED") != NULL) {
		FILE	*f = fopen(getenv("PLACE_WRITE_SEED"), "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(buf, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
	}
	if (ag_place_decode(buf, len, &b, err, sizeof err) != 0)
		fail_msg("decode: %s", err);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.p[0].id, 7);
	assert_int_equal(b.p[0].nstages, 2);
	assert_true(b.p[0].optimal);
	assert_true(isnan(b.p[0].baseline_latency_s));
	assert_string_equal(b.p[0].tenant, scoped ? "team-a" : "");
	assert_int_equal(b.p[0].nselectors, scoped ? 1 : 0);
	assert_int_equal(b.p[0].max_devices, scoped ? 4 : 0);
	assert_int_equal(b.p[1].stages[1].layer_end, 32);
	assert_string_equal(b.p[scoped].client, "bbcdefghijklmnopqrstuvwxya");
	assert_string_equal(b.p[!scoped].client, "");
	assert_int_equal(ag_place_encode(&b, buf2, sizeof buf2, &len2), 0);
	assert_memory_equal(buf, buf2, len);
	assert_int_equal(len, len2);
}

static void
test_roundtrip(void **state)
{
	roundtrip(0);
}

static void
test_roundtrip_scoped(void **state)
{
	roundtrip(1);
}

static int
decode_hex(const char *hex)
{
	struct ag_places	ps;
	uint8_t			buf[64];
	size_t			n = 0;
	unsigned		v;
	char			err[256];

	while (hex[0] != '\0' && sscanf(hex, "%2x", &v) == 1) {
		buf[n++] = (uint8_t)v;
		hex += 2;
	}
	return ag_place_decode(buf, n, &ps, err, sizeof err);
}

/*
 * Dirties the stack the decoder's frame will reuse (struct ag_places is
 * tens of KiB, hence the size), so that the old code's unset bool held
 * neither 0 nor 1: under -DEXOGPU_SANITIZE=ON, UBSan ("not a valid value
 * for type '_Bool'") then stopped this test in 5 runs out of 5, where
 * without the paint it passed.
 */
static void __attribute__((noinline))
paint_stack(void)
{
	volatile unsigned char	junk[256 * 1024];
	size_t			i;

	for (i = 0; i < sizeof junk; i++)
		junk[i] = 6;
}

/* fuzz_place's reproducer: [{8: 0}], optimal as an integer. */
static void
test_optimal_not_bool(void **state)
{
	paint_stack();
	assert_int_equal(decode_hex("81a10800"), -1);
	paint_stack();
	assert_int_equal(decode_hex("81a108f6"), -1);	/* null */
}

/* [{}, {}, {}]: placements with no id, model or stages. */
static void
test_empty_entries(void **state)
{
	assert_int_equal(decode_hex("83a0a0a0"), -1);
	assert_int_equal(decode_hex("81a0"), -1);
	assert_int_equal(decode_hex("80"), 0);	/* no placement: fine */
}

/* A placement map written by hand with key `omit` left out. */
static size_t
write_without(uint8_t *buf, size_t cap, unsigned omit, unsigned nkeys,
    unsigned model_omit, uint64_t nstages)
{
	struct sec_cbor_writer	w;
	struct ag_placement	p;
	unsigned		k, pairs = nkeys - (omit != 0 ? 1 : 0);
	uint64_t		i;

	sample(&p, nkeys > 12);
	sec_cbor_writer_fixed(&w, buf, cap);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_map(&w, pairs);
	for (k = 1; k <= nkeys; k++) {
		if (k == omit)
			continue;
		(void)sec_cbor_write_uint(&w, k);
		switch (k) {
		case 4:
			(void)sec_cbor_write_map(&w, model_omit ? 8 : 9);
			for (i = 1; i <= 9; i++) {
				if (i == model_omit)
					continue;
				(void)sec_cbor_write_uint(&w, i);
				if (i == 1 || i == 9)
					(void)sec_cbor_write_cstr(&w,
					    i == 1 ? "m" : "fp16");
				else
					(void)sec_cbor_write_uint(&w, 4);
			}
			break;
		case 6:
			(void)sec_cbor_write_array(&w, nstages);
			for (i = 0; i < nstages; i++) {
				(void)sec_cbor_write_array(&w, 5);
				(void)sec_cbor_write_cstr(&w, "n/cpu");
				(void)sec_cbor_write_cstr(&w, "n");
				(void)sec_cbor_write_uint(&w, 0);
				(void)sec_cbor_write_uint(&w, 4);
				(void)sec_cbor_write_uint(&w, 100);
			}
			break;
		case 8: (void)sec_cbor_write_bool(&w, false); break;
		case 13: (void)sec_cbor_write_cstr(&w, p.tenant); break;
		case 14: (void)sec_cbor_write_cstr(&w, p.token_id); break;
		case 15: (void)sec_cbor_write_array(&w, 0); break;
		default: (void)sec_cbor_write_uint(&w, k); break;
		}
	}
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	return sec_cbor_writer_len(&w);
}

static int
decode_without(unsigned omit, unsigned nkeys, unsigned model_omit,
    uint64_t nstages)
{
	struct ag_places	ps;
	uint8_t			buf[1024];
	size_t			len;
	char			err[256];

	len = write_without(buf, sizeof buf, omit, nkeys, model_omit, nstages);
	return ag_place_decode(buf, len, &ps, err, sizeof err);
}

static void
test_every_key_required(void **state)
{
	unsigned	k;

	assert_int_equal(decode_without(0, 12, 0, 1), 0);
	assert_int_equal(decode_without(0, 17, 0, 1), 0);
	for (k = 1; k <= 12; k++)
		if (decode_without(k, 12, 0, 1) != -1)
			fail_msg("placement without key %u accepted", k);
	for (k = 1; k <= 9; k++)
		if (decode_without(0, 12, k, 1) != -1)
			fail_msg("model without key %u accepted", k);
	/* A tenant's keys come all five or none. */
	for (k = 13; k <= 17; k++)
		if (decode_without(k, 17, 0, 1) != -1)
			fail_msg("tenant fields without key %u accepted", k);
	assert_int_equal(decode_without(0, 12, 0, 0), -1);	/* no stage */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_scoped),
		cmocka_unit_test(test_optimal_not_bool),
		cmocka_unit_test(test_empty_entries),
		cmocka_unit_test(test_every_key_required),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
