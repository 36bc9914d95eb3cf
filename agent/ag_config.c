/*
 * ag_config.c - settings table and the config file parser; see
 * ag_config.h.  One table describes every key so the file, the flags and
 * the documentation cannot drift apart.
 */
#include "ag_config.h"
#include "ag_api.h"
#include "ag_engine.h"
#include "ag_httptls.h"
#include "net_quic.h"

#include <ctype.h>
#include <getopt.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_STR, K_ADDR, K_BOOL, K_LONG, K_JOIN, K_DOUBLE, K_REFUSED,
    K_TUNNEL };

struct setting {
	const char	*key;
	enum kind	 kind;
	size_t		 off;
	size_t		 size;		/* K_STR/K_ADDR buffer size */
	long		 min, max;	/* K_LONG, K_DOUBLE */
};

#define STR(k, f)	{ k, K_STR, offsetof(struct ag_config, f), \
			    sizeof(((struct ag_config *)0)->f), 0, 0 }
#define ADDR(k, f)	{ k, K_ADDR, offsetof(struct ag_config, f), \
			    sizeof(((struct ag_config *)0)->f), 0, 0 }
#define LONG(k, f, lo, hi) { k, K_LONG, offsetof(struct ag_config, f), 0, \
			    lo, hi }
#define DBL(k, f, lo, hi) { k, K_DOUBLE, offsetof(struct ag_config, f), 0, \
			    lo, hi }

static const struct setting settings[] = {
	STR("data-dir", data_dir),
	STR("name", name),
	ADDR("listen", listen),
	ADDR("http", http),
	STR("http-host", http_host),
	STR("http-tls", http_tls),
	{ "join", K_JOIN, 0, 0, 0, 0 },
	/* Refused: argv is readable by every local user (/proc/PID/cmdline). */
	{ "join-secret", K_REFUSED, 0, 0, 0, 0 },
	STR("join-secret-file", join_secret_file),
	STR("ca", ca_dir),
	STR("sysfs-root", sysfs_root),
	{ "no-mdns", K_BOOL, offsetof(struct ag_config, no_mdns), 0, 0, 0 },
	{ "no-bench", K_BOOL, offsetof(struct ag_config, no_bench), 0, 0, 0 },
	LONG("probe-bytes", probe_bytes, 4096, 1L << 30),
	LONG("probe-interval", probe_interval_s, 0, 86400),
	LONG("idle-timeout", idle_timeout_s, 1, 3600),
	STR("membership", membership),
	LONG("neighbours", neighbours, 0, 1024),
	LONG("max-sessions", max_sessions, 2, 1024),
	LONG("max-udp-payload", max_udp_payload, 0, NET_QUIC_PAYLOAD_MAX),
	STR("token-keys", token_keys),
	STR("token-audience", token_audience),
	STR("token-signing-key", token_signing_key),
	LONG("token-skew", token_skew_s, 0, 3600),
	LONG("token-max-age", token_max_age_s, 0, 10L * 366 * 86400),
	LONG("auth-fail-limit", auth_fail_limit, 0, 1000000),
	LONG("solve-budget-max", solve_budget_max_ms, 1, 60000),
	LONG("tenant-max-placements", tenant_max_placements, 1, 8),
	{ "insecure-open-api", K_BOOL, offsetof(struct ag_config, open_api), 0,
	    0, 0 },
	LONG("audit-checkpoint", audit_checkpoint_s, 1, 86400),
	LONG("audit-rotate-bytes", audit_rotate_bytes, 65536, 1L << 40),
	LONG("audit-keep", audit_keep, 1, 999),
	LONG("thermal-horizon", thermal_horizon_s, 10, 86400),
	DBL("alert-temp-celsius", alert_temp_c, 0, 200),
	DBL("alert-temp-clear-celsius", alert_temp_clear_c, 0, 200),
	DBL("alert-memory-ratio", alert_memory, 0, 1),
	DBL("alert-memory-clear-ratio", alert_memory_clear, 0, 1),
	DBL("alert-battery-ratio", alert_battery, 0, 1),
	DBL("alert-battery-clear-ratio", alert_battery_clear, 0, 1),
	DBL("alert-link-loss-ratio", alert_loss, 0, 1),
	DBL("alert-link-loss-clear-ratio", alert_loss_clear, 0, 1),
	LONG("alert-link-loss-hold", alert_loss_hold_s, 0, 3600),
	LONG("alert-quorum-hold", alert_quorum_hold_s, 0, 3600),
	LONG("max-voters", max_voters, 1, 15),
	LONG("bootstrap-expect", bootstrap_expect, 0, 15),
	LONG("promote-after", promote_after_s, 1, 86400),
	DBL("memory-reserve", memory_reserve, 0, 1),
	{ "tunnel-target", K_TUNNEL, 0, 0, 0, 0 },
	LONG("tunnel-max", tunnel_max, 1, 1024),
	STR("rpc-server", rpc_server),
	STR("llama-server", llama_server),
	STR("worker-command", worker_command),
	STR("engine-devices", engine_devices),
};

