/*
 * net_raft_wire.c - CBOR codec of raft messages and their fragments; the
 * format is in net_raft_wire.h and docs/protocol.md.
 *
 * Shape.  The fields of each message type are a row of a table (which key
 * holds what kind of value), so one reader loop decodes every type: plain
 * integers and booleans land in local arrays, the three variable parts
 * (entries, configuration, snapshot data) have a function each.  Entries
 * are read twice from a copy of the reader: the first pass checks them
 * and sums their data, so the single batch raft expects is allocated once
 * at its final size; the second copies.  The encoder walks the same table.
 */
#include "net_raft_wire.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "net_wire.h"
#include "sec_cbor.h"
#include "sec_err.h"

/* Body limits: deterministic, so no map repeats a key. */
static const struct sec_cbor_limits rw_limits = {
	.max_item_bytes = NET_RAFT_WIRE_MAX_MSG,
	.max_depth = 6,
	.max_items = 5 * NET_RAFT_WIRE_MAX_ENTRIES + 64,
	.max_str_len = NET_RAFT_WIRE_MAX_MSG,
	.max_container_len = NET_RAFT_WIRE_MAX_ENTRIES,
	.flags = SEC_CBOR_F_DETERMINISTIC,
};

/* Fragment limits: one control-stream payload. */
static const struct sec_cbor_limits rw_frag_limits = {
	.max_item_bytes = NET_WIRE_MAX_MSG,
	.max_depth = 4,
	.max_items = 256,
	.max_str_len = NET_WIRE_MAX_MSG,
	.max_container_len = 64,
	.flags = SEC_CBOR_F_DETERMINISTIC,
};

#define RW_KEY_CLUSTER	1
#define RW_KEY_TYPE	2
#define RW_KEY_TERM	3
#define RW_KEY_MAX	8

/* What a key of a given message type holds. */
enum rw_kind { RW_NONE, RW_U64, RW_BOOL, RW_TRI, RW_ENTRIES, RW_CONF,
	RW_DATA };

static const unsigned char rw_table[RAFT_IO_TIMEOUT_NOW + 1][RW_KEY_MAX + 1] = {
	[RAFT_IO_APPEND_ENTRIES] = { [4] = RW_U64, [5] = RW_U64,
	    [6] = RW_U64, [7] = RW_ENTRIES },
	[RAFT_IO_APPEND_ENTRIES_RESULT] = { [4] = RW_U64, [5] = RW_U64 },
	[RAFT_IO_REQUEST_VOTE] = { [4] = RW_U64, [5] = RW_U64, [6] = RW_U64,
	    [7] = RW_BOOL, [8] = RW_BOOL },
	[RAFT_IO_REQUEST_VOTE_RESULT] = { [4] = RW_BOOL, [5] = RW_TRI },
	[RAFT_IO_INSTALL_SNAPSHOT] = { [4] = RW_U64, [5] = RW_U64,
	    [6] = RW_U64, [7] = RW_CONF, [8] = RW_DATA },
	[RAFT_IO_TIMEOUT_NOW] = { [4] = RW_U64, [5] = RW_U64 },
};

/* Decoded scalar fields, by key. */
struct rw_fields {
	uint64_t	u[RW_KEY_MAX + 1];
	bool		b[RW_KEY_MAX + 1];
};

