/*
 * test_alert.c - the alert engine (agent/ag_alert.c) and the alert keys of
 * the agent's config (agent/ag_config.c): hysteresis (a value oscillating
 * around the raise threshold raises once; only a value past clear clears),
 * low-is-bad rules, hold times, the sweep of objects no longer observed,
 * the table cap, and clear/raise ordering refused with a clear error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ag_alert.h"
#include "ag_config.h"

enum { TEMP, BATTERY, LOSS };

static const struct ag_alert_rule rules[] = {
	[TEMP] = { "temperature", 0, 85, 80, 0, AG_ALERT_WARNING },
	[BATTERY] = { "battery", 1, 0.15, 0.20, 0, AG_ALERT_WARNING },
	[LOSS] = { "link_loss", 0, 0.05, 0.01, 5, AG_ALERT_CRITICAL },
};

struct log {
	int	raised, cleared, gone;
	char	last[AG_ALERT_OBJECT_MAX];
	double	value;
};

static void
on_change(const struct ag_alert *a, enum ag_alert_change ch, void *arg)
{
	struct log	*l = arg;

	if (ch == AG_ALERT_RAISED)
		l->raised++;
	else if (ch == AG_ALERT_CLEARED)
		l->cleared++;
	else
		l->gone++;
	(void)snprintf(l->last, sizeof l->last, "%s", a->object);
	l->value = a->value;
}

static struct ag_alert_set *
new_set(size_t cap)
{
	char			 err[128];
	struct ag_alert_set	*s;

	s = ag_alert_set_new(rules, sizeof rules / sizeof rules[0], cap, err,
	    sizeof err);
	if (s == NULL)
		fail_msg("%s", err);
	return s;
}

static size_t
nactive(struct ag_alert_set *s)
{
	const struct ag_alert	*a[8];

	return ag_alert_active(s, a, 8);
}

static void
obs(struct ag_alert_set *s, size_t rule, const char *obj, double v,
    double now, struct log *l)
{
	ag_alert_begin(s);
	ag_alert_observe(s, rule, obj, v, now, on_change, l);
	ag_alert_sweep(s, on_change, l);
}

static void
test_oscillation_raises_once(void **state)
{
	struct ag_alert_set	*s = new_set(16);
	struct log		 l = { 0 };
	const struct ag_alert	*a[4];
	int			 i;

	obs(s, TEMP, "n/gpu0", 84.9, 0, &l);
	assert_int_equal(l.raised, 0);
	assert_int_equal(nactive(s), 0);
	/* 84.5, 85.5, 84.5 …: around raise, never down to clear. */
	for (i = 0; i < 20; i++)
		obs(s, TEMP, "n/gpu0", i % 2 ? 84.5 : 85.5, i + 1, &l);
	assert_int_equal(l.raised, 1);
	assert_int_equal(l.cleared, 0);
	assert_int_equal(ag_alert_active(s, a, 4), 1);
	assert_string_equal(a[0]->object, "n/gpu0");
	assert_string_equal(a[0]->name, "temperature");
	assert_true(a[0]->threshold == 85);
	assert_true(a[0]->since == 1);		/* the first 85.5 */
	assert_true(a[0]->value == 84.5);	/* the last reading */
	/* Between clear and raise: still active. */
	obs(s, TEMP, "n/gpu0", 80.1, 30, &l);
	assert_int_equal(nactive(s), 1);
	assert_int_equal(l.cleared, 0);
	/* At clear: cleared, once. */
	obs(s, TEMP, "n/gpu0", 80, 31, &l);
	assert_int_equal(l.cleared, 1);
	assert_true(l.value == 80);
	assert_int_equal(nactive(s), 0);
	obs(s, TEMP, "n/gpu0", 79, 32, &l);
	assert_int_equal(l.cleared, 1);
	/* And raising again takes reaching raise again. */
	obs(s, TEMP, "n/gpu0", 84.99, 33, &l);
	assert_int_equal(l.raised, 1);
	obs(s, TEMP, "n/gpu0", 85, 34, &l);
	assert_int_equal(l.raised, 2);
	ag_alert_set_free(s);
}

static void
test_below_rule(void **state)
{
	struct ag_alert_set	*s = new_set(16);
	struct log		 l = { 0 };

	obs(s, BATTERY, "n", 0.16, 0, &l);
	assert_int_equal(l.raised, 0);
	obs(s, BATTERY, "n", 0.15, 1, &l);
	assert_int_equal(l.raised, 1);
	obs(s, BATTERY, "n", 0.19, 2, &l);	/* between: still low */
	obs(s, BATTERY, "n", 0.14, 3, &l);
	obs(s, BATTERY, "n", 0.199, 4, &l);
	assert_int_equal(l.raised, 1);
	assert_int_equal(l.cleared, 0);
	obs(s, BATTERY, "n", 0.20, 5, &l);
	assert_int_equal(l.cleared, 1);
	ag_alert_set_free(s);
}

