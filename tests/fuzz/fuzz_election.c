/*
 * fuzz_election.c - libFuzzer harness for the election's hard state file,
 * DATA/election.json (agent/ag_cluster.c).  The file is ours, but a disk,
 * a crash mid-write or an operator's editor can leave anything in it, and
 * the agent must then refuse to start rather than misread its own vote.
 *
 * Oracle: what decodes encodes, and the text decodes to the very same
 * state (memcmp: the decoder zeroes the struct first); the second text
 * equals the first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_cluster_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net_elect_hard	a, b;
	char				*t1, *t2;

	if (ag_cluster_hard_decode((const char *)data, size, &a) != 0)
		return 0;
	if ((t1 = ag_cluster_hard_encode(&a)) == NULL)
		abort();
	if (ag_cluster_hard_decode(t1, strlen(t1), &b) != 0 ||
	    memcmp(&a, &b, sizeof a) != 0 ||
	    (t2 = ag_cluster_hard_encode(&b)) == NULL)
		abort();
	if (strcmp(t1, t2) != 0)
		abort();
	free(t1);
	free(t2);
	return 0;
}
