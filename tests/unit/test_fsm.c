/*
 * test_fsm.c - the replicated state machine (agent/ag_fsm.c) alone: every
 * rule apply enforces (ids from the log and never reused, bookings within
 * the stated capacity with the numbers in the refusal, capacity updates,
 * stale re-plans, unknown ids, the placement limit, undecodable commands
 * as deterministic no-ops), command and snapshot round trips, and restore
 * refusing bad snapshots with the old state left as it was.
 *
 * With FSM_WRITE_SEEDS=<dir> it also writes the fuzz seed corpus
 * (tests/fuzz/corpus/fuzz_fsm/) from the commands and snapshots built here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>

#include "fsm_cmds.h"
#include "sec_cbor.h"

#define DEV_A	"n1/gpu0"
#define DEV_B	"n2/gpu0"
#define DEV_C	"n3/cpu"

static const char	*seed_dir;
static int		 seed_n;

/* Writes one fuzz seed: a kind byte ('c' command, 's' snapshot) + bytes. */
static void
seed(char kind, const void *p, size_t n)
{
	char	path[512];
	FILE	*f;

	if (seed_dir == NULL)
		return;
	(void)snprintf(path, sizeof path, "%s/%c%03d", seed_dir, kind,
	    seed_n++);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fputc(kind, f), kind);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static struct raft_buffer
enc(const struct ag_fsm_cmd *c)
{
	struct raft_buffer	b;
	char			err[192] = "";

	if (ag_fsm_cmd_encode(c, &b, err, sizeof err) != 0)
		fail_msg("encode: %s", err);
	seed('c', b.base, b.len);
	return b;
}

static struct ag_fsm_result
run(struct ag_fsm *f, const struct ag_fsm_cmd *c)
{
	struct raft_buffer		 b = enc(c);
	const struct ag_fsm_result	*r;
	struct ag_fsm_result		 out;

	assert_non_null(r = ag_fsm_apply(f, b.base, b.len));
	out = *r;
	raft_free(b.base);
	return out;
}

static struct ag_fsm_result
place1(struct ag_fsm *f, const char *dev, uint64_t mem, uint64_t cap)
{
	struct ag_fsm_cmd	c;

	fsmt_place1(&c, 1, dev, mem, cap);
	return run(f, &c);
}

static struct ag_fsm_result
release(struct ag_fsm *f, uint64_t id)
{
	struct ag_fsm_cmd	c;

	fsmt_release(&c, 1, id);
	return run(f, &c);
}

static struct raft_buffer
snap(const struct ag_fsm *f)
{
	struct raft_buffer	b;
	char			err[192] = "";

	if (ag_fsm_snapshot(f, &b, err, sizeof err) != 0)
		fail_msg("snapshot: %s", err);
	return b;
}

static int
same_snap(const struct ag_fsm *a, const struct ag_fsm *b)
{
	struct raft_buffer	x = snap(a), y = snap(b);
	int			eq;

	eq = x.len == y.len && memcmp(x.base, y.base, x.len) == 0;
	raft_free(x.base);
	raft_free(y.base);
	return eq;
}

/* --- rules ----------------------------------------------------------------- */

static void
test_ids_never_reused(void **state)
{
	struct ag_fsm		*f = ag_fsm_new(0);
	struct ag_fsm_result	 r;

	(void)state;
	assert_non_null(f);
	assert_int_equal(ag_fsm_next_id(f), 1);
	r = place1(f, DEV_A, 10, 100);
	assert_int_equal(r.status, AG_FSM_OK);
	assert_int_equal(r.op, AG_FSM_OP_PLACE);
	assert_int_equal(r.id, 1);
	assert_int_equal(r.epoch, 1);
	assert_string_equal(r.why, "");
	assert_int_equal(place1(f, DEV_A, 10, 100).id, 2);
	assert_int_equal(release(f, 1).status, AG_FSM_OK);
	assert_null(ag_fsm_find(f, 1));
	/* The next PLACE gets 3, not the freed 1. */
	r = place1(f, DEV_A, 10, 100);
	assert_int_equal(r.id, 3);
	assert_int_equal(release(f, 2).status, AG_FSM_OK);
	assert_int_equal(release(f, 3).status, AG_FSM_OK);
	assert_int_equal(ag_fsm_count(f), 0);
	assert_int_equal(ag_fsm_next_id(f), 4);
	assert_int_equal(place1(f, DEV_A, 10, 100).id, 4);
	/* A released id is gone for good. */
	r = release(f, 1);
	assert_int_equal(r.status, AG_FSM_NOTFOUND);
	assert_int_equal(r.id, 1);
	assert_string_equal(r.why, "no live placement 1");
	assert_int_equal(ag_fsm_applied(f), 8);
	ag_fsm_free(f);
}

