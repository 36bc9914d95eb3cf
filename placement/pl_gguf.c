/*
 * pl_gguf.c - the bounded GGUF header reader (see pl_gguf.h).
 *
 * One pass, front to back, through a 4 KiB window refilled by the
 * caller's read function: the magic and counts, the key/value metadata
 * (only a few keys are kept; everything else is skipped by length), then
 * the tensor records, each priced from its shape and GGML type and added
 * to its layer ("blk.N."), the input embedding, the head or "other".
 * Nothing is stored per tensor; the only allocation is two counters per
 * layer.  The layout facts (GGUF v2/v3, the GGML type table) are from
 * llama.cpp's gguf and ggml sources; docs/placement.md has the rules.
 */
#include "pl_gguf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN		4096
#define KEY_MAX		256	/* longest key we compare (longer: skipped) */
#define NAME_MAX_T	64	/* GGML's tensor name limit */
#define NUMS_MAX	64	/* remembered "<arch>.<field>" numbers */

enum gt {
	GT_U8, GT_I8, GT_U16, GT_I16, GT_U32, GT_I32, GT_F32, GT_BOOL,
	GT_STRING, GT_ARRAY, GT_U64, GT_I64, GT_F64, GT_COUNT
};

static const uint8_t gt_size[GT_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8,
    8 };

struct ggml_t {
	const char	*name;
	uint32_t	 blck, size;
};

static const struct ggml_t ggml_types[] = {
	[0] = { "f32", 1, 4 },		[1] = { "f16", 1, 2 },
	[2] = { "q4_0", 32, 18 },	[3] = { "q4_1", 32, 20 },
	[6] = { "q5_0", 32, 22 },	[7] = { "q5_1", 32, 24 },
	[8] = { "q8_0", 32, 34 },	[9] = { "q8_1", 32, 36 },
	[10] = { "q2_K", 256, 84 },	[11] = { "q3_K", 256, 110 },
	[12] = { "q4_K", 256, 144 },	[13] = { "q5_K", 256, 176 },
	[14] = { "q6_K", 256, 210 },	[15] = { "q8_K", 256, 292 },
	[16] = { "iq2_xxs", 256, 66 },	[17] = { "iq2_xs", 256, 74 },
	[18] = { "iq3_xxs", 256, 98 },	[19] = { "iq1_s", 256, 50 },
	[20] = { "iq4_nl", 32, 18 },	[21] = { "iq3_s", 256, 110 },
	[22] = { "iq2_s", 256, 82 },	[23] = { "iq4_xs", 256, 136 },
	[24] = { "i8", 1, 1 },		[25] = { "i16", 1, 2 },
	[26] = { "i32", 1, 4 },		[27] = { "i64", 1, 8 },
	[28] = { "f64", 1, 8 },		[29] = { "iq1_m", 256, 56 },
	[30] = { "bf16", 1, 2 },	[34] = { "tq1_0", 256, 54 },
	[35] = { "tq2_0", 256, 66 },	[39] = { "mxfp4", 32, 17 },
	[40] = { "nvfp4", 64, 36 },	[41] = { "q1_0", 128, 18 },
	[42] = { "q2_0", 64, 18 },
};
#define NTYPES	(sizeof ggml_types / sizeof ggml_types[0])

/*
 * Dense decoder-only transformers whose GGUF tensors follow llama.cpp's
 * common naming (blk.N.*, token_embd, output_norm, output).
 */
static const char *const known_arch[] = {
	"llama", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi3",
	"granite", "olmo2", "starcoder2", "internlm2", "stablelm",
};

struct num {
	char		prefix[32];	/* "llama" of "llama.block_count" */
	char		field[40];	/* "block_count" */
	uint64_t	v;
};

struct cur {
	pl_gguf_read_fn	 rd;
	void		*ctx;
	uint64_t	 size, limit, off;
	uint8_t		 win[WIN];
	uint64_t	 woff;
	size_t		 wlen;
	const char	*name;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

struct acc {
	char		 arch[32], mname[PL_NAME_MAX];
	uint64_t	 alignment;
	struct num	 nums[NUMS_MAX];
	size_t		 nnums;
	uint32_t	 L;
	uint64_t	*lbytes, *lparams;
	uint64_t	 embed, embed_rows, head, head_params, norm, other;
	uint64_t	 type_bytes[NTYPES];
	uint64_t	 data_end, total;
	int		 has_embed, has_head;
};

static int
fail(struct cur *c, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));

