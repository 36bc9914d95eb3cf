/*
 * ag_llamacmd.c - printing a plan as llama.cpp command lines (see
 * ag_llamacmd.h and docs/engines.md for the mapping rule and the
 * llama.cpp version it was checked against).
 *
 * Stages become RPC devices in --rpc order (llama.cpp names them RPC0,
 * RPC1, ... as it registers them), so --device lists RPC0..RPCk-1 and
 * -ts lists the layer counts in that order.  llama.cpp splits L + 1 slots
 * (the blocks, then the output layer) by the running total of -ts, so the
 * last stage gets its layer count + 1 and -ngl is L + 1.
 */
#include "ag_llamacmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAFE	"0123456789abcdefghijklmnopqrstuvwxyz" \
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ._-:/[]@+,="

/* Letters and punctuation the shell leaves alone. */
static int
plain(const char *s)
{
	return s != NULL && *s != '\0' && strspn(s, SAFE) == strlen(s);
}

/* The endpoint of stage i: its own, else node:port with a port per
 * earlier stage on the same node. */
static int
endpoint(const struct ag_llama_job *j, size_t i, char *buf, size_t len)
{
	const struct ag_llama_stage	*s = &j->stages[i];
	size_t				 k, n = 0;
	int				 w;

	if (s->rpc != NULL && s->rpc[0] != '\0')
		w = snprintf(buf, len, "%s", s->rpc);
	else {
		for (k = 0; k < i; k++)
			if (strcmp(j->stages[k].node, s->node) == 0 &&
			    (j->stages[k].rpc == NULL ||
			    j->stages[k].rpc[0] == '\0'))
				n++;
		w = snprintf(buf, len, "%s:%zu", s->node,
		    AG_LLAMACMD_PORT + n);
	}
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

static int
check(const struct ag_llama_job *j, char *err, size_t errlen)
{
	uint64_t	sum = 0;
	size_t		i;

	if (j->nstages == 0) {
		(void)snprintf(err, errlen, "the plan has no stages");
		return -1;
	}
	for (i = 0; i < j->nstages; i++) {
		if (j->stages[i].layers == 0 || !plain(j->stages[i].node) ||
		    (j->stages[i].rpc != NULL && j->stages[i].rpc[0] != '\0' &&
		    !plain(j->stages[i].rpc)) ||
		    (j->stages[i].engine_device != NULL &&
		    j->stages[i].engine_device[0] != '\0' &&
		    !plain(j->stages[i].engine_device))) {
			(void)snprintf(err, errlen, "stage %zu: no layers or "
			    "a name the shell would need quoted", i + 1);
			return -1;
		}
		sum += j->stages[i].layers;
	}
	if (sum != j->model_layers) {
		(void)snprintf(err, errlen, "stages hold %llu of %u layers",
		    (unsigned long long)sum, j->model_layers);
		return -1;
	}
	if (j->model_path != NULL && !plain(j->model_path)) {
		(void)snprintf(err, errlen, "model path needs shell quoting");
		return -1;
	}
	return 0;
}

int
ag_llamacmd_server_args(const char *host, const char *port,
    const char *engine_device, char *out, size_t len)
{
	int	w = snprintf(out, len, "-H %s -p %s -d %s", host, port,
		    engine_device);

	return w < 0 || (size_t)w >= len ? -1 : 0;
}

static void
print_servers(FILE *f, const struct ag_llama_job *j)
{
	const struct ag_llama_stage	*s;
	char				 ep[128], args[256], *port;
	size_t				 i;

	for (i = 0; i < j->nstages; i++) {
		s = &j->stages[i];
		if (endpoint(j, i, ep, sizeof ep) != 0)
			continue;
		port = strrchr(ep, ':');
		*port++ = '\0';
		(void)fprintf(f, "# stage %zu on node %s: %s, %u layers\n",
		    i + 1, s->node, s->device, s->layers);
		if (ag_llamacmd_server_args(ep, port, s->engine_device !=
		    NULL && s->engine_device[0] != '\0' ? s->engine_device :
		    "ENGINE_DEVICE", args, sizeof args) == 0)
			(void)fprintf(f, "ggml-rpc-server %s\n", args);
	}
}

static int	add(struct ag_engine_argv *, size_t *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Appends one word to a. */
static int
add(struct ag_engine_argv *a, size_t *used, const char *fmt, ...)
{
	va_list	ap;
	int	w;

	if (a->argc >= AG_ENGINE_MAX_ARGS)
		return -1;
	va_start(ap, fmt);
	w = vsnprintf(a->buf + *used, sizeof a->buf - *used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= sizeof a->buf - *used)
		return -1;
	a->argv[a->argc++] = a->buf + *used;
	a->argv[a->argc] = NULL;
	*used += (size_t)w + 1;
	return 0;
}

/* A comma-separated list word: the stages' endpoints, devices or -ts. */
static int
add_list(struct ag_engine_argv *a, size_t *used,
    const struct ag_llama_job *j, const char *const *eps, int what)
{
	char	word[2048], ep[128];
	size_t	i, n = 0;
	int	w;

	word[0] = '\0';
	for (i = 0; i < j->nstages; i++) {
		if (what == 0 && eps != NULL && eps[i] != NULL)
			(void)snprintf(ep, sizeof ep, "%s", eps[i]);
		else if (what == 0 && endpoint(j, i, ep, sizeof ep) != 0)
			(void)snprintf(ep, sizeof ep, "?");
		if (what == 1)
			(void)snprintf(ep, sizeof ep, "RPC%zu", i);
		else if (what == 2)
			(void)snprintf(ep, sizeof ep, "%u", j->stages[i].layers +
			    (i + 1 == j->nstages ? 1 : 0));
		w = snprintf(word + n, sizeof word - n, "%s%s", i > 0 ? "," :
		    "", ep);
		if (w < 0 || (size_t)w >= sizeof word - n)
			return -1;
		n += (size_t)w;
	}
	return add(a, used, "%s", word);
}

int
ag_llamacmd_client_argv(const struct ag_llama_job *j, const char *program,
    const char *const *eps, struct ag_engine_argv *a, char *err,
    size_t errlen)
{
	size_t	used = 0;

	memset(a, 0, sizeof *a);
	if (j->nstages == 0 || j->nstages > AG_LLAMACMD_MAX_STAGES) {
		(void)snprintf(err, errlen, "%zu stages (1..%d)", j->nstages,
		    AG_LLAMACMD_MAX_STAGES);
		return -1;
	}
	if (add(a, &used, "%s", program) != 0 || add(a, &used, "-m") != 0 ||
	    add(a, &used, "%s", j->model_path != NULL ? j->model_path :
	    "MODEL.gguf") != 0 || add(a, &used, "--rpc") != 0 ||
	    add_list(a, &used, j, eps, 0) != 0 ||
	    add(a, &used, "--device") != 0 || add_list(a, &used, j, eps, 1) ||
	    add(a, &used, "-ngl") != 0 ||
	    add(a, &used, "%u", j->model_layers + 1) != 0 ||
	    add(a, &used, "-sm") != 0 || add(a, &used, "layer") != 0 ||
	    add(a, &used, "-ts") != 0 || add_list(a, &used, j, eps, 2) != 0 ||
	    add(a, &used, "-c") != 0 ||
	    add(a, &used, "%llu", (unsigned long long)j->context) != 0 ||
	    add(a, &used, "--fit") != 0 || add(a, &used, "off") != 0) {
		(void)snprintf(err, errlen, "llama-server's command line is "
		    "too long");
		return -1;
	}
	return 0;
}

static void
print_client(FILE *f, const struct ag_llama_job *j)
{
	struct ag_engine_argv	*a = malloc(sizeof *a);
	char			 err[128];
	int			 i;

	(void)fprintf(f, "# client on node %s\n",
	    j->client != NULL ? j->client : "(any)");
	if (a == NULL || ag_llamacmd_client_argv(j, "llama-server", NULL, a,
	    err, sizeof err) != 0)
		(void)fprintf(f, "# (%s)\n", a == NULL ? "out of memory" : err);
	else
		for (i = 0; i < a->argc; i++)
			(void)fprintf(f, "%s%s", a->argv[i], i + 1 < a->argc ?
			    " " : "\n");
	free(a);
}

int
ag_llamacmd_print(FILE *f, const struct ag_llama_job *j, char *err,
    size_t errlen)
{
	size_t	i;
	int	missing = 0;

	if (check(j, err, errlen) != 0)
		return -1;
	for (i = 0; i < j->nstages; i++)
		if (j->stages[i].engine_device == NULL ||
		    j->stages[i].engine_device[0] == '\0')
			missing = 1;
	(void)fprintf(f, "# llama.cpp commands for this plan, each on the node "
	    "named above it.\n# The RPC protocol has no authentication "
	    "or encryption: trusted networks only.\n");
	if (missing)
		(void)fprintf(f, "# ENGINE_DEVICE: the name llama.cpp gives "
		    "that device (ggml-rpc-server --help lists them;\n# give "
		    "engine_device in the cluster file to have it filled "
		    "in).\n");
	print_servers(f, j);
	(void)fprintf(f, "# RPC devices are numbered in --rpc order; -ts "
	    "counts the output layer\n# (slot %u) on the last stage.\n",
	    j->model_layers);
	print_client(f, j);
	return ferror(f) ? (snprintf(err, errlen, "write error"), -1) : 0;
}
