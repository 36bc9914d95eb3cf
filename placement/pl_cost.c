/*
 * pl_cost.c - the reference reading of the cost model (see pl_cost.h).
 *
 * Written for clarity, not speed: every term is its own function so the
 * solver's dense tables (pl_solve.c) can be filled from the same code and
 * the tests can check each term by hand.
 */
#include "pl_cost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
pl_request_init(struct pl_request *r)
{
	memset(r, 0, sizeof *r);
	r->context = 4096;
	r->reserve = PL_RESERVE_DEFAULT;
	r->engine = PL_ENGINE_LLAMA_CPP;
	r->client = PL_CLIENT_AUTO;
}

double
pl_request_fill(const struct pl_request *r)
{
	if (r->prompt == 0 && r->generate == 0)
		return (double)r->context / 2;
	return (double)r->prompt + (double)r->generate / 2;
}

int
pl_request_check(const struct pl_cluster *c, const struct pl_request *r,
    char *err, size_t errlen)
{
	if (!(r->reserve >= 0 && r->reserve <= PL_RESERVE_MAX)) {
		(void)snprintf(err, errlen, "reserve %g: must be in [0, %g]",
		    r->reserve, PL_RESERVE_MAX);
		return -1;
	}
	if (r->engine != PL_ENGINE_LLAMA_CPP && r->engine != PL_ENGINE_RING) {
		(void)snprintf(err, errlen, "unknown engine profile");
		return -1;
	}
	if (r->prompt > r->context || r->generate > r->context - r->prompt) {
		(void)snprintf(err, errlen, "prompt %llu + generate %llu "
		    "exceed the context %llu", (unsigned long long)r->prompt,
		    (unsigned long long)r->generate,
		    (unsigned long long)r->context);
		return -1;
	}
	if (r->client != PL_CLIENT_AUTO && r->client >= c->nnodes) {
		(void)snprintf(err, errlen, "client node %zu: no such node",
		    r->client);
		return -1;
	}
	return 0;
}

const char *
pl_engine_name(enum pl_engine e)
{
	return e == PL_ENGINE_RING ? "ring" : "llama.cpp";
}

int
pl_engine_parse(const char *s, enum pl_engine *out)
{
	if (strcmp(s, "llama.cpp") == 0)
		*out = PL_ENGINE_LLAMA_CPP;
	else if (strcmp(s, "ring") == 0)
		*out = PL_ENGINE_RING;
	else
		return -1;
	return 0;
}

size_t
pl_request_client(const struct pl_cluster *c, const struct pl_request *r)
{
	if (r->client != PL_CLIENT_AUTO)
		return r->client;
	return c->has_client ? c->client : 0;
}

int
pl_device_usable(const struct pl_device *d, enum pl_dtype dt)
{
	return d->eligible && (d->dtypes & PL_DT_BIT(dt)) != 0;
}

/* M less the reserve, rounded to the nearest byte: M - round(M * r). */
static uint64_t
reserved(uint64_t m, double reserve)
{
	long double	r;

	r = roundl((long double)m * (long double)reserve);
	if (!(r > 0))
		return m;
	if (r >= (long double)m)
		return 0;
	return m - (uint64_t)r;
}

uint64_t
pl_device_capacity(const struct pl_device *d, double reserve)
{
	uint64_t	m = reserved(d->memory_bytes, reserve);

	return m > d->booked_bytes ? m - d->booked_bytes : 0;
}

uint64_t
pl_pool_capacity(const struct pl_cluster *c, uint32_t pool, double reserve)
{
	uint64_t	best = 0, booked = 0, m;
	size_t		i;

	for (i = 0; i < c->ndevices; i++) {
		if (c->devices[i].pool != pool)
			continue;
		m = reserved(c->devices[i].memory_bytes, reserve);
		if (m > best)
			best = m;
		booked = booked > UINT64_MAX - c->devices[i].booked_bytes ?
		    UINT64_MAX : booked + c->devices[i].booked_bytes;
	}
	return best > booked ? best - booked : 0;
}

double
pl_cost_tau(const struct pl_device *d, double bytes, double flops)
{
	double	mem, comp;

	mem = bytes / d->bandwidth;
	comp = flops / d->flops;
	return mem > comp ? mem : comp;
}

double
pl_cost_head(const struct pl_device *d, const struct pl_model *m)
{
	return pl_cost_tau(d, (double)m->head_bytes, m->head_flops_per_token);
}