static int
fail(struct cur *c, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (c->failed)
		return -1;
	c->failed = 1;
	n = snprintf(c->err, c->errlen, "%s: ", c->name);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* n (<= WIN) bytes at the cursor, or NULL after an error. */
static const uint8_t *
take(struct cur *c, size_t n, const char *what)
{
	const uint8_t	*p;
	long		 got;

	if (c->failed)
		return NULL;
	if (c->off > c->limit || n > c->limit - c->off) {
		if (c->limit < c->size)
			(void)fail(c, "header larger than %llu bytes (at %s)",
			    (unsigned long long)PL_GGUF_MAX_HEADER, what);
		else
			(void)fail(c, "truncated at byte %llu reading %s",
			    (unsigned long long)c->off, what);
		return NULL;
	}
	if (c->off < c->woff || c->off + n > c->woff + c->wlen) {
		c->woff = c->off;
		c->wlen = 0;
		got = c->rd(c->ctx, c->off, c->win, c->size - c->off < WIN ?
		    (size_t)(c->size - c->off) : WIN);
		if (got < 0) {
			(void)fail(c, "read error at byte %llu",
			    (unsigned long long)c->off);
			return NULL;
		}
		c->wlen = (size_t)got;
		if (c->wlen < n) {
			(void)fail(c, "truncated at byte %llu reading %s",
			    (unsigned long long)c->off, what);
			return NULL;
		}
	}
	p = c->win + (c->off - c->woff);
	c->off += n;
	return p;
}

static int
skip(struct cur *c, uint64_t n, const char *what)
{
	if (c->failed)
		return -1;
	if (n > c->limit - c->off) {
		if (c->limit < c->size && n <= c->size - c->off)
			return fail(c, "header larger than %llu bytes (at %s)",
			    (unsigned long long)PL_GGUF_MAX_HEADER, what);
		return fail(c, "truncated at byte %llu: %s claims %llu bytes",
		    (unsigned long long)c->off, what, (unsigned long long)n);
	}
	c->off += n;
	return 0;
}

static uint64_t
le(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static int
u32(struct cur *c, uint32_t *v, const char *what)
{
	const uint8_t	*p = take(c, 4, what);

	if (p == NULL)
		return -1;
	*v = (uint32_t)le(p, 4);
	return 0;
}

static int
u64(struct cur *c, uint64_t *v, const char *what)
{
	const uint8_t	*p = take(c, 8, what);

	if (p == NULL)
		return -1;
	*v = le(p, 8);
	return 0;
}

/*
 * A GGUF string: copied into out (NUL-terminated) when shorter than
 * outlen, else skipped with *len set and out "".  max bounds the length.
 */
static int
str(struct cur *c, char *out, size_t outlen, uint64_t max, uint64_t *len,
    const char *what)
{
	const uint8_t	*p;
	uint64_t	 n;

	if (u64(c, &n, what) != 0)
		return -1;
	if (n > max)
		return fail(c, "%s: length %llu over the limit of %llu", what,
		    (unsigned long long)n, (unsigned long long)max);
	*len = n;
	out[0] = '\0';
	if (n >= outlen)
		return skip(c, n, what);
	if (n > 0) {
		if ((p = take(c, (size_t)n, what)) == NULL)
			return -1;
		memcpy(out, p, (size_t)n);
	}
	out[n] = '\0';
	if (strlen(out) != n)
		return fail(c, "%s: contains a NUL byte", what);
	return 0;
}

/* An array value: skipped, elements checked; nested arrays refused. */
static int
skip_array(struct cur *c, const char *key)
{
	uint32_t	et;
	uint64_t	n, i, len;
	char		dummy[1];

	if (u32(c, &et, "array type") != 0 || u64(c, &n, "array count") != 0)
		return -1;
	if (et == GT_ARRAY)
		return fail(c, "key %s: nested arrays are not accepted", key);
	if (et >= GT_COUNT)
		return fail(c, "key %s: unknown array element type %u", key, et);
	/* Each element takes at least gt_size (a string its length). */
	if (n > (c->limit - c->off) / (et == GT_STRING ? 8 : gt_size[et]))
		return fail(c, "key %s: an array of %llu elements does not fit "
		    "in the %s", key, (unsigned long long)n, c->limit < c->size ?
		    "header limit" : "file");
	if (et != GT_STRING)
		return skip(c, n * gt_size[et], "an array");
	for (i = 0; i < n; i++)
		if (str(c, dummy, sizeof dummy, PL_GGUF_MAX_STRING, &len,
		    "an array string") != 0)
			return -1;
	return 0;
}

/* Remembers "<prefix>.<field>" = v for the fields the model needs. */
static void
remember(struct acc *a, const char *key, uint64_t v)
{
	static const char *const fields[] = {
		"block_count", "embedding_length", "feed_forward_length",
		"attention.head_count", "attention.head_count_kv",
		"attention.key_length", "attention.value_length", "vocab_size",
		"expert_count",
	};
	const char	*dot = strchr(key, '.');
	size_t		 i, pl;

	if (dot == NULL || a->nnums >= NUMS_MAX)
		return;
	pl = (size_t)(dot - key);
	if (pl == 0 || pl >= sizeof a->nums[0].prefix)
		return;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strcmp(dot + 1, fields[i]) != 0)
			continue;
		memcpy(a->nums[a->nnums].prefix, key, pl);
		a->nums[a->nnums].prefix[pl] = '\0';
		(void)snprintf(a->nums[a->nnums].field,
		    sizeof a->nums[0].field, "%s", fields[i]);
		a->nums[a->nnums++].v = v;
		return;
	}
}

