/*
 * test_engine.c - the pure half of the engine workers (agent/ag_engine.c):
 * command templates split without a shell, placeholders, finding the
 * binaries on PATH, device names, the restart backoff and llama.cpp's
 * RPC hello bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ag_engine.h"
#include "ag_llamacmd.h"

static const struct ag_engine_vars vars = { 41234, "127.0.0.1", "cpu",
    "CPU", 7, 1 };

static void
test_expand(void **state)
{
	static struct ag_engine_argv	a;
	char				err[256];

	(void)state;
	assert_int_equal(ag_engine_expand("iperf3  -s -B %HOST% -p %PORT%",
	    &vars, &a, err, sizeof err), 0);
	assert_int_equal(a.argc, 6);
	assert_string_equal(a.argv[0], "iperf3");
	assert_string_equal(a.argv[3], "127.0.0.1");
	assert_string_equal(a.argv[5], "41234");
	assert_null(a.argv[6]);
	/* Quotes group, a value never splits, nothing is a shell. */
	assert_int_equal(ag_engine_expand("srv 'a b' \"%DEVICE%;x\" "
	    "p%PLACEMENT%s%STAGE% %ENGINE_DEVICE% 100%% '' $(id)", &vars, &a,
	    err, sizeof err), 0);
	assert_int_equal(a.argc, 8);
	assert_string_equal(a.argv[1], "a b");
	assert_string_equal(a.argv[2], "cpu;x");
	assert_string_equal(a.argv[3], "p7s1");
	assert_string_equal(a.argv[4], "CPU");
	assert_string_equal(a.argv[5], "100%");
	assert_string_equal(a.argv[6], "");
	assert_string_equal(a.argv[7], "$(id)");
	/* Refusals. */
	assert_int_equal(ag_engine_expand("", &vars, &a, err, sizeof err), -1);
	assert_int_equal(ag_engine_expand("   ", &vars, &a, err, sizeof err),
	    -1);
	assert_int_equal(ag_engine_expand("x 'open", &vars, &a, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "unbalanced"));
	assert_int_equal(ag_engine_expand("x %NOPE%", &vars, &a, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "unknown placeholder"));
	assert_int_equal(ag_engine_expand("x 50%", &vars, &a, err,
	    sizeof err), -1);
}

static void
test_expand_bounds(void **state)
{
	static struct ag_engine_argv	a;
	char				err[256], *t;
	size_t				i;

	(void)state;
	t = malloc(2 * AG_ENGINE_MAX_ARGS + 8);
	assert_non_null(t);
	for (i = 0; i < AG_ENGINE_MAX_ARGS + 1; i++) {
		t[2 * i] = 'a';
		t[2 * i + 1] = ' ';
	}
	t[2 * (AG_ENGINE_MAX_ARGS + 1)] = '\0';
	assert_int_equal(ag_engine_expand(t, &vars, &a, err, sizeof err), -1);
	t[2 * AG_ENGINE_MAX_ARGS] = '\0';	/* exactly the most */
	assert_int_equal(ag_engine_expand(t, &vars, &a, err, sizeof err), 0);
	assert_int_equal(a.argc, AG_ENGINE_MAX_ARGS);
	free(t);
	t = malloc(AG_ENGINE_ARGS_BYTES + 2);
	assert_non_null(t);
	memset(t, 'b', AG_ENGINE_ARGS_BYTES + 1);
	t[AG_ENGINE_ARGS_BYTES + 1] = '\0';
	assert_int_equal(ag_engine_expand(t, &vars, &a, err, sizeof err), -1);
	free(t);
}

static void
test_find(void **state)
{
	char	dir[] = "/tmp/exogpu-engine.XXXXXX", path[PATH_MAX];
	char	out[PATH_MAX], err[256], pathenv[PATH_MAX * 2];
	FILE	*f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof path, "%s/rpc-server", dir);
	assert_non_null(f = fopen(path, "w"));
	(void)fclose(f);
	/* Not executable: not found. */
	(void)snprintf(pathenv, sizeof pathenv, "/nonexistent::%s", dir);
	assert_int_equal(ag_engine_find("", ag_engine_rpc_names, pathenv,
	    out, sizeof out, err, sizeof err), -1);
	assert_non_null(strstr(err, "ggml-rpc-server or rpc-server"));
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(ag_engine_find("", ag_engine_rpc_names, pathenv,
	    out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, path);
	/* Given: used as is, and checked. */
	assert_int_equal(ag_engine_find(path, ag_engine_rpc_names, NULL,
	    out, sizeof out, err, sizeof err), 0);
	assert_int_equal(ag_engine_find("/nonexistent/x", ag_engine_rpc_names,
	    pathenv, out, sizeof out, err, sizeof err), -1);
	assert_int_equal(ag_engine_find("", ag_engine_rpc_names, NULL,
	    out, sizeof out, err, sizeof err), -1);
	(void)unlink(path);
	(void)rmdir(dir);
}

