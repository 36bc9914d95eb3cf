/*
 * ag_node_trust.c - trust decisions through the log: token revocations
 * here, and the table every trust call goes through (the node deny list,
 * agent/ag_node_deny.c; audit anchors, agent/ag_node_anchor.c).
 *
 * A trust call is decided like a placement: only the leader proposes it,
 * any node's API accepts it and forwards it, the caller hears the answer
 * once the command is committed.  The table says, for each call, the
 * token scope the caller needs (checked where the call is decided, at
 * the leader, with the caller's own token) and whether it is internal:
 * an internal call is never served over HTTP, only forwarded by an
 * authenticated member, which it then speaks for (its node id comes from
 * the QUIC session, never from the body).
 *
 * Revocations used to be gossiped and merged from any member's record;
 * now the log holds them (ag_fsm.h has the rules: expiry clamped, expired
 * entries dropped, a full list refuses instead of evicting), so every
 * node refuses the same tokens and a member can no longer fill the list.
 */
#include "ag_node_int.h"
#include "ag_fsm.h"
#include "ag_log.h"
#include "ag_raft.h"
#include "ag_revoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REVOKE_DEFAULT_TTL_S	(367LL * 86400)	/* > the longest token */

typedef void	(*trust_fn)(struct ag_node *, const char *body, size_t len,
		    const struct ag_principal *, const struct ag_reply_to *,
		    struct ag_api_reply *);

static void	trust_revoke(struct ag_node *, const char *, size_t,
		    const struct ag_principal *, const struct ag_reply_to *,
		    struct ag_api_reply *);

static const struct trust_route {
	const char		*method;
	const char		*path;
	enum ag_api_auth	 scope;
	int			 internal;
	trust_fn		 fn;
} trust_routes[] = {
	{ "POST", "/v1/tokens/revoke", AG_API_ADMIN, 0, trust_revoke },
	{ "POST", "/v1/nodes/deny", AG_API_ADMIN, 0, ag_node_trust_deny },
	{ "POST", "/v1/nodes/allow", AG_API_ADMIN, 0, ag_node_trust_allow },
	{ "POST", "/v1/internal/audit/anchor", AG_API_ADMIN, 1,
	    ag_node_trust_anchor },
};

#define NROUTES	(sizeof trust_routes / sizeof trust_routes[0])

static const struct trust_route *
route(const char *method, const char *path)
{
	size_t	i;

	for (i = 0; i < NROUTES; i++)
		if (strcmp(trust_routes[i].method, method) == 0 &&
		    strcmp(trust_routes[i].path, path) == 0)
			return &trust_routes[i];
	return NULL;
}

int
ag_node_trust_scope(const char *method, const char *path,
    enum ag_api_auth *scope, int *internal)
{
	const struct trust_route	*t = route(method, path);

	if (t == NULL)
		return -1;
	*scope = t->scope;
	*internal = t->internal;
	return 0;
}

int
ag_node_trust_call(struct ag_node *n, const char *method, const char *path,
    const char *body, size_t len, const struct ag_principal *who,
    const struct ag_reply_to *to, struct ag_api_reply *r)
{
	const struct trust_route	*t = route(method, path);

	if (t == NULL)
		return -1;
	if (t->internal && to->req != NULL) {
		ag_api_error(r, 404, "not_found", "%s is not an API route",
		    path);
		return 0;
	}
	t->fn(n, body, len, who, to, r);
	return 0;
}

/* --- proposing ------------------------------------------------------------- */

struct trust_ctx {
	struct ag_node	*n;
	uint64_t	 seq;
	json_t		*extra;
};

static const char *
status_code(enum ag_fsm_status s, int *http)
{
	switch (s) {
	case AG_FSM_NOTFOUND:
		*http = 404;
		return "not_found";
	case AG_FSM_STALE:
		*http = 409;
		return "stale";
	case AG_FSM_FULL:
		*http = 507;
		return "full";
	default:
		*http = 500;
		return "refused";
	}
}

