/*
 * ag_node_coord.c - this node's network coordinate and the links its
 * record carries (docs/cluster.md, "Network coordinates" and "Links in
 * the record").
 *
 * The coordinate (net/net_vivaldi.h) learns from RTTs the node already
 * has: every cluster tick, each connected peer whose gossiped record
 * carries a coordinate gives one sample, the floor of the QUIC
 * connection's RTT (peer_rtt) against that coordinate.  Nothing is sent
 * for it.
 *
 * A record carries at most AG_RECORD_MAX_LINKS links, so in a large
 * cluster the node picks which of its measured peers to report
 * (ag_record_pick_links: placement partners, then the nearest, with a
 * bonus for those reported last time); this file gathers the facts it
 * ranks by.  Pairs nobody reports are estimated from the coordinates
 * when the leader builds its snapshot (ag_snapshot.c).
 */
#include "ag_node_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ag_cluster.h"
#include "ag_config.h"
#include "ag_fsm.h"
#include "ag_log.h"
#include "ag_raft.h"

static void
coord_ready(struct ag_node *n)
{
	uint64_t	seed = 1469598103934665603ULL;	/* FNV-1a */
	const char	*s;

	if (n->viv_ready)
		return;
	for (s = n->trust.node_id; *s != '\0'; s++)
		seed = (seed ^ (unsigned char)*s) * 1099511628211ULL;
	net_viv_init(&n->viv, seed);
	n->viv_ready = 1;
}

/*
 * The RTT a connected peer (HELLO done) is reported and sampled at, or
 * NAN: the floor of the connection's latest RTT over the last
 * RTT_WINDOW_S to 2 x RTT_WINDOW_S (a windowed minimum of the samples
 * taken every cluster tick, kept in two buckets).  The smoothed RTT moves
 * by milliseconds whenever either host is busy (its scheduler, not the
 * path), and every such move republished the record and shifted the
 * coordinate; the floor follows the path, rising only when the path's
 * latency stays up for a whole window.
 */
#define RTT_WINDOW_S	30.0

static double
peer_rtt(struct ag_node *n, int i)
{
	struct ag_peer		*p = &n->peers[i];
	struct net_quic_stats	 st;
	double			 now = ag_node_now();

	if (p->link == NULL || !p->link->hello ||
	    net_quic_conn_stats(p->link->conn, &st) != 0 ||
	    !(st.latest_rtt > 0) || !(st.smoothed_rtt > 0))
		return NAN;
	if (!(p->rtt_win_at > 0) || now - p->rtt_win_at >= RTT_WINDOW_S) {
		p->rtt_prev = p->rtt_win_at > 0 &&
		    now - p->rtt_win_at < 2 * RTT_WINDOW_S ? p->rtt_cur : NAN;
		p->rtt_cur = NAN;
		p->rtt_win_at = now;
	}
	if (!(p->rtt_cur <= st.latest_rtt))	/* also NAN */
		p->rtt_cur = st.latest_rtt;
	p->rtt_last = p->rtt_prev < p->rtt_cur ? p->rtt_prev : p->rtt_cur;
	return p->rtt_last;
}

/*
 * Probe mode: a link stays in the record for LINK_LINGER_S after its
 * session ended (at the RTT last reported), while membership has the
 * member alive.  Sessions other than the neighbours' come and go with
 * the traffic (an idle one ends after 30 s); the record must not follow
 * them, or every probe of a member with no session would change it.
 */
#define LINK_LINGER_S	600.0

static double
lingering_rtt(struct ag_node *n, int i)
{
	const struct ag_peer	*p = &n->peers[i];

	if (!ag_config_probe(n->cfg) || p->link != NULL ||
	    !(p->session_end > 0) ||
	    ag_node_now() - p->session_end > LINK_LINGER_S ||
	    !isfinite(p->rtt_last) || n->cluster == NULL ||
	    ag_cluster_member_gone(n->cluster, p->node_id))
		return NAN;
	return p->rtt_last;
}

