/*
 * fuzz_quic_stream.c - libFuzzer harness for the checks of a peer's
 * stream bytes (net/net_quic_stream.c): the control stream's preamble
 * "exoctl1\n", which a peer's bytes may bring in any slicing, and the
 * 16-byte probe stream header.  fuzz_quic cannot get here: stream data
 * sits behind packet protection.
 *
 * Input: one byte seeding how the rest is sliced, then the stream bytes.
 * Oracle, by an independent reading: the preamble check fails exactly
 * when the first bytes (up to 8) differ from the preamble, in whatever
 * slices they come, and what it consumes is those first bytes; the
 * header of the first 16 bytes is accepted exactly when it is "XPB1",
 * four zero bytes and a big-endian length 1..probe_max.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_quic_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PROBE_MAX	(64u << 20)

static void
preamble(unsigned seed, const uint8_t *data, size_t size)
{
	size_t	got = 0, off = 0, used, slice, want, total = 0;
	int	bad = 0;

	want = size < NQ_CTL_MAGIC_LEN ? size : NQ_CTL_MAGIC_LEN;
	while (off < size) {
		seed = seed * 1103515245u + 12345u;
		slice = 1 + (seed >> 16) % 5;
		if (slice > size - off)
			slice = size - off;
		if (nq_ctl_preamble(&got, data + off, slice, &used) != 0) {
			bad = 1;
			break;
		}
		if (used > slice || got > NQ_CTL_MAGIC_LEN)
			abort();
		total += used;
		off += slice;
	}
	if (bad != (memcmp(data, NQ_CTL_MAGIC, want) != 0))
		abort();
	if (!bad && total != want)
		abort();
}

static void
probe(const uint8_t *data, size_t size)
{
	uint64_t	total, len = 0;
	const char	*why;
	size_t		i;
	int		want;

	if (size < NQ_PROBE_HDR)
		return;
	for (i = 8; i < 16; i++)
		len = len << 8 | data[i];
	want = memcmp(data, "XPB1\0\0\0\0", 8) == 0 && len >= 1 &&
	    len <= PROBE_MAX;
	why = nq_probe_header(data, PROBE_MAX, &total);
	if ((why == NULL) != want || total != len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	preamble(data[0], data + 1, size - 1);
	probe(data + 1, size - 1);
	return 0;
}
