/*
 * cmd_status.c - `exogpu status`, `peers`, `members` and `events`: ask a
 * running agent through its local API and print a summary or the raw
 * JSON.
 */
#include "ag_cmd.h"
#include "ag_httpc.h"
#include "ag_log.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int	status_exec(const struct ag_cmd *, int, char **);
static int	peers_exec(const struct ag_cmd *, int, char **);
static int	members_exec(const struct ag_cmd *, int, char **);
static int	events_exec(const struct ag_cmd *, int, char **);

#define CLIENT_HELP \
	"  --json            print the agent's JSON answer\n" \
	"  --api ADDR:PORT   the agent's API (default: $EXOGPU_API or " \
	AG_API_DEFAULT_ADDR ");\n" \
	"                    https://ADDR:PORT when it serves TLS\n" \
	"  --api-ca FILE     check an https:// agent against FILE: its\n" \
	"                    certificate (DATA/node.pem) or its CA\n" \
	"                    (default: $EXOGPU_API_CA)\n" \
	"  --token FILE      access token, when the agent enforces them\n" \
	"                    (default: the file $EXOGPU_TOKEN names)\n"

const struct ag_cmd ag_cmd_status = {
	"status", "[--json] [--api ADDR:PORT] [--token FILE]",
	"Show the local agent's node id, name, uptime and peer count",
	CLIENT_HELP "  -h, --help        show this help\n",
	status_exec,
};

const struct ag_cmd ag_cmd_members = {
	"members", "[--json] [--api ADDR:PORT] [--token FILE]",
	"List the cluster's members with their state, leader and devices",
	CLIENT_HELP "  -h, --help        show this help\n",
	members_exec,
};

const struct ag_cmd ag_cmd_peers = {
	"peers", "[--json] [--probe] [--api ADDR:PORT] [--token FILE]",
	"List the agent's peers with RTT, loss and bandwidth",
	CLIENT_HELP
	"  --probe           start a bandwidth probe to every connected peer\n"
	"  -h, --help        show this help\n",
	peers_exec,
};

const struct ag_cmd ag_cmd_events = {
	"events", "[--json] [--follow] [--api ADDR:PORT] [--token FILE]",
	"Show the agent's recent cluster events and its active alerts",
	CLIENT_HELP
	"  --follow          keep printing new events (Ctrl-C stops)\n"
	"  -h, --help        show this help\n",
	events_exec,
};

struct client_opts {
	int		 json;
	int		 probe;
	int		 follow;
	const char	*api;
	const char	*token;		/* file */
};

static int
client_opts(const struct ag_cmd *cmd, int argc, char **argv,
    struct client_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "api", required_argument, NULL, 'a' },
		{ "api-ca", required_argument, NULL, 'C' },
		{ "probe", no_argument, NULL, 'p' },
		{ "follow", no_argument, NULL, 'f' },
		{ "token", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof *o);
	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (ch == 'j')
			o->json = 1;
		else if (ch == 'a')
			o->api = optarg;
		else if (ch == 't')
			o->token = optarg;
		else if (ch == 'C')
			ag_http_set_ca(optarg);
		else if (ch == 'p' && cmd == &ag_cmd_peers)
			o->probe = 1;
		else if (ch == 'p')
			return ag_usage_error(cmd, "unknown option --probe");
		else if (ch == 'f' && cmd == &ag_cmd_events)
			o->follow = 1;
		else if (ch == 'f')
			return ag_usage_error(cmd, "unknown option --follow");
		else
			return ag_opt_exit(ch);
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	return -1;
}

