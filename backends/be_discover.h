/*
 * be_discover.h - the whole device-discovery pipeline for one node.
 *
 * Split in two because the halves have different costs:
 *  - be_discover_views: enumerate Vulkan and OpenCL, verify every view,
 *    optionally benchmark.  Slow (driver loading, kernels), each driver
 *    query in a child process (be_isolate), results cacheable.
 *  - be_discover_assemble: node facts from procfs/sysfs, merge views into
 *    one record per physical device, attach NVML and sysfs telemetry.
 *    Cheap and live, run every time.
 */
#ifndef BE_DISCOVER_H
#define BE_DISCOVER_H

#include <stdbool.h>

#include "be_device.h"

struct be_discover_opts {
	const char	*root;		/* procfs/sysfs root, "/" normally */
	const char	*nvml_path;	/* NULL: libnvidia-ml.so.1 */
	int		 timeout_ms;	/* per isolated driver query */
	bool		 verify;	/* copy round trip through each API */
	bool		 no_vulkan;
	bool		 no_opencl;
};

/* What a node reports: its facts and its devices. */
struct be_inventory {
	struct be_node		node;
	int			ndevices;
	struct be_device	devices[BE_MAX_DEVICES];
};

#define BE_MAX_TOTAL_VIEWS	BE_MAX_DEVICES

void	be_discover_opts_init(struct be_discover_opts *);
/* Fills views; returns their count (0 when no API has a device). */
int	be_discover_views(const struct be_discover_opts *, struct be_view *,
	    int, const struct be_log *);
/* Verifies one view (in a child process); the verdict lands in the view. */
void	be_discover_verify(const struct be_discover_opts *, struct be_view *,
	    const struct be_log *);
/* Benchmarks every view that has no figures yet.  Returns how many ran. */
int	be_discover_bench(const struct be_discover_opts *, struct be_view *,
	    int, const struct be_log *);
/* Node facts + merge + telemetry into inv. */
void	be_discover_assemble(const struct be_discover_opts *,
	    const struct be_view *, int, struct be_inventory *,
	    const struct be_log *);

#endif /* BE_DISCOVER_H */
