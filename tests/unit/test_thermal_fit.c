/*
 * test_thermal_fit.c - the online RC fit and throttle prediction
 * (agent/ag_thermal.c): a synthetic heating curve gives back its steady
 * state and time constant, quantised sensors still predict the crossing,
 * a flat or cooling device is never flagged, and the flag has hysteresis.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "ag_thermal.h"

/* T(t) = steady + (start - steady) * exp(-t / tau). */
static double
curve(double t, double start, double steady, double tau)
{
	return steady + (start - steady) * exp(-t / tau);
}

static void
fits_rc_curve(void **state)
{
	double	t[20], v[20], ss, tau, p;
	int	i;

	(void)state;
	for (i = 0; i < 20; i++) {
		t[i] = 2.0 * i;
		v[i] = curve(t[i], 60, 95, 25);
	}
	p = ag_thermal_predict(t, v, 20, 300, &ss, &tau);
	assert_true(fabs(ss - 95) < 1.0);
	assert_true(fabs(tau - 25) < 3.0);
	assert_true(fabs(p - 95) < 1.0);
	/* Too few samples or too short a span: no prediction. */
	assert_true(isnan(ag_thermal_predict(t, v, 3, 300, &ss, &tau)));
	t[4] = 7.0;
	assert_true(isnan(ag_thermal_predict(t, v, 5, 300, &ss, &tau)));
}

static void
flags_before_the_crossing(void **state)
{
	struct ag_thermal		 th;
	struct ag_thermal_track		*tr = NULL;
	double				 now, temp = 0;
	int				 i;

	(void)state;
	ag_thermal_init(&th, 300, 90);
	/* A 1 C sensor, sampled every 2 s, heading for 95 C. */
	for (i = 0; i < 40; i++) {
		now = 2.0 * i;
		temp = floor(curve(now, 60, 95, 25));
		tr = ag_thermal_observe(&th, "gpu0", now, temp);
		assert_non_null(tr);
		if (tr->flagged)
			break;
	}
	assert_non_null(tr);
	assert_true(tr->flagged);
	assert_true(temp < 80);		/* long before the 85 C pause point */
	print_message("flagged at %.0f C after %d samples (predicted %.1f C, "
	    "steady %.1f C, tau %.1f s)\n", temp, i + 1, tr->predicted_c,
	    tr->steady_c, tr->tau_s);
}

static void
flat_and_cooling_not_flagged(void **state)
{
	struct ag_thermal		 th;
	struct ag_thermal_track		*a = NULL, *b = NULL;
	int				 i;

	(void)state;
	ag_thermal_init(&th, 300, 90);
	for (i = 0; i < 32; i++) {
		a = ag_thermal_observe(&th, "flat", 2.0 * i, 70 + (i % 2));
		b = ag_thermal_observe(&th, "cool", 2.0 * i,
		    curve(2.0 * i, 88, 50, 30));
	}
	assert_false(a->flagged);
	assert_false(b->flagged);
	assert_true(b->predicted_c < 60);
	/* NaN is ignored, a repeated instant adds nothing. */
	assert_int_equal(ag_thermal_observe(&th, "flat", 100, NAN)->n, 32);
}

static void
hysteresis(void **state)
{
	struct ag_thermal		 th;
	struct ag_thermal_track		*tr = NULL;
	double				 now = 0;
	int				 i;

	(void)state;
	ag_thermal_init(&th, 60, 90);
	/* Hot and steady at 86 C: over the 85 C pause point. */
	for (i = 0; i < 10; i++, now += 2)
		tr = ag_thermal_observe(&th, "d", now, 86);
	assert_true(tr->flagged);
	/* Down to 80: below pause, above resume (75): still flagged. */
	for (i = 0; i < 32; i++, now += 2)
		tr = ag_thermal_observe(&th, "d", now, 80);
	assert_true(tr->flagged);
	/* At 74 and steady: cleared. */
	for (i = 0; i < 32; i++, now += 2)
		tr = ag_thermal_observe(&th, "d", now, 74);
	assert_false(tr->flagged);
}

static void
table_full(void **state)
{
	struct ag_thermal	th;
	char			id[16];
	int			i;

	(void)state;
	ag_thermal_init(&th, 300, 90);
	for (i = 0; i < AG_THERMAL_DEVICES; i++) {
		(void)snprintf(id, sizeof id, "d%d", i);
		assert_non_null(ag_thermal_observe(&th, id, 0, 50));
	}
	assert_null(ag_thermal_observe(&th, "one-too-many", 0, 50));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fits_rc_curve),
		cmocka_unit_test(flags_before_the_crossing),
		cmocka_unit_test(flat_and_cooling_not_flagged),
		cmocka_unit_test(hysteresis),
		cmocka_unit_test(table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
