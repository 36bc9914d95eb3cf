/*
 * test_planio.c - the cluster and model JSON readers and the plan writer.
 *
 * One case per class of bad input (malformed JSON, wrong root, missing
 * field, wrong type, zero/negative/fractional sizes, unknown dtype,
 * duplicate ids, keys and links, unknown or self links, size and count
 * caps), each checked for the exact field named in the message; then the
 * fixture in tests/fixtures/placement/ must load and round-trip a plan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "ag_planio.h"
#include "pl_solve.h"

#define DEV(extra) "{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":100," \
	"\"memory_bandwidth_bytes_per_s\":1e9,\"flops_per_s\":1e12," \
	"\"dtypes\":[\"fp16\"],\"eligible\":true" extra "}"
#define DEV2 "{\"id\":\"g1\",\"node\":\"b\",\"memory_bytes\":100," \
	"\"memory_bandwidth_bytes_per_s\":1e9,\"flops_per_s\":1e12," \
	"\"dtypes\":[\"fp16\"],\"eligible\":true}"

static const struct {
	const char	*json;
	const char	*msg;
} bad_clusters[] = {
	{ "{\"devices\":[" DEV(",\"booked_bytes\":-1") "]}",
	    "devices[0].booked_bytes: must be a non-negative integer" },
	{ "{\"devices\":[" DEV(",\"rpc\":\"host\"") "]}",
	    "devices[0].rpc: must be host:port" },
	{ "{\"devices\":[" DEV(",\"rpc\":\"a b:1\"") "]}",
	    "devices[0].rpc: must be host:port" },
	{ "{\"devices\":[" DEV(",\"engine_device\":\"CUDA0;rm\"") "]}",
	    "devices[0].engine_device: letters" },
	{ "{\"devices\":[" DEV(",\"memory_pool\":\"p\"") ","
	    "{\"id\":\"g1\",\"node\":\"b\",\"memory_bytes\":100,"
	    "\"memory_bandwidth_bytes_per_s\":1e9,\"flops_per_s\":1e12,"
	    "\"dtypes\":[\"fp16\"],\"eligible\":true,\"memory_pool\":\"p\"}]}",
	    "devices[1].memory_pool: \"p\" is on another node" },
	{ "{\"devices\":[" DEV("") "],\"client\":7}",
	    "client: must be a non-empty string" },
	{ "{", "c.json: line" },
	{ "[]", "c.json: must be a JSON object" },
	{ "{}", "c.json: devices: missing" },
	{ "{\"devices\":{}}", "devices: must be an array" },
	{ "{\"devices\":[1]}", "devices[0]: must be an object" },
	{ "{\"devices\":[{\"node\":\"a\"}]}", "devices[0].id: missing" },
	{ "{\"devices\":[" DEV(",\"id\":\"x\"") "]}", "duplicate object key" },
	{ "{\"devices\":[{\"id\":\"\",\"node\":\"a\"}]}",
	    "devices[0].id: must be a non-empty string" },
	{ "{\"devices\":[{\"id\":7,\"node\":\"a\"}]}",
	    "devices[0].id: must be a non-empty string" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":0}]}",
	    "devices[0].memory_bytes: must be a positive integer" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":-4}]}",
	    "devices[0].memory_bytes: must be a positive integer" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\","
	    "\"memory_bytes\":1.5}]}",
	    "devices[0].memory_bytes: must be a positive integer" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\","
	    "\"memory_bytes\":\"8G\"}]}",
	    "devices[0].memory_bytes: must be a positive integer" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":8,"
	    "\"memory_bandwidth_bytes_per_s\":0}]}",
	    "devices[0].memory_bandwidth_bytes_per_s: must be a positive "
	    "number" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":8,"
	    "\"memory_bandwidth_bytes_per_s\":1,\"flops_per_s\":-1}]}",
	    "devices[0].flops_per_s: must be a positive number" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":8,"
	    "\"memory_bandwidth_bytes_per_s\":1,\"flops_per_s\":1,"
	    "\"dtypes\":[\"fp8\"]}]}", "devices[0].dtypes[0]: unknown dtype" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":8,"
	    "\"memory_bandwidth_bytes_per_s\":1,\"flops_per_s\":1,"
	    "\"dtypes\":\"fp16\"}]}", "devices[0].dtypes: must be an array" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":8,"
	    "\"memory_bandwidth_bytes_per_s\":1,\"flops_per_s\":1,"
	    "\"dtypes\":[],\"eligible\":\"yes\"}]}",
	    "devices[0].eligible: must be true or false" },
	{ "{\"devices\":[{\"id\":\"g0\",\"node\":\"a\",\"memory_bytes\":8,"
	    "\"memory_bandwidth_bytes_per_s\":1,\"flops_per_s\":1,"
	    "\"dtypes\":[]}]}", "devices[0].eligible: missing" },
	{ "{\"devices\":[" DEV("") "," DEV("") "]}",
	    "devices[1].id: \"g0\" duplicates devices[0]" },
	{ "{\"devices\":[" DEV(",\"thermal\":{\"temperature_c\":50}") "]}",
	    "devices[0].thermal.ambient_c: missing" },
	{ "{\"devices\":[" DEV(",\"thermal\":{\"temperature_c\":50,"
	    "\"ambient_c\":25,\"throttle_c\":90,\"r_c_per_w\":0,"
	    "\"c_j_per_c\":1,\"power_w\":1}") "]}",
	    "devices[0].thermal.r_c_per_w: must be a positive number" },
	{ "{\"devices\":[" DEV(",\"thermal\":{\"temperature_c\":50,"
	    "\"ambient_c\":25,\"throttle_c\":20,\"r_c_per_w\":1,"
	    "\"c_j_per_c\":1,\"power_w\":1}") "]}",
	    "devices[0].thermal.throttle_c: must be above ambient_c" },
	{ "{\"devices\":[" DEV("") "],\"links\":{}}",
	    "links: must be an array" },
	{ "{\"devices\":[" DEV("") "," DEV2 "],\"links\":[{\"a\":\"a\","
	    "\"b\":\"zz\",\"latency_s\":1,\"bandwidth_bytes_per_s\":1}]}",
	    "links[0].b: no device is on node \"zz\"" },
	{ "{\"devices\":[" DEV("") "," DEV2 "],\"links\":[{\"a\":\"a\","
	    "\"b\":\"a\",\"latency_s\":1,\"bandwidth_bytes_per_s\":1}]}",
	    "links[0]: links node \"a\" to itself" },
	{ "{\"devices\":[" DEV("") "," DEV2 "],\"links\":[{\"a\":\"a\","
	    "\"b\":\"b\",\"latency_s\":-1,\"bandwidth_bytes_per_s\":1}]}",
	    "links[0].latency_s: must be a non-negative number" },
	{ "{\"devices\":[" DEV("") "," DEV2 "],\"links\":[{\"a\":\"a\","
	    "\"b\":\"b\",\"latency_s\":1,\"bandwidth_bytes_per_s\":0}]}",
	    "links[0].bandwidth_bytes_per_s: must be a positive number" },
	{ "{\"devices\":[" DEV("") "," DEV2 "],\"links\":[{\"a\":\"a\","
	    "\"b\":\"b\",\"latency_s\":1,\"bandwidth_bytes_per_s\":1},"
	    "{\"a\":\"b\",\"b\":\"a\",\"latency_s\":1,"
	    "\"bandwidth_bytes_per_s\":1}]}",
	    "links[1]: a second link between \"b\" and \"a\"" },
	{ "{\"devices\":[" DEV("") "],\"intra_node\":{\"q\":{}}}",
	    "intra_node.q: no device is on that node" },
	{ "{\"devices\":[" DEV("") "],\"intra_node\":{\"a\":"
	    "{\"latency_s\":1}}}",
	    "intra_node.a.bandwidth_bytes_per_s: missing" },
	{ "{\"devices\":[" DEV("") "],\"intra_node\":[]}",
	    "intra_node: must be an object" },
};

static const struct {
	const char	*json;
	const char	*msg;
} bad_models[] = {
	{ "", "m.json: line" },
	{ "{\"name\":\"x\"}", "m.json: layers: missing" },
	{ "{\"name\":\"x\",\"layers\":0}", "layers: must be a positive integer" },
	{ "{\"name\":\"x\",\"layers\":70000}", "layers: at most 65536" },
	{ "{\"name\":\"\",\"layers\":1}", "name: must be a non-empty string" },
	{ "{\"name\":\"x\",\"layers\":1,\"layer_bytes\":1,"
	    "\"kv_bytes_per_token_per_layer\":-1}",
	    "kv_bytes_per_token_per_layer: must be a non-negative integer" },
	{ "{\"name\":\"x\",\"layers\":1,\"layer_bytes\":1,"
	    "\"kv_bytes_per_token_per_layer\":0,\"activation_bytes\":1,"
	    "\"flops_per_token_per_layer\":0}",
	    "flops_per_token_per_layer: must be a positive number" },
	{ "{\"name\":\"x\",\"layers\":1,\"layer_bytes\":1,"
	    "\"kv_bytes_per_token_per_layer\":0,\"activation_bytes\":1,"
	    "\"flops_per_token_per_layer\":1,\"embed_bytes\":0,"
	    "\"head_bytes\":0,\"dtype\":\"fp12\"}", "dtype: unknown dtype" },
	{ "{\"name\":\"x\",\"layers\":1,\"layer_bytes\":1,"
	    "\"kv_bytes_per_token_per_layer\":0,\"activation_bytes\":1,"
	    "\"flops_per_token_per_layer\":1,\"embed_bytes\":0,"
	    "\"head_bytes\":0}", "dtype: missing" },
};

static void
test_bad_clusters(void **state)
{
	struct pl_cluster	c;
	char			err[512];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof bad_clusters / sizeof bad_clusters[0]; i++) {
		err[0] = '\0';
		if (ag_planio_parse_cluster(bad_clusters[i].json,
		    strlen(bad_clusters[i].json), "c.json", &c, err,
		    sizeof err) != -1 ||
		    strstr(err, bad_clusters[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    bad_clusters[i].msg);
		assert_int_equal(c.ndevices, 0);	/* freed */
	}
}

