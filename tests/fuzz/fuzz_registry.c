/*
 * fuzz_registry.c - libFuzzer harness for the registry cache decoder
 * (backends/be_registry.c): any bytes in devices.json must yield a clean
 * error or views that re-encode, never a crash or an overrun.
 */
#include <stdint.h>
#include <stdlib.h>

#include "be_registry.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct be_view	views[8];
	char			fp[BE_FINGERPRINT_LEN], err[256], *text;
	size_t			len;
	int			n;

	n = be_registry_decode((const char *)data, size, fp, views, 8, err,
	    sizeof err);
	if (n < 0)
		return 0;
	text = be_registry_encode(fp, views, n, &len);
	if (text == NULL)
		abort();
	free(text);
	return 0;
}
