/*
 * ag_auth.h - who may call the agent's API: bearer tokens checked against
 * the operator's token keys, the revocation list and the scope a route
 * needs (docs/tokens.md, "Enforcement").
 *
 * Policy, in one place:
 *   - no token keys configured: enforcement is off and every route is
 *     open (the API listens on loopback only; the agent refuses to serve
 *     a non-loopback API without keys, see ag_auth_check_listen);
 *   - AG_API_READ accepts a token with any of read, place or admin
 *     (every tenant may read the cluster; lists of tenant objects are
 *     filtered to the tenant unless the token has admin);
 *   - AG_API_PLACE needs place; AG_API_ADMIN needs admin; AG_API_ISSUE
 *     needs token:issue;
 *   - any failure is 401 (no, malformed, badly signed, expired, not yet
 *     valid, wrong audience, revoked token) or 403 (valid, scope missing);
 *   - audience: a configured one (--token-audience) must be the token's
 *     aud; otherwise the default audience (the cluster id, set by the
 *     agent with ag_auth_set_default_audience) must be the aud of a token
 *     that has one; with neither, any audience passes (docs/tokens.md);
 *   - token-max-age: a token issued (iat) longer ago is refused.
 * The verification keys are parsed once (sec_token_keys) and reloaded by
 * ag_auth_reload when the file changes; a reload that fails keeps the
 * keys in force.
 * The header parser is bounded and fuzzed (tests/fuzz/fuzz_auth.c).
 */
#ifndef AG_AUTH_H
#define AG_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ag_api.h"
#include "ag_revoke.h"
#include "sec_token.h"

#define AG_AUTH_DEFAULT_SKEW_S	60

struct ag_auth {
	char			*keys;		/* PEM text; NULL: off */
	size_t			 keys_len;
	struct sec_token_keys	*vkeys;		/* parsed from keys */
	char			 path[4096];	/* of the keys file */
	struct {
		unsigned long long	dev, ino, size;
		long long		mtime_s, mtime_ns;
	}			 stamp;		/* of the file as loaded */
	char			 audience[SEC_TOKEN_STR_SIZE];	/* "": none */
	char			 default_audience[SEC_TOKEN_STR_SIZE];
	int64_t			 skew;
	int64_t			 max_age;	/* 0: no limit */
	/* Is this token id revoked? (the log's list; NULL: none) */
	bool			(*revoked)(const uint8_t *cti, size_t len,
				    void *arg);
	void			*revoked_arg;
};

/* Who a request comes from, once its token verified. */
struct ag_principal {
	bool			 token;		/* false: enforcement off */
	char			 tenant[SEC_TOKEN_STR_SIZE];
	char			 token_id[2 * SEC_TOKEN_CTI_LEN + 1];
	struct sec_token_claims	 claims;
};

/* Why a request was refused. */
struct ag_auth_denial {
	int		status;		/* 401 or 403 */
	const char	*code;		/* "unauthorized", "forbidden" */
	char		reason[256];	/* for the client and the audit log */
	char		token_id[2 * SEC_TOKEN_CTI_LEN + 1];	/* "" unknown */
	char		tenant[SEC_TOKEN_STR_SIZE];		/* "" unknown */
};

/*
 * Loads the verification keys (PEM, up to SEC_TOKEN_MAX_KEYS) from
 * keys_path; "" or NULL leaves enforcement off.  -1 with err.
 */
int	ag_auth_init(struct ag_auth *, const char *keys_path,
	    const char *audience, long skew_s, char *err, size_t errlen);
void	ag_auth_free(struct ag_auth *);
bool	ag_auth_enabled(const struct ag_auth *);

/*
 * The audience every token must carry when no --token-audience is set
 * (tokens without aud still pass): the cluster id.  NULL or "" clears it.
 */
void	ag_auth_set_default_audience(struct ag_auth *, const char *);
/* Refuse tokens issued more than max_age_s ago (0: no limit). */
void	ag_auth_set_max_age(struct ag_auth *, long max_age_s);
/*
 * Reloads the keys file when it changed since it was loaded (always with
 * force).  1 reloaded, 0 unchanged or enforcement off, -1 with err (the
 * loaded keys stay in force).
 */
int	ag_auth_reload(struct ag_auth *, bool force, char *err,
	    size_t errlen);

/*
 * Extracts the token from an Authorization header value ("Bearer
 * <base64url>", scheme case-insensitive, surrounding blanks ignored)
 * into raw bytes.  Returns the length, or -1 when it is not that.
 */
int	ag_auth_parse_header(const char *value, uint8_t *out, size_t outsize);

/*
 * Decides a request that needs `need`, given its Authorization header
 * (NULL: none), at time now.  0 with *who filled, or -1 with *why.
 */
int	ag_auth_check(const struct ag_auth *, const char *authorization,
	    enum ag_api_auth need, int64_t now, struct ag_principal *who,
	    struct ag_auth_denial *why);

/* Whether who may see or act on an object owned by tenant. */
bool	ag_auth_owns(const struct ag_principal *, const char *tenant);

/* Audit actor text for who: "tok:<id>@<tenant>", or "local". */
void	ag_auth_actor(const struct ag_principal *, char *out, size_t size);

#endif /* AG_AUTH_H */
