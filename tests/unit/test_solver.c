/*
 * test_solver.c - placement solves run off the event loop (ag_solver.c).
 *
 * The defect this guards against: the leader solved on its event loop, a
 * 500 ms solve (normal for 64+ devices) stopped QUIC and raft's timers and
 * the cluster changed leader 13 times in 20 s.  Here a solve that uses its
 * whole budget (40 nodes with two devices each, tight memory, 400 ms)
 * runs while a 5 ms timer keeps firing on the loop: the test counts how
 * often the loop ran between submitting the job and getting it back.  On
 * the loop that count would be 0 whatever the machine's speed; off it, it
 * is at least 1.  No time is asserted.  Also: results arrive in order on
 * the loop, a full queue refuses, freeing with jobs queued frees them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>
#include <event2/event.h>

#include "ag_solver.h"
#include "be_device.h"
#include "pl_model.h"

#define NODES	40

struct ctx {
	struct event_base	*base;
	int			 ticks;		/* loop ran (timer fired) */
	int			 ticks_at_done;
	int			 done;
	int			 want;		/* break the loop after */
	int			 rc;		/* of the last job */
	double			 solve_ms;
	char			 err[512];
	uint64_t		 order[8];
};

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	((struct ctx *)arg)->ticks++;
}

static void
on_done(struct ag_solve_job *j, void *arg)
{
	struct ctx	*c = arg;

	c->order[c->done++ % 8] = j->tag;
	c->rc = j->rc;
	c->solve_ms = j->place.solve_ms;
	(void)snprintf(c->err, sizeof c->err, "%s", j->err);
	c->ticks_at_done = c->ticks;
	ag_solver_job_free(j);
	if (c->done >= c->want)
		(void)event_base_loopbreak(c->base);
}

static void
node_id(int i, char *out)
{
	int	k;

	/* base32 lower-case ids, distinct per node */
	for (k = 0; k < 26; k++)
		out[k] = "abcdefghijklmnopqrstuvwxyz"[(i * 7 + k) % 26];
	out[0] = "abcdefghijklmnopqrstuvwxyz"[i % 26];
	out[1] = "234567"[i / 26 % 6];
	out[26] = '\0';
}

/* n nodes, each a 6 GB GPU and a CPU, links between all of them. */
static struct ag_solve_job *
fill(int n, double budget_ms, uint64_t tag, struct ctx *c)
{
	struct ag_solve_job	*j = ag_solver_job_new((size_t)n);
	int			 i, k;

	assert_non_null(j);
	for (i = 0; i < n; i++)
		node_id(i, j->ids[i]);
	for (i = 0; i < n; i++) {
		struct ag_record	*r = &j->recs[i];
		struct ag_record_device	*d;

		ag_record_init(r);
		(void)snprintf(r->name, sizeof r->name, "n%d", i);
		r->on_ac = 1;
		d = &r->devices[r->ndevices++];
		(void)snprintf(d->id, sizeof d->id, "gpu0");
		(void)snprintf(d->type, sizeof d->type, "gpu");
		d->memory_total_bytes = 6000000000ull;
		d->memory_free_bytes = NAN;
		d->memory_bandwidth = 200e9 + 7e9 * (i % 11);
		d->flops = 10e12 + 1e12 * (i % 5);
		d->dtypes = BE_DTYPE_FP32 | BE_DTYPE_FP16;
		d->temperature_celsius = NAN;
		d = &r->devices[r->ndevices++];
		(void)snprintf(d->id, sizeof d->id, "cpu");
		(void)snprintf(d->type, sizeof d->type, "cpu");
		d->memory_total_bytes = 4000000000ull;
		d->memory_free_bytes = NAN;
		d->memory_bandwidth = 30e9 + 1e9 * (i % 3);
		d->flops = 1e12;
		d->dtypes = BE_DTYPE_FP32;
		d->temperature_celsius = NAN;
		for (k = 0; k < n && r->nlinks < AG_RECORD_MAX_LINKS; k++) {
			struct ag_record_link *l;

			if (k == i)
				continue;
			l = &r->links[r->nlinks++];
			(void)snprintf(l->peer, sizeof l->peer, "%s", j->ids[k]);
			l->rtt_s = 2e-4 + 1e-5 * ((i + k) % 13);
			l->bandwidth = 1e9 + 1e8 * ((i * k) % 7);
		}
		j->nodes[i].node_id = j->ids[i];
		j->nodes[i].rec = r;
	}
	j->nnodes = (size_t)n;
	assert_int_equal(pl_catalog_find("llama-3-70b:q4_0", &j->model), 0);
	j->context = 4096;
	j->budget_ms = budget_ms;
	j->tag = tag;
	j->done = on_done;
	j->arg = c;
	return j;
}

