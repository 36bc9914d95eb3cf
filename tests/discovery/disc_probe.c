/*
 * disc_probe.c - a tiny libevent program around disc_mdns for the mDNS
 * lab (tests/integration/itest_mdns_lab.sh).
 *
 * It publishes a made-up node id and port and prints one line per event
 * on stdout, so the shell test can grep what each node saw:
 *   found ID FAMILY ADDR PORT IFINDEX SCOPE "INSTANCE" v=N trust=T name=N
 *   lost  ID FAMILY ADDR PORT IFINDEX SCOPE "INSTANCE"
 *   status STATE published=0|1 name="INSTANCE" peers=N services=N
 *          restarts=N renames=N dropped=N rejected=N
 * (status is printed whenever one of its fields changes).  Log lines go
 * to stderr.  SIGTERM/SIGINT end it cleanly, which also lets valgrind
 * check the library's teardown.  It is also the smallest example of how
 * the agent wires disc_mdns into its loop.
 */
#include "disc_mdns.h"

#include <event2/event.h>

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct probe {
	struct event_base	*base;
	struct disc_mdns	*m;
	char			 last[512];
};

static void
print_peer(const char *what, const struct disc_peer *p)
{
	char	h[INET6_ADDRSTRLEN] = "?";
	int	fam = 0;
	unsigned port = 0, scope = 0;

	if (p->addr->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)p->addr;

		(void)inet_ntop(AF_INET, &s4->sin_addr, h, sizeof h);
		fam = 4;
		port = ntohs(s4->sin_port);
	} else if (p->addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)p->addr;

		(void)inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof h);
		fam = 6;
		port = ntohs(s6->sin6_port);
		scope = s6->sin6_scope_id;
	}
	(void)printf("%s %s %d %s %u %d %u \"%s\"", what, p->node_id, fam, h,
	    port, p->ifindex, scope, p->name);
	if (strcmp(what, "found") == 0)
		(void)printf(" v=%u trust=%s name=%s", p->txt->version,
		    disc_trust_str(p->txt->trust), p->txt->name);
	(void)printf("\n");
	(void)fflush(stdout);
}

static void
on_found(const struct disc_peer *p, void *arg)
{
	print_peer("found", p);
}

static void
on_lost(const struct disc_peer *p, void *arg)
{
	print_peer("lost", p);
}

static void
on_log(int level, const char *line, void *arg)
{
	(void)fprintf(stderr, "<%d> %s\n", level, line);
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct probe		*pr = arg;
	struct disc_mdns_status	 st;
	char			 line[512];

	disc_mdns_status(pr->m, &st);
	(void)snprintf(line, sizeof line, "status %s published=%d name=\"%s\" "
	    "peers=%u services=%u restarts=%u renames=%u dropped=%lu "
	    "rejected=%lu", disc_mdns_state_str(st.state), st.published,
	    st.name, st.peers, st.services, st.restarts, st.renames,
	    st.dropped, st.rejected);
	if (strcmp(line, pr->last) != 0) {
		(void)printf("%s\n", line);
		(void)fflush(stdout);
		(void)snprintf(pr->last, sizeof pr->last, "%s", line);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct probe	*pr = arg;

	(void)event_base_loopexit(pr->base, NULL);
}

static void
usage(void)
{
	(void)fprintf(stderr, "usage: disc_probe --id ID --port PORT "
	    "[--name NAME] [--trust ca|secret] [--version N] "
	    "[--accept-local] [--max N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "trust", required_argument, NULL, 't' },
		{ "version", required_argument, NULL, 'v' },
		{ "accept-local", no_argument, NULL, 'l' },
		{ "max", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct disc_mdns_config		cfg = { 0 };
	struct disc_mdns_callbacks	cb = { on_found, on_lost, NULL, on_log,
					    NULL };
	struct probe			pr = { 0 };
	struct event			*tev, *s1, *s2;
	struct timeval			tv = { 0, 100000 };
	char				err[256];
	int				c;

	cfg.version = 1;
	cfg.trust = DISC_TRUST_SECRET;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			cfg.node_id = optarg;
			break;
		case 'p':
			cfg.port = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			cfg.name = optarg;
			break;
		case 't':
			cfg.trust = strcmp(optarg, "ca") == 0 ? DISC_TRUST_CA :
			    DISC_TRUST_SECRET;
			break;
		case 'v':
			cfg.version = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			cfg.accept_local = 1;
			break;
		case 'm':
			cfg.max_services = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if ((pr.base = event_base_new()) == NULL)
		return 1;
	cb.arg = &pr;
	if ((pr.m = disc_mdns_new(pr.base, &cfg, &cb, err, sizeof err)) ==
	    NULL) {
		(void)fprintf(stderr, "disc_probe: %s\n", err);
		event_base_free(pr.base);
		return 2;
	}
	tev = event_new(pr.base, -1, EV_PERSIST, tick, &pr);
	s1 = evsignal_new(pr.base, SIGTERM, on_signal, &pr);
	s2 = evsignal_new(pr.base, SIGINT, on_signal, &pr);
	if (tev == NULL || s1 == NULL || s2 == NULL ||
	    event_add(tev, &tv) != 0 || event_add(s1, NULL) != 0 ||
	    event_add(s2, NULL) != 0)
		return 1;
	tick(-1, 0, &pr);
	(void)event_base_dispatch(pr.base);
	(void)printf("exit\n");
	disc_mdns_free(pr.m);
	event_free(tev);
	event_free(s1);
	event_free(s2);
	event_base_free(pr.base);
	return 0;
}
