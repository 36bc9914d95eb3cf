/*
 * test_cmd_devices.c - `exogpu devices` end to end: exit codes and usage,
 * the JSON contract, the CPU listed once through Vulkan (lavapipe) and
 * OpenCL (PoCL) and verified on both, names and memory matching vulkaninfo
 * and clinfo, and the registry cache (hit, corrupt -> rebuilt, refresh).
 *
 * It runs the real binary (EXOGPU_BIN) the way a user does.  Checks that
 * need lavapipe or PoCL skip when their ICD is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char	tmp[] = "/tmp/exogpu-cmd-XXXXXX";
static char	datadir[256];

struct run {
	int	 status;
	char	*out;
	char	*err;
};

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	(void)fclose(f);
	return buf;
}

static struct run
run(const char *args)
{
	struct run	r;
	char		cmd[2048], o[300], e[300];
	int		st;

	(void)snprintf(o, sizeof o, "%s/stdout", tmp);
	(void)snprintf(e, sizeof e, "%s/stderr", tmp);
	(void)snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s </dev/null",
	    EXOGPU_BIN, args, o, e);
	st = system(cmd);
	assert_true(st != -1 && WIFEXITED(st));
	r.status = WEXITSTATUS(st);
	r.out = slurp(o);
	r.err = slurp(e);
	return r;
}

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static int
setup(void **state)
{
	if (mkdtemp(tmp) == NULL)
		return -1;
	(void)snprintf(datadir, sizeof datadir, "%s/state", tmp);
	/* Keep PoCL's kernel cache out of $HOME and shared between runs. */
	(void)setenv("POCL_CACHE_DIR", tmp, 1);
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
test_usage_and_exit_codes(void **state)
{
	struct run	r;

	r = run("--help");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "devices"));
	run_free(&r);
	r = run("--version");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "exogpu "));
	run_free(&r);
	r = run("");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage:"));
	run_free(&r);
	r = run("no-such-command");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command"));
	run_free(&r);
	r = run("devices --no-such-flag");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: exogpu devices"));
	run_free(&r);
	r = run("devices --data-dir");
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = run("devices extra");
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = run("devices --help");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--bench"));
	assert_string_equal(r.err, "");
	run_free(&r);
}

static int
have_file(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0;
}

static int
have_lavapipe(void)
{
	return have_file("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json") ||
	    have_file("/usr/share/vulkan/icd.d/lvp_icd.aarch64.json");
}

static int
have_pocl(void)
{
	return have_file("/etc/OpenCL/vendors/pocl.icd");
}

/* First line of a shell pipeline's output, trimmed; "" if none. */
static void
shell_line(const char *cmd, char *buf, size_t size)
{
	FILE	*p = popen(cmd, "r");
	size_t	 n;

	buf[0] = '\0';
	if (p == NULL)
		return;
	if (fgets(buf, (int)size, p) == NULL)
		buf[0] = '\0';
	(void)pclose(p);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

static const json_t *
view_of(const json_t *dev, const char *api)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(json_object_get(dev, "views"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "api")), api)
		    == 0)
			return v;
	return NULL;
}

static void
check_against_tools(const json_t *cpu)
{
	const json_t	*vk = view_of(cpu, "vulkan"), *cl = view_of(cpu,
			    "opencl");
	char		 line[512];
	double		 mem;

	shell_line("vulkaninfo 2>/dev/null | sed -n "
	    "'s/^[[:space:]]*deviceName *= *//p' | grep -m1 llvmpipe",
	    line, sizeof line);
	if (line[0] != '\0' && vk != NULL) {
		assert_string_equal(line, json_string_value(json_object_get(vk,
		    "name")));
		shell_line("vulkaninfo 2>/dev/null | sed -n 's/^[[:space:]]*"
		    "size *= *\\([0-9]*\\).*/\\1/p' | head -1", line,
		    sizeof line);
		assert_int_equal(strtoull(line, NULL, 10), json_integer_value(
		    json_object_get(vk, "memory_total_bytes")));
	} else
		print_message("vulkaninfo absent: name check skipped\n");
	shell_line("clinfo --raw 2>/dev/null | sed -n "
	    "'s/^.*CL_DEVICE_NAME *//p' | head -1", line, sizeof line);
	if (line[0] != '\0' && cl != NULL) {
		assert_string_equal(line, json_string_value(json_object_get(cl,
		    "name")));
		shell_line("clinfo --raw 2>/dev/null | sed -n "
		    "'s/^.*CL_DEVICE_GLOBAL_MEM_SIZE *//p' | head -1", line,
		    sizeof line);
		/* PoCL's figure moves between runs (shared/notes/devices.md). */
		mem = (double)json_integer_value(json_object_get(cl,
		    "memory_total_bytes"));
		assert_true(fabs(strtod(line, NULL) - mem) <= 0.25 * mem);
	} else
		print_message("clinfo absent: name check skipped\n");
}

