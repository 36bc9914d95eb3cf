/*
 * test_opencl.c - the OpenCL backend against the real ICD loader and
 * whatever platforms the machine has; in CI that is PoCL on the CPU, whose
 * facts are listed in shared/notes/devices.md.
 *
 * Shape: main() points the loader at PoCL alone when its ICD file exists
 * (so a developer's other ICDs cannot change the answers) and gives PoCL a
 * private kernel cache, both before the loader is first used; then it
 * enumerates once and exits 77 (skipped) when there is no device at all.
 * The "no ICD" case must see a loader that has never run, so it re-executes
 * this binary in a child with OCL_ICD_VENDORS naming an empty directory.
 * PoCL-only facts are checked on the PoCL view; generic checks run on every
 * device.  When clinfo is installed its names, compute units and global
 * memory sizes are compared with ours.
 *
 * The first bench call compiles the kernels into the empty cache (a cold
 * PoCL build alone takes 0.6-1.5 s here), the second finds them cached.
 * How long each takes is a benchmark figure (tests/bench/bench_discovery),
 * not asserted here, where machine load decides.  Under valgrind the lower
 * speed bounds are not checked (LLVM and the kernels run far slower
 * there), nor is clinfo compared (PoCL names the device after valgrind's
 * emulated CPU); everything else is.  test_opencl.supp holds the
 * valgrind suppressions for leaks inside PoCL and LLVM, and
 * __lsan_default_suppressions below the LeakSanitizer ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <valgrind/valgrind.h>

#include "be_opencl.h"

#define MAXV		16
#define POCL_ICD	"/etc/OpenCL/vendors/pocl.icd"
#define POCL_PLATFORM	"Portable Computing Language"
#define CHILD_FLAG	"--empty-icd-child"

struct logbuf {
	int	n;
	char	last[512];
};

static void
log_collect(void *ctx, const char *msg)
{
	struct logbuf	*lb = ctx;

	lb->n++;
	be_strlcpy(lb->last, msg, sizeof lb->last);
}

static struct be_view	views[MAXV];
static int		nviews;
static int		pinned;		/* loader limited to PoCL */
static const char	*self_path;

/* The PoCL view, or NULL. */
static struct be_view *
pocl(void)
{
	int	i;

	for (i = 0; i < nviews; i++)
		if (strcmp(views[i].driver_name, POCL_PLATFORM) == 0)
			return &views[i];
	return NULL;
}

/* --- enumeration ------------------------------------------------------ */

static void
test_enumerate_generic(void **state)
{
	const struct be_view	*v;
	unsigned		 maj, min;
	int			 i;

	(void)state;
	for (i = 0; i < nviews; i++) {
		v = &views[i];
		assert_int_equal(v->api, BE_API_OPENCL);
		assert_true(v->name[0] != '\0');
		assert_true(v->driver_name[0] != '\0');
		assert_int_equal(sscanf(v->api_version, "%u.%u", &maj, &min),
		    2);
		assert_true(maj >= 1);
		assert_true(v->dtypes & BE_DTYPE_FP32);
		assert_true(v->memory_total_bytes > 0);
		assert_true(v->compute_units >= 1);
		assert_int_equal(v->verified, BE_VERIFY_NOT_RUN);
		assert_false(v->has_bench);
		assert_true(isnan(v->bench.flops_per_s));
		/* Views come out platform by platform, devices in order. */
		if (i > 0 && v->platform_index == views[i - 1].platform_index)
			assert_int_equal(v->device_index,
			    views[i - 1].device_index + 1);
		if (i > 0)
			assert_true(v->platform_index >=
			    views[i - 1].platform_index);
		if (v->pci.valid) {
			assert_true(v->pci.dev <= 31);
			assert_true(v->pci.fn <= 7);
		}
	}
}

static void
test_enumerate_pocl(void **state)
{
	const struct be_view	*v = pocl();
	long			 conf = sysconf(_SC_NPROCESSORS_CONF);

	(void)state;
	if (v == NULL)
		skip();
	assert_int_equal(v->type, BE_TYPE_CPU);
	assert_true(v->compute_units >= 1);
	assert_true(conf < 1 || v->compute_units <= conf);
	assert_true(v->memory_total_bytes > 0);
	assert_true(v->dtypes & BE_DTYPE_FP64);
	assert_false(v->dtypes & BE_DTYPE_FP16);
	assert_true(v->dtypes & BE_DTYPE_INT8);	/* char arithmetic is core */
	assert_false(v->has_uuid);
	assert_false(v->pci.valid);
	assert_true(isnan(v->memory_free_bytes));
	assert_true(v->vendor[0] != '\0');
	assert_true(v->driver_version[0] != '\0');
	assert_int_equal(v->subgroup_size, -1);
}

