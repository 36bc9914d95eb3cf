/*
 * ag_place.c - placement records: solving on a snapshot, CBOR encoding
 * for the leader's gossiped record, JSON for the API; see ag_place.h.
 *
 * CBOR: an array of maps {1 id, 2 term, 3 epoch, 4 model {1 name,
 * 2 layers, 3 layer bytes, 4 KV bytes/token/layer, 5 activation bytes,
 * 6 FLOP/token/layer, 7 embedding bytes, 8 head bytes, 9 dtype, 10 head
 * FLOP/token, 11 vocabulary (10 and 11 only when known)}, 5 context,
 * 6 stages [[device, node, start, end, memory]...], 7 latency s, 8 optimal,
 * 9 lower bound s, 10 solve ms, 11 baseline latency s|null, 12 decided at,
 * 13 tenant, 14 token id, 15 [device selectors], 16 max devices, 17 max
 * memory bytes, 18 client node id} (13-17 only for a tenant's placement,
 * 18 only when known).
 */
#include "ag_place.h"
#include "ag_clock.h"
#include "ag_snapshot.h"

#include "pl_cluster.h"
#include "pl_cost.h"
#include "pl_dtype.h"
#include "pl_solve.h"
#include "sec_cbor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct sec_cbor_limits place_limits = {
	AG_PLACE_BYTES, 5, 2048, 128, AG_PLACE_SELECTORS + 8,
	SEC_CBOR_F_DETERMINISTIC,
};

/* --- encoding ------------------------------------------------------------ */

static void
put_model(struct sec_cbor_writer *w, const struct pl_model *m)
{
	(void)sec_cbor_write_map(w, m->vocab > 0 ? 11 : 9);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_cstr(w, m->name);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_uint(w, m->layers);
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_uint(w, m->layer_bytes);
	(void)sec_cbor_write_uint(w, 4);
	(void)sec_cbor_write_uint(w, m->kv_bytes_per_token_per_layer);
	(void)sec_cbor_write_uint(w, 5);
	(void)sec_cbor_write_uint(w, m->activation_bytes);
	(void)sec_cbor_write_uint(w, 6);
	(void)sec_cbor_write_measure(w, m->flops_per_token_per_layer);
	(void)sec_cbor_write_uint(w, 7);
	(void)sec_cbor_write_uint(w, m->embed_bytes);
	(void)sec_cbor_write_uint(w, 8);
	(void)sec_cbor_write_uint(w, m->head_bytes);
	(void)sec_cbor_write_uint(w, 9);
	(void)sec_cbor_write_cstr(w, pl_dtype_name(m->dtype));
	if (m->vocab == 0)
		return;
	(void)sec_cbor_write_uint(w, 10);
	(void)sec_cbor_write_measure(w, m->head_flops_per_token);
	(void)sec_cbor_write_uint(w, 11);
	(void)sec_cbor_write_uint(w, m->vocab);
}

/* Keys 13-17: who owns a tenant's placement. */
static void
put_scope(struct sec_cbor_writer *w, const struct ag_placement *p)
{
	int	i;

	(void)sec_cbor_write_uint(w, 13);
	(void)sec_cbor_write_cstr(w, p->tenant);
	(void)sec_cbor_write_uint(w, 14);
	(void)sec_cbor_write_cstr(w, p->token_id);
	(void)sec_cbor_write_uint(w, 15);
	(void)sec_cbor_write_array(w, (uint64_t)p->nselectors);
	for (i = 0; i < p->nselectors; i++)
		(void)sec_cbor_write_cstr(w, p->selectors[i]);
	(void)sec_cbor_write_uint(w, 16);
	(void)sec_cbor_write_uint(w, p->max_devices);
	(void)sec_cbor_write_uint(w, 17);
	(void)sec_cbor_write_uint(w, p->max_memory_bytes);
}

