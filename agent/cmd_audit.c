/*
 * cmd_audit.c - `exogpu audit`: checks a tamper-evident audit log, or
 * shows the newest entries of a running agent's log.
 *
 *   exogpu audit verify PATH... [--key PUB]... [--anchor-file FILE |
 *       --cluster [--node ID] [--api ADDR:PORT] [--token FILE]]
 *   exogpu audit tail [-n N] [--json] [--api ADDR:PORT] [--token FILE]
 *
 * PATHs oldest first (audit.log.2 audit.log.1 audit.log).  Prints
 * "ok: N records, M checkpoints, chain head H" and exits 0, or the first
 * bad entry and why and exits 1; 2 for a bad command line, an unreadable
 * file or key.  The checking is sec_audit_verify() (security/sec_audit.h);
 * this file only reads the keys and the anchor (a file, or the node's
 * committed anchor from an agent's GET /v1/audit/anchors) and prints.
 * Format and limits: docs/audit.md.
 */
#include "ag_cmd.h"
#include "ag_fileio.h"
#include "ag_httpc.h"
#include "ag_log.h"

#include "sec_audit.h"
#include "sec_pem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	audit_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_audit = {
	"audit",
	"verify PATH... [--key PUB]... [--anchor-file FILE | --cluster "
	"[--node ID]]\n"
	"       exogpu audit tail [-n N] [--json] [--api ADDR:PORT] "
	"[--token FILE]",
	"Verify a tamper-evident audit log, or show a running agent's newest "
	"entries",
	"  PATH...            the log files, oldest first\n"
	"                     (audit.log.2 audit.log.1 audit.log)\n"
	"  --key PUB          audit public key (DATA/audit.pub) or, for\n"
	"                     checkpoints from before the audit key, the node\n"
	"                     certificate (PEM); repeat for both: check\n"
	"                     checkpoint signatures; without it only the\n"
	"                     hash chain is checked\n"
	"  --anchor-file FILE a checkpoint line kept outside the log (also\n"
	"                     --checkpoint); the log must hold that line at\n"
	"                     its seq (detects truncation of the newest file)\n"
	"  --cluster          take the anchor from the cluster: the node's\n"
	"                     committed anchor, from the agent at --api\n"
	"  --node ID          whose anchor (default: the answering agent's)\n"
	"  tail               the agent's newest entries (admin token)\n"
	"  -n N               how many (default: 20, at most 1000)\n"
	"  --json             print the agent's JSON answer\n"
	"  --api ADDR:PORT    the agent's API (tail, --cluster; default:\n"
	"                     $EXOGPU_API or "
	AG_API_DEFAULT_ADDR ";\n"
	"                     https://ADDR:PORT when it serves TLS)\n"
	"  --api-ca FILE      check an https:// agent against FILE (its\n"
	"                     certificate or CA; default: $EXOGPU_API_CA)\n"
	"  --token FILE       access token (default: $EXOGPU_TOKEN)\n"
	"  -h, --help         show this help\n"
	"Exit (verify): 0 intact, 1 tampered, 2 usage or unreadable input.\n",
	audit_exec,
};

struct verify_opts {
	const char	*keys[SEC_AUDIT_KEYS_MAX];
	size_t		 nkeys;
	const char	*ckfile;	/* --anchor-file */
	int		 cluster;	/* --cluster */
	const char	*node;		/* --node */
	const char	*api;
	const char	*tok;
};

/* Every --key file, concatenated (sec_audit_verify takes several). */
static int
read_keys(const struct verify_opts *o, char **out, size_t *outlen)
{
	char	*all = NULL, *k, *p, err[256];
	size_t	 len = 0, klen, i;

	for (i = 0; i < o->nkeys; i++) {
		if (ag_read_file(o->keys[i], SEC_PEM_MAX, &k, &klen, NULL,
		    err, sizeof err) < 0) {
			ag_log(AG_LOG_ERR, "%s", err);
			free(all);
			return -1;
		}
		if ((p = realloc(all, len + klen + 2)) == NULL) {
			free(k);
			free(all);
			ag_log(AG_LOG_ERR, "out of memory");
			return -1;
		}
		all = p;
		memcpy(all + len, k, klen);
		len += klen;
		all[len++] = '\n';
		all[len] = '\0';
		free(k);
	}
	*out = all;
	*outlen = len;
	return 0;
}

