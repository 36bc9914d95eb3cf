/*
 * test_secret.c - join secrets (security/sec_secret.c): text form,
 * checksum, and the CA derived from a secret.
 *
 * The known answers were computed outside GnuTLS (Python hashlib, hmac
 * and base64 for the text and the HKDF seed, openssl for the seed's
 * Ed25519 public key), so they pin the construction in docs/trust.md: if
 * any step changed, nodes of different versions would no longer derive
 * the same CA and could not join each other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sec_ca.h"
#include "sec_gnutls.h"
#include "sec_identity.h"
#include "sec_secret.h"

/* secret = bytes 0x00..0x1f */
#define KAT_TEXT \
	"exo1-aaaqeaye-audaocaj-bifqydio-b4ibceqt-cqkrmfyy-denbwha5-dyp3tyix"
static const unsigned char kat_ca_pub[32] = {
	0x61, 0x05, 0x65, 0xc2, 0x78, 0xf8, 0x15, 0xb7, 0xc9, 0x23, 0x68,
	0x6c, 0x08, 0xb5, 0x62, 0x73, 0xf5, 0xfa, 0x1b, 0x8c, 0xed, 0x36,
	0x7a, 0x52, 0xeb, 0x4b, 0x09, 0x97, 0xe3, 0xbd, 0xf1, 0xfc,
};
#define KAT_CA_ID	"wv526gwlwmt3g2htwisc26od4i"

static void
kat_secret(struct sec_secret *s)
{
	for (unsigned i = 0; i < SEC_SECRET_BYTES; i++)
		s->bytes[i] = (unsigned char)i;
}

static void
test_format_known_answer(void **state)
{
	struct sec_secret	s;
	char			text[SEC_SECRET_TEXT_SIZE];

	kat_secret(&s);
	sec_secret_format(&s, text);
	assert_string_equal(text, KAT_TEXT);
	assert_int_equal(strlen(text), SEC_SECRET_TEXT_LEN);
}

static void
test_parse_accepts_variants(void **state)
{
	static const char *ok[] = {
		KAT_TEXT,
		KAT_TEXT "\n",
		"  " KAT_TEXT " \r\n",
		("EXO1-AAAQEAYE-AUDAOCAJ-BIFQYDIO-B4IBCEQT-CQKRMFYY-DENBWHA5-"
		    "DYP3TYIX"),
		"exo1-aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp3tyix",
	};
	struct sec_secret	s, want;
	char			err[256];
	size_t			i;

	kat_secret(&want);
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		memset(&s, 0xee, sizeof s);
		assert_int_equal(sec_secret_parse(ok[i], strlen(ok[i]), &s, err,
		    sizeof err), 0);
		assert_memory_equal(s.bytes, want.bytes, SEC_SECRET_BYTES);
	}
}

static void
test_parse_rejects(void **state)
{
	static const struct {
		const char	*text;
		const char	*why;
	} bad[] = {
		{ "", "not a join secret" },
		{ "exo2-aaaqeaye", "not a join secret" },
		{ "aaaqeaye-audaocaj-bifqydio-b4ibceqt-cqkrmfyy-denbwha5-"
		    "dyp3tyix", "not a join secret" },
		{ "exo1-aaaqeaye-audaocaj", "characters after the prefix" },
		{ KAT_TEXT "a", "too many" },
		{ "exo1-aaaqeaye-audaocaj-bifqydio-b4ibceqt-cqkrmfyy-denbwha5-"
		    "dyp3ty0x", "invalid character" },
		{ "exo1-aaaqeaye-audaocaj-bifqydio b4ibceqt-cqkrmfyy-denbwha5-"
		    "dyp3tyix", "invalid character" },
		/* Last character swapped: a typo the checksum must catch. */
		{ "exo1-aaaqeaye-audaocaj-bifqydio-b4ibceqt-cqkrmfyy-denbwha5-"
		    "dyp3tyiy", "checksum" },
	};
	struct sec_secret	s;
	char			err[256], big[SEC_SECRET_INPUT_MAX + 2];
	size_t			i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(sec_secret_parse(bad[i].text,
		    strlen(bad[i].text), &s, err, sizeof err), -1);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, err,
			    bad[i].why);
	}
	/* Bounded: too-long input is refused before it is looked at. */
	memset(big, ' ', sizeof big);
	memcpy(big, KAT_TEXT, strlen(KAT_TEXT));
	assert_int_equal(sec_secret_parse(big, sizeof big, &s, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "too long"));
}

