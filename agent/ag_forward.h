/*
 * ag_forward.h - API calls forwarded to the leader over the control
 * stream.
 *
 * Any node's local API accepts a placement request; only the leader may
 * decide it.  A follower wraps the call (method, path, JSON body) in an
 * API_REQ message to the leader and answers its HTTP client when the
 * API_RESP with the same id comes back (or with 504 after a deadline).
 * Payloads are CBOR maps: request {1 id, 2 method, 3 path, 4 body,
 * 5 bearer token text (only when the client sent one)}, response {1 id,
 * 2 status, 3 body}; the decoder is bounded and fuzzed.  The leader checks
 * the forwarded token itself: a follower's word is never taken for it.
 */
#ifndef AG_FORWARD_H
#define AG_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define AG_FWD_BODY_MAX		(48 * 1024)
#define AG_FWD_TOKEN_MAX	11000	/* >= SEC_TOKEN_TEXT_MAX */

struct sec_cbor_writer;

struct ag_fwd_req {
	uint64_t	 id;
	char		 method[8];
	char		 path[128];
	const uint8_t	*body;		/* points into the decoded buffer */
	size_t		 body_len;
	char		 token[AG_FWD_TOKEN_MAX + 1];	/* "" none */
};

struct ag_fwd_resp {
	uint64_t	 id;
	unsigned	 status;
	const uint8_t	*body;
	size_t		 body_len;
};

int	ag_fwd_encode_req(const struct ag_fwd_req *, struct sec_cbor_writer *);
int	ag_fwd_decode_req(const uint8_t *, size_t, struct ag_fwd_req *,
	    char *err, size_t errlen);
int	ag_fwd_encode_resp(const struct ag_fwd_resp *,
	    struct sec_cbor_writer *);
int	ag_fwd_decode_resp(const uint8_t *, size_t, struct ag_fwd_resp *,
	    char *err, size_t errlen);
/*
 * The leader's answer body for the follower's HTTP client: a JSON object
 * (the API promises one per answer), or NULL when the bytes are not.
 */
json_t	*ag_fwd_resp_json(const struct ag_fwd_resp *);

#endif /* AG_FORWARD_H */
