/*
 * be_device.h - the device record: what one node knows about one compute
 * device, and the per-API "views" it is merged from.
 *
 * Every backend (Vulkan, OpenCL, CPU) reports what it sees as a be_view.
 * The same physical device often appears through several APIs (lavapipe and
 * PoCL are both the host CPU; a discrete GPU shows up in Vulkan and OpenCL),
 * so be_merge folds views into one be_device per physical device, keyed by
 * PCI address, then UUID, with every CPU-type view collapsing into the host
 * CPU record.
 *
 * The structs are plain old data with fixed-size arrays on purpose: a probe
 * runs in a forked child (a crashing driver must not take the caller down)
 * and its results come back over a pipe byte for byte, and the registry
 * cache and tests compare them without any ownership rules.
 *
 * Unknown numbers are NAN (doubles) or -1 (counts); never 0, because 0 is a
 * real reading ("0 W", "0 % busy").
 */
#ifndef BE_DEVICE_H
#define BE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BE_NAME_MAX	256
#define BE_SHORT_MAX	128
#define BE_REASON_MAX	256
#define BE_ID_MAX	64
#define BE_MAX_VIEWS	8	/* APIs/ICDs through which one device is seen */
#define BE_MAX_DEVICES	64	/* per node; more are dropped with a log line */
#define BE_MAX_ZONES	32	/* thermal zones kept per node */

/* Compute APIs a device can be reached through (bit flags). */
enum be_api {
	BE_API_VULKAN = 1u << 0,
	BE_API_OPENCL = 1u << 1,
};
#define BE_API_COUNT 2

enum be_type {
	BE_TYPE_OTHER = 0,
	BE_TYPE_GPU,		/* discrete */
	BE_TYPE_INTEGRATED,
	BE_TYPE_CPU,
};

/* Data types a device can compute in (bit flags). */
enum be_dtype {
	BE_DTYPE_FP32 = 1u << 0,
	BE_DTYPE_FP16 = 1u << 1,
	BE_DTYPE_FP64 = 1u << 2,
	BE_DTYPE_INT8 = 1u << 3,
};

/* PCI address dddd:bb:dd.f. */
struct be_pci {
	bool		valid;
	uint32_t	domain;
	uint8_t		bus;
	uint8_t		dev;	/* 0..31 */
	uint8_t		fn;	/* 0..7 */
};

enum be_verdict {
	BE_VERIFY_NOT_RUN = 0,
	BE_VERIFY_PASS,
	BE_VERIFY_FAIL,
};

/* Measured capability; NAN where not measured. */
struct be_bench {
	double	memory_bandwidth_bytes_per_s;	/* device-local copy */
	double	h2d_bandwidth_bytes_per_s;	/* host to device */
	double	flops_per_s;			/* fp32 FMA throughput */
	double	elapsed_s;			/* wall time the probe took */
};

/* Live readings; NAN where unknown. */
struct be_telemetry {
	double	memory_used_bytes;
	double	memory_total_bytes;
	double	utilization_ratio;	/* 0..1 */
	double	temperature_celsius;
	double	power_watts;
	double	clock_graphics_mhz;
	double	clock_memory_mhz;
	char	source[32];		/* "nvml", "amdgpu", "i915", "xe", "" */
};

/* What one API reports about one device. */
struct be_view {
	enum be_api	api;
	uint32_t	platform_index;	/* OpenCL platform; 0 for Vulkan */
	uint32_t	device_index;	/* index within the API/platform */
	char		name[BE_NAME_MAX];
	char		vendor[BE_SHORT_MAX];
	uint32_t	vendor_id;	/* PCI vendor id or Khronos id; 0 unknown */
	enum be_type	type;
	char		driver_name[BE_SHORT_MAX];
	char		driver_version[BE_SHORT_MAX];
	char		api_version[32];
	bool		has_uuid;
	uint8_t		uuid[16];
	struct be_pci	pci;
	uint64_t	memory_total_bytes;	/* device-local heaps / global mem */
	double		memory_free_bytes;	/* NAN unless the API says */
	int32_t		compute_units;		/* -1 unknown */
	int32_t		clock_mhz;		/* -1 unknown */
	int32_t		subgroup_size;		/* -1 unknown */
	uint32_t	dtypes;			/* enum be_dtype flags */
	enum be_verdict	verified;
	char		verify_reason[BE_REASON_MAX];	/* why not, if FAIL */
	bool		has_bench;
	struct be_bench	bench;
};

