/*
 * test_identity.c - node identity and CA mode (security/sec_b32.c,
 * sec_key.c, sec_identity.c, sec_ca.c).
 *
 * Known answers pin the formats other nodes and versions depend on: RFC
 * 4648 base32 vectors, the RFC 8032 test key's public half, and its node
 * id (computed independently with Python's hashlib/base64).  Certificates
 * are taken apart with GnuTLS and, when installed, read and verified by
 * certtool and openssl, so what `exogpu cert` writes interoperates.
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

#include "sec_b32.h"
#include "sec_ca.h"
#include "sec_gnutls.h"
#include "sec_identity.h"

static char	tmpdir[] = "/tmp/exogpu-identity-XXXXXX";

/* RFC 8032 section 7.1, TEST 1. */
static const unsigned char rfc8032_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
static const unsigned char rfc8032_pub[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
	0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
	0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};
/* base32(SHA-256(rfc8032_pub)[0..16]), lowercase, no padding. */
#define RFC8032_NODE_ID	"eh7ddx5bksrgcytl7bkai36se4"

static int
setup(void **state)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* --- base32 --- */

static void
test_b32_vectors(void **state)
{
	static const char *vec[][2] = {
		{ "", "" }, { "f", "my" }, { "fo", "mzxq" },
		{ "foo", "mzxw6" }, { "foob", "mzxw6yq" },
		{ "fooba", "mzxw6ytb" }, { "foobar", "mzxw6ytboi" },
	};
	unsigned char	bin[16];
	char		txt[32];
	size_t		i, n;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		n = strlen(vec[i][0]);
		assert_int_equal(sec_b32_encode((const unsigned char *)vec[i][0],
		    n, txt, sizeof txt), (int)strlen(vec[i][1]));
		assert_string_equal(txt, vec[i][1]);
		assert_int_equal(sec_b32_decode(vec[i][1], strlen(vec[i][1]),
		    bin, sizeof bin), (int)n);
		assert_memory_equal(bin, vec[i][0], n);
	}
	/* Upper case decodes too. */
	assert_int_equal(sec_b32_decode("MZXW6YTBOI", 10, bin, sizeof bin), 6);
	assert_memory_equal(bin, "foobar", 6);
}

static void
test_b32_rejects(void **state)
{
	unsigned char	bin[16];
	char		txt[4];

	assert_int_equal(sec_b32_decode("mz", 2, bin, sizeof bin), -1);
	assert_int_equal(sec_b32_decode("m", 1, bin, sizeof bin), -1);
	assert_int_equal(sec_b32_decode("mzx", 3, bin, sizeof bin), -1);
	assert_int_equal(sec_b32_decode("mzxw6y", 6, bin, sizeof bin), -1);
	assert_int_equal(sec_b32_decode("m0", 2, bin, sizeof bin), -1);
	assert_int_equal(sec_b32_decode("my==", 4, bin, sizeof bin), -1);
	assert_int_equal(sec_b32_decode("mzxw6ytboi", 10, bin, 5), -1);
	assert_int_equal(sec_b32_encode((const unsigned char *)"fo", 2, txt,
	    sizeof txt), -1);
}

/* --- keys and node ids --- */

static void
test_node_id_known_answer(void **state)
{
	gnutls_x509_privkey_t	key;
	unsigned char		pub[32];
	char			id[SEC_NODE_ID_SIZE], err[256];

	sec_node_id_from_pub(rfc8032_pub, id);
	assert_string_equal(id, RFC8032_NODE_ID);
	assert_int_equal(strlen(id), SEC_NODE_ID_LEN);
	assert_true(sec_node_id_valid(id));

	/* The seed import derives the RFC's public key. */
	assert_int_equal(sec_key_from_seed(rfc8032_seed, &key, err,
	    sizeof err), 0);
	assert_int_equal(sec_key_pub(key, pub, err, sizeof err), 0);
	assert_memory_equal(pub, rfc8032_pub, 32);
	gnutls_x509_privkey_deinit(key);
}

