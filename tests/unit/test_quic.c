/*
 * test_quic.c - the QUIC transport (net/net_quic.h) end to end: two or
 * three endpoints in this process on 127.0.0.1 and ::1, one event_base,
 * real ngtcp2 + GnuTLS handshakes with identities made here (join secret
 * or a private CA), the loop driven with a deadline per step.
 *
 * Cases: same secret connects and trades control bytes both ways (v4 and
 * v6); a different secret and a foreign CA are refused on both sides with
 * a reason that names the certificate; a probe (100 MB unless
 * EXOGPU_QUIC_PROBE_MB says otherwise - handy under valgrind) arrives
 * verified, and a corrupted one is caught; garbage datagrams are dropped
 * and a good connection still works; stream limits hold; RTT statistics
 * are plausible; a stalled handshake and a dead peer are noticed by their
 * timeouts; probes pass with UDP GSO/GRO off on one side and with GSO
 * refused by the kernel mid-way (the fallback), and the endpoint's I/O
 * counters show batching, GSO and GRO where the kernel has them.  The "stalled" and "dead" peers live on a second event_base
 * that the test simply stops running.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <gnutls/crypto.h>

#include "net_quic.h"
#include "sec_ca.h"
#include "sec_identity.h"
#include "sec_secret.h"
#include "sec_tls.h"

#define CTL_MAX		(1 << 20)

struct node {
	const char			*name;
	struct sec_pem			 key, cert, anchor;
	struct sec_identity		*id;
	gnutls_certificate_credentials_t cred;
	struct net_quic_endpoint	*ep;
	/* what the callbacks saw */
	int				 established;
	char				 peer_id[SEC_NODE_ID_SIZE];
	struct net_quic_conn		*conn;
	int				 closed;
	char				 reason[NET_QUIC_REASON_MAX];
	unsigned char			*ctl;
	size_t				 ctl_len;
	int				 probes_in, probes_in_ok;
	int				 probes_out, probes_out_ok;
	struct net_quic_probe_result	 last_in, last_out;
	/* application streams (test_app_streams) */
	int				 app_take;	/* accept peer streams */
	int				 app_consume;	/* return credit at once */
	int				 app_reset_on_data;
	int64_t				 app_id;
	uint64_t			 app_got, app_unconsumed;
	int				 app_bad, app_fin, app_closed, app_reset;
	uint64_t			 app_code;
	/* UDP offload (test_offload) */
	int				 offload;	/* udp_offload */
	int				 gso_refusal_logged;
	size_t				 payload;	/* max_udp_payload */
};

#define STD_PAYLOAD	1452	/* a 1500-byte MTU less IPv6 and UDP headers */

static struct event_base	*base;
static int			 have_v6;

static double
now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* One loop iteration on b, returning after at most 10 ms. */
static void
loop_once(struct event_base *b)
{
	struct timeval	 tv = { 0, 10000 };
	struct event	*ev;

	ev = evtimer_new(b, tick, NULL);
	assert_non_null(ev);
	assert_int_equal(evtimer_add(ev, &tv), 0);
	assert_true(event_base_loop(b, EVLOOP_ONCE) >= 0);
	event_free(ev);
}

#define WAIT(b, cond, secs) do {					\
	double	_dl = now() + (secs);					\
	while (!(cond) && now() < _dl)					\
		loop_once(b);						\
} while (0)

/* ---- callbacks ---- */

static void
on_established(struct net_quic_conn *c, const char *peer_id,
    const struct sockaddr *sa, socklen_t salen, void *arg)
{
	struct node	*n = arg;

	(void)sa;
	(void)salen;
	n->established++;
	n->conn = c;
	(void)snprintf(n->peer_id, sizeof n->peer_id, "%s", peer_id);
}

static void
on_control(struct net_quic_conn *c, const unsigned char *buf, size_t len,
    void *arg)
{
	struct node	*n = arg;

	(void)c;
	if (n->ctl_len + len > CTL_MAX)
		fail_msg("%s: too many control bytes", n->name);
	memcpy(n->ctl + n->ctl_len, buf, len);
	n->ctl_len += len;
}

static void
on_probe(struct net_quic_conn *c, const struct net_quic_probe_result *r,
    void *arg)
{
	struct node	*n = arg;

	(void)c;
	if (r->outgoing) {
		n->probes_out++;
		n->probes_out_ok += r->ok;
		n->last_out = *r;
	} else {
		n->probes_in++;
		n->probes_in_ok += r->ok;
		n->last_in = *r;
	}
}

static void
on_closed(struct net_quic_conn *c, const char *reason, void *arg)
{
	struct node	*n = arg;

	n->closed++;
	(void)snprintf(n->reason, sizeof n->reason, "%s", reason);
	if (n->conn == c)
		n->conn = NULL;
}

static int
on_stream_open(struct net_quic_conn *c, int64_t id, void *arg)
{
	struct node	*n = arg;

	(void)c;
	if (!n->app_take)
		return -1;
	n->app_id = id;
	n->app_got = n->app_unconsumed = 0;
	n->app_fin = n->app_closed = n->app_reset = 0;
	return 0;
}

/* Stream bytes are (offset * 7) & 0xff. */
static void
on_stream_data(struct net_quic_conn *c, int64_t id, const uint8_t *buf,
    size_t len, int fin, void *arg)
{
	struct node	*n = arg;
	size_t		 i;

	for (i = 0; i < len; i++)
		if (buf[i] != (uint8_t)((n->app_got + i) * 7))
			n->app_bad = 1;
	n->app_got += len;
	n->app_fin |= fin;
	if (n->app_reset_on_data && len > 0)
		(void)net_quic_stream_reset(c, id, 0x110);
	else if (n->app_consume)
		assert_int_equal(net_quic_stream_consume(c, id, len), 0);
	else
		n->app_unconsumed += len;
}

static void
on_stream_closed(struct net_quic_conn *c, int64_t id, int reset,
    uint64_t code, void *arg)
{
	struct node	*n = arg;

	(void)c;
	(void)id;
	n->app_closed++;
	n->app_reset = reset;
	n->app_code = code;
}

static void
on_log(int level, const char *line, void *arg)
{
	struct node	*n = arg;

	if (strstr(line, "refused a UDP GSO send") != NULL)
		n->gso_refusal_logged++;
	if (getenv("EXOGPU_QUIC_TEST_LOG") != NULL)
		printf("  [%s %d] %s\n", n->name, level, line);
}

/* ---- identities and endpoints ---- */

