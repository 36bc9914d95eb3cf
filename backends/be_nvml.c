/*
 * be_nvml.c - NVIDIA GPU telemetry through NVML, loaded at run time.
 *
 * The agent must build and run where no NVIDIA driver is installed, so NVML
 * is opened with dlopen and every entry point is looked up by name, newest
 * version first (nvmlInit_v2 before nvmlInit, …).  No NVIDIA header is
 * used: the handful of types below are written from the public NVML
 * reference.  Only init, shutdown, device count and handle lookup are
 * required; every other query is optional, and a query that is missing or
 * fails leaves its field NAN, so an old driver or a GPU that does not
 * report power still yields the rest.  The library is an external input:
 * strings it returns are treated as unterminated buffers and every number
 * is range-checked.
 */
#include "be_telemetry.h"

#include <ctype.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVML_DEFAULT_LIB	"libnvidia-ml.so.1"
#define NVML_SUCCESS		0
#define NVML_TEMPERATURE_GPU	0
#define NVML_CLOCK_GRAPHICS	0
#define NVML_CLOCK_MEM		2
#define NVML_NAME_BUF		96	/* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define NVML_UUID_BUF		96	/* >= NVML_DEVICE_UUID_V2_BUFFER_SIZE */

typedef int nvml_ret;			/* nvmlReturn_t */
typedef struct nvml_device *nvml_dev;	/* nvmlDevice_t */

/* nvmlPciInfo_t as filled by nvmlDeviceGetPciInfo_v2 and _v3. */
struct nvml_pci {
	char		bus_id_legacy[16];
	unsigned int	domain;
	unsigned int	bus;
	unsigned int	device;
	unsigned int	pci_device_id;
	unsigned int	pci_subsystem_id;
	char		bus_id[32];
};

/* The older layout filled by the unversioned nvmlDeviceGetPciInfo. */
struct nvml_pci_v1 {
	char		bus_id[16];
	unsigned int	domain;
	unsigned int	bus;
	unsigned int	device;
	unsigned int	pci_device_id;
	unsigned int	pci_subsystem_id;
	unsigned int	reserved[4];
};

/* Room to spare in case a library writes a longer struct than we know. */
union nvml_pci_buf {
	struct nvml_pci		v2;
	struct nvml_pci_v1	v1;
	unsigned char		pad[512];
};

struct nvml_memory {		/* nvmlMemory_t (v1) */
	unsigned long long	total;
	unsigned long long	free;
	unsigned long long	used;
};

struct nvml_util {		/* nvmlUtilization_t */
	unsigned int	gpu;
	unsigned int	memory;
};

typedef nvml_ret	(*nvml_void_fn)(void);
typedef nvml_ret	(*nvml_count_fn)(unsigned int *);
typedef nvml_ret	(*nvml_handle_fn)(unsigned int, nvml_dev *);
typedef nvml_ret	(*nvml_pci_fn)(nvml_dev, union nvml_pci_buf *);
typedef nvml_ret	(*nvml_str_fn)(nvml_dev, char *, unsigned int);
typedef nvml_ret	(*nvml_mem_fn)(nvml_dev, struct nvml_memory *);
typedef nvml_ret	(*nvml_util_fn)(nvml_dev, struct nvml_util *);
typedef nvml_ret	(*nvml_sel_fn)(nvml_dev, int, unsigned int *);
typedef nvml_ret	(*nvml_uint_fn)(nvml_dev, unsigned int *);
typedef const char	*(*nvml_errstr_fn)(nvml_ret);

struct be_nvml {
	void		*dl;
	struct be_log	 log;
	nvml_void_fn	 shutdown;
	nvml_count_fn	 count;
	nvml_handle_fn	 handle;
	nvml_pci_fn	 pci;
	int		 pci_v1;	/* pci is the old-layout entry point */
	nvml_str_fn	 name;
	nvml_str_fn	 uuid;
	nvml_mem_fn	 memory;
	nvml_util_fn	 util;
	nvml_sel_fn	 temp;
	nvml_uint_fn	 power;
	nvml_sel_fn	 clock;
	nvml_errstr_fn	 errstr;
};

/* The first of names (NULL-terminated) the library exports; *which = index. */
static void *
sym(void *dl, const char *const *names, int *which)
{
	void	*p;
	int	 i;

	for (i = 0; names[i] != NULL; i++) {
		if ((p = dlsym(dl, names[i])) != NULL) {
			if (which != NULL)
				*which = i;
			return p;
		}
	}
	return NULL;
}

static const char *
errname(const struct be_nvml *n, nvml_ret r, char *buf, size_t size)
{
	const char	*s;

	if (n->errstr != NULL && (s = n->errstr(r)) != NULL) {
		(void)snprintf(buf, size, "%.*s", 80, s);
		return buf;
	}
	(void)snprintf(buf, size, "error %d", r);
	return buf;
}

