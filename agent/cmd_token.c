/*
 * cmd_token.c - `exogpu token`: tenant access tokens.
 *
 *   exogpu token keygen --out DIR [--force]
 *       DIR/token.key (0600, the signing key) and DIR/token.pub (the
 *       public key every agent is given to verify tokens).
 *   exogpu token issue --key FILE --sub TENANT --scope LIST --ttl DUR
 *       [--devices SEL,...] [--max-devices N] [--max-memory BYTES]
 *       [--aud CLUSTER] [--iss NAME] [--out FILE]
 *       prints the token text (or writes it to FILE, mode 0600).
 *       Without --key the agent signs it (POST /v1/tokens) under the
 *       caller's token:issue token (--token), never wider than that.
 *   exogpu token inspect FILE [--key PUB] [--json]
 *       shows the claims and the verdict; exits 0 only for a token that
 *       verifies with --key and is valid now.
 *   exogpu token revoke ID|FILE [--expires UNIX] [--api ADDR] [--token F]
 *       asks the agent (admin scope) to revoke a token; the cluster
 *       gossips and persists the revocation until the token expires.
 *
 * The token format and checks are security/sec_token.c's; this file only
 * parses the command line and moves bytes to and from files.  See
 * docs/tokens.md.
 */
#include "ag_cmd.h"
#include "ag_snapshot.h"
#include "ag_fileio.h"
#include "ag_httpc.h"
#include "ag_revoke.h"
#include "ag_log.h"

#include "sec_pem.h"
#include "sec_token.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TOKEN_SKEW	60		/* seconds of clock slack in inspect */
#define TOKEN_TTL_MAX	(366LL * 86400)	/* longest --ttl */
#define TOKEN_FILE_MAX	(SEC_TOKEN_TEXT_MAX + 64)

static int	token_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_token = {
	"token",
	"keygen --out DIR [--force]\n"
	"       exogpu token issue --key FILE --sub TENANT --scope LIST "
	"--ttl DURATION\n"
	"           [--devices SEL,...] [--max-devices N] [--max-memory BYTES]"
	"\n           [--aud CLUSTER] [--iss NAME] [--out FILE]\n"
	"       exogpu token issue --token FILE [--api ADDR:PORT] --sub TENANT "
	"...\n"
	"       exogpu token inspect FILE [--key PUB] [--json]\n"
	"       exogpu token revoke ID|FILE [--expires UNIX] [--api ADDR:PORT]\n"
	"           [--token FILE] [--json]",
	"Create token signing keys, issue and inspect tenant access tokens",
	"  keygen              write DIR/token.key (0600) and DIR/token.pub\n"
	"    --out DIR         where to write them\n"
	"    --force           replace existing files\n"
	"  issue               sign a token with --key; prints it\n"
	"    --key FILE        the signing key (token.key); without it the\n"
	"                      agent signs (--api, --token: a token:issue\n"
	"                      token; never wider than that token)\n"
	"    --sub TENANT      the tenant the token is for\n"
	"    --scope LIST      comma list of place, read, admin, token:issue\n"
	"    --ttl DURATION    lifetime: N, Ns, Nm, Nh or Nd (at most 366d)\n"
	"    --devices LIST    comma list of device selectors: NODEID or\n"
	"                      NODEID/DEVICEID\n"
	"    --max-devices N   most devices the tenant may hold\n"
	"    --max-memory B    most GPU memory in bytes\n"
	"    --aud CLUSTER     the cluster id the token is valid for\n"
	"    --iss NAME        issuer name\n"
	"    --out FILE        write the token to FILE (mode 0600)\n"
	"  inspect FILE        show a token's claims and verdict ('-' = stdin)\n"
	"    --key PUB         verify with this public key (token.pub)\n"
	"    --json            {\"valid\": ..., \"reason\": ..., \"claims\": ...}\n"
	"  revoke ID|FILE      revoke a token everywhere (through the agent)\n"
	"                      by id (cti, 32 hex digits) or token file\n"
	"    --expires UNIX    keep the revocation until then (default: the\n"
	"                      token's exp from FILE, else 367 days)\n"
	"    --api ADDR:PORT   the agent's API (default: $EXOGPU_API or "
	AG_API_DEFAULT_ADDR ";\n"
	"                      https://ADDR:PORT when it serves TLS)\n"
	"    --api-ca FILE     check an https:// agent against FILE (its\n"
	"                      certificate or CA; default: $EXOGPU_API_CA)\n"
	"    --token FILE      your admin token (default: $EXOGPU_TOKEN)\n"
	"    --json            print the agent's JSON answer\n"
	"  -h, --help          show this help\n",
	token_exec,
};

