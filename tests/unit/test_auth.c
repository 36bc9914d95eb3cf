/*
 * test_auth.c - the API's bearer-token policy (agent/ag_auth.c).
 *
 * Real keys and real tokens: the fixture makes two Ed25519 token keys
 * with sec_token_keygen, writes the first one's token.pub (and, to test
 * the mistake, its private key) to a temp dir, and every case mints its
 * token with sec_token_issue, so the whole path - header parsing,
 * base64url, COSE verification, claims, revocation, scope mapping, the
 * 401/403 split - runs as it does in the agent.  Times are fixed (NOW)
 * and passed in; nothing reads the clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ag_auth.h"
#include "ag_revoke.h"
#include "sec_token.h"

#define NOW	INT64_C(1800000000)
#define HDR_MAX	(SEC_TOKEN_TEXT_MAX + 64)

struct fixture {
	char		dir[64];
	char		pub_path[128];	/* token.pub of key */
	char		key_path[128];	/* token.key: private */
	char		both_path[128];	/* pub2 then pub: two keys */
	struct sec_pem	key, pub, key2, pub2;
	struct ag_auth	auth;		/* key's pub, no audience */
};


static bool
rv_has(const uint8_t *cti, size_t len, void *arg)
{
	return ag_revoke_has(arg, cti, len);
}