static void
test_node_id_valid(void **state)
{
	assert_true(sec_node_id_valid("eh7ddx5bksrgcytl7bkai36se4"));
	assert_false(sec_node_id_valid("EH7DDX5BKSRGCYTL7BKAI36SE4"));
	assert_false(sec_node_id_valid("eh7ddx5bksrgcytl7bkai36se"));
	assert_false(sec_node_id_valid("eh7ddx5bksrgcytl7bkai36se4a"));
	assert_false(sec_node_id_valid("eh7ddx5bksrgcytl7bkai36se0"));
	/* Last char carries 3 bits: 'a'+1 sets a padding bit. */
	assert_false(sec_node_id_valid("eh7ddx5bksrgcytl7bkai36se5"));
	assert_false(sec_node_id_valid(""));
}

static void
test_generate_key(void **state)
{
	struct sec_pem	a = { NULL, 0 }, b = { NULL, 0 };
	char		ida[SEC_NODE_ID_SIZE], idb[SEC_NODE_ID_SIZE];
	char		err[256];

	assert_int_equal(sec_identity_generate_key(&a, err, sizeof err), 0);
	assert_int_equal(sec_identity_generate_key(&b, err, sizeof err), 0);
	assert_non_null(strstr(a.data, "-----BEGIN PRIVATE KEY-----"));
	assert_int_equal(strlen(a.data), a.len);
	assert_int_equal(sec_identity_key_node_id(a.data, a.len, ida, err,
	    sizeof err), 0);
	assert_int_equal(sec_identity_key_node_id(b.data, b.len, idb, err,
	    sizeof err), 0);
	assert_true(sec_node_id_valid(ida));
	assert_string_not_equal(ida, idb);
	sec_pem_clear(&a);
	sec_pem_clear(&b);
	assert_null(a.data);
	assert_int_equal(a.len, 0);
}

static void
test_key_refuses_other_algorithms(void **state)
{
	gnutls_x509_privkey_t	key;
	gnutls_datum_t		d;
	char			id[SEC_NODE_ID_SIZE], err[256];

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_privkey_export2_pkcs8(key,
	    GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &d), 0);
	assert_int_equal(sec_identity_key_node_id((char *)d.data, d.size, id,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "not Ed25519"));
	gnutls_free(d.data);
	gnutls_x509_privkey_deinit(key);

	assert_int_equal(sec_identity_key_node_id("garbage", 7, id, err,
	    sizeof err), -1);
	assert_int_equal(sec_identity_key_node_id("", 0, id, err,
	    sizeof err), -1);
}

/* --- CA mode --- */

struct pki {
	struct sec_pem	ca_key, ca_cert, node_key, node_cert;
	struct sec_ca	*ca;
};

static void
pki_make(struct pki *p, const char *name, time_t nb, time_t na)
{
	char	err[256];

	memset(p, 0, sizeof *p);
	assert_int_equal(sec_ca_create(time(NULL), SEC_CA_DAYS_DEFAULT,
	    &p->ca_key, &p->ca_cert, err, sizeof err), 0);
	p->ca = sec_ca_load(p->ca_key.data, p->ca_key.len, p->ca_cert.data,
	    p->ca_cert.len, err, sizeof err);
	assert_non_null(p->ca);
	assert_int_equal(sec_identity_generate_key(&p->node_key, err,
	    sizeof err), 0);
	assert_int_equal(sec_ca_issue(p->ca, p->node_key.data,
	    p->node_key.len, name, nb, na, &p->node_cert, err, sizeof err),
	    0);
}

static void
pki_free(struct pki *p)
{
	sec_ca_free(p->ca);
	sec_pem_clear(&p->ca_key);
	sec_pem_clear(&p->ca_cert);
	sec_pem_clear(&p->node_key);
	sec_pem_clear(&p->node_cert);
}