static void
test_hold_time(void **state)
{
	struct ag_alert_set	*s = new_set(16);
	struct log		 l = { 0 };

	/* Over for 4 s, then a dip: the hold starts over. */
	obs(s, LOSS, "peer", 0.06, 10, &l);
	obs(s, LOSS, "peer", 0.07, 12, &l);
	obs(s, LOSS, "peer", 0.09, 14, &l);
	assert_int_equal(l.raised, 0);
	assert_int_equal(nactive(s), 0);
	obs(s, LOSS, "peer", 0.04, 15, &l);	/* under raise: reset */
	obs(s, LOSS, "peer", 0.06, 16, &l);
	obs(s, LOSS, "peer", 0.06, 20.9, &l);
	assert_int_equal(l.raised, 0);
	obs(s, LOSS, "peer", 0.06, 21, &l);	/* 5 s since 16 */
	assert_int_equal(l.raised, 1);
	/* Touching keeps a pending or raised entry through a quiet round. */
	ag_alert_begin(s);
	ag_alert_touch(s, LOSS, "peer");
	ag_alert_sweep(s, on_change, &l);
	assert_int_equal(nactive(s), 1);
	assert_int_equal(l.gone, 0);
	obs(s, LOSS, "peer", 0.01, 22, &l);
	assert_int_equal(l.cleared, 1);
	ag_alert_set_free(s);
}

static void
test_sweep_and_unknown(void **state)
{
	struct ag_alert_set	*s = new_set(16);
	struct log		 l = { 0 };

	ag_alert_begin(s);
	ag_alert_observe(s, TEMP, "n/a", 90, 0, on_change, &l);
	ag_alert_observe(s, TEMP, "n/b", 91, 0, on_change, &l);
	ag_alert_observe(s, LOSS, "p", 0.5, 0, on_change, &l); /* pending */
	ag_alert_sweep(s, on_change, &l);
	assert_int_equal(l.raised, 2);
	/* Next round: b unplugged, a's reading unknown, p gone quietly. */
	ag_alert_begin(s);
	ag_alert_observe(s, TEMP, "n/a", NAN, 1, on_change, &l);
	ag_alert_sweep(s, on_change, &l);
	assert_int_equal(l.gone, 2);
	assert_int_equal(l.cleared, 0);
	assert_int_equal(nactive(s), 0);
	/* The pending one left no trace: it needs its full hold again. */
	obs(s, LOSS, "p", 0.5, 2, &l);
	obs(s, LOSS, "p", 0.5, 6, &l);
	assert_int_equal(l.raised, 2);
	/* Bad input is ignored. */
	obs(s, 99, "x", 100, 0, &l);
	obs(s, TEMP, "", 100, 0, &l);
	obs(s, TEMP, NULL, 100, 0, &l);
	assert_int_equal(l.raised, 2);
	ag_alert_set_free(s);
}

static void
test_cap(void **state)
{
	struct ag_alert_set	*s = new_set(3);
	struct log		 l = { 0 };
	const char		*objs[] = { "a", "b", "c", "d", "e" };
	int			 round, i;

	for (round = 0; round < 2; round++) {
		ag_alert_begin(s);
		for (i = 0; i < 5; i++)
			ag_alert_observe(s, TEMP, objs[i], 90, round,
			    on_change, &l);
		/* Readings under raise for untracked objects take no slot. */
		ag_alert_observe(s, TEMP, "cool", 20, round, on_change, &l);
		ag_alert_sweep(s, on_change, &l);
		assert_int_equal(ag_alert_dropped_round(s), 2);
	}
	assert_int_equal(l.raised, 3);	/* the first three, kept */
	assert_int_equal(nactive(s), 3);
	assert_int_equal(ag_alert_dropped(s), 4);
	/* One clears: the next round picks up a waiting condition. */
	ag_alert_begin(s);
	ag_alert_observe(s, TEMP, "a", 70, 3, on_change, &l);
	for (i = 1; i < 5; i++)
		ag_alert_observe(s, TEMP, objs[i], 90, 3, on_change, &l);
	ag_alert_sweep(s, on_change, &l);
	assert_int_equal(l.cleared, 1);
	assert_int_equal(l.raised, 4);
	assert_string_equal(l.last, "d");
	assert_int_equal(ag_alert_dropped_round(s), 1);	/* e */
	ag_alert_set_free(s);
}

