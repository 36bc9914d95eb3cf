/*
 * ag_auth.c - bearer-token checks for the API; see ag_auth.h for the
 * policy.  Verification itself is security/sec_token.c; this file maps
 * routes to scopes and results to HTTP answers.
 */
#include "ag_auth.h"
#include "ag_fileio.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEYS_MAX_BYTES	(64 * 1024)

/* Revocations are keyed by token id. */
_Static_assert(AG_REVOKE_ID_LEN == SEC_TOKEN_CTI_LEN, "token id length");

static void
stamp_of(const struct stat *st, struct ag_auth *a)
{
	a->stamp.dev = (unsigned long long)st->st_dev;
	a->stamp.ino = (unsigned long long)st->st_ino;
	a->stamp.size = (unsigned long long)st->st_size;
	a->stamp.mtime_s = (long long)st->st_mtim.tv_sec;
	a->stamp.mtime_ns = (long long)st->st_mtim.tv_nsec;
}

/* Reads and parses path; on success replaces a's keys. */
static int
load_keys(struct ag_auth *a, const char *path, char *err, size_t errlen)
{
	struct sec_token_keys	*vk;
	struct stat		 st;
	char			 why[256], *pem = NULL;
	size_t			 len = 0;

	if (ag_read_file(path, KEYS_MAX_BYTES, &pem, &len, NULL, why,
	    sizeof why) != 0) {
		(void)snprintf(err, errlen, "token keys: %s", why);
		return -1;
	}
	if (stat(path, &st) != 0) {
		(void)snprintf(err, errlen, "token keys: %s: %s", path,
		    strerror(errno));
		free(pem);
		return -1;
	}
	if (strstr(pem, "-----BEGIN PUBLIC KEY-----") == NULL) {
		(void)snprintf(err, errlen, "token keys %s: no \"BEGIN PUBLIC "
		    "KEY\" block (give the token.pub that `exogpu token keygen` "
		    "wrote, not the private key)", path);
		free(pem);
		return -1;
	}
	if (sec_token_keys_load(pem, len, &vk, why, sizeof why) < 0) {
		(void)snprintf(err, errlen, "token keys %s: %s", path, why);
		free(pem);
		return -1;
	}
	ag_auth_free(a);
	a->keys = pem;
	a->keys_len = len;
	a->vkeys = vk;
	stamp_of(&st, a);
	return 0;
}

int
ag_auth_init(struct ag_auth *a, const char *keys_path, const char *audience,
    long skew_s, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->skew = skew_s < 0 ? AG_AUTH_DEFAULT_SKEW_S : skew_s;
	if (audience != NULL)
		(void)snprintf(a->audience, sizeof a->audience, "%s", audience);
	if (keys_path == NULL || keys_path[0] == '\0')
		return 0;
	if (strlen(keys_path) >= sizeof a->path) {
		(void)snprintf(err, errlen, "token keys: path too long");
		return -1;
	}
	(void)snprintf(a->path, sizeof a->path, "%s", keys_path);
	return load_keys(a, keys_path, err, errlen);
}

int
ag_auth_reload(struct ag_auth *a, bool force, char *err, size_t errlen)
{
	struct stat	st;

	if (!ag_auth_enabled(a))
		return 0;
	if (!force && stat(a->path, &st) == 0 &&
	    a->stamp.dev == (unsigned long long)st.st_dev &&
	    a->stamp.ino == (unsigned long long)st.st_ino &&
	    a->stamp.size == (unsigned long long)st.st_size &&
	    a->stamp.mtime_s == (long long)st.st_mtim.tv_sec &&
	    a->stamp.mtime_ns == (long long)st.st_mtim.tv_nsec)
		return 0;
	if (load_keys(a, a->path, err, errlen) == 0)
		return 1;
	/* Not retried (nor reported again) until the file changes. */
	if (stat(a->path, &st) == 0)
		stamp_of(&st, a);
	return -1;
}

void
ag_auth_set_default_audience(struct ag_auth *a, const char *aud)
{
	(void)snprintf(a->default_audience, sizeof a->default_audience, "%s",
	    aud != NULL ? aud : "");
}

void
ag_auth_set_max_age(struct ag_auth *a, long max_age_s)
{
	a->max_age = max_age_s > 0 ? max_age_s : 0;
}

void
ag_auth_free(struct ag_auth *a)
{
	free(a->keys);
	a->keys = NULL;
	a->keys_len = 0;
	sec_token_keys_free(a->vkeys);
	a->vkeys = NULL;
}

bool
ag_auth_enabled(const struct ag_auth *a)
{
	return a->keys != NULL;
}

