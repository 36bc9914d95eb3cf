/*
 * fake_nvml.c - a stand-in libnvidia-ml for unit.test_nvml (test-only).
 *
 * be_nvml.c loads NVML with dlopen and resolves entry points by name, so
 * the only way to test it without an NVIDIA GPU is a library exporting the
 * same names with fixed answers.  tests/CMakeLists.txt builds this file
 * three ways:
 *   FAKE_NVML_FULL     current driver: _v2/_v3 entry points, two GPUs, the
 *                      second failing its temperature and power queries;
 *   FAKE_NVML_MINIMAL  an old driver: only unversioned entry points, the
 *                      old 16-byte-busId PCI struct, and no UUID,
 *                      utilisation, power or clock queries at all;
 *   FAKE_NVML_BROKEN   lacks nvmlDeviceGetCount, so opening must fail.
 * Setting FAKE_NVML_INIT_FAIL in the environment makes nvmlInit fail.
 * fake_nvml_live() reports init calls minus shutdown calls, so the test
 * can see that be_nvml_close shut NVML down.
 */
#include <stdlib.h>
#include <string.h>

#define OK		0
#define UNINIT		1
#define INVALID		2
#define NOT_SUPPORTED	3
#define INSUFFICIENT	7

typedef int nvmlReturn_t;
typedef struct fake_gpu *nvmlDevice_t;

struct fake_gpu {
	const char		*bus_id;	/* NVML's 8-digit-domain form */
	const char		*bus_id_legacy;	/* 4-digit domain */
	unsigned int		 bus, dev;
	const char		*name;
	const char		*uuid;
	unsigned long long	 total, used;
	unsigned int		 util, temp, power_mw, gclk, mclk;
	int			 temp_ok, power_ok;
};

struct fake_pci_v2 {
	char		bus_id_legacy[16];
	unsigned int	domain, bus, device, pci_device_id, pci_subsystem_id;
	char		bus_id[32];
};

struct fake_pci_v1 {
	char		bus_id[16];
	unsigned int	domain, bus, device, pci_device_id, pci_subsystem_id;
	unsigned int	reserved[4];
};

struct fake_memory {
	unsigned long long	total, free, used;
};

struct fake_util {
	unsigned int	gpu, memory;
};

static struct fake_gpu gpus[2] = {
	{ "00000000:01:00.0", "0000:01:00.0", 0x01, 0, "Fake GeForce A",
	  "GPU-01234567-89ab-cdef-0123-456789abcdef",
	  24ULL << 30, 1ULL << 30, 37, 55, 123456, 1800, 9501, 1, 1 },
	{ "00000000:41:00.0", "0000:41:00.0", 0x41, 0, "Fake Tesla B",
	  "GPU-fedcba98-7654-3210-FEDC-BA9876543210",
	  80ULL << 30, 0, 100, 0, 0, 1410, 1593, 0, 0 },
};
static int live;

int		fake_nvml_live(void);
nvmlReturn_t	nvmlInit(void);
nvmlReturn_t	nvmlShutdown(void);
nvmlReturn_t	nvmlDeviceGetHandleByIndex(unsigned int, nvmlDevice_t *);
nvmlReturn_t	nvmlDeviceGetName(nvmlDevice_t, char *, unsigned int);
nvmlReturn_t	nvmlDeviceGetMemoryInfo(nvmlDevice_t, struct fake_memory *);
nvmlReturn_t	nvmlDeviceGetTemperature(nvmlDevice_t, int, unsigned int *);
const char	*nvmlErrorString(nvmlReturn_t);
#ifndef FAKE_NVML_BROKEN
nvmlReturn_t	nvmlDeviceGetCount(unsigned int *);
#endif
#ifdef FAKE_NVML_MINIMAL
nvmlReturn_t	nvmlDeviceGetPciInfo(nvmlDevice_t, struct fake_pci_v1 *);
#else
nvmlReturn_t	nvmlInit_v2(void);
nvmlReturn_t	nvmlDeviceGetHandleByIndex_v2(unsigned int, nvmlDevice_t *);
nvmlReturn_t	nvmlDeviceGetPciInfo_v3(nvmlDevice_t, struct fake_pci_v2 *);
nvmlReturn_t	nvmlDeviceGetUUID(nvmlDevice_t, char *, unsigned int);
nvmlReturn_t	nvmlDeviceGetUtilizationRates(nvmlDevice_t,
		    struct fake_util *);
