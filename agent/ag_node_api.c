/*
 * ag_node_api.c - the agent's HTTP routes: status, peers, members and
 * placements.  Handlers only read node state (placement calls go through
 * ag_node_place.c); the route table at the bottom is what ag_node.c
 * serves.
 */
#include "ag_node_int.h"
#include "ag_log.h"
#include "ag_place.h"
#include "ag_trust.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EXOGPU_VERSION
#define EXOGPU_VERSION "unknown"
#endif

/* --- API ---------------------------------------------------------------- */

static json_t *
num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static void
api_status(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	struct ag_node		*n = ctx;
	struct ag_cluster_status cs;
	int			 i, connected = 0;

	for (i = 0; i < n->npeers; i++)
		connected += n->peers[i].link != NULL &&
		    n->peers[i].link->hello;
	ag_cluster_status(n->cluster, &cs);
	r->status = 200;
	r->body = json_pack("{s:s, s:s, s:s, s:f, s:s, s:i, s:o, s:I, s:b, "
	    "s:s, s:i, s:i, s:i, s:o, s:I, s:I, s:i, s:b}",
	    "node_id", n->trust.node_id, "name", n->name,
	    "version", EXOGPU_VERSION, "uptime_s", ag_node_now() - n->started,
	    "trust_mode", ag_trust_mode_name(n->trust.mode),
	    "peers_connected", connected,
	    "leader", cs.leader[0] ? json_string(cs.leader) : json_null(),
	    "term", (json_int_t)cs.term, "quorum", cs.quorum, "role", cs.role,
	    "members", cs.members, "members_alive", cs.alive,
	    "voters", cs.voters,
	    "cluster_id", cs.cluster_id[0] ? json_string(cs.cluster_id) :
	    json_null(), "commit_index", (json_int_t)cs.commit_index,
	    "applied_index", (json_int_t)cs.applied_index,
	    "servers", cs.servers, "caught_up", ag_node_trust_ready(n));
}

static json_t *
peer_json(struct ag_peer *p)
{
	struct net_quic_stats	 live;
	const struct net_quic_stats *st = NULL;
	int			 connected = p->link != NULL && p->link->hello;

	if (p->link != NULL && net_quic_conn_stats(p->link->conn, &live) == 0) {
		p->stats = live;
		p->have_stats = 1;
	}
	if (p->have_stats)
		st = &p->stats;
	return json_pack("{s:s, s:s, s:s, s:b, s:{s:o, s:o, s:o, s:o}, s:o, "
	    "s:o, s:o, s:o, s:o, s:o}",
	    "node_id", p->node_id, "name", p->name, "addr", p->addr,
	    "connected", connected,
	    "rtt_s",
	    "min", st && st->min_rtt > 0 ? json_real(st->min_rtt) : json_null(),
	    "smoothed", st && st->smoothed_rtt > 0 ?
	    json_real(st->smoothed_rtt) : json_null(),
	    "latest", st && st->latest_rtt > 0 ? json_real(st->latest_rtt) :
	    json_null(),
	    "jitter", st && st->smoothed_rtt > 0 ? json_real(st->rttvar) :
	    json_null(),
	    "loss_ratio", st ? json_real(st->loss_ratio) : json_null(),
	    "bandwidth_bytes_per_s", num_or_null(p->bandwidth),
	    "bandwidth_direction", !isfinite(p->bandwidth) ? json_null() :
	    json_string(p->bw_outgoing ? "outgoing" : "incoming"),
	    "delivery_rate_bytes_per_s", st && st->delivery_rate > 0 ?
	    json_real((double)st->delivery_rate) : json_null(),
	    "udp_payload_bytes", st && st->udp_payload > 0 ?
	    json_integer((json_int_t)st->udp_payload) : json_null(),
	    "measured_at", num_or_null(p->measured_at));
}