static void
test_nospace_numbers(void **state)
{
	struct ag_fsm		*f = ag_fsm_new(0);
	struct ag_fsm_cmd	 c;
	struct ag_fsm_result	 r;
	const char		*dev[2] = { DEV_A, DEV_A };
	uint64_t		 mem[2] = { 30, 31 }, cap[2] = { 100, 100 };

	(void)state;
	assert_int_equal(place1(f, DEV_A, 60, 100).status, AG_FSM_OK);
	r = place1(f, DEV_A, 50, 100);
	assert_int_equal(r.status, AG_FSM_NOSPACE);
	assert_int_equal(r.id, 0);
	assert_string_equal(r.why, "device n1/gpu0: 60 bytes booked + 50 "
	    "asked > capacity 100");
	assert_int_equal(ag_fsm_booked(f, DEV_A, 0), 60);
	assert_int_equal(ag_fsm_next_id(f), 2);
	assert_int_equal(ag_fsm_count(f), 1);
	/* Two stages on one device add up. */
	mem[0] = 20;
	mem[1] = 21;
	fsmt_cmd(&c, 1, 0, 0, 2, dev, mem, cap);
	r = run(f, &c);
	assert_int_equal(r.status, AG_FSM_NOSPACE);
	assert_string_equal(r.why, "device n1/gpu0: 60 bytes booked + 41 "
	    "asked > capacity 100");
	/* Exactly full is fine. */
	mem[1] = 20;
	fsmt_cmd(&c, 1, 0, 0, 2, dev, mem, cap);
	assert_int_equal(run(f, &c).status, AG_FSM_OK);
	assert_int_equal(ag_fsm_booked(f, DEV_A, 0), 100);
	/* The first device over is named; the others are untouched. */
	dev[0] = DEV_B;
	mem[0] = 5;
	mem[1] = 1;
	fsmt_cmd(&c, 1, 0, 0, 2, dev, mem, cap);
	r = run(f, &c);
	assert_int_equal(r.status, AG_FSM_NOSPACE);
	assert_string_equal(r.why, "device n1/gpu0: 100 bytes booked + 1 "
	    "asked > capacity 100");
	assert_int_equal(ag_fsm_booked(f, DEV_B, 0), 0);
	/* Huge numbers do not wrap. */
	r = place1(f, DEV_C, UINT64_MAX, UINT64_MAX);
	assert_int_equal(r.status, AG_FSM_OK);
	r = place1(f, DEV_C, 1, UINT64_MAX);
	assert_int_equal(r.status, AG_FSM_NOSPACE);
	assert_string_equal(r.why, "device n3/cpu: 18446744073709551615 "
	    "bytes booked + 1 asked > capacity 18446744073709551615");
	ag_fsm_free(f);
}

static void
test_capacity_updates(void **state)
{
	struct ag_fsm		*f = ag_fsm_new(0);
	struct ag_fsm_result	 r;

	(void)state;
	assert_int_equal(place1(f, DEV_A, 60, 100).status, AG_FSM_OK);
	assert_int_equal(ag_fsm_capacity(f, DEV_A), 100);
	/* A refused command does not change the capacity. */
	r = place1(f, DEV_A, 10, 65);
	assert_int_equal(r.status, AG_FSM_NOSPACE);
	assert_string_equal(r.why, "device n1/gpu0: 60 bytes booked + 10 "
	    "asked > capacity 65");
	assert_int_equal(ag_fsm_capacity(f, DEV_A), 100);
	/* An admitted one does: the latest stated capacity holds. */
	assert_int_equal(place1(f, DEV_A, 5, 65).status, AG_FSM_OK);
	assert_int_equal(ag_fsm_capacity(f, DEV_A), 65);
	assert_int_equal(place1(f, DEV_A, 1, 200).status, AG_FSM_OK);
	assert_int_equal(ag_fsm_capacity(f, DEV_A), 200);
	/* A capacity below what is booked refuses even a 0-byte stage. */
	r = place1(f, DEV_A, 0, 50);
	assert_int_equal(r.status, AG_FSM_NOSPACE);
	assert_string_equal(r.why, "device n1/gpu0: 66 bytes booked + 0 "
	    "asked > capacity 50");
	assert_int_equal(ag_fsm_booked(f, DEV_A, 0), 66);
	assert_int_equal(ag_fsm_booked(f, DEV_A, 2), 61);
	assert_int_equal(ag_fsm_booked(f, DEV_B, 0), 0);
	/* A device with nothing booked forgets its capacity. */
	assert_int_equal(release(f, 1).status, AG_FSM_OK);
	assert_int_equal(release(f, 2).status, AG_FSM_OK);
	assert_int_equal(ag_fsm_capacity(f, DEV_A), 200);
	assert_int_equal(release(f, 3).status, AG_FSM_OK);
	assert_int_equal(ag_fsm_capacity(f, DEV_A), 0);
	assert_int_equal(ag_fsm_booked(f, DEV_A, 0), 0);
	ag_fsm_free(f);
}

