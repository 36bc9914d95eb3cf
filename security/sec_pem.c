/*
 * sec_pem.c - wiping free for struct sec_pem and the gnutls_datum_t
 * conversions that every other file in security/ uses.
 */
#include "sec_pem.h"
#include "sec_gnutls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sec_pem_clear(struct sec_pem *p)
{
	if (p->data != NULL) {
		gnutls_memset(p->data, 0, p->len);
		free(p->data);
	}
	p->data = NULL;
	p->len = 0;
}

int
sec_pem_from_datum(struct sec_pem *out, const gnutls_datum_t *d,
    char *err, size_t errlen)
{
	char	*buf;

	if ((buf = malloc((size_t)d->size + 1)) == NULL)
		return sec_err(err, errlen, "out of memory");
	memcpy(buf, d->data, d->size);
	buf[d->size] = '\0';
	out->data = buf;
	out->len = d->size;
	return 0;
}

int
sec_pem_append(struct sec_pem *out, const char *pem, size_t len,
    char *err, size_t errlen)
{
	char	*buf;

	if (len > SEC_PEM_MAX || out->len > SEC_PEM_MAX)
		return sec_err(err, errlen, "PEM text too large");
	if ((buf = malloc(out->len + len + 1)) == NULL)
		return sec_err(err, errlen, "out of memory");
	if (out->len > 0)
		memcpy(buf, out->data, out->len);
	memcpy(buf + out->len, pem, len);
	buf[out->len + len] = '\0';
	len += out->len;
	sec_pem_clear(out);
	out->data = buf;
	out->len = len;
	return 0;
}

int
sec_datum_in(gnutls_datum_t *d, const char *pem, size_t len, const char *what,
    char *err, size_t errlen)
{
	if (pem == NULL || len == 0)
		return sec_err(err, errlen, "%s: empty input", what);
	if (len > SEC_PEM_MAX)
		return sec_err(err, errlen, "%s: larger than %u bytes", what,
		    SEC_PEM_MAX);
	/* gnutls only reads; the cast drops const for its datum type. */
	d->data = (unsigned char *)(uintptr_t)pem;
	d->size = (unsigned)len;
	return 0;
}

int
sec_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
sec_gnutls_err(char *err, size_t errlen, const char *what, int rc)
{
	return sec_err(err, errlen, "%s: %s", what, gnutls_strerror(rc));
}