static int
lookup(const struct acc *a, const char *field, uint64_t *v)
{
	size_t	i;

	for (i = 0; i < a->nnums; i++) {
		if (strcmp(a->nums[i].prefix, a->arch) == 0 &&
		    strcmp(a->nums[i].field, field) == 0) {
			*v = a->nums[i].v;
			return 0;
		}
	}
	return -1;
}

/* A scalar value; integers are remembered, signed ones when >= 0. */
static int
scalar(struct cur *c, struct acc *a, const char *key, uint32_t t)
{
	const uint8_t	*p = take(c, gt_size[t], key);
	uint64_t	 v;
	int		 neg = 0;

	if (p == NULL)
		return -1;
	v = le(p, gt_size[t]);
	switch (t) {
	case GT_I8: neg = (v >> 7) & 1; break;
	case GT_I16: neg = (v >> 15) & 1; break;
	case GT_I32: neg = (v >> 31) & 1; break;
	case GT_I64: neg = (v >> 63) & 1; break;
	case GT_F32: case GT_F64: case GT_BOOL: return 0;
	default: break;
	}
	if (neg)
		return 0;
	if (strcmp(key, "general.alignment") == 0) {
		if (t != GT_U32 || v == 0 || (v & (v - 1)) != 0 || v > 65536)
			return fail(c, "general.alignment %llu: must be a "
			    "power of two up to 65536", (unsigned long long)v);
		a->alignment = v;
		return 0;
	}
	remember(a, key, v);
	return 0;
}

static int
one_kv(struct cur *c, struct acc *a)
{
	char		key[KEY_MAX], val[PL_NAME_MAX];
	uint64_t	len;
	uint32_t	t;

	if (str(c, key, sizeof key, 65535, &len, "a key") != 0 ||
	    u32(c, &t, "a value type") != 0)
		return -1;
	if (key[0] == '\0')
		(void)snprintf(key, sizeof key, "(%llu-byte key)",
		    (unsigned long long)len);
	if (t == GT_ARRAY)
		return skip_array(c, key);
	if (t >= GT_COUNT)
		return fail(c, "key %s: unknown value type %u", key, t);
	if (t != GT_STRING)
		return scalar(c, a, key, t);
	if (strcmp(key, "general.architecture") == 0) {
		if (str(c, a->arch, sizeof a->arch, PL_GGUF_MAX_STRING, &len,
		    key) != 0)
			return -1;
		if (len >= sizeof a->arch)
			return fail(c, "architecture name of %llu bytes",
			    (unsigned long long)len);
		return 0;
	}
	if (strcmp(key, "general.name") == 0) {
		if (str(c, val, sizeof val, PL_GGUF_MAX_STRING, &len, key) != 0)
			return -1;
		if (val[0] != '\0')
			(void)snprintf(a->mname, sizeof a->mname, "%s", val);
		return 0;
	}
	return str(c, val, 1, PL_GGUF_MAX_STRING, &len, key);
}

/* Index of "blk.N." in name, or -1 when it is not a layer tensor. */
static long
layer_of(const char *name)
{
	const char	*p;
	long		 v = 0;

	if (strncmp(name, "blk.", 4) != 0)
		return -1;
	for (p = name + 4; *p >= '0' && *p <= '9' && p - name < 10; p++)
		v = v * 10 + (*p - '0');
	if (p == name + 4 || *p != '.')
		return -1;
	return v;
}

