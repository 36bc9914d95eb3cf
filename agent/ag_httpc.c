/*
 * ag_httpc.c - blocking HTTP/1.1 client with a deadline and a bounded
 * response parser; see ag_httpc.h.  An https:// address runs the same
 * exchange through a GnuTLS client session on the same non-blocking
 * socket (struct link hides which), verified before the request - and
 * its token - is sent.
 */
#include "ag_httpc.h"
#include "ag_clock.h"
#include "ag_fileio.h"
#include "sec_token.h"
#include "ag_api.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *
ag_http_api_addr(const char *explicit_addr)
{
	const char	*env;

	if (explicit_addr != NULL && explicit_addr[0] != '\0')
		return explicit_addr;
	if ((env = getenv("EXOGPU_API")) != NULL && env[0] != '\0')
		return env;
	return AG_API_DEFAULT_ADDR;
}

/* --api-ca; the one process-wide setting of a short-lived CLI. */
static const char	*api_ca;

void
ag_http_set_ca(const char *file)
{
	api_ca = file;
}

static const char *
ca_file(void)
{
	const char	*env;

	if (api_ca != NULL && api_ca[0] != '\0')
		return api_ca;
	if ((env = getenv("EXOGPU_API_CA")) != NULL && env[0] != '\0')
		return env;
	return NULL;
}

/* "https://H:P" -> "H:P" and 1; "http://H:P" and "H:P" -> "H:P" and 0. */
static const char *
strip_scheme(const char *addr, int *tls)
{
	*tls = 0;
	if (strncmp(addr, "https://", 8) == 0) {
		*tls = 1;
		return addr + 8;
	}
	if (strncmp(addr, "http://", 7) == 0)
		return addr + 7;
	return addr;
}

void
ag_http_response_free(struct ag_http_response *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

static long
ms_now(void)
{
	return (long)(ag_clock_mono() * 1000.0);
}

/* Waits for fd to be ready for events before the deadline. */
static int
wait_fd(int fd, short events, long deadline)
{
	struct pollfd	pfd = { fd, events, 0 };
	long		left;
	int		n;

	for (;;) {
		if ((left = deadline - ms_now()) <= 0)
			return -1;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int
dial(const char *addr, long deadline, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	char		 host[256], port[8];
	int		 p, fd = -1, rc;

	if (ag_api_split_addr(addr, host, sizeof host, &p) != 0) {
		(void)snprintf(err, errlen, "bad API address '%s' (want "
		    "HOST:PORT)", addr);
		return -1;
	}
	(void)snprintf(port, sizeof port, "%d", p);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		(void)snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline)
		    == 0)) {
			int		so = 0;
			socklen_t	sl = sizeof so;

			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0
			    && so == 0)
				break;
			errno = so;
		}
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		(void)snprintf(err, errlen, "cannot reach the agent at %s: %s "
		    "(is `exogpu agent` running? see --api)", addr,
		    strerror(errno));
	return fd;
}

static int	header_value(const char *, const char *, const char *, char *,
		    size_t);

/* A connection, plain or TLS. */
struct link {
	int					 fd;
	gnutls_session_t			 s;	/* NULL: plain */
	gnutls_certificate_credentials_t	 cred;
	int					 unclean; /* EOF w/o close_notify */
};

/* Waits for what a GnuTLS call that returned GNUTLS_E_AGAIN needs. */
static int
wait_tls(struct link *l, long deadline)
{
	return wait_fd(l->fd, gnutls_record_get_direction(l->s) ? POLLOUT :
	    POLLIN, deadline);
}

