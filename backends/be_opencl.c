/*
 * be_opencl.c - the OpenCL backend: enumeration, a write/read-back
 * verification and a sub-second capability probe (see be_opencl.h).
 *
 * Shape:
 *  - Built against the OpenCL 1.2 API (CL_TARGET_OPENCL_VERSION 120) so the
 *    same calls work on every ICD still in the field; the few vendor and
 *    KHR query codes used are defined here by number, because they are
 *    stable ABI and older header packages lack some of them.
 *  - Every string from the driver is read size-first into a bounded heap
 *    buffer (BE_CL_INFO_MAX) and then copied, truncated, into the fixed
 *    arrays of struct be_view.  Platform and device counts are capped.
 *  - verify and bench find the device again by index and check its name,
 *    so a view from an older enumeration cannot silently test some other
 *    device.  All objects live in one struct cl_sess that a single
 *    function releases, whatever path the call took.
 *  - bench measures for a fixed wall-clock budget (BE_CL_BUDGET_S) that
 *    starts once the kernels are built, so the figures are equally good
 *    whether or not the driver had the build cached; the build is counted
 *    in elapsed_s only.  Each measurement grows its batch until a batch
 *    takes a target time derived from what is left of the budget, then
 *    takes the median of BE_CL_REPS batches.  Outputs are checked before
 *    a figure is reported.  With a cached build the whole call stays under
 *    a second on PoCL; a cold PoCL build alone costs 0.6-1.5 s.
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "be_device.h"
#include "be_opencl.h"
#include "be_opencl_int.h"
#include "cl_bench.h"

/* Query codes outside the 1.2 core headers (stable numbers). */
#define BE_CL_PLATFORM_NOT_FOUND_KHR	(-1001)
#define BE_CL_DEVICE_UUID_KHR		0x106A	/* cl_khr_device_uuid */
#define BE_CL_DEVICE_PCI_BUS_INFO_KHR	0x410F	/* cl_khr_pci_bus_info */
#define BE_CL_DEVICE_PCI_BUS_ID_NV	0x4008	/* cl_nv_device_attribute_query */
#define BE_CL_DEVICE_PCI_SLOT_ID_NV	0x4009
#define BE_CL_DEVICE_PCI_DOMAIN_ID_NV	0x400A
#define BE_CL_DEVICE_TOPOLOGY_AMD	0x4037	/* cl_amd_device_attribute_query */
#define BE_CL_DEVICE_FREE_MEMORY_AMD	0x4039	/* size_t[], KiB */
#define BE_CL_TOPOLOGY_TYPE_PCIE_AMD	1

#define BE_CL_MAX_PLATFORMS	16
#define BE_CL_MAX_DEVICES	64		/* per platform */
#define BE_CL_INFO_MAX		(64u * 1024)	/* one info string */

#define BE_CL_VERIFY_BYTES	(1u << 20)

#define BE_CL_BUDGET_S		0.75	/* measurements, after the build */
#define BE_CL_REPS		3	/* timed batches; median taken */
#define BE_CL_BATCH_MAX		4096	/* operations in one batch */
#define BE_CL_TARGET_MIN_S	0.005
#define BE_CL_TARGET_MAX_S	0.080
#define BE_CL_READ_SPAN		16u	/* as BE_READ_SPAN in bench.cl */
#define BE_CL_FMA_ITERS		1024u
#define BE_CL_FMA_CHAINS	8u	/* float16 chains per work item */
#define BE_CL_FMA_LANES		(BE_CL_FMA_CHAINS * 16u)
#define BE_CL_FMA_WI_PER_CU	2048u
#define BE_CL_FMA_GLOBAL_MAX	(1u << 22)
#define BE_CL_FMA_B		0.9999f

/* --- error names ------------------------------------------------------ */

static const struct {
	cl_int		code;
	const char	*name;
} cl_errs[] = {
	{ CL_SUCCESS, "CL_SUCCESS" },
	{ CL_DEVICE_NOT_FOUND, "CL_DEVICE_NOT_FOUND" },
	{ CL_DEVICE_NOT_AVAILABLE, "CL_DEVICE_NOT_AVAILABLE" },
	{ CL_COMPILER_NOT_AVAILABLE, "CL_COMPILER_NOT_AVAILABLE" },
	{ CL_MEM_OBJECT_ALLOCATION_FAILURE, "CL_MEM_OBJECT_ALLOCATION_FAILURE" },
	{ CL_OUT_OF_RESOURCES, "CL_OUT_OF_RESOURCES" },
	{ CL_OUT_OF_HOST_MEMORY, "CL_OUT_OF_HOST_MEMORY" },
	{ CL_PROFILING_INFO_NOT_AVAILABLE, "CL_PROFILING_INFO_NOT_AVAILABLE" },
	{ CL_MEM_COPY_OVERLAP, "CL_MEM_COPY_OVERLAP" },
	{ CL_BUILD_PROGRAM_FAILURE, "CL_BUILD_PROGRAM_FAILURE" },
	{ CL_MAP_FAILURE, "CL_MAP_FAILURE" },
	{ CL_MISALIGNED_SUB_BUFFER_OFFSET, "CL_MISALIGNED_SUB_BUFFER_OFFSET" },
	{ CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST,
	    "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST" },
	{ CL_LINK_PROGRAM_FAILURE, "CL_LINK_PROGRAM_FAILURE" },
	{ CL_DEVICE_PARTITION_FAILED, "CL_DEVICE_PARTITION_FAILED" },
	{ CL_INVALID_VALUE, "CL_INVALID_VALUE" },
	{ CL_INVALID_DEVICE_TYPE, "CL_INVALID_DEVICE_TYPE" },
	{ CL_INVALID_PLATFORM, "CL_INVALID_PLATFORM" },
	{ CL_INVALID_DEVICE, "CL_INVALID_DEVICE" },
	{ CL_INVALID_CONTEXT, "CL_INVALID_CONTEXT" },
	{ CL_INVALID_QUEUE_PROPERTIES, "CL_INVALID_QUEUE_PROPERTIES" },
	{ CL_INVALID_COMMAND_QUEUE, "CL_INVALID_COMMAND_QUEUE" },
	{ CL_INVALID_HOST_PTR, "CL_INVALID_HOST_PTR" },
	{ CL_INVALID_MEM_OBJECT, "CL_INVALID_MEM_OBJECT" },
	{ CL_INVALID_BUFFER_SIZE, "CL_INVALID_BUFFER_SIZE" },
	{ CL_INVALID_BINARY, "CL_INVALID_BINARY" },
	{ CL_INVALID_BUILD_OPTIONS, "CL_INVALID_BUILD_OPTIONS" },
	{ CL_INVALID_PROGRAM, "CL_INVALID_PROGRAM" },
	{ CL_INVALID_PROGRAM_EXECUTABLE, "CL_INVALID_PROGRAM_EXECUTABLE" },
	{ CL_INVALID_KERNEL_NAME, "CL_INVALID_KERNEL_NAME" },
	{ CL_INVALID_KERNEL_DEFINITION, "CL_INVALID_KERNEL_DEFINITION" },
	{ CL_INVALID_KERNEL, "CL_INVALID_KERNEL" },
	{ CL_INVALID_ARG_INDEX, "CL_INVALID_ARG_INDEX" },
	{ CL_INVALID_ARG_VALUE, "CL_INVALID_ARG_VALUE" },
	{ CL_INVALID_ARG_SIZE, "CL_INVALID_ARG_SIZE" },
	{ CL_INVALID_KERNEL_ARGS, "CL_INVALID_KERNEL_ARGS" },
	{ CL_INVALID_WORK_DIMENSION, "CL_INVALID_WORK_DIMENSION" },
	{ CL_INVALID_WORK_GROUP_SIZE, "CL_INVALID_WORK_GROUP_SIZE" },
	{ CL_INVALID_WORK_ITEM_SIZE, "CL_INVALID_WORK_ITEM_SIZE" },
	{ CL_INVALID_GLOBAL_OFFSET, "CL_INVALID_GLOBAL_OFFSET" },
	{ CL_INVALID_EVENT_WAIT_LIST, "CL_INVALID_EVENT_WAIT_LIST" },
	{ CL_INVALID_EVENT, "CL_INVALID_EVENT" },
	{ CL_INVALID_OPERATION, "CL_INVALID_OPERATION" },
	{ CL_INVALID_GLOBAL_WORK_SIZE, "CL_INVALID_GLOBAL_WORK_SIZE" },
	{ CL_INVALID_PROPERTY, "CL_INVALID_PROPERTY" },
	{ CL_INVALID_COMPILER_OPTIONS, "CL_INVALID_COMPILER_OPTIONS" },
	{ CL_INVALID_LINKER_OPTIONS, "CL_INVALID_LINKER_OPTIONS" },
	{ BE_CL_PLATFORM_NOT_FOUND_KHR, "CL_PLATFORM_NOT_FOUND_KHR" },
};

