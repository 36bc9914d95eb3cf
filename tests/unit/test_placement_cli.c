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
#define CORPUS	EXOGPU_SOURCE_DIR "/tests/fuzz/corpus/fuzz_gguf/"

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
	assert_non_null(strstr(out, "llama.cpp "));
	assert_non_null(strstr(out, "exo "));
	assert_int_equal(run("-c " FIX "lan.json -m llama-3.1-405b", out,
	    sizeof out), 1);
	assert_non_null(strstr(out, "llama-3.1-405b:fp16 needs 810 GB for 126 "
	    "layers at context 4096, eligible devices offer 115 GB (after a "
	    "10% reserve)"));
	/* The ring keeps the input embedding on the first stage. */
	assert_int_equal(run("-c " FIX "lan.json -m llama-3.1-405b --engine "
	    "ring --reserve 0", out, sizeof out), 1);
	assert_non_null(strstr(out, "needs 814 GB"));
	assert_non_null(strstr(out, "offer 128 GB"));
	/* Engine profiles, reserves and request lengths out of range. */
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --engine exo",
	    out, sizeof out), 2);
	assert_non_null(strstr(out, "--engine"));
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --reserve 0.95",
	    out, sizeof out), 2);
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --reserve -0.1",
	    out, sizeof out), 2);
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --reserve x",
	    out, sizeof out), 2);
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --prompt 4000 "
	    "--generate 200", out, sizeof out), 2);
	assert_non_null(strstr(out, "exceed"));
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --client nope",
	    out, sizeof out), 2);
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-8b --format xml",
	    out, sizeof out), 2);
	/* GGUF models: read from the header; bad ones are input errors. */
	assert_int_equal(run("-c " FIX "lan.json -m " FIX "tiny-llama.gguf",
	    out, sizeof out), 0);
	assert_non_null(strstr(out, "plan for tiny-llama"));
	assert_int_equal(run("-c " FIX "lan.json -m " CORPUS
	    "unknown-arch.gguf", out, sizeof out), 2);
	assert_non_null(strstr(out, "unknown architecture \"mamba\""));
	assert_int_equal(run("-c " FIX "lan.json -m " CORPUS
	    "many-tensors.gguf", out, sizeof out), 2);
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
	assert_string_equal(json_string_value(json_object_get(j, "engine")),
	    "llama.cpp");
	assert_true(json_real_value(json_object_get(j, "reserve")) == 0.1);
	assert_true(json_real_value(json_object_get(j, "kv_fill_tokens")) ==
	    4096);
	assert_true(json_is_string(json_object_get(j, "client")));
	json_decref(j);
}

/*
 * --format llama.cpp: one rpc-server per stage in stage order, and a
 * llama-server whose -ts adds the output slot to the last stage.
 */
static void
test_llama_format(void **state)
{
	static char	 out[65536];
	json_t		*j, *st;
	json_error_t	 je;
	char		 want[256], *p;
	size_t		 i, n;

	(void)state;
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-70b:q4_0 --json",
	    out, sizeof out), 0);
	assert_non_null(j = json_loads(out, 0, &je));
	st = json_object_get(j, "stages");
	n = json_array_size(st);
	assert_int_equal(run("-c " FIX "lan.json -m llama-3-70b:q4_0 "
	    "--format llama.cpp", out, sizeof out), 0);
	assert_non_null(p = strstr(out, "llama-server -m MODEL.gguf --rpc "));
	assert_non_null(strstr(p, " -ngl 81 -sm layer -ts "));
	assert_non_null(strstr(p, " -c 4096 --fit off"));
	(void)snprintf(want, sizeof want, "--device RPC0");
	assert_non_null(strstr(p, want));
	p = strstr(p, "-ts ") + 4;
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(st, i);
		long l = (long)(json_integer_value(json_object_get(s,
		    "layer_end")) - json_integer_value(json_object_get(s,
		    "layer_start")));

		(void)snprintf(want, sizeof want, "%ld%s",
		    l + (i + 1 == n ? 1 : 0), i + 1 == n ? " " : ",");
		if (strncmp(p, want, strlen(want)) != 0)
			fail_msg("-ts at stage %zu: want %s in %s", i, want, p);
		p += strlen(want);
	}
	/* One server per stage. */
	for (i = 0, p = out; (p = strstr(p, "ggml-rpc-server -H")) != NULL;
	    p++)
		i++;
	assert_int_equal(i, n);
	json_decref(j);
	/* A GGUF model is named by its path. */
	assert_int_equal(run("-c " FIX "lan.json -m " FIX "tiny-llama.gguf "
	    "--format llama.cpp", out, sizeof out), 0);
	assert_non_null(strstr(out, "llama-server -m " FIX
	    "tiny-llama.gguf"));
	assert_non_null(strstr(out, "-ngl 3 "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_contract),
		cmocka_unit_test(test_llama_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
