/*
 * be_vulkan.c - the Vulkan backend: enumeration, verification and
 * micro-benchmarks of every Vulkan physical device (see be_vulkan.h).
 *
 * How it is shaped:
 * - Every entry point opens its own VkInstance and closes it before
 *   returning; nothing is cached in globals, because the caller runs each
 *   step in a forked child and may run them in any order.
 * - Only Vulkan 1.0 entry points are called through the linked loader;
 *   1.1+ ones (vkEnumerateInstanceVersion, *2 queries) are looked up with
 *   vkGetInstanceProcAddr so an old loader or driver degrades to fewer
 *   facts instead of failing to load.  A pNext structure is chained only
 *   when the device's API version or an extension it offers says it is
 *   understood.
 * - verify and bench share one "context" (instance, device, queue, one
 *   command buffer, one fence) and one buffer helper; each step records a
 *   command buffer, submits it and waits, so there is no overlap to reason
 *   about and every object is released on every path by one close
 *   function that tolerates half-built state.
 * - verify always copies host-visible -> device-local -> host-visible with
 *   vkCmdCopyBuffer, even where device-local memory is host-visible too
 *   (lavapipe), so the queue and copy engine are exercised every time.
 * - The benchmark sizes its work adaptively: a run starts small and grows
 *   (bigger buffers first, then more repetitions) until it takes a few tens
 *   of milliseconds, then the median of up to three runs is kept; each
 *   phase has a time budget and the whole probe a deadline, so a slow CPU
 *   rasteriser (lavapipe on two cores) and a data-centre GPU both finish in
 *   well under a second.  Device timestamps are used when the queue has
 *   them, wall-clock time around submit + wait otherwise.  Every phase
 *   reads back a few results and checks them, so a broken driver or shader
 *   cannot report a figure.
 */
#include "be_vulkan.h"

#include <vulkan/vulkan.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spv_read.h"
#include "spv_fma.h"

#define VK_WHY_MAX	BE_REASON_MAX
#define VK_ST_PCI_BUS_INFO \
	VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PCI_BUS_INFO_PROPERTIES_EXT

#define VK_VERIFY_BYTES	(1u << 20)		/* verify round trip size */
#define VK_BENCH_MIN	((VkDeviceSize)1 << 20)	/* smallest acceptable */
#define VK_WG		64u			/* local_size_x of shaders */
#define VK_MAX_GROUPS	65535u			/* guaranteed minimum */
#define VK_READ_GROUPS	4096u	/* read: enough in flight for HBM; fewer
				   groups amortise per-group cost on CPUs */
#define VK_TARGET_S	0.030			/* aim for one run */
#define VK_PHASE_S	0.220			/* budget per phase */
#define VK_DEADLINE_S	0.850			/* budget for the bench */
#define VK_RUNS		3			/* median of */
#define VK_MAX_REPS	256u
#define VK_NSAMPLES	16			/* results checked per phase */
#define VK_FENCE_NS	(30ull * 1000 * 1000 * 1000) /* hang detector */

#define VK_FMA_TRIPS	128u	/* loop trips; 4 steps each */
#define VK_FMA_CHAINS	32u	/* independent recurrences per invocation */
#define VK_FMA_M	0.999f
#define VK_FMA_C	0.01f

/* Push constants shared by both shaders (16 bytes). */
struct vk_push {
	uint32_t	n;
	uint32_t	iters;
	float		m;
	float		c;
};

/* The "2" queries: NULL where unavailable. */
struct vk_q2 {
	PFN_vkGetPhysicalDeviceProperties2	 props2;
	PFN_vkGetPhysicalDeviceFeatures2	 feats2;
	PFN_vkGetPhysicalDeviceMemoryProperties2 mem2;
};

/*
 * core serves devices of API 1.1+ on a 1.1+ instance; khr (from
 * VK_KHR_get_physical_device_properties2) serves the rest.
 */
struct vk_inst {
	VkInstance	inst;
	uint32_t	version;
	struct vk_q2	core;
	struct vk_q2	khr;
};

/* Device extensions that change what we may query. */
struct vk_devext {
	int	driver_props;
	int	pci_bus_info;
	int	memory_budget;
	int	float16_int8;
};

struct vk_ctx {
	struct vk_inst				vi;
	VkPhysicalDevice			pd;
	VkPhysicalDeviceProperties		props;
	VkPhysicalDeviceMemoryProperties	mem;
	uint32_t				qfam;
	uint32_t				ts_bits;
	int					compute;
	VkDevice				dev;
	VkQueue					queue;
	VkCommandPool				pool;
	VkCommandBuffer				cmd;
	VkFence					fence;
};

enum vk_mem_use {
	VK_MEM_DEVICE,		/* device-local working buffer */
	VK_MEM_UPLOAD,		/* host-visible source of uploads */
	VK_MEM_READBACK,	/* host-visible destination of downloads */
};

struct vk_buf {
	VkBuffer	buf;
	VkDeviceMemory	mem;
	VkDeviceSize	size;
	void		*map;
};

struct vk_bench {
	struct vk_ctx		c;
	struct vk_buf		src;	/* device-local */
	struct vk_buf		dst;	/* device-local */
	struct vk_buf		up;	/* host-visible, pattern */
	struct vk_buf		rb;	/* host-visible, samples */
	VkDeviceSize		bufsize;
	uint32_t		max_groups;
	VkQueryPool		qpool;
	VkDescriptorSetLayout	dsl;
	VkPipelineLayout	layout;
	VkDescriptorPool	dpool;
	VkDescriptorSet		set;
	VkShaderModule		mod_read;
	VkShaderModule		mod_fma;
	VkPipeline		pipe_read;
	VkPipeline		pipe_fma;
	double			deadline;
};

/* One measured step: records work of the given size and repetitions. */
typedef int	(*vk_record_fn)(struct vk_bench *, uint64_t, uint32_t);

struct vk_phase {
	uint64_t	size_min;
	uint64_t	size_max;
	uint64_t	quantum;
	vk_record_fn	record;
	const char	*what;
};

struct vk_phase_result {
	uint64_t	size;
	uint32_t	reps;
	double		secs;	/* median */
};

static const struct {
	VkResult	 r;
	const char	*name;
} vk_results[] = {
	{ VK_SUCCESS, "VK_SUCCESS" },
	{ VK_NOT_READY, "VK_NOT_READY" },
	{ VK_TIMEOUT, "VK_TIMEOUT" },
	{ VK_EVENT_SET, "VK_EVENT_SET" },
	{ VK_EVENT_RESET, "VK_EVENT_RESET" },
	{ VK_INCOMPLETE, "VK_INCOMPLETE" },
	{ VK_ERROR_OUT_OF_HOST_MEMORY, "VK_ERROR_OUT_OF_HOST_MEMORY" },
	{ VK_ERROR_OUT_OF_DEVICE_MEMORY, "VK_ERROR_OUT_OF_DEVICE_MEMORY" },
	{ VK_ERROR_INITIALIZATION_FAILED, "VK_ERROR_INITIALIZATION_FAILED" },
	{ VK_ERROR_DEVICE_LOST, "VK_ERROR_DEVICE_LOST" },
	{ VK_ERROR_MEMORY_MAP_FAILED, "VK_ERROR_MEMORY_MAP_FAILED" },
	{ VK_ERROR_LAYER_NOT_PRESENT, "VK_ERROR_LAYER_NOT_PRESENT" },
	{ VK_ERROR_EXTENSION_NOT_PRESENT, "VK_ERROR_EXTENSION_NOT_PRESENT" },
	{ VK_ERROR_FEATURE_NOT_PRESENT, "VK_ERROR_FEATURE_NOT_PRESENT" },
	{ VK_ERROR_INCOMPATIBLE_DRIVER, "VK_ERROR_INCOMPATIBLE_DRIVER" },
	{ VK_ERROR_TOO_MANY_OBJECTS, "VK_ERROR_TOO_MANY_OBJECTS" },
	{ VK_ERROR_FORMAT_NOT_SUPPORTED, "VK_ERROR_FORMAT_NOT_SUPPORTED" },
	{ VK_ERROR_FRAGMENTED_POOL, "VK_ERROR_FRAGMENTED_POOL" },
	{ VK_ERROR_UNKNOWN, "VK_ERROR_UNKNOWN" },
	{ VK_ERROR_OUT_OF_POOL_MEMORY, "VK_ERROR_OUT_OF_POOL_MEMORY" },
	{ VK_ERROR_INVALID_EXTERNAL_HANDLE,
	    "VK_ERROR_INVALID_EXTERNAL_HANDLE" },
	{ VK_ERROR_FRAGMENTATION, "VK_ERROR_FRAGMENTATION" },
	{ VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS,
	    "VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS" },
	{ VK_PIPELINE_COMPILE_REQUIRED, "VK_PIPELINE_COMPILE_REQUIRED" },
	{ VK_ERROR_SURFACE_LOST_KHR, "VK_ERROR_SURFACE_LOST_KHR" },
	{ VK_ERROR_OUT_OF_DATE_KHR, "VK_ERROR_OUT_OF_DATE_KHR" },
	{ VK_ERROR_VALIDATION_FAILED_EXT, "VK_ERROR_VALIDATION_FAILED_EXT" },
	{ VK_ERROR_INVALID_SHADER_NV, "VK_ERROR_INVALID_SHADER_NV" },
	{ VK_ERROR_NOT_PERMITTED_KHR, "VK_ERROR_NOT_PERMITTED_KHR" },
};

