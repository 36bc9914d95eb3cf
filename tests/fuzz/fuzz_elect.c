/*
 * fuzz_elect.c - libFuzzer harness for the election payload codec
 * (net/net_elect_wire.c), the decoder of an ELECT message's peer bytes.
 *
 * The input is one payload.  Checks beyond memory safety (a violation
 * aborts):
 *  - a failed decode says why; a decoded message has a type in range and
 *    its config, if any, is in the caller's struct and passes
 *    net_elect_config_valid() with node-id voters;
 *  - decode -> encode -> decode gives the same message and config, and
 *    encoding that again gives the same bytes (the encoder accepts all the
 *    decoder accepts, and the two agree on every field);
 *  - the message, as if from a voter, steps a fresh follower without
 *    overflowing its action list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_elect.h"
#include "net_elect_wire.h"
#include "sec_cbor.h"
#include "sec_identity.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SELF	"aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PEER	"bbbbbbbbbbbbbbbbbbbbbbbbba"
#define THIRD	"ccccccccccccccccccccccccca"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static uint32_t
fixed_rand(void *arg)
{
	(void)arg;
	return 12345;
}

static void
step(const struct net_elect_msg *m)
{
	static struct net_elect		st;
	static struct net_elect_out	out;
	static struct net_elect_hard	hard;
	struct net_elect_params		p;
	struct net_elect_event		ev;

	memset(&hard, 0, sizeof hard);
	hard.term = 2;
	hard.cfg.term = 1;
	hard.cfg.index = 1;
	hard.cfg.n = 3;
	memcpy(hard.cfg.voters[0].s, SELF, sizeof SELF);
	memcpy(hard.cfg.voters[1].s, PEER, sizeof PEER);
	memcpy(hard.cfg.voters[2].s, THIRD, sizeof THIRD);
	net_elect_params_default(&p, fixed_rand, NULL);
	check(net_elect_init(&st, &p, SELF, &hard, 1000) == NET_ELECT_OK);
	memset(&ev, 0, sizeof ev);
	ev.type = NET_ELECT_EV_RECV;
	memcpy(ev.peer.s, PEER, sizeof PEER);
	ev.msg = m;
	check(net_elect_step(&st, &ev, 5000, &out) == NET_ELECT_OK);
	check(!out.overflow && out.n <= NET_ELECT_MAX_ACTIONS);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net_elect_config	cfg, cfg2;
	static uint8_t			enc[64 * 1024], enc2[64 * 1024];
	struct net_elect_msg		m, m2;
	struct sec_cbor_writer		w;
	char				err[256];
	size_t				n;
	uint32_t			i;

	err[0] = '\0';
	if (net_elect_wire_decode(data, size, &m, &cfg, err, sizeof err) !=
	    0) {
		check(err[0] != '\0');
		return 0;
	}
	check(m.type >= NET_ELECT_PREVOTE && m.type <=
	    NET_ELECT_HEARTBEAT_RESP);
	check(m.cfg == NULL || m.cfg == &cfg);
	if (m.cfg != NULL) {
		check(net_elect_config_valid(&cfg));
		for (i = 0; i < cfg.n; i++)
			check(sec_node_id_valid(cfg.voters[i].s));
	}

	sec_cbor_writer_fixed(&w, enc, sizeof enc);
	check(net_elect_wire_encode(&m, &w) == 0);
	n = sec_cbor_writer_len(&w);
	check(n <= size);	/* unknown keys dropped, nothing added */
	check(net_elect_wire_decode(enc, n, &m2, &cfg2, err, sizeof err) ==
	    0);
	check(m2.type == m.type && m2.term == m.term &&
	    m2.cfg_term == m.cfg_term && m2.cfg_index == m.cfg_index &&
	    m2.stamp == m.stamp && m2.ok == m.ok);
	check((m.cfg == NULL) == (m2.cfg == NULL));
	if (m.cfg != NULL)
		check(memcmp(&cfg, &cfg2, sizeof cfg) == 0);
	sec_cbor_writer_fixed(&w, enc2, sizeof enc2);
	check(net_elect_wire_encode(&m2, &w) == 0);
	check(sec_cbor_writer_len(&w) == n && memcmp(enc, enc2, n) == 0);

	step(&m);
	return 0;
}
