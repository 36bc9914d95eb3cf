/*
 * test_nvml.c - be_nvml.c against fake NVML libraries (tests/unit/
 * fake_nvml.c, built three ways by tests/CMakeLists.txt): a current driver
 * with two GPUs, an old driver with only unversioned entry points and no
 * optional queries, and a library missing a required symbol.  Also a
 * missing library, a failing nvmlInit, and the UUID text parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_telemetry.h"

#ifndef EXOGPU_FAKE_NVML
#error "tests/CMakeLists.txt must define EXOGPU_FAKE_NVML"
#endif

struct logbuf {
	int	count;
	char	text[4096];
};

static void
collect(void *ctx, const char *msg)
{
	struct logbuf	*lb = ctx;
	size_t		 n = strlen(lb->text);

	lb->count++;
	(void)snprintf(lb->text + n, sizeof lb->text - n, "%s\n", msg);
}

/* Routine notes land in the same buffer, marked. */
static void
collect_info(void *ctx, const char *msg)
{
	struct logbuf	*lb = ctx;
	size_t		 n = strlen(lb->text);

	lb->count++;
	(void)snprintf(lb->text + n, sizeof lb->text - n, "[info] %s\n", msg);
}

static void
test_missing_library(void **state)
{
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { collect, &lb, collect_info };

	(void)state;
	assert_null(be_nvml_open("/nonexistent.so", &log));
	assert_int_equal(lb.count, 1);
	/* Routine on machines without NVIDIA: an info note, not a warning. */
	assert_non_null(strstr(lb.text, "[info] NVML not available: "));
	assert_non_null(strstr(lb.text, "nonexistent"));
	/* No log sink at all is fine too. */
	assert_null(be_nvml_open("/nonexistent.so", NULL));
	be_nvml_close(NULL);
	assert_int_equal(be_nvml_gpus(NULL, NULL, 4), -1);
}

/* The fake's init/shutdown balance, read through our own handle. */
static int
live_count(void *self)
{
	int	(*live)(void);

	live = (int (*)(void))dlsym(self, "fake_nvml_live");
	assert_non_null(live);
	return live();
}

