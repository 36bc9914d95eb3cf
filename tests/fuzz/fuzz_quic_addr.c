/*
 * fuzz_quic_addr.c - libFuzzer harness for net_quic_addr_parse
 * (net/net_quic_ep.c): the numeric "ADDR:PORT" / "[ADDR]:PORT" text that
 * peers gossip as their link addresses and that --join and --listen take.
 *
 * Oracle: what parses is an IPv4 or IPv6 socket address of the right
 * length, and printing it back (inet_ntop, "[v6]:port") parses to the
 * very same address; a parse that fails says why.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net_quic.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
print(const struct sockaddr_storage *ss, char *out, size_t size)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*sin6 = (const void *)ss;
	char				 host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		if (inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host) ==
		    NULL)
			abort();
		(void)snprintf(out, size, "%s:%u", host, ntohs(sin->sin_port));
	} else {
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host) ==
		    NULL)
			abort();
		(void)snprintf(out, size, "[%s]:%u", host,
		    ntohs(sin6->sin6_port));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage	a, b;
	socklen_t		alen, blen;
	char			*s, text[INET6_ADDRSTRLEN + 16], err[128];

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (net_quic_addr_parse(s, &a, &alen, err, sizeof err) != 0) {
		free(s);
		if (err[0] == '\0')
			abort();
		return 0;
	}
	free(s);
	if (!(a.ss_family == AF_INET && alen == sizeof(struct sockaddr_in)) &&
	    !(a.ss_family == AF_INET6 && alen == sizeof(struct sockaddr_in6)))
		abort();
	print(&a, text, sizeof text);
	if (net_quic_addr_parse(text, &b, &blen, err, sizeof err) != 0 ||
	    blen != alen || memcmp(&a, &b, alen) != 0)
		abort();
	return 0;
}
