/*
 * disc_poll.h - Avahi's AvahiPoll vtable on a libevent event_base.
 *
 * The Avahi client library does not run its own loop: it asks its host
 * for file-descriptor watches and timeouts through an AvahiPoll vtable.
 * Debian packages adapters for glib and for Avahi's own "simple poll",
 * not for libevent, so this is ours.  One disc_poll serves any number of
 * Avahi clients on one event_base; it keeps every watch and timeout on a
 * list so that disc_poll_free can release what a caller leaked, and so
 * tests can count what is live.
 *
 * Semantics (from avahi-common/watch.h):
 *   - watches fire while their fd has the asked-for events; the callback
 *     may update or free the watch (and others);
 *   - timeouts take an ABSOLUTE gettimeofday() time (NULL = disabled),
 *     fire once, and may be re-armed with timeout_update from inside
 *     their own callback or freed there.
 * Single-threaded: call everything from the event_base's thread.
 */
#ifndef DISC_POLL_H
#define DISC_POLL_H

#include <avahi-common/watch.h>

struct event_base;
struct disc_poll;

/* NULL on allocation failure. */
struct disc_poll	*disc_poll_new(struct event_base *);
/* The vtable to hand to avahi_client_new; lives as long as the poll. */
const AvahiPoll		*disc_poll_api(struct disc_poll *);
/* Live watches and timeouts (for tests and leak checks). */
unsigned		 disc_poll_nwatches(const struct disc_poll *);
unsigned		 disc_poll_ntimeouts(const struct disc_poll *);
/* Frees any watch or timeout still live; NULL is a no-op. */
void			 disc_poll_free(struct disc_poll *);

#endif /* DISC_POLL_H */