static void
put_placement(struct sec_cbor_writer *w, const struct ag_placement *p)
{
	int	i, scoped = p->tenant[0] != '\0';
	int	client = p->client[0] != '\0';

	(void)sec_cbor_write_map(w, (scoped ? 17 : 12) + (client ? 1 : 0));
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_uint(w, p->id);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_uint(w, p->term);
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_uint(w, p->epoch);
	(void)sec_cbor_write_uint(w, 4);
	put_model(w, &p->model);
	(void)sec_cbor_write_uint(w, 5);
	(void)sec_cbor_write_uint(w, p->context);
	(void)sec_cbor_write_uint(w, 6);
	(void)sec_cbor_write_array(w, (uint64_t)p->nstages);
	for (i = 0; i < p->nstages; i++) {
		(void)sec_cbor_write_array(w, 5);
		(void)sec_cbor_write_cstr(w, p->stages[i].device);
		(void)sec_cbor_write_cstr(w, p->stages[i].node);
		(void)sec_cbor_write_uint(w, p->stages[i].layer_start);
		(void)sec_cbor_write_uint(w, p->stages[i].layer_end);
		(void)sec_cbor_write_uint(w, p->stages[i].memory_bytes);
	}
	(void)sec_cbor_write_uint(w, 7);
	(void)sec_cbor_write_measure(w, p->latency_s);
	(void)sec_cbor_write_uint(w, 8);
	(void)sec_cbor_write_bool(w, p->optimal);
	(void)sec_cbor_write_uint(w, 9);
	(void)sec_cbor_write_measure(w, p->lower_bound_s);
	(void)sec_cbor_write_uint(w, 10);
	(void)sec_cbor_write_measure(w, p->solve_ms);
	(void)sec_cbor_write_uint(w, 11);
	(void)sec_cbor_write_measure(w, p->baseline_latency_s);
	(void)sec_cbor_write_uint(w, 12);
	(void)sec_cbor_write_measure(w, p->decided_at);
	if (scoped)
		put_scope(w, p);
	if (client) {
		(void)sec_cbor_write_uint(w, 18);
		(void)sec_cbor_write_cstr(w, p->client);
	}
}

int
ag_place_encode(const struct ag_places *ps, uint8_t *buf, size_t cap,
    size_t *len)
{
	struct sec_cbor_writer	w;
	int			i;

	sec_cbor_writer_fixed(&w, buf, cap);
	(void)sec_cbor_write_array(&w, (uint64_t)ps->n);
	for (i = 0; i < ps->n; i++)
		put_placement(&w, &ps->p[i]);
	if (sec_cbor_writer_error(&w) != 0)
		return -1;
	*len = sec_cbor_writer_len(&w);
	return 0;
}

/* --- decoding ------------------------------------------------------------ */

struct dec {
	struct sec_cbor_reader	r;
	int			bad;
};

/*
 * Keys put_model and put_placement always write (bit k for key k): the
 * decoder wants every one, so what it accepts is what the encoder could
 * have written and re-encodes to the same placement.  Keys 13-17 come
 * together, for a tenant's placement only (tenant not "").
 */
#define MODEL_KEYS	0x3feu		/* 1-9 */
#define PLACE_KEYS	0x1ffeu		/* 1-12 */
#define PLACE_SCOPED	0x3e000u	/* 13-17 */

static uint64_t
get_uint(struct dec *d, uint64_t max)
{
	uint64_t	v = 0;

	if (sec_cbor_read_uint(&d->r, &v) != 0 || v > max)
		d->bad = 1;
	return v;
}

static double
get_num(struct dec *d)
{
	double	v;

	if (sec_cbor_read_measure(&d->r, &v) != 0)
		d->bad = 1;
	return v;
}

static void
get_text(struct dec *d, char *out, size_t size)
{
	if (sec_cbor_read_cstr(&d->r, out, size) != 0)
		d->bad = 1;
}

