/*
 * fuzz_plan_model.c - libFuzzer harness for the model JSON reader.
 *
 * Any bytes must parse or be rejected with a message; a model that parses
 * has its layer footprint computed at a large context to exercise the
 * overflow checks.
 */
#include <stddef.h>
#include <stdint.h>

#include "ag_planio.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_model	m;
	uint64_t	fp;
	char		err[512];

	if (ag_planio_parse_model((const char *)data, size, "fuzz", &m, err,
	    sizeof err) != 0)
		return 0;
	(void)pl_model_layer_footprint(&m, 1u << 24, &fp);
	return 0;
}
