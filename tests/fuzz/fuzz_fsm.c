/*
 * fuzz_fsm.c - libFuzzer harness for the replicated state machine's two
 * decoders (agent/ag_fsm.c): log entries (commands) and snapshots, which
 * arrive from the leader over the network or from the data dir.
 *
 * The first byte picks the decoder ('s' snapshot, anything else command);
 * the rest is the input.  Both encodings are canonical, so the round trip
 * is exact: whatever decodes must encode to the very same bytes, and a
 * second decode must give the same again.  A command that decodes must
 * apply (never AG_FSM_BAD); one that does not must apply as AG_FSM_BAD
 * and change nothing but the applied count.  A snapshot that restores
 * must snapshot to the same bytes (a format 1 snapshot, from before the
 * trust state, to its format 2 form); one that does not must leave the
 * state as it was.  Seeds: tests/fuzz/corpus/fuzz_fsm/, written by
 * test_fsm with FSM_WRITE_SEEDS=<dir>.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_fsm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
same(const struct raft_buffer *a, const uint8_t *p, size_t n)
{
	return a->len == n && (n == 0 || memcmp(a->base, p, n) == 0);
}

/* A state that is not empty, so a failed restore has something to keep. */
static struct ag_fsm *
busy(void)
{
	struct ag_fsm		*f = ag_fsm_new(8);
	struct ag_fsm_cmd	 c;
	struct raft_buffer	 b;
	char			 err[192];

	if (f == NULL)
		abort();
	memset(&c, 0, sizeof c);
	c.op = AG_FSM_OP_PLACE;
	c.term = 2;
	(void)strcpy(c.place.model.name, "m");
	c.place.model.layers = 2;
	c.place.baseline_latency_s = 1;
	c.place.nstages = 1;
	(void)strcpy(c.place.stages[0].device, "n1/gpu0");
	c.place.stages[0].layer_end = 2;
	c.place.stages[0].memory_bytes = 5;
	c.ncap = 1;
	(void)strcpy(c.cap[0].device, "n1/gpu0");
	c.cap[0].bytes = 10;
	if (ag_fsm_cmd_encode(&c, &b, err, sizeof err) != 0 ||
	    ag_fsm_apply(f, b.base, b.len) == NULL)
		abort();
	raft_free(b.base);
	return f;
}

static struct raft_buffer
snap(const struct ag_fsm *f)
{
	struct raft_buffer	b;
	char			err[192];

	if (ag_fsm_snapshot(f, &b, err, sizeof err) != 0)
		abort();
	return b;
}

static void
command(const uint8_t *p, size_t n)
{
	static struct ag_fsm_cmd	 a, b;
	struct ag_fsm			*f = busy();
	const struct ag_fsm_result	*r;
	struct raft_buffer		 x, y, s0, s1;
	char				 err[192];
	int				 ok;

	ok = ag_fsm_cmd_decode(p, n, &a, err, sizeof err) == 0;
	if (ok) {
		if (ag_fsm_cmd_encode(&a, &x, err, sizeof err) != 0 ||
		    !same(&x, p, n) ||
		    ag_fsm_cmd_decode(x.base, x.len, &b, err, sizeof err) != 0 ||
		    ag_fsm_cmd_encode(&b, &y, err, sizeof err) != 0 ||
		    !same(&y, x.base, x.len))
			abort();
		raft_free(x.base);
		raft_free(y.base);
	}
	s0 = snap(f);
	if ((r = ag_fsm_apply(f, p, n)) == NULL)
		abort();
	if (ok != (r->status != AG_FSM_BAD))
		abort();
	if (!ok && ag_fsm_count(f) != 1)
		abort();
	/* Whatever happened, the state snapshots and restores as itself. */
	s1 = snap(f);
	if (ag_fsm_restore(f, s1.base, s1.len, err, sizeof err) != 0)
		abort();
	raft_free(s0.base);
	raft_free(s1.base);
	ag_fsm_free(f);
}

static void
snapshot(const uint8_t *p, size_t n)
{
	struct ag_fsm		*f = busy(), *g = ag_fsm_new(8);
	struct raft_buffer	 before, after;
	char			 err[192];

	if (g == NULL)
		abort();
	before = snap(f);
	if (ag_fsm_restore(f, p, n, err, sizeof err) != 0) {
		after = snap(f);
		if (!same(&after, before.base, before.len))
			abort();
	} else {
		after = snap(f);
		/* A format 1 snapshot (map of 5) restores as format 2. */
		if ((!same(&after, p, n) && !(n > 0 && p[0] == 0xa5)) ||
		    ag_fsm_restore(g, after.base, after.len, err,
		    sizeof err) != 0)
			abort();
		raft_free(after.base);
		after = snap(g);
		if (!same(&after, p, n) && !(n > 0 && p[0] == 0xa5))
			abort();
	}
	raft_free(before.base);
	raft_free(after.base);
	ag_fsm_free(f);
	ag_fsm_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 's')
		snapshot(data + 1, size - 1);
	else
		command(data + 1, size - 1);
	return 0;
}
