/*
 * fuzz_apiguard.c - libFuzzer harness for the API's Host, Origin and
 * Content-Type rules (agent/ag_apiguard.c).  The input is up to five
 * NUL-separated strings: the operator's names, then the method, Host,
 * Origin and Content-Type values (a missing one is an absent header).
 * Checks: no crash, and a refusal always carries a status, a code and a
 * message; Host and Origin are bounded by AG_GUARD_HEADER_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_apiguard.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_guard		 g;
	struct ag_guard_denial	 why;
	const char		*f[5] = { NULL, NULL, NULL, NULL, NULL };
	char			*buf, *p, err[256];
	size_t			 i, nf = 0;

	if (size > 8192 || (buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf, i = 0; nf < 5; i++) {
		f[nf++] = p;
		p += strlen(p);
		if ((size_t)(p - buf) >= size)
			break;
		p++;
	}
	if (ag_guard_init(&g, "127.0.0.1:47471", f[0], err, sizeof err) == 0 &&
	    ag_guard_check(&g, f[1] != NULL ? f[1] : "GET", f[2], f[3], f[4],
	    &why) != 0 && (why.status == 0 || why.code == NULL ||
	    why.msg[0] == '\0'))
		abort();
	if (f[2] != NULL)
		(void)ag_guard_host_ok(&g, f[2]);
	free(buf);
	return 0;
}
