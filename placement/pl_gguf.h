/*
 * pl_gguf.h - a model's placement figures from a GGUF file's header.
 *
 * GGUF (llama.cpp's model format) starts with a header: key/value
 * metadata, then one record per tensor (name, shape, GGML type, offset),
 * then the tensor data.  Everything the cost model needs is in the
 * header: the architecture's shape from the metadata and the exact bytes
 * of every tensor from its shape and type, so tensor data is never read.
 *
 * The header comes from a file a user names, so it is untrusted: the
 * parser reads through a caller's callback (placement/ does no I/O) with
 * a small window, and bounds everything: at most PL_GGUF_MAX_HEADER bytes
 * of header, PL_GGUF_MAX_TENSORS tensors, PL_GGUF_MAX_KV keys, no nested
 * arrays, every size and offset checked against the file size, memory
 * proportional to the layer count only.  Any violation is an error that
 * says what and where.
 */
#ifndef PL_GGUF_H
#define PL_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "pl_model.h"

#define PL_GGUF_MAX_HEADER	(64ull << 20)	/* metadata + tensor infos */
#define PL_GGUF_MAX_TENSORS	65536u
#define PL_GGUF_MAX_KV		65536u
#define PL_GGUF_MAX_STRING	(16u << 20)	/* one string value */
#define PL_GGUF_MAX_DIMS	4

/*
 * Reads up to len bytes at offset off into buf: returns the count read
 * (fewer only at the end of the file) or -1 on an I/O error.
 */
typedef long	(*pl_gguf_read_fn)(void *, uint64_t, void *, size_t);

/* What was found, beyond the model (for messages and tests). */
struct pl_gguf_info {
	char		arch[32];	/* general.architecture */
	uint32_t	version;
	uint64_t	ntensors;
	uint64_t	nkv;
	uint32_t	weight_type;	/* dominant GGML type of the layers */
	uint64_t	total_bytes;	/* of every tensor */
	uint64_t	data_offset;	/* where tensor data starts */
};

/*
 * Parses the header of a file of file_size bytes (name: for messages and
 * the model name when the file has no general.name) into m.  info may be
 * NULL.  Returns 0, or -1 with err.
 */
int	pl_gguf_read(pl_gguf_read_fn, void *, uint64_t, const char *,
	    struct pl_model *, struct pl_gguf_info *, char *, size_t);
/* The same over a buffer holding the whole file (or its start: then
 * file_size says how long the file is). */
int	pl_gguf_parse(const uint8_t *, size_t, uint64_t, const char *,
	    struct pl_model *, struct pl_gguf_info *, char *, size_t);
/* GGML type name ("q4_K") or NULL when unknown. */
const char *pl_gguf_type_name(uint32_t);

#endif /* PL_GGUF_H */
