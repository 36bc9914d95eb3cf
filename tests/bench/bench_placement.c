/*
 * bench_placement.c - solve time, proof rate and plan quality of the
 * placement solver on generated heterogeneous clusters.
 *
 * Clusters mix boxes of desktop GPUs (RTX 4090, 3090, 4060), A100
 * servers, M2-Max-class Macs, laptops (iGPU + CPU) and CPU-only machines;
 * nodes talk over Thunderbolt (5 us, 5 GB/s), 10GbE, 1GbE or Wi-Fi
 * (2 ms, 50 MB/s), a pair using the slower of its two NICs.  The model is
 * Llama-3-70B at q4_0 (80 layers) at context 4096, cost model v2 with
 * the request's defaults (llama.cpp profile, client on the first node, KV
 * read at half the context, 10 % reserve).  Per cluster size it prints
 * the median solve time over the seeds, the fraction of solves proven
 * optimal within the 1 s budget, and two geometric means of baseline
 * latency / our latency over the seeds where that baseline is feasible:
 * llama.cpp's default split (by memory) over the devices our plan uses,
 * in our order, and the exo-style proportional split over every device.
 * Both baselines are priced under the same engine profile.
 *
 * Usage: bench_placement [--quick] [--seeds N] [--budget-ms N]
 *                        [--method auto|dp|bnb|greedy]
 *                        [--engine llama.cpp|ring]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pl_cluster.h"
#include "pl_model.h"
#include "pl_solve.h"
#include "bench.h"

struct gpu {
	const char	*name;
	double		 mem_gb, bw_gbs, tflops;
	unsigned	 dtypes;
};

#define DT_GPU	(PL_DT_BIT(PL_DT_FP16) | PL_DT_BIT(PL_DT_Q8_0) | \
	PL_DT_BIT(PL_DT_Q4_0))
#define DT_ALL	(DT_GPU | PL_DT_BIT(PL_DT_FP32) | PL_DT_BIT(PL_DT_BF16))

static const struct gpu gpus[] = {
	{ "rtx4090", 24, 1008, 82.6, DT_GPU },
	{ "rtx3090", 24, 936, 35.6, DT_GPU },
	{ "rtx4060", 8, 272, 15.1, DT_GPU },
	{ "a100", 80, 2039, 312, DT_ALL },
	{ "m2max", 48, 400, 13.6, DT_GPU },
	{ "igpu", 8, 90, 4.0, DT_GPU },
	{ "cpu", 64, 80, 1.5, DT_ALL },
};

struct nic {
	double	lat_s, bw;
};

static const struct nic nics[] = {
	{ 5e-6, 5e9 },		/* Thunderbolt */
	{ 50e-6, 1.1e9 },	/* 10GbE */
	{ 150e-6, 110e6 },	/* 1GbE */
	{ 2e-3, 50e6 },		/* Wi-Fi */
};

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
now_ms(void *ctx)
{
	struct timespec	ts;

	(void)ctx;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
add_dev(struct pl_cluster *c, size_t node, const struct gpu *g, size_t *n,
    size_t want)
{
	struct pl_device	d;

	if (*n >= want)
		return 0;
	memset(&d, 0, sizeof d);
	(void)snprintf(d.id, sizeof d.id, "%s-%zu", g->name, *n);
	d.node = node;
	d.memory_bytes = (uint64_t)(g->mem_gb * 1e9);
	d.bandwidth = g->bw_gbs * 1e9;
	d.flops = g->tflops * 1e12;
	d.dtypes = g->dtypes;
	d.eligible = 1;
	(*n)++;
	return pl_cluster_add_device(c, &d);
}

/*
 * The adversarial case: one device per node, every pair linked with its
 * own latency (10 us .. 2 ms) and bandwidth (50 MB/s .. 5 GB/s), so no
 * two devices are interchangeable and the hop bound is loose.
 */
static int
gen_random_links(struct pl_cluster *c, size_t want, int hard)
{
	size_t	i, j, node, n = 0;
	char	name[32];
	double	lat, bw;

	for (i = 0; i < want; i++) {
		(void)snprintf(name, sizeof name, "node%zu", i);
		if (pl_cluster_node(c, name, &node) != 0 ||
		    add_dev(c, node, &gpus[hard ? rng() % 2 : rng() % 7], &n,
		    want) != 0)
			goto fail;
	}
	for (i = 0; i < c->nnodes; i++) {
		for (j = i + 1; j < c->nnodes; j++) {
			lat = 10e-6 * pow(200, (double)(rng() % 1000) / 1000);
			bw = 50e6 * pow(100, (double)(rng() % 1000) / 1000);
			if (pl_cluster_add_link(c, i, j, lat, bw) != 0)
				goto fail;
		}
	}
	return 0;
fail:
	pl_cluster_free(c);
	return -1;
}

/* A cluster of exactly want devices. */
static int
gen(struct pl_cluster *c, size_t want, int servers)
{
	size_t	n = 0, node, i, j, k, per, nn;
	int	*nic;
	char	name[32];

	pl_cluster_init(c);
	if (servers >= 2)
		return gen_random_links(c, want, servers == 3);
	if ((nic = calloc(want, sizeof *nic)) == NULL)
		return -1;
	for (nn = 0; n < want; nn++) {
		(void)snprintf(name, sizeof name, "node%zu", nn);
		if (pl_cluster_node(c, name, &node) != 0)
			goto fail;
		k = rng() % 6;
		if (k == 2 && !servers)
			k = rng() % 2;
		switch (k) {
		case 0:		/* desktop: 1-4 identical GPUs + CPU */
		case 1:
			per = 1 + rng() % 4;
			k = rng() % 3;
			for (i = 0; i < per; i++)
				if (add_dev(c, node, &gpus[k], &n, want) != 0)
					goto fail;
			if (rng() % 2 && add_dev(c, node, &gpus[6], &n,
			    want) != 0)
				goto fail;
			nic[node] = 1 + (int)(rng() % 3);
			break;
		case 2:		/* A100 server */
			per = 1 + rng() % 4;
			for (i = 0; i < per; i++)
				if (add_dev(c, node, &gpus[3], &n, want) != 0)
					goto fail;
			nic[node] = 1;
			break;
		case 3:		/* Mac */
			if (add_dev(c, node, &gpus[4], &n, want) != 0)
				goto fail;
			nic[node] = (int)(rng() % 4);
			break;
		case 4:		/* laptop */
			if (add_dev(c, node, &gpus[5], &n, want) != 0 ||
			    add_dev(c, node, &gpus[6], &n, want) != 0)
				goto fail;
			nic[node] = 2 + (int)(rng() % 2);
			break;
		default:	/* CPU box */
			if (add_dev(c, node, &gpus[6], &n, want) != 0)
				goto fail;
			nic[node] = 1 + (int)(rng() % 3);
			break;
		}
	}
	for (i = 0; i < c->nnodes; i++) {
		for (j = i + 1; j < c->nnodes; j++) {
			int a = nic[i], b = nic[j];

			/* Thunderbolt only joins two TB nodes directly. */
			if ((a == 0) != (b == 0))
				a = b = 1;
			k = (size_t)(a > b ? a : b);
			if (pl_cluster_add_link(c, i, j, nics[k].lat_s,
			    nics[k].bw) != 0)
				goto fail;
		}
	}
	free(nic);
	return 0;
fail:
	free(nic);
	pl_cluster_free(c);
	return -1;
}

int
main(int argc, char **argv)
{
	static const size_t full[] = { 4, 8, 10, 12, 16, 32, 64, 128 };
	static const size_t quick[] = { 4, 8, 10, 12 };
	const size_t		*sizes = full;
	size_t			 nsizes = sizeof full / sizeof full[0];
	struct pl_model		 m;
	struct pl_solve_opts	 o;
	struct pl_plan		 plan, base;
	struct pl_cluster	 c;
	double			*ms, lratio, llratio, t0;
	size_t			 si, s, nopt, nbase, nok, nll, redraws = 0;
	int			 seeds = 9, i, rc, scen;
	double			 budget = 1000;
	enum pl_method		 method = PL_METHOD_AUTO;
	enum pl_engine		 engine = PL_ENGINE_LLAMA_CPP;
	char			 err[256];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			sizes = quick;
			nsizes = sizeof quick / sizeof quick[0];
			seeds = 3;
		} else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
			seeds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--budget-ms") == 0 && i + 1 < argc)
			budget = atof(argv[++i]);
		else if (strcmp(argv[i], "--engine") == 0 && i + 1 < argc) {
			if (pl_engine_parse(argv[++i], &engine) != 0)
				return 2;
		}
		else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "dp") == 0)
				method = PL_METHOD_DP;
			else if (strcmp(argv[i], "bnb") == 0)
				method = PL_METHOD_BNB;
			else if (strcmp(argv[i], "greedy") == 0)
				method = PL_METHOD_GREEDY;
		}
		else {
			(void)fprintf(stderr, "usage: bench_placement "
			    "[--quick] [--seeds N] [--budget-ms N] "
			    "[--method auto|dp|bnb|greedy] "
			    "[--engine llama.cpp|ring]\n");
			return 2;
		}
	}
	if (seeds < 1 || pl_catalog_find("llama-3-70b:q4_0", &m) != 0)
		return 2;
	if ((ms = calloc((size_t)seeds, sizeof *ms)) == NULL)
		return 1;
	pl_solve_opts_init(&o);
	o.req.context = 4096;
	o.req.engine = engine;
	o.budget_ms = budget;
	o.clock_ms = now_ms;
	o.method = method;
	(void)printf("model %s, context %llu, engine %s, reserve %.0f%%, "
	    "budget %.0f ms, %d seeds\n", m.name,
	    (unsigned long long)o.req.context, pl_engine_name(engine),
	    100 * o.req.reserve, budget, seeds);
	for (scen = 1; scen <= 4; scen++) {
	if (scen == 4 && pl_catalog_find("llama-3.1-405b:q4_0", &m) != 0)
		return 2;
	(void)printf("\n%s\n", scen == 1 ? "mixed clusters (A100 servers, "
	    "desktops, Macs, laptops, CPUs)" : scen == 3 ? "consumer "
	    "clusters (no servers: desktops, Macs, laptops, CPUs)" :
	    scen == 2 ? "adversarial: one device per node, random pairwise "
	    "links" : "hard: llama-3.1-405b:q4_0 over 3090/4090s, one per "
	    "node, random pairwise links");
	(void)printf("%7s %12s %12s %8s %10s %8s %10s %8s\n", "devices",
	    "median_ms", "max_ms", "optimal", "vs_llama", "llama_ok",
	    "vs_exo", "exo_ok");
	for (si = 0; si < nsizes; si++) {
		if (scen == 4 && sizes[si] < 12)
			continue;	/* 405B needs ten 24 GB cards */
		nopt = nbase = nok = nll = 0;
		lratio = llratio = 0;
		for (s = 0; s < (size_t)seeds; s++) {
			rng_state = 1000 * sizes[si] + s + 7919 * redraws;
			if (gen(&c, sizes[si], scen == 4 ? 3 : scen % 3) != 0)
				return 1;
			t0 = now_ms(NULL);
			rc = pl_solve(&c, &m, &o, &plan, err, sizeof err);
			ms[s] = now_ms(NULL) - t0;
			if (rc != PL_OK) {
				/* Too little memory for the model: redraw. */
				pl_cluster_free(&c);
				if (++redraws > 1000)
					return 1;
				rng_state += 7919;
				s--;
				continue;
			}
			nok++;
			nopt += plan.optimal;
			if (pl_baseline(&c, &m, &o.req, &base, err,
			    sizeof err) == PL_OK) {
				lratio += log(base.latency_s / plan.latency_s);
				nbase++;
				pl_plan_free(&base);
			}
			if (pl_baseline_llama(&c, &m, &o.req, &plan, &base,
			    err, sizeof err) == PL_OK) {
				llratio += log(base.latency_s /
				    plan.latency_s);
				nll++;
				pl_plan_free(&base);
			}
			pl_plan_free(&plan);
			pl_cluster_free(&c);
		}
		qsort(ms, (size_t)seeds, sizeof *ms, bench_cmp_double);
		(void)printf("%7zu %12.2f %12.2f %7.0f%% ", sizes[si],
		    ms[seeds / 2], ms[seeds - 1],
		    100.0 * (double)nopt / (double)nok);
		if (nll > 0)
			(void)printf("%9.2fx", exp(llratio / (double)nll));
		else
			(void)printf("%10s", "n/a");
		(void)printf(" %5zu/%d ", nll, seeds);
		if (nbase > 0)
			(void)printf("%9.2fx", exp(lratio / (double)nbase));
		else
			(void)printf("%10s", "n/a");
		(void)printf(" %5zu/%d\n", nbase, seeds);
		(void)fflush(stdout);
	}
	}
	free(ms);
	return 0;
}
