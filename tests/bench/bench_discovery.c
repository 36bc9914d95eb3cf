/*
 * bench_discovery.c - how long device discovery takes on this machine:
 * cold (every ICD loaded, every view verified), cached (registry hit, only
 * procfs/sysfs/NVML read live), and the probe time per device (the
 * verification copy and the capability benchmark of each API view).
 *
 * Prints medians over several runs.  --quick does one cold and three
 * cached runs and skips the per-device benchmarks, for ctest's smoke run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ag_devices.h"
#include "bench.h"

static int
timed_get(const char *dir, int refresh, struct be_inventory *inv, double *s)
{
	struct ag_devices_opts	o = { dir, "/", refresh != 0, false, false };
	struct ag_devices_stats	st;
	double			t0 = bench_now_s();

	if (ag_devices_get(&o, inv, &st) != 0)
		return -1;
	*s = bench_now_s() - t0;
	return st.from_cache == (refresh == 0) ? 0 : -1;
}

static void
probe_devices(struct be_inventory *inv, int runs)
{
	struct be_discover_opts	 o;
	struct be_view		 v;
	double			 t[16], b[16];
	int			 i, j, r;

	be_discover_opts_init(&o);
	(void)printf("\n%-48s %-7s %12s %12s\n", "view", "api",
	    "verify_ms", "bench_ms");
	for (i = 0; i < inv->ndevices; i++) {
		for (j = 0; j < inv->devices[i].nviews; j++) {
			for (r = 0; r < runs && r < 16; r++) {
				double t0;

				v = inv->devices[i].views[j];
				v.has_bench = false;
				v.verified = BE_VERIFY_NOT_RUN;
				o.verify = true;
				t0 = bench_now_s();
				be_discover_verify(&o, &v, NULL);
				t[r] = (bench_now_s() - t0) * 1e3;
				t0 = bench_now_s();
				(void)be_discover_bench(&o, &v, 1, NULL);
				b[r] = (bench_now_s() - t0) * 1e3;
			}
			(void)printf("%-48.48s %-7s %12.1f %12.1f\n",
			    inv->devices[i].views[j].name,
			    be_api_name(inv->devices[i].views[j].api),
			    bench_median(t, r), bench_median(b, r));
		}
	}
}

int
main(int argc, char **argv)
{
	char			 dir[] = "/tmp/exogpu-bench-XXXXXX", cmd[64];
	struct be_inventory	*inv = calloc(1, sizeof *inv);
	double			 cold[8], warm[32];
	int			 quick = argc > 1 && strcmp(argv[1], "--quick")
				    == 0;
	int			 ncold = quick ? 1 : 5, nwarm = quick ? 3 : 20;
	int			 i;

	if (inv == NULL || mkdtemp(dir) == NULL)
		return 1;
	if (setenv("POCL_CACHE_DIR", dir, 1) != 0)
		return 1;
	for (i = 0; i < ncold; i++)
		if (timed_get(dir, 1, inv, &cold[i]) != 0)
			return 1;
	for (i = 0; i < nwarm; i++)
		if (timed_get(dir, 0, inv, &warm[i]) != 0)
			return 1;
	(void)printf("devices: %d records\n", inv->ndevices);
	(void)printf("cold discovery   median %8.1f ms  (%d runs)\n",
	    bench_median(cold, ncold) * 1e3, ncold);
	(void)printf("cached discovery median %8.2f ms  (%d runs)\n",
	    bench_median(warm, nwarm) * 1e3, nwarm);
	(void)printf("cold / cached    %8.0fx\n", bench_median(cold, ncold) /
	    bench_median(warm, nwarm));
	if (!quick)
		probe_devices(inv, 3);
	else
		(void)printf("(--quick: per-device probe times skipped)\n");
	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	free(inv);
	return system(cmd) == 0 ? 0 : 1;
}