static int
add(uint64_t *sum, uint64_t v)
{
	if (*sum > UINT64_MAX - v)
		return -1;
	*sum += v;
	return 0;
}

/* Shape and type into elements and bytes; -1 with the reason. */
static int
price(struct cur *c, const char *name, uint32_t type, const uint64_t *ne,
    uint32_t nd, uint64_t *elems, uint64_t *bytes)
{
	const struct ggml_t	*g;
	uint64_t		 n = 1;
	uint32_t		 i;

	if (type >= NTYPES || ggml_types[type].blck == 0)
		return fail(c, "tensor %s: unknown GGML type %u", name, type);
	g = &ggml_types[type];
	for (i = 0; i < nd; i++) {
		if (ne[i] == 0 || ne[i] > (1ull << 62) / n)
			return fail(c, "tensor %s: dimension %u of %llu "
			    "elements makes it impossibly large", name, i,
			    (unsigned long long)ne[i]);
		n *= ne[i];
	}
	if (ne[0] % g->blck != 0)
		return fail(c, "tensor %s: %llu columns are not a multiple of "
		    "the %s block (%u)", name, (unsigned long long)ne[0],
		    g->name, g->blck);
	*elems = n;
	*bytes = n / g->blck * g->size;
	if (*bytes > c->size)
		return fail(c, "tensor %s: %llu bytes, more than the file",
		    name, (unsigned long long)*bytes);
	return 0;
}

static int
classify(struct cur *c, struct acc *a, const char *name, const uint64_t *ne,
    uint32_t type, uint64_t elems, uint64_t bytes)
{
	long	l = layer_of(name);

	if (l >= 0) {
		if ((uint64_t)l >= a->L)
			return fail(c, "tensor %s: layer beyond block_count "
			    "%u", name, a->L);
		a->lbytes[l] += bytes;
		a->lparams[l] += elems;
		if (ne[1] > 1)
			a->type_bytes[type] += bytes;
	} else if (strcmp(name, "token_embd.weight") == 0) {
		a->embed = bytes;
		a->embed_rows = ne[1];
		a->has_embed = 1;
		if (!a->has_head)
			a->head_params = elems;
	} else if (strcmp(name, "output.weight") == 0) {
		a->head = bytes;
		a->head_params = elems;
		a->has_head = 1;
	} else if (strncmp(name, "output", 6) == 0)
		a->norm += bytes;
	else
		a->other += bytes;
	return 0;
}

static int
one_tensor(struct cur *c, struct acc *a, uint64_t idx)
{
	char		name[NAME_MAX_T + 1];
	uint64_t	len, ne[PL_GGUF_MAX_DIMS] = { 1, 1, 1, 1 }, off;
	uint64_t	elems = 0, bytes = 0, end;
	uint32_t	nd, type, i;

	if (str(c, name, sizeof name, NAME_MAX_T, &len, "a tensor name") != 0)
		return -1;
	if (u32(c, &nd, "a tensor's dimension count") != 0)
		return -1;
	if (nd == 0 || nd > PL_GGUF_MAX_DIMS)
		return fail(c, "tensor %llu (%s): %u dimensions",
		    (unsigned long long)idx, name, nd);
	for (i = 0; i < nd; i++)
		if (u64(c, &ne[i], "a tensor dimension") != 0)
			return -1;
	if (u32(c, &type, "a tensor type") != 0 ||
	    u64(c, &off, "a tensor offset") != 0)
		return -1;
	if (price(c, name, type, ne, nd, &elems, &bytes) != 0)
		return -1;
	if (off % a->alignment != 0)
		return fail(c, "tensor %s: offset %llu is not aligned to %llu",
		    name, (unsigned long long)off,
		    (unsigned long long)a->alignment);
	if (off > c->size || bytes > c->size - off)
		return fail(c, "tensor %s: data at %llu+%llu lies past the "
		    "end of the file", name, (unsigned long long)off,
		    (unsigned long long)bytes);
	end = off + bytes;
	if (end > a->data_end)
		a->data_end = end;
	if (add(&a->total, bytes) != 0 || a->total > c->size)
		return fail(c, "tensors claim more bytes than the file holds");
	return classify(c, a, name, ne, type, elems, bytes);
}

