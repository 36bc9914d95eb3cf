/*
 * ag_announce.c - encoding and bounded decoding of the CLUSTER message;
 * see ag_announce.h.
 */
#include "ag_announce.h"

#include "net_raft_wire.h"

#include <stdio.h>
#include <string.h>

static const struct sec_cbor_limits announce_limits = {
	AG_ANNOUNCE_MAX, 3, 64, 64, 16,
	SEC_CBOR_F_DETERMINISTIC,
};

int
ag_announce_cluster_valid(const char *s)
{
	/* The same form raft's messages carry (net_raft_wire.h). */
	return net_raft_wire_cluster_valid(s);
}

static int
leader_valid(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '2' && s[i] <= '7')))
			return 0;
	return 1;
}

/* The boot list: 1..BOOT_MAX valid, non-empty ids in increasing order. */
static int
boot_valid(const struct ag_announce *a)
{
	int	i;

	if (a->nboot < 0 || a->nboot > AG_ANNOUNCE_BOOT_MAX)
		return 0;
	for (i = 0; i < a->nboot; i++)
		if (a->boot[i][0] == '\0' || !leader_valid(a->boot[i]) ||
		    (i > 0 && strcmp(a->boot[i - 1], a->boot[i]) >= 0))
			return 0;
	return 1;
}

int
ag_announce_encode(const struct ag_announce *a, struct sec_cbor_writer *w)
{
	int	i;

	if (!ag_announce_cluster_valid(a->cluster) ||
	    !leader_valid(a->leader) || !boot_valid(a))
		return -1;
	(void)sec_cbor_write_map(w, a->nboot > 0 ? 8 : 7);
	(void)sec_cbor_write_uint(w, 1);
	(void)sec_cbor_write_cstr(w, a->cluster);
	(void)sec_cbor_write_uint(w, 2);
	(void)sec_cbor_write_uint(w, a->servers);
	(void)sec_cbor_write_uint(w, 3);
	(void)sec_cbor_write_uint(w, a->voters);
	(void)sec_cbor_write_uint(w, 4);
	(void)sec_cbor_write_uint(w, a->term);
	(void)sec_cbor_write_uint(w, 5);
	(void)sec_cbor_write_uint(w, a->commit);
	(void)sec_cbor_write_uint(w, 6);
	(void)sec_cbor_write_cstr(w, a->leader);
	(void)sec_cbor_write_uint(w, 7);
	(void)sec_cbor_write_bool(w, a->member);
	if (a->nboot > 0) {
		(void)sec_cbor_write_uint(w, 8);
		(void)sec_cbor_write_array(w, (uint64_t)a->nboot);
		for (i = 0; i < a->nboot; i++)
			(void)sec_cbor_write_cstr(w, a->boot[i]);
	}
	return sec_cbor_writer_error(w) == 0 ? 0 : -1;
}

static int
fail(char *err, size_t errlen, const char *what,
    const struct sec_cbor_reader *r)
{
	(void)snprintf(err, errlen, "CLUSTER: %s%s%s", what,
	    r->error ? ": " : "", r->error ? sec_cbor_reader_msg(r) : "");
	return -1;
}

static int
read_boot(struct sec_cbor_reader *r, struct ag_announce *a)
{
	uint64_t	n, i;

	if (sec_cbor_read_array(r, &n) != 0 || n == 0 ||
	    n > AG_ANNOUNCE_BOOT_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (sec_cbor_read_cstr(r, a->boot[i], sizeof a->boot[i]) != 0)
			return -1;
	a->nboot = (int)n;
	return 0;
}

static int
read_key(struct sec_cbor_reader *r, uint64_t key, struct ag_announce *a)
{
	switch (key) {
	case 8:
		return read_boot(r, a);
	case 1:
		return sec_cbor_read_cstr(r, a->cluster, sizeof a->cluster);
	case 2:
		return sec_cbor_read_uint(r, &a->servers);
	case 3:
		return sec_cbor_read_uint(r, &a->voters);
	case 4:
		return sec_cbor_read_uint(r, &a->term);
	case 5:
		return sec_cbor_read_uint(r, &a->commit);
	case 6:
		return sec_cbor_read_cstr(r, a->leader, sizeof a->leader);
	case 7:
		return sec_cbor_read_bool(r, &a->member);
	default:
		return sec_cbor_skip(r);
	}
}

int
ag_announce_decode(const uint8_t *buf, size_t len, struct ag_announce *a,
    char *err, size_t errlen)
{
	struct sec_cbor_reader	r;
	uint64_t		pairs, key, i;
	unsigned		seen = 0;

	memset(a, 0, sizeof *a);
	if (sec_cbor_reader_init(&r, buf, len, &announce_limits) != 0 ||
	    sec_cbor_read_map(&r, &pairs) != 0)
		return fail(err, errlen, "not a map", &r);
	for (i = 0; i < pairs; i++) {
		if (sec_cbor_read_uint(&r, &key) != 0)
			return fail(err, errlen, "bad key", &r);
		if (read_key(&r, key, a) != 0)
			return fail(err, errlen, "bad value", &r);
		if (key >= 1 && key <= 7)
			seen |= 1u << key;
		else if (key == 8 && (seen & (1u << 8)))
			return fail(err, errlen, "key 8 twice", &r);
		else if (key == 8)
			seen |= 1u << 8;
	}
	if (sec_cbor_reader_done(&r) != 0)
		return fail(err, errlen, "trailing bytes", &r);
	if ((seen & 0xfe) != 0xfe) {
		memset(a, 0, sizeof *a);
		return fail(err, errlen, "missing keys", &r);
	}
	if (!ag_announce_cluster_valid(a->cluster) ||
	    !leader_valid(a->leader) || a->voters > a->servers ||
	    (a->cluster[0] == '\0' && (a->servers != 0 || a->member ||
	    a->nboot != 0)) || !boot_valid(a)) {
		memset(a, 0, sizeof *a);
		(void)snprintf(err, errlen, "CLUSTER: inconsistent values");
		return -1;
	}
	return 0;
}
