/*
 * test_ratelimit.c - the per-client failed-authentication limit
 * (agent/ag_ratelimit.c): blocking after the limit, Retry-After, the
 * window ending, one "first" per block, other clients unaffected, and
 * the table staying bounded under many addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "ag_ratelimit.h"

static void
blocks_and_recovers(void **state)
{
	struct ag_ratelimit	*rl = calloc(1, sizeof *rl);
	bool			 first;
	int			 i;

	(void)state;
	assert_non_null(rl);
	ag_rl_init(rl, 5, 60);
	for (i = 0; i < 4; i++) {
		ag_rl_fail(rl, "10.0.0.1", 1000 + i);
		assert_int_equal(ag_rl_blocked(rl, "10.0.0.1", 1000 + i,
		    &first), 0);
	}
	ag_rl_fail(rl, "10.0.0.1", 1010);
	assert_int_equal(ag_rl_blocked(rl, "10.0.0.1", 1010, &first), 50);
	assert_true(first);
	assert_int_equal(ag_rl_blocked(rl, "10.0.0.1", 1059, &first), 1);
	assert_false(first);
	/* another client is not affected */
	assert_int_equal(ag_rl_blocked(rl, "10.0.0.2", 1010, &first), 0);
	/* the window ends */
	assert_int_equal(ag_rl_blocked(rl, "10.0.0.1", 1060, &first), 0);
	ag_rl_fail(rl, "10.0.0.1", 1061);
	assert_int_equal(ag_rl_blocked(rl, "10.0.0.1", 1061, &first), 0);
	/* a clock stepping back ends the window rather than extending it */
	for (i = 0; i < 5; i++)
		ag_rl_fail(rl, "10.0.0.3", 2000);
	assert_true(ag_rl_blocked(rl, "10.0.0.3", 2000, &first) > 0);
	assert_int_equal(ag_rl_blocked(rl, "10.0.0.3", 1000, &first), 0);
	free(rl);
}

static void
off_and_bounded(void **state)
{
	struct ag_ratelimit	*rl = calloc(1, sizeof *rl);
	char			 key[32];
	bool			 first;
	int			 i;

	(void)state;
	assert_non_null(rl);
	ag_rl_init(rl, 0, 60);
	for (i = 0; i < 100; i++)
		ag_rl_fail(rl, "a", 1);
	assert_int_equal(ag_rl_blocked(rl, "a", 1, &first), 0);
	/* 10 000 addresses through 256 slots: the newest still count */
	ag_rl_init(rl, 2, 60);
	for (i = 0; i < 10000; i++) {
		(void)snprintf(key, sizeof key, "10.1.%d.%d", i / 256, i % 256);
		ag_rl_fail(rl, key, 100 + i / 1000);
	}
	ag_rl_fail(rl, "10.1.39.15", 109);	/* i = 9999 */
	assert_true(ag_rl_blocked(rl, "10.1.39.15", 109, &first) > 0);
	assert_int_equal(ag_rl_blocked(rl, "10.1.0.0", 109, &first), 0);
	free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_and_recovers),
		cmocka_unit_test(off_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
