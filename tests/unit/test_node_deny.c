/*
 * test_node_deny.c - the node deny list's two readers (agent/
 * ag_node_deny.c): the body of a deny / allow call, which comes from a
 * client or a forwarding member, and DATA/denied, the copy a node uses
 * until its log is replayed.  Enforcement runs on real agents in
 * tests/integration/itest_denylist.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ag_fsm.h"
#include "ag_node_int.h"

#define ID_A	"aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B	"bbbbbbbbbbbbbbbbbbbbbbbbba"

static int
args(const char *body, int with_note, char *node, char *note, char *err)
{
	return ag_node_deny_args(body, strlen(body), with_note, node, note,
	    AG_FSM_TEXT_MAX + 1, err, 256);
}

static void
test_args_good(void **state)
{
	char	node[SEC_NODE_ID_SIZE], note[AG_FSM_TEXT_MAX + 1], err[256];

	(void)state;
	assert_true(sec_node_id_valid(ID_A));
	assert_int_equal(args("{\"node\":\"" ID_A "\"}", 1, node, note, err),
	    0);
	assert_string_equal(node, ID_A);
	assert_string_equal(note, "");
	assert_int_equal(args("{\"node\":\"" ID_A "\",\"note\":\"stolen "
	    "laptop\"}", 1, node, note, err), 0);
	assert_string_equal(note, "stolen laptop");
}

static void
test_args_bad(void **state)
{
	char	node[SEC_NODE_ID_SIZE], note[AG_FSM_TEXT_MAX + 1], err[256];
	char	*big;
	size_t	 i;

	(void)state;
	assert_int_equal(args("not json", 1, node, note, err), -1);
	assert_int_equal(args("[1]", 1, node, note, err), -1);
	assert_int_equal(args("{}", 1, node, note, err), -1);
	assert_non_null(strstr(err, "node id"));
	assert_int_equal(args("{\"node\":\"abc\"}", 1, node, note, err), -1);
	assert_int_equal(args("{\"node\":7}", 1, node, note, err), -1);
	/* An uppercase id is not an id (base32, lowercase). */
	assert_int_equal(args("{\"node\":\"AAAAAAAAAAAAAAAAAAAAAAAAAA\"}", 1,
	    node, note, err), -1);
	assert_int_equal(args("{\"node\":\"" ID_A "\",\"x\":1}", 1, node,
	    note, err), -1);
	assert_non_null(strstr(err, "unknown field"));
	/* ALLOW takes no note. */
	assert_int_equal(args("{\"node\":\"" ID_A "\",\"note\":\"x\"}", 0,
	    node, note, err), -1);
	assert_int_equal(args("{\"node\":\"" ID_A "\",\"note\":5}", 1, node,
	    note, err), -1);
	assert_int_equal(args("{\"node\":\"" ID_A "\",\"note\":\"a\\nb\"}", 1,
	    node, note, err), -1);
	assert_int_equal(args("{\"node\":\"" ID_A "\",\"note\":\"a\\u0000b\"}",
	    1, node, note, err), -1);
	assert_int_equal(args("{\"node\":\"" ID_A "\",\"node\":\"" ID_B "\"}",
	    1, node, note, err), -1);
	/* 512 bytes of note pass, 513 do not. */
	big = malloc(1024);
	assert_non_null(big);
	for (i = 512; i <= 513; i++) {
		int k = snprintf(big, 1024, "{\"node\":\"" ID_A "\",\"note\":\"");

		memset(big + k, 'x', i);
		(void)snprintf(big + k + i, 1024 - (size_t)k - i, "\"}");
		assert_int_equal(args(big, 1, node, note, err),
		    i == 512 ? 0 : -1);
		if (i == 512)
			assert_int_equal(strlen(note), 512);
	}
	free(big);
}

static int
parse(const char *text, char (*ids)[SEC_NODE_ID_SIZE], size_t *n,
    uint64_t *index)
{
	char	err[128];

	return ag_node_deny_parse(text, strlen(text), ids, 4, n, index, err,
	    sizeof err);
}

static void
test_copy(void **state)
{
	char		ids[4][SEC_NODE_ID_SIZE];
	size_t		n = 99;
	uint64_t	index = 0;

	(void)state;
	assert_int_equal(parse("exogpu-denied 1 index 42\n" ID_A "\n" ID_B
	    "\n", ids, &n, &index), 0);
	assert_int_equal(n, 2);
	assert_int_equal(index, 42);
	assert_string_equal(ids[1], ID_B);
	assert_int_equal(parse("exogpu-denied 1 index 7\n", ids, &n, &index),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(index, 7);
	assert_int_equal(parse("", ids, &n, &index), -1);
	assert_int_equal(parse("exogpu-denied 1 index 7", ids, &n, &index),
	    -1);
	assert_int_equal(parse("exogpu-denied 1 index -7\n", ids, &n, &index),
	    -1);
	assert_int_equal(parse("exogpu-denied 1 index  7\n", ids, &n, &index),
	    -1);
	assert_int_equal(parse("exogpu-denied 1 index 7x\n", ids, &n, &index),
	    -1);
	assert_int_equal(parse("exogpu-denied 2 index 7\n", ids, &n, &index),
	    -1);
	assert_int_equal(parse("exogpu-denied 1 index 7\nshort\n", ids, &n,
	    &index), -1);
	assert_int_equal(parse("exogpu-denied 1 index 7\n" ID_A "\n" ID_A "\n"
	    ID_A "\n" ID_A "\n" ID_A "\n", ids, &n, &index), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_good),
		cmocka_unit_test(test_args_bad),
		cmocka_unit_test(test_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
