/*
 * sec_ca.h - CA mode: a cluster CA and the node certificates it issues.
 *
 * `exogpu cert init` makes the CA (an Ed25519 key and a self-signed
 * certificate), `exogpu cert issue` signs node certificates with it; a
 * node accepts exactly the peers whose certificate chains to the CA.  The
 * join-secret mode (sec_secret.h) derives a CA from the secret and then
 * uses the same sec_ca_issue().
 *
 * Certificate profile (docs/trust.md has the reasoning, certs/ has
 * certtool templates for the same):
 *   CA:   subject CN "exogpu cluster CA <first 8 chars of its node id>",
 *         basicConstraints CA:TRUE pathlen 0, keyUsage keyCertSign+cRLSign,
 *         random 128-bit serial, validity [now - 5 min, now + days].
 *   node: subject CN = node id, SAN dNSName = name and
 *         URI "exogpu:node:<node id>", basicConstraints CA:FALSE,
 *         keyUsage digitalSignature, extKeyUsage serverAuth+clientAuth,
 *         random 128-bit serial, validity as asked (clamped to the CA's).
 * Everything is Ed25519; times are passed in so callers and tests own the
 * clock.
 */
#ifndef SEC_CA_H
#define SEC_CA_H

#include <stddef.h>
#include <time.h>

#include "sec_pem.h"

#define SEC_CA_DAYS_DEFAULT	3650	/* 10 years */
#define SEC_NODE_DAYS_DEFAULT	365
#define SEC_DAYS_MAX		36500
#define SEC_CLOCK_SKEW		300	/* seconds notBefore is backdated */
#define SEC_NAME_MAX		253	/* a DNS name */

struct sec_ca;

/* A new cluster CA valid from now - SEC_CLOCK_SKEW for days days. */
int	sec_ca_create(time_t now, unsigned days, struct sec_pem *key,
	    struct sec_pem *cert, char *err, size_t errlen);

/*
 * Loads a CA: its private key and its certificate, which must be a CA
 * certificate for that very key, self-signed, Ed25519.
 */
struct sec_ca	*sec_ca_load(const char *key_pem, size_t key_len,
		    const char *cert_pem, size_t cert_len, char *err,
		    size_t errlen);
/* Subject of the CA certificate, e.g. "CN=exogpu cluster CA abcd2345". */
const char	*sec_ca_subject(const struct sec_ca *);
/* The CA certificate as PEM (what nodes use as their trust anchor). */
int		 sec_ca_cert(const struct sec_ca *, struct sec_pem *out,
		    char *err, size_t errlen);
void		 sec_ca_free(struct sec_ca *);

/*
 * Issues a node certificate for the key in node_key_pem, named name (a
 * DNS name, see sec_name_valid), valid [not_before, not_after] - the end
 * is clamped to the CA's own expiry.
 */
int	sec_ca_issue(const struct sec_ca *, const char *node_key_pem,
	    size_t key_len, const char *name, time_t not_before,
	    time_t not_after, struct sec_pem *cert, char *err, size_t errlen);

/* 1 if s is a DNS name: 1..253 chars, labels of [A-Za-z0-9-] 1..63. */
int	sec_name_valid(const char *s);

#endif /* SEC_CA_H */
