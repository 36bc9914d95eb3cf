/*
 * ag_node_metrics.c - GET /metrics: the node's state in the Prometheus
 * text format (docs/metrics.md lists every family).
 *
 * One collector per area - build and node, cluster, this node's devices,
 * every alive member's devices as gossiped, links, placement, process -
 * each writing whole families through ag_prom, which checks the format
 * and keeps the first error.  Collectors only read node state, like the
 * JSON handlers in ag_node_api.c; device telemetry is what the node tick
 * last refreshed, so a scrape never waits on a driver.  A sample whose
 * value is unknown (NAN) is left out rather than exported as NaN.
 */
#include "ag_node_int.h"
#include "ag_raft.h"
#include "ag_alert.h"
#include "ag_log.h"
#include "ag_prom.h"
#include "be_discover.h"
#include "be_telemetry.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define FD_SCAN_MAX	(1 << 20)	/* /proc/self/fd entries read */
#define DEV_NLABELS	4		/* node, device, name, type */

static const char *const proto_names[AG_CLUSTER_NPROTO] = {
	[AG_CLUSTER_MEMBERSHIP] = "membership",
	[AG_CLUSTER_GOSSIP] = "gossip",
	[AG_CLUSTER_RAFT] = "raft",
};

static const char *const member_states[] = {
	"alive", "suspect", "dead", "left",
};
#define NSTATES	(sizeof member_states / sizeof member_states[0])

/* --- helpers -------------------------------------------------------------- */

/* A family of one unlabelled sample, left out when unknown. */
static void
one(struct ag_prom *w, const char *name, enum ag_prom_type type,
    const char *help, double v)
{
	(void)ag_prom_family(w, name, type, help);
	if (isfinite(v))
		(void)ag_prom_samplev(w, NULL, NULL, 0, v);
}

static void
one_u64(struct ag_prom *w, const char *name, enum ag_prom_type type,
    const char *help, uint64_t v)
{
	(void)ag_prom_family(w, name, type, help);
	(void)ag_prom_sample_u64(w, NULL, NULL, 0, v);
}

/* --- build and node ------------------------------------------------------- */

static void
collect_info(struct ag_node *n, struct ag_prom *w)
{
	(void)ag_prom_family(w, "exogpu_build_info", AG_PROM_GAUGE,
	    "The exogpu version this agent runs (value 1).");
	(void)ag_prom_sample(w, NULL, 1, "version", EXOGPU_VERSION,
	    (char *)NULL);
	(void)ag_prom_family(w, "exogpu_node_info", AG_PROM_GAUGE,
	    "This node's id, name and trust mode (value 1).");
	(void)ag_prom_sample(w, NULL, 1, "node", n->trust.node_id, "name",
	    n->name, "trust_mode", ag_trust_mode_name(n->trust.mode),
	    (char *)NULL);
}

/* --- cluster -------------------------------------------------------------- */

static void
collect_members(struct ag_node *n, struct ag_prom *w)
{
	json_t		*a, *m;
	uint64_t	 count[NSTATES] = { 0 };
	const char	*s;
	size_t		 i, k;

	(void)ag_prom_family(w, "exogpu_cluster_members", AG_PROM_GAUGE,
	    "Members this node knows of, itself included, by state.");
	if ((a = ag_cluster_members_json(n->cluster, NULL, NULL)) == NULL)
		return;
	json_array_foreach(a, i, m) {
		s = json_string_value(json_object_get(m, "state"));
		for (k = 0; s != NULL && k < NSTATES; k++)
			count[k] += strcmp(s, member_states[k]) == 0;
	}
	json_decref(a);
	for (k = 0; k < NSTATES; k++) {
		struct ag_prom_label l = { "state", member_states[k] };

		(void)ag_prom_sample_u64(w, NULL, &l, 1, count[k]);
	}
}