static void
trust_committed(void *arg, int status, const struct ag_fsm_result *res,
    uint64_t index)
{
	struct trust_ctx	*c = arg;
	struct ag_node		*n = c->n;
	struct ag_decision	*d = ag_node_decision_find(n, c->seq);
	struct ag_api_reply	 r = { .status = 500 };
	json_t			*extra = c->extra;
	const char		*code;
	int			 http;

	free(c);
	if (d == NULL) {
		json_decref(extra);
		return;
	}
	if (status != 0) {
		ag_api_error(&r, 503, status == RAFT_LEADERSHIPLOST ?
		    "outcome_unknown" : "not_leader", "%s: the %s %s; retry",
		    raft_strerror(status), d->action,
		    status == RAFT_LEADERSHIPLOST ? "may or may not have been "
		    "committed" : "was not committed");
	} else if (res->status != AG_FSM_OK) {
		code = status_code(res->status, &http);
		(void)ag_node_audit(n, d->actor, d->action, d->object, 0,
		    "refused by the log at index %llu: %s",
		    (unsigned long long)index, res->why);
		ag_api_error(&r, http, code, "%s", res->why);
	} else {
		(void)ag_node_audit(n, d->actor, d->action, d->object, 1,
		    "committed at index %llu", (unsigned long long)index);
		ag_log(AG_LOG_NOTICE, "%s %s by %s, log index %llu",
		    d->action, d->object, d->actor, (unsigned long long)index);
		r.status = 200;
		r.body = extra != NULL ? extra : json_object();
		extra = NULL;
		(void)json_object_set_new(r.body, "index",
		    json_integer((json_int_t)index));
	}
	json_decref(extra);
	ag_node_decision_finish(n, d, &r);
}

void
ag_node_trust_propose(struct ag_node *n, const struct ag_fsm_cmd *cmd,
    const struct ag_reply_to *to, const char *actor, const char *action,
    const char *object, json_t *extra, struct ag_api_reply *r)
{
	struct ag_fsm_cmd	 c = *cmd;
	struct ag_decision	*d;
	struct trust_ctx	*t;
	uint64_t		 term;
	char			 err[256];

	if (!ag_node_is_leader(n, &term)) {
		json_decref(extra);
		ag_api_error(r, 503, "not_leader", "retry");
		return;
	}
	if ((d = ag_node_decision_new(n, to, action)) == NULL ||
	    (t = calloc(1, sizeof *t)) == NULL) {
		if (d != NULL)
			ag_node_decision_drop(n, d);
		json_decref(extra);
		ag_api_error(r, 503, "busy", "too many calls in flight; retry");
		return;
	}
	(void)snprintf(d->actor, sizeof d->actor, "%s", actor);
	(void)snprintf(d->object, sizeof d->object, "%s", object);
	t->n = n;
	t->seq = d->seq;
	t->extra = extra;
	c.term = term;
	if (c.now == 0)
		c.now = (int64_t)time(NULL);
	if (ag_raft_propose(ag_cluster_raft(n->cluster), &c, trust_committed,
	    t, err, sizeof err) != 0) {
		ag_node_decision_drop(n, d);
		json_decref(extra);
		free(t);
		ag_api_error(r, 503, "not_leader", "cannot propose: %s", err);
		return;
	}
	r->status = AG_API_DEFERRED;
}

/* --- entry points ---------------------------------------------------------- */

/* The HTTP route of every non-internal trust call. */
void
ag_node_api_trust(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct ag_node		*n = ctx;
	const char		*path = evhttp_request_get_uri(req);
	const char		*method = evhttp_request_get_command(req) ==
				    EVHTTP_REQ_POST ? "POST" : "DELETE";
	struct ag_reply_to	 to;
	char			*body;
	size_t			 len = 0;

	if ((body = ag_api_body(req, &len)) == NULL) {
		ag_api_error(r, 413, "too_large", "body over %d bytes",
		    AG_API_MAX_BODY);
		return;
	}
	memset(&to, 0, sizeof to);
	to.req = req;
	if (!ag_node_is_leader(n, NULL))
		ag_node_forward(n, req, method, path, body, len, r);
	else if (ag_node_trust_call(n, method, path, body, len, &n->who,
	    &to, r) != 0)
		ag_api_error(r, 404, "not_found", "no such call");
	free(body);
}

void
ag_node_trust_submit(struct ag_node *n, const char *path, json_t *body)
{
	struct ag_api_reply	 r = { .status = 0 };
	struct ag_principal	 self;	/* internal calls use to.peer */
	struct ag_reply_to	 to;
	char			*text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (text == NULL)
		return;
	memset(&to, 0, sizeof to);
	if (ag_node_is_leader(n, NULL)) {
		(void)snprintf(to.peer, sizeof to.peer, "%s",
		    n->trust.node_id);
		memset(&self, 0, sizeof self);
		if (ag_node_trust_call(n, "POST", path, text, strlen(text),
		    &self, &to, &r) == 0 && r.status != AG_API_DEFERRED &&
		    r.status != 0)
			json_decref(r.body);
	} else
		ag_node_forward_oneway(n, "POST", path, text, strlen(text));
	free(text);
}

/* --- revocations ----------------------------------------------------------- */