static void
test_replan(void **state)
{
	struct ag_fsm			*f = ag_fsm_new(0);
	struct ag_fsm_cmd		 c;
	struct ag_fsm_result		 r;
	const struct ag_placement	*p;
	const char			*dev[2] = { DEV_B, DEV_C };
	uint64_t			 mem[2] = { 40, 50 };
	uint64_t			 cap[2] = { 100, 100 };

	(void)state;
	fsmt_place1(&c, 3, DEV_A, 60, 100);
	(void)snprintf(c.place.tenant, sizeof c.place.tenant, "acme");
	(void)snprintf(c.place.token_id, sizeof c.place.token_id, "ab12");
	assert_int_equal(run(f, &c).id, 1);
	assert_int_equal(place1(f, DEV_B, 20, 100).id, 2);
	/* Moves to B and C: epoch 2, the proposer's term, owner kept. */
	fsmt_cmd(&c, 4, 1, 1, 2, dev, mem, cap);
	(void)snprintf(c.place.tenant, sizeof c.place.tenant, "other");
	r = run(f, &c);
	assert_int_equal(r.status, AG_FSM_OK);
	assert_int_equal(r.op, AG_FSM_OP_REPLAN);
	assert_int_equal(r.id, 1);
	assert_int_equal(r.epoch, 2);
	assert_non_null(p = ag_fsm_find(f, 1));
	assert_int_equal(p->epoch, 2);
	assert_int_equal(p->term, 4);
	assert_int_equal(p->nstages, 2);
	assert_string_equal(p->tenant, "acme");
	assert_string_equal(p->token_id, "ab12");
	assert_int_equal(ag_fsm_booked(f, DEV_A, 0), 0);
	assert_int_equal(ag_fsm_capacity(f, DEV_A), 0);
	assert_int_equal(ag_fsm_booked(f, DEV_B, 0), 60);
	assert_int_equal(ag_fsm_booked(f, DEV_B, 1), 20);
	assert_int_equal(ag_fsm_booked(f, DEV_C, 0), 50);
	/* The epoch the proposer saw is gone. */
	r = run(f, &c);
	assert_int_equal(r.status, AG_FSM_STALE);
	assert_int_equal(r.epoch, 2);
	assert_string_equal(r.why, "placement 1 is at epoch 2, not 1");
	/* Its own bookings do not count against a re-plan. */
	mem[0] = 80;
	fsmt_cmd(&c, 4, 1, 2, 2, dev, mem, cap);
	assert_int_equal(run(f, &c).status, AG_FSM_OK);
	assert_int_equal(ag_fsm_booked(f, DEV_B, 0), 100);
	mem[0] = 81;
	fsmt_cmd(&c, 4, 1, 3, 2, dev, mem, cap);
	r = run(f, &c);
	assert_int_equal(r.status, AG_FSM_NOSPACE);
	assert_string_equal(r.why, "device n2/gpu0: 20 bytes booked + 81 "
	    "asked > capacity 100");
	assert_int_equal(ag_fsm_find(f, 1)->epoch, 3);
	assert_int_equal(ag_fsm_booked(f, DEV_B, 0), 100);
	/* Unknown and released ids. */
	fsmt_cmd(&c, 4, 9, 1, 2, dev, mem, cap);
	r = run(f, &c);
	assert_int_equal(r.status, AG_FSM_NOTFOUND);
	assert_string_equal(r.why, "no live placement 9");
	assert_int_equal(release(f, 1).status, AG_FSM_OK);
	mem[0] = 1;
	fsmt_cmd(&c, 4, 1, 3, 2, dev, mem, cap);
	assert_int_equal(run(f, &c).status, AG_FSM_NOTFOUND);
	assert_int_equal(ag_fsm_count(f), 1);
	ag_fsm_free(f);
}

