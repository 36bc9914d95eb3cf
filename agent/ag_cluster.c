/*
 * ag_cluster.c - drives membership, gossip and election on the agent's
 * event loop; see ag_cluster.h.
 *
 * Shape: one 50 ms timer feeds TICK to all three machines; session and
 * message events are fed as they come.  Every action goes through one of
 * three emit functions that encode and send, persist, or record a change.
 * Bootstrap of the voter set in a zero-config cluster: a node with no
 * voter set waits BOOTSTRAP_WINDOW_MS for a leader to admit it; if none
 * shows up and it has the smallest id among itself and the peers it is
 * connected to, it bootstraps the set with all of them.  The leader then
 * admits (ADD) every alive member that is not yet a voter, one at a time,
 * and the election itself removes voters silent for REMOVE_AFTER_MS.
 */
#include "ag_cluster.h"
#include "ag_cluster_int.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_log.h"

#include "net_elect.h"
#include "net_elect_wire.h"
#include "net_gossip.h"
#include "net_member.h"
#include "sec_cbor.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS			50
#define BOOTSTRAP_WINDOW_MS	3000
#define REMOVE_AFTER_MS		30000
#define MAX_CONNECTED		256

struct ag_cluster {
	struct event_base	*base;
	struct event		*tick;
	char			 self[SEC_NODE_ID_SIZE];
	char			 path[PATH_MAX];	/* election.json */
	struct ag_cluster_io	 io;
	struct net_member	*member;
	struct net_gossip	*gossip;
	struct net_elect	*elect;
	struct net_elect_out	 eout;
	uint64_t		 started;
	uint64_t		 rng;
	int			 nconn;
	char			 conn[MAX_CONNECTED][SEC_NODE_ID_SIZE];
	struct net_gossip_msg	*rxg;		/* decode scratch (large) */
	struct net_member_msg	*rxm;
	struct ag_cluster_counters ctr;	/* for /metrics */
	char			 last_leader[NET_ELECT_ID_SIZE];
};

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t
rand32(void *arg)
{
	struct ag_cluster	*c = arg;

	/* xorshift64*: seeded from the clock and the node id at start. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (uint32_t)((c->rng * UINT64_C(2685821657736338717)) >> 32);
}

static enum ag_cluster_proto
proto_of(uint64_t type)
{
	return type == NET_WIRE_MEMBER ? AG_CLUSTER_MEMBERSHIP :
	    type == NET_WIRE_ELECT ? AG_CLUSTER_ELECTION : AG_CLUSTER_GOSSIP;
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
	else
		c->ctr.sent[proto_of(type)]++;
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

static uint64_t
gossip_type(enum net_gossip_kind k)
{
	return k == NET_GOSSIP_DIGEST ? NET_WIRE_GOSSIP_DIGEST :
	    k == NET_GOSSIP_RECORDS ? NET_WIRE_GOSSIP_RECORDS :
	    NET_WIRE_GOSSIP_WANT;
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
	send_payload(c, a->peer, gossip_type(a->msg->kind), 0, &w);
	sec_cbor_writer_release(&w);
}

/* --- election hard state ------------------------------------------------- */

char *
ag_cluster_hard_encode(const struct net_elect_hard *h)
{
	json_t		*voters = json_array(), *root;
	char		*text;
	uint32_t	 i;

	for (i = 0; voters != NULL && i < h->cfg.n; i++)
		if (json_array_append_new(voters,
		    json_string(h->cfg.voters[i].s)) != 0) {
			json_decref(voters);
			return NULL;
		}
	root = json_pack("{s:I, s:s, s:I, s:I, s:o}", "term",
	    (json_int_t)h->term, "vote", h->vote.s, "config_term",
	    (json_int_t)h->cfg.term, "config_index", (json_int_t)h->cfg.index,
	    "voters", voters);
	if (root == NULL)
		return NULL;
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	return text;
}

static int
persist(struct ag_cluster *c, const struct net_elect_hard *h)
{
	char		*text, err[256];
	int		 rc = -1;

	if ((text = ag_cluster_hard_encode(h)) != NULL) {
		rc = ag_write_atomic(c->path, text, strlen(text), 0600, err,
		    sizeof err);
		if (rc != 0)
			ag_log(AG_LOG_ERR, "election state: %s", err);
	}
	free(text);
	return rc;
}

int
ag_cluster_hard_decode(const char *buf, size_t len, struct net_elect_hard *h)
{
	json_error_t	 jerr;
	json_t		*root, *v, *voters;
	size_t		 i;

	memset(h, 0, sizeof *h);
	if (len > AG_CLUSTER_HARD_MAX ||
	    (root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return -1;
	v = json_object_get(root, "vote");
	voters = json_object_get(root, "voters");
	if (!json_is_integer(json_object_get(root, "term")) ||
	    !json_is_string(v) || json_string_length(v) >= NET_ELECT_ID_SIZE ||
	    !json_is_array(voters) ||
	    json_array_size(voters) > NET_ELECT_MAX_VOTERS)
		goto bad;
	h->term = (uint64_t)json_integer_value(json_object_get(root, "term"));
	(void)snprintf(h->vote.s, sizeof h->vote.s, "%s", json_string_value(v));
	h->cfg.term = (uint64_t)json_integer_value(json_object_get(root,
	    "config_term"));
	h->cfg.index = (uint64_t)json_integer_value(json_object_get(root,
	    "config_index"));
	for (i = 0; i < json_array_size(voters); i++) {
		const char *s = json_string_value(json_array_get(voters, i));

		if (s == NULL || strlen(s) >= NET_ELECT_ID_SIZE)
			goto bad;
		(void)snprintf(h->cfg.voters[i].s, NET_ELECT_ID_SIZE, "%s", s);
	}
	h->cfg.n = (uint32_t)i;
	json_decref(root);
	if (h->cfg.index != 0 && !net_elect_config_valid(&h->cfg))
		return -1;
	return 0;
bad:
	json_decref(root);
	memset(h, 0, sizeof *h);
	return -1;
}

/* Loads DATA/election.json; absent = fresh; damaged = refuse to start. */
static int
load_hard(struct ag_cluster *c, struct net_elect_hard *h, int *have,
    char *err, size_t errlen)
{
	char	*buf;
	size_t	 len;
	int	 missing = 0, rc;

	memset(h, 0, sizeof *h);
	*have = 0;
	if (ag_read_file(c->path, AG_CLUSTER_HARD_MAX, &buf, &len, &missing,
	    err, errlen) != 0)
		return missing ? 0 : -1;
	*have = 1;
	rc = ag_cluster_hard_decode(buf, len, h);
	free(buf);
	if (rc != 0)
		(void)snprintf(err, errlen, "%s is damaged; it holds this "
		    "node's vote, so the agent will not guess: move it away "
		    "to start this node as a new voter", c->path);
	return rc;
}

/* Carries out the election's actions in order (PERSIST comes first). */
static void
elect_act(struct ag_cluster *c)
{
	size_t	i;

	if (c->eout.overflow)
		ag_log(AG_LOG_ERR, "election: action overflow (a bug)");
	for (i = 0; i < c->eout.n; i++) {
		const struct net_elect_action	*a = &c->eout.v[i];
		struct sec_cbor_writer		 w;

		if (a->type == NET_ELECT_ACT_PERSIST) {
			if (persist(c, a->hard) != 0) {
				ag_log(AG_LOG_ERR, "election: cannot persist "
				    "the vote; not answering");
				break;
			}
			continue;
		}
		sec_cbor_writer_dynamic(&w, NET_WIRE_MAX_MSG - 256);
		(void)net_elect_wire_encode(&a->msg, &w);
		send_payload(c, a->to.s, NET_WIRE_ELECT, a->msg.term, &w);
		sec_cbor_writer_release(&w);
	}
	c->eout.n = 0;
}

static void
elect_step(struct ag_cluster *c, const struct net_elect_event *ev)
{
	struct net_elect_status	before, after;
	uint64_t		now = now_ms();
	int			rc;

	net_elect_status(c->elect, now, &before);
	rc = net_elect_step(c->elect, ev, now, &c->eout);
	elect_act(c);
	if (rc != NET_ELECT_OK && ev->type != NET_ELECT_EV_TICK &&
	    ev->type != NET_ELECT_EV_RECV)
		ag_log(AG_LOG_DEBUG, "election: %s", net_elect_strerror(rc));
	net_elect_status(c->elect, now, &after);
	if (after.role == NET_ELECT_CANDIDATE &&
	    (before.role != NET_ELECT_CANDIDATE || before.term != after.term))
		c->ctr.elections_started++;
	if (after.leader.s[0] != '\0' &&
	    strcmp(after.leader.s, c->last_leader) != 0) {
		c->ctr.leader_changes++;
		memcpy(c->last_leader, after.leader.s, sizeof c->last_leader);
	}
	if (before.role != after.role || before.term != after.term)
		ag_log(AG_LOG_NOTICE, "election: term %llu, %s%s%s",
		    (unsigned long long)after.term,
		    net_elect_role_name(after.role),
		    after.leader.s[0] ? ", leader " : "", after.leader.s);
}

/* --- bootstrap and admission --------------------------------------------- */

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct net_elect_id *)a)->s,
	    ((const struct net_elect_id *)b)->s);
}

