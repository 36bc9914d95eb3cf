/*
 * cmd_cert.c - `exogpu cert`: the cluster CA for CA-mode deployments.
 *
 *   exogpu cert init  --dir DIR [--days N] [--force]
 *       DIR/ca.key (0600) and DIR/ca.pem: a new cluster CA.
 *   exogpu cert issue --ca DIR --name NAME --out DIR [--days N]
 *       OUT/node.key (0600, kept if present so the node id survives a
 *       renewal), OUT/node.pem (the node certificate) and OUT/ca.pem (the
 *       anchor): a complete trust directory to copy onto the node.
 *   exogpu cert id FILE
 *       the node id of a key or certificate file.
 *   exogpu cert revoke NODE [--note TEXT] [--api ADDR] [--token FILE]
 *   exogpu cert allow NODE [--api ADDR] [--token FILE]
 *   exogpu cert denied [--api ADDR] [--token FILE] [--json]
 *       the cluster's deny list of node ids, through the local agent
 *       (POST /v1/nodes/deny, /v1/nodes/allow: admin scope; GET
 *       /v1/nodes/denied: read); NODE is a node id or a key or
 *       certificate file.
 *
 * The certificate work is security/sec_ca.c's; this file only moves bytes
 * between it and the disk, through ag_fileio so every write is atomic.
 * docs/trust.md and certs/README.md describe the layout.
 */
#include "ag_cmd.h"
#include "ag_fileio.h"
#include "ag_httpc.h"
#include "ag_log.h"

#include "sec_ca.h"
#include "sec_identity.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static int	cert_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_cert = {
	"cert",
	"init --dir DIR [--days N] [--force]\n"
	"       exogpu cert issue --ca DIR --name NAME --out DIR [--days N]\n"
	"       exogpu cert id FILE\n"
	"       exogpu cert revoke NODE [--note TEXT] [--api ADDR:PORT] "
	"[--token FILE]\n"
	"       exogpu cert allow NODE [--api ADDR:PORT] [--token FILE]\n"
	"       exogpu cert denied [--api ADDR:PORT] [--token FILE] [--json]",
	"Create a cluster CA and issue node certificates (CA mode)",
	"  init              create DIR/ca.key (mode 0600) and DIR/ca.pem\n"
	"    --dir DIR       where to put the CA (e.g. /etc/exogpu/ca)\n"
	"    --days N        CA validity in days (default 3650)\n"
	"    --force         replace an existing CA (every node certificate\n"
	"                    it issued stops being trusted)\n"
	"  issue             sign a node certificate with the CA in --ca\n"
	"    --ca DIR        directory holding ca.key and ca.pem\n"
	"    --name NAME     the node's DNS name (certificate SAN)\n"
	"    --out DIR       writes node.key (0600; an existing one is kept,\n"
	"                    so the node id stays), node.pem and ca.pem\n"
	"    --days N        certificate validity in days (default 365)\n"
	"  id FILE           print the node id of a key or certificate\n"
	"  revoke NODE       deny a node cluster-wide (committed through the\n"
	"                    log): every member closes its connections and\n"
	"                    refuses it at the handshake; NODE is a node id\n"
	"                    or its key or certificate file\n"
	"    --note TEXT     why (kept with the entry, at most 512 bytes)\n"
	"  allow NODE        take a node off the deny list\n"
	"  denied            list the denied nodes\n"
	"    --api ADDR:PORT the agent's API (default $EXOGPU_API or\n"
	"                    127.0.0.1:47471; https://ADDR:PORT for TLS)\n"
	"    --api-ca FILE   check an https:// agent against FILE (its\n"
	"                    certificate or CA; default $EXOGPU_API_CA)\n"
	"    --token FILE    bearer token (default $EXOGPU_TOKEN); revoke and\n"
	"                    allow need the admin scope, denied read\n"
	"    --json          print the agent's answer as it came\n"
	"  -h, --help        show this help\n",
	cert_exec,
};