static void
test_full(void **state)
{
	static const uint8_t	uuid0[16] = { 0x01, 0x23, 0x45, 0x67, 0x89,
	    0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	static const uint8_t	uuid1[16] = { 0xfe, 0xdc, 0xba, 0x98, 0x76,
	    0x54, 0x32, 0x10, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };
	struct logbuf		lb = { 0, "" };
	struct be_log		log = { collect, &lb, collect_info };
	struct be_gpu_nvml	g[4];
	struct be_nvml		*n;
	char			pci[16];
	void			*self;

	(void)state;
	self = dlopen(EXOGPU_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(self);
	assert_int_equal(live_count(self), 0);

	n = be_nvml_open(EXOGPU_FAKE_NVML, &log);
	assert_non_null(n);
	assert_int_equal(lb.count, 0);
	assert_int_equal(live_count(self), 1);
	assert_int_equal(be_nvml_gpus(n, g, 4), 2);

	be_pci_format(&g[0].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:01:00.0");
	assert_string_equal(g[0].name, "Fake GeForce A");
	assert_true(g[0].has_uuid);
	assert_memory_equal(g[0].uuid, uuid0, 16);
	assert_true(g[0].memory_total_bytes == 24.0 * (1 << 30));
	assert_true(g[0].t.memory_total_bytes == 24.0 * (1 << 30));
	assert_true(g[0].t.memory_used_bytes == 1.0 * (1 << 30));
	assert_true(fabs(g[0].t.utilization_ratio - 0.37) < 1e-9);
	assert_true(g[0].t.temperature_celsius == 55);
	assert_true(fabs(g[0].t.power_watts - 123.456) < 1e-9);
	assert_true(g[0].t.clock_graphics_mhz == 1800);
	assert_true(g[0].t.clock_memory_mhz == 9501);
	assert_string_equal(g[0].t.source, "nvml");

	be_pci_format(&g[1].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:41:00.0");
	assert_string_equal(g[1].name, "Fake Tesla B");
	assert_true(g[1].has_uuid);
	assert_memory_equal(g[1].uuid, uuid1, 16);
	assert_true(g[1].t.memory_used_bytes == 0);	/* a real 0 */
	assert_true(g[1].t.utilization_ratio == 1.0);
	assert_true(isnan(g[1].t.temperature_celsius));	/* NOT_SUPPORTED */
	assert_true(isnan(g[1].t.power_watts));
	assert_true(g[1].t.clock_graphics_mhz == 1410);

	/* Bounded by max, with a note. */
	assert_int_equal(be_nvml_gpus(n, g, 1), 1);
	assert_string_equal(g[0].name, "Fake GeForce A");
	assert_int_equal(lb.count, 1);
	assert_non_null(strstr(lb.text, "only 1 kept"));
	assert_int_equal(be_nvml_gpus(n, g, 0), 0);

	be_nvml_close(n);
	assert_int_equal(live_count(self), 0);	/* nvmlShutdown was called */
	assert_int_equal(dlclose(self), 0);
}

static void
test_minimal(void **state)
{
	struct be_gpu_nvml	g[2];
	struct be_nvml		*n;
	char			pci[16];

	(void)state;
	n = be_nvml_open(EXOGPU_FAKE_NVML_MINIMAL, NULL);
	assert_non_null(n);
	assert_int_equal(be_nvml_gpus(n, g, 2), 2);
	/* Old PCI struct layout, legacy bus id text. */
	be_pci_format(&g[0].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:01:00.0");
	be_pci_format(&g[1].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:41:00.0");
	assert_string_equal(g[0].name, "Fake GeForce A");
	assert_true(g[0].memory_total_bytes == 24.0 * (1 << 30));
	assert_true(g[0].t.temperature_celsius == 55);
	/* Entry points this driver lacks: unknown, not zero. */
	assert_false(g[0].has_uuid);
	assert_true(isnan(g[0].t.utilization_ratio));
	assert_true(isnan(g[0].t.power_watts));
	assert_true(isnan(g[0].t.clock_graphics_mhz));
	assert_true(isnan(g[0].t.clock_memory_mhz));
	assert_string_equal(g[0].t.source, "nvml");
	be_nvml_close(n);
}

static void
test_broken(void **state)
{
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { collect, &lb, collect_info };

	(void)state;
	assert_null(be_nvml_open(EXOGPU_FAKE_NVML_BROKEN, &log));
	assert_int_equal(lb.count, 1);
	/* A library that is not NVML is worth a warning. */
	assert_null(strstr(lb.text, "[info]"));
	assert_non_null(strstr(lb.text, "NVML not available"));
	assert_non_null(strstr(lb.text, "nvmlDeviceGetCount"));
}

static void
test_init_fails(void **state)
{
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { collect, &lb, collect_info };

	(void)state;
	assert_int_equal(setenv("FAKE_NVML_INIT_FAIL", "1", 1), 0);
	assert_null(be_nvml_open(EXOGPU_FAKE_NVML, &log));
	assert_int_equal(unsetenv("FAKE_NVML_INIT_FAIL"), 0);
	assert_int_equal(lb.count, 1);
	assert_non_null(strstr(lb.text, "[info] NVML not available: nvmlInit: "
	    "Driver Not Loaded"));
}

static void
test_uuid_parse(void **state)
{
	uint8_t	u[16], want[16];
	char	text[40];

	(void)state;
	memset(u, 0xaa, sizeof u);
	assert_int_equal(be_nvml_parse_uuid(
	    "GPU-00112233-4455-6677-8899-aabbccddeeff", u), 0);
	be_uuid_format(u, text, sizeof text);
	assert_string_equal(text, "00112233-4455-6677-8899-aabbccddeeff");
	memcpy(want, u, sizeof want);
	assert_int_equal(be_nvml_parse_uuid(
	    "MIG-00112233-4455-6677-8899-AABBCCDDEEFF", u), 0);
	assert_memory_equal(u, want, 16);
	assert_int_equal(be_nvml_parse_uuid(
	    "00112233445566778899aabbccddeeff", u), 0);
	assert_memory_equal(u, want, 16);

	memset(u, 0x5a, sizeof u);
	assert_int_equal(be_nvml_parse_uuid("", u), -1);
	assert_int_equal(be_nvml_parse_uuid("GPU-", u), -1);
	assert_int_equal(be_nvml_parse_uuid(
	    "GPU-00112233-4455-6677-8899-aabbccddeef", u), -1);	/* 31 */
	assert_int_equal(be_nvml_parse_uuid(
	    "GPU-00112233-4455-6677-8899-aabbccddeeff0", u), -1);	/* 33 */
	assert_int_equal(be_nvml_parse_uuid(
	    "GPU-00112233-4455-6677-8899-aabbccddeegg", u), -1);
	assert_int_equal(be_nvml_parse_uuid(
	    "MIG-GPU-00112233-4455-6677-8899-aabbccddeeff/1/0", u), -1);
	/* A failed parse leaves the output alone. */
	for (size_t i = 0; i < sizeof u; i++)
		assert_int_equal(u[i], 0x5a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_init_fails),
		cmocka_unit_test(test_uuid_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
