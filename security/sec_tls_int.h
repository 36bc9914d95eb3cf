/*
 * sec_tls_int.h - sec_tls.c's check of the certificates a peer presents,
 * exported only so its fuzz harness (tests/fuzz/fuzz_tls_chain.c) runs
 * the code the handshake runs; not an API.
 */
#ifndef SEC_TLS_INT_H
#define SEC_TLS_INT_H

#include <gnutls/gnutls.h>

/*
 * The peer's chain as GnuTLS hands it over (DER, leaf first, n certs):
 * every certificate Ed25519-signed, the leaf's node id (the hash of its
 * key) into id (SEC_NODE_ID_SIZE), and a subjectAltName URI
 * "exogpu:node:<id>", if the leaf has one, naming that same id.  0, or -1
 * with why.  The chain's signatures and trust are GnuTLS's to check
 * before (check_peer does that first).
 */
int	sec_tls_check_chain(const gnutls_datum_t *list, unsigned n, char *id,
	    char *why, size_t whylen);

#endif /* SEC_TLS_INT_H */
