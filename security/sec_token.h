/*
 * sec_token.h - tenant access tokens: CWT claims (RFC 8392) in a
 * COSE_Sign1 (RFC 9052) signed with Ed25519.
 *
 * Why this shape: a token must be checkable by any agent with nothing but
 * a public key (no call to an issuer), small enough for an HTTP header,
 * and parsed with the same bounded CBOR reader as the wire protocol.
 * COSE/CWT is the standard that gives exactly that; Debian ships no C
 * COSE library, so the few structures are read here with sec_cbor.h.
 *
 * Encoding.  tag 61 (CWT, optional on input) around tag 18 (COSE_Sign1,
 * required) around [protected bstr({1: alg, 4: kid}), unprotected {},
 * payload bstr(claims map), signature bstr(64)].  alg is -8 (EdDSA) or
 * -19 (Ed25519) and is read from the protected header only.  kid is the
 * first SEC_TOKEN_KID_LEN bytes of SHA-256 of the signer's public key
 * (DER SubjectPublicKeyInfo); a verifier tries only the key it names,
 * and every key for a token without one.  A label repeated in either
 * header, or alg in both, makes the token malformed.  The signature
 * covers the CBOR of ["Signature1", protected, h'', payload].  The text
 * form is base64url without padding of the tagged bytes.
 *
 * Claims: iss 1, sub 2 (tenant), aud 3 (cluster id), exp 4, nbf 5, iat 6,
 * cti 7, and private claims (RFC 8392 keys below -65536) listed below.
 * sub, exp and cti are required.  This issuer writes 16 random bytes as
 * cti; another issuer's cti of 1 to SEC_TOKEN_CTI_MAX bytes is accepted,
 * and its token id (the key of revocation and audit) is then the first
 * 16 bytes of SHA-256 of it (cti_hashed says so).
 *
 * Verification is deny by default and reports the FIRST failing check in
 * the order of enum sec_token_result: a token that is both expired and
 * badly signed reports SEC_TOKEN_BAD_SIGNATURE.  Enforcement (which
 * request needs which scope, device selectors, limits) is the agent's.
 */
#ifndef SEC_TOKEN_H
#define SEC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec_pem.h"

#define SEC_TOKEN_MAX_BYTES	8192	/* largest encoded token */
#define SEC_TOKEN_TEXT_MAX	10923	/* base64url of MAX_BYTES, unpadded */
#define SEC_TOKEN_STR_SIZE	128	/* iss, sub, aud, selector + NUL */
#define SEC_TOKEN_MAX_DEVICES	32	/* device selectors */
#define SEC_TOKEN_CTI_LEN	16	/* token id: cti, or a hash of it */
#define SEC_TOKEN_CTI_MAX	64	/* longest cti accepted */
#define SEC_TOKEN_KID_LEN	8	/* kid written: SHA-256 prefix */
#define SEC_TOKEN_KID_MAX	32	/* longest kid accepted */
#define SEC_TOKEN_SIG_LEN	64
#define SEC_TOKEN_MAX_KEYS	8	/* verification keys in one PEM text */

/* COSE algorithm ids accepted (both mean Ed25519 here). */
#define SEC_TOKEN_ALG_EDDSA	(-8)
#define SEC_TOKEN_ALG_ED25519	(-19)

/* CWT claim keys. */
#define SEC_TOKEN_CLAIM_ISS		1
#define SEC_TOKEN_CLAIM_SUB		2
#define SEC_TOKEN_CLAIM_AUD		3
#define SEC_TOKEN_CLAIM_EXP		4
#define SEC_TOKEN_CLAIM_NBF		5
#define SEC_TOKEN_CLAIM_IAT		6
#define SEC_TOKEN_CLAIM_CTI		7
/* Private claims (exogpu). */
#define SEC_TOKEN_CLAIM_SCOPES		(-65537)	/* [text] */
#define SEC_TOKEN_CLAIM_DEVICES		(-65538)	/* [text] */
#define SEC_TOKEN_CLAIM_MAX_DEVICES	(-65539)	/* uint */
#define SEC_TOKEN_CLAIM_MAX_MEMORY	(-65540)	/* uint, bytes */