static void
proto_counter(struct ag_prom *w, const char *name, const char *help,
    const uint64_t *v)
{
	struct ag_prom_label	l;
	int			p;

	(void)ag_prom_family(w, name, AG_PROM_COUNTER, help);
	for (p = 0; p < AG_CLUSTER_NPROTO; p++) {
		l.name = "protocol";
		l.value = proto_names[p];
		(void)ag_prom_sample_u64(w, NULL, &l, 1, v[p]);
	}
}

static void
collect_raft(struct ag_node *n, struct ag_prom *w,
    const struct ag_cluster_status *cs)
{
	struct ag_raft_counters	rc;

	ag_raft_counters(ag_cluster_raft(n->cluster), &rc);
	one_u64(w, "exogpu_raft_commit_index", AG_PROM_GAUGE,
	    "The highest log index this node knows committed.",
	    cs->commit_index);
	one_u64(w, "exogpu_raft_applied_index", AG_PROM_GAUGE,
	    "The highest log index applied to this node's state.",
	    cs->applied_index);
	one_u64(w, "exogpu_raft_servers", AG_PROM_GAUGE,
	    "Servers in the raft configuration (voters and standbys).",
	    cs->servers);
	one_u64(w, "exogpu_raft_proposals_total", AG_PROM_COUNTER,
	    "Commands this node proposed as leader.", rc.proposals);
	one_u64(w, "exogpu_raft_commits_total", AG_PROM_COUNTER,
	    "Proposed commands applied and admitted by the state machine.",
	    rc.commits_ok);
	one_u64(w, "exogpu_raft_refused_total", AG_PROM_COUNTER,
	    "Proposed commands applied but refused by the state machine "
	    "(no memory, stale re-plan, ...).", rc.commits_refused);
	one_u64(w, "exogpu_raft_failed_total", AG_PROM_COUNTER,
	    "Proposed commands not known to be committed (leadership lost, "
	    "shutdown).", rc.failed);
	one_u64(w, "exogpu_raft_fsyncs_total", AG_PROM_COUNTER,
	    "fsync and fdatasync calls of the raft log, metadata and "
	    "snapshots.", rc.fsyncs);
	one_u64(w, "exogpu_raft_merges_total", AG_PROM_COUNTER,
	    "Times this node left its cluster for a better one.", rc.merges);
	one_u64(w, "exogpu_raft_foreign_messages_total", AG_PROM_COUNTER,
	    "Raft messages of another cluster, dropped.", rc.foreign);
}

/* Sessions (probe mode keeps neighbours' and lets the rest idle out). */
static void
collect_sessions(struct ag_node *n, struct ag_prom *w)
{
	uint64_t	up = 0, nb = 0;
	int		i;

	for (i = 0; i < n->npeers; i++) {
		up += n->peers[i].link != NULL && n->peers[i].link->hello;
		nb += n->peers[i].neighbour;
	}
	one_u64(w, "exogpu_sessions", AG_PROM_GAUGE,
	    "Authenticated QUIC sessions to peers now.", up);
	one_u64(w, "exogpu_neighbours", AG_PROM_GAUGE,
	    "Members whose sessions this node keeps alive (probe mode).", nb);
	one_u64(w, "exogpu_sessions_evicted_total", AG_PROM_COUNTER,
	    "Idle sessions closed because more than --max-sessions were "
	    "open.", n->stats.sessions_evicted);
}

