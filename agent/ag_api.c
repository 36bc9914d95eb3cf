/*
 * ag_api.c - routing, limits and JSON replies for the local HTTP API; see
 * ag_api.h.  evhttp parses HTTP; this file decides what each request
 * gets and makes sure every answer, error or not, is JSON.  With
 * --http-tls, ag_httptls.c makes each connection's bufferevent (TLS), and
 * dispatch() refuses a request that came without it.
 *
 * Connections: libevent 2.1 has no evhttp_set_max_connections (it came
 * with 2.2), so the number of open connections is bounded only by the
 * process's descriptor limit.  What this file does bound is the cost of
 * reaching it: when accept() fails for want of descriptors or memory, the
 * listening socket stays readable and libevent would retry at once, for
 * ever - a busy loop logging "Error from accept() call" many thousand
 * times a second.  accept_error() stops accepting for
 * AG_API_ACCEPT_PAUSE_MS instead, warns once a minute, and tries again.
 */
#include "ag_api.h"
#include "ag_apiguard.h"
#include "ag_httptls.h"
#include "ag_log.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define AG_API_ACCEPT_PAUSE_MS	250
#define AG_API_ACCEPT_WARN_S	60

struct ag_api {
	struct evhttp			*http;
	const struct ag_api_route	*routes;
	void				*ctx;
	ag_api_authorizer		 authorize;
	struct evconnlistener		*listener;	/* evhttp's */
	struct event			*resume;	/* ends an accept pause */
	time_t				 warned;	/* last accept warning */
	struct ag_guard			 guard;		/* Host, Origin */
	time_t				 guard_warned;	/* last refusal log */
	unsigned long			 guard_refused;	/* since then */
	int				 tls;		/* --http-tls */
	struct ag_api			*next;
};

/*
 * The live servers.  libevent hands the listener's error callback evhttp's
 * pointer, not ours, so accept_error() finds its server here (one per
 * agent; a few in tests).
 */
static struct ag_api	*ag_apis;

void
ag_api_error(struct ag_api_reply *r, int status, const char *code,
    const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_decref(r->body);
	r->status = status;
	r->body = json_pack("{s:s, s:s}", "error", code, "message", msg);
}

static const char *
reason_of(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 421:
		return "Misdirected Request";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	}
	return status < 500 ? "Client Error" : "Internal Server Error";
}

static void
send_json(struct evhttp_request *req, struct ag_api_reply *r)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*text = NULL;
	const char	*type = "application/json";
	int		 bad;

	if (r->raw != NULL) {
		type = r->content_type != NULL ? r->content_type :
		    "application/octet-stream";
		bad = buf == NULL || evbuffer_add(buf, r->raw, r->raw_len) != 0;
	} else {
		if (r->body != NULL)
			text = json_dumps(r->body, JSON_INDENT(2) |
			    JSON_ENSURE_ASCII);
		bad = buf == NULL || text == NULL ||
		    evbuffer_add(buf, text, strlen(text)) != 0 ||
		    evbuffer_add(buf, "\n", 1) != 0;
	}
	if (bad) {
		evhttp_send_error(req, 500, "Internal Server Error");
		goto out;
	}
	if (evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type) != 0 ||
	    evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store") != 0) {
		evhttp_send_error(req, 500, "Internal Server Error");
		goto out;
	}
	evhttp_send_reply(req, r->status, reason_of(r->status), buf);
out:
	free(text);
	if (buf != NULL)
		evbuffer_free(buf);
	json_decref(r->body);
	r->body = NULL;
	free(r->raw);
	r->raw = NULL;
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_PUT:
		return "PUT";
	default:
		break;
	}
	return "?";
}

/* Allowed methods for a path into buf ("" when the path is unknown). */
static void
allowed(const struct ag_api *api, const char *path, char *buf, size_t size)
{
	const struct ag_api_route	*r;
	size_t				 off = 0;

	buf[0] = '\0';
	for (r = api->routes; r->path != NULL; r++) {
		if (strcmp(r->path, path) != 0)
			continue;
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    off ? ", " : "", method_name(r->method));
		if (off >= size)
			break;
	}
}

/*
 * Cross-site and DNS-rebinding refusals (ag_apiguard.h).  Logged at most
 * once a minute with a count: a hostile page may send many.
 */
