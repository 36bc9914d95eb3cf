/*
 * ag_fsm.c - the cluster's replicated state machine; see ag_fsm.h.
 *
 * State: the live placements in id order (a growable array, at most
 * max_placements), the next id, the count of applied commands, and one
 * entry per device that live stages sit on (capacity as last stated, bytes
 * booked, stages there), sorted by device name.  A device with no live
 * stage has no entry: its capacity matters again only when a command names
 * it, and every such command states it.  So the device map is bounded by
 * max_placements * AG_PLACE_STAGES and the invariant is simple: on every
 * device in the map, booked <= capacity.
 *
 * Encodings are canonical: a decoder re-encodes what it decoded and
 * refuses the input unless the bytes are identical.  That makes "the
 * decoder refuses what the encoder would not write" true by construction
 * (unknown keys, other key orders, non-zero ignored fields, lossy values
 * are all refused), whatever the placement codec underneath accepts, and
 * it gives the fuzz harness an exact round-trip property.  The encoders
 * in turn decode their own output before handing it out.
 *
 * Command: {1 op, 2 term, 3 id, 4 expect epoch, 5 placement, 6 capacities
 * [[device, bytes]...]} - 3 for RELEASE and REPLAN, 4 for REPLAN, 5 and 6
 * for PLACE and REPLAN.  The placement is a byte string holding
 * ag_place_encode() of a one-element list, with id, term and epoch 0.
 *
 * Snapshot: {1 format (1), 2 next id, 3 applied, 4 [placement...] in id
 * order (byte strings as above, with their id, term and epoch), 5
 * [[device, capacity]...] sorted by device}.  Bookings are not stored:
 * restore recomputes them from the stages and checks them against the
 * capacities.
 *
 * Apply never fails halfway: it makes room in the arrays first (the only
 * thing that can fail, and then nothing has changed), then checks the
 * rules, then mutates.
 */
#include "ag_fsm_int.h"

#include "sec_cbor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP_FORMAT	2	/* 1: no trust state (key 6), still read */

struct dev {
	char		device[96];
	uint64_t	capacity;
	uint64_t	booked;
	uint64_t	nstages;
};

struct state {
	struct ag_placement	*p;
	size_t			 n, pcap;
	struct dev		*d;
	size_t			 nd, dcap;
	uint64_t		 next_id;
	uint64_t		 applied;
	struct ag_fsm_sec	 sec;	/* ag_fsm_sec.c */
};

struct ag_fsm {
	size_t			max;
	struct state		s;
	struct ag_fsm_result	res;
	struct ag_fsm_cmd	cmd;	/* apply's scratch */
};

static const struct sec_cbor_limits cmd_limits = {
	AG_FSM_MAX_CMD, 3, 256, AG_PLACE_BYTES, AG_PLACE_STAGES,
	SEC_CBOR_F_DETERMINISTIC,
};

/* --- helpers --------------------------------------------------------------- */

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

void
ag_fsm_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Sum of p's stage memory on device; 0 if p is NULL. */
static uint64_t
stage_bytes(const struct ag_placement *p, const char *device)
{
	uint64_t	sum = 0;
	int		i;

	for (i = 0; p != NULL && i < p->nstages; i++)
		if (strcmp(p->stages[i].device, device) == 0)
			sum += p->stages[i].memory_bytes;
	return sum;
}

/*
 * Is p a placement apply can book: a model, 1..AG_PLACE_STAGES stages on
 * named devices with layer ranges inside the model, strings terminated,
 * total memory without overflow?
 */
static int
place_check(const struct ag_placement *p, char *err, size_t errlen)
{
	uint64_t	total = 0;
	int		i;

	if (!terminated(p->model.name, sizeof p->model.name) ||
	    p->model.name[0] == '\0' || p->model.layers == 0 ||
	    p->model.layers > PL_MAX_LAYERS) {
		ag_fsm_fail(err, errlen, "%s: no model (name and layers)",
		    "placement");
		return -1;
	}
	if (p->nstages < 1 || p->nstages > AG_PLACE_STAGES) {
		ag_fsm_fail(err, errlen, "placement: %s", "1 to 16 stages "
		    "expected");
		return -1;
	}
	for (i = 0; i < p->nstages; i++) {
		const struct ag_stage *s = &p->stages[i];

		if (!terminated(s->device, sizeof s->device) ||
		    s->device[0] == '\0' ||
		    !terminated(s->node, sizeof s->node) ||
		    s->layer_end <= s->layer_start ||
		    s->layer_end > p->model.layers ||
		    s->memory_bytes > UINT64_MAX - total) {
			ag_fsm_fail(err, errlen, "placement: bad stage (%s)",
			    "device, layers or memory");
			return -1;
		}
		total += s->memory_bytes;
	}
	if (p->nselectors < 0 || p->nselectors > AG_PLACE_SELECTORS ||
	    !terminated(p->tenant, sizeof p->tenant) ||
	    !terminated(p->token_id, sizeof p->token_id)) {
		ag_fsm_fail(err, errlen, "placement: bad %s", "tenant or "
		    "selectors");
		return -1;
	}
	for (i = 0; i < p->nselectors; i++)
		if (!terminated(p->selectors[i], sizeof p->selectors[i])) {
			ag_fsm_fail(err, errlen, "placement: bad %s",
			    "selector");
			return -1;
		}
	return 0;
}

