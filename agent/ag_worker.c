/*
 * ag_worker.c - supervising the engine workers of this node's stages; see
 * ag_worker.h for the shape and docs/engines.md ("Workers") for the
 * states and the rules.
 *
 * A slot is one (placement id, epoch, stage).  Its life: STARTING (the
 * process runs, the health check has not passed yet) -> READY (it
 * answered; from then on only its exit is watched: llama.cpp's
 * rpc-server serves one client at a time, so probing it while a client
 * is connected would hang) -> on exit FAILED with the reason and a
 * restart after the backoff.  A slot whose placement is gone or
 * re-planned is stopping: SIGTERM to its process group, SIGKILL after
 * the grace, freed when reaped; it is no longer exported.
 */
#include "ag_worker.h"
#include "ag_clock.h"
#include "ag_engine.h"
#include "ag_llamacmd.h"
#include "ag_log.h"
#include "ag_place.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TIMER_MS	250
#define PROBE_S		2.0	/* one health attempt */
#define PROBE_EVERY_S	0.25
#define ENGINE_RETRY_S	30.0	/* a missing engine is looked for again */

extern char **environ;

struct slot {
	struct ag_workers	*ws;
	int			 used;
	int			 mark;		/* still wanted (sync) */
	int			 stopping;
	uint64_t		 id, epoch;
	unsigned		 stage;
	char			 device[96];	/* NODEID/DEVICEID */
	uint32_t		 state;
	char			 reason[AG_RECORD_REASON_MAX];
	pid_t			 pid;		/* 0: none */
	int			 port;
	unsigned		 failures;	/* since healthy */
	uint32_t		 restarts;
	double			 started, ready_at, next_start, kill_at;
	/* health check */
	int			 hfd;
	int			 hphase;	/* 1 connecting, 2 hello sent */
	struct event		*hev;
	uint8_t			 hbuf[AG_ENGINE_RPC_REPLY_LEN];
	size_t			 hlen;
	double			 hdeadline, next_probe;
	/* output relay */
	int			 pfd;
	struct event		*pev;
	int			 logfd;
	long			 logsize;
	char			 logpath[PATH_MAX];
};

struct ag_workers {
	struct event_base	*base;
	struct event		*timer;
	char			 dir[PATH_MAX];
	char			 node_id[SEC_NODE_ID_SIZE];
	char			 rpc_given[PATH_MAX];
	char			 command[1024];
	char			 map[1024];
	char			 engine[PATH_MAX + 128];
	int			 engine_ok;
	uint64_t		 restarts;
	char			 last_fail[AG_RECORD_REASON_MAX];
	void			 (*on_change)(void *);
	void			*arg;
	struct slot		 s[AG_WORKER_MAX];
};

static double
now_s(void)
{
	return ag_clock_mono();
}

static void
changed(struct ag_workers *ws)
{
	if (ws->on_change != NULL)
		ws->on_change(ws->arg);
}