static void
node_identity(struct node *n, const char *name)
{
	char	err[256];

	n->name = name;
	n->ctl = malloc(CTL_MAX);
	assert_non_null(n->ctl);
	n->id = sec_identity_load(n->key.data, n->key.len, n->cert.data,
	    n->cert.len, err, sizeof err);
	if (n->id == NULL)
		fail_msg("identity: %s", err);
	if (sec_tls_creds_new(n->id, n->anchor.data, n->anchor.len, &n->cred,
	    err, sizeof err) != 0)
		fail_msg("credentials: %s", err);
}

static void
node_secret(struct node *n, const char *name, const struct sec_secret *s)
{
	char	err[256];

	memset(n, 0, sizeof *n);
	assert_int_equal(sec_identity_generate_key(&n->key, err, sizeof err),
	    0);
	assert_int_equal(sec_secret_issue(s, n->key.data, n->key.len, name,
	    time(NULL), &n->cert, &n->anchor, err, sizeof err), 0);
	node_identity(n, name);
}

/* A node whose certificate comes from a CA of its own, trusting anchor. */
static void
node_foreign(struct node *n, const char *name, const struct sec_pem *anchor)
{
	struct sec_pem	 cakey = { NULL, 0 }, cacert = { NULL, 0 };
	struct sec_ca	*ca;
	char		 err[256];
	time_t		 t = time(NULL);

	memset(n, 0, sizeof *n);
	assert_int_equal(sec_ca_create(t, 30, &cakey, &cacert, err,
	    sizeof err), 0);
	ca = sec_ca_load(cakey.data, cakey.len, cacert.data, cacert.len, err,
	    sizeof err);
	assert_non_null(ca);
	assert_int_equal(sec_identity_generate_key(&n->key, err, sizeof err),
	    0);
	assert_int_equal(sec_ca_issue(ca, n->key.data, n->key.len, name,
	    t - 60, t + 86400, &n->cert, err, sizeof err), 0);
	n->anchor.data = strdup(anchor != NULL ? anchor->data : cacert.data);
	assert_non_null(n->anchor.data);
	n->anchor.len = strlen(n->anchor.data);
	sec_ca_free(ca);
	sec_pem_clear(&cakey);
	sec_pem_clear(&cacert);
	node_identity(n, name);
}

static void
node_listen(struct node *n, struct event_base *b, unsigned idle_ms,
    unsigned hs_ms, int wildcard)
{
	struct net_quic_config	cfg;
	char			err[256];

	memset(&cfg, 0, sizeof cfg);
	cfg.listen[0] = wildcard ? "0.0.0.0:0" : "127.0.0.1:0";
	if (have_v6)
		cfg.listen[1] = wildcard ? "[::]:0" : "[::1]:0";
	cfg.cred = n->cred;
	cfg.udp_offload = n->offload;
	cfg.max_udp_payload = n->payload;
	cfg.idle_timeout_ms = idle_ms;
	cfg.handshake_timeout_ms = hs_ms;
	cfg.cb.established = on_established;
	cfg.cb.control = on_control;
	cfg.cb.probe_done = on_probe;
	cfg.cb.closed = on_closed;
	cfg.cb.log = on_log;
	cfg.cb.stream_open = on_stream_open;
	cfg.cb.stream_data = on_stream_data;
	cfg.cb.stream_closed = on_stream_closed;
	cfg.arg = n;
	n->ep = net_quic_endpoint_new(b, &cfg, err, sizeof err);
	if (n->ep == NULL)
		fail_msg("%s: endpoint: %s", n->name, err);
	assert_int_not_equal(net_quic_endpoint_port(n->ep, AF_INET), 0);
}

static void
node_start(struct node *n, struct event_base *b, unsigned idle_ms,
    unsigned hs_ms)
{
	node_listen(n, b, idle_ms, hs_ms, 0);
}

static void
node_free(struct node *n)
{
	net_quic_endpoint_free(n->ep);
	if (n->cred != NULL)
		gnutls_certificate_free_credentials(n->cred);
	sec_identity_free(n->id);
	sec_pem_clear(&n->key);
	sec_pem_clear(&n->cert);
	sec_pem_clear(&n->anchor);
	free(n->ctl);
}

static void
addr_of(const struct node *n, int family, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char	spec[64], err[128];

	(void)snprintf(spec, sizeof spec, family == AF_INET ?
	    "127.0.0.1:%u" : "[::1]:%u",
	    net_quic_endpoint_port(n->ep, family));
	assert_int_equal(net_quic_addr_parse(spec, ss, len, err, sizeof err),
	    0);
}

static struct net_quic_conn *
dial(struct node *from, const struct node *to, int family)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct net_quic_conn	*c;
	char			 err[256];

	addr_of(to, family, &ss, &len);
	c = net_quic_connect(from->ep, (struct sockaddr *)&ss, len, err,
	    sizeof err);
	if (c == NULL)
		fail_msg("connect: %s", err);
	return c;
}

/* a dials b and both authenticate; returns a's connection. */
static struct net_quic_conn *
pair_up(struct node *a, struct node *b, int family)
{
	struct net_quic_conn	*c;
	int			 ea = a->established, eb = b->established;

	c = dial(a, b, family);
	WAIT(base, a->established > ea && b->established > eb, 10);
	if (a->established == ea || b->established == eb)
		fail_msg("no connection: %s says '%s', %s says '%s'", a->name,
		    a->reason, b->name, b->reason);
	assert_ptr_equal(a->conn, c);
	assert_string_equal(a->peer_id, sec_identity_node_id(b->id));
	assert_string_equal(b->peer_id, sec_identity_node_id(a->id));
	assert_string_equal(net_quic_conn_peer_id(c), a->peer_id);
	assert_string_equal(net_quic_conn_peer_id(b->conn), b->peer_id);
	assert_true(net_quic_conn_is_client(c));
	assert_false(net_quic_conn_is_client(b->conn));
	return c;
}

static int
contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* ---- (a) + (g): same secret, control bytes both ways, RTT stats ---- */

