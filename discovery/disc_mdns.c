/*
 * disc_mdns.c - publish and browse `_exo-gpu._tcp` through Avahi.
 *
 * Shape: one AvahiClient (created with AVAHI_CLIENT_NO_FAIL, so a client
 * whose daemon is absent waits in CONNECTING) owns one entry group (our
 * service) and one service browser.  Each browse result (interface,
 * protocol, name) gets a slot in a fixed table of services with a live
 * resolver; each resolved service points to a slot in a fixed table of
 * peer addresses keyed by (node id, interface, protocol, address) with a
 * reference count.  found() fires when an address's count goes 0 -> 1,
 * lost() when it goes 1 -> 0, so Avahi's per-interface/per-protocol
 * duplicates and renamed instances of one node collapse into one report
 * per address.  Both tables are sized once (max_services), so a flood of
 * announcements costs bounded memory; what does not fit is counted and
 * logged through a rate limiter.
 *
 * Two of Avahi's habits around a name conflict need work here.  When a
 * conflict takes our own name away, the browser says nothing new about
 * that name (it listed it already, as ours), so the browse results we
 * skipped as our own are kept (own[]) and resolved as services once we
 * rename.  And a resolver whose SRV record is replaced by another host's
 * keeps the address of the first host (avahi-core's resolve-service.c
 * looks the new target up but keeps the address record it has), so an
 * update naming another host or node id is not believed: the service is
 * resolved afresh.
 *
 * Avahi objects must not be freed from inside the callback of the client
 * that owns them, and avahi_client_new calls our state callback before
 * it returns.  So every (re)start of the client happens from a libevent
 * timer of our own (restart_ev): FAILURE schedules it, with no delay
 * when the daemon merely disconnected and with an exponential back-off
 * when D-Bus is absent or an Avahi call failed.  A restart reports lost()
 * for every address first, so found()/lost() always pair up.
 */
#include "disc_mdns.h"
#include "disc_poll.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <event2/event.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RETRY_MAX_MS	30000
#define SWEEP_MS	5000	/* retry of failed resolves */
#define RESOLVE_TRIES	5
#define DOMAIN_MAX	256	/* longer domains are not tracked */
#define HOST_MAX	256
#define OWN_MAX		16	/* our service's browse results remembered */

/* Rate limiter: at most burst lines per window seconds. */
struct ratelimit {
	time_t		start;
	unsigned	window;
	unsigned	burst;
	unsigned	n;
	unsigned long	suppressed;
};

struct svc {
	int			 used;
	struct disc_mdns	*m;
	AvahiIfIndex		 ifindex;
	AvahiProtocol		 proto;
	char			 name[AVAHI_LABEL_MAX];
	char			 domain[DOMAIN_MAX];
	AvahiServiceResolver	*res;
	int			 addr;		/* paddr slot, -1: none */
	unsigned		 tries;		/* failed resolves in a row */
	unsigned		 found;		/* results from this resolver */
	uint64_t		 who;		/* hash of the last's host, id */
};

/* A browse result for our own service (interface, protocol, domain). */
struct own {
	AvahiIfIndex		 ifindex;
	AvahiProtocol		 proto;
	char			 domain[DOMAIN_MAX];
};

struct paddr {
	int			 used;
	unsigned		 refs;
	char			 id[DISC_ID_MAX + 1];
	int			 ifindex;
	int			 proto;
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	char			 name[AVAHI_LABEL_MAX];
	char			 host[HOST_MAX];
	struct disc_txt		 txt;
};

struct disc_mdns {
	struct event_base		*base;
	struct disc_poll		*poll;
	struct disc_mdns_callbacks	 cb;
	/* config, copied */
	uint16_t			 port;
	char				 id[DISC_ID_MAX + 1];
	enum disc_trust			 trust;
	unsigned			 version;
	int				 accept_local;
	unsigned			 retry_ms;
	AvahiStringList			*txt;
	char				*name;	/* avahi_malloc'd: renames */
	/* Avahi objects of the current client */
	AvahiClient			*client;
	AvahiEntryGroup			*group;
	AvahiServiceBrowser		*browser;
	/* tables */
	struct svc			*svcs;
	struct paddr			*addrs;
	unsigned			 max;
	struct own			 own[OWN_MAX];	/* under m->name */
	unsigned			 nown;
	/* timers */
	struct event			*restart_ev;
	struct event			*sweep_ev;
	unsigned			 delay_ms;	/* next back-off */
	/* status */
	enum disc_mdns_state		 state;
	int				 published;
	int				 absent_logged;
	unsigned			 renames;
	unsigned			 rename_run;	/* since ESTABLISHED */
	unsigned			 restarts;
	unsigned long			 dropped;
	unsigned long			 rejected;
	char				 error[128];
	struct ratelimit		 rl_state;
	struct ratelimit		 rl_peer;
};

