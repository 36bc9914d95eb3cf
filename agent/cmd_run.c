/*
 * cmd_run.c - `exogpu run`: run a GGUF model on the devices the cluster's
 * leader chose, behind an OpenAI-compatible API on this machine.
 *
 * Everything goes through the local agent's API, as a user would: place
 * the model (or reuse a live placement of it whose client is this node),
 * wait until every stage's supervised worker is ready, ask for a tunnel
 * per remote stage, then start llama-server here pointed at the local
 * workers and the tunnels' loopback endpoints, with the command line
 * `exogpu place --format llama.cpp` prints (one function makes both).
 * The command stays in the foreground as llama-server's supervisor: a
 * re-plan (new epoch) restarts llama-server on the new stages, a release
 * by someone else or llama-server's own exit ends it, and Ctrl-C or
 * SIGTERM stops llama-server and releases the placement.
 *
 * It is a client of the API and nothing more, so it is a plain blocking
 * loop (polls every half second) rather than an event loop.
 */
#include "ag_cmd.h"
#include "ag_engine.h"
#include "ag_fileio.h"
#include "ag_httpc.h"
#include "ag_llamacmd.h"
#include "ag_log.h"
#include "ag_planio.h"
#include "ag_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_POLL_MS	500
#define RUN_STOP_S	10.0	/* SIGTERM to SIGKILL for llama-server */

static int	run_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_run = {
	"run",
	"--model FILE.gguf [--context N] [--port N] [--timeout S] [--keep]\n"
	"       [--llama-server PATH] [--server-log FILE] [--api ADDR:PORT]\n"
	"       [--token FILE] [-- LLAMA-SERVER-ARGS...]",
	"Run a model on the cluster behind llama-server's API on this node",
	"  --model FILE.gguf     the model (its header is read here; "
	"llama-server\n"
	"                        loads the weights from this file)\n"
	"  --context N           context length in tokens (default: 4096)\n"
	"  --port N              llama-server's port on 127.0.0.1 (default: "
	"a free\n"
	"                        port)\n"
	"  --timeout S           give up when the workers are not ready or "
	"the\n"
	"                        model not loaded after S seconds (default: "
	"600)\n"
	"  --keep                leave the placement in place at exit\n"
	"  --llama-server PATH   llama.cpp's llama-server (default: on PATH)\n"
	"  --server-log FILE     llama-server's output (default: this "
	"command's\n"
	"                        stderr)\n"
	"  --api ADDR:PORT       the agent's API (default: $EXOGPU_API or "
	AG_API_DEFAULT_ADDR ")\n"
	"  --api-ca FILE         check an https:// agent against FILE\n"
	"  --token FILE          access token (place scope; default: the file\n"
	"                        $EXOGPU_TOKEN names)\n"
	"  -- ARGS...            more arguments for llama-server (threads, "
	"...)\n"
	"  -h, --help            show this help\n"
	"Prints \"ready: http://127.0.0.1:PORT/v1\" on stdout once the model "
	"answers;\nCtrl-C or SIGTERM stops llama-server and releases the "
	"placement.\n",
	run_exec,
};

struct run {
	const char	*api, *model_path, *log, *const *extra;
	char		*token;
	char		 server[4096], node[128], model[256], port_s[8];
	json_t		*model_json;
	long		 context;
	double		 timeout_s;
	int		 port, keep, nextra, created;
	int		 seen;	/* the local agent has listed it */
	uint64_t	 id, epoch;
	pid_t		 pid;
};

static volatile sig_atomic_t	run_stop;

static void
on_signal(int sig)
{
	run_stop = sig;
}