static void
maybe_bootstrap(struct ag_cluster *c, uint64_t now)
{
	struct net_elect_event	 ev;
	struct net_elect_id	*v;
	size_t			 n = 0;
	int			 i;

	if (c->elect->hard.cfg.index != 0 ||
	    now - c->started < BOOTSTRAP_WINDOW_MS ||
	    c->elect->leader.s[0] != '\0')
		return;
	for (i = 0; i < c->nconn; i++)
		if (strcmp(c->conn[i], c->self) < 0)
			return;		/* a smaller id will do it */
	if ((v = calloc((size_t)c->nconn + 1, sizeof *v)) == NULL)
		return;
	(void)snprintf(v[n++].s, NET_ELECT_ID_SIZE, "%s", c->self);
	for (i = 0; i < c->nconn && n < NET_ELECT_MAX_VOTERS; i++)
		(void)snprintf(v[n++].s, NET_ELECT_ID_SIZE, "%s", c->conn[i]);
	qsort(v, n, sizeof *v, id_cmp);
	memset(&ev, 0, sizeof ev);
	ev.type = NET_ELECT_EV_BOOTSTRAP;
	ev.voters = v;
	ev.nvoters = n;
	ag_log(AG_LOG_NOTICE, "election: bootstrapping the voter set with %zu "
	    "node(s)", n);
	elect_step(c, &ev);
	free(v);
}

