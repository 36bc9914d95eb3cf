/*
 * ag_fsm_sec.c - the trust half of the replicated state machine: token
 * revocations, the node deny list and each node's newest audit anchor.
 *
 * These used to be gossiped (revocations) or did not exist (deny list,
 * anchors); a member could then fill every node's list with junk or keep
 * different subsets on different nodes.  In the log they are decided once
 * and identically everywhere, by the same deterministic apply as the
 * placements (ag_fsm.c), with the same bounded CBOR for commands and
 * snapshots.  Three sorted tables with binary search: revocations by id,
 * denied nodes and anchors by node id.  Rules are in ag_fsm.h.
 *
 * Command keys used here (keys 1 op and 2 term are ag_fsm.c's):
 *   7 now (uint), 8 subject (bstr token id for REVOKE, text node id
 *   otherwise), 9 expires (REVOKE) or seq (ANCHOR), 10 text (the ANCHOR's
 *   checkpoint line, DENY's note; omitted when empty).
 */
#include "ag_fsm_int.h"

#include "sec_cbor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
ag_fsm_is_sec_op(int op)
{
	return op >= AG_FSM_OP_REVOKE && op <= AG_FSM_OP_ANCHOR;
}

/* --- tables ---------------------------------------------------------------- */

void
ag_fsm_sec_free(struct ag_fsm_sec *s)
{
	free(s->rv);
	free(s->dn);
	free(s->an);
	memset(s, 0, sizeof *s);
}

