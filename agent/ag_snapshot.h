/*
 * ag_snapshot.h - the gossiped node records, turned into the placement
 * problem the leader solves (docs/placement.md, "Placement in the
 * cluster: the snapshot").
 *
 * A pure function: records in, a pl_cluster out, nothing read from the
 * clock, the network or the disk, so the leader can call it on a copy of
 * its gossip table and the tests can call it on hand-made records.
 *
 * Rules, in short (the docs section has them in full):
 *   - device ids are "NODEID/DEVICEID", node names the node ids; when that
 *     does not fit PL_NAME_MAX the node id part is shortened (never the
 *     device id), so the text after the first '/' is always the device id;
 *   - memory: free bytes when known, else total, times (1 - reserve);
 *   - bandwidth and FLOP/s are the measured bench figures; a device
 *     without them is left out (never given a made-up number), and a
 *     snapshot where no device has any figure is an error;
 *   - dtypes: FP32 -> fp32, fp16, bf16, q8_0, q4_0; FP16 -> fp16;
 *     INT8 -> int8 (FP64 adds nothing);
 *   - ineligible (kept, eligible = 0): the node is on battery below
 *     min_battery_ratio, the device is hotter than max_temp_celsius or its
 *     node predicts it will throttle (ag_thermal.h), or an
 *     allow list is given and selects neither "NODEID/DEVICEID" nor the
 *     node id (a bare device id selects nothing: device ids are
 *     self-reported and "cpu" exists on every node);
 *   - links: one per node pair that at least one side reported; one-way
 *     latency min(rtt) / 2, bandwidth the smallest reported; a reported
 *     link without an RTT takes the coordinates' estimate, else the
 *     default below, and one without a bandwidth the default below;
 *   - a pair nobody reported (records carry at most AG_RECORD_MAX_LINKS
 *     links): when both nodes publish a network coordinate, one-way
 *     latency = estimated RTT / 2 (net_viv_distance) and bandwidth = the
 *     smaller of the two nodes' median reported link bandwidths (the one
 *     known, or the default below when neither reports any); without
 *     both coordinates (or with one at NET_VIV_ERROR_MAX, the error of a
 *     node that has not taken a sample yet), no link.  Links are added
 *     in ascending pair order.
 */
#ifndef AG_SNAPSHOT_H
#define AG_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "ag_record.h"
#include "pl_cluster.h"

/* For a reported link with no bandwidth figure: 1 Gbit/s Ethernet. */
#define AG_SNAPSHOT_DEFAULT_BANDWIDTH	125e6
/* For a reported link with no RTT figure: 1 ms one way, a slow LAN. */
#define AG_SNAPSHOT_DEFAULT_LATENCY_S	1e-3
/* Shortest node id prefix kept in a shortened device id. */
#define AG_SNAPSHOT_MIN_NODE_PREFIX	8

struct ag_snapshot_node {
	const char		*node_id;
	const struct ag_record	*rec;
};

struct ag_snapshot_opts {
	double		 reserve_ratio;		/* of memory kept unused: 0.10 */
	double		 min_battery_ratio;	/* on battery below: 0.20 */
	double		 max_temp_celsius;	/* hotter: 90 */
	const char *const *allow_devices;	/* NULL: every device */
	size_t		 nallow;
};

void	ag_snapshot_opts_init(struct ag_snapshot_opts *);
/*
 * Whether a token device selector has the one form that selects:
 * "NODEID" (every device of that node) or "NODEID/DEVICEID".
 */
bool	ag_snapshot_selector_ok(const char *);

/*
 * Builds *out (initialised here; free it with pl_cluster_free, also after
 * an error).  Returns 0, or -1 with err (bad arguments, duplicate node
 * ids, nothing measured, out of memory).  On success *ndropped (when not
 * NULL) is the number of devices left out, and err holds the first reason
 * one was left out ("" when none was).  opts NULL means the defaults.
 */
int	ag_snapshot_build(const struct ag_snapshot_node *, size_t,
	    const struct ag_snapshot_opts *, struct pl_cluster *, size_t *,
	    char *, size_t);

#endif /* AG_SNAPSHOT_H */
