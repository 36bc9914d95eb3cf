/*
 * ag_node_auth.c - access control, revocation and the audit log on the
 * running node: the API authoriser, POST /v1/tokens/revoke, GET
 * /v1/audit, merging revocations gossiped by other nodes, and the audit
 * helper every decision goes through.
 *
 * Shape: the policy is agent/ag_auth.c, the revocation set
 * agent/ag_revoke.c and the log agent/ag_auditlog.c - all without the
 * node; this file is the glue that knows the node's data dir, its peers'
 * records and its HTTP requests.  Revocations are persisted (atomically)
 * before they are acknowledged or re-gossiped, so a restart never forgets
 * one; a damaged revocation file stops the agent rather than silently
 * unrevoking tokens.
 */
#include "ag_node_int.h"
#include "ag_raft.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_issue.h"
#include "ag_log.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUDIT_TAIL_DEFAULT	100

static int64_t
unix_now(void)
{
	return (int64_t)time(NULL);
}

int
ag_node_audit(struct ag_node *n, const char *actor, const char *action,
    const char *object, int allowed, const char *fmt, ...)
{
	char	reason[512], err[256];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (ag_auditlog_add(n->audit, unix_now(), actor, action, object,
	    allowed, reason, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "audit log: %s", err);
		return -1;
	}
	return 0;
}

/* --- revocations from before the log ------------------------------------ */

/*
 * Agents before the raft log kept DATA/revoked.cbor.  Its entries stay in
 * force on this node until they expire (nothing is silently unrevoked),
 * but the file is no longer written or gossiped: the operator re-revokes
 * them through the log (docs/tokens.md, "Upgrading").
 */
