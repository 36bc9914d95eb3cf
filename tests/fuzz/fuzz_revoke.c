/*
 * fuzz_revoke.c - libFuzzer harness for the revocation list decoder
 * (agent/ag_revoke.c), which reads bytes from peers' records and from
 * DATA/revoked.cbor.
 *
 * Properties: no crash or overread on any bytes; a refusal says why; a
 * list the decoder accepts is sorted, unique, within AG_REVOKE_MAX, and
 * re-encodes to exactly the input (the decoder accepts only what the
 * encoder writes, so every node gossips identical bytes); every entry is
 * found by has() and only with the right length.  The accepted list is
 * then split into two overlapping halves with some expiries changed, and
 * merging them either way round must give the same bytes and the union
 * with the later expiries - the convergence the gossip relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_revoke.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_list(const struct ag_revoke *r)
{
	size_t	i;

	if (r->n > AG_REVOKE_MAX)
		abort();
	for (i = 0; i < r->n; i++) {
		if (r->e[i].expires < 0)
			abort();
		if (i > 0 && memcmp(r->e[i - 1].id, r->e[i].id,
		    AG_REVOKE_ID_LEN) >= 0)
			abort();
		if (!ag_revoke_has(r, r->e[i].id, AG_REVOKE_ID_LEN) ||
		    ag_revoke_has(r, r->e[i].id, AG_REVOKE_ID_LEN - 1))
			abort();
	}
}

static size_t
encode(const struct ag_revoke *r, uint8_t *buf)
{
	size_t	len = 0;

	if (ag_revoke_encode(r, buf, AG_REVOKE_BYTES, &len) != 0 ||
	    len > AG_REVOKE_BYTES)
		abort();
	return len;
}

/* a: the even entries; b: every third, some with a later expiry. */
static void
check_merge(const struct ag_revoke *r)
{
	static struct ag_revoke	a, b, ab, ba;
	static uint8_t		e1[AG_REVOKE_BYTES], e2[AG_REVOKE_BYTES];
	size_t			i, j, l1, l2;
	int64_t			exp;

	ag_revoke_init(&a);
	ag_revoke_init(&b);
	for (i = 0; i < r->n; i++) {
		exp = r->e[i].expires;
		if (i % 2 == 0 && ag_revoke_add(&a, r->e[i].id, exp) != 1)
			abort();
		if (i % 3 == 0 && ag_revoke_add(&b, r->e[i].id,
		    exp < INT64_MAX - 7 ? exp + (int64_t)(i % 7) : exp) != 1)
			abort();
	}
	ab = a;
	ba = b;
	if (ag_revoke_merge(&ab, &b) < 0 || ag_revoke_merge(&ba, &a) < 0)
		abort();
	check_list(&ab);
	l1 = encode(&ab, e1);
	l2 = encode(&ba, e2);
	if (l1 != l2 || memcmp(e1, e2, l1) != 0)
		abort();
	for (i = 0, j = 0; i < r->n; i++) {
		if (i % 2 != 0 && i % 3 != 0)
			continue;
		if (j >= ab.n || memcmp(ab.e[j].id, r->e[i].id,
		    AG_REVOKE_ID_LEN) != 0)
			abort();
		exp = r->e[i].expires;
		if (i % 3 == 0 && exp < INT64_MAX - 7)
			exp += (int64_t)(i % 7);
		if (ab.e[j].expires != exp)
			abort();
		j++;
	}
	if (j != ab.n || ag_revoke_merge(&ab, &a) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_revoke	r, c;
	static uint8_t		buf[AG_REVOKE_BYTES];
	char			err[256];
	size_t			len, i, gone;
	int64_t			now;

	err[0] = '\0';
	if (ag_revoke_decode(data, size, &r, err, sizeof err) != 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	check_list(&r);
	len = encode(&r, buf);
	if (len != size || memcmp(buf, data, size) != 0)
		abort();
	for (i = 0; i < r.n; i++)
		if (ag_revoke_add(&r, r.e[i].id, r.e[i].expires) != 0)
			abort();
	check_merge(&r);

	/* expiry at the middle entry's time keeps exactly the later ones */
	if (r.n > 0) {
		c = r;
		now = r.e[r.n / 2].expires;
		gone = ag_revoke_expire(&c, now);
		check_list(&c);
		if (gone + c.n != r.n)
			abort();
		for (i = 0; i < r.n; i++)
			if (ag_revoke_has(&c, r.e[i].id, AG_REVOKE_ID_LEN) !=
			    (r.e[i].expires >= now))
				abort();
	}
	return 0;
}
