/*
 * test_tlstrust.c - real TLS 1.3 handshakes between two in-process GnuTLS
 * sessions (security/sec_tls.c), one thread per side over a socketpair.
 *
 * After the handshake the server sends one record and the client answers
 * with one: in TLS 1.3 the client finishes its handshake before the
 * server has looked at the client's certificate, so a refusal of the
 * client only shows up on the client's next read, as an alert.  Each
 * case checks the handshake's return code, the verification status bits
 * of the refusing side, and the log text from sec_tls_explain().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sec_ca.h"
#include "sec_gnutls.h"
#include "sec_identity.h"
#include "sec_secret.h"
#include "sec_tls.h"

/* A node: identity + anchor -> credentials. */
struct node {
	struct sec_pem			 key, cert, anchor;
	struct sec_identity		*id;
	gnutls_certificate_credentials_t cred;
	int				 no_cert;	/* offer no certificate */
};

/* One side of a connection and what happened to it. */
struct side {
	struct node		*node;
	enum sec_tls_role	 role;
	int			 fd;
	gnutls_session_t	 s;
	int			 hs_rc;		/* gnutls_handshake */
	int			 io_rc;		/* first record exchange */
	char			 peer_id[SEC_NODE_ID_SIZE];
	unsigned		 status;	/* sec_tls_verify_peer */
	char			 why[512];	/* sec_tls_explain */
	const char		*version;
};

struct ca {
	struct sec_pem	 key, cert;
	struct sec_ca	*ca;
};

static void
ca_make(struct ca *c)
{
	char	err[256];

	memset(c, 0, sizeof *c);
	assert_int_equal(sec_ca_create(time(NULL), 30, &c->key, &c->cert, err,
	    sizeof err), 0);
	c->ca = sec_ca_load(c->key.data, c->key.len, c->cert.data,
	    c->cert.len, err, sizeof err);
	assert_non_null(c->ca);
}

static void
ca_free(struct ca *c)
{
	sec_ca_free(c->ca);
	sec_pem_clear(&c->key);
	sec_pem_clear(&c->cert);
}

static void
node_creds(struct node *n)
{
	char	err[256];
	int	rc;

	if (n->id == NULL)
		n->id = sec_identity_load(n->key.data, n->key.len,
		    n->cert.data, n->cert.len, err, sizeof err);
	if (n->id == NULL)
		fail_msg("identity: %s", err);
	if (n->no_cert) {
		gnutls_datum_t	d = { (unsigned char *)n->anchor.data,
				    (unsigned)n->anchor.len };

		assert_int_equal(gnutls_certificate_allocate_credentials(
		    &n->cred), 0);
		rc = gnutls_certificate_set_x509_trust_mem(n->cred, &d,
		    GNUTLS_X509_FMT_PEM);
		assert_int_equal(rc, 1);
		return;
	}
	rc = sec_tls_creds_new(n->id, n->anchor.data, n->anchor.len, &n->cred,
	    err, sizeof err);
	if (rc != 0)
		fail_msg("credentials: %s", err);
}

/* A node of CA 'issuer', trusting 'trust' (usually the same CA). */
static void
node_ca(struct node *n, const struct ca *issuer, const struct ca *trust,
    time_t nb, time_t na)
{
	char	err[256];

	memset(n, 0, sizeof *n);
	assert_int_equal(sec_identity_generate_key(&n->key, err, sizeof err),
	    0);
	assert_int_equal(sec_ca_issue(issuer->ca, n->key.data, n->key.len,
	    "node.test", nb, na, &n->cert, err, sizeof err), 0);
	assert_int_equal(sec_pem_append(&n->anchor, trust->cert.data,
	    trust->cert.len, err, sizeof err), 0);
	node_creds(n);
}

/* A node in join-secret mode. */
static void
node_secret(struct node *n, const struct sec_secret *s)
{
	char	err[256];

	memset(n, 0, sizeof *n);
	assert_int_equal(sec_identity_generate_key(&n->key, err, sizeof err),
	    0);
	assert_int_equal(sec_secret_issue(s, n->key.data, n->key.len,
	    "laptop", time(NULL), &n->cert, &n->anchor, err, sizeof err), 0);
	node_creds(n);
}

static void
node_free(struct node *n)
{
	if (n->cred != NULL)
		gnutls_certificate_free_credentials(n->cred);
	sec_identity_free(n->id);
	sec_pem_clear(&n->key);
	sec_pem_clear(&n->cert);
	sec_pem_clear(&n->anchor);
}

