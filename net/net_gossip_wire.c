/*
 * net_gossip_wire.c - CBOR form of the gossip message payloads (DIGEST,
 * RECORDS, WANT, SUMMARY); the format is in net_gossip.h and
 * docs/cluster.md.
 *
 * Shape.  Same discipline as net_member_wire.c: security's bounded
 * reader under deterministic-encoding limits, a fixed-size result struct
 * whose entry count is checked before anything is stored, node ids
 * checked before use, record bytes returned as pointers into the caller's
 * buffer (no copy, no allocation), and each record's length compared with
 * max_record.  The three kinds with entries share one entry reader; only
 * RECORDS entries carry bytes and only RECORDS has a hop count.  SUMMARY
 * is two numbers under keys of their own (3, 4), so a SUMMARY naming an
 * entries key (1, 2) is refused rather than read as something else.
 */
#include "net_gossip.h"

#include <stdio.h>
#include <string.h>

#include "sec_cbor.h"
#include "sec_err.h"

#define GW_KEY_1	1	/* DIGEST, WANT: entries; RECORDS: hops */
#define GW_KEY_2	2	/* RECORDS: entries */
#define GW_KEY_3	3	/* SUMMARY: slots used */
#define GW_KEY_4	4	/* SUMMARY: hash of (origin, version) */

static const struct sec_cbor_limits gw_limits = {
	.max_item_bytes = 64 * 1024,
	.max_depth = 3,
	.max_items = 4 * NET_GOSSIP_MSG_ENTRIES + 8,
	.max_str_len = NET_GOSSIP_RECORD_MAX,
	.max_container_len = NET_GOSSIP_MSG_ENTRIES,
	.flags = SEC_CBOR_F_DETERMINISTIC,
};

int
net_gossip_wire_kind(uint64_t type)
{
	switch (type) {
	case NET_GOSSIP_WIRE_TYPE_DIGEST:
		return NET_GOSSIP_DIGEST;
	case NET_GOSSIP_WIRE_TYPE_RECORDS:
		return NET_GOSSIP_RECORDS;
	case NET_GOSSIP_WIRE_TYPE_WANT:
		return NET_GOSSIP_WANT;
	case NET_GOSSIP_WIRE_TYPE_SUMMARY:
		return NET_GOSSIP_SUMMARY;
	}
	return 0;
}

uint64_t
net_gossip_wire_type(enum net_gossip_kind kind)
{
	switch (kind) {
	case NET_GOSSIP_DIGEST:
		return NET_GOSSIP_WIRE_TYPE_DIGEST;
	case NET_GOSSIP_RECORDS:
		return NET_GOSSIP_WIRE_TYPE_RECORDS;
	case NET_GOSSIP_WANT:
		return NET_GOSSIP_WIRE_TYPE_WANT;
	case NET_GOSSIP_SUMMARY:
		return NET_GOSSIP_WIRE_TYPE_SUMMARY;
	}
	return 0;
}