static int
known(const char *arch)
{
	size_t	i;

	for (i = 0; i < sizeof known_arch / sizeof known_arch[0]; i++)
		if (strcmp(arch, known_arch[i]) == 0)
			return 1;
	return 0;
}

/* The architecture's shape, checked; allocates the layer counters. */
static int
shape(struct cur *c, struct acc *a)
{
	uint64_t	L, v;

	if (a->arch[0] == '\0')
		return fail(c, "no general.architecture");
	if (!known(a->arch))
		return fail(c, "unknown architecture \"%s\" (known: llama, "
		    "qwen2, qwen3, gemma, gemma2, gemma3, phi3, granite, "
		    "olmo2, starcoder2, internlm2, stablelm)", a->arch);
	if (lookup(a, "expert_count", &v) == 0 && v > 0)
		return fail(c, "%s: mixture-of-experts models (%llu experts) "
		    "are not modelled", a->arch, (unsigned long long)v);
	if (lookup(a, "block_count", &L) != 0 || L == 0 ||
	    L > PL_MAX_LAYERS)
		return fail(c, "%s.block_count missing or not in 1..%u",
		    a->arch, PL_MAX_LAYERS);
	if (lookup(a, "embedding_length", &v) != 0 || v == 0 ||
	    v > (1u << 24))
		return fail(c, "%s.embedding_length missing or out of range",
		    a->arch);
	if (lookup(a, "attention.head_count", &v) != 0 || v == 0 ||
	    v > 65536)
		return fail(c, "%s.attention.head_count missing or out of "
		    "range", a->arch);
	a->L = (uint32_t)L;
	if ((a->lbytes = calloc(L, sizeof *a->lbytes)) == NULL ||
	    (a->lparams = calloc(L, sizeof *a->lparams)) == NULL)
		return fail(c, "out of memory");
	return 0;
}

/* KV bytes per token per layer: K and V rows of every KV head, fp16. */
static uint64_t
kv_bytes(const struct acc *a)
{
	uint64_t	h = 0, H = 1, Hkv, kd, vd;

	(void)lookup(a, "embedding_length", &h);
	(void)lookup(a, "attention.head_count", &H);
	if (lookup(a, "attention.head_count_kv", &Hkv) != 0 || Hkv == 0)
		Hkv = H;
	if (lookup(a, "attention.key_length", &kd) != 0 || kd == 0)
		kd = h / H;
	if (lookup(a, "attention.value_length", &vd) != 0 || vd == 0)
		vd = kd;
	if (Hkv > 65536 || kd > 65536 || vd > 65536)
		return 0;
	return Hkv * (kd + vd) * 2;
}

static enum pl_dtype
dtype_of(const struct acc *a, uint32_t *dominant)
{
	size_t	i, best = 0;

	for (i = 1; i < NTYPES; i++)
		if (a->type_bytes[i] > a->type_bytes[best])
			best = i;
	*dominant = (uint32_t)best;
	switch (best) {
	case 0: return PL_DT_FP32;
	case 1: return PL_DT_FP16;
	case 30: return PL_DT_BF16;
	case 8: return PL_DT_Q8_0;
	case 2: return PL_DT_Q4_0;
	default: return PL_DT_GGML_QUANT;
	}
}

static int
finish(struct cur *c, struct acc *a, struct pl_model *m,
    struct pl_gguf_info *info)
{
	uint64_t	h = 0, maxb = 0, maxp = 0, v;
	uint32_t	i, dom;

	for (i = 0; i < a->L; i++) {
		if (a->lbytes[i] == 0)
			return fail(c, "layer %u has no tensors", i);
		if (a->lbytes[i] > maxb)
			maxb = a->lbytes[i];
		if (a->lparams[i] > maxp)
			maxp = a->lparams[i];
	}
	if (!a->has_embed)
		return fail(c, "no token_embd.weight tensor");
	memset(m, 0, sizeof *m);
	(void)snprintf(m->name, sizeof m->name, "%s", a->mname);
	(void)lookup(a, "embedding_length", &h);
	m->layers = a->L;
	m->layer_bytes = maxb;
	m->kv_bytes_per_token_per_layer = kv_bytes(a);
	m->activation_bytes = 2 * h;
	m->flops_per_token_per_layer = 2.0 * (double)maxp;
	m->embed_bytes = a->embed;
	/* Tied embeddings: the head is a second copy of token_embd. */
	m->head_bytes = (a->has_head ? a->head : a->embed) + a->norm;
	m->head_flops_per_token = 2.0 * (double)a->head_params;
	m->vocab = lookup(a, "vocab_size", &v) == 0 && v > 0 &&
	    v <= UINT32_MAX ? v : a->embed_rows;
	m->dtype = dtype_of(a, &dom);
	if (info != NULL) {
		info->weight_type = dom;
		info->total_bytes = a->total;
	}
	return 0;
}

