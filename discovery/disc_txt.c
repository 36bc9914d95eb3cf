/*
 * disc_txt.c - bounded TXT record parser and builder (see disc_txt.h).
 *
 * The parser walks the record once.  Every length byte is checked
 * against what is left before the string is looked at; the record size,
 * the string count and the key length are capped; values are validated
 * character by character and copied into fixed-size fields only after
 * they pass.  Nothing is allocated, so a hostile record costs at most one
 * pass over DISC_TXT_MAX_BYTES bytes.
 */
#include "disc_txt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bit per known key, to keep the first occurrence of each. */
#define SEEN_ID		0x01
#define SEEN_V		0x02
#define SEEN_TRUST	0x04
#define SEEN_NAME	0x08
#define SEEN_TXTVERS	0x10

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
name_char(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

static int
valid_span(const unsigned char *s, size_t n, size_t max,
    int (*ok)(unsigned char))
{
	size_t	i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!ok(s[i]))
			return 0;
	return 1;
}

int
disc_txt_valid_id(const char *s)
{
	return s != NULL && valid_span((const unsigned char *)s,
	    strnlen(s, DISC_ID_MAX + 1), DISC_ID_MAX, id_char);
}

int
disc_txt_valid_name(const char *s)
{
	return s != NULL && valid_span((const unsigned char *)s,
	    strnlen(s, DISC_NAME_MAX + 1), DISC_NAME_MAX, name_char);
}

/* Decimal 1..max without sign, leading zeros or more than 5 digits. */
static int
parse_uint(const unsigned char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned	v = 0;
	size_t		i;

	if (n == 0 || n > 5 || s[0] == '0')
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int
key_is(const unsigned char *k, size_t klen, const char *want)
{
	size_t	i;

	if (klen != strlen(want))
		return 0;
	for (i = 0; i < klen; i++) {
		unsigned char	c = k[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)want[i])
			return 0;
	}
	return 1;
}

/* One "key=value" string; *seen tracks keys already taken. */
static int
parse_item(const unsigned char *s, size_t n, struct disc_txt *out,
    unsigned *seen, char *err, size_t errlen)
{
	const unsigned char	*eq, *v;
	size_t			 klen, vlen, i;

	if (n == 0)
		return 0;		/* empty string: no data */
	eq = memchr(s, '=', n);
	klen = eq != NULL ? (size_t)(eq - s) : n;
	if (klen == 0)
		return 0;		/* "=..." is ignored (RFC 6763 6.4) */
	if (klen > DISC_TXT_MAX_KEY)
		return fail(err, errlen, "key of %zu bytes (max %d)", klen,
		    DISC_TXT_MAX_KEY);
	for (i = 0; i < klen; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return fail(err, errlen, "non-printable key byte");
	v = eq != NULL ? eq + 1 : NULL;
	vlen = eq != NULL ? n - klen - 1 : 0;

	if (key_is(s, klen, "id")) {
		if (*seen & SEEN_ID)
			return 0;
		*seen |= SEEN_ID;
		if (v == NULL || !valid_span(v, vlen, DISC_ID_MAX, id_char))
			return fail(err, errlen, "bad id=");
		memcpy(out->id, v, vlen);
		out->id[vlen] = '\0';
	} else if (key_is(s, klen, "v")) {
		if (*seen & SEEN_V)
			return 0;
		*seen |= SEEN_V;
		if (v == NULL || parse_uint(v, vlen, 65535, &out->version))
			return fail(err, errlen, "bad v=");
	} else if (key_is(s, klen, "trust")) {
		if (*seen & SEEN_TRUST)
			return 0;
		*seen |= SEEN_TRUST;
		if (v != NULL && vlen == 2 && memcmp(v, "ca", 2) == 0)
			out->trust = DISC_TRUST_CA;
		else if (v != NULL && vlen == 6 && memcmp(v, "secret", 6) == 0)
			out->trust = DISC_TRUST_SECRET;
	} else if (key_is(s, klen, "name")) {
		if (*seen & SEEN_NAME)
			return 0;
		*seen |= SEEN_NAME;
		if (v != NULL && valid_span(v, vlen, DISC_NAME_MAX,
		    name_char)) {
			memcpy(out->name, v, vlen);
			out->name[vlen] = '\0';
		}
	} else if (key_is(s, klen, "txtvers")) {
		if (*seen & SEEN_TXTVERS)
			return 0;
		*seen |= SEEN_TXTVERS;
		if (v == NULL || parse_uint(v, vlen, 255, &out->txtvers))
			out->txtvers = 0;
	}
	return 0;
}

int
disc_txt_parse(const unsigned char *rdata, size_t len, struct disc_txt *out,
    char *err, size_t errlen)
{
	size_t		off = 0;
	unsigned	seen = 0;

	memset(out, 0, sizeof *out);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (rdata == NULL && len != 0)
		return fail(err, errlen, "no record");
	if (len > DISC_TXT_MAX_BYTES)
		return fail(err, errlen, "record of %zu bytes (max %d)", len,
		    DISC_TXT_MAX_BYTES);
	while (off < len) {
		size_t	n = rdata[off++];

		if (n > len - off)
			return fail(err, errlen, "string overruns the record");
		if (++out->nitems > DISC_TXT_MAX_ITEMS)
			return fail(err, errlen, "more than %d strings",
			    DISC_TXT_MAX_ITEMS);
		if (parse_item(rdata + off, n, out, &seen, err, errlen) != 0)
			return -1;
		off += n;
	}
	if (!(seen & SEEN_ID))
		return fail(err, errlen, "no id=");
	if (!(seen & SEEN_V))
		return fail(err, errlen, "no v=");
	return 0;
}

/* Appends one "key=value" string; -1 when it does not fit. */
static int
put_item(unsigned char *buf, size_t cap, size_t *off, const char *key,
    const char *val)
{
	size_t	k = strlen(key), v = strlen(val), n = k + 1 + v;

	if (n > 255 || n + 1 > cap - *off)
		return -1;
	buf[(*off)++] = (unsigned char)n;
	memcpy(buf + *off, key, k);
	buf[*off + k] = '=';
	memcpy(buf + *off + k + 1, val, v);
	*off += n;
	return 0;
}

int
disc_txt_build(const char *id, unsigned version, enum disc_trust trust,
    const char *name, unsigned char *buf, size_t cap, size_t *len)
{
	char	num[16];
	size_t	off = 0;

	if (!disc_txt_valid_id(id) || version == 0 || version > 65535 ||
	    (name != NULL && name[0] != '\0' && !disc_txt_valid_name(name)))
		return -1;
	if (cap > DISC_TXT_MAX_BYTES)
		cap = DISC_TXT_MAX_BYTES;
	(void)snprintf(num, sizeof num, "%d", DISC_TXTVERS);
	if (put_item(buf, cap, &off, "txtvers", num) != 0 ||
	    put_item(buf, cap, &off, "id", id) != 0)
		return -1;
	(void)snprintf(num, sizeof num, "%u", version);
	if (put_item(buf, cap, &off, "v", num) != 0)
		return -1;
	if (trust != DISC_TRUST_UNKNOWN && put_item(buf, cap, &off, "trust",
	    disc_trust_str(trust)) != 0)
		return -1;
	if (name != NULL && name[0] != '\0' &&
	    put_item(buf, cap, &off, "name", name) != 0)
		return -1;
	*len = off;
	return 0;
}

const char *
disc_trust_str(enum disc_trust t)
{
	switch (t) {
	case DISC_TRUST_CA:
		return "ca";
	case DISC_TRUST_SECRET:
		return "secret";
	default:
		return "unknown";
	}
}