static void
set_state(struct slot *w, uint32_t state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_state(struct slot *w, uint32_t state, const char *fmt, ...)
{
	char	why[AG_RECORD_REASON_MAX];
	int	level = AG_LOG_INFO;
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (w->state == state && strcmp(w->reason, why) == 0)
		return;
	w->state = state;
	memset(w->reason, 0, sizeof w->reason);
	(void)snprintf(w->reason, sizeof w->reason, "%s", why);
	/* A failure is a warning once per reason (no engine: every stage
	 * placed here fails alike), then info. */
	if (state == AG_WORKER_FAILED && strcmp(w->ws->last_fail, why) != 0) {
		level = AG_LOG_WARNING;
		(void)snprintf(w->ws->last_fail, sizeof w->ws->last_fail, "%s",
		    why);
	}
	ag_log(level, "worker %" PRIu64 "/%u (%s): %s%s%s", w->id, w->stage,
	    w->device,
	    ag_record_worker_state_name(state), why[0] ? ": " : "", why);
	changed(w->ws);
}

/* --- output relay --------------------------------------------------------- */

static void
log_open(struct slot *w)
{
	struct stat	st;

	w->logfd = open(w->logpath, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0600);
	w->logsize = w->logfd >= 0 && fstat(w->logfd, &st) == 0 ?
	    (long)st.st_size : 0;
}

static void
log_write(struct slot *w, const char *buf, size_t len)
{
	char	old[PATH_MAX + 8];

	if (w->logfd >= 0 && w->logsize + (long)len > AG_WORKER_LOG_MAX) {
		(void)close(w->logfd);
		(void)snprintf(old, sizeof old, "%s.1", w->logpath);
		(void)rename(w->logpath, old);
		log_open(w);
	}
	if (w->logfd >= 0 && write(w->logfd, buf, len) == (ssize_t)len)
		w->logsize += (long)len;
}

static void
relay_close(struct slot *w)
{
	if (w->pev != NULL)
		event_free(w->pev);
	w->pev = NULL;
	if (w->pfd >= 0)
		(void)close(w->pfd);
	w->pfd = -1;
}

static void
on_output(evutil_socket_t fd, short what, void *arg)
{
	struct slot	*w = arg;
	char		 buf[16384];
	ssize_t		 r;
	int		 i;

	(void)what;
	for (i = 0; i < 8; i++) {
		r = read(fd, buf, sizeof buf);
		if (r > 0) {
			log_write(w, buf, (size_t)r);
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		relay_close(w);		/* EOF: every writer is gone */
		return;
	}
}

/* --- health ---------------------------------------------------------------- */

static void
probe_close(struct slot *w)
{
	if (w->hev != NULL)
		event_free(w->hev);
	w->hev = NULL;
	if (w->hfd >= 0)
		(void)close(w->hfd);
	w->hfd = -1;
	w->hlen = 0;
	w->hphase = 0;
}

static int
is_rpc(const struct slot *w)
{
	return w->ws->command[0] == '\0';
}

static void	on_probe(evutil_socket_t, short, void *);

static void
ready(struct slot *w, const char *ver)
{
	probe_close(w);
	w->ready_at = now_s();
	if (ver != NULL)
		set_state(w, AG_WORKER_READY, "rpc-server %s on 127.0.0.1:%d",
		    ver, w->port);
	else
		set_state(w, AG_WORKER_READY, "listening on 127.0.0.1:%d",
		    w->port);
}

/* Connected (or refused): ready, or send the RPC hello. */
static void
probe_connected(struct slot *w, evutil_socket_t fd)
{
	uint8_t		hello[AG_ENGINE_RPC_HELLO_LEN];
	int		e = 0;
	socklen_t	el = sizeof e;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
		probe_close(w);		/* not listening yet */
		return;
	}
	if (!is_rpc(w)) {
		ready(w, NULL);
		return;
	}
	ag_engine_rpc_hello(hello);
	if (send(fd, hello, sizeof hello, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof hello) {
		probe_close(w);
		return;
	}
	event_free(w->hev);
	w->hphase = 2;
	w->hev = event_new(w->ws->base, fd, EV_READ | EV_PERSIST, on_probe,
	    w);
	if (w->hev == NULL || event_add(w->hev, NULL) != 0)
		probe_close(w);
}

static void
on_probe(evutil_socket_t fd, short what, void *arg)
{
	struct slot	*w = arg;
	char		 ver[128];
	int		 rc;
	ssize_t		 r;

	(void)what;
	if (w->hphase == 1) {
		probe_connected(w, fd);
		return;
	}
	r = recv(fd, w->hbuf + w->hlen, sizeof w->hbuf - w->hlen, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		probe_close(w);	/* closed before answering: try again */
		return;
	}
	w->hlen += (size_t)r;
	rc = ag_engine_rpc_reply(w->hbuf, w->hlen, ver, sizeof ver);
	if (rc > 0)
		ready(w, ver);
	else if (rc < 0) {
		probe_close(w);
		set_state(w, AG_WORKER_STARTING, "127.0.0.1:%d answers, but "
		    "%s", w->port, ver);
	}
}

static void
probe_start(struct slot *w, double now)
{
	struct sockaddr_in	sin;

	w->next_probe = now + PROBE_EVERY_S;
	w->hfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (w->hfd < 0)
		return;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)w->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(w->hfd, (struct sockaddr *)&sin, sizeof sin) != 0 &&
	    errno != EINPROGRESS) {
		probe_close(w);
		return;
	}
	w->hdeadline = now + PROBE_S;
	w->hphase = 1;
	w->hev = event_new(w->ws->base, w->hfd, EV_WRITE, on_probe, w);
	if (w->hev == NULL || event_add(w->hev, NULL) != 0)
		probe_close(w);
}