static void
collect_cluster(struct ag_node *n, struct ag_prom *w)
{
	struct ag_cluster_status	cs;
	struct ag_cluster_counters	cc;

	ag_cluster_status(n->cluster, &cs);
	ag_cluster_counters(n->cluster, &cc);
	(void)ag_prom_family(w, "exogpu_cluster_leader", AG_PROM_GAUGE,
	    "The leader this node follows while a majority backs it "
	    "(value 1; no sample without one).");
	if (cs.leader[0] != '\0')
		(void)ag_prom_sample(w, NULL, 1, "node", cs.leader,
		    (char *)NULL);
	one(w, "exogpu_cluster_is_leader", AG_PROM_GAUGE,
	    "1 if this node is the leader with a majority behind it.",
	    ag_node_is_leader(n, NULL));
	one_u64(w, "exogpu_cluster_term", AG_PROM_GAUGE,
	    "The election term this node is in.", cs.term);
	one(w, "exogpu_cluster_quorum", AG_PROM_GAUGE,
	    "1 if this node's side of the network has a leader backed by a "
	    "majority of the voters.", cs.quorum);
	one_u64(w, "exogpu_cluster_voters", AG_PROM_GAUGE,
	    "Voters in the election's configuration.", cs.voters);
	collect_members(n, w);
	proto_counter(w, "exogpu_cluster_messages_sent_total",
	    "Cluster control messages handed to the transport.", cc.sent);
	proto_counter(w, "exogpu_cluster_message_bytes_sent_total",
	    "Bytes of the cluster control messages handed to the transport "
	    "(before QUIC's framing and encryption).", cc.sent_bytes);
	proto_counter(w, "exogpu_cluster_messages_received_total",
	    "Cluster control messages received from peers.", cc.received);
	one_u64(w, "exogpu_cluster_messages_refused_total", AG_PROM_COUNTER,
	    "Received cluster messages that were malformed or refused.",
	    cc.refused);
	one_u64(w, "exogpu_cluster_gossip_records_updated_total",
	    AG_PROM_COUNTER, "Peers' node records taken in by gossip "
	    "(newer versions).", cc.records_updated);
	one_u64(w, "exogpu_cluster_elections_started_total", AG_PROM_COUNTER,
	    "Elections this node started as a candidate.",
	    cc.elections_started);
	one_u64(w, "exogpu_cluster_leader_changes_total", AG_PROM_COUNTER,
	    "Times a different leader became known to this node.",
	    cc.leader_changes);
	one_u64(w, "exogpu_member_probes_total", AG_PROM_COUNTER,
	    "SWIM probes this node started (membership probe mode).",
	    cc.probes);
	one_u64(w, "exogpu_member_probes_failed_total", AG_PROM_COUNTER,
	    "Probes that ended with no ACK, direct or relayed.",
	    cc.probes_failed);
	one_u64(w, "exogpu_member_probe_refused_total", AG_PROM_COUNTER,
	    "PING-REQs over the relay bounds and ACKs or NACKs nobody asked "
	    "for (answers this node ignored).", cc.probe_refused);
	one_u64(w, "exogpu_member_awareness", AG_PROM_GAUGE,
	    "Local health score of probe mode: 0 is healthy; higher stretches "
	    "this node's probe timeouts.", cc.awareness);
	collect_sessions(n, w);
	collect_raft(n, w, &cs);
}

/* --- this node's devices -------------------------------------------------- */

typedef double	(*dev_value)(const struct be_device *);

static double
dev_memory_total(const struct be_device *d)
{
	return d->memory_total_bytes > 0 ? (double)d->memory_total_bytes :
	    d->telemetry.memory_total_bytes;
}

/* Telemetry's reading, else total less what the API says is free. */
static double
dev_memory_used(const struct be_device *d)
{
	double	total = dev_memory_total(d);

	if (isfinite(d->telemetry.memory_used_bytes))
		return d->telemetry.memory_used_bytes;
	if (isfinite(total) && isfinite(d->memory_free_bytes) &&
	    d->memory_free_bytes <= total)
		return total - d->memory_free_bytes;
	return NAN;
}

static double
dev_utilization(const struct be_device *d)
{
	return d->telemetry.utilization_ratio;
}

static double
dev_temperature(const struct be_device *d)
{
	return d->telemetry.temperature_celsius;
}

static double
dev_power(const struct be_device *d)
{
	return d->telemetry.power_watts;
}

