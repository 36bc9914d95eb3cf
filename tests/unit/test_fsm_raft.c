/*
 * test_fsm_raft.c - whole clusters of ag_fsm under canonical raft's
 * deterministic fixture (raft/fixture.h): 3 and 5 servers with pre-vote,
 * small snapshot thresholds (so snapshots and InstallSnapshot happen),
 * seeded random schedules of proposals and faults: partitions (the
 * fixture's saturate, both ways between two random groups), kills and
 * revivals, leader depositions in the middle of a burst of proposals,
 * capacity changes, undecodable commands.  Proposals are built the way a
 * leader would: PLACE of random stages on a few devices with their
 * current capacity, RELEASE of a live or unknown id, REPLAN with the
 * current or a stale epoch, each from the proposer's own FSM.
 *
 * Checked on every run:
 *  - at most one leader per term (after every fixture event);
 *  - the n-th applied command has the same result on every node, and the
 *    history of results obeys a model of the rules: ids of admitted PLACEs
 *    strictly increase (no id used twice), RELEASE/REPLAN find exactly the
 *    live ids, REPLAN moves the epoch by one, a released id never comes
 *    back;
 *  - bookings never above the stated capacity on any node (after every
 *    apply, on the node that applied);
 *  - an acknowledged result (raft_apply cb with 0) is the history's;
 *  - after healing: every acknowledged PLACE is live on every node unless
 *    released, every released id is gone, and all FSMs are equal (their
 *    snapshots byte for byte).
 *
 * The fixture's kill stops a server (no ticks, no messages) and revive
 * resumes it with its memory: a pause, not a restart from disk.
 *
 * Known failure of the library, not of ag_fsm: with FSM_SOAK=5, seed
 * 3005255 fails on raft 0.15 - a new leader applies (and acknowledges)
 * entries that no follower holds, then a later leader overwrites them.
 * 0.15 predates upstream's commit-rule fixes (1996d32, 524f735, d144504);
 * the same seed passes against canonical raft v0.18.1.
 *
 * FSM_SEED=<n> runs only seed n, tracing actions, applies and acks (and
 * with FSM_DUMP=1 every server's log before each action); FSM_SOAK=<k>
 * runs k times as many seeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include <raft/fixture.h>

#include "fsm_cmds.h"

#define RUNS_3		1200	/* default seeded runs, 3 servers */
#define RUNS_5		800	/* ... 5 servers */
#define ACTIONS		40	/* actions per run */
#define MAXP		6	/* max_placements: FULL happens */
#define NDEV		4
#define MAX_HIST	4096
/*
 * Entries kept after a snapshot: twice the threshold, raft's own ratio
 * (1024/2048).  Much less (trailing < threshold / 2, as 0.15 allows)
 * makes raft 0.15 itself fail: a follower whose snapshot covers entries a
 * leader re-sends from index 1 takes them as new (replication.c:985-1028
 * reads a term of 0 for snapshotted entries), asserts at
 * replication.c:1141, or corrupts its log where asserts are off.
 */
#define TRAILING(t)	(2 * (t))

static const char *const devs[NDEV] = {
	"n1/gpu0", "n2/gpu0", "n2/gpu1", "n3/cpu",
};

struct node;

struct hist {
	int		op, status;
	uint64_t	id, epoch;
};

struct run {
	struct raft_fixture	 f;	/* first: the hook gets &f */
	unsigned		 n;
	uint64_t		 seed, rng;
	int			 verbose;
	struct node		*node[RAFT_FIXTURE_MAX_SERVERS];
	/* Leader of each term seen (0: none yet). */
	raft_id			*term_leader;
	size_t			 nterms;
	/* The log's results, the n-th applied command at [n - 1]. */
	struct hist		 hist[MAX_HIST];
	size_t			 nhist;
	/* The model: epoch of each live id (0: not live); released ids. */
	uint64_t		 live_epoch[MAX_HIST + 1];
	unsigned char		 released[MAX_HIST + 1];
	uint64_t		 max_id;
	/* ... and of the trust state: one node's anchor seq, denied. */
	uint64_t		 anchor_seq;
	int			 denied;
	int64_t			 clock;	/* command times, rising */
	/* Acknowledged PLACE ids. */
	unsigned char		 acked[MAX_HIST + 1];
	uint64_t		 cap[NDEV], cap_max[NDEV];
	int			 pending;	/* requests not called back */
	char			 fail[256];	/* first violation */
	int			 cut_short;	/* fixture limit: see io_truncate */
	/* Figures. */
	unsigned long		 nacked, nrefused, nunknown, nrestore;
	unsigned long		 nleaders;
};

struct node {
	struct raft_fsm	 outer;	/* what raft calls: records, forwards */
	struct raft_fsm	 inner;	/* ag_fsm_raft() */
	struct ag_fsm	*fsm;
	struct run	*run;
	unsigned	 idx;
	unsigned	 installed;	/* snapshots installed by the leader */
	int		(*truncate)(struct raft_io *, raft_index);
	int		(*snapshot_put)(struct raft_io *, unsigned,
			    struct raft_io_snapshot_put *,
			    const struct raft_snapshot *,
			    raft_io_snapshot_put_cb);
};

