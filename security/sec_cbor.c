/*
 * sec_cbor.c - bounded CBOR splitter, reader and deterministic writer; see
 * sec_cbor.h for the contract.
 *
 * Shape.  Everything decodes through one primitive, head_parse(), which
 * reads the initial byte and its argument and refuses the reserved forms.
 * cbor_walk() drives it over a whole item with an explicit stack of
 * frames (one per open array, map or indefinite string), so nesting costs
 * a bounded array on the C stack, never recursion.  Each declared length
 * is checked against the limits and against the room left in
 * max_item_bytes before it is compared with the bytes present, so an
 * impossible length is an error at once instead of a wait for bytes.
 * All arithmetic on lengths is written as "x > limit - used" so that no
 * sum can wrap.  The reader validates its item with cbor_walk() once and
 * then only checks types; the writer computes the size of each write
 * before touching the buffer.
 */
#include "sec_cbor.h"

#include <float.h>
#include <math.h>	/* isnan, isfinite: macros, no -lm */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CBOR_BREAK	0xff

#if defined(__GNUC__)
#define CBOR_PRINTF(f, a)	__attribute__((__format__(__printf__, f, a)))
#else
#define CBOR_PRINTF(f, a)
#endif

struct cbor_head {
	unsigned	major;
	unsigned	ai;		/* additional information */
	uint64_t	arg;		/* argument (0 for indefinite / break) */
	size_t		size;		/* bytes in the head */
};

/* One open container or indefinite string while walking an item. */
struct cbor_frame {
	uint64_t	total;		/* elements (2 per pair) if definite */
	uint64_t	done;		/* elements done; string: bytes */
	size_t		elem_start;	/* where the current element began */
	size_t		key_start;	/* previous map key (deterministic) */
	size_t		key_end;
	unsigned	major;		/* 2, 3 (indefinite string), 4 or 5 */
	bool		indef;
};

static const char *const cbor_major_names[8] = {
	"unsigned integer", "negative integer", "byte string", "text string",
	"array", "map", "tag", "simple value or float",
};

const char *
sec_cbor_strerror(int code)
{
	switch (code) {
	case SEC_CBOR_OK:
		return "ok";
	case SEC_CBOR_NEED_MORE:
		return "need more bytes";
	case SEC_CBOR_EMALFORMED:
		return "malformed CBOR";
	case SEC_CBOR_ELIMIT:
		return "over a CBOR limit";
	case SEC_CBOR_ETYPE:
		return "unexpected CBOR type";
	case SEC_CBOR_ERANGE:
		return "value out of range";
	case SEC_CBOR_EEND:
		return "unexpected end of CBOR item";
	case SEC_CBOR_ENOSPC:
		return "CBOR buffer full";
	case SEC_CBOR_EINVAL:
		return "invalid CBOR argument";
	case SEC_CBOR_ENOTDET:
		return "CBOR not deterministically encoded";
	case SEC_CBOR_ENOMEM:
		return "out of memory";
	}
	return "unknown CBOR error";
}