/* The node's committed anchor line from an agent (malloc'd). */
static char *
cluster_anchor(const struct verify_opts *o)
{
	struct ag_http_response	 r;
	json_t			*j, *e;
	const char		*node, *line = NULL;
	char			 err[512], *token = NULL, *out = NULL;
	size_t			 i;

	if (ag_http_load_token(o->tok, &token, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return NULL;
	}
	if (ag_http_request(ag_http_api_addr(o->api), "GET",
	    "/v1/audit/anchors", NULL, token, &r, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		free(token);
		return NULL;
	}
	free(token);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	if (r.status != 200 || j == NULL) {
		ag_log(AG_LOG_ERR, "the agent answered %d: %s", r.status,
		    j != NULL && json_string_value(json_object_get(j,
		    "message")) != NULL ? json_string_value(json_object_get(j,
		    "message")) : "(no JSON)");
		goto out;
	}
	node = o->node != NULL ? o->node :
	    json_string_value(json_object_get(j, "self"));
	json_array_foreach(json_object_get(j, "anchors"), i, e)
		if (node != NULL && json_string_value(json_object_get(e,
		    "node")) != NULL && strcmp(json_string_value(
		    json_object_get(e, "node")), node) == 0)
			line = json_string_value(json_object_get(e, "line"));
	if (line == NULL)
		ag_log(AG_LOG_ERR, "the cluster holds no anchor of node %s "
		    "(yet)", node != NULL ? node : "?");
	else if ((out = strdup(line)) == NULL)
		ag_log(AG_LOG_ERR, "out of memory");
out:
	json_decref(j);
	ag_http_response_free(&r);
	return out;
}

static int
audit_verify(char **paths, size_t n, const struct verify_opts *o)
{
	struct sec_audit_report	rep;
	struct sec_audit_ckpt	ck;
	char			*key = NULL, *anchor = NULL, err[256];
	size_t			 keylen = 0, alen = 0;
	int			 rc, have_anchor;

	memset(&ck, 0, sizeof ck);
	if (read_keys(o, &key, &keylen) != 0)
		return AG_EXIT_USAGE;
	if (o->ckfile != NULL && ag_read_file(o->ckfile,
	    SEC_AUDIT_LINE_MAX + 2, &anchor, &alen, NULL, err,
	    sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		free(key);
		return AG_EXIT_USAGE;
	}
	if (o->cluster && (anchor = cluster_anchor(o)) == NULL) {
		free(key);
		return AG_EXIT_USAGE;
	}
	if (anchor != NULL && sec_audit_ckpt_parse(anchor, strlen(anchor),
	    NULL, 0, &ck, err, sizeof err) != 0)
		ck.seq = 0;	/* sec_audit_verify says what is wrong */
	rc = sec_audit_verify((const char *const *)paths, n, key, keylen,
	    anchor, &rep);
	have_anchor = anchor != NULL;
	free(key);
	free(anchor);
	if (rc < 0) {
		ag_log(AG_LOG_ERR, "%s", rep.reason);
		return AG_EXIT_USAGE;
	}
	if (rc == SEC_AUDIT_TAMPERED && have_anchor && ck.seq > 0 &&
	    rep.last_seq < ck.seq &&
	    strstr(rep.reason, "truncated") != NULL) {
		printf("truncated: the log ends at seq %llu but the %s anchor "
		    "is at seq %llu\n", (unsigned long long)rep.last_seq,
		    o->cluster ? "cluster's" : "external",
		    (unsigned long long)ck.seq);
		return AG_EXIT_RUNTIME;
	}
	if (rc == SEC_AUDIT_TAMPERED) {
		printf("tampered: %s line %lu (entry %llu): %s\n",
		    paths[rep.file], rep.line, (unsigned long long)rep.seq,
		    rep.reason);
		return AG_EXIT_RUNTIME;
	}
	printf("ok: %llu records, %llu checkpoints, chain head %s\n",
	    (unsigned long long)rep.records,
	    (unsigned long long)rep.checkpoints, rep.head);
	if (rep.first_seq > 1)
		printf("note: chain starts at entry %llu (older files not "
		    "given)\n", (unsigned long long)rep.first_seq);
	if (rep.uncovered > 0)
		printf("note: the last %llu entries follow the last "
		    "checkpoint; their truncation would go unnoticed\n",
		    (unsigned long long)rep.uncovered);
	if (o->nkeys == 0)
		printf("note: no --key: checkpoint signatures not checked\n");
	if (have_anchor)
		printf("anchor: the log holds the %s anchor (entry %llu)\n",
		    o->cluster ? "cluster's" : "external",
		    (unsigned long long)ck.seq);
	return AG_EXIT_OK;
}

static void
print_entry(const json_t *e)
{
	const char	*k = json_string_value(json_object_get(e, "kind"));
#define F(name) (json_string_value(json_object_get(e, name)) != NULL ? \
	    json_string_value(json_object_get(e, name)) : "-")

	if (k != NULL && strcmp(k, "ckpt") == 0)
		(void)printf("%6s %s checkpoint of %s entries\n", F("seq"),
		    F("time"), F("size"));
	else
		(void)printf("%6s %s %-8s %s %s %s: %s\n", F("seq"), F("time"),
		    F("decision"), F("actor"), F("action"), F("object"),
		    F("reason"));
#undef F
}

static int
audit_tail(unsigned long n, int json, const char *api, const char *tokfile)
{
	struct ag_http_response	 r;
	json_t			*j = NULL, *e;
	char			 path[64], err[512], *token = NULL;
	size_t			 i;
	int			 rc = AG_EXIT_RUNTIME;

	if (ag_http_load_token(tokfile, &token, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_USAGE;
	}
	(void)snprintf(path, sizeof path, "/v1/audit?n=%lu", n);
	if (ag_http_request(ag_http_api_addr(api), "GET", path, NULL, token,
	    &r, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		free(token);
		return AG_EXIT_RUNTIME;
	}
	free(token);
	j = json_loadb(r.body, r.body_len, 0, NULL);
	if (r.status != 200)
		ag_log(AG_LOG_ERR, "the agent answered %d: %s", r.status,
		    j != NULL ? json_string_value(json_object_get(j,
		    "message")) : "(no JSON)");
	else if (json)
		(void)fwrite(r.body, 1, r.body_len, stdout);
	else
		json_array_foreach(json_object_get(j, "entries"), i, e)
			print_entry(e);
	if (r.status == 200)
		rc = AG_EXIT_OK;
	json_decref(j);
	ag_http_response_free(&r);
	return rc;
}

static int
audit_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key",	required_argument,	NULL, 'k' },
		{ "checkpoint",	required_argument,	NULL, 'c' },
		{ "anchor-file", required_argument,	NULL, 'c' },
		{ "cluster",	no_argument,		NULL, 'C' },
		{ "node",	required_argument,	NULL, 'N' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "api",	required_argument,	NULL, 'a' },
		{ "api-ca",	required_argument,	NULL, 'R' },
		{ "token",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct verify_opts	 o;
	unsigned long	 n = 20;
	char		*end;
	int		 ch, json = 0;

	memset(&o, 0, sizeof o);

	while ((ch = ag_getopt(cmd, argc, argv, "hn:", longopts)) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 1000)
				return ag_usage_error(cmd, "-n: 1..1000");
			break;
		case 'j':
			json = 1;
			break;
		case 'a':
			o.api = optarg;
			break;
		case 'R':
			ag_http_set_ca(optarg);
			break;
		case 't':
			o.tok = optarg;
			break;
		case 'k':
			if (o.nkeys == SEC_AUDIT_KEYS_MAX)
				return ag_usage_error(cmd, "at most %d --key",
				    SEC_AUDIT_KEYS_MAX);
			o.keys[o.nkeys++] = optarg;
			break;
		case 'c':
			o.ckfile = optarg;
			break;
		case 'C':
			o.cluster = 1;
			break;
		case 'N':
			o.node = optarg;
			break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind < argc && strcmp(argv[optind], "tail") == 0) {
		if (optind + 1 != argc || o.nkeys > 0 || o.ckfile != NULL ||
		    o.cluster || o.node != NULL)
			return ag_usage_error(cmd, "audit tail takes [-n N] "
			    "[--json] [--api ADDR:PORT] [--token FILE]");
		return audit_tail(n, json, o.api, o.tok);
	}
	if (optind >= argc || strcmp(argv[optind], "verify") != 0)
		return ag_usage_error(cmd, "expected 'verify' or 'tail'");
	if (json || ((o.api != NULL || o.tok != NULL || o.node != NULL) &&
	    !o.cluster))
		return ag_usage_error(cmd, "--json is for audit tail; --api, "
		    "--token and --node for audit tail or verify --cluster");
	if (o.cluster && o.ckfile != NULL)
		return ag_usage_error(cmd, "--cluster or --anchor-file, not "
		    "both");
	optind++;
	if (optind >= argc)
		return ag_usage_error(cmd, "no log file given");
	if ((size_t)(argc - optind) > SEC_AUDIT_FILES_MAX)
		return ag_usage_error(cmd, "at most %d files",
		    SEC_AUDIT_FILES_MAX);
	return audit_verify(argv + optind, (size_t)(argc - optind), &o);
}