static void
get_model(struct dec *d, struct pl_model *m)
{
	uint64_t	pairs, key, i;
	uint32_t	seen = 0;
	char		dt[16] = "";

	memset(m, 0, sizeof *m);
	if (sec_cbor_read_map(&d->r, &pairs) != 0 || pairs > 16) {
		d->bad = 1;
		return;
	}
	for (i = 0; i < pairs && !d->bad; i++) {
		key = get_uint(d, UINT64_MAX);
		switch (key) {
		case 1: get_text(d, m->name, sizeof m->name); break;
		case 2: m->layers = (uint32_t)get_uint(d, PL_MAX_LAYERS); break;
		case 3: m->layer_bytes = get_uint(d, UINT64_MAX / 4); break;
		case 4: m->kv_bytes_per_token_per_layer = get_uint(d,
			    UINT32_MAX);
			break;
		case 5: m->activation_bytes = get_uint(d, UINT32_MAX); break;
		case 6: m->flops_per_token_per_layer = get_num(d); break;
		case 7: m->embed_bytes = get_uint(d, UINT64_MAX / 4); break;
		case 8: m->head_bytes = get_uint(d, UINT64_MAX / 4); break;
		case 9: get_text(d, dt, sizeof dt); break;
		case 10:
			m->head_flops_per_token = get_num(d);
			if (!(m->head_flops_per_token >= 0) ||
			    !isfinite(m->head_flops_per_token))
				d->bad = 1;
			break;
		case 11: m->vocab = get_uint(d, UINT32_MAX); break;
		default:
			if (sec_cbor_skip(&d->r) != 0)
				d->bad = 1;
		}
		if (key >= 1 && key <= 9)
			seen |= 1u << key;
	}
	/* put_model writes all nine keys: a model without one is not ours. */
	if (!d->bad && (seen != MODEL_KEYS || m->layers == 0 ||
	    pl_dtype_parse(dt, &m->dtype) != 0))
		d->bad = 1;
}

static void
get_stages(struct dec *d, struct ag_placement *p)
{
	uint64_t	n, five, i;

	if (sec_cbor_read_array(&d->r, &n) != 0 || n > AG_PLACE_STAGES) {
		d->bad = 1;
		return;
	}
	for (i = 0; i < n && !d->bad; i++) {
		struct ag_stage *s = &p->stages[i];

		if (sec_cbor_read_array(&d->r, &five) != 0 || five != 5) {
			d->bad = 1;
			return;
		}
		get_text(d, s->device, sizeof s->device);
		get_text(d, s->node, sizeof s->node);
		s->layer_start = (uint32_t)get_uint(d, PL_MAX_LAYERS);
		s->layer_end = (uint32_t)get_uint(d, PL_MAX_LAYERS);
		s->memory_bytes = get_uint(d, UINT64_MAX);
		if (s->layer_end <= s->layer_start)
			d->bad = 1;
	}
	p->nstages = (int)n;
}

static void
get_selectors(struct dec *d, struct ag_placement *p)
{
	uint64_t	n, i;

	if (sec_cbor_read_array(&d->r, &n) != 0 || n > AG_PLACE_SELECTORS) {
		d->bad = 1;
		return;
	}
	for (i = 0; i < n && !d->bad; i++)
		get_text(d, p->selectors[i], sizeof p->selectors[i]);
	p->nselectors = (int)n;
}

static void
get_placement(struct dec *d, struct ag_placement *p)
{
	uint64_t	pairs, key, i;
	uint32_t	seen = 0;
	bool		b = false;

	memset(p, 0, sizeof *p);
	p->baseline_latency_s = NAN;
	if (sec_cbor_read_map(&d->r, &pairs) != 0 || pairs > 32) {
		d->bad = 1;
		return;
	}
	for (i = 0; i < pairs && !d->bad; i++) {
		key = get_uint(d, UINT64_MAX);
		switch (key) {
		case 1: p->id = get_uint(d, UINT64_MAX); break;
		case 2: p->term = get_uint(d, UINT64_MAX); break;
		case 3: p->epoch = get_uint(d, UINT64_MAX); break;
		case 4: get_model(d, &p->model); break;
		case 5: p->context = (uint32_t)get_uint(d, UINT32_MAX); break;
		case 6: get_stages(d, p); break;
		case 7: p->latency_s = get_num(d); break;
		case 8:
			if (sec_cbor_read_bool(&d->r, &b) != 0)
				d->bad = 1;
			else
				p->optimal = b;
			break;
		case 9: p->lower_bound_s = get_num(d); break;
		case 10: p->solve_ms = get_num(d); break;
		case 11: p->baseline_latency_s = get_num(d); break;
		case 12: p->decided_at = get_num(d); break;
		case 13: get_text(d, p->tenant, sizeof p->tenant); break;
		case 14: get_text(d, p->token_id, sizeof p->token_id); break;
		case 15: get_selectors(d, p); break;
		case 16: p->max_devices = get_uint(d, UINT64_MAX); break;
		case 17: p->max_memory_bytes = get_uint(d, UINT64_MAX); break;
		case 18:
			get_text(d, p->client, sizeof p->client);
			if (!d->bad && !sec_node_id_valid(p->client))
				d->bad = 1;
			break;
		default:
			if (sec_cbor_skip(&d->r) != 0)
				d->bad = 1;
		}
		if (key >= 1 && key <= 18)
			seen |= 1u << key;
	}
	if (d->bad)
		return;
	if ((seen & PLACE_KEYS) != PLACE_KEYS || p->nstages < 1)
		d->bad = 1;	/* no id, model, stages, ...: not a placement */
	else if ((seen & PLACE_SCOPED) != 0 &&
	    ((seen & PLACE_SCOPED) != PLACE_SCOPED || p->tenant[0] == '\0'))
		d->bad = 1;	/* a tenant's fields come whole, with one */
}

