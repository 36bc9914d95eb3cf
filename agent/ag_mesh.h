/*
 * ag_mesh.h - the neighbourhood rules of membership probe mode: which
 * members a node keeps sessions to, and which idle sessions it closes
 * when it holds too many (docs/cluster.md, "Sessions and the
 * neighbourhood").  Pure functions, so that they are tested alone;
 * agent/ag_node_mesh.c applies them to the node's sessions.
 */
#ifndef AG_MESH_H
#define AG_MESH_H

#include <stddef.h>

/*
 * A pair's score in [0, 1): a hash of the two node ids in a fixed order,
 * so both ends compute the same number.
 */
double	ag_mesh_score(const char *a, const char *b);

/*
 * 1 if a pair with that score are neighbours in a cluster of members
 * nodes (self included) where each should have about k: score <
 * k / (members - 1); every pair when k is 0 or members - 1 <= k.  Both
 * ends agree whenever they count the same members.
 */
int	ag_mesh_neighbours(double score, size_t members, unsigned k);

/* A session the node could close. */
struct ag_mesh_session {
	int	index;		/* the caller's */
	double	last_used;	/* monotonic s */
	int	kept;		/* neighbour, partner, tunnel: never closed */
};

/*
 * Which sessions to close so that at most max remain, of n: the least
 * recently used of those not kept and idle for at least idle_s at now,
 * oldest first, into out[] (room for n); returns how many.  Fewer than
 * n - max when too many are kept or busy.
 */
size_t	ag_mesh_evict(struct ag_mesh_session *s, size_t n, size_t max,
	    double now, double idle_s, int *out);

#endif /* AG_MESH_H */
