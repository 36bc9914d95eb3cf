/*
 * cmd_place.c - `exogpu place`: ask the cluster's leader (through the
 * local agent, which forwards) to place a model, list live placements or
 * release one.  A GGUF model is read here (its header only) and sent as
 * a model object; --format llama.cpp prints the commands that run the
 * answer (ag_llamacmd.h).
 */
#include "ag_cmd.h"
#include "ag_fileio.h"
#include "ag_httpc.h"
#include "ag_llamacmd.h"
#include "ag_log.h"
#include "ag_planio.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int	place_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_place = {
	"place",
	"--model NAME|FILE [--context N] [--time-budget-ms N]\n"
	"       [--json | --format human|json|llama.cpp] [--api ADDR:PORT]\n"
	"       [--token FILE] | --list [--json] | --release ID",
	"Place a model on the cluster (decided by the leader), list or release",
	"  --model NAME|FILE     a catalog model (`exogpu plan --list-models`),"
	" a\n"
	"                        model JSON file (docs/placement.md) or a "
	"GGUF file\n"
	"  --context N           context length in tokens (default: 4096)\n"
	"  --time-budget-ms N    solver budget on the leader (default: 500)\n"
	"  --list                list the live placements\n"
	"  --release ID          release placement ID\n"
	"  --json                print the agent's JSON answer\n"
	"  --format FMT          human (default), json, or llama.cpp (the "
	"commands\n"
	"                        that run the placement)\n"
	"  --api ADDR:PORT       the agent's API (default: $EXOGPU_API or "
	AG_API_DEFAULT_ADDR ";\n"
	"                        https://ADDR:PORT when it serves TLS)\n"
	"  --api-ca FILE         check an https:// agent against FILE (its\n"
	"                        certificate or CA; default: $EXOGPU_API_CA)\n"
	"  --token FILE          access token, when the agent enforces them "
	"(the\n"
	"                        token's device selectors and quotas apply;\n"
	"                        default: the file $EXOGPU_TOKEN names)\n"
	"  -h, --help            show this help\n",
	place_exec,
};

/* A stage's worker as /v1/placements reports it (absent: older agent). */
static void
print_worker(const json_t *w)
{
	const char	*reason = json_string_value(json_object_get(w,
			    "reason"));

	if (!json_is_object(w)) {
		(void)printf("%s\n", json_is_null(w) ? "  worker -" : "");
		return;
	}
	(void)printf("  worker %s", json_string_value(json_object_get(w,
	    "state")) != NULL ? json_string_value(json_object_get(w,
	    "state")) : "?");
	if (json_integer_value(json_object_get(w, "restarts")) > 0)
		(void)printf(", %lld restarts", json_integer_value(
		    json_object_get(w, "restarts")));
	if (reason != NULL && reason[0] != '\0')
		(void)printf(" (%s)", reason);
	(void)printf("\n");
}

static void
print_placement(const json_t *p)
{
	const json_t	*s;
	size_t		 i;
	double		 lat = json_number_value(json_object_get(p, "latency_s"));
	const json_t	*base = json_object_get(p, "baseline_latency_s");

	(void)printf("placement %lld: %s, context %lld (term %lld, epoch "
	    "%lld)\n", json_integer_value(json_object_get(p, "id")),
	    json_string_value(json_object_get(p, "model")),
	    json_integer_value(json_object_get(p, "context")),
	    json_integer_value(json_object_get(p, "term")),
	    json_integer_value(json_object_get(p, "epoch")));
	json_array_foreach(json_object_get(p, "stages"), i, s) {
		(void)printf("  %zu  %-44s layers %lld-%lld  %.2f GB", i + 1,
		    json_string_value(json_object_get(s, "device")),
		    json_integer_value(json_object_get(s, "layer_start")),
		    json_integer_value(json_object_get(s, "layer_end")) - 1,
		    (double)json_integer_value(json_object_get(s,
		    "memory_bytes")) / 1e9);
		print_worker(json_object_get(s, "worker"));
	}
	(void)printf("  latency %.3f ms/token (%.1f tokens/s)%s", lat * 1e3,
	    lat > 0 ? 1 / lat : 0.0, json_is_true(json_object_get(p,
	    "optimal")) ? ", proven optimal" : "");
	if (json_is_number(base))
		(void)printf("; exo's proportional split: %.3f ms/token",
		    json_number_value(base) * 1e3);
	(void)printf("\n");
}

/* The model argument as JSON: a GGUF or JSON file's object, or the name. */
static json_t *
model_arg(const char *arg)
{
	struct stat	 st;
	struct pl_model	 pm;
	json_error_t	 jerr;
	json_t		*j;
	char		*buf, err[512];
	size_t		 len, n = strlen(arg);

	if (n > 5 && strcmp(arg + n - 5, ".gguf") == 0) {
		if (ag_planio_read_gguf(arg, &pm, err, sizeof err) != 0) {
			ag_log(AG_LOG_ERR, "%s", err);
			return NULL;
		}
		return ag_planio_model_json(&pm);
	}
	if (stat(arg, &st) != 0)
		return json_string(arg);
	if (ag_read_file(arg, 1 << 20, &buf, &len, NULL, err, sizeof err)
	    != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return NULL;
	}
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (j == NULL)
		ag_log(AG_LOG_ERR, "%s: line %d: %s", arg, jerr.line,
		    jerr.text);
	return j;
}

