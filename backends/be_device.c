/*
 * be_device.c - small helpers every backend shares: record initialisation
 * (so "unknown" is NAN / -1 from the start, never an accidental 0), names,
 * and the PCI address and UUID text forms used as matching keys.
 */
#include "be_device.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
be_logf(const struct be_log *log, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	if (log == NULL || log->fn == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log->fn(log->ctx, msg);
}

void
be_infof(const struct be_log *log, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	if (log == NULL || log->info == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log->info(log->ctx, msg);
}

void
be_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	n;

	if (size == 0)
		return;
	if (src == NULL)
		src = "";
	n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
be_view_init(struct be_view *v)
{
	memset(v, 0, sizeof *v);
	v->memory_free_bytes = NAN;
	v->compute_units = -1;
	v->clock_mhz = -1;
	v->subgroup_size = -1;
	v->bench.memory_bandwidth_bytes_per_s = NAN;
	v->bench.h2d_bandwidth_bytes_per_s = NAN;
	v->bench.flops_per_s = NAN;
	v->bench.elapsed_s = NAN;
}

void
be_telemetry_init(struct be_telemetry *t)
{
	memset(t, 0, sizeof *t);
	t->memory_used_bytes = NAN;
	t->memory_total_bytes = NAN;
	t->utilization_ratio = NAN;
	t->temperature_celsius = NAN;
	t->power_watts = NAN;
	t->clock_graphics_mhz = NAN;
	t->clock_memory_mhz = NAN;
}

void
be_device_init(struct be_device *d)
{
	memset(d, 0, sizeof *d);
	d->memory_free_bytes = NAN;
	d->compute_units = -1;
	d->clock_mhz = -1;
	d->bench.memory_bandwidth_bytes_per_s = NAN;
	d->bench.h2d_bandwidth_bytes_per_s = NAN;
	d->bench.flops_per_s = NAN;
	d->bench.elapsed_s = NAN;
	be_telemetry_init(&d->telemetry);
}

void
be_node_init(struct be_node *n)
{
	memset(n, 0, sizeof *n);
	n->cpu_cores = -1;
	n->cpu_threads = -1;
	n->memory_total_bytes = NAN;
	n->memory_available_bytes = NAN;
	n->battery.capacity_ratio = NAN;
	n->battery.energy_now_wh = NAN;
	n->battery.energy_full_wh = NAN;
	n->battery.power_watts = NAN;
	n->battery.temperature_celsius = NAN;
	n->battery.ac_online = -1;
}

const char *
be_api_name(enum be_api api)
{
	switch (api) {
	case BE_API_VULKAN:
		return "vulkan";
	case BE_API_OPENCL:
		return "opencl";
	}
	return "unknown";
}

const char *
be_type_name(enum be_type type)
{
	switch (type) {
	case BE_TYPE_GPU:
		return "gpu";
	case BE_TYPE_INTEGRATED:
		return "integrated";
	case BE_TYPE_CPU:
		return "cpu";
	case BE_TYPE_OTHER:
		break;
	}
	return "other";
}

void
be_pci_format(const struct be_pci *p, char *buf, size_t size)
{
	if (size == 0)
		return;
	if (!p->valid) {
		buf[0] = '\0';
		return;
	}
	(void)snprintf(buf, size, "%04x:%02x:%02x.%u", (unsigned)p->domain,
	    (unsigned)p->bus, (unsigned)p->dev, (unsigned)p->fn);
}

/* Reads 1..max hex digits; returns the count read or -1. */
static int
hexfield(const char **sp, unsigned long max_digits, unsigned long *out)
{
	const char	*s = *sp;
	unsigned long	 v = 0, n = 0;

	while (isxdigit((unsigned char)*s) && n < max_digits) {
		int c = tolower((unsigned char)*s);
		v = v * 16 + (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
		s++;
		n++;
	}
	if (n == 0 || isxdigit((unsigned char)*s))
		return -1;
	*sp = s;
	*out = v;
	return (int)n;
}

int
be_pci_parse(const char *s, struct be_pci *p)
{
	unsigned long	a, b, dev, fn, domain = 0, bus;
	const char	*c = s;

	memset(p, 0, sizeof *p);
	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*c))
		c++;
	if (hexfield(&c, 8, &a) < 0 || *c++ != ':')
		return -1;
	if (hexfield(&c, 2, &b) < 0)
		return -1;
	if (*c == ':') {		/* domain:bus:dev.fn */
		c++;
		domain = a;
		bus = b;
		if (hexfield(&c, 2, &dev) < 0)
			return -1;
	} else {			/* bus:dev.fn */
		if (a > 0xff)
			return -1;
		bus = a;
		dev = b;
	}
	if (*c++ != '.' || hexfield(&c, 1, &fn) < 0)
		return -1;
	while (isspace((unsigned char)*c))
		c++;
	if (*c != '\0' || dev > 31 || fn > 7)
		return -1;
	p->valid = true;
	p->domain = (uint32_t)domain;
	p->bus = (uint8_t)bus;
	p->dev = (uint8_t)dev;
	p->fn = (uint8_t)fn;
	return 0;
}

int
be_pci_equal(const struct be_pci *a, const struct be_pci *b)
{
	return a->valid && b->valid && a->domain == b->domain &&
	    a->bus == b->bus && a->dev == b->dev && a->fn == b->fn;
}

void
be_uuid_format(const uint8_t u[16], char *buf, size_t size)
{
	(void)snprintf(buf, size,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
	    u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

uint64_t
be_bench_copy_bytes(uint64_t llc, uint64_t max_alloc, uint64_t mem)
{
	uint64_t	want = BE_BENCH_COPY_FLOOR, n = BE_BENCH_COPY_MIN;

	if (llc > 0 && llc <= BE_BENCH_COPY_CEIL / 4 && 4 * llc > want)
		want = 4 * llc;
	else if (llc > BE_BENCH_COPY_CEIL / 4)
		want = BE_BENCH_COPY_CEIL;
	while (n < want && n < BE_BENCH_COPY_CEIL)
		n *= 2;
	while (n >= BE_BENCH_COPY_MIN && (n > max_alloc || n > mem / 8))
		n /= 2;
	return n >= BE_BENCH_COPY_MIN ? n : 0;
}
