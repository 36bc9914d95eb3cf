/*
 * ag_record.c - encoding and bounded decoding of the gossiped node record;
 * see ag_record.h.  Keys (ascending, as deterministic CBOR wants):
 *   record: 1 name, 2 devices [..], 3 links [..], 4 battery ratio|null,
 *           5 on AC (bool|null); 6 held the leader's placements and
 *           7 the revoked token ids before both moved into the raft
 *           log: no longer written, skipped like any unknown key when
 *           an older peer still sends them
 *   device: 1 id, 2 name, 3 type, 4 memory total, 5 memory free|null,
 *           6 memory bandwidth|null, 7 FLOP/s|null, 8 dtypes, 9 apis,
 *           10 temperature|null, 11 predicted to throttle (bool, only
 *           when true)
 *   link:   [peer id, rtt s|null, bandwidth|null, address as seen]
 *   8 workers (only when there are some): [[placement id, epoch, stage,
 *           state, port, restarts, reason], ..]
 *   9 network coordinate (only when known): [[8 x vector us], height us,
 *           adjustment us, error x 1000], all integers (signed where a
 *           term may be negative), so a coordinate re-encodes to the same
 *           bytes and noise below 1 us never shows
 */
#include "ag_record.h"

#include "sec_cbor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AG_RECORD_XSTR(x)	#x
#define AG_RECORD_STR(x)	AG_RECORD_XSTR(x)

static const struct sec_cbor_limits record_limits = {
	AG_RECORD_MAX_BYTES,		/* bytes */
	8,				/* depth: an older peer's key 6 goes
					 * deepest (skipped, still bounded) */
	4096,				/* items */
	256,				/* string length */
	128,				/* container length: links, revocations */
	SEC_CBOR_F_DETERMINISTIC,
};

void
ag_record_init(struct ag_record *r)
{
	memset(r, 0, sizeof *r);
	r->battery_ratio = NAN;
	r->on_ac = -1;
}

static void
put_device(struct sec_cbor_writer *w, const struct ag_record_device *d)
{
	(void)sec_cbor_write_map(w, d->throttle_predicted ? 11 : 10);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_cstr(w, d->id);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_cstr(w, d->name);
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_cstr(w, d->type);
	(void)sec_cbor_write_uint(w, 4);
	(void)sec_cbor_write_uint(w, d->memory_total_bytes);
	(void)sec_cbor_write_uint(w, 5);
	(void)sec_cbor_write_measure(w, d->memory_free_bytes);
	(void)sec_cbor_write_uint(w, 6);
	(void)sec_cbor_write_measure(w, d->memory_bandwidth);
	(void)sec_cbor_write_uint(w, 7);
	(void)sec_cbor_write_measure(w, d->flops);
	(void)sec_cbor_write_uint(w, 8);
	(void)sec_cbor_write_uint(w, d->dtypes);
	(void)sec_cbor_write_uint(w, 9);
	(void)sec_cbor_write_uint(w, d->apis);
	(void)sec_cbor_write_uint(w, 10);
	(void)sec_cbor_write_measure(w, d->temperature_celsius);
	if (d->throttle_predicted) {
		(void)sec_cbor_write_uint(w, 11);
		(void)sec_cbor_write_bool(w, true);
	}
}

const char *
ag_record_worker_state_name(uint32_t s)
{
	switch (s) {
	case AG_WORKER_STARTING: return "starting";
	case AG_WORKER_READY: return "ready";
	case AG_WORKER_FAILED: return "failed";
	default: return "unknown";
	}
}

static void
put_worker(struct sec_cbor_writer *w, const struct ag_record_worker *k)
{
	(void)sec_cbor_write_array(w, 7);
	(void)sec_cbor_write_uint(w, k->placement);
	(void)sec_cbor_write_uint(w, k->epoch);
	(void)sec_cbor_write_uint(w, k->stage);
	(void)sec_cbor_write_uint(w, k->state);
	(void)sec_cbor_write_uint(w, k->port);
	(void)sec_cbor_write_uint(w, k->restarts);
	(void)sec_cbor_write_cstr(w, k->reason);
}