/* --- processes ------------------------------------------------------------- */

int
ag_worker_free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof sin;
	int			fd, port = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	(void)close(fd);
	return port;
}

/* The argv of w's worker and the file to execute (its first word, or
 * that word found on PATH); -1 with the reason set (FAILED). */
static int
make_argv(struct slot *w, struct ag_engine_argv *a, char *exe, size_t exelen)
{
	struct ag_workers	*ws = w->ws;
	struct ag_engine_vars	 v;
	const char		*dev = strchr(w->device, '/');
	char			 ename[64], bin[PATH_MAX], args[512], err[256];
	char			 port[16], tmpl[PATH_MAX + 600];
	const char		*names[2] = { NULL, NULL };
	int			 have_name;

	dev = dev != NULL ? dev + 1 : w->device;
	have_name = ag_engine_device_name(ws->map, dev, ename,
	    sizeof ename) == 0;
	memset(&v, 0, sizeof v);
	v.port = w->port;
	v.host = "127.0.0.1";
	v.device = dev;
	v.engine_device = have_name ? ename : "";
	v.placement = w->id;
	v.stage = w->stage;
	if (ws->command[0] != '\0') {
		if (ag_engine_expand(ws->command, &v, a, err, sizeof err) != 0) {
			set_state(w, AG_WORKER_FAILED, "worker-command: %s",
			    err);
			return -1;
		}
		names[0] = a->argv[0];
		if (strchr(a->argv[0], '/') != NULL ?
		    ag_engine_find(a->argv[0], names, NULL, exe, exelen, err,
		    sizeof err) != 0 : ag_engine_find(NULL, names,
		    getenv("PATH"), exe, exelen, err, sizeof err) != 0) {
			set_state(w, AG_WORKER_FAILED, "worker-command: %s",
			    err);
			return -1;
		}
		return 0;
	}
	if (ag_engine_find(ws->rpc_given, ag_engine_rpc_names,
	    getenv("PATH"), bin, sizeof bin, err, sizeof err) != 0) {
		set_state(w, AG_WORKER_FAILED, "no llama.cpp RPC server: %s "
		    "(set rpc-server)", err);
		return -1;
	}
	if (!have_name) {
		set_state(w, AG_WORKER_FAILED, "no llama.cpp name for device "
		    "%s (set engine-devices = %s=NAME)", dev, dev);
		return -1;
	}
	(void)snprintf(port, sizeof port, "%d", w->port);
	if (ag_llamacmd_server_args("%HOST%", port, ename, args,
	    sizeof args) != 0) {
		set_state(w, AG_WORKER_FAILED, "command too long");
		return -1;
	}
	/* the binary is one word whatever its path holds */
	(void)snprintf(tmpl, sizeof tmpl, "'%s' %s", bin, args);
	if (strchr(bin, '\'') != NULL ||
	    ag_engine_expand(tmpl, &v, a, err, sizeof err) != 0) {
		set_state(w, AG_WORKER_FAILED, "rpc-server path: cannot run "
		    "'%s'", bin);
		return -1;
	}
	(void)snprintf(exe, exelen, "%s", bin);
	return 0;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void
child(const char *exe, const struct ag_engine_argv *a, int out, int errpipe,
    pid_t parent)
{
	struct sigaction	sa;
	sigset_t		none;
	int			sig, e, null;

	(void)setpgid(0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(out, 2) < 0 || dup2(errpipe, 3) < 0 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) != 0)
		_exit(127);
	(void)syscall(SYS_close_range, 4U, ~0U, 0U);
	(void)execve(exe, a->argv, environ);
	e = errno;
	(void)write(3, &e, sizeof e);
	_exit(127);
}