/* GET path; returns the parsed JSON or NULL (error printed). */
static json_t *
fetch(const struct client_opts *o, const char *method, const char *path,
    int raw)
{
	struct ag_http_response	 r;
	json_error_t		 jerr;
	json_t			*j;
	char			 err[512], *token = NULL;
	int			 rc;

	if (ag_http_load_token(o->token, &token, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return NULL;
	}
	rc = ag_http_request(ag_http_api_addr(o->api), method, path, NULL,
	    token, &r, err, sizeof err);
	free(token);
	if (rc != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return NULL;
	}
	j = json_loadb(r.body, r.body_len, 0, &jerr);
	if (j == NULL)
		ag_log(AG_LOG_ERR, "the agent answered %d with bad JSON: %s",
		    r.status, jerr.text);
	else if (r.status >= 300) {
		ag_log(AG_LOG_ERR, "the agent answered %d: %s", r.status,
		    json_string_value(json_object_get(j, "message")));
		json_decref(j);
		j = NULL;
	} else if (raw) {
		(void)fwrite(r.body, 1, r.body_len, stdout);
	}
	ag_http_response_free(&r);
	return j;
}

static int
status_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	struct client_opts	 o;
	json_t			*j;
	int			 rc;

	if ((rc = client_opts(cmd, argc, argv, &o)) >= 0)
		return rc;
	if ((j = fetch(&o, "GET", "/v1/status", o.json)) == NULL)
		return AG_EXIT_RUNTIME;
	if (!o.json) {
		const char *leader = json_string_value(json_object_get(j,
		    "leader")), *cid;

		(void)printf("node     %s (%s)\nversion  %s\nuptime   %.0f s\n"
		    "trust    %s\npeers    %lld connected\n",
		    json_string_value(json_object_get(j, "node_id")),
		    json_string_value(json_object_get(j, "name")),
		    json_string_value(json_object_get(j, "version")),
		    json_number_value(json_object_get(j, "uptime_s")),
		    json_string_value(json_object_get(j, "trust_mode")),
		    json_integer_value(json_object_get(j, "peers_connected")));
		(void)printf("cluster  %lld members (%lld alive), %lld voters\n"
		    "leader   %s (term %lld, this node is %s)\nquorum   %s\n",
		    json_integer_value(json_object_get(j, "members")),
		    json_integer_value(json_object_get(j, "members_alive")),
		    json_integer_value(json_object_get(j, "voters")),
		    leader != NULL ? leader : "none",
		    json_integer_value(json_object_get(j, "term")),
		    json_string_value(json_object_get(j, "role")),
		    json_is_true(json_object_get(j, "quorum")) ? "yes" :
		    "NO - this side cannot elect a leader");
		cid = json_string_value(json_object_get(j, "cluster_id"));
		(void)printf("log      cluster %s, %lld server(s), commit index "
		    "%lld, applied %lld\n", cid != NULL ? cid : "(forming)",
		    json_integer_value(json_object_get(j, "servers")),
		    json_integer_value(json_object_get(j, "commit_index")),
		    json_integer_value(json_object_get(j, "applied_index")));
	}
	json_decref(j);
	return AG_EXIT_OK;
}

static void
print_peer(const json_t *p)
{
	const json_t	*rtt = json_object_get(p, "rtt_s");
	double		 srtt = json_number_value(json_object_get(rtt,
			    "smoothed"));
	double		 bw = json_number_value(json_object_get(p,
			    "bandwidth_bytes_per_s"));
	char		 rtts[32] = "-", bws[32] = "-";

	if (json_is_number(json_object_get(rtt, "smoothed")))
		(void)snprintf(rtts, sizeof rtts, "%.3f ms", srtt * 1e3);
	if (json_is_number(json_object_get(p, "bandwidth_bytes_per_s")))
		(void)snprintf(bws, sizeof bws, "%.1f MB/s", bw / 1e6);
	(void)printf("%-26s %-16.16s %-24s %-9s %12s %6.2f%% %14s\n",
	    json_string_value(json_object_get(p, "node_id")),
	    json_string_value(json_object_get(p, "name")),
	    json_string_value(json_object_get(p, "addr")),
	    json_is_true(json_object_get(p, "connected")) ? "connected" :
	    "down", rtts, 100 * json_number_value(json_object_get(p,
	    "loss_ratio")), bws);
}

