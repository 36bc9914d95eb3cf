/*
 * net_member_wire.c - CBOR form of the membership message payload; the
 * format is in net_member.h and docs/cluster.md.
 *
 * Shape.  The payload is one map; decoding uses security's bounded reader
 * (sec_cbor.h) under deterministic-encoding limits, never libcbor's
 * decoder, so a peer cannot make us allocate or recurse: the message
 * struct is fixed-size, the claim count is checked against
 * NET_MEMBER_MSG_CLAIMS before anything is stored, and node ids are
 * copied only after their length and alphabet are checked.  The lead's
 * envelope codec (net_wire.c) hands us the payload item's bytes.
 */
#include "net_member.h"

#include <stdio.h>
#include <string.h>

#include "sec_cbor.h"
#include "sec_err.h"

#define MW_KEY_FLAGS	1
#define MW_KEY_CLAIMS	2
#define MW_KEY_PROBE	3
#define MW_KEY_SEQ	4
#define MW_KEY_TARGET	5

static const struct sec_cbor_limits mw_limits = {
	.max_item_bytes = 64 * 1024,
	.max_depth = 3,
	.max_items = 4096,
	.max_str_len = 64 * 1024,
	.max_container_len = NET_MEMBER_MSG_CLAIMS,
	.flags = SEC_CBOR_F_DETERMINISTIC,
};

static int
mw_read_id(struct sec_cbor_reader *r, char *dst)
{
	const char	*s;
	size_t		 n;

	if (sec_cbor_read_text(r, &s, &n) != 0 || n != SEC_NODE_ID_LEN)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return sec_node_id_valid(dst) ? 0 : -1;
}

static int
mw_read_claims(struct sec_cbor_reader *r, struct net_member_msg *msg,
    char *err, size_t errlen)
{
	struct net_member_claim	*c;
	uint64_t		 n, k, i, v;

	if (sec_cbor_read_array(r, &n) != 0 || n == SEC_CBOR_INDEF)
		return sec_err(err, errlen, "claims: not an array");
	if (n > NET_MEMBER_MSG_CLAIMS)
		return sec_err(err, errlen, "claims: %llu, at most %d",
		    (unsigned long long)n, NET_MEMBER_MSG_CLAIMS);
	for (i = 0; i < n; i++) {
		c = &msg->claims[i];
		memset(c, 0, sizeof *c);
		if (sec_cbor_read_array(r, &k) != 0 || k != 4)
			return sec_err(err, errlen, "claim %llu: not an array "
			    "of 4", (unsigned long long)i);
		if (mw_read_id(r, c->subject) != 0)
			return sec_err(err, errlen, "claim %llu: bad subject",
			    (unsigned long long)i);
		if (sec_cbor_read_uint(r, &v) != 0 ||
		    v < NET_MEMBER_ALIVE || v > NET_MEMBER_LEFT)
			return sec_err(err, errlen, "claim %llu: bad status",
			    (unsigned long long)i);
		c->status = (uint8_t)v;
		if (sec_cbor_read_uint(r, &c->incarnation) != 0)
			return sec_err(err, errlen, "claim %llu: bad "
			    "incarnation", (unsigned long long)i);
		if (mw_read_id(r, c->from) != 0)
			return sec_err(err, errlen, "claim %llu: bad from",
			    (unsigned long long)i);
	}
	msg->nclaims = (size_t)n;
	return 0;
}