static void
spawn(struct slot *w, double now)
{
	struct ag_engine_argv	*a = malloc(sizeof *a);
	int			 out[2] = { -1, -1 }, ep[2] = { -1, -1 }, e = 0;
	char			 line[600], exe[PATH_MAX];
	ssize_t			 r;
	pid_t			 parent = getpid();
	int			 i;

	w->port = ag_worker_free_port();
	if (a == NULL || w->port == 0) {
		set_state(w, AG_WORKER_FAILED, "no free port on 127.0.0.1");
		w->next_start = now + AG_ENGINE_BACKOFF_MAX_S;
		free(a);
		return;
	}
	if (make_argv(w, a, exe, sizeof exe) != 0) {
		w->next_start = now + ENGINE_RETRY_S;
		w->port = 0;
		free(a);
		return;
	}
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC) != 0 ||
	    (w->pid = fork()) < 0) {
		set_state(w, AG_WORKER_FAILED, "cannot start: %s",
		    strerror(errno));
		w->pid = 0;
		w->next_start = now + AG_ENGINE_BACKOFF_MAX_S;
		for (i = 0; i < 2; i++) {
			if (out[i] >= 0)
				(void)close(out[i]);
			if (ep[i] >= 0)
				(void)close(ep[i]);
		}
		free(a);
		return;
	}
	if (w->pid == 0)
		child(exe, a, out[1], ep[1], parent);
	(void)close(out[1]);
	(void)close(ep[1]);
	/* EOF as soon as exec succeeded (close-on-exec), else errno */
	do
		r = read(ep[0], &e, sizeof e);
	while (r < 0 && errno == EINTR);
	(void)close(ep[0]);
	(void)snprintf(line, sizeof line, "--- exogpu: placement %" PRIu64
	    " epoch %" PRIu64 " stage %u: %s", w->id, w->epoch, w->stage,
	    a->argv[0]);
	for (i = 1; i < a->argc; i++)
		(void)snprintf(line + strlen(line), sizeof line - strlen(line),
		    " %s", a->argv[i]);
	(void)snprintf(line + strlen(line), sizeof line - strlen(line),
	    " (pid %d)\n", (int)w->pid);
	log_write(w, line, strlen(line));
	if (r == (ssize_t)sizeof e) {
		(void)waitpid(w->pid, NULL, 0);
		w->pid = 0;
		(void)close(out[0]);
		set_state(w, AG_WORKER_FAILED, "cannot execute %s: %s",
		    exe, strerror(e));
		w->next_start = now + ENGINE_RETRY_S;
		free(a);
		return;
	}
	free(a);
	relay_close(w);
	w->pfd = out[0];
	(void)fcntl(w->pfd, F_SETFL, fcntl(w->pfd, F_GETFL) | O_NONBLOCK);
	w->pev = event_new(w->ws->base, w->pfd, EV_READ | EV_PERSIST,
	    on_output, w);
	if (w->pev == NULL || event_add(w->pev, NULL) != 0)
		relay_close(w);
	w->started = now;
	w->ready_at = 0;
	w->next_probe = now + 0.05;
	set_state(w, AG_WORKER_STARTING, "pid %d, 127.0.0.1:%d",
	    (int)w->pid, w->port);
}

static void
signal_group(struct slot *w, int sig)
{
	if (w->pid > 0)
		(void)kill(-w->pid, sig);
}