static void
write_file(const char *path, const char *a, const char *b)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(a, fp) >= 0);
	if (b != NULL)
		assert_true(fputs(b, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	char		 err[256];

	if (f == NULL)
		return -1;
	if (sec_token_keygen(&f->key, &f->pub, err, sizeof err) < 0 ||
	    sec_token_keygen(&f->key2, &f->pub2, err, sizeof err) < 0) {
		fprintf(stderr, "keygen: %s\n", err);
		return -1;
	}
	(void)strcpy(f->dir, "/tmp/test_auth.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	(void)snprintf(f->pub_path, sizeof f->pub_path, "%s/token.pub",
	    f->dir);
	(void)snprintf(f->key_path, sizeof f->key_path, "%s/token.key",
	    f->dir);
	(void)snprintf(f->both_path, sizeof f->both_path, "%s/both.pub",
	    f->dir);
	write_file(f->pub_path, f->pub.data, NULL);
	write_file(f->key_path, f->key.data, NULL);
	write_file(f->both_path, f->pub2.data, f->pub.data);
	if (ag_auth_init(&f->auth, f->pub_path, NULL, -1, err,
	    sizeof err) != 0) {
		fprintf(stderr, "ag_auth_init: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	ag_auth_free(&f->auth);
	(void)unlink(f->pub_path);
	(void)unlink(f->key_path);
	(void)unlink(f->both_path);
	(void)rmdir(f->dir);
	sec_pem_clear(&f->key);
	sec_pem_clear(&f->pub);
	sec_pem_clear(&f->key2);
	sec_pem_clear(&f->pub2);
	free(f);
	return 0;
}

static void
claims(struct sec_token_claims *c, const char *sub, unsigned scopes)
{
	memset(c, 0, sizeof *c);
	(void)strcpy(c->iss, "ops");
	(void)snprintf(c->sub, sizeof c->sub, "%s", sub);
	(void)strcpy(c->aud, "cluster-1");
	c->exp = NOW + 3600;
	c->scopes = scopes;
}

/*
 * Issues c with k at NOW and writes "<pre><text><post>" into hdr; c gets
 * the issued claims back (cti, iat, nbf).
 */
static void
mint(const struct sec_pem *k, struct sec_token_claims *c, const char *pre,
    const char *post, char *hdr, size_t size)
{
	uint8_t	*tok;
	size_t	 len;
	char	 err[256], *text = malloc(SEC_TOKEN_TEXT_MAX + 1);
	int	 n;

	assert_non_null(text);
	if (sec_token_issue(k->data, k->len, c, NOW, &tok, &len, err,
	    sizeof err) != 0)
		fail_msg("issue: %s", err);
	n = sec_token_encode_text(tok, len, text, SEC_TOKEN_TEXT_MAX + 1);
	assert_true(n > 0);
	assert_true((size_t)snprintf(hdr, size, "%s%s%s", pre, text, post) <
	    size);
	free(tok);
	free(text);
}

/* ag_auth_check that must allow; returns who. */
static struct ag_principal
allow(const struct ag_auth *a, const char *hdr, enum ag_api_auth need,
    int64_t now)
{
	struct ag_principal	who;
	struct ag_auth_denial	why;

	if (ag_auth_check(a, hdr, need, now, &who, &why) != 0)
		fail_msg("refused (need %d): %d %s", (int)need, why.status,
		    why.reason);
	return who;
}

/* ag_auth_check that must refuse with status and a reason holding what. */
static struct ag_auth_denial
refuse(const struct ag_auth *a, const char *hdr, enum ag_api_auth need,
    int64_t now, int status, const char *what)
{
	struct ag_principal	who;
	struct ag_auth_denial	why;

	memset(&who, 0xa5, sizeof who);
	if (ag_auth_check(a, hdr, need, now, &who, &why) != -1)
		fail_msg("allowed (need %d), wanted %d %s", (int)need, status,
		    what);
	assert_int_equal(why.status, status);
	assert_string_equal(why.code, status == 401 ? "unauthorized" :
	    "forbidden");
	if (strstr(why.reason, what) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", why.reason, what);
	/* nothing of a refused caller leaks into who */
	assert_false(who.token);
	assert_string_equal(who.tenant, "");
	assert_string_equal(who.claims.sub, "");
	assert_int_equal(who.claims.scopes, 0);
	return why;
}

static void
cti_hex(const struct sec_token_claims *c, char *hex)
{
	ag_revoke_id_hex(c->cti, hex);
}

static void
test_init(void **state)
{
	struct fixture	*f = *state;
	struct ag_auth	 a;
	char		 err[512], path[160];

	assert_true(ag_auth_enabled(&f->auth));
	assert_int_equal(f->auth.skew, AG_AUTH_DEFAULT_SKEW_S);
	assert_string_equal(f->auth.audience, "");

	/* "" and NULL: enforcement off */
	assert_int_equal(ag_auth_init(&a, "", "c1", 5, err, sizeof err), 0);
	assert_false(ag_auth_enabled(&a));
	assert_string_equal(a.audience, "c1");
	assert_int_equal(a.skew, 5);
	ag_auth_free(&a);
	assert_int_equal(ag_auth_init(&a, NULL, NULL, 0, err, sizeof err), 0);
	assert_false(ag_auth_enabled(&a));
	assert_int_equal(a.skew, 0);
	ag_auth_free(&a);

	/* missing file */
	(void)snprintf(path, sizeof path, "%s/nope.pub", f->dir);
	err[0] = '\0';
	assert_int_equal(ag_auth_init(&a, path, NULL, -1, err, sizeof err),
	    -1);
	assert_false(ag_auth_enabled(&a));
	assert_non_null(strstr(err, "token keys"));
	assert_non_null(strstr(err, "nope.pub"));

	/* the private key instead of token.pub: say so */
	err[0] = '\0';
	assert_int_equal(ag_auth_init(&a, f->key_path, NULL, -1, err,
	    sizeof err), -1);
	assert_false(ag_auth_enabled(&a));
	assert_null(a.keys);
	assert_non_null(strstr(err, "BEGIN PUBLIC KEY"));
	assert_non_null(strstr(err, "private key"));
	assert_non_null(strstr(err, f->key_path));

	/* an empty file */
	(void)snprintf(path, sizeof path, "%s/empty.pub", f->dir);
	write_file(path, "", NULL);
	assert_int_equal(ag_auth_init(&a, path, NULL, -1, err, sizeof err),
	    -1);
	assert_false(ag_auth_enabled(&a));
	assert_int_equal(unlink(path), 0);

	/* two keys in one file */
	assert_int_equal(ag_auth_init(&a, f->both_path, "cluster-1", 10, err,
	    sizeof err), 0);
	assert_true(ag_auth_enabled(&a));
	assert_string_equal(a.audience, "cluster-1");
	assert_int_equal(a.skew, 10);
	ag_auth_free(&a);
	assert_false(ag_auth_enabled(&a));
	ag_auth_free(&a);		/* twice is harmless */
}

static void
test_parse_header(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	uint8_t			*tok, out[SEC_TOKEN_MAX_BYTES];
	size_t			 len;
	char			 err[256], text[1024], hdr[2048];
	int			 n;

	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_READ);
	assert_int_equal(sec_token_issue(f->key.data, f->key.len, &c, NOW,
	    &tok, &len, err, sizeof err), 0);
	assert_true(sec_token_encode_text(tok, len, text, sizeof text) > 0);

	(void)snprintf(hdr, sizeof hdr, "Bearer %s", text);
	n = ag_auth_parse_header(hdr, out, sizeof out);
	assert_int_equal(n, (int)len);
	assert_memory_equal(out, tok, len);
	(void)snprintf(hdr, sizeof hdr, " \t bEaReR \t %s \t ", text);
	assert_int_equal(ag_auth_parse_header(hdr, out, sizeof out), (int)len);
	assert_memory_equal(out, tok, len);
	/* the output buffer bounds the decode */
	assert_int_equal(ag_auth_parse_header(hdr, out, len - 1), -1);

	assert_int_equal(ag_auth_parse_header(NULL, out, sizeof out), -1);
	assert_int_equal(ag_auth_parse_header("", out, sizeof out), -1);
	assert_int_equal(ag_auth_parse_header("Bearer", out, sizeof out), -1);
	assert_int_equal(ag_auth_parse_header("Bearer ", out, sizeof out), -1);
	assert_int_equal(ag_auth_parse_header("Bearer \t ", out, sizeof out),
	    -1);
	(void)snprintf(hdr, sizeof hdr, "Bearer%s", text);
	assert_int_equal(ag_auth_parse_header(hdr, out, sizeof out), -1);
	(void)snprintf(hdr, sizeof hdr, "Bearer\n%s", text);
	assert_int_equal(ag_auth_parse_header(hdr, out, sizeof out), -1);
	(void)snprintf(hdr, sizeof hdr, "Basic %s", text);
	assert_int_equal(ag_auth_parse_header(hdr, out, sizeof out), -1);
	(void)snprintf(hdr, sizeof hdr, "Bearers %s", text);
	assert_int_equal(ag_auth_parse_header(hdr, out, sizeof out), -1);
	(void)snprintf(hdr, sizeof hdr, "Bearer %s extra", text);
	assert_int_equal(ag_auth_parse_header(hdr, out, sizeof out), -1);
	(void)snprintf(hdr, sizeof hdr, "Bearer %s=", text);
	assert_int_equal(ag_auth_parse_header(hdr, out, sizeof out), -1);
	(void)snprintf(hdr, sizeof hdr, "Bearer %s\n", text);
	assert_int_equal(ag_auth_parse_header(hdr, out, sizeof out), -1);
	/* standard base64 alphabet is not base64url */
	assert_int_equal(ag_auth_parse_header("Bearer ab+/", out, sizeof out),
	    -1);
	/* well-formed base64url of junk still parses (verify refuses it) */
	assert_int_equal(ag_auth_parse_header("Bearer AAAA", out, sizeof out),
	    3);
	free(tok);
}

/*
 * Blanks after the token must end the header: a token, then enough
 * blanks to pass the length cap, then more text is not "Bearer
 * <token>" with blanks around it.
 */
static void
test_parse_header_long_tail(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	uint8_t			*out = malloc(SEC_TOKEN_MAX_BYTES);
	char			*hdr = malloc(3 * HDR_MAX);
	size_t			 at;
	int			 n;

	assert_non_null(out);
	assert_non_null(hdr);
	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_READ);
	mint(&f->key, &c, "Bearer ", "", hdr, HDR_MAX);
	at = strlen(hdr);
	memset(hdr + at, ' ', SEC_TOKEN_TEXT_MAX + 16);
	hdr[at + SEC_TOKEN_TEXT_MAX + 16] = '\0';
	/* blanks only: fine */
	assert_true(ag_auth_parse_header(hdr, out, SEC_TOKEN_MAX_BYTES) > 0);
	(void)strcat(hdr, "junk");
	n = ag_auth_parse_header(hdr, out, SEC_TOKEN_MAX_BYTES);
	free(hdr);
	free(out);
	assert_int_equal(n, -1);
}

static void
test_scopes(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_principal	 who;
	struct ag_auth_denial	 why;
	char			 hdr[2048], hex[2 * AG_REVOKE_ID_LEN + 1];
	char			 actor[256];

	/* place */
	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_PLACE);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	cti_hex(&c, hex);
	who = allow(&f->auth, hdr, AG_API_PLACE, NOW);
	assert_true(who.token);
	assert_string_equal(who.tenant, "tenant-a");
	assert_string_equal(who.token_id, hex);
	assert_string_equal(who.claims.sub, "tenant-a");
	assert_int_equal(who.claims.scopes, SEC_TOKEN_SCOPE_PLACE);
	assert_memory_equal(who.claims.cti, c.cti, SEC_TOKEN_CTI_LEN);
	ag_auth_actor(&who, actor, sizeof actor);
	assert_true(strncmp(actor, "tok:", 4) == 0);
	assert_string_equal(actor + 4 + 32, "@tenant-a");
	assert_memory_equal(actor + 4, hex, 32);
	who = allow(&f->auth, hdr, AG_API_READ, NOW);
	assert_true(who.token);
	why = refuse(&f->auth, hdr, AG_API_ADMIN, NOW, 403, "scope");
	assert_non_null(strstr(why.reason, "admin"));
	/* the signature held: the denial names the token and its tenant */
	assert_string_equal(why.token_id, hex);
	assert_string_equal(why.tenant, "tenant-a");

	/* read only */
	claims(&c, "tenant-b", SEC_TOKEN_SCOPE_READ);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	who = allow(&f->auth, hdr, AG_API_READ, NOW);
	assert_string_equal(who.tenant, "tenant-b");
	why = refuse(&f->auth, hdr, AG_API_PLACE, NOW, 403, "scope");
	assert_non_null(strstr(why.reason, "place"));
	assert_string_equal(why.tenant, "tenant-b");
	(void)refuse(&f->auth, hdr, AG_API_ADMIN, NOW, 403, "scope");

	/* admin: reads and admin calls, but scopes do not imply place */
	claims(&c, "ops", SEC_TOKEN_SCOPE_ADMIN);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	who = allow(&f->auth, hdr, AG_API_ADMIN, NOW);
	assert_true(who.token);
	who = allow(&f->auth, hdr, AG_API_READ, NOW);
	(void)refuse(&f->auth, hdr, AG_API_PLACE, NOW, 403, "scope");

	/* everything */
	claims(&c, "root", SEC_TOKEN_SCOPE_ALL);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)allow(&f->auth, hdr, AG_API_READ, NOW);
	(void)allow(&f->auth, hdr, AG_API_PLACE, NOW);
	(void)allow(&f->auth, hdr, AG_API_ADMIN, NOW);
	(void)allow(&f->auth, hdr, AG_API_ISSUE, NOW);

	/* token:issue opens the issuing route and nothing else */
	claims(&c, "issuer", SEC_TOKEN_SCOPE_ISSUE);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	who = allow(&f->auth, hdr, AG_API_ISSUE, NOW);
	assert_string_equal(who.tenant, "issuer");
	(void)refuse(&f->auth, hdr, AG_API_READ, NOW, 403, "scope");
	(void)refuse(&f->auth, hdr, AG_API_PLACE, NOW, 403, "scope");
	(void)refuse(&f->auth, hdr, AG_API_ADMIN, NOW, 403, "scope");
	/* ... which no other scope gives */
	claims(&c, "root", SEC_TOKEN_SCOPE_ALL & ~SEC_TOKEN_SCOPE_ISSUE);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	why = refuse(&f->auth, hdr, AG_API_ISSUE, NOW, 403, "token:issue");
	assert_string_equal(why.tenant, "root");

	/* public routes need nothing, even with enforcement on */
	assert_int_equal(ag_auth_check(&f->auth, NULL, AG_API_PUBLIC, NOW,
	    &who, &why), 0);
	assert_false(who.token);
	assert_int_equal(ag_auth_check(&f->auth, "Basic x", AG_API_PUBLIC,
	    NOW, &who, &why), 0);
	assert_false(who.token);
}