static void *
run_side(void *arg)
{
	struct side	*sd = arg;
	char		 buf[16], err[256];
	ssize_t		 n;

	do {
		sd->hs_rc = gnutls_handshake(sd->s);
	} while (sd->hs_rc == GNUTLS_E_INTERRUPTED ||
	    (sd->hs_rc < 0 && !gnutls_error_is_fatal(sd->hs_rc)));
	sec_tls_explain(sd->s, sd->role, sd->hs_rc, sd->why, sizeof sd->why);
	(void)sec_tls_verify_peer(sd->s, sd->role, &sd->status, err,
	    sizeof err);
	if (sd->hs_rc < 0) {
		/* GnuTLS leaves sending the alert to the application. */
		(void)gnutls_alert_send_appropriate(sd->s, sd->hs_rc);
		(void)shutdown(sd->fd, SHUT_RDWR);
		return NULL;
	}
	sd->version = gnutls_protocol_get_name(gnutls_protocol_get_version(
	    sd->s));
	if (sec_tls_peer_node_id(sd->s, sd->role, sd->peer_id, err,
	    sizeof err) < 0)
		sd->peer_id[0] = '\0';
	if (sd->role == SEC_TLS_SERVER) {
		n = gnutls_record_send(sd->s, "hi", 2);
		if (n == 2)
			n = gnutls_record_recv(sd->s, buf, sizeof buf);
	} else {
		n = gnutls_record_recv(sd->s, buf, sizeof buf);
		if (n == 2)
			n = gnutls_record_send(sd->s, "ok", 2);
	}
	sd->io_rc = n == 2 ? 0 : (int)n;
	if (n < 0)
		sec_tls_explain(sd->s, sd->role, (int)n, sd->why,
		    sizeof sd->why);
	(void)shutdown(sd->fd, SHUT_RDWR);
	return NULL;
}

static void
side_init(struct side *sd, struct node *n, enum sec_tls_role role, int fd)
{
	struct timeval	tv = { 10, 0 };
	char		err[256];

	memset(sd, 0, sizeof *sd);
	sd->node = n;
	sd->role = role;
	sd->fd = fd;
	/* A hung test fails after 10 s instead of hanging ctest. */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof tv), 0);
	assert_int_equal(gnutls_init(&sd->s, (role == SEC_TLS_SERVER ?
	    GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_TICKETS), 0);
	if (sec_tls_session_setup(sd->s, n->cred, role, err, sizeof err) != 0)
		fail_msg("session setup: %s", err);
	gnutls_transport_set_int(sd->s, fd);
}

/* Runs client c against server s; results in cs and ss. */
static void
connect_pair(struct node *c, struct node *s, struct side *cs, struct side *ss)
{
	pthread_t	tc, ts;
	int		sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	side_init(cs, c, SEC_TLS_CLIENT, sv[0]);
	side_init(ss, s, SEC_TLS_SERVER, sv[1]);
	assert_int_equal(pthread_create(&ts, NULL, run_side, ss), 0);
	assert_int_equal(pthread_create(&tc, NULL, run_side, cs), 0);
	assert_int_equal(pthread_join(tc, NULL), 0);
	assert_int_equal(pthread_join(ts, NULL), 0);
	(void)close(sv[0]);
	(void)close(sv[1]);
}

static void
sides_free(struct side *a, struct side *b)
{
	gnutls_deinit(a->s);
	gnutls_deinit(b->s);
}

static void
expect_success(struct node *c, struct node *s)
{
	struct side	cs, ss;

	connect_pair(c, s, &cs, &ss);
	if (cs.hs_rc != 0 || ss.hs_rc != 0 || cs.io_rc != 0 || ss.io_rc != 0)
		fail_msg("client %d/%d (%s), server %d/%d (%s)", cs.hs_rc,
		    cs.io_rc, cs.why, ss.hs_rc, ss.io_rc, ss.why);
	assert_string_equal(cs.version, "TLS1.3");
	/* Mutual: each saw the other's node id, computed from its key. */
	assert_string_equal(cs.peer_id, sec_identity_node_id(s->id));
	assert_string_equal(ss.peer_id, sec_identity_node_id(c->id));
	assert_int_equal(cs.status, 0);
	assert_int_equal(ss.status, 0);
	assert_string_equal(cs.why, "handshake succeeded");
	sides_free(&cs, &ss);
}