static void	client_cb(AvahiClient *, AvahiClientState, void *);
static void	schedule_restart(struct disc_mdns *, unsigned);

/* ---- logging ------------------------------------------------------- */

static int
rl_allow(struct ratelimit *rl, unsigned long *was_suppressed)
{
	time_t	now = time(NULL);

	*was_suppressed = 0;
	if (now - rl->start >= (time_t)rl->window || now < rl->start) {
		rl->start = now;
		rl->n = 0;
		*was_suppressed = rl->suppressed;
		rl->suppressed = 0;
	}
	if (rl->n >= rl->burst) {
		rl->suppressed++;
		return 0;
	}
	rl->n++;
	return 1;
}

static void __attribute__((format(printf, 4, 0)))
vlogf(struct disc_mdns *m, struct ratelimit *rl, int level, const char *fmt,
    va_list ap)
{
	char		line[512];
	unsigned long	sup;

	if (m->cb.log == NULL || !rl_allow(rl, &sup))
		return;
	if (sup > 0) {
		(void)snprintf(line, sizeof line,
		    "mdns: %lu log lines suppressed", sup);
		m->cb.log(DISC_LOG_NOTICE, line, m->cb.arg);
	}
	(void)vsnprintf(line, sizeof line, fmt, ap);
	m->cb.log(level, line, m->cb.arg);
}

/* State-change lines (few). */
static void __attribute__((format(printf, 3, 4)))
slog(struct disc_mdns *m, int level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlogf(m, &m->rl_state, level, fmt, ap);
	va_end(ap);
}

/* Per-peer lines (as many as the LAN sends: rate-limited harder). */
static void __attribute__((format(printf, 3, 4)))
plog(struct disc_mdns *m, int level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlogf(m, &m->rl_peer, level, fmt, ap);
	va_end(ap);
}

static void
set_error(struct disc_mdns *m, const char *what, int err)
{
	(void)snprintf(m->error, sizeof m->error, "%s: %s", what,
	    avahi_strerror(err));
}

static void
set_state(struct disc_mdns *m, enum disc_mdns_state s, const char *why)
{
	if (m->state == s)
		return;
	m->state = s;
	if (m->cb.state != NULL)
		m->cb.state(s, why, m->cb.arg);
}

/* ---- peer address table -------------------------------------------- */

static void
peer_view(const struct paddr *a, struct disc_peer *p)
{
	p->node_id = a->id;
	p->name = a->name;
	p->host = a->host;
	p->addr = (const struct sockaddr *)&a->sa;
	p->addrlen = a->salen;
	p->ifindex = a->ifindex;
	p->txt = &a->txt;
}

static void
addr_str(const struct paddr *a, char *buf, size_t len)
{
	char	h[INET6_ADDRSTRLEN];

	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)&a->sa;

		if (inet_ntop(AF_INET, &s4->sin_addr, h, sizeof h) == NULL)
			(void)strcpy(h, "?");
		(void)snprintf(buf, len, "%s:%u", h, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const void *)&a->sa;

		if (inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof h) == NULL)
			(void)strcpy(h, "?");
		if (s6->sin6_scope_id != 0)
			(void)snprintf(buf, len, "[%s%%%u]:%u", h,
			    (unsigned)s6->sin6_scope_id,
			    ntohs(s6->sin6_port));
		else
			(void)snprintf(buf, len, "[%s]:%u", h,
			    ntohs(s6->sin6_port));
	}
}

static int
addr_find(struct disc_mdns *m, const struct paddr *k)
{
	unsigned	i;

	for (i = 0; i < m->max; i++) {
		const struct paddr	*a = &m->addrs[i];

		if (a->used && a->ifindex == k->ifindex &&
		    a->proto == k->proto && a->salen == k->salen &&
		    strcmp(a->id, k->id) == 0 &&
		    memcmp(&a->sa, &k->sa, k->salen) == 0)
			return (int)i;
	}
	return -1;
}

