/*
 * ag_node_mesh.c - the sessions a node holds in membership probe mode
 * (docs/cluster.md, "Sessions and the neighbourhood").
 *
 * SWIM needs no session kept alive, so a node keeps only its neighbours'
 * (about --neighbours of the alive members, by ag_mesh's symmetric pair
 * score): it dials them and keeps their sessions up with a QUIC PING at
 * half the idle timeout.  Every other session is opened when there is
 * something to send (a probe, gossip, raft, a tunnel) and ends by itself
 * after the idle timeout; above --max-sessions the least recently used
 * ones idle for MESH_IDLE_S that carry nothing the node needs (a
 * neighbour, a placement partner, the leader, a tunnel) are closed at
 * once.  The leader closes none: it sends heartbeats to every voter and
 * standby.  The neighbours' records carry
 * every member's address, which is how the others find it.
 *
 * Runs from the 2 s cluster tick; O(members) for the neighbour test (the
 * peer table is searched only for neighbours) and O(sessions log
 * sessions) for eviction.
 */
#include "ag_node_int.h"

#include <stdlib.h>
#include <string.h>

#include "ag_cluster.h"
#include "ag_config.h"
#include "ag_log.h"
#include "ag_mesh.h"
#include "ag_raft.h"

#define MESH_IDLE_S	2.0	/* unused this long: may be closed */

static unsigned
idle_ms(const struct ag_node *n)
{
	return (unsigned)(n->cfg->idle_timeout_s > 0 ?
	    n->cfg->idle_timeout_s : 30) * 1000;
}

/* Marks the neighbours among the alive members and dials them. */
static void
mark_neighbours(struct ag_node *n)
{
	const char	**ids;
	size_t		  m, i;
	int		  j;

	for (j = 0; j < n->npeers; j++)
		n->peers[j].neighbour = n->peers[j].near = 0;
	if ((ids = calloc(AG_MAX_PEERS + 1, sizeof *ids)) == NULL)
		return;
	m = ag_cluster_alive(n->cluster, ids, AG_MAX_PEERS + 1);
	for (i = 1; i < m; i++) {	/* ids[0] is this node */
		struct ag_peer *p;
		double		score = ag_mesh_score(n->trust.node_id, ids[i]);

		/*
		 * Up to 1.5 times the threshold a session is not closed for
		 * the cap: the two ends may count members a little apart
		 * (one holds a member suspect), and must not fight over it.
		 */
		if (!ag_mesh_neighbours(score / 1.5, m,
		    (unsigned)n->cfg->neighbours))
			continue;
		j = ag_node_peer_find(n, ids[i]);
		if (j >= 0)
			n->peers[j].near = 1;
		if (!ag_mesh_neighbours(score, m, (unsigned)n->cfg->neighbours))
			continue;
		if (j < 0 && (j = ag_node_peer_from_records(n, ids[i])) < 0)
			continue;	/* no address known yet */
		p = &n->peers[j];
		p->neighbour = p->near = 1;
		if (p->link == NULL && ag_node_dial_member(n, p->addr,
		    p->node_id) == 0)
			ag_log(AG_LOG_DEBUG, "peer %s: neighbour; dialling %s",
			    p->node_id, p->addr);
	}
	free(ids);
}

/* Neighbours' sessions get a keep-alive, the others lose theirs. */
static void
set_keepalives(struct ag_node *n)
{
	int	j;

	for (j = 0; j < n->npeers; j++) {
		struct ag_peer *p = &n->peers[j];

		if (p->link == NULL || !p->link->hello ||
		    p->keepalive == p->neighbour)
			continue;
		net_quic_conn_keepalive(p->link->conn, p->neighbour ?
		    idle_ms(n) / 2 : NET_QUIC_KEEPALIVE_OFF);
		p->keepalive = p->neighbour;
	}
}

/* Above --max-sessions: the least recently used idle sessions close. */
static void
evict(struct ag_node *n, double now)
{
	struct ag_mesh_session	*s;
	struct ag_raft_status	 rs;
	unsigned char		 partner[AG_MAX_PEERS];
	int			*out, j;
	size_t			 ns = 0, k, i;

	for (j = 0; j < n->npeers; j++)
		ns += n->peers[j].link != NULL && n->peers[j].link->hello;
	if (ns <= (size_t)n->cfg->max_sessions)
		return;
	s = calloc(ns, sizeof *s);
	out = calloc(ns, sizeof *out);
	if (s == NULL || out == NULL) {
		free(s);
		free(out);
		return;
	}
	ag_node_partners(n, partner);
	ag_raft_status(ag_cluster_raft(n->cluster), &rs);
	if (rs.is_leader) {	/* heartbeats to every voter and standby */
		free(s);
		free(out);
		return;
	}
	for (j = 0, i = 0; j < n->npeers && i < ns; j++) {
		struct ag_peer *p = &n->peers[j];

		if (p->link == NULL || !p->link->hello)
			continue;
		s[i].index = j;
		s[i].last_used = p->last_used;
		s[i].kept = p->near || partner[j] ||
		    strcmp(p->node_id, rs.leader) == 0 ||
		    ag_node_tunnel_conn_busy(n, p->link->conn);
		i++;
	}
	k = ag_mesh_evict(s, i, (size_t)n->cfg->max_sessions, now,
	    MESH_IDLE_S, out);
	for (i = 0; i < k; i++) {
		struct ag_peer *p = &n->peers[out[i]];

		ag_log(AG_LOG_DEBUG, "peer %s: closing an idle session "
		    "(over --max-sessions %ld)", p->node_id,
		    n->cfg->max_sessions);
		n->stats.sessions_evicted++;
		net_quic_close(p->link->conn, NET_QUIC_APP_NO_ERROR,
		    "idle session closed (max-sessions)");
	}
	free(s);
	free(out);
}

void
ag_node_mesh_tick(struct ag_node *n, double now)
{
	if (!ag_config_probe(n->cfg) || n->cluster == NULL)
		return;
	mark_neighbours(n);
	set_keepalives(n);
	evict(n, now);
}
