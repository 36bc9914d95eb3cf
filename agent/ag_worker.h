/*
 * ag_worker.h - the engine workers this node runs for the stages of
 * committed placements that sit on its devices (docs/engines.md,
 * "Workers").
 *
 * The node hands over the applied placements whenever they may have
 * changed (ag_workers_sync); the supervisor starts one process per local
 * stage (bound to 127.0.0.1, on a free port it picks), checks it answers
 * (a TCP connect, plus llama.cpp's RPC hello for rpc-server), restarts it
 * with backoff when it dies, and stops it when its placement is released
 * or re-planned.  Everything runs on the node's libevent loop without
 * blocking it: fork+exec, a timer that reaps with waitpid(pid, WNOHANG)
 * (never waitpid(-1): the agent has other children), non-blocking health
 * sockets, and a pipe relay that writes each worker's output to a
 * size-capped log in DATA/workers/.  Only ag_workers_free blocks (the
 * agent is stopping; it waits a grace period before SIGKILL).
 */
#ifndef AG_WORKER_H
#define AG_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ag_record.h"

#define AG_WORKER_LOG_MAX	(1L << 20)	/* bytes, one old copy kept */
#define AG_WORKER_START_S	60.0	/* to answer, else restarted */
#define AG_WORKER_GRACE_S	3.0	/* SIGTERM .. SIGKILL */
#define AG_WORKER_MAX		AG_RECORD_MAX_WORKERS

struct ag_workers_config {
	const char	*data_dir;
	const char	*node_id;
	const char	*rpc_server;	/* "" = look on PATH */
	const char	*command;	/* "" = llama.cpp's rpc-server */
	const char	*engine_devices;	/* ID=NAME,... */
};

struct ag_placement;
struct ag_workers;

struct ag_workers *ag_workers_new(struct event_base *,
	    const struct ag_workers_config *, char *err, size_t errlen);
/* Stops every worker (SIGTERM, the grace, SIGKILL) and frees. */
void	ag_workers_free(struct ag_workers *);
/*
 * The engine in one line for the startup log and `exogpu status`:
 * what runs the stages, or what is missing.  *ok is 0 when stages placed
 * here cannot run.
 */
const char *ag_workers_engine(const struct ag_workers *, int *ok);
/* The placements this node applied: start, keep or stop workers. */
void	ag_workers_sync(struct ag_workers *, const struct ag_placement *const *,
	    size_t n);
/* The workers as the gossip record carries them; returns the count. */
int	ag_workers_export(const struct ag_workers *, struct ag_record_worker *,
	    int max);
/* The port of the ready worker of that stage, or 0 (none, not ready). */
uint32_t ag_workers_port(const struct ag_workers *, uint64_t placement,
	    uint64_t epoch, uint32_t stage);
/* Restarts after a crash or a failed start, since the agent started. */
uint64_t ag_workers_restarts(const struct ag_workers *);
/* Set fn to be told when a worker's exported state changed. */
void	ag_workers_on_change(struct ag_workers *, void (*fn)(void *),
	    void *arg);

/* A loopback TCP port nothing listens on now (the kernel's choice for a
 * bind to 127.0.0.1:0); 0 on failure.  Workers and `exogpu run` use it. */
int	ag_worker_free_port(void);

#endif /* AG_WORKER_H */
