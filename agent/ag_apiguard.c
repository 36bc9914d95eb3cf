/*
 * ag_apiguard.c - Host, Origin and Content-Type rules for the local API;
 * see ag_apiguard.h.  Header values come from any client, so every
 * parse here is bounded (AG_GUARD_HEADER_MAX) and works on copies.
 */
#include "ag_apiguard.h"
#include "ag_api.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A Host value split: lower-case host (no brackets), port text or "". */
struct hostport {
	char	host[AG_GUARD_NAME_MAX + 1];
	char	port[6];
	int	family;		/* AF_INET, AF_INET6, 0 for a name */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} a;
};

static bool
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.' || c == '_';
}

/* Classifies hp->host: an IP literal or a DNS-like name.  -1 if neither. */
static int
classify(struct hostport *hp, bool bracketed)
{
	size_t	i, n = strlen(hp->host);

	if (n > 0 && hp->host[n - 1] == '.' && !bracketed)
		hp->host[--n] = '\0';		/* "localhost." */
	if (n == 0)
		return -1;
	if (bracketed) {
		hp->family = AF_INET6;
		return inet_pton(AF_INET6, hp->host, &hp->a.v6) == 1 ? 0 : -1;
	}
	if (inet_pton(AF_INET, hp->host, &hp->a.v4) == 1) {
		hp->family = AF_INET;
		return 0;
	}
	hp->family = 0;
	for (i = 0; i < n; i++)
		if (!name_char((unsigned char)hp->host[i]))
			return -1;
	return 0;
}

/*
 * "name", "name:port", "1.2.3.4:80", "[::1]", "[::1]:80" into *hp.  A
 * bare IPv6 address (no brackets) is accepted as a configured name or a
 * listen host only (allow_bare_v6).  -1 if malformed.
 */
static int
parse_hostport(const char *v, bool allow_bare_v6, struct hostport *hp)
{
	const char	*end, *colon, *h;
	size_t		 vlen, hlen, plen, i;
	bool		 br = false;

	memset(hp, 0, sizeof *hp);
	if (v == NULL || (vlen = strnlen(v, AG_GUARD_HEADER_MAX + 1)) == 0 ||
	    vlen > AG_GUARD_HEADER_MAX)
		return -1;
	end = v + vlen;
	if (v[0] == '[') {
		const char *close = memchr(v, ']', vlen);

		if (close == NULL)
			return -1;
		h = v + 1;
		hlen = (size_t)(close - h);
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return -1;
		br = true;
	} else if (allow_bare_v6 && memchr(v, ':', vlen) != NULL &&
	    strchr(strchr(v, ':') + 1, ':') != NULL) {
		h = v;
		hlen = vlen;
		colon = NULL;
		br = true;
	} else {
		h = v;
		colon = memchr(v, ':', vlen);
		hlen = colon != NULL ? (size_t)(colon - v) : vlen;
	}
	if (hlen == 0 || hlen > AG_GUARD_NAME_MAX)
		return -1;
	for (i = 0; i < hlen; i++)
		hp->host[i] = (char)tolower((unsigned char)h[i]);
	hp->host[hlen] = '\0';
	if (colon != NULL) {
		plen = (size_t)(end - (colon + 1));
		if (plen == 0 || plen >= sizeof hp->port)
			return -1;
		for (i = 0; i < plen; i++)
			if (!isdigit((unsigned char)colon[1 + i]))
				return -1;
		memcpy(hp->port, colon + 1, plen);
		hp->port[plen] = '\0';
	}
	return classify(hp, br);
}

static bool
same_host(const struct hostport *a, const struct hostport *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->a.v4.s_addr == b->a.v4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->a.v6, &b->a.v6, sizeof a->a.v6) == 0;
	return strcmp(a->host, b->host) == 0;
}

static bool
loopback(const struct hostport *hp)
{
	if (hp->family == AF_INET)
		return (ntohl(hp->a.v4.s_addr) >> 24) == 127;
	if (hp->family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&hp->a.v6);
	return strcmp(hp->host, "localhost") == 0;
}

static bool
allowed_hp(const struct ag_guard *g, const struct hostport *hp)
{
	struct hostport	other;
	size_t		i;

	if (loopback(hp) || (g->wildcard && hp->family != 0))
		return true;
	if (parse_hostport(g->listen, true, &other) == 0 &&
	    same_host(hp, &other))
		return true;
	for (i = 0; i < g->nnames; i++)
		if (parse_hostport(g->names[i], true, &other) == 0 &&
		    same_host(hp, &other))
			return true;
	return false;
}

bool
ag_guard_host_ok(const struct ag_guard *g, const char *host)
{
	struct hostport	hp;

	return parse_hostport(host, false, &hp) == 0 && allowed_hp(g, &hp);
}

