/*
 * test_vivaldi.c - network coordinates (net/net_vivaldi.c): convergence
 * on synthetic clusters whose true RTTs are known, and refusal of
 * hostile peer coordinates and samples.
 *
 * Convergence runs are seeded and deterministic: every round each node
 * takes one sample to a peer chosen at random, the sample being the true
 * RTT with +-5 % noise.  After the rounds the estimate of every pair is
 * compared with its true RTT; the figures are printed so a run shows
 * how good the estimates are, and the asserted bounds leave some margin
 * above what was measured (see the comment on each test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_vivaldi.h"

#define MAXN	64

struct sim {
	int		n;
	struct net_viv	node[MAXN];
	double		rtt[MAXN][MAXN];	/* true, seconds */
	uint64_t	rng;
};

struct figures {
	double	median, p95, max;	/* relative error over all pairs */
};

static double
urand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

static void
sim_init(struct sim *s, int n, uint64_t seed)
{
	int	i;

	memset(s, 0, sizeof *s);
	s->n = n;
	s->rng = seed;
	for (i = 0; i < n; i++)
		net_viv_init(&s->node[i], seed * 1000 + (uint64_t)i);
}

static void
sim_run(struct sim *s, int rounds)
{
	int	r, i, j;
	double	noise;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < s->n; i++) {
			do
				j = (int)(urand(&s->rng) * s->n);
			while (j == i || j >= s->n);
			noise = 1.0 + 0.1 * (urand(&s->rng) - 0.5);
			assert_int_equal(net_viv_update(&s->node[i],
			    &s->node[j].coord, s->rtt[i][j] * noise), 0);
		}
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct figures
sim_measure(const struct sim *s, const char *what)
{
	static double	errs[MAXN * MAXN];
	struct figures	f;
	size_t		k = 0;
	double		est;
	int		i, j;

	for (i = 0; i < s->n; i++)
		for (j = i + 1; j < s->n; j++) {
			est = net_viv_distance(&s->node[i].coord,
			    &s->node[j].coord);
			assert_true(isfinite(est));
			errs[k++] = fabs(est - s->rtt[i][j]) / s->rtt[i][j];
		}
	qsort(errs, k, sizeof errs[0], cmp_double);
	f.median = errs[k / 2];
	f.p95 = errs[(k * 95) / 100];
	f.max = errs[k - 1];
	printf("# %s: %d nodes, relative error median %.3f, p95 %.3f, "
	    "max %.3f\n", what, s->n, f.median, f.p95, f.max);
	return f;
}

/*
 * 25 nodes on a 5 x 5 grid, 1 ms apart (RTT = 1 ms x grid distance),
 * each behind an access link of 20..200 us counted at both ends.
 * Measured: median 0.010, p95 0.043, max 0.099 after 1000 rounds (0.021,
 * 0.128, 0.262 after 200; 0.008, 0.039, 0.087 after 3000, where the
 * sample noise sets the floor).
 */
static void
test_grid(void **state)
{
	static struct sim	s;
	double			h[25];
	int			i, j;
	struct figures		f;

	(void)state;
	sim_init(&s, 25, 1);
	for (i = 0; i < 25; i++)
		h[i] = 20e-6 + 180e-6 * urand(&s.rng);
	for (i = 0; i < 25; i++)
		for (j = 0; j < 25; j++) {
			double dx = i % 5 - j % 5, dy = i / 5 - j / 5;

			s.rtt[i][j] = i == j ? 0 : 1e-3 * sqrt(dx * dx +
			    dy * dy) + h[i] + h[j];
		}
	sim_run(&s, 1000);
	f = sim_measure(&s, "grid");
	assert_true(f.median < 0.03);
	assert_true(f.p95 < 0.10);
	assert_true(f.max < 0.20);
}

/*
 * Two racks of 16 nodes on one LAN: 100..120 us within a rack, 1..1.2 ms
 * between racks (each pair's excess drawn once, so the RTTs are not
 * exactly embeddable in any space).  Besides the error figures the
 * estimate must order every intra-rack pair below every inter-rack one,
 * which is what the placement needs from it.  Measured: median 0.050,
 * p95 0.203, max 0.481 (on a 100 us pair) after 300 rounds; largest
 * intra-rack estimate 162 us, smallest inter-rack 1028 us.
 */
static void
test_racks(void **state)
{
	static struct sim	s;
	double			intra_max = 0, inter_min = INFINITY, e;
	int			i, j;
	struct figures		f;

	(void)state;
	sim_init(&s, 32, 7);
	for (i = 0; i < 32; i++)
		for (j = i + 1; j < 32; j++)
			s.rtt[i][j] = s.rtt[j][i] = (i / 16 == j / 16 ?
			    100e-6 : 1e-3) * (1.0 + 0.2 * urand(&s.rng));
	sim_run(&s, 300);
	f = sim_measure(&s, "racks");
	assert_true(f.median < 0.10);
	assert_true(f.p95 < 0.30);
	assert_true(f.max < 0.75);
	for (i = 0; i < 32; i++)
		for (j = i + 1; j < 32; j++) {
			e = net_viv_distance(&s.node[i].coord,
			    &s.node[j].coord);
			if (i / 16 == j / 16 && e > intra_max)
				intra_max = e;
			if (i / 16 != j / 16 && e < inter_min)
				inter_min = e;
		}
	printf("# racks: largest intra-rack estimate %.0f us, smallest "
	    "inter-rack %.0f us\n", intra_max * 1e6, inter_min * 1e6);
	assert_true(intra_max < inter_min);
}

