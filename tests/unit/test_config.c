/*
 * test_config.c - the agent's config file and settings (agent/ag_config.c)
 * and the API client's response parser (agent/ag_httpc.c): good input is
 * taken exactly, every kind of bad input is refused with the line and the
 * reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ag_config.h"
#include "ag_httpc.h"

static void
test_defaults_and_file(void **state)
{
	struct ag_config	c;
	char			err[256];
	const char		*text =
	    "# exogpu.conf\n"
	    "name = lab-1   # trailing comment\n"
	    "listen = 0.0.0.0:5000\n"
	    "http = [::1]:8080\n"
	    "join = 10.0.0.2:47470\n"
	    "join = [fe80::1%eth0]:47470\n"
	    "\n"
	    "   no-mdns = yes\n"
	    "probe-bytes = 1048576\n"
	    "probe-interval=0\n";

	ag_config_defaults(&c);
	assert_string_equal(c.listen, "");
	assert_string_equal(c.http, "127.0.0.1:47471");
	assert_int_equal(ag_config_parse(&c, text, strlen(text), err,
	    sizeof err), 0);
	assert_string_equal(c.name, "lab-1");
	assert_string_equal(c.listen, "0.0.0.0:5000");
	assert_string_equal(c.http, "[::1]:8080");
	assert_int_equal(c.njoin, 2);
	assert_string_equal(c.join[1], "[fe80::1%eth0]:47470");
	assert_true(c.no_mdns);
	assert_int_equal(c.probe_bytes, 1048576);
	assert_int_equal(c.probe_interval_s, 0);
}

/* http-tls: off by default; node or CERT,KEY; anything else refused. */
static void
test_http_tls(void **state)
{
	struct ag_config	c;
	char			err[256];
	const char		*text = "http-tls = /etc/a.pem,/etc/a.key\n";

	(void)state;
	ag_config_defaults(&c);
	assert_string_equal(c.http_tls, "");
	assert_int_equal(ag_config_check(&c, err, sizeof err), 0);
	assert_int_equal(ag_config_parse(&c, text, strlen(text), err,
	    sizeof err), 0);
	assert_string_equal(c.http_tls, "/etc/a.pem,/etc/a.key");
	assert_int_equal(ag_config_check(&c, err, sizeof err), 0);
	assert_int_equal(ag_config_set(&c, "http-tls", "node", err,
	    sizeof err), 0);
	assert_int_equal(ag_config_check(&c, err, sizeof err), 0);
	assert_int_equal(ag_config_set(&c, "http-tls", "cert.pem", err,
	    sizeof err), 0);
	assert_int_equal(ag_config_check(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "http-tls"));
}

static void
expect_bad(const char *text, const char *needle)
{
	struct ag_config	c;
	char			err[256];

	ag_config_defaults(&c);
	assert_int_equal(ag_config_parse(&c, text, strlen(text), err,
	    sizeof err), -1);
	if (strstr(err, needle) == NULL)
		fail_msg("'%s' lacks '%s'", err, needle);
}

static void
test_tunnel_targets(void **state)
{
	struct ag_config	c;
	char			err[256];
	const char		*text =
	    "tunnel-target = cpu=50052\n"
	    "tunnel-target = vk0=50053\n"
	    "tunnel-target = cpu=50060\n"
	    "tunnel-max = 8\n";
	int			i;

	(void)state;
	ag_config_defaults(&c);
	assert_int_equal(c.tunnel_max, 64);
	assert_int_equal(ag_config_parse(&c, text, strlen(text), err,
	    sizeof err), 0);
	assert_int_equal(c.ntunnel_targets, 2);
	assert_string_equal(c.tunnel_targets[0].device, "cpu");
	assert_int_equal(c.tunnel_targets[0].port, 50060);	/* replaced */
	assert_string_equal(c.tunnel_targets[1].device, "vk0");
	assert_int_equal(c.tunnel_targets[1].port, 50053);
	assert_int_equal(c.tunnel_max, 8);
	expect_bad("tunnel-target = cpu\n", "DEVICE=PORT");
	expect_bad("tunnel-target = =5\n", "DEVICE=PORT");
	expect_bad("tunnel-target = node/cpu=5\n", "without the node id");
	expect_bad("tunnel-target = cpu=0\n", "1..65535");
	expect_bad("tunnel-target = cpu=65536\n", "1..65535");
	expect_bad("tunnel-target = cpu=12x\n", "1..65535");
	expect_bad("tunnel-target = c pu=1\n", "bad character");
	expect_bad("tunnel-max = 0\n", "tunnel-max");
	ag_config_defaults(&c);
	for (i = 0; i < AG_MAX_TUNNEL_TARGETS; i++) {
		char	v[32];

		(void)snprintf(v, sizeof v, "d%d=%d", i, 1000 + i);
		assert_int_equal(ag_config_set(&c, "tunnel-target", v, err,
		    sizeof err), 0);
	}
	assert_int_equal(ag_config_set(&c, "tunnel-target", "x=1", err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "at most"));
}

