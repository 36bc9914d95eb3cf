/*
 * sec_secret.c - join secret text form and the CA derived from it.
 *
 * The derived CA certificate must be the same bytes on every node, so
 * every field is a function of the secret alone:
 *   key        Ed25519 from seed = HKDF-SHA256(IKM = secret, salt = none
 *              (RFC 5869: HashLen zero bytes), info = "exogpu join-secret
 *              CA v1", L = 32)
 *   subject    CN "exogpu join-secret CA <node id of that key>"
 *   serial     1
 *   validity   2000-01-01T00:00:00Z .. 99991231235959Z (RFC 5280's "no
 *              well-defined expiration"): a derived CA cannot be renewed
 *              without changing the secret, so it must not expire; the
 *              early start tolerates machines with a badly wrong clock.
 *   extensions as sec_ca_create's; signature Ed25519 (deterministic).
 */
#include "sec_gnutls.h"
#include "sec_secret.h"
#include "sec_b32.h"
#include "sec_ca.h"
#include "sec_identity.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CHECK_BYTES	3
#define PAYLOAD_BYTES	(SEC_SECRET_BYTES + CHECK_BYTES)	/* 35 */
#define PAYLOAD_CHARS	SEC_B32_LEN(PAYLOAD_BYTES)		/* 56 */
#define GROUP		8
#define CHECK_LABEL	"exogpu secret check v1"
#define HKDF_INFO	"exogpu join-secret CA v1"
#define JOIN_NOT_BEFORE	((time_t)946684800)	/* 2000-01-01T00:00:00Z */
#define JOIN_NOT_AFTER	((time_t)253402300799)	/* 9999-12-31T23:59:59Z */

static int
checksum(const struct sec_secret *s, unsigned char out[CHECK_BYTES])
{
	unsigned char	buf[sizeof CHECK_LABEL - 1 + SEC_SECRET_BYTES];
	unsigned char	digest[32];
	int		rc;

	memcpy(buf, CHECK_LABEL, sizeof CHECK_LABEL - 1);
	memcpy(buf + sizeof CHECK_LABEL - 1, s->bytes, SEC_SECRET_BYTES);
	rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, sizeof buf, digest);
	gnutls_memset(buf, 0, sizeof buf);
	if (rc < 0)
		return -1;
	memcpy(out, digest, CHECK_BYTES);
	return 0;
}

int
sec_secret_generate(struct sec_secret *s, char *err, size_t errlen)
{
	int	rc;

	if ((rc = gnutls_rnd(GNUTLS_RND_KEY, s->bytes, sizeof s->bytes)) < 0)
		return sec_gnutls_err(err, errlen, "random", rc);
	return 0;
}

