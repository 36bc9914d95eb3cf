/*
 * sim.h - a deterministic network simulator for the protocol state
 * machines in net/ (election, membership, gossip).
 *
 * Why it exists.  The protocols are I/O-free step functions, so a test
 * can run hundreds of them in one process against a virtual clock and a
 * network it controls: per-link delay, loss, duplication, long-tail
 * delay spikes, partitions, crashes (between steps or in the middle of
 * one) and restarts from what the node persisted.  Everything random
 * comes from one seeded PRNG and events are ordered by (virtual time,
 * sequence number), so a seed replays a run exactly.
 *
 * The node interface.  The simulator knows nothing of the protocol.  A
 * node is an opaque state pointer plus callbacks (struct sim_ops):
 *   start(sim, node, disk, len, arg) -> state
 *       the node boots (first time or after a crash) from the bytes it
 *       last persisted (len 0: a blank disk).  Returns NULL on failure.
 *   recv(sim, node, state, from, msg, len, arg)
 *       a message arrived.
 *   wake(sim, node, state, arg)
 *       the wake-up time it asked for with sim_wake() came.
 *   stop(sim, node, state, arg)
 *       the node crashed: free the state; only the disk survives.
 *   after(sim, node, state, arg)        (optional, may be NULL)
 *       called after every start/recv/wake of a node that is still up:
 *       the place to check invariants.
 * Inside start/recv/wake a node calls back into the simulator:
 *   sim_send()    queue a message (bytes are copied),
 *   sim_persist() replace its disk atomically,
 *   sim_wake()    set its one wake-up time (a later call replaces it),
 *   sim_now(), sim_rand32() for time and randomness,
 *   sim_die()     crash when this callback returns (after all its
 *                 sends and persists), optionally booting again later:
 *                 for tests that aim a crash at one protocol moment.
 * With crash_in_step_ppm > 0 every sim_send/sim_persist may be the point
 * where the process dies: that call and all later ones in the same
 * callback are dropped (the call returns -1) and the node is stopped when
 * the callback returns; with auto_restart_ms > 0 it boots again that
 * much later.  This models kill -9 between two system calls.
 *
 * Driving.  sim_new(), then sim_start() each node, then alternate
 * sim_run_until(t) with disruptions (sim_crash, sim_start, sim_group,
 * sim_heal, sim_set_loss, sim_set_link) from outside any callback.
 * Messages cross only between nodes in the same group (checked when sent
 * and when delivered); a crashed node's messages in flight still arrive.
 */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;

struct sim_ops {
	void	*(*start)(struct sim *, int node, const void *disk,
		    size_t len, void *arg);
	void	 (*recv)(struct sim *, int node, void *st, int from,
		    const void *msg, size_t len, void *arg);
	void	 (*wake)(struct sim *, int node, void *st, void *arg);
	void	 (*stop)(struct sim *, int node, void *st, void *arg);
	void	 (*after)(struct sim *, int node, void *st, void *arg);
};

/* One direction of a link: delay uniform in [min, max] ms, loss. */
struct sim_link {
	uint32_t	delay_min_ms;
	uint32_t	delay_max_ms;
	uint32_t	loss_ppm;	/* parts per million */
};

struct sim_params {
	int		nnodes;
	uint64_t	seed;
	uint64_t	start_ms;	/* virtual clock at start */
	struct sim_link	link;		/* every link unless overridden */
	uint32_t	dup_ppm;	/* delivered twice */
	uint32_t	spike_ppm;	/* delay += uniform [0, spike_max] */
	uint32_t	spike_max_ms;
	uint32_t	crash_in_step_ppm; /* per sim_send/sim_persist */
	uint32_t	auto_restart_ms; /* after such a crash; 0 = stay down */
};

struct sim_stats {
	uint64_t	sent;
	uint64_t	delivered;
	uint64_t	dropped;	/* loss, partition, receiver down */
	uint64_t	crashes;
	uint64_t	events;
};

void		 sim_params_default(struct sim_params *p, int nnodes,
		    uint64_t seed);
struct sim	*sim_new(const struct sim_params *p, const struct sim_ops *ops,
		    void *arg);
void		 sim_free(struct sim *sim);

/* Driving (outside callbacks). */
int		 sim_start(struct sim *sim, int node);	/* boot from disk */
void		 sim_crash(struct sim *sim, int node);
void		 sim_wipe(struct sim *sim, int node);	/* blank disk */
void		 sim_group(struct sim *sim, int node, int group);
void		 sim_heal(struct sim *sim);		/* all in group 0 */
void		 sim_set_loss(struct sim *sim, uint32_t loss_ppm);
int		 sim_set_link(struct sim *sim, int from, int to,
		    const struct sim_link *l);
void		 sim_set_crash_in_step(struct sim *sim, uint32_t ppm);
/* Run events up to and including time t; the clock ends at t. */
void		 sim_run_until(struct sim *sim, uint64_t t);

/* Inside callbacks (and, read-only ones, anywhere). */
uint64_t	 sim_now(const struct sim *sim);
uint32_t	 sim_rand32(struct sim *sim);
uint64_t	 sim_rand_below(struct sim *sim, uint64_t n);	/* [0, n) */
int		 sim_send(struct sim *sim, int from, int to, const void *msg,
		    size_t len);
int		 sim_persist(struct sim *sim, int node, const void *buf,
		    size_t len);
void		 sim_wake(struct sim *sim, int node, uint64_t at);
void		 sim_die(struct sim *sim, int node, uint32_t restart_after_ms);

/* Inspection. */
int		 sim_nnodes(const struct sim *sim);
bool		 sim_up(const struct sim *sim, int node);
void		*sim_state(const struct sim *sim, int node);
int		 sim_group_of(const struct sim *sim, int node);
const void	*sim_disk(const struct sim *sim, int node, size_t *len);
void		 sim_stats(const struct sim *sim, struct sim_stats *out);

#endif /* SIM_H */