/* Seconds to whole microseconds (error: to thousandths), bounded. */
static int64_t
quantum(double v, double scale)
{
	double	q = round(v * scale);

	if (!(q > -1e15))	/* also NaN: an invalid coordinate */
		return 0;
	return q < 1e15 ? (int64_t)q : (int64_t)1e15;
}

static void
put_coord(struct sec_cbor_writer *w, const struct net_viv_coord *c)
{
	int	i;

	(void)sec_cbor_write_array(w, 4);
	(void)sec_cbor_write_array(w, NET_VIV_DIMS);
	for (i = 0; i < NET_VIV_DIMS; i++)
		(void)sec_cbor_write_int64(w, quantum(c->vec[i], 1e6));
	(void)sec_cbor_write_int64(w, quantum(c->height, 1e6));
	(void)sec_cbor_write_int64(w, quantum(c->adjustment, 1e6));
	(void)sec_cbor_write_int64(w, quantum(c->error, 1e3));
}

int
ag_record_encode(const struct ag_record *r, uint8_t *buf, size_t cap,
    size_t *len)
{
	struct sec_cbor_writer	w;
	int			i;

	sec_cbor_writer_fixed(&w, buf, cap);
	(void)sec_cbor_write_map(&w, 5 + (r->nworkers > 0) +
	    (r->has_coord != 0));
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_cstr(&w, r->name);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_array(&w, (uint64_t)r->ndevices);
	for (i = 0; i < r->ndevices; i++)
		put_device(&w, &r->devices[i]);
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_array(&w, (uint64_t)r->nlinks);
	for (i = 0; i < r->nlinks; i++) {
		(void)sec_cbor_write_array(&w, 4);
		(void)sec_cbor_write_cstr(&w, r->links[i].peer);
		(void)sec_cbor_write_measure(&w, r->links[i].rtt_s);
		(void)sec_cbor_write_measure(&w, r->links[i].bandwidth);
		(void)sec_cbor_write_cstr(&w, r->links[i].addr);
	}
	(void)sec_cbor_write_uint(&w, 4);
	(void)sec_cbor_write_measure(&w, r->battery_ratio);
	(void)sec_cbor_write_uint(&w, 5);
	if (r->on_ac < 0)
		(void)sec_cbor_write_null(&w);
	else
		(void)sec_cbor_write_bool(&w, r->on_ac != 0);
	if (r->nworkers > 0) {
		(void)sec_cbor_write_uint(&w, 8);
		(void)sec_cbor_write_array(&w, (uint64_t)r->nworkers);
		for (i = 0; i < r->nworkers; i++)
			put_worker(&w, &r->workers[i]);
	}
	if (r->has_coord) {
		(void)sec_cbor_write_uint(&w, 9);
		put_coord(&w, &r->coord);
	}
	if (sec_cbor_writer_error(&w) != 0)
		return -1;
	*len = sec_cbor_writer_len(&w);
	return 0;
}

/* --- decoding --------------------------------------------------------- */

struct dec {
	struct sec_cbor_reader	 r;
	char			*err;
	size_t			 errlen;
	int			 bad;
};

static void
bad(struct dec *d, const char *what)
{
	if (!d->bad)
		(void)snprintf(d->err, d->errlen, "%s%s%s", what,
		    d->r.error ? ": " : "", d->r.error ?
		    sec_cbor_reader_msg(&d->r) : "");
	d->bad = 1;
}

static void
get_text(struct dec *d, char *out, size_t size, const char *what)
{
	if (sec_cbor_read_cstr(&d->r, out, size) != 0)
		bad(d, what);
}

/* A number or null (NAN). */
static double
get_num(struct dec *d, const char *what)
{
	double	v;

	if (sec_cbor_read_measure(&d->r, &v) != 0)
		bad(d, what);
	return v;
}

static uint64_t
get_uint(struct dec *d, uint64_t max, const char *what)
{
	uint64_t	v = 0;

	if (sec_cbor_read_uint(&d->r, &v) != 0 || v > max)
		bad(d, what);
	return v;
}

