/*
 * ag_events.h - the node's event log: the last AG_EVENTS_MAX things that
 * happened (alerts raised and cleared, leader changes, members joining,
 * failing and leaving, placements made, re-planned and released).
 *
 * A fixed ring, so memory is bounded whatever happens: the oldest event
 * makes room for the newest.  Every event gets a sequence number from a
 * counter that only grows, so a reader polls with "what came after N"
 * and learns from the gap when it has fallen behind and lost some.  The
 * module is pure (the caller passes the time and does the logging).
 */
#ifndef AG_EVENTS_H
#define AG_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define AG_EVENTS_MAX		512
#define AG_EVENT_KIND_MAX	32
#define AG_EVENT_OBJECT_MAX	128
#define AG_EVENT_MESSAGE_MAX	256

enum ag_event_level {
	AG_EVENT_INFO,
	AG_EVENT_WARNING,
	AG_EVENT_CRITICAL,
};

struct ag_event {
	uint64_t		seq;		/* 1, 2, … */
	double			time;		/* Unix seconds */
	enum ag_event_level	level;
	char			kind[AG_EVENT_KIND_MAX];
	char			object[AG_EVENT_OBJECT_MAX];
	char			message[AG_EVENT_MESSAGE_MAX];
};

struct ag_events {
	struct ag_event		ring[AG_EVENTS_MAX];
	size_t			head;		/* index of the oldest */
	size_t			n;
	uint64_t		last_seq;	/* 0: none yet */
};

void		 ag_events_init(struct ag_events *);
/* Appends (strings are truncated to fit); returns the stored event. */
const struct ag_event *ag_events_add(struct ag_events *, double time,
		    enum ag_event_level, const char *kind, const char *object,
		    const char *fmt, ...)
		    __attribute__((format(printf, 6, 7)));
/* Events with seq > since, oldest first, at most max; returns the count. */
size_t		 ag_events_since(const struct ag_events *, uint64_t since,
		    const struct ag_event **out, size_t max);
/* How many events after since are no longer held (overwritten). */
uint64_t	 ag_events_missed(const struct ag_events *, uint64_t since);
const char	*ag_event_level_name(enum ag_event_level);

#endif /* AG_EVENTS_H */
