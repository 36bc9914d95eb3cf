/*
 * pl_cluster.c - building a cluster snapshot (see pl_cluster.h).
 *
 * Plain growable arrays with hard caps; node lookups are linear (the
 * solver builds its own dense tables anyway), link lookups binary while
 * links came in ascending pair order (a snapshot of every pair of 1024
 * nodes holds half a million), else linear.
 */
#include "pl_cluster.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
pl_cluster_init(struct pl_cluster *c)
{
	memset(c, 0, sizeof *c);
}

void
pl_cluster_free(struct pl_cluster *c)
{
	free(c->devices);
	free(c->nodes);
	free(c->links);
	memset(c, 0, sizeof *c);
}

/* Makes room for one more element in *arr (size elt) with cap limit. */
static int
grow(void **arr, size_t *cap, size_t n, size_t elt, size_t limit)
{
	size_t	ncap;
	void	*p;

	if (n < *cap)
		return 0;
	if (n >= limit) {
		errno = E2BIG;
		return -1;
	}
	ncap = *cap == 0 ? 8 : *cap * 2;
	if (ncap > limit)
		ncap = limit;
	if ((p = realloc(*arr, ncap * elt)) == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

int
pl_cluster_find_node(const struct pl_cluster *c, const char *name, size_t *idx)
{
	size_t	i;

	for (i = 0; i < c->nnodes; i++) {
		if (strcmp(c->nodes[i].name, name) == 0) {
			*idx = i;
			return 0;
		}
	}
	return -1;
}

int
pl_cluster_node(struct pl_cluster *c, const char *name, size_t *idx)
{
	struct pl_node	*n;

	if (pl_cluster_find_node(c, name, idx) == 0)
		return 0;
	if (strlen(name) >= PL_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (grow((void **)&c->nodes, &c->cap_nodes, c->nnodes,
	    sizeof *c->nodes, PL_MAX_NODES) != 0)
		return -1;
	n = &c->nodes[c->nnodes];
	memset(n, 0, sizeof *n);
	(void)strcpy(n->name, name);
	n->intra_latency_s = PL_INTRA_LATENCY_S;
	n->intra_bandwidth = PL_INTRA_BANDWIDTH;
	*idx = c->nnodes++;
	return 0;
}

int
pl_cluster_add_device(struct pl_cluster *c, const struct pl_device *d)
{
	if (d->node >= c->nnodes) {
		errno = EINVAL;
		return -1;
	}
	if (grow((void **)&c->devices, &c->cap_devices, c->ndevices,
	    sizeof *c->devices, PL_MAX_DEVICES) != 0)
		return -1;
	c->devices[c->ndevices++] = *d;
	return 0;
}

/* Orders node pairs by (smaller, larger) index. */
static int
pair_cmp(size_t a1, size_t b1, size_t a2, size_t b2)
{
	size_t	lo1 = a1 < b1 ? a1 : b1, hi1 = a1 < b1 ? b1 : a1;
	size_t	lo2 = a2 < b2 ? a2 : b2, hi2 = a2 < b2 ? b2 : a2;

	if (lo1 != lo2)
		return lo1 < lo2 ? -1 : 1;
	if (hi1 != hi2)
		return hi1 < hi2 ? -1 : 1;
	return 0;
}

int
pl_cluster_add_link(struct pl_cluster *c, size_t a, size_t b, double lat,
    double bw)
{
	struct pl_link	*l;

	if (a == b || a >= c->nnodes || b >= c->nnodes) {
		errno = EINVAL;
		return -1;
	}
	if (grow((void **)&c->links, &c->cap_links, c->nlinks,
	    sizeof *c->links, PL_MAX_LINKS) != 0)
		return -1;
	if (c->nlinks == 0)
		c->links_sorted = 1;
	else if (pair_cmp(c->links[c->nlinks - 1].a, c->links[c->nlinks - 1].b,
	    a, b) >= 0)
		c->links_sorted = 0;
	l = &c->links[c->nlinks++];
	l->a = a;
	l->b = b;
	l->latency_s = lat;
	l->bandwidth = bw;
	return 0;
}

const struct pl_link *
pl_cluster_link(const struct pl_cluster *c, size_t a, size_t b)
{
	size_t	i, lo, hi, mid;
	int	o;

	if (c->links_sorted) {
		lo = 0;
		hi = c->nlinks;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			o = pair_cmp(c->links[mid].a, c->links[mid].b, a, b);
			if (o == 0)
				return &c->links[mid];
			if (o < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return NULL;
	}
	for (i = 0; i < c->nlinks; i++) {
		if ((c->links[i].a == a && c->links[i].b == b) ||
		    (c->links[i].a == b && c->links[i].b == a))
			return &c->links[i];
	}
	return NULL;
}
