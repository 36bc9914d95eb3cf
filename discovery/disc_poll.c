/*
 * disc_poll.c - the AvahiPoll vtable implemented with libevent events.
 *
 * Each AvahiWatch owns one persistent libevent event on its fd; changing
 * the wanted events re-assigns it.  Each AvahiTimeout owns one libevent
 * timer; Avahi hands us absolute wall-clock times, libevent wants a
 * relative delay, so the delay is computed against gettimeofday() when
 * the timer is armed (a time already past fires on the next loop turn).
 *
 * Avahi may free a watch or timeout from inside its own callback.  The
 * trampoline therefore marks the object as "in callback"; a free during
 * that window only disarms and unlinks it, and the trampoline releases
 * the memory once the callback has returned.  Objects are kept on one
 * doubly linked list per kind so disc_poll_free can release leftovers.
 */
#include "disc_poll.h"

#include <event2/event.h>

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

struct AvahiWatch {
	struct disc_poll	*p;
	struct event		*ev;
	int			 fd;
	AvahiWatchEvent		 want;
	AvahiWatchEvent		 got;	/* valid during the callback */
	AvahiWatchCallback	 cb;
	void			*ud;
	int			 in_cb;
	int			 dead;
	struct AvahiWatch	*prev, *next;
};

struct AvahiTimeout {
	struct disc_poll	*p;
	struct event		*ev;
	AvahiTimeoutCallback	 cb;
	void			*ud;
	int			 in_cb;
	int			 dead;
	struct timeval		 at;	/* absolute (gettimeofday) deadline */
	struct AvahiTimeout	*prev, *next;
};

struct disc_poll {
	AvahiPoll		 api;	/* first: api.userdata points back */
	struct event_base	*base;
	struct AvahiWatch	*watches;
	struct AvahiTimeout	*timeouts;
	unsigned		 nwatches;
	unsigned		 ntimeouts;
};

static short
watch_flags(AvahiWatchEvent e)
{
	short	f = 0;

	if (e & AVAHI_WATCH_IN)
		f |= EV_READ;
	if (e & AVAHI_WATCH_OUT)
		f |= EV_WRITE;
	return f;
}

static void
watch_unlink(struct AvahiWatch *w)
{
	struct disc_poll	*p = w->p;

	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		p->watches = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	p->nwatches--;
}

static void
watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct AvahiWatch	*w = arg;
	AvahiWatchEvent		 got = 0;

	if (what & EV_READ)
		got |= AVAHI_WATCH_IN;
	if (what & EV_WRITE)
		got |= AVAHI_WATCH_OUT;
	got &= w->want;
	if (got == 0)
		return;
	w->got = got;
	w->in_cb = 1;
	w->cb(w, (int)fd, got, w->ud);
	w->in_cb = 0;
	w->got = 0;
	if (w->dead) {
		event_free(w->ev);
		free(w);
	}
}

/*
 * (Re)arms w for its wanted events.  A watch wanting only ERR/HUP has
 * nothing libevent can wait for without also firing on readability; such
 * a watch stays idle (D-Bus always asks for IN along with them).
 */
static int
watch_arm(struct AvahiWatch *w)
{
	short	f = watch_flags(w->want);

	if (event_del(w->ev) != 0)
		return -1;
	if (f == 0)
		return 0;
	if (event_assign(w->ev, w->p->base, w->fd, f | EV_PERSIST, watch_fire,
	    w) != 0)
		return -1;
	return event_add(w->ev, NULL);
}

static AvahiWatch *
watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent e,
    AvahiWatchCallback cb, void *ud)
{
	struct disc_poll	*p = api->userdata;
	struct AvahiWatch	*w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->p = p;
	w->fd = fd;
	w->want = e;
	w->cb = cb;
	w->ud = ud;
	if ((w->ev = event_new(p->base, fd, EV_READ | EV_PERSIST, watch_fire,
	    w)) == NULL) {
		free(w);
		return NULL;
	}
	if (watch_arm(w) != 0) {
		event_free(w->ev);
		free(w);
		return NULL;
	}
	w->next = p->watches;
	if (w->next != NULL)
		w->next->prev = w;
	p->watches = w;
	p->nwatches++;
	return w;
}