static gnutls_x509_crt_t
crt_of(const struct sec_pem *p)
{
	gnutls_x509_crt_t	crt;
	char			err[256];

	assert_int_equal(sec_crt_import(p->data, p->len, &crt, err,
	    sizeof err), 0);
	return crt;
}

static void
test_ca_certificate(void **state)
{
	struct pki		 p;
	gnutls_x509_crt_t	 crt;
	unsigned		 critical, isca, usage, status;
	int			 pathlen;
	char			 id[SEC_NODE_ID_SIZE], cn[128], err[256];
	size_t			 n = sizeof cn;
	time_t			 now = time(NULL);

	pki_make(&p, "node1.example", now - 60, now + 86400);
	crt = crt_of(&p.ca_cert);
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, &critical,
	    &isca, &pathlen), 1);
	assert_true(isca);
	assert_int_equal(pathlen, 0);
	assert_true(critical);
	assert_true(gnutls_x509_crt_get_key_usage(crt, &usage, &critical) >=
	    0);
	assert_int_equal(usage, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, NULL),
	    GNUTLS_PK_EDDSA_ED25519);
	assert_int_equal(gnutls_x509_crt_get_signature_algorithm(crt),
	    GNUTLS_SIGN_EDDSA_ED25519);
	/* CN names the CA key's id; validity ~10 years. */
	assert_int_equal(sec_identity_key_node_id(p.ca_key.data,
	    p.ca_key.len, id, err, sizeof err), 0);
	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &n), 0);
	assert_int_equal(strncmp(cn, "exogpu cluster CA ", 18), 0);
	assert_int_equal(strncmp(cn + 18, id, 8), 0);
	assert_true(gnutls_x509_crt_get_expiration_time(crt) >=
	    now + (time_t)SEC_CA_DAYS_DEFAULT * 86400 - 10);
	assert_true(gnutls_x509_crt_get_activation_time(crt) <= now);
	assert_int_equal(gnutls_x509_crt_verify(crt, &crt, 1, 0, &status), 0);
	assert_int_equal(status, 0);
	assert_non_null(strstr(sec_ca_subject(p.ca), "exogpu cluster CA"));
	gnutls_x509_crt_deinit(crt);
	pki_free(&p);
}

static void
test_node_certificate(void **state)
{
	struct pki		 p;
	gnutls_x509_crt_t	 crt, ca;
	unsigned		 critical, isca, usage, status;
	int			 pathlen, type, dns = 0, uri = 0;
	char			 id[SEC_NODE_ID_SIZE], cid[SEC_NODE_ID_SIZE];
	char			 buf[256], err[256];
	size_t			 n;
	unsigned		 i;
	time_t			 now = time(NULL);

	pki_make(&p, "gpu-box-1.lan", now - 60, now + 30 * 86400);
	crt = crt_of(&p.node_cert);
	ca = crt_of(&p.ca_cert);
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, &critical,
	    &isca, &pathlen), 0);
	assert_false(isca);
	assert_true(gnutls_x509_crt_get_key_usage(crt, &usage, &critical) >=
	    0);
	assert_int_equal(usage, GNUTLS_KEY_DIGITAL_SIGNATURE);
	assert_true(critical);
	for (i = 0; i < 2; i++) {
		n = sizeof buf;
		assert_int_equal(gnutls_x509_crt_get_key_purpose_oid(crt, i,
		    buf, &n, &critical), 0);
		assert_string_equal(buf, i == 0 ? GNUTLS_KP_TLS_WWW_SERVER :
		    GNUTLS_KP_TLS_WWW_CLIENT);
	}
	/* Subject CN and SAN URI carry the node id of the node key. */
	assert_int_equal(sec_identity_key_node_id(p.node_key.data,
	    p.node_key.len, id, err, sizeof err), 0);
	n = sizeof buf;
	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &n), 0);
	assert_string_equal(buf, id);
	for (i = 0;; i++) {
		n = sizeof buf;
		type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &n,
		    &critical);
		if (type < 0)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			assert_string_equal(buf, "gpu-box-1.lan");
			dns++;
		} else if (type == GNUTLS_SAN_URI) {
			assert_int_equal(strncmp(buf, "exogpu:node:", 12), 0);
			assert_string_equal(buf + 12, id);
			uri++;
		}
	}
	assert_int_equal(dns, 1);
	assert_int_equal(uri, 1);
	assert_int_equal(sec_identity_cert_node_id(p.node_cert.data,
	    p.node_cert.len, cid, err, sizeof err), 0);
	assert_string_equal(cid, id);
	/* Dates as asked, 16-byte positive serial, chains to the CA. */
	assert_int_equal(gnutls_x509_crt_get_activation_time(crt), now - 60);
	assert_int_equal(gnutls_x509_crt_get_expiration_time(crt),
	    now + 30 * 86400);
	n = sizeof buf;
	assert_int_equal(gnutls_x509_crt_get_serial(crt, buf, &n), 0);
	assert_int_equal(n, 16);
	assert_true((buf[0] & 0x80) == 0);
	assert_int_equal(gnutls_x509_crt_verify(crt, &ca, 1, 0, &status), 0);
	assert_int_equal(status, 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crt_deinit(ca);
	pki_free(&p);
}