static double
now_s(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps ms, cut short by a signal. */
static void
nap(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/*
 * One API call with body req (NULL: none; the reference is taken): 0
 * with *out (the answer's JSON) on a 2xx answer, else -1 after logging
 * the agent's message (or the transport's error).
 */
static int
api(struct run *r, const char *method, const char *path, json_t *req,
    json_t **out)
{
	struct ag_http_response	 resp;
	char			 err[512], *body = NULL;
	json_t			*j;
	int			 rc;

	*out = NULL;
	if (req != NULL) {
		body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		if (body == NULL)
			return -1;
	}
	rc = ag_http_request(ag_http_api_addr(r->api), method, path, body,
	    r->token, &resp, err, sizeof err);
	free(body);
	if (rc != 0) {
		ag_log(AG_LOG_ERR, "%s %s: %s", method, path, err);
		return -1;
	}
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	if (resp.status < 200 || resp.status >= 300 || !json_is_object(j)) {
		ag_log(AG_LOG_ERR, "%s %s: the agent answered %d%s%s", method,
		    path, resp.status, json_string_value(json_object_get(j,
		    "message")) != NULL ? ": " : "",
		    json_string_value(json_object_get(j, "message")) != NULL ?
		    json_string_value(json_object_get(j, "message")) : "");
		json_decref(j);
		ag_http_response_free(&resp);
		return -1;
	}
	ag_http_response_free(&resp);
	*out = j;
	return 0;
}

/* The live placement r->id (a new reference), or NULL when it is gone;
 * -1 when the agent could not be asked. */
static int
placement(struct run *r, json_t **p)
{
	json_t	*j, *e;
	size_t	 i;

	*p = NULL;
	if (api(r, "GET", "/v1/placements", NULL, &j) != 0)
		return -1;
	json_array_foreach(json_object_get(j, "placements"), i, e)
		if ((uint64_t)json_integer_value(json_object_get(e, "id")) ==
		    r->id) {
			*p = json_incref(e);
			r->seen = 1;
			break;
		}
	json_decref(j);
	return 0;
}

/*
 * Whether the placement is gone: absent from a list after the local agent
 * has listed it once.  Before that, absence means the agent has not yet
 * applied the leader's commit (a follower applies a moment later).
 */
static int
gone(const struct run *r, const json_t *p)
{
	return p == NULL && r->seen;
}

/* A live placement of this model and context whose client is this node. */
static int
reuse(struct run *r)
{
	json_t		*j, *e;
	const char	*client;
	size_t		 i;

	if (api(r, "GET", "/v1/placements", NULL, &j) != 0)
		return -1;
	json_array_foreach(json_object_get(j, "placements"), i, e) {
		client = json_string_value(json_object_get(e, "client"));
		if (json_string_value(json_object_get(e, "model")) != NULL &&
		    strcmp(json_string_value(json_object_get(e, "model")),
		    r->model) == 0 && json_integer_value(json_object_get(e,
		    "context")) == r->context && client != NULL &&
		    strcmp(client, r->node) == 0) {
			r->id = (uint64_t)json_integer_value(json_object_get(e,
			    "id"));
			break;
		}
	}
	json_decref(j);
	return 0;
}

static int
place(struct run *r)
{
	json_t	*req, *j;

	if (reuse(r) != 0)
		return -1;
	if (r->id != 0) {
		ag_log(AG_LOG_NOTICE, "reusing placement %llu of %s",
		    (unsigned long long)r->id, r->model);
		return 0;
	}
	req = json_pack("{s:O, s:I}", "model", r->model_json, "context",
	    (json_int_t)r->context);
	if (req == NULL)
		return -1;
	if (api(r, "POST", "/v1/placements", req, &j) != 0)
		return -1;
	r->id = (uint64_t)json_integer_value(json_object_get(j, "id"));
	r->created = 1;
	json_decref(j);
	if (r->id == 0) {
		ag_log(AG_LOG_ERR, "the agent's answer has no placement id");
		return -1;
	}
	ag_log(AG_LOG_NOTICE, "placed %s as placement %llu", r->model,
	    (unsigned long long)r->id);
	return 0;
}

/*
 * Waits until every stage's worker is ready.  1 when they are (with *out
 * the placement), 0 when the placement went away, -1 on a timeout, a
 * signal or an agent that stopped answering.
 */
static int
wait_workers(struct run *r, double deadline, json_t **out)
{
	json_t		*p, *s, *w;
	const char	*st, *why;
	char		 last[512] = "", msg[512];
	size_t		 i, ready;

	*out = NULL;
	while (!run_stop) {
		if (placement(r, &p) != 0)
			return -1;
		if (gone(r, p))
			return 0;
		ready = 0;
		msg[0] = '\0';
		json_array_foreach(json_object_get(p, "stages"), i, s) {
			w = json_object_get(s, "worker");
			st = json_string_value(json_object_get(w, "state"));
			why = json_string_value(json_object_get(w, "reason"));
			if (st != NULL && strcmp(st, "ready") == 0) {
				ready++;
				continue;
			}
			(void)snprintf(msg, sizeof msg, "stage %zu on node "
			    "%.16s: worker %s%s%s", i, json_string_value(
			    json_object_get(s, "node")) != NULL ?
			    json_string_value(json_object_get(s, "node")) : "?",
			    st != NULL ? st : "not reported yet",
			    why != NULL && why[0] != '\0' ? ": " : "",
			    why != NULL ? why : "");
		}
		if (ready > 0 && ready == json_array_size(json_object_get(p,
		    "stages"))) {
			*out = p;
			return 1;
		}
		if (p == NULL)
			(void)snprintf(msg, sizeof msg, "placement %llu not yet "
			    "applied by the local agent",
			    (unsigned long long)r->id);
		json_decref(p);
		if (strcmp(msg, last) != 0) {
			ag_log(AG_LOG_NOTICE, "waiting: %s", msg);
			(void)snprintf(last, sizeof last, "%s", msg);
		}
		if (now_s() > deadline) {
			ag_log(AG_LOG_ERR, "workers not ready after %.0f s: %s",
			    r->timeout_s, msg);
			return -1;
		}
		nap(RUN_POLL_MS);
	}
	return -1;
}

/* Stage i's endpoint: its worker on this node, else a tunnel to it. */
static int
endpoint(struct run *r, const json_t *s, size_t i, char *ep, size_t len)
{
	const char	*node = json_string_value(json_object_get(s, "node"));
	json_t		*req, *j;

	if (node != NULL && strcmp(node, r->node) == 0) {
		(void)snprintf(ep, len, "127.0.0.1:%lld", json_integer_value(
		    json_object_get(json_object_get(s, "worker"), "port")));
		return 0;
	}
	req = json_pack("{s:I, s:i}", "placement", (json_int_t)r->id,
	    "stage", (int)i);
	if (req == NULL)
		return -1;
	if (api(r, "POST", "/v1/tunnels", req, &j) != 0)
		return -1;
	if (json_string_value(json_object_get(j, "listen")) == NULL ||
	    (size_t)snprintf(ep, len, "%s", json_string_value(
	    json_object_get(j, "listen"))) >= len) {
		ag_log(AG_LOG_ERR, "the agent's tunnel answer has no listener");
		json_decref(j);
		return -1;
	}
	json_decref(j);
	return 0;
}

/* The job of placement p with endpoints eps, as llama-server's argv. */
static int
server_argv(struct run *r, const json_t *p, char eps[][64],
    struct ag_engine_argv *a)
{
	struct ag_llama_stage	 st[AG_LLAMACMD_MAX_STAGES];
	const char		*ep[AG_LLAMACMD_MAX_STAGES];
	struct ag_llama_job	 j;
	const json_t		*s;
	json_int_t		 lo, hi, next = 0;
	size_t			 i, n = 0;
	char			 err[256];
	int			 k;

	memset(&j, 0, sizeof j);
	json_array_foreach(json_object_get(p, "stages"), i, s) {
		lo = json_integer_value(json_object_get(s, "layer_start"));
		hi = json_integer_value(json_object_get(s, "layer_end"));
		if (n >= AG_LLAMACMD_MAX_STAGES || lo != next || hi <= lo ||
		    hi > (json_int_t)PL_MAX_LAYERS) {
			ag_log(AG_LOG_ERR, "placement %llu: stage %zu's layers "
			    "do not follow the previous stage's",
			    (unsigned long long)r->id, i);
			return -1;
		}
		memset(&st[n], 0, sizeof st[n]);
		st[n].layers = (uint32_t)(hi - lo);
		ep[n++] = eps[i];
		next = hi;
	}
	j.stages = st;
	j.nstages = n;
	j.model_layers = (uint32_t)next;
	j.context = (uint64_t)r->context;
	j.model_path = r->model_path;
	if (ag_llamacmd_client_argv(&j, r->server, ep, a, err, sizeof err)
	    != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return -1;
	}
	if (a->argc + 4 + r->nextra > AG_ENGINE_MAX_ARGS) {
		ag_log(AG_LOG_ERR, "too many arguments for llama-server");
		return -1;
	}
	a->argv[a->argc++] = (char *)"--host";
	a->argv[a->argc++] = (char *)"127.0.0.1";
	(void)snprintf(r->port_s, sizeof r->port_s, "%d", r->port);
	a->argv[a->argc++] = (char *)"--port";
	a->argv[a->argc++] = r->port_s;
	for (k = 0; k < r->nextra; k++)
		a->argv[a->argc++] = (char *)r->extra[k];
	a->argv[a->argc] = NULL;
	return 0;
}

static void
child(struct run *r, struct ag_engine_argv *a)
{
	int	fd;

	(void)setpgid(0, 0);		/* Ctrl-C reaches us, not it */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (r->log != NULL) {
		fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
		    dup2(fd, STDERR_FILENO) < 0) {
			(void)fprintf(stderr, "exogpu run: %s: %s\n", r->log,
			    strerror(errno));
			_exit(127);
		}
	} else if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(127);	/* stdout carries only our "ready:" lines */
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	execv(a->argv[0], a->argv);
	(void)fprintf(stderr, "exogpu run: %s: %s\n", a->argv[0],
	    strerror(errno));
	_exit(127);
}

static int
start_server(struct run *r, const json_t *p)
{
	struct ag_engine_argv	*a;
	char			 (*eps)[64];
	const json_t		*s;
	size_t			 i, n = json_array_size(json_object_get(p,
				    "stages"));
	int			 rc = -1;

	if (n == 0 || n > AG_LLAMACMD_MAX_STAGES)
		return -1;
	a = malloc(sizeof *a);
	eps = calloc(n, sizeof *eps);
	if (a == NULL || eps == NULL)
		goto out;
	json_array_foreach(json_object_get(p, "stages"), i, s)
		if (endpoint(r, s, i, eps[i], sizeof eps[i]) != 0)
			goto out;
	if (server_argv(r, p, eps, a) != 0)
		goto out;
	for (i = 0; i < n; i++)
		ag_log(AG_LOG_INFO, "stage %zu: %s", i, eps[i]);
	if ((r->pid = fork()) < 0)
		ag_log(AG_LOG_ERR, "fork: %s", strerror(errno));
	else if (r->pid == 0)
		child(r, a);
	else {
		ag_log(AG_LOG_NOTICE, "llama-server started (pid %ld, port %d)",
		    (long)r->pid, r->port);
		rc = 0;
	}
out:
	free(eps);
	free(a);
	return rc;
}

/* Stops llama-server: SIGTERM, then SIGKILL after RUN_STOP_S. */
static void
stop_server(struct run *r)
{
	double	deadline = now_s() + RUN_STOP_S;
	int	status;

	if (r->pid <= 0)
		return;
	(void)kill(r->pid, SIGTERM);
	while (waitpid(r->pid, &status, WNOHANG) == 0) {
		if (now_s() > deadline) {
			(void)kill(r->pid, SIGKILL);
			(void)waitpid(r->pid, &status, 0);
			break;
		}
		nap(100);
	}
	r->pid = 0;
}

/* 1 when llama-server exited (logged), else 0. */
static int
server_exited(struct run *r)
{
	int	status;

	if (r->pid <= 0 || waitpid(r->pid, &status, WNOHANG) != r->pid)
		return 0;
	r->pid = 0;
	if (WIFEXITED(status))
		ag_log(AG_LOG_ERR, "llama-server exited with status %d%s",
		    WEXITSTATUS(status), r->log != NULL ? " (see its log)" :
		    "");
	else
		ag_log(AG_LOG_ERR, "llama-server was killed by signal %d",
		    WTERMSIG(status));
	return 1;
}

/* Waits for llama-server's /health to answer 200: 0, or -1. */
static int
wait_loaded(struct run *r, double deadline)
{
	struct ag_http_response	resp;
	char			addr[64], err[256];

	(void)snprintf(addr, sizeof addr, "127.0.0.1:%d", r->port);
	while (!run_stop && !server_exited(r)) {
		if (ag_http_request(addr, "GET", "/health", NULL, NULL, &resp,
		    err, sizeof err) == 0) {
			ag_http_response_free(&resp);
			if (resp.status == 200)
				return 0;
		}
		if (now_s() > deadline) {
			ag_log(AG_LOG_ERR, "llama-server did not load the model "
			    "within %.0f s", r->timeout_s);
			return -1;
		}
		nap(RUN_POLL_MS);
	}
	return -1;
}

/*
 * Brings llama-server up on the placement's current epoch: 1 when it
 * answers (and "ready:" is printed), 0 when the placement went away, -1
 * on failure.
 */
static int
bring_up(struct run *r)
{
	double	 deadline = now_s() + r->timeout_s;
	json_t	*p;
	int	 rc;

	if ((rc = wait_workers(r, deadline, &p)) != 1)
		return rc;
	r->epoch = (uint64_t)json_integer_value(json_object_get(p, "epoch"));
	rc = start_server(r, p);
	json_decref(p);
	if (rc != 0 || wait_loaded(r, deadline) != 0)
		return -1;
	(void)printf("ready: http://127.0.0.1:%d/v1\n", r->port);
	(void)fflush(stdout);
	return 1;
}

/* Runs until a signal, a release or llama-server's exit. */
static int
supervise(struct run *r)
{
	json_t		*p;
	uint64_t	 epoch;
	int		 rc;

	for (;;) {
		if ((rc = bring_up(r)) != 1)
			return rc == 0 ? (ag_log(AG_LOG_ERR, "placement %llu was "
			    "released", (unsigned long long)r->id), -1) : -1;
		for (;;) {
			nap(RUN_POLL_MS);
			if (run_stop)
				return 0;
			if (server_exited(r))
				return -1;
			if (placement(r, &p) != 0)
				continue;	/* the agent restarts? retry */
			if (gone(r, p)) {
				ag_log(AG_LOG_ERR, "placement %llu was released",
				    (unsigned long long)r->id);
				return -1;
			}
			epoch = p == NULL ? r->epoch : (uint64_t)
			    json_integer_value(json_object_get(p, "epoch"));
			json_decref(p);
			if (epoch != r->epoch)
				break;
		}
		ag_log(AG_LOG_WARNING, "placement %llu re-planned (epoch %llu to "
		    "%llu): restarting llama-server on the new stages",
		    (unsigned long long)r->id, (unsigned long long)r->epoch,
		    (unsigned long long)epoch);
		stop_server(r);
	}
}

static void
release(struct run *r)
{
	char	 path[96];
	json_t	*j;

	if (r->id == 0 || r->keep)
		return;
	(void)snprintf(path, sizeof path, "/v1/placements?id=%llu",
	    (unsigned long long)r->id);
	if (api(r, "DELETE", path, NULL, &j) == 0)
		ag_log(AG_LOG_NOTICE, "released placement %llu",
		    (unsigned long long)r->id);
	json_decref(j);
}

/* The GGUF model as the API's model object, and its name. */
static int
load_model(struct run *r, const char *tokfile)
{
	struct pl_model	pm;
	char		err[512];
	size_t		n = strlen(r->model_path);

	if (n < 6 || strcmp(r->model_path + n - 5, ".gguf") != 0) {
		ag_log(AG_LOG_ERR, "--model: a GGUF file (FILE.gguf), which "
		    "llama-server loads");
		return AG_EXIT_USAGE;
	}
	if (ag_planio_read_gguf(r->model_path, &pm, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_USAGE;
	}
	if ((r->model_json = ag_planio_model_json(&pm)) == NULL)
		return AG_EXIT_RUNTIME;
	(void)snprintf(r->model, sizeof r->model, "%s", json_string_value(
	    json_object_get(r->model_json, "name")) != NULL ?
	    json_string_value(json_object_get(r->model_json, "name")) : "");
	if (ag_http_load_token(tokfile, &r->token, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_USAGE;
	}
	return AG_EXIT_OK;
}

/* This node's id, from the agent. */
static int
local_node(struct run *r)
{
	json_t	*j;

	if (api(r, "GET", "/v1/status", NULL, &j) != 0)
		return -1;
	if (json_string_value(json_object_get(j, "node_id")) == NULL) {
		json_decref(j);
		ag_log(AG_LOG_ERR, "the agent's status has no node id");
		return -1;
	}
	(void)snprintf(r->node, sizeof r->node, "%s", json_string_value(
	    json_object_get(j, "node_id")));
	json_decref(j);
	return 0;
}

static int
run(struct run *r)
{
	struct sigaction	sa;
	int			rc;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: naps end early */
	if (sigemptyset(&sa.sa_mask) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGHUP, &sa, NULL) != 0)
		return AG_EXIT_RUNTIME;
	if (local_node(r) != 0 || place(r) != 0)
		return AG_EXIT_RUNTIME;
	rc = supervise(r);
	if (run_stop)
		ag_log(AG_LOG_NOTICE, "stopping (signal %d)", (int)run_stop);
	stop_server(r);
	release(r);
	return rc == 0 ? AG_EXIT_OK : AG_EXIT_RUNTIME;
}

static int
run_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "context", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "keep", no_argument, NULL, 'k' },
		{ "llama-server", required_argument, NULL, 'L' },
		{ "server-log", required_argument, NULL, 'g' },
		{ "api", required_argument, NULL, 'a' },
		{ "api-ca", required_argument, NULL, 'C' },
		{ "token", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct run	 r;
	const char	*server = NULL, *tokfile = NULL;
	char		*end, err[512];
	int		 ch, rc;

	memset(&r, 0, sizeof r);
	r.context = 4096;
	r.timeout_s = 600;
	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'm': r.model_path = optarg; break;
		case 'c':
			r.context = strtol(optarg, &end, 10);
			if (*end != '\0' || r.context < 1 ||
			    r.context > 1 << 24)
				return ag_usage_error(cmd, "--context: an "
				    "integer 1..16777216");
			break;
		case 'p':
			r.port = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || r.port < 1 || r.port > 65535)
				return ag_usage_error(cmd, "--port: 1..65535");
			break;
		case 'T':
			r.timeout_s = strtod(optarg, &end);
			if (*end != '\0' || !(r.timeout_s >= 1 &&
			    r.timeout_s <= 86400))
				return ag_usage_error(cmd, "--timeout: seconds, "
				    "1..86400");
			break;
		case 'k': r.keep = 1; break;
		case 'L': server = optarg; break;
		case 'g': r.log = optarg; break;
		case 'a': r.api = optarg; break;
		case 'C': ag_http_set_ca(optarg); break;
		case 't': tokfile = optarg; break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
		return ag_usage_error(cmd, "unexpected argument '%s' (put "
		    "llama-server's own arguments after --)", argv[optind]);
	r.extra = (const char *const *)argv + optind;
	r.nextra = argc - optind;
	if (r.model_path == NULL)
		return ag_usage_error(cmd, "--model FILE.gguf is required");
	if (ag_engine_find(server, ag_engine_llama_names, getenv("PATH"),
	    r.server, sizeof r.server, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "llama.cpp's llama-server is needed to run "
		    "a model: %s (give --llama-server PATH)", err);
		return AG_EXIT_RUNTIME;
	}
	if (r.port == 0 && (r.port = ag_worker_free_port()) == 0) {
		ag_log(AG_LOG_ERR, "no free port on 127.0.0.1 (give --port)");
		return AG_EXIT_RUNTIME;
	}
	if ((rc = load_model(&r, tokfile)) == AG_EXIT_OK)
		rc = run(&r);
	json_decref(r.model_json);
	free(r.token);
	return rc;
}
