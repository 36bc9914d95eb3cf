/*
 * test_announce.c - the CLUSTER message's payload (agent/ag_announce.c):
 * round trips, pinned bytes, every refusal, and the seed corpus of
 * tests/fuzz/fuzz_announce.c written from here (EXOGPU_WRITE_CORPUS=1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ag_announce.h"
#include "sec_cbor.h"

#define CID	"0123456789abcdef0123456789abcdef"
#define NODE	"abcdefghijklmnopqrstuvwxyz"

static size_t
enc(const struct ag_announce *a, uint8_t *out, size_t cap)
{
	struct sec_cbor_writer	w;
	size_t			n;

	sec_cbor_writer_dynamic(&w, AG_ANNOUNCE_MAX);
	assert_int_equal(ag_announce_encode(a, &w), 0);
	n = sec_cbor_writer_len(&w);
	assert_true(n <= cap);
	memcpy(out, sec_cbor_writer_data(&w), n);
	sec_cbor_writer_release(&w);
	return n;
}

static void
full(struct ag_announce *a)
{
	memset(a, 0, sizeof *a);
	(void)snprintf(a->cluster, sizeof a->cluster, "%s", CID);
	a->servers = 5;
	a->voters = 3;
	a->term = 7;
	a->commit = 1234;
	(void)snprintf(a->leader, sizeof a->leader, "%s", NODE);
	a->member = true;
}

static void
corpus(const char *name, const uint8_t *p, size_t n)
{
	char	path[512];
	FILE	*f;

	if (getenv("EXOGPU_WRITE_CORPUS") == NULL)
		return;
	(void)snprintf(path, sizeof path, "%s/tests/fuzz/corpus/fuzz_announce/"
	    "%s", EXOGPU_SOURCE_DIR, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
test_round_trip(void **state)
{
	struct ag_announce	a, b;
	uint8_t			buf[AG_ANNOUNCE_MAX];
	size_t			n;
	char			err[256];

	(void)state;
	full(&a);
	n = enc(&a, buf, sizeof buf);
	corpus("member.cbor", buf, n);
	assert_int_equal(ag_announce_decode(buf, n, &b, err, sizeof err), 0);
	assert_memory_equal(&a, &b, sizeof a);
	/* A forming node: nothing but zeros and empty strings. */
	memset(&a, 0, sizeof a);
	n = enc(&a, buf, sizeof buf);
	corpus("forming.cbor", buf, n);
	assert_int_equal(ag_announce_decode(buf, n, &b, err, sizeof err), 0);
	assert_memory_equal(&a, &b, sizeof a);
	/* A joiner: a cluster, not a member yet. */
	(void)snprintf(a.cluster, sizeof a.cluster, "%s", CID);
	n = enc(&a, buf, sizeof buf);
	corpus("joiner.cbor", buf, n);
	assert_int_equal(ag_announce_decode(buf, n, &b, err, sizeof err), 0);
	assert_false(b.member);
	/* A --bootstrap-expect start names its first voters (key 8). */
	full(&a);
	a.nboot = 3;
	(void)snprintf(a.boot[0], sizeof a.boot[0], "%s", "aaaaaaaaaaaaaaaaaaaaaaaaaa");
	(void)snprintf(a.boot[1], sizeof a.boot[1], "%s", NODE);
	(void)snprintf(a.boot[2], sizeof a.boot[2], "%s", "zzzzzzzzzzzzzzzzzzzzzzzzzz");
	n = enc(&a, buf, sizeof buf);
	corpus("boot.cbor", buf, n);
	assert_int_equal(ag_announce_decode(buf, n, &b, err, sizeof err), 0);
	assert_memory_equal(&a, &b, sizeof a);
}

/* Keys in order, deterministic: {1: "", 2: 0, ..., 7: false}. */
static void
test_pinned(void **state)
{
	static const uint8_t	want[] = { 0xa7, 0x01, 0x60, 0x02, 0x00,
	    0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x60, 0x07, 0xf4 };
	struct ag_announce	a;
	uint8_t			buf[AG_ANNOUNCE_MAX];
	size_t			n;

	(void)state;
	memset(&a, 0, sizeof a);
	n = enc(&a, buf, sizeof buf);
	assert_int_equal(n, sizeof want);
	assert_memory_equal(buf, want, n);
}

static void
refused(const uint8_t *p, size_t n, const char *why)
{
	struct ag_announce	a;
	char			err[256] = "";

	assert_int_equal(ag_announce_decode(p, n, &a, err, sizeof err), -1);
	if (strstr(err, why) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, why);
}

static void
test_refusals(void **state)
{
	struct ag_announce	a;
	uint8_t			buf[AG_ANNOUNCE_MAX];
	size_t			n;
	/* {1: ""} only: the others are missing. */
	static const uint8_t	partial[] = { 0xa1, 0x01, 0x60 };
	static const uint8_t	notmap[] = { 0x80 };
	/* Keys out of order: not deterministic. */
	static const uint8_t	order[] = { 0xa2, 0x02, 0x00, 0x01, 0x60 };

	(void)state;
	refused(partial, sizeof partial, "missing keys");
	refused(notmap, sizeof notmap, "not a map");
	refused(order, sizeof order, "CLUSTER");
	refused(NULL, 0, "CLUSTER");
	/* More voters than servers. */
	full(&a);
	a.voters = 9;		/* the encoder writes it; the decoder refuses */
	n = enc(&a, buf, sizeof buf);
	corpus("bad-voters.cbor", buf, n);
	refused(buf, n, "inconsistent");
	/* A member without a cluster. */
	memset(&a, 0, sizeof a);
	a.member = true;
	n = enc(&a, buf, sizeof buf);
	corpus("bad-member.cbor", buf, n);
	refused(buf, n, "inconsistent");
}

static void
test_encode_checks(void **state)
{
	struct ag_announce	a;
	struct sec_cbor_writer	w;

	(void)state;
	/* Boot lists: sorted, distinct, at most AG_ANNOUNCE_BOOT_MAX. */
	full(&a);
	a.nboot = 2;
	(void)snprintf(a.boot[0], sizeof a.boot[0], "%s", NODE);
	(void)snprintf(a.boot[1], sizeof a.boot[1], "%s", NODE);
	sec_cbor_writer_dynamic(&w, AG_ANNOUNCE_MAX);
	assert_int_equal(ag_announce_encode(&a, &w), -1);
	sec_cbor_writer_release(&w);
	a.nboot = AG_ANNOUNCE_BOOT_MAX + 1;
	sec_cbor_writer_dynamic(&w, AG_ANNOUNCE_MAX);
	assert_int_equal(ag_announce_encode(&a, &w), -1);
	sec_cbor_writer_release(&w);
	full(&a);
	a.cluster[3] = 'X';	/* not lower-case hex */
	sec_cbor_writer_dynamic(&w, AG_ANNOUNCE_MAX);
	assert_int_equal(ag_announce_encode(&a, &w), -1);
	sec_cbor_writer_release(&w);
	full(&a);
	a.leader[0] = '!';
	sec_cbor_writer_dynamic(&w, AG_ANNOUNCE_MAX);
	assert_int_equal(ag_announce_encode(&a, &w), -1);
	sec_cbor_writer_release(&w);
	assert_true(ag_announce_cluster_valid(""));
	assert_true(ag_announce_cluster_valid(CID));
	assert_false(ag_announce_cluster_valid("0123"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_encode_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
