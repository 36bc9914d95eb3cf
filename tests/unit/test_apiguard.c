/*
 * test_apiguard.c - the local API's cross-site and DNS-rebinding rules
 * (agent/ag_apiguard.c) and its deny-by-default route table
 * (agent/ag_api.c).
 *
 * The rules are pure functions of header values and are tested as such;
 * the route table is tested on a real server: an ag_api on 127.0.0.1:0
 * whose event loop runs in this thread while a client thread sends the
 * requests with ag_http_request (the CLI's own client).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "ag_api.h"
#include "ag_apiguard.h"
#include "ag_httpc.h"

static int
check(const struct ag_guard *g, const char *m, const char *host,
    const char *origin, const char *ct)
{
	struct ag_guard_denial	why;

	if (ag_guard_check(g, m, host, origin, ct, &why) == 0)
		return 0;
	assert_non_null(why.code);
	assert_true(why.msg[0] != '\0');
	return why.status;
}

static void
host_rules(void **state)
{
	struct ag_guard	g;
	char		err[256];

	(void)state;
	assert_int_equal(ag_guard_init(&g, "127.0.0.1:47471", "gpu.example, "
	    "10.0.0.5", err, sizeof err), 0);
	assert_int_equal(check(&g, "GET", "127.0.0.1:47471", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", "127.9.9.9", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", "localhost:1", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", "LocalHost.", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", "[::1]:47471", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", "GPU.example:80", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", "10.0.0.5", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", NULL, NULL, NULL), 0);
	/* Rebinding names, other addresses, junk. */
	assert_int_equal(check(&g, "GET", "attacker.example", NULL, NULL),
	    421);
	assert_int_equal(check(&g, "GET", "localhost.attacker.example", NULL,
	    NULL), 421);
	assert_int_equal(check(&g, "GET", "10.0.0.6", NULL, NULL), 421);
	assert_int_equal(check(&g, "GET", "", NULL, NULL), 421);
	assert_int_equal(check(&g, "GET", "a b", NULL, NULL), 421);
	assert_int_equal(check(&g, "GET", "localhost:", NULL, NULL), 421);
	assert_int_equal(check(&g, "GET", "localhost:1x", NULL, NULL), 421);
	assert_int_equal(check(&g, "GET", "[::1", NULL, NULL), 421);
	assert_int_equal(check(&g, "GET", "[nope]:1", NULL, NULL), 421);
	assert_int_equal(check(&g, "GET", "2130706433", NULL, NULL), 421);
	/* A wildcard listener takes any IP literal, still no names. */
	assert_int_equal(ag_guard_init(&g, "0.0.0.0:1", "", err, sizeof err),
	    0);
	assert_int_equal(check(&g, "GET", "192.168.1.9:1", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", "[fe80::1]:1", NULL, NULL), 0);
	assert_int_equal(check(&g, "GET", "box.lan:1", NULL, NULL), 421);
	/* A listen name counts. */
	assert_int_equal(ag_guard_init(&g, "box.lan:1", NULL, err,
	    sizeof err), 0);
	assert_int_equal(check(&g, "GET", "box.lan:1", NULL, NULL), 0);
	assert_int_equal(ag_guard_init(&g, "[::1]:1", NULL, err, sizeof err),
	    0);
	assert_int_equal(check(&g, "GET", "[0:0::1]", NULL, NULL), 0);
}

static void
bad_names(void **state)
{
	struct ag_guard	g;
	char		err[256], many[1024] = "";
	int		i;

	(void)state;
	assert_int_equal(ag_guard_init(&g, "127.0.0.1:1", "ok.example,bad/x",
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "bad/x"));
	assert_int_equal(ag_guard_init(&g, "127.0.0.1:1", "a.example:80",
	    err, sizeof err), -1);
	assert_int_equal(ag_guard_init(&g, "nope", NULL, err, sizeof err),
	    -1);
	for (i = 0; i < AG_GUARD_MAX_NAMES + 1; i++)
		(void)snprintf(many + strlen(many), sizeof many - strlen(many),
		    "h%d ", i);
	assert_int_equal(ag_guard_init(&g, "127.0.0.1:1", many, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "at most"));
}

static void
origin_and_type(void **state)
{
	struct ag_guard	g;
	char		err[256];
	const char	*json = "application/json";

	(void)state;
	assert_int_equal(ag_guard_init(&g, "127.0.0.1:47471", NULL, err,
	    sizeof err), 0);
	/* The finding: a "simple" cross-site POST. */
	assert_int_equal(check(&g, "POST", "127.0.0.1:47471",
	    "http://evil.example", "text/plain"), 403);
	assert_int_equal(check(&g, "POST", "127.0.0.1:47471", NULL,
	    "text/plain"), 415);
	assert_int_equal(check(&g, "POST", "127.0.0.1:47471", NULL, NULL),
	    415);
	assert_int_equal(check(&g, "DELETE", NULL, NULL,
	    "application/jsonx"), 415);
	assert_int_equal(check(&g, "POST", "127.0.0.1:47471", NULL,
	    "Application/JSON ; charset=utf-8"), 0);
	assert_int_equal(check(&g, "POST", "127.0.0.1:47471",
	    "http://127.0.0.1:47471", json), 0);
	/* Origins: scheme, host and port must be this API's. */
	assert_int_equal(check(&g, "GET", "127.0.0.1:47471", "null", NULL),
	    403);
	assert_int_equal(check(&g, "GET", "127.0.0.1:47471",
	    "http://127.0.0.1:8080", NULL), 403);
	assert_int_equal(check(&g, "GET", "127.0.0.1:47471",
	    "http://localhost:47471", NULL), 403);
	assert_int_equal(check(&g, "GET", "127.0.0.1:47471",
	    "ftp://127.0.0.1:47471", NULL), 403);
	assert_int_equal(check(&g, "GET", "127.0.0.1:47471",
	    "http://127.0.0.1:47471/x", NULL), 403);
	assert_int_equal(check(&g, "GET", NULL, "http://evil.example", NULL),
	    403);
	assert_int_equal(check(&g, "GET", NULL, "https://localhost", NULL),
	    0);
}

/* --- a real server: the zero route is refused ------------------------ */

static void
h_ok(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	(void)ctx;
	(void)req;
	r->status = 200;
	r->body = json_pack("{s:b}", "ok", 1);
}

static const struct ag_api_route routes[] = {
	{ EVHTTP_REQ_GET, "/open", h_ok, AG_API_PUBLIC },
	{ EVHTTP_REQ_GET, "/forgot", h_ok, 0 },	/* no access rule */
	{ EVHTTP_REQ_POST, "/post", h_ok, AG_API_READ },
	{ 0, NULL, NULL, 0 },
};

struct client {
	char		addr[64];
	int		status[4];
	volatile int	done;
};

static void *
client_main(void *arg)
{
	struct client		*c = arg;
	struct ag_http_response	 r;
	char			 err[256];
	static const char	*paths[] = { "/open", "/forgot", "/post" };
	int			 i;

	for (i = 0; i < 3; i++) {
		c->status[i] = -1;
		if (ag_http_request(c->addr, i == 2 ? "POST" : "GET", paths[i],
		    i == 2 ? "{}" : NULL, NULL, &r, err, sizeof err) == 0) {
			c->status[i] = r.status;
			ag_http_response_free(&r);
		}
	}
	c->done = 1;
	return NULL;
}

static void
poll_done(evutil_socket_t fd, short what, void *arg)
{
	struct event_base	*base = arg;

	(void)fd;
	(void)what;
	(void)base;
}

static void
zero_route_denied(void **state)
{
	struct event_base	*base = event_base_new();
	struct ag_api		*api;
	struct client		 c;
	struct event		*tick;
	struct timeval		 tv = { 0, 10000 };
	pthread_t		 t;
	char			 err[256];
	int			 port, i;

	(void)state;
	assert_non_null(base);
	api = ag_api_new(base, "127.0.0.1:0", routes, NULL, &port, err,
	    sizeof err);
	assert_non_null(api);
	memset(&c, 0, sizeof c);
	(void)snprintf(c.addr, sizeof c.addr, "127.0.0.1:%d", port);
	tick = event_new(base, -1, EV_PERSIST, poll_done, base);
	assert_non_null(tick);
	assert_int_equal(event_add(tick, &tv), 0);
	assert_int_equal(pthread_create(&t, NULL, client_main, &c), 0);
	for (i = 0; i < 1000 && !c.done; i++)
		assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.status[0], 200);
	assert_int_equal(c.status[1], 403);	/* the zero value denies */
	assert_int_equal(c.status[2], 200);	/* the CLI's POST passes */
	event_free(tick);
	ag_api_free(api);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_rules),
		cmocka_unit_test(bad_names),
		cmocka_unit_test(origin_and_type),
		cmocka_unit_test(zero_route_denied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
