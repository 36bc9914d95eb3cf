/*
 * pl_solve.c - the placement search (see pl_solve.h, docs/placement.md).
 *
 * Everything works on a dense "problem": the usable devices (candidates)
 * with their per-layer time tau and their layer capacities in each role
 * (only stage, first, last, middle), and a K x K hop table.  Three facts
 * shape the code:
 *
 *  - For a set of devices with a given first f and last g, the best split
 *    is greedy: one layer each, then the remaining layers to the smallest
 *    tau with room (unit items, linear cost: an exchange argument).  So a
 *    plan's cost is tour(order) + layers(set, f, g): layer_cost() below.
 *  - Devices on one node with identical figures are interchangeable; the
 *    search only uses them in index order (symmetry breaking), which keeps
 *    a box of eight identical GPUs from multiplying the tree by 8!.
 *  - All costs are >= 0, so any partial cost at or above the incumbent is
 *    pruned.  The bound adds to the partial ring the cheapest way to close
 *    it with j more devices: each j is a fractional-knapsack relaxation of
 *    the layer split with the j new devices' capacity capped by the j
 *    largest capacities left, plus the least hops j devices can add.
 *
 * Latencies are doubles compared with a relative epsilon; byte counts are
 * uint64 with overflow checks.
 */
#include "pl_solve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS		1e-12
#define NONE		((size_t)-1)
#define CLOCK_EVERY	64	/* search nodes between clock reads */
#define CLOCK_ALWAYS	24	/* ... unless nodes are this costly */

struct cand {
	size_t		dev;		/* cluster device index */
	double		tau;		/* seconds per layer */
	uint32_t	cap_mid, cap_first, cap_last, cap_only;
	size_t		cls_prev;	/* previous interchangeable cand */
	double		near;		/* cheapest hop to any other cand */
	double		rootlb;		/* bound with this cand first */
};

struct child {
	double		lb;
	size_t		r;
};

struct prob {
	const struct pl_cluster	*cl;
	const struct pl_model	*m;
	uint32_t	 L;
	uint64_t	 S;		/* layer footprint W + KV*C */
	size_t		 K;
	struct cand	*c;
	double		*hop;		/* K x K */
	size_t		*by_tau;	/* cand indices, tau ascending */
	size_t		*by_cap;	/* cand indices, cap_mid descending */
	uint32_t	*alloc;		/* K, layer split scratch */

	size_t		*best;		/* incumbent order */
	size_t		 bestk;
	double		 bestcost;

	size_t		*seq;		/* search prefix */
	uint8_t		*in;		/* membership of seq */
	uint8_t		*mark;		/* scratch membership */
	size_t		*tmp;		/* scratch order (local search) */
	struct child	*kids;		/* (maxdepth + 1) x K */
	size_t		 maxdepth;

	double		 open_lb;	/* bounds of subtrees left unexplored */
	int		 expired;
	uint64_t	 nodes, node_limit;
	double		 deadline;
	double		(*clock_ms)(void *);
	void		*clock_ctx;
};

static double
hopv(const struct prob *p, size_t a, size_t b)
{
	return p->hop[a * p->K + b];
}

static int
out_of_time(struct prob *p)
{
	if (p->expired)
		return 1;
	if (p->node_limit != 0 && p->nodes >= p->node_limit)
		p->expired = 1;
	else if (p->clock_ms != NULL && p->clock_ms(p->clock_ctx) >=
	    p->deadline)
		p->expired = 1;
	return p->expired;
}

static uint32_t
cap_of(const struct prob *p, size_t i, size_t f, size_t g, size_t k)
{
	if (k == 1)
		return p->c[i].cap_only;
	if (i == f)
		return p->c[i].cap_first;
	if (i == g)
		return p->c[i].cap_last;
	return p->c[i].cap_mid;
}

/*
 * Best layer time of the k devices marked in `in` with first f and last g
 * (the greedy split); INFINITY when they cannot hold the model.  With
 * alloc non-NULL the split is stored per candidate.
 */
static double
layer_cost(const struct prob *p, const uint8_t *in, size_t f, size_t g,
    size_t k, uint32_t *alloc)
{
	uint32_t	need, cap, take;
	double		cost = 0;
	size_t		t, i;

	if (k == 0 || k > p->L)
		return INFINITY;
	need = p->L - (uint32_t)k;
	for (t = 0; t < p->K; t++) {
		i = p->by_tau[t];
		if (!in[i])
			continue;
		cap = cap_of(p, i, f, g, k);
		if (cap < 1)
			return INFINITY;
		take = cap - 1 < need ? cap - 1 : need;
		need -= take;
		cost += (double)(1 + take) * p->c[i].tau;
		if (alloc != NULL)
			alloc[i] = 1 + take;
	}
	return need == 0 ? cost : INFINITY;
}

static double
tour_cost(const struct prob *p, const size_t *seq, size_t k)
{
	double	t = 0;
	size_t	i;

	if (k < 2)
		return 0;
	for (i = 0; i < k; i++)
		t += hopv(p, seq[i], seq[(i + 1) % k]);
	return t;
}

