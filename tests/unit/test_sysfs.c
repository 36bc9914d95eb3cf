/*
 * test_sysfs.c - be_sysfs.c: the pure sysfs text parsers, then batteries,
 * AC adapters, thermal zones and DRM GPUs read from the fixture trees in
 * tests/fixtures/sysfs/ (amdgpu + nouveau desktop, i915 laptop, xe card,
 * ARM board, and a "broken" tree of garbage, empty and missing files).
 * Every reading is checked by value, every unknown must be NAN / -1 and
 * never 0, and the bounds on reads and directory scans are exercised with
 * trees generated in a temporary directory.
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

#include "be_telemetry.h"

#define FIX(s)	EXOGPU_SOURCE_DIR "/tests/fixtures/sysfs/" s

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

static bool
near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b));
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
	assert_true(snprintf(buf, size, "/tmp/exogpu-sysfs-XXXXXX") > 0);
	assert_non_null(mkdtemp(buf));
}

/* ---- parsers ---------------------------------------------------------------- */

static void
test_parse_number(void **state)
{
	double	v = 0;

	(void)state;
	assert_int_equal(be_parse_sysfs_number("45000\n", 6, &v), 0);
	assert_true(v == 45000);
	assert_int_equal(be_parse_sysfs_number("  -5 \n", 6, &v), 0);
	assert_true(v == -5);
	assert_int_equal(be_parse_sysfs_number("+7", 2, &v), 0);
	assert_true(v == 7);
	assert_int_equal(be_parse_sysfs_number("0\n", 2, &v), 0);
	assert_true(v == 0);
	/* The length bounds the parse; no NUL needed. */
	assert_int_equal(be_parse_sysfs_number("123456", 3, &v), 0);
	assert_true(v == 123);
	assert_int_equal(be_parse_sysfs_number("999999999999999999", 18, &v),
	    0);
	assert_true(v == 999999999999999999.0);

	v = 42;
	assert_int_equal(be_parse_sysfs_number("", 0, &v), -1);
	assert_int_equal(be_parse_sysfs_number("\n", 1, &v), -1);
	assert_int_equal(be_parse_sysfs_number("12a", 3, &v), -1);
	assert_int_equal(be_parse_sysfs_number("1e9", 3, &v), -1);
	assert_int_equal(be_parse_sysfs_number("1.5", 3, &v), -1);
	assert_int_equal(be_parse_sysfs_number("-", 1, &v), -1);
	assert_int_equal(be_parse_sysfs_number("1 2", 3, &v), -1);
	assert_int_equal(be_parse_sysfs_number("0x10", 4, &v), -1);
	assert_int_equal(be_parse_sysfs_number("9999999999999999999", 19, &v),
	    -1);
	assert_true(v == 42);	/* untouched on failure */
}

static void
test_parse_uevent(void **state)
{
	static const char	ue[] = "DRIVER=amdgpu\nPCI_SLOT=bogus\n"
	    "PCI_SLOT_NAME=0000:03:00.0\nEMPTY=\nLAST=tail";
	char			v[32];

	(void)state;
	assert_int_equal(be_parse_uevent(ue, sizeof ue - 1, "DRIVER", v,
	    sizeof v), 0);
	assert_string_equal(v, "amdgpu");
	assert_int_equal(be_parse_uevent(ue, sizeof ue - 1, "PCI_SLOT_NAME",
	    v, sizeof v), 0);
	assert_string_equal(v, "0000:03:00.0");
	assert_int_equal(be_parse_uevent(ue, sizeof ue - 1, "PCI_SLOT", v,
	    sizeof v), 0);
	assert_string_equal(v, "bogus");
	assert_int_equal(be_parse_uevent(ue, sizeof ue - 1, "EMPTY", v,
	    sizeof v), 0);
	assert_string_equal(v, "");
	assert_int_equal(be_parse_uevent(ue, sizeof ue - 1, "LAST", v,
	    sizeof v), 0);
	assert_string_equal(v, "tail");
	/* Truncated to the destination. */
	assert_int_equal(be_parse_uevent(ue, sizeof ue - 1, "DRIVER", v, 4),
	    0);
	assert_string_equal(v, "amd");
	assert_int_equal(be_parse_uevent(ue, sizeof ue - 1, "DRIVE", v,
	    sizeof v), -1);
	assert_string_equal(v, "");
	assert_int_equal(be_parse_uevent(ue, sizeof ue - 1, "MISSING", v,
	    sizeof v), -1);
	assert_int_equal(be_parse_uevent(ue, 5, "DRIVER", v, sizeof v), -1);
	assert_int_equal(be_parse_uevent("", 0, "DRIVER", v, sizeof v), -1);
}

