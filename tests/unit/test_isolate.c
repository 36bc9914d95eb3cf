/*
 * test_isolate.c - a crashing, hanging or failing driver query costs its
 * answer, never the caller (backends/be_isolate.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "be_isolate.h"

static long
fill_ok(void *arg, void *out, size_t size)
{
	const char	*msg = arg;

	if (size < strlen(msg) + 1)
		return -1;
	memcpy(out, msg, strlen(msg) + 1);
	return (long)strlen(msg) + 1;
}

static long
crash(void *arg, void *out, size_t size)
{
	(void)raise(SIGSEGV);
	return 0;
}

static long
hang(void *arg, void *out, size_t size)
{
	for (;;)
		(void)pause();
	return 0;
}

static long
refuse(void *arg, void *out, size_t size)
{
	return -1;
}

static long
too_big(void *arg, void *out, size_t size)
{
	return (long)size + 1;
}

static void
test_result_comes_back(void **state)
{
	char	out[64], why[128];
	long	n;

	n = be_isolate(fill_ok, "hello from the child", out, sizeof out, 5000,
	    why, sizeof why);
	assert_int_equal(n, 21);
	assert_string_equal(out, "hello from the child");
}

static void
test_crash_is_reported(void **state)
{
	char	out[64], why[128];

	assert_int_equal(be_isolate(crash, NULL, out, sizeof out, 5000, why,
	    sizeof why), -1);
	assert_non_null(strstr(why, "signal 11"));
}

static void
test_hang_times_out(void **state)
{
	char	out[64], why[128];

	assert_int_equal(be_isolate(hang, NULL, out, sizeof out, 200, why,
	    sizeof why), -1);
	assert_non_null(strstr(why, "timed out after 200 ms"));
}

static void
test_failure_and_bad_size(void **state)
{
	char	out[64], why[128];

	assert_int_equal(be_isolate(refuse, NULL, out, sizeof out, 5000, why,
	    sizeof why), -1);
	assert_string_equal(why, "query failed");
	assert_int_equal(be_isolate(too_big, NULL, out, sizeof out, 5000, why,
	    sizeof why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_comes_back),
		cmocka_unit_test(test_crash_is_reported),
		cmocka_unit_test(test_hang_times_out),
		cmocka_unit_test(test_failure_and_bad_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