static void
slot_free(struct slot *w)
{
	probe_close(w);
	relay_close(w);
	if (w->logfd >= 0)
		(void)close(w->logfd);
	memset(w, 0, sizeof *w);
	w->hfd = w->pfd = w->logfd = -1;
}

static void
stop(struct slot *w, double now)
{
	if (w->stopping)
		return;
	w->stopping = 1;
	probe_close(w);
	if (w->pid <= 0) {
		slot_free(w);
		return;
	}
	ag_log(AG_LOG_INFO, "worker %" PRIu64 "/%u: stopping pid %d", w->id,
	    w->stage, (int)w->pid);
	signal_group(w, SIGTERM);
	w->kill_at = now + AG_WORKER_GRACE_S;
}

/* w's process ended with status st. */
static void
exited(struct slot *w, int st, double now)
{
	char	how[64];
	double	delay;

	signal_group(w, SIGKILL);	/* what it left in its group */
	w->pid = 0;
	probe_close(w);
	if (w->stopping) {
		slot_free(w);
		return;
	}
	if (WIFSIGNALED(st))
		(void)snprintf(how, sizeof how, "killed by signal %d",
		    WTERMSIG(st));
	else
		(void)snprintf(how, sizeof how, "exited with status %d",
		    WEXITSTATUS(st));
	if (w->ready_at > 0 && now - w->ready_at >= AG_ENGINE_HEALTHY_S)
		w->failures = 0;
	w->failures++;
	delay = ag_engine_backoff(w->failures);
	w->next_start = now + delay;
	w->restarts++;
	w->ws->restarts++;
	set_state(w, AG_WORKER_FAILED, "%s%s; restart %u in %.0f s", how,
	    w->ready_at > 0 ? "" : " before answering", w->restarts, delay);
}

static void
tick_slot(struct slot *w, double now)
{
	int	st;
	pid_t	r;

	if (w->pid > 0 && (r = waitpid(w->pid, &st, WNOHANG)) == w->pid) {
		exited(w, st, now);
		return;
	}
	if (w->stopping) {
		if (now >= w->kill_at) {
			signal_group(w, SIGKILL);
			w->kill_at = now + 1;
		}
		return;
	}
	if (w->pid == 0) {
		if (now >= w->next_start)
			spawn(w, now);
		return;
	}
	if (w->state != AG_WORKER_STARTING)
		return;
	if (w->hfd >= 0 && now >= w->hdeadline)
		probe_close(w);
	if (now - w->started > AG_WORKER_START_S) {
		set_state(w, AG_WORKER_STARTING, "no answer on 127.0.0.1:%d "
		    "in %.0f s: restarting", w->port, AG_WORKER_START_S);
		signal_group(w, SIGKILL);	/* reaped next tick */
		return;
	}
	if (w->hfd < 0 && now >= w->next_probe)
		probe_start(w, now);
}

static void arm(struct ag_workers *);

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ag_workers	*ws = arg;
	double			 now = now_s();
	int			 i;

	(void)fd;
	(void)what;
	for (i = 0; i < AG_WORKER_MAX; i++)
		if (ws->s[i].used)
			tick_slot(&ws->s[i], now);
	arm(ws);
}

/* The timer runs only while there are slots: an idle node stays quiet. */
static void
arm(struct ag_workers *ws)
{
	struct timeval	tv = { 0, TIMER_MS * 1000 };
	int		i;

	for (i = 0; i < AG_WORKER_MAX; i++)
		if (ws->s[i].used)
			break;
	if (i < AG_WORKER_MAX && !evtimer_pending(ws->timer, NULL))
		(void)evtimer_add(ws->timer, &tv);
}

/* --- the set --------------------------------------------------------------- */

