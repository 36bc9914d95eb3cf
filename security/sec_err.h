/*
 * sec_err.h - the error convention of the pure codecs and checks
 * (security/, net/, agent/): a function fails by returning -1 with a
 * one-line reason written into the caller's err[0..errlen).
 *
 * One helper for it, so every module formats reasons the same way and
 * tolerates err == NULL or errlen == 0 (a caller that does not want the
 * text).
 */
#ifndef SEC_ERR_H
#define SEC_ERR_H

#include <stddef.h>

/* Writes the reason (printf format) into err; always returns -1. */
int	sec_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif /* SEC_ERR_H */
