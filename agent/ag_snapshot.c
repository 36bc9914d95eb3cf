/*
 * ag_snapshot.c - gossiped node records to a placement problem; see
 * ag_snapshot.h for the rules and docs/placement.md for why they are so.
 *
 * Records come from peers, so nothing in them is trusted: counts are
 * clamped to the record's arrays, strings are read only up to their
 * array's size, and every figure is checked (finite, positive, in range)
 * before use.  A device with figures the solver cannot use is left out
 * with a reason rather than patched up; the first reason is kept for the
 * caller's message.
 *
 * Work is O(D^2) in devices for the id check (D <= PL_MAX_DEVICES),
 * O(R log R) in link reports (R <= AG_RECORD_MAX_LINKS per node) and
 * O(N^2) in cluster nodes: reports are gathered, sorted by node pair and
 * merged, peers are found by binary search over the sorted node ids, and
 * every pair is visited once in ascending order, taking the merged
 * reports or, where there are none, the network coordinates' estimate.
 */
#include "ag_snapshot.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_device.h"
#include "net_vivaldi.h"
#include "pl_dtype.h"
#include "sec_err.h"
#include "sec_identity.h"

#define NONE	SIZE_MAX

/* One side's report of a link, between cluster nodes a < b. */
struct report {
	size_t	a, b;
	double	rtt_s;
	double	bandwidth;
};

/* Snapshot node i's id, for sorting and searching. */
struct idref {
	const char	*id;
	size_t		 i;
};

struct build {
	const struct ag_snapshot_node	*nodes;
	size_t				 n;
	const struct ag_snapshot_opts	*o;
	struct pl_cluster		*out;
	size_t				*cidx;	/* snapshot node -> cluster node */
	struct idref			*ids;	/* sorted by id */
	size_t				 ndropped;
	char				*err;
	size_t				 errlen;
	int				 have_reason;
};

void
ag_snapshot_opts_init(struct ag_snapshot_opts *o)
{
	memset(o, 0, sizeof *o);
	o->reserve_ratio = 0.10;
	o->min_battery_ratio = 0.20;
	o->max_temp_celsius = 90.0;
	o->allow_devices = NULL;
	o->nallow = 0;
}

