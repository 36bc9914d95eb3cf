/*
 * fuzz_forward.c - libFuzzer harness for forwarded API calls: what a peer
 * sends as API_REQ / API_RESP (agent/ag_forward.c) and what the leader
 * and the follower then read out of it (agent/ag_node_place.c).
 *
 * Every input goes to both decoders.  A request that decodes re-encodes
 * and decodes to the same fields (deterministic CBOR: the same bytes
 * too), and then goes where the leader sends it: the DELETE path's
 * "?id=" scan and the POST body's placement request parser (model,
 * context, time budget).  A response that decodes round-trips likewise,
 * and its body goes through the follower's JSON reader.  Oracles: the id
 * scan takes exactly "/v1/placements?id=" and a decimal 1..2^64-1; a
 * parsed request is in range; a body the follower takes is an object.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_forward.h"
#include "ag_node_int.h"
#include "sec_cbor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* An independent reading of the DELETE path. */
static int
want_id(const char *path, uint64_t *id)
{
	static const char	prefix[] = "/v1/placements?id=";
	const char		*p = path + sizeof prefix - 1;
	uint64_t		v = 0;

	if (strncmp(path, prefix, sizeof prefix - 1) != 0 || *p == '0' ||
	    *p == '\0')
		return -1;
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) ||
		    v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*id = v;
	return 0;
}

static void
leader(const struct ag_fwd_req *q)
{
	struct pl_model	 m;
	uint64_t	 id = 0, id2 = 0;
	long long	 ctx = 4096;
	double		 budget = 500;
	char		 err[256], *body;
	int		 got, want;

	got = ag_node_place_id(q->path, &id);
	want = want_id(q->path, &id2);
	if (got != want || (got == 0 && (id != id2 || id == 0)))
		abort();
	/* The leader hands the body on NUL-terminated, as here. */
	if ((body = malloc(q->body_len + 1)) == NULL)
		return;
	memcpy(body, q->body, q->body_len);
	body[q->body_len] = '\0';
	if (ag_node_place_request(body, q->body_len, &m, &ctx, &budget, err,
	    sizeof err) == 0 && (ctx < 1 || ctx > (1 << 24) || budget < 0 ||
	    budget > 60000 || m.layers == 0))
		abort();
	free(body);
}

static void
request(const uint8_t *data, size_t size)
{
	static struct ag_fwd_req	q, q2;
	struct sec_cbor_writer		w;
	char				err[256];

	if (ag_fwd_decode_req(data, size, &q, err, sizeof err) != 0)
		return;
	sec_cbor_writer_dynamic(&w, 1 << 20);
	if (ag_fwd_encode_req(&q, &w) != 0 ||
	    ag_fwd_decode_req(sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), &q2, err, sizeof err) != 0 ||
	    q.id != q2.id || strcmp(q.method, q2.method) != 0 ||
	    strcmp(q.path, q2.path) != 0 || strcmp(q.token, q2.token) != 0 ||
	    q.body_len != q2.body_len ||
	    (q.body_len > 0 && memcmp(q.body, q2.body, q.body_len) != 0))
		abort();
	sec_cbor_writer_release(&w);
	leader(&q);
}

static void
response(const uint8_t *data, size_t size)
{
	struct ag_fwd_resp	a, a2;
	struct sec_cbor_writer	w;
	char			err[256];
	json_t			*j;

	if (ag_fwd_decode_resp(data, size, &a, err, sizeof err) != 0)
		return;
	if (a.status < 100 || a.status > 599)
		abort();
	sec_cbor_writer_dynamic(&w, 1 << 20);
	if (ag_fwd_encode_resp(&a, &w) != 0 ||
	    ag_fwd_decode_resp(sec_cbor_writer_data(&w),
	    sec_cbor_writer_len(&w), &a2, err, sizeof err) != 0 ||
	    a.id != a2.id || a.status != a2.status ||
	    a.body_len != a2.body_len ||
	    (a.body_len > 0 && memcmp(a.body, a2.body, a.body_len) != 0))
		abort();
	sec_cbor_writer_release(&w);
	if ((j = ag_fwd_resp_json(&a)) != NULL && !json_is_object(j))
		abort();
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request(data, size);
	response(data, size);
	return 0;
}