static void
exchange(struct node *a, struct node *b, int family)
{
	struct net_quic_stats	 st;
	struct net_quic_conn	*c;
	unsigned char		*big;
	size_t			 i, bigsz = 300 * 1024;

	a->ctl_len = b->ctl_len = 0;
	c = pair_up(a, b, family);
	assert_int_equal(net_quic_send_control(c, "hello from a", 12), 0);
	assert_int_equal(net_quic_send_control(b->conn, "hello from b", 12),
	    0);
	WAIT(base, a->ctl_len == 12 && b->ctl_len == 12, 5);
	assert_int_equal(b->ctl_len, 12);
	assert_memory_equal(b->ctl, "hello from a", 12);
	assert_int_equal(a->ctl_len, 12);
	assert_memory_equal(a->ctl, "hello from b", 12);

	/* More than the initial stream window, in pieces: flow control. */
	big = malloc(bigsz);
	assert_non_null(big);
	for (i = 0; i < bigsz; i++)
		big[i] = (unsigned char)(i * 7 + i / 1000);
	for (i = 0; i < bigsz; i += 10000)
		assert_int_equal(net_quic_send_control(b->conn, big + i,
		    bigsz - i < 10000 ? bigsz - i : 10000), 0);
	WAIT(base, a->ctl_len == 12 + bigsz, 10);
	assert_int_equal(a->ctl_len, 12 + bigsz);
	assert_memory_equal(a->ctl + 12, big, bigsz);
	free(big);

	/* (g) RTT statistics after the exchange. */
	assert_int_equal(net_quic_conn_stats(c, &st), 0);
	printf("  %s rtt min %.6f smoothed %.6f latest %.6f var %.6f s, "
	    "sent %llu B / %llu pkts, lost %llu\n",
	    family == AF_INET ? "v4" : "v6", st.min_rtt, st.smoothed_rtt,
	    st.latest_rtt, st.rttvar, (unsigned long long)st.bytes_sent,
	    (unsigned long long)st.pkts_sent,
	    (unsigned long long)st.lost_pkts);
	/* Loopback: well under a second even under valgrind (the smoothed
	 * value still carries the 333 ms initial estimate's influence). */
	assert_true(st.min_rtt > 0 && st.min_rtt < 0.5);
	assert_true(st.smoothed_rtt >= st.min_rtt && st.smoothed_rtt < 1.5);
	assert_true(st.latest_rtt >= st.min_rtt);
	assert_true(st.rttvar >= 0 && st.rttvar < 1.5);
	assert_true(st.bytes_recv > bigsz && st.pkts_recv > 0);
	assert_true(st.bytes_sent > 0 && st.pkts_sent > 0);
	assert_true(st.loss_ratio >= 0 && st.loss_ratio <= 1);

	/* Orderly close: the peer hears the code. */
	net_quic_close(c, NET_QUIC_APP_NO_ERROR, "bye");
	WAIT(base, a->closed && b->closed, 5);
	assert_int_equal(a->closed, 1);
	assert_int_equal(b->closed, 1);
	assert_non_null(strstr(a->reason, "closed locally: bye"));
	assert_non_null(strstr(b->reason, "closed by the peer: application "
	    "code 0x0: bye"));
	a->closed = b->closed = 0;
	a->reason[0] = b->reason[0] = '\0';
}

static void
test_same_secret(void **state)
{
	struct sec_secret		s;
	struct node			a, b;
	struct net_quic_io_stats	io;
	char				err[256];

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_secret(&b, "b", &s);
	a.payload = b.payload = STD_PAYLOAD;	/* GSO batches: test_probe */
	node_start(&a, base, 0, 0);
	/* b listens on the wildcard addresses (pktinfo paths). */
	node_listen(&b, base, 0, 0, 1);
	exchange(&a, &b, AF_INET);
	/* b's 300 KB went out in GSO batches carrying IP_PKTINFO too. */
	net_quic_endpoint_io_stats(b.ep, &io);
	assert_int_equal(io.gso_refused, 0);
	assert_true(io.gso_socks == 0 || io.tx_gso_calls > 0);
	if (have_v6)
		exchange(&b, &a, AF_INET6);
	else
		printf("  IPv6 loopback unavailable: v6 case skipped\n");
	/* Everything drains away (3 PTO: seconds under valgrind). */
	WAIT(base, net_quic_endpoint_conns(a.ep) == 0 &&
	    net_quic_endpoint_conns(b.ep) == 0, 20);
	assert_int_equal(net_quic_endpoint_conns(a.ep), 0);
	assert_int_equal(net_quic_endpoint_conns(b.ep), 0);
	node_free(&a);
	node_free(&b);
	sec_secret_clear(&s);
}

/* ---- (b) + (c): refusals ---- */

static void
expect_refused(struct node *client, struct node *server)
{
	client->closed = server->closed = 0;
	client->reason[0] = server->reason[0] = '\0';
	(void)dial(client, server, AF_INET);
	WAIT(base, client->closed && server->closed, 10);
	printf("  %s (client): %s\n  %s (server): %s\n", client->name,
	    client->reason, server->name, server->reason);
	assert_int_equal(client->established, 0);
	assert_int_equal(server->established, 0);
	assert_int_equal(client->closed, 1);
	assert_int_equal(server->closed, 1);
	assert_true(contains_ci(client->reason, "certificate"));
	assert_true(contains_ci(server->reason, "certificate"));
	assert_true(contains_ci(client->reason, "refused"));
	assert_true(contains_ci(server->reason, "refused"));
}