/* Copies a record's char array (maybe without a NUL) into out. */
static void
field(const char *s, size_t cap, char *out, size_t outcap)
{
	size_t	len;

	len = strnlen(s, cap);
	if (len >= outcap)
		len = outcap - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

static int
count_clamp(int n, int max)
{
	if (n < 0)
		return 0;
	return n > max ? max : n;
}

static int
known(double v)
{
	return !isnan(v);
}

static int
positive(double v)
{
	return isfinite(v) && v > 0;
}

/* Counts one device left out; the first reason goes into err. */
static void
drop(struct build *b, const char *node, const char *dev, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
drop(struct build *b, const char *node, const char *dev, const char *fmt,
    ...)
{
	char	why[192];
	va_list	ap;

	b->ndropped++;
	if (b->have_reason)
		return;
	b->have_reason = 1;
	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	(void)sec_err(b->err, b->errlen, "%s/%s: %s", node, dev, why);
}

/*
 * Placement dtypes a device with these capability flags runs.  FP32 runs
 * the quantised formats by dequantising to fp32 on the fly, and fp16 and
 * bf16 by widening to fp32; native FP16 runs fp16; INT8 runs int8.
 */
static unsigned
map_dtypes(uint32_t be)
{
	unsigned	m = 0;

	if (be & BE_DTYPE_FP32)
		m |= PL_DT_BIT(PL_DT_FP32) | PL_DT_BIT(PL_DT_FP16) |
		    PL_DT_BIT(PL_DT_BF16) | PL_DT_BIT(PL_DT_Q8_0) |
		    PL_DT_BIT(PL_DT_Q4_0) | PL_DT_BIT(PL_DT_GGML_QUANT);
	if (be & BE_DTYPE_FP16)
		m |= PL_DT_BIT(PL_DT_FP16);
	if (be & BE_DTYPE_INT8)
		m |= PL_DT_BIT(PL_DT_INT8);
	return m;
}

static int
opts_valid(const struct ag_snapshot_opts *o, char *err, size_t errlen)
{
	size_t	i;

	if (!(o->reserve_ratio >= 0 && o->reserve_ratio < 1)) {
		return sec_err(err, errlen,
		    "reserve ratio %g: must be in [0, 1)", o->reserve_ratio);
	}
	if (!(o->min_battery_ratio >= 0 && o->min_battery_ratio <= 1)) {
		return sec_err(err, errlen,
		    "minimum battery ratio %g: must be in [0, 1]",
		    o->min_battery_ratio);
	}
	if (isnan(o->max_temp_celsius)) {
		return sec_err(err, errlen,
		    "maximum temperature: not a number");
	}
	if (o->nallow > 0 && o->allow_devices == NULL) {
		return sec_err(err, errlen,
		    "allow list: %zu entries but no array", o->nallow);
	}
	for (i = 0; i < o->nallow; i++) {
		if (o->allow_devices[i] == NULL) {
			return sec_err(err, errlen,
			    "allow list: entry %zu is NULL", i);
		}
	}
	return 0;
}

static int
cmp_idref(const void *a, const void *b)
{
	return strcmp(((const struct idref *)a)->id,
	    ((const struct idref *)b)->id);
}

/* Checks the node ids and sorts them into b->ids. */
static int
check_nodes(struct build *b)
{
	size_t	i, len;

	for (i = 0; i < b->n; i++) {
		if (b->nodes[i].rec == NULL || b->nodes[i].node_id == NULL) {
			return sec_err(b->err, b->errlen,
			    "node %zu: no id or record", i);
		}
		len = strnlen(b->nodes[i].node_id, PL_NAME_MAX);
		if (len == 0 || len >= PL_NAME_MAX ||
		    strchr(b->nodes[i].node_id, '/') != NULL) {
			return sec_err(b->err, b->errlen,
			    "node %zu: id must be 1..%d "
			    "bytes without '/'", i, PL_NAME_MAX - 1);
		}
		b->ids[i].id = b->nodes[i].node_id;
		b->ids[i].i = i;
	}
	qsort(b->ids, b->n, sizeof *b->ids, cmp_idref);
	for (i = 1; i < b->n; i++) {
		if (strcmp(b->ids[i - 1].id, b->ids[i].id) == 0) {
			return sec_err(b->err, b->errlen,
			    "node %s appears twice", b->ids[i].id);
		}
	}
	return 0;
}

/* Snapshot index of node id, or NONE. */
static size_t
find_node(const struct build *b, const char *id)
{
	struct idref	key, *hit;

	key.id = id;
	key.i = 0;
	hit = bsearch(&key, b->ids, b->n, sizeof *b->ids, cmp_idref);
	return hit == NULL ? NONE : hit->i;
}

/*
 * -1 when no device of the snapshot has a measured figure (and there are
 * devices), or there are none at all.
 */
static int
check_measured(const struct build *b)
{
	const struct ag_record	*r;
	size_t			 i, total = 0, measured = 0;
	int			 j, nd;

	for (i = 0; i < b->n; i++) {
		r = b->nodes[i].rec;
		nd = count_clamp(r->ndevices, AG_RECORD_MAX_DEVICES);
		for (j = 0; j < nd; j++) {
			total++;
			if (known(r->devices[j].memory_bandwidth) ||
			    known(r->devices[j].flops))
				measured++;
		}
	}
	if (total == 0) {
		return sec_err(b->err, b->errlen, "no devices in the snapshot");
	}
	if (measured == 0) {
		(void)sec_err(b->err, b->errlen,
		    "nothing measured: none of the %zu "
		    "devices has bandwidth or FLOP/s figures; run `exogpu "
		    "devices --bench` on the nodes", total);
		return -1;
	}
	return 0;
}

/* Usable bytes of d, or 0 with *why set. */
static uint64_t
usable_memory(const struct ag_record_device *d, double reserve,
    const char **why)
{
	double	m;

	if (isfinite(d->memory_free_bytes) && d->memory_free_bytes >= 0) {
		m = d->memory_free_bytes;
		if (d->memory_total_bytes > 0 &&
		    m > (double)d->memory_total_bytes)
			m = (double)d->memory_total_bytes;
	} else
		m = (double)d->memory_total_bytes;
	m = floor(m * (1.0 - reserve));
	if (!(m >= 1)) {
		*why = "no usable memory";
		return 0;
	}
	if (m >= 18446744073709551616.0) {	/* 2^64 */
		*why = "implausible memory figure";
		return 0;
	}
	return (uint64_t)m;
}

static int
id_taken(const struct pl_cluster *c, const char *id)
{
	size_t	i;

	for (i = 0; i < c->ndevices; i++)
		if (strcmp(c->devices[i].id, id) == 0)
			return 1;
	return 0;
}

/*
 * "NODEID/DEVICEID" into out (PL_NAME_MAX), the node id shortened when
 * the whole does not fit.  -1 when even the shortest form does not.
 */
static int
make_id(const char *node, const char *dev, char *out)
{
	size_t	nl = strlen(node), dl = strlen(dev), keep;

	if (nl + 1 + dl < PL_NAME_MAX)
		keep = nl;
	else if (dl + 1 + AG_SNAPSHOT_MIN_NODE_PREFIX < PL_NAME_MAX)
		keep = PL_NAME_MAX - 1 - 1 - dl;
	else
		return -1;
	memcpy(out, node, keep);
	out[keep] = '/';
	memcpy(out + keep + 1, dev, dl + 1);
	return 0;
}

bool
ag_snapshot_selector_ok(const char *s)
{
	size_t	n = strspn(s, "abcdefghijklmnopqrstuvwxyz234567");

	return n == SEC_NODE_ID_LEN && (s[n] == '\0' ||
	    (s[n] == '/' && s[n + 1] != '\0'));
}

static int
allowed(const struct ag_snapshot_opts *o, const char *node, const char *dev)
{
	const char	*s;
	size_t		 i, nl;

	if (o->allow_devices == NULL)
		return 1;
	nl = strlen(node);
	for (i = 0; i < o->nallow; i++) {
		s = o->allow_devices[i];
		/* Node-scoped only: a bare device id is any node's claim. */
		if (strcmp(s, node) == 0)
			return 1;
		if (strncmp(s, node, nl) == 0 && s[nl] == '/' &&
		    strcmp(s + nl + 1, dev) == 0)
			return 1;
	}
	return 0;
}

/* Adds device j of snapshot node i, or drops it.  -1 on ENOMEM. */
static int
add_device(struct build *b, size_t i, const struct ag_record_device *rd,
    int node_ineligible)
{
	const char		*node = b->nodes[i].node_id, *why = NULL;
	char			 dev[sizeof rd->id];
	struct pl_device	 d;
	uint64_t		 mem;

	field(rd->id, sizeof rd->id, dev, sizeof dev);
	if (dev[0] == '\0') {
		drop(b, node, "?", "device without an id");
		return 0;
	}
	if (b->out->ndevices >= PL_MAX_DEVICES) {
		drop(b, node, dev, "more than %d devices in the cluster",
		    PL_MAX_DEVICES);
		return 0;
	}
	if (!known(rd->memory_bandwidth) || !known(rd->flops)) {
		drop(b, node, dev, "no measured figures; run `exogpu devices "
		    "--bench` on that node");
		return 0;
	}
	if (!positive(rd->memory_bandwidth)) {
		drop(b, node, dev, "memory bandwidth %g: not a positive "
		    "figure", rd->memory_bandwidth);
		return 0;
	}
	if (!positive(rd->flops)) {
		drop(b, node, dev, "FLOP/s %g: not a positive figure",
		    rd->flops);
		return 0;
	}
	if ((mem = usable_memory(rd, b->o->reserve_ratio, &why)) == 0) {
		drop(b, node, dev, "%s", why);
		return 0;
	}
	memset(&d, 0, sizeof d);
	if (make_id(node, dev, d.id) != 0) {
		drop(b, node, dev, "device id too long");
		return 0;
	}
	if (id_taken(b->out, d.id)) {
		drop(b, node, dev, "device id %s already in the cluster",
		    d.id);
		return 0;
	}
	if (b->cidx[i] == NONE &&
	    pl_cluster_node(b->out, node, &b->cidx[i]) != 0) {
		return sec_err(b->err, b->errlen,
		    "node %s: out of memory", node);
	}
	d.node = b->cidx[i];
	d.memory_bytes = mem;
	d.bandwidth = rd->memory_bandwidth;
	d.flops = rd->flops;
	d.dtypes = map_dtypes(rd->dtypes);
	/* A CPU and an integrated GPU share the node's DRAM: one pool. */
	if (strncmp(rd->type, "cpu", sizeof rd->type) == 0 ||
	    strncmp(rd->type, "integrated", sizeof rd->type) == 0)
		d.pool = (uint32_t)d.node + 1;
	d.eligible = !node_ineligible &&
	    !(isfinite(rd->temperature_celsius) &&
	    rd->temperature_celsius > b->o->max_temp_celsius) &&
	    !rd->throttle_predicted && allowed(b->o, node, dev);
	d.has_thermal = 0;
	if (pl_cluster_add_device(b->out, &d) != 0) {
		return sec_err(b->err, b->errlen, "%s: out of memory", d.id);
	}
	return 0;
}

static int
add_devices(struct build *b)
{
	const struct ag_record	*r;
	size_t			 i;
	int			 j, nd, low;

	for (i = 0; i < b->n; i++) {
		r = b->nodes[i].rec;
		low = r->on_ac == 0 && isfinite(r->battery_ratio) &&
		    r->battery_ratio < b->o->min_battery_ratio;
		nd = count_clamp(r->ndevices, AG_RECORD_MAX_DEVICES);
		for (j = 0; j < nd; j++)
			if (add_device(b, i, &r->devices[j], low) != 0)
				return -1;
	}
	return 0;
}

static int
cmp_report(const void *pa, const void *pb)
{
	const struct report	*a = pa, *b = pb;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return 0;
}

/* Every report between two nodes of the cluster, into *out (malloc'd). */
static int
gather_reports(const struct build *b, struct report **out, size_t *nout)
{
	const struct ag_record	*r;
	struct report		*rep;
	char			 peer[sizeof r->links[0].peer];
	size_t			 i, j, n = 0, cap = 0;
	int			 k, nl;

	for (i = 0; i < b->n; i++)
		if (b->cidx[i] != NONE)
			cap += (size_t)count_clamp(b->nodes[i].rec->nlinks,
			    AG_RECORD_MAX_LINKS);
	*out = NULL;
	*nout = 0;
	if (cap == 0)
		return 0;
	if ((rep = calloc(cap, sizeof *rep)) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		if (b->cidx[i] == NONE)
			continue;
		r = b->nodes[i].rec;
		nl = count_clamp(r->nlinks, AG_RECORD_MAX_LINKS);
		for (k = 0; k < nl; k++) {
			if (strnlen(r->links[k].peer, sizeof peer) ==
			    sizeof peer)
				continue;	/* no NUL: not an id */
			field(r->links[k].peer, sizeof r->links[k].peer, peer,
			    sizeof peer);
			j = find_node(b, peer);
			if (j == NONE || j == i || b->cidx[j] == NONE)
				continue;
			rep[n].a = b->cidx[i] < b->cidx[j] ? b->cidx[i] :
			    b->cidx[j];
			rep[n].b = b->cidx[i] < b->cidx[j] ? b->cidx[j] :
			    b->cidx[i];
			rep[n].rtt_s = r->links[k].rtt_s;
			rep[n].bandwidth = r->links[k].bandwidth;
			n++;
		}
	}
	qsort(rep, n, sizeof *rep, cmp_report);
	*out = rep;
	*nout = n;
	return 0;
}

/* What a cluster node brings to pairs nobody measured. */
struct nodeinfo {
	const struct net_viv_coord	*coord;	/* NULL: none or invalid */
	double				 bw;	/* median reported, NAN */
};

static int
cmp_double(const void *pa, const void *pb)
{
	double	a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

/* The median of the positive bandwidths r reports, or NAN. */
static double
median_bandwidth(const struct ag_record *r)
{
	double	v[AG_RECORD_MAX_LINKS];
	int	k, nl = count_clamp(r->nlinks, AG_RECORD_MAX_LINKS), n = 0;

	for (k = 0; k < nl; k++)
		if (positive(r->links[k].bandwidth))
			v[n++] = r->links[k].bandwidth;
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof v[0], cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct nodeinfo *
node_info(const struct build *b)
{
	struct nodeinfo		*ni;
	const struct ag_record	*r;
	size_t			 i, k;

	if ((ni = calloc(b->out->nnodes + 1, sizeof *ni)) == NULL)
		return NULL;
	for (i = 0; i < b->n; i++) {
		if ((k = b->cidx[i]) == NONE || k >= b->out->nnodes)
			continue;
		r = b->nodes[i].rec;
		/* The largest error: no sample yet, or none that fit. */
		ni[k].coord = r->has_coord && net_viv_coord_valid(&r->coord) &&
		    r->coord.error < NET_VIV_ERROR_MAX ? &r->coord : NULL;
		ni[k].bw = median_bandwidth(r);
	}
	return ni;
}

/* One-way latency and bandwidth for a pair no record reports; -1: no
 * estimate (a side without a coordinate). */
static int
estimate(const struct nodeinfo *ni, size_t a, size_t c, double *lat,
    double *bw)
{
	double	rtt;

	if (ni[a].coord == NULL || ni[c].coord == NULL)
		return -1;
	rtt = net_viv_distance(ni[a].coord, ni[c].coord);
	if (!(rtt >= 0 && rtt <= NET_VIV_RTT_MAX))
		return -1;
	*lat = rtt / 2;
	if (isfinite(ni[a].bw) && isfinite(ni[c].bw))
		*bw = fmin(ni[a].bw, ni[c].bw);
	else if (isfinite(ni[a].bw) || isfinite(ni[c].bw))
		*bw = isfinite(ni[a].bw) ? ni[a].bw : ni[c].bw;
	else
		*bw = AG_SNAPSHOT_DEFAULT_BANDWIDTH;
	return 0;
}

/*
 * Every pair of cluster nodes in ascending order (so pl_cluster looks
 * links up by bisection): merged reports where there are some, else the
 * coordinates' estimate, else no link.
 */
static int
add_links(struct build *b)
{
	struct report	*rep;
	struct nodeinfo	*ni;
	size_t		 nrep, s = 0, e, a, c, nn = b->out->nnodes;
	double		 rtt, bw, elat, ebw;
	int		 rc = 0, have, est;

	if (gather_reports(b, &rep, &nrep) != 0)
		return sec_err(b->err, b->errlen, "links: out of memory");
	if ((ni = node_info(b)) == NULL) {
		free(rep);
		return sec_err(b->err, b->errlen, "links: out of memory");
	}
	for (a = 0; a < nn && rc == 0; a++) {
		for (c = a + 1; c < nn && rc == 0; c++) {
			rtt = bw = INFINITY;
			for (e = s; e < nrep && rep[e].a == a &&
			    rep[e].b == c; e++) {
				if (isfinite(rep[e].rtt_s) &&
				    rep[e].rtt_s >= 0 && rep[e].rtt_s < rtt)
					rtt = rep[e].rtt_s;
				if (positive(rep[e].bandwidth) &&
				    rep[e].bandwidth < bw)
					bw = rep[e].bandwidth;
			}
			have = e > s;
			s = e;
			est = estimate(ni, a, c, &elat, &ebw) == 0;
			if (!have && !est)
				continue;
			if (have) {
				elat = isfinite(rtt) ? rtt / 2 : est ? elat :
				    AG_SNAPSHOT_DEFAULT_LATENCY_S;
				ebw = isfinite(bw) ? bw :
				    AG_SNAPSHOT_DEFAULT_BANDWIDTH;
			}
			if (pl_cluster_add_link(b->out, a, c, elat, ebw) != 0)
				rc = sec_err(b->err, b->errlen, "links %s - "
				    "%s: table full or out of memory",
				    b->out->nodes[a].name,
				    b->out->nodes[c].name);
		}
	}
	free(ni);
	free(rep);
	return rc;
}

int
ag_snapshot_build(const struct ag_snapshot_node *nodes, size_t n,
    const struct ag_snapshot_opts *opts, struct pl_cluster *out,
    size_t *ndropped, char *err, size_t errlen)
{
	struct ag_snapshot_opts	 defaults;
	struct build		 b;
	size_t			 i;
	int			 rc = -1;

	pl_cluster_init(out);
	if (ndropped != NULL)
		*ndropped = 0;
	(void)sec_err(err, errlen, "%s", "");
	if (opts == NULL) {
		ag_snapshot_opts_init(&defaults);
		opts = &defaults;
	}
	if (opts_valid(opts, err, errlen) != 0)
		return -1;
	if (n > 0 && nodes == NULL) {
		return sec_err(err, errlen, "%zu nodes but no array", n);
	}
	if (n > PL_MAX_NODES) {
		return sec_err(err, errlen,
		    "%zu nodes: at most %d", n, PL_MAX_NODES);
	}
	memset(&b, 0, sizeof b);
	b.nodes = nodes;
	b.n = n;
	b.o = opts;
	b.out = out;
	b.err = err;
	b.errlen = errlen;
	b.cidx = calloc(n == 0 ? 1 : n, sizeof *b.cidx);
	b.ids = calloc(n == 0 ? 1 : n, sizeof *b.ids);
	if (b.cidx == NULL || b.ids == NULL) {
		(void)sec_err(err, errlen, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		b.cidx[i] = NONE;
	if (check_nodes(&b) != 0 || check_measured(&b) != 0 ||
	    add_devices(&b) != 0 || add_links(&b) != 0)
		goto done;
	if (ndropped != NULL)
		*ndropped = b.ndropped;
	rc = 0;
done:
	free(b.cidx);
	free(b.ids);
	if (rc != 0)
		pl_cluster_free(out);
	return rc;
}
