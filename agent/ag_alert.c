/*
 * ag_alert.c - the alert engine; see ag_alert.h.
 *
 * One flat table, kept in the order entries were first tracked (removal
 * shifts the tail down, so listings are stable); a lookup is a linear scan,
 * which at a few hundred entries and a few dozen readings a second costs
 * nothing and needs no hashing of caller-supplied strings.
 */
#include "ag_alert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ag_alert_set {
	struct ag_alert_rule	*rules;
	size_t			 nrules;
	struct ag_alert		*a;
	size_t			 n, cap;
	uint64_t		 dropped;
	size_t			 dropped_round;
};

int
ag_alert_rule_check(const struct ag_alert_rule *r, char *err, size_t errlen)
{
	const char	*name = r->name != NULL ? r->name : "(unnamed)";

	if (r->name == NULL || r->name[0] == '\0') {
		(void)snprintf(err, errlen, "alert rule without a name");
		return -1;
	}
	if (!isfinite(r->raise) || !isfinite(r->clear) || !isfinite(r->hold_s)
	    || r->hold_s < 0) {
		(void)snprintf(err, errlen, "alert rule %s: thresholds and "
		    "hold time must be finite (hold >= 0)", name);
		return -1;
	}
	if (!r->below && !(r->clear < r->raise)) {
		(void)snprintf(err, errlen, "alert rule %s: clear (%g) must be "
		    "below raise (%g)", name, r->clear, r->raise);
		return -1;
	}
	if (r->below && !(r->clear > r->raise)) {
		(void)snprintf(err, errlen, "alert rule %s: clear (%g) must be "
		    "above raise (%g)", name, r->clear, r->raise);
		return -1;
	}
	return 0;
}

struct ag_alert_set *
ag_alert_set_new(const struct ag_alert_rule *rules, size_t nrules, size_t cap,
    char *err, size_t errlen)
{
	struct ag_alert_set	*s;
	size_t			 i;

	for (i = 0; i < nrules; i++)
		if (ag_alert_rule_check(&rules[i], err, errlen) != 0)
			return NULL;
	if (nrules == 0 || cap == 0) {
		(void)snprintf(err, errlen, "alert set without rules or room");
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->rules = calloc(nrules, sizeof *s->rules)) == NULL ||
	    (s->a = calloc(cap, sizeof *s->a)) == NULL) {
		ag_alert_set_free(s);
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(s->rules, rules, nrules * sizeof *rules);
	s->nrules = nrules;
	s->cap = cap;
	return s;
}

void
ag_alert_set_free(struct ag_alert_set *s)
{
	if (s == NULL)
		return;
	free(s->rules);
	free(s->a);
	free(s);
}

void
ag_alert_begin(struct ag_alert_set *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		s->a[i].seen = 0;
	s->dropped_round = 0;
}

static struct ag_alert *
find(struct ag_alert_set *s, size_t rule, const char *object)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (s->a[i].rule == rule && strcmp(s->a[i].object, object) == 0)
			return &s->a[i];
	return NULL;
}

static void
drop(struct ag_alert_set *s, struct ag_alert *e)
{
	size_t	i = (size_t)(e - s->a);

	memmove(&s->a[i], &s->a[i + 1], (s->n - i - 1) * sizeof *e);
	s->n--;
}

static int
object_ok(const char *object)
{
	return object != NULL && object[0] != '\0' &&
	    memchr(object, '\0', AG_ALERT_OBJECT_MAX) != NULL;
}

static int
holds(const struct ag_alert_rule *r, double v)
{
	return r->below ? v <= r->raise : v >= r->raise;
}

static int
cleared(const struct ag_alert_rule *r, double v)
{
	return r->below ? v >= r->clear : v <= r->clear;
}

static struct ag_alert *
track(struct ag_alert_set *s, size_t rule, const char *object, double now)
{
	struct ag_alert	*e;

	if (s->n == s->cap) {
		s->dropped++;
		s->dropped_round++;
		return NULL;
	}
	e = &s->a[s->n++];
	memset(e, 0, sizeof *e);
	e->rule = rule;
	e->name = s->rules[rule].name;
	e->level = s->rules[rule].level;
	(void)snprintf(e->object, sizeof e->object, "%s", object);
	e->threshold = s->rules[rule].raise;
	e->clear = s->rules[rule].clear;
	e->pending_since = now;
	e->since = NAN;
	return e;
}

void
ag_alert_observe(struct ag_alert_set *s, size_t rule, const char *object,
    double value, double now, ag_alert_fn fn, void *arg)
{
	const struct ag_alert_rule	*r;
	struct ag_alert			*e;

	if (rule >= s->nrules || !isfinite(value) || !object_ok(object))
		return;
	r = &s->rules[rule];
	if ((e = find(s, rule, object)) == NULL) {
		if (!holds(r, value) ||
		    (e = track(s, rule, object, now)) == NULL)
			return;
	}
	e->seen = 1;
	e->value = value;
	if (e->active) {
		if (cleared(r, value)) {
			fn(e, AG_ALERT_CLEARED, arg);
			drop(s, e);
		}
		return;
	}
	if (!holds(r, value)) {
		drop(s, e);		/* it did not last its hold time */
		return;
	}
	if (now - e->pending_since >= r->hold_s) {
		e->active = 1;
		e->since = now;
		fn(e, AG_ALERT_RAISED, arg);
	}
}

void
ag_alert_touch(struct ag_alert_set *s, size_t rule, const char *object)
{
	struct ag_alert	*e;

	if (rule < s->nrules && object_ok(object) &&
	    (e = find(s, rule, object)) != NULL)
		e->seen = 1;
}

void
ag_alert_sweep(struct ag_alert_set *s, ag_alert_fn fn, void *arg)
{
	size_t	i = 0;

	while (i < s->n) {
		struct ag_alert *e = &s->a[i];

		if (e->seen) {
			i++;
			continue;
		}
		if (e->active)
			fn(e, AG_ALERT_GONE, arg);
		drop(s, e);
	}
}

size_t
ag_alert_active(const struct ag_alert_set *s, const struct ag_alert **out,
    size_t max)
{
	size_t	i, k = 0;

	for (i = 0; i < s->n && k < max; i++)
		if (s->a[i].active)
			out[k++] = &s->a[i];
	return k;
}

uint64_t
ag_alert_dropped(const struct ag_alert_set *s)
{
	return s->dropped;
}

size_t
ag_alert_dropped_round(const struct ag_alert_set *s)
{
	return s->dropped_round;
}
