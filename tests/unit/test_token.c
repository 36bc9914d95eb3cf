/*
 * test_token.c - tenant access tokens (security/sec_token.c): issue,
 * text form, and every verification outcome in its precedence order.
 *
 * Tokens with hostile headers are built here from parts and signed with
 * the module's own sec_token_sign_bytes(), so a "wrong algorithm" or
 * "crit" token carries a valid signature and the test shows the header
 * check - not the signature - rejects it.  The RFC 8032 known answer pins
 * that signing function to real Ed25519.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "sec_cbor.h"
#include "sec_gnutls.h"
#include "sec_token.h"

#define NOW	1800000000LL

static struct sec_pem	key, pub, key2, pub2;

static int
setup(void **state)
{
	char	err[256];

	(void)state;
	if (sec_token_keygen(&key, &pub, err, sizeof err) < 0 ||
	    sec_token_keygen(&key2, &pub2, err, sizeof err) < 0) {
		fprintf(stderr, "keygen: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sec_pem_clear(&key);
	sec_pem_clear(&pub);
	sec_pem_clear(&key2);
	sec_pem_clear(&pub2);
	return 0;
}

static void
base_claims(struct sec_token_claims *c)
{
	memset(c, 0, sizeof *c);
	(void)strcpy(c->iss, "ops");
	(void)strcpy(c->sub, "tenant-a");
	(void)strcpy(c->aud, "cluster-1");
	c->exp = NOW + 3600;
	c->scopes = SEC_TOKEN_SCOPE_READ | SEC_TOKEN_SCOPE_PLACE;
	c->ndevices = 2;
	(void)strcpy(c->devices[0], "gpu=a100");
	(void)strcpy(c->devices[1], "abcdefghijklmnopqrstuvwxyz/0");
	c->has_max_devices = true;
	c->max_devices = 4;
	c->has_max_memory = true;
	c->max_memory_bytes = 80ull << 30;
}

/* Issues a token (raw bytes) from c; fails the test on error. */
static size_t
issue(struct sec_token_claims *c, uint8_t **tok)
{
	char	err[256];
	size_t	len;

	if (sec_token_issue(key.data, key.len, c, NOW, tok, &len, err,
	    sizeof err) < 0)
		fail_msg("issue: %s", err);
	return len;
}

static struct sec_token_policy
policy(int64_t now)
{
	struct sec_token_policy	p;

	memset(&p, 0, sizeof p);
	p.now = now;
	return p;
}

static enum sec_token_result
verify(const uint8_t *tok, size_t len, const struct sec_token_policy *p,
    struct sec_token_claims *out)
{
	struct sec_token_claims	tmp;
	char			err[256];

	return sec_token_verify(tok, len, pub.data, pub.len, p,
	    out != NULL ? out : &tmp, err, sizeof err);
}

/* The protected header and payload of an issued token. */
static void
split(const uint8_t *tok, size_t len, const uint8_t **prot, size_t *plen,
    const uint8_t **payload, size_t *paylen)
{
	static const struct sec_cbor_limits lim = {
		SEC_TOKEN_MAX_BYTES, 8, 1000, SEC_TOKEN_MAX_BYTES, 100, 0
	};
	struct sec_cbor_reader	r;
	uint64_t		v;

	assert_int_equal(sec_cbor_reader_init(&r, tok, len, &lim), 0);
	assert_int_equal(sec_cbor_read_tag(&r, &v), 0);
	assert_int_equal(v, 61);
	assert_int_equal(sec_cbor_read_tag(&r, &v), 0);
	assert_int_equal(v, 18);
	assert_int_equal(sec_cbor_read_array(&r, &v), 0);
	assert_int_equal(sec_cbor_read_bytes(&r, prot, plen), 0);
	assert_int_equal(sec_cbor_skip(&r), 0);
	assert_int_equal(sec_cbor_read_bytes(&r, payload, paylen), 0);
}

/*
 * Builds tag61(tag18([bstr prot, unprot, payload_item, bstr sig])) with
 * sig a valid signature by k over (prot, payload_signed).  unprot and
 * payload_item are pre-encoded CBOR.  Returns the length in out.
 */
static size_t
build(uint8_t *out, size_t cap, const struct sec_pem *k, const uint8_t *prot,
    size_t plen, const uint8_t *unprot, size_t ulen, const uint8_t *payload,
    size_t paylen, int payload_as_text)
{
	struct sec_cbor_writer	w, s;
	uint8_t			sig[SEC_TOKEN_SIG_LEN];
	char			err[256];
	size_t			n;

	sec_cbor_writer_dynamic(&s, 3 * SEC_TOKEN_MAX_BYTES);
	(void)sec_cbor_write_array(&s, 4);
	(void)sec_cbor_write_cstr(&s, "Signature1");
	(void)sec_cbor_write_bytes(&s, prot, plen);
	(void)sec_cbor_write_bytes(&s, "", 0);
	(void)sec_cbor_write_bytes(&s, payload, paylen);
	assert_int_equal(sec_cbor_writer_error(&s), 0);
	if (sec_token_sign_bytes(k->data, k->len, sec_cbor_writer_data(&s),
	    sec_cbor_writer_len(&s), sig, err, sizeof err) < 0)
		fail_msg("sign: %s", err);
	sec_cbor_writer_release(&s);
	sec_cbor_writer_fixed(&w, out, cap);
	(void)sec_cbor_write_tag(&w, 61);
	(void)sec_cbor_write_tag(&w, 18);
	(void)sec_cbor_write_array(&w, 4);
	(void)sec_cbor_write_bytes(&w, prot, plen);
	(void)sec_cbor_write_encoded(&w, unprot, ulen);
	if (payload_as_text)
		(void)sec_cbor_write_text(&w, (const char *)payload, paylen);
	else
		(void)sec_cbor_write_bytes(&w, payload, paylen);
	(void)sec_cbor_write_bytes(&w, sig, sizeof sig);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	n = sec_cbor_writer_len(&w);
	return n;
}

