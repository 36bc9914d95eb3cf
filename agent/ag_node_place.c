/*
 * ag_node_place.c - the leader's side of placement, through the log.
 *
 * A placement call (from our API or forwarded by a follower) becomes a
 * "decision": the request is checked, a solve runs on the solver thread
 * (ag_solver.h) against a copy of the gossiped records with the memory
 * already booked by committed placements taken off, the plan is proposed
 * to the replicated log (ag_raft.h) as a PLACE command stating each
 * device's capacity, and the caller is answered only once the state
 * machine (ag_fsm.h) applied it - 201 with the id and log index, 507 when
 * the bookings would not fit, 503 when leadership was lost meanwhile.
 * Release and re-plan take the same road (RELEASE, REPLAN with the epoch
 * the re-plan started from).  Nothing here keeps placements of its own:
 * every node reads them from its applied log.
 *
 * Why here and not in ag_node.c: these are the only code paths that
 * decide and change placements, so access control, quotas and the audit
 * log hook in at one place.  Answering callers and forwarding calls to
 * the leader live in ag_node_fwd.c.
 */
#include "ag_node_int.h"
#include "ag_fsm.h"
#include "ag_log.h"
#include "ag_place.h"
#include "ag_planio.h"
#include "ag_raft.h"
#include "ag_snapshot.h"
#include "ag_solver.h"

#include "pl_model.h"

#include <raft.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PLACE_BUDGET_MS		500
#define MAX_BUDGET_MS		60000
#define RESHARD_EVERY_S		0.2
#define IMPROVE_EVERY_S		10.0
#define VALIDITY_EVERY_S	1.0	/* records change every 2 s */
#define IMPROVE_RATIO		0.9	/* adopt a re-plan 10 % faster */
#define MAX_SNAPSHOT		4096

const double ag_node_solve_bounds[AG_NODE_SOLVE_BUCKETS - 1] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5,
};

void
ag_node_stats_solve(struct ag_node *n, double seconds)
{
	int	i;

	for (i = 0; i < AG_NODE_SOLVE_BUCKETS - 1; i++)
		if (seconds <= ag_node_solve_bounds[i])
			break;
	n->stats.solve_bucket[i]++;
	n->stats.solves++;
	n->stats.solve_seconds_sum += seconds;
}

int
ag_node_is_leader(struct ag_node *n, uint64_t *term)
{
	struct ag_cluster_status	st;

	ag_cluster_status(n->cluster, &st);
	if (term != NULL)
		*term = st.term;
	return st.is_leader;
}

static const struct ag_fsm *
fsm(struct ag_node *n)
{
	return ag_raft_fsm(ag_cluster_raft(n->cluster));
}

int
ag_node_live_places(struct ag_node *n, struct ag_places *ps, char *err,
    size_t errlen)
{
	const struct ag_fsm	*f = fsm(n);
	size_t			 i;

	memset(ps, 0, sizeof *ps);
	err[0] = '\0';
	for (i = 0; i < ag_fsm_count(f) && ps->n < AG_PLACE_MAX; i++)
		ps->p[ps->n++] = *ag_fsm_at(f, i);
	return 0;
}

/* --- snapshots for the solver ------------------------------------------- */

/* Device dev of a "NODE/DEV" stage device id ("" if it has no '/'). */
static const char *
dev_part(const char *stage_device)
{
	const char	*s = strchr(stage_device, '/');

	return s != NULL ? s + 1 : "";
}

/* The memory committed placements booked on a record's devices is gone. */
static void
take_off_booked(struct ag_node *n, const char *node, struct ag_record *r,
    uint64_t skip_id)
{
	const struct ag_fsm	*f = fsm(n);
	char			 key[sizeof ((struct ag_stage *)0)->device];
	int			 j;

	for (j = 0; j < r->ndevices; j++) {
		struct ag_record_device	*d = &r->devices[j];
		double			 left;
		uint64_t		 booked;

		(void)snprintf(key, sizeof key, "%s/%s", node, d->id);
		if ((booked = ag_fsm_booked(f, key, skip_id)) == 0)
			continue;
		/*
		 * The log admits booked + asked <= total * (1 - reserve); the
		 * solver applies the reserve to what it is given, so give it
		 * total - booked / (1 - reserve) and both agree.
		 */
		left = (double)d->memory_total_bytes - (double)booked /
		    (1.0 - n->cfg->memory_reserve);
		if (isfinite(d->memory_free_bytes) && d->memory_free_bytes <
		    left)
			left = d->memory_free_bytes;
		d->memory_free_bytes = left > 0 ? left : 0;
	}
}

/*
 * A solve job over the alive members we hold a session with (ours
 * included), each record copied, booked memory taken off (except what
 * placement skip_id itself holds: a re-plan may reuse it).
 */