static int
stage_on(const struct ag_placement *p, const char *device)
{
	int	i;

	for (i = 0; i < p->nstages; i++)
		if (strcmp(p->stages[i].device, device) == 0)
			return 1;
	return 0;
}

/* Exactly one capacity per stage device, none for anything else. */
static int
caps_check(const struct ag_fsm_cmd *c, char *err, size_t errlen)
{
	int	i, k;

	if (c->ncap < 1 || c->ncap > AG_PLACE_STAGES) {
		ag_fsm_fail(err, errlen, "command: %s", "1 to 16 capacities "
		    "expected");
		return -1;
	}
	for (i = 0; i < c->ncap; i++) {
		if (!terminated(c->cap[i].device, sizeof c->cap[i].device) ||
		    !stage_on(&c->place, c->cap[i].device)) {
			ag_fsm_fail(err, errlen, "command: capacity for %s",
			    "a device no stage uses");
			return -1;
		}
		for (k = 0; k < i; k++)
			if (strcmp(c->cap[k].device, c->cap[i].device) == 0) {
				ag_fsm_fail(err, errlen, "command: %s",
				    "two capacities for one device");
				return -1;
			}
	}
	for (i = 0; i < c->place.nstages; i++) {
		for (k = 0; k < c->ncap; k++)
			if (strcmp(c->cap[k].device,
			    c->place.stages[i].device) == 0)
				break;
		if (k == c->ncap) {
			ag_fsm_fail(err, errlen, "command: no capacity for %s",
			    "a stage's device");
			return -1;
		}
	}
	return 0;
}

static int
cmd_check(const struct ag_fsm_cmd *c, char *err, size_t errlen)
{
	if (ag_fsm_is_sec_op(c->op))
		return ag_fsm_sec_check(c, err, errlen);
	switch (c->op) {
	case AG_FSM_OP_RELEASE:
		if (c->id == 0) {
			ag_fsm_fail(err, errlen, "%s: id 0", "release");
			return -1;
		}
		return 0;
	case AG_FSM_OP_REPLAN:
		if (c->id == 0 || c->expect_epoch == 0) {
			ag_fsm_fail(err, errlen, "%s: id and epoch must be > 0",
			    "replan");
			return -1;
		}
		break;
	case AG_FSM_OP_PLACE:
		break;
	default:
		ag_fsm_fail(err, errlen, "command: %s", "unknown operation");
		return -1;
	}
	if (place_check(&c->place, err, errlen) != 0)
		return -1;
	return caps_check(c, err, errlen);
}

/* --- placement bytes ------------------------------------------------------- */

/* p as ag_place_encode of a one-element list into out[AG_PLACE_BYTES]. */
static int
place_put(struct sec_cbor_writer *w, const struct ag_placement *p,
    int stamp)
{
	struct ag_places	*ps;
	uint8_t			*out;
	size_t			 len = 0;
	int			 rc;

	ps = calloc(1, sizeof *ps);
	out = malloc(AG_PLACE_BYTES);
	if (ps == NULL || out == NULL) {
		free(ps);
		free(out);
		w->error = SEC_CBOR_ENOMEM;
		return -1;
	}
	ps->n = 1;
	ps->p[0] = *p;
	if (!stamp)
		ps->p[0].id = ps->p[0].term = ps->p[0].epoch = 0;
	rc = ag_place_encode(ps, out, AG_PLACE_BYTES, &len);
	if (rc != 0) {
		if (w->error == 0)
			w->error = SEC_CBOR_ENOSPC;
	} else
		(void)sec_cbor_write_bytes(w, out, len);
	free(out);
	free(ps);
	return rc;
}

static int
place_get(struct sec_cbor_reader *r, struct ag_placement *out, char *err,
    size_t errlen)
{
	struct ag_places	*ps;
	const uint8_t		*b;
	size_t			 n;
	char			 why[160];
	int			 rc = -1;

	if (sec_cbor_read_bytes(r, &b, &n) != 0) {
		ag_fsm_fail(err, errlen, "%s: not a byte string", "placement");
		return -1;
	}
	if ((ps = calloc(1, sizeof *ps)) == NULL) {
		ag_fsm_fail(err, errlen, "%s: out of memory", "placement");
		return -1;
	}
	if (ag_place_decode(b, n, ps, why, sizeof why) != 0)
		ag_fsm_fail(err, errlen, "%s", why);
	else if (ps->n != 1)
		ag_fsm_fail(err, errlen, "%s: one expected", "placement");
	else {
		*out = ps->p[0];
		rc = 0;
	}
	free(ps);
	return rc;
}