static int
guarded(struct ag_api *api, struct evhttp_request *req,
    struct ag_api_reply *reply)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct ag_guard_denial	 why;
	time_t			 now;

	if (ag_guard_check(&api->guard,
	    method_name(evhttp_request_get_command(req)),
	    evhttp_find_header(h, "Host"), evhttp_find_header(h, "Origin"),
	    evhttp_find_header(h, "Content-Type"), &why) == 0)
		return 0;
	api->guard_refused++;
	now = time(NULL);
	if (api->guard_warned == 0 || now - api->guard_warned >= 60) {
		ag_log(AG_LOG_NOTICE, "api: refused %lu request(s) as "
		    "cross-site or for another host; latest: %s",
		    api->guard_refused, why.msg);
		api->guard_warned = now;
		api->guard_refused = 0;
	}
	ag_api_error(reply, why.status, why.code, "%s", why.msg);
	return -1;
}

/* Access rule, authoriser, handler. */
static void
serve(struct ag_api *api, const struct ag_api_route *r,
    struct evhttp_request *req, struct ag_api_reply *reply)
{
	if (r->auth == AG_API_DENY) {
		ag_log(AG_LOG_ERR, "api: route %s has no access rule; "
		    "refused", r->path);
		ag_api_error(reply, 403, "forbidden", "this route has no "
		    "access rule");
	} else if (r->auth == AG_API_PUBLIC || api->authorize == NULL ||
	    api->authorize(api->ctx, req, r->auth, reply) == 0)
		r->fn(api->ctx, req, reply);
}

static void
dispatch(struct evhttp_request *req, void *arg)
{
	struct ag_api			*api = arg;
	const struct evhttp_uri		*uri = evhttp_request_get_evhttp_uri(req);
	const struct ag_api_route	*r;
	struct ag_api_reply		 reply = { 500, NULL, NULL, 0, NULL };
	const char			*path = uri != NULL ?
					    evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type		 m = evhttp_request_get_command(req);
	char				 allow[64];

	if (path == NULL || path[0] == '\0')
		path = "/";
	if (api->tls && !ag_httptls_is_tls(evhttp_connection_get_bufferevent(
	    evhttp_request_get_connection(req)))) {
		/* Only if TLS could not be set up for want of memory. */
		evhttp_send_error(req, 503, "Service Unavailable");
		return;
	}
	for (r = api->routes; r->path != NULL; r++) {
		if (r->method == m && strcmp(r->path, path) == 0) {
			if (guarded(api, req, &reply) == 0)
				serve(api, r, req, &reply);
			if (reply.status == AG_API_DEFERRED)
				return;
			if (reply.body == NULL && reply.raw == NULL)
				ag_api_error(&reply, 500, "internal",
				    "handler produced no answer");
			send_json(req, &reply);
			return;
		}
	}
	allowed(api, path, allow, sizeof allow);
	if (allow[0] != '\0') {
		if (evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow) != 0)
			ag_log(AG_LOG_WARNING, "api: cannot add Allow header");
		ag_api_error(&reply, 405, "method_not_allowed",
		    "%s does not accept %s (allowed: %s)", path,
		    method_name(m), allow);
	} else
		ag_api_error(&reply, 404, "not_found", "no such endpoint: %s",
		    path);
	send_json(req, &reply);
}

void
ag_api_finish(struct evhttp_request *req, struct ag_api_reply *r)
{
	if (r->body == NULL && r->raw == NULL)
		ag_api_error(r, 500, "internal", "no answer");
	send_json(req, r);
}

json_t *
ag_api_parse_object(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);

	if (j == NULL || !json_is_object(j)) {
		(void)snprintf(err, errlen, "expected a JSON object: %s",
		    j == NULL ? jerr.text : "not an object");
		json_decref(j);
		return NULL;
	}
	return j;
}

char *
ag_api_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 n = in != NULL ? evbuffer_get_length(in) : 0;
	char		*buf;

	if (n > AG_API_MAX_BODY || (buf = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0 && evbuffer_copyout(in, buf, n) != (ev_ssize_t)n) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
ag_api_split_addr(const char *s, char *host, size_t size, int *port)
{
	const char	*colon;
	char		*end;
	long		 p;
	size_t		 n;

	if (s == NULL)
		return -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		n = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= size)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static void
accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct ag_api	*api = arg;

	if (evconnlistener_enable(api->listener) != 0)
		ag_log(AG_LOG_ERR, "api: cannot accept connections again");
}

