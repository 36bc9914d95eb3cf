/*
 * udp_relay.c - a userspace UDP relay that adds a fixed one-way delay, for
 * the multi-host lab in tests/lab/.
 *
 * Why it exists: the lab's kernels have no netem qdisc, so tc can shape a
 * link's rate (tbf) but cannot delay it.  To give two agents a link with a
 * known round-trip time, one of them dials this relay instead of its peer;
 * the relay holds every datagram for DELAY ms before passing it on, in
 * both directions, so the RTT the agents see grows by 2 x DELAY.
 *
 * Shape: one listening socket faces the client (the last address that
 * sent to it is "the client": one client at a time is all the lab needs),
 * one unconnected socket faces the fixed target.  Arrivals go into one
 * FIFO with a due time of arrival + DELAY; as the delay is the same both
 * ways, due times are in arrival order and the head is always the next to
 * go.  ppoll() sleeps until the head is due or a socket is readable; its
 * nanosecond timeout keeps the relay's own error well under a millisecond
 * (plain poll() would round every hop to whole milliseconds), and a
 * 1 us timer slack stops the kernel from batching our wake-ups by its
 * default 50 us.  The queue is bounded by packets and bytes: an arrival
 * that does not fit is dropped and counted, as a router's full buffer
 * would.  SIGTERM/SIGINT (read through a signalfd, so no handler and no
 * global flag) end it and print the counters; SIGUSR1 prints them and
 * goes on.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RELAY_DGRAM_MAX		65536	/* largest UDP payload */
#define RELAY_QUEUE_DEFAULT	8192	/* datagrams in flight */
#define RELAY_QUEUE_MAX		(1u << 20)
#define RELAY_BYTES_DEFAULT	(32u << 20)
#define RELAY_BATCH		64	/* reads per socket per wake-up */
#define RELAY_DELAY_MAX_MS	60000.0
#define RELAY_SOCKBUF		(4 << 20)

struct relay_pkt {
	uint64_t	 due;		/* CLOCK_MONOTONIC ns */
	int		 to_target;
	size_t		 len;
	unsigned char	*buf;
};

struct relay_counters {
	uint64_t	from_client, from_target;
	uint64_t	to_target, to_client;
	uint64_t	bytes_to_target, bytes_to_client;
	uint64_t	drop_full;	/* queue full */
	uint64_t	drop_send;	/* sendto failed */
	uint64_t	drop_oversize;	/* larger than RELAY_DGRAM_MAX */
	uint64_t	drop_stray;	/* upstream datagram not from target */
	uint64_t	drop_noclient;	/* reply before any client */
	uint64_t	client_changes;
	uint64_t	late_sum_ns, late_max_ns;
};

struct relay {
	int			 lfd, ufd, sfd;
	struct sockaddr_storage	 target;
	socklen_t		 target_len;
	struct sockaddr_storage	 client;
	socklen_t		 client_len;
	uint64_t		 delay_ns;
	struct relay_pkt	*q;
	size_t			 qcap, qhead, qlen;
	size_t			 qbytes, qbytes_max;
	unsigned char		*rxbuf;
	struct relay_counters	 c;
};

