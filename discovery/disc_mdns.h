/*
 * disc_mdns.h - zero-configuration discovery of exogpu peers over mDNS /
 * DNS-SD, through the host's Avahi daemon, on the agent's libevent loop.
 *
 * One disc_mdns publishes this node as an `_exo-gpu._tcp` service on its
 * QUIC port (TXT keys in disc_txt.h and docs/discovery.md) and browses
 * for the same type.  Every distinct peer address is reported once
 * through found() and once through lost() when it goes away; duplicates
 * Avahi reports per interface and protocol, our own service and
 * malformed records are filtered out.  Missing D-Bus or avahi-daemon is
 * not an error: the object logs once, reports DISC_MDNS_WAITING and
 * starts publishing and browsing when the daemon appears; if the daemon
 * restarts, it re-registers.  Name collisions are resolved by renaming
 * ("name #2"); the node id in TXT keeps a renamed node identifiable.
 *
 * Everything runs on the given event_base's thread.  Callbacks run from
 * the loop; they may call disc_mdns_status but must not free the object.
 */
#ifndef DISC_MDNS_H
#define DISC_MDNS_H

#include <stdint.h>
#include <sys/socket.h>

#include "disc_txt.h"

#define DISC_MDNS_SERVICE_TYPE	"_exo-gpu._tcp"
#define DISC_MDNS_MAX_SERVICES	256	/* default bound on tracked services */
#define DISC_MDNS_MAX_RENAMES	32	/* collisions in a row: give up */

/* Log levels: syslog priorities, as agent/ag_log.h uses them. */
#define DISC_LOG_ERR		3
#define DISC_LOG_WARNING	4
#define DISC_LOG_NOTICE		5
#define DISC_LOG_INFO		6
#define DISC_LOG_DEBUG		7

struct event_base;
struct disc_mdns;

enum disc_mdns_state {
	DISC_MDNS_WAITING = 0,	/* no D-Bus / no avahi-daemon: retrying */
	DISC_MDNS_RUNNING,	/* connected: publishing and browsing */
	DISC_MDNS_FAILED,	/* an Avahi call failed: retrying, backing off */
};

struct disc_mdns_config {
	uint16_t	 port;		/* QUIC (UDP) port to publish, != 0 */
	const char	*node_id;	/* [a-z0-9]{1,64}: id= in TXT */
	const char	*name;		/* instance name and name=; NULL/"":
					   "exogpu-" + first 8 of node_id */
	enum disc_trust	 trust;		/* trust= (omitted when UNKNOWN) */
	unsigned	 version;	/* protocol version, v=, 1..65535 */
	unsigned	 max_services;	/* 0: DISC_MDNS_MAX_SERVICES */
	int		 accept_local;	/* also report other agents on this
					   host (AVAHI_LOOKUP_RESULT_LOCAL);
					   our own service is always skipped */
	unsigned	 retry_ms;	/* first reconnect delay; 0: 1000.
					   Doubles per failure up to 30 s */
};

/* One peer address.  Pointers are valid during the callback only. */
struct disc_peer {
	const char		*node_id;
	const char		*name;		/* service instance name */
	const char		*host;		/* mDNS host, e.g. "n1.local" */
	const struct sockaddr	*addr;		/* with port; link-local IPv6
						   has sin6_scope_id set */
	socklen_t		 addrlen;
	int			 ifindex;	/* interface it was seen on */
	const struct disc_txt	*txt;		/* the parsed TXT record */
};

struct disc_mdns_callbacks {
	void	(*found)(const struct disc_peer *, void *arg);
	void	(*lost)(const struct disc_peer *, void *arg);
	/* Optional: state changes; why is a short reason. */
	void	(*state)(enum disc_mdns_state, const char *why, void *arg);
	/* Optional: one line per event, already rate-limited. */
	void	(*log)(int level, const char *line, void *arg);
	void	*arg;
};

struct disc_mdns_status {
	enum disc_mdns_state	state;
	int		published;	/* our entry group is ESTABLISHED */
	char		name[64];	/* current instance name (renames) */
	unsigned	services;	/* remote services tracked now */
	unsigned	peers;		/* distinct addresses reported now */
	unsigned	renames;	/* collisions resolved */
	unsigned	restarts;	/* Avahi clients recreated */
	unsigned long	dropped;	/* services ignored: table full */
	unsigned long	rejected;	/* bad TXT records */
	char		error[128];	/* last error, "" when none */
};

/*
 * NULL only for an invalid config (reason in err) or no memory; a
 * missing daemon is not a failure.  cb->found and cb->lost are required.
 */
struct disc_mdns	*disc_mdns_new(struct event_base *,
			    const struct disc_mdns_config *,
			    const struct disc_mdns_callbacks *,
			    char *err, size_t errlen);
/* Withdraws the service; no lost() calls.  NULL is a no-op. */
void			 disc_mdns_free(struct disc_mdns *);
enum disc_mdns_state	 disc_mdns_state(const struct disc_mdns *);
void			 disc_mdns_status(const struct disc_mdns *,
			    struct disc_mdns_status *);
/* "waiting", "running", "failed". */
const char		*disc_mdns_state_str(enum disc_mdns_state);

#endif /* DISC_MDNS_H */
