/*
 * ag_node_workers.c - the node's side of its engine workers
 * (agent/ag_worker.c): hands the applied placements to the supervisor,
 * puts the workers' states into this node's gossip record, and shows
 * every stage's worker state (read from the gossip record of the stage's
 * node) in /v1/placements.  Kept apart so ag_node.c only calls in.
 */
#include "ag_node_int.h"
#include "ag_engine.h"
#include "ag_fsm.h"
#include "ag_log.h"
#include "ag_raft.h"
#include "ag_worker.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void
workers_changed(void *arg)
{
	struct ag_node	*n = arg;

	n->workers_dirty = 1;
}

int
ag_node_workers_init(struct ag_node *n, char *err, size_t errlen)
{
	struct ag_workers_config	wc;
	const char			*line;
	char				 path[PATH_MAX], why[256];
	int				 ok;

	memset(&wc, 0, sizeof wc);
	wc.data_dir = n->data_dir;
	wc.node_id = n->trust.node_id;
	wc.rpc_server = n->cfg->rpc_server;
	wc.command = n->cfg->worker_command;
	wc.engine_devices = n->cfg->engine_devices;
	if ((n->workers = ag_workers_new(n->base, &wc, err, errlen)) == NULL)
		return -1;
	ag_workers_on_change(n->workers, workers_changed, n);
	line = ag_workers_engine(n->workers, &ok);
	ag_log(ok ? AG_LOG_INFO : AG_LOG_NOTICE, "engine: %s", line);
	if (ag_engine_find(n->cfg->llama_server, ag_engine_llama_names,
	    getenv("PATH"), path, sizeof path, why, sizeof why) == 0)
		ag_log(AG_LOG_INFO, "engine: llama-server %s", path);
	else
		ag_log(AG_LOG_INFO, "engine: %s (set llama-server; needed by "
		    "the client of a placement)", why);
	return 0;
}

void
ag_node_workers_free(struct ag_node *n)
{
	ag_workers_free(n->workers);
	n->workers = NULL;
}

void
ag_node_workers_tick(struct ag_node *n)
{
	const struct ag_placement	*ps[AG_FSM_MAX_PLACEMENTS * 4];
	const struct ag_fsm		*fsm;
	size_t				 i, k = 0, cnt;

	if (n->workers == NULL || n->cluster == NULL)
		return;
	fsm = ag_raft_fsm(ag_cluster_raft(n->cluster));
	cnt = fsm != NULL ? ag_fsm_count(fsm) : 0;
	for (i = 0; i < cnt && k < sizeof ps / sizeof ps[0]; i++)
		if ((ps[k] = ag_fsm_at(fsm, i)) != NULL)
			k++;
	ag_workers_sync(n->workers, ps, k);
	if (n->workers_dirty) {
		n->workers_dirty = 0;
		ag_node_publish(n);
	}
}

void
ag_node_workers_record(struct ag_node *n, struct ag_record *r)
{
	if (n->workers != NULL)
		r->nworkers = ag_workers_export(n->workers, r->workers,
		    AG_RECORD_MAX_WORKERS);
}

uint64_t
ag_node_workers_restarts(struct ag_node *n)
{
	return n->workers != NULL ? ag_workers_restarts(n->workers) : 0;
}

/* The worker of stage i of p in r, or NULL. */
static const struct ag_record_worker *
worker_of(const struct ag_record *r, const struct ag_placement *p, int i)
{
	int	k;

	for (k = 0; k < r->nworkers; k++)
		if (r->workers[k].placement == p->id &&
		    r->workers[k].epoch == p->epoch &&
		    r->workers[k].stage == (uint32_t)i)
			return &r->workers[k];
	return NULL;
}

json_t *
ag_node_workers_json(struct ag_node *n, const struct ag_placement *p)
{
	json_t				*o = ag_place_json(p), *stages, *wj;
	struct ag_record		*r = malloc(sizeof *r);
	const struct ag_record_worker	*w;
	int				 i, have;

	stages = o != NULL ? json_object_get(o, "stages") : NULL;
	for (i = 0; r != NULL && stages != NULL && i < p->nstages; i++) {
		if (strcmp(p->stages[i].node, n->trust.node_id) == 0) {
			ag_record_init(r);
			ag_node_workers_record(n, r);
			have = 1;
		} else
			have = ag_cluster_record(n->cluster,
			    p->stages[i].node, r) == 0;
		w = have ? worker_of(r, p, i) : NULL;
		wj = w == NULL ? json_null() : json_pack("{s:s, s:s, s:i, "
		    "s:i}", "state", ag_record_worker_state_name(w->state),
		    "reason", w->reason, "port", (int)w->port, "restarts",
		    (int)w->restarts);
		(void)json_object_set_new(json_array_get(stages, (size_t)i),
		    "worker", wj != NULL ? wj : json_null());
	}
	free(r);
	return o;
}