static void
test_issue_serials_differ_and_clamp(void **state)
{
	struct pki		 p;
	struct sec_pem		 second = { NULL, 0 };
	gnutls_x509_crt_t	 a, b, ca;
	unsigned char		 sa[32], sb[32];
	size_t			 na = sizeof sa, nb = sizeof sb;
	char			 err[256];
	time_t			 now = time(NULL);

	pki_make(&p, "n", now, now + 86400);
	/* Asked for 200 years: clamped to the CA's own expiry. */
	assert_int_equal(sec_ca_issue(p.ca, p.node_key.data, p.node_key.len,
	    "n", now, now + (time_t)200 * 365 * 86400, &second, err,
	    sizeof err), 0);
	a = crt_of(&p.node_cert);
	b = crt_of(&second);
	ca = crt_of(&p.ca_cert);
	assert_int_equal(gnutls_x509_crt_get_serial(a, sa, &na), 0);
	assert_int_equal(gnutls_x509_crt_get_serial(b, sb, &nb), 0);
	assert_true(na != nb || memcmp(sa, sb, na) != 0);
	assert_int_equal(gnutls_x509_crt_get_expiration_time(b),
	    gnutls_x509_crt_get_expiration_time(ca));
	gnutls_x509_crt_deinit(a);
	gnutls_x509_crt_deinit(b);
	gnutls_x509_crt_deinit(ca);
	sec_pem_clear(&second);
	pki_free(&p);
}

static void
test_issue_rejects(void **state)
{
	static const char *bad[] = {
		"", "-a", "a-", "a..b", ".a", "a.", "a b", "a_b", "a/b",
		"\xc3\xa9t\xc3\xa9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct pki	 p;
	struct sec_pem	 out = { NULL, 0 };
	char		 err[256], big[300];
	size_t		 i;
	time_t		 now = time(NULL);

	pki_make(&p, "ok-name.lan", now, now + 86400);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(sec_name_valid(bad[i]));
		assert_int_equal(sec_ca_issue(p.ca, p.node_key.data,
		    p.node_key.len, bad[i], now, now + 86400, &out, err,
		    sizeof err), -1);
		assert_null(out.data);
	}
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_false(sec_name_valid(big));
	assert_true(sec_name_valid("a"));
	assert_true(sec_name_valid("Node-7.Example.COM"));
	/* Empty validity. */
	assert_int_equal(sec_ca_issue(p.ca, p.node_key.data, p.node_key.len,
	    "x", now, now, &out, err, sizeof err), -1);
	/* Node key that is not a key. */
	assert_int_equal(sec_ca_issue(p.ca, p.ca_cert.data, p.ca_cert.len,
	    "x", now, now + 10, &out, err, sizeof err), -1);
	pki_free(&p);
}

