/*
 * ag_node_obs.c - the node's observer: once a second it reads this node's
 * state, feeds the alert engine (ag_alert.h) and records what changed in
 * the cluster in the event log (ag_events.h); GET /v1/events serves both.
 *
 * Why polling: the facts it watches already live in the node (the last
 * published record, the peer table, the cluster status, the placements),
 * so diffing them once a second needs no hooks in the code that changes
 * them; the cost is one member list and one placement list a second.  Each node alerts on its own
 * devices, links and view of the cluster only; a dashboard wanting the
 * whole cluster asks every node (docs/alerts.md).
 *
 * Everything here is bounded: the alert table (AG_ALERT_CAP), the event
 * ring (AG_EVENTS_MAX), the members remembered (OBS_MAX_MEMBERS; members
 * past that are not diffed and that is logged once) and the placements
 * (AG_PLACE_MAX, as many as a leader can hold).
 */
#include "ag_node_int.h"
#include "ag_alert.h"
#include "ag_events.h"
#include "ag_log.h"
#include "ag_place.h"

#include <sys/queue.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/keyvalq_struct.h>

#define OBS_EVERY_S		1.0
#define OBS_MAX_MEMBERS		256
#define OBS_LOSS_MIN_PKTS	32	/* packets sent before a loss reading */
#define OBS_QUERY_MAX		256	/* bytes of /v1/events query */
#define OBS_STATE_MAX		16
#define OBS_TAKEOVER_S		5.0	/* a new leader's list may lag */
/*
 * quorum_lost is not evaluated for the first OBS_START_GRACE_S after the
 * agent started: a node joining a cluster waits for the bootstrap window,
 * its first connections and its admission to the log, which at 16-32
 * nodes on one machine takes a few seconds - not an outage.  A node that
 * still sees no leader with quorum after the grace raises it after the
 * usual hold (docs/alerts.md).
 */
#define OBS_START_GRACE_S	30.0

enum obs_rule { R_TEMP, R_MEMORY, R_BATTERY, R_LOSS, R_QUORUM, R_AUDIT,
    R_COUNT };

struct obs_member {
	char	id[SEC_NODE_ID_SIZE];
	char	state[OBS_STATE_MAX];
	int	seen;
};

struct obs_place {
	uint64_t	id, epoch;
	char		model[64];
};

/* Loss is measured over a window, not the connection's whole life. */
struct obs_loss {
	const struct ag_link	*link;
	uint64_t		 lost0, sent0;
};

struct ag_obs {
	struct ag_alert_set	*alerts;
	struct ag_events	 events;
	double			 next;		/* monotonic */
	int			 alerts_full;
	char			 leader[32];	/* as ag_cluster_status */
	uint64_t		 term;
	double			 leader_at;	/* monotonic: it changed */
	int			 nmembers;
	int			 members_full;
	struct obs_member	 members[OBS_MAX_MEMBERS];
	int			 have_places;
	int			 nplaces;
	struct obs_place	 places[AG_PLACE_MAX];
	struct obs_loss		 loss[AG_MAX_PEERS];
};

static double
unix_now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum ag_level
log_level(enum ag_event_level l)
{
	switch (l) {
	case AG_EVENT_CRITICAL:
		return AG_LOG_ERR;
	case AG_EVENT_WARNING:
		return AG_LOG_WARNING;
	case AG_EVENT_INFO:
		break;
	}
	return AG_LOG_NOTICE;
}

