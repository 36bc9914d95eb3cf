/*
 * cmd_devices.c - `exogpu devices`: this node's compute devices.
 *
 * Prints one record per physical device (de-duplicated across Vulkan and
 * OpenCL), as a table or as the JSON contract in docs/devices.md.  The
 * registry cache makes repeated calls fast; --refresh re-discovers and
 * --bench measures devices that have no figures yet.
 */
#include "ag_cmd.h"
#include "ag_datadir.h"
#include "ag_devices.h"
#include "ag_log.h"

#include "be_json.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	devices_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_devices = {
	"devices",
	"[--json] [--bench] [--refresh] [--data-dir DIR] [--no-cache]",
	"List this node's compute devices (Vulkan, OpenCL, CPU) with telemetry",
	"  --json            print one JSON object (see docs/devices.md)\n"
	"  --bench           measure memory bandwidth, host-to-device bandwidth\n"
	"                    and FLOP/s of devices that have no figures yet\n"
	"                    (kept in the registry until hardware or driver "
	"changes)\n"
	"  --refresh         ignore the registry cache and re-discover\n"
	"  --data-dir DIR    state directory (default: /var/lib/exogpu as root,\n"
	"                    else $XDG_STATE_HOME/exogpu)\n"
	"  --no-cache        neither read nor write the registry\n"
	"  --sysfs-root DIR  read /proc and /sys under DIR (testing)\n"
	"  -h, --help        show this help\n",
	devices_exec,
};

static void
fmt_bytes(double b, char *buf, size_t size)
{
	if (!isfinite(b))
		(void)snprintf(buf, size, "-");
	else if (b >= 1024.0 * 1024 * 1024)
		(void)snprintf(buf, size, "%.1f GiB", b / (1024.0 * 1024 * 1024));
	else
		(void)snprintf(buf, size, "%.0f MiB", b / (1024.0 * 1024));
}

static void
fmt_apis(const struct be_device *d, char *buf, size_t size)
{
	int	i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < d->nviews && off >= 0 && (size_t)off < size; i++) {
		const struct be_view *v = &d->views[i];
		const char *mark = v->verified == BE_VERIFY_PASS ? "ok" :
		    v->verified == BE_VERIFY_FAIL ? "FAIL" : "?";

		off += snprintf(buf + off, size - (size_t)off, "%s%s(%s)",
		    i ? "," : "", be_api_name(v->api), mark);
	}
	if (d->nviews == 0)
		(void)snprintf(buf, size, "-");
}

static void
print_node(const struct be_node *n)
{
	char	total[32], avail[32];

	fmt_bytes(n->memory_total_bytes, total, sizeof total);
	fmt_bytes(n->memory_available_bytes, avail, sizeof avail);
	(void)printf("host %s: %s, %d cores / %d threads, memory %s "
	    "(%s available)\n", n->hostname, n->cpu_model[0] ? n->cpu_model :
	    "unknown CPU", n->cpu_cores, n->cpu_threads, total, avail);
	if (n->battery.present)
		(void)printf("battery %s: %s, %.0f%%%s\n", n->battery.name,
		    n->battery.status, n->battery.capacity_ratio * 100,
		    n->battery.ac_online == 1 ? ", on AC" : "");
}

static void
print_table(const struct be_inventory *inv)
{
	int	i;

	print_node(&inv->node);
	(void)printf("\n%-22s %-10s %-36s %10s %10s  %-24s %s\n", "ID", "TYPE",
	    "NAME", "MEMORY", "FREE", "APIS (VERIFIED)", "BENCH");
	for (i = 0; i < inv->ndevices; i++) {
		const struct be_device	*d = &inv->devices[i];
		char			 mem[32], fr[32], apis[128];
		char			 bench[80] = "-";

		fmt_bytes((double)d->memory_total_bytes, mem, sizeof mem);
		fmt_bytes(d->memory_free_bytes, fr, sizeof fr);
		fmt_apis(d, apis, sizeof apis);
		if (d->has_bench)
			(void)snprintf(bench, sizeof bench,
			    "%.1f GB/s mem, %.1f GB/s h2d, %.1f GFLOP/s",
			    d->bench.memory_bandwidth_bytes_per_s / 1e9,
			    d->bench.h2d_bandwidth_bytes_per_s / 1e9,
			    d->bench.flops_per_s / 1e9);
		(void)printf("%-22s %-10s %-36.36s %10s %10s  %-24s %s\n",
		    d->id, be_type_name(d->type), d->name, mem, fr, apis,
		    bench);
	}
}

static int
print_json(const struct be_inventory *inv)
{
	json_t	*root = json_object(), *devs = json_array(), *node;
	int	 i, ok = root != NULL && devs != NULL;

	for (i = 0; ok && i < inv->ndevices; i++) {
		json_t *d = be_json_device(&inv->devices[i]);

		ok = d != NULL && json_array_append_new(devs, d) == 0;
	}
	node = be_json_node(&inv->node);
	if (ok && node != NULL && json_object_set_new(root, "node", node) == 0)
		node = NULL;
	else
		ok = 0;
	if (ok && json_object_set_new(root, "devices", devs) == 0)
		devs = NULL;
	else
		ok = 0;
	if (ok)
		ok = json_dumpf(root, stdout, JSON_INDENT(2)) == 0 &&
		    putchar('\n') != EOF;
	json_decref(node);
	json_decref(devs);
	json_decref(root);
	if (!ok) {
		ag_log(AG_LOG_ERR, "devices: cannot write JSON");
		return AG_EXIT_RUNTIME;
	}
	return AG_EXIT_OK;
}

static int
devices_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bench", no_argument, NULL, 'b' },
		{ "refresh", no_argument, NULL, 'r' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "sysfs-root", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ag_devices_opts	 o = { NULL, "/", false, false, false };
	struct ag_devices_stats	 st;
	struct be_inventory	*inv;
	const char		*dir = NULL;
	char			 dirbuf[PATH_MAX];
	int			 ch, json = 0, nocache = 0, rc;

	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'b':
			o.bench = true;
			break;
		case 'r':
			o.refresh = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'n':
			nocache = 1;
			break;
		case 's':
			o.root = optarg;
			break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if (!nocache) {
		if (ag_datadir_resolve(dir, dirbuf, sizeof dirbuf) == 0)
			o.data_dir = dirbuf;
		else
			ag_log(AG_LOG_WARNING, "no data dir (set --data-dir "
			    "or HOME); not caching");
	}
	if ((inv = calloc(1, sizeof *inv)) == NULL) {
		ag_log(AG_LOG_ERR, "out of memory");
		return AG_EXIT_RUNTIME;
	}
	rc = ag_devices_get(&o, inv, &st);
	if (rc == 0) {
		ag_log(AG_LOG_INFO, "%d devices in %.3f s (%s)", inv->ndevices,
		    st.total_s, st.from_cache ? "registry cache" : "discovered");
		if (json)
			rc = print_json(inv);
		else
			print_table(inv);
	} else
		rc = AG_EXIT_RUNTIME;
	free(inv);
	return rc;
}