static void
test_cpu_once_via_both_apis(void **state)
{
	json_error_t	 jerr;
	json_t		*root, *devs, *d, *cpu = NULL, *bench;
	char		 args[512];
	struct run	 r;
	size_t		 i;
	int		 ncpu = 0;

	if (!have_lavapipe() || !have_pocl())
		skip();
	(void)snprintf(args, sizeof args, "devices --json --bench "
	    "--data-dir %s", datadir);
	r = run(args);
	assert_int_equal(r.status, 0);
	root = json_loads(r.out, 0, &jerr);
	if (root == NULL)
		fail_msg("bad JSON: %s\n%s", jerr.text, r.out);
	assert_true(json_is_string(json_object_get(json_object_get(root,
	    "node"), "cpu")));
	assert_true(json_is_number(json_object_get(json_object_get(root,
	    "node"), "memory_total_bytes")));
	devs = json_object_get(root, "devices");
	json_array_foreach(devs, i, d) {
		assert_true(json_is_string(json_object_get(d, "id")));
		assert_true(json_is_object(json_object_get(d, "telemetry")));
		if (strcmp(json_string_value(json_object_get(d, "type")),
		    "cpu") == 0) {
			cpu = d;
			ncpu++;
		}
	}
	assert_int_equal(ncpu, 1);
	assert_int_equal(json_array_size(json_object_get(cpu, "apis")), 2);
	assert_true(json_is_true(json_object_get(json_object_get(cpu,
	    "verified"), "vulkan")));
	assert_true(json_is_true(json_object_get(json_object_get(cpu,
	    "verified"), "opencl")));
	bench = json_object_get(cpu, "bench");
	assert_true(json_is_object(bench));
	assert_true(json_number_value(json_object_get(bench,
	    "memory_bandwidth_bytes_per_s")) > 1e8);
	assert_true(json_number_value(json_object_get(bench,
	    "h2d_bandwidth_bytes_per_s")) > 1e8);
	assert_true(json_number_value(json_object_get(bench, "flops_per_s")) >
	    1e8);
	check_against_tools(cpu);
	json_decref(root);
	run_free(&r);
}

static void
test_registry_cache(void **state)
{
	char		 args[512], path[300], *text;
	struct run	 r;
	FILE		*f;

	(void)snprintf(args, sizeof args, "-v devices --data-dir %s", datadir);
	r = run(args);			/* first: discover (or cache from above) */
	assert_int_equal(r.status, 0);
	run_free(&r);
	r = run(args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "registry cache"));
	run_free(&r);

	(void)snprintf(path, sizeof path, "%s/devices.json", datadir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs("{\"version\": 1, \"views\": [garbage", f) >= 0);
	assert_int_equal(fclose(f), 0);
	r = run(args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "corrupt"));
	assert_non_null(strstr(r.err, "discovered"));
	assert_non_null(strstr(r.out, "cpu"));
	run_free(&r);
	text = slurp(path);
	assert_non_null(strstr(text, "\"fingerprint\""));
	free(text);
	r = run(args);
	assert_non_null(strstr(r.err, "registry cache"));
	run_free(&r);

	(void)snprintf(args, sizeof args, "-v devices --refresh --data-dir %s",
	    datadir);
	r = run(args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "discovered"));
	run_free(&r);
}

static void
test_unwritable_datadir_still_answers(void **state)
{
	struct run	r;

	r = run("devices --data-dir /proc/exogpu-cannot-exist");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "not caching"));
	assert_non_null(strstr(r.out, "cpu"));
	run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_and_exit_codes),
		cmocka_unit_test(test_cpu_once_via_both_apis),
		cmocka_unit_test(test_registry_cache),
		cmocka_unit_test(test_unwritable_datadir_still_answers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
