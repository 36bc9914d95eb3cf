/*
 * ag_llamacmd.h - a plan as the command lines that run it on llama.cpp
 * (`exogpu plan|place --format llama.cpp`; docs/engines.md).
 *
 * One rpc-server per stage, on the stage's node, exposing exactly the
 * stage's device, and one llama-server on the client node that lists the
 * servers in stage order.  Every value llama.cpp would otherwise choose
 * itself is given (devices, -ngl, -sm, -ts with the output slot counted
 * on the last stage, --fit off), so its automatic fit cannot rewrite the
 * split.  The printer takes plain stage descriptions so that `plan` (a
 * pl_plan) and `place` (the agent's JSON) share it.
 */
#ifndef AG_LLAMACMD_H
#define AG_LLAMACMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ag_engine.h"

#define AG_LLAMACMD_PORT	50052	/* rpc-server's default port */
#define AG_LLAMACMD_MAX_STAGES	64

struct ag_llama_stage {
	const char	*device;	/* exogpu device id */
	const char	*node;		/* node that runs its rpc-server */
	const char	*rpc;		/* "host:port", or NULL/"": node:port */
	const char	*engine_device;	/* llama.cpp's name ("CUDA0"), or NULL */
	uint32_t	 layers;
};

struct ag_llama_job {
	const struct ag_llama_stage *stages;
	size_t		 nstages;
	uint32_t	 model_layers;	/* L */
	uint64_t	 context;
	const char	*model_path;	/* the GGUF file, or NULL */
	const char	*client;	/* node of llama-server, or NULL */
};

/*
 * The arguments of one stage's RPC server after the program name
 * ("-H HOST -p PORT -d ENGINE_DEVICE"), shared by the printout and the
 * agent's supervised workers (agent/ag_worker.c).  0, or -1 when out is
 * too small.
 */
int	ag_llamacmd_server_args(const char *host, const char *port,
	    const char *engine_device, char *out, size_t len);

/*
 * llama-server's argv (program first, NULL-terminated) for the job:
 * -m MODEL --rpc EP,... --device RPC0,... -ngl L+1 -sm layer -ts ... -c C
 * --fit off.  eps[i] is stage i's endpoint ("127.0.0.1:PORT"), or eps
 * NULL for the printout's node:port endpoints.  The printout and
 * `exogpu run` share it.  0, or -1 with err (no stages, too long).
 */
int	ag_llamacmd_client_argv(const struct ag_llama_job *, const char *program,
	    const char *const *eps, struct ag_engine_argv *, char *, size_t);

/*
 * Writes the commands to f.  Returns 0, or -1 with err (no stages, layer
 * counts that do not add up to L, a value that would need shell quoting).
 */
int	ag_llamacmd_print(FILE *, const struct ag_llama_job *, char *, size_t);

#endif /* AG_LLAMACMD_H */
