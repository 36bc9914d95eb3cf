/*
 * test_bench_size.c - the memory-bandwidth benchmark's buffer size
 * (backends/be_device.c, be_bench_copy_bytes): above the last-level
 * cache it is told of, within the device's limits, a power of two.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "be_device.h"

#define MiB	((uint64_t)1 << 20)
#define GiB	((uint64_t)1 << 30)

static void
test_above_cache(void **state)
{
	(void)state;
	/* No cache reported: the floor. */
	assert_true(be_bench_copy_bytes(0, 64 * GiB, 512 * GiB) == 256 * MiB);
	/* A GPU's 60 MiB L2: 4 x 60 rounds up to 256 MiB. */
	assert_true(be_bench_copy_bytes(60 * MiB, 64 * GiB, 141 * GiB) ==
	    256 * MiB);
	/* A 256 MiB infinity cache: 1 GiB. */
	assert_true(be_bench_copy_bytes(256 * MiB, 64 * GiB, 192 * GiB) ==
	    GiB);
	/* This lab's 480 MiB host LLC: the ceiling, 1 GiB (above it). */
	assert_true(be_bench_copy_bytes(480 * MiB, 64 * GiB, 128 * GiB) ==
	    GiB);
	assert_true(be_bench_copy_bytes(UINT64_MAX, UINT64_MAX, UINT64_MAX) ==
	    GiB);
}

static void
test_within_limits(void **state)
{
	(void)state;
	/* Two buffers must fit with room: at most memory / 8. */
	assert_true(be_bench_copy_bytes(0, 64 * GiB, 1 * GiB) == 128 * MiB);
	/* The largest allocation bounds it, rounded down to a power of 2. */
	assert_true(be_bench_copy_bytes(0, 100 * MiB, 64 * GiB) == 64 * MiB);
	/* Too small a device: 0. */
	assert_true(be_bench_copy_bytes(0, 64 * GiB, 4 * MiB) == 0);
	assert_true(be_bench_copy_bytes(0, MiB - 1, 64 * GiB) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_above_cache),
		cmocka_unit_test(test_within_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