/* An event: into the ring and the log, at the matching level. */
static void
record(struct ag_obs *o, enum ag_event_level level, const char *kind,
    const char *object, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
record(struct ag_obs *o, enum ag_event_level level, const char *kind,
    const char *object, const char *fmt, ...)
{
	char	msg[AG_EVENT_MESSAGE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	(void)ag_events_add(&o->events, unix_now(), level, kind, object, "%s",
	    msg);
	ag_log(log_level(level), "event %s %s: %s", kind,
	    object[0] != '\0' ? object : "-", msg);
}

void
ag_node_obs_event(struct ag_node *n, int level, const char *kind,
    const char *object, const char *fmt, ...)
{
	char	msg[AG_EVENT_MESSAGE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n->obs != NULL)
		record(n->obs, (enum ag_event_level)level, kind, object, "%s",
		    msg);
	else
		ag_log(AG_LOG_NOTICE, "event %s %s: %s", kind, object, msg);
}

/* --- alerts ------------------------------------------------------------- */

/* How a rule's values read in messages. */
static void
show(const struct ag_alert *a, double v, char *buf, size_t size)
{
	switch ((enum obs_rule)a->rule) {
	case R_TEMP:
		(void)snprintf(buf, size, "%.1f C", v);
		break;
	case R_MEMORY:
	case R_BATTERY:
	case R_LOSS:
		(void)snprintf(buf, size, "%.1f%%", v * 100);
		break;
	case R_QUORUM:
	case R_AUDIT:
	case R_COUNT:
		(void)snprintf(buf, size, "%g", v);
		break;
	}
}

static void
on_alert(const struct ag_alert *a, enum ag_alert_change ch, void *arg)
{
	struct ag_obs	*o = arg;
	const char	*up = a->rule == R_BATTERY ? "<=" : ">=";
	const char	*down = a->rule == R_BATTERY ? ">=" : "<=";
	char		 v[32], t[32], c[32];

	show(a, a->value, v, sizeof v);
	show(a, a->threshold, t, sizeof t);
	show(a, a->clear, c, sizeof c);
	if (a->rule == R_AUDIT) {
		if (ch == AG_ALERT_RAISED)
			record(o, AG_EVENT_CRITICAL, "alert_raised", a->object,
			    "audit_anchor: the audit log is behind this node's "
			    "anchor in the cluster log (cut?); audit appends "
			    "refused");
		else
			record(o, AG_EVENT_INFO, "alert_cleared", a->object,
			    "audit_anchor: audit appends allowed again");
		return;
	}
	if (a->rule == R_QUORUM) {
		if (ch == AG_ALERT_RAISED)
			record(o, AG_EVENT_CRITICAL, "alert_raised", a->object,
			    "quorum_lost: this node has seen no leader with "
			    "quorum for %.0f s", a->since - a->pending_since);
		else
			record(o, AG_EVENT_INFO, "alert_cleared", a->object,
			    "quorum_lost: a leader with quorum is back");
		return;
	}
	if (ch == AG_ALERT_RAISED)
		record(o, a->level == AG_ALERT_CRITICAL ? AG_EVENT_CRITICAL :
		    AG_EVENT_WARNING, "alert_raised", a->object,
		    "%s at %s (raises %s %s, clears %s %s)", a->name, v, up, t,
		    down, c);
	else if (ch == AG_ALERT_CLEARED)
		record(o, AG_EVENT_INFO, "alert_cleared", a->object,
		    "%s back to %s (clears %s %s)", a->name, v, down, c);
	else
		record(o, AG_EVENT_INFO, "alert_cleared", a->object,
		    "%s no longer observed (last %s)", a->name, v);
}

static void
observe_devices(struct ag_node *n, double now)
{
	const struct ag_record	*r = n->self_rec;
	char			 obj[AG_ALERT_OBJECT_MAX];
	int			 i;

	for (i = 0; r != NULL && i < r->ndevices; i++) {
		const struct ag_record_device *d = &r->devices[i];

		(void)snprintf(obj, sizeof obj, "%s/%s", n->trust.node_id,
		    d->id);
		ag_alert_observe(n->obs->alerts, R_TEMP, obj,
		    d->temperature_celsius, now, on_alert, n->obs);
		if (d->memory_total_bytes > 0 && isfinite(d->memory_free_bytes))
			ag_alert_observe(n->obs->alerts, R_MEMORY, obj,
			    fmin(1, fmax(0, 1 - d->memory_free_bytes /
			    (double)d->memory_total_bytes)), now, on_alert,
			    n->obs);
	}
	if (r != NULL && r->on_ac == 0)
		ag_alert_observe(n->obs->alerts, R_BATTERY, n->trust.node_id,
		    r->battery_ratio, now, on_alert, n->obs);
}

static void
observe_links(struct ag_node *n, double now)
{
	struct ag_obs		*o = n->obs;
	struct net_quic_stats	 st;
	int			 i;

	for (i = 0; i < n->npeers && i < AG_MAX_PEERS; i++) {
		struct ag_peer	*p = &n->peers[i];
		struct obs_loss	*w = &o->loss[i];
		uint64_t	 sent;

		if (p->link == NULL || !p->link->hello ||
		    net_quic_conn_stats(p->link->conn, &st) != 0)
			continue;
		if (w->link != p->link || st.pkts_sent < w->sent0 ||
		    st.lost_pkts < w->lost0) {
			w->link = p->link;	/* a new connection */
			w->sent0 = st.pkts_sent;
			w->lost0 = st.lost_pkts;
		}
		sent = st.pkts_sent - w->sent0;
		if (sent < OBS_LOSS_MIN_PKTS) {
			ag_alert_touch(o->alerts, R_LOSS, p->node_id);
			continue;
		}
		ag_alert_observe(o->alerts, R_LOSS, p->node_id,
		    fmin(1, (double)(st.lost_pkts - w->lost0) / (double)sent),
		    now, on_alert, o);
		w->sent0 = st.pkts_sent;
		w->lost0 = st.lost_pkts;
	}
}

static void
check_full(struct ag_node *n)
{
	struct ag_obs	*o = n->obs;
	size_t		 d = ag_alert_dropped_round(o->alerts);

	if (d > 0 && !o->alerts_full)
		record(o, AG_EVENT_WARNING, "alerts_full", n->trust.node_id,
		    "%d alerts tracked; %zu new condition(s) not tracked "
		    "until some clear", AG_ALERT_CAP, d);
	o->alerts_full = d > 0;
}

/* --- cluster events ------------------------------------------------------ */

static void
watch_leader(struct ag_node *n, const struct ag_cluster_status *cs,
    double now)
{
	struct ag_obs	*o = n->obs;

	if (strcmp(cs->leader, o->leader) == 0 &&
	    (cs->leader[0] == '\0' || cs->term == o->term))
		return;
	if (cs->leader[0] == '\0')
		record(o, AG_EVENT_WARNING, "leader_changed", o->leader,
		    "no leader with quorum (term %llu)",
		    (unsigned long long)cs->term);
	else
		record(o, AG_EVENT_INFO, "leader_changed", cs->leader,
		    "%s leads (term %llu)%s", cs->leader,
		    (unsigned long long)cs->term, strcmp(cs->leader,
		    n->trust.node_id) == 0 ? ": this node" : "");
	(void)snprintf(o->leader, sizeof o->leader, "%s", cs->leader);
	o->term = cs->term;
	o->leader_at = now;
}

static struct obs_member *
member_find(struct ag_obs *o, const char *id)
{
	int	i;

	for (i = 0; i < o->nmembers; i++)
		if (strcmp(o->members[i].id, id) == 0)
			return &o->members[i];
	return NULL;
}

static void
member_event(struct ag_obs *o, const char *id, const char *name,
    const char *was, const char *state)
{
	const char	*who = name[0] != '\0' ? name : id;

	if (strcmp(state, "alive") == 0 && strcmp(was, "suspect") == 0)
		record(o, AG_EVENT_INFO, "member_alive", id, "%s is no longer "
		    "suspected", who);
	else if (strcmp(state, "alive") == 0)
		record(o, AG_EVENT_INFO, "member_joined", id, "%s %s", who,
		    was[0] != '\0' ? "rejoined" : "joined");
	else if (strcmp(state, "suspect") == 0)
		record(o, AG_EVENT_WARNING, "member_suspect", id, "%s is "
		    "suspected (not heard from)", who);
	else if (strcmp(state, "dead") == 0)
		record(o, AG_EVENT_WARNING, "member_dead", id, "%s is dead "
		    "(gone without leaving)", who);
	else if (strcmp(state, "left") == 0)
		record(o, AG_EVENT_INFO, "member_left", id, "%s left the "
		    "cluster", who);
	else
		record(o, AG_EVENT_INFO, "member_changed", id, "%s is %s", who,
		    state);
}

static void
member_seen(struct ag_node *n, const char *id, const char *name,
    const char *state)
{
	struct ag_obs		*o = n->obs;
	struct obs_member	*m = member_find(o, id);

	if (m == NULL) {
		if (o->nmembers == OBS_MAX_MEMBERS) {
			if (!o->members_full)
				ag_log(AG_LOG_WARNING, "events: more than %d "
				    "members; not following the rest",
				    OBS_MAX_MEMBERS);
			o->members_full = 1;
			return;
		}
		m = &o->members[o->nmembers++];
		(void)snprintf(m->id, sizeof m->id, "%s", id);
		m->state[0] = '\0';
	}
	m->seen = 1;
	if (strcmp(m->state, state) == 0)
		return;
	member_event(o, id, name, m->state, state);
	(void)snprintf(m->state, sizeof m->state, "%s", state);
}

static void
watch_members(struct ag_node *n)
{
	struct ag_obs	*o = n->obs;
	json_t		*a = ag_cluster_members_json(n->cluster, NULL, NULL);
	json_t		*m;
	size_t		 i;
	int		 k;

	if (a == NULL)
		return;
	for (k = 0; k < o->nmembers; k++)
		o->members[k].seen = 0;
	json_array_foreach(a, i, m) {
		const char *id = json_string_value(json_object_get(m,
		    "node_id"));
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *st = json_string_value(json_object_get(m, "state"));

		if (id == NULL || st == NULL || strcmp(id, n->trust.node_id) == 0)
			continue;
		member_seen(n, id, name != NULL ? name : "", st);
	}
	json_decref(a);
	for (k = 0; k < o->nmembers; k++) {
		if (o->members[k].seen)
			continue;
		record(o, AG_EVENT_INFO, "member_removed", o->members[k].id,
		    "no longer listed (was %s)", o->members[k].state);
		o->members[k--] = o->members[--o->nmembers];
	}
}

/*
 * Just after a leader change the new leader's gossiped record can still
 * be the one from before it led (no placements): an empty list then is
 * not believed for OBS_TAKEOVER_S, so a takeover does not read as every
 * placement released and created again.
 */
static void
watch_places(struct ag_node *n, double now)
{
	struct ag_obs	*o = n->obs;
	struct ag_places *ps = malloc(sizeof *ps);
	char		 obj[24], err[160];
	int		 i, k, found;

	if (ps == NULL || ag_node_live_places(n, ps, err, sizeof err) != 0 ||
	    (ps->n == 0 && o->nplaces > 0 &&
	    now - o->leader_at < OBS_TAKEOVER_S)) {
		free(ps);
		return;
	}
	for (i = 0; o->have_places && i < ps->n; i++) {
		const struct ag_placement *p = &ps->p[i];

		(void)snprintf(obj, sizeof obj, "%llu",
		    (unsigned long long)p->id);
		for (k = 0; k < o->nplaces && o->places[k].id != p->id; k++)
			continue;
		if (k == o->nplaces)
			record(o, AG_EVENT_INFO, "placement_created", obj,
			    "%s placed on %d stage(s) (term %llu, epoch %llu)",
			    p->model.name, p->nstages,
			    (unsigned long long)p->term,
			    (unsigned long long)p->epoch);
		else if (o->places[k].epoch != p->epoch)
			record(o, AG_EVENT_INFO, "placement_replanned", obj,
			    "%s re-planned onto %d stage(s) (epoch %llu)",
			    p->model.name, p->nstages,
			    (unsigned long long)p->epoch);
	}
	for (k = 0; o->have_places && k < o->nplaces; k++) {
		for (i = 0, found = 0; i < ps->n && !found; i++)
			found = ps->p[i].id == o->places[k].id;
		if (found)
			continue;
		(void)snprintf(obj, sizeof obj, "%llu",
		    (unsigned long long)o->places[k].id);
		record(o, AG_EVENT_INFO, "placement_released", obj,
		    "%s released", o->places[k].model);
	}
	o->nplaces = 0;
	for (i = 0; i < ps->n && i < AG_PLACE_MAX; i++) {
		o->places[o->nplaces].id = ps->p[i].id;
		o->places[o->nplaces].epoch = ps->p[i].epoch;
		(void)snprintf(o->places[o->nplaces].model,
		    sizeof o->places[0].model, "%s", ps->p[i].model.name);
		o->nplaces++;
	}
	o->have_places = 1;	/* the first list is the baseline */
	free(ps);
}

/* --- life cycle ---------------------------------------------------------- */

int
ag_node_obs_init(struct ag_node *n, char *err, size_t errlen)
{
	const struct ag_config	*c = n->cfg;
	struct ag_obs		*o;
	struct ag_alert_rule	 rules[R_COUNT] = {
		[R_TEMP] = { "temperature", 0, c->alert_temp_c,
		    c->alert_temp_clear_c, 0, AG_ALERT_WARNING },
		[R_MEMORY] = { "memory", 0, c->alert_memory,
		    c->alert_memory_clear, 0, AG_ALERT_WARNING },
		[R_BATTERY] = { "battery", 1, c->alert_battery,
		    c->alert_battery_clear, 0, AG_ALERT_WARNING },
		[R_LOSS] = { "link_loss", 0, c->alert_loss,
		    c->alert_loss_clear, (double)c->alert_loss_hold_s,
		    AG_ALERT_WARNING },
		/* 1 while there is no leader with quorum, else 0. */
		[R_QUORUM] = { "quorum_lost", 0, 1, 0,
		    (double)c->alert_quorum_hold_s, AG_ALERT_CRITICAL },
		/* 1 while the audit log refuses appends (ag_node_anchor.c). */
		[R_AUDIT] = { "audit_anchor", 0, 1, 0, 0, AG_ALERT_CRITICAL },
	};

	if (ag_config_check(c, err, errlen) != 0)
		return -1;
	if ((o = calloc(1, sizeof *o)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((o->alerts = ag_alert_set_new(rules, R_COUNT, AG_ALERT_CAP, err,
	    errlen)) == NULL) {
		free(o);
		return -1;
	}
	ag_events_init(&o->events);
	n->obs = o;
	return 0;
}

void
ag_node_obs_free(struct ag_node *n)
{
	if (n->obs == NULL)
		return;
	ag_alert_set_free(n->obs->alerts);
	free(n->obs);
	n->obs = NULL;
}

void
ag_node_obs_tick(struct ag_node *n, double now)
{
	struct ag_obs			*o = n->obs;
	struct ag_cluster_status	 cs;

	if (o == NULL || n->cluster == NULL || now < o->next)
		return;
	o->next = now + OBS_EVERY_S;
	ag_cluster_status(n->cluster, &cs);
	watch_leader(n, &cs, now);
	watch_members(n);
	watch_places(n, now);
	ag_alert_begin(o->alerts);
	observe_devices(n, now);
	observe_links(n, now);
	if (now - n->started >= OBS_START_GRACE_S)
		ag_alert_observe(o->alerts, R_QUORUM, n->trust.node_id,
		    cs.leader[0] == '\0' || !cs.quorum ? 1 : 0, now, on_alert,
		    o);
	ag_alert_observe(o->alerts, R_AUDIT, n->trust.node_id,
	    ag_auditlog_blocked(n->audit) != NULL ? 1 : 0, now, on_alert, o);
	ag_alert_sweep(o->alerts, on_alert, o);
	check_full(n);
}

size_t
ag_node_obs_active(struct ag_node *n, const struct ag_alert **out,
    size_t max)
{
	return n->obs != NULL ? ag_alert_active(n->obs->alerts, out, max) : 0;
}

/* --- GET /v1/events ------------------------------------------------------ */

static int
query_uint(const char *v, uint64_t max, uint64_t *out)
{
	char			*end;
	unsigned long long	 x;

	if (v[0] < '0' || v[0] > '9' || strlen(v) > 20)
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end != '\0' || errno != 0 || x > max)
		return -1;
	*out = x;
	return 0;
}

/* since=SEQ&limit=N; 0, or -1 with the reply set to a 400. */
static int
events_query(struct evhttp_request *req, uint64_t *since, size_t *limit,
    struct ag_api_reply *r)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*q = uri != NULL ? evhttp_uri_get_query(uri) :
				    NULL;
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	uint64_t		 x;
	int			 rc = 0;

	*since = 0;
	*limit = 100;
	if (q == NULL || q[0] == '\0')
		return 0;
	if (strlen(q) > OBS_QUERY_MAX || evhttp_parse_query_str(q, &kv) != 0) {
		ag_api_error(r, 400, "bad_query", "malformed query");
		return -1;
	}
	TAILQ_FOREACH(e, &kv, next) {
		if (strcmp(e->key, "since") == 0 &&
		    query_uint(e->value, UINT64_MAX, &x) == 0)
			*since = x;
		else if (strcmp(e->key, "limit") == 0 &&
		    query_uint(e->value, AG_EVENTS_MAX, &x) == 0 && x > 0)
			*limit = (size_t)x;
		else {
			ag_api_error(r, 400, "bad_query", "%s: %s", e->key,
			    strcmp(e->key, "since") == 0 ? "not a sequence "
			    "number" : strcmp(e->key, "limit") == 0 ?
			    "not an integer in 1..512" : "unknown parameter "
			    "(since, limit)");
			rc = -1;
			break;
		}
	}
	evhttp_clear_headers(&kv);
	return rc;
}

static json_t *
events_json(const struct ag_event *const *ev, size_t k)
{
	json_t	*a = json_array(), *o;
	size_t	 i;

	for (i = 0; a != NULL && i < k; i++) {
		o = json_pack("{s:I, s:f, s:s, s:s, s:s, s:s}",
		    "seq", (json_int_t)ev[i]->seq, "time", ev[i]->time,
		    "level", ag_event_level_name(ev[i]->level),
		    "kind", ev[i]->kind, "object", ev[i]->object,
		    "message", ev[i]->message);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
active_json(struct ag_node *n)
{
	const struct ag_alert	*al[AG_ALERT_CAP];
	size_t			 k = ag_node_obs_active(n, al, AG_ALERT_CAP);
	size_t			 i;
	double			 mono = ag_node_now(), wall = unix_now();
	json_t			*a = json_array(), *o;

	for (i = 0; a != NULL && i < k; i++) {
		o = json_pack("{s:s, s:s, s:s, s:f, s:f, s:f}",
		    "rule", al[i]->name, "object", al[i]->object,
		    "level", al[i]->level == AG_ALERT_CRITICAL ? "critical" :
		    "warning", "value", al[i]->value,
		    "threshold", al[i]->threshold,
		    "since", wall - (mono - al[i]->since));
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

void
ag_node_api_events(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct ag_node		*n = ctx;
	const struct ag_event	*ev[AG_EVENTS_MAX];
	uint64_t		 since;
	size_t			 limit, k;
	json_t			*events, *active;

	if (events_query(req, &since, &limit, r) != 0)
		return;
	if (n->obs == NULL) {
		ag_api_error(r, 503, "unavailable", "no event log");
		return;
	}
	k = ag_events_since(&n->obs->events, since, ev, limit);
	events = events_json(ev, k);
	active = active_json(n);
	if (events == NULL || active == NULL) {
		json_decref(events);
		json_decref(active);
		ag_api_error(r, 500, "internal", "out of memory");
		return;
	}
	r->status = 200;
	r->body = json_pack("{s:o, s:o, s:I, s:I}", "events", events,
	    "active", active, "next_seq", (json_int_t)(k > 0 ?
	    ev[k - 1]->seq : n->obs->events.last_seq),
	    "missed", (json_int_t)ag_events_missed(&n->obs->events, since));
}