static void
get_device(struct dec *d, struct ag_record_device *dv)
{
	uint64_t	pairs, key, i;
	bool		flag = false;

	memset(dv, 0, sizeof *dv);
	dv->memory_free_bytes = dv->memory_bandwidth = dv->flops = NAN;
	dv->temperature_celsius = NAN;
	if (sec_cbor_read_map(&d->r, &pairs) != 0 || pairs > 32) {
		bad(d, "device: expected a map");
		return;
	}
	for (i = 0; i < pairs && !d->bad; i++) {
		key = get_uint(d, UINT64_MAX, "device key");
		switch (key) {
		case 1: get_text(d, dv->id, sizeof dv->id, "device id"); break;
		case 2: get_text(d, dv->name, sizeof dv->name, "device name");
			break;
		case 3: get_text(d, dv->type, sizeof dv->type, "device type");
			break;
		case 4: dv->memory_total_bytes = get_uint(d, UINT64_MAX,
			    "device memory");
			break;
		case 5: dv->memory_free_bytes = get_num(d, "device free");
			break;
		case 6: dv->memory_bandwidth = get_num(d, "device bandwidth");
			break;
		case 7: dv->flops = get_num(d, "device flops"); break;
		case 8: dv->dtypes = (uint32_t)get_uint(d, 0xff,
			    "device dtypes");
			break;
		case 9: dv->apis = (uint32_t)get_uint(d, 0xff, "device apis");
			break;
		case 10: dv->temperature_celsius = get_num(d,
			    "device temperature");
			break;
		case 11:
			if (sec_cbor_read_bool(&d->r, &flag) != 0)
				bad(d, "device throttle prediction");
			dv->throttle_predicted = flag;
			break;
		default:
			if (sec_cbor_skip(&d->r) != 0)
				bad(d, "device: unknown key");
		}
	}
	if (!d->bad && dv->id[0] == '\0')
		bad(d, "device without an id");
}

static void
get_devices(struct dec *d, struct ag_record *rec)
{
	uint64_t	n, i;

	if (sec_cbor_read_array(&d->r, &n) != 0 ||
	    n > AG_RECORD_MAX_DEVICES) {
		bad(d, "devices: expected an array of at most 16");
		return;
	}
	for (i = 0; i < n && !d->bad; i++)
		get_device(d, &rec->devices[i]);
	rec->ndevices = (int)n;
}

static void
get_links(struct dec *d, struct ag_record *rec)
{
	uint64_t	n, i, four;

	if (sec_cbor_read_array(&d->r, &n) != 0 || n > AG_RECORD_MAX_LINKS) {
		bad(d, "links: expected an array of at most "
		    AG_RECORD_STR(AG_RECORD_MAX_LINKS));
		return;
	}
	for (i = 0; i < n && !d->bad; i++) {
		struct ag_record_link *l = &rec->links[i];

		if (sec_cbor_read_array(&d->r, &four) != 0 || four != 4) {
			bad(d, "link: expected [peer, rtt, bandwidth, addr]");
			return;
		}
		get_text(d, l->peer, sizeof l->peer, "link peer");
		l->rtt_s = get_num(d, "link rtt");
		l->bandwidth = get_num(d, "link bandwidth");
		get_text(d, l->addr, sizeof l->addr, "link address");
		if (!d->bad && !sec_node_id_valid(l->peer))
			bad(d, "link peer is not a node id");
	}
	rec->nlinks = (int)n;
}

static void
get_workers(struct dec *d, struct ag_record *rec)
{
	uint64_t	n, i, seven;

	if (sec_cbor_read_array(&d->r, &n) != 0 ||
	    n > AG_RECORD_MAX_WORKERS) {
		bad(d, "workers: expected an array of at most 32");
		return;
	}
	for (i = 0; i < n && !d->bad; i++) {
		struct ag_record_worker *k = &rec->workers[i];

		if (sec_cbor_read_array(&d->r, &seven) != 0 || seven != 7) {
			bad(d, "worker: expected [placement, epoch, stage, "
			    "state, port, restarts, reason]");
			return;
		}
		k->placement = get_uint(d, UINT64_MAX, "worker placement");
		k->epoch = get_uint(d, UINT64_MAX, "worker epoch");
		k->stage = (uint32_t)get_uint(d, 255, "worker stage");
		/* a newer peer's state we do not know reads "unknown" */
		k->state = (uint32_t)get_uint(d, 255, "worker state");
		k->port = (uint32_t)get_uint(d, 65535, "worker port");
		k->restarts = (uint32_t)get_uint(d, UINT32_MAX,
		    "worker restarts");
		get_text(d, k->reason, sizeof k->reason, "worker reason");
	}
	rec->nworkers = (int)n;
}

