/*
 * net_elect_wire.c - CBOR codec of the election messages; the format is in
 * net_elect_wire.h and docs/protocol.md ("Cluster messages").
 *
 * Shape.  One reader loop per map (payload, config): each known key is
 * read once into a local, other keys are skipped whole, and a bit mask of
 * the keys seen turns "missing key" into an error naming it.  Values are
 * checked (enum range, bool, node ids, voter order) before the result is
 * filled, and the voter count is compared with NET_ELECT_MAX_VOTERS before
 * the first id is copied, so nothing a peer sends can overrun the fixed
 * config.  The encoder writes keys in ascending order and refuses what
 * the decoder would refuse.
 */
#include "net_elect_wire.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sec_identity.h"
#include "sec_err.h"

_Static_assert(SEC_NODE_ID_SIZE <= NET_ELECT_ID_SIZE,
    "a node id fits an election id");

/*
 * Deterministic encoding only (so no map repeats a key).  The depth
 * leaves room for unknown keys with nested values: the payload sits one
 * level below the envelope, whose limit is 8.
 */
static const struct sec_cbor_limits ew_limits = {
	.max_item_bytes = 64 * 1024,
	.max_depth = 7,
	.max_items = 4096,
	.max_str_len = 64 * 1024,
	.max_container_len = 4096,
	.flags = SEC_CBOR_F_DETERMINISTIC,
};

static const char *const ew_key_names[] = {
	NULL, "type", "term", "cfg term", "cfg index", "stamp", "ok", "config"
};
static const char *const ew_cfg_key_names[] = {
	NULL, "term", "index", "voters"
};

static bool
ew_type_valid(uint64_t t)
{
	return t >= NET_ELECT_PREVOTE && t <= NET_ELECT_HEARTBEAT_RESP;
}

/*
 * Starts a map and reads its next known key: returns 1 with *key set,
 * 0 at the end of the map, -1 on a reader error.  Keys that are not
 * unsigned integers, and unsigned keys above max, are skipped with their
 * values.  *left counts the pairs still to read.
 */
static int
ew_next_key(struct sec_cbor_reader *r, uint64_t *left, uint64_t max,
    uint64_t *key)
{
	while (*left > 0) {
		(*left)--;
		if (sec_cbor_peek(r) == SEC_CBOR_T_UINT) {
			if (sec_cbor_read_uint(r, key) != 0)
				return -1;
			if (*key >= 1 && *key <= max)
				return 1;
		} else if (sec_cbor_skip(r) != 0)
			return -1;
		if (sec_cbor_skip(r) != 0)
			return -1;
	}
	return r->error != 0 ? -1 : 0;
}

static int
ew_read_voters(struct sec_cbor_reader *r, struct net_elect_config *cfg,
    char *err, size_t errlen)
{
	const char	*s;
	uint64_t	 n, i;
	size_t		 len;
	char		*dst;

	if (sec_cbor_read_array(r, &n) != 0)
		return sec_err(err, errlen, "election config: key 3 (voters): "
		    "%s", sec_cbor_reader_msg(r));
	/* Deterministic limits: never SEC_CBOR_INDEF here. */
	if (n > NET_ELECT_MAX_VOTERS)
		return sec_err(err, errlen, "election config: %llu voters, at "
		    "most %d", (unsigned long long)n, NET_ELECT_MAX_VOTERS);
	for (i = 0; i < n; i++) {
		if (sec_cbor_read_text(r, &s, &len) != 0)
			return sec_err(err, errlen, "election config: voter "
			    "%llu: %s", (unsigned long long)i,
			    sec_cbor_reader_msg(r));
		if (len != SEC_NODE_ID_LEN)
			return sec_err(err, errlen, "election config: voter "
			    "%llu: not a node id", (unsigned long long)i);
		dst = cfg->voters[i].s;
		memcpy(dst, s, len);
		dst[len] = '\0';
		if (!sec_node_id_valid(dst))
			return sec_err(err, errlen, "election config: voter "
			    "%llu: not a node id", (unsigned long long)i);
		if (i > 0 && strcmp(cfg->voters[i - 1].s, dst) >= 0)
			return sec_err(err, errlen, "election config: voter "
			    "%llu: %s", (unsigned long long)i,
			    strcmp(cfg->voters[i - 1].s, dst) == 0 ?
			    "duplicate" : "not in sorted order");
	}
	cfg->n = (uint32_t)n;
	return 0;
}

static int
ew_read_config(struct sec_cbor_reader *r, struct net_elect_config *cfg,
    char *err, size_t errlen)
{
	uint64_t	left, key;
	unsigned	seen = 0, k;
	int		rc;

	memset(cfg, 0, sizeof *cfg);
	if (sec_cbor_read_map(r, &left) != 0)
		return sec_err(err, errlen, "election payload: key 7 (config): "
		    "%s", sec_cbor_reader_msg(r));
	while ((rc = ew_next_key(r, &left, NET_ELECT_WIRE_CFG_VOTERS,
	    &key)) == 1) {
		seen |= 1u << key;
		switch (key) {
		case NET_ELECT_WIRE_CFG_TERM:
			(void)sec_cbor_read_uint(r, &cfg->term);
			break;
		case NET_ELECT_WIRE_CFG_INDEX:
			(void)sec_cbor_read_uint(r, &cfg->index);
			break;
		case NET_ELECT_WIRE_CFG_VOTERS:
			if (ew_read_voters(r, cfg, err, errlen) != 0)
				return -1;
			break;
		}
		if (r->error != 0)
			return sec_err(err, errlen, "election config: key %llu "
			    "(%s): %s", (unsigned long long)key,
			    ew_cfg_key_names[key], sec_cbor_reader_msg(r));
	}
	if (rc < 0)
		return sec_err(err, errlen, "election config: %s",
		    sec_cbor_reader_msg(r));
	for (k = 1; k <= NET_ELECT_WIRE_CFG_VOTERS; k++)
		if (!(seen & (1u << k)))
			return sec_err(err, errlen, "election config: missing "
			    "key %u (%s)", k, ew_cfg_key_names[k]);
	if (!net_elect_config_valid(cfg))
		return sec_err(err, errlen, "election config: invalid voter "
		    "set (index 0 with voters)");
	return 0;
}

