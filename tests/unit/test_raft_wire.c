/*
 * test_raft_wire.c - CBOR codec of raft messages and their fragments
 * (net/net_raft_wire.c).
 *
 * Round trips of all six message types (AppendEntries with and without
 * entries, InstallSnapshot with a configuration and data), one pinned
 * byte for byte as docs/protocol.md describes it; then the decoder
 * against bodies built by hand - missing keys, unknown keys and types,
 * bad cluster ids, oversize entries, a field before the type, every
 * truncation - and the fragment layer: a large body split into frames
 * that are real NET_WIRE_RAFT control messages, put back together, and
 * broken sequences (a gap, another id, a restart in the middle, a lying
 * total) that reset the assembly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <raft.h>

#include "net_raft_wire.h"
#include "net_wire.h"
#include "sec_cbor.h"

#define CL	"0123456789abcdef0123456789abcdef"
#define SENDER	"aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define MAXE	(1024 * 1024)

static void
roundtrip(const struct raft_message *in, struct raft_message *out)
{
	uint8_t	*buf;
	size_t	 len;
	char	 err[256], cl[NET_RAFT_WIRE_CLUSTER_LEN + 1];

	assert_int_equal(net_raft_wire_encode(in, CL, &buf, &len, err,
	    sizeof err), 0);
	if (net_raft_wire_decode(buf, len, MAXE, out, cl, err, sizeof err) !=
	    0)
		fail_msg("decode: %s", err);
	assert_string_equal(cl, CL);
	assert_int_equal(out->type, in->type);
	assert_int_equal(out->server_id, 0);
	assert_null(out->server_address);
	free(buf);
}

static void
test_scalars(void **state)
{
	struct raft_message	m, o;

	(void)state;
	memset(&m, 0, sizeof m);
	m.type = RAFT_IO_APPEND_ENTRIES_RESULT;
	m.append_entries_result.term = 7;
	m.append_entries_result.rejected = 12;
	m.append_entries_result.last_log_index = UINT64_MAX;
	roundtrip(&m, &o);
	assert_int_equal(o.append_entries_result.term, 7);
	assert_int_equal(o.append_entries_result.rejected, 12);
	assert_true(o.append_entries_result.last_log_index == UINT64_MAX);

	memset(&m, 0, sizeof m);
	m.type = RAFT_IO_REQUEST_VOTE;
	m.request_vote.term = 3;
	m.request_vote.candidate_id = 0x1122334455667788ULL;
	m.request_vote.last_log_index = 40;
	m.request_vote.last_log_term = 2;
	m.request_vote.disrupt_leader = true;
	m.request_vote.pre_vote = true;
	roundtrip(&m, &o);
	assert_true(o.request_vote.candidate_id == 0x1122334455667788ULL);
	assert_int_equal(o.request_vote.term, 3);
	assert_int_equal(o.request_vote.last_log_index, 40);
	assert_int_equal(o.request_vote.last_log_term, 2);
	assert_true(o.request_vote.disrupt_leader && o.request_vote.pre_vote);

	memset(&m, 0, sizeof m);
	m.type = RAFT_IO_REQUEST_VOTE_RESULT;
	m.request_vote_result.term = 9;
	m.request_vote_result.vote_granted = true;
	m.request_vote_result.pre_vote = raft_tribool_false;
	roundtrip(&m, &o);
	assert_int_equal(o.request_vote_result.term, 9);
	assert_true(o.request_vote_result.vote_granted);
	assert_int_equal(o.request_vote_result.pre_vote, raft_tribool_false);

	memset(&m, 0, sizeof m);
	m.type = RAFT_IO_TIMEOUT_NOW;
	m.timeout_now.term = 5;
	m.timeout_now.last_log_index = 6;
	m.timeout_now.last_log_term = 4;
	roundtrip(&m, &o);
	assert_int_equal(o.timeout_now.term, 5);
	assert_int_equal(o.timeout_now.last_log_index, 6);
	assert_int_equal(o.timeout_now.last_log_term, 4);
}

/* docs/protocol.md's example, byte for byte. */
static void
test_pinned(void **state)
{
	static const uint8_t want[] = {
		0xa5, 0x01, 0x60, 0x02, 0x06, 0x03, 0x02, 0x04, 0x05, 0x05,
		0x01,
	};
	struct raft_message	 m;
	uint8_t			*buf;
	size_t			 len;
	char			 err[256];

	(void)state;
	memset(&m, 0, sizeof m);
	m.type = RAFT_IO_TIMEOUT_NOW;
	m.timeout_now.term = 2;
	m.timeout_now.last_log_index = 5;
	m.timeout_now.last_log_term = 1;
	assert_int_equal(net_raft_wire_encode(&m, "", &buf, &len, err,
	    sizeof err), 0);
	assert_int_equal(len, sizeof want);
	assert_memory_equal(buf, want, sizeof want);
	free(buf);
}