static const struct {
	uint32_t	 id;
	const char	*name;
} vk_vendors[] = {
	{ 0x10de, "NVIDIA" },
	{ 0x1002, "AMD" },
	{ 0x1022, "AMD" },
	{ 0x8086, "Intel" },
	{ 0x106b, "Apple" },
	{ 0x13b5, "ARM" },
	{ 0x5143, "Qualcomm" },
	{ 0x1010, "Imagination" },
	{ 0x14e4, "Broadcom" },
	{ 0x1ae0, "Google" },
	{ 0x1414, "Microsoft" },
	{ 0x15ad, "VMware" },
	{ 0x1af4, "Red Hat (virtio)" },
	{ 0x1ed5, "Moore Threads" },
	{ 0x10001, "Vivante" },
	{ 0x10002, "VeriSilicon" },
	{ 0x10003, "Kazan" },
	{ 0x10004, "Codeplay" },
	{ 0x10005, "Mesa" },
	{ 0x10006, "PoCL" },
	{ 0x10007, "Mobileye" },
};

static const char *
vk_result_name(VkResult r)
{
	size_t	i;

	for (i = 0; i < sizeof vk_results / sizeof vk_results[0]; i++)
		if (vk_results[i].r == r)
			return vk_results[i].name;
	return "VK_RESULT_UNKNOWN";
}

/* Formats "call: VK_ERROR_..." into why; returns -1 for tail calls. */
static int
vk_fail(char *why, size_t whylen, const char *call, VkResult r)
{
	(void)snprintf(why, whylen, "%s: %s (%d)", call, vk_result_name(r),
	    (int)r);
	return -1;
}

static int
vk_failf(char *why, size_t whylen, const char *msg)
{
	be_strlcpy(why, msg, whylen);
	return -1;
}

/* Puts "what: " in front of why; returns -1 for tail calls. */
static int
vk_prefix(char *why, size_t whylen, const char *what)
{
	char	tmp[VK_WHY_MAX];

	be_strlcpy(tmp, why, sizeof tmp);
	if (snprintf(why, whylen, "%s: %s", what, tmp) < 0)
		be_strlcpy(why, what, whylen);	/* truncation is fine */
	return -1;
}

static double
vk_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0.0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
vk_vendor(uint32_t id, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof vk_vendors / sizeof vk_vendors[0]; i++) {
		if (vk_vendors[i].id == id) {
			be_strlcpy(buf, vk_vendors[i].name, len);
			return;
		}
	}
	(void)snprintf(buf, len, "0x%04x", (unsigned)id);
}

static enum be_type
vk_type(VkPhysicalDeviceType t)
{
	switch (t) {
	case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
		return BE_TYPE_GPU;
	case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
		return BE_TYPE_INTEGRATED;
	case VK_PHYSICAL_DEVICE_TYPE_CPU:
		return BE_TYPE_CPU;
	default:
		return BE_TYPE_OTHER;
	}
}

/* NVIDIA packs 10.8.8.6 bits; everyone else follows VK_MAKE_API_VERSION. */
static void
vk_driver_version(uint32_t vendor, uint32_t v, char *buf, size_t len)
{
	if (vendor == 0x10de)
		(void)snprintf(buf, len, "%u.%u.%u.%u", (v >> 22) & 0x3ff,
		    (v >> 14) & 0xff, (v >> 6) & 0xff, v & 0x3f);
	else
		(void)snprintf(buf, len, "%u.%u.%u", VK_API_VERSION_MAJOR(v),
		    VK_API_VERSION_MINOR(v), VK_API_VERSION_PATCH(v));
}

static int
vk_has_ext(const VkExtensionProperties *e, uint32_t n, const char *name)
{
	uint32_t	i;

	for (i = 0; i < n; i++)
		if (strncmp(e[i].extensionName, name,
		    sizeof e[i].extensionName) == 0)
			return 1;
	return 0;
}

static PFN_vkVoidFunction
vk_proc(VkInstance inst, const char *name, const char *suffix)
{
	char	full[96];

	if (snprintf(full, sizeof full, "%s%s", name, suffix) >=
	    (int)sizeof full)
		return NULL;
	return vkGetInstanceProcAddr(inst, full);
}

static void
vk_q2_load(VkInstance inst, struct vk_q2 *q, const char *suffix)
{
	q->props2 = (PFN_vkGetPhysicalDeviceProperties2)vk_proc(inst,
	    "vkGetPhysicalDeviceProperties2", suffix);
	q->feats2 = (PFN_vkGetPhysicalDeviceFeatures2)vk_proc(inst,
	    "vkGetPhysicalDeviceFeatures2", suffix);
	q->mem2 = (PFN_vkGetPhysicalDeviceMemoryProperties2)vk_proc(inst,
	    "vkGetPhysicalDeviceMemoryProperties2", suffix);
}

/*
 * Creates an instance.  Returns 1 with vi filled, 0 when there is no
 * Vulkan driver at all (why says so), -1 on other failures.
 */
static int
vk_inst_open(struct vk_inst *vi, char *why, size_t whylen)
{
	PFN_vkEnumerateInstanceVersion	 ev;
	VkExtensionProperties		*exts = NULL;
	VkApplicationInfo		 app;
	VkInstanceCreateInfo		 ci;
	const char			*enable[2];
	uint32_t			 n = 0, nenable = 0;
	int				 portability = 0, props2khr = 0;
	VkResult			 r;

	memset(vi, 0, sizeof *vi);
	vi->version = VK_API_VERSION_1_0;
	ev = (PFN_vkEnumerateInstanceVersion)vkGetInstanceProcAddr(NULL,
	    "vkEnumerateInstanceVersion");
	if (ev != NULL && ev(&vi->version) != VK_SUCCESS)
		vi->version = VK_API_VERSION_1_0;
	if (vi->version > VK_API_VERSION_1_3)
		vi->version = VK_API_VERSION_1_3;
	vi->version = VK_MAKE_API_VERSION(0, VK_API_VERSION_MAJOR(vi->version),
	    VK_API_VERSION_MINOR(vi->version), 0);

	r = vkEnumerateInstanceExtensionProperties(NULL, &n, NULL);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE)
		return vk_fail(why, whylen,
		    "vkEnumerateInstanceExtensionProperties", r);
	if (n > 0) {
		if ((exts = calloc(n, sizeof *exts)) == NULL)
			return vk_failf(why, whylen, "out of memory");
		r = vkEnumerateInstanceExtensionProperties(NULL, &n, exts);
		if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
			free(exts);
			return vk_fail(why, whylen,
			    "vkEnumerateInstanceExtensionProperties", r);
		}
		portability = vk_has_ext(exts, n,
		    VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
		props2khr = vk_has_ext(exts, n,
		    VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME);
		free(exts);
	}
	if (portability)
		enable[nenable++] =
		    VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
	if (props2khr)
		enable[nenable++] =
		    VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME;

	memset(&app, 0, sizeof app);
	app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
	app.pApplicationName = "exogpu";
	app.pEngineName = "exogpu";
	app.apiVersion = vi->version;
	memset(&ci, 0, sizeof ci);
	ci.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
	ci.pApplicationInfo = &app;
	ci.enabledExtensionCount = nenable;
	ci.ppEnabledExtensionNames = nenable > 0 ? enable : NULL;
	if (portability)
		ci.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
	r = vkCreateInstance(&ci, NULL, &vi->inst);
	if (r == VK_ERROR_INCOMPATIBLE_DRIVER ||
	    r == VK_ERROR_INITIALIZATION_FAILED) {
		vi->inst = VK_NULL_HANDLE;
		(void)vk_fail(why, whylen, "vkCreateInstance", r);
		return 0;
	}
	if (r != VK_SUCCESS) {
		vi->inst = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateInstance", r);
	}

	if (vi->version >= VK_API_VERSION_1_1)
		vk_q2_load(vi->inst, &vi->core, "");
	if (props2khr)
		vk_q2_load(vi->inst, &vi->khr, "KHR");
	return 1;
}