/* Full cost of the order seq[0..k), using p->mark as scratch. */
static double
eval_seq(struct prob *p, const size_t *seq, size_t k)
{
	double	t;
	size_t	i;

	if (k == 0 || k > p->L)
		return INFINITY;
	t = tour_cost(p, seq, k);
	if (!isfinite(t))
		return INFINITY;
	for (i = 0; i < k; i++)
		p->mark[seq[i]] = 1;
	t += layer_cost(p, p->mark, seq[0], seq[k - 1], k, NULL);
	for (i = 0; i < k; i++)
		p->mark[seq[i]] = 0;
	return t;
}

static void
offer(struct prob *p, const size_t *seq, size_t k, double cost)
{
	if (!(cost < p->bestcost))
		return;
	p->bestcost = cost;
	memcpy(p->best, seq, k * sizeof *seq);
	p->bestk = k;
}

/*
 * Admissible bound on every plan that starts with the prefix seq[0..k)
 * (marked in p->in) whose hops so far cost pathcost: the exact cost of
 * closing the ring now, or, for each number j >= 1 of devices still to
 * come, the least hops they add plus a relaxed layer split.
 */
static double
bound(struct prob *p, size_t k, double pathcost)
{
	size_t		f = p->seq[0], c = p->seq[k - 1], i, t, nR = 0, j;
	double		best = INFINITY, outm = INFINITY, inm = INFINITY;
	double		nmin = INFINITY, sumtau = 0, v, hops, fill;
	uint64_t	resU = 0, TJ = 0, usedR, rem, take, cap;
	uint32_t	n;

	/* Close the ring now. */
	if (k == 1) {
		if (p->c[f].cap_only >= p->L)
			best = (double)p->L * p->c[f].tau;
	} else if (isfinite(hopv(p, c, f)))
		best = hopv(p, c, f) + layer_cost(p, p->in, f, c, k, NULL);
	if (k >= p->L || k >= p->K)
		return pathcost + best;

	/* Grow it by j more devices. */
	for (t = 0; t < p->K; t++) {
		if (p->in[t]) {
			cap = t == f ? p->c[t].cap_first : p->c[t].cap_mid;
			if (cap < 1)
				return pathcost + best;
			resU += cap - 1;
			sumtau += p->c[t].tau;
			continue;
		}
		nR++;
		if (hopv(p, c, t) < outm)
			outm = hopv(p, c, t);
		if (hopv(p, t, f) < inm)
			inm = hopv(p, t, f);
		if (p->c[t].near < nmin)
			nmin = p->c[t].near;
	}
	if (!isfinite(outm) || !isfinite(inm))
		return pathcost + best;
	n = p->L - (uint32_t)k;
	j = 0;
	for (t = 0; t < p->K && j < nR && j < n; t++) {
		i = p->by_cap[t];
		if (p->in[i])
			continue;
		j++;
		TJ += p->c[i].cap_mid;
		if (j > 1 && !isfinite(nmin))
			break;
		hops = outm + inm + (j > 1 ? (double)(j - 1) * nmin : 0);
		if (hops + sumtau >= best)
			break;		/* hops only grow with j */
		if ((uint64_t)n > resU + TJ)
			continue;
		/* n layers over U's spare room and at most TJ of R's. */
		fill = 0;
		rem = n;
		usedR = 0;
		for (size_t s = 0; s < p->K && rem > 0; s++) {
			size_t d = p->by_tau[s];

			if (p->in[d]) {
				cap = (d == f ? p->c[d].cap_first :
				    p->c[d].cap_mid) - 1;
			} else {
				cap = p->c[d].cap_mid;
				if (cap > TJ - usedR)
					cap = TJ - usedR;
				usedR += cap < rem ? cap : rem;
			}
			take = cap < rem ? cap : rem;
			rem -= take;
			fill += (double)take * p->c[d].tau;
		}
		v = hops + sumtau + fill;
		if (v < best)
			best = v;
		if (TJ >= n)
			break;		/* more room no longer helps */
	}
	return pathcost + best;
}

