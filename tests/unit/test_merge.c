/*
 * test_merge.c - the one-record-per-physical-device rules
 * (backends/be_merge.c): CPU views collapse into the host CPU, GPUs match
 * by PCI address then UUID, telemetry attaches by PCI address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_merge.h"

static struct be_node	node;

static void
mkview(struct be_view *v, enum be_api api, enum be_type type,
    const char *name, const char *pci, int uuid_byte)
{
	be_view_init(v);
	v->api = api;
	v->type = type;
	be_strlcpy(v->name, name, sizeof v->name);
	be_strlcpy(v->vendor, "vendor", sizeof v->vendor);
	if (pci != NULL)
		assert_int_equal(be_pci_parse(pci, &v->pci), 0);
	if (uuid_byte >= 0) {
		v->has_uuid = true;
		memset(v->uuid, uuid_byte, sizeof v->uuid);
	}
	v->memory_total_bytes = 1u << 30;
	v->dtypes = BE_DTYPE_FP32;
	v->verified = BE_VERIFY_PASS;
}

static int
setup(void **state)
{
	be_node_init(&node);
	be_strlcpy(node.cpu_model, "Test CPU 9000", sizeof node.cpu_model);
	node.cpu_threads = 16;
	node.memory_total_bytes = 64.0 * (1u << 30);
	node.memory_available_bytes = 40.0 * (1u << 30);
	return 0;
}

static struct be_device *
find(struct be_device *d, int n, const char *id)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(d[i].id, id) == 0)
			return &d[i];
	return NULL;
}

static void
test_cpu_views_collapse(void **state)
{
	struct be_view		v[2];
	struct be_device	*d = calloc(8, sizeof *d);
	int			n;

	mkview(&v[0], BE_API_VULKAN, BE_TYPE_CPU, "llvmpipe (LLVM 15)", NULL,
	    0x4d);
	v[0].dtypes |= BE_DTYPE_FP16;
	mkview(&v[1], BE_API_OPENCL, BE_TYPE_CPU, "pthread-skylake", NULL, -1);
	be_strlcpy(v[1].vendor, "GenuineIntel", sizeof v[1].vendor);
	v[1].has_bench = true;
	v[1].bench.flops_per_s = 1e11;
	n = be_merge(v, 2, &node, d, 8, NULL);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].id, "cpu");
	assert_string_equal(d[0].name, "Test CPU 9000");
	assert_string_equal(d[0].vendor, "GenuineIntel");
	assert_int_equal(d[0].type, BE_TYPE_CPU);
	assert_int_equal(d[0].apis, BE_API_VULKAN | BE_API_OPENCL);
	assert_int_equal(d[0].nviews, 2);
	assert_int_equal(d[0].compute_units, 16);
	assert_int_equal(d[0].memory_total_bytes, 64ull << 30);
	assert_true(d[0].memory_free_bytes == 40.0 * (1u << 30));
	assert_true(d[0].dtypes & BE_DTYPE_FP16);
	assert_true(d[0].has_bench);
	assert_true(d[0].bench.flops_per_s == 1e11);
	free(d);
}

static void
test_no_api_still_has_cpu(void **state)
{
	struct be_device	*d = calloc(4, sizeof *d);

	assert_int_equal(be_merge(NULL, 0, &node, d, 4, NULL), 1);
	assert_string_equal(d[0].id, "cpu");
	assert_int_equal(d[0].apis, 0);
	free(d);
}

static void
test_gpu_match_pci_then_uuid(void **state)
{
	struct be_view		v[6];
	struct be_device	*d = calloc(8, sizeof *d), *g;
	int			n;

	/* One NVIDIA GPU: Vulkan has PCI+UUID, OpenCL only PCI. */
	mkview(&v[0], BE_API_OPENCL, BE_TYPE_GPU, "NVIDIA GeForce RTX 4090",
	    "0000:01:00.0", -1);
	v[0].compute_units = 128;
	v[0].clock_mhz = 2520;
	mkview(&v[1], BE_API_VULKAN, BE_TYPE_GPU, "NVIDIA GeForce RTX 4090",
	    "0000:01:00.0", 0x11);
	v[1].memory_total_bytes = 24ull << 30;
	/* An AMD GPU through RADV and AMDVLK (same PCI address). */
	mkview(&v[2], BE_API_VULKAN, BE_TYPE_GPU, "AMD Radeon (RADV)",
	    "0000:03:00.0", 0x22);
	mkview(&v[3], BE_API_VULKAN, BE_TYPE_GPU, "AMD Radeon (AMDVLK)",
	    "0000:03:00.0", 0x23);
	/* An OpenCL view with only the UUID of the RADV view. */
	mkview(&v[4], BE_API_OPENCL, BE_TYPE_GPU, "gfx1100", NULL, 0x22);
	/* A device with neither key stays on its own. */
	mkview(&v[5], BE_API_OPENCL, BE_TYPE_OTHER, "accelerator", NULL, -1);
	v[5].platform_index = 2;
	v[5].device_index = 1;
	n = be_merge(v, 6, &node, d, 8, NULL);
	assert_int_equal(n, 4);
	g = find(d, n, "pci-0000:01:00.0");
	assert_non_null(g);
	assert_int_equal(g->apis, BE_API_VULKAN | BE_API_OPENCL);
	assert_string_equal(g->name, "NVIDIA GeForce RTX 4090");
	assert_int_equal(g->compute_units, 128);
	assert_int_equal(g->clock_mhz, 2520);
	assert_int_equal(g->memory_total_bytes, 24ull << 30);
	assert_true(g->has_uuid);
	assert_int_equal(g->uuid[0], 0x11);
	g = find(d, n, "pci-0000:03:00.0");
	assert_non_null(g);
	assert_int_equal(g->nviews, 3);
	assert_int_equal(g->apis, BE_API_VULKAN | BE_API_OPENCL);
	assert_non_null(find(d, n, "opencl-2-1"));
	free(d);
}