int
net_raft_wire_cluster_valid(const char *s)
{
	size_t	i, n = strlen(s);

	if (n != 0 && n != NET_RAFT_WIRE_CLUSTER_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* ---- decoding ---- */

/* One pass over the entries: check (copy == NULL) or copy into batch. */
static int
rw_entries_pass(struct sec_cbor_reader *r, uint64_t n, size_t max_entry,
    struct raft_entry *out, uint8_t *batch, size_t *total, char *err,
    size_t errlen)
{
	const uint8_t	*p;
	uint64_t	 i, cnt, term, type;
	size_t		 len, off = 0;

	for (i = 0; i < n; i++) {
		if (sec_cbor_read_array(r, &cnt) != 0 || cnt != 3 ||
		    sec_cbor_read_uint(r, &term) != 0 ||
		    sec_cbor_read_uint(r, &type) != 0 ||
		    sec_cbor_read_bytes(r, &p, &len) != 0)
			return sec_err(err, errlen, "raft message: entry %llu: "
			    "%s", (unsigned long long)i, r->error != 0 ?
			    sec_cbor_reader_msg(r) : "not [term, type, data]");
		if (type < RAFT_COMMAND || type > RAFT_CHANGE)
			return sec_err(err, errlen, "raft message: entry %llu: "
			    "type %llu unknown", (unsigned long long)i,
			    (unsigned long long)type);
		if (len > max_entry)
			return sec_err(err, errlen, "raft message: entry %llu: "
			    "%zu bytes, at most %zu", (unsigned long long)i,
			    len, max_entry);
		if (out != NULL) {
			out[i].term = term;
			out[i].type = (unsigned short)type;
			out[i].buf.base = batch + off;
			out[i].buf.len = len;
			out[i].batch = batch;
			if (len > 0)
				memcpy(batch + off, p, len);
		}
		off += len;
	}
	*total = off;
	return 0;
}

static int
rw_read_entries(struct sec_cbor_reader *r, size_t max_entry,
    struct raft_append_entries *ae, char *err, size_t errlen)
{
	struct sec_cbor_reader	 first;
	uint64_t		 n;
	size_t			 total;
	uint8_t			*batch;

	if (sec_cbor_read_array(r, &n) != 0)
		return sec_err(err, errlen, "raft message: entries: %s",
		    sec_cbor_reader_msg(r));
	if (n > NET_RAFT_WIRE_MAX_ENTRIES)
		return sec_err(err, errlen, "raft message: %llu entries, at "
		    "most %d", (unsigned long long)n,
		    NET_RAFT_WIRE_MAX_ENTRIES);
	first = *r;
	if (rw_entries_pass(r, n, max_entry, NULL, NULL, &total, err,
	    errlen) != 0)
		return -1;
	if (n == 0)
		return 0;
	ae->entries = raft_calloc((size_t)n, sizeof *ae->entries);
	batch = raft_malloc(total > 0 ? total : 1);
	if (ae->entries == NULL || batch == NULL) {
		raft_free(ae->entries);
		raft_free(batch);
		ae->entries = NULL;
		return sec_err(err, errlen, "raft message: out of memory");
	}
	/* The checked pass cannot fail on the same bytes. */
	(void)rw_entries_pass(&first, n, max_entry, ae->entries, batch,
	    &total, err, errlen);
	ae->n_entries = (unsigned)n;
	return 0;
}

static int
rw_read_server(struct sec_cbor_reader *r, struct raft_configuration *c,
    uint64_t i, char *err, size_t errlen)
{
	char		 addr[NET_RAFT_WIRE_ADDR_MAX + 1];
	const char	*s;
	uint64_t	 cnt, id, role;
	size_t		 len;

	if (sec_cbor_read_array(r, &cnt) != 0 || cnt != 3 ||
	    sec_cbor_read_uint(r, &id) != 0 ||
	    sec_cbor_read_text(r, &s, &len) != 0 ||
	    sec_cbor_read_uint(r, &role) != 0)
		return sec_err(err, errlen, "raft message: server %llu: %s",
		    (unsigned long long)i, r->error != 0 ?
		    sec_cbor_reader_msg(r) : "not [id, address, role]");
	if (id == 0 || len == 0 || len > NET_RAFT_WIRE_ADDR_MAX ||
	    memchr(s, '\0', len) != NULL || role > RAFT_SPARE)
		return sec_err(err, errlen, "raft message: server %llu: bad "
		    "id, address or role", (unsigned long long)i);
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (raft_configuration_add(c, id, addr, (int)role) != 0)
		return sec_err(err, errlen, "raft message: server %llu: "
		    "duplicate or out of memory", (unsigned long long)i);
	return 0;
}

static int
rw_read_conf(struct sec_cbor_reader *r, struct raft_configuration *c,
    char *err, size_t errlen)
{
	uint64_t	n, i;

	if (sec_cbor_read_array(r, &n) != 0)
		return sec_err(err, errlen, "raft message: configuration: %s",
		    sec_cbor_reader_msg(r));
	if (n > NET_RAFT_WIRE_MAX_SERVERS)
		return sec_err(err, errlen, "raft message: %llu servers, at "
		    "most %d", (unsigned long long)n,
		    NET_RAFT_WIRE_MAX_SERVERS);
	for (i = 0; i < n; i++)
		if (rw_read_server(r, c, i, err, errlen) != 0)
			return -1;
	return 0;
}

static int
rw_read_data(struct sec_cbor_reader *r, struct raft_buffer *b, char *err,
    size_t errlen)
{
	const uint8_t	*p;
	size_t		 len;

	if (sec_cbor_read_bytes(r, &p, &len) != 0)
		return sec_err(err, errlen, "raft message: snapshot data: %s",
		    sec_cbor_reader_msg(r));
	b->base = raft_malloc(len > 0 ? len : 1);
	if (b->base == NULL)
		return sec_err(err, errlen, "raft message: out of memory");
	if (len > 0)
		memcpy(b->base, p, len);
	b->len = len;
	return 0;
}

/* Reads the value of key k (of kind `kind`) into f or m. */
static int
rw_read_value(struct sec_cbor_reader *r, unsigned kind, uint64_t k,
    size_t max_entry, struct rw_fields *f, struct raft_message *m,
    char *err, size_t errlen)
{
	switch (kind) {
	case RW_U64:
		(void)sec_cbor_read_uint(r, &f->u[k]);
		break;
	case RW_BOOL:
		(void)sec_cbor_read_bool(r, &f->b[k]);
		break;
	case RW_TRI:
		if (sec_cbor_read_uint(r, &f->u[k]) == 0 &&
		    f->u[k] > raft_tribool_false)
			return sec_err(err, errlen, "raft message: key %llu: "
			    "not a tribool", (unsigned long long)k);
		break;
	case RW_ENTRIES:
		return rw_read_entries(r, max_entry, &m->append_entries, err,
		    errlen);
	case RW_CONF:
		return rw_read_conf(r, &m->install_snapshot.conf, err,
		    errlen);
	case RW_DATA:
		return rw_read_data(r, &m->install_snapshot.data, err, errlen);
	}
	if (r->error != 0)
		return sec_err(err, errlen, "raft message: key %llu: %s",
		    (unsigned long long)k, sec_cbor_reader_msg(r));
	return 0;
}

static void
rw_fill(struct raft_message *m, const struct rw_fields *f, uint64_t term)
{
	switch (m->type) {
	case RAFT_IO_APPEND_ENTRIES:
		m->append_entries.term = term;
		m->append_entries.prev_log_index = f->u[4];
		m->append_entries.prev_log_term = f->u[5];
		m->append_entries.leader_commit = f->u[6];
		break;
	case RAFT_IO_APPEND_ENTRIES_RESULT:
		m->append_entries_result.term = term;
		m->append_entries_result.rejected = f->u[4];
		m->append_entries_result.last_log_index = f->u[5];
		break;
	case RAFT_IO_REQUEST_VOTE:
		m->request_vote.term = term;
		m->request_vote.candidate_id = f->u[4];
		m->request_vote.last_log_index = f->u[5];
		m->request_vote.last_log_term = f->u[6];
		m->request_vote.disrupt_leader = f->b[7];
		m->request_vote.pre_vote = f->b[8];
		break;
	case RAFT_IO_REQUEST_VOTE_RESULT:
		m->request_vote_result.term = term;
		m->request_vote_result.vote_granted = f->b[4];
		m->request_vote_result.pre_vote = (raft_tribool)f->u[5];
		break;
	case RAFT_IO_INSTALL_SNAPSHOT:
		m->install_snapshot.term = term;
		m->install_snapshot.last_index = f->u[4];
		m->install_snapshot.last_term = f->u[5];
		m->install_snapshot.conf_index = f->u[6];
		break;
	case RAFT_IO_TIMEOUT_NOW:
		m->timeout_now.term = term;
		m->timeout_now.last_log_index = f->u[4];
		m->timeout_now.last_log_term = f->u[5];
		break;
	}
}

/* Reads the cluster id (key 1) into cluster. */
static int
rw_read_cluster(struct sec_cbor_reader *r, char *cluster, char *err,
    size_t errlen)
{
	const char	*s;
	size_t		 len;

	if (sec_cbor_read_text(r, &s, &len) != 0)
		return sec_err(err, errlen, "raft message: key 1 (cluster): "
		    "%s", sec_cbor_reader_msg(r));
	if (len > NET_RAFT_WIRE_CLUSTER_LEN)
		return sec_err(err, errlen, "raft message: cluster id too "
		    "long");
	memcpy(cluster, s, len);
	cluster[len] = '\0';
	if (!net_raft_wire_cluster_valid(cluster))
		return sec_err(err, errlen, "raft message: cluster id is not "
		    "32 hex digits");
	return 0;
}

static int
rw_decode(struct sec_cbor_reader *r, size_t max_entry,
    struct raft_message *m, char *cluster, char *err, size_t errlen)
{
	struct rw_fields	f;
	uint64_t		left, k, type = 0, term = 0;
	unsigned		seen = 0, need = 0, kind;

	memset(&f, 0, sizeof f);
	if (sec_cbor_read_map(r, &left) != 0)
		return sec_err(err, errlen, "raft message: %s",
		    sec_cbor_reader_msg(r));
	for (; left > 0; left--) {
		if (sec_cbor_peek(r) != SEC_CBOR_T_UINT) {
			if (sec_cbor_skip(r) != 0 || sec_cbor_skip(r) != 0)
				break;
			continue;
		}
		if (sec_cbor_read_uint(r, &k) != 0)
			break;
		if (k == RW_KEY_CLUSTER) {
			if (rw_read_cluster(r, cluster, err, errlen) != 0)
				return -1;
		} else if (k == RW_KEY_TYPE || k == RW_KEY_TERM) {
			if (sec_cbor_read_uint(r, k == RW_KEY_TYPE ? &type :
			    &term) != 0)
				break;
			if (k == RW_KEY_TYPE && (type < RAFT_IO_APPEND_ENTRIES ||
			    type > RAFT_IO_TIMEOUT_NOW))
				return sec_err(err, errlen, "raft message: type "
				    "%llu unknown", (unsigned long long)type);
			if (k == RW_KEY_TYPE)
				m->type = (unsigned short)type;
		} else if (k <= RW_KEY_MAX && type != 0 &&
		    (kind = rw_table[type][k]) != RW_NONE) {
			if (rw_read_value(r, kind, k, max_entry, &f, m, err,
			    errlen) != 0)
				return -1;
		} else if (k <= RW_KEY_MAX && type == 0)
			return sec_err(err, errlen, "raft message: key %llu "
			    "before the type", (unsigned long long)k);
		else if (sec_cbor_skip(r) != 0)
			break;
		if (k < 32)
			seen |= 1u << k;
	}
	if (r->error != 0 || sec_cbor_reader_done(r) != 0)
		return sec_err(err, errlen, "raft message: %s",
		    sec_cbor_reader_msg(r));
	if (type == 0)
		return sec_err(err, errlen, "raft message: missing key 2 "
		    "(type)");
	need = (1u << RW_KEY_CLUSTER) | (1u << RW_KEY_TERM);
	for (k = 4; k <= RW_KEY_MAX; k++)
		if (rw_table[type][k] != RW_NONE)
			need |= 1u << k;
	for (k = 1; k <= RW_KEY_MAX; k++)
		if ((need & (1u << k)) && !(seen & (1u << k)))
			return sec_err(err, errlen, "raft message: missing key "
			    "%llu", (unsigned long long)k);
	rw_fill(m, &f, term);
	return 0;
}

int
net_raft_wire_decode(const uint8_t *buf, size_t len, size_t max_entry_bytes,
    struct raft_message *m, char *cluster, char *err, size_t errlen)
{
	struct sec_cbor_reader	r;

	/* All zero: no entries, and an empty configuration. */
	memset(m, 0, sizeof *m);
	cluster[0] = '\0';
	if (sec_cbor_reader_init(&r, buf, len, &rw_limits) != 0)
		return sec_err(err, errlen, "raft message: %s",
		    sec_cbor_reader_msg(&r));
	if (rw_decode(&r, max_entry_bytes, m, cluster, err, errlen) != 0) {
		net_raft_wire_free(m);
		memset(m, 0, sizeof *m);
		return -1;
	}
	return 0;
}

void
net_raft_wire_free(struct raft_message *m)
{
	switch (m->type) {
	case RAFT_IO_APPEND_ENTRIES:
		if (m->append_entries.entries != NULL) {
			raft_free(m->append_entries.entries[0].batch);
			raft_free(m->append_entries.entries);
		}
		m->append_entries.entries = NULL;
		m->append_entries.n_entries = 0;
		break;
	case RAFT_IO_INSTALL_SNAPSHOT:
		raft_configuration_close(&m->install_snapshot.conf);
		raft_free(m->install_snapshot.data.base);
		m->install_snapshot.data.base = NULL;
		break;
	default:
		break;
	}
}

/* ---- encoding ---- */

static void
rw_write_entries(struct sec_cbor_writer *w, const struct raft_append_entries
    *ae)
{
	unsigned	i;

	(void)sec_cbor_write_array(w, ae->n_entries);
	for (i = 0; i < ae->n_entries; i++) {
		(void)sec_cbor_write_array(w, 3);
		(void)sec_cbor_write_uint(w, ae->entries[i].term);
		(void)sec_cbor_write_uint(w, ae->entries[i].type);
		(void)sec_cbor_write_bytes(w, ae->entries[i].buf.base,
		    ae->entries[i].buf.len);
	}
}

static int
rw_write_conf(struct sec_cbor_writer *w, const struct raft_configuration *c)
{
	unsigned	i;

	if (c->n > NET_RAFT_WIRE_MAX_SERVERS)
		return -1;
	(void)sec_cbor_write_array(w, c->n);
	for (i = 0; i < c->n; i++) {
		if (c->servers[i].address == NULL ||
		    strlen(c->servers[i].address) == 0 ||
		    strlen(c->servers[i].address) > NET_RAFT_WIRE_ADDR_MAX)
			return -1;
		(void)sec_cbor_write_array(w, 3);
		(void)sec_cbor_write_uint(w, c->servers[i].id);
		(void)sec_cbor_write_cstr(w, c->servers[i].address);
		(void)sec_cbor_write_uint(w, (uint64_t)c->servers[i].role);
	}
	return 0;
}

/* The type's fields by key, in the order of rw_table. */
static int
rw_encode_fields(struct sec_cbor_writer *w, const struct raft_message *m)
{
	const struct raft_append_entries	*ae = &m->append_entries;
	const struct raft_install_snapshot	*is = &m->install_snapshot;
	uint64_t				 u[RW_KEY_MAX + 1];
	bool					 b[RW_KEY_MAX + 1];
	unsigned				 k;

	memset(u, 0, sizeof u);
	memset(b, 0, sizeof b);
	switch (m->type) {
	case RAFT_IO_APPEND_ENTRIES:
		if (ae->n_entries > NET_RAFT_WIRE_MAX_ENTRIES)
			return -1;
		u[4] = ae->prev_log_index;
		u[5] = ae->prev_log_term;
		u[6] = ae->leader_commit;
		break;
	case RAFT_IO_APPEND_ENTRIES_RESULT:
		u[4] = m->append_entries_result.rejected;
		u[5] = m->append_entries_result.last_log_index;
		break;
	case RAFT_IO_REQUEST_VOTE:
		u[4] = m->request_vote.candidate_id;
		u[5] = m->request_vote.last_log_index;
		u[6] = m->request_vote.last_log_term;
		b[7] = m->request_vote.disrupt_leader;
		b[8] = m->request_vote.pre_vote;
		break;
	case RAFT_IO_REQUEST_VOTE_RESULT:
		b[4] = m->request_vote_result.vote_granted;
		u[5] = (uint64_t)m->request_vote_result.pre_vote;
		if (u[5] > raft_tribool_false)
			return -1;
		break;
	case RAFT_IO_INSTALL_SNAPSHOT:
		u[4] = is->last_index;
		u[5] = is->last_term;
		u[6] = is->conf_index;
		break;
	case RAFT_IO_TIMEOUT_NOW:
		u[4] = m->timeout_now.last_log_index;
		u[5] = m->timeout_now.last_log_term;
		break;
	}
	for (k = 4; k <= RW_KEY_MAX; k++) {
		if (rw_table[m->type][k] == RW_NONE)
			continue;
		(void)sec_cbor_write_uint(w, k);
		switch (rw_table[m->type][k]) {
		case RW_U64:
		case RW_TRI:
			(void)sec_cbor_write_uint(w, u[k]);
			break;
		case RW_BOOL:
			(void)sec_cbor_write_bool(w, b[k]);
			break;
		case RW_ENTRIES:
			rw_write_entries(w, ae);
			break;
		case RW_CONF:
			if (rw_write_conf(w, &is->conf) != 0)
				return -1;
			break;
		case RW_DATA:
			(void)sec_cbor_write_bytes(w, is->data.base,
			    is->data.len);
			break;
		}
	}
	return 0;
}

/* The message's term, whatever its type. */
static uint64_t
rw_term(const struct raft_message *m)
{
	switch (m->type) {
	case RAFT_IO_APPEND_ENTRIES:
		return m->append_entries.term;
	case RAFT_IO_APPEND_ENTRIES_RESULT:
		return m->append_entries_result.term;
	case RAFT_IO_REQUEST_VOTE:
		return m->request_vote.term;
	case RAFT_IO_REQUEST_VOTE_RESULT:
		return m->request_vote_result.term;
	case RAFT_IO_INSTALL_SNAPSHOT:
		return m->install_snapshot.term;
	default:
		return m->timeout_now.term;
	}
}

int
net_raft_wire_encode(const struct raft_message *m, const char *cluster_id,
    uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	struct sec_cbor_writer	w;
	unsigned		k, pairs = 3;

	*out = NULL;
	*outlen = 0;
	if (m->type < RAFT_IO_APPEND_ENTRIES || m->type > RAFT_IO_TIMEOUT_NOW)
		return sec_err(err, errlen, "raft message: type %u unknown",
		    (unsigned)m->type);
	if (!net_raft_wire_cluster_valid(cluster_id))
		return sec_err(err, errlen, "raft message: bad cluster id");
	for (k = 4; k <= RW_KEY_MAX; k++)
		if (rw_table[m->type][k] != RW_NONE)
			pairs++;
	sec_cbor_writer_dynamic(&w, NET_RAFT_WIRE_MAX_MSG);
	(void)sec_cbor_write_map(&w, pairs);
	(void)sec_cbor_write_uint(&w, RW_KEY_CLUSTER);
	(void)sec_cbor_write_cstr(&w, cluster_id);
	(void)sec_cbor_write_uint(&w, RW_KEY_TYPE);
	(void)sec_cbor_write_uint(&w, m->type);
	(void)sec_cbor_write_uint(&w, RW_KEY_TERM);
	(void)sec_cbor_write_uint(&w, rw_term(m));
	if (rw_encode_fields(&w, m) != 0) {
		sec_cbor_writer_release(&w);
		return sec_err(err, errlen, "raft message: a field cannot be "
		    "sent (too many entries or servers, bad address)");
	}
	if (sec_cbor_writer_error(&w) != 0) {
		sec_cbor_writer_release(&w);
		return sec_err(err, errlen, "raft message: over %d bytes or "
		    "out of memory", NET_RAFT_WIRE_MAX_MSG);
	}
	*outlen = sec_cbor_writer_len(&w);
	*out = malloc(*outlen);
	if (*out == NULL) {
		sec_cbor_writer_release(&w);
		return sec_err(err, errlen, "raft message: out of memory");
	}
	memcpy(*out, sec_cbor_writer_data(&w), *outlen);
	sec_cbor_writer_release(&w);
	return 0;
}

/* ---- fragments ---- */

#define RW_FRAG_ID	1
#define RW_FRAG_OFF	2
#define RW_FRAG_TOTAL	3
#define RW_FRAG_DATA	4

int
net_raft_wire_frames(const uint8_t *body, size_t len, uint64_t id,
    const char *sender, uint64_t term, net_raft_wire_emit emit, void *arg,
    char *err, size_t errlen)
{
	struct sec_cbor_writer	 w;
	uint8_t			 pay[NET_RAFT_WIRE_FRAG + 64];
	uint8_t			*frame;
	char			 why[160];
	size_t			 off = 0, n, flen;
	int			 rc = 0;

	if (len == 0 || len > NET_RAFT_WIRE_MAX_MSG)
		return sec_err(err, errlen, "raft message: %zu bytes, at most "
		    "%d", len, NET_RAFT_WIRE_MAX_MSG);
	why[0] = '\0';
	frame = malloc(NET_WIRE_MAX_MSG);
	if (frame == NULL)
		return sec_err(err, errlen, "raft message: out of memory");
	while (off < len && rc == 0) {
		n = len - off < NET_RAFT_WIRE_FRAG ? len - off :
		    NET_RAFT_WIRE_FRAG;
		sec_cbor_writer_fixed(&w, pay, sizeof pay);
		(void)sec_cbor_write_map(&w, 4);
		(void)sec_cbor_write_uint(&w, RW_FRAG_ID);
		(void)sec_cbor_write_uint(&w, id);
		(void)sec_cbor_write_uint(&w, RW_FRAG_OFF);
		(void)sec_cbor_write_uint(&w, off);
		(void)sec_cbor_write_uint(&w, RW_FRAG_TOTAL);
		(void)sec_cbor_write_uint(&w, len);
		(void)sec_cbor_write_uint(&w, RW_FRAG_DATA);
		(void)sec_cbor_write_bytes(&w, body + off, n);
		if (sec_cbor_writer_error(&w) != 0 ||
		    net_wire_encode_raw(frame, NET_WIRE_MAX_MSG, &flen,
		    NET_WIRE_RAFT, sender, term, pay, sec_cbor_writer_len(&w),
		    why, sizeof why) != 0) {
			free(frame);
			return sec_err(err, errlen, "raft fragment: cannot "
			    "build: %s", why);
		}
		rc = emit(arg, frame, flen);
		off += n;
	}
	free(frame);
	return rc;
}

void
net_raft_reasm_init(struct net_raft_reasm *ra)
{
	memset(ra, 0, sizeof *ra);
}

void
net_raft_reasm_reset(struct net_raft_reasm *ra)
{
	free(ra->buf);
	net_raft_reasm_init(ra);
}

struct rw_frag {
	uint64_t	 id, off, total;
	const uint8_t	*p;
	size_t		 n;
};

static int
rw_frag_decode(const uint8_t *buf, size_t len, struct rw_frag *f, char *err,
    size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		left, k;
	unsigned		seen = 0;

	memset(f, 0, sizeof *f);
	if (sec_cbor_reader_init(&r, buf, len, &rw_frag_limits) != 0 ||
	    sec_cbor_read_map(&r, &left) != 0)
		return sec_err(err, errlen, "raft fragment: %s",
		    sec_cbor_reader_msg(&r));
	for (; left > 0 && r.error == 0; left--) {
		if (sec_cbor_peek(&r) != SEC_CBOR_T_UINT) {
			(void)sec_cbor_skip(&r);
			(void)sec_cbor_skip(&r);
			continue;
		}
		(void)sec_cbor_read_uint(&r, &k);
		if (k == RW_FRAG_ID)
			(void)sec_cbor_read_uint(&r, &f->id);
		else if (k == RW_FRAG_OFF)
			(void)sec_cbor_read_uint(&r, &f->off);
		else if (k == RW_FRAG_TOTAL)
			(void)sec_cbor_read_uint(&r, &f->total);
		else if (k == RW_FRAG_DATA)
			(void)sec_cbor_read_bytes(&r, &f->p, &f->n);
		else
			(void)sec_cbor_skip(&r);
		if (k >= RW_FRAG_ID && k <= RW_FRAG_DATA)
			seen |= 1u << k;
	}
	if (r.error != 0 || sec_cbor_reader_done(&r) != 0)
		return sec_err(err, errlen, "raft fragment: %s",
		    sec_cbor_reader_msg(&r));
	if (seen != 0x1e)
		return sec_err(err, errlen, "raft fragment: missing a key");
	if (f->total == 0 || f->total > NET_RAFT_WIRE_MAX_MSG || f->n == 0 ||
	    f->off > f->total || f->n > f->total - f->off)
		return sec_err(err, errlen, "raft fragment: bad offset or "
		    "length (%llu + %zu of %llu)", (unsigned long long)f->off,
		    f->n, (unsigned long long)f->total);
	return 0;
}

/*
 * Room for n more bytes: doubling, so a long message is not copied over
 * and over, but never past the declared total, and never more than twice
 * what actually arrived.
 */
static int
rw_reasm_grow(struct net_raft_reasm *ra, size_t n)
{
	uint8_t	*nb;
	size_t	 cap;

	if (ra->have + n <= ra->cap)
		return 0;
	cap = ra->cap * 2 > ra->have + n ? ra->cap * 2 : ra->have + n;
	if (cap > ra->total)
		cap = ra->total;
	if ((nb = realloc(ra->buf, cap)) == NULL)
		return -1;
	ra->buf = nb;
	ra->cap = cap;
	return 0;
}

int
net_raft_reasm_feed(struct net_raft_reasm *ra, const uint8_t *frag,
    size_t fraglen, const uint8_t **body, size_t *len, char *err,
    size_t errlen)
{
	struct rw_frag	f;

	*body = NULL;
	*len = 0;
	if (rw_frag_decode(frag, fraglen, &f, err, errlen) != 0) {
		net_raft_reasm_reset(ra);
		return -1;
	}
	if (f.off == 0) {
		net_raft_reasm_reset(ra);
		if (f.n == f.total) {
			*body = f.p;
			*len = f.n;
			return 1;
		}
		/* Grown as fragments arrive, never to the claimed total. */
		ra->id = f.id;
		ra->total = (size_t)f.total;
	} else if (ra->buf == NULL || f.id != ra->id ||
	    f.total != ra->total || f.off != ra->have) {
		net_raft_reasm_reset(ra);
		return sec_err(err, errlen, "raft fragment: out of sequence "
		    "(id %llu offset %llu)", (unsigned long long)f.id,
		    (unsigned long long)f.off);
	}
	if (rw_reasm_grow(ra, f.n) != 0) {
		net_raft_reasm_reset(ra);
		return sec_err(err, errlen, "raft fragment: out of memory");
	}
	memcpy(ra->buf + ra->have, f.p, f.n);
	ra->have += f.n;
	if (ra->have < ra->total)
		return 0;
	*body = ra->buf;
	*len = ra->have;
	/* The caller decodes before the next feed; reset then. */
	ra->have = 0;
	ra->total = 0;
	ra->id = 0;
	return 1;
}