/* Takes a reference on the address k; found() on the first.  -1: full. */
static int
addr_ref(struct disc_mdns *m, const struct paddr *k)
{
	struct disc_peer	p;
	char			buf[80];
	int			i;
	unsigned		j;

	if ((i = addr_find(m, k)) >= 0) {
		m->addrs[i].refs++;
		return i;
	}
	for (j = 0; j < m->max; j++)
		if (!m->addrs[j].used)
			break;
	if (j == m->max)
		return -1;
	m->addrs[j] = *k;
	m->addrs[j].used = 1;
	m->addrs[j].refs = 1;
	addr_str(&m->addrs[j], buf, sizeof buf);
	plog(m, DISC_LOG_INFO, "mdns: found %s (%s) at %s", k->id, k->name,
	    buf);
	peer_view(&m->addrs[j], &p);
	m->cb.found(&p, m->cb.arg);
	return (int)j;
}

static void
addr_unref(struct disc_mdns *m, int i)
{
	struct paddr		*a;
	struct disc_peer	 p;
	char			 buf[80];

	if (i < 0 || (unsigned)i >= m->max || !m->addrs[i].used)
		return;
	a = &m->addrs[i];
	if (--a->refs > 0)
		return;
	addr_str(a, buf, sizeof buf);
	plog(m, DISC_LOG_INFO, "mdns: lost %s (%s) at %s", a->id, a->name,
	    buf);
	peer_view(a, &p);
	m->cb.lost(&p, m->cb.arg);
	a->used = 0;
}

/* ---- remote services ------------------------------------------------ */

static struct svc *
svc_find(struct disc_mdns *m, AvahiIfIndex ifi, AvahiProtocol proto,
    const char *name, const char *domain)
{
	unsigned	i;

	for (i = 0; i < m->max; i++) {
		struct svc	*s = &m->svcs[i];

		if (s->used && s->ifindex == ifi && s->proto == proto &&
		    strcmp(s->name, name) == 0 &&
		    strcasecmp(s->domain, domain) == 0)
			return s;
	}
	return NULL;
}

static void
svc_detach(struct svc *s)
{
	int	a = s->addr;

	s->addr = -1;
	addr_unref(s->m, a);
}

/* Drops a service: its resolver (if the client is alive), its address. */
static void
svc_drop(struct svc *s, int free_resolver)
{
	if (s->res != NULL && free_resolver)
		(void)avahi_service_resolver_free(s->res);
	s->res = NULL;
	svc_detach(s);
	s->used = 0;
}

static unsigned
nsvcs(const struct disc_mdns *m)
{
	unsigned	i, n = 0;

	for (i = 0; i < m->max; i++)
		n += m->svcs[i].used != 0;
	return n;
}

static void
sweep_arm(struct disc_mdns *m)
{
	struct timeval	tv = { SWEEP_MS / 1000, (SWEEP_MS % 1000) * 1000 };

	if (!evtimer_pending(m->sweep_ev, NULL))
		(void)evtimer_add(m->sweep_ev, &tv);
}

/*
 * Converts an Avahi result to a table key; 0 on success.  The TXT list
 * goes through the bounded parser in its DNS wire form.
 */
static int
result_key(struct disc_mdns *m, struct svc *s, const char *host,
    const AvahiAddress *a, uint16_t port, AvahiStringList *txt,
    struct paddr *k)
{
	unsigned char	 wire[DISC_TXT_MAX_BYTES];
	AvahiStringList	*l;
	size_t		 total = 0, n;
	char		 err[96];

	memset(k, 0, sizeof *k);
	for (l = txt; l != NULL; l = avahi_string_list_get_next(l)) {
		n = avahi_string_list_get_size(l);
		total += 1 + (n > 255 ? 255 : n);
		if (total > sizeof wire) {
			(void)snprintf(err, sizeof err, "record over %zu "
			    "bytes", sizeof wire);
			goto bad;
		}
	}
	n = avahi_string_list_serialize(txt, wire, sizeof wire);
	if (disc_txt_parse(wire, n, &k->txt, err, sizeof err) != 0)
		goto bad;
	(void)snprintf(k->id, sizeof k->id, "%s", k->txt.id);
	(void)snprintf(k->name, sizeof k->name, "%s", s->name);
	(void)snprintf(k->host, sizeof k->host, "%s", host ? host : "");
	k->ifindex = s->ifindex;
	k->proto = s->proto;
	if (a->proto == AVAHI_PROTO_INET) {
		struct sockaddr_in	*s4 = (struct sockaddr_in *)&k->sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = a->data.ipv4.address;
		k->salen = sizeof *s4;
	} else if (a->proto == AVAHI_PROTO_INET6) {
		struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&k->sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->data.ipv6.address, 16);
		/* AvahiAddress carries no scope: without it connect() to a
		 * link-local address fails (EINVAL). */
		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) && s->ifindex > 0)
			s6->sin6_scope_id = (uint32_t)s->ifindex;
		k->salen = sizeof *s6;
	} else {
		(void)snprintf(err, sizeof err, "unknown address family");
		goto bad;
	}
	if (port == 0) {
		(void)snprintf(err, sizeof err, "port 0");
		goto bad;
	}
	return 0;
