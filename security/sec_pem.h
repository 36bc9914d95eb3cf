/*
 * sec_pem.h - the byte buffers security/ hands back to its callers.
 *
 * Every function in security/ that produces a key or a certificate
 * returns it as PEM text in a struct sec_pem; callers write it to disk
 * (agent/) or feed it back in (tests).  The buffer is malloc'd and
 * NUL-terminated; sec_pem_clear() wipes it before freeing because it may
 * hold a private key.  Inputs are bounded by SEC_PEM_MAX so a hostile
 * file cannot make the parsers work on megabytes.
 */
#ifndef SEC_PEM_H
#define SEC_PEM_H

#include <stddef.h>

#define SEC_PEM_MAX	(64u * 1024)	/* largest PEM input accepted */
#define SEC_CHAIN_MAX	8		/* most certificates in a chain */

struct sec_pem {
	char	*data;	/* NUL-terminated PEM text, or NULL */
	size_t	 len;	/* bytes before the NUL */
};

/* Wipes and frees p->data; leaves p empty.  Safe on an empty sec_pem. */
void	sec_pem_clear(struct sec_pem *p);

#endif /* SEC_PEM_H */