static void
test_off_loop(void **state)
{
	struct ctx		 c;
	struct ag_solver	*s;
	struct event		*t;
	struct timeval		 tv = { 0, 5000 };
	struct ag_solve_job	*j;
	char			 err[256];
	int			 before;

	(void)state;
	memset(&c, 0, sizeof c);
	assert_non_null(c.base = event_base_new());
	assert_non_null(s = ag_solver_new(c.base, 4, err, sizeof err));
	assert_non_null(t = event_new(c.base, -1, EV_PERSIST, on_timer, &c));
	assert_int_equal(event_add(t, &tv), 0);
	c.want = 1;
	j = fill(NODES, 400, 7, &c);
	before = c.ticks;
	assert_int_equal(ag_solver_submit(s, j), 0);
	assert_int_equal(event_base_dispatch(c.base), 0);
	assert_int_equal(c.done, 1);
	assert_int_equal(c.order[0], 7);
	/* The loop kept running while the job was being solved. */
	print_message("loop ran %d time(s) during the %.0f ms solve (rc %d%s%s)\n",
	    c.ticks_at_done - before, c.solve_ms, c.rc, c.err[0] ? ": " : "",
	    c.err);
	assert_int_equal(c.rc, 0);
	assert_true(c.ticks_at_done - before >= 1);
	event_free(t);
	ag_solver_free(s);
	event_base_free(c.base);
}

static void
test_order_and_queue(void **state)
{
	struct ctx		 c;
	struct ag_solver	*s;
	struct ag_solve_job	*j[3];
	char			 err[256];
	int			 i;

	(void)state;
	memset(&c, 0, sizeof c);
	assert_non_null(c.base = event_base_new());
	assert_non_null(s = ag_solver_new(c.base, 2, err, sizeof err));
	/* Two fit in the queue; the third is refused. */
	c.want = 2;
	for (i = 0; i < 3; i++)
		j[i] = fill(3, 200, (uint64_t)i + 1, &c);
	assert_int_equal(ag_solver_submit(s, j[0]), 0);
	assert_int_equal(ag_solver_submit(s, j[1]), 0);
	assert_int_equal(ag_solver_submit(s, j[2]), -1);
	ag_solver_job_free(j[2]);
	assert_int_equal(event_base_dispatch(c.base), 0);
	assert_int_equal(c.order[0], 1);
	assert_int_equal(c.order[1], 2);
	ag_solver_free(s);
	event_base_free(c.base);
}

static void
test_free_with_queue(void **state)
{
	struct ctx		 c;
	struct ag_solver	*s;
	char			 err[256];
	int			 i;

	(void)state;
	memset(&c, 0, sizeof c);
	assert_non_null(c.base = event_base_new());
	assert_non_null(s = ag_solver_new(c.base, 8, err, sizeof err));
	for (i = 0; i < 5; i++)
		assert_int_equal(ag_solver_submit(s, fill(NODES, 100,
		    (uint64_t)i, &c)), 0);
	ag_solver_free(s);	/* waits for the running one, frees the rest */
	assert_int_equal(c.done, 0);
	event_base_free(c.base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_loop),
		cmocka_unit_test(test_order_and_queue),
		cmocka_unit_test(test_free_with_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