static struct ag_solve_job *
snapshot_job(struct ag_node *n, uint64_t skip_id)
{
	const char		**ids = calloc(MAX_SNAPSHOT, sizeof *ids);
	struct ag_solve_job	 *j;
	size_t			  nid, i, k = 0;

	if (ids == NULL)
		return NULL;
	nid = ag_cluster_alive(n->cluster, ids, MAX_SNAPSHOT);
	if ((j = ag_solver_job_new(nid)) == NULL) {
		free(ids);
		return NULL;
	}
	j->reserve = n->cfg->memory_reserve;
	for (i = 0; i < nid; i++) {
		if (i == 0) {
			if (n->self_rec == NULL)
				continue;
			j->recs[k] = *n->self_rec;
		} else if (!ag_node_peer_connected(n, ids[i]) ||
		    ag_cluster_record(n->cluster, ids[i], &j->recs[k]) != 0)
			continue;	/* no session or no record: not now */
		(void)snprintf(j->ids[k], sizeof j->ids[k], "%s", ids[i]);
		take_off_booked(n, ids[i], &j->recs[k], skip_id);
		j->nodes[k].node_id = j->ids[k];
		j->nodes[k].rec = &j->recs[k];
		k++;
	}
	j->nnodes = k;
	free(ids);
	return j;
}

/* Usable capacity of each stage's device, as the job's records say. */
static void
capacities(struct ag_node *n, const struct ag_solve_job *j,
    const struct ag_placement *p, struct ag_fsm_cmd *cmd)
{
	size_t	k;
	int	i, d;

	cmd->ncap = 0;
	for (i = 0; i < p->nstages && cmd->ncap < AG_PLACE_STAGES; i++) {
		const struct ag_stage	*s = &p->stages[i];
		struct ag_fsm_capacity	*c = &cmd->cap[cmd->ncap];

		for (k = 0; k < j->nnodes; k++) {
			if (strcmp(j->ids[k], s->node) != 0)
				continue;
			for (d = 0; d < j->recs[k].ndevices; d++)
				if (strcmp(j->recs[k].devices[d].id,
				    dev_part(s->device)) == 0)
					break;
			if (d == j->recs[k].ndevices)
				break;
			(void)snprintf(c->device, sizeof c->device, "%s",
			    s->device);
			c->bytes = (uint64_t)floor((double)
			    j->recs[k].devices[d].memory_total_bytes *
			    (1.0 - n->cfg->memory_reserve));
			cmd->ncap++;
			break;
		}
	}
}

/* --- requests ---------------------------------------------------------- */

/* The model of a request: a catalog name or a model object. */
static int
request_model(const json_t *j, struct pl_model *m, char *err, size_t errlen)
{
	char	*text;
	int	 rc;

	if (json_is_string(j)) {
		if (pl_catalog_find(json_string_value(j), m) != 0) {
			(void)snprintf(err, errlen, "unknown model '%s' (see "
			    "`exogpu plan --list-models`)",
			    json_string_value(j));
			return -1;
		}
		return 0;
	}
	if (!json_is_object(j) || (text = json_dumps(j, 0)) == NULL) {
		(void)snprintf(err, errlen, "model: a catalog name or a model "
		    "object");
		return -1;
	}
	rc = ag_planio_parse_model(text, strlen(text), "model", m, err,
	    errlen);
	free(text);
	return rc;
}

/* Parses a placement request body; 0, or -1 with err. */
int
ag_node_place_request(const char *body, size_t len, struct pl_model *m,
    long long *ctx, double *budget, char *err, size_t errlen)
{
	json_t		*j, *jc, *jb;
	int		 rc = -1;

	if ((j = ag_api_parse_object(body, len, err, errlen)) == NULL)
		return -1;
	jc = json_object_get(j, "context");
	jb = json_object_get(j, "time_budget_ms");
	if (jc != NULL && (!json_is_integer(jc) ||
	    (*ctx = json_integer_value(jc)) < 1 || *ctx > (1 << 24)))
		(void)snprintf(err, errlen, "context: an integer 1..16777216");
	else if (jb != NULL && (!json_is_number(jb) ||
	    (*budget = json_number_value(jb)) < 0 ||
	    *budget > MAX_BUDGET_MS))
		(void)snprintf(err, errlen, "time_budget_ms: 0..%d",
		    MAX_BUDGET_MS);
	else
		rc = request_model(json_object_get(j, "model"), m, err,
		    errlen);
	json_decref(j);
	return rc;
}

/* The token's tenant, selectors and quotas go with the placement. */
static void
place_scope(const struct ag_principal *who, struct ag_placement *p)
{
	const struct sec_token_claims	*c = &who->claims;
	size_t				 i;

	if (!who->token)
		return;
	(void)snprintf(p->tenant, sizeof p->tenant, "%s", who->tenant);
	(void)snprintf(p->token_id, sizeof p->token_id, "%s", who->token_id);
	for (i = 0; i < c->ndevices && i < AG_PLACE_SELECTORS; i++)
		(void)snprintf(p->selectors[i], sizeof p->selectors[i], "%s",
		    c->devices[i]);
	p->nselectors = (int)i;
	p->max_devices = c->has_max_devices ? c->max_devices : 0;
	p->max_memory_bytes = c->has_max_memory ? c->max_memory_bytes : 0;
}