static int
add_name(struct ag_guard *g, const char *s, size_t n, char *err,
    size_t errlen)
{
	struct hostport	hp;
	char		name[AG_GUARD_NAME_MAX + 1];

	if (n > AG_GUARD_NAME_MAX) {
		(void)snprintf(err, errlen, "http-host: a name is longer than "
		    "%d bytes", AG_GUARD_NAME_MAX);
		return -1;
	}
	memcpy(name, s, n);
	name[n] = '\0';
	if (g->nnames >= AG_GUARD_MAX_NAMES) {
		(void)snprintf(err, errlen, "http-host: at most %d names",
		    AG_GUARD_MAX_NAMES);
		return -1;
	}
	if (parse_hostport(name, true, &hp) != 0 || hp.port[0] != '\0') {
		(void)snprintf(err, errlen, "http-host: '%s' is not a host "
		    "name or IP address (no port)", name);
		return -1;
	}
	(void)snprintf(g->names[g->nnames++], sizeof g->names[0], "%s",
	    hp.family == AF_INET6 ? name : hp.host);
	return 0;
}

int
ag_guard_init(struct ag_guard *g, const char *addr, const char *names,
    char *err, size_t errlen)
{
	struct hostport	hp;
	char		host[256];
	int		port;
	size_t		n;

	memset(g, 0, sizeof *g);
	if (ag_api_split_addr(addr, host, sizeof host, &port) != 0 ||
	    parse_hostport(host, true, &hp) != 0) {
		(void)snprintf(err, errlen, "bad API address '%s'",
		    addr != NULL ? addr : "");
		return -1;
	}
	(void)snprintf(g->listen, sizeof g->listen, "%.*s",
	    AG_GUARD_NAME_MAX, host);
	g->wildcard = (hp.family == AF_INET && hp.a.v4.s_addr == INADDR_ANY) ||
	    (hp.family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&hp.a.v6));
	while (names != NULL && *names != '\0') {
		names += strspn(names, ", \t");
		if ((n = strcspn(names, ", \t")) == 0)
			break;
		if (add_name(g, names, n, err, errlen) != 0)
			return -1;
		names += n;
	}
	return 0;
}

/* A printable prefix of what the client sent, for an error message. */
static const char *
safe(const char *arg, char *buf, size_t size)
{
	size_t	i;

	for (i = 0; arg != NULL && arg[i] != '\0' && i < size - 1; i++)
		buf[i] = isprint((unsigned char)arg[i]) ? arg[i] : '?';
	buf[i] = '\0';
	return buf;
}

static int
refuse(struct ag_guard_denial *why, int status, const char *code)
{
	why->status = status;
	why->code = code;
	return -1;
}

/* The media type of a Content-Type value is application/json. */
static bool
is_json_type(const char *ct)
{
	static const char	want[] = "application/json";
	size_t			n = sizeof want - 1;

	if (ct == NULL)
		return false;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

static int
check_origin(const struct ag_guard *g, const char *origin,
    const struct hostport *host, struct ag_guard_denial *why)
{
	struct hostport	o;
	const char	*rest;
	char		 buf[80];

	if (strncasecmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else if (strncasecmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else
		rest = NULL;
	if (rest == NULL || parse_hostport(rest, false, &o) != 0 ||
	    !allowed_hp(g, &o) || (host != NULL && (!same_host(&o, host) ||
	    strcmp(o.port, host->port) != 0))) {
		(void)snprintf(why->msg, sizeof why->msg, "Origin '%s' "
		    "refused: a page from another site may not call this API",
		    safe(origin, buf, sizeof buf));
		return refuse(why, 403, "cross_site");
	}
	return 0;
}

int
ag_guard_check(const struct ag_guard *g, const char *method,
    const char *host, const char *origin, const char *content_type,
    struct ag_guard_denial *why)
{
	struct hostport	hp;
	bool		have_host = host != NULL;
	char		buf[80];

	memset(why, 0, sizeof *why);
	if (have_host && (parse_hostport(host, false, &hp) != 0 ||
	    !allowed_hp(g, &hp))) {
		(void)snprintf(why->msg, sizeof why->msg, "Host '%s' is not a "
		    "name of this API (add it with --http-host)",
		    safe(host, buf, sizeof buf));
		return refuse(why, 421, "bad_host");
	}
	if (origin != NULL && check_origin(g, origin, have_host ? &hp : NULL,
	    why) != 0)
		return -1;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    !is_json_type(content_type)) {
		(void)snprintf(why->msg, sizeof why->msg, "%s requests need "
		    "Content-Type: application/json", safe(method, buf,
		    sizeof buf));
		return refuse(why, 415, "unsupported_media_type");
	}
	return 0;
}