void
sec_secret_format(const struct sec_secret *s, char *text)
{
	unsigned char	payload[PAYLOAD_BYTES];
	char		chars[PAYLOAD_CHARS + 1];
	size_t		i, o;

	memcpy(payload, s->bytes, SEC_SECRET_BYTES);
	if (checksum(s, payload + SEC_SECRET_BYTES) < 0)
		memset(payload + SEC_SECRET_BYTES, 0, CHECK_BYTES);
	(void)sec_b32_encode(payload, sizeof payload, chars, sizeof chars);
	memcpy(text, SEC_SECRET_PREFIX, sizeof SEC_SECRET_PREFIX - 1);
	o = sizeof SEC_SECRET_PREFIX - 1;
	for (i = 0; i < PAYLOAD_CHARS; i++) {
		if (i > 0 && i % GROUP == 0)
			text[o++] = '-';
		text[o++] = chars[i];
	}
	text[o] = '\0';
	gnutls_memset(payload, 0, sizeof payload);
	gnutls_memset(chars, 0, sizeof chars);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
sec_secret_parse(const char *text, size_t len, struct sec_secret *s,
    char *err, size_t errlen)
{
	unsigned char	payload[PAYLOAD_BYTES], check[CHECK_BYTES];
	char		chars[PAYLOAD_CHARS];
	size_t		i, n = 0, plen = sizeof SEC_SECRET_PREFIX - 1;
	int		ret = -1;

	if (len > SEC_SECRET_INPUT_MAX)
		return sec_err(err, errlen, "join secret too long (%zu bytes)",
		    len);
	while (len > 0 && is_space(text[0])) {
		text++;
		len--;
	}
	while (len > 0 && is_space(text[len - 1]))
		len--;
	if (len < plen || strncasecmp(text, SEC_SECRET_PREFIX, plen) != 0)
		return sec_err(err, errlen, "not a join secret (it starts "
		    "with \"%s\")", SEC_SECRET_PREFIX);
	for (i = plen; i < len; i++) {
		char	c = text[i];

		if (c == '-')
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '2' && c <= '7'))) {
			(void)sec_err(err, errlen, "join secret: invalid "
			    "character at position %zu", i + 1);
			goto out;
		}
		if (n == PAYLOAD_CHARS) {
			(void)sec_err(err, errlen, "join secret: too many "
			    "characters (want %d after the prefix)",
			    PAYLOAD_CHARS);
			goto out;
		}
		chars[n++] = c;
	}
	if (n != PAYLOAD_CHARS) {
		(void)sec_err(err, errlen, "join secret: %zu characters after "
		    "the prefix, want %d", n, PAYLOAD_CHARS);
		goto out;
	}
	if (sec_b32_decode(chars, n, payload, sizeof payload) !=
	    PAYLOAD_BYTES) {
		(void)sec_err(err, errlen, "join secret: bad encoding");
		goto out;
	}
	memcpy(s->bytes, payload, SEC_SECRET_BYTES);
	if (checksum(s, check) < 0 ||
	    memcmp(check, payload + SEC_SECRET_BYTES, CHECK_BYTES) != 0) {
		sec_secret_clear(s);
		(void)sec_err(err, errlen, "join secret: checksum mismatch "
		    "(typo?)");
		goto out;
	}
	ret = 0;
out:
	gnutls_memset(payload, 0, sizeof payload);
	gnutls_memset(chars, 0, sizeof chars);
	return ret;
}

void
sec_secret_clear(struct sec_secret *s)
{
	gnutls_memset(s->bytes, 0, sizeof s->bytes);
}

static int
derive_seed(const struct sec_secret *s, unsigned char seed[SEC_ED25519_LEN],
    char *err, size_t errlen)
{
	unsigned char	prk[32], zero_salt[32];
	gnutls_datum_t	ikm = { (unsigned char *)(uintptr_t)s->bytes,
			    SEC_SECRET_BYTES };
	gnutls_datum_t	salt = { zero_salt, sizeof zero_salt };
	gnutls_datum_t	key = { prk, sizeof prk };
	gnutls_datum_t	info = { (unsigned char *)(uintptr_t)HKDF_INFO,
			    sizeof HKDF_INFO - 1 };
	int		rc;

	memset(zero_salt, 0, sizeof zero_salt);
	rc = gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, prk);
	if (rc >= 0)
		rc = gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &key, &info, seed,
		    SEC_ED25519_LEN);
	gnutls_memset(prk, 0, sizeof prk);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "HKDF", rc);
	return 0;
}

int
sec_secret_derive_ca(const struct sec_secret *s, struct sec_pem *key_pem,
    struct sec_pem *cert, char *err, size_t errlen)
{
	static const unsigned char serial[] = { 0x01 };
	gnutls_x509_privkey_t	key;
	unsigned char		seed[SEC_ED25519_LEN], pub[SEC_ED25519_LEN];
	char			id[SEC_NODE_ID_SIZE], cn[64];
	int			rc;

