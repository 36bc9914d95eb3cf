/*
 * sec_token.c - tenant access tokens: CWT in COSE_Sign1 with Ed25519
 * (see sec_token.h for the format and docs/tokens.md for operation).
 *
 * Shaped as: a parser that turns untrusted bytes into a struct cose (all
 * pointers into the caller's buffer, every length bounded by sec_cbor's
 * limits, nothing allocated), a policy walk over it in the order of enum
 * sec_token_result, and a writer that emits the same structure with the
 * deterministic sec_cbor writer.  GnuTLS does the Ed25519 arithmetic; one
 * signing function serves tokens and the RFC 8032 known-answer test.
 */
#include "sec_token.h"
#include "sec_cbor.h"
#include "sec_gnutls.h"
#include "sec_identity.h"

#include <stdlib.h>
#include <string.h>

#define TAG_CWT		61
#define TAG_SIGN1	18
#define COSE_ALG	1
#define COSE_CRIT	2
#define COSE_KID	4
#define MAX_LABELS	64	/* = the map limit of both headers */

/* Outer COSE_Sign1: array, unprotected map, a value nested in it. */
static const struct sec_cbor_limits outer_limits = {
	SEC_TOKEN_MAX_BYTES, 4, 256, SEC_TOKEN_MAX_BYTES, 32, 0
};
/* Protected header and claims: map, arrays in it, a little slack. */
static const struct sec_cbor_limits inner_limits = {
	SEC_TOKEN_MAX_BYTES, 4, 512, SEC_TOKEN_MAX_BYTES, 64, 0
};

enum alg_state { ALG_MISSING = 0, ALG_OK, ALG_WRONG, ALG_UNPROTECTED };

struct cose {
	const uint8_t		*prot;
	size_t			 prot_len;
	const uint8_t		*payload;
	size_t			 payload_len;
	const uint8_t		*sig;
	size_t			 sig_len;
	enum alg_state		 alg;
	int64_t			 alg_id;
	const uint8_t		*kid;		/* protected kid or NULL */
	size_t			 kid_len;
	struct sec_token_claims	 claims;
};

static const char *const result_names[] = {
	[SEC_TOKEN_MALFORMED] = "malformed",
	[SEC_TOKEN_WRONG_ALGORITHM] = "wrong algorithm",
	[SEC_TOKEN_BAD_SIGNATURE] = "bad signature",
	[SEC_TOKEN_NOT_YET_VALID] = "not yet valid",
	[SEC_TOKEN_EXPIRED] = "expired",
	[SEC_TOKEN_WRONG_AUDIENCE] = "wrong audience",
	[SEC_TOKEN_REVOKED] = "revoked",
	[SEC_TOKEN_SCOPE_MISSING] = "scope missing",
	[SEC_TOKEN_OK] = "ok",
};

static const struct {
	const char	*name;
	unsigned	 bit;
} scope_names[] = {
	{ "place",	 SEC_TOKEN_SCOPE_PLACE },
	{ "read",	 SEC_TOKEN_SCOPE_READ },
	{ "admin",	 SEC_TOKEN_SCOPE_ADMIN },
	{ "token:issue", SEC_TOKEN_SCOPE_ISSUE },
};

const char *
sec_token_result_name(enum sec_token_result r)
{
	if (r < SEC_TOKEN_MALFORMED || r > SEC_TOKEN_OK)
		return "unknown";
	return result_names[r];
}

unsigned
sec_token_scope_bit(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof scope_names / sizeof scope_names[0]; i++)
		if (strlen(scope_names[i].name) == len &&
		    memcmp(scope_names[i].name, name, len) == 0)
			return scope_names[i].bit;
	return 0;
}

const char *
sec_token_scope_name(unsigned bit)
{
	size_t	i;

	for (i = 0; i < sizeof scope_names / sizeof scope_names[0]; i++)
		if (scope_names[i].bit == bit)
			return scope_names[i].name;
	return NULL;
}

/* ---- strings ---- */