void
ag_node_coord_sample(struct ag_node *n, const char *origin,
    const struct ag_record *r)
{
	double	rtt;
	int	i;

	coord_ready(n);
	if (!r->has_coord || (i = ag_node_peer_find(n, origin)) < 0 ||
	    !isfinite(rtt = peer_rtt(n, i)))
		return;
	if (net_viv_update(&n->viv, &r->coord, rtt) != 0 &&
	    n->viv.refused == 1)
		ag_log(AG_LOG_INFO, "coordinates: refused a sample from %s "
		    "(RTT %g s; logged once)", origin, rtt);
}

/*
 * is[i] = 1 for every peer i (n->peers) that shares a live placement with
 * us: a stage or the client of one we are a stage or the client of.
 */
void
ag_node_partners(struct ag_node *n, unsigned char *is)
{
	const struct ag_fsm		*f;
	const struct ag_placement	*p;
	size_t				 k;
	int				 s, mine, j;

	memset(is, 0, (size_t)n->npeers);
	if (n->cluster == NULL ||
	    (f = ag_raft_fsm(ag_cluster_raft(n->cluster))) == NULL)
		return;
	for (k = 0; k < ag_fsm_count(f); k++) {
		p = ag_fsm_at(f, k);
		mine = strcmp(p->client, n->trust.node_id) == 0;
		for (s = 0; s < p->nstages && s < AG_PLACE_STAGES && !mine;
		    s++)
			mine = strcmp(p->stages[s].node, n->trust.node_id) == 0;
		if (!mine)
			continue;
		for (s = -1; s < p->nstages && s < AG_PLACE_STAGES; s++) {
			j = ag_node_peer_find(n, s < 0 ? p->client :
			    p->stages[s].node);
			if (j >= 0)
				is[j] = 1;
		}
	}
}

/* Marks peers sharing a live placement with us as partners. */
static void
mark_partners(struct ag_node *n, struct ag_record_cand *c, const int *slot)
{
	unsigned char	is[AG_MAX_PEERS];
	int		i;

	ag_node_partners(n, is);
	for (i = 0; i < n->npeers && i < AG_MAX_PEERS; i++)
		if (is[i] && slot[i] >= 0)
			c[slot[i]].partner = 1;
}

static int
was_published(const struct ag_node *n, const char *id)
{
	int	i;

	for (i = 0; n->pub_rec != NULL && i < n->pub_rec->nlinks &&
	    i < AG_RECORD_MAX_LINKS; i++)
		if (strcmp(n->pub_rec->links[i].peer, id) == 0)
			return 1;
	return 0;
}

void
ag_node_coord_record(struct ag_node *n, struct ag_record *r)
{
	struct ag_record_cand	c[AG_MAX_PEERS];
	int			slot[AG_MAX_PEERS];
	int			i, nc = 0, keep;
	double			rtt;

	coord_ready(n);
	for (i = 0; i < n->npeers && i < AG_MAX_PEERS; i++) {
		struct ag_peer	*p = &n->peers[i];

		slot[i] = -1;
		if (p->link != NULL && p->link->hello)
			rtt = peer_rtt(n, i);
		else if (!isfinite(rtt = lingering_rtt(n, i)))
			continue;
		memset(&c[nc], 0, sizeof c[nc]);
		c[nc].peer = p->node_id;
		c[nc].index = i;
		c[nc].rtt_s = rtt;
		slot[i] = nc++;
	}
	if (nc > AG_RECORD_MAX_LINKS) {
		mark_partners(n, c, slot);
		for (i = 0; i < nc; i++)
			c[i].published = was_published(n, c[i].peer);
	}
	keep = ag_record_pick_links(c, nc, AG_RECORD_MAX_LINKS);
	r->nlinks = 0;
	for (i = 0; i < keep; i++) {
		struct ag_peer		*p = &n->peers[c[i].index];
		struct ag_record_link	*k = &r->links[r->nlinks++];

		(void)snprintf(k->peer, sizeof k->peer, "%s", p->node_id);
		(void)snprintf(k->addr, sizeof k->addr, "%s", p->addr);
		k->rtt_s = c[i].rtt_s;
		k->bandwidth = p->bandwidth;
	}
	/* Published from the start (at the origin, with the largest error):
	 * peers need someone's coordinate to take their first samples. */
	r->coord = n->viv.coord;
	r->has_coord = 1;
}