static void
test_every_single_typo_is_caught(void **state)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	struct sec_secret	s;
	char			text[SEC_SECRET_TEXT_SIZE], err[256];
	size_t			i, j, tried = 0;
	char			orig;

	for (i = 5; i < SEC_SECRET_TEXT_LEN; i++) {
		(void)strcpy(text, KAT_TEXT);
		if (text[i] == '-')
			continue;
		orig = text[i];
		for (j = 0; j < 32; j++) {
			if (alphabet[j] == orig)
				continue;
			text[i] = alphabet[j];
			if (sec_secret_parse(text, strlen(text), &s, err,
			    sizeof err) == 0)
				fail_msg("typo at %zu ('%c'->'%c') accepted", i,
				    orig, alphabet[j]);
			tried++;
		}
	}
	assert_int_equal(tried, 56 * 31);
}

static void
test_generate_round_trip(void **state)
{
	struct sec_secret	a, b, back;
	char			ta[SEC_SECRET_TEXT_SIZE], err[256];

	assert_int_equal(sec_secret_generate(&a, err, sizeof err), 0);
	assert_int_equal(sec_secret_generate(&b, err, sizeof err), 0);
	assert_memory_not_equal(a.bytes, b.bytes, SEC_SECRET_BYTES);
	sec_secret_format(&a, ta);
	assert_int_equal(strncmp(ta, SEC_SECRET_PREFIX, 5), 0);
	assert_int_equal(sec_secret_parse(ta, strlen(ta), &back, err,
	    sizeof err), 0);
	assert_memory_equal(a.bytes, back.bytes, SEC_SECRET_BYTES);
	sec_secret_clear(&back);
	for (unsigned i = 0; i < SEC_SECRET_BYTES; i++)
		assert_int_equal(back.bytes[i], 0);
}

static void
test_derived_ca_known_answer(void **state)
{
	struct sec_secret	 s;
	struct sec_pem		 key = { NULL, 0 }, cert = { NULL, 0 };
	gnutls_x509_crt_t	 crt;
	unsigned char		 pub[32], serial[8];
	unsigned		 critical, isca, status;
	int			 pathlen;
	char			 id[SEC_NODE_ID_SIZE], cn[128], err[256];
	size_t			 n = sizeof cn, sn = sizeof serial;

	kat_secret(&s);
	assert_int_equal(sec_secret_derive_ca(&s, &key, &cert, err,
	    sizeof err), 0);
	assert_int_equal(sec_crt_import(cert.data, cert.len, &crt, err,
	    sizeof err), 0);
	assert_int_equal(sec_crt_pub(crt, pub, err, sizeof err), 0);
	assert_memory_equal(pub, kat_ca_pub, 32);
	assert_int_equal(sec_identity_key_node_id(key.data, key.len, id, err,
	    sizeof err), 0);
	assert_string_equal(id, KAT_CA_ID);
	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &n), 0);
	assert_string_equal(cn, "exogpu join-secret CA " KAT_CA_ID);
	assert_int_equal(gnutls_x509_crt_get_serial(crt, serial, &sn), 0);
	assert_int_equal(sn, 1);
	assert_int_equal(serial[0], 1);
	assert_int_equal(gnutls_x509_crt_get_activation_time(crt), 946684800);
	assert_int_equal(gnutls_x509_crt_get_expiration_time(crt),
	    (time_t)253402300799);
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, &critical,
	    &isca, &pathlen), 1);
	assert_true(isca);
	assert_int_equal(gnutls_x509_crt_verify(crt, &crt, 1, 0, &status), 0);
	assert_int_equal(status, 0);
	gnutls_x509_crt_deinit(crt);
	sec_pem_clear(&key);
	sec_pem_clear(&cert);
}

