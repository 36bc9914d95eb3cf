/*
 * ag_solver.c - one worker thread for placement solves; see ag_solver.h.
 *
 * The queue is a singly linked FIFO under one mutex; finished jobs go on
 * a second list and a byte on a pipe wakes the loop, which runs their
 * done() callbacks in the order the solves finished.
 */
#include "ag_solver.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ag_solver {
	struct event_base	*base;
	pthread_t		 thread;
	int			 thread_ok;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct ag_solve_job	*head, *tail;	/* waiting */
	struct ag_solve_job	*done_head, *done_tail;
	size_t			 queued, max_queue;
	int			 stop;
	int			 pipe[2];
	struct event		*wake;
};

struct ag_solve_job *
ag_solver_job_new(size_t n)
{
	struct ag_solve_job	*j = calloc(1, sizeof *j);

	if (j == NULL)
		return NULL;
	if (n > 0 && ((j->nodes = calloc(n, sizeof *j->nodes)) == NULL ||
	    (j->recs = calloc(n, sizeof *j->recs)) == NULL ||
	    (j->ids = calloc(n, sizeof *j->ids)) == NULL)) {
		ag_solver_job_free(j);
		return NULL;
	}
	return j;
}

void
ag_solver_job_free(struct ag_solve_job *j)
{
	if (j == NULL)
		return;
	free(j->nodes);
	free(j->recs);
	free(j->ids);
	free(j);
}

static void
push(struct ag_solve_job **head, struct ag_solve_job **tail,
    struct ag_solve_job *j)
{
	j->next = NULL;
	if (*tail != NULL)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static struct ag_solve_job *
pop(struct ag_solve_job **head, struct ag_solve_job **tail)
{
	struct ag_solve_job	*j = *head;

	if (j != NULL && (*head = j->next) == NULL)
		*tail = NULL;
	return j;
}

static void *
worker(void *arg)
{
	struct ag_solver	*s = arg;
	struct ag_solve_job	*j;
	const char		 one = 1;

	for (;;) {
		(void)pthread_mutex_lock(&s->mu);
		while (s->head == NULL && !s->stop)
			(void)pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop) {
			(void)pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		j = pop(&s->head, &s->tail);
		(void)pthread_mutex_unlock(&s->mu);
		j->err[0] = '\0';
		j->rc = ag_place_plan(j->nodes, j->nnodes, &j->model,
		    j->context, j->budget_ms, j->reserve, &j->place, j->err,
		    sizeof j->err);
		(void)pthread_mutex_lock(&s->mu);
		push(&s->done_head, &s->done_tail, j);
		(void)pthread_mutex_unlock(&s->mu);
		while (write(s->pipe[1], &one, 1) < 0 && errno == EINTR)
			;
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct ag_solver	*s = arg;
	struct ag_solve_job	*j;
	char			 buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
	for (;;) {
		(void)pthread_mutex_lock(&s->mu);
		j = pop(&s->done_head, &s->done_tail);
		if (j != NULL)
			s->queued--;
		(void)pthread_mutex_unlock(&s->mu);
		if (j == NULL)
			return;
		j->done(j, j->arg);
	}
}

struct ag_solver *
ag_solver_new(struct event_base *base, size_t max_queue, char *err,
    size_t errlen)
{
	struct ag_solver	*s = calloc(1, sizeof *s);

	if (s == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->max_queue = max_queue > 0 ? max_queue : 16;
	s->pipe[0] = s->pipe[1] = -1;
	if (pthread_mutex_init(&s->mu, NULL) != 0 ||
	    pthread_cond_init(&s->cv, NULL) != 0 ||
	    pipe2(s->pipe, O_NONBLOCK | O_CLOEXEC) != 0 ||
	    (s->wake = event_new(base, s->pipe[0], EV_READ | EV_PERSIST,
	    on_wake, s)) == NULL || event_add(s->wake, NULL) != 0) {
		(void)snprintf(err, errlen, "solver: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, worker, s) != 0) {
		(void)snprintf(err, errlen, "solver: cannot start its thread");
		goto fail;
	}
	s->thread_ok = 1;
	return s;
fail:
	ag_solver_free(s);
	return NULL;
}

void
ag_solver_free(struct ag_solver *s)
{
	struct ag_solve_job	*j;

	if (s == NULL)
		return;
	if (s->thread_ok) {
		(void)pthread_mutex_lock(&s->mu);
		s->stop = 1;
		(void)pthread_cond_signal(&s->cv);
		(void)pthread_mutex_unlock(&s->mu);
		(void)pthread_join(s->thread, NULL);
	}
	/* Unfinished and unreported jobs: nobody waits for them any more. */
	while ((j = pop(&s->head, &s->tail)) != NULL)
		ag_solver_job_free(j);
	while ((j = pop(&s->done_head, &s->done_tail)) != NULL)
		ag_solver_job_free(j);
	if (s->wake != NULL)
		event_free(s->wake);
	if (s->pipe[0] >= 0)
		(void)close(s->pipe[0]);
	if (s->pipe[1] >= 0)
		(void)close(s->pipe[1]);
	(void)pthread_mutex_destroy(&s->mu);
	(void)pthread_cond_destroy(&s->cv);
	free(s);
}

int
ag_solver_submit(struct ag_solver *s, struct ag_solve_job *j)
{
	int	rc = -1;

	(void)pthread_mutex_lock(&s->mu);
	if (s->queued < s->max_queue && !s->stop) {
		s->queued++;
		push(&s->head, &s->tail, j);
		(void)pthread_cond_signal(&s->cv);
		rc = 0;
	}
	(void)pthread_mutex_unlock(&s->mu);
	return rc;
}