static void
test_headers(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_auth_denial	 why;
	char			 hdr[2048];

	why = refuse(&f->auth, NULL, AG_API_READ, NOW, 401, "Bearer");
	assert_string_equal(why.token_id, "");
	assert_string_equal(why.tenant, "");
	(void)refuse(&f->auth, "", AG_API_READ, NOW, 401, "Bearer");
	why = refuse(&f->auth, "Basic xyz", AG_API_READ, NOW, 401, "Bearer");
	assert_string_equal(why.token_id, "");
	(void)refuse(&f->auth, "Basic dXNlcjpwYXNz", AG_API_PLACE, NOW, 401,
	    "Bearer");
	(void)refuse(&f->auth, "Bearer", AG_API_READ, NOW, 401, "Bearer");
	/* base64url, but not a token */
	(void)refuse(&f->auth, "Bearer AAAA", AG_API_READ, NOW, 401,
	    "malformed");

	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_READ);
	mint(&f->key, &c, "bearer ", "", hdr, sizeof hdr);
	(void)allow(&f->auth, hdr, AG_API_READ, NOW);
	mint(&f->key, &c, "BEARER ", "", hdr, sizeof hdr);
	(void)allow(&f->auth, hdr, AG_API_READ, NOW);
	mint(&f->key, &c, "   Bearer     ", "    ", hdr, sizeof hdr);
	(void)allow(&f->auth, hdr, AG_API_READ, NOW);
	mint(&f->key, &c, "\tBearer\t", "\t", hdr, sizeof hdr);
	(void)allow(&f->auth, hdr, AG_API_READ, NOW);
	mint(&f->key, &c, "Bearer", "", hdr, sizeof hdr);
	(void)refuse(&f->auth, hdr, AG_API_READ, NOW, 401, "Bearer");
	mint(&f->key, &c, "Bearer ", " x", hdr, sizeof hdr);
	(void)refuse(&f->auth, hdr, AG_API_READ, NOW, 401, "Bearer");
	mint(&f->key, &c, "Bearer ", "A", hdr, sizeof hdr);
	(void)refuse(&f->auth, hdr, AG_API_READ, NOW, 401, "token");
	mint(&f->key, &c, "Token ", "", hdr, sizeof hdr);
	(void)refuse(&f->auth, hdr, AG_API_READ, NOW, 401, "Bearer");
}