double
pl_cost_leg(const struct pl_cluster *c, size_t na, size_t nb, double bytes)
{
	const struct pl_link	*l;
	const struct pl_node	*n;

	if (na == nb) {
		n = &c->nodes[na];
		return n->intra_latency_s + bytes / n->intra_bandwidth;
	}
	if ((l = pl_cluster_link(c, na, nb)) == NULL)
		return INFINITY;
	return l->latency_s + bytes / l->bandwidth;
}

/* One-way latency between two nodes (INFINITY without a link). */
static double
alpha(const struct pl_cluster *c, size_t na, size_t nb)
{
	const struct pl_link	*l;

	if (na == nb)
		return c->nodes[na].intra_latency_s;
	if ((l = pl_cluster_link(c, na, nb)) == NULL)
		return INFINITY;
	return l->latency_s;
}

/* f32 activations: twice the model's (fp16) A. */
static double
wire(const struct pl_model *m)
{
	return 2.0 * (double)m->activation_bytes;
}

/* Logits back to the client; a sampled token (4 bytes) without V. */
static double
logits(const struct pl_model *m)
{
	return m->vocab > 0 ? 4.0 * (double)m->vocab : 4.0;
}

static size_t
node_of(const struct pl_cluster *c, size_t dev)
{
	return c->devices[dev].node;
}

double
pl_cost_open(const struct pl_cluster *c, const struct pl_model *m,
    const struct pl_request *r, size_t f)
{
	size_t	cl = pl_request_client(c, r), nf = node_of(c, f);

	if (r->engine == PL_ENGINE_RING)
		return 0;
	return 2 * alpha(c, cl, nf) + pl_cost_leg(c, cl, nf, wire(m));
}

double
pl_cost_edge(const struct pl_cluster *c, const struct pl_model *m,
    const struct pl_request *r, size_t a, size_t b)
{
	size_t	cl = pl_request_client(c, r);

	if (r->engine == PL_ENGINE_RING)
		return pl_cost_leg(c, node_of(c, a), node_of(c, b),
		    (double)m->activation_bytes);
	return pl_cost_leg(c, node_of(c, a), cl, wire(m)) +
	    2 * alpha(c, cl, node_of(c, b)) +
	    pl_cost_leg(c, cl, node_of(c, b), wire(m));
}

double
pl_cost_close(const struct pl_cluster *c, const struct pl_model *m,
    const struct pl_request *r, size_t g, size_t f)
{
	if (r->engine == PL_ENGINE_RING)
		return pl_cost_leg(c, node_of(c, g), node_of(c, f),
		    (double)m->activation_bytes);
	return pl_cost_leg(c, node_of(c, g), pl_request_client(c, r),
	    logits(m));
}

double
pl_cost_only(const struct pl_cluster *c, const struct pl_model *m,
    const struct pl_request *r, size_t d)
{
	if (r->engine == PL_ENGINE_RING)
		return 0;
	return pl_cost_open(c, m, r, d) + pl_cost_close(c, m, r, d, d);
}

int
pl_cost_stage_memory(const struct pl_model *m, uint64_t footprint,
    uint32_t layers, int embed, int last, uint64_t *out)
{
	uint64_t	v;

	if (layers != 0 && footprint > UINT64_MAX / layers)
		return -1;
	v = footprint * layers;
	if (embed) {
		if (v > UINT64_MAX - m->embed_bytes)
			return -1;
		v += m->embed_bytes;
	}
	if (last) {
		if (v > UINT64_MAX - m->head_bytes)
			return -1;
		v += m->head_bytes;
	}
	*out = v;
	return 0;
}

/* Stages sharing a pool fit it together. */
static int
check_pools(const struct pl_cluster *c, const struct pl_request *r,
    const struct pl_stage *st, size_t k, char *err, size_t errlen)
{
	uint64_t	sum;
	uint32_t	pool;
	size_t		i, j;

	for (i = 0; i < k; i++) {
		if ((pool = c->devices[st[i].device].pool) == 0)
			continue;
		sum = 0;
		for (j = 0; j < k; j++) {
			if (c->devices[st[j].device].pool != pool)
				continue;
			if (j < i)
				break;		/* checked with stage j */
			sum = sum > UINT64_MAX - st[j].memory_bytes ?
			    UINT64_MAX : sum + st[j].memory_bytes;
		}
		if (j == k && sum > pl_pool_capacity(c, pool, r->reserve)) {
			(void)snprintf(err, errlen, "memory pool %u: stages "
			    "need %llu bytes, it has %llu", pool,
			    (unsigned long long)sum, (unsigned long long)
			    pl_pool_capacity(c, pool, r->reserve));
			return -1;
		}
	}
	return 0;
}