static uint64_t
mono_ns(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
usage(void)
{
	(void)fprintf(stderr, "usage: udp_relay -l ADDR:PORT -t ADDR:PORT "
	    "-d DELAY_MS [-q PACKETS] [-b BYTES]\n"
	    "  ADDR is numeric; IPv6 as [ADDR]:PORT\n");
}

/* "1.2.3.4:5" or "[fd00::1]:5" into a sockaddr; -1 on a bad address. */
static int
parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *sl)
{
	char		 host[INET6_ADDRSTRLEN + 2];
	const char	*port, *colon;
	size_t		 hlen;
	struct addrinfo	 hints, *res = NULL;

	if (text[0] == '[') {
		if ((colon = strstr(text, "]:")) == NULL)
			return -1;
		hlen = (size_t)(colon - text - 1);
		port = colon + 2;
		text++;
	} else {
		if ((colon = strrchr(text, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - text);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof host || *port == '\0')
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
		return -1;
	if (res->ai_addrlen > sizeof *ss) {
		freeaddrinfo(res);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
same_addr(const struct sockaddr_storage *a, socklen_t al,
    const struct sockaddr_storage *b, socklen_t bl)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (al != bl || a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)a;
		b6 = (const struct sockaddr_in6 *)b;
		return a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof a6->sin6_addr) == 0;
	}
	return memcmp(a, b, al) == 0;
}

static int
open_socket(int family, const struct sockaddr_storage *bindto, socklen_t bl)
{
	int	fd, size = RELAY_SOCKBUF;

	if ((fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		perror("udp_relay: socket");
		return -1;
	}
	/* Best effort: a small buffer only means earlier kernel drops. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	if (bindto != NULL &&
	    bind(fd, (const struct sockaddr *)bindto, bl) != 0) {
		perror("udp_relay: bind");
		(void)close(fd);
		return -1;
	}
	return fd;
}

static void
print_counters(const struct relay *r, const char *when)
{
	const struct relay_counters	*c = &r->c;
	uint64_t			 sent = c->to_target + c->to_client;

	(void)printf("udp_relay %s: from_client=%" PRIu64 " from_target=%"
	    PRIu64 " to_target=%" PRIu64 " to_client=%" PRIu64
	    " bytes_to_target=%" PRIu64 " bytes_to_client=%" PRIu64
	    " drop_full=%" PRIu64 " drop_send=%" PRIu64
	    " drop_oversize=%" PRIu64 " drop_stray=%" PRIu64
	    " drop_noclient=%" PRIu64 " client_changes=%" PRIu64
	    " queued=%zu late_avg_us=%.1f late_max_us=%.1f\n", when,
	    c->from_client, c->from_target, c->to_target, c->to_client,
	    c->bytes_to_target, c->bytes_to_client, c->drop_full,
	    c->drop_send, c->drop_oversize, c->drop_stray, c->drop_noclient,
	    c->client_changes, r->qlen,
	    sent ? (double)c->late_sum_ns / (double)sent / 1e3 : 0.0,
	    (double)c->late_max_ns / 1e3);
	(void)fflush(stdout);
}

/* Queues a copy of buf, due delay_ns after now; counts a full queue. */
static void
enqueue(struct relay *r, const unsigned char *buf, size_t len, int to_target,
    uint64_t now)
{
	struct relay_pkt	*p;

	if (r->qlen == r->qcap || r->qbytes + len > r->qbytes_max) {
		r->c.drop_full++;
		return;
	}
	p = &r->q[(r->qhead + r->qlen) % r->qcap];
	if ((p->buf = malloc(len > 0 ? len : 1)) == NULL) {
		r->c.drop_full++;
		return;
	}
	memcpy(p->buf, buf, len);
	p->len = len;
	p->to_target = to_target;
	p->due = now + r->delay_ns;
	r->qlen++;
	r->qbytes += len;
}

/* Sends every queued datagram whose time has come. */
static void
flush_due(struct relay *r)
{
	struct relay_pkt	*p;
	uint64_t		 now = mono_ns(), late;
	ssize_t			 n;

	while (r->qlen > 0) {
		p = &r->q[r->qhead];
		if (p->due > now) {
			now = mono_ns();
			if (p->due > now)
				break;
		}
		if (p->to_target)
			n = sendto(r->ufd, p->buf, p->len, 0,
			    (struct sockaddr *)&r->target, r->target_len);
		else
			n = sendto(r->lfd, p->buf, p->len, 0,
			    (struct sockaddr *)&r->client, r->client_len);
		if (n != (ssize_t)p->len)
			r->c.drop_send++;
		else if (p->to_target) {
			r->c.to_target++;
			r->c.bytes_to_target += p->len;
		} else {
			r->c.to_client++;
			r->c.bytes_to_client += p->len;
		}
		late = now - p->due;
		r->c.late_sum_ns += late;
		if (late > r->c.late_max_ns)
			r->c.late_max_ns = late;
		free(p->buf);
		p->buf = NULL;
		r->qbytes -= p->len;
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qlen--;
	}
}

/* Reads what one socket has (a bounded batch) into the queue. */
static int
drain(struct relay *r, int upstream)
{
	struct sockaddr_storage	 from;
	socklen_t		 fl;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < RELAY_BATCH; i++) {
		fl = sizeof from;
		n = recvfrom(upstream ? r->ufd : r->lfd, r->rxbuf,
		    RELAY_DGRAM_MAX, MSG_DONTWAIT | MSG_TRUNC,
		    (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			/* ICMP errors surface here on some kernels. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH)
				continue;
			perror("udp_relay: recvfrom");
			return -1;
		}
		if ((size_t)n > RELAY_DGRAM_MAX) {
			r->c.drop_oversize++;
			continue;
		}
		if (upstream) {
			if (!same_addr(&from, fl, &r->target, r->target_len)) {
				r->c.drop_stray++;
				continue;
			}
			r->c.from_target++;
			if (r->client_len == 0) {
				r->c.drop_noclient++;
				continue;
			}
		} else {
			r->c.from_client++;
			if (!same_addr(&from, fl, &r->client, r->client_len)) {
				if (r->client_len != 0)
					r->c.client_changes++;
				r->client = from;
				r->client_len = fl;
			}
		}
		enqueue(r, r->rxbuf, (size_t)n, !upstream, mono_ns());
	}
	return 0;
}

static int
run(struct relay *r)
{
	struct pollfd			 pfd[3];
	struct timespec			 ts, *tsp;
	struct signalfd_siginfo		 si;
	uint64_t			 now, wait;
	ssize_t				 n;

	for (;;) {
		flush_due(r);
		tsp = NULL;
		if (r->qlen > 0) {
			now = mono_ns();
			wait = r->q[r->qhead].due > now ?
			    r->q[r->qhead].due - now : 0;
			ts.tv_sec = (time_t)(wait / 1000000000u);
			ts.tv_nsec = (long)(wait % 1000000000u);
			tsp = &ts;
		}
		pfd[0].fd = r->lfd;
		pfd[1].fd = r->ufd;
		pfd[2].fd = r->sfd;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (ppoll(pfd, 3, tsp, NULL) == -1) {
			if (errno == EINTR)
				continue;
			perror("udp_relay: ppoll");
			return -1;
		}
		if (pfd[2].revents & POLLIN) {
			n = read(r->sfd, &si, sizeof si);
			if (n == (ssize_t)sizeof si && si.ssi_signo == SIGUSR1)
				print_counters(r, "counters");
			else if (n == (ssize_t)sizeof si)
				return 0;
		}
		if ((pfd[0].revents & (POLLIN | POLLERR)) && drain(r, 0) != 0)
			return -1;
		if ((pfd[1].revents & (POLLIN | POLLERR)) && drain(r, 1) != 0)
			return -1;
	}
}

static int
parse_num(const char *s, double lo, double hi, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct relay		 r;
	struct sockaddr_storage	 listen_ss;
	socklen_t		 listen_len = 0;
	const char		*ltext = NULL, *ttext = NULL;
	double			 delay_ms = -1, v;
	sigset_t		 mask;
	int			 ch, rc = 1;

	memset(&r, 0, sizeof r);
	r.lfd = r.ufd = r.sfd = -1;
	r.qcap = RELAY_QUEUE_DEFAULT;
	r.qbytes_max = RELAY_BYTES_DEFAULT;
	while ((ch = getopt(argc, argv, "l:t:d:q:b:h")) != -1) {
		switch (ch) {
		case 'l':
			ltext = optarg;
			break;
		case 't':
			ttext = optarg;
			break;
		case 'd':
			if (parse_num(optarg, 0, RELAY_DELAY_MAX_MS,
			    &delay_ms) != 0) {
				(void)fprintf(stderr, "udp_relay: bad delay "
				    "%s (0..%.0f ms)\n", optarg,
				    RELAY_DELAY_MAX_MS);
				return 2;
			}
			break;
		case 'q':
			if (parse_num(optarg, 1, RELAY_QUEUE_MAX, &v) != 0) {
				(void)fprintf(stderr, "udp_relay: bad queue "
				    "length %s\n", optarg);
				return 2;
			}
			r.qcap = (size_t)v;
			break;
		case 'b':
			if (parse_num(optarg, RELAY_DGRAM_MAX, 1 << 30, &v)
			    != 0) {
				(void)fprintf(stderr, "udp_relay: bad byte "
				    "limit %s\n", optarg);
				return 2;
			}
			r.qbytes_max = (size_t)v;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc || ltext == NULL || ttext == NULL || delay_ms < 0) {
		usage();
		return 2;
	}
	if (parse_addr(ltext, &listen_ss, &listen_len) != 0 ||
	    parse_addr(ttext, &r.target, &r.target_len) != 0) {
		(void)fprintf(stderr, "udp_relay: bad address\n");
		return 2;
	}
	r.delay_ns = (uint64_t)(delay_ms * 1e6 + 0.5);
	/* Best effort: without it wake-ups may come up to 50 us late. */
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);

	/* Signals arrive on a descriptor, not through a handler. */
	if (sigemptyset(&mask) != 0 || sigaddset(&mask, SIGTERM) != 0 ||
	    sigaddset(&mask, SIGINT) != 0 || sigaddset(&mask, SIGUSR1) != 0 ||
	    sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (r.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1) {
		perror("udp_relay: signalfd");
		return 1;
	}
	if ((r.q = calloc(r.qcap, sizeof *r.q)) == NULL ||
	    (r.rxbuf = malloc(RELAY_DGRAM_MAX)) == NULL) {
		(void)fprintf(stderr, "udp_relay: out of memory\n");
		goto out;
	}
	if ((r.lfd = open_socket(listen_ss.ss_family, &listen_ss,
	    listen_len)) == -1 ||
	    (r.ufd = open_socket(r.target.ss_family, NULL, 0)) == -1)
		goto out;
	(void)printf("udp_relay: listening on %s, forwarding to %s, delay "
	    "%.3f ms each way, queue %zu packets / %zu bytes\n", ltext, ttext,
	    delay_ms, r.qcap, r.qbytes_max);
	(void)fflush(stdout);
	if (run(&r) == 0)
		rc = 0;
	print_counters(&r, "exit");
out:
	while (r.q != NULL && r.qlen > 0) {
		free(r.q[r.qhead].buf);
		r.qhead = (r.qhead + 1) % r.qcap;
		r.qlen--;
	}
	free(r.q);
	free(r.rxbuf);
	if (r.lfd != -1)
		(void)close(r.lfd);
	if (r.ufd != -1)
		(void)close(r.ufd);
	(void)close(r.sfd);
	return rc;
}