static void
test_names(void **state)
{
	char	out[64];

	(void)state;
	assert_int_equal(ag_engine_device_name("", "cpu", out, sizeof out), 0);
	assert_string_equal(out, "CPU");
	assert_int_equal(ag_engine_device_name("", "pci-0000:01:00.0", out,
	    sizeof out), -1);
	assert_int_equal(ag_engine_device_name("cpu=CPU,pci-0000:01:00.0="
	    "CUDA0", "pci-0000:01:00.0", out, sizeof out), 0);
	assert_string_equal(out, "CUDA0");
	assert_int_equal(ag_engine_device_name("pci-1=Vulkan1", "pci-", out,
	    sizeof out), -1);
	assert_true(ag_engine_map_valid(""));
	assert_true(ag_engine_map_valid("cpu=CPU,pci-0000:01:00.0=CUDA0"));
	assert_false(ag_engine_map_valid("cpu"));
	assert_false(ag_engine_map_valid("cpu="));
	assert_false(ag_engine_map_valid("=CPU"));
	assert_false(ag_engine_map_valid("cpu=C PU"));
	assert_false(ag_engine_map_valid("cpu=CPU;rm"));
}

static void
test_backoff(void **state)
{
	(void)state;
	assert_true(ag_engine_backoff(0) == 1.0);
	assert_true(ag_engine_backoff(1) == 1.0);
	assert_true(ag_engine_backoff(2) == 2.0);
	assert_true(ag_engine_backoff(5) == 16.0);
	assert_true(ag_engine_backoff(6) == AG_ENGINE_BACKOFF_MAX_S);
	assert_true(ag_engine_backoff(1000000) == AG_ENGINE_BACKOFF_MAX_S);
}

static void
test_rpc_hello(void **state)
{
	uint8_t	h[AG_ENGINE_RPC_HELLO_LEN], r[AG_ENGINE_RPC_REPLY_LEN];
	char	ver[128];
	size_t	i;

	(void)state;
	ag_engine_rpc_hello(h);
	assert_int_equal(h[0], 14);		/* RPC_CMD_HELLO */
	assert_int_equal(h[1], 24);		/* request size, LE */
	for (i = 2; i < sizeof h; i++)
		assert_int_equal(h[i], 0);
	memset(r, 0, sizeof r);
	r[0] = 28;
	r[8] = 5;
	r[9] = 1;
	for (i = 0; i < sizeof r; i++)
		assert_int_equal(ag_engine_rpc_reply(r, i, ver, sizeof ver),
		    0);
	assert_int_equal(ag_engine_rpc_reply(r, sizeof r, ver, sizeof ver),
	    1);
	assert_string_equal(ver, "5.1.0");
	r[8] = 4;
	assert_int_equal(ag_engine_rpc_reply(r, sizeof r, ver, sizeof ver),
	    -1);
	r[0] = 3;	/* an older protocol's 3-byte reply */
	assert_int_equal(ag_engine_rpc_reply(r, 8, ver, sizeof ver), -1);
	/* An HTTP server's answer is not a hello reply. */
	assert_int_equal(ag_engine_rpc_reply((const uint8_t *)"HTTP/1.0 400",
	    12, ver, sizeof ver), -1);
}

static void
test_server_args(void **state)
{
	char	out[128];

	(void)state;
	assert_int_equal(ag_llamacmd_server_args("127.0.0.1", "50052", "CPU",
	    out, sizeof out), 0);
	assert_string_equal(out, "-H 127.0.0.1 -p 50052 -d CPU");
	assert_int_equal(ag_llamacmd_server_args("127.0.0.1", "50052", "CPU",
	    out, 8), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_bounds),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_rpc_hello),
		cmocka_unit_test(test_server_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
