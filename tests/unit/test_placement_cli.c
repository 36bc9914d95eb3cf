/*
 * test_placement_cli.c - `exogpu plan` end to end: exit codes (0 plan,
 * 1 infeasible, 2 bad input or usage), the --json contract and the
 * human output, run against the built binary and the fixtures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <jansson.h>

#define FIX	EXOGPU_SOURCE_DIR "/tests/fixtures/placement/"

/* Runs the binary with args; returns its exit code, stdout in out. */
static int
run(const char *args, char *out, size_t outlen)
{
	char	cmd[2048];
	FILE	*f;
	size_t	n;
	int	st;

	(void)snprintf(cmd, sizeof cmd, "'%s' plan %s 2>&1", EXOGPU_BIN,
	    args);
	assert_non_null(f = popen(cmd, "r"));
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	st = pclose(f);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_exit_codes(void **state)
{
	static char	out[65536];

	(void)state;
	assert_int_equal(run("--help", out, sizeof out), 0);
	assert_non_null(strstr(out, "--time-budget-ms"));
	assert_int_equal(run("--list-models", out, sizeof out), 0);
	assert_non_null(strstr(out, "qwen2.5-72b:q4_0"));
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-70b:q4_0", out,
	    sizeof out), 0);
	assert_non_null(strstr(out, "proven optimal"));
	assert_non_null(strstr(out, "baseline"));
	assert_int_equal(run("-c " FIX "lan.json -m llama-3.1-405b", out,
	    sizeof out), 1);
	assert_non_null(strstr(out, "llama-3.1-405b:fp16 needs 814 GB for 126 "
	    "layers at context 4096, eligible devices offer 128 GB"));
	assert_int_equal(run("-c " FIX "lan.json -m nope", out, sizeof out), 2);
	assert_non_null(strstr(out, "unknown model"));
	assert_int_equal(run("-c " FIX "missing.json -m llama-3-8b", out,
	    sizeof out), 2);
	assert_int_equal(run("-c " FIX "tiny-model.json -m llama-3-8b", out,
	    sizeof out), 2);
	assert_non_null(strstr(out, "devices: missing"));
	assert_int_equal(run("-c " FIX "lan.json -m " FIX "lan.json", out,
	    sizeof out), 2);
	assert_non_null(strstr(out, "lan.json: name: missing"));
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --context -1",
	    out, sizeof out), 2);
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --bogus", out,
	    sizeof out), 2);
	assert_int_equal(run("-m llama-3-8b", out, sizeof out), 2);
}

static void
test_json_contract(void **state)
{
	static char	 out[65536];
	json_t		*j, *st, *s;
	json_error_t	 je;
	size_t		 i;
	json_int_t	 at = 0;

	(void)state;
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-70b:q4_0 --json "
	    "--context 8192 --time-budget-ms 500", out, sizeof out), 0);
	if ((j = json_loads(out, 0, &je)) == NULL)
		fail_msg("not JSON: %s\n%s", je.text, out);
	assert_true(json_is_array(st = json_object_get(j, "stages")));
	assert_true(json_array_size(st) >= 1);
	json_array_foreach(st, i, s) {
		assert_true(json_is_string(json_object_get(s, "device")));
		assert_true(json_is_string(json_object_get(s, "node")));
		assert_int_equal(json_integer_value(json_object_get(s,
		    "layer_start")), at);
		at = json_integer_value(json_object_get(s, "layer_end"));
		assert_true(json_integer_value(json_object_get(s,
		    "memory_bytes")) > 0);
	}
	assert_int_equal(at, 80);
	assert_true(json_real_value(json_object_get(j, "latency_s")) > 0);
	assert_true(json_is_true(json_object_get(j, "optimal")));
	assert_true(json_real_value(json_object_get(j, "lower_bound_s")) ==
	    json_real_value(json_object_get(j, "latency_s")));
	assert_true(json_is_number(json_object_get(j, "solve_ms")));
	assert_true(json_is_real(json_object_get(j, "baseline_latency_s")));
	assert_int_equal(json_integer_value(json_object_get(j, "context")),
	    8192);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_contract),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