/*
 * The server refuses the client: its handshake fails with a certificate
 * error (or no-certificate error), with status bits 'bits' and 'text' in
 * its log line; the client learns through an alert.
 */
static void
expect_server_refuses(struct node *c, struct node *s, int hs_rc,
    unsigned bits, const char *text)
{
	struct side	cs, ss;

	connect_pair(c, s, &cs, &ss);
	assert_int_equal(ss.hs_rc, hs_rc);
	if ((ss.status & bits) != bits)
		fail_msg("server status 0x%x lacks 0x%x (%s)", ss.status, bits,
		    ss.why);
	if (strstr(ss.why, text) == NULL)
		fail_msg("server says '%s', want '%s'", ss.why, text);
	/* Client: fails in the handshake or on its first read. */
	assert_true(cs.hs_rc < 0 || cs.io_rc < 0);
	assert_true(cs.hs_rc == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    cs.io_rc == GNUTLS_E_FATAL_ALERT_RECEIVED);
	assert_non_null(strstr(cs.why,
	    "the peer refused us: alert \"Certificate is bad\""));
	assert_string_equal(ss.peer_id, "");
	sides_free(&cs, &ss);
}

/* The client refuses the server. */
static void
expect_client_refuses(struct node *c, struct node *s, unsigned bits,
    const char *text)
{
	struct side	cs, ss;

	connect_pair(c, s, &cs, &ss);
	assert_int_equal(cs.hs_rc, GNUTLS_E_CERTIFICATE_ERROR);
	if ((cs.status & bits) != bits)
		fail_msg("client status 0x%x lacks 0x%x (%s)", cs.status, bits,
		    cs.why);
	if (strstr(cs.why, text) == NULL)
		fail_msg("client says '%s', want '%s'", cs.why, text);
	assert_int_equal(ss.hs_rc, GNUTLS_E_FATAL_ALERT_RECEIVED);
	assert_non_null(strstr(ss.why,
	    "the peer refused us: alert \"Certificate is bad\""));
	assert_string_equal(cs.peer_id, "");
	sides_free(&cs, &ss);
}

/* (a) two nodes of one CA: mutual authentication, ids both ways. */
static void
test_same_ca_succeeds(void **state)
{
	struct ca	ca;
	struct node	a, b;
	time_t		now = time(NULL);

	ca_make(&ca);
	node_ca(&a, &ca, &ca, now - 60, now + 86400);
	node_ca(&b, &ca, &ca, now - 60, now + 86400);
	expect_success(&a, &b);
	expect_success(&b, &a);
	assert_string_not_equal(sec_identity_node_id(a.id),
	    sec_identity_node_id(b.id));
	node_free(&a);
	node_free(&b);
	ca_free(&ca);
}

/* (b) a node of a foreign CA is refused, whichever side it is on. */
static void
test_foreign_ca_refused(void **state)
{
	struct ca	ca, evil;
	struct node	good, intruder, bold;
	time_t		now = time(NULL);

	ca_make(&ca);
	ca_make(&evil);
	node_ca(&good, &ca, &ca, now - 60, now + 86400);
	node_ca(&intruder, &evil, &evil, now - 60, now + 86400);
	/* Intruder that knows (and trusts) the public cluster CA cert. */
	node_ca(&bold, &evil, &ca, now - 60, now + 86400);

	expect_server_refuses(&bold, &good, GNUTLS_E_CERTIFICATE_ERROR,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND,
	    "issuer is unknown");
	expect_client_refuses(&good, &intruder,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND,
	    "issuer is unknown");
	expect_client_refuses(&intruder, &good,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND,
	    "we refused the peer");
	node_free(&good);
	node_free(&intruder);
	node_free(&bold);
	ca_free(&ca);
	ca_free(&evil);
}

/* (c) expired and not-yet-valid certificates are refused. */
static void
test_validity_period_enforced(void **state)
{
	struct ca	ca;
	struct node	good, expired, early;
	time_t		now = time(NULL);

	ca_make(&ca);
	node_ca(&good, &ca, &ca, now - 60, now + 86400);
	node_ca(&expired, &ca, &ca, now - 10 * 86400, now - 86400);
	node_ca(&early, &ca, &ca, now + 86400, now + 10 * 86400);

	expect_client_refuses(&good, &expired,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED, "expired");
	expect_server_refuses(&expired, &good, GNUTLS_E_CERTIFICATE_ERROR,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED, "expired");
	expect_client_refuses(&good, &early,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_NOT_ACTIVATED, "not yet valid");
	expect_server_refuses(&early, &good, GNUTLS_E_CERTIFICATE_ERROR,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_NOT_ACTIVATED, "not yet valid");
	node_free(&good);
	node_free(&expired);
	node_free(&early);
	ca_free(&ca);
}

