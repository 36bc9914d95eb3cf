/*
 * fuzz_tls_chain.c - libFuzzer harness for the check of the certificates
 * a peer presents in the QUIC handshake (security/sec_tls.c: Ed25519
 * signatures, the leaf's node id, its "exogpu:node:" subjectAltName).
 * In the handshake GnuTLS verifies the chain first; this check then
 * parses every certificate again, so it sees whatever DER a peer sends.
 *
 * Input: up to SEC_CHAIN_MAX certificates, each a 2-byte big-endian
 * length and that many DER bytes (the seeds are real chains).  Oracle:
 * 0 means a node id of SEC_NODE_ID_LEN valid characters, the one
 * sec_identity_cert_der_node_id finds for the leaf; -1 comes with a
 * reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec_identity.h"
#include "sec_pem.h"
#include "sec_tls_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_datum_t	list[SEC_CHAIN_MAX];
	unsigned	n = 0;
	size_t		off = 0, len;
	char		id[SEC_NODE_ID_SIZE], id2[SEC_NODE_ID_SIZE];
	char		why[256], err[256];

	while (n < SEC_CHAIN_MAX && size - off >= 2) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		list[n].data = (unsigned char *)(uintptr_t)(data + off);
		list[n++].size = (unsigned)len;
		off += len;
	}
	if (n == 0)
		return 0;
	why[0] = '\0';
	memset(id, 0, sizeof id);
	if (sec_tls_check_chain(list, n, id, why, sizeof why) != 0) {
		if (why[0] == '\0')
			abort();
		return 0;
	}
	if (strlen(id) != SEC_NODE_ID_LEN || !sec_node_id_valid(id) ||
	    sec_identity_cert_der_node_id(list[0].data, list[0].size, id2,
	    err, sizeof err) != 0 || strcmp(id, id2) != 0)
		abort();
	return 0;
}
