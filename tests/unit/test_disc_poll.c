/*
 * test_disc_poll.c - the AvahiPoll adapter on libevent
 * (discovery/disc_poll.c), driven the way the Avahi client library
 * drives it: watches on pipes, absolute-time timeouts, updates, and
 * frees from inside callbacks.
 *
 * No Avahi daemon is involved: the test calls the vtable directly, which
 * is all Avahi ever does with it.  Timing checks use generous upper
 * bounds (the machine is shared) but strict lower bounds: a timeout must
 * never fire before its absolute time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>

#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "disc_poll.h"

struct fx {
	struct event_base	*base;
	struct disc_poll	*p;
	const AvahiPoll		*api;
	int			 pfd[2];
};

struct rec {
	const AvahiPoll		*api;
	int			 calls;
	AvahiWatchEvent		 ev;
	AvahiWatchEvent		 got;	/* watch_get_events in the callback */
	int			 fd;
	int			 free_self;
	AvahiWatch		*other;	/* freed from the callback */
	AvahiTimeout		*other_t;
	struct timeval		 at;	/* when it fired */
	int			 rearm_ms;	/* timeout: re-arm once */
};

static int
setup(void **state)
{
	static struct fx	f;

	memset(&f, 0, sizeof f);
	if ((f.base = event_base_new()) == NULL ||
	    (f.p = disc_poll_new(f.base)) == NULL || pipe(f.pfd) != 0)
		return -1;
	f.api = disc_poll_api(f.p);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	disc_poll_free(f->p);
	event_base_free(f->base);
	(void)close(f->pfd[0]);
	(void)close(f->pfd[1]);
	return 0;
}

static void
on_watch(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *ud)
{
	struct rec	*r = ud;
	char		 c;

	r->calls++;
	r->ev = ev;
	r->fd = fd;
	r->got = r->api->watch_get_events(w);
	if ((ev & AVAHI_WATCH_IN) && read(fd, &c, 1) != 1)
		fail_msg("read");
	if (r->other != NULL) {
		r->api->watch_free(r->other);
		r->other = NULL;
	}
	if (r->free_self)
		r->api->watch_free(w);
}

/* Runs the loop for at most ms milliseconds. */
static void
spin(struct fx *f, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	assert_int_equal(event_base_loopexit(f->base, &tv), 0);
	assert_true(event_base_dispatch(f->base) >= 0);
}

static void
test_watch_readable(void **state)
{
	struct fx	*f = *state;
	struct rec	 r = { .api = f->api };
	AvahiWatch	*w;

	w = f->api->watch_new(f->api, f->pfd[0], AVAHI_WATCH_IN, on_watch, &r);
	assert_non_null(w);
	assert_int_equal(disc_poll_nwatches(f->p), 1);
	spin(f, 30);
	assert_int_equal(r.calls, 0);		/* nothing to read yet */
	assert_int_equal(write(f->pfd[1], "x", 1), 1);
	spin(f, 30);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.ev, AVAHI_WATCH_IN);
	assert_int_equal(r.got, AVAHI_WATCH_IN);
	assert_int_equal(r.fd, f->pfd[0]);
	/* Outside a callback there are no pending events. */
	assert_int_equal(f->api->watch_get_events(w), 0);
	/* Two bytes: a persistent watch fires again for the second. */
	assert_int_equal(write(f->pfd[1], "yz", 2), 2);
	spin(f, 30);
	assert_int_equal(r.calls, 3);
	f->api->watch_free(w);
	assert_int_equal(disc_poll_nwatches(f->p), 0);
}

static void
test_watch_update(void **state)
{
	struct fx	*f = *state;
	struct rec	 r = { .api = f->api }, rw = { .api = f->api };
	AvahiWatch	*w, *ww;

	w = f->api->watch_new(f->api, f->pfd[0], AVAHI_WATCH_IN, on_watch, &r);
	assert_non_null(w);
	f->api->watch_update(w, 0);		/* nothing wanted */
	assert_int_equal(write(f->pfd[1], "x", 1), 1);
	spin(f, 30);
	assert_int_equal(r.calls, 0);
	f->api->watch_update(w, AVAHI_WATCH_IN);
	spin(f, 30);
	assert_int_equal(r.calls, 1);
	/* A write end is writable: OUT fires, IN does not. */
	ww = f->api->watch_new(f->api, f->pfd[1], AVAHI_WATCH_IN, on_watch,
	    &rw);
	assert_non_null(ww);
	spin(f, 30);
	assert_int_equal(rw.calls, 0);
	f->api->watch_update(ww, AVAHI_WATCH_OUT);
	rw.free_self = 1;			/* fire once, then go */
	spin(f, 30);
	assert_int_equal(rw.calls, 1);
	assert_int_equal(rw.ev, AVAHI_WATCH_OUT);
	assert_int_equal(rw.got, AVAHI_WATCH_OUT);
	assert_int_equal(disc_poll_nwatches(f->p), 1);
	f->api->watch_free(w);
}

static void
test_watch_free_in_callback(void **state)
{
	struct fx	*f = *state;
	struct rec	 a = { .api = f->api }, b = { .api = f->api };
	AvahiWatch	*wa, *wb;

	/* a frees itself and b; both are readable on the same turn. */
	wa = f->api->watch_new(f->api, f->pfd[0], AVAHI_WATCH_IN, on_watch, &a);
	wb = f->api->watch_new(f->api, f->pfd[0], AVAHI_WATCH_IN, on_watch, &b);
	assert_non_null(wa);
	assert_non_null(wb);
	a.free_self = 1;
	a.other = wb;
	b.free_self = 1;
	b.other = wa;
	assert_int_equal(write(f->pfd[1], "xx", 2), 2);
	spin(f, 50);
	/* Whichever ran first freed the other: exactly one call. */
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(disc_poll_nwatches(f->p), 0);
	spin(f, 30);
	assert_int_equal(a.calls + b.calls, 1);
}

