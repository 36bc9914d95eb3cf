/*
 * ag_apiguard.h - what a browser may not make the local API do: the
 * checks against cross-site requests and DNS rebinding that run on every
 * request before routing (docs/security.md, "A web page").
 *
 * A page the operator visits can send requests to 127.0.0.1 (a "simple"
 * POST needs no CORS preflight) or, through DNS rebinding, make its own
 * name resolve to the agent and read the answers.  Three rules stop both:
 *   - Host: a request is served only when its Host header names the
 *     listen address, a loopback address or "localhost", or one of the
 *     operator's names (http-host); when the API listens on a wildcard
 *     address any IP literal is accepted (a rebinding attack always
 *     carries the attacker's DNS name).  No Host (HTTP/1.0) is accepted:
 *     browsers always send one.
 *   - Origin: when present it must be http(s)://HOST[:PORT] with HOST
 *     allowed by the rule above and the same as the request's Host;
 *     "null" and anything else is refused.
 *   - A request that may change state (any method but GET and HEAD)
 *     must say Content-Type: application/json, which a browser cannot
 *     send cross-site without a preflight that this API never answers.
 * The checks are pure functions of the header values so they can be
 * tested and fuzzed without a server (tests/fuzz/fuzz_apiguard.c).
 */
#ifndef AG_APIGUARD_H
#define AG_APIGUARD_H

#include <stdbool.h>
#include <stddef.h>

#define AG_GUARD_MAX_NAMES	16
#define AG_GUARD_NAME_MAX	254	/* a DNS name, no trailing dot */
#define AG_GUARD_HEADER_MAX	1024	/* longest Host or Origin looked at */

struct ag_guard {
	char	listen[AG_GUARD_NAME_MAX + 1];	/* listen host, lower case */
	bool	wildcard;			/* 0.0.0.0 or :: */
	size_t	nnames;
	char	names[AG_GUARD_MAX_NAMES][AG_GUARD_NAME_MAX + 1];
};

/* A refusal: the HTTP status, an error code and a message. */
struct ag_guard_denial {
	int		 status;	/* 403, 415, 421 */
	const char	*code;
	char		 msg[256];
};

/*
 * Sets up the guard for an API listening on addr ("HOST:PORT") with the
 * operator's extra names (comma or blank separated; NULL or "": none).
 * -1 with err on a bad address or name.
 */
int	ag_guard_init(struct ag_guard *, const char *addr, const char *names,
	    char *err, size_t errlen);

/*
 * Decides one request: method is "GET", "POST", ...; host, origin and
 * content_type are the header values or NULL when absent.  0 to serve
 * it, -1 with *why filled.
 */
int	ag_guard_check(const struct ag_guard *, const char *method,
	    const char *host, const char *origin, const char *content_type,
	    struct ag_guard_denial *why);

/* Whether a Host value (name or IP, optional port) is allowed. */
bool	ag_guard_host_ok(const struct ag_guard *, const char *host);

#endif /* AG_APIGUARD_H */
