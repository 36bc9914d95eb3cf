/*
 * ag_cmd_table.c - the list of commands, in the order `exogpu --help`
 * shows them.  One line per command; each is defined in its cmd_*.c file.
 */
#include "ag_cmd.h"

extern const struct ag_cmd ag_cmd_demo;
extern const struct ag_cmd ag_cmd_agent;
extern const struct ag_cmd ag_cmd_status;
extern const struct ag_cmd ag_cmd_peers;
extern const struct ag_cmd ag_cmd_members;
extern const struct ag_cmd ag_cmd_events;
extern const struct ag_cmd ag_cmd_place;
extern const struct ag_cmd ag_cmd_run;
extern const struct ag_cmd ag_cmd_devices;
extern const struct ag_cmd ag_cmd_plan;
extern const struct ag_cmd ag_cmd_cert;
extern const struct ag_cmd ag_cmd_secret;
extern const struct ag_cmd ag_cmd_token;
extern const struct ag_cmd ag_cmd_audit;
extern const struct ag_cmd ag_cmd_recover;

const struct ag_cmd *const ag_cmds[] = {
	&ag_cmd_demo,
	&ag_cmd_agent,
	&ag_cmd_status,
	&ag_cmd_peers,
	&ag_cmd_members,
	&ag_cmd_events,
	&ag_cmd_place,
	&ag_cmd_run,
	&ag_cmd_devices,
	&ag_cmd_plan,
	&ag_cmd_cert,
	&ag_cmd_secret,
	&ag_cmd_token,
	&ag_cmd_audit,
	&ag_cmd_recover,
	NULL
};
