/*
 * disc_txt.h - the TXT record of an `_exo-gpu._tcp` service: build ours,
 * parse a peer's.
 *
 * A TXT record is untrusted bytes from the LAN, so the parser is a pure,
 * bounded function over the DNS wire form (a sequence of length-prefixed
 * strings, RFC 6763 section 6): it never allocates, caps the record size,
 * the number of strings and the key length, validates each value it
 * uses and copies it into fixed-size fields.  The builder emits the same
 * wire form; disc_mdns hands it to Avahi with avahi_string_list_parse, so
 * what we publish and what we accept are defined in one place.  The keys
 * are documented in docs/discovery.md.
 */
#ifndef DISC_TXT_H
#define DISC_TXT_H

#include <stddef.h>

#define DISC_TXT_MAX_BYTES	1300	/* whole record (RFC 6763 6.2) */
#define DISC_TXT_MAX_ITEMS	32	/* strings in one record */
#define DISC_TXT_MAX_KEY	32	/* bytes of one key */
#define DISC_ID_MAX		64	/* node id: [a-z0-9], 1..64 */
#define DISC_NAME_MAX		63	/* node name: printable ASCII */
#define DISC_TXTVERS		1	/* txtvers= we publish */

enum disc_trust {
	DISC_TRUST_UNKNOWN = 0,		/* absent or a value we do not know */
	DISC_TRUST_CA,			/* "ca": CA-issued certificates */
	DISC_TRUST_SECRET,		/* "secret": shared join secret */
};

struct disc_txt {
	char		id[DISC_ID_MAX + 1];	/* required */
	unsigned	version;		/* v=, required, 1..65535 */
	enum disc_trust	trust;
	char		name[DISC_NAME_MAX + 1];	/* "" when absent/bad */
	unsigned	txtvers;		/* 0 when absent */
	unsigned	nitems;			/* strings in the record */
};

/*
 * Parses the wire form in rdata[0..len).  0 and *out filled when the
 * record is well formed and has a valid id= and v=; -1 otherwise, with a
 * reason in err (NUL-terminated, truncated to errlen).  Unknown keys are
 * ignored; for a repeated key the first occurrence wins.
 */
int		disc_txt_parse(const unsigned char *rdata, size_t len,
		    struct disc_txt *out, char *err, size_t errlen);

/*
 * Writes txtvers=, id=, v=, trust= (unless UNKNOWN) and name= (unless
 * empty or NULL) into buf.  0 and *len set on success; -1 when a value
 * is invalid (the rules disc_txt_parse applies) or buf is too small.
 */
int		disc_txt_build(const char *id, unsigned version,
		    enum disc_trust trust, const char *name,
		    unsigned char *buf, size_t cap, size_t *len);

/* "ca", "secret", "unknown". */
const char	*disc_trust_str(enum disc_trust);
/* Valid id / name by the rules above (1 or 0). */
int		 disc_txt_valid_id(const char *);
int		 disc_txt_valid_name(const char *);

#endif /* DISC_TXT_H */