static void
test_signature(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_auth_denial	 why;
	struct ag_auth		 both;
	char			 hdr[2048], err[256];
	size_t			 at;

	/* signed by another key */
	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_ALL);
	mint(&f->key2, &c, "Bearer ", "", hdr, sizeof hdr);
	why = refuse(&f->auth, hdr, AG_API_READ, NOW, 401, "bad signature");
	/* nothing from an unverified token is believed */
	assert_string_equal(why.token_id, "");
	assert_string_equal(why.tenant, "");
	/* ... which a file holding both keys accepts */
	assert_int_equal(ag_auth_init(&both, f->both_path, NULL, -1, err,
	    sizeof err), 0);
	(void)allow(&both, hdr, AG_API_ADMIN, NOW);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)allow(&both, hdr, AG_API_ADMIN, NOW);
	ag_auth_free(&both);

	/* one flipped character of a good token */
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	at = strlen(hdr) - 20;
	hdr[at] = hdr[at] == 'A' ? 'B' : 'A';
	why = refuse(&f->auth, hdr, AG_API_READ, NOW, 401, "token");
	assert_string_equal(why.tenant, "");
}

static void
test_times(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_auth_denial	 why;
	struct ag_auth		 strict;
	char			 hdr[2048], hex[2 * AG_REVOKE_ID_LEN + 1];
	int64_t			 skew = f->auth.skew;

	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_READ);
	c.exp = NOW + 100;
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	cti_hex(&c, hex);
	(void)allow(&f->auth, hdr, AG_API_READ, NOW + 99);
	/* past exp but within the skew */
	(void)allow(&f->auth, hdr, AG_API_READ, NOW + 100);
	(void)allow(&f->auth, hdr, AG_API_READ, NOW + 100 + skew - 1);
	why = refuse(&f->auth, hdr, AG_API_READ, NOW + 100 + skew, 401,
	    "expired");
	assert_string_equal(why.token_id, hex);
	assert_string_equal(why.tenant, "tenant-a");
	(void)refuse(&f->auth, hdr, AG_API_READ, NOW + 100000, 401,
	    "expired");

	/* the skew is the agent's setting */
	memcpy(&strict, &f->auth, sizeof strict);
	strict.skew = 0;
	(void)allow(&strict, hdr, AG_API_READ, NOW + 99);
	(void)refuse(&strict, hdr, AG_API_READ, NOW + 100, 401, "expired");

	/* not valid before nbf (beyond the skew) */
	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_READ);
	c.has_nbf = true;
	c.nbf = NOW + 1000;
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	cti_hex(&c, hex);
	why = refuse(&f->auth, hdr, AG_API_READ, NOW, 401, "not yet valid");
	assert_string_equal(why.token_id, hex);
	(void)refuse(&f->auth, hdr, AG_API_READ, NOW + 1000 - skew - 1, 401,
	    "not yet valid");
	(void)allow(&f->auth, hdr, AG_API_READ, NOW + 1000 - skew);
	(void)allow(&f->auth, hdr, AG_API_READ, NOW + 1000);
}