struct token_opts {
	const char	*out, *key, *sub, *scope, *ttl, *devices;
	const char	*max_devices, *max_memory, *aud, *iss;
	const char	*api, *token, *expires;
	int		 force, json;
};

/* ---- keygen ---- */

static int
join(char *out, size_t size, const char *dir, const char *name)
{
	int	n = snprintf(out, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int
token_keygen(const struct ag_cmd *cmd, const struct token_opts *o)
{
	struct sec_pem	key = { NULL, 0 }, pub = { NULL, 0 };
	char		kpath[PATH_MAX], ppath[PATH_MAX], err[256];
	struct stat	st;
	int		rc = AG_EXIT_RUNTIME;

	if (join(kpath, sizeof kpath, o->out, "token.key") < 0 ||
	    join(ppath, sizeof ppath, o->out, "token.pub") < 0)
		return ag_usage_error(cmd, "--out path too long");
	if (!o->force && (lstat(kpath, &st) == 0 || errno != ENOENT)) {
		ag_log(AG_LOG_ERR, "%s exists; --force replaces it (every "
		    "token it signed stops verifying)", kpath);
		return AG_EXIT_RUNTIME;
	}
	if (ag_mkdir_p(o->out, 0700, err, sizeof err) < 0 ||
	    sec_token_keygen(&key, &pub, err, sizeof err) < 0 ||
	    ag_write_atomic(kpath, key.data, key.len, 0600, err,
	    sizeof err) < 0 ||
	    ag_write_atomic(ppath, pub.data, pub.len, 0644, err,
	    sizeof err) < 0)
		ag_log(AG_LOG_ERR, "%s", err);
	else {
		(void)printf("wrote %s (signing key, mode 0600) and %s "
		    "(give this one to every agent)\n", kpath, ppath);
		rc = AG_EXIT_OK;
	}
	sec_pem_clear(&key);
	sec_pem_clear(&pub);
	return rc;
}

/* ---- issue ---- */

static int
parse_u64(const char *s, uint64_t *v)
{
	char			*end;
	unsigned long long	 n;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = n;
	return 0;
}

/* "3600", "3600s", "30m", "12h", "7d" -> seconds, 1..TOKEN_TTL_MAX. */
static int
parse_ttl(const char *s, int64_t *secs)
{
	char		 num[32], *end;
	size_t		 n = strlen(s);
	long long	 v, mul = 1;

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'd':
		mul *= 24;
		/* FALLTHROUGH */
	case 'h':
		mul *= 60;
		/* FALLTHROUGH */
	case 'm':
		mul *= 60;
		/* FALLTHROUGH */
	case 's':
		num[--n] = '\0';
		break;
	default:
		break;
	}
	if (n == 0 || num[0] < '0' || num[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(num, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > TOKEN_TTL_MAX / mul)
		return -1;
	*secs = v * mul;
	return 0;
}

static int
set_str(char *dst, const char *src)
{
	size_t	n = strlen(src);

	if (n == 0 || n >= SEC_TOKEN_STR_SIZE)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Splits a comma list; calls fn for each element.  -1 on an empty one. */
static int
each_item(const char *list, int (*fn)(const char *, size_t, void *),
    void *arg)
{
	const char	*p = list, *c;

	for (;;) {
		c = strchr(p, ',');
		if (fn(p, c != NULL ? (size_t)(c - p) : strlen(p), arg) < 0)
			return -1;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

static int
add_scope(const char *p, size_t n, void *arg)
{
	struct sec_token_claims	*c = arg;
	unsigned		 bit = sec_token_scope_bit(p, n);

	if (bit == 0)
		return -1;
	c->scopes |= bit;
	return 0;
}

static int
add_device(const char *p, size_t n, void *arg)
{
	struct sec_token_claims	*c = arg;

	if (n == 0 || n >= SEC_TOKEN_STR_SIZE ||
	    c->ndevices == SEC_TOKEN_MAX_DEVICES)
		return -1;
	memcpy(c->devices[c->ndevices], p, n);
	c->devices[c->ndevices][n] = '\0';
	if (!ag_snapshot_selector_ok(c->devices[c->ndevices]))
		return -1;
	c->ndevices++;
	return 0;
}

/* Writes the token text to --out (0600) or stdout. */
static int
emit_token(const struct token_opts *o, char *text, size_t size)
{
	char	err[256];
	size_t	n = strlen(text);

	if (o->out == NULL) {
		(void)printf("%s\n", text);
		return AG_EXIT_OK;
	}
	if (n + 1 < size) {
		text[n++] = '\n';
		text[n] = '\0';
	}
	if (ag_write_atomic(o->out, text, n, 0600, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	return AG_EXIT_OK;
}

static json_t *
remote_request(const struct sec_token_claims *c, int64_t now)
{
	json_t	*j, *sc = json_array(), *dv = NULL;
	size_t	 i;
	unsigned bit;

	for (bit = 1; sc != NULL && bit <= SEC_TOKEN_SCOPE_ALL; bit <<= 1)
		if ((c->scopes & bit) && json_array_append_new(sc,
		    json_string(sec_token_scope_name(bit))) != 0)
			break;
	if (c->ndevices > 0 && (dv = json_array()) != NULL)
		for (i = 0; i < c->ndevices; i++)
			if (json_array_append_new(dv,
			    json_string(c->devices[i])) != 0)
				break;
	j = json_pack("{s:s, s:o, s:I}", "sub", c->sub, "scopes", sc, "ttl_s",
	    (json_int_t)(c->exp - now));
	if (j != NULL && dv != NULL)
		(void)json_object_set_new(j, "devices", dv);
	else
		json_decref(dv);
	if (j != NULL && c->has_max_devices)
		(void)json_object_set_new(j, "max_devices",
		    json_integer((json_int_t)c->max_devices));
	if (j != NULL && c->has_max_memory)
		(void)json_object_set_new(j, "max_memory_bytes",
		    json_integer((json_int_t)c->max_memory_bytes));
	return j;
}

/* Without --key: the agent signs, under the caller's token:issue token. */
static int
issue_remote(const struct token_opts *o, const struct sec_token_claims *c,
    int64_t now)
{
	struct ag_http_response	 r;
	json_t			*req, *j = NULL;
	char			 err[512], *body = NULL, *token = NULL;
	char			 text[SEC_TOKEN_TEXT_MAX + 2];
	int			 rc = AG_EXIT_RUNTIME;

	if (ag_http_load_token(o->token, &token, err, sizeof err) != 0 ||
	    token == NULL) {
		ag_log(AG_LOG_ERR, "%s", token == NULL && err[0] == '\0' ?
		    "token issue: give --key FILE to sign here, or --token "
		    "FILE (a token:issue token) to have the agent sign" : err);
		return AG_EXIT_USAGE;
	}
	if ((req = remote_request(c, now)) == NULL ||
	    (body = json_dumps(req, 0)) == NULL ||
	    ag_http_request(ag_http_api_addr(o->api), "POST", "/v1/tokens",
	    body, token, &r, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", body == NULL ? "out of memory" : err);
		goto out;
	}
	j = json_loadb(r.body, r.body_len, 0, NULL);
	if (r.status != 201 || !json_is_string(json_object_get(j, "token")))
		ag_log(AG_LOG_ERR, "the agent answered %d: %s", r.status,
		    j != NULL && json_is_string(json_object_get(j, "message")) ?
		    json_string_value(json_object_get(j, "message")) :
		    "(no token)");
	else {
		(void)snprintf(text, sizeof text, "%s",
		    json_string_value(json_object_get(j, "token")));
		rc = emit_token(o, text, sizeof text);
	}
	ag_http_response_free(&r);
out:
	json_decref(j);
	json_decref(req);
	free(body);
	free(token);
	return rc;
}

static int
issue_claims(const struct ag_cmd *cmd, const struct token_opts *o,
    struct sec_token_claims *c, int64_t now)
{
	int64_t	ttl;

	memset(c, 0, sizeof *c);
	if (o->sub == NULL || o->scope == NULL || o->ttl == NULL)
		return ag_usage_error(cmd, "token issue needs --sub, --scope "
		    "and --ttl (and --key, or an agent that issues: --token)");
	if (set_str(c->sub, o->sub) < 0)
		return ag_usage_error(cmd, "--sub: 1-%d characters",
		    SEC_TOKEN_STR_SIZE - 1);
	if ((o->aud != NULL && set_str(c->aud, o->aud) < 0) ||
	    (o->iss != NULL && set_str(c->iss, o->iss) < 0))
		return ag_usage_error(cmd, "--aud/--iss: 1-%d characters",
		    SEC_TOKEN_STR_SIZE - 1);
	if (each_item(o->scope, add_scope, c) < 0)
		return ag_usage_error(cmd, "--scope: a comma list of place, "
		    "read, admin, token:issue");
	if (o->devices != NULL && each_item(o->devices, add_device, c) < 0)
		return ag_usage_error(cmd, "--devices: at most %d selectors, "
		    "each a node id or NODEID/DEVICEID (`exogpu members` "
		    "shows node ids)", SEC_TOKEN_MAX_DEVICES);
	if (parse_ttl(o->ttl, &ttl) < 0)
		return ag_usage_error(cmd, "--ttl: N[s|m|h|d], positive, at "
		    "most 366d");
	c->exp = now + ttl;
	if (o->max_devices != NULL) {
		if (parse_u64(o->max_devices, &c->max_devices) < 0)
			return ag_usage_error(cmd, "--max-devices: a number");
		c->has_max_devices = true;
	}
	if (o->max_memory != NULL) {
		if (parse_u64(o->max_memory, &c->max_memory_bytes) < 0)
			return ag_usage_error(cmd, "--max-memory: bytes");
		c->has_max_memory = true;
	}
	return 0;
}

static int
token_issue(const struct ag_cmd *cmd, const struct token_opts *o)
{
	struct sec_token_claims	 c;
	char			*key = NULL, err[256];
	char			 text[SEC_TOKEN_TEXT_MAX + 2];
	uint8_t			*tok = NULL;
	size_t			 keylen, toklen;
	int64_t			 now = (int64_t)time(NULL);
	int			 rc = AG_EXIT_RUNTIME;

	if (issue_claims(cmd, o, &c, now) != 0)
		return AG_EXIT_USAGE;
	if (o->key == NULL)
		return issue_remote(o, &c, now);
	if (ag_read_file(o->key, SEC_PEM_MAX, &key, &keylen, NULL, err,
	    sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	if (sec_token_issue(key, keylen, &c, now, &tok, &toklen, err,
	    sizeof err) < 0 ||
	    sec_token_encode_text(tok, toklen, text, sizeof text) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		goto out;
	}
	rc = emit_token(o, text, sizeof text);
out:
	if (key != NULL) {
		memset(key, 0, keylen);
		free(key);
	}
	free(tok);
	return rc;
}

/* ---- inspect ---- */

static json_t *
claims_json(const struct sec_token_claims *c)
{
	json_t		*o = json_object(), *a;
	char		 hex[2 * SEC_TOKEN_CTI_LEN + 1];
	unsigned	 bit;
	size_t		 i;

	if (o == NULL)
		return NULL;
	if (c->iss[0] != '\0')
		(void)json_object_set_new(o, "iss", json_string(c->iss));
	(void)json_object_set_new(o, "sub", json_string(c->sub));
	if (c->aud[0] != '\0')
		(void)json_object_set_new(o, "aud", json_string(c->aud));
	(void)json_object_set_new(o, "exp", json_integer(c->exp));
	if (c->has_nbf)
		(void)json_object_set_new(o, "nbf", json_integer(c->nbf));
	if (c->has_iat)
		(void)json_object_set_new(o, "iat", json_integer(c->iat));
	ag_revoke_id_hex(c->cti, hex);
	(void)json_object_set_new(o, "cti", json_string(hex));
	a = json_array();
	for (bit = 1; bit <= SEC_TOKEN_SCOPE_ALL; bit <<= 1)
		if (c->scopes & bit)
			(void)json_array_append_new(a,
			    json_string(sec_token_scope_name(bit)));
	(void)json_object_set_new(o, "scopes", a);
	a = json_array();
	for (i = 0; i < c->ndevices; i++)
		(void)json_array_append_new(a, json_string(c->devices[i]));
	(void)json_object_set_new(o, "devices", a);
	if (c->has_max_devices)
		(void)json_object_set_new(o, "max_devices",
		    json_integer(c->max_devices > INT64_MAX ? INT64_MAX :
		    (json_int_t)c->max_devices));
	if (c->has_max_memory)
		(void)json_object_set_new(o, "max_memory_bytes",
		    json_integer(c->max_memory_bytes > INT64_MAX ?
		    INT64_MAX : (json_int_t)c->max_memory_bytes));
	return o;
}

static void
print_time(const char *label, int64_t t)
{
	char		buf[64];
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, sizeof buf, "?");
	(void)printf("%-12s %" PRId64 " (%s)\n", label, t, buf);
}

static void
print_claims(const struct sec_token_claims *c)
{
	unsigned	bit;
	size_t		i;
	char		hex[2 * SEC_TOKEN_CTI_LEN + 1];

	if (c->iss[0] != '\0')
		(void)printf("%-12s %s\n", "issuer", c->iss);
	(void)printf("%-12s %s\n", "tenant", c->sub);
	(void)printf("%-12s %s\n", "audience",
	    c->aud[0] != '\0' ? c->aud : "(any cluster)");
	if (c->has_iat)
		print_time("issued", c->iat);
	if (c->has_nbf)
		print_time("not before", c->nbf);
	print_time("expires", c->exp);
	ag_revoke_id_hex(c->cti, hex);
	(void)printf("%-12s %s\n%-12s", "token id", hex, "scopes");
	for (bit = 1; bit <= SEC_TOKEN_SCOPE_ALL; bit <<= 1)
		if (c->scopes & bit)
			(void)printf(" %s", sec_token_scope_name(bit));
	(void)printf("\n%-12s", "devices");
	if (c->ndevices == 0)
		(void)printf(" (any)");
	for (i = 0; i < c->ndevices; i++)
		(void)printf(" %s", c->devices[i]);
	(void)printf("\n");
	if (c->has_max_devices)
		(void)printf("%-12s %" PRIu64 "\n", "max devices",
		    c->max_devices);
	if (c->has_max_memory)
		(void)printf("%-12s %" PRIu64 " bytes\n", "max memory",
		    c->max_memory_bytes);
}

static int
read_input(const char *path, char **buf, size_t *len, char *err,
    size_t errlen)
{
	size_t	n;

	if (strcmp(path, "-") != 0)
		return ag_read_file(path, TOKEN_FILE_MAX, buf, len, NULL, err,
		    errlen);
	if ((*buf = malloc(TOKEN_FILE_MAX + 1)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = fread(*buf, 1, TOKEN_FILE_MAX + 1, stdin);
	if (ferror(stdin) || n > TOKEN_FILE_MAX) {
		(void)snprintf(err, errlen, "standard input: unreadable or "
		    "larger than %d bytes", TOKEN_FILE_MAX);
		free(*buf);
		*buf = NULL;
		return -1;
	}
	*len = n;
	return 0;
}

static int
token_inspect(const struct token_opts *o, const char *path)
{
	struct sec_token_claims	 c;
	struct sec_token_policy	 pol;
	enum sec_token_result	 res = SEC_TOKEN_MALFORMED;
	uint8_t			 tok[SEC_TOKEN_MAX_BYTES];
	char			*in = NULL, *pub = NULL, err[256], reason[300];
	size_t			 inlen, publen = 0;
	json_t			*j;
	int			 n, have_claims = 0;

	if (read_input(path, &in, &inlen, err, sizeof err) < 0 ||
	    (o->key != NULL && ag_read_file(o->key, SEC_PEM_MAX, &pub,
	    &publen, NULL, err, sizeof err) < 0)) {
		ag_log(AG_LOG_ERR, "%s", err);
		free(in);
		return AG_EXIT_RUNTIME;
	}
	memset(&c, 0, sizeof c);
	err[0] = '\0';
	n = sec_token_decode_text((const uint8_t *)in, inlen, tok,
	    sizeof tok);
	free(in);
	if (n < 0)
		(void)snprintf(err, sizeof err, "not base64url token text "
		    "or CBOR");
	else if (pub == NULL) {
		have_claims = sec_token_decode_unverified(tok, (size_t)n, &c,
		    err, sizeof err) == 0;
		if (have_claims)
			(void)snprintf(err, sizeof err, "not verified (no "
			    "--key)");
	} else {
		memset(&pol, 0, sizeof pol);
		pol.now = (int64_t)time(NULL);
		pol.skew = TOKEN_SKEW;
		res = sec_token_verify(tok, (size_t)n, pub, publen, &pol, &c,
		    err, sizeof err);
		have_claims = res >= SEC_TOKEN_NOT_YET_VALID;
	}
	free(pub);
	if (res == SEC_TOKEN_OK)
		reason[0] = '\0';
	else if (o->key == NULL && have_claims)
		(void)snprintf(reason, sizeof reason, "%s", err);
	else
		(void)snprintf(reason, sizeof reason, "%s: %s",
		    sec_token_result_name(res), err);
	if (o->json) {
		j = json_pack("{s:b, s:o, s:o}", "valid", res == SEC_TOKEN_OK,
		    "reason", res == SEC_TOKEN_OK ? json_null() :
		    json_string(reason), "claims", have_claims ?
		    claims_json(&c) : json_null());
		if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2) |
		    JSON_SORT_KEYS) < 0) {
			ag_log(AG_LOG_ERR, "cannot write JSON");
			json_decref(j);
			return AG_EXIT_RUNTIME;
		}
		(void)printf("\n");
		json_decref(j);
	} else {
		if (have_claims)
			print_claims(&c);
		(void)printf("%-12s %s\n", "verdict", res == SEC_TOKEN_OK ?
		    "valid" : reason);
	}
	return res == SEC_TOKEN_OK ? AG_EXIT_OK : AG_EXIT_RUNTIME;
}

/* ---- revoke ---- */

/* ID (32 hex) as it is, or a token file's cti and exp. */
static int
revoke_target(const char *arg, char *id, size_t idsize, int64_t *exp)
{
	struct sec_token_claims	 c;
	uint8_t			 tok[SEC_TOKEN_MAX_BYTES];
	char			*in = NULL, err[256];
	size_t			 len;
	int			 n;

	if (strlen(arg) == 32 && strspn(arg, "0123456789abcdefABCDEF") == 32) {
		(void)snprintf(id, idsize, "%s", arg);
		return 0;
	}
	if (read_input(arg, &in, &len, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s is neither a token id (32 hex digits) "
		    "nor a readable token file: %s", arg, err);
		return -1;
	}
	n = sec_token_decode_text((const uint8_t *)in, len, tok, sizeof tok);
	free(in);
	if (n < 0 || sec_token_decode_unverified(tok, (size_t)n, &c, err,
	    sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s: not a token", arg);
		return -1;
	}
	ag_revoke_id_hex(c.cti, id);
	*exp = c.exp;
	return 0;
}

static int
token_revoke(const struct ag_cmd *cmd, const struct token_opts *o,
    const char *arg)
{
	struct ag_http_response	 r;
	json_t			*req, *j;
	int64_t			 exp = 0, file_exp = 0;
	char			 id[2 * SEC_TOKEN_CTI_LEN + 1], err[512], *end;
	char			*body = NULL, *token = NULL;
	int			 rc = AG_EXIT_RUNTIME;

	if (o->expires != NULL) {
		errno = 0;
		exp = strtoll(o->expires, &end, 10);
		if (errno != 0 || *end != '\0' || exp <= 0)
			return ag_usage_error(cmd, "--expires: unix seconds");
	}
	if (revoke_target(arg, id, sizeof id, &file_exp) != 0)
		return AG_EXIT_USAGE;
	if (o->expires == NULL)
		exp = file_exp;		/* 0 for a bare id: the agent's default */
	if (ag_http_load_token(o->token, &token, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_USAGE;
	}
	req = exp > 0 ? json_pack("{s:s, s:I}", "id", id, "expires",
	    (json_int_t)exp) : json_pack("{s:s}", "id", id);
	if (req == NULL || (body = json_dumps(req, 0)) == NULL ||
	    ag_http_request(ag_http_api_addr(o->api), "POST",
	    "/v1/tokens/revoke", body, token, &r, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", body == NULL ? "out of memory" : err);
		goto out;
	}
	if (o->json)
		(void)fwrite(r.body, 1, r.body_len, stdout);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	if (r.status != 200)
		ag_log(AG_LOG_ERR, "the agent answered %d: %s", r.status,
		    j != NULL ? json_string_value(json_object_get(j,
		    "message")) : "(no JSON)");
	else {
		if (!o->json)
			(void)printf("revoked %s until %lld\n", id,
			    (long long)json_integer_value(json_object_get(j,
			    "expires")));
		rc = AG_EXIT_OK;
	}
	json_decref(j);
	ag_http_response_free(&r);
out:
	json_decref(req);
	free(body);
	free(token);
	return rc;
}

/* ---- dispatch ---- */

static int
token_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out",	 required_argument,	NULL, 'o' },
		{ "force",	 no_argument,		NULL, 'f' },
		{ "key",	 required_argument,	NULL, 'k' },
		{ "sub",	 required_argument,	NULL, 's' },
		{ "scope",	 required_argument,	NULL, 'S' },
		{ "ttl",	 required_argument,	NULL, 't' },
		{ "devices",	 required_argument,	NULL, 'd' },
		{ "max-devices", required_argument,	NULL, 'D' },
		{ "max-memory",	 required_argument,	NULL, 'M' },
		{ "aud",	 required_argument,	NULL, 'a' },
		{ "iss",	 required_argument,	NULL, 'i' },
		{ "json",	 no_argument,		NULL, 'j' },
		{ "api",	 required_argument,	NULL, 'A' },
		{ "api-ca",	 required_argument,	NULL, 'C' },
		{ "token",	 required_argument,	NULL, 'T' },
		{ "expires",	 required_argument,	NULL, 'E' },
		{ "help",	 no_argument,		NULL, 'h' },
		{ NULL,		 0,			NULL, 0 }
	};
	struct token_opts	 o;
	const char		*sub;
	static const char *const subs[] = { "keygen", "issue", "inspect",
				    "revoke", NULL };
	int			 ch, issue_only, keygen_only, rc;

	memset(&o, 0, sizeof o);
	if ((rc = ag_subcommand(cmd, &argc, &argv, subs, &sub)) >= 0)
		return rc;
	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'o': o.out = optarg; break;
		case 'f': o.force = 1; break;
		case 'k': o.key = optarg; break;
		case 's': o.sub = optarg; break;
		case 'S': o.scope = optarg; break;
		case 't': o.ttl = optarg; break;
		case 'd': o.devices = optarg; break;
		case 'D': o.max_devices = optarg; break;
		case 'M': o.max_memory = optarg; break;
		case 'a': o.aud = optarg; break;
		case 'i': o.iss = optarg; break;
		case 'j': o.json = 1; break;
		case 'A': o.api = optarg; break;
		case 'C': ag_http_set_ca(optarg); break;
		case 'T': o.token = optarg; break;
		case 'E': o.expires = optarg; break;
		default:
			return ag_opt_exit(ch);
		}
	}
	issue_only = o.sub != NULL || o.scope != NULL || o.ttl != NULL ||
	    o.devices != NULL || o.max_devices != NULL ||
	    o.max_memory != NULL || o.aud != NULL || o.iss != NULL;
	keygen_only = o.force;
	if (strcmp(sub, "revoke") == 0) {
		if (optind + 1 != argc)
			return ag_usage_error(cmd, "token revoke wants one ID "
			    "or FILE");
		if (issue_only || keygen_only || o.out != NULL || o.key != NULL)
			return ag_usage_error(cmd, "token revoke takes "
			    "[--expires UNIX] [--api ADDR:PORT] [--token FILE] "
			    "[--json]");
		return token_revoke(cmd, &o, argv[optind]);
	}
	if (o.expires != NULL || ((o.api != NULL || o.token != NULL) &&
	    (strcmp(sub, "issue") != 0 || o.key != NULL)))
		return ag_usage_error(cmd, "--api and --token are for token "
		    "revoke and for token issue without --key; --expires is "
		    "for token revoke");
	if (strcmp(sub, "issue") == 0 && o.key == NULL && (o.aud != NULL ||
	    o.iss != NULL))
		return ag_usage_error(cmd, "--aud and --iss are set by the "
		    "agent when it issues");
	if (strcmp(sub, "inspect") == 0) {
		if (optind + 1 != argc)
			return ag_usage_error(cmd, "token inspect wants one "
			    "FILE");
		if (issue_only || keygen_only || o.out != NULL)
			return ag_usage_error(cmd, "token inspect takes "
			    "[--key PUB] [--json]");
		return token_inspect(&o, argv[optind]);
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if (o.json)
		return ag_usage_error(cmd, "--json is for token inspect");
	if (strcmp(sub, "keygen") == 0) {
		if (o.out == NULL || o.key != NULL || issue_only)
			return ag_usage_error(cmd, "token keygen takes --out "
			    "DIR [--force]");
		return token_keygen(cmd, &o);
	}
	if (keygen_only)
		return ag_usage_error(cmd, "--force is for token keygen");
	return token_issue(cmd, &o);
}
