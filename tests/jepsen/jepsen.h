/*
 * jepsen.h - the history checker of the Jepsen-style cluster test
 * (tests/jepsen/run.sh): what a recorded history is, and the properties
 * checked over it.
 *
 * A history is JSON lines written by the test's clients and status
 * poller, one operation event a line:
 *	{"t": SECONDS, "proc": P, "type": "invoke"|"ok"|"fail"|"info",
 *	 "f": "place"|"release"|"list"|"status", "node": K,
 *	 "value": ..., "http": CODE, "final": true}
 * A process P has at most one operation in flight: its invoke line is
 * followed by the completion (ok: it happened, fail: it did not, info:
 * unknown) of the same f.  "value" is the request on invoke (place:
 * {"model"}, release: {"id"}) and the agent's answer on completion
 * (place: {id, index, model, stages}, release: {released, index},
 * list: {applied_index, placements}, status: /v1/status).  Status
 * samples may be a lone "ok" line.  "http" is the answer's status code
 * (404 on a release: unknown id); "final" marks the lists taken after
 * the run, when every node must have caught up.  An invoke left without
 * a completion (a client stopped mid-call) counts as info.
 *
 * Times are the client's wall clock: an invoke is stamped before the
 * request is sent, a completion after the answer arrived, so "A
 * completed before B was invoked" read from the stamps is true of the
 * real calls.  Lists answer from the node's applied log, which may lag:
 * a list proves a placement absent (or a release undone) only when its
 * applied_index reaches the index the acknowledgement carried.
 *
 * Everything read is bounded (line length, lines, placements per list,
 * stages per placement, devices); tests/fuzz/fuzz_jepsen.c feeds it
 * arbitrary bytes.  The checker is a library so the unit test
 * (tests/unit/test_jepsen_check.c) drives it with synthetic histories.
 */
#ifndef JEPSEN_H
#define JEPSEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JEP_MAX_LINE		(1u << 20)	/* bytes in one history line */
#define JEP_MAX_LINES		4000000u	/* lines in all files */
#define JEP_MAX_LIST		4096	/* placements in one list */
#define JEP_MAX_STAGES		64	/* stages in one placement */
#define JEP_MAX_DEVICES		65536	/* capacities */
#define JEP_MAX_PROCS		1024	/* distinct client processes */
#define JEP_MAX_FILES		256	/* history files */

enum jep_kind {
	JEP_TWO_LEADERS,	/* two nodes leader in one term of a cluster */
	JEP_LOST,		/* acknowledged placement missing, unreleased */
	JEP_RESURRECTED,	/* released placement listed again */
	JEP_DUP_ID,		/* one id from two places, or two models */
	JEP_OVERBOOKED,		/* a device's bookings above its capacity */
	JEP_LOG_ORDER,		/* one index for two commands, ids out of order */
	JEP_FAILED_APPLIED,	/* a place answered "fail" took effect */
	JEP_RELEASE_404,	/* release of a live placement: unknown id */
	JEP_FINAL,		/* a node never caught up after the run */
	JEP_NKINDS
};

struct jep;

struct jep_figures {
	size_t	lines;
	size_t	ops[4][4];	/* [f][type]: f place, release, list, status */
	size_t	placed;		/* acknowledged places */
	size_t	released;	/* acknowledged releases */
	size_t	live;		/* acknowledged, never asked to be released */
	size_t	leader_terms;	/* (cluster, term) pairs with a leader */
	double	leaderless_s;	/* longest time no sample named a leader */
	double	leaderless_at;	/* when that window began (history time) */
	uint64_t max_index;	/* highest index acknowledged */
	size_t	anomalies[JEP_NKINDS];
};

struct jep	*jep_new(void);
void		 jep_free(struct jep *);

/*
 * Device capacities: one JSON object {"NODE/DEVICE": bytes, ...}.
 * Load before the histories (lists are checked as they are read).
 */
int	jep_caps(struct jep *, const char *buf, size_t len, char *err,
	    size_t errlen);

/*
 * One history line (without its newline; an empty line is skipped);
 * name and lineno are for messages.  -1 with err on a malformed line.
 */
int	jep_line(struct jep *, const char *line, size_t len, const char *name,
	    size_t lineno, char *err, size_t errlen);
/* Every line of buf, as jep_line. */
int	jep_feed(struct jep *, const char *buf, size_t len, const char *name,
	    char *err, size_t errlen);

/*
 * The leaderless window is measured only up to history time t (the end
 * of the faults: a test that then stops every node on purpose does not
 * want that counted).  Checks are not affected.
 */
void	jep_until(struct jep *, double t);
/* Runs every check once all lines are in; returns the anomalies found. */
size_t	jep_check(struct jep *);
void	jep_figures(const struct jep *, struct jep_figures *);
const char *jep_kind_name(enum jep_kind);
/* The summary and every anomaly (the first few of each kind in full). */
void	jep_report(const struct jep *, FILE *);

#endif /* JEPSEN_H */