static void
dev_labels(const struct ag_node *n, const struct be_device *d,
    struct ag_prom_label *l)
{
	l[0].name = "node";
	l[0].value = n->trust.node_id;
	l[1].name = "device";
	l[1].value = d->id;
	l[2].name = "name";
	l[2].value = d->name;
	l[3].name = "type";
	l[3].value = be_type_name(d->type);
}

static void
device_family(struct ag_node *n, struct ag_prom *w, const char *name,
    const char *help, dev_value fn)
{
	struct ag_prom_label	l[DEV_NLABELS];
	double			v;
	int			i;

	(void)ag_prom_family(w, name, AG_PROM_GAUGE, help);
	for (i = 0; n->inv != NULL && i < n->inv->ndevices; i++) {
		if (!isfinite(v = fn(&n->inv->devices[i])))
			continue;
		dev_labels(n, &n->inv->devices[i], l);
		(void)ag_prom_samplev(w, NULL, l, DEV_NLABELS, v);
	}
}

static void
device_clocks(struct ag_node *n, struct ag_prom *w)
{
	struct ag_prom_label	l[DEV_NLABELS + 1];
	const struct be_device	*d;
	double			mhz[2];
	int			i, k;

	(void)ag_prom_family(w, "exogpu_device_clock_hertz", AG_PROM_GAUGE,
	    "Current clock of this node's devices, by clock (graphics, "
	    "memory).");
	for (i = 0; n->inv != NULL && i < n->inv->ndevices; i++) {
		d = &n->inv->devices[i];
		mhz[0] = d->telemetry.clock_graphics_mhz;
		mhz[1] = d->telemetry.clock_memory_mhz;
		dev_labels(n, d, l);
		l[DEV_NLABELS].name = "clock";
		for (k = 0; k < 2; k++) {
			if (!isfinite(mhz[k]))
				continue;
			l[DEV_NLABELS].value = k == 0 ? "graphics" : "memory";
			(void)ag_prom_samplev(w, NULL, l, DEV_NLABELS + 1,
			    mhz[k] * 1e6);
		}
	}
}

static void
collect_devices(struct ag_node *n, struct ag_prom *w)
{
	device_family(n, w, "exogpu_device_memory_total_bytes",
	    "Memory of this node's devices.", dev_memory_total);
	device_family(n, w, "exogpu_device_memory_used_bytes",
	    "Memory in use on this node's devices.", dev_memory_used);
	device_family(n, w, "exogpu_device_utilization_ratio",
	    "How busy this node's devices are (0 to 1).", dev_utilization);
	device_family(n, w, "exogpu_device_temperature_celsius",
	    "Temperature of this node's devices.", dev_temperature);
	device_family(n, w, "exogpu_device_power_watts",
	    "Power drawn by this node's devices.", dev_power);
	device_clocks(n, w);
}

/* --- every alive member's devices, from gossip ---------------------------- */

enum cl_figure { CL_TOTAL, CL_FREE, CL_TEMPERATURE, CL_NFIGURES };

static const struct {
	const char	*name, *help;
} cl_families[CL_NFIGURES] = {
	[CL_TOTAL] = { "exogpu_cluster_device_memory_total_bytes",
	    "Memory of every alive member's devices, as gossiped." },
	[CL_FREE] = { "exogpu_cluster_device_memory_free_bytes",
	    "Free memory of every alive member's devices, as gossiped." },
	[CL_TEMPERATURE] = { "exogpu_cluster_device_temperature_celsius",
	    "Temperature of every alive member's devices, as gossiped." },
};

static void
record_samples(struct ag_prom *w, const char *id, const struct ag_record *r,
    enum cl_figure f)
{
	struct ag_prom_label		 l[5];
	const struct ag_record_device	*d;
	double				 v;
	int				 i;