/* Enumerating again with a tiny table keeps the first views and logs. */
static void
test_enumerate_limits(void **state)
{
	struct be_view	one[1];
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { .fn = log_collect, .ctx = &lb };

	(void)state;
	assert_int_equal(be_cl_enumerate(NULL, 0, &log), 0);
	assert_int_equal(be_cl_enumerate(one, -1, &log), -1);
	assert_int_equal(be_cl_enumerate(one, 1, &log), 1);
	assert_string_equal(one[0].name, views[0].name);
	if (nviews > 1)
		assert_non_null(strstr(lb.last, "device table full"));
	/* A NULL log is allowed. */
	assert_int_equal(be_cl_enumerate(one, 1, NULL), 1);
}

/* Warnings and routine facts kept apart (one ctx serves both). */
struct logpair {
	struct logbuf	warn;
	struct logbuf	info;
};

static void
pair_warn(void *ctx, const char *msg)
{
	log_collect(&((struct logpair *)ctx)->warn, msg);
}

static void
pair_info(void *ctx, const char *msg)
{
	log_collect(&((struct logpair *)ctx)->info, msg);
}

/*
 * Run in the re-executed child: the loader finds no ICD at all.  That is
 * a routine fact (info), not a warning.
 */
static int
empty_icd_child(void)
{
	struct be_view	v[4];
	struct logpair	lp;
	struct be_log	log = { .fn = pair_warn, .ctx = &lp,
			    .info = pair_info };
	int		n;

	memset(&lp, 0, sizeof lp);
	n = be_cl_enumerate(v, 4, &log);
	if (n != 0 || lp.warn.n != 0) {
		fprintf(stderr, "empty ICD dir: %d devices (%s)\n", n,
		    lp.warn.last);
		return 1;
	}
	if (lp.info.n != 1 || strstr(lp.info.last, "no platforms") == NULL) {
		fprintf(stderr, "empty ICD dir: info \"%s\"\n", lp.info.last);
		return 2;
	}
	return 0;
}