/* (d) a client without a certificate is refused. */
static void
test_client_without_certificate_refused(void **state)
{
	struct ca	ca;
	struct node	good, anon;
	struct side	cs, ss;
	time_t		now = time(NULL);

	ca_make(&ca);
	node_ca(&good, &ca, &ca, now - 60, now + 86400);
	/* A member's setup, minus the certificate: trust anchor only. */
	node_ca(&anon, &ca, &ca, now - 60, now + 86400);
	gnutls_certificate_free_credentials(anon.cred);
	anon.no_cert = 1;
	node_creds(&anon);

	connect_pair(&anon, &good, &cs, &ss);
	assert_true(ss.hs_rc == GNUTLS_E_CERTIFICATE_REQUIRED ||
	    ss.hs_rc == GNUTLS_E_NO_CERTIFICATE_FOUND);
	assert_non_null(strstr(ss.why, "sent no certificate"));
	assert_true(cs.hs_rc == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    cs.io_rc == GNUTLS_E_FATAL_ALERT_RECEIVED);
	assert_non_null(strstr(cs.why,
	    "the peer refused us: alert \"Certificate is required\""));
	sides_free(&cs, &ss);
	node_free(&good);
	node_free(&anon);
	ca_free(&ca);
}

/* (e) join-secret mode: same secret joins, another secret does not. */
static void
test_join_secret(void **state)
{
	struct sec_secret	s, t;
	struct node		a, b, outsider, bold;
	char			err[256];

	assert_int_equal(sec_secret_generate(&s, err, sizeof err), 0);
	assert_int_equal(sec_secret_generate(&t, err, sizeof err), 0);
	node_secret(&a, &s);
	node_secret(&b, &s);
	node_secret(&outsider, &t);
	expect_success(&a, &b);
	expect_success(&b, &a);
	expect_client_refuses(&outsider, &a,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND,
	    "issuer is unknown");
	expect_client_refuses(&a, &outsider,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND,
	    "issuer is unknown");
	/* An outsider that got hold of the derived CA *certificate*. */
	memset(&bold, 0, sizeof bold);
	assert_int_equal(sec_identity_generate_key(&bold.key, err,
	    sizeof err), 0);
	assert_int_equal(sec_secret_issue(&t, bold.key.data, bold.key.len,
	    "x", time(NULL), &bold.cert, NULL, err, sizeof err), 0);
	assert_int_equal(sec_pem_append(&bold.anchor, a.anchor.data,
	    a.anchor.len, err, sizeof err), 0);
	node_creds(&bold);
	expect_server_refuses(&bold, &a, GNUTLS_E_CERTIFICATE_ERROR,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND,
	    "issuer is unknown");
	node_free(&a);
	node_free(&b);
	node_free(&outsider);
	node_free(&bold);
}

/*
 * A node whose certificate sec_ca_issue would never make: signed by the
 * cluster CA, but with chosen key purposes, node-id URI and key type.
 */
static void
node_forged(struct node *n, const struct ca *c, int pk, int server,
    int client, const char *uri)
{
	static const unsigned char serial[] = { 0x42 };
	gnutls_x509_privkey_t	key, cakey;
	gnutls_x509_crt_t	crt, cacrt;
	gnutls_privkey_t	signer;
	gnutls_datum_t		anchor = { (unsigned char *)c->cert.data,
				    (unsigned)c->cert.len };
	char			err[256];
	time_t			now = time(NULL);

	memset(n, 0, sizeof *n);
	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, pk,
	    pk == GNUTLS_PK_ECDSA ?
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1) : 0, 0), 0);
	assert_int_equal(sec_key_import(c->key.data, c->key.len, &cakey, err,
	    sizeof err), 0);
	assert_int_equal(sec_crt_import(c->cert.data, c->cert.len, &cacrt, err,
	    sizeof err), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(crt, serial, 1), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(crt, now - 60), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(crt,
	    now + 86400), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, "forged", 6), 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
	if (server)
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(crt,
		    GNUTLS_KP_TLS_WWW_SERVER, 0), 0);
	if (client)
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(crt,
		    GNUTLS_KP_TLS_WWW_CLIENT, 0), 0);
	if (uri != NULL)
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_URI, uri, (unsigned)strlen(uri),
		    GNUTLS_FSAN_APPEND), 0);
	assert_int_equal(gnutls_privkey_init(&signer), 0);
	assert_int_equal(gnutls_privkey_import_x509(signer, cakey, 0), 0);
	assert_int_equal(gnutls_x509_crt_privkey_sign(crt, cacrt, signer,
	    GNUTLS_DIG_SHA512, 0), 0);
	assert_int_equal(gnutls_certificate_allocate_credentials(&n->cred), 0);
	assert_int_equal(gnutls_certificate_set_x509_key(n->cred, &crt, 1,
	    key), 0);
	assert_int_equal(gnutls_certificate_set_x509_trust_mem(n->cred,
	    &anchor, GNUTLS_X509_FMT_PEM), 1);
	gnutls_privkey_deinit(signer);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crt_deinit(cacrt);
	gnutls_x509_privkey_deinit(cakey);
	gnutls_x509_privkey_deinit(key);
}

