/*
 * ag_cluster_int.h - ag_cluster.c's reader and writer of the election's
 * hard state file (DATA/election.json), exported only so its fuzz harness
 * (tests/fuzz/fuzz_election.c) runs the code the agent runs; not an API.
 *
 * The file is {"term", "vote", "config_term", "config_index", "voters"}
 * as ag_cluster_hard_encode writes it; it holds this node's vote, so a
 * file that does not decode stops the agent rather than being guessed at.
 */
#ifndef AG_CLUSTER_INT_H
#define AG_CLUSTER_INT_H

#include <stddef.h>

#include "net_elect.h"

#define AG_CLUSTER_HARD_MAX	(64 * 1024)	/* bytes of election.json */

/* JSON text (malloc'd, NUL-terminated) for h; NULL out of memory. */
char	*ag_cluster_hard_encode(const struct net_elect_hard *h);
/* 0 and *h, or -1 (*h zeroed or partial) when buf is not such a file. */
int	ag_cluster_hard_decode(const char *buf, size_t len,
	    struct net_elect_hard *h);

#endif /* AG_CLUSTER_INT_H */
