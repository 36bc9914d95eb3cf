/*
 * cmd_demo.c - `exogpu demo`: a local cluster that places a model.
 *
 * Starts N real `exogpu agent` processes on loopback (a fresh join secret,
 * mDNS off, ephemeral ports, data dirs under one scratch directory), waits
 * until they agree on a leader, asks the cluster to place a catalog model
 * through node 1 (a follower forwards to the leader), prints the plan and
 * the addresses to poke at, and keeps running until Ctrl-C (`--once`
 * stops after printing).  Everything it does a user could do by hand; it
 * exists so the README's "run it" command shows the whole system.
 */
#include "ag_clock.h"
#include "ag_cmd.h"
#include "ag_fileio.h"
#include "ag_httpc.h"
#include "ag_log.h"

#include "sec_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEMO_MAX_NODES	8
#define DEMO_WAIT_S	90

static int	demo_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_demo = {
	"demo",
	"[--once] [--nodes N] [--model NAME] [--dir DIR]",
	"Start a local cluster of agents on loopback and place a model on it",
	"  --once          exit after printing the placement (default: run "
	"until Ctrl-C)\n"
	"  --nodes N       agents to start, 2..8 (default: 3)\n"
	"  --model NAME    catalog model to place (default: llama-3-8b:q4_0)\n"
	"  --dir DIR       keep the agents' data dirs and logs in DIR (default:"
	"\n"
	"                  a scratch directory removed at exit)\n"
	"  -h, --help      show this help\n",
	demo_exec,
};

static volatile sig_atomic_t	demo_stop;

static void
on_stop(int sig)
{
	demo_stop = 1;
}

struct demo_node {
	pid_t	pid;
	char	dir[PATH_MAX];
	char	api[64];
	char	quic[64];
};

static double
now_s(void)
{
	return ag_clock_mono();
}

static void
nap(void)
{
	struct timespec	ts = { 0, 100 * 1000 * 1000 };

	(void)nanosleep(&ts, NULL);
}

static pid_t
spawn(struct demo_node *d, int i, const char *secret, const char *join)
{
	char	name[24], log[PATH_MAX + 8];
	pid_t	pid;
	int	fd;

	(void)snprintf(name, sizeof name, "demo-%d", i + 1);
	(void)snprintf(log, sizeof log, "%s.log", d->dir);
	if ((pid = fork()) != 0)
		return pid;
	if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) {
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
	}
	(void)setpgid(0, 0);	/* Ctrl-C goes to the demo, which stops us */
	/* The secret goes by the environment: argv is public. */
	if (setenv("EXOGPU_JOIN_SECRET", secret, 1) != 0)
		_exit(127);
	if (join != NULL)
		(void)execl("/proc/self/exe", "exogpu", "-v", "agent",
		    "--data-dir", d->dir, "--name", name, "--listen",
		    "127.0.0.1:0", "--http", "127.0.0.1:0", "--no-mdns",
		    "--join", join, (char *)NULL);
	else
		(void)execl("/proc/self/exe", "exogpu", "-v", "agent",
		    "--data-dir", d->dir, "--name", name, "--listen",
		    "127.0.0.1:0", "--http", "127.0.0.1:0", "--no-mdns",
		    (char *)NULL);
	_exit(127);
}

/* Waits for DIR/run.json and reads the addresses from it. */
static int
wait_started(struct demo_node *d)
{
	char		 path[PATH_MAX + 16];
	json_t		*run = NULL;
	double		 deadline = now_s() + 20;

	(void)snprintf(path, sizeof path, "%s/run.json", d->dir);
	while (run == NULL && now_s() < deadline && !demo_stop) {
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = 0;
			return -1;
		}
		if ((run = json_load_file(path, 0, NULL)) == NULL)
			nap();
	}
	if (run == NULL)
		return -1;
	(void)snprintf(d->api, sizeof d->api, "%s",
	    json_string_value(json_object_get(run, "api")));
	(void)snprintf(d->quic, sizeof d->quic, "%s",
	    json_string_value(json_array_get(json_object_get(run, "quic"), 0)));
	json_decref(run);
	return 0;
}

