/*
 * pl_solve.c - the placement search (see pl_solve.h, docs/placement.md).
 *
 * Everything works on a dense "problem": the usable devices (candidates)
 * with their per-layer time tau and their layer capacities in each role
 * (only stage, first, last, middle), the engine's communication terms as
 * an open cost per first device, a K x K edge table (direction matters)
 * and a K x K close table (last device g back to first f, with g's head
 * time), see pl_cost.h.  Three facts shape the code:
 *
 *  - For a set of devices with a given first f and last g, the best split
 *    is greedy: one layer each, then the remaining layers to the smallest
 *    tau with room (unit items, linear cost: an exchange argument; devices
 *    sharing a memory pool add a laminar capacity, under which greedy is
 *    still optimal).  So a plan's cost is path(order) + layers(set, f, g):
 *    layer_cost() below.
 *  - Devices on one node with identical figures are interchangeable; the
 *    search only uses them in index order (symmetry breaking), which keeps
 *    a box of eight identical GPUs from multiplying the tree by 8!.
 *  - With llama.cpp every edge is out(a) + in(b) (through the client),
 *    open(f) is in(f) and the first device holds nothing extra, so the
 *    order of all stages but the last is immaterial: branch-and-bound
 *    only builds them in index order.
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
	double		head;		/* the head's time on it */
	double		open;		/* comm cost when it is first */
	double		only;		/* comm + head when it is alone */
	size_t		pidx;		/* index into pools, NONE */
	uint32_t	cap_mid, cap_first, cap_last, cap_only;
	size_t		cls_prev;	/* previous interchangeable cand */
	double		near;		/* cheapest hop to any other cand */
	double		out_c, in_c;	/* separable: edge(a, b) = out + in */
	double		key;		/* least a middle device adds */
	double		rootlb;		/* bound with this cand first */
};

struct child {
	double		lb;
	size_t		r;
};

struct prob {
	const struct pl_cluster	*cl;
	const struct pl_model	*m;
	const struct pl_request	*rq;
	uint32_t	 L;
	uint64_t	 S;		/* layer footprint W + KV*C */
	uint64_t	 E_first;	/* E_in on the first device (ring) */
	size_t		 K;
	int		 separable;	/* edge(a, b) = out(a) + in(b) */
	struct cand	*c;
	double		*hop;		/* K x K edge(a, b) */
	double		*cls;		/* K x K close(g, f) + head(g) */
	size_t		 npools;
	uint32_t	*pool_id;	/* npools */
	uint64_t	*pool_cap;	/* bytes */
	uint64_t	*pool_rem;	/* layers, scratch */
	size_t		*by_tau;	/* cand indices, tau ascending */
	size_t		*by_cap;	/* cand indices, cap_mid descending */
	size_t		*by_key;	/* cand indices, key ascending */
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

static double
clsv(const struct prob *p, size_t g, size_t f)
{
	return p->cls[g * p->K + f];
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
 * Layers each pool can still take once the set's extras (E_in on f, E_out
 * on g) and one layer per member are placed; -1 when that already breaks
 * a pool.
 */
static int
pool_init(const struct prob *p, const uint8_t *in, size_t f, size_t g,
    size_t k)
{
	uint64_t	b, extra;
	size_t		q, i;

	for (q = 0; q < p->npools; q++) {
		b = p->pool_cap[q];
		extra = 0;
		if (in[f] && p->c[f].pidx == q)
			extra += p->E_first;
		if (in[g] && p->c[g].pidx == q)
			extra += p->m->head_bytes;
		if (b < extra)
			return -1;
		p->pool_rem[q] = (b - extra) / p->S;
	}
	for (i = 0; i < p->K; i++) {
		if (!in[i] || (q = p->c[i].pidx) == NONE)
			continue;
		if (p->pool_rem[q] < 1)
			return -1;
		p->pool_rem[q]--;
	}
	return 0;
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
	size_t		t, i, q;

	if (k == 0 || k > p->L)
		return INFINITY;
	if (p->npools > 0 && pool_init(p, in, f, g, k) != 0)
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
		if ((q = p->c[i].pidx) != NONE) {
			if (p->pool_rem[q] < take)
				take = (uint32_t)p->pool_rem[q];
			p->pool_rem[q] -= take;
		}
		need -= take;
		cost += (double)(1 + take) * p->c[i].tau;
		if (alloc != NULL)
			alloc[i] = 1 + take;
	}
	return need == 0 ? cost : INFINITY;
}

