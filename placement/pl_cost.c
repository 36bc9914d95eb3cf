/*
 * pl_cost.c - the reference reading of the cost model (see pl_cost.h).
 */
#include "pl_cost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int
pl_device_usable(const struct pl_device *d, enum pl_dtype dt)
{
	return d->eligible && (d->dtypes & PL_DT_BIT(dt)) != 0;
}

double
pl_cost_tau(const struct pl_device *d, uint64_t footprint, double flops)
{
	double	mem, comp;

	mem = (double)footprint / d->bandwidth;
	comp = flops / d->flops;
	return mem > comp ? mem : comp;
}

double
pl_cost_hop(const struct pl_cluster *c, const struct pl_model *m, size_t a,
    size_t b)
{
	const struct pl_device	*da = &c->devices[a], *db = &c->devices[b];
	const struct pl_link	*l;
	const struct pl_node	*n;

	if (da->node == db->node) {
		n = &c->nodes[da->node];
		return n->intra_latency_s +
		    (double)m->activation_bytes / n->intra_bandwidth;
	}
	if ((l = pl_cluster_link(c, da->node, db->node)) == NULL)
		return INFINITY;
	return l->latency_s + (double)m->activation_bytes / l->bandwidth;
}

int
pl_cost_stage_memory(const struct pl_model *m, uint64_t footprint,
    uint32_t layers, int first, int last, uint64_t *out)
{
	uint64_t	v;

	if (layers != 0 && footprint > UINT64_MAX / layers)
		return -1;
	v = footprint * layers;
	if (first) {
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

int
pl_cost_evaluate(const struct pl_cluster *c, const struct pl_model *m,
    uint64_t ctx, const struct pl_stage *st, size_t k, double *latency,
    char *err, size_t errlen)
{
	const struct pl_device	*d;
	uint64_t		 fp, mem;
	uint32_t		 next = 0, l;
	double			 t = 0, h;
	size_t			 i, j;

	if (k == 0 || k > c->ndevices) {
		(void)snprintf(err, errlen, "plan has %zu stages", k);
		return -1;
	}
	if (pl_model_layer_footprint(m, ctx, &fp) != 0) {
		(void)snprintf(err, errlen, "layer footprint overflows");
		return -1;
	}
	for (i = 0; i < k; i++) {
		if (st[i].device >= c->ndevices) {
			(void)snprintf(err, errlen, "stage %zu: no such device",
			    i);
			return -1;
		}
		d = &c->devices[st[i].device];
		for (j = 0; j < i; j++) {
			if (st[j].device == st[i].device) {
				(void)snprintf(err, errlen,
				    "stage %zu: device %s used twice", i,
				    d->id);
				return -1;
			}
		}
		if (!pl_device_usable(d, m->dtype)) {
			(void)snprintf(err, errlen, "stage %zu: device %s is "
			    "not eligible for %s", i, d->id,
			    pl_dtype_name(m->dtype));
			return -1;
		}
		if (st[i].layer_start != next ||
		    st[i].layer_end <= st[i].layer_start) {
			(void)snprintf(err, errlen, "stage %zu: layers "
			    "[%u, %u) do not continue at %u", i,
			    st[i].layer_start, st[i].layer_end, next);
			return -1;
		}
		l = st[i].layer_end - st[i].layer_start;
		next = st[i].layer_end;
		if (pl_cost_stage_memory(m, fp, l, i == 0, i == k - 1,
		    &mem) != 0 || mem > d->memory_bytes) {
			(void)snprintf(err, errlen, "stage %zu: %u layers do "
			    "not fit in %s", i, l, d->id);
			return -1;
		}
		if (mem != st[i].memory_bytes) {
			(void)snprintf(err, errlen, "stage %zu: memory_bytes "
			    "%llu, expected %llu", i,
			    (unsigned long long)st[i].memory_bytes,
			    (unsigned long long)mem);
			return -1;
		}
		t += (double)l * pl_cost_tau(d, fp,
		    m->flops_per_token_per_layer);
	}
	if (next != m->layers) {
		(void)snprintf(err, errlen, "plan covers %u of %u layers",
		    next, m->layers);
		return -1;
	}
	if (k > 1) {
		for (i = 0; i < k; i++) {
			h = pl_cost_hop(c, m, st[i].device,
			    st[(i + 1) % k].device);
			if (!isfinite(h)) {
				(void)snprintf(err, errlen, "no link between "
				    "%s and %s", c->devices[st[i].device].id,
				    c->devices[st[(i + 1) % k].device].id);
				return -1;
			}
			t += h;
		}
	}
	*latency = t;
	return 0;
}