static int CBOR_PRINTF(5, 6)
cbor_fail(char *err, size_t errlen, int code, size_t off, const char *fmt,
    ...)
{
	va_list	ap;
	int	n;

	if (err == NULL || errlen == 0)
		return code;
	n = snprintf(err, errlen, "offset %zu: ", off);
	if (n < 0 || (size_t)n >= errlen)
		return code;
	va_start(ap, fmt);
	(void)vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- floats ---- */

/*
 * Floats are converted through their bit patterns, not libm, so the
 * conversions are exact by construction and the library needs no -lm.
 */
static double
bits_double(uint64_t b)
{
	double	d;

	memcpy(&d, &b, sizeof d);
	return d;
}

static double
half_to_double(uint16_t h)
{
	uint64_t	sign = (uint64_t)(h >> 15) << 63;
	unsigned	exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
	double		v;

	if (exp == 0) {			/* subnormal: mant * 2^-24, exact */
		v = (double)mant / 16777216.0;
		return (h & 0x8000) ? -v : v;
	}
	if (exp == 31)			/* infinity, or NaN with its payload */
		return bits_double(sign | 0x7ff0000000000000ull |
		    (uint64_t)mant << 42);
	return bits_double(sign | (uint64_t)(exp - 15 + 1023) << 52 |
	    (uint64_t)mant << 42);
}

/* Half-precision bits of v if v is exactly representable; NaN -> 7e00. */
static bool
half_from_double(double v, uint16_t *out)
{
	uint64_t	b, m;
	uint16_t	sign;
	int		e;
	unsigned	shift;

	memcpy(&b, &v, sizeof b);
	sign = (uint16_t)((b >> 63) << 15);
	e = (int)((b >> 52) & 0x7ff);
	m = b & 0xfffffffffffffull;
	if (e == 0x7ff) {
		*out = m != 0 ? 0x7e00 : (uint16_t)(sign | 0x7c00);
		return true;
	}
	if (e == 0 && m == 0) {
		*out = sign;
		return true;
	}
	if (e == 0)			/* double subnormal: far below half's */
		return false;
	e -= 1023;
	if (e >= -14 && e <= 15) {	/* half normal: 10 fraction bits */
		if ((m & ((1ull << 42) - 1)) != 0)
			return false;
		*out = sign | (uint16_t)((unsigned)(e + 15) << 10) |
		    (uint16_t)(m >> 42);
		return true;
	}
	if (e >= -24 && e < -14) {	/* half subnormal: k * 2^-24 */
		m |= 1ull << 52;
		shift = (unsigned)(28 - e);	/* 43 .. 52 */
		if ((m & ((1ull << shift) - 1)) != 0)
			return false;
		*out = sign | (uint16_t)(m >> shift);
		return true;
	}
	return false;
}

static bool
single_from_double(double v, uint32_t *out)
{
	float	f;

	if (!isfinite(v) || v > FLT_MAX || v < -FLT_MAX)
		return false;
	f = (float)v;
	if ((double)f != v)
		return false;
	memcpy(out, &f, sizeof *out);
	return true;
}

/* Bytes after the initial byte in the shortest exact encoding of v. */
static size_t
float_size(double v)
{
	uint16_t	h;
	uint32_t	s;

	if (half_from_double(v, &h))
		return 2;
	if (single_from_double(v, &s))
		return 4;
	return 8;
}

static double
float_value(const struct cbor_head *h)
{
	uint32_t	s32;
	float		f;

	switch (h->ai) {
	case 25:
		return half_to_double((uint16_t)h->arg);
	case 26:
		s32 = (uint32_t)h->arg;
		memcpy(&f, &s32, sizeof f);
		return (double)f;
	default:
		return bits_double(h->arg);
	}
}

/* ---- heads ---- */

/* Size of a head from its additional information (28..30 excluded). */
static size_t
head_size(unsigned ai)
{
	if (ai < 24 || ai == 31)
		return 1;
	return 1 + ((size_t)1 << (ai - 24));
}

/*
 * Parses the head at p[0..avail), avail >= 1, within room bytes of the
 * item limit.  Returns 0, SEC_CBOR_NEED_MORE, or an error (message in err,
 * naming offset off).
 */
static int
head_parse(const uint8_t *p, size_t avail, size_t room, size_t off,
    struct cbor_head *h, char *err, size_t errlen)
{
	size_t	i;

	h->major = p[0] >> 5;
	h->ai = p[0] & 0x1f;
	h->arg = 0;
	if (h->ai >= 28 && h->ai <= 30)
		return cbor_fail(err, errlen, SEC_CBOR_EMALFORMED, off,
		    "reserved additional information %u", h->ai);
	if (h->ai == 31 && (h->major == 0 || h->major == 1 || h->major == 6))
		return cbor_fail(err, errlen, SEC_CBOR_EMALFORMED, off,
		    "indefinite length on a %s", cbor_major_names[h->major]);
	h->size = head_size(h->ai);
	if (h->size > room)
		return cbor_fail(err, errlen, SEC_CBOR_ELIMIT, off,
		    "item longer than the size limit");
	if (h->size > avail)
		return SEC_CBOR_NEED_MORE;
	if (h->ai < 24)
		h->arg = h->ai;
	for (i = 1; i < h->size; i++)
		h->arg = (h->arg << 8) | p[i];
	if (h->major == 7 && h->ai == 24 && h->arg < 32)
		return cbor_fail(err, errlen, SEC_CBOR_EMALFORMED, off,
		    "two-byte encoding of simple value %u",
		    (unsigned)h->arg);
	return 0;
}

/* Would the writer have produced this head?  (Floats: see below.) */
static bool
head_deterministic(const struct cbor_head *h)
{
	if (h->ai == 31)
		return false;
	if (h->major == 7) {
		if (h->ai < 25 || h->ai > 27)
			return true;
		if (isnan(float_value(h)))
			return h->ai == 25 && h->arg == 0x7e00;
		return float_size(float_value(h)) == h->size - 1;
	}
	switch (h->ai) {
	case 24:
		return h->arg >= 24;
	case 25:
		return h->arg > 0xff;
	case 26:
		return h->arg > 0xffff;
	case 27:
		return h->arg > 0xffffffffu;
	}
	return true;
}

/* Bytewise order of two encoded keys: <0, 0, >0. */
static int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* ---- splitter ---- */

static int
walk_string(const struct sec_cbor_limits *lim, struct cbor_frame *chunked,
    const struct cbor_head *h, size_t pos, size_t len, size_t cap,
    size_t *next, char *err, size_t errlen)
{
	size_t	off = pos - h->size;

	if (h->arg > lim->max_str_len)
		return cbor_fail(err, errlen, SEC_CBOR_ELIMIT, off,
		    "string of %llu bytes over the limit of %zu",
		    (unsigned long long)h->arg, lim->max_str_len);
	if (chunked != NULL) {
		if (h->arg > lim->max_str_len - chunked->done)
			return cbor_fail(err, errlen, SEC_CBOR_ELIMIT, off,
			    "chunked string over the limit of %zu bytes",
			    lim->max_str_len);
		chunked->done += h->arg;
	}
	if (h->arg > cap - pos)
		return cbor_fail(err, errlen, SEC_CBOR_ELIMIT, off,
		    "string of %llu bytes does not fit in the item limit",
		    (unsigned long long)h->arg);
	if (h->arg > len - pos)
		return SEC_CBOR_NEED_MORE;
	*next = pos + (size_t)h->arg;
	return 0;
}

/*
 * An element of the innermost container ended at pos: count it, check map
 * key order, and close every container it completes.  Sets *whole when the
 * top-level item is complete.
 */
static int
walk_complete(const uint8_t *buf, const struct sec_cbor_limits *lim,
    struct cbor_frame *st, unsigned *sp, unsigned *depth, size_t pos,
    bool *whole, char *err, size_t errlen)
{
	struct cbor_frame	*f;
	uint64_t		 elems;

	*whole = false;
	for (;;) {
		if (*sp == 0) {
			*whole = true;
			return 0;
		}
		f = &st[*sp - 1];
		if (f->major == 2 || f->major == 3)
			return 0;	/* a chunk: the string goes on */
		f->done++;
		if (f->major == 5 && (f->done & 1) &&
		    (lim->flags & SEC_CBOR_F_DETERMINISTIC)) {
			if (f->done > 1 && key_cmp(buf + f->key_start,
			    f->key_end - f->key_start, buf + f->elem_start,
			    pos - f->elem_start) >= 0)
				return cbor_fail(err, errlen, SEC_CBOR_ENOTDET,
				    f->elem_start,
				    "map key out of order or duplicated");
			f->key_start = f->elem_start;
			f->key_end = pos;
		}
		f->elem_start = pos;
		if (f->indef) {
			elems = f->major == 5 ? (f->done + 1) / 2 : f->done;
			if (elems > lim->max_container_len)
				return cbor_fail(err, errlen, SEC_CBOR_ELIMIT,
				    pos, "more than %zu elements",
				    lim->max_container_len);
			return 0;
		}
		if (f->done < f->total)
			return 0;
		(*sp)--;
		(*depth)--;
	}
}

static int
cbor_walk(const uint8_t *buf, size_t len, const struct sec_cbor_limits *lim,
    size_t *item_len, char *err, size_t errlen)
{
	struct cbor_frame	 st[SEC_CBOR_DEPTH_MAX + 1];
	struct cbor_frame	*top;
	struct cbor_head	 h;
	size_t			 pos = 0, items = 0, cap, off, per;
	unsigned		 sp = 0, depth = 0;
	bool			 det, tagged = false, whole;
	int			 rc;

	if (lim == NULL || lim->max_depth > SEC_CBOR_DEPTH_MAX)
		return cbor_fail(err, errlen, SEC_CBOR_EINVAL, 0,
		    "bad CBOR limits");
	if (buf == NULL && len > 0)
		return cbor_fail(err, errlen, SEC_CBOR_EINVAL, 0,
		    "no buffer");
	cap = lim->max_item_bytes;
	det = (lim->flags & SEC_CBOR_F_DETERMINISTIC) != 0;
	for (;;) {
		off = pos;
		if (pos >= cap)
			return cbor_fail(err, errlen, SEC_CBOR_ELIMIT, pos,
			    "item longer than %zu bytes", cap);
		if (pos >= len)
			return SEC_CBOR_NEED_MORE;
		rc = head_parse(buf + pos, len - pos, cap - pos, pos, &h, err,
		    errlen);
		if (rc != 0)
			return rc;
		top = sp > 0 ? &st[sp - 1] : NULL;
		if (buf[pos] == CBOR_BREAK) {
			if (tagged)
				return cbor_fail(err, errlen,
				    SEC_CBOR_EMALFORMED, pos,
				    "break where a tag's content belongs");
			if (top == NULL || !top->indef)
				return cbor_fail(err, errlen,
				    SEC_CBOR_EMALFORMED, pos,
				    "break outside an indefinite-length item");
			if (top->major == 5 && (top->done & 1))
				return cbor_fail(err, errlen,
				    SEC_CBOR_EMALFORMED, pos,
				    "break in the value position of a map");
			pos++;
			if (top->major == 4 || top->major == 5)
				depth--;
			sp--;
			goto complete;
		}
		if (top != NULL && (top->major == 2 || top->major == 3) &&
		    (h.major != top->major || h.ai == 31))
			return cbor_fail(err, errlen, SEC_CBOR_EMALFORMED, pos,
			    "chunk of an indefinite-length %s is not a "
			    "definite %s", cbor_major_names[top->major],
			    cbor_major_names[top->major]);
		if (items >= lim->max_items)
			return cbor_fail(err, errlen, SEC_CBOR_ELIMIT, pos,
			    "more than %zu data items", lim->max_items);
		items++;
		if (det && !head_deterministic(&h))
			return cbor_fail(err, errlen, SEC_CBOR_ENOTDET, pos,
			    "%s not in its shortest definite form",
			    cbor_major_names[h.major]);
		pos += h.size;
		tagged = false;
		switch (h.major) {
		case 0:
		case 1:
		case 7:
			break;
		case 6:
			tagged = true;
			continue;
		case 2:
		case 3:
			if (h.ai == 31) {
				st[sp].major = h.major;
				st[sp].indef = true;
				st[sp].done = 0;
				sp++;
				continue;
			}
			rc = walk_string(lim, top != NULL && top->major ==
			    h.major ? top : NULL, &h, pos, len, cap, &pos,
			    err, errlen);
			if (rc != 0)
				return rc;
			break;
		default:	/* 4, 5 */
			if (depth >= lim->max_depth)
				return cbor_fail(err, errlen, SEC_CBOR_ELIMIT,
				    off, "nesting deeper than %u",
				    lim->max_depth);
			st[sp].major = h.major;
			st[sp].done = 0;
			st[sp].elem_start = pos;
			st[sp].key_start = st[sp].key_end = pos;
			if (h.ai == 31) {
				st[sp].indef = true;
				st[sp].total = 0;
				sp++;
				depth++;
				continue;
			}
			/* Every element takes at least one byte. */
			per = h.major == 5 ? 2 : 1;
			if (h.arg > lim->max_container_len ||
			    h.arg > (cap - pos) / per)
				return cbor_fail(err, errlen, SEC_CBOR_ELIMIT,
				    off, "%s of %llu elements over the limit",
				    cbor_major_names[h.major],
				    (unsigned long long)h.arg);
			if (h.arg == 0)
				break;
			st[sp].indef = false;
			st[sp].total = h.arg * per;
			sp++;
			depth++;
			continue;
		}
complete:
		rc = walk_complete(buf, lim, st, &sp, &depth, pos, &whole, err,
		    errlen);
		if (rc != 0)
			return rc;
		if (whole) {
			*item_len = pos;
			return SEC_CBOR_OK;
		}
	}
}

int
sec_cbor_item_len(const uint8_t *buf, size_t len,
    const struct sec_cbor_limits *limits, size_t *item_len, char *err,
    size_t errlen)
{
	size_t	n = 0;
	int	rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = cbor_walk(buf, len, limits, &n, err, errlen);
	if (rc == SEC_CBOR_OK && item_len != NULL)
		*item_len = n;
	return rc;
}

/* ---- reader ---- */

static int CBOR_PRINTF(3, 4)
rd_fail(struct sec_cbor_reader *r, int code, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (r->error != 0)
		return r->error;
	r->error = code;
	n = snprintf(r->msg, sizeof r->msg, "offset %zu: ", r->pos);
	if (n < 0 || (size_t)n >= sizeof r->msg)
		return code;
	va_start(ap, fmt);
	(void)vsnprintf(r->msg + n, sizeof r->msg - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

int
sec_cbor_reader_init(struct sec_cbor_reader *r, const uint8_t *buf,
    size_t len, const struct sec_cbor_limits *limits)
{
	size_t	n = 0;
	int	rc;

	memset(r, 0, sizeof *r);
	r->buf = buf;
	r->len = len;
	r->limits = limits;
	rc = cbor_walk(buf, len, limits, &n, r->msg, sizeof r->msg);
	if (rc == SEC_CBOR_NEED_MORE) {
		r->pos = len;
		return rd_fail(r, SEC_CBOR_EMALFORMED, "truncated item");
	}
	if (rc != SEC_CBOR_OK) {
		r->error = rc;
		return rc;
	}
	if (n != len) {
		r->pos = n;
		return rd_fail(r, SEC_CBOR_EMALFORMED,
		    "%zu bytes after the item", len - n);
	}
	return 0;
}

const char *
sec_cbor_reader_msg(const struct sec_cbor_reader *r)
{
	return r->msg;
}

int
sec_cbor_reader_done(struct sec_cbor_reader *r)
{
	if (r->error != 0)
		return r->error;
	if (r->pos != r->len)
		return rd_fail(r, SEC_CBOR_EEND, "%zu bytes left unread",
		    r->len - r->pos);
	return 0;
}

/* Parses the next head without consuming it. */
static int
rd_head(struct sec_cbor_reader *r, struct cbor_head *h)
{
	char	msg[96];
	int	rc;

	if (r->error != 0)
		return r->error;
	if (r->pos >= r->len)
		return rd_fail(r, SEC_CBOR_EEND, "no item left");
	rc = head_parse(r->buf + r->pos, r->len - r->pos, r->len - r->pos,
	    r->pos, h, msg, sizeof msg);
	if (rc == SEC_CBOR_NEED_MORE || rc == SEC_CBOR_ELIMIT)
		return rd_fail(r, SEC_CBOR_EMALFORMED, "truncated head");
	if (rc != 0)
		return rd_fail(r, rc, "%s", msg);
	return 0;
}

static int
rd_expect(struct sec_cbor_reader *r, struct cbor_head *h, unsigned major)
{
	int	rc;

	if ((rc = rd_head(r, h)) != 0)
		return rc;
	if (h->major != major || (major == 7 && r->buf[r->pos] == CBOR_BREAK))
		return rd_fail(r, SEC_CBOR_ETYPE, "expected %s, found %s",
		    cbor_major_names[major],
		    r->buf[r->pos] == CBOR_BREAK ? "break" :
		    cbor_major_names[h->major]);
	return 0;
}

enum sec_cbor_type
sec_cbor_peek(struct sec_cbor_reader *r)
{
	static const enum sec_cbor_type by_major[7] = {
		SEC_CBOR_T_UINT, SEC_CBOR_T_NINT, SEC_CBOR_T_BYTES,
		SEC_CBOR_T_TEXT, SEC_CBOR_T_ARRAY, SEC_CBOR_T_MAP,
		SEC_CBOR_T_TAG,
	};
	struct cbor_head	h;

	if (r->error != 0 || r->pos >= r->len || rd_head(r, &h) != 0)
		return SEC_CBOR_T_END;
	if (h.major < 7)
		return by_major[h.major];
	if (h.ai == 31)
		return SEC_CBOR_T_BREAK;
	if (h.ai >= 25)
		return SEC_CBOR_T_FLOAT;
	switch (h.arg) {
	case 20:
		return SEC_CBOR_T_FALSE;
	case 21:
		return SEC_CBOR_T_TRUE;
	case 22:
		return SEC_CBOR_T_NULL;
	case 23:
		return SEC_CBOR_T_UNDEFINED;
	}
	return SEC_CBOR_T_SIMPLE;
}

int
sec_cbor_read_uint(struct sec_cbor_reader *r, uint64_t *v)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_expect(r, &h, 0)) != 0)
		return rc;
	r->pos += h.size;
	*v = h.arg;
	return 0;
}

