/*
 * test_registry.c - the registry cache round-trips views exactly, rejects
 * every kind of damage, carries bench figures only across an unchanged
 * driver, and its fingerprint follows the hardware/driver set-up
 * (backends/be_registry.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "be_registry.h"

static void
sample(struct be_view *v, int i)
{
	be_view_init(v);
	v->api = i % 2 ? BE_API_OPENCL : BE_API_VULKAN;
	v->platform_index = (uint32_t)i;
	v->device_index = (uint32_t)i + 1;
	(void)snprintf(v->name, sizeof v->name, "device \"%d\" \xc3\xa9", i);
	be_strlcpy(v->vendor, "Mesa", sizeof v->vendor);
	v->vendor_id = 0x10005;
	v->type = BE_TYPE_CPU;
	be_strlcpy(v->driver_name, "llvmpipe", sizeof v->driver_name);
	be_strlcpy(v->driver_version, "22.3.6", sizeof v->driver_version);
	be_strlcpy(v->api_version, "1.3.230", sizeof v->api_version);
	if (i == 0) {
		v->has_uuid = true;
		memset(v->uuid, 0xab, 16);
		(void)be_pci_parse("0000:01:00.0", &v->pci);
		v->memory_free_bytes = 123456789.0;
		v->has_bench = true;
		v->bench.memory_bandwidth_bytes_per_s = 1.5e10;
		v->bench.h2d_bandwidth_bytes_per_s = 5e9;
		v->bench.flops_per_s = 2.5e11;
		v->bench.elapsed_s = 0.75;
	}
	v->memory_total_bytes = 2147483648ull;
	v->compute_units = i == 0 ? -1 : 8;
	v->subgroup_size = 8;
	v->dtypes = BE_DTYPE_FP32 | BE_DTYPE_FP16;
	v->verified = i == 1 ? BE_VERIFY_FAIL : BE_VERIFY_PASS;
	if (i == 1)
		be_strlcpy(v->verify_reason, "readback mismatch at byte 4",
		    sizeof v->verify_reason);
}

static void
test_roundtrip(void **state)
{
	struct be_view	in[3], out[3];
	char		fp[BE_FINGERPRINT_LEN], err[256], *text;
	size_t		len;
	int		i;

	for (i = 0; i < 3; i++)
		sample(&in[i], i);
	text = be_registry_encode("0123456789abcdef", in, 3, &len);
	assert_non_null(text);
	assert_int_equal(be_registry_decode(text, len, fp, out, 3, err,
	    sizeof err), 3);
	assert_string_equal(fp, "0123456789abcdef");
	for (i = 0; i < 3; i++) {
		assert_string_equal(out[i].name, in[i].name);
		assert_int_equal(out[i].api, in[i].api);
		assert_int_equal(out[i].device_index, in[i].device_index);
		assert_int_equal(out[i].has_uuid, in[i].has_uuid);
		assert_memory_equal(out[i].uuid, in[i].uuid, 16);
		assert_int_equal(be_pci_equal(&out[i].pci, &in[i].pci),
		    in[i].pci.valid);
		assert_int_equal(out[i].memory_total_bytes,
		    in[i].memory_total_bytes);
		assert_int_equal(out[i].compute_units, in[i].compute_units);
		assert_int_equal(out[i].dtypes, in[i].dtypes);
		assert_int_equal(out[i].verified, in[i].verified);
		assert_string_equal(out[i].verify_reason, in[i].verify_reason);
		assert_int_equal(out[i].has_bench, in[i].has_bench);
		assert_true(be_view_same_identity(&out[i], &in[i]));
	}
	assert_true(out[0].bench.flops_per_s == 2.5e11);
	assert_true(out[0].memory_free_bytes == 123456789.0);
	assert_true(isnan(out[1].memory_free_bytes));
	/* Too many views for the caller's array is an error, not overrun. */
	assert_int_equal(be_registry_decode(text, len, fp, out, 2, err,
	    sizeof err), -1);
	free(text);
}

static void
expect_bad(const char *text, const char *needle)
{
	struct be_view	out[4];
	char		fp[BE_FINGERPRINT_LEN], err[256];

	assert_int_equal(be_registry_decode(text, strlen(text), fp, out, 4,
	    err, sizeof err), -1);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s' for input %s", err, needle,
		    text);
}