static void
test_audience(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_auth_denial	 why;
	struct ag_auth		 a;
	char			 hdr[2048], err[256];

	assert_int_equal(ag_auth_init(&a, f->pub_path, "cluster-1", -1, err,
	    sizeof err), 0);
	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_READ);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)allow(&a, hdr, AG_API_READ, NOW);

	(void)strcpy(c.aud, "cluster-2");
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	why = refuse(&a, hdr, AG_API_READ, NOW, 401, "wrong audience");
	assert_string_equal(why.tenant, "tenant-a");
	/* an agent without an audience takes any */
	(void)allow(&f->auth, hdr, AG_API_READ, NOW);

	c.aud[0] = '\0';
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)refuse(&a, hdr, AG_API_READ, NOW, 401, "wrong audience");
	(void)allow(&f->auth, hdr, AG_API_READ, NOW);
	ag_auth_free(&a);
}

static void
test_revoked(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c, other;
	struct ag_auth_denial	 why;
	struct ag_revoke	 rv;
	struct ag_auth		 a;
	char			 hdr[2048], hdr2[2048];
	char			 hex[2 * AG_REVOKE_ID_LEN + 1];

	memcpy(&a, &f->auth, sizeof a);
	ag_revoke_init(&rv);
	a.revoked = rv_has;
	a.revoked_arg = &rv;
	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_PLACE);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	claims(&other, "tenant-a", SEC_TOKEN_SCOPE_PLACE);
	mint(&f->key, &other, "Bearer ", "", hdr2, sizeof hdr2);
	cti_hex(&c, hex);
	/* an empty list revokes nothing */
	(void)allow(&a, hdr, AG_API_PLACE, NOW);

	assert_int_equal(ag_revoke_add(&rv, c.cti, c.exp), 1);
	why = refuse(&a, hdr, AG_API_PLACE, NOW, 401, "revoked");
	assert_string_equal(why.token_id, hex);
	assert_string_equal(why.tenant, "tenant-a");
	(void)refuse(&a, hdr, AG_API_READ, NOW, 401, "revoked");
	/* only that token */
	(void)allow(&a, hdr2, AG_API_PLACE, NOW);
	/* without the list the same token passes */
	(void)allow(&f->auth, hdr, AG_API_PLACE, NOW);
	/* revocation is checked before scope: 401, not 403 */
	(void)refuse(&a, hdr, AG_API_ADMIN, NOW, 401, "revoked");
	/* the entry's expiry is the token's: still refused up to it */
	assert_int_equal(ag_revoke_expire(&rv, c.exp), 0);
	(void)refuse(&a, hdr, AG_API_PLACE, c.exp, 401, "revoked");
}

