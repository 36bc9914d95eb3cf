/*
 * test_disc_mdns.c - disc_mdns (discovery/disc_mdns.c) where no daemon
 * can be reached, plus its config checks.
 *
 * A node without D-Bus or avahi-daemon must still start: the object
 * reports "waiting", logs that once however often it retries, and never
 * reports peers.  The test points DBUS_SYSTEM_BUS_ADDRESS at a socket
 * path that does not exist, so nothing outside the process is touched
 * (the real daemon paths are covered by tests/integration/
 * itest_mdns_lab.sh inside network namespaces).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>

#include <stdlib.h>
#include <string.h>

#include "disc_mdns.h"

struct seen {
	int	found, lost, logs, states;
	int	waiting_lines;
	enum disc_mdns_state last;
};

static void
on_found(const struct disc_peer *p, void *arg)
{
	((struct seen *)arg)->found++;
}

static void
on_lost(const struct disc_peer *p, void *arg)
{
	((struct seen *)arg)->lost++;
}

static void
on_log(int level, const char *line, void *arg)
{
	struct seen	*s = arg;

	s->logs++;
	if (strstr(line, "waits for it") != NULL)
		s->waiting_lines++;
}

static void
on_state(enum disc_mdns_state st, const char *why, void *arg)
{
	struct seen	*s = arg;

	s->states++;
	s->last = st;
}

static int
setup(void **state)
{
	/* A bus that cannot exist: connecting fails at once, locally. */
	return setenv("DBUS_SYSTEM_BUS_ADDRESS",
	    "unix:path=/nonexistent/exogpu-test/bus", 1);
}

static void
test_no_daemon_waits_quietly(void **state)
{
	struct event_base		*base = event_base_new();
	struct seen			 s = { 0 };
	struct disc_mdns_callbacks	 cb = { on_found, on_lost, on_state,
					    on_log, &s };
	struct disc_mdns_config		 cfg = { 0 };
	struct disc_mdns_status		 st;
	struct disc_mdns		*m;
	struct timeval			 tv = { 0, 700000 };
	char				 err[128];

	assert_non_null(base);
	cfg.port = 47470;
	cfg.node_id = "abcdefghijklmnopqrstuvwxyz";
	cfg.version = 1;
	cfg.trust = DISC_TRUST_SECRET;
	cfg.retry_ms = 20;	/* retries at 20, 40, 80, 160, 320 ms */
	m = disc_mdns_new(base, &cfg, &cb, err, sizeof err);
	assert_non_null(m);
	assert_int_equal(disc_mdns_state(m), DISC_MDNS_WAITING);
	assert_int_equal(event_base_loopexit(base, &tv), 0);
	assert_int_equal(event_base_dispatch(base), 0);
	disc_mdns_status(m, &st);
	assert_int_equal(st.state, DISC_MDNS_WAITING);
	assert_int_equal(st.published, 0);
	assert_int_equal(st.peers, 0);
	assert_string_equal(st.name, "exogpu-abcdefgh");
	assert_true(st.error[0] != '\0');
	/* Logged once despite several retries; never a peer. */
	assert_int_equal(s.waiting_lines, 1);
	assert_int_equal(s.logs, 1);
	assert_int_equal(s.found + s.lost, 0);
	assert_int_equal(s.states, 0);	/* it started in WAITING */
	assert_string_equal(disc_mdns_state_str(st.state), "waiting");
	disc_mdns_free(m);
	event_base_free(base);
}

static void
test_config_checks(void **state)
{
	struct event_base		*base = event_base_new();
	struct seen			 s = { 0 };
	struct disc_mdns_callbacks	 cb = { on_found, on_lost, NULL, NULL,
					    &s };
	struct disc_mdns_callbacks	 nocb = { NULL, on_lost, NULL, NULL,
					    &s };
	struct disc_mdns_config		 ok = { 0 }, c;
	struct disc_mdns		*m;
	char				 err[128];

	assert_non_null(base);
	ok.port = 1;
	ok.node_id = "a1";
	ok.version = 1;
	ok.name = "node one";
	m = disc_mdns_new(base, &ok, &cb, err, sizeof err);
	assert_non_null(m);
	disc_mdns_free(m);
	disc_mdns_free(NULL);

	assert_null(disc_mdns_new(base, &ok, &nocb, err, sizeof err));
	assert_non_null(strstr(err, "callbacks"));
	assert_null(disc_mdns_new(NULL, &ok, &cb, err, sizeof err));
	c = ok;
	c.port = 0;
	assert_null(disc_mdns_new(base, &c, &cb, err, sizeof err));
	assert_non_null(strstr(err, "port"));
	c = ok;
	c.node_id = "Not-An-Id";
	assert_null(disc_mdns_new(base, &c, &cb, err, sizeof err));
	assert_non_null(strstr(err, "node id"));
	c = ok;
	c.version = 70000;
	assert_null(disc_mdns_new(base, &c, &cb, err, sizeof err));
	assert_non_null(strstr(err, "version"));
	c = ok;
	c.name = "new\nline";
	assert_null(disc_mdns_new(base, &c, &cb, err, sizeof err));
	assert_non_null(strstr(err, "name"));
	assert_string_equal(disc_mdns_state_str(DISC_MDNS_RUNNING), "running");
	assert_string_equal(disc_mdns_state_str(DISC_MDNS_FAILED), "failed");
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_daemon_waits_quietly),
		cmocka_unit_test(test_config_checks),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
