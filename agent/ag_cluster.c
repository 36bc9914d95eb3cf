/*
 * ag_cluster.c - drives membership and gossip on the agent's event loop
 * and hands raft's traffic to the replicated log (ag_raft.c); see
 * ag_cluster.h.
 *
 * Shape: one 50 ms timer feeds TICK to the membership and gossip
 * machines; session and message events are fed as they come.  Every
 * action goes through one of two emit functions that encode and send, or
 * record a change.  Raft keeps its own timers (ag_raft.c); this file only
 * routes its messages and tells it who is alive.
 */
#include "ag_cluster.h"
#include "ag_clock.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_log.h"

#include "ag_raft.h"
#include "net_gossip.h"
#include "net_member.h"
#include "sec_cbor.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GOSSIP_TICK_MS		50
#define FORGET_EVERY_MS		1000

/*
 * Quiet timers (docs/cluster.md, "Quiet gossip").  Both repair loops are
 * one exchange with one random peer per period, so their rate per node
 * does not grow with N: the gossip summary every AG_CLUSTER_AE_MS (a
 * fixed-size hash of the table; a full digest follows only when the
 * tables differ - it repairs what a push missed or what a quiet publish
 * did not push; other new records are pushed at once), the
 * membership table every AG_CLUSTER_SYNC_MS (claims are broadcast when
 * made; the sync repairs losses; at 5 s a member killed in itest_raft was
 * still listed 60 s later - the cause is not found yet - so it stays at
 * the 1 s it had).  AG_CLUSTER_DEAD_MS: with member
 * connections kept alive every idle/2 (ag_node.c) a dead peer's sessions
 * time out 1.0-1.5 s after its crash; 1.2 s of suspicion more keeps a kill
 * noticed everywhere in about 2.6 s, as before with keep-alives at idle/3
 * and 1.5 s.
 */
#define AG_CLUSTER_AE_MS	3000
#define AG_CLUSTER_SYNC_MS	1000
#define AG_CLUSTER_DEAD_MS	1200
#define MAX_CONNECTED		4096

struct ag_cluster {
	struct event_base	*base;
	struct event		*tick;
	char			 self[SEC_NODE_ID_SIZE];
	struct ag_cluster_io	 io;
	struct net_member	*member;
	struct net_gossip	*gossip;
	struct ag_raft		*raft;
	uint64_t		 started;
	uint64_t		 next_forget;
	uint64_t		 rng;
	int			 nconn;
	char			 conn[MAX_CONNECTED][SEC_NODE_ID_SIZE];
	struct net_gossip_msg	*rxg;		/* decode scratch (large) */
	struct net_member_msg	*rxm;
	struct ag_cluster_counters ctr;	/* for /metrics */
};

static uint64_t
now_ms(void)
{
	return (uint64_t)(ag_clock_mono() * 1000.0);
}

static enum ag_cluster_proto
proto_of(uint64_t type)
{
	return type == NET_WIRE_MEMBER ? AG_CLUSTER_MEMBERSHIP :
	    type == NET_WIRE_RAFT || type == NET_WIRE_CLUSTER ?
	    AG_CLUSTER_RAFT : AG_CLUSTER_GOSSIP;
}

/* --- sending ------------------------------------------------------------ */

/* Wraps an encoded payload in the envelope and hands it to the transport. */
static void
send_payload(struct ag_cluster *c, const char *peer, uint64_t type,
    uint64_t term, struct sec_cbor_writer *w)
{
	uint8_t	*buf;
	size_t	 len;
	char	 err[160];

	if (sec_cbor_writer_error(w) != 0) {
		ag_log(AG_LOG_WARNING, "cluster: cannot encode message type "
		    "%llu for %s", (unsigned long long)type, peer);
		return;
	}
	if ((buf = malloc(NET_WIRE_MAX_MSG)) == NULL)
		return;
	if (net_wire_encode_raw(buf, NET_WIRE_MAX_MSG, &len, type, c->self,
	    term, sec_cbor_writer_data(w), sec_cbor_writer_len(w), err,
	    sizeof err) != 0)
		ag_log(AG_LOG_WARNING, "cluster: %s", err);
	else if (c->io.send != NULL &&
	    c->io.send(c->io.arg, peer, buf, len) != 0)
		ag_log(AG_LOG_DEBUG, "cluster: cannot send to %s", peer);
	else {
		c->ctr.sent[proto_of(type)]++;
		c->ctr.sent_bytes[proto_of(type)] += len;
	}
	free(buf);
}

