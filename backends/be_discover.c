/*
 * be_discover.c - runs the backends in order and isolates every driver
 * call; see be_discover.h.
 *
 * Each isolated call is a small adapter with the be_isolated_fn signature:
 * the child runs the backend function and writes plain structs back.  A
 * crashing or hanging driver loses that API's (or that view's) answer, is
 * logged with the reason, and discovery goes on.
 */
#include "be_discover.h"
#include "be_host.h"
#include "be_isolate.h"
#include "be_merge.h"
#include "be_opencl.h"
#include "be_telemetry.h"
#include "be_vulkan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISCOVER_DEFAULT_TIMEOUT_MS	30000

struct enum_arg {
	enum be_api		 api;
	const struct be_log	*log;
};

struct view_arg {
	struct be_view		*view;
	const struct be_log	*log;
	int			 bench;
};

void
be_discover_opts_init(struct be_discover_opts *o)
{
	memset(o, 0, sizeof *o);
	o->root = "/";
	o->timeout_ms = DISCOVER_DEFAULT_TIMEOUT_MS;
	o->verify = true;
}

static long
child_enumerate(void *argp, void *out, size_t size)
{
	struct enum_arg	*a = argp;
	int		 max = (int)(size / sizeof(struct be_view)), n;

	if (a->api == BE_API_VULKAN)
		n = be_vk_enumerate(out, max, a->log);
	else
		n = be_cl_enumerate(out, max, a->log);
	return n < 0 ? -1 : (long)n * (long)sizeof(struct be_view);
}

/* Verify or bench one view in the child; the updated view comes back. */
static long
child_view(void *argp, void *out, size_t size)
{
	struct view_arg	*a = argp;
	struct be_view	*v = a->view;

	if (size < sizeof *v)
		return -1;
	if (a->bench)
		(void)(v->api == BE_API_VULKAN ? be_vk_bench(v, a->log) :
		    be_cl_bench(v, a->log));
	else
		(void)(v->api == BE_API_VULKAN ? be_vk_verify(v, a->log) :
		    be_cl_verify(v, a->log));
	memcpy(out, v, sizeof *v);
	return (long)sizeof *v;
}

static int
enumerate_api(const struct be_discover_opts *o, enum be_api api,
    struct be_view *out, int max, const struct be_log *log)
{
	struct enum_arg	 a = { api, log };
	char		 why[128];
	long		 n;

	n = be_isolate(child_enumerate, &a, out, (size_t)max * sizeof *out,
	    o->timeout_ms, why, sizeof why);
	if (n < 0) {
		be_logf(log, "%s: device enumeration failed: %s; skipping it",
		    be_api_name(api), why);
		return 0;
	}
	return (int)((size_t)n / sizeof *out);
}

void
be_discover_verify(const struct be_discover_opts *o, struct be_view *v,
    const struct be_log *log)
{
	struct view_arg	 a = { v, log, 0 };
	struct be_view	 res;
	char		 why[128];

	if (be_isolate(child_view, &a, &res, sizeof res, o->timeout_ms, why,
	    sizeof why) == (long)sizeof res) {
		v->verified = res.verified;
		memcpy(v->verify_reason, res.verify_reason,
		    sizeof v->verify_reason);
		v->verify_reason[sizeof v->verify_reason - 1] = '\0';
		return;
	}
	v->verified = BE_VERIFY_FAIL;
	(void)snprintf(v->verify_reason, sizeof v->verify_reason,
	    "verification %s", why);
	be_logf(log, "%s %s: verification %s", be_api_name(v->api), v->name,
	    why);
}

int
be_discover_views(const struct be_discover_opts *o, struct be_view *out,
    int max, const struct be_log *log)
{
	int	n = 0, i;

	if (!o->no_vulkan)
		n += enumerate_api(o, BE_API_VULKAN, out, max, log);
	if (!o->no_opencl && n < max)
		n += enumerate_api(o, BE_API_OPENCL, out + n, max - n, log);
	for (i = 0; i < n; i++) {
		out[i].has_bench = false;
		if (o->verify)
			be_discover_verify(o, &out[i], log);
	}
	return n;
}

int
be_discover_bench(const struct be_discover_opts *o, struct be_view *views,
    int n, const struct be_log *log)
{
	struct be_view	res;
	char		why[128];
	int		i, ran = 0;

	for (i = 0; i < n; i++) {
		struct view_arg a = { &views[i], log, 1 };

		if (views[i].has_bench)
			continue;
		if (views[i].verified == BE_VERIFY_FAIL) {
			be_logf(log, "%s %s: not benchmarked: failed "
			    "verification", be_api_name(views[i].api),
			    views[i].name);
			continue;
		}
		ran++;
		if (be_isolate(child_view, &a, &res, sizeof res, o->timeout_ms,
		    why, sizeof why) != (long)sizeof res) {
			be_logf(log, "%s %s: benchmark %s",
			    be_api_name(views[i].api), views[i].name, why);
			continue;
		}
		views[i].has_bench = res.has_bench;
		views[i].bench = res.bench;
	}
	return ran;
}

static void
attach_telemetry(const struct be_discover_opts *o, struct be_inventory *inv,
    const struct be_log *log)
{
	struct be_gpu_sysfs	*sg;
	struct be_gpu_nvml	*ng;
	struct be_nvml		*nvml;
	int			 n;

	if ((sg = calloc(BE_MAX_DEVICES, sizeof *sg)) != NULL) {
		n = be_sysfs_gpus(o->root, sg, BE_MAX_DEVICES, log);
		if (n > 0)
			be_merge_sysfs(inv->devices, inv->ndevices, sg, n);
		free(sg);
	}
	if ((nvml = be_nvml_open(o->nvml_path, log)) == NULL)
		return;
	if ((ng = calloc(BE_MAX_DEVICES, sizeof *ng)) != NULL) {
		n = be_nvml_gpus(nvml, ng, BE_MAX_DEVICES);
		if (n > 0)
			inv->ndevices = be_merge_nvml(inv->devices,
			    inv->ndevices, BE_MAX_DEVICES, ng, n, log);
		free(ng);
	}
	be_nvml_close(nvml);
}

void
be_discover_assemble(const struct be_discover_opts *o,
    const struct be_view *views, int nviews, struct be_inventory *inv,
    const struct be_log *log)
{
	be_node_init(&inv->node);
	(void)be_host_read(o->root, &inv->node, log);
	inv->ndevices = be_merge(views, nviews, &inv->node, inv->devices,
	    BE_MAX_DEVICES, log);
	attach_telemetry(o, inv, log);
}
