/*
 * ag_main.c - `exogpu <command> [options]`: global flags and dispatch.
 *
 * Global options come before the command (--help, --version, -v/-q for the
 * log level); everything after the command name belongs to the command.
 */
#include "ag_cmd.h"
#include "ag_log.h"

#include <stdio.h>
#include <string.h>

#ifndef EXOGPU_VERSION
#define EXOGPU_VERSION "unknown"
#endif

static void
main_usage(FILE *f)
{
	const struct ag_cmd *const *c;

	(void)fprintf(f,
	    "usage: exogpu [-v | -q] <command> [options]\n"
	    "       exogpu --help | --version\n"
	    "\n"
	    "Peer-to-peer cluster agent for heterogeneous GPU machines.\n"
	    "\n"
	    "commands:\n");
	for (c = ag_cmds; *c != NULL; c++)
		(void)fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
	(void)fprintf(f,
	    "\n"
	    "Run `exogpu <command> --help` for a command's options.\n"
	    "Exit status: 0 success, 1 runtime error, 2 usage or input error.\n");
}

static const struct ag_cmd *
find_cmd(const char *name)
{
	const struct ag_cmd *const *c;

	for (c = ag_cmds; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct ag_cmd	*cmd;
	int			 i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			main_usage(stdout);
			return AG_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			(void)printf("exogpu %s\n", EXOGPU_VERSION);
			return AG_EXIT_OK;
		} else if (strcmp(argv[i], "-v") == 0) {
			ag_log_set_level(AG_LOG_DEBUG);
		} else if (strcmp(argv[i], "-q") == 0) {
			ag_log_set_level(AG_LOG_ERR);
		} else {
			(void)fprintf(stderr, "exogpu: unknown option '%s'\n",
			    argv[i]);
			main_usage(stderr);
			return AG_EXIT_USAGE;
		}
	}
	if (i == argc) {
		(void)fprintf(stderr, "exogpu: no command given\n");
		main_usage(stderr);
		return AG_EXIT_USAGE;
	}
	if ((cmd = find_cmd(argv[i])) == NULL) {
		(void)fprintf(stderr, "exogpu: unknown command '%s'\n",
		    argv[i]);
		main_usage(stderr);
		return AG_EXIT_USAGE;
	}
	optind = 1;
	return cmd->exec(cmd, argc - i, argv + i);
}