static void
test_append_entries(void **state)
{
	struct raft_message	m, o;
	struct raft_entry	e[3];
	char			a[] = "one", c[] = "three!";

	(void)state;
	memset(&m, 0, sizeof m);
	m.type = RAFT_IO_APPEND_ENTRIES;
	m.append_entries.term = 4;
	m.append_entries.prev_log_index = 10;
	m.append_entries.prev_log_term = 3;
	m.append_entries.leader_commit = 9;
	roundtrip(&m, &o);
	assert_null(o.append_entries.entries);
	assert_int_equal(o.append_entries.n_entries, 0);
	assert_int_equal(o.append_entries.prev_log_index, 10);
	assert_int_equal(o.append_entries.prev_log_term, 3);
	assert_int_equal(o.append_entries.leader_commit, 9);
	net_raft_wire_free(&o);

	memset(e, 0, sizeof e);
	e[0].term = 3;
	e[0].type = RAFT_COMMAND;
	e[0].buf.base = a;
	e[0].buf.len = 3;
	e[1].term = 4;
	e[1].type = RAFT_BARRIER;	/* empty data */
	e[2].term = 4;
	e[2].type = RAFT_CHANGE;
	e[2].buf.base = c;
	e[2].buf.len = 6;
	m.append_entries.entries = e;
	m.append_entries.n_entries = 3;
	roundtrip(&m, &o);
	assert_int_equal(o.append_entries.n_entries, 3);
	assert_non_null(o.append_entries.entries[0].batch);
	assert_ptr_equal(o.append_entries.entries[0].batch,
	    o.append_entries.entries[2].batch);
	assert_ptr_equal(o.append_entries.entries[0].buf.base,
	    o.append_entries.entries[0].batch);
	assert_int_equal(o.append_entries.entries[1].buf.len, 0);
	assert_int_equal(o.append_entries.entries[1].type, RAFT_BARRIER);
	assert_int_equal(o.append_entries.entries[2].type, RAFT_CHANGE);
	assert_int_equal(o.append_entries.entries[2].term, 4);
	assert_memory_equal(o.append_entries.entries[0].buf.base, "one", 3);
	assert_memory_equal(o.append_entries.entries[2].buf.base, "three!",
	    6);
	net_raft_wire_free(&o);
}