static void
describe_engine(struct ag_workers *ws)
{
	char	bin[PATH_MAX], err[256];

	ws->engine_ok = 1;
	if (ws->command[0] != '\0')
		(void)snprintf(ws->engine, sizeof ws->engine, "worker command "
		    "'%s'", ws->command);
	else if (ag_engine_find(ws->rpc_given, ag_engine_rpc_names,
	    getenv("PATH"), bin, sizeof bin, err, sizeof err) == 0)
		(void)snprintf(ws->engine, sizeof ws->engine, "llama.cpp RPC "
		    "server %s", bin);
	else {
		ws->engine_ok = 0;
		(void)snprintf(ws->engine, sizeof ws->engine, "no llama.cpp "
		    "RPC server: %s (set rpc-server); stages placed here "
		    "cannot run", err);
	}
}

struct ag_workers *
ag_workers_new(struct event_base *base, const struct ag_workers_config *c,
    char *err, size_t errlen)
{
	struct ag_workers	*ws = calloc(1, sizeof *ws);
	int			 i, w;

	if (ws == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ws->base = base;
	w = snprintf(ws->dir, sizeof ws->dir, "%s/workers", c->data_dir);
	if (w < 0 || (size_t)w >= sizeof ws->dir - 64 ||
	    (mkdir(ws->dir, 0700) != 0 && errno != EEXIST)) {
		(void)snprintf(err, errlen, "%s: cannot create", ws->dir);
		free(ws);
		return NULL;
	}
	(void)snprintf(ws->node_id, sizeof ws->node_id, "%s", c->node_id);
	(void)snprintf(ws->rpc_given, sizeof ws->rpc_given, "%s",
	    c->rpc_server != NULL ? c->rpc_server : "");
	(void)snprintf(ws->command, sizeof ws->command, "%s",
	    c->command != NULL ? c->command : "");
	(void)snprintf(ws->map, sizeof ws->map, "%s",
	    c->engine_devices != NULL ? c->engine_devices : "");
	for (i = 0; i < AG_WORKER_MAX; i++)
		ws->s[i].hfd = ws->s[i].pfd = ws->s[i].logfd = -1;
	if ((ws->timer = evtimer_new(base, on_timer, ws)) == NULL) {
		(void)snprintf(err, errlen, "cannot set up the worker timer");
		free(ws);
		return NULL;
	}
	describe_engine(ws);
	return ws;
}

const char *
ag_workers_engine(const struct ag_workers *ws, int *ok)
{
	if (ok != NULL)
		*ok = ws->engine_ok;
	return ws->engine;
}

void
ag_workers_on_change(struct ag_workers *ws, void (*fn)(void *), void *arg)
{
	ws->on_change = fn;
	ws->arg = arg;
}

static struct slot *
find(struct ag_workers *ws, uint64_t id, uint64_t epoch, unsigned stage)
{
	int	i;

	for (i = 0; i < AG_WORKER_MAX; i++)
		if (ws->s[i].used && !ws->s[i].stopping && ws->s[i].id == id &&
		    ws->s[i].epoch == epoch && ws->s[i].stage == stage)
			return &ws->s[i];
	return NULL;
}

static void
add(struct ag_workers *ws, const struct ag_placement *p, unsigned stage,
    double now)
{
	struct slot	*w = NULL;
	int		 i;

	for (i = 0; i < AG_WORKER_MAX && w == NULL; i++)
		if (!ws->s[i].used)
			w = &ws->s[i];
	if (w == NULL) {
		ag_log(AG_LOG_WARNING, "placement %" PRIu64 " stage %u: more "
		    "than %d workers on this node; not started", p->id, stage,
		    AG_WORKER_MAX);
		return;
	}
	slot_free(w);
	w->ws = ws;
	w->used = w->mark = 1;
	w->id = p->id;
	w->epoch = p->epoch;
	w->stage = stage;
	w->state = AG_WORKER_STARTING;
	(void)snprintf(w->device, sizeof w->device, "%s",
	    p->stages[stage].device);
	if (snprintf(w->logpath, sizeof w->logpath, "%.3900s/placement-%"
	    PRIu64 "-stage-%u.log", ws->dir, p->id, stage) < 0)
		w->logpath[0] = '\0';
	log_open(w);
	spawn(w, now);
	changed(ws);
}

void
ag_workers_sync(struct ag_workers *ws, const struct ag_placement *const *ps,
    size_t n)
{
	double		 now = now_s();
	struct slot	*w;
	size_t		 k;
	int		 i;

	for (i = 0; i < AG_WORKER_MAX; i++)
		ws->s[i].mark = 0;
	for (k = 0; k < n; k++)
		for (i = 0; i < ps[k]->nstages; i++) {
			if (strcmp(ps[k]->stages[i].node, ws->node_id) != 0)
				continue;
			if ((w = find(ws, ps[k]->id, ps[k]->epoch,
			    (unsigned)i)) != NULL)
				w->mark = 1;
			else
				add(ws, ps[k], (unsigned)i, now);
		}
	for (i = 0; i < AG_WORKER_MAX; i++)
		if (ws->s[i].used && !ws->s[i].stopping && !ws->s[i].mark) {
			stop(&ws->s[i], now);
			changed(ws);
		}
	arm(ws);
}

int
ag_workers_export(const struct ag_workers *ws, struct ag_record_worker *out,
    int max)
{
	int	i, n = 0;

	for (i = 0; i < AG_WORKER_MAX && n < max; i++) {
		const struct slot *w = &ws->s[i];

		if (!w->used || w->stopping)
			continue;
		memset(&out[n], 0, sizeof out[n]);
		out[n].placement = w->id;
		out[n].epoch = w->epoch;
		out[n].stage = w->stage;
		out[n].state = w->state;
		out[n].port = w->pid > 0 ? (uint32_t)w->port : 0;
		out[n].restarts = w->restarts;
		memcpy(out[n].reason, w->reason, sizeof out[n].reason);
		n++;
	}
	return n;
}

uint64_t
ag_workers_restarts(const struct ag_workers *ws)
{
	return ws->restarts;
}

void
ag_workers_free(struct ag_workers *ws)
{
	struct timespec	ts = { 0, 50 * 1000 * 1000 };
	double		end;
	int		i, left;

	if (ws == NULL)
		return;
	for (i = 0; i < AG_WORKER_MAX; i++)
		signal_group(&ws->s[i], SIGTERM);
	end = now_s() + AG_WORKER_GRACE_S;
	do {
		left = 0;
		for (i = 0; i < AG_WORKER_MAX; i++) {
			struct slot *w = &ws->s[i];

			if (w->pid > 0 && waitpid(w->pid, NULL, WNOHANG) ==
			    w->pid) {
				signal_group(w, SIGKILL);
				w->pid = 0;
			}
			left += w->pid > 0;
		}
		if (left > 0)
			(void)nanosleep(&ts, NULL);
	} while (left > 0 && now_s() < end);
	for (i = 0; i < AG_WORKER_MAX; i++) {
		struct slot *w = &ws->s[i];

		if (w->pid > 0) {
			ag_log(AG_LOG_WARNING, "worker %" PRIu64 "/%u: pid %d "
			    "ignored SIGTERM; killed", w->id, w->stage,
			    (int)w->pid);
			signal_group(w, SIGKILL);
			(void)waitpid(w->pid, NULL, 0);
			w->pid = 0;
		}
		slot_free(w);
	}
	event_free(ws->timer);
	free(ws);
}

uint32_t
ag_workers_port(const struct ag_workers *w, uint64_t placement,
    uint64_t epoch, uint32_t stage)
{
	struct ag_record_worker	*r;
	uint32_t		 port = 0;
	int			 i, n;

	if (w == NULL || (r = calloc(AG_RECORD_MAX_WORKERS, sizeof *r)) ==
	    NULL)
		return 0;
	n = ag_workers_export(w, r, AG_RECORD_MAX_WORKERS);
	for (i = 0; i < n; i++)
		if (r[i].placement == placement && r[i].epoch == epoch &&
		    r[i].stage == stage && r[i].state == AG_WORKER_READY)
			port = r[i].port;
	free(r);
	return port;
}
