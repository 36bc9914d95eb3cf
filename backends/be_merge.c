/*
 * be_merge.c - the de-duplication rules of be_merge.h.
 *
 * Matching works on views (cheap, plain data); the summary of each record
 * is recomputed from scratch after every change so the preference order
 * lives in one function, be_merge_summarize.
 */
#include "be_merge.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int
add_view(struct be_device *d, const struct be_view *v, const struct be_log *log)
{
	if (d->nviews >= BE_MAX_VIEWS) {
		be_logf(log, "%s: more than %d API views, ignoring %s %s",
		    d->id, BE_MAX_VIEWS, be_api_name(v->api), v->name);
		return -1;
	}
	d->views[d->nviews++] = *v;
	return 0;
}

static void
make_id(struct be_device *d, const struct be_view *v)
{
	char	buf[40];

	if (v->pci.valid) {
		be_pci_format(&v->pci, buf, sizeof buf);
		(void)snprintf(d->id, sizeof d->id, "pci-%s", buf);
	} else if (v->has_uuid) {
		be_uuid_format(v->uuid, buf, sizeof buf);
		(void)snprintf(d->id, sizeof d->id, "uuid-%s", buf);
	} else {
		(void)snprintf(d->id, sizeof d->id, "%s-%u-%u",
		    be_api_name(v->api), (unsigned)v->platform_index,
		    (unsigned)v->device_index);
	}
}

static int
find_by_pci(struct be_device *devs, int n, const struct be_pci *pci)
{
	int	i;

	for (i = 0; i < n; i++)
		if (be_pci_equal(&devs[i].pci, pci))
			return i;
	return -1;
}

static int
find_by_uuid(struct be_device *devs, int n, const uint8_t uuid[16])
{
	int	i, j;

	for (i = 0; i < n; i++) {
		if (devs[i].has_uuid && memcmp(devs[i].uuid, uuid, 16) == 0)
			return i;
		for (j = 0; j < devs[i].nviews; j++)
			if (devs[i].views[j].has_uuid &&
			    memcmp(devs[i].views[j].uuid, uuid, 16) == 0)
				return i;
	}
	return -1;
}

static void
init_cpu(struct be_device *cpu, const struct be_node *node)
{
	be_device_init(cpu);
	be_strlcpy(cpu->id, "cpu", sizeof cpu->id);
	be_strlcpy(cpu->name, node->cpu_model[0] != '\0' ? node->cpu_model :
	    "CPU", sizeof cpu->name);
	cpu->type = BE_TYPE_CPU;
	cpu->compute_units = node->cpu_threads;
	if (isfinite(node->memory_total_bytes))
		cpu->memory_total_bytes = (uint64_t)node->memory_total_bytes;
	cpu->memory_free_bytes = node->memory_available_bytes;
	cpu->dtypes = BE_DTYPE_FP32 | BE_DTYPE_FP64 | BE_DTYPE_INT8;
}

/* Places one non-CPU view; returns the new record count. */
static int
place_view(struct be_device *out, int n, int max, const struct be_view *v,
    const struct be_log *log)
{
	int	i = -1;

	if (v->pci.valid)
		i = find_by_pci(out, n, &v->pci);
	if (i < 0 && v->has_uuid)
		i = find_by_uuid(out, n, v->uuid);
	if (i >= 0) {
		(void)add_view(&out[i], v, log);
		if (!out[i].pci.valid && v->pci.valid)
			out[i].pci = v->pci;
		return n;
	}
	if (n >= max) {
		be_logf(log, "more than %d devices, ignoring %s device %s",
		    max, be_api_name(v->api), v->name);
		return n;
	}
	be_device_init(&out[n]);
	make_id(&out[n], v);
	out[n].pci = v->pci;
	(void)add_view(&out[n], v, log);
	return n + 1;
}

int
be_merge(const struct be_view *views, int nviews, const struct be_node *node,
    struct be_device *out, int max, const struct be_log *log)
{
	int	i, pass, n = 1;