bad:
	m->rejected++;
	plog(m, DISC_LOG_WARNING, "mdns: ignoring service \"%s\": %s",
	    s->name, err);
	return -1;
}

/* FNV-1a of a result's host and node id: which host and node it names. */
static uint64_t
result_who(const struct paddr *k)
{
	const char	*parts[2] = { k->host, k->id }, *p;
	uint64_t	 h = 0xcbf29ce484222325ull;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		p = parts[i];
		do {		/* the NUL too: "ab" + "c" is not "a" + "bc" */
			h ^= (unsigned char)*p;
			h *= 0x100000001b3ull;
		} while (*p++ != '\0');
	}
	return h;
}

static int	svc_resolve(struct svc *);

static void
resolve_cb(AvahiServiceResolver *r, AvahiIfIndex ifi, AvahiProtocol proto,
    AvahiResolverEvent ev, const char *name, const char *type,
    const char *domain, const char *host, const AvahiAddress *a,
    uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags,
    void *ud)
{
	struct svc		*s = ud;
	struct disc_mdns	*m = s->m;
	struct paddr		 k;
	int			 i;

	if (ev != AVAHI_RESOLVER_FOUND) {
		plog(m, DISC_LOG_INFO, "mdns: cannot resolve \"%s\": %s",
		    s->name, avahi_strerror(avahi_client_errno(
		    avahi_service_resolver_get_client(r))));
		(void)avahi_service_resolver_free(r);
		s->res = NULL;
		svc_detach(s);
		if (++s->tries < RESOLVE_TRIES)
			sweep_arm(m);
		return;
	}
	s->tries = 0;
	if ((flags & AVAHI_LOOKUP_RESULT_OUR_OWN) ||
	    ((flags & AVAHI_LOOKUP_RESULT_LOCAL) && !m->accept_local) ||
	    result_key(m, s, host, a, port, txt, &k) != 0 ||
	    strcmp(k.id, m->id) == 0) {
		s->found++;
		s->who = 0;	/* names no peer: resolve the next afresh */
		svc_detach(s);
		return;
	}
	if (s->found++ > 0 && result_who(&k) != s->who) {
		/* Another host or node under this name: maybe a mix of two
		 * hosts' records (see the top).  The old address stays
		 * until the new resolver's result replaces it. */
		plog(m, DISC_LOG_DEBUG, "mdns: \"%s\" moved to %s (%s): "
		    "resolving again", s->name, k.host, k.id);
		(void)avahi_service_resolver_free(r);
		s->res = NULL;
		(void)svc_resolve(s);
		return;
	}
	s->who = result_who(&k);
	if (s->addr >= 0 && addr_find(m, &k) == s->addr) {
		/* Same address again: keep the newest TXT and names. */
		struct paddr	*old = &m->addrs[s->addr];

		old->txt = k.txt;
		(void)memcpy(old->host, k.host, sizeof old->host);
		return;
	}
	/* New or changed address: report the new one before the old goes. */
	if ((i = addr_ref(m, &k)) < 0) {
		m->dropped++;
		plog(m, DISC_LOG_WARNING, "mdns: address table full");
		return;
	}
	svc_detach(s);
	s->addr = i;
}

static int
svc_resolve(struct svc *s)
{
	struct disc_mdns	*m = s->m;

	/* aprotocol = the browse protocol: one address per family. */
	s->found = 0;
	s->res = avahi_service_resolver_new(m->client, s->ifindex, s->proto,
	    s->name, DISC_MDNS_SERVICE_TYPE, s->domain, s->proto, 0,
	    resolve_cb, s);
	if (s->res == NULL) {
		plog(m, DISC_LOG_WARNING, "mdns: resolver for \"%s\": %s",
		    s->name, avahi_strerror(avahi_client_errno(m->client)));
		if (++s->tries < RESOLVE_TRIES)
			sweep_arm(m);
		return -1;
	}
	return 0;
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct disc_mdns	*m = arg;
	unsigned		 i;

	if (m->client == NULL || m->state != DISC_MDNS_RUNNING)
		return;
	for (i = 0; i < m->max; i++)
		if (m->svcs[i].used && m->svcs[i].res == NULL &&
		    m->svcs[i].tries > 0 && m->svcs[i].tries < RESOLVE_TRIES)
			(void)svc_resolve(&m->svcs[i]);
}

