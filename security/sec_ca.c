/*
 * sec_ca.c - building CA and node certificates with GnuTLS; see sec_ca.h.
 *
 * Certificates are assembled field by field with gnutls_x509_crt_set_*
 * and signed with gnutls_x509_crt_privkey_sign.  Nothing in here reads a
 * clock or a random source except the serial numbers, so the join-secret
 * CA (fixed serial, fixed dates) comes out byte-identical on every node:
 * Ed25519 signatures are deterministic (RFC 8032).
 */
#include "sec_gnutls.h"
#include "sec_ca.h"
#include "sec_identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERIAL_LEN	16
#define KEYID_MAX	64
#define SUBJECT_MAX	256

struct sec_ca {
	gnutls_x509_privkey_t	key;
	gnutls_x509_crt_t	crt;
	gnutls_privkey_t	signer;		/* abstract wrapper of key */
	time_t			expires;
	char			subject[SUBJECT_MAX];
};

int
sec_name_valid(const char *s)
{
	size_t	n, label = 0;

	n = strnlen(s, SEC_NAME_MAX + 1);
	if (n == 0 || n > SEC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char	c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

int
sec_crt_import(const char *pem, size_t len, gnutls_x509_crt_t *out,
    char *err, size_t errlen)
{
	gnutls_x509_crt_t	crt;
	gnutls_datum_t		d;
	int			rc;

	if (sec_datum_in(&d, pem, len, "certificate", err, errlen) < 0)
		return -1;
	if ((rc = gnutls_x509_crt_init(&crt)) < 0)
		return sec_gnutls_err(err, errlen, "certificate init", rc);
	if ((rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		gnutls_x509_crt_deinit(crt);
		return sec_gnutls_err(err, errlen, "certificate", rc);
	}
	*out = crt;
	return 0;
}

int
sec_crt_export(gnutls_x509_crt_t crt, struct sec_pem *out, char *err,
    size_t errlen)
{
	gnutls_datum_t	d = { NULL, 0 };
	int		rc;

	if ((rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d)) < 0)
		return sec_gnutls_err(err, errlen, "certificate export", rc);
	rc = sec_pem_from_datum(out, &d, err, errlen);
	gnutls_free(d.data);
	return rc;
}

static int
random_serial(unsigned char serial[SERIAL_LEN], char *err, size_t errlen)
{
	int	rc;

	if ((rc = gnutls_rnd(GNUTLS_RND_KEY, serial, SERIAL_LEN)) < 0)
		return sec_gnutls_err(err, errlen, "random", rc);
	/* Positive, and no leading zero byte for DER to strip. */
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	return 0;
}

/* Fields every certificate we make shares. */
static int
crt_common(gnutls_x509_crt_t crt, gnutls_x509_privkey_t subject_key,
    const char *cn, const unsigned char *serial, size_t serial_len,
    time_t not_before, time_t not_after, char *err, size_t errlen)
{
	unsigned char	keyid[KEYID_MAX];
	size_t		keyid_len = sizeof keyid;
	int		rc;

	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, subject_key)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, serial_len)) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, not_before)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt, not_after)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
	    0, cn, (unsigned)strlen(cn))) < 0)
		return sec_gnutls_err(err, errlen, "certificate fields", rc);
	if ((rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, keyid,
	    &keyid_len)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_key_id(crt, keyid,
	    keyid_len)) < 0)
		return sec_gnutls_err(err, errlen, "subject key id", rc);
	return 0;
}

static int
wrap_signer(gnutls_x509_privkey_t key, gnutls_privkey_t *out, char *err,
    size_t errlen)
{
	gnutls_privkey_t	pk;
	int			rc;

	if ((rc = gnutls_privkey_init(&pk)) < 0)
		return sec_gnutls_err(err, errlen, "signer init", rc);
	/* Flags 0: the abstract key references, does not own, the key. */
	if ((rc = gnutls_privkey_import_x509(pk, key, 0)) < 0) {
		gnutls_privkey_deinit(pk);
		return sec_gnutls_err(err, errlen, "signer", rc);
	}
	*out = pk;
	return 0;
}