static void
test_parse_dpm(void **state)
{
	static const char	sclk[] = "0: 500Mhz \n1: 1800Mhz *\n2: 2482Mhz \n";
	double			mhz = 0;

	(void)state;
	assert_int_equal(be_parse_dpm_current(sclk, sizeof sclk - 1, &mhz), 0);
	assert_true(mhz == 1800);
	assert_int_equal(be_parse_dpm_current("0: 96MHz *", 10, &mhz), 0);
	assert_true(mhz == 96);
	mhz = 7;
	assert_int_equal(be_parse_dpm_current("0: 500Mhz\n1: 900Mhz\n", 20,
	    &mhz), -1);
	assert_int_equal(be_parse_dpm_current("*\n0: fastMhz *\n", 15, &mhz),
	    -1);
	assert_int_equal(be_parse_dpm_current("0: 500 *", 8, &mhz), -1);
	assert_int_equal(be_parse_dpm_current("", 0, &mhz), -1);
	assert_true(mhz == 7);
}

static void
test_power_from_energy(void **state)
{
	(void)state;
	assert_true(near(be_sysfs_power_from_energy(1e6, 10, 3e6, 12), 1.0));
	assert_true(near(be_sysfs_power_from_energy(5e6, 0.5, 5e6, 1.5), 0));
	assert_true(isnan(be_sysfs_power_from_energy(3e6, 10, 1e6, 12)));
	assert_true(isnan(be_sysfs_power_from_energy(1e6, 10, 3e6, 10)));
	assert_true(isnan(be_sysfs_power_from_energy(1e6, 12, 3e6, 10)));
	assert_true(isnan(be_sysfs_power_from_energy(NAN, 10, 3e6, 12)));
	assert_true(isnan(be_sysfs_power_from_energy(1e6, 10, NAN, 12)));
}

/* ---- GPUs ------------------------------------------------------------------- */

