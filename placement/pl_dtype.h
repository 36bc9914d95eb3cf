/*
 * pl_dtype.h - the data types a model's weights can come in.
 *
 * A device advertises the dtypes its backend can run; a model is stored in
 * exactly one.  The vocabulary is closed so that a typo in a cluster file
 * is an error rather than a device that silently never matches.  Matching
 * is exact: a device listing "fp16" does not run "bf16".
 */
#ifndef PL_DTYPE_H
#define PL_DTYPE_H

enum pl_dtype {
	PL_DT_FP32,
	PL_DT_FP16,
	PL_DT_BF16,
	PL_DT_Q8_0,
	PL_DT_Q4_0,
	PL_DT_INT8,
	PL_DT_GGML_QUANT,	/* any other GGML block quantization (q4_K...) */
	PL_DT_COUNT
};

/* A set of dtypes as a bit mask, bit i for enum value i. */
#define PL_DT_BIT(d)	(1u << (unsigned)(d))

/* The canonical lower-case name ("q4_0"); NULL when out of range. */
const char	*pl_dtype_name(enum pl_dtype);
/* Exact, case-sensitive match against the vocabulary; -1 when unknown. */
int		 pl_dtype_parse(const char *, enum pl_dtype *);

#endif /* PL_DTYPE_H */
