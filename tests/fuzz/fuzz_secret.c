/*
 * fuzz_secret.c - libFuzzer harness for the join-secret text parser
 * (security/sec_secret.c) and the base32 decoder under it.
 *
 * Properties: no crash or overread on any bytes (the input is not
 * NUL-terminated); an accepted secret formats to text that parses back to
 * the same 32 bytes; whatever sec_b32_decode accepts re-encodes to the
 * same characters, lowercased (one text form per value).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec_b32.h"
#include "sec_secret.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_b32(const char *in, size_t n)
{
	unsigned char	bin[64];
	char		txt[128];
	int		len;
	size_t		i;

	if (n > 100)
		return;
	if ((len = sec_b32_decode(in, n, bin, sizeof bin)) < 0)
		return;
	if (sec_b32_encode(bin, (size_t)len, txt, sizeof txt) != (int)n)
		abort();
	for (i = 0; i < n; i++) {
		char	c = in[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (txt[i] != c)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sec_secret	s, back;
	char			text[SEC_SECRET_TEXT_SIZE], err[128];

	check_b32((const char *)data, size);
	if (sec_secret_parse((const char *)data, size, &s, err,
	    sizeof err) < 0)
		return 0;
	sec_secret_format(&s, text);
	if (strlen(text) != SEC_SECRET_TEXT_LEN)
		abort();
	if (sec_secret_parse(text, strlen(text), &back, err, sizeof err) < 0 ||
	    memcmp(s.bytes, back.bytes, sizeof s.bytes) != 0)
		abort();
	return 0;
}