static const uint8_t	empty_map[] = { 0xa0 };

/* A token from the issued one's payload with other headers. */
static size_t
rebuild(uint8_t *out, size_t cap, const uint8_t *prot, size_t plen,
    const uint8_t *unprot, size_t ulen)
{
	struct sec_token_claims	c;
	const uint8_t		*p0, *pay;
	uint8_t			*tok;
	size_t			 len, p0len, paylen, n;

	base_claims(&c);
	len = issue(&c, &tok);
	split(tok, len, &p0, &p0len, &pay, &paylen);
	n = build(out, cap, &key, prot, plen, unprot, ulen, pay, paylen, 0);
	free(tok);
	return n;
}

/* ---- tests ---- */

static void
test_rfc8032_test1(void **state)
{
	static const unsigned char seed[32] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84,
		0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69,
		0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae,
		0x7f, 0x60,
	};
	static const unsigned char expect[64] = {
		0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86,
		0xe2, 0xcc, 0x80, 0x6e, 0x82, 0x8a, 0x84, 0x87, 0x7f, 0x1e,
		0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49,
		0x01, 0x55, 0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b, 0xac,
		0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b, 0xd2, 0x5b,
		0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43,
		0x8e, 0x7a, 0x10, 0x0b,
	};
	gnutls_x509_privkey_t	x;
	struct sec_pem		pem = { NULL, 0 };
	uint8_t			sig[SEC_TOKEN_SIG_LEN];
	char			err[256];

	(void)state;
	assert_int_equal(sec_key_from_seed(seed, &x, err, sizeof err), 0);
	assert_int_equal(sec_key_export(x, &pem, err, sizeof err), 0);
	gnutls_x509_privkey_deinit(x);
	assert_int_equal(sec_token_sign_bytes(pem.data, pem.len,
	    (const uint8_t *)"", 0, sig, err, sizeof err), 0);
	assert_memory_equal(sig, expect, sizeof expect);
	sec_pem_clear(&pem);
}

static void
test_round_trip(void **state)
{
	struct sec_token_claims	c, out;
	struct sec_token_policy	p = policy(NOW + 10);
	uint8_t			*tok, back[SEC_TOKEN_MAX_BYTES];
	char			text[SEC_TOKEN_TEXT_MAX + 1];
	size_t			len;
	int			n, m;

	(void)state;
	base_claims(&c);
	len = issue(&c, &tok);
	assert_true(len < 512);
	p.audience = "cluster-1";
	p.scope = "place";
	assert_int_equal(verify(tok, len, &p, &out), SEC_TOKEN_OK);
	assert_string_equal(out.iss, c.iss);
	assert_string_equal(out.sub, c.sub);
	assert_string_equal(out.aud, c.aud);
	assert_int_equal(out.exp, c.exp);
	assert_memory_equal(out.cti, c.cti, SEC_TOKEN_CTI_LEN);
	assert_int_equal(out.scopes, c.scopes);
	assert_int_equal(out.ndevices, 2);
	assert_string_equal(out.devices[0], "gpu=a100");
	assert_true(out.has_max_devices && out.has_max_memory &&
	    out.has_nbf && out.has_iat);
	assert_int_equal(out.max_devices, 4);
	assert_int_equal(out.iat, NOW);
	assert_int_equal(out.nbf, NOW);
	assert_string_equal(out.devices[1], "abcdefghijklmnopqrstuvwxyz/0");
	assert_int_equal(out.max_memory_bytes, 80ull << 30);

	/* text: base64url, no padding, decodes to the same bytes */
	n = sec_token_encode_text(tok, len, text, sizeof text);
	assert_true(n > 0);
	assert_null(strpbrk(text, "=+/ \n"));
	m = sec_token_decode_text((const uint8_t *)text, (size_t)n, back,
	    sizeof back);
	assert_int_equal(m, (int)len);
	assert_memory_equal(back, tok, len);
	assert_int_equal(verify(back, len, &p, NULL), SEC_TOKEN_OK);
	/* raw CBOR is accepted as it is */
	m = sec_token_decode_text(tok, len, back, sizeof back);
	assert_int_equal(m, (int)len);
	assert_memory_equal(back, tok, len);
	/* without the outer CWT tag 61 */
	assert_int_equal(verify(tok + 2, len - 2, &p, NULL), SEC_TOKEN_OK);
	/* unverified decode gives the same claims */
	assert_int_equal(sec_token_decode_unverified(tok, len, &out, NULL, 0),
	    0);
	assert_string_equal(out.sub, "tenant-a");
	free(tok);
}

