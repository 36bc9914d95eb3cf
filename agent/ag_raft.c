/*
 * ag_raft.c - the replicated log on the agent's event loop; see ag_raft.h
 * for the rules, docs/cluster.md for the reasons.
 *
 * Shape: one struct raft, its raft_io (net_raft_io.c) and its state
 * machine (ag_fsm.c), plus what raft does not do by itself - deciding
 * which cluster to be in (the CLUSTER announcements of the peers), which
 * servers vote, and noticing leadership changes at once (raft 0.15 has no
 * state callback: the io layer calls us back after every tick, received
 * message and finished write, and so does every call in here).  A 100 ms
 * housekeeping timer sends announcements and makes the slow decisions
 * (bootstrap window, voter changes, merges); it never drives raft itself.
 */
#include "ag_raft.h"
#include "ag_clock.h"
#include "ag_log.h"

#include "net_raft_io.h"
#include "net_wire.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOUSEKEEP_MS		100
#define ANNOUNCE_EVERY_S	15.0	/* and at once on any change */
#define STANDBY_HEARTBEAT_S	10.0	/* empty AppendEntries to a standby */
#define MAX_PEERS		4096
#define SNAPSHOT_THRESHOLD	256
#define SNAPSHOT_TRAILING	128

enum mode {
	MODE_FORMING,	/* no cluster: deciding to join or bootstrap */
	MODE_RUNNING,	/* raft started (member or waiting to be added) */
	MODE_SWITCHING,	/* raft closing: yielding to another cluster */
	MODE_FAILED,	/* raft could not start; see the log */
};

struct peer {
	char			id[SEC_NODE_ID_SIZE];
	int			up;		/* session open */
	int			heard;		/* an announce arrived */
	struct ag_announce	a;
	double			dead_since;	/* monotonic s, 0 alive */
	double			raft_heard;	/* monotonic s of its last raft
						 * message, 0 never */
	double			ae_sent;	/* leader: last AppendEntries */
	int			ae_repair;	/* leader: send the next one */
	raft_index		ae_commit;	/* the commit index it carried */
};

struct apply_req {
	struct raft_apply	 req;
	struct ag_raft		*r;
	ag_raft_apply_cb	 cb;
	void			*arg;
};

/*
 * A barrier: the one a new leader appends to learn that it has caught up
 * (cb NULL), or one asked for by ag_raft_barrier.
 */
struct barrier_req {
	struct raft_barrier	 req;
	struct ag_raft		*r;
	uint64_t		 term;
	unsigned		 gen;		/* the raft instance's */
	ag_raft_barrier_cb	 cb;
	void			*arg;
};

struct ag_raft {
	struct event_base	*base;
	struct ag_raft_config	 cfg;
	struct ag_raft_hooks	 hooks;
	char			 self[SEC_NODE_ID_SIZE];
	char			 dir[4096];
	enum mode		 mode;
	struct raft_io		 io;
	int			 io_ok;
	struct raft		 raft;
	int			 raft_ok;	/* raft_init done, not closed */
	struct ag_fsm		*fsm;
	struct raft_fsm		 rfsm;
	struct event		*housekeep;
	double			 started;	/* monotonic s */
	double			 next_announce;
	size_t			 announce_next;	/* the safety net's turn */
	char			 target[AG_ANNOUNCE_CLUSTER_SIZE];
	struct raft_change	 change;
	int			 change_busy;
	struct peer		*peers;
	size_t			 npeers, peers_cap;
	/* Last seen, to report changes. */
	int			 last_state;
	char			 last_leader[SEC_NODE_ID_SIZE];
	uint64_t		 last_term, last_commit;
	struct ag_announce	 last_sent;
	struct ag_raft_counters	 ctr;
	struct net_raft_io_stats io_base;	/* of io instances closed */
	int			 in_check;
	int			 freeing;	/* ag_raft_free is waiting */
	int			 hold;		/* no bootstrap for now */
	/*
	 * Leader catch-up: the term whose barrier was appended, and the
	 * term whose barrier was applied (the leader's state machine then
	 * holds every entry committed before its term).  gen counts raft
	 * instances (a merge starts a new one) so an old barrier's callback
	 * cannot mark the new one.
	 */
	uint64_t		 barrier_term, current_term;
	unsigned		 gen;
	int			 last_current;
};

static void	check(void *arg);
static int	start_raft(struct ag_raft *, const char *const *voters,
		    size_t nvoters);
static int	open_io(struct ag_raft *, char *, size_t);

static double
now_s(void)
{
	return ag_clock_mono();
}

/* --- peers ---------------------------------------------------------------- */

static struct peer *
peer_find(struct ag_raft *r, const char *id)
{
	size_t	i;

	for (i = 0; i < r->npeers; i++)
		if (strcmp(r->peers[i].id, id) == 0)
			return &r->peers[i];
	return NULL;
}

static struct peer *
peer_get(struct ag_raft *r, const char *id)
{
	struct peer	*p;

	if ((p = peer_find(r, id)) != NULL)
		return p;
	if (r->npeers == r->peers_cap) {
		size_t	 cap = r->peers_cap ? r->peers_cap * 2 : 16;

		if (cap > MAX_PEERS || (p = realloc(r->peers,
		    cap * sizeof *p)) == NULL)
			return NULL;
		r->peers = p;
		r->peers_cap = cap;
	}
	p = &r->peers[r->npeers++];
	memset(p, 0, sizeof *p);
	(void)snprintf(p->id, sizeof p->id, "%s", id);
	return p;
}

static int
peer_alive(struct ag_raft *r, const char *id)
{
	if (strcmp(id, r->self) == 0)
		return 1;
	return r->hooks.alive != NULL && r->hooks.alive(r->hooks.arg, id);
}

/* --- configuration queries ---------------------------------------------- */

static int
running(const struct ag_raft *r)
{
	return r->mode == MODE_RUNNING && r->raft_ok;
}

static const struct raft_server *
server_of(const struct ag_raft *r, const char *id)
{
	const struct raft_configuration	*c = &r->raft.configuration;
	unsigned			 i;

	if (!running(r))
		return NULL;
	for (i = 0; i < c->n; i++)
		if (c->servers[i].address != NULL &&
		    strcmp(c->servers[i].address, id) == 0)
			return &c->servers[i];
	return NULL;
}

