/*
 * ag_main.c - `exogpu <command> [options]`: global flags and dispatch.
 *
 * Global options come before the command (--help, --version, -v/-q for the
 * log level); everything after the command name belongs to the command.
 */
#include "ag_cmd.h"
#include "ag_log.h"

#include <stdarg.h>
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

void
ag_cmd_usage(const struct ag_cmd *cmd, FILE *f, int full)
{
	(void)fprintf(f, "usage: exogpu %s %s\n", cmd->name, cmd->synopsis);
	if (full) {
		(void)fprintf(f, "\n%s\n", cmd->summary);
		if (cmd->help != NULL && cmd->help[0] != '\0')
			(void)fprintf(f, "\noptions:\n%s", cmd->help);
	}
}

int
ag_usage_error(const struct ag_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	(void)fprintf(stderr, "exogpu %s: ", cmd->name);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	ag_cmd_usage(cmd, stderr, 0);
	return AG_EXIT_USAGE;
}

int
ag_getopt(const struct ag_cmd *cmd, int argc, char **argv,
    const char *shortopts, const struct option *longopts)
{
	int	ch;

	opterr = 0;
	ch = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (ch == 'h') {
		ag_cmd_usage(cmd, stdout, 1);
		return AG_OPT_HELP;
	}
	if (ch == '?' || ch == ':') {
		if (optopt != 0 && ch == ':')
			(void)ag_usage_error(cmd, "option -%c needs a value",
			    optopt);
		else if (optopt != 0)
			(void)ag_usage_error(cmd, "unknown option -%c", optopt);
		else
			(void)ag_usage_error(cmd, "unknown or incomplete "
			    "option '%s'", argv[optind - 1]);
		return AG_OPT_BAD;
	}
	return ch;
}

int
ag_subcommand(const struct ag_cmd *cmd, int *argc, char ***argv,
    const char *const *subs, const char **sub)
{
	const char *const	*s;

	if (*argc < 2) {
		char	list[128] = "";
		size_t	off = 0;

		for (s = subs; *s != NULL && off < sizeof list; s++)
			off += (size_t)snprintf(list + off, sizeof list - off,
			    "%s%s", s == subs ? "" : ", ", *s);
		return ag_usage_error(cmd, "which one: %s?", list);
	}
	*sub = (*argv)[1];
	if (strcmp(*sub, "-h") == 0 || strcmp(*sub, "--help") == 0) {
		ag_cmd_usage(cmd, stdout, 1);
		return AG_EXIT_OK;
	}
	for (s = subs; *s != NULL; s++)
		if (strcmp(*s, *sub) == 0)
			break;
	if (*s == NULL)
		return ag_usage_error(cmd, "unknown subcommand '%s'", *sub);
	(*argc)--;
	(*argv)++;
	optind = 1;
	return -1;
}

int
ag_opt_exit(int ch)
{
	return ch == AG_OPT_HELP ? AG_EXIT_OK : AG_EXIT_USAGE;
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