static void
test_text_form(void **state)
{
	uint8_t	out[64];
	char	txt[64];
	size_t	i;

	(void)state;
	/* RFC 4648 vectors, unpadded */
	assert_int_equal(sec_token_encode_text((const uint8_t *)"fo", 2, txt,
	    sizeof txt), 3);
	assert_string_equal(txt, "Zm8");
	assert_int_equal(sec_token_encode_text((const uint8_t *)"foobar", 6,
	    txt, sizeof txt), 8);
	assert_string_equal(txt, "Zm9vYmFy");
	assert_int_equal(sec_token_encode_text((const uint8_t *)"\xfb\xff",
	    2, txt, sizeof txt), 3);
	assert_string_equal(txt, "-_8");
	assert_int_equal(sec_token_encode_text((const uint8_t *)"foobar", 6,
	    txt, 8), -1);
	assert_int_equal(sec_token_decode_text((const uint8_t *)" Zm8\n", 5,
	    out, sizeof out), 2);
	assert_memory_equal(out, "fo", 2);
	/* padding, standard alphabet, bad length, stray bits, garbage */
	assert_int_equal(sec_token_decode_text((const uint8_t *)"Zm8=", 4,
	    out, sizeof out), -1);
	assert_int_equal(sec_token_decode_text((const uint8_t *)"+/8", 3,
	    out, sizeof out), -1);
	assert_int_equal(sec_token_decode_text((const uint8_t *)"Zm9vY", 5,
	    out, sizeof out), -1);
	assert_int_equal(sec_token_decode_text((const uint8_t *)"Zm9", 3,
	    out, sizeof out), -1);
	assert_int_equal(sec_token_decode_text((const uint8_t *)"Zm\0", 3,
	    out, sizeof out), -1);
	assert_int_equal(sec_token_decode_text((const uint8_t *)"Zm9vYmFy",
	    8, out, 5), -1);
	assert_int_equal(sec_token_decode_text((const uint8_t *)"", 0, out,
	    sizeof out), -1);
	for (i = 0; i < 3; i++)
		assert_int_equal(sec_token_decode_text((const uint8_t *)"   ",
		    i, out, sizeof out), -1);
}

static void
test_malformed(void **state)
{
	struct sec_token_claims	c;
	struct sec_token_policy	p = policy(NOW);
	uint8_t			*tok, buf[SEC_TOKEN_MAX_BYTES + 64];
	uint8_t			big[SEC_TOKEN_MAX_BYTES + 16];
	size_t			len, i;

	(void)state;
	base_claims(&c);
	len = issue(&c, &tok);
	/* every truncation */
	for (i = 0; i < len; i++)
		assert_int_equal(verify(tok, i, &p, NULL),
		    SEC_TOKEN_MALFORMED);
	/* trailing byte */
	memcpy(buf, tok, len);
	buf[len] = 0x00;
	assert_int_equal(verify(buf, len + 1, &p, NULL), SEC_TOKEN_MALFORMED);
	/* wrong tag: 17 (COSE_Mac0) instead of 18, and no tag at all */
	memcpy(buf, tok, len);
	assert_int_equal(buf[2], 0xd2);
	buf[2] = 0xd1;
	assert_int_equal(verify(buf, len, &p, NULL), SEC_TOKEN_MALFORMED);
	assert_int_equal(verify(tok + 3, len - 3, &p, NULL),
	    SEC_TOKEN_MALFORMED);
	/* wrong array size: 3 and 5 */
	memcpy(buf, tok, len);
	assert_int_equal(buf[3], 0x84);
	buf[3] = 0x83;
	assert_int_equal(verify(buf, len, &p, NULL), SEC_TOKEN_MALFORMED);
	buf[3] = 0x85;
	buf[len] = 0xf6;
	assert_int_equal(verify(buf, len + 1, &p, NULL), SEC_TOKEN_MALFORMED);
	/* oversized: a valid CBOR byte string of more than 8 KiB */
	memset(big, 0, sizeof big);
	big[0] = 0x59;
	big[1] = (SEC_TOKEN_MAX_BYTES + 13) >> 8;
	big[2] = (SEC_TOKEN_MAX_BYTES + 13) & 0xff;
	assert_int_equal(verify(big, sizeof big, &p, NULL),
	    SEC_TOKEN_MALFORMED);
	free(tok);
}

