/*
 * fuzz_cbor.c - libFuzzer harness for the bounded CBOR toolkit
 * (security/sec_cbor.c), which sees every byte a peer or token holder
 * sends.
 *
 * The input is treated as a CBOR sequence and split item by item under
 * three sets of limits (lax, deterministic, tiny).  Beyond "no crash, no
 * overread", each answer is checked against the contract, and a violation
 * aborts so the fuzzer reports it:
 *  - an item length is within the buffer and the size cap, the item alone
 *    splits to the same length, and one byte less asks for more;
 *  - "need more" never happens once the cap's worth of bytes is present;
 *  - deterministic acceptance implies lax acceptance with the same length;
 *  - a deterministic item read element by element with the reader and
 *    written back with the writer reproduces its bytes exactly (which
 *    exercises every reader and writer call on arbitrary input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec_cbor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct sec_cbor_limits lim_lax = {
	.max_item_bytes = 1 << 20,
	.max_depth = SEC_CBOR_DEPTH_MAX,
	.max_items = 1 << 16,
	.max_str_len = 1 << 20,
	.max_container_len = 1 << 16,
	.flags = 0,
};

static const struct sec_cbor_limits lim_det = {
	.max_item_bytes = 1 << 20,
	.max_depth = 8,
	.max_items = 4096,
	.max_str_len = 1 << 16,
	.max_container_len = 4096,
	.flags = SEC_CBOR_F_DETERMINISTIC,
};

static const struct sec_cbor_limits lim_tiny = {
	.max_item_bytes = 32,
	.max_depth = 2,
	.max_items = 8,
	.max_str_len = 8,
	.max_container_len = 4,
	.flags = 0,
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

/*
 * Copies one deterministic item through reader and writer; returns 0 if
 * the copy is exact, -1 if the item holds something the writer refuses
 * (invalid UTF-8 text), and aborts on any other difference.
 */
static int
copy_item(const uint8_t *p, size_t n)
{
	struct sec_cbor_reader	r;
	struct sec_cbor_writer	w;
	uint64_t		left[SEC_CBOR_DEPTH_MAX + 2], v;
	unsigned		sp = 0;
	const uint8_t		*s;
	const char		*t;
	size_t			len, start;
	double			d;
	bool			b;
	int			rc = 0;

	check(sec_cbor_reader_init(&r, p, n, &lim_det) == 0);
	sec_cbor_writer_dynamic(&w, n);
	left[sp++] = 1;
	while (sp > 0) {
		if (left[sp - 1] == 0) {
			sp--;
			continue;
		}
		left[sp - 1]--;
		switch (sec_cbor_peek(&r)) {
		case SEC_CBOR_T_UINT:
			check(sec_cbor_read_uint(&r, &v) == 0);
			check(sec_cbor_write_uint(&w, v) == 0);
			break;
		case SEC_CBOR_T_NINT:
			check(sec_cbor_read_nint(&r, &v) == 0);
			check(sec_cbor_write_nint(&w, v) == 0);
			break;
		case SEC_CBOR_T_BYTES:
			check(sec_cbor_read_bytes(&r, &s, &len) == 0);
			check(sec_cbor_write_bytes(&w, s, len) == 0);
			break;
		case SEC_CBOR_T_TEXT:
			if (sec_cbor_read_text(&r, &t, &len) != 0) {
				check(r.error == SEC_CBOR_EINVAL);
				rc = -1;
				goto out;
			}
			check(sec_cbor_write_text(&w, t, len) == 0);
			break;
		case SEC_CBOR_T_ARRAY:
		case SEC_CBOR_T_MAP:
			if (sec_cbor_peek(&r) == SEC_CBOR_T_ARRAY) {
				check(sec_cbor_read_array(&r, &v) == 0);
				check(sec_cbor_write_array(&w, v) == 0);
			} else {
				check(sec_cbor_read_map(&r, &v) == 0);
				check(sec_cbor_write_map(&w, v) == 0);
				check(v <= UINT64_MAX / 2);
				v *= 2;
			}
			check(v != SEC_CBOR_INDEF);
			check(sp < SEC_CBOR_DEPTH_MAX + 2);
			left[sp++] = v;
			break;
		case SEC_CBOR_T_TAG:
			check(sec_cbor_read_tag(&r, &v) == 0);
			check(sec_cbor_write_tag(&w, v) == 0);
			left[sp - 1]++;		/* the content is still due */
			break;
		case SEC_CBOR_T_FALSE:
		case SEC_CBOR_T_TRUE:
			check(sec_cbor_read_bool(&r, &b) == 0);
			check(sec_cbor_write_bool(&w, b) == 0);
			break;
		case SEC_CBOR_T_NULL:
			check(sec_cbor_read_null(&r) == 0);
			check(sec_cbor_write_null(&w) == 0);
			break;
		case SEC_CBOR_T_FLOAT:
			check(sec_cbor_read_float(&r, &d) == 0);
			check(sec_cbor_write_float(&w, d) == 0);
			break;
		case SEC_CBOR_T_UNDEFINED:
		case SEC_CBOR_T_SIMPLE:
			start = r.pos;
			check(sec_cbor_skip(&r) == 0);
			check(sec_cbor_write_encoded(&w, p + start,
			    r.pos - start) == 0);
			break;
		case SEC_CBOR_T_BREAK:
		case SEC_CBOR_T_END:
			check(0);
		}
	}
	check(sec_cbor_reader_done(&r) == 0);
	check(sec_cbor_writer_len(&w) == n);
	check(memcmp(sec_cbor_writer_data(&w), p, n) == 0);
out:
	sec_cbor_writer_release(&w);
	return rc;
}

static void
split(const uint8_t *data, size_t size, const struct sec_cbor_limits *l)
{
	struct sec_cbor_reader	r;
	size_t			off = 0, n, m;
	int			rc;
	char			err[160];

	while (off < size) {
		rc = sec_cbor_item_len(data + off, size - off, l, &n, err,
		    sizeof err);
		if (rc == SEC_CBOR_NEED_MORE) {
			check(size - off < l->max_item_bytes);
			return;
		}
		if (rc != SEC_CBOR_OK) {
			check(rc < 0 && strncmp(err, "offset ", 7) == 0);
			return;
		}
		check(n > 0 && n <= size - off && n <= l->max_item_bytes);
		check(sec_cbor_item_len(data + off, n, l, &m, NULL, 0) ==
		    SEC_CBOR_OK && m == n);
		check(sec_cbor_item_len(data + off, n - 1, l, &m, NULL, 0) ==
		    SEC_CBOR_NEED_MORE);
		check(sec_cbor_reader_init(&r, data + off, n, l) == 0);
		check(sec_cbor_skip(&r) == 0 && sec_cbor_reader_done(&r) == 0);
		if (l == &lim_det) {
			check(sec_cbor_item_len(data + off, n, &lim_lax, &m,
			    NULL, 0) == SEC_CBOR_OK && m == n);
			(void)copy_item(data + off, n);
		}
		off += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	split(data, size, &lim_lax);
	split(data, size, &lim_det);
	split(data, size, &lim_tiny);
	return 0;
}