/* --- commands -------------------------------------------------------------- */

static void
cmd_write(struct sec_cbor_writer *w, const struct ag_fsm_cmd *c)
{
	int	i, plan = c->op != AG_FSM_OP_RELEASE;
	int	sec = ag_fsm_is_sec_op(c->op);

	(void)sec_cbor_write_map(w, sec ? ag_fsm_sec_pairs(c) :
	    c->op == AG_FSM_OP_PLACE ? 4 : c->op == AG_FSM_OP_RELEASE ? 3 : 6);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_uint(w, (uint64_t)c->op);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_uint(w, c->term);
	if (sec) {
		ag_fsm_sec_write_cmd(w, c);
		return;
	}
	if (c->op != AG_FSM_OP_PLACE) {
		(void)sec_cbor_write_uint(w, 3);
		(void)sec_cbor_write_uint(w, c->id);
	}
	if (c->op == AG_FSM_OP_REPLAN) {
		(void)sec_cbor_write_uint(w, 4);
		(void)sec_cbor_write_uint(w, c->expect_epoch);
	}
	if (!plan)
		return;
	(void)sec_cbor_write_uint(w, 5);
	(void)place_put(w, &c->place, 0);
	(void)sec_cbor_write_uint(w, 6);
	(void)sec_cbor_write_array(w, (uint64_t)c->ncap);
	for (i = 0; i < c->ncap; i++) {
		(void)sec_cbor_write_array(w, 2);
		(void)sec_cbor_write_cstr(w, c->cap[i].device);
		(void)sec_cbor_write_uint(w, c->cap[i].bytes);
	}
}

static int
caps_get(struct sec_cbor_reader *r, struct ag_fsm_cmd *c)
{
	uint64_t	n, two, i;

	if (sec_cbor_read_array(r, &n) != 0 || n > AG_PLACE_STAGES)
		return -1;
	for (i = 0; i < n; i++)
		if (sec_cbor_read_array(r, &two) != 0 || two != 2 ||
		    sec_cbor_read_cstr(r, c->cap[i].device,
		    sizeof c->cap[i].device) != 0 ||
		    sec_cbor_read_uint(r, &c->cap[i].bytes) != 0)
			return -1;
	c->ncap = (int)n;
	return 0;
}