int
ag_auth_parse_header(const char *v, uint8_t *out, size_t outsize)
{
	size_t	len;

	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strncasecmp(v, "Bearer", 6) != 0 || (v[6] != ' ' && v[6] != '\t'))
		return -1;
	v += 6;
	while (*v == ' ' || *v == '\t')
		v++;
	/* Text form only (a header cannot carry raw CBOR), then blanks. */
	len = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_");
	if (len == 0 || len > SEC_TOKEN_TEXT_MAX ||
	    v[len + strspn(v + len, " \t")] != '\0')
		return -1;
	return sec_token_decode_text((const uint8_t *)v, len, out, outsize);
}

static int
deny(struct ag_auth_denial *why, const char *reason)
{
	why->status = 401;
	why->code = "unauthorized";
	(void)snprintf(why->reason, sizeof why->reason, "%s", reason);
	return -1;
}

/* Scope bits that satisfy need. */
static unsigned
accepted(enum ag_api_auth need)
{
	switch (need) {
	case AG_API_READ:
		return SEC_TOKEN_SCOPE_READ | SEC_TOKEN_SCOPE_PLACE |
		    SEC_TOKEN_SCOPE_ADMIN;
	case AG_API_PLACE:
		return SEC_TOKEN_SCOPE_PLACE;
	case AG_API_ADMIN:
		return SEC_TOKEN_SCOPE_ADMIN;
	case AG_API_ISSUE:
		return SEC_TOKEN_SCOPE_ISSUE;
	case AG_API_PUBLIC:
		return SEC_TOKEN_SCOPE_ALL;
	case AG_API_DENY:
		break;
	}
	return 0;
}

static const char *
need_name(enum ag_api_auth need)
{
	return need == AG_API_ADMIN ? "admin" : need == AG_API_PLACE ?
	    "place" : need == AG_API_ISSUE ? "token:issue" :
	    "read, place or admin";
}

int
ag_auth_check(const struct ag_auth *a, const char *authorization,
    enum ag_api_auth need, int64_t now, struct ag_principal *who,
    struct ag_auth_denial *why)
{
	struct sec_token_policy	pol;
	enum sec_token_result	res;
	uint8_t			tok[SEC_TOKEN_MAX_BYTES];
	char			detail[160] = "";
	int			len;

	memset(who, 0, sizeof *who);
	memset(why, 0, sizeof *why);
	if (need == AG_API_DENY) {
		why->status = 403;
		why->code = "forbidden";
		(void)snprintf(why->reason, sizeof why->reason, "this route "
		    "has no access rule");
		return -1;
	}
	if (!ag_auth_enabled(a) || need == AG_API_PUBLIC)
		return 0;
	if (authorization == NULL)
		return deny(why, "this agent enforces tokens: send "
		    "Authorization: Bearer <token> (CLI: --token FILE)");
	if ((len = ag_auth_parse_header(authorization, tok, sizeof tok)) < 0)
		return deny(why, "Authorization is not \"Bearer "
		    "<base64url token>\"");
	memset(&pol, 0, sizeof pol);
	pol.audience = a->audience[0] ? a->audience :
	    a->default_audience[0] ? a->default_audience : NULL;
	pol.aud_optional = a->audience[0] == '\0';
	pol.now = now;
	pol.skew = a->skew;
	pol.max_age = a->max_age;
	pol.revoked = a->revoked;
	pol.revoked_arg = a->revoked_arg;
	res = sec_token_verify_keys(tok, (size_t)len, a->vkeys, &pol,
	    &who->claims, detail, sizeof detail);
	if (res >= SEC_TOKEN_NOT_YET_VALID) {
		ag_revoke_id_hex(who->claims.cti, why->token_id);
		(void)snprintf(why->tenant, sizeof why->tenant, "%s",
		    who->claims.sub);
	}
	if (res != SEC_TOKEN_OK) {
		why->status = 401;
		why->code = "unauthorized";
		(void)snprintf(why->reason, sizeof why->reason, "token %s%s%s",
		    sec_token_result_name(res), detail[0] ? ": " : "", detail);
		memset(who, 0, sizeof *who);
		return -1;
	}
	if ((who->claims.scopes & accepted(need)) == 0) {
		why->status = 403;
		why->code = "forbidden";
		(void)snprintf(why->reason, sizeof why->reason, "scope missing: "
		    "this call needs %s", need_name(need));
		memset(who, 0, sizeof *who);
		return -1;
	}
	who->token = true;
	memcpy(who->token_id, why->token_id, sizeof who->token_id);
	(void)snprintf(who->tenant, sizeof who->tenant, "%s", who->claims.sub);
	return 0;
}

bool
ag_auth_owns(const struct ag_principal *who, const char *tenant)
{
	if (!who->token || (who->claims.scopes & SEC_TOKEN_SCOPE_ADMIN))
		return true;
	return strcmp(who->tenant, tenant) == 0;
}

void
ag_auth_actor(const struct ag_principal *who, char *out, size_t size)
{
	if (!who->token)
		(void)snprintf(out, size, "local");
	else
		(void)snprintf(out, size, "tok:%s@%s", who->token_id,
		    who->tenant);
}