/* Tracks a browse result and resolves it (unless known or too long). */
static void
svc_add(struct disc_mdns *m, AvahiIfIndex ifi, AvahiProtocol proto,
    const char *name, const char *domain)
{
	struct svc	*s;
	unsigned	 i;

	if (strlen(name) >= AVAHI_LABEL_MAX || strlen(domain) >= DOMAIN_MAX)
		return;
	if (svc_find(m, ifi, proto, name, domain) != NULL)
		return;
	for (i = 0; i < m->max; i++)
		if (!m->svcs[i].used)
			break;
	if (i == m->max) {
		m->dropped++;
		plog(m, DISC_LOG_WARNING, "mdns: %u services tracked, "
		    "ignoring \"%s\" (%lu so far)", m->max, name, m->dropped);
		return;
	}
	s = &m->svcs[i];
	memset(s, 0, sizeof *s);
	s->used = 1;
	s->m = m;
	s->ifindex = ifi;
	s->proto = proto;
	s->addr = -1;
	(void)snprintf(s->name, sizeof s->name, "%s", name);
	(void)snprintf(s->domain, sizeof s->domain, "%s", domain);
	plog(m, DISC_LOG_DEBUG, "mdns: service \"%s\" on if %d/%s", name, ifi,
	    avahi_proto_to_string(proto));
	(void)svc_resolve(s);
}

static int
own_find(const struct disc_mdns *m, AvahiIfIndex ifi, AvahiProtocol proto,
    const char *domain)
{
	unsigned	i;

	for (i = 0; i < m->nown; i++)
		if (m->own[i].ifindex == ifi && m->own[i].proto == proto &&
		    strcasecmp(m->own[i].domain, domain) == 0)
			return (int)i;
	return -1;
}

/*
 * A browse result for our own service: remembered while the name is ours
 * (at most OWN_MAX; more interfaces than that lose only this repair).  A
 * result under a name we no longer hold is late news of a name another
 * host has now: tracked like any service.
 */
static void
own_note(struct disc_mdns *m, AvahiIfIndex ifi, AvahiProtocol proto,
    const char *name, const char *domain)
{
	struct own	*o;

	if (strcmp(name, m->name) != 0) {
		svc_add(m, ifi, proto, name, domain);
		return;
	}
	if (strlen(domain) >= DOMAIN_MAX || m->nown == OWN_MAX ||
	    own_find(m, ifi, proto, domain) >= 0)
		return;
	o = &m->own[m->nown++];
	o->ifindex = ifi;
	o->proto = proto;
	(void)snprintf(o->domain, sizeof o->domain, "%s", domain);
}

static void
own_forget(struct disc_mdns *m, AvahiIfIndex ifi, AvahiProtocol proto,
    const char *name, const char *domain)
{
	int	i;

	if (strcmp(name, m->name) != 0 ||
	    (i = own_find(m, ifi, proto, domain)) < 0)
		return;
	m->own[i] = m->own[--m->nown];
}

/* Our name old is someone else's now: resolve it where we browsed it. */
static void
own_adopt(struct disc_mdns *m, const char *old)
{
	unsigned	i;

	for (i = 0; i < m->nown; i++)
		svc_add(m, m->own[i].ifindex, m->own[i].proto, old,
		    m->own[i].domain);
	m->nown = 0;
}

static void
browse_cb(AvahiServiceBrowser *b, AvahiIfIndex ifi, AvahiProtocol proto,
    AvahiBrowserEvent ev, const char *name, const char *type,
    const char *domain, AvahiLookupResultFlags flags, void *ud)
{
	struct disc_mdns	*m = ud;
	struct svc		*s;

	switch (ev) {
	case AVAHI_BROWSER_NEW:
		if (flags & AVAHI_LOOKUP_RESULT_OUR_OWN)
			own_note(m, ifi, proto, name, domain);
		else if (!(flags & AVAHI_LOOKUP_RESULT_LOCAL) ||
		    m->accept_local)
			svc_add(m, ifi, proto, name, domain);
		break;
	case AVAHI_BROWSER_REMOVE:
		if ((s = svc_find(m, ifi, proto, name, domain)) != NULL)
			svc_drop(s, 1);
		own_forget(m, ifi, proto, name, domain);
		break;
	case AVAHI_BROWSER_FAILURE:
		set_error(m, "browser", avahi_client_errno(
		    avahi_service_browser_get_client(b)));
		slog(m, DISC_LOG_WARNING, "mdns: %s", m->error);
		set_state(m, DISC_MDNS_FAILED, m->error);
		schedule_restart(m, m->delay_ms);
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
		break;
	}
}

/* ---- our service --------------------------------------------------- */