static int
revoke_args(const char *body, size_t len, uint8_t *id, int64_t *expires,
    char *err, size_t errlen)
{
	json_t		*j, *ji, *je;
	int		 rc = -1;

	if ((j = ag_api_parse_object(body, len, err, errlen)) == NULL)
		return -1;
	ji = json_object_get(j, "id");
	je = json_object_get(j, "expires");
	if (!json_is_string(ji) ||
	    ag_revoke_parse_id(json_string_value(ji), id) != 0)
		(void)snprintf(err, errlen, "id: the token id, 32 hex digits "
		    "(`exogpu token inspect` shows it as cti)");
	else if (je != NULL && (!json_is_integer(je) ||
	    json_integer_value(je) < 0))
		(void)snprintf(err, errlen, "expires: unix seconds (the "
		    "token's exp)");
	else {
		*expires = je != NULL ? (int64_t)json_integer_value(je) : 0;
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/*
 * The expiry kept: the token's own (given), else the log's horizon (366
 * days); never past the longest token lifetime this cluster accepts
 * (--token-max-age) plus the clock skew - a token older than that is
 * refused anyway.
 */
static int64_t
revoke_expiry(const struct ag_node *n, int64_t given, int64_t now)
{
	int64_t	exp = given != 0 ? given : now + REVOKE_DEFAULT_TTL_S;
	int64_t	max_age = n->cfg->token_max_age_s;

	if (max_age > 0 && exp > now + max_age + n->auth.skew)
		exp = now + max_age + n->auth.skew;
	if (exp > now + AG_FSM_REVOKE_HORIZON)	/* the log clamps it too */
		exp = now + AG_FSM_REVOKE_HORIZON;
	return exp;
}

static void
trust_revoke(struct ag_node *n, const char *body, size_t len,
    const struct ag_principal *who, const struct ag_reply_to *to,
    struct ag_api_reply *r)
{
	struct ag_fsm_cmd	*cmd;
	int64_t			 expires, now = (int64_t)time(NULL);
	char			 err[256], actor[200], object[64];
	char			 hex[2 * AG_REVOKE_ID_LEN + 1];

	if ((cmd = calloc(1, sizeof *cmd)) == NULL) {
		ag_api_error(r, 503, "busy", "out of memory");
		return;
	}
	if (revoke_args(body, len, cmd->token_id, &expires, err,
	    sizeof err) != 0) {
		ag_api_error(r, 400, "bad_request", "%s", err);
		goto out;
	}
	ag_revoke_id_hex(cmd->token_id, hex);
	ag_auth_actor(who, actor, sizeof actor);
	(void)snprintf(object, sizeof object, "token/%s", hex);
	expires = revoke_expiry(n, expires, now);
	if (expires < now - n->auth.skew) {
		ag_api_error(r, 400, "already_expired", "token %s expired at "
		    "%lld: it is refused anyway", hex, (long long)expires);
		goto out;
	}
	cmd->op = AG_FSM_OP_REVOKE;
	cmd->now = now;
	cmd->expires = expires;
	ag_node_trust_propose(n, cmd, to, actor, "revoke", object,
	    json_pack("{s:s, s:I}", "revoked", hex, "expires",
	    (json_int_t)expires), r);
out:
	free(cmd);
}

/*
 * Whether this node's copy of the log is complete enough to answer for
 * revocations: a leader is known, it told us its commit index (its
 * announcement when our session came up), and we applied that far and
 * as far as we know committed.  A restarted or new node replays the log
 * only once a leader tells it the commit index, and raft tells a follower
 * only as much as the entries it sent it; our own commit index alone let
 * a restarted node serve before it applied a revocation committed while
 * it was down (seen in itest_tenants).  Token checks wait for this (503
 * catching_up).  Once true it stays true: a node cut off later serves
 * with what it has (docs/tokens.md).
 */
int
ag_node_trust_ready(struct ag_node *n)
{
	struct ag_cluster_status	st;

	if (n->trust_caught_up)
		return 1;
	ag_cluster_status(n->cluster, &st);
	if (st.leader[0] != '\0' && st.applied_index >= st.commit_index &&
	    st.commit_index > 0 && st.leader_commit > 0 &&
	    st.applied_index >= st.leader_commit)
		n->trust_caught_up = 1;
	return n->trust_caught_up;
}

/* The auth check's question: is this token id revoked by the log? */
int
ag_node_trust_revoked(const uint8_t *cti, size_t len, void *arg)
{
	struct ag_node	*n = arg;

	return ag_fsm_is_revoked(ag_raft_fsm(ag_cluster_raft(n->cluster)),
	    cti, len);
}
