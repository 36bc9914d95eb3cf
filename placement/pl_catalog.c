/*
 * pl_catalog.c - the built-in model catalog and the derivation of the cost
 * model's figures from a published architecture.
 *
 * Only architectures are tabulated (numbers from each model's config.json);
 * everything the solver uses is computed by pl_arch_derive so that a wrong
 * figure is a wrong formula that tests and docs/placement.md can catch.
 *
 * Conventions (documented in docs/placement.md):
 *   params/layer = q (h*H*d) + k, v (h*Hkv*d each) + o (H*d*h)
 *                  + q/k/v biases when present + gate/up/down (3*h*ffn)
 *                  + two RMSNorm vectors (2*h)
 *   bytes/weight: fp16 2, q8_0 34/32, q4_0 18/32 (GGML blocks of 32), every
 *   tensor of the layer at that rate; rounded up to whole bytes.
 *   KV = 2 (K and V) * Hkv * d * 2 bytes (fp16 cache whatever the weights).
 *   A = h * 2 (one fp16 hidden state per token crosses a stage boundary).
 *   P = 2 * params/layer (one multiply-add per weight per token); attention
 *   over the context is ignored: batch-1 decode is memory-bound.
 *   E_in = vocab * h weights; E_out = vocab * h (+ final norm h), both at
 *   the dtype's rate; P_out = 2 * vocab * h; V = vocab.  Tied embeddings
 *   would put the shared matrix on both ends (each end holds its own
 *   copy), so the formula is the same.
 */
#include "pl_model.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct pl_arch catalog[] = {
	/* meta-llama/Meta-Llama-3-8B */
	{ "llama-3-8b", 32, 4096, 14336, 32, 8, 128, 128256, 0, 0 },
	/* meta-llama/Meta-Llama-3-70B */
	{ "llama-3-70b", 80, 8192, 28672, 64, 8, 128, 128256, 0, 0 },
	/* meta-llama/Llama-3.1-405B */
	{ "llama-3.1-405b", 126, 16384, 53248, 128, 8, 128, 128256, 0, 0 },
	/* mistralai/Mistral-7B-v0.1 */
	{ "mistral-7b", 32, 4096, 14336, 32, 8, 128, 32000, 0, 0 },
	/* Qwen/Qwen2.5-72B */
	{ "qwen2.5-72b", 80, 8192, 29568, 64, 8, 128, 152064, 0, 1 },
};
#define NARCH	(sizeof catalog / sizeof catalog[0])

static const enum pl_dtype catalog_dtypes[] = {
	PL_DT_FP16, PL_DT_Q8_0, PL_DT_Q4_0
};
#define NDTYPE	(sizeof catalog_dtypes / sizeof catalog_dtypes[0])

/* Bytes for n weights at dtype, rounded up; 0 on an unsupported dtype. */
static uint64_t
weight_bytes(uint64_t n, enum pl_dtype dt)
{
	switch (dt) {
	case PL_DT_FP16:
		return n * 2;
	case PL_DT_Q8_0:
		return (n * 34 + 31) / 32;
	case PL_DT_Q4_0:
		return (n * 18 + 31) / 32;
	default:
		return 0;
	}
}

uint64_t
pl_arch_layer_params(const struct pl_arch *a)
{
	uint64_t	q, kv, o, bias, mlp, norms;

	q = a->hidden * a->heads * a->head_dim;
	kv = 2 * a->hidden * a->kv_heads * a->head_dim;
	o = a->heads * a->head_dim * a->hidden;
	bias = a->qkv_bias ?
	    a->heads * a->head_dim + 2 * a->kv_heads * a->head_dim : 0;
	mlp = 3 * a->hidden * a->ffn;
	norms = 2 * a->hidden;
	return q + kv + o + bias + mlp + norms;
}

int
pl_arch_derive(const struct pl_arch *a, enum pl_dtype dt, struct pl_model *m)
{
	uint64_t	params, emb;

	params = pl_arch_layer_params(a);
	if (weight_bytes(params, dt) == 0)
		return -1;
	memset(m, 0, sizeof *m);
	(void)snprintf(m->name, sizeof m->name, "%s:%s", a->name,
	    pl_dtype_name(dt));
	m->layers = a->layers;
	m->layer_bytes = weight_bytes(params, dt);
	m->kv_bytes_per_token_per_layer = 2 * a->kv_heads * a->head_dim * 2;
	m->activation_bytes = a->hidden * 2;
	m->flops_per_token_per_layer = 2.0 * (double)params;
	emb = a->vocab * a->hidden;
	m->embed_bytes = weight_bytes(emb, dt);
	m->head_bytes = weight_bytes(emb + a->hidden, dt);
	m->head_flops_per_token = 2.0 * (double)emb;
	m->vocab = a->vocab;
	m->dtype = dt;
	return 0;
}

size_t
pl_catalog_count(void)
{
	return NARCH * NDTYPE;
}

size_t
pl_catalog_arch_count(void)
{
	return NARCH;
}

const struct pl_arch *
pl_catalog_arch(size_t i)
{
	return i < NARCH ? &catalog[i] : NULL;
}

int
pl_catalog_get(size_t i, struct pl_model *m)
{
	if (i >= NARCH * NDTYPE)
		return -1;
	return pl_arch_derive(&catalog[i / NDTYPE], catalog_dtypes[i % NDTYPE],
	    m);
}

int
pl_catalog_find(const char *name, struct pl_model *m)
{
	char	want[PL_NAME_MAX + 8];
	size_t	i, n;

	n = strlen(name);
	if (n == 0 || n >= PL_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++)
		want[i] = (char)tolower((unsigned char)name[i]);
	want[n] = '\0';
	if (strchr(want, ':') == NULL)
		(void)strcat(want, ":fp16");
	for (i = 0; i < pl_catalog_count(); i++) {
		if (pl_catalog_get(i, m) != 0)
			return -1;
		if (strcmp(m->name, want) == 0)
			return 0;
	}
	return -1;
}

int
pl_model_layer_footprint(const struct pl_model *m, uint64_t ctx, uint64_t *out)
{
	uint64_t	kv;

	if (ctx != 0 && m->kv_bytes_per_token_per_layer > UINT64_MAX / ctx)
		return -1;
	kv = m->kv_bytes_per_token_per_layer * ctx;
	if (m->layer_bytes > UINT64_MAX - kv)
		return -1;
	*out = m->layer_bytes + kv;
	return 0;
}
