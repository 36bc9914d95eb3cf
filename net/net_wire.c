/*
 * net_wire.c - control-stream message codec; see net_wire.h and
 * docs/protocol.md.
 *
 * Shape.  Splitting a stream is sec_cbor_item_len() under the wire limits;
 * decoding one message is a sec_cbor_reader over it.  Every map in a
 * message (the envelope and each payload) is read by one table-driven
 * function, wire_fields(): a table row names a key, its type, its bound
 * and where the value goes, so each message type is a table plus a few
 * cross-field checks, and "unknown keys are skipped, missing keys are
 * named, duplicates refused" is written once.  The envelope records where
 * its payload lies instead of decoding it in place, so the keys may come
 * in any order on the wire even though our encoder sorts them.  Raw
 * (cluster) payloads are only located and checked to be maps; their own
 * codecs decode them.
 */
#include "net_wire.h"

#include <stdio.h>
#include <string.h>

#include "net_gossip.h"
#include "net_member.h"
#include "sec_err.h"

/* The cluster codecs own these numbers; the envelope must agree. */
_Static_assert(NET_WIRE_MEMBER == NET_MEMBER_WIRE_TYPE,
    "membership type number");
_Static_assert(NET_WIRE_GOSSIP_DIGEST == NET_GOSSIP_WIRE_TYPE_DIGEST,
    "gossip DIGEST type number");
_Static_assert(NET_WIRE_GOSSIP_RECORDS == NET_GOSSIP_WIRE_TYPE_RECORDS,
    "gossip RECORDS type number");
_Static_assert(NET_WIRE_GOSSIP_WANT == NET_GOSSIP_WIRE_TYPE_WANT,
    "gossip WANT type number");
_Static_assert(NET_WIRE_GOSSIP_SUMMARY == NET_GOSSIP_WIRE_TYPE_SUMMARY,
    "gossip SUMMARY type number");

static const struct sec_cbor_limits wire_limits = {
	.max_item_bytes = NET_WIRE_MAX_MSG,
	.max_depth = NET_WIRE_MAX_DEPTH,
	.max_items = NET_WIRE_MAX_ITEMS,
	.max_str_len = NET_WIRE_MAX_MSG,
	.max_container_len = NET_WIRE_MAX_ITEMS,
	.flags = SEC_CBOR_F_DETERMINISTIC,
};

enum wire_kind {
	WIRE_UINT,	/* dst: uint64_t, at most max */
	WIRE_TEXT,	/* dst: char[max + 1], UTF-8 without controls */
	WIRE_NODE_ID,	/* dst: char[SEC_NODE_ID_SIZE] */
	WIRE_ITEM,	/* dst: size_t[2], offset and length of any item */
};

struct wire_field {
	uint64_t	 key;
	const char	*name;
	enum wire_kind	 kind;
	uint64_t	 max;
	void		*dst;
};

const struct sec_cbor_limits *
net_wire_limits(void)
{
	return &wire_limits;
}

const char *
net_wire_type_name(uint64_t type)
{
	switch (type) {
	case NET_WIRE_HELLO:
		return "HELLO";
	case NET_WIRE_PING:
		return "PING";
	case NET_WIRE_PONG:
		return "PONG";
	case NET_WIRE_BYE:
		return "BYE";
	case NET_WIRE_MEMBER:
		return "MEMBER";
	case NET_WIRE_GOSSIP_DIGEST:
		return "GOSSIP_DIGEST";
	case NET_WIRE_GOSSIP_RECORDS:
		return "GOSSIP_RECORDS";
	case NET_WIRE_GOSSIP_WANT:
		return "GOSSIP_WANT";
	case NET_WIRE_GOSSIP_SUMMARY:
		return "GOSSIP_SUMMARY";
	case NET_WIRE_API_REQ:
		return "API_REQ";
	case NET_WIRE_API_RESP:
		return "API_RESP";
	case NET_WIRE_RAFT:
		return "RAFT";
	case NET_WIRE_CLUSTER:
		return "CLUSTER";
	}
	return "unknown";
}

