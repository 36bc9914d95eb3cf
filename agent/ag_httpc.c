/*
 * ag_httpc.c - blocking HTTP/1.1 client with a deadline and a bounded
 * response parser; see ag_httpc.h.
 */
#include "ag_httpc.h"
#include "ag_fileio.h"
#include "sec_token.h"
#include "ag_api.h"

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
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static int
send_all(int fd, const char *buf, size_t len, long deadline)
{
	ssize_t	n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, deadline) != 0)
			return -1;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until EOF (Connection: close) or the cap; -1 on error/overflow. */
static int
recv_all(int fd, char **out, size_t *outlen, long deadline)
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
		if (wait_fd(fd, POLLIN, deadline) != 0)
			goto fail;
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
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

int
ag_http_request(const char *addr, const char *method, const char *path,
    const char *body, const char *token, struct ag_http_response *resp,
    char *err, size_t errlen)
{
	long	 deadline = ms_now() + AG_HTTPC_TIMEOUT_MS;
	char	*req = NULL, *raw = NULL;
	size_t	 blen = body != NULL ? strlen(body) : 0, rawlen;
	int	 fd, rc = -1, n;

	memset(resp, 0, sizeof *resp);
	if ((fd = dial(addr, deadline, err, errlen)) < 0)
		return -1;
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
	} else if (send_all(fd, req, (size_t)n, deadline) != 0)
		(void)snprintf(err, errlen, "sending to the agent at %s "
		    "failed", addr);
	else if (recv_all(fd, &raw, &rawlen, deadline) != 0)
		(void)snprintf(err, errlen, "no complete answer from the agent "
		    "at %s within %d s", addr, AG_HTTPC_TIMEOUT_MS / 1000);
	else
		rc = ag_http_parse_response(raw, rawlen, resp, err, errlen);
	free(req);
	free(raw);
	(void)close(fd);
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
