/*
 * test_txt.c - the `_exo-gpu._tcp` TXT record (discovery/disc_txt.c):
 * what we publish, what we accept from the LAN, and every bound.
 *
 * Records are written out as DNS wire bytes by hand, and also built with
 * Avahi's own string-list functions, so the parser is checked against
 * the form Avahi really hands us, not only against our own builder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <avahi-common/strlst.h>

#include <stdio.h>
#include <string.h>

#include "disc_txt.h"

#define ID	"abcdefghijklmnopqrstuvwxyz"

/* Appends a length-prefixed string to buf. */
static size_t
put(unsigned char *buf, size_t off, const char *s)
{
	size_t	n = strlen(s);

	buf[off] = (unsigned char)n;
	memcpy(buf + off + 1, s, n);
	return off + 1 + n;
}

/* Wire form of a NULL-terminated list of strings. */
static size_t
wire(unsigned char *buf, const char **items)
{
	size_t	off = 0;

	for (; *items != NULL; items++)
		off = put(buf, off, *items);
	return off;
}

static int
parse_list(const char **items, struct disc_txt *t, char *err, size_t elen)
{
	unsigned char	buf[4096];

	return disc_txt_parse(buf, wire(buf, items), t, err, elen);
}

static void
test_roundtrip(void **state)
{
	unsigned char	buf[DISC_TXT_MAX_BYTES];
	struct disc_txt	t;
	char		err[128];
	size_t		len;

	assert_int_equal(disc_txt_build(ID, 3, DISC_TRUST_CA, "gpu box 1", buf,
	    sizeof buf, &len), 0);
	assert_int_equal(disc_txt_parse(buf, len, &t, err, sizeof err), 0);
	assert_string_equal(t.id, ID);
	assert_int_equal(t.version, 3);
	assert_int_equal(t.trust, DISC_TRUST_CA);
	assert_string_equal(t.name, "gpu box 1");
	assert_int_equal(t.txtvers, DISC_TXTVERS);
	assert_int_equal(t.nitems, 5);
	/* The exact bytes: documented order and spelling. */
	assert_int_equal(len, 10 + 30 + 4 + 9 + 15);
	assert_memory_equal(buf, "\x09txtvers=1\x1did=" ID "\x03v=3\x08trust=ca"
	    "\x0ename=gpu box 1", len);

	/* Optional keys left out. */
	assert_int_equal(disc_txt_build("x1", 65535, DISC_TRUST_UNKNOWN, NULL,
	    buf, sizeof buf, &len), 0);
	assert_int_equal(disc_txt_parse(buf, len, &t, err, sizeof err), 0);
	assert_int_equal(t.trust, DISC_TRUST_UNKNOWN);
	assert_string_equal(t.name, "");
	assert_int_equal(t.version, 65535);
}

static void
test_build_rejects(void **state)
{
	unsigned char	buf[DISC_TXT_MAX_BYTES];
	char		longid[DISC_ID_MAX + 2];
	size_t		len;

	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	assert_int_equal(disc_txt_build(NULL, 1, 0, NULL, buf, sizeof buf,
	    &len), -1);
	assert_int_equal(disc_txt_build("", 1, 0, NULL, buf, sizeof buf,
	    &len), -1);
	assert_int_equal(disc_txt_build("ABC", 1, 0, NULL, buf, sizeof buf,
	    &len), -1);
	assert_int_equal(disc_txt_build(longid, 1, 0, NULL, buf, sizeof buf,
	    &len), -1);
	longid[DISC_ID_MAX] = '\0';
	assert_int_equal(disc_txt_build(longid, 1, 0, NULL, buf, sizeof buf,
	    &len), 0);
	assert_int_equal(disc_txt_build("a", 0, 0, NULL, buf, sizeof buf,
	    &len), -1);
	assert_int_equal(disc_txt_build("a", 65536, 0, NULL, buf, sizeof buf,
	    &len), -1);
	assert_int_equal(disc_txt_build("a", 1, 0, "tab\there", buf,
	    sizeof buf, &len), -1);
	/* Too small a buffer fails instead of truncating. */
	assert_int_equal(disc_txt_build(ID, 1, DISC_TRUST_CA, "n", buf, 20,
	    &len), -1);
}

