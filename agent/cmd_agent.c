/*
 * cmd_agent.c - `exogpu agent`: run this node's agent in the foreground.
 *
 * Options are the config file's keys (ag_config.h): the file is read
 * first, flags override it.  The process runs until SIGTERM or SIGINT.
 */
#include "ag_cmd.h"
#include "ag_config.h"
#include "ag_fileio.h"
#include "ag_log.h"
#include "ag_node.h"
#include "ag_trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	agent_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_agent = {
	"agent",
	"[--config FILE] [--data-dir DIR] [--name NAME] [--listen ADDR:PORT]\n"
	"       [--join ADDR:PORT]... [--join-secret-file FILE|- | --ca DIR]\n"
	"       [--http ADDR:PORT] [--http-host NAME,...]\n"
	"       [--http-tls node|CERT.pem,KEY.pem] [--no-mdns]\n"
	"       [--no-bench] [--probe-bytes N]\n"
	"       [--probe-interval SECONDS] [--idle-timeout SECONDS]\n"
	"       [--membership transport|probe] [--neighbours K]\n"
	"       [--max-sessions N] [--max-udp-payload B]\n"
	"       [--token-keys FILE [--token-audience AUD] [--token-skew S]\n"
	"       [--token-signing-key FILE] [--token-max-age S]\n"
	"       [--auth-fail-limit N] [--solve-budget-max MS]\n"
	"       [--tenant-max-placements N]]\n"
	"       [--insecure-open-api] [--audit-checkpoint S]\n"
	"       [--audit-rotate-bytes N] [--audit-keep N]\n"
	"       [--thermal-horizon SECONDS]\n"
	"       [--max-voters N] [--bootstrap-expect N] [--promote-after S]\n"
	"       [--memory-reserve R]\n"
	"       [--rpc-server PATH] [--llama-server PATH]\n"
	"       [--worker-command CMD] [--engine-devices ID=NAME,...]",
	"Run the node agent (QUIC peers, link measurement, the replicated log, "
	"local HTTP API)",
	"  --config FILE         settings file (exogpu.conf(5)); flags override it\n"
	"  --data-dir DIR        state directory (identity, join secret, caches)\n"
	"  --name NAME           node name (default: the host name)\n"
	"  --listen ADDR:PORT    QUIC on UDP (default: 0.0.0.0:47470 and "
	"[::]:47470)\n"
	"  --join ADDR:PORT      a peer to connect to; repeatable\n"
	"  --join-secret-file F  join the cluster of the secret in F (mode "
	"0600; - reads\n"
	"                        stdin; or set $EXOGPU_JOIN_SECRET). Never "
	"on argv\n"
	"  --ca DIR              CA mode: DIR holds node.key, node.pem, ca.pem\n"
	"                        (`exogpu cert issue --out DIR`)\n"
	"  --http ADDR:PORT      local API (default: 127.0.0.1:47471)\n"
	"  --http-host NAMES     names the API answers to besides its address "
	"and\n"
	"                        localhost (Host header; DNS rebinding "
	"guard)\n"
	"  --http-tls node|CERT,KEY  serve the API over TLS only: the node's "
	"own\n"
	"                        certificate, or a PEM certificate and key "
	"(mode 0600)\n"
	"  --no-mdns             do not use mDNS discovery\n"
	"  --no-bench            do not measure unmeasured devices in the "
	"background\n"
	"  --sysfs-root DIR      read /proc and /sys under DIR (testing)\n"
	"  --probe-bytes N       bandwidth probe size (default: 4194304)\n"
	"  --probe-interval S    seconds between bandwidth probes of the peers\n"
	"                        sharing a placement with this node, 0 = once\n"
	"                        (default: 300; any peer: exogpu peers --probe)\n"
	"  --idle-timeout S      QUIC idle timeout; a dead peer's session ends "
	"after it\n"
	"                        (default: 30; 1 with --membership transport)\n"
	"  --membership MODE     failure detection: transport (a session to "
	"every member,\n"
	"                        kept alive) or probe (SWIM probes; only "
	"neighbours kept)\n"
	"                        (default: probe; docs/cluster.md)\n"
	"  --neighbours K        probe mode: members (about K) whose sessions are "
	"kept\n"
	"                        alive, 0 = every member (default: 8)\n"
	"  --max-sessions N      probe mode: above N sessions, idle ones that "
	"are not\n"
	"                        neighbours or placement partners close "
	"(default: 64)\n"
	"  --max-udp-payload B   largest QUIC datagram, 1200..65507; 0 = the "
	"path's MTU\n"
	"                        (jumbo paths: MTU > 1500), at most 16384 "
	"(default: 0)\n"
	"  --token-keys FILE     enforce access tokens signed by these public "
	"keys\n"
	"                        (`exogpu token keygen`; docs/tokens.md)\n"
	"  --token-audience AUD  accept only tokens issued for AUD\n"
	"  --token-skew S        clock slack for token times (default: 60)\n"
	"  --token-signing-key FILE  sign delegated tokens (POST /v1/tokens)"
	"\n"
	"  --token-max-age S     refuse tokens issued more than S ago "
	"(default: 0, off)\n"
	"  --auth-fail-limit N   refused tokens a minute per client before 429"
	"\n"
	"                        (default: 20; 0: off)\n"
	"  --solve-budget-max MS  cap on a tenant's solve budget "
	"(default: 2000)\n"
	"  --tenant-max-placements N  live placements per tenant "
	"(default: 4)\n"
	"  --insecure-open-api   serve a non-loopback --http without "
	"--token-keys\n"
	"  --audit-checkpoint S  seconds between signed audit checkpoints\n"
	"                        (default: 300; also when idle)\n"
	"  --audit-rotate-bytes N  rotate DATA/audit.log past N bytes "
	"(default: 64 MiB)\n"
	"  --audit-keep N        rotated audit files kept (default: 30)\n"
	"  --thermal-horizon S   look-ahead of the throttle prediction "
	"(default: 300)\n"
	"  --max-voters N        voters in the replicated log (default: 5; "
	"the rest\n"
	"                        replicate it as standbys)\n"
	"  --bootstrap-expect N  form a new cluster only once N fresh nodes "
	"see\n"
	"                        each other (default: 0, a lone node forms "
	"one)\n"
	"  --promote-after S     replace a voter dead this long (default: "
	"10)\n"
	"  --memory-reserve R    share of device memory never booked "
	"(default: 0.1)\n"
	"  --rpc-server PATH     llama.cpp's RPC server for this node's stages"
	"\n"
	"                        (default: ggml-rpc-server or rpc-server on "
	"PATH)\n"
	"  --llama-server PATH   llama.cpp's llama-server (default: on PATH)\n"
	"  --worker-command CMD  run CMD per stage instead (no shell; "
	"%PORT% %HOST%\n"
	"                        %DEVICE% %ENGINE_DEVICE% %PLACEMENT% %STAGE%)"
	"\n"
	"  --engine-devices MAP  llama.cpp's device names: ID=NAME,... "
	"(cpu=CPU built in)\n"
	"  --alert-*             alert thresholds (docs/alerts.md): "
	"temp-celsius,\n"
	"                        temp-clear-celsius, memory-ratio, "
	"memory-clear-ratio,\n"
	"                        battery-ratio, battery-clear-ratio, "
	"link-loss-ratio,\n"
	"                        link-loss-clear-ratio, link-loss-hold, "
	"quorum-hold\n"
	"  -h, --help            show this help\n"
	"\nEvery flag is also a config file key (exogpu.conf(5)).\n"
	"With no join secret and no --ca, the node creates a cluster join "
	"secret once\n(DATA/join-secret), prints how to start the next node, "
	"and reuses it.\n",
	agent_exec,
};

