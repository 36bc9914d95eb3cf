/*
 * ag_cmd.c - what every command shares (ag_cmd.h): usage text, option
 * parsing with --help, subcommands, usage errors.  In the library rather
 * than in ag_main.c so that programs other than the exogpu binary - the
 * CLI's fuzz harness, tests - can run a command through ag_cmds[].
 */
#include "ag_cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
