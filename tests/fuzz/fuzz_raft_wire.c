/*
 * fuzz_raft_wire.c - libFuzzer harness for the raft message codec
 * (net/net_raft_wire.c), the decoder of NET_WIRE_RAFT peer bytes.
 *
 * The input is tried two ways: as a message body, and as a fragment fed to
 * a fresh reassembly (which, for a whole one-fragment message, is decoded
 * as a body too).  Checks beyond memory safety (a violation aborts):
 *  - a failed decode says why and leaves nothing allocated (ASan/LSan);
 *  - a decoded AppendEntries has entries == NULL exactly when it has
 *    none, one batch for all entries, and no entry over the limit;
 *  - decode -> encode -> decode gives the same message, and encoding that
 *    again gives the same bytes (the encoder accepts all the decoder
 *    accepts, and the two agree on every field);
 *  - a reassembled body is never longer than the bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <raft.h>

#include "net_raft_wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXE	4096

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
same_entries(const struct raft_append_entries *a,
    const struct raft_append_entries *b)
{
	unsigned	i;

	check(a->n_entries == b->n_entries);
	check((a->entries == NULL) == (a->n_entries == 0));
	for (i = 0; i < a->n_entries; i++) {
		check(a->entries[i].term == b->entries[i].term);
		check(a->entries[i].type == b->entries[i].type);
		check(a->entries[i].buf.len == b->entries[i].buf.len);
		check(a->entries[i].buf.len <= MAXE);
		check(a->entries[i].batch == a->entries[0].batch);
		check(a->entries[i].buf.len == 0 ||
		    memcmp(a->entries[i].buf.base, b->entries[i].buf.base,
		    a->entries[i].buf.len) == 0);
	}
}

static void
same_conf(const struct raft_configuration *a,
    const struct raft_configuration *b)
{
	unsigned	i;

	check(a->n == b->n);
	for (i = 0; i < a->n; i++) {
		check(a->servers[i].id == b->servers[i].id);
		check(a->servers[i].role == b->servers[i].role);
		check(strcmp(a->servers[i].address, b->servers[i].address) ==
		    0);
	}
}

static void
same(const struct raft_message *a, const struct raft_message *b)
{
	check(a->type == b->type);
	switch (a->type) {
	case RAFT_IO_APPEND_ENTRIES:
		check(a->append_entries.term == b->append_entries.term);
		check(a->append_entries.prev_log_index ==
		    b->append_entries.prev_log_index);
		check(a->append_entries.prev_log_term ==
		    b->append_entries.prev_log_term);
		check(a->append_entries.leader_commit ==
		    b->append_entries.leader_commit);
		same_entries(&a->append_entries, &b->append_entries);
		break;
	case RAFT_IO_APPEND_ENTRIES_RESULT:
		check(memcmp(&a->append_entries_result,
		    &b->append_entries_result,
		    sizeof a->append_entries_result) == 0);
		break;
	case RAFT_IO_REQUEST_VOTE:
		check(a->request_vote.term == b->request_vote.term);
		check(a->request_vote.candidate_id ==
		    b->request_vote.candidate_id);
		check(a->request_vote.last_log_index ==
		    b->request_vote.last_log_index);
		check(a->request_vote.last_log_term ==
		    b->request_vote.last_log_term);
		check(a->request_vote.disrupt_leader ==
		    b->request_vote.disrupt_leader);
		check(a->request_vote.pre_vote == b->request_vote.pre_vote);
		break;
	case RAFT_IO_REQUEST_VOTE_RESULT:
		check(a->request_vote_result.term ==
		    b->request_vote_result.term);
		check(a->request_vote_result.vote_granted ==
		    b->request_vote_result.vote_granted);
		check(a->request_vote_result.pre_vote ==
		    b->request_vote_result.pre_vote);
		break;
	case RAFT_IO_INSTALL_SNAPSHOT:
		check(a->install_snapshot.term == b->install_snapshot.term);
		check(a->install_snapshot.last_index ==
		    b->install_snapshot.last_index);
		check(a->install_snapshot.last_term ==
		    b->install_snapshot.last_term);
		check(a->install_snapshot.conf_index ==
		    b->install_snapshot.conf_index);
		check(a->install_snapshot.data.len ==
		    b->install_snapshot.data.len);
		check(a->install_snapshot.data.len == 0 ||
		    memcmp(a->install_snapshot.data.base,
		    b->install_snapshot.data.base,
		    a->install_snapshot.data.len) == 0);
		same_conf(&a->install_snapshot.conf,
		    &b->install_snapshot.conf);
		break;
	case RAFT_IO_TIMEOUT_NOW:
		check(memcmp(&a->timeout_now, &b->timeout_now,
		    sizeof a->timeout_now) == 0);
		break;
	default:
		check(0);
	}
}

static void
body(const uint8_t *data, size_t size)
{
	struct raft_message	 m, m2;
	uint8_t			*enc, *enc2;
	size_t			 n, n2;
	char			 err[256], cl[NET_RAFT_WIRE_CLUSTER_LEN + 1];
	char			 cl2[NET_RAFT_WIRE_CLUSTER_LEN + 1];

	err[0] = '\0';
	if (net_raft_wire_decode(data, size, MAXE, &m, cl, err, sizeof err) !=
	    0) {
		check(err[0] != '\0');
		return;
	}
	check(net_raft_wire_cluster_valid(cl));
	check(net_raft_wire_encode(&m, cl, &enc, &n, err, sizeof err) == 0);
	check(n <= size);	/* unknown keys dropped, nothing added */
	check(net_raft_wire_decode(enc, n, MAXE, &m2, cl2, err, sizeof err) ==
	    0);
	check(strcmp(cl, cl2) == 0);
	same(&m, &m2);
	check(net_raft_wire_encode(&m2, cl2, &enc2, &n2, err, sizeof err) ==
	    0);
	check(n2 == n && memcmp(enc, enc2, n) == 0);
	free(enc);
	free(enc2);
	net_raft_wire_free(&m);
	net_raft_wire_free(&m2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_raft_reasm	 ra;
	const uint8_t		*b;
	size_t			 blen;
	char			 err[256];
	int			 rc;

	body(data, size);
	net_raft_reasm_init(&ra);
	rc = net_raft_reasm_feed(&ra, data, size, &b, &blen, err, sizeof err);
	check(rc >= -1 && rc <= 1);
	if (rc == 1) {
		check(blen <= NET_RAFT_WIRE_MAX_MSG);
		body(b, blen);
	}
	/* The same bytes again: a continuation never follows itself. */
	if (rc == 0)
		check(net_raft_reasm_feed(&ra, data, size, &b, &blen, err,
		    sizeof err) == 0 || ra.buf == NULL);
	net_raft_reasm_reset(&ra);
	return 0;
}