static void
member_emit(void *arg, const struct net_member_action *a)
{
	struct ag_cluster	*c = arg;
	struct sec_cbor_writer	 w;

	if (a->type == NET_MEMBER_ACT_CHANGED) {
		ag_log(a->to == NET_MEMBER_DEAD ? AG_LOG_NOTICE : AG_LOG_INFO,
		    "member %s: %s -> %s (incarnation %llu)", a->peer,
		    net_member_status_name(a->from),
		    net_member_status_name(a->to),
		    (unsigned long long)a->incarnation);
		return;
	}
	sec_cbor_writer_dynamic(&w, NET_WIRE_MAX_MSG - 256);
	(void)net_member_wire_encode(a->msg, &w);
	send_payload(c, a->peer, NET_WIRE_MEMBER, 0, &w);
	sec_cbor_writer_release(&w);
}

static void
gossip_emit(void *arg, const struct net_gossip_action *a)
{
	struct ag_cluster	*c = arg;
	struct sec_cbor_writer	 w;

	if (a->type == NET_GOSSIP_ACT_CHANGED) {
		ag_log(AG_LOG_DEBUG, "gossip: %s now at version %llu",
		    a->peer, (unsigned long long)a->version);
		return;
	}
	sec_cbor_writer_dynamic(&w, NET_WIRE_MAX_MSG - 256);
	(void)net_gossip_wire_encode(a->msg, &w);
	send_payload(c, a->peer, net_gossip_wire_type(a->msg->kind), 0, &w);
	sec_cbor_writer_release(&w);
}

/* --- the replicated log ---------------------------------------------------- */

static int conn_find(const struct ag_cluster *, const char *);

/* Raft's messages are already whole control messages. */
static int
raft_send(void *arg, const char *peer, const uint8_t *buf, size_t len)
{
	struct ag_cluster	*c = arg;

	if (c->io.send == NULL || c->io.send(c->io.arg, peer, buf, len) != 0)
		return -1;
	c->ctr.sent[AG_CLUSTER_RAFT]++;
	c->ctr.sent_bytes[AG_CLUSTER_RAFT] += len;
	return 0;
}

static int
raft_alive(void *arg, const char *peer)
{
	struct ag_cluster	*c = arg;

	return conn_find(c, peer) >= 0 &&
	    net_member_status(c->member, peer, NULL) == NET_MEMBER_ALIVE;
}

static void
raft_changed(void *arg)
{
	struct ag_cluster	*c = arg;

	if (c->io.changed != NULL)
		c->io.changed(c->io.arg);
}

static void
raft_yielding(void *arg, const char *from, const char *to,
    const struct ag_fsm *fsm)
{
	struct ag_cluster	*c = arg;

	if (c->io.yielding != NULL)
		c->io.yielding(c->io.arg, from, to, fsm);
}

struct ag_raft *
ag_cluster_raft(struct ag_cluster *c)
{
	return c->raft;
}

/* --- events --------------------------------------------------------------- */

/*
 * Records of nodes that membership no longer knows (dead or left, then
 * reaped after its reap time) are forgotten, so a node that is gone for
 * good stops being gossiped, dialled or shown.
 */
static void
forget_gone(struct ag_cluster *c, uint64_t now)
{
	struct net_gossip_event	 ev;
	const char		*origin;
	size_t			 i;

	for (i = 0; i < net_gossip_capacity(c->gossip); i++) {
		if ((origin = net_gossip_slot(c->gossip, i, NULL)) == NULL ||
		    strcmp(origin, c->self) == 0 ||
		    net_member_status(c->member, origin, NULL) !=
		    NET_MEMBER_NONE)
			continue;
		memset(&ev, 0, sizeof ev);
		ev.type = NET_GOSSIP_EV_FORGET;
		ev.peer = origin;
		ag_log(AG_LOG_INFO, "gossip: forgetting %s (gone)", origin);
		(void)net_gossip_step(c->gossip, &ev, now, gossip_emit, c);
	}
}

