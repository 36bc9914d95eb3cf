/*
 * pl_model.h - what the placement cost model needs to know about a model,
 * and the built-in catalog.
 *
 * A model is reduced to the figures of the cost model (docs/placement.md,
 * v2: per layer weight bytes, KV bytes per token, activation bytes, FLOPs,
 * the embedding and head sizes, the head's FLOPs and the vocabulary) plus
 * its dtype.  The two v2 figures are optional (0: unknown) so that v1
 * model files still load.  The catalog does not store
 * those figures: it stores each model's published architecture and derives
 * them (pl_arch_derive), so the numbers can be checked against the configs
 * and the derivation is written down once, in code and in docs/placement.md.
 */
#ifndef PL_MODEL_H
#define PL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "pl_dtype.h"

#define PL_NAME_MAX	64		/* names, ids, incl. NUL */
#define PL_MAX_LAYERS	65536u

struct pl_model {
	char		name[PL_NAME_MAX];
	uint32_t	layers;			/* L */
	uint64_t	layer_bytes;		/* W */
	uint64_t	kv_bytes_per_token_per_layer;	/* KV */
	uint64_t	activation_bytes;	/* A */
	double		flops_per_token_per_layer;	/* P */
	uint64_t	embed_bytes;		/* E_in */
	uint64_t	head_bytes;		/* E_out */
	enum pl_dtype	dtype;
	/* v2, optional (0 = unknown, see docs/placement.md). */
	double		head_flops_per_token;	/* P_out */
	uint64_t	vocab;			/* V: logits per token */
};

/* A published transformer configuration (HuggingFace config.json terms). */
struct pl_arch {
	const char	*name;		/* "llama-3-70b" */
	uint32_t	layers;		/* num_hidden_layers */
	uint64_t	hidden;		/* hidden_size */
	uint64_t	ffn;		/* intermediate_size */
	uint64_t	heads;		/* num_attention_heads */
	uint64_t	kv_heads;	/* num_key_value_heads */
	uint64_t	head_dim;
	uint64_t	vocab;		/* vocab_size */
	int		tied;		/* tie_word_embeddings */
	int		qkv_bias;	/* attention q/k/v projections have biases */
};

/* Weight parameters in one decoder layer of arch. */
uint64_t	pl_arch_layer_params(const struct pl_arch *);
/*
 * Fills m from arch at dtype (fp16, q8_0 or q4_0; others give -1).
 * The name becomes "<arch>:<dtype>".
 */
int		pl_arch_derive(const struct pl_arch *, enum pl_dtype,
		    struct pl_model *);

/* The catalog: architectures, and the dtypes each is offered in. */
size_t		pl_catalog_count(void);	/* number of models (arch x dtype) */
/* The i-th catalog model, derived; -1 when i is out of range. */
int		pl_catalog_get(size_t, struct pl_model *);
const struct pl_arch *pl_catalog_arch(size_t);	/* i-th architecture */
size_t		pl_catalog_arch_count(void);
/*
 * Case-insensitive lookup of "<arch>[:<dtype>]" (dtype defaults to fp16).
 * Returns 0 and fills m, or -1.
 */
int		pl_catalog_find(const char *, struct pl_model *);

/*
 * Bytes needed by one layer at context C: W + KV*C.  Returns -1 on
 * overflow of uint64.
 */
int		pl_model_layer_footprint(const struct pl_model *, uint64_t ctx,
		    uint64_t *);

#endif /* PL_MODEL_H */