static int	publish(struct disc_mdns *, AvahiClient *);

static int
rename_service(struct disc_mdns *m)
{
	char	*n;

	if (++m->rename_run > DISC_MDNS_MAX_RENAMES) {
		(void)snprintf(m->error, sizeof m->error,
		    "name collision: %u renames in a row, giving up",
		    DISC_MDNS_MAX_RENAMES);
		slog(m, DISC_LOG_ERR, "mdns: %s", m->error);
		set_state(m, DISC_MDNS_FAILED, m->error);
		return -1;
	}
	if ((n = avahi_alternative_service_name(m->name)) == NULL)
		return -1;
	m->renames++;
	slog(m, DISC_LOG_NOTICE, "mdns: name \"%s\" taken, now \"%s\"",
	    m->name, n);
	avahi_free(m->name);
	m->name = n;
	return 0;
}

static void
group_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *ud)
{
	struct disc_mdns	*m = ud;
	char			 old[AVAHI_LABEL_MAX];

	switch (st) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		m->published = 1;
		m->rename_run = 0;
		slog(m, DISC_LOG_INFO, "mdns: published \"%s\" %s port %u",
		    m->name, DISC_MDNS_SERVICE_TYPE, m->port);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		m->published = 0;
		(void)snprintf(old, sizeof old, "%s", m->name);
		if (rename_service(m) != 0)
			return;
		(void)avahi_entry_group_reset(g);
		own_adopt(m, old);
		(void)publish(m, avahi_entry_group_get_client(g));
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		m->published = 0;
		set_error(m, "entry group",
		    avahi_client_errno(avahi_entry_group_get_client(g)));
		slog(m, DISC_LOG_WARNING, "mdns: %s", m->error);
		set_state(m, DISC_MDNS_FAILED, m->error);
		schedule_restart(m, m->delay_ms);
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
	case AVAHI_ENTRY_GROUP_REGISTERING:
		break;
	}
}

/* Adds our service to the (empty) group and commits; 0 on success. */
static int
publish(struct disc_mdns *m, AvahiClient *c)
{
	int	r;

	if (m->group == NULL &&
	    (m->group = avahi_entry_group_new(c, group_cb, m)) == NULL) {
		set_error(m, "entry group", avahi_client_errno(c));
		goto fail;
	}
	if (!avahi_entry_group_is_empty(m->group))
		return 0;
	for (;;) {
		r = avahi_entry_group_add_service_strlst(m->group,
		    AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, m->name,
		    DISC_MDNS_SERVICE_TYPE, NULL, NULL, m->port, m->txt);
		if (r != AVAHI_ERR_COLLISION)
			break;
		/* Another service of this host already has the name. */
		if (rename_service(m) != 0)
			return -1;
	}
	if (r < 0) {
		set_error(m, "add service", r);
		goto fail;
	}
	if ((r = avahi_entry_group_commit(m->group)) < 0) {
		set_error(m, "commit", r);
		goto fail;
	}
	return 0;
fail:
	slog(m, DISC_LOG_WARNING, "mdns: %s", m->error);
	set_state(m, DISC_MDNS_FAILED, m->error);
	schedule_restart(m, m->delay_ms);
	return -1;
}

/* ---- client lifecycle ---------------------------------------------- */

/*
 * Reports every address lost and forgets the Avahi objects; frees them
 * only when free_objs (avahi_client_free frees what a client owns).
 */
static void
teardown(struct disc_mdns *m, int free_objs)
{
	unsigned	i;

	for (i = 0; i < m->max; i++)
		if (m->svcs[i].used)
			svc_drop(&m->svcs[i], free_objs);
	if (free_objs && m->browser != NULL)
		(void)avahi_service_browser_free(m->browser);
	if (free_objs && m->group != NULL)
		(void)avahi_entry_group_free(m->group);
	if (free_objs && m->client != NULL)
		avahi_client_free(m->client);
	m->browser = NULL;
	m->group = NULL;
	m->client = NULL;
	m->nown = 0;
	m->published = 0;
}

static void
schedule_restart(struct disc_mdns *m, unsigned ms)
{
	struct timeval	tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };

	if (evtimer_pending(m->restart_ev, NULL))
		return;
	(void)evtimer_add(m->restart_ev, &tv);
}

static void
backoff(struct disc_mdns *m)
{
	m->delay_ms = m->delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
	    m->delay_ms * 2;
}

