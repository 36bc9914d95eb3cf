/*
 * cmd_recover.c - `exogpu recover`: the operator's way out when a cluster
 * lost a majority of its voters for good (machines retired, disks gone).
 *
 * A side without a majority never elects a leader, on purpose.  When the
 * missing voters will never return, the operator picks ONE survivor (the
 * most up to date: highest commit_index), stops its agent and runs this
 * command there: raft's recover appends a configuration with this node as
 * the only voter.  Started again, the agent leads alone at once, keeps
 * every committed placement, and the other survivors - their raft state
 * moved away, so they start fresh - join it and are promoted as usual.
 * docs/cluster.md, "Recovering a cluster that lost its majority for
 * good", has the whole procedure.  Offline only: the agent must not run.
 */
#include "ag_cmd.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_log.h"
#include "ag_raft.h"
#include "ag_node.h"
#include "ag_trust.h"

#include "sec_identity.h"

#include <jansson.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	recover_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_recover = {
	"recover",
	"[--data-dir DIR] --yes",
	"Make this stopped node the only voter of its cluster (lost majority)",
	"  --data-dir DIR  the agent's data dir (default as for the agent)\n"
	"  --yes           do it (without it, only say what would be done)\n"
	"  -h, --help      show this help\n",
	recover_exec,
};

static int
node_id_of(const char *dir, char *id, char *err, size_t errlen)
{
	char	path[4096], *pem;
	size_t	len;
	int	missing = 0, rc;

	if (ag_datadir_path(dir, AG_NODE_KEY_FILE, path, sizeof path) != 0 ||
	    ag_read_file(path, 64 * 1024, &pem, &len, &missing, err,
	    errlen) != 0) {
		if (missing)
			(void)snprintf(err, errlen, "%.200s: no node key; is "
			    "this an agent's data dir?", path);
		return -1;
	}
	rc = sec_identity_key_node_id(pem, len, id, err, errlen);
	free(pem);
	return rc;
}

/* 1 if run.json names a live process (the agent must be stopped). */
static int
agent_running(const char *dir, long *pid)
{
	char	 path[4096], err[256], *text;
	size_t	 len;
	int	 missing = 0;
	json_t	*j;

	*pid = 0;
	if (ag_datadir_path(dir, AG_RUN_FILE, path, sizeof path) != 0 ||
	    ag_read_file(path, 64 * 1024, &text, &len, &missing, err,
	    sizeof err) != 0)
		return 0;
	j = json_loadb(text, len, 0, NULL);
	free(text);
	if (j != NULL && json_is_integer(json_object_get(j, "pid")))
		*pid = (long)json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
	return *pid > 0 && kill((pid_t)*pid, 0) == 0;
}

static int
recover_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*dir_arg = NULL;
	char		 dir[4096], id[SEC_NODE_ID_SIZE], err[512];
	long		 pid;
	int		 c, yes = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir_arg = optarg;
			break;
		case 'y':
			yes = 1;
			break;
		case 'h':
			ag_cmd_usage(cmd, stdout, 1);
			return AG_EXIT_OK;
		default:
			ag_cmd_usage(cmd, stderr, 0);
			return AG_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		ag_cmd_usage(cmd, stderr, 0);
		return AG_EXIT_USAGE;
	}
	if (ag_datadir_resolve(dir_arg != NULL ? dir_arg : "", dir,
	    sizeof dir) != 0) {
		ag_log(AG_LOG_ERR, "cannot tell the data dir; use --data-dir");
		return AG_EXIT_USAGE;
	}
	if (agent_running(dir, &pid)) {
		ag_log(AG_LOG_ERR, "the agent of %s is running (pid %ld): stop "
		    "it first", dir, pid);
		return AG_EXIT_RUNTIME;
	}
	if (node_id_of(dir, id, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	if (!yes) {
		(void)printf("would make node %s (data dir %s) the only voter "
		    "of its cluster.\nOnly for a cluster that lost a majority "
		    "of its voters for good, with this agent stopped; see\n"
		    "docs/cluster.md. Run again with --yes to do it.\n", id,
		    dir);
		return AG_EXIT_OK;
	}
	if (ag_raft_recover(dir, id, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	(void)printf("node %s is now the only voter of its cluster; start its "
	    "agent, then start the other survivors with their raft state "
	    "moved away (mv DATA/raft DATA/raft.old): they join it.\n", id);
	return AG_EXIT_OK;
}
