/*
 * ag_node_fwd.c - answering placement calls and carrying them to the
 * leader.
 *
 * A placement call is answered only after the log decided it, so the
 * answer is late: a "decision" remembers where it goes - a local HTTP
 * request (NULL once its client left) or a follower that forwarded the
 * call (its node id and the call's id) - until ag_node_place.c finishes
 * it.  A follower forwards calls it cannot decide to the leader over the
 * control stream (API_REQ) and relays the answer (API_RESP) to its own
 * client, or a timeout when none comes.
 */
#include "ag_node_int.h"
#include "ag_forward.h"
#include "ag_log.h"

#include "net_wire.h"
#include "sec_cbor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FWD_TIMEOUT_S		30.0	/* a solve's budget plus a commit */

/* --- decisions: calls waiting for the log ---------------------------------- */

static void
decision_conn_closed(struct evhttp_connection *conn, void *arg)
{
	struct ag_decision	*d = arg;

	d->to.req = NULL;	/* the client left; the decision goes on */
}

struct ag_decision *
ag_node_decision_new(struct ag_node *n, const struct ag_reply_to *to,
    const char *action)
{
	struct ag_decision	*d;
	int			 i;

	for (i = 0; i < AG_NODE_MAX_DECISIONS; i++) {
		d = &n->decisions[i];
		if (d->seq != 0)
			continue;
		memset(d, 0, sizeof *d);
		d->node = n;
		d->seq = ++n->decision_seq;
		d->to = *to;
		d->started = ag_node_now();
		(void)snprintf(d->action, sizeof d->action, "%s", action);
		if (d->to.req != NULL)
			evhttp_connection_set_closecb(
			    evhttp_request_get_connection(d->to.req),
			    decision_conn_closed, d);
		return d;
	}
	return NULL;
}

struct ag_decision *
ag_node_decision_find(struct ag_node *n, uint64_t seq)
{
	int	i;

	for (i = 0; seq != 0 && i < AG_NODE_MAX_DECISIONS; i++)
		if (n->decisions[i].seq == seq)
			return &n->decisions[i];
	return NULL;
}

/* Forgets d without answering (the caller answers synchronously). */
void
ag_node_decision_drop(struct ag_node *n, struct ag_decision *d)
{
	if (d->to.req != NULL)
		evhttp_connection_set_closecb(
		    evhttp_request_get_connection(d->to.req), NULL, NULL);
	memset(d, 0, sizeof *d);
}

/* Sends an API_RESP for call id to the peer; the body is consumed. */
static void
send_resp(struct ag_node *n, struct ag_link *l, uint64_t id,
    struct ag_api_reply *r)
{
	struct ag_fwd_resp	 a;
	struct sec_cbor_writer	 w;
	uint8_t			*msg = malloc(NET_WIRE_MAX_MSG);
	size_t			 mlen;
	char			 err[160], *text = NULL;

	if (r->body != NULL)
		text = json_dumps(r->body, 0);
	json_decref(r->body);
	r->body = NULL;
	memset(&a, 0, sizeof a);
	a.id = id;
	a.status = (unsigned)r->status;
	a.body = (const uint8_t *)(text != NULL ? text : "{}");
	a.body_len = text != NULL ? strlen(text) : 2;
	sec_cbor_writer_dynamic(&w, NET_WIRE_MAX_MSG - 256);
	if (msg != NULL && l != NULL && ag_fwd_encode_resp(&a, &w) == 0 &&
	    net_wire_encode_raw(msg, NET_WIRE_MAX_MSG, &mlen,
	    NET_WIRE_API_RESP, n->trust.node_id, 0, sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), err, sizeof err) == 0)
		ag_node_send(l, msg, mlen);
	sec_cbor_writer_release(&w);
	free(text);
	free(msg);
}

void
ag_node_decision_finish(struct ag_node *n, struct ag_decision *d,
    struct ag_api_reply *r)
{
	int	pi;