static int
send_all(struct link *l, const char *buf, size_t len, long deadline)
{
	ssize_t	n;

	while (len > 0) {
		if (wait_fd(l->fd, POLLOUT, deadline) != 0)
			return -1;
		if (l->s != NULL) {
			n = gnutls_record_send(l->s, buf, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				continue;
		} else {
			n = send(l->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One read: >0 bytes, 0 at the end, -1 error, -2 try again. */
static ssize_t
read_some(struct link *l, char *buf, size_t len)
{
	ssize_t	n;

	if (l->s == NULL) {
		n = recv(l->fd, buf, len, 0);
		return n < 0 && (errno == EINTR || errno == EAGAIN) ? -2 : n;
	}
	n = gnutls_record_recv(l->s, buf, len);
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
		return -2;
	if (n == GNUTLS_E_PREMATURE_TERMINATION) {
		l->unclean = 1;
		return 0;
	}
	return n < 0 ? -1 : n;
}

/* Reads until EOF (Connection: close) or the cap; -1 on error/overflow. */
static int
recv_all(struct link *l, char **out, size_t *outlen, long deadline)
{
	size_t	cap = 16384, len = 0;
	char	*buf = malloc(cap + 1), *nb;
	ssize_t	n;

	if (buf == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			if (cap >= AG_HTTPC_MAX_RESPONSE)
				goto fail;
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				goto fail;
			buf = nb;
		}
		if ((l->s == NULL || gnutls_record_check_pending(l->s) == 0) &&
		    wait_fd(l->fd, POLLIN, deadline) != 0)
			goto fail;
		if ((n = read_some(l, buf + len, cap - len)) == -2)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return -1;
}

/* 1 if the certificate the server sent is, byte for byte, one in list. */
static int
pinned(gnutls_session_t s, gnutls_x509_crt_t *list, unsigned n)
{
	const gnutls_datum_t	*peer;
	gnutls_datum_t		 der;
	unsigned		 npeer, i;
	int			 same;

	if ((peer = gnutls_certificate_get_peers(s, &npeer)) == NULL ||
	    npeer == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (gnutls_x509_crt_export2(list[i], GNUTLS_X509_FMT_DER, &der)
		    < 0)
			continue;
		same = der.size == peer[0].size &&
		    memcmp(der.data, peer[0].data, der.size) == 0;
		gnutls_free(der.data);
		if (same)
			return 1;
	}
	return 0;
}

/*
 * The server is who FILE says: its certificate is one in FILE (pinned:
 * `--api-ca DATA/node.pem`), or its chain verifies to a CA in FILE for
 * the host name or address dialled.
 */
static int
verify(struct link *l, const char *file, const gnutls_datum_t *pem,
    const char *host, char *err, size_t errlen)
{
	gnutls_x509_crt_t	*list = NULL;
	gnutls_datum_t		 out;
	unsigned		 n = 0, i, status = 0;
	int			 rc, ok;

	if (gnutls_x509_crt_list_import2(&list, &n, pem, GNUTLS_X509_FMT_PEM,
	    0) < 0)
		n = 0;
	ok = pinned(l->s, list, n);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	if (ok)
		return 0;
	rc = gnutls_certificate_verify_peers3(l->s, host, &status);
	if (rc == 0 && status == 0)
		return 0;
	if (rc == 0 && gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) == 0) {
		(void)snprintf(err, errlen, "the agent at %s is not the one "
		    "%s vouches for: %s", host, file, out.data);
		gnutls_free(out.data);
	} else
		(void)snprintf(err, errlen, "the agent at %s is not the one "
		    "%s vouches for: %s", host, file, gnutls_strerror(rc));
	return -1;
}

/* Credentials trusting FILE's certificates; pem gets its bytes. */
static int
tls_creds(struct link *l, const char *file, char **pem, size_t *len,
    char *err, size_t errlen)
{
	gnutls_datum_t	d;
	char		why[256];

	if (ag_read_file(file, 1 << 20, pem, len, NULL, why, sizeof why) != 0) {
		(void)snprintf(err, errlen, "--api-ca: %s", why);
		return -1;
	}
	d.data = (unsigned char *)*pem;
	d.size = (unsigned)*len;
	if (gnutls_certificate_allocate_credentials(&l->cred) < 0) {
		l->cred = NULL;
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (gnutls_certificate_set_x509_trust_mem(l->cred, &d,
	    GNUTLS_X509_FMT_PEM) <= 0) {
		(void)snprintf(err, errlen, "--api-ca %s: no PEM certificate",
		    file);
		return -1;
	}
	return 0;
}

static int
tls_session(struct link *l, const char *host)
{
	struct in6_addr	a;

	if (gnutls_init(&l->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0) {
		l->s = NULL;
		return -1;
	}
	if (gnutls_priority_set_direct(l->s, AG_HTTPC_TLS_PRIORITY, NULL) < 0
	    || gnutls_credentials_set(l->s, GNUTLS_CRD_CERTIFICATE, l->cred)
	    < 0)
		return -1;
	/* SNI carries names only, never addresses (RFC 6066). */
	if (inet_pton(AF_INET, host, &a) != 1 && inet_pton(AF_INET6, host,
	    &a) != 1 && gnutls_server_name_set(l->s, GNUTLS_NAME_DNS, host,
	    strlen(host)) < 0)
		return -1;
	gnutls_transport_set_int(l->s, l->fd);
	gnutls_handshake_set_timeout(l->s, 0);	/* our deadline bounds it */
	return 0;
}

/* Handshake and verification on l->fd, before any request byte. */
static int
tls_start(struct link *l, const char *hostport, long deadline, char *err,
    size_t errlen)
{
	const char	*file = ca_file();
	char		 host[256], *pem = NULL;
	size_t		 pemlen = 0;
	gnutls_datum_t	 d;
	int		 port, rc = -1, hs;

	if (file == NULL) {
		(void)snprintf(err, errlen, "an https:// API needs --api-ca "
		    "FILE (or $EXOGPU_API_CA): the agent's certificate or "
		    "its CA");
		return -1;
	}
	if (ag_api_split_addr(hostport, host, sizeof host, &port) != 0 ||
	    tls_creds(l, file, &pem, &pemlen, err, errlen) != 0)
		goto out;
	if (tls_session(l, host) != 0) {
		(void)snprintf(err, errlen, "cannot set up TLS");
		goto out;
	}
	while ((hs = gnutls_handshake(l->s)) < 0) {
		if ((hs != GNUTLS_E_AGAIN && hs != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(hs)) || wait_tls(l, deadline) != 0) {
			(void)snprintf(err, errlen, "TLS with the agent at %s "
			    "failed: %s", hostport, hs == GNUTLS_E_AGAIN ?
			    "timed out" : gnutls_strerror(hs));
			goto out;
		}
	}
	d.data = (unsigned char *)pem;
	d.size = (unsigned)pemlen;
	rc = verify(l, file, &d, host, err, errlen);
out:
	free(pem);
	return rc;
}

static void
link_close(struct link *l)
{
	if (l->s != NULL)
		gnutls_deinit(l->s);
	if (l->cred != NULL)
		gnutls_certificate_free_credentials(l->cred);
	if (l->fd >= 0)
		(void)close(l->fd);
}

/* A TLS answer cut short must still have said how long it is. */
static int
complete(const struct link *l, const char *raw, size_t len)
{
	const char	*end;
	char		 val[32];

	if (!l->unclean)
		return 1;
	end = memmem(raw, len, "\r\n\r\n", 4);
	return end != NULL && header_value(raw, end, "Content-Length", val,
	    sizeof val) == 0;
}

int
ag_http_request(const char *addr, const char *method, const char *path,
    const char *body, const char *token, struct ag_http_response *resp,
    char *err, size_t errlen)
{
	struct link	 l = { -1, NULL, NULL, 0 };
	long		 deadline = ms_now() + AG_HTTPC_TIMEOUT_MS;
	char		*req = NULL, *raw = NULL;
	size_t		 blen = body != NULL ? strlen(body) : 0, rawlen;
	int		 rc = -1, n, tls;

	memset(resp, 0, sizeof *resp);
	addr = strip_scheme(addr, &tls);
	if ((l.fd = dial(addr, deadline, err, errlen)) < 0 ||
	    (tls && tls_start(&l, addr, deadline, err, errlen) != 0)) {
		link_close(&l);
		return -1;
	}
	n = asprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\nAccept: application/json\r\n"
	    "%s%s%s"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, addr, token != NULL ? "Authorization: Bearer " : "",
	    token != NULL ? token : "", token != NULL ? "\r\n" : "", blen,
	    body != NULL ? body : "");
	if (n < 0) {
		req = NULL;
		(void)snprintf(err, errlen, "out of memory");
	} else if (send_all(&l, req, (size_t)n, deadline) != 0)
		(void)snprintf(err, errlen, "sending to the agent at %s "
		    "failed", addr);
	else if (recv_all(&l, &raw, &rawlen, deadline) != 0)
		(void)snprintf(err, errlen, "no complete answer from the agent "
		    "at %s within %d s", addr, AG_HTTPC_TIMEOUT_MS / 1000);
	else if (rawlen == 0)
		(void)snprintf(err, errlen, "the agent at %s closed the "
		    "connection without an answer%s", addr, tls ? "" :
		    " (does it serve TLS? then use https://)");
	else if (!complete(&l, raw, rawlen))
		(void)snprintf(err, errlen, "the TLS connection to %s ended "
		    "before the answer did", addr);
	else
		rc = ag_http_parse_response(raw, rawlen, resp, err, errlen);
	free(req);
	free(raw);
	link_close(&l);
	return rc;
}

/* Case-insensitive header lookup within [h, end); value trimmed. */
static int
header_value(const char *h, const char *end, const char *name, char *val,
    size_t size)
{
	size_t	nlen = strlen(name);

	while (h < end) {
		const char *eol = memchr(h, '\n', (size_t)(end - h));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - h) > nlen && strncasecmp(h, name, nlen)
		    == 0 && h[nlen] == ':') {
			const char	*v = h + nlen + 1;
			size_t		 n;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			n = (size_t)(eol - v);
			while (n > 0 && isspace((unsigned char)v[n - 1]))
				n--;
			if (n >= size)
				return -1;
			memcpy(val, v, n);
			val[n] = '\0';
			return 0;
		}
		h = eol + 1;
	}
	return -1;
}

int
ag_http_parse_response(const char *raw, size_t len,
    struct ag_http_response *resp, char *err, size_t errlen)
{
	const char	*hdr_end, *body;
	char		 val[32], *end;
	size_t		 blen;
	int		 status;

	memset(resp, 0, sizeof *resp);
	if (len < 12 || len > AG_HTTPC_MAX_RESPONSE ||
	    memcmp(raw, "HTTP/1.", 7) != 0 || raw[8] != ' ' ||
	    !isdigit((unsigned char)raw[9]) || !isdigit((unsigned char)raw[10])
	    || !isdigit((unsigned char)raw[11])) {
		(void)snprintf(err, errlen, "the agent's answer is not HTTP");
		return -1;
	}
	status = (raw[9] - '0') * 100 + (raw[10] - '0') * 10 + raw[11] - '0';
	hdr_end = memmem(raw, len, "\r\n\r\n", 4);
	if (status < 100 || hdr_end == NULL) {
		(void)snprintf(err, errlen, "malformed HTTP answer");
		return -1;
	}
	body = hdr_end + 4;
	blen = len - (size_t)(body - raw);
	if (header_value(raw, hdr_end, "Content-Length", val, sizeof val)
	    == 0) {
		unsigned long long cl = strtoull(val, &end, 10);

		if (*end != '\0' || val[0] == '\0' || cl > blen) {
			(void)snprintf(err, errlen, "truncated HTTP answer");
			return -1;
		}
		blen = (size_t)cl;
	} else if (header_value(raw, hdr_end, "Transfer-Encoding", val,
	    sizeof val) == 0) {
		(void)snprintf(err, errlen, "unsupported transfer encoding "
		    "'%s'", val);
		return -1;
	}
	if ((resp->body = malloc(blen + 1)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(resp->body, body, blen);
	resp->body[blen] = '\0';
	resp->body_len = blen;
	resp->status = status;
	return 0;
}

int
ag_http_load_token(const char *path, char **text, char *err, size_t errlen)
{
	uint8_t	 raw[SEC_TOKEN_MAX_BYTES];
	char	*buf = NULL, why[256];
	size_t	 len = 0;
	int	 n;

	*text = NULL;
	if (path == NULL || path[0] == '\0')
		path = getenv("EXOGPU_TOKEN");
	if (path == NULL || path[0] == '\0')
		return 0;
	if (ag_read_file(path, SEC_TOKEN_TEXT_MAX + 64, &buf, &len, NULL, why,
	    sizeof why) != 0) {
		(void)snprintf(err, errlen, "token: %s", why);
		return -1;
	}
	n = sec_token_decode_text((const uint8_t *)buf, len, raw, sizeof raw);
	free(buf);
	if (n < 0 || (*text = malloc(SEC_TOKEN_TEXT_MAX + 1)) == NULL ||
	    sec_token_encode_text(raw, (size_t)n, *text,
	    SEC_TOKEN_TEXT_MAX + 1) < 0) {
		free(*text);
		*text = NULL;
		(void)snprintf(err, errlen, "token %s: not a token file (want "
		    "the base64url text or the CBOR `exogpu token issue` "
		    "writes)", path);
		return -1;
	}
	return 0;
}
