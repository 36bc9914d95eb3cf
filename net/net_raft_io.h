/*
 * net_raft_io.h - canonical raft's struct raft_io on the agent's libevent
 * loop: messages over the authenticated QUIC control streams, the log,
 * term, vote and snapshots in the data dir.
 *
 * Why its own raft_io and not raft's libuv backend: the agent already
 * owns one event loop and one mutually authenticated connection per peer;
 * a second loop and a second (unauthenticated TCP) transport would undo
 * both.  So raft messages travel as raw control messages of type
 * NET_WIRE_RAFT (net_raft_wire.h) through a send hook the agent supplies,
 * and received payloads are handed back in with net_raft_io_recv().
 *
 * Identities.  A raft server id is net_raft_id(node id): 64 bits of the
 * node id, never 0; the server "address" is the node id itself, so a
 * message is sent to the peer named by its address and a received message
 * names the authenticated sender, never what the bytes claim.
 *
 * Cluster id.  Every raft message carries the sender's cluster id; a
 * message from another cluster is dropped (counted, logged once per peer
 * by the caller), so two clusters that formed apart never mix terms.  A
 * node with no cluster id yet (a fresh joiner) drops everything until the
 * agent decides which cluster to join and calls net_raft_io_set_cluster().
 *
 * Durability (raft's contract): set_term/set_vote are durable when they
 * return; an append's callback fires only after the entries are on disk
 * (fdatasync); truncate and append are ordered in one FIFO; snapshots are
 * written to a temporary file, fsync'd and renamed.  Disk writes run on a
 * worker thread so an fsync never stalls the loop; completions come back
 * through an eventfd watched by the loop.  Callbacks are never fired inside
 * the call that submitted the request.
 *
 * Files, under DIR/raft/: see docs/cluster.md ("Raft on disk").
 */
#ifndef NET_RAFT_IO_H
#define NET_RAFT_IO_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <raft.h>

#define NET_RAFT_CLUSTER_ID_SIZE 33	/* 32 hex digits + NUL; "" = none */
#define NET_RAFT_DIR		"raft"	/* under the data dir */

struct net_raft_transport {
	/*
	 * Sends one whole encoded control message (envelope included) to
	 * the authenticated peer with this node id.  0: handed to the
	 * connection; -1: no connection to that peer (raft is told
	 * RAFT_NOCONNECTION and retries on its own).
	 */
	int	(*send)(void *arg, const char *peer, const uint8_t *buf,
		    size_t len);
	/*
	 * May be NULL.  1: do not send this message (raft is told it was
	 * sent, as if the network lost it); the agent holds back empty
	 * AppendEntries to standbys this way (docs/cluster.md, "Raft
	 * timing and roles").  Never called for anything but raft's own
	 * messages, from inside raft's send.
	 */
	int	(*hold)(void *arg, const struct raft_message *m);
	void	*arg;
};

struct net_raft_io_config {
	const char	*data_dir;	/* raft state lives in data_dir/raft */
	const char	*self;		/* this node's id (also raft address) */
	uint64_t	 seed;		/* for io->random */
	size_t		 max_entry_bytes;	/* one entry's data; 0 = 1 MiB */
	/*
	 * Called after every tick, delivered message and finished write, so
	 * the agent sees role and leader changes at once (raft 0.15 has no
	 * state callback).  Never from inside a raft call.  May be NULL.
	 */
	void		(*after)(void *arg);
	void		*after_arg;
};

struct net_raft_io_stats {
	uint64_t	fsyncs;		/* fdatasync/fsync calls */
	uint64_t	log_syncs;	/* of which log group commits */
	uint64_t	appended;	/* entries appended to the log */
	uint64_t	bytes_written;	/* log + snapshot + metadata */
	uint64_t	sent;		/* raft messages handed to the transport */
	uint64_t	held;		/* held back by the transport's hold */
	uint64_t	received;	/* delivered to raft */
	uint64_t	refused;	/* malformed, too big */
	uint64_t	foreign;	/* other cluster id (or none yet): dropped */
	uint64_t	torn_bytes;	/* torn log tail cut when opened */
};

/*
 * Fills *io (an implementation of struct raft_io, version 1).  Reads the
 * cluster id from disk if there is one.  Returns 0, or -1 with err (the
 * data dir cannot be used, damaged metadata: the agent refuses to start
 * rather than guess at its vote).
 */
int	net_raft_io_init(struct raft_io *io, struct event_base *base,
	    const struct net_raft_io_config *cfg,
	    const struct net_raft_transport *t, char *err, size_t errlen);
/* Frees what init allocated; call after raft_close's callback ran. */
void	net_raft_io_fini(struct raft_io *io);

/*
 * The payload of a NET_WIRE_RAFT message from the authenticated peer
 * `peer` (its node id).  Decodes, checks the cluster id and hands the
 * message to raft (once raft started).  0 delivered or dropped as
 * foreign; -1 malformed (err says why; the caller counts and may close).
 */
int	net_raft_io_recv(struct raft_io *io, const char *peer,
	    const uint8_t *payload, size_t len, char *err, size_t errlen);

/* The cluster id ("" none).  Setting it is durable when it returns. */
const char *net_raft_io_cluster(struct raft_io *io);
int	net_raft_io_set_cluster(struct raft_io *io, const char *cluster_id,
	    char *err, size_t errlen);

/* 1 if DIR/raft holds any raft state (term, vote, log or snapshot). */
int	net_raft_io_has_state(const char *data_dir);
/*
 * Removes all raft state under DIR/raft (the node yields to another
 * cluster, or the operator resets it).  Only while no raft_io is open on
 * that directory.
 */
int	net_raft_io_wipe(const char *data_dir, char *err, size_t errlen);

void	net_raft_io_stats(struct raft_io *io, struct net_raft_io_stats *out);

/* The raft server id of a node id: 64 bits of its bytes, never 0. */
raft_id	net_raft_id(const char *node_id);

#endif /* NET_RAFT_IO_H */