int
sec_ca_self_sign(gnutls_x509_privkey_t key, const char *cn,
    const unsigned char *serial, size_t serial_len, time_t not_before,
    time_t not_after, struct sec_pem *cert, char *err, size_t errlen)
{
	gnutls_x509_crt_t	crt = NULL;
	gnutls_privkey_t	signer = NULL;
	int			rc, ret = -1;

	if ((rc = gnutls_x509_crt_init(&crt)) < 0)
		return sec_gnutls_err(err, errlen, "certificate init", rc);
	if (crt_common(crt, key, cn, serial, serial_len, not_before,
	    not_after, err, errlen) < 0)
		goto out;
	if ((rc = gnutls_x509_crt_set_basic_constraints(crt, 1, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0) {
		(void)sec_gnutls_err(err, errlen, "CA extensions", rc);
		goto out;
	}
	if (wrap_signer(key, &signer, err, errlen) < 0)
		goto out;
	if ((rc = gnutls_x509_crt_privkey_sign(crt, crt, signer,
	    GNUTLS_DIG_SHA512, 0)) < 0) {
		(void)sec_gnutls_err(err, errlen, "CA self-signature", rc);
		goto out;
	}
	ret = sec_crt_export(crt, cert, err, errlen);
out:
	if (signer != NULL)
		gnutls_privkey_deinit(signer);
	gnutls_x509_crt_deinit(crt);
	return ret;
}

int
sec_ca_create(time_t now, unsigned days, struct sec_pem *key,
    struct sec_pem *cert, char *err, size_t errlen)
{
	gnutls_x509_privkey_t	k = NULL;
	unsigned char		serial[SERIAL_LEN];
	char			id[SEC_NODE_ID_SIZE], cn[64];
	int			ret = -1;

	if (days == 0 || days > SEC_DAYS_MAX)
		return sec_err(err, errlen, "validity must be 1..%d days",
		    SEC_DAYS_MAX);
	if (sec_identity_generate_key(key, err, errlen) < 0)
		return -1;
	if (sec_key_import(key->data, key->len, &k, err, errlen) < 0 ||
	    sec_identity_key_node_id(key->data, key->len, id, err,
	    errlen) < 0 ||
	    random_serial(serial, err, errlen) < 0)
		goto out;
	(void)snprintf(cn, sizeof cn, "exogpu cluster CA %.8s", id);
	ret = sec_ca_self_sign(k, cn, serial, sizeof serial,
	    now - SEC_CLOCK_SKEW, now + (time_t)days * 86400, cert, err,
	    errlen);
out:
	if (k != NULL)
		gnutls_x509_privkey_deinit(k);
	if (ret < 0)
		sec_pem_clear(key);
	return ret;
}

static int
ca_check(struct sec_ca *ca, char *err, size_t errlen)
{
	unsigned char	kpub[SEC_ED25519_LEN], cpub[SEC_ED25519_LEN];
	unsigned	critical, isca, status;
	int		pathlen, rc;
	size_t		n = sizeof ca->subject;

	if (sec_key_pub(ca->key, kpub, err, errlen) < 0 ||
	    sec_crt_pub(ca->crt, cpub, err, errlen) < 0)
		return -1;
	if (memcmp(kpub, cpub, sizeof kpub) != 0)
		return sec_err(err, errlen, "CA certificate does not belong "
		    "to the CA key");
	rc = gnutls_x509_crt_get_basic_constraints(ca->crt, &critical, &isca,
	    &pathlen);
	if (rc < 0 || !isca)
		return sec_err(err, errlen, "not a CA certificate");
	/* Self-signed: signature checked, dates are the verifier's job. */
	if (!gnutls_x509_crt_check_issuer(ca->crt, ca->crt))
		return sec_err(err, errlen, "CA certificate is not "
		    "self-signed");
	rc = gnutls_x509_crt_verify(ca->crt, &ca->crt, 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status);
	if (rc < 0 || status != 0)
		return sec_err(err, errlen, "CA certificate's self-signature "
		    "does not verify");
	if (gnutls_x509_crt_get_signature_algorithm(ca->crt) !=
	    GNUTLS_SIGN_EDDSA_ED25519)
		return sec_err(err, errlen, "CA certificate is not signed "
		    "with Ed25519");
	if ((ca->expires = gnutls_x509_crt_get_expiration_time(ca->crt)) ==
	    (time_t)-1)
		return sec_err(err, errlen, "CA certificate has no expiry");
	if ((rc = gnutls_x509_crt_get_dn(ca->crt, ca->subject, &n)) < 0)
		return sec_gnutls_err(err, errlen, "CA subject", rc);
	return 0;
}

struct sec_ca *
sec_ca_load(const char *key_pem, size_t key_len, const char *cert_pem,
    size_t cert_len, char *err, size_t errlen)
{
	struct sec_ca	*ca;

	if ((ca = calloc(1, sizeof *ca)) == NULL) {
		(void)sec_err(err, errlen, "out of memory");
		return NULL;
	}
	if (sec_key_import(key_pem, key_len, &ca->key, err, errlen) < 0 ||
	    sec_crt_import(cert_pem, cert_len, &ca->crt, err, errlen) < 0 ||
	    ca_check(ca, err, errlen) < 0 ||
	    wrap_signer(ca->key, &ca->signer, err, errlen) < 0) {
		sec_ca_free(ca);
		return NULL;
	}
	return ca;
}

const char *
sec_ca_subject(const struct sec_ca *ca)
{
	return ca->subject;
}

int
sec_ca_cert(const struct sec_ca *ca, struct sec_pem *out, char *err,
    size_t errlen)
{
	return sec_crt_export(ca->crt, out, err, errlen);
}

void
sec_ca_free(struct sec_ca *ca)
{
	if (ca == NULL)
		return;
	if (ca->signer != NULL)
		gnutls_privkey_deinit(ca->signer);
	if (ca->crt != NULL)
		gnutls_x509_crt_deinit(ca->crt);
	if (ca->key != NULL)
		gnutls_x509_privkey_deinit(ca->key);
	free(ca);
}

static int
node_extensions(gnutls_x509_crt_t crt, const char *name, const char *id,
    char *err, size_t errlen)
{
	char	uri[sizeof SEC_NODE_ID_URI_PREFIX + SEC_NODE_ID_LEN];
	int	rc;

	(void)snprintf(uri, sizeof uri, "%s%s", SEC_NODE_ID_URI_PREFIX, id);
	if ((rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	    name, (unsigned)strlen(name), GNUTLS_FSAN_APPEND)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_URI,
	    uri, (unsigned)strlen(uri), GNUTLS_FSAN_APPEND)) < 0)
		return sec_gnutls_err(err, errlen, "node certificate "
		    "extensions", rc);
	return 0;
}

