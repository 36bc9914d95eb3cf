/*
 * test_host.c - be_cpu.c: the /proc/meminfo, /proc/cpuinfo and CPU list
 * parsers on in-memory text (x86, 32-bit ARM, arm64, POWER, garbage), then
 * be_host_read on the fixture trees in tests/fixtures/sysfs/, on trees made
 * in a temporary directory (an oversized cpuinfo, an SMT topology known
 * only to sysfs), and on this machine, where MemTotal must agree with
 * sysconf within 1 %.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "be_host.h"

#define FIX(s)	EXOGPU_SOURCE_DIR "/tests/fixtures/sysfs/" s
#define LIT(s)	s, sizeof s - 1		/* a literal and its length */

struct logbuf {
	int	count;
	char	text[8192];
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

/* ---- temporary trees ------------------------------------------------------ */

static void
mkparents(char *path)
{
	char	*p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0)
			assert_int_equal(errno, EEXIST);
		*p = '/';
	}
}

static void
put(const char *root, const char *rel, const char *data, size_t len)
{
	char	path[PATH_MAX];
	FILE	*f;

	assert_true(snprintf(path, sizeof path, "%s/%s", root, rel) <
	    (int)sizeof path);
	mkparents(path);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
puts_(const char *root, const char *rel, const char *text)
{
	put(root, rel, text, strlen(text));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rmtree(const char *root)
{
	assert_int_equal(nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void
tmptree(char *buf, size_t size)
{
	assert_true(snprintf(buf, size, "/tmp/exogpu-host-XXXXXX") > 0);
	assert_non_null(mkdtemp(buf));
}

/* ---- meminfo ------------------------------------------------------------------ */

static void
test_meminfo(void **state)
{
	static const char	mi[] = "MemTotal:       16106412 kB\n"
	    "MemFree:          812345 kB\nMemAvailable:    9876543 kB\n"
	    "HugePages_Total:       0\n";
	struct be_meminfo	m;

	(void)state;
	assert_int_equal(be_parse_meminfo(mi, sizeof mi - 1, &m), 0);
	assert_true(m.total_bytes == 16106412.0 * 1024);
	assert_true(m.available_bytes == 9876543.0 * 1024);

	/* No MemAvailable (kernels before 3.14); last line unterminated. */
	assert_int_equal(be_parse_meminfo(LIT("MemTotal: 1000 kB"), &m), 0);
	assert_true(m.total_bytes == 1024000);
	assert_true(isnan(m.available_bytes));

	/* Cut by the length: the number is shorter, still valid. */
	assert_int_equal(be_parse_meminfo("MemTotal: 1000 kB", 13, &m), 0);
	assert_true(m.total_bytes == 100);

	assert_int_equal(be_parse_meminfo(LIT("MemTotal: lots kB\n"
	    "MemAvailable: 99999999999999999999 kB\n"), &m), -1);
	assert_true(isnan(m.total_bytes));
	assert_true(isnan(m.available_bytes));
	assert_int_equal(be_parse_meminfo(LIT("MemTotal: 5 MB\n"), &m), -1);
	assert_int_equal(be_parse_meminfo(LIT("MemTotalX: 5 kB\n"), &m), -1);
	assert_int_equal(be_parse_meminfo("", 0, &m), -1);
	/* The first MemTotal wins. */
	assert_int_equal(be_parse_meminfo(LIT("MemTotal: 1 kB\n"
	    "MemTotal: 2 kB\n"), &m), 0);
	assert_true(m.total_bytes == 1024);
}

/* ---- cpuinfo ------------------------------------------------------------------ */

static void
test_cpuinfo_x86(void **state)
{
	static const char	ci[] =
	    "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU    "
	    "       E5-2680 0 @ 2.70GHz  \nphysical id\t: 0\ncore id\t\t: 0\n"
	    "cpu MHz\t\t: 1200.000\ncpu cores\t: 2\n\n"
	    "processor\t: 1\nphysical id\t: 0\ncore id\t\t: 1\n\n"
	    "processor\t: 2\nphysical id\t: 1\ncore id\t\t: 0\n\n"
	    "processor\t: 3\nphysical id\t: 1\ncore id\t\t: 0\n\n"
	    "processor\t: 4\nphysical id\t: 0\ncore id\t\t: 0\n\n";
	struct be_cpuinfo	c;

	(void)state;
	assert_int_equal(be_parse_cpuinfo(ci, sizeof ci - 1, &c), 0);
	assert_string_equal(c.model,
	    "Intel(R) Xeon(R) CPU E5-2680 0 @ 2.70GHz");
	assert_int_equal(c.threads, 5);
	assert_int_equal(c.cores, 3);	/* (0,0) (0,1) (1,0) */

	/* One entry without core id: cores unknown, threads still known. */
	assert_int_equal(be_parse_cpuinfo(LIT("processor : 0\n"
	    "physical id : 0\ncore id : 0\nprocessor : 1\nphysical id : 0\n"),
	    &c), 0);
	assert_int_equal(c.threads, 2);
	assert_int_equal(c.cores, -1);
}

static void
test_cpuinfo_arm(void **state)
{
	static const char	arm32[] =
	    "Processor\t: ARMv7 Processor rev 4 (v7l)\nprocessor\t: 0\n"
	    "BogoMIPS\t: 38.40\n\nprocessor\t: 1\nBogoMIPS\t: 38.40\n\n"
	    "Hardware\t: BCM2835\nRevision\t: a02082\n";
	static const char	soc[] = "processor\t: 0\nCPU implementer\t: 0x41"
	    "\nCPU part\t: 0xd03\n\nHardware\t: Qualcomm Technologies, Inc "
	    "SDM845\n";
	static const char	a76[] = "processor\t: 0\nCPU implementer\t: 0x41"
	    "\nCPU part\t: 0xd0b\n";
	static const char	apple[] = "processor\t: 0\nCPU implementer\t: "
	    "0x61\nCPU part\t: 0x022\n";
	static const char	odd[] = "processor\t: 0\nCPU implementer\t: "
	    "0x99\nCPU part\t: 0x1\n";
	struct be_cpuinfo	c;

	(void)state;
	assert_int_equal(be_parse_cpuinfo(arm32, sizeof arm32 - 1, &c), 0);
	assert_string_equal(c.model, "ARMv7 Processor rev 4 (v7l)");
	assert_int_equal(c.threads, 2);
	assert_int_equal(c.cores, -1);

	assert_int_equal(be_parse_cpuinfo(soc, sizeof soc - 1, &c), 0);
	assert_string_equal(c.model, "Qualcomm Technologies, Inc SDM845");
	assert_int_equal(be_parse_cpuinfo(a76, sizeof a76 - 1, &c), 0);
	assert_string_equal(c.model, "ARM Cortex-A76");
	assert_int_equal(be_parse_cpuinfo(apple, sizeof apple - 1, &c), 0);
	assert_string_equal(c.model, "Apple part 0x022");
	assert_int_equal(be_parse_cpuinfo(odd, sizeof odd - 1, &c), 0);
	assert_string_equal(c.model, "implementer 0x99 part 0x001");
}

static void
test_cpuinfo_other(void **state)
{
	static const char	power[] = "processor\t: 0\ncpu\t\t: POWER9 (raw)"
	    ", altivec supported\nclock\t\t: 2166.000000MHz\n";
	static const char	mips[] = "system type\t\t: MT7621\n"
	    "processor\t\t: 0\ncpu model\t\t: MIPS 1004Kc V2.15\n";
	static const char	junk[] = "processor\t: zero\nmodel name\t:   \n"
	    "\x00\xff\xfe no colon\nprocessor : 99999999999999\n::::\n:\n"
	    "model name: \x01\xc3\xa9t\xe9\n";
	struct be_cpuinfo	c;

	(void)state;
	assert_int_equal(be_parse_cpuinfo(power, sizeof power - 1, &c), 0);
	assert_string_equal(c.model, "POWER9 (raw), altivec supported");
	assert_int_equal(c.threads, 1);
	assert_int_equal(be_parse_cpuinfo(mips, sizeof mips - 1, &c), 0);
	assert_string_equal(c.model, "MIPS 1004Kc V2.15");

	/* Bad processor numbers do not count; bytes outside ASCII -> '?'. */
	assert_int_equal(be_parse_cpuinfo(junk, sizeof junk - 1, &c), 0);
	assert_int_equal(c.threads, -1);
	assert_int_equal(c.cores, -1);
	assert_string_equal(c.model, "???t?");

	assert_int_equal(be_parse_cpuinfo("", 0, &c), -1);
	assert_string_equal(c.model, "");
	assert_int_equal(c.threads, -1);
	assert_int_equal(c.cores, -1);
}

static void
test_cpulist(void **state)
{
	int	first = 99;

	(void)state;
	assert_int_equal(be_parse_cpulist(LIT("0-3,8-11\n"), &first), 8);
	assert_int_equal(first, 0);
	assert_int_equal(be_parse_cpulist(LIT("5"), &first), 1);
	assert_int_equal(first, 5);
	assert_int_equal(be_parse_cpulist(LIT("6,2-3"), &first), 3);
	assert_int_equal(first, 2);
	assert_int_equal(be_parse_cpulist(LIT("0-1048575"), NULL), 1048576);
	assert_int_equal(be_parse_cpulist(LIT("\n"), &first), 0);
	assert_int_equal(first, -1);

	assert_int_equal(be_parse_cpulist(LIT("0-"), &first), -1);
	assert_int_equal(first, -1);
	assert_int_equal(be_parse_cpulist(LIT("3-1"), NULL), -1);
	assert_int_equal(be_parse_cpulist(LIT("1,,2"), NULL), -1);
	assert_int_equal(be_parse_cpulist(LIT("1,"), NULL), -1);
	assert_int_equal(be_parse_cpulist(LIT(",1"), NULL), -1);
	assert_int_equal(be_parse_cpulist(LIT("0-7:2"), NULL), -1);
	assert_int_equal(be_parse_cpulist(LIT("0-1048576"), NULL), -1);
	assert_int_equal(be_parse_cpulist(LIT("0-1048575,0-1"), NULL), -1);
	assert_int_equal(be_parse_cpulist(LIT("-1"), NULL), -1);
}

/* ---- be_host_read on fixtures --------------------------------------------- */

static void
test_host_amd_desktop(void **state)
{
	struct be_node	n;
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { collect, &lb, collect_info };

	(void)state;
	assert_int_equal(be_host_read(FIX("amd-desktop"), &n, &log), 0);
	assert_string_equal(n.hostname, "gpu-box-1");
	assert_string_equal(n.cpu_model,
	    "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz");
	assert_int_equal(n.cpu_threads, 8);
	assert_int_equal(n.cpu_cores, 4);	/* 2 sockets x 2 cores */
	assert_true(n.memory_total_bytes == 65842012.0 * 1024);
	assert_true(n.memory_available_bytes == 60123456.0 * 1024);
	assert_false(n.battery.present);
	assert_int_equal(n.battery.ac_online, -1);
	assert_true(isnan(n.battery.capacity_ratio));
	assert_int_equal(n.nzones, 0);
	/* Only the missing power_supply class is worth a line. */
	assert_int_equal(lb.count, 1);
}

static void
test_host_laptop(void **state)
{
	struct be_node	n;

	(void)state;
	assert_int_equal(be_host_read(FIX("intel-laptop"), &n, NULL), 0);
	assert_string_equal(n.hostname, "thinkpad");
	assert_string_equal(n.cpu_model,
	    "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz");
	assert_int_equal(n.cpu_threads, 8);
	assert_int_equal(n.cpu_cores, 4);
	assert_true(n.memory_total_bytes == 16106412.0 * 1024);
	assert_true(n.memory_available_bytes == 9876543.0 * 1024);
	assert_true(n.battery.present);
	assert_string_equal(n.battery.name, "BAT1");
	assert_int_equal(n.battery.ac_online, 1);
	assert_int_equal(n.nzones, 3);
	assert_string_equal(n.zones[1].type, "x86_pkg_temp");
	assert_true(n.zones[1].temperature_celsius == 51);
}

static void
test_host_arm(void **state)
{
	struct be_node	n;

	(void)state;
	assert_int_equal(be_host_read(FIX("arm-board"), &n, NULL), 0);
	assert_string_equal(n.hostname, "pi4");
	assert_string_equal(n.cpu_model, "ARM Cortex-A72");
	assert_int_equal(n.cpu_threads, 4);
	/* arm64 cpuinfo has no core ids: sysfs topology (both file names). */
	assert_int_equal(n.cpu_cores, 4);
	assert_true(n.memory_total_bytes == 3882924.0 * 1024);
	assert_true(isnan(n.memory_available_bytes));
	assert_true(n.battery.present);
	assert_int_equal(n.battery.ac_online, 0);
	assert_int_equal(n.nzones, 1);
}

static void
test_host_broken(void **state)
{
	struct be_node	n;
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { collect, &lb, collect_info };

	(void)state;
	assert_int_equal(be_host_read(FIX("broken"), &n, &log), 0);
	assert_string_equal(n.hostname, "");
	assert_string_equal(n.cpu_model, "");
	assert_int_equal(n.cpu_threads, -1);	/* online "0-" is garbage */
	assert_int_equal(n.cpu_cores, -1);
	assert_true(isnan(n.memory_total_bytes));
	assert_true(isnan(n.memory_available_bytes));
	assert_true(n.battery.present);
	assert_true(isnan(n.battery.energy_now_wh));
	assert_int_equal(n.battery.ac_online, -1);
	assert_int_equal(n.nzones, 1);
	assert_non_null(strstr(lb.text, "CPU model unknown"));
	assert_non_null(strstr(lb.text, "CPU thread count unknown"));
	assert_non_null(strstr(lb.text, "no MemTotal"));
}

static void
test_host_missing_root(void **state)
{
	struct be_node	n;
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { collect, &lb, collect_info };

	(void)state;
	assert_int_equal(be_host_read("/nonexistent-root", &n, &log), 0);
	assert_string_equal(n.hostname, "");
	assert_string_equal(n.cpu_model, "");
	assert_int_equal(n.cpu_threads, -1);
	assert_int_equal(n.cpu_cores, -1);
	assert_true(isnan(n.memory_total_bytes));
	assert_false(n.battery.present);
	assert_int_equal(n.nzones, 0);
	assert_non_null(strstr(lb.text, "cannot read /proc/cpuinfo"));
	assert_non_null(strstr(lb.text, "cannot read /proc/meminfo"));
}

/* ---- be_host_read on generated trees ------------------------------------------ */

static void
test_host_cpuinfo_cap(void **state)
{
	static const char	block[] = "processor\t: %d\nmodel name\t: Big "
	    "Iron\nphysical id\t: 0\ncore id\t\t: %d\nflags\t\t: fpu vme de "
	    "pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 "
	    "clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm\n\n";
	struct be_node		n;
	struct logbuf		lb = { 0, "" };
	struct be_log		log = { collect, &lb, collect_info };
	char			root[64], *buf;
	size_t			len = 0, cap = 2u << 20;
	int			i;

	(void)state;
	tmptree(root, sizeof root);
	assert_non_null(buf = malloc(cap));
	for (i = 0; i < 6000; i++)
		len += (size_t)snprintf(buf + len, cap - len, block, i, i);
	assert_true(len > BE_CPUINFO_MAX);
	put(root, "proc/cpuinfo", buf, len);
	free(buf);
	puts_(root, "sys/devices/system/cpu/online", "0-5999\n");

	assert_int_equal(be_host_read(root, &n, &log), 0);
	assert_string_equal(n.cpu_model, "Big Iron");
	/* Truncated counts are not trusted: sysfs has the real figure. */
	assert_int_equal(n.cpu_threads, 6000);
	assert_int_equal(n.cpu_cores, -1);	/* no topology files */
	assert_non_null(strstr(lb.text,
	    "[info] host: /proc/cpuinfo exceeds 1048576 bytes"));
	rmtree(root);
}

static void
test_host_smt_topology(void **state)
{
	struct be_node	n;
	char		root[64];

	(void)state;
	tmptree(root, sizeof root);
	puts_(root, "proc/cpuinfo", "processor\t: 0\n\nprocessor\t: 1\n\n"
	    "processor\t: 2\n\nprocessor\t: 3\n\nprocessor\t: 4\n\n"
	    "processor\t: 5\n\n");
	puts_(root, "sys/devices/system/cpu/online", "0-5\n");
	puts_(root, "sys/devices/system/cpu/cpu0/topology/core_cpus_list",
	    "0,3\n");
	puts_(root, "sys/devices/system/cpu/cpu1/topology/core_cpus_list",
	    "1,4\n");
	puts_(root, "sys/devices/system/cpu/cpu2/topology/core_cpus_list",
	    "2,5\n");
	puts_(root, "sys/devices/system/cpu/cpu3/topology/core_cpus_list",
	    "0,3\n");
	puts_(root, "sys/devices/system/cpu/cpu4/topology/core_cpus_list",
	    "1,4\n");
	puts_(root, "sys/devices/system/cpu/cpu5/topology/core_cpus_list",
	    "2,5\n");
	assert_int_equal(be_host_read(root, &n, NULL), 0);
	assert_int_equal(n.cpu_threads, 6);
	assert_int_equal(n.cpu_cores, 3);

	/* One CPU's topology unreadable: unknown rather than a guess. */
	puts_(root, "sys/devices/system/cpu/cpu5/topology/core_cpus_list",
	    "junk\n");
	assert_int_equal(be_host_read(root, &n, NULL), 0);
	assert_int_equal(n.cpu_threads, 6);
	assert_int_equal(n.cpu_cores, -1);
	rmtree(root);
}

/* ---- this machine ---------------------------------------------------------------- */

static void
test_host_real(void **state)
{
	struct be_node	n;
	struct logbuf	lb = { 0, "" };
	struct be_log	log = { collect, &lb, collect_info };
	char		name[256];
	double		phys;

	(void)state;
	assert_int_equal(be_host_read("/", &n, &log), 0);
	assert_int_equal(gethostname(name, sizeof name), 0);
	name[sizeof name - 1] = '\0';
	assert_string_equal(n.hostname, name);
	phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
	assert_true(phys > 0);
	assert_true(fabs(n.memory_total_bytes - phys) <= 0.01 * phys);
	assert_true(n.memory_available_bytes > 0);
	assert_true(n.memory_available_bytes <= n.memory_total_bytes);
	assert_true(n.cpu_threads >= 1);
	assert_int_equal(n.cpu_threads, sysconf(_SC_NPROCESSORS_ONLN));
	assert_true(n.cpu_cores == -1 ||
	    (n.cpu_cores >= 1 && n.cpu_cores <= n.cpu_threads));
	assert_true(n.nzones >= 0 && n.nzones <= BE_MAX_ZONES);
	print_message("this machine: %s, \"%s\", %d cores / %d threads, "
	    "%.1f GiB (%.1f available), battery %s, %d thermal zones\n",
	    n.hostname, n.cpu_model, n.cpu_cores, n.cpu_threads,
	    n.memory_total_bytes / (1 << 30),
	    n.memory_available_bytes / (1 << 30),
	    n.battery.present ? n.battery.name : "none", n.nzones);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo),
		cmocka_unit_test(test_cpuinfo_x86),
		cmocka_unit_test(test_cpuinfo_arm),
		cmocka_unit_test(test_cpuinfo_other),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_host_amd_desktop),
		cmocka_unit_test(test_host_laptop),
		cmocka_unit_test(test_host_arm),
		cmocka_unit_test(test_host_broken),
		cmocka_unit_test(test_host_missing_root),
		cmocka_unit_test(test_host_cpuinfo_cap),
		cmocka_unit_test(test_host_smt_topology),
		cmocka_unit_test(test_host_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