int
net_elect_wire_decode(const uint8_t *buf, size_t len,
    struct net_elect_msg *msg, struct net_elect_config *cfg_out, char *err,
    size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		left, key, v[NET_ELECT_WIRE_KEY_STAMP + 1];
	unsigned		seen = 0, k;
	bool			ok = false;
	int			rc;

	memset(msg, 0, sizeof *msg);
	if (cfg_out == NULL)
		return sec_err(err, errlen, "election payload: no room for a "
		    "config");
	memset(v, 0, sizeof v);
	if (sec_cbor_reader_init(&r, buf, len, &ew_limits) != 0 ||
	    sec_cbor_read_map(&r, &left) != 0)
		return sec_err(err, errlen, "election payload: %s",
		    sec_cbor_reader_msg(&r));
	while ((rc = ew_next_key(&r, &left, NET_ELECT_WIRE_KEY_CONFIG,
	    &key)) == 1) {
		seen |= 1u << key;
		if (key == NET_ELECT_WIRE_KEY_OK)
			(void)sec_cbor_read_bool(&r, &ok);
		else if (key == NET_ELECT_WIRE_KEY_CONFIG) {
			if (ew_read_config(&r, cfg_out, err, errlen) != 0)
				return -1;
		} else
			(void)sec_cbor_read_uint(&r, &v[key]);
		if (r.error != 0)
			return sec_err(err, errlen, "election payload: key %llu "
			    "(%s): %s", (unsigned long long)key,
			    ew_key_names[key], sec_cbor_reader_msg(&r));
	}
	if (rc < 0 || sec_cbor_reader_done(&r) != 0)
		return sec_err(err, errlen, "election payload: %s",
		    sec_cbor_reader_msg(&r));
	for (k = 1; k <= NET_ELECT_WIRE_KEY_OK; k++)
		if (!(seen & (1u << k)))
			return sec_err(err, errlen, "election payload: missing "
			    "key %u (%s)", k, ew_key_names[k]);
	if (!ew_type_valid(v[NET_ELECT_WIRE_KEY_TYPE]))
		return sec_err(err, errlen, "election payload: key 1 (type): "
		    "%llu is not an election message type",
		    (unsigned long long)v[NET_ELECT_WIRE_KEY_TYPE]);
	msg->type = (enum net_elect_msg_type)v[NET_ELECT_WIRE_KEY_TYPE];
	msg->term = v[NET_ELECT_WIRE_KEY_TERM];
	msg->cfg_term = v[NET_ELECT_WIRE_KEY_CFG_TERM];
	msg->cfg_index = v[NET_ELECT_WIRE_KEY_CFG_INDEX];
	msg->stamp = v[NET_ELECT_WIRE_KEY_STAMP];
	msg->ok = ok;
	msg->cfg = (seen & (1u << NET_ELECT_WIRE_KEY_CONFIG)) ? cfg_out :
	    NULL;
	return 0;
}

/* ---- encoding ---- */

static bool
ew_config_sendable(const struct net_elect_config *cfg)
{
	uint32_t	i;

	if (!net_elect_config_valid(cfg))
		return false;
	for (i = 0; i < cfg->n; i++)
		if (!sec_node_id_valid(cfg->voters[i].s))
			return false;
	return true;
}

int
net_elect_wire_encode(const struct net_elect_msg *msg,
    struct sec_cbor_writer *w)
{
	const struct net_elect_config	*cfg = msg->cfg;
	uint32_t			 i;

	if (!ew_type_valid((uint64_t)msg->type))
		return -1;
	if (cfg != NULL && !ew_config_sendable(cfg))
		return -1;
	(void)sec_cbor_write_map(w, cfg != NULL ? 7 : 6);
	(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_KEY_TYPE);
	(void)sec_cbor_write_uint(w, (uint64_t)msg->type);
	(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_KEY_TERM);
	(void)sec_cbor_write_uint(w, msg->term);
	(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_KEY_CFG_TERM);
	(void)sec_cbor_write_uint(w, msg->cfg_term);
	(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_KEY_CFG_INDEX);
	(void)sec_cbor_write_uint(w, msg->cfg_index);
	(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_KEY_STAMP);
	(void)sec_cbor_write_uint(w, msg->stamp);
	(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_KEY_OK);
	(void)sec_cbor_write_bool(w, msg->ok);
	if (cfg != NULL) {
		(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_KEY_CONFIG);
		(void)sec_cbor_write_map(w, 3);
		(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_CFG_TERM);
		(void)sec_cbor_write_uint(w, cfg->term);
		(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_CFG_INDEX);
		(void)sec_cbor_write_uint(w, cfg->index);
		(void)sec_cbor_write_uint(w, NET_ELECT_WIRE_CFG_VOTERS);
		(void)sec_cbor_write_array(w, cfg->n);
		for (i = 0; i < cfg->n; i++)
			(void)sec_cbor_write_text(w, cfg->voters[i].s,
			    SEC_NODE_ID_LEN);
	}
	return sec_cbor_writer_error(w) == 0 ? 0 : -1;
}