static int64_t
get_int(struct dec *d, const char *what)
{
	int64_t	v = 0;

	if (sec_cbor_read_int64(&d->r, &v) != 0)
		bad(d, what);
	return v;
}

/*
 * Key 9.  The shape is checked (a malformed coordinate is a malformed
 * record); the values are not trusted: a coordinate of another
 * dimension or out of net_viv_coord_valid's bounds is read and dropped.
 */
static void
get_coord(struct dec *d, struct ag_record *rec)
{
	struct net_viv_coord	c;
	uint64_t		n, i;
	int64_t			q[NET_VIV_DIMS];

	if (sec_cbor_read_array(&d->r, &n) != 0 || n != 4 ||
	    sec_cbor_read_array(&d->r, &n) != 0 || n > 16) {
		bad(d, "coordinate: expected [[vector], height, adjustment, "
		    "error]");
		return;
	}
	memset(&c, 0, sizeof c);
	for (i = 0; i < n && !d->bad; i++) {
		int64_t v = get_int(d, "coordinate vector");

		if (i < NET_VIV_DIMS)
			q[i] = v;
	}
	c.height = (double)get_int(d, "coordinate height") / 1e6;
	c.adjustment = (double)get_int(d, "coordinate adjustment") / 1e6;
	c.error = (double)get_int(d, "coordinate error") / 1e3;
	if (d->bad || n != NET_VIV_DIMS)
		return;
	for (i = 0; i < NET_VIV_DIMS; i++)
		c.vec[i] = (double)q[i] / 1e6;
	if (!net_viv_coord_valid(&c))
		return;
	rec->coord = c;
	rec->has_coord = 1;
}

int
ag_record_decode(const uint8_t *buf, size_t len, struct ag_record *rec,
    char *err, size_t errlen)
{
	struct dec	d;
	uint64_t	pairs, key, i;
	bool		ac;

	memset(&d, 0, sizeof d);
	d.err = err;
	d.errlen = errlen;
	ag_record_init(rec);
	if (sec_cbor_reader_init(&d.r, buf, len, &record_limits) != 0 ||
	    sec_cbor_read_map(&d.r, &pairs) != 0 || pairs > 32) {
		bad(&d, "record: expected one CBOR map");
		return -1;
	}
	for (i = 0; i < pairs && !d.bad; i++) {
		key = get_uint(&d, UINT64_MAX, "record key");
		if (d.bad)
			break;
		switch (key) {
		case 1:
			get_text(&d, rec->name, sizeof rec->name, "name");
			break;
		case 2:
			get_devices(&d, rec);
			break;
		case 3:
			get_links(&d, rec);
			break;
		case 4:
			rec->battery_ratio = get_num(&d, "battery");
			break;
		case 5:
			if (sec_cbor_peek(&d.r) == SEC_CBOR_T_NULL)
				(void)sec_cbor_read_null(&d.r);
			else if (sec_cbor_read_bool(&d.r, &ac) == 0)
				rec->on_ac = ac;
			else
				bad(&d, "on_ac");
			break;
		case 8:
			get_workers(&d, rec);
			break;
		case 9:
			get_coord(&d, rec);
			break;
		default:
			if (sec_cbor_skip(&d.r) != 0)
				bad(&d, "record: unknown key");
		}
	}
	if (!d.bad && sec_cbor_reader_done(&d.r) != 0)
		bad(&d, "record: trailing bytes");
	return d.bad ? -1 : 0;
}

/* ---- delta gossip ---- */

/* Known-ness changed, or both known and |a - b| >= step. */
static int
moved(double a, double b, double step)
{
	if (isfinite(a) != isfinite(b))
		return 1;
	return isfinite(a) && fabs(a - b) >= step;
}