struct prop {
	struct raft_apply	 req;
	struct run		*run;
	unsigned		 idx;
	int			 op;
};

static uint64_t
rnd(struct run *r)
{
	uint64_t	z = (r->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned
below(struct run *r, unsigned n)
{
	return (unsigned)(rnd(r) % n);
}

static void __attribute__((format(printf, 2, 3)))
violation(struct run *r, const char *fmt, ...)
{
	va_list	ap;

	if (r->fail[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(r->fail, sizeof r->fail, fmt, ap);
	va_end(ap);
}

/* --- checks while running -------------------------------------------------- */

static void
check_bookings(struct run *r, const struct node *nd)
{
	uint64_t	booked, cap;
	int		d;

	for (d = 0; d < NDEV; d++) {
		booked = ag_fsm_booked(nd->fsm, devs[d], 0);
		cap = ag_fsm_capacity(nd->fsm, devs[d]);
		if (booked > cap || booked > r->cap_max[d])
			violation(r, "node %u: %s booked %llu > capacity %llu "
			    "(most ever stated %llu)", nd->idx, devs[d],
			    (unsigned long long)booked,
			    (unsigned long long)cap,
			    (unsigned long long)r->cap_max[d]);
	}
}

/* The model of the rules over the history, entry by entry. */
static void
model_trust(struct run *r, const struct hist *h)
{
	switch (h->op) {
	case AG_FSM_OP_ANCHOR:
		if ((h->status == AG_FSM_OK) != (h->id > r->anchor_seq) ||
		    (h->status != AG_FSM_OK && h->status != AG_FSM_STALE))
			violation(r, "ANCHOR seq %llu after %llu: status %d",
			    (unsigned long long)h->id,
			    (unsigned long long)r->anchor_seq, h->status);
		if (h->status == AG_FSM_OK)
			r->anchor_seq = h->id;
		break;
	case AG_FSM_OP_DENY:
		if (h->status != AG_FSM_OK)
			violation(r, "DENY: status %d", h->status);
		r->denied = 1;
		break;
	case AG_FSM_OP_ALLOW:
		if (h->status != (r->denied ? AG_FSM_OK : AG_FSM_NOTFOUND))
			violation(r, "ALLOW (denied %d): status %d",
			    r->denied, h->status);
		r->denied = 0;
		break;
	default:	/* REVOKE: a handful of ids, never full */
		if (h->status != AG_FSM_OK)
			violation(r, "REVOKE: status %d", h->status);
	}
}

static void
model_step(struct run *r, const struct hist *h)
{
	uint64_t	id = h->id;

	if (h->op >= AG_FSM_OP_REVOKE && h->op <= AG_FSM_OP_ANCHOR &&
	    h->status != AG_FSM_BAD) {
		model_trust(r, h);
		return;
	}
	if (id > MAX_HIST) {
		if (h->status == AG_FSM_OK)
			violation(r, "id %llu out of range",
			    (unsigned long long)id);
		return;
	}
	switch (h->op) {
	case AG_FSM_OP_PLACE:
		if (h->status != AG_FSM_OK)
			break;
		if (id != r->max_id + 1)
			violation(r, "PLACE got id %llu after %llu",
			    (unsigned long long)id,
			    (unsigned long long)r->max_id);
		r->max_id = id;
		r->live_epoch[id] = h->epoch;
		if (h->epoch != 1)
			violation(r, "new placement at epoch %llu",
			    (unsigned long long)h->epoch);
		break;
	case AG_FSM_OP_RELEASE:
		if ((h->status == AG_FSM_OK) != (r->live_epoch[id] != 0))
			violation(r, "RELEASE %llu: status %d, live epoch "
			    "%llu", (unsigned long long)id, h->status,
			    (unsigned long long)r->live_epoch[id]);
		if (h->status == AG_FSM_OK) {
			r->live_epoch[id] = 0;
			r->released[id] = 1;
		}
		break;
	case AG_FSM_OP_REPLAN:
		if (r->live_epoch[id] == 0 && h->status != AG_FSM_NOTFOUND)
			violation(r, "REPLAN of dead id %llu: status %d",
			    (unsigned long long)id, h->status);
		if (h->status == AG_FSM_OK) {
			if (h->epoch != r->live_epoch[id] + 1)
				violation(r, "REPLAN %llu to epoch %llu from "
				    "%llu", (unsigned long long)id,
				    (unsigned long long)h->epoch,
				    (unsigned long long)r->live_epoch[id]);
			r->live_epoch[id] = h->epoch;
		}
		break;
	default:
		if (h->status != AG_FSM_BAD)
			violation(r, "op %d status %d", h->op, h->status);
	}
	if (h->status == AG_FSM_OK && r->released[id] &&
	    h->op != AG_FSM_OP_RELEASE)
		violation(r, "released id %llu came back (op %d)",
		    (unsigned long long)id, h->op);
}

static int
node_apply(struct raft_fsm *rf, const struct raft_buffer *buf,
    void **result)
{
	struct node			*nd = rf->data;
	struct run			*r = nd->run;
	const struct ag_fsm_result	*res;
	struct hist			 h;
	uint64_t			 k;
	int				 rc;

	rc = nd->inner.apply(&nd->inner, buf, result);
	if (rc != 0) {
		violation(r, "node %u: apply failed %d", nd->idx, rc);
		return rc;
	}
	res = *result;
	memset(&h, 0, sizeof h);
	h.op = res->status == AG_FSM_BAD ? 0 : (int)res->op;
	h.status = res->status;
	h.id = res->id;
	h.epoch = res->epoch;
	k = ag_fsm_applied(nd->fsm);
	if (k == 0 || k > MAX_HIST || k > r->nhist + 1) {
		violation(r, "node %u applied command %llu of %zu", nd->idx,
		    (unsigned long long)k, r->nhist);
		return 0;
	}
	if (r->verbose)
		(void)printf("#  t=%llu node %u applied %llu (raft %llu): op %d "
		    "status %d id %llu epoch %llu\n",
		    (unsigned long long)raft_fixture_time(&r->f), nd->idx,
		    (unsigned long long)k, (unsigned long long)
		    raft_last_applied(raft_fixture_get(&r->f, nd->idx)), h.op,
		    h.status, (unsigned long long)h.id,
		    (unsigned long long)h.epoch);
	if (k == r->nhist + 1) {
		r->hist[r->nhist++] = h;
		model_step(r, &h);
	} else if (memcmp(&r->hist[k - 1], &h, sizeof h) != 0)
		violation(r, "node %u: command %llu gave status %d id %llu, "
		    "not %d id %llu", nd->idx, (unsigned long long)k,
		    h.status, (unsigned long long)h.id, r->hist[k - 1].status,
		    (unsigned long long)r->hist[k - 1].id);
	check_bookings(r, nd);
	return 0;
}

static int
node_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
    unsigned *n)
{
	struct node	*nd = rf->data;

	return nd->inner.snapshot(&nd->inner, bufs, n);
}

static int
node_restore(struct raft_fsm *rf, struct raft_buffer *buf)
{
	struct node	*nd = rf->data;
	int		 rc;

	rc = nd->inner.restore(&nd->inner, buf);
	if (rc != 0)
		violation(nd->run, "node %u: restore failed %d", nd->idx, rc);
	nd->run->nrestore++;
	check_bookings(nd->run, nd);
	return rc;
}

/*
 * raft 0.15's fixture io truncates as if its stored entries started at
 * index 1 and were all written (fixture.c:609-619): false once a snapshot
 * has been installed (only what follows it is kept) and while appends are
 * still in flight (not yet in its array).  Truncating then reads past its
 * array.  So a run that gets there is cut
 * short (the truncation fails, the run's checks are skipped) and counted.
 * A snapshot put with no trailing entries is an installed one.
 */
static struct node *
io_node(struct raft_io *io)
{
	struct raft	*rf = io->data;

	return rf->fsm->data;
}

static int
io_snapshot_put(struct raft_io *io, unsigned trailing,
    struct raft_io_snapshot_put *req, const struct raft_snapshot *snap,
    raft_io_snapshot_put_cb cb)
{
	struct node	*nd = io_node(io);

	if (trailing == 0)
		nd->installed++;
	return nd->snapshot_put(io, trailing, req, snap, cb);
}

static int
io_truncate(struct raft_io *io, raft_index index)
{
	struct node	*nd = io_node(io);
	struct raft	*rf = io->data;

	if (index > 1 && (nd->installed > 0 || index - 1 > rf->last_stored)) {
		nd->run->cut_short = 1;
		return RAFT_IOERR;
	}
	return nd->truncate(io, index);
}

/* After every fixture event: one leader per term. */
static void
hook(struct raft_fixture *f, struct raft_fixture_event *ev)
{
	struct run	*r = (struct run *)(void *)f;
	struct raft	*rf;
	raft_id		*nt;
	raft_term	 t;
	unsigned	 i;

	(void)ev;
	for (i = 0; i < r->n; i++) {
		rf = raft_fixture_get(f, i);
		if (raft_state(rf) != RAFT_LEADER)
			continue;
		t = rf->current_term;
		if (t >= r->nterms) {
			nt = realloc(r->term_leader, (t + 16) * sizeof *nt);
			if (nt == NULL) {
				violation(r, "out of memory");
				return;
			}
			memset(nt + r->nterms, 0, (t + 16 - r->nterms) *
			    sizeof *nt);
			r->term_leader = nt;
			r->nterms = t + 16;
		}
		if (r->term_leader[t] == 0) {
			r->term_leader[t] = rf->id;
			r->nleaders++;
		} else if (r->term_leader[t] != rf->id)
			violation(r, "two leaders in term %llu: %llu and %llu",
			    (unsigned long long)t,
			    (unsigned long long)r->term_leader[t],
			    (unsigned long long)rf->id);
	}
}

/* --- proposals ------------------------------------------------------------- */

static void
applied_cb(struct raft_apply *req, int status, void *result)
{
	struct prop			*p = req->data;
	struct run			*r = p->run;
	const struct ag_fsm_result	*res = result;
	const struct hist		*h;
	uint64_t			 k;

	r->pending--;
	if (r->verbose)
		(void)printf("#  t=%llu ack on %u: status %d op %d id %llu\n",
		    (unsigned long long)raft_fixture_time(&r->f), p->idx,
		    status, status == 0 ? (int)res->op : -1, status == 0 ?
		    (unsigned long long)res->id : 0ull);
	if (status != 0) {
		r->nunknown++;
		free(p);
		return;
	}
	/* The cb runs inside the leader's apply: its count is this one's. */
	k = ag_fsm_applied(r->node[p->idx]->fsm);
	if (k == 0 || k > r->nhist) {
		violation(r, "ack of command %llu of %zu",
		    (unsigned long long)k, r->nhist);
		free(p);
		return;
	}
	h = &r->hist[k - 1];
	if (h->status != (int)res->status || h->id != res->id ||
	    (res->status != AG_FSM_BAD && h->op != (int)res->op))
		violation(r, "ack of command %llu differs from the log",
		    (unsigned long long)k);
	if (res->status == AG_FSM_OK) {
		r->nacked++;
		if (res->op == AG_FSM_OP_PLACE && res->id <= MAX_HIST) {
			if (r->acked[res->id])
				violation(r, "id %llu acknowledged twice",
				    (unsigned long long)res->id);
			r->acked[res->id] = 1;
		}
	} else
		r->nrefused++;
	free(p);
}

static void
random_stages(struct run *r, struct ag_fsm_cmd *c, uint64_t term,
    uint64_t id, uint64_t epoch)
{
	const char	*dev[3];
	uint64_t	 mem[3], cap[3];
	unsigned	 d;
	int		 i, n = 1 + (int)below(r, 3);

	for (i = 0; i < n; i++) {
		d = below(r, NDEV);
		dev[i] = devs[d];
		mem[i] = 1 + rnd(r) % (r->cap[d] / 2);
		cap[i] = r->cap[d];
	}
	fsmt_cmd(c, term, id, epoch, n, dev, mem, cap);
}

/* REVOKE, DENY, ALLOW or ANCHOR (of one node, seq around its last). */
static void
trust_cmd(struct run *r, uint64_t term, struct ag_fsm_cmd *c)
{
	unsigned	op = below(r, 4);

	memset(c, 0, sizeof *c);
	c->term = term;
	c->now = (r->clock += below(r, 3)) + 1800000000LL;
	(void)snprintf(c->node, sizeof c->node, "%s",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa");
	switch (op) {
	case 0:
		c->op = AG_FSM_OP_REVOKE;
		(void)memset(c->token_id, 1 + (int)below(r, 8),
		    sizeof c->token_id);
		c->expires = c->now + (int64_t)below(r, 10);
		c->node[0] = '\0';
		break;
	case 1:
		c->op = below(r, 2) ? AG_FSM_OP_DENY : AG_FSM_OP_ALLOW;
		break;
	default:
		c->op = AG_FSM_OP_ANCHOR;
		c->seq = r->anchor_seq + below(r, 4);
		if (c->seq == 0)
			c->seq = 1;
		(void)snprintf(c->text, sizeof c->text, "seq=%llu kind=ckpt",
		    (unsigned long long)c->seq);
	}
}

/* A command as a leader would build it from its own FSM. */
static void
random_cmd(struct run *r, const struct ag_fsm *fsm, uint64_t term,
    struct ag_fsm_cmd *c)
{
	const struct ag_placement	*p = NULL;
	size_t				 n = ag_fsm_count(fsm);
	unsigned			 pick = below(r, 10);

	if (n > 0)
		p = ag_fsm_at(fsm, below(r, (unsigned)n));
	if (below(r, 8) == 0) {
		trust_cmd(r, term, c);
		return;
	}
	if (pick < 5 || p == NULL) {
		random_stages(r, c, term, 0, 0);
		if (p == NULL && pick >= 8)
			fsmt_release(c, term, 1 + below(r,
			    (unsigned)ag_fsm_next_id(fsm) + 1));
	} else if (pick < 8)
		fsmt_release(c, term, below(r, 5) == 0 ? 1 + below(r,
		    (unsigned)ag_fsm_next_id(fsm) + 1) : p->id);
	else
		random_stages(r, c, term, p->id, below(r, 4) == 0 &&
		    p->epoch > 1 ? p->epoch - 1 : p->epoch);
}

/* Proposes one command (or junk) to server i; 0 if raft took it. */
static int
propose(struct run *r, unsigned i, int junk)
{
	struct raft		*rf = raft_fixture_get(&r->f, i);
	struct ag_fsm_cmd	 c;
	struct raft_buffer	 b;
	struct prop		*p;
	char			 err[192];

	if (!raft_fixture_alive(&r->f, i) || raft_state(rf) != RAFT_LEADER)
		return -1;
	if (junk) {
		if ((b.base = raft_malloc(3)) == NULL)
			return -1;
		memcpy(b.base, "\xa1\x01\x09", 3);
		b.len = 3;
		c.op = 0;
	} else {
		random_cmd(r, r->node[i]->fsm, rf->current_term, &c);
		if (ag_fsm_cmd_encode(&c, &b, err, sizeof err) != 0) {
			violation(r, "encode: %s", err);
			return -1;
		}
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		raft_free(b.base);
		return -1;
	}
	p->req.data = p;
	p->run = r;
	p->idx = i;
	p->op = (int)c.op;
	if (raft_apply(rf, &p->req, &b, 1, applied_cb) != 0) {
		raft_free(b.base);
		free(p);
		return -1;
	}
	r->pending++;
	return 0;
}

/* --- faults ---------------------------------------------------------------- */

/*
 * The fixture's kill is a saturation of all the server's links (and no
 * more ticks): never desaturate a link of a dead server, or it receives
 * and answers messages while "dead".
 */
static void
heal_net(struct run *r)
{
	unsigned	i, j;

	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->n; j++)
			if (i != j && raft_fixture_alive(&r->f, i) &&
			    raft_fixture_alive(&r->f, j) &&
			    raft_fixture_saturated(&r->f, i, j))
				raft_fixture_desaturate(&r->f, i, j);
}

/* Cuts the servers in mask off from the others, both ways. */
static void
cut(struct run *r, unsigned mask)
{
	unsigned	i, j;

	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->n; j++)
			if (i != j && ((mask >> i) & 1) != ((mask >> j) & 1) &&
			    !raft_fixture_saturated(&r->f, i, j))
				raft_fixture_saturate(&r->f, i, j);
}

static int
leader(struct run *r)
{
	unsigned	i;

	for (i = 0; i < r->n; i++)
		if (raft_fixture_alive(&r->f, i) &&
		    raft_state(raft_fixture_get(&r->f, i)) == RAFT_LEADER)
			return (int)i;
	return -1;
}

static void	dump(struct run *, const char *);

static void
action(struct run *r)
{
	unsigned	pick = below(r, 100), i, k;
	int		l = leader(r);

	if (r->verbose)
		(void)printf("#  t=%llu action %u, leader %d\n",
		    (unsigned long long)raft_fixture_time(&r->f), pick, l);
	dump(r, "before");

	if (pick < 45) {
		/* A proposal to a leader (maybe an old one). */
		if (l >= 0)
			(void)propose(r, (unsigned)l, 0);
	} else if (pick < 55) {
		/* A burst, then the leader is cut off mid-sequence. */
		if (l < 0)
			return;
		k = 2 + below(r, 3);
		for (i = 0; i < k; i++)
			(void)propose(r, (unsigned)l, 0);
		raft_fixture_step_n(&r->f, 1 + below(r, 12));
		cut(r, 1u << l);
	} else if (pick < 63)
		cut(r, (unsigned)rnd(r) & ((1u << r->n) - 1));
	else if (pick < 73)
		heal_net(r);
	else if (pick < 79) {
		i = below(r, r->n);
		if (raft_fixture_alive(&r->f, i))
			raft_fixture_kill(&r->f, i);
	} else if (pick < 87) {
		i = below(r, r->n);
		if (!raft_fixture_alive(&r->f, i))
			raft_fixture_revive(&r->f, i);
	} else if (pick < 92) {
		/* A device's usable memory changes. */
		i = below(r, NDEV);
		r->cap[i] = 1000 + rnd(r) % 9000;
		if (r->cap[i] > r->cap_max[i])
			r->cap_max[i] = r->cap[i];
	} else if (pick < 94) {
		if (l >= 0)
			(void)propose(r, (unsigned)l, 1);
	} else {
		/* Election timeouts drawn again. */
		for (i = 0; i < r->n; i++)
			raft_fixture_set_randomized_election_timeout(&r->f, i,
			    1000 + below(r, 1000));
	}
}

/* Verbose: each server's role, term, commit, applied and log terms. */
static void
dump(struct run *r, const char *when)
{
	struct raft		*rf;
	const struct raft_log	*lg;
	raft_index		 idx, n;
	unsigned		 i;

	if (!r->verbose || getenv("FSM_DUMP") == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		rf = raft_fixture_get(&r->f, i);
		lg = &rf->log;
		n = (raft_index)((lg->back + lg->size - lg->front) %
		    (lg->size ? lg->size : 1));
		(void)printf("#  %s t=%llu node %u%s state %d term %llu commit "
		    "%llu applied %llu fsm %llu snap %llu log:", when,
		    (unsigned long long)raft_fixture_time(&r->f), i,
		    raft_fixture_alive(&r->f, i) ? "" : " (dead)",
		    raft_state(rf), (unsigned long long)rf->current_term,
		    (unsigned long long)rf->commit_index,
		    (unsigned long long)raft_last_applied(rf),
		    (unsigned long long)ag_fsm_applied(r->node[i]->fsm),
		    (unsigned long long)lg->snapshot.last_index);
		for (idx = 0; idx < n; idx++) {
			const struct raft_entry *e = &lg->entries[(lg->front +
			    idx) % lg->size];

			(void)printf(" %llu:%llu/%u",
			    (unsigned long long)(lg->offset + idx + 1),
			    (unsigned long long)e->term, e->type);
		}
		(void)printf("\n");
	}
}

/* --- healing and the final checks ------------------------------------------ */

struct barrier {
	struct raft_barrier	 req;
	int			 done, status;
};

static void
barrier_cb(struct raft_barrier *req, int status)
{
	struct barrier	*b = req->data;

	b->done = 1;
	b->status = status;
}

static bool
barrier_done(struct raft_fixture *f, void *arg)
{
	return ((struct barrier *)arg)->done != 0 ||
	    ((struct run *)(void *)f)->cut_short;
}

static bool
all_applied(struct raft_fixture *f, void *arg)
{
	struct run	*r = arg;
	raft_index	 want;
	unsigned	 i;
	int		 l = leader(r);

	if (r->cut_short)
		return true;
	if (l < 0)
		return false;
	want = raft_last_applied(raft_fixture_get(f, (unsigned)l));
	for (i = 0; i < r->n; i++)
		if (raft_last_applied(raft_fixture_get(f, i)) != want)
			return false;
	return true;
}

/* Heals everything and steps until every node applied the whole log. */
static int
converge(struct run *r, struct barrier *bs, int nb)
{
	unsigned	i;
	int		try, l;

	for (i = 0; i < r->n; i++)
		if (!raft_fixture_alive(&r->f, i))
			raft_fixture_revive(&r->f, i);
	heal_net(r);
	for (try = 0; try < nb && !r->cut_short; try++) {
		if (!raft_fixture_step_until_has_leader(&r->f, 30000) ||
		    (l = leader(r)) < 0)
			continue;
		bs[try].req.data = &bs[try];
		if (raft_barrier(raft_fixture_get(&r->f, (unsigned)l),
		    &bs[try].req, barrier_cb) != 0) {
			bs[try].done = 1;
			continue;
		}
		if (!raft_fixture_step_until(&r->f, barrier_done, &bs[try],
		    30000) || bs[try].status != 0)
			continue;
		if (leader(r) >= 0 && raft_fixture_step_until(&r->f,
		    all_applied, r, 30000))
			return 0;
	}
	return -1;
}

static void
final_checks(struct run *r)
{
	struct raft_buffer	s0, s;
	char			err[192];
	unsigned		i;
	uint64_t		id;

	if (ag_fsm_snapshot(r->node[0]->fsm, &s0, err, sizeof err) != 0) {
		violation(r, "snapshot: %s", err);
		return;
	}
	for (i = 0; i < r->n; i++) {
		const struct ag_fsm *fsm = r->node[i]->fsm;

		for (id = 1; id <= r->max_id && id <= MAX_HIST; id++) {
			if (r->acked[id] && !r->released[id] &&
			    ag_fsm_find(fsm, id) == NULL)
				violation(r, "node %u: acknowledged placement "
				    "%llu missing", i, (unsigned long long)id);
			if (r->released[id] && ag_fsm_find(fsm, id) != NULL)
				violation(r, "node %u: released %llu is back",
				    i, (unsigned long long)id);
			if ((r->live_epoch[id] != 0) !=
			    (ag_fsm_find(fsm, id) != NULL))
				violation(r, "node %u: placement %llu differs "
				    "from the history", i,
				    (unsigned long long)id);
		}
		if (i == 0)
			continue;
		if (ag_fsm_snapshot(fsm, &s, err, sizeof err) != 0) {
			violation(r, "snapshot: %s", err);
			break;
		}
		if (s.len != s0.len || memcmp(s.base, s0.base, s.len) != 0)
			violation(r, "node %u's state differs from node 0's",
			    i);
		raft_free(s.base);
	}
	raft_free(s0.base);
}

/* --- one run ----------------------------------------------------------------- */

static void
setup(struct run *r)
{
	struct raft_configuration	conf;
	struct raft			*rf;
	unsigned			 i, threshold;
	int				 d;

	assert_int_equal(raft_fixture_initialize(&r->f), 0);
	for (i = 0; i < r->n; i++) {
		struct node *nd = calloc(1, sizeof *nd);

		assert_non_null(nd);
		assert_non_null(nd->fsm = ag_fsm_new(MAXP));
		ag_fsm_raft(nd->fsm, &nd->inner);
		nd->outer = nd->inner;
		nd->outer.data = nd;
		nd->outer.apply = node_apply;
		nd->outer.snapshot = node_snapshot;
		nd->outer.restore = node_restore;
		nd->run = r;
		nd->idx = i;
		r->node[i] = nd;
		assert_int_equal(raft_fixture_grow(&r->f, &nd->outer), 0);
		nd->truncate = r->f.servers[i].io.truncate;
		r->f.servers[i].io.truncate = io_truncate;
		nd->snapshot_put = r->f.servers[i].io.snapshot_put;
		r->f.servers[i].io.snapshot_put = io_snapshot_put;
	}
	raft_configuration_init(&conf);
	assert_int_equal(raft_fixture_configuration(&r->f, r->n, &conf), 0);
	assert_int_equal(raft_fixture_bootstrap(&r->f, &conf), 0);
	raft_configuration_close(&conf);
	threshold = 2 + below(r, 7);
	for (i = 0; i < r->n; i++) {
		rf = raft_fixture_get(&r->f, i);
		raft_set_pre_vote(rf, true);
		raft_set_snapshot_threshold(rf, threshold);
		raft_set_snapshot_trailing(rf, TRAILING(threshold));
		raft_fixture_set_randomized_election_timeout(&r->f, i,
		    1000 + below(r, 1000));
		raft_fixture_set_network_latency(&r->f, i, 5 + below(r, 40));
		raft_fixture_set_disk_latency(&r->f, i, 1 + below(r, 20));
	}
	for (d = 0; d < NDEV; d++)
		r->cap[d] = r->cap_max[d] = 1000 + rnd(r) % 9000;
	raft_fixture_hook(&r->f, hook);
	assert_int_equal(raft_fixture_start(&r->f), 0);
}

static void
teardown_run(struct run *r)
{
	unsigned	i;

	raft_fixture_close(&r->f);
	for (i = 0; i < r->n; i++) {
		ag_fsm_free(r->node[i]->fsm);
		free(r->node[i]);
	}
	free(r->term_leader);
}

struct totals {
	unsigned long	runs, acked, refused, unknown, restore, leaders;
	unsigned long	commands, cut_short;
};

static void
one_run(unsigned n, uint64_t seed, int verbose, struct totals *t)
{
	struct run	*r = calloc(1, sizeof *r);
	struct barrier	 bs[8];
	int		 a;

	assert_non_null(r);
	memset(bs, 0, sizeof bs);
	r->n = n;
	r->seed = r->rng = seed;
	r->verbose = verbose;
	setup(r);
	for (a = 0; a < ACTIONS && r->fail[0] == '\0' && !r->cut_short;
	    a++) {
		action(r);
		raft_fixture_step_until_elapsed(&r->f, 10 + below(r, 400));
	}
	if (r->fail[0] == '\0' && !r->cut_short && converge(r, bs, 8) != 0 &&
	    !r->cut_short)
		violation(r, "no convergence after healing");
	dump(r, "healed");
	if (r->fail[0] == '\0' && !r->cut_short)
		final_checks(r);
	if (verbose || r->fail[0] != '\0')
		(void)printf("# %u servers seed %llu%s: %zu commands, %lu "
		    "acknowledged OK, %lu refused, %lu unknown, %lu restores, "
		    "%lu leaders, time %llu ms\n", n,
		    (unsigned long long)seed, r->cut_short ? " (cut short by "
		    "the fixture's truncate)" : "", r->nhist, r->nacked, r->nrefused,
		    r->nunknown, r->nrestore, r->nleaders,
		    (unsigned long long)raft_fixture_time(&r->f));
	t->runs++;
	t->acked += r->nacked;
	t->refused += r->nrefused;
	t->unknown += r->nunknown;
	t->restore += r->nrestore;
	t->leaders += r->nleaders;
	t->commands += r->nhist;
	t->cut_short += (unsigned long)r->cut_short;
	teardown_run(r);
	if (r->fail[0] != '\0') {
		char	msg[300];

		(void)snprintf(msg, sizeof msg, "%s (FSM_SEED=%llu)", r->fail,
		    (unsigned long long)seed);
		free(r);
		fail_msg("%u servers: %s", n, msg);
	}
	free(r);
}

static void
cluster(unsigned n, unsigned runs)
{
	struct totals	 t;
	const char	*s = getenv("FSM_SEED"), *k = getenv("FSM_SOAK");
	unsigned	 i, soak = k != NULL ? (unsigned)atoi(k) : 1;
	clock_t		 t0 = clock();

	memset(&t, 0, sizeof t);
	if (s != NULL) {
		one_run(n, strtoull(s, NULL, 10), 1, &t);
		return;
	}
	if (soak < 1)
		soak = 1;
	for (i = 0; i < runs * soak; i++)
		one_run(n, (uint64_t)n * 1000003u + i, 0, &t);
	(void)printf("# %u servers: %lu runs, %lu commands applied, %lu "
	    "acknowledged OK, %lu refused by the rules, %lu outcome unknown, "
	    "%lu snapshot restores, %lu leaders, %lu runs cut short; %.1f s "
	    "CPU\n", n, t.runs, t.commands, t.acked, t.refused, t.unknown,
	    t.restore, t.leaders, t.cut_short,
	    (double)(clock() - t0) / CLOCKS_PER_SEC);
	/* The schedules must exercise what they claim to. */
	assert_true(t.acked > t.runs * 3);
	assert_true(t.refused > t.runs / 4);
	assert_true(t.unknown > 0);
	assert_true(t.restore > 0);
	assert_true(t.leaders > t.runs + t.runs / 2);
	assert_true(t.cut_short < t.runs / 20);
}

static void
test_three(void **state)
{
	(void)state;
	cluster(3, RUNS_3);
}

static void
test_five(void **state)
{
	(void)state;
	cluster(5, RUNS_5);
}

/* A live leader other than *arg. */
static bool
other_leader(struct raft_fixture *f, void *arg)
{
	int	l = leader((struct run *)(void *)f);

	return l >= 0 && l != *(int *)arg;
}

/*
 * A new leader can lack a placement that the previous leader
 * acknowledged: the entry is on a majority, but only the old leader knew
 * it was committed, and raft commits it for the others only together
 * with an entry of the new leader's term.  Only once a barrier of its
 * term is applied does the new leader's state hold it - the rule
 * ag_raft.c follows before a leader answers from its state (a release
 * answered 404 for an acknowledged placement in the Jepsen run, CI of
 * 2026-12-05).  Deterministic: one schedule of the fixture.
 */
static void
test_new_leader_catches_up(void **state)
{
	struct run		*r = calloc(1, sizeof *r);
	struct raft		*rf;
	struct ag_fsm_cmd	 c;
	struct raft_buffer	 b;
	struct prop		*p;
	struct barrier		 bar;
	char			 err[192];
	uint64_t		 id;
	int			 l, l2;

	(void)state;
	assert_non_null(r);
	r->n = 3;
	r->seed = r->rng = 7;
	setup(r);
	assert_true(raft_fixture_step_until_has_leader(&r->f, 30000));
	l = leader(r);
	assert_true(l >= 0);
	rf = raft_fixture_get(&r->f, (unsigned)l);
	/* The leader's first barrier: everything before is applied. */
	memset(&bar, 0, sizeof bar);
	bar.req.data = &bar;
	assert_int_equal(raft_barrier(rf, &bar.req, barrier_cb), 0);
	assert_true(raft_fixture_step_until(&r->f, barrier_done, &bar, 30000));
	assert_int_equal(bar.status, 0);
	raft_fixture_step_until_elapsed(&r->f, 500);
	/* One PLACE, stepped until the leader acknowledges it. */
	random_stages(r, &c, rf->current_term, 0, 0);
	assert_int_equal(ag_fsm_cmd_encode(&c, &b, err, sizeof err), 0);
	assert_non_null(p = calloc(1, sizeof *p));
	p->req.data = p;
	p->run = r;
	p->idx = (unsigned)l;
	p->op = (int)c.op;
	assert_int_equal(raft_apply(rf, &p->req, &b, 1, applied_cb), 0);
	r->pending++;
	while (r->pending > 0)
		raft_fixture_step(&r->f);
	assert_int_equal(r->nacked, 1);
	id = ag_fsm_next_id(r->node[l]->fsm) - 1;
	assert_true(r->acked[id]);
	/* The leader dies before the others learn of the commit. */
	raft_fixture_kill(&r->f, (unsigned)l);
	assert_true(raft_fixture_step_until(&r->f, other_leader, &l, 30000));
	l2 = leader(r);
	assert_true(l2 >= 0 && l2 != l);
	assert_null(ag_fsm_find(r->node[l2]->fsm, id));
	/* Its barrier applied, the new leader holds the placement. */
	memset(&bar, 0, sizeof bar);
	bar.req.data = &bar;
	assert_int_equal(raft_barrier(raft_fixture_get(&r->f, (unsigned)l2),
	    &bar.req, barrier_cb), 0);
	assert_true(raft_fixture_step_until(&r->f, barrier_done, &bar, 30000));
	assert_int_equal(bar.status, 0);
	assert_non_null(ag_fsm_find(r->node[l2]->fsm, id));
	assert_string_equal(r->fail, "");
	teardown_run(r);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_leader_catches_up),
		cmocka_unit_test(test_three),
		cmocka_unit_test(test_five),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