/* Scopes, as a bit set. */
#define SEC_TOKEN_SCOPE_PLACE	0x1u	/* "place" */
#define SEC_TOKEN_SCOPE_READ	0x2u	/* "read" */
#define SEC_TOKEN_SCOPE_ADMIN	0x4u	/* "admin" */
#define SEC_TOKEN_SCOPE_ISSUE	0x8u	/* "token:issue" */
#define SEC_TOKEN_SCOPE_ALL	0xfu

/*
 * Verification results, in the order the checks run.  Values start at 1
 * so a zeroed variable never reads as OK.
 */
enum sec_token_result {
	SEC_TOKEN_MALFORMED = 1,
	SEC_TOKEN_WRONG_ALGORITHM,
	SEC_TOKEN_BAD_SIGNATURE,
	SEC_TOKEN_NOT_YET_VALID,
	SEC_TOKEN_EXPIRED,
	SEC_TOKEN_WRONG_AUDIENCE,
	SEC_TOKEN_REVOKED,
	SEC_TOKEN_SCOPE_MISSING,
	SEC_TOKEN_OK
};

/*
 * Claims.  Strings are printable ASCII (0x20-0x7e; selectors 0x21-0x7e),
 * "" when absent.  has_* say whether the optional numbers were present.
 */
struct sec_token_claims {
	char		iss[SEC_TOKEN_STR_SIZE];
	char		sub[SEC_TOKEN_STR_SIZE];
	char		aud[SEC_TOKEN_STR_SIZE];
	int64_t		exp;
	int64_t		nbf;
	int64_t		iat;
	bool		has_nbf;
	bool		has_iat;
	uint8_t		cti[SEC_TOKEN_CTI_LEN];	/* the token id */
	bool		cti_hashed;	/* cti was not 16 bytes: hashed */
	unsigned	scopes;			/* SEC_TOKEN_SCOPE_* */
	size_t		ndevices;
	char		devices[SEC_TOKEN_MAX_DEVICES][SEC_TOKEN_STR_SIZE];
	bool		has_max_devices;
	uint64_t	max_devices;
	bool		has_max_memory;
	uint64_t	max_memory_bytes;
};

/* Revocation check: returns true if the token id is revoked. */
typedef bool	(*sec_token_revoked_fn)(const uint8_t *cti, size_t len,
		    void *arg);

/*
 * What a verifier requires besides a good signature.  Times: nbf and iat
 * may not lie more than skew in the future; exp + skew must be in the
 * future; with max_age, iat is required and now - iat may not exceed
 * max_age + skew.
 */
struct sec_token_policy {
	const char		*audience;	/* NULL: any (and none) */
	bool			 aud_optional;	/* a token without aud passes */
	int64_t			 now;		/* Unix seconds */
	int64_t			 skew;		/* seconds of clock slack, >= 0 */
	int64_t			 max_age;	/* seconds since iat; 0: none */
	sec_token_revoked_fn	 revoked;	/* NULL: nothing revoked */
	void			*revoked_arg;
	const char		*scope;		/* NULL: no scope needed */
};

/* "malformed", "wrong algorithm", ..., "ok". */
const char	*sec_token_result_name(enum sec_token_result);

/* Scope name <-> bit; 0 for an unknown name. */
unsigned	 sec_token_scope_bit(const char *name, size_t len);
/* Name of one scope bit, NULL if not exactly one known bit. */
const char	*sec_token_scope_name(unsigned bit);

/*
 * Signs tok with an Ed25519 PKCS#8 PEM key.  The caller fills iss, sub,
 * aud, exp, scopes, devices and limits; issue sets iat = now, nbf = now
 * unless has_nbf, and a random cti, and writes them back into *c.  The
 * result is malloc'd tagged CBOR (tag 61 around tag 18).  0 or -1 + err.
 */