static void
test_bad_rules(void **state)
{
	struct ag_alert_rule	r = { "temperature", 0, 85, 85, 0,
				    AG_ALERT_WARNING };
	char			err[160];

	assert_int_equal(ag_alert_rule_check(&r, err, sizeof err), -1);
	assert_non_null(strstr(err, "must be below"));
	r.clear = 80;
	assert_int_equal(ag_alert_rule_check(&r, err, sizeof err), 0);
	r.below = 1;
	assert_int_equal(ag_alert_rule_check(&r, err, sizeof err), -1);
	assert_non_null(strstr(err, "must be above"));
	r.below = 0;
	r.hold_s = -1;
	assert_int_equal(ag_alert_rule_check(&r, err, sizeof err), -1);
	r.hold_s = 0;
	r.raise = NAN;
	assert_int_equal(ag_alert_rule_check(&r, err, sizeof err), -1);
	assert_null(ag_alert_set_new(&r, 1, 8, err, sizeof err));
	r.raise = 85;
	assert_null(ag_alert_set_new(&r, 1, 0, err, sizeof err));
}

static void
expect_config(const char *text, const char *needle)
{
	struct ag_config	c;
	char			err[256];

	ag_config_defaults(&c);
	if (ag_config_parse(&c, text, strlen(text), err, sizeof err) == 0 &&
	    ag_config_check(&c, err, sizeof err) == 0)
		fail_msg("'%s' was accepted", text);
	if (strstr(err, needle) == NULL)
		fail_msg("'%s' lacks '%s'", err, needle);
}

static void
test_config_keys(void **state)
{
	struct ag_config	c;
	char			err[256];
	const char		*text =
	    "alert-temp-celsius = 90\n"
	    "alert-temp-clear-celsius = 82.5\n"
	    "alert-memory-ratio = 0.9\n"
	    "alert-memory-clear-ratio = 0.8\n"
	    "alert-battery-ratio = 0.1\n"
	    "alert-battery-clear-ratio = 0.3\n"
	    "alert-link-loss-ratio = 0.1\n"
	    "alert-link-loss-clear-ratio = 0.02\n"
	    "alert-link-loss-hold = 10\n"
	    "alert-quorum-hold = 0\n";

	ag_config_defaults(&c);
	assert_int_equal(ag_config_check(&c, err, sizeof err), 0);
	assert_true(c.alert_temp_c == 85 && c.alert_temp_clear_c == 80);
	assert_true(c.alert_memory == 0.95 && c.alert_memory_clear == 0.90);
	assert_true(c.alert_battery == 0.15 && c.alert_battery_clear == 0.20);
	assert_true(c.alert_loss == 0.05 && c.alert_loss_clear == 0.01);
	assert_int_equal(c.alert_loss_hold_s, 5);
	assert_int_equal(c.alert_quorum_hold_s, 3);
	assert_int_equal(ag_config_parse(&c, text, strlen(text), err,
	    sizeof err), 0);
	assert_int_equal(ag_config_check(&c, err, sizeof err), 0);
	assert_true(c.alert_temp_clear_c == 82.5);
	assert_true(c.alert_battery_clear == 0.3);
	assert_int_equal(c.alert_loss_hold_s, 10);
	assert_int_equal(c.alert_quorum_hold_s, 0);

	expect_config("alert-temp-clear-celsius = 90\n",
	    "alert-temp-clear-celsius (90) must be below alert-temp-celsius "
	    "(85)");
	expect_config("alert-temp-celsius = 80\n", "must be below");
	expect_config("alert-memory-clear-ratio = 0.95\n",
	    "alert-memory-clear-ratio (0.95) must be below");
	expect_config("alert-battery-clear-ratio = 0.1\n",
	    "alert-battery-clear-ratio (0.1) must be above "
	    "alert-battery-ratio (0.15)");
	expect_config("alert-link-loss-clear-ratio = 0.05\n", "must be below");
	expect_config("alert-memory-ratio = 1.5\n", "not a number in 0..1");
	expect_config("alert-temp-celsius = hot\n", "not a number");
	expect_config("alert-temp-celsius = nan\n", "not a number");
	expect_config("alert-temp-celsius = 85x\n", "not a number");
	expect_config("alert-link-loss-hold = -1\n", "not an integer");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oscillation_raises_once),
		cmocka_unit_test(test_below_rule),
		cmocka_unit_test(test_hold_time),
		cmocka_unit_test(test_sweep_and_unknown),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