static void
test_avahi_string_list(void **state)
{
	unsigned char	 buf[512];
	AvahiStringList	*l;
	struct disc_txt	 t;
	char		 err[128];
	size_t		 n;

	/* As a peer built with Avahi would publish it, binary-safe. */
	l = avahi_string_list_new("txtvers=1", "id=" ID, "v=2",
	    "trust=secret", "name=laptop", "gpu=rtx", NULL);
	assert_non_null(l);
	n = avahi_string_list_serialize(l, buf, sizeof buf);
	assert_int_equal(disc_txt_parse(buf, n, &t, err, sizeof err), 0);
	assert_string_equal(t.id, ID);
	assert_int_equal(t.version, 2);
	assert_int_equal(t.trust, DISC_TRUST_SECRET);
	assert_string_equal(t.name, "laptop");
	assert_int_equal(t.nitems, 6);
	avahi_string_list_free(l);

	/* Our record survives Avahi's parse + serialize unchanged. */
	assert_int_equal(disc_txt_build(ID, 9, DISC_TRUST_CA, "x", buf,
	    sizeof buf, &n), 0);
	assert_int_equal(avahi_string_list_parse(buf, n, &l), 0);
	{
		unsigned char	again[512];
		size_t		m = avahi_string_list_serialize(l, again,
				    sizeof again);

		assert_int_equal(m, n);
		assert_memory_equal(again, buf, n);
	}
	avahi_string_list_free(l);
}

static void
test_key_rules(void **state)
{
	struct disc_txt	t;
	char		err[128];
	const char	*dup[] = { "ID=" ID, "id=zzz", "v=1", "V=2",
			    "name=first", "name=second", NULL };
	const char	*odd[] = { "", "=ignored", "id=" ID, "flag",
			    "unknown=\x01\x02", "v=4", "trust=pq",
			    "name=bad\x7f", "txtvers=x", NULL };

	/* Keys are case-insensitive; the first occurrence wins. */
	assert_int_equal(parse_list(dup, &t, err, sizeof err), 0);
	assert_string_equal(t.id, ID);
	assert_int_equal(t.version, 1);
	assert_string_equal(t.name, "first");
	/* Empty strings, "=x", bare keys, unknown keys and values, a bad
	 * optional value: ignored, the record is still usable. */
	assert_int_equal(parse_list(odd, &t, err, sizeof err), 0);
	assert_int_equal(t.version, 4);
	assert_int_equal(t.trust, DISC_TRUST_UNKNOWN);
	assert_string_equal(t.name, "");
	assert_int_equal(t.txtvers, 0);
	assert_int_equal(t.nitems, 9);
}

static void
expect_bad(const char **items, const char *why)
{
	struct disc_txt	t;
	char		err[128];

	assert_int_equal(parse_list(items, &t, err, sizeof err), -1);
	if (strstr(err, why) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, why);
}

static void
test_required_and_values(void **state)
{
	const char	*noid[] = { "v=1", NULL };
	const char	*nov[] = { "id=" ID, NULL };
	const char	*idcase[] = { "id=ABC", "v=1", NULL };
	const char	*idempty[] = { "id=", "v=1", NULL };
	const char	*idbare[] = { "id", "v=1", NULL };
	const char	*v0[] = { "id=a", "v=0", NULL };
	const char	*vlead[] = { "id=a", "v=01", NULL };
	const char	*vbig[] = { "id=a", "v=65536", NULL };
	const char	*vsign[] = { "id=a", "v=+1", NULL };
	const char	*vlong[] = { "id=a", "v=100000", NULL };
	const char	*keyctl[] = { "id=a", "v=1", "k\x01y=1", NULL };
	char		 big[DISC_ID_MAX + 8];

	expect_bad(noid, "no id=");
	expect_bad(nov, "no v=");
	expect_bad(idcase, "bad id=");
	expect_bad(idempty, "bad id=");
	expect_bad(idbare, "bad id=");
	expect_bad(v0, "bad v=");
	expect_bad(vlead, "bad v=");
	expect_bad(vbig, "bad v=");
	expect_bad(vsign, "bad v=");
	expect_bad(vlong, "bad v=");
	expect_bad(keyctl, "non-printable");
	/* id of 65 characters */
	(void)snprintf(big, sizeof big, "id=%0*d", DISC_ID_MAX + 1, 0);
	{
		const char	*l[] = { big, "v=1", NULL };

		expect_bad(l, "bad id=");
	}
}