int
sec_cbor_read_nint(struct sec_cbor_reader *r, uint64_t *arg)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_expect(r, &h, 1)) != 0)
		return rc;
	r->pos += h.size;
	*arg = h.arg;
	return 0;
}

int
sec_cbor_read_int64(struct sec_cbor_reader *r, int64_t *v)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_head(r, &h)) != 0)
		return rc;
	if (h.major != 0 && h.major != 1)
		return rd_fail(r, SEC_CBOR_ETYPE, "expected integer, found %s",
		    cbor_major_names[h.major]);
	if (h.arg > (uint64_t)INT64_MAX)
		return rd_fail(r, SEC_CBOR_ERANGE,
		    "integer does not fit in 64 signed bits");
	r->pos += h.size;
	*v = h.major == 0 ? (int64_t)h.arg : -1 - (int64_t)h.arg;
	return 0;
}

static int
rd_string(struct sec_cbor_reader *r, unsigned major, const uint8_t **p,
    size_t *n)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_expect(r, &h, major)) != 0)
		return rc;
	if (h.ai == 31)
		return rd_fail(r, SEC_CBOR_ETYPE,
		    "indefinite-length %s not supported",
		    cbor_major_names[major]);
	if (h.arg > r->len - r->pos - h.size)
		return rd_fail(r, SEC_CBOR_EMALFORMED, "truncated string");
	*p = r->buf + r->pos + h.size;
	*n = (size_t)h.arg;
	r->pos += h.size + (size_t)h.arg;
	return 0;
}

