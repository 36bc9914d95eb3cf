/*
 * be_merge.h - fold per-API views and telemetry into one record per
 * physical device.
 *
 * Rules (docs/devices.md):
 *  1. Every CPU-type view (lavapipe, PoCL, …) is the host CPU: it joins the
 *     single "cpu" record built from /proc, which always exists.
 *  2. Other views match an existing record by PCI address, then by UUID;
 *     a view matching nothing starts a new record.  Views with a PCI address
 *     are placed first so a UUID-only view can find the record they made.
 *  3. Record fields come from the views in a fixed preference: telemetry
 *     (NVML/sysfs) for memory, Vulkan for the name, OpenCL for compute units
 *     and clocks; dtypes and APIs are unions; bench figures are the best each
 *     API measured.
 *  4. Telemetry is attached by PCI address.  A GPU that only NVML sees gets
 *     a record of its own (it is real, it just has no compute ICD here);
 *     DRM cards only enrich records, since virtual display adapters would
 *     otherwise pose as GPUs.
 */
#ifndef BE_MERGE_H
#define BE_MERGE_H

#include "be_device.h"
#include "be_telemetry.h"

/*
 * Builds records from views and the node facts.  Returns the record count
 * (>= 1: the CPU record), dropping views past max with a log line.
 */
int	be_merge(const struct be_view *, int, const struct be_node *,
	    struct be_device *, int, const struct be_log *);
/* Attaches DRM sysfs telemetry to records by PCI address. */
void	be_merge_sysfs(struct be_device *, int, const struct be_gpu_sysfs *,
	    int);
/* Attaches NVML telemetry; NVML-only GPUs are appended.  Returns count. */
int	be_merge_nvml(struct be_device *, int, int, const struct be_gpu_nvml *,
	    int, const struct be_log *);
/* Recomputes a record's summary fields from its views and telemetry. */
void	be_merge_summarize(struct be_device *);

#endif /* BE_MERGE_H */
