/*
 * ag_issue.h - delegated token issuing: what a caller holding a
 * `token:issue` token may ask an agent (that holds the signing key) to
 * sign.  A delegated token never widens its parent: its scopes are a
 * subset of the parent's, its tenant is the parent's (unless the parent
 * has admin), its device selectors are among the parent's (when the
 * parent has any), its quotas are at most the parent's, and it expires no
 * later than the parent.  Pure: the request is JSON, the answer claims.
 */
#ifndef AG_ISSUE_H
#define AG_ISSUE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sec_token.h"

/*
 * Builds the claims of a delegated token from a request body
 * {"sub"?, "scopes": [..], "devices"?: [..], "max_devices"?,
 * "max_memory_bytes"?, "ttl_s"} under parent's claims, at time now.
 * audience ("" none) goes into aud, issuer into iss.  0, or -1 with
 * *status (400 malformed, 403 wider than the parent) and err.
 */
int	ag_issue_claims(const json_t *req, const struct sec_token_claims *parent,
	    int64_t now, const char *audience, const char *issuer,
	    struct sec_token_claims *out, int *status, char *err,
	    size_t errlen);

#endif /* AG_ISSUE_H */
