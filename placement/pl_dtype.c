/*
 * pl_dtype.c - names of the dtype vocabulary (see pl_dtype.h).
 */
#include "pl_dtype.h"

#include <stddef.h>
#include <string.h>

static const char *const dtype_names[PL_DT_COUNT] = {
	[PL_DT_FP32] = "fp32",
	[PL_DT_FP16] = "fp16",
	[PL_DT_BF16] = "bf16",
	[PL_DT_Q8_0] = "q8_0",
	[PL_DT_Q4_0] = "q4_0",
	[PL_DT_INT8] = "int8",
	[PL_DT_GGML_QUANT] = "ggml_quant",
};

const char *
pl_dtype_name(enum pl_dtype d)
{
	if ((unsigned)d >= PL_DT_COUNT)
		return NULL;
	return dtype_names[d];
}

int
pl_dtype_parse(const char *s, enum pl_dtype *out)
{
	int	i;

	for (i = 0; i < PL_DT_COUNT; i++) {
		if (strcmp(s, dtype_names[i]) == 0) {
			*out = (enum pl_dtype)i;
			return 0;
		}
	}
	return -1;
}