/* Name of an OpenCL error code; buf holds the numeric form if unknown. */
static const char *
cl_errname(cl_int code, char *buf, size_t size)
{
	size_t	i;

	for (i = 0; i < sizeof cl_errs / sizeof cl_errs[0]; i++)
		if (cl_errs[i].code == code)
			return cl_errs[i].name;
	(void)snprintf(buf, size, "CL error %d", (int)code);
	return buf;
}

/* Writes "what: CL_NAME" into reason and returns -1. */
static int
cl_fail(char *reason, size_t size, const char *what, cl_int err)
{
	char	num[32];

	(void)snprintf(reason, size, "%s: %s", what,
	    cl_errname(err, num, sizeof num));
	return -1;
}

/* --- bounded info queries --------------------------------------------- */

/*
 * Returns a NUL-terminated heap copy of a string property (free it), or
 * NULL with *errp set.  Strings longer than BE_CL_INFO_MAX are refused
 * rather than trusted.
 */
static char *
cl_str_finish(size_t need, cl_int *errp)
{
	char	*s;

	if (need == 0 || need > BE_CL_INFO_MAX) {
		*errp = CL_INVALID_VALUE;
		return NULL;
	}
	if ((s = calloc(1, need + 1)) == NULL)
		*errp = CL_OUT_OF_HOST_MEMORY;
	return s;
}