static int
cmd_read(struct sec_cbor_reader *r, struct ag_fsm_cmd *c, char *err,
    size_t errlen)
{
	uint64_t	pairs, key, v, i;

	if (sec_cbor_read_map(r, &pairs) != 0 || pairs > 6) {
		ag_fsm_fail(err, errlen, "%s: not a map of at most 6",
		    "command");
		return -1;
	}
	for (i = 0; i < pairs; i++) {
		if (sec_cbor_read_uint(r, &key) != 0)
			break;
		switch (key) {
		case 1:
			if (sec_cbor_read_uint(r, &v) != 0 || v > 255)
				goto bad;
			c->op = (enum ag_fsm_op)v;
			break;
		case 2:
			(void)sec_cbor_read_uint(r, &c->term);
			break;
		case 3:
			(void)sec_cbor_read_uint(r, &c->id);
			break;
		case 4:
			(void)sec_cbor_read_uint(r, &c->expect_epoch);
			break;
		case 5:
			if (place_get(r, &c->place, err, errlen) != 0)
				return -1;
			break;
		case 6:
			if (caps_get(r, c) != 0)
				goto bad;
			break;
		case 7: case 8: case 9: case 10:
			if (!ag_fsm_is_sec_op(c->op) ||
			    ag_fsm_sec_read_key(r, key, c) != 0)
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (sec_cbor_reader_done(r) == 0)
		return 0;
bad:
	ag_fsm_fail(err, errlen, "command: malformed%s%s",
		    r->error ? ": " : "", r->error ? sec_cbor_reader_msg(r) :
		    "");
	return -1;
}

/* The canonical bytes of a valid command, into a dynamic writer. */
static int
cmd_bytes(const struct ag_fsm_cmd *c, struct sec_cbor_writer *w)
{
	sec_cbor_writer_dynamic(w, AG_FSM_MAX_CMD);
	cmd_write(w, c);
	return sec_cbor_writer_error(w) == 0 ? 0 : -1;
}

int
ag_fsm_cmd_decode(const uint8_t *buf, size_t len, struct ag_fsm_cmd *c,
    char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	int			same;

	memset(c, 0, sizeof *c);
	if (sec_cbor_reader_init(&r, buf, len, &cmd_limits) != 0) {
		ag_fsm_fail(err, errlen, "command: %s",
		    sec_cbor_reader_msg(&r));
		return -1;
	}
	if (cmd_read(&r, c, err, errlen) != 0 ||
	    cmd_check(c, err, errlen) != 0)
		goto bad;
	if (cmd_bytes(c, &w) != 0) {
		sec_cbor_writer_release(&w);
		ag_fsm_fail(err, errlen, "%s: cannot be re-encoded", "command");
		goto bad;
	}
	same = sec_cbor_writer_len(&w) == len &&
	    memcmp(sec_cbor_writer_data(&w), buf, len) == 0;
	sec_cbor_writer_release(&w);
	if (!same) {
		ag_fsm_fail(err, errlen, "%s: not in canonical form",
		    "command");
		goto bad;
	}
	return 0;
bad:
	memset(c, 0, sizeof *c);
	return -1;
}

int
ag_fsm_cmd_encode(const struct ag_fsm_cmd *c, struct raft_buffer *out,
    char *err, size_t errlen)
{
	struct sec_cbor_writer	 w;
	struct ag_fsm_cmd	*back;
	int			 rc = -1;

	out->base = NULL;
	out->len = 0;
	if (cmd_check(c, err, errlen) != 0)
		return -1;
	if (cmd_bytes(c, &w) != 0) {
		ag_fsm_fail(err, errlen, "command: cannot encode (%s)",
		    sec_cbor_strerror(sec_cbor_writer_error(&w)));
		sec_cbor_writer_release(&w);
		return -1;
	}
	/* What the decoder would refuse is refused here. */
	if ((back = malloc(sizeof *back)) == NULL)
		ag_fsm_fail(err, errlen, "%s: out of memory", "command");
	else if (ag_fsm_cmd_decode(sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), back, err, errlen) != 0)
		;
	else if ((out->base = raft_malloc(sec_cbor_writer_len(&w))) == NULL)
		ag_fsm_fail(err, errlen, "%s: out of memory", "command");
	else {
		out->len = sec_cbor_writer_len(&w);
		memcpy(out->base, sec_cbor_writer_data(&w), out->len);
		rc = 0;
	}
	free(back);
	sec_cbor_writer_release(&w);
	return rc;
}

/* --- state ----------------------------------------------------------------- */

static void
state_free(struct state *s)
{
	free(s->p);
	free(s->d);
	ag_fsm_sec_free(&s->sec);
	memset(s, 0, sizeof *s);
}

/* Room for n placements and nd devices; nothing changes on failure. */
static int
state_reserve(struct state *s, size_t n, size_t nd)
{
	void	*q;
	size_t	 c;

	if (n > s->pcap) {
		c = s->pcap ? s->pcap : 4;
		while (c < n)
			c *= 2;
		if ((q = realloc(s->p, c * sizeof *s->p)) == NULL)
			return -1;
		s->p = q;
		s->pcap = c;
	}
	if (nd > s->dcap) {
		c = s->dcap ? s->dcap : 16;
		while (c < nd)
			c *= 2;
		if ((q = realloc(s->d, c * sizeof *s->d)) == NULL)
			return -1;
		s->d = q;
		s->dcap = c;
	}
	return 0;
}

/* Index of device in the sorted map, or where it would go (*found 0). */
static size_t
dev_slot(const struct state *s, const char *device, int *found)
{
	/* The device name is struct dev's first member: the table's key. */
	return ag_fsm_slot(s->d, s->nd, sizeof *s->d, device, 0, found);
}

static struct dev *
dev_find(const struct state *s, const char *device)
{
	size_t	i;
	int	found;

	i = dev_slot(s, device, &found);
	return found ? &s->d[i] : NULL;
}

/* The entry for device, inserted if new (room reserved by the caller). */
static struct dev *
dev_get(struct state *s, const char *device)
{
	size_t	i;
	int	found;

	i = dev_slot(s, device, &found);
	if (found)
		return &s->d[i];
	memmove(&s->d[i + 1], &s->d[i], (s->nd - i) * sizeof *s->d);
	s->nd++;
	memset(&s->d[i], 0, sizeof s->d[i]);
	(void)snprintf(s->d[i].device, sizeof s->d[i].device, "%s", device);
	return &s->d[i];
}

static void
book(struct state *s, const struct ag_placement *p)
{
	struct dev	*d;
	int		 i;

	for (i = 0; i < p->nstages; i++) {
		d = dev_get(s, p->stages[i].device);
		d->booked += p->stages[i].memory_bytes;
		d->nstages++;
	}
}

static void
unbook(struct state *s, const struct ag_placement *p)
{
	struct dev	*d;
	int		 i;

	for (i = 0; i < p->nstages; i++)
		if ((d = dev_find(s, p->stages[i].device)) != NULL) {
			d->booked -= p->stages[i].memory_bytes;
			d->nstages--;
		}
}

/* Drops the devices no live stage uses. */
static void
dev_prune(struct state *s)
{
	size_t	i, k = 0;

	for (i = 0; i < s->nd; i++)
		if (s->d[i].nstages > 0)
			s->d[k++] = s->d[i];
	s->nd = k;
}

static size_t
place_index(const struct state *s, uint64_t id, int *found)
{
	size_t	lo = 0, hi = s->n, mid;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->p[mid].id == id) {
			*found = 1;
			return mid;
		}
		if (s->p[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ag_placement *
place_find(const struct state *s, uint64_t id)
{
	size_t	i;
	int	found;

	i = place_index(s, id, &found);
	return found ? &s->p[i] : NULL;
}

struct ag_fsm *
ag_fsm_new(size_t max_placements)
{
	struct ag_fsm	*f;

	if (max_placements == 0)
		max_placements = AG_FSM_MAX_PLACEMENTS;
	if (max_placements > SIZE_MAX / (AG_PLACE_BYTES + 256) /
	    AG_PLACE_STAGES)
		return NULL;
	if ((f = calloc(1, sizeof *f)) == NULL)
		return NULL;
	f->max = max_placements;
	f->s.next_id = 1;
	return f;
}

void
ag_fsm_free(struct ag_fsm *f)
{
	if (f == NULL)
		return;
	state_free(&f->s);
	free(f);
}

/* --- apply ----------------------------------------------------------------- */

/*
 * AG_FSM_NOSPACE if one of c's devices would be over the capacity c states
 * for it, counting every live placement but skip; the first such device in
 * c's capacity order is named in why.
 */
static int
space_check(const struct ag_fsm *f, const struct ag_fsm_cmd *c,
    const struct ag_placement *skip, struct ag_fsm_result *r)
{
	const struct dev	*d;
	uint64_t		 booked, asked, cap;
	int			 i;

	for (i = 0; i < c->ncap; i++) {
		d = dev_find(&f->s, c->cap[i].device);
		booked = d != NULL ? d->booked : 0;
		booked -= stage_bytes(skip, c->cap[i].device);
		asked = stage_bytes(&c->place, c->cap[i].device);
		cap = c->cap[i].bytes;
		if (booked <= cap && asked <= cap - booked)
			continue;
		r->status = AG_FSM_NOSPACE;
		(void)snprintf(r->why, sizeof r->why, "device %.80s: %llu "
		    "bytes booked + %llu asked > capacity %llu",
		    c->cap[i].device, (unsigned long long)booked,
		    (unsigned long long)asked, (unsigned long long)cap);
		return -1;
	}
	return 0;
}

static void
set_caps(struct state *s, const struct ag_fsm_cmd *c)
{
	struct dev	*d;
	int		 i;

	for (i = 0; i < c->ncap; i++)
		if ((d = dev_find(s, c->cap[i].device)) != NULL)
			d->capacity = c->cap[i].bytes;
}

static void
do_place(struct ag_fsm *f, const struct ag_fsm_cmd *c,
    struct ag_fsm_result *r)
{
	struct ag_placement	*p;

	r->id = 0;
	if (f->s.n >= f->max) {
		r->status = AG_FSM_FULL;
		(void)snprintf(r->why, sizeof r->why, "%zu placements live "
		    "already (the most)", f->s.n);
		return;
	}
	if (space_check(f, c, NULL, r) != 0)
		return;
	p = &f->s.p[f->s.n++];
	*p = c->place;
	p->id = f->s.next_id++;
	p->term = c->term;
	p->epoch = 1;
	book(&f->s, p);
	set_caps(&f->s, c);
	r->id = p->id;
	r->epoch = p->epoch;
}

static void
do_release(struct ag_fsm *f, const struct ag_fsm_cmd *c,
    struct ag_fsm_result *r)
{
	size_t	i;
	int	found;

	r->id = c->id;
	i = place_index(&f->s, c->id, &found);
	if (!found) {
		r->status = AG_FSM_NOTFOUND;
		(void)snprintf(r->why, sizeof r->why, "no live placement %llu",
		    (unsigned long long)c->id);
		return;
	}
	r->epoch = f->s.p[i].epoch;
	unbook(&f->s, &f->s.p[i]);
	dev_prune(&f->s);
	memmove(&f->s.p[i], &f->s.p[i + 1], (f->s.n - i - 1) *
	    sizeof *f->s.p);
	f->s.n--;
}

/*
 * A re-plan replaces the plan (model, context, stages, figures) and keeps
 * who owns the placement (tenant, token id, selectors, quotas).
 */
static void
do_replan(struct ag_fsm *f, const struct ag_fsm_cmd *c,
    struct ag_fsm_result *r)
{
	struct ag_placement	*p, np;

	r->id = c->id;
	if ((p = place_find(&f->s, c->id)) == NULL) {
		r->status = AG_FSM_NOTFOUND;
		(void)snprintf(r->why, sizeof r->why, "no live placement %llu",
		    (unsigned long long)c->id);
		return;
	}
	r->epoch = p->epoch;
	if (p->epoch != c->expect_epoch) {
		r->status = AG_FSM_STALE;
		(void)snprintf(r->why, sizeof r->why, "placement %llu is at "
		    "epoch %llu, not %llu", (unsigned long long)p->id,
		    (unsigned long long)p->epoch,
		    (unsigned long long)c->expect_epoch);
		return;
	}
	if (space_check(f, c, p, r) != 0)
		return;
	np = c->place;
	np.id = p->id;
	np.term = c->term;
	np.epoch = p->epoch + 1;
	memcpy(np.tenant, p->tenant, sizeof np.tenant);
	memcpy(np.token_id, p->token_id, sizeof np.token_id);
	np.nselectors = p->nselectors;
	memcpy(np.selectors, p->selectors, sizeof np.selectors);
	np.max_devices = p->max_devices;
	np.max_memory_bytes = p->max_memory_bytes;
	memcpy(np.client, p->client, sizeof np.client);
	unbook(&f->s, p);
	book(&f->s, &np);
	set_caps(&f->s, c);
	dev_prune(&f->s);
	*p = np;
	r->epoch = p->epoch;
}

const struct ag_fsm_result *
ag_fsm_apply(struct ag_fsm *f, const uint8_t *buf, size_t len)
{
	struct ag_fsm_result	*r = &f->res;
	struct ag_fsm_cmd	*c = &f->cmd;

	/* The one thing that can fail, before anything changes. */
	if (state_reserve(&f->s, f->s.n + 1, f->s.nd + AG_PLACE_STAGES) != 0 ||
	    ag_fsm_sec_reserve(&f->s.sec) != 0)
		return NULL;
	memset(r, 0, sizeof *r);
	f->s.applied++;
	if (ag_fsm_cmd_decode(buf, len, c, r->why, sizeof r->why) != 0) {
		r->status = AG_FSM_BAD;
		return r;
	}
	r->op = c->op;
	switch (c->op) {
	case AG_FSM_OP_PLACE:
		do_place(f, c, r);
		break;
	case AG_FSM_OP_RELEASE:
		do_release(f, c, r);
		break;
	case AG_FSM_OP_REPLAN:
		do_replan(f, c, r);
		break;
	default:
		ag_fsm_sec_apply(&f->s.sec, c, r);
		break;
	}
	return r;
}

/* --- snapshot and restore -------------------------------------------------- */

static size_t
snap_max(size_t max)
{
	return 64 + max * (AG_PLACE_BYTES + 16) +
	    max * AG_PLACE_STAGES * (sizeof ((struct dev *)0)->device + 16) +
	    ag_fsm_sec_snap_bytes();
}

/* Format 1 (before the trust state) only to check such a snapshot. */
static void
snap_write(struct sec_cbor_writer *w, const struct state *s, uint64_t fmt)
{
	size_t	i;

	(void)sec_cbor_write_map(w, fmt == 1 ? 5 : 6);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_uint(w, fmt);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_uint(w, s->next_id);
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_uint(w, s->applied);
	(void)sec_cbor_write_uint(w, 4);
	(void)sec_cbor_write_array(w, s->n);
	for (i = 0; i < s->n && sec_cbor_writer_error(w) == 0; i++)
		(void)place_put(w, &s->p[i], 1);
	(void)sec_cbor_write_uint(w, 5);
	(void)sec_cbor_write_array(w, s->nd);
	for (i = 0; i < s->nd; i++) {
		(void)sec_cbor_write_array(w, 2);
		(void)sec_cbor_write_cstr(w, s->d[i].device);
		(void)sec_cbor_write_uint(w, s->d[i].capacity);
	}
	if (fmt == 1)
		return;
	(void)sec_cbor_write_uint(w, 6);
	ag_fsm_sec_snap_write(w, &s->sec);
}

int
ag_fsm_snapshot(const struct ag_fsm *f, struct raft_buffer *out, char *err,
    size_t errlen)
{
	struct sec_cbor_writer	w;
	int			rc = -1;

	out->base = NULL;
	out->len = 0;
	sec_cbor_writer_dynamic(&w, snap_max(f->max));
	snap_write(&w, &f->s, SNAP_FORMAT);
	if (sec_cbor_writer_error(&w) != 0)
		ag_fsm_fail(err, errlen, "snapshot: %s",
		    sec_cbor_strerror(sec_cbor_writer_error(&w)));
	else if ((out->base = raft_malloc(sec_cbor_writer_len(&w))) == NULL)
		ag_fsm_fail(err, errlen, "snapshot: %s", "out of memory");
	else {
		out->len = sec_cbor_writer_len(&w);
		memcpy(out->base, sec_cbor_writer_data(&w), out->len);
		rc = 0;
	}
	sec_cbor_writer_release(&w);
	return rc;
}

/* Placements: valid, stamped, in strictly increasing id order < next. */
static int
snap_places(struct sec_cbor_reader *r, struct state *s, size_t max,
    char *err, size_t errlen)
{
	struct ag_placement	*p;
	uint64_t		 n, i;

	if (sec_cbor_read_array(r, &n) != 0 || n > max) {
		ag_fsm_fail(err, errlen, "snapshot: more than %zu "
		    "placements, or not an array", max);
		return -1;
	}
	if (state_reserve(s, (size_t)n, (size_t)n * AG_PLACE_STAGES) != 0) {
		ag_fsm_fail(err, errlen, "snapshot: %s", "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		p = &s->p[i];
		if (place_get(r, p, err, errlen) != 0 ||
		    place_check(p, err, errlen) != 0)
			return -1;
		if (p->id == 0 || p->id >= s->next_id || p->epoch == 0 ||
		    (i > 0 && p->id <= s->p[i - 1].id)) {
			ag_fsm_fail(err, errlen, "snapshot: placement "
			    "%llu: bad id or epoch", (unsigned long long)p->id);
			return -1;
		}
		s->n = (size_t)i + 1;
	}
	return 0;
}

/* Bookings from the stages, without overflow. */
static int
snap_book(struct state *s, char *err, size_t errlen)
{
	size_t	i;
	int	k;

	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->p[i].nstages; k++) {
			const struct ag_stage	*st = &s->p[i].stages[k];
			struct dev		*d = dev_get(s, st->device);

			if (st->memory_bytes > UINT64_MAX - d->booked) {
				ag_fsm_fail(err, errlen, "snapshot: %s",
				    "bookings overflow");
				return -1;
			}
			d->booked += st->memory_bytes;
			d->nstages++;
		}
	return 0;
}

/* Capacities: exactly the booked devices, sorted, each >= its bookings. */
static int
snap_caps(struct sec_cbor_reader *r, struct state *s, char *err,
    size_t errlen)
{
	struct dev	*d;
	char		 name[sizeof s->d[0].device];
	uint64_t	 n, two, i, cap;

	if (sec_cbor_read_array(r, &n) != 0 || n != s->nd) {
		ag_fsm_fail(err, errlen, "snapshot: %s", "capacities do not "
		    "match the devices booked");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (sec_cbor_read_array(r, &two) != 0 || two != 2 ||
		    sec_cbor_read_cstr(r, name, sizeof name) != 0 ||
		    sec_cbor_read_uint(r, &cap) != 0) {
			ag_fsm_fail(err, errlen, "snapshot: %s", "bad "
			    "capacity");
			return -1;
		}
		d = &s->d[i];
		if (strcmp(d->device, name) != 0 || d->booked > cap) {
			ag_fsm_fail(err, errlen, "snapshot: device %.80s: "
			    "not booked, out of order or booked over its "
			    "capacity", name);
			return -1;
		}
		d->capacity = cap;
	}
	return 0;
}

static int
snap_read(const uint8_t *buf, size_t len, struct state *s, size_t max,
    uint64_t *fmt, char *err, size_t errlen)
{
	size_t			cont = max * AG_PLACE_STAGES;
	struct sec_cbor_limits	lim = {
		snap_max(max), 4, 16 + max * (1 + 4 * AG_PLACE_STAGES) +
		ag_fsm_sec_snap_items(), AG_PLACE_BYTES,
		cont > AG_FSM_MAX_REVOKED ? cont : AG_FSM_MAX_REVOKED,
		SEC_CBOR_F_DETERMINISTIC,
	};
	struct sec_cbor_reader	r;
	uint64_t		pairs, key[6];
	int			i;

	if (sec_cbor_reader_init(&r, buf, len, &lim) != 0) {
		ag_fsm_fail(err, errlen, "snapshot: %s",
		    sec_cbor_reader_msg(&r));
		return -1;
	}
	if (sec_cbor_read_map(&r, &pairs) != 0 || pairs < 5 || pairs > 6) {
		ag_fsm_fail(err, errlen, "snapshot: %s", "not a map of 5 or 6");
		return -1;
	}
	for (i = 0; i < (int)pairs; i++)
		if (sec_cbor_read_uint(&r, &key[i]) != 0 ||
		    key[i] != (uint64_t)i + 1 ||
		    (i == 0 && (sec_cbor_read_uint(&r, fmt) != 0 ||
		    *fmt < 1 || *fmt > SNAP_FORMAT ||
		    pairs != (*fmt == 1 ? 5 : 6))) ||
		    (i == 1 && (sec_cbor_read_uint(&r, &s->next_id) != 0 ||
		    s->next_id == 0)) ||
		    (i == 2 && sec_cbor_read_uint(&r, &s->applied) != 0) ||
		    (i == 3 && snap_places(&r, s, max, err, errlen) != 0) ||
		    (i == 3 && snap_book(s, err, errlen) != 0) ||
		    (i == 4 && snap_caps(&r, s, err, errlen) != 0) ||
		    (i == 5 && ag_fsm_sec_snap_read(&r, &s->sec, err,
		    errlen) != 0)) {
			if (err != NULL && errlen > 0 && err[0] == '\0')
				ag_fsm_fail(err, errlen, "snapshot: bad key "
				    "%d: %s", i + 1, sec_cbor_reader_msg(&r));
			return -1;
		}
	if (sec_cbor_reader_done(&r) != 0) {
		ag_fsm_fail(err, errlen, "snapshot: %s", "bytes after the "
		    "state");
		return -1;
	}
	return 0;
}

int
ag_fsm_restore(struct ag_fsm *f, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	struct state		s;
	struct sec_cbor_writer	w;
	uint64_t		fmt = 0;
	int			same;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&s, 0, sizeof s);
	if (snap_read(buf, len, &s, f->max, &fmt, err, errlen) != 0)
		goto bad;
	sec_cbor_writer_dynamic(&w, snap_max(f->max));
	snap_write(&w, &s, fmt);
	same = sec_cbor_writer_error(&w) == 0 &&
	    sec_cbor_writer_len(&w) == len &&
	    memcmp(sec_cbor_writer_data(&w), buf, len) == 0;
	sec_cbor_writer_release(&w);
	if (!same) {
		ag_fsm_fail(err, errlen, "snapshot: %s", "not in canonical "
		    "form");
		goto bad;
	}
	state_free(&f->s);
	f->s = s;
	memset(&f->res, 0, sizeof f->res);
	return 0;
bad:
	state_free(&s);
	return -1;
}

/* --- queries --------------------------------------------------------------- */

size_t
ag_fsm_count(const struct ag_fsm *f)
{
	return f->s.n;
}

const struct ag_placement *
ag_fsm_at(const struct ag_fsm *f, size_t i)
{
	return i < f->s.n ? &f->s.p[i] : NULL;
}

const struct ag_placement *
ag_fsm_find(const struct ag_fsm *f, uint64_t id)
{
	return place_find(&f->s, id);
}

uint64_t
ag_fsm_booked(const struct ag_fsm *f, const char *device, uint64_t skip_id)
{
	const struct dev	*d = dev_find(&f->s, device);

	if (d == NULL)
		return 0;
	return d->booked - (skip_id != 0 ? stage_bytes(place_find(&f->s,
	    skip_id), device) : 0);
}

uint64_t
ag_fsm_capacity(const struct ag_fsm *f, const char *device)
{
	const struct dev	*d = dev_find(&f->s, device);

	return d != NULL ? d->capacity : 0;
}

uint64_t
ag_fsm_next_id(const struct ag_fsm *f)
{
	return f->s.next_id;
}

uint64_t
ag_fsm_applied(const struct ag_fsm *f)
{
	return f->s.applied;
}

const struct ag_fsm_sec *
ag_fsm_sec_of(const struct ag_fsm *f)
{
	return &f->s.sec;
}

/* --- raft ------------------------------------------------------------------ */

static int
fsm_apply(struct raft_fsm *rf, const struct raft_buffer *buf, void **result)
{
	const struct ag_fsm_result *r;

	r = ag_fsm_apply(rf->data, buf->base, buf->len);
	if (r == NULL)
		return RAFT_NOMEM;
	*result = (void *)(uintptr_t)r;
	return 0;
}

static int
fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
    unsigned *n_bufs)
{
	struct raft_buffer	*b;
	char			 err[160];

	if ((b = raft_malloc(sizeof *b)) == NULL)
		return RAFT_NOMEM;
	if (ag_fsm_snapshot(rf->data, b, err, sizeof err) != 0) {
		raft_free(b);
		return RAFT_NOMEM;
	}
	*bufs = b;
	*n_bufs = 1;
	return 0;
}

static int
fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf)
{
	char	err[192];

	if (ag_fsm_restore(rf->data, buf->base, buf->len, err,
	    sizeof err) != 0)
		return RAFT_MALFORMED;
	raft_free(buf->base);
	return 0;
}

void
ag_fsm_raft(struct ag_fsm *f, struct raft_fsm *out)
{
	memset(out, 0, sizeof *out);
	out->version = 1;
	out->data = f;
	out->apply = fsm_apply;
	out->snapshot = fsm_snapshot;
	out->restore = fsm_restore;
}