static void
on_timeout(AvahiTimeout *t, void *ud)
{
	struct rec	*r = ud;
	struct timeval	 tv, d;

	r->calls++;
	(void)gettimeofday(&r->at, NULL);
	if (r->other_t != NULL) {
		r->api->timeout_free(r->other_t);
		r->other_t = NULL;
	}
	if (r->rearm_ms > 0) {
		d.tv_sec = 0;
		d.tv_usec = r->rearm_ms * 1000;
		r->rearm_ms = 0;
		timeradd(&r->at, &d, &tv);
		r->api->timeout_update(t, &tv);
		return;
	}
	if (r->free_self)
		r->api->timeout_free(t);
}

static long
ms_between(const struct timeval *a, const struct timeval *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000 +
	    (long)(b->tv_usec - a->tv_usec) / 1000;
}

static void
test_timeout_absolute(void **state)
{
	struct fx	*f = *state;
	struct rec	 r = { .api = f->api };
	struct timeval	 now, at, d = { 0, 150000 };
	AvahiTimeout	*t;

	(void)gettimeofday(&now, NULL);
	timeradd(&now, &d, &at);
	t = f->api->timeout_new(f->api, &at, on_timeout, &r);
	assert_non_null(t);
	assert_int_equal(disc_poll_ntimeouts(f->p), 1);
	spin(f, 100);
	assert_int_equal(r.calls, 0);		/* not before its time */
	spin(f, 1000);
	assert_int_equal(r.calls, 1);
	assert_true(!timercmp(&r.at, &at, <));
	assert_true(ms_between(&at, &r.at) < 500);
	/* Fired timeouts are disabled until updated. */
	spin(f, 50);
	assert_int_equal(r.calls, 1);
	/* A time already past fires on the next turn. */
	(void)gettimeofday(&now, NULL);
	d.tv_sec = 5;
	d.tv_usec = 0;
	timersub(&now, &d, &at);
	f->api->timeout_update(t, &at);
	spin(f, 20);
	assert_int_equal(r.calls, 2);
	f->api->timeout_free(t);
	assert_int_equal(disc_poll_ntimeouts(f->p), 0);
}

static void
test_timeout_disabled_and_update(void **state)
{
	struct fx	*f = *state;
	struct rec	 r = { .api = f->api };
	struct timeval	 now, at, d = { 0, 20000 };
	AvahiTimeout	*t;

	t = f->api->timeout_new(f->api, NULL, on_timeout, &r);
	assert_non_null(t);
	spin(f, 80);
	assert_int_equal(r.calls, 0);		/* NULL: disabled */
	(void)gettimeofday(&now, NULL);
	timeradd(&now, &d, &at);
	f->api->timeout_update(t, &at);
	f->api->timeout_update(t, NULL);	/* disarmed again */
	spin(f, 80);
	assert_int_equal(r.calls, 0);
	/* Re-armed from inside its own callback: fires twice. */
	(void)gettimeofday(&now, NULL);
	timeradd(&now, &d, &at);
	r.rearm_ms = 30;
	r.free_self = 1;			/* ... then frees itself */
	f->api->timeout_update(t, &at);
	spin(f, 300);
	assert_int_equal(r.calls, 2);
	assert_int_equal(disc_poll_ntimeouts(f->p), 0);
}

static void
test_timeout_free_other_in_callback(void **state)
{
	struct fx	*f = *state;
	struct rec	 a = { .api = f->api }, b = { .api = f->api };
	struct timeval	 now;
	AvahiTimeout	*ta, *tb;

	/* Both due now; the first to run frees the other. */
	(void)gettimeofday(&now, NULL);
	ta = f->api->timeout_new(f->api, &now, on_timeout, &a);
	tb = f->api->timeout_new(f->api, &now, on_timeout, &b);
	assert_non_null(ta);
	assert_non_null(tb);
	a.other_t = tb;
	b.other_t = ta;
	a.free_self = b.free_self = 1;
	spin(f, 50);
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(disc_poll_ntimeouts(f->p), 0);
}

static void
test_poll_free_releases_leftovers(void **state)
{
	struct fx	*f = *state;
	struct rec	 r = { .api = f->api };
	struct timeval	 now;

	(void)gettimeofday(&now, NULL);
	now.tv_sec += 60;
	assert_non_null(f->api->watch_new(f->api, f->pfd[0], AVAHI_WATCH_IN,
	    on_watch, &r));
	assert_non_null(f->api->timeout_new(f->api, &now, on_timeout, &r));
	assert_non_null(f->api->timeout_new(f->api, NULL, on_timeout, &r));
	assert_int_equal(disc_poll_nwatches(f->p), 1);
	assert_int_equal(disc_poll_ntimeouts(f->p), 2);
	/* teardown's disc_poll_free must release all three (ASan, valgrind
	 * see a leak otherwise) and leave the base with no events. */
	disc_poll_free(f->p);
	f->p = NULL;
	assert_int_equal(event_base_get_num_events(f->base,
	    EVENT_BASE_COUNT_ADDED), 0);
	assert_null(disc_poll_new(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_watch_readable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watch_update, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watch_free_in_callback,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_absolute, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_timeout_disabled_and_update, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_timeout_free_other_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_poll_free_releases_leftovers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