static void
test_derived_ca_is_deterministic(void **state)
{
	struct sec_secret	s, t;
	struct sec_pem		k1 = { NULL, 0 }, c1 = { NULL, 0 };
	struct sec_pem		k2 = { NULL, 0 }, c2 = { NULL, 0 };
	struct sec_pem		k3 = { NULL, 0 }, c3 = { NULL, 0 };
	char			err[256];

	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	assert_int_equal(sec_secret_generate(&t, err, sizeof err), 0);
	assert_int_equal(sec_secret_derive_ca(&s, &k1, &c1, err, sizeof err),
	    0);
	assert_int_equal(sec_secret_derive_ca(&s, &k2, &c2, err, sizeof err),
	    0);
	assert_int_equal(sec_secret_derive_ca(&t, &k3, &c3, err, sizeof err),
	    0);
	/* Same secret: byte-identical key and certificate (signature too). */
	assert_int_equal(c1.len, c2.len);
	assert_memory_equal(c1.data, c2.data, c1.len);
	assert_int_equal(k1.len, k2.len);
	assert_memory_equal(k1.data, k2.data, k1.len);
	/* Another secret: another CA. */
	assert_true(c1.len != c3.len || memcmp(c1.data, c3.data, c1.len) != 0);
	sec_pem_clear(&k1);
	sec_pem_clear(&c1);
	sec_pem_clear(&k2);
	sec_pem_clear(&c2);
	sec_pem_clear(&k3);
	sec_pem_clear(&c3);
}

static void
test_issue_from_secret(void **state)
{
	struct sec_secret	 s, t;
	struct sec_pem		 nk = { NULL, 0 }, nc = { NULL, 0 };
	struct sec_pem		 ca = { NULL, 0 }, other = { NULL, 0 };
	struct sec_pem		 ok = { NULL, 0 };
	gnutls_x509_crt_t	 crt, anchor, wrong;
	unsigned		 status;
	char			 err[256];
	time_t			 now = 1700000000;

	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	assert_int_equal(sec_secret_generate(&t, err, sizeof err), 0);
	assert_int_equal(sec_identity_generate_key(&nk, err, sizeof err), 0);
	assert_int_equal(sec_secret_issue(&s, nk.data, nk.len, "laptop-1",
	    now, &nc, &ca, err, sizeof err), 0);
	assert_int_equal(sec_secret_derive_ca(&t, &ok, &other, err,
	    sizeof err), 0);
	sec_pem_clear(&ok);
	assert_int_equal(sec_crt_import(nc.data, nc.len, &crt, err,
	    sizeof err), 0);
	assert_int_equal(sec_crt_import(ca.data, ca.len, &anchor, err,
	    sizeof err), 0);
	assert_int_equal(sec_crt_import(other.data, other.len, &wrong, err,
	    sizeof err), 0);
	assert_int_equal(gnutls_x509_crt_get_activation_time(crt),
	    now - SEC_JOIN_SKEW);
	assert_int_equal(gnutls_x509_crt_get_expiration_time(crt),
	    now + (time_t)SEC_NODE_DAYS_DEFAULT * 86400);
	/* Chains to its secret's CA (dates aside: 'now' is in the past). */
	assert_int_equal(gnutls_x509_crt_verify(crt, &anchor, 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status), 0);
	assert_int_equal(status, 0);
	/* Not to another secret's. */
	assert_int_equal(gnutls_x509_crt_verify(crt, &wrong, 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status), 0);
	assert_true(status & GNUTLS_CERT_INVALID);
	assert_true(status & GNUTLS_CERT_SIGNER_NOT_FOUND);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crt_deinit(anchor);
	gnutls_x509_crt_deinit(wrong);
	sec_pem_clear(&nk);
	sec_pem_clear(&nc);
	sec_pem_clear(&ca);
	sec_pem_clear(&other);
}