static json_t *
api_call(const char *api, const char *method, const char *path,
    const char *body, int *status)
{
	struct ag_http_response	 r;
	char			 err[256];
	json_t			*j;

	*status = 0;
	if (ag_http_request(api, method, path, body, NULL, &r, err,
	    sizeof err) != 0)
		return NULL;
	*status = r.status;
	j = json_loadb(r.body, r.body_len, 0, NULL);
	ag_http_response_free(&r);
	return j;
}

/* The leader every node reports with quorum, or "" if they disagree. */
static int
agreed_leader(struct demo_node *nodes, int n, char *out, size_t size)
{
	json_t	*st;
	int	 i, status;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *l;

		st = api_call(nodes[i].api, "GET", "/v1/status", NULL, &status);
		l = json_string_value(json_object_get(st, "leader"));
		if (l == NULL || !json_is_true(json_object_get(st, "quorum")) ||
		    (out[0] != '\0' && strcmp(out, l) != 0)) {
			json_decref(st);
			out[0] = '\0';
			return 0;
		}
		(void)snprintf(out, size, "%s", l);
		json_decref(st);
	}
	return 1;
}

static void
print_plan(const json_t *p)
{
	const json_t	*s;
	size_t		 i;
	double		 lat = json_number_value(json_object_get(p, "latency_s"));

	(void)printf("\nplacement %lld of %s (term %lld, epoch %lld):\n",
	    json_integer_value(json_object_get(p, "id")),
	    json_string_value(json_object_get(p, "model")),
	    json_integer_value(json_object_get(p, "term")),
	    json_integer_value(json_object_get(p, "epoch")));
	json_array_foreach(json_object_get(p, "stages"), i, s)
		(void)printf("  stage %zu: layers %lld-%lld on %s (%.2f GB)\n",
		    i + 1, json_integer_value(json_object_get(s,
		    "layer_start")), json_integer_value(json_object_get(s,
		    "layer_end")) - 1, json_string_value(json_object_get(s,
		    "device")), (double)json_integer_value(json_object_get(s,
		    "memory_bytes")) / 1e9);
	(void)printf("  decode latency %.1f ms/token (%.1f tokens/s)%s\n",
	    lat * 1e3, lat > 0 ? 1 / lat : 0.0,
	    json_is_true(json_object_get(p, "optimal")) ?
	    ", proven optimal" : "");
}

/* Places the model through node 0, retrying while figures are measured. */
static json_t *
place(struct demo_node *nodes, const char *model)
{
	char	 body[256];
	json_t	*p = NULL;
	double	 deadline = now_s() + DEMO_WAIT_S;
	int	 status = 0;

	(void)snprintf(body, sizeof body, "{\"model\": \"%s\", \"context\": "
	    "4096}", model);
	while (now_s() < deadline && !demo_stop) {
		p = api_call(nodes[0].api, "POST", "/v1/placements", body,
		    &status);
		if (status == 201)
			return p;
		if (status == 400 || status == 422) {
			ag_log(AG_LOG_ERR, "the cluster refused: %s",
			    json_string_value(json_object_get(p, "message")));
			json_decref(p);
			return NULL;
		}
		json_decref(p);
		nap();
	}
	ag_log(AG_LOG_ERR, "no placement within %d s (last status %d)",
	    DEMO_WAIT_S, status);
	return NULL;
}

static void
stop_all(struct demo_node *nodes, int n)
{
	int	i, k;

	for (i = 0; i < n; i++)
		if (nodes[i].pid > 0)
			(void)kill(nodes[i].pid, SIGTERM);
	for (i = 0; i < n; i++) {
		for (k = 0; k < 50 && nodes[i].pid > 0; k++) {
			if (waitpid(nodes[i].pid, NULL, WNOHANG) ==
			    nodes[i].pid)
				nodes[i].pid = 0;
			else
				nap();
		}
		if (nodes[i].pid > 0) {
			(void)kill(nodes[i].pid, SIGKILL);
			(void)waitpid(nodes[i].pid, NULL, 0);
		}
	}
}

