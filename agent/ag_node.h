/*
 * ag_node.h - the running agent: one libevent loop that holds the QUIC
 * endpoint, the peer table, the join list and the local HTTP API.
 *
 * Peers are keyed by node id, which comes from the TLS handshake (the hash
 * of the key the peer proved it holds), never from what a peer says: a
 * HELLO whose sender or node id differs from the authenticated id closes
 * the connection.  When two nodes dial each other at once, both keep the
 * connection that the node with the smaller id opened, so exactly one
 * link survives on both sides.
 */
#ifndef AG_NODE_H
#define AG_NODE_H

#include <event2/event.h>

#include "ag_config.h"

/* Runs the agent until SIGTERM/SIGINT; returns an AG_EXIT_* code. */
int	ag_node_run(const struct ag_config *);

#define AG_RUN_FILE	"run.json"	/* bound addresses, for tools/tests */
#define AG_MAX_PEERS	1024	/* = NET_MEMBER_MAX, gossip's origins */

#endif /* AG_NODE_H */