static void
api_peers(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	struct ag_node	*n = ctx;
	json_t		*a = json_array();
	int		 i;

	for (i = 0; a != NULL && i < n->npeers; i++) {
		json_t *p = peer_json(&n->peers[i]);

		if (p == NULL || json_array_append_new(a, p) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	r->status = 200;
	r->body = a;
}

static void
api_probe(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	struct ag_node	*n = ctx;
	int		 i, started = 0;

	for (i = 0; i < n->npeers; i++) {
		if (n->peers[i].link == NULL || !n->peers[i].link->hello)
			continue;
		ag_node_start_probe(n, &n->peers[i]);
		started++;
	}
	r->status = 202;
	r->body = json_pack("{s:i, s:I}", "probes_started", started,
	    "probe_bytes", (json_int_t)n->cfg->probe_bytes);
}

static void
api_members(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	struct ag_node	*n = ctx;

	r->status = 200;
	r->body = ag_cluster_members_json(n->cluster, ag_node_peer_info, n);
}

/* POST and DELETE /v1/placements: here if we lead, else at the leader. */
static void
api_place_call(struct ag_node *n, struct evhttp_request *req,
    const char *method, struct ag_api_reply *r)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*query = uri != NULL ?
				    evhttp_uri_get_query(uri) : NULL;
	char			 path[128], *body;
	size_t			 len = 0;

	(void)snprintf(path, sizeof path, "/v1/placements%s%s",
	    query != NULL ? "?" : "", query != NULL ? query : "");
	if ((body = ag_api_body(req, &len)) == NULL) {
		ag_api_error(r, 413, "too_large", "body over %d bytes",
		    AG_API_MAX_BODY);
		return;
	}
	if (ag_node_is_leader(n, NULL)) {
		struct ag_reply_to	to;

		memset(&to, 0, sizeof to);
		to.req = req;
		ag_node_place_call(n, method, path, body, len, &n->who, &to,
		    r);
	} else
		ag_node_forward(n, req, method, path, body, len, r);
	free(body);
}

static void
api_place_post(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	api_place_call(ctx, req, "POST", r);
}

static void
api_place_delete(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	api_place_call(ctx, req, "DELETE", r);
}

/* The live placements: the leader's own list, else its record's. */
static void
api_place_list(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	struct ag_node			*n = ctx;
	struct ag_cluster_status	 st;
	struct ag_places		*ps = calloc(1, sizeof *ps);
	char				 err[160];
	json_t				*a = json_array();
	int				 i;

	ag_cluster_status(n->cluster, &st);
	if (ps != NULL && a != NULL) {
		if (ag_node_live_places(n, ps, err, sizeof err) != 0 &&
		    err[0] != '\0')
			ag_log(AG_LOG_WARNING, "leader's placements: %s", err);
		for (i = 0; i < ps->n; i++)
			if (ag_auth_owns(&n->who, ps->p[i].tenant) &&
			    json_array_append_new(a, ag_node_workers_json(n,
			    &ps->p[i]))
			    != 0)
				break;
	}
	free(ps);
	r->status = 200;
	r->body = json_pack("{s:o, s:o, s:I}", "leader", st.leader[0] ?
	    json_string(st.leader) : json_null(), "placements",
	    a != NULL ? a : json_array(), "applied_index",
	    (json_int_t)st.applied_index);
}

const struct ag_api_route ag_node_routes[] = {
	{ EVHTTP_REQ_GET, "/v1/status", api_status, AG_API_PUBLIC },
	{ EVHTTP_REQ_GET, "/v1/members", api_members, AG_API_READ },
	{ EVHTTP_REQ_GET, "/v1/peers", api_peers, AG_API_READ },
	{ EVHTTP_REQ_POST, "/v1/peers/probe", api_probe, AG_API_ADMIN },
	{ EVHTTP_REQ_GET, "/v1/placements", api_place_list, AG_API_READ },
	{ EVHTTP_REQ_POST, "/v1/placements", api_place_post, AG_API_PLACE },
	{ EVHTTP_REQ_DELETE, "/v1/placements", api_place_delete,
	    AG_API_PLACE },
	{ EVHTTP_REQ_GET, "/", ag_node_api_page, AG_API_PUBLIC },
	{ EVHTTP_REQ_GET, "/v1/devices", ag_node_api_devices, AG_API_READ },
	{ EVHTTP_REQ_GET, "/v1/links", ag_node_api_links, AG_API_READ },
	{ EVHTTP_REQ_GET, "/v1/events", ag_node_api_events, AG_API_READ },
	{ EVHTTP_REQ_GET, "/v1/nodes/denied", ag_node_api_denied,
	    AG_API_READ },
	{ EVHTTP_REQ_POST, "/v1/nodes/deny", ag_node_api_trust, AG_API_ADMIN },
	{ EVHTTP_REQ_POST, "/v1/nodes/allow", ag_node_api_trust,
	    AG_API_ADMIN },
	{ EVHTTP_REQ_POST, "/v1/tokens/revoke", ag_node_api_trust,
	    AG_API_ADMIN },
	{ EVHTTP_REQ_GET, "/v1/audit", ag_node_api_audit, AG_API_ADMIN },
	{ EVHTTP_REQ_GET, "/v1/audit/anchors", ag_node_api_anchors,
	    AG_API_ADMIN },
	{ EVHTTP_REQ_POST, "/v1/tokens", ag_node_api_issue, AG_API_ISSUE },
	{ EVHTTP_REQ_GET, "/v1/tunnels", ag_node_api_tunnels, AG_API_READ },
	{ EVHTTP_REQ_POST, "/v1/tunnels", ag_node_api_tunnels, AG_API_PLACE },
	{ EVHTTP_REQ_GET, "/metrics", ag_node_api_metrics, AG_API_READ },
	{ 0, NULL, NULL, AG_API_PUBLIC },
};
