/*
 * ag_record.h - the one record each node gossips about itself: its name,
 * its devices with the figures placement needs, the links it measured and
 * its power state, and its network coordinate (net_vivaldi.h).
 *
 * Encoded as deterministic CBOR (a map with small integer keys, see
 * docs/cluster.md, "Node record") so every node holds byte-identical copies
 * and gossip can compare them.  The decoder takes bytes from peers: it is
 * bounded (sizes, counts, depth through security/sec_cbor.h), skips keys
 * it does not know, and has a libFuzzer harness.
 */
#ifndef AG_RECORD_H
#define AG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "net_vivaldi.h"
#include "sec_identity.h"

#define AG_RECORD_MAX_BYTES	(24 * 1024)
#define AG_RECORD_MAX_DEVICES	16
/*
 * Links a record carries: the node picks which (docs/cluster.md, "Links
 * in the record") when it has more peers, and pairs no record reports
 * are estimated from network coordinates.  128 links of IPv4 peers take
 * about 8 KB; the largest record (every count at its bound, every
 * string at its longest) about 23.9 KB, under AG_RECORD_MAX_BYTES.
 */
#define AG_RECORD_MAX_LINKS	128
#define AG_RECORD_MAX_WORKERS	32
#define AG_RECORD_REASON_MAX	160

/* A worker's state (docs/engines.md, "Workers"); numbers are on the wire. */
enum ag_record_worker_state {
	AG_WORKER_STARTING = 0,
	AG_WORKER_READY = 1,
	AG_WORKER_FAILED = 2,
};

struct ag_record_device {
	char		id[64];
	char		name[128];
	char		type[16];		/* gpu, integrated, cpu, other */
	uint64_t	memory_total_bytes;
	double		memory_free_bytes;	/* NAN unknown */
	double		memory_bandwidth;	/* bytes/s, NAN unknown */
	double		flops;			/* FLOP/s, NAN unknown */
	uint32_t	dtypes;			/* enum be_dtype flags */
	uint32_t	apis;			/* enum be_api flags */
	double		temperature_celsius;	/* NAN unknown */
	int		throttle_predicted;	/* ag_thermal.h: 1 = will */
};

struct ag_record_link {
	char		peer[SEC_NODE_ID_SIZE];
	char		addr[64];		/* as seen by us; "" unknown */
	double		rtt_s;			/* smoothed; NAN unknown */
	double		bandwidth;		/* bytes/s; NAN unknown */
};

/* One engine worker this node runs for a stage of a placement. */
struct ag_record_worker {
	uint64_t	placement;
	uint64_t	epoch;
	uint32_t	stage;			/* index in the placement */
	uint32_t	state;			/* ag_record_worker_state */
	uint32_t	port;			/* on 127.0.0.1; 0 none */
	uint32_t	restarts;
	char		reason[AG_RECORD_REASON_MAX];	/* "" none */
};

const char *ag_record_worker_state_name(uint32_t);

struct ag_record {
	char			name[64];
	int			ndevices;
	struct ag_record_device	devices[AG_RECORD_MAX_DEVICES];
	int			nlinks;
	struct ag_record_link	links[AG_RECORD_MAX_LINKS];
	double			battery_ratio;	/* NAN: no battery */
	int			on_ac;		/* 1, 0, -1 unknown */
	int			nworkers;
	struct ag_record_worker	workers[AG_RECORD_MAX_WORKERS];
	/*
	 * Key 9: the node's network coordinate, quantised on the wire to
	 * 1 us (vector, height, adjustment) and 1/1000 (error).  0 when
	 * absent: an older peer, or one whose coordinate is out of the
	 * bounds of net_viv_coord_valid (ignored, not an error).
	 */
	int			has_coord;
	struct net_viv_coord	coord;
};

void	ag_record_init(struct ag_record *);
/* 0 and *len, or -1 when it does not fit in cap. */
int	ag_record_encode(const struct ag_record *, uint8_t *buf, size_t cap,
	    size_t *len);
/* 0, or -1 with err naming what is wrong. */
int	ag_record_decode(const uint8_t *, size_t, struct ag_record *,
	    char *err, size_t errlen);