/* authorityKeyIdentifier = the CA's subjectKeyIdentifier, if it has one. */
static int
set_aki(gnutls_x509_crt_t crt, gnutls_x509_crt_t ca, char *err, size_t errlen)
{
	unsigned char	keyid[KEYID_MAX];
	size_t		n = sizeof keyid;
	unsigned	critical;
	int		rc;

	rc = gnutls_x509_crt_get_subject_key_id(ca, keyid, &n, &critical);
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return 0;
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "CA subject key id", rc);
	if ((rc = gnutls_x509_crt_set_authority_key_id(crt, keyid, n)) < 0)
		return sec_gnutls_err(err, errlen, "authority key id", rc);
	return 0;
}

int
sec_ca_issue(const struct sec_ca *ca, const char *node_key_pem,
    size_t key_len, const char *name, time_t not_before, time_t not_after,
    struct sec_pem *cert, char *err, size_t errlen)
{
	gnutls_x509_privkey_t	key = NULL;
	gnutls_x509_crt_t	crt = NULL;
	unsigned char		serial[SERIAL_LEN], pub[SEC_ED25519_LEN];
	char			id[SEC_NODE_ID_SIZE];
	int			rc, ret = -1;

	if (!sec_name_valid(name))
		return sec_err(err, errlen, "invalid node name (want a DNS "
		    "name: letters, digits, '-', dots)");
	if (not_after > ca->expires)
		not_after = ca->expires;
	if (not_before >= not_after)
		return sec_err(err, errlen, "empty validity period (the CA "
		    "expires before it starts?)");
	if (sec_key_import(node_key_pem, key_len, &key, err, errlen) < 0)
		return -1;
	if (sec_key_pub(key, pub, err, errlen) < 0 ||
	    random_serial(serial, err, errlen) < 0)
		goto out;
	sec_node_id_from_pub(pub, id);
	if ((rc = gnutls_x509_crt_init(&crt)) < 0) {
		(void)sec_gnutls_err(err, errlen, "certificate init", rc);
		goto out;
	}
	if (crt_common(crt, key, id, serial, sizeof serial, not_before,
	    not_after, err, errlen) < 0 ||
	    node_extensions(crt, name, id, err, errlen) < 0 ||
	    set_aki(crt, ca->crt, err, errlen) < 0)
		goto out;
	if ((rc = gnutls_x509_crt_privkey_sign(crt, ca->crt, ca->signer,
	    GNUTLS_DIG_SHA512, 0)) < 0) {
		(void)sec_gnutls_err(err, errlen, "node certificate signature",
		    rc);
		goto out;
	}
	ret = sec_crt_export(crt, cert, err, errlen);
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return ret;
}
