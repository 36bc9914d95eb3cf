/*
 * ag_planio.h - cluster and model files for `exogpu plan`, and the plan as
 * JSON.
 *
 * placement/ is libc only, so the JSON lives here.  Readers are strict and
 * bounded: at most AG_PLANIO_MAX_BYTES of input, PL_MAX_DEVICES devices,
 * AG_PLANIO_MAX_LINKS links, duplicate keys rejected, every field type- and
 * range-checked.  An error names the file and the field, e.g.
 * "cluster.json: devices[3].memory_bytes: must be a positive integer".
 * The formats are documented in docs/placement.md.
 */
#ifndef AG_PLANIO_H
#define AG_PLANIO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pl_cluster.h"
#include "pl_model.h"
#include "pl_solve.h"

#define AG_PLANIO_MAX_BYTES	(4u << 20)
/* Links in a cluster file: fewer than PL_MAX_LINKS (every pair of 1024
 * nodes, which the agent's snapshot may estimate), because a file's links
 * come in any order and each is checked against those before it. */
#define AG_PLANIO_MAX_LINKS	65536

/* Parse buf[0..len) (name prefixes errors).  0, or -1 with err set. */
int	ag_planio_parse_cluster(const char *, size_t, const char *,
	    struct pl_cluster *, char *, size_t);
int	ag_planio_parse_model(const char *, size_t, const char *,
	    struct pl_model *, char *, size_t);
/* The same from a file. */
int	ag_planio_read_cluster(const char *, struct pl_cluster *, char *,
	    size_t);
int	ag_planio_read_model(const char *, struct pl_model *, char *, size_t);
/*
 * A model from a GGUF file's header (placement/pl_gguf.h), read with
 * pread; tensor data is never read.  0, or -1 with err.
 */
int	ag_planio_read_gguf(const char *, struct pl_model *, char *, size_t);

/* m as a model object that ag_planio_parse_model reads back. */
json_t	*ag_planio_model_json(const struct pl_model *);
/*
 * The plan as the JSON object `exogpu plan --json` prints; the baselines
 * (exo-style over every device, llama.cpp's default split over the
 * plan's devices) may be NULL (printed as null).  NULL on allocation
 * failure.
 */
json_t	*ag_planio_plan_json(const struct pl_cluster *,
	    const struct pl_model *, const struct pl_request *,
	    const struct pl_plan *, double, const struct pl_plan *,
	    const struct pl_plan *);

#endif /* AG_PLANIO_H */
