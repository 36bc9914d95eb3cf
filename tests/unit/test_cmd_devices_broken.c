/*
 * test_cmd_devices_broken.c - `exogpu devices` on a machine with broken
 * drivers and broken sysfs: a Vulkan ICD and an OpenCL ICD that crash on
 * their first call (tests/icd/crash_icd.c), and a sysfs/procfs tree full
 * of garbage.  Each costs only its own answer, is logged with the reason,
 * and the command still lists the CPU and exits 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char	tmp[] = "/tmp/exogpu-broken-XXXXXX";

struct run {
	int	status;
	char	out[65536];
	char	err[65536];
};

static void
slurp(const char *path, char *buf, size_t size)
{
	FILE	*f = fopen(path, "r");
	size_t	 n = 0;

	if (f != NULL) {
		n = fread(buf, 1, size - 1, f);
		(void)fclose(f);
	}
	buf[n] = '\0';
}

static void
run(struct run *r, const char *env, const char *args)
{
	char	cmd[2048], o[300], e[300];
	int	st;

	(void)snprintf(o, sizeof o, "%s/out", tmp);
	(void)snprintf(e, sizeof e, "%s/err", tmp);
	(void)snprintf(cmd, sizeof cmd, "env %s %s devices --no-cache %s "
	    ">%s 2>%s", env, EXOGPU_BIN, args, o, e);
	st = system(cmd);
	assert_true(st != -1 && WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	slurp(o, r->out, sizeof r->out);
	slurp(e, r->err, sizeof r->err);
}

static int
setup(void **state)
{
	char	path[300];
	FILE	*f;

	if (mkdtemp(tmp) == NULL)
		return -1;
	(void)snprintf(path, sizeof path, "%s/crash_icd.json", tmp);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	(void)fprintf(f, "{\"file_format_version\": \"1.0.0\", \"ICD\": "
	    "{\"library_path\": \"%s\", \"api_version\": \"1.3.0\"}}\n",
	    EXOGPU_CRASH_ICD);
	(void)fclose(f);
	(void)snprintf(path, sizeof path, "%s/vendors", tmp);
	if (mkdir(path, 0700) != 0)
		return -1;
	(void)snprintf(path, sizeof path, "%s/vendors/crash.icd", tmp);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	(void)fprintf(f, "%s\n", EXOGPU_CRASH_ICD);
	(void)fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[300];

	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_crashing_vulkan_icd(void **state)
{
	struct run	*r = malloc(sizeof *r);
	char		 env[600];

	assert_non_null(r);
	(void)snprintf(env, sizeof env, "VK_DRIVER_FILES=%s/crash_icd.json "
	    "VK_ICD_FILENAMES=%s/crash_icd.json", tmp, tmp);
	run(r, env, "--json");
	assert_int_equal(r->status, 0);
	if (strstr(r->err, "vulkan: device enumeration failed: killed by "
	    "signal 11") == NULL)
		fail_msg("no crash report in: %s", r->err);
	assert_non_null(strstr(r->out, "\"id\": \"cpu\""));
	assert_null(strstr(r->out, "\"api\": \"vulkan\""));
	free(r);
}

static void
test_crashing_opencl_icd(void **state)
{
	struct run	*r = malloc(sizeof *r);
	char		 env[600];

	assert_non_null(r);
	(void)snprintf(env, sizeof env, "OCL_ICD_VENDORS=%s/vendors", tmp);
	run(r, env, "--json");
	assert_int_equal(r->status, 0);
	if (strstr(r->err, "opencl: device enumeration failed: killed by "
	    "signal 11") == NULL)
		fail_msg("no crash report in: %s", r->err);
	assert_non_null(strstr(r->out, "\"id\": \"cpu\""));
	assert_null(strstr(r->out, "\"api\": \"opencl\""));
	free(r);
}

static void
test_garbage_sysfs(void **state)
{
	struct run	*r = malloc(sizeof *r);
	char		 args[600];

	assert_non_null(r);
	(void)snprintf(args, sizeof args, "--json --sysfs-root %s/tests/"
	    "fixtures/sysfs/broken", EXOGPU_SOURCE_DIR);
	run(r, "EXOGPU_TEST=1", args);
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->out, "\"id\": \"cpu\""));
	/* Unknown is null, never a made-up 0. */
	assert_null(strstr(r->out, "\"memory_available_bytes\": 0,"));
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crashing_vulkan_icd),
		cmocka_unit_test(test_crashing_opencl_icd),
		cmocka_unit_test(test_garbage_sysfs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
