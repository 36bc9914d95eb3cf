/*
 * fuzz_record.c - libFuzzer harness for the gossiped node record decoder
 * (agent/ag_record.c): peers' bytes decode to a record that re-encodes
 * and decodes to the same record (network coordinate included: its
 * quantised terms survive the round trip exactly), or fail cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_record.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_record	a, b;
	static uint8_t		buf[AG_RECORD_MAX_BYTES * 2];
	size_t			len;
	char			err[256];

	if (ag_record_decode(data, size, &a, err, sizeof err) != 0)
		return 0;
	if (ag_record_encode(&a, buf, sizeof buf, &len) != 0 ||
	    ag_record_decode(buf, len, &b, err, sizeof err) != 0 ||
	    a.ndevices != b.ndevices || a.nlinks != b.nlinks ||
	    a.nworkers != b.nworkers || memcmp(a.workers, b.workers,
	    (size_t)a.nworkers * sizeof a.workers[0]) != 0 ||
	    strcmp(a.name, b.name) != 0 || a.has_coord != b.has_coord ||
	    (a.has_coord && memcmp(&a.coord, &b.coord, sizeof a.coord) != 0))
		abort();
	return 0;
}