static void
test_malformed_structure(void **state)
{
	struct sec_token_claims	c;
	struct sec_token_policy	p = policy(NOW);
	const uint8_t		*prot, *pay;
	static const uint8_t	alg8[] = { 0xa1, 0x01, 0x27 };
	/* {1: -8, 2: [-65600]}: an unknown critical parameter */
	static const uint8_t	crit[] = { 0xa2, 0x01, 0x27, 0x02, 0x81,
	    0x3a, 0x00, 0x01, 0x00, 0x3f };
	static const uint8_t	unprot_crit[] = { 0xa1, 0x02, 0x81, 0x01 };
	static const uint8_t	alg_both[] = { 0xa1, 0x01, 0x27 };
	uint8_t			*tok, buf[SEC_TOKEN_MAX_BYTES], deep[40];
	struct sec_cbor_writer	w;
	size_t			len, plen, paylen, n, i;

	(void)state;
	base_claims(&c);
	len = issue(&c, &tok);
	split(tok, len, &prot, &plen, &pay, &paylen);
	/* non-bstr payload (text), validly signed */
	n = build(buf, sizeof buf, &key, prot, plen, empty_map, 1,
	    (const uint8_t *)"claims", 6, 1);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	/* deeply nested unprotected header */
	deep[0] = 0xa1;
	deep[1] = 0x20;
	for (i = 2; i < sizeof deep - 1; i++)
		deep[i] = 0x81;
	deep[sizeof deep - 1] = 0x00;
	n = build(buf, sizeof buf, &key, prot, plen, deep, sizeof deep, pay,
	    paylen, 0);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	/* unknown crit, protected or not */
	n = rebuild(buf, sizeof buf, crit, sizeof crit, empty_map, 1);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	n = rebuild(buf, sizeof buf, alg8, sizeof alg8, unprot_crit,
	    sizeof unprot_crit);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	/* alg in both headers */
	n = rebuild(buf, sizeof buf, alg8, sizeof alg8, alg_both,
	    sizeof alg_both);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	free(tok);

	/* claims: an unknown scope; no cti; sub not text */
	for (i = 0; i < 3; i++) {
		sec_cbor_writer_dynamic(&w, 1024);
		(void)sec_cbor_write_map(&w, i == 1 ? 2 : 3);
		(void)sec_cbor_write_uint(&w, 2);
		if (i == 2)
			(void)sec_cbor_write_uint(&w, 7);
		else
			(void)sec_cbor_write_cstr(&w, "t");
		(void)sec_cbor_write_uint(&w, 4);
		(void)sec_cbor_write_int64(&w, NOW + 100);
		if (i != 1) {
			(void)sec_cbor_write_uint(&w, 7);
			(void)sec_cbor_write_bytes(&w, "0123456789abcdef",
			    16);
		}
		if (i == 0) {
			/* map has 3 pairs: replace cti by scopes */
			sec_cbor_writer_release(&w);
			sec_cbor_writer_dynamic(&w, 1024);
			(void)sec_cbor_write_map(&w, 4);
			(void)sec_cbor_write_uint(&w, 2);
			(void)sec_cbor_write_cstr(&w, "t");
			(void)sec_cbor_write_uint(&w, 4);
			(void)sec_cbor_write_int64(&w, NOW + 100);
			(void)sec_cbor_write_uint(&w, 7);
			(void)sec_cbor_write_bytes(&w, "0123456789abcdef",
			    16);
			(void)sec_cbor_write_int64(&w, SEC_TOKEN_CLAIM_SCOPES);
			(void)sec_cbor_write_array(&w, 1);
			(void)sec_cbor_write_cstr(&w, "root");
		}
		assert_int_equal(sec_cbor_writer_error(&w), 0);
		n = build(buf, sizeof buf, &key, alg8, sizeof alg8, empty_map,
		    1, sec_cbor_writer_data(&w), sec_cbor_writer_len(&w), 0);
		assert_int_equal(verify(buf, n, &p, NULL),
		    SEC_TOKEN_MALFORMED);
		sec_cbor_writer_release(&w);
	}
}

static void
test_wrong_algorithm(void **state)
{
	struct sec_token_policy	p = policy(NOW);
	static const uint8_t	es256[] = { 0xa1, 0x01, 0x26 };	/* -7 */
	static const uint8_t	ed25519[] = { 0xa1, 0x01, 0x32 };	/* -19 */
	static const uint8_t	textalg[] = { 0xa1, 0x01, 0x61, 0x78 };
	static const uint8_t	alg8[] = { 0xa1, 0x01, 0x27 };
	static const uint8_t	kid[] = { 0xa1, 0x04, 0x41, 0x00 };
	uint8_t			buf[SEC_TOKEN_MAX_BYTES];
	size_t			n;

	(void)state;
	/* alg only in the unprotected header */
	n = rebuild(buf, sizeof buf, (const uint8_t *)"", 0, alg8,
	    sizeof alg8);
	assert_int_equal(verify(buf, n, &p, NULL),
	    SEC_TOKEN_WRONG_ALGORITHM);
	/* no alg at all (a header with only kid) */
	n = rebuild(buf, sizeof buf, kid, sizeof kid, empty_map, 1);
	assert_int_equal(verify(buf, n, &p, NULL),
	    SEC_TOKEN_WRONG_ALGORITHM);
	/* alg mismatch: ES256 for an Ed25519 key, text alg */
	n = rebuild(buf, sizeof buf, es256, sizeof es256, empty_map, 1);
	assert_int_equal(verify(buf, n, &p, NULL),
	    SEC_TOKEN_WRONG_ALGORITHM);
	n = rebuild(buf, sizeof buf, textalg, sizeof textalg, empty_map, 1);
	assert_int_equal(verify(buf, n, &p, NULL),
	    SEC_TOKEN_WRONG_ALGORITHM);
	/* the fully specified id -19 and extra unprotected labels pass */
	n = rebuild(buf, sizeof buf, ed25519, sizeof ed25519, kid,
	    sizeof kid);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_OK);
}

static void
test_bad_signature(void **state)
{
	struct sec_token_claims	c;
	struct sec_token_policy	p = policy(NOW);
	uint8_t			*tok, buf[SEC_TOKEN_MAX_BYTES];
	char			both[2 * SEC_PEM_MAX], err[256];
	uint8_t			*s;
	size_t			len;

	(void)state;
	base_claims(&c);
	len = issue(&c, &tok);
	/* one byte of the payload: "tenant-a" -> "tenant-b" */
	memcpy(buf, tok, len);
	s = memmem(buf, len, "tenant-a", 8);
	assert_non_null(s);
	s[7] = 'b';
	assert_int_equal(verify(buf, len, &p, NULL),
	    SEC_TOKEN_BAD_SIGNATURE);
	/* one byte of the signature */
	memcpy(buf, tok, len);
	buf[len - 1] ^= 0x01;
	assert_int_equal(verify(buf, len, &p, NULL),
	    SEC_TOKEN_BAD_SIGNATURE);
	/* another key; then both keys (the second matches) */
	assert_int_equal(sec_token_verify(tok, len, pub2.data, pub2.len, &p,
	    &c, err, sizeof err), SEC_TOKEN_BAD_SIGNATURE);
	assert_int_equal(c.sub[0], '\0');	/* zeroed on failure */
	(void)snprintf(both, sizeof both, "%s%s", pub2.data, pub.data);
	assert_int_equal(sec_token_verify(tok, len, both, strlen(both), &p,
	    &c, err, sizeof err), SEC_TOKEN_OK);
	/* no usable key: a private key, garbage, nothing */
	assert_int_equal(sec_token_verify(tok, len, key.data, key.len, &p,
	    &c, err, sizeof err), SEC_TOKEN_BAD_SIGNATURE);
	assert_int_equal(sec_token_verify(tok, len, "junk", 4, &p, &c, err,
	    sizeof err), SEC_TOKEN_BAD_SIGNATURE);
	assert_int_equal(sec_token_verify(tok, len, NULL, 0, &p, &c, err,
	    sizeof err), SEC_TOKEN_BAD_SIGNATURE);
	/* a 63-byte signature (the first 63 bytes of the good one) */
	memcpy(buf, tok, len);
	assert_int_equal(buf[len - 66], 0x58);
	assert_int_equal(buf[len - 65], 0x40);
	buf[len - 65] = 0x3f;
	assert_int_equal(verify(buf, len - 1, &p, NULL),
	    SEC_TOKEN_BAD_SIGNATURE);
	free(tok);
}

