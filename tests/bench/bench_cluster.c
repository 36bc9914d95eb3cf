/*
 * bench_cluster.c - how fast a cluster of real `exogpu agent` processes
 * on loopback forms, notices changes, survives its leader and finds dead
 * peers, and what an idle agent costs.
 *
 * It starts the exogpu binary itself (EXOGPU_BIN) N times, each with its
 * own data dir, ephemeral QUIC and API ports, no mDNS and a shared join
 * secret; node 1 starts first and every other node --joins node 1 (the
 * static-join case: the rest of the mesh comes from gossip).  Agents run
 * with --no-bench and small link probes (--probe-bytes, 64 KiB unless
 * told otherwise; --probe-interval 0 still probes every new session
 * once): N agents on one box each micro-benchmarking the same CPU, or
 * pushing N(N-1) default 4 MiB probes through QUIC at once, would
 * measure CPU contention, not the cluster protocols (on real hardware
 * every agent has its own machine).  Everything
 * is observed from outside, through each agent's run.json and its HTTP
 * API (/v1/status, /v1/members), exactly as an operator would see it, so
 * the figures include the agents' event loops, QUIC and the API.
 *
 * Measurements (all CLOCK_MONOTONIC, polled every ~20 ms; an agent that
 * already answered as wanted is not asked again until a final re-poll of
 * everyone confirms agreement, so a time is "the last agent first seen in
 * the wanted state", within one poll round, whose length is printed):
 *   - convergence: from spawning node 1 until every agent reports
 *     members_alive = N, voters = min(N, 5) (the agents' default
 *     --max-voters) and the same leader with quorum; also
 *     when peers_connected = N-1 held on all, and start-up (spawn to
 *     run.json) on its own;
 *   - restart: SIGTERM a follower, time until every other agent stops
 *     calling it alive; start it again (same data dir, same QUIC port),
 *     time until every other agent calls it alive again;
 *   - dead peer: kill -9 a follower, time until it is first "suspect"
 *     anywhere and until every other agent calls it "dead";
 *   - failover: kill -9 the leader, time until every remaining agent
 *     names the same new leader with quorum, and, from the same kill,
 *     until the first placement is committed: a client (a child process,
 *     so it runs while the parent polls) POSTs one to a surviving
 *     follower at once and again every 20 ms while the answer is 503,
 *     502, 504 or none, until the 201;
 *   - placement commit latency: --places K placements through the
 *     leader's API, then their releases, and K more (and releases)
 *     through a follower's API, which forwards them: POST -> 201 and
 *     DELETE -> 200 of each, one call at a time.  A 201 means the PLACE
 *     command is committed by a majority and applied, so this is the
 *     solve plus one raft round trip with its fsyncs; the solve time the
 *     answer reports is printed beside it.  Calls go in batches of at
 *     most two live placements per agent (placed, then released), so
 *     the cluster's memory never runs out.  A call answered 503, 502,
 *     504 or not at all (an election under load) is tried again every
 *     20 ms, inside its time, and counted;
 *   - fsyncs per placement and per release: exogpu_raft_fsyncs_total
 *     summed over every agent's /metrics before and after each batch
 *     (sampled once every agent has applied the leader's commit index
 *     and the sum has not moved for 100 ms, so the slowest follower's
 *     write is in), divided by the calls; the leader's commit index
 *     gives the log entries per call;
 *   - idle cost: CPU (utime+stime from /proc/PID/stat over a window) and
 *     VmRSS of every agent of the converged large cluster.
 * The full run does the repeated measurements on a small cluster (default
 * 5 agents) and each once on the large one (default 32).
 *
 * Placement needs measured devices and the agents run --no-bench, so the
 * bench measures this machine once (`exogpu devices --bench` into a data
 * dir of its own) and copies that registry cache (devices.json) into
 * every agent's data dir before its first start: every agent then starts
 * with a cached, measured registry, as a node does from its second start.
 * The placements are of a small catalog model (--model, default
 * mistral-7b:q4_0, 4.1 GB) with a 512-token context.
 *
 * Clean-up: stop signals are blocked and checked between polls, so ^C
 * ends the run through the normal path (agents SIGTERMed, then SIGKILLed,
 * temp dir removed unless KEEP is set in the environment); agents also get PR_SET_PDEATHSIG so none outlives a
 * crashed bench.  Exit status 1 when a cluster fails to converge or
 * recover within a generous limit, with the agents' last answers and log
 * tails, so the bench cannot silently report nothing.
 *
 * Usage: bench_cluster [--quick] [--nodes N] [--small N] [--repeats R]
 *                      [--stagger-ms MS] [--probe-bytes N] [--places K]
 *                      [--model NAME]
 * (--small 0 skips the small cluster.)
 * --quick (ctest): 3 agents, convergence, a 1 s idle sample, one
 * placement and release through the leader and one through a follower,
 * and one failover with its first commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ag_httpc.h"
#include "bench.h"

#define ID_SIZE		40
#define ADDR_SIZE	64
#define POLL_MS		20
#define RUN_JSON_MAX	(64 * 1024)
#define MAX_SERIES	64

enum mstate { MS_ERR = -1, MS_ABSENT, MS_ALIVE, MS_SUSPECT, MS_DEAD,
	MS_LEFT, MS_OTHER };

struct agent {
	int	 idx;			/* name is n<idx> */
	pid_t	 pid;			/* 0: not running */
	int	 port;			/* QUIC port, kept across restarts */
	char	 dir[PATH_MAX];
	char	 log[PATH_MAX];
	char	 api[ADDR_SIZE];
	char	 quic[ADDR_SIZE];
	char	 id[ID_SIZE];
	double	 spawned, api_up;
};

/* One /v1/status answer. */
struct status {
	int		 ok;		/* answered and parsed */
	char		 leader[ID_SIZE];
	long long	 term;
	int		 quorum, members, alive, voters, peers;
	long long	 commit, applied;	/* raft log indexes */
};

struct cluster {
	const char	*bin;
	const char	*secret;
	sigset_t	*stop;
	int		 n;
	int		 stagger_ms;
	long		 probe_bytes;	/* --probe-bytes of every agent */
	const char	*seed;		/* devices.json copied to every agent */
	const char	*model;		/* what the placements place */
	struct agent	*a;
	struct status	*last;		/* diagnostics when a wait fails */
	double		 rounds, round_s;	/* poll round statistics */
};

/* What every running agent must report, and what the wait found. */
/* The agents' default --max-voters: the rest replicate as standbys. */
#define MAX_VOTERS	5

struct want {
	int		 alive;		/* members_alive, or -1 */
	int		 voters;	/* voters, or -1 */
	const char	*not_leader;	/* a leader to be replaced, or NULL */
	int		 peers;		/* also wait for a full mesh */
};

struct agreed {
	double		 t_first, t_all, t_peers;	/* absolute times */
	char		 leader[ID_SIZE];
};

struct series {
	double	v[MAX_SERIES];
	int	n;
};

static double	agents_cpu_s(const struct cluster *);

