/*
 * fuzz_api_node.c - libFuzzer harness for the agent's real HTTP API: the
 * routes of agent/ag_node_api.c and their handlers (status, members,
 * peers, devices, links, events and its query, placements create / list
 * / release, token revocation and its body, delegated issuing through
 * ag_issue_claims, the audit tail and its query, /metrics), behind the
 * real token check.  fuzz_api covers the HTTP server with stand-in
 * routes; this one runs what an API client actually reaches.
 *
 * A whole agent runs in a second thread of the process (ag_node_run, as
 * `exogpu agent` does): a fresh data directory, QUIC and API on
 * 127.0.0.1 port 0, no mDNS, no benchmark, the sysfs fixture
 * intel-laptop (its devices measured first by the real exogpu binary),
 * token keys and a signing key made at start.  Each input
 * is the raw bytes a client writes down a TCP connection to the API;
 * "@ADMIN@" in them becomes an admin token with every scope and
 * "@TENANT@" a place+read token of tenant "acme" limited to the CPU, so
 * mutations start from requests that pass the token check.  The harness
 * writes the bytes, shuts its write side and reads the answer until the
 * agent closes (bounded in time).  State carries over between inputs as
 * in a real agent (placements, revocations, the audit log); at exit the
 * agent gets SIGTERM, is joined and its directory removed.
 *
 * Oracle: every answer is HTTP, and a complete answer that says JSON
 * parses as JSON (the API promises a JSON object for every routed reply).
 * FUZZ_API_NODE_VERBOSE=1 prints the answers, to check what seeds reach.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ag_config.h"
#include "ag_fileio.h"
#include "ag_httpc.h"
#include "ag_log.h"
#include "ag_node.h"
#include "sec_pem.h"
#include "sec_secret.h"
#include "sec_token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_ANSWER_MAX	(512 * 1024)	/* answer bytes kept */
#define FZ_START_S	120		/* for the agent to come up */
#define FZ_REQ_MAX	(256 * 1024)	/* request after substitution */

struct fz_agent {
	struct ag_config	 cfg;
	pthread_t		 thread;
	char			 dir[64];
	int			 port;
	char			*admin, *tenant;	/* token texts */
	volatile sig_atomic_t	 ended;		/* ag_node_run returned */
};

static struct fz_agent	*agent;

static void
die(const char *what, const char *why)
{
	(void)fprintf(stderr, "fuzz_api_node: %s: %s\n", what, why);
	abort();
}

static void
write_file(const char *dir, const char *name, const char *text, size_t len,
    char *path, size_t size)
{
	char	err[256];

	(void)snprintf(path, size, "%s/%s", dir, name);
	if (ag_write_atomic(path, text, len, 0600, err, sizeof err) != 0)
		die("write", err);
}

/* A token signed by key_pem, as text (malloc'd). */
static char *
mint(const struct sec_pem *key, const char *sub, unsigned scopes,
    const char *device, uint8_t cti0)
{
	struct sec_token_claims	 c;
	uint8_t			*tok;
	size_t			 len, i;
	char			*text, err[256];

	memset(&c, 0, sizeof c);
	(void)snprintf(c.iss, sizeof c.iss, "fuzz");
	(void)snprintf(c.sub, sizeof c.sub, "%s", sub);
	c.exp = (int64_t)time(NULL) + 10 * 365 * 86400;
	for (i = 0; i < SEC_TOKEN_CTI_LEN; i++)
		c.cti[i] = (uint8_t)(cti0 + i);
	c.scopes = scopes;
	if (device != NULL) {
		c.ndevices = 1;
		(void)snprintf(c.devices[0], sizeof c.devices[0], "%s", device);
		c.has_max_devices = true;
		c.max_devices = 2;
		c.has_max_memory = true;
		c.max_memory_bytes = 64ull << 30;
	}
	if (sec_token_issue(key->data, key->len, &c, (int64_t)time(NULL), &tok,
	    &len, err, sizeof err) != 0)
		die("token", err);
	if ((text = malloc(SEC_TOKEN_TEXT_MAX + 1)) == NULL ||
	    sec_token_encode_text(tok, len, text, SEC_TOKEN_TEXT_MAX + 1) < 0)
		die("token", "cannot encode");
	free(tok);
	return text;
}

/*
 * Placements need measured devices, and the agent's own benchmark would
 * run this program as `exogpu` (/proc/self/exe): the real binary
 * measures them into the data directory's registry cache first.
 */
