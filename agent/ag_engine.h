/*
 * ag_engine.h - the inference engine a node runs its placed stages on:
 * where its binaries are, the worker's command line, the restart backoff
 * and the llama.cpp RPC hello that proves a worker answers
 * (docs/engines.md, "Workers").
 *
 * Everything here is pure (inputs in, text or bytes out) so the unit
 * tests cover it without a process, a socket or llama.cpp; the process
 * side is agent/ag_worker.c.  A worker command is never given to a
 * shell: a template is split into an argv here (blanks separate words,
 * '...' and "..." group them, nothing else is special) and its
 * placeholders are substituted word by word, so a value can never become
 * two words or a shell construct.
 */
#ifndef AG_ENGINE_H
#define AG_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#define AG_ENGINE_MAX_ARGS	64
#define AG_ENGINE_ARGS_BYTES	8192

/* Restart backoff: 1 s doubling to 30 s; reset after a healthy minute. */
#define AG_ENGINE_BACKOFF_MIN_S	1.0
#define AG_ENGINE_BACKOFF_MAX_S	30.0
#define AG_ENGINE_HEALTHY_S	60.0

/* The names llama.cpp's RPC server has had (newest first). */
extern const char *const ag_engine_rpc_names[];
extern const char *const ag_engine_llama_names[];

struct ag_engine_argv {
	int	 argc;
	char	*argv[AG_ENGINE_MAX_ARGS + 1];	/* NULL-terminated */
	char	 buf[AG_ENGINE_ARGS_BYTES];
};

/* The values a worker command may name: %PORT% %HOST% %DEVICE% (the
 * exogpu device id on this node) %ENGINE_DEVICE% %PLACEMENT% %STAGE%;
 * %% is a per cent sign. */
struct ag_engine_vars {
	int		 port;
	const char	*host;
	const char	*device;
	const char	*engine_device;	/* NULL: "" */
	uint64_t	 placement;
	unsigned	 stage;
};

/*
 * Splits tmpl into out's argv with the placeholders substituted.  0, or
 * -1 with err (empty, unbalanced quote, unknown placeholder, too long).
 */
int	ag_engine_expand(const char *tmpl, const struct ag_engine_vars *,
	    struct ag_engine_argv *out, char *err, size_t errlen);

/*
 * The executable to run: given when not "" (it must be executable),
 * else the first of names found in the directories of path (a PATH
 * value; NULL or "" finds nothing).  0 with out, or -1 with err saying
 * what was looked for.
 */
int	ag_engine_find(const char *given, const char *const *names,
	    const char *path, char *out, size_t outlen, char *err,
	    size_t errlen);

/*
 * llama.cpp's name for a device of this node: the entry DEVICE=NAME of
 * map ("ID=NAME,ID=NAME", the engine-devices setting), else "CPU" for
 * the device "cpu".  0, or -1 when no name is known.
 */
int	ag_engine_device_name(const char *map, const char *device, char *out,
	    size_t outlen);
/* Whether map is well-formed (empty, or ID=NAME entries of plain names). */
int	ag_engine_map_valid(const char *map);

/* Seconds to wait before restart number failures (1, 2, ...). */
double	ag_engine_backoff(unsigned failures);

/*
 * The RPC hello of llama.cpp's ggml-rpc protocol 5 (checked against
 * ggml/src/ggml-rpc/ggml-rpc.cpp): the command byte, the request size
 * (8 bytes, little-endian) and a request of zeroed capabilities.
 */
#define AG_ENGINE_RPC_HELLO_LEN		(1 + 8 + 24)
#define AG_ENGINE_RPC_REPLY_LEN		(8 + 28)
void	ag_engine_rpc_hello(uint8_t out[AG_ENGINE_RPC_HELLO_LEN]);
/*
 * Checks the reply so far: 0 incomplete, 1 a protocol 5 server (version
 * into ver as "5.1.0"), -1 not an RPC server of that protocol (why in
 * ver).
 */
int	ag_engine_rpc_reply(const uint8_t *buf, size_t len, char *ver,
	    size_t verlen);

#endif /* AG_ENGINE_H */