static int
device_moved(const struct ag_record_device *a, const struct ag_record_device *b,
    const char **why)
{
	double	mstep;

	if (strcmp(a->id, b->id) != 0 || strcmp(a->name, b->name) != 0 ||
	    strcmp(a->type, b->type) != 0 ||
	    a->memory_total_bytes != b->memory_total_bytes ||
	    a->dtypes != b->dtypes || a->apis != b->apis ||
	    isfinite(a->memory_bandwidth) != isfinite(b->memory_bandwidth) ||
	    (isfinite(a->memory_bandwidth) &&
	    a->memory_bandwidth != b->memory_bandwidth) ||
	    isfinite(a->flops) != isfinite(b->flops) ||
	    (isfinite(a->flops) && a->flops != b->flops)) {
		*why = "device";
		return 1;
	}
	if (a->throttle_predicted != b->throttle_predicted) {
		*why = "throttle prediction";
		return 1;
	}
	mstep = AG_RECORD_MEM_STEP_RATIO * (double)a->memory_total_bytes;
	if (mstep < AG_RECORD_MEM_STEP_BYTES)
		mstep = AG_RECORD_MEM_STEP_BYTES;
	if (moved(a->memory_free_bytes, b->memory_free_bytes, mstep)) {
		*why = "free memory";
		return 2;
	}
	if (moved(a->temperature_celsius, b->temperature_celsius,
	    AG_RECORD_TEMP_STEP_C)) {
		*why = "temperature";
		return 2;
	}
	return 0;
}

static int
link_moved(const struct ag_record_link *a, const struct ag_record_link *b,
    const char **why)
{
	double	step;

	if (strcmp(a->peer, b->peer) != 0 || strcmp(a->addr, b->addr) != 0) {
		*why = "links";
		return 1;
	}
	step = isfinite(a->rtt_s) ? AG_RECORD_RTT_STEP_RATIO * a->rtt_s : 0;
	if (step < AG_RECORD_RTT_STEP_S)
		step = AG_RECORD_RTT_STEP_S;
	if (moved(a->rtt_s, b->rtt_s, step)) {
		*why = "link rtt";
		return 2;
	}
	if (isfinite(a->bandwidth) != isfinite(b->bandwidth) ||
	    (isfinite(a->bandwidth) && fabs(a->bandwidth - b->bandwidth) >
	    AG_RECORD_BW_STEP_RATIO * fabs(a->bandwidth))) {
		*why = "link bandwidth";
		return 2;
	}
	return 0;
}

/*
 * 1 (a change) for the first coordinate learned from samples (the
 * published one still has the starting error): placement estimates pairs
 * from coordinates, and a node's first one should not wait out the drift
 * limit; 2 (drift) when vector, height and adjustment together moved past
 * the threshold, or the error estimate halved while converging; else 0.
 */
static int
coord_moved(const struct ag_record *a, const struct ag_record *b)
{
	struct net_viv_coord	origin;
	double			d = 0, t, step;
	int			i;

	if (a->has_coord != b->has_coord)
		return 2;
	if (!a->has_coord)
		return 0;
	if (a->coord.error >= NET_VIV_ERROR_MAX &&
	    b->coord.error < NET_VIV_ERROR_MAX)
		return 1;
	/*
	 * Converging: the error fell to half what peers hold, or less (not
	 * once it is small: on a jittery network it halves and doubles).
	 */
	if (a->coord.error >= AG_RECORD_COORD_CONVERGED &&
	    b->coord.error <= a->coord.error / 2)
		return 2;
	for (i = 0; i < NET_VIV_DIMS; i++) {
		t = a->coord.vec[i] - b->coord.vec[i];
		d += t * t;
	}
	d = sqrt(d) + fabs(a->coord.height - b->coord.height) +
	    fabs(a->coord.adjustment - b->coord.adjustment);
	net_viv_coord_init(&origin);
	origin.height = 0;
	step = net_viv_distance(&origin, &a->coord);
	step = isfinite(step) ? AG_RECORD_COORD_STEP_RATIO * step : 0;
	if (step < AG_RECORD_COORD_STEP_S)
		step = AG_RECORD_COORD_STEP_S;
	return d < step ? 0 : 2;	/* NaN counts as moved */
}

