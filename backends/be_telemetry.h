/*
 * be_telemetry.h - live readings of the machine: batteries and AC adapters,
 * thermal zones, GPUs seen through the kernel's DRM/hwmon sysfs files, and
 * NVIDIA GPUs seen through NVML (loaded with dlopen, so the agent builds and
 * runs on machines without the NVIDIA driver).
 *
 * Every sysfs reader takes a root directory ("/" in production, a fixture
 * tree in tests) and reads <root>/sys/...; a missing, unreadable or garbled
 * file leaves its field unknown (NAN or -1), never 0, and never stops the
 * other fields.  Every file read and directory scan is bounded.  The text
 * parsers underneath take (buffer, length) so the fuzz harness
 * (tests/fuzz/fuzz_procfs.c) can drive them directly.
 */
#ifndef BE_TELEMETRY_H
#define BE_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "be_device.h"

#define BE_SYSFS_FILE_MAX	(64u * 1024)	/* bytes read from one file */
#define BE_SYSFS_SCAN_MAX	256		/* entries of one kind per dir */
#define BE_SYSFS_GPU_MAX	16		/* DRM cards examined */

/* ---- bounded file access under a root ---------------------------------- */

/*
 * Reads <root><rel> (rel starts with '/') into buf: at most cap - 1 bytes,
 * always NUL-terminated.  Returns the byte count, or -1 when the file is
 * missing, unreadable or not a regular file.  *truncated (may be NULL) is
 * set when the file held more than fit.
 */
ssize_t	be_sysfs_read(const char *root, const char *rel, char *buf,
	    size_t cap, bool *truncated);
/* One integer from <root><rel>; NAN when missing or not a number. */
double	be_sysfs_number(const char *root, const char *rel);

/* ---- pure parsers (buffer + length, no NUL needed) ---------------------- */

/*
 * One decimal integer, optional sign, surrounded by optional white space
 * (a sysfs attribute like "45000\n").  0 and *out set on success, -1 on
 * anything else (empty, trailing garbage, more than 18 digits).
 */
int	be_parse_sysfs_number(const char *buf, size_t len, double *out);
/*
 * KEY=VALUE lines (a sysfs uevent file): copies the value of the first line
 * whose key equals key into val (truncated to valsz - 1).  0 found, -1 not.
 */
int	be_parse_uevent(const char *buf, size_t len, const char *key,
	    char *val, size_t valsz);
/*
 * amdgpu pp_dpm_sclk / pp_dpm_mclk: "0: 500Mhz\n1: 1800Mhz *\n"; the line
 * marked '*' is the current level.  0 and *mhz set, -1 when none is marked.
 */
int	be_parse_dpm_current(const char *buf, size_t len, double *mhz);
/*
 * NVML UUID text ("GPU-01234567-89ab-…", also "MIG-…") into 16 bytes.
 * s is NUL-terminated; 0 on success, -1 when it is not 32 hex digits.
 */
int	be_nvml_parse_uuid(const char *s, uint8_t out[16]);

/* Average power in watts between two cumulative energy readings (µJ, s);
 * NAN when either is unknown, time does not advance, or the counter went
 * backwards (wrapped or reset). */
double	be_sysfs_power_from_energy(double prev_uj, double prev_t,
	    double now_uj, double now_t);

/* ---- battery / AC, thermal zones ----------------------------------------- */

/*
 * Every entry of /sys/class/power_supply.  The battery reported is the
 * first (by name) of type "Battery" whose "present" is not 0 and whose
 * "scope" is not "Device" (a wireless mouse's battery is not the
 * machine's); batteries
 * are not summed.  Units: energy_* µWh, or charge_* µAh times the nominal
 * voltage (voltage_min_design, else voltage_now) µV; power_now µW, or
 * |current_now| µA times voltage_now µV; temp tenths of °C.  Power is the
 * magnitude (drivers disagree on the sign).  ac_online is 1 when any
 * Mains/USB/Wireless supply reads online 1, 0 when all readable ones read 0,
 * -1 when none is readable.  out is initialised here.  Returns the number
 * of power supplies examined, or -1 when the class directory is missing.
 */
int	be_power_read(const char *root, struct be_battery *out,
	    const struct be_log *log);

/*
 * /sys/class/thermal/thermal_zone<N>/{type,temp} (m°C), in zone order.
 * Zones whose temp is unreadable or out of physical range are skipped.
 * Returns the number stored in out (at most max).
 */
int	be_thermal_read(const char *root, struct be_thermal_zone *out, int max,
	    const struct be_log *log);

/* ---- GPUs through DRM sysfs ------------------------------------------------ */

struct be_gpu_sysfs {
	struct be_pci		pci;
	char			driver[32];	/* "amdgpu", "i915", "xe", … */
	char			card[16];	/* "card0" */
	struct be_telemetry	t;		/* t.source = driver */
	double			memory_total_bytes;	/* NAN unknown */
	uint32_t		vendor_id;	/* PCI ids, 0 unknown */
	uint32_t		device_id;
	/*
	 * Cumulative energy counter (hwmon energy1_input, µJ) for drivers
	 * that expose energy rather than power (i915, xe): feed two samples
	 * to be_sysfs_power_from_energy().  NAN when there is none.
	 */
	double			energy_uj;
};

/*
 * Every /sys/class/drm/card<N> (not connectors like card0-DP-1, not
 * renderD*) whose device/uevent names a PCI_SLOT_NAME.  Readings by driver:
 * amdgpu VRAM total/used, busy %, hwmon edge temperature, power, sclk/mclk;
 * i915/xe hwmon temperature and energy, current GT frequency; any other
 * driver what its hwmon offers.  Returns the count stored (at most max), in
 * card-number order.
 */
int	be_sysfs_gpus(const char *root, struct be_gpu_sysfs *out, int max,
	    const struct be_log *log);

/* ---- NVIDIA GPUs through NVML ---------------------------------------------- */

struct be_nvml;		/* opaque: the dlopen handle and resolved symbols */

struct be_gpu_nvml {
	struct be_pci		pci;
	char			name[BE_NAME_MAX];
	bool			has_uuid;
	uint8_t			uuid[16];
	double			memory_total_bytes;	/* NAN unknown */
	struct be_telemetry	t;			/* t.source = "nvml" */
};

/*
 * Loads NVML (libpath NULL = "libnvidia-ml.so.1") and initialises it.
 * NULL when the library is absent, lacks a required symbol or nvmlInit
 * fails; the reason is logged once ("NVML not available: …"), as a
 * routine note (be_infof) when the library is absent or nvmlInit fails, as
 * a warning when the library lacks a required entry point.  The log is
 * copied and used for later per-device failures.
 */
struct be_nvml	*be_nvml_open(const char *libpath, const struct be_log *log);
/*
 * One record per NVML device, at most max.  A query that fails or is not
 * exported by this driver version leaves its field NAN.  Returns the count
 * stored, or -1 when the device count cannot be read.
 */
int		 be_nvml_gpus(struct be_nvml *, struct be_gpu_nvml *out,
		    int max);
/* nvmlShutdown + dlclose; NULL is fine. */
void		 be_nvml_close(struct be_nvml *);

#endif /* BE_TELEMETRY_H */