/* 1 if p[0..n) is 1..SIZE-1 bytes of lo..0x7e. */
static int
str_ok(const char *p, size_t n, unsigned char lo)
{
	size_t	i;

	if (n == 0 || n >= SEC_TOKEN_STR_SIZE)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < lo || (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

static int
read_str(struct sec_cbor_reader *r, char *out, unsigned char lo)
{
	const char	*p;
	size_t		 n;

	if (sec_cbor_read_text(r, &p, &n) < 0 || !str_ok(p, n, lo))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* ---- parsing ---- */

/* Next element of a definite or indefinite container: 1, 0 (end), -1. */
static int
next_elem(struct sec_cbor_reader *r, uint64_t *left)
{
	int	b;

	if (*left == SEC_CBOR_INDEF) {
		if ((b = sec_cbor_at_break(r)) < 0)
			return -1;
		return b ? 0 : 1;
	}
	if (*left == 0)
		return 0;
	(*left)--;
	return 1;
}

/* A map key that is an integer: 1 and *k; 0 for another type; -1. */
static int
read_int_key(struct sec_cbor_reader *r, int64_t *k)
{
	enum sec_cbor_type	t = sec_cbor_peek(r);

	if (t == SEC_CBOR_T_UINT || t == SEC_CBOR_T_NINT) {
		if (sec_cbor_read_int64(r, k) < 0)
			return -1;
		return 1;
	}
	if (t == SEC_CBOR_T_TEXT)
		return sec_cbor_skip(r) < 0 ? -1 : 0;
	return -1;
}

/* Header labels seen so far, to refuse a repeated one. */
struct labels {
	size_t	n;
	struct {
		int64_t		 i;
		const char	*t;	/* text label, or NULL */
		size_t		 tlen;
	} l[MAX_LABELS];
};

/*
 * Reads a header label (integer or text) and records it: 1 for an
 * integer (*k), 0 for text, -1 if malformed, repeated or too many.
 */
static int
read_label(struct sec_cbor_reader *r, struct labels *ls, int64_t *k,
    const char **why)
{
	enum sec_cbor_type	 t = sec_cbor_peek(r);
	const char		*p = NULL;
	size_t			 n = 0, i;

	*why = "bad header label";
	if (t == SEC_CBOR_T_UINT || t == SEC_CBOR_T_NINT) {
		if (sec_cbor_read_int64(r, k) < 0)
			return -1;
	} else if (t == SEC_CBOR_T_TEXT) {
		if (sec_cbor_read_text(r, &p, &n) < 0)
			return -1;
	} else
		return -1;
	for (i = 0; i < ls->n; i++)
		if (p == NULL ? ls->l[i].t == NULL && ls->l[i].i == *k :
		    ls->l[i].t != NULL && ls->l[i].tlen == n &&
		    memcmp(ls->l[i].t, p, n) == 0) {
			*why = "header label repeated";
			return -1;
		}
	if (ls->n == MAX_LABELS)
		return -1;
	ls->l[ls->n].i = p == NULL ? *k : 0;
	ls->l[ls->n].t = p;
	ls->l[ls->n].tlen = n;
	ls->n++;
	return p == NULL;
}

static int
parse_scopes(struct sec_cbor_reader *r, struct sec_token_claims *c)
{
	const char	*p;
	size_t		 n;
	uint64_t	 left;
	unsigned	 bit;
	int		 more;

	if (sec_cbor_read_array(r, &left) < 0)
		return -1;
	while ((more = next_elem(r, &left)) == 1) {
		if (sec_cbor_read_text(r, &p, &n) < 0)
			return -1;
		if ((bit = sec_token_scope_bit(p, n)) == 0)
			return -1;
		c->scopes |= bit;
	}
	return more;
}

static int
parse_devices(struct sec_cbor_reader *r, struct sec_token_claims *c)
{
	uint64_t	left;
	int		more;

	if (sec_cbor_read_array(r, &left) < 0)
		return -1;
	while ((more = next_elem(r, &left)) == 1) {
		if (c->ndevices == SEC_TOKEN_MAX_DEVICES ||
		    read_str(r, c->devices[c->ndevices], 0x21) < 0)
			return -1;
		c->ndevices++;
	}
	return more;
}

/*
 * cti: ours are 16 bytes and are the token id; another issuer's of 1 to
 * SEC_TOKEN_CTI_MAX bytes is hashed into one (sec_token.h).
 */
static int
read_cti(struct sec_cbor_reader *r, struct sec_token_claims *c)
{
	const uint8_t	*p;
	uint8_t		 d[32];
	size_t		 n;

	if (sec_cbor_read_bytes(r, &p, &n) < 0 || n == 0 ||
	    n > SEC_TOKEN_CTI_MAX)
		return -1;
	if (n == SEC_TOKEN_CTI_LEN) {
		memcpy(c->cti, p, n);
		return 0;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, d) < 0)
		return -1;
	memcpy(c->cti, d, SEC_TOKEN_CTI_LEN);
	c->cti_hashed = true;
	return 0;
}

static int
parse_claim(struct sec_cbor_reader *r, int64_t key, struct sec_token_claims *c)
{
	switch (key) {
	case SEC_TOKEN_CLAIM_ISS:
		return read_str(r, c->iss, 0x20);
	case SEC_TOKEN_CLAIM_SUB:
		return read_str(r, c->sub, 0x20);
	case SEC_TOKEN_CLAIM_AUD:
		return read_str(r, c->aud, 0x20);
	case SEC_TOKEN_CLAIM_EXP:
		return sec_cbor_read_int64(r, &c->exp);
	case SEC_TOKEN_CLAIM_NBF:
		c->has_nbf = true;
		return sec_cbor_read_int64(r, &c->nbf);
	case SEC_TOKEN_CLAIM_IAT:
		c->has_iat = true;
		return sec_cbor_read_int64(r, &c->iat);
	case SEC_TOKEN_CLAIM_CTI:
		return read_cti(r, c);
	case SEC_TOKEN_CLAIM_SCOPES:
		return parse_scopes(r, c);
	case SEC_TOKEN_CLAIM_DEVICES:
		return parse_devices(r, c);
	case SEC_TOKEN_CLAIM_MAX_DEVICES:
		c->has_max_devices = true;
		return sec_cbor_read_uint(r, &c->max_devices);
	case SEC_TOKEN_CLAIM_MAX_MEMORY:
		c->has_max_memory = true;
		return sec_cbor_read_uint(r, &c->max_memory_bytes);
	default:
		return sec_cbor_skip(r);	/* unknown claims are ignored */
	}
}

/* Bit of a known claim for duplicate detection, 0 for others. */
static unsigned
claim_bit(int64_t key)
{
	if (key >= SEC_TOKEN_CLAIM_ISS && key <= SEC_TOKEN_CLAIM_CTI)
		return 1u << key;
	if (key <= SEC_TOKEN_CLAIM_SCOPES && key >= SEC_TOKEN_CLAIM_MAX_MEMORY)
		return 1u << (8 + (SEC_TOKEN_CLAIM_SCOPES - key));
	return 0;
}

static int
parse_claims(const uint8_t *buf, size_t len, struct sec_token_claims *c,
    char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		left;
	int64_t			key;
	unsigned		seen = 0, bit;
	int			more, k;

	memset(c, 0, sizeof *c);
	if (sec_cbor_reader_init(&r, buf, len, &inner_limits) < 0 ||
	    sec_cbor_read_map(&r, &left) < 0)
		return sec_err(err, errlen, "claims are not a CBOR map");
	while ((more = next_elem(&r, &left)) == 1) {
		if ((k = read_int_key(&r, &key)) < 0)
			return sec_err(err, errlen, "bad claim key");
		if (k == 0) {
			if (sec_cbor_skip(&r) < 0)
				return sec_err(err, errlen, "bad claim");
			continue;
		}
		if ((bit = claim_bit(key)) != 0) {
			if (seen & bit)
				return sec_err(err, errlen, "claim %lld "
				    "repeated", (long long)key);
			seen |= bit;
		}
		if (parse_claim(&r, key, c) < 0)
			return sec_err(err, errlen, "claim %lld is invalid",
			    (long long)key);
	}
	if (more < 0 || sec_cbor_reader_done(&r) < 0)
		return sec_err(err, errlen, "claims map is malformed");
	if (!(seen & claim_bit(SEC_TOKEN_CLAIM_SUB)) ||
	    !(seen & claim_bit(SEC_TOKEN_CLAIM_EXP)) ||
	    !(seen & claim_bit(SEC_TOKEN_CLAIM_CTI)))
		return sec_err(err, errlen, "sub, exp and cti are required");
	return 0;
}

/* Protected header: {1: alg, ...}; crit is refused (we know no extension). */
static int
parse_protected(struct cose *c, char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	struct labels		ls;
	enum sec_cbor_type	t;
	uint64_t		left, arg;
	int64_t			key;
	const char		*why;
	int			more, k;

	if (c->prot_len == 0)
		return 0;	/* empty map, RFC 9052 section 3 */
	ls.n = 0;
	if (sec_cbor_reader_init(&r, c->prot, c->prot_len,
	    &inner_limits) < 0 || sec_cbor_read_map(&r, &left) < 0)
		return sec_err(err, errlen, "protected header is not a map");
	while ((more = next_elem(&r, &left)) == 1) {
		if ((k = read_label(&r, &ls, &key, &why)) < 0)
			return sec_err(err, errlen, "protected header: %s",
			    why);
		if (k == 0) {
			if (sec_cbor_skip(&r) < 0)
				return sec_err(err, errlen, "bad header");
			continue;
		}
		if (key == COSE_CRIT)
			return sec_err(err, errlen, "critical header "
			    "parameters are not supported");
		if (key == COSE_KID) {
			if (sec_cbor_peek(&r) != SEC_CBOR_T_BYTES ||
			    sec_cbor_read_bytes(&r, &c->kid, &c->kid_len) < 0 ||
			    c->kid_len == 0 || c->kid_len > SEC_TOKEN_KID_MAX)
				return sec_err(err, errlen, "kid is not 1-%d "
				    "bytes", SEC_TOKEN_KID_MAX);
			continue;
		}
		if (key != COSE_ALG) {
			if (sec_cbor_skip(&r) < 0)
				return sec_err(err, errlen, "bad header");
			continue;
		}
		t = sec_cbor_peek(&r);
		if (t == SEC_CBOR_T_UINT) {
			if (sec_cbor_read_uint(&r, &arg) < 0)
				return sec_err(err, errlen, "bad alg");
			c->alg_id = arg > INT64_MAX ? INT64_MAX :
			    (int64_t)arg;
			c->alg = ALG_WRONG;
		} else if (t == SEC_CBOR_T_NINT) {
			if (sec_cbor_read_nint(&r, &arg) < 0)
				return sec_err(err, errlen, "bad alg");
			c->alg_id = arg > INT64_MAX ? INT64_MIN :
			    -1 - (int64_t)arg;
			c->alg = (c->alg_id == SEC_TOKEN_ALG_EDDSA ||
			    c->alg_id == SEC_TOKEN_ALG_ED25519) ? ALG_OK :
			    ALG_WRONG;
		} else if (t == SEC_CBOR_T_TEXT) {
			if (sec_cbor_skip(&r) < 0)
				return sec_err(err, errlen, "bad alg");
			c->alg = ALG_WRONG;
		} else
			return sec_err(err, errlen, "alg is not an integer "
			    "or text");
	}
	if (more < 0 || sec_cbor_reader_done(&r) < 0)
		return sec_err(err, errlen, "protected header is malformed");
	return 0;
}

/* Unprotected header: alg here only marks the token; crit is refused. */
static int
parse_unprotected(struct sec_cbor_reader *r, int *has_alg, char *err,
    size_t errlen)
{
	struct labels	ls;
	uint64_t	left;
	int64_t		key;
	const char	*why;
	int		more, k;

	*has_alg = 0;
	ls.n = 0;
	if (sec_cbor_read_map(r, &left) < 0)
		return sec_err(err, errlen, "unprotected header is not a map");
	while ((more = next_elem(r, &left)) == 1) {
		if ((k = read_label(r, &ls, &key, &why)) < 0)
			return sec_err(err, errlen, "unprotected header: %s",
			    why);
		if (k == 1 && key == COSE_CRIT)
			return sec_err(err, errlen, "crit must be protected");
		if (k == 1 && key == COSE_ALG)
			*has_alg = 1;
		if (sec_cbor_skip(r) < 0)
			return sec_err(err, errlen, "bad header value");
	}
	return more < 0 ? sec_err(err, errlen, "bad unprotected header") : 0;
}

static int
parse_cose(const uint8_t *tok, size_t len, struct cose *c, char *err,
    size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		tag, n;
	int			unprot_alg;

	memset(c, 0, sizeof *c);
	if (tok == NULL || len == 0)
		return sec_err(err, errlen, "empty token");
	if (len > SEC_TOKEN_MAX_BYTES)
		return sec_err(err, errlen, "token larger than %u bytes",
		    SEC_TOKEN_MAX_BYTES);
	if (sec_cbor_reader_init(&r, tok, len, &outer_limits) < 0)
		return sec_err(err, errlen, "not one CBOR item: %s",
		    sec_cbor_reader_msg(&r));
	if (sec_cbor_read_tag(&r, &tag) < 0)
		return sec_err(err, errlen, "not a tagged COSE_Sign1");
	if (tag == TAG_CWT && sec_cbor_read_tag(&r, &tag) < 0)
		return sec_err(err, errlen, "CWT tag without COSE tag");
	if (tag != TAG_SIGN1)
		return sec_err(err, errlen, "tag %llu is not COSE_Sign1 (18)",
		    (unsigned long long)tag);
	if (sec_cbor_read_array(&r, &n) < 0 || n != 4)
		return sec_err(err, errlen, "COSE_Sign1 is not a 4-array");
	if (sec_cbor_read_bytes(&r, &c->prot, &c->prot_len) < 0)
		return sec_err(err, errlen, "protected header not a bstr");
	if (parse_unprotected(&r, &unprot_alg, err, errlen) < 0)
		return -1;
	if (sec_cbor_peek(&r) != SEC_CBOR_T_BYTES ||
	    sec_cbor_read_bytes(&r, &c->payload, &c->payload_len) < 0)
		return sec_err(err, errlen, "payload is not a bstr");
	if (sec_cbor_read_bytes(&r, &c->sig, &c->sig_len) < 0)
		return sec_err(err, errlen, "signature is not a bstr");
	if (sec_cbor_reader_done(&r) < 0)
		return sec_err(err, errlen, "trailing data");
	if (parse_protected(c, err, errlen) < 0)
		return -1;
	if (unprot_alg) {
		if (c->alg != ALG_MISSING)
			return sec_err(err, errlen, "alg in both headers");
		c->alg = ALG_UNPROTECTED;
	}
	return parse_claims(c->payload, c->payload_len, &c->claims, err,
	    errlen);
}

/* ---- signing and verification ---- */

/* CBOR of ["Signature1", protected, h'', payload] into a dynamic writer. */
static int
sig_structure(struct sec_cbor_writer *w, const uint8_t *prot,
    size_t prot_len, const uint8_t *payload, size_t payload_len)
{
	sec_cbor_writer_dynamic(w, 2 * SEC_TOKEN_MAX_BYTES + 64);
	(void)sec_cbor_write_array(w, 4);
	(void)sec_cbor_write_cstr(w, "Signature1");
	(void)sec_cbor_write_bytes(w, prot, prot_len);
	(void)sec_cbor_write_bytes(w, "", 0);
	(void)sec_cbor_write_bytes(w, payload, payload_len);
	return sec_cbor_writer_error(w) != 0 ? -1 : 0;
}

static int
privkey_load(const char *key_pem, size_t key_len, gnutls_privkey_t *out,
    char *err, size_t errlen)
{
	gnutls_x509_privkey_t	x;
	gnutls_privkey_t	pk;
	int			rc;

	if (sec_key_import(key_pem, key_len, &x, err, errlen) < 0)
		return -1;
	if ((rc = gnutls_privkey_init(&pk)) < 0) {
		gnutls_x509_privkey_deinit(x);
		return sec_gnutls_err(err, errlen, "privkey init", rc);
	}
	rc = gnutls_privkey_import_x509(pk, x,
	    GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (rc < 0) {
		gnutls_privkey_deinit(pk);
		gnutls_x509_privkey_deinit(x);
		return sec_gnutls_err(err, errlen, "privkey import", rc);
	}
	*out = pk;
	return 0;
}

int
sec_token_sign_bytes(const char *key_pem, size_t key_len, const uint8_t *msg,
    size_t len, uint8_t sig[SEC_TOKEN_SIG_LEN], char *err, size_t errlen)
{
	gnutls_privkey_t	pk;
	gnutls_datum_t		d, s = { NULL, 0 };
	int			rc;

	if (len > 2 * SEC_TOKEN_MAX_BYTES + 64)
		return sec_err(err, errlen, "message too large");
	if (privkey_load(key_pem, key_len, &pk, err, errlen) < 0)
		return -1;
	d.data = (unsigned char *)(uintptr_t)msg;
	d.size = (unsigned)len;
	rc = gnutls_privkey_sign_data2(pk, GNUTLS_SIGN_EDDSA_ED25519, 0, &d,
	    &s);
	gnutls_privkey_deinit(pk);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "Ed25519 sign", rc);
	rc = 0;
	if (s.size != SEC_TOKEN_SIG_LEN)
		rc = sec_err(err, errlen, "signature of %u bytes", s.size);
	else
		memcpy(sig, s.data, SEC_TOKEN_SIG_LEN);
	gnutls_free(s.data);
	return rc;
}

/* Start of needle in hay[0..n), or NULL. */
static const char *
find(const char *hay, size_t n, const char *needle)
{
	size_t	m = strlen(needle), i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

#define PUB_BEGIN	"-----BEGIN PUBLIC KEY-----"
#define PUB_END		"-----END PUBLIC KEY-----"

struct sec_token_keys {
	size_t		n;
	gnutls_pubkey_t	key[SEC_TOKEN_MAX_KEYS];
	uint8_t		kid[SEC_TOKEN_MAX_KEYS][SEC_TOKEN_KID_LEN];
};

static int
kid_of(gnutls_pubkey_t k, uint8_t kid[SEC_TOKEN_KID_LEN])
{
	gnutls_datum_t	d = { NULL, 0 };
	uint8_t		h[32];
	int		rc;

	if (gnutls_pubkey_export2(k, GNUTLS_X509_FMT_DER, &d) < 0)
		return -1;
	rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, d.data, d.size, h);
	gnutls_free(d.data);
	if (rc < 0)
		return -1;
	memcpy(kid, h, SEC_TOKEN_KID_LEN);
	return 0;
}

void
sec_token_keys_free(struct sec_token_keys *ks)
{
	size_t	i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		gnutls_pubkey_deinit(ks->key[i]);
	free(ks);
}

/* One PEM block into ks if it is an Ed25519 public key. */
static void
keys_add(struct sec_token_keys *ks, const char *b, size_t len)
{
	gnutls_pubkey_t	key;
	gnutls_datum_t	d;

	d.data = (unsigned char *)(uintptr_t)b;
	d.size = (unsigned)len;
	if (gnutls_pubkey_init(&key) < 0)
		return;
	if (gnutls_pubkey_import(key, &d, GNUTLS_X509_FMT_PEM) >= 0 &&
	    gnutls_pubkey_get_pk_algorithm(key, NULL) ==
	    GNUTLS_PK_EDDSA_ED25519 && kid_of(key, ks->kid[ks->n]) == 0) {
		ks->key[ks->n++] = key;
		return;
	}
	gnutls_pubkey_deinit(key);
}

int
sec_token_keys_load(const char *pem, size_t pem_len,
    struct sec_token_keys **out, char *err, size_t errlen)
{
	struct sec_token_keys	*ks;
	const char		*p = pem, *b, *e;
	size_t			 left = pem_len;

	*out = NULL;
	if (pem == NULL || pem_len > SEC_PEM_MAX)
		return sec_err(err, errlen, "no usable verification key");
	if ((ks = calloc(1, sizeof *ks)) == NULL)
		return sec_err(err, errlen, "out of memory");
	while (ks->n < SEC_TOKEN_MAX_KEYS &&
	    (b = find(p, left, PUB_BEGIN)) != NULL &&
	    (e = find(b, left - (size_t)(b - p), PUB_END)) != NULL) {
		e += strlen(PUB_END);
		keys_add(ks, b, (size_t)(e - b));
		left -= (size_t)(e - p);
		p = e;
	}
	if (ks->n == 0) {
		sec_token_keys_free(ks);
		return sec_err(err, errlen, "no usable Ed25519 verification "
		    "key");
	}
	*out = ks;
	return (int)ks->n;
}

int
sec_token_kid_of_pub(const char *pub_pem, size_t pub_len,
    uint8_t kid[SEC_TOKEN_KID_LEN], char *err, size_t errlen)
{
	struct sec_token_keys	*ks;

	if (sec_token_keys_load(pub_pem, pub_len, &ks, err, errlen) < 0)
		return -1;
	memcpy(kid, ks->kid[0], SEC_TOKEN_KID_LEN);
	sec_token_keys_free(ks);
	return 0;
}

/*
 * 1 if a key verifies sig over msg: the one kid names when the token
 * has a kid (none matching: refused), every key otherwise.
 */
static int
verify_any(const struct sec_token_keys *ks, const uint8_t *kid,
    size_t kid_len, const gnutls_datum_t *msg, const gnutls_datum_t *sig,
    char *err, size_t errlen)
{
	size_t	i, tried = 0;

	if (ks == NULL || ks->n == 0) {
		(void)sec_err(err, errlen, "no usable Ed25519 verification "
		    "key");
		return 0;
	}
	for (i = 0; i < ks->n; i++) {
		if (kid != NULL && (kid_len != SEC_TOKEN_KID_LEN ||
		    memcmp(kid, ks->kid[i], SEC_TOKEN_KID_LEN) != 0))
			continue;
		tried++;
		if (gnutls_pubkey_verify_data2(ks->key[i],
		    GNUTLS_SIGN_EDDSA_ED25519, 0, msg, sig) >= 0)
			return 1;
	}
	if (tried == 0)
		(void)sec_err(err, errlen, "no verification key has the "
		    "token's kid");
	else
		(void)sec_err(err, errlen, "signature does not verify with "
		    "%zu key(s)", tried);
	return 0;
}

/* 1 if a > b + skew, without overflow (skew >= 0). */
static int
after(int64_t a, int64_t b, int64_t skew)
{
	if (a <= b)
		return 0;
	return (uint64_t)a - (uint64_t)b > (uint64_t)skew;
}

/* 1 if now >= exp + skew, without overflow (skew >= 0). */
static int
expired(int64_t exp, int64_t now, int64_t skew)
{
	if (now < exp)
		return 0;
	return (uint64_t)now - (uint64_t)exp >= (uint64_t)skew;
}

/* Time checks after a good signature (sec_token_policy). */
static enum sec_token_result
check_times(const struct sec_token_claims *cl,
    const struct sec_token_policy *pol, char *err, size_t errlen)
{
	int64_t	skew = pol->skew < 0 ? 0 : pol->skew;

	if (cl->has_nbf && after(cl->nbf, pol->now, skew)) {
		(void)sec_err(err, errlen, "valid from %lld",
		    (long long)cl->nbf);
		return SEC_TOKEN_NOT_YET_VALID;
	}
	if (cl->has_iat && after(cl->iat, pol->now, skew)) {
		(void)sec_err(err, errlen, "issued in the future (iat %lld)",
		    (long long)cl->iat);
		return SEC_TOKEN_NOT_YET_VALID;
	}
	if (expired(cl->exp, pol->now, skew)) {
		(void)sec_err(err, errlen, "expired at %lld",
		    (long long)cl->exp);
		return SEC_TOKEN_EXPIRED;
	}
	if (pol->max_age > 0 && !cl->has_iat) {
		(void)sec_err(err, errlen, "no iat: the maximum token age "
		    "(%lld s) cannot be checked", (long long)pol->max_age);
		return SEC_TOKEN_EXPIRED;
	}
	if (pol->max_age > 0 && after(pol->now, cl->iat,
	    pol->max_age > INT64_MAX - skew ? INT64_MAX : pol->max_age + skew)) {
		(void)sec_err(err, errlen, "older than the maximum token age "
		    "(%lld s; issued %lld)", (long long)pol->max_age,
		    (long long)cl->iat);
		return SEC_TOKEN_EXPIRED;
	}
	return SEC_TOKEN_OK;
}

enum sec_token_result
sec_token_verify(const uint8_t *tok, size_t len, const char *pub_pem,
    size_t pub_len, const struct sec_token_policy *pol,
    struct sec_token_claims *out, char *err, size_t errlen)
{
	struct sec_token_keys	*ks = NULL;
	enum sec_token_result	 res;

	(void)sec_token_keys_load(pub_pem, pub_len, &ks, NULL, 0);
	res = sec_token_verify_keys(tok, len, ks, pol, out, err, errlen);
	sec_token_keys_free(ks);
	return res;
}

enum sec_token_result
sec_token_verify_keys(const uint8_t *tok, size_t len,
    const struct sec_token_keys *ks, const struct sec_token_policy *pol,
    struct sec_token_claims *out, char *err, size_t errlen)
{
	struct cose		*c;
	struct sec_cbor_writer	 w;
	gnutls_datum_t		 msg, sig;
	enum sec_token_result	 res;
	const struct sec_token_claims *cl;
	unsigned		 bit;
	int			 ok;

	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (pol == NULL) {
		(void)sec_err(err, errlen, "no policy");
		return SEC_TOKEN_MALFORMED;
	}
	if ((c = malloc(sizeof *c)) == NULL) {
		(void)sec_err(err, errlen, "out of memory");
		return SEC_TOKEN_MALFORMED;
	}
	if (parse_cose(tok, len, c, err, errlen) < 0) {
		res = SEC_TOKEN_MALFORMED;
		goto done;
	}
	if (c->alg != ALG_OK) {
		(void)sec_err(err, errlen, c->alg == ALG_MISSING ?
		    "no alg in the protected header" :
		    c->alg == ALG_UNPROTECTED ? "alg only in the unprotected "
		    "header" : "alg %lld is not EdDSA/Ed25519",
		    (long long)c->alg_id);
		res = SEC_TOKEN_WRONG_ALGORITHM;
		goto done;
	}
	if (sig_structure(&w, c->prot, c->prot_len, c->payload,
	    c->payload_len) < 0) {
		sec_cbor_writer_release(&w);
		(void)sec_err(err, errlen, "cannot build Sig_structure");
		res = SEC_TOKEN_MALFORMED;
		goto done;
	}
	msg.data = (unsigned char *)(uintptr_t)sec_cbor_writer_data(&w);
	msg.size = (unsigned)sec_cbor_writer_len(&w);
	sig.data = (unsigned char *)(uintptr_t)c->sig;
	sig.size = (unsigned)c->sig_len;
	ok = c->sig_len == SEC_TOKEN_SIG_LEN &&
	    verify_any(ks, c->kid, c->kid_len, &msg, &sig, err, errlen);
	sec_cbor_writer_release(&w);
	if (!ok) {
		if (c->sig_len != SEC_TOKEN_SIG_LEN)
			(void)sec_err(err, errlen, "signature is %zu bytes",
			    c->sig_len);
		res = SEC_TOKEN_BAD_SIGNATURE;
		goto done;
	}
	cl = &c->claims;
	if (out != NULL)
		*out = *cl;
	if ((res = check_times(cl, pol, err, errlen)) != SEC_TOKEN_OK)
		goto done;
	if (pol->audience != NULL && pol->audience[0] != '\0' &&
	    !(pol->aud_optional && cl->aud[0] == '\0') &&
	    strcmp(cl->aud, pol->audience) != 0) {
		(void)sec_err(err, errlen, "audience '%s' is not '%s'",
		    cl->aud, pol->audience);
		res = SEC_TOKEN_WRONG_AUDIENCE;
	} else if (pol->revoked != NULL &&
	    pol->revoked(cl->cti, SEC_TOKEN_CTI_LEN, pol->revoked_arg)) {
		(void)sec_err(err, errlen, "token id is revoked");
		res = SEC_TOKEN_REVOKED;
	} else if (pol->scope != NULL && ((bit = sec_token_scope_bit(
	    pol->scope, strlen(pol->scope))) == 0 ||
	    (cl->scopes & bit) == 0)) {
		(void)sec_err(err, errlen, "scope '%s' not granted",
		    pol->scope);
		res = SEC_TOKEN_SCOPE_MISSING;
	} else
		res = SEC_TOKEN_OK;
done:
	memset(c, 0, sizeof *c);
	free(c);
	return res;
}

int
sec_token_decode_unverified(const uint8_t *tok, size_t len,
    struct sec_token_claims *out, char *err, size_t errlen)
{
	struct cose	*c;
	int		 rc;

	memset(out, 0, sizeof *out);
	if ((c = malloc(sizeof *c)) == NULL)
		return sec_err(err, errlen, "out of memory");
	if ((rc = parse_cose(tok, len, c, err, errlen)) == 0)
		*out = c->claims;
	free(c);
	return rc;
}

/* ---- issuing ---- */

static int
claims_check(const struct sec_token_claims *c, int64_t now, char *err,
    size_t errlen)
{
	size_t	i;

	if (!str_ok(c->sub, strlen(c->sub), 0x20))
		return sec_err(err, errlen, "sub must be 1-%d printable "
		    "characters", SEC_TOKEN_STR_SIZE - 1);
	if ((c->iss[0] != '\0' && !str_ok(c->iss, strlen(c->iss), 0x20)) ||
	    (c->aud[0] != '\0' && !str_ok(c->aud, strlen(c->aud), 0x20)))
		return sec_err(err, errlen, "iss/aud must be printable");
	if (c->exp <= now)
		return sec_err(err, errlen, "exp is not in the future");
	if ((c->scopes & ~SEC_TOKEN_SCOPE_ALL) != 0)
		return sec_err(err, errlen, "unknown scope bits");
	if (c->ndevices > SEC_TOKEN_MAX_DEVICES)
		return sec_err(err, errlen, "more than %d device selectors",
		    SEC_TOKEN_MAX_DEVICES);
	for (i = 0; i < c->ndevices; i++)
		if (!str_ok(c->devices[i], strlen(c->devices[i]), 0x21))
			return sec_err(err, errlen, "device selector %zu is "
			    "empty, too long or has spaces", i + 1);
	return 0;
}

static void
write_claims(struct sec_cbor_writer *w, const struct sec_token_claims *c)
{
	uint64_t	pairs = 5;	/* sub exp nbf iat cti */
	unsigned	bit;
	size_t		i, nscopes = 0;

	for (bit = 1; bit <= SEC_TOKEN_SCOPE_ALL; bit <<= 1)
		nscopes += (c->scopes & bit) != 0;
	pairs += (c->iss[0] != '\0') + (c->aud[0] != '\0') + (nscopes > 0) +
	    (c->ndevices > 0) + c->has_max_devices + c->has_max_memory;
	(void)sec_cbor_write_map(w, pairs);
	if (c->iss[0] != '\0') {
		(void)sec_cbor_write_uint(w, SEC_TOKEN_CLAIM_ISS);
		(void)sec_cbor_write_cstr(w, c->iss);
	}
	(void)sec_cbor_write_uint(w, SEC_TOKEN_CLAIM_SUB);
	(void)sec_cbor_write_cstr(w, c->sub);
	if (c->aud[0] != '\0') {
		(void)sec_cbor_write_uint(w, SEC_TOKEN_CLAIM_AUD);
		(void)sec_cbor_write_cstr(w, c->aud);
	}
	(void)sec_cbor_write_uint(w, SEC_TOKEN_CLAIM_EXP);
	(void)sec_cbor_write_int64(w, c->exp);
	(void)sec_cbor_write_uint(w, SEC_TOKEN_CLAIM_NBF);
	(void)sec_cbor_write_int64(w, c->nbf);
	(void)sec_cbor_write_uint(w, SEC_TOKEN_CLAIM_IAT);
	(void)sec_cbor_write_int64(w, c->iat);
	(void)sec_cbor_write_uint(w, SEC_TOKEN_CLAIM_CTI);
	(void)sec_cbor_write_bytes(w, c->cti, SEC_TOKEN_CTI_LEN);
	/* private keys: -65537 > -65538 > ..., i.e. ascending arguments */
	if (nscopes > 0) {
		(void)sec_cbor_write_int64(w, SEC_TOKEN_CLAIM_SCOPES);
		(void)sec_cbor_write_array(w, nscopes);
		for (bit = 1; bit <= SEC_TOKEN_SCOPE_ALL; bit <<= 1)
			if (c->scopes & bit)
				(void)sec_cbor_write_cstr(w,
				    sec_token_scope_name(bit));
	}
	if (c->ndevices > 0) {
		(void)sec_cbor_write_int64(w, SEC_TOKEN_CLAIM_DEVICES);
		(void)sec_cbor_write_array(w, c->ndevices);
		for (i = 0; i < c->ndevices; i++)
			(void)sec_cbor_write_cstr(w, c->devices[i]);
	}
	if (c->has_max_devices) {
		(void)sec_cbor_write_int64(w, SEC_TOKEN_CLAIM_MAX_DEVICES);
		(void)sec_cbor_write_uint(w, c->max_devices);
	}
	if (c->has_max_memory) {
		(void)sec_cbor_write_int64(w, SEC_TOKEN_CLAIM_MAX_MEMORY);
		(void)sec_cbor_write_uint(w, c->max_memory_bytes);
	}
}

/* The public half of a PEM signing key (deinit it when done). */
static int
pub_of_key(const char *key_pem, size_t key_len, gnutls_pubkey_t *out,
    char *err, size_t errlen)
{
	gnutls_privkey_t	pk;
	int			rc;

	if (privkey_load(key_pem, key_len, &pk, err, errlen) < 0)
		return -1;
	if ((rc = gnutls_pubkey_init(out)) < 0) {
		gnutls_privkey_deinit(pk);
		return sec_gnutls_err(err, errlen, "pubkey init", rc);
	}
	rc = gnutls_pubkey_import_privkey(*out, pk, 0, 0);
	gnutls_privkey_deinit(pk);
	if (rc < 0) {
		gnutls_pubkey_deinit(*out);
		return sec_gnutls_err(err, errlen, "public key import", rc);
	}
	return 0;
}

/* The kid of a signing key's public half. */
static int
kid_of_key(const char *key_pem, size_t key_len,
    uint8_t kid[SEC_TOKEN_KID_LEN], char *err, size_t errlen)
{
	gnutls_pubkey_t	k;
	int		rc;

	if (pub_of_key(key_pem, key_len, &k, err, errlen) < 0)
		return -1;
	rc = kid_of(k, kid);
	gnutls_pubkey_deinit(k);
	return rc < 0 ? sec_err(err, errlen, "cannot derive the key id") : 0;
}

int
sec_token_issue(const char *key_pem, size_t key_len,
    struct sec_token_claims *c, int64_t now, uint8_t **tok, size_t *tok_len,
    char *err, size_t errlen)
{
	/*
	 * {1: -8, 4: kid}: alg EdDSA, the id every COSE implementation
	 * knows, and the signer's key id.
	 */
	uint8_t			prot[5 + SEC_TOKEN_KID_LEN] = { 0xa2, 0x01,
				    0x27, 0x04, 0x40 | SEC_TOKEN_KID_LEN };
	struct sec_cbor_writer	pw, sw, tw;
	uint8_t			sig[SEC_TOKEN_SIG_LEN];
	int			rc;

	_Static_assert(SEC_TOKEN_KID_LEN < 24, "kid length in one byte");
	*tok = NULL;
	*tok_len = 0;
	if (claims_check(c, now, err, errlen) < 0)
		return -1;
	if (kid_of_key(key_pem, key_len, prot + 5, err, errlen) < 0)
		return -1;
	if ((rc = gnutls_rnd(GNUTLS_RND_NONCE, c->cti, sizeof c->cti)) < 0)
		return sec_gnutls_err(err, errlen, "random", rc);
	c->iat = now;
	c->has_iat = true;
	if (!c->has_nbf) {
		c->nbf = now;
		c->has_nbf = true;
	}
	sec_cbor_writer_dynamic(&pw, SEC_TOKEN_MAX_BYTES);
	write_claims(&pw, c);
	if (sec_cbor_writer_error(&pw) != 0) {
		sec_cbor_writer_release(&pw);
		return sec_err(err, errlen, "claims do not fit in a token");
	}
	if (sig_structure(&sw, prot, sizeof prot, sec_cbor_writer_data(&pw),
	    sec_cbor_writer_len(&pw)) < 0 ||
	    sec_token_sign_bytes(key_pem, key_len, sec_cbor_writer_data(&sw),
	    sec_cbor_writer_len(&sw), sig, err, errlen) < 0) {
		if (sec_cbor_writer_error(&sw) != 0)
			(void)sec_err(err, errlen, "token too large");
		sec_cbor_writer_release(&sw);
		sec_cbor_writer_release(&pw);
		return -1;
	}
	sec_cbor_writer_release(&sw);
	sec_cbor_writer_dynamic(&tw, SEC_TOKEN_MAX_BYTES);
	(void)sec_cbor_write_tag(&tw, TAG_CWT);
	(void)sec_cbor_write_tag(&tw, TAG_SIGN1);
	(void)sec_cbor_write_array(&tw, 4);
	(void)sec_cbor_write_bytes(&tw, prot, sizeof prot);
	(void)sec_cbor_write_map(&tw, 0);
	(void)sec_cbor_write_bytes(&tw, sec_cbor_writer_data(&pw),
	    sec_cbor_writer_len(&pw));
	(void)sec_cbor_write_bytes(&tw, sig, sizeof sig);
	sec_cbor_writer_release(&pw);
	if (sec_cbor_writer_error(&tw) != 0 ||
	    (*tok = malloc(sec_cbor_writer_len(&tw))) == NULL) {
		sec_cbor_writer_release(&tw);
		return sec_err(err, errlen, "token too large");
	}
	*tok_len = sec_cbor_writer_len(&tw);
	memcpy(*tok, sec_cbor_writer_data(&tw), *tok_len);
	sec_cbor_writer_release(&tw);
	return 0;
}

/* ---- text form ---- */

static const char b64u[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
sec_token_encode_text(const uint8_t *tok, size_t len, char *out,
    size_t outsize)
{
	size_t		i, o = 0, need;
	uint32_t	v;

	if (len > SEC_TOKEN_MAX_BYTES)
		return -1;
	need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
	if (outsize < need + 1)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)tok[i] << 16 | (uint32_t)tok[i + 1] << 8 |
		    tok[i + 2];
		out[o++] = b64u[v >> 18];
		out[o++] = b64u[v >> 12 & 63];
		out[o++] = b64u[v >> 6 & 63];
		out[o++] = b64u[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)tok[i] << 16;
		out[o++] = b64u[v >> 18];
		out[o++] = b64u[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)tok[i] << 16 | (uint32_t)tok[i + 1] << 8;
		out[o++] = b64u[v >> 18];
		out[o++] = b64u[v >> 12 & 63];
		out[o++] = b64u[v >> 6 & 63];
	}
	out[o] = '\0';
	return (int)o;
}

static int
b64u_val(uint8_t ch)
{
	const char	*p;

	if (ch == '\0' || (p = strchr(b64u, ch)) == NULL)
		return -1;
	return (int)(p - b64u);
}

static int
is_space(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int
sec_token_decode_text(const uint8_t *in, size_t len, uint8_t *out,
    size_t outsize)
{
	size_t		i, o = 0, nbits = 0;
	uint32_t	acc = 0;
	int		v;

	if (in == NULL || len == 0)
		return -1;
	if (in[0] == 0xd8 || in[0] == 0xd2) {	/* tag 61 or tag 18: raw */
		if (len > SEC_TOKEN_MAX_BYTES || len > outsize)
			return -1;
		memcpy(out, in, len);
		return (int)len;
	}
	while (len > 0 && is_space(in[len - 1]))
		len--;
	while (len > 0 && is_space(in[0])) {
		in++;
		len--;
	}
	if (len == 0 || len > SEC_TOKEN_TEXT_MAX || len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64u_val(in[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			if (o == outsize)
				return -1;
			out[o++] = (uint8_t)(acc >> nbits);
			acc &= (1u << nbits) - 1;
		}
	}
	if (acc != 0)		/* non-zero padding bits: not canonical */
		return -1;
	return (int)o;
}

/* ---- keys ---- */

int
sec_token_pub_of_key(const char *key_pem, size_t key_len,
    struct sec_pem *pub, char *err, size_t errlen)
{
	gnutls_pubkey_t	k;
	gnutls_datum_t	d = { NULL, 0 };
	int		rc;

	if (pub_of_key(key_pem, key_len, &k, err, errlen) < 0)
		return -1;
	rc = gnutls_pubkey_export2(k, GNUTLS_X509_FMT_PEM, &d);
	gnutls_pubkey_deinit(k);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "public key export", rc);
	rc = sec_pem_from_datum(pub, &d, err, errlen);
	gnutls_free(d.data);
	return rc;
}

int
sec_token_keygen(struct sec_pem *key, struct sec_pem *pub, char *err,
    size_t errlen)
{
	if (sec_identity_generate_key(key, err, errlen) < 0)
		return -1;
	if (sec_token_pub_of_key(key->data, key->len, pub, err, errlen) < 0) {
		sec_pem_clear(key);
		return -1;
	}
	return 0;
}