	for (i = 0; i < r->ndevices && i < AG_RECORD_MAX_DEVICES; i++) {
		d = &r->devices[i];
		v = f == CL_TOTAL ? (d->memory_total_bytes > 0 ?
		    (double)d->memory_total_bytes : NAN) : f == CL_FREE ?
		    d->memory_free_bytes : d->temperature_celsius;
		if (!isfinite(v))
			continue;
		l[0].name = "node";
		l[0].value = id;
		l[1].name = "node_name";
		l[1].value = r->name;
		l[2].name = "device";
		l[2].value = d->id;
		l[3].name = "name";
		l[3].value = d->name;
		l[4].name = "type";
		l[4].value = d->type;
		(void)ag_prom_samplev(w, NULL, l, 5, v);
	}
}

static void
collect_cluster_devices(struct ag_node *n, struct ag_prom *w)
{
	const char		*ids[AG_MAX_PEERS + 1];
	struct ag_record	*rec = malloc(sizeof *rec);
	size_t			 nid, i;
	int			 f;

	nid = rec != NULL ? ag_cluster_alive(n->cluster, ids,
	    AG_MAX_PEERS + 1) : 0;
	for (f = 0; f < CL_NFIGURES; f++) {
		(void)ag_prom_family(w, cl_families[f].name, AG_PROM_GAUGE,
		    cl_families[f].help);
		for (i = 0; i < nid; i++) {
			if (i == 0 && n->self_rec != NULL)
				record_samples(w, ids[0], n->self_rec, f);
			else if (i > 0 &&
			    ag_cluster_record(n->cluster, ids[i], rec) == 0)
				record_samples(w, ids[i], rec, f);
		}
	}
	free(rec);
}

/* --- links ---------------------------------------------------------------- */

struct link_view {
	int			connected;
	int			live;	/* st holds current figures */
	struct net_quic_stats	st;
};

static void
link_family(struct ag_node *n, struct ag_prom *w, const struct link_view *v,
    const char *name, const char *help, int which)
{
	struct ag_prom_label	 l[2];
	const struct ag_peer	*p;
	double			 x;
	int			 i;

	(void)ag_prom_family(w, name, AG_PROM_GAUGE, help);
	for (i = 0; v != NULL && i < n->npeers; i++) {
		p = &n->peers[i];
		if (which == 0)
			x = v[i].connected;
		else if (!v[i].connected)
			continue;
		else if (which == 4)
			x = p->bandwidth;
		else if (!v[i].live)
			continue;
		else
			x = which == 1 ? v[i].st.smoothed_rtt : which == 2 ?
			    v[i].st.min_rtt : v[i].st.loss_ratio;
		/* RTTs are 0 before the first sample. */
		if (!isfinite(x) || ((which == 1 || which == 2) && x <= 0))
			continue;
		l[0].name = "peer";
		l[0].value = p->node_id;
		l[1].name = "peer_name";
		l[1].value = p->name;
		(void)ag_prom_samplev(w, NULL, l, 2, x);
	}
}

static void
collect_links(struct ag_node *n, struct ag_prom *w)
{
	struct link_view	*v;
	struct ag_peer		*p;
	int			 i;

	v = calloc(n->npeers > 0 ? (size_t)n->npeers : 1, sizeof *v);
	for (i = 0; v != NULL && i < n->npeers; i++) {
		p = &n->peers[i];
		v[i].connected = p->link != NULL && p->link->hello;
		v[i].live = v[i].connected &&
		    net_quic_conn_stats(p->link->conn, &v[i].st) == 0;
	}
	link_family(n, w, v, "exogpu_link_connected",
	    "1 while this node has a session with the peer.", 0);
	link_family(n, w, v, "exogpu_link_rtt_seconds",
	    "Smoothed round-trip time to the peer (QUIC's estimator).", 1);
	link_family(n, w, v, "exogpu_link_rtt_min_seconds",
	    "Smallest round-trip time to the peer seen on the session.", 2);
	link_family(n, w, v, "exogpu_link_loss_ratio",
	    "Packets carrying stream data declared lost / packets sent.", 3);
	link_family(n, w, v, "exogpu_link_bandwidth_bytes_per_second",
	    "Bandwidth measured by the latest probe of the link.", 4);
	free(v);
}

