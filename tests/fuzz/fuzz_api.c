/*
 * fuzz_api.c - libFuzzer harness for the agent's HTTP API server
 * (agent/ag_api.c on libevent's evhttp): the input is the raw bytes a
 * client sends down a TCP connection.
 *
 * The request bytes reach the server the way they do in production: a
 * real ag_api listens on 127.0.0.1, the harness connects a socket, writes
 * the input, shuts its write side and turns the event loop (non-blocking
 * iterations, bounded in time) until the server has answered and closed.
 * The routes cover what ag_api.c decides: a JSON GET, a POST that parses
 * its body with jansson, a method mismatch (405 with Allow), an unknown
 * path (404) and an admin route behind an authoriser that wants
 * "Authorization: Bearer x" (other routes pass it).  The server is
 * built once per process (a new evhttp per input would dominate the run
 * time); every connection is closed before the next input, so no state
 * but the listener carries over.  Checks: every answer is an HTTP status
 * line, and a JSON answer (HTTP/1.x) parses.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ag_api.h"
#include "ag_httpc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_DEADLINE_MS	250		/* per input, worst case */
#define FUZZ_ANSWER_MAX		(256 * 1024)	/* answer bytes kept */

struct fuzz_server {
	struct event_base	*base;
	struct ag_api		*api;
	int			 port;
};

/* One exchange: what was written and read so far. */
struct fuzz_conn {
	int		 fd;
	const uint8_t	*data;
	size_t		 size, sent;
	int		 shut;		/* write side shut down */
	int		 done;		/* EOF or error from the server */
	char		*answer;
	size_t		 alen;
};

static void
fz_ping(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	r->status = 200;
	r->body = json_pack("{s:b}", "ok", 1);
}

static void
fz_echo(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	json_error_t	 jerr;
	json_t		*j;
	char		*body;
	size_t		 len = 0;

	if ((body = ag_api_body(req, &len)) == NULL) {
		ag_api_error(r, 413, "too_large", "body over %d bytes",
		    AG_API_MAX_BODY);
		return;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	free(body);
	if (j == NULL) {
		ag_api_error(r, 400, "bad_json", "%s", jerr.text);
		return;
	}
	r->status = 200;
	r->body = json_pack("{s:i, s:I}", "type", (int)json_typeof(j),
	    "bytes", (json_int_t)len);
	json_decref(j);
}

static void
fz_admin(void *ctx, struct evhttp_request *req, struct ag_api_reply *r)
{
	r->status = 200;
	r->body = json_pack("{s:b}", "admin", 1);
}

static int
fz_authorize(void *ctx, struct evhttp_request *req, enum ag_api_auth need,
    struct ag_api_reply *r)
{
	const char	*h;

	if (need != AG_API_ADMIN)
		return 0;
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h != NULL && strcmp(h, "Bearer x") == 0)
		return 0;
	ag_api_error(r, 401, "unauthorized", "need a bearer token");
	return -1;
}

static const struct ag_api_route fz_routes[] = {
	{ EVHTTP_REQ_GET, "/v1/ping", fz_ping, AG_API_PUBLIC },
	{ EVHTTP_REQ_POST, "/v1/echo", fz_echo, AG_API_READ },
	{ EVHTTP_REQ_DELETE, "/v1/echo", fz_ping, AG_API_PLACE },
	{ EVHTTP_REQ_POST, "/v1/admin", fz_admin, AG_API_ADMIN },
	{ 0, NULL, NULL, AG_API_PUBLIC },
};

/* The process's one server; NULL until the first input. */
static struct fuzz_server *
fz_server(void)
{
	static struct fuzz_server	*s;
	char				 err[256];

	if (s != NULL)
		return s;
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->base = event_base_new()) == NULL)
		abort();
	s->api = ag_api_new(s->base, "127.0.0.1:0", fz_routes, s, &s->port,
	    err, sizeof err);
	if (s->api == NULL)
		abort();
	ag_api_set_authorizer(s->api, fz_authorize);
	return s;
}

static int64_t
fz_now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		abort();
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
fz_connect(int port)
{
	struct sockaddr_in	sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0 &&
	    errno != EINPROGRESS) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Writes what the socket takes; shuts the write side when all is out. */
static int
fz_write(struct fuzz_conn *c)
{
	ssize_t	n;

	if (c->shut)
		return 0;
	if (c->sent < c->size) {
		n = send(c->fd, c->data + c->sent, c->size - c->sent,
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOTCONN))
			return 0;
		if (n == -1) {
			c->shut = 1;	/* server gone: read what it said */
			return 1;
		}
		c->sent += (size_t)n;
		if (c->sent < c->size)
			return 1;
	}
	if (shutdown(c->fd, SHUT_WR) != 0 && errno == ENOTCONN)
		return 0;		/* connect still in progress */
	c->shut = 1;
	return 1;
}