int
sec_cbor_read_bytes(struct sec_cbor_reader *r, const uint8_t **p, size_t *n)
{
	return rd_string(r, 2, p, n);
}

int
sec_cbor_read_text(struct sec_cbor_reader *r, const char **p, size_t *n)
{
	const uint8_t	*s;
	size_t		 start = r->pos, len;
	int		 rc;

	if ((rc = rd_string(r, 3, &s, &len)) != 0)
		return rc;
	if (!sec_cbor_utf8_valid(s, len)) {
		r->pos = start;
		return rd_fail(r, SEC_CBOR_EINVAL, "text is not valid UTF-8");
	}
	*p = (const char *)s;
	*n = len;
	return 0;
}

static int
rd_container(struct sec_cbor_reader *r, unsigned major, uint64_t *count)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_expect(r, &h, major)) != 0)
		return rc;
	r->pos += h.size;
	*count = h.ai == 31 ? SEC_CBOR_INDEF : h.arg;
	return 0;
}

int
sec_cbor_read_array(struct sec_cbor_reader *r, uint64_t *count)
{
	return rd_container(r, 4, count);
}

int
sec_cbor_read_map(struct sec_cbor_reader *r, uint64_t *pairs)
{
	return rd_container(r, 5, pairs);
}

int
sec_cbor_at_break(struct sec_cbor_reader *r)
{
	if (r->error != 0)
		return r->error;
	if (r->pos < r->len && r->buf[r->pos] == CBOR_BREAK) {
		r->pos++;
		return 1;
	}
	return 0;
}

