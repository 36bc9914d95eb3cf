/*
 * be_registry.h - the device registry cache.
 *
 * Enumerating Vulkan and OpenCL means loading every ICD (lavapipe and PoCL
 * bring LLVM along): hundreds of milliseconds, and benchmarks take up to a
 * second per device.  The registry keeps the per-API views - static facts,
 * verification verdicts and measured figures - keyed by a fingerprint of
 * the hardware and driver set-up, so later runs skip straight to the live
 * part (procfs, sysfs, NVML).  When the fingerprint changes, views are
 * re-discovered and bench figures are carried over only for a view with
 * the same API, name, identity and driver version.
 *
 * This file only turns views into bytes and back; the agent owns the file
 * and writes it atomically.  Decoding is bounded and strict: anything odd
 * and the cache is rebuilt, never trusted.
 */
#ifndef BE_REGISTRY_H
#define BE_REGISTRY_H

#include <stddef.h>

#include "be_device.h"

#define BE_REGISTRY_VERSION	2	/* 2: memory bandwidth is read, not copy */
#define BE_REGISTRY_MAX_BYTES	(4u << 20)
#define BE_FINGERPRINT_LEN	17	/* 16 hex digits + NUL */

/* malloc'd JSON text (NUL-terminated), or NULL on allocation failure. */
char	*be_registry_encode(const char *fingerprint, const struct be_view *,
	    int, size_t *);
/* Returns the view count, or -1 with err saying what is wrong. */
int	 be_registry_decode(const char *, size_t, char *fingerprint,
	    struct be_view *, int, char *err, size_t);
/*
 * Fingerprint of what decides the device list: PCI display/accelerator
 * functions, CPU model and thread count, Vulkan and OpenCL ICD manifests
 * (names, sizes, mtimes), kernel GPU driver versions and the ICD-selecting
 * environment variables.  All reads go through root.
 */
void	 be_registry_fingerprint(const char *root, char *out);
/* Same device through the same driver (so its bench figures still hold). */
int	 be_view_same_identity(const struct be_view *, const struct be_view *);
/* Copies bench figures from old views onto matching new ones. */
void	 be_registry_carry_bench(struct be_view *, int,
	    const struct be_view *, int);

#endif /* BE_REGISTRY_H */