static void
test_other_secret_refused(void **state)
{
	struct sec_secret	s, t;
	struct node		a, c;
	char			err[256];

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	assert_int_equal(sec_secret_generate(&t, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_secret(&c, "outsider", &t);
	node_start(&a, base, 0, 0);
	node_start(&c, base, 0, 0);
	expect_refused(&c, &a);
	/* The outsider refuses the server: our verification text. */
	assert_true(contains_ci(c.reason, "we refused the peer"));
	assert_true(contains_ci(c.reason, "issuer is unknown"));
	assert_true(contains_ci(a.reason, "the peer refused us"));
	expect_refused(&a, &c);
	assert_true(contains_ci(a.reason, "we refused the peer"));
	node_free(&a);
	node_free(&c);
	sec_secret_clear(&s);
	sec_secret_clear(&t);
}

static void
test_foreign_ca_refused(void **state)
{
	struct sec_secret	s;
	struct node		a, f, bold;
	char			err[256];

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_foreign(&f, "foreign", NULL);
	/* Trusts our cluster CA, so only our verify function can stop it. */
	node_foreign(&bold, "bold", &a.anchor);
	node_start(&a, base, 0, 0);
	node_start(&f, base, 0, 0);
	node_start(&bold, base, 0, 0);
	expect_refused(&f, &a);
	expect_refused(&bold, &a);
	/* The server refused: its sec_tls text; bold's TLS finished, but
	 * the handshake was never confirmed, so it never got established. */
	assert_true(contains_ci(a.reason, "we refused the peer"));
	assert_true(contains_ci(a.reason, "issuer is unknown"));
	assert_true(contains_ci(bold.reason, "the peer refused us"));
	node_free(&a);
	node_free(&f);
	node_free(&bold);
	sec_secret_clear(&s);
}

/* ---- (d): a big probe arrives intact; a corrupt one is caught ---- */

static void
print_io(const struct node *n)
{
	struct net_quic_io_stats	io;

	net_quic_endpoint_io_stats(n->ep, &io);
	printf("  %s: GSO socks %u (refused %llu), GRO socks %u; sent %llu "
	    "datagrams in %llu calls (%llu GSO); got %llu in %llu messages "
	    "(%llu calls)\n", n->name, io.gso_socks,
	    (unsigned long long)io.gso_refused, io.gro_socks,
	    (unsigned long long)io.tx_dgrams, (unsigned long long)io.tx_calls,
	    (unsigned long long)io.tx_gso_calls,
	    (unsigned long long)io.rx_dgrams, (unsigned long long)io.rx_msgs,
	    (unsigned long long)io.rx_calls);
}

/*
 * After a bulk probe a -> b between two endpoints with the default
 * offload: where this kernel has GSO and GRO, the sender's datagrams
 * went out in batches and reached the receiver coalesced.
 */
static void
probe_offload_check(const struct node *a, const struct node *b)
{
	struct net_quic_io_stats	ia, ib;

	print_io(a);
	print_io(b);
	net_quic_endpoint_io_stats(a->ep, &ia);
	net_quic_endpoint_io_stats(b->ep, &ib);
	assert_int_equal(ia.gso_refused, 0);
	assert_true(ia.tx_dgrams > 2 * ia.tx_calls);	/* batches */
	assert_true(ib.rx_dgrams >= ib.rx_msgs);
	if (ia.gso_socks == 0 || ib.gro_socks == 0) {
		printf("  (no UDP GSO/GRO on this kernel: batches only)\n");
		return;
	}
	assert_true(ia.tx_gso_calls > 0);
	assert_true(ib.rx_dgrams > 2 * ib.rx_msgs);	/* coalesced */
}

static void
test_probe(void **state)
{
	struct sec_secret	 s;
	struct node		 a, b;
	struct net_quic_conn	*c;
	struct net_quic_stats	 st;
	unsigned char		*bad;
	size_t			 badlen = 16 + 6000000;
	const char		*env = getenv("EXOGPU_QUIC_PROBE_MB");
	uint64_t		 mb = env != NULL ? strtoull(env, NULL, 10) : 100;
	uint64_t		 n = (mb == 0 ? 1 : mb) * 1000 * 1000;
	char			 err[256];
	double			 t0;

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_secret(&b, "b", &s);
	/* Ethernet-sized datagrams, as on a LAN (loopback's 64 KiB MTU
	 * would make them one per send: test_payload), so GSO batches. */
	a.payload = b.payload = STD_PAYLOAD;
	node_start(&a, base, 0, 0);
	node_start(&b, base, 0, 0);
	c = pair_up(&a, &b, AF_INET);

	t0 = now();
	assert_int_equal(net_quic_probe_start(c, n), 0);
	WAIT(base, a.probes_out == 1 && b.probes_in == 1, 120);
	printf("  probe %llu bytes: receiver %.3f s (%.1f MB/s), sender "
	    "%.3f s, wall %.3f s\n", (unsigned long long)n,
	    b.last_in.seconds, b.last_in.rate / 1e6, a.last_out.seconds,
	    now() - t0);
	assert_int_equal(b.probes_in_ok, 1);
	assert_int_equal(a.probes_out_ok, 1);
	assert_int_equal(b.last_in.bytes, n);
	assert_int_equal(a.last_out.bytes, n);
	assert_true(b.last_in.rate > 0 && b.last_in.when > 0);
	assert_int_equal(net_quic_conn_stats(b.conn, &st), 0);
	assert_int_equal(st.have_probe, 1);
	assert_int_equal(st.last_probe.bytes, n);
	assert_int_equal(net_quic_conn_stats(c, &st), 0);
	printf("  sender: delivery rate %.1f MB/s, cwnd %llu, lost %llu of "
	    "%llu pkts\n", (double)st.delivery_rate / 1e6,
	    (unsigned long long)st.cwnd, (unsigned long long)st.lost_pkts,
	    (unsigned long long)st.pkts_sent);
	probe_offload_check(&a, &b);

	/* A valid header, then bytes that are not the pattern.  Longer
	 * than the receiver's stream window (4 MiB), so the sender cannot
	 * finish before it hears STOP_SENDING: a shorter one may go out in
	 * one write round and be acknowledged, FIN and all, first. */
	bad = malloc(badlen);
	assert_non_null(bad);
	memcpy(bad, "XPB1\0\0\0\0\0\0\0\0\0\x5b\x8d\x80", 16);
	memset(bad + 16, 0x55, badlen - 16);
	assert_int_equal(net_quic_debug_open_stream(c, 0, bad, badlen), 0);
	free(bad);
	WAIT(base, b.probes_in == 2, 5);
	assert_int_equal(b.probes_in, 2);
	assert_int_equal(b.probes_in_ok, 1);
	assert_int_equal(b.last_in.ok, 0);
	WAIT(base, (net_quic_conn_stats(c, &st), st.streams_reset == 1), 5);
	assert_int_equal(st.streams_reset, 1);
	/* ... and the connection carries on. */
	assert_int_equal(net_quic_probe_start(c, 100000), 0);
	WAIT(base, b.probes_in == 3, 5);
	assert_int_equal(b.probes_in_ok, 2);
	assert_int_equal(b.closed, 0);
	node_free(&a);
	node_free(&b);
	sec_secret_clear(&s);
}

/* ---- (e): garbage datagrams ---- */

static void
send_raw(int fd, const struct node *to, const void *buf, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl;

	addr_of(to, AF_INET, &ss, &sl);
	assert_true(sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) ==
	    (ssize_t)len);
}

static void
test_garbage(void **state)
{
	struct sec_secret	 s;
	struct node		 a, b;
	struct sockaddr_in	 sin;
	unsigned char		 buf[1500], in[1500];
	size_t			 sizes[] = { 0, 1, 7, 21, 40, 200, 1200, 1500 };
	size_t			 i;
	uint64_t		 before;
	ssize_t			 r;
	char			 err[256];
	int			 fd, got_vn = 0;

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_secret(&b, "b", &s);
	node_start(&a, base, 0, 0);
	node_start(&b, base, 0, 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	before = net_quic_endpoint_dropped(b.ep);

	/* Random bytes of many sizes, a few times over. */
	for (i = 0; i < 3 * sizeof sizes / sizeof sizes[0]; i++) {
		size_t	n = sizes[i % (sizeof sizes / sizeof sizes[0])];

		assert_int_equal(gnutls_rnd(GNUTLS_RND_NONCE, buf, n), 0);
		send_raw(fd, &b, buf, n);
	}
	/* A long-header Initial, v1, DCID 8, SCID 8, junk payload ... */
	memset(buf, 0, sizeof buf);
	buf[0] = 0xc3;
	buf[4] = 0x01;			/* version 1 */
	buf[5] = 8;			/* DCID length */
	assert_int_equal(gnutls_rnd(GNUTLS_RND_NONCE, buf + 6, 8), 0);
	buf[14] = 8;			/* SCID length */
	assert_int_equal(gnutls_rnd(GNUTLS_RND_NONCE, buf + 15, 8), 0);
	buf[23] = 0;			/* token length */
	buf[24] = 0x44;			/* length 1100, 2-byte varint */
	buf[25] = 0x4c;
	assert_int_equal(gnutls_rnd(GNUTLS_RND_NONCE, buf + 26, 1174), 0);
	send_raw(fd, &b, buf, 1200);	/* ... full size, */
	send_raw(fd, &b, buf, 60);	/* ... truncated, */
	send_raw(fd, &b, buf, 1200);	/* ... and again. */
	/* A short-header packet for a connection that does not exist. */
	buf[0] = 0x43;
	send_raw(fd, &b, buf, 100);
	/* An unknown version: Version Negotiation comes back. */
	buf[0] = 0xc0;
	buf[1] = 0x0a;
	buf[2] = 0x1a;
	buf[3] = 0x2a;
	buf[4] = 0x3a;
	send_raw(fd, &b, buf, 1200);

	WAIT(base, net_quic_endpoint_dropped(b.ep) >= before + 25, 3);
	loop_once(base);
	printf("  dropped %llu datagrams, %u connections left\n",
	    (unsigned long long)(net_quic_endpoint_dropped(b.ep) - before),
	    net_quic_endpoint_conns(b.ep));
	assert_true(net_quic_endpoint_dropped(b.ep) >= before + 25);
	/* Nothing above makes a connection that lingers. */
	WAIT(base, net_quic_endpoint_conns(b.ep) == 0, 3);
	assert_int_equal(net_quic_endpoint_conns(b.ep), 0);
	assert_int_equal(b.closed, 0);
	while ((r = recv(fd, in, sizeof in, 0)) > 0)
		if (r >= 7 && (in[0] & 0x80) != 0 && in[1] == 0 &&
		    in[2] == 0 && in[3] == 0 && in[4] == 0)
			got_vn = 1;
	assert_true(got_vn);
	(void)close(fd);

	/* And a real peer still gets in. */
	(void)pair_up(&a, &b, AF_INET);
	node_free(&a);
	node_free(&b);
	sec_secret_clear(&s);
}

/* ---- (f): stream limits ---- */

static void
test_stream_limits(void **state)
{
	struct sec_secret	 s;
	struct node		 a, b;
	struct net_quic_conn	*c;
	struct net_quic_stats	 sa, sb;
	char			 err[256];
	int			 i, opened;

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_secret(&b, "b", &s);
	node_start(&a, base, 0, 0);
	node_start(&b, base, 0, 0);
	c = pair_up(&a, &b, AF_INET);
	assert_int_equal(net_quic_send_control(c, "x", 1), 0);
	WAIT(base, b.ctl_len == 1, 5);

	/* A second bidirectional stream is an application stream; with no
	 * stream_open callback the peer refuses it (reset), either way. */
	assert_int_equal(net_quic_debug_open_stream(c, 1, "hi", 2), 0);
	WAIT(base, (net_quic_conn_stats(c, &sa), sa.streams_reset == 1), 5);
	assert_int_equal(sa.streams_reset, 1);
	assert_int_equal(net_quic_conn_stats(b.conn, &sb), 0);
	assert_int_equal(sb.streams_refused, 1);
	assert_int_equal(net_quic_debug_open_stream(b.conn, 1, "hi", 2), 0);
	WAIT(base, (net_quic_conn_stats(b.conn, &sb), sb.streams_reset == 1),
	    5);
	assert_int_equal(sb.streams_reset, 1);
	assert_int_equal(net_quic_conn_stats(c, &sa), 0);
	assert_int_equal(sa.streams_refused, 1);

	/* Unidirectional: four at a time, no more. */
	for (opened = 0, i = 0; i < 6; i++)
		if (net_quic_debug_open_stream(c, 0, "junk", 4) == 0)
			opened++;
	assert_int_equal(opened, 4);
	WAIT(base, b.probes_in == 4, 5);
	assert_int_equal(b.probes_in, 4);
	assert_int_equal(b.probes_in_ok, 0);	/* junk is not a probe */

	/* Ten probes queue up behind the limit and all complete. */
	for (i = 0; i < 10; i++)
		assert_int_equal(net_quic_probe_start(c, 512 * 1024), 0);
	WAIT(base, b.probes_in == 14 && a.probes_out == 10, 20);
	printf("  probes: %d in (%d ok), %d out (%d ok)\n", b.probes_in,
	    b.probes_in_ok, a.probes_out, a.probes_out_ok);
	assert_int_equal(b.probes_in_ok, 10);
	assert_int_equal(a.probes_out_ok, 10);
	assert_int_equal(net_quic_conn_stats(b.conn, &sb), 0);
	assert_int_equal(net_quic_conn_stats(c, &sa), 0);
	printf("  peer uni streams at once: %u (receiver), %u (sender)\n",
	    sb.peer_uni_max, sa.local_uni_max);
	assert_true(sb.peer_uni_max >= 1 && sb.peer_uni_max <= 4);
	/* The sender's streams live until their FIN is acked, after the
	 * receiver already granted the next ones: it may count more. */
	assert_true(sa.local_uni_max >= 2);

	/* Still one healthy connection. */
	b.ctl_len = 0;
	assert_int_equal(net_quic_send_control(c, "still here", 10), 0);
	WAIT(base, b.ctl_len == 10, 5);
	assert_memory_equal(b.ctl, "still here", 10);
	assert_int_equal(a.closed + b.closed, 0);
	node_free(&a);
	node_free(&b);
	sec_secret_clear(&s);
}

/* ---- application streams: flow control, FIN, reset ---- */

static void
app_write(struct net_quic_conn *c, int64_t id, size_t from, size_t n)
{
	uint8_t	buf[65536];
	size_t	i, k;

	while (n > 0) {
		k = n < sizeof buf ? n : sizeof buf;
		for (i = 0; i < k; i++)
			buf[i] = (uint8_t)((from + i) * 7);
		assert_int_equal(net_quic_stream_write(c, id, buf, k, 0), 0);
		from += k;
		n -= k;
	}
}

static void
test_app_streams(void **state)
{
	struct sec_secret	 s;
	struct node		 a, b;
	struct net_quic_conn	*c;
	char			 err[256];
	int64_t			 id;
	int			 i;
	const size_t		 total = 4u << 20;

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_secret(&b, "b", &s);
	node_start(&a, base, 0, 0);
	node_start(&b, base, 0, 0);
	c = pair_up(&a, &b, AF_INET);
	assert_int_equal(net_quic_send_control(c, "x", 1), 0);
	WAIT(base, b.ctl_len == 1, 5);

	/* A receiver that does not consume stops the sender at the stream
	 * window (1 MiB), with the rest still queued and unacknowledged. */
	b.app_take = 1;
	id = net_quic_stream_open(c);
	assert_true(id > 0);
	app_write(c, id, 0, total);
	WAIT(base, b.app_got >= (1u << 20), 5);
	WAIT(base, 0, 0.3);
	printf("  unconsumed: %llu bytes in, %llu queued at the sender\n",
	    (unsigned long long)b.app_got,
	    (unsigned long long)net_quic_stream_queued(c, id));
	assert_int_equal(b.app_bad, 0);
	assert_true(b.app_got >= (1u << 20) && b.app_got <= (2u << 20));
	assert_true(net_quic_stream_queued(c, id) >= total - (2u << 20));
	/* Consuming lets the rest through; FIN ends it. */
	b.app_consume = 1;
	assert_int_equal(net_quic_stream_consume(b.conn, id, b.app_unconsumed),
	    0);
	assert_int_equal(net_quic_stream_write(c, id, NULL, 0, 1), 0);
	assert_int_equal(net_quic_stream_write(c, id, "x", 1, 0), -1);
	WAIT(base, b.app_fin, 10);
	assert_int_equal(b.app_got, total);
	assert_int_equal(b.app_bad, 0);
	/* The answer, with FIN: the stream closes on both sides. */
	a.app_consume = 1;
	app_write(b.conn, id, 0, 1000);
	assert_int_equal(net_quic_stream_write(b.conn, id, NULL, 0, 1), 0);
	WAIT(base, a.app_closed && b.app_closed, 5);
	assert_int_equal(a.app_got, 1000);
	assert_true(a.app_fin);
	assert_int_equal(a.app_reset + b.app_reset, 0);
	assert_int_equal(net_quic_stream_queued(c, id), 0);

	/* A reset by the receiver ends both directions, code intact. */
	b.app_reset_on_data = 1;
	a.app_closed = 0;
	id = net_quic_stream_open(c);
	assert_true(id > 0);
	app_write(c, id, 0, 10);
	WAIT(base, a.app_closed && b.app_closed, 5);
	assert_int_equal(a.app_reset, 1);
	assert_int_equal(a.app_code, 0x110);
	assert_int_equal(net_quic_stream_write(c, id, "x", 1, 0), -1);

	/* The server side may open one too. */
	b.app_reset_on_data = 0;
	a.app_take = 1;
	a.app_closed = b.app_closed = a.app_fin = 0;
	a.app_got = 0;
	id = net_quic_stream_open(b.conn);
	assert_true(id > 0 && (id & 1) == 1);
	app_write(b.conn, id, 0, 5000);
	assert_int_equal(net_quic_stream_write(b.conn, id, NULL, 0, 1), 0);
	WAIT(base, a.app_fin, 5);
	assert_int_equal(a.app_got, 5000);
	assert_int_equal(a.app_bad, 0);
	assert_int_equal(net_quic_stream_write(a.conn != NULL ? a.conn : c, id,
	    NULL, 0, 1), 0);
	WAIT(base, a.app_closed && b.app_closed, 5);

	/* Refused streams give their credit back: far more than the peer's
	 * limit (NET_QUIC_APP_STREAMS at once), one after another. */
	b.app_take = 0;
	for (i = 0; i < NET_QUIC_APP_STREAMS + 16; i++) {
		a.app_closed = 0;
		id = -1;
		WAIT(base, (id = net_quic_stream_open(c)) >= 0, 5);
		assert_true(id >= 0);
		assert_int_equal(net_quic_stream_write(c, id, "x", 1, 1), 0);
		WAIT(base, a.app_closed, 5);
		assert_int_equal(a.app_reset, 1);
		assert_int_equal(a.app_code, NET_QUIC_APP_STREAM_REFUSED);
	}

	/* Still one healthy connection. */
	b.ctl_len = 0;
	assert_int_equal(net_quic_send_control(c, "still here", 10), 0);
	WAIT(base, b.ctl_len == 10, 5);
	assert_int_equal(a.closed + b.closed, 0);
	node_free(&a);
	node_free(&b);
	sec_secret_clear(&s);
}

/* ---- UDP offload off, and refused by the kernel mid-way ---- */

static void
probe_ok(struct node *from, struct node *to, struct net_quic_conn *c,
    uint64_t n)
{
	int	in = to->probes_in, ok = to->probes_in_ok;
	int	out_ok = from->probes_out_ok;

	assert_int_equal(net_quic_probe_start(c, n), 0);
	WAIT(base, to->probes_in > in && from->probes_out_ok > out_ok, 60);
	assert_int_equal(to->probes_in_ok, ok + 1);
	assert_int_equal(to->last_in.bytes, n);
	assert_int_equal(from->probes_out_ok, out_ok + 1);
}

static void
test_offload(void **state)
{
	struct sec_secret		 s;
	struct node			 a, b, c, d;
	struct net_quic_io_stats	 io, ib;
	struct net_quic_conn		*ab, *cd;
	unsigned			 gso_before;
	char				 err[256];

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);

	/* a: default; b: offload off.  20 MB each way, verified. */
	node_secret(&a, "a", &s);
	node_secret(&b, "b", &s);
	a.payload = b.payload = STD_PAYLOAD;	/* as test_probe */
	b.offload = NET_QUIC_OFFLOAD_OFF;
	node_start(&a, base, 0, 0);
	node_start(&b, base, 0, 0);
	ab = pair_up(&a, &b, AF_INET);
	probe_ok(&a, &b, ab, 20u * 1000 * 1000);
	probe_ok(&b, &a, b.conn, 20u * 1000 * 1000);
	print_io(&a);
	print_io(&b);
	net_quic_endpoint_io_stats(b.ep, &ib);
	assert_int_equal(ib.gso_socks, 0);
	assert_int_equal(ib.gro_socks, 0);
	assert_int_equal(ib.tx_gso_calls, 0);
	assert_int_equal(ib.gso_refused, 0);
	/* Without GRO every message is one datagram; sendmmsg batches. */
	assert_int_equal(ib.rx_dgrams, ib.rx_msgs);
	assert_true(ib.rx_dgrams > 13000);	/* 20 MB in <= 1500-byte datagrams */
	assert_true(ib.tx_dgrams > 2 * ib.tx_calls);
	net_quic_endpoint_io_stats(a.ep, &io);
	assert_int_equal(io.gso_refused, 0);
	if (io.gso_socks > 0)
		assert_true(io.tx_gso_calls > 0);
	/* a's GRO socket gets b's separate datagrams one by one. */
	assert_int_equal(io.rx_dgrams, io.rx_msgs);

	/* c: the kernel refuses its first GSO send (SO_NO_CHECK); c goes
	 * on without GSO on that socket and nothing is lost for good. */
	node_secret(&c, "c", &s);
	node_secret(&d, "d", &s);
	c.offload = NET_QUIC_OFFLOAD_TEST_REFUSE;
	c.payload = d.payload = STD_PAYLOAD;
	node_start(&c, base, 0, 0);
	node_start(&d, base, 0, 0);
	net_quic_endpoint_io_stats(c.ep, &io);
	gso_before = io.gso_socks;
	cd = pair_up(&c, &d, AF_INET);
	probe_ok(&c, &d, cd, 20u * 1000 * 1000);
	probe_ok(&c, &d, cd, 1000 * 1000);
	print_io(&c);
	print_io(&d);
	net_quic_endpoint_io_stats(c.ep, &io);
	if (gso_before == 0) {
		printf("  (no UDP GSO on this kernel: nothing to refuse)\n");
		assert_int_equal(io.gso_refused, 0);
	} else {
		assert_int_equal(io.gso_refused, 1);
		assert_int_equal(io.gso_socks, gso_before - 1);
		assert_int_equal(io.tx_gso_calls, 0);
		assert_int_equal(c.gso_refusal_logged, 1);
		assert_true(io.tx_dgrams > 2 * io.tx_calls);
	}
	assert_int_equal(a.closed + b.closed + c.closed + d.closed, 0);
	node_free(&a);
	node_free(&b);
	node_free(&c);
	node_free(&d);
	sec_secret_clear(&s);
}

/* ---- datagram size: the path's MTU, the peer's limit, the cap ---- */

/* The loopback MTU for family, as the endpoint reads it; 0 unknown. */
static int
lo_mtu(int family)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	int			fd, mtu = 0, v6 = family == AF_INET6;
	socklen_t		ml = sizeof mtu;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(9);
	sin6.sin6_addr = in6addr_loopback;
	if ((fd = socket(family, SOCK_DGRAM, 0)) < 0)
		return 0;
	if ((v6 ? connect(fd, (struct sockaddr *)&sin6, sizeof sin6) :
	    connect(fd, (struct sockaddr *)&sin, sizeof sin)) < 0 ||
	    getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    v6 ? IPV6_MTU : IP_MTU, &mtu, &ml) < 0)
		mtu = 0;
	(void)close(fd);
	return mtu;
}

