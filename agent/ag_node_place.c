/*
 * ag_node_place.c - the leader's side of placement: solving requests on a
 * snapshot of gossiped records, re-planning when a used node dies, a
 * device becomes ineligible or a clearly faster plan appears, taking over
 * a previous leader's placements; and forwarding placement calls from a
 * follower's API to the leader over the control stream.
 *
 * Why here and not in ag_node.c: these are the only code paths that
 * decide and change placements, so access control, quotas and the audit
 * log hook in at one place.
 */
#include "ag_node_int.h"
#include "ag_forward.h"
#include "ag_log.h"
#include "ag_place.h"
#include "ag_planio.h"
#include "ag_snapshot.h"

#include "net_wire.h"
#include "pl_model.h"
#include "sec_cbor.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- placement (leader) ---------------------------------------------------- */

#define PLACE_BUDGET_MS		500
#define RESHARD_EVERY_S		0.2
#define IMPROVE_EVERY_S		10.0
#define VALIDITY_EVERY_S	1.0	/* records change every 2 s */
#define IMPROVE_RATIO		0.9	/* adopt a re-plan 10 % faster */
#define FWD_TIMEOUT_S		10.0
#define MAX_SNAPSHOT		256

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
	return strcmp(st.role, "leader") == 0 && st.quorum;
}

int
ag_node_live_places(struct ag_node *n, struct ag_places *ps, char *err,
    size_t errlen)
{
	struct ag_cluster_status	 st;
	struct ag_record		*rec;
	int				 rc = -1;

	memset(ps, 0, sizeof *ps);
	err[0] = '\0';
	if (ag_node_is_leader(n, NULL)) {
		*ps = n->places;
		return 0;
	}
	ag_cluster_status(n->cluster, &st);
	if (st.leader[0] == '\0' || (rec = malloc(sizeof *rec)) == NULL)
		return -1;
	if (ag_cluster_record(n->cluster, st.leader, rec) == 0)
		rc = rec->placements_len == 0 ? 0 :
		    ag_place_decode(rec->placements, rec->placements_len, ps,
		    err, errlen);
	free(rec);
	return rc;
}

/* Records of the alive members (ours included) for the solver. */
static size_t
snapshot(struct ag_node *n, struct ag_snapshot_node *out,
    struct ag_record **recs)
{
	const char	*ids[MAX_SNAPSHOT];
	size_t		 nid, i, k = 0;

	nid = ag_cluster_alive(n->cluster, ids, MAX_SNAPSHOT);
	for (i = 0; i < nid; i++) {
		if (i == 0) {
			if (n->self_rec == NULL)
				continue;
			out[k].node_id = n->trust.node_id;
			out[k++].rec = n->self_rec;
			continue;
		}
		if (!ag_node_peer_connected(n, ids[i]))
			continue;	/* no session: not usable now */
		if ((recs[k] = malloc(sizeof *recs[k])) == NULL)
			break;
		if (ag_cluster_record(n->cluster, ids[i], recs[k]) != 0) {
			free(recs[k]);
			recs[k] = NULL;
			continue;
		}
		out[k].node_id = ids[i];
		out[k].rec = recs[k];
		k++;
	}
	return k;
}

/* Solves m on the live cluster into p (plan fields only). */
static int
solve_now(struct ag_node *n, const struct pl_model *m, uint32_t context,
    double budget_ms, struct ag_placement *p, char *err, size_t errlen)
{
	struct ag_snapshot_node	*nodes = calloc(MAX_SNAPSHOT, sizeof *nodes);
	struct ag_record	**recs = calloc(MAX_SNAPSHOT, sizeof *recs);
	size_t			 k, i;
	int			 rc = -1;

	if (nodes != NULL && recs != NULL) {
		k = snapshot(n, nodes, recs);
		rc = ag_place_plan(nodes, k, m, context, budget_ms, p, err,
		    errlen);
		if (rc == 0)
			ag_node_stats_solve(n, p->solve_ms / 1e3);
	} else
		(void)snprintf(err, errlen, "out of memory");
	for (i = 0; recs != NULL && i < MAX_SNAPSHOT; i++)
		free(recs[i]);
	free(recs);
	free(nodes);
	return rc;
}

