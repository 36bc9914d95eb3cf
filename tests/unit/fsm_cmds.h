/*
 * fsm_cmds.h - builders of ag_fsm commands for the state machine's tests
 * (test_fsm.c, test_fsm_raft.c, and the seed generator in test_fsm.c).
 *
 * Header-only (static functions) because the tests are one source file
 * each; it is not a test itself, so the test_*.c glob leaves it alone.
 * A placement here is a small model of 16 layers split evenly over the
 * stages, each stage on the device named, with the memory given.
 */
#ifndef FSM_CMDS_H
#define FSM_CMDS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ag_fsm.h"

#define FSMT_LAYERS	16

static inline void
fsmt_model(struct ag_placement *p, const char *name)
{
	memset(p, 0, sizeof *p);
	(void)snprintf(p->model.name, sizeof p->model.name, "%s", name);
	p->model.layers = FSMT_LAYERS;
	p->model.layer_bytes = 1000;
	p->model.flops_per_token_per_layer = 2e9;
	p->model.dtype = PL_DT_FP16;
	p->context = 4096;
	p->latency_s = 0.25;
	p->lower_bound_s = 0.25;
	p->optimal = true;
	p->solve_ms = 1.5;
	p->baseline_latency_s = NAN;
	p->decided_at = 1.7e9;
}

/*
 * A PLACE (or, with id and epoch > 0, a REPLAN) of n stages: stage i on
 * dev[i] with mem[i] bytes; the capacity of each distinct device is cap[i]
 * of its first stage.
 */
static inline void
fsmt_cmd(struct ag_fsm_cmd *c, uint64_t term, uint64_t id, uint64_t epoch,
    int n, const char *const *dev, const uint64_t *mem, const uint64_t *cap)
{
	struct ag_placement	*p = &c->place;
	int			 i, k, per = FSMT_LAYERS / n;

	memset(c, 0, sizeof *c);
	c->op = id == 0 ? AG_FSM_OP_PLACE : AG_FSM_OP_REPLAN;
	c->term = term;
	c->id = id;
	c->expect_epoch = epoch;
	fsmt_model(p, "tiny-llama");
	p->nstages = n;
	for (i = 0; i < n; i++) {
		struct ag_stage *s = &p->stages[i];

		(void)snprintf(s->device, sizeof s->device, "%s", dev[i]);
		(void)snprintf(s->node, sizeof s->node, "%.*s",
		    (int)strcspn(dev[i], "/"), dev[i]);
		s->layer_start = (uint32_t)(i * per);
		s->layer_end = i == n - 1 ? FSMT_LAYERS :
		    (uint32_t)((i + 1) * per);
		s->memory_bytes = mem[i];
		for (k = 0; k < c->ncap; k++)
			if (strcmp(c->cap[k].device, dev[i]) == 0)
				break;
		if (k == c->ncap) {
			(void)snprintf(c->cap[k].device,
			    sizeof c->cap[k].device, "%s", dev[i]);
			c->cap[k].bytes = cap[i];
			c->ncap++;
		}
	}
}

static inline void
fsmt_release(struct ag_fsm_cmd *c, uint64_t term, uint64_t id)
{
	memset(c, 0, sizeof *c);
	c->op = AG_FSM_OP_RELEASE;
	c->term = term;
	c->id = id;
}

/* One stage on dev: mem bytes, capacity cap. */
static inline void
fsmt_place1(struct ag_fsm_cmd *c, uint64_t term, const char *dev,
    uint64_t mem, uint64_t cap)
{
	fsmt_cmd(c, term, 0, 0, 1, &dev, &mem, &cap);
}

#endif /* FSM_CMDS_H */
