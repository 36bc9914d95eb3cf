/*
 * sec_b32.h - RFC 4648 base32, lowercase, no padding.
 *
 * Node ids and join secrets are base32 because it survives being read
 * aloud, typed, used as a DNS label or a file name: one case, no
 * punctuation, and no 0/1/8/9 to confuse with o/l/b/g.  Encoding is
 * lowercase; decoding accepts either case but is otherwise strict (no
 * padding, no whitespace, unused trailing bits must be zero) so every
 * value has exactly one accepted text form.
 */
#ifndef SEC_B32_H
#define SEC_B32_H

#include <stddef.h>

/* Characters needed to encode n bytes (without the NUL). */
#define SEC_B32_LEN(n)	(((n) * 8 + 4) / 5)

/*
 * Encodes in[0..n) into out, NUL-terminated.  Returns the number of
 * characters written, or -1 if outsz < SEC_B32_LEN(n) + 1.
 */
int	sec_b32_encode(const unsigned char *in, size_t n, char *out,
	    size_t outsz);

/*
 * Decodes exactly n characters of in into out (outsz bytes available).
 * Returns the number of bytes written, or -1 on a character outside the
 * alphabet, a length no encoding produces, non-zero trailing bits, or
 * too small an out.
 */
int	sec_b32_decode(const char *in, size_t n, unsigned char *out,
	    size_t outsz);

#endif /* SEC_B32_H */