static int
is_voter(const struct ag_cluster *c, const char *id)
{
	uint32_t	i;

	for (i = 0; i < c->elect->hard.cfg.n; i++)
		if (strcmp(c->elect->hard.cfg.voters[i].s, id) == 0)
			return 1;
	return 0;
}

/* Leader: admit one alive, connected member that is not a voter yet. */
static void
maybe_admit(struct ag_cluster *c, uint64_t now)
{
	struct net_elect_status	st;
	struct net_elect_event	ev;
	int			i;

	net_elect_status(c->elect, now, &st);
	if (st.role != NET_ELECT_LEADER || st.cfg_pending)
		return;
	for (i = 0; i < c->nconn; i++) {
		if (is_voter(c, c->conn[i]) ||
		    net_member_status(c->member, c->conn[i], NULL) !=
		    NET_MEMBER_ALIVE)
			continue;
		memset(&ev, 0, sizeof ev);
		ev.type = NET_ELECT_EV_ADD;
		(void)snprintf(ev.peer.s, sizeof ev.peer.s, "%s", c->conn[i]);
		ag_log(AG_LOG_NOTICE, "election: admitting %s as a voter",
		    c->conn[i]);
		elect_step(c, &ev);
		return;
	}
}

/* --- events --------------------------------------------------------------- */

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ag_cluster	*c = arg;
	struct net_member_event	 me = { NET_MEMBER_EV_TICK, NULL, NULL };
	struct net_gossip_event	 ge;
	struct net_elect_event	 ee;
	uint64_t		 now = now_ms();

	(void)net_member_step(c->member, &me, now, member_emit, c);
	memset(&ge, 0, sizeof ge);
	ge.type = NET_GOSSIP_EV_TICK;
	(void)net_gossip_step(c->gossip, &ge, now, gossip_emit, c);
	if (now >= net_elect_deadline(c->elect)) {
		memset(&ee, 0, sizeof ee);
		ee.type = NET_ELECT_EV_TICK;
		elect_step(c, &ee);
	}
	maybe_bootstrap(c, now);
	maybe_admit(c, now);
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
	struct net_member_event	me = { NET_MEMBER_EV_CONN_UP, id, NULL };
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
}

void
ag_cluster_peer_down(struct ag_cluster *c, const char *id)
{
	struct net_member_event	me = { NET_MEMBER_EV_CONN_DOWN, id, NULL };
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
}

void
ag_cluster_leave(struct ag_cluster *c)
{
	struct net_member_event	me = { NET_MEMBER_EV_LEAVE, NULL, NULL };

	(void)net_member_step(c->member, &me, now_ms(), member_emit, c);
}

int
ag_cluster_handles(uint64_t type)
{
	return type == NET_WIRE_ELECT || type == NET_WIRE_MEMBER ||
	    type == NET_WIRE_GOSSIP_DIGEST || type == NET_WIRE_GOSSIP_RECORDS ||
	    type == NET_WIRE_GOSSIP_WANT;
}