/* Reads the answer (kept up to FUZZ_ANSWER_MAX); 1 if anything moved. */
static int
fz_read(struct fuzz_conn *c)
{
	char	buf[16384];
	ssize_t	n;
	size_t	keep;

	n = recv(c->fd, buf, sizeof buf, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == ENOTCONN))
		return 0;
	if (n <= 0) {
		c->done = 1;
		return 1;
	}
	keep = (size_t)n;
	if (keep > FUZZ_ANSWER_MAX - c->alen)
		keep = FUZZ_ANSWER_MAX - c->alen;
	memcpy(c->answer + c->alen, buf, keep);
	c->alen += keep;
	return 1;
}

/* Turns the loop until the server closed or the deadline passed. */
static void
fz_exchange(struct fuzz_server *s, struct fuzz_conn *c)
{
	struct pollfd	pfd;
	int64_t		deadline = fz_now_ms() + FUZZ_DEADLINE_MS;
	int		moved;

	while (!c->done && fz_now_ms() < deadline) {
		if (event_base_loop(s->base, EVLOOP_NONBLOCK) == -1)
			abort();
		moved = fz_write(c);
		moved |= fz_read(c);
		if (moved)
			continue;
		pfd.fd = c->fd;
		pfd.events = POLLIN | (c->shut ? 0 : POLLOUT);
		pfd.revents = 0;
		(void)poll(&pfd, 1, 1);
	}
}

/* Digits from *i on, after an optional '-' when sign; how many. */
static size_t
fz_digits(const char *s, size_t len, size_t *i, int sign)
{
	size_t	start;

	if (sign && *i < len && s[*i] == '-')
		(*i)++;
	start = *i;
	while (*i < len && isdigit((unsigned char)s[*i]))
		(*i)++;
	return *i - start;
}

/*
 * "HTTP/<n>.<n> <ddd> ".  evhttp answers in the request's version, kept in
 * a char: "GET / HTTP/0.1" gets "HTTP/0.1", "HTTP/1.1444" gets "HTTP/1.-92"
 * (libevent 2.1's doing, harmless: only that client sees it).  Anything
 * else is not a status line.
 */
static int
fz_status_line(const char *s, size_t len)
{
	size_t	i = 5;

	if (len < 5 || memcmp(s, "HTTP/", 5) != 0 ||
	    fz_digits(s, len, &i, 1) == 0 || i >= len || s[i++] != '.' ||
	    fz_digits(s, len, &i, 1) == 0 || i >= len || s[i++] != ' ')
		return 0;
	return fz_digits(s, len, &i, 0) == 3;
}

/*
 * The oracle: whatever the server said must be HTTP, and an answer that
 * claims JSON must parse (ag_api promises JSON for every routed reply).
 */
static void
fz_check(const struct fuzz_conn *c)
{
	struct ag_http_response	 resp;
	json_t			*j;
	const char		*hdr_end;
	char			 err[128];

	if (c->alen == 0)
		return;
	if (!fz_status_line(c->answer, c->alen))
		__builtin_trap();
	if (ag_http_parse_response(c->answer, c->alen, &resp, err,
	    sizeof err) != 0)
		return;		/* cut at FUZZ_ANSWER_MAX or still sending */
	hdr_end = memmem(c->answer, c->alen, "\r\n\r\n", 4);
	if (hdr_end != NULL && memmem(c->answer, (size_t)(hdr_end -
	    c->answer), "Content-Type: application/json", 30) != NULL) {
		j = json_loadb(resp.body, resp.body_len, 0, NULL);
		if (j == NULL)
			__builtin_trap();
		json_decref(j);
	}
	ag_http_response_free(&resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_server	*s = fz_server();
	struct fuzz_conn	 c;
	int			 i;

	memset(&c, 0, sizeof c);
	c.data = data;
	c.size = size;
	if ((c.answer = malloc(FUZZ_ANSWER_MAX)) == NULL)
		abort();
	if ((c.fd = fz_connect(s->port)) == -1) {
		/* Out of ports or fds: the machine's limit, not the server's. */
		perror("fuzz_api: connect to the API server");
		free(c.answer);
		return 0;
	}
	fz_exchange(s, &c);
	fz_check(&c);
	(void)close(c.fd);
	/* Let the server see the close and free its side of the connection. */
	for (i = 0; i < 4; i++)
		if (event_base_loop(s->base, EVLOOP_NONBLOCK) == -1)
			abort();
	free(c.answer);
	return 0;
}