int	sec_token_issue(const char *key_pem, size_t key_len,
	    struct sec_token_claims *c, int64_t now, uint8_t **tok,
	    size_t *tok_len, char *err, size_t errlen);

/*
 * Parsed verification keys: the PEM text of up to SEC_TOKEN_MAX_KEYS
 * Ed25519 "PUBLIC KEY" blocks, imported once so a request costs one
 * signature check, not a PEM parse per key (docs/tokens.md, "Keys").
 * Load returns the number of usable keys, or -1 with err when there is
 * none.
 */
struct sec_token_keys;
int	sec_token_keys_load(const char *pub_pem, size_t pub_len,
	    struct sec_token_keys **out, char *err, size_t errlen);
void	sec_token_keys_free(struct sec_token_keys *);

/* The kid of a public key PEM (SEC_TOKEN_KID_LEN bytes).  0 or -1. */
int	sec_token_kid_of_pub(const char *pub_pem, size_t pub_len,
	    uint8_t kid[SEC_TOKEN_KID_LEN], char *err, size_t errlen);

/* sec_token_verify with keys already loaded (NULL: no usable key). */
enum sec_token_result sec_token_verify_keys(const uint8_t *tok, size_t len,
	    const struct sec_token_keys *keys,
	    const struct sec_token_policy *policy,
	    struct sec_token_claims *out, char *err, size_t errlen);

/*
 * Verifies a token (raw CBOR) against one or more concatenated "BEGIN
 * PUBLIC KEY" PEM blocks (any may have signed it).  On a result from
 * SEC_TOKEN_NOT_YET_VALID onwards the signature was good and *out holds
 * the claims; otherwise *out is zeroed.  err (may be NULL) gets a detail.
 */
enum sec_token_result sec_token_verify(const uint8_t *tok, size_t len,
	    const char *pub_pem, size_t pub_len,
	    const struct sec_token_policy *policy,
	    struct sec_token_claims *out, char *err, size_t errlen);

/*
 * Parses structure and claims WITHOUT checking the signature (for
 * `token inspect` without a key).  Never use the result for access.
 * 0 or -1 + err (the token is malformed).
 */
int	sec_token_decode_unverified(const uint8_t *tok, size_t len,
	    struct sec_token_claims *out, char *err, size_t errlen);

/*
 * Text form: base64url, no padding, of the token bytes.  out gets
 * SEC_TOKEN_TEXT_MAX + 1 bytes at most; returns the length or -1.
 */
int	sec_token_encode_text(const uint8_t *tok, size_t len, char *out,
	    size_t outsize);
/*
 * Either form back to raw bytes: raw CBOR (starts with a tag byte) is
 * copied, text is base64url-decoded (surrounding whitespace ignored).
 * out gets SEC_TOKEN_MAX_BYTES at most.  Returns the length or -1.
 */
int	sec_token_decode_text(const uint8_t *in, size_t len, uint8_t *out,
	    size_t outsize);

/* A new signing key (PKCS#8 PEM) and its public key ("PUBLIC KEY" PEM). */
int	sec_token_keygen(struct sec_pem *key, struct sec_pem *pub, char *err,
	    size_t errlen);
/* The public key PEM of a signing key PEM. */
int	sec_token_pub_of_key(const char *key_pem, size_t key_len,
	    struct sec_pem *pub, char *err, size_t errlen);

/*
 * Internal, exposed for the RFC 8032 known-answer test: the Ed25519
 * signature every token uses.  0 or -1 + err.
 */
int	sec_token_sign_bytes(const char *key_pem, size_t key_len,
	    const uint8_t *msg, size_t len, uint8_t sig[SEC_TOKEN_SIG_LEN],
	    char *err, size_t errlen);

#endif /* SEC_TOKEN_H */