static void
test_ca_load_rejects(void **state)
{
	struct pki	 p, q;
	char		 err[256];
	time_t		 now = time(NULL);

	pki_make(&p, "a", now, now + 86400);
	pki_make(&q, "b", now, now + 86400);
	/* CA cert with another CA's key. */
	assert_null(sec_ca_load(q.ca_key.data, q.ca_key.len, p.ca_cert.data,
	    p.ca_cert.len, err, sizeof err));
	assert_non_null(strstr(err, "does not belong"));
	/* A node certificate is not a CA. */
	assert_null(sec_ca_load(p.node_key.data, p.node_key.len,
	    p.node_cert.data, p.node_cert.len, err, sizeof err));
	assert_non_null(strstr(err, "not a CA"));
	assert_null(sec_ca_load(p.ca_key.data, p.ca_key.len, "junk", 4, err,
	    sizeof err));
	pki_free(&p);
	pki_free(&q);
}

static void
test_identity_load(void **state)
{
	struct pki		 p, q;
	struct sec_identity	*id;
	struct sec_pem		 chain = { NULL, 0 };
	char			 kid[SEC_NODE_ID_SIZE], err[256];
	int			 i;
	time_t			 now = time(NULL);

	pki_make(&p, "a", now, now + 86400);
	pki_make(&q, "b", now, now + 86400);
	id = sec_identity_load(p.node_key.data, p.node_key.len,
	    p.node_cert.data, p.node_cert.len, err, sizeof err);
	assert_non_null(id);
	assert_int_equal(sec_identity_key_node_id(p.node_key.data,
	    p.node_key.len, kid, err, sizeof err), 0);
	assert_string_equal(sec_identity_node_id(id), kid);
	sec_identity_free(id);

	/* Leaf + CA is a valid chain too. */
	assert_int_equal(sec_pem_append(&chain, p.node_cert.data,
	    p.node_cert.len, err, sizeof err), 0);
	assert_int_equal(sec_pem_append(&chain, p.ca_cert.data,
	    p.ca_cert.len, err, sizeof err), 0);
	id = sec_identity_load(p.node_key.data, p.node_key.len, chain.data,
	    chain.len, err, sizeof err);
	assert_non_null(id);
	sec_identity_free(id);
	sec_pem_clear(&chain);

	/* Someone else's certificate. */
	assert_null(sec_identity_load(p.node_key.data, p.node_key.len,
	    q.node_cert.data, q.node_cert.len, err, sizeof err));
	assert_non_null(strstr(err, "does not belong"));
	/* Too many certificates. */
	for (i = 0; i <= SEC_CHAIN_MAX; i++)
		assert_int_equal(sec_pem_append(&chain, p.node_cert.data,
		    p.node_cert.len, err, sizeof err), 0);
	assert_null(sec_identity_load(p.node_key.data, p.node_key.len,
	    chain.data, chain.len, err, sizeof err));
	sec_pem_clear(&chain);
	/* No certificate, oversized input. */
	assert_null(sec_identity_load(p.node_key.data, p.node_key.len,
	    "nothing", 7, err, sizeof err));
	assert_null(sec_identity_load(p.node_key.data, p.node_key.len,
	    p.node_cert.data, SEC_PEM_MAX + 1, err, sizeof err));
	pki_free(&p);
	pki_free(&q);
}

/* --- interoperability with the command-line tools --- */

static void
write_pem(const char *name, const struct sec_pem *p)
{
	char	path[256];
	FILE	*f;

	(void)snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(p->data, 1, p->len, f), p->len);
	assert_int_equal(fclose(f), 0);
}