static size_t
payload_of(struct net_quic_conn *c)
{
	struct net_quic_stats	st;

	assert_int_equal(net_quic_conn_stats(c, &st), 0);
	return st.udp_payload;
}

/* What a loopback path of family should carry with a cap (0: none):
 * its MTU less headers, within the cap or NET_QUIC_PAYLOAD_AUTO. */
static size_t
lo_payload(int family, size_t cap)
{
	int	mtu = lo_mtu(family);
	size_t	p;

	if (mtu <= 1500)
		return 0;	/* no jumbo loopback here */
	p = (size_t)mtu - (family == AF_INET6 ? 48 : 28);
	if (p > NET_QUIC_PAYLOAD_MAX)
		p = NET_QUIC_PAYLOAD_MAX;
	if (cap == 0)
		cap = NET_QUIC_PAYLOAD_AUTO;
	return p > cap ? cap : p;
}

/* x dials y and each sends y the other a probe of n bytes; prints the
 * datagram size each side ended with.  Returns x's connection (y's is
 * y->conn). */
static struct net_quic_conn *
both_ways(struct node *x, struct node *y, uint64_t n)
{
	struct net_quic_conn	*c = pair_up(x, y, AF_INET);

	probe_ok(x, y, c, n);
	probe_ok(y, x, y->conn, n);
	printf("  %s <-> %s: %zu / %zu bytes a datagram\n", x->name,
	    y->name, payload_of(c), payload_of(y->conn));
	return c;
}