static void
test_full(void **state)
{
	struct ag_fsm		*f = ag_fsm_new(3);
	struct ag_fsm_result	 r;

	(void)state;
	assert_int_equal(place1(f, DEV_A, 1, 100).id, 1);
	assert_int_equal(place1(f, DEV_B, 1, 100).id, 2);
	assert_int_equal(place1(f, DEV_C, 1, 100).id, 3);
	r = place1(f, DEV_A, 1, 100);
	assert_int_equal(r.status, AG_FSM_FULL);
	assert_string_equal(r.why, "3 placements live already (the most)");
	assert_int_equal(ag_fsm_next_id(f), 4);
	assert_int_equal(release(f, 2).status, AG_FSM_OK);
	assert_int_equal(place1(f, DEV_A, 1, 100).id, 4);
	assert_int_equal(ag_fsm_count(f), 3);
	/* Queries in id order. */
	assert_int_equal(ag_fsm_at(f, 0)->id, 1);
	assert_int_equal(ag_fsm_at(f, 1)->id, 3);
	assert_int_equal(ag_fsm_at(f, 2)->id, 4);
	assert_null(ag_fsm_at(f, 3));
	ag_fsm_free(f);
}

static void
test_bad_is_noop(void **state)
{
	struct ag_fsm			*f = ag_fsm_new(0), *g = ag_fsm_new(0);
	const struct ag_fsm_result	*r;
	struct raft_buffer		 b;
	struct ag_fsm_cmd		 c;
	static const uint8_t		 junk[] = { 0xa1, 0x01, 0x63, 'x' };
	uint8_t				 longer[512];

	(void)state;
	assert_int_equal(place1(f, DEV_A, 1, 100).status, AG_FSM_OK);
	assert_int_equal(place1(g, DEV_A, 1, 100).status, AG_FSM_OK);
	assert_non_null(r = ag_fsm_apply(f, junk, sizeof junk));
	assert_int_equal(r->status, AG_FSM_BAD);
	assert_true(strlen(r->why) > 0);
	assert_non_null(r = ag_fsm_apply(f, NULL, 0));
	assert_int_equal(r->status, AG_FSM_BAD);
	/* A valid command with a byte after it. */
	fsmt_place1(&c, 1, DEV_B, 1, 100);
	b = enc(&c);
	assert_true(b.len < sizeof longer);
	memcpy(longer, b.base, b.len);
	longer[b.len] = 0;
	assert_non_null(r = ag_fsm_apply(f, longer, b.len + 1));
	assert_int_equal(r->status, AG_FSM_BAD);
	raft_free(b.base);
	assert_int_equal(ag_fsm_count(f), 1);
	assert_int_equal(ag_fsm_next_id(f), 2);
	assert_int_equal(ag_fsm_applied(f), 4);
	/* The same bad commands on another node leave the same state. */
	assert_int_equal(ag_fsm_apply(g, junk, sizeof junk)->status,
	    AG_FSM_BAD);
	assert_int_equal(ag_fsm_apply(g, NULL, 0)->status, AG_FSM_BAD);
	assert_int_equal(ag_fsm_apply(g, longer, b.len + 1)->status,
	    AG_FSM_BAD);
	assert_true(same_snap(f, g));
	ag_fsm_free(f);
	ag_fsm_free(g);
}

/* --- encoding -------------------------------------------------------------- */