	if (derive_seed(s, seed, err, errlen) < 0)
		return -1;
	rc = sec_key_from_seed(seed, &key, err, errlen);
	gnutls_memset(seed, 0, sizeof seed);
	if (rc < 0)
		return -1;
	if ((rc = sec_key_pub(key, pub, err, errlen)) == 0) {
		sec_node_id_from_pub(pub, id);
		(void)snprintf(cn, sizeof cn, "exogpu join-secret CA %s", id);
		rc = sec_ca_self_sign(key, cn, serial, sizeof serial,
		    JOIN_NOT_BEFORE, JOIN_NOT_AFTER,
		    cert, err, errlen);
	}
	if (rc == 0 && (rc = sec_key_export(key, key_pem, err, errlen)) < 0)
		sec_pem_clear(cert);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

int
sec_secret_issue(const struct sec_secret *s, const char *node_key_pem,
    size_t key_len, const char *name, time_t now, struct sec_pem *node_cert,
    struct sec_pem *ca_cert, char *err, size_t errlen)
{
	struct sec_pem	 ca_key = { NULL, 0 }, ca_crt = { NULL, 0 };
	struct sec_ca	*ca;
	int		 rc;

	if (sec_secret_derive_ca(s, &ca_key, &ca_crt, err, errlen) < 0)
		return -1;
	ca = sec_ca_load(ca_key.data, ca_key.len, ca_crt.data, ca_crt.len,
	    err, errlen);
	sec_pem_clear(&ca_key);
	if (ca == NULL) {
		sec_pem_clear(&ca_crt);
		return -1;
	}
	rc = sec_ca_issue(ca, node_key_pem, key_len, name,
	    now - SEC_JOIN_SKEW, now + (time_t)SEC_NODE_DAYS_DEFAULT * 86400,
	    node_cert, err, errlen);
	sec_ca_free(ca);
	if (rc == 0 && ca_cert != NULL)
		*ca_cert = ca_crt;
	else
		sec_pem_clear(&ca_crt);
	return rc;
}

/* ---- rotation file ---- */

int
sec_secret_rotation_parse(const char *buf, size_t len, struct sec_secret *next,
    int64_t *until, char *err, size_t errlen)
{
	const char	*nl, *v;
	char		 num[24];
	size_t		 first, n, i;
	int64_t		 t = 0;

	if (len > SEC_SECRET_ROTATION_MAX)
		return sec_err(err, errlen, "rotation file larger than %d "
		    "bytes", SEC_SECRET_ROTATION_MAX);
	if ((nl = memchr(buf, '\n', len)) == NULL)
		return sec_err(err, errlen, "rotation file: want two lines, "
		    "the next secret and until=UNIX");
	first = (size_t)(nl - buf);
	if (sec_secret_parse(buf, first, next, err, errlen) < 0)
		return -1;
	v = nl + 1;
	n = len - first - 1;
	if (n < 7 || memcmp(v, "until=", 6) != 0 || v[n - 1] != '\n') {
		sec_secret_clear(next);
		return sec_err(err, errlen, "rotation file: second line is "
		    "not until=UNIX");
	}
	v += 6;
	n -= 7;
	if (n == 0 || n >= sizeof num) {
		sec_secret_clear(next);
		return sec_err(err, errlen, "rotation file: bad until");
	}
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || (i == 0 && v[i] == '0' &&
		    n > 1) || t > (INT64_MAX - (v[i] - '0')) / 10) {
			sec_secret_clear(next);
			return sec_err(err, errlen, "rotation file: until is "
			    "not unix seconds");
		}
		t = t * 10 + (v[i] - '0');
	}
	*until = t;
	return 0;
}

int
sec_secret_rotation_format(const struct sec_secret *next, int64_t until,
    char *out, size_t size)
{
	char	text[SEC_SECRET_TEXT_SIZE];
	int	n;

	sec_secret_format(next, text);
	n = snprintf(out, size, "%s\nuntil=%lld\n", text, (long long)until);
	memset(text, 0, sizeof text);
	return n < 0 || (size_t)n >= size ? -1 : n;
}
