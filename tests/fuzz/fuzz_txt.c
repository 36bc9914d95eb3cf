/*
 * fuzz_txt.c - libFuzzer harness for the mDNS TXT record parser
 * (discovery/disc_txt.c), which reads bytes any host on the LAN can send.
 *
 * Besides "no crash, no out-of-bounds access" it checks the parser's
 * promises on every accepted record: id and name obey the published
 * character rules and lengths, the version is in range, the string count
 * respects the cap, and building a record from the parsed fields and
 * parsing that again gives the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disc_txt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disc_txt	t, u;
	unsigned char	buf[DISC_TXT_MAX_BYTES];
	char		err[64];
	size_t		len;

	if (disc_txt_parse(data, size, &t, err, sizeof err) != 0) {
		if (memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (!disc_txt_valid_id(t.id) || t.version < 1 || t.version > 65535 ||
	    t.nitems > DISC_TXT_MAX_ITEMS || size > DISC_TXT_MAX_BYTES ||
	    (t.name[0] != '\0' && !disc_txt_valid_name(t.name)))
		abort();
	if (disc_txt_build(t.id, t.version, t.trust, t.name, buf, sizeof buf,
	    &len) != 0)
		abort();
	if (disc_txt_parse(buf, len, &u, err, sizeof err) != 0 ||
	    strcmp(t.id, u.id) != 0 || t.version != u.version ||
	    t.trust != u.trust || strcmp(t.name, u.name) != 0)
		abort();
	return 0;
}
