/*
 * fuzz_token.c - libFuzzer harness for the access-token verifier
 * (security/sec_token.c) and its text decoder.
 *
 * The bytes go through sec_token_decode_text() (text or raw CBOR) and
 * then sec_token_verify() with a fixed public key, so the COSE_Sign1
 * parser, both header parsers and the claims parser all see them; the
 * raw input is also verified directly.  Properties: no crash, leak or
 * overread; a verdict is always one of the enum's values; claims are
 * handed out only once the signature held (and none can hold here
 * except for a token the seed corpus carries - the key below signed it);
 * whatever decode_text accepts as text re-encodes to the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec_token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The public half of the RFC 8032 test 1 key (seed 9d61b19d...). */
static const char pub_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

static void
check(const uint8_t *tok, size_t len)
{
	struct sec_token_claims	c;
	struct sec_token_policy	p;
	enum sec_token_result	r;
	char			err[128];
	size_t			i;

	memset(&p, 0, sizeof p);
	p.now = 1800000000;
	p.skew = 60;
	p.scope = "read";
	r = sec_token_verify(tok, len, pub_pem, sizeof pub_pem - 1, &p, &c,
	    err, sizeof err);
	if (r < SEC_TOKEN_MALFORMED || r > SEC_TOKEN_OK)
		abort();
	if (r < SEC_TOKEN_NOT_YET_VALID && c.sub[0] != '\0')
		abort();
	if (r >= SEC_TOKEN_NOT_YET_VALID) {
		if (c.sub[0] == '\0' || c.ndevices > SEC_TOKEN_MAX_DEVICES)
			abort();
		for (i = 0; i < c.ndevices; i++)
			if (strlen(c.devices[i]) >= SEC_TOKEN_STR_SIZE)
				abort();
	}
	if (sec_token_decode_unverified(tok, len, &c, NULL, 0) == 0 &&
	    (c.sub[0] == '\0' || strlen(c.sub) >= SEC_TOKEN_STR_SIZE))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	tok[SEC_TOKEN_MAX_BYTES];
	static char	text[SEC_TOKEN_TEXT_MAX + 1];
	int		n, m;

	check(data, size);
	n = sec_token_decode_text(data, size, tok, sizeof tok);
	if (n < 0)
		return 0;
	check(tok, (size_t)n);
	if (data[0] == 0xd8 || data[0] == 0xd2)
		return 0;
	/* text: the canonical decoder means re-encoding gives it back */
	while (size > 0 && strchr(" \t\r\n", data[size - 1]) != NULL &&
	    data[size - 1] != '\0')
		size--;
	while (size > 0 && strchr(" \t\r\n", data[0]) != NULL &&
	    data[0] != '\0') {
		data++;
		size--;
	}
	m = sec_token_encode_text(tok, (size_t)n, text, sizeof text);
	if (m < 0 || (size_t)m != size || memcmp(text, data, size) != 0)
		abort();
	return 0;
}
