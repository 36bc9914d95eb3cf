/*
 * fuzz_gguf.c - libFuzzer harness for the GGUF header reader.
 *
 * Any bytes must parse into a model or be rejected with a message, never
 * crash, leak or take long: the reader is bounded by the header limit,
 * the tensor and key counts and the input size.  The input is read both
 * as a whole file and as the start of a file twice as long (so size
 * checks against the file and truncation take different paths).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pl_gguf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_model		m;
	struct pl_gguf_info	info;
	char			err[256];

	if (pl_gguf_parse(data, size, size, "fuzz", &m, &info, err,
	    sizeof err) == 0 && (m.layers == 0 || m.layer_bytes == 0))
		__builtin_trap();
	(void)pl_gguf_parse(data, size, (uint64_t)size * 2, "fuzz", &m, &info,
	    err, sizeof err);
	return 0;
}