static const char *const init_names[] = { "nvmlInit_v2", "nvmlInit", NULL };
static const char *const shutdown_names[] = { "nvmlShutdown", NULL };
static const char *const count_names[] = {
	"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount", NULL };
static const char *const handle_names[] = {
	"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex", NULL };
static const char *const pci_names[] = {
	"nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2",
	"nvmlDeviceGetPciInfo", NULL };
static const char *const name_names[] = { "nvmlDeviceGetName", NULL };
static const char *const uuid_names[] = { "nvmlDeviceGetUUID", NULL };
static const char *const mem_names[] = { "nvmlDeviceGetMemoryInfo", NULL };
static const char *const util_names[] = {
	"nvmlDeviceGetUtilizationRates", NULL };
static const char *const temp_names[] = { "nvmlDeviceGetTemperature", NULL };
static const char *const power_names[] = { "nvmlDeviceGetPowerUsage", NULL };
static const char *const clock_names[] = { "nvmlDeviceGetClockInfo", NULL };
static const char *const errstr_names[] = { "nvmlErrorString", NULL };

struct be_nvml *
be_nvml_open(const char *libpath, const struct be_log *log)
{
	struct be_nvml	*n;
	nvml_void_fn	 init;
	nvml_ret	 r;
	const char	*err;
	char		 ebuf[96];
	int		 which = 0;

	if (libpath == NULL)
		libpath = NVML_DEFAULT_LIB;
	if ((n = calloc(1, sizeof *n)) == NULL) {
		be_logf(log, "NVML not available: out of memory");
		return NULL;
	}
	if (log != NULL)
		n->log = *log;
	if ((n->dl = dlopen(libpath, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		be_infof(log, "NVML not available: %s",
		    err != NULL ? err : libpath);
		free(n);
		return NULL;
	}
	init = (nvml_void_fn)sym(n->dl, init_names, NULL);
	n->shutdown = (nvml_void_fn)sym(n->dl, shutdown_names, NULL);
	n->count = (nvml_count_fn)sym(n->dl, count_names, NULL);
	n->handle = (nvml_handle_fn)sym(n->dl, handle_names, NULL);
	if (init == NULL || n->shutdown == NULL || n->count == NULL ||
	    n->handle == NULL) {
		be_logf(log, "NVML not available: %s lacks %s", libpath,
		    init == NULL ? "nvmlInit" : n->shutdown == NULL ?
		    "nvmlShutdown" : n->count == NULL ? "nvmlDeviceGetCount" :
		    "nvmlDeviceGetHandleByIndex");
		(void)dlclose(n->dl);
		free(n);
		return NULL;
	}
	n->pci = (nvml_pci_fn)sym(n->dl, pci_names, &which);
	n->pci_v1 = n->pci != NULL && pci_names[which + 1] == NULL;
	n->name = (nvml_str_fn)sym(n->dl, name_names, NULL);
	n->uuid = (nvml_str_fn)sym(n->dl, uuid_names, NULL);
	n->memory = (nvml_mem_fn)sym(n->dl, mem_names, NULL);
	n->util = (nvml_util_fn)sym(n->dl, util_names, NULL);
	n->temp = (nvml_sel_fn)sym(n->dl, temp_names, NULL);
	n->power = (nvml_uint_fn)sym(n->dl, power_names, NULL);
	n->clock = (nvml_sel_fn)sym(n->dl, clock_names, NULL);
	n->errstr = (nvml_errstr_fn)sym(n->dl, errstr_names, NULL);
	if ((r = init()) != NVML_SUCCESS) {
		be_infof(log, "NVML not available: nvmlInit: %s",
		    errname(n, r, ebuf, sizeof ebuf));
		(void)dlclose(n->dl);
		free(n);
		return NULL;
	}
	return n;
}

void
be_nvml_close(struct be_nvml *n)
{
	if (n == NULL)
		return;
	(void)n->shutdown();
	(void)dlclose(n->dl);
	free(n);
}

int
be_nvml_parse_uuid(const char *s, uint8_t out[16])
{
	uint8_t	tmp[16];
	int	digits = 0, c, v;

	if (strncmp(s, "GPU-", 4) == 0 || strncmp(s, "MIG-", 4) == 0)
		s += 4;
	for (; *s != '\0'; s++) {
		if (*s == '-')
			continue;
		c = tolower((unsigned char)*s);
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (digits >= 32)
			return -1;
		if (digits % 2 == 0)
			tmp[digits / 2] = (uint8_t)(v << 4);
		else
			tmp[digits / 2] |= (uint8_t)v;
		digits++;
	}
	if (digits != 32)
		return -1;
	memcpy(out, tmp, sizeof tmp);
	return 0;
}

/*
 * A NUL-terminated copy of a fixed-size field the library filled, with
 * anything but printable ASCII replaced (records end up in JSON).
 */
static void
field(char *dst, size_t dsize, const char *src, size_t ssize)
{
	size_t	len = strnlen(src, ssize), i;

	if (len >= dsize)
		len = dsize - 1;
	for (i = 0; i < len; i++)
		dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
	dst[len] = '\0';
}

static void
numeric_pci(unsigned int domain, unsigned int bus, unsigned int dev,
    struct be_pci *p)
{
	if (bus > 0xff || dev > 31)
		return;
	p->valid = true;
	p->domain = domain;
	p->bus = (uint8_t)bus;
	p->dev = (uint8_t)dev;
	p->fn = 0;
}

static void
gpu_pci(struct be_nvml *n, nvml_dev d, struct be_pci *p)
{
	union nvml_pci_buf	b;
	char			s[40];

	memset(&b, 0, sizeof b);
	memset(p, 0, sizeof *p);
	if (n->pci == NULL || n->pci(d, &b) != NVML_SUCCESS)
		return;
	if (n->pci_v1) {
		field(s, sizeof s, b.v1.bus_id, sizeof b.v1.bus_id);
		if (be_pci_parse(s, p) != 0)
			numeric_pci(b.v1.domain, b.v1.bus, b.v1.device, p);
		return;
	}
	field(s, sizeof s, b.v2.bus_id, sizeof b.v2.bus_id);
	if (be_pci_parse(s, p) == 0)
		return;
	field(s, sizeof s, b.v2.bus_id_legacy, sizeof b.v2.bus_id_legacy);
	if (be_pci_parse(s, p) != 0)
		numeric_pci(b.v2.domain, b.v2.bus, b.v2.device, p);
}

static void
gpu_fill(struct be_nvml *n, nvml_dev d, struct be_gpu_nvml *g)
{
	char			buf[NVML_UUID_BUF > NVML_NAME_BUF ?
				    NVML_UUID_BUF : NVML_NAME_BUF];
	struct nvml_memory	mem;
	struct nvml_util	u;
	unsigned int		v;

	gpu_pci(n, d, &g->pci);
	memset(buf, 0, sizeof buf);
	if (n->name != NULL &&
	    n->name(d, buf, NVML_NAME_BUF) == NVML_SUCCESS)
		field(g->name, sizeof g->name, buf, NVML_NAME_BUF);
	memset(buf, 0, sizeof buf);
	if (n->uuid != NULL && n->uuid(d, buf, sizeof buf) == NVML_SUCCESS) {
		buf[sizeof buf - 1] = '\0';
		g->has_uuid = be_nvml_parse_uuid(buf, g->uuid) == 0;
	}
	memset(&mem, 0, sizeof mem);
	if (n->memory != NULL && n->memory(d, &mem) == NVML_SUCCESS &&
	    mem.total > 0 && mem.used <= mem.total) {
		g->memory_total_bytes = (double)mem.total;
		g->t.memory_total_bytes = (double)mem.total;
		g->t.memory_used_bytes = (double)mem.used;
	}
	if (n->util != NULL && n->util(d, &u) == NVML_SUCCESS && u.gpu <= 100)
		g->t.utilization_ratio = u.gpu / 100.0;
	if (n->temp != NULL && n->temp(d, NVML_TEMPERATURE_GPU, &v) ==
	    NVML_SUCCESS && v <= 500)
		g->t.temperature_celsius = v;
	if (n->power != NULL && n->power(d, &v) == NVML_SUCCESS)
		g->t.power_watts = v / 1000.0;
	if (n->clock != NULL && n->clock(d, NVML_CLOCK_GRAPHICS, &v) ==
	    NVML_SUCCESS)
		g->t.clock_graphics_mhz = v;
	if (n->clock != NULL && n->clock(d, NVML_CLOCK_MEM, &v) ==
	    NVML_SUCCESS)
		g->t.clock_memory_mhz = v;
}

int
be_nvml_gpus(struct be_nvml *n, struct be_gpu_nvml *out, int max)
{
	unsigned int	count = 0, i;
	nvml_dev	d;
	nvml_ret	r;
	char		ebuf[96];
	int		stored = 0;

	if (n == NULL || out == NULL || max <= 0)
		return n == NULL ? -1 : 0;
	if ((r = n->count(&count)) != NVML_SUCCESS) {
		be_logf(&n->log, "NVML: nvmlDeviceGetCount: %s",
		    errname(n, r, ebuf, sizeof ebuf));
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (stored >= max) {
			be_logf(&n->log, "NVML: %u devices, only %d kept",
			    count, max);
			break;
		}
		d = NULL;
		if ((r = n->handle(i, &d)) != NVML_SUCCESS || d == NULL) {
			be_logf(&n->log, "NVML: device %u: no handle: %s", i,
			    errname(n, r, ebuf, sizeof ebuf));
			continue;
		}
		memset(&out[stored], 0, sizeof out[stored]);
		be_telemetry_init(&out[stored].t);
		out[stored].memory_total_bytes = NAN;
		be_strlcpy(out[stored].t.source, "nvml",
		    sizeof out[stored].t.source);
		gpu_fill(n, d, &out[stored]);
		stored++;
	}
	return stored;
}
