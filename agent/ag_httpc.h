/*
 * ag_httpc.h - the CLI's client for the agent's local API.
 *
 * `exogpu status`, `peers` and friends make one short request to a local
 * agent and exit, so a blocking HTTP/1.1 client with a deadline is the
 * whole need: no event loop, no keep-alive, Connection: close.  The
 * response parser is bounded (status line, headers, body size) and
 * fuzzed, since the bytes come from a socket.
 */
#ifndef AG_HTTPC_H
#define AG_HTTPC_H

#include <stddef.h>

#define AG_HTTPC_MAX_RESPONSE	(8u << 20)
#define AG_HTTPC_TIMEOUT_MS	10000
#define AG_HTTPC_TLS_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct ag_http_response {
	int	 status;
	char	*body;		/* malloc'd, NUL-terminated */
	size_t	 body_len;
};

/*
 * method "GET"/"POST"/"DELETE" to http://addr (or https://) path, with an optional
 * body (JSON) and bearer token.  0 with *resp filled, or -1 with err.
 */
int	ag_http_request(const char *addr, const char *method, const char *path,
	    const char *body, const char *token, struct ag_http_response *resp,
	    char *err, size_t errlen);
void	ag_http_response_free(struct ag_http_response *);
/* Parses a complete raw response (for tests and the fuzzer). */
int	ag_http_parse_response(const char *, size_t,
	    struct ag_http_response *, char *, size_t);
/*
 * The bearer token a client sends: the file given (--token FILE), else
 * the file $EXOGPU_TOKEN names, else none (*text = NULL).  The file may
 * hold the text form or raw CBOR (docs/tokens.md).  0 with *text
 * malloc'd or NULL, or -1 with err.
 */
int	ag_http_load_token(const char *explicit_path, char **text, char *err,
	    size_t errlen);
/*
 * The certificate file an https:// API is checked against (--api-ca),
 * else $EXOGPU_API_CA: the agent's own certificate (pinned: its leaf
 * must be one in the file, no name check) or a CA certificate (its chain
 * must verify to one, for the host name or address in the API address).
 * The file is read at each request; file must outlive them.
 */
void	ag_http_set_ca(const char *file);
/*
 * The API address: explicit, else $EXOGPU_API, else 127.0.0.1:47471.
 * It may begin with https:// (TLS, see ag_http_set_ca) or http://.
 */
const char	*ag_http_api_addr(const char *explicit_addr);

#define AG_API_DEFAULT_ADDR	"127.0.0.1:47471"

#endif /* AG_HTTPC_H */
