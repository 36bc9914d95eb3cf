/*
 * test_mesh.c - probe mode's neighbourhood and eviction rules
 * (agent/ag_mesh.c): the pair score is symmetric and spread over [0, 1),
 * small clusters are a full mesh, a 500-member cluster gets about k
 * neighbours per node on a connected graph both ends agree on, and
 * eviction closes the least recently used idle sessions only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ag_mesh.h"

#define NODES	500

static char	ids[NODES][32];

static void
make_ids(void)
{
	int	i;

	for (i = 0; i < NODES; i++)
		(void)snprintf(ids[i], sizeof ids[i], "n%04dqx7e%d", i, i * 7);
}

static void
test_score_symmetric(void **state)
{
	double	s, sum = 0;
	int	i;

	(void)state;
	make_ids();
	for (i = 1; i < NODES; i++) {
		s = ag_mesh_score(ids[0], ids[i]);
		assert_true(s >= 0 && s < 1);
		assert_true(s == ag_mesh_score(ids[i], ids[0]));
		assert_true(s != ag_mesh_score(ids[0], ids[i - 1]) || i == 1);
		sum += s;
	}
	/* Spread: the mean of 499 uniform draws is 0.5 +- 0.04 (3 sigma). */
	sum /= NODES - 1;
	assert_true(sum > 0.46 && sum < 0.54);
}

static void
test_small_full_mesh(void **state)
{
	(void)state;
	assert_true(ag_mesh_neighbours(0.99, 9, 8));	/* 8 others */
	assert_true(ag_mesh_neighbours(0.99, 2, 8));
	assert_true(ag_mesh_neighbours(0.99, 1000, 0));	/* 0: all */
	assert_false(ag_mesh_neighbours(0.99, 10, 8));
	assert_true(ag_mesh_neighbours(0.49, 17, 8));	/* 8/16 */
	assert_false(ag_mesh_neighbours(0.49, 18, 8));	/* 8/17 */
}

static int	adj[NODES][NODES];

static void
test_degree_and_connected(void **state)
{
	int	i, j, deg, sum = 0, max = 0, min = NODES;
	int	seen[NODES], stack[NODES], sp = 0, reached = 1;

	(void)state;
	make_ids();
	for (i = 0; i < NODES; i++)
		for (j = 0; j < NODES; j++)
			adj[i][j] = i != j && ag_mesh_neighbours(
			    ag_mesh_score(ids[i], ids[j]), NODES, 8);
	for (i = 0; i < NODES; i++) {
		for (deg = 0, j = 0; j < NODES; j++) {
			assert_int_equal(adj[i][j], adj[j][i]);
			deg += adj[i][j];
		}
		sum += deg;
		max = deg > max ? deg : max;
		min = deg < min ? deg : min;
	}
	print_message("degree over %d nodes, k 8: mean %.2f, min %d, max %d\n",
	    NODES, (double)sum / NODES, min, max);
	assert_true((double)sum / NODES > 7.0 && (double)sum / NODES < 9.0);
	memset(seen, 0, sizeof seen);
	seen[0] = 1;
	stack[sp++] = 0;
	while (sp > 0) {
		i = stack[--sp];
		for (j = 0; j < NODES; j++)
			if (adj[i][j] && !seen[j]) {
				seen[j] = 1;
				reached++;
				stack[sp++] = j;
			}
	}
	assert_int_equal(reached, NODES);
}

static void
test_evict(void **state)
{
	struct ag_mesh_session	s[5] = {
		{ 0, 90.0, 0 },		/* idle 10 s */
		{ 1, 50.0, 1 },		/* oldest, but kept */
		{ 2, 60.0, 0 },		/* idle 40 s: first to go */
		{ 3, 98.0, 0 },		/* used 2 s ago: busy */
		{ 4, 80.0, 0 },		/* idle 20 s */
	};
	int	out[5];
	size_t	k;

	(void)state;
	assert_int_equal(ag_mesh_evict(s, 5, 5, 100.0, 5.0, out), 0);
	k = ag_mesh_evict(s, 5, 3, 100.0, 5.0, out);
	assert_int_equal(k, 2);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 4);
	/* Room for none: every idle one that is not kept goes, not more. */
	k = ag_mesh_evict(s, 5, 0, 100.0, 5.0, out);
	assert_int_equal(k, 3);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 4);
	assert_int_equal(out[2], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_score_symmetric),
		cmocka_unit_test(test_small_full_mesh),
		cmocka_unit_test(test_degree_and_connected),
		cmocka_unit_test(test_evict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
