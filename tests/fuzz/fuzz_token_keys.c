/*
 * fuzz_token_keys.c - libFuzzer harness for the --token-keys file: a PEM
 * bundle of up to SEC_TOKEN_MAX_KEYS Ed25519 public keys (rotation keeps
 * old and new side by side), read by ag_auth_init (agent/ag_auth.c) and
 * parsed by sec_token_verify (security/sec_token.c) on every request.
 * The file is the operator's, but it is edited by hand and copied around;
 * a damaged one must be refused, never misread.
 *
 * Each input is the file: ag_auth_init reads it (through a memfd, so the
 * real path-based reader runs), then a fixed token - signed by the RFC
 * 8032 test 1 key, the seeds' first key - is verified against it.
 * Oracle: the verdict is one of the enum's; a verified token has its
 * claims; the bundle that is exactly the right key verifies it (checked
 * once, so a harness that cannot verify anything fails loudly).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ag_auth.h"
#include "sec_token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The public half of the RFC 8032 test 1 key (seed 9d61b19d...). */
static const char pub_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

/* tests/fuzz/corpus/fuzz_token/valid-raw: valid at 1800000000. */
static const uint8_t tok[] = {
	0xd8, 0x3d, 0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27, 0xa0, 0x58, 0x66, 0xab,
	0x01, 0x63, 0x6f, 0x70, 0x73, 0x02, 0x68, 0x74, 0x65, 0x6e, 0x61, 0x6e,
	0x74, 0x2d, 0x61, 0x03, 0x62, 0x63, 0x31, 0x04, 0x1a, 0x6c, 0xe4, 0xe7,
	0x78, 0x05, 0x1a, 0x6b, 0x02, 0x62, 0x78, 0x06, 0x1a, 0x6b, 0x02, 0x62,
	0x78, 0x07, 0x50, 0x17, 0xbb, 0x82, 0x6f, 0xa5, 0x16, 0xd3, 0xae, 0xca,
	0x58, 0x5d, 0xa0, 0xfe, 0x90, 0x3a, 0x7f, 0x3a, 0x00, 0x01, 0x00, 0x00,
	0x82, 0x65, 0x70, 0x6c, 0x61, 0x63, 0x65, 0x64, 0x72, 0x65, 0x61, 0x64,
	0x3a, 0x00, 0x01, 0x00, 0x01, 0x81, 0x68, 0x67, 0x70, 0x75, 0x3d, 0x61,
	0x31, 0x30, 0x30, 0x3a, 0x00, 0x01, 0x00, 0x02, 0x02, 0x3a, 0x00, 0x01,
	0x00, 0x03, 0x19, 0x03, 0xe8, 0x58, 0x40, 0x6c, 0xa7, 0xc8, 0x85, 0x9d,
	0x99, 0x5e, 0xf9, 0xa2, 0x52, 0x51, 0x11, 0xd4, 0x40, 0x86, 0x56, 0xdb,
	0x6e, 0xf3, 0x8c, 0x6a, 0x1f, 0xc0, 0xa1, 0x0c, 0x78, 0xd8, 0xd1, 0x0e,
	0x9f, 0xf9, 0xc5, 0xac, 0x04, 0xb5, 0x98, 0xf6, 0x13, 0xe9, 0x80, 0x29,
	0x2e, 0x5b, 0x40, 0x4d, 0xac, 0x18, 0x77, 0x94, 0x70, 0x15, 0x38, 0x44,
	0x4a, 0xbf, 0xa2, 0xbb, 0xa4, 0x9f, 0x64, 0xb7, 0x6b, 0x16, 0x08
};

static enum sec_token_result
verify(const char *keys, size_t len, struct sec_token_claims *c)
{
	struct sec_token_policy	p;
	char			err[128];

	memset(&p, 0, sizeof p);
	p.now = 1800000000;
	p.skew = 60;
	p.scope = "read";
	return sec_token_verify(tok, sizeof tok, keys, len, &p, c, err,
	    sizeof err);
}

/* ag_auth_init on the bytes as a file; 0 if it took them. */
static int
load(const uint8_t *data, size_t size)
{
	struct ag_auth	a;
	char		path[64], err[256];
	int		fd, rc;

	if ((fd = memfd_create("fuzz_token_keys", 0)) < 0)
		abort();
	if ((size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    snprintf(path, sizeof path, "/proc/self/fd/%d", fd) < 0)
		abort();
	memset(&a, 0, sizeof a);
	rc = ag_auth_init(&a, path, "", 60, err, sizeof err);
	if (rc == 0 && (!ag_auth_enabled(&a) || a.keys_len != size))
		abort();
	ag_auth_free(&a);
	(void)close(fd);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		checked;
	struct sec_token_claims	c;
	enum sec_token_result	r;

	if (!checked) {
		checked = 1;
		if (verify(pub_pem, sizeof pub_pem - 1, &c) != SEC_TOKEN_OK)
			abort();
	}
	(void)load(data, size);
	r = verify((const char *)data, size, &c);
	if (r < SEC_TOKEN_MALFORMED || r > SEC_TOKEN_OK)
		abort();
	if (r == SEC_TOKEN_OK && c.sub[0] == '\0')
		abort();
	return 0;
}