/* The placement answer as llama.cpp commands. */
static int
print_llama(const json_t *p, const char *model_path)
{
	struct ag_llama_stage	 st[64];
	struct ag_llama_job	 j;
	const json_t		*s, *stages = json_object_get(p, "stages");
	json_int_t		 a, b, layers = 0;
	size_t			 i, n = 0;
	char			 err[256];

	json_array_foreach(stages, i, s) {
		if (n >= sizeof st / sizeof st[0])
			break;
		a = json_integer_value(json_object_get(s, "layer_start"));
		b = json_integer_value(json_object_get(s, "layer_end"));
		memset(&st[n], 0, sizeof st[n]);
		st[n].device = json_string_value(json_object_get(s, "device"));
		st[n].node = json_string_value(json_object_get(s, "node"));
		if (st[n].device == NULL || st[n].node == NULL || b <= a ||
		    a < 0 || b > (json_int_t)PL_MAX_LAYERS) {
			ag_log(AG_LOG_ERR, "the agent's answer has a bad stage");
			return AG_EXIT_RUNTIME;
		}
		st[n++].layers = (uint32_t)(b - a);
		if (b > layers)
			layers = b;
	}
	memset(&j, 0, sizeof j);
	j.stages = st;
	j.nstages = n;
	j.model_layers = (uint32_t)layers;
	j.context = (uint64_t)json_integer_value(json_object_get(p, "context"));
	j.model_path = model_path;
	(void)printf("# Nodes are named by node id: use each node's address "
	    "for -H and --rpc.\n");
	if (ag_llamacmd_print(stdout, &j, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	return AG_EXIT_OK;
}

static int
call(const char *api, const char *tokfile, const char *method,
    const char *path, const char *body, int json, const char *llama_model)
{
	struct ag_http_response	 r;
	json_t			*j, *p;
	char			 err[512], *token = NULL;
	size_t			 i;
	int			 rc = AG_EXIT_OK;

	if (ag_http_load_token(tokfile, &token, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_USAGE;
	}
	rc = ag_http_request(ag_http_api_addr(api), method, path, body, token,
	    &r, err, sizeof err);
	free(token);
	if (rc != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	j = json_loadb(r.body, r.body_len, 0, NULL);
	if (json)
		(void)fwrite(r.body, 1, r.body_len, stdout);
	if (j == NULL) {
		ag_log(AG_LOG_ERR, "the agent answered %d without JSON",
		    r.status);
		rc = AG_EXIT_RUNTIME;
	} else if (r.status >= 300) {
		ag_log(AG_LOG_ERR, "%s", json_string_value(json_object_get(j,
		    "message")));
		rc = AG_EXIT_RUNTIME;
	} else if (!json && strcmp(method, "GET") == 0) {
		json_array_foreach(json_object_get(j, "placements"), i, p)
			print_placement(p);
		if (json_array_size(json_object_get(j, "placements")) == 0)
			(void)printf("no placements\n");
	} else if (!json && strcmp(method, "POST") == 0 && llama_model != NULL)
		rc = print_llama(j, llama_model[0] != '\0' ? llama_model :
		    NULL);
	else if (!json && strcmp(method, "POST") == 0)
		print_placement(j);
	else if (!json)
		(void)printf("released %lld\n", json_integer_value(
		    json_object_get(j, "released")));
	json_decref(j);
	ag_http_response_free(&r);
	return rc;
}

static int
place_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "context", required_argument, NULL, 'c' },
		{ "time-budget-ms", required_argument, NULL, 'b' },
		{ "list", no_argument, NULL, 'l' },
		{ "release", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "api", required_argument, NULL, 'a' },
		{ "api-ca", required_argument, NULL, 'C' },
		{ "token", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*model = NULL, *api = NULL, *release = NULL;
	const char	*token = NULL;
	long		 context = 4096, budget = 500;
	int		 ch, json = 0, list = 0, rc, llama = 0;
	char		*end, *body, path[96];
	json_t		*req, *m;

	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 'c':
			context = strtol(optarg, &end, 10);
			if (*end != '\0' || context < 1 || context > 1 << 24)
				return ag_usage_error(cmd, "--context: an "
				    "integer 1..16777216");
			break;
		case 'b':
			budget = strtol(optarg, &end, 10);
			if (*end != '\0' || budget < 0 || budget > 60000)
				return ag_usage_error(cmd, "--time-budget-ms: "
				    "0..60000");
			break;
		case 'l': list = 1; break;
		case 'r': release = optarg; break;
		case 'j': json = 1; break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = 1;
			else if (strcmp(optarg, "llama.cpp") == 0)
				llama = 1;
			else if (strcmp(optarg, "human") != 0)
				return ag_usage_error(cmd, "--format: human, "
				    "json or llama.cpp");
			break;
		case 'a': api = optarg; break;
		case 'C': ag_http_set_ca(optarg); break;
		case 't': token = optarg; break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if ((model != NULL) + list + (release != NULL) != 1)
		return ag_usage_error(cmd, "give one of --model, --list, "
		    "--release");
	if (list)
		return call(api, token, "GET", "/v1/placements", NULL, json,
		    NULL);
	if (release != NULL) {
		unsigned long long id = strtoull(release, &end, 10);

		if (*end != '\0' || id == 0)
			return ag_usage_error(cmd, "--release: a placement id");
		(void)snprintf(path, sizeof path, "/v1/placements?id=%llu", id);
		return call(api, token, "DELETE", path, NULL, json, NULL);
	}
	if ((m = model_arg(model)) == NULL)
		return AG_EXIT_USAGE;
	req = json_pack("{s:o, s:i, s:i}", "model", m, "context", (int)context,
	    "time_budget_ms", (int)budget);
	if (req == NULL || (body = json_dumps(req, 0)) == NULL) {
		json_decref(req);
		return AG_EXIT_RUNTIME;
	}
	json_decref(req);
	rc = call(api, token, "POST", "/v1/placements", body, json,
	    !llama ? NULL : strlen(model) > 5 &&
	    strcmp(model + strlen(model) - 5, ".gguf") == 0 ? model : "");
	free(body);
	return rc;
}
