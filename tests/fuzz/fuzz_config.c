/*
 * fuzz_config.c - libFuzzer harness for the agent's config file parser
 * (agent/ag_config.c): any bytes yield a config or a clean error.
 */
#include <stdint.h>
#include <string.h>

#include "ag_config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_config	c;
	char			err[256];

	ag_config_defaults(&c);
	if (ag_config_parse(&c, (const char *)data, size, err, sizeof err)
	    == 0 && (c.njoin < 0 || c.njoin > AG_MAX_JOIN ||
	    memchr(c.name, '\0', sizeof c.name) == NULL))
		__builtin_trap();
	return 0;
}
