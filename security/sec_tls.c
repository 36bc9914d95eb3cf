/*
 * sec_tls.c - GnuTLS credentials and in-handshake peer verification; see
 * sec_tls.h for the policy.
 *
 * The check lives in one function, check_peer(), used three ways: as the
 * session's verify function (one small wrapper per role, so no state has
 * to be hung on the session - gnutls_session_set_ptr belongs to the QUIC
 * layer), by sec_tls_peer_node_id(), and by sec_tls_explain() to turn a
 * refusal into text.  Re-running it costs one Ed25519 verification.
 */
#include "sec_gnutls.h"
#include "sec_tls.h"
#include "sec_tls_int.h"

#include <stdio.h>
#include <string.h>

#define SAN_MAX		16	/* subjectAltName entries we look at */
#define SAN_LEN		256

static int
crt_from_der(const gnutls_datum_t *der, gnutls_x509_crt_t *out, char *why,
    size_t whylen)
{
	gnutls_x509_crt_t	crt;
	int			rc;

	if ((rc = gnutls_x509_crt_init(&crt)) < 0)
		return sec_gnutls_err(why, whylen, "certificate init", rc);
	if ((rc = gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER)) < 0) {
		gnutls_x509_crt_deinit(crt);
		return sec_gnutls_err(why, whylen, "peer certificate", rc);
	}
	*out = crt;
	return 0;
}

/* A SAN URI "exogpu:node:<id>", if present, must be the key's own id. */
static int
check_san_id(gnutls_x509_crt_t crt, const char *id, char *why, size_t whylen)
{
	char		san[SAN_LEN];
	size_t		n, plen = sizeof SEC_NODE_ID_URI_PREFIX - 1;
	unsigned	i, critical;
	int		rc;

	for (i = 0; i < SAN_MAX; i++) {
		n = sizeof san - 1;
		rc = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &n,
		    &critical);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;	/* too long to be ours */
		if (rc < 0)
			return sec_gnutls_err(why, whylen, "peer subjectAltName",
			    rc);
		if (rc != GNUTLS_SAN_URI || n < plen ||
		    memcmp(san, SEC_NODE_ID_URI_PREFIX, plen) != 0)
			continue;
		san[n] = '\0';
		if (strcmp(san + plen, id) != 0)
			return sec_err(why, whylen, "peer certificate claims "
			    "node id %.*s but its key's id is %s",
			    SEC_NODE_ID_LEN, san + plen, id);
	}
	return sec_err(why, whylen, "peer certificate has more than %d "
	    "subjectAltNames", SAN_MAX);
}