int
ag_cluster_member_gone(struct ag_cluster *c, const char *id)
{
	enum net_member_status	s = net_member_status(c->member, id, NULL);

	return s == NET_MEMBER_NONE || s == NET_MEMBER_DEAD ||
	    s == NET_MEMBER_LEFT;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ag_cluster	*c = arg;
	struct net_member_event	 me = { .type = NET_MEMBER_EV_TICK };
	struct net_gossip_event	 ge;
	uint64_t		 now = now_ms();

	me.wall = ag_clock_wall_ms();	/* lines up the probe schedule */
	(void)net_member_step(c->member, &me, now, member_emit, c);
	memset(&ge, 0, sizeof ge);
	ge.type = NET_GOSSIP_EV_TICK;
	(void)net_gossip_step(c->gossip, &ge, now, gossip_emit, c);
	if (now >= c->next_forget) {
		c->next_forget = now + FORGET_EVERY_MS;
		forget_gone(c, now);
	}
}

static int
conn_find(const struct ag_cluster *c, const char *id)
{
	int	i;

	for (i = 0; i < c->nconn; i++)
		if (strcmp(c->conn[i], id) == 0)
			return i;
	return -1;
}

void
ag_cluster_peer_up(struct ag_cluster *c, const char *id)
{
	struct net_member_event	me = { .type = NET_MEMBER_EV_CONN_UP,
	    .peer = id };
	struct net_gossip_event	ge;
	uint64_t		now = now_ms();

	if (conn_find(c, id) < 0 && c->nconn < MAX_CONNECTED)
		(void)snprintf(c->conn[c->nconn++], SEC_NODE_ID_SIZE, "%s",
		    id);
	(void)net_member_step(c->member, &me, now, member_emit, c);
	memset(&ge, 0, sizeof ge);
	ge.type = NET_GOSSIP_EV_PEER_UP;
	ge.peer = id;
	(void)net_gossip_step(c->gossip, &ge, now, gossip_emit, c);
	ag_raft_peer_up(c->raft, id);
}

void
ag_cluster_peer_down(struct ag_cluster *c, const char *id)
{
	struct net_member_event	me = { .type = NET_MEMBER_EV_CONN_DOWN,
	    .peer = id };
	struct net_gossip_event	ge;
	uint64_t		now = now_ms();
	int			i = conn_find(c, id);

	if (i >= 0) {
		memmove(c->conn[i], c->conn[c->nconn - 1], SEC_NODE_ID_SIZE);
		c->nconn--;
	}
	(void)net_member_step(c->member, &me, now, member_emit, c);
	memset(&ge, 0, sizeof ge);
	ge.type = NET_GOSSIP_EV_PEER_DOWN;
	ge.peer = id;
	(void)net_gossip_step(c->gossip, &ge, now, gossip_emit, c);
	ag_raft_peer_down(c->raft, id);
}

void
ag_cluster_leave(struct ag_cluster *c)
{
	struct net_member_event	me = { .type = NET_MEMBER_EV_LEAVE };

	(void)net_member_step(c->member, &me, now_ms(), member_emit, c);
}

int
ag_cluster_handles(uint64_t type)
{
	return type == NET_WIRE_RAFT || type == NET_WIRE_CLUSTER ||
	    type == NET_WIRE_MEMBER ||
	    type == NET_WIRE_GOSSIP_DIGEST || type == NET_WIRE_GOSSIP_RECORDS ||
	    type == NET_WIRE_GOSSIP_WANT || type == NET_WIRE_GOSSIP_SUMMARY;
}