int
ag_place_decode(const uint8_t *buf, size_t len, struct ag_places *ps,
    char *err, size_t errlen)
{
	struct dec	d;
	uint64_t	n, i;

	memset(&d, 0, sizeof d);
	memset(ps, 0, sizeof *ps);
	if (sec_cbor_reader_init(&d.r, buf, len, &place_limits) != 0 ||
	    sec_cbor_read_array(&d.r, &n) != 0 || n > AG_PLACE_MAX) {
		(void)snprintf(err, errlen, "placements: expected an array of "
		    "at most %d", AG_PLACE_MAX);
		return -1;
	}
	for (i = 0; i < n && !d.bad; i++)
		get_placement(&d, &ps->p[i]);
	if (d.bad || sec_cbor_reader_done(&d.r) != 0) {
		(void)snprintf(err, errlen, "placements: malformed entry %llu%s%s",
		    (unsigned long long)i, d.r.error ? ": " : "",
		    d.r.error ? sec_cbor_reader_msg(&d.r) : "");
		memset(ps, 0, sizeof *ps);
		return -1;
	}
	ps->n = (int)n;
	return 0;
}

/* --- solving --------------------------------------------------------------- */

static double
mono_ms(void *ctx)
{
	(void)ctx;
	return ag_clock_mono() * 1e3;
}

static void
fill_stages(const struct pl_cluster *cl, const struct pl_plan *plan,
    struct ag_placement *out)
{
	size_t	i;

	out->nstages = 0;
	for (i = 0; i < plan->nstages && i < AG_PLACE_STAGES; i++) {
		const struct pl_stage	*s = &plan->stages[i];
		const struct pl_device	*d = &cl->devices[s->device];
		struct ag_stage		*o = &out->stages[out->nstages++];

		(void)snprintf(o->device, sizeof o->device, "%s", d->id);
		(void)snprintf(o->node, sizeof o->node, "%.*s",
		    (int)sizeof o->node - 1, cl->nodes[d->node].name);
		o->layer_start = s->layer_start;
		o->layer_end = s->layer_end;
		o->memory_bytes = s->memory_bytes;
	}
}

/* Snapshot options with p's device selectors as the allow list. */
static void
scope_opts(const struct ag_placement *p, struct ag_snapshot_opts *so,
    const char **allow)
{
	int	i;

	ag_snapshot_opts_init(so);
	if (p->nselectors <= 0)
		return;
	for (i = 0; i < p->nselectors && i < AG_PLACE_SELECTORS; i++)
		allow[i] = p->selectors[i];
	so->allow_devices = allow;
	so->nallow = (size_t)i;
}

