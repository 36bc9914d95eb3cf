/*
 * ag_solver.h - placement solves off the event loop.
 *
 * An exact solve may take its whole budget (hundreds of milliseconds on
 * a large cluster, up to a tenant's cap): on the loop that would stall
 * QUIC, raft heartbeats and the API.  So the leader hands each solve to
 * one worker thread with its own copy of everything it reads (the
 * records, the model, the placement template with its selectors), and
 * gets the answer back on the loop through a pipe.  One thread, because
 * solves are CPU-bound and the agent must leave the machine's other cores
 * to the engines it places; jobs run in order, the queue is bounded.
 *
 * The job owns its inputs; the caller fills them, submits, and gets the
 * job back in done() on the loop, where it frees it with
 * ag_solver_job_free().  Leadership may have changed meanwhile: the
 * caller checks the term it stored in the job before using the answer.
 */
#ifndef AG_SOLVER_H
#define AG_SOLVER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ag_place.h"
#include "ag_record.h"
#include "ag_snapshot.h"
#include "pl_model.h"

struct ag_solver;
struct ag_solve_job;

typedef void	(*ag_solve_done)(struct ag_solve_job *, void *arg);

struct ag_solve_job {
	/* Inputs (owned by the job). */
	size_t			 nnodes;
	struct ag_snapshot_node	*nodes;		/* node_id -> ids[i] */
	struct ag_record	*recs;
	char			(*ids)[SEC_NODE_ID_SIZE];
	struct pl_model		 model;
	uint32_t		 context;
	double			 budget_ms;
	double			 reserve;	/* share of memory kept free */
	/* In: template (selectors, scope); out: the plan fields. */
	struct ag_placement	 place;
	/* Out. */
	int			 rc;		/* ag_place_plan's */
	char			 err[512];
	/* For the caller. */
	uint64_t		 term;
	uint64_t		 tag;
	ag_solve_done		 done;
	void			*arg;
	struct ag_solve_job	*next;
};

struct ag_solver *ag_solver_new(struct event_base *, size_t max_queue,
		    char *err, size_t errlen);
/* Waits for the running solve (bounded by its budget); drops the queue. */
void		 ag_solver_free(struct ag_solver *);

/* A job with room for n nodes; NULL when out of memory. */
struct ag_solve_job *ag_solver_job_new(size_t n);
void		 ag_solver_job_free(struct ag_solve_job *);
/* 0 queued (done() will run on the loop), -1 the queue is full. */
int		 ag_solver_submit(struct ag_solver *, struct ag_solve_job *);

#endif /* AG_SOLVER_H */