static void
vk_inst_close(struct vk_inst *vi)
{
	if (vi->inst != VK_NULL_HANDLE)
		vkDestroyInstance(vi->inst, NULL);
	vi->inst = VK_NULL_HANDLE;
}

/*
 * The physical devices of an instance into a fresh array (*out, caller
 * frees).  VK_ERROR_INITIALIZATION_FAILED here also means "no driver".
 */
static int
vk_physdevs(const struct vk_inst *vi, VkPhysicalDevice **out, uint32_t *n,
    char *why, size_t whylen)
{
	VkPhysicalDevice	*pds;
	VkResult		 r;

	*out = NULL;
	*n = 0;
	r = vkEnumeratePhysicalDevices(vi->inst, n, NULL);
	if (r == VK_ERROR_INITIALIZATION_FAILED) {
		*n = 0;
		return 0;
	}
	if (r != VK_SUCCESS && r != VK_INCOMPLETE)
		return vk_fail(why, whylen, "vkEnumeratePhysicalDevices", r);
	if (*n == 0)
		return 0;
	if ((pds = calloc(*n, sizeof *pds)) == NULL)
		return vk_failf(why, whylen, "out of memory");
	r = vkEnumeratePhysicalDevices(vi->inst, n, pds);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
		free(pds);
		*n = 0;
		return vk_fail(why, whylen, "vkEnumeratePhysicalDevices", r);
	}
	*out = pds;
	return 0;
}