static double
maximum(const double *v, int n)
{
	double	m = -1;
	int	i;

	for (i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static void
series_add(struct series *s, double v)
{
	if (s->n < MAX_SERIES)
		s->v[s->n++] = v;
}

/* "median X s (min .. max, n runs)" */
static void
series_print(const char *what, const struct series *s)
{
	double	lo = s->n ? s->v[0] : 0;
	int	i;

	for (i = 1; i < s->n; i++)
		if (s->v[i] < lo)
			lo = s->v[i];
	if (s->n == 0)
		(void)printf("  %-44s no sample\n", what);
	else if (s->n == 1)
		(void)printf("  %-44s %.3f s (1 run)\n", what, s->v[0]);
	else
		(void)printf("  %-44s median %.3f s (min %.3f, max %.3f, "
		    "%d runs)\n", what, bench_median(s->v, s->n), lo,
		    maximum(s->v, s->n), s->n);
}

/* "median X ms, p90 Y ms (min .. max, n calls)": short latencies. */
static void
series_print_ms(const char *what, const struct series *s)
{
	double	v[MAX_SERIES];

	if (s->n == 0) {
		(void)printf("    %-42s no sample\n", what);
		return;
	}
	memcpy(v, s->v, (size_t)s->n * sizeof *v);
	qsort(v, (size_t)s->n, sizeof *v, bench_cmp_double);
	/* p90 by nearest rank: the ceil(0.9 n)-th smallest. */
	(void)printf("    %-42s median %.1f ms, p90 %.1f ms (min %.1f, max "
	    "%.1f, %d calls)\n", what, 1e3 * bench_median(v, s->n),
	    1e3 * v[(9 * s->n + 9) / 10 - 1], 1e3 * v[0],
	    1e3 * v[s->n - 1], s->n);
}

/* Sleeps ms; -1 when a stop signal (^C, SIGTERM, SIGHUP) is pending. */
static int
nap(const struct cluster *cl, int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	sigset_t	pend;
	int		sig;

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	if (sigpending(&pend) != 0)
		return 0;
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(cl->stop, sig) == 1 &&
		    sigismember(&pend, sig) == 1) {
			(void)fprintf(stderr, "bench_cluster: %s: stopping\n",
			    strsignal(sig));
			return -1;
		}
	return 0;
}

/* --- files ---------------------------------------------------------------- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	/* Best effort: carry on past what cannot be removed. */
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

static void
rm_tree(const char *dir)
{
	if (dir[0] != '\0')
		(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Reads at most max bytes of path, NUL-terminated; NULL on error. */
static char *
read_small(const char *path, size_t max, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if ((buf = malloc(max + 1)) == NULL) {
		(void)close(fd);
		return NULL;
	}
	while (len < max && (r = read(fd, buf + len, max - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			(void)close(fd);
			return NULL;
		}
		len += (size_t)r;
	}
	(void)close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* The last lines of an agent's log, to stderr. */
static void
log_tail(const struct agent *a, int lines)
{
	char	*buf, *p;
	size_t	 len;
	off_t	 size;
	int	 fd, seen = 0;

	if ((fd = open(a->log, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 4096)
		(void)lseek(fd, size - 4096, SEEK_SET);
	else
		(void)lseek(fd, 0, SEEK_SET);
	if ((buf = malloc(4097)) == NULL) {
		(void)close(fd);
		return;
	}
	len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, 4096 - len);

		if (r <= 0 || (len += (size_t)r) >= 4096)
			break;
	}
	(void)close(fd);
	buf[len] = '\0';
	for (p = buf + len; p > buf; p--)
		if (p[-1] == '\n' && p != buf + len && ++seen > lines)
			break;
	(void)fprintf(stderr, "---- n%d log (%s), last lines:\n%s", a->idx,
	    a->log, p);
	free(buf);
}

/* --- agent processes ------------------------------------------------------ */

/*
 * Runs av[0] with av and waits for it.  The first line of its output goes
 * to out (when out is not NULL); the rest is read and dropped.  0 when it
 * exited 0.
 */
static int
run_tool(char *const av[], char *out, size_t outlen)
{
	char	buf[256], sink[512], *dst;
	size_t	len = 0, room;
	ssize_t	r;
	pid_t	pid;
	int	fds[2], st;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		(void)execv(av[0], av);
		_exit(127);
	}
	(void)close(fds[1]);
	for (;;) {
		dst = len < sizeof buf - 1 ? buf + len : sink;
		room = dst != sink ? sizeof buf - 1 - len : sizeof sink;
		if ((r = read(fds[0], dst, room)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (dst != sink)
			len += (size_t)r;
	}
	(void)close(fds[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (out != NULL && (buf[0] == '\0' || strlen(buf) >= outlen))
		return -1;
	if (out != NULL)
		(void)snprintf(out, outlen, "%s", buf);
	return 0;
}

/* Runs `exogpu secret` and returns its output line. */
static int
make_secret(const char *bin, char *out, size_t outlen)
{
	char	*av[] = { (char *)bin, (char *)"secret", NULL };

	return run_tool(av, out, outlen);
}

/*
 * Measures this machine's devices once (`exogpu devices --bench`, into
 * dir) so every agent can start with that registry cache; path gets the
 * devices.json to copy.
 */
#define SEED_MAX	(1 << 20)	/* bytes of devices.json copied */

static int
seed_registry(const char *bin, const char *dir, char *path, size_t pathlen)
{
	char	*av[] = { (char *)bin, (char *)"devices", (char *)"--bench",
		    (char *)"--data-dir", (char *)dir, NULL };
	double	 t0 = bench_now_s();

	if (mkdir(dir, 0700) != 0 || run_tool(av, NULL, 0) != 0 ||
	    snprintf(path, pathlen, "%s/devices.json", dir) >= (int)pathlen ||
	    access(path, R_OK) != 0) {
		(void)fprintf(stderr, "bench_cluster: `%s devices --bench "
		    "--data-dir %s` made no registry cache\n", bin, dir);
		return -1;
	}
	(void)printf("bench_cluster: devices measured once (%.1f s), the "
	    "registry cache copied to every agent\n", bench_now_s() - t0);
	return 0;
}

/* Copies the seeded registry cache into a's data dir. */
static int
copy_seed(const char *seed, const struct agent *a)
{
	char	 path[PATH_MAX + 16], *buf;
	size_t	 len, off = 0;
	ssize_t	 w;
	int	 fd, rc = 0;

	if ((buf = read_small(seed, SEED_MAX, &len)) == NULL)
		return -1;
	(void)snprintf(path, sizeof path, "%s/devices.json", a->dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		free(buf);
		return -1;
	}
	while (off < len && rc == 0) {
		if ((w = write(fd, buf + off, len - off)) > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EINTR)
			rc = -1;
	}
	if (close(fd) != 0)
		rc = -1;
	free(buf);
	return rc;
}

/*
 * Starts agent a (first start: ephemeral QUIC port; restart: the port it
 * had).  join is a QUIC address or NULL.  Any old run.json is removed so
 * the new one tells when this process is up.
 */
static int
spawn(struct cluster *cl, struct agent *a, const char *join)
{
	char		 name[16], listen[ADDR_SIZE], runj[PATH_MAX + 16];
	char		 probe[32];
	char		*av[24];
	sigset_t	 none;
	pid_t		 pid, parent = getpid();
	int		 k = 0, fd;

	(void)snprintf(name, sizeof name, "n%d", a->idx);
	(void)snprintf(listen, sizeof listen, "127.0.0.1:%d", a->port);
	(void)snprintf(runj, sizeof runj, "%s/run.json", a->dir);
	(void)snprintf(probe, sizeof probe, "%ld", cl->probe_bytes);
	if (unlink(runj) != 0 && errno != ENOENT)
		return -1;
	av[k++] = (char *)cl->bin;
	av[k++] = (char *)"agent";
	av[k++] = (char *)"--data-dir";
	av[k++] = a->dir;
	av[k++] = (char *)"--name";
	av[k++] = name;
	av[k++] = (char *)"--listen";
	av[k++] = listen;
	av[k++] = (char *)"--http";
	av[k++] = (char *)"127.0.0.1:0";
	av[k++] = (char *)"--no-mdns";
	av[k++] = (char *)"--no-bench";
	av[k++] = (char *)"--probe-bytes";
	av[k++] = probe;
	if (join != NULL) {
		av[k++] = (char *)"--join";
		av[k++] = (char *)join;
	}
	av[k++] = (char *)"--probe-interval";
	av[k++] = (char *)"0";
	av[k] = NULL;
	(void)sigemptyset(&none);
	a->api_up = 0;
	a->api[0] = '\0';
	a->spawned = bench_now_s();
	/* The agent reads the secret from its environment, never argv. */
	if (setenv("EXOGPU_JOIN_SECRET", cl->secret, 1) != 0) {
		(void)fprintf(stderr, "bench_cluster: setenv: %s\n",
		    strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		(void)fprintf(stderr, "bench_cluster: fork: %s\n",
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)signal(SIGPIPE, SIG_DFL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent)
			_exit(127);
		if ((fd = open(a->log, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0
		    || dup2(fd, STDOUT_FILENO) < 0 ||
		    dup2(fd, STDERR_FILENO) < 0)
			_exit(127);
		if ((fd = open("/dev/null", O_RDONLY)) < 0 ||
		    dup2(fd, STDIN_FILENO) < 0)
			_exit(127);
		(void)execv(cl->bin, av);
		_exit(127);
	}
	a->pid = pid;
	return 0;
}

/* Waits for a to exit (it was signalled); SIGKILL after grace_s. */
static void
reap(struct agent *a, double grace_s)
{
	double	dl = bench_now_s() + grace_s;
	int	st;

	if (a->pid <= 0)
		return;
	while (waitpid(a->pid, &st, WNOHANG) == 0) {
		if (bench_now_s() > dl) {
			(void)kill(a->pid, SIGKILL);
			(void)waitpid(a->pid, &st, 0);
			break;
		}
		(void)usleep(5000);
	}
	a->pid = 0;
}

static void
stop_agent(struct agent *a, int sig)
{
	if (a->pid <= 0)
		return;
	(void)kill(a->pid, sig);
	reap(a, sig == SIGKILL ? 10 : 5);
}

static void
stop_all(struct cluster *cl)
{
	double	dl = bench_now_s() + 3;
	int	i, st, left;

	for (i = 0; i < cl->n; i++)
		if (cl->a[i].pid > 0)
			(void)kill(cl->a[i].pid, SIGTERM);
	do {
		left = 0;
		for (i = 0; i < cl->n; i++) {
			if (cl->a[i].pid <= 0)
				continue;
			if (waitpid(cl->a[i].pid, &st, WNOHANG) != 0)
				cl->a[i].pid = 0;
			else
				left++;
		}
		if (left)
			(void)usleep(10000);
	} while (left && bench_now_s() < dl);
	for (i = 0; i < cl->n; i++)
		if (cl->a[i].pid > 0)
			stop_agent(&cl->a[i], SIGKILL);
}

static int
copy_str(json_t *o, const char *key, char *out, size_t outlen)
{
	const char	*s = json_string_value(json_object_get(o, key));

	if (s == NULL || strlen(s) >= outlen)
		return -1;
	(void)snprintf(out, outlen, "%s", s);
	return 0;
}

/* 1 when a's run.json names this process, 0 not yet, -1 on error. */
static int
read_run(struct agent *a)
{
	char		 path[PATH_MAX + 16], quic[ADDR_SIZE], *buf, *colon;
	json_t		*j;
	json_error_t	 jerr;
	size_t		 len;
	int		 rc = 0;

	(void)snprintf(path, sizeof path, "%s/run.json", a->dir);
	if ((buf = read_small(path, RUN_JSON_MAX, &len)) == NULL)
		return 0;
	j = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (j == NULL)
		return 0;	/* written atomically, so only a stale one */
	if (json_integer_value(json_object_get(j, "pid")) == a->pid) {
		rc = -1;
		if (copy_str(j, "api", a->api, sizeof a->api) == 0 &&
		    copy_str(j, "node_id", a->id, sizeof a->id) == 0 &&
		    json_string_value(json_array_get(json_object_get(j,
		    "quic"), 0)) != NULL &&
		    strlen(json_string_value(json_array_get(json_object_get(j,
		    "quic"), 0))) < sizeof quic) {
			(void)snprintf(quic, sizeof quic, "%s",
			    json_string_value(json_array_get(json_object_get(j,
			    "quic"), 0)));
			if ((colon = strrchr(quic, ':')) != NULL &&
			    atoi(colon + 1) > 0) {
				(void)snprintf(a->quic, sizeof a->quic, "%s",
				    quic);
				a->port = atoi(colon + 1);
				rc = 1;
			}
		}
	}
	json_decref(j);
	return rc;
}

/* Waits until every running agent without an API has one. */
static int
wait_apis(struct cluster *cl, double limit_s)
{
	double	dl = bench_now_s() + limit_s;
	int	i, st, pending, r;

	for (;;) {
		pending = 0;
		for (i = 0; i < cl->n; i++) {
			struct agent *a = &cl->a[i];

			if (a->pid <= 0 || a->api_up > 0)
				continue;
			if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
				(void)fprintf(stderr, "bench_cluster: agent "
				    "n%d exited during start-up (status "
				    "%d)\n", a->idx, st);
				a->pid = 0;
				log_tail(a, 15);
				return -1;
			}
			if ((r = read_run(a)) < 0) {
				(void)fprintf(stderr, "bench_cluster: n%d: "
				    "bad run.json\n", a->idx);
				return -1;
			}
			if (r > 0)
				a->api_up = bench_now_s();
			else
				pending++;
		}
		if (pending == 0)
			return 0;
		if (bench_now_s() > dl) {
			(void)fprintf(stderr, "bench_cluster: %d agent(s) "
			    "wrote no run.json within %.0f s\n", pending,
			    limit_s);
			return -1;
		}
		if (nap(cl, 5) != 0)
			return -1;
	}
}

/* The QUIC address a (re)started agent joins: node 1, else the first up. */
static const char *
join_for(const struct cluster *cl, const struct agent *a)
{
	int	i;

	for (i = 0; i < cl->n; i++)
		if (&cl->a[i] != a && cl->a[i].pid > 0 &&
		    cl->a[i].quic[0] != '\0')
			return cl->a[i].quic;
	return NULL;
}

/* --- API polling ------------------------------------------------------------ */

/* One call to a's API: the HTTP status, or -1 when it did not answer. */
static int
api_raw(const struct agent *a, const char *method, const char *path,
    const char *body, struct ag_http_response *resp)
{
	char	err[256];

	memset(resp, 0, sizeof *resp);
	if (ag_http_request(a->api, method, path, body, NULL, resp, err,
	    sizeof err) != 0)
		return -1;
	return resp->status;
}

/* api_raw with the answer's JSON in *out (NULL when there is none). */
static int
api_call(const struct agent *a, const char *method, const char *path,
    const char *body, json_t **out)
{
	struct ag_http_response	resp;
	json_error_t		jerr;
	int			st;

	*out = NULL;
	st = api_raw(a, method, path, body, &resp);
	if (st >= 0 && resp.body != NULL)
		*out = json_loadb(resp.body, resp.body_len, 0, &jerr);
	ag_http_response_free(&resp);
	return st;
}

static json_t *
api_get(const struct agent *a, const char *path)
{
	json_t	*j;

	if (api_call(a, "GET", path, NULL, &j) != 200) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * The value of the unlabelled sample `name` in a's /metrics (Prometheus
 * text: "name value" on a line of its own); -1 when there is none.
 */
static int
metric_value(const struct agent *a, const char *name, double *v)
{
	struct ag_http_response	 resp;
	const char		*p;
	size_t			 nl = strlen(name);
	int			 rc = -1;

	p = api_raw(a, "GET", "/metrics", NULL, &resp) == 200 ? resp.body :
	    NULL;
	while (rc != 0 && p != NULL) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ' &&
		    sscanf(p + nl, "%lf", v) == 1)
			rc = 0;
		else if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	ag_http_response_free(&resp);
	return rc;
}

/* Metric `name` summed over every running agent; -1 if one lacks it. */
static int
metric_sum(const struct cluster *cl, const char *name, double *sum)
{
	double	v;
	int	i;

	*sum = 0;
	for (i = 0; i < cl->n; i++) {
		if (cl->a[i].pid <= 0)
			continue;
		if (metric_value(&cl->a[i], name, &v) != 0) {
			(void)fprintf(stderr, "bench_cluster: n%d: no %s in "
			    "/metrics\n", cl->a[i].idx, name);
			return -1;
		}
		*sum += v;
	}
	return 0;
}

static void
get_status(const struct agent *a, struct status *s)
{
	json_t	*j = api_get(a, "/v1/status"), *l;

	memset(s, 0, sizeof *s);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return;
	}
	l = json_object_get(j, "leader");
	if (json_is_string(l) && strlen(json_string_value(l)) < ID_SIZE)
		(void)snprintf(s->leader, sizeof s->leader, "%s",
		    json_string_value(l));
	s->term = json_integer_value(json_object_get(j, "term"));
	s->quorum = json_is_true(json_object_get(j, "quorum"));
	s->members = (int)json_integer_value(json_object_get(j, "members"));
	s->alive = (int)json_integer_value(json_object_get(j,
	    "members_alive"));
	s->voters = (int)json_integer_value(json_object_get(j, "voters"));
	s->peers = (int)json_integer_value(json_object_get(j,
	    "peers_connected"));
	s->commit = json_integer_value(json_object_get(j, "commit_index"));
	s->applied = json_integer_value(json_object_get(j, "applied_index"));
	s->ok = 1;
	json_decref(j);
}

/* What observer a says about the member with node id `id`. */
static enum mstate
member_state(const struct agent *a, const char *id)
{
	json_t		*j = api_get(a, "/v1/members"), *m;
	const char	*s;
	enum mstate	 r = MS_ABSENT;
	size_t		 i;

	if (j == NULL || !json_is_array(j)) {
		json_decref(j);
		return MS_ERR;
	}
	json_array_foreach(j, i, m) {
		if ((s = json_string_value(json_object_get(m, "node_id")))
		    == NULL || strcmp(s, id) != 0)
			continue;
		s = json_string_value(json_object_get(m, "state"));
		if (s == NULL)
			r = MS_OTHER;
		else if (strcmp(s, "alive") == 0)
			r = MS_ALIVE;
		else if (strcmp(s, "suspect") == 0)
			r = MS_SUSPECT;
		else if (strcmp(s, "dead") == 0)
			r = MS_DEAD;
		else if (strcmp(s, "left") == 0)
			r = MS_LEFT;
		else
			r = MS_OTHER;
		break;
	}
	json_decref(j);
	return r;
}

static int
wanted(const struct status *s, const struct want *w)
{
	return s->ok && s->quorum && s->leader[0] != '\0' &&
	    (w->not_leader == NULL || strcmp(s->leader, w->not_leader) != 0) &&
	    (w->alive < 0 || s->alive == w->alive) &&
	    (w->voters < 0 || s->voters == w->voters);
}

static int
running(const struct cluster *cl)
{
	int	i, r = 0;

	for (i = 0; i < cl->n; i++)
		r += cl->a[i].pid > 0;
	return r;
}

static void
dump_last(const struct cluster *cl)
{
	int	i;

	for (i = 0; i < cl->n; i++) {
		const struct status *s = &cl->last[i];

		if (cl->a[i].pid <= 0)
			continue;
		if (!s->ok)
			(void)fprintf(stderr, "  n%-3d no answer\n",
			    cl->a[i].idx);
		else
			(void)fprintf(stderr, "  n%-3d leader %.8s term %lld "
			    "quorum %d members %d alive %d voters %d peers "
			    "%d\n", cl->a[i].idx, s->leader[0] ? s->leader :
			    "-", s->term, s->quorum, s->members, s->alive,
			    s->voters, s->peers);
	}
}

/* Records what a fresh answer of agent i says; 1 when i is wanted. */
static int
note(struct cluster *cl, int i, const struct want *w, int nrun, int *ok,
    double *t_ok, int *pc, double *t_pc)
{
	struct status	*s = &cl->last[i];

	get_status(&cl->a[i], s);
	if (!pc[i] && s->ok && s->peers >= nrun - 1) {
		pc[i] = 1;
		t_pc[i] = bench_now_s();
	}
	if (!wanted(s, w))
		ok[i] = 0;
	else if (!ok[i]) {
		ok[i] = 1;
		t_ok[i] = bench_now_s();
	}
	return ok[i];
}

/*
 * Polls /v1/status of every running agent until all satisfy w and name
 * the same leader, confirmed by one more full round (agents already
 * wanted are not asked again until then).  With w->peers it then keeps
 * polling, up to PEERS_EXTRA_S, for peers_connected = running-1 on all;
 * out->t_peers is when that first held on all (0: not seen).
 */
#define PEERS_EXTRA_S	10.0

static int
wait_agree(struct cluster *cl, const struct want *w, double limit_s,
    struct agreed *out)
{
	double	*t_ok, *t_pc, dl = bench_now_s() + limit_s, t0, conv = 0;
	int	*ok, *pc, i, all, agree, nrun = running(cl), rc = -1;
	const char *lead;

	memset(out, 0, sizeof *out);
	t_ok = calloc((size_t)cl->n, sizeof *t_ok);
	t_pc = calloc((size_t)cl->n, sizeof *t_pc);
	ok = calloc((size_t)cl->n, sizeof *ok);
	pc = calloc((size_t)cl->n, sizeof *pc);
	if (t_ok == NULL || t_pc == NULL || ok == NULL || pc == NULL)
		goto done;
	while (bench_now_s() < dl) {
		t0 = bench_now_s();
		all = 1;
		for (i = 0; i < cl->n; i++) {
			if (cl->a[i].pid <= 0)
				continue;
			if (conv > 0 ? !pc[i] : !ok[i] || (w->peers && !pc[i]))
				(void)note(cl, i, w, nrun, ok, t_ok, pc, t_pc);
			all &= conv > 0 ? pc[i] : ok[i];
		}
		cl->round_s += bench_now_s() - t0;
		cl->rounds++;
		if (conv > 0 && (all || bench_now_s() - conv > PEERS_EXTRA_S))
			break;
		if (conv == 0 && all) {
			/* Confirm: everyone still wanted, one leader. */
			lead = NULL;
			agree = 1;
			for (i = 0; i < cl->n; i++) {
				if (cl->a[i].pid <= 0)
					continue;
				if (!note(cl, i, w, nrun, ok, t_ok, pc, t_pc))
					agree = 0;
				else if (lead == NULL)
					lead = cl->last[i].leader;
				else if (strcmp(lead, cl->last[i].leader) != 0)
					agree = 0;
			}
			if (agree && lead != NULL) {
				(void)snprintf(out->leader, sizeof out->leader,
				    "%s", lead);
				out->t_first = dl;
				for (i = 0; i < cl->n; i++) {
					if (cl->a[i].pid <= 0)
						continue;
					if (t_ok[i] > out->t_all)
						out->t_all = t_ok[i];
					if (t_ok[i] < out->t_first)
						out->t_first = t_ok[i];
				}
				conv = bench_now_s();
				if (!w->peers)
					break;
				continue;
			}
			if (lead != NULL && !agree)	/* split: start over */
				memset(ok, 0, (size_t)cl->n * sizeof *ok);
		}
		if (nap(cl, POLL_MS) != 0)
			goto done;
	}
	if (conv > 0) {
		all = 1;
		for (i = 0; i < cl->n; i++)
			if (cl->a[i].pid > 0) {
				all &= pc[i];
				if (t_pc[i] > out->t_peers)
					out->t_peers = t_pc[i];
			}
		if (!all)
			out->t_peers = 0;
		rc = 0;
		goto done;
	}
	(void)fprintf(stderr, "bench_cluster: %d agents did not agree within "
	    "%.0f s (want alive %d, voters %d%s); last answers:\n", nrun,
	    limit_s, w->alive, w->voters, w->not_leader ? ", a new leader" :
	    "");
	dump_last(cl);
	for (i = 0; i < cl->n; i++)
		if (cl->a[i].pid > 0 && !ok[i]) {
			log_tail(&cl->a[i], 12);
			break;
		}
done:
	free(t_ok);
	free(t_pc);
	free(ok);
	free(pc);
	return rc;
}

/*
 * Polls /v1/members of every running agent except v about v until each
 * reports a state accepted by `done` (a bit mask of enum mstate).
 * *t_all: the last observer's first such answer; *t_med: the median over
 * observers; *t_suspect (if not NULL): the first "suspect" anywhere, or
 * 0.  All relative to t0.  seen (if not NULL) counts the states that
 * ended each observer's wait.
 */
static int
watch_member(struct cluster *cl, const struct agent *v, unsigned done,
    double t0, double limit_s, double *t_all, double *t_med,
    double *t_suspect, int seen[MS_OTHER + 1])
{
	double	*t = calloc((size_t)cl->n, sizeof *t);
	double	 dl = bench_now_s() + limit_s, r0, *vals;
	int	 i, pending = 0, nv;
	int	 rc = -1;

	if (t_suspect != NULL)
		*t_suspect = 0;
	if (t == NULL)
		return -1;
	while (bench_now_s() < dl) {
		pending = 0;
		r0 = bench_now_s();
		for (i = 0; i < cl->n; i++) {
			const struct agent *a = &cl->a[i];
			enum mstate s;

			if (a == v || a->pid <= 0 || t[i] > 0)
				continue;
			s = member_state(a, v->id);
			if (s == MS_SUSPECT && t_suspect != NULL &&
			    *t_suspect == 0)
				*t_suspect = bench_now_s() - t0;
			if (s != MS_ERR && (done & (1u << s)) != 0) {
				t[i] = bench_now_s() - t0;
				if (seen != NULL)
					seen[s]++;
			} else
				pending++;
		}
		cl->round_s += bench_now_s() - r0;
		cl->rounds++;
		if (pending == 0) {
			vals = t;
			nv = 0;
			*t_all = 0;
			for (i = 0; i < cl->n; i++) {
				if (&cl->a[i] == v || cl->a[i].pid <= 0)
					continue;
				vals[nv++] = t[i];
				if (t[i] > *t_all)
					*t_all = t[i];
			}
			*t_med = bench_median(vals, nv);
			rc = 0;
			break;
		}
		if (nap(cl, POLL_MS) != 0)
			break;
	}
	if (rc != 0 && bench_now_s() >= dl) {
		(void)fprintf(stderr, "bench_cluster: n%d: %d observer(s) "
		    "never reported the wanted state within %.0f s\n", v->idx,
		    pending, limit_s);
		log_tail(v, 8);
	}
	free(t);
	return rc;
}

/* --- placements ------------------------------------------------------------ */

#define PLACE_CONTEXT	512
#define CALL_LIMIT_S	30.0	/* retrying one call: a generous limit */
#define FSYNCS		"exogpu_raft_fsyncs_total"

/*
 * The answers that mean "no leader with a majority yet" or "the leader
 * did not answer" (503; 502 or 504 from a forwarding follower; none):
 * tried again.
 */
enum { RETRY_503, RETRY_GW, RETRY_NONE, RETRY_KINDS };

/* An unexpected answer, to stderr. */
static void
bad_answer(const struct agent *a, const char *call, int st, json_t *j)
{
	char	*t = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	if (st < 0)
		(void)fprintf(stderr, "bench_cluster: n%d: %s: no answer\n",
		    a->idx, call);
	else
		(void)fprintf(stderr, "bench_cluster: n%d: %s: HTTP %d %s\n",
		    a->idx, call, st, t != NULL ? t : "");
	free(t);
}

/* The body of a placement request (malloc'd), or NULL. */
static char *
place_body(const struct cluster *cl)
{
	json_t	*j = json_pack("{s:s, s:i}", "model", cl->model, "context",
		    PLACE_CONTEXT);
	char	*s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

/*
 * Calls a's API, and again every POLL_MS while the answer is 503, 502 or
 * 504 or there is none, up to limit_s; the last status, with its JSON in
 * *out.  seen (if not NULL) counts the answers that were retried.
 */
static int
api_retry(const struct cluster *cl, const struct agent *a,
    const char *method, const char *path, const char *body, double limit_s,
    json_t **out, int seen[RETRY_KINDS])
{
	double	dl = bench_now_s() + limit_s;
	int	st, k;

	for (;;) {
		st = api_call(a, method, path, body, out);
		k = st == 503 ? RETRY_503 : st == 502 || st == 504 ?
		    RETRY_GW : st < 0 ? RETRY_NONE : -1;
		if (k < 0 || bench_now_s() >= dl)
			return st;
		if (seen != NULL)
			seen[k]++;
		json_decref(*out);
		*out = NULL;
		if (nap(cl, POLL_MS) != 0)
			return st;
	}
}

/*
 * POSTs one placement to a (again while 503/502/504/no answer, counted
 * in seen): 0 with its id, the call's time (retries included) and solve.
 */
static int
place_one(const struct cluster *cl, const struct agent *a, const char *body,
    long long *id, double *dt, double *solve_s, int seen[RETRY_KINDS])
{
	json_t	*j;
	double	 t0 = bench_now_s();
	int	 st;

	st = api_retry(cl, a, "POST", "/v1/placements", body, CALL_LIMIT_S, &j,
	    seen);
	*dt = bench_now_s() - t0;
	if (st != 201 || !json_is_integer(json_object_get(j, "id"))) {
		bad_answer(a, "POST /v1/placements", st, j);
		json_decref(j);
		return -1;
	}
	*id = json_integer_value(json_object_get(j, "id"));
	*solve_s = json_number_value(json_object_get(j, "solve_ms")) / 1e3;
	json_decref(j);
	return 0;
}

static void
release_path(long long id, char *buf, size_t len)
{
	(void)snprintf(buf, len, "/v1/placements?id=%lld", id);
}

/*
 * Releases placement id through a, like place_one: 0 on 200, or on 404
 * after a retry (a 503 "outcome_unknown" whose release was committed).
 */
static int
release_one(const struct cluster *cl, const struct agent *a, long long id,
    double *dt, int seen[RETRY_KINDS])
{
	char	 path[64];
	json_t	*j;
	double	 t0 = bench_now_s();
	int	 st, before = seen[RETRY_503] + seen[RETRY_GW] +
		    seen[RETRY_NONE];

	release_path(id, path, sizeof path);
	st = api_retry(cl, a, "DELETE", path, NULL, CALL_LIMIT_S, &j, seen);
	*dt = bench_now_s() - t0;
	if (st == 404 && seen[RETRY_503] + seen[RETRY_GW] +
	    seen[RETRY_NONE] > before)
		st = 200;
	if (st != 200)
		bad_answer(a, path, st, j);
	json_decref(j);
	return st == 200 ? 0 : -1;
}

/*
 * Waits until every running agent has applied the commit index lead
 * reports (so every agent's write of the last entry is done); *commit
 * gets that index.
 */
static int
wait_applied(struct cluster *cl, const struct agent *lead, long long *commit)
{
	struct status	s;
	double		dl = bench_now_s() + 10;
	int		i, behind;

	get_status(lead, &s);
	if (!s.ok) {
		(void)fprintf(stderr, "bench_cluster: n%d: no status\n",
		    lead->idx);
		return -1;
	}
	*commit = s.commit;
	do {
		behind = 0;
		for (i = 0; i < cl->n; i++) {
			if (cl->a[i].pid <= 0)
				continue;
			get_status(&cl->a[i], &s);
			behind += !s.ok || s.applied < *commit;
		}
		if (behind == 0)
			return 0;
	} while (nap(cl, POLL_MS) == 0 && bench_now_s() < dl);
	(void)fprintf(stderr, "bench_cluster: %d agent(s) did not apply log "
	    "index %lld within 10 s\n", behind, *commit);
	return -1;
}

/*
 * The fsyncs of all agents once they stop changing (heartbeats write
 * nothing, so a quiet 100 ms means every write of the last call is in).
 */
static int
settled_fsyncs(struct cluster *cl, double *sum)
{
	double	prev, dl = bench_now_s() + 3;

	if (metric_sum(cl, FSYNCS, sum) != 0)
		return -1;
	do {
		prev = *sum;
		if (nap(cl, 100) != 0 || metric_sum(cl, FSYNCS, sum) != 0)
			return -1;
	} while (*sum != prev && bench_now_s() < dl);
	return 0;
}

/* What placements and releases through one agent's API cost. */
struct commit_run {
	struct series	place, release, solve;	/* seconds */
	double		fsyncs[2], entries[2];	/* [0] placing, [1] releasing */
	int		calls[2];
	int		seen[RETRY_KINDS];	/* answers retried */
};

/*
 * One batch through a, one call at a time: n placements (ids filled), or
 * (release) the releases of ids; fsyncs and log entries counted around it.
 */
static int
commit_batch(struct cluster *cl, const struct agent *a,
    const struct agent *lead, long long *ids, int n, int release,
    struct commit_run *r)
{
	double		 f0, f1, dt, solve;
	long long	 c0, c1;
	char		*body = NULL;
	int		 i, rc = -1;

	if (wait_applied(cl, lead, &c0) != 0 ||
	    settled_fsyncs(cl, &f0) != 0 ||
	    (!release && (body = place_body(cl)) == NULL))
		return -1;
	for (i = 0; i < n; i++) {
		if (release ? release_one(cl, a, ids[i], &dt, r->seen) :
		    place_one(cl, a, body, &ids[i], &dt, &solve, r->seen))
			goto out;
		series_add(release ? &r->release : &r->place, dt);
		if (!release)
			series_add(&r->solve, solve);
	}
	if (wait_applied(cl, lead, &c1) != 0 ||
	    settled_fsyncs(cl, &f1) != 0)
		goto out;
	r->fsyncs[release] += f1 - f0;
	r->entries[release] += (double)(c1 - c0);
	r->calls[release] += n;
	rc = 0;
out:
	free(body);
	return rc;
}

/*
 * k placements and their releases through a, in batches of at most two
 * live placements per running agent, so memory never runs out.
 */
static int
commit_via(struct cluster *cl, const struct agent *a,
    const struct agent *lead, int k, struct commit_run *r)
{
	long long	ids[MAX_SERIES];
	int		batch = 2 * running(cl), done, m;

	if (batch > MAX_SERIES)
		batch = MAX_SERIES;
	for (done = 0; done < k; done += m) {
		m = k - done < batch ? k - done : batch;
		if (commit_batch(cl, a, lead, ids, m, 0, r) != 0 ||
		    commit_batch(cl, a, lead, ids, m, 1, r) != 0)
			return -1;
	}
	return 0;
}

/* --- scenarios -------------------------------------------------------------- */

static struct agent *
by_id(struct cluster *cl, const char *id)
{
	int	i;

	for (i = 0; i < cl->n; i++)
		if (cl->a[i].pid > 0 && strcmp(cl->a[i].id, id) == 0)
			return &cl->a[i];
	return NULL;
}

/* A running follower, not node 1 (the join target); rotates with k. */
static struct agent *
pick_follower(struct cluster *cl, const char *leader, int k)
{
	int	i, j;

	for (i = 0; i < cl->n; i++) {
		j = cl->n - 1 - (i + k) % cl->n;
		if (j > 0 && cl->a[j].pid > 0 &&
		    strcmp(cl->a[j].id, leader) != 0)
			return &cl->a[j];
	}
	return NULL;
}

static double
conv_limit(const struct cluster *cl)
{
	return 30.0 + cl->n;
}

static int
start_cluster(struct cluster *cl, int n, const char *root)
{
	int	i;

	cl->n = n;
	cl->a = calloc((size_t)n, sizeof *cl->a);
	cl->last = calloc((size_t)n, sizeof *cl->last);
	if (cl->a == NULL || cl->last == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct agent *a = &cl->a[i];

		a->idx = i + 1;
		if (snprintf(a->dir, sizeof a->dir, "%s/n%d", root, a->idx) >=
		    (int)sizeof a->dir || snprintf(a->log, sizeof a->log,
		    "%s/n%d.log", root, a->idx) >= (int)sizeof a->log ||
		    mkdir(a->dir, 0700) != 0 ||
		    (cl->seed != NULL && copy_seed(cl->seed, a) != 0))
			return -1;
	}
	if (spawn(cl, &cl->a[0], NULL) != 0 || wait_apis(cl, 30) != 0)
		return -1;
	for (i = 1; i < n; i++) {
		if (spawn(cl, &cl->a[i], cl->a[0].quic) != 0)
			return -1;
		if (cl->stagger_ms > 0 && i + 1 < n &&
		    nap(cl, cl->stagger_ms) != 0)
			return -1;
	}
	return wait_apis(cl, 30 + n);
}

static int
converge(struct cluster *cl, int n, const char *root, struct agreed *ag)
{
	struct want	w = { n, n < MAX_VOTERS ? n : MAX_VOTERS, NULL, 1 };
	double		t0, cpu, last_api = 0;
	long		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int		i;

	if (start_cluster(cl, n, root) != 0)
		return -1;
	for (i = 0; i < cl->n; i++)
		if (cl->a[i].api_up > last_api)
			last_api = cl->a[i].api_up;
	if (wait_agree(cl, &w, conv_limit(cl), ag) != 0)
		return -1;
	t0 = cl->a[0].spawned;	/* node 1's first (and only) spawn */
	(void)printf("  start-up: node 1 API up after %.3f s; all %d APIs up "
	    "%.3f s after node 1 was spawned (stagger %d ms)\n",
	    cl->a[0].api_up - t0, cl->n, last_api - t0, cl->stagger_ms);
	(void)printf("  converged (all: members_alive=%d, voters=%d, one "
	    "leader with quorum):\n    %.3f s after spawning node 1, %.3f s "
	    "after the last API came up\n", cl->n, w.voters, ag->t_all - t0,
	    ag->t_all - last_api);
	if (ag->t_peers > 0)
		(void)printf("    peers_connected=%d on all: %.3f s after "
		    "spawning node 1, %.3f s after the last API\n", cl->n - 1,
		    ag->t_peers - t0, ag->t_peers - last_api);
	else
		(void)printf("    peers_connected=%d NOT reached on all within "
		    "%.0f s of convergence\n", cl->n - 1, PEERS_EXTRA_S);
	(void)printf("    first agent in the converged state at %.3f s\n",
	    ag->t_first - t0);
	cpu = agents_cpu_s(cl);
	if (cpu >= 0 && ncpu > 0)
		(void)printf("    CPU used by all agents from spawn to "
		    "convergence: %.1f s (%.0f %% of the %ld core(s) over that "
		    "time)\n", cpu, 100 * cpu / (ag->t_all - t0) / (double)ncpu,
		    ncpu);
	return 0;
}

/*
 * Starts a stopped agent again (same data dir and QUIC port).  The next
 * scenario's current_leader() waits for the cluster to be whole again.
 */
static int
restore(struct cluster *cl, struct agent *a)
{
	if (spawn(cl, a, join_for(cl, a)) != 0)
		return -1;
	return wait_apis(cl, 20);
}

#define M(s)	(1u << (s))

/*
 * The leader every agent names, once the whole cluster agrees again and
 * (within PEERS_EXTRA_S) is a full mesh, so each scenario starts from the
 * steady state.
 */
static int
current_leader(struct cluster *cl, char *out, size_t outlen)
{
	struct want	w = { cl->n, cl->n < MAX_VOTERS ? cl->n : MAX_VOTERS,
			    NULL, 1 };
	struct agreed	ag;

	if (wait_agree(cl, &w, 30, &ag) != 0)
		return -1;
	if (ag.t_peers == 0)
		(void)printf("    note: not a full mesh %.0f s after agreeing "
		    "(peers_connected < %d somewhere)\n", PEERS_EXTRA_S,
		    cl->n - 1);
	(void)snprintf(out, outlen, "%s", ag.leader);
	return 0;
}

static int
bench_restart(struct cluster *cl, int k, struct series *gone,
    struct series *back, struct series *back_api, struct series *back_med,
    int seen[MS_OTHER + 1])
{
	struct agent	*v;
	char		 leader[ID_SIZE];
	double		 t0, all, med;

	if (current_leader(cl, leader, sizeof leader) != 0 ||
	    (v = pick_follower(cl, leader, k)) == NULL)
		return -1;
	t0 = bench_now_s();
	stop_agent(v, SIGTERM);
	if (watch_member(cl, v, M(MS_ABSENT) | M(MS_SUSPECT) | M(MS_DEAD) |
	    M(MS_LEFT) | M(MS_OTHER), t0, 20, &all, &med, NULL, seen) != 0)
		return -1;
	series_add(gone, all);
	if (spawn(cl, v, join_for(cl, v)) != 0 || wait_apis(cl, 20) != 0)
		return -1;
	t0 = v->spawned;
	if (watch_member(cl, v, M(MS_ALIVE), t0, 30, &all, &med, NULL, NULL)
	    != 0)
		return -1;
	series_add(back, all);
	series_add(back_api, all - (v->api_up - v->spawned));
	series_add(back_med, med);
	return 0;
}

static int
bench_dead(struct cluster *cl, int k, struct series *suspect,
    struct series *dead, struct series *dead_med)
{
	struct agent	*v;
	char		 leader[ID_SIZE];
	double		 t0, all, med, sus;

	if (current_leader(cl, leader, sizeof leader) != 0 ||
	    (v = pick_follower(cl, leader, k)) == NULL)
		return -1;
	t0 = bench_now_s();
	stop_agent(v, SIGKILL);
	if (watch_member(cl, v, M(MS_DEAD), t0, 30, &all, &med, &sus, NULL)
	    != 0)
		return -1;
	if (sus > 0)
		series_add(suspect, sus);
	series_add(dead, all);
	series_add(dead_med, med);
	return restore(cl, v);
}

/* What the failover client (a child process) saw. */
struct first_commit {
	double		t;		/* when the 201 came; 0: never */
	long long	id;
	int		status;		/* its last answer */
	int		seen[RETRY_KINDS];	/* answers retried */
};

/*
 * The failover client, in a child process so it runs while the parent
 * polls for the new leader: POSTs a placement to a, again every POLL_MS
 * while the answer is 503, 502, 504 or none, until the 201 (at most
 * CALL_LIMIT_S); writes a struct first_commit to fd and exits.
 */
static void
first_commit_child(const struct cluster *cl, const struct agent *a,
    const char *body, int fd)
{
	struct first_commit	 fc;
	json_t			*j;

	memset(&fc, 0, sizeof fc);
	fc.status = api_retry(cl, a, "POST", "/v1/placements", body,
	    CALL_LIMIT_S, &j, fc.seen);
	if (fc.status == 201 && json_is_integer(json_object_get(j, "id"))) {
		fc.t = bench_now_s();
		fc.id = json_integer_value(json_object_get(j, "id"));
	} else
		bad_answer(a, "POST /v1/placements after the leader's kill",
		    fc.status, j);
	json_decref(j);
	_exit(write(fd, &fc, sizeof fc) == (ssize_t)sizeof fc ? 0 : 1);
}

/* Starts first_commit_child on a; *fd reads its answer.  Its pid, or -1. */
static pid_t
first_commit_start(const struct cluster *cl, const struct agent *a,
    const char *body, int *fd)
{
	pid_t	pid, parent = getpid();
	int	fds[2];

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		(void)close(fds[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent)
			_exit(127);
		first_commit_child(cl, a, body, fds[1]);
	}
	(void)close(fds[1]);
	*fd = fds[0];
	return pid;
}

/* Reads the client's answer and reaps it; 0 when it got its 201. */
static int
first_commit_wait(pid_t pid, int fd, struct first_commit *fc)
{
	ssize_t	r;
	int	st;

	memset(fc, 0, sizeof *fc);
	do
		r = read(fd, fc, sizeof *fc);
	while (r < 0 && errno == EINTR);
	(void)close(fd);
	(void)waitpid(pid, &st, 0);
	return r == (ssize_t)sizeof *fc && fc->t > 0 ? 0 : -1;
}

/* What the failover runs measured. */
struct failover {
	struct series	first, all, commit, fresh;
	int		seen[RETRY_KINDS];	/* the client's retries */
};

/*
 * After the new leader is agreed: a fresh POST through c (how soon a
 * client that waited for the agreement is served), the retrying client's
 * answer, and both placements released.  Times from the kill at t0.
 */
static int
failover_commits(struct cluster *cl, const struct agent *c, double t0,
    pid_t pid, int fd, struct failover *fo)
{
	struct first_commit	 fc;
	char			*body = place_body(cl);
	long long		 id = -1;
	double			 dt, solve;
	int			 seen[RETRY_KINDS] = { 0 }, i, rc;

	if (body != NULL &&
	    place_one(cl, c, body, &id, &dt, &solve, seen) == 0)
		series_add(&fo->fresh, bench_now_s() - t0);
	free(body);
	if ((rc = first_commit_wait(pid, fd, &fc)) != 0)
		(void)fprintf(stderr, "bench_cluster: n%d: no placement "
		    "committed within %.0f s of the leader's kill\n", c->idx,
		    CALL_LIMIT_S);
	else {
		series_add(&fo->commit, fc.t - t0);
		for (i = 0; i < RETRY_KINDS; i++)
			fo->seen[i] += fc.seen[i];
		rc = release_one(cl, c, fc.id, &dt, seen);
	}
	if (id >= 0 && release_one(cl, c, id, &dt, seen) != 0)
		rc = -1;
	return id >= 0 ? rc : -1;
}

/*
 * kill -9 the leader: the new leader agreed by all, the first placement
 * committed for a client retrying through a surviving follower from the
 * kill on, and for one that POSTs there once all agree.  The old leader
 * is started again when `again`.
 */
static int
bench_failover(struct cluster *cl, int k, int again, struct failover *fo)
{
	struct agent		*l, *c;
	struct first_commit	 fc;
	char			 leader[ID_SIZE], *body;
	struct want		 w = { -1, -1, leader, 0 };
	struct agreed		 ag;
	double			 t0;
	pid_t			 pid;
	int			 fd;

	if (current_leader(cl, leader, sizeof leader) != 0)
		return -1;
	if ((l = by_id(cl, leader)) == NULL) {
		(void)fprintf(stderr, "bench_cluster: leader %s is not one of "
		    "ours\n", leader);
		return -1;
	}
	if ((c = pick_follower(cl, leader, k)) == NULL ||
	    (body = place_body(cl)) == NULL)
		return -1;
	t0 = bench_now_s();
	stop_agent(l, SIGKILL);
	pid = first_commit_start(cl, c, body, &fd);
	free(body);
	if (pid < 0)
		return -1;
	if (wait_agree(cl, &w, 30, &ag) != 0) {
		(void)kill(pid, SIGKILL);
		(void)first_commit_wait(pid, fd, &fc);
		return -1;
	}
	series_add(&fo->first, ag.t_first - t0);
	series_add(&fo->all, ag.t_all - t0);
	if (failover_commits(cl, c, t0, pid, fd, fo) != 0)
		return -1;
	return again ? restore(cl, l) : 0;
}

/*
 * k placements and releases through the leader's API, then k through a
 * follower's (forwarded to the leader).
 */
static int
bench_commit(struct cluster *cl, int k, struct commit_run *lead,
    struct commit_run *fol)
{
	struct agent	*l, *f;
	char		 leader[ID_SIZE];

	if (current_leader(cl, leader, sizeof leader) != 0 ||
	    (l = by_id(cl, leader)) == NULL ||
	    (f = pick_follower(cl, leader, 0)) == NULL)
		return -1;
	return commit_via(cl, l, l, k, lead) != 0 ||
	    commit_via(cl, f, l, k, fol) != 0 ? -1 : 0;
}

/* "X (Y over n calls)": a count per call. */
static void
per_call(const char *what, double total, int calls)
{
	if (calls > 0)
		(void)printf("    %-42s %.2f (%.0f over %d calls)\n", what,
		    total / calls, total, calls);
}

static void
print_commit(const struct cluster *cl, const struct commit_run *r)
{
	const struct commit_run	*lr = &r[0], *fr = &r[1];
	char			 what[64];

	(void)printf("  placement commit (%s, context %d; one call at a "
	    "time, 201/200 after commit and apply):\n", cl->model,
	    PLACE_CONTEXT);
	series_print_ms("POST -> 201 via the leader's API", &lr->place);
	series_print_ms("DELETE -> 200 via the leader's API", &lr->release);
	series_print_ms("POST -> 201 via a follower's API", &fr->place);
	series_print_ms("DELETE -> 200 via a follower's API", &fr->release);
	series_print_ms("solve_ms reported in the 201s (leader)", &lr->solve);
	series_print_ms("solve_ms reported in the 201s (follower)",
	    &fr->solve);
	(void)snprintf(what, sizeof what, "fsyncs per placement (%d agents)",
	    running(cl));
	per_call(what, lr->fsyncs[0] + fr->fsyncs[0],
	    lr->calls[0] + fr->calls[0]);
	per_call("fsyncs per release", lr->fsyncs[1] + fr->fsyncs[1],
	    lr->calls[1] + fr->calls[1]);
	per_call("log entries per placement (commit index)",
	    lr->entries[0] + fr->entries[0], lr->calls[0] + fr->calls[0]);
	per_call("log entries per release", lr->entries[1] + fr->entries[1],
	    lr->calls[1] + fr->calls[1]);
	(void)printf("    (answers retried, every %d ms, inside the times "
	    "above: 503 x%d, 502/504 x%d, no answer x%d)\n", POLL_MS,
	    lr->seen[RETRY_503] + fr->seen[RETRY_503], lr->seen[RETRY_GW] +
	    fr->seen[RETRY_GW], lr->seen[RETRY_NONE] + fr->seen[RETRY_NONE]);
}

/* --- idle cost ------------------------------------------------------------ */

static int
proc_ticks(pid_t pid, unsigned long long *ticks)
{
	char			 path[64], *buf, *p;
	size_t			 len;
	unsigned long long	 ut, st;
	int			 field;

	(void)snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((buf = read_small(path, 4096, &len)) == NULL)
		return -1;
	/* comm may hold spaces and parens: fields restart after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL) {
		free(buf);
		return -1;
	}
	p++;
	/* p points before field 3 (state); utime is 14, stime 15. */
	for (field = 3; field < 14 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu %llu", &ut, &st) != 2) {
		free(buf);
		return -1;
	}
	free(buf);
	*ticks = ut + st;
	return 0;
}

/* CPU seconds used so far by all running agents; -1 if unreadable. */
static double
agents_cpu_s(const struct cluster *cl)
{
	unsigned long long	t, sum = 0;
	long			hz = sysconf(_SC_CLK_TCK);
	int			i;

	for (i = 0; i < cl->n; i++)
		if (cl->a[i].pid > 0) {
			if (proc_ticks(cl->a[i].pid, &t) != 0)
				return -1;
			sum += t;
		}
	return hz > 0 ? (double)sum / (double)hz : -1;
}

static int
proc_rss_kib(pid_t pid, long *kib)
{
	char	path[64], *buf, *p;
	size_t	len;

	(void)snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((buf = read_small(path, 16384, &len)) == NULL)
		return -1;
	if ((p = strstr(buf, "\nVmRSS:")) == NULL ||
	    sscanf(p + 7, "%ld", kib) != 1) {
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

static int
idle_cost(struct cluster *cl, double window_s)
{
	unsigned long long	*t0, t1;
	double			*cpu, *rss, tstart, el, sum = 0;
	long			 hz = sysconf(_SC_CLK_TCK), kib;
	int			 i, n = 0, rc = -1;

	t0 = calloc((size_t)cl->n, sizeof *t0);
	cpu = calloc((size_t)cl->n, sizeof *cpu);
	rss = calloc((size_t)cl->n, sizeof *rss);
	if (t0 == NULL || cpu == NULL || rss == NULL || hz <= 0)
		goto out;
	tstart = bench_now_s();
	for (i = 0; i < cl->n; i++)
		if (cl->a[i].pid > 0 && proc_ticks(cl->a[i].pid, &t0[i]) != 0)
			goto out;
	for (el = 0; el < window_s; el += 0.1)
		if (nap(cl, 100) != 0)
			goto out;
	el = bench_now_s() - tstart;
	for (i = 0; i < cl->n; i++) {
		if (cl->a[i].pid <= 0)
			continue;
		if (proc_ticks(cl->a[i].pid, &t1) != 0 ||
		    proc_rss_kib(cl->a[i].pid, &kib) != 0)
			goto out;
		cpu[n] = 100.0 * (double)(t1 - t0[i]) / (double)hz / el;
		rss[n] = (double)kib / 1024.0;
		sum += cpu[n];
		n++;
	}
	(void)printf("  idle, %d agents over %.1f s (no API polling): CPU "
	    "median %.2f %%, max %.2f %% of one core (all together %.1f %%);"
	    "\n    RSS median %.1f MiB, max %.1f MiB\n", n, el,
	    bench_median(cpu, n), maximum(cpu, n), sum, bench_median(rss, n),
	    maximum(rss, n));
	rc = 0;
out:
	free(t0);
	free(cpu);
	free(rss);
	return rc;
}

/* --- the runs ------------------------------------------------------------- */

static void
free_cluster(struct cluster *cl)
{
	if (cl->a != NULL)
		stop_all(cl);
	free(cl->a);
	free(cl->last);
	cl->a = NULL;
	cl->last = NULL;
	cl->n = 0;
}

static void
print_round(struct cluster *cl)
{
	if (cl->rounds > 0)
		(void)printf("  (one poll round of the %d agents took %.1f ms "
		    "on average)\n", cl->n, 1e3 * cl->round_s / cl->rounds);
	cl->rounds = cl->round_s = 0;
}

/*
 * One cluster of n agents: convergence, the idle cost over idle_s (0:
 * skipped), then `restarts` restarts, `deads` dead-peer detections,
 * `places` placements and releases through the leader and as many through
 * a follower, and `failovers` leader kills.
 */
static int
run_cluster(struct cluster *cl, const char *root, int n, int restarts,
    int deads, int places, int failovers, double idle_s)
{
	struct series	gone = { {0}, 0 }, back = { {0}, 0 };
	struct series	back_api = { {0}, 0 }, back_med = { {0}, 0 };
	struct series	sus = { {0}, 0 }, dead = { {0}, 0 };
	struct series	dead_med = { {0}, 0 };
	struct failover	fo;
	struct commit_run cr[2];
	struct agreed	ag;
	int		k, seen[MS_OTHER + 1] = { 0 };

	memset(&fo, 0, sizeof fo);
	memset(cr, 0, sizeof cr);
	(void)printf("cluster of %d agents:\n", n);
	(void)fflush(stdout);
	if (converge(cl, n, root, &ag) != 0)
		return -1;
	print_round(cl);
	(void)fflush(stdout);
	if (idle_s > 0) {
		/* Let admission traffic and the first records settle. */
		if (nap(cl, idle_s >= 5 ? 2000 : 200) != 0 ||
		    idle_cost(cl, idle_s) != 0)
			return -1;
		(void)fflush(stdout);
	}
	for (k = 0; k < restarts; k++)
		if (bench_restart(cl, k, &gone, &back, &back_api,
		    &back_med, seen) != 0)
			return -1;
	if (restarts > 0) {
		(void)printf("  restart of a follower (SIGTERM; start again, "
		    "same data dir and QUIC port):\n");
		series_print("SIGTERM -> not alive on all others", &gone);
		(void)printf("    (state then reported: absent %d, suspect %d, "
		    "dead %d, left %d, other %d)\n", seen[MS_ABSENT],
		    seen[MS_SUSPECT], seen[MS_DEAD], seen[MS_LEFT],
		    seen[MS_OTHER]);
		series_print("spawn -> alive again on all others", &back);
		series_print("its API up -> alive again on all others",
		    &back_api);
		series_print("spawn -> alive again, median observer",
		    &back_med);
		print_round(cl);
		(void)fflush(stdout);
	}
	for (k = 0; k < deads; k++)
		if (bench_dead(cl, k, &sus, &dead, &dead_med) != 0)
			return -1;
	if (deads > 0) {
		(void)printf("  dead peer (kill -9 a follower):\n");
		series_print("kill -> first \"suspect\" on any agent", &sus);
		series_print("kill -> \"dead\" on all others", &dead);
		series_print("kill -> \"dead\", median observer", &dead_med);
		print_round(cl);
		(void)fflush(stdout);
	}
	if (places > 0) {
		if (bench_commit(cl, places, &cr[0], &cr[1]) != 0)
			return -1;
		print_commit(cl, cr);
		print_round(cl);
		(void)fflush(stdout);
	}
	for (k = 0; k < failovers; k++)
		if (bench_failover(cl, k, k + 1 < failovers, &fo) != 0)
			return -1;
	if (failovers > 0) {
		(void)printf("  failover (kill -9 the leader; the old one "
		    "restarted between runs):\n");
		series_print("kill -> new leader with quorum, first agent",
		    &fo.first);
		series_print("kill -> same new leader with quorum on all",
		    &fo.all);
		series_print("kill -> 201, client retrying from the kill",
		    &fo.commit);
		(void)printf("    (POSTs to a surviving follower from the kill "
		    "on, again every %d ms while the\n    answer is 503/502/"
		    "504/none; retried: 503 x%d, 502/504 x%d, no answer x%d)"
		    "\n",
		    POLL_MS, fo.seen[RETRY_503], fo.seen[RETRY_GW],
		    fo.seen[RETRY_NONE]);
		series_print("kill -> 201 of a POST sent once all agree",
		    &fo.fresh);
		print_round(cl);
	}
	(void)fflush(stdout);
	return 0;
}

/* The 1-minute load average: the figures mean little on a busy box. */
static void
print_load(const char *when)
{
	char	*buf;
	size_t	 len;
	double	 l1;

	if ((buf = read_small("/proc/loadavg", 256, &len)) == NULL)
		return;
	if (sscanf(buf, "%lf", &l1) == 1)
		(void)printf("bench_cluster: load average (1 min) %s: %.2f\n",
		    when, l1);
	free(buf);
}

static void
usage(void)
{
	(void)fprintf(stderr, "usage: bench_cluster [--quick] [--nodes N] "
	    "[--small N] [--repeats R] [--stagger-ms MS] [--probe-bytes N]"
	    "\n                     [--places K] [--model NAME]\n");
}

int
main(int argc, char **argv)
{
	struct cluster	 cl;
	struct rusage	 ru;
	sigset_t	 stop;
	char		 root[PATH_MAX], secret[256], sub[PATH_MAX + 16];
	char		 seed[PATH_MAX + 32];
	const char	*tmp = getenv("TMPDIR"), *model = "mistral-7b:q4_0";
	double		 t0 = bench_now_s();
	int		 i, quick = 0, nodes = 32, small = 5, repeats = 3, rc = 1;
	int		 stagger = 50, places = 16;
	long		 probe = 64 * 1024;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
			nodes = atoi(argv[++i]);
		else if (strcmp(argv[i], "--small") == 0 && i + 1 < argc)
			small = atoi(argv[++i]);
		else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
			repeats = atoi(argv[++i]);
		else if (strcmp(argv[i], "--stagger-ms") == 0 && i + 1 < argc)
			stagger = atoi(argv[++i]);
		else if (strcmp(argv[i], "--probe-bytes") == 0 && i + 1 < argc)
			probe = atol(argv[++i]);
		else if (strcmp(argv[i], "--places") == 0 && i + 1 < argc)
			places = atoi(argv[++i]);
		else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
			model = argv[++i];
		else {
			usage();
			return 2;
		}
	}
	if (nodes < 3 || nodes > 256 || (small != 0 && small < 3) ||
	    small > 256 ||
	    repeats < 0 || repeats > 20 || stagger < 0 || stagger > 5000 ||
	    probe < 4096 || probe > (1L << 30) || places < 1 ||
	    places > MAX_SERIES || model[0] == '\0' || strlen(model) > 64) {
		usage();
		return 2;
	}
	if (access(EXOGPU_BIN, X_OK) != 0) {
		(void)fprintf(stderr, "bench_cluster: %s: %s\n", EXOGPU_BIN,
		    strerror(errno));
		return 77;
	}
	/* Stop signals are only looked at between polls (see nap()). */
	(void)sigemptyset(&stop);
	(void)sigaddset(&stop, SIGINT);
	(void)sigaddset(&stop, SIGTERM);
	(void)sigaddset(&stop, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &stop, NULL) != 0)
		return 1;
	(void)signal(SIGPIPE, SIG_IGN);
	(void)snprintf(root, sizeof root, "%s/exogpu-bench-cluster.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		(void)fprintf(stderr, "bench_cluster: mkdtemp: %s\n",
		    strerror(errno));
		return 1;
	}
	memset(&cl, 0, sizeof cl);
	cl.bin = EXOGPU_BIN;
	cl.stop = &stop;
	cl.secret = secret;
	cl.stagger_ms = stagger;
	cl.probe_bytes = probe;
	cl.model = model;
	if (make_secret(cl.bin, secret, sizeof secret) != 0) {
		(void)fprintf(stderr, "bench_cluster: `%s secret` failed\n",
		    cl.bin);
		goto out;
	}
	(void)printf("bench_cluster: exogpu agents on loopback, static join "
	    "(all --join node 1, no mDNS), --no-bench, --probe-bytes %ld, "
	    "%ld CPU(s)%s\n", probe, sysconf(_SC_NPROCESSORS_ONLN),
	    quick ? ", --quick" : "");
	print_load("before");
	(void)snprintf(sub, sizeof sub, "%s/seed", root);
	if (seed_registry(cl.bin, sub, seed, sizeof seed) != 0)
		goto out;
	cl.seed = seed;
	(void)fflush(stdout);
	if (quick) {
		(void)snprintf(sub, sizeof sub, "%s/quick", root);
		if (mkdir(sub, 0700) != 0 ||
		    run_cluster(&cl, sub, 3, 0, 0, 1, 1, 1.0) != 0)
			goto out;
	} else {
		(void)snprintf(sub, sizeof sub, "%s/small", root);
		if (small > 0 && (mkdir(sub, 0700) != 0 ||
		    run_cluster(&cl, sub, small, repeats, repeats, places,
		    repeats + 2, 0) != 0))
			goto out;
		free_cluster(&cl);
		(void)snprintf(sub, sizeof sub, "%s/large", root);
		if (mkdir(sub, 0700) != 0 ||
		    run_cluster(&cl, sub, nodes, 1, 1, places, 1, 10.0) != 0)
			goto out;
	}
	rc = 0;
	print_load("after");
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		(void)printf("bench_cluster: the bench itself (polling) used "
		    "%.1f s of CPU\n", (double)ru.ru_utime.tv_sec +
		    (double)ru.ru_stime.tv_sec + ((double)ru.ru_utime.tv_usec +
		    (double)ru.ru_stime.tv_usec) / 1e6);
	(void)printf("bench_cluster: done in %.1f s\n", bench_now_s() - t0);
out:
	if (rc != 0)
		(void)fprintf(stderr, "bench_cluster: FAILED after %.1f s\n",
		    bench_now_s() - t0);
	free_cluster(&cl);
	if (getenv("KEEP") != NULL && getenv("KEEP")[0] != '\0')
		(void)fprintf(stderr, "bench_cluster: KEEP: agents' data dirs "
		    "and logs kept in %s\n", root);
	else
		rm_tree(root);
	return rc;
}