static void
client_running(struct disc_mdns *m, AvahiClient *c)
{
	if (m->client == NULL)
		m->client = c;		/* still inside avahi_client_new */
	if (publish(m, c) != 0)
		return;
	if (m->browser == NULL && (m->browser = avahi_service_browser_new(c,
	    AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, DISC_MDNS_SERVICE_TYPE, NULL,
	    0, browse_cb, m)) == NULL) {
		set_error(m, "browser", avahi_client_errno(c));
		slog(m, DISC_LOG_WARNING, "mdns: %s", m->error);
		set_state(m, DISC_MDNS_FAILED, m->error);
		schedule_restart(m, m->delay_ms);
		return;
	}
	m->delay_ms = m->retry_ms;
	m->error[0] = '\0';
	if (m->absent_logged || m->restarts > 0)
		slog(m, DISC_LOG_NOTICE, "mdns: avahi-daemon available, "
		    "publishing and browsing");
	m->absent_logged = 0;
	set_state(m, DISC_MDNS_RUNNING, "connected");
}

static void
client_cb(AvahiClient *c, AvahiClientState st, void *ud)
{
	struct disc_mdns	*m = ud;
	int			 e;

	switch (st) {
	case AVAHI_CLIENT_S_RUNNING:
		client_running(m, c);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* The host name changes: withdraw, re-add when RUNNING. */
		if (m->group != NULL)
			(void)avahi_entry_group_reset(m->group);
		m->published = 0;
		break;
	case AVAHI_CLIENT_CONNECTING:
		if (!m->absent_logged)
			slog(m, DISC_LOG_NOTICE, "mdns: avahi-daemon not "
			    "running; discovery waits for it");
		m->absent_logged = 1;
		set_state(m, DISC_MDNS_WAITING, "no avahi-daemon");
		break;
	case AVAHI_CLIENT_FAILURE:
		e = avahi_client_errno(c);
		m->published = 0;
		if (e == AVAHI_ERR_DISCONNECTED) {
			slog(m, DISC_LOG_NOTICE, "mdns: avahi-daemon or D-Bus "
			    "went away; reconnecting");
			set_state(m, DISC_MDNS_WAITING, "disconnected");
			schedule_restart(m, 0);
		} else {
			set_error(m, "client", e);
			slog(m, DISC_LOG_WARNING, "mdns: %s", m->error);
			set_state(m, DISC_MDNS_FAILED, m->error);
			schedule_restart(m, m->delay_ms);
		}
		break;
	}
}

static void
client_start(struct disc_mdns *m)
{
	AvahiClient	*c;
	int		 e = 0;

	c = avahi_client_new(disc_poll_api(m->poll), AVAHI_CLIENT_NO_FAIL,
	    client_cb, m, &e);
	if (c == NULL) {
		/* Objects made from inside the callback died with it. */
		teardown(m, 0);
		set_error(m, "client", e);
		if (!m->absent_logged)
			slog(m, DISC_LOG_NOTICE, "mdns: no D-Bus system bus "
			    "(%s); discovery waits for it", m->error);
		m->absent_logged = 1;
		set_state(m, DISC_MDNS_WAITING, m->error);
		schedule_restart(m, m->delay_ms);
		backoff(m);
		return;
	}
	m->client = c;
}

static void
restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct disc_mdns	*m = arg;

	if (m->client != NULL) {
		m->restarts++;
		if (m->state == DISC_MDNS_FAILED)
			backoff(m);
	}
	teardown(m, 1);
	client_start(m);
}

/* ---- public -------------------------------------------------------- */

static int
config_fail(char *err, size_t errlen, const char *what)
{
	if (err != NULL && errlen > 0)
		(void)snprintf(err, errlen, "mdns: %s", what);
	return -1;
}

static int
check_config(const struct disc_mdns_config *cfg,
    const struct disc_mdns_callbacks *cb, char *err, size_t errlen)
{
	if (cfg == NULL || cb == NULL || cb->found == NULL || cb->lost == NULL)
		return config_fail(err, errlen, "config and found/lost "
		    "callbacks are required");
	if (cfg->port == 0)
		return config_fail(err, errlen, "port 0");
	if (!disc_txt_valid_id(cfg->node_id))
		return config_fail(err, errlen, "node id must be 1-64 of "
		    "[a-z0-9]");
	if (cfg->version == 0 || cfg->version > 65535)
		return config_fail(err, errlen, "version out of 1..65535");
	if (cfg->name != NULL && cfg->name[0] != '\0' &&
	    !disc_txt_valid_name(cfg->name))
		return config_fail(err, errlen, "name must be 1-63 printable "
		    "ASCII characters");
	if (cfg->max_services > 65536)
		return config_fail(err, errlen, "max_services over 65536");
	return 0;
}