static void
test_damage_rejected(void **state)
{
	struct be_view	in;
	char		*text, *cut;
	size_t		len;

	expect_bad("", "line");
	expect_bad("{", "line");
	expect_bad("[]", "version");
	expect_bad("{\"version\": 1}", "version");
	expect_bad("{\"version\": 2, \"fingerprint\": \"short\"}",
	    "fingerprint");
	expect_bad("{\"version\": 2, \"version\": 2}", "duplicate");
	expect_bad("{\"version\": 2, \"fingerprint\": \"0123456789abcdef\", "
	    "\"views\": {}}", "views");
	expect_bad("{\"version\": 2, \"fingerprint\": \"0123456789abcdef\", "
	    "\"views\": [1]}", "views[0]");
	expect_bad("{\"version\": 2, \"fingerprint\": \"0123456789abcdef\", "
	    "\"views\": [{}, {}, {}, {}, {}]}", "at most 4");
	sample(&in, 0);
	text = be_registry_encode("0123456789abcdef", &in, 1, &len);
	assert_non_null(text);
	/* Every truncation of a valid file is rejected. */
	for (size_t i = 0; i < len - 2; i += 7) {
		struct be_view	out[1];
		char		fp[BE_FINGERPRINT_LEN], err[256];

		cut = strndup(text, i);
		assert_int_equal(be_registry_decode(cut, i, fp, out, 1, err,
		    sizeof err), -1);
		free(cut);
	}
	/* Field-level damage names the field. */
	{
		char *p = strstr(text, "\"memory_total_bytes\": ");

		assert_non_null(p);
		p[22] = '-';
		expect_bad(text, "memory_total_bytes");
	}
	free(text);
}

static void
test_carry_bench(void **state)
{
	struct be_view	old[1], nv[2];

	sample(&old[0], 0);
	sample(&nv[0], 0);
	nv[0].has_bench = false;
	sample(&nv[1], 0);
	nv[1].has_bench = false;
	be_strlcpy(nv[1].driver_version, "23.0.0", sizeof nv[1].driver_version);
	be_registry_carry_bench(nv, 2, old, 1);
	assert_true(nv[0].has_bench);
	assert_true(nv[0].bench.flops_per_s == 2.5e11);
	assert_false(nv[1].has_bench);	/* driver changed: re-measure */
}

static void
write_file(const char *root, const char *rel, const char *content)
{
	char	path[512], cmd[600];
	FILE	*f;

	(void)snprintf(path, sizeof path, "%s%s", root, rel);
	(void)snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(content, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void
test_fingerprint_follows_setup(void **state)
{
	char	root[] = "/tmp/exogpu-fp-XXXXXX", a[BE_FINGERPRINT_LEN];
	char	b[BE_FINGERPRINT_LEN], c[BE_FINGERPRINT_LEN], cmd[128];

	assert_non_null(mkdtemp(root));
	write_file(root, "/proc/cpuinfo",
	    "processor\t: 0\nmodel name\t: Test CPU\nprocessor\t: 1\n");
	write_file(root, "/sys/bus/pci/devices/0000:01:00.0/class",
	    "0x030000\n");
	write_file(root, "/sys/bus/pci/devices/0000:01:00.0/vendor", "0x10de\n");
	write_file(root, "/sys/bus/pci/devices/0000:01:00.0/device", "0x2684\n");
	write_file(root, "/sys/bus/pci/devices/0000:00:1f.0/class", "0x060100\n");
	write_file(root, "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", "{}");
	be_registry_fingerprint(root, a);
	be_registry_fingerprint(root, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 16);
	/* A non-display PCI function does not matter... */
	write_file(root, "/sys/bus/pci/devices/0000:00:1f.0/vendor", "0x8086\n");
	be_registry_fingerprint(root, b);
	assert_string_equal(a, b);
	/* ...a new ICD, a new GPU or a changed CPU does. */
	write_file(root, "/etc/OpenCL/vendors/pocl.icd", "libpocl.so.2\n");
	be_registry_fingerprint(root, b);
	assert_string_not_equal(a, b);
	write_file(root, "/sys/bus/pci/devices/0000:02:00.0/class",
	    "0x030200\n");
	be_registry_fingerprint(root, c);
	assert_string_not_equal(b, c);
	write_file(root, "/proc/cpuinfo", "processor\t: 0\nmodel name\t: "
	    "Test CPU\n");
	be_registry_fingerprint(root, a);
	assert_string_not_equal(a, c);
	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_damage_rejected),
		cmocka_unit_test(test_carry_bench),
		cmocka_unit_test(test_fingerprint_follows_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