static int
load_file(struct ag_config *c, const char *path)
{
	char	*buf, err[512];
	size_t	 len;

	if (ag_read_file(path, AG_CONFIG_MAX_BYTES, &buf, &len, NULL, err,
	    sizeof err) != 0) {
		(void)fprintf(stderr, "exogpu agent: %s\n", err);
		return -1;
	}
	if (ag_config_parse(c, buf, len, err, sizeof err) != 0) {
		(void)fprintf(stderr, "exogpu agent: %s: %s\n", path, err);
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

static int
agent_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	struct option		 longopts[AG_CONFIG_OPTIONS];
	struct ag_config	*c = calloc(1, sizeof *c);
	const char		*config = NULL;
	char			 err[512], *env;
	int			 ch, rc;

	if (c == NULL)
		return AG_EXIT_RUNTIME;
	ag_config_options(longopts);
	ag_config_defaults(c);
	/* First pass: only --config, so flags can override the file. */
	while ((ch = ag_getopt(cmd, argc, argv, "c:h", longopts)) != -1) {
		if (ch == 'c')
			config = optarg;
		else if (ch != 0) {
			free(c);
			return ag_opt_exit(ch);
		}
	}
	if (optind != argc) {
		free(c);
		return ag_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	}
	if (config != NULL && load_file(c, config) != 0) {
		free(c);
		return AG_EXIT_USAGE;
	}
	optind = 1;
	for (;;) {
		int idx = -1;

		opterr = 0;
		ch = getopt_long(argc, argv, "c:h", longopts, &idx);
		if (ch == -1)
			break;
		if (ch != 0)
			continue;
		if (ag_config_set(c, longopts[idx].name, optarg != NULL ?
		    optarg : "true", err, sizeof err) != 0) {
			free(c);
			return ag_usage_error(cmd, "--%s", err);
		}
	}
	if (ag_config_check(c, err, sizeof err) != 0) {
		free(c);
		return ag_usage_error(cmd, "%s", err);
	}
	if (ag_trust_read_secret(c->join_secret_file, getenv(AG_SECRET_ENV),
	    c->join_secret, sizeof c->join_secret, err, sizeof err) != 0) {
		free(c);
		return ag_usage_error(cmd, "%s", err);
	}
	/*
	 * Wipe the value where it lies (it is what /proc/PID/environ shows)
	 * and drop it, so that children do not inherit it.
	 */
	if ((env = getenv(AG_SECRET_ENV)) != NULL)
		explicit_bzero(env, strlen(env));
	(void)unsetenv(AG_SECRET_ENV);
	rc = ag_node_run(c);
	explicit_bzero(c->join_secret, sizeof c->join_secret);
	free(c);
	return rc;
}