struct disc_mdns *
disc_mdns_new(struct event_base *base, const struct disc_mdns_config *cfg,
    const struct disc_mdns_callbacks *cb, char *err, size_t errlen)
{
	struct disc_mdns	*m;
	unsigned char		 wire[DISC_TXT_MAX_BYTES];
	char			 defname[AVAHI_LABEL_MAX];
	const char		*name;
	size_t			 len;

	if (base == NULL || check_config(cfg, cb, err, errlen) != 0)
		return NULL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		goto nomem;
	m->base = base;
	m->cb = *cb;
	m->port = cfg->port;
	(void)snprintf(m->id, sizeof m->id, "%s", cfg->node_id);
	m->trust = cfg->trust;
	m->version = cfg->version;
	m->accept_local = cfg->accept_local;
	m->retry_ms = cfg->retry_ms != 0 ? cfg->retry_ms : 1000;
	if (m->retry_ms > RETRY_MAX_MS)
		m->retry_ms = RETRY_MAX_MS;
	m->delay_ms = m->retry_ms;
	m->max = cfg->max_services != 0 ? cfg->max_services :
	    DISC_MDNS_MAX_SERVICES;
	m->rl_state = (struct ratelimit){ 0, 60, 20, 0, 0 };
	m->rl_peer = (struct ratelimit){ 0, 10, 20, 0, 0 };
	name = cfg->name;
	if (name == NULL || name[0] == '\0') {
		(void)snprintf(defname, sizeof defname, "exogpu-%.8s",
		    cfg->node_id);
		name = defname;
	}
	if (disc_txt_build(m->id, m->version, m->trust, name, wire,
	    sizeof wire, &len) != 0) {
		(void)config_fail(err, errlen, "TXT record does not fit");
		goto fail;
	}
	if (avahi_string_list_parse(wire, len, &m->txt) != 0 ||
	    (m->name = avahi_strdup(name)) == NULL ||
	    (m->svcs = calloc(m->max, sizeof *m->svcs)) == NULL ||
	    (m->addrs = calloc(m->max, sizeof *m->addrs)) == NULL ||
	    (m->poll = disc_poll_new(base)) == NULL ||
	    (m->restart_ev = evtimer_new(base, restart_cb, m)) == NULL ||
	    (m->sweep_ev = evtimer_new(base, sweep_cb, m)) == NULL)
		goto nomem;
	m->state = DISC_MDNS_WAITING;
	client_start(m);
	return m;
nomem:
	(void)config_fail(err, errlen, "out of memory");
fail:
	disc_mdns_free(m);
	return NULL;
}

void
disc_mdns_free(struct disc_mdns *m)
{
	if (m == NULL)
		return;
	/* Silent: the caller is going away, no lost() calls. */
	if (m->svcs != NULL) {
		unsigned	i;

		for (i = 0; i < m->max; i++)
			if (m->svcs[i].used && m->svcs[i].res != NULL)
				(void)avahi_service_resolver_free(
				    m->svcs[i].res);
	}
	if (m->browser != NULL)
		(void)avahi_service_browser_free(m->browser);
	if (m->group != NULL)
		(void)avahi_entry_group_free(m->group);
	if (m->client != NULL)
		avahi_client_free(m->client);
	if (m->restart_ev != NULL)
		event_free(m->restart_ev);
	if (m->sweep_ev != NULL)
		event_free(m->sweep_ev);
	disc_poll_free(m->poll);
	avahi_string_list_free(m->txt);
	avahi_free(m->name);
	free(m->svcs);
	free(m->addrs);
	free(m);
}

enum disc_mdns_state
disc_mdns_state(const struct disc_mdns *m)
{
	return m->state;
}

void
disc_mdns_status(const struct disc_mdns *m, struct disc_mdns_status *st)
{
	unsigned	i;

	memset(st, 0, sizeof *st);
	st->state = m->state;
	st->published = m->published;
	(void)snprintf(st->name, sizeof st->name, "%s", m->name);
	st->services = nsvcs(m);
	for (i = 0; i < m->max; i++)
		st->peers += m->addrs[i].used != 0;
	st->renames = m->renames;
	st->restarts = m->restarts;
	st->dropped = m->dropped;
	st->rejected = m->rejected;
	(void)snprintf(st->error, sizeof st->error, "%s", m->error);
}

const char *
disc_mdns_state_str(enum disc_mdns_state s)
{
	switch (s) {
	case DISC_MDNS_WAITING:
		return "waiting";
	case DISC_MDNS_RUNNING:
		return "running";
	case DISC_MDNS_FAILED:
		return "failed";
	}
	return "unknown";
}
