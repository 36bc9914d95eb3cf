/*
 * sec_b32.c - RFC 4648 base32 without padding; see sec_b32.h.
 *
 * Bits are moved through a small accumulator five (encode) or eight
 * (decode) at a time; no table is indexed by input bytes without a range
 * check first.
 */
#include "sec_b32.h"

#include <stdint.h>

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

int
sec_b32_encode(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	uint32_t	acc = 0;
	unsigned	bits = 0;
	size_t		i, o = 0;

	if (n > (SIZE_MAX - 4) / 8 || outsz < SEC_B32_LEN(n) + 1)
		return -1;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 0x1f];
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 0x1f];
	out[o] = '\0';
	return (int)o;
}

static int
b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int
sec_b32_decode(const char *in, size_t n, unsigned char *out, size_t outsz)
{
	uint32_t	acc = 0;
	unsigned	bits = 0;
	size_t		i, o = 0;
	int		v;

	/* Lengths 1, 3 and 6 (mod 8) are never produced by an encoder. */
	switch (n % 8) {
	case 1:
	case 3:
	case 6:
		return -1;
	}
	if (n > 0x7fffffff / 5 || n * 5 / 8 > outsz)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b32_value(in[i])) < 0)
			return -1;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	/* Leftover bits are padding and must be zero (canonical form). */
	if (acc != 0)
		return -1;
	return (int)o;
}
