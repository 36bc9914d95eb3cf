/*
 * ag_httptls.h - TLS for the local HTTP API (--http-tls), with GnuTLS.
 *
 * libevent 2.1's evhttp speaks TLS only through bufferevent_openssl, and
 * the project uses GnuTLS alone.  evhttp does let the caller make each
 * accepted connection's bufferevent (evhttp_set_bevcb), so this module
 * hands it a bufferevent_filter over the socket's bufferevent whose
 * filters run a GnuTLS server session: ciphertext in the socket's
 * buffers, plaintext in the filter's, and evhttp none the wiser.
 *
 * Two sources for the certificate: "node" serves the agent's own
 * identity (the certificate its peers see, DATA/node.pem or the --ca
 * directory's), "CERT.pem,KEY.pem" an operator's certificate and key (the
 * key file may not be readable by group or others).  TLS 1.3 or 1.2, no
 * client certificate asked for: callers prove who they are with tokens.
 *
 * A connection that fails its handshake (a plain HTTP request to the TLS
 * port, say) is closed; failures are logged at most once a minute with a
 * count.  The handshake is bounded by evhttp's timeout, like a request.
 */
#ifndef AG_HTTPTLS_H
#define AG_HTTPTLS_H

#include <stddef.h>

struct bufferevent;
struct event_base;
struct sec_identity;
struct ag_httptls;

/*
 * Server credentials from spec ("node" or "CERT,KEY"); node is the
 * agent's identity, used for "node".  NULL with err on failure.
 */
struct ag_httptls	*ag_httptls_new(const char *spec,
			    const struct sec_identity *node, char *err,
			    size_t errlen);
/* Free only after the evhttp that used it (connections hold pointers). */
void			 ag_httptls_free(struct ag_httptls *);
/*
 * evhttp_set_bevcb's callback (arg: the ag_httptls): a TLS bufferevent for
 * one accepted connection.  Never NULL while memory lasts; should it run
 * out, the connection evhttp then makes is a plain one, which
 * ag_httptls_is_tls() tells apart.
 */
struct bufferevent	*ag_httptls_bevcb(struct event_base *, void *arg);
/* 1 if bev is a connection this module made, 0 if not. */
int			 ag_httptls_is_tls(struct bufferevent *bev);
/* 1 if spec is a valid --http-tls value ("" is off and valid too). */
int			 ag_httptls_spec_valid(const char *spec);

#endif /* AG_HTTPTLS_H */
