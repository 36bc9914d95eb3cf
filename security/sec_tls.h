/*
 * sec_tls.h - TLS 1.3 trust glue for the QUIC layer (and any TLS user).
 *
 * The QUIC code owns the gnutls_session_t; this file decides who may be
 * on the other end.  Both trust modes look the same here: an identity
 * (key + certificate chain, sec_identity.h) and a trust anchor (the
 * cluster CA certificate PEM, from `exogpu cert` or derived from the join
 * secret).  A peer is accepted when, inside the handshake:
 *   - it sent an X.509 certificate (servers require one from clients),
 *   - the chain verifies to the anchor (signatures, validity period,
 *     basic constraints) with the key purpose of its role - TLS server
 *     when we are the client, TLS client when we are the server,
 *   - every certificate it sent is signed with Ed25519 and its own key is
 *     Ed25519,
 *   - if its certificate names a node id (SAN URI "exogpu:node:<id>"),
 *     that id is the one computed from its key.
 * Its node id is then sec_tls_peer_node_id(): the hash of the key it
 * proved it holds.  Host names are not checked - peers are identified by
 * node id; a caller that dialled a particular node compares ids.
 *
 * Resumption: a resumed session skips certificate verification, so the
 * peer id is refused for resumed sessions; do not enable resumption (the
 * QUIC layer creates sessions with GNUTLS_NO_TICKETS).
 */
#ifndef SEC_TLS_H
#define SEC_TLS_H

#include <stddef.h>

#include <gnutls/gnutls.h>

#include "sec_identity.h"

/* TLS 1.3 only, no middlebox compatibility mode (RFC 9001 section 8.4). */
#define SEC_TLS_PRIORITY \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE"

enum sec_tls_role {
	SEC_TLS_CLIENT,
	SEC_TLS_SERVER,
};

/*
 * Credentials holding the identity's key and chain and the anchor: one or
 * more CA certificates in PEM (several during a CA rotation), each an
 * Ed25519 CA certificate.  Free with gnutls_certificate_free_credentials.
 */
int	sec_tls_creds_new(const struct sec_identity *, const char *anchor_pem,
	    size_t anchor_len, gnutls_certificate_credentials_t *out,
	    char *err, size_t errlen);

/*
 * Credentials holding only the identity's key and chain, no anchor: for a
 * server that asks for no client certificate (the agent's HTTPS API with
 * --http-tls node).  Free with gnutls_certificate_free_credentials.
 */
int	sec_tls_identity_creds_new(const struct sec_identity *,
	    gnutls_certificate_credentials_t *out, char *err, size_t errlen);

/*
 * Prepares a fresh session for its role: priority SEC_TLS_PRIORITY, the
 * credentials, client certificates required (servers; the CA list is not
 * sent), and the verify function that runs the checks above inside the
 * handshake.  A failed check aborts the handshake with
 * GNUTLS_E_CERTIFICATE_ERROR and a bad_certificate alert.
 */
int	sec_tls_session_setup(gnutls_session_t, gnutls_certificate_credentials_t,
	    enum sec_tls_role, char *err, size_t errlen);

/*
 * The check itself, callable again after the handshake (e.g. to log why a
 * peer was refused).  Returns 0 if the peer is acceptable.  *status gets
 * GnuTLS's verification bits (GNUTLS_CERT_*, 0 if the chain verified or
 * verification did not run); why gets a reason when it returns -1.
 */
int	sec_tls_verify_peer(gnutls_session_t, enum sec_tls_role,
	    unsigned *status, char *why, size_t whylen);

/* The verified peer's node id (SEC_NODE_ID_SIZE bytes into id). */
int	sec_tls_peer_node_id(gnutls_session_t, enum sec_tls_role, char *id,
	    char *err, size_t errlen);

/*
 * One line for the log about a handshake that returned rc: which side
 * refused whom and why (our verification text, the peer's alert, or
 * GnuTLS's error).
 */
void	sec_tls_explain(gnutls_session_t, enum sec_tls_role, int rc, char *buf,
	    size_t len);

#endif /* SEC_TLS_H */