int
net_member_wire_decode(const uint8_t *buf, size_t len,
    struct net_member_msg *msg, char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		pairs, i, key, flags, v;
	bool			have_flags = false, have_claims = false;
	bool			have_seq = false;

	memset(msg, 0, offsetof(struct net_member_msg, claims));
	if (sec_cbor_reader_init(&r, buf, len, &mw_limits) != 0)
		return sec_err(err, errlen, "member payload: %s",
		    sec_cbor_reader_msg(&r));
	if (sec_cbor_read_map(&r, &pairs) != 0 || pairs == SEC_CBOR_INDEF)
		return sec_err(err, errlen, "member payload: not a map");
	for (i = 0; i < pairs; i++) {
		if (sec_cbor_peek(&r) != SEC_CBOR_T_UINT) {
			if (sec_cbor_skip(&r) != 0 || sec_cbor_skip(&r) != 0)
				break;
			continue;
		}
		if (sec_cbor_read_uint(&r, &key) != 0)
			break;
		if (key == MW_KEY_FLAGS) {
			if (sec_cbor_read_uint(&r, &flags) != 0 ||
			    (flags & ~(uint64_t)NET_MEMBER_F_ALL) != 0)
				return sec_err(err, errlen, "member payload: "
				    "key 1 (flags): bad value");
			msg->flags = (unsigned)flags;
			have_flags = true;
		} else if (key == MW_KEY_CLAIMS) {
			if (mw_read_claims(&r, msg, err, errlen) != 0)
				return -1;
			have_claims = true;
		} else if (key == MW_KEY_PROBE) {
			if (sec_cbor_read_uint(&r, &v) != 0 ||
			    v < NET_MEMBER_PROBE_PING ||
			    v > NET_MEMBER_PROBE_NACK)
				return sec_err(err, errlen, "member payload: "
				    "key 3 (probe): bad value");
			msg->probe = (uint8_t)v;
		} else if (key == MW_KEY_SEQ) {
			if (sec_cbor_read_uint(&r, &msg->seq) != 0)
				return sec_err(err, errlen, "member payload: "
				    "key 4 (seq): bad value");
			have_seq = true;
		} else if (key == MW_KEY_TARGET) {
			if (mw_read_id(&r, msg->target) != 0)
				return sec_err(err, errlen, "member payload: "
				    "key 5 (target): bad node id");
		} else if (sec_cbor_skip(&r) != 0)
			break;
	}
	if (r.error != 0 || sec_cbor_reader_done(&r) != 0)
		return sec_err(err, errlen, "member payload: %s",
		    sec_cbor_reader_msg(&r));
	if (!have_flags)
		return sec_err(err, errlen, "member payload: missing key 1 "
		    "(flags)");
	if (!have_claims)
		return sec_err(err, errlen, "member payload: missing key 2 "
		    "(claims)");
	if ((msg->probe != NET_MEMBER_PROBE_NONE) != have_seq)
		return sec_err(err, errlen, "member payload: keys 3 (probe) "
		    "and 4 (seq) go together");
	if (net_member_msg_valid(msg) != 0)
		return sec_err(err, errlen, "member payload: key 5 (target) "
		    "does not fit probe %u", (unsigned)msg->probe);
	return 0;
}

int
net_member_wire_encode(const struct net_member_msg *msg,
    struct sec_cbor_writer *w)
{
	const struct net_member_claim	*c;
	size_t				 i;

	if (net_member_msg_valid(msg) != 0)
		return -1;
	for (i = 0; i < msg->nclaims; i++)
		if (!sec_node_id_valid(msg->claims[i].subject) ||
		    !sec_node_id_valid(msg->claims[i].from))
			return -1;
	(void)sec_cbor_write_map(w, msg->probe == NET_MEMBER_PROBE_NONE ? 2 :
	    msg->target[0] != '\0' ? 5 : 4);
	(void)sec_cbor_write_uint(w, MW_KEY_FLAGS);
	(void)sec_cbor_write_uint(w, msg->flags);
	(void)sec_cbor_write_uint(w, MW_KEY_CLAIMS);
	(void)sec_cbor_write_array(w, msg->nclaims);
	for (i = 0; i < msg->nclaims; i++) {
		c = &msg->claims[i];
		(void)sec_cbor_write_array(w, 4);
		(void)sec_cbor_write_text(w, c->subject, strlen(c->subject));
		(void)sec_cbor_write_uint(w, c->status);
		(void)sec_cbor_write_uint(w, c->incarnation);
		(void)sec_cbor_write_text(w, c->from, strlen(c->from));
	}
	if (msg->probe != NET_MEMBER_PROBE_NONE) {
		(void)sec_cbor_write_uint(w, MW_KEY_PROBE);
		(void)sec_cbor_write_uint(w, msg->probe);
		(void)sec_cbor_write_uint(w, MW_KEY_SEQ);
		(void)sec_cbor_write_uint(w, msg->seq);
		if (msg->target[0] != '\0') {
			(void)sec_cbor_write_uint(w, MW_KEY_TARGET);
			(void)sec_cbor_write_text(w, msg->target,
			    strlen(msg->target));
		}
	}
	return sec_cbor_writer_error(w) == 0 ? 0 : -1;
}