static void
test_times(void **state)
{
	struct sec_token_claims	c;
	struct sec_token_policy	p;
	uint8_t			*tok;
	size_t			len;

	(void)state;
	base_claims(&c);
	c.exp = NOW + 100;
	c.has_nbf = true;
	c.nbf = NOW + 50;
	len = issue(&c, &tok);
	p = policy(NOW);
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_NOT_YET_VALID);
	p.skew = 49;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_NOT_YET_VALID);
	p.skew = 50;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	p = policy(NOW + 99);
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	/* expired at exp exactly, without skew */
	p = policy(NOW + 100);
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_EXPIRED);
	/* skew extends it, up to exp + skew */
	p.now = NOW + 129;
	p.skew = 30;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	p.now = NOW + 130;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_EXPIRED);
	/* extreme clocks do not overflow */
	p = policy(INT64_MAX);
	p.skew = INT64_MAX;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	p.skew = 0;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_EXPIRED);
	p = policy(INT64_MIN);
	p.skew = INT64_MAX;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_NOT_YET_VALID);
	free(tok);
}

static void
test_audience(void **state)
{
	struct sec_token_claims	c;
	struct sec_token_policy	p = policy(NOW);
	uint8_t			*tok;
	size_t			len;

	(void)state;
	base_claims(&c);
	len = issue(&c, &tok);
	p.audience = "cluster-2";
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_WRONG_AUDIENCE);
	p.audience = "cluster-1";
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	p.audience = NULL;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	free(tok);
	/* a token without aud is refused by a verifier that names one */
	c.aud[0] = '\0';
	len = issue(&c, &tok);
	p.audience = "cluster-1";
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_WRONG_AUDIENCE);
	free(tok);
}

struct revoked_list {
	uint8_t	cti[SEC_TOKEN_CTI_LEN];
	int	calls;
};

static bool
is_revoked(const uint8_t *cti, size_t len, void *arg)
{
	struct revoked_list	*l = arg;

	l->calls++;
	return len == SEC_TOKEN_CTI_LEN && memcmp(cti, l->cti, len) == 0;
}

static void
test_revoked_and_scope(void **state)
{
	struct sec_token_claims	c, c2;
	struct sec_token_policy	p = policy(NOW);
	struct revoked_list	rl;
	uint8_t			*tok, *tok2;
	size_t			len, len2;

	(void)state;
	base_claims(&c);
	len = issue(&c, &tok);
	c2 = c;
	len2 = issue(&c2, &tok2);
	assert_memory_not_equal(c.cti, c2.cti, SEC_TOKEN_CTI_LEN);
	memset(&rl, 0, sizeof rl);
	memcpy(rl.cti, c.cti, sizeof rl.cti);
	p.revoked = is_revoked;
	p.revoked_arg = &rl;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_REVOKED);
	assert_int_equal(verify(tok2, len2, &p, NULL), SEC_TOKEN_OK);
	assert_int_equal(rl.calls, 2);
	/* revoked wins over a missing scope */
	p.scope = "admin";
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_REVOKED);
	assert_int_equal(verify(tok2, len2, &p, NULL),
	    SEC_TOKEN_SCOPE_MISSING);
	p.scope = "token:issue";
	assert_int_equal(verify(tok2, len2, &p, NULL),
	    SEC_TOKEN_SCOPE_MISSING);
	p.scope = "nonsense";
	assert_int_equal(verify(tok2, len2, &p, NULL),
	    SEC_TOKEN_SCOPE_MISSING);
	p.scope = "read";
	assert_int_equal(verify(tok2, len2, &p, NULL), SEC_TOKEN_OK);
	free(tok);
	free(tok2);
}