static double
comm(const struct pl_cluster *c, const struct pl_model *m,
    const struct pl_request *r, const struct pl_stage *st, size_t k)
{
	double	t;
	size_t	i;

	if (k == 1)
		return pl_cost_only(c, m, r, st[0].device);
	t = pl_cost_open(c, m, r, st[0].device);
	for (i = 0; i + 1 < k; i++)
		t += pl_cost_edge(c, m, r, st[i].device, st[i + 1].device);
	return t + pl_cost_close(c, m, r, st[k - 1].device, st[0].device);
}

static int
check_stage(const struct pl_cluster *c, const struct pl_model *m,
    const struct pl_request *r, uint64_t fp, const struct pl_stage *st,
    size_t i, size_t k, uint32_t next, char *err, size_t errlen)
{
	const struct pl_device	*d;
	uint64_t		 mem;
	uint32_t		 l;
	size_t			 j;

	if (st[i].device >= c->ndevices) {
		(void)snprintf(err, errlen, "stage %zu: no such device", i);
		return -1;
	}
	d = &c->devices[st[i].device];
	for (j = 0; j < i; j++) {
		if (st[j].device == st[i].device) {
			(void)snprintf(err, errlen, "stage %zu: device %s used "
			    "twice", i, d->id);
			return -1;
		}
	}
	if (!pl_device_usable(d, m->dtype)) {
		(void)snprintf(err, errlen, "stage %zu: device %s is not "
		    "eligible for %s", i, d->id, pl_dtype_name(m->dtype));
		return -1;
	}
	if (st[i].layer_start != next || st[i].layer_end <= st[i].layer_start) {
		(void)snprintf(err, errlen, "stage %zu: layers [%u, %u) do not "
		    "continue at %u", i, st[i].layer_start, st[i].layer_end,
		    next);
		return -1;
	}
	l = st[i].layer_end - st[i].layer_start;
	if (pl_cost_stage_memory(m, fp, l, i == 0 &&
	    r->engine == PL_ENGINE_RING, i == k - 1, &mem) != 0 ||
	    mem > pl_device_capacity(d, r->reserve)) {
		(void)snprintf(err, errlen, "stage %zu: %u layers do not fit "
		    "in %s", i, l, d->id);
		return -1;
	}
	if (mem != st[i].memory_bytes) {
		(void)snprintf(err, errlen, "stage %zu: memory_bytes %llu, "
		    "expected %llu", i, (unsigned long long)st[i].memory_bytes,
		    (unsigned long long)mem);
		return -1;
	}
	return 0;
}

int
pl_cost_evaluate(const struct pl_cluster *c, const struct pl_model *m,
    const struct pl_request *r, const struct pl_stage *st, size_t k,
    double *latency, char *err, size_t errlen)
{
	const struct pl_device	*d;
	uint64_t		 fp;
	uint32_t		 next = 0;
	double			 t = 0, h, rd;
	size_t			 i;

	if (k == 0 || k > c->ndevices) {
		(void)snprintf(err, errlen, "plan has %zu stages", k);
		return -1;
	}
	if (pl_request_check(c, r, err, errlen) != 0)
		return -1;
	if (pl_model_layer_footprint(m, r->context, &fp) != 0) {
		(void)snprintf(err, errlen, "layer footprint overflows");
		return -1;
	}
	rd = (double)m->layer_bytes + (double)m->kv_bytes_per_token_per_layer *
	    pl_request_fill(r);
	for (i = 0; i < k; i++) {
		if (check_stage(c, m, r, fp, st, i, k, next, err, errlen) != 0)
			return -1;
		next = st[i].layer_end;
		d = &c->devices[st[i].device];
		t += (double)(st[i].layer_end - st[i].layer_start) *
		    pl_cost_tau(d, rd, m->flops_per_token_per_layer);
	}
	if (next != m->layers) {
		(void)snprintf(err, errlen, "plan covers %u of %u layers",
		    next, m->layers);
		return -1;
	}
	if (check_pools(c, r, st, k, err, errlen) != 0)
		return -1;
	h = comm(c, m, r, st, k);
	if (!isfinite(h)) {
		(void)snprintf(err, errlen, "a link the plan needs is missing");
		return -1;
	}
	*latency = t + pl_cost_head(&c->devices[st[k - 1].device], m) + h;
	return 0;
}