static int
header(struct cur *c, struct acc *a, struct pl_gguf_info *info)
{
	const uint8_t	*p;
	uint32_t	 ver;
	uint64_t	 nt, nkv, i, pad;

	if ((p = take(c, 4, "the magic")) == NULL)
		return -1;
	if (memcmp(p, "GGUF", 4) != 0)
		return fail(c, "not a GGUF file (bad magic)");
	if (u32(c, &ver, "the version") != 0)
		return -1;
	if (ver != 2 && ver != 3)
		return fail(c, "GGUF version %u (2 and 3 are read)", ver);
	if (u64(c, &nt, "the tensor count") != 0 ||
	    u64(c, &nkv, "the key count") != 0)
		return -1;
	if (nt == 0 || nt > PL_GGUF_MAX_TENSORS)
		return fail(c, "%llu tensors (1..%u accepted)",
		    (unsigned long long)nt, PL_GGUF_MAX_TENSORS);
	if (nkv > PL_GGUF_MAX_KV)
		return fail(c, "%llu keys (at most %u accepted)",
		    (unsigned long long)nkv, PL_GGUF_MAX_KV);
	info->version = ver;
	info->ntensors = nt;
	info->nkv = nkv;
	for (i = 0; i < nkv; i++)
		if (one_kv(c, a) != 0)
			return -1;
	if (shape(c, a) != 0)
		return -1;
	for (i = 0; i < nt; i++)
		if (one_tensor(c, a, i) != 0)
			return -1;
	pad = (a->alignment - c->off % a->alignment) % a->alignment;
	info->data_offset = c->off + pad;
	if (info->data_offset > c->size ||
	    a->data_end > c->size - info->data_offset)
		return fail(c, "tensor data ends at byte %llu, past the end "
		    "of the %llu-byte file", (unsigned long long)
		    (info->data_offset + a->data_end),
		    (unsigned long long)c->size);
	(void)snprintf(info->arch, sizeof info->arch, "%s", a->arch);
	return 0;
}

int
pl_gguf_read(pl_gguf_read_fn rd, void *ctx, uint64_t size, const char *name,
    struct pl_model *m, struct pl_gguf_info *info, char *err, size_t errlen)
{
	struct pl_gguf_info	 tmp;
	struct cur		*c;
	struct acc		*a;
	int			 rc = -1;

	if (info == NULL)
		info = &tmp;
	memset(info, 0, sizeof *info);
	c = calloc(1, sizeof *c);
	a = calloc(1, sizeof *a);
	if (c == NULL || a == NULL) {
		free(c);
		free(a);
		(void)snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	c->rd = rd;
	c->ctx = ctx;
	c->size = size;
	c->limit = size < PL_GGUF_MAX_HEADER ? size : PL_GGUF_MAX_HEADER;
	c->name = name;
	c->err = err;
	c->errlen = errlen;
	a->alignment = 32;
	(void)snprintf(a->mname, sizeof a->mname, "%s", name);
	if (header(c, a, info) == 0 && finish(c, a, m, info) == 0)
		rc = 0;
	free(a->lbytes);
	free(a->lparams);
	free(a);
	free(c);
	return rc;
}

struct membuf {
	const uint8_t	*p;
	size_t		 len;
};

static long
mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct membuf	*mb = ctx;

	if (off >= mb->len)
		return 0;
	if (len > mb->len - off)
		len = (size_t)(mb->len - off);
	memcpy(buf, mb->p + off, len);
	return (long)len;
}

int
pl_gguf_parse(const uint8_t *buf, size_t len, uint64_t size, const char *name,
    struct pl_model *m, struct pl_gguf_info *info, char *err, size_t errlen)
{
	struct membuf	mb = { buf, len };

	if (size < len)
		size = len;
	return pl_gguf_read(mem_read, &mb, size, name, m, info, err, errlen);
}

const char *
pl_gguf_type_name(uint32_t t)
{
	return t < NTYPES && ggml_types[t].blck != 0 ? ggml_types[t].name :
	    NULL;
}