/* A sample with a bad peer coordinate or RTT changes nothing. */
static void
test_hostile_refused(void **state)
{
	struct net_viv		v, before;
	struct net_viv_coord	ok, bad;
	double			rtts[] = { NAN, INFINITY, -INFINITY, -1e-3,
				    NET_VIV_RTT_MAX * 1.01, 1e300 };
	size_t			k;
	int			i;

	(void)state;
	net_viv_init(&v, 3);
	net_viv_coord_init(&ok);
	ok.vec[0] = 1e-3;
	ok.error = 0.2;
	for (i = 0; i < 20; i++)
		assert_int_equal(net_viv_update(&v, &ok, 2e-3), 0);
	before = v;
	for (k = 0; k < 12; k++) {
		bad = ok;
		switch (k) {
		case 0: bad.vec[3] = NAN; break;
		case 1: bad.vec[7] = INFINITY; break;
		case 2: bad.vec[0] = NET_VIV_COORD_MAX * 1.5; break;
		case 3: bad.vec[5] = -1e30; break;
		case 4: bad.height = -1e-6; break;
		case 5: bad.height = INFINITY; break;
		case 6: bad.height = NET_VIV_COORD_MAX + 1; break;
		case 7: bad.adjustment = NAN; break;
		case 8: bad.adjustment = -NET_VIV_COORD_MAX - 1; break;
		case 9: bad.error = -0.1; break;
		case 10: bad.error = NET_VIV_ERROR_MAX + 0.1; break;
		case 11: bad.error = NAN; break;
		}
		assert_false(net_viv_coord_valid(&bad));
		assert_int_equal(net_viv_update(&v, &bad, 2e-3), -1);
		assert_true(isnan(net_viv_distance(&bad, &ok)));
		assert_true(isnan(net_viv_distance(&ok, &bad)));
	}
	for (k = 0; k < sizeof rtts / sizeof rtts[0]; k++)
		assert_int_equal(net_viv_update(&v, &ok, rtts[k]), -1);
	assert_int_equal(net_viv_update(&v, NULL, 1e-3), -1);
	assert_memory_equal(&v.coord, &before.coord, sizeof v.coord);
	assert_memory_equal(v.adj, before.adj, sizeof v.adj);
	assert_int_equal(v.updates, before.updates);
	assert_int_equal(v.refused, before.refused + 12 + 6 + 1);
}

/*
 * Valid but extreme coordinates (at the bounds, zero error claimed) and
 * extreme RTTs, alternated: our coordinate stays valid throughout, and
 * after the storm honest samples bring the estimate back.
 */
static void
test_hostile_bounded(void **state)
{
	struct net_viv		v;
	struct net_viv_coord	far, near, honest;
	int			i, d;
	double			est;

	(void)state;
	net_viv_init(&v, 5);
	net_viv_coord_init(&far);
	for (d = 0; d < NET_VIV_DIMS; d++)
		far.vec[d] = d % 2 ? NET_VIV_COORD_MAX : -NET_VIV_COORD_MAX;
	far.height = NET_VIV_COORD_MAX;
	far.adjustment = -NET_VIV_COORD_MAX;
	far.error = 0;
	net_viv_coord_init(&near);
	near.error = 0;
	near.height = 0;
	for (i = 0; i < 2000; i++) {
		assert_int_equal(net_viv_update(&v, i % 2 ? &far : &near,
		    i % 3 ? NET_VIV_RTT_MAX : 0), 0);
		assert_true(net_viv_coord_valid(&v.coord));
	}
	/* An honest peer 1 ms away, confident of its place. */
	net_viv_coord_init(&honest);
	honest.error = 0.05;
	for (i = 0; i < 400; i++)
		assert_int_equal(net_viv_update(&v, &honest, 1e-3), 0);
	est = net_viv_distance(&v.coord, &honest);
	printf("# after the storm: estimate %.3f ms for a 1 ms peer\n",
	    est * 1e3);
	assert_true(fabs(est - 1e-3) < 0.2e-3);
	assert_int_equal(v.resets, 0);
}

/* A fresh node: origin, full error, estimate to itself is two heights. */
static void
test_fresh(void **state)
{
	struct net_viv	v;

	(void)state;
	net_viv_init(&v, 1);
	assert_true(net_viv_coord_valid(&v.coord));
	assert_true(v.coord.error == NET_VIV_ERROR_MAX);
	assert_true(fabs(net_viv_distance(&v.coord, &v.coord) -
	    2 * NET_VIV_HEIGHT_MIN) < 1e-12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_grid),
		cmocka_unit_test(test_racks),
		cmocka_unit_test(test_hostile_refused),
		cmocka_unit_test(test_hostile_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