static char *
cl_plat_str(cl_platform_id p, cl_platform_info param, cl_int *errp)
{
	size_t	need = 0;
	char	*s;

	if ((*errp = clGetPlatformInfo(p, param, 0, NULL, &need)) !=
	    CL_SUCCESS)
		return NULL;
	if ((s = cl_str_finish(need, errp)) == NULL)
		return NULL;
	if ((*errp = clGetPlatformInfo(p, param, need, s, NULL)) !=
	    CL_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

static char *
cl_dev_str(cl_device_id d, cl_device_info param, cl_int *errp)
{
	size_t	need = 0;
	char	*s;

	if ((*errp = clGetDeviceInfo(d, param, 0, NULL, &need)) != CL_SUCCESS)
		return NULL;
	if ((s = cl_str_finish(need, errp)) == NULL)
		return NULL;
	if ((*errp = clGetDeviceInfo(d, param, need, s, NULL)) != CL_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

/* Copies a device string property into dst (truncating); 0 or -1. */
static int
cl_dev_strcpy(cl_device_id d, cl_device_info param, char *dst, size_t size,
    cl_int *errp)
{
	char	*s;

	if ((s = cl_dev_str(d, param, errp)) == NULL)
		return -1;
	be_strlcpy(dst, s, size);
	free(s);
	return 0;
}

/*
 * Reads a fixed-size property.  The driver must report exactly `size`
 * bytes; anything else means the query means something different here.
 */
static cl_int
cl_dev_fixed(cl_device_id d, cl_device_info param, void *out, size_t size)
{
	size_t	got = 0;
	cl_int	err;

	memset(out, 0, size);
	if ((err = clGetDeviceInfo(d, param, size, out, &got)) != CL_SUCCESS)
		return err;
	if (got != size) {
		memset(out, 0, size);
		return CL_INVALID_VALUE;
	}
	return CL_SUCCESS;
}

/* Whether the whitespace-separated list holds exactly the token name. */
static int
cl_has_ext(const char *list, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p = list;

	if (list == NULL)
		return 0;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || isspace((unsigned char)p[-1])) &&
		    (p[n] == '\0' || isspace((unsigned char)p[n])))
			return 1;
		p += n;
	}
	return 0;
}

/* 1-3 decimal digits at *s (no sign, no blank); -1 if none. */
static int
cl_version_part(const char **s, unsigned *out)
{
	unsigned	v = 0, n = 0;

	while (n < 3 && isdigit((unsigned char)**s)) {
		v = v * 10 + (unsigned)(**s - '0');
		(*s)++;
		n++;
	}
	if (n == 0 || isdigit((unsigned char)**s))
		return -1;
	*out = v;
	return 0;
}

/*
 * "OpenCL 3.0 PoCL ..." or "OpenCL C 1.2 ..." -> major, minor: the driver's
 * text, so only "<prefix><digits>.<digits>" then the end or a blank counts
 * (sscanf's %u would take "-1" as 4294967295).
 */
int
be_cl_parse_version(const char *s, const char *prefix, unsigned *maj,
    unsigned *min)
{
	size_t	n = strlen(prefix);

	if (strncmp(s, prefix, n) != 0)
		return -1;
	s += n;
	if (cl_version_part(&s, maj) != 0 || *s++ != '.' ||
	    cl_version_part(&s, min) != 0 ||
	    (*s != '\0' && !isspace((unsigned char)*s)))
		return -1;
	return 0;
}

/* --- enumeration ------------------------------------------------------ */

static enum be_type
cl_type(cl_device_id d)
{
	cl_device_type	t = 0;
	cl_bool		unified = CL_FALSE;

	if (cl_dev_fixed(d, CL_DEVICE_TYPE, &t, sizeof t) != CL_SUCCESS)
		return BE_TYPE_OTHER;
	if (t & CL_DEVICE_TYPE_GPU) {
		/* Deprecated in 2.0 but still answered; failure = discrete. */
		if (cl_dev_fixed(d, CL_DEVICE_HOST_UNIFIED_MEMORY, &unified,
		    sizeof unified) == CL_SUCCESS && unified)
			return BE_TYPE_INTEGRATED;
		return BE_TYPE_GPU;
	}
	if (t & CL_DEVICE_TYPE_CPU)
		return BE_TYPE_CPU;
	return BE_TYPE_OTHER;
}

/*
 * Data types.  FP32 is core.  FP16 needs cl_khr_fp16 (half arithmetic;
 * plain half storage is not enough to compute in).  FP64 needs cl_khr_fp64
 * or, on 1.2+ where double may be core-optional, a non-zero
 * CL_DEVICE_DOUBLE_FP_CONFIG.
 * INT8: char arithmetic is core OpenCL C since 1.0 and byte-granular
 * stores are core since OpenCL C 1.1 (cl_khr_byte_addressable_store
 * before).  So int8 compute is guaranteed whenever the device accepts
 * OpenCL C 1.1 or later, lists that extension, or lists
 * cl_khr_integer_dot_product (packed int8 dot products).  It says
 * nothing about int8 being fast.
 */
static uint32_t
cl_dtypes(cl_device_id d, const char *ext)
{
	uint32_t	 dt = BE_DTYPE_FP32;
	cl_device_fp_config dfp = 0;
	char		*cver;
	unsigned	 maj = 0, min = 0;
	cl_int		 err;

	if (cl_has_ext(ext, "cl_khr_fp16"))
		dt |= BE_DTYPE_FP16;
	if (cl_has_ext(ext, "cl_khr_fp64") ||
	    (cl_dev_fixed(d, CL_DEVICE_DOUBLE_FP_CONFIG, &dfp, sizeof dfp) ==
	    CL_SUCCESS && dfp != 0))
		dt |= BE_DTYPE_FP64;
	if (cl_has_ext(ext, "cl_khr_integer_dot_product") ||
	    cl_has_ext(ext, "cl_khr_byte_addressable_store"))
		dt |= BE_DTYPE_INT8;
	else if ((cver = cl_dev_str(d, CL_DEVICE_OPENCL_C_VERSION, &err)) !=
	    NULL) {
		if (be_cl_parse_version(cver, "OpenCL C ", &maj, &min) == 0 &&
		    (maj > 1 || (maj == 1 && min >= 1)))
			dt |= BE_DTYPE_INT8;
		free(cver);
	}
	return dt;
}

static void
cl_set_pci(struct be_pci *pci, uint32_t domain, uint32_t bus, uint32_t dev,
    uint32_t fn)
{
	if (bus > 255 || dev > 31 || fn > 7)
		return;
	pci->valid = true;
	pci->domain = domain;
	pci->bus = (uint8_t)bus;
	pci->dev = (uint8_t)dev;
	pci->fn = (uint8_t)fn;
}

/* PCI address from the KHR query, else NVIDIA's, else AMD's topology. */
static void
cl_pci(cl_device_id d, const char *ext, struct be_pci *pci)
{
	cl_uint		khr[4], bus, slot, dom;
	unsigned char	topo[24];

	if (cl_has_ext(ext, "cl_khr_pci_bus_info") &&
	    cl_dev_fixed(d, BE_CL_DEVICE_PCI_BUS_INFO_KHR, khr, sizeof khr) ==
	    CL_SUCCESS) {
		cl_set_pci(pci, khr[0], khr[1], khr[2], khr[3]);
		if (pci->valid)
			return;
	}
	if (cl_has_ext(ext, "cl_nv_device_attribute_query") &&
	    cl_dev_fixed(d, BE_CL_DEVICE_PCI_BUS_ID_NV, &bus, sizeof bus) ==
	    CL_SUCCESS &&
	    cl_dev_fixed(d, BE_CL_DEVICE_PCI_SLOT_ID_NV, &slot, sizeof slot) ==
	    CL_SUCCESS) {
		/* The domain query is newer than the other two. */
		if (cl_dev_fixed(d, BE_CL_DEVICE_PCI_DOMAIN_ID_NV, &dom,
		    sizeof dom) != CL_SUCCESS)
			dom = 0;
		cl_set_pci(pci, dom, bus, slot >> 3, slot & 7);
		if (pci->valid)
			return;
	}
	/*
	 * cl_device_topology_amd: a 24-byte union; its pcie member is
	 * { cl_uint type; char unused[17]; char bus, device, function; }.
	 * It carries no domain, so 0 is assumed.
	 */
	if (cl_has_ext(ext, "cl_amd_device_attribute_query") &&
	    cl_dev_fixed(d, BE_CL_DEVICE_TOPOLOGY_AMD, topo, sizeof topo) ==
	    CL_SUCCESS) {
		cl_uint	type;

		memcpy(&type, topo, sizeof type);
		if (type == BE_CL_TOPOLOGY_TYPE_PCIE_AMD)
			cl_set_pci(pci, 0, topo[21], topo[22], topo[23]);
	}
}

/* AMD reports free global memory in KiB as size_t[] (first = total). */
static double
cl_free_mem_amd(cl_device_id d, const char *ext)
{
	size_t	kib[2] = { 0, 0 };
	size_t	got = 0;

	if (!cl_has_ext(ext, "cl_amd_device_attribute_query"))
		return NAN;
	if (clGetDeviceInfo(d, BE_CL_DEVICE_FREE_MEMORY_AMD, sizeof kib, kib,
	    &got) != CL_SUCCESS || got < sizeof kib[0])
		return NAN;
	return (double)kib[0] * 1024.0;
}

/*
 * Fills one view.  Name and type are required (a device without them is
 * skipped); every other property stays "unknown" if its query fails.
 */
static int
cl_fill_view(struct be_view *v, cl_device_id d, const char *plat_name,
    char *reason, size_t rsize)
{
	char		*ext, *ver;
	unsigned	 maj, min;
	cl_uint		 u;
	cl_ulong	 ul;
	cl_device_type	 t;
	cl_int		 err;

	if (cl_dev_strcpy(d, CL_DEVICE_NAME, v->name, sizeof v->name, &err))
		return cl_fail(reason, rsize, "CL_DEVICE_NAME", err);
	if ((err = cl_dev_fixed(d, CL_DEVICE_TYPE, &t, sizeof t)) !=
	    CL_SUCCESS)
		return cl_fail(reason, rsize, "CL_DEVICE_TYPE", err);
	v->api = BE_API_OPENCL;
	v->type = cl_type(d);
	be_strlcpy(v->driver_name, plat_name, sizeof v->driver_name);
	(void)cl_dev_strcpy(d, CL_DEVICE_VENDOR, v->vendor, sizeof v->vendor,
	    &err);
	(void)cl_dev_strcpy(d, CL_DRIVER_VERSION, v->driver_version,
	    sizeof v->driver_version, &err);
	if ((ver = cl_dev_str(d, CL_DEVICE_VERSION, &err)) != NULL) {
		if (be_cl_parse_version(ver, "OpenCL ", &maj, &min) == 0)
			(void)snprintf(v->api_version, sizeof v->api_version,
			    "%u.%u", maj, min);
		free(ver);
	}
	if (cl_dev_fixed(d, CL_DEVICE_VENDOR_ID, &u, sizeof u) == CL_SUCCESS)
		v->vendor_id = u;
	if (cl_dev_fixed(d, CL_DEVICE_MAX_COMPUTE_UNITS, &u, sizeof u) ==
	    CL_SUCCESS && u > 0 && u <= INT32_MAX)
		v->compute_units = (int32_t)u;
	if (cl_dev_fixed(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, &u, sizeof u) ==
	    CL_SUCCESS && u > 0 && u <= INT32_MAX)
		v->clock_mhz = (int32_t)u;
	if (cl_dev_fixed(d, CL_DEVICE_GLOBAL_MEM_SIZE, &ul, sizeof ul) ==
	    CL_SUCCESS)
		v->memory_total_bytes = ul;

	/* An unreadable extension list is treated as an empty one. */
	ext = cl_dev_str(d, CL_DEVICE_EXTENSIONS, &err);
	v->dtypes = cl_dtypes(d, ext);
	if (cl_has_ext(ext, "cl_khr_device_uuid") &&
	    cl_dev_fixed(d, BE_CL_DEVICE_UUID_KHR, v->uuid, sizeof v->uuid) ==
	    CL_SUCCESS)
		v->has_uuid = true;
	cl_pci(d, ext, &v->pci);
	v->memory_free_bytes = cl_free_mem_amd(d, ext);
	free(ext);
	return 0;
}

/* Appends the devices of platform pi to out[*n..max-1]. */
static void
cl_enum_platform(cl_platform_id p, uint32_t pi, struct be_view *out,
    int *n, int max, const struct be_log *log)
{
	cl_device_id	 devs[BE_CL_MAX_DEVICES];
	cl_uint		 nd = 0, j;
	cl_int		 err;
	char		*pname, num[32], reason[BE_REASON_MAX];

	if ((pname = cl_plat_str(p, CL_PLATFORM_NAME, &err)) == NULL) {
		be_logf(log, "opencl: skipping platform %u: "
		    "CL_PLATFORM_NAME: %s", pi, cl_errname(err, num,
		    sizeof num));
		return;
	}
	err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
	if (err == CL_DEVICE_NOT_FOUND || (err == CL_SUCCESS && nd == 0)) {
		be_infof(log, "opencl: platform %u (%s) has no devices", pi,
		    pname);
		goto out;
	}
	if (err != CL_SUCCESS) {
		be_logf(log, "opencl: skipping platform %u (%s): "
		    "clGetDeviceIDs: %s", pi, pname, cl_errname(err, num,
		    sizeof num));
		goto out;
	}
	if (nd > BE_CL_MAX_DEVICES) {
		be_logf(log, "opencl: platform %u (%s) lists %u devices; "
		    "keeping %d", pi, pname, nd, BE_CL_MAX_DEVICES);
		nd = BE_CL_MAX_DEVICES;
	}
	if ((err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, nd, devs, NULL)) !=
	    CL_SUCCESS) {
		be_logf(log, "opencl: skipping platform %u (%s): "
		    "clGetDeviceIDs: %s", pi, pname, cl_errname(err, num,
		    sizeof num));
		goto out;
	}
	for (j = 0; j < nd; j++) {
		if (*n >= max) {
			be_logf(log, "opencl: device table full (%d); "
			    "dropping the rest", max);
			break;
		}
		be_view_init(&out[*n]);
		out[*n].platform_index = pi;
		out[*n].device_index = j;
		if (cl_fill_view(&out[*n], devs[j], pname, reason,
		    sizeof reason) != 0) {
			be_logf(log, "opencl: skipping device %u.%u: %s", pi,
			    j, reason);
			continue;
		}
		(*n)++;
	}
out:
	free(pname);
}