static void
test_order(void **state)
{
	struct sec_token_claims	c, out;
	struct sec_token_policy	p;
	static const uint8_t	es256[] = { 0xa1, 0x01, 0x26 };
	uint8_t			*tok, buf[SEC_TOKEN_MAX_BYTES];
	size_t			len, n;

	(void)state;
	base_claims(&c);
	c.exp = NOW + 10;
	len = issue(&c, &tok);
	/* expired + bad signature -> bad signature */
	p = policy(NOW + 1000);
	p.audience = "elsewhere";
	p.scope = "admin";
	memcpy(buf, tok, len);
	buf[len - 1] ^= 0x80;
	assert_int_equal(verify(buf, len, &p, &out), SEC_TOKEN_BAD_SIGNATURE);
	/* expired + wrong audience + missing scope -> expired, claims out */
	assert_int_equal(verify(tok, len, &p, &out), SEC_TOKEN_EXPIRED);
	assert_string_equal(out.sub, "tenant-a");
	/* wrong audience + missing scope -> wrong audience */
	p.now = NOW;
	assert_int_equal(verify(tok, len, &p, NULL),
	    SEC_TOKEN_WRONG_AUDIENCE);
	/* wrong algorithm + bad signature -> wrong algorithm */
	n = rebuild(buf, sizeof buf, es256, sizeof es256, empty_map, 1);
	buf[n - 1] ^= 0x80;
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_WRONG_ALGORITHM);
	/* malformed + everything -> malformed */
	assert_int_equal(verify(buf, n - 1, &p, NULL), SEC_TOKEN_MALFORMED);
	free(tok);
	/* names, and the numeric order the enum promises */
	assert_string_equal(sec_token_result_name(SEC_TOKEN_MALFORMED),
	    "malformed");
	assert_string_equal(sec_token_result_name(SEC_TOKEN_OK), "ok");
	assert_string_equal(sec_token_result_name(0), "unknown");
	assert_true(SEC_TOKEN_MALFORMED < SEC_TOKEN_WRONG_ALGORITHM &&
	    SEC_TOKEN_WRONG_ALGORITHM < SEC_TOKEN_BAD_SIGNATURE &&
	    SEC_TOKEN_BAD_SIGNATURE < SEC_TOKEN_NOT_YET_VALID &&
	    SEC_TOKEN_NOT_YET_VALID < SEC_TOKEN_EXPIRED &&
	    SEC_TOKEN_EXPIRED < SEC_TOKEN_WRONG_AUDIENCE &&
	    SEC_TOKEN_WRONG_AUDIENCE < SEC_TOKEN_REVOKED &&
	    SEC_TOKEN_REVOKED < SEC_TOKEN_SCOPE_MISSING &&
	    SEC_TOKEN_SCOPE_MISSING < SEC_TOKEN_OK && SEC_TOKEN_MALFORMED != 0);
}

static void
test_issue_rejects(void **state)
{
	struct sec_token_claims	c;
	uint8_t			*tok;
	size_t			len;
	char			err[256];

	(void)state;
	base_claims(&c);
	c.exp = NOW;
	assert_int_equal(sec_token_issue(key.data, key.len, &c, NOW, &tok,
	    &len, err, sizeof err), -1);
	base_claims(&c);
	c.sub[0] = '\0';
	assert_int_equal(sec_token_issue(key.data, key.len, &c, NOW, &tok,
	    &len, err, sizeof err), -1);
	base_claims(&c);
	(void)strcpy(c.devices[0], "has space");
	assert_int_equal(sec_token_issue(key.data, key.len, &c, NOW, &tok,
	    &len, err, sizeof err), -1);
	base_claims(&c);
	assert_int_equal(sec_token_issue(pub.data, pub.len, &c, NOW, &tok,
	    &len, err, sizeof err), -1);
	assert_null(tok);
	/* the public key of the signing key is the one keygen wrote */
	{
		struct sec_pem	p2 = { NULL, 0 };

		assert_int_equal(sec_token_pub_of_key(key.data, key.len, &p2,
		    err, sizeof err), 0);
		assert_string_equal(p2.data, pub.data);
		assert_non_null(strstr(p2.data, "BEGIN PUBLIC KEY"));
		sec_pem_clear(&p2);
	}
}