int
net_wire_type_raw(uint64_t type)
{
	switch (type) {
	case NET_WIRE_MEMBER:
	case NET_WIRE_GOSSIP_DIGEST:
	case NET_WIRE_GOSSIP_RECORDS:
	case NET_WIRE_GOSSIP_WANT:
	case NET_WIRE_GOSSIP_SUMMARY:
	case NET_WIRE_API_REQ:
	case NET_WIRE_API_RESP:
	case NET_WIRE_RAFT:
	case NET_WIRE_CLUSTER:
		return 1;
	}
	return 0;
}

/* CBOR major type 5 (map) in the initial byte. */
static int
wire_is_map(const uint8_t *p, size_t n)
{
	return n > 0 && (p[0] >> 5) == 5;
}

/* 1 if s[0..n) holds no C0 control character and no DEL. */
static int
wire_printable(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
wire_read_field(struct sec_cbor_reader *r, const char *what,
    const struct wire_field *f, char *err, size_t errlen)
{
	const char	*s;
	size_t		 n, start, *span;
	uint64_t	 v;
	char		*dst;

	switch (f->kind) {
	case WIRE_UINT:
		if (sec_cbor_read_uint(r, &v) != 0)
			break;
		if (v > f->max)
			return sec_err(err, errlen,
			    "%s: key %llu (%s): %llu is over %llu", what,
			    (unsigned long long)f->key, f->name,
			    (unsigned long long)v, (unsigned long long)f->max);
		*(uint64_t *)f->dst = v;
		return 0;
	case WIRE_TEXT:
	case WIRE_NODE_ID:
		if (sec_cbor_read_text(r, &s, &n) != 0)
			break;
		dst = f->dst;
		if (f->kind == WIRE_NODE_ID) {
			if (n != SEC_NODE_ID_LEN)
				return sec_err(err, errlen, "%s: key %llu "
				    "(%s): not a node id", what,
				    (unsigned long long)f->key, f->name);
			memcpy(dst, s, n);
			dst[n] = '\0';
			if (!sec_node_id_valid(dst))
				return sec_err(err, errlen, "%s: key %llu "
				    "(%s): not a node id", what,
				    (unsigned long long)f->key, f->name);
			return 0;
		}
		if (n > f->max)
			return sec_err(err, errlen, "%s: key %llu (%s): %zu "
			    "bytes, at most %llu", what,
			    (unsigned long long)f->key, f->name, n,
			    (unsigned long long)f->max);
		if (!wire_printable(s, n))
			return sec_err(err, errlen, "%s: key %llu (%s): "
			    "control character in text", what,
			    (unsigned long long)f->key, f->name);
		memcpy(dst, s, n);
		dst[n] = '\0';
		return 0;
	case WIRE_ITEM:
		start = r->pos;
		if (sec_cbor_skip(r) != 0)
			break;
		span = f->dst;
		span[0] = start;
		span[1] = r->pos - start;
		return 0;
	}
	return sec_err(err, errlen, "%s: key %llu (%s): %s", what,
	    (unsigned long long)f->key, f->name, sec_cbor_reader_msg(r));
}

/*
 * Reads a map of the fields in f[0..nf) (nf <= 32): each must appear once,
 * other keys (of any type) are skipped.
 */
static int
wire_fields(struct sec_cbor_reader *r, const char *what,
    const struct wire_field *f, size_t nf, char *err, size_t errlen)
{
	uint64_t	pairs, i, key;
	uint32_t	seen = 0;
	size_t		j;
	int		rc;

	if (sec_cbor_read_map(r, &pairs) != 0)
		return sec_err(err, errlen, "%s: %s", what,
		    sec_cbor_reader_msg(r));
	for (i = 0; pairs == SEC_CBOR_INDEF || i < pairs; i++) {
		if (pairs == SEC_CBOR_INDEF) {
			if ((rc = sec_cbor_at_break(r)) == 1)
				break;
			if (rc < 0)
				break;
		}
		if (sec_cbor_peek(r) != SEC_CBOR_T_UINT) {
			/* A key of another type: a future extension. */
			(void)sec_cbor_skip(r);
			(void)sec_cbor_skip(r);
			continue;
		}
		if (sec_cbor_read_uint(r, &key) != 0)
			break;
		for (j = 0; j < nf && f[j].key != key; j++)
			continue;
		if (j == nf) {
			(void)sec_cbor_skip(r);
			continue;
		}
		if (seen & (UINT32_C(1) << j))
			return sec_err(err, errlen, "%s: key %llu (%s) "
			    "appears twice", what, (unsigned long long)key,
			    f[j].name);
		seen |= UINT32_C(1) << j;
		if (wire_read_field(r, what, &f[j], err, errlen) != 0)
			return -1;
	}
	if (r->error != 0)
		return sec_err(err, errlen, "%s: %s", what,
		    sec_cbor_reader_msg(r));
	for (j = 0; j < nf; j++)
		if (!(seen & (UINT32_C(1) << j)))
			return sec_err(err, errlen, "%s: missing key %llu "
			    "(%s)", what, (unsigned long long)f[j].key,
			    f[j].name);
	return 0;
}

static int
wire_payload(struct net_wire_msg *m, const uint8_t *p, size_t n, char *err,
    size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		trust = 0;
	char			what[32];
	const struct wire_field	hello[] = {
		{ 1, "node id", WIRE_NODE_ID, 0, m->u.hello.node_id },
		{ 2, "name", WIRE_TEXT, NET_WIRE_NAME_MAX, m->u.hello.name },
		{ 3, "version", WIRE_UINT, UINT64_MAX, &m->u.hello.version },
		{ 4, "features", WIRE_UINT, UINT64_MAX, &m->u.hello.features },
		{ 5, "trust mode", WIRE_UINT, NET_WIRE_TRUST_MAX, &trust },
	};
	const struct wire_field	ping[] = {
		{ 1, "nonce", WIRE_UINT, UINT64_MAX, &m->u.ping.nonce },
		{ 2, "sent-at", WIRE_UINT, UINT64_MAX, &m->u.ping.sent_at_us },
	};
	const struct wire_field	bye[] = {
		{ 1, "reason", WIRE_TEXT, NET_WIRE_REASON_MAX,
		    m->u.bye.reason },
	};
	const struct wire_field	*f;
	size_t			 nf;

	if (net_wire_type_raw(m->type)) {
		/* Well-formed and within limits: the splitter saw it. */
		if (!wire_is_map(p, n))
			return sec_err(err, errlen, "%s payload: not a map",
			    net_wire_type_name(m->type));
		m->known = true;
		m->u.raw.payload = p;
		m->u.raw.len = n;
		return 0;
	}
	switch (m->type) {
	case NET_WIRE_HELLO:
		f = hello;
		nf = sizeof hello / sizeof hello[0];
		break;
	case NET_WIRE_PING:
	case NET_WIRE_PONG:
		f = ping;
		nf = sizeof ping / sizeof ping[0];
		break;
	case NET_WIRE_BYE:
		f = bye;
		nf = sizeof bye / sizeof bye[0];
		break;
	default:
		m->known = false;	/* forward compatible: skipped */
		return 0;
	}
	m->known = true;
	(void)snprintf(what, sizeof what, "%s payload",
	    net_wire_type_name(m->type));
	if (sec_cbor_reader_init(&r, p, n, &wire_limits) != 0)
		return sec_err(err, errlen, "%s: %s", what,
		    sec_cbor_reader_msg(&r));
	if (wire_fields(&r, what, f, nf, err, errlen) != 0)
		return -1;
	if (m->type == NET_WIRE_HELLO) {
		m->u.hello.trust_mode = (unsigned)trust;
		if (strcmp(m->u.hello.node_id, m->sender) != 0)
			return sec_err(err, errlen, "HELLO payload: node id "
			    "%s is not the sender %s", m->u.hello.node_id,
			    m->sender);
	}
	return 0;
}

int
net_wire_decode(const uint8_t *buf, size_t len, struct net_wire_msg *m,
    char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	size_t			payload[2] = { 0, 0 };
	const struct wire_field	env[] = {
		{ NET_WIRE_KEY_TYPE, "type", WIRE_UINT, UINT64_MAX, &m->type },
		{ NET_WIRE_KEY_SENDER, "sender", WIRE_NODE_ID, 0, m->sender },
		{ NET_WIRE_KEY_TERM, "term", WIRE_UINT, UINT64_MAX, &m->term },
		{ NET_WIRE_KEY_PAYLOAD, "payload", WIRE_ITEM, 0, payload },
	};

	memset(m, 0, sizeof *m);
	if (sec_cbor_reader_init(&r, buf, len, &wire_limits) != 0)
		return sec_err(err, errlen, "message: %s",
		    sec_cbor_reader_msg(&r));
	if (wire_fields(&r, "message", env, sizeof env / sizeof env[0], err,
	    errlen) != 0)
		return -1;
	if (sec_cbor_reader_done(&r) != 0)
		return sec_err(err, errlen, "message: %s",
		    sec_cbor_reader_msg(&r));
	return wire_payload(m, buf + payload[0], payload[1], err, errlen);
}

int
net_wire_next(const uint8_t *buf, size_t len, struct net_wire_msg *m,
    size_t *consumed, char *err, size_t errlen)
{
	char	why[160];
	size_t	n = 0;
	int	rc;

	*consumed = 0;
	rc = sec_cbor_item_len(buf, len, &wire_limits, &n, why, sizeof why);
	if (rc == SEC_CBOR_NEED_MORE)
		return NET_WIRE_NEED_MORE;
	if (rc != SEC_CBOR_OK)
		return sec_err(err, errlen, "stream: %s: %s",
		    sec_cbor_strerror(rc), why);
	*consumed = n;
	if (net_wire_decode(buf, n, m, err, errlen) != 0)
		return NET_WIRE_ERROR;
	return NET_WIRE_MSG;
}

/* ---- encoding ---- */

static int
wire_check_text(const char *s, size_t max, const char *name, size_t *len,
    char *err, size_t errlen)
{
	if (s == NULL)
		return sec_err(err, errlen, "%s missing", name);
	*len = strnlen(s, max + 1);
	if (*len > max)
		return sec_err(err, errlen, "%s longer than %zu bytes", name,
		    max);
	if (!sec_cbor_utf8_valid((const uint8_t *)s, *len))
		return sec_err(err, errlen, "%s is not valid UTF-8", name);
	if (!wire_printable(s, *len))
		return sec_err(err, errlen, "%s has a control character",
		    name);
	return 0;
}

/* A raw payload must be one deterministic map within the wire limits. */
static int
wire_check_raw(const struct net_wire_msg *m, char *err, size_t errlen)
{
	const char	*name = net_wire_type_name(m->type);
	char		 why[160];
	size_t		 n = 0;
	int		 rc;

	if (m->u.raw.payload == NULL || m->u.raw.len == 0)
		return sec_err(err, errlen, "%s payload missing", name);
	rc = sec_cbor_item_len(m->u.raw.payload, m->u.raw.len, &wire_limits,
	    &n, why, sizeof why);
	if (rc == SEC_CBOR_NEED_MORE)
		return sec_err(err, errlen, "%s payload: truncated", name);
	if (rc != SEC_CBOR_OK)
		return sec_err(err, errlen, "%s payload: %s: %s", name,
		    sec_cbor_strerror(rc), why);
	if (n != m->u.raw.len)
		return sec_err(err, errlen, "%s payload: %zu bytes after "
		    "the item", name, m->u.raw.len - n);
	if (!wire_is_map(m->u.raw.payload, n))
		return sec_err(err, errlen, "%s payload: not a map", name);
	return 0;
}

static int
wire_put_payload(struct sec_cbor_writer *w, const struct net_wire_msg *m,
    char *err, size_t errlen)
{
	const struct net_wire_hello	*h = &m->u.hello;
	size_t				 n;

	if (net_wire_type_raw(m->type)) {
		if (wire_check_raw(m, err, errlen) != 0)
			return -1;
		(void)sec_cbor_write_encoded(w, m->u.raw.payload,
		    m->u.raw.len);
		return 0;
	}
	switch (m->type) {
	case NET_WIRE_HELLO:
		if (!sec_node_id_valid(h->node_id) ||
		    strcmp(h->node_id, m->sender) != 0)
			return sec_err(err, errlen,
			    "HELLO node id must be the sender's");
		if (wire_check_text(h->name, NET_WIRE_NAME_MAX, "HELLO name",
		    &n, err, errlen) != 0)
			return -1;
		if (h->trust_mode > NET_WIRE_TRUST_MAX)
			return sec_err(err, errlen, "HELLO trust mode %u "
			    "over %u", h->trust_mode, NET_WIRE_TRUST_MAX);
		(void)sec_cbor_write_map(w, 5);
		(void)sec_cbor_write_uint(w, 1);
		(void)sec_cbor_write_text(w, h->node_id, SEC_NODE_ID_LEN);
		(void)sec_cbor_write_uint(w, 2);
		(void)sec_cbor_write_text(w, h->name, n);
		(void)sec_cbor_write_uint(w, 3);
		(void)sec_cbor_write_uint(w, h->version);
		(void)sec_cbor_write_uint(w, 4);
		(void)sec_cbor_write_uint(w, h->features);
		(void)sec_cbor_write_uint(w, 5);
		(void)sec_cbor_write_uint(w, h->trust_mode);
		return 0;
	case NET_WIRE_PING:
	case NET_WIRE_PONG:
		(void)sec_cbor_write_map(w, 2);
		(void)sec_cbor_write_uint(w, 1);
		(void)sec_cbor_write_uint(w, m->u.ping.nonce);
		(void)sec_cbor_write_uint(w, 2);
		(void)sec_cbor_write_uint(w, m->u.ping.sent_at_us);
		return 0;
	case NET_WIRE_BYE:
		if (wire_check_text(m->u.bye.reason, NET_WIRE_REASON_MAX,
		    "BYE reason", &n, err, errlen) != 0)
			return -1;
		(void)sec_cbor_write_map(w, 1);
		(void)sec_cbor_write_uint(w, 1);
		(void)sec_cbor_write_text(w, m->u.bye.reason, n);
		return 0;
	}
	return sec_err(err, errlen, "cannot encode message type %llu",
	    (unsigned long long)m->type);
}

int
net_wire_encode(const struct net_wire_msg *m, uint8_t *buf, size_t cap,
    size_t *outlen, char *err, size_t errlen)
{
	struct sec_cbor_writer	w;
	char			why[160];
	int			rc;

	*outlen = 0;
	if (strnlen(m->sender, SEC_NODE_ID_SIZE) != SEC_NODE_ID_LEN ||
	    !sec_node_id_valid(m->sender))
		return sec_err(err, errlen, "sender is not a node id");
	/* Sorted keys (1, 2, 3, 4): the encoding is deterministic. */
	sec_cbor_writer_fixed(&w, buf, cap < NET_WIRE_MAX_MSG ? cap :
	    NET_WIRE_MAX_MSG);
	(void)sec_cbor_write_map(&w, 4);
	(void)sec_cbor_write_uint(&w, NET_WIRE_KEY_TYPE);
	(void)sec_cbor_write_uint(&w, m->type);
	(void)sec_cbor_write_uint(&w, NET_WIRE_KEY_SENDER);
	(void)sec_cbor_write_text(&w, m->sender, SEC_NODE_ID_LEN);
	(void)sec_cbor_write_uint(&w, NET_WIRE_KEY_TERM);
	(void)sec_cbor_write_uint(&w, m->term);
	(void)sec_cbor_write_uint(&w, NET_WIRE_KEY_PAYLOAD);
	if (wire_put_payload(&w, m, err, errlen) != 0)
		return -1;
	if ((rc = sec_cbor_writer_error(&w)) != 0)
		return sec_err(err, errlen, "encoding %s: %s (buffer of %zu "
		    "bytes)", net_wire_type_name(m->type),
		    sec_cbor_strerror(rc), cap);
	/*
	 * A raw payload within the limits on its own may still push the
	 * message over them (depth + 1, items + 8): check what a peer's
	 * splitter will check.
	 */
	if (net_wire_type_raw(m->type) && (rc = sec_cbor_item_len(buf,
	    sec_cbor_writer_len(&w), &wire_limits, outlen, why,
	    sizeof why)) != SEC_CBOR_OK) {
		*outlen = 0;
		return sec_err(err, errlen, "encoding %s: %s: %s",
		    net_wire_type_name(m->type), sec_cbor_strerror(rc), why);
	}
	*outlen = sec_cbor_writer_len(&w);
	return 0;
}

static void
wire_envelope(struct net_wire_msg *m, uint64_t type, const char *sender,
    uint64_t term)
{
	memset(m, 0, sizeof *m);
	m->type = type;
	m->known = true;
	m->term = term;
	/* A longer string must not be cut down to a valid id: leave it empty. */
	if (sender != NULL &&
	    strnlen(sender, sizeof m->sender) < sizeof m->sender)
		memcpy(m->sender, sender, strlen(sender) + 1);
}

int
net_wire_encode_hello(uint8_t *buf, size_t cap, size_t *outlen,
    const char *sender, uint64_t term, const struct net_wire_hello *hello,
    char *err, size_t errlen)
{
	struct net_wire_msg	m;

	wire_envelope(&m, NET_WIRE_HELLO, sender, term);
	m.u.hello = *hello;
	return net_wire_encode(&m, buf, cap, outlen, err, errlen);
}

static int
wire_encode_ping(uint64_t type, uint8_t *buf, size_t cap, size_t *outlen,
    const char *sender, uint64_t term, uint64_t nonce, uint64_t sent_at_us,
    char *err, size_t errlen)
{
	struct net_wire_msg	m;

	wire_envelope(&m, type, sender, term);
	m.u.ping.nonce = nonce;
	m.u.ping.sent_at_us = sent_at_us;
	return net_wire_encode(&m, buf, cap, outlen, err, errlen);
}

int
net_wire_encode_ping(uint8_t *buf, size_t cap, size_t *outlen,
    const char *sender, uint64_t term, uint64_t nonce, uint64_t sent_at_us,
    char *err, size_t errlen)
{
	return wire_encode_ping(NET_WIRE_PING, buf, cap, outlen, sender, term,
	    nonce, sent_at_us, err, errlen);
}

int
net_wire_encode_pong(uint8_t *buf, size_t cap, size_t *outlen,
    const char *sender, uint64_t term, uint64_t nonce, uint64_t sent_at_us,
    char *err, size_t errlen)
{
	return wire_encode_ping(NET_WIRE_PONG, buf, cap, outlen, sender, term,
	    nonce, sent_at_us, err, errlen);
}

int
net_wire_encode_bye(uint8_t *buf, size_t cap, size_t *outlen,
    const char *sender, uint64_t term, const char *reason, char *err,
    size_t errlen)
{
	struct net_wire_msg	m;
	size_t			n;

	wire_envelope(&m, NET_WIRE_BYE, sender, term);
	if (wire_check_text(reason, NET_WIRE_REASON_MAX, "BYE reason", &n, err,
	    errlen) != 0)
		return -1;
	memcpy(m.u.bye.reason, reason, n);
	m.u.bye.reason[n] = '\0';
	return net_wire_encode(&m, buf, cap, outlen, err, errlen);
}

int
net_wire_encode_raw(uint8_t *buf, size_t cap, size_t *outlen, uint64_t type,
    const char *sender, uint64_t term, const uint8_t *payload,
    size_t payload_len, char *err, size_t errlen)
{
	struct net_wire_msg	m;

	*outlen = 0;
	if (!net_wire_type_raw(type))
		return sec_err(err, errlen, "type %llu (%s) is not a raw "
		    "message type", (unsigned long long)type,
		    net_wire_type_name(type));
	wire_envelope(&m, type, sender, term);
	m.u.raw.payload = payload;
	m.u.raw.len = payload_len;
	return net_wire_encode(&m, buf, cap, outlen, err, errlen);
}