static int
grow(void **p, size_t *cap, size_t n, size_t size)
{
	void	*q;
	size_t	 c;

	if (n <= *cap)
		return 0;
	c = *cap ? *cap * 2 : 8;
	if ((q = realloc(*p, c * size)) == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

int
ag_fsm_sec_reserve(struct ag_fsm_sec *s)
{
	if (grow((void **)&s->rv, &s->rvcap, s->nrv + 1, sizeof *s->rv) != 0 ||
	    grow((void **)&s->dn, &s->dncap, s->ndn + 1, sizeof *s->dn) != 0 ||
	    grow((void **)&s->an, &s->ancap, s->nan + 1, sizeof *s->an) != 0)
		return -1;
	return 0;
}

/*
 * Binary search over n entries of size bytes whose key is a string (or
 * fixed bytes when klen > 0) at offset 0.  Returns the slot; *found says
 * whether it holds key.
 */
size_t
ag_fsm_slot(const void *base, size_t n, size_t size, const void *key,
    size_t klen, int *found)
{
	size_t	lo = 0, hi = n, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = klen ? memcmp((const char *)base + mid * size, key, klen) :
		    strcmp((const char *)base + mid * size, key);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Opens a hole at i in an array of n entries (room reserved). */
static void
hole(void *base, size_t n, size_t size, size_t i)
{
	memmove((char *)base + (i + 1) * size, (char *)base + i * size,
	    (n - i) * size);
}

static void
close_gap(void *base, size_t n, size_t size, size_t i)
{
	memmove((char *)base + i * size, (char *)base + (i + 1) * size,
	    (n - i - 1) * size);
}

/* --- commands -------------------------------------------------------------- */

static int
has_text(const struct ag_fsm_cmd *c)
{
	return (c->op == AG_FSM_OP_DENY || c->op == AG_FSM_OP_ANCHOR) &&
	    c->text[0] != '\0';
}

uint64_t
ag_fsm_sec_pairs(const struct ag_fsm_cmd *c)
{
	/* op, term, now, subject; then expires/seq; then text. */
	return 4 + (c->op == AG_FSM_OP_REVOKE || c->op == AG_FSM_OP_ANCHOR) +
	    has_text(c);
}

void
ag_fsm_sec_write_cmd(struct sec_cbor_writer *w, const struct ag_fsm_cmd *c)
{
	(void)sec_cbor_write_uint(w, 7);
	(void)sec_cbor_write_uint(w, (uint64_t)c->now);
	(void)sec_cbor_write_uint(w, 8);
	if (c->op == AG_FSM_OP_REVOKE)
		(void)sec_cbor_write_bytes(w, c->token_id,
		    sizeof c->token_id);
	else
		(void)sec_cbor_write_text(w, c->node, strlen(c->node));
	if (c->op == AG_FSM_OP_REVOKE || c->op == AG_FSM_OP_ANCHOR) {
		(void)sec_cbor_write_uint(w, 9);
		(void)sec_cbor_write_uint(w, c->op == AG_FSM_OP_REVOKE ?
		    (uint64_t)c->expires : c->seq);
	}
	if (has_text(c)) {
		(void)sec_cbor_write_uint(w, 10);
		(void)sec_cbor_write_text(w, c->text, strlen(c->text));
	}
}

static int
read_time(struct sec_cbor_reader *r, int64_t *out)
{
	uint64_t	v;

	if (sec_cbor_read_uint(r, &v) != 0 || v > (uint64_t)INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
ag_fsm_sec_read_key(struct sec_cbor_reader *r, uint64_t key,
    struct ag_fsm_cmd *c)
{
	const uint8_t	*b;
	size_t		 len;

	switch (key) {
	case 7:
		return read_time(r, &c->now);
	case 8:
		if (c->op != AG_FSM_OP_REVOKE)
			return sec_cbor_read_cstr(r, c->node, sizeof c->node);
		if (sec_cbor_read_bytes(r, &b, &len) != 0 ||
		    len != sizeof c->token_id)
			return -1;
		memcpy(c->token_id, b, len);
		return 0;
	case 9:
		if (c->op == AG_FSM_OP_REVOKE)
			return read_time(r, &c->expires);
		return sec_cbor_read_uint(r, &c->seq);
	case 10:
		return sec_cbor_read_cstr(r, c->text, sizeof c->text);
	}
	return -1;
}

int
ag_fsm_sec_check(const struct ag_fsm_cmd *c, char *err, size_t errlen)
{
	static const uint8_t	zero[AG_FSM_TOKEN_ID_LEN];

	if (c->now <= 0) {
		ag_fsm_fail(err, errlen, "%s", "command: no time");
		return -1;
	}
	switch (c->op) {
	case AG_FSM_OP_REVOKE:
		if (c->expires <= 0 || c->text[0] != '\0' ||
		    memcmp(c->token_id, zero, sizeof zero) == 0) {
			ag_fsm_fail(err, errlen, "%s", "revoke: no token id or "
			    "expiry");
			return -1;
		}
		return 0;
	case AG_FSM_OP_ANCHOR:
		if (c->seq == 0 || c->text[0] == '\0') {
			ag_fsm_fail(err, errlen, "%s", "anchor: no seq or "
			    "line");
			return -1;
		}
		/* FALLTHROUGH */
	case AG_FSM_OP_DENY:
	case AG_FSM_OP_ALLOW:
		if (!sec_node_id_valid(c->node)) {
			ag_fsm_fail(err, errlen, "%s", "command: not a node "
			    "id");
			return -1;
		}
		if (c->op == AG_FSM_OP_ALLOW && c->text[0] != '\0') {
			ag_fsm_fail(err, errlen, "%s", "allow: takes no text");
			return -1;
		}
		return 0;
	default:
		break;
	}
	ag_fsm_fail(err, errlen, "%s", "command: unknown operation");
	return -1;
}

/* --- apply ----------------------------------------------------------------- */

/* Drops revocations that expired before the clock. */
static void
expire(struct ag_fsm_sec *s)
{
	size_t	i, k = 0;

	for (i = 0; i < s->nrv; i++)
		if (s->rv[i].expires >= s->clock)
			s->rv[k++] = s->rv[i];
	s->nrv = k;
}

static void
do_revoke(struct ag_fsm_sec *s, const struct ag_fsm_cmd *c,
    struct ag_fsm_result *r)
{
	int64_t	exp = c->expires;
	size_t	i;
	int	found;

	if (exp > s->clock + AG_FSM_REVOKE_HORIZON)
		exp = s->clock + AG_FSM_REVOKE_HORIZON;
	expire(s);
	i = ag_fsm_slot(s->rv, s->nrv, sizeof *s->rv, c->token_id,
	    sizeof c->token_id, &found);
	if (found) {
		if (exp > s->rv[i].expires)
			s->rv[i].expires = exp;
		return;
	}
	if (exp < s->clock)
		return;		/* expired already: nothing to refuse */
	if (s->nrv >= AG_FSM_MAX_REVOKED) {
		r->status = AG_FSM_FULL;
		ag_fsm_fail(r->why, sizeof r->why, "%d live revocations "
		    "already; they leave the list as their tokens expire",
		    AG_FSM_MAX_REVOKED);
		return;
	}
	hole(s->rv, s->nrv, sizeof *s->rv, i);
	memcpy(s->rv[i].id, c->token_id, sizeof s->rv[i].id);
	s->rv[i].expires = exp;
	s->nrv++;
}

static void
do_deny(struct ag_fsm_sec *s, const struct ag_fsm_cmd *c,
    struct ag_fsm_result *r)
{
	size_t	i;
	int	found;

	i = ag_fsm_slot(s->dn, s->ndn, sizeof *s->dn, c->node, 0, &found);
	if (c->op == AG_FSM_OP_ALLOW) {
		if (!found) {
			r->status = AG_FSM_NOTFOUND;
			ag_fsm_fail(r->why, sizeof r->why, "node %s is not "
			    "denied", c->node);
		} else
			close_gap(s->dn, s->ndn--, sizeof *s->dn, i);
		return;
	}
	if (found)
		return;		/* denied already; the first note stays */
	if (s->ndn >= AG_FSM_MAX_DENIED) {
		r->status = AG_FSM_FULL;
		ag_fsm_fail(r->why, sizeof r->why, "%d nodes denied already; "
		    "rotate the CA instead", AG_FSM_MAX_DENIED);
		return;
	}
	hole(s->dn, s->ndn, sizeof *s->dn, i);
	memset(&s->dn[i], 0, sizeof s->dn[i]);
	(void)snprintf(s->dn[i].node, sizeof s->dn[i].node, "%s", c->node);
	(void)snprintf(s->dn[i].note, sizeof s->dn[i].note, "%s", c->text);
	s->dn[i].since = c->now;
	s->ndn++;
}

static void
do_anchor(struct ag_fsm_sec *s, const struct ag_fsm_cmd *c,
    struct ag_fsm_result *r)
{
	struct ag_fsm_anchor	*a;
	size_t			 i;
	int			 found;

	i = ag_fsm_slot(s->an, s->nan, sizeof *s->an, c->node, 0, &found);
	if (found && s->an[i].seq >= c->seq) {
		r->status = AG_FSM_STALE;
		ag_fsm_fail(r->why, sizeof r->why, "node %s: anchor seq %llu "
		    "is not above the committed %llu", c->node,
		    (unsigned long long)c->seq,
		    (unsigned long long)s->an[i].seq);
		return;
	}
	if (!found) {
		if (s->nan >= AG_FSM_MAX_ANCHORS) {
			r->status = AG_FSM_FULL;
			ag_fsm_fail(r->why, sizeof r->why, "%d nodes anchored "
			    "already", AG_FSM_MAX_ANCHORS);
			return;
		}
		hole(s->an, s->nan, sizeof *s->an, i);
		s->nan++;
	}
	a = &s->an[i];
	memset(a, 0, sizeof *a);
	(void)snprintf(a->node, sizeof a->node, "%s", c->node);
	(void)snprintf(a->line, sizeof a->line, "%s", c->text);
	a->seq = c->seq;
	a->time = c->now;
}

void
ag_fsm_sec_apply(struct ag_fsm_sec *s, const struct ag_fsm_cmd *c,
    struct ag_fsm_result *r)
{
	if (c->now > s->clock)
		s->clock = c->now;
	switch (c->op) {
	case AG_FSM_OP_REVOKE:
		do_revoke(s, c, r);
		break;
	case AG_FSM_OP_DENY:
	case AG_FSM_OP_ALLOW:
		do_deny(s, c, r);
		break;
	case AG_FSM_OP_ANCHOR:
		do_anchor(s, c, r);
		r->id = c->seq;
		break;
	default:
		break;
	}
}

/* --- snapshot -------------------------------------------------------------- */

size_t
ag_fsm_sec_snap_bytes(void)
{
	return 64 + AG_FSM_MAX_REVOKED * (AG_FSM_TOKEN_ID_LEN + 16) +
	    AG_FSM_MAX_DENIED * (SEC_NODE_ID_SIZE + AG_FSM_TEXT_MAX + 24) +
	    AG_FSM_MAX_ANCHORS * (SEC_NODE_ID_SIZE + AG_FSM_ANCHOR_MAX + 32);
}

size_t
ag_fsm_sec_snap_items(void)
{
	return 16 + AG_FSM_MAX_REVOKED * 3 + AG_FSM_MAX_DENIED * 4 +
	    AG_FSM_MAX_ANCHORS * 5;
}

/* {1 clock, 2 [[id, expires]], 3 [[node, since, note]], 4 [[node, seq,
 * time, line]]} */
void
ag_fsm_sec_snap_write(struct sec_cbor_writer *w, const struct ag_fsm_sec *s)
{
	size_t	i;

	(void)sec_cbor_write_map(w, 4);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_uint(w, (uint64_t)s->clock);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_array(w, s->nrv);
	for (i = 0; i < s->nrv; i++) {
		(void)sec_cbor_write_array(w, 2);
		(void)sec_cbor_write_bytes(w, s->rv[i].id,
		    sizeof s->rv[i].id);
		(void)sec_cbor_write_uint(w, (uint64_t)s->rv[i].expires);
	}
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_array(w, s->ndn);
	for (i = 0; i < s->ndn; i++) {
		(void)sec_cbor_write_array(w, 3);
		(void)sec_cbor_write_text(w, s->dn[i].node,
		    strlen(s->dn[i].node));
		(void)sec_cbor_write_uint(w, (uint64_t)s->dn[i].since);
		(void)sec_cbor_write_text(w, s->dn[i].note,
		    strlen(s->dn[i].note));
	}
	(void)sec_cbor_write_uint(w, 4);
	(void)sec_cbor_write_array(w, s->nan);
	for (i = 0; i < s->nan; i++) {
		(void)sec_cbor_write_array(w, 4);
		(void)sec_cbor_write_text(w, s->an[i].node,
		    strlen(s->an[i].node));
		(void)sec_cbor_write_uint(w, s->an[i].seq);
		(void)sec_cbor_write_uint(w, (uint64_t)s->an[i].time);
		(void)sec_cbor_write_text(w, s->an[i].line,
		    strlen(s->an[i].line));
	}
}

/* An array header of at most max entries, with the tables' room for it. */
static int
table(struct sec_cbor_reader *r, void **p, size_t *cap, size_t size,
    size_t max, uint64_t *n)
{
	return sec_cbor_read_array(r, n) != 0 || *n > max ||
	    grow(p, cap, (size_t)*n, size) != 0 ? -1 : 0;
}

static int
snap_revoked(struct sec_cbor_reader *r, struct ag_fsm_sec *s)
{
	const uint8_t	*b;
	size_t		 len;
	uint64_t	 n, two, i;

	if (table(r, (void **)&s->rv, &s->rvcap, sizeof *s->rv,
	    AG_FSM_MAX_REVOKED, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (sec_cbor_read_array(r, &two) != 0 || two != 2 ||
		    sec_cbor_read_bytes(r, &b, &len) != 0 ||
		    len != AG_FSM_TOKEN_ID_LEN ||
		    read_time(r, &s->rv[i].expires) != 0)
			return -1;
		memcpy(s->rv[i].id, b, len);
		if (i > 0 && memcmp(s->rv[i - 1].id, b, len) >= 0)
			return -1;
		s->nrv = (size_t)i + 1;
	}
	return 0;
}

static int
snap_denied(struct sec_cbor_reader *r, struct ag_fsm_sec *s)
{
	struct ag_fsm_denied	*d;
	uint64_t		 n, three, i;

	if (table(r, (void **)&s->dn, &s->dncap, sizeof *s->dn,
	    AG_FSM_MAX_DENIED, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		d = &s->dn[i];
		memset(d, 0, sizeof *d);
		if (sec_cbor_read_array(r, &three) != 0 || three != 3 ||
		    sec_cbor_read_cstr(r, d->node, sizeof d->node) != 0 ||
		    !sec_node_id_valid(d->node) ||
		    read_time(r, &d->since) != 0 ||
		    sec_cbor_read_cstr(r, d->note, sizeof d->note) != 0)
			return -1;
		if (i > 0 && strcmp(s->dn[i - 1].node, d->node) >= 0)
			return -1;
		s->ndn = (size_t)i + 1;
	}
	return 0;
}

static int
snap_anchors(struct sec_cbor_reader *r, struct ag_fsm_sec *s)
{
	struct ag_fsm_anchor	*a;
	uint64_t		 n, four, i;

	if (table(r, (void **)&s->an, &s->ancap, sizeof *s->an,
	    AG_FSM_MAX_ANCHORS, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		a = &s->an[i];
		memset(a, 0, sizeof *a);
		if (sec_cbor_read_array(r, &four) != 0 || four != 4 ||
		    sec_cbor_read_cstr(r, a->node, sizeof a->node) != 0 ||
		    !sec_node_id_valid(a->node) ||
		    sec_cbor_read_uint(r, &a->seq) != 0 || a->seq == 0 ||
		    read_time(r, &a->time) != 0 ||
		    sec_cbor_read_cstr(r, a->line, sizeof a->line) != 0 ||
		    a->line[0] == '\0')
			return -1;
		if (i > 0 && strcmp(s->an[i - 1].node, a->node) >= 0)
			return -1;
		s->nan = (size_t)i + 1;
	}
	return 0;
}

int
ag_fsm_sec_snap_read(struct sec_cbor_reader *r, struct ag_fsm_sec *s,
    char *err, size_t errlen)
{
	uint64_t	pairs, key;
	int		i;

	if (sec_cbor_read_map(r, &pairs) != 0 || pairs != 4)
		goto bad;
	for (i = 1; i <= 4; i++)
		if (sec_cbor_read_uint(r, &key) != 0 || key != (uint64_t)i ||
		    (i == 1 && read_time(r, &s->clock) != 0) ||
		    (i == 2 && snap_revoked(r, s) != 0) ||
		    (i == 3 && snap_denied(r, s) != 0) ||
		    (i == 4 && snap_anchors(r, s) != 0))
			goto bad;
	return 0;
bad:
	ag_fsm_fail(err, errlen, "snapshot: bad trust state%s%s",
	    r->error ? ": " : "", r->error ? sec_cbor_reader_msg(r) : "");
	return -1;
}

/* --- queries --------------------------------------------------------------- */

int
ag_fsm_is_revoked(const struct ag_fsm *f, const uint8_t *id, size_t len)
{
	const struct ag_fsm_sec	*s = ag_fsm_sec_of(f);
	int			 found;

	if (len != AG_FSM_TOKEN_ID_LEN)
		return 0;
	(void)ag_fsm_slot(s->rv, s->nrv, sizeof *s->rv, id, len, &found);
	return found;
}

size_t
ag_fsm_revoked_count(const struct ag_fsm *f)
{
	return ag_fsm_sec_of(f)->nrv;
}

const struct ag_fsm_revoked *
ag_fsm_revoked_at(const struct ag_fsm *f, size_t i)
{
	const struct ag_fsm_sec	*s = ag_fsm_sec_of(f);

	return i < s->nrv ? &s->rv[i] : NULL;
}

int
ag_fsm_is_denied(const struct ag_fsm *f, const char *node)
{
	const struct ag_fsm_sec	*s = ag_fsm_sec_of(f);
	int			 found;

	(void)ag_fsm_slot(s->dn, s->ndn, sizeof *s->dn, node, 0, &found);
	return found;
}

size_t
ag_fsm_denied_count(const struct ag_fsm *f)
{
	return ag_fsm_sec_of(f)->ndn;
}

const struct ag_fsm_denied *
ag_fsm_denied_at(const struct ag_fsm *f, size_t i)
{
	const struct ag_fsm_sec	*s = ag_fsm_sec_of(f);

	return i < s->ndn ? &s->dn[i] : NULL;
}

const struct ag_fsm_anchor *
ag_fsm_anchor_of(const struct ag_fsm *f, const char *node)
{
	const struct ag_fsm_sec	*s = ag_fsm_sec_of(f);
	size_t			 i;
	int			 found;

	i = ag_fsm_slot(s->an, s->nan, sizeof *s->an, node, 0, &found);
	return found ? &s->an[i] : NULL;
}

size_t
ag_fsm_anchor_count(const struct ag_fsm *f)
{
	return ag_fsm_sec_of(f)->nan;
}

const struct ag_fsm_anchor *
ag_fsm_anchor_at(const struct ag_fsm *f, size_t i)
{
	const struct ag_fsm_sec	*s = ag_fsm_sec_of(f);

	return i < s->nan ? &s->an[i] : NULL;
}

int64_t
ag_fsm_clock(const struct ag_fsm *f)
{
	return ag_fsm_sec_of(f)->clock;
}
