/*
 * fuzz_jepsen.c - libFuzzer harness for the Jepsen test's history reader
 * and checker (tests/jepsen/jepsen.c): any bytes as a history file, over
 * a fixed set of capacities, then every check and the report.  Whatever
 * is read must be checked without a crash, a leak or a hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jepsen.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 caps[] = "{\"a/cpu\":100,\"b/gpu0\":8}";
	struct jep		*j;
	FILE			*null;
	char			 err[512];

	if ((j = jep_new()) == NULL)
		return 0;
	if (jep_caps(j, caps, sizeof caps - 1, err, sizeof err) != 0)
		abort();
	(void)jep_feed(j, (const char *)data, size, "fuzz", err, sizeof err);
	(void)jep_check(j);
	if ((null = fopen("/dev/null", "w")) != NULL) {
		jep_report(j, null);
		(void)fclose(null);
	}
	jep_free(j);
	return 0;
}