int
ag_place_plan(const struct ag_snapshot_node *nodes, size_t n,
    const struct pl_model *m, uint32_t context, double budget_ms,
    double reserve, struct ag_placement *out, char *err, size_t errlen)
{
	struct pl_cluster	cl;
	struct pl_solve_opts	o;
	struct pl_plan		plan, base;
	struct ag_snapshot_opts	so;
	size_t			dropped = 0;
	double			t0 = mono_ms(NULL);
	const char		*allow[AG_PLACE_SELECTORS];
	int			rc;

	scope_opts(out, &so, allow);
	so.reserve_ratio = reserve;
	if (ag_snapshot_build(nodes, n, &so, &cl, &dropped, err, errlen) != 0)
		return -1;
	pl_solve_opts_init(&o);
	o.req.context = context;
	/* The snapshot took the agent's reserve off already. */
	o.req.reserve = 0;
	o.budget_ms = budget_ms;
	o.clock_ms = mono_ms;
	memset(&plan, 0, sizeof plan);
	rc = pl_solve(&cl, m, &o, &plan, err, errlen);
	if (rc != PL_OK) {
		pl_plan_free(&plan);
		pl_cluster_free(&cl);
		return rc == PL_INFEASIBLE ? 1 : -1;
	}
	if (plan.nstages > AG_PLACE_STAGES) {
		(void)snprintf(err, errlen, "plan has %zu stages; at most %d "
		    "are kept", plan.nstages, AG_PLACE_STAGES);
		pl_plan_free(&plan);
		pl_cluster_free(&cl);
		return -1;
	}
	out->model = *m;
	out->context = context;
	fill_stages(&cl, &plan, out);
	out->latency_s = plan.latency_s;
	out->lower_bound_s = plan.lower_bound_s;
	out->optimal = plan.optimal != 0;
	out->solve_ms = mono_ms(NULL) - t0;
	out->baseline_latency_s = NAN;
	memset(&base, 0, sizeof base);
	if (pl_baseline(&cl, m, &o.req, &base, NULL, 0) == PL_OK)
		out->baseline_latency_s = base.latency_s;
	out->decided_at = (double)time(NULL);
	pl_plan_free(&base);
	pl_plan_free(&plan);
	pl_cluster_free(&cl);
	return 0;
}

int
ag_place_devices_ok(const struct ag_snapshot_node *nodes, size_t n,
    const struct ag_placement *p)
{
	struct pl_cluster	cl;
	struct ag_snapshot_opts	so;
	size_t			k, dropped;
	char			err[160];
	const char		*allow[AG_PLACE_SELECTORS];
	int			i, ok = 1;

	scope_opts(p, &so, allow);
	if (ag_snapshot_build(nodes, n, &so, &cl, &dropped, err, sizeof err)
	    != 0)
		return 0;
	for (i = 0; ok && i < p->nstages; i++) {
		for (k = 0; k < cl.ndevices; k++)
			if (strcmp(cl.devices[k].id, p->stages[i].device) == 0)
				break;
		ok = k < cl.ndevices && cl.devices[k].eligible;
	}
	pl_cluster_free(&cl);
	return ok;
}

int
ag_place_uses_lost(const struct ag_placement *p, const char *const *alive,
    size_t n)
{
	size_t	k;
	int	i;

	for (i = 0; i < p->nstages; i++) {
		for (k = 0; k < n; k++)
			if (strcmp(p->stages[i].node, alive[k]) == 0)
				break;
		if (k == n)
			return 1;
	}
	return 0;
}

json_t *
ag_place_json(const struct ag_placement *p)
{
	json_t	*stages = json_array();
	int	 i;

	for (i = 0; stages != NULL && i < p->nstages; i++) {
		const struct ag_stage *s = &p->stages[i];
		json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:I}", "device",
		    s->device, "node", s->node, "layer_start",
		    (int)s->layer_start, "layer_end", (int)s->layer_end,
		    "memory_bytes", (json_int_t)s->memory_bytes);

		if (o == NULL || json_array_append_new(stages, o) != 0) {
			json_decref(stages);
			return NULL;
		}
	}
	return json_pack("{s:I, s:s, s:i, s:I, s:I, s:o, s:f, s:b, s:f, s:f, "
	    "s:o, s:f, s:o, s:o, s:o}", "id", (json_int_t)p->id, "model",
	    p->model.name,
	    "context", (int)p->context, "term", (json_int_t)p->term, "epoch",
	    (json_int_t)p->epoch, "stages", stages, "latency_s", p->latency_s,
	    "optimal", p->optimal, "lower_bound_s", p->lower_bound_s,
	    "solve_ms", p->solve_ms, "baseline_latency_s",
	    isfinite(p->baseline_latency_s) ?
	    json_real(p->baseline_latency_s) : json_null(),
	    "decided_at", p->decided_at,
	    "tenant", p->tenant[0] ? json_string(p->tenant) : json_null(),
	    "token_id", p->token_id[0] ? json_string(p->token_id) :
	    json_null(), "client", p->client[0] ? json_string(p->client) :
	    json_null());
}