static void
test_bad_files(void **state)
{
	char	*big;
	int	 i;

	expect_bad("nmae = x\n", "line 1: unknown setting 'nmae'");
	expect_bad("\n\nname\n", "line 3: expected 'key = value'");
	expect_bad("= x\n", "missing key");
	expect_bad("listen = nowhere\n", "not HOST:PORT");
	expect_bad("listen = 1.2.3.4:70000\n", "not HOST:PORT");
	expect_bad("probe-bytes = 12abc\n", "not an integer");
	expect_bad("probe-bytes = 1\n", "4096..");
	expect_bad("no-mdns = maybe\n", "not true or false");
	expect_bad("name = 0123456789012345678901234567890123456789"
	    "012345678901234567890123456789\n", "longer than 63");
	{
		struct ag_config	c;
		char			err[256];

		ag_config_defaults(&c);
		assert_int_equal(ag_config_parse(&c, "name = a\0b\n", 11, err,
		    sizeof err), -1);
		assert_non_null(strstr(err, "line 1: NUL byte"));
	}
	big = malloc(AG_CONFIG_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, '#', AG_CONFIG_MAX_BYTES + 1);
	big[AG_CONFIG_MAX_BYTES + 1] = '\0';
	expect_bad(big, "larger than");
	memset(big, '#', 2000);
	big[2000] = '\0';
	expect_bad(big, "line 1: longer than");
	big[0] = '\0';
	for (i = 0; i <= AG_MAX_JOIN; i++)
		(void)strcat(big, "join = 10.0.0.1:1\n");
	expect_bad(big, "at most 64");
	free(big);
}

static void
test_http_response_parser(void **state)
{
	struct ag_http_response	r;
	char			err[256];
	const char		*ok = "HTTP/1.1 200 OK\r\nContent-Type: "
				    "application/json\r\ncontent-length: 2"
				    "\r\n\r\n{}";
	const char		*eof = "HTTP/1.0 404 Not Found\r\n\r\n{\"a\":1}";

	assert_int_equal(ag_http_parse_response(ok, strlen(ok), &r, err,
	    sizeof err), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{}");
	ag_http_response_free(&r);
	assert_int_equal(ag_http_parse_response(eof, strlen(eof), &r, err,
	    sizeof err), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "{\"a\":1}");
	ag_http_response_free(&r);
	{
		const char *cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
		    "\r\n{}";

		assert_int_equal(ag_http_parse_response(cut, strlen(cut), &r,
		    err, sizeof err), -1);
	}
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(ag_http_parse_response("SSH-2.0-x\r\n\r\n", 13, &r,
	    err, sizeof err), -1);
	assert_int_equal(ag_http_parse_response("HTTP/1.1 200 OK\r\n", 17, &r,
	    err, sizeof err), -1);
	{
		const char *te = "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n0\r\n\r\n";

		assert_int_equal(ag_http_parse_response(te, strlen(te), &r,
		    err, sizeof err), -1);
		assert_non_null(strstr(err, "transfer encoding"));
	}
	assert_null(r.body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_http_tls),
		cmocka_unit_test(test_tunnel_targets),
		cmocka_unit_test(test_http_response_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