/* Runs a shell command in tmpdir; returns its exit status. */
static int
run(const char *cmdline)
{
	char	cmd[1024];
	int	rc;

	(void)snprintf(cmd, sizeof cmd, "cd %s && %s >out.txt 2>&1", tmpdir,
	    cmdline);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int
have(const char *tool)
{
	char	cmd[256];

	(void)snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static int
out_contains(const char *needle)
{
	char	path[256], buf[16384];
	FILE	*f;
	size_t	n;

	(void)snprintf(path, sizeof path, "%s/out.txt", tmpdir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void
test_certtool_reads_outputs(void **state)
{
	struct pki	p, q;
	char		id[SEC_NODE_ID_SIZE], err[256];
	time_t		now = time(NULL);

	if (!have("certtool")) {
		print_message("certtool not installed (gnutls-bin): skipped\n");
		skip();
	}
	pki_make(&p, "node1.lan", now - 60, now + 86400);
	pki_make(&q, "node2.lan", now - 60, now + 86400);
	write_pem("ca.pem", &p.ca_cert);
	write_pem("ca.key", &p.ca_key);
	write_pem("node.pem", &p.node_cert);
	write_pem("node.key", &p.node_key);
	write_pem("foreign.pem", &q.ca_cert);

	assert_int_equal(run("certtool -i --infile node.pem"), 0);
	assert_true(out_contains("EdDSA (Ed25519)"));
	assert_true(out_contains("DNSname: node1.lan"));
	assert_int_equal(sec_identity_key_node_id(p.node_key.data,
	    p.node_key.len, id, err, sizeof err), 0);
	assert_true(out_contains(id));
	assert_int_equal(run("certtool -i --infile ca.pem"), 0);
	assert_true(out_contains("Certificate Authority (CA): TRUE"));
	assert_int_equal(run("certtool -k --infile node.key"), 0);
	assert_true(out_contains("Ed25519"));
	assert_int_equal(run("certtool -k --infile ca.key"), 0);

	assert_int_equal(run("certtool --verify --load-ca-certificate ca.pem "
	    "--infile node.pem"), 0);
	assert_true(out_contains("Chain verification output: Verified."));
	/* Against a foreign CA it must not verify. */
	assert_int_not_equal(run("certtool --verify --load-ca-certificate "
	    "foreign.pem --infile node.pem"), 0);
	assert_false(out_contains("Chain verification output: Verified."));
	pki_free(&p);
	pki_free(&q);
}

static void
test_openssl_reads_outputs(void **state)
{
	struct pki	p;
	time_t		now = time(NULL);

	if (!have("openssl")) {
		print_message("openssl not installed: skipped\n");
		skip();
	}
	pki_make(&p, "node1.lan", now - 60, now + 86400);
	write_pem("ca.pem", &p.ca_cert);
	write_pem("node.pem", &p.node_cert);
	write_pem("node.key", &p.node_key);
	assert_int_equal(run("openssl pkey -noout -text -in node.key"),
	    0);
	assert_true(out_contains("ED25519"));
	assert_int_equal(run("openssl verify -purpose sslclient -CAfile ca.pem "
	    "node.pem"), 0);
	assert_int_equal(run("openssl verify -purpose sslserver -CAfile ca.pem "
	    "node.pem"), 0);
	pki_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b32_vectors),
		cmocka_unit_test(test_b32_rejects),
		cmocka_unit_test(test_node_id_known_answer),
		cmocka_unit_test(test_node_id_valid),
		cmocka_unit_test(test_generate_key),
		cmocka_unit_test(test_key_refuses_other_algorithms),
		cmocka_unit_test(test_ca_certificate),
		cmocka_unit_test(test_node_certificate),
		cmocka_unit_test(test_issue_serials_differ_and_clamp),
		cmocka_unit_test(test_issue_rejects),
		cmocka_unit_test(test_ca_load_rejects),
		cmocka_unit_test(test_identity_load),
		cmocka_unit_test(test_certtool_reads_outputs),
		cmocka_unit_test(test_openssl_reads_outputs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
