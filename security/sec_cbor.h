/*
 * sec_cbor.h - a bounded CBOR (RFC 8949) toolkit: a splitter that finds
 * where one data item ends, a cursor reader over one complete item, and a
 * deterministic writer.
 *
 * Why hand-written: every CBOR byte exogpu reads comes from a peer or a
 * token holder, and libcbor 0.8's cbor_load allocates from declared
 * lengths before the bytes exist (a 9-byte array header reserves
 * gigabytes).  Nothing here allocates while decoding: the splitter walks
 * the item with a fixed-size explicit stack (no recursion), the reader
 * returns pointers into the caller's buffer, and every declared length is
 * compared with the limits and with the bytes actually present before it
 * is used.  It lives in security/ because that is the lowest layer that
 * needs CBOR (COSE_Sign1 / CWT tokens); net/ uses it for the wire codec.
 *
 * Three pieces:
 *
 *  - sec_cbor_item_len(): is there one complete, well-formed item at the
 *    start of (buf, len), and how long is it?  Answers complete /
 *    need more bytes / error, which is how a CBOR sequence (RFC 8742) on a
 *    stream is cut into messages.  It checks RFC 8949 well-formedness
 *    (section 3 and Appendix F: reserved additional information 28-30,
 *    two-byte simple values below 32, indefinite strings made of definite
 *    chunks of the same type, breaks only where an indefinite item may
 *    end, tags followed by content) and the limits.  Text strings are not
 *    checked for UTF-8 here (that is validity, not well-formedness); the
 *    reader checks them.
 *
 *  - struct sec_cbor_reader: reads the item element by element.
 *    sec_cbor_reader_init() first runs sec_cbor_item_len() over the
 *    buffer and insists on exactly one complete item, so later reads only
 *    check types and ranges.  Byte and text strings come back as pointer +
 *    length into the buffer (no copy) and must be definite-length: an
 *    indefinite string is refused with SEC_CBOR_ETYPE (nobody we talk to
 *    needs them and a zero-copy view of chunks would not be contiguous).
 *    Indefinite arrays and maps are supported (count SEC_CBOR_INDEF, then
 *    sec_cbor_at_break()).  Errors are sticky: after the first, every call
 *    returns it, so a decoder may read several fields and check once.
 *
 *  - struct sec_cbor_writer: appends to a fixed buffer or to a heap buffer
 *    that grows up to a cap.  A write either lands completely or not at
 *    all (SEC_CBOR_ENOSPC), and errors are sticky too, so an encoding can
 *    never have a hole.  Output is deterministic (RFC 8949 section 4.2.1):
 *    shortest heads, definite lengths only, floats in the shortest form
 *    that keeps the value (NaN as f9 7e00).  Map keys are written in the
 *    order the caller emits them: the caller must emit them sorted by
 *    their encoded bytes (for small unsigned integer keys: ascending).
 *
 * Non-minimal encodings are a choice of the limits: by default they are
 * accepted (RFC 8949 well-formedness allows them); SEC_CBOR_F_DETERMINISTIC
 * rejects anything the writer would not have produced - longer heads than
 * needed, indefinite lengths, longer floats than needed, non-canonical NaN,
 * and map keys that are not in strictly increasing bytewise order (which
 * also rejects duplicate keys).  The wire protocol uses it.
 */
#ifndef SEC_CBOR_H
#define SEC_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Status codes: 0 is success, positive is "not yet", negative is an error. */
#define SEC_CBOR_OK		0
#define SEC_CBOR_NEED_MORE	1	/* item_len: the item is not complete */
#define SEC_CBOR_EMALFORMED	(-1)	/* not well-formed CBOR */
#define SEC_CBOR_ELIMIT		(-2)	/* over one of the limits */
#define SEC_CBOR_ETYPE		(-3)	/* reader: another type than asked */
#define SEC_CBOR_ERANGE		(-4)	/* reader: value does not fit */
#define SEC_CBOR_EEND		(-5)	/* reader: no item left / bytes left */
#define SEC_CBOR_ENOSPC		(-6)	/* writer: buffer full or over cap */
#define SEC_CBOR_EINVAL		(-7)	/* bad argument or invalid UTF-8 */
#define SEC_CBOR_ENOTDET	(-8)	/* not deterministically encoded */
#define SEC_CBOR_ENOMEM		(-9)	/* writer: out of memory */