static void
test_payload(void **state)
{
	struct sec_secret		 s;
	struct node			 a, b, c, d, e, f, g;
	struct net_quic_config		 bad;
	struct net_quic_io_stats	 io;
	struct net_quic_conn		*ab, *ac, *ad, *ef, *ag;
	size_t				 want = lo_payload(AF_INET, 0);
	char				 err[256];

	(void)state;
	if (want == 0)
		skip();
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_secret(&b, "b", &s);
	node_secret(&c, "c", &s);
	node_secret(&d, "d", &s);
	node_secret(&e, "e", &s);
	node_secret(&f, "f", &s);
	node_secret(&g, "g", &s);
	c.payload = STD_PAYLOAD;	/* a host on an Ethernet-MTU LAN */
	d.payload = 8952;		/* a 9000-byte jumbo LAN */
	e.payload = f.payload = NET_QUIC_PAYLOAD_MAX;	/* asked for */
	g.payload = 1300;		/* below what PMTUD would reach */
	node_start(&a, base, 0, 0);
	node_start(&b, base, 0, 0);
	node_start(&c, base, 0, 0);
	node_start(&d, base, 0, 0);
	node_start(&e, base, 0, 0);
	node_start(&f, base, 0, 0);
	node_start(&g, base, 0, 0);

	/* Default on both ends: loopback's MTU, within
	 * NET_QUIC_PAYLOAD_AUTO, both ways. */
	printf("  loopback v4 MTU %d\n", lo_mtu(AF_INET));
	ab = both_ways(&a, &b, 20u * 1000 * 1000);
	assert_int_equal(payload_of(ab), want);
	assert_int_equal(payload_of(b.conn), want);
	net_quic_endpoint_io_stats(b.ep, &io);
	/* 20 MB each way in 1452-byte datagrams would be > 13000 each. */
	assert_true(io.rx_dgrams < 4000 && io.tx_dgrams < 4000);

	/* The smaller side's limit holds for both: a peer with a standard
	 * MTU announces 1452 and gets nothing larger from a. */
	ac = both_ways(&a, &c, 5u * 1000 * 1000);
	assert_int_equal(payload_of(ac), STD_PAYLOAD);
	assert_true(payload_of(c.conn) <= STD_PAYLOAD);

	ad = both_ways(&a, &d, 5u * 1000 * 1000);
	assert_int_equal(payload_of(ad), 8952);
	assert_int_equal(payload_of(d.conn), 8952);
	print_io(&d);
	net_quic_endpoint_io_stats(d.ep, &io);
	assert_true(io.tx_dgrams > io.tx_calls);	/* 7 in a batch */

	/* Both ends asking for more: loopback's MTU whole. */
	ef = both_ways(&e, &f, 5u * 1000 * 1000);
	assert_int_equal(payload_of(ef), lo_payload(AF_INET, e.payload));
	assert_int_equal(payload_of(f.conn), lo_payload(AF_INET, f.payload));

	/* A cap below the standard size holds on our side too: path MTU
	 * discovery stays under it. */
	ag = both_ways(&a, &g, 5u * 1000 * 1000);
	assert_int_equal(payload_of(ag), 1300);
	assert_true(payload_of(g.conn) <= 1300);

	if (have_v6 && lo_payload(AF_INET6, 0) > 0) {
		struct net_quic_conn	*v6 = pair_up(&b, &a, AF_INET6);

		probe_ok(&b, &a, v6, 5u * 1000 * 1000);
		printf("  loopback v6 (MTU %d): %zu bytes a datagram\n",
		    lo_mtu(AF_INET6), payload_of(v6));
		assert_int_equal(payload_of(v6), lo_payload(AF_INET6, 0));
	}
	assert_int_equal(a.closed + b.closed + c.closed + d.closed +
	    e.closed + f.closed + g.closed, 0);

	/* A cap outside QUIC's range: a clear error, no endpoint. */
	memset(&bad, 0, sizeof bad);
	bad.listen[0] = "127.0.0.1:0";
	bad.cred = a.cred;
	bad.max_udp_payload = 1000;
	assert_null(net_quic_endpoint_new(base, &bad, err, sizeof err));
	assert_non_null(strstr(err, "payload"));
	node_free(&a);
	node_free(&b);
	node_free(&c);
	node_free(&d);
	node_free(&e);
	node_free(&f);
	node_free(&g);
	sec_secret_clear(&s);
}