static unsigned
count_role(const struct ag_raft *r, int role)
{
	const struct raft_configuration	*c = &r->raft.configuration;
	unsigned			 i, n = 0;

	if (!running(r))
		return 0;
	for (i = 0; i < c->n; i++)
		n += c->servers[i].role == role;
	return n;
}

/*
 * Leader: a majority of voters (us included) sent us a raft message within
 * the election timeout.  Counted here from arrival times, not from raft's
 * own recent_recv flags, which its check-quorum clears every election
 * timeout (a status read just after that would say "no quorum").
 */
static int
leader_quorum(struct ag_raft *r)
{
	const struct raft_configuration	*c = &r->raft.configuration;
	const struct peer		*p;
	double				 now = now_s();
	double				 window = r->cfg.election_ms / 1000.0;
	unsigned			 i, voters = 0, heard = 0;

	if (!running(r) || raft_state(&r->raft) != RAFT_LEADER)
		return 0;
	for (i = 0; i < c->n; i++) {
		if (c->servers[i].role != RAFT_VOTER)
			continue;
		voters++;
		if (c->servers[i].id == r->raft.id ||
		    ((p = peer_find(r, c->servers[i].address)) != NULL &&
		    p->raft_heard > 0 && now - p->raft_heard <= window))
			heard++;
	}
	return voters > 0 && heard * 2 > voters;
}

/* --- announcements -------------------------------------------------------- */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/*
 * While our configuration is still the first one and has several voters
 * (a --bootstrap-expect start), name them: each of them bootstraps the
 * very same configuration when it hears this (forming()).
 */
static void
boot_list(const struct ag_raft *r, struct ag_announce *a)
{
	const struct raft_configuration	*c = &r->raft.configuration;
	unsigned			 i;

	if (!a->member || r->raft.configuration_index != 1 || c->n < 2 ||
	    c->n > AG_ANNOUNCE_BOOT_MAX)
		return;
	for (i = 0; i < c->n; i++)
		if (c->servers[i].address == NULL)
			return;
	for (i = 0; i < c->n; i++)
		(void)snprintf(a->boot[i], sizeof a->boot[i], "%s",
		    c->servers[i].address);
	a->nboot = (int)c->n;
	qsort(a->boot, (size_t)a->nboot, sizeof a->boot[0], str_cmp);
}

static int	is_current(struct ag_raft *);

static void
own_announce(struct ag_raft *r, struct ag_announce *a)
{
	raft_id		 lid = 0;
	const char	*laddr = NULL;

	memset(a, 0, sizeof *a);
	if (r->mode == MODE_FORMING || r->mode == MODE_FAILED ||
	    !r->io_ok)
		return;
	(void)snprintf(a->cluster, sizeof a->cluster, "%s",
	    net_raft_io_cluster(&r->io));
	if (!running(r))
		return;
	a->member = server_of(r, r->self) != NULL;
	a->servers = a->member ? r->raft.configuration.n : 0;
	a->voters = a->member ? count_role(r, RAFT_VOTER) : 0;
	a->term = r->raft.current_term;
	/*
	 * The commit index only from a leader that is current (its own
	 * term's barrier applied): a new leader's commit index may still
	 * lag entries its predecessor committed, and a restarted node that
	 * took it as the leader's would answer token checks without a
	 * revocation committed while it was down (ag_node_trust_ready;
	 * seen in itest_tenants when the killed node had been the leader).
	 * Others' commit indexes are not read (ag_raft_status).
	 */
	a->commit = is_current(r) ? r->raft.commit_index : 0;
	raft_leader(&r->raft, &lid, &laddr);
	if (lid != 0 && laddr != NULL)
		(void)snprintf(a->leader, sizeof a->leader, "%s", laddr);
	boot_list(r, a);
}

static void
send_announce(struct ag_raft *r, const char *peer, const struct ag_announce *a)
{
	struct sec_cbor_writer	w;
	uint8_t			buf[AG_ANNOUNCE_MAX + 256];
	size_t			len;
	char			err[160];

	sec_cbor_writer_dynamic(&w, AG_ANNOUNCE_MAX);
	if (ag_announce_encode(a, &w) != 0 || net_wire_encode_raw(buf,
	    sizeof buf, &len, NET_WIRE_CLUSTER, r->self, a->term,
	    sec_cbor_writer_data(&w), sec_cbor_writer_len(&w), err,
	    sizeof err) != 0)
		ag_log(AG_LOG_WARNING, "raft: cannot encode CLUSTER");
	else if (r->hooks.send != NULL)
		(void)r->hooks.send(r->hooks.arg, peer, buf, len);
	sec_cbor_writer_release(&w);
}

/* The fields whose change is news (the commit index moves all the time). */
static int
same_news(const struct ag_announce *a, const struct ag_announce *b)
{
	return strcmp(a->cluster, b->cluster) == 0 &&
	    a->servers == b->servers && a->voters == b->voters &&
	    a->term == b->term && strcmp(a->leader, b->leader) == 0 &&
	    a->member == b->member && (a->commit == 0) == (b->commit == 0);
}

/*
 * To every connected peer at once when the news changed (cluster,
 * configuration, term, leader, a leader becoming current); a new session
 * gets one at once in ag_raft_peer_up.  Otherwise, as a safety net, to one connected peer
 * every ANNOUNCE_EVERY_S, taking them in turn: sending it to all of them
 * cost every node N - 1 messages a period, a cluster N^2.
 */
static void
announce(struct ag_raft *r, int force)
{
	struct ag_announce	a;
	double			now = now_s();
	size_t			i, k;

	own_announce(r, &a);
	if (!force && same_news(&a, &r->last_sent) && now < r->next_announce)
		return;
	r->next_announce = now + ANNOUNCE_EVERY_S;
	if (!force && same_news(&a, &r->last_sent)) {
		for (i = 0; i < r->npeers; i++) {
			k = (r->announce_next + i) % r->npeers;
			if (r->peers[k].up) {
				send_announce(r, r->peers[k].id, &a);
				r->announce_next = k + 1;
				break;
			}
		}
		return;
	}
	r->last_sent = a;
	for (i = 0; i < r->npeers; i++)
		if (r->peers[i].up)
			send_announce(r, r->peers[i].id, &a);
}

/* a's cluster (servers, id) beats b's: more servers, then smaller id. */
static int
better(uint64_t as, const char *aid, uint64_t bs, const char *bid)
{
	if (as != bs)
		return as > bs;
	return strcmp(aid, bid) < 0;
}

