/*
 * fuzz_http_response.c - libFuzzer harness for the CLI's HTTP response
 * parser (agent/ag_httpc.c): the bytes come from a socket.
 */
#include <stdint.h>
#include <string.h>

#include "ag_httpc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_http_response	r;
	char			err[256];

	if (ag_http_parse_response((const char *)data, size, &r, err,
	    sizeof err) == 0) {
		if (r.body == NULL || r.body_len > size ||
		    r.body[r.body_len] != '\0')
			__builtin_trap();
		ag_http_response_free(&r);
	}
	return 0;
}