static uint64_t
plan_bytes(const struct ag_placement *p)
{
	uint64_t	b = 0;
	int		i;

	for (i = 0; i < p->nstages; i++)
		b += p->stages[i].memory_bytes;
	return b;
}

/* Devices and bytes the tenant holds in the committed state. */
static void
tenant_usage(struct ag_node *n, const char *tenant, uint64_t skip_id,
    uint64_t *devices, uint64_t *bytes)
{
	const struct ag_fsm	*f = fsm(n);
	size_t			 i;

	*devices = *bytes = 0;
	for (i = 0; i < ag_fsm_count(f); i++) {
		const struct ag_placement *p = ag_fsm_at(f, i);

		if (p->id == skip_id || strcmp(p->tenant, tenant) != 0)
			continue;
		*bytes += plan_bytes(p);
		*devices += (uint64_t)p->nstages;
	}
}

/*
 * Whether p (a new plan, or a re-plan of placement p->id) keeps its
 * tenant within the quotas: 0, or -1 with why.
 */
static int
within_quota(struct ag_node *n, const struct ag_placement *p, char *why,
    size_t size)
{
	uint64_t	dev, bytes;

	if (p->tenant[0] == '\0')
		return 0;
	tenant_usage(n, p->tenant, p->id, &dev, &bytes);
	if (p->max_devices > 0 && dev + (uint64_t)p->nstages >
	    p->max_devices) {
		(void)snprintf(why, size, "quota: tenant %s holds %llu "
		    "device(s), this plan needs %d more, max_devices is %llu",
		    p->tenant, (unsigned long long)dev, p->nstages,
		    (unsigned long long)p->max_devices);
		return -1;
	}
	if (p->max_memory_bytes > 0 && bytes + plan_bytes(p) >
	    p->max_memory_bytes) {
		(void)snprintf(why, size, "quota: tenant %s holds %llu bytes, "
		    "this plan needs %llu more, max_memory_bytes is %llu",
		    p->tenant, (unsigned long long)bytes,
		    (unsigned long long)plan_bytes(p),
		    (unsigned long long)p->max_memory_bytes);
		return -1;
	}
	return 0;
}

/*
 * What a proposal's callback gets: the decision's sequence number, not a
 * pointer to its slot, because the caller may have been answered (the
 * agent stopping) and the slot reused before raft calls back.
 */
struct commit_ctx {
	struct ag_node	*n;
	uint64_t	 seq;	/* decision; or the placement id (re-plans) */
	uint64_t	 epoch;	/* re-plans: the epoch replaced */
};