/*
 * Drops links from the end of r until it encodes within cap bytes
 * (AG_RECORD_MAX_BYTES for gossip); the number dropped, or -1 when even
 * no links do not fit.  Callers put the links they most want kept first.
 * The largest record the arrays allow fits AG_RECORD_MAX_BYTES today
 * (test_record checks it), so this is a guard for when they grow.
 */
int	ag_record_fit(struct ag_record *, size_t cap);

/*
 * Which links a record carries when a node has more peers than
 * AG_RECORD_MAX_LINKS (docs/cluster.md, "Links in the record"): peers
 * sharing a live placement with the node first, then the nearest by RTT
 * (one published last time counting as AG_RECORD_KEEP_BONUS of its RTT,
 * so noise at the edge does not swap peers), then those without an RTT;
 * ties by peer id.  Reorders c so the first min(n, max) are the chosen
 * ones, sorted by peer id, and returns how many.
 */
#define AG_RECORD_KEEP_BONUS	0.8
struct ag_record_cand {
	const char	*peer;		/* node id */
	double		 rtt_s;		/* NAN unknown */
	int		 partner;	/* shares a live placement */
	int		 published;	/* in the last published record */
	int		 index;		/* the caller's */
};
int	ag_record_pick_links(struct ag_record_cand *, int n, int max);

/*
 * Delta gossip (docs/cluster.md, "Quiet gossip"): whether a fresh sample
 * of our record moved far enough from the one last published to be worth
 * publishing.  Anything that names or describes a thing (name, devices,
 * their totals, benchmark figures, dtypes, the set of links and their
 * addresses, the throttle prediction, being on AC, workers) counts at any
 * change; measured figures count when they become known or unknown and
 * past a threshold:
 *
 *	free memory	AG_RECORD_MEM_STEP_BYTES or AG_RECORD_MEM_STEP_RATIO
 *			of the device's total, whichever is larger
 *	temperature	AG_RECORD_TEMP_STEP_C
 *	battery		AG_RECORD_BATTERY_STEP (fraction of full)
 *	link RTT	AG_RECORD_RTT_STEP_RATIO of the published value and at
 *			least AG_RECORD_RTT_STEP_S
 *	link bandwidth	AG_RECORD_BW_STEP_RATIO of the published value
 *	coordinate	moved (vector, height and adjustment together) by
 *			AG_RECORD_COORD_STEP_RATIO of its distance from
 *			the origin and at least AG_RECORD_COORD_STEP_S,
 *			or, while the published error estimate is at
 *			least AG_RECORD_COORD_CONVERGED, fell to half of
 *			it (a rise alone never counts)
 *
 * Comparing with the published record (not the last sample) means slow
 * drift adds up and is published once it passes the threshold.  Returns
 * 1 for a change (something named or described: the agent publishes and
 * pushes it at once), 2 for drift (only measured figures moved past their
 * thresholds, or became known or unknown: the agent publishes it quietly
 * and seldom, ag_node.c), 0 for neither.  why, when not NULL, names what
 * moved (for the debug log).
 */
#define AG_RECORD_MEM_STEP_BYTES	(64.0 * 1024 * 1024)
#define AG_RECORD_MEM_STEP_RATIO	0.01
#define AG_RECORD_TEMP_STEP_C		2.0
#define AG_RECORD_BATTERY_STEP		0.02
#define AG_RECORD_RTT_STEP_RATIO	0.10
#define AG_RECORD_RTT_STEP_S		0.001
#define AG_RECORD_BW_STEP_RATIO		0.10
#define AG_RECORD_COORD_STEP_RATIO	0.10
#define AG_RECORD_COORD_STEP_S		0.001
#define AG_RECORD_COORD_CONVERGED	0.25
/*
 * The why of a change for the first coordinate learned from samples; the
 * caller keeps it to once a run (an error that went back to its cap on a
 * sub-millisecond path and came down again is drift, not news).
 */
#define AG_RECORD_FIRST_COORD		"first coordinate"
int	ag_record_moved(const struct ag_record *published,
	    const struct ag_record *fresh, const char **why);

#endif /* AG_RECORD_H */