static void
watch_update(AvahiWatch *w, AvahiWatchEvent e)
{
	if (w->dead)
		return;
	w->want = e;
	/* Avahi's vtable has no way to report failure; a libevent failure
	 * here means the base itself is broken. */
	(void)watch_arm(w);
}

static AvahiWatchEvent
watch_get_events(AvahiWatch *w)
{
	return w->got;
}

static void
watch_free(AvahiWatch *w)
{
	if (w->dead)
		return;
	watch_unlink(w);
	if (w->in_cb) {
		(void)event_del(w->ev);
		w->dead = 1;
		return;
	}
	event_free(w->ev);
	free(w);
}

static void
timeout_unlink(struct AvahiTimeout *t)
{
	struct disc_poll	*p = t->p;

	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		p->timeouts = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	p->ntimeouts--;
}

static void	timeout_arm(struct AvahiTimeout *, const struct timeval *);

static void
timeout_fire(evutil_socket_t fd, short what, void *arg)
{
	struct AvahiTimeout	*t = arg;
	struct timeval		 now;

	/*
	 * libevent measures the delay on its own (monotonic, cached) clock:
	 * it can fire a little before the wall-clock time Avahi asked for.
	 * Avahi's contract is the absolute time, so wait out the rest.
	 */
	if (gettimeofday(&now, NULL) == 0 && timercmp(&now, &t->at, <)) {
		timeout_arm(t, &t->at);
		return;
	}
	t->in_cb = 1;
	t->cb(t, t->ud);
	t->in_cb = 0;
	if (t->dead) {
		event_free(t->ev);
		free(t);
	}
}

/* Arms t to fire at absolute time tv; NULL disarms. */
static void
timeout_arm(struct AvahiTimeout *t, const struct timeval *tv)
{
	struct timeval	now, d;

	(void)event_del(t->ev);
	if (tv == NULL)
		return;
	t->at = *tv;
	if (gettimeofday(&now, NULL) != 0 || timercmp(tv, &now, <=)) {
		timerclear(&d);
		timerclear(&t->at);	/* due: timeout_fire never waits */
	} else
		timersub(tv, &now, &d);
	(void)event_add(t->ev, &d);
}

static AvahiTimeout *
timeout_new(const AvahiPoll *api, const struct timeval *tv,
    AvahiTimeoutCallback cb, void *ud)
{
	struct disc_poll	*p = api->userdata;
	struct AvahiTimeout	*t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->p = p;
	t->cb = cb;
	t->ud = ud;
	if ((t->ev = evtimer_new(p->base, timeout_fire, t)) == NULL) {
		free(t);
		return NULL;
	}
	timeout_arm(t, tv);
	t->next = p->timeouts;
	if (t->next != NULL)
		t->next->prev = t;
	p->timeouts = t;
	p->ntimeouts++;
	return t;
}

static void
timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	if (t->dead)
		return;
	timeout_arm(t, tv);
}

static void
timeout_free(AvahiTimeout *t)
{
	if (t->dead)
		return;
	timeout_unlink(t);
	if (t->in_cb) {
		(void)event_del(t->ev);
		t->dead = 1;
		return;
	}
	event_free(t->ev);
	free(t);
}

struct disc_poll *
disc_poll_new(struct event_base *base)
{
	struct disc_poll	*p;

	if (base == NULL || (p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->base = base;
	p->api.userdata = p;
	p->api.watch_new = watch_new;
	p->api.watch_update = watch_update;
	p->api.watch_get_events = watch_get_events;
	p->api.watch_free = watch_free;
	p->api.timeout_new = timeout_new;
	p->api.timeout_update = timeout_update;
	p->api.timeout_free = timeout_free;
	return p;
}

const AvahiPoll *
disc_poll_api(struct disc_poll *p)
{
	return &p->api;
}

unsigned
disc_poll_nwatches(const struct disc_poll *p)
{
	return p->nwatches;
}

unsigned
disc_poll_ntimeouts(const struct disc_poll *p)
{
	return p->ntimeouts;
}

void
disc_poll_free(struct disc_poll *p)
{
	if (p == NULL)
		return;
	while (p->watches != NULL)
		watch_free(p->watches);
	while (p->timeouts != NULL)
		timeout_free(p->timeouts);
	free(p);
}