static void
bench(const struct fz_agent *a)
{
	char	cmd[3 * PATH_MAX];

	(void)snprintf(cmd, sizeof cmd, "'%s' -q devices --bench --data-dir "
	    "'%s' --sysfs-root '%s' >/dev/null", EXOGPU_BIN, a->cfg.data_dir,
	    a->cfg.sysfs_root);
	if (system(cmd) != 0)
		die("benchmark", cmd);
}

static void *
run_agent(void *arg)
{
	struct fz_agent	*a = arg;

	(void)ag_node_run(&a->cfg);
	a->ended = 1;
	return NULL;
}

/* The API port from DATA/run.json, once the agent wrote it; 0 not yet. */
static int
api_port(const struct fz_agent *a)
{
	json_t		*j;
	const char	*api, *colon;
	char		 path[PATH_MAX + 16];
	int		 port = 0;

	(void)snprintf(path, sizeof path, "%s/%s", a->cfg.data_dir,
	    AG_RUN_FILE);
	if ((j = json_load_file(path, 0, NULL)) == NULL)
		return 0;
	api = json_string_value(json_object_get(j, "api"));
	if (api != NULL && (colon = strrchr(api, ':')) != NULL)
		port = atoi(colon + 1);
	json_decref(j);
	return port;
}

/* 1 once the agent says it leads (a one-node cluster elects itself). */
static int
leading(const struct fz_agent *a)
{
	struct ag_http_response	 r;
	json_t			*j;
	char			 addr[64], err[256];
	int			 yes = 0;

	(void)snprintf(addr, sizeof addr, "127.0.0.1:%d", a->port);
	if (ag_http_request(addr, "GET", "/v1/status", NULL, NULL, &r, err,
	    sizeof err) != 0)
		return 0;
	if ((j = json_loadb(r.body, r.body_len, 0, NULL)) != NULL) {
		yes = json_string_value(json_object_get(j, "role")) != NULL &&
		    strcmp(json_string_value(json_object_get(j, "role")),
		    "leader") == 0;
		json_decref(j);
	}
	ag_http_response_free(&r);
	return yes;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

static void
stop_agent(void)
{
	if (agent == NULL)
		return;
	/* ag_node_run stops on SIGTERM (a libevent signal event). */
	(void)kill(getpid(), SIGTERM);
	(void)pthread_join(agent->thread, NULL);
	(void)nftw(agent->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	agent = NULL;
}

static void
start_agent(void)
{
	static struct fz_agent	a;
	struct sec_pem		key, pub;
	struct sec_secret	secret;
	char			err[256];
	int			i;

	(void)snprintf(a.dir, sizeof a.dir, "/tmp/exogpu-fuzz-api-XXXXXX");
	if (mkdtemp(a.dir) == NULL)
		die("mkdtemp", strerror(errno));
	if (sec_token_keygen(&key, &pub, err, sizeof err) < 0)
		die("keygen", err);
	ag_config_defaults(&a.cfg);
	write_file(a.dir, "token.pub", pub.data, pub.len, a.cfg.token_keys,
	    sizeof a.cfg.token_keys);
	write_file(a.dir, "token.key", key.data, key.len,
	    a.cfg.token_signing_key, sizeof a.cfg.token_signing_key);
	a.admin = mint(&key, "fuzz-admin", SEC_TOKEN_SCOPE_ALL, NULL, 0x10);
	a.tenant = mint(&key, "acme", SEC_TOKEN_SCOPE_PLACE |
	    SEC_TOKEN_SCOPE_READ, "cpu", 0x40);
	sec_pem_clear(&key);
	sec_pem_clear(&pub);
	(void)snprintf(a.cfg.data_dir, sizeof a.cfg.data_dir, "%s/data",
	    a.dir);
	(void)snprintf(a.cfg.name, sizeof a.cfg.name, "fuzz");
	(void)snprintf(a.cfg.listen, sizeof a.cfg.listen, "127.0.0.1:0");
	(void)snprintf(a.cfg.http, sizeof a.cfg.http, "127.0.0.1:0");
	if (sec_secret_generate(&secret, err, sizeof err) != 0)
		die("join secret", err);
	sec_secret_format(&secret, a.cfg.join_secret);
	sec_secret_clear(&secret);
	(void)snprintf(a.cfg.sysfs_root, sizeof a.cfg.sysfs_root,
	    "%s/tests/fixtures/sysfs/intel-laptop", EXOGPU_SOURCE_DIR);
	a.cfg.no_mdns = true;
	a.cfg.no_bench = true;
	a.cfg.probe_interval_s = 0;
	a.cfg.audit_rotate_bytes = 4L << 20;
	if (ag_config_check(&a.cfg, err, sizeof err) != 0)
		die("config", err);
	bench(&a);
	ag_log_set_level(AG_LOG_ERR);
	agent = &a;
	if (pthread_create(&a.thread, NULL, run_agent, &a) != 0)
		die("pthread_create", strerror(errno));
	for (i = 0; i < FZ_START_S * 10 && !a.ended &&
	    (a.port = api_port(&a)) == 0; i++)
		(void)usleep(100000);
	if (a.port == 0)
		die("agent", "no run.json: it did not come up");
	/* Placement calls need a leader: wait until it is one. */
	for (i = 0; i < FZ_START_S * 10 && !a.ended && !leading(&a); i++)
		(void)usleep(100000);
	if (a.ended)
		die("agent", "it stopped");
	if (atexit(stop_agent) != 0)
		die("atexit", "full");
}

/* data with @ADMIN@ / @TENANT@ replaced; *len its length (malloc'd). */
static char *
substitute(const uint8_t *data, size_t size, size_t *len)
{
	static const char	*const marks[] = { "@ADMIN@", "@TENANT@" };
	const char		*toks[] = { agent->admin, agent->tenant };
	char			*out = malloc(FZ_REQ_MAX);
	size_t			 i = 0, o = 0, k, ml, tl;

	if (out == NULL)
		return NULL;
	while (i < size && o < FZ_REQ_MAX) {
		for (k = 0; k < 2; k++) {
			ml = strlen(marks[k]);
			tl = strlen(toks[k]);
			if (size - i >= ml && memcmp(data + i, marks[k], ml) ==
			    0 && FZ_REQ_MAX - o >= tl) {
				memcpy(out + o, toks[k], tl);
				o += tl;
				i += ml;
				break;
			}
		}
		if (k == 2)
			out[o++] = (char)data[i++];
	}
	*len = o;
	return out;
}

static int
fz_connect(int port)
{
	struct sockaddr_in	sin;
	struct timeval		tv = { 2, 0 };
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Sends req, shuts the write side, reads until EOF or a timeout. */
static size_t
exchange(int fd, const char *req, size_t len, char *answer)
{
	size_t	sent = 0, got = 0;
	ssize_t	n;

	while (sent < len) {
		n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
		if (n <= 0)
			break;		/* the agent closed early (413 ...) */
		sent += (size_t)n;
	}
	(void)shutdown(fd, SHUT_WR);
	while (got < FZ_ANSWER_MAX) {
		n = recv(fd, answer + got, FZ_ANSWER_MAX - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void
check(const char *answer, size_t len)
{
	struct ag_http_response	 resp;
	const char		*hdr_end;
	char			 err[128];
	json_t			*j;

	if (len == 0)
		return;
	if (len < 5 || memcmp(answer, "HTTP/", 5) != 0)
		__builtin_trap();
	/* FUZZ_API_NODE_VERBOSE=1: each answer on stderr, to tend seeds. */
	if (getenv("FUZZ_API_NODE_VERBOSE") != NULL)
		(void)fprintf(stderr, "%.*s\n---\n", (int)(len > 600 ? 600 :
		    len), answer);
	if (ag_http_parse_response(answer, len, &resp, err, sizeof err) != 0)
		return;		/* cut at FZ_ANSWER_MAX or at the timeout */
	hdr_end = memmem(answer, len, "\r\n\r\n", 4);
	if (hdr_end != NULL && memmem(answer, (size_t)(hdr_end - answer),
	    "Content-Type: application/json", 30) != NULL &&
	    resp.body_len > 0) {
		if ((j = json_loadb(resp.body, resp.body_len, 0, NULL)) ==
		    NULL)
			__builtin_trap();
		json_decref(j);
	}
	ag_http_response_free(&resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*req, *answer;
	size_t	 len, alen;
	int	 fd;

	if (agent == NULL)
		start_agent();
	if ((req = substitute(data, size, &len)) == NULL)
		return 0;
	if ((answer = malloc(FZ_ANSWER_MAX)) == NULL) {
		free(req);
		return 0;
	}
	if ((fd = fz_connect(agent->port)) == -1) {
		perror("fuzz_api_node: connect to the agent's API");
		free(answer);
		free(req);
		return 0;
	}
	alen = exchange(fd, req, len, answer);
	(void)close(fd);
	check(answer, alen);
	free(answer);
	free(req);
	return 0;
}
