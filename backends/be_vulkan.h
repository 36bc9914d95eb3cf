/*
 * be_vulkan.h - the Vulkan backend: list every Vulkan physical device as a
 * be_view, prove one works (a buffer round trip through its queue), and
 * measure it (copy bandwidth, host-to-device bandwidth, FMA throughput).
 *
 * Three separate entry points rather than one probe, because the caller
 * runs them at different times and each in a forked child (a crashing
 * driver must not take the agent down): enumeration is cheap and runs at
 * start, verification and benchmarking run in the background.  Each call
 * creates and destroys its own VkInstance and keeps no global state, so any
 * of them may run in any process in any order.
 */
#ifndef BE_VULKAN_H
#define BE_VULKAN_H

#include "be_device.h"

/*
 * Fills out[0..max) with one view per Vulkan physical device, in the
 * loader's enumeration order (device_index).  Returns the number filled;
 * 0 when there is no Vulkan driver at all (logged, not an error); -1 on an
 * unexpected failure (logged).
 */
int	be_vk_enumerate(struct be_view *, int, const struct be_log *);

/*
 * Re-opens the device a view describes and copies a known pattern host ->
 * device -> host.  Sets verified (PASS/FAIL) and verify_reason.  Returns 0
 * on pass, -1 on fail.
 */
int	be_vk_verify(struct be_view *, const struct be_log *);

/*
 * Measures the device with real work in well under a second: fills
 * bench and sets has_bench.  Returns 0, or -1 with a logged reason.
 */
int	be_vk_bench(struct be_view *, const struct be_log *);

#endif /* BE_VULKAN_H */