/* Runs a shell command line; returns its exit status (-1 if killed). */
static int	sh(const char *, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char	cmd[2048];
	va_list	ap;
	int	st;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_cli(void **state)
{
	char	dir[] = "/tmp/test_token.XXXXXX";
	FILE	*f;
	char	line[256];
	int	valid = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(sh("%s token keygen --out %s/k >/dev/null",
	    EXOGPU_BIN, dir), 0);
	assert_int_equal(sh("test \"$(stat -c %%a %s/k/token.key)\" = 600",
	    dir), 0);
	/* a second keygen does not overwrite without --force */
	assert_int_equal(sh("%s token keygen --out %s/k 2>/dev/null",
	    EXOGPU_BIN, dir), 1);
	assert_int_equal(sh("%s token issue --key %s/k/token.key --sub "
	    "tenant-a --scope place,read --devices "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa/gpu-0 --max-devices 2 "
	    "--max-memory 1000 --aud c1 --ttl 30m --out %s/t", EXOGPU_BIN,
	    dir, dir), 0);
	/* a bare device id is refused: it would name any node's device */
	assert_int_equal(sh("%s token issue --key %s/k/token.key --sub t "
	    "--scope place --devices cpu --ttl 30m 2>/dev/null", EXOGPU_BIN,
	    dir), 2);
	assert_int_equal(sh("%s token inspect %s/t --key %s/k/token.pub "
	    "--json > %s/j", EXOGPU_BIN, dir, dir, dir), 0);
	(void)snprintf(line, sizeof line, "%s/j", dir);
	assert_non_null(f = fopen(line, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, "\"valid\": true") != NULL)
			valid = 1;
	(void)fclose(f);
	assert_true(valid);
	/* unverified (no key), another key, stdin garbage: exit 1 */
	assert_int_equal(sh("%s token inspect %s/t >/dev/null", EXOGPU_BIN,
	    dir), 1);
	assert_int_equal(sh("%s token keygen --out %s/k2 >/dev/null && "
	    "%s token inspect %s/t --key %s/k2/token.pub >/dev/null",
	    EXOGPU_BIN, dir, EXOGPU_BIN, dir, dir), 1);
	assert_int_equal(sh("echo garbage | %s token inspect - --key "
	    "%s/k/token.pub --json >/dev/null", EXOGPU_BIN, dir), 1);
	/* bad usage: exit 2 */
	assert_int_equal(sh("%s token issue --key %s/k/token.key --sub t "
	    "--scope root --ttl 1h 2>/dev/null", EXOGPU_BIN, dir), 2);
	assert_int_equal(sh("%s token issue --key %s/k/token.key --sub t "
	    "--scope read --ttl 400d 2>/dev/null", EXOGPU_BIN, dir), 2);
	assert_int_equal(sh("%s token inspect 2>/dev/null", EXOGPU_BIN), 2);
	assert_int_equal(sh("%s token frob 2>/dev/null", EXOGPU_BIN), 2);
	assert_int_equal(sh("rm -rf %s", dir), 0);
}

/* ---- issue #14: headers, times, foreign cti, kid ---- */

static const uint8_t	alg8_prot[] = { 0xa1, 0x01, 0x27 };

static void
test_duplicate_labels(void **state)
{
	struct sec_token_policy	p = policy(NOW);
	/* {1: -8, 4: h'00', 4: h'01'}, {1: -8, "x": 1, "x": 2} */
	static const uint8_t	dup_kid[] = { 0xa3, 0x01, 0x27, 0x04, 0x41,
				    0x00, 0x04, 0x41, 0x01 };
	static const uint8_t	dup_text[] = { 0xa3, 0x01, 0x27, 0x61, 0x78,
				    0x01, 0x61, 0x78, 0x02 };
	static const uint8_t	dup_other[] = { 0xa3, 0x01, 0x27, 0x18, 0x63,
				    0x01, 0x18, 0x63, 0x02 };
	/* {5: 1, 5: 2} unprotected */
	static const uint8_t	dup_unprot[] = { 0xa2, 0x05, 0x01, 0x05, 0x02 };
	static const uint8_t	one_unprot[] = { 0xa1, 0x05, 0x01 };
	uint8_t			buf[SEC_TOKEN_MAX_BYTES];
	size_t			n;

	(void)state;
	n = rebuild(buf, sizeof buf, dup_kid, sizeof dup_kid, empty_map, 1);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	n = rebuild(buf, sizeof buf, dup_text, sizeof dup_text, empty_map, 1);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	n = rebuild(buf, sizeof buf, dup_other, sizeof dup_other, empty_map,
	    1);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	n = rebuild(buf, sizeof buf, alg8_prot, sizeof alg8_prot, dup_unprot,
	    sizeof dup_unprot);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	/* the same labels once each still pass */
	n = rebuild(buf, sizeof buf, alg8_prot, sizeof alg8_prot, one_unprot,
	    sizeof one_unprot);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_OK);
}

static void
test_iat_and_max_age(void **state)
{
	struct sec_token_claims	c;
	struct sec_token_policy	p;
	uint8_t			*tok;
	char			err[256];
	size_t			len;

	(void)state;
	/* Issued (iat) 1000 s in the future, valid (nbf) from now. */
	base_claims(&c);
	c.exp = NOW + 5000;
	c.has_nbf = true;
	c.nbf = NOW;
	if (sec_token_issue(key.data, key.len, &c, NOW + 1000, &tok, &len,
	    err, sizeof err) < 0)
		fail_msg("issue: %s", err);
	p = policy(NOW);
	p.skew = 60;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_NOT_YET_VALID);
	p.now = NOW + 940;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	free(tok);
	/* Maximum age: 600 s after iat, plus skew. */
	base_claims(&c);
	len = issue(&c, &tok);
	p = policy(NOW + 600);
	p.max_age = 600;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	p.now = NOW + 601;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_EXPIRED);
	p.skew = 60;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	p.now = NOW + 661;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_EXPIRED);
	p.max_age = INT64_MAX;
	p.skew = INT64_MAX;
	p.now = INT64_MAX;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	free(tok);
}

/* Claims {2: "x", 4: NOW + 100, 7: cti} signed by key, alg -8, no kid. */
static size_t
foreign_cti(uint8_t *out, size_t cap, const uint8_t *cti, size_t ctilen)
{
	struct sec_cbor_writer	w;
	uint8_t			pay[256];
	size_t			n;

	sec_cbor_writer_fixed(&w, pay, sizeof pay);
	(void)sec_cbor_write_map(&w, 3);
	(void)sec_cbor_write_uint(&w, 2);
	(void)sec_cbor_write_cstr(&w, "x");
	(void)sec_cbor_write_uint(&w, 4);
	(void)sec_cbor_write_int64(&w, NOW + 100);
	(void)sec_cbor_write_uint(&w, 7);
	(void)sec_cbor_write_bytes(&w, cti, ctilen);
	assert_int_equal(sec_cbor_writer_error(&w), 0);
	n = sec_cbor_writer_len(&w);
	return build(out, cap, &key, alg8_prot, sizeof alg8_prot, empty_map,
	    1, pay, n, 0);
}

