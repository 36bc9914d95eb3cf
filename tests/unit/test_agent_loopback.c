/*
 * test_agent_loopback.c - real `exogpu agent` processes on 127.0.0.1:
 * two nodes with one join secret connect, authenticate and exchange
 * HELLO, and `peers` shows each other with RTT and bandwidth; a node with
 * the wrong secret and one from a foreign CA are refused; SIGTERM stops
 * an agent cleanly, and after a restart on the same port the other node
 * reconnects by itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ag_httpc.h"

static char	tmp[] = "/tmp/exogpu-agents-XXXXXX";
static char	secret[128];
static char	secret_file[64];	/* tmp/secret, mode 0600 */

struct agent {
	pid_t	pid;
	char	dir[300];
	char	api[64];
	char	quic[64];
	char	id[32];
};

static double
now_s(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void	sh(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char	cmd[2048];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* Starts `exogpu agent` with extra args; waits for its run.json. */
static void
start(struct agent *a, const char *name, const char *listen,
    const char *extra)
{
	char		 cmd[2048], path[400];
	json_error_t	 jerr;
	json_t		*run = NULL;
	/* A first start discovers devices (Vulkan, OpenCL) uncached: slow
	 * under ASan on a busy machine.  A wait, not a timing check. */
	double		 deadline = now_s() + 60;

	(void)snprintf(a->dir, sizeof a->dir, "%s/%s", tmp, name);
	(void)snprintf(path, sizeof path, "%s/run.json", a->dir);
	(void)unlink(path);
	(void)snprintf(cmd, sizeof cmd, "exec %s -v agent --data-dir %s "
	    "--name %s --listen %s --http 127.0.0.1:0 --no-mdns --no-bench "
	    "--probe-bytes 1048576 %s >>%s.log 2>&1", EXOGPU_BIN, a->dir,
	    name, listen, extra, a->dir);
	if ((a->pid = fork()) == 0) {
		(void)execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	assert_true(a->pid > 0);
	while (run == NULL && now_s() < deadline) {
		(void)usleep(50000);
		run = json_load_file(path, 0, &jerr);
	}
	if (run == NULL)
		fail_msg("agent %s did not start (see %s.log)", name, a->dir);
	(void)snprintf(a->api, sizeof a->api, "%s",
	    json_string_value(json_object_get(run, "api")));
	(void)snprintf(a->quic, sizeof a->quic, "%s",
	    json_string_value(json_array_get(json_object_get(run, "quic"), 0)));
	(void)snprintf(a->id, sizeof a->id, "%s",
	    json_string_value(json_object_get(run, "node_id")));
	json_decref(run);
}

static int
stop(struct agent *a)
{
	int	status = -1, i;

	if (a->pid <= 0)
		return -1;
	(void)kill(a->pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(a->pid, &status, WNOHANG) == a->pid)
			break;
		(void)usleep(50000);
	}
	if (i == 100) {
		(void)kill(a->pid, SIGKILL);
		(void)waitpid(a->pid, &status, 0);
	}
	a->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static json_t *
get(const struct agent *a, const char *path)
{
	struct ag_http_response	 r;
	char			 err[256];
	json_t			*j;

	if (ag_http_request(a->api, "GET", path, NULL, NULL, &r, err,
	    sizeof err) != 0)
		return NULL;
	j = json_loadb(r.body, r.body_len, 0, NULL);
	ag_http_response_free(&r);
	return j;
}

/* The peer entry for id in a's /v1/peers, or NULL (caller decrefs). */
static json_t *
peer_of(const struct agent *a, const char *id)
{
	json_t	*peers = get(a, "/v1/peers"), *p, *found = NULL;
	size_t	 i;

	json_array_foreach(peers, i, p)
		if (strcmp(json_string_value(json_object_get(p, "node_id")),
		    id) == 0)
			found = json_incref(p);
	json_decref(peers);
	return found;
}

/* Waits until a sees id connected (want 1) or not (want 0). */
static int
wait_connected(const struct agent *a, const char *id, int want,
    double seconds, int need_bw)
{
	double	deadline = now_s() + seconds;

	while (now_s() < deadline) {
		json_t	*p = peer_of(a, id);
		int	 c = p != NULL && json_is_true(json_object_get(p,
			    "connected"));
		int	 bw = p != NULL && json_is_number(json_object_get(p,
			    "bandwidth_bytes_per_s"));

		json_decref(p);
		if (c == want && (!need_bw || bw))
			return 1;
		(void)usleep(100000);
	}
	return 0;
}

static int
setup(void **state)
{
	FILE	*p;
	char	 cmd[512];

	if (mkdtemp(tmp) == NULL)
		return -1;
	(void)snprintf(cmd, sizeof cmd, "%s secret", EXOGPU_BIN);
	if ((p = popen(cmd, "r")) == NULL || fgets(secret, sizeof secret, p)
	    == NULL)
		return -1;
	(void)pclose(p);
	secret[strcspn(secret, "\n")] = '\0';
	/* The agents read it from a 0600 file, never from argv. */
	(void)snprintf(secret_file, sizeof secret_file, "%s/secret", tmp);
	(void)snprintf(cmd, sizeof cmd, "umask 077 && echo %s >%s", secret,
	    secret_file);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char	cmd[300];

	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_two_nodes_and_intruders(void **state)
{
	struct agent	 a, b, c, d;
	char		 extra[600], listen[64];
	json_t		*p, *rtt, *st;

	(void)snprintf(extra, sizeof extra, "--join-secret-file %s",
	    secret_file);
	start(&a, "a", "127.0.0.1:0", extra);
	/* b takes it from the environment */
	(void)snprintf(extra, sizeof extra, "--join %s", a.quic);
	if (setenv("EXOGPU_JOIN_SECRET", secret, 1) != 0)
		fail();
	start(&b, "b", "127.0.0.1:0", extra);
	if (unsetenv("EXOGPU_JOIN_SECRET") != 0)
		fail();
	/* the agent wiped it from what /proc/PID/environ shows */
	sh("! tr '\\0' '\\n' </proc/%d/environ | grep -q exo1-",
	    (int)b.pid);

	/*
	 * Both see each other, authenticated, with RTT; bandwidth once asked
	 * for (peers sharing no placement are not probed on their own).
	 */
	if (!wait_connected(&b, a.id, 1, 15, 0) ||
	    !wait_connected(&a, b.id, 1, 15, 0))
		fail_msg("a and b did not connect (logs in %s)", tmp);
	sh("%s peers --probe --api %s >/dev/null", EXOGPU_BIN, b.api);
	if (!wait_connected(&b, a.id, 1, 15, 1) ||
	    !wait_connected(&a, b.id, 1, 15, 1))
		fail_msg("a and b did not measure (logs in %s)", tmp);
	p = peer_of(&b, a.id);
	assert_string_equal(json_string_value(json_object_get(p, "name")),
	    "a");
	rtt = json_object_get(p, "rtt_s");
	assert_true(json_number_value(json_object_get(rtt, "smoothed")) > 0);
	assert_true(json_number_value(json_object_get(rtt, "min")) > 0);
	assert_true(json_number_value(json_object_get(p,
	    "bandwidth_bytes_per_s")) > 1e6);
	assert_true(json_number_value(json_object_get(p, "measured_at")) >
	    1.6e9);
	assert_true(json_is_string(json_object_get(p, "bandwidth_direction")));
	json_decref(p);
	st = get(&a, "/v1/status");
	assert_int_equal(json_integer_value(json_object_get(st,
	    "peers_connected")), 1);
	assert_string_equal(json_string_value(json_object_get(st, "node_id")),
	    a.id);
	json_decref(st);

	/* A node with another secret is refused: a never lists it. */
	sh("%s secret --out %s/other", EXOGPU_BIN, tmp);
	(void)snprintf(extra, sizeof extra, "--join-secret-file - <%s/other "
	    "--join %s", tmp, a.quic);
	start(&c, "c", "127.0.0.1:0", extra);
	/* A node certified by a foreign CA is refused too. */
	sh("%s cert init --dir %s/ca >/dev/null && %s cert issue --ca %s/ca "
	    "--name d --out %s/dtls >/dev/null", EXOGPU_BIN, tmp, EXOGPU_BIN,
	    tmp, tmp);
	(void)snprintf(extra, sizeof extra, "--ca %s/dtls --join %s", tmp,
	    a.quic);
	start(&d, "d", "127.0.0.1:0", extra);
	(void)sleep(3);
	p = peer_of(&a, c.id);
	assert_true(p == NULL || !json_is_true(json_object_get(p,
	    "connected")));
	json_decref(p);
	p = peer_of(&a, d.id);
	assert_true(p == NULL || !json_is_true(json_object_get(p,
	    "connected")));
	json_decref(p);
	assert_false(wait_connected(&c, a.id, 1, 0.5, 0));
	assert_false(wait_connected(&d, a.id, 1, 0.5, 0));
	sh("grep -qi 'certificate\\|verif' %s/a.log", tmp);
	assert_int_equal(stop(&c), 0);
	assert_int_equal(stop(&d), 0);

	/* SIGTERM: a stops cleanly; b notices. */
	(void)snprintf(listen, sizeof listen, "%s", a.quic);
	assert_int_equal(stop(&a), 0);
	assert_true(wait_connected(&b, a.id, 0, 20, 0));
	/* a comes back on the same port: b reconnects on its own. */
	(void)snprintf(extra, sizeof extra, "--join-secret-file %s",
	    secret_file);
	start(&a, "a", listen, extra);
	if (!wait_connected(&b, a.id, 1, 40, 0))
		fail_msg("b did not reconnect to the restarted a");
	assert_int_equal(stop(&b), 0);
	assert_int_equal(stop(&a), 0);
}

/* No trust configured: a secret is made once, printed, saved, reused. */
static void
test_first_start_creates_secret(void **state)
{
	struct agent	 a;
	char		 path[400], log1[400], *p;
	FILE		*f;
	char		 buf[8192], saved[128];
	size_t		 n;

	start(&a, "fresh", "127.0.0.1:0", "");
	assert_int_equal(stop(&a), 0);
	(void)snprintf(log1, sizeof log1, "%s.log", a.dir);
	f = fopen(log1, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	(void)snprintf(path, sizeof path, "%s/join-secret", a.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(saved, sizeof saved, f));
	(void)fclose(f);
	saved[strcspn(saved, "\n")] = '\0';
	/* The secret once, and a command without it (argv is public). */
	p = strstr(buf, "\n  exo1-");
	assert_non_null(p);
	assert_memory_equal(p + 3, saved, strlen(saved));
	assert_null(strstr(p + 3 + strlen(saved), saved + 5));
	assert_non_null(strstr(buf, "exogpu agent --join-secret-file FILE "
	    "--join 127.0.0.1:"));
	/* Second start: same secret, same node id, nothing printed. */
	{
		char	id1[32];

		(void)snprintf(id1, sizeof id1, "%s", a.id);
		start(&a, "fresh", "127.0.0.1:0", "");
		assert_string_equal(a.id, id1);
		assert_int_equal(stop(&a), 0);
		f = fopen(log1, "r");
		assert_non_null(f);
		n = fread(buf, 1, sizeof buf - 1, f);
		(void)fclose(f);
		buf[n] = '\0';
		p = strstr(buf, "start that node with");
		assert_non_null(p);
		assert_null(strstr(p + 1, "start that node with"));
	}
}

/*
 * Issue #14 finding 3: the join secret was read from argv, where every
 * local user sees it (/proc/PID/cmdline).  Now --join-secret refuses
 * with the alternatives, and a secret file others may read is refused.
 */
static void
test_secret_never_on_argv(void **state)
{
	char	cmd[1024];

	(void)state;
	(void)snprintf(cmd, sizeof cmd, "%s agent --data-dir %s/argv "
	    "--no-mdns --join-secret %s >%s/argv.log 2>&1; test $? = 2 && "
	    "grep -q 'join-secret-file' %s/argv.log && "
	    "grep -q EXOGPU_JOIN_SECRET %s/argv.log", EXOGPU_BIN, tmp, secret,
	    tmp, tmp, tmp);
	assert_int_equal(system(cmd), 0);
	(void)snprintf(cmd, sizeof cmd, "echo 'join-secret = %s' >%s/c.conf "
	    "&& %s agent --config %s/c.conf --data-dir %s/argv --no-mdns "
	    ">%s/argv.log 2>&1; test $? = 2", secret, tmp, EXOGPU_BIN, tmp,
	    tmp, tmp);
	assert_int_equal(system(cmd), 0);
	(void)snprintf(cmd, sizeof cmd, "cp %s %s/open && chmod 640 %s/open "
	    "&& %s agent --join-secret-file %s/open --data-dir %s/argv "
	    "--no-mdns >%s/argv.log 2>&1; test $? = 2 && grep -q 'chmod 600' "
	    "%s/argv.log", secret_file, tmp, tmp, EXOGPU_BIN, tmp, tmp, tmp,
	    tmp);
	assert_int_equal(system(cmd), 0);
	(void)snprintf(cmd, sizeof cmd, "%s agent --join-secret-file %s/none "
	    "--data-dir %s/argv --no-mdns >%s/argv.log 2>&1; test $? = 2",
	    EXOGPU_BIN, tmp, tmp, tmp);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_start_creates_secret),
		cmocka_unit_test(test_secret_never_on_argv),
		cmocka_unit_test(test_two_nodes_and_intruders),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
