/*
 * test_httptls.c - the API's TLS layer (agent/ag_httptls.c) and the CLI's
 * https:// client (agent/ag_httpc.c) against each other.
 *
 * A real server: an ag_api on 127.0.0.1:0 with --http-tls node semantics
 * (a CA-issued Ed25519 node certificate), its event loop in this thread,
 * a client thread making requests with ag_http_request.  Checked: a JSON
 * answer; a 300 KB answer arrives whole (the filter must not let evhttp
 * close before the last record left); the pinned certificate is needed
 * (the CA alone does not name 127.0.0.1; no --api-ca at all); plain HTTP
 * to the TLS port gets nothing.  Plus the --http-tls value and file
 * checks (a key others may read is refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ag_api.h"
#include "ag_fileio.h"
#include "ag_httpc.h"
#include "ag_httptls.h"
#include "sec_ca.h"
#include "sec_identity.h"

#define BIG_LEN	(300 * 1000)

struct fixture {
	char			 dir[64];
	char			 node_pem[128], node_key[128], ca_pem[128];
	struct sec_pem		 cakey, cacert, key, cert;
	struct sec_identity	*id;
};

static struct fixture	fx;

static void
put(const char *dir, const char *name, const struct sec_pem *p, mode_t mode,
    char *path, size_t size)
{
	char	err[256];

	(void)snprintf(path, size, "%s/%s", dir, name);
	assert_int_equal(ag_write_atomic(path, p->data, p->len, mode, err,
	    sizeof err), 0);
}

static int
setup(void **state)
{
	struct sec_ca	*ca;
	char		 err[256];

	(void)state;
	memset(&fx, 0, sizeof fx);
	(void)snprintf(fx.dir, sizeof fx.dir, "/tmp/test_httptls.XXXXXX");
	assert_non_null(mkdtemp(fx.dir));
	assert_int_equal(sec_ca_create(time(NULL), 2, &fx.cakey, &fx.cacert,
	    err, sizeof err), 0);
	ca = sec_ca_load(fx.cakey.data, fx.cakey.len, fx.cacert.data,
	    fx.cacert.len, err, sizeof err);
	assert_non_null(ca);
	assert_int_equal(sec_identity_generate_key(&fx.key, err, sizeof err),
	    0);
	assert_int_equal(sec_ca_issue(ca, fx.key.data, fx.key.len, "node.test",
	    time(NULL) - 60, time(NULL) + 86400, &fx.cert, err, sizeof err), 0);
	sec_ca_free(ca);
	fx.id = sec_identity_load(fx.key.data, fx.key.len, fx.cert.data,
	    fx.cert.len, err, sizeof err);
	assert_non_null(fx.id);
	put(fx.dir, "node.pem", &fx.cert, 0644, fx.node_pem,
	    sizeof fx.node_pem);
	put(fx.dir, "node.key", &fx.key, 0600, fx.node_key,
	    sizeof fx.node_key);
	put(fx.dir, "ca.pem", &fx.cacert, 0644, fx.ca_pem, sizeof fx.ca_pem);
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	sec_identity_free(fx.id);
	sec_pem_clear(&fx.cakey);
	sec_pem_clear(&fx.cacert);
	sec_pem_clear(&fx.key);
	sec_pem_clear(&fx.cert);
	(void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx.dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
spec_values(void **state)
{
	(void)state;
	assert_true(ag_httptls_spec_valid(""));
	assert_true(ag_httptls_spec_valid("node"));
	assert_true(ag_httptls_spec_valid("a.pem,b.pem"));
	assert_false(ag_httptls_spec_valid("nodes"));
	assert_false(ag_httptls_spec_valid("a.pem"));
	assert_false(ag_httptls_spec_valid(",b.pem"));
	assert_false(ag_httptls_spec_valid("a.pem,"));
	assert_false(ag_httptls_spec_valid("a,b,c"));
}

static void
files(void **state)
{
	struct ag_httptls	*t;
	char			 spec[300], err[256];

	(void)state;
	assert_null(ag_httptls_new("a.pem", NULL, err, sizeof err));
	(void)snprintf(spec, sizeof spec, "%s/none.pem,%s", fx.dir,
	    fx.node_key);
	assert_null(ag_httptls_new(spec, NULL, err, sizeof err));
	(void)snprintf(spec, sizeof spec, "%s,%s", fx.node_pem, fx.node_key);
	t = ag_httptls_new(spec, NULL, err, sizeof err);
	assert_non_null(t);
	ag_httptls_free(t);
	assert_int_equal(chmod(fx.node_key, 0640), 0);
	assert_null(ag_httptls_new(spec, NULL, err, sizeof err));
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(chmod(fx.node_key, 0600), 0);
	/* A certificate that is not the key's. */
	(void)snprintf(spec, sizeof spec, "%s,%s", fx.ca_pem, fx.node_key);
	assert_null(ag_httptls_new(spec, NULL, err, sizeof err));
	t = ag_httptls_new("node", fx.id, err, sizeof err);
	assert_non_null(t);
	ag_httptls_free(t);
}

