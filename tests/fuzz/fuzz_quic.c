/*
 * fuzz_quic.c - libFuzzer harness for the QUIC endpoint's datagram input
 * (net/net_quic_ep.c dispatch: header decoding, connection-ID routing,
 * version negotiation, stateless resets, Initial acceptance and the
 * handshake's first steps inside ngtcp2 and GnuTLS).
 *
 * One endpoint on 127.0.0.1 lives for the whole run; each input is split
 * into datagrams by a 2-byte length prefix and injected as if sent from
 * 127.0.0.2, so a run can open a connection and then talk to it.  Stream
 * data sits behind packet protection and cannot be reached this way; the
 * control-stream preamble and probe checks are covered by test_quic.
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net_quic.h"
#include "sec_identity.h"
#include "sec_secret.h"
#include "sec_tls.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct event_base		*base;
static struct net_quic_endpoint		*ep;
static gnutls_certificate_credentials_t	 creds;

static void
quiet(int level, const char *line, void *arg)
{
}

static int
init(void)
{
	struct sec_secret	 s;
	struct sec_pem		 key = { NULL, 0 }, cert = { NULL, 0 };
	struct sec_pem		 ca = { NULL, 0 };
	struct sec_identity	*id;
	struct net_quic_config	 qc;
	char			 err[256];

	memset(&s, 0x5a, sizeof s);
	if (sec_identity_generate_key(&key, err, sizeof err) != 0 ||
	    sec_secret_issue(&s, key.data, key.len, "fuzz", time(NULL), &cert,
	    &ca, err, sizeof err) != 0 ||
	    (id = sec_identity_load(key.data, key.len, cert.data, cert.len,
	    err, sizeof err)) == NULL ||
	    sec_tls_creds_new(id, ca.data, ca.len, &creds, err, sizeof err)
	    != 0 || (base = event_base_new()) == NULL)
		abort();
	memset(&qc, 0, sizeof qc);
	qc.listen[0] = "127.0.0.1:0";
	qc.cred = creds;
	qc.cb.log = quiet;
	if ((ep = net_quic_endpoint_new(base, &qc, err, sizeof err)) == NULL)
		abort();
	sec_identity_free(id);
	sec_pem_clear(&key);
	sec_pem_clear(&cert);
	sec_pem_clear(&ca);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		init_done;
	struct sockaddr_in	from;
	size_t			off = 0;

	if (!init_done)
		init_done = init() == 0;
	memset(&from, 0, sizeof from);
	from.sin_family = AF_INET;
	from.sin_port = htons(4433);
	from.sin_addr.s_addr = htonl(0x7f000002);
	while (off + 2 <= size) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (n > size - off)
			n = size - off;
		net_quic_endpoint_inject(ep, (struct sockaddr *)&from,
		    sizeof from, data + off, n);
		off += n;
	}
	(void)event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}