static void
test_foreign_cti(void **state)
{
	struct sec_token_policy	p = policy(NOW);
	struct sec_token_claims	c;
	uint8_t			buf[SEC_TOKEN_MAX_BYTES], cti[65], d[32];
	size_t			n;

	(void)state;
	memset(cti, 0x5a, sizeof cti);
	n = foreign_cti(buf, sizeof buf, cti, 8);
	assert_int_equal(verify(buf, n, &p, &c), SEC_TOKEN_OK);
	assert_true(c.cti_hashed);
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, cti, 8, d), 0);
	assert_memory_equal(c.cti, d, SEC_TOKEN_CTI_LEN);
	n = foreign_cti(buf, sizeof buf, cti, 16);
	assert_int_equal(verify(buf, n, &p, &c), SEC_TOKEN_OK);
	assert_false(c.cti_hashed);
	assert_memory_equal(c.cti, cti, SEC_TOKEN_CTI_LEN);
	n = foreign_cti(buf, sizeof buf, cti, SEC_TOKEN_CTI_MAX);
	assert_int_equal(verify(buf, n, &p, &c), SEC_TOKEN_OK);
	n = foreign_cti(buf, sizeof buf, cti, SEC_TOKEN_CTI_MAX + 1);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
	n = foreign_cti(buf, sizeof buf, cti, 0);
	assert_int_equal(verify(buf, n, &p, NULL), SEC_TOKEN_MALFORMED);
}

static void
test_kid(void **state)
{
	struct sec_token_policy	 p = policy(NOW);
	struct sec_token_claims	 c;
	struct sec_token_keys	*ks;
	uint8_t			*tok, kid[SEC_TOKEN_KID_LEN];
	uint8_t			 kid2[SEC_TOKEN_KID_LEN];
	uint8_t			 prot[5 + SEC_TOKEN_KID_LEN] = { 0xa2, 0x01,
				     0x27, 0x04, 0x48 };
	uint8_t			 buf[SEC_TOKEN_MAX_BYTES];
	const uint8_t		*pr, *pay;
	char			 both[2 * SEC_PEM_MAX], err[256];
	size_t			 len, plen, paylen, n;

	(void)state;
	assert_int_equal(sec_token_kid_of_pub(pub.data, pub.len, kid, err,
	    sizeof err), 0);
	assert_int_equal(sec_token_kid_of_pub(pub2.data, pub2.len, kid2, err,
	    sizeof err), 0);
	assert_memory_not_equal(kid, kid2, SEC_TOKEN_KID_LEN);
	/* An issued token names its key in the protected header. */
	base_claims(&c);
	len = issue(&c, &tok);
	split(tok, len, &pr, &plen, &pay, &paylen);
	assert_int_equal(plen, sizeof prot);
	assert_memory_equal(pr, prot, 5);
	assert_memory_equal(pr + 5, kid, SEC_TOKEN_KID_LEN);
	(void)snprintf(both, sizeof both, "%s%s", pub2.data, pub.data);
	assert_int_equal(sec_token_keys_load(both, strlen(both), &ks, err,
	    sizeof err), 2);
	assert_int_equal(sec_token_verify_keys(tok, len, ks, &p, &c, err,
	    sizeof err), SEC_TOKEN_OK);
	/* Signed by key but naming key2: only key2 is tried. */
	memcpy(prot + 5, kid2, SEC_TOKEN_KID_LEN);
	n = build(buf, sizeof buf, &key, prot, sizeof prot, empty_map, 1, pay,
	    paylen, 0);
	assert_int_equal(sec_token_verify_keys(buf, n, ks, &p, &c, err,
	    sizeof err), SEC_TOKEN_BAD_SIGNATURE);
	/* A kid no key has. */
	memset(prot + 5, 0, SEC_TOKEN_KID_LEN);
	n = build(buf, sizeof buf, &key, prot, sizeof prot, empty_map, 1, pay,
	    paylen, 0);
	assert_int_equal(sec_token_verify_keys(buf, n, ks, &p, &c, err,
	    sizeof err), SEC_TOKEN_BAD_SIGNATURE);
	assert_non_null(strstr(err, "kid"));
	/* No kid: every key is tried. */
	n = build(buf, sizeof buf, &key, alg8_prot, sizeof alg8_prot,
	    empty_map, 1, pay, paylen, 0);
	assert_int_equal(sec_token_verify_keys(buf, n, ks, &p, &c, err,
	    sizeof err), SEC_TOKEN_OK);
	sec_token_keys_free(ks);
	free(tok);
	/* Loading: nothing usable is an error. */
	assert_int_equal(sec_token_keys_load("junk", 4, &ks, err, sizeof err),
	    -1);
	assert_null(ks);
	assert_int_equal(sec_token_keys_load(key.data, key.len, &ks, err,
	    sizeof err), -1);
	assert_int_equal(sec_token_verify_keys(tok = NULL, 0, NULL, &p, &c,
	    err, sizeof err), SEC_TOKEN_MALFORMED);
}

static void
test_aud_optional(void **state)
{
	struct sec_token_claims	c;
	struct sec_token_policy	p = policy(NOW);
	uint8_t			*tok;
	size_t			len;

	(void)state;
	base_claims(&c);
	len = issue(&c, &tok);
	p.audience = "cluster-2";
	p.aud_optional = true;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_WRONG_AUDIENCE);
	free(tok);
	c.aud[0] = '\0';
	len = issue(&c, &tok);
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_OK);
	p.aud_optional = false;
	assert_int_equal(verify(tok, len, &p, NULL), SEC_TOKEN_WRONG_AUDIENCE);
	free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032_test1),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_text_form),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_structure),
		cmocka_unit_test(test_wrong_algorithm),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_audience),
		cmocka_unit_test(test_revoked_and_scope),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_issue_rejects),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_duplicate_labels),
		cmocka_unit_test(test_iat_and_max_age),
		cmocka_unit_test(test_foreign_cti),
		cmocka_unit_test(test_kid),
		cmocka_unit_test(test_aud_optional),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