/* Every stage's device is still usable in the live snapshot. */
static int
devices_ok(struct ag_node *n, const struct ag_placement *p)
{
	struct ag_snapshot_node	*nodes = calloc(MAX_SNAPSHOT, sizeof *nodes);
	struct ag_record	**recs = calloc(MAX_SNAPSHOT, sizeof *recs);
	size_t			 k, i;
	int			 ok = 1;

	if (nodes != NULL && recs != NULL) {
		k = snapshot(n, nodes, recs);
		ok = ag_place_devices_ok(nodes, k, p);
	}
	for (i = 0; recs != NULL && i < MAX_SNAPSHOT; i++)
		free(recs[i]);
	free(recs);
	free(nodes);
	return ok;
}

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

static uint64_t
next_place_id(const struct ag_node *n)
{
	uint64_t	id = 0;
	int		i;

	for (i = 0; i < n->places.n; i++)
		if (n->places.p[i].id > id)
			id = n->places.p[i].id;
	return id + 1;
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
	    (*budget = json_number_value(jb)) < 0 || *budget > 60000))
		(void)snprintf(err, errlen, "time_budget_ms: 0..60000");
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

/*
 * Whether p (a new plan, or a re-plan of placement p->id) keeps its
 * tenant within the quotas: 0, or -1 with why.
 */