/* --- placement ------------------------------------------------------------ */

/* Live placements in this node's applied log. */
static double
live_placements(struct ag_node *n)
{
	return (double)ag_fsm_count(ag_raft_fsm(ag_cluster_raft(n->cluster)));
}

static void
collect_placement(struct ag_node *n, struct ag_prom *w)
{
	const struct ag_node_stats	*s = &n->stats;

	one(w, "exogpu_placements", AG_PROM_GAUGE,
	    "Live placements in the cluster, as this node's applied log lists them.",
	    live_placements(n));
	one_u64(w, "exogpu_placements_created_total", AG_PROM_COUNTER,
	    "Placements this node admitted as leader.",
	    s->placements_created);
	one_u64(w, "exogpu_placements_released_total", AG_PROM_COUNTER,
	    "Placements this node released as leader.",
	    s->placements_released);
	one_u64(w, "exogpu_placements_replans_total", AG_PROM_COUNTER,
	    "New plans (epochs) this node published as leader.", s->replans);
	one_u64(w, "exogpu_worker_restarts_total", AG_PROM_COUNTER,
	    "Engine workers this node restarted after a crash or a failed "
	    "start.", ag_node_workers_restarts(n));
	one_u64(w, "exogpu_policy_denials_total", AG_PROM_COUNTER,
	    "Requests this node refused by policy: tokens, scopes, "
	    "quotas, tenants.", s->denials);
	(void)ag_prom_family(w, "exogpu_placement_solve_seconds",
	    AG_PROM_HISTOGRAM, "Time the placement solver took, per solve "
	    "on this node.");
	(void)ag_prom_histogram(w, NULL, 0, ag_node_solve_bounds,
	    s->solve_bucket, AG_NODE_SOLVE_BUCKETS - 1, s->solve_seconds_sum);
}

/* --- process -------------------------------------------------------------- */

/* Unix time of the boot, from the realtime and boot-time clocks. */
static double
boot_time(void)
{
	struct timespec	rt, bt;

	if (clock_gettime(CLOCK_REALTIME, &rt) != 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &bt) != 0)
		return NAN;
	return (double)(rt.tv_sec - bt.tv_sec) +
	    (double)(rt.tv_nsec - bt.tv_nsec) / 1e9;
}

/* Entries of /proc/self/fd but the one reading it; NAN when unknown. */
static double
open_fds(void)
{
	DIR		*dir = opendir("/proc/self/fd");
	struct dirent	*e;
	long		 seen = 0, count = 0;
	int		 self;

	if (dir == NULL)
		return NAN;
	self = dirfd(dir);
	while ((e = readdir(dir)) != NULL && ++seen <= FD_SCAN_MAX)
		count += e->d_name[0] != '.' && atoi(e->d_name) != self;
	(void)closedir(dir);
	return seen > FD_SCAN_MAX ? NAN : (double)count;
}

static double
max_fds(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return NAN;
	return (double)rl.rlim_cur;
}

static void
collect_process(struct ag_prom *w)
{
	char				buf[AG_PROM_PROC_STAT_MAX];
	struct ag_prom_proc_stat	st;
	ssize_t				len;
	double				tick, page;

	tick = (double)sysconf(_SC_CLK_TCK);
	page = (double)sysconf(_SC_PAGESIZE);

	len = be_sysfs_read("/", "/proc/self/stat", buf, sizeof buf, NULL);
	(void)ag_prom_parse_proc_stat(buf, len > 0 ? (size_t)len : 0, &st);
	if (tick <= 0)
		tick = NAN;
	if (page <= 0)
		page = NAN;
	one(w, "process_cpu_seconds_total", AG_PROM_COUNTER,
	    "User and system CPU time spent.",
	    (st.utime_ticks + st.stime_ticks) / tick);
	one(w, "process_resident_memory_bytes", AG_PROM_GAUGE,
	    "Resident memory size.", st.rss_pages * page);
	one(w, "process_virtual_memory_bytes", AG_PROM_GAUGE,
	    "Virtual memory size.", st.vsize_bytes);
	one(w, "process_start_time_seconds", AG_PROM_GAUGE,
	    "Start time of the process since the Unix epoch.",
	    boot_time() + st.starttime_ticks / tick);
	one(w, "process_open_fds", AG_PROM_GAUGE,
	    "Open file descriptors.", open_fds());
	one(w, "process_max_fds", AG_PROM_GAUGE,
	    "Limit on open file descriptors.", max_fds());
}