int
be_cl_enumerate(struct be_view *out, int max, const struct be_log *log)
{
	cl_platform_id	plats[BE_CL_MAX_PLATFORMS];
	cl_uint		np = 0, i;
	cl_int		err;
	char		num[32];
	int		n = 0;

	if (max < 0 || (out == NULL && max > 0))
		return -1;
	err = clGetPlatformIDs(0, NULL, &np);
	if (err == BE_CL_PLATFORM_NOT_FOUND_KHR ||
	    (err == CL_SUCCESS && np == 0)) {
		be_infof(log, "opencl: no platforms");
		return 0;
	}
	if (err != CL_SUCCESS) {
		be_logf(log, "opencl: clGetPlatformIDs: %s",
		    cl_errname(err, num, sizeof num));
		return -1;
	}
	if (np > BE_CL_MAX_PLATFORMS) {
		be_logf(log, "opencl: %u platforms; keeping %d", np,
		    BE_CL_MAX_PLATFORMS);
		np = BE_CL_MAX_PLATFORMS;
	}
	if ((err = clGetPlatformIDs(np, plats, NULL)) != CL_SUCCESS) {
		be_logf(log, "opencl: clGetPlatformIDs: %s",
		    cl_errname(err, num, sizeof num));
		return -1;
	}
	for (i = 0; i < np; i++)
		cl_enum_platform(plats[i], i, out, &n, max, log);
	return n;
}

