/*
 * fuzz_announce.c - libFuzzer harness for the CLUSTER message's payload
 * (agent/ag_announce.c): any bytes; what decodes must re-encode, and
 * decoding that again must give the same announcement.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_announce.h"
#include "sec_cbor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_announce	a, b;
	struct sec_cbor_writer	w;
	char			err[256];

	if (ag_announce_decode(data, size, &a, err, sizeof err) != 0)
		return 0;
	sec_cbor_writer_dynamic(&w, AG_ANNOUNCE_MAX);
	if (ag_announce_encode(&a, &w) != 0 ||
	    ag_announce_decode(sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), &b, err, sizeof err) != 0 ||
	    memcmp(&a, &b, sizeof a) != 0)
		abort();
	sec_cbor_writer_release(&w);
	return 0;
}