/* v2 fields: optional, read into the cluster; v1 files still load. */
static void
test_v2_fields(void **state)
{
	static const char json[] = "{\"devices\":["
	    DEV(",\"booked_bytes\":40,\"memory_pool\":\"dram\","
	    "\"rpc\":\"10.0.0.2:50052\",\"engine_device\":\"CPU\"") ","
	    "{\"id\":\"i0\",\"node\":\"a\",\"memory_bytes\":60,"
	    "\"memory_bandwidth_bytes_per_s\":1e9,\"flops_per_s\":1e12,"
	    "\"dtypes\":[\"fp16\"],\"eligible\":true,"
	    "\"memory_pool\":\"dram\"}," DEV2 "],"
	    "\"client\":\"laptop\","
	    "\"links\":[{\"a\":\"laptop\",\"b\":\"a\",\"latency_s\":1e-4,"
	    "\"bandwidth_bytes_per_s\":1e8}]}";
	struct pl_cluster	c;
	char			err[512];
	size_t			n;

	(void)state;
	if (ag_planio_parse_cluster(json, strlen(json), "c.json", &c, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.devices[0].booked_bytes, 40);
	assert_int_equal(c.devices[0].pool, 1);
	assert_int_equal(c.devices[1].pool, 1);
	assert_int_equal(c.devices[2].pool, 0);
	assert_string_equal(c.devices[0].rpc, "10.0.0.2:50052");
	assert_string_equal(c.devices[0].engine_device, "CPU");
	assert_string_equal(c.devices[2].rpc, "");
	assert_true(c.has_client);
	assert_int_equal(pl_cluster_find_node(&c, "laptop", &n), 0);
	assert_int_equal(c.client, n);
	/* Pool: the larger member's 100 less 40 booked. */
	assert_int_equal(pl_pool_capacity(&c, 1, 0), 60);
	pl_cluster_free(&c);
}

static void
test_bad_models(void **state)
{
	struct pl_model	m;
	char		err[512];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof bad_models / sizeof bad_models[0]; i++) {
		err[0] = '\0';
		if (ag_planio_parse_model(bad_models[i].json,
		    strlen(bad_models[i].json), "m.json", &m, err,
		    sizeof err) != -1 ||
		    strstr(err, bad_models[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    bad_models[i].msg);
	}
}

static void
test_caps(void **state)
{
	struct pl_cluster	 c;
	char			 err[512], *buf, path[] = "/tmp/planioXXXXXX";
	size_t			 i, len, cap = 1100 * 260 + 64;
	int			 fd;

	(void)state;
	/* 1025 devices: over the count cap. */
	assert_non_null(buf = malloc(cap));
	len = (size_t)snprintf(buf, cap, "{\"devices\":[");
	for (i = 0; i < 1025; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s{\"id\":\"g%zu\","
		    "\"node\":\"a\",\"memory_bytes\":100,"
		    "\"memory_bandwidth_bytes_per_s\":1,\"flops_per_s\":1,"
		    "\"dtypes\":[],\"eligible\":true}", i ? "," : "", i);
	len += (size_t)snprintf(buf + len, cap - len, "]}");
	assert_int_equal(ag_planio_parse_cluster(buf, len, "c.json", &c, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "devices: more than 1024"));
	free(buf);

	/* Over 4 MiB: refused before parsing, in memory and on disk. */
	len = AG_PLANIO_MAX_BYTES + 1;
	assert_non_null(buf = malloc(len));
	memset(buf, ' ', len);
	buf[0] = '{';
	buf[len - 1] = '}';
	assert_int_equal(ag_planio_parse_cluster(buf, len, "c.json", &c, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "larger than"));
	assert_true((fd = mkstemp(path)) >= 0);
	assert_true(write(fd, buf, len) == (ssize_t)len);
	assert_int_equal(close(fd), 0);
	assert_int_equal(ag_planio_read_cluster(path, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "larger than"));
	assert_int_equal(unlink(path), 0);
	free(buf);
	assert_int_equal(ag_planio_read_cluster("/nonexistent/c.json", &c, err,
	    sizeof err), -1);
}

static void
test_fixture_and_plan_json(void **state)
{
	struct pl_cluster	 c;
	struct pl_model		 m;
	struct pl_solve_opts	 o;
	struct pl_plan		 p;
	json_t			*j, *st;
	char			 err[512];
	size_t			 n;

	(void)state;
	if (ag_planio_read_cluster(EXOGPU_SOURCE_DIR
	    "/tests/fixtures/placement/lan.json", &c, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.ndevices, 6);
	assert_int_equal(c.nnodes, 4);
	assert_int_equal(c.nlinks, 6);
	assert_string_equal(c.devices[4].id, "laptop-igpu");
	assert_true(c.devices[4].has_thermal);
	assert_true(c.devices[4].thermal.power_w == 45);
	assert_false(c.devices[5].eligible);
	assert_int_equal(pl_cluster_find_node(&c, "box1", &n), 0);
	assert_true(c.nodes[n].intra_bandwidth == 25e9);
	assert_int_equal(pl_cluster_find_node(&c, "mac", &n), 0);
	assert_true(c.nodes[n].intra_latency_s == PL_INTRA_LATENCY_S);
	if (ag_planio_read_model(EXOGPU_SOURCE_DIR
	    "/tests/fixtures/placement/tiny-model.json", &m, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(m.layers, 8);
	assert_int_equal(m.dtype, PL_DT_Q4_0);

	pl_solve_opts_init(&o);
	o.budget_ms = -1;
	assert_int_equal(pl_solve(&c, &m, &o, &p, err, sizeof err), PL_OK);
	assert_non_null(j = ag_planio_plan_json(&c, &m, &o.req, &p, 1.5, NULL,
	    NULL));
	assert_true(json_is_array(st = json_object_get(j, "stages")));
	assert_int_equal(json_array_size(st), p.nstages);
	assert_true(json_is_string(json_object_get(json_array_get(st, 0),
	    "device")));
	assert_true(json_is_integer(json_object_get(json_array_get(st, 0),
	    "layer_end")));
	assert_true(json_is_real(json_object_get(j, "latency_s")));
	assert_true(json_is_boolean(json_object_get(j, "optimal")));
	assert_true(json_is_real(json_object_get(j, "lower_bound_s")));
	assert_true(json_is_real(json_object_get(j, "solve_ms")));
	assert_true(json_is_null(json_object_get(j, "baseline_latency_s")));
	assert_true(json_is_null(json_object_get(j,
	    "llama_default_latency_s")));
	assert_string_equal(json_string_value(json_object_get(j, "engine")),
	    "llama.cpp");
	json_decref(j);
	pl_plan_free(&p);
	pl_cluster_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_clusters),
		cmocka_unit_test(test_v2_fields),
		cmocka_unit_test(test_bad_models),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_fixture_and_plan_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