/* Ed25519 everywhere; returns the leaf's node id in id. */
int
sec_tls_check_chain(const gnutls_datum_t *list, unsigned n, char *id,
    char *why, size_t whylen)
{
	gnutls_x509_crt_t	crt = NULL;
	unsigned		i;
	int			rc;

	for (i = 0; i < n; i++) {
		if (crt_from_der(&list[i], &crt, why, whylen) < 0)
			return -1;
		rc = 0;
		if (gnutls_x509_crt_get_signature_algorithm(crt) !=
		    GNUTLS_SIGN_EDDSA_ED25519)
			rc = sec_err(why, whylen, "peer certificate %u is not "
			    "signed with Ed25519", i);
		else if (i == 0 && sec_crt_node_id(crt, id, why, whylen) < 0)
			rc = -1;
		else if (i == 0)
			rc = check_san_id(crt, id, why, whylen);
		gnutls_x509_crt_deinit(crt);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
check_peer(gnutls_session_t s, enum sec_tls_role role, unsigned *status,
    char *id, char *why, size_t whylen)
{
	const gnutls_datum_t	*list;
	gnutls_typed_vdata_st	 purpose;
	gnutls_datum_t		 text = { NULL, 0 };
	unsigned		 n = 0;
	int			 rc;

	*status = 0;
	if (gnutls_certificate_type_get2(s, GNUTLS_CTYPE_PEERS) !=
	    GNUTLS_CRT_X509)
		return sec_err(why, whylen, "peer certificate is not X.509");
	list = gnutls_certificate_get_peers(s, &n);
	if (list == NULL || n == 0)
		return sec_err(why, whylen, "peer sent no certificate");
	if (n > SEC_CHAIN_MAX)
		return sec_err(why, whylen, "peer sent %u certificates", n);

	memset(&purpose, 0, sizeof purpose);
	purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
	purpose.data = (unsigned char *)(uintptr_t)(role == SEC_TLS_SERVER ?
	    GNUTLS_KP_TLS_WWW_CLIENT : GNUTLS_KP_TLS_WWW_SERVER);
	rc = gnutls_certificate_verify_peers(s, &purpose, 1, status);
	if (rc < 0)
		return sec_gnutls_err(why, whylen, "peer verification", rc);
	if (*status != 0) {
		rc = gnutls_certificate_verification_status_print(*status,
		    GNUTLS_CRT_X509, &text, 0);
		if (rc < 0)
			(void)sec_err(why, whylen, "peer certificate refused "
			    "(status 0x%x)", *status);
		else {
			/* GnuTLS's text ends in a space; drop it. */
			while (text.size > 0 && text.data[text.size - 1] == ' ')
				text.data[--text.size] = '\0';
			(void)sec_err(why, whylen, "peer certificate refused "
			    "(status 0x%x): %s", *status, (char *)text.data);
		}
		gnutls_free(text.data);
		return -1;
	}
	return sec_tls_check_chain(list, n, id, why, whylen);
}

int
sec_tls_verify_peer(gnutls_session_t s, enum sec_tls_role role,
    unsigned *status, char *why, size_t whylen)
{
	char	id[SEC_NODE_ID_SIZE];

	return check_peer(s, role, status, id, why, whylen);
}

static int
verify_as(gnutls_session_t s, enum sec_tls_role role)
{
	char		id[SEC_NODE_ID_SIZE], why[8];
	unsigned	status;

	/* Non-zero aborts the handshake with GNUTLS_E_CERTIFICATE_ERROR. */
	return check_peer(s, role, &status, id, why, sizeof why) < 0 ? -1 : 0;
}

static int
verify_server(gnutls_session_t s)
{
	return verify_as(s, SEC_TLS_CLIENT);
}

static int
verify_client(gnutls_session_t s)
{
	return verify_as(s, SEC_TLS_SERVER);
}

int
sec_tls_peer_node_id(gnutls_session_t s, enum sec_tls_role role, char *id,
    char *err, size_t errlen)
{
	unsigned	status;

	if (gnutls_session_is_resumed(s))
		return sec_err(err, errlen, "resumed session: peer not "
		    "verified in this handshake");
	return check_peer(s, role, &status, id, err, errlen);
}

/* Anchors: 1..SEC_CHAIN_MAX Ed25519 CA certificates. */
static int
load_anchor(gnutls_certificate_credentials_t cred, const char *pem,
    size_t len, char *err, size_t errlen)
{
	gnutls_x509_crt_t	list[SEC_CHAIN_MAX];
	gnutls_datum_t		d;
	unsigned		n = SEC_CHAIN_MAX, i, critical, isca;
	int			rc, pathlen, ret = -1;

	if (sec_datum_in(&d, pem, len, "trust anchor", err, errlen) < 0)
		return -1;
	rc = gnutls_x509_crt_list_import(list, &n, &d, GNUTLS_X509_FMT_PEM,
	    GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "trust anchor", rc);
	n = (unsigned)rc;
	if (n == 0)
		return sec_err(err, errlen, "trust anchor: no certificate");
	for (i = 0; i < n; i++) {
		if (gnutls_x509_crt_get_pk_algorithm(list[i], NULL) !=
		    GNUTLS_PK_EDDSA_ED25519) {
			(void)sec_err(err, errlen, "trust anchor %u: not an "
			    "Ed25519 key", i);
			goto out;
		}
		rc = gnutls_x509_crt_get_basic_constraints(list[i], &critical,
		    &isca, &pathlen);
		if (rc < 0 || !isca) {
			(void)sec_err(err, errlen, "trust anchor %u: not a CA "
			    "certificate", i);
			goto out;
		}
	}
	/* The credentials keep copies; ours are freed below either way. */
	if ((rc = gnutls_certificate_set_x509_trust(cred, list, (int)n)) < 0) {
		(void)sec_gnutls_err(err, errlen, "trust anchor", rc);
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	return ret;
}

int
sec_tls_identity_creds_new(const struct sec_identity *id,
    gnutls_certificate_credentials_t *out, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t	 cred;
	gnutls_x509_crt_t			 chain[SEC_CHAIN_MAX];
	const gnutls_x509_crt_t			*c;
	unsigned				 n;
	int					 rc;

	c = sec_identity_chain(id, &n);
	if (n == 0 || n > SEC_CHAIN_MAX)
		return sec_err(err, errlen, "identity has no chain");
	memcpy(chain, c, n * sizeof chain[0]);
	if ((rc = gnutls_certificate_allocate_credentials(&cred)) < 0)
		return sec_gnutls_err(err, errlen, "credentials", rc);
	/* Copies key and chain; the identity stays the caller's. */
	if ((rc = gnutls_certificate_set_x509_key(cred, chain, n,
	    sec_identity_key(id))) < 0) {
		gnutls_certificate_free_credentials(cred);
		return sec_gnutls_err(err, errlen, "credentials key", rc);
	}
	*out = cred;
	return 0;
}

int
sec_tls_creds_new(const struct sec_identity *id, const char *anchor_pem,
    size_t anchor_len, gnutls_certificate_credentials_t *out, char *err,
    size_t errlen)
{
	gnutls_certificate_credentials_t	cred;

	if (sec_tls_identity_creds_new(id, &cred, err, errlen) != 0)
		return -1;
	if (load_anchor(cred, anchor_pem, anchor_len, err, errlen) < 0) {
		gnutls_certificate_free_credentials(cred);
		return -1;
	}
	*out = cred;
	return 0;
}

int
sec_tls_session_setup(gnutls_session_t s,
    gnutls_certificate_credentials_t cred, enum sec_tls_role role, char *err,
    size_t errlen)
{
	const char	*where = NULL;
	int		 rc;

	if ((rc = gnutls_priority_set_direct(s, SEC_TLS_PRIORITY, &where)) < 0)
		return sec_gnutls_err(err, errlen, "TLS priority", rc);
	if ((rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0)
		return sec_gnutls_err(err, errlen, "TLS credentials", rc);
	if (role == SEC_TLS_SERVER) {
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		/* Sending the CA list makes mismatched clients send nothing. */
		gnutls_certificate_send_x509_rdn_sequence(s, 1);
		gnutls_session_set_verify_function(s, verify_client);
	} else
		gnutls_session_set_verify_function(s, verify_server);
	return 0;
}

void
sec_tls_explain(gnutls_session_t s, enum sec_tls_role role, int rc, char *buf,
    size_t len)
{
	char		why[512], id[SEC_NODE_ID_SIZE];
	unsigned	status;

	if (len == 0)
		return;
	switch (rc) {
	case 0:
		(void)snprintf(buf, len, "handshake succeeded");
		break;
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		if (check_peer(s, role, &status, id, why, sizeof why) == 0)
			(void)snprintf(why, sizeof why, "unknown reason");
		(void)snprintf(buf, len, "we refused the peer: %s", why);
		break;
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		(void)snprintf(buf, len, "we refused the peer: it sent no "
		    "certificate (%s)", gnutls_strerror(rc));
		break;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
	case GNUTLS_E_WARNING_ALERT_RECEIVED:
		(void)snprintf(buf, len, "the peer refused us: alert \"%s\"",
		    gnutls_alert_get_name(gnutls_alert_get(s)));
		break;
	default:
		(void)snprintf(buf, len, "handshake failed: %s",
		    gnutls_strerror(rc));
		break;
	}
}
