/*
 * test_fsm_sec.c - the replicated state machine's trust state
 * (agent/ag_fsm_sec.c): revocations with clamped expiry and the eviction
 * rule, the node deny list, audit anchors that never go backwards, their
 * encoding, and snapshots that carry them (and still read format 1).
 *
 * With FSM_WRITE_SEEDS=<dir> it adds fuzz seeds for these commands and
 * snapshots (tests/fuzz/corpus/fuzz_fsm/, names t*).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm_cmds.h"

#define NODE_A	"aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NODE_B	"bbbbbbbbbbbbbbbbbbbbbbbbba"
#define T0	1800000000LL

static const char	*seed_dir;
static int		 seed_n;

static void
seed(char kind, const void *p, size_t n)
{
	char	path[512];
	FILE	*f;

	if (seed_dir == NULL)
		return;
	(void)snprintf(path, sizeof path, "%s/t%c%03d", seed_dir, kind,
	    seed_n++);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fputc(kind, f), kind);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static struct ag_fsm_result
run(struct ag_fsm *f, const struct ag_fsm_cmd *c)
{
	const struct ag_fsm_result	*r;
	struct ag_fsm_result		 out;
	struct raft_buffer		 b;
	char				 err[192] = "";

	if (ag_fsm_cmd_encode(c, &b, err, sizeof err) != 0)
		fail_msg("encode: %s", err);
	seed('c', b.base, b.len);
	assert_non_null(r = ag_fsm_apply(f, b.base, b.len));
	out = *r;
	raft_free(b.base);
	return out;
}

static void
revoke_cmd(struct ag_fsm_cmd *c, uint8_t id, int64_t now, int64_t expires)
{
	memset(c, 0, sizeof *c);
	c->op = AG_FSM_OP_REVOKE;
	c->term = 1;
	c->now = now;
	memset(c->token_id, id, sizeof c->token_id);
	c->expires = expires;
}

static enum ag_fsm_status
revoke(struct ag_fsm *f, uint8_t id, int64_t now, int64_t expires)
{
	struct ag_fsm_cmd	c;

	revoke_cmd(&c, id, now, expires);
	return run(f, &c).status;
}

static enum ag_fsm_status
node_op(struct ag_fsm *f, enum ag_fsm_op op, const char *node, int64_t now,
    uint64_t seq, const char *text)
{
	struct ag_fsm_cmd	c;

	memset(&c, 0, sizeof c);
	c.op = op;
	c.term = 1;
	c.now = now;
	c.seq = seq;
	(void)snprintf(c.node, sizeof c.node, "%s", node);
	(void)snprintf(c.text, sizeof c.text, "%s", text);
	return run(f, &c).status;
}

static struct raft_buffer
snap(const struct ag_fsm *f)
{
	struct raft_buffer	b;
	char			err[192] = "";

	if (ag_fsm_snapshot(f, &b, err, sizeof err) != 0)
		fail_msg("snapshot: %s", err);
	seed('s', b.base, b.len);
	return b;
}

/* --- revocations ----------------------------------------------------------- */

static void
test_revoke_clamp_and_expire(void **state)
{
	struct ag_fsm	*f;
	uint8_t		 id[AG_FSM_TOKEN_ID_LEN];

	(void)state;
	assert_non_null(f = ag_fsm_new(8));
	/* An expiry of 9e18 is clamped to the horizon. */
	assert_int_equal(revoke(f, 1, T0, INT64_MAX), AG_FSM_OK);
	assert_int_equal(ag_fsm_revoked_count(f), 1);
	assert_true(ag_fsm_revoked_at(f, 0)->expires ==
	    T0 + AG_FSM_REVOKE_HORIZON);
	memset(id, 1, sizeof id);
	assert_true(ag_fsm_is_revoked(f, id, sizeof id));
	assert_false(ag_fsm_is_revoked(f, id, 8));
	/* A second revocation of the same id keeps the later expiry. */
	assert_int_equal(revoke(f, 2, T0, T0 + 100), AG_FSM_OK);
	assert_int_equal(revoke(f, 2, T0, T0 + 50), AG_FSM_OK);
	assert_int_equal(ag_fsm_revoked_count(f), 2);
	assert_true(ag_fsm_revoked_at(f, 1)->expires == T0 + 100);
	/* Expired entries leave at the next REVOKE after the clock passed. */
	assert_int_equal(revoke(f, 3, T0 + 101, T0 + 200), AG_FSM_OK);
	assert_int_equal(ag_fsm_revoked_count(f), 2);
	memset(id, 2, sizeof id);
	assert_false(ag_fsm_is_revoked(f, id, sizeof id));
	/* The clock never goes back: an older command's time is ignored. */
	assert_int_equal(revoke(f, 4, T0, T0 + 50), AG_FSM_OK);
	assert_true(ag_fsm_clock(f) == T0 + 101);
	assert_int_equal(ag_fsm_revoked_count(f), 2);	/* 4 expired */
	ag_fsm_free(f);
}