static int
recv_one(struct ag_cluster *c, const char *peer,
    const struct net_wire_msg *m, char *err, size_t errlen)
{
	const uint8_t		*p = m->u.raw.payload;
	size_t			 n = m->u.raw.len;
	uint64_t		 now = now_ms();
	struct net_member_event	 heard = { .type = NET_MEMBER_EV_HEARD,
	    .peer = peer };

	/* Any cluster traffic is proof of life for the detector. */
	if (m->type != NET_WIRE_MEMBER)
		(void)net_member_step(c->member, &heard, now, member_emit, c);
	if (m->type == NET_WIRE_MEMBER) {
		struct net_member_event ev = { .type = NET_MEMBER_EV_RECV,
		    .peer = peer, .msg = c->rxm };

		if (net_member_wire_decode(p, n, c->rxm, err, errlen) != 0)
			return -1;
		return net_member_step(c->member, &ev, now, member_emit, c);
	}
	if (m->type == NET_WIRE_RAFT)
		return ag_raft_recv(c->raft, peer, p, n, err, errlen);
	if (m->type == NET_WIRE_CLUSTER)
		return ag_raft_recv_announce(c->raft, peer, p, n, err, errlen);
	{
		struct net_gossip_event	ev;
		int			kind = net_gossip_wire_kind(m->type);

		if (kind == 0 || net_gossip_wire_decode(
		    (enum net_gossip_kind)kind, p, n, AG_RECORD_MAX_BYTES,
		    c->rxg, err, errlen) != 0)
			return -1;
		memset(&ev, 0, sizeof ev);
		ev.type = NET_GOSSIP_EV_RECV;
		ev.peer = peer;
		ev.msg = c->rxg;
		if (net_gossip_step(c->gossip, &ev, now, gossip_emit, c) != 0) {
			(void)snprintf(err, errlen, "gossip message refused");
			return -1;
		}
	}
	return 0;
}

int
ag_cluster_recv(struct ag_cluster *c, const char *peer,
    const struct net_wire_msg *m, char *err, size_t errlen)
{
	int	rc;

	c->ctr.received[proto_of(m->type)]++;
	if ((rc = recv_one(c, peer, m, err, errlen)) != 0)
		c->ctr.refused++;
	return rc;
}

/* Quiet: stored and announced by the next summary, not pushed. */
static int
publish(struct ag_cluster *c, const struct ag_record *r, bool quiet)
{
	struct net_gossip_event	ev;
	uint8_t			*buf = malloc(AG_RECORD_MAX_BYTES);
	size_t			 len;
	int			 rc = -1;

	if (buf == NULL)
		return -1;
	if (ag_record_encode(r, buf, AG_RECORD_MAX_BYTES, &len) == 0) {
		memset(&ev, 0, sizeof ev);
		ev.type = NET_GOSSIP_EV_PUBLISH;
		ev.data = buf;
		ev.len = len;
		ev.quiet = quiet;
		rc = net_gossip_step(c->gossip, &ev, now_ms(), gossip_emit, c);
	}
	free(buf);
	return rc;
}

int
ag_cluster_publish(struct ag_cluster *c, const struct ag_record *r)
{
	return publish(c, r, false);
}

int
ag_cluster_publish_quiet(struct ag_cluster *c, const struct ag_record *r)
{
	return publish(c, r, true);
}

/* --- status and members ------------------------------------------------- */

int
ag_cluster_record(struct ag_cluster *c, const char *id, struct ag_record *out)
{
	const uint8_t	*data;
	size_t		 len;
	char		 err[160];

	if (net_gossip_get(c->gossip, id, &data, &len) == 0 ||
	    ag_record_decode(data, len, out, err, sizeof err) != 0)
		return -1;
	return 0;
}

size_t
ag_cluster_alive(struct ag_cluster *c, const char **ids, size_t max)
{
	enum net_member_status	s;
	size_t			i, n = 0;
	const char		*id;

	if (max > 0)
		ids[n++] = c->self;
	for (i = 0; i < net_member_capacity(c->member) && n < max; i++)
		if ((id = net_member_slot(c->member, i, &s, NULL)) != NULL &&
		    s == NET_MEMBER_ALIVE)
			ids[n++] = id;
	return n;
}

void
ag_cluster_foreach_record(struct ag_cluster *c,
    void (*fn)(const char *, const struct ag_record *, void *), void *arg)
{
	struct ag_record	*r = malloc(sizeof *r);
	const uint8_t		*data;
	const char		*origin;
	size_t			 i, len;
	char			 err[160];

	if (r == NULL)
		return;
	for (i = 0; i < net_gossip_capacity(c->gossip); i++) {
		if ((origin = net_gossip_slot(c->gossip, i, NULL)) == NULL ||
		    strcmp(origin, c->self) == 0 ||
		    net_gossip_get(c->gossip, origin, &data, &len) == 0 ||
		    ag_record_decode(data, len, r, err, sizeof err) != 0)
			continue;
		fn(origin, r, arg);
	}
	free(r);
}

