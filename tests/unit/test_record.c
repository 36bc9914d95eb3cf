/*
 * test_record.c - the gossiped node record (agent/ag_record.c): exact
 * round trips, determinism, unknown keys skipped, and every bound and
 * malformation refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ag_record.h"

static void
sample(struct ag_record *r)
{
	ag_record_init(r);
	(void)snprintf(r->name, sizeof r->name, "lab-1");
	r->ndevices = 2;
	(void)snprintf(r->devices[0].id, 64, "cpu");
	(void)snprintf(r->devices[0].name, 128, "Intel Xeon");
	(void)snprintf(r->devices[0].type, 16, "cpu");
	r->devices[0].memory_total_bytes = 25200000000ull;
	r->devices[0].memory_free_bytes = 2.1e10;
	r->devices[0].memory_bandwidth = 9.5e9;
	r->devices[0].flops = 1.25e11;
	r->devices[0].dtypes = 0xf;
	r->devices[0].apis = 3;
	r->devices[0].temperature_celsius = NAN;
	(void)snprintf(r->devices[1].id, 64, "pci-0000:01:00.0");
	(void)snprintf(r->devices[1].type, 16, "gpu");
	r->devices[1].memory_free_bytes = NAN;
	r->devices[1].memory_bandwidth = NAN;
	r->devices[1].flops = NAN;
	r->devices[1].temperature_celsius = 61.5;
	r->nlinks = 1;
	(void)snprintf(r->links[0].peer, sizeof r->links[0].peer,
	    "abcdefghijklmnopqrstuvwxya");
	r->links[0].rtt_s = 0.00025;
	r->links[0].bandwidth = NAN;
	(void)snprintf(r->links[0].addr, sizeof r->links[0].addr,
	    "10.0.0.2:47470");
	r->battery_ratio = 0.5;
	r->on_ac = 0;
}

static void
test_roundtrip(void **state)
{
	struct ag_record	a, b;
	uint8_t			buf[4096], buf2[4096];
	size_t			len, len2;
	char			err[256];

	sample(&a);
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	if (ag_record_decode(buf, len, &b, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(b.name, "lab-1");
	assert_int_equal(b.ndevices, 2);
	assert_int_equal(b.devices[0].memory_total_bytes, 25200000000ull);
	assert_true(b.devices[0].flops == 1.25e11);
	assert_true(isnan(b.devices[0].temperature_celsius));
	assert_true(b.devices[1].temperature_celsius == 61.5);
	assert_true(isnan(b.devices[1].flops));
	assert_int_equal(b.devices[0].dtypes, 0xf);
	assert_int_equal(b.nlinks, 1);
	assert_true(b.links[0].rtt_s == 0.00025);
	assert_true(isnan(b.links[0].bandwidth));
	assert_string_equal(b.links[0].addr, "10.0.0.2:47470");
	assert_true(b.battery_ratio == 0.5);
	assert_int_equal(b.on_ac, 0);
	/* Deterministic: re-encoding gives the same bytes. */
	assert_int_equal(ag_record_encode(&b, buf2, sizeof buf2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	/* Does not fit: an error, not a partial record. */
	assert_int_equal(ag_record_encode(&a, buf, 20, &len), -1);
}

/* Key 8: workers round-trip, are bounded, and count as a move. */
static void
test_workers(void **state)
{
	struct ag_record	a, b;
	uint8_t			buf[16384];
	size_t			len;
	char			err[256];
	const char		*why;
	int			i;

	(void)state;
	sample(&a);
	a.nworkers = 2;
	a.workers[0].placement = 7;
	a.workers[0].epoch = 2;
	a.workers[0].stage = 1;
	a.workers[0].state = AG_WORKER_READY;
	a.workers[0].port = 41234;
	a.workers[0].restarts = 3;
	(void)snprintf(a.workers[1].reason, sizeof a.workers[1].reason,
	    "no llama.cpp RPC server");
	a.workers[1].state = AG_WORKER_FAILED;
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	if (ag_record_decode(buf, len, &b, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(b.nworkers, 2);
	assert_memory_equal(a.workers, b.workers, 2 * sizeof a.workers[0]);
	assert_string_equal(ag_record_worker_state_name(b.workers[0].state),
	    "ready");
	assert_string_equal(ag_record_worker_state_name(99), "unknown");
	assert_int_equal(ag_record_moved(&a, &b, &why), 0);
	b.workers[0].state = AG_WORKER_FAILED;
	assert_int_equal(ag_record_moved(&a, &b, &why), 1);
	assert_string_equal(why, "workers");
	/* The most a record carries fits; a port past 65535 does not read. */
	a.nworkers = AG_RECORD_MAX_WORKERS;
	for (i = 0; i < a.nworkers; i++)
		memset(a.workers[i].reason, 'x', AG_RECORD_REASON_MAX - 1);
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	assert_true(len <= AG_RECORD_MAX_BYTES);
	assert_int_equal(ag_record_decode(buf, len, &b, err, sizeof err), 0);
	a.nworkers = 1;
	a.workers[0].port = 70000;
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	assert_int_equal(ag_record_decode(buf, len, &b, err, sizeof err), -1);
	assert_non_null(strstr(err, "worker port"));
	/* Without workers the record has no key 8 (older peers' bytes). */
	a.nworkers = 0;
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	assert_int_equal(buf[0], 0xa5);
}

static void
test_rejects(void **state)
{
	struct ag_record	a, b;
	uint8_t			buf[4096];
	size_t			len, i;
	char			err[256];
	/* {1: "x", 99: 7} - an unknown key is skipped. */
	static const uint8_t	unknown[] = { 0xa2, 0x01, 0x61, 'x', 0x18,
				    0x63, 0x07 };
	/* {2: [ ...17 devices ]} */
	static const uint8_t	many[] = { 0xa1, 0x02, 0x91 };
	/* {1: "x", 1: "y"} - duplicate keys are not deterministic. */
	static const uint8_t	dup[] = { 0xa2, 0x01, 0x61, 'x', 0x01, 0x61,
				    'y' };
	/* {3: [ ...129 links ]} */
	static const uint8_t	many_links[] = { 0xa1, 0x03, 0x98, 0x81 };
	/* 9-byte array header declaring 2^32 links. */
	static const uint8_t	huge[] = { 0xa1, 0x03, 0x9b, 0, 0, 0, 1, 0,
				    0, 0, 0 };

	assert_int_equal(ag_record_decode(unknown, sizeof unknown, &b, err,
	    sizeof err), 0);
	assert_string_equal(b.name, "x");
	assert_int_equal(ag_record_decode(many, sizeof many, &b, err,
	    sizeof err), -1);
	assert_int_equal(ag_record_decode(dup, sizeof dup, &b, err,
	    sizeof err), -1);
	assert_int_equal(ag_record_decode(huge, sizeof huge, &b, err,
	    sizeof err), -1);
	assert_int_equal(ag_record_decode(many_links, sizeof many_links, &b,
	    err, sizeof err), -1);
	assert_int_equal(ag_record_decode((const uint8_t *)"", 0, &b, err,
	    sizeof err), -1);
	sample(&a);
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	for (i = 0; i < len; i++)
		assert_int_equal(ag_record_decode(buf, i, &b, err, sizeof err),
		    -1);
	/* A link peer that is not a node id. */
	(void)snprintf(a.links[0].peer, sizeof a.links[0].peer, "NOT-AN-ID");
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	assert_int_equal(ag_record_decode(buf, len, &b, err, sizeof err), -1);
	assert_non_null(strstr(err, "node id"));
}

static void
sample_coord(struct ag_record *r)
{
	int	i;

	r->has_coord = 1;
	net_viv_coord_init(&r->coord);
	for (i = 0; i < NET_VIV_DIMS; i++)
		r->coord.vec[i] = (i % 2 ? -1 : 1) * 1e-6 * (i * 37 + 3);
	r->coord.height = 42e-6;
	r->coord.adjustment = -7e-6;
	r->coord.error = 0.25;
}

/* Key 9: the coordinate round-trips (quantised), bounded, moves. */
static void
test_coord(void **state)
{
	static struct ag_record	a, b;
	uint8_t			buf[4096], buf2[4096];
	size_t			len, len2;
	char			err[256];
	const char		*why;
	int			i;
	/* {9: [[1, 2], 10, 0, 100]}: 2 dims - read, then ignored */
	static const uint8_t	dims[] = { 0xa1, 0x09, 0x84, 0x82, 0x01, 0x02,
				    0x0a, 0x00, 0x18, 0x64 };
	/* {9: [[..8..], -1, 0, 100]}: negative height - ignored */
	static const uint8_t	neg[] = { 0xa1, 0x09, 0x84, 0x88, 0, 0, 0, 0,
				    0, 0, 0, 0, 0x20, 0x00, 0x18, 0x64 };
	/* {9: [[..8..], 10, 0, 1501]}: error past 1.5 - ignored */
	static uint8_t		err15[] = { 0xa1, 0x09, 0x84, 0x88, 0, 0, 0,
				    0, 0, 0, 0, 0, 0x0a, 0x00, 0x19, 0x05,
				    0xdd };
	/* {9: [[..8..], 10, 0]}: three terms - malformed */
	static const uint8_t	short3[] = { 0xa1, 0x09, 0x83, 0x88, 0, 0, 0,
				    0, 0, 0, 0, 0, 0x0a, 0x00 };
	/* {9: [[1.5, ..], ...]}: a float where an integer goes - malformed */
	static const uint8_t	flt[] = { 0xa1, 0x09, 0x84, 0x81, 0xf9, 0x3e,
				    0x00, 0x0a, 0x00, 0x01 };
	/* {9: [[..8..], 2^63, 0, 1]}: out of int64 - malformed */
	static const uint8_t	big[] = { 0xa1, 0x09, 0x84, 0x88, 0, 0, 0, 0,
				    0, 0, 0, 0, 0x1b, 0x80, 0, 0, 0, 0, 0, 0,
				    0, 0x00, 0x01 };

	(void)state;
	sample(&a);
	sample_coord(&a);
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	if (ag_record_decode(buf, len, &b, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(b.has_coord, 1);
	for (i = 0; i < NET_VIV_DIMS; i++)
		assert_true(fabs(b.coord.vec[i] - a.coord.vec[i]) < 1e-12);
	assert_true(fabs(b.coord.height - 42e-6) < 1e-12);
	assert_true(fabs(b.coord.adjustment + 7e-6) < 1e-12);
	assert_true(b.coord.error == 0.25);
	assert_int_equal(ag_record_encode(&b, buf2, sizeof buf2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	/* Below 1 us is not on the wire: same bytes. */
	b = a;
	b.coord.vec[0] += 0.3e-6;
	assert_int_equal(ag_record_encode(&b, buf2, sizeof buf2, &len2), 0);
	assert_memory_equal(buf, buf2, len);
	/* Absent: no key 9, and none read back. */
	a.has_coord = 0;
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	assert_int_equal(buf[0], 0xa5);
	assert_int_equal(ag_record_decode(buf, len, &b, err, sizeof err), 0);
	assert_int_equal(b.has_coord, 0);
	/* Hostile values are read and dropped, malformed shapes refused. */
	assert_int_equal(ag_record_decode(dims, sizeof dims, &b, err,
	    sizeof err), 0);
	assert_int_equal(b.has_coord, 0);
	assert_int_equal(ag_record_decode(neg, sizeof neg, &b, err,
	    sizeof err), 0);
	assert_int_equal(b.has_coord, 0);
	assert_int_equal(ag_record_decode(err15, sizeof err15, &b, err,
	    sizeof err), 0);
	assert_int_equal(b.has_coord, 0);
	err15[sizeof err15 - 1] = 0xdc;		/* 1500: the bound, kept */
	assert_int_equal(ag_record_decode(err15, sizeof err15, &b, err,
	    sizeof err), 0);
	assert_int_equal(b.has_coord, 1);
	assert_true(b.coord.error == 1.5);
	assert_int_equal(ag_record_decode(short3, sizeof short3, &b, err,
	    sizeof err), -1);
	assert_int_equal(ag_record_decode(flt, sizeof flt, &b, err,
	    sizeof err), -1);
	assert_int_equal(ag_record_decode(big, sizeof big, &b, err,
	    sizeof err), -1);
	/* Delta gossip: 10 % of the distance from the origin, >= 1 ms. */
	sample(&a);
	sample_coord(&a);
	b = a;
	assert_int_equal(ag_record_moved(&a, &b, &why), 0);
	b.coord.error = 1.0;			/* error rising: no */
	assert_int_equal(ag_record_moved(&a, &b, &why), 0);
	b.coord.error = 0.13;			/* falling, not by half */
	assert_int_equal(ag_record_moved(&a, &b, &why), 0);
	b.coord.error = 0.125;			/* halved: converging */
	assert_int_equal(ag_record_moved(&a, &b, &why), 2);
	assert_string_equal(why, "coordinate");
	a.coord.error = 0.2;			/* converged: halving is noise */
	b.coord.error = 0.05;
	assert_int_equal(ag_record_moved(&a, &b, &why), 0);
	a.coord.error = 0.25;
	b.coord.error = a.coord.error;
	b.coord.vec[2] += 900e-6;
	assert_int_equal(ag_record_moved(&a, &b, &why), 0);
	b.coord.height += 200e-6;
	assert_int_equal(ag_record_moved(&a, &b, &why), 2);
	assert_string_equal(why, "coordinate");
	b = a;
	b.has_coord = 0;
	assert_int_equal(ag_record_moved(&a, &b, &why), 2);
	/* The first coordinate learned from samples is a change. */
	b = a;
	a.coord.error = NET_VIV_ERROR_MAX;
	b.coord.error = 1.4;
	assert_int_equal(ag_record_moved(&a, &b, &why), 1);
	assert_string_equal(why, AG_RECORD_FIRST_COORD);
	a.coord.error = 0.25;
	for (i = 0; i < NET_VIV_DIMS; i++)
		a.coord.vec[i] = 10e-3;		/* WAN: ~28 ms from origin */
	b = a;
	b.coord.vec[0] += 2e-3;			/* under 10 % */
	assert_int_equal(ag_record_moved(&a, &b, &why), 0);
	b.coord.vec[0] += 1e-3;
	assert_int_equal(ag_record_moved(&a, &b, &why), 2);
}

/* The most links a record carries fit, or the last ones are shed. */
static void
test_fit(void **state)
{
	static struct ag_record	a, b;
	static uint8_t		buf[AG_RECORD_MAX_BYTES];
	size_t			len;
	char			err[256];
	int			i, shed;

	(void)state;
	sample(&a);
	sample_coord(&a);
	a.nlinks = AG_RECORD_MAX_LINKS;
	for (i = 0; i < a.nlinks; i++) {
		(void)snprintf(a.links[i].peer, sizeof a.links[i].peer,
		    "abcdefghijklmnopqrst%c%cxyza", 'a' + i / 26,
		    'a' + i % 26);
		a.links[i].rtt_s = 1e-4 * (i + 1);
		a.links[i].bandwidth = 1.1e9;
		(void)snprintf(a.links[i].addr, sizeof a.links[i].addr,
		    "192.168.%d.%d:47470", i / 200, i % 200 + 1);
	}
	assert_int_equal(ag_record_fit(&a, AG_RECORD_MAX_BYTES), 0);
	assert_int_equal(a.nlinks, AG_RECORD_MAX_LINKS);
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	printf("# a record with %d IPv4 links: %zu bytes\n", a.nlinks, len);
	if (ag_record_decode(buf, len, &b, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(b.nlinks, AG_RECORD_MAX_LINKS);
	/* Every string at its longest, every count at its bound. */
	for (i = 0; i < a.nlinks; i++)
		memset(a.links[i].addr, '9', sizeof a.links[i].addr - 1);
	a.ndevices = AG_RECORD_MAX_DEVICES;
	for (i = 0; i < a.ndevices; i++) {
		a.devices[i] = a.devices[0];
		memset(a.devices[i].id, 'd', sizeof a.devices[i].id - 1);
		a.devices[i].id[0] = (char)('a' + i);
		memset(a.devices[i].name, 'n', sizeof a.devices[i].name - 1);
	}
	a.nworkers = AG_RECORD_MAX_WORKERS;
	for (i = 0; i < a.nworkers; i++) {
		memset(a.workers[i].reason, 'x', AG_RECORD_REASON_MAX - 1);
		a.workers[i].placement = a.workers[i].epoch = UINT64_MAX;
		a.workers[i].restarts = UINT32_MAX;
	}
	memset(a.name, 'r', sizeof a.name - 1);
	/* The largest record there can be still fits the limit... */
	assert_int_equal(ag_record_encode(&a, buf, sizeof buf, &len), 0);
	printf("# the largest record: %zu bytes of %d\n", len,
	    AG_RECORD_MAX_BYTES);
	assert_int_equal(ag_record_fit(&a, AG_RECORD_MAX_BYTES), 0);
	/* ...and under a smaller one the last links are shed. */
	shed = ag_record_fit(&a, 16384);
	assert_true(shed > 0);
	assert_int_equal(a.nlinks, AG_RECORD_MAX_LINKS - shed);
	assert_int_equal(ag_record_encode(&a, buf, 16384, &len), 0);
	a.nlinks++;
	assert_int_equal(ag_record_encode(&a, buf, 16384, &len), -1);
	a.nlinks--;
	assert_int_equal(ag_record_fit(&a, 1000), -1);
	assert_int_equal(a.nlinks, 0);
}

/*
 * Which links a record carries: 200 peers for 128 slots.  Peer i has RTT
 * (i + 1) * 10 us, peers 190..194 share a placement, 195..199 have no
 * RTT.  Kept: the 5 partners and the 123 nearest (0..122), sorted by id.
 * Peer 130 (1.31 ms), published last time, counts as 1.048 ms and stays
 * in ahead of peer 122 (1.23 ms); peer 140 (1.41 ms -> 1.128 ms) too,
 * ahead of 121 (1.22 ms).
 */
static void
test_pick_links(void **state)
{
	static char		ids[200][SEC_NODE_ID_SIZE];
	struct ag_record_cand	c[200];
	int			i, keep, seen[200];

	(void)state;
	for (i = 0; i < 200; i++) {
		(void)snprintf(ids[i], sizeof ids[i],
		    "abcdefghijklmnopqrst%c%cxyza", 'z' - i / 26,
		    'a' + i % 26);
		memset(&c[i], 0, sizeof c[i]);
		c[i].peer = ids[i];
		c[i].index = i;
		c[i].rtt_s = i >= 195 ? NAN : (i + 1) * 10e-6;
		c[i].partner = i >= 190 && i < 195;
	}
	keep = ag_record_pick_links(c, 200, 128);
	assert_int_equal(keep, 128);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < keep; i++) {
		seen[c[i].index] = 1;
		if (i > 0)
			assert_true(strcmp(c[i - 1].peer, c[i].peer) < 0);
	}
	for (i = 0; i < 200; i++)
		assert_int_equal(seen[i], i < 123 || (i >= 190 && i < 195));
	/* Hysteresis: reported last time, a little farther, still kept. */
	for (i = 0; i < 200; i++) {
		c[i].peer = ids[i];
		c[i].index = i;
		c[i].rtt_s = i >= 195 ? NAN : (i + 1) * 10e-6;
		c[i].partner = i >= 190 && i < 195;
		c[i].published = i == 130 || i == 140;
	}
	keep = ag_record_pick_links(c, 200, 128);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < keep; i++)
		seen[c[i].index] = 1;
	assert_true(seen[130] && seen[140]);
	assert_false(seen[121] || seen[122]);
	assert_true(seen[120]);
	/* Fewer than the slots: all of them, sorted by id. */
	keep = ag_record_pick_links(c, 3, 128);
	assert_int_equal(keep, 3);
	assert_true(strcmp(c[0].peer, c[1].peer) < 0 &&
	    strcmp(c[1].peer, c[2].peer) < 0);
	assert_int_equal(ag_record_pick_links(c, 0, 128), 0);
}

/* Delta gossip: what moves a record, what does not (ag_record_moved). */
static void
test_moved(void **state)
{
	static struct ag_record	a, b;
	const char		*why;

	(void)state;
	sample(&a);
	assert_int_equal(ag_record_moved(NULL, &a, &why), 1);
	b = a;
	assert_int_equal(ag_record_moved(&a, &b, &why), 0);
	assert_null(why);
	/* free memory: 1 % of 25.2 GB = 252 MB (over 64 MiB) */
	b.devices[0].memory_free_bytes = a.devices[0].memory_free_bytes - 2e8;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.devices[0].memory_free_bytes = a.devices[0].memory_free_bytes - 3e8;
	assert_int_equal(ag_record_moved(&a, &b, &why), 2);	/* drift */
	assert_string_equal(why, "free memory");
	b = a;
	b.devices[1].memory_free_bytes = 1e9;	/* became known */
	assert_int_equal(ag_record_moved(&a, &b, NULL), 2);
	/* temperature: 2 C */
	b = a;
	b.devices[1].temperature_celsius = 63.0;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.devices[1].temperature_celsius = 59.4;
	assert_int_equal(ag_record_moved(&a, &b, &why), 2);
	assert_string_equal(why, "temperature");
	b = a;
	b.devices[1].throttle_predicted = 1;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 1);
	/* RTT: 10 % and at least 1 ms */
	b = a;
	b.links[0].rtt_s = 0.0009;	/* 3.6x, but 0.65 ms */
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.links[0].rtt_s = 0.0013;
	assert_int_equal(ag_record_moved(&a, &b, &why), 2);
	assert_string_equal(why, "link rtt");
	a.links[0].rtt_s = 0.050;
	b.links[0].rtt_s = 0.054;	/* 8 % */
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.links[0].rtt_s = 0.056;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 2);
	/* a change behind drift still counts as a change */
	b.devices[1].throttle_predicted = 1;
	assert_int_equal(ag_record_moved(&a, &b, &why), 1);
	assert_string_equal(why, "throttle prediction");
	/* bandwidth: 10 %, and known-ness */
	b = a;
	b.links[0].bandwidth = 1e9;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 2);
	a.links[0].bandwidth = 1e9;
	b.links[0].bandwidth = 1.05e9;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.links[0].bandwidth = 0.85e9;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 2);
	/* links, devices, power: any change */
	b = a;
	b.nlinks = 0;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 1);
	b = a;
	(void)snprintf(b.links[0].addr, sizeof b.links[0].addr, "10.0.0.3:1");
	assert_int_equal(ag_record_moved(&a, &b, NULL), 1);
	b = a;
	b.devices[1].flops = 1e12;	/* measured in the background */
	assert_int_equal(ag_record_moved(&a, &b, &why), 1);
	assert_string_equal(why, "device");
	b = a;
	b.battery_ratio = 0.51;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.battery_ratio = 0.6;
	assert_int_equal(ag_record_moved(&a, &b, &why), 2);
	assert_string_equal(why, "battery");
	b.on_ac = 1;
	assert_int_equal(ag_record_moved(&a, &b, &why), 1);
	assert_string_equal(why, "power");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_moved),
		cmocka_unit_test(test_coord),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_pick_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
