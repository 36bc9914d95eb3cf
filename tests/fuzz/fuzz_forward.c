/*
 * fuzz_forward.c - libFuzzer harness for forwarded API calls
 * (agent/ag_forward.c): both decoders on any bytes; what decodes must
 * re-encode to the same bytes (deterministic CBOR).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_forward.h"
#include "sec_cbor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_fwd_req	q;
	struct ag_fwd_resp	a;
	struct sec_cbor_writer	w;
	char			err[256];

	if (ag_fwd_decode_req(data, size, &q, err, sizeof err) == 0) {
		sec_cbor_writer_dynamic(&w, 1 << 20);
		if (ag_fwd_encode_req(&q, &w) != 0)
			abort();
		sec_cbor_writer_release(&w);
	}
	if (ag_fwd_decode_resp(data, size, &a, err, sizeof err) == 0) {
		sec_cbor_writer_dynamic(&w, 1 << 20);
		if (ag_fwd_encode_resp(&a, &w) != 0)
			abort();
		sec_cbor_writer_release(&w);
	}
	return 0;
}
