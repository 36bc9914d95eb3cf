/*
 * ag_alert.h - threshold alerts with hysteresis and hold times.
 *
 * A rule names a metric and two thresholds: "raise" and, on the safe side
 * of it, "clear".  An alert raises when the value reaches raise and has
 * stayed there for the rule's hold time; it clears only once the value is
 * back at or past clear.  A value wandering between the two changes
 * nothing, so a reading that oscillates around one threshold raises once
 * and never flaps.  Alerts are keyed by (rule, object): the object is a
 * device ("NODEID/DEVICEID"), a peer id or the node itself.
 *
 * The engine is pure - no clock, no I/O: the caller passes the time (any
 * clock, as long as it is always the same one) with each observation and
 * gets the transitions through a callback, to log and record as it likes.
 * Observations come in rounds: ag_alert_begin() starts one, ag_alert_sweep()
 * ends it by clearing the alerts whose objects were not observed in it (a
 * device unplugged, a peer gone, a reading that became unknown).
 *
 * The table is bounded (cap entries, pending and active together).  When it
 * is full a new condition is not tracked: existing alerts are kept (dropping
 * a true alert to make room would make it flap), the refusal is counted
 * (ag_alert_dropped) and, since observations repeat every round, the
 * condition is picked up as soon as a slot frees.
 */
#ifndef AG_ALERT_H
#define AG_ALERT_H

#include <stddef.h>
#include <stdint.h>

#define AG_ALERT_OBJECT_MAX	128	/* with the NUL */
#define AG_ALERT_CAP		256	/* the agent's table size */

enum ag_alert_level {
	AG_ALERT_WARNING,
	AG_ALERT_CRITICAL,
};

struct ag_alert_rule {
	const char		*name;		/* "temperature", … */
	int			 below;		/* 1: low values are bad */
	double			 raise;		/* >= (below: <=) raises */
	double			 clear;		/* <= (below: >=) clears */
	double			 hold_s;	/* condition must last this long */
	enum ag_alert_level	 level;
};

/* One tracked (rule, object): raised, or waiting out its hold time. */
struct ag_alert {
	size_t			 rule;		/* index in the rule table */
	const char		*name;		/* the rule's name */
	enum ag_alert_level	 level;
	char			 object[AG_ALERT_OBJECT_MAX];
	double			 value;		/* last observation */
	double			 threshold;	/* the rule's raise threshold */
	double			 clear;		/* and its clear threshold */
	double			 since;		/* raised at (caller's clock) */
	double			 pending_since;	/* condition first held at */
	int			 active;	/* 0: still in its hold time */
	int			 seen;		/* observed this round */
};

enum ag_alert_change {
	AG_ALERT_RAISED,
	AG_ALERT_CLEARED,	/* the value is back past clear */
	AG_ALERT_GONE,		/* the object was not observed in a round */
};

/* The alert is valid only during the call. */
typedef void	(*ag_alert_fn)(const struct ag_alert *, enum ag_alert_change,
		    void *arg);

struct ag_alert_set;

/* 0, or -1 with err naming what is wrong with the rule. */
int		 ag_alert_rule_check(const struct ag_alert_rule *, char *err,
		    size_t errlen);
/* rules are copied; NULL with err on a bad rule or no memory. */
struct ag_alert_set *ag_alert_set_new(const struct ag_alert_rule *,
		    size_t nrules, size_t cap, char *err, size_t errlen);
void		 ag_alert_set_free(struct ag_alert_set *);

void		 ag_alert_begin(struct ag_alert_set *);
/*
 * One reading of rule for object at time now.  A value that is not finite
 * is ignored (the object then counts as unobserved for this round).
 * Unknown rules and empty or over-long objects are ignored too.
 */
void		 ag_alert_observe(struct ag_alert_set *, size_t rule,
		    const char *object, double value, double now, ag_alert_fn,
		    void *arg);
/* No new reading, but the object is still there: keep its state. */
void		 ag_alert_touch(struct ag_alert_set *, size_t rule,
		    const char *object);
/* Ends the round: what was not observed or touched clears (GONE). */
void		 ag_alert_sweep(struct ag_alert_set *, ag_alert_fn, void *arg);

/* Raised alerts into out[0..max) in the order they were first tracked;
 * returns the count.  The pointers stay valid until the next call in. */
size_t		 ag_alert_active(const struct ag_alert_set *,
		    const struct ag_alert **out, size_t max);
/* Conditions refused because the table was full: in total, this round. */
uint64_t	 ag_alert_dropped(const struct ag_alert_set *);
size_t		 ag_alert_dropped_round(const struct ag_alert_set *);

#endif /* AG_ALERT_H */