void
ag_config_defaults(struct ag_config *c)
{
	memset(c, 0, sizeof *c);
	(void)snprintf(c->http, sizeof c->http, "%s", AG_DEFAULT_HTTP);
	c->probe_bytes = 4L << 20;
	c->probe_interval_s = 300;
	c->idle_timeout_s = 0;	/* 30 s, or 1 s with membership transport */
	(void)snprintf(c->membership, sizeof c->membership, "probe");
	c->neighbours = 8;
	c->max_sessions = 64;
	c->token_skew_s = 60;
	c->auth_fail_limit = 20;
	c->solve_budget_max_ms = 2000;
	c->tenant_max_placements = 4;
	c->audit_checkpoint_s = 300;
	c->audit_rotate_bytes = 64L << 20;
	c->audit_keep = 30;
	c->thermal_horizon_s = 300;
	c->alert_temp_c = 85;
	c->alert_temp_clear_c = 80;
	c->alert_memory = 0.95;
	c->alert_memory_clear = 0.90;
	c->alert_battery = 0.15;
	c->alert_battery_clear = 0.20;
	c->alert_loss = 0.05;
	c->alert_loss_clear = 0.01;
	c->alert_loss_hold_s = 5;
	c->alert_quorum_hold_s = 3;
	c->max_voters = 5;
	c->bootstrap_expect = 0;
	c->promote_after_s = 10;
	c->memory_reserve = 0.10;
	c->tunnel_max = 64;
}

/* tunnel-target DEVICE=PORT; a repeated DEVICE replaces its port. */
static int
set_tunnel(struct ag_config *c, const char *v, char *err, size_t errlen)
{
	struct ag_tunnel_target	*t = NULL;
	const char		*eq = strchr(v, '=');
	char			*end;
	size_t			 dl, i;
	long			 port;

	dl = eq != NULL ? (size_t)(eq - v) : 0;
	if (eq == NULL || dl == 0 || dl >= AG_TUNNEL_DEVICE_MAX ||
	    memchr(v, '/', dl) != NULL) {
		(void)snprintf(err, errlen, "tunnel-target: want DEVICE=PORT "
		    "(a device id of this node, without the node id)");
		return -1;
	}
	for (i = 0; i < dl; i++)
		if (!isgraph((unsigned char)v[i])) {
			(void)snprintf(err, errlen, "tunnel-target: bad "
			    "character in the device id");
			return -1;
		}
	errno = 0;
	port = strtol(eq + 1, &end, 10);
	if (errno != 0 || end == eq + 1 || *end != '\0' || port < 1 ||
	    port > 65535) {
		(void)snprintf(err, errlen, "tunnel-target: the port must be "
		    "1..65535 (the worker listens on 127.0.0.1 only)");
		return -1;
	}
	for (i = 0; i < (size_t)c->ntunnel_targets; i++)
		if (strlen(c->tunnel_targets[i].device) == dl &&
		    memcmp(c->tunnel_targets[i].device, v, dl) == 0)
			t = &c->tunnel_targets[i];
	if (t == NULL) {
		if (c->ntunnel_targets >= AG_MAX_TUNNEL_TARGETS) {
			(void)snprintf(err, errlen, "tunnel-target: at most "
			    "%d devices", AG_MAX_TUNNEL_TARGETS);
			return -1;
		}
		t = &c->tunnel_targets[c->ntunnel_targets++];
	}
	memcpy(t->device, v, dl);
	t->device[dl] = '\0';
	t->port = (int)port;
	return 0;
}

/* Clear must be strictly on the safe side, or a value sitting on the
 * threshold would raise and clear on alternate readings. */
static int
check_pair(const char *raise_key, double raise, const char *clear_key,
    double clear, int below, char *err, size_t errlen)
{
	if (below ? clear > raise : clear < raise)
		return 0;
	(void)snprintf(err, errlen, "%s (%g) must be %s %s (%g): an alert "
	    "clears on the safe side of where it raises", clear_key, clear,
	    below ? "above" : "below", raise_key, raise);
	return -1;
}

