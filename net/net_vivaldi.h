/*
 * net_vivaldi.h - network coordinates: an estimate of the round-trip time
 * between any two nodes from a few RTT samples per node (Vivaldi, Dabek
 * et al., SIGCOMM 2004, with the refinements Serf and Consul use).
 *
 * Shape.  A pure state machine (DESIGN.md, "Two rules"): the caller feeds
 * it an RTT it measured to a peer together with that peer's published
 * coordinate, and reads back this node's own coordinate to publish.  It
 * does no I/O, reads no clock and keeps its random state in the struct,
 * so tests replay any run from a seed.
 *
 * Model.  A coordinate is a point in an 8-dimensional Euclidean space
 * plus a non-negative height (the access link every packet crosses
 * twice: out of the sender, into the receiver), an adjustment term (half
 * the mean recent difference between measured and estimated RTT, which
 * soaks up what the space cannot embed) and an error estimate (how far
 * off the node believes its own estimates are, relative; starts at
 * NET_VIV_ERROR_MAX).  The estimated RTT between coordinates a and b is
 *
 *	raw = |a.vec - b.vec| + a.height + b.height
 *	est = raw + a.adjustment + b.adjustment, or raw when that is <= 0
 *
 * An update is a spring relaxation: the node moves along the line to the
 * peer by cc * w * (rtt - est), where the weight w = own error / (own +
 * peer error) lets a confident peer pull harder than an unsure one (the
 * adaptive timestep of the paper); the error estimate moves toward the
 * sample's relative error by ce * w.  A weak gravity pulls every
 * coordinate toward the origin (force (distance / rho)^2) so the whole
 * system does not drift away over months.
 *
 * Untrusted input.  A peer's coordinate arrives by gossip.  Updates
 * refuse a peer coordinate that net_viv_coord_valid rejects (a NaN or
 * infinity anywhere, a component, height or adjustment beyond
 * NET_VIV_COORD_MAX, an error outside [0, NET_VIV_ERROR_MAX]) and an RTT
 * that is not finite, negative or above NET_VIV_RTT_MAX; the node's own
 * coordinate is clamped into the same bounds after every step and reset
 * to the origin should it ever stop being finite.  A lying peer can
 * therefore pull our coordinate only as far as its lie and our own RTT
 * measurement allow, never out of bounds.
 */
#ifndef NET_VIVALDI_H
#define NET_VIVALDI_H

#include <stdint.h>

#define NET_VIV_DIMS		8
#define NET_VIV_ERROR_MAX	1.5	/* and the starting error */
#define NET_VIV_CE		0.25	/* error estimate's step */
#define NET_VIV_CC		0.25	/* coordinate's step */
#define NET_VIV_HEIGHT_MIN	10e-6	/* s */
#define NET_VIV_ADJ_WINDOW	20	/* samples behind the adjustment */
#define NET_VIV_GRAVITY_RHO	150.0	/* s; 0 turns gravity off */
#define NET_VIV_RTT_MAX		10.0	/* s; a longer sample is refused */
#define NET_VIV_COORD_MAX	10.0	/* s; bound on every term */

struct net_viv_coord {
	double	vec[NET_VIV_DIMS];	/* s */
	double	height;			/* s, >= NET_VIV_HEIGHT_MIN */
	double	adjustment;		/* s, may be negative */
	double	error;			/* relative, [0, NET_VIV_ERROR_MAX] */
};

struct net_viv {
	struct net_viv_coord	coord;
	double			adj[NET_VIV_ADJ_WINDOW];
	unsigned		adj_next;
	uint64_t		rng;
	uint64_t		updates;	/* samples taken */
	uint64_t		refused;	/* samples refused */
	uint64_t		resets;		/* non-finite result: reset */
};

/* The origin with the starting error. */
void	net_viv_coord_init(struct net_viv_coord *);
/* 1 when every term is finite and within the bounds above, else 0. */
int	net_viv_coord_valid(const struct net_viv_coord *);
/* A fresh node at the origin; seed drives the few random directions. */
void	net_viv_init(struct net_viv *, uint64_t seed);
/*
 * Takes one RTT sample (seconds) to a peer whose coordinate is *peer.
 * 0 when taken, -1 when refused (invalid coordinate or RTT); a refused
 * sample leaves the state as it was apart from the refused count.
 */
int	net_viv_update(struct net_viv *, const struct net_viv_coord *peer,
	    double rtt_s);
/* Estimated RTT in seconds between two coordinates; NAN if either is
 * invalid. */
double	net_viv_distance(const struct net_viv_coord *,
	    const struct net_viv_coord *);

#endif /* NET_VIVALDI_H */