static void
test_gpus_amd_desktop(void **state)
{
	struct be_gpu_sysfs	g[8];
	struct logbuf		lb = { 0, "" };
	struct be_log		log = { collect, &lb, collect_info };
	char			pci[16];

	(void)state;
	/* card0 and card1; not card0-DP-1, renderD128 or version. */
	assert_int_equal(be_sysfs_gpus(FIX("amd-desktop"), g, 8, &log), 2);
	assert_int_equal(lb.count, 0);

	assert_string_equal(g[0].card, "card0");
	assert_string_equal(g[0].driver, "amdgpu");
	assert_string_equal(g[0].t.source, "amdgpu");
	be_pci_format(&g[0].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:03:00.0");
	assert_int_equal(g[0].vendor_id, 0x1002);
	assert_int_equal(g[0].device_id, 0x744c);
	assert_true(g[0].memory_total_bytes == 25753026560.0);
	assert_true(g[0].t.memory_total_bytes == 25753026560.0);
	assert_true(g[0].t.memory_used_bytes == 1073741824.0);
	assert_true(near(g[0].t.utilization_ratio, 0.42));
	assert_true(g[0].t.temperature_celsius == 45);	/* edge */
	assert_true(g[0].t.power_watts == 35);
	assert_true(g[0].t.clock_graphics_mhz == 2482);	/* hwmon freq1 */
	assert_true(g[0].t.clock_memory_mhz == 1249);	/* pp_dpm_mclk */
	assert_true(isnan(g[0].energy_uj));

	assert_string_equal(g[1].card, "card1");
	assert_string_equal(g[1].driver, "nouveau");
	be_pci_format(&g[1].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:0a:00.0");
	assert_int_equal(g[1].vendor_id, 0x10de);
	assert_int_equal(g[1].device_id, 0x1c82);
	assert_true(g[1].t.temperature_celsius == 38);
	assert_true(g[1].t.power_watts == 12.5);
	assert_true(isnan(g[1].memory_total_bytes));
	assert_true(isnan(g[1].t.memory_used_bytes));
	assert_true(isnan(g[1].t.utilization_ratio));
	assert_true(isnan(g[1].t.clock_graphics_mhz));

	/* Bounded by max, with a note. */
	assert_int_equal(be_sysfs_gpus(FIX("amd-desktop"), g, 1, &log), 1);
	assert_string_equal(g[0].card, "card0");
	assert_int_equal(lb.count, 1);
	assert_int_equal(be_sysfs_gpus(FIX("amd-desktop"), g, 0, &log), 0);
}

static void
test_gpus_intel(void **state)
{
	struct be_gpu_sysfs	g[4];
	char			pci[16];

	(void)state;
	assert_int_equal(be_sysfs_gpus(FIX("intel-laptop"), g, 4, NULL), 1);
	assert_string_equal(g[0].card, "card1");
	assert_string_equal(g[0].driver, "i915");
	assert_string_equal(g[0].t.source, "i915");
	be_pci_format(&g[0].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:00:02.0");
	assert_int_equal(g[0].vendor_id, 0x8086);
	assert_int_equal(g[0].device_id, 0x9a49);
	assert_true(g[0].t.clock_graphics_mhz == 1300);
	assert_true(g[0].energy_uj == 123456789);
	assert_true(isnan(g[0].t.power_watts));	/* one sample only */
	assert_true(isnan(g[0].t.temperature_celsius));
	assert_true(isnan(g[0].memory_total_bytes));
	assert_true(isnan(g[0].t.utilization_ratio));

	assert_int_equal(be_sysfs_gpus(FIX("xe-gpu"), g, 4, NULL), 1);
	assert_string_equal(g[0].driver, "xe");
	assert_string_equal(g[0].t.source, "xe");
	be_pci_format(&g[0].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:03:00.0");
	assert_int_equal(g[0].device_id, 0xe20b);
	assert_true(g[0].t.clock_graphics_mhz == 2400);
	assert_true(g[0].t.temperature_celsius == 52);	/* pkg, not vram */
	assert_true(g[0].energy_uj == 9876543210.0);
	assert_true(isnan(g[0].t.power_watts));
}

static void
test_gpus_none_and_broken(void **state)
{
	struct be_gpu_sysfs	g[4];
	struct logbuf		lb = { 0, "" };
	struct be_log		log = { collect, &lb, collect_info };
	char			pci[16];

	(void)state;
	/* Platform (non-PCI) cards only. */
	assert_int_equal(be_sysfs_gpus(FIX("arm-board"), g, 4, NULL), 0);
	assert_int_equal(be_sysfs_gpus("/nonexistent-root", g, 4, NULL), 0);

	assert_int_equal(be_sysfs_gpus(FIX("broken"), g, 4, &log), 1);
	assert_non_null(strstr(lb.text, "card1: bad PCI_SLOT_NAME"));
	assert_string_equal(g[0].card, "card2");
	assert_string_equal(g[0].driver, "amdgpu");
	be_pci_format(&g[0].pci, pci, sizeof pci);
	assert_string_equal(pci, "0000:05:00.0");
	assert_int_equal(g[0].vendor_id, 0);
	assert_int_equal(g[0].device_id, 0);
	assert_true(isnan(g[0].memory_total_bytes));
	assert_true(isnan(g[0].t.memory_total_bytes));
	assert_true(isnan(g[0].t.memory_used_bytes));
	assert_true(isnan(g[0].t.utilization_ratio));
	assert_true(isnan(g[0].t.temperature_celsius));
	assert_true(isnan(g[0].t.power_watts));
	assert_true(isnan(g[0].t.clock_graphics_mhz));
	assert_true(isnan(g[0].t.clock_memory_mhz));
	assert_true(isnan(g[0].energy_uj));
}

static void
test_gpu_temp_label_preference(void **state)
{
	struct be_gpu_sysfs	g[1];
	char			root[64];

	(void)state;
	tmptree(root, sizeof root);
	puts_(root, "sys/class/drm/card7/device/uevent",
	    "DRIVER=amdgpu\nPCI_SLOT_NAME=0001:c1:00.0\n");
	puts_(root, "sys/class/drm/card7/device/hwmon/hwmon0/temp1_input",
	    "90000\n");
	puts_(root, "sys/class/drm/card7/device/hwmon/hwmon0/temp1_label",
	    "junction\n");
	puts_(root, "sys/class/drm/card7/device/hwmon/hwmon0/temp2_input",
	    "40000\n");
	puts_(root, "sys/class/drm/card7/device/hwmon/hwmon0/temp2_label",
	    "edge\n");
	puts_(root, "sys/class/drm/card7/device/hwmon/hwmon0/power1_input",
	    "0\n");
	assert_int_equal(be_sysfs_gpus(root, g, 1, NULL), 1);
	assert_true(g[0].t.temperature_celsius == 40);
	assert_true(g[0].t.power_watts == 0);	/* a real zero reading */
	assert_int_equal(g[0].pci.domain, 1);
	assert_int_equal(g[0].pci.bus, 0xc1);
	rmtree(root);
}

/* ---- batteries and AC --------------------------------------------------------- */

static void
test_power_laptop(void **state)
{
	struct be_battery	b;

	(void)state;
	/* AC, BAT0 (present 0), BAT1, hidpp_battery_0. */
	assert_int_equal(be_power_read(FIX("intel-laptop"), &b, NULL), 4);
	assert_true(b.present);
	assert_string_equal(b.name, "BAT1");
	assert_string_equal(b.status, "Charging");
	assert_true(near(b.capacity_ratio, 0.87));
	assert_true(near(b.energy_now_wh, 45.12));
	assert_true(near(b.energy_full_wh, 51.87));
	assert_true(near(b.power_watts, 12.345));
	assert_true(near(b.temperature_celsius, 31.2));
	assert_int_equal(b.ac_online, 1);
}

static void
test_power_charge_based(void **state)
{
	struct be_battery	b;

	(void)state;
	assert_int_equal(be_power_read(FIX("arm-board"), &b, NULL), 3);
	assert_true(b.present);
	assert_string_equal(b.name, "battery");	/* Apple_kbd is a Device */
	assert_string_equal(b.status, "Discharging");
	assert_true(near(b.capacity_ratio, 0.64));
	/* 2 Ah and 3 Ah at the 3.7 V design voltage. */
	assert_true(near(b.energy_now_wh, 7.4));
	assert_true(near(b.energy_full_wh, 11.1));
	/* |-0.5 A| x 3.9 V */
	assert_true(near(b.power_watts, 1.95));
	assert_true(isnan(b.temperature_celsius));
	assert_int_equal(b.ac_online, 0);
}

static void
test_power_absent_and_broken(void **state)
{
	struct be_battery	b;
	struct logbuf		lb = { 0, "" };
	struct be_log		log = { collect, &lb, collect_info };

	(void)state;
	memset(&b, 0, sizeof b);
	assert_int_equal(be_power_read(FIX("amd-desktop"), &b, &log), -1);
	assert_int_equal(lb.count, 1);
	assert_non_null(strstr(lb.text, "[info] power: no "));
	assert_false(b.present);
	assert_int_equal(b.ac_online, -1);
	assert_true(isnan(b.capacity_ratio));
	assert_true(isnan(b.energy_now_wh));
	assert_true(isnan(b.power_watts));

	assert_int_equal(be_power_read(FIX("broken"), &b, NULL), 3);
	assert_true(b.present);		/* no "present" file: assume yes */
	assert_string_equal(b.name, "BAT0");
	assert_string_equal(b.status, "");
	assert_true(isnan(b.capacity_ratio));
	assert_true(isnan(b.energy_now_wh));
	assert_true(isnan(b.energy_full_wh));
	assert_true(isnan(b.power_watts));
	assert_true(isnan(b.temperature_celsius));	/* 999999.9 °C */
	assert_int_equal(b.ac_online, -1);		/* "maybe" */
}

static void
test_power_capacity_from_energy(void **state)
{
	struct be_battery	b;
	char			root[64];

	(void)state;
	tmptree(root, sizeof root);
	puts_(root, "sys/class/power_supply/BAT0/type", "Battery\n");
	puts_(root, "sys/class/power_supply/BAT0/energy_now", "25000000\n");
	puts_(root, "sys/class/power_supply/BAT0/energy_full", "50000000\n");
	puts_(root, "sys/class/power_supply/BAT0/power_now", "0\n");
	puts_(root, "sys/class/power_supply/ADP1/type", "Mains\n");
	puts_(root, "sys/class/power_supply/ADP1/online", "0\n");
	puts_(root, "sys/class/power_supply/ucsi-source-psy-1/type",
	    "USB\n");
	puts_(root, "sys/class/power_supply/ucsi-source-psy-1/online",
	    "1\n");
	assert_int_equal(be_power_read(root, &b, NULL), 3);
	assert_true(near(b.capacity_ratio, 0.5));
	assert_true(b.power_watts == 0);
	assert_int_equal(b.ac_online, 1);	/* any supply online */
	rmtree(root);
}

/* ---- thermal zones -------------------------------------------------------------- */

static void
test_thermal(void **state)
{
	struct be_thermal_zone	z[8];
	struct logbuf		lb = { 0, "" };
	struct be_log		log = { collect, &lb, collect_info };

	(void)state;
	assert_int_equal(be_thermal_read(FIX("intel-laptop"), z, 8, NULL), 3);
	assert_string_equal(z[0].type, "acpitz");
	assert_true(near(z[0].temperature_celsius, 27.8));
	assert_string_equal(z[1].type, "x86_pkg_temp");
	assert_true(near(z[1].temperature_celsius, 51));
	assert_string_equal(z[2].type, "iwlwifi_1");	/* zone10 after 1 */
	assert_true(near(z[2].temperature_celsius, 40));

	assert_int_equal(be_thermal_read(FIX("intel-laptop"), z, 2, &log), 2);
	assert_string_equal(z[1].type, "x86_pkg_temp");
	assert_int_equal(lb.count, 1);
	assert_non_null(strstr(lb.text, "[info] thermal: 1 zones beyond 2"));

	assert_int_equal(be_thermal_read(FIX("arm-board"), z, 8, NULL), 1);
	assert_string_equal(z[0].type, "cpu-thermal");
	assert_true(near(z[0].temperature_celsius, 48.312));

	assert_int_equal(be_thermal_read(FIX("amd-desktop"), z, 8, NULL), 0);
	assert_int_equal(be_thermal_read(FIX("intel-laptop"), z, 0, NULL), 0);

	/* Garbage, missing and impossible temps skipped; zoneX ignored. */
	lb.count = 0;
	lb.text[0] = '\0';
	assert_int_equal(be_thermal_read(FIX("broken"), z, 8, &log), 1);
	assert_string_equal(z[0].type, "");
	assert_true(near(z[0].temperature_celsius, 35));
	assert_int_equal(lb.count, 1);
	assert_non_null(strstr(lb.text,
	    "[info] thermal: 3 zones without a usable temp"));
}

/* ---- bounds ------------------------------------------------------------------------ */

static void
test_scan_bound(void **state)
{
	struct be_thermal_zone	*z;
	struct logbuf		 lb = { 0, "" };
	struct be_log		 log = { collect, &lb, collect_info };
	char			 root[64], rel[128];
	int			 i;

	(void)state;
	tmptree(root, sizeof root);
	for (i = 0; i < 300; i++) {
		(void)snprintf(rel, sizeof rel,
		    "sys/class/thermal/thermal_zone%d/temp", i);
		puts_(root, rel, "30000\n");
	}
	assert_non_null(z = calloc(400, sizeof *z));
	assert_int_equal(be_thermal_read(root, z, 400, &log),
	    BE_SYSFS_SCAN_MAX);
	assert_non_null(strstr(lb.text, "44 zones beyond 256 ignored"));
	free(z);
	rmtree(root);
}

static void
test_read_bounds(void **state)
{
	char	root[64], *big, buf[16];
	bool	trunc = false;
	size_t	len = BE_SYSFS_FILE_MAX + 100;

	(void)state;
	tmptree(root, sizeof root);
	assert_non_null(big = malloc(len));
	memset(big, '7', len);
	put(root, "big", big, len);
	assert_int_equal(be_sysfs_read(root, "/big", big, BE_SYSFS_FILE_MAX,
	    &trunc), BE_SYSFS_FILE_MAX - 1);
	assert_true(trunc);
	assert_int_equal(big[BE_SYSFS_FILE_MAX - 1], '\0');
	/* Too long for a number file: unknown, not a wrong number. */
	assert_true(isnan(be_sysfs_number(root, "/big")));
	free(big);

	puts_(root, "small", "12\n");
	assert_int_equal(be_sysfs_read(root, "/small", buf, sizeof buf,
	    &trunc), 3);
	assert_false(trunc);
	assert_string_equal(buf, "12\n");
	assert_true(be_sysfs_number(root, "/small") == 12);
	/* Exactly full is not truncated. */
	assert_int_equal(be_sysfs_read(root, "/small", buf, 4, &trunc), 3);
	assert_false(trunc);
	assert_int_equal(be_sysfs_read(root, "/small", buf, 3, &trunc), 2);
	assert_true(trunc);
	assert_string_equal(buf, "12");

	/* Not regular files, missing files, empty capacity. */
	assert_int_equal(be_sysfs_read(root, "/", buf, sizeof buf, NULL), -1);
	assert_int_equal(be_sysfs_read(root, "/nope", buf, sizeof buf, NULL),
	    -1);
	assert_string_equal(buf, "");
	assert_int_equal(be_sysfs_read(root, "/small", buf, 0, NULL), -1);
	{
		char	fifo[128], slashed[80];

		(void)snprintf(fifo, sizeof fifo, "%s/fifo", root);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(be_sysfs_read(root, "/fifo", buf, sizeof buf,
		    NULL), -1);
		/* A root with a trailing slash means the same. */
		(void)snprintf(slashed, sizeof slashed, "%s//", root);
		assert_true(be_sysfs_number(slashed, "/small") == 12);
	}
	rmtree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_number),
		cmocka_unit_test(test_parse_uevent),
		cmocka_unit_test(test_parse_dpm),
		cmocka_unit_test(test_power_from_energy),
		cmocka_unit_test(test_gpus_amd_desktop),
		cmocka_unit_test(test_gpus_intel),
		cmocka_unit_test(test_gpus_none_and_broken),
		cmocka_unit_test(test_gpu_temp_label_preference),
		cmocka_unit_test(test_power_laptop),
		cmocka_unit_test(test_power_charge_based),
		cmocka_unit_test(test_power_absent_and_broken),
		cmocka_unit_test(test_power_capacity_from_energy),
		cmocka_unit_test(test_thermal),
		cmocka_unit_test(test_scan_bound),
		cmocka_unit_test(test_read_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