/* A part moved: r 1 (a change) ends the scan, r 2 (drift) is kept. */
static int
note(int r, const char *w, int *drift, const char **dwhy, const char **why)
{
	if (r == 1) {
		*why = w;
		return 1;
	}
	if (r == 2 && *drift == 0) {
		*drift = 2;
		*dwhy = w;
	}
	return 0;
}

int
ag_record_moved(const struct ag_record *pub, const struct ag_record *fresh,
    const char **why)
{
	const char	*dummy, *w = NULL, *dwhy = NULL;
	int		 i, r, drift = 0;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (pub == NULL) {
		*why = "first record";
		return 1;
	}
	if (strcmp(pub->name, fresh->name) != 0 ||
	    pub->ndevices != fresh->ndevices || pub->nlinks != fresh->nlinks) {
		*why = pub->nlinks != fresh->nlinks ? "links" : "devices";
		return 1;
	}
	for (i = 0; i < pub->ndevices; i++) {
		r = device_moved(&pub->devices[i], &fresh->devices[i], &w);
		if (note(r, w, &drift, &dwhy, why))
			return 1;
	}
	for (i = 0; i < pub->nlinks; i++) {
		r = link_moved(&pub->links[i], &fresh->links[i], &w);
		if (note(r, w, &drift, &dwhy, why))
			return 1;
	}
	if (pub->nworkers != fresh->nworkers ||
	    memcmp(pub->workers, fresh->workers, (size_t)pub->nworkers *
	    sizeof pub->workers[0]) != 0) {
		*why = "workers";
		return 1;
	}
	if (pub->on_ac != fresh->on_ac) {
		*why = "power";
		return 1;
	}
	if (moved(pub->battery_ratio, fresh->battery_ratio,
	    AG_RECORD_BATTERY_STEP))
		(void)note(2, "battery", &drift, &dwhy, why);
	r = coord_moved(pub, fresh);
	if (note(r, r == 1 ? AG_RECORD_FIRST_COORD : "coordinate", &drift,
	    &dwhy, why))
		return 1;
	if (drift)
		*why = dwhy;
	return drift;
}

/* ---- which links to carry ---- */

static int
cand_rank(const struct ag_record_cand *c)
{
	return c->partner ? 0 : isfinite(c->rtt_s) ? 1 : 2;
}

static double
cand_key(const struct ag_record_cand *c)
{
	return c->published ? c->rtt_s * AG_RECORD_KEEP_BONUS : c->rtt_s;
}

static int
cmp_cand_use(const void *pa, const void *pb)
{
	const struct ag_record_cand	*a = pa, *b = pb;
	int				 ra = cand_rank(a), rb = cand_rank(b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 1 && cand_key(a) != cand_key(b))
		return cand_key(a) < cand_key(b) ? -1 : 1;
	return strcmp(a->peer, b->peer);
}

static int
cmp_cand_id(const void *pa, const void *pb)
{
	return strcmp(((const struct ag_record_cand *)pa)->peer,
	    ((const struct ag_record_cand *)pb)->peer);
}

int
ag_record_pick_links(struct ag_record_cand *c, int n, int max)
{
	int	keep;

	if (n <= 0 || max <= 0)
		return 0;
	if (n > max)
		qsort(c, (size_t)n, sizeof c[0], cmp_cand_use);
	keep = n < max ? n : max;
	qsort(c, (size_t)keep, sizeof c[0], cmp_cand_id);
	return keep;
}

int
ag_record_fit(struct ag_record *r, size_t cap)
{
	uint8_t	*buf = malloc(cap);
	size_t	 len;
	int	 lo, hi, mid, had = r->nlinks;

	if (buf == NULL)
		return -1;
	if (r->nlinks < 0)
		r->nlinks = 0;
	if (ag_record_encode(r, buf, cap, &len) == 0) {
		free(buf);
		return 0;
	}
	/* The most links that fit, by bisection: lo fits, hi does not. */
	lo = -1;
	hi = r->nlinks;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		r->nlinks = mid;
		if (ag_record_encode(r, buf, cap, &len) == 0)
			lo = mid;
		else
			hi = mid;
	}
	free(buf);
	r->nlinks = lo < 0 ? 0 : lo;
	return lo < 0 ? -1 : had - lo;
}
