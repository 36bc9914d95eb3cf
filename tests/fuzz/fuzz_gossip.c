/*
 * fuzz_gossip.c - libFuzzer harness for the membership and gossip payload
 * decoders (net/net_member_wire.c, net/net_gossip_wire.c) and the state
 * machines behind them.
 *
 * The first input byte picks the decoder (0 membership, 1 DIGEST,
 * 2 RECORDS, 3 WANT; others modulo 4), the rest is the payload; bit 2 of
 * that byte picks, for a membership message, the state machine's mode
 * (0 the transport witness, 1 probe mode, where the message may be a
 * PING, ACK, PING-REQ or NACK and ticks run the probe timers), and turns
 * DIGEST into SUMMARY (so 5 is a SUMMARY).  Checks beyond memory safety
 * (a violation aborts):
 *  - a decoded message passes the state machine's own validity check;
 *  - it re-encodes, and decoding that encoding gives the same fields
 *    (encoder and decoder agree);
 *  - fed to a fresh state machine as a message from a peer, the step
 *    succeeds and the tables stay within their bounds; a SUMMARY is fed
 *    twice (the second answer, if it differs, is refused by the per-peer
 *    bound) and the machine's own SUMMARY timer runs;
 *  - everything the machine sends passes the validity check and encodes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_gossip.h"
#include "net_member.h"
#include "sec_cbor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SELF	"aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PEER	"bbbbbbbbbbbbbbbbbbbbbbbbba"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
sink_member(void *arg, const struct net_member_action *a)
{
	(void)arg;
	check(a->type == NET_MEMBER_ACT_SEND || a->type ==
	    NET_MEMBER_ACT_CHANGED);
	if (a->type == NET_MEMBER_ACT_SEND)
		check(net_member_msg_valid(a->msg) == 0);
}

static void
sink_gossip(void *arg, const struct net_gossip_action *a)
{
	struct sec_cbor_writer	w;

	(void)arg;
	if (a->type != NET_GOSSIP_ACT_SEND)
		return;
	check(net_gossip_msg_valid(a->msg, NET_GOSSIP_RECORD_MAX) == 0);
	sec_cbor_writer_dynamic(&w, 128 * 1024);
	check(net_gossip_wire_encode(a->msg, &w) == 0);
	sec_cbor_writer_release(&w);
}

static void
member(const uint8_t *p, size_t n, int probe)
{
	static struct net_member_msg	m, m2;
	struct net_member_config	cfg;
	struct net_member_event		ev;
	struct net_member		*st;
	struct sec_cbor_writer		w;
	char				err[256];
	uint64_t			t;

	if (net_member_wire_decode(p, n, &m, err, sizeof err) != 0) {
		check(err[0] != '\0');
		return;
	}
	check(net_member_msg_valid(&m) == 0);
	sec_cbor_writer_dynamic(&w, 128 * 1024);
	check(net_member_wire_encode(&m, &w) == 0);
	check(net_member_wire_decode(sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), &m2, err, sizeof err) == 0);
	check(m.flags == m2.flags && m.nclaims == m2.nclaims &&
	    m.probe == m2.probe && m.seq == m2.seq &&
	    strcmp(m.target, m2.target) == 0 &&
	    memcmp(m.claims, m2.claims, m.nclaims * sizeof m.claims[0]) == 0);
	sec_cbor_writer_release(&w);

	if (probe)
		net_member_config_probe(&cfg);
	else
		net_member_config_default(&cfg);
	cfg.max_members = 16;
	st = net_member_new(SELF, &cfg);
	check(st != NULL);
	memset(&ev, 0, sizeof ev);
	ev.type = NET_MEMBER_EV_RECV;
	ev.peer = PEER;
	ev.msg = &m;
	check(net_member_step(st, &ev, 1000, sink_member, NULL) == 0);
	ev.type = NET_MEMBER_EV_TICK;
	check(net_member_step(st, &ev, 5000, sink_member, NULL) == 0);
	if (probe) {
		/* The same message again, then the probe timers. */
		ev.type = NET_MEMBER_EV_RECV;
		check(net_member_step(st, &ev, 5100, sink_member, NULL) == 0);
		ev.type = NET_MEMBER_EV_TICK;
		for (t = 5200; t < 12000; t += 100)
			check(net_member_step(st, &ev, t, sink_member,
			    NULL) == 0);
	}
	check(net_member_count(st, NULL) <= 16);
	net_member_free(st);
}

