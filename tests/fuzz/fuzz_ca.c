/*
 * fuzz_ca.c - libFuzzer harness for sec_ca_load (security/sec_ca.c): the
 * cluster CA's key and certificate files, read by `exogpu cert issue` and
 * by an agent started with --ca-dir.  Files on disk are edited, copied
 * and mixed up; a wrong pair must be refused with a reason.
 *
 * Input: a 2-byte big-endian length, that many bytes of key PEM, then
 * the certificate PEM (the seeds are a real pair, mismatched pairs and a
 * node certificate in the CA's place).  Oracle: a loaded CA has a
 * subject, hands out its certificate as PEM, and that PEM loads again
 * with the same key to the same subject.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec_ca.h"
#include "sec_pem.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sec_ca	*ca, *again;
	struct sec_pem	 cert = { NULL, 0 };
	const char	*key, *crt;
	size_t		 klen;
	char		 err[256];

	if (size < 2)
		return 0;
	klen = (size_t)data[0] << 8 | data[1];
	if (klen > size - 2)
		klen = size - 2;
	key = (const char *)data + 2;
	crt = key + klen;
	err[0] = '\0';
	if ((ca = sec_ca_load(key, klen, crt, size - 2 - klen, err,
	    sizeof err)) == NULL) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (sec_ca_subject(ca) == NULL || sec_ca_subject(ca)[0] == '\0' ||
	    sec_ca_cert(ca, &cert, err, sizeof err) != 0)
		abort();
	if ((again = sec_ca_load(key, klen, cert.data, cert.len, err,
	    sizeof err)) == NULL ||
	    strcmp(sec_ca_subject(ca), sec_ca_subject(again)) != 0)
		abort();
	sec_ca_free(again);
	sec_pem_clear(&cert);
	sec_ca_free(ca);
	return 0;
}