static void
test_revoke_full_never_evicts(void **state)
{
	struct ag_fsm		*f;
	struct ag_fsm_cmd	 c;
	int			 i;

	(void)state;
	assert_non_null(f = ag_fsm_new(8));
	for (i = 0; i < AG_FSM_MAX_REVOKED; i++) {
		revoke_cmd(&c, 0, T0, T0 + 1000);
		c.token_id[0] = (uint8_t)(i >> 8) | 0x80;
		c.token_id[1] = (uint8_t)i;
		assert_int_equal(run(f, &c).status, AG_FSM_OK);
	}
	assert_int_equal(revoke(f, 1, T0, T0 + 1000), AG_FSM_FULL);
	assert_int_equal(ag_fsm_revoked_count(f), AG_FSM_MAX_REVOKED);
	/* Once they expire there is room again. */
	assert_int_equal(revoke(f, 1, T0 + 1001, T0 + 2000), AG_FSM_OK);
	assert_int_equal(ag_fsm_revoked_count(f), 1);
	ag_fsm_free(f);
}

/* --- deny list and anchors ------------------------------------------------- */

static void
test_deny_allow(void **state)
{
	struct ag_fsm	*f;

	(void)state;
	assert_non_null(f = ag_fsm_new(8));
	assert_int_equal(node_op(f, AG_FSM_OP_DENY, NODE_B, T0, 0,
	    "key stolen"), AG_FSM_OK);
	assert_int_equal(node_op(f, AG_FSM_OP_DENY, NODE_A, T0 + 1, 0, ""),
	    AG_FSM_OK);
	assert_int_equal(node_op(f, AG_FSM_OP_DENY, NODE_B, T0 + 2, 0, "x"),
	    AG_FSM_OK);
	assert_int_equal(ag_fsm_denied_count(f), 2);
	assert_string_equal(ag_fsm_denied_at(f, 0)->node, NODE_A);
	assert_string_equal(ag_fsm_denied_at(f, 1)->note, "key stolen");
	assert_true(ag_fsm_is_denied(f, NODE_B));
	assert_int_equal(node_op(f, AG_FSM_OP_ALLOW, NODE_B, T0 + 3, 0, ""),
	    AG_FSM_OK);
	assert_false(ag_fsm_is_denied(f, NODE_B));
	assert_int_equal(node_op(f, AG_FSM_OP_ALLOW, NODE_B, T0 + 3, 0, ""),
	    AG_FSM_NOTFOUND);
	ag_fsm_free(f);
}

static void
test_anchor_monotonic(void **state)
{
	struct ag_fsm			*f;
	const struct ag_fsm_anchor	*a;

	(void)state;
	assert_non_null(f = ag_fsm_new(8));
	assert_null(ag_fsm_anchor_of(f, NODE_A));
	assert_int_equal(node_op(f, AG_FSM_OP_ANCHOR, NODE_A, T0, 10,
	    "seq=10 kind=ckpt"), AG_FSM_OK);
	assert_int_equal(node_op(f, AG_FSM_OP_ANCHOR, NODE_A, T0, 10,
	    "seq=10 kind=ckpt again"), AG_FSM_STALE);
	assert_int_equal(node_op(f, AG_FSM_OP_ANCHOR, NODE_A, T0, 7,
	    "seq=7 kind=ckpt"), AG_FSM_STALE);
	assert_int_equal(node_op(f, AG_FSM_OP_ANCHOR, NODE_B, T0, 3,
	    "seq=3 kind=ckpt"), AG_FSM_OK);
	assert_int_equal(node_op(f, AG_FSM_OP_ANCHOR, NODE_A, T0 + 5, 12,
	    "seq=12 kind=ckpt"), AG_FSM_OK);
	assert_non_null(a = ag_fsm_anchor_of(f, NODE_A));
	assert_true(a->seq == 12 && a->time == T0 + 5);
	assert_string_equal(a->line, "seq=12 kind=ckpt");
	assert_int_equal(ag_fsm_anchor_count(f), 2);
	ag_fsm_free(f);
}