static void
test_bounds(void **state)
{
	unsigned char	buf[4096];
	struct disc_txt	t;
	char		err[128], key[64];
	size_t		off, i;

	/* A length byte running past the end. */
	off = put(buf, 0, "id=a");
	off = put(buf, off, "v=1");
	buf[off++] = 10;
	memcpy(buf + off, "abc", 3);
	assert_int_equal(disc_txt_parse(buf, off + 3, &t, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "overruns"));
	/* ... and exactly at the end is fine. */
	assert_int_equal(disc_txt_parse(buf, off - 1, &t, err, sizeof err),
	    0);
	/* More than DISC_TXT_MAX_ITEMS strings. */
	off = put(buf, 0, "id=a");
	off = put(buf, off, "v=1");
	for (i = 2; i < DISC_TXT_MAX_ITEMS; i++)
		off = put(buf, off, "x=y");
	assert_int_equal(disc_txt_parse(buf, off, &t, err, sizeof err), 0);
	assert_int_equal(t.nitems, DISC_TXT_MAX_ITEMS);
	off = put(buf, off, "x=y");
	assert_int_equal(disc_txt_parse(buf, off, &t, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than"));
	/* A key over DISC_TXT_MAX_KEY. */
	memset(key, 'k', DISC_TXT_MAX_KEY + 1);
	(void)strcpy(key + DISC_TXT_MAX_KEY + 1, "=1");
	off = put(buf, 0, "id=a");
	off = put(buf, off, "v=1");
	off = put(buf, off, key);
	assert_int_equal(disc_txt_parse(buf, off, &t, err, sizeof err), -1);
	assert_non_null(strstr(err, "key of"));
	/* A record over DISC_TXT_MAX_BYTES, even if well formed. */
	off = put(buf, 0, "id=a");
	off = put(buf, off, "v=1");
	memset(buf + off, 0, DISC_TXT_MAX_BYTES);	/* empty strings */
	assert_int_equal(disc_txt_parse(buf, DISC_TXT_MAX_BYTES + 1, &t, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "record of"));
	/* Empty and NULL input. */
	assert_int_equal(disc_txt_parse(NULL, 0, &t, err, sizeof err), -1);
	assert_int_equal(disc_txt_parse(NULL, 5, &t, NULL, 0), -1);
	/* err may be NULL or tiny. */
	assert_int_equal(disc_txt_parse(buf, 1, &t, err, 1), -1);
	assert_string_equal(err, "");
}

static void
test_valid_helpers(void **state)
{
	assert_true(disc_txt_valid_id("a0"));
	assert_false(disc_txt_valid_id("a-0"));
	assert_false(disc_txt_valid_id(NULL));
	assert_true(disc_txt_valid_name("My GPU #2"));
	assert_false(disc_txt_valid_name(""));
	assert_false(disc_txt_valid_name("caf\xc3\xa9"));
	assert_string_equal(disc_trust_str(DISC_TRUST_CA), "ca");
	assert_string_equal(disc_trust_str(DISC_TRUST_SECRET), "secret");
	assert_string_equal(disc_trust_str(DISC_TRUST_UNKNOWN), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_build_rejects),
		cmocka_unit_test(test_avahi_string_list),
		cmocka_unit_test(test_key_rules),
		cmocka_unit_test(test_required_and_values),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_valid_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
