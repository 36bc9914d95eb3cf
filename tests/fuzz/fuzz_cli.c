/*
 * fuzz_cli.c - libFuzzer harness for the CLI's handling of what an agent
 * answers and of the request files it sends: `exogpu status`, `members`,
 * `peers`, `events`, `place --list / --release / --model FILE`, `audit
 * tail`, `token issue` (agent-signed) and `token revoke`, run through the
 * real command table (agent/cmd_*.c) against an answering stand-in on
 * 127.0.0.1.  The CLI may be pointed at any address (--api,
 * $EXOGPU_API), so an answer is untrusted bytes.
 *
 * Input: one byte picks the command (low 4 bits) and the answer's status
 * (bit 4: 200 or 201, else 400 - the CLI reads both; bit 5: a 500); the
 * rest is the answer's JSON body, and for `place --model FILE` also the
 * model file.  The stand-in is a thread that accepts one connection per
 * command, writes the answer at once (the CLI's request sits in the
 * socket buffer; the stand-in reads it only to drain it) and closes.
 * Commands print to stdout, sent to /dev/null.  Oracle: no crash, leak
 * or sanitizer report, and the command returns one of the exit codes.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ag_cmd.h"
#include "ag_fileio.h"
#include "ag_log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz_server {
	int		 ready;
	int		 lfd;
	char		 api[32];
	char		 dir[64];
	char		 model[128], token[128];
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	char		*answer;	/* the next connection's, or NULL */
	size_t		 alen;
};

static struct fz_server	srv = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static void
die(const char *what)
{
	(void)fprintf(stderr, "fuzz_cli: %s: %s\n", what, strerror(errno));
	abort();
}

/* Reads what the client sent (bounded) so the close is orderly. */
static void
drain(int fd)
{
	char	buf[4096];
	int	i;

	for (i = 0; i < 64; i++)
		if (recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0)
			break;
}

static void *
serve(void *arg)
{
	int	fd;
	size_t	off;
	ssize_t	n;

	for (;;) {
		if ((fd = accept(srv.lfd, NULL, NULL)) < 0)
			continue;
		(void)pthread_mutex_lock(&srv.mu);
		for (off = 0; srv.answer != NULL && off < srv.alen; off += n)
			if ((n = send(fd, srv.answer + off, srv.alen - off,
			    MSG_NOSIGNAL)) <= 0)
				break;
		(void)pthread_mutex_unlock(&srv.mu);
		(void)shutdown(fd, SHUT_WR);
		drain(fd);
		(void)close(fd);
	}
	return NULL;
}

static void
cleanup(void)
{
	(void)unlink(srv.model);
	(void)unlink(srv.token);
	(void)rmdir(srv.dir);
}

static void
setup(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof sin;
	pthread_t		 t;
	char			 err[256], *tok = NULL;
	size_t			 len;
	char			 path[PATH_MAX];

	if (freopen("/dev/null", "w", stdout) == NULL)
		die("stdout");
	ag_log_set_level(AG_LOG_ERR);
	(void)snprintf(srv.dir, sizeof srv.dir, "/tmp/exogpu-fuzz-cli-XXXXXX");
	if (mkdtemp(srv.dir) == NULL)
		die("mkdtemp");
	(void)snprintf(srv.model, sizeof srv.model, "%s/model.json", srv.dir);
	(void)snprintf(srv.token, sizeof srv.token, "%s/token", srv.dir);
	/* Any well-formed token will do: the stand-in does not check it. */
	(void)snprintf(path, sizeof path, "%s/tests/fuzz/corpus/fuzz_token/"
	    "valid-text", EXOGPU_SOURCE_DIR);
	if (ag_read_file(path, 65536, &tok, &len, NULL, err, sizeof err) != 0 ||
	    ag_write_atomic(srv.token, tok, len, 0600, err, sizeof err) != 0) {
		(void)fprintf(stderr, "fuzz_cli: %s\n", err);
		abort();
	}
	free(tok);
	if ((srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv.lfd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(srv.lfd, 16) != 0 ||
	    getsockname(srv.lfd, (struct sockaddr *)&sin, &sl) != 0)
		die("listen");
	(void)snprintf(srv.api, sizeof srv.api, "127.0.0.1:%u",
	    ntohs(sin.sin_port));
	if (pthread_create(&t, NULL, serve, NULL) != 0)
		die("pthread_create");
	(void)pthread_detach(t);
	if (atexit(cleanup) != 0)
		die("atexit");
	srv.ready = 1;
}

static const struct ag_cmd *
find(const char *name)
{
	int	i;

	for (i = 0; ag_cmds[i] != NULL; i++)
		if (strcmp(ag_cmds[i]->name, name) == 0)
			return ag_cmds[i];
	abort();
}

static void
run(const char *const *args)
{
	const struct ag_cmd	*cmd = find(args[0]);
	char			*argv[24];
	int			 argc, rc;

	for (argc = 0; args[argc] != NULL && argc < 23; argc++)
		argv[argc] = (char *)(uintptr_t)args[argc];
	argv[argc] = NULL;
	optind = 1;
	rc = cmd->exec(cmd, argc, argv);
	if (rc != AG_EXIT_OK && rc != AG_EXIT_RUNTIME && rc != AG_EXIT_USAGE)
		abort();
	(void)fflush(stdout);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*A = srv.api, *T = srv.token, *M = srv.model;
	const char	*const cmds[][16] = {
		{ "status", "--api", A, NULL },
		{ "members", "--api", A, NULL },
		{ "peers", "--api", A, NULL },
		{ "events", "--api", A, NULL },
		{ "place", "--list", "--api", A, NULL },
		{ "place", "--release", "7", "--api", A, NULL },
		{ "place", "--model", M, "--api", A, NULL },
		{ "audit", "tail", "-n", "5", "--api", A, "--token", T, NULL },
		{ "token", "issue", "--token", T, "--api", A, "--sub", "acme",
		    "--scope", "read,place", "--ttl", "1h", NULL },
		{ "token", "revoke", "00112233445566778899aabbccddeeff",
		    "--api", A, "--token", T, NULL },
		{ "status", "--json", "--api", A, NULL },
		{ "place", "--list", "--json", "--api", A, NULL },
	};
	const size_t	ncmds = sizeof cmds / sizeof cmds[0];
	char		head[160], err[256];
	unsigned	status, pick;
	int		n;

	if (!srv.ready)
		setup();
	if (size < 1)
		return 0;
	pick = (data[0] & 15) % ncmds;
	status = data[0] & 0x20 ? 500 : data[0] & 0x10 ?
	    (pick == 8 ? 201 : 200) : 400;
	data++;
	size--;
	if (pick == 6 && ag_write_atomic(M, (const char *)data, size, 0600,
	    err, sizeof err) != 0)
		return 0;
	n = snprintf(head, sizeof head, "HTTP/1.1 %u X\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "\r\n", status, size);
	(void)pthread_mutex_lock(&srv.mu);
	free(srv.answer);
	srv.alen = (size_t)n + size;
	if ((srv.answer = malloc(srv.alen)) == NULL) {
		(void)pthread_mutex_unlock(&srv.mu);
		return 0;
	}
	memcpy(srv.answer, head, (size_t)n);
	if (size > 0)
		memcpy(srv.answer + n, data, size);
	(void)pthread_mutex_unlock(&srv.mu);
	run(cmds[pick]);
	return 0;
}
