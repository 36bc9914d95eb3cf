/*
 * sec_secret.h - join-secret mode: one random string is a cluster.
 *
 * Text form: "exo1-" then 56 base32 characters (RFC 4648, lowercase) in
 * seven dash-separated groups of eight, 67 characters in all, e.g.
 *   exo1-abcdefgh-ijklmnop-qrstuvwx-yz234567-abcdefgh-ijklmnop-qrstuvwx
 * The 56 characters encode 35 bytes: the 32-byte secret followed by a
 * 3-byte checksum, the first bytes of SHA-256("exogpu secret check v1" ||
 * secret).  A mistyped character is caught with probability 1 - 2^-24;
 * the checksum never leaves the machine.  Parsing ignores case, dashes
 * and surrounding whitespace, and is bounded by SEC_SECRET_INPUT_MAX.
 *
 * Trust: HKDF-SHA256(secret, info "exogpu join-secret CA v1") gives an
 * Ed25519 seed; that key and a certificate built from fixed fields (see
 * sec_secret.c) are the cluster CA, byte-identical on every node.  Each
 * node signs its own certificate with it and peers verify chains to it as
 * in CA mode.  docs/trust.md has the security argument.
 */
#ifndef SEC_SECRET_H
#define SEC_SECRET_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sec_pem.h"

#define SEC_SECRET_BYTES	32
#define SEC_SECRET_PREFIX	"exo1-"
#define SEC_SECRET_TEXT_LEN	67
#define SEC_SECRET_TEXT_SIZE	(SEC_SECRET_TEXT_LEN + 1)
#define SEC_SECRET_INPUT_MAX	256
#define SEC_JOIN_SKEW		(24 * 3600)	/* node cert backdating */

struct sec_secret {
	unsigned char	bytes[SEC_SECRET_BYTES];
};

/* A new secret from gnutls_rnd(GNUTLS_RND_KEY). */
int	sec_secret_generate(struct sec_secret *, char *err, size_t errlen);
/* Text form into text[SEC_SECRET_TEXT_SIZE]. */
void	sec_secret_format(const struct sec_secret *, char *text);
/* Parses and checks the text form; err says what is wrong. */
int	sec_secret_parse(const char *text, size_t len, struct sec_secret *,
	    char *err, size_t errlen);
/* Wipes the secret. */
void	sec_secret_clear(struct sec_secret *);

/* The cluster CA the secret stands for: key and certificate PEM. */
int	sec_secret_derive_ca(const struct sec_secret *, struct sec_pem *key,
	    struct sec_pem *cert, char *err, size_t errlen);
/*
 * A node certificate for node_key_pem named name, signed by the derived
 * CA, valid [now - SEC_JOIN_SKEW, now + SEC_NODE_DAYS_DEFAULT days];
 * ca_cert (optional) gets the derived CA certificate, the trust anchor.
 */
int	sec_secret_issue(const struct sec_secret *, const char *node_key_pem,
	    size_t key_len, const char *name, time_t now,
	    struct sec_pem *node_cert, struct sec_pem *ca_cert, char *err,
	    size_t errlen);

/*
 * Rotation (docs/trust.md, "Rotating the join secret"): a node holding
 * DATA/join-secret.next trusts the CAs of both its secret and the next
 * one until `until`, and from then on only the next one's.  The file is
 * two lines, "<next secret text>\n" and "until=<unix seconds>\n",
 * parsed strictly and bounded by SEC_SECRET_ROTATION_MAX
 * (tests/fuzz/fuzz_rotation.c).
 */
#define SEC_SECRET_ROTATION_MAX	512
int	sec_secret_rotation_parse(const char *buf, size_t len,
	    struct sec_secret *next, int64_t *until, char *err,
	    size_t errlen);
/* The file's text into out (at least SEC_SECRET_ROTATION_MAX bytes). */
int	sec_secret_rotation_format(const struct sec_secret *next,
	    int64_t until, char *out, size_t size);

#endif /* SEC_SECRET_H */