/* Key purpose, Ed25519-only and the node-id claim are enforced. */
static void
test_certificate_profile_enforced(void **state)
{
	struct ca	ca;
	struct node	good, server_only, client_only, ecdsa, liar, honest;
	time_t		now = time(NULL);

	ca_make(&ca);
	node_ca(&good, &ca, &ca, now - 60, now + 86400);
	node_forged(&server_only, &ca, GNUTLS_PK_EDDSA_ED25519, 1, 0, NULL);
	node_forged(&client_only, &ca, GNUTLS_PK_EDDSA_ED25519, 0, 1, NULL);
	node_forged(&ecdsa, &ca, GNUTLS_PK_ECDSA, 1, 1, NULL);
	node_forged(&liar, &ca, GNUTLS_PK_EDDSA_ED25519, 1, 1,
	    "exogpu:node:" "aaaaaaaaaaaaaaaaaaaaaaaaaa");
	/* Unrelated URIs are fine; the profile itself is accepted. */
	node_forged(&honest, &ca, GNUTLS_PK_EDDSA_ED25519, 1, 1,
	    "https://example.org/");

	expect_server_refuses(&server_only, &good, GNUTLS_E_CERTIFICATE_ERROR,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_PURPOSE_MISMATCH, "purpose");
	expect_client_refuses(&good, &client_only,
	    GNUTLS_CERT_INVALID | GNUTLS_CERT_PURPOSE_MISMATCH, "purpose");
	expect_server_refuses(&ecdsa, &good, GNUTLS_E_CERTIFICATE_ERROR, 0,
	    "not Ed25519");
	expect_client_refuses(&good, &ecdsa, 0, "not Ed25519");
	expect_server_refuses(&liar, &good, GNUTLS_E_CERTIFICATE_ERROR, 0,
	    "claims node id");
	{
		struct side	cs, ss;

		connect_pair(&honest, &good, &cs, &ss);
		assert_int_equal(ss.hs_rc, 0);
		assert_int_equal(cs.io_rc, 0);
		assert_true(sec_node_id_valid(ss.peer_id));
		sides_free(&cs, &ss);
	}
	node_free(&good);
	node_free(&server_only);
	node_free(&client_only);
	node_free(&ecdsa);
	node_free(&liar);
	node_free(&honest);
	ca_free(&ca);
}

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char	path[512], *buf;
	FILE	*f;

	(void)snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(buf = calloc(1, SEC_PEM_MAX + 1));
	*len = fread(buf, 1, SEC_PEM_MAX, f);
	(void)fclose(f);
	return buf;
}

/*
 * A CA and node made by certtool or openssl from the certs/ files, as
 * certs/README.md tells an operator: that node and one issued by exogpu
 * from the same CA must accept each other.
 */