static void
test_enumerate_no_icd(void **state)
{
	char	dir[] = "/tmp/exogpu-noicd-XXXXXX";
	pid_t	pid;
	int	status;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setenv("OCL_ICD_VENDORS", dir, 1) == 0)
			(void)execl(self_path, self_path, CHILD_FLAG,
			    (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(rmdir(dir), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- verify ----------------------------------------------------------- */

static void
test_verify_pass(void **state)
{
	struct be_view	v;
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { .fn = log_collect, .ctx = &lb };
	int		i;

	(void)state;
	for (i = 0; i < nviews; i++) {
		v = views[i];
		assert_int_equal(be_cl_verify(&v, &log), 0);
		assert_int_equal(v.verified, BE_VERIFY_PASS);
		assert_string_equal(v.verify_reason, "");
	}
	assert_int_equal(lb.n, 0);
}

static void
test_verify_bogus(void **state)
{
	struct be_view	v;
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { .fn = log_collect, .ctx = &lb };

	(void)state;
	v = views[0];
	v.device_index = 999;
	assert_int_equal(be_cl_verify(&v, &log), -1);
	assert_int_equal(v.verified, BE_VERIFY_FAIL);
	assert_non_null(strstr(v.verify_reason, "device list changed"));
	assert_non_null(strstr(v.verify_reason, "999"));
	assert_int_equal(lb.n, 1);

	v = views[0];
	v.platform_index = 77;
	assert_int_equal(be_cl_verify(&v, &log), -1);
	assert_int_equal(v.verified, BE_VERIFY_FAIL);
	assert_non_null(strstr(v.verify_reason, "no platform 77"));

	/* Same index, different device: must not test the wrong one. */
	v = views[0];
	be_strlcpy(v.name, "some other device", sizeof v.name);
	assert_int_equal(be_cl_verify(&v, &log), -1);
	assert_int_equal(v.verified, BE_VERIFY_FAIL);
	assert_non_null(strstr(v.verify_reason, "device list changed"));

	/* A FAIL is cleared by a later PASS. */
	v = views[0];
	v.verified = BE_VERIFY_FAIL;
	be_strlcpy(v.verify_reason, "stale", sizeof v.verify_reason);
	assert_int_equal(be_cl_verify(&v, &log), 0);
	assert_string_equal(v.verify_reason, "");
}

/* --- bench ------------------------------------------------------------ */

static void
check_figures(const struct be_view *v)
{
	const struct be_bench	*b = &v->bench;

	assert_true(v->has_bench);
	assert_true(isfinite(b->memory_bandwidth_bytes_per_s));
	assert_true(isfinite(b->h2d_bandwidth_bytes_per_s));
	assert_true(isfinite(b->flops_per_s));
	assert_true(isfinite(b->elapsed_s));
	/*
	 * Below anything built so far; natively also above 10 MB/s and
	 * 100 MFLOP/s (valgrind runs the kernels a hundred times slower).
	 */
	assert_true(b->memory_bandwidth_bytes_per_s > 0);
	assert_true(b->memory_bandwidth_bytes_per_s < 1e14);
	assert_true(b->h2d_bandwidth_bytes_per_s > 0);
	assert_true(b->h2d_bandwidth_bytes_per_s < 1e13);
	assert_true(b->flops_per_s > 0);
	assert_true(b->flops_per_s < 1e16);
	assert_true(b->elapsed_s > 0);
	if (!RUNNING_ON_VALGRIND) {
		assert_true(b->memory_bandwidth_bytes_per_s > 1e7);
		assert_true(b->h2d_bandwidth_bytes_per_s > 1e7);
		assert_true(b->flops_per_s > 1e8);
	}
}

static void
test_bench(void **state)
{
	struct be_view	*pv = pocl(), v;
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { .fn = log_collect, .ctx = &lb };

	(void)state;
	v = pv != NULL ? *pv : views[0];
	/* Cold: the kernels are compiled into the test's empty cache. */
	if (be_cl_bench(&v, &log) != 0)
		fail_msg("bench: %s", lb.last);
	check_figures(&v);
	printf("# %s: read %.2f GB/s, h2d %.2f GB/s, fp32 %.1f GFLOP/s, "
	    "%.3f s (cold)\n", v.name, v.bench.memory_bandwidth_bytes_per_s /
	    1e9, v.bench.h2d_bandwidth_bytes_per_s / 1e9,
	    v.bench.flops_per_s / 1e9, v.bench.elapsed_s);

	/* Warm: the agent's normal case (timings: tests/bench). */
	v = pv != NULL ? *pv : views[0];
	if (be_cl_bench(&v, &log) != 0)
		fail_msg("bench: %s", lb.last);
	check_figures(&v);
	printf("# %s: read %.2f GB/s, h2d %.2f GB/s, fp32 %.1f GFLOP/s, "
	    "%.3f s (cached)\n", v.name, v.bench.memory_bandwidth_bytes_per_s /
	    1e9, v.bench.h2d_bandwidth_bytes_per_s / 1e9,
	    v.bench.flops_per_s / 1e9, v.bench.elapsed_s);
	assert_int_equal(lb.n, 0);
}

static void
test_bench_bogus(void **state)
{
	struct be_view	v;
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { .fn = log_collect, .ctx = &lb };

	(void)state;
	v = views[0];
	v.device_index = 4242;
	assert_int_equal(be_cl_bench(&v, &log), -1);
	assert_false(v.has_bench);
	assert_true(isnan(v.bench.flops_per_s));
	assert_int_equal(lb.n, 1);
	assert_non_null(strstr(lb.last, "device list changed"));
}

/* --- clinfo cross-check ----------------------------------------------- */

struct cl_info_dev {
	char			name[BE_NAME_MAX];
	unsigned long long	mem;
	long			cu;
};

static void
rtrim(char *s)
{
	size_t	n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/*
 * Parses `clinfo --raw`: device lines look like
 *   [TAG/N]    CL_DEVICE_NAME    value
 * and a CL_DEVICE_NAME line starts the next device.  Returns the count.
 */
static int
parse_clinfo(FILE *fp, struct cl_info_dev *d, int max)
{
	char	line[4096], key[128], *p, *end;
	int	n = -1, off;

	while (fgets(line, sizeof line, fp) != NULL) {
		rtrim(line);
		if (line[0] != '[' || (p = strchr(line, '/')) == NULL)
			continue;
		if (p[1] < '0' || p[1] > '9' ||
		    (end = strchr(p, ']')) == NULL)
			continue;
		if (sscanf(end + 1, " %127s %n", key, &off) != 1)
			continue;
		p = end + 1 + off;
		if (strcmp(key, "CL_DEVICE_NAME") == 0) {
			if (n + 1 >= max)
				break;
			n++;
			memset(&d[n], 0, sizeof d[n]);
			d[n].cu = -1;
			be_strlcpy(d[n].name, p, sizeof d[n].name);
		} else if (n >= 0 &&
		    strcmp(key, "CL_DEVICE_GLOBAL_MEM_SIZE") == 0)
			d[n].mem = strtoull(p, NULL, 10);
		else if (n >= 0 &&
		    strcmp(key, "CL_DEVICE_MAX_COMPUTE_UNITS") == 0)
			d[n].cu = strtol(p, NULL, 10);
	}
	return n + 1;
}

static void
test_clinfo(void **state)
{
	struct cl_info_dev	 info[MAXV];
	char			 name[BE_NAME_MAX];
	FILE			*fp;
	double			 ratio;
	int			 n, i;

	(void)state;
	/*
	 * Under valgrind PoCL sees valgrind's emulated CPU (no AVX-512) and
	 * names the device after it, so it cannot match a native clinfo.
	 */
	if (access("/usr/bin/clinfo", X_OK) != 0 || RUNNING_ON_VALGRIND)
		skip();
	fp = popen("clinfo --raw 2>/dev/null", "r");
	assert_non_null(fp);
	n = parse_clinfo(fp, info, MAXV);
	assert_true(pclose(fp) != -1);
	assert_int_equal(n, nviews);
	for (i = 0; i < n; i++) {
		be_strlcpy(name, views[i].name, sizeof name);
		rtrim(name);
		assert_string_equal(info[i].name, name);
		assert_int_equal(info[i].cu, views[i].compute_units);
		/* PoCL's global memory follows free RAM; allow 25 %. */
		assert_true(info[i].mem > 0);
		ratio = (double)views[i].memory_total_bytes /
		    (double)info[i].mem;
		assert_true(ratio > 0.75 && ratio < 1.25);
	}
}

/* --- main ------------------------------------------------------------- */

/*
 * LeakSanitizer (EXOGPU_SANITIZE builds) reads this at exit.  It unwinds
 * with frame pointers, which libpocl and libLLVM lack, so PoCL's internal
 * leaks (see test_opencl.supp) show one library frame and cannot be told
 * from anything else allocated inside those libraries; the valgrind run,
 * with full stacks and the narrower test_opencl.supp, is what checks that
 * be_opencl.c releases its objects.  Never called outside sanitizer builds.
 */
const char	*__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libpocl.so\nleak:libLLVM\n";
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enumerate_no_icd),
		cmocka_unit_test(test_enumerate_generic),
		cmocka_unit_test(test_enumerate_pocl),
		cmocka_unit_test(test_enumerate_limits),
		cmocka_unit_test(test_verify_pass),
		cmocka_unit_test(test_verify_bogus),
		cmocka_unit_test(test_bench),
		cmocka_unit_test(test_bench_bogus),
		cmocka_unit_test(test_clinfo),
	};
	char		cache[] = "/tmp/exogpu-pocl-cache-XXXXXX";
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { .fn = log_collect, .ctx = &lb };
	static char	self_buf[4096];
	ssize_t		n;
	int		rc;

	if (argc == 2 && strcmp(argv[1], CHILD_FLAG) == 0)
		return empty_icd_child();
	/* The real path, which valgrind reports for its client too. */
	n = readlink("/proc/self/exe", self_buf, sizeof self_buf - 1);
	if (n > 0) {
		self_buf[n] = '\0';
		self_path = self_buf;
	} else
		self_path = argv[0];

	/* Both must be set before the loader and PoCL first run. */
	if (getenv("OCL_ICD_VENDORS") == NULL &&
	    access(POCL_ICD, R_OK) == 0) {
		if (setenv("OCL_ICD_VENDORS", POCL_ICD, 1) != 0)
			return 1;
		pinned = 1;
	}
	if (mkdtemp(cache) == NULL || setenv("POCL_CACHE_DIR", cache, 1) != 0)
		return 1;

	nviews = be_cl_enumerate(views, MAXV, &log);
	if (nviews < 0) {
		fprintf(stderr, "be_cl_enumerate failed: %s\n", lb.last);
		rc = 1;
	} else if (nviews == 0) {
		printf("no OpenCL device (%s); skipping\n", lb.last);
		rc = 77;
	} else {
		if (pinned && lb.n != 0) {
			fprintf(stderr, "unexpected log: %s\n", lb.last);
			rc = 1;
		} else
			rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	if (nftw(cache, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", cache);
	return rc;
}
