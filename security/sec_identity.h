/*
 * sec_identity.h - who a node is: an Ed25519 key, its node id, and the
 * certificate chain that vouches for it.
 *
 * Node id.  SHA-256 over the node's raw 32-byte Ed25519 public key, first
 * 16 bytes, RFC 4648 base32 lowercase without padding: 26 characters of
 * [a-z2-7].  It depends on the key only, so a node keeps its id across
 * certificate renewals and in both trust modes, and a peer's id is
 * computed from the certificate it proved possession of in the TLS
 * handshake - never taken from a name it claims.  128 bits make a
 * collision (2^64 work) and a second preimage (2^128) out of reach.
 *
 * Keys travel as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form
 * certtool --key-type=ed25519 and openssl genpkey -algorithm ed25519
 * write; certificates as X.509 PEM.  Everything here works on buffers;
 * reading and writing files is the agent's job.
 */
#ifndef SEC_IDENTITY_H
#define SEC_IDENTITY_H

#include <stddef.h>

#include "sec_pem.h"

#define SEC_NODE_ID_LEN		26			/* characters */
#define SEC_NODE_ID_SIZE	(SEC_NODE_ID_LEN + 1)	/* with the NUL */
#define SEC_NODE_ID_URI_PREFIX	"exogpu:node:"		/* SAN URI form */

struct sec_identity;

/* Node id of a raw Ed25519 public key; id gets SEC_NODE_ID_SIZE bytes. */
void	sec_node_id_from_pub(const unsigned char pub[32], char *id);
/* 1 if s is syntactically a node id (26 chars of [a-z2-7], canonical). */
int	sec_node_id_valid(const char *s);

/* A new Ed25519 private key (random seed from gnutls_rnd GNUTLS_RND_KEY). */
int	sec_identity_generate_key(struct sec_pem *key, char *err,
	    size_t errlen);
/* Node id of a PEM private key. */
int	sec_identity_key_node_id(const char *key_pem, size_t len, char *id,
	    char *err, size_t errlen);
/* Node id of the (first) certificate in PEM text. */
int	sec_identity_cert_node_id(const char *cert_pem, size_t len, char *id,
	    char *err, size_t errlen);
/* Node id of a DER certificate (what a TLS peer sends). */
int	sec_identity_cert_der_node_id(const unsigned char *der, size_t len,
	    char *id, char *err, size_t errlen);

/*
 * Loads a key and its certificate chain (leaf first, at most
 * SEC_CHAIN_MAX certificates).  Refuses a non-Ed25519 key and a leaf
 * certificate whose public key is not the key's.  Does not check dates or
 * the chain's signatures: that is the peers' job, against their anchor.
 */
struct sec_identity *sec_identity_load(const char *key_pem, size_t key_len,
	    const char *chain_pem, size_t chain_len, char *err, size_t errlen);
const char	*sec_identity_node_id(const struct sec_identity *);
void		 sec_identity_free(struct sec_identity *);

#endif /* SEC_IDENTITY_H */
