/*
 * test_vulkan.c - the Vulkan backend against the real loader and whatever
 * ICDs the machine has; in CI that is Mesa lavapipe (llvmpipe), whose facts
 * are listed in shared/notes/devices.md.
 *
 * Shape: main() enumerates once and exits 77 (skipped) when there is no
 * Vulkan device at all.  The "no driver" case runs first and in a forked
 * child, because it points the loader at a missing ICD through the
 * environment and that must not leak into the other tests.  lavapipe-only
 * facts are checked on the lavapipe view when there is one; the generic
 * checks run on every device.  When the vulkaninfo tool is installed its
 * names and device-local heap sizes are compared with ours.
 *
 * Under valgrind the benchmark's wall-time bound is not checked (valgrind
 * slows the JIT-compiled shaders by orders of magnitude); everything else
 * is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <valgrind/valgrind.h>

#include "be_vulkan.h"

#define MAXV	16

/* Warnings (be_logf) and routine lines (be_infof), counted apart. */
struct logbuf {
	int	n;
	int	ninfo;
	char	last[512];
};

static void
log_collect(void *ctx, const char *msg)
{
	struct logbuf	*lb = ctx;

	lb->n++;
	be_strlcpy(lb->last, msg, sizeof lb->last);
}

static void
log_info(void *ctx, const char *msg)
{
	struct logbuf	*lb = ctx;

	lb->ninfo++;
	be_strlcpy(lb->last, msg, sizeof lb->last);
}

static struct be_view	views[MAXV];
static int		nviews;

/* The lavapipe view, or NULL. */
static struct be_view *
lavapipe(void)
{
	int	i;

	for (i = 0; i < nviews; i++)
		if (views[i].vendor_id == 0x10005 &&
		    strncmp(views[i].name, "llvmpipe", 8) == 0)
			return &views[i];
	return NULL;
}