	if (max < 1)
		return 0;
	init_cpu(&out[0], node);
	/* Pass 0: CPU views and views with a PCI address; pass 1: the rest. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nviews; i++) {
			const struct be_view *v = &views[i];

			if (v->type == BE_TYPE_CPU) {
				if (pass == 0)
					(void)add_view(&out[0], v, log);
				continue;
			}
			if ((pass == 0) != v->pci.valid)
				continue;
			n = place_view(out, n, max, v, log);
		}
	}
	for (i = 0; i < n; i++)
		be_merge_summarize(&out[i]);
	return n;
}

/* The first view of an API, or NULL. */
static const struct be_view *
view_of(const struct be_device *d, enum be_api api)
{
	int	i;

	for (i = 0; i < d->nviews; i++)
		if (d->views[i].api == api)
			return &d->views[i];
	return NULL;
}

static double
max_known(double a, double b)
{
	if (!isfinite(a))
		return b;
	if (!isfinite(b))
		return a;
	return a > b ? a : b;
}

static void
summarize_bench(struct be_device *d)
{
	int	i;

	d->has_bench = false;
	d->bench.memory_bandwidth_bytes_per_s = NAN;
	d->bench.h2d_bandwidth_bytes_per_s = NAN;
	d->bench.flops_per_s = NAN;
	d->bench.elapsed_s = NAN;
	for (i = 0; i < d->nviews; i++) {
		const struct be_bench *b = &d->views[i].bench;

		if (!d->views[i].has_bench)
			continue;
		d->has_bench = true;
		d->bench.memory_bandwidth_bytes_per_s = max_known(
		    d->bench.memory_bandwidth_bytes_per_s,
		    b->memory_bandwidth_bytes_per_s);
		d->bench.h2d_bandwidth_bytes_per_s = max_known(
		    d->bench.h2d_bandwidth_bytes_per_s,
		    b->h2d_bandwidth_bytes_per_s);
		d->bench.flops_per_s = max_known(d->bench.flops_per_s,
		    b->flops_per_s);
		d->bench.elapsed_s = isfinite(d->bench.elapsed_s) ?
		    d->bench.elapsed_s + b->elapsed_s : b->elapsed_s;
	}
}

static void
summarize_gpu(struct be_device *d)
{
	const struct be_view	*vk = view_of(d, BE_API_VULKAN);
	const struct be_view	*cl = view_of(d, BE_API_OPENCL);
	const struct be_view	*first = vk != NULL ? vk : cl;
	int			 i;

	d->memory_total_bytes = 0;
	d->memory_free_bytes = NAN;
	if (first != NULL) {
		if (d->name[0] == '\0')
			be_strlcpy(d->name, first->name, sizeof d->name);
		if (d->vendor[0] == '\0')
			be_strlcpy(d->vendor, first->vendor, sizeof d->vendor);
		if (d->type == BE_TYPE_OTHER)
			d->type = first->type;
	}
	if (cl != NULL) {
		d->compute_units = cl->compute_units;
		d->clock_mhz = cl->clock_mhz;
	}
	for (i = 0; i < d->nviews; i++) {
		const struct be_view *v = &d->views[i];

		if (v->memory_total_bytes > d->memory_total_bytes)
			d->memory_total_bytes = v->memory_total_bytes;
		if (isfinite(v->memory_free_bytes) &&
		    (!isfinite(d->memory_free_bytes) ||
		    v->memory_free_bytes < d->memory_free_bytes))
			d->memory_free_bytes = v->memory_free_bytes;
		if (!d->has_uuid && v->has_uuid) {
			d->has_uuid = true;
			memcpy(d->uuid, v->uuid, 16);
		}
	}
	/* Telemetry, when present, is the truth about memory. */
	if (isfinite(d->telemetry.memory_total_bytes))
		d->memory_total_bytes =
		    (uint64_t)d->telemetry.memory_total_bytes;
	if (isfinite(d->telemetry.memory_total_bytes) &&
	    isfinite(d->telemetry.memory_used_bytes))
		d->memory_free_bytes = d->telemetry.memory_total_bytes -
		    d->telemetry.memory_used_bytes;
}

void
be_merge_summarize(struct be_device *d)
{
	int	i;

	d->apis = 0;
	for (i = 0; i < d->nviews; i++) {
		d->apis |= (uint32_t)d->views[i].api;
		d->dtypes |= d->views[i].dtypes;
	}
	if (d->type == BE_TYPE_CPU) {
		/* Name and memory come from /proc (init_cpu); vendor from a view. */
		for (i = 0; i < d->nviews && d->vendor[0] == '\0'; i++)
			if (d->views[i].api == BE_API_OPENCL)
				be_strlcpy(d->vendor, d->views[i].vendor,
				    sizeof d->vendor);
	} else
		summarize_gpu(d);
	summarize_bench(d);
}

void
be_merge_sysfs(struct be_device *devs, int n, const struct be_gpu_sysfs *g,
    int ng)
{
	int	i, j;

	for (i = 0; i < ng; i++) {
		if ((j = find_by_pci(devs, n, &g[i].pci)) < 0)
			continue;
		devs[j].telemetry = g[i].t;
		if (isfinite(g[i].memory_total_bytes) &&
		    !isfinite(devs[j].telemetry.memory_total_bytes))
			devs[j].telemetry.memory_total_bytes =
			    g[i].memory_total_bytes;
		be_merge_summarize(&devs[j]);
	}
}

int
be_merge_nvml(struct be_device *devs, int n, int max,
    const struct be_gpu_nvml *g, int ng, const struct be_log *log)
{
	int	i, j;

	for (i = 0; i < ng; i++) {
		j = find_by_pci(devs, n, &g[i].pci);
		if (j < 0 && g[i].has_uuid)
			j = find_by_uuid(devs, n, g[i].uuid);
		if (j < 0) {
			if (n >= max) {
				be_logf(log, "more than %d devices, ignoring "
				    "NVML device %s", max, g[i].name);
				continue;
			}
			j = n++;
			be_device_init(&devs[j]);
			devs[j].type = BE_TYPE_GPU;
			devs[j].pci = g[i].pci;
			be_strlcpy(devs[j].name, g[i].name,
			    sizeof devs[j].name);
			be_strlcpy(devs[j].vendor, "NVIDIA",
			    sizeof devs[j].vendor);
			if (g[i].has_uuid) {
				devs[j].has_uuid = true;
				memcpy(devs[j].uuid, g[i].uuid, 16);
			}
			{
				struct be_view id;

				be_view_init(&id);
				id.pci = g[i].pci;
				id.has_uuid = g[i].has_uuid;
				memcpy(id.uuid, g[i].uuid, 16);
				make_id(&devs[j], &id);
			}
		}
		/* NVML names GPUs best ("NVIDIA H100 80GB HBM3"). */
		be_strlcpy(devs[j].name, g[i].name, sizeof devs[j].name);
		devs[j].telemetry = g[i].t;
		if (isfinite(g[i].memory_total_bytes))
			devs[j].telemetry.memory_total_bytes =
			    g[i].memory_total_bytes;
		be_merge_summarize(&devs[j]);
	}
	return n;
}