	if (d->to.req != NULL) {
		evhttp_connection_set_closecb(
		    evhttp_request_get_connection(d->to.req), NULL, NULL);
		ag_api_finish(d->to.req, r);
	} else if (d->to.peer[0] != '\0') {
		pi = ag_node_peer_find(n, d->to.peer);
		send_resp(n, pi >= 0 && n->peers[pi].link != NULL &&
		    n->peers[pi].link->hello ? n->peers[pi].link : NULL,
		    d->to.fwd_id, r);
	} else
		json_decref(r->body);
	memset(d, 0, sizeof *d);
}

/* Answers every waiting call (the agent stops). */
void
ag_node_decisions_abort(struct ag_node *n)
{
	struct ag_api_reply	r;
	int			i;

	for (i = 0; i < AG_NODE_MAX_DECISIONS; i++) {
		if (n->decisions[i].seq == 0)
			continue;
		memset(&r, 0, sizeof r);
		ag_api_error(&r, 503, "shutting_down", "the agent is "
		    "stopping; the outcome is unknown");
		ag_node_decision_finish(n, &n->decisions[i], &r);
	}
}

/* --- forwarding to the leader --------------------------------------------- */

static void
fwd_conn_closed(struct evhttp_connection *conn, void *arg)
{
	struct fwd_pending	*f = arg;

	f->req = NULL;		/* the client left; drop the answer */
}

/* The leader's peer slot with a live session, or -1. */
static int
leader_peer(struct ag_node *n, char *leader, size_t size)
{
	struct ag_cluster_status	st;
	int				pi;

	ag_cluster_status(n->cluster, &st);
	(void)snprintf(leader, size, "%.*s", (int)size - 1, st.leader);
	if (st.leader[0] == '\0' || (pi = ag_node_peer_find(n, st.leader)) < 0 ||
	    n->peers[pi].link == NULL || !n->peers[pi].link->hello)
		return -1;
	return pi;
}

static int
fwd_send(struct ag_node *n, int pi, const struct ag_fwd_req *q)
{
	struct sec_cbor_writer	 w;
	uint8_t			*msg = malloc(NET_WIRE_MAX_MSG);
	size_t			 mlen;
	char			 err[160];
	int			 rc = -1;

	sec_cbor_writer_dynamic(&w, NET_WIRE_MAX_MSG - 256);
	if (msg != NULL && ag_fwd_encode_req(q, &w) == 0 &&
	    net_wire_encode_raw(msg, NET_WIRE_MAX_MSG, &mlen,
	    NET_WIRE_API_REQ, n->trust.node_id, 0, sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), err, sizeof err) == 0 &&
	    net_quic_send_control(n->peers[pi].link->conn, msg, mlen) == 0)
		rc = 0;
	sec_cbor_writer_release(&w);
	free(msg);
	return rc;
}

void
ag_node_forward_oneway(struct ag_node *n, const char *method,
    const char *path, const char *body, size_t len)
{
	struct ag_fwd_req	*q = calloc(1, sizeof *q);
	char			 leader[SEC_NODE_ID_SIZE];
	int			 pi;

	if (q == NULL || len > AG_FWD_BODY_MAX ||
	    (pi = leader_peer(n, leader, sizeof leader)) < 0) {
		free(q);
		return;		/* the caller tries again later */
	}
	(void)snprintf(q->method, sizeof q->method, "%s", method);
	(void)snprintf(q->path, sizeof q->path, "%s", path);
	q->body = (const uint8_t *)body;
	q->body_len = len;
	if (fwd_send(n, pi, q) != 0)
		ag_log(AG_LOG_INFO, "cannot send %s to the leader", path);
	free(q);
}

