/*
 * ag_record.h - the one record each node gossips about itself: its name,
 * its devices with the figures placement needs, the links it measured and
 * its power state.
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

#include "sec_identity.h"

#define AG_RECORD_MAX_BYTES	(24 * 1024)
#define AG_RECORD_MAX_DEVICES	16
#define AG_RECORD_MAX_LINKS	64

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

struct ag_record {
	char			name[64];
	int			ndevices;
	struct ag_record_device	devices[AG_RECORD_MAX_DEVICES];
	int			nlinks;
	struct ag_record_link	links[AG_RECORD_MAX_LINKS];
	double			battery_ratio;	/* NAN: no battery */
	int			on_ac;		/* 1, 0, -1 unknown */
};

void	ag_record_init(struct ag_record *);
/* 0 and *len, or -1 when it does not fit in cap. */
int	ag_record_encode(const struct ag_record *, uint8_t *buf, size_t cap,
	    size_t *len);
/* 0, or -1 with err naming what is wrong. */
int	ag_record_decode(const uint8_t *, size_t, struct ag_record *,
	    char *err, size_t errlen);

#endif /* AG_RECORD_H */
