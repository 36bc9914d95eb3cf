/*
 * sec_key.c - Ed25519 private keys: from a seed, from PEM, to PEM.
 *
 * Every key - a node's random one, a CA's, and the CA derived from a join
 * secret - goes through sec_key_from_seed(), so one code path is tested by
 * all of them and by the RFC 8032 known answer.
 *
 * Why a PKCS#8 detour: GnuTLS 3.7.9's gnutls_{x509_,}privkey_import_ecc_raw()
 * cannot derive the public half of an Ed25519 key.  With x == NULL it
 * dereferences the NULL pointer (crash); with an empty x it returns
 * GNUTLS_E_INVALID_REQUEST; with a wrong x it stores the bogus public key
 * without complaint (only gnutls_x509_privkey_verify_params notices).  Its
 * PKCS#8 decoder, however, computes the public key from the private one.
 * So the seed is wrapped in the fixed RFC 8410 OneAsymmetricKey DER
 * prefix, imported as PKCS#8, and the result is checked with
 * verify_params.
 */
#include "sec_gnutls.h"
#include "sec_identity.h"

#include <string.h>

/*
 * RFC 8410 section 7: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 },
 * OCTET STRING { OCTET STRING (32 bytes) } } - everything but the seed.
 */
static const unsigned char pkcs8_ed25519_prefix[16] = {
	0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
	0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
};

static int
key_check(gnutls_x509_privkey_t key, char *err, size_t errlen)
{
	int	rc;

	rc = gnutls_x509_privkey_get_pk_algorithm2(key, NULL);
	if (rc != GNUTLS_PK_EDDSA_ED25519)
		return sec_err(err, errlen, "key is %s, not Ed25519",
		    rc < 0 ? "unreadable" :
		    gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)rc));
	if ((rc = gnutls_x509_privkey_verify_params(key)) < 0)
		return sec_gnutls_err(err, errlen, "inconsistent Ed25519 key",
		    rc);
	return 0;
}

int
sec_key_from_seed(const unsigned char seed[SEC_ED25519_LEN],
    gnutls_x509_privkey_t *out, char *err, size_t errlen)
{
	unsigned char		der[sizeof pkcs8_ed25519_prefix +
				    SEC_ED25519_LEN];
	gnutls_datum_t		d = { der, sizeof der };
	gnutls_x509_privkey_t	key;
	int			rc;

	memcpy(der, pkcs8_ed25519_prefix, sizeof pkcs8_ed25519_prefix);
	memcpy(der + sizeof pkcs8_ed25519_prefix, seed, SEC_ED25519_LEN);
	if ((rc = gnutls_x509_privkey_init(&key)) < 0) {
		gnutls_memset(der, 0, sizeof der);
		return sec_gnutls_err(err, errlen, "key init", rc);
	}
	rc = gnutls_x509_privkey_import_pkcs8(key, &d, GNUTLS_X509_FMT_DER,
	    NULL, GNUTLS_PKCS_PLAIN);
	gnutls_memset(der, 0, sizeof der);
	if (rc < 0) {
		gnutls_x509_privkey_deinit(key);
		return sec_gnutls_err(err, errlen, "Ed25519 seed import", rc);
	}
	if (key_check(key, err, errlen) < 0) {
		gnutls_x509_privkey_deinit(key);
		return -1;
	}
	*out = key;
	return 0;
}

int
sec_key_import(const char *pem, size_t len, gnutls_x509_privkey_t *out,
    char *err, size_t errlen)
{
	gnutls_x509_privkey_t	key;
	gnutls_datum_t		d;
	int			rc;

	if (sec_datum_in(&d, pem, len, "private key", err, errlen) < 0)
		return -1;
	if ((rc = gnutls_x509_privkey_init(&key)) < 0)
		return sec_gnutls_err(err, errlen, "key init", rc);
	/* Plain PKCS#8 first; the generic importer also takes PEM "KEY". */
	rc = gnutls_x509_privkey_import_pkcs8(key, &d, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN);
	if (rc < 0)
		rc = gnutls_x509_privkey_import(key, &d, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		gnutls_x509_privkey_deinit(key);
		return sec_gnutls_err(err, errlen, "private key", rc);
	}
	if (key_check(key, err, errlen) < 0) {
		gnutls_x509_privkey_deinit(key);
		return -1;
	}
	*out = key;
	return 0;
}

int
sec_key_export(gnutls_x509_privkey_t key, struct sec_pem *out, char *err,
    size_t errlen)
{
	gnutls_datum_t	d = { NULL, 0 };
	int		rc;

	rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN, &d);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "key export", rc);
	rc = sec_pem_from_datum(out, &d, err, errlen);
	gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
	return rc;
}

int
sec_key_pub(gnutls_x509_privkey_t key, unsigned char pub[SEC_ED25519_LEN],
    char *err, size_t errlen)
{
	gnutls_ecc_curve_t	curve;
	gnutls_datum_t		x = { NULL, 0 }, k = { NULL, 0 };
	int			rc;

	rc = gnutls_x509_privkey_export_ecc_raw(key, &curve, &x, NULL, &k);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "public key", rc);
	rc = 0;
	if (curve != GNUTLS_ECC_CURVE_ED25519 || x.size != SEC_ED25519_LEN)
		rc = sec_err(err, errlen, "not an Ed25519 key");
	else
		memcpy(pub, x.data, SEC_ED25519_LEN);
	gnutls_memset(k.data, 0, k.size);
	gnutls_free(k.data);
	gnutls_free(x.data);
	return rc;
}

int
sec_crt_pub(gnutls_x509_crt_t crt, unsigned char pub[SEC_ED25519_LEN],
    char *err, size_t errlen)
{
	gnutls_ecc_curve_t	curve;
	gnutls_datum_t		x = { NULL, 0 };
	int			rc;

	rc = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
	if (rc != GNUTLS_PK_EDDSA_ED25519)
		return sec_err(err, errlen, "certificate key is %s, not "
		    "Ed25519", rc < 0 ? "unreadable" :
		    gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)rc));
	rc = gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, NULL);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "certificate key", rc);
	rc = 0;
	if (curve != GNUTLS_ECC_CURVE_ED25519 || x.size != SEC_ED25519_LEN)
		rc = sec_err(err, errlen, "certificate key is not Ed25519");
	else
		memcpy(pub, x.data, SEC_ED25519_LEN);
	gnutls_free(x.data);
	return rc;
}

int
sec_crt_node_id(gnutls_x509_crt_t crt, char *id, char *err, size_t errlen)
{
	unsigned char	pub[SEC_ED25519_LEN];

	if (sec_crt_pub(crt, pub, err, errlen) < 0)
		return -1;
	sec_node_id_from_pub(pub, id);
	return 0;
}
