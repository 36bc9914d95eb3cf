/*
 * bench_quic.c - what the QUIC transport (net/net_quic.h) costs on this
 * machine, over loopback: handshake time (dial to authenticated, mutual
 * TLS 1.3 with Ed25519 join-secret certificates, median of N), bulk
 * throughput of a probe stream (receiver's MB/s, median of a few 100 MB
 * runs) and CPU seconds per GB moved.
 *
 * Both endpoints live in this process on one event_base (one thread), so
 * the CPU figure is getrusage(RUSAGE_SELF) for sender AND receiver
 * together - encryption, decryption, pattern generation and checking,
 * and both sides' system calls - per GB of probe payload.
 *
 * It also says how the datagrams went through the kernel: datagrams per
 * send call (GSO batches or sendmmsg), per received message (GRO), and
 * the sender's losses.
 *
 * Then the same bulk probes with the receiver in a child process (its own
 * event loop, as two agents are): the rate one connection reaches when
 * each side has a core, and the CPU seconds per GB of each side (the
 * child's from wait4).
 *
 * --quick: 5 handshakes and one 5 MB probe, for ctest's smoke run.
 * --no-offload: endpoints without UDP GSO/GRO (NET_QUIC_OFFLOAD_OFF).
 * --payload N: the endpoints' largest UDP payload (max_udp_payload);
 * without it, loopback's MTU within NET_QUIC_PAYLOAD_AUTO (16 KiB) sets
 * it; --payload 65507 takes loopback whole.  --payload 1452 gives the
 * datagrams of a 1500-byte Ethernet path.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "net_quic.h"
#include "sec_identity.h"
#include "sec_secret.h"
#include "sec_tls.h"
#include "bench.h"

/* Endpoint options from the command line. */
struct bopts {
	int	offload;
	size_t	payload;
};

struct node {
	const char			*name;
	struct sec_pem			 key, cert, anchor;
	struct sec_identity		*id;
	gnutls_certificate_credentials_t cred;
	struct net_quic_endpoint	*ep;
	struct net_quic_conn		*conn;
	int				 established, closed, probes, sent;
	struct net_quic_probe_result	 last, last_out;
	int				 report_fd;	/* child: rates out */
};