static int
propose(struct ag_node *n, const struct ag_fsm_cmd *cmd, uint64_t seq,
    uint64_t epoch, ag_raft_apply_cb cb, char *err, size_t errlen)
{
	struct commit_ctx	*c = malloc(sizeof *c);

	if (c == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->n = n;
	c->seq = seq;
	c->epoch = epoch;
	if (ag_raft_propose(ag_cluster_raft(n->cluster), cmd, cb, c, err,
	    errlen) != 0) {
		free(c);
		return -1;
	}
	return 0;
}

/* The decision a commit callback answers, or NULL (ctx is freed). */
static struct ag_decision *
commit_decision(void *arg)
{
	struct commit_ctx	*c = arg;
	struct ag_decision	*d = ag_node_decision_find(c->n, c->seq);

	free(c);
	return d;
}

/* --- create -------------------------------------------------------------- */

static int
audit_or_503(struct ag_node *n, struct ag_decision *d, int allowed,
    const char *what, const char *fmt, ...) __attribute__((format(printf, 5,
    6)));

static int
audit_or_503(struct ag_node *n, struct ag_decision *d, int allowed,
    const char *what, const char *fmt, ...)
{
	struct ag_api_reply	r = { .status = 503 };
	char			reason[512];
	va_list			ap;

	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (ag_node_audit(n, d->actor, d->action, d->object, allowed, "%s",
	    reason) == 0)
		return 0;
	ag_api_error(&r, 503, "audit_unavailable", "the audit log cannot be "
	    "written; nothing was %s", what);
	ag_node_decision_finish(n, d, &r);
	return -1;
}

static void
place_committed(void *arg, int status, const struct ag_fsm_result *res,
    uint64_t index)
{
	struct ag_decision	*d = commit_decision(arg);
	struct ag_node		*n;
	struct ag_api_reply	 r = { .status = 500 };
	const struct ag_placement *p;
	json_t			*o;

	if (d == NULL)
		return;		/* answered already (the agent stops) */
	n = d->node;
	if (status != 0) {
		ag_api_error(&r, 503, status == RAFT_LEADERSHIPLOST ?
		    "outcome_unknown" : "not_leader", "%s: the placement %s; "
		    "list the placements, then retry", raft_strerror(status),
		    status == RAFT_LEADERSHIPLOST ? "may or may not have been "
		    "committed" : "was not committed");
	} else if (res->status != AG_FSM_OK) {
		n->stats.denials += res->status == AG_FSM_NOSPACE;
		(void)ag_node_audit(n, d->actor, d->action, d->object, 0,
		    "refused by the log at index %llu: %s",
		    (unsigned long long)index, res->why);
		ag_api_error(&r, res->status == AG_FSM_NOSPACE ? 507 :
		    res->status == AG_FSM_FULL ? 409 : 500,
		    res->status == AG_FSM_NOSPACE ? "insufficient_memory" :
		    res->status == AG_FSM_FULL ? "too_many" : "refused", "%s",
		    res->why);
	} else if ((p = ag_fsm_find(fsm(n), res->id)) == NULL) {
		ag_api_error(&r, 500, "internal", "placement %llu committed "
		    "but not found", (unsigned long long)res->id);
	} else {
		n->stats.placements_created++;
		(void)ag_node_audit(n, d->actor, "place.commit", d->object, 1,
		    "placement/%llu committed at index %llu, term %llu",
		    (unsigned long long)p->id, (unsigned long long)index,
		    (unsigned long long)p->term);
		ag_log(AG_LOG_NOTICE, "placement %llu: %s on %d stage(s), "
		    "%.3f ms/token%s%s%s, log index %llu",
		    (unsigned long long)p->id, p->model.name, p->nstages,
		    p->latency_s * 1e3, p->optimal ? " (proven optimal)" : "",
		    p->tenant[0] ? " for tenant " : "", p->tenant,
		    (unsigned long long)index);
		o = ag_place_json(p);
		if (o != NULL)
			(void)json_object_set_new(o, "index",
			    json_integer((json_int_t)index));
		r.status = 201;
		r.body = o;
	}
	ag_node_decision_finish(n, d, &r);
}

/*
 * An infeasible plan while committed placements hold memory: the caller
 * hears it is the booked memory (507), with the figures appended to err.
 * 0 when nothing is booked (a plain 422: the model does not fit at all).
 */
static int
booked_note(struct ag_node *n, char *err, size_t errlen)
{
	const struct ag_fsm	*f = fsm(n);
	uint64_t		 bytes = 0;
	size_t			 i, len = strlen(err);

	for (i = 0; i < ag_fsm_count(f); i++)
		bytes += plan_bytes(ag_fsm_at(f, i));
	if (bytes == 0)
		return 0;
	if (len < errlen)
		(void)snprintf(err + len, errlen - len, "; %llu bytes are "
		    "booked by %zu committed placement(s) (insufficient "
		    "memory: release one, or add devices)",
		    (unsigned long long)bytes, ag_fsm_count(f));
	return 1;
}

static void
place_solved(struct ag_solve_job *j, void *arg)
{
	struct ag_node		*n = arg;
	struct ag_decision	*d = ag_node_decision_find(n, j->tag);
	struct ag_api_reply	 r = { .status = 500 };
	struct ag_fsm_cmd	*cmd;
	uint64_t		 term;
	char			 err[512];

	if (d == NULL) {
		ag_solver_job_free(j);
		return;
	}
	if (j->rc == 0)
		ag_node_stats_solve(n, j->place.solve_ms / 1e3);
	if (!ag_node_is_leader(n, &term) || term != j->term) {
		ag_api_error(&r, 503, "not_leader", "leadership changed during "
		    "the solve; nothing was placed; retry");
		ag_node_decision_finish(n, d, &r);
		ag_solver_job_free(j);
		return;
	}
	if (j->rc != 0 || within_quota(n, &j->place, j->err,
	    sizeof j->err) != 0) {
		int quota = j->rc == 0;
		int booked = j->rc == 1 && booked_note(n, j->err,
		    sizeof j->err);

		n->stats.denials += quota;
		if (audit_or_503(n, d, 0, "placed", "%s", j->err) == 0) {
			ag_api_error(&r, quota ? 403 : booked ? 507 :
			    j->rc == 1 ? 422 : 503, quota ? "quota_exceeded" :
			    booked ? "insufficient_memory" : j->rc == 1 ?
			    "infeasible" : "cannot_place", "%s", j->err);
			ag_node_decision_finish(n, d, &r);
		}
		ag_solver_job_free(j);
		return;
	}
	if (audit_or_503(n, d, 1, "placed", "proposed: %d stage(s), %llu "
	    "bytes, %.3f ms/token, term %llu", j->place.nstages,
	    (unsigned long long)plan_bytes(&j->place), j->place.latency_s *
	    1e3, (unsigned long long)term) != 0) {
		ag_solver_job_free(j);
		return;
	}
	if ((cmd = calloc(1, sizeof *cmd)) == NULL) {
		ag_api_error(&r, 503, "cannot_place", "out of memory");
		ag_node_decision_finish(n, d, &r);
		ag_solver_job_free(j);
		return;
	}
	cmd->op = AG_FSM_OP_PLACE;
	cmd->term = term;
	cmd->place = j->place;
	cmd->place.term = term;
	cmd->place.epoch = 1;
	capacities(n, j, &j->place, cmd);
	ag_solver_job_free(j);
	if (propose(n, cmd, d->seq, 0, place_committed, err, sizeof err)
	    != 0) {
		ag_api_error(&r, 503, "not_leader", "cannot propose: %s", err);
		ag_node_decision_finish(n, d, &r);
	}
	free(cmd);
}

static void
place_create(struct ag_node *n, const struct ag_principal *who,
    const char *body, size_t len, const struct ag_reply_to *to,
    struct ag_api_reply *r)
{
	struct ag_solve_job	*j;
	struct ag_decision	*d;
	struct pl_model		 m;
	uint64_t		 term;
	double			 budget = PLACE_BUDGET_MS;
	long long		 ctx = 4096;
	char			 err[512], actor[200], object[160];

	if (!ag_node_is_leader(n, &term)) {
		ag_api_error(r, 503, "not_leader", "this node is not the "
		    "leader; retry");
		return;
	}
	if (ag_node_place_request(body, len, &m, &ctx, &budget, err,
	    sizeof err) != 0) {
		ag_api_error(r, 400, "bad_request", "%s", err);
		return;
	}
	if (ag_fsm_count(fsm(n)) >= AG_PLACE_MAX) {
		ag_api_error(r, 409, "too_many", "%d placements are live; "
		    "release one first", AG_PLACE_MAX);
		return;
	}
	ag_auth_actor(who, actor, sizeof actor);
	(void)snprintf(object, sizeof object, "model/%s", m.name);
	if (ag_node_tenant_limits(n, who, &budget, err, sizeof err) != 0) {
		n->stats.denials++;
		if (ag_node_audit(n, actor, "place", object, 0, "%s", err) != 0)
			ag_api_error(r, 503, "audit_unavailable", "the audit "
			    "log cannot be written; nothing was placed");
		else
			ag_api_error(r, 403, "quota_exceeded", "%s", err);
		return;
	}
	if ((d = ag_node_decision_new(n, to, "place")) == NULL) {
		ag_api_error(r, 503, "busy", "too many placement calls in "
		    "flight; retry");
		return;
	}
	ag_auth_actor(who, d->actor, sizeof d->actor);
	(void)snprintf(d->object, sizeof d->object, "model/%s", m.name);
	if ((j = snapshot_job(n, 0)) == NULL) {
		ag_node_decision_drop(n, d);
		ag_api_error(r, 503, "cannot_place", "out of memory");
		return;
	}
	place_scope(who, &j->place);
	/* The engine's client: the node the call came from. */
	(void)snprintf(j->place.client, sizeof j->place.client, "%s",
	    to->peer[0] != '\0' ? to->peer : n->trust.node_id);
	j->model = m;
	j->context = (uint32_t)ctx;
	j->budget_ms = budget;
	j->term = term;
	j->tag = d->seq;
	j->done = place_solved;
	j->arg = n;
	if (ag_solver_submit(n->solver, j) != 0) {
		ag_solver_job_free(j);
		ag_node_decision_drop(n, d);
		ag_api_error(r, 503, "busy", "the solver queue is full; retry");
		return;
	}
	r->status = AG_API_DEFERRED;
}

/* --- release ------------------------------------------------------------- */

static void
release_committed(void *arg, int status, const struct ag_fsm_result *res,
    uint64_t index)
{
	struct ag_decision	*d = commit_decision(arg);
	struct ag_node		*n;
	struct ag_api_reply	 r = { .status = 500 };

	if (d == NULL)
		return;
	n = d->node;
	if (status != 0)
		ag_api_error(&r, 503, status == RAFT_LEADERSHIPLOST ?
		    "outcome_unknown" : "not_leader", "%s: the release %s; "
		    "list the placements, then retry", raft_strerror(status),
		    status == RAFT_LEADERSHIPLOST ? "may or may not have been "
		    "committed" : "was not committed");
	else if (res->status == AG_FSM_NOTFOUND)
		ag_api_error(&r, 404, "not_found", "%s", res->why);
	else if (res->status != AG_FSM_OK)
		ag_api_error(&r, 500, "refused", "%s", res->why);
	else {
		n->stats.placements_released++;
		ag_log(AG_LOG_NOTICE, "placement %llu released (log index "
		    "%llu)", (unsigned long long)res->id,
		    (unsigned long long)index);
		r.status = 200;
		r.body = json_pack("{s:I, s:I}", "released",
		    (json_int_t)res->id, "index", (json_int_t)index);
	}
	ag_node_decision_finish(n, d, &r);
}

/*
 * Releases p for who under decision d (which holds the caller): checks the
 * tenant, audits, proposes.  r->status is AG_API_DEFERRED when proposed
 * (release_committed answers d), else r holds the answer and d is the
 * caller's to drop or finish.
 */
static void
release_start(struct ag_node *n, const struct ag_principal *who,
    const struct ag_placement *p, uint64_t term, struct ag_decision *d,
    struct ag_api_reply *r)
{
	struct ag_fsm_cmd	*cmd;
	char			 actor[200], object[64], err[256];

	ag_auth_actor(who, actor, sizeof actor);
	(void)snprintf(object, sizeof object, "placement/%llu",
	    (unsigned long long)p->id);
	if (!ag_auth_owns(who, p->tenant)) {
		n->stats.denials++;
		(void)ag_node_audit(n, actor, "release", object, 0,
		    "owned by another tenant");
		ag_api_error(r, 403, "forbidden", "placement %llu belongs to "
		    "another tenant", (unsigned long long)p->id);
		return;
	}
	if (ag_node_audit(n, actor, "release", object, 1, "released") != 0) {
		ag_api_error(r, 503, "audit_unavailable", "the audit log cannot "
		    "be written; nothing was released");
		return;
	}
	if ((cmd = calloc(1, sizeof *cmd)) == NULL) {
		ag_api_error(r, 503, "busy", "out of memory; retry");
		return;
	}
	cmd->op = AG_FSM_OP_RELEASE;
	cmd->term = term;
	cmd->id = p->id;
	if (propose(n, cmd, d->seq, 0, release_committed, err, sizeof err)
	    != 0)
		ag_api_error(r, 503, "not_leader", "cannot propose: %s", err);
	else
		r->status = AG_API_DEFERRED;
	free(cmd);
}

/*
 * A release of an id this leader's state does not hold waits for a
 * barrier before it answers 404: a leader just elected, or one deposed
 * without knowing it yet, may lack a placement another leader
 * acknowledged (the Jepsen run found that 404).
 */
struct release_wait {
	struct ag_node		*n;
	uint64_t		 seq;		/* the decision */
	uint64_t		 id;
	uint64_t		 term;
	struct ag_principal	 who;
};

static void
release_caught_up(void *arg, int status)
{
	struct release_wait		*w = arg;
	struct ag_node			*n = w->n;
	struct ag_decision		*d = ag_node_decision_find(n, w->seq);
	const struct ag_placement	*p;
	struct ag_api_reply		 r = { .status = 500 };

	if (d == NULL) {
		free(w);
		return;
	}
	if (status != 0)
		ag_api_error(&r, 503, "not_leader", "%s: leadership changed "
		    "while looking for placement %llu; retry",
		    raft_strerror(status), (unsigned long long)w->id);
	else if ((p = ag_fsm_find(fsm(n), w->id)) == NULL)
		ag_api_error(&r, 404, "not_found", "no placement %llu",
		    (unsigned long long)w->id);
	else
		release_start(n, &w->who, p, w->term, d, &r);
	if (r.status != AG_API_DEFERRED)
		ag_node_decision_finish(n, d, &r);
	free(w);
}

static void
place_delete(struct ag_node *n, const struct ag_principal *who, uint64_t id,
    const struct ag_reply_to *to, struct ag_api_reply *r)
{
	const struct ag_placement	*p;
	struct ag_decision		*d;
	struct release_wait		*w;
	uint64_t			 term;
	char				 err[256];

	if (!ag_node_is_leader(n, &term)) {
		ag_api_error(r, 503, "not_leader", "retry");
		return;
	}
	if ((d = ag_node_decision_new(n, to, "release")) == NULL) {
		ag_api_error(r, 503, "busy", "too many calls in flight; retry");
		return;
	}
	if ((p = ag_fsm_find(fsm(n), id)) != NULL) {
		release_start(n, who, p, term, d, r);
		if (r->status != AG_API_DEFERRED)
			ag_node_decision_drop(n, d);
		return;
	}
	if ((w = calloc(1, sizeof *w)) == NULL) {
		ag_node_decision_drop(n, d);
		ag_api_error(r, 503, "busy", "out of memory; retry");
		return;
	}
	w->n = n;
	w->seq = d->seq;
	w->id = id;
	w->term = term;
	w->who = *who;
	if (ag_raft_barrier(ag_cluster_raft(n->cluster), release_caught_up, w,
	    err, sizeof err) != 0) {
		free(w);
		ag_node_decision_drop(n, d);
		ag_api_error(r, 503, "not_leader", "cannot check placement "
		    "%llu: %s; retry", (unsigned long long)id, err);
		return;
	}
	r->status = AG_API_DEFERRED;
}

int
ag_node_place_id(const char *path, uint64_t *id)
{
	static const char	prefix[] = "/v1/placements?id=";
	unsigned long long	v;
	char			*end;

	if (strncmp(path, prefix, sizeof prefix - 1) != 0)
		return -1;
	path += sizeof prefix - 1;
	if (path[0] < '1' || path[0] > '9')	/* no sign, blank or 0 */
		return -1;
	errno = 0;
	v = strtoull(path, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*id = v;
	return 0;
}

/*
 * Runs a placement call for who: the caller the token check let through,
 * here (our own API) or at the leader (a forwarded call).  Answers into r
 * now, or sets r->status to AG_API_DEFERRED and answers `to` later.
 */
void
ag_node_place_call(struct ag_node *n, const char *method, const char *path,
    const char *body, size_t len, const struct ag_principal *who,
    const struct ag_reply_to *to, struct ag_api_reply *r)
{
	uint64_t	id;

	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/placements") == 0)
		place_create(n, who, body, len, to, r);
	else if (strcmp(method, "DELETE") == 0 &&
	    ag_node_place_id(path, &id) == 0)
		place_delete(n, who, id, to, r);
	else if (ag_node_trust_call(n, method, path, body, len, who, to, r)
	    == 0)
		;
	else
		ag_api_error(r, 400, "bad_request", "%s %s cannot be "
		    "forwarded", method, path);
}

/* --- re-plans (leader) ----------------------------------------------------- */

/* An audit record of this node's own doing. */
static int __attribute__((format(printf, 4, 5)))
audit_self(struct ag_node *n, const char *action, uint64_t id,
    const char *fmt, ...)
{
	char	actor[64], object[64], reason[256];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	(void)snprintf(actor, sizeof actor, "node:%s", n->trust.node_id);
	(void)snprintf(object, sizeof object, "placement/%llu",
	    (unsigned long long)id);
	return ag_node_audit(n, actor, action, object, 1, "%s", reason);
}

/* A placement that needs a re-plan and cannot get one: said every 30 s. */
static void
stuck(struct ag_node *n, double now, uint64_t id, const char *why)
{
	if (now < n->next_stuck_log)
		return;
	n->next_stuck_log = now + 30.0;
	ag_log(AG_LOG_WARNING, "placement %llu lost a node or device and "
	    "cannot be re-planned: %s", (unsigned long long)id, why);
}

static struct ag_node_replan *
replan_slot(struct ag_node *n, uint64_t id)
{
	int	i;

	for (i = 0; i < AG_NODE_MAX_REPLANS; i++)
		if (n->replan[i].id == id)
			return &n->replan[i];
	return NULL;
}

static const char *
lost_name(int lost)
{
	return lost == 1 ? "a node is gone" : lost ? "a device is no longer "
	    "eligible" : "faster plan";
}

static void
replan_committed(void *arg, int status, const struct ag_fsm_result *res,
    uint64_t index)
{
	struct commit_ctx	*c = arg;
	struct ag_node		*n = c->n;
	struct ag_node_replan	*rp = replan_slot(n, c->seq);

	free(c);
	if (rp == NULL)
		return;
	if (status == 0 && res->status == AG_FSM_OK) {
		n->stats.replans++;
		ag_log(AG_LOG_NOTICE, "placement %llu re-planned (%s): epoch "
		    "%llu, log index %llu", (unsigned long long)res->id,
		    lost_name(rp->lost), (unsigned long long)res->epoch,
		    (unsigned long long)index);
	} else if (status == 0)
		ag_log(AG_LOG_INFO, "re-plan of placement %llu refused by the "
		    "log: %s", (unsigned long long)rp->id, res->why);
	memset(rp, 0, sizeof *rp);
	n->next_reshard = 0;
}

static void
replan_solved(struct ag_solve_job *j, void *arg)
{
	struct ag_node		*n = arg;
	struct ag_node_replan	*rp = replan_slot(n, j->tag);
	const struct ag_placement *p = ag_fsm_find(fsm(n), j->tag);
	struct ag_fsm_cmd	*cmd = NULL;
	uint64_t		 term;
	char			 err[512];

	if (rp == NULL)
		goto out;
	if (j->rc == 0)
		ag_node_stats_solve(n, j->place.solve_ms / 1e3);
	if (!ag_node_is_leader(n, &term) || term != j->term || p == NULL ||
	    p->epoch != rp->epoch)
		goto drop;
	if (j->rc != 0 || (!rp->lost && j->place.latency_s > p->latency_s *
	    IMPROVE_RATIO) || within_quota(n, &j->place, j->err,
	    sizeof j->err) != 0) {
		if (rp->lost && j->err[0] != '\0')
			stuck(n, ag_node_now(), p->id, j->err);
		goto drop;
	}
	if (audit_self(n, "replan", p->id, "epoch %llu, %s, %d stage(s)",
	    (unsigned long long)p->epoch + 1, lost_name(rp->lost),
	    j->place.nstages) != 0 || (cmd = calloc(1, sizeof *cmd)) == NULL)
		goto drop;
	cmd->op = AG_FSM_OP_REPLAN;
	cmd->term = term;
	cmd->id = p->id;
	cmd->expect_epoch = p->epoch;
	cmd->place = j->place;
	cmd->place.id = p->id;
	cmd->place.term = term;
	capacities(n, j, &j->place, cmd);
	if (propose(n, cmd, p->id, p->epoch, replan_committed, err,
	    sizeof err) == 0)
		goto out;
drop:
	if (rp != NULL)
		memset(rp, 0, sizeof *rp);
out:
	free(cmd);
	ag_solver_job_free(j);
}

static void
replan_start(struct ag_node *n, const struct ag_placement *p, int lost,
    uint64_t term)
{
	struct ag_node_replan	*rp = replan_slot(n, 0);
	struct ag_solve_job	*j;

	if (rp == NULL || (j = snapshot_job(n, p->id)) == NULL)
		return;
	/* The template keeps the tenant, token and selectors. */
	j->place = *p;
	j->model = p->model;
	j->context = p->context;
	j->budget_ms = PLACE_BUDGET_MS;
	j->term = term;
	j->tag = p->id;
	j->done = replan_solved;
	j->arg = n;
	rp->node = n;
	rp->id = p->id;
	rp->epoch = p->epoch;
	rp->lost = lost;
	if (ag_solver_submit(n->solver, j) != 0) {
		memset(rp, 0, sizeof *rp);
		ag_solver_job_free(j);
	}
}

/* Every stage's device is still usable in the live snapshot. */
static int
devices_ok(struct ag_node *n, const struct ag_placement *p)
{
	struct ag_solve_job	*j = snapshot_job(n, p->id);
	int			 ok = 1;

	if (j != NULL)
		ok = ag_place_devices_ok(j->nodes, j->nnodes, p);
	ag_solver_job_free(j);
	return ok;
}

/* Leader: re-plan placements that lost a node, or that got 10 % faster. */
static void
reshard(struct ag_node *n, double now, uint64_t term)
{
	const char		**alive;
	const struct ag_fsm	 *f = fsm(n);
	size_t			  na, i;
	int			  improve = now >= n->next_improve;
	int			  validity = now >= n->next_validity;

	if (now < n->next_reshard)
		return;
	n->next_reshard = now + RESHARD_EVERY_S;
	if (improve)
		n->next_improve = now + IMPROVE_EVERY_S;
	if (validity)
		n->next_validity = now + VALIDITY_EVERY_S;
	if ((alive = calloc(MAX_SNAPSHOT, sizeof *alive)) == NULL)
		return;
	/* Usable: alive members we hold a session with. */
	na = ag_cluster_alive(n->cluster, alive, MAX_SNAPSHOT);
	for (i = 1; i < na; i++)
		if (!ag_node_peer_connected(n, alive[i]))
			alive[i--] = alive[--na];
	for (i = 0; i < ag_fsm_count(f); i++) {
		const struct ag_placement *p = ag_fsm_at(f, i);
		int lost;

		if (replan_slot(n, p->id) != NULL)
			continue;	/* one re-plan in flight is enough */
		lost = ag_place_uses_lost(p, alive, na);
		if (!lost && validity && !devices_ok(n, p))
			lost = 2;	/* overheated, battery low, ... */
		if (lost || improve)
			replan_start(n, p, lost, term);
	}
	free(alive);
}

/* The log's leader changed, or we won or lost it: act at once. */
void
ag_node_leader_change(struct ag_node *n)
{
	uint64_t	term;
	int		leader = ag_node_is_leader(n, &term);
	char		actor[64], object[64];

	(void)snprintf(actor, sizeof actor, "node:%s", n->trust.node_id);
	(void)snprintf(object, sizeof object, "term/%llu",
	    (unsigned long long)term);
	if (leader && !n->was_leader) {
		n->was_leader = 1;
		(void)ag_node_audit(n, actor, "leader", object, 1, "became "
		    "leader; %zu placement(s) in the log",
		    ag_fsm_count(fsm(n)));
		n->next_reshard = 0;
	} else if (!leader && n->was_leader) {
		n->was_leader = 0;
		(void)ag_node_audit(n, actor, "leader", object, 1, "no longer "
		    "leader");
	}
}

void
ag_node_leader_tick(struct ag_node *n, double now)
{
	uint64_t	term;

	ag_node_leader_change(n);
	if (ag_node_is_leader(n, &term))
		reshard(n, now, term);
}

/* We leave our cluster for a larger one: its placements are dropped. */
void
ag_node_yielding(void *arg, const char *from, const char *to,
    const struct ag_fsm *f)
{
	struct ag_node	*n = arg;
	size_t		 i;
	char		 actor[64], object[96];

	(void)snprintf(actor, sizeof actor, "node:%s", n->trust.node_id);
	for (i = 0; i < ag_fsm_count(f); i++) {
		const struct ag_placement *p = ag_fsm_at(f, i);

		(void)snprintf(object, sizeof object, "placement/%llu "
		    "model/%s", (unsigned long long)p->id, p->model.name);
		ag_log(AG_LOG_WARNING, "placement %llu (%s) of cluster %s is "
		    "dropped: this node joins cluster %s",
		    (unsigned long long)p->id, p->model.name, from, to);
		(void)ag_node_audit(n, actor, "place.dropped", object, 1,
		    "cluster %s merged into %s", from, to);
	}
}
