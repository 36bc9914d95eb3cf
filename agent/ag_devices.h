/*
 * ag_devices.h - this node's device inventory, with the registry cache.
 *
 * The command (`exogpu devices`) and, later, the agent's background
 * discovery share this: read the registry from the data dir, trust it only
 * if it decodes cleanly and its fingerprint matches the machine, otherwise
 * re-discover (carrying bench figures over for unchanged devices), run
 * benchmarks on request, write the registry back atomically, then assemble
 * the live view (procfs, sysfs, NVML).
 */
#ifndef AG_DEVICES_H
#define AG_DEVICES_H

#include <stdbool.h>

#include "be_discover.h"

struct ag_devices_opts {
	const char	*data_dir;	/* NULL: no cache */
	const char	*root;		/* sysfs/procfs root, "/" */
	bool		 refresh;	/* ignore the cache */
	bool		 bench;		/* measure devices lacking figures */
	/*
	 * Never ask the drivers: with no usable cache, assemble what the
	 * host says without any device view and return 1 (the agent then
	 * discovers in a child process, off its event loop).
	 */
	bool		 cache_only;
};

struct ag_devices_stats {
	bool	from_cache;	/* views came from the registry */
	bool	cache_written;
	int	benched;	/* views benchmarked this run */
	double	views_s;	/* time to get the views (cache or drivers) */
	double	total_s;
};

#define AG_REGISTRY_FILE	"devices.json"

/* Fills inv; 0 on success (the inventory always has the CPU), 1 when
 * cache_only found no usable cache, -1 never happens today but callers
 * must check. */
int	ag_devices_get(const struct ag_devices_opts *, struct be_inventory *,
	    struct ag_devices_stats *);

#endif /* AG_DEVICES_H */