static void
expect_refused(const struct ag_fsm_cmd *c, const char *why)
{
	struct raft_buffer	b = { (void *)1, 1 };
	char			err[192] = "";

	assert_int_equal(ag_fsm_cmd_encode(c, &b, err, sizeof err), -1);
	assert_null(b.base);
	if (strstr(err, why) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", why, err);
}

static void
test_encode_refuses(void **state)
{
	struct ag_fsm_cmd	c;
	const char		*dev[2] = { DEV_A, DEV_B };
	uint64_t		 mem[2] = { 1, 2 }, cap[2] = { 9, 9 };

	(void)state;
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	c.op = (enum ag_fsm_op)99;
	expect_refused(&c, "unknown operation");
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	c.place.nstages = 0;
	expect_refused(&c, "stages");
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	c.place.model.layers = 0;
	expect_refused(&c, "no model");
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	c.place.model.name[0] = '\0';
	expect_refused(&c, "no model");
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	c.place.stages[0].device[0] = '\0';
	expect_refused(&c, "bad stage");
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	c.place.stages[0].layer_end = FSMT_LAYERS + 1;
	expect_refused(&c, "bad stage");
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	memset(c.place.stages[0].device, 'x', sizeof c.place.stages[0].device);
	expect_refused(&c, "bad stage");
	fsmt_cmd(&c, 1, 0, 0, 2, dev, mem, cap);
	c.ncap = 1;
	expect_refused(&c, "no capacity for");
	fsmt_cmd(&c, 1, 0, 0, 2, dev, mem, cap);
	(void)snprintf(c.cap[1].device, sizeof c.cap[1].device, DEV_C);
	expect_refused(&c, "no stage uses");
	fsmt_cmd(&c, 1, 0, 0, 2, dev, mem, cap);
	c.cap[1] = c.cap[0];
	expect_refused(&c, "two capacities");
	fsmt_cmd(&c, 1, 0, 0, 2, dev, mem, cap);
	mem[0] = UINT64_MAX;
	fsmt_cmd(&c, 1, 0, 0, 2, dev, mem, cap);
	expect_refused(&c, "bad stage");
	fsmt_release(&c, 1, 0);
	expect_refused(&c, "id 0");
	mem[0] = 1;
	fsmt_cmd(&c, 1, 5, 0, 2, dev, mem, cap);
	expect_refused(&c, "epoch must be > 0");
	/* What the placement decoder would refuse: a negative figure. */
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	c.place.latency_s = -1;
	expect_refused(&c, "placements: malformed");
}

static void
test_roundtrip(void **state)
{
	struct ag_fsm_cmd	c, d;
	struct raft_buffer	a, b;
	char			err[192];
	const char		*dev[3] = { DEV_A, DEV_B, DEV_A };
	uint64_t		 mem[3] = { 1, 2, 3 }, cap[3] = { 7, 8, 9 };

	(void)state;
	fsmt_cmd(&c, 12, 5, 2, 3, dev, mem, cap);
	(void)snprintf(c.place.tenant, sizeof c.place.tenant, "acme");
	c.place.nselectors = 1;
	(void)snprintf(c.place.selectors[0], sizeof c.place.selectors[0],
	    "n1/*");
	c.place.id = 77;	/* ignored: written as 0 */
	a = enc(&c);
	assert_int_equal(ag_fsm_cmd_decode(a.base, a.len, &d, err, sizeof err),
	    0);
	assert_int_equal(d.op, AG_FSM_OP_REPLAN);
	assert_int_equal(d.term, 12);
	assert_int_equal(d.id, 5);
	assert_int_equal(d.expect_epoch, 2);
	assert_int_equal(d.place.id, 0);
	assert_int_equal(d.place.nstages, 3);
	assert_int_equal(d.place.stages[2].memory_bytes, 3);
	assert_string_equal(d.place.stages[1].device, DEV_B);
	assert_string_equal(d.place.stages[1].node, "n2");
	assert_string_equal(d.place.tenant, "acme");
	assert_string_equal(d.place.selectors[0], "n1/*");
	assert_true(isnan(d.place.baseline_latency_s));
	assert_int_equal(d.ncap, 2);
	assert_string_equal(d.cap[1].device, DEV_B);
	assert_int_equal(d.cap[1].bytes, 8);
	b = enc(&d);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.base, b.base, a.len);
	raft_free(a.base);
	raft_free(b.base);

	fsmt_release(&c, 3, 41);
	c.place.nstages = 99;	/* ignored for a release */
	a = enc(&c);
	assert_int_equal(ag_fsm_cmd_decode(a.base, a.len, &d, err, sizeof err),
	    0);
	assert_int_equal(d.op, AG_FSM_OP_RELEASE);
	assert_int_equal(d.id, 41);
	assert_int_equal(d.place.nstages, 0);
	raft_free(a.base);
}

/* A PLACE map by hand: {1: 1, 2: 1, 5: place, 6: [[dev, 9]]} + extra. */
static size_t
handmade(uint8_t *out, size_t cap, const uint8_t *place, size_t plen,
    int extra)
{
	struct sec_cbor_writer	w;

	sec_cbor_writer_fixed(&w, out, cap);
	(void)sec_cbor_write_map(&w, extra ? 5 : 4);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, 1);
	if (extra) {
		(void)sec_cbor_write_uint(&w, 3);
		(void)sec_cbor_write_uint(&w, 8);
	}
	(void)sec_cbor_write_uint(&w, 5);
	(void)sec_cbor_write_bytes(&w, place, plen);
	(void)sec_cbor_write_uint(&w, 6);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 2);
	(void)sec_cbor_write_cstr(&w, DEV_A);
	(void)sec_cbor_write_uint(&w, 9);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	return sec_cbor_writer_len(&w);
}