#define CERT_PATH_MAX	PATH_MAX

static int
join(char *out, const char *dir, const char *name)
{
	int	n;

	n = snprintf(out, CERT_PATH_MAX, "%s/%s", dir, name);
	if (n < 0 || n >= CERT_PATH_MAX) {
		ag_log(AG_LOG_ERR, "path too long: %s/%s", dir, name);
		return -1;
	}
	return 0;
}

static int
exists(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

static int
parse_days(const struct ag_cmd *cmd, const char *s, unsigned *days)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > SEC_DAYS_MAX) {
		(void)ag_usage_error(cmd, "--days wants 1..%d, not '%s'",
		    SEC_DAYS_MAX, s);
		return -1;
	}
	*days = (unsigned)v;
	return 0;
}

static int
write_file(const char *path, const struct sec_pem *p, mode_t mode)
{
	char	err[256];

	if (ag_write_atomic(path, p->data, p->len, mode, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return -1;
	}
	return 0;
}

/* Reads a PEM file into a sec_pem (bounded by SEC_PEM_MAX). */
static int
read_pem(const char *path, struct sec_pem *p)
{
	char	err[256], *buf;
	size_t	len;

	if (ag_read_file(path, SEC_PEM_MAX, &buf, &len, NULL, err,
	    sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return -1;
	}
	p->data = buf;
	p->len = len;
	return 0;
}

static void
print_expiry(const char *what, time_t t)
{
	struct tm	tm;
	char		buf[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%d", &tm) == 0)
		(void)snprintf(buf, sizeof buf, "?");
	(void)printf("%s valid until %s UTC\n", what, buf);
}

static int
cert_init(const struct ag_cmd *cmd, const char *dir, unsigned days,
    int force)
{
	struct sec_pem	 key = { NULL, 0 }, crt = { NULL, 0 };
	struct sec_ca	*ca = NULL;
	char		 kpath[CERT_PATH_MAX], cpath[CERT_PATH_MAX], err[256];
	time_t		 now = time(NULL);
	int		 rc = AG_EXIT_RUNTIME;

	if (join(kpath, dir, "ca.key") < 0 || join(cpath, dir, "ca.pem") < 0)
		return AG_EXIT_USAGE;
	if (!force && (exists(kpath) || exists(cpath))) {
		ag_log(AG_LOG_ERR, "%s already holds a CA; --force replaces it "
		    "(and every node certificate it issued stops being "
		    "trusted)", dir);
		return AG_EXIT_RUNTIME;
	}
	if (ag_mkdir_p(dir, 0700, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	if (sec_ca_create(now, days, &key, &crt, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "cannot create CA: %s", err);
		goto out;
	}
	/* Self-check what is about to be written. */
	if ((ca = sec_ca_load(key.data, key.len, crt.data, crt.len, err,
	    sizeof err)) == NULL) {
		ag_log(AG_LOG_ERR, "new CA does not load: %s", err);
		goto out;
	}
	if (write_file(kpath, &key, 0600) < 0 ||
	    write_file(cpath, &crt, 0644) < 0)
		goto out;
	(void)printf("wrote %s (CA private key: keep it here, mode 0600)\n",
	    kpath);
	(void)printf("wrote %s (%s; copy it to every node)\n", cpath,
	    sec_ca_subject(ca));
	print_expiry("CA", now + (time_t)days * 86400);
	rc = AG_EXIT_OK;
out:
	sec_ca_free(ca);
	sec_pem_clear(&key);
	sec_pem_clear(&crt);
	return rc;
}

/* OUT/node.key: the existing one, or a new one written now. */
static int
node_key(const char *path, struct sec_pem *key)
{
	char	err[256];

	if (exists(path)) {
		if (read_pem(path, key) < 0)
			return -1;
		(void)printf("kept %s (existing node key)\n", path);
		return 0;
	}
	if (sec_identity_generate_key(key, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "cannot generate key: %s", err);
		return -1;
	}
	if (write_file(path, key, 0600) < 0)
		return -1;
	(void)printf("wrote %s (node private key, mode 0600)\n", path);
	return 0;
}

static int
cert_issue(const struct ag_cmd *cmd, const char *cadir, const char *name,
    const char *out, unsigned days)
{
	struct sec_pem	 cakey = { NULL, 0 }, cacrt = { NULL, 0 };
	struct sec_pem	 key = { NULL, 0 }, crt = { NULL, 0 };
	struct sec_ca	*ca = NULL;
	char		 p[CERT_PATH_MAX], err[256], id[SEC_NODE_ID_SIZE];
	time_t		 now = time(NULL);
	int		 rc = AG_EXIT_RUNTIME;

	if (!sec_name_valid(name))
		return ag_usage_error(cmd, "--name '%s' is not a DNS name "
		    "(letters, digits, '-', dots)", name);
	if (join(p, cadir, "ca.key") < 0 || read_pem(p, &cakey) < 0 ||
	    join(p, cadir, "ca.pem") < 0 || read_pem(p, &cacrt) < 0)
		goto out;
	if ((ca = sec_ca_load(cakey.data, cakey.len, cacrt.data, cacrt.len,
	    err, sizeof err)) == NULL) {
		ag_log(AG_LOG_ERR, "CA in %s: %s", cadir, err);
		goto out;
	}
	if (ag_mkdir_p(out, 0700, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		goto out;
	}
	if (join(p, out, "node.key") < 0 || node_key(p, &key) < 0)
		goto out;
	if (sec_ca_issue(ca, key.data, key.len, name, now - SEC_CLOCK_SKEW,
	    now + (time_t)days * 86400, &crt, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "cannot issue certificate: %s", err);
		goto out;
	}
	if (sec_identity_cert_node_id(crt.data, crt.len, id, err,
	    sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		goto out;
	}
	if (join(p, out, "node.pem") < 0 || write_file(p, &crt, 0644) < 0)
		goto out;
	(void)printf("wrote %s (node %s, name %s)\n", p, id, name);
	if (join(p, out, "ca.pem") < 0 || write_file(p, &cacrt, 0644) < 0)
		goto out;
	(void)printf("wrote %s (trust anchor, %s)\n", p, sec_ca_subject(ca));
	print_expiry("node certificate", now + (time_t)days * 86400);
	rc = AG_EXIT_OK;
out:
	sec_ca_free(ca);
	sec_pem_clear(&cakey);
	sec_pem_clear(&cacrt);
	sec_pem_clear(&key);
	sec_pem_clear(&crt);
	return rc;
}

/* The node id of a key or certificate file; AG_EXIT_*. */
static int
file_node_id(const char *path, char *id)
{
	struct sec_pem	p = { NULL, 0 };
	char		err[256], kerr[256];
	int		rc;

	if (read_pem(path, &p) < 0)
		return AG_EXIT_RUNTIME;
	/* A key file or a certificate file: try both, report both. */
	rc = sec_identity_cert_node_id(p.data, p.len, id, err, sizeof err);
	if (rc < 0)
		rc = sec_identity_key_node_id(p.data, p.len, id, kerr,
		    sizeof kerr);
	sec_pem_clear(&p);
	if (rc < 0) {
		ag_log(AG_LOG_ERR, "%s: neither an Ed25519 certificate (%s) "
		    "nor key (%s)", path, err, kerr);
		return AG_EXIT_USAGE;
	}
	return AG_EXIT_OK;
}

static int
cert_id(const char *path)
{
	char	id[SEC_NODE_ID_SIZE];
	int	rc;

	if ((rc = file_node_id(path, id)) != AG_EXIT_OK)
		return rc;
	(void)printf("%s\n", id);
	return AG_EXIT_OK;
}

/* ---- the deny list (through the agent) ---- */

struct deny_opts {
	const char	*note, *api, *token;
	int		 json;
};

/* NODE: a node id as it is, else a key or certificate file's. */
static int
deny_target(const char *arg, char *id)
{
	if (sec_node_id_valid(arg)) {
		(void)snprintf(id, SEC_NODE_ID_SIZE, "%s", arg);
		return AG_EXIT_OK;
	}
	if (!exists(arg)) {
		ag_log(AG_LOG_ERR, "%s is neither a node id (26 characters) "
		    "nor a key or certificate file", arg);
		return AG_EXIT_USAGE;
	}
	return file_node_id(arg, id);
}

/* One call to the agent; *j gets the JSON answer of a 200. */
static int
deny_call(const struct deny_opts *o, const char *method, const char *path,
    json_t *req, json_t **j)
{
	struct ag_http_response	 r;
	char			 err[512], *body = NULL, *token = NULL;
	int			 rc = AG_EXIT_RUNTIME;
	json_t			*ans;

	*j = NULL;
	if (ag_http_load_token(o->token, &token, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		json_decref(req);
		return AG_EXIT_USAGE;
	}
	if ((req != NULL && (body = json_dumps(req, JSON_COMPACT)) == NULL) ||
	    ag_http_request(ag_http_api_addr(o->api), method, path, body,
	    token, &r, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", req != NULL && body == NULL ?
		    "out of memory" : err);
		goto out;
	}
	if (o->json) {
		(void)fwrite(r.body, 1, r.body_len, stdout);
		(void)printf("\n");
	}
	ans = json_loadb(r.body, r.body_len, 0, NULL);
	if (r.status != 200) {
		ag_log(AG_LOG_ERR, "the agent answered %d: %s", r.status,
		    ans != NULL && json_is_string(json_object_get(ans,
		    "message")) ? json_string_value(json_object_get(ans,
		    "message")) : "(no JSON)");
		json_decref(ans);
	} else if (ans == NULL)
		ag_log(AG_LOG_ERR, "the agent's answer is not JSON");
	else {
		*j = ans;
		rc = AG_EXIT_OK;
	}
	ag_http_response_free(&r);
out:
	json_decref(req);
	free(body);
	free(token);
	return rc;
}

static int
cert_deny(const struct deny_opts *o, const char *arg, int deny)
{
	char	 id[SEC_NODE_ID_SIZE];
	json_t	*req, *j;
	int	 rc;

	if ((rc = deny_target(arg, id)) != AG_EXIT_OK)
		return rc;
	req = deny && o->note != NULL ? json_pack("{s:s, s:s}", "node", id,
	    "note", o->note) : json_pack("{s:s}", "node", id);
	if (req == NULL) {
		ag_log(AG_LOG_ERR, "out of memory (or --note is not UTF-8)");
		return AG_EXIT_USAGE;
	}
	if ((rc = deny_call(o, "POST", deny ? "/v1/nodes/deny" :
	    "/v1/nodes/allow", req, &j)) != AG_EXIT_OK)
		return rc;
	if (!o->json)
		(void)printf("%s %s (log index %lld)\n", deny ? "denied" :
		    "allowed", id, (long long)json_integer_value(
		    json_object_get(j, "index")));
	json_decref(j);
	return AG_EXIT_OK;
}

static int
cert_denied(const struct deny_opts *o)
{
	json_t		*j, *a, *e;
	size_t		 i;
	char		 when[32];
	time_t		 t;
	struct tm	 tm;
	int		 rc;

	if ((rc = deny_call(o, "GET", "/v1/nodes/denied", NULL, &j)) !=
	    AG_EXIT_OK)
		return rc;
	a = json_object_get(j, "denied");
	if (!o->json) {
		if (json_array_size(a) == 0)
			(void)printf("no node is denied\n");
		json_array_foreach(a, i, e) {
			t = (time_t)json_integer_value(json_object_get(e,
			    "since"));
			if (gmtime_r(&t, &tm) == NULL || strftime(when,
			    sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
				(void)snprintf(when, sizeof when, "?");
			(void)printf("%-26s  %s  %s\n", json_string_value(
			    json_object_get(e, "node")), when,
			    json_string_value(json_object_get(e, "note")));
		}
	}
	json_decref(j);
	return AG_EXIT_OK;
}

static int
cert_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir",	required_argument,	NULL, 'd' },
		{ "ca",		required_argument,	NULL, 'c' },
		{ "name",	required_argument,	NULL, 'n' },
		{ "out",	required_argument,	NULL, 'o' },
		{ "days",	required_argument,	NULL, 'D' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "note",	required_argument,	NULL, 'N' },
		{ "api",	required_argument,	NULL, 'A' },
		{ "api-ca",	required_argument,	NULL, 'R' },
		{ "token",	required_argument,	NULL, 'T' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const char	*sub, *dir = NULL, *cadir = NULL, *name = NULL;
	const char	*out = NULL;
	unsigned	 days = 0;
	static const char *const subs[] = { "init", "issue", "id", "revoke",
				    "allow", "denied", NULL };
	struct deny_opts o = { NULL, NULL, NULL, 0 };
	int		 ch, force = 0, rc, remote;

	if ((rc = ag_subcommand(cmd, &argc, &argv, subs, &sub)) >= 0)
		return rc;
	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'c':
			cadir = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'D':
			if (parse_days(cmd, optarg, &days) < 0)
				return AG_EXIT_USAGE;
			break;
		case 'f':
			force = 1;
			break;
		case 'N':
			o.note = optarg;
			break;
		case 'A':
			o.api = optarg;
			break;
		case 'R':
			ag_http_set_ca(optarg);
			break;
		case 'T':
			o.token = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		default:
			return ag_opt_exit(ch);
		}
	}
	remote = strcmp(sub, "revoke") == 0 || strcmp(sub, "allow") == 0 ||
	    strcmp(sub, "denied") == 0;
	if (remote && (dir != NULL || cadir != NULL || name != NULL ||
	    out != NULL || days != 0 || force))
		return ag_usage_error(cmd, "cert %s takes [--api ADDR:PORT] "
		    "[--token FILE] [--json]%s", sub, strcmp(sub, "revoke") ==
		    0 ? " [--note TEXT]" : "");
	if (!remote && (o.api != NULL || o.token != NULL || o.json))
		return ag_usage_error(cmd, "--api, --token and --json are for "
		    "cert revoke, allow and denied");
	if (o.note != NULL && strcmp(sub, "revoke") != 0)
		return ag_usage_error(cmd, "--note is for cert revoke");
	if (o.note != NULL && strlen(o.note) > 512)
		return ag_usage_error(cmd, "--note: at most 512 bytes");
	if (strcmp(sub, "revoke") == 0 || strcmp(sub, "allow") == 0) {
		if (optind + 1 != argc)
			return ag_usage_error(cmd, "cert %s wants one NODE (a "
			    "node id or a key or certificate file)", sub);
		return cert_deny(&o, argv[optind], strcmp(sub, "revoke") ==
		    0);
	}
	if (strcmp(sub, "denied") == 0) {
		if (optind != argc)
			return ag_usage_error(cmd, "cert denied takes no "
			    "argument");
		return cert_denied(&o);
	}
	if (strcmp(sub, "id") == 0) {
		if (optind + 1 != argc)
			return ag_usage_error(cmd, "cert id wants one FILE");
		return cert_id(argv[optind]);
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if (strcmp(sub, "init") == 0) {
		if (dir == NULL || cadir != NULL || name != NULL || out != NULL)
			return ag_usage_error(cmd, "cert init takes --dir "
			    "[--days] [--force]");
		return cert_init(cmd, dir, days ? days : SEC_CA_DAYS_DEFAULT,
		    force);
	}
	if (cadir == NULL || name == NULL || out == NULL || dir != NULL ||
	    force)
		return ag_usage_error(cmd, "cert issue takes --ca, --name, "
		    "--out [--days]");
	return cert_issue(cmd, cadir, name, out,
	    days ? days : SEC_NODE_DAYS_DEFAULT);
}
