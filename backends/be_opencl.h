/*
 * be_opencl.h - the OpenCL backend: list every device of every platform
 * the ICD loader knows, prove a device can hold and return data, and time
 * a quick capability probe on it.
 *
 * Three calls on purpose, each self-contained (it finds the device again by
 * platform_index / device_index and releases everything it made), so the
 * caller can run any of them in a forked child with a deadline and a
 * misbehaving driver costs only that child.
 */
#ifndef BE_OPENCL_H
#define BE_OPENCL_H

#include "be_device.h"

/*
 * Fills out[0..max-1] with one view per device (api BE_API_OPENCL) and
 * returns how many.  No ICD or no platform is 0 devices, not an error; a
 * platform or device whose queries fail is skipped with a logged reason.
 * Returns -1 only when the loader itself fails (e.g. out of memory).
 */
int	be_cl_enumerate(struct be_view *out, int max, const struct be_log *log);

/*
 * Writes a known pattern into a device buffer and reads it back.  Sets
 * v->verified (PASS or FAIL) and, on failure, v->verify_reason.  Returns
 * 0 on PASS, -1 on FAIL.
 */
int	be_cl_verify(struct be_view *v, const struct be_log *log);

/*
 * Measures device copy bandwidth, host-to-device bandwidth and fp32 FMA
 * throughput in well under a second (the kernel build included), checking
 * the kernels' outputs.  Fills v->bench and sets v->has_bench on success;
 * returns 0, or -1 with the reason logged.
 */
int	be_cl_bench(struct be_view *v, const struct be_log *log);

#endif /* BE_OPENCL_H */
