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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	agent_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_agent = {
	"agent",
	"[--config FILE] [--data-dir DIR] [--name NAME] [--listen ADDR:PORT]\n"
	"       [--join ADDR:PORT]... [--join-secret S | --ca DIR]\n"
	"       [--http ADDR:PORT] [--no-mdns] [--no-bench] [--probe-bytes N]\n"
	"       [--probe-interval SECONDS] [--idle-timeout SECONDS]",
	"Run the node agent (QUIC peers, link measurement, local HTTP API)",
	"  --config FILE         settings file (exogpu.conf(5)); flags override it\n"
	"  --data-dir DIR        state directory (identity, join secret, caches)\n"
	"  --name NAME           node name (default: the host name)\n"
	"  --listen ADDR:PORT    QUIC on UDP (default: 0.0.0.0:47470 and "
	"[::]:47470)\n"
	"  --join ADDR:PORT      a peer to connect to; repeatable\n"
	"  --join-secret S       join the cluster of this secret (`exogpu "
	"secret`)\n"
	"  --ca DIR              CA mode: DIR holds node.key, node.pem, ca.pem\n"
	"                        (`exogpu cert issue --out DIR`)\n"
	"  --http ADDR:PORT      local API (default: 127.0.0.1:47471)\n"
	"  --no-mdns             do not use mDNS discovery\n"
	"  --no-bench            do not measure unmeasured devices in the "
	"background\n"
	"  --sysfs-root DIR      read /proc and /sys under DIR (testing)\n"
	"  --probe-bytes N       bandwidth probe size (default: 4194304)\n"
	"  --probe-interval S    seconds between probes, 0 = only at start and "
	"on demand\n"
	"                        (default: 300)\n"
	"  --idle-timeout S      QUIC idle timeout; a dead peer's session ends "
	"after it\n"
	"                        (default: 1)\n"
	"  -h, --help            show this help\n"
	"\nWith neither --join-secret nor --ca, the node creates a cluster join "
	"secret\nonce, prints it with the command to start the next node, and "
	"reuses it.\n",
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
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 0 },
		{ "name", required_argument, NULL, 0 },
		{ "listen", required_argument, NULL, 0 },
		{ "join", required_argument, NULL, 0 },
		{ "join-secret", required_argument, NULL, 0 },
		{ "ca", required_argument, NULL, 0 },
		{ "http", required_argument, NULL, 0 },
		{ "no-mdns", no_argument, NULL, 0 },
		{ "no-bench", no_argument, NULL, 0 },
		{ "sysfs-root", required_argument, NULL, 0 },
		{ "probe-bytes", required_argument, NULL, 0 },
		{ "probe-interval", required_argument, NULL, 0 },
		{ "idle-timeout", required_argument, NULL, 0 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ag_config	*c = calloc(1, sizeof *c);
	const char		*config = NULL;
	char			 err[512];
	int			 ch, rc;

	if (c == NULL)
		return AG_EXIT_RUNTIME;
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
	rc = ag_node_run(c);
	free(c);
	return rc;
}