static void
test_off(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_principal	 who;
	struct ag_auth_denial	 why;
	struct ag_auth		 off;
	char			 hdr[2048], err[256], actor[64];
	enum ag_api_auth	 need;

	assert_int_equal(ag_auth_init(&off, "", NULL, -1, err, sizeof err),
	    0);
	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_READ);
	mint(&f->key2, &c, "Bearer ", "", hdr, sizeof hdr);
	for (need = AG_API_PUBLIC; need <= AG_API_ISSUE; need++) {
		memset(&who, 0xa5, sizeof who);
		assert_int_equal(ag_auth_check(&off, NULL, need, NOW, &who,
		    &why), 0);
		assert_false(who.token);
		assert_string_equal(who.tenant, "");
		assert_int_equal(ag_auth_check(&off, "Basic xyz", need, NOW,
		    &who, &why), 0);
		assert_false(who.token);
		/* even a token the agent could not check: nothing is read */
		assert_int_equal(ag_auth_check(&off, hdr, need, NOW, &who,
		    &why), 0);
		assert_false(who.token);
		assert_string_equal(who.tenant, "");
	}
	assert_true(ag_auth_owns(&who, "tenant-a"));
	assert_true(ag_auth_owns(&who, ""));
	ag_auth_actor(&who, actor, sizeof actor);
	assert_string_equal(actor, "local");
	ag_auth_free(&off);
}