void
ag_cluster_status(struct ag_cluster *c, struct ag_cluster_status *st)
{
	struct ag_raft_status	rs;
	size_t			alive = 0, n;

	ag_raft_status(c->raft, &rs);
	memset(st, 0, sizeof *st);
	/* A leader only counts while a majority backs it. */
	if (rs.quorum)
		memcpy(st->leader, rs.leader, sizeof st->leader);
	st->term = rs.term;
	st->quorum = rs.quorum;
	st->role = rs.role;
	st->is_leader = rs.is_leader && rs.quorum && rs.current;
	memcpy(st->cluster_id, rs.cluster_id, sizeof st->cluster_id);
	st->commit_index = rs.commit_index;
	st->applied_index = rs.applied_index;
	st->leader_commit = rs.leader_commit;
	n = net_member_count(c->member, &alive);
	st->members = (unsigned)n + 1;
	st->alive = (unsigned)alive + 1;
	st->voters = rs.voters;
	st->servers = rs.servers;
}

static json_t *
devices_json(const struct ag_record *r)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; a != NULL && i < r->ndevices; i++) {
		const struct ag_record_device *d = &r->devices[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o}",
		    "id", d->id, "name", d->name, "type", d->type,
		    "memory_total_bytes", (json_int_t)d->memory_total_bytes,
		    "memory_free_bytes", isfinite(d->memory_free_bytes) ?
		    json_real(d->memory_free_bytes) : json_null(),
		    "memory_bandwidth_bytes_per_s", isfinite(d->memory_bandwidth)
		    ? json_real(d->memory_bandwidth) : json_null(),
		    "flops_per_s", isfinite(d->flops) ? json_real(d->flops) :
		    json_null());

		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
member_json(struct ag_cluster *c, const char *id, const char *state,
    uint64_t inc, const char *addr, double seen, const char *leader)
{
	struct ag_record	*r = malloc(sizeof *r);
	const uint8_t		*data;
	size_t			 len;
	char			 err[160];
	json_t			*o, *devs;

	if (r == NULL)
		return NULL;
	ag_record_init(r);
	if (net_gossip_get(c->gossip, id, &data, &len) != 0 &&
	    ag_record_decode(data, len, r, err, sizeof err) != 0)
		ag_log(AG_LOG_WARNING, "record of %s: %s", id, err);
	devs = devices_json(r);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:o, s:o}", "node_id",
	    id, "name", r->name, "addr", addr != NULL ? addr : "", "state",
	    state, "incarnation", (json_int_t)inc, "is_leader",
	    strcmp(id, leader) == 0, "last_seen_s", isfinite(seen) ?
	    json_real(seen) : json_null(), "devices", devs != NULL ? devs :
	    json_array());
	free(r);
	return o;
}

