/*
 * fuzz_auth.c - libFuzzer harness for the API's Authorization header
 * handling (agent/ag_auth.c): the header parser, then the whole check.
 *
 * The input, as a NUL-terminated string, goes to ag_auth_parse_header()
 * raw and to ag_auth_check() both raw and as "Bearer " + input, for every
 * route kind.  The verification key is fixed - the RFC 8032 test 1 key,
 * as in fuzz_token.c - so the seed corpus can carry real tokens signed by
 * its private half (valid, expired, not yet valid, wrong audience,
 * revoked: the list below holds that seed's token id) and mutations
 * start from inputs that reach the claims and scope checks.  The struct
 * ag_auth is filled directly rather than through ag_auth_init, which
 * would need a key file on disk for every run.
 *
 * Properties: no crash, leak or overread; a header the parser accepts is
 * exactly "bearer" (any case), blanks, one base64url text that re-encodes
 * to itself, blanks; a check returns 0 or -1 and nothing else; 0 on a
 * non-public route means a verified token (who->token, a tenant, a token
 * id, a scope that route accepts, not revoked, not expired); -1 is a 401
 * or 403 with a reason, leaves *who empty, and a 403 (signature held)
 * names the token and tenant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ag_auth.h"
#include "ag_revoke.h"
#include "sec_token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	INT64_C(1800000000)

/* The public half of the RFC 8032 test 1 key (seed 9d61b19d...). */
static char	pub_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

/* The "revoked" seed's token id. */
static const char revoked_hex[] = "d8cd92c6806984a6a889d8cc79e66713";

static struct ag_revoke	revoked;
/* plain: any audience, the list above; strict: cluster-1, no skew */
static struct ag_auth	plain, strict;

static bool
rv_has(const uint8_t *cti, size_t len, void *arg)
{
	return ag_revoke_has(arg, cti, len);
}

static void
init(void)
{
	static int	done;
	uint8_t		id[AG_REVOKE_ID_LEN];

	if (done)
		return;
	done = 1;
	ag_revoke_init(&revoked);
	if (ag_revoke_parse_id(revoked_hex, id) != 0 ||
	    ag_revoke_add(&revoked, id, NOW + 3600) != 1)
		abort();
	memset(&plain, 0, sizeof plain);
	plain.keys = pub_pem;
	plain.keys_len = sizeof pub_pem - 1;
	plain.skew = AG_AUTH_DEFAULT_SKEW_S;
	plain.revoked = rv_has;
	plain.revoked_arg = &revoked;
	strict = plain;
	(void)strcpy(strict.audience, "cluster-1");
	strict.skew = 0;
	strict.revoked = NULL;
	strict.revoked_arg = NULL;
}

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
	case AG_API_DENY:
	case AG_API_PUBLIC:
		break;
	}
	return 0;
}

static int
is_hex_id(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL)
			return 0;
	return i == 2 * SEC_TOKEN_CTI_LEN;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
check_parse(const char *h)
{
	static uint8_t	out[SEC_TOKEN_MAX_BYTES];
	static char	text[SEC_TOKEN_TEXT_MAX + 1];
	const char	*p = h;
	size_t		len;
	int		n, m;

	n = ag_auth_parse_header(h, out, sizeof out);
	if (n == -1)
		return;
	if (n <= 0 || n > SEC_TOKEN_MAX_BYTES)
		abort();
	while (blank(*p))
		p++;
	if (strncasecmp(p, "bearer", 6) != 0 || !blank(p[6]))
		abort();
	p += 6;
	while (blank(*p))
		p++;
	len = strlen(p);
	while (len > 0 && blank(p[len - 1]))
		len--;
	m = sec_token_encode_text(out, (size_t)n, text, sizeof text);
	if (m < 0 || (size_t)m != len || memcmp(text, p, len) != 0)
		abort();
}

static void
check(const struct ag_auth *a, const char *h, enum ag_api_auth need)
{
	struct ag_principal	who;
	struct ag_auth_denial	why;
	char			actor[512];
	uint8_t			cti[AG_REVOKE_ID_LEN];
	int			rc;

	rc = ag_auth_check(a, h, need, NOW, &who, &why);
	if (rc == 0) {
		if (need == AG_API_PUBLIC) {
			if (who.token)
				abort();
			return;
		}
		if (!who.token || who.tenant[0] == '\0' ||
		    strcmp(who.tenant, who.claims.sub) != 0 ||
		    !is_hex_id(who.token_id) ||
		    (who.claims.scopes & accepted(need)) == 0 ||
		    !ag_auth_owns(&who, who.tenant))
			abort();
		/* not expired: now < exp + skew, without overflow */
		if (who.claims.exp <= NOW && (uint64_t)NOW -
		    (uint64_t)who.claims.exp >= (uint64_t)a->skew)
			abort();
		if (ag_revoke_parse_id(who.token_id, cti) != 0 ||
		    memcmp(cti, who.claims.cti, sizeof cti) != 0 ||
		    (a->revoked_arg != NULL && ag_revoke_has(a->revoked_arg,
		    cti, sizeof cti)))
			abort();
		if (a->audience[0] != '\0' &&
		    strcmp(a->audience, who.claims.aud) != 0)
			abort();
		ag_auth_actor(&who, actor, sizeof actor);
		if (strncmp(actor, "tok:", 4) != 0 ||
		    strstr(actor, who.tenant) == NULL)
			abort();
		return;
	}
	if (rc != -1 || who.token || who.tenant[0] != '\0' ||
	    who.claims.sub[0] != '\0' || why.reason[0] == '\0' ||
	    why.code == NULL)
		abort();
	if (why.status == 401) {
		if (strcmp(why.code, "unauthorized") != 0)
			abort();
	} else if (why.status == 403) {
		if (strcmp(why.code, "forbidden") != 0 ||
		    why.tenant[0] == '\0')
			abort();
	} else
		abort();
	/* a token id is named only once the signature held */
	if (why.token_id[0] != '\0' && (!is_hex_id(why.token_id) ||
	    why.tenant[0] == '\0'))
		abort();
	if (why.status == 403 && !is_hex_id(why.token_id))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			*raw, *hdr;
	enum ag_api_auth	 need;

	if (size > 64 * 1024)
		return 0;
	init();
	if ((raw = malloc(size + 1)) == NULL)
		return 0;
	if ((hdr = malloc(size + 8)) == NULL) {
		free(raw);
		return 0;
	}
	memcpy(raw, data, size);
	raw[size] = '\0';
	memcpy(hdr, "Bearer ", 7);
	memcpy(hdr + 7, data, size);
	hdr[size + 7] = '\0';

	check_parse(raw);
	check_parse(hdr);
	for (need = AG_API_PUBLIC; need <= AG_API_ISSUE; need++)
		check(&plain, hdr, need);
	check(&plain, raw, AG_API_READ);
	check(&strict, hdr, AG_API_PLACE);
	free(hdr);
	free(raw);
	return 0;
}