static void
gossip(enum net_gossip_kind kind, const uint8_t *p, size_t n)
{
	static struct net_gossip_msg	m, m2;
	struct net_gossip_config	cfg;
	struct net_gossip_event		ev;
	struct net_gossip		*st;
	const struct net_gossip_stats	*stats;
	struct sec_cbor_writer		w;
	char				err[256];
	size_t				i;

	if (net_gossip_wire_decode(kind, p, n, NET_GOSSIP_RECORD_MAX, &m,
	    err, sizeof err) != 0) {
		check(err[0] != '\0');
		return;
	}
	check(net_gossip_msg_valid(&m, NET_GOSSIP_RECORD_MAX) == 0);
	sec_cbor_writer_dynamic(&w, 128 * 1024);
	check(net_gossip_wire_encode(&m, &w) == 0);
	check(net_gossip_wire_decode(kind, sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), NET_GOSSIP_RECORD_MAX, &m2, err,
	    sizeof err) == 0);
	check(m.kind == m2.kind && m.hops == m2.hops && m.n == m2.n &&
	    m.sum_count == m2.sum_count && m.sum_hash == m2.sum_hash);
	check(m.kind != NET_GOSSIP_SUMMARY ||
	    (m.n == 0 && m.sum_count <= NET_GOSSIP_MAX_ORIGINS));
	for (i = 0; i < m.n; i++) {
		check(strcmp(m.e[i].origin, m2.e[i].origin) == 0);
		check(m.e[i].version == m2.e[i].version);
		check(m.e[i].len == m2.e[i].len);
		check(m.e[i].len == 0 ||
		    memcmp(m.e[i].data, m2.e[i].data, m.e[i].len) == 0);
	}
	sec_cbor_writer_release(&w);

	net_gossip_config_default(&cfg);
	cfg.max_origins = 16;
	st = net_gossip_new(SELF, &cfg);
	check(st != NULL);
	memset(&ev, 0, sizeof ev);
	ev.type = NET_GOSSIP_EV_PEER_UP;
	ev.peer = PEER;
	check(net_gossip_step(st, &ev, 1000, sink_gossip, NULL) == 0);
	ev.type = NET_GOSSIP_EV_RECV;
	ev.msg = &m;
	/* A digest over max_origins is refused whole; all else is taken. */
	check(net_gossip_step(st, &ev, 1000, sink_gossip, NULL) == 0 ||
	    (m.kind == NET_GOSSIP_DIGEST && m.n > 16));
	if (m.kind == NET_GOSSIP_SUMMARY) {
		stats = net_gossip_stats(st);
		check(stats->summaries_matched + stats->summaries_differed ==
		    1 && stats->summary_refused == 0);
		check(net_gossip_step(st, &ev, 1001, sink_gossip, NULL) == 0);
		check(stats->summary_refused == stats->summaries_differed / 2);
		ev.type = NET_GOSSIP_EV_TICK;
		check(net_gossip_step(st, &ev, 1000 + cfg.ae_ms * 2,
		    sink_gossip, NULL) == 0);
	}
	check(net_gossip_count(st) <= 16);
	net_gossip_free(st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		member(data + 1, size - 1, (data[0] & 4) != 0);
		break;
	case 1:
		gossip((data[0] & 4) != 0 ? NET_GOSSIP_SUMMARY :
		    NET_GOSSIP_DIGEST, data + 1, size - 1);
		break;
	case 2:
		gossip(NET_GOSSIP_RECORDS, data + 1, size - 1);
		break;
	default:
		gossip(NET_GOSSIP_WANT, data + 1, size - 1);
		break;
	}
	return 0;
}