nvmlReturn_t	nvmlDeviceGetPowerUsage(nvmlDevice_t, unsigned int *);
nvmlReturn_t	nvmlDeviceGetClockInfo(nvmlDevice_t, int, unsigned int *);
#endif
#if !defined(FAKE_NVML_MINIMAL) && !defined(FAKE_NVML_BROKEN)
nvmlReturn_t	nvmlDeviceGetCount_v2(unsigned int *);
#endif

int
fake_nvml_live(void)
{
	return live;
}

nvmlReturn_t
nvmlInit(void)
{
	if (getenv("FAKE_NVML_INIT_FAIL") != NULL)
		return 9;	/* NVML_ERROR_DRIVER_NOT_LOADED */
	live++;
	return OK;
}

nvmlReturn_t
nvmlShutdown(void)
{
	if (live == 0)
		return UNINIT;
	live--;
	return OK;
}

const char *
nvmlErrorString(nvmlReturn_t r)
{
	return r == 9 ? "Driver Not Loaded" : "Fake Error";
}

#ifndef FAKE_NVML_BROKEN
nvmlReturn_t
nvmlDeviceGetCount(unsigned int *n)
{
	if (live == 0)
		return UNINIT;
	*n = 2;
	return OK;
}
#endif

nvmlReturn_t
nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d)
{
	if (live == 0)
		return UNINIT;
	if (i >= 2)
		return INVALID;
	*d = &gpus[i];
	return OK;
}

nvmlReturn_t
nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned int len)
{
	if (strlen(d->name) + 1 > len)
		return INSUFFICIENT;
	memcpy(buf, d->name, strlen(d->name) + 1);
	return OK;
}

nvmlReturn_t
nvmlDeviceGetMemoryInfo(nvmlDevice_t d, struct fake_memory *m)
{
	m->total = d->total;
	m->used = d->used;
	m->free = d->total - d->used;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *t)
{
	if (sensor != 0)
		return INVALID;
	if (!d->temp_ok)
		return NOT_SUPPORTED;
	*t = d->temp;
	return OK;
}

#ifdef FAKE_NVML_MINIMAL
nvmlReturn_t
nvmlDeviceGetPciInfo(nvmlDevice_t d, struct fake_pci_v1 *p)
{
	memset(p, 0, sizeof *p);
	strcpy(p->bus_id, d->bus_id_legacy);
	p->bus = d->bus;
	p->device = d->dev;
	p->pci_device_id = 0x1b8010de;
	return OK;
}
#else
nvmlReturn_t
nvmlInit_v2(void)
{
	return nvmlInit();
}

nvmlReturn_t
nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d)
{
	return nvmlDeviceGetHandleByIndex(i, d);
}

nvmlReturn_t
nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, struct fake_pci_v2 *p)
{
	memset(p, 0, sizeof *p);
	strcpy(p->bus_id_legacy, d->bus_id_legacy);
	strcpy(p->bus_id, d->bus_id);
	p->bus = d->bus;
	p->device = d->dev;
	p->pci_device_id = 0x233010de;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned int len)
{
	if (strlen(d->uuid) + 1 > len)
		return INSUFFICIENT;
	memcpy(buf, d->uuid, strlen(d->uuid) + 1);
	return OK;
}

nvmlReturn_t
nvmlDeviceGetUtilizationRates(nvmlDevice_t d, struct fake_util *u)
{
	u->gpu = d->util;
	u->memory = d->util / 2;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw)
{
	if (!d->power_ok)
		return NOT_SUPPORTED;
	*mw = d->power_mw;
	return OK;
}

nvmlReturn_t
nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz)
{
	switch (type) {
	case 0:
		*mhz = d->gclk;
		return OK;
	case 2:
		*mhz = d->mclk;
		return OK;
	}
	return INVALID;
}
#endif

#if !defined(FAKE_NVML_MINIMAL) && !defined(FAKE_NVML_BROKEN)
nvmlReturn_t
nvmlDeviceGetCount_v2(unsigned int *n)
{
	return nvmlDeviceGetCount(n);
}
#endif
