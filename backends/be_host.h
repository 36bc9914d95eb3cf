/*
 * be_host.h - facts about the node itself: host name, CPU model, cores and
 * threads, memory, plus the battery and thermal readings of be_telemetry.h,
 * gathered into one struct be_node.
 *
 * Like every sysfs/procfs reader here it takes a root directory ("/" in
 * production, a fixture tree in tests) and never fails as a whole: what it
 * cannot read stays unknown (-1, NAN, "") and is logged.  The /proc text
 * parsers take (buffer, length) so the fuzz harness can drive them.
 */
#ifndef BE_HOST_H
#define BE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "be_device.h"

#define BE_CPUINFO_MAX	(1u << 20)	/* /proc/cpuinfo bytes parsed */
#define BE_CPU_SCAN_MAX	4096		/* cpu<N> dirs and core ids kept */

/* What /proc/meminfo says; NAN where a line is missing or garbled. */
struct be_meminfo {
	double	total_bytes;		/* MemTotal */
	double	available_bytes;	/* MemAvailable */
};

/* What /proc/cpuinfo says. */
struct be_cpuinfo {
	char	model[BE_NAME_MAX];	/* "" unknown */
	int32_t	threads;		/* "processor" entries; -1 none */
	int32_t	cores;			/* distinct (physical id, core id);
					 * -1 when any entry lacks them */
};

/* Fills out (always); returns 0 when MemTotal was found, else -1. */
int	be_parse_meminfo(const char *buf, size_t len, struct be_meminfo *out);
/*
 * Fills out (always); returns 0 when at least one processor entry or a
 * model was found, else -1.  Model is "model name", else "cpu model",
 * "Processor", "Hardware", "cpu", else built from ARM's "CPU implementer" /
 * "CPU part".
 */
int	be_parse_cpuinfo(const char *buf, size_t len, struct be_cpuinfo *out);
/*
 * A kernel CPU list ("0-3,8-11\n").  Returns the number of CPUs named and
 * sets *first (may be NULL) to the lowest; -1 when malformed.
 */
int	be_parse_cpulist(const char *buf, size_t len, int *first);

/*
 * Everything about the node under root.  hostname: gethostname() when root
 * is "/", else <root>/proc/sys/kernel/hostname.  cpu_threads from cpuinfo,
 * else sys/devices/system/cpu/online; cpu_cores from cpuinfo, else the
 * per-CPU topology sibling lists.  Always returns 0.
 */
int	be_host_read(const char *root, struct be_node *out,
	    const struct be_log *log);

#endif /* BE_HOST_H */