static void
test_owns(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_principal	 who;
	char			 hdr[2048], actor[8];

	claims(&c, "tenant-a", SEC_TOKEN_SCOPE_PLACE | SEC_TOKEN_SCOPE_READ);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	who = allow(&f->auth, hdr, AG_API_READ, NOW);
	assert_true(ag_auth_owns(&who, "tenant-a"));
	assert_false(ag_auth_owns(&who, "tenant-b"));
	assert_false(ag_auth_owns(&who, "tenant-aa"));
	assert_false(ag_auth_owns(&who, "tenant-"));
	assert_false(ag_auth_owns(&who, ""));
	/* a short buffer truncates the actor, never overruns */
	ag_auth_actor(&who, actor, sizeof actor);
	assert_int_equal(strncmp(actor, "tok:", 4), 0);
	assert_int_equal(strlen(actor), sizeof actor - 1);

	claims(&c, "ops", SEC_TOKEN_SCOPE_ADMIN);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	who = allow(&f->auth, hdr, AG_API_READ, NOW);
	assert_true(ag_auth_owns(&who, "tenant-a"));
	assert_true(ag_auth_owns(&who, "tenant-b"));
	assert_true(ag_auth_owns(&who, "ops"));
}

/*
 * Issue #14 finding 7: with --token-keys and no --token-audience, a token
 * for another cluster was accepted.  The default audience (the cluster
 * id) refuses it; a token without aud still passes; a configured
 * audience wins and requires aud.
 */