static int
gw_read_entries(struct sec_cbor_reader *r, enum net_gossip_kind kind,
    size_t max_record, struct net_gossip_msg *msg, char *err, size_t errlen)
{
	struct net_gossip_entry	*e;
	uint64_t		 n, k, i;
	const char		*s;
	size_t			 sl;
	uint64_t		 want = kind == NET_GOSSIP_RECORDS ? 3 : 2;

	if (sec_cbor_read_array(r, &n) != 0 || n == SEC_CBOR_INDEF)
		return sec_err(err, errlen, "entries: not an array");
	if (n > NET_GOSSIP_MSG_ENTRIES)
		return sec_err(err, errlen, "entries: %llu, at most %d",
		    (unsigned long long)n, NET_GOSSIP_MSG_ENTRIES);
	for (i = 0; i < n; i++) {
		e = &msg->e[i];
		memset(e, 0, sizeof *e);
		if (sec_cbor_read_array(r, &k) != 0 || k != want)
			return sec_err(err, errlen, "entry %llu: not an array "
			    "of %llu", (unsigned long long)i,
			    (unsigned long long)want);
		if (sec_cbor_read_text(r, &s, &sl) != 0 ||
		    sl != SEC_NODE_ID_LEN)
			return sec_err(err, errlen, "entry %llu: bad origin",
			    (unsigned long long)i);
		memcpy(e->origin, s, sl);
		e->origin[sl] = '\0';
		if (!sec_node_id_valid(e->origin))
			return sec_err(err, errlen, "entry %llu: bad origin",
			    (unsigned long long)i);
		if (sec_cbor_read_uint(r, &e->version) != 0)
			return sec_err(err, errlen, "entry %llu: bad version",
			    (unsigned long long)i);
		if (kind != NET_GOSSIP_RECORDS)
			continue;
		if (sec_cbor_read_bytes(r, &e->data, &e->len) != 0)
			return sec_err(err, errlen, "entry %llu: bad record",
			    (unsigned long long)i);
		if (e->len > max_record)
			return sec_err(err, errlen, "entry %llu: record of %zu "
			    "bytes, at most %zu", (unsigned long long)i,
			    e->len, max_record);
		if (e->len == 0)
			e->data = NULL;
	}
	msg->n = (size_t)n;
	return 0;
}

/* SUMMARY {3: count, 4: hash}; the map's header is read. */
static int
gw_read_summary(struct sec_cbor_reader *r, uint64_t pairs,
    struct net_gossip_msg *msg, char *err, size_t errlen)
{
	uint64_t	i, key;
	bool		have_count = false, have_hash = false;

	for (i = 0; i < pairs; i++) {
		if (sec_cbor_peek(r) != SEC_CBOR_T_UINT) {
			if (sec_cbor_skip(r) != 0 || sec_cbor_skip(r) != 0)
				break;
			continue;
		}
		if (sec_cbor_read_uint(r, &key) != 0)
			break;
		if (key == GW_KEY_1 || key == GW_KEY_2)
			return sec_err(err, errlen, "gossip summary: key %llu: "
			    "a summary carries no entries",
			    (unsigned long long)key);
		if (key == GW_KEY_3) {
			if (sec_cbor_read_uint(r, &msg->sum_count) != 0 ||
			    msg->sum_count > NET_GOSSIP_MAX_ORIGINS)
				return sec_err(err, errlen, "gossip summary: "
				    "key 3 (count): bad value");
			have_count = true;
		} else if (key == GW_KEY_4) {
			if (sec_cbor_read_uint(r, &msg->sum_hash) != 0)
				return sec_err(err, errlen, "gossip summary: "
				    "key 4 (hash): bad value");
			have_hash = true;
		} else if (sec_cbor_skip(r) != 0)
			break;
	}
	if (r->error != 0 || sec_cbor_reader_done(r) != 0)
		return sec_err(err, errlen, "gossip payload: %s",
		    sec_cbor_reader_msg(r));
	if (!have_count)
		return sec_err(err, errlen, "gossip summary: missing key 3 "
		    "(count)");
	if (!have_hash)
		return sec_err(err, errlen, "gossip summary: missing key 4 "
		    "(hash)");
	return 0;
}