/* Communication (and head) cost of the order seq[0..k). */
static double
tour_cost(const struct prob *p, const size_t *seq, size_t k)
{
	double	t;
	size_t	i;

	if (k == 1)
		return p->c[seq[0]].only;
	t = p->c[seq[0]].open;
	for (i = 0; i + 1 < k; i++)
		t += hopv(p, seq[i], seq[i + 1]);
	return t + clsv(p, seq[k - 1], seq[0]);
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
 * come, the least hops they add plus a relaxed layer split.  The j - 1
 * middle devices of a completion are distinct, so their hops are at least
 * the j - 1 smallest keys left: each device's cheapest outgoing edge, or
 * with separable edges its in + out (the leg into the last one and the
 * close are bounded apart).
 */
static double
bound(struct prob *p, size_t k, double pathcost)
{
	size_t		f = p->seq[0], c = p->seq[k - 1], i, t, nR = 0, j;
	double		best = INFINITY, outm = INFINITY, inm = INFINITY;
	double		ksum = 0, sumtau = 0, v, hops, fill, x;
	uint64_t	resU = 0, TJ = 0, usedR, rem, take, cap;
	uint32_t	n;
	size_t		kt = 0;

	/* Close the ring now (absolute costs from here on). */
	if (k == 1) {
		if (p->c[f].cap_only >= p->L)
			best = p->c[f].only + (double)p->L * p->c[f].tau;
	} else if (isfinite(clsv(p, c, f)))
		best = pathcost + clsv(p, c, f) + layer_cost(p, p->in, f, c,
		    k, NULL);
	if (k >= p->L || k >= p->K)
		return best;

	/* Grow it by j more devices. */
	for (t = 0; t < p->K; t++) {
		if (p->in[t]) {
			cap = t == f ? p->c[t].cap_first : p->c[t].cap_mid;
			if (cap < 1)
				return best;
			resU += cap - 1;
			sumtau += p->c[t].tau;
			continue;
		}
		nR++;
		x = p->separable ? p->c[c].out_c : hopv(p, c, t);
		if (x < outm)
			outm = x;
		x = clsv(p, t, f) + (p->separable ? p->c[t].in_c : 0);
		if (x < inm)
			inm = x;
	}
	if (!isfinite(outm) || !isfinite(inm))
		return best;
	n = p->L - (uint32_t)k;
	j = 0;
	for (t = 0; t < p->K && j < nR && j < n; t++) {
		i = p->by_cap[t];
		if (p->in[i])
			continue;
		j++;
		TJ += p->c[i].cap_mid;
		if (j > 1) {
			while (kt < p->K && p->in[p->by_key[kt]])
				kt++;
			if (kt == p->K || !isfinite(p->c[p->by_key[kt]].key))
				break;
			ksum += p->c[p->by_key[kt++]].key;
		}
		hops = pathcost + outm + inm + ksum;
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
	return best;
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

	/*
	 * With separable edges and nothing extra on the first device
	 * (llama.cpp: open(f) is f's in-part and E_in stays on the client)
	 * the order of every stage but the last is immaterial, so they are
	 * only taken in index order: the last device may be extended only
	 * when it is above the one before it.
	 */
	if (p->separable && k >= 2 && c < p->seq[k - 2])
		return 0;
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
		return p->c[f].cap_only >= p->L ? p->c[f].only +
		    (double)p->L * p->c[f].tau : INFINITY;
	return pathcost + clsv(p, c, f) + layer_cost(p, p->in, f, c, k, NULL);
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
		bnb(p, 1, p->c[f].open);
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
		dp[((size_t)1 << f) * K + f] = p->c[f].open;
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
					    p->c[f].only +
					    (double)p->L * p->c[f].tau :
					    INFINITY;
				else
					cost = v + clsv(p, g, f) + layer_cost(p,
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
	double		pathcost = p->c[f].open, lb, blb, h;

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
	free(p->cls);
	free(p->pool_id);
	free(p->pool_cap);
	free(p->pool_rem);
	free(p->by_tau);
	free(p->by_cap);
	free(p->by_key);
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
	    x->tau == y->tau && x->head == y->head && x->pidx == y->pidx &&
	    x->cap_mid == y->cap_mid &&
	    x->cap_first == y->cap_first && x->cap_last == y->cap_last &&
	    x->cap_only == y->cap_only;
}

/* Memory the usable devices offer at most, a pool counted once. */
static long double
offered(const struct pl_cluster *cl, const struct pl_model *m,
    const struct pl_request *rq)
{
	const struct pl_device	*d;
	long double		 have = 0;
	size_t			 i, j;

	for (i = 0; i < cl->ndevices; i++) {
		d = &cl->devices[i];
		if (!pl_device_usable(d, m->dtype) || !(d->bandwidth > 0) ||
		    !(d->flops > 0))
			continue;
		if (d->pool == 0) {
			have += pl_device_capacity(d, rq->reserve);
			continue;
		}
		for (j = 0; j < i; j++)
			if (cl->devices[j].pool == d->pool &&
			    pl_device_usable(&cl->devices[j], m->dtype) &&
			    cl->devices[j].bandwidth > 0 &&
			    cl->devices[j].flops > 0)
				break;
		if (j == i)
			have += pl_pool_capacity(cl, d->pool, rq->reserve);
	}
	return have;
}

/* Checks the request as a whole and names the first shortfall. */
static int
precheck(const struct pl_cluster *cl, const struct pl_model *m,
    const struct pl_request *rq, uint64_t *S, char *err, size_t errlen)
{
	size_t		i, nelig = 0, nuse = 0;
	long double	need, have;
	char		a[32], b[32];
	uint64_t	ctx = rq->context;

	if (m->layers < 1 || m->layers > PL_MAX_LAYERS) {
		(void)snprintf(err, errlen, "%s: %u layers (1..%u)", m->name,
		    m->layers, PL_MAX_LAYERS);
		return PL_ERROR;
	}
	if (pl_request_check(cl, rq, err, errlen) != 0)
		return PL_ERROR;
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
		    cl->devices[i].bandwidth > 0 && cl->devices[i].flops > 0)
			nuse++;
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
	have = offered(cl, m, rq);
	need = (long double)m->layers * *S + m->head_bytes +
	    (rq->engine == PL_ENGINE_RING ? m->embed_bytes : 0);
	if (need > have) {
		fmt_bytes(a, sizeof a, need);
		fmt_bytes(b, sizeof b, have);
		(void)snprintf(err, errlen, "%s needs %s for %u layers at "
		    "context %llu, eligible devices offer %s (after a %.0f%% "
		    "reserve)", m->name, a, m->layers, (unsigned long long)ctx,
		    b, 100 * rq->reserve);
		return PL_INFEASIBLE;
	}
	return PL_OK;
}

/* The pools the candidates use, with their capacities. */
static int
prep_pools(struct prob *p)
{
	const struct pl_cluster	*cl = p->cl;
	uint32_t		 id;
	size_t			 i, q;

	if ((p->pool_id = calloc(p->K + 1, sizeof *p->pool_id)) == NULL ||
	    (p->pool_cap = calloc(p->K + 1, sizeof *p->pool_cap)) == NULL ||
	    (p->pool_rem = calloc(p->K + 1, sizeof *p->pool_rem)) == NULL)
		return -1;
	for (i = 0; i < p->K; i++) {
		p->c[i].pidx = NONE;
		if ((id = cl->devices[p->c[i].dev].pool) == 0)
			continue;
		for (q = 0; q < p->npools && p->pool_id[q] != id; q++)
			continue;
		if (q == p->npools) {
			p->pool_id[q] = id;
			p->pool_cap[q] = pl_pool_capacity(cl, id,
			    p->rq->reserve);
			p->npools++;
		}
		p->c[i].pidx = q;
	}
	return 0;
}

/* Per-node communication terms (see pl_cost.h) for the K x K tables. */
struct nodeterms {
	double	*ring;		/* nn x nn: alpha + A/beta, ring */
	double	*to_c;		/* nn: leg(u -> client, 2A) */
	double	*from_c;	/* nn: 2 alpha(c, u) + leg(c -> u, 2A) */
	double	*ret;		/* nn: leg(u -> client, logits) */
};

static void
nodeterms_free(struct nodeterms *t)
{
	free(t->ring);
	free(t->to_c);
	free(t->from_c);
	free(t->ret);
}

static int
nodeterms_fill(const struct prob *p, struct nodeterms *t)
{
	const struct pl_cluster	*cl = p->cl;
	const struct pl_link	*l;
	size_t			 nn = cl->nnodes, i, u, cn;
	double			 A = (double)p->m->activation_bytes, V;

	memset(t, 0, sizeof *t);
	if (p->rq->engine == PL_ENGINE_RING) {
		if ((t->ring = malloc(nn * nn * sizeof *t->ring)) == NULL)
			return -1;
		for (i = 0; i < nn * nn; i++)
			t->ring[i] = INFINITY;
		for (i = 0; i < nn; i++)
			t->ring[i * nn + i] = pl_cost_leg(cl, i, i, A);
		for (i = 0; i < cl->nlinks; i++) {
			l = &cl->links[i];
			t->ring[l->a * nn + l->b] = t->ring[l->b * nn + l->a] =
			    l->latency_s + A / l->bandwidth;
		}
		return 0;
	}
	if ((t->to_c = malloc(nn * sizeof *t->to_c)) == NULL ||
	    (t->from_c = malloc(nn * sizeof *t->from_c)) == NULL ||
	    (t->ret = malloc(nn * sizeof *t->ret)) == NULL)
		return -1;
	for (u = 0; u < nn; u++)
		t->to_c[u] = t->from_c[u] = t->ret[u] = INFINITY;
	cn = pl_request_client(cl, p->rq);
	V = p->m->vocab > 0 ? 4.0 * (double)p->m->vocab : 4.0;
	/* The client's own node, then every node linked to it. */
	for (i = 0; i <= cl->nlinks; i++) {
		if (i < cl->nlinks) {
			l = &cl->links[i];
			if (l->a != cn && l->b != cn)
				continue;
			u = l->a == cn ? l->b : l->a;
		} else
			u = cn;
		t->to_c[u] = pl_cost_leg(cl, u, cn, 2 * A);
		t->from_c[u] = 2 * pl_cost_leg(cl, cn, u, 0) +
		    pl_cost_leg(cl, cn, u, 2 * A);
		t->ret[u] = pl_cost_leg(cl, u, cn, V);
	}
	return 0;
}

/* Fills the open, only, edge and close terms of every candidate. */
static int
prep_comm(struct prob *p)
{
	const struct pl_cluster	*cl = p->cl;
	struct nodeterms	 t;
	size_t			 K = p->K, nn = cl->nnodes, i, j, a, b;
	double			 h, cv;
	int			 ring = p->rq->engine == PL_ENGINE_RING;

	if (nodeterms_fill(p, &t) != 0) {
		nodeterms_free(&t);
		return -1;
	}
	for (i = 0; i < K; i++) {
		a = cl->devices[p->c[i].dev].node;
		p->c[i].open = ring ? 0 : t.from_c[a];
		p->c[i].only = p->c[i].head + (ring ? 0 : t.from_c[a] +
		    t.ret[a]);
		if (!(p->c[i].open >= 0))
			p->c[i].open = INFINITY;
		if (!(p->c[i].only >= 0))
			p->c[i].only = INFINITY;
		p->c[i].out_c = ring ? 0 : t.to_c[a];
		p->c[i].in_c = ring ? 0 : t.from_c[a];
		p->c[i].near = INFINITY;
		for (j = 0; j < K; j++) {
			b = cl->devices[p->c[j].dev].node;
			h = ring ? t.ring[a * nn + b] : t.to_c[a] + t.from_c[b];
			cv = ring ? t.ring[a * nn + b] : t.ret[a];
			cv += p->c[i].head;
			if (!(h >= 0))		/* NaN from bad input */
				h = INFINITY;
			if (!(cv >= 0))
				cv = INFINITY;
			p->hop[i * K + j] = h;
			/* cls[g][f]: i is the last device, j the first. */
			p->cls[i * K + j] = cv;
			if (i != j && h < p->c[i].near)
				p->c[i].near = h;
		}
		p->c[i].key = ring ? p->c[i].near : p->c[i].out_c +
		    p->c[i].in_c;
		if (!(p->c[i].key >= 0))
			p->c[i].key = INFINITY;
	}
	nodeterms_free(&t);
	return 0;
}

static int
prep(struct prob *p, const struct pl_cluster *cl, const struct pl_model *m,
    const struct pl_request *rq, char *err, size_t errlen)
{
	const struct pl_device	*d;
	struct keyed		*ks;
	uint64_t		 both, mem;
	double			 rd;
	size_t			 i, j, K = 0;
	int			 rc;

	memset(p, 0, sizeof *p);
	p->cl = cl;
	p->m = m;
	p->rq = rq;
	p->L = m->layers;
	if ((rc = precheck(cl, m, rq, &p->S, err, errlen)) != PL_OK)
		return rc;
	p->E_first = rq->engine == PL_ENGINE_RING ? m->embed_bytes : 0;
	p->separable = rq->engine == PL_ENGINE_LLAMA_CPP && p->E_first == 0;
	rd = (double)m->layer_bytes + (double)m->kv_bytes_per_token_per_layer *
	    pl_request_fill(rq);
	if ((p->c = calloc(cl->ndevices, sizeof *p->c)) == NULL)
		goto nomem;
	both = p->E_first > UINT64_MAX - m->head_bytes ? UINT64_MAX :
	    p->E_first + m->head_bytes;
	for (i = 0; i < cl->ndevices; i++) {
		d = &cl->devices[i];
		mem = pl_device_capacity(d, rq->reserve);
		if (d->pool != 0) {
			uint64_t pc = pl_pool_capacity(cl, d->pool,
			    rq->reserve);

			if (pc < mem)
				mem = pc;
		}
		if (!pl_device_usable(d, m->dtype) || !(d->bandwidth > 0) ||
		    !(d->flops > 0) || mem < p->S)
			continue;
		p->c[K].dev = i;
		p->c[K].tau = pl_cost_tau(d, rd, m->flops_per_token_per_layer);
		p->c[K].head = pl_cost_head(d, m);
		p->c[K].cap_mid = capacity(mem, 0, p->S, p->L);
		p->c[K].cap_first = capacity(mem, p->E_first, p->S, p->L);
		p->c[K].cap_last = capacity(mem, m->head_bytes, p->S, p->L);
		p->c[K].cap_only = both == UINT64_MAX ? 0 :
		    capacity(mem, both, p->S, p->L);
		p->c[K].cls_prev = NONE;
		if (!isfinite(p->c[K].tau) || !isfinite(p->c[K].head))
			continue;
		K++;
	}
	p->K = K;
	if (K == 0) {
		char a[32];

		fmt_bytes(a, sizeof a, (long double)p->S);
		(void)snprintf(err, errlen, "no eligible device can hold one "
		    "layer of %s (%s at context %llu)", m->name, a,
		    (unsigned long long)rq->context);
		return PL_INFEASIBLE;
	}
	p->maxdepth = K < p->L ? K : p->L;
	if ((p->hop = malloc(K * K * sizeof *p->hop)) == NULL ||
	    (p->cls = malloc(K * K * sizeof *p->cls)) == NULL ||
	    (p->by_tau = malloc(K * sizeof *p->by_tau)) == NULL ||
	    (p->by_cap = malloc(K * sizeof *p->by_cap)) == NULL ||
	    (p->by_key = malloc(K * sizeof *p->by_key)) == NULL ||
	    (p->alloc = calloc(K, sizeof *p->alloc)) == NULL ||
	    (p->best = calloc(K, sizeof *p->best)) == NULL ||
	    (p->seq = calloc(K + 1, sizeof *p->seq)) == NULL ||
	    (p->in = calloc(K, 1)) == NULL ||
	    (p->mark = calloc(K, 1)) == NULL ||
	    (p->tmp = calloc(K + 1, sizeof *p->tmp)) == NULL ||
	    (p->kids = calloc((p->maxdepth + 1) * K, sizeof *p->kids)) ==
	    NULL || prep_pools(p) != 0 || prep_comm(p) != 0)
		goto nomem;
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
	for (i = 0; i < K; i++) {
		ks[i].key = p->c[i].key;
		ks[i].idx = i;
	}
	qsort(ks, K, sizeof *ks, keyed_cmp);
	for (i = 0; i < K; i++)
		p->by_key[i] = ks[i].idx;
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
		p->c[i].rootlb = bound(p, 1, p->c[i].open);
		p->in[i] = 0;
	}
	return PL_OK;
nomem:
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
		if (pl_cost_stage_memory(p->m, p->S, l, i == 0 &&
		    p->E_first > 0, i == k - 1,
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
	pl_request_init(&o->req);
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
	if ((rc = prep(&p, cl, m, &o->req, err, errlen)) != PL_OK)
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

	/* The DP cannot use the canonical order of a separable problem. */
	if (method == PL_METHOD_AUTO)
		method = p.K <= PL_DP_AUTO_MAX && !p.separable ? PL_METHOD_DP :
		    PL_METHOD_BNB;
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

/*
 * Stages for devs[0..n) with layer counts l[] priced under the request
 * into plan; PL_INFEASIBLE (err says why) when the plan breaks the model.
 */
static int
price(const struct pl_cluster *cl, const struct pl_model *m,
    const struct pl_request *rq, const size_t *devs, const uint32_t *l,
    size_t n, struct pl_plan *plan, char *err, size_t errlen)
{
	uint64_t	S;
	uint32_t	at = 0;
	size_t		i;
	double		lat;

	if (pl_model_layer_footprint(m, rq->context, &S) != 0) {
		(void)snprintf(err, errlen, "layer footprint overflows");
		return PL_INFEASIBLE;
	}
	if ((plan->stages = calloc(n, sizeof *plan->stages)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return PL_ERROR;
	}
	for (i = 0; i < n; i++) {
		plan->stages[i].device = devs[i];
		plan->stages[i].layer_start = at;
		plan->stages[i].layer_end = at + l[i];
		at += l[i];
		if (pl_cost_stage_memory(m, S, l[i], i == 0 &&
		    rq->engine == PL_ENGINE_RING, i == n - 1,
		    &plan->stages[i].memory_bytes) != 0)
			plan->stages[i].memory_bytes = UINT64_MAX;
	}
	plan->nstages = n;
	if (pl_cost_evaluate(cl, m, rq, plan->stages, n, &lat, err,
	    errlen) != 0) {
		pl_plan_free(plan);
		return PL_INFEASIBLE;
	}
	plan->latency_s = plan->lower_bound_s = lat;
	return PL_OK;
}

/* Largest-remainder split of `total` units in proportion to w[0..n). */
static int
proportional(const double *w, size_t n, uint32_t total, uint32_t *l)
{
	struct keyed	*rem;
	long double	 sum = 0, q;
	uint32_t	 given = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		sum += w[i];
	if (!(sum > 0))
		return -1;
	if ((rem = calloc(n, sizeof *rem)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		q = (long double)total * w[i] / sum;
		l[i] = (uint32_t)q;
		given += l[i];
		rem[i].key = -(double)(q - l[i]);
		rem[i].idx = i;
	}
	qsort(rem, n, sizeof *rem, keyed_cmp);
	for (i = 0; given < total; i = (i + 1) % n, given++)
		l[rem[i].idx]++;
	free(rem);
	return 0;
}

int
pl_baseline(const struct pl_cluster *cl, const struct pl_model *m,
    const struct pl_request *rq, struct pl_plan *plan, char *err,
    size_t errlen)
{
	struct keyed	*ks;
	double		*w;
	size_t		*devs, i, n = 0, big, j;
	uint32_t	*l;
	int		 rc = PL_ERROR;

	memset(plan, 0, sizeof *plan);
	ks = calloc(cl->ndevices + 1, sizeof *ks);
	w = calloc(cl->ndevices + 1, sizeof *w);
	devs = calloc(cl->ndevices + 1, sizeof *devs);
	l = calloc(cl->ndevices + 1, sizeof *l);
	if (ks == NULL || w == NULL || devs == NULL || l == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < cl->ndevices; i++) {
		if (!pl_device_usable(&cl->devices[i], m->dtype))
			continue;
		ks[n].key = -(double)cl->devices[i].memory_bytes;
		ks[n].idx = i;
		n++;
	}
	rc = PL_INFEASIBLE;
	if (n == 0 || n > m->layers) {
		(void)snprintf(err, errlen, n == 0 ? "no usable devices" :
		    "more devices than layers");
		goto out;
	}
	qsort(ks, n, sizeof *ks, keyed_cmp);
	for (i = 0; i < n; i++) {
		devs[i] = ks[i].idx;
		w[i] = (double)cl->devices[ks[i].idx].memory_bytes;
	}
	if (proportional(w, n, m->layers, l) != 0) {
		(void)snprintf(err, errlen, "no memory to split by");
		goto out;
	}
	/* At least one layer each, taken from the largest share. */
	for (i = 0; i < n; i++) {
		while (l[i] == 0) {
			for (big = 0, j = 1; j < n; j++)
				if (l[j] > l[big])
					big = j;
			l[big]--;
			l[i]++;
		}
	}
	rc = price(cl, m, rq, devs, l, n, plan, err, errlen);
out:
	free(ks);
	free(w);
	free(devs);
	free(l);
	return rc;
}

int
pl_baseline_llama(const struct pl_cluster *cl, const struct pl_model *m,
    const struct pl_request *rq, const struct pl_plan *ours,
    struct pl_plan *plan, char *err, size_t errlen)
{
	double		*w = NULL, run, sum = 0, *cum = NULL;
	size_t		*devs = NULL, i, n = ours->nstages, k, il, nk = 0;
	uint32_t	*slots = NULL, *l = NULL, L = m->layers;
	int		 rc = PL_ERROR;

	memset(plan, 0, sizeof *plan);
	if (n == 0) {
		(void)snprintf(err, errlen, "no stages");
		return PL_INFEASIBLE;
	}
	w = calloc(n, sizeof *w);
	cum = calloc(n, sizeof *cum);
	devs = calloc(n, sizeof *devs);
	slots = calloc(n, sizeof *slots);
	l = calloc(n, sizeof *l);
	if (w == NULL || cum == NULL || devs == NULL || slots == NULL ||
	    l == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		w[i] = (double)cl->devices[ours->stages[i].device].memory_bytes;
		sum += w[i];
	}
	for (run = 0, i = 0; i < n; i++) {
		run += w[i];
		cum[i] = run / sum;
	}
	/* Slot il (blocks 0..L-1, then the output) to the first device
	 * whose running share exceeds il / (L + 1). */
	for (il = 0; il <= L; il++) {
		for (k = 0; k + 1 < n && !(cum[k] > (double)il /
		    (double)(L + 1)); k++)
			continue;
		if (il < L)
			slots[k]++;
		else
			nk = k;
	}
	rc = PL_INFEASIBLE;
	for (i = 0, k = 0; i < n; i++) {
		if (slots[i] == 0)
			continue;
		if (i > nk) {
			(void)snprintf(err, errlen, "the output slot lands "
			    "before a stage");
			goto out;
		}
		devs[k] = ours->stages[i].device;
		l[k++] = slots[i];
	}
	if (k == 0 || devs[k - 1] != ours->stages[nk].device) {
		(void)snprintf(err, errlen, "the output slot is alone on a "
		    "device");
		goto out;
	}
	rc = price(cl, m, rq, devs, l, k, plan, err, errlen);
out:
	free(w);
	free(cum);
	free(devs);
	free(slots);
	free(l);
	return rc;
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
	dst->links_sorted = src->links_sorted;
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
