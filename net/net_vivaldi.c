/*
 * net_vivaldi.c - Vivaldi network coordinates; see net_vivaldi.h for the
 * model and the rules on untrusted input.
 *
 * One update is three steps, in this order: the spring step toward or
 * away from the peer (moving the height too), the adjustment window, and
 * gravity toward the origin.  Every step ends with the coordinate clamped
 * into its bounds; a coordinate that is not finite after all three
 * (which the clamps should make impossible) is reset to the origin and
 * counted, rather than published.
 */
#include "net_vivaldi.h"

#include <math.h>
#include <string.h>

/* Below this an RTT, a distance or a total error counts as zero. */
#define ZERO	1e-6

void
net_viv_coord_init(struct net_viv_coord *c)
{
	memset(c, 0, sizeof *c);
	c->height = NET_VIV_HEIGHT_MIN;
	c->error = NET_VIV_ERROR_MAX;
}

static int
within(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

int
net_viv_coord_valid(const struct net_viv_coord *c)
{
	int	i;

	for (i = 0; i < NET_VIV_DIMS; i++)
		if (!within(c->vec[i], -NET_VIV_COORD_MAX, NET_VIV_COORD_MAX))
			return 0;
	return within(c->height, 0, NET_VIV_COORD_MAX) &&
	    within(c->adjustment, -NET_VIV_COORD_MAX, NET_VIV_COORD_MAX) &&
	    within(c->error, 0, NET_VIV_ERROR_MAX);
}

void
net_viv_init(struct net_viv *v, uint64_t seed)
{
	memset(v, 0, sizeof *v);
	net_viv_coord_init(&v->coord);
	v->rng = seed;
}

/* splitmix64: a uniform double in [-0.5, 0.5). */
static double
rnd(struct net_viv *v)
{
	uint64_t	z = (v->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0 - 0.5;
}

static double
span(const double *a, const double *b)
{
	double	s = 0, d;
	int	i;

	for (i = 0; i < NET_VIV_DIMS; i++) {
		d = a[i] - b[i];
		s += d * d;
	}
	return sqrt(s);
}

static double
raw_distance(const struct net_viv_coord *a, const struct net_viv_coord *b)
{
	return span(a->vec, b->vec) + a->height + b->height;
}

/* Estimate without the validity check (both known valid). */
static double
distance(const struct net_viv_coord *a, const struct net_viv_coord *b)
{
	double	raw = raw_distance(a, b), adj;

	adj = raw + a->adjustment + b->adjustment;
	return adj > 0 ? adj : raw;
}

double
net_viv_distance(const struct net_viv_coord *a, const struct net_viv_coord *b)
{
	if (!net_viv_coord_valid(a) || !net_viv_coord_valid(b))
		return NAN;
	return distance(a, b);
}

static double
clamp(double v, double lo, double hi)
{
	if (!(v >= lo))		/* also NaN */
		return lo;
	return v > hi ? hi : v;
}

static void
bound(struct net_viv_coord *c)
{
	int	i;

	for (i = 0; i < NET_VIV_DIMS; i++)
		c->vec[i] = clamp(c->vec[i], -NET_VIV_COORD_MAX,
		    NET_VIV_COORD_MAX);
	c->height = clamp(c->height, NET_VIV_HEIGHT_MIN, NET_VIV_COORD_MAX);
	c->adjustment = clamp(c->adjustment, -NET_VIV_COORD_MAX,
	    NET_VIV_COORD_MAX);
	c->error = clamp(c->error, 0, NET_VIV_ERROR_MAX);
}

/*
 * Moves v's coordinate by force (seconds; > 0 away from other) along the
 * line from other to it, a random direction when the two coincide.  The
 * height takes its share of the force in proportion to its share of the
 * distance.
 */
static void
apply_force(struct net_viv *v, double force, const struct net_viv_coord *other)
{
	struct net_viv_coord	*c = &v->coord;
	double			 unit[NET_VIV_DIMS], mag;
	int			 i;

	mag = span(c->vec, other->vec);
	if (mag > ZERO) {
		for (i = 0; i < NET_VIV_DIMS; i++)
			unit[i] = (c->vec[i] - other->vec[i]) / mag;
	} else {
		double	n;

		do {
			n = 0;
			for (i = 0; i < NET_VIV_DIMS; i++) {
				unit[i] = rnd(v);
				n += unit[i] * unit[i];
			}
			n = sqrt(n);
		} while (n <= ZERO);
		for (i = 0; i < NET_VIV_DIMS; i++)
			unit[i] /= n;
	}
	for (i = 0; i < NET_VIV_DIMS; i++)
		c->vec[i] += unit[i] * force;
	if (mag > ZERO)
		c->height += (c->height + other->height) * force / mag;
	bound(c);
}

static void
step_spring(struct net_viv *v, const struct net_viv_coord *peer, double rtt)
{
	struct net_viv_coord	*c = &v->coord;
	double			 dist, wrong, total, w;

	dist = distance(c, peer);
	wrong = fabs(dist - rtt) / rtt;
	total = c->error + peer->error;
	if (total < ZERO)
		total = ZERO;
	w = c->error / total;
	c->error = NET_VIV_CE * w * wrong + c->error * (1 - NET_VIV_CE * w);
	if (c->error > NET_VIV_ERROR_MAX)
		c->error = NET_VIV_ERROR_MAX;
	apply_force(v, NET_VIV_CC * w * (rtt - dist), peer);
}

/* The adjustment is half the mean of the last samples of rtt - raw. */
static void
step_adjustment(struct net_viv *v, const struct net_viv_coord *peer,
    double rtt)
{
	double	sum = 0;
	int	i;

	v->adj[v->adj_next] = rtt - raw_distance(&v->coord, peer);
	v->adj_next = (v->adj_next + 1) % NET_VIV_ADJ_WINDOW;
	for (i = 0; i < NET_VIV_ADJ_WINDOW; i++)
		sum += v->adj[i];
	v->coord.adjustment = clamp(sum / (2.0 * NET_VIV_ADJ_WINDOW),
	    -NET_VIV_COORD_MAX, NET_VIV_COORD_MAX);
}

static void
step_gravity(struct net_viv *v)
{
	struct net_viv_coord	origin;
	double			d;

	if (NET_VIV_GRAVITY_RHO <= 0)
		return;
	net_viv_coord_init(&origin);
	d = distance(&origin, &v->coord) / NET_VIV_GRAVITY_RHO;
	apply_force(v, -(d * d), &origin);
}

int
net_viv_update(struct net_viv *v, const struct net_viv_coord *peer,
    double rtt_s)
{
	if (peer == NULL || !net_viv_coord_valid(peer) ||
	    !within(rtt_s, 0, NET_VIV_RTT_MAX)) {
		v->refused++;
		return -1;
	}
	if (rtt_s < ZERO)
		rtt_s = ZERO;
	step_spring(v, peer, rtt_s);
	step_adjustment(v, peer, rtt_s);
	step_gravity(v);
	v->updates++;
	if (!net_viv_coord_valid(&v->coord)) {
		net_viv_coord_init(&v->coord);
		memset(v->adj, 0, sizeof v->adj);
		v->resets++;
	}
	return 0;
}
