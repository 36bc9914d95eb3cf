/*
 * ag_events.c - the bounded event ring; see ag_events.h.
 *
 * Sequence numbers in the ring are consecutive (oldest = last_seq - n + 1),
 * so finding "after N" is arithmetic, not a search.
 */
#include "ag_events.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
ag_events_init(struct ag_events *e)
{
	memset(e, 0, sizeof *e);
}

const struct ag_event *
ag_events_add(struct ag_events *e, double time, enum ag_event_level level,
    const char *kind, const char *object, const char *fmt, ...)
{
	struct ag_event	*ev;
	va_list		 ap;

	if (e->n < AG_EVENTS_MAX)
		ev = &e->ring[(e->head + e->n++) % AG_EVENTS_MAX];
	else {
		ev = &e->ring[e->head];
		e->head = (e->head + 1) % AG_EVENTS_MAX;
	}
	ev->seq = ++e->last_seq;
	ev->time = time;
	ev->level = level;
	(void)snprintf(ev->kind, sizeof ev->kind, "%s", kind);
	(void)snprintf(ev->object, sizeof ev->object, "%s",
	    object != NULL ? object : "");
	va_start(ap, fmt);
	(void)vsnprintf(ev->message, sizeof ev->message, fmt, ap);
	va_end(ap);
	return ev;
}

static uint64_t
oldest_seq(const struct ag_events *e)
{
	return e->last_seq - e->n + 1;
}

size_t
ag_events_since(const struct ag_events *e, uint64_t since,
    const struct ag_event **out, size_t max)
{
	uint64_t	first;
	size_t		i, k;

	if (e->n == 0 || since >= e->last_seq)
		return 0;
	first = since < oldest_seq(e) ? 0 : since - oldest_seq(e) + 1;
	for (k = 0, i = (size_t)first; i < e->n && k < max; i++)
		out[k++] = &e->ring[(e->head + i) % AG_EVENTS_MAX];
	return k;
}

uint64_t
ag_events_missed(const struct ag_events *e, uint64_t since)
{
	if (e->n == 0 || since >= oldest_seq(e) - 1)
		return 0;
	return oldest_seq(e) - 1 - since;
}

const char *
ag_event_level_name(enum ag_event_level l)
{
	switch (l) {
	case AG_EVENT_INFO:
		return "info";
	case AG_EVENT_WARNING:
		return "warning";
	case AG_EVENT_CRITICAL:
		return "critical";
	}
	return "info";
}