static void
test_install_snapshot(void **state)
{
	struct raft_message	m, o;
	char			data[] = "snapshot bytes";

	(void)state;
	memset(&m, 0, sizeof m);
	m.type = RAFT_IO_INSTALL_SNAPSHOT;
	m.install_snapshot.term = 8;
	m.install_snapshot.last_index = 100;
	m.install_snapshot.last_term = 7;
	m.install_snapshot.conf_index = 50;
	raft_configuration_init(&m.install_snapshot.conf);
	assert_int_equal(raft_configuration_add(&m.install_snapshot.conf, 1,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa", RAFT_VOTER), 0);
	assert_int_equal(raft_configuration_add(&m.install_snapshot.conf, 2,
	    "bbbbbbbbbbbbbbbbbbbbbbbbba", RAFT_STANDBY), 0);
	assert_int_equal(raft_configuration_add(&m.install_snapshot.conf, 3,
	    "ccccccccccccccccccccccccca", RAFT_SPARE), 0);
	m.install_snapshot.data.base = data;
	m.install_snapshot.data.len = sizeof data;
	roundtrip(&m, &o);
	raft_configuration_close(&m.install_snapshot.conf);
	assert_int_equal(o.install_snapshot.term, 8);
	assert_int_equal(o.install_snapshot.last_index, 100);
	assert_int_equal(o.install_snapshot.last_term, 7);
	assert_int_equal(o.install_snapshot.conf_index, 50);
	assert_int_equal(o.install_snapshot.conf.n, 3);
	assert_int_equal(o.install_snapshot.conf.servers[1].id, 2);
	assert_string_equal(o.install_snapshot.conf.servers[1].address,
	    "bbbbbbbbbbbbbbbbbbbbbbbbba");
	assert_int_equal(o.install_snapshot.conf.servers[1].role,
	    RAFT_STANDBY);
	assert_int_equal(o.install_snapshot.conf.servers[2].role, RAFT_SPARE);
	assert_int_equal(o.install_snapshot.data.len, sizeof data);
	assert_memory_equal(o.install_snapshot.data.base, data, sizeof data);
	net_raft_wire_free(&o);
}

/* ---- hand-built bodies ---- */

static int
decode_w(struct sec_cbor_writer *w, size_t maxe, struct raft_message *m,
    char *err)
{
	char	cl[NET_RAFT_WIRE_CLUSTER_LEN + 1];
	int	rc;

	assert_int_equal(sec_cbor_writer_error(w), 0);
	rc = net_raft_wire_decode(sec_cbor_writer_data(w),
	    sec_cbor_writer_len(w), maxe, m, cl, err, 256);
	if (rc == 0)
		net_raft_wire_free(m);
	sec_cbor_writer_release(w);
	return rc;
}

/* An AppendEntriesResult with the keys of mask, plus extras. */
static void
aer(struct sec_cbor_writer *w, unsigned mask, const char *cl, bool unknown)
{
	unsigned	k, pairs = 0;

	for (k = 1; k <= 5; k++)
		if (mask & (1u << k))
			pairs++;
	sec_cbor_writer_dynamic(w, 4096);
	(void)sec_cbor_write_map(w, pairs + (unknown ? 1 : 0));
	for (k = 1; k <= 5; k++) {
		if (!(mask & (1u << k)))
			continue;
		(void)sec_cbor_write_uint(w, k);
		if (k == 1)
			(void)sec_cbor_write_cstr(w, cl);
		else if (k == 2)
			(void)sec_cbor_write_uint(w,
			    RAFT_IO_APPEND_ENTRIES_RESULT);
		else
			(void)sec_cbor_write_uint(w, k);
	}
	if (unknown) {
		(void)sec_cbor_write_uint(w, 99);
		(void)sec_cbor_write_array(w, 1);
		(void)sec_cbor_write_cstr(w, "later");
	}
}

static void
test_hand_built(void **state)
{
	struct sec_cbor_writer	w;
	struct raft_message	m;
	char			err[256];
	unsigned		k;

	(void)state;
	aer(&w, 0x3e, CL, true);
	assert_int_equal(decode_w(&w, MAXE, &m, err), 0);
	aer(&w, 0x3e, "", false);
	assert_int_equal(decode_w(&w, MAXE, &m, err), 0);
	for (k = 1; k <= 5; k++) {
		if (k == 2)
			continue;
		aer(&w, 0x3e & ~(1u << k), CL, false);
		assert_int_equal(decode_w(&w, MAXE, &m, err), -1);
		assert_non_null(strstr(err, "missing key"));
	}
	aer(&w, 0x3a, CL, false);		/* no type, key 4 present */
	assert_int_equal(decode_w(&w, MAXE, &m, err), -1);
	aer(&w, 0x3e, "0123", false);		/* short cluster id */
	assert_int_equal(decode_w(&w, MAXE, &m, err), -1);
	aer(&w, 0x3e, "0123456789ABCDEF0123456789ABCDEF", false);
	assert_int_equal(decode_w(&w, MAXE, &m, err), -1);

	/* Unknown type. */
	sec_cbor_writer_dynamic(&w, 4096);
	(void)sec_cbor_write_map(&w, 3);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_cstr(&w, CL);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, 7);
	(void)sec_cbor_write_uint(&w, 3);
	(void)sec_cbor_write_uint(&w, 1);
	assert_int_equal(decode_w(&w, MAXE, &m, err), -1);
	assert_non_null(strstr(err, "unknown"));

	/* Not a map; keys out of order (not deterministic). */
	sec_cbor_writer_dynamic(&w, 64);
	(void)sec_cbor_write_array(&w, 0);
	assert_int_equal(decode_w(&w, MAXE, &m, err), -1);
	sec_cbor_writer_dynamic(&w, 64);
	(void)sec_cbor_write_map(&w, 2);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_uint(&w, 1);
	(void)sec_cbor_write_cstr(&w, CL);
	assert_int_equal(decode_w(&w, MAXE, &m, err), -1);
}

/* AppendEntries whose entries are given raw. */
static void
ae_with(struct sec_cbor_writer *w, unsigned n, size_t datalen,
    uint64_t type)
{
	static uint8_t	data[4096];
	unsigned	i;

	sec_cbor_writer_dynamic(w, 1 << 20);
	(void)sec_cbor_write_map(w, 7);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_cstr(w, CL);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_uint(w, RAFT_IO_APPEND_ENTRIES);
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_uint(w, 2);
	for (i = 4; i <= 6; i++) {
		(void)sec_cbor_write_uint(w, i);
		(void)sec_cbor_write_uint(w, 1);
	}
	(void)sec_cbor_write_uint(w, 7);
	(void)sec_cbor_write_array(w, n);
	for (i = 0; i < n; i++) {
		(void)sec_cbor_write_array(w, 3);
		(void)sec_cbor_write_uint(w, 2);
		(void)sec_cbor_write_uint(w, type);
		(void)sec_cbor_write_bytes(w, data, datalen);
	}
}

static void
test_entry_bounds(void **state)
{
	struct sec_cbor_writer	w;
	struct raft_message	m;
	char			err[256];

	(void)state;
	ae_with(&w, 2, 100, RAFT_COMMAND);
	assert_int_equal(decode_w(&w, 100, &m, err), 0);
	ae_with(&w, 2, 101, RAFT_COMMAND);
	assert_int_equal(decode_w(&w, 100, &m, err), -1);
	assert_non_null(strstr(err, "at most 100"));
	ae_with(&w, 1, 1, 0);
	assert_int_equal(decode_w(&w, MAXE, &m, err), -1);
	ae_with(&w, 1, 1, RAFT_CHANGE + 1);
	assert_int_equal(decode_w(&w, MAXE, &m, err), -1);
}

static void
test_truncations(void **state)
{
	struct raft_message	 m, o;
	struct raft_entry	 e;
	uint8_t			*buf;
	size_t			 len, i;
	char			 err[256], cl[NET_RAFT_WIRE_CLUSTER_LEN + 1];

	(void)state;
	memset(&m, 0, sizeof m);
	memset(&e, 0, sizeof e);
	e.term = 1;
	e.type = RAFT_COMMAND;
	e.buf.base = (void *)"0123456789";
	e.buf.len = 10;
	m.type = RAFT_IO_APPEND_ENTRIES;
	m.append_entries.entries = &e;
	m.append_entries.n_entries = 1;
	assert_int_equal(net_raft_wire_encode(&m, CL, &buf, &len, err,
	    sizeof err), 0);
	for (i = 0; i < len; i++)
		assert_int_equal(net_raft_wire_decode(buf, i, MAXE, &o, cl,
		    err, sizeof err), -1);
	assert_int_equal(net_raft_wire_decode(buf, len, MAXE, &o, cl, err,
	    sizeof err), 0);
	net_raft_wire_free(&o);
	free(buf);

	/* Encoding refuses what it cannot send. */
	m.type = 0;
	assert_int_equal(net_raft_wire_encode(&m, CL, &buf, &len, err,
	    sizeof err), -1);
	m.type = RAFT_IO_TIMEOUT_NOW;
	assert_int_equal(net_raft_wire_encode(&m, "xyz", &buf, &len, err,
	    sizeof err), -1);
}

/* ---- fragments ---- */

struct frames {
	uint8_t	*f[16];
	size_t	 len[16];
	int	 n;
};

static int
collect(void *arg, const uint8_t *frame, size_t len)
{
	struct frames	*fs = arg;

	assert_true(fs->n < 16);
	assert_true(len <= NET_WIRE_MAX_MSG);
	fs->f[fs->n] = malloc(len);
	assert_non_null(fs->f[fs->n]);
	memcpy(fs->f[fs->n], frame, len);
	fs->len[fs->n++] = len;
	return 0;
}

static void
frames_free(struct frames *fs)
{
	int	i;

	for (i = 0; i < fs->n; i++)
		free(fs->f[i]);
	fs->n = 0;
}

/* The payload of frame i (a NET_WIRE_RAFT control message). */
static void
payload(const struct frames *fs, int i, const uint8_t **p, size_t *n)
{
	struct net_wire_msg	m;
	char			err[256];

	assert_int_equal(net_wire_decode(fs->f[i], fs->len[i], &m, err,
	    sizeof err), 0);
	assert_int_equal(m.type, NET_WIRE_RAFT);
	assert_string_equal(m.sender, SENDER);
	*p = m.u.raw.payload;
	*n = m.u.raw.len;
}

static void
test_fragments(void **state)
{
	struct net_raft_reasm	 ra;
	struct frames		 fs, fs2;
	const uint8_t		*p, *body;
	uint8_t			*big;
	size_t			 n, blen, i, total = 200 * 1024;
	char			 err[256];
	int			 k;

	(void)state;
	memset(&fs, 0, sizeof fs);
	memset(&fs2, 0, sizeof fs2);
	big = malloc(total);
	assert_non_null(big);
	for (i = 0; i < total; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	assert_int_equal(net_raft_wire_frames(big, total, 42, SENDER, 0,
	    collect, &fs, err, sizeof err), 0);
	assert_int_equal(fs.n, (int)((total + NET_RAFT_WIRE_FRAG - 1) /
	    NET_RAFT_WIRE_FRAG));
	net_raft_reasm_init(&ra);
	for (k = 0; k < fs.n; k++) {
		payload(&fs, k, &p, &n);
		assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen,
		    err, sizeof err), k + 1 < fs.n ? 0 : 1);
	}
	assert_int_equal(blen, total);
	assert_memory_equal(body, big, total);

	/* A gap resets; the next offset-0 fragment starts afresh. */
	payload(&fs, 0, &p, &n);
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), 0);
	payload(&fs, 2, &p, &n);
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), -1);
	assert_null(ra.buf);
	payload(&fs, 1, &p, &n);	/* continues nothing now */
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), -1);

	/* Another message starting in the middle wins; the first is gone. */
	assert_int_equal(net_raft_wire_frames(big, 70000, 43, SENDER, 0,
	    collect, &fs2, err, sizeof err), 0);
	assert_int_equal(fs2.n, 2);
	payload(&fs, 0, &p, &n);
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), 0);
	payload(&fs2, 0, &p, &n);
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), 0);
	payload(&fs, 1, &p, &n);	/* id 42: out of sequence */
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), -1);
	payload(&fs2, 0, &p, &n);
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), 0);
	payload(&fs2, 1, &p, &n);
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), 1);
	assert_int_equal(blen, 70000);
	assert_memory_equal(body, big, 70000);
	net_raft_reasm_reset(&ra);
	frames_free(&fs);
	frames_free(&fs2);

	/* One fragment: handed back without a copy. */
	assert_int_equal(net_raft_wire_frames(big, 100, 44, SENDER, 0,
	    collect, &fs, err, sizeof err), 0);
	assert_int_equal(fs.n, 1);
	payload(&fs, 0, &p, &n);
	assert_int_equal(net_raft_reasm_feed(&ra, p, n, &body, &blen, err,
	    sizeof err), 1);
	assert_true(body >= p && body < p + n);
	frames_free(&fs);

	/* Too big to send at all. */
	assert_int_equal(net_raft_wire_frames(big, NET_RAFT_WIRE_MAX_MSG + 1,
	    45, SENDER, 0, collect, &fs, err, sizeof err), -1);
	free(big);
	net_raft_reasm_reset(&ra);
}