/* This node's raised alerts (docs/alerts.md), one series each. */
static void
collect_alerts(struct ag_node *n, struct ag_prom *w)
{
	const struct ag_alert	*al[AG_ALERT_CAP];
	size_t			 k = ag_node_obs_active(n, al, AG_ALERT_CAP), i;

	(void)ag_prom_family(w, "exogpu_alert_active", AG_PROM_GAUGE,
	    "1 for each alert this node has raised and not yet cleared.");
	for (i = 0; i < k; i++)
		if (al[i]->active)
			(void)ag_prom_sample(w, NULL, 1.0, "rule", al[i]->name,
			    "object", al[i]->object, "level",
			    al[i]->level == AG_ALERT_WARNING ? "warning" :
			    "critical", NULL);
}

/* Tunnels to placement workers (docs/tunnel.md). */
static void
collect_tunnels(struct ag_node *n, struct ag_prom *w)
{
	struct ag_tunnel_counters	c;

	ag_node_tunnel_counters(n, &c);
	one_u64(w, "exogpu_tunnel_open", AG_PROM_GAUGE,
	    "Tunnel streams joined to TCP connections now.", c.open);
	one_u64(w, "exogpu_tunnel_opened_total", AG_PROM_COUNTER,
	    "Tunnel streams joined to TCP connections, either side.",
	    c.opened);
	one_u64(w, "exogpu_tunnel_refused_total", AG_PROM_COUNTER,
	    "Peer tunnel streams refused (not authorised, bad header, "
	    "tunnel-max).", c.refused);
	one_u64(w, "exogpu_tunnel_unreachable_total", AG_PROM_COUNTER,
	    "Tunnels that found no stream to the peer or no worker.",
	    c.unreachable);
	(void)ag_prom_family(w, "exogpu_tunnel_bytes_total", AG_PROM_COUNTER,
	    "Bytes carried by tunnels, by direction (to_peer: read from "
	    "TCP and sent; from_peer: received and written to TCP).");
	(void)ag_prom_sample(w, NULL, (double)c.bytes_to_quic, "direction",
	    "to_peer", NULL);
	(void)ag_prom_sample(w, NULL, (double)c.bytes_to_tcp, "direction",
	    "from_peer", NULL);
}

/* --- the route ------------------------------------------------------------ */

void
ag_node_api_metrics(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct ag_node	*n = ctx;
	struct ag_prom	 w;

	ag_prom_init(&w, 0);
	collect_info(n, &w);
	if (n->cluster != NULL) {
		collect_cluster(n, &w);
		collect_cluster_devices(n, &w);
	}
	collect_devices(n, &w);
	collect_links(n, &w);
	if (n->cluster != NULL)
		collect_placement(n, &w);
	collect_alerts(n, &w);
	collect_tunnels(n, &w);
	collect_process(&w);
	if (ag_prom_error(&w) != 0) {
		ag_log(AG_LOG_WARNING, "metrics: %s", ag_prom_why(&w));
		ag_api_error(r, 500, "metrics_failed", "%s", ag_prom_why(&w));
		ag_prom_free(&w);
		return;
	}
	if ((r->raw = ag_prom_take(&w, &r->raw_len)) == NULL) {
		ag_api_error(r, 500, "metrics_failed", "out of memory");
		return;
	}
	r->status = 200;
	r->content_type = CONTENT_TYPE;
}