static void
vk_devexts(VkPhysicalDevice pd, struct vk_devext *de)
{
	VkExtensionProperties	*e;
	uint32_t		 n = 0;
	VkResult		 r;

	memset(de, 0, sizeof *de);
	r = vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL);
	if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || n == 0)
		return;
	if ((e = calloc(n, sizeof *e)) == NULL)
		return;
	r = vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e);
	if (r == VK_SUCCESS || r == VK_INCOMPLETE) {
		de->driver_props = vk_has_ext(e, n,
		    VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
		de->pci_bus_info = vk_has_ext(e, n,
		    VK_EXT_PCI_BUS_INFO_EXTENSION_NAME);
		de->memory_budget = vk_has_ext(e, n,
		    VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
		de->float16_int8 = vk_has_ext(e, n,
		    VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
	}
	free(e);
}

/* Appends s to a pNext chain whose free tail is *tail. */
static void
vk_chain(void ***tail, void *s, void **s_next)
{
	**tail = s;
	*tail = s_next;
}

static void
vk_fill_memory(const struct vk_q2 *q, VkPhysicalDevice pd,
    const struct vk_devext *de, struct be_view *v)
{
	VkPhysicalDeviceMemoryProperties		mp;
	VkPhysicalDeviceMemoryProperties2		mp2;
	VkPhysicalDeviceMemoryBudgetPropertiesEXT	mb;
	uint32_t					i;
	double						free_b = 0.0;

	vkGetPhysicalDeviceMemoryProperties(pd, &mp);
	v->memory_total_bytes = 0;
	for (i = 0; i < mp.memoryHeapCount && i < VK_MAX_MEMORY_HEAPS; i++)
		if (mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
			v->memory_total_bytes += mp.memoryHeaps[i].size;

	if (!de->memory_budget || q->mem2 == NULL)
		return;
	memset(&mp2, 0, sizeof mp2);
	memset(&mb, 0, sizeof mb);
	mp2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2;
	mb.sType =
	    VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT;
	mp2.pNext = &mb;
	q->mem2(pd, &mp2);
	for (i = 0; i < mp2.memoryProperties.memoryHeapCount &&
	    i < VK_MAX_MEMORY_HEAPS; i++) {
		if (!(mp2.memoryProperties.memoryHeaps[i].flags &
		    VK_MEMORY_HEAP_DEVICE_LOCAL_BIT))
			continue;
		if (mb.heapBudget[i] > mb.heapUsage[i])
			free_b += (double)(mb.heapBudget[i] - mb.heapUsage[i]);
	}
	v->memory_free_bytes = free_b;
}

static void
vk_fill_features(const struct vk_q2 *q, VkPhysicalDevice pd,
    const struct vk_devext *de, int dev12, struct be_view *v)
{
	VkPhysicalDeviceFeatures			f;
	VkPhysicalDeviceFeatures2			f2;
	VkPhysicalDeviceShaderFloat16Int8Features	fi;

	vkGetPhysicalDeviceFeatures(pd, &f);
	v->dtypes = BE_DTYPE_FP32;
	if (f.shaderFloat64)
		v->dtypes |= BE_DTYPE_FP64;
	if (q->feats2 == NULL || (!dev12 && !de->float16_int8))
		return;
	memset(&f2, 0, sizeof f2);
	memset(&fi, 0, sizeof fi);
	f2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
	fi.sType =
	    VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
	f2.pNext = &fi;
	q->feats2(pd, &f2);
	if (fi.shaderFloat16)
		v->dtypes |= BE_DTYPE_FP16;
	if (fi.shaderInt8)
		v->dtypes |= BE_DTYPE_INT8;
}

/* Everything one physical device says about itself, as a view. */
static void
vk_fill_view(const struct vk_inst *vi, VkPhysicalDevice pd, uint32_t idx,
    struct be_view *v)
{
	VkPhysicalDeviceProperties		p;
	VkPhysicalDeviceProperties2		p2;
	VkPhysicalDeviceIDProperties		idp;
	VkPhysicalDeviceSubgroupProperties	sg;
	VkPhysicalDeviceDriverProperties	drv;
	VkPhysicalDevicePCIBusInfoPropertiesEXT	pci;
	struct vk_devext			de;
	const struct vk_q2			*q;
	void					**tail;
	int					dev11, dev12, use_id, use_drv;
	int					use_pci;

	vkGetPhysicalDeviceProperties(pd, &p);
	vk_devexts(pd, &de);
	dev11 = vi->version >= VK_API_VERSION_1_1 &&
	    p.apiVersion >= VK_API_VERSION_1_1;
	dev12 = vi->version >= VK_API_VERSION_1_2 &&
	    p.apiVersion >= VK_API_VERSION_1_2;

	be_view_init(v);
	v->api = BE_API_VULKAN;
	v->platform_index = 0;
	v->device_index = idx;
	be_strlcpy(v->name, p.deviceName, sizeof v->name);
	v->vendor_id = p.vendorID;
	vk_vendor(p.vendorID, v->vendor, sizeof v->vendor);
	v->type = vk_type(p.deviceType);
	(void)snprintf(v->api_version, sizeof v->api_version, "%u.%u.%u",
	    VK_API_VERSION_MAJOR(p.apiVersion),
	    VK_API_VERSION_MINOR(p.apiVersion),
	    VK_API_VERSION_PATCH(p.apiVersion));
	vk_driver_version(p.vendorID, p.driverVersion, v->driver_version,
	    sizeof v->driver_version);
	v->compute_units = -1;
	v->clock_mhz = -1;

	q = dev11 && vi->core.props2 != NULL ? &vi->core : &vi->khr;
	use_id = dev11 && q->props2 != NULL;
	use_drv = q->props2 != NULL && (dev12 || de.driver_props);
	use_pci = q->props2 != NULL && de.pci_bus_info;
	if (q->props2 != NULL) {
		memset(&p2, 0, sizeof p2);
		memset(&idp, 0, sizeof idp);
		memset(&sg, 0, sizeof sg);
		memset(&drv, 0, sizeof drv);
		memset(&pci, 0, sizeof pci);
		p2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
		idp.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES;
		sg.sType =
		    VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
		drv.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
		pci.sType = VK_ST_PCI_BUS_INFO;
		tail = &p2.pNext;
		if (use_id) {
			vk_chain(&tail, &idp, &idp.pNext);
			vk_chain(&tail, &sg, &sg.pNext);
		}
		if (use_drv)
			vk_chain(&tail, &drv, &drv.pNext);
		if (use_pci)
			vk_chain(&tail, &pci, &pci.pNext);
		q->props2(pd, &p2);

		if (use_id) {
			memcpy(v->uuid, idp.deviceUUID, sizeof v->uuid);
			v->has_uuid = true;
			if (sg.subgroupSize > 0 && sg.subgroupSize <= INT32_MAX)
				v->subgroup_size = (int32_t)sg.subgroupSize;
		}
		if (use_drv) {
			/* Bounded by our size: unterminated is safe. */
			be_strlcpy(v->driver_name, drv.driverName,
			    sizeof v->driver_name);
			if (drv.driverInfo[0] != '\0')
				be_strlcpy(v->driver_version, drv.driverInfo,
				    sizeof v->driver_version);
		}
		if (use_pci && pci.pciBus <= 0xff && pci.pciDevice <= 31 &&
		    pci.pciFunction <= 7) {
			v->pci.valid = true;
			v->pci.domain = pci.pciDomain;
			v->pci.bus = (uint8_t)pci.pciBus;
			v->pci.dev = (uint8_t)pci.pciDevice;
			v->pci.fn = (uint8_t)pci.pciFunction;
		}
	}
	vk_fill_memory(q, pd, &de, v);
	vk_fill_features(q, pd, &de, dev12, v);
}

int
be_vk_enumerate(struct be_view *out, int max, const struct be_log *log)
{
	struct vk_inst		 vi;
	VkPhysicalDevice	*pds;
	uint32_t		 n, i;
	char			 why[VK_WHY_MAX];
	int			 rc, filled = 0;

	if (out == NULL || max < 0)
		return -1;
	rc = vk_inst_open(&vi, why, sizeof why);
	if (rc == 0) {
		be_infof(log, "vulkan: no driver, zero devices (%s)", why);
		return 0;
	}
	if (rc == -1) {
		be_logf(log, "vulkan: %s", why);
		return -1;
	}
	if (vk_physdevs(&vi, &pds, &n, why, sizeof why) == -1) {
		be_logf(log, "vulkan: %s", why);
		vk_inst_close(&vi);
		return -1;
	}
	if (n == 0)
		be_infof(log, "vulkan: loader found no physical devices");
	for (i = 0; i < n; i++) {
		if (filled >= max) {
			be_logf(log, "vulkan: %u devices, only %d kept", n,
			    max);
			break;
		}
		vk_fill_view(&vi, pds[i], i, &out[filled++]);
	}
	free(pds);
	vk_inst_close(&vi);
	return filled;
}

/* ---- verification and benchmark context ---- */

static void
vk_ctx_close(struct vk_ctx *c)
{
	if (c->dev != VK_NULL_HANDLE) {
		(void)vkDeviceWaitIdle(c->dev);
		if (c->fence != VK_NULL_HANDLE)
			vkDestroyFence(c->dev, c->fence, NULL);
		if (c->pool != VK_NULL_HANDLE)
			vkDestroyCommandPool(c->dev, c->pool, NULL);
		vkDestroyDevice(c->dev, NULL);
	}
	c->fence = VK_NULL_HANDLE;
	c->pool = VK_NULL_HANDLE;
	c->cmd = VK_NULL_HANDLE;
	c->dev = VK_NULL_HANDLE;
	vk_inst_close(&c->vi);
}

/*
 * Re-finds the device a view describes and opens it with one queue (a
 * compute queue when there is one).  On failure why says why and whatever
 * was built is left for vk_ctx_close.
 */
static int
vk_ctx_open(struct vk_ctx *c, const struct be_view *v, char *why,
    size_t whylen)
{
	VkPhysicalDevice	*pds = NULL;
	VkQueueFamilyProperties	*qf = NULL;
	VkDeviceQueueCreateInfo	 qci;
	VkDeviceCreateInfo	 dci;
	VkCommandPoolCreateInfo	 pci;
	VkCommandBufferAllocateInfo cai;
	VkFenceCreateInfo	 fci;
	struct be_view		 now;
	uint32_t		 n, nq = 0, i, pick = UINT32_MAX;
	float			 prio = 1.0f;
	VkResult		 r;
	int			 rc;

	memset(c, 0, sizeof *c);
	if (v->api != BE_API_VULKAN)
		return vk_failf(why, whylen, "not a Vulkan view");
	rc = vk_inst_open(&c->vi, why, whylen);
	if (rc != 1)
		return -1;
	if (vk_physdevs(&c->vi, &pds, &n, why, whylen) == -1)
		return -1;
	if (v->device_index >= n) {
		(void)snprintf(why, whylen, "device list changed: index %u, "
		    "%u devices now", v->device_index, n);
		free(pds);
		return -1;
	}
	c->pd = pds[v->device_index];
	free(pds);
	vk_fill_view(&c->vi, c->pd, v->device_index, &now);
	if (strcmp(now.name, v->name) != 0 || (v->has_uuid &&
	    (!now.has_uuid || memcmp(now.uuid, v->uuid, sizeof v->uuid) != 0)))
		return vk_failf(why, whylen,
		    "device list changed: name or uuid differs");
	vkGetPhysicalDeviceProperties(c->pd, &c->props);
	vkGetPhysicalDeviceMemoryProperties(c->pd, &c->mem);

	vkGetPhysicalDeviceQueueFamilyProperties(c->pd, &nq, NULL);
	if (nq == 0)
		return vk_failf(why, whylen, "no queue families");
	if ((qf = calloc(nq, sizeof *qf)) == NULL)
		return vk_failf(why, whylen, "out of memory");
	vkGetPhysicalDeviceQueueFamilyProperties(c->pd, &nq, qf);
	for (i = 0; i < nq && pick == UINT32_MAX; i++)
		if (qf[i].queueCount > 0 &&
		    (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT))
			pick = i;
	c->compute = pick != UINT32_MAX;
	/* Graphics and compute queues imply transfer. */
	for (i = 0; i < nq && pick == UINT32_MAX; i++)
		if (qf[i].queueCount > 0 && (qf[i].queueFlags &
		    (VK_QUEUE_TRANSFER_BIT | VK_QUEUE_GRAPHICS_BIT)))
			pick = i;
	if (pick == UINT32_MAX) {
		free(qf);
		return vk_failf(why, whylen, "no transfer-capable queue");
	}
	c->qfam = pick;
	c->ts_bits = qf[pick].timestampValidBits;
	free(qf);

	memset(&qci, 0, sizeof qci);
	qci.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
	qci.queueFamilyIndex = c->qfam;
	qci.queueCount = 1;
	qci.pQueuePriorities = &prio;
	memset(&dci, 0, sizeof dci);
	dci.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
	dci.queueCreateInfoCount = 1;
	dci.pQueueCreateInfos = &qci;
	if ((r = vkCreateDevice(c->pd, &dci, NULL, &c->dev)) != VK_SUCCESS) {
		c->dev = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateDevice", r);
	}
	vkGetDeviceQueue(c->dev, c->qfam, 0, &c->queue);

	memset(&pci, 0, sizeof pci);
	pci.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
	pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
	pci.queueFamilyIndex = c->qfam;
	if ((r = vkCreateCommandPool(c->dev, &pci, NULL, &c->pool)) !=
	    VK_SUCCESS) {
		c->pool = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateCommandPool", r);
	}
	memset(&cai, 0, sizeof cai);
	cai.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
	cai.commandPool = c->pool;
	cai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
	cai.commandBufferCount = 1;
	if ((r = vkAllocateCommandBuffers(c->dev, &cai, &c->cmd)) !=
	    VK_SUCCESS) {
		c->cmd = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkAllocateCommandBuffers", r);
	}
	memset(&fci, 0, sizeof fci);
	fci.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
	if ((r = vkCreateFence(c->dev, &fci, NULL, &c->fence)) !=
	    VK_SUCCESS) {
		c->fence = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateFence", r);
	}
	return 0;
}

static int
vk_begin(struct vk_ctx *c, char *why, size_t whylen)
{
	VkCommandBufferBeginInfo	bi;
	VkResult			r;

	if ((r = vkResetCommandBuffer(c->cmd, 0)) != VK_SUCCESS)
		return vk_fail(why, whylen, "vkResetCommandBuffer", r);
	memset(&bi, 0, sizeof bi);
	bi.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
	bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
	if ((r = vkBeginCommandBuffer(c->cmd, &bi)) != VK_SUCCESS)
		return vk_fail(why, whylen, "vkBeginCommandBuffer", r);
	return 0;
}

/* Ends the command buffer, submits it and waits for it. */
static int
vk_submit_wait(struct vk_ctx *c, char *why, size_t whylen)
{
	VkSubmitInfo	si;
	VkResult	r;

	if ((r = vkEndCommandBuffer(c->cmd)) != VK_SUCCESS)
		return vk_fail(why, whylen, "vkEndCommandBuffer", r);
	if ((r = vkResetFences(c->dev, 1, &c->fence)) != VK_SUCCESS)
		return vk_fail(why, whylen, "vkResetFences", r);
	memset(&si, 0, sizeof si);
	si.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
	si.commandBufferCount = 1;
	si.pCommandBuffers = &c->cmd;
	if ((r = vkQueueSubmit(c->queue, 1, &si, c->fence)) != VK_SUCCESS)
		return vk_fail(why, whylen, "vkQueueSubmit", r);
	r = vkWaitForFences(c->dev, 1, &c->fence, VK_TRUE, VK_FENCE_NS);
	if (r != VK_SUCCESS)
		return vk_fail(why, whylen, "vkWaitForFences", r);
	return 0;
}

/* A full memory barrier between whatever came before and what follows. */
static void
vk_barrier(VkCommandBuffer cmd, VkPipelineStageFlags src,
    VkAccessFlags src_access, VkPipelineStageFlags dst,
    VkAccessFlags dst_access)
{
	VkMemoryBarrier	mb;

	memset(&mb, 0, sizeof mb);
	mb.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
	mb.srcAccessMask = src_access;
	mb.dstAccessMask = dst_access;
	vkCmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, NULL, 0, NULL);
}

static void
vk_barrier_all(VkCommandBuffer cmd)
{
	vk_barrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
	    VK_ACCESS_MEMORY_WRITE_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
	    VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT);
}

/*
 * Picks a memory type allowed by bits that has all of need, preferring
 * types with want and without avoid.  -1 when none has need.
 */
static int
vk_pick_type(const VkPhysicalDeviceMemoryProperties *mp, uint32_t bits,
    VkMemoryPropertyFlags need, VkMemoryPropertyFlags want,
    VkMemoryPropertyFlags avoid)
{
	VkMemoryPropertyFlags	f;
	uint32_t		i;
	int			best = -1, score, best_score = -1;

	for (i = 0; i < mp->memoryTypeCount && i < VK_MAX_MEMORY_TYPES; i++) {
		if (!(bits & (1u << i)))
			continue;
		f = mp->memoryTypes[i].propertyFlags;
		if ((f & need) != need)
			continue;
		score = ((f & want) == want ? 2 : 0) +
		    ((f & avoid) == 0 ? 1 : 0);
		if (score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	return best;
}

static void
vk_buf_destroy(struct vk_ctx *c, struct vk_buf *b)
{
	if (c->dev == VK_NULL_HANDLE)
		return;
	if (b->map != NULL)
		vkUnmapMemory(c->dev, b->mem);
	if (b->buf != VK_NULL_HANDLE)
		vkDestroyBuffer(c->dev, b->buf, NULL);
	if (b->mem != VK_NULL_HANDLE)
		vkFreeMemory(c->dev, b->mem, NULL);
	memset(b, 0, sizeof *b);
}

static int
vk_buf_create(struct vk_ctx *c, struct vk_buf *b, VkDeviceSize size,
    VkBufferUsageFlags usage, enum vk_mem_use use, char *why, size_t whylen)
{
	VkBufferCreateInfo	bci;
	VkMemoryAllocateInfo	mai;
	VkMemoryRequirements	req;
	VkMemoryPropertyFlags	need = 0, want = 0, avoid = 0;
	VkResult		r;
	int			type;

	memset(b, 0, sizeof *b);
	memset(&bci, 0, sizeof bci);
	bci.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
	bci.size = size;
	bci.usage = usage;
	bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
	if ((r = vkCreateBuffer(c->dev, &bci, NULL, &b->buf)) != VK_SUCCESS) {
		b->buf = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateBuffer", r);
	}
	vkGetBufferMemoryRequirements(c->dev, b->buf, &req);
	switch (use) {
	case VK_MEM_DEVICE:
		want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
		avoid = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
		break;
	case VK_MEM_UPLOAD:
		/* Real host memory, not a device-local BAR window. */
		need = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
		    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
		avoid = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
		break;
	case VK_MEM_READBACK:
		need = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
		    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
		want = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
		break;
	}
	type = vk_pick_type(&c->mem, req.memoryTypeBits, need, want, avoid);
	if (type == -1) {
		vk_buf_destroy(c, b);
		return vk_failf(why, whylen, "no suitable memory type");
	}
	memset(&mai, 0, sizeof mai);
	mai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
	mai.allocationSize = req.size;
	mai.memoryTypeIndex = (uint32_t)type;
	if ((r = vkAllocateMemory(c->dev, &mai, NULL, &b->mem)) !=
	    VK_SUCCESS) {
		b->mem = VK_NULL_HANDLE;
		vk_buf_destroy(c, b);
		return vk_fail(why, whylen, "vkAllocateMemory", r);
	}
	if ((r = vkBindBufferMemory(c->dev, b->buf, b->mem, 0)) !=
	    VK_SUCCESS) {
		vk_buf_destroy(c, b);
		return vk_fail(why, whylen, "vkBindBufferMemory", r);
	}
	if (use != VK_MEM_DEVICE) {
		r = vkMapMemory(c->dev, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map);
		if (r != VK_SUCCESS) {
			b->map = NULL;
			vk_buf_destroy(c, b);
			return vk_fail(why, whylen, "vkMapMemory", r);
		}
	}
	b->size = size;
	return 0;
}

/* The test pattern: word k of a buffer; never zero, no short period. */
static uint32_t
vk_pattern(uint64_t k)
{
	uint32_t	x = (uint32_t)k * 0x9e3779b1u ^ (uint32_t)(k >> 32);

	x ^= x >> 15;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	return x | 1u;
}

static void
vk_fill_pattern(void *p, VkDeviceSize bytes)
{
	uint32_t	*w = p;
	uint64_t	 k;

	for (k = 0; k < bytes / 4; k++)
		w[k] = vk_pattern(k);
}

static void
vk_copy(VkCommandBuffer cmd, VkBuffer from, VkBuffer to, VkDeviceSize n)
{
	VkBufferCopy	region;

	memset(&region, 0, sizeof region);
	region.size = n;
	vkCmdCopyBuffer(cmd, from, to, 1, &region);
}

/* host -> device -> host through the queue; why says what went wrong. */
static int
vk_roundtrip(struct vk_ctx *c, char *why, size_t whylen)
{
	struct vk_buf		up, dl, rb;
	const unsigned char	*got, *want;
	VkDeviceSize		 n = VK_VERIFY_BYTES, i;
	int			 rc = -1;

	memset(&up, 0, sizeof up);
	memset(&dl, 0, sizeof dl);
	memset(&rb, 0, sizeof rb);
	if (vk_buf_create(c, &up, n, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
	    VK_MEM_UPLOAD, why, whylen) == -1 ||
	    vk_buf_create(c, &dl, n, VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
	    VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEM_DEVICE, why,
	    whylen) == -1 ||
	    vk_buf_create(c, &rb, n, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
	    VK_MEM_READBACK, why, whylen) == -1)
		goto out;
	vk_fill_pattern(up.map, n);
	memset(rb.map, 0, (size_t)n);

	if (vk_begin(c, why, whylen) == -1)
		goto out;
	vk_copy(c->cmd, up.buf, dl.buf, n);
	vk_barrier(c->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
	    VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
	    VK_ACCESS_TRANSFER_READ_BIT);
	vk_copy(c->cmd, dl.buf, rb.buf, n);
	vk_barrier(c->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
	    VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
	    VK_ACCESS_HOST_READ_BIT);
	if (vk_submit_wait(c, why, whylen) == -1)
		goto out;

	got = rb.map;
	want = up.map;
	for (i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			(void)snprintf(why, whylen,
			    "readback mismatch at byte %llu",
			    (unsigned long long)i);
			goto out;
		}
	}
	rc = 0;
out:
	vk_buf_destroy(c, &rb);
	vk_buf_destroy(c, &dl);
	vk_buf_destroy(c, &up);
	return rc;
}

int
be_vk_verify(struct be_view *v, const struct be_log *log)
{
	struct vk_ctx	c;
	char		why[VK_WHY_MAX];
	int		rc;

	if (v == NULL)
		return -1;
	why[0] = '\0';
	rc = vk_ctx_open(&c, v, why, sizeof why);
	if (rc == 0)
		rc = vk_roundtrip(&c, why, sizeof why);
	vk_ctx_close(&c);
	if (rc == 0) {
		v->verified = BE_VERIFY_PASS;
		v->verify_reason[0] = '\0';
		return 0;
	}
	if (why[0] == '\0')
		be_strlcpy(why, "unknown failure", sizeof why);
	v->verified = BE_VERIFY_FAIL;
	be_strlcpy(v->verify_reason, why, sizeof v->verify_reason);
	be_logf(log, "vulkan: device %u (%s): verify failed: %s",
	    v->device_index, v->name, why);
	return -1;
}

/* ---- benchmark ---- */

static int
vk_shader(struct vk_bench *b, const uint32_t *code, size_t len,
    VkShaderModule *mod, VkPipeline *pipe, char *why, size_t whylen)
{
	VkShaderModuleCreateInfo	smi;
	VkComputePipelineCreateInfo	cpi;
	VkResult			r;

	memset(&smi, 0, sizeof smi);
	smi.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
	smi.codeSize = len;
	smi.pCode = code;
	if ((r = vkCreateShaderModule(b->c.dev, &smi, NULL, mod)) !=
	    VK_SUCCESS) {
		*mod = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateShaderModule", r);
	}
	memset(&cpi, 0, sizeof cpi);
	cpi.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
	cpi.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
	cpi.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
	cpi.stage.module = *mod;
	cpi.stage.pName = "main";
	cpi.layout = b->layout;
	r = vkCreateComputePipelines(b->c.dev, VK_NULL_HANDLE, 1, &cpi, NULL,
	    pipe);
	if (r != VK_SUCCESS) {
		*pipe = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateComputePipelines", r);
	}
	return 0;
}

/* Descriptor set (0: src, 1: dst), pipeline layout, both pipelines. */
static int
vk_pipelines(struct vk_bench *b, char *why, size_t whylen)
{
	VkDescriptorSetLayoutBinding	bind[2];
	VkDescriptorSetLayoutCreateInfo	dli;
	VkPushConstantRange		pcr;
	VkPipelineLayoutCreateInfo	pli;
	VkDescriptorPoolSize		ps;
	VkDescriptorPoolCreateInfo	dpi;
	VkDescriptorSetAllocateInfo	dai;
	VkDescriptorBufferInfo		dbi[2];
	VkWriteDescriptorSet		wds[2];
	VkDevice			dev = b->c.dev;
	VkResult			r;
	int				i;

	memset(bind, 0, sizeof bind);
	for (i = 0; i < 2; i++) {
		bind[i].binding = (uint32_t)i;
		bind[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
		bind[i].descriptorCount = 1;
		bind[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
	}
	memset(&dli, 0, sizeof dli);
	dli.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
	dli.bindingCount = 2;
	dli.pBindings = bind;
	if ((r = vkCreateDescriptorSetLayout(dev, &dli, NULL, &b->dsl)) !=
	    VK_SUCCESS) {
		b->dsl = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateDescriptorSetLayout", r);
	}
	memset(&pcr, 0, sizeof pcr);
	pcr.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
	pcr.size = sizeof(struct vk_push);
	memset(&pli, 0, sizeof pli);
	pli.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
	pli.setLayoutCount = 1;
	pli.pSetLayouts = &b->dsl;
	pli.pushConstantRangeCount = 1;
	pli.pPushConstantRanges = &pcr;
	if ((r = vkCreatePipelineLayout(dev, &pli, NULL, &b->layout)) !=
	    VK_SUCCESS) {
		b->layout = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreatePipelineLayout", r);
	}
	memset(&ps, 0, sizeof ps);
	ps.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
	ps.descriptorCount = 2;
	memset(&dpi, 0, sizeof dpi);
	dpi.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
	dpi.maxSets = 1;
	dpi.poolSizeCount = 1;
	dpi.pPoolSizes = &ps;
	if ((r = vkCreateDescriptorPool(dev, &dpi, NULL, &b->dpool)) !=
	    VK_SUCCESS) {
		b->dpool = VK_NULL_HANDLE;
		return vk_fail(why, whylen, "vkCreateDescriptorPool", r);
	}
	memset(&dai, 0, sizeof dai);
	dai.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
	dai.descriptorPool = b->dpool;
	dai.descriptorSetCount = 1;
	dai.pSetLayouts = &b->dsl;
	if ((r = vkAllocateDescriptorSets(dev, &dai, &b->set)) != VK_SUCCESS)
		return vk_fail(why, whylen, "vkAllocateDescriptorSets", r);
	memset(dbi, 0, sizeof dbi);
	memset(wds, 0, sizeof wds);
	dbi[0].buffer = b->src.buf;
	dbi[1].buffer = b->dst.buf;
	for (i = 0; i < 2; i++) {
		dbi[i].range = VK_WHOLE_SIZE;
		wds[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
		wds[i].dstSet = b->set;
		wds[i].dstBinding = (uint32_t)i;
		wds[i].descriptorCount = 1;
		wds[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
		wds[i].pBufferInfo = &dbi[i];
	}
	vkUpdateDescriptorSets(dev, 2, wds, 0, NULL);

	if (vk_shader(b, be_spv_read, sizeof be_spv_read, &b->mod_read,
	    &b->pipe_read, why, whylen) == -1)
		return -1;
	return vk_shader(b, be_spv_fma, sizeof be_spv_fma, &b->mod_fma,
	    &b->pipe_fma, why, whylen);
}

static void
vk_bench_close(struct vk_bench *b)
{
	VkDevice	dev = b->c.dev;

	if (dev != VK_NULL_HANDLE) {
		(void)vkDeviceWaitIdle(dev);
		if (b->pipe_read != VK_NULL_HANDLE)
			vkDestroyPipeline(dev, b->pipe_read, NULL);
		if (b->pipe_fma != VK_NULL_HANDLE)
			vkDestroyPipeline(dev, b->pipe_fma, NULL);
		if (b->mod_read != VK_NULL_HANDLE)
			vkDestroyShaderModule(dev, b->mod_read, NULL);
		if (b->mod_fma != VK_NULL_HANDLE)
			vkDestroyShaderModule(dev, b->mod_fma, NULL);
		if (b->layout != VK_NULL_HANDLE)
			vkDestroyPipelineLayout(dev, b->layout, NULL);
		if (b->dpool != VK_NULL_HANDLE)
			vkDestroyDescriptorPool(dev, b->dpool, NULL);
		if (b->dsl != VK_NULL_HANDLE)
			vkDestroyDescriptorSetLayout(dev, b->dsl, NULL);
		if (b->qpool != VK_NULL_HANDLE)
			vkDestroyQueryPool(dev, b->qpool, NULL);
		vk_buf_destroy(&b->c, &b->rb);
		vk_buf_destroy(&b->c, &b->up);
		vk_buf_destroy(&b->c, &b->dst);
		vk_buf_destroy(&b->c, &b->src);
	}
	vk_ctx_close(&b->c);
}

/* Largest device-local heap, for sizing buffers well below it. */
static VkDeviceSize
vk_local_heap(const VkPhysicalDeviceMemoryProperties *mp)
{
	VkDeviceSize	best = 0;
	uint32_t	i;

	for (i = 0; i < mp->memoryHeapCount && i < VK_MAX_MEMORY_HEAPS; i++)
		if ((mp->memoryHeaps[i].flags &
		    VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
		    mp->memoryHeaps[i].size > best)
			best = mp->memoryHeaps[i].size;
	return best;
}

static int
vk_bench_setup(struct vk_bench *b, char *why, size_t whylen)
{
	const VkPhysicalDeviceLimits	*lim = &b->c.props.limits;
	VkQueryPoolCreateInfo		 qpi;
	VkDeviceSize			 sz;
	VkResult			 r;

	if (!b->c.compute)
		return vk_failf(why, whylen, "no compute queue");
	/*
	 * Vulkan reports no cache size: the floor (256 MiB) is above the L2
	 * of today's GPUs; CPU and integrated devices share the host's LLC,
	 * which reaches hundreds of MiB, so they get the ceiling.
	 */
	sz = be_bench_copy_bytes(b->c.props.deviceType ==
	    VK_PHYSICAL_DEVICE_TYPE_CPU || b->c.props.deviceType ==
	    VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU ? BE_BENCH_COPY_CEIL : 0,
	    lim->maxStorageBufferRange, vk_local_heap(&b->c.mem));
	if (sz < VK_BENCH_MIN)
		return vk_failf(why, whylen, "device memory too small");
	b->bufsize = sz;
	b->max_groups = lim->maxComputeWorkGroupCount[0] < VK_MAX_GROUPS ?
	    lim->maxComputeWorkGroupCount[0] : VK_MAX_GROUPS;
	if (lim->maxComputeWorkGroupSize[0] < VK_WG ||
	    lim->maxComputeWorkGroupInvocations < VK_WG || b->max_groups == 0)
		return vk_failf(why, whylen, "work-group limits too small");

	if (vk_buf_create(&b->c, &b->src, sz,
	    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
	    VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
	    VK_MEM_DEVICE, why, whylen) == -1 ||
	    vk_buf_create(&b->c, &b->dst, sz,
	    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
	    VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
	    VK_MEM_DEVICE, why, whylen) == -1 ||
	    vk_buf_create(&b->c, &b->up, sz, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
	    VK_MEM_UPLOAD, why, whylen) == -1 ||
	    vk_buf_create(&b->c, &b->rb, 16 * VK_NSAMPLES,
	    VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEM_READBACK, why,
	    whylen) == -1)
		return -1;
	vk_fill_pattern(b->up.map, sz);

	if (b->c.ts_bits > 0 && lim->timestampPeriod > 0.0f) {
		memset(&qpi, 0, sizeof qpi);
		qpi.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO;
		qpi.queryType = VK_QUERY_TYPE_TIMESTAMP;
		qpi.queryCount = 2;
		r = vkCreateQueryPool(b->c.dev, &qpi, NULL, &b->qpool);
		if (r != VK_SUCCESS)
			b->qpool = VK_NULL_HANDLE;	/* wall clock then */
	}
	return vk_pipelines(b, why, whylen);
}

/*
 * Records one timed run with rec(), submits it and returns its duration:
 * device timestamps when they are available and plausible, otherwise wall
 * time around submit + wait.
 */
static int
vk_timed(struct vk_bench *b, vk_record_fn rec, uint64_t size, uint32_t reps,
    double *secs, char *why, size_t whylen)
{
	uint64_t	ts[2], mask, ticks;
	double		t0, wall, dev;
	VkResult	r;

	if (vk_begin(&b->c, why, whylen) == -1)
		return -1;
	vk_barrier_all(b->c.cmd);
	if (b->qpool != VK_NULL_HANDLE) {
		vkCmdResetQueryPool(b->c.cmd, b->qpool, 0, 2);
		vkCmdWriteTimestamp(b->c.cmd,
		    VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, b->qpool, 0);
	}
	if (rec(b, size, reps) == -1)
		return vk_failf(why, whylen, "bad work size");
	if (b->qpool != VK_NULL_HANDLE)
		vkCmdWriteTimestamp(b->c.cmd,
		    VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, b->qpool, 1);
	t0 = vk_now();
	if (vk_submit_wait(&b->c, why, whylen) == -1)
		return -1;
	wall = vk_now() - t0;
	*secs = wall;
	if (b->qpool == VK_NULL_HANDLE)
		return 0;
	r = vkGetQueryPoolResults(b->c.dev, b->qpool, 0, 2, sizeof ts, ts,
	    sizeof ts[0], VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
	if (r != VK_SUCCESS)
		return vk_fail(why, whylen, "vkGetQueryPoolResults", r);
	mask = b->c.ts_bits >= 64 ? UINT64_MAX :
	    ((uint64_t)1 << b->c.ts_bits) - 1;
	ticks = (ts[1] - ts[0]) & mask;
	dev = (double)ticks * (double)b->c.props.limits.timestampPeriod * 1e-9;
	if (dev > 0.0 && dev <= wall * 1.05 + 1e-4)
		*secs = dev;
	return 0;
}

static int
vk_rec_h2d(struct vk_bench *b, uint64_t bytes, uint32_t reps)
{
	uint32_t	i;

	if (bytes == 0 || bytes > b->bufsize)
		return -1;
	for (i = 0; i < reps; i++) {
		if (i > 0)
			vk_barrier(b->c.cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
			    VK_ACCESS_TRANSFER_WRITE_BIT,
			    VK_PIPELINE_STAGE_TRANSFER_BIT,
			    VK_ACCESS_TRANSFER_WRITE_BIT);
		vk_copy(b->c.cmd, b->up.buf, b->src.buf, bytes);
	}
	return 0;
}

static uint32_t
vk_groups(const struct vk_bench *b, uint64_t invocations, uint32_t cap)
{
	uint64_t	g = (invocations + VK_WG - 1) / VK_WG;

	if (cap > b->max_groups)
		cap = b->max_groups;
	return g > cap ? cap : (uint32_t)g;
}

static void
vk_dispatch(struct vk_bench *b, VkPipeline pipe, const struct vk_push *pc,
    uint32_t groups, uint32_t reps)
{
	uint32_t	i;

	vkCmdBindPipeline(b->c.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
	vkCmdBindDescriptorSets(b->c.cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
	    b->layout, 0, 1, &b->set, 0, NULL);
	vkCmdPushConstants(b->c.cmd, b->layout, VK_SHADER_STAGE_COMPUTE_BIT,
	    0, sizeof *pc, pc);
	for (i = 0; i < reps; i++) {
		if (i > 0)
			vk_barrier(b->c.cmd,
			    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			    VK_ACCESS_SHADER_WRITE_BIT,
			    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			    VK_ACCESS_SHADER_WRITE_BIT);
		vkCmdDispatch(b->c.cmd, groups, 1, 1);
	}
}

/* size = uvec4 elements read per repetition. */
static int
vk_rec_read(struct vk_bench *b, uint64_t elems, uint32_t reps)
{
	struct vk_push	pc;

	if (elems == 0 || elems > b->bufsize / 16)
		return -1;
	memset(&pc, 0, sizeof pc);
	pc.n = (uint32_t)elems;
	vk_dispatch(b, b->pipe_read, &pc, vk_groups(b, elems,
	    VK_READ_GROUPS), reps);
	return 0;
}

/* size = invocations, one output float each. */
static int
vk_rec_fma(struct vk_bench *b, uint64_t inv, uint32_t reps)
{
	struct vk_push	pc;

	if (inv == 0 || inv > b->bufsize / 4 ||
	    vk_groups(b, inv, VK_MAX_GROUPS) * (uint64_t)VK_WG < inv)
		return -1;
	memset(&pc, 0, sizeof pc);
	pc.n = (uint32_t)inv;
	pc.iters = VK_FMA_TRIPS;
	pc.m = VK_FMA_M;
	pc.c = VK_FMA_C;
	vk_dispatch(b, b->pipe_fma, &pc, vk_groups(b, inv, VK_MAX_GROUPS),
	    reps);
	return 0;
}

static int
vk_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Grows the work (size first, then repetitions) until one run takes
 * about VK_TARGET_S or the phase budget is spent, then keeps the median of
 * up to VK_RUNS runs at that size.
 */
static int
vk_phase_run(struct vk_bench *b, const struct vk_phase *ph,
    struct vk_phase_result *res, char *why, size_t whylen)
{
	double		t[VK_RUNS], secs, f, end;
	uint64_t	size = ph->size_min, ns;
	uint32_t	reps = 1;
	int		n = 0;

	end = vk_now() + VK_PHASE_S;
	if (end > b->deadline)
		end = b->deadline;
	for (;;) {
		if (vk_timed(b, ph->record, size, reps, &secs, why,
		    whylen) == -1)
			return vk_prefix(why, whylen, ph->what);
		if (secs >= VK_TARGET_S * 0.5 || vk_now() >= end ||
		    (size >= ph->size_max && reps >= VK_MAX_REPS))
			break;
		f = secs > 0.0 ? VK_TARGET_S / secs : 16.0;
		if (f < 2.0)
			f = 2.0;
		if (f > 16.0)
			f = 16.0;
		if (size < ph->size_max) {
			ns = (uint64_t)((double)size * f);
			ns = (ns + ph->quantum - 1) / ph->quantum * ph->quantum;
			size = ns > ph->size_max ? ph->size_max : ns;
		} else {
			ns = (uint64_t)((double)reps * f);
			reps = ns > VK_MAX_REPS ? VK_MAX_REPS : (uint32_t)ns;
		}
	}
	t[n++] = secs;
	while (n < VK_RUNS && vk_now() < end) {
		if (vk_timed(b, ph->record, size, reps, &secs, why,
		    whylen) == -1)
			return vk_prefix(why, whylen, ph->what);
		t[n++] = secs;
	}
	qsort(t, (size_t)n, sizeof t[0], vk_cmp_double);
	res->size = size;
	res->reps = reps;
	res->secs = t[n / 2];
	if (!(res->secs > 0.0)) {
		(void)snprintf(why, whylen, "%s: run too short to time",
		    ph->what);
		return -1;
	}
	return 0;
}

/* Copies VK_NSAMPLES pieces of len bytes at offs[] of buf into out. */
static int
vk_samples(struct vk_bench *b, VkBuffer buf, const VkDeviceSize *offs,
    VkDeviceSize len, void *out, char *why, size_t whylen)
{
	VkBufferCopy	reg[VK_NSAMPLES];
	int		i;

	if (vk_begin(&b->c, why, whylen) == -1)
		return -1;
	vk_barrier_all(b->c.cmd);
	memset(reg, 0, sizeof reg);
	for (i = 0; i < VK_NSAMPLES; i++) {
		reg[i].srcOffset = offs[i];
		reg[i].dstOffset = (VkDeviceSize)i * len;
		reg[i].size = len;
	}
	vkCmdCopyBuffer(b->c.cmd, buf, b->rb.buf, VK_NSAMPLES, reg);
	vk_barrier(b->c.cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
	    VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
	    VK_ACCESS_HOST_READ_BIT);
	if (vk_submit_wait(&b->c, why, whylen) == -1)
		return -1;
	memcpy(out, b->rb.map, (size_t)(VK_NSAMPLES * len));
	return 0;
}

/* Checks 16-byte pattern samples spread over the first elems*16 bytes. */
static int
vk_check_pattern(struct vk_bench *b, VkBuffer buf, uint64_t elems,
    const char *what, char *why, size_t whylen)
{
	VkDeviceSize	offs[VK_NSAMPLES];
	uint32_t	got[VK_NSAMPLES * 4];
	uint64_t	e;
	int		i, j;

	for (i = 0; i < VK_NSAMPLES; i++)
		offs[i] = (elems - 1) * (uint64_t)i / (VK_NSAMPLES - 1) * 16;
	if (vk_samples(b, buf, offs, 16, got, why, whylen) == -1)
		return -1;
	for (i = 0; i < VK_NSAMPLES; i++) {
		e = offs[i] / 16;
		for (j = 0; j < 4; j++) {
			if (got[i * 4 + j] != vk_pattern(e * 4 + (uint64_t)j)) {
				(void)snprintf(why, whylen, "%s: wrong data "
				    "at byte %llu", what,
				    (unsigned long long)(offs[i] + 4u * j));
				return -1;
			}
		}
	}
	return 0;
}

/* read.comp's sum for invocation g of a grid of stride over n elements. */
static uint32_t
vk_read_expect(uint64_t g, uint64_t stride, uint64_t n)
{
	uint32_t	sum = 0;
	uint64_t	i;
	int		j;

	for (i = g; i < n; i += stride)
		for (j = 0; j < 4; j++)
			sum += vk_pattern(i * 4 + (uint64_t)j);
	return sum;
}

/* Checks a few of read.comp's sums (invocations that are multiples of
 * four, so each sample is one aligned 16-byte piece). */
static int
vk_check_read(struct vk_bench *b, uint64_t elems, char *why, size_t whylen)
{
	VkDeviceSize	offs[VK_NSAMPLES];
	uint32_t	got[VK_NSAMPLES * 4];
	uint64_t	stride, g;
	int		i;

	stride = (uint64_t)vk_groups(b, elems, VK_READ_GROUPS) * VK_WG;
	for (i = 0; i < VK_NSAMPLES; i++)
		offs[i] = ((stride - 4) * (uint64_t)i / (VK_NSAMPLES - 1)) /
		    4 * 16;
	if (vk_samples(b, b->dst.buf, offs, 16, got, why, whylen) == -1)
		return -1;
	for (i = 0; i < VK_NSAMPLES; i++) {
		g = offs[i] / 4;
		if (got[i * 4] != vk_read_expect(g, stride, elems)) {
			(void)snprintf(why, whylen, "read: wrong sum at "
			    "invocation %llu", (unsigned long long)g);
			return -1;
		}
	}
	return 0;
}

/* What fma.comp must have written for invocation g (in double). */
static double
vk_fma_expect(uint64_t g)
{
	double		a, sum = 0.0, base;
	uint32_t	j, k;

	base = (double)((float)(g & 255u) * 0.01f);
	for (j = 0; j < VK_FMA_CHAINS; j++) {
		a = base + (double)j;
		for (k = 0; k < VK_FMA_TRIPS * 4; k++)
			a = a * (double)VK_FMA_M + (double)VK_FMA_C;
		sum += a;
	}
	return sum;
}

static int
vk_check_fma(struct vk_bench *b, uint64_t inv, char *why, size_t whylen)
{
	VkDeviceSize	offs[VK_NSAMPLES];
	float		got[VK_NSAMPLES];
	double		want;
	uint64_t	g;
	int		i;

	for (i = 0; i < VK_NSAMPLES; i++)
		offs[i] = (inv - 1) * (uint64_t)i / (VK_NSAMPLES - 1) * 4;
	if (vk_samples(b, b->dst.buf, offs, 4, got, why, whylen) == -1)
		return -1;
	for (i = 0; i < VK_NSAMPLES; i++) {
		g = offs[i] / 4;
		want = vk_fma_expect(g);
		if (!(fabs((double)got[i] - want) <= 1e-3 * fabs(want))) {
			(void)snprintf(why, whylen, "fma: invocation %llu "
			    "wrote %g, expected %g", (unsigned long long)g,
			    (double)got[i], want);
			return -1;
		}
	}
	return 0;
}

/* Clears dst with zeros and makes src a full copy of the pattern. */
static int
vk_prepare(struct vk_bench *b, int upload, char *why, size_t whylen)
{
	if (vk_begin(&b->c, why, whylen) == -1)
		return -1;
	vk_barrier_all(b->c.cmd);
	if (upload)
		vk_copy(b->c.cmd, b->up.buf, b->src.buf, b->bufsize);
	vkCmdFillBuffer(b->c.cmd, b->dst.buf, 0, VK_WHOLE_SIZE, 0);
	return vk_submit_wait(&b->c, why, whylen);
}

static int
vk_bench_run(struct vk_bench *b, struct be_bench *out, char *why,
    size_t whylen)
{
	struct vk_phase		ph;
	struct vk_phase_result	res;
	uint64_t		max_inv;

	/* Host-visible -> device-local with vkCmdCopyBuffer. */
	memset(&ph, 0, sizeof ph);
	ph.size_min = VK_BENCH_MIN;
	ph.size_max = b->bufsize;
	ph.quantum = 4096;
	ph.record = vk_rec_h2d;
	ph.what = "h2d";
	if (vk_phase_run(b, &ph, &res, why, whylen) == -1 ||
	    vk_check_pattern(b, b->src.buf, res.size / 16, "h2d", why,
	    whylen) == -1)
		return -1;
	out->h2d_bandwidth_bytes_per_s = (double)res.size * res.reps /
	    res.secs;

	/*
	 * The storage buffer streamed by a compute shader: bytes read per
	 * second, as a model's weights are read when decoding (a copy would
	 * count a write per byte read too; docs/devices.md, "Benchmarks").
	 */
	if (vk_prepare(b, res.size < b->bufsize, why, whylen) == -1)
		return vk_prefix(why, whylen, "prepare read");
	ph.size_min = VK_BENCH_MIN / 16;
	ph.size_max = b->bufsize / 16;
	ph.quantum = VK_WG;
	ph.record = vk_rec_read;
	ph.what = "read";
	if (vk_phase_run(b, &ph, &res, why, whylen) == -1 ||
	    vk_check_read(b, res.size, why, whylen) == -1)
		return -1;
	out->memory_bandwidth_bytes_per_s = 16.0 * (double)res.size *
	    res.reps / res.secs;

	/* Independent FMA chains. */
	if (vk_prepare(b, 0, why, whylen) == -1)
		return vk_prefix(why, whylen, "prepare fma");
	max_inv = (uint64_t)b->max_groups * VK_WG;
	if (max_inv > b->bufsize / 4)
		max_inv = b->bufsize / 4;
	ph.size_min = 64 * VK_WG < max_inv ? 64 * VK_WG : max_inv;
	ph.size_max = max_inv;
	ph.quantum = VK_WG;
	ph.record = vk_rec_fma;
	ph.what = "fma";
	if (vk_phase_run(b, &ph, &res, why, whylen) == -1 ||
	    vk_check_fma(b, res.size, why, whylen) == -1)
		return -1;
	out->flops_per_s = (double)res.size * res.reps * VK_FMA_TRIPS * 4.0 *
	    VK_FMA_CHAINS * 2.0 / res.secs;
	return 0;
}

int
be_vk_bench(struct be_view *v, const struct be_log *log)
{
	struct vk_bench	*b;
	struct be_bench	 out;
	char		 why[VK_WHY_MAX];
	double		 t0;
	int		 rc = -1;

	if (v == NULL)
		return -1;
	t0 = vk_now();
	why[0] = '\0';
	/* Heap, not stack: the context is a few kilobytes. */
	if ((b = calloc(1, sizeof *b)) == NULL) {
		be_logf(log, "vulkan: bench: out of memory");
		return -1;
	}
	b->deadline = t0 + VK_DEADLINE_S;
	out.memory_bandwidth_bytes_per_s = NAN;
	out.h2d_bandwidth_bytes_per_s = NAN;
	out.flops_per_s = NAN;
	out.elapsed_s = NAN;
	if (vk_ctx_open(&b->c, v, why, sizeof why) == 0 &&
	    vk_bench_setup(b, why, sizeof why) == 0 &&
	    vk_bench_run(b, &out, why, sizeof why) == 0)
		rc = 0;
	vk_bench_close(b);
	free(b);
	if (rc == -1) {
		if (why[0] == '\0')
			be_strlcpy(why, "unknown failure", sizeof why);
		be_logf(log, "vulkan: device %u (%s): bench failed: %s",
		    v->device_index, v->name, why);
		return -1;
	}
	out.elapsed_s = vk_now() - t0;
	v->bench = out;
	v->has_bench = true;
	return 0;
}