int
sec_cbor_read_tag(struct sec_cbor_reader *r, uint64_t *tag)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_expect(r, &h, 6)) != 0)
		return rc;
	r->pos += h.size;
	*tag = h.arg;
	return 0;
}

int
sec_cbor_read_bool(struct sec_cbor_reader *r, bool *v)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_expect(r, &h, 7)) != 0)
		return rc;
	if (h.ai != 20 && h.ai != 21)
		return rd_fail(r, SEC_CBOR_ETYPE, "expected a boolean");
	r->pos += h.size;
	*v = h.ai == 21;
	return 0;
}

int
sec_cbor_read_null(struct sec_cbor_reader *r)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_expect(r, &h, 7)) != 0)
		return rc;
	if (h.ai != 22)
		return rd_fail(r, SEC_CBOR_ETYPE, "expected null");
	r->pos += h.size;
	return 0;
}

int
sec_cbor_read_float(struct sec_cbor_reader *r, double *v)
{
	struct cbor_head	h;
	int			rc;

	if ((rc = rd_expect(r, &h, 7)) != 0)
		return rc;
	if (h.ai < 25 || h.ai > 27)
		return rd_fail(r, SEC_CBOR_ETYPE, "expected a float");
	r->pos += h.size;
	*v = float_value(&h);
	return 0;
}