/* Deepest nesting any limits may allow. */
#define SEC_CBOR_DEPTH_MAX	64

/* Flags for sec_cbor_limits.flags. */
#define SEC_CBOR_F_DETERMINISTIC	0x1

/* Element count of an indefinite-length array or map. */
#define SEC_CBOR_INDEF		UINT64_MAX

/*
 * Limits for one data item.  All are inclusive maxima.
 *  max_item_bytes	encoded size of the whole item
 *  max_depth		nesting of arrays and maps (a scalar is depth 0,
 *			[1] is 1, [[1]] is 2); at most SEC_CBOR_DEPTH_MAX
 *  max_items		data items, counting every head: each container,
 *			string chunk, tag and scalar
 *  max_str_len		bytes in one string (the sum of its chunks)
 *  max_container_len	elements of an array, pairs of a map
 */
struct sec_cbor_limits {
	size_t		max_item_bytes;
	unsigned	max_depth;
	size_t		max_items;
	size_t		max_str_len;
	size_t		max_container_len;
	unsigned	flags;
};

/* What the reader's next item is. */
enum sec_cbor_type {
	SEC_CBOR_T_END = 0,	/* nothing left, or the reader failed */
	SEC_CBOR_T_UINT,
	SEC_CBOR_T_NINT,
	SEC_CBOR_T_BYTES,
	SEC_CBOR_T_TEXT,
	SEC_CBOR_T_ARRAY,
	SEC_CBOR_T_MAP,
	SEC_CBOR_T_TAG,
	SEC_CBOR_T_FALSE,
	SEC_CBOR_T_TRUE,
	SEC_CBOR_T_NULL,
	SEC_CBOR_T_UNDEFINED,
	SEC_CBOR_T_SIMPLE,	/* other simple values */
	SEC_CBOR_T_FLOAT,	/* half, single or double */
	SEC_CBOR_T_BREAK
};

/* A short English phrase for a status code. */
const char	*sec_cbor_strerror(int code);

/*
 * Looks for one complete data item at the start of buf[0..len).  Returns
 * SEC_CBOR_OK and sets *item_len, SEC_CBOR_NEED_MORE if every byte so far
 * is a valid prefix and more could complete it (len == 0 included), or
 * SEC_CBOR_EMALFORMED, SEC_CBOR_ELIMIT, SEC_CBOR_ENOTDET (only with
 * SEC_CBOR_F_DETERMINISTIC) or SEC_CBOR_EINVAL (bad limits), with a
 * message naming the offset in err.  An item that cannot fit in
 * max_item_bytes is an error as soon as that is known, never NEED_MORE, so
 * a stream cannot make its reader wait for ever.  Never reads past len;
 * err may be NULL.
 */
int	sec_cbor_item_len(const uint8_t *buf, size_t len,
	    const struct sec_cbor_limits *limits, size_t *item_len, char *err,
	    size_t errlen);

/* ---- reader ---- */

struct sec_cbor_reader {
	const uint8_t			*buf;
	size_t				 len;
	size_t				 pos;
	const struct sec_cbor_limits	*limits;
	int				 error;	/* first error, 0 if none */
	char				 msg[160];
};

/*
 * Starts reading buf[0..len), which must hold exactly one complete
 * well-formed item within limits (checked here; limits must outlive the
 * reader).  Returns 0 or the error, which is also kept in the reader.
 */
int	sec_cbor_reader_init(struct sec_cbor_reader *r, const uint8_t *buf,
	    size_t len, const struct sec_cbor_limits *limits);
/* Type of the next item without consuming it (T_END after an error). */
enum sec_cbor_type sec_cbor_peek(struct sec_cbor_reader *r);
/* Message of the first error ("" if none). */
const char	*sec_cbor_reader_msg(const struct sec_cbor_reader *r);
/* 0 if the whole buffer has been read, else SEC_CBOR_EEND (or the error). */
int	sec_cbor_reader_done(struct sec_cbor_reader *r);

int	sec_cbor_read_uint(struct sec_cbor_reader *r, uint64_t *v);
/* A negative integer -1 - *arg; *arg is the raw argument (0..2^64-1). */
int	sec_cbor_read_nint(struct sec_cbor_reader *r, uint64_t *arg);
/* Either integer type; SEC_CBOR_ERANGE if outside int64_t. */
int	sec_cbor_read_int64(struct sec_cbor_reader *r, int64_t *v);
/* Definite-length strings only; *p points into the buffer. */
int	sec_cbor_read_bytes(struct sec_cbor_reader *r, const uint8_t **p,
	    size_t *n);