static int
run_demo(const char *base, int n, const char *model, int once)
{
	struct demo_node	 nodes[DEMO_MAX_NODES];
	struct sec_secret	 s;
	char			 secret[SEC_SECRET_TEXT_SIZE], err[256];
	char			 leader[64];
	double			 t0 = now_s();
	json_t			*p;
	int			 i, rc = AG_EXIT_RUNTIME;

	memset(nodes, 0, sizeof nodes);
	if (sec_secret_generate(&s, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	sec_secret_format(&s, secret);
	sec_secret_clear(&s);
	(void)printf("starting %d agents on 127.0.0.1 (logs in %s)\n", n, base);
	for (i = 0; i < n && !demo_stop; i++) {
		if (snprintf(nodes[i].dir, sizeof nodes[i].dir, "%.*s/node%d",
		    (int)sizeof nodes[i].dir - 16, base, i + 1) < 0)
			goto out;
		nodes[i].pid = spawn(&nodes[i], i, secret, i > 0 ?
		    nodes[0].quic : NULL);
		if (nodes[i].pid < 0 || wait_started(&nodes[i]) != 0) {
			ag_log(AG_LOG_ERR, "agent %d did not start; see %s.log",
			    i + 1, nodes[i].dir);
			goto out;
		}
		(void)printf("  agent %d: QUIC %s, API http://%s\n", i + 1,
		    nodes[i].quic, nodes[i].api);
	}
	(void)fflush(stdout);
	while (!agreed_leader(nodes, n, leader, sizeof leader)) {
		if (demo_stop || now_s() - t0 > DEMO_WAIT_S) {
			ag_log(AG_LOG_ERR, "the agents did not elect a leader");
			goto out;
		}
		nap();
	}
	(void)printf("leader %s elected after %.1f s\n", leader, now_s() - t0);
	(void)fflush(stdout);
	if ((p = place(nodes, model)) == NULL)
		goto out;
	print_plan(p);
	json_decref(p);
	(void)printf("\ndashboard: http://%s/\n"
	    "API (every agent answers): http://%s/v1/status, /v1/members, "
	    "/v1/devices,\n  /v1/links, /v1/placements, /v1/events, /metrics\n"
	    "try:  exogpu members --api %s\n"
	    "      exogpu place --list --api %s\n", nodes[0].api,
	    nodes[0].api, nodes[0].api, nodes[0].api);
	(void)fflush(stdout);
	rc = AG_EXIT_OK;
	if (!once) {
		(void)printf("\nrunning; Ctrl-C stops the cluster\n");
		(void)fflush(stdout);
		while (!demo_stop)
			(void)pause();
	}
out:
	stop_all(nodes, n);
	return rc;
}

static int
demo_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "model", required_argument, NULL, 'm' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction	 sa;
	const char		*model = "llama-3-8b:q4_0", *dir = NULL;
	char			 base[PATH_MAX], err[256], *end;
	long			 n = 3;
	int			 ch, once = 0, rc;

	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'o':
			once = 1;
			break;
		case 'n':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 2 || n > DEMO_MAX_NODES)
				return ag_usage_error(cmd, "--nodes: 2..%d",
				    DEMO_MAX_NODES);
			break;
		case 'm':
			model = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if (dir != NULL) {
		if (ag_mkdir_p(dir, 0700, err, sizeof err) != 0) {
			ag_log(AG_LOG_ERR, "%s", err);
			return AG_EXIT_RUNTIME;
		}
		(void)snprintf(base, sizeof base, "%s", dir);
	} else {
		(void)snprintf(base, sizeof base, "%s/exogpu-demo.XXXXXX",
		    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(base) == NULL) {
			ag_log(AG_LOG_ERR, "mkdtemp: %s", strerror(errno));
			return AG_EXIT_RUNTIME;
		}
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	rc = run_demo(base, (int)n, model, once);
	if (dir == NULL) {
		char cmdline[PATH_MAX + 16];

		(void)snprintf(cmdline, sizeof cmdline, "rm -rf '%s'", base);
		if (system(cmdline) != 0)
			ag_log(AG_LOG_WARNING, "could not remove %s", base);
	}
	return rc;
}
