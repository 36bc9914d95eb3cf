/*
 * fuzz_place.c - libFuzzer harness for the placement list decoder
 * (agent/ag_place.c): the leader's gossiped record carries it, so every
 * peer decodes bytes another node chose.
 *
 * Oracle: what decodes re-encodes, the encoding decodes to the very same
 * list (memcmp: the decoder zeroes every struct first, so padding and
 * string tails compare too), and encoding that again gives the same
 * bytes.  The decoder promises to take only what ag_place_encode could
 * have written, so a round trip that loses or changes anything is a bug
 * here, not a quirk.  Not byte for byte with the input: a measurement
 * may come as an integer (sec_cbor_read_measure), the encoder writes a
 * float, so the first encoding can grow (3 bytes for 1: hence the room).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_place.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_places	a, b;
	static uint8_t		buf[3 * AG_PLACE_BYTES];
	static uint8_t		buf2[3 * AG_PLACE_BYTES];
	size_t			len, len2;
	char			err[256];

	if (ag_place_decode(data, size, &a, err, sizeof err) != 0)
		return 0;
	if (ag_place_encode(&a, buf, sizeof buf, &len) != 0)
		abort();
	if (len > AG_PLACE_BYTES)
		return 0;	/* integers grown into floats: over the bound */
	if (ag_place_decode(buf, len, &b, err, sizeof err) != 0 ||
	    memcmp(&a, &b, sizeof a) != 0 ||
	    ag_place_encode(&b, buf2, sizeof buf2, &len2) != 0 ||
	    len2 != len || memcmp(buf, buf2, len) != 0)
		abort();
	return 0;
}