/* The engine settings: a map of plain names, a command that splits. */
static int
check_engine(const struct ag_config *c, char *err, size_t errlen)
{
	static struct ag_engine_argv	a;	/* large; read-only use */
	struct ag_engine_vars		v = { 1, "127.0.0.1", "cpu", "CPU",
					    1, 0 };
	char				why[256];

	if (!ag_engine_map_valid(c->engine_devices)) {
		(void)snprintf(err, errlen, "engine-devices '%s': want "
		    "DEVICE=NAME,... (letters, digits, '.', '_', '-')",
		    c->engine_devices);
		return -1;
	}
	if (c->worker_command[0] != '\0' && ag_engine_expand(
	    c->worker_command, &v, &a, why, sizeof why) != 0) {
		(void)snprintf(err, errlen, "worker-command: %s", why);
		return -1;
	}
	return 0;
}

bool
ag_config_probe(const struct ag_config *c)
{
	return strcmp(c->membership, "probe") == 0;
}

int
ag_config_check(const struct ag_config *c, char *err, size_t errlen)
{
	if (check_engine(c, err, errlen) != 0)
		return -1;
	if (strcmp(c->membership, "transport") != 0 && !ag_config_probe(c)) {
		(void)snprintf(err, errlen, "membership '%s': want transport "
		    "or probe", c->membership);
		return -1;
	}
	if (c->max_udp_payload != 0 &&
	    c->max_udp_payload < NET_QUIC_PAYLOAD_MIN) {
		(void)snprintf(err, errlen, "max-udp-payload (%ld) must be 0 "
		    "(the path's MTU) or %d..%d", c->max_udp_payload,
		    NET_QUIC_PAYLOAD_MIN, NET_QUIC_PAYLOAD_MAX);
		return -1;
	}
	if (!ag_httptls_spec_valid(c->http_tls)) {
		(void)snprintf(err, errlen, "http-tls '%s': want node or "
		    "CERT.pem,KEY.pem", c->http_tls);
		return -1;
	}
	if (!(c->memory_reserve >= 0 && c->memory_reserve <= 0.9)) {
		(void)snprintf(err, errlen, "memory-reserve (%g) must be in "
		    "[0, 0.9]", c->memory_reserve);
		return -1;
	}
	if (check_pair("alert-temp-celsius", c->alert_temp_c,
	    "alert-temp-clear-celsius", c->alert_temp_clear_c, 0, err,
	    errlen) != 0 ||
	    check_pair("alert-memory-ratio", c->alert_memory,
	    "alert-memory-clear-ratio", c->alert_memory_clear, 0, err,
	    errlen) != 0 ||
	    check_pair("alert-battery-ratio", c->alert_battery,
	    "alert-battery-clear-ratio", c->alert_battery_clear, 1, err,
	    errlen) != 0 ||
	    check_pair("alert-link-loss-ratio", c->alert_loss,
	    "alert-link-loss-clear-ratio", c->alert_loss_clear, 0, err,
	    errlen) != 0)
		return -1;
	return 0;
}

static int
set_str(char *dst, size_t size, const char *key, const char *v, char *err,
    size_t errlen)
{
	if (strlen(v) >= size) {
		(void)snprintf(err, errlen, "%s: value longer than %zu bytes",
		    key, size - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
check_addr(const char *key, const char *v, char *err, size_t errlen)
{
	char	host[256];
	int	port;

	if (ag_api_split_addr(v, host, sizeof host, &port) != 0) {
		(void)snprintf(err, errlen, "%s: '%s' is not HOST:PORT (IPv6 "
		    "as [ADDR]:PORT)", key, v);
		return -1;
	}
	return 0;
}

static int
set_bool(bool *dst, const char *key, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0)
		*dst = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0)
		*dst = false;
	else {
		(void)snprintf(err, errlen, "%s: '%s' is not true or false",
		    key, v);
		return -1;
	}
	return 0;
}

static int
set_double(double *dst, const struct setting *s, const char *v, char *err,
    size_t errlen)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(v, &end);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || !(d >= s->min) ||
	    !(d <= s->max)) {
		(void)snprintf(err, errlen, "%s: '%s' is not a number in "
		    "%ld..%ld", s->key, v, s->min, s->max);
		return -1;
	}
	*dst = d;
	return 0;
}

