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

#include <stdio.h>
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

static void
print_client(FILE *f, const struct ag_llama_job *j)
{
	char	ep[128];
	size_t	i;

	(void)fprintf(f, "# client on node %s\nllama-server -m %s --rpc ",
	    j->client != NULL ? j->client : "(any)",
	    j->model_path != NULL ? j->model_path : "MODEL.gguf");
	for (i = 0; i < j->nstages; i++) {
		if (endpoint(j, i, ep, sizeof ep) != 0)
			(void)snprintf(ep, sizeof ep, "?");
		(void)fprintf(f, "%s%s", i > 0 ? "," : "", ep);
	}
	(void)fprintf(f, " --device ");
	for (i = 0; i < j->nstages; i++)
		(void)fprintf(f, "%sRPC%zu", i > 0 ? "," : "", i);
	(void)fprintf(f, " -ngl %u -sm layer -ts ", j->model_layers + 1);
	for (i = 0; i < j->nstages; i++)
		(void)fprintf(f, "%s%u", i > 0 ? "," : "",
		    j->stages[i].layers + (i + 1 == j->nstages ? 1 : 0));
	(void)fprintf(f, " -c %llu --fit off\n",
	    (unsigned long long)j->context);
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
