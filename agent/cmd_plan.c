/*
 * cmd_plan.c - `exogpu plan`: place a model's layers on a cluster described
 * by a JSON file, offline.
 *
 * The same solver the leader runs on its gossiped snapshot, fed from files
 * so that a placement can be tried, compared with the exo-style baseline
 * and scripted (--json) without a running cluster.  The thermal model is
 * applied first (devices that would overheat during --job-seconds are
 * derated or left out), then the exact search runs within the budget
 * under the request (engine profile, reserve, prompt and generate
 * lengths; pl_cost.h).  --format llama.cpp prints the commands that run
 * the plan (ag_llamacmd.h).
 *
 * Exit status: 0 plan found, 1 infeasible, 2 bad command line or input.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ag_clock.h"
#include "ag_cmd.h"
#include "ag_llamacmd.h"
#include "ag_planio.h"
#include "pl_cluster.h"
#include "pl_model.h"
#include "pl_solve.h"
#include "pl_thermal.h"

#define PLAN_CONTEXT	4096
#define PLAN_BUDGET_MS	1000
#define PLAN_JOB_S	600
#define PLAN_MAX_CTX	(1u << 24)

static int	plan_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_plan = {
	"plan",
	"--cluster FILE --model NAME|FILE [--context N] [--prompt N]\n"
	"       [--generate N] [--engine llama.cpp|ring] [--reserve R]\n"
	"       [--client NODE] [--time-budget-ms N] [--job-seconds N]\n"
	"       [--json | --format human|json|llama.cpp] | --list-models",
	"place a model's layers on a cluster (offline solver)",
	"  -c, --cluster FILE        cluster description (JSON, see "
	"docs/placement.md)\n"
	"  -m, --model NAME|FILE     catalog model (e.g. llama-3-70b:q4_0), a "
	"model JSON\n"
	"                            file (a name with '/' or ending in "
	".json) or a\n"
	"                            GGUF file (ending in .gguf)\n"
	"  -C, --context N           context length in tokens (default 4096)\n"
	"  -p, --prompt N            prompt tokens of a typical request\n"
	"  -g, --generate N          tokens it decodes (default: prompt and "
	"generate\n"
	"                            fill the context)\n"
	"  -e, --engine NAME         llama.cpp (default) or ring (exo-style)\n"
	"  -r, --reserve R           memory kept free on each device, 0..0.9 "
	"(default 0.10)\n"
	"  -n, --client NODE         llama.cpp client node (default: the "
	"file's client,\n"
	"                            else the first node)\n"
	"  -f, --format FMT          human (default), json or llama.cpp "
	"(commands)\n"
	"  -t, --time-budget-ms N    search time limit (default 1000; 0 = "
	"greedy only)\n"
	"  -J, --job-seconds N       job length for the thermal model "
	"(default 600)\n"
	"  -j, --json                print the plan as JSON\n"
	"  -l, --list-models         list the built-in catalog\n"
	"  -h, --help                this help\n",
	plan_exec
};

static double
now_ms(void *ctx)
{
	(void)ctx;
	return ag_clock_mono() * 1e3;
}

/* Strict decimal number in [lo, hi]; -1 otherwise. */
static int
parse_num(const char *s, double lo, double hi, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void
human_bytes(char *buf, size_t len, double b)
{
	if (b >= 1e9)
		(void)snprintf(buf, len, "%.2f GB", b / 1e9);
	else
		(void)snprintf(buf, len, "%.1f MB", b / 1e6);
}

static int
list_models(void)
{
	struct pl_model	m;
	size_t		i;
	char		w[32], e[32], tot[32];

	(void)printf("%-22s %6s %12s %8s %12s %12s\n", "model", "layers",
	    "layer", "KV/tok", "embed+head", "weights");
	for (i = 0; i < pl_catalog_count(); i++) {
		if (pl_catalog_get(i, &m) != 0)
			return AG_EXIT_RUNTIME;
		human_bytes(w, sizeof w, (double)m.layer_bytes);
		human_bytes(e, sizeof e, (double)m.embed_bytes +
		    (double)m.head_bytes);
		human_bytes(tot, sizeof tot, (double)m.layer_bytes * m.layers +
		    (double)m.embed_bytes + (double)m.head_bytes);
		(void)printf("%-22s %6u %12s %6llu B %12s %12s\n", m.name,
		    m.layers, w, (unsigned long long)
		    m.kv_bytes_per_token_per_layer, e, tot);
	}
	(void)printf("\nA name without \":dtype\" means fp16; lookup ignores "
	    "case.\n");
	return AG_EXIT_OK;
}

/* A model argument: a GGUF file, a model JSON file or a catalog name. */
static int
load_model(const struct ag_cmd *cmd, const char *arg, struct pl_model *m)
{
	char	err[512];
	size_t	n = strlen(arg);

	if (n > 5 && strcmp(arg + n - 5, ".gguf") == 0) {
		if (ag_planio_read_gguf(arg, m, err, sizeof err) != 0) {
			(void)fprintf(stderr, "exogpu plan: %s\n", err);
			return AG_EXIT_USAGE;
		}
		return AG_EXIT_OK;
	}
	if (strchr(arg, '/') != NULL ||
	    (n > 5 && strcmp(arg + n - 5, ".json") == 0)) {
		if (ag_planio_read_model(arg, m, err, sizeof err) != 0) {
			(void)fprintf(stderr, "exogpu plan: %s\n", err);
			return AG_EXIT_USAGE;
		}
		return AG_EXIT_OK;
	}
	if (pl_catalog_find(arg, m) != 0)
		return ag_usage_error(cmd, "unknown model '%s' (see "
		    "--list-models, or give a model JSON or GGUF file)", arg);
	return AG_EXIT_OK;
}

static const char *
verdict_name(double factor)
{
	return factor <= 0 ? "excluded" : factor < 1 ? "derated" : "ok";
}

enum plan_format { FMT_HUMAN, FMT_JSON, FMT_LLAMA };

struct plan_args {
	const char		*cluster, *model, *client;
	struct pl_request	 rq;
	double			 budget, job;
	enum plan_format	 format;
	int			 list;
};

/* What one run computed. */
struct plan_out {
	const struct pl_cluster	*orig, *c;
	const struct pl_model	*m;
	const struct pl_request	*rq;
	const struct pl_plan	*p, *base, *lbase;
	const double		*factors;
	double			 ms;
};

static int
print_json(const struct plan_out *r)
{
	json_t	*o, *th, *e;
	size_t	 i;
	int	 rc = 0;

	if ((o = ag_planio_plan_json(r->c, r->m, r->rq, r->p, r->ms, r->base,
	    r->lbase)) == NULL)
		return -1;
	if ((th = json_array()) == NULL) {
		json_decref(o);
		return -1;
	}
	for (i = 0; i < r->orig->ndevices; i++) {
		if (!r->orig->devices[i].has_thermal)
			continue;
		e = json_pack("{s:s, s:s, s:f}", "device",
		    r->orig->devices[i].id, "verdict",
		    verdict_name(r->factors[i]), "factor", r->factors[i]);
		if (e == NULL || json_array_append_new(th, e) != 0)
			rc = -1;
	}
	if (json_object_set_new(o, "thermal", th) != 0 ||
	    rc != 0 || json_dumpf(o, stdout, JSON_INDENT(2) |
	    JSON_REAL_PRECISION(10)) != 0) {
		json_decref(o);
		return -1;
	}
	(void)putchar('\n');
	json_decref(o);
	return 0;
}

static void
print_baselines(const struct plan_out *r)
{
	if (r->lbase != NULL)
		(void)printf("llama.cpp %.3f ms/token with its default split "
		    "over these devices (%.2fx slower)\n",
		    r->lbase->latency_s * 1e3,
		    r->lbase->latency_s / r->p->latency_s);
	else
		(void)printf("llama.cpp its default split over these devices "
		    "does not fit\n");
	if (r->base != NULL)
		(void)printf("exo       %.3f ms/token with a proportional split "
		    "over every device (%.2fx slower)\n",
		    r->base->latency_s * 1e3,
		    r->base->latency_s / r->p->latency_s);
	else
		(void)printf("exo       a proportional split over every device "
		    "does not fit\n");
}

static void
print_human(const struct plan_out *r)
{
	const struct pl_cluster	*c = r->c;
	const struct pl_plan	*p = r->p;
	const struct pl_device	*d;
	char			 mem[32], range[32];
	size_t			 i;

	(void)printf("plan for %s at context %llu (%s, KV read at %.0f "
	    "tokens, %.0f%% reserve): %zu stage%s on %zu device%s\n\n",
	    r->m->name, (unsigned long long)r->rq->context,
	    pl_engine_name(r->rq->engine), pl_request_fill(r->rq),
	    100 * r->rq->reserve, p->nstages, p->nstages == 1 ? "" : "s",
	    c->ndevices, c->ndevices == 1 ? "" : "s");
	(void)printf("  %-3s %-20s %-16s %-14s %s\n", "#", "device", "node",
	    "layers", "memory");
	for (i = 0; i < p->nstages; i++) {
		d = &c->devices[p->stages[i].device];
		human_bytes(mem, sizeof mem,
		    (double)p->stages[i].memory_bytes);
		(void)snprintf(range, sizeof range, "%u-%u (%u)",
		    p->stages[i].layer_start, p->stages[i].layer_end - 1,
		    p->stages[i].layer_end - p->stages[i].layer_start);
		(void)printf("  %-3zu %-20s %-16s %-14s %s\n", i + 1, d->id,
		    c->nodes[d->node].name, range, mem);
	}
	if (r->rq->engine == PL_ENGINE_LLAMA_CPP)
		(void)printf("\nclient    %s (llama-server; holds the input "
		    "embedding)", c->nodes[pl_request_client(c,
		    r->rq)].name);
	(void)printf("\nlatency   %.3f ms/token (%.1f tokens/s), %s\n",
	    p->latency_s * 1e3, 1 / p->latency_s, p->optimal ?
	    "proven optimal" : "not proven optimal");
	if (!p->optimal)
		(void)printf("bound     no plan is faster than %.3f ms/token "
		    "(gap %.1f%%)\n", p->lower_bound_s * 1e3,
		    100 * (p->latency_s - p->lower_bound_s) / p->latency_s);
	print_baselines(r);
	for (i = 0; i < r->orig->ndevices; i++)
		if (r->orig->devices[i].has_thermal && r->factors[i] < 1)
			(void)printf("thermal   %s %s (%.0f%% of full speed)\n",
			    r->orig->devices[i].id, verdict_name(r->factors[i]),
			    100 * r->factors[i]);
	(void)printf("solved    in %.2f ms by %s over %zu candidate "
	    "device%s (%llu search nodes)\n", r->ms, pl_method_name(p->method),
	    p->candidates, p->candidates == 1 ? "" : "s",
	    (unsigned long long)p->nodes);
}

static int
print_llama(const struct plan_out *r, const char *model_arg)
{
	struct ag_llama_stage	*st;
	struct ag_llama_job	 j;
	const struct pl_device	*d;
	size_t			 i, n = strlen(model_arg);
	char			 err[256];
	int			 rc;

	if ((st = calloc(r->p->nstages, sizeof *st)) == NULL)
		return -1;
	for (i = 0; i < r->p->nstages; i++) {
		d = &r->c->devices[r->p->stages[i].device];
		st[i].device = d->id;
		st[i].node = r->c->nodes[d->node].name;
		st[i].rpc = d->rpc;
		st[i].engine_device = d->engine_device;
		st[i].layers = r->p->stages[i].layer_end -
		    r->p->stages[i].layer_start;
	}
	memset(&j, 0, sizeof j);
	j.stages = st;
	j.nstages = r->p->nstages;
	j.model_layers = r->m->layers;
	j.context = r->rq->context;
	j.model_path = n > 5 && strcmp(model_arg + n - 5, ".gguf") == 0 ?
	    model_arg : NULL;
	j.client = r->c->nodes[pl_request_client(r->c, r->rq)].name;
	rc = ag_llamacmd_print(stdout, &j, err, sizeof err);
	if (rc != 0)
		(void)fprintf(stderr, "exogpu plan: %s\n", err);
	free(st);
	return rc;
}

static int
plan_solve(const struct plan_args *a, const struct pl_cluster *orig,
    const struct pl_cluster *c, const struct pl_model *m,
    const double *factors)
{
	struct pl_solve_opts	 o;
	struct pl_plan		 p, base, lbase;
	struct plan_out		 r;
	double			 t0;
	char			 err[512], berr[256];
	int			 rc = AG_EXIT_OK, brc, lrc;

	pl_solve_opts_init(&o);
	o.req = a->rq;
	o.budget_ms = a->budget;
	o.clock_ms = now_ms;
	if (a->budget == 0)
		o.method = PL_METHOD_GREEDY;
	t0 = now_ms(NULL);
	rc = pl_solve(c, m, &o, &p, err, sizeof err);
	memset(&r, 0, sizeof r);
	r.ms = now_ms(NULL) - t0;
	if (rc != PL_OK) {
		(void)fprintf(stderr, "exogpu plan: %s\n", err);
		return AG_EXIT_RUNTIME;
	}
	brc = pl_baseline(c, m, &o.req, &base, berr, sizeof berr);
	lrc = pl_baseline_llama(c, m, &o.req, &p, &lbase, berr, sizeof berr);
	if (brc == PL_ERROR || lrc == PL_ERROR) {
		(void)fprintf(stderr, "exogpu plan: %s\n", berr);
		rc = AG_EXIT_RUNTIME;
		goto out;
	}
	r.orig = orig;
	r.c = c;
	r.m = m;
	r.rq = &o.req;
	r.p = &p;
	r.base = brc == PL_OK ? &base : NULL;
	r.lbase = lrc == PL_OK ? &lbase : NULL;
	r.factors = factors;
	if (a->format == FMT_JSON) {
		if (print_json(&r) != 0) {
			(void)fprintf(stderr, "exogpu plan: cannot write "
			    "JSON\n");
			rc = AG_EXIT_RUNTIME;
		}
	} else if (a->format == FMT_LLAMA) {
		if (print_llama(&r, a->model) != 0)
			rc = AG_EXIT_RUNTIME;
	} else
		print_human(&r);
	if (fflush(stdout) != 0 && rc == AG_EXIT_OK)
		rc = AG_EXIT_RUNTIME;
out:
	if (brc == PL_OK)
		pl_plan_free(&base);
	if (lrc == PL_OK)
		pl_plan_free(&lbase);
	pl_plan_free(&p);
	return rc;
}

static int
plan_run(const struct ag_cmd *cmd, struct plan_args *a)
{
	struct pl_cluster	 orig, c;
	struct pl_model		 m;
	double			*factors = NULL;
	char			 err[512];
	int			 rc;

	if (ag_planio_read_cluster(a->cluster, &orig, err, sizeof err) != 0) {
		(void)fprintf(stderr, "exogpu plan: %s\n", err);
		return AG_EXIT_USAGE;
	}
	if (a->client != NULL &&
	    pl_cluster_find_node(&orig, a->client, &a->rq.client) != 0) {
		pl_cluster_free(&orig);
		return ag_usage_error(cmd, "--client: no node '%s' in %s",
		    a->client, a->cluster);
	}
	if ((rc = load_model(cmd, a->model, &m)) != AG_EXIT_OK) {
		pl_cluster_free(&orig);
		return rc;
	}
	if ((factors = calloc(orig.ndevices + 1, sizeof *factors)) == NULL ||
	    pl_cluster_apply_thermal(&orig, a->job, &c, factors) != 0) {
		free(factors);
		pl_cluster_free(&orig);
		(void)fprintf(stderr, "exogpu plan: out of memory\n");
		return AG_EXIT_RUNTIME;
	}
	rc = plan_solve(a, &orig, &c, &m, factors);
	free(factors);
	pl_cluster_free(&c);
	pl_cluster_free(&orig);
	return rc;
}

/*
 * Parses one option of the request: AG_EXIT_OK, a usage error, or -1
 * when ch is not one of them.
 */
static int
plan_opt(const struct ag_cmd *cmd, int ch, struct plan_args *a)
{
	double	v;

	switch (ch) {
	case 'C':
	case 'p':
	case 'g':
		if (parse_num(optarg, 0, PLAN_MAX_CTX, &v) != 0 ||
		    v != floor(v))
			return ag_usage_error(cmd, "--%s: an integer from 0 "
			    "to %u", ch == 'C' ? "context" : ch == 'p' ?
			    "prompt" : "generate", PLAN_MAX_CTX);
		if (ch == 'C')
			a->rq.context = (uint64_t)v;
		else if (ch == 'p')
			a->rq.prompt = (uint64_t)v;
		else
			a->rq.generate = (uint64_t)v;
		return AG_EXIT_OK;
	case 'e':
		if (pl_engine_parse(optarg, &a->rq.engine) != 0)
			return ag_usage_error(cmd, "--engine: llama.cpp or "
			    "ring");
		return AG_EXIT_OK;
	case 'r':
		if (parse_num(optarg, 0, PL_RESERVE_MAX, &a->rq.reserve) != 0)
			return ag_usage_error(cmd, "--reserve: a fraction "
			    "from 0 to %.2f", PL_RESERVE_MAX);
		return AG_EXIT_OK;
	case 't':
		if (parse_num(optarg, 0, 3600e3, &a->budget) != 0)
			return ag_usage_error(cmd, "--time-budget-ms: "
			    "a number from 0 to 3600000");
		return AG_EXIT_OK;
	case 'J':
		if (parse_num(optarg, 0, 1e9, &a->job) != 0)
			return ag_usage_error(cmd, "--job-seconds: a "
			    "number from 0 to 1e9");
		return AG_EXIT_OK;
	case 'f':
		if (strcmp(optarg, "human") == 0)
			a->format = FMT_HUMAN;
		else if (strcmp(optarg, "json") == 0)
			a->format = FMT_JSON;
		else if (strcmp(optarg, "llama.cpp") == 0)
			a->format = FMT_LLAMA;
		else
			return ag_usage_error(cmd, "--format: human, json or "
			    "llama.cpp");
		return AG_EXIT_OK;
	}
	return -1;
}

static int
plan_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cluster", required_argument, NULL, 'c' },
		{ "model", required_argument, NULL, 'm' },
		{ "context", required_argument, NULL, 'C' },
		{ "prompt", required_argument, NULL, 'p' },
		{ "generate", required_argument, NULL, 'g' },
		{ "engine", required_argument, NULL, 'e' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "client", required_argument, NULL, 'n' },
		{ "time-budget-ms", required_argument, NULL, 't' },
		{ "job-seconds", required_argument, NULL, 'J' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "list-models", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct plan_args	a;
	char			err[256];
	int			ch, rc;

	memset(&a, 0, sizeof a);
	pl_request_init(&a.rq);
	a.rq.context = PLAN_CONTEXT;
	a.budget = PLAN_BUDGET_MS;
	a.job = PLAN_JOB_S;
	while ((ch = ag_getopt(cmd, argc, argv, "c:m:C:p:g:e:r:n:t:J:jf:lh",
	    longopts)) != -1) {
		switch (ch) {
		case 'c':
			a.cluster = optarg;
			break;
		case 'm':
			a.model = optarg;
			break;
		case 'n':
			a.client = optarg;
			break;
		case 'j':
			a.format = FMT_JSON;
			break;
		case 'l':
			a.list = 1;
			break;
		default:
			if ((rc = plan_opt(cmd, ch, &a)) == -1)
				return ag_opt_exit(ch);
			if (rc != AG_EXIT_OK)
				return rc;
		}
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if (a.list)
		return list_models();
	if (a.cluster == NULL || a.model == NULL)
		return ag_usage_error(cmd, "--cluster and --model are "
		    "required");
	if (a.rq.prompt > a.rq.context ||
	    a.rq.generate > a.rq.context - a.rq.prompt) {
		(void)snprintf(err, sizeof err, "--prompt + --generate exceed "
		    "--context %llu", (unsigned long long)a.rq.context);
		return ag_usage_error(cmd, "%s", err);
	}
	return plan_run(cmd, &a);
}