json_t *
ag_cluster_members_json(struct ag_cluster *c, ag_cluster_peer_info info,
    void *arg)
{
	struct ag_cluster_status	 st;
	json_t				*a = json_array(), *o;
	enum net_member_status		 s;
	uint64_t			 inc;
	size_t				 i;
	const char			*id;

	ag_cluster_status(c, &st);
	o = member_json(c, c->self, "alive", net_member_incarnation(c->member),
	    "", 0.0, st.leader);
	if (a == NULL || o == NULL || json_array_append_new(a, o) != 0)
		goto fail;
	for (i = 0; i < net_member_capacity(c->member); i++) {
		if ((id = net_member_slot(c->member, i, &s, &inc)) == NULL)
			continue;
		const char	*addr = "";
		double		 seen = NAN;

		if (info != NULL)
			info(arg, id, &addr, &seen);
		o = member_json(c, id, net_member_status_name(s), inc, addr,
		    seen, st.leader);
		if (o == NULL || json_array_append_new(a, o) != 0)
			goto fail;
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

void
ag_cluster_counters(struct ag_cluster *c, struct ag_cluster_counters *out)
{
	struct ag_raft_counters		 rc;
	const struct net_member_stats	*ms;

	ag_raft_counters(c->raft, &rc);
	*out = c->ctr;
	out->records_updated = net_gossip_stats(c->gossip)->accepted;
	out->elections_started = rc.elections;
	out->leader_changes = rc.leader_changes;
	ms = net_member_stats(c->member);
	out->probes = ms->probes;
	out->probes_failed = ms->probes_failed;
	out->probe_refused = ms->relays_refused + ms->acks_refused;
	out->awareness = net_member_awareness(c->member);
}

/* --- life cycle ----------------------------------------------------------- */

struct ag_cluster *
ag_cluster_new(struct event_base *base, const char *self,
    const struct ag_cluster_config *cc, const struct ag_cluster_io *io,
    char *err, size_t errlen)
{
	struct ag_cluster	*c = calloc(1, sizeof *c);
	struct net_member_config mc;
	struct net_gossip_config gc;
	struct ag_raft_config	 rc;
	struct ag_raft_hooks	 rh = { raft_send, raft_alive, raft_changed,
				    raft_yielding, NULL };
	struct timeval		 tv = { 0, GOSSIP_TICK_MS * 1000 };

	if (c == NULL || (c->rxg = malloc(sizeof *c->rxg)) == NULL ||
	    (c->rxm = malloc(sizeof *c->rxm)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->base = base;
	c->io = *io;
	(void)snprintf(c->self, sizeof c->self, "%s", self);
	c->started = now_ms();
	c->rng = c->started ^ UINT64_C(0x9e3779b97f4a7c15);
	for (size_t i = 0; self[i] != '\0'; i++)
		c->rng = (c->rng ^ (uint8_t)self[i]) * UINT64_C(0x100000001b3);
	if (cc->probe)
		net_member_config_probe(&mc);	/* its own timing */
	else {
		net_member_config_default(&mc);
		mc.sync_ms = AG_CLUSTER_SYNC_MS;
		mc.dead_ms = AG_CLUSTER_DEAD_MS;
	}
	mc.seed = c->rng;
	net_gossip_config_default(&gc);
	gc.max_record = AG_RECORD_MAX_BYTES;
	gc.ae_ms = AG_CLUSTER_AE_MS;
	gc.seed = c->rng + 1;
	if (cc->probe)
		ag_log(AG_LOG_NOTICE, "membership: probe (SWIM: a probe every "
		    "%u ms, %u helpers, dead after %u-%u ms of suspicion)",
		    mc.probe_ms, mc.indirect, mc.dead_ms, mc.dead_max_ms);
	else
		ag_log(AG_LOG_INFO, "membership: transport (sessions kept "
		    "alive to every member)");
	if ((c->member = net_member_new(self, &mc)) == NULL ||
	    (c->gossip = net_gossip_new(self, &gc)) == NULL) {
		(void)snprintf(err, errlen, "cannot start membership/gossip");
		goto fail;
	}
	memset(&rc, 0, sizeof rc);
	rc.data_dir = cc->data_dir;
	rc.self = self;
	rc.max_voters = cc->max_voters;
	rc.bootstrap_expect = cc->bootstrap_expect;
	rc.promote_after_s = cc->promote_after_s;
	rc.max_placements = cc->max_placements;
	rc.seed = c->rng + 2;
	rh.arg = c;
	if ((c->raft = ag_raft_new(base, &rc, &rh, err, errlen)) == NULL)
		goto fail;
	if ((c->tick = event_new(base, -1, EV_PERSIST, on_tick, c)) == NULL ||
	    event_add(c->tick, &tv) != 0) {
		(void)snprintf(err, errlen, "cannot arm the cluster timer");
		goto fail;
	}
	return c;
fail:
	ag_cluster_free(c);
	return NULL;
}

void
ag_cluster_free(struct ag_cluster *c)
{
	if (c == NULL)
		return;
	if (c->tick != NULL)
		event_free(c->tick);
	ag_raft_free(c->raft);
	net_member_free(c->member);
	net_gossip_free(c->gossip);
	free(c->rxg);
	free(c->rxm);
	free(c);
}