static void
test_refused_commands(void **state)
{
	struct ag_fsm_cmd	c;
	struct raft_buffer	b;
	char			err[192];

	(void)state;
	revoke_cmd(&c, 1, 0, T0);		/* no time */
	assert_int_equal(ag_fsm_cmd_encode(&c, &b, err, sizeof err), -1);
	revoke_cmd(&c, 0, T0, T0);		/* no id */
	assert_int_equal(ag_fsm_cmd_encode(&c, &b, err, sizeof err), -1);
	revoke_cmd(&c, 1, T0, 0);		/* no expiry */
	assert_int_equal(ag_fsm_cmd_encode(&c, &b, err, sizeof err), -1);
	memset(&c, 0, sizeof c);
	c.op = AG_FSM_OP_DENY;
	c.now = T0;
	(void)strcpy(c.node, "not-a-node-id");
	assert_int_equal(ag_fsm_cmd_encode(&c, &b, err, sizeof err), -1);
	assert_non_null(strstr(err, "node id"));
	c.op = AG_FSM_OP_ANCHOR;
	(void)strcpy(c.node, NODE_A);
	c.seq = 0;
	(void)strcpy(c.text, "x");
	assert_int_equal(ag_fsm_cmd_encode(&c, &b, err, sizeof err), -1);
	c.op = AG_FSM_OP_ALLOW;
	assert_int_equal(ag_fsm_cmd_encode(&c, &b, err, sizeof err), -1);
}

/* --- snapshots ------------------------------------------------------------- */

static void
test_snapshot_carries_trust(void **state)
{
	struct ag_fsm		*f, *g;
	struct raft_buffer	 a, b;
	char			 err[192] = "";

	(void)state;
	assert_non_null(f = ag_fsm_new(8));
	assert_non_null(g = ag_fsm_new(8));
	assert_int_equal(revoke(f, 9, T0, T0 + 60), AG_FSM_OK);
	assert_int_equal(node_op(f, AG_FSM_OP_DENY, NODE_B, T0, 0, "gone"),
	    AG_FSM_OK);
	assert_int_equal(node_op(f, AG_FSM_OP_ANCHOR, NODE_A, T0, 4, "l"),
	    AG_FSM_OK);
	a = snap(f);
	if (ag_fsm_restore(g, a.base, a.len, err, sizeof err) != 0)
		fail_msg("restore: %s", err);
	b = snap(g);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.base, b.base, a.len);
	assert_true(ag_fsm_is_denied(g, NODE_B));
	assert_int_equal(ag_fsm_revoked_count(g), 1);
	assert_true(ag_fsm_anchor_of(g, NODE_A)->seq == 4);
	assert_true(ag_fsm_clock(g) == T0);
	raft_free(a.base);
	raft_free(b.base);
	ag_fsm_free(f);
	ag_fsm_free(g);
}

/* A format 1 snapshot (no key 6), as agents before the trust state wrote. */
static void
test_snapshot_format1(void **state)
{
	static const uint8_t	v1[] = {
		0xa5, 0x01, 0x01, 0x02, 0x05, 0x03, 0x07, 0x04, 0x80,
		0x05, 0x80,
	};
	struct ag_fsm		*f;
	char			 err[192] = "";

	(void)state;
	assert_non_null(f = ag_fsm_new(8));
	seed('s', v1, sizeof v1);
	if (ag_fsm_restore(f, v1, sizeof v1, err, sizeof err) != 0)
		fail_msg("restore: %s", err);
	assert_true(ag_fsm_next_id(f) == 5);
	assert_int_equal(ag_fsm_revoked_count(f), 0);
	ag_fsm_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoke_clamp_and_expire),
		cmocka_unit_test(test_revoke_full_never_evicts),
		cmocka_unit_test(test_deny_allow),
		cmocka_unit_test(test_anchor_monotonic),
		cmocka_unit_test(test_refused_commands),
		cmocka_unit_test(test_snapshot_carries_trust),
		cmocka_unit_test(test_snapshot_format1),
	};

	seed_dir = getenv("FSM_WRITE_SEEDS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
