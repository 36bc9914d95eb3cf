/*
 * ag_issue.c - the rules for delegated tokens; see ag_issue.h.
 */
#include "ag_issue.h"
#include "ag_snapshot.h"

#include <stdio.h>
#include <string.h>

#define TTL_MAX_S	(366LL * 86400)

static int
refuse(int *status, int code, char *err, size_t errlen, const char *msg)
{
	*status = code;
	(void)snprintf(err, errlen, "%s", msg);
	return -1;
}

static int
text_ok(const char *s, int selector)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n >= SEC_TOKEN_STR_SIZE)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < (selector ? 0x21 : 0x20) || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
scopes(const json_t *a, unsigned parent, struct sec_token_claims *c,
    int *status, char *err, size_t errlen)
{
	const json_t	*v;
	size_t		 i;
	unsigned	 bit;

	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > 8)
		return refuse(status, 400, err, errlen, "scopes: a list of "
		    "place, read, admin, token:issue");
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || (bit = sec_token_scope_bit(
		    json_string_value(v), json_string_length(v))) == 0)
			return refuse(status, 400, err, errlen, "scopes: "
			    "unknown scope");
		if ((parent & bit) == 0)
			return refuse(status, 403, err, errlen, "scopes: a "
			    "delegated token cannot have a scope its issuer's "
			    "token lacks");
		c->scopes |= bit;
	}
	return 0;
}

static int
in_parent(const struct sec_token_claims *p, const char *sel)
{
	size_t	i, n;

	/* Equal, or a device of a node the parent selects (narrower). */
	for (i = 0; i < p->ndevices; i++) {
		n = strlen(p->devices[i]);
		if (strncmp(p->devices[i], sel, n) == 0 &&
		    (sel[n] == '\0' || (sel[n] == '/' &&
		    strchr(p->devices[i], '/') == NULL)))
			return 1;
	}
	return 0;
}

static int
devices(const json_t *a, const struct sec_token_claims *p,
    struct sec_token_claims *c, int *status, char *err, size_t errlen)
{
	const json_t	*v;
	size_t		 i;

	if (a == NULL) {
		if (p->ndevices == 0)
			return 0;
		/* Inherit the parent's selectors rather than widen. */
		memcpy(c->devices, p->devices, sizeof c->devices);
		c->ndevices = p->ndevices;
		return 0;
	}
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > SEC_TOKEN_MAX_DEVICES)
		return refuse(status, 400, err, errlen, "devices: a list of 1 "
		    "to 32 selectors");
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !text_ok(json_string_value(v), 1) ||
		    !ag_snapshot_selector_ok(json_string_value(v)))
			return refuse(status, 400, err, errlen, "devices: "
			    "each selector is a node id or NODEID/DEVICEID");
		if (p->ndevices > 0 && !in_parent(p, json_string_value(v)))
			return refuse(status, 403, err, errlen, "devices: a "
			    "delegated token may only select devices its "
			    "issuer's token selects");
		(void)snprintf(c->devices[c->ndevices++], SEC_TOKEN_STR_SIZE,
		    "%s", json_string_value(v));
	}
	return 0;
}

/* A quota: at most the parent's; inherited when the request omits it. */
static int
quota(const json_t *v, bool has_parent, uint64_t parent, bool *has,
    uint64_t *out, int *status, char *err, size_t errlen)
{
	json_int_t	x;

	if (v == NULL) {
		*has = has_parent;
		*out = parent;
		return 0;
	}
	if (!json_is_integer(v) || (x = json_integer_value(v)) < 0)
		return refuse(status, 400, err, errlen, "quotas: non-negative "
		    "integers");
	if (has_parent && (uint64_t)x > parent)
		return refuse(status, 403, err, errlen, "quotas: a delegated "
		    "token cannot allow more than its issuer's");
	*has = true;
	*out = (uint64_t)x;
	return 0;
}

int
ag_issue_claims(const json_t *req, const struct sec_token_claims *p,
    int64_t now, const char *audience, const char *issuer,
    struct sec_token_claims *c, int *status, char *err, size_t errlen)
{
	const json_t	*sub = json_object_get(req, "sub");
	const json_t	*ttl = json_object_get(req, "ttl_s");
	json_int_t	 t;

	memset(c, 0, sizeof *c);
	if (!json_is_object(req))
		return refuse(status, 400, err, errlen, "expected a JSON "
		    "object");
	if (sub != NULL && (!json_is_string(sub) ||
	    !text_ok(json_string_value(sub), 0)))
		return refuse(status, 400, err, errlen, "sub: 1-127 printable "
		    "characters");
	if (sub != NULL && strcmp(json_string_value(sub), p->sub) != 0 &&
	    (p->scopes & SEC_TOKEN_SCOPE_ADMIN) == 0)
		return refuse(status, 403, err, errlen, "sub: only an admin "
		    "token may issue for another tenant");
	(void)snprintf(c->sub, sizeof c->sub, "%s", sub != NULL ?
	    json_string_value(sub) : p->sub);
	if (!json_is_integer(ttl) || (t = json_integer_value(ttl)) < 1 ||
	    t > TTL_MAX_S)
		return refuse(status, 400, err, errlen, "ttl_s: 1 to 31622400 "
		    "seconds");
	c->exp = now + t;
	if (c->exp > p->exp)
		return refuse(status, 403, err, errlen, "ttl_s: a delegated "
		    "token cannot outlive its issuer's");
	if (scopes(json_object_get(req, "scopes"), p->scopes, c, status, err,
	    errlen) != 0 || devices(json_object_get(req, "devices"), p, c,
	    status, err, errlen) != 0 ||
	    quota(json_object_get(req, "max_devices"), p->has_max_devices,
	    p->max_devices, &c->has_max_devices, &c->max_devices, status, err,
	    errlen) != 0 ||
	    quota(json_object_get(req, "max_memory_bytes"), p->has_max_memory,
	    p->max_memory_bytes, &c->has_max_memory, &c->max_memory_bytes,
	    status, err, errlen) != 0)
		return -1;
	(void)snprintf(c->aud, sizeof c->aud, "%s", audience);
	(void)snprintf(c->iss, sizeof c->iss, "%s", issuer);
	return 0;
}