/* --- forming: join or bootstrap ------------------------------------------ */

static void
random_cluster_id(char out[AG_ANNOUNCE_CLUSTER_SIZE])
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		b[16];
	int			i;

	if (gnutls_rnd(GNUTLS_RND_NONCE, b, sizeof b) != 0) {
		/* Only the id's uniqueness matters: fall back to the clock. */
		struct timespec	ts;

		(void)clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(b, &ts, sizeof ts < sizeof b ? sizeof ts : sizeof b);
	}
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = '\0';
}

/* The best cluster a connected peer that is a member announces, or NULL. */
static const struct peer *
best_announced(struct ag_raft *r)
{
	const struct peer	*best = NULL;
	size_t			 i;

	for (i = 0; i < r->npeers; i++) {
		const struct peer *p = &r->peers[i];

		if (!p->up || !p->heard || p->a.cluster[0] == '\0' ||
		    !p->a.member)
			continue;
		if (best == NULL || better(p->a.servers, p->a.cluster,
		    best->a.servers, best->a.cluster))
			best = p;
	}
	return best;
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
join(struct ag_raft *r, const char *cluster, const char *via)
{
	char	err[256];

	if (net_raft_io_set_cluster(&r->io, cluster, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "raft: %s", err);
		return;
	}
	ag_log(AG_LOG_NOTICE, "raft: joining cluster %s (announced by %s); "
	    "waiting for its leader to add this node", cluster, via);
	r->mode = MODE_RUNNING;
	if (start_raft(r, NULL, 0) != 0)
		r->mode = MODE_FAILED;
	announce(r, 1);
}

static void
bootstrap(struct ag_raft *r)
{
	const char	**ids;
	char		  cluster[AG_ANNOUNCE_CLUSTER_SIZE], err[256];
	size_t		  i, n = 0;
	unsigned	  expect = r->cfg.bootstrap_expect;

	if ((ids = calloc(r->npeers + 1, sizeof *ids)) == NULL)
		return;
	ids[n++] = r->self;
	for (i = 0; i < r->npeers; i++)
		if (r->peers[i].up && r->peers[i].heard &&
		    r->peers[i].a.cluster[0] == '\0')
			ids[n++] = r->peers[i].id;
	qsort(ids, n, sizeof *ids, id_cmp);
	if ((expect > 1 && n < expect) || strcmp(ids[0], r->self) != 0) {
		free(ids);
		return;		/* too few yet, or a smaller id will do it */
	}
	random_cluster_id(cluster);
	if (net_raft_io_set_cluster(&r->io, cluster, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "raft: %s", err);
		free(ids);
		return;
	}
	/*
	 * Alone unless told to wait for more (nobody else can then block
	 * us); with --bootstrap-expect N, the N smallest ids we see, all
	 * connected and fresh at this moment.
	 */
	n = expect > 1 ? (expect < n ? expect : n) : 1;
	ag_log(AG_LOG_NOTICE, "raft: bootstrapping cluster %s with %zu "
	    "voter(s)", cluster, n);
	r->mode = MODE_RUNNING;
	if (start_raft(r, ids, n) != 0)
		r->mode = MODE_FAILED;
	free(ids);
	announce(r, 1);
}

/* A peer's first configuration names us: bootstrap the same one. */
static int
boot_named(struct ag_raft *r)
{
	const char	*ids[AG_ANNOUNCE_BOOT_MAX];
	char		 err[256];
	size_t		 i;
	int		 k;

	for (i = 0; i < r->npeers; i++) {
		const struct peer *p = &r->peers[i];

		if (!p->up || !p->heard || p->a.nboot == 0)
			continue;
		for (k = 0; k < p->a.nboot; k++)
			if (strcmp(p->a.boot[k], r->self) == 0)
				break;
		if (k == p->a.nboot)
			continue;
		for (k = 0; k < p->a.nboot; k++)
			ids[k] = p->a.boot[k];
		if (net_raft_io_set_cluster(&r->io, p->a.cluster, err,
		    sizeof err) != 0) {
			ag_log(AG_LOG_ERR, "raft: %s", err);
			return 0;
		}
		ag_log(AG_LOG_NOTICE, "raft: %s names this node among the %d "
		    "first voters of cluster %s; bootstrapping the same "
		    "configuration", p->id, p->a.nboot, p->a.cluster);
		r->mode = MODE_RUNNING;
		if (start_raft(r, ids, (size_t)p->a.nboot) != 0)
			r->mode = MODE_FAILED;
		announce(r, 1);
		return 1;
	}
	return 0;
}

static void
forming(struct ag_raft *r, double now)
{
	const struct peer	*best = best_announced(r);

	if (boot_named(r))
		return;
	if (best != NULL) {
		join(r, best->a.cluster, best->id);
		return;
	}
	if (r->hold)
		r->started = now;	/* the window counts from the release */
	else if (now - r->started >= r->cfg.bootstrap_window_s)
		bootstrap(r);
}

/* --- merging --------------------------------------------------------------- */

static void
on_switch_closed(struct raft *raft)
{
	struct ag_raft		*r = raft->data;
	struct net_raft_io_stats st;
	char			 err[256];

	r->raft_ok = 0;
	if (r->freeing)
		return;		/* ag_raft_free finishes the job */
	net_raft_io_stats(&r->io, &st);
	r->io_base.fsyncs += st.fsyncs;
	r->io_base.foreign += st.foreign;
	net_raft_io_fini(&r->io);
	r->io_ok = 0;
	ag_fsm_free(r->fsm);
	r->fsm = ag_fsm_new(r->cfg.max_placements);
	if (r->fsm == NULL ||
	    net_raft_io_wipe(r->cfg.data_dir, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "raft: cannot leave the old cluster: %s",
		    r->fsm == NULL ? "out of memory" : err);
		r->mode = MODE_FAILED;
		return;
	}
	if (open_io(r, err, sizeof err) != 0 ||
	    net_raft_io_set_cluster(&r->io, r->target, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "raft: %s", err);
		r->mode = MODE_FAILED;
		return;
	}
	r->mode = MODE_RUNNING;
	if (start_raft(r, NULL, 0) != 0) {
		r->mode = MODE_FAILED;
		return;
	}
	ag_log(AG_LOG_NOTICE, "raft: now in cluster %s, waiting to be added",
	    r->target);
	announce(r, 1);
	check(r);
}

static void
yield(struct ag_raft *r, const struct peer *p)
{
	const char	*ours = net_raft_io_cluster(&r->io);

	ag_log(AG_LOG_WARNING, "raft: cluster %s (%llu servers, via %s) "
	    "meets ours, %s (%u servers): ours yields and this node joins "
	    "it; our placements are dropped", p->a.cluster,
	    (unsigned long long)p->a.servers, p->id, ours,
	    r->raft.configuration.n);
	if (r->hooks.yielding != NULL)
		r->hooks.yielding(r->hooks.arg, ours, p->a.cluster, r->fsm);
	(void)snprintf(r->target, sizeof r->target, "%s", p->a.cluster);
	r->ctr.merges++;
	r->mode = MODE_SWITCHING;
	raft_close(&r->raft, on_switch_closed);
}

/* 1 if a connected peer says it is a member of cluster id. */
static int
cluster_visible(struct ag_raft *r, const char *id)
{
	size_t	i;

	for (i = 0; i < r->npeers; i++)
		if (r->peers[i].up && r->peers[i].heard &&
		    r->peers[i].a.member &&
		    strcmp(r->peers[i].a.cluster, id) == 0)
			return 1;
	return 0;
}

/*
 * A member of a better cluster is connected: yield to it.  A node not
 * yet added to its cluster is no judge of sizes (it sees only what its
 * peers announce): it stays with the cluster it chose while any member
 * of it is in sight, and moves only when that cluster is gone from view
 * (its members yielded, or went away).
 */
static int
maybe_merge(struct ag_raft *r)
{
	const struct peer	*best = best_announced(r);
	const char		*ours = net_raft_io_cluster(&r->io);
	unsigned		 servers = r->raft.configuration.n;

	if (best == NULL || strcmp(best->a.cluster, ours) == 0)
		return 0;
	if (server_of(r, r->self) == NULL) {
		if (servers == 0 && !cluster_visible(r, ours)) {
			yield(r, best);
			return 1;
		}
		return 0;
	}
	if (!better(best->a.servers, best->a.cluster, servers, ours))
		return 0;
	yield(r, best);
	return 1;
}

/* --- voters (leader) -------------------------------------------------------- */

static void
on_change_done(struct raft_change *req, int status)
{
	struct ag_raft	*r = req->data;

	r->change_busy = 0;
	if (status != 0)
		ag_log(AG_LOG_INFO, "raft: configuration change failed: %s",
		    raft_strerror(status));
	/* The next change, if any, right after this callback returns. */
	event_active(r->housekeep, EV_TIMEOUT, 0);
}

static int
do_assign(struct ag_raft *r, const struct raft_server *s, int role,
    const char *why)
{
	char	addr[SEC_NODE_ID_SIZE];
	int	rc;

	/* s points into the configuration raft_assign replaces: copy. */
	(void)snprintf(addr, sizeof addr, "%s", s->address);
	r->change.data = r;
	if ((rc = raft_assign(&r->raft, &r->change, s->id, role,
	    on_change_done)) != 0) {
		ag_log(AG_LOG_DEBUG, "raft: assign %s: %s", addr,
		    raft_strerror(rc));
		return -1;
	}
	r->change_busy = 1;
	ag_log(AG_LOG_NOTICE, "raft: %s %s (%s)", role == RAFT_VOTER ?
	    "promoting" : role == RAFT_STANDBY ? "making standby" :
	    "demoting", addr, why);
	return 0;
}

/* A member announcing our cluster that is not in the configuration. */
static int
add_member(struct ag_raft *r, const char *ours)
{
	size_t	i;
	int	rc;

	for (i = 0; i < r->npeers; i++) {
		const struct peer *p = &r->peers[i];

		if (!p->up || !p->heard || strcmp(p->a.cluster, ours) != 0 ||
		    server_of(r, p->id) != NULL || !peer_alive(r, p->id) ||
		    ag_fsm_is_denied(r->fsm, p->id))
			continue;
		r->change.data = r;
		if ((rc = raft_add(&r->raft, &r->change, net_raft_id(p->id),
		    p->id, on_change_done)) != 0) {
			ag_log(AG_LOG_DEBUG, "raft: add %s: %s", p->id,
			    raft_strerror(rc));
			return 0;
		}
		r->change_busy = 1;
		ag_log(AG_LOG_NOTICE, "raft: adding %s to the cluster", p->id);
		return 1;
	}
	return 0;
}

static void
track_dead(struct ag_raft *r, double now)
{
	const struct raft_configuration	*c = &r->raft.configuration;
	unsigned			 i;
	struct peer			*p;

	for (i = 0; i < c->n; i++) {
		if (c->servers[i].address == NULL ||
		    strcmp(c->servers[i].address, r->self) == 0 ||
		    (p = peer_get(r, c->servers[i].address)) == NULL)
			continue;
		if (peer_alive(r, p->id))
			p->dead_since = 0;
		else if (p->dead_since == 0)
			p->dead_since = now;
	}
}

static int
dead_long(struct ag_raft *r, const struct raft_server *s, double now)
{
	struct peer	*p = peer_find(r, s->address);

	return strcmp(s->address, r->self) != 0 && p != NULL &&
	    p->dead_since > 0 && now - p->dead_since >= r->cfg.promote_after_s;
}

/*
 * A server the committed deny list names (agent/ag_node_deny.c) leaves
 * the configuration, so a denied voter stops counting towards the
 * majority.  Never ourselves: a leader that applies its own denial keeps
 * leading what it can no longer reach, loses its quorum, and the others
 * elect a leader that removes it.
 */
static int
remove_denied(struct ag_raft *r)
{
	const struct raft_configuration	*c = &r->raft.configuration;
	char				 id[SEC_NODE_ID_SIZE];
	unsigned			 i;
	int				 rc;

	for (i = 0; i < c->n; i++) {
		const struct raft_server *s = &c->servers[i];

		if (s->address == NULL || strcmp(s->address, r->self) == 0 ||
		    !ag_fsm_is_denied(r->fsm, s->address))
			continue;
		/* raft_remove replaces the configuration s points into. */
		(void)snprintf(id, sizeof id, "%s", s->address);
		r->change.data = r;
		if ((rc = raft_remove(&r->raft, &r->change, s->id,
		    on_change_done)) != 0) {
			ag_log(AG_LOG_DEBUG, "raft: remove %s: %s", id,
			    raft_strerror(rc));
			return 0;
		}
		r->change_busy = 1;
		ag_log(AG_LOG_NOTICE, "raft: removing %s from the cluster "
		    "(denied)", id);
		return 1;
	}
	return 0;
}

/* One configuration change per call at most (raft allows one at a time). */
static void
manage_voters(struct ag_raft *r, double now)
{
	const struct raft_configuration	*c = &r->raft.configuration;
	const struct raft_server	*standby = NULL, *dead = NULL;
	unsigned			 i, voters = count_role(r, RAFT_VOTER);
	unsigned			 max = r->cfg.max_voters;

	if (r->change_busy || !leader_quorum(r) ||
	    r->raft.configuration_uncommitted_index != 0)
		return;
	track_dead(r, now);
	if (remove_denied(r) || add_member(r, net_raft_io_cluster(&r->io)))
		return;
	for (i = 0; i < c->n; i++) {
		const struct raft_server *s = &c->servers[i];
		int alive = peer_alive(r, s->address);

		if (s->role == RAFT_SPARE && alive) {
			(void)do_assign(r, s, voters < max ? RAFT_VOTER :
			    RAFT_STANDBY, "joined");
			return;
		}
		if (s->role == RAFT_STANDBY && alive && standby == NULL)
			standby = s;
		if (s->role == RAFT_VOTER && dead == NULL && dead_long(r, s,
		    now))
			dead = s;
	}
	if (standby != NULL && (voters < max || (dead != NULL &&
	    voters <= max))) {
		(void)do_assign(r, standby, RAFT_VOTER, voters < max ?
		    "fewer voters than wanted" : "a voter is dead");
		return;
	}
	if (dead != NULL && voters > max) {
		(void)do_assign(r, dead, RAFT_SPARE, "dead");
		return;
	}
	/*
	 * More voters than wanted, all alive (a dead voter came back after
	 * a standby replaced it): the last alive voter that is not us
	 * becomes a standby.
	 */
	if (voters > max)
		for (i = c->n; i-- > 0;)
			if (c->servers[i].role == RAFT_VOTER &&
			    strcmp(c->servers[i].address, r->self) != 0) {
				(void)do_assign(r, &c->servers[i],
				    RAFT_STANDBY, "more voters than wanted");
				return;
			}
}

/* --- raft callbacks and change detection -------------------------------- */

/*
 * A follower forgets its leader once it has not heard from it for the
 * (minimum) election timeout.  Raft 0.15 refuses every pre-vote and vote
 * while a follower still names a leader, and a follower names it until
 * its own randomised timer fires; so after a leader dies the first
 * candidate is turned down by everyone whose timer has not fired yet,
 * and the election takes two or three timeouts.  The Raft thesis
 * (section 4.2.3) asks only that votes be refused "within the minimum
 * election timeout of hearing from a current leader": this restores that
 * rule, and with it a failover of about one timeout.
 */
static void
forget_silent_leader(struct ag_raft *r)
{
	struct raft			*f = &r->raft;
	const struct raft_server	*s;
	raft_time			 now, quiet = f->election_timeout;

	if (raft_state(f) != RAFT_FOLLOWER ||
	    f->follower_state.current_leader.id == 0)
		return;
	/* A standby hears an empty AppendEntries every STANDBY_HEARTBEAT_S
	 * only (io_hold); it votes on nothing, so only API forwarding uses
	 * what it names. */
	if ((s = server_of(r, r->self)) != NULL && s->role == RAFT_STANDBY)
		quiet += (raft_time)(STANDBY_HEARTBEAT_S * 1000);
	now = f->io->time(f->io);
	if (now < f->election_timer_start ||
	    now - f->election_timer_start < quiet)
		return;
	f->follower_state.current_leader.id = 0;
	raft_free(f->follower_state.current_leader.address);
	f->follower_state.current_leader.address = NULL;
}

static void
on_barrier(struct raft_barrier *req, int status)
{
	struct barrier_req	*b = req->data;
	struct ag_raft		*r = b->r;
	int			 ok;

	ok = status == 0 && b->gen == r->gen && r->raft_ok &&
	    raft_state(&r->raft) == RAFT_LEADER &&
	    r->raft.current_term == b->term;
	if (b->cb != NULL) {
		b->cb(b->arg, ok ? 0 : status != 0 ? status :
		    RAFT_LEADERSHIPLOST);
		free(b);
		return;
	}
	if (b->gen == r->gen && r->barrier_term == b->term) {
		if (ok)
			r->current_term = b->term;
		else
			r->barrier_term = 0;	/* check() tries again */
	}
	free(b);
}

/*
 * Raft commits the entries of earlier terms only together with one of
 * the leader's own term, so a new leader's state machine can lack
 * decisions that an earlier leader acknowledged (a placement, a
 * release).  Until a barrier of its term has been applied the leader
 * does not answer from its state (is_current false): Raft's rule for
 * reads (section 8 of the paper).
 */
static void
leader_barrier(struct ag_raft *r)
{
	struct barrier_req	*b;
	uint64_t		 term = r->raft.current_term;
	int			 rc;

	if (raft_state(&r->raft) != RAFT_LEADER || r->current_term == term ||
	    r->barrier_term == term)
		return;
	if ((b = calloc(1, sizeof *b)) == NULL)
		return;			/* tried again at the next check */
	b->r = r;
	b->term = term;
	b->gen = r->gen;
	b->req.data = b;
	r->barrier_term = term;
	if ((rc = raft_barrier(&r->raft, &b->req, on_barrier)) != 0) {
		ag_log(AG_LOG_WARNING, "raft: cannot append the leader's "
		    "barrier: %s", raft_strerror(rc));
		r->barrier_term = 0;
		free(b);
	}
}

static int
is_current(struct ag_raft *r)
{
	return raft_state(&r->raft) == RAFT_LEADER &&
	    r->current_term == r->raft.current_term;
}

static void
check(void *arg)
{
	struct ag_raft	*r = arg;
	raft_id		 lid = 0;
	const char	*laddr = NULL;
	char		 leader[SEC_NODE_ID_SIZE] = "";
	int		 state, changed = 0;

	if (!running(r) || r->in_check)
		return;
	r->in_check = 1;
	forget_silent_leader(r);
	leader_barrier(r);
	state = raft_state(&r->raft);
	raft_leader(&r->raft, &lid, &laddr);
	if (lid != 0 && laddr != NULL)
		(void)snprintf(leader, sizeof leader, "%s", laddr);
	if (state != r->last_state || strcmp(leader, r->last_leader) != 0 ||
	    r->raft.current_term != r->last_term) {
		if (strcmp(leader, r->last_leader) != 0 && leader[0] != '\0')
			r->ctr.leader_changes++;
		if (state == RAFT_CANDIDATE && (r->last_state != state ||
		    r->raft.current_term != r->last_term))
			r->ctr.elections++;
		ag_log(AG_LOG_NOTICE, "raft: term %llu, %s%s%s",
		    (unsigned long long)r->raft.current_term,
		    state == RAFT_LEADER ? "leader" : state == RAFT_CANDIDATE ?
		    "candidate" : state == RAFT_FOLLOWER ? "follower" :
		    "unavailable", leader[0] ? ", leader " : "", leader);
		changed = 1;
	}
	if (r->raft.commit_index != r->last_commit ||
	    is_current(r) != r->last_current)
		changed = 1;
	r->last_current = is_current(r);
	r->last_state = state;
	(void)snprintf(r->last_leader, sizeof r->last_leader, "%s", leader);
	r->last_term = r->raft.current_term;
	r->last_commit = r->raft.commit_index;
	r->in_check = 0;
	if (changed) {
		announce(r, 0);
		if (r->hooks.changed != NULL)
			r->hooks.changed(r->hooks.arg);
	}
}

static int
io_send(void *arg, const char *peer, const uint8_t *buf, size_t len)
{
	struct ag_raft	*r = arg;

	return r->hooks.send != NULL ?
	    r->hooks.send(r->hooks.arg, peer, buf, len) : -1;
}

/*
 * The transport's hold (net_raft_io.h).  A standby neither votes nor times
 * out (raft 0.15 starts elections on voters only), so of the leader's
 * heartbeats - an empty AppendEntries every heartbeat_ms to every voter
 * and standby - a standby needs only those that move its commit index.
 * An empty AppendEntries to a standby therefore goes out when its commit
 * index differs from the last one sent to it, when a session to it came up
 * (what a broken session lost is repaired at once: ag_raft_peer_up), or
 * STANDBY_HEARTBEAT_S after the last; entries always go, and so does
 * everything to voters.  Held ones are lost messages to raft.  At 2 s the
 * standbys' heartbeats and answers were a third of an idle 32-node
 * cluster's raft messages, and all of them the leader's to send.
 */
static int
io_hold(void *arg, const struct raft_message *m)
{
	struct ag_raft			*r = arg;
	struct peer			*p;
	const struct raft_server	*s;
	double				 now = now_s();

	if (m->type != RAFT_IO_APPEND_ENTRIES || m->server_address == NULL ||
	    (p = peer_find(r, m->server_address)) == NULL)
		return 0;
	if (m->append_entries.n_entries == 0 &&
	    m->append_entries.leader_commit == p->ae_commit &&
	    now - p->ae_sent < STANDBY_HEARTBEAT_S && !p->ae_repair &&
	    (s = server_of(r, m->server_address)) != NULL &&
	    s->role == RAFT_STANDBY)
		return 1;
	p->ae_sent = now;
	p->ae_repair = 0;
	p->ae_commit = m->append_entries.leader_commit;
	return 0;
}

static int
open_io(struct ag_raft *r, char *err, size_t errlen)
{
	struct net_raft_io_config	ic;
	struct net_raft_transport	t = { io_send, io_hold, r };

	if (r->io_ok)
		return 0;
	memset(&ic, 0, sizeof ic);
	ic.data_dir = r->cfg.data_dir;
	ic.self = r->self;
	ic.seed = r->cfg.seed;
	ic.after = check;
	ic.after_arg = r;
	if (net_raft_io_init(&r->io, r->base, &ic, &t, err, errlen) != 0)
		return -1;
	r->io_ok = 1;
	return 0;
}

/* Starts raft; with voters, bootstraps a new configuration of them. */
static int
start_raft(struct ag_raft *r, const char *const *voters, size_t nvoters)
{
	struct raft_configuration	conf;
	char				err[256];
	size_t				i;
	int				rc;

	if (open_io(r, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "raft: %s", err);
		return -1;
	}
	ag_fsm_raft(r->fsm, &r->rfsm);
	if ((rc = raft_init(&r->raft, &r->io, &r->rfsm, net_raft_id(r->self),
	    r->self)) != 0) {
		ag_log(AG_LOG_ERR, "raft: init: %s", raft_strerror(rc));
		return -1;
	}
	r->raft.data = r;
	r->raft_ok = 1;
	r->gen++;
	r->barrier_term = r->current_term = 0;
	r->last_current = 0;
	raft_set_election_timeout(&r->raft, r->cfg.election_ms);
	raft_set_heartbeat_timeout(&r->raft, r->cfg.heartbeat_ms);
	raft_set_pre_vote(&r->raft, true);
	raft_set_snapshot_threshold(&r->raft, SNAPSHOT_THRESHOLD);
	raft_set_snapshot_trailing(&r->raft, SNAPSHOT_TRAILING);
	if (nvoters > 0) {
		raft_configuration_init(&conf);
		for (i = 0, rc = 0; rc == 0 && i < nvoters; i++)
			rc = raft_configuration_add(&conf,
			    net_raft_id(voters[i]), voters[i], RAFT_VOTER);
		if (rc == 0)
			rc = raft_bootstrap(&r->raft, &conf);
		raft_configuration_close(&conf);
		if (rc != 0) {
			ag_log(AG_LOG_ERR, "raft: bootstrap: %s",
			    raft_strerror(rc));
			return -1;
		}
	}
	if ((rc = raft_start(&r->raft)) != 0) {
		ag_log(AG_LOG_ERR, "raft: start: %s (%s)", raft_strerror(rc),
		    raft_errmsg(&r->raft));
		return -1;
	}
	r->last_state = -1;
	return 0;
}

/* --- housekeeping ---------------------------------------------------------- */

static void
on_housekeep(evutil_socket_t fd, short what, void *arg)
{
	struct ag_raft	*r = arg;
	double		 now = now_s();

	if (r->mode == MODE_FORMING)
		forming(r, now);
	else if (running(r)) {
		check(r);
		if (!maybe_merge(r) && raft_state(&r->raft) == RAFT_LEADER)
			manage_voters(r, now);
	}
	if (r->mode != MODE_SWITCHING)
		announce(r, 0);
}

/* --- public ------------------------------------------------------------------ */

void
ag_raft_peer_up(struct ag_raft *r, const char *peer)
{
	struct peer		*p = peer_get(r, peer);
	struct ag_announce	 a;

	if (p == NULL)
		return;
	p->up = 1;
	p->dead_since = 0;
	p->ae_repair = 1;	/* its next heartbeat is not held (io_hold) */
	if (r->mode != MODE_SWITCHING) {
		own_announce(r, &a);
		send_announce(r, peer, &a);
	}
}

void
ag_raft_peer_down(struct ag_raft *r, const char *peer)
{
	struct peer	*p = peer_find(r, peer);

	if (p != NULL) {
		p->up = 0;
		p->heard = 0;
	}
}

int
ag_raft_recv(struct ag_raft *r, const char *peer, const uint8_t *buf,
    size_t len, char *err, size_t errlen)
{
	int	rc;

	struct peer	*p;

	if (!r->io_ok || r->mode == MODE_SWITCHING)
		return 0;
	if ((p = peer_get(r, peer)) != NULL)
		p->raft_heard = now_s();
	rc = net_raft_io_recv(&r->io, peer, buf, len, err, errlen);
	check(r);
	return rc;
}

int
ag_raft_recv_announce(struct ag_raft *r, const char *peer, const uint8_t *buf,
    size_t len, char *err, size_t errlen)
{
	struct ag_announce	 a;
	struct peer		*p;

	if (ag_announce_decode(buf, len, &a, err, errlen) != 0)
		return -1;
	if ((p = peer_get(r, peer)) == NULL)
		return 0;
	p->a = a;
	p->heard = 1;
	p->up = 1;
	/* A fresh node forms at once when a cluster shows up. */
	if (r->mode == MODE_FORMING && a.member && a.cluster[0] != '\0')
		forming(r, now_s());
	return 0;
}

static void
on_applied(struct raft_apply *req, int status, void *result)
{
	struct apply_req		*a = req->data;
	const struct ag_fsm_result	*res = status == 0 ? result : NULL;

	if (status != 0)
		a->r->ctr.failed++;
	else if (res != NULL && res->status == AG_FSM_OK)
		a->r->ctr.commits_ok++;
	else
		a->r->ctr.commits_refused++;
	a->cb(a->arg, status, res, req->index);
	free(a);
}

int
ag_raft_propose(struct ag_raft *r, const struct ag_fsm_cmd *cmd,
    ag_raft_apply_cb cb, void *arg, char *err, size_t errlen)
{
	struct apply_req	*a;
	struct raft_buffer	 buf;
	int			 rc;

	if (!running(r) || raft_state(&r->raft) != RAFT_LEADER) {
		(void)snprintf(err, errlen, "not the leader");
		return -1;
	}
	if (ag_fsm_cmd_encode(cmd, &buf, err, errlen) != 0)
		return -1;
	if ((a = calloc(1, sizeof *a)) == NULL) {
		raft_free(buf.base);
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->r = r;
	a->cb = cb;
	a->arg = arg;
	a->req.data = a;
	if ((rc = raft_apply(&r->raft, &a->req, &buf, 1, on_applied)) != 0) {
		raft_free(buf.base);
		free(a);
		(void)snprintf(err, errlen, "raft: %s", raft_strerror(rc));
		return -1;
	}
	r->ctr.proposals++;
	return 0;
}

int
ag_raft_barrier(struct ag_raft *r, ag_raft_barrier_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct barrier_req	*b;
	int			 rc;

	if (!running(r) || raft_state(&r->raft) != RAFT_LEADER) {
		(void)snprintf(err, errlen, "not the leader");
		return -1;
	}
	if ((b = calloc(1, sizeof *b)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->r = r;
	b->term = r->raft.current_term;
	b->gen = r->gen;
	b->cb = cb;
	b->arg = arg;
	b->req.data = b;
	if ((rc = raft_barrier(&r->raft, &b->req, on_barrier)) != 0) {
		free(b);
		(void)snprintf(err, errlen, "raft: %s", raft_strerror(rc));
		return -1;
	}
	return 0;
}

void
ag_raft_hold_bootstrap(struct ag_raft *r, int hold)
{
	r->hold = hold;
}

void
ag_raft_status(struct ag_raft *r, struct ag_raft_status *st)
{
	raft_id		 lid = 0;
	const char	*laddr = NULL;
	int		 state;

	memset(st, 0, sizeof *st);
	if (r->io_ok)
		(void)snprintf(st->cluster_id, sizeof st->cluster_id, "%s",
		    net_raft_io_cluster(&r->io));
	switch (r->mode) {
	case MODE_FORMING:
		st->role = "forming";
		return;
	case MODE_SWITCHING:
		st->role = "joining";
		return;
	case MODE_FAILED:
		st->role = "unavailable";
		return;
	case MODE_RUNNING:
		break;
	}
	if (!r->raft_ok) {
		st->role = "unavailable";
		return;
	}
	state = raft_state(&r->raft);
	raft_leader(&r->raft, &lid, &laddr);
	if (lid != 0 && laddr != NULL)
		(void)snprintf(st->leader, sizeof st->leader, "%s", laddr);
	st->term = r->raft.current_term;
	st->commit_index = r->raft.commit_index;
	st->applied_index = r->raft.last_applied;
	if (state == RAFT_LEADER)
		st->leader_commit = st->commit_index;
	else if (st->leader[0] != '\0') {
		const struct peer *p = peer_find(r, st->leader);

		if (p != NULL && p->heard && strcmp(p->a.leader, st->leader)
		    == 0 && p->a.term == st->term)
			st->leader_commit = p->a.commit;
	}
	st->servers = r->raft.configuration.n;
	st->voters = count_role(r, RAFT_VOTER);
	{
		const struct raft_server *s = server_of(r, r->self);

		st->voter = s != NULL && s->role == RAFT_VOTER;
		if (s == NULL)
			st->role = "joining";
		else if (state == RAFT_LEADER)
			st->role = "leader";
		else if (state == RAFT_CANDIDATE)
			st->role = "candidate";
		else if (state == RAFT_FOLLOWER)
			st->role = st->voter ? "follower" : "standby";
		else
			st->role = "unavailable";
	}
	st->is_leader = state == RAFT_LEADER;
	st->current = is_current(r);
	st->quorum = st->is_leader ? leader_quorum(r) : st->leader[0] != '\0';
	if (st->is_leader && !st->quorum)
		st->leader[0] = '\0';
}

const struct ag_fsm *
ag_raft_fsm(struct ag_raft *r)
{
	return r->fsm;
}

void
ag_raft_counters(struct ag_raft *r, struct ag_raft_counters *out)
{
	struct net_raft_io_stats	st;

	*out = r->ctr;
	out->fsyncs = r->io_base.fsyncs;
	out->foreign = r->io_base.foreign;
	if (r->io_ok) {
		net_raft_io_stats(&r->io, &st);
		out->fsyncs += st.fsyncs;
		out->foreign += st.foreign;
	}
}

struct ag_raft *
ag_raft_new(struct event_base *base, const struct ag_raft_config *cfg,
    const struct ag_raft_hooks *hooks, char *err, size_t errlen)
{
	struct ag_raft	*r = calloc(1, sizeof *r);
	struct timeval	 tv = { 0, HOUSEKEEP_MS * 1000 };
	int		 has;

	if (r == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->base = base;
	r->cfg = *cfg;
	r->hooks = *hooks;
	(void)snprintf(r->self, sizeof r->self, "%s", cfg->self);
	(void)snprintf(r->dir, sizeof r->dir, "%s", cfg->data_dir);
	r->cfg.data_dir = r->dir;
	r->cfg.self = r->self;
	if (r->cfg.max_voters == 0)
		r->cfg.max_voters = 5;
	if (r->cfg.bootstrap_window_s <= 0)
		r->cfg.bootstrap_window_s = 2.0;
	if (r->cfg.promote_after_s <= 0)
		r->cfg.promote_after_s = 10.0;
	if (r->cfg.election_ms == 0)
		r->cfg.election_ms = 1000;
	if (r->cfg.heartbeat_ms == 0)
		r->cfg.heartbeat_ms = 200;
	if (r->cfg.max_placements == 0)
		r->cfg.max_placements = AG_FSM_MAX_PLACEMENTS;
	r->started = now_s();
	if ((r->fsm = ag_fsm_new(r->cfg.max_placements)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	has = net_raft_io_has_state(r->cfg.data_dir);
	r->mode = MODE_FORMING;
	/* Open the io now: it reads (and checks) the cluster id on disk. */
	if (open_io(r, err, errlen) != 0)
		goto fail;
	if (has || net_raft_io_cluster(&r->io)[0] != '\0') {
		r->mode = MODE_RUNNING;
		if (start_raft(r, NULL, 0) != 0) {
			(void)snprintf(err, errlen, "raft cannot start on the "
			    "state in %s/%s (see the log)", r->dir,
			    NET_RAFT_DIR);
			goto fail;
		}
	}
	if ((r->housekeep = event_new(base, -1, EV_PERSIST, on_housekeep, r))
	    == NULL || event_add(r->housekeep, &tv) != 0) {
		(void)snprintf(err, errlen, "cannot arm the raft timer");
		goto fail;
	}
	return r;
fail:
	ag_raft_free(r);
	return NULL;
}

static void
on_final_close(struct raft *raft)
{
	struct ag_raft	*r = raft->data;

	r->raft_ok = 0;
}

void
ag_raft_free(struct ag_raft *r)
{
	if (r == NULL)
		return;
	if (r->housekeep != NULL)
		event_free(r->housekeep);
	r->freeing = 1;
	if (r->raft_ok) {
		/* A switch in progress has called raft_close already. */
		if (r->mode != MODE_SWITCHING)
			raft_close(&r->raft, on_final_close);
		r->mode = MODE_SWITCHING;	/* no more decisions */
		/*
		 * Let the io deliver the cancellations and the close callback
		 * (deferred events and the disk worker's last completions).
		 */
		for (int i = 0; r->raft_ok && i < 10000; i++)
			if (event_base_loop(r->base, EVLOOP_ONCE) != 0)
				break;
	}
	if (r->io_ok)
		net_raft_io_fini(&r->io);
	ag_fsm_free(r->fsm);
	free(r->peers);
	free(r);
}

/* --- recovery (offline) ---------------------------------------------------- */

static int
no_send(void *arg, const char *peer, const uint8_t *buf, size_t len)
{
	return -1;
}

static void
on_recover_closed(struct raft *raft)
{
	*(int *)raft->data = 1;
}

int
ag_raft_recover(const char *data_dir, const char *self, char *err,
    size_t errlen)
{
	struct event_base		*base = event_base_new();
	struct net_raft_io_config	 ic;
	struct net_raft_transport	 t = { no_send, NULL, NULL };
	struct raft_configuration	 conf;
	struct raft_io			 io;
	struct raft_fsm			 rfsm;
	struct raft			 raft;
	struct ag_fsm			*fsm = ag_fsm_new(AG_FSM_MAX_PLACEMENTS);
	int				 rc = -1, closed = 0, i;

	memset(&ic, 0, sizeof ic);
	ic.data_dir = data_dir;
	ic.self = self;
	if (base == NULL || fsm == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!net_raft_io_has_state(data_dir)) {
		(void)snprintf(err, errlen, "%s/%s holds no raft state: nothing "
		    "to recover (a fresh node joins or forms a cluster by "
		    "itself)", data_dir, NET_RAFT_DIR);
		goto out;
	}
	if (net_raft_io_init(&io, base, &ic, &t, err, errlen) != 0)
		goto out;
	ag_fsm_raft(fsm, &rfsm);
	if ((rc = raft_init(&raft, &io, &rfsm, net_raft_id(self), self)) != 0) {
		(void)snprintf(err, errlen, "raft: %s", raft_strerror(rc));
		net_raft_io_fini(&io);
		rc = -1;
		goto out;
	}
	raft.data = &closed;
	raft_configuration_init(&conf);
	rc = raft_configuration_add(&conf, net_raft_id(self), self, RAFT_VOTER);
	if (rc == 0 && (rc = raft_recover(&raft, &conf)) != 0)
		(void)snprintf(err, errlen, "raft recover: %s (%s)",
		    raft_strerror(rc), raft_errmsg(&raft));
	raft_configuration_close(&conf);
	raft_close(&raft, on_recover_closed);
	for (i = 0; !closed && i < 10000; i++)
		if (event_base_loop(base, EVLOOP_ONCE) != 0)
			break;
	net_raft_io_fini(&io);
	rc = rc == 0 ? 0 : -1;
out:
	ag_fsm_free(fsm);
	if (base != NULL)
		event_base_free(base);
	return rc;
}