/* One physical device on this node. */
struct be_device {
	char			id[BE_ID_MAX];	/* stable: pci-…, uuid-…, cpu */
	char			name[BE_NAME_MAX];
	char			vendor[BE_SHORT_MAX];
	enum be_type		type;
	struct be_pci		pci;
	bool			has_uuid;
	uint8_t			uuid[16];
	uint64_t		memory_total_bytes;
	double			memory_free_bytes;	/* NAN unknown */
	int32_t			compute_units;
	int32_t			clock_mhz;
	uint32_t		dtypes;
	uint32_t		apis;			/* enum be_api flags */
	int			nviews;
	struct be_view		views[BE_MAX_VIEWS];
	bool			has_bench;
	struct be_bench		bench;			/* best view's figures */
	struct be_telemetry	telemetry;
};

struct be_battery {
	bool	present;
	char	name[BE_SHORT_MAX];
	char	status[32];		/* "Charging", "Discharging", … */
	double	capacity_ratio;		/* 0..1, NAN unknown */
	double	energy_now_wh;		/* NAN unknown */
	double	energy_full_wh;
	double	power_watts;		/* NAN unknown */
	double	temperature_celsius;
	int	ac_online;		/* 1 on AC, 0 on battery, -1 unknown */
};

struct be_thermal_zone {
	char	type[BE_SHORT_MAX];
	double	temperature_celsius;
};

/* Facts about the node itself. */
struct be_node {
	char			hostname[BE_SHORT_MAX];
	char			cpu_model[BE_NAME_MAX];
	int32_t			cpu_cores;	/* physical, -1 unknown */
	int32_t			cpu_threads;	/* logical, -1 unknown */
	double			memory_total_bytes;
	double			memory_available_bytes;
	struct be_battery	battery;
	int			nzones;
	struct be_thermal_zone	zones[BE_MAX_ZONES];
};

/*
 * Where backends report what they skipped and why.  Backends never print;
 * the caller decides (agent logs, tests collect).
 */
struct be_log {
	void	(*fn)(void *ctx, const char *msg);	/* worth a warning */
	void	*ctx;
	void	(*info)(void *ctx, const char *msg);	/* routine; may be NULL */
};

/* Something was skipped or failed: the user should hear about it. */
void		be_logf(const struct be_log *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Routine facts ("no NVML on this machine"); dropped when info is NULL. */
void		be_infof(const struct be_log *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Helpers shared by every backend. */
void		be_view_init(struct be_view *);
void		be_device_init(struct be_device *);
void		be_telemetry_init(struct be_telemetry *);
void		be_node_init(struct be_node *);
const char	*be_api_name(enum be_api);
const char	*be_type_name(enum be_type);
/* "dddd:bb:dd.f" into buf (>= 13 bytes); "" when invalid. */
void		be_pci_format(const struct be_pci *, char *, size_t);
/* Parses "dddd:bb:dd.f", "bb:dd.f" or NVML's "ddddDDDD:bb:dd.f". */
int		be_pci_parse(const char *, struct be_pci *);
int		be_pci_equal(const struct be_pci *, const struct be_pci *);
/* Canonical 8-4-4-4-12 lowercase hex into buf (>= 37 bytes). */
void		be_uuid_format(const uint8_t[16], char *, size_t);
/* Bounded copy that always terminates; truncates silently. */
void		be_strlcpy(char *, const char *, size_t);

/*
 * Size of each of the two buffers of a memory-bandwidth benchmark: well
 * above the device's last-level cache, so the figure is the memory's and
 * not the cache's (docs/devices.md, "Benchmarks").  At least
 * BE_BENCH_COPY_FLOOR and 4 x llc (0: not reported), rounded up to a power
 * of two, at most BE_BENCH_COPY_CEIL, max_alloc and mem / 8, rounded down
 * to a power of two.  0 when that is under BE_BENCH_COPY_MIN.
 */
#define BE_BENCH_COPY_FLOOR	((uint64_t)256 << 20)
#define BE_BENCH_COPY_CEIL	((uint64_t)1 << 30)
#define BE_BENCH_COPY_MIN	((uint64_t)1 << 20)
uint64_t	be_bench_copy_bytes(uint64_t llc, uint64_t max_alloc,
		    uint64_t mem);

#endif /* BE_DEVICE_H */