int
sec_cbor_skip(struct sec_cbor_reader *r)
{
	char	msg[128];
	size_t	n = 0;
	int	rc;

	if (r->error != 0)
		return r->error;
	if (r->pos >= r->len)
		return rd_fail(r, SEC_CBOR_EEND, "no item left");
	rc = cbor_walk(r->buf + r->pos, r->len - r->pos, r->limits, &n, msg,
	    sizeof msg);
	if (rc == SEC_CBOR_NEED_MORE)
		return rd_fail(r, SEC_CBOR_EMALFORMED, "truncated item");
	if (rc != SEC_CBOR_OK)
		return rd_fail(r, rc, "%s", msg);
	r->pos += n;
	return 0;
}

/* ---- UTF-8 ---- */

int
sec_cbor_utf8_valid(const uint8_t *p, size_t n)
{
	size_t		i = 0, j, k;
	uint32_t	cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			k = 1;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			k = 2;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			k = 3;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (k > n - i - 1)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if (k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
			return 0;
		if (k == 3 && (cp < 0x10000 || cp > 0x10ffff))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* ---- writer ---- */

void
sec_cbor_writer_fixed(struct sec_cbor_writer *w, uint8_t *buf, size_t cap)
{
	memset(w, 0, sizeof *w);
	w->buf = buf;
	w->cap = buf != NULL ? cap : 0;
	w->max = w->cap;
}

void
sec_cbor_writer_dynamic(struct sec_cbor_writer *w, size_t max)
{
	memset(w, 0, sizeof *w);
	w->dynamic = true;
	w->max = max;
}

void
sec_cbor_writer_release(struct sec_cbor_writer *w)
{
	if (w->dynamic)
		free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

const uint8_t *
sec_cbor_writer_data(const struct sec_cbor_writer *w)
{
	return w->buf;
}

size_t
sec_cbor_writer_len(const struct sec_cbor_writer *w)
{
	return w->len;
}

int
sec_cbor_writer_error(const struct sec_cbor_writer *w)
{
	return w->error;
}

/* Makes room for n more bytes, or fails without writing anything. */
static int
wr_reserve(struct sec_cbor_writer *w, size_t n)
{
	uint8_t	*p;
	size_t	 ncap;

	if (w->error != 0)
		return w->error;
	if (n <= w->cap - w->len)
		return 0;
	if (!w->dynamic || n > w->max - w->len)
		return (w->error = SEC_CBOR_ENOSPC);
	ncap = w->cap > 0 ? w->cap : 64;
	while (ncap - w->len < n)
		ncap = ncap > w->max / 2 ? w->max : ncap * 2;
	if (ncap > w->max)
		ncap = w->max;
	if ((p = realloc(w->buf, ncap)) == NULL)
		return (w->error = SEC_CBOR_ENOMEM);
	w->buf = p;
	w->cap = ncap;
	return 0;
}

static size_t
wr_head_size(uint64_t arg)
{
	if (arg < 24)
		return 1;
	if (arg <= 0xff)
		return 2;
	if (arg <= 0xffff)
		return 3;
	if (arg <= 0xffffffffu)
		return 5;
	return 9;
}

/* Puts a head in reserved space. */
static void
wr_head_put(struct sec_cbor_writer *w, unsigned major, uint64_t arg)
{
	size_t		size = wr_head_size(arg), i;
	uint8_t		*p = w->buf + w->len;
	static const uint8_t ai[10] = { 0, 0, 24, 25, 0, 26, 0, 0, 0, 27 };

	if (size == 1) {
		p[0] = (uint8_t)(major << 5 | arg);
	} else {
		p[0] = (uint8_t)(major << 5 | ai[size]);
		for (i = size - 1; i >= 1; i--) {
			p[i] = (uint8_t)arg;
			arg >>= 8;
		}
	}
	w->len += size;
}

static int
wr_head(struct sec_cbor_writer *w, unsigned major, uint64_t arg)
{
	int	rc;

	if ((rc = wr_reserve(w, wr_head_size(arg))) != 0)
		return rc;
	wr_head_put(w, major, arg);
	return 0;
}

static int
wr_string(struct sec_cbor_writer *w, unsigned major, const void *p, size_t n)
{
	size_t	hs = wr_head_size(n);
	int	rc;

	if (w->error != 0)
		return w->error;
	if (n > SIZE_MAX - hs)
		return (w->error = SEC_CBOR_ENOSPC);
	if ((rc = wr_reserve(w, hs + n)) != 0)
		return rc;
	wr_head_put(w, major, n);
	if (n > 0)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

int
sec_cbor_write_uint(struct sec_cbor_writer *w, uint64_t v)
{
	return wr_head(w, 0, v);
}

int
sec_cbor_write_nint(struct sec_cbor_writer *w, uint64_t arg)
{
	return wr_head(w, 1, arg);
}

int
sec_cbor_write_int64(struct sec_cbor_writer *w, int64_t v)
{
	if (v >= 0)
		return wr_head(w, 0, (uint64_t)v);
	/* -1 - v without overflow: ~v is the two's complement identity. */
	return wr_head(w, 1, ~(uint64_t)v);
}

int
sec_cbor_write_bytes(struct sec_cbor_writer *w, const void *p, size_t n)
{
	if (p == NULL && n > 0)
		return w->error != 0 ? w->error : (w->error = SEC_CBOR_EINVAL);
	return wr_string(w, 2, p, n);
}

int
sec_cbor_write_text(struct sec_cbor_writer *w, const char *p, size_t n)
{
	if (w->error != 0)
		return w->error;
	if ((p == NULL && n > 0) ||
	    (n > 0 && !sec_cbor_utf8_valid((const uint8_t *)p, n)))
		return (w->error = SEC_CBOR_EINVAL);
	return wr_string(w, 3, p, n);
}

int
sec_cbor_write_array(struct sec_cbor_writer *w, uint64_t count)
{
	return wr_head(w, 4, count);
}

int
sec_cbor_write_map(struct sec_cbor_writer *w, uint64_t pairs)
{
	return wr_head(w, 5, pairs);
}

int
sec_cbor_write_tag(struct sec_cbor_writer *w, uint64_t tag)
{
	return wr_head(w, 6, tag);
}

int
sec_cbor_write_bool(struct sec_cbor_writer *w, bool v)
{
	return wr_head(w, 7, v ? 21 : 20);
}

int
sec_cbor_write_null(struct sec_cbor_writer *w)
{
	return wr_head(w, 7, 22);
}

int
sec_cbor_write_float(struct sec_cbor_writer *w, double v)
{
	uint8_t		b[9];
	uint16_t	h;
	uint32_t	s;
	uint64_t	d;
	size_t		n, i;
	int		rc;

	if (half_from_double(v, &h)) {
		b[0] = 0xf9;
		d = h;
		n = 2;
	} else if (single_from_double(v, &s)) {
		b[0] = 0xfa;
		d = s;
		n = 4;
	} else {
		b[0] = 0xfb;
		memcpy(&d, &v, sizeof d);
		n = 8;
	}
	for (i = n; i >= 1; i--) {
		b[i] = (uint8_t)d;
		d >>= 8;
	}
	if ((rc = wr_reserve(w, n + 1)) != 0)
		return rc;
	memcpy(w->buf + w->len, b, n + 1);
	w->len += n + 1;
	return 0;
}

int
sec_cbor_write_encoded(struct sec_cbor_writer *w, const void *p, size_t n)
{
	int	rc;

	if (w->error != 0)
		return w->error;
	if (p == NULL && n > 0)
		return (w->error = SEC_CBOR_EINVAL);
	if ((rc = wr_reserve(w, n)) != 0)
		return rc;
	if (n > 0)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

/* ---- helpers for records of measurements ---- */

int
sec_cbor_read_measure(struct sec_cbor_reader *r, double *v)
{
	uint64_t	u;
	int		rc;

	*v = NAN;
	switch (sec_cbor_peek(r)) {
	case SEC_CBOR_T_NULL:
		return sec_cbor_read_null(r);
	case SEC_CBOR_T_UINT:
		if ((rc = sec_cbor_read_uint(r, &u)) == 0)
			*v = (double)u;
		return rc;
	default:
		if ((rc = sec_cbor_read_float(r, v)) != 0)
			return rc;
		if (!isfinite(*v) || *v < 0) {
			*v = NAN;
			return rd_fail(r, SEC_CBOR_ERANGE, "a measurement must "
			    "be finite and >= 0");
		}
		return 0;
	}
}

int
sec_cbor_read_cstr(struct sec_cbor_reader *r, char *out, size_t size)
{
	const char	*p;
	size_t		 n;
	int		 rc;

	if (size == 0)
		return rd_fail(r, SEC_CBOR_EINVAL, "no room for a string");
	out[0] = '\0';
	if ((rc = sec_cbor_read_text(r, &p, &n)) != 0)
		return rc;
	if (n >= size || memchr(p, '\0', n) != NULL)
		return rd_fail(r, SEC_CBOR_ERANGE, "string too long or with "
		    "a NUL");
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
sec_cbor_write_measure(struct sec_cbor_writer *w, double v)
{
	return isfinite(v) ? sec_cbor_write_float(w, v) :
	    sec_cbor_write_null(w);
}

int
sec_cbor_write_cstr(struct sec_cbor_writer *w, const char *s)
{
	return sec_cbor_write_text(w, s, strlen(s));
}
