/*
 * sec_gnutls.h - helpers shared inside security/ that speak GnuTLS types.
 *
 * Not for other modules: the public headers (sec_identity.h, sec_ca.h,
 * sec_secret.h, sec_tls.h) hide these behind PEM buffers and opaque
 * structs.  Collected here so each .c file stays about one concept while
 * the key, certificate and error plumbing exists once.
 *
 * Error convention everywhere in security/: functions return 0 on success
 * and -1 with a one-line reason in err[0..errlen) on failure.
 */
#ifndef SEC_GNUTLS_H
#define SEC_GNUTLS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "sec_err.h"
#include "sec_pem.h"

#define SEC_ED25519_LEN	32	/* seed, public key */

/* "what: <gnutls_strerror(rc)>"; always returns -1. */
int	sec_gnutls_err(char *err, size_t errlen, const char *what, int rc);

/* Copies a datum into a fresh sec_pem. */
int	sec_pem_from_datum(struct sec_pem *, const gnutls_datum_t *,
	    char *err, size_t errlen);
/* Appends text to a sec_pem (building a chain). */
int	sec_pem_append(struct sec_pem *, const char *pem, size_t len,
	    char *err, size_t errlen);
/* Wraps caller bytes in a datum after the size bound check. */
int	sec_datum_in(gnutls_datum_t *, const char *pem, size_t len,
	    const char *what, char *err, size_t errlen);

/* --- Ed25519 keys (sec_key.c) --- */

/* Builds a key from a 32-byte RFC 8032 seed; the public half is derived. */
int	sec_key_from_seed(const unsigned char seed[SEC_ED25519_LEN],
	    gnutls_x509_privkey_t *out, char *err, size_t errlen);
/* Parses a PEM private key; refuses anything but a consistent Ed25519. */
int	sec_key_import(const char *pem, size_t len, gnutls_x509_privkey_t *out,
	    char *err, size_t errlen);
/* PKCS#8 (unencrypted) PEM. */
int	sec_key_export(gnutls_x509_privkey_t, struct sec_pem *out,
	    char *err, size_t errlen);
/* Raw public key of a private key. */
int	sec_key_pub(gnutls_x509_privkey_t, unsigned char pub[SEC_ED25519_LEN],
	    char *err, size_t errlen);
/* Raw Ed25519 public key of a certificate (fails for other key types). */
int	sec_crt_pub(gnutls_x509_crt_t, unsigned char pub[SEC_ED25519_LEN],
	    char *err, size_t errlen);
/* Node id of a certificate's key (see sec_identity.h). */
int	sec_crt_node_id(gnutls_x509_crt_t, char *id, char *err, size_t errlen);

/* --- certificates (sec_ca.c) --- */

/* Imports one PEM certificate (exactly one). */
int	sec_crt_import(const char *pem, size_t len, gnutls_x509_crt_t *out,
	    char *err, size_t errlen);
int	sec_crt_export(gnutls_x509_crt_t, struct sec_pem *out,
	    char *err, size_t errlen);

/* Builds and self-signs a CA certificate; deterministic for fixed inputs. */
int	sec_ca_self_sign(gnutls_x509_privkey_t, const char *cn,
	    const unsigned char *serial, size_t serial_len, time_t not_before,
	    time_t not_after, struct sec_pem *cert, char *err, size_t errlen);

/* --- identity internals (sec_identity.c) for sec_tls.c --- */

struct sec_identity;
gnutls_x509_privkey_t	 sec_identity_key(const struct sec_identity *);
/* The chain's handles, leaf first; *n gets the count. */
const gnutls_x509_crt_t	*sec_identity_chain(const struct sec_identity *,
			    unsigned *n);

#endif /* SEC_GNUTLS_H */