void
ag_node_forward(struct ag_node *n, struct evhttp_request *req, const char *method,
    const char *path, const char *body, size_t len, struct ag_api_reply *r)
{
	struct ag_fwd_req		 q;
	struct fwd_pending		*f = NULL;
	const char			*token = evhttp_find_header(
					    evhttp_request_get_input_headers(req),
					    "Authorization");
	char				 leader[SEC_NODE_ID_SIZE];
	int				 i, pi;

	if ((pi = leader_peer(n, leader, sizeof leader)) < 0) {
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
	if (fwd_send(n, pi, &q) != 0) {
		ag_api_error(r, 502, "forward_failed", "cannot reach the "
		    "leader");
		return;
	}
	f->id = q.id;
	f->req = req;
	f->deadline = ag_node_now() + FWD_TIMEOUT_S;
	(void)snprintf(f->leader, sizeof f->leader, "%s", leader);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    fwd_conn_closed, f);
	r->status = AG_API_DEFERRED;
}

/* Leader side: run a forwarded call and answer it (now or later). */
void
ag_node_on_api_req(struct ag_link *l, const struct net_wire_msg *m)
{
	struct ag_node		*n = l->node;
	struct ag_fwd_req	 q;
	struct ag_api_reply	 r = { .status = 500 };
	struct ag_principal	 who;
	struct ag_auth_denial	 why;
	struct ag_reply_to	 to;
	enum ag_api_auth	 need = AG_API_PLACE;
	char			 err[160], *body;
	int			 internal = 0;

	if (ag_fwd_decode_req(m->u.raw.payload, m->u.raw.len, &q, err,
	    sizeof err) != 0) {
		ag_log(AG_LOG_WARNING, "bad API_REQ: %s", err);
		return;
	}
	if (l->peer < 0 || (body = malloc(q.body_len + 1)) == NULL)
		return;
	memcpy(body, q.body, q.body_len);
	body[q.body_len] = '\0';
	memset(&to, 0, sizeof to);
	(void)snprintf(to.peer, sizeof to.peer, "%s",
	    n->peers[l->peer].node_id);
	to.fwd_id = q.id;
	/*
	 * The caller's token travelled with the call: the leader checks it
	 * itself, never taking the follower's word for who is calling.
	 */
	(void)ag_node_trust_scope(q.method, q.path, &need, &internal);
	if (internal) {
		/* A member speaking for itself: to.peer says which. */
		memset(&who, 0, sizeof who);
		(void)ag_node_trust_call(n, q.method, q.path, body,
		    q.body_len, &who, &to, &r);
	} else if (ag_auth_check(&n->auth, q.token[0] ? q.token : NULL, need,
	    (int64_t)time(NULL), &who, &why) != 0) {
		ag_node_denied(n, &why, q.path);
		ag_api_error(&r, why.status, why.code, "%s", why.reason);
	} else
		ag_node_place_call(n, q.method, q.path, body, q.body_len, &who,
		    &to, &r);
	free(body);
	if (r.status != AG_API_DEFERRED)
		send_resp(n, l, q.id, &r);
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
	struct ag_api_reply		r = { .status = 504 };
	struct ag_cluster_status	st;
	size_t				i;
	int				pi;

	/* A call forwarded to a leader that is gone will get no answer. */
	ag_cluster_status(n->cluster, &st);
	for (i = 0; i < sizeof n->fwd / sizeof n->fwd[0]; i++) {
		if (n->fwd[i].id == 0)
			continue;
		pi = ag_node_peer_find(n, n->fwd[i].leader);
		if (strcmp(st.leader, n->fwd[i].leader) != 0 || pi < 0 ||
		    n->peers[pi].link == NULL) {
			ag_api_error(&r, 503, "leader_lost", "the leader "
			    "changed before answering; the call may or may "
			    "not have been carried out: list, then retry");
			fwd_finish(&n->fwd[i], &r);
			continue;
		}
		if (now < n->fwd[i].deadline)
			continue;
		ag_api_error(&r, 504, "leader_timeout", "the leader did not "
		    "answer within %.0f s", FWD_TIMEOUT_S);
		fwd_finish(&n->fwd[i], &r);
	}
}