static void
tool_pki(const char *tool, const char *script)
{
	char		 dir[] = "/tmp/exogpu-tlspki-XXXXXX", cmd[2048], err[256];
	char		*ck, *cc;
	size_t		 ckl, ccl;
	struct ca	 ca;
	struct node	 tool_node, ours;
	time_t		 now = time(NULL);

	(void)snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) != 0) {
		print_message("%s not installed: skipped\n", tool);
		skip();
	}
	assert_non_null(mkdtemp(dir));
	(void)snprintf(cmd, sizeof cmd, "cd %s && C=%s/certs B=%s && "
	    "export EXOGPU_NAME=gpu-1.lan EXOGPU_NODE_ID=none && (%s) "
	    ">log.txt 2>&1", dir, EXOGPU_SOURCE_DIR, EXOGPU_BIN, script);
	if (system(cmd) != 0)
		fail_msg("%s failed; see %s/log.txt", tool, dir);

	memset(&ca, 0, sizeof ca);
	ck = slurp(dir, "ca.key", &ckl);
	cc = slurp(dir, "ca.pem", &ccl);
	ca.ca = sec_ca_load(ck, ckl, cc, ccl, err, sizeof err);
	if (ca.ca == NULL)
		fail_msg("%s CA: %s", tool, err);
	assert_int_equal(sec_pem_append(&ca.cert, cc, ccl, err, sizeof err),
	    0);
	free(ck);
	free(cc);

	memset(&tool_node, 0, sizeof tool_node);
	tool_node.key.data = slurp(dir, "node.key", &tool_node.key.len);
	tool_node.cert.data = slurp(dir, "node.pem", &tool_node.cert.len);
	assert_int_equal(sec_pem_append(&tool_node.anchor, ca.cert.data,
	    ca.cert.len, err, sizeof err), 0);
	node_creds(&tool_node);
	node_ca(&ours, &ca, &ca, now - 60, now + 86400);
	expect_success(&tool_node, &ours);
	expect_success(&ours, &tool_node);
	node_free(&tool_node);
	node_free(&ours);
	ca_free(&ca);
	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_certtool_pki_interoperates(void **state)
{
	tool_pki("certtool",
	    "certtool --generate-privkey --key-type=ed25519 --outfile ca.key &&"
	    " certtool --generate-self-signed --load-privkey ca.key"
	    " --template $C/ca.tmpl --outfile ca.pem &&"
	    " certtool --generate-privkey --key-type=ed25519"
	    " --outfile node.key &&"
	    " sed -e \"s/NODE_ID/$($B cert id node.key)/g\""
	    " -e s/NODE_NAME/gpu-1.lan/g $C/node.tmpl > node.tmpl &&"
	    " certtool --generate-certificate --load-privkey node.key"
	    " --load-ca-certificate ca.pem --load-ca-privkey ca.key"
	    " --template node.tmpl --outfile node.pem");
}

static void
test_openssl_pki_interoperates(void **state)
{
	tool_pki("openssl",
	    "openssl genpkey -algorithm ed25519 -out ca.key &&"
	    " openssl req -x509 -new -key ca.key -config $C/openssl.cnf"
	    " -extensions v3_ca -days 3650 -out ca.pem &&"
	    " openssl genpkey -algorithm ed25519 -out node.key &&"
	    " export EXOGPU_NODE_ID=$($B cert id node.key) &&"
	    " openssl req -new -key node.key -config $C/openssl.cnf"
	    " -subj /CN=$EXOGPU_NODE_ID -out node.csr &&"
	    " openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key"
	    " -days 365 -set_serial 0x$(openssl rand -hex 16)"
	    " -extfile $C/openssl.cnf -extensions v3_node -out node.pem");
}

/* Only the exact priority string; the anchor must be an Ed25519 CA. */
static void
test_setup_rules(void **state)
{
	struct ca			 ca;
	struct node			 n;
	gnutls_certificate_credentials_t cred;
	char				 err[256];
	time_t				 now = time(NULL);

	assert_string_equal(SEC_TLS_PRIORITY,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE");
	ca_make(&ca);
	node_ca(&n, &ca, &ca, now - 60, now + 86400);
	/* A node certificate is not an anchor. */
	assert_int_equal(sec_tls_creds_new(n.id, n.cert.data, n.cert.len,
	    &cred, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a CA"));
	assert_int_equal(sec_tls_creds_new(n.id, "junk", 4, &cred, err,
	    sizeof err), -1);
	node_free(&n);
	ca_free(&ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_ca_succeeds),
		cmocka_unit_test(test_foreign_ca_refused),
		cmocka_unit_test(test_validity_period_enforced),
		cmocka_unit_test(test_client_without_certificate_refused),
		cmocka_unit_test(test_join_secret),
		cmocka_unit_test(test_certificate_profile_enforced),
		cmocka_unit_test(test_certtool_pki_interoperates),
		cmocka_unit_test(test_openssl_pki_interoperates),
		cmocka_unit_test(test_setup_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
