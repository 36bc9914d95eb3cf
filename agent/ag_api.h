/*
 * ag_api.h - the agent's local HTTP/JSON API (libevent evhttp + jansson).
 *
 * A route is (method, path, handler).  Handlers return a JSON value and a
 * status; the server does the rest: serialisation, Content-Type, JSON
 * errors ({"error": code, "message": text}) for unknown routes (404), wrong
 * methods (405 with Allow) and handler failures (500).  Requests are
 * bounded in header and body size (evhttp itself refuses what is over:
 * 400/413, and methods it does not know, 501 - those answers are
 * libevent's small HTML pages, as libevent 2.1 has no hook to change
 * them) and each connection has an idle timeout.  The idle timer restarts
 * with every byte, so a client trickling bytes keeps its connection; it
 * costs one descriptor, and running out of descriptors makes the server
 * pause accepting instead of spinning (docs/operations.md, "Limits").
 * The API listens on loopback by default (docs/operations.md).
 */
#ifndef AG_API_H
#define AG_API_H

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#define AG_API_MAX_BODY		(64 * 1024)
#define AG_API_MAX_HEADERS	(16 * 1024)
#define AG_API_TIMEOUT_S	10

struct ag_api;

/*
 * What a handler answers: a status and a JSON body it hands over - or,
 * for the few non-JSON routes (the dashboard page, /metrics), raw bytes
 * with their content type (raw is malloc'd and also handed over).
 */
struct ag_api_reply {
	int		 status;	/* 200, 400, … */
	json_t		*body;		/* owned by the server after return */
	char		*raw;		/* instead of body; owned likewise */
	size_t		 raw_len;
	const char	*content_type;	/* for raw; a static string */
};

typedef void	(*ag_api_handler)(void *ctx, struct evhttp_request *,
		    struct ag_api_reply *);

/*
 * A handler that answers later (a call forwarded to the leader) sets
 * status AG_API_DEFERRED and no body, keeps the request, and finishes it
 * with ag_api_finish() - exactly once.
 */
#define AG_API_DEFERRED	(-1)
void		 ag_api_finish(struct evhttp_request *, struct ag_api_reply *);
/* The request body (bounded by AG_API_MAX_BODY), NUL-terminated copy. */
char		*ag_api_body(struct evhttp_request *, size_t *);
/*
 * Parses a body as one JSON object, duplicate keys refused.  The object,
 * or NULL with err ("expected a JSON object: ...").
 */
json_t		*ag_api_parse_object(const char *body, size_t len, char *err,
		    size_t errlen);

/*
 * What a route needs from the caller (docs/tokens.md, "Enforcement").
 * With no authoriser installed every route is open (a loopback-only API
 * without token keys); with one, every route but AG_API_PUBLIC goes
 * through it before the handler runs.  The zero value is AG_API_DENY, a
 * route nobody may call, so a route entry that forgets its access rule
 * is refused (403) rather than served to everyone.
 */
enum ag_api_auth {
	AG_API_DENY = 0,	/* never served */
	AG_API_PUBLIC,		/* health and the static dashboard page */
	AG_API_READ,		/* cluster and tenant reads: "read" */
	AG_API_PLACE,		/* create or release placements: "place" */
	AG_API_ADMIN,		/* revocation, audit, probes: "admin" */
	AG_API_ISSUE,		/* delegated token issuing: "token:issue" */
};

struct ag_api_route {
	enum evhttp_cmd_type	 method;
	const char		*path;
	ag_api_handler		 fn;
	enum ag_api_auth	 auth;
};

/*
 * Decides whether req may use a route that needs `need`: 0 to go on, or
 * -1 with the refusal (401/403 JSON error) filled into the reply.
 */
typedef int	(*ag_api_authorizer)(void *ctx, struct evhttp_request *,
		    enum ag_api_auth need, struct ag_api_reply *);

/*
 * Listens on addr ("127.0.0.1:47471", "[::1]:0") with the routes (ending
 * with a NULL path); ctx goes to every handler.  *port gets the bound
 * port.  NULL with err on failure.
 */
struct ag_api	*ag_api_new(struct event_base *, const char *addr,
		    const struct ag_api_route *, void *ctx, int *port,
		    char *err, size_t errlen);
void		 ag_api_free(struct ag_api *);
/*
 * Every request for a route first passes the cross-site and Host checks of
 * ag_apiguard.h (403, 415 or 421 otherwise).  This sets the names Host
 * may carry besides the listen address (addr, as given to ag_api_new)
 * and loopback: comma or blank separated, "" for none.  -1 with err.
 */
int		 ag_api_allow_hosts(struct ag_api *, const char *addr,
		    const char *names, char *err, size_t errlen);
/*
 * Serves TLS on every connection accepted from now on (ag_httptls.h);
 * tls must outlive the server.  A request that arrives without TLS (only
 * when setting it up ran out of memory) gets a 503.
 */
struct ag_httptls;
void		 ag_api_set_tls(struct ag_api *, struct ag_httptls *tls);
/* Installs the authoriser (NULL: every route open). */
void		 ag_api_set_authorizer(struct ag_api *, ag_api_authorizer);

/* Builds an error reply. */
void		 ag_api_error(struct ag_api_reply *, int status,
		    const char *code, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/* Splits "host:port" / "[v6]:port"; -1 if malformed (port 0..65535). */
int		 ag_api_split_addr(const char *, char *host, size_t, int *port);

#endif /* AG_API_H */