/* As above, and the bytes must be valid UTF-8 (not NUL-terminated). */
int	sec_cbor_read_text(struct sec_cbor_reader *r, const char **p,
	    size_t *n);
/* *count is elements (pairs for a map), or SEC_CBOR_INDEF. */
int	sec_cbor_read_array(struct sec_cbor_reader *r, uint64_t *count);
int	sec_cbor_read_map(struct sec_cbor_reader *r, uint64_t *pairs);
/* 1 if the next byte is a break (consumed), 0 if not, <0 after an error. */
int	sec_cbor_at_break(struct sec_cbor_reader *r);
int	sec_cbor_read_tag(struct sec_cbor_reader *r, uint64_t *tag);
int	sec_cbor_read_bool(struct sec_cbor_reader *r, bool *v);
int	sec_cbor_read_null(struct sec_cbor_reader *r);
/* Half, single or double precision, widened to double. */
int	sec_cbor_read_float(struct sec_cbor_reader *r, double *v);
/* Skips the next item whole (a tag with its content, a container ...). */
int	sec_cbor_skip(struct sec_cbor_reader *r);
/*
 * A measurement: null (*v = NAN), an unsigned integer or a float, which
 * must be finite and >= 0.  The form sec_cbor_write_measure() writes.
 */
int	sec_cbor_read_measure(struct sec_cbor_reader *r, double *v);
/* A text string into out[0..size) with its NUL; no embedded NUL. */
int	sec_cbor_read_cstr(struct sec_cbor_reader *r, char *out, size_t size);

/* ---- writer ---- */

struct sec_cbor_writer {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 max;		/* dynamic: cap may grow up to max */
	bool		 dynamic;
	int		 error;		/* first error, 0 if none */
};

/* Writes into buf[0..cap), which the caller owns. */
void	sec_cbor_writer_fixed(struct sec_cbor_writer *w, uint8_t *buf,
	    size_t cap);
/* Writes into a heap buffer grown as needed up to max bytes. */
void	sec_cbor_writer_dynamic(struct sec_cbor_writer *w, size_t max);
/* Frees a dynamic writer's buffer (no-op for a fixed one). */
void	sec_cbor_writer_release(struct sec_cbor_writer *w);
/* The bytes written so far, and the first error (0 if none). */
const uint8_t	*sec_cbor_writer_data(const struct sec_cbor_writer *w);
size_t	sec_cbor_writer_len(const struct sec_cbor_writer *w);
int	sec_cbor_writer_error(const struct sec_cbor_writer *w);

int	sec_cbor_write_uint(struct sec_cbor_writer *w, uint64_t v);
/* Writes -1 - arg. */
int	sec_cbor_write_nint(struct sec_cbor_writer *w, uint64_t arg);
int	sec_cbor_write_int64(struct sec_cbor_writer *w, int64_t v);
int	sec_cbor_write_bytes(struct sec_cbor_writer *w, const void *p,
	    size_t n);
/* p must be valid UTF-8 (SEC_CBOR_EINVAL otherwise). */
int	sec_cbor_write_text(struct sec_cbor_writer *w, const char *p,
	    size_t n);
int	sec_cbor_write_array(struct sec_cbor_writer *w, uint64_t count);
int	sec_cbor_write_map(struct sec_cbor_writer *w, uint64_t pairs);
int	sec_cbor_write_tag(struct sec_cbor_writer *w, uint64_t tag);
int	sec_cbor_write_bool(struct sec_cbor_writer *w, bool v);
int	sec_cbor_write_null(struct sec_cbor_writer *w);
/* Shortest of half / single / double that represents v exactly. */
int	sec_cbor_write_float(struct sec_cbor_writer *w, double v);
/* v as a float, or null when it is not finite (unknown). */
int	sec_cbor_write_measure(struct sec_cbor_writer *w, double v);
/* A NUL-terminated string as text. */
int	sec_cbor_write_cstr(struct sec_cbor_writer *w, const char *s);
/* Appends already-encoded CBOR (e.g. a pre-built protected header). */
int	sec_cbor_write_encoded(struct sec_cbor_writer *w, const void *p,
	    size_t n);

/* 1 if p[0..n) is valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
int	sec_cbor_utf8_valid(const uint8_t *p, size_t n);

#endif /* SEC_CBOR_H */