static void
test_decode_refuses(void **state)
{
	struct ag_fsm_cmd	 c, d;
	struct ag_places	*ps = calloc(1, sizeof *ps);
	struct sec_cbor_writer	 w;
	uint8_t			 pb[AG_PLACE_BYTES], cb[AG_PLACE_BYTES + 64];
	size_t			 plen, clen;
	char			 err[192];

	(void)state;
	assert_non_null(ps);
	/* The handmade form of a valid command decodes: the check is real. */
	fsmt_place1(&c, 1, DEV_A, 1, 9);
	ps->n = 1;
	ps->p[0] = c.place;
	assert_int_equal(ag_place_encode(ps, pb, sizeof pb, &plen), 0);
	clen = handmade(cb, sizeof cb, pb, plen, 0);
	assert_int_equal(ag_fsm_cmd_decode(cb, clen, &d, err, sizeof err), 0);
	/* An extra key (an id in a PLACE) is not what the encoder writes. */
	clen = handmade(cb, sizeof cb, pb, plen, 1);
	assert_int_equal(ag_fsm_cmd_decode(cb, clen, &d, err, sizeof err), -1);
	assert_string_equal(err, "command: not in canonical form");
	assert_int_equal(d.op, 0);
	/* A stamped placement inside a command. */
	ps->p[0].id = 4;
	assert_int_equal(ag_place_encode(ps, pb, sizeof pb, &plen), 0);
	clen = handmade(cb, sizeof cb, pb, plen, 0);
	assert_int_equal(ag_fsm_cmd_decode(cb, clen, &d, err, sizeof err), -1);
	/* Two placements in the byte string. */
	ps->p[0].id = 0;
	ps->p[1] = ps->p[0];
	ps->n = 2;
	assert_int_equal(ag_place_encode(ps, pb, sizeof pb, &plen), 0);
	clen = handmade(cb, sizeof cb, pb, plen, 0);
	assert_int_equal(ag_fsm_cmd_decode(cb, clen, &d, err, sizeof err), -1);
	assert_string_equal(err, "placement: one expected");
	/*
	 * A placement without a model: refused, by the placement decoder
	 * (which now requires what its encoder writes) or by ag_fsm's own
	 * check behind it, whichever comes first.
	 */
	sec_cbor_writer_fixed(&w, pb, sizeof pb);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_map(&w, 1);
	(void)sec_cbor_write_uint(&w, 6);
	(void)sec_cbor_write_array(&w, 1);
	(void)sec_cbor_write_array(&w, 5);
	(void)sec_cbor_write_cstr(&w, DEV_A);
	(void)sec_cbor_write_cstr(&w, "n1");
	(void)sec_cbor_write_uint(&w, 0);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, 1);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	clen = handmade(cb, sizeof cb, pb, sec_cbor_writer_len(&w), 0);
	assert_int_equal(ag_fsm_cmd_decode(cb, clen, &d, err, sizeof err), -1);
	assert_true(strcmp(err, "placement: no model (name and layers)") == 0 ||
	    strstr(err, "malformed entry") != NULL);
	/* Not a map, and a truncated one. */
	assert_int_equal(ag_fsm_cmd_decode(cb, 1, &d, err, sizeof err), -1);
	assert_int_equal(ag_fsm_cmd_decode((const uint8_t *)"\x80", 1, &d,
	    err, sizeof err), -1);
	free(ps);
}

/* --- snapshots ------------------------------------------------------------- */

/* A state with live, released and re-planned placements on 3 devices. */
static struct ag_fsm *
busy(void)
{
	struct ag_fsm		*f = ag_fsm_new(0);
	struct ag_fsm_cmd	 c;
	const char		*dev[3] = { DEV_C, DEV_A, DEV_B };
	uint64_t		 mem[3] = { 5, 6, 7 }, cap[3] = { 50, 60, 70 };

	assert_non_null(f);
	assert_int_equal(place1(f, DEV_A, 10, 100).status, AG_FSM_OK);
	fsmt_cmd(&c, 2, 0, 0, 3, dev, mem, cap);
	(void)snprintf(c.place.tenant, sizeof c.place.tenant, "acme");
	assert_int_equal(run(f, &c).status, AG_FSM_OK);
	assert_int_equal(place1(f, DEV_B, 10, 100).status, AG_FSM_OK);
	assert_int_equal(release(f, 1).status, AG_FSM_OK);
	fsmt_cmd(&c, 3, 2, 1, 3, dev, mem, cap);
	assert_int_equal(run(f, &c).status, AG_FSM_OK);
	assert_int_equal(place1(f, DEV_A, 1000, 10).status, AG_FSM_NOSPACE);
	return f;
}

