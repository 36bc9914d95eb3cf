/*
 * fuzz_rotation.c - libFuzzer harness for the join-secret rotation file
 * parser (sec_secret_rotation_parse, DATA/join-secret.next).  Checks: no
 * crash; what parses formats back to text that parses to the same secret
 * and time (a round trip), and never exceeds SEC_SECRET_ROTATION_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec_secret.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sec_secret	s, s2;
	int64_t			until, until2;
	char			err[256], out[SEC_SECRET_ROTATION_MAX];
	int			n;

	if (sec_secret_rotation_parse((const char *)data, size, &s, &until,
	    err, sizeof err) != 0)
		return 0;
	n = sec_secret_rotation_format(&s, until, out, sizeof out);
	if (n < 0 || sec_secret_rotation_parse(out, (size_t)n, &s2, &until2,
	    err, sizeof err) != 0 || until2 != until ||
	    memcmp(s.bytes, s2.bytes, sizeof s.bytes) != 0)
		abort();
	sec_secret_clear(&s);
	sec_secret_clear(&s2);
	return 0;
}
