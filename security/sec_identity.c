/*
 * sec_identity.c - node ids and the loaded identity (key + chain).
 *
 * A struct sec_identity owns parsed GnuTLS objects rather than PEM text so
 * sec_tls.c can hand them to credentials without reparsing, and so the
 * key/certificate match is checked once, at load time, where the error
 * can still name the files.
 */
#include "sec_gnutls.h"
#include "sec_identity.h"
#include "sec_b32.h"

#include <stdlib.h>
#include <string.h>

#define NODE_ID_BYTES	16	/* of SHA-256(public key) */

struct sec_identity {
	gnutls_x509_privkey_t	 key;
	gnutls_x509_crt_t	 chain[SEC_CHAIN_MAX];
	unsigned		 nchain;
	char			 node_id[SEC_NODE_ID_SIZE];
};

void
sec_node_id_from_pub(const unsigned char pub[32], char *id)
{
	unsigned char	digest[32];

	/* SHA-256 of 32 bytes cannot fail short of a broken library. */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, pub, 32, digest) < 0)
		memset(digest, 0, sizeof digest);
	(void)sec_b32_encode(digest, NODE_ID_BYTES, id, SEC_NODE_ID_SIZE);
}

int
sec_node_id_valid(const char *s)
{
	unsigned char	buf[NODE_ID_BYTES];
	size_t		n;

	n = strnlen(s, SEC_NODE_ID_SIZE);
	if (n != SEC_NODE_ID_LEN)
		return 0;
	/* Lowercase only: the canonical form is what gets compared. */
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 0;
	return sec_b32_decode(s, n, buf, sizeof buf) == NODE_ID_BYTES;
}

int
sec_identity_generate_key(struct sec_pem *out, char *err, size_t errlen)
{
	unsigned char		seed[SEC_ED25519_LEN];
	gnutls_x509_privkey_t	key;
	int			rc;

	if ((rc = gnutls_rnd(GNUTLS_RND_KEY, seed, sizeof seed)) < 0)
		return sec_gnutls_err(err, errlen, "random", rc);
	rc = sec_key_from_seed(seed, &key, err, errlen);
	gnutls_memset(seed, 0, sizeof seed);
	if (rc < 0)
		return -1;
	rc = sec_key_export(key, out, err, errlen);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

int
sec_identity_key_node_id(const char *pem, size_t len, char *id, char *err,
    size_t errlen)
{
	gnutls_x509_privkey_t	key;
	unsigned char		pub[SEC_ED25519_LEN];
	int			rc;

	if (sec_key_import(pem, len, &key, err, errlen) < 0)
		return -1;
	rc = sec_key_pub(key, pub, err, errlen);
	gnutls_x509_privkey_deinit(key);
	if (rc < 0)
		return -1;
	sec_node_id_from_pub(pub, id);
	return 0;
}

static int
cert_id(const gnutls_datum_t *d, gnutls_x509_crt_fmt_t fmt, char *id,
    char *err, size_t errlen)
{
	gnutls_x509_crt_t	crt;
	int			rc;

	if ((rc = gnutls_x509_crt_init(&crt)) < 0)
		return sec_gnutls_err(err, errlen, "certificate init", rc);
	if ((rc = gnutls_x509_crt_import(crt, d, fmt)) < 0) {
		gnutls_x509_crt_deinit(crt);
		return sec_gnutls_err(err, errlen, "certificate", rc);
	}
	rc = sec_crt_node_id(crt, id, err, errlen);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int
sec_identity_cert_node_id(const char *pem, size_t len, char *id, char *err,
    size_t errlen)
{
	gnutls_datum_t	d;

	if (sec_datum_in(&d, pem, len, "certificate", err, errlen) < 0)
		return -1;
	return cert_id(&d, GNUTLS_X509_FMT_PEM, id, err, errlen);
}

int
sec_identity_cert_der_node_id(const unsigned char *der, size_t len, char *id,
    char *err, size_t errlen)
{
	gnutls_datum_t	d;

	if (sec_datum_in(&d, (const char *)der, len, "certificate", err,
	    errlen) < 0)
		return -1;
	return cert_id(&d, GNUTLS_X509_FMT_DER, id, err, errlen);
}

struct sec_identity *
sec_identity_load(const char *key_pem, size_t key_len, const char *chain_pem,
    size_t chain_len, char *err, size_t errlen)
{
	struct sec_identity	*id;
	gnutls_datum_t		 d;
	unsigned char		 kpub[SEC_ED25519_LEN], cpub[SEC_ED25519_LEN];
	int			 rc;

	if (sec_datum_in(&d, chain_pem, chain_len, "certificate chain", err,
	    errlen) < 0)
		return NULL;
	if ((id = calloc(1, sizeof *id)) == NULL) {
		(void)sec_err(err, errlen, "out of memory");
		return NULL;
	}
	if (sec_key_import(key_pem, key_len, &id->key, err, errlen) < 0) {
		free(id);
		return NULL;
	}
	/* A fixed array bounds the work: more than SEC_CHAIN_MAX fails. */
	id->nchain = SEC_CHAIN_MAX;
	rc = gnutls_x509_crt_list_import(id->chain, &id->nchain, &d,
	    GNUTLS_X509_FMT_PEM, GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED |
	    GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (rc < 0) {
		id->nchain = 0;
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
			(void)sec_err(err, errlen, "certificate chain has "
			    "more than %d certificates", SEC_CHAIN_MAX);
		else
			(void)sec_gnutls_err(err, errlen, "certificate chain",
			    rc);
		goto fail;
	}
	id->nchain = (unsigned)rc;
	if (id->nchain == 0) {
		(void)sec_err(err, errlen, "no certificate in chain");
		goto fail;
	}
	if (sec_key_pub(id->key, kpub, err, errlen) < 0 ||
	    sec_crt_pub(id->chain[0], cpub, err, errlen) < 0)
		goto fail;
	if (memcmp(kpub, cpub, sizeof kpub) != 0) {
		(void)sec_err(err, errlen, "certificate does not belong to "
		    "the private key");
		goto fail;
	}
	sec_node_id_from_pub(kpub, id->node_id);
	return id;
fail:
	sec_identity_free(id);
	return NULL;
}

const char *
sec_identity_node_id(const struct sec_identity *id)
{
	return id->node_id;
}

void
sec_identity_free(struct sec_identity *id)
{
	if (id == NULL)
		return;
	for (unsigned i = 0; i < id->nchain; i++)
		gnutls_x509_crt_deinit(id->chain[i]);
	if (id->key != NULL)
		gnutls_x509_privkey_deinit(id->key);
	free(id);
}

gnutls_x509_privkey_t
sec_identity_key(const struct sec_identity *id)
{
	return id->key;
}

const gnutls_x509_crt_t *
sec_identity_chain(const struct sec_identity *id, unsigned *n)
{
	*n = id->nchain;
	return id->chain;
}
