/*
 * ag_revoke.c - the revocation set: sorted array, union merge, expiry,
 * bounded CBOR; see ag_revoke.h.
 */
#include "ag_revoke.h"

#include "sec_cbor.h"

#include <stdio.h>
#include <string.h>

static const struct sec_cbor_limits revoke_limits = {
	AG_REVOKE_BYTES, 2, 1 + AG_REVOKE_MAX * 3, AG_REVOKE_ID_LEN,
	AG_REVOKE_MAX, SEC_CBOR_F_DETERMINISTIC,
};

void
ag_revoke_init(struct ag_revoke *r)
{
	memset(r, 0, sizeof *r);
}

/* Index of id, or -(insertion point) - 1. */
static long
find(const struct ag_revoke *r, const uint8_t *id)
{
	size_t	lo = 0, hi = r->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(r->e[mid].id, id, AG_REVOKE_ID_LEN);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

int
ag_revoke_add(struct ag_revoke *r, const uint8_t *id, int64_t expires)
{
	long	i = find(r, id);
	size_t	at;

	if (i >= 0) {
		if (expires <= r->e[i].expires)
			return 0;
		r->e[i].expires = expires;
		return 1;
	}
	if (r->n >= AG_REVOKE_MAX)
		return -1;
	at = (size_t)(-i - 1);
	memmove(&r->e[at + 1], &r->e[at], (r->n - at) * sizeof r->e[0]);
	memcpy(r->e[at].id, id, AG_REVOKE_ID_LEN);
	r->e[at].expires = expires;
	r->n++;
	return 1;
}

bool
ag_revoke_has(const struct ag_revoke *r, const uint8_t *id, size_t len)
{
	return len == AG_REVOKE_ID_LEN && find(r, id) >= 0;
}

size_t
ag_revoke_expire(struct ag_revoke *r, int64_t now)
{
	size_t	i, k = 0, gone;

	for (i = 0; i < r->n; i++)
		if (r->e[i].expires >= now)
			r->e[k++] = r->e[i];
	gone = r->n - k;
	r->n = k;
	return gone;
}

int
ag_revoke_merge(struct ag_revoke *dst, const struct ag_revoke *src)
{
	size_t	i;
	int	changed = 0, rc;

	for (i = 0; i < src->n; i++) {
		if ((rc = ag_revoke_add(dst, src->e[i].id,
		    src->e[i].expires)) < 0)
			return -1;
		changed += rc;
	}
	return changed;
}

int
ag_revoke_encode(const struct ag_revoke *r, uint8_t *buf, size_t cap,
    size_t *len)
{
	struct sec_cbor_writer	w;
	size_t			i;

	sec_cbor_writer_fixed(&w, buf, cap);
	(void)sec_cbor_write_array(&w, r->n);
	for (i = 0; i < r->n; i++) {
		(void)sec_cbor_write_array(&w, 2);
		(void)sec_cbor_write_bytes(&w, r->e[i].id, AG_REVOKE_ID_LEN);
		(void)sec_cbor_write_uint(&w, (uint64_t)(r->e[i].expires < 0 ?
		    0 : r->e[i].expires));
	}
	if (sec_cbor_writer_error(&w) != 0)
		return -1;
	*len = sec_cbor_writer_len(&w);
	return 0;
}

static int
bad(char *err, size_t errlen, const char *what, uint64_t i,
    const struct sec_cbor_reader *rd)
{
	(void)snprintf(err, errlen, "revocations: %s (entry %llu)%s%s", what,
	    (unsigned long long)i, rd->error ? ": " : "",
	    rd->error ? sec_cbor_reader_msg(rd) : "");
	return -1;
}

int
ag_revoke_decode(const uint8_t *buf, size_t len, struct ag_revoke *r,
    char *err, size_t errlen)
{
	struct sec_cbor_reader	 rd;
	const uint8_t		*id;
	size_t			 idlen;
	uint64_t		 n, two, exp, i;

	ag_revoke_init(r);
	if (sec_cbor_reader_init(&rd, buf, len, &revoke_limits) != 0 ||
	    sec_cbor_read_array(&rd, &n) != 0 || n > AG_REVOKE_MAX)
		return bad(err, errlen, "expected an array of at most 128", 0,
		    &rd);
	for (i = 0; i < n; i++) {
		if (sec_cbor_read_array(&rd, &two) != 0 || two != 2 ||
		    sec_cbor_read_bytes(&rd, &id, &idlen) != 0 ||
		    idlen != AG_REVOKE_ID_LEN ||
		    sec_cbor_read_uint(&rd, &exp) != 0 || exp > INT64_MAX)
			return bad(err, errlen, "expected [id(16), expiry]", i,
			    &rd);
		/* Sorted and unique, as every encoder writes them. */
		if (r->n > 0 && memcmp(r->e[r->n - 1].id, id,
		    AG_REVOKE_ID_LEN) >= 0)
			return bad(err, errlen, "ids out of order", i, &rd);
		memcpy(r->e[r->n].id, id, AG_REVOKE_ID_LEN);
		r->e[r->n++].expires = (int64_t)exp;
	}
	if (sec_cbor_reader_done(&rd) != 0)
		return bad(err, errlen, "trailing bytes", n, &rd);
	return 0;
}

int
ag_revoke_parse_id(const char *hex, uint8_t *id)
{
	size_t		i;
	unsigned	v;

	if (strlen(hex) != 2 * AG_REVOKE_ID_LEN)
		return -1;
	for (i = 0; i < AG_REVOKE_ID_LEN; i++) {
		char	pair[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

		if (strspn(pair, "0123456789abcdefABCDEF") != 2 ||
		    sscanf(pair, "%2x", &v) != 1)
			return -1;
		id[i] = (uint8_t)v;
	}
	return 0;
}

void
ag_revoke_id_hex(const uint8_t *id, char out[2 * AG_REVOKE_ID_LEN + 1])
{
	size_t	i;

	for (i = 0; i < AG_REVOKE_ID_LEN; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", id[i]);
}