/* ---- timeouts: stalled handshake, dead peer, keep-alive ---- */

static void
test_timeouts(void **state)
{
	struct sec_secret	 s;
	struct node		 a, b, y, z;
	struct event_base	*frozen;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof sin;
	struct net_quic_conn	*c;
	char			 err[256];
	double			 t0;
	int			 fd;

	(void)state;
	frozen = event_base_new();
	assert_non_null(frozen);
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	node_secret(&a, "a", &s);
	node_secret(&b, "b", &s);
	node_secret(&y, "y", &s);
	node_secret(&z, "z", &s);
	node_start(&a, base, 1500, 1000);
	node_start(&b, base, 1500, 1000);

	/* A port where nobody answers: the client gives up. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	c = net_quic_connect(a.ep, (struct sockaddr *)&sin, sl, err,
	    sizeof err);
	assert_non_null(c);
	t0 = now();
	WAIT(base, a.closed == 1, 5);
	printf("  black hole: after %.2f s: %s\n", now() - t0, a.reason);
	assert_int_equal(a.closed, 1);
	assert_non_null(strstr(a.reason, "handshake timeout"));
	(void)close(fd);

	/* A client that sends its Initial and then stalls. */
	node_start(&z, frozen, 1500, 60000);
	(void)dial(&z, &b, AF_INET);
	loop_once(frozen);		/* the Initial goes out */
	t0 = now();
	WAIT(base, b.closed == 1, 5);
	printf("  stalled client: after %.2f s: %s\n", now() - t0, b.reason);
	assert_int_equal(b.closed, 1);
	assert_non_null(strstr(b.reason, "handshake timeout"));
	assert_int_equal(net_quic_endpoint_conns(b.ep), 0);

	/* Keep-alive: an idle but healthy link outlives the idle timeout. */
	a.closed = b.closed = 0;
	c = pair_up(&a, &b, AF_INET);
	t0 = now();
	WAIT(base, a.closed || b.closed, 4);
	assert_int_equal(a.closed + b.closed, 0);
	assert_ptr_equal(a.conn, c);

	node_free(&z);	/* before its loop runs again */

	/* A dead peer (its loop stops) is noticed within the idle timeout. */
	node_start(&y, frozen, 1500, 1000);
	(void)dial(&a, &y, AF_INET);
	t0 = now() + 5;
	while ((a.established < 2 || y.established < 1) && now() < t0) {
		loop_once(base);
		assert_true(event_base_loop(frozen, EVLOOP_NONBLOCK) >= 0);
	}
	assert_int_equal(a.established, 2);
	assert_int_equal(y.established, 1);
	t0 = now();
	WAIT(base, a.closed == 1, 5);
	printf("  dead peer noticed after %.2f s: %s\n", now() - t0,
	    a.reason);
	assert_int_equal(a.closed, 1);
	assert_non_null(strstr(a.reason, "idle timeout"));
	/* Idle timer restarts at our last keep-alive (RFC 9000 10.1):
	 * silence is noticed after idle + keep-alive (1.5 + 0.5 s). */
	assert_true(now() - t0 < 1.5 + 0.5 + 0.5);
	/* The healthy link to b is still there. */
	assert_int_equal(b.closed, 0);
	node_free(&y);
	node_free(&a);
	node_free(&b);
	event_base_free(frozen);
	sec_secret_clear(&s);
}

static int
setup(void **state)
{
	int	fd;
	struct sockaddr_in6	sin6;

	(void)state;
	base = event_base_new();
	if (base == NULL)
		return -1;
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd >= 0) {
		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_loopback;
		have_v6 = bind(fd, (struct sockaddr *)&sin6, sizeof sin6) == 0;
		(void)close(fd);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	event_base_free(base);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_secret),
		cmocka_unit_test(test_other_secret_refused),
		cmocka_unit_test(test_foreign_ca_refused),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_stream_limits),
		cmocka_unit_test(test_app_streams),
		cmocka_unit_test(test_offload),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_timeouts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