static void
h_open(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	(void)ctx;
	(void)req;
	r->status = 200;
	r->body = json_pack("{s:b}", "ok", 1);
}

static void
h_big(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	size_t	i;

	(void)ctx;
	(void)req;
	if ((r->raw = malloc(BIG_LEN)) == NULL)
		return;
	for (i = 0; i < BIG_LEN; i++)
		r->raw[i] = (char)('a' + i % 23);
	r->raw_len = BIG_LEN;
	r->status = 200;
}

static const struct ag_api_route routes[] = {
	{ EVHTTP_REQ_GET, "/open", h_open, AG_API_PUBLIC },
	{ EVHTTP_REQ_GET, "/big", h_big, AG_API_PUBLIC },
	{ 0, NULL, NULL, 0 },
};

struct client {
	char		 addr[64], https[80];
	int		 open, big, no_ca, ca_only, plain;
	volatile int	 done;
};

/* Status of GET path, -1 if the request failed; big checks the bytes. */
static int
get(const char *addr, const char *path, int big)
{
	struct ag_http_response	r;
	char			err[256];
	int			status;
	size_t			i;

	if (ag_http_request(addr, "GET", path, NULL, NULL, &r, err, sizeof err)
	    != 0)
		return -1;
	status = r.status;
	if (big) {
		if (r.body_len != BIG_LEN)
			status = -2;
		for (i = 0; status > 0 && i < r.body_len; i++)
			if (r.body[i] != (char)('a' + i % 23))
				status = -3;
	}
	ag_http_response_free(&r);
	return status;
}

static void *
client_main(void *arg)
{
	struct client	*c = arg;

	ag_http_set_ca(NULL);
	if (getenv("EXOGPU_API_CA") == NULL)
		c->no_ca = get(c->https, "/open", 0);
	ag_http_set_ca(fx.ca_pem);
	c->ca_only = get(c->https, "/open", 0);
	ag_http_set_ca(fx.node_pem);
	c->open = get(c->https, "/open", 0);
	c->big = get(c->https, "/big", 1);
	c->plain = get(c->addr, "/open", 0);
	ag_http_set_ca(NULL);
	c->done = 1;
	return NULL;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void
round_trip(void **state)
{
	struct event_base	*base = event_base_new();
	struct ag_api		*api;
	struct ag_httptls	*tls;
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
	tls = ag_httptls_new("node", fx.id, err, sizeof err);
	assert_non_null(tls);
	ag_api_set_tls(api, tls);
	memset(&c, 0, sizeof c);
	c.no_ca = -1;
	(void)snprintf(c.addr, sizeof c.addr, "127.0.0.1:%d", port);
	(void)snprintf(c.https, sizeof c.https, "https://127.0.0.1:%d", port);
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	assert_non_null(tick);
	assert_int_equal(event_add(tick, &tv), 0);
	assert_int_equal(pthread_create(&t, NULL, client_main, &c), 0);
	for (i = 0; i < 6000 && !c.done; i++)
		assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.open, 200);
	assert_int_equal(c.big, 200);
	assert_int_equal(c.no_ca, -1);
	assert_int_equal(c.ca_only, -1);	/* names node.test, not the IP */
	assert_int_equal(c.plain, -1);
	event_free(tick);
	ag_api_free(api);
	ag_httptls_free(tls);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_values),
		cmocka_unit_test(files),
		cmocka_unit_test(round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