static void
test_uuid_only_views(void **state)
{
	struct be_view		v[2];
	struct be_device	*d = calloc(8, sizeof *d);
	int			n;

	mkview(&v[0], BE_API_VULKAN, BE_TYPE_INTEGRATED, "Mali-G710", NULL, 7);
	mkview(&v[1], BE_API_OPENCL, BE_TYPE_INTEGRATED, "Mali-G710 r0p0",
	    NULL, 7);
	n = be_merge(v, 2, &node, d, 8, NULL);
	assert_int_equal(n, 2);
	assert_string_equal(d[1].id,
	    "uuid-07070707-0707-0707-0707-070707070707");
	assert_int_equal(d[1].type, BE_TYPE_INTEGRATED);
	assert_int_equal(d[1].apis, BE_API_VULKAN | BE_API_OPENCL);
	free(d);
}

static void
test_limits(void **state)
{
	struct be_view		*v = calloc(BE_MAX_VIEWS + 3, sizeof *v);
	struct be_device	*d = calloc(3, sizeof *d);
	int			 i, n;

	for (i = 0; i < BE_MAX_VIEWS + 3; i++)
		mkview(&v[i], BE_API_VULKAN, BE_TYPE_GPU, "same", "01:00.0",
		    -1);
	n = be_merge(v, BE_MAX_VIEWS + 3, &node, d, 3, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(d[1].nviews, BE_MAX_VIEWS);
	/* Distinct GPUs beyond the record limit are dropped, not overrun. */
	for (i = 0; i < 5; i++) {
		char pci[16];

		(void)snprintf(pci, sizeof pci, "0%d:00.0", i + 1);
		mkview(&v[i], BE_API_VULKAN, BE_TYPE_GPU, "gpu", pci, -1);
	}
	assert_int_equal(be_merge(v, 5, &node, d, 3, NULL), 3);
	free(v);
	free(d);
}

static void
test_telemetry_attach(void **state)
{
	struct be_view		v[1];
	struct be_device	*d = calloc(8, sizeof *d);
	struct be_gpu_sysfs	s;
	struct be_gpu_nvml	g[2];
	int			n;

	mkview(&v[0], BE_API_VULKAN, BE_TYPE_GPU, "AMD Radeon RX 7900 XTX",
	    "0000:03:00.0", -1);
	n = be_merge(v, 1, &node, d, 8, NULL);
	memset(&s, 0, sizeof s);
	assert_int_equal(be_pci_parse("0000:03:00.0", &s.pci), 0);
	be_telemetry_init(&s.t);
	s.t.memory_total_bytes = 24e9;
	s.t.memory_used_bytes = 4e9;
	s.t.temperature_celsius = 55;
	s.memory_total_bytes = 24e9;
	be_merge_sysfs(d, n, &s, 1);
	assert_true(d[1].telemetry.temperature_celsius == 55);
	assert_int_equal(d[1].memory_total_bytes, 24000000000ull);
	assert_true(d[1].memory_free_bytes == 20e9);

	/* NVML: one GPU matches nothing here, so it becomes a record. */
	memset(g, 0, sizeof g);
	assert_int_equal(be_pci_parse("00000000:41:00.0", &g[0].pci), 0);
	be_strlcpy(g[0].name, "NVIDIA H100 80GB HBM3", sizeof g[0].name);
	be_telemetry_init(&g[0].t);
	g[0].memory_total_bytes = 80e9;
	n = be_merge_nvml(d, n, 8, g, 1, NULL);
	assert_int_equal(n, 3);
	assert_string_equal(d[2].id, "pci-0000:41:00.0");
	assert_string_equal(d[2].name, "NVIDIA H100 80GB HBM3");
	assert_int_equal(d[2].apis, 0);
	assert_int_equal(d[2].memory_total_bytes, 80000000000ull);
	assert_true(isnan(d[2].memory_free_bytes));
	free(d);
}

static void
test_pci_parse(void **state)
{
	struct be_pci	p;
	char		buf[32];

	assert_int_equal(be_pci_parse("0000:0a:1f.7", &p), 0);
	be_pci_format(&p, buf, sizeof buf);
	assert_string_equal(buf, "0000:0a:1f.7");
	assert_int_equal(be_pci_parse("00000001:41:00.0", &p), 0);
	assert_int_equal(p.domain, 1);
	assert_int_equal(be_pci_parse("41:00.1", &p), 0);
	assert_int_equal(p.fn, 1);
	assert_int_equal(be_pci_parse("41:20.0", &p), -1);	/* dev > 31 */
	assert_int_equal(be_pci_parse("41:00.8", &p), -1);	/* fn > 7 */
	assert_int_equal(be_pci_parse("41:00", &p), -1);
	assert_int_equal(be_pci_parse("", &p), -1);
	assert_int_equal(be_pci_parse("0000:41:00.0x", &p), -1);
	assert_int_equal(be_pci_parse("123456789:00:00.0", &p), -1);
	assert_false(p.valid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_views_collapse),
		cmocka_unit_test(test_no_api_still_has_cpu),
		cmocka_unit_test(test_gpu_match_pci_then_uuid),
		cmocka_unit_test(test_uuid_only_views),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_telemetry_attach),
		cmocka_unit_test(test_pci_parse),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