static void
sort_kids(struct child *a, size_t n)
{
	size_t		i, j;
	struct child	x;

	for (i = 1; i < n; i++) {
		x = a[i];
		for (j = i; j > 0 && a[j - 1].lb > x.lb; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

static int
may_follow(const struct prob *p, size_t r)
{
	return !p->in[r] && (p->c[r].cls_prev == NONE ||
	    p->in[p->c[r].cls_prev]);
}

/* Children of the prefix seq[0..k) that survive forward checking. */
static size_t
expand(struct prob *p, size_t k, double pathcost, struct child *kids)
{
	size_t	c = p->seq[k - 1], r, n = 0;
	double	h, lb;

	for (r = 0; r < p->K; r++) {
		if (!may_follow(p, r))
			continue;
		h = hopv(p, c, r);
		if (!isfinite(h) || pathcost + h >= p->bestcost)
			continue;
		p->in[r] = 1;
		p->seq[k] = r;
		lb = bound(p, k + 1, pathcost + h);
		p->in[r] = 0;
		if (lb < p->bestcost * (1 - EPS)) {
			kids[n].lb = lb;
			kids[n].r = r;
			n++;
		}
	}
	sort_kids(kids, n);
	return n;
}

static double
close_cost(struct prob *p, size_t k, double pathcost)
{
	size_t	f = p->seq[0], c = p->seq[k - 1];

	if (k == 1)
		return p->c[f].cap_only >= p->L ?
		    (double)p->L * p->c[f].tau : INFINITY;
	return pathcost + hopv(p, c, f) + layer_cost(p, p->in, f, c, k, NULL);
}

static void
bnb(struct prob *p, size_t k, double pathcost)
{
	struct child	*kids;
	size_t		 n, i, r;

	p->nodes++;
	offer(p, p->seq, k, close_cost(p, k, pathcost));
	if (k >= p->maxdepth)
		return;
	kids = &p->kids[k * p->K];
	n = expand(p, k, pathcost, kids);
	for (i = 0; i < n; i++) {
		if (p->K >= CLOCK_ALWAYS || p->nodes % CLOCK_EVERY == 0)
			(void)out_of_time(p);
		if (p->expired) {
			if (kids[i].lb < p->open_lb)
				p->open_lb = kids[i].lb;
			continue;
		}
		if (kids[i].lb >= p->bestcost * (1 - EPS))
			break;
		r = kids[i].r;
		p->in[r] = 1;
		p->seq[k] = r;
		bnb(p, k + 1, pathcost + hopv(p, p->seq[k - 1], r));
		p->in[r] = 0;
	}
}

/* Candidates that may open the ring, by root bound. */
static size_t
roots(struct prob *p, struct child *kids)
{
	size_t	f, n = 0;

	for (f = 0; f < p->K; f++) {
		if (p->c[f].cls_prev != NONE || !isfinite(p->c[f].rootlb))
			continue;
		kids[n].lb = p->c[f].rootlb;
		kids[n].r = f;
		n++;
	}
	sort_kids(kids, n);
	return n;
}

static void
run_bnb(struct prob *p)
{
	struct child	*kids = p->kids;
	size_t		 n, i, f;

	n = roots(p, kids);
	for (i = 0; i < n; i++) {
		(void)out_of_time(p);
		if (p->expired) {
			if (kids[i].lb < p->open_lb)
				p->open_lb = kids[i].lb;
			continue;
		}
		if (kids[i].lb >= p->bestcost * (1 - EPS))
			break;
		f = kids[i].r;
		p->in[f] = 1;
		p->seq[0] = f;
		bnb(p, 1, 0);
		p->in[f] = 0;
	}
}

/*
 * Held-Karp over (used set, last device) for each first device: dp[S][g]
 * is the cheapest hop path from f through S ending at g.  Each state is
 * closed (hop back to f plus the greedy split of S with roles f, g) and
 * extended.  Exact for K <= PL_DP_MAX.
 */
static int
run_dp(struct prob *p)
{
	size_t		 K = p->K, nm = (size_t)1 << K, f, g, r, mask, k, i;
	size_t		 idx, fi, nroots;
	double		*dp, v, nv, cost;
	uint8_t		*par;
	struct child	*order = p->kids;

	if ((dp = malloc(nm * K * sizeof *dp)) == NULL)
		return -1;
	if ((par = malloc(nm * K)) == NULL) {
		free(dp);
		return -1;
	}
	nroots = roots(p, order);
	for (fi = 0; fi < nroots; fi++) {
		f = order[fi].r;
		(void)out_of_time(p);
		if (p->expired) {
			if (order[fi].lb < p->open_lb)
				p->open_lb = order[fi].lb;
			continue;
		}
		if (order[fi].lb >= p->bestcost * (1 - EPS))
			break;
		for (i = 0; i < nm * K; i++)
			dp[i] = INFINITY;
		dp[((size_t)1 << f) * K + f] = 0;
		for (mask = 0; mask < nm; mask++) {
			if (!(mask & ((size_t)1 << f)))
				continue;
			k = (size_t)__builtin_popcountll(mask);
			if (k > p->L)
				continue;
			for (i = 0; i < K; i++)
				p->in[i] = (mask >> i) & 1;
			for (g = 0; g < K; g++) {
				v = dp[mask * K + g];
				if (!(v < p->bestcost))
					continue;
				p->nodes++;
				if (k == 1)
					cost = p->c[f].cap_only >= p->L ?
					    (double)p->L * p->c[f].tau :
					    INFINITY;
				else
					cost = v + hopv(p, g, f) + layer_cost(p,
					    p->in, f, g, k, NULL);
				if (cost < p->bestcost) {
					/* Walk the parents back to f. */
					size_t m2 = mask, x = g, pos = k;

					while (pos > 0) {
						p->seq[--pos] = x;
						idx = m2 * K + x;
						m2 &= ~((size_t)1 << x);
						x = par[idx];
					}
					offer(p, p->seq, k, cost);
				}
				if (k >= p->L)
					continue;
				for (r = 0; r < K; r++) {
					if (!may_follow(p, r))
						continue;
					nv = v + hopv(p, g, r);
					idx = (mask | ((size_t)1 << r)) * K + r;
					if (nv < dp[idx] && nv < p->bestcost) {
						dp[idx] = nv;
						par[idx] = (uint8_t)g;
					}
				}
			}
		}
	}
	memset(p->in, 0, K);
	free(par);
	free(dp);
	return 0;
}

/*
 * The cheapest incumbent, O(K^2): the fastest devices until they can hold
 * the model, grouped by node so that neighbours share a box.  It only
 * matters when the clock is too short for even one dive.
 */
static void
quick_greedy(struct prob *p)
{
	const struct pl_device	*dv = p->cl->devices;
	size_t			 t, i, j, k = 0, x;
	uint64_t		 room = 0;

	for (t = 0; t < p->K && k < p->maxdepth; t++) {
		i = p->by_tau[t];
		/* Insert after the last device of the same node. */
		for (x = k, j = 0; j < k; j++)
			if (dv[p->c[p->tmp[j]].dev].node == dv[p->c[i].dev].node)
				x = j + 1;
		memmove(p->tmp + x + 1, p->tmp + x, (k - x) * sizeof *p->tmp);
		p->tmp[x] = i;
		k++;
		room += p->c[i].cap_mid;
		if (room >= p->L)
			offer(p, p->tmp, k, eval_seq(p, p->tmp, k));
		if (isfinite(p->bestcost))
			break;
	}
}

/* One greedy dive: always take the child with the least bound. */
static void
dive(struct prob *p, size_t f)
{
	size_t		k = 1, r, bestr;
	double		pathcost = 0, lb, blb, h;

	p->seq[0] = f;
	p->in[f] = 1;
	for (;;) {
		offer(p, p->seq, k, close_cost(p, k, pathcost));
		if (k >= p->maxdepth || out_of_time(p))
			break;
		bestr = NONE;
		blb = INFINITY;
		for (r = 0; r < p->K; r++) {
			if (!may_follow(p, r))
				continue;
			h = hopv(p, p->seq[k - 1], r);
			if (!isfinite(h))
				continue;
			p->in[r] = 1;
			p->seq[k] = r;
			lb = bound(p, k + 1, pathcost + h);
			p->in[r] = 0;
			if (lb < blb) {
				blb = lb;
				bestr = r;
			}
		}
		if (bestr == NONE)
			break;
		pathcost += hopv(p, p->seq[k - 1], bestr);
		p->seq[k++] = bestr;
		p->in[bestr] = 1;
	}
	for (r = 0; r < k; r++)
		p->in[p->seq[r]] = 0;
}

/* Takes cur[0..k) as the incumbent if it is strictly better. */
static int
try_seq(struct prob *p, const size_t *cur, size_t k)
{
	double	cost;

	cost = eval_seq(p, cur, k);
	if (!(cost < p->bestcost * (1 - EPS)))
		return 0;
	p->bestcost = cost;
	memcpy(p->best, cur, k * sizeof *cur);
	p->bestk = k;
	return 1;
}

static int
in_best(const struct prob *p, size_t r)
{
	size_t	i;

	for (i = 0; i < p->bestk; i++)
		if (p->best[i] == r)
			return 1;
	return 0;
}

/* One pass of moves; 1 when the incumbent improved. */
static int
ls_pass(struct prob *p)
{
	size_t	*cur = p->tmp, k = p->bestk, i, j, x, r;

	for (i = 0; i < k && k > 1; i++) {		/* drop */
		for (j = 0, x = 0; j < k; j++)
			if (j != i)
				cur[x++] = p->best[j];
		if (try_seq(p, cur, k - 1))
			return 1;
	}
	for (r = 0; r < p->K; r++) {
		if (in_best(p, r))
			continue;
		for (i = 0; i < k; i++) {		/* replace */
			memcpy(cur, p->best, k * sizeof *cur);
			cur[i] = r;
			if (try_seq(p, cur, k))
				return 1;
		}
		if (k >= p->maxdepth)
			continue;
		for (i = 0; i <= k; i++) {		/* insert */
			memcpy(cur, p->best, i * sizeof *cur);
			cur[i] = r;
			memcpy(cur + i + 1, p->best + i, (k - i) * sizeof *cur);
			if (try_seq(p, cur, k + 1))
				return 1;
		}
	}
	for (i = 0; i < k; i++) {			/* swap */
		for (j = i + 1; j < k; j++) {
			memcpy(cur, p->best, k * sizeof *cur);
			cur[i] = p->best[j];
			cur[j] = p->best[i];
			if (try_seq(p, cur, k))
				return 1;
		}
	}
	return 0;
}

static void
local_search(struct prob *p)
{
	while (p->bestk > 0 && !out_of_time(p) && ls_pass(p))
		continue;
}

/* qsort helpers: (key, index) pairs. */
struct keyed {
	double	key;
	size_t	idx;
};

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key < y->key)
		return -1;
	if (x->key > y->key)
		return 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static uint32_t
capacity(uint64_t mem, uint64_t extra, uint64_t S, uint32_t L)
{
	uint64_t	n;

	if (mem < extra)
		return 0;
	n = (mem - extra) / S;
	return n > L ? L : (uint32_t)n;
}

static void
prob_free(struct prob *p)
{
	free(p->c);
	free(p->hop);
	free(p->by_tau);
	free(p->by_cap);
	free(p->alloc);
	free(p->best);
	free(p->seq);
	free(p->in);
	free(p->mark);
	free(p->tmp);
	free(p->kids);
	memset(p, 0, sizeof *p);
}

static void
fmt_bytes(char *buf, size_t len, long double b)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB" };
	long double	scale = 1;
	int		u = 0;

	while (u < 3 && b >= scale * 1000) {
		scale *= 1000;
		u++;
	}
	(void)snprintf(buf, len, "%.*Lf %s", u > 0 && b < scale * 10 ? 1 : 0,
	    b / scale, unit[u]);
}

static int
equivalent(const struct prob *p, size_t a, size_t b)
{
	const struct cand	*x = &p->c[a], *y = &p->c[b];

	return p->cl->devices[x->dev].node == p->cl->devices[y->dev].node &&
	    x->tau == y->tau && x->cap_mid == y->cap_mid &&
	    x->cap_first == y->cap_first && x->cap_last == y->cap_last &&
	    x->cap_only == y->cap_only;
}

/* Checks the request as a whole and names the first shortfall. */
static int
precheck(const struct pl_cluster *cl, const struct pl_model *m, uint64_t ctx,
    uint64_t *S, char *err, size_t errlen)
{
	size_t		i, nelig = 0, nuse = 0;
	long double	need, have = 0;
	char		a[32], b[32];

	if (m->layers < 1 || m->layers > PL_MAX_LAYERS) {
		(void)snprintf(err, errlen, "%s: %u layers (1..%u)", m->name,
		    m->layers, PL_MAX_LAYERS);
		return PL_ERROR;
	}
	if (pl_model_layer_footprint(m, ctx, S) != 0 || *S == 0) {
		(void)snprintf(err, errlen, "%s: a layer at context %llu "
		    "needs more than 2^64 bytes", m->name,
		    (unsigned long long)ctx);
		return PL_INFEASIBLE;
	}
	for (i = 0; i < cl->ndevices; i++) {
		if (!cl->devices[i].eligible)
			continue;
		nelig++;
		if (pl_device_usable(&cl->devices[i], m->dtype) &&
		    cl->devices[i].bandwidth > 0 && cl->devices[i].flops > 0) {
			nuse++;
			have += cl->devices[i].memory_bytes;
		}
	}
	if (nelig == 0) {
		(void)snprintf(err, errlen, "no eligible devices");
		return PL_INFEASIBLE;
	}
	if (nuse == 0) {
		(void)snprintf(err, errlen, "no eligible device supports "
		    "dtype %s", pl_dtype_name(m->dtype));
		return PL_INFEASIBLE;
	}
	need = (long double)m->layers * *S + m->embed_bytes + m->head_bytes;
	if (need > have) {
		fmt_bytes(a, sizeof a, need);
		fmt_bytes(b, sizeof b, have);
		(void)snprintf(err, errlen, "%s needs %s for %u layers at "
		    "context %llu, eligible devices offer %s", m->name, a,
		    m->layers, (unsigned long long)ctx, b);
		return PL_INFEASIBLE;
	}
	return PL_OK;
}

static int
prep(struct prob *p, const struct pl_cluster *cl, const struct pl_model *m,
    uint64_t ctx, char *err, size_t errlen)
{
	const struct pl_device	*d;
	struct keyed		*ks;
	double			*nodehop = NULL, h;
	uint64_t		 both;
	size_t			 i, j, K = 0, nn = cl->nnodes;
	int			 rc;

	memset(p, 0, sizeof *p);
	p->cl = cl;
	p->m = m;
	p->L = m->layers;
	if ((rc = precheck(cl, m, ctx, &p->S, err, errlen)) != PL_OK)
		return rc;
	if ((p->c = calloc(cl->ndevices, sizeof *p->c)) == NULL)
		goto nomem;
	both = m->embed_bytes > UINT64_MAX - m->head_bytes ? UINT64_MAX :
	    m->embed_bytes + m->head_bytes;
	for (i = 0; i < cl->ndevices; i++) {
		d = &cl->devices[i];
		if (!pl_device_usable(d, m->dtype) || !(d->bandwidth > 0) ||
		    !(d->flops > 0) || d->memory_bytes < p->S)
			continue;
		p->c[K].dev = i;
		p->c[K].tau = pl_cost_tau(d, p->S, m->flops_per_token_per_layer);
		p->c[K].cap_mid = capacity(d->memory_bytes, 0, p->S, p->L);
		p->c[K].cap_first = capacity(d->memory_bytes, m->embed_bytes,
		    p->S, p->L);
		p->c[K].cap_last = capacity(d->memory_bytes, m->head_bytes,
		    p->S, p->L);
		p->c[K].cap_only = both == UINT64_MAX ? 0 :
		    capacity(d->memory_bytes, both, p->S, p->L);
		p->c[K].cls_prev = NONE;
		if (!isfinite(p->c[K].tau))
			continue;
		K++;
	}
	p->K = K;
	if (K == 0) {
		char a[32];

		fmt_bytes(a, sizeof a, (long double)p->S);
		(void)snprintf(err, errlen, "no eligible device can hold one "
		    "layer of %s (%s at context %llu)", m->name, a,
		    (unsigned long long)ctx);
		return PL_INFEASIBLE;
	}
	p->maxdepth = K < p->L ? K : p->L;
	if ((p->hop = malloc(K * K * sizeof *p->hop)) == NULL ||
	    (nodehop = malloc(nn * nn * sizeof *nodehop)) == NULL ||
	    (p->by_tau = malloc(K * sizeof *p->by_tau)) == NULL ||
	    (p->by_cap = malloc(K * sizeof *p->by_cap)) == NULL ||
	    (p->alloc = calloc(K, sizeof *p->alloc)) == NULL ||
	    (p->best = calloc(K, sizeof *p->best)) == NULL ||
	    (p->seq = calloc(K + 1, sizeof *p->seq)) == NULL ||
	    (p->in = calloc(K, 1)) == NULL ||
	    (p->mark = calloc(K, 1)) == NULL ||
	    (p->tmp = calloc(K + 1, sizeof *p->tmp)) == NULL ||
	    (p->kids = calloc((p->maxdepth + 1) * K, sizeof *p->kids)) ==
	    NULL)
		goto nomem;
	for (i = 0; i < nn * nn; i++)
		nodehop[i] = INFINITY;
	for (i = 0; i < nn; i++)
		nodehop[i * nn + i] = cl->nodes[i].intra_latency_s +
		    (double)m->activation_bytes / cl->nodes[i].intra_bandwidth;
	for (i = 0; i < cl->nlinks; i++) {
		h = cl->links[i].latency_s +
		    (double)m->activation_bytes / cl->links[i].bandwidth;
		nodehop[cl->links[i].a * nn + cl->links[i].b] = h;
		nodehop[cl->links[i].b * nn + cl->links[i].a] = h;
	}
	for (i = 0; i < K; i++) {
		p->c[i].near = INFINITY;
		for (j = 0; j < K; j++) {
			h = nodehop[cl->devices[p->c[i].dev].node * nn +
			    cl->devices[p->c[j].dev].node];
			if (!(h >= 0))		/* NaN from bad input */
				h = INFINITY;
			p->hop[i * K + j] = h;
			if (i != j && h < p->c[i].near)
				p->c[i].near = h;
		}
	}
	free(nodehop);
	nodehop = NULL;
	if ((ks = calloc(K, sizeof *ks)) == NULL)
		goto nomem;
	for (i = 0; i < K; i++) {
		ks[i].key = p->c[i].tau;
		ks[i].idx = i;
	}
	qsort(ks, K, sizeof *ks, keyed_cmp);
	for (i = 0; i < K; i++)
		p->by_tau[i] = ks[i].idx;
	for (i = 0; i < K; i++) {
		ks[i].key = -(double)p->c[i].cap_mid;
		ks[i].idx = i;
	}
	qsort(ks, K, sizeof *ks, keyed_cmp);
	for (i = 0; i < K; i++)
		p->by_cap[i] = ks[i].idx;
	free(ks);
	for (i = 0; i < K; i++) {
		for (j = i; j-- > 0;) {
			if (equivalent(p, i, j)) {
				p->c[i].cls_prev = j;
				break;
			}
		}
	}
	p->bestcost = INFINITY;
	for (i = 0; i < K; i++) {
		p->seq[0] = i;
		p->in[i] = 1;
		p->c[i].rootlb = bound(p, 1, 0);
		p->in[i] = 0;
	}
	return PL_OK;
nomem:
	free(nodehop);
	prob_free(p);
	(void)snprintf(err, errlen, "out of memory");
	return PL_ERROR;
}

/* Turns the incumbent into stages. */
static int
make_plan(struct prob *p, struct pl_plan *plan)
{
	size_t		i, k = p->bestk;
	uint32_t	at = 0, l;

	if ((plan->stages = calloc(k, sizeof *plan->stages)) == NULL)
		return -1;
	for (i = 0; i < k; i++)
		p->mark[p->best[i]] = 1;
	(void)layer_cost(p, p->mark, p->best[0], p->best[k - 1], k, p->alloc);
	for (i = 0; i < k; i++) {
		p->mark[p->best[i]] = 0;
		l = p->alloc[p->best[i]];
		plan->stages[i].device = p->c[p->best[i]].dev;
		plan->stages[i].layer_start = at;
		plan->stages[i].layer_end = at + l;
		at += l;
		if (pl_cost_stage_memory(p->m, p->S, l, i == 0, i == k - 1,
		    &plan->stages[i].memory_bytes) != 0)
			return -1;
	}
	plan->nstages = k;
	return 0;
}

void
pl_solve_opts_init(struct pl_solve_opts *o)
{
	memset(o, 0, sizeof *o);
	o->context = 4096;
	o->budget_ms = 1000;
	o->method = PL_METHOD_AUTO;
}

const char *
pl_method_name(enum pl_method m)
{
	switch (m) {
	case PL_METHOD_AUTO:
		return "auto";
	case PL_METHOD_DP:
		return "dp";
	case PL_METHOD_BNB:
		return "branch-and-bound";
	case PL_METHOD_GREEDY:
		return "greedy";
	}
	return "?";
}

void
pl_plan_free(struct pl_plan *plan)
{
	free(plan->stages);
	memset(plan, 0, sizeof *plan);
}

int
pl_solve(const struct pl_cluster *cl, const struct pl_model *m,
    const struct pl_solve_opts *o, struct pl_plan *plan, char *err,
    size_t errlen)
{
	struct prob	 p;
	struct child	*r;
	enum pl_method	 method = o->method;
	size_t		 i, n, ndives;
	double		 rootlb = INFINITY;
	int		 rc, searched = 0;

	memset(plan, 0, sizeof *plan);
	if ((rc = prep(&p, cl, m, o->context, err, errlen)) != PL_OK)
		return rc;
	p.node_limit = o->node_limit;
	p.clock_ms = o->budget_ms >= 0 ? o->clock_ms : NULL;
	p.clock_ctx = o->clock_ctx;
	if (p.clock_ms != NULL)
		p.deadline = p.clock_ms(p.clock_ctx) + o->budget_ms;
	p.open_lb = INFINITY;

	/* Greedy: lone devices, bound-guided dives, local search. */
	r = p.kids;
	n = roots(&p, r);
	for (i = 0; i < n; i++)
		if (r[i].lb < rootlb)
			rootlb = r[i].lb;
	quick_greedy(&p);
	ndives = p.K <= 128 ? 16 : 2048 / p.K + 1;
	for (i = 0; i < n && i < ndives && !out_of_time(&p); i++)
		dive(&p, r[i].r);
	local_search(&p);

	if (method == PL_METHOD_AUTO)
		method = p.K <= PL_DP_AUTO_MAX ? PL_METHOD_DP : PL_METHOD_BNB;
	if (method == PL_METHOD_DP && p.K > PL_DP_MAX)
		method = PL_METHOD_BNB;
	if (method != PL_METHOD_GREEDY && !out_of_time(&p)) {
		searched = 1;
		if (method == PL_METHOD_DP) {
			if (run_dp(&p) != 0) {
				prob_free(&p);
				(void)snprintf(err, errlen, "out of memory");
				return PL_ERROR;
			}
		} else
			run_bnb(&p);
	}
	plan->method = method;
	plan->nodes = p.nodes;
	plan->candidates = p.K;
	if (!isfinite(p.bestcost)) {
		if (searched && !p.expired)
			(void)snprintf(err, errlen, "no placement of %s fits: "
			    "memory suffices in total but not device by "
			    "device, or the devices that could hold it are "
			    "not linked", m->name);
		else
			(void)snprintf(err, errlen, "no placement of %s found "
			    "within the time budget", m->name);
		prob_free(&p);
		return PL_INFEASIBLE;
	}
	if (searched && !p.expired)
		plan->lower_bound_s = p.bestcost;
	else if (searched)
		plan->lower_bound_s = p.open_lb;
	else
		plan->lower_bound_s = rootlb;
	if (plan->lower_bound_s >= p.bestcost * (1 - EPS))
		plan->lower_bound_s = p.bestcost;
	plan->optimal = plan->lower_bound_s == p.bestcost;
	plan->latency_s = p.bestcost;
	if (make_plan(&p, plan) != 0) {
		prob_free(&p);
		pl_plan_free(plan);
		(void)snprintf(err, errlen, "out of memory");
		return PL_ERROR;
	}
	prob_free(&p);
	return PL_OK;
}

int
pl_baseline(const struct pl_cluster *cl, const struct pl_model *m,
    uint64_t ctx, struct pl_plan *plan, char *err, size_t errlen)
{
	struct keyed	*ks;
	long double	 total = 0, q;
	uint32_t	*l, at = 0, given = 0;
	size_t		 i, n = 0, big;
	uint64_t	 S;
	double		 lat;

	memset(plan, 0, sizeof *plan);
	if (pl_model_layer_footprint(m, ctx, &S) != 0) {
		(void)snprintf(err, errlen, "layer footprint overflows");
		return PL_INFEASIBLE;
	}
	if ((ks = calloc(cl->ndevices + 1, sizeof *ks)) == NULL ||
	    (l = calloc(cl->ndevices + 1, sizeof *l)) == NULL) {
		free(ks);
		(void)snprintf(err, errlen, "out of memory");
		return PL_ERROR;
	}
	for (i = 0; i < cl->ndevices; i++) {
		if (!pl_device_usable(&cl->devices[i], m->dtype))
			continue;
		ks[n].key = -(double)cl->devices[i].memory_bytes;
		ks[n].idx = i;
		total += cl->devices[i].memory_bytes;
		n++;
	}
	if (n == 0 || n > m->layers) {
		(void)snprintf(err, errlen, n == 0 ? "no usable devices" :
		    "more devices than layers");
		goto infeasible;
	}
	qsort(ks, n, sizeof *ks, keyed_cmp);
	/* Largest remainder: floors first, then the biggest fractions. */
	for (i = 0; i < n; i++) {
		q = (long double)m->layers *
		    cl->devices[ks[i].idx].memory_bytes / total;
		l[i] = (uint32_t)q;
		given += l[i];
		ks[i].key = -(double)(q - l[i]);	/* reuse: remainder */
	}
	{
		struct keyed *rem;

		if ((rem = calloc(n, sizeof *rem)) == NULL) {
			(void)snprintf(err, errlen, "out of memory");
			free(ks);
			free(l);
			return PL_ERROR;
		}
		for (i = 0; i < n; i++) {
			rem[i].key = ks[i].key;
			rem[i].idx = i;
		}
		qsort(rem, n, sizeof *rem, keyed_cmp);
		for (i = 0; given < m->layers; i = (i + 1) % n, given++)
			l[rem[i].idx]++;
		free(rem);
	}
	/* At least one layer each, taken from the largest share. */
	for (i = 0; i < n; i++) {
		while (l[i] == 0) {
			size_t j;

			for (big = 0, j = 1; j < n; j++)
				if (l[j] > l[big])
					big = j;
			l[big]--;
			l[i]++;
		}
	}
	if ((plan->stages = calloc(n, sizeof *plan->stages)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		free(ks);
		free(l);
		return PL_ERROR;
	}
	for (i = 0; i < n; i++) {
		plan->stages[i].device = ks[i].idx;
		plan->stages[i].layer_start = at;
		plan->stages[i].layer_end = at + l[i];
		at += l[i];
		if (pl_cost_stage_memory(m, S, l[i], i == 0, i == n - 1,
		    &plan->stages[i].memory_bytes) != 0)
			plan->stages[i].memory_bytes = UINT64_MAX;
	}
	plan->nstages = n;
	if (pl_cost_evaluate(cl, m, ctx, plan->stages, n, &lat, err,
	    errlen) != 0) {
		pl_plan_free(plan);
		goto infeasible;
	}
	plan->latency_s = plan->lower_bound_s = lat;
	free(ks);
	free(l);
	return PL_OK;
infeasible:
	free(ks);
	free(l);
	return PL_INFEASIBLE;
}

int
pl_cluster_apply_thermal(const struct pl_cluster *src, double job_s,
    struct pl_cluster *dst, double *factors)
{
	struct pl_device	*d;
	double			 phi;
	size_t			 i;

	pl_cluster_init(dst);
	if ((src->ndevices > 0 && (dst->devices = calloc(src->ndevices,
	    sizeof *dst->devices)) == NULL) ||
	    (src->nnodes > 0 && (dst->nodes = calloc(src->nnodes,
	    sizeof *dst->nodes)) == NULL) ||
	    (src->nlinks > 0 && (dst->links = calloc(src->nlinks,
	    sizeof *dst->links)) == NULL)) {
		pl_cluster_free(dst);
		return -1;
	}
	if (src->ndevices > 0)
		memcpy(dst->devices, src->devices,
		    src->ndevices * sizeof *dst->devices);
	if (src->nnodes > 0)
		memcpy(dst->nodes, src->nodes, src->nnodes * sizeof *dst->nodes);
	if (src->nlinks > 0)
		memcpy(dst->links, src->links, src->nlinks * sizeof *dst->links);
	dst->ndevices = dst->cap_devices = src->ndevices;
	dst->nnodes = dst->cap_nodes = src->nnodes;
	dst->nlinks = dst->cap_links = src->nlinks;
	for (i = 0; i < dst->ndevices; i++) {
		d = &dst->devices[i];
		phi = 1;
		if (d->has_thermal) {
			switch (pl_thermal_assess(&d->thermal, job_s, &phi)) {
			case PL_THERMAL_OK:
				break;
			case PL_THERMAL_DERATE:
				d->flops *= phi;
				d->bandwidth *= phi;
				break;
			case PL_THERMAL_EXCLUDE:
				d->eligible = 0;
				break;
			}
			d->has_thermal = 0;
		}
		if (factors != NULL)
			factors[i] = phi;
	}
	return 0;
}
