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
	assert_int_equal(ag_record_moved(&a, &b, &why), 1);
	assert_string_equal(why, "free memory");
	b = a;
	b.devices[1].memory_free_bytes = 1e9;	/* became known */
	assert_int_equal(ag_record_moved(&a, &b, NULL), 1);
	/* temperature: 2 C */
	b = a;
	b.devices[1].temperature_celsius = 63.0;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.devices[1].temperature_celsius = 59.4;
	assert_int_equal(ag_record_moved(&a, &b, &why), 1);
	assert_string_equal(why, "temperature");
	b = a;
	b.devices[1].throttle_predicted = 1;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 1);
	/* RTT: 10 % and at least 1 ms */
	b = a;
	b.links[0].rtt_s = 0.0009;	/* 3.6x, but 0.65 ms */
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.links[0].rtt_s = 0.0013;
	assert_int_equal(ag_record_moved(&a, &b, &why), 1);
	assert_string_equal(why, "link rtt");
	a.links[0].rtt_s = 0.050;
	b.links[0].rtt_s = 0.054;	/* 8 % */
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.links[0].rtt_s = 0.056;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 1);
	/* bandwidth: 10 %, and known-ness */
	b = a;
	b.links[0].bandwidth = 1e9;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 1);
	a.links[0].bandwidth = 1e9;
	b.links[0].bandwidth = 1.05e9;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 0);
	b.links[0].bandwidth = 0.85e9;
	assert_int_equal(ag_record_moved(&a, &b, NULL), 1);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