static void
test_certtool_verifies_join_chain(void **state)
{
	char			 dir[] = "/tmp/exogpu-secret-XXXXXX";
	char			 cmd[512], err[256];
	struct sec_secret	 s;
	struct sec_pem		 nk = { NULL, 0 }, nc = { NULL, 0 };
	struct sec_pem		 ca = { NULL, 0 };
	FILE			*f;
	int			 rc;

	if (system("command -v certtool >/dev/null 2>&1") != 0) {
		print_message("certtool not installed (gnutls-bin): skipped\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	assert_int_equal(sec_identity_generate_key(&nk, err, sizeof err), 0);
	assert_int_equal(sec_secret_issue(&s, nk.data, nk.len, "laptop-1",
	    time(NULL), &nc, &ca, err, sizeof err), 0);
	(void)snprintf(cmd, sizeof cmd, "%s/ca.pem", dir);
	assert_non_null(f = fopen(cmd, "w"));
	assert_int_equal(fwrite(ca.data, 1, ca.len, f), ca.len);
	assert_int_equal(fclose(f), 0);
	(void)snprintf(cmd, sizeof cmd, "%s/node.pem", dir);
	assert_non_null(f = fopen(cmd, "w"));
	assert_int_equal(fwrite(nc.data, 1, nc.len, f), nc.len);
	assert_int_equal(fclose(f), 0);
	(void)snprintf(cmd, sizeof cmd, "cd %s && certtool --verify "
	    "--load-ca-certificate ca.pem --infile node.pem 2>&1 | "
	    "grep -q 'Chain verification output: Verified.'", dir);
	rc = system(cmd);
	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rc, 0);
	sec_pem_clear(&nk);
	sec_pem_clear(&nc);
	sec_pem_clear(&ca);
}

/* DATA/join-secret.next: strict two lines, round trip, bounds. */
static void
test_rotation_file(void **state)
{
	struct sec_secret	s, t;
	char			buf[SEC_SECRET_ROTATION_MAX], err[256], bad[700];
	int64_t			until;
	int			n;

	(void)state;
	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	n = sec_secret_rotation_format(&s, 1800000000, buf, sizeof buf);
	assert_true(n > 0);
	assert_int_equal(sec_secret_rotation_parse(buf, (size_t)n, &t,
	    &until, err, sizeof err), 0);
	assert_memory_equal(s.bytes, t.bytes, sizeof s.bytes);
	assert_int_equal(until, 1800000000);
	/* no final newline, a leading zero, no until, junk after */
	assert_int_equal(sec_secret_rotation_parse(buf, (size_t)n - 1, &t,
	    &until, err, sizeof err), -1);
	memcpy(strstr(buf, "until=") + 6, "0", 1);
	assert_int_equal(sec_secret_rotation_parse(buf, (size_t)n, &t,
	    &until, err, sizeof err), -1);
	assert_int_equal(sec_secret_rotation_parse(buf, 68, &t, &until, err,
	    sizeof err), -1);
	n = sec_secret_rotation_format(&s, 5, buf, sizeof buf);
	buf[n - 1] = 'x';
	assert_int_equal(sec_secret_rotation_parse(buf, (size_t)n, &t,
	    &until, err, sizeof err), -1);
	memset(bad, 'a', sizeof bad);
	assert_int_equal(sec_secret_rotation_parse(bad, sizeof bad, &t,
	    &until, err, sizeof err), -1);
	assert_non_null(strstr(err, "larger"));
	/* too small a buffer to format into */
	assert_int_equal(sec_secret_rotation_format(&s, 5, buf, 10), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_known_answer),
		cmocka_unit_test(test_parse_accepts_variants),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_every_single_typo_is_caught),
		cmocka_unit_test(test_generate_round_trip),
		cmocka_unit_test(test_derived_ca_known_answer),
		cmocka_unit_test(test_derived_ca_is_deterministic),
		cmocka_unit_test(test_issue_from_secret),
		cmocka_unit_test(test_certtool_verifies_join_chain),
		cmocka_unit_test(test_rotation_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