/* accept() failed and will fail again at once (EMFILE, ENFILE, ENOMEM). */
static void
accept_error(struct evconnlistener *lev, void *arg)
{
	struct ag_api	*api;
	struct timeval	 tv = { 0, AG_API_ACCEPT_PAUSE_MS * 1000 };
	int		 e = EVUTIL_SOCKET_ERROR();
	time_t		 now = time(NULL);

	for (api = ag_apis; api != NULL; api = api->next)
		if (api->listener == lev)
			break;
	if (api == NULL)
		return;
	if (api->warned == 0 || now - api->warned >= AG_API_ACCEPT_WARN_S) {
		ag_log(AG_LOG_WARNING, "api: cannot accept connections (%s); "
		    "pausing %d ms at a time", evutil_socket_error_to_string(e),
		    AG_API_ACCEPT_PAUSE_MS);
		api->warned = now;
	}
	if (evconnlistener_disable(lev) != 0 ||
	    event_add(api->resume, &tv) != 0)
		ag_log(AG_LOG_ERR, "api: cannot pause accepting connections");
}

/* Hooks accept_error() onto evhttp's listener. */
static int
watch_accept(struct ag_api *api, struct event_base *base,
    struct evhttp_bound_socket *sock)
{
	api->listener = evhttp_bound_socket_get_listener(sock);
	if (api->listener == NULL ||
	    (api->resume = evtimer_new(base, accept_resume, api)) == NULL)
		return -1;
	evconnlistener_set_error_cb(api->listener, accept_error);
	api->next = ag_apis;
	ag_apis = api;
	return 0;
}

struct ag_api *
ag_api_new(struct event_base *base, const char *addr,
    const struct ag_api_route *routes, void *ctx, int *port, char *err,
    size_t errlen)
{
	struct ag_api			*api;
	struct evhttp_bound_socket	*sock;
	char				 host[256];
	int				 p;

	if (ag_api_split_addr(addr, host, sizeof host, &p) != 0) {
		(void)snprintf(err, errlen, "bad API address '%s' (want "
		    "HOST:PORT)", addr);
		return NULL;
	}
	if ((api = calloc(1, sizeof *api)) == NULL ||
	    (api->http = evhttp_new(base)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		free(api);
		return NULL;
	}
	if (ag_guard_init(&api->guard, addr, NULL, err, errlen) != 0) {
		evhttp_free(api->http);
		free(api);
		return NULL;
	}
	api->routes = routes;
	api->ctx = ctx;
	evhttp_set_max_body_size(api->http, AG_API_MAX_BODY);
	evhttp_set_max_headers_size(api->http, AG_API_MAX_HEADERS);
	evhttp_set_timeout(api->http, AG_API_TIMEOUT_S);
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT);
	evhttp_set_gencb(api->http, dispatch, api);
	sock = evhttp_bind_socket_with_handle(api->http, host, (ev_uint16_t)p);
	if (sock == NULL) {
		(void)snprintf(err, errlen, "cannot listen on %s (address in "
		    "use or not local)", addr);
		ag_api_free(api);
		return NULL;
	}
	if (watch_accept(api, base, sock) != 0) {
		(void)snprintf(err, errlen, "out of memory");
		ag_api_free(api);
		return NULL;
	}
	if (port != NULL) {
		struct sockaddr_storage	ss;
		socklen_t		sl = sizeof ss;
		evutil_socket_t		fd = evhttp_bound_socket_get_fd(sock);

		*port = p;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			*port = ntohs(ss.ss_family == AF_INET6 ?
			    ((struct sockaddr_in6 *)&ss)->sin6_port :
			    ((struct sockaddr_in *)&ss)->sin_port);
	}
	return api;
}

void
ag_api_set_authorizer(struct ag_api *api, ag_api_authorizer fn)
{
	api->authorize = fn;
}

void
ag_api_set_tls(struct ag_api *api, struct ag_httptls *tls)
{
	evhttp_set_bevcb(api->http, ag_httptls_bevcb, tls);
	api->tls = 1;
}

int
ag_api_allow_hosts(struct ag_api *api, const char *addr, const char *names,
    char *err, size_t errlen)
{
	return ag_guard_init(&api->guard, addr, names, err, errlen);
}

void
ag_api_free(struct ag_api *api)
{
	struct ag_api	**pp;

	if (api == NULL)
		return;
	for (pp = &ag_apis; *pp != NULL; pp = &(*pp)->next)
		if (*pp == api) {
			*pp = api->next;
			break;
		}
	if (api->resume != NULL)
		event_free(api->resume);
	if (api->http != NULL)
		evhttp_free(api->http);
	free(api);
}