/* --- sessions: one device, its context and queue ---------------------- */

struct cl_sess {
	cl_device_id		dev;
	cl_context		ctx;
	cl_command_queue	q;
	cl_program		prog;
	cl_kernel		kread;
	cl_kernel		kfma;
	cl_mem			src;
	cl_mem			dst;
	cl_mem			out;
	cl_mem			vbuf;
	unsigned char		*host;
	unsigned char		*check;
};

static void
cl_sess_close(struct cl_sess *s)
{
	/* Drain before releasing; errors here change nothing. */
	if (s->q != NULL)
		(void)clFinish(s->q);
	if (s->kread != NULL)
		(void)clReleaseKernel(s->kread);
	if (s->kfma != NULL)
		(void)clReleaseKernel(s->kfma);
	if (s->prog != NULL)
		(void)clReleaseProgram(s->prog);
	if (s->src != NULL)
		(void)clReleaseMemObject(s->src);
	if (s->dst != NULL)
		(void)clReleaseMemObject(s->dst);
	if (s->out != NULL)
		(void)clReleaseMemObject(s->out);
	if (s->vbuf != NULL)
		(void)clReleaseMemObject(s->vbuf);
	if (s->q != NULL)
		(void)clReleaseCommandQueue(s->q);
	if (s->ctx != NULL)
		(void)clReleaseContext(s->ctx);
	free(s->host);
	free(s->check);
	memset(s, 0, sizeof *s);
}

/*
 * Finds the view's device again and checks it is the same one (by name),
 * then creates a context and an in-order queue on it.
 */