static double
cpu_s(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
on_established(struct net_quic_conn *c, const char *peer,
    const struct sockaddr *sa, socklen_t len, void *arg)
{
	struct node	*n = arg;

	(void)peer;
	(void)sa;
	(void)len;
	n->established++;
	n->conn = c;
}

static void
on_probe(struct net_quic_conn *c, const struct net_quic_probe_result *r,
    void *arg)
{
	struct node	*n = arg;

	(void)c;
	if (r->outgoing) {
		n->sent++;
		n->last_out = *r;
		return;
	}
	n->probes++;
	n->last = *r;
	if (n->report_fd >= 0 && write(n->report_fd, r, sizeof *r) !=
	    (ssize_t)sizeof *r)
		fprintf(stderr, "bench_quic: cannot report a probe\n");
}

static void
on_closed(struct net_quic_conn *c, const char *reason, void *arg)
{
	struct node	*n = arg;

	(void)reason;
	n->closed++;
	if (n->conn == c)
		n->conn = NULL;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs b until *flag >= want or secs pass; 0 on success. */
static int
run_until(struct event_base *b, const int *flag, int want, double secs)
{
	struct timeval	 tv = { 0, 10000 };
	struct event	*ev;
	double		 dl = bench_now_s() + secs;

	while (*flag < want && bench_now_s() < dl) {
		if ((ev = evtimer_new(b, tick, NULL)) == NULL ||
		    evtimer_add(ev, &tv) < 0 ||
		    event_base_loop(b, EVLOOP_ONCE) < 0)
			return -1;
		event_free(ev);
	}
	return *flag >= want ? 0 : -1;
}

static int
node_init(struct node *n, const char *name, const struct sec_secret *s,
    struct event_base *b, const struct bopts *o)
{
	struct net_quic_config	cfg;
	char			err[256];

	memset(n, 0, sizeof *n);
	n->name = name;
	n->report_fd = -1;
	if (sec_identity_generate_key(&n->key, err, sizeof err) < 0 ||
	    sec_secret_issue(s, n->key.data, n->key.len, name, time(NULL),
	    &n->cert, &n->anchor, err, sizeof err) < 0 ||
	    (n->id = sec_identity_load(n->key.data, n->key.len, n->cert.data,
	    n->cert.len, err, sizeof err)) == NULL ||
	    sec_tls_creds_new(n->id, n->anchor.data, n->anchor.len, &n->cred,
	    err, sizeof err) < 0) {
		fprintf(stderr, "bench_quic: %s: %s\n", name, err);
		return -1;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.listen[0] = "127.0.0.1:0";
	cfg.cred = n->cred;
	cfg.udp_offload = o->offload;
	cfg.max_udp_payload = o->payload;
	cfg.cb.established = on_established;
	cfg.cb.probe_done = on_probe;
	cfg.cb.closed = on_closed;
	cfg.arg = n;
	if ((n->ep = net_quic_endpoint_new(b, &cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "bench_quic: %s: %s\n", name, err);
		return -1;
	}
	return 0;
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
}

static struct net_quic_conn *
dial_port(struct node *a, unsigned port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct net_quic_conn	*c;
	char			 spec[64], err[256];

	(void)snprintf(spec, sizeof spec, "127.0.0.1:%u", port);
	if (net_quic_addr_parse(spec, &ss, &len, err, sizeof err) < 0 ||
	    (c = net_quic_connect(a->ep, (struct sockaddr *)&ss, len, err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "bench_quic: connect: %s\n", err);
		return NULL;
	}
	return c;
}

static struct net_quic_conn *
dial(struct node *a, struct node *b)
{
	return dial_port(a, net_quic_endpoint_port(b->ep, AF_INET));
}

/* The child: a receiver on its own loop until the sender closes. */
static int
receiver_child(const struct sec_secret *s, const struct bopts *o, int portfd,
    int reportfd)
{
	struct event_base	*base;
	struct node		 b;
	uint16_t		 port;
	int			 rc = 1;

	if ((base = event_base_new()) == NULL)
		return 1;
	if (node_init(&b, "b", s, base, o) == 0) {
		b.report_fd = reportfd;
		port = net_quic_endpoint_port(b.ep, AF_INET);
		if (write(portfd, &port, sizeof port) == (ssize_t)sizeof port &&
		    run_until(base, &b.closed, 1, 600) == 0)
			rc = 0;
	}
	node_free(&b);
	event_base_free(base);
	return rc;
}

static int
read_full(int fd, void *buf, size_t len)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/*
 * nbulk probes of size bytes from a to a receiver in a child process;
 * prints the receiver's median rate and each side's CPU per GB.
 */
static int
bulk_two_processes(struct event_base *base, struct node *a,
    const struct sec_secret *s, const struct bopts *o, uint64_t size,
    int nbulk)
{
	struct net_quic_probe_result	 r;
	struct net_quic_conn		*c;
	struct rusage			 ru;
	struct net_quic_stats		 qs;
	double				 rates[8], c0, cpu_a, cpu_b;
	uint16_t			 port;
	pid_t				 pid;
	int				 pp[2], rp[2], i, st, rc = -1;

	if (pipe(pp) < 0 || pipe(rp) < 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		(void)close(pp[0]);
		(void)close(rp[0]);
		_exit(receiver_child(s, o, pp[1], rp[1]));
	}
	(void)close(pp[1]);
	(void)close(rp[1]);
	if (read_full(pp[0], &port, sizeof port) < 0 ||
	    (c = dial_port(a, port)) == NULL ||
	    run_until(base, &a->established, a->established + 1, 10) < 0)
		goto out;
	c0 = cpu_s();
	for (i = 0; i < nbulk; i++) {
		int	sent = a->sent;

		if (net_quic_probe_start(c, size) < 0 ||
		    run_until(base, &a->sent, sent + 1, 120) < 0 ||
		    !a->last_out.ok || read_full(rp[0], &r, sizeof r) < 0 ||
		    !r.ok) {
			fprintf(stderr, "bench_quic: two-process probe %d "
			    "failed\n", i);
			goto out;
		}
		rates[i] = r.rate;
	}
	cpu_a = cpu_s() - c0;
	(void)net_quic_conn_stats(c, &qs);
	net_quic_close(c, NET_QUIC_APP_NO_ERROR, "bench done");
	(void)run_until(base, &a->closed, a->closed + 1, 5);
	rc = 0;
out:
	(void)close(pp[0]);
	(void)close(rp[0]);
	if (rc < 0)
		(void)kill(pid, SIGTERM);
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		rc = -1;
	if (rc < 0)
		return -1;
	cpu_b = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("quic bulk probe, receiver in a second process: median %.1f "
	    "MB/s (%.2f Gbit/s) over %d\n", bench_median(rates, nbulk) / 1e6,
	    bench_median(rates, nbulk) * 8 / 1e9, nbulk);
	printf("quic CPU, two processes: sender %.2f s, receiver %.2f s per "
	    "GB (receiver's includes its start-up); sender lost %llu of "
	    "%llu packets, cwnd %llu at the end\n",
	    cpu_a / ((double)size * nbulk / 1e9),
	    cpu_b / ((double)size * nbulk / 1e9),
	    (unsigned long long)qs.lost_pkts, (unsigned long long)qs.pkts_sent,
	    (unsigned long long)qs.cwnd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct sec_secret	 s;
	struct node		 a, b;
	struct net_quic_conn	*c;
	double			*hs, rates[8], t0, c0, cpu;
	uint64_t		 size = 100ull * 1000 * 1000, moved = 0;
	char			 err[256];
	struct net_quic_io_stats io_a, io_b;
	struct net_quic_stats	 st, st_b;
	struct bopts		 o = { NET_QUIC_OFFLOAD_AUTO, 0 };
	char			*end;
	int			 quick = 0;
	int			 nhs, nbulk, i;
	int			 rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--no-offload") == 0)
			o.offload = NET_QUIC_OFFLOAD_OFF;
		else if (strcmp(argv[i], "--payload") == 0 && i + 1 < argc) {
			errno = 0;
			o.payload = strtoul(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' ||
			    o.payload < NET_QUIC_PAYLOAD_MIN ||
			    o.payload > NET_QUIC_PAYLOAD_MAX) {
				fprintf(stderr, "bench_quic: --payload: a "
				    "number of bytes, %d..%d\n",
				    NET_QUIC_PAYLOAD_MIN, NET_QUIC_PAYLOAD_MAX);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: bench_quic [--quick] "
			    "[--no-offload] [--payload BYTES]\n");
			return 2;
		}
	}
	nhs = quick ? 5 : 50;
	nbulk = quick ? 1 : 5;
	if (quick)
		size = 5ull * 1000 * 1000;
	if ((base = event_base_new()) == NULL ||
	    (hs = calloc((size_t)nhs, sizeof *hs)) == NULL)
		return 1;
	if (sec_secret_generate(&s, err, sizeof err) < 0 ||
	    node_init(&a, "a", &s, base, &o) < 0 ||
	    node_init(&b, "b", &s, base, &o) < 0)
		return 1;

	/* Handshakes: dial to authenticated on the client (confirmed). */
	for (i = 0; i < nhs; i++) {
		int	ea = a.established, eb = b.established;
		int	ca = a.closed, cb = b.closed;

		t0 = bench_now_s();
		if ((c = dial(&a, &b)) == NULL ||
		    run_until(base, &a.established, ea + 1, 10) < 0 ||
		    run_until(base, &b.established, eb + 1, 10) < 0) {
			fprintf(stderr, "bench_quic: handshake %d failed\n", i);
			goto out;
		}
		hs[i] = bench_now_s() - t0;
		net_quic_close(c, NET_QUIC_APP_NO_ERROR, "bench");
		if (run_until(base, &a.closed, ca + 1, 5) < 0 ||
		    run_until(base, &b.closed, cb + 1, 5) < 0)
			goto out;
	}
	printf("quic handshake (loopback, mutual TLS 1.3 Ed25519, to "
	    "confirmed): median %.3f ms over %d\n", bench_median(hs, nhs) * 1e3,
	    nhs);

	/* Bulk: one connection, nbulk probes of size bytes. */
	if ((c = dial(&a, &b)) == NULL ||
	    run_until(base, &a.established, a.established + 1, 10) < 0)
		goto out;
	c0 = cpu_s();
	for (i = 0; i < nbulk; i++) {
		int	p = b.probes;

		if (net_quic_probe_start(c, size) < 0 ||
		    run_until(base, &b.probes, p + 1, 120) < 0 ||
		    !b.last.ok) {
			fprintf(stderr, "bench_quic: probe %d failed\n", i);
			goto out;
		}
		rates[i] = b.last.rate;
		moved += size;
	}
	cpu = cpu_s() - c0;
	net_quic_endpoint_io_stats(a.ep, &io_a);
	net_quic_endpoint_io_stats(b.ep, &io_b);
	(void)net_quic_conn_stats(c, &st);
	if (b.conn == NULL || net_quic_conn_stats(b.conn, &st_b) < 0)
		memset(&st_b, 0, sizeof st_b);
	printf("quic bulk probe (loopback, one stream, %llu MB): median "
	    "%.1f MB/s (%.2f Gbit/s) over %d\n",
	    (unsigned long long)(size / 1000000), bench_median(rates, nbulk) / 1e6,
	    bench_median(rates, nbulk) * 8 / 1e9, nbulk);
	printf("quic CPU: %.2f s per GB moved (sender and receiver in this "
	    "one process, user+system)\n", cpu / ((double)moved / 1e9));
	printf("quic datagrams (whole run): %zu bytes full; sender GSO %s, "
	    "%.1f per send call; receiver GRO %s, %.1f per received message; "
	    "sender lost %llu of %llu packets, receiver sent %llu (ACKs)\n",
	    st.udp_payload, io_a.gso_socks > 0 ? "on" : "off",
	    io_a.tx_calls == 0 ? 0.0 :
	    (double)io_a.tx_dgrams / (double)io_a.tx_calls,
	    io_b.gro_socks > 0 ? "on" : "off", io_b.rx_msgs == 0 ? 0.0 :
	    (double)io_b.rx_dgrams / (double)io_b.rx_msgs,
	    (unsigned long long)st.lost_pkts,
	    (unsigned long long)st.pkts_sent,
	    (unsigned long long)st_b.pkts_sent);
	if (bulk_two_processes(base, &a, &s, &o, size, nbulk) < 0)
		goto out;
	rc = 0;
out:
	node_free(&a);
	node_free(&b);
	sec_secret_clear(&s);
	free(hs);
	event_base_free(base);
	return rc;
}
