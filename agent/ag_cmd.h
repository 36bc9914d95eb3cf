/*
 * ag_cmd.h - the command table.
 *
 * Every `exogpu <command>` is one file (cmd_<name>.c) that defines one
 * struct ag_cmd: its name, a one-line synopsis, a summary for the command
 * list, the option help, and the function that runs it.  ag_main.c only
 * looks a name up in ag_cmds[] and hands over argv, so adding a command
 * means adding a file and one line to the table (the shape tmux uses).
 *
 * Exit codes are the same for every command (documented in exogpu(1)).
 */
#ifndef AG_CMD_H
#define AG_CMD_H

#include <getopt.h>
#include <stdio.h>

#define AG_EXIT_OK	0	/* success */
#define AG_EXIT_RUNTIME	1	/* the command ran and failed */
#define AG_EXIT_USAGE	2	/* bad command line or bad input file */

struct ag_cmd {
	const char	*name;
	const char	*synopsis;	/* after "exogpu <name> " */
	const char	*summary;	/* one line for `exogpu --help` */
	const char	*help;		/* option descriptions */
	int		(*exec)(const struct ag_cmd *, int, char **);
};

extern const struct ag_cmd *const ag_cmds[];

/* Prints "usage: exogpu NAME SYNOPSIS" and, with full, the option help. */
void	ag_cmd_usage(const struct ag_cmd *, FILE *, int full);

/*
 * getopt_long wrapper every command uses.  Handles --help/-h (usage on
 * stdout, returns -2 so the caller exits 0) and bad options (usage on
 * stderr, returns -3 so the caller exits 2).  Otherwise as getopt_long.
 */
#define AG_OPT_HELP	-2
#define AG_OPT_BAD	-3
int	ag_getopt(const struct ag_cmd *, int, char **, const char *,
	    const struct option *);
/* Exit code for an AG_OPT_* result. */
int	ag_opt_exit(int);
/*
 * Commands with subcommands (`cert init`, `token issue`): checks argv[1]
 * against subs (NULL-terminated), handles -h/--help, and shifts argv so
 * the subcommand's options parse as a command's.  Returns -1 to go on with
 * *sub set, else the exit code to return.
 */
int	ag_subcommand(const struct ag_cmd *, int *, char ***,
	    const char *const *subs, const char **sub);
/* Prints "exogpu NAME: message" plus usage on stderr; returns AG_EXIT_USAGE. */
int	ag_usage_error(const struct ag_cmd *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* AG_CMD_H */