static int
peers_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	struct client_opts	 o;
	json_t			*j, *p;
	size_t			 i;
	int			 rc;

	if ((rc = client_opts(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (o.probe) {
		if ((j = fetch(&o, "POST", "/v1/peers/probe", 0)) == NULL)
			return AG_EXIT_RUNTIME;
		if (!o.json)
			(void)printf("started %lld probe(s)\n",
			    json_integer_value(json_object_get(j,
			    "probes_started")));
		json_decref(j);
		if (!o.json)
			return AG_EXIT_OK;
	}
	if ((j = fetch(&o, "GET", "/v1/peers", o.json)) == NULL)
		return AG_EXIT_RUNTIME;
	if (!o.json) {
		(void)printf("%-26s %-16s %-24s %-9s %12s %7s %14s\n", "NODE",
		    "NAME", "ADDRESS", "STATE", "RTT", "LOSS", "BANDWIDTH");
		json_array_foreach(j, i, p)
			print_peer(p);
	}
	json_decref(j);
	return AG_EXIT_OK;
}

static int
members_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	struct client_opts	 o;
	json_t			*j, *m;
	size_t			 i;
	int			 rc;

	if ((rc = client_opts(cmd, argc, argv, &o)) >= 0)
		return rc;
	if ((j = fetch(&o, "GET", "/v1/members", o.json)) == NULL)
		return AG_EXIT_RUNTIME;
	if (!o.json) {
		(void)printf("%-26s %-16s %-8s %-6s %-24s %s\n", "NODE", "NAME",
		    "STATE", "LEADER", "ADDRESS", "DEVICES");
		json_array_foreach(j, i, m)
			(void)printf("%-26s %-16.16s %-8s %-6s %-24s %zu\n",
			    json_string_value(json_object_get(m, "node_id")),
			    json_string_value(json_object_get(m, "name")),
			    json_string_value(json_object_get(m, "state")),
			    json_is_true(json_object_get(m, "is_leader")) ?
			    "yes" : "",
			    json_string_value(json_object_get(m, "addr")),
			    json_array_size(json_object_get(m, "devices")));
	}
	json_decref(j);
	return AG_EXIT_OK;
}

static void
print_event(const json_t *e)
{
	char		when[32] = "?";
	time_t		t = (time_t)json_number_value(json_object_get(e, "time"));
	struct tm	tm;

	if (gmtime_r(&t, &tm) != NULL)
		(void)strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	(void)printf("%6lld %s %-8s %-20s %s: %s\n",
	    (long long)json_integer_value(json_object_get(e, "seq")), when,
	    json_string_value(json_object_get(e, "level")),
	    json_string_value(json_object_get(e, "kind")),
	    json_string_value(json_object_get(e, "object")),
	    json_string_value(json_object_get(e, "message")));
}

static void
print_active(const json_t *j)
{
	const json_t	*a;
	size_t		 i;

	if (json_array_size(json_object_get(j, "active")) == 0) {
		(void)printf("no active alerts\n");
		return;
	}
	(void)printf("active alerts:\n");
	json_array_foreach(json_object_get(j, "active"), i, a)
		(void)printf("  %-12s %-40s value %g (threshold %g)\n",
		    json_string_value(json_object_get(a, "rule")),
		    json_string_value(json_object_get(a, "object")),
		    json_number_value(json_object_get(a, "value")),
		    json_number_value(json_object_get(a, "threshold")));
}

static int
events_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	struct client_opts	 o;
	json_t			*j, *e;
	char			 path[96];
	long long		 since = 0;
	size_t			 i;
	int			 rc, first = 1;

	if ((rc = client_opts(cmd, argc, argv, &o)) >= 0)
		return rc;
	for (;;) {
		(void)snprintf(path, sizeof path, "/v1/events?since=%lld&"
		    "limit=512", since);
		if ((j = fetch(&o, "GET", path, o.json)) == NULL)
			return AG_EXIT_RUNTIME;
		if (!o.json)
			json_array_foreach(json_object_get(j, "events"), i, e)
				print_event(e);
		if (!o.json && first && !o.follow)
			print_active(j);
		if (json_is_integer(json_object_get(j, "next_seq")))
			since = (long long)json_integer_value(
			    json_object_get(j, "next_seq"));
		json_decref(j);
		(void)fflush(stdout);
		first = 0;
		if (!o.follow)
			return AG_EXIT_OK;
		(void)sleep(1);
	}
}
