/*
 * ag_forward.c - encoding and bounded decoding of forwarded API calls;
 * see ag_forward.h.
 */
#include "ag_forward.h"

#include "sec_cbor.h"

#include <stdio.h>
#include <string.h>

static const struct sec_cbor_limits fwd_limits = {
	AG_FWD_BODY_MAX + AG_FWD_TOKEN_MAX + 512, 2, 16, AG_FWD_BODY_MAX, 8,
	SEC_CBOR_F_DETERMINISTIC,
};

int
ag_fwd_encode_req(const struct ag_fwd_req *q, struct sec_cbor_writer *w)
{
	if (q->body_len > AG_FWD_BODY_MAX || strlen(q->token) > AG_FWD_TOKEN_MAX)
		return -1;
	(void)sec_cbor_write_map(w, q->token[0] ? 5 : 4);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_uint(w, q->id);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_cstr(w, q->method);
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_cstr(w, q->path);
	(void)sec_cbor_write_uint(w, 4);
	(void)sec_cbor_write_bytes(w, q->body, q->body_len);
	if (q->token[0]) {
		(void)sec_cbor_write_uint(w, 5);
		(void)sec_cbor_write_cstr(w, q->token);
	}
	return sec_cbor_writer_error(w) == 0 ? 0 : -1;
}

int
ag_fwd_encode_resp(const struct ag_fwd_resp *r, struct sec_cbor_writer *w)
{
	if (r->body_len > AG_FWD_BODY_MAX)
		return -1;
	(void)sec_cbor_write_map(w, 3);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_uint(w, r->id);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_uint(w, r->status);
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_bytes(w, r->body, r->body_len);
	return sec_cbor_writer_error(w) == 0 ? 0 : -1;
}

static int
fail(char *err, size_t errlen, const char *what,
    const struct sec_cbor_reader *r)
{
	(void)snprintf(err, errlen, "%s%s%s", what, r->error ? ": " : "",
	    r->error ? sec_cbor_reader_msg(r) : "");
	return -1;
}

int
ag_fwd_decode_req(const uint8_t *buf, size_t len, struct ag_fwd_req *q,
    char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		pairs, key, i;
	unsigned		seen = 0;

	memset(q, 0, sizeof *q);
	if (sec_cbor_reader_init(&r, buf, len, &fwd_limits) != 0 ||
	    sec_cbor_read_map(&r, &pairs) != 0)
		return fail(err, errlen, "API_REQ: expected one map", &r);
	for (i = 0; i < pairs; i++) {
		if (sec_cbor_read_uint(&r, &key) != 0)
			return fail(err, errlen, "API_REQ: bad key", &r);
		if ((key == 1 && sec_cbor_read_uint(&r, &q->id) != 0) ||
		    (key == 2 && sec_cbor_read_cstr(&r, q->method, sizeof q->method)
		    != 0) ||
		    (key == 3 && sec_cbor_read_cstr(&r, q->path, sizeof q->path) != 0) ||
		    (key == 4 && sec_cbor_read_bytes(&r, &q->body,
		    &q->body_len) != 0) ||
		    (key == 5 && sec_cbor_read_cstr(&r, q->token,
		    sizeof q->token) != 0) ||
		    (key > 5 && sec_cbor_skip(&r) != 0))
			return fail(err, errlen, "API_REQ: bad value", &r);
		if (key >= 1 && key <= 4)
			seen |= 1u << key;
	}
	if (seen != 0x1e || sec_cbor_reader_done(&r) != 0)
		return fail(err, errlen, "API_REQ: missing keys", &r);
	return 0;
}

int
ag_fwd_decode_resp(const uint8_t *buf, size_t len, struct ag_fwd_resp *a,
    char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		pairs, key, i, status = 0;
	unsigned		seen = 0;

	memset(a, 0, sizeof *a);
	if (sec_cbor_reader_init(&r, buf, len, &fwd_limits) != 0 ||
	    sec_cbor_read_map(&r, &pairs) != 0)
		return fail(err, errlen, "API_RESP: expected one map", &r);
	for (i = 0; i < pairs; i++) {
		if (sec_cbor_read_uint(&r, &key) != 0)
			return fail(err, errlen, "API_RESP: bad key", &r);
		if ((key == 1 && sec_cbor_read_uint(&r, &a->id) != 0) ||
		    (key == 2 && (sec_cbor_read_uint(&r, &status) != 0 ||
		    status < 100 || status > 599)) ||
		    (key == 3 && sec_cbor_read_bytes(&r, &a->body,
		    &a->body_len) != 0) ||
		    (key > 3 && sec_cbor_skip(&r) != 0))
			return fail(err, errlen, "API_RESP: bad value", &r);
		if (key >= 1 && key <= 3)
			seen |= 1u << key;
	}
	if (seen != 0xe || sec_cbor_reader_done(&r) != 0)
		return fail(err, errlen, "API_RESP: missing keys", &r);
	a->status = (unsigned)status;
	return 0;
}

json_t *
ag_fwd_resp_json(const struct ag_fwd_resp *a)
{
	json_t	*j;

	j = json_loadb((const char *)a->body, a->body_len, 0, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}