/* A fragment that claims more than the bound, or lies about its length. */
static void
test_fragment_bounds(void **state)
{
	struct net_raft_reasm	 ra;
	struct sec_cbor_writer	 w;
	const uint8_t		*body;
	size_t			 blen;
	char			 err[256];
	uint64_t		 totals[] = { NET_RAFT_WIRE_MAX_MSG + 1ULL, 3,
				    0 };
	unsigned		 i;

	(void)state;
	net_raft_reasm_init(&ra);
	for (i = 0; i < 3; i++) {
		sec_cbor_writer_dynamic(&w, 256);
		(void)sec_cbor_write_map(&w, 4);
		(void)sec_cbor_write_uint(&w, 1);
		(void)sec_cbor_write_uint(&w, 1);
		(void)sec_cbor_write_uint(&w, 2);
		(void)sec_cbor_write_uint(&w, 0);
		(void)sec_cbor_write_uint(&w, 3);
		(void)sec_cbor_write_uint(&w, totals[i]);
		(void)sec_cbor_write_uint(&w, 4);
		(void)sec_cbor_write_bytes(&w, "abcdef", 6);
		assert_int_equal(net_raft_reasm_feed(&ra,
		    sec_cbor_writer_data(&w), sec_cbor_writer_len(&w), &body,
		    &blen, err, sizeof err), -1);
		sec_cbor_writer_release(&w);
	}
	assert_int_equal(net_raft_reasm_feed(&ra, (const uint8_t *)"\xa0", 1,
	    &body, &blen, err, sizeof err), -1);
	assert_null(ra.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_append_entries),
		cmocka_unit_test(test_install_snapshot),
		cmocka_unit_test(test_hand_built),
		cmocka_unit_test(test_entry_bounds),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_fragment_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