static int
legacy_load(struct ag_node *n, char *err, size_t errlen)
{
	char	path[PATH_MAX], why[256], *buf = NULL;
	size_t	len = 0;
	int	missing = 0;

	ag_revoke_init(&n->revoked);
	if (ag_datadir_path(n->data_dir, AG_REVOKE_FILE, path,
	    sizeof path) != 0) {
		(void)snprintf(err, errlen, "data dir path too long");
		return -1;
	}
	if (ag_read_file(path, AG_REVOKE_BYTES, &buf, &len, &missing, why,
	    sizeof why) != 0) {
		if (missing)
			return 0;
		(void)snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (ag_revoke_decode((const uint8_t *)buf, len, &n->revoked, why,
	    sizeof why) != 0) {
		(void)snprintf(err, errlen, "%s is damaged (%s); refusing to "
		    "start without the revoked token list.  Restore it from a "
		    "backup or another node's data dir", path, why);
		free(buf);
		return -1;
	}
	free(buf);
	(void)ag_revoke_expire(&n->revoked, unix_now() - n->auth.skew);
	if (n->revoked.n > 0)
		ag_log(AG_LOG_WARNING, "%s holds %zu revocation(s) from before "
		    "the cluster log: they are refused on this node until they "
		    "expire; revoke them again (exogpu token revoke) so every "
		    "node refuses them", path, n->revoked.n);
	return 0;
}

/* The token check's question: revoked by the log (or the old file)? */
static bool
is_revoked(const uint8_t *cti, size_t len, void *arg)
{
	struct ag_node	*n = arg;

	return ag_node_trust_revoked(cti, len, n) ||
	    ag_revoke_has(&n->revoked, cti, len);
}

/* --- the authoriser ----------------------------------------------------- */

static void
refuse(struct ag_api_reply *r, struct evhttp_request *req,
    const struct ag_auth_denial *why)
{
	if (evhttp_add_header(evhttp_request_get_output_headers(req),
	    "WWW-Authenticate", why->status == 403 ?
	    "Bearer error=\"insufficient_scope\"" :
	    "Bearer error=\"invalid_token\"") != 0)
		ag_log(AG_LOG_WARNING, "api: cannot add WWW-Authenticate");
	ag_api_error(r, why->status, why->code, "%s", why->reason);
}

static void
deny_actor(const struct ag_auth_denial *why, char *out, size_t size)
{
	if (why->token_id[0])
		(void)snprintf(out, size, "tok:%s@%s", why->token_id,
		    why->tenant);
	else
		(void)snprintf(out, size, "anonymous");
}

/* The client's address, the key of the failed-authentication limit. */
static void
client_of(struct evhttp_request *req, char *out, size_t size)
{
	struct evhttp_connection	*conn = evhttp_request_get_connection(req);
	char				*addr = NULL;
	ev_uint16_t			 port = 0;

	if (conn != NULL)
		evhttp_connection_get_peer(conn, &addr, &port);
	(void)snprintf(out, size, "%s", addr != NULL ? addr : "?");
}

/*
 * 429 with Retry-After for a client over the failure limit: its failed
 * tokens are answered without an audit record each (one per block).
 */
static int
throttled(struct ag_node *n, struct evhttp_request *req, const char *client,
    struct ag_api_reply *r)
{
	char	secs[24];
	long	wait;
	bool	first;

	if ((wait = ag_rl_blocked(&n->auth_fails, client, unix_now(),
	    &first)) == 0)
		return 0;
	n->stats.denials++;
	if (first) {
		ag_log(AG_LOG_WARNING, "api: %s failed authentication %ld "
		    "times in %ld s; refusing it for %ld s", client,
		    n->auth_fails.limit, n->auth_fails.window, wait);
		(void)ag_node_audit(n, "anonymous", "deny", "api:*", 0,
		    "client %s over the failed-authentication limit (%ld a "
		    "minute): refused for %ld s", client, n->auth_fails.limit,
		    wait);
	}
	(void)snprintf(secs, sizeof secs, "%ld", wait);
	if (evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", secs) != 0)
		ag_log(AG_LOG_WARNING, "api: cannot add Retry-After");
	ag_api_error(r, 429, "too_many_failures", "too many failed "
	    "authentications from %s; retry in %ld s", client, wait);
	return -1;
}

int
ag_node_authorize(void *ctx, struct evhttp_request *req,
    enum ag_api_auth need, struct ag_api_reply *r)
{
	struct ag_node		*n = ctx;
	struct ag_auth_denial	 why;
	const char		*uri = evhttp_request_get_uri(req);
	const char		*hdr = evhttp_find_header(
				    evhttp_request_get_input_headers(req),
				    "Authorization");
	char			 object[160], client[AG_RL_KEY_MAX];

	/* A token is judged only with the log's revocations at hand. */
	if (ag_auth_enabled(&n->auth) && need != AG_API_PUBLIC &&
	    hdr != NULL && !ag_node_trust_ready(n)) {
		ag_api_error(r, 503, "catching_up", "this node has not yet "
		    "applied the cluster's log (revocations included); retry "
		    "in a moment");
		return -1;
	}
	if (hdr != NULL && n->cluster != NULL)
		ag_node_audience_sync(n);
	if (ag_auth_check(&n->auth, hdr, need, unix_now(), &n->who, &why)
	    == 0)
		return 0;
	/* Only a token that fails counts: a page without one is cheap. */
	client_of(req, client, sizeof client);
	if (why.status == 401 && hdr != NULL) {
		if (throttled(n, req, client, r) != 0)
			return -1;
		ag_rl_fail(&n->auth_fails, client, unix_now());
	}
	(void)snprintf(object, sizeof object, "api:%s %.120s",
	    evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" :
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" :
	    evhttp_request_get_command(req) == EVHTTP_REQ_DELETE ? "DELETE" :
	    "OTHER", uri != NULL ? uri : "?");
	ag_node_denied(n, &why, object);
	refuse(r, req, &why);
	return -1;
}

int
ag_node_tenant_limits(struct ag_node *n, const struct ag_principal *who,
    double *budget_ms, char *why, size_t size)
{
	const struct ag_fsm	*f = ag_raft_fsm(ag_cluster_raft(n->cluster));
	long			 held = 0;
	size_t			 i;

	if (!who->token || (who->claims.scopes & SEC_TOKEN_SCOPE_ADMIN))
		return 0;
	if (*budget_ms > (double)n->cfg->solve_budget_max_ms)
		*budget_ms = (double)n->cfg->solve_budget_max_ms;
	for (i = 0; i < ag_fsm_count(f); i++)
		held += strcmp(ag_fsm_at(f, i)->tenant, who->tenant) == 0;
	if (held >= n->cfg->tenant_max_placements) {
		(void)snprintf(why, size, "quota: tenant %s holds %ld "
		    "placement(s), tenant-max-placements is %ld", who->tenant,
		    held, n->cfg->tenant_max_placements);
		return -1;
	}
	return 0;
}

void
ag_node_denied(struct ag_node *n, const struct ag_auth_denial *why,
    const char *object)
{
	char	actor[200], err[256];

	n->stats.denials++;
	deny_actor(why, actor, sizeof actor);
	ag_log(AG_LOG_NOTICE, "denied %s for %s: %s", object, actor,
	    why->reason);
	/* A refusal acknowledges nothing: group fsync (ag_auditlog.h). */
	if (ag_auditlog_add_deferred(n->audit, unix_now(), actor, "deny",
	    object, 0, why->reason, err, sizeof err) != 0)
		ag_log(AG_LOG_ERR, "audit log: %s", err);
}

/* --- routes ------------------------------------------------------------- */

void
ag_node_api_audit(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct ag_node		*n = ctx;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*q = uri != NULL ? evhttp_uri_get_query(uri) :
				    NULL;
	unsigned long		 count = AUDIT_TAIL_DEFAULT;
	char			 err[256], extra;
	json_t			*a;

	if (q != NULL && (sscanf(q, "n=%lu%c", &count, &extra) != 1 ||
	    count < 1 || count > AG_AUDIT_TAIL_MAX)) {
		ag_api_error(r, 400, "bad_request", "query: n=1..%d",
		    AG_AUDIT_TAIL_MAX);
		return;
	}
	if ((a = ag_auditlog_tail(n->audit, count, err, sizeof err)) == NULL) {
		ag_api_error(r, 500, "audit_unreadable", "%s", err);
		return;
	}
	r->status = 200;
	r->body = json_pack("{s:s, s:o}", "path", ag_auditlog_path(n->audit),
	    "entries", a);
}

static json_t *
issue_request(struct evhttp_request *req, struct ag_api_reply *r)
{
	json_t		*j;
	char		*body, err[256];
	size_t		 len = 0;

	if ((body = ag_api_body(req, &len)) == NULL) {
		ag_api_error(r, 413, "too_large", "body over %d bytes",
		    AG_API_MAX_BODY);
		return NULL;
	}
	j = ag_api_parse_object(body, len, err, sizeof err);
	free(body);
	if (j == NULL)
		ag_api_error(r, 400, "bad_json", "%s", err);
	return j;
}

/* POST /v1/tokens: a delegated token, never wider than the caller's. */
void
ag_node_api_issue(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct ag_node		*n = ctx;
	struct sec_token_claims	 c;
	char			 err[256], actor[200], object[200], iss[160];
	char			 text[SEC_TOKEN_TEXT_MAX + 1];
	char			 hex[2 * SEC_TOKEN_CTI_LEN + 1];
	uint8_t			*tok = NULL;
	size_t			 toklen;
	int64_t			 now = unix_now();
	int			 status = 500;
	json_t			*j;

	if (n->signing_key == NULL || !n->who.token) {
		ag_api_error(r, 501, "not_issuing", "this agent does not issue "
		    "tokens (start it with --token-signing-key and "
		    "--token-keys), or issue offline: exogpu token issue "
		    "--key");
		return;
	}
	if ((j = issue_request(req, r)) == NULL)
		return;
	ag_auth_actor(&n->who, actor, sizeof actor);
	(void)snprintf(iss, sizeof iss, "exogpu:%s", n->name);
	if (ag_issue_claims(j, &n->who.claims, now, n->cfg->token_audience,
	    iss, &c, &status, err, sizeof err) != 0) {
		json_decref(j);
		if (status == 403)
			n->stats.denials++;
		if (ag_node_audit(n, actor, "issue", "token", 0, "%s", err)
		    != 0)
			ag_api_error(r, 503, "audit_unavailable", "the audit log "
			    "cannot be written");
		else
			ag_api_error(r, status, status == 403 ? "forbidden" :
			    "bad_request", "%s", err);
		return;
	}
	json_decref(j);
	if (sec_token_issue(n->signing_key, n->signing_key_len, &c, now, &tok,
	    &toklen, err, sizeof err) != 0 ||
	    sec_token_encode_text(tok, toklen, text, sizeof text) < 0) {
		free(tok);
		ag_api_error(r, 500, "cannot_sign", "%s", err);
		return;
	}
	free(tok);
	ag_revoke_id_hex(c.cti, hex);
	(void)snprintf(object, sizeof object, "token/%s sub/%.120s", hex,
	    c.sub);
	if (ag_node_audit(n, actor, "issue", object, 1, "scopes 0x%x, %zu "
	    "selector(s), expires %lld", c.scopes, c.ndevices,
	    (long long)c.exp) != 0) {
		ag_api_error(r, 503, "audit_unavailable", "the audit log cannot "
		    "be written; no token was issued");
		return;
	}
	r->status = 201;
	r->body = json_pack("{s:s, s:s, s:s, s:I}", "token", text, "id", hex,
	    "sub", c.sub, "exp", (json_int_t)c.exp);
}

/* --- start, tick, stop -------------------------------------------------- */

/*
 * The signing key for delegated tokens; its public half must be one the
 * agents verify with, or what it signs would be refused everywhere.
 */
static int
signing_key(struct ag_node *n, char *err, size_t errlen)
{
	struct sec_pem	pub = { NULL, 0 };
	const char	*path = n->cfg->token_signing_key, *b, *e;
	char		why[256];
	int		rc = -1;

	if (path[0] == '\0')
		return 0;
	if (!ag_auth_enabled(&n->auth)) {
		(void)snprintf(err, errlen, "--token-signing-key needs "
		    "--token-keys");
		return -1;
	}
	if (ag_read_file(path, 64 * 1024, &n->signing_key,
	    &n->signing_key_len, NULL, why, sizeof why) != 0 ||
	    sec_token_pub_of_key(n->signing_key, n->signing_key_len, &pub,
	    why, sizeof why) != 0) {
		(void)snprintf(err, errlen, "token signing key: %s", why);
		goto out;
	}
	/* Compare the base64 body of the PUBLIC KEY block. */
	b = strchr(pub.data, '\n');
	e = strstr(pub.data, "-----END");
	if (b == NULL || e == NULL || e <= b + 1 ||
	    memmem(n->auth.keys, n->auth.keys_len, b + 1,
	    (size_t)(e - (b + 1))) == NULL) {
		(void)snprintf(err, errlen, "the public key of %s is not in "
		    "%s: tokens it signs would be refused", path,
		    n->cfg->token_keys);
		goto out;
	}
	rc = 0;
out:
	sec_pem_clear(&pub);
	return rc;
}

static void
signing_key_free(struct ag_node *n)
{
	if (n->signing_key != NULL) {
		memset(n->signing_key, 0, n->signing_key_len);
		free(n->signing_key);
	}
	n->signing_key = NULL;
}


static int
loopback_only(const char *addr)
{
	char	host[256];
	int	port;
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (ag_api_split_addr(addr, host, sizeof host, &port) != 0)
		return 0;
	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

/* Token keys: reloaded when the file changes (tick) or on SIGHUP. */
static void
keys_reload(struct ag_node *n, bool force)
{
	char	err[512];
	int	rc = ag_auth_reload(&n->auth, force, err, sizeof err);

	if (rc > 0)
		ag_log(AG_LOG_NOTICE, "token keys reloaded from %s",
		    n->auth.path);
	else if (rc < 0)
		ag_log(AG_LOG_ERR, "%s; the keys loaded before stay in force",
		    err);
}

static void
on_sighup(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	keys_reload(arg, true);
}

int
ag_node_auth_init(struct ag_node *n, char *err, size_t errlen)
{
	const struct ag_config	*c = n->cfg;
	char			*key = NULL;
	size_t			 klen = 0;

	if (ag_auth_init(&n->auth, c->token_keys, c->token_audience,
	    c->token_skew_s, err, errlen) != 0)
		return -1;
	n->auth.revoked = is_revoked;
	n->auth.revoked_arg = n;
	ag_auth_set_max_age(&n->auth, c->token_max_age_s);
	ag_rl_init(&n->auth_fails, c->auth_fail_limit, 60);
	if (ag_auth_enabled(&n->auth) && ((n->sighup = evsignal_new(n->base,
	    SIGHUP, on_sighup, n)) == NULL || event_add(n->sighup, NULL)
	    != 0)) {
		(void)snprintf(err, errlen, "cannot watch SIGHUP");
		return -1;
	}
	if (signing_key(n, err, errlen) != 0)
		return -1;
	if (!ag_auth_enabled(&n->auth) && !c->open_api &&
	    !loopback_only(c->http)) {
		(void)snprintf(err, errlen, "--http %s is not a loopback "
		    "address: give --token-keys so callers must present "
		    "tokens (or --insecure-open-api to serve it open anyway)",
		    c->http);
		return -1;
	}
	if (legacy_load(n, err, errlen) != 0)
		return -1;
	/* Checkpoints are signed with the audit key, never the TLS key. */
	if (ag_node_anchor_key(n, &key, &klen, err, errlen) != 0)
		return -1;
	n->audit = ag_auditlog_open(n->data_dir, key, klen,
	    c->audit_rotate_bytes, err, errlen);
	explicit_bzero(key, klen);
	free(key);
	if (n->audit == NULL)
		return -1;
	ag_auditlog_set_keep(n->audit, (int)c->audit_keep);
	return ag_node_anchor_init(n, err, errlen);
}

/* Logged once the node id and the API are known (after setup). */
static void
audit_start(struct ag_node *n)
{
	char	actor[64];

	(void)snprintf(actor, sizeof actor, "node:%s", n->trust.node_id);
	(void)ag_node_audit(n, actor, "config", "agent", 1, "started: name=%s "
	    "trust=%s api=%s tokens=%s%s%s revoked=%zu", n->name,
	    ag_trust_mode_name(n->trust.mode), n->cfg->http,
	    ag_auth_enabled(&n->auth) ? "enforced keys=" : "off",
	    ag_auth_enabled(&n->auth) ? n->cfg->token_keys : "",
	    n->cfg->token_audience[0] ? " audience-set" : "",
	    n->revoked.n);
}

/*
 * A join-secret rotation ends at a time, but the trust anchors are set
 * at start: once it has ended, say hourly that a restart is needed to
 * refuse the old secret.
 */
static void
rotation_reminder(struct ag_node *n)
{
	int64_t	now = unix_now();

	if (n->trust.rotation_until == 0 || now < n->trust.rotation_until ||
	    now - n->rotation_warned < 3600)
		return;
	n->rotation_warned = now;
	ag_log(AG_LOG_WARNING, "the join secret rotation ended at %lld: "
	    "restart this agent to refuse the old secret",
	    (long long)n->trust.rotation_until);
}

void
ag_node_auth_tick(struct ag_node *n, double now)
{
	static const double	every = 1.0;
	char			err[256];

	if (now < n->next_auth_tick)
		return;
	if (n->next_auth_tick == 0)
		audit_start(n);
	n->next_auth_tick = now + every;
	keys_reload(n, false);
	rotation_reminder(n);
	if (ag_auditlog_sync(n->audit, err, sizeof err) != 0)
		ag_log(AG_LOG_ERR, "audit log: %s", err);
	/* Kept until the token is refused as expired: exp + skew. */
	(void)ag_revoke_expire(&n->revoked, unix_now() - n->auth.skew);
	if (ag_auditlog_tick(n->audit, unix_now(), n->cfg->audit_checkpoint_s,
	    err, sizeof err) != 0)
		ag_log(AG_LOG_ERR, "audit checkpoint: %s", err);
	ag_node_anchor_tick(n);
}

void
ag_node_auth_free(struct ag_node *n)
{
	char	actor[64];

	if (n->audit != NULL) {
		(void)snprintf(actor, sizeof actor, "node:%s",
		    n->trust.node_id);
		(void)ag_node_audit(n, actor, "config", "agent", 1, "stopped");
	}
	ag_auditlog_close(n->audit, unix_now());
	n->audit = NULL;
	ag_node_anchor_free(n);
	if (n->sighup != NULL)
		event_free(n->sighup);
	n->sighup = NULL;
	ag_auth_free(&n->auth);
	signing_key_free(n);
}