static int
cl_sess_open(struct cl_sess *s, const struct be_view *v, char *reason,
    size_t rsize)
{
	cl_platform_id		 plats[BE_CL_MAX_PLATFORMS];
	cl_device_id		 devs[BE_CL_MAX_DEVICES];
	cl_context_properties	 props[3];
	cl_uint			 np = 0, nd = 0;
	cl_int			 err;
	char			*name;

	memset(s, 0, sizeof *s);
	err = clGetPlatformIDs(BE_CL_MAX_PLATFORMS, plats, &np);
	if (err == BE_CL_PLATFORM_NOT_FOUND_KHR)
		np = 0;
	else if (err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clGetPlatformIDs", err);
	if (v->platform_index >= np || v->platform_index >=
	    BE_CL_MAX_PLATFORMS) {
		(void)snprintf(reason, rsize, "device list changed: no "
		    "platform %u (%u present)", v->platform_index, np);
		return -1;
	}
	err = clGetDeviceIDs(plats[v->platform_index], CL_DEVICE_TYPE_ALL,
	    BE_CL_MAX_DEVICES, devs, &nd);
	if (err == CL_DEVICE_NOT_FOUND)
		nd = 0;
	else if (err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clGetDeviceIDs", err);
	if (v->device_index >= nd || v->device_index >= BE_CL_MAX_DEVICES) {
		(void)snprintf(reason, rsize, "device list changed: no "
		    "device %u on platform %u (%u present)", v->device_index,
		    v->platform_index, nd);
		return -1;
	}
	s->dev = devs[v->device_index];
	if ((name = cl_dev_str(s->dev, CL_DEVICE_NAME, &err)) == NULL)
		return cl_fail(reason, rsize, "CL_DEVICE_NAME", err);
	if (strncmp(name, v->name, sizeof v->name - 1) != 0) {
		(void)snprintf(reason, rsize, "device list changed: "
		    "device %u.%u is now \"%.64s\"", v->platform_index,
		    v->device_index, name);
		free(name);
		return -1;
	}
	free(name);

	props[0] = CL_CONTEXT_PLATFORM;
	props[1] = (cl_context_properties)plats[v->platform_index];
	props[2] = 0;
	s->ctx = clCreateContext(props, 1, &s->dev, NULL, NULL, &err);
	if (s->ctx == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateContext", err);
	s->q = clCreateCommandQueue(s->ctx, s->dev, 0, &err);
	if (s->q == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateCommandQueue", err);
	return 0;
}

/*
 * Deterministic bytes that differ from word to word: a 64-bit counter
 * hash per 8-byte word, stored in host byte order (checks compare against
 * the same host buffer), cheap enough for 64 MiB.
 */
static void
cl_pattern(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t	w;
	size_t		i;

	for (i = 0; i < n; i += sizeof w) {
		w = (i / sizeof w + seed) * 0x9e3779b97f4a7c15ull;
		w ^= w >> 29;
		memcpy(p + i, &w, n - i < sizeof w ? n - i : sizeof w);
	}
}

/* --- verification ----------------------------------------------------- */

static int
cl_verify_run(struct cl_sess *s, const struct be_view *v, char *reason,
    size_t rsize)
{
	const size_t	n = BE_CL_VERIFY_BYTES;
	cl_int		err;
	size_t		i;

	if (cl_sess_open(s, v, reason, rsize) != 0)
		return -1;
	if ((s->host = malloc(n)) == NULL || (s->check = malloc(n)) == NULL)
		return cl_fail(reason, rsize, "malloc", CL_OUT_OF_HOST_MEMORY);
	cl_pattern(s->host, n, 0x5eed1234u);
	memset(s->check, 0, n);
	s->vbuf = clCreateBuffer(s->ctx, CL_MEM_READ_WRITE, n, NULL, &err);
	if (s->vbuf == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateBuffer", err);
	if ((err = clEnqueueWriteBuffer(s->q, s->vbuf, CL_TRUE, 0, n, s->host,
	    0, NULL, NULL)) != CL_SUCCESS)
		return cl_fail(reason, rsize, "clEnqueueWriteBuffer", err);
	if ((err = clEnqueueReadBuffer(s->q, s->vbuf, CL_TRUE, 0, n, s->check,
	    0, NULL, NULL)) != CL_SUCCESS)
		return cl_fail(reason, rsize, "clEnqueueReadBuffer", err);
	if (memcmp(s->host, s->check, n) != 0) {
		for (i = 0; i < n && s->host[i] == s->check[i]; i++)
			continue;
		(void)snprintf(reason, rsize, "readback mismatch at byte %zu",
		    i);
		return -1;
	}
	return 0;
}

int
be_cl_verify(struct be_view *v, const struct be_log *log)
{
	struct cl_sess	s;
	char		reason[BE_REASON_MAX] = "";
	int		rc;

	rc = cl_verify_run(&s, v, reason, sizeof reason);
	cl_sess_close(&s);
	if (rc != 0) {
		v->verified = BE_VERIFY_FAIL;
		be_strlcpy(v->verify_reason, reason, sizeof v->verify_reason);
		be_logf(log, "opencl: verify %u.%u (%s) failed: %s",
		    v->platform_index, v->device_index, v->name, reason);
		return -1;
	}
	v->verified = BE_VERIFY_PASS;
	v->verify_reason[0] = '\0';
	return 0;
}

/* --- benchmark -------------------------------------------------------- */

static double
cl_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return NAN;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One batch of `count` identical operations; returns 0 or a CL error. */
typedef cl_int	cl_batch_fn(struct cl_sess *, size_t, unsigned);

struct cl_bench_ctx {
	double	t0;		/* when be_cl_bench started */
	double	t_built;	/* when the kernels were ready */
	size_t	bytes;		/* read / upload buffer size */
	size_t	fma_global;	/* work items per FMA launch */
};

static cl_int
cl_batch_h2d(struct cl_sess *s, size_t bytes, unsigned count)
{
	unsigned	i;
	cl_int		err;

	for (i = 0; i < count; i++)
		if ((err = clEnqueueWriteBuffer(s->q, s->src, CL_FALSE, 0,
		    bytes, s->host, 0, NULL, NULL)) != CL_SUCCESS)
			return err;
	return clFinish(s->q);
}

static cl_int
cl_batch_read(struct cl_sess *s, size_t bytes, unsigned count)
{
	size_t		global = bytes / 16 / BE_CL_READ_SPAN;
	unsigned	i;
	cl_int		err;

	for (i = 0; i < count; i++)
		if ((err = clEnqueueNDRangeKernel(s->q, s->kread, 1, NULL,
		    &global, NULL, 0, NULL, NULL)) != CL_SUCCESS)
			return err;
	return clFinish(s->q);
}

static cl_int
cl_batch_fma(struct cl_sess *s, size_t global, unsigned count)
{
	unsigned	i;
	cl_int		err;

	for (i = 0; i < count; i++)
		if ((err = clEnqueueNDRangeKernel(s->q, s->kfma, 1, NULL,
		    &global, NULL, 0, NULL, NULL)) != CL_SUCCESS)
			return err;
	return clFinish(s->q);
}

static int
cl_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Times fn: one untimed run (it pays for page faults, lazy allocation and
 * any per-launch code generation), batches growing until one takes at
 * least half of `target` seconds, then BE_CL_REPS batches sized to take
 * about `target`.  *per_op gets the median batch time over the batch size.
 */
static int
cl_measure(struct cl_sess *s, cl_batch_fn *fn, size_t arg, double target,
    double *per_op, const char *what, char *reason, size_t rsize)
{
	double		t[BE_CL_REPS], t1, dt = 0, scale;
	unsigned	count = 1, tries, i;
	cl_int		err;

	if ((err = fn(s, arg, 1)) != CL_SUCCESS)
		return cl_fail(reason, rsize, what, err);
	for (tries = 0; tries < 8; tries++) {
		t1 = cl_now();
		if ((err = fn(s, arg, count)) != CL_SUCCESS)
			return cl_fail(reason, rsize, what, err);
		dt = cl_now() - t1;
		if (!(dt >= 0)) {
			(void)snprintf(reason, rsize, "%s: clock failed", what);
			return -1;
		}
		if (dt >= target / 2 || count >= BE_CL_BATCH_MAX)
			break;
		scale = dt > 0 ? fmin(fmax(target / dt, 2), 64) : 64;
		count = (unsigned)fmin((double)count * scale, BE_CL_BATCH_MAX);
	}
	if (dt > 0)
		count = (unsigned)fmin(fmax(round((double)count * target / dt),
		    1), BE_CL_BATCH_MAX);
	for (i = 0; i < BE_CL_REPS; i++) {
		t1 = cl_now();
		if ((err = fn(s, arg, count)) != CL_SUCCESS)
			return cl_fail(reason, rsize, what, err);
		t[i] = cl_now() - t1;
	}
	qsort(t, BE_CL_REPS, sizeof t[0], cl_cmp_double);
	if (!(t[BE_CL_REPS / 2] > 0)) {
		(void)snprintf(reason, rsize, "%s: batch took no time", what);
		return -1;
	}
	*per_op = t[BE_CL_REPS / 2] / count;
	return 0;
}

/* Per-batch target: what is left of the budget, shared out evenly. */
static double
cl_target(const struct cl_bench_ctx *bc, int sections_left)
{
	double	left = BE_CL_BUDGET_S - (cl_now() - bc->t_built);
	double	t = left / (sections_left * (BE_CL_REPS + 2));

	return fmin(fmax(t, BE_CL_TARGET_MIN_S), BE_CL_TARGET_MAX_S);
}

/* Logs the start of the build log (be_logf keeps ~500 bytes of it). */
static void
cl_log_build(struct cl_sess *s, const struct be_log *log)
{
	size_t	need = 0;
	char	*blog;
	cl_int	err;

	if (clGetProgramBuildInfo(s->prog, s->dev, CL_PROGRAM_BUILD_LOG, 0,
	    NULL, &need) != CL_SUCCESS ||
	    (blog = cl_str_finish(need, &err)) == NULL)
		return;
	if (clGetProgramBuildInfo(s->prog, s->dev, CL_PROGRAM_BUILD_LOG, need,
	    blog, NULL) == CL_SUCCESS)
		be_logf(log, "opencl: build log: %s", blog);
	free(blog);
}

static int
cl_build(struct cl_sess *s, const struct be_log *log, char *reason,
    size_t rsize)
{
	const char	*src = (const char *)be_cl_bench_src;
	size_t		 len = (size_t)be_cl_bench_src_len;
	cl_int		 err;

	s->prog = clCreateProgramWithSource(s->ctx, 1, &src, &len, &err);
	if (s->prog == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateProgramWithSource", err);
	/*
	 * "-w": the kernels are fixed, and on CPUs without AVX-512 clang
	 * warns (-Wpsabi) about every float16 call, which PoCL prints.
	 */
	if ((err = clBuildProgram(s->prog, 1, &s->dev, "-w", NULL, NULL)) !=
	    CL_SUCCESS) {
		cl_log_build(s, log);
		return cl_fail(reason, rsize, "clBuildProgram", err);
	}
	s->kread = clCreateKernel(s->prog, "be_read", &err);
	if (s->kread == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateKernel(be_read)", err);
	s->kfma = clCreateKernel(s->prog, "be_fma", &err);
	if (s->kfma == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateKernel(be_fma)", err);
	return 0;
}

/* Bench buffer size: above the device's cache (be_bench_copy_bytes). */
static size_t
cl_copy_bytes(cl_device_id d)
{
	cl_ulong	maxalloc = 0, global = 0, cache = 0;

	if (cl_dev_fixed(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, &maxalloc,
	    sizeof maxalloc) != CL_SUCCESS ||
	    cl_dev_fixed(d, CL_DEVICE_GLOBAL_MEM_SIZE, &global,
	    sizeof global) != CL_SUCCESS)
		return 0;
	if (cl_dev_fixed(d, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, &cache,
	    sizeof cache) != CL_SUCCESS)
		cache = 0;
	return (size_t)be_bench_copy_bytes(cache, maxalloc, global);
}

/* Little-endian uint32 at byte offset off of the uploaded pattern. */
static uint32_t
cl_host_u32(const struct cl_sess *s, size_t off)
{
	const unsigned char	*p = s->host + off;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* be_read's sum for work item g of n, replayed from the pattern. */
static uint32_t
cl_read_sum(const struct cl_sess *s, size_t g, size_t n)
{
	uint32_t	sum = 0;
	size_t		k, lane;

	for (k = 0; k < BE_CL_READ_SPAN; k++)
		for (lane = 0; lane < 4; lane++)
			sum += cl_host_u32(s, ((g + k * n) * 4 + lane) * 4);
	return sum;
}

/* Compares a few of be_read's sums with the host's replay. */
static int
cl_check_read(struct cl_sess *s, size_t bytes, char *reason, size_t rsize)
{
	size_t		n = bytes / 16 / BE_CL_READ_SPAN, g[4], i;
	cl_uint		got;
	cl_int		err;

	g[0] = 0;
	g[1] = n / 3;
	g[2] = n / 3 * 2;
	g[3] = n - 1;
	for (i = 0; i < 4; i++) {
		if ((err = clEnqueueReadBuffer(s->q, s->dst, CL_TRUE,
		    g[i] * sizeof got, sizeof got, &got, 0, NULL, NULL)) !=
		    CL_SUCCESS)
			return cl_fail(reason, rsize, "clEnqueueReadBuffer",
			    err);
		if (got != cl_read_sum(s, g[i], n)) {
			(void)snprintf(reason, rsize, "read kernel: wrong sum "
			    "at work item %zu", g[i]);
			return -1;
		}
	}
	return 0;
}

/* be_sum16 of bench.cl: halves added pairwise, in the same order. */
static float
cl_sum16(const float *x)
{
	float	a[8], b[4], c[2];
	int	i;

	for (i = 0; i < 8; i++)
		a[i] = x[i] + x[i + 8];
	for (i = 0; i < 4; i++)
		b[i] = a[i] + a[i + 4];
	for (i = 0; i < 2; i++)
		c[i] = b[i] + b[i + 2];
	return c[0] + c[1];
}

/* Host replay of one be_fma work item (see bench.cl). */
static float
cl_fma_expect(uint32_t g, float b, float c, unsigned iters)
{
	float		x[BE_CL_FMA_LANES], s = 0;
	unsigned	k, l, i;

	for (k = 0; k < BE_CL_FMA_CHAINS; k++)
		for (l = 0; l < 16; l++)
			x[k * 16 + l] = 1.5f + (float)l * 0.0078125f +
			    (float)k * 0.0625f + (float)(g & 15u) * 0.03125f;
	for (i = 0; i < iters; i++)
		for (k = 0; k < BE_CL_FMA_LANES; k++)
			x[k] = fmaf(x[k], b, c);
	for (k = 0; k < BE_CL_FMA_CHAINS; k++)
		s = k == 0 ? cl_sum16(&x[0]) : s + cl_sum16(&x[k * 16]);
	return s;
}

static int
cl_check_fma(struct cl_sess *s, size_t global, float b, float c,
    char *reason, size_t rsize)
{
	size_t	idx[2], i;
	float	got, want;
	cl_int	err;

	idx[0] = 0;
	idx[1] = global - 1;
	for (i = 0; i < 2; i++) {
		if ((err = clEnqueueReadBuffer(s->q, s->out, CL_TRUE,
		    idx[i] * sizeof got, sizeof got, &got, 0, NULL, NULL)) !=
		    CL_SUCCESS)
			return cl_fail(reason, rsize, "clEnqueueReadBuffer",
			    err);
		want = cl_fma_expect((uint32_t)idx[i], b, c, BE_CL_FMA_ITERS);
		if (!(fabsf(got - want) <= 1e-5f * fabsf(want))) {
			(void)snprintf(reason, rsize, "fma kernel: item %zu "
			    "gave %g, expected %g", idx[i], (double)got,
			    (double)want);
			return -1;
		}
	}
	return 0;
}

static int
cl_bench_h2d(struct cl_sess *s, const struct cl_bench_ctx *bc,
    struct be_bench *out, char *reason, size_t rsize)
{
	double	per;
	cl_int	err;

	if ((s->host = malloc(bc->bytes)) == NULL)
		return cl_fail(reason, rsize, "malloc", CL_OUT_OF_HOST_MEMORY);
	cl_pattern(s->host, bc->bytes, 0xb0a710adu);
	s->src = clCreateBuffer(s->ctx, CL_MEM_READ_WRITE, bc->bytes, NULL,
	    &err);
	if (s->src == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateBuffer", err);
	if (cl_measure(s, cl_batch_h2d, bc->bytes, cl_target(bc, 3), &per,
	    "clEnqueueWriteBuffer", reason, rsize) != 0)
		return -1;
	out->h2d_bandwidth_bytes_per_s = (double)bc->bytes / per;
	return 0;
}

/*
 * Device-local bandwidth as decoding uses it: be_read streams the whole
 * buffer (bytes read per second; its writes are 1/256 of that and not
 * counted).  A copy would count a write per byte read, and on CPUs a
 * read for ownership too, so it measures another mix than the one a
 * model's weights see (docs/devices.md, "Benchmarks").
 */
static int
cl_bench_read(struct cl_sess *s, const struct cl_bench_ctx *bc,
    struct be_bench *out, char *reason, size_t rsize)
{
	double	per;
	cl_int	err;

	s->dst = clCreateBuffer(s->ctx, CL_MEM_READ_WRITE,
	    bc->bytes / BE_CL_READ_SPAN / 4, NULL, &err);
	if (s->dst == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateBuffer", err);
	if ((err = clSetKernelArg(s->kread, 0, sizeof s->src, &s->src)) !=
	    CL_SUCCESS ||
	    (err = clSetKernelArg(s->kread, 1, sizeof s->dst, &s->dst)) !=
	    CL_SUCCESS)
		return cl_fail(reason, rsize, "clSetKernelArg", err);
	if (cl_measure(s, cl_batch_read, bc->bytes, cl_target(bc, 2),
	    &per, "read kernel", reason, rsize) != 0 ||
	    cl_check_read(s, bc->bytes, reason, rsize) != 0)
		return -1;
	out->memory_bandwidth_bytes_per_s = (double)bc->bytes / per;
	return 0;
}

static int
cl_bench_fma(struct cl_sess *s, const struct cl_bench_ctx *bc,
    struct be_bench *out, char *reason, size_t rsize)
{
	const float	b = BE_CL_FMA_B, c = 1.0f - BE_CL_FMA_B;
	const cl_uint	iters = BE_CL_FMA_ITERS;
	double		per;
	cl_int		err;

	s->out = clCreateBuffer(s->ctx, CL_MEM_WRITE_ONLY,
	    bc->fma_global * sizeof(float), NULL, &err);
	if (s->out == NULL || err != CL_SUCCESS)
		return cl_fail(reason, rsize, "clCreateBuffer", err);
	if ((err = clSetKernelArg(s->kfma, 0, sizeof s->out, &s->out)) !=
	    CL_SUCCESS ||
	    (err = clSetKernelArg(s->kfma, 1, sizeof b, &b)) != CL_SUCCESS ||
	    (err = clSetKernelArg(s->kfma, 2, sizeof c, &c)) != CL_SUCCESS ||
	    (err = clSetKernelArg(s->kfma, 3, sizeof iters, &iters)) !=
	    CL_SUCCESS)
		return cl_fail(reason, rsize, "clSetKernelArg", err);
	if (cl_measure(s, cl_batch_fma, bc->fma_global, cl_target(bc, 1),
	    &per, "fma kernel", reason, rsize) != 0)
		return -1;
	if (cl_check_fma(s, bc->fma_global, b, c, reason, rsize) != 0)
		return -1;
	/* Two flops per lane per iteration; the final sums are not counted. */
	out->flops_per_s = 2.0 * BE_CL_FMA_LANES * BE_CL_FMA_ITERS *
	    (double)bc->fma_global / per;
	return 0;
}

static int
cl_bench_run(struct cl_sess *s, const struct be_view *v,
    struct cl_bench_ctx *bc, struct be_bench *out, const struct be_log *log,
    char *reason, size_t rsize)
{
	cl_uint	cu = 0;
	size_t	g;

	if (cl_sess_open(s, v, reason, rsize) != 0)
		return -1;
	if (cl_build(s, log, reason, rsize) != 0)
		return -1;
	if ((bc->bytes = cl_copy_bytes(s->dev)) == 0) {
		(void)snprintf(reason, rsize, "device too small for a %llu-byte "
		    "bench buffer", (unsigned long long)BE_BENCH_COPY_MIN);
		return -1;
	}
	bc->t_built = cl_now();
	if (cl_dev_fixed(s->dev, CL_DEVICE_MAX_COMPUTE_UNITS, &cu,
	    sizeof cu) != CL_SUCCESS || cu == 0)
		cu = 1;
	g = (size_t)cu * BE_CL_FMA_WI_PER_CU;
	bc->fma_global = g < BE_CL_FMA_GLOBAL_MAX ? g : BE_CL_FMA_GLOBAL_MAX;

	if (cl_bench_h2d(s, bc, out, reason, rsize) != 0 ||
	    cl_bench_read(s, bc, out, reason, rsize) != 0 ||
	    cl_bench_fma(s, bc, out, reason, rsize) != 0)
		return -1;
	return 0;
}

int
be_cl_bench(struct be_view *v, const struct be_log *log)
{
	struct cl_sess		s;
	struct cl_bench_ctx	bc;
	struct be_bench		b;
	char			reason[BE_REASON_MAX] = "";
	int			rc;

	memset(&bc, 0, sizeof bc);
	bc.t0 = cl_now();
	b.memory_bandwidth_bytes_per_s = NAN;
	b.h2d_bandwidth_bytes_per_s = NAN;
	b.flops_per_s = NAN;
	b.elapsed_s = NAN;
	rc = cl_bench_run(&s, v, &bc, &b, log, reason, sizeof reason);
	cl_sess_close(&s);
	b.elapsed_s = cl_now() - bc.t0;
	if (rc != 0 || !isfinite(b.elapsed_s)) {
		be_logf(log, "opencl: bench %u.%u (%s) failed: %s",
		    v->platform_index, v->device_index, v->name, reason);
		v->has_bench = false;
		return -1;
	}
	v->bench = b;
	v->has_bench = true;
	return 0;
}
