/*
 * fuzz_identity.c - libFuzzer harness for the identity loaders
 * (security/sec_identity.c, sec_key.c): the bytes of a key or certificate
 * file on disk, and the DER certificate a TLS peer sends.
 *
 * The first input byte picks the entry point, the rest is the file.
 * Properties: no crash, leak or overread; anything accepted yields a
 * well-formed node id.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sec_identity.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sec_identity	*id;
	char			 nid[SEC_NODE_ID_SIZE], err[128];
	const char		*rest = (const char *)data + 1;
	int			 rc = -1;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		rc = sec_identity_key_node_id(rest, size - 1, nid, err,
		    sizeof err);
		break;
	case 1:
		rc = sec_identity_cert_node_id(rest, size - 1, nid, err,
		    sizeof err);
		break;
	case 2:
		rc = sec_identity_cert_der_node_id(data + 1, size - 1, nid,
		    err, sizeof err);
		break;
	case 3:
		/* The same bytes as key and as chain: exercises both. */
		id = sec_identity_load(rest, size - 1, rest, size - 1, err,
		    sizeof err);
		if (id != NULL) {
			rc = 0;
			(void)snprintf(nid, sizeof nid, "%s",
			    sec_identity_node_id(id));
			sec_identity_free(id);
		}
		break;
	}
	if (rc == 0 && !sec_node_id_valid(nid))
		abort();
	return 0;
}
