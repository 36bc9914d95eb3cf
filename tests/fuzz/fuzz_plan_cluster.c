/*
 * fuzz_plan_cluster.c - libFuzzer harness for the cluster JSON reader.
 *
 * Any bytes must parse or be rejected with a message, never crash or
 * leak; a cluster that parses is also solved (greedy, tiny model) so the
 * solver's preparation sees every shape the reader lets through.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ag_planio.h"
#include "pl_solve.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_cluster	c;
	struct pl_model		m;
	struct pl_solve_opts	o;
	struct pl_plan		p, q;
	char			err[512];
	int			e;

	if (ag_planio_parse_cluster((const char *)data, size, "fuzz", &c, err,
	    sizeof err) != 0)
		return 0;
	memset(&m, 0, sizeof m);
	(void)strcpy(m.name, "fuzz");
	m.layers = 6;
	m.layer_bytes = 10;
	m.kv_bytes_per_token_per_layer = 1;
	m.activation_bytes = 4;
	m.flops_per_token_per_layer = 100;
	m.embed_bytes = 3;
	m.head_bytes = 5;
	m.dtype = PL_DT_FP16;
	m.vocab = 7;
	m.head_flops_per_token = 50;
	pl_solve_opts_init(&o);
	o.req.context = 2;
	o.budget_ms = -1;
	o.node_limit = 2000;
	/* Both engine profiles; the file may name the client. */
	for (e = 0; e < 2; e++) {
		o.req.engine = e == 0 ? PL_ENGINE_LLAMA_CPP : PL_ENGINE_RING;
		if (pl_solve(&c, &m, &o, &p, err, sizeof err) == PL_OK) {
			if (pl_baseline_llama(&c, &m, &o.req, &p, &q, err,
			    sizeof err) == PL_OK)
				pl_plan_free(&q);
			pl_plan_free(&p);
		}
		if (pl_baseline(&c, &m, &o.req, &p, err, sizeof err) == PL_OK)
			pl_plan_free(&p);
	}
	pl_cluster_free(&c);
	return 0;
}