static int
recv_one(struct ag_cluster *c, const char *peer,
    const struct net_wire_msg *m, char *err, size_t errlen)
{
	const uint8_t		*p = m->u.raw.payload;
	size_t			 n = m->u.raw.len;
	uint64_t		 now = now_ms();
	struct net_member_event	 heard = { NET_MEMBER_EV_HEARD, peer, NULL };

	/* Any cluster traffic is proof of life for the detector. */
	if (m->type != NET_WIRE_MEMBER)
		(void)net_member_step(c->member, &heard, now, member_emit, c);
	if (m->type == NET_WIRE_MEMBER) {
		struct net_member_event ev = { NET_MEMBER_EV_RECV, peer,
		    c->rxm };

		if (net_member_wire_decode(p, n, c->rxm, err, errlen) != 0)
			return -1;
		return net_member_step(c->member, &ev, now, member_emit, c);
	}
	if (m->type == NET_WIRE_ELECT) {
		struct net_elect_msg	 msg;
		struct net_elect_config	*cfg = malloc(sizeof *cfg);
		struct net_elect_event	 ev;

		if (cfg == NULL)
			return -1;
		if (net_elect_wire_decode(p, n, &msg, cfg, err, errlen) != 0) {
			free(cfg);
			return -1;
		}
		memset(&ev, 0, sizeof ev);
		ev.type = NET_ELECT_EV_RECV;
		(void)snprintf(ev.peer.s, sizeof ev.peer.s, "%s", peer);
		ev.msg = &msg;
		elect_step(c, &ev);
		free(cfg);
		return 0;
	}
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

int
ag_cluster_publish(struct ag_cluster *c, const struct ag_record *r)
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
		rc = net_gossip_step(c->gossip, &ev, now_ms(), gossip_emit, c);
	}
	free(buf);
	return rc;
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
	struct net_elect_status	es;
	size_t			alive = 0, n;

	net_elect_status(c->elect, now_ms(), &es);
	memset(st, 0, sizeof *st);
	/* A leader only counts while a majority backs it (lease / heard). */
	if (es.quorum)
		memcpy(st->leader, es.leader.s, sizeof st->leader);
	st->term = es.term;
	st->quorum = es.quorum;
	st->role = net_elect_role_name(es.role);
	n = net_member_count(c->member, &alive);
	st->members = (unsigned)n + 1;
	st->alive = (unsigned)alive + 1;
	st->voters = es.nvoters;
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
	*out = c->ctr;
	out->records_updated = net_gossip_stats(c->gossip)->accepted;
}

/* --- life cycle ----------------------------------------------------------- */

struct ag_cluster *
ag_cluster_new(struct event_base *base, const char *self, const char *dir,
    char *err, size_t errlen)
{
	struct ag_cluster	*c = calloc(1, sizeof *c);
	struct net_member_config mc;
	struct net_gossip_config gc;
	struct net_elect_params	 ep;
	struct net_elect_hard	 hard;
	struct timeval		 tv = { 0, TICK_MS * 1000 };
	int			 have_hard = 0;

	if (c == NULL || (c->elect = calloc(1, sizeof *c->elect)) == NULL ||
	    (c->rxg = malloc(sizeof *c->rxg)) == NULL ||
	    (c->rxm = malloc(sizeof *c->rxm)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->base = base;
	(void)snprintf(c->self, sizeof c->self, "%s", self);
	c->started = now_ms();
	c->rng = c->started ^ UINT64_C(0x9e3779b97f4a7c15);
	for (size_t i = 0; self[i] != '\0'; i++)
		c->rng = (c->rng ^ (uint8_t)self[i]) * UINT64_C(0x100000001b3);
	if (ag_datadir_path(dir, AG_ELECTION_FILE, c->path, sizeof c->path)
	    != 0 || load_hard(c, &hard, &have_hard, err, errlen) != 0)
		goto fail;
	net_member_config_default(&mc);
	mc.seed = c->rng;
	net_gossip_config_default(&gc);
	gc.max_record = AG_RECORD_MAX_BYTES;
	gc.seed = c->rng + 1;
	if ((c->member = net_member_new(self, &mc)) == NULL ||
	    (c->gossip = net_gossip_new(self, &gc)) == NULL) {
		(void)snprintf(err, errlen, "cannot start membership/gossip");
		goto fail;
	}
	net_elect_params_default(&ep, rand32, c);
	ep.remove_after_ms = REMOVE_AFTER_MS;
	if (net_elect_init(c->elect, &ep, self, have_hard ? &hard : NULL,
	    c->started) != NET_ELECT_OK) {
		(void)snprintf(err, errlen, "cannot start the election");
		goto fail;
	}
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
ag_cluster_set_io(struct ag_cluster *c, const struct ag_cluster_io *io)
{
	c->io = *io;
}

void
ag_cluster_free(struct ag_cluster *c)
{
	if (c == NULL)
		return;
	if (c->tick != NULL)
		event_free(c->tick);
	net_member_free(c->member);
	net_gossip_free(c->gossip);
	free(c->elect);
	free(c->rxg);
	free(c->rxm);
	free(c);
}
