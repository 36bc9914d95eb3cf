/*
 * net_elect_wire.h - CBOR form of the election messages (net_elect.h), the
 * payload of control-stream type NET_WIRE_ELECT (net_wire.h).
 *
 * Why a codec of its own: the election state machine is pure and knows
 * nothing of bytes, and the envelope codec (net_wire) hands cluster
 * payloads over undecoded, so each protocol's format lives next to it.
 *
 * Payload: a map with small unsigned integer keys, written in ascending
 * order (deterministic CBOR, RFC 8949 section 4.2.1):
 *   1 type       uint, enum net_elect_msg_type (1..6)
 *   2 term       uint
 *   3 cfg term   uint, sender's config version
 *   4 cfg index  uint
 *   5 stamp      uint, leader's send time (heartbeats and their acks)
 *   6 ok         bool, granted / accepted
 *   7 config     map, only when msg->cfg != NULL:
 *                  {1 term uint, 2 index uint, 3 [voter node id text...]}
 * Keys 1..6 are required in every message, keys 1..3 in a config.  Unknown
 * keys (of any type) are skipped, so the format can grow; a missing key is
 * an error that names it.  Voters are node ids (sec_node_id_valid(),
 * 26 characters of [a-z2-7]), at most NET_ELECT_MAX_VOTERS, sorted and
 * without duplicates: a config must pass net_elect_config_valid().
 *
 * Decoding is bounded and allocation-free (security's sec_cbor reader
 * under deterministic limits, never libcbor's decoder): the voter count is
 * checked before any id is stored and the result is a fixed-size struct.
 */
#ifndef NET_ELECT_WIRE_H
#define NET_ELECT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "net_elect.h"
#include "sec_cbor.h"

/* Payload keys. */
#define NET_ELECT_WIRE_KEY_TYPE		1
#define NET_ELECT_WIRE_KEY_TERM		2
#define NET_ELECT_WIRE_KEY_CFG_TERM	3
#define NET_ELECT_WIRE_KEY_CFG_INDEX	4
#define NET_ELECT_WIRE_KEY_STAMP	5
#define NET_ELECT_WIRE_KEY_OK		6
#define NET_ELECT_WIRE_KEY_CONFIG	7
/* Config keys. */
#define NET_ELECT_WIRE_CFG_TERM		1
#define NET_ELECT_WIRE_CFG_INDEX	2
#define NET_ELECT_WIRE_CFG_VOTERS	3

/*
 * Appends the payload map of msg to w.  Fields are checked as the decoder
 * checks them (type in range; a config valid and made of node ids), so
 * what is sent is what a peer accepts.  Returns 0, or -1 if msg is invalid
 * or the writer failed (w's error says which for the latter).
 */
int	net_elect_wire_encode(const struct net_elect_msg *msg,
	    struct sec_cbor_writer *w);

/*
 * Decodes buf[0..len), which must be exactly one payload map, into *msg.
 * When the payload carries a config it is decoded into *cfg_out (zeroed
 * first, so unused voter slots are all NUL) and msg->cfg = cfg_out; else
 * *cfg_out is left alone and msg->cfg = NULL.  cfg_out must not be NULL.
 * Returns 0, or -1 with the reason in err.
 */
int	net_elect_wire_decode(const uint8_t *buf, size_t len,
	    struct net_elect_msg *msg, struct net_elect_config *cfg_out,
	    char *err, size_t errlen);

#endif /* NET_ELECT_WIRE_H */