static void
test_snapshot_restore(void **state)
{
	struct ag_fsm		*f = busy(), *g = ag_fsm_new(0), *e;
	struct raft_buffer	 s;
	struct ag_fsm_cmd	 c;
	char			 err[192];
	size_t			 i;

	(void)state;
	/* An empty state round-trips too. */
	assert_non_null(e = ag_fsm_new(0));
	s = snap(e);
	seed('s', s.base, s.len);
	assert_int_equal(ag_fsm_restore(g, s.base, s.len, err, sizeof err), 0);
	raft_free(s.base);
	assert_true(same_snap(e, g));
	ag_fsm_free(e);

	s = snap(f);
	seed('s', s.base, s.len);
	assert_int_equal(ag_fsm_restore(g, s.base, s.len, err, sizeof err), 0);
	raft_free(s.base);
	assert_true(same_snap(f, g));
	assert_int_equal(ag_fsm_count(g), 2);
	assert_int_equal(ag_fsm_next_id(g), 4);
	assert_int_equal(ag_fsm_applied(g), 6);
	for (i = 0; i < ag_fsm_count(f); i++) {
		assert_int_equal(ag_fsm_at(f, i)->id, ag_fsm_at(g, i)->id);
		assert_int_equal(ag_fsm_at(f, i)->epoch,
		    ag_fsm_at(g, i)->epoch);
		assert_string_equal(ag_fsm_at(f, i)->tenant,
		    ag_fsm_at(g, i)->tenant);
	}
	assert_int_equal(ag_fsm_find(g, 2)->epoch, 2);
	assert_int_equal(ag_fsm_find(g, 2)->term, 3);
	assert_int_equal(ag_fsm_booked(g, DEV_B, 0), 17);
	assert_int_equal(ag_fsm_capacity(g, DEV_B), 70);	/* the re-plan's */
	assert_int_equal(ag_fsm_capacity(g, DEV_C), 50);
	/* Both go on the same way. */
	fsmt_place1(&c, 4, DEV_C, 45, 50);
	assert_int_equal(run(f, &c).status, AG_FSM_OK);
	assert_int_equal(run(g, &c).id, 4);
	fsmt_place1(&c, 4, DEV_C, 1, 50);
	assert_int_equal(run(f, &c).status, AG_FSM_NOSPACE);
	assert_int_equal(run(g, &c).status, AG_FSM_NOSPACE);
	assert_true(same_snap(f, g));
	ag_fsm_free(f);
	ag_fsm_free(g);
}

/* Restore must fail and leave f exactly as before. */
static void
refused(struct ag_fsm *f, const uint8_t *p, size_t n)
{
	struct raft_buffer	before = snap(f), after;
	char			err[192] = "";

	if (ag_fsm_restore(f, p, n, err, sizeof err) == 0)
		fail_msg("restore of %zu bytes accepted", n);
	assert_true(strlen(err) > 0);
	after = snap(f);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.base, after.base, before.len);
	raft_free(before.base);
	raft_free(after.base);
}

static void
test_restore_garbage(void **state)
{
	struct ag_fsm		*f = busy(), *g = busy();
	struct raft_buffer	 s = snap(f), t;
	uint8_t			*m;
	size_t			 i;
	int			 bit;
	char			 err[192];

	(void)state;
	refused(f, (const uint8_t *)"\xa0", 1);
	refused(f, (const uint8_t *)"junk", 4);
	refused(f, NULL, 0);
	for (i = 0; i < s.len; i++)
		refused(f, s.base, i);
	/* Every bit flipped: refused with f intact, or a state that says so. */
	assert_non_null(m = malloc(s.len));
	for (i = 0; i < s.len; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, s.base, s.len);
			m[i] ^= (uint8_t)(1u << bit);
			if (ag_fsm_restore(g, m, s.len, err, sizeof err) != 0) {
				assert_true(same_snap(f, g));
				continue;
			}
			t = snap(g);
			assert_int_equal(t.len, s.len);
			assert_memory_equal(t.base, m, s.len);
			raft_free(t.base);
			assert_int_equal(ag_fsm_restore(g, s.base, s.len, err,
			    sizeof err), 0);
		}
	free(m);
	/* Too many placements for this node. */
	ag_fsm_free(g);
	assert_non_null(g = ag_fsm_new(1));
	refused(g, s.base, s.len);
	raft_free(s.base);
	ag_fsm_free(f);
	ag_fsm_free(g);
}

/* A snapshot by hand: next id, placements (id, dev, mem), capacities. */
struct hand {
	uint64_t	next, fmt;
	int		n;
	uint64_t	id[3];
	const char	*dev[3];
	uint64_t	mem[3];
	int		ncap;
	const char	*cdev[3];
	uint64_t	cap[3];
};