static int
within_quota(const struct ag_node *n, const struct ag_placement *p,
    char *why, size_t size)
{
	uint64_t	dev, bytes;

	if (p->tenant[0] == '\0')
		return 0;
	ag_place_usage(&n->places, p->tenant, p->id, &dev, &bytes);
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

static void
place_create(struct ag_node *n, const struct ag_principal *who,
    const char *body, size_t len, struct ag_api_reply *r)
{
	struct ag_placement	*p;
	struct pl_model		 m;
	uint64_t		 term;
	double			 budget = PLACE_BUDGET_MS;
	long long		 ctx = 4096;
	char			 err[512], actor[200], object[160];
	int			 rc;

	if (!ag_node_is_leader(n, &term)) {
		ag_api_error(r, 503, "not_leader", "this node lost the "
		    "leadership; retry");
		return;
	}
	if (ag_node_place_request(body, len, &m, &ctx, &budget, err,
	    sizeof err) != 0) {
		ag_api_error(r, 400, "bad_request", "%s", err);
		return;
	}
	if (n->places.n >= AG_PLACE_MAX) {
		ag_api_error(r, 409, "too_many", "%d placements are live; "
		    "release one first", AG_PLACE_MAX);
		return;
	}
	ag_auth_actor(who, actor, sizeof actor);
	(void)snprintf(object, sizeof object, "model/%s", m.name);
	p = &n->places.p[n->places.n];
	memset(p, 0, sizeof *p);
	place_scope(who, p);
	p->id = next_place_id(n);
	rc = solve_now(n, &m, (uint32_t)ctx, budget, p, err, sizeof err);
	if (rc == 0 && within_quota(n, p, err, sizeof err) != 0)
		rc = 2;
	if (rc != 0) {
		n->stats.denials += rc == 2;
		if (ag_node_audit(n, actor, "place", object, 0, "%s", err) != 0)
			ag_api_error(r, 503, "audit_unavailable", "the audit "
			    "log cannot be written; nothing was placed");
		else
			ag_api_error(r, rc == 2 ? 403 : rc == 1 ? 422 : 503,
			    rc == 2 ? "quota_exceeded" : rc == 1 ?
			    "infeasible" : "cannot_place", "%s", err);
		return;
	}
	p->term = term;
	p->epoch = 1;
	(void)snprintf(object, sizeof object, "placement/%llu model/%s",
	    (unsigned long long)p->id, m.name);
	if (ag_node_audit(n, actor, "place", object, 1, "%d stage(s), %llu "
	    "bytes, %.3f ms/token, term %llu", p->nstages,
	    (unsigned long long)plan_bytes(p), p->latency_s * 1e3,
	    (unsigned long long)term) != 0) {
		ag_api_error(r, 503, "audit_unavailable", "the audit log "
		    "cannot be written; nothing was placed");
		return;
	}
	n->places.n++;
	n->stats.placements_created++;
	ag_log(AG_LOG_NOTICE, "placement %llu: %s on %d stage(s), %.3f ms/token"
	    "%s%s%s", (unsigned long long)p->id, m.name, p->nstages,
	    p->latency_s * 1e3, p->optimal ? " (proven optimal)" : "",
	    p->tenant[0] ? " for tenant " : "", p->tenant);
	ag_node_publish(n);
	r->status = 201;
	r->body = ag_place_json(p);
}

static void
place_delete(struct ag_node *n, const struct ag_principal *who, uint64_t id,
    struct ag_api_reply *r)
{
	char	actor[200], object[64];
	int	i;

	if (!ag_node_is_leader(n, NULL)) {
		ag_api_error(r, 503, "not_leader", "retry");
		return;
	}
	ag_auth_actor(who, actor, sizeof actor);
	(void)snprintf(object, sizeof object, "placement/%llu",
	    (unsigned long long)id);
	for (i = 0; i < n->places.n; i++) {
		if (n->places.p[i].id != id)
			continue;
		if (!ag_auth_owns(who, n->places.p[i].tenant)) {
			n->stats.denials++;
			(void)ag_node_audit(n, actor, "release", object, 0,
			    "owned by another tenant");
			ag_api_error(r, 403, "forbidden", "placement %llu "
			    "belongs to another tenant",
			    (unsigned long long)id);
			return;
		}
		if (ag_node_audit(n, actor, "release", object, 1, "released")
		    != 0) {
			ag_api_error(r, 503, "audit_unavailable", "the audit "
			    "log cannot be written; nothing was released");
			return;
		}
		memmove(&n->places.p[i], &n->places.p[i + 1],
		    (size_t)(n->places.n - i - 1) * sizeof n->places.p[0]);
		n->places.n--;
		n->stats.placements_released++;
		ag_node_publish(n);
		r->status = 200;
		r->body = json_pack("{s:I}", "released", (json_int_t)id);
		return;
	}
	ag_api_error(r, 404, "not_found", "no placement %llu",
	    (unsigned long long)id);
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
 * Runs a placement call into r for who: the caller the token check let
 * through, here (our own API) or at the leader (a forwarded call).
 */
void
ag_node_place_call(struct ag_node *n, const char *method, const char *path,
    const char *body, size_t len, const struct ag_principal *who,
    struct ag_api_reply *r)
{
	uint64_t	id;

	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/placements") == 0)
		place_create(n, who, body, len, r);
	else if (strcmp(method, "DELETE") == 0 &&
	    ag_node_place_id(path, &id) == 0)
		place_delete(n, who, id, r);
	else
		ag_api_error(r, 400, "bad_request", "%s %s cannot be "
		    "forwarded", method, path);
}

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

/* Leader: re-plan placements that lost a node, or that got 10 % faster. */
static void
reshard(struct ag_node *n, double now)
{
	const char	*alive[MAX_SNAPSHOT];
	size_t		 na;
	uint64_t	 term;
	int		 i, dirty = 0, improve = now >= n->next_improve;
	int		 validity = now >= n->next_validity;
	char		 err[512];

	if (now < n->next_reshard)
		return;
	n->next_reshard = now + RESHARD_EVERY_S;
	if (improve)
		n->next_improve = now + IMPROVE_EVERY_S;
	if (validity)
		n->next_validity = now + VALIDITY_EVERY_S;
	(void)ag_node_is_leader(n, &term);
	/*
	 * Usable: alive members we hold a session with (the mesh is full,
	 * so a lost session is the earliest sign of a dead node).
	 */
	na = ag_cluster_alive(n->cluster, alive, MAX_SNAPSHOT);
	for (i = 1; i < (int)na; i++)
		if (!ag_node_peer_connected(n, alive[i]))
			alive[i--] = alive[--na];
	for (i = 0; i < n->places.n; i++) {
		struct ag_placement	*p = &n->places.p[i], q = *p;
		int			 lost = ag_place_uses_lost(p, alive, na);

		if (!lost && validity && !devices_ok(n, p))
			lost = 2;	/* overheated, battery low, … */
		if (!lost && !improve)
			continue;
		if (solve_now(n, &p->model, p->context, PLACE_BUDGET_MS, &q,
		    err, sizeof err) != 0) {
			if (lost)
				stuck(n, now, p->id, err);
			continue;
		}
		if (!lost && q.latency_s > p->latency_s * IMPROVE_RATIO)
			continue;
		if (within_quota(n, &q, err, sizeof err) != 0) {
			if (lost)
				stuck(n, now, p->id, err);
			continue;
		}
		q.epoch = p->epoch + 1;
		q.term = term;
		if (audit_self(n, "replan", p->id, "epoch %llu, %s, %d stage(s)",
		    (unsigned long long)q.epoch, lost == 1 ? "a node is gone" :
		    lost ? "a device is no longer eligible" : "faster plan",
		    q.nstages) != 0)
			continue;	/* not recorded, not done */
		ag_log(AG_LOG_NOTICE, "placement %llu re-planned (%s): epoch "
		    "%llu, %.3f -> %.3f ms/token", (unsigned long long)p->id,
		    lost == 1 ? "a node is gone" : lost ? "a device is no longer "
		    "eligible" : "faster plan",
		    (unsigned long long)q.epoch, p->latency_s * 1e3,
		    q.latency_s * 1e3);
		*p = q;
		n->stats.replans++;
		dirty = 1;
	}
	if (dirty)
		ag_node_publish(n);
}

/* A new leader takes over the newest placements any record carries. */
static void
adopt_placements(const char *origin, const struct ag_record *r, void *arg)
{
	struct ag_node		*n = arg;
	struct ag_places	 ps;
	char			 err[160];
	uint64_t		 mine = 0, theirs = 0;
	int			 i;

	if (r->placements_len == 0 || ag_place_decode(r->placements,
	    r->placements_len, &ps, err, sizeof err) != 0)
		return;
	for (i = 0; i < ps.n; i++)
		theirs = ps.p[i].term > theirs ? ps.p[i].term : theirs;
	for (i = 0; i < n->places.n; i++)
		mine = n->places.p[i].term > mine ? n->places.p[i].term : mine;
	if (theirs > mine) {
		n->places = ps;
		ag_log(AG_LOG_NOTICE, "took over %d placement(s) from %s",
		    ps.n, origin);
	}
}

void
ag_node_leader_tick(struct ag_node *n, double now)
{
	uint64_t	term;
	int		leader = ag_node_is_leader(n, &term);
	char		actor[64], object[64];

	(void)snprintf(actor, sizeof actor, "node:%s", n->trust.node_id);
	(void)snprintf(object, sizeof object, "term/%llu",
	    (unsigned long long)term);
	if (leader && !n->was_leader) {
		n->was_leader = 1;
		ag_cluster_foreach_record(n->cluster, adopt_placements, n);
		(void)ag_node_audit(n, actor, "leader", object, 1, "became "
		    "leader; took over %d placement(s)", n->places.n);
		n->next_reshard = 0;
		ag_node_publish(n);
	} else if (!leader && n->was_leader) {
		n->was_leader = 0;
		(void)ag_node_audit(n, actor, "leader", object, 1, "no longer "
		    "leader; %d placement(s) left to the next", n->places.n);
		n->places.n = 0;	/* the next leader owns them now */
	}
	if (leader)
		reshard(n, now);
}

/* --- forwarding to the leader ------------------------------------------- */

static void
fwd_conn_closed(struct evhttp_connection *conn, void *arg)
{
	struct fwd_pending	*f = arg;

	f->req = NULL;		/* the client left; drop the answer */
}

void
ag_node_forward(struct ag_node *n, struct evhttp_request *req, const char *method,
    const char *path, const char *body, size_t len, struct ag_api_reply *r)
{
	struct ag_cluster_status	 st;
	struct ag_fwd_req		 q;
	struct sec_cbor_writer		 w;
	struct fwd_pending		*f = NULL;
	const char			*token = evhttp_find_header(
					    evhttp_request_get_input_headers(req),
					    "Authorization");
	uint8_t				 msg[NET_WIRE_MAX_MSG];
	size_t				 mlen;
	char				 err[160];
	int				 i, pi;

	ag_cluster_status(n->cluster, &st);
	if (st.leader[0] == '\0' || (pi = ag_node_peer_find(n, st.leader)) < 0 ||
	    n->peers[pi].link == NULL || !n->peers[pi].link->hello) {
		ag_api_error(r, 503, "no_leader", "no leader with a majority "
		    "is reachable from this node");
		return;
	}
	for (i = 0; i < (int)(sizeof n->fwd / sizeof n->fwd[0]); i++)
		if (n->fwd[i].id == 0) {
			f = &n->fwd[i];
			break;
		}
	if (f == NULL || len > AG_FWD_BODY_MAX) {
		ag_api_error(r, 503, "busy", "too many forwarded calls");
		return;
	}
	memset(&q, 0, sizeof q);
	q.id = ++n->fwd_seq;
	(void)snprintf(q.method, sizeof q.method, "%s", method);
	(void)snprintf(q.path, sizeof q.path, "%s", path);
	/* The caller's credentials go along: the leader checks them. */
	if (token != NULL && strlen(token) > AG_FWD_TOKEN_MAX) {
		ag_api_error(r, 401, "unauthorized", "Authorization header too "
		    "long");
		return;
	}
	(void)snprintf(q.token, sizeof q.token, "%s", token != NULL ? token :
	    "");
	q.body = (const uint8_t *)body;
	q.body_len = len;
	sec_cbor_writer_dynamic(&w, NET_WIRE_MAX_MSG - 256);
	if (ag_fwd_encode_req(&q, &w) != 0 || net_wire_encode_raw(msg,
	    sizeof msg, &mlen, NET_WIRE_API_REQ, n->trust.node_id, 0,
	    sec_cbor_writer_data(&w), sec_cbor_writer_len(&w), err,
	    sizeof err) != 0 || net_quic_send_control(n->peers[pi].link->conn,
	    msg, mlen) != 0) {
		sec_cbor_writer_release(&w);
		ag_api_error(r, 502, "forward_failed", "cannot reach the "
		    "leader");
		return;
	}
	sec_cbor_writer_release(&w);
	f->id = q.id;
	f->req = req;
	f->deadline = ag_node_now() + FWD_TIMEOUT_S;
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    fwd_conn_closed, f);
	r->status = AG_API_DEFERRED;
}

/* Leader side: run a forwarded call and answer it. */
void
ag_node_on_api_req(struct ag_link *l, const struct net_wire_msg *m)
{
	struct ag_node		*n = l->node;
	struct ag_fwd_req	 q;
	struct ag_fwd_resp	 a;
	struct ag_api_reply	 r = { .status = 500 };
	struct ag_principal	 who;
	struct ag_auth_denial	 why;
	struct sec_cbor_writer	 w;
	uint8_t			 msg[NET_WIRE_MAX_MSG];
	size_t			 mlen;
	char			 err[160], *body, *text = NULL;

	if (ag_fwd_decode_req(m->u.raw.payload, m->u.raw.len, &q, err,
	    sizeof err) != 0) {
		ag_log(AG_LOG_WARNING, "bad API_REQ: %s", err);
		return;
	}
	if ((body = malloc(q.body_len + 1)) == NULL)
		return;
	memcpy(body, q.body, q.body_len);
	body[q.body_len] = '\0';
	/*
	 * The caller's token travelled with the call: the leader checks it
	 * itself, never taking the follower's word for who is calling.
	 */
	if (ag_auth_check(&n->auth, q.token[0] ? q.token : NULL, AG_API_PLACE,
	    (int64_t)time(NULL), &who, &why) != 0) {
		ag_node_denied(n, &why, q.path);
		ag_api_error(&r, why.status, why.code, "%s", why.reason);
	} else
		ag_node_place_call(n, q.method, q.path, body, q.body_len, &who,
		    &r);
	free(body);
	if (r.body != NULL)
		text = json_dumps(r.body, 0);
	json_decref(r.body);
	memset(&a, 0, sizeof a);
	a.id = q.id;
	a.status = (unsigned)r.status;
	a.body = (const uint8_t *)(text != NULL ? text : "{}");
	a.body_len = text != NULL ? strlen(text) : 2;
	sec_cbor_writer_dynamic(&w, NET_WIRE_MAX_MSG - 256);
	if (ag_fwd_encode_resp(&a, &w) == 0 && net_wire_encode_raw(msg,
	    sizeof msg, &mlen, NET_WIRE_API_RESP, n->trust.node_id, 0,
	    sec_cbor_writer_data(&w), sec_cbor_writer_len(&w), err,
	    sizeof err) == 0)
		ag_node_send(l, msg, mlen);
	sec_cbor_writer_release(&w);
	free(text);
}

static void
fwd_finish(struct fwd_pending *f, struct ag_api_reply *r)
{
	if (f->req != NULL) {
		evhttp_connection_set_closecb(
		    evhttp_request_get_connection(f->req), NULL, NULL);
		ag_api_finish(f->req, r);
	} else
		json_decref(r->body);
	memset(f, 0, sizeof *f);
}

/* Follower side: the leader's answer. */
void
ag_node_on_api_resp(struct ag_node *n, const struct net_wire_msg *m)
{
	struct ag_fwd_resp	a;
	struct ag_api_reply	r = { .status = 502 };
	char			err[160];
	size_t			i;

	if (ag_fwd_decode_resp(m->u.raw.payload, m->u.raw.len, &a, err,
	    sizeof err) != 0) {
		ag_log(AG_LOG_WARNING, "bad API_RESP: %s", err);
		return;
	}
	for (i = 0; i < sizeof n->fwd / sizeof n->fwd[0]; i++) {
		if (n->fwd[i].id != a.id || a.id == 0)
			continue;
		r.status = (int)a.status;
		r.body = ag_fwd_resp_json(&a);
		if (r.body == NULL)
			ag_api_error(&r, 502, "bad_answer", "the leader's "
			    "answer is not JSON");
		fwd_finish(&n->fwd[i], &r);
		return;
	}
}

void
ag_node_fwd_expire(struct ag_node *n, double now)
{
	struct ag_api_reply	r = { .status = 504 };
	size_t			i;

	for (i = 0; i < sizeof n->fwd / sizeof n->fwd[0]; i++) {
		if (n->fwd[i].id == 0 || now < n->fwd[i].deadline)
			continue;
		ag_api_error(&r, 504, "leader_timeout", "the leader did not "
		    "answer within %.0f s", FWD_TIMEOUT_S);
		fwd_finish(&n->fwd[i], &r);
	}
}