int
net_gossip_wire_decode(enum net_gossip_kind kind, const uint8_t *buf,
    size_t len, size_t max_record, struct net_gossip_msg *msg, char *err,
    size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		pairs, i, key, hops;
	bool			have_entries = false, have_hops = false;
	uint64_t		entries_key;

	memset(msg, 0, offsetof(struct net_gossip_msg, e));
	if (kind < NET_GOSSIP_DIGEST || kind > NET_GOSSIP_SUMMARY)
		return sec_err(err, errlen, "gossip: unknown kind");
	msg->kind = kind;
	entries_key = kind == NET_GOSSIP_RECORDS ? GW_KEY_2 : GW_KEY_1;
	if (sec_cbor_reader_init(&r, buf, len, &gw_limits) != 0)
		return sec_err(err, errlen, "gossip payload: %s",
		    sec_cbor_reader_msg(&r));
	if (sec_cbor_read_map(&r, &pairs) != 0 || pairs == SEC_CBOR_INDEF)
		return sec_err(err, errlen, "gossip payload: not a map");
	if (kind == NET_GOSSIP_SUMMARY)
		return gw_read_summary(&r, pairs, msg, err, errlen);
	for (i = 0; i < pairs; i++) {
		if (sec_cbor_peek(&r) != SEC_CBOR_T_UINT) {
			if (sec_cbor_skip(&r) != 0 || sec_cbor_skip(&r) != 0)
				break;
			continue;
		}
		if (sec_cbor_read_uint(&r, &key) != 0)
			break;
		if (key == entries_key) {
			if (gw_read_entries(&r, kind, max_record, msg, err,
			    errlen) != 0)
				return -1;
			have_entries = true;
		} else if (kind == NET_GOSSIP_RECORDS && key == GW_KEY_1) {
			if (sec_cbor_read_uint(&r, &hops) != 0 ||
			    hops > NET_GOSSIP_HOPS_MAX)
				return sec_err(err, errlen, "gossip payload: "
				    "key 1 (hops): bad value");
			msg->hops = (unsigned)hops;
			have_hops = true;
		} else if (sec_cbor_skip(&r) != 0)
			break;
	}
	if (r.error != 0 || sec_cbor_reader_done(&r) != 0)
		return sec_err(err, errlen, "gossip payload: %s",
		    sec_cbor_reader_msg(&r));
	if (!have_entries)
		return sec_err(err, errlen, "gossip payload: missing key %llu "
		    "(entries)", (unsigned long long)entries_key);
	if (kind == NET_GOSSIP_RECORDS && !have_hops)
		return sec_err(err, errlen, "gossip payload: missing key 1 "
		    "(hops)");
	return 0;
}

int
net_gossip_wire_encode(const struct net_gossip_msg *msg,
    struct sec_cbor_writer *w)
{
	const struct net_gossip_entry	*e;
	size_t				 i;
	bool				 rec = msg->kind == NET_GOSSIP_RECORDS;

	if (net_gossip_msg_valid(msg, NET_GOSSIP_RECORD_MAX) != 0)
		return -1;
	if (msg->kind == NET_GOSSIP_SUMMARY) {
		(void)sec_cbor_write_map(w, 2);
		(void)sec_cbor_write_uint(w, GW_KEY_3);
		(void)sec_cbor_write_uint(w, msg->sum_count);
		(void)sec_cbor_write_uint(w, GW_KEY_4);
		(void)sec_cbor_write_uint(w, msg->sum_hash);
		return sec_cbor_writer_error(w) == 0 ? 0 : -1;
	}
	for (i = 0; i < msg->n; i++)
		if (!sec_node_id_valid(msg->e[i].origin))
			return -1;
	(void)sec_cbor_write_map(w, rec ? 2 : 1);
	if (rec) {
		(void)sec_cbor_write_uint(w, GW_KEY_1);
		(void)sec_cbor_write_uint(w, msg->hops);
	}
	(void)sec_cbor_write_uint(w, rec ? GW_KEY_2 : GW_KEY_1);
	(void)sec_cbor_write_array(w, msg->n);
	for (i = 0; i < msg->n; i++) {
		e = &msg->e[i];
		(void)sec_cbor_write_array(w, rec ? 3 : 2);
		(void)sec_cbor_write_text(w, e->origin, strlen(e->origin));
		(void)sec_cbor_write_uint(w, e->version);
		if (rec)
			(void)sec_cbor_write_bytes(w, e->len > 0 ? e->data :
			    (const uint8_t *)"", e->len);
	}
	return sec_cbor_writer_error(w) == 0 ? 0 : -1;
}
