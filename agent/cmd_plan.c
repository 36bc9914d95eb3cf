/*
 * cmd_plan.c - `exogpu plan`: place a model's layers on a cluster described
 * by a JSON file, offline.
 *
 * The same solver the leader runs on its gossiped snapshot, fed from files
 * so that a placement can be tried, compared with the exo-style baseline
 * and scripted (--json) without a running cluster.  The thermal model is
 * applied first (devices that would overheat during --job-seconds are
 * derated or left out), then the exact search runs within the budget.
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

#include "ag_cmd.h"
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
	"--cluster FILE --model NAME|FILE [--context N] [--time-budget-ms N]\n"
	"       [--job-seconds N] [--json] | --list-models",
	"place a model's layers on a cluster (offline solver)",
	"  -c, --cluster FILE        cluster description (JSON, see "
	"docs/placement.md)\n"
	"  -m, --model NAME|FILE     catalog model (e.g. llama-3-70b:q4_0) or "
	"a model JSON\n"
	"                            file (a name with '/' or ending in "
	".json)\n"
	"  -C, --context N           context length in tokens (default 4096)\n"
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
	struct timespec	ts;

	(void)ctx;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

static int
load_model(const struct ag_cmd *cmd, const char *arg, struct pl_model *m)
{
	char	err[512];
	size_t	n = strlen(arg);

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
		    "--list-models, or give a model JSON file)", arg);
	return AG_EXIT_OK;
}

static const char *
verdict_name(double factor)
{
	return factor <= 0 ? "excluded" : factor < 1 ? "derated" : "ok";
}

static int
print_json(const struct pl_cluster *orig, const struct pl_cluster *c,
    const struct pl_model *m, uint64_t ctx, const struct pl_plan *p,
    double ms, const struct pl_plan *base, const double *factors)
{
	json_t	*o, *th, *e;
	size_t	 i;
	int	 rc = 0;

	if ((o = ag_planio_plan_json(c, m, ctx, p, ms, base)) == NULL)
		return -1;
	if ((th = json_array()) == NULL) {
		json_decref(o);
		return -1;
	}
	for (i = 0; i < orig->ndevices; i++) {
		if (!orig->devices[i].has_thermal)
			continue;
		e = json_pack("{s:s, s:s, s:f}", "device",
		    orig->devices[i].id, "verdict", verdict_name(factors[i]),
		    "factor", factors[i]);
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
print_human(const struct pl_cluster *orig, const struct pl_cluster *c,
    const struct pl_model *m, uint64_t ctx, const struct pl_plan *p,
    double ms, const struct pl_plan *base, const double *factors)
{
	const struct pl_device	*d;
	char			 mem[32], range[32];
	size_t			 i;

	(void)printf("plan for %s at context %llu: %zu stage%s on %zu "
	    "device%s\n\n", m->name, (unsigned long long)ctx, p->nstages,
	    p->nstages == 1 ? "" : "s", c->ndevices,
	    c->ndevices == 1 ? "" : "s");
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
	(void)printf("\nlatency   %.3f ms/token (%.1f tokens/s), %s\n",
	    p->latency_s * 1e3, 1 / p->latency_s, p->optimal ?
	    "proven optimal" : "not proven optimal");
	if (!p->optimal)
		(void)printf("bound     no plan is faster than %.3f ms/token "
		    "(gap %.1f%%)\n", p->lower_bound_s * 1e3,
		    100 * (p->latency_s - p->lower_bound_s) / p->latency_s);
	if (base != NULL)
		(void)printf("baseline  %.3f ms/token with exo's proportional "
		    "split (%.2fx slower)\n", base->latency_s * 1e3,
		    base->latency_s / p->latency_s);
	else
		(void)printf("baseline  exo's proportional split does not fit "
		    "this cluster\n");
	for (i = 0; i < orig->ndevices; i++)
		if (orig->devices[i].has_thermal && factors[i] < 1)
			(void)printf("thermal   %s %s (%.0f%% of full speed)\n",
			    orig->devices[i].id, verdict_name(factors[i]),
			    100 * factors[i]);
	(void)printf("solved    in %.2f ms by %s over %zu candidate "
	    "device%s (%llu search nodes)\n", ms, pl_method_name(p->method),
	    p->candidates, p->candidates == 1 ? "" : "s",
	    (unsigned long long)p->nodes);
}

static int
plan_run(const struct ag_cmd *cmd, const char *cluster_path,
    const char *model_arg, uint64_t ctx, double budget, double job_s,
    int json)
{
	struct pl_cluster	 orig, c;
	struct pl_model		 m;
	struct pl_solve_opts	 o;
	struct pl_plan		 p, base;
	double			*factors = NULL, t0, ms;
	char			 err[512], berr[256];
	int			 rc, brc;

	if (ag_planio_read_cluster(cluster_path, &orig, err, sizeof err) != 0) {
		(void)fprintf(stderr, "exogpu plan: %s\n", err);
		return AG_EXIT_USAGE;
	}
	if ((rc = load_model(cmd, model_arg, &m)) != AG_EXIT_OK) {
		pl_cluster_free(&orig);
		return rc;
	}
	if ((factors = calloc(orig.ndevices + 1, sizeof *factors)) == NULL ||
	    pl_cluster_apply_thermal(&orig, job_s, &c, factors) != 0) {
		free(factors);
		pl_cluster_free(&orig);
		(void)fprintf(stderr, "exogpu plan: out of memory\n");
		return AG_EXIT_RUNTIME;
	}
	pl_solve_opts_init(&o);
	o.context = ctx;
	o.budget_ms = budget;
	o.clock_ms = now_ms;
	if (budget == 0)
		o.method = PL_METHOD_GREEDY;
	t0 = now_ms(NULL);
	rc = pl_solve(&c, &m, &o, &p, err, sizeof err);
	ms = now_ms(NULL) - t0;
	if (rc != PL_OK) {
		(void)fprintf(stderr, "exogpu plan: %s\n", err);
		rc = AG_EXIT_RUNTIME;
		goto out;
	}
	brc = pl_baseline(&c, &m, ctx, &base, berr, sizeof berr);
	if (brc == PL_ERROR) {
		pl_plan_free(&p);
		(void)fprintf(stderr, "exogpu plan: %s\n", berr);
		rc = AG_EXIT_RUNTIME;
		goto out;
	}
	if (json) {
		if (print_json(&orig, &c, &m, ctx, &p, ms,
		    brc == PL_OK ? &base : NULL, factors) != 0) {
			(void)fprintf(stderr, "exogpu plan: cannot write "
			    "JSON\n");
			rc = AG_EXIT_RUNTIME;
		}
	} else
		print_human(&orig, &c, &m, ctx, &p, ms,
		    brc == PL_OK ? &base : NULL, factors);
	if (brc == PL_OK)
		pl_plan_free(&base);
	pl_plan_free(&p);
	if (fflush(stdout) != 0 && rc == AG_EXIT_OK)
		rc = AG_EXIT_RUNTIME;
out:
	free(factors);
	pl_cluster_free(&c);
	pl_cluster_free(&orig);
	return rc;
}

static int
plan_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cluster", required_argument, NULL, 'c' },
		{ "model", required_argument, NULL, 'm' },
		{ "context", required_argument, NULL, 'C' },
		{ "time-budget-ms", required_argument, NULL, 't' },
		{ "job-seconds", required_argument, NULL, 'J' },
		{ "json", no_argument, NULL, 'j' },
		{ "list-models", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*cluster = NULL, *model = NULL;
	double		 ctx = PLAN_CONTEXT, budget = PLAN_BUDGET_MS;
	double		 job = PLAN_JOB_S;
	int		 ch, json = 0, list = 0;

	while ((ch = ag_getopt(cmd, argc, argv, "c:m:C:t:J:jlh",
	    longopts)) != -1) {
		switch (ch) {
		case 'c':
			cluster = optarg;
			break;
		case 'm':
			model = optarg;
			break;
		case 'C':
			if (parse_num(optarg, 0, PLAN_MAX_CTX, &ctx) != 0 ||
			    ctx != floor(ctx))
				return ag_usage_error(cmd, "--context: an "
				    "integer from 0 to %u", PLAN_MAX_CTX);
			break;
		case 't':
			if (parse_num(optarg, 0, 3600e3, &budget) != 0)
				return ag_usage_error(cmd, "--time-budget-ms: "
				    "a number from 0 to 3600000");
			break;
		case 'J':
			if (parse_num(optarg, 0, 1e9, &job) != 0)
				return ag_usage_error(cmd, "--job-seconds: a "
				    "number from 0 to 1e9");
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			list = 1;
			break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if (list)
		return list_models();
	if (cluster == NULL || model == NULL)
		return ag_usage_error(cmd, "--cluster and --model are "
		    "required");
	return plan_run(cmd, cluster, model, (uint64_t)ctx, budget, job,
	    json);
}
