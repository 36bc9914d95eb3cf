/*
 * ag_config.h - everything `exogpu agent` can be told, from a config file
 * and the command line (flags win).
 *
 * The file is lines of `key = value` with `#` comments; keys are the long
 * flag names (man/exogpu.conf.5).  `join` may repeat.  The parser is
 * bounded (file size, line length, line count, joins) and strict: an
 * unknown key or a bad value stops the agent with the file and line, so
 * a typo never silently changes what the daemon does.
 */
#ifndef AG_CONFIG_H
#define AG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define AG_CONFIG_MAX_BYTES	(64 * 1024)
#define AG_CONFIG_MAX_LINE	1024
#define AG_MAX_JOIN		64
#define AG_ADDR_MAX		300
#define AG_MAX_TUNNEL_TARGETS	16	/* tunnel-target keys */
#define AG_TUNNEL_DEVICE_MAX	64	/* a device id's bytes */

/* tunnel-target DEVICE=PORT: this node's worker for DEVICE (docs/tunnel.md) */
struct ag_tunnel_target {
	char	device[AG_TUNNEL_DEVICE_MAX];	/* the id after "NODEID/" */
	int	port;				/* on 127.0.0.1 */
};

#define AG_DEFAULT_PORT		47470	/* listen "" = 0.0.0.0 and [::] */
#define AG_DEFAULT_HTTP		"127.0.0.1:47471"

struct ag_config {
	char	data_dir[4096];		/* "" = default for the user */
	char	name[64];		/* "" = host name */
	char	listen[AG_ADDR_MAX];
	char	http[AG_ADDR_MAX];
	char	http_host[AG_CONFIG_MAX_LINE];	/* extra Host names */
	char	http_tls[8200];		/* "" off, "node", "CERT,KEY" */
	int	njoin;
	char	join[AG_MAX_JOIN][AG_ADDR_MAX];
	char	join_secret[260];	/* read from the file or env, never argv */
	char	join_secret_file[4096];	/* "" = none; "-" = stdin */
	char	ca_dir[4096];		/* "" = join-secret mode */
	bool	no_mdns;
	bool	no_bench;		/* no background device benchmark */
	char	sysfs_root[4096];	/* "" = /; for tests */
	long	probe_bytes;		/* bulk probe size */
	long	probe_interval_s;	/* 0 = only at start and on demand */
	long	idle_timeout_s;		/* 0 = the membership mode's */
	char	membership[16];		/* "transport" or "probe" */
	long	neighbours;		/* probe: sessions kept, 0 = all */
	long	max_sessions;		/* probe: idle ones closed above */
	long	max_udp_payload;	/* QUIC datagrams; 0 = path's MTU */
	char	token_keys[4096];	/* "" = tokens not enforced */
	char	token_audience[128];	/* "" = any audience */
	char	token_signing_key[4096];	/* "" = no delegated issuing */
	long	token_skew_s;
	long	token_max_age_s;	/* 0 = no limit */
	long	auth_fail_limit;	/* per client a minute; 0 = off */
	long	solve_budget_max_ms;	/* tenants' time_budget_ms cap */
	long	tenant_max_placements;	/* live placements per tenant */
	bool	open_api;		/* serve a non-loopback API w/o keys */
	long	audit_checkpoint_s;
	long	audit_rotate_bytes;
	long	audit_keep;		/* rotated files kept */
	long	thermal_horizon_s;	/* throttle prediction look-ahead */
	/* Alerts (docs/alerts.md): raise / clear thresholds, hold times. */
	double	alert_temp_c, alert_temp_clear_c;
	double	alert_memory, alert_memory_clear;	/* used ratio */
	double	alert_battery, alert_battery_clear;	/* charge ratio */
	double	alert_loss, alert_loss_clear;		/* link loss ratio */
	long	alert_loss_hold_s;
	long	alert_quorum_hold_s;
	/* The replicated log (docs/cluster.md). */
	long	max_voters;		/* the rest replicate without voting */
	long	bootstrap_expect;	/* 0/1: a lone node forms a cluster */
	long	promote_after_s;	/* a dead voter is replaced after */
	double	memory_reserve;		/* of each device, never booked */
	/* Tunnels (docs/tunnel.md). */
	int	ntunnel_targets;
	struct ag_tunnel_target tunnel_targets[AG_MAX_TUNNEL_TARGETS];
	long	tunnel_max;		/* concurrent tunnel streams */
	/* The engine (docs/engines.md, "Workers"): "" = found on PATH. */
	char	rpc_server[4096];
	char	llama_server[4096];
	char	worker_command[1024];	/* "" = llama.cpp's rpc-server */
	char	engine_devices[1024];	/* ID=NAME,... */
};

void	ag_config_defaults(struct ag_config *);
/*
 * Checks what single keys cannot: each alert's clear threshold lies on the
 * safe side of its raise threshold.  Call it once every setting is in.
 */
int	ag_config_check(const struct ag_config *, char *err, size_t errlen);
/* membership is "probe" (SWIM probes, no keep-alives; docs/cluster.md). */
bool	ag_config_probe(const struct ag_config *);
/*
 * getopt_long options for every key (the flags are the keys), then
 * "config" ('c') and "help" ('h') and the terminator: out needs
 * AG_CONFIG_OPTIONS entries.  Flag options have val 0.
 */
#define AG_CONFIG_OPTIONS	64
struct option;
void	ag_config_options(struct option *out);
/*
 * Applies one setting (from a flag or a file line).  -1 with err saying
 * why (unknown key, value too long, not a number, out of range).
 */
int	ag_config_set(struct ag_config *, const char *key, const char *value,
	    char *err, size_t errlen);
/* Parses a whole config file's bytes; err has "line N: …" on failure. */
int	ag_config_parse(struct ag_config *, const char *buf, size_t len,
	    char *err, size_t errlen);

#endif /* AG_CONFIG_H */