static double
now_s(void)
{
	struct timespec	ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* With the loader pointed at a missing ICD: zero devices, no error. */
static void
test_no_driver(void **state)
{
	pid_t	pid;
	int	status;

	(void)state;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct be_view	v[2];
		struct logbuf	lb;
		struct be_log	log = { .fn = log_collect, .ctx = &lb,
		    .info = log_info };
		int		n;

		memset(&lb, 0, sizeof lb);
		if (setenv("VK_DRIVER_FILES", "/nonexistent.json", 1) == -1 ||
		    setenv("VK_ICD_FILENAMES", "/nonexistent.json", 1) == -1 ||
		    unsetenv("VK_ADD_DRIVER_FILES") == -1)
			_exit(2);
		n = be_vk_enumerate(v, 2, &log);
		if (n != 0)
			_exit(n == -1 ? 3 : 4);
		if (lb.ninfo == 0 || lb.n != 0)
			_exit(5);	/* logged as routine, not a warning */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_enumerate_generic(void **state)
{
	unsigned	a, b, c;
	int		i;

	(void)state;
	for (i = 0; i < nviews; i++) {
		struct be_view	*v = &views[i];

		assert_int_equal(v->api, BE_API_VULKAN);
		assert_int_equal(v->device_index, (uint32_t)i);
		assert_true(v->name[0] != '\0');
		assert_true(v->vendor[0] != '\0');
		assert_true(v->memory_total_bytes > 0);
		assert_true(v->dtypes & BE_DTYPE_FP32);
		assert_int_equal(v->compute_units, -1);
		assert_int_equal(v->clock_mhz, -1);
		assert_int_equal(sscanf(v->api_version, "%u.%u.%u", &a, &b,
		    &c), 3);
		assert_true(a >= 1);
		assert_true(v->driver_version[0] != '\0');
		assert_int_equal(v->verified, BE_VERIFY_NOT_RUN);
		assert_false(v->has_bench);
		if (!isnan(v->memory_free_bytes))
			assert_true(v->memory_free_bytes >= 0.0);
	}
}

static void
test_enumerate_lavapipe(void **state)
{
	struct be_view	*v = lavapipe();

	(void)state;
	if (v == NULL)
		skip();
	assert_int_equal(v->type, BE_TYPE_CPU);
	assert_string_equal(v->vendor, "Mesa");
	assert_true(v->memory_total_bytes > 0);
	assert_true(v->subgroup_size > 0);
	assert_true(v->dtypes & BE_DTYPE_FP16);
	assert_true(v->dtypes & BE_DTYPE_INT8);
	assert_true(v->has_uuid);
	assert_string_equal(v->driver_name, "llvmpipe");
	assert_false(v->pci.valid);	/* no VK_EXT_pci_bus_info */
}

static void
test_enumerate_max(void **state)
{
	struct be_view	one[1];
	struct logbuf	lb;
	struct be_log	log = { .fn = log_collect, .ctx = &lb,
	    .info = log_info };

	(void)state;
	memset(&lb, 0, sizeof lb);
	assert_int_equal(be_vk_enumerate(one, 0, &log), 0);
	assert_true(lb.n > 0);		/* the dropped devices are logged */
	assert_int_equal(be_vk_enumerate(one, 1, NULL), 1);
	assert_string_equal(one[0].name, views[0].name);
	assert_int_equal(be_vk_enumerate(NULL, 1, NULL), -1);
}

/* Reads one "key = value" line's value into buf; 0 if line has no key. */
static int
kv(const char *line, const char *key, char *buf, size_t len)
{
	const char	*p = line;
	size_t		 n;

	while (*p == ' ' || *p == '\t')
		p++;
	n = strlen(key);
	if (strncmp(p, key, n) != 0)
		return 0;
	p += n;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '=')
		return 0;
	while (*p == ' ')
		p++;
	be_strlcpy(buf, p, len);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 1;
}

/* vulkaninfo's device names (summary) and device-local heap totals. */
static void
test_vulkaninfo(void **state)
{
	char		line[1024], val[512];
	FILE		*f;
	uint64_t	heap[MAXV], size = 0;
	int		i, nnames = 0, dev = -1, in_heap = 0;

	(void)state;
	if (access("/usr/bin/vulkaninfo", X_OK) != 0 &&
	    access("/usr/local/bin/vulkaninfo", X_OK) != 0)
		skip();
	f = popen("vulkaninfo --summary 2>/dev/null", "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (!kv(line, "deviceName", val, sizeof val))
			continue;
		assert_true(nnames < nviews);
		assert_string_equal(views[nnames].name, val);
		nnames++;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(nnames, nviews);

	/* Full output: one VkPhysicalDeviceMemoryProperties per device. */
	memset(heap, 0, sizeof heap);
	f = popen("vulkaninfo 2>/dev/null", "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, "VkPhysicalDeviceMemoryProperties:") !=
		    NULL) {
			dev++;
			assert_true(dev < MAXV);
			in_heap = 0;
		} else if (dev >= 0 && strstr(line, "memoryHeaps[") != NULL) {
			in_heap = 1;
			size = 0;
		} else if (dev >= 0 && strstr(line, "memoryTypes") != NULL) {
			in_heap = 0;
		} else if (in_heap && kv(line, "size", val, sizeof val)) {
			size = strtoull(val, NULL, 10);
		} else if (in_heap &&
		    strstr(line, "MEMORY_HEAP_DEVICE_LOCAL_BIT") != NULL) {
			heap[dev] += size;
		}
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(dev + 1, nviews);
	for (i = 0; i < nviews; i++)
		assert_int_equal(heap[i], views[i].memory_total_bytes);
}

static void
test_verify_all(void **state)
{
	struct be_view	v;
	int		i;

	(void)state;
	for (i = 0; i < nviews; i++) {
		v = views[i];
		assert_int_equal(be_vk_verify(&v, NULL), 0);
		assert_int_equal(v.verified, BE_VERIFY_PASS);
		assert_string_equal(v.verify_reason, "");
	}
}

static void
test_verify_bad(void **state)
{
	struct be_view	v;
	struct logbuf	lb;
	struct be_log	log = { .fn = log_collect, .ctx = &lb,
	    .info = log_info };

	(void)state;
	memset(&lb, 0, sizeof lb);
	v = views[0];
	v.device_index = 1000;
	assert_int_equal(be_vk_verify(&v, &log), -1);
	assert_int_equal(v.verified, BE_VERIFY_FAIL);
	assert_non_null(strstr(v.verify_reason, "device list changed"));
	assert_true(lb.n > 0);

	v = views[0];
	be_strlcpy(v.name, "a device that is not there", sizeof v.name);
	assert_int_equal(be_vk_verify(&v, NULL), -1);
	assert_int_equal(v.verified, BE_VERIFY_FAIL);
	assert_non_null(strstr(v.verify_reason, "device list changed"));

	v = views[0];
	v.uuid[0] ^= 0xff;
	assert_int_equal(be_vk_verify(&v, NULL), -1 + !v.has_uuid);

	v = views[0];
	v.api = BE_API_OPENCL;
	assert_int_equal(be_vk_verify(&v, NULL), -1);
	assert_int_equal(v.verified, BE_VERIFY_FAIL);
	assert_true(v.verify_reason[0] != '\0');
}

static void
check_bench(const struct be_view *v, double wall)
{
	const struct be_bench	*b = &v->bench;

	assert_true(v->has_bench);
	assert_true(isfinite(b->memory_bandwidth_bytes_per_s));
	assert_true(isfinite(b->h2d_bandwidth_bytes_per_s));
	assert_true(isfinite(b->flops_per_s));
	assert_true(isfinite(b->elapsed_s));
	assert_true(b->memory_bandwidth_bytes_per_s > 0.0);
	assert_true(b->h2d_bandwidth_bytes_per_s > 0.0);
	assert_true(b->flops_per_s > 0.0);
	assert_true(b->elapsed_s > 0.0);
	assert_true(b->elapsed_s <= wall + 1e-3);
	/* Upper bounds catch unit slips (no device is this fast). */
	assert_true(b->memory_bandwidth_bytes_per_s < 1e14);
	assert_true(b->h2d_bandwidth_bytes_per_s < 1e14);
	assert_true(b->flops_per_s < 1e16);
	if (RUNNING_ON_VALGRIND)
		return;
	/*
	 * Lower bounds at native speed only.  How long the bench takes is a
	 * benchmark figure (tests/bench/bench_discovery), not asserted here.
	 */
	assert_true(b->memory_bandwidth_bytes_per_s > 1e7);
	assert_true(b->h2d_bandwidth_bytes_per_s > 1e7);
	assert_true(b->flops_per_s > 1e7);
}

static void
test_bench_lavapipe(void **state)
{
	struct be_view	*lp = lavapipe(), v;
	double		 t0, wall;

	(void)state;
	if (lp == NULL)
		skip();
	v = *lp;
	t0 = now_s();
	assert_int_equal(be_vk_bench(&v, NULL), 0);
	wall = now_s() - t0;
	check_bench(&v, wall);
	/* A CPU rasteriser on a CI box cannot beat these. */
	assert_true(v.bench.flops_per_s < 1e13);
	assert_true(v.bench.memory_bandwidth_bytes_per_s < 1e12);
	print_message("lavapipe bench: read %.2f GB/s, h2d %.2f GB/s, "
	    "%.2f GFLOP/s, %.3f s\n", v.bench.memory_bandwidth_bytes_per_s /
	    1e9, v.bench.h2d_bandwidth_bytes_per_s / 1e9,
	    v.bench.flops_per_s / 1e9, v.bench.elapsed_s);
}

static void
test_bench_all(void **state)
{
	struct be_view	v;
	double		t0;
	int		i;

	(void)state;
	for (i = 0; i < nviews; i++) {
		if (&views[i] == lavapipe())
			continue;	/* done above */
		v = views[i];
		t0 = now_s();
		assert_int_equal(be_vk_bench(&v, NULL), 0);
		check_bench(&v, now_s() - t0);
		print_message("%s bench: read %.2f GB/s, h2d %.2f GB/s, "
		    "%.2f GFLOP/s, %.3f s\n", v.name,
		    v.bench.memory_bandwidth_bytes_per_s / 1e9,
		    v.bench.h2d_bandwidth_bytes_per_s / 1e9,
		    v.bench.flops_per_s / 1e9, v.bench.elapsed_s);
	}
}

static void
test_bench_bad(void **state)
{
	struct be_view	v;
	struct logbuf	lb;
	struct be_log	log = { .fn = log_collect, .ctx = &lb,
	    .info = log_info };

	(void)state;
	memset(&lb, 0, sizeof lb);
	v = views[0];
	v.device_index = 1000;
	assert_int_equal(be_vk_bench(&v, &log), -1);
	assert_false(v.has_bench);
	assert_true(isnan(v.bench.flops_per_s));
	assert_true(lb.n > 0);
	assert_non_null(strstr(lb.last, "device list changed"));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_no_driver),
		cmocka_unit_test(test_enumerate_generic),
		cmocka_unit_test(test_enumerate_lavapipe),
		cmocka_unit_test(test_enumerate_max),
		cmocka_unit_test(test_vulkaninfo),
		cmocka_unit_test(test_verify_all),
		cmocka_unit_test(test_verify_bad),
		cmocka_unit_test(test_bench_lavapipe),
		cmocka_unit_test(test_bench_all),
		cmocka_unit_test(test_bench_bad),
	};
	struct logbuf	lb;
	struct be_log	log = { .fn = log_collect, .ctx = &lb,
	    .info = log_info };

	memset(&lb, 0, sizeof lb);
	nviews = be_vk_enumerate(views, MAXV, &log);
	if (nviews < 0) {
		fprintf(stderr, "be_vk_enumerate failed: %s\n", lb.last);
		return 1;
	}
	if (nviews == 0) {
		printf("skipped: no Vulkan device (%s)\n", lb.last);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