static void
test_default_audience(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_auth		 a;
	char			 hdr[HDR_MAX], err[256];

	assert_int_equal(ag_auth_init(&a, f->pub_path, NULL, -1, err,
	    sizeof err), 0);
	claims(&c, "t", SEC_TOKEN_SCOPE_READ);
	(void)strcpy(c.aud, "other-cluster");
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)allow(&a, hdr, AG_API_READ, NOW);	/* documented: no audience */
	ag_auth_set_default_audience(&a, "cluster-1");
	(void)refuse(&a, hdr, AG_API_READ, NOW, 401, "wrong audience");
	claims(&c, "t", SEC_TOKEN_SCOPE_READ);
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)allow(&a, hdr, AG_API_READ, NOW);
	c.aud[0] = '\0';
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)allow(&a, hdr, AG_API_READ, NOW);
	ag_auth_free(&a);
	/* a configured audience requires aud, default or not */
	assert_int_equal(ag_auth_init(&a, f->pub_path, "cluster-1", -1, err,
	    sizeof err), 0);
	ag_auth_set_default_audience(&a, "cluster-2");
	(void)refuse(&a, hdr, AG_API_READ, NOW, 401, "wrong audience");
	ag_auth_set_default_audience(&a, NULL);
	assert_string_equal(a.default_audience, "");
	ag_auth_free(&a);
}

static void
test_max_age(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_auth		 a;
	char			 hdr[HDR_MAX], err[256];

	assert_int_equal(ag_auth_init(&a, f->pub_path, NULL, 0, err,
	    sizeof err), 0);
	ag_auth_set_max_age(&a, 3600);
	claims(&c, "t", SEC_TOKEN_SCOPE_READ);
	c.exp = NOW + 86400;
	mint(&f->key, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)allow(&a, hdr, AG_API_READ, NOW + 3600);
	(void)refuse(&a, hdr, AG_API_READ, NOW + 3601, 401, "maximum token "
	    "age");
	ag_auth_set_max_age(&a, 0);
	(void)allow(&a, hdr, AG_API_READ, NOW + 3601);
	ag_auth_free(&a);
}

/* Keys are parsed once; a changed file is picked up by reload. */
static void
test_reload(void **state)
{
	struct fixture		*f = *state;
	struct sec_token_claims	 c;
	struct ag_auth		 a;
	char			 hdr[HDR_MAX], err[256], path[160];

	(void)snprintf(path, sizeof path, "%s/reload.pub", f->dir);
	write_file(path, f->pub.data, NULL);
	assert_int_equal(ag_auth_init(&a, path, NULL, -1, err, sizeof err),
	    0);
	claims(&c, "t", SEC_TOKEN_SCOPE_READ);
	mint(&f->key2, &c, "Bearer ", "", hdr, sizeof hdr);
	(void)refuse(&a, hdr, AG_API_READ, NOW, 401, "bad signature");
	assert_int_equal(ag_auth_reload(&a, false, err, sizeof err), 0);
	/* the operator adds key2 (a longer file: a new size) */
	write_file(path, f->pub.data, f->pub2.data);
	assert_int_equal(ag_auth_reload(&a, false, err, sizeof err), 1);
	(void)allow(&a, hdr, AG_API_READ, NOW);
	/* a broken file keeps the loaded keys */
	write_file(path, "garbage", NULL);
	assert_int_equal(ag_auth_reload(&a, false, err, sizeof err), -1);
	assert_non_null(strstr(err, "BEGIN PUBLIC KEY"));
	(void)allow(&a, hdr, AG_API_READ, NOW);
	assert_int_equal(ag_auth_reload(&a, true, err, sizeof err), -1);
	(void)allow(&a, hdr, AG_API_READ, NOW);
	assert_int_equal(unlink(path), 0);
	ag_auth_free(&a);
}

/* The zero access rule is refused, with or without keys. */
static void
test_deny_default(void **state)
{
	struct fixture		*f = *state;
	struct ag_auth		 off;
	char			 err[256];

	(void)refuse(&f->auth, NULL, AG_API_DENY, NOW, 403, "access rule");
	assert_int_equal(ag_auth_init(&off, NULL, NULL, -1, err, sizeof err),
	    0);
	(void)refuse(&off, NULL, AG_API_DENY, NOW, 403, "access rule");
	assert_int_equal((int)AG_API_DENY, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_default_audience),
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_deny_default),
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_parse_header_long_tail),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_audience),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_owns),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