static size_t
hand_snap(const struct hand *h, uint8_t *out, size_t size)
{
	struct sec_cbor_writer	 w;
	struct ag_places	*ps = calloc(1, sizeof *ps);
	struct ag_fsm_cmd	 c;
	uint8_t			 pb[AG_PLACE_BYTES];
	size_t			 plen;
	int			 i;

	assert_non_null(ps);
	sec_cbor_writer_fixed(&w, out, size);
	(void)sec_cbor_write_map(&w, 5);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_uint(&w, h->fmt);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, h->next);
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_uint(&w, 9);
	(void)sec_cbor_write_uint(&w, 4);
	(void)sec_cbor_write_array(&w, (uint64_t)h->n);
	for (i = 0; i < h->n; i++) {
		fsmt_place1(&c, 1, h->dev[i], h->mem[i], 0);
		ps->n = 1;
		ps->p[0] = c.place;
		ps->p[0].id = h->id[i];
		ps->p[0].epoch = 1;
		assert_int_equal(ag_place_encode(ps, pb, sizeof pb, &plen), 0);
		(void)sec_cbor_write_bytes(&w, pb, plen);
	}
	(void)sec_cbor_write_uint(&w, 5);
	(void)sec_cbor_write_array(&w, (uint64_t)h->ncap);
	for (i = 0; i < h->ncap; i++) {
		(void)sec_cbor_write_array(&w, 2);
		(void)sec_cbor_write_cstr(&w, h->cdev[i]);
		(void)sec_cbor_write_uint(&w, h->cap[i]);
	}
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	free(ps);
	return sec_cbor_writer_len(&w);
}

static void
test_restore_rules(void **state)
{
	static const struct hand good = {
		5, 1, 2, { 2, 4 }, { DEV_B, DEV_A }, { 10, 20 },
		2, { DEV_A, DEV_B }, { 20, 15 },
	};
	struct hand	 h;
	struct ag_fsm	*f = busy();
	uint8_t		 buf[4 * AG_PLACE_BYTES];
	size_t		 n;
	char		 err[192];

	(void)state;
	n = hand_snap(&good, buf, sizeof buf);
	seed('s', buf, n);
	h = good;
	h.next = 4;	/* an id not below the next */
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	h = good;
	h.id[1] = 2;	/* an id twice */
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	h = good;
	h.id[0] = 0;
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	h = good;
	h.cap[0] = 19;	/* booked above capacity */
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	h = good;
	h.ncap = 1;	/* a booked device without a capacity */
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	h = good;
	h.cdev[0] = DEV_B;	/* out of order */
	h.cdev[1] = DEV_A;
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	h = good;
	h.ncap = 3;	/* a capacity of a device with no stage */
	h.cdev[2] = DEV_C;
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	h = good;
	h.fmt = 2;
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	h = good;
	h.next = 0;
	h.n = h.ncap = 0;
	refused(f, buf, hand_snap(&h, buf, sizeof buf));
	/* ... and the good one is accepted, so the refusals are the rules. */
	n = hand_snap(&good, buf, sizeof buf);
	assert_int_equal(ag_fsm_restore(f, buf, n, err, sizeof err), 0);
	assert_int_equal(ag_fsm_booked(f, DEV_A, 0), 20);
	assert_int_equal(ag_fsm_next_id(f), 5);
	assert_int_equal(place1(f, DEV_A, 0, 20).id, 5);
	ag_fsm_free(f);
}

static void
test_raft_glue(void **state)
{
	struct ag_fsm			*f = busy(), *g = ag_fsm_new(0);
	struct raft_fsm			 rf, rg;
	struct raft_buffer		*bufs, b, copy;
	const struct ag_fsm_result	*r;
	struct ag_fsm_cmd		 c;
	unsigned			 n = 0;
	void				*res = NULL;

	(void)state;
	ag_fsm_raft(f, &rf);
	ag_fsm_raft(g, &rg);
	assert_int_equal(rf.version, 1);
	assert_ptr_equal(rf.data, f);
	fsmt_place1(&c, 1, DEV_C, 1, 100);
	b = enc(&c);
	assert_int_equal(rf.apply(&rf, &b, &res), 0);
	raft_free(b.base);
	r = res;
	assert_int_equal(r->status, AG_FSM_OK);
	assert_int_equal(r->id, 4);
	assert_int_equal(rf.snapshot(&rf, &bufs, &n), 0);
	assert_int_equal(n, 1);
	/* restore takes the buffer on success, not on failure. */
	assert_non_null(copy.base = raft_malloc(3));
	copy.len = 3;
	memcpy(copy.base, "bad", 3);
	assert_int_not_equal(rg.restore(&rg, &copy), 0);
	raft_free(copy.base);
	assert_int_equal(rg.restore(&rg, &bufs[0]), 0);
	raft_free(bufs);
	assert_true(same_snap(f, g));
	ag_fsm_free(f);
	ag_fsm_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_never_reused),
		cmocka_unit_test(test_nospace_numbers),
		cmocka_unit_test(test_capacity_updates),
		cmocka_unit_test(test_replan),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_bad_is_noop),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_snapshot_restore),
		cmocka_unit_test(test_restore_garbage),
		cmocka_unit_test(test_restore_rules),
		cmocka_unit_test(test_raft_glue),
	};

	seed_dir = getenv("FSM_WRITE_SEEDS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
