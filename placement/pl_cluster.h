/*
 * pl_cluster.h - the devices and links a placement is solved over.
 *
 * A snapshot, not live state: the agent (or a JSON file, see
 * agent/ag_planio.c) fills one, the solver reads it.  Devices live on
 * nodes; links join nodes, so two devices on different nodes use their
 * nodes' link and two on one node use that node's intra-node figures.
 * Links are symmetric.  A pair of nodes without a link cannot be adjacent
 * in a pipeline (its hop is infinite).
 *
 * Devices that share one physical memory (a CPU and an integrated GPU on
 * one DRAM) carry the same non-zero pool id: the plan's stages on them
 * must fit that memory together.  booked_bytes is memory already promised
 * to committed placements; the solver takes it off before the reserve.
 *
 * Counts are capped (PL_MAX_*) so a hostile file cannot make the solver's
 * K x K tables large.
 *
 * Lookups of a link are by binary search while links were added in
 * ascending order of their (smaller, larger) node pair, as the agent's
 * snapshot adds them (links_sorted, kept by pl_cluster_add_link; a copy
 * that leaves it 0 only makes lookups linear), else linear.
 */
#ifndef PL_CLUSTER_H
#define PL_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "pl_dtype.h"
#include "pl_model.h"
#include "pl_thermal.h"

#define PL_MAX_DEVICES	1024
#define PL_MAX_NODES	1024
/* Every pair of PL_MAX_NODES nodes: a snapshot may estimate them all. */
#define PL_MAX_LINKS	(PL_MAX_NODES * (PL_MAX_NODES - 1) / 2)

/* Defaults for a node without intra-node figures (PCIe-class, two GPUs in
 * one box): 10 us one way, 25 GB/s. */
#define PL_INTRA_LATENCY_S	10e-6
#define PL_INTRA_BANDWIDTH	25e9

struct pl_device {
	char		id[PL_NAME_MAX];
	size_t		node;		/* index into cluster nodes */
	uint64_t	memory_bytes;	/* M, usable */
	double		bandwidth;	/* B, memory bytes/s */
	double		flops;		/* F, FLOP/s */
	unsigned	dtypes;		/* PL_DT_BIT mask */
	int		eligible;
	int		has_thermal;
	struct pl_thermal thermal;
	/* v2, optional: 0 / "" when not given. */
	uint64_t	booked_bytes;	/* already booked by placements */
	uint32_t	pool;		/* shared physical memory, 0 = own */
	char		rpc[PL_NAME_MAX];	/* "host:port" of its rpc-server */
	char		engine_device[PL_NAME_MAX];	/* "CUDA0", "CPU" */
};

struct pl_node {
	char		name[PL_NAME_MAX];
	double		intra_latency_s;
	double		intra_bandwidth;
};

struct pl_link {
	size_t		a, b;		/* node indices, a != b */
	double		latency_s;	/* alpha, one way */
	double		bandwidth;	/* beta, bytes/s */
};

struct pl_cluster {
	struct pl_device *devices;
	size_t		ndevices;
	struct pl_node	*nodes;
	size_t		nnodes;
	struct pl_link	*links;
	size_t		nlinks;
	size_t		cap_devices, cap_nodes, cap_links;
	int		links_sorted;	/* 1: ascending pairs, no repeats */
	size_t		client;		/* llama.cpp client node, if has_client */
	int		has_client;
};

void	pl_cluster_init(struct pl_cluster *);
void	pl_cluster_free(struct pl_cluster *);
/* Index of the node called name, or -1. */
int	pl_cluster_find_node(const struct pl_cluster *, const char *, size_t *);
/* Index of node name, created with default intra-node figures if new. */
int	pl_cluster_node(struct pl_cluster *, const char *, size_t *);
/* Appends a copy of d (node must exist).  -1 on a full table, ENOMEM. */
int	pl_cluster_add_device(struct pl_cluster *, const struct pl_device *);
/* Appends a link; -1 when a == b, unknown nodes, full or ENOMEM. */
int	pl_cluster_add_link(struct pl_cluster *, size_t, size_t, double,
	    double);
/* The link between nodes a != b, or NULL. */
const struct pl_link *pl_cluster_link(const struct pl_cluster *, size_t,
	    size_t);

#endif /* PL_CLUSTER_H */