static int
set_long(long *dst, const struct setting *s, const char *v, char *err,
    size_t errlen)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || n < s->min ||
	    n > s->max) {
		(void)snprintf(err, errlen, "%s: '%s' is not an integer in "
		    "%ld..%ld", s->key, v, s->min, s->max);
		return -1;
	}
	*dst = n;
	return 0;
}

int
ag_config_set(struct ag_config *c, const char *key, const char *v, char *err,
    size_t errlen)
{
	const struct setting	*s;
	size_t			 i;
	char			*base = (char *)c;

	for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		s = &settings[i];
		if (strcmp(s->key, key) != 0)
			continue;
		switch (s->kind) {
		case K_ADDR:
			if (check_addr(key, v, err, errlen) != 0)
				return -1;
			/* FALLTHROUGH */
		case K_STR:
			return set_str(base + s->off, s->size, key, v, err,
			    errlen);
		case K_BOOL:
			return set_bool((bool *)(void *)(base + s->off), key,
			    v, err, errlen);
		case K_LONG:
			return set_long((long *)(void *)(base + s->off), s, v,
			    err, errlen);
		case K_DOUBLE:
			return set_double((double *)(void *)(base + s->off), s,
			    v, err, errlen);
		case K_REFUSED:
			(void)snprintf(err, errlen, "join-secret: a secret is "
			    "never read from the command line or the config "
			    "file; give --join-secret-file FILE (mode 0600), "
			    "$EXOGPU_JOIN_SECRET, or --join-secret-file - "
			    "(stdin)");
			return -1;
		case K_TUNNEL:
			return set_tunnel(c, v, err, errlen);
		case K_JOIN:
			if (c->njoin >= AG_MAX_JOIN) {
				(void)snprintf(err, errlen, "join: at most %d "
				    "peers", AG_MAX_JOIN);
				return -1;
			}
			if (check_addr(key, v, err, errlen) != 0 ||
			    set_str(c->join[c->njoin], sizeof c->join[0], key,
			    v, err, errlen) != 0)
				return -1;
			c->njoin++;
			return 0;
		}
	}
	(void)snprintf(err, errlen, "unknown setting '%s'", key);
	return -1;
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One line (NUL-terminated, no newline). */
static int
parse_line(struct ag_config *c, char *line, char *err, size_t errlen)
{
	char	*eq, *key, *val, *hash;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	line = trim(line);
	if (*line == '\0')
		return 0;
	if ((eq = strchr(line, '=')) == NULL) {
		(void)snprintf(err, errlen, "expected 'key = value'");
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (*key == '\0') {
		(void)snprintf(err, errlen, "missing key before '='");
		return -1;
	}
	return ag_config_set(c, key, val, err, errlen);
}

int
ag_config_parse(struct ag_config *c, const char *buf, size_t len, char *err,
    size_t errlen)
{
	char	line[AG_CONFIG_MAX_LINE + 1], why[512];
	size_t	pos = 0, n;
	int	lineno = 0;

	if (len > AG_CONFIG_MAX_BYTES) {
		(void)snprintf(err, errlen, "larger than %d bytes",
		    AG_CONFIG_MAX_BYTES);
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);

		n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		lineno++;
		if (n > AG_CONFIG_MAX_LINE) {
			(void)snprintf(err, errlen, "line %d: longer than %d "
			    "bytes", lineno, AG_CONFIG_MAX_LINE);
			return -1;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL) {
			(void)snprintf(err, errlen, "line %d: NUL byte",
			    lineno);
			return -1;
		}
		if (parse_line(c, line, why, sizeof why) != 0) {
			(void)snprintf(err, errlen, "line %d: %s", lineno, why);
			return -1;
		}
		pos += n + (nl != NULL);
	}
	return 0;
}

void
ag_config_options(struct option *out)
{
	size_t	i, n = sizeof settings / sizeof settings[0];

	/* The table must leave room for config, help and the terminator. */
	_Static_assert(sizeof settings / sizeof settings[0] + 3 <=
	    AG_CONFIG_OPTIONS, "AG_CONFIG_OPTIONS too small");
	for (i = 0; i < n; i++) {
		out[i].name = settings[i].key;
		out[i].has_arg = settings[i].kind == K_BOOL ? no_argument :
		    required_argument;
		out[i].flag = NULL;
		out[i].val = 0;
	}
	out[n] = (struct option){ "config", required_argument, NULL, 'c' };
	out[n + 1] = (struct option){ "help", no_argument, NULL, 'h' };
	out[n + 2] = (struct option){ NULL, 0, NULL, 0 };
}
